"""Collected dates and times to ISO 8601 --DTC text, truncated to the precision actually known.

SDTMIG 3.4 section 4.4 (reference/sdtm-adam-variables.md 1.5): --DTC is ISO 8601 extended
format; a partial date is written by right truncation (``2003-12-15T13:14`` ... ``2003-12`` ...
``2003``), never imputed. SDTMIG also allows a hyphen for a missing *intermediate* component
(``2019---20``, unknown month); this toolkit writes right truncation only, because every
consumer downstream (precision, study day, ADaM imputation with --DTF flags) reads right-truncated
values, and reports the known part it had to drop (``day-without-month``) so nothing is silently
changed. Completely unknown dates (``UN UNK UNK``) are missing and reported (``date-unknown``),
so the collected text does not disappear without trace.

``parse_dtc`` returns three columns per input row:

``dtc``        ISO 8601 text (``2021``, ``2021-06``, ``2021-06-15``, ``2021-06-15T07``,
               ``2021-06-15T07:25``, ``2021-06-15T07:25:30``; a non-zero fraction of a second
               is kept: ``...T07:25:30.5``), missing when nothing usable is known
``precision``  ``year``/``month``/``day``/``hour``/``minute``/``second``, missing with ``dtc``
``problem``    missing when the value was read as written; else ``"<code>: <words>"`` with a
               stable code from :data:`PROBLEMS`. When ``dtc`` is missing the problem is an
               error (the value could not be used), except ``date-unknown`` (every part was
               typed as unknown: nothing known was lost); when ``dtc`` is present it is a
               warning (the value was used at the precision shown).

:func:`format_dtc`, :func:`split_dtc` (its inverse) and :func:`dtc_to_date` come from
``sdtm.iso8601``. The work is done once per distinct text (and per distinct date/time pair), then mapped back, so
a million records with a few thousand distinct dates take about a second.

Rave twins: a Rave date item ``X`` is exported as ``X`` (the EDC's reading, e.g.
``2013-02-01T00:00:00``) and ``X_RAW`` (as typed: ``2013 Feb 01``, ``UN UNK 2019``). The
midnight time in ``X`` is an artefact of the export, not a collected time, and ``X`` cannot hold
a partial date. Call :func:`parse_dtc_twins` with both: it prefers what was typed and falls back
to ``X``, and reports disagreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc.errors import UsageError
from sdtm._args import TEXT
from sdtm.dateformats import (
    TIME_PATTERNS,
    DateFormat,
    auto_formats,
    compile_formats,
    iso_formats,
    tokens_to_parts,
)
from sdtm.iso8601 import (
    _COMPONENTS,
    PRECISIONS,
    _calendar_ok,
    _clock_ok,
    _factorize_text,
    _fixed_shape_parts,
    _format,
    _series,
    dtc_to_date,
    format_dtc,
    split_dtc,
)

# format_dtc, split_dtc and dtc_to_date live in sdtm.iso8601 and are part of this API too.
__all__ = [
    "ERROR_CODES",
    "PRECISIONS",
    "PROBLEMS",
    "dtc_to_date",
    "format_dtc",
    "parse_dtc",
    "parse_dtc_by",
    "parse_dtc_twins",
    "problem_code",
    "problem_text",
    "split_dtc",
]

#: Stable problem codes and the words that go with them. Errors (``dtc`` missing) first.
PROBLEMS: dict[str, str] = {
    "unparseable": "the date matches none of the accepted formats",
    "ambiguous-day-month": (
        "day and month read both ways give valid, different dates; declare the source's "
        "format (DD/MM/YYYY or MM/DD/YYYY)"
    ),
    "two-digit-year": "the year has two digits and no two_digit_year_pivot is declared",
    "invalid-calendar-date": "no such calendar date; kept missing, not guessed",
    "unknown-year": "the year is unknown, so right truncation keeps nothing",
    "time-without-date": "a time was given without a date",
    "date-unknown": "every part of the date was typed as unknown; written as missing",
    "unparseable-time": "the time matches no accepted form; the date is kept without it",
    "invalid-time": "no such time of day; the date is kept without it",
    "conflicting-time": "the date carries a time that differs from the separate time; "
    "the separate time is used",
    "day-without-month": (
        "the day is known but the month is not; ISO 8601 right truncation keeps the year only"
    ),
    "time-with-partial-date": "a time was given but the date has no day; the time is dropped",
    "minute-without-hour": "minutes are known but the hour is not; the time is dropped",
    "second-without-minute": "seconds are known but the minute is not; the seconds are dropped",
    "beyond-declared-precision": (
        "more precise than the item collects (max_precision); truncated to that precision"
    ),
    "raw-twin-mismatch": "the typed value and the export's reading of it disagree; "
    "the typed value is used",
    "raw-unreadable-twin-used": "the typed value could not be read; the export's reading "
    "of it is used",
}

#: Codes for which the value could not be used (``dtc`` missing); every other code is a
#: warning about a value that was used at the precision shown.
ERROR_CODES: tuple[str, ...] = (
    "unparseable",
    "ambiguous-day-month",
    "two-digit-year",
    "invalid-calendar-date",
    "unknown-year",
    "time-without-date",
)


def problem_text(code: str) -> str:
    """``"<code>: <words>"`` for a code of :data:`PROBLEMS`."""
    return f"{code}: {PROBLEMS[code]}"


def problem_code(problem: pd.Series) -> pd.Series:
    """The stable code of each problem text (missing stays missing).

    >>> problem_code(pd.Series(["two-digit-year: the year ...", None])).tolist()
    ['two-digit-year', nan]
    """
    return problem.astype(TEXT).str.extract(r"^([^:]+)", expand=False)


def parse_dtc(
    dates: pd.Series,
    times: pd.Series | None = None,
    *,
    formats: Sequence[str] | None = None,
    two_digit_year_pivot: int | None = None,
    max_precision: str | None = None,
) -> pd.DataFrame:
    """Read collected dates (and optional separate times) into ISO 8601 ``dtc``.

    ``formats``: the formats the source declares, tried in order, first valid reading wins
    (``["%d-%b-%Y", "DD/MM/YYYY"]``; see ``sdtm.dateformats`` for directives and presets);
    ISO 8601 text is always read as well. Without ``formats`` every built-in form is tried
    (ISO, ``16-May-2015``, ``UN UNK 2019``, ``2013 Feb 01``, ``Apr 11, 2012``, numeric
    ``03/04/2021``...), and a numeric day/month that reads validly both ways is reported as
    ``ambiguous-day-month`` instead of guessed.

    ``two_digit_year_pivot``: the first year of the 100-year window a 2-digit year falls in
    (SAS YEARCUTOFF semantics): with 1950, ``49`` is 2049 and ``50`` is 1950. Without it a
    2-digit year is reported (``two-digit-year``).

    ``max_precision``: the finest component the item collects (``"day"`` for a date item,
    ``"minute"`` for a HH:MM time). Finer parts that are zero (``T00:00:00``, ``:00.000``)
    are export artefacts and dropped silently; non-zero ones are dropped and reported.

    ``times`` (same index as ``dates``): a separate time item (``7:25``, ``07:25:00.000``,
    ``7.25``, ``0725``, ``7:25 PM``, ``UN:UN``); it replaces a time embedded in the date.

    Returns a frame on ``dates.index`` with columns ``dtc``, ``precision``, ``problem``.

    >>> parse_dtc(pd.Series(["UN UNK 2019", "16-May-15", "2013 Feb 01"]),
    ...           pd.Series([None, "7:25", None]), two_digit_year_pivot=1950)["dtc"].tolist()
    ['2019', '2015-05-16T07:25', '2013-02-01']
    """
    function = "parse_dtc"
    dates = _series(dates, "dates", function)
    if times is not None:
        times = _series(times, "times", function, index=dates.index)
    pivot = _check_pivot(two_digit_year_pivot, function)
    max_level = _check_precision(max_precision, function)
    compiled = None if formats is None else compile_formats(formats)

    d_codes, d_text = _factorize_text(dates)
    date_table = _parse_dates(d_text, compiled, pivot)
    if times is None:
        t_codes = np.full(len(dates), -1, dtype=np.int64)
        time_table = _parse_times(pd.Series([], dtype=TEXT))
    else:
        t_codes, t_text = _factorize_text(times)
        time_table = _parse_times(t_text)
    width = len(time_table["hour"]) + 1
    pair_codes, pairs = pd.factorize((d_codes + 1) * width + (t_codes + 1), sort=False)
    pairs = np.asarray(pairs, dtype=np.int64)
    d_index = pairs // width - 1
    t_index = pairs % width - 1
    dtc, level, problem = _resolve(
        _take(date_table, d_index), _take(time_table, t_index), pivot, max_level
    )
    precision = np.array([None, *PRECISIONS], dtype=object)[level]
    # Text columns are made once per distinct (date, time) pair and taken per record: a
    # take copies the pointers, where building a text Series from every record's object
    # checks each value again.
    return pd.DataFrame(
        {
            name: pd.Series(column, dtype=TEXT).take(pair_codes).set_axis(dates.index)
            for name, column in (("dtc", dtc), ("precision", precision), ("problem", problem))
        }
    )


def parse_dtc_by(
    dates: pd.Series,
    groups: pd.Series,
    formats_by: Mapping[str, Sequence[str]],
    times: pd.Series | None = None,
    *,
    default_formats: Sequence[str] | None = None,
    two_digit_year_pivot: int | None = None,
    max_precision: str | None = None,
) -> pd.DataFrame:
    """:func:`parse_dtc` with formats declared per group, e.g. per site: one site writes
    DD/MM/YYYY and another MM/DD/YYYY in the same column.

    ``groups`` (same index as ``dates``) names each row's group (``_site``); ``formats_by``
    maps a group to its formats; other groups use ``default_formats`` (None: the built-in
    formats, which report ``03/04/2021`` as ambiguous). One ``parse_dtc`` call per group.

    >>> parse_dtc_by(pd.Series(["03/04/2021", "03/04/2021"]), pd.Series(["NL01", "US01"]),
    ...              {"NL01": ["DD/MM/YYYY"], "US01": ["MM/DD/YYYY"]})["dtc"].tolist()
    ['2021-04-03', '2021-03-04']
    """
    function = "parse_dtc_by"
    dates = _series(dates, "dates", function)
    groups = _series(groups, "groups", function, index=dates.index)
    if times is not None:
        times = _series(times, "times", function, index=dates.index)
    if not isinstance(formats_by, Mapping):
        raise UsageError(
            f"{function}: formats_by must map a group to its formats, not {formats_by!r}",
            hint='for example {"NL01": ["DD/MM/YYYY"], "US01": ["MM/DD/YYYY"]}',
        )
    for fmt in formats_by.values():
        compile_formats(fmt)  # every group's formats checked before any data is read
    position = np.arange(len(dates))
    key = groups.astype(TEXT).to_numpy(dtype=object, na_value=None)
    declared = pd.Series(key).isin(list(formats_by)).to_numpy()
    parts = []
    for group in [*formats_by, None]:
        rows = position[key == group] if group is not None else position[~declared]
        if not len(rows):
            continue
        part = parse_dtc(
            dates.iloc[rows],
            None if times is None else times.iloc[rows],
            formats=formats_by[group] if group is not None else default_formats,
            two_digit_year_pivot=two_digit_year_pivot,
            max_precision=max_precision,
        )
        parts.append(part.set_axis(rows))
    if not parts:  # no rows at all
        return parse_dtc(dates, times, formats=default_formats, max_precision=max_precision)
    out = pd.concat(parts).sort_index()
    return out.set_axis(dates.index)


def parse_dtc_twins(
    value: pd.Series,
    raw: pd.Series,
    times: pd.Series | None = None,
    *,
    formats: Sequence[str] | None = None,
    two_digit_year_pivot: int | None = None,
    max_precision: str | None = "day",
) -> pd.DataFrame:
    """Read a Rave date item from its two columns: ``raw`` (``X_RAW``, as typed) and ``value``
    (``X``, the export's reading, e.g. ``2013-02-01T00:00:00``).

    What was typed wins: it is the only one that can hold a partial date (``UN UNK 2019``).
    ``value`` is used where ``raw`` is missing, or where ``raw`` cannot be read
    (``raw-unreadable-twin-used``); where both are read and ``value`` does not start with the
    typed reading, the typed one is kept and ``raw-twin-mismatch`` reported. ``formats``
    apply to ``raw``; ``value`` is read with the built-in formats. ``max_precision`` defaults
    to ``"day"`` because ``X`` of a date item carries a midnight artefact; pass ``None`` (or
    ``"minute"``) for a datetime item.

    Returns ``parse_dtc``'s columns plus ``source`` (``raw`` or ``value``).

    >>> parse_dtc_twins(pd.Series(["2013-02-01T00:00:00", None]),
    ...                 pd.Series(["2013 Feb 01", "UN UNK 2019"]))["dtc"].tolist()
    ['2013-02-01', '2019']
    """
    function = "parse_dtc_twins"
    raw = _series(raw, "raw", function)
    value = _series(value, "value", function, index=raw.index)
    typed = parse_dtc(
        raw,
        times,
        formats=formats,
        two_digit_year_pivot=two_digit_year_pivot,
        max_precision=max_precision,
    )
    export = parse_dtc(
        value, times, two_digit_year_pivot=two_digit_year_pivot, max_precision=max_precision
    )
    raw_given = raw.astype(TEXT).str.strip().fillna("") != ""
    use_value = (~raw_given) | (typed["dtc"].isna() & export["dtc"].notna())
    out = typed.where(~use_value, export)
    unreadable = raw_given & use_value
    out.loc[unreadable, "problem"] = problem_text("raw-unreadable-twin-used")
    both = raw_given & ~use_value & typed["dtc"].notna() & export["dtc"].notna()
    agrees = _starts_with(export["dtc"], typed["dtc"])
    mismatch = both & ~agrees & out["problem"].isna()
    out.loc[mismatch, "problem"] = problem_text("raw-twin-mismatch")
    out["source"] = pd.Series(np.where(use_value, "value", "raw"), index=raw.index, dtype=TEXT)
    out.loc[out["dtc"].isna() & out["problem"].isna(), "source"] = np.nan
    return out


def _starts_with(text: pd.Series, prefix: pd.Series) -> pd.Series:
    """Row-wise ``text.startswith(prefix)``; one vectorised pass per distinct prefix length."""
    out = pd.Series(True, index=text.index)
    lengths = prefix.str.len()
    for length in lengths.dropna().unique():
        rows = (lengths == length).to_numpy()
        out[rows] = (text[rows].str.slice(0, int(length)) == prefix[rows]).fillna(False)
    return out


def _check_pivot(pivot: object, function: str) -> int | None:
    if pivot is None:
        return None
    if (
        isinstance(pivot, bool)
        or not isinstance(pivot, int | np.integer)
        or not (1000 <= int(pivot) <= 9899)
    ):
        raise UsageError(
            f"{function}: two_digit_year_pivot must be a 4-digit year, not {pivot!r}",
            hint="the first year of the 100-year window, e.g. 1950 reads 49 as 2049, 50 as 1950",
        )
    return int(pivot)


def _check_precision(precision: object, function: str) -> int:
    if precision is None:
        return len(PRECISIONS)
    if precision not in PRECISIONS:
        raise UsageError(
            f"{function}: max_precision must be one of {', '.join(PRECISIONS)}, not {precision!r}",
            hint='"day" for a date item, "minute" for a HH:MM time',
        )
    return PRECISIONS.index(precision) + 1


_DATE_KEYS = ("year", "yy", "month", "day", "hour", "minute", "second")


def _empty_table(n: int) -> dict[str, np.ndarray]:
    table = {key: np.full(n, np.nan) for key in _DATE_KEYS}
    table["frac"] = np.full(n, None, dtype=object)
    table["ampm"] = np.full(n, None, dtype=object)
    table["tz"] = np.full(n, None, dtype=object)
    table["given"] = np.ones(n, dtype=bool)
    table["status"] = np.full(n, None, dtype=object)
    return table


def _store(table: dict[str, np.ndarray], rows: np.ndarray, parts: dict, sel: np.ndarray) -> None:
    for key, column in parts.items():
        table[key][rows] = column[sel]


def _parse_dates(
    texts: pd.Series, compiled: list[DateFormat] | None, pivot: int | None
) -> dict[str, np.ndarray]:
    """Parts of each distinct date text; ``status`` marks unparseable and ambiguous ones."""
    n = len(texts)
    table = _empty_table(n)
    fallback = _empty_table(n)
    has_fallback = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    if compiled is None:
        candidates = auto_formats()
    else:
        candidates = tuple((fmt, None) for fmt in (*iso_formats(), *compiled))
    # ISO text (``YYYY`` ... ``YYYY-MM-DDThh:mm:ss``, what EDC exports hold) is read by
    # position first. Both lists start with the ISO formats, and for a valid calendar date
    # the first of them that matches reads exactly these components and wins.
    iso, fixed = _fixed_shape_parts(texts.to_numpy(dtype=object))
    fixed &= _calendar_ok(iso["year"], iso["month"], iso["day"])
    for key in _COMPONENTS:
        table[key][fixed] = iso[key][fixed]
    done |= fixed
    for first, second in candidates:
        rows = np.flatnonzero(~done)
        if not len(rows):
            break
        subset = texts.iloc[rows]
        parts, matched = tokens_to_parts(subset.str.extract(first.pattern))
        if not matched.any():
            continue
        valid = matched & _parts_calendar_ok(parts, pivot)
        if second is not None:
            other, _ = tokens_to_parts(subset.str.extract(second.pattern))
            other_valid = matched & _parts_calendar_ok(other, pivot)
            same = _nan_equal(parts["day"], parts["month"])
            ambiguous = valid & other_valid & ~same
            use_other = other_valid & ~valid
            _store(table, rows[use_other], other, use_other)
            table["status"][rows[ambiguous]] = "ambiguous-day-month"
            done[rows[use_other | ambiguous]] = True
            valid &= ~ambiguous
        _store(table, rows[valid], parts, valid)
        done[rows[valid]] = True
        first_seen = matched & ~valid & ~has_fallback[rows] & ~done[rows]
        _store(fallback, rows[first_seen], parts, first_seen)
        has_fallback[rows[first_seen]] = True
    use_fallback = ~done & has_fallback
    for key in table:
        if key != "status":
            table[key][use_fallback] = fallback[key][use_fallback]
    table["status"][~done & ~has_fallback] = "unparseable"
    return table


def _parse_times(texts: pd.Series) -> dict[str, np.ndarray]:
    """Parts of each distinct separate-time text; ``status`` marks unparseable ones."""
    n = len(texts)
    table = _empty_table(n)
    done = np.zeros(n, dtype=bool)
    for pattern in TIME_PATTERNS:
        rows = np.flatnonzero(~done)
        if not len(rows):
            break
        tokens = texts.iloc[rows].str.extract(pattern)
        matched = tokens["hour"].notna().to_numpy()
        tokens["year"] = "0000"  # tokens_to_parts counts a row as matched by its year
        parts, _ = tokens_to_parts(tokens)
        for key in ("hour", "minute", "second", "frac", "ampm"):
            table[key][rows[matched]] = parts[key][matched]
        done[rows[matched]] = True
    table["status"][~done] = "unparseable-time"
    return table


def _take(table: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    """Rows ``index`` of a parts table; -1 gives an absent value (nothing given)."""
    missing = _empty_table(1)
    missing["given"][:] = False
    return {key: np.append(col, missing[key])[index] for key, col in table.items()}


def _nan_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _pivoted(year: np.ndarray, yy: np.ndarray, pivot: int | None) -> np.ndarray:
    """Year, with 2-digit years placed in the window starting at ``pivot``."""
    base = 2000 if pivot is None else pivot
    return np.where(np.isnan(yy), year, base + np.mod(yy - base, 100))


def _parts_calendar_ok(parts: dict[str, np.ndarray], pivot: int | None) -> np.ndarray:
    year = _pivoted(parts["year"], parts["yy"], pivot)
    return _calendar_ok(year, parts["month"], parts["day"])


def _resolve(
    date: dict[str, np.ndarray], time: dict[str, np.ndarray], pivot: int | None, max_level: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ISO text, precision level (0-6) and problem per (date, time) pair."""
    n = len(date["year"])
    problem = np.full(n, None, dtype=object)

    def flag(mask: np.ndarray, code: str) -> None:
        problem[mask & np.equal(problem, None)] = code

    date_given = date["given"]
    separate = time["given"]
    # A separate time item replaces the time written in the date (Rave X columns carry a
    # midnight artefact); a different, non-midnight embedded time is reported.
    clock = {}
    for key in ("hour", "minute", "second"):
        clock[key] = np.where(separate, time[key], date[key])
    frac = np.where(separate, time["frac"], date["frac"])
    ampm = np.where(separate, time["ampm"], date["ampm"])
    embedded = ~np.isnan(date["hour"])
    embedded_midnight = (
        (np.nan_to_num(date["hour"]) == 0)
        & (np.nan_to_num(date["minute"]) == 0)
        & (np.nan_to_num(date["second"]) == 0)
    )
    differs = ~(
        _nan_equal(date["hour"], time["hour"])
        & _nan_equal(date["minute"], time["minute"])
        & _nan_equal(date["second"], time["second"])
    )
    conflicting = separate & embedded & ~embedded_midnight & differs
    time_known = ~np.isnan(clock["hour"]) | ~np.isnan(clock["minute"])
    time_known |= ~np.isnan(clock["second"])
    time_bad = np.equal(time["status"], "unparseable-time")

    year = _pivoted(date["year"], date["yy"], pivot)
    month, day = date["month"].copy(), date["day"].copy()

    flag(np.equal(date["status"], "unparseable"), "unparseable")
    flag(np.equal(date["status"], "ambiguous-day-month"), "ambiguous-day-month")
    if pivot is None:
        flag(~np.isnan(date["yy"]), "two-digit-year")
    flag(date_given & ~_calendar_ok(year, month, day), "invalid-calendar-date")
    other_known = ~np.isnan(month) | ~np.isnan(day) | time_known
    flag(date_given & np.isnan(year) & other_known, "unknown-year")
    flag(~date_given & (time_known | time_bad), "time-without-date")
    fatal = ~np.equal(problem, None)
    # Only unknown markers (UN UNK UNK): nothing to write, but the collected text goes, so it
    # is reported; not fatal, as nothing known was lost.
    all_unknown = date_given & np.equal(date["status"], None) & np.isnan(year) & ~other_known
    flag(all_unknown, "date-unknown")

    flag(separate & time_bad, "unparseable-time")
    flag(conflicting, "conflicting-time")
    hour = clock["hour"].copy()
    has_ampm = ~np.equal(ampm, None) & ~np.isnan(hour)
    with np.errstate(invalid="ignore"):
        bad_12h = has_ampm & ((hour < 1) | (hour > 12))
        hour = np.where(has_ampm & ~bad_12h, np.mod(hour, 12) + 12 * np.equal(ampm, "P"), hour)
    bad_clock = bad_12h | ~_clock_ok(hour, clock["minute"], clock["second"])
    flag(bad_clock, "invalid-time")
    values = {
        "year": year,
        "month": month,
        "day": day,
        "hour": np.where(bad_clock, np.nan, hour),
        "minute": np.where(bad_clock, np.nan, clock["minute"]),
        "second": np.where(bad_clock, np.nan, clock["second"]),
    }
    frac = np.where(bad_clock, None, frac)

    flag(np.isnan(month) & ~np.isnan(day), "day-without-month")
    partial_date = np.isnan(month) | np.isnan(day)
    dropped_time = partial_date & ~np.isnan(year) & time_known & ~bad_clock
    flag(dropped_time, "time-with-partial-date")
    flag(np.isnan(values["hour"]) & ~np.isnan(values["minute"]), "minute-without-hour")
    flag(np.isnan(values["minute"]) & ~np.isnan(values["second"]), "second-without-minute")

    # Right truncation: everything after the first unknown component goes.
    known = np.column_stack([~np.isnan(values[name]) for name in _COMPONENTS])
    level = np.cumprod(known, axis=1).sum(axis=1) if n else np.zeros(0, dtype=int)
    fraction = _nonzero_fraction(frac)
    if max_level < len(PRECISIONS):
        beyond = level > max_level
        lost = np.zeros(n, dtype=bool)
        for position in range(max_level, len(PRECISIONS)):
            name = _COMPONENTS[position]
            # Date components are never zero; a time component of 0 is an export artefact.
            zero = values[name] == 0 if position >= 3 else np.zeros(n, dtype=bool)
            lost |= (position < level) & ~zero
        lost |= beyond & ~np.equal(fraction, None)
        flag(beyond & lost, "beyond-declared-precision")
        level = np.minimum(level, max_level)
    for position, name in enumerate(_COMPONENTS):
        values[name] = np.where(level > position, values[name], np.nan)
    fraction = np.where(level >= 6, fraction, None)
    # A time zone belongs to the time written with the date; a separate time replaces both.
    timezone = np.where(separate | bad_clock, None, date["tz"])
    dtc, level = _format(values, fraction, timezone)
    dtc = np.where(fatal, None, dtc)
    level = np.where(fatal, 0, level)
    words = pd.Series(problem, dtype=object).map(_PROBLEM_TEXT).to_numpy(dtype=object)
    return dtc.astype(object), level, np.where(pd.isna(words), None, words)


_PROBLEM_TEXT = {code: problem_text(code) for code in PROBLEMS}


def _nonzero_fraction(frac: np.ndarray) -> np.ndarray:
    """Fraction digits that are not all zero (``.000`` is an export artefact), else None."""
    text = pd.Series(frac, dtype=object)
    nonzero = text.str.strip("0").fillna("") != ""
    return np.where(nonzero.to_numpy(), frac, None)
