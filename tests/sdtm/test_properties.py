"""Property tests: parse -> format -> parse, partial dates never gain precision, study day is
never 0 and never decreases, every unit conversion round-trips.

Expected ISO text is built here with f-strings and calendar.monthrange, independently of the
code under test. Each property batches up to 25 values per example so that a bounded number of
examples (``SETTINGS``) covers many values and the folder stays fast.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.datetimes import PRECISIONS, format_dtc, parse_dtc, split_dtc
from sdtm.studyday import compute_dy
from sdtm.unitconversions import CONVERSIONS_FILE, find_conversion
from sdtm.units import standardize_units

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None)
#: Each example of the unit property converts every row of the table, out and back.
UNIT_SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None)

EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EN_WIDE = [calendar.month_name[m] for m in range(1, 13)]
NL = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


@st.composite
def moments(draw) -> tuple[int, int, int, int, int, int]:
    year = draw(st.integers(1900, 2099))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return (
        year,
        month,
        day,
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, 59)),
    )


def iso(moment: tuple[int, ...], level: int) -> str | None:
    """Right-truncated ISO 8601 with ``level`` components (0 = nothing)."""
    y, m, d, h, mi, s = moment
    pieces = [f"{y:04d}", f"-{m:02d}", f"-{d:02d}", f"T{h:02d}", f":{mi:02d}", f":{s:02d}"]
    return "".join(pieces[:level]) or None


def month_word(month: int, style: int) -> str:
    return (EN[month - 1].upper(), EN_WIDE[month - 1], NL[month - 1], EN[month - 1])[style % 4]


def render(moment, known: list[bool], style: str, variant: int) -> tuple[str, str | None]:
    """(date text, separate time text) as a site would type them; unknown parts as UN/UNK."""
    y, m, d, h, mi, s = moment
    yk, mk, dk, hk, mik, sk = known
    year = f"{y}" if yk else "UNKN"
    if style == "iso":
        date = f"{year}-{f'{m:02d}' if mk else 'UN'}-{f'{d:02d}' if dk else 'UN'}"
    elif style == "name":
        day = (f"{d}" if variant % 2 else f"{d:02d}") if dk else "UN"
        month = month_word(m, variant) if mk else "UNK"
        date = f"{day}{' -'[variant % 2]}{month}{' -'[variant % 2]}{year}"
    elif style == "ymd_name":
        date = f"{year} {month_word(m, variant) if mk else 'UNK'} {f'{d:02d}' if dk else 'UN'}"
    else:  # "dmy" or "mdy", declared
        day, month = (f"{d:02d}" if dk else "UN"), (f"{m:02d}" if mk else "UN")
        date = f"{day}/{month}/{year}" if style == "dmy" else f"{month}/{day}/{year}"
    if not hk:
        return date, ("UN:UN" if variant % 3 == 0 else None)
    hour = f"{h}" if variant % 2 else f"{h:02d}"
    minute = f"{mi:02d}" if mik else "UN"
    if not mik:
        return date, f"{hour}:{minute}"
    return date, f"{hour}:{minute}" + (f":{s:02d}.000" if sk else "")


FORMATS = {
    "iso": None,
    "name": None,
    "ymd_name": None,
    "dmy": ["DD/MM/YYYY"],
    "mdy": ["MM/DD/YYYY"],
}
STYLES = st.sampled_from(sorted(FORMATS))


@SETTINGS
@given(
    style=STYLES,
    batch=st.lists(
        st.tuples(moments(), st.integers(1, 6), st.integers(0, 11)), min_size=1, max_size=25
    ),
)
def test_parse_format_parse(style: str, batch) -> None:
    dates, times, expected, levels = [], [], [], []
    for moment, level, variant in batch:
        known = [position < level for position in range(6)]
        date, time = render(moment, known, style, variant)
        dates.append(date)
        times.append(time)
        expected.append(iso(moment, level))
        levels.append(level)
    out = parse_dtc(pd.Series(dates), pd.Series(times, dtype=object), formats=FORMATS[style])
    assert out["dtc"].tolist() == expected, list(zip(dates, times, strict=True))
    assert out["precision"].tolist() == [PRECISIONS[level - 1] for level in levels]
    assert out["problem"].isna().all()
    # format(split(dtc)) gives dtc back, and ISO text parses to itself.
    again = format_dtc(split_dtc(out["dtc"]))
    assert again.tolist() == expected
    assert parse_dtc(out["dtc"])["dtc"].tolist() == expected


@SETTINGS
@given(
    style=STYLES,
    batch=st.lists(
        st.tuples(moments(), st.lists(st.booleans(), min_size=6, max_size=6), st.integers(0, 11)),
        min_size=1,
        max_size=25,
    ),
)
def test_partial_date_never_gains_precision(style: str, batch) -> None:
    dates, times, first_unknown, moments_ = [], [], [], []
    for moment, known, variant in batch:
        date, time = render(moment, known, style, variant)
        dates.append(date)
        times.append(time)
        first_unknown.append(known.index(False) if False in known else 6)
        moments_.append(moment)
    out = parse_dtc(pd.Series(dates), pd.Series(times, dtype=object), formats=FORMATS[style])
    for dtc, precision, limit, moment in zip(
        out["dtc"], out["precision"], first_unknown, moments_, strict=True
    ):
        level = 0 if pd.isna(precision) else PRECISIONS.index(precision) + 1
        assert level <= limit  # never more precise than the first unknown part allows
        # Nothing known before the first unknown part is lost either, and what is written
        # is exactly that leading part.
        assert level == limit
        assert (None if pd.isna(dtc) else dtc) == iso(moment, level)


@SETTINGS
@given(
    reference=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    offsets=st.lists(st.integers(-800, 800), min_size=1, max_size=25),
    with_time=st.booleans(),
)
def test_study_day_never_zero_and_monotonic(reference, offsets, with_time) -> None:
    offsets = sorted({*offsets, -1, 0})  # always include the day before and the day itself
    dates = [(reference + dt.timedelta(days=o)).isoformat() for o in offsets]
    if with_time:
        dates = [d + "T23:59" for d in dates]
    ref = pd.Series([reference.isoformat() + "T12:00"] * len(dates))
    dy = compute_dy(pd.Series(dates), ref).to_numpy(dtype=np.int64)
    assert (dy != 0).all()
    assert (np.diff(dy) >= 0).all()  # dates are sorted, so study days never decrease
    assert ((dy < 0) == (np.array(offsets) < 0)).all()
    assert dy[offsets.index(-1)] == -1 and dy[offsets.index(0)] == 1


def conversion_rows() -> list[dict[str, str]]:
    with open(CONVERSIONS_FILE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ROWS = conversion_rows()


def rounds(rows: list[dict[str, str]]) -> list[list[tuple[str, dict[str, str]]]]:
    """Rows as (test code, row) in rounds where each test code appears once, so one call of
    standardize_units can give every row of a round its own target. ``*`` rows get a test
    code of their own."""
    out: list[list[tuple[str, dict[str, str]]]] = []
    for i, row in enumerate(rows):
        code = f"ANY{i}" if row["test"] == "*" else row["test"]
        for batch in out:
            if code not in {c for c, _ in batch}:
                batch.append((code, row))
                break
        else:
            out.append([(code, row)])
    return out


def test_every_conversion_has_an_inverse() -> None:
    for row in ROWS:
        test = "ANYTEST" if row["test"] == "*" else row["test"]
        forward = find_conversion(test, row["from_unit"], row["to_unit"])
        back = find_conversion(test, row["to_unit"], row["from_unit"])
        assert forward is not None and back is not None, row
        # (x f + o) f' + o' = x for every x: f f' = 1 and o f' + o' = 0.
        assert forward[0] * back[0] == pytest.approx(1.0, rel=1e-12)
        assert forward[1] * back[0] + back[1] == pytest.approx(0.0, abs=1e-9)


@UNIT_SETTINGS
@given(
    values=st.lists(
        st.decimals(min_value="0.01", max_value="9999", places=2),
        min_size=len(ROWS),
        max_size=len(ROWS),
    )
)
def test_unit_conversion_round_trips(values) -> None:
    for batch in rounds(ROWS):
        picked = [values[ROWS.index(row)] for _, row in batch]
        frame = pd.DataFrame(
            {
                "LBTESTCD": [code for code, _ in batch],
                "LBORRES": [str(v) for v in picked],
                "LBORRESU": [row["from_unit"] for _, row in batch],
            }
        )
        # Out to the target unit through --STRESC text, and back again.
        there, findings = standardize_units(
            frame, target_units={code: row["to_unit"] for code, row in batch}
        )
        assert findings.empty
        frame = frame.assign(LBORRES=there["LBSTRESC"], LBORRESU=there["LBSTRESU"])
        home, _ = standardize_units(
            frame, target_units={code: row["from_unit"] for code, row in batch}
        )
        expected = [float(v) for v in picked]
        assert home["LBSTRESN"].tolist() == pytest.approx(expected, rel=1e-9, abs=1e-9)
