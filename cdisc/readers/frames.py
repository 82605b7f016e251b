"""Assembling raw frames in the shape ``base.py`` promises: lineage columns first, all text.

Every reader ends here, so every raw frame has the same dtypes whatever its source: pandas'
default string dtype (``str``), with NaN for an absent or empty value.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

import numpy as np
import pandas as pd

from cdisc.errors import InputError
from cdisc.readers.base import LINEAGE_COLUMNS

#: dtype of every raw column: pandas' default string dtype, missing as NaN.
TEXT = "str"


def as_text(values: object, *, empty_is_missing: bool = True) -> pd.Series:
    """Turn strings (``None``/NaN for missing) into a text Series; ``""`` becomes missing.

    ``empty_is_missing=False`` skips that step for callers that never produce ``""``.

    >>> as_text(["1", "", None]).tolist()
    ['1', nan, nan]
    """
    if isinstance(values, pd.Series) and values.dtype == TEXT:
        # Already text (pandas' CSV reader gives it): only "" -> missing, no re-conversion.
        text = values.reset_index(drop=True)
        if empty_is_missing:
            empty = (text == "").to_numpy(dtype=bool, na_value=False)
            if empty.any():
                text = text.mask(empty)
        return text
    if isinstance(values, pd.Series):
        array = values.to_numpy(dtype=object, na_value=None)
    else:
        array = np.asarray(values, dtype=object)
    if empty_is_missing:
        empty = array == ""
        if empty.any():
            array = array.copy()
            array[empty] = None
    return pd.Series(array, dtype=TEXT)


def assemble_frame(
    lineage: Mapping[str, object],
    data: pd.DataFrame,
    *,
    path: str | PathLike[str],
    empty_is_missing: bool = True,
) -> pd.DataFrame:
    """Return a raw frame: the seven lineage columns in contract order, then ``data``'s columns.

    ``lineage`` maps each name of ``LINEAGE_COLUMNS`` to a scalar (repeated on every row), an
    array-like or Series as long as ``data`` (a Series is read by position), or ``None`` (all
    missing). Every column comes back as text
    on a fresh ``RangeIndex``, with empty strings turned into missing unless
    ``empty_is_missing=False`` (for readers that never produce them). A data column that
    clashes with a lineage name raises ``InputError`` naming ``path``.

    >>> f = assemble_frame({"_file": "a.csv", "_form": "a", "_record": ["1"], "_subject": ["7"],
    ...                     "_site": None, "_event": None, "_repeat": None},
    ...                    pd.DataFrame({"X": ["ND"]}), path="a.csv")
    >>> list(f.columns)
    ['_file', '_form', '_record', '_subject', '_site', '_event', '_repeat', 'X']
    """
    clash = [c for c in data.columns if c in LINEAGE_COLUMNS]
    if clash:
        raise InputError(
            f"column {clash[0]!r} has the name of a lineage column the toolkit adds",
            path=path,
            hint="rename the column in the export; names starting with '_' are reserved",
        )
    n = len(data)
    columns: dict[str, pd.Series] = {}
    for name in LINEAGE_COLUMNS:
        value = lineage.get(name)
        if isinstance(value, str) and value:
            # One text value repeated: a take copies references, no per-row conversion.
            columns[name] = pd.Series(pd.array([value], dtype=TEXT).take(np.zeros(n, np.intp)))
            continue
        if isinstance(value, pd.Series):
            columns[name] = as_text(value, empty_is_missing=empty_is_missing)
            continue
        if value is None or isinstance(value, str):
            array = np.full(n, value, dtype=object)
        else:
            array = np.asarray(value, dtype=object)
        columns[name] = as_text(array, empty_is_missing=empty_is_missing)
    for name in data.columns:
        columns[name] = as_text(data[name], empty_is_missing=empty_is_missing)
    # One constructor call: adding hundreds of columns one by one fragments the frame. The
    # columns are fresh or (copy-on-write) shared with ``data``: no need to copy them again.
    return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)
