"""Units typed into a result, including powers of ten (``2.37 10^9/L``): found and located.

The bug: a cell count with its unit typed in (``2.37 10^9/L``) was read as plain text, so it
was neither split nor reported, and the engine's own copy of the pattern could not name its
record. Both now use :data:`sdtm.units.VALUE_UNIT`.
"""

from __future__ import annotations

import pandas as pd

from sdtm.engine import _unit_issues
from sdtm.units import split_value_unit, standardize_units


def test_split_value_unit_reads_powers_of_ten():
    values = pd.Series(["2.37 10^9/L", "4.610^9/L", "279 10^9/L", "4.6 10E9/L", "1,2 x10^9/L"])
    out = split_value_unit(values)
    assert out["value"].tolist() == ["2.37", "4.6", "279", "4.6", "1,2"]
    assert out["unit"].tolist() == ["10^9/L", "10^9/L", "10^9/L", "10E9/L", "x10^9/L"]


def test_titers_grades_and_plain_numbers_stay_whole():
    out = split_value_unit(pd.Series(["1:40", "1+", "12.5", "NEG", "15E3"]))
    assert out["value"].tolist() == ["1:40", "1+", "12.5", "NEG", "15"]
    # "15E3" is a number in E notation, but a letter after digits reads as a unit here;
    # standardize_units reads it as the number (below).
    assert out["unit"].isna().tolist() == [True, True, True, True, False]


def test_standardize_reports_a_power_of_ten_typed_into_the_result():
    lb = pd.DataFrame(
        {
            "LBTESTCD": ["LYM", "LYM", "LYM", "LYM"],
            "LBORRES": ["2.37 10^9/L", "1.80", "1:40", "15E-1"],
            "LBORRESU": ["10^9/L", "10^9/L", "10^9/L", "10^9/L"],
        }
    )
    out, findings = standardize_units(lb, target_units={"LYM": "10^9/L"})
    # 1.80 already in the target unit: kept as collected; 15E-1 = 1.5.
    assert out["LBSTRESN"].tolist()[1] == 1.8
    assert out["LBSTRESN"].tolist()[3] == 1.5
    assert pd.isna(out["LBSTRESC"].iloc[0])
    assert out["LBSTRESC"].iloc[2] == "1:40"
    assert findings[["code", "test", "records", "example"]].values.tolist() == [
        ["unit-in-result", "LYM", 1, "2.37 10^9/L"]
    ]


def test_the_engine_names_the_record_of_each_unit_in_result():
    data = pd.DataFrame(
        {
            "_file": "x.xml",
            "_form": "hema",
            "_record": ["SCR/HEMA[1]", "M2/HEMA[1]", "M6/HEMA[1]"],
            "_subject": ["03-014", "02-028", "02-028"],
            "LBTESTCD": "LYM",
            "LBORRES": ["2.37 10^9/L", "1.90 10^9/L", "1.75"],
            "LBORRESU": "10^9/L",
        }
    )
    out, findings = standardize_units(
        data, target_units={"LYM": "10^9/L"}, new_vars=("LBSTRESC", "LBSTRESN", "LBSTRESU")
    )
    issues = _unit_issues("LB", out, findings)
    assert issues["code"].tolist() == ["unit-in-result", "unit-in-result"]
    assert issues["record"].tolist() == ["SCR/HEMA[1]", "M2/HEMA[1]"]
    assert issues["value"].tolist() == ["2.37 10^9/L 10^9/L", "1.90 10^9/L 10^9/L"]
