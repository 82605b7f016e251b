"""Checks on the raw values a build reads, before any mapping changes them.

The mapping trims text and reads a blank as missing (SDTM has no "blank" value). A value
made only of blanks (a single space typed into a result) is therefore read as missing; so
that this never happens silently, every such raw value of a form some domain reads is
reported (``whitespace-only``, a warning) with its file, form, record and field.
"""

from __future__ import annotations

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


def _only_blanks(values: pd.Series) -> np.ndarray:
    """Per distinct raw value: text that is not empty and only blanks (never a non-text)."""
    text = values.astype("string")
    return text.str.isspace().fillna(False).to_numpy(dtype=bool)


__all__ = ["whitespace_only"]
