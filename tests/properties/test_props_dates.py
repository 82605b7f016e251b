"""Properties of reading collected dates into ISO 8601 (sdtm.datetimes, sdtm.iso8601).

A value is drawn as components (year ... second, a fraction, a time zone) right-truncated at
a random precision, then written the ways sites write it. The expected ISO 8601 text is
built here with f-strings, not with the toolkit's formatter. Each example is a batch of
values read by one call, as the build reads a column.
"""

from __future__ import annotations

import calendar

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.datetimes import PRECISIONS, format_dtc, parse_dtc, split_dtc

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Markers sites type for an unknown component (sdtm.dateformats.UNKNOWN_TOKENS).
UNKNOWN2 = ("UN", "UNK", "NK", "XX")
#: Few examples of many values each: a call costs about the same for 1 value or 40.
FAST = settings(max_examples=20, deadline=None)


@st.composite
def moments(draw, finest: str = "second") -> dict:
    """Components known down to a random precision no finer than ``finest``."""
    level = draw(st.integers(1, PRECISIONS.index(finest) + 1))
    year = draw(st.integers(1000, 9999))
    month = draw(st.integers(1, 12))
    parts = {
        "year": year,
        "month": month,
        "day": draw(st.integers(1, calendar.monthrange(year, month)[1])),
        "hour": draw(st.integers(0, 23)),
        "minute": draw(st.integers(0, 59)),
        "second": draw(st.integers(0, 59)),
    }
    known = {name: parts[name] for name in PRECISIONS[:level]}
    if level == 6 and draw(st.booleans()):
        # A fraction the reader keeps: not all zeros (those are export artefacts, dropped).
        known["fraction"] = draw(st.from_regex(r"\A[0-9]{0,2}[1-9]\Z"))
    if level >= 4 and draw(st.booleans()):
        known["timezone"] = draw(st.sampled_from(["Z", "+01:00", "-05:00", "+05:30"]))
    return known


def iso(parts: dict) -> str:
    """ISO 8601 extended format, right-truncated, built by hand."""
    text = f"{parts['year']:04d}"
    for name, sep in (
        ("month", "-"),
        ("day", "-"),
        ("hour", "T"),
        ("minute", ":"),
        ("second", ":"),
    ):
        if name not in parts:
            break
        text += f"{sep}{parts[name]:02d}"
    if "fraction" in parts:
        text += "." + parts["fraction"]
    return text + parts.get("timezone", "")


def level(parts: dict) -> int:
    return sum(name in parts for name in PRECISIONS)


@FAST
@given(st.lists(moments(), min_size=1, max_size=40))
def test_iso_text_reads_back_as_itself_and_splits_into_its_components(values):
    text = pd.Series([iso(p) for p in values])
    parsed = parse_dtc(text)
    assert parsed["problem"].isna().all(), parsed[parsed["problem"].notna()]
    assert parsed["dtc"].tolist() == text.tolist()
    assert parsed["precision"].tolist() == [PRECISIONS[level(p) - 1] for p in values]
    # parse -> split -> format -> parse: the same value and precision every time.
    parts = split_dtc(parsed["dtc"])
    for name in PRECISIONS:
        expected = [p.get(name) for p in values]
        assert [None if pd.isna(v) else int(v) for v in parts[name]] == expected, name
    again = format_dtc(parts)
    assert again.tolist() == text.tolist()
    reread = parse_dtc(again)
    assert reread["dtc"].tolist() == parsed["dtc"].tolist()
    assert reread["precision"].tolist() == parsed["precision"].tolist()


def collected(parts: dict, style: int) -> str:
    """``parts`` as a site writes it; unknown date components as a typed marker."""
    unknown = UNKNOWN2[style % len(UNKNOWN2)]
    day = f"{parts['day']:02d}" if "day" in parts else unknown
    month = MONTHS[parts["month"] - 1] if "month" in parts else unknown
    year = f"{parts['year']:04d}"
    date = (f"{day}-{month}-{year}", f"{day} {month} {year}", f"{year} {month} {day}")[style % 3]
    if "hour" not in parts:
        return date
    # An hour alone after a blank ("01-Jan-2019 07") is refused as unparseable, rightly: a
    # site writes the unknown minutes ("07:UN").
    time = f"{parts['hour']:02d}:" + (f"{parts['minute']:02d}" if "minute" in parts else unknown)
    if "second" in parts:
        time += f":{parts['second']:02d}"
    return f"{date} {time}"


@FAST
@given(st.lists(st.tuples(moments(), st.integers(0, 11)), min_size=1, max_size=40))
def test_collected_dates_read_to_the_iso_text_of_what_was_known(drawn):
    # Time zones and fractions are not part of the collected forms drawn here.
    values = [{k: v for k, v in p.items() if k in PRECISIONS} for p, _ in drawn]
    text = pd.Series([collected(p, style) for p, (_, style) in zip(values, drawn, strict=True)])
    parsed = parse_dtc(text)
    assert parsed["dtc"].tolist() == [iso(p) for p in values], text.tolist()
    assert parse_dtc(parsed["dtc"])["dtc"].tolist() == parsed["dtc"].tolist()


@st.composite
def with_gaps(draw) -> tuple[dict, list[str]]:
    """Components of which any may be unknown (not only the trailing ones); returns the
    components and which of them are known."""
    parts = draw(moments())
    full = {**parts}
    for name in PRECISIONS[len([n for n in PRECISIONS if n in parts]) :]:
        full[name] = {"month": 1, "day": 1}.get(name, 0)
    known = [n for n in PRECISIONS if n in parts and draw(st.integers(0, 3)) > 0]
    if "year" not in known:
        known.insert(0, "year")  # an unknown year reads as nothing at all; drawn separately
    return {n: full[n] for n in PRECISIONS}, known


def gapped(parts: dict, known: list[str], style: int) -> str:
    unknown = UNKNOWN2[style % len(UNKNOWN2)]
    shown = {n: (f"{parts[n]:02d}" if n in known else unknown) for n in PRECISIONS[1:]}
    month = MONTHS[parts["month"] - 1] if "month" in known else unknown
    date = f"{shown['day']}-{month}-{parts['year']:04d}"
    if not {"hour", "minute", "second"} & set(known):
        return date
    return f"{date} {shown['hour']}:{shown['minute']}:{shown['second']}"


@FAST
@given(st.lists(st.tuples(with_gaps(), st.integers(0, 3)), min_size=1, max_size=40))
def test_a_partial_date_is_never_made_more_precise(drawn):
    text = pd.Series([gapped(parts, known, style) for (parts, known), style in drawn])
    parsed = parse_dtc(text)
    for ((parts, known), _), dtc, precision in zip(
        drawn, parsed["dtc"], parsed["precision"], strict=True
    ):
        # Right truncation keeps the leading run of known components and nothing after it.
        leading = 0
        while leading < len(PRECISIONS) and PRECISIONS[leading] in known:
            leading += 1
        expected = {n: parts[n] for n in PRECISIONS[:leading]}
        assert dtc == iso(expected), (text.tolist(), known)
        assert PRECISIONS.index(precision) + 1 == leading
        assert PRECISIONS.index(precision) + 1 <= len(known)


@FAST
@given(
    st.lists(moments(finest="day"), min_size=1, max_size=40),
    st.integers(1900, 2000),
)
def test_two_digit_years_read_inside_the_declared_window(values, pivot):
    # "15-Jun-19": the year's last two digits, read into [pivot, pivot + 99].
    moved = [{**p, "year": pivot + p["year"] % 100} for p in values if "day" in p]
    dates = [p for p in moved if p["day"] <= calendar.monthrange(p["year"], p["month"])[1]]
    text = [f"{p['day']:02d}-{MONTHS[p['month'] - 1]}-{p['year'] % 100:02d}" for p in dates]
    parsed = parse_dtc(pd.Series(text, dtype=object), two_digit_year_pivot=pivot)
    assert parsed["dtc"].tolist() == [iso(p) for p in dates]


@FAST
@given(st.lists(moments(finest="day"), min_size=1, max_size=40), st.booleans())
def test_declared_numeric_formats_round_trip(values, day_first):
    complete = [p for p in values if "day" in p]
    if day_first:
        text = [f"{p['day']:02d}/{p['month']:02d}/{p['year']:04d}" for p in complete]
        formats = ["DD/MM/YYYY"]
    else:
        text = [f"{p['month']}/{p['day']}/{p['year']:04d}" for p in complete]
        formats = ["MM/DD/YYYY"]
    parsed = parse_dtc(pd.Series(text, dtype=object), formats=formats)
    assert parsed["dtc"].tolist() == [iso(p) for p in complete]


@FAST
@given(st.lists(moments(finest="minute"), min_size=1, max_size=40))
def test_a_separate_twelve_hour_time_reads_to_the_24_hour_clock(values):
    timed = [p for p in values if "minute" in p]
    dates = [f"{p['year']:04d}-{p['month']:02d}-{p['day']:02d}" for p in timed]
    times = [
        f"{(p['hour'] + 11) % 12 + 1}:{p['minute']:02d} {'AM' if p['hour'] < 12 else 'PM'}"
        for p in timed
    ]
    parsed = parse_dtc(pd.Series(dates, dtype=object), pd.Series(times, dtype=object))
    assert parsed["dtc"].tolist() == [iso({k: p[k] for k in PRECISIONS[:5]}) for p in timed]
