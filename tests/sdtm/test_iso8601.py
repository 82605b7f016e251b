"""format_dtc, split_dtc and dtc_to_date: ISO 8601 text <-> components <-> dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.errors import InputError, UsageError
from sdtm.datetimes import dtc_to_date, format_dtc, split_dtc


def test_format_truncates_at_first_missing_component() -> None:
    parts = pd.DataFrame(
        {
            "year": [2003, 2003, 2003, 2003, 2003, None],
            "month": [12, 12, 12, None, 12, 12],
            "day": [15, 15, 15, 15, None, 15],
            "hour": [13, 13, None, 13, None, None],
            "minute": [14, 14, 14, None, None, None],
            "second": [17, None, None, None, None, None],
            "fraction": ["123", None, None, None, None, None],
        }
    )
    # SDTMIG 4.4.2's own example chain: 2003-12-15T13:14:17.123 -> ... -> 2003.
    assert format_dtc(parts).tolist() == [
        "2003-12-15T13:14:17.123",
        "2003-12-15T13:14",
        "2003-12-15",  # hour unknown: minute 14 cannot be written
        "2003",  # month unknown: day and time dropped
        "2003-12",
        np.nan,  # year unknown
    ]


def test_format_rejects_impossible_components() -> None:
    with pytest.raises(InputError, match=r"no such date or time: row 1"):
        format_dtc(pd.DataFrame({"year": [2021, 2021], "month": [2, 2], "day": [28, 30]}))
    with pytest.raises(InputError, match="month is not a whole number"):
        format_dtc(pd.DataFrame({"year": [2021], "month": [2.5]}))
    with pytest.raises(UsageError, match="year column"):
        format_dtc(pd.DataFrame({"month": [1]}))


def test_split_reads_truncated_and_intermediate_forms() -> None:
    dtc = pd.Series(["2003-12-15T13:14:17.123", "2003---15", "2003-12-15T-:15", "2021", None])
    out = split_dtc(dtc)
    expected = pd.DataFrame(
        {
            "year": pd.array([2003, 2003, 2003, 2021, None], dtype="Int64"),
            "month": pd.array([12, None, 12, None, None], dtype="Int64"),
            "day": pd.array([15, 15, 15, None, None], dtype="Int64"),
            "hour": pd.array([13, None, None, None, None], dtype="Int64"),
            "minute": pd.array([14, None, 15, None, None], dtype="Int64"),
            "second": pd.array([17, None, None, None, None], dtype="Int64"),
            "fraction": pd.Series(["123", None, None, None, None], dtype="str"),
            "timezone": pd.Series([None] * 5, dtype="str"),
            # precision = last component before the first unknown one
            "precision": pd.Series(["second", "year", "day", "year", None], dtype="str"),
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_split_rejects_text_that_is_not_iso() -> None:
    with pytest.raises(InputError, match=r"not ISO 8601 --DTC text: value '15/06/2021'"):
        split_dtc(pd.Series(["2021-06-15", "15/06/2021"]))
    with pytest.raises(InputError, match=r"no such date or time: value '2021-02-30'"):
        split_dtc(pd.Series(["2021-02-30"]))


def test_dtc_to_date_complete_dates_only() -> None:
    dtc = pd.Series(
        ["2021-06-15T07:25", "2021-06", "2003---15", None, "2020-02-29"], index=[5, 4, 3, 2, 1]
    )
    out = dtc_to_date(dtc)
    expected = pd.Series(
        pd.to_datetime(["2021-06-15", None, None, None, "2020-02-29"]).astype("datetime64[s]"),
        index=[5, 4, 3, 2, 1],
    )
    pd.testing.assert_series_equal(out, expected)
