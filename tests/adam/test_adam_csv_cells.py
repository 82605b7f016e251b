"""The ADaM stage's CSVs (lineage, censoring table, Kaplan-Meier estimates) never carry a
spreadsheet formula from the data (issue 8, hostile input); numbers stay numbers.

Expected cells are written out by hand and read back with the csv module.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from adam.adambuild import _tte_report, _write_lineage

EVIL = '=HYPERLINK("http://evil.example/?q=1","click")'


def _adtte() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": "S",
            "USUBJID": [EVIL, "@S-2", "S-3"],
            "PARAMCD": "TTDEATH",
            "PARAM": "Time to death",
            "TRTP": ["+Drug", "Placebo", "+Drug"],
            "CNSR": [0.0, 1.0, 1.0],
            "ADT": pd.to_datetime(["2021-03-01", "2021-06-30", "2021-05-01"]),
            "AVAL": [60.0, 181.0, 121.0],
            "STARTDT": pd.to_datetime(["2021-01-01"] * 3),
            "AVISITN": [-1.0, -1.0, -1.0],
            "SRCDOM": ["DS", "ADSL", "ADSL"],
            "SRCVAR": ["DSSTDTC", "LSTALVDT", "LSTALVDT"],
            "SRCSEQ": [3.0, np.nan, np.nan],
            "EVNTDESC": ["DEATH", None, None],
            "CNSDTDSC": [None, "-LAST DATE KNOWN ALIVE", "LAST DATE KNOWN ALIVE"],
        }
    )


def _rows(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_lineage_csvs_write_formula_text_as_text(tmp_path) -> None:
    adsl = pd.DataFrame(
        {
            "USUBJID": [EVIL],
            "VARIABLE": ["TRTSDT"],
            "SRCDOM": ["EX"],
            "SRCVAR": ["EXSTDTC"],
            "SRCSEQ": [1.0],
        }
    )
    _write_lineage(tmp_path, adsl, {"ADTTE": _adtte()})
    assert _rows(tmp_path / "adsl.csv") == [
        ["USUBJID", "VARIABLE", "SRCDOM", "SRCVAR", "SRCSEQ"],
        ["'" + EVIL, "TRTSDT", "EX", "EXSTDTC", "1.0"],
    ]
    assert _rows(tmp_path / "adtte.csv") == [
        ["RECORD", "USUBJID", "PARAMCD", "AVISITN", "SRCDOM", "SRCVAR", "SRCSEQ"],
        ["1", "'" + EVIL, "TTDEATH", "-1.0", "DS", "DSSTDTC", "3.0"],
        ["2", "'@S-2", "TTDEATH", "-1.0", "ADSL", "LSTALVDT", ""],
        ["3", "S-3", "TTDEATH", "-1.0", "ADSL", "LSTALVDT", ""],
    ]


def test_censoring_and_estimate_csvs_write_formula_text_as_text(tmp_path) -> None:
    _tte_report(_adtte(), tmp_path, "adam")
    censoring = _rows(tmp_path / "adam" / "censoring.csv")
    assert [row[0] for row in censoring] == ["USUBJID", "'" + EVIL, "'@S-2", "S-3"]
    assert [row[-1] for row in censoring] == [
        "REASON",
        "DEATH",
        "'-LAST DATE KNOWN ALIVE",
        "LAST DATE KNOWN ALIVE",
    ]
    estimates = _rows(tmp_path / "adam" / "km_estimates.csv")
    assert estimates[0][:2] == ["PARAMCD", "TRTP"]
    assert sorted({row[1] for row in estimates[1:]}) == ["'+Drug", "Placebo"]
