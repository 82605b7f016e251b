"""Fast, machine-independent formatting of numbers and dates into text arrays.

Python's float formatting is exact but slow per value, and ``numpy.astype(str)`` is no faster.
The generator formats tens of millions of values, so it rounds to an integer count of
``10**-decimals`` units with IEEE arithmetic (identical on every machine) and looks the text up
in a cached table of pre-formatted strings. Values outside a table fall back to Python
formatting of the same integers, so results never depend on which path ran.

All functions return numpy ``object`` arrays of ``str`` (``None`` where the input is missing),
which is what the serialisers concatenate and join.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd

#: Non-negative integers below PLAIN_LIMIT are formatted by table look-up (larger ones by
#: look-ups of their base-PLAIN_LIMIT digits).
PLAIN_LIMIT = 100_000
_PLAIN_WIDTH = 5
#: Scaled decimals (value * 10**decimals) in [-DEC_LIMIT, DEC_LIMIT) are formatted by look-up.
DEC_LIMIT = 200_000

_MONTHS = np.array(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    dtype=object,
)

#: Days since 1970-01-01 covered by the ISO date table (1900-01-01 .. 2099-12-31).
_DATE_LO = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_DATE_HI = int(np.datetime64("2100-01-01", "D").astype(np.int64))


@cache
def _plain() -> np.ndarray:
    """``str(k)`` for k in 0 .. PLAIN_LIMIT - 1, built once per process."""
    return np.array([str(k) for k in range(PLAIN_LIMIT)], dtype=object)


@cache
def _pad_table(width: int) -> np.ndarray:
    """Zero-padded strings for 0 .. 10**width - 1 (width <= 6)."""
    return np.array([f"{k:0{width}d}" for k in range(10**width)], dtype=object)


@cache
def _dec_table(decimals: int) -> np.ndarray:
    """Strings for k / 10**decimals, k in [-DEC_LIMIT, DEC_LIMIT)."""
    scale = 10**decimals
    k = np.arange(-DEC_LIMIT, DEC_LIMIT, dtype=np.int64)
    a = np.abs(k)
    body = _plain()[a // scale] + "." + _pad_table(decimals)[a % scale]
    return np.where(k < 0, "-" + body, body).astype(object)


def _python_fixed(ints: np.ndarray, decimals: int) -> np.ndarray:
    """Python formatting of scaled integers; only for the rare values outside the tables."""
    scale = 10**decimals
    out = []
    for k in ints.tolist():
        sign = "-" if k < 0 else ""
        a = abs(k)
        out.append(f"{sign}{a // scale}.{a % scale:0{decimals}d}" if decimals else str(k))
    return np.array(out, dtype=object)


def fixed(values: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Format numbers with a fixed number of decimals; NaN becomes ``None``.

    Rounding is half-to-even on ``values * 10**decimals`` (``numpy.rint``), the same on every
    platform. Example: ``fixed(np.array([1.25, np.nan, 12.0]), 1)`` -> ``['1.2', None, '12.0']``.
    """
    x = np.asarray(values, dtype=np.float64)
    missing = np.isnan(x)
    scaled = np.rint(np.where(missing, 0.0, x) * (10**decimals)).astype(np.int64)
    if decimals == 0:
        out = integers(scaled)
    else:
        out = np.empty(x.shape, dtype=object)
        inside = (scaled >= -DEC_LIMIT) & (scaled < DEC_LIMIT)
        out[inside] = _dec_table(decimals)[scaled[inside] + DEC_LIMIT]
        if (~inside).any():
            out[~inside] = _python_fixed(scaled[~inside], decimals)
    out[missing] = None
    return out


def integers(values: np.ndarray) -> np.ndarray:
    """Format integer arrays as decimal strings by table look-up.

    Example: ``integers(np.array([7, -3, 1234567]))`` -> ``['7', '-3', '1234567']``.
    """
    v = np.asarray(values, dtype=np.int64)
    a = np.abs(v)
    high = a // PLAIN_LIMIT
    out = _plain()[a % PLAIN_LIMIT] if not high.any() else np.empty(v.shape, dtype=object)
    if high.any():
        small = high == 0
        out[small] = _plain()[a[small]]
        big = ~small
        out[big] = integers(high[big]) + _pad_table(_PLAIN_WIDTH)[a[big] % PLAIN_LIMIT]
    neg = v < 0
    if neg.any():
        out = out.copy()
        out[neg] = "-" + out[neg]
    return out


def zpad(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings of non-negative integers below ``10**width`` (width <= 6)."""
    return _pad_table(width)[np.asarray(values, dtype=np.int64)]


@cache
def _iso_table() -> np.ndarray:
    days = np.arange(_DATE_LO, _DATE_HI, dtype=np.int64).astype("datetime64[D]")
    return np.array([str(d) for d in days], dtype=object)


def iso_dates(dates: np.ndarray) -> np.ndarray:
    """ISO 8601 ``YYYY-MM-DD`` strings of ``datetime64[D]`` values; NaT becomes ``None``.

    Dates must lie in 1900..2099 (the generator's whole calendar). Example:
    ``iso_dates(np.array(['2021-04-11'], 'datetime64[D]'))`` -> ``['2021-04-11']``.
    """
    d = np.asarray(dates, dtype="datetime64[D]")
    nat = np.isnat(d)
    idx = np.where(nat, _DATE_LO, d.astype(np.int64)) - _DATE_LO
    out = _iso_table()[idx].copy()
    out[nat] = None
    return out


def date_parts(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day (1-31) integer arrays of ``datetime64[D]`` values (no NaT)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def month_abbr(month: np.ndarray) -> np.ndarray:
    """English three-letter month names for month numbers 1-12."""
    return _MONTHS[np.asarray(month, dtype=np.int64) - 1]


def hhmm(minutes: np.ndarray, *, leading_zero: bool = True) -> np.ndarray:
    """``HH:MM`` strings of minutes after midnight (0..1439); ``leading_zero=False`` gives ``7:25``."""
    m = np.asarray(minutes, dtype=np.int64)
    hours = integers(m // 60) if not leading_zero else zpad(m // 60, 2)
    return hours + ":" + zpad(m % 60, 2)


def add(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of object string arrays and constants (``None`` not allowed)."""
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return np.asarray(out, dtype=object)


_XML_SPECIAL = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


@cache
def _finder(chars: str):
    return re.compile("[" + re.escape(chars) + "]").search


def _needs(values: np.ndarray, chars: str) -> np.ndarray:
    """Mask of values containing any of ``chars``, computed once per distinct value."""
    codes, uniq = pd.factorize(values.ravel(), use_na_sentinel=False)
    find = _finder(chars)
    flags = np.array([find(u) is not None for u in uniq.astype(str).tolist()], dtype=bool)
    return flags[codes].reshape(values.shape)


def xml_attr(values: np.ndarray) -> np.ndarray:
    """Escape strings for a double-quoted XML attribute.

    Newlines, carriage returns and tabs become character references so an XML parser does not
    normalise them to spaces. Only values that need it are touched. Example:
    ``xml_attr(np.array(['a<b', 'x'], dtype=object))`` -> ``['a&lt;b', 'x']``.
    """
    out = np.asarray(values, dtype=object).copy()
    if out.size == 0:
        return out
    hit = _needs(out, '&<>"\n\r\t')
    if hit.any():
        out[hit] = np.array([v.translate(_XML_SPECIAL) for v in out[hit].tolist()], dtype=object)
    return out


def csv_field(values: np.ndarray, *, quote_all: bool, quote_space: bool = False) -> np.ndarray:
    """Quote strings for CSV the way the target EDC does.

    ``quote_all`` wraps every value in double quotes (Rave clinical views); otherwise a value is
    quoted when it holds a comma, quote, CR or LF, or (``quote_space``, REDCap's habit) a space.
    Embedded quotes are doubled. Example: ``csv_field(np.array(['a,b'], dtype=object),
    quote_all=False)`` -> ``['"a,b"']``.
    """
    out = np.asarray(values, dtype=object).copy()
    if out.size == 0:
        return out
    has_quote = _needs(out, '"')
    if has_quote.any():
        out[has_quote] = np.array(
            [v.replace('"', '""') for v in out[has_quote].tolist()], dtype=object
        )
    if quote_all:
        return '"' + out + '"'
    chars = ',"\r\n' + (" " if quote_space else "")
    hit = has_quote | _needs(out, chars)
    if hit.any():
        out[hit] = '"' + out[hit] + '"'
    return out


def encode(
    values: np.ndarray,
    escape: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    missing: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Text of each value (``missing`` where there is none) and the mask of present values.

    Every distinct value is turned into text once with ``escape`` (e.g. :func:`xml_attr`, or a
    function that builds a whole XML element), so the cost is one hash per value instead of one
    string operation per value and step. Example:
    ``encode(np.array(['a<b', None], dtype=object), xml_attr)`` ->
    ``(['a&lt;b', ''], [True, False])``.
    """
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    uniq = np.asarray(uniq, dtype=object)
    if escape is not None and len(uniq):
        uniq = np.asarray(escape(uniq), dtype=object)
    table = np.append(uniq, np.array([missing], dtype=object))
    return table[codes], codes >= 0


def double_quotes(values: np.ndarray) -> np.ndarray:
    """Double embedded double quotes (for fields that are quoted anyway)."""
    out = np.asarray(values, dtype=object)
    if out.size == 0:
        return out
    hit = _needs(out, '"')
    if hit.any():
        out = out.copy()
        out[hit] = np.array([v.replace('"', '""') for v in out[hit].tolist()], dtype=object)
    return out


def warm() -> None:
    """Build the look-up tables now (before worker processes fork, so they share them)."""
    _plain()
    _pad_table(2)
    _pad_table(6)
    for decimals in (1, 2):
        _dec_table(decimals)
    _iso_table()
