"""Unit text -> CDISC UNIT submission value, and the synonym table checked against CDISC CT."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from cdisc.errors import SpecError
from sdtm import unitnames
from sdtm.unitnames import read_synonyms, resolve_units

TERMS = Path(__file__).resolve().parents[2] / "specs" / "ct" / "terms.csv"
UNIT_CODELIST = "C71620"


def cdisc_units() -> tuple[set[str], dict[str, set[str]]]:
    """Submission values and synonym -> submission values of CDISC UNIT, read with csv."""
    values: set[str] = set()
    synonyms: dict[str, set[str]] = {}
    with open(TERMS, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["codelist"] != UNIT_CODELIST:
                continue
            values.add(row["submission_value"])
            for synonym in filter(None, (s.strip() for s in row["synonyms"].split(";"))):
                synonyms.setdefault(synonym, set()).add(row["submission_value"])
    return values, synonyms


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("g/dl", "g/dL"),
        ("gm/dL", "g/dL"),
        ("G/DL", "g/dL"),
        ("x10^9/L", "10^9/L"),
        ("10E9/L", "10^9/L"),
        ("10*9/L", "10^9/L"),
        ("\u00d710\u2079/L", "10^9/L"),  # multiplication sign and superscript nine
        ("G/L", "10^9/L"),  # CDISC synonym (giga per litre)
        ("g/L", "g/L"),
        ("g/l", "g/L"),
        ("pg/ml", "ng/L"),  # CDISC lists pg/mL as a synonym of ng/L (C67327)
        ("\u00b5mol/L", "umol/L"),  # micro sign
        ("\u03bcmol/L", "umol/L"),  # Greek mu
        ("umol/l", "umol/L"),
        ("\u00b0C", "C"),
        ("Celsius", "C"),
        ("mmHg", "mmHg"),
        ("mm Hg", "mmHg"),
        ("beats/min", "beats/min"),
        ("bpm", "beats/min"),
        ("BPM", "beats/min"),
        ("cells/\u00b5L", "10^6/L"),
        ("10^3/uL", "10^9/L"),
        ("kg/m\u00b2", "kg/m2"),
        ("\u00a0kg ", "kg"),  # no-break space
        ("lbs", "LB"),
        ("mg%", "mg/dL"),
    ],
)
def test_messy_unit_text(typed: str, unit: str) -> None:
    assert resolve_units(pd.Series([typed])).tolist() == [unit]


def test_unknown_and_ambiguous_are_not_guessed() -> None:
    # G/l: ignoring case it could be g/L or G/L (= 10^9/L), so it is left unknown.
    out = resolve_units(pd.Series(["furlongs", "G/l", None, "  "], index=[4, 3, 2, 1]))
    assert out.isna().all() and out.index.tolist() == [4, 3, 2, 1]


def test_synonym_table_agrees_with_cdisc_ct() -> None:
    values, synonyms = cdisc_units()
    table = read_synonyms()
    with open(unitnames.SYNONYMS_FILE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(table) == len(rows)  # no spelling listed twice
    for row in rows:
        assert row["unit"] in values, f"{row['unit']!r} is not a CDISC UNIT submission value"
        assert row["source"].strip(), row
        assert row["synonym"] not in values, f"{row['synonym']!r} is a submission value itself"
        listed = synonyms.get(row["synonym"])
        assert listed is None or listed == {row["unit"]}, (row, listed)


def test_bad_synonym_table(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.csv"
    path.write_text("synonym,unit,source\ngm/dL,g/dL,x\ngm/dL,g/L,x\n,kg,x\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        read_synonyms(path)
    message = str(caught.value)
    assert "line 3: 'gm/dL' maps to both 'g/dL' and 'g/L'" in message
    assert "line 4: synonym and unit must both be given" in message
    path.write_text("spelling,unit\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"lacks column\(s\) \['synonym'\]"):
        read_synonyms(path)
