"""Work once per distinct value, then spread the results back over every record.

Raw and SDTM columns repeat their values a great deal (a subject key on every record of the
subject, a unit on every result of a test, a date on every result of a visit). pandas'
string methods on text columns call Python once per element, so an operation that scans a
column costs per record; the same operation on the column's distinct values costs per
distinct value, and a ``take`` spreads the result back in compiled code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def distinct_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of ``frame`` (missing values count as a value), on a fresh
    RangeIndex, and for each row of ``frame`` the position of its distinct row.

    >>> keys = pd.DataFrame({"_subject": ["01", "02", "01", None], "_site": ["A", "B", "A", None]})
    >>> rows, codes = distinct_rows(keys)
    >>> rows["_subject"].tolist(), codes.tolist()
    (['01', '02', nan], [0, 1, 0, 2])
    """
    if not len(frame.columns):
        raise ValueError("distinct_rows needs at least one column")
    if len(frame.columns) == 1:
        codes, _ = _factorize(frame.iloc[:, 0], use_na_sentinel=False)
    else:
        codes = frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup().to_numpy()
    codes = np.asarray(codes, dtype=np.intp)
    # Codes run 0..k-1: the first position of each code, in code order, is one row per code.
    _, first = np.unique(codes, return_index=True)
    return frame.iloc[first].reset_index(drop=True), codes


def spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` (one per distinct row) taken at ``codes``, on ``index``; dtype kept.

    >>> spread(pd.Series(["x", "y"], dtype="string"), np.array([1, 0, 1]), pd.RangeIndex(3)).tolist()
    ['y', 'x', 'y']
    """
    return values.iloc[codes].set_axis(index)


def by_value(values: pd.Series, function: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``function`` of ``values``, worked on its distinct values (missing included, once).

    ``function`` takes and returns a Series on a RangeIndex, one result per value, and must
    treat each value on its own (no shifts, no counts across values). The result has
    ``values``' index and the dtype ``function`` returns.

    >>> by_value(pd.Series([" a", "b ", " a", None], dtype="string"), lambda v: v.str.strip()).tolist()
    ['a', 'b', 'a', <NA>]
    """
    codes, uniq = _factorize(values, use_na_sentinel=False)
    result = function(pd.Series(uniq, dtype=values.dtype))
    return spread(result, np.asarray(codes, dtype=np.intp), values.index)


def rows_where(
    values: pd.Series, test: Callable[[pd.Series], pd.Series | np.ndarray]
) -> np.ndarray:
    """Positions of the rows of ``values`` whose value passes ``test``, worked on the
    distinct non-missing values (missing values never pass).

    ``test`` takes the distinct values as a Series (the dtype of ``values``, on a
    RangeIndex) and returns one boolean per value. Nothing is spread back when no value
    passes, so a check that rarely fires costs one factorisation of the column.

    >>> rows_where(pd.Series([" ", "a", " ", None], dtype="str"), lambda v: v.str.isspace()).tolist()
    [0, 2]
    """
    codes, uniq = _factorize(values, use_na_sentinel=True)
    if not len(uniq):
        return np.zeros(0, dtype=np.intp)
    passed = np.asarray(test(pd.Series(uniq, dtype=values.dtype)), dtype=bool)
    if not passed.any():
        return np.zeros(0, dtype=np.intp)
    # Code -1 (missing) picks the appended False.
    return np.flatnonzero(np.append(passed, False)[codes])


def _factorize(values: pd.Series, *, use_na_sentinel: bool) -> tuple[np.ndarray, object]:
    """``pd.factorize(values)``; a text column's object array is factorised as it is.

    Through the Series, pandas first copies a text column's array and masks its missing
    values, which doubles the cost; the codes and the distinct values (in the same order,
    missing as NaN) are the same either way.
    """
    if values.dtype == "str":
        return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=use_na_sentinel)
    return pd.factorize(values, use_na_sentinel=use_na_sentinel)
