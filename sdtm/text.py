"""Character values on one line: SDTM text holds no line break, tab or other control character.

P21 SD1021 (our SDM029) flags a value with a carriage return or line feed, and FDA TCG
section 3.3.5 (our SDM021) asks for printable ASCII; free text typed in an EDC (an AE comment
over two lines, ``"Treated with antibiotics\\r\\nreported by daughter"``) carries both. A line
break becomes ``"; "`` (the lines were separate statements), or a single blank where the line
already ended in punctuation; a tab or other control character becomes a blank; blanks
around them are merged. Every changed value is reported by the caller, never changed silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdtm._args import TEXT

#: C0 control characters and DEL: never part of an SDTM character value.
CONTROL = r"[\x00-\x1f\x7f]"
_BREAK_AFTER_PUNCTUATION = r"(?<=[.;:,!?])[ \t]*(?:\r\n|[\r\n])[\s]*"
_BREAK = r"[ \t]*(?:\r\n|[\r\n])[\s]*"


def single_line(values: pd.Series) -> pd.Series:
    """``values`` with line breaks and other control characters replaced (module notes).

    Missing values stay missing; a value without control characters is returned unchanged.

    >>> single_line(pd.Series(["Treated\\r\\nby GP", "Done.\\nNo change", "a\\tb", "ok", None])).tolist()
    ['Treated; by GP', 'Done. No change', 'a b', 'ok', nan]
    """
    codes, uniq = pd.factorize(values.astype(TEXT))
    text = pd.Series(np.asarray(uniq, dtype=object), dtype=TEXT)
    bad = text.str.contains(CONTROL, regex=True).fillna(False)
    if bad.any():
        fixed = text[bad].str.strip()
        fixed = fixed.str.replace(_BREAK_AFTER_PUNCTUATION, " ", regex=True)
        fixed = fixed.str.replace(_BREAK, "; ", regex=True)
        fixed = fixed.str.replace(CONTROL, " ", regex=True).str.replace(r" {2,}", " ", regex=True)
        text[bad] = fixed.str.strip()
    # Once per distinct value; code -1 (missing) picks the appended None.
    array = np.append(text.to_numpy(dtype=object, na_value=None), None)
    return pd.Series(array[codes], index=values.index, dtype=TEXT)


def has_control(values: pd.Series) -> pd.Series:
    """Whether each value holds a line break, tab or other control character (missing: no).

    >>> has_control(pd.Series(["a\\nb", "ab", None])).tolist()
    [True, False, False]
    """
    found = values.astype(TEXT).str.contains(CONTROL, regex=True)
    return found.fillna(False).astype(bool)
