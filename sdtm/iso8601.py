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
    values, fraction, timezone = _distinct_parts(uniq, function)
    known = np.column_stack([~np.isnan(values[name]) for name in _COMPONENTS])
    level = np.cumprod(known, axis=1).sum(axis=1) if len(uniq) else np.zeros(0, dtype=int)
    out = {}
    for name in _COMPONENTS:
        column = np.append(values[name], np.nan)[codes]
        out[name] = pd.array(column, dtype="Float64").astype("Int64")
    for name, texts in (("fraction", fraction), ("timezone", timezone)):
        column = np.append(texts, None)[codes]
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
    return pd.Series(dtc_days(dtc).astype("datetime64[s]"), index=dtc.index)


def dtc_days(dtc: pd.Series) -> np.ndarray:
    """:func:`dtc_to_date` as a ``datetime64[D]`` array (for day arithmetic), NaT where the
    date is partial or missing.

    >>> dtc_days(pd.Series(["2021-06-15T07:25", "2021-06", None])).tolist()
    [datetime.date(2021, 6, 15), None, None]
    """
    dtc = _series(dtc, "dtc", "dtc_days")
    codes, uniq = _factorize_text(dtc)
    # Bad text is reported as split_dtc always reported it (these read through it).
    values, _, _ = _distinct_parts(uniq, "split_dtc")
    return np.append(_calendar_days(values), np.datetime64("NaT", "D"))[codes]


def dtc_moments(dtc: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each --DTC value: its complete date (``datetime64[D]``, NaT when partial or
    missing), its time as seconds since midnight (NaN without a complete date or without
    hour and minute; missing seconds count as 0) and whether the seconds are known.

    >>> day, seconds, has_seconds = dtc_moments(pd.Series(["2021-06-15T07:25", "2021-06"]))
    >>> day.tolist(), seconds.tolist(), has_seconds.tolist()
    ([datetime.date(2021, 6, 15), None], [26700.0, nan], [False, False])
    """
    dtc = _series(dtc, "dtc", "dtc_moments")
    codes, uniq = _factorize_text(dtc)
    values, _, _ = _distinct_parts(uniq, "split_dtc")
    date = np.append(_calendar_days(values), np.datetime64("NaT", "D"))
    hour, minute, second = (
        np.append(values[name], np.nan) for name in ("hour", "minute", "second")
    )
    seconds = hour * 3600 + minute * 60 + np.nan_to_num(second)
    seconds[np.isnat(date)] = np.nan
    # Code -1 (missing text) picks the appended missing values.
    return date[codes], seconds[codes], ~np.isnan(second[codes])


def _calendar_days(values: dict[str, np.ndarray]) -> np.ndarray:
    """``datetime64[D]`` of checked components with a complete date, else NaT."""
    year, month, day = values["year"], values["month"], values["day"]
    complete = ~np.isnan(year) & ~np.isnan(month) & ~np.isnan(day)
    days = np.full(len(year), np.datetime64("NaT"), dtype="datetime64[D]")
    if complete.any():
        # Year, then month, then day offsets: exact, as the components passed the calendar
        # check (a day never runs past its month).
        y = (year[complete] - 1970).astype(np.int64).astype("datetime64[Y]")
        m = y.astype("datetime64[M]") + (month[complete] - 1).astype(np.int64)
        days[complete] = m.astype("datetime64[D]") + (day[complete] - 1).astype(np.int64)
    return days


def _distinct_parts(
    uniq: pd.Series, function: str
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Checked components (float, NaN unknown), fraction and time zone (object, None when
    absent) of each distinct normalised --DTC text; bad text raises InputError.

    The common shapes (``YYYY`` ... ``YYYY-MM-DDThh:mm:ss`` in ASCII digits, nearly every
    value a build writes) are read by position on a code-point matrix; the rest by the
    regular expression.
    """
    n = len(uniq)
    texts = uniq.to_numpy(dtype=object)
    values, fast = _fixed_shape_parts(texts)
    fraction = np.full(n, None, dtype=object)
    timezone = np.full(n, None, dtype=object)
    slow = np.flatnonzero(~fast)
    if len(slow):
        tokens = pd.Series(texts[slow], dtype=TEXT).str.extract(_ISO_RE)
        not_iso = np.zeros(n, dtype=bool)
        not_iso[slow] = tokens["year"].isna().to_numpy()
        _fail_rows(not_iso, texts, "not ISO 8601 --DTC text", function, label="value")
        for name in _COMPONENTS:
            values[name][slow] = pd.to_numeric(tokens[name], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
        fraction[slow] = tokens["fraction"].to_numpy(dtype=object, na_value=None)
        timezone[slow] = tokens["timezone"].to_numpy(dtype=object, na_value=None)
    bad = ~_calendar_ok(values["year"], values["month"], values["day"])
    bad |= ~_clock_ok(values["hour"], values["minute"], values["second"])
    _fail_rows(bad, texts, "no such date or time", function, label="value")
    return values, fraction, timezone


#: Where each component's two or four digits sit in ``YYYY-MM-DDThh:mm:ss``, and the
#: separator before it; a text of the length that ends a component holds it and those before.
_FIXED = (("year", 0, 4, None), ("month", 5, 7, "-"), ("day", 8, 10, "-"))
_FIXED += (("hour", 11, 13, "T"), ("minute", 14, 16, ":"), ("second", 17, 19, ":"))


def _fixed_shape_parts(texts: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Components of the texts shaped ``YYYY``, ``YYYY-MM`` ... ``YYYY-MM-DDThh:mm:ss``
    (ASCII digits), read by position, and which texts had such a shape (others: NaN)."""
    n = len(texts)
    values = {name: np.full(n, np.nan) for name in _COMPONENTS}
    if not n:
        return values, np.zeros(0, dtype=bool)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    fast = np.isin(lengths, [end for _, _, end, _ in _FIXED])
    rows = np.flatnonzero(fast)
    if not len(rows):
        return values, fast
    # One code point per cell, zero-padded on the right: shape (rows, 19).
    cells = np.asarray(texts[rows], dtype="U19").view(np.uint32).reshape(len(rows), 19)
    cells = cells.astype(np.int64)
    digit = (cells >= ord("0")) & (cells <= ord("9"))
    number = cells - ord("0")
    size = lengths[rows]
    ok = np.ones(len(rows), dtype=bool)
    parsed = {}
    for name, start, end, separator in _FIXED:
        present = size >= end
        if separator is not None:
            ok &= ~present | (cells[:, start - 1] == ord(separator))
        ok &= ~present | digit[:, start:end].all(axis=1)
        weights = 10 ** np.arange(end - start - 1, -1, -1)
        parsed[name] = np.where(present, number[:, start:end] @ weights, np.nan)
    fast[rows[~ok]] = False
    for name in _COMPONENTS:
        values[name][rows[ok]] = parsed[name][ok]
    return values, fast


_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"


_SPACES = "\u00a0\u2007\u202f\t"
_TO_PLAIN = str.maketrans(_DASHES + _SPACES, "-" * len(_DASHES) + " " * len(_SPACES))
_ODD = "[\\s" + _DASHES + "]"


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
        # Typed or pasted text: no-break spaces, en dashes, doubled blanks. Only texts with
        # such a character change (``\s`` and str.strip agree on what is blank), so the
        # others are not rewritten.
        odd = text.str.contains(_ODD, regex=True).to_numpy(dtype=bool, na_value=False)
        if odd.any():
            fixed = text[odd].str.translate(_TO_PLAIN).str.strip()
            text = text.copy()
            text[odd] = fixed.str.replace(r"\s+", " ", regex=True)
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
