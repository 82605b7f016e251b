"""standardize_units and split_value_unit, with every expected number worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.errors import SpecError, UsageError
from sdtm.units import FINDINGS, split_value_unit, standardize_units

TARGETS = {
    "CREAT": "umol/L",
    "HGB": "g/L",
    "GLUC": "mmol/L",
    "CHOL": "mmol/L",
    "TRIG": "mmol/L",
    "HBA1C": "mmol/mol",
    "CRP": "mg/L",
    "INTLK6": "ng/L",
    "LYMLE": "10^9/L",
    "WBC": "10^9/L",
    "ALT": "U/L",
    "TEMP": "C",
    "WEIGHT": "kg",
    "HEIGHT": "cm",
    "ABI": None,
}


def standardize(rows, **kwargs):
    frame = pd.DataFrame(rows, columns=["LBTESTCD", "LBORRES", "LBORRESU"])
    return standardize_units(frame, target_units=TARGETS, **kwargs)


def results(out: pd.DataFrame) -> list[tuple[object, object, object]]:
    rows = zip(out["LBSTRESC"], out["LBSTRESN"], out["LBSTRESU"], strict=True)
    return [tuple(None if pd.isna(v) else v for v in row) for row in rows]


def test_conversions_by_hand() -> None:
    out, findings = standardize(
        [
            ("CREAT", "1.2", "mg/dL"),  # 1.2 x 88.42 = 106.104
            ("HGB", "13.5", "g/dL"),  # 13.5 x 10 = 135
            ("CHOL", "200", "mg/dL"),  # 200 x 0.02586 = 5.172
            ("TRIG", "150", "mg/dL"),  # 150 x 0.01129 = 1.6935
            ("CRP", "2.5", "mg/dL"),  # 2.5 x 10 = 25
            ("TEMP", "98.6", "F"),  # (98.6 - 32) x 5/9 = 66.6 x 5/9 = 37
            ("HEIGHT", "70", "in"),  # 70 x 2.54 = 177.8
            ("WEIGHT", "154", "LB"),  # 154 x 0.45359237 = 69.85322498
            ("LYMLE", "1500", "cells/uL"),  # 1500 x 10^6/L = 1.5 x 10^9/L
        ]
    )
    assert results(out) == [
        ("106.104", 106.104, "umol/L"),
        ("135", 135.0, "g/L"),
        ("5.172", 5.172, "mmol/L"),
        ("1.6935", 1.6935, "mmol/L"),
        ("25", 25.0, "mg/L"),
        ("37", 37.0, "C"),
        ("177.8", 177.8, "cm"),
        ("69.85322498", 69.85322498, "kg"),
        ("1.5", 1.5, "10^9/L"),
    ]
    assert findings.empty


def test_conversions_that_are_not_round_numbers() -> None:
    out, _ = standardize(
        [
            ("HGB", "8.4", "mmol/L"),  # 8.4 x 10 / 0.6206 = 84 / 0.6206
            ("GLUC", "90", "mg/dL"),  # 90 / 18.016
            ("HBA1C", "7", "%"),  # (7 - 2.152) / 0.09148 = 4.848 / 0.09148
        ]
    )
    expected = [84 / 0.6206, 90 / 18.016, 4.848 / 0.09148]
    assert out["LBSTRESN"].tolist() == pytest.approx(expected, rel=1e-11)
    # --STRESC is --STRESN as text (P21 SD1212).
    assert [float(v) for v in out["LBSTRESC"]] == out["LBSTRESN"].tolist()
    # HbA1c 7 % is about 53 mmol/mol (the rounded IFCC formula (7 - 2.15) x 10.929 = 53.006).
    assert round(out["LBSTRESN"].iloc[2]) == 53


def test_decimals_round_converted_results_only() -> None:
    out, _ = standardize(
        [("GLUC", "100", "mg/dL"), ("GLUC", "5.55555", "mmol/L")], decimals={"GLUC": 2}
    )
    # 100 / 18.016 = 5.5506... -> 5.55; a result already in mmol/L keeps its digits.
    assert results(out) == [("5.55", 5.55, "mmol/L"), ("5.55555", 5.55555, "mmol/L")]


def test_same_unit_keeps_the_collected_text() -> None:
    out, _ = standardize(
        [
            ("CREAT", "106.0", "umol/L"),  # already the target: text kept (SD1353)
            ("CREAT", "+88", "µmol/L"),  # micro sign; leading + dropped
            ("INTLK6", "45", "pg/mL"),  # CDISC: pg/mL is a synonym of ng/L, factor 1
            ("WBC", "7.2", "10^3/uL"),  # CDISC: 10^3/uL is a synonym of 10^9/L
            ("ALT", "30", "IU/L"),  # enzymes: 1 IU = 1 U, factor 1
            ("ABI", "0.92", None),  # unitless test
        ]
    )
    assert results(out) == [
        ("106.0", 106.0, "umol/L"),
        ("88", 88.0, "umol/L"),
        ("45", 45.0, "ng/L"),
        ("7.2", 7.2, "10^9/L"),
        ("30", 30.0, "U/L"),
        ("0.92", 0.92, None),
    ]


def test_comparisons_and_text_results() -> None:
    out, findings = standardize(
        [
            ("CREAT", "<1.5", "mg/dL"),  # 1.5 x 88.42 = 132.63, sign kept
            ("ALT", "> 500", "U/L"),  # same unit: sign kept, blank dropped
            ("CREAT", "≤ 2", "mg/dL"),  # 2 x 88.42 = 176.84; ≤ written <=
            ("GLUC", "NEG", "mg/dL"),  # qualitative: carried unchanged
            ("HGB", " 1:40 ", None),  # a titer: text, trimmed
        ]
    )
    assert results(out) == [
        ("<132.63", None, "umol/L"),
        (">500", None, "U/L"),
        ("<=176.84", None, "umol/L"),
        ("NEG", None, None),
        ("1:40", None, None),
    ]
    assert findings.empty


def test_decimal_comma() -> None:
    rows = [("CREAT", "7,2", "mg/dL"), ("CREAT", "1,200", "umol/L"), ("CREAT", "1,200.5", "umol/L")]
    out, findings = standardize(rows)
    # 7,2 -> 7.2 x 88.42 = 636.624; 1,200 is ambiguous; 1,200.5 can only be thousands.
    assert results(out) == [
        ("636.624", 636.624, "umol/L"),
        (None, None, None),
        ("1200.5", 1200.5, "umol/L"),
    ]
    assert findings[["code", "test", "records", "example"]].values.tolist() == [
        ["decimal-comma", "CREAT", 1, "1,200"]
    ]
    out, findings = standardize(rows, decimal_comma=True)
    # 7,2 -> 636.624; 1,200 -> 1.200 (same unit: the collected digits are kept);
    # 1,200.5 cannot be read with decimal commas.
    assert results(out)[:2] == [("636.624", 636.624, "umol/L"), ("1.200", 1.2, "umol/L")]
    assert findings["code"].tolist() == ["decimal-comma"]
    out, findings = standardize(rows, decimal_comma=False)
    # 7,2 cannot be a thousands group; 1,200 -> 1200; 1,200.5 -> 1200.5.
    assert results(out)[1:] == [("1200", 1200.0, "umol/L"), ("1200.5", 1200.5, "umol/L")]
    assert findings["example"].tolist() == ["7,2"]


def test_findings_never_guess() -> None:
    out, findings = standardize(
        [
            ("CREAT", "7.2", "furlongs"),
            ("CREAT", "7.3", "furlongs"),
            ("CREAT", "1.0", "g/L"),  # g/L is a unit, but no g/L -> umol/L for CREAT
            ("CREAT", "1.0", None),
            ("CREAT", "72 kg", None),
            ("ABI", "1.1", "mmHg"),
            ("XX", "5", "mg"),
            ("XX", "6", "g"),
            ("XX", "7", "g"),
        ]
    )
    assert results(out)[:6] == [(None, None, None)] * 6
    # Tests without a target keep their own unit, but mixed units are reported.
    assert results(out)[6:] == [("5", 5.0, "mg"), ("6", 6.0, "g"), ("7", 7.0, "g")]
    expected = pd.DataFrame(
        {
            "code": [
                "missing-unit",
                "mixed-units",
                "no-conversion",
                "unexpected-unit",
                "unit-in-result",
                "unknown-unit",
            ],
            "test": ["CREAT", "XX", "CREAT", "ABI", "CREAT", "CREAT"],
            "unit": [np.nan, "g, mg", "g/L", "mmHg", np.nan, "furlongs"],
            "target_unit": ["umol/L", np.nan, "umol/L", np.nan, "umol/L", "umol/L"],
            "records": [1, 3, 1, 1, 1, 2],
            "example": ["1.0", "5", "1.0", "1.1", "72 kg", "7.2"],
        }
    )
    expected.insert(1, "message", expected["code"].map(FINDINGS))
    expected = expected.astype({c: "str" for c in expected.columns if c != "records"})
    pd.testing.assert_frame_equal(findings, expected)


def test_records_counted_not_distinct_values() -> None:
    rows = [("CREAT", "7.2", "furlongs")] * 3 + [("CREAT", "1.0", "mg/dL")] * 2
    out, findings = standardize(rows)
    assert findings["records"].tolist() == [3]
    assert out["LBSTRESN"].tolist()[3:] == [88.42, 88.42]


def test_index_and_columns_kept() -> None:
    frame = pd.DataFrame(
        {"VSTESTCD": ["WEIGHT"], "VSORRES": ["80"], "VSORRESU": ["kg"], "OTHER": [1]}, index=[7]
    )
    out, _ = standardize_units(
        frame,
        "VSTESTCD",
        "VSORRES",
        "VSORRESU",
        {"WEIGHT": "kg"},
        ("VSSTRESC", "VSSTRESN", "VSSTRESU"),
    )
    assert list(out.columns) == [*frame.columns, "VSSTRESC", "VSSTRESN", "VSSTRESU"]
    assert out.index.tolist() == [7]
    assert out[["VSSTRESC", "VSSTRESN", "VSSTRESU"]].iloc[0].tolist() == ["80", 80.0, "kg"]


def test_bad_targets_and_arguments() -> None:
    frame = pd.DataFrame({"LBTESTCD": ["X"], "LBORRES": ["1"], "LBORRESU": ["mg"]})
    with pytest.raises(SpecError) as caught:
        standardize_units(frame, target_units={"INTLK6": "pg/mL", "CREAT": "umol/l", "X": "bogus"})
    message = str(caught.value)
    assert "'pg/mL' is a synonym; write the CDISC UNIT value 'ng/L'" in message
    assert "'umol/l' is a synonym; write the CDISC UNIT value 'umol/L'" in message
    assert "'bogus' is not a CDISC UNIT value" in message
    with pytest.raises(UsageError, match="new_vars must name three columns"):
        standardize_units(frame, new_vars=("A", "B"))
    with pytest.raises(UsageError, match=r"orresu='LBORESU'"):
        standardize_units(frame, orresu="LBORESU")
    with pytest.raises(UsageError, match="decimals must map test codes"):
        standardize_units(frame, decimals={"X": 1.5})
    with pytest.raises(UsageError, match="decimal_comma must be None, True or False"):
        standardize_units(frame, decimal_comma="yes")


def test_split_value_unit() -> None:
    values = pd.Series(
        [
            "72 kg",
            "35 Years ",
            "10mg",
            "<1.5 mg/L",
            "7,2 mmol/l",
            "NEG",
            "1:40",
            "1+",
            None,
            "98.6 °F",
        ],
        index=list("abcdefghij"),
    )
    out = split_value_unit(values)
    expected = pd.DataFrame(
        {
            "value": ["72", "35", "10", "<1.5", "7,2", "NEG", "1:40", "1+", np.nan, "98.6"],
            "unit": ["kg", "Years", "mg", "mg/L", "mmol/l", np.nan, np.nan, np.nan, np.nan, "°F"],
        },
        index=list("abcdefghij"),
    ).astype("str")
    pd.testing.assert_frame_equal(out, expected)


def test_study_specific_conversion_table(tmp_path) -> None:
    from sdtm.unitconversions import read_conversions

    path = tmp_path / "conversions.csv"
    path.write_text(
        "test,from_unit,to_unit,factor,offset,source\nVASREST,cm,mm,10,0,study VAS on 10 cm\n",
        encoding="utf-8",
    )
    frame = pd.DataFrame({"QSTESTCD": ["VASREST"], "QSORRES": ["6.3"], "QSORRESU": ["cm"]})
    out, findings = standardize_units(
        frame,
        "QSTESTCD",
        "QSORRES",
        "QSORRESU",
        {"VASREST": "mm"},
        ("QSSTRESC", "QSSTRESN", "QSSTRESU"),
        conversions=read_conversions(path),
    )
    # 6.3 cm x 10 = 63 mm
    assert out[["QSSTRESC", "QSSTRESN", "QSSTRESU"]].iloc[0].tolist() == ["63", 63.0, "mm"]
    assert findings.empty
