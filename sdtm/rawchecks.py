"""Checks on the raw values a build reads, before any mapping changes them.

The mapping trims text and reads a blank as missing (SDTM has no "blank" value). A value
made only of blanks (a single space typed into a result) is therefore read as missing; so
that this never happens silently, every such raw value of a form some domain reads is
reported (``whitespace-only``, a warning) with its file, form, record and field.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc.readers.base import DECODE_SUFFIX, LINEAGE_COLUMNS, RawExport
from sdtm.distinct import rows_where
from sdtm.engine import ISSUE_COLUMNS, issues_at


def whitespace_only(export: RawExport, forms: list[str]) -> pd.DataFrame:
    """One problem per raw value of ``forms`` that is not empty but only blanks.

    >>> from cdisc.readers.base import RawExport
    >>> raw = pd.DataFrame({"_file": "f", "_form": "vs", "_record": ["1", "2"],
    ...                     "_subject": "01", "_site": None, "_event": "BL", "_repeat": None,
    ...                     "PULSE": [" ", "72"]})
    >>> whitespace_only(RawExport("odm", "f", {"vs": raw}), ["vs"])[["record", "variable"]]
      record variable
    0      1    PULSE
    """
    parts = []
    for form in sorted(set(forms)):
        frame = export.forms.get(form)
        if frame is None or not len(frame):
            continue
        for name in frame.columns:
            if name in LINEAGE_COLUMNS or name.endswith(DECODE_SUFFIX):
                continue
            if not _may_hold_blanks(frame[name]):
                continue
            # str.isspace: not empty and nothing but blanks (what str.strip removes).
            rows = rows_where(frame[name], _only_blanks)
            if not len(rows):
                continue
            parts.append(
                issues_at(
                    "RAW",
                    frame.iloc[rows],
                    code="whitespace-only",
                    message=f"{name}: a value of only blanks is read as missing",
                    variable=name,
                    value=frame[name].iloc[rows].astype("string").to_numpy(),
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ISSUE_COLUMNS)


#: A value of only blanks between two separators (regex ``\s`` is what str.isspace tests).
_BLANK_VALUE = re.compile(r"\x00\s+\x00")


def _may_hold_blanks(values: pd.Series) -> bool:
    """False when no value of a text column is only blanks, found in one pass in C.

    The values are joined with NUL between them and searched for a run of blanks from one
    separator to the next: every value of only blanks makes such a run, so no match means
    none (a NUL inside a value can only add a false alarm, which the exact check settles).
    Costs half a factorisation of the column, and the check rarely fires.

    >>> _may_hold_blanks(pd.Series(["a", " \t", None], dtype="str"))
    True
    >>> _may_hold_blanks(pd.Series(["a", " b", None], dtype="str"))
    False
    """
    if values.dtype != "str":
        return True
    items = values.to_numpy(dtype=object, na_value="").tolist()
    return _BLANK_VALUE.search("\x00" + "\x00".join(items) + "\x00") is not None


def _only_blanks(values: pd.Series) -> np.ndarray:
    """Per distinct raw value: text that is not empty and only blanks (never a non-text)."""
    text = values.astype("string")
    return text.str.isspace().fillna(False).to_numpy(dtype=bool)


__all__ = ["whitespace_only"]
