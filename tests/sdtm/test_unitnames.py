"""Unit text -> CDISC UNIT submission value, and the synonym table checked against CDISC CT."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from cdisc.errors import SpecError
from sdtm import unitnames
from sdtm.unitnames import read_synonyms, resolve_units, submission_units

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


#: The NCI EVS release the shipped CT subset comes from, read here directly with csv.
NCI_FILE = Path("/work/shared/standards/ct/2025-03-28/SDTM_Terminology_2025-03-28.txt")


@cache
def nci_unit_terms() -> dict[str, tuple[str, set[str]]]:
    """UNIT (C71620) submission value -> (NCI code, CDISC synonyms), from the NCI file."""
    terms = {}
    with open(NCI_FILE, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["Codelist Code"] == UNIT_CODELIST:
                synonyms = {s.strip() for s in row["CDISC Synonym(s)"].split(";") if s.strip()}
                terms[row["CDISC Submission Value"]] = (row["Code"], synonyms)
    return terms


#: --ORRESU spellings of the demo exports (issue 6) -> the UNIT submission value of the same
#: unit, by hand from SDTM_Terminology_2025-03-28.txt, with the term's code: the same text in
#: another case, a CDISC synonym of the term, or (cells/uL, cells/mm3) a count per microlitre,
#: which is the term whose CDISC synonyms are /uL and /mm3.
ORRESU_CASES = [
    ("c", "C", "C42559"),  # Degree Celsius, typed lower case
    ("\u00b0C", "C", "C42559"),
    ("CM", "cm", "C49668"),
    ("lb", "LB", "C48531"),  # CDISC synonym "lb"
    ("G/DL", "g/dL", "C64783"),
    ("pg/mL", "ng/L", "C67327"),  # CDISC synonym "pg/mL"
    ("pg/ml", "ng/L", "C67327"),
    ("PG/ML", "ng/L", "C67327"),
    ("percent", "%", "C25613"),  # Percentage
    ("gm/L", "g/L", "C42576"),
    ("mg/l", "mg/L", "C64572"),  # CDISC synonym "mg/L" of the term mg/L (ug/mL)
    ("umol/l", "umol/L", "C48508"),
    ("mM", "mmol/L", "C64387"),  # millimolar
    ("MMOL/L", "mmol/L", "C64387"),
    ("G/L", "10^9/L", "C67255"),  # CDISC synonym "G/L" (giga per litre)
    ("x10^9/L", "10^9/L", "C67255"),
    ("/uL", "10^6/L", "C67452"),  # CDISC synonym "/uL"
    ("cells/uL", "10^6/L", "C67452"),
    ("cells/mm3", "10^6/L", "C67452"),  # CDISC synonym "/mm3"
]


@pytest.mark.parametrize(("typed", "unit", "code"), ORRESU_CASES)
def test_submission_units_write_the_ct_term_of_each_collected_spelling(typed, unit, code) -> None:
    terms = nci_unit_terms()
    assert terms[unit][0] == code  # the expected value is a UNIT term, with that code
    assert submission_units(pd.Series([f" {typed} "])).tolist() == [unit]


def test_spellings_that_are_not_unit_terms_stay_as_collected() -> None:
    # Issue 6 asked whether pg/mL, cells/uL and "10^6 cells" are CT terms: none is a
    # submission value. pg/mL is a CDISC synonym of ng/L (so it is written ng/L);
    # cells/uL and "10^6 cells" are not even synonyms. The dose unit has its own term,
    # "10^6 Therapeutic Cells" (C187973), which the EX specs map to by a study synonym.
    terms = nci_unit_terms()
    synonyms = set().union(*(s for _, s in terms.values()))
    assert "pg/mL" not in terms and "pg/mL" in terms["ng/L"][1]
    assert "cells/uL" not in terms and "cells/uL" not in synonyms
    assert "10^6 cells" not in terms and "10^6 cells" not in synonyms
    assert terms["10^6 Therapeutic Cells"][0] == "C187973"
    out = submission_units(pd.Series(["10^6 cells", " furlongs ", "G/l", "", None]))
    assert out.iloc[:3].tolist() == ["10^6 cells", "furlongs", "G/l"]
    assert out.iloc[3:].isna().all()
