"""ISO 8601 value tests for the SDM rules (Trial Summary values): dates and durations.

SDTMIG 3.4 section 4.4: extended format, right truncation, "-" for a missing intermediate
component; intervals "a/b" of dates or durations. Dates are checked against the calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# --- ISO 8601 (SDTMIG 3.4 section 4.4: extended format, right truncation, "-" for a missing
# intermediate component; intervals "a/b" of dates or durations) -----------------------------
_DATETIME = (
    r"(?P<y>\d{4}|-)(?:-(?P<m>\d{2}|-)(?:-(?P<d>\d{2}|-))?)?"
    r"(?:T(?P<h>\d{2}|-)(?::(?P<n>\d{2}|-)(?::(?P<s>\d{2}|-)(?:\.\d+)?)?)?)?"
    r"(?:Z|[+-]\d{2}(?::\d{2})?)?"
)
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"P(?=[\dT])(?:{_NUM}W|(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)"
)
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def iso_datetime_ok(values: pd.Series, *, intervals: bool = True) -> pd.Series:
    """True where text is an SDTM ISO 8601 date/time (partial allowed) with a real calendar
    date and clock time, or (``intervals``) an interval of two of them or of one and a
    duration. Missing values count as valid.

    >>> iso_datetime_ok(pd.Series(["2021-06-15T07:25", "2003---15", "2021-02-30", "15JUN2021"])).tolist()
    [True, True, False, False]
    """
    text = values.astype("string")
    ok = _one_datetime_ok(text)
    if intervals:
        parts = text.str.split("/", n=1, expand=True).reindex(columns=[0, 1])
        both = text.str.count("/").eq(1).fillna(False)
        left, right = parts[0], parts[1]
        left_dt, right_dt = _one_datetime_ok(left), _one_datetime_ok(right)
        left, right = left.astype("string"), right.astype("string")
        left_p = left.str.fullmatch(_DURATION).fillna(False)
        right_p = right.str.fullmatch(_DURATION).fillna(False)
        interval = (left_dt & (right_dt | right_p)) | (left_p & right_dt)
        ok = ok | (both & interval)
    return ok | text.isna()


def _one_datetime_ok(text: pd.Series) -> pd.Series:
    text = text.astype("string")
    parts = text.str.extract(f"^{_DATETIME}$")
    matched = text.str.fullmatch(_DATETIME).fillna(False) & text.str.contains(r"\d").fillna(False)
    number = {k: pd.to_numeric(parts[k], errors="coerce") for k in "ymdhns"}
    month, day = number["m"], number["d"]
    year = number["y"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = pd.Series(_DAYS[month.fillna(0).clip(0, 12).astype(int)], index=text.index)
    month_days = month_days.where(~((month == 2) & ~leap.fillna(True)), 28)
    bad = (month < 1) | (month > 12) | (day < 1) | (day > month_days)
    bad |= (number["h"] > 23) | (number["n"] > 59) | (number["s"] > 59)
    return matched & ~bad.fillna(False)


def iso_duration_ok(
    values: pd.Series, *, negative: bool = False, intervals: bool = False
) -> pd.Series:
    """True where text is an ISO 8601 duration (``P1Y2M``, ``PT15M``, ``P2W``); ``negative``
    allows a leading ``-`` (elapsed times before the reference), ``intervals`` also accepts
    date/time intervals. Missing values count as valid.

    >>> iso_duration_ok(pd.Series(["P3D", "PT1.5H", "3 days", "P", "PT"])).tolist()
    [True, True, False, False, False]
    """
    text = values.astype("string")
    pattern = ("-?" if negative else "") + _DURATION
    ok = text.str.fullmatch(pattern).fillna(False)
    if intervals:
        ok = ok | (text.str.contains("/").fillna(False) & iso_datetime_ok(text))
    return ok | text.isna()
