"""sdtm.text: character values written on one line (issue 6, item 4).

Expected values are the inputs rewritten by hand with the module's rule: a line break
(CR, LF or CRLF, with the blanks around it) becomes "; ", or one blank after punctuation; a
tab or other control character becomes a blank; the value is trimmed.
"""

from __future__ import annotations

import pandas as pd

from sdtm.text import has_control, single_line


def test_line_breaks_become_a_separator_and_tabs_a_blank():
    values = pd.Series(
        [
            "Treated with antibiotics\r\nreported by daughter, by phone",  # CRLF
            "Seen by surgeon\nFollow-up by GP",  # LF
            "Old Mac\rline",  # a lone CR (classic Mac text)
            "Resolved.\nNo sequelae",  # the line ended a sentence
            "wound care  \n\n  home nurse",  # blank lines and blanks around them
            "col1\tcol2",
            "bell\x07here",
            "\nleading and trailing\r\n",
        ]
    )
    assert single_line(values).tolist() == [
        "Treated with antibiotics; reported by daughter, by phone",
        "Seen by surgeon; Follow-up by GP",
        "Old Mac; line",
        "Resolved. No sequelae",
        "wound care; home nurse",
        "col1 col2",
        "bell here",
        "leading and trailing",
    ]


def test_values_without_control_characters_and_missing_values_are_left_alone():
    values = pd.Series(["  padded stays padded ", "ok; already", None], index=[5, 9, 2])
    out = single_line(values)
    assert out.index.tolist() == [5, 9, 2]
    assert out.iloc[:2].tolist() == ["  padded stays padded ", "ok; already"]
    assert pd.isna(out.iloc[2])


def test_has_control_marks_exactly_the_values_to_change():
    values = pd.Series(["a\nb", "a b", "x\ty", None, "\x7f"])
    assert has_control(values).tolist() == [True, False, True, False, True]
