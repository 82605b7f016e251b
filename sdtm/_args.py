"""Argument checks shared by the SDTM primitives: every problem reported at once, as UsageError.

Private to ``sdtm``: the public functions call these first so that a wrong column name or
argument type ends in one message naming the argument and the fix, never in a KeyError.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cdisc.errors import UsageError

#: dtype of every text column the primitives write (pandas' default string dtype, NaN missing),
#: the same as the raw frames of ``cdisc.readers``.
TEXT = "str"


def require_frame(dataset: object, function: str) -> pd.DataFrame:
    """``dataset`` itself when it is a DataFrame, else UsageError."""
    if not isinstance(dataset, pd.DataFrame):
        raise UsageError(
            f"{function}: dataset must be a pandas DataFrame, not {type(dataset).__name__}",
            hint="pass the domain's frame as the first argument",
        )
    return dataset


def require_columns(
    dataset: pd.DataFrame, columns: Iterable[tuple[str, str]], function: str
) -> None:
    """Raise one UsageError naming every ``(argument, column)`` pair absent from ``dataset``."""
    missing = [(arg, col) for arg, col in columns if col not in dataset.columns]
    if not missing:
        return
    names = [str(c) for c in dataset.columns]
    parts = []
    for arg, col in missing:
        close = difflib.get_close_matches(str(col), names, n=1)
        suggestion = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{arg}={col!r}{suggestion}")
    raise UsageError(
        f"{function}: column(s) not in dataset: " + ", ".join(parts),
        hint="columns present: " + ", ".join(names[:30]) + (" ..." if len(names) > 30 else ""),
    )


def name_list(value: str | Sequence[str], argument: str, function: str) -> list[str]:
    """A column name or a sequence of names as a list; UsageError for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UsageError(
        f"{function}: {argument} must be a column name or a list of column names, not {value!r}",
        hint=f'for example {argument}=["USUBJID"]',
    )


def require_name(value: object, argument: str, function: str) -> str:
    """``value`` when it is a non-empty string, else UsageError."""
    if not isinstance(value, str) or not value:
        raise UsageError(
            f"{function}: {argument} must be a column name, not {value!r}",
            hint=f'for example {argument}="AESEQ"',
        )
    return value


def aligned(series: pd.Series, dataset: pd.DataFrame, argument: str, function: str) -> pd.Series:
    """``series`` when its index is the dataset's index (same labels, same order)."""
    if not series.index.equals(dataset.index):
        raise UsageError(
            f"{function}: {argument} is a Series whose index differs from the dataset's",
            hint="pass a column name, or a Series built on dataset.index",
        )
    return series


def blank_to_missing(values: pd.Series) -> pd.Series:
    """Text with surrounding blanks removed; empty or blank-only becomes missing."""
    codes, uniq = pd.factorize(values.astype(TEXT))
    text = pd.Series(uniq, dtype=TEXT).str.strip()
    text = [*text.mask(text == "").to_numpy(dtype=object, na_value=None), None]
    # Once per distinct value; code -1 (missing) picks the appended None.
    return pd.Series(np.asarray(text, dtype=object)[codes], index=values.index, dtype=TEXT)


def reference_dates(dataset: pd.DataFrame, ref_dtc: str | pd.Series, function: str) -> pd.Series:
    """The reference date column ``ref_dtc`` names, or the Series given, aligned to ``dataset``."""
    if isinstance(ref_dtc, str):
        return dataset[ref_dtc]
    if isinstance(ref_dtc, pd.Series):
        return aligned(ref_dtc, dataset, "ref_dtc", function)
    raise UsageError(
        f"{function}: ref_dtc must be a column name or a Series, not {type(ref_dtc).__name__}",
        hint='for example ref_dtc="RFSTDTC" after merging DM',
    )
