"""The by-position readers of ISO 8601 text agree with the regular expressions they bypass.

``sdtm.iso8601`` and ``sdtm.datetimes`` read the common shapes (``YYYY`` ...
``YYYY-MM-DDThh:mm:ss``) by character position and leave the rest to regular expressions.
Each property reads the same batch twice, once with the by-position reader switched off
(every text then goes through the regular expressions), and the two answers must be equal.
The texts drawn include impossible dates and clocks, non-ASCII digits, blanks and dashes
that only look like ``-``, so both the fast and the slow path are exercised.
"""

from __future__ import annotations

import calendar
import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import sdtm.datetimes
import sdtm.iso8601
from cdisc.errors import InputError
from sdtm.datetimes import parse_dtc, split_dtc
from sdtm.iso8601 import _factorize_text, dtc_days, dtc_moments

FAST = settings(max_examples=20, deadline=None)

#: Characters a site might type in place of an ASCII one: Arabic-Indic and full-width
#: digits (``\d`` in a regular expression matches them), an en dash, a no-break space.
LOOKALIKES = ("\u0663", "\uff11", "\u2013", "\u00a0", " ", "x", "/")


@st.composite
def iso_texts(draw) -> str:
    """ISO-shaped text truncated at a random component, sometimes with a bad component
    (month 13, day 31 of a short month, hour 24) or a look-alike character."""
    year = draw(st.integers(0, 9999))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    hour, minute, second = (
        draw(st.integers(0, 25)),
        draw(st.integers(0, 61)),
        draw(st.integers(0, 61)),
    )
    full = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    text = full[: draw(st.sampled_from([4, 7, 10, 13, 16, 19]))]
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(LOOKALIKES)) + text[at + 1 :]
    return text


def valid_iso_texts() -> st.SearchStrategy[str]:
    """Only texts split_dtc accepts: real calendar dates and clock times."""

    @st.composite
    def draw_one(draw) -> str:
        year = draw(st.integers(1, 9999))
        month = draw(st.integers(1, 12))
        day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
        hour, minute, second = (
            draw(st.integers(0, 23)),
            draw(st.integers(0, 59)),
            draw(st.integers(0, 59)),
        )
        full = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        return full[: draw(st.sampled_from([4, 7, 10, 13, 16, 19]))]

    return draw_one()


def _no_fast_path(texts: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    n = len(texts)
    return {name: np.full(n, np.nan) for name in sdtm.iso8601._COMPONENTS}, np.zeros(n, bool)


@FAST
@given(st.lists(iso_texts(), min_size=1, max_size=40))
def test_collected_iso_text_reads_the_same_with_and_without_the_positional_reader(texts):
    dates = pd.Series(texts, dtype="str")
    fast = parse_dtc(dates)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sdtm.datetimes, "_fixed_shape_parts", _no_fast_path)
        slow = parse_dtc(dates)
    assert_frame_equal(fast, slow)


@FAST
@given(st.lists(valid_iso_texts(), min_size=1, max_size=40))
def test_split_dtc_dates_and_times_agree_with_the_regular_expression(texts):
    dtc = pd.Series([*texts, None], dtype="str")
    fast = (split_dtc(dtc), dtc_days(dtc), dtc_moments(dtc))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sdtm.iso8601, "_fixed_shape_parts", _no_fast_path)
        slow = (split_dtc(dtc), dtc_days(dtc), dtc_moments(dtc))
    assert_frame_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
    for a, b in zip(fast[2], slow[2], strict=True):
        np.testing.assert_array_equal(a, b)


@FAST
@given(st.lists(valid_iso_texts(), min_size=1, max_size=40))
def test_dtc_days_is_the_calendar_date_of_complete_dates(texts):
    days = dtc_days(pd.Series(texts, dtype="str"))
    for text, day in zip(texts, days, strict=True):
        # Counted with the standard library, not with the toolkit.
        if len(text) >= 10:
            y, m, d = int(text[:4]), int(text[5:7]), int(text[8:10])
            assert day == np.datetime64(datetime.date(y, m, d), "D")
        else:
            assert np.isnat(day)


@FAST
@given(st.lists(iso_texts(), min_size=1, max_size=40))
def test_split_dtc_rejects_exactly_what_the_regular_expression_rejects(texts):
    dtc = pd.Series(texts, dtype="str")

    def outcome() -> object:
        try:
            return split_dtc(dtc)
        except InputError as exc:
            return str(exc)

    fast = outcome()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sdtm.iso8601, "_fixed_shape_parts", _no_fast_path)
        slow = outcome()
    if isinstance(fast, str) or isinstance(slow, str):
        assert fast == slow
    else:
        assert_frame_equal(fast, slow)


BLANKS = ("\u00a0", "\u2007", "\u202f", "\t", " ", "\u3000", "\n", "\u2028")
DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212")


def _normalised(value: str) -> str:
    """What a typed date text is read as, spelled out per value: look-alike dashes become
    ``-``, the no-break spaces and tabs a blank, then outer blanks go and inner runs of
    blanks become one."""
    for dash in DASHES:
        value = value.replace(dash, "-")
    for space in ("\u00a0", "\u2007", "\u202f", "\t"):
        value = value.replace(space, " ")
    return " ".join(value.split())


@FAST
@given(st.lists(st.one_of(st.none(), st.text(alphabet=[*"20-1T:a", *BLANKS, *DASHES], max_size=8))))
def test_date_text_is_normalised_value_by_value(values):
    codes, texts = _factorize_text(pd.Series(values, dtype=object))
    for value, code in zip(values, codes, strict=True):
        expected = None if value is None else _normalised(value)
        if not expected:
            assert code == -1  # missing or blank: no text
        else:
            assert texts[code] == expected
