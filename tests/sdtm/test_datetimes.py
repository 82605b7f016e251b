"""parse_dtc and parse_dtc_twins: every messy form seen in real exports, worked out by hand.

Expected ISO values follow SDTMIG 3.4 section 4.4 (right truncation, no imputation); each
comment says how the value was read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.errors import SpecError, UsageError
from sdtm.datetimes import (
    ERROR_CODES,
    PROBLEMS,
    parse_dtc,
    parse_dtc_by,
    parse_dtc_twins,
    problem_code,
)


def read(dates, times=None, **kwargs) -> list[tuple[object, object, object]]:
    """(dtc, precision, problem code) per value, NaN as None, for compact comparisons."""
    index = pd.RangeIndex(len(dates))
    times = None if times is None else pd.Series(times, index=index, dtype=object)
    out = parse_dtc(pd.Series(dates, index=index, dtype=object), times, **kwargs)
    codes = problem_code(out["problem"])
    rows = zip(out["dtc"], out["precision"], codes, strict=True)
    return [tuple(None if pd.isna(v) else v for v in row) for row in rows]


def test_partial_dates_truncate_on_the_right() -> None:
    assert read(["UN UNK 2019", "UNK-JAN-2020", "1990-06", "UN Apr 2021", "2019"]) == [
        ("2019", "year", None),  # day and month unknown: the year only
        ("2020-01", "month", None),  # day unknown, JAN = 01
        ("1990-06", "month", None),  # already ISO, month precision
        ("2021-04", "month", None),  # Apr = 04
        ("2019", "year", None),
    ]


def test_known_day_of_unknown_month_is_dropped_and_reported() -> None:
    # ISO 8601 right truncation cannot write "day 20 of an unknown month" (SDTMIG's
    # 2019---20 is not used), so the year is kept and the dropped day reported.
    assert read(["20 UNK 2019", "10 UNK 2020"]) == [
        ("2019", "year", "day-without-month"),
        ("2020", "year", "day-without-month"),
    ]


def test_complete_dates_in_site_formats() -> None:
    assert read(
        ["2012-04-12", "11-Apr-2012", "2013 Feb 01", "Apr 11, 2012", "11 Apr 2012", "31JAN2020"]
    ) == [
        ("2012-04-12", "day", None),
        ("2012-04-11", "day", None),  # DD-Mon-YYYY
        ("2013-02-01", "day", None),  # YYYY Mon DD (Rave _RAW)
        ("2012-04-11", "day", None),  # Mon DD, YYYY
        ("2012-04-11", "day", None),
        ("2020-01-31", "day", None),  # SAS DATE9
    ]


def test_datetime_in_one_column_keeps_its_time() -> None:
    assert read(["11-Apr-2012 11:58:00", "2021-06-15T07:25", "2021-06-15 7:25 PM"]) == [
        ("2012-04-11T11:58:00", "second", None),
        ("2021-06-15T07:25", "minute", None),
        ("2021-06-15T19:25", "minute", None),  # 7 PM = 7 + 12 = 19
    ]


def test_dutch_and_english_month_names() -> None:
    assert read(["11 mei 2021", "3 mrt 2020", "1 okt 2020", "12 maart 2019", "5 Sept 2018"]) == [
        ("2021-05-11", "day", None),  # mei = May
        ("2020-03-03", "day", None),  # mrt = maart = March
        ("2020-10-01", "day", None),  # okt = October
        ("2019-03-12", "day", None),
        ("2018-09-05", "day", None),
    ]


def test_invalid_calendar_dates_are_reported_never_guessed() -> None:
    assert read(["2021-02-30", "2021-02-29", "2020-02-29", "1900-02-29", "2000-02-29"]) == [
        (None, None, "invalid-calendar-date"),  # February has 28 days in 2021
        (None, None, "invalid-calendar-date"),  # 2021 is not a leap year
        ("2020-02-29", "day", None),  # 2020 is (divisible by 4)
        (None, None, "invalid-calendar-date"),  # 1900: divisible by 100, not by 400
        ("2000-02-29", "day", None),  # 2000: divisible by 400
    ]
    assert read(["31-Apr-2021", "13/13/2021"]) == [
        (None, None, "invalid-calendar-date"),  # April has 30 days
        (None, None, "invalid-calendar-date"),  # month 13 either way round
    ]


def test_ambiguous_day_month_without_a_declared_format() -> None:
    assert read(["03/04/2021", "13/04/2021", "04/13/2021", "03/03/2021"]) == [
        (None, None, "ambiguous-day-month"),  # 3 April or March 4: both valid
        ("2021-04-13", "day", None),  # 13 cannot be a month: day first
        ("2021-04-13", "day", None),  # 13 cannot be a month: month first
        ("2021-03-03", "day", None),  # both readings give the same date
    ]


def test_declared_day_month_order_decides() -> None:
    assert read(["03/04/2021"], formats=["DD/MM/YYYY"]) == [("2021-04-03", "day", None)]
    assert read(["03/04/2021"], formats=["MM/DD/YYYY"]) == [("2021-03-04", "day", None)]
    assert read(["03/04/2021"], formats=["%d/%m/%Y"]) == [("2021-04-03", "day", None)]
    # ISO 8601 is always read; an undeclared site format is not.
    assert read(["2021-06-15", "11-Apr-2012"], formats=["DD/MM/YYYY"]) == [
        ("2021-06-15", "day", None),
        (None, None, "unparseable"),
    ]


def test_first_valid_declared_format_wins() -> None:
    # 25/12/2021 is not valid as MM/DD, so the second declared format reads it.
    assert read(["12/25/2021", "25/12/2021"], formats=["MM/DD/YYYY", "DD/MM/YYYY"]) == [
        ("2021-12-25", "day", None),
        ("2021-12-25", "day", None),
    ]


def test_two_digit_year_needs_a_pivot() -> None:
    assert read(["16-May-15", "2/17/21"]) == [
        (None, None, "two-digit-year"),
        (None, None, "two-digit-year"),
    ]
    # Pivot 1950 = window 1950..2049: 15 -> 2015, 49 -> 2049, 50 -> 1950, 99 -> 1999.
    assert read(["16-May-15", "1-Jan-49", "1-Jan-50", "31-Dec-99"], two_digit_year_pivot=1950) == [
        ("2015-05-16", "day", None),
        ("2049-01-01", "day", None),
        ("1950-01-01", "day", None),
        ("1999-12-31", "day", None),
    ]
    # Pivot 1916 = window 1916..2015: 15 -> 2015, 16 -> 1916.
    assert read(["16-May-15", "16-May-16"], two_digit_year_pivot=1916) == [
        ("2015-05-16", "day", None),
        ("1916-05-16", "day", None),
    ]
    # 2/17/21: 17 cannot be a month, so M/D/YY; 21 -> 2021.
    assert read(["2/17/21"], two_digit_year_pivot=1950) == [("2021-02-17", "day", None)]


def test_separate_times() -> None:
    dates = ["16-May-2015", "6-May-2018", "2021-06-15", "2021-06-15", "2021-06-15", "2021-06-15"]
    times = ["7:25", "2:01", "07:25:00.000", "7.25", "0725", "12:05 AM"]
    assert read(dates, times) == [
        ("2015-05-16T07:25", "minute", None),  # leading zero added
        ("2018-05-06T02:01", "minute", None),
        ("2021-06-15T07:25:00", "second", None),  # .000 dropped, seconds kept
        ("2021-06-15T07:25", "minute", None),  # 7.25 written with a dot
        ("2021-06-15T07:25", "minute", None),  # HHMM
        ("2021-06-15T00:05", "minute", None),  # 12 AM = 00
    ]


def test_time_problems() -> None:
    dates = [None, "UN UNK 2019", "2021-06-15", "2021-06-15", "2021-06-15", "2021-06-15T08:00"]
    times = ["7:25", "10:00", "25:00", "13:00 PM", "soon", "07:25"]
    assert read(dates, times) == [
        (None, None, "time-without-date"),
        ("2019", "year", "time-with-partial-date"),  # no day: the time cannot be written
        ("2021-06-15", "day", "invalid-time"),  # hour 25: date kept
        ("2021-06-15", "day", "invalid-time"),  # 13 on a 12-hour clock
        ("2021-06-15", "day", "unparseable-time"),
        ("2021-06-15T07:25", "minute", "conflicting-time"),  # separate time wins
    ]
    # An unknown time adds nothing and loses nothing.
    assert read(["2021-06-15", "2021-06-15"], ["UN:UN", "10:UN"]) == [
        ("2021-06-15", "day", None),
        ("2021-06-15T10", "hour", None),
    ]


def test_export_artefacts_and_declared_precision() -> None:
    values = ["2021-04-11T00:00:00.000", "31JAN2020:00:00:00.000", "11-Apr-2012 11:58:00"]
    assert read(values) == [
        ("2021-04-11T00:00:00", "second", None),  # midnight kept when nothing is declared
        ("2020-01-31T00:00:00", "second", None),
        ("2012-04-11T11:58:00", "second", None),
    ]
    assert read(values, max_precision="day") == [
        ("2021-04-11", "day", None),  # a zero time is an artefact: dropped silently
        ("2020-01-31", "day", None),
        ("2012-04-11", "day", "beyond-declared-precision"),  # 11:58 is not zero: reported
    ]
    assert read(["2021-06-15"], ["07:25:00.000"], max_precision="minute") == [
        ("2021-06-15T07:25", "minute", None)
    ]


def test_unknown_year_missing_and_garbage() -> None:
    assert read(
        ["15 JUN UNKN", "UN UNK UNKN", None, "   ", "garbage", "2021-06-15T07:25+0100"]
    ) == [
        (None, None, "unknown-year"),  # month and day known, year not: nothing to write
        (None, None, "date-unknown"),  # completely unknown: null, reported (issue 8)
        (None, None, None),
        (None, None, None),
        (None, None, "unparseable"),
        ("2021-06-15T07:25+01:00", "minute", None),  # time zone kept, written +hh:mm
    ]


def test_index_order_and_dtypes_preserved() -> None:
    dates = pd.Series(["2019", None, "16-May-2015"], index=[30, 10, 20])
    out = parse_dtc(dates)
    expected = pd.DataFrame(
        {
            "dtc": pd.Series(["2019", np.nan, "2015-05-16"], index=[30, 10, 20], dtype="str"),
            "precision": pd.Series(["year", np.nan, "day"], index=[30, 10, 20], dtype="str"),
            "problem": pd.Series([np.nan] * 3, index=[30, 10, 20], dtype="str"),
        }
    )
    pd.testing.assert_frame_equal(out, expected)


def test_problem_text_carries_code_and_words() -> None:
    out = parse_dtc(pd.Series(["2021-02-30"]))
    assert out["problem"].iloc[0] == "invalid-calendar-date: " + PROBLEMS["invalid-calendar-date"]


def test_datetime64_input() -> None:
    values = pd.Series(pd.to_datetime(["2021-06-15 07:25", "2021-06-16 00:00", None]))
    # A datetime64 column always has a time: seconds are dropped under "minute" (all zero),
    # and the whole midnight under "day".
    assert parse_dtc(values, max_precision="minute")["dtc"].tolist() == [
        "2021-06-15T07:25",
        "2021-06-16T00:00",
        np.nan,
    ]
    assert read(values.tolist(), max_precision="day") == [
        ("2021-06-15", "day", "beyond-declared-precision"),
        ("2021-06-16", "day", None),
        (None, None, None),
    ]


def test_bad_arguments() -> None:
    with pytest.raises(SpecError, match=r"unknown directive %Q"):
        parse_dtc(pd.Series(["x"]), formats=["%d/%Q/%Y"])
    with pytest.raises(SpecError, match=r"did you mean 'DD/MM/YYYY'"):
        parse_dtc(pd.Series(["x"]), formats=["DD/MM/YYY"])
    with pytest.raises(SpecError, match=r"'%d/%m': no year"):
        parse_dtc(pd.Series(["x"]), formats=["%d/%m", "%Y"])
    with pytest.raises(SpecError, match="must be a list"):
        parse_dtc(pd.Series(["x"]), formats="DD/MM/YYYY")
    with pytest.raises(UsageError, match="two_digit_year_pivot must be a 4-digit year"):
        parse_dtc(pd.Series(["x"]), two_digit_year_pivot=50)
    with pytest.raises(UsageError, match="max_precision must be one of"):
        parse_dtc(pd.Series(["x"]), max_precision="days")
    with pytest.raises(UsageError, match="times has a different index"):
        parse_dtc(pd.Series(["2021"]), pd.Series(["7:25"], index=[5]))
    with pytest.raises(UsageError, match="must be one column"):
        parse_dtc(pd.DataFrame({"a": ["2021"]}))


def test_twins_prefer_what_was_typed() -> None:
    value = pd.Series(
        ["2013-02-01T00:00:00", None, "2015-05-16T00:00:00", "2020-01-01T00:00:00", None, "2019"]
    )
    raw = pd.Series(["2013 Feb 01", "UN UNK 2019", "16-May-15", "02 Jan 2020", None, None])
    out = parse_dtc_twins(value, raw)
    expected = pd.DataFrame(
        {
            # 1: typed date, midnight artefact of X ignored; 2: partial only in _RAW;
            # 3: 2-digit year unreadable without pivot, X used; 4: typed 2 Jan vs X 1 Jan:
            # typed kept, reported; 5: nothing; 6: only X.
            "dtc": ["2013-02-01", "2019", "2015-05-16", "2020-01-02", np.nan, "2019"],
            "precision": ["day", "year", "day", "day", np.nan, "year"],
            "problem": [
                np.nan,
                np.nan,
                "raw-unreadable-twin-used",
                "raw-twin-mismatch",
                np.nan,
                np.nan,
            ],
            "source": ["raw", "raw", "value", "raw", np.nan, "value"],
        }
    ).astype("str")
    out["problem"] = problem_code(out["problem"])
    pd.testing.assert_frame_equal(out, expected)


def test_twins_with_pivot_agree() -> None:
    out = parse_dtc_twins(
        pd.Series(["2015-05-16T00:00:00"]), pd.Series(["16-May-15"]), two_digit_year_pivot=1950
    )
    assert out.iloc[0].tolist() == ["2015-05-16", "day", np.nan, "raw"]


def test_formats_declared_per_site() -> None:
    dates = pd.Series(["03/04/2021", "03/04/2021", "03/04/2021", "13/04/2021"], index=[9, 8, 7, 6])
    sites = pd.Series(["NL01", "US01", None, "XX"], index=[9, 8, 7, 6])
    out = parse_dtc_by(dates, sites, {"NL01": ["DD/MM/YYYY"], "US01": ["MM/DD/YYYY"]})
    assert out.index.tolist() == [9, 8, 7, 6]
    assert out["dtc"].tolist() == [
        "2021-04-03",  # Dutch site: 3 April
        "2021-03-04",  # US site: March 4
        np.nan,  # no site: built-in formats, ambiguous
        "2021-04-13",  # undeclared site, but 13 can only be the day
    ]
    assert problem_code(out["problem"]).tolist() == [np.nan, np.nan, "ambiguous-day-month", np.nan]
    with pytest.raises(SpecError, match="unknown directive"):
        parse_dtc_by(dates, sites, {"NL01": ["%d/%q/%Y"]})


def test_errors_leave_dtc_missing_and_warnings_do_not() -> None:
    dates = ["20 UNK 2019", "2021-02-30", "03/04/2021", "16-May-15", "garbage", "15 JUN UNKN"]
    dates += [None, "UN UNK 2019", "2021-06-15", "2021-06-15", "2021-06-15T08:00", "2012-04-11"]
    times = [None, None, None, None, None, None, "7:25", "10:00", "25:00", "soon", "07:25"]
    times += ["11:58"]
    rows = read(dates, times, max_precision="day")
    codes = {code for _, _, code in rows if code}
    assert codes == {
        "day-without-month",
        "invalid-calendar-date",
        "ambiguous-day-month",
        "two-digit-year",
        "unparseable",
        "unknown-year",
        "time-without-date",
        "time-with-partial-date",
        "invalid-time",
        "unparseable-time",
        "conflicting-time",
        "beyond-declared-precision",
    }
    for dtc, _, code in rows:
        assert (code in ERROR_CODES) == (dtc is None), (dtc, code)
    assert set(ERROR_CODES) <= set(PROBLEMS)
