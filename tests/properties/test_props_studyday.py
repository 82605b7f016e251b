"""Properties of the study day (sdtm.studyday): never 0, monotonic in the date, and equal to
the SDTMIG 3.4 formula computed here with Python's datetime (date - reference, plus 1 on or
after the reference)."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.studyday import compute_dy

FAST = settings(max_examples=40, deadline=None)
REFERENCES = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))
OFFSETS = st.lists(st.integers(-20000, 20000), min_size=1, max_size=60)


def _dy(reference: dt.date, offsets: list[int], times: list[str] | None = None) -> list[int]:
    dates = [(reference + dt.timedelta(days=d)).isoformat() for d in offsets]
    if times is not None:
        dates = [d + t for d, t in zip(dates, times, strict=True)]
    ref = pd.Series([reference.isoformat()] * len(offsets))
    return compute_dy(pd.Series(dates, dtype=object), ref).tolist()


@FAST
@given(REFERENCES, OFFSETS)
def test_study_day_is_never_zero_and_follows_the_formula(reference, offsets):
    days = _dy(reference, offsets)
    assert 0 not in days
    assert days == [d + 1 if d >= 0 else d for d in offsets]


@FAST
@given(REFERENCES, OFFSETS)
def test_study_day_is_strictly_increasing_in_the_date(reference, offsets):
    ordered = sorted(set(offsets))
    days = _dy(reference, ordered)
    steps = list(zip(itertools.pairwise(ordered), itertools.pairwise(days), strict=True))
    assert all(later > earlier for _, (earlier, later) in steps)
    # The day count skips exactly one number, 0, between the day before the reference (-1)
    # and the reference (1).
    for (a, b), (day_a, day_b) in steps:
        assert day_b - day_a == b - a + (1 if a < 0 <= b else 0)


@FAST
@given(
    REFERENCES,
    OFFSETS,
    st.sampled_from(["", "T00:00", "T23:59:59", "T12:30+02:00", "T07"]),
    st.sampled_from(["", "T23:59", "T00:00:01"]),
)
def test_times_on_either_side_do_not_change_the_study_day(reference, offsets, time, ref_time):
    dates = [(reference + dt.timedelta(days=d)).isoformat() + time for d in offsets]
    ref = pd.Series([reference.isoformat() + ref_time] * len(offsets))
    assert compute_dy(pd.Series(dates, dtype=object), ref).tolist() == _dy(reference, offsets)


@FAST
@given(REFERENCES, OFFSETS, st.sampled_from(["year", "month"]))
def test_a_partial_date_has_no_study_day(reference, offsets, precision):
    cut = {"year": 4, "month": 7}[precision]
    dates = [(reference + dt.timedelta(days=d)).isoformat()[:cut] for d in offsets]
    ref = pd.Series([reference.isoformat()] * len(offsets))
    assert compute_dy(pd.Series(dates, dtype=object), ref).isna().all()
