"""Facts about a column that many rules need, computed once per validation run.

Rules look at the same columns over and over: is the value missing, what are the distinct
values, what is each one upper-cased or as a date. SDTM columns repeat a handful of values
over millions of records, so each fact is worked out on the distinct values and spread back
to records by code, and :func:`shared` (which :func:`cdisc.validation.engine.run_rules`
opens around a run) keeps it for every later rule that asks about the same column.

A column is recognised by its memory (the data pointer, length, stride and dtype of its
values), so every ``frame[column]`` of the same frame is the same column. The cache holds a
reference to the values it describes, so their memory cannot be reused by another column
while the run lasts; it is dropped when the run ends. Outside a run nothing is kept: the
functions compute and return.

>>> import pandas as pd
>>> values = pd.Series(["a", None, "b", "a"])
>>> codes, uniques = distinct(values)
>>> codes.tolist(), uniques.tolist()
([0, -1, 1, 0], ['a', 'b'])
>>> per_value(values, "upper", lambda u: u.str.upper()).tolist()
['A', None, 'B', 'A']
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

_RUNS: list[tuple[dict[tuple, tuple[np.ndarray, object]], dict[tuple, object]]] = []


@contextmanager
def shared(known: Iterable[tuple[pd.Series, tuple[np.ndarray, pd.Series]]] = ()) -> Iterator[None]:
    """Keep column facts for the duration of the ``with`` block (one validation run).

    ``known`` offers the distinct values of some columns as (column, (codes, values)): the
    XPT reader found them while decoding (:attr:`cdisc.validation.package.Package.distinct`).
    An offer is taken when the column still holds exactly those values (checked on first
    use, about a tenth of the cost of factorising it again) and ignored otherwise."""
    offers = {}
    for values, found in known:
        key = _key(values, "distinct")
        if key is not None:
            offers[key] = found
    _RUNS.append(({}, offers))
    try:
        yield
    finally:
        _RUNS.pop()


def _key(values: pd.Series | np.ndarray, what: str) -> tuple | None:
    """The memory a column's values occupy, and ``what``: None for an extension array."""
    array = values.to_numpy(copy=False) if isinstance(values, pd.Series) else values
    if not isinstance(array, np.ndarray):
        return None
    interface = array.__array_interface__
    return (interface["data"][0], array.shape, interface["strides"], array.dtype.str, what)


def _remembered(values: pd.Series, what: str, compute: Callable[[], object]) -> object:
    if not _RUNS:
        return compute()
    key = _key(values, what)
    if key is None:  # an extension array: not cached
        return compute()
    cache = _RUNS[-1][0]
    if key not in cache:
        cache[key] = (values.to_numpy(copy=False), compute())
    return cache[key][1]


def distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(code per record, -1 where missing; the distinct non-missing values, object dtype, in
    order of first appearance), as :func:`pandas.factorize` gives them (int32 codes)."""

    def compute() -> tuple[np.ndarray, pd.Series]:
        offered = _RUNS[-1][1].pop(_key(values, "distinct"), None) if _RUNS else None
        if offered is not None and _holds(values, *offered):
            return offered
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        return _narrow(codes, len(uniques)), uniques

    return _remembered(values, "distinct", compute)  # type: ignore[return-value]


def _holds(values: pd.Series, codes: np.ndarray, uniques: pd.Series) -> bool:
    """Whether ``values`` are exactly ``uniques`` by ``codes`` (None where the code is -1)."""
    if len(codes) != len(values) or not pd.api.types.is_object_dtype(values):
        return False
    actual = values.to_numpy(dtype=object, copy=False)
    table = np.append(uniques.to_numpy(dtype=object), None)
    # The values are the reader's own objects unless someone changed them: comparing the
    # object pointers (integers, gathered without touching the objects) settles it at
    # memory speed; anything else is compared by value.
    mine, theirs = _addresses(actual), _addresses(table)
    if mine is not None and theirs is not None and np.array_equal(mine, theirs[codes]):
        return True
    return bool((actual == table[codes]).all())


def _addresses(array: np.ndarray) -> np.ndarray | None:
    """The object pointers of a contiguous object array as integers: a view of its memory
    (valid while ``array`` lives), or None when the array is not contiguous."""
    if array.dtype != object or not array.flags.c_contiguous or not len(array):
        return None
    pointers = (ctypes.c_size_t * len(array)).from_address(array.ctypes.data)
    return np.ctypeslib.as_array(pointers)


def _narrow(codes: np.ndarray, count: int) -> np.ndarray:
    """Codes as int32 when they fit: half the memory of pandas' int64, kept for every column."""
    return codes.astype(np.int32) if count < np.iinfo(np.int32).max else codes


def missing(values: pd.Series) -> np.ndarray:
    """True where a value is missing (None or NaN)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_object_dtype(values):
        return _remembered(values, "missing", lambda: values.isna().to_numpy())  # type: ignore[return-value]
    return distinct(values)[0] < 0


def per_distinct(values: pd.Series, what: str, compute: Callable[[pd.Series], object]) -> object:
    """``compute`` applied to the distinct values of ``values`` (see :func:`distinct`), kept
    for the run under ``what``: the result is aligned with the distinct values, not records."""
    return _remembered(values, f"per_distinct:{what}", lambda: compute(distinct(values)[1]))


def per_value(
    values: pd.Series, what: str, compute: Callable[[pd.Series], object], fill: object = None
) -> pd.Series:
    """``compute`` applied to the distinct values of ``values`` (a Series of them, object
    dtype) and spread back to records; ``fill`` where the value is missing. ``what`` names
    the computation: results are kept per column and name, so a name means one computation.
    The result has the dtype ``compute`` returns (object for text, ``datetime64`` for dates).
    """

    def spread() -> np.ndarray:
        codes, uniques = distinct(values)
        result = np.asarray(compute(uniques))
        if result.dtype.kind in "OUS":
            result = result.astype(object)
        # code -1 (missing) picks the element appended last
        return np.append(result, np.asarray([fill], dtype=result.dtype))[codes]

    array = _remembered(values, f"per_value:{what}", spread)
    return pd.Series(array, index=values.index, dtype=array.dtype)  # type: ignore[union-attr]


def flags(values: pd.Series, what: str, test: Callable[[pd.Series], object]) -> np.ndarray:
    """True where ``test`` (run on the distinct values, a Series of them) is True for the
    record's value; False where the value is missing."""

    def spread() -> np.ndarray:
        codes, uniques = distinct(values)
        verdict = np.asarray(test(uniques), dtype=bool) if len(uniques) else np.zeros(0, bool)
        return np.append(verdict, False)[codes]

    return _remembered(values, f"flags:{what}", spread)  # type: ignore[return-value]


def byte_lengths(values: pd.Series, encoding: str) -> np.ndarray:
    """Length in bytes of each value (text, or its ``str``) in ``encoding``: the character
    count when the values are all ASCII and the encoding writes ASCII as itself, which
    spares encoding every value; ``errors="replace"`` for characters it cannot hold.

    >>> byte_lengths(pd.Series(["ab", "é"]), "utf-8").tolist()
    [2, 2]
    """
    text = pd.Series(list(map(str, values.to_numpy(dtype=object))), dtype=object)
    if _ascii_compatible(encoding) and "".join(text).isascii():
        return text.str.len().to_numpy(dtype=np.int64)
    return text.str.encode(encoding, errors="replace").str.len().to_numpy(dtype=np.int64)


def _ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes ASCII text as itself (UTF-8, windows-1252; not UTF-16)."""
    sample = "AZaz09 ."
    try:
        return sample.encode(encoding) == sample.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each code, for codes numbered in order of first
    appearance (as :func:`pandas.factorize` numbers them, and without a missing code): the
    positions where a code exceeds every code before it.

    >>> first_rows(np.array([0, 1, 0, 2, 1])).tolist()
    [0, 1, 3]
    """
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    seen = np.maximum.accumulate(codes)
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    new[1:] = seen[1:] > seen[:-1]
    return np.flatnonzero(new)


def isin(values: pd.Series, allowed: object, what: str) -> np.ndarray:
    """True where the value is one of ``allowed`` (False where missing), tested once per
    distinct value. ``what`` names ``allowed`` for the run's cache (one name, one set)."""
    return flags(values, f"isin:{what}", lambda u: u.isin(allowed))


def found_in(frame: pd.DataFrame, other: pd.DataFrame, names: list[str]) -> np.ndarray:
    """True on each record of ``frame`` whose ``names`` values (all present) are those of a
    record of ``other`` (all present there too): a membership test on integer codes, built
    from each column's distinct values, instead of a lookup of tuples per record."""
    left = np.zeros(len(frame), dtype=np.int64)
    right = np.zeros(len(other), dtype=np.int64)
    complete = np.ones(len(other), dtype=bool)
    usable = np.ones(len(frame), dtype=bool)
    for name in names:
        right_codes, right_values = distinct(other[name])
        left_codes, left_values = distinct(frame[name])
        # each distinct value of frame as its position among other's values (-1: absent)
        position = pd.Index(right_values).get_indexer(left_values)
        radix = len(right_values) + 1
        if max(left.max(initial=0), right.max(initial=0)) >= np.iinfo(np.int64).max // radix:
            joint, _ = pd.factorize(np.concatenate([left, right]))  # renumber: no overflow
            left, right = joint[: len(left)], joint[len(left) :]
        left = left * radix + np.append(position, -1)[left_codes] + 1
        right = right * radix + right_codes + 1
        complete &= right_codes >= 0
        usable &= left_codes >= 0
    return usable & np.isin(left, right[complete])


def present(values: pd.Series) -> np.ndarray:
    """True where a value is not missing (``notna``), from the column's codes when it is text."""
    return ~missing(values)


def group_codes(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """One integer per record, equal for records whose ``names`` values are all equal (two
    missing values count as equal, as in :meth:`pandas.DataFrame.duplicated`), from the
    columns' codes; an empty ``names`` puts every record in one group."""
    combined = np.zeros(len(frame), dtype=np.int64)
    for name in names:
        codes, uniques = distinct(frame[name])
        size = len(uniques) + 1
        if combined.max(initial=0) >= np.iinfo(np.int64).max // (size + 1):
            combined = pd.factorize(combined)[0].astype(np.int64)  # renumber: no overflow
        combined = combined * size + (codes + 1)
    return combined


def duplicated(
    frame: pd.DataFrame, names: list[str], within: np.ndarray | pd.Series | None = None
) -> np.ndarray:
    """True on every record whose ``names`` values another record repeats (``keep=False``);
    with ``within`` (a boolean mask) only those records count, and the others are False.

    >>> frame = pd.DataFrame({"A": ["x", "x", "y"], "B": [1, 1, 1]})
    >>> duplicated(frame, ["A", "B"]).tolist(), duplicated(frame, ["B"], [True, False, True]).tolist()
    ([True, True, False], [True, False, True])
    """
    groups = group_codes(frame, names)
    mask = np.ones(len(frame), dtype=bool) if within is None else np.asarray(within, dtype=bool)
    out = np.zeros(len(frame), dtype=bool)
    if mask.any():
        codes, _ = pd.factorize(groups[mask])
        out[mask] = np.bincount(codes)[codes] > 1
    return out


def mapped(values: pd.Series, mapping: pd.Series, what: str) -> pd.Series:
    """``values.map(mapping)``, looked up once per distinct value (a value per subject, mapped
    onto a million records, is mapped ten thousand times, not a million). ``what`` names the
    mapping for the run's cache. Missing values map to missing (NaN or NaT), as in pandas."""
    if mapping.dtype.kind in "iu":  # as Series.map: a value it lacks becomes NaN
        mapping = mapping.astype(float)
    elif mapping.dtype.kind == "b":
        mapping = mapping.astype(object)
    result = mapping.dtype
    fill: object = np.nan  # what Series.map gives a missing value (object or float)
    if result.kind in "mM":
        fill = np.datetime64("NaT") if result.kind == "M" else np.timedelta64("NaT")
    found = per_value(values, f"map:{what}", lambda u: u.map(mapping).to_numpy(), fill=fill)
    return found.rename(values.name)
