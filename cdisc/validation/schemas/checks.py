"""The vectorised checks the generated schemas run, and the ISO 8601 patterns they use.

Each check takes a column and returns a boolean Series, True where the value passes. Checks
run on the distinct values of a column (dates and codes repeat thousands of times per
dataset) and spread the verdict back to records; within a validation run the distinct values
and verdicts are kept (:mod:`cdisc.validation.columns`), so the SDM rules and a second check of
the same column pay nothing for them. Missing values pass every check here: the checks are
declared with ``ignore_na=False`` so pandera does not drop them first (a copy of the column
per check), and nullability is pandera's own check.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisc.standards import Variable
from cdisc.validation import columns

# --- ISO 8601 as SDTMIG 3.4 section 4.4 uses it ------------------------------------------------
# Unknown middle components are written as a single hyphen ("2003---15", "--12-15",
# "2003-12-15T-:15"), values may be right-truncated, and an interval is two values joined by
# "/" (either side may be a duration).
_Y, _M, _D = r"\d{4}", r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])"
_HH, _MM, _SS = r"(?:[01]\d|2[0-3])", r"[0-5]\d", r"[0-5]\d(?:[.,]\d+)?"
_DATE = rf"(?:{_Y}|-)(?:-(?:{_M}|-)(?:-(?:{_D}|-))?)?"
_TIME = rf"T(?:{_HH}|-)(?::(?:{_MM}|-)(?::(?:{_SS}|-))?)?"
_ZONE = rf"(?:Z|[+-]{_HH}(?::?{_MM})?)"
_DATETIME = rf"(?=[^/]*\d){_DATE}(?:{_TIME}{_ZONE}?)?"
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"-?P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_POINT = rf"(?:{_DATETIME}|{_DURATION})"
ISO_DATETIME = re.compile(rf"{_DATETIME}(?:/{_POINT})?|{_DURATION}/{_DATETIME}")
ISO_DURATION = re.compile(rf"{_DURATION}|{_DATETIME}/{_POINT}|{_DURATION}/{_DATETIME}")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# SDTMIG 3.4 section 4.2.8.3: a non-result qualifier with several values holds "MULTIPLE"
# (DM assumption 6: RACE), a value CT 2025-03-28 does not list in non-extensible RACE (C74457).
_MULTIPLE = "MULTIPLE"


# --- vectorised checks (each returns a boolean Series, True where the value passes) -------------


def _is_char(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _is_type(series: pd.Series, expected: str) -> bool:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return numeric if expected == "Num" else (not numeric and _is_char(series))


def _passing(series: pd.Series, what: str, bad: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """True except where ``series`` holds a value that ``bad`` (run once on the distinct
    non-missing values, and kept for the validation run under ``what``) marks True; missing
    values pass (the null checks are pandera's)."""
    return pd.Series(~columns.flags(series, what, bad), index=series.index)


def _in_values(series: pd.Series, allowed: frozenset[str], numbers: bool, key: str) -> pd.Series:
    """``key`` names ``allowed`` (the codelists it comes from) for the run's column cache."""
    if not _is_char(series):
        return pd.Series(True, index=series.index)  # the type check reports it

    def bad(values: pd.Series) -> pd.Series:
        out = ~values.isin(allowed)
        if numbers:
            out &= pd.to_numeric(values, errors="coerce").isna()
        return out

    return _passing(series, f"in:{key}:{numbers}", bad)


def _not_multiple(series: pd.Series) -> pd.Series:
    """False where a text value is MULTIPLE (SCH016)."""
    if not _is_char(series):
        return pd.Series(True, index=series.index)
    return _passing(series, "multiple", lambda v: v == _MULTIPLE)


def _fits(series: pd.Series, length: int, encoding: str) -> pd.Series:
    if not _is_char(series):
        return pd.Series(True, index=series.index)
    return _passing(
        series, f"longer:{length}:{encoding}", lambda v: columns.byte_lengths(v, encoding) > length
    )


def _iso(series: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    if not _is_char(series):
        return pd.Series(True, index=series.index)

    def bad(values: pd.Series) -> np.ndarray:
        # plain strings and the compiled patterns: the distinct dates of a large LB number
        # hundreds of thousands, and pandas' string methods cost a copy per call
        texts = list(map(str, values.to_numpy(dtype=object)))
        ok = np.fromiter((pattern.fullmatch(t) is not None for t in texts), bool, len(texts))
        # The regex admits 2023-02-30; a complete calendar date must also exist.
        days = pd.Series([t[:10] if _FULL_DATE.match(t) else None for t in texts], dtype=object)
        real = pd.to_datetime(days, format="%Y-%m-%d", errors="coerce").notna().to_numpy()
        return ~(ok & (days.isna().to_numpy() | real))

    return _passing(series, f"iso:{pattern.pattern}", bad)


def _has_match(columns: pd.DataFrame, variable: Variable) -> bool:
    return any(variable.matches(c) for c in columns.columns)
