"""Date and time imputation for ADaM, with the semantics of pharmaverse admiral.

SDTM keeps dates as ISO 8601 text (``--DTC``), often partial: ``2021``, ``2021-03``,
``2021---15`` (month unknown, day known), ``2021-03-15T10:42``. ADaM needs complete dates
and datetimes (``*DT``, ``*DTM``) plus flags saying what was imputed (``*DTF``, ``*TMF``,
ADaMIG 1.3 section 3.1.3). The functions here follow admiral's ``impute_dtc_dt``,
``impute_dtc_dtm``, ``compute_dtf``, ``compute_tmf`` and ``derive_vars_dt``/``derive_vars_dtm``
(admiral reference pages and the "Date and Time Imputation" vignette):

- only components up to ``highest_imputation`` are imputed; a value missing a higher one is NA;
- without ``preserve``, a missing component makes every lower one missing (``2019---07`` is
  treated as ``2019``); with it, known lower components are kept (``2019-06-07`` for "mid");
- min/max dates move the imputed value only when they lie in the range of dates the partial
  value can stand for, so collected components are never changed.

Deliberate differences from admiral, all in the direction of "never guess, never crash":
text that is not a --DTC value or not a real date (``UNK``, ``2021-13``, ``2021-02-30``,
``T24:00``) gives NA instead of a warning and a half-parsed value; a fixed "MM-DD" whose day
does not exist in the month (``01-31`` applied to ``2019-02``) gives NA for that row instead
of aborting; the year sentinels 0000/9999 (a year imputed with no min/max date in range)
come back as NA from the text functions too; ``highest_imputation="Y"`` without the
min/max dates it needs is an error, where admiral only warns. Fractions of seconds are
dropped from the output (``*DTM`` has whole seconds).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.errors import InputError, UsageError

# admiral orders levels n < s < m < h < D < M < Y (its dtm_level factor); a component may be
# imputed when its level is at most highest_imputation.
_LEVEL = {"n": 0, "s": 1, "m": 2, "h": 3, "D": 4, "M": 5, "Y": 6}
_COMPONENT_LEVEL = np.array([6, 5, 4, 3, 2, 1])  # year, month, day, hour, minute, second
_DATE_LEVELS = ("n", "D", "M", "Y")
_DATETIME_LEVELS = ("n", "s", "m", "h", "D", "M", "Y")
_MISSING = -1
# Years imputed for a missing year before min/max dates apply (admiral's targets for "first"
# and "last"); a value still carrying one afterwards could not be imputed.
_FIRST_YEAR, _LAST_YEAR = 0, 9999
# One pass of the regex engine over all distinct values, joined one per line and each
# prefixed with "#": a line is either a --DTC value ("-" marks a missing component,
# SDTMIG 4.4.2; the grammar of admiral's is_valid_dtc) or falls to the last branch, whose
# group then holds the (non-empty) text that is not one.
_DTC_LINES = re.compile(
    r"^#(?:(\d{4}|-)?(?:-(\d{2}|-))?(?:-(\d{2}|-))?(?:T(\d{2}|-))?(?::(\d{2}|-))?"
    r"(?::(\d{2}|-)(?:\.\d{1,5})?)?$|(.*)$)",
    re.MULTILINE,
)
_DATE_FLAGS = np.array([pd.NA, "Y", "M", "D"], dtype=object)
_TIME_FLAGS = np.array([pd.NA, "H", "M", "S"], dtype=object)
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
# pandas datetime64[ns] covers 1677-09-21 .. 2262-04-11; whole years inside it are safe.
_NS_YEARS = (1678, 2261)
_DATE_DIGITS = 10**6  # a datetime key is date key * 10**6 + hhmmss


def impute_dtc_dt(
    dtc: pd.Series,
    *,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    min_dates: list[pd.Series] | None = None,
    max_dates: list[pd.Series] | None = None,
    preserve: bool = False,
) -> pd.Series:
    """Impute the date part of --DTC text to a complete ``YYYY-MM-DD`` (admiral ``impute_dtc_dt``).

    Adds nothing to a frame: returns text (pandas "string" dtype) on ``dtc``'s index, <NA>
    where the date cannot be imputed at the requested level or the text is not a real date.
    Any time part is ignored.

    ``highest_imputation``: "n" (none), "D" (day), "M" (month and day), "Y" (year too; needs
    ``date_imputation`` "first" with ``min_dates`` or "last" with ``max_dates``).
    ``date_imputation``: "first", "mid" (06-30 when the month is missing, else the 15th),
    "last" (real last day of the month), or "MM-DD" (only with "M"; DD alone is used when the
    month is known). ``min_dates``/``max_dates``: Series on ``dtc``'s index holding dates,
    datetimes or complete ISO text; the imputed date is raised to (lowered to) each one that
    lies in the range the partial date can stand for. ``preserve``: keep a known day when the
    month is missing.

    >>> impute_dtc_dt(pd.Series(["2020-02", "2019", None]), highest_imputation="M",
    ...               date_imputation="last").tolist()
    ['2020-02-29', '2019-12-31', <NA>]
    """
    dtc = _check_dtc(dtc, "impute_dtc_dt")
    key, ok = _impute_keys(
        dtc,
        with_time=False,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation="first",
        min_dates=min_dates,
        max_dates=max_dates,
        preserve=preserve,
    )
    return _to_text(_keys_to_datetime64(key, ok, with_time=False), ok, "D", dtc.index)


def impute_dtc_dtm(
    dtc: pd.Series,
    *,
    highest_imputation: str = "h",
    date_imputation: str = "first",
    time_imputation: str = "first",
    min_dates: list[pd.Series] | None = None,
    max_dates: list[pd.Series] | None = None,
    preserve: bool = False,
) -> pd.Series:
    """Impute --DTC text to a complete ``YYYY-MM-DDThh:mm:ss`` (admiral ``impute_dtc_dtm``).

    Returns text (pandas "string" dtype) on ``dtc``'s index, <NA> where not imputable.
    ``highest_imputation`` adds "h", "m", "s" (hour, minute, second) to the date levels of
    :func:`impute_dtc_dt`; the default "h" imputes the time only. ``time_imputation``:
    "first" (00:00:00), "last" (23:59:59) or "hh:mm:ss". Min/max dates given as dates
    (a datetime column whose values are all at midnight, or ``YYYY-MM-DD`` text) count as
    00:00:00 for ``min_dates`` and 23:59:59 for ``max_dates``, as in admiral.

    >>> impute_dtc_dtm(pd.Series(["2021-03-15T10", "2021-03"]), highest_imputation="M",
    ...                time_imputation="last").tolist()
    ['2021-03-15T10:59:59', '2021-03-01T23:59:59']
    """
    dtc = _check_dtc(dtc, "impute_dtc_dtm")
    key, ok = _impute_keys(
        dtc,
        with_time=True,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation=time_imputation,
        min_dates=min_dates,
        max_dates=max_dates,
        preserve=preserve,
    )
    return _to_text(_keys_to_datetime64(key, ok, with_time=True), ok, "s", dtc.index)


def compute_dtf(dtc: pd.Series, imputed: pd.Series) -> pd.Series:
    """Date imputation flag (``*DTF``) of each imputed value (admiral ``compute_dtf``).

    "Y" when the year was missing from ``dtc``, else "M" when the month was, else "D" when the
    day was; <NA> when the date was complete, ``imputed`` is NA or ``dtc`` is not valid text.
    ``imputed`` may be text or datetimes; only whether it is NA matters.

    >>> compute_dtf(pd.Series(["2019-07", "2019---07", "2019-07-18"]),
    ...             pd.Series(["2019-07-01", "2019-01-01", "2019-07-18"])).tolist()
    ['D', 'M', <NA>]
    """
    dtc = _check_dtc(dtc, "compute_dtf")
    imputed = _check_aligned(imputed, dtc, "imputed", "compute_dtf")
    parts, valid = _parse(dtc)
    return _dtf(parts, valid, imputed.notna().to_numpy(), dtc.index)


def compute_tmf(
    dtc: pd.Series, imputed: pd.Series, *, ignore_seconds_flag: bool = False
) -> pd.Series:
    """Time imputation flag (``*TMF``) of each imputed datetime (admiral ``compute_tmf``).

    The highest of hour, minute, second ("H", "M", "S") that is missing from ``dtc`` or
    differs from ``imputed`` (a min/max datetime may move a collected time); <NA> when nothing
    was imputed, ``imputed`` is NA or ``dtc`` is not valid text. ``imputed`` may be datetimes
    or ISO text (a date without time counts as midnight). ``ignore_seconds_flag=True`` drops
    "S" for data where seconds are never collected (ADaMIG 1.3 section 3.1.3); like admiral,
    it is refused when a value carries seconds.

    >>> compute_tmf(pd.Series(["2019-07-18T15:25", "2019-07-18"]),
    ...             pd.Series(["2019-07-18T15:25:00", "2019-07-18T00:00:00"])).tolist()
    ['S', 'H']
    """
    dtc = _check_dtc(dtc, "compute_tmf")
    imputed = _check_aligned(imputed, dtc, "imputed", "compute_tmf")
    _check_bool(ignore_seconds_flag, "ignore_seconds_flag", "compute_tmf")
    parts, valid = _parse(dtc)
    _check_no_seconds(parts, valid, ignore_seconds_flag, dtc.index, "compute_tmf")
    clock = _datetime_parts(imputed, "imputed", "compute_tmf")[:, 3:]
    # A date without a time of day is midnight.
    clock = np.where(clock == _MISSING, 0, clock)
    notna = imputed.notna().to_numpy()
    return _tmf(parts, valid, clock, notna, ignore_seconds_flag, dtc.index)


def derive_vars_dt(
    dtc: pd.Series,
    *,
    highest_imputation: str = "n",
    date_imputation: str = "first",
    min_dates: list[pd.Series] | None = None,
    max_dates: list[pd.Series] | None = None,
    flag_imputation: bool = True,
    preserve: bool = False,
) -> pd.DataFrame:
    """Derive ``DT`` and ``DTF`` from --DTC text (admiral ``derive_vars_dt``).

    Returns a frame on ``dtc``'s index: ``DT`` (datetime64[ns] at midnight, NaT when not
    imputable or outside 1678..2261, the years datetime64[ns] can hold) and, when
    ``flag_imputation`` is true, ``DTF`` ("Y"/"M"/"D"/<NA>, see :func:`compute_dtf`). The
    caller renames them (``ASTDT``, ``ASTDTF``). Arguments as in :func:`impute_dtc_dt`.

    >>> derive_vars_dt(pd.Series(["2019-07-18", "2019-02"]), highest_imputation="M")["DTF"].tolist()
    [<NA>, 'D']
    """
    dtc = _check_dtc(dtc, "derive_vars_dt")
    _check_bool(flag_imputation, "flag_imputation", "derive_vars_dt")
    parsed = _parse(dtc)
    key, ok = _impute_keys(
        dtc,
        parsed=parsed,
        with_time=False,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation="first",
        min_dates=min_dates,
        max_dates=max_dates,
        preserve=preserve,
    )
    dt = _to_ns(_keys_to_datetime64(key, ok, with_time=False), dtc.index)
    out = pd.DataFrame({"DT": dt}, index=dtc.index)
    if flag_imputation:
        out["DTF"] = _dtf(*parsed, dt.notna().to_numpy(), dtc.index)
    return out


def derive_vars_dtm(
    dtc: pd.Series,
    *,
    highest_imputation: str = "h",
    date_imputation: str = "first",
    time_imputation: str = "first",
    min_dates: list[pd.Series] | None = None,
    max_dates: list[pd.Series] | None = None,
    flag_imputation: bool = True,
    ignore_seconds_flag: bool = False,
    preserve: bool = False,
) -> pd.DataFrame:
    """Derive ``DTM``, ``DTF`` and ``TMF`` from --DTC text (admiral ``derive_vars_dtm``).

    Returns a frame on ``dtc``'s index: ``DTM`` (datetime64[ns], NaT when not imputable or
    outside 1678..2261) and, when ``flag_imputation`` is true, ``DTF`` and ``TMF`` (see
    :func:`compute_dtf`, :func:`compute_tmf`). Arguments as in :func:`impute_dtc_dtm`.

    >>> derive_vars_dtm(pd.Series(["2019-07-18T15"]))["TMF"].tolist()
    ['M']
    """
    dtc = _check_dtc(dtc, "derive_vars_dtm")
    _check_bool(flag_imputation, "flag_imputation", "derive_vars_dtm")
    _check_bool(ignore_seconds_flag, "ignore_seconds_flag", "derive_vars_dtm")
    parsed = _parse(dtc)
    if flag_imputation:
        _check_no_seconds(*parsed, ignore_seconds_flag, dtc.index, "derive_vars_dtm")
    key, ok = _impute_keys(
        dtc,
        parsed=parsed,
        with_time=True,
        highest_imputation=highest_imputation,
        date_imputation=date_imputation,
        time_imputation=time_imputation,
        min_dates=min_dates,
        max_dates=max_dates,
        preserve=preserve,
    )
    dtm = _to_ns(_keys_to_datetime64(key, ok, with_time=True), dtc.index)
    out = pd.DataFrame({"DTM": dtm}, index=dtc.index)
    if flag_imputation:
        notna = dtm.notna().to_numpy()
        clock = key % _DATE_DIGITS
        clock = np.stack([clock // 10**4, clock // 100 % 100, clock % 100], axis=1)
        out["DTF"] = _dtf(*parsed, notna, dtc.index)
        out["TMF"] = _tmf(*parsed, clock, notna, ignore_seconds_flag, dtc.index)
    return out


# --- imputation core -------------------------------------------------------------------


def _impute_keys(
    dtc: pd.Series,
    *,
    with_time: bool,
    highest_imputation: str,
    date_imputation: str,
    time_imputation: str,
    min_dates: Sequence[pd.Series] | None,
    max_dates: Sequence[pd.Series] | None,
    preserve: bool,
    parsed: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Imputed values as integer keys (YYYYMMDD or YYYYMMDDhhmmss) and where they hold."""
    fn = "impute_dtc_dtm" if with_time else "impute_dtc_dt"
    levels = _DATETIME_LEVELS if with_time else _DATE_LEVELS
    if highest_imputation not in levels:
        raise UsageError(
            f"{fn}: highest_imputation={highest_imputation!r} is not one of {', '.join(levels)}",
            hint="levels are case-sensitive: Y, M, D for dates, h, m, s for times, n for none",
        )
    highest = _LEVEL[highest_imputation]
    date_rule = _check_date_imputation(date_imputation, highest_imputation, fn)
    time_rule = _check_time_imputation(time_imputation, fn) if with_time else (0, 0, 0)
    _check_bool(preserve, "preserve", fn)
    mins = _bound_keys(min_dates, "min_dates", dtc, with_time, is_max=False, fn=fn)
    maxs = _bound_keys(max_dates, "max_dates", dtc, with_time, is_max=True, fn=fn)
    if highest_imputation == "Y":
        needed = "min_dates" if date_rule[0] == "first" else "max_dates"
        if not (mins if needed == "min_dates" else maxs):
            raise UsageError(
                f'{fn}: highest_imputation="Y" with date_imputation="{date_rule[0]}" '
                f"needs {needed}",
                hint=f"pass {needed}=[...] (e.g. treatment dates) or impute up to 'M' only",
            )

    parts, valid = _parse(dtc) if parsed is None else parsed
    k = 6 if with_time else 3
    key, ok, year_missing = _fill(parts[:, :k], valid, highest, date_rule, time_rule, preserve)
    if mins or maxs:
        # The range a partial value stands for: every missing component first/last, lower
        # components always treated as missing below the first gap (admiral get_dt_dtm_range).
        lower, _, _ = _fill(parts[:, :k], valid, 6, ("first", 0, 0), (0, 0, 0), False)
        upper, _, _ = _fill(parts[:, :k], valid, 6, ("last", 0, 0), (23, 59, 59), False)
        for bound in mins:
            in_range = ok & (bound != _MISSING) & (lower <= bound) & (bound <= upper)
            key = np.where(in_range, np.maximum(key, bound), key)
        for bound in maxs:
            in_range = ok & (bound != _MISSING) & (lower <= bound) & (bound <= upper)
            key = np.where(in_range, np.minimum(key, bound), key)
    year = key // (_DATE_DIGITS * 10**4 if with_time else 10**4)
    ok &= ~(year_missing & ((year == _FIRST_YEAR) | (year == _LAST_YEAR)))
    return key, ok


def _fill(
    parts: np.ndarray,
    valid: np.ndarray,
    highest: int,
    date_rule: tuple[str, int, int],
    time_rule: tuple[int, int, int],
    preserve: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill missing components by the rules; return keys, where they hold, year missing."""
    k = parts.shape[1]
    missing = parts == _MISSING
    if not preserve:
        # A gap hides everything below it: 2019---07 is imputed as 2019.
        missing = np.logical_or.accumulate(missing, axis=1)
    ok = valid & ~(missing & (_COMPONENT_LEVEL[:k] > highest)).any(axis=1)
    kind, fixed_month, fixed_day = date_rule
    year_target = {"first": _FIRST_YEAR, "last": _LAST_YEAR}.get(kind, _MISSING)
    month_target = {"first": 1, "mid": 6, "last": 12}.get(kind, fixed_month)
    year = np.where(missing[:, 0], year_target, parts[:, 0])
    month = np.where(missing[:, 1], month_target, parts[:, 1])
    month_days = _days_in_month(year, month)
    if kind == "first":
        day_target = np.ones_like(year)
    elif kind == "mid":
        day_target = np.where(missing[:, 1], 30, 15)
    elif kind == "last":
        day_target = month_days
    else:
        day_target = np.full_like(year, fixed_day)
    day = np.where(missing[:, 2], day_target, parts[:, 2])
    # A fixed day or a preserved day can fall outside the imputed month (2019-06-31).
    ok &= (year != _MISSING) & (day <= month_days)
    key = (year * 100 + month) * 100 + day
    if k == 6:
        clock = [np.where(missing[:, 3 + i], time_rule[i], parts[:, 3 + i]) for i in range(3)]
        key = key * _DATE_DIGITS + clock[0] * 10**4 + clock[1] * 100 + clock[2]
    return key, ok, missing[:, 0]


def _dtf(parts: np.ndarray, valid: np.ndarray, notna: np.ndarray, index: pd.Index) -> pd.Series:
    """The highest date component missing from --DTC: 1 year, 2 month, 3 day, 0 none."""
    code = np.select(
        [parts[:, 0] == _MISSING, parts[:, 1] == _MISSING, parts[:, 2] == _MISSING], [1, 2, 3], 0
    )
    code = np.where(valid & notna, code, 0)
    return pd.Series(_DATE_FLAGS[code], index=index, dtype="string")


def _tmf(
    parts: np.ndarray,
    valid: np.ndarray,
    clock: np.ndarray,
    notna: np.ndarray,
    ignore_seconds_flag: bool,
    index: pd.Index,
) -> pd.Series:
    """The highest time component missing from --DTC or differing from the imputed clock."""
    differs = (parts[:, 3:] == _MISSING) | (parts[:, 3:] != clock)
    code = np.select([differs[:, 0], differs[:, 1], differs[:, 2]], [1, 2, 3], 0)
    if ignore_seconds_flag:
        code = np.where(code == 3, 0, code)
    code = np.where(valid & notna, code, 0)
    return pd.Series(_TIME_FLAGS[code], index=index, dtype="string")


def _check_no_seconds(
    parts: np.ndarray, valid: np.ndarray, ignore: bool, index: pd.Index, fn: str
) -> None:
    """admiral refuses ignore_seconds_flag when the data do carry seconds; so do we."""
    with_seconds = valid & (parts[:, 5] != _MISSING)
    if ignore and with_seconds.any():
        raise UsageError(
            f"{fn}: ignore_seconds_flag=True but the --DTC values carry seconds",
            location=f"record {index[int(np.argmax(with_seconds))]}",
            hint="set ignore_seconds_flag=False when seconds are collected",
        )


def _parse(dtc: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Components (n x 6, -1 = missing) and whether each value is a real --DTC value.

    Works on the distinct values only (dates repeat), with one regex call over them all:
    a per-value regex through pandas' string methods cost seconds per million values.
    NA and "" are valid and wholly missing (admiral imputes them when the year may be).
    """
    codes, uniques = pd.factorize(dtc, use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object).tolist()
    joined = "#" + "\n#".join(values)
    if joined.count("\n") != max(len(values) - 1, 0):
        # A line break inside a value would shift every later line; such a value is not a
        # date. Rare, so the slower clean-up runs only when one is there.
        values = ["?" if "\n" in value else value for value in values]
        joined = "#" + "\n#".join(values)
    found = _DTC_LINES.findall(joined) if values else []
    groups = np.array(found, dtype="U5").reshape(len(values), 7)
    # Digits straight from their code points: numpy's text-to-int conversion is slow.
    digits = groups[:, :6].view(np.uint32).reshape(len(values), 6, 5).astype(np.int64) - 48
    number = digits[:, :, 0] * 10 + digits[:, :, 1]
    number[:, 0] = number[:, 0] * 100 + digits[:, 0, 2] * 10 + digits[:, 0, 3]
    known = (groups[:, :6] != "") & (groups[:, :6] != "-")
    parts = np.full((len(values) + 1, 6), _MISSING, dtype=np.int64)
    parts[:-1] = np.where(known, number, _MISSING)
    valid = np.ones(len(values) + 1, dtype=bool)
    valid[:-1] = (groups[:, 6] == "") & _real(parts[:-1])
    # Code -1 (NA) picks the extra all-missing row at the end.
    return parts[codes], valid[codes]


def _real(parts: np.ndarray) -> np.ndarray:
    """Whether known components can be a real date and time (unknown year allows Feb 29)."""
    year, month, day, hour, minute, second = parts.T
    ok = (month == _MISSING) | ((month >= 1) & (month <= 12))
    limit = np.where(month == _MISSING, 31, _days_in_month(np.where(year < 0, 2000, year), month))
    ok &= (day == _MISSING) | ((day >= 1) & (day <= limit))
    return ok & (hour <= 23) & (minute <= 59) & (second <= 59)


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)


def _keys_to_datetime64(key: np.ndarray, ok: np.ndarray, *, with_time: bool) -> np.ndarray:
    """Integer keys to datetime64[s], NaT where not ok."""
    key = np.where(ok, key, 19700101 * (_DATE_DIGITS if with_time else 1))
    seconds = np.zeros_like(key)
    if with_time:
        clock = key % _DATE_DIGITS
        seconds = clock // 10**4 * 3600 + clock // 100 % 100 * 60 + clock % 100
        key = key // _DATE_DIGITS
    year, month, day = key // 10**4, key // 100 % 100, key % 100
    months = ((year - 1970) * 12 + month - 1).astype("timedelta64[M]")
    days = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]") + (day - 1)
    out = days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    out[~ok] = np.datetime64("NaT")
    return out


def _to_text(values: np.ndarray, ok: np.ndarray, unit: str, index: pd.Index) -> pd.Series:
    # Formatting the distinct values only, then taking, halves the cost on a million rows.
    codes, uniques = pd.factorize(values.view(np.int64))
    text = np.datetime_as_string(uniques.view("datetime64[s]"), unit=unit).astype(object)
    out = pd.Series(text[codes], index=index, dtype="string")
    return out.where(ok, pd.NA)


def _to_ns(values: np.ndarray, index: pd.Index) -> pd.Series:
    years = values.astype("datetime64[Y]").astype(np.int64) + 1970
    inside = ~np.isnat(values) & (years >= _NS_YEARS[0]) & (years <= _NS_YEARS[1])
    values = np.where(inside, values, np.datetime64("NaT"))
    return pd.Series(values.astype("datetime64[ns]"), index=index)


# --- arguments -------------------------------------------------------------------------


def _check_dtc(dtc: object, fn: str) -> pd.Series:
    if not isinstance(dtc, pd.Series):
        raise UsageError(
            f"{fn}: dtc must be a pandas Series of --DTC text, not {type(dtc).__name__}",
            hint="pass a column, e.g. ae['AESTDTC']",
        )
    if pd.api.types.is_datetime64_any_dtype(dtc):
        raise UsageError(
            f"{fn}: dtc holds datetimes already; imputation works on --DTC text",
            hint="pass the SDTM --DTC column",
        )
    return dtc.astype("string")


def _check_aligned(values: object, dtc: pd.Series, name: str, fn: str) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise UsageError(
            f"{fn}: {name} must be a pandas Series, not {type(values).__name__}",
            hint="pass a column of the same frame as dtc",
        )
    if len(values) != len(dtc) or not values.index.equals(dtc.index):
        raise UsageError(
            f"{fn}: {name} has {len(values)} values on another index than dtc ({len(dtc)})",
            hint="pass columns of the same frame, or align them first",
        )
    return values


def _check_bool(value: object, name: str, fn: str) -> None:
    if not isinstance(value, bool | np.bool_):
        raise UsageError(f"{fn}: {name} must be True or False, not {value!r}")


def _check_date_imputation(value: object, highest: str, fn: str) -> tuple[str, int, int]:
    """Validate date_imputation as admiral does; return (kind, fixed month, fixed day)."""
    text = value.lower() if isinstance(value, str) else value
    if text in ("first", "mid", "last"):
        if highest == "Y" and text == "mid":
            raise UsageError(
                f'{fn}: date_imputation="mid" cannot impute a year',
                hint='with highest_imputation="Y" use "first" with min_dates or "last" with max_dates',
            )
        return (str(text), 0, 0)
    pattern = r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    fixed = re.fullmatch(pattern, text) if isinstance(text, str) else None
    # A fixed month and day must exist at least in a leap year (admiral refuses "02-30" too).
    if fixed and int(fixed[2]) <= _DAYS[int(fixed[1]) - 1] + (fixed[1] == "02"):
        if highest in ("D", "Y"):
            raise UsageError(
                f"{fn}: date_imputation={value!r} needs highest_imputation='M' (got {highest!r})",
                hint='a fixed MM-DD is for month imputation only (admiral); use "first" or "last"'
                if highest == "Y"
                else 'use "first", "mid" or "last" at this level, as admiral requires',
            )
        return ("fixed", int(fixed[1]), int(fixed[2]))
    raise UsageError(
        f"{fn}: date_imputation={value!r} is not first, mid, last or a real MM-DD",
        hint='e.g. "first" or "06-15"',
    )


def _check_time_imputation(value: object, fn: str) -> tuple[int, int, int]:
    text = value.lower() if isinstance(value, str) else ""
    if text == "first":
        return (0, 0, 0)
    if text == "last":
        return (23, 59, 59)
    fixed = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d):([0-5]\d)", text)
    if fixed is None:
        raise UsageError(
            f"{fn}: time_imputation={value!r} is not first, last or a real hh:mm:ss",
            hint='e.g. "first" or "12:00:00"',
        )
    return (int(fixed[1]), int(fixed[2]), int(fixed[3]))


def _bound_keys(
    bounds: object, name: str, dtc: pd.Series, with_time: bool, *, is_max: bool, fn: str
) -> list[np.ndarray]:
    """min_dates / max_dates as integer keys comparable with imputed keys (-1 = NA)."""
    if bounds is None:
        return []
    if isinstance(bounds, pd.Series) or not isinstance(bounds, list | tuple):
        raise UsageError(
            f"{fn}: {name} must be a list of Series, not {type(bounds).__name__}",
            hint=f"wrap a single column in a list: {name}=[adsl['TRTSDTM']]",
        )
    keys = []
    for position, bound in enumerate(bounds):
        label = f"{name}[{position}]"
        bound = _check_aligned(bound, dtc, label, fn)
        parts = _datetime_parts(bound, label, fn)
        date_only = parts[:, 3] == _MISSING
        if with_time and is_max:
            # A date bounds the whole day: admiral imputes 23:59:59 for max dates.
            parts[date_only, 3:] = (23, 59, 59)
        parts[:, 3:] = np.where(parts[:, 3:] == _MISSING, 0, parts[:, 3:])
        key = (parts[:, 0] * 100 + parts[:, 1]) * 100 + parts[:, 2]
        if with_time:
            key = key * _DATE_DIGITS + parts[:, 3] * 10**4 + parts[:, 4] * 100 + parts[:, 5]
        keys.append(np.where(parts[:, 0] == _MISSING, _MISSING, key))
    return keys


def _datetime_parts(values: pd.Series, name: str, fn: str) -> np.ndarray:
    """Complete dates/datetimes as components; hour -1 marks a date without time; NA rows -1.

    Text must be a complete date, optionally with hh:mm or hh:mm:ss. A datetime column whose
    values all fall at midnight is taken as a date column (how ``DT`` columns look in pandas).
    """
    if pd.api.types.is_string_dtype(values) or (
        values.dtype == object and values.map(type, na_action="ignore").isin([str]).all()
    ):
        text = values.astype("string")
        parts, valid = _parse(text)
        present = parts != _MISSING
        blank = (text.fillna("") == "").to_numpy(dtype=bool)
        complete = valid & present[:, :3].all(axis=1)
        complete &= ~present[:, 3] | present[:, 4]
        complete &= present[:, 3] | ~present[:, 4:].any(axis=1)
        bad = ~blank & ~complete
        if bad.any():
            record = values.index[int(np.argmax(bad))]
            raise InputError(
                f"{fn}: {name} holds {text.iloc[int(np.argmax(bad))]!r}, not a complete "
                "ISO 8601 date or datetime",
                location=f"record {record}",
                hint="pass complete dates (impute them first) or leave the value empty",
            )
        parts[blank] = _MISSING
        parts[~present[:, 3] & ~blank, 3] = _MISSING
        parts[present[:, 3] & ~present[:, 5], 5] = 0
        return parts
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise UsageError(
            f"{fn}: {name} holds numbers ({values.dtype}), not dates",
            hint="pass a date column such as adsl['TRTSDT']",
        )
    try:
        stamps = pd.to_datetime(values)
    except (TypeError, ValueError) as error:
        raise UsageError(
            f"{fn}: {name} must hold dates, datetimes or ISO 8601 text ({error})",
            hint="pass a date column such as adsl['TRTSDT']",
        ) from None
    if not pd.api.types.is_datetime64_any_dtype(stamps):
        raise UsageError(f"{fn}: {name} must hold dates, datetimes or ISO 8601 text")
    if getattr(stamps.dt, "tz", None) is not None:
        # admiral compares in UTC.
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    raw = stamps.to_numpy(dtype="datetime64[s]")
    nat = np.isnat(raw)
    raw = np.where(nat, np.datetime64(0, "s"), raw)
    day = raw.astype("datetime64[D]")
    month = raw.astype("datetime64[M]")
    clock = (raw - day).astype(np.int64)
    parts = np.stack(
        [
            raw.astype("datetime64[Y]").astype(np.int64) + 1970,
            month.astype(np.int64) % 12 + 1,
            (day - month.astype("datetime64[D]")).astype(np.int64) + 1,
            clock // 3600,
            clock // 60 % 60,
            clock % 60,
        ],
        axis=1,
    )
    if not clock[~nat].any():
        parts[:, 3] = _MISSING
    parts[nat] = _MISSING
    return parts
