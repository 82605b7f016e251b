"""Data values as spreadsheet-safe text, for every file a person may open in Excel.

A value from the input that starts like a formula (``=HYPERLINK(...)``, ``+1``, ``@SUM``)
is run as one when a spreadsheet opens the file (OWASP "CSV injection"). The validation
workbook and the lineage, censoring and estimate CSVs of a build write text through
:func:`excel_text`, so a cell shows what the data holds and nothing runs.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc.validation import columns

#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Control characters that XML 1.0 (and so .xlsx) cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ILLEGAL_PATTERN = re.compile(_ILLEGAL)


def excel_text(values: pd.Series) -> pd.Series:
    """``values`` as text that a spreadsheet shows as written: missing as "", characters
    XML cannot hold as ``?``, and a leading ``'`` on text that starts like a formula.

    >>> excel_text(pd.Series(["=1+1", "-3", "ok", None])).tolist()
    ["'=1+1", "'-3", 'ok', '']
    """
    # once per distinct value: a lineage file repeats a few thousand texts a million times
    return columns.per_value(values, "excel_text", _cell_text, fill="")


def _cell_text(values: pd.Series) -> np.ndarray:
    if _already_safe(values):
        return values.to_numpy(dtype=object)
    text = values.astype(str).str.replace(_ILLEGAL, "?", regex=True)
    return text.where(~text.str.startswith(FORMULA_PREFIXES), "'" + text).to_numpy(dtype=object)


def _already_safe(values: pd.Series) -> bool:
    """Whether distinct texts are all ``str`` and none needs changing, judged on their join
    (C loops, not one call per value: a lineage file's record numbers are all distinct).
    Joined by a line feed, which is neither a character XML refuses nor a formula prefix:
    every value but the first starts after one. A line feed inside a value followed by a
    prefix is a false alarm, and the values then go the per-value way."""
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):
        return False
    joined = "\n".join(values.tolist())
    if _ILLEGAL_PATTERN.search(joined) or joined.startswith(FORMULA_PREFIXES):
        return False
    return not any("\n" + prefix in joined for prefix in FORMULA_PREFIXES)


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text column through :func:`excel_text`, for a CSV file.

    Number, date and boolean columns, and object columns that hold anything but text, are
    left as they are, so the file's other bytes do not change (a negative number stays a
    number). Missing text is written empty either way.

    >>> excel_safe(pd.DataFrame({"USUBJID": ["=HYPERLINK(1)", "S-1"], "N": [-1, 2]})).to_csv(
    ...     index=False
    ... ).splitlines()
    ['USUBJID,N', "'=HYPERLINK(1),-1", 'S-1,2']
    """
    out = frame.copy()
    for name in out.columns:  # a loop over columns, not records
        if pd.api.types.is_string_dtype(out[name]):
            out[name] = excel_text(out[name])
    return out
