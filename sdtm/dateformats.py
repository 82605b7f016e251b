"""Date formats as sites write them: declared formats, named presets, and the month-name table.

A format is a ``strftime``-like pattern (``"%d-%b-%Y"``, ``"%m/%d/%Y"``) or a named preset
(``"DD/MM/YYYY"``, see :data:`PRESETS`). Every date component also accepts the unknown markers
sites type (``UN``, ``UNK``, ``NK``, ``XX``, ``--``; ``UNKN`` or ``XXXX`` for a year), so
``"%d %b %Y"`` reads ``20 Jun 2019``, ``UN UNK 2019`` and ``UN Jun 2019`` alike.

Directives: ``%Y`` 4-digit year, ``%y`` 2-digit year (needs a pivot, see ``parse_dtc``), ``%m``
month 1-12 (1 or 2 digits), ``%b``/``%B`` month name from the table in
``sdtm/data/month_names.csv`` (English and Dutch, e.g. ``mei``, ``okt``, ``mrt``; matching ignores
case and a trailing dot), ``%d`` day (1 or 2 digits), ``%H`` hour 0-23, ``%I`` hour 1-12 with
``%p`` (AM/PM), ``%M`` minute, ``%S`` second (an optional ``.fff`` fraction is allowed), ``%%`` a
percent sign. A space in a format matches one or more blanks; other characters match themselves,
ignoring case. A date format without time directives also reads a trailing time
(``11-Apr-2012 11:58:00``, ``2013-02-01T00:00:00``, the SAS ``31JAN2020:00:00:00.000``).

This module only recognises text; ``sdtm.datetimes`` turns the pieces into ISO 8601.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import SpecError

DATA = Path(__file__).parent / "data"
MONTH_NAMES_FILE = DATA / "month_names.csv"

#: Named formats a mapping spec may declare instead of a ``%`` pattern.
PRESETS: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "MM-DD-YYYY": "%m-%d-%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YY": "%d/%m/%y",
    "MM/DD/YY": "%m/%d/%y",
    "DD-MON-YYYY": "%d-%b-%Y",
    "DD-MON-YY": "%d-%b-%y",
    "DD MON YYYY": "%d %b %Y",
    "DDMONYYYY": "%d%b%Y",
    "YYYY MON DD": "%Y %b %d",
    "MON DD, YYYY": "%b %d, %Y",
    "MM/YYYY": "%m/%Y",
    "YYYY-MM": "%Y-%m",
    "YYYY": "%Y",
}

#: Tokens meaning "this component is unknown" (compared upper-case).
UNKNOWN_TOKENS = frozenset({"UN", "UNK", "UNKN", "NK", "XX", "XXXX", "--", "----"})
_UNK2 = r"UNK|UN|NK|XX|--"
_UNK4 = r"UNKN|UNK|UN|NK|XXXX|----"

_DIRECTIVES: dict[str, tuple[str, str]] = {
    # directive -> (group name, regex of the group's content)
    "Y": ("year", rf"\d{{4}}|{_UNK4}"),
    "y": ("yy", rf"\d{{2}}|{_UNK2}"),
    "m": ("month", rf"\d{{1,2}}|{_UNK2}"),
    "b": ("mon", rf"[A-Za-z]{{3,9}}\.?|{_UNK2}"),
    "B": ("mon", rf"[A-Za-z]{{3,9}}\.?|{_UNK2}"),
    "d": ("day", rf"\d{{1,2}}|{_UNK2}"),
    "H": ("hour", rf"\d{{1,2}}|{_UNK2}"),
    "I": ("hour", rf"\d{{1,2}}|{_UNK2}"),
    "M": ("minute", rf"\d{{2}}|{_UNK2}"),
    "S": ("second", rf"\d{{2}}|{_UNK2}"),
    "p": ("ampm", r"[AP]\.?M\.?"),
}
_TIME_GROUPS = ("hour", "minute", "second", "frac", "ampm")
#: Time written after a date: ``T07:25``, `` 7:25``, ``:00:00:00.000`` (SAS), ``T07`` (ISO).
_TIME_SUFFIX = (
    rf"(?:(?P<tsep>\s*T\s*|\s+|:)(?P<hour>\d{{1,2}}|{_UNK2})"
    rf"(?::(?P<minute>\d{{2}}|{_UNK2})"
    rf"(?::(?P<second>\d{{2}}|{_UNK2})(?:[.,](?P<frac>\d+))?)?)?"
    r"(?:\s*(?P<ampm>[AP]\.?M\.?))?(?:\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?))?)?"
)
#: A time on its own (a separate time item): ``7:25``, ``07:25:00.000``, ``7.25``, ``0725``,
#: ``7:25 PM``, ``10:UN``, ``UNK``.
TIME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        rf"^(?P<hour>\d{{1,2}}|{_UNK2})(?:[:.](?P<minute>\d{{2}}|{_UNK2})"
        rf"(?::(?P<second>\d{{2}}|{_UNK2})(?:[.,](?P<frac>\d+))?)?)?"
        r"(?:\s*(?P<ampm>[AP]\.?M\.?))?$",
        re.IGNORECASE,
    ),
    re.compile(r"^(?P<hour>\d{2})(?P<minute>\d{2})$"),
)


@dataclass(frozen=True)
class DateFormat:
    """A compiled format: the text it came from and the regex with named groups."""

    source: str
    pattern: re.Pattern[str]
    has_time: bool


@cache
def month_names() -> dict[str, int]:
    """Month name (lower case, no dot) -> month number, from ``sdtm/data/month_names.csv``.

    >>> month_names()["mei"], month_names()["okt"], month_names()["mrt"]
    (5, 10, 3)
    """
    table: dict[str, int] = {}
    with open(MONTH_NAMES_FILE, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            name = (row.get("name") or "").strip().lower()
            month = (row.get("month") or "").strip()
            if not name or not month.isdigit() or not 1 <= int(month) <= 12:
                raise SpecError(
                    "month name row needs a name and a month 1-12",
                    path=MONTH_NAMES_FILE,
                    location=f"line {line}",
                    hint="fix the row (columns: name, month, languages, source)",
                )
            if table.get(name, int(month)) != int(month):
                raise SpecError(
                    f"month name {name!r} is listed for months {table[name]} and {month}",
                    path=MONTH_NAMES_FILE,
                    location=f"line {line}",
                    hint="a name must mean one month in every language the table covers",
                )
            table[name] = int(month)
    return table


def compile_format(text: str) -> DateFormat:
    """Compile one format (a ``%`` pattern or a preset name); SpecError when it cannot be used.

    >>> compile_format("DD/MM/YYYY").source
    '%d/%m/%Y'
    >>> bool(compile_format("%d-%b-%Y").pattern.match("UN-UNK-2019"))
    True
    """
    problems = format_problems(text)
    if problems:
        raise SpecError(f"date format {text!r}: " + "; ".join(problems), hint=_FORMAT_HINT)
    return _compile(PRESETS.get(text, text))


def compile_formats(formats: Sequence[str]) -> list[DateFormat]:
    """Compile declared formats, reporting every unusable one in one SpecError."""
    if isinstance(formats, str) or not isinstance(formats, Sequence):
        raise SpecError(
            f"formats must be a list of date formats, not {formats!r}",
            hint='for example formats=["%d-%b-%Y", "DD/MM/YYYY"]',
        )
    problems = []
    for text in formats:
        found = format_problems(text)
        if found:
            problems.append(f"{text!r}: " + "; ".join(found))
    if problems:
        raise SpecError("unusable date format(s): " + " | ".join(problems), hint=_FORMAT_HINT)
    return [_compile(PRESETS.get(text, text)) for text in formats]


_FORMAT_HINT = (
    "use %Y %y %m %b %B %d %H %I %M %S %p and literal separators, or a preset: "
    + ", ".join(PRESETS)
)


def format_problems(text: object) -> list[str]:
    """What is wrong with a declared format (empty list when it is usable)."""
    if not isinstance(text, str) or not text.strip():
        return ["a format must be non-empty text"]
    fmt = PRESETS.get(text, text)
    if "%" not in fmt:
        close = difflib.get_close_matches(text.upper(), list(PRESETS), n=1)
        return [
            "not a % pattern nor a preset" + (f" (did you mean {close[0]!r}?)" if close else "")
        ]
    problems = []
    seen: list[str] = []
    for match in re.finditer(r"%(.?)", fmt):
        directive = match.group(1)
        if directive == "%":
            continue
        if directive not in _DIRECTIVES:
            problems.append(f"unknown directive %{directive}")
            continue
        group = _DIRECTIVES[directive][0]
        if group in seen:
            problems.append(f"component {group} appears twice")
        seen.append(group)
    if not problems:
        if "year" not in seen and "yy" not in seen:
            problems.append("no year (%Y or %y)")
        if "%I" in fmt and "%p" not in fmt:
            problems.append("%I (12-hour clock) needs %p")
        if "%p" in fmt and "%I" not in fmt:
            problems.append("%p needs %I (12-hour clock hour)")
    return problems


def _compile(fmt: str) -> DateFormat:
    parts = []
    groups: set[str] = set()
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            directive = fmt[i + 1]
            if directive == "%":
                parts.append("%")
            else:
                group, body = _DIRECTIVES[directive]
                groups.add(group)
                parts.append(f"(?P<{group}>{body})")
                if directive == "S":
                    groups.add("frac")
                    parts.append(r"(?:[.,](?P<frac>\d+))?")
            i += 2
            continue
        parts.append(r"\s+" if char == " " else re.escape(char))
        i += 1
    has_time = bool(groups & set(_TIME_GROUPS))
    body = "".join(parts) + ("" if has_time else _TIME_SUFFIX)
    return DateFormat(fmt, re.compile(rf"^{body}$", re.IGNORECASE), has_time)


#: Formats tried when none is declared, in order. ``(format, other reading)``: a numeric
#: day/month format is paired with its month/day twin, and a value both read validly and
#: differently (``03/04/2021``) is ambiguous.
AUTO_FORMATS: tuple[tuple[str, str | None], ...] = (
    ("%Y-%m-%d", None),
    ("%Y-%m", None),
    ("%Y", None),
    ("%Y/%m/%d", None),
    ("%d-%b-%Y", None),
    ("%d %b %Y", None),
    ("%d/%b/%Y", None),
    ("%d.%b.%Y", None),
    ("%d%b%Y", None),
    ("%d-%b-%y", None),
    ("%d %b %y", None),
    ("%d/%b/%y", None),
    ("%d%b%y", None),
    ("%Y %b %d", None),
    ("%Y-%b-%d", None),
    ("%b %d, %Y", None),
    ("%b %d %Y", None),
    ("%b %Y", None),
    ("%b-%Y", None),
    ("%d/%m/%Y", "%m/%d/%Y"),
    ("%d.%m.%Y", "%m.%d.%Y"),
    ("%d-%m-%Y", "%m-%d-%Y"),
    ("%d/%m/%y", "%m/%d/%y"),
    ("%d.%m.%y", "%m.%d.%y"),
    ("%d-%m-%y", "%m-%d-%y"),
    ("%m/%Y", None),
)

#: ISO 8601 and its right-truncated forms: read whatever else is declared.
ISO_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y-%m", "%Y")


@cache
def auto_formats() -> tuple[tuple[DateFormat, DateFormat | None], ...]:
    """:data:`AUTO_FORMATS` compiled (once per process)."""
    return tuple(
        (_compile(first), None if second is None else _compile(second))
        for first, second in AUTO_FORMATS
    )


@cache
def iso_formats() -> tuple[DateFormat, ...]:
    """:data:`ISO_FORMATS` compiled (once per process)."""
    return tuple(_compile(fmt) for fmt in ISO_FORMATS)


_PART_COLUMNS = ("year", "yy", "month", "day", "hour", "minute", "second")


def tokens_to_parts(tokens: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Turn regex groups (one row per text) into numeric parts; also says which rows matched.

    Parts are float arrays, NaN where the component is unknown or absent: ``year``, ``yy``
    (a 2-digit year still to be pivoted), ``month``, ``day``, ``hour``, ``minute``,
    ``second``; ``frac`` (digits of a second's fraction, object), ``ampm`` (``A``/``P`` or
    None) and ``tz`` (``Z`` or ``+hh:mm`` after a time, or None). A row matched when its year
    group matched and its month name, if any, is in the table; a time after a date separated
    by blanks or ``:`` must have minutes (``2019 10`` is not a date and an hour).
    """
    n = len(tokens)
    year_col = tokens["year"] if "year" in tokens else pd.Series([np.nan] * n, index=tokens.index)
    yy_col = tokens["yy"] if "yy" in tokens else pd.Series([np.nan] * n, index=tokens.index)
    matched = np.array(year_col.notna() | yy_col.notna(), dtype=bool)
    parts: dict[str, np.ndarray] = {}
    for name in _PART_COLUMNS:
        parts[name] = _number(tokens[name]) if name in tokens else np.full(n, np.nan)
    if "mon" in tokens:
        mon = tokens["mon"].astype(object).where(tokens["mon"].notna(), None)
        key = mon.str.lower().str.rstrip(".")
        named = key.map(month_names()).to_numpy(dtype=float, na_value=np.nan)
        unknown = key.str.upper().isin(sorted(UNKNOWN_TOKENS)).to_numpy()
        matched &= ~np.isnan(named) | unknown
        parts["month"] = named
    if "tsep" in tokens:
        sep = tokens["tsep"].fillna("").str.strip().str.upper().to_numpy(dtype=object)
        bare_hour = tokens["hour"].notna().to_numpy() & (sep != "T")
        matched &= ~(bare_hour & tokens["minute"].isna().to_numpy())
    parts["frac"] = _text(tokens, "frac", n)
    zone = pd.Series(_text(tokens, "tz", n), dtype=object).str.upper()
    pieces = zone.str.extract(r"^([+-]\d{2}):?(\d{2})?$")
    offset = pieces[0] + ":" + pieces[1].fillna("00")
    zone = offset.where(offset.notna(), zone)
    parts["tz"] = zone.where(zone.notna(), None).to_numpy(dtype=object)
    ampm = _text(tokens, "ampm", n)
    first = pd.Series(ampm, dtype=object).str[0].str.upper()
    parts["ampm"] = first.where(first.notna(), None).to_numpy(dtype=object)
    return parts, matched


def _number(values: pd.Series) -> np.ndarray:
    """Digits as float; unknown markers and absent groups as NaN."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _text(tokens: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in tokens:
        return np.full(n, None, dtype=object)
    col = tokens[name]
    return col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
