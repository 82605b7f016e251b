"""The dates of the real Rave-style exports (pharmaverse sdtm.oak raw data), read by hand.

The CSVs are read with the csv module; every expected value below was written by reading the
file's row, not by running the code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from sdtm.datetimes import parse_dtc, problem_code


def column(path: Path, name: str) -> pd.Series:
    with open(path, newline="", encoding="utf-8") as handle:
        return pd.Series([row[name] for row in csv.DictReader(handle)], dtype=object)


def as_lists(out: pd.DataFrame) -> tuple[list, list]:
    dtc = [None if pd.isna(v) else v for v in out["dtc"]]
    codes = [None if pd.isna(v) else v for v in problem_code(out["problem"])]
    return dtc, codes


def test_cm_start_dates_and_times(rave_folder: Path) -> None:
    path = rave_folder / "cm_raw_data.csv"
    out = parse_dtc(
        column(path, "MDBDR"),
        column(path, "MDBTM"),
        formats=["DD-MON-YY", "DD MON YYYY"],
        two_digit_year_pivot=1950,
    )
    dtc, codes = as_lists(out)
    assert dtc == [
        None,  # blank
        "2020-09-15",  # 15-Sep-20
        "2021-02-17T08:00",  # 17-Feb-21 + 8:00
        "2020-10-04T09:00",  # 4-Oct-20 + 9:00
        "2020-01-20T10:00",  # 20-Jan-20 + 10:00
        "2019",  # UN UNK 2019
        "2019",  # 20 UNK 2019 + 10:00: month unknown, day and time dropped
        "2020",  # UN UNK 2020
        "2020-01-26T09:00",  # 26-Jan-20 + 9:00
        "2020-01-28",  # 28-Jan-20
        "2020-02-12T12:12",  # 12-Feb-20 + 12:12
        "2020",  # 10 UNK 2020
        None,
        None,
    ]
    assert (
        codes
        == [None] * 6 + ["day-without-month"] + [None] * 4 + ["day-without-month"] + [None] * 2
    )


def test_cm_end_dates_month_first(rave_folder: Path) -> None:
    path = rave_folder / "cm_raw_data.csv"
    declared = parse_dtc(column(path, "MDEDT"), formats=["MM/DD/YY"], two_digit_year_pivot=1950)
    assert as_lists(declared)[0] == [
        None,
        None,
        "2021-02-17",  # 2/17/21
        None,
        "2020-01-20",  # 1/20/20
        "2019-06-15",  # 6/15/19
        "2019-06-15",
        "2020-06-15",  # 6/15/20
        "2020-01-26",  # 1/26/20
        "2020-02-01",  # 2/1/20
        "2020-02-18",  # 2/18/20
        "2020-06-15",
        None,
        "2020-02-17",  # 2/17/20
    ]
    # Undeclared, 2/1/20 reads as 2 January or February 1: reported, not guessed. The others
    # have a day above 12, so only the month-first reading is a date.
    guessed = parse_dtc(column(path, "MDEDT"), two_digit_year_pivot=1950)
    dtc, codes = as_lists(guessed)
    assert codes[9] == "ambiguous-day-month" and dtc[9] is None
    assert [d for i, d in enumerate(dtc) if i != 9] == [
        d for i, d in enumerate(as_lists(declared)[0]) if i != 9
    ]


def test_vitals_date_and_time_without_leading_zero(rave_folder: Path) -> None:
    path = rave_folder / "vitals_raw_data.csv"
    out = parse_dtc(column(path, "VTLD"), column(path, "VTLTM"), two_digit_year_pivot=1950)
    assert as_lists(out) == (
        [
            "2015-05-16T07:25",  # 16-May-15 + 7:25
            "2015-05-16T10:25",
            "2018-05-06T02:01",  # 6-May-18 + 2:01
            None,  # assessment not done: blank date and time
            "2008-10-23T01:19",  # 23-Oct-08 + 1:19
            "2008-10-23T03:19",
        ],
        [None] * 6,
    )
