"""Issue 6 in the bundled mapping specs: CT terms where CT has one, the not-done result texts,
the Rutherford and Fontaine categories, and the spec checks of the new keys.

Expected values come from CT 2025-03-28 (codes in the comments) and trials.md 3.1-3.2 (the
Rutherford categories 0-6 and Fontaine stages), not from the program's output.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import mappings
from cdisc.errors import SpecError
from cdisc.readers.base import RawExport
from cdisc.standards import Standards
from cdisc.study import load_study
from sdtm.algorithms import ALGORITHMS, Context
from sdtm.design import Design
from sdtm.engine import derive_domain, map_domain
from sdtm.specs import load_study_specs
from sdtm.trialdesign import trial_summary

STANDARDS = Standards.load()
CONTEXT = Context(STANDARDS)
STUDIES = ("sail", "sail-rave", "pmsc-cli")


@pytest.fixture(scope="module")
def specs():
    return {name: load_study_specs(load_study(name), STANDARDS) for name in STUDIES}


def _run_steps(spec, target: str, raw: pd.DataFrame) -> list:
    """The values the spec's steps for ``target`` give on ``raw`` (first step wins)."""
    values = pd.Series(pd.NA, index=raw.index, dtype="string")
    for step in (s for s in spec.steps if s.target == target):
        found = ALGORITHMS[step.algorithm].function(raw, **step.args, context=CONTEXT)
        values = values.fillna(found.values.astype("string"))
    return values.tolist()


@pytest.mark.parametrize("study", STUDIES)
def test_ex_dose_unit_and_location_are_ct_terms(specs, study):
    ex = specs[study].domains["EX"]
    field = {s.target: s.args.get("field") for s in ex.steps}
    # The site variants of cdisc/synth/mess.py, the multiplication sign and superscript six
    # included; "x 10^6" does not say of what and stays, as does a unit CT lacks.
    units = ["10^6 cells", "  10^6 cells", "x10^6 cells", "\u00d710\u2076 cells", "10E6 cells"]
    units += ["million cells", "x 10^6", "furlongs"]
    raw = pd.DataFrame(
        {
            field["EXDOSU"]: units,
            field["EXLOC"]: ["Lower leg (calf muscles)"] * 7 + ["Arm"],
        }
    )
    # UNIT "10^6 Therapeutic Cells" (C187973); LOC "CALF" (C93027).
    assert _run_steps(ex, "EXDOSU", raw) == ["10^6 Therapeutic Cells"] * 6 + ["x 10^6", "furlongs"]
    assert _run_steps(ex, "EXLOC", raw) == ["CALF"] * 7 + ["ARM"]  # ARM: LOC C32141
    assert STANDARDS.codelist("UNIT").term("10^6 Therapeutic Cells").code == "C187973"
    assert STANDARDS.codelist("LOC").term("CALF").code == "C93027"


@pytest.mark.parametrize("study", STUDIES)
def test_findings_specs_read_no_result_texts_as_not_done(specs, study):
    for name in ("LB", "VS", "QS", "FT"):
        spec = specs[study].domains[name]
        folded = {t.casefold() for t in spec.not_done_results}
        assert {"nd", "not done", "n/a", "na", "unk", "."} <= folded, (study, name)


#: trials.md 3.1 (Rutherford et al. 1997) and 3.2: each CRF decode and its category.
RUTHERFORD = {
    "0 - Asymptomatic": ("0", 0.0),
    "I-1 - Mild claudication": ("1", 1.0),
    "I-2 - Moderate claudication": ("2", 2.0),
    "I-3 - Severe claudication": ("3", 3.0),
    "II-4 - Ischemic rest pain": ("4", 4.0),
    "III-5 - Minor tissue loss": ("5", 5.0),
    "III-6 - Major tissue loss": ("6", 6.0),
    "II-4 - ISCHEMIC REST PAIN": ("4", 4.0),  # the same category typed in capitals
}
FONTAINE = {"I": "I", "IIa": "IIa", "IIb": "IIb", "III": "III", "IV": "IV", "iib": "IIb"}


@pytest.mark.parametrize("study", STUDIES)
def test_rs_standardises_every_rutherford_and_fontaine_text(specs, study):
    spec = specs[study].domains["RS"]
    tests = {t.testcd: t for t in spec.tests}
    ruth, font = tests["RUTH0101"], tests["FONT0101"]
    n = max(len(RUTHERFORD), len(FONTAINE))
    ruth_text = list(RUTHERFORD) + [None] * (n - len(RUTHERFORD))
    font_text = list(FONTAINE) + [None] * (n - len(FONTAINE))
    # The raw limb form as this spec reads it: the test fields and the RSORRES step fields.
    raw = {"_file": "x", "_form": spec.sources[0].form, "_record": [str(i) for i in range(n)]}
    raw |= {"_subject": "01", "_site": "S1", "_event": "BL", "_repeat": None}
    for step in spec.steps:
        if step.target == "RSORRES":
            is_ruth = step.when is not None and "RUTH0101" in str(step.when)
            raw[step.args["field"]] = ruth_text if is_ruth else font_text
        else:
            raw[step.args["field"]] = "2021-06-01"
    raw[ruth.result], raw[font.result] = ruth_text, font_text
    frame = pd.DataFrame(raw)
    for q in spec.supplemental:
        frame[q.field] = "Left"
    mapped = map_domain(spec, RawExport("odm", "x", {spec.sources[0].form: frame}), CONTEXT,
                        Design(), "ST")  # fmt: skip
    rs = derive_domain(mapped, spec, None, Design()).data
    got_ruth = rs[rs["RSTESTCD"] == "RUTH0101"]
    expected = [RUTHERFORD[t] for t in got_ruth["RSORRES"]]
    assert sorted(got_ruth["RSORRES"]) == sorted(RUTHERFORD)
    assert got_ruth["RSSTRESC"].tolist() == [e[0] for e in expected]
    assert got_ruth["RSSTRESN"].astype(float).tolist() == [e[1] for e in expected]
    got_font = rs[rs["RSTESTCD"] == "FONT0101"]
    assert sorted(got_font["RSORRES"]) == sorted(FONTAINE)
    assert got_font["RSSTRESC"].tolist() == [FONTAINE[t] for t in got_font["RSORRES"]]
    assert got_font["RSSTRESN"].isna().all()


def test_ts_country_references_the_dictnam_term_iso_3166():
    # DICTNAM (C66788) holds "ISO 3166" (C209537); "ISO 3166-1 alpha-3" is no term of it.
    dictnam = STANDARDS.codelist("DICTNAM")
    assert dictnam.term("ISO 3166").code == "C209537"
    assert dictnam.term("ISO 3166-1 alpha-3") is None
    dm = pd.DataFrame({"USUBJID": ["S-1"], "COUNTRY": ["NLD"], "RFICDTC": ["2021-01-05"]})
    ts = trial_summary(Design(), dm, STANDARDS, "S").set_index("TSPARMCD")
    assert ts.loc["FCNTRY", ["TSVAL", "TSVALCD", "TSVCDREF"]].tolist() == ["NLD", "NLD", "ISO 3166"]


LB_BAD = """domain: LB
sources:
  - form: chem
not_done_results: ND
tests:
  - {testcd: CRP, result: CRP_ORRES, unit_field: CRP_ORRESU}
  - testcd: ALB
    result: ALB_ORRES
    standard_values: {high: H, HIGH: H}
  - {testcd: K, result: K_ORRES, standard_field: K_ORRESU, standard_values: {a: b}}
  - {testcd: GLUC, result: GLUC_ORRES, standard_values: [a, b]}
variables:
  LBDTC: {algorithm: assign_datetime, field: LBDAT}
"""


def test_check_reports_bad_not_done_results_and_standard_values_with_lines(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    (study / "sdtm" / "lb.yaml").write_text(LB_BAD, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_study_specs(load_study(str(study)), STANDARDS)
    lb = [line for line in str(caught.value).splitlines() if "lb.yaml" in line]
    text = "\n".join(lb)
    assert "lb.yaml:4 not_done_results: expected a list of result texts" in text
    assert "lb.yaml:9 tests.1.standard_values.HIGH: 'HIGH' is 'high' again, ignoring case" in text
    assert "lb.yaml:10 tests.2.standard_values: standard_values cannot be combined with" in text
    assert "lb.yaml:11 tests.3.standard_values: expected a mapping" in text
    assert len(lb) == 4, lb


def test_check_reports_an_assign_unit_synonym_that_names_no_unit_term(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    ex = study / "sdtm" / "ex.yaml"
    text = ex.read_text(encoding="utf-8")
    assert '"million cells": 10^6 Therapeutic Cells}' in text
    ex.write_text(
        text.replace('"million cells": 10^6 Therapeutic Cells}', '"million cells": 10^6 Cells}')
    )
    with pytest.raises(SpecError) as caught:
        load_study_specs(load_study(str(study)), STANDARDS)
    found = [line for line in str(caught.value).splitlines() if "ex.yaml" in line]
    assert len(found) == 1, found
    assert (
        "variables.EXDOSU.synonyms.million cells: '10^6 Cells' is not a term of codelist UNIT"
        in found[0]
    )
