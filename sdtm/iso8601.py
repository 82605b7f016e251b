"""ISO 8601 --DTC text <-> components, and the calendar date of a --DTC value.

What ``sdtm.datetimes.parse_dtc`` writes can be taken apart again here (:func:`split_dtc`),
rebuilt from components (:func:`format_dtc`) and turned into dates for study-day arithmetic
(:func:`dtc_to_date`). SDTMIG 3.4 section 4.4 (reference/sdtm-adam-variables.md 1.5): extended
format ``YYYY-MM-DDThh:mm:ss(.n+)`` with an optional time zone, partial values by right
truncation, or with a hyphen for a missing intermediate component (``2003---15``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.errors import InputError, UsageError
from sdtm._args import TEXT

#: Precision names, coarsest first; a value's precision is its last known component.
PRECISIONS: tuple[str, ...] = ("year", "month", "day", "hour", "minute", "second")
_COMPONENTS = PRECISIONS


def format_dtc(parts: pd.DataFrame) -> pd.Series:
    """ISO 8601 text from components, right-truncated at the first missing component.

    ``parts`` has a ``year`` column and any of ``month``, ``day``, ``hour``, ``minute``,
    ``second`` (whole numbers, missing = unknown), ``fraction`` (digits of a second's
    fraction) and ``timezone`` (``Z`` or ``+hh:mm``, kept after a time). Components after the
    first missing one are not written (SDTMIG right truncation). Out-of-range components or
    impossible dates raise InputError naming the rows.

    >>> format_dtc(pd.DataFrame({"year": [2021, 2021], "month": [6, None], "day": [15, 3]})).tolist()
    ['2021-06-15', '2021']
    """
    function = "format_dtc"
    if not isinstance(parts, pd.DataFrame) or "year" not in parts.columns:
        raise UsageError(
            f"{function}: parts must be a DataFrame with a year column",
            hint="columns: year, month, day, hour, minute, second, fraction, timezone",
        )
    n = len(parts)
    values: dict[str, np.ndarray] = {}
    for name in _COMPONENTS:
        if name in parts.columns:
            values[name] = pd.to_numeric(parts[name], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
            text_given = parts[name].notna().to_numpy()
            bad = (text_given & np.isnan(values[name])) | (values[name] % 1 > 0)
            _fail_rows(bad, parts.index, f"{name} is not a whole number", function)
        else:
            values[name] = np.full(n, np.nan)
    fraction = _optional_text(parts, "fraction", n)
    timezone = _optional_text(parts, "timezone", n)
    bad = ~_calendar_ok(values["year"], values["month"], values["day"])
    bad |= ~_clock_ok(values["hour"], values["minute"], values["second"])
    bad |= ~np.isnan(values["year"]) & ((values["year"] < 0) | (values["year"] > 9999))
    _fail_rows(bad, parts.index, "no such date or time", function)
    dtc, _ = _format(values, fraction, timezone)
    return pd.Series(dtc, index=parts.index, dtype=TEXT)


_ISO_RE = (
    r"^(?P<year>\d{4}|-)(?:-(?P<month>\d{2}|-)(?:-(?P<day>\d{2}|-))?)?"
    r"(?:T(?P<hour>\d{2}|-)(?::(?P<minute>\d{2}|-)(?::(?P<second>\d{2}|-)"
    r"(?:\.(?P<fraction>\d+))?)?)?)?(?P<timezone>Z|[+-]\d{2}(?::\d{2})?)?$"
)


def split_dtc(dtc: pd.Series) -> pd.DataFrame:
    """The components of ISO 8601 --DTC text: the inverse of :func:`format_dtc`.

    Reads right-truncated values and SDTMIG's forms with a hyphen for a missing intermediate
    component (``2003---15``, ``2003-12-15T-:15``). Returns ``year`` ... ``second`` (Int64),
    ``fraction``, ``timezone`` and ``precision`` (last component before the first unknown).
    Text that is not ISO 8601 or names an impossible date raises InputError naming the rows.

    >>> split_dtc(pd.Series(["2021-06-15T07:25", "2003---15"]))["day"].tolist()
    [15, 15]
    """
    function = "split_dtc"
    dtc = _series(dtc, "dtc", function)
    codes, uniq = _factorize_text(dtc)
    tokens = uniq.str.extract(_ISO_RE)
    _fail_rows(
        tokens["year"].isna().to_numpy(),
        uniq.to_numpy(),
        "not ISO 8601 --DTC text",
        function,
        label="value",
    )
    values = {
        name: pd.to_numeric(tokens[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for name in _COMPONENTS
    }
    bad = ~_calendar_ok(values["year"], values["month"], values["day"])
    bad |= ~_clock_ok(values["hour"], values["minute"], values["second"])
    _fail_rows(bad, uniq.to_numpy(), "no such date or time", function, label="value")
    known = np.column_stack([~np.isnan(values[name]) for name in _COMPONENTS])
    level = np.cumprod(known, axis=1).sum(axis=1) if len(uniq) else np.zeros(0, dtype=int)
    out = {}
    for name in _COMPONENTS:
        column = np.append(values[name], np.nan)[codes]
        out[name] = pd.array(column, dtype="Float64").astype("Int64")
    for name in ("fraction", "timezone"):
        column = np.append(tokens[name].to_numpy(dtype=object, na_value=None), None)[codes]
        out[name] = pd.Series(column, dtype=TEXT).to_numpy()
    names = np.array([None, *PRECISIONS], dtype=object)
    out["precision"] = pd.Series(np.append(names[level], None)[codes], dtype=TEXT).to_numpy()
    frame = pd.DataFrame(out, index=dtc.index)
    for name in ("fraction", "timezone", "precision"):
        frame[name] = frame[name].astype(TEXT)
    return frame


def dtc_to_date(dtc: pd.Series) -> pd.Series:
    """The calendar date of each --DTC value with a complete date; partial or missing is NaT.

    Times and time zones are ignored (SDTMIG study day uses the date part). Text that is not
    ISO 8601 raises InputError (read raw text with :func:`parse_dtc` first).

    >>> dtc_to_date(pd.Series(["2021-06-15T07:25", "2021-06", None])).dt.strftime("%Y-%m-%d").tolist()
    ['2021-06-15', nan, nan]
    """
    dtc = _series(dtc, "dtc", "dtc_to_date")
    codes, uniq = _factorize_text(dtc)
    if len(uniq):
        parts = split_dtc(uniq)
        complete = (parts[["year", "month", "day"]].notna().all(axis=1)).to_numpy()
        days = np.full(len(uniq), np.datetime64("NaT"), dtype="datetime64[D]")
        days[complete] = uniq[complete].str.slice(0, 10).to_numpy(dtype=str).astype("datetime64[D]")
    else:
        days = np.zeros(0, dtype="datetime64[D]")
    column = np.append(days, np.datetime64("NaT", "D"))[codes]
    return pd.Series(column.astype("datetime64[s]"), index=dtc.index)


_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"


_SPACES = "\u00a0\u2007\u202f\t"


def _series(values: object, argument: str, function: str, index: pd.Index | None = None):
    """``values`` as a Series (a list or array gets ``index`` or a RangeIndex)."""
    if isinstance(values, pd.DataFrame):
        raise UsageError(
            f"{function}: {argument} must be one column (a Series), not a DataFrame",
            hint=f'pass dataset["COLUMN"] as {argument}',
        )
    if not isinstance(values, pd.Series):
        try:
            values = pd.Series(values, index=index)
        except (TypeError, ValueError) as exc:
            raise UsageError(
                f"{function}: {argument} must be a Series or a list of values ({exc})",
                hint=f"pass a pandas Series as {argument}",
            ) from None
    if index is not None and not values.index.equals(index):
        raise UsageError(
            f"{function}: {argument} has a different index from the first argument",
            hint="pass columns of the same frame",
        )
    return values


def _factorize_text(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes per row (-1 for missing/blank) and the distinct normalised texts."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        codes, uniq = pd.factorize(values)
        text = pd.Series(pd.DatetimeIndex(uniq).strftime("%Y-%m-%dT%H:%M:%S"), dtype=TEXT)
    else:
        codes, uniq = pd.factorize(values.astype(TEXT))
        text = pd.Series(np.asarray(uniq, dtype=object), dtype=TEXT)
        # Typed or pasted text: no-break spaces, en dashes, doubled blanks.
        text = text.str.translate(
            str.maketrans(_DASHES + _SPACES, "-" * len(_DASHES) + " " * len(_SPACES))
        )
        text = text.str.strip().str.replace(r"\s+", " ", regex=True)
    codes = np.asarray(codes, dtype=np.int64)
    blank = (text == "").to_numpy()
    if blank.any():
        # Blank texts become "missing": renumber so that they share code -1.
        keep = np.flatnonzero(~blank)
        remap = np.full(len(text), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        text = text.iloc[keep]
    return codes, text.reset_index(drop=True)


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    y = np.nan_to_num(year, nan=2000.0)
    m = np.clip(np.nan_to_num(month, nan=1.0), 1, 12).astype(int)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    dim = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[m]
    return np.where((m == 2) & leap, 29, dim)


def _calendar_ok(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """False where a known month or day is out of range for the known year/month."""
    with np.errstate(invalid="ignore"):
        bad_month = ~np.isnan(month) & ((month < 1) | (month > 12))
        bad_day = ~np.isnan(day) & ((day < 1) | (day > 31))
        full = ~np.isnan(year) & ~np.isnan(month) & ~np.isnan(day) & ~bad_month
        too_late = full & (day > _days_in_month(year, month))
    return ~(bad_month | bad_day | too_late)


def _clock_ok(hour: np.ndarray, minute: np.ndarray, second: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        bad = (hour < 0) | (hour > 23) | (minute < 0) | (minute > 59)
        bad |= (second < 0) | (second > 59)
    return ~bad


_YEARS = np.array([f"{y:04d}" for y in range(10000)], dtype=object)


_TWO = np.array([f"{v:02d}" for v in range(100)], dtype=object)


def _format(
    values: dict[str, np.ndarray], fraction: np.ndarray, timezone: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Right-truncated ISO 8601 text and precision level from component arrays."""
    n = len(values["year"])
    known = np.column_stack([~np.isnan(values[name]) for name in _COMPONENTS])
    level = np.cumprod(known, axis=1).sum(axis=1) if n else np.zeros(0, dtype=int)
    text = np.full(n, "", dtype=object)
    prefixes = ("", "-", "-", "T", ":", ":")
    for position, name in enumerate(_COMPONENTS):
        on = level > position
        number = np.nan_to_num(values[name]).astype(np.int64)
        table = _YEARS if position == 0 else _TWO
        piece = prefixes[position] + table[np.clip(number, 0, len(table) - 1)]
        text = np.where(on, text + piece, text)
    has_fraction = (level >= 6) & ~np.equal(fraction, None)
    text = np.where(has_fraction, text + "." + fraction.astype(str), text)
    has_zone = (level >= 4) & ~np.equal(timezone, None)
    text = np.where(has_zone, text + timezone.astype(str), text)
    return np.where(level > 0, text, None), level


def _optional_text(parts: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in parts.columns:
        return np.full(n, None, dtype=object)
    column = parts[name].astype(TEXT)
    return column.to_numpy(dtype=object, na_value=None)


def _fail_rows(
    bad: np.ndarray, labels: Sequence, message: str, function: str, *, label: str = "row"
) -> None:
    if not np.any(bad):
        return
    rows = np.flatnonzero(bad)
    where = [repr(labels[i]) if label == "value" else str(labels[i]) for i in rows[:5]]
    shown = ", ".join(where) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
    raise InputError(
        f"{function}: {message}: {label} {shown}",
        location=f"{label} {where[0]}",
        hint="read raw text with sdtm.datetimes.parse_dtc, which reports such values instead",
    )
