"""Declared formats, presets and the month-name table."""

from __future__ import annotations

import csv

import pytest

from cdisc.errors import SpecError
from sdtm import dateformats
from sdtm.dateformats import PRESETS, compile_format, format_problems, month_names


def test_month_table_matches_its_csv() -> None:
    with open(dateformats.MONTH_NAMES_FILE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    table = month_names()
    assert len(table) == len(rows) == 34  # 12 en abbr + sept + 12 en wide + nl-only names
    assert {table[name] for name in ("mrt", "maart", "mei", "okt", "oktober")} == {3, 5, 10}
    assert table["mrt"] == 3 and table["mei"] == 5 and table["okt"] == 10
    assert sorted(set(table.values())) == list(range(1, 13))


def test_every_preset_compiles_and_reads_its_own_example() -> None:
    examples = {
        "YYYY-MM-DD": "2021-06-15",
        "YYYY/MM/DD": "2021/06/15",
        "DD/MM/YYYY": "15/06/2021",
        "MM/DD/YYYY": "06/15/2021",
        "DD-MM-YYYY": "15-06-2021",
        "MM-DD-YYYY": "06-15-2021",
        "DD.MM.YYYY": "15.06.2021",
        "DD/MM/YY": "15/06/21",
        "MM/DD/YY": "06/15/21",
        "DD-MON-YYYY": "15-Jun-2021",
        "DD-MON-YY": "15-JUN-21",
        "DD MON YYYY": "15 jun 2021",
        "DDMONYYYY": "15JUN2021",
        "YYYY MON DD": "2021 Jun 15",
        "MON DD, YYYY": "Jun 15, 2021",
        "MM/YYYY": "06/2021",
        "YYYY-MM": "2021-06",
        "YYYY": "2021",
    }
    assert set(examples) == set(PRESETS)
    for name, text in examples.items():
        assert compile_format(name).pattern.match(text), name


def test_unknown_markers_fit_every_component() -> None:
    pattern = compile_format("%d-%b-%Y").pattern
    for text in ("UN-UNK-2019", "UNK-JAN-2020", "---JAN-2020", "XX-NK-2020", "un-unk-unkn"):
        assert pattern.match(text), text


def test_format_problems_are_all_listed() -> None:
    assert format_problems("%d/%m") == ["no year (%Y or %y)"]
    assert format_problems("%Y-%m-%m") == ["component month appears twice"]
    assert format_problems("%Y %I:%M") == ["%I (12-hour clock) needs %p"]
    assert format_problems("") == ["a format must be non-empty text"]
    with pytest.raises(SpecError) as caught:
        dateformats.compile_formats(["%d/%m", "%Y-%q", "MM/DD/YYYY"])
    message = str(caught.value)
    assert "'%d/%m': no year" in message and "'%Y-%q': unknown directive %q" in message
