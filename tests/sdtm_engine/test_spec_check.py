"""cdisc check on a spec copy with planted mistakes, and hand-worked algorithm results."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import mappings
from cdisc.errors import SpecError
from cdisc.standards import Standards
from cdisc.study import load_study
from sdtm.algorithms import Context, assign_ct, assign_datetime
from sdtm.conditions import Condition
from sdtm.design import Design
from sdtm.engine import map_domain
from sdtm.spec import DomainSpec, Source, Step
from sdtm.specs import load_study_specs

AE_BAD = """domain: AE
sources:
  - form: ae
variables:
  AETERM: {algorithm: assign_no_ct, field: AETERM}
  AEDECOD: {algorithm: asign_no_ct, field: AETERM}
  AESEV: {algorithm: assign_ct, field: AESEV_DECODE, codelist: AESEVX}
  VSORRES: {algorithm: assign_no_ct, field: AETERM}
  AESER: {algorithm: assign_ct, field: AESER_DECODE, codelist: NY, colour: red}
"""


def test_check_lists_every_planted_mistake_with_file_and_line(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    (study / "sdtm" / "ae.yaml").write_text(AE_BAD, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_study_specs(load_study(str(study)), Standards.load())
    lines = str(caught.value).splitlines()
    ae = [line for line in lines if "ae.yaml" in line]
    assert any(":6 variables.AEDECOD.algorithm: unknown algorithm 'asign_no_ct'" in x for x in ae)
    assert any(":7 variables.AESEV.codelist: unknown codelist 'AESEVX'" in x for x in ae)
    assert any(":8 variables.VSORRES: VSORRES is not a AE variable" in x for x in ae)
    assert any(":9 variables.AESER.colour: unknown key" in x for x in ae)
    # AEDECOD's only step is unusable, so the Required variable is reported unmapped too.
    assert any(":4 variables: Required variable AEDECOD is not mapped" in x for x in ae)
    assert len(ae) == 5


def test_assign_ct_maps_synonyms_and_reports_values_outside_the_codelist():
    raw = pd.DataFrame({"SEX": ["Male", "female", "unknown-ish", None]})
    out = assign_ct(raw, "SEX", "SEX", context=Context(Standards.load()))
    assert out.values.tolist()[:3] == ["M", "F", "unknown-ish"]
    assert pd.isna(out.values.iloc[3])
    assert out.problems["row"].tolist() == [2]
    assert out.problems["code"].tolist() == ["out-of-codelist"]


def test_assign_datetime_reports_unusable_dates():
    raw = pd.DataFrame({"D": ["2021-06-15", "32/13/2021"]})
    out = assign_datetime(raw, "D", context=Context(Standards.load()))
    assert out.values.iloc[0] == "2021-06-15"
    assert pd.isna(out.values.iloc[1])
    assert out.problems["row"].tolist() == [1]


def test_condition_steps_fill_only_missing_and_filter_is_accounted():
    raw = pd.DataFrame(
        {
            "_file": "f",
            "_form": "ae",
            "_record": ["1", "2", "3"],
            "_subject": ["01", "01", "02"],
            "_site": "S1",
            "_event": "LOG",
            "_repeat": None,
            "AETERM": ["Headache", "Rash", None],
            "ONGO": ["1", "0", "1"],
        }
    )
    from cdisc.readers.base import RawExport

    export = RawExport("odm", "x", {"ae": raw})
    spec = DomainSpec(
        domain="AE",
        path="ae.yaml",
        sources=(Source("ae", Condition("present", "AETERM", True)),),
        steps=(
            Step("AETERM", "assign_no_ct", {"field": "AETERM"}),
            Step(
                "AEENRTPT", "hardcode_no_ct", {"value": "ONGOING"}, Condition("equals", "ONGO", "1")
            ),
            Step("AEENRTPT", "hardcode_no_ct", {"value": "BEFORE"}),
        ),
    )
    out = map_domain(spec, export, Context(Standards.load()), Design(), "ST")
    assert out.data["USUBJID"].tolist() == ["ST-01", "ST-01"]
    assert out.data["AEENRTPT"].tolist() == ["ONGOING", "BEFORE"]
    dropped = out.accounting[~out.accounting["used"]]
    assert dropped["record"].tolist() == ["3"]
    assert dropped["reason"].iloc[0] == "filter: AETERM present"


def test_a_not_done_sample_gives_not_done_rows_only_for_its_own_panels_tests():
    from cdisc.readers.base import RawExport
    from sdtm.spec import Test

    def form(name: str, fields: dict) -> pd.DataFrame:
        base = {"_file": "f", "_form": name, "_record": ["1", "2"], "_subject": ["01", "02"]}
        base |= {"_site": "S1", "_event": "BL", "_repeat": None}
        return pd.DataFrame(base | fields)

    # Subject 01: haematology not done, chemistry done. Subject 02: both done.
    export = RawExport(
        "odm",
        "x",
        {
            "hema": form("hema", {"HGB": [None, "8.1"], "PERF": ["0", "1"]}),
            "chem": form("chem", {"CREAT": ["90", "85"], "PERF": ["1", "1"]}),
        },
    )
    spec = DomainSpec(
        domain="LB",
        path="lb.yaml",
        sources=(Source("hema"), Source("chem")),
        steps=(),
        tests=(
            Test("HGB", "HGB", unit="mmol/L", category="HEMATOLOGY"),
            Test("CREAT", "CREAT", unit="umol/L", category="CHEMISTRY"),
        ),
        not_done=Condition("equals", "PERF", "0"),
    )
    out = map_domain(spec, export, Context(Standards.load()), Design(), "ST").data
    rows = sorted(zip(out["USUBJID"], out["LBTESTCD"], out["LBSTAT"].fillna(""), strict=True))
    assert dict(zip(out["LBTESTCD"], out["LBCAT"], strict=True)) == {
        "HGB": "HEMATOLOGY",
        "CREAT": "CHEMISTRY",
    }
    # 4 rows by hand: 01 HGB NOT DONE, 01 CREAT 90, 02 HGB 8.1, 02 CREAT 85; no 01 CREAT ND.
    assert rows == [
        ("ST-01", "CREAT", ""),
        ("ST-01", "HGB", "NOT DONE"),
        ("ST-02", "CREAT", ""),
        ("ST-02", "HGB", ""),
    ]


def test_a_coded_item_holding_a_value_outside_its_codes_is_reported():
    # AESEV codes 1/2/3 decode to Mild/Moderate/Severe; "Severe" typed into the code has none.
    raw = pd.DataFrame({"AESEV": ["1", "Severe", None], "AESEV_DECODE": ["Mild", None, None]})
    out = assign_ct(raw, "AESEV_DECODE", "AESEV", context=Context(Standards.load()))
    assert out.values.iloc[0] == "MILD"
    assert out.problems["code"].tolist() == ["code-not-in-item-codelist"]
    assert out.problems["row"].tolist() == [1]
    assert out.problems["value"].tolist() == ["Severe"]


def _vs_raw(**fields) -> pd.DataFrame:
    n = len(next(iter(fields.values())))
    base = {"_file": "f", "_form": "vs", "_record": [str(i + 1) for i in range(n)]}
    base |= {"_subject": "01", "_site": "S1", "_event": "BL", "_repeat": None}
    return pd.DataFrame(base | fields)


def test_a_blank_required_crf_item_is_reported_and_the_record_kept():
    from cdisc.readers.base import RawExport

    raw = _vs_raw(AETERM=["Rash", "Cough", "Fever"], AESEV=["1", " ", None])
    raw["_form"] = "ae"
    spec = DomainSpec(
        domain="AE",
        path="ae.yaml",
        sources=(Source("ae", required=("AESEV",)),),
        steps=(Step("AETERM", "assign_no_ct", {"field": "AETERM"}),),
    )
    out = map_domain(
        spec, RawExport("odm", "x", {"ae": raw}), Context(Standards.load()), Design(), "ST"
    )
    assert len(out.data) == 3
    blank = out.issues[out.issues["code"] == "required-item-blank"]
    assert blank["record"].tolist() == ["2", "3"] and set(blank["variable"]) == {"AESEV"}


def test_two_records_of_one_side_at_a_visit_are_reported_as_duplicate_keys():
    from cdisc.readers.base import RawExport
    from sdtm.engine import derive_domain
    from sdtm.spec import Test

    # Record 2 is the left leg filed as the right one: two RIGHT results at one visit.
    raw = _vs_raw(ABIDAT=["2021-06-01"] * 3, LAT=["LEFT", "RIGHT", "RIGHT"], SYS=["80", "95", "70"])
    spec = DomainSpec(
        domain="VS",
        path="vs.yaml",
        sources=(Source("vs"),),
        steps=(Step("VSDTC", "assign_datetime", {"field": "ABIDAT"}),),
        tests=(
            Test(
                "ANKSYS", "SYS", test="Ankle Systolic Pressure", unit="mmHg", laterality_field="LAT"
            ),
        ),
    )
    context = Context(Standards.load())
    mapped = map_domain(spec, RawExport("odm", "x", {"vs": raw}), context, Design(), "ST")
    out = derive_domain(mapped, spec, None, Design())
    clash = out.issues[out.issues["code"] == "duplicate-key"]
    assert sorted(clash["record"]) == ["2", "3"]


def test_check_finds_a_malformed_death_rule_and_a_misspelt_baseline_key(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    ds = study / "sdtm" / "ds.yaml"
    text = ds.read_text(encoding="utf-8")
    assert "    target: DSSTDTC\n" in text
    ds.write_text(text.replace("    target: DSSTDTC\n", ""), encoding="utf-8")
    vs = study / "sdtm" / "vs.yaml"
    text = vs.read_text(encoding="utf-8")
    assert "new_var: VSLOBXFL" in text
    vs.write_text(text.replace("new_var: VSLOBXFL", "newvar: VSLOBXFL"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_study_specs(load_study(str(study)), Standards.load())
    lines = str(caught.value).splitlines()
    assert any("ds.yaml:" in x and "derivations.death_from: " in x for x in lines), lines
    assert any("vs.yaml:" in x and "derivations.baseline.newvar: unknown key" in x for x in lines)


def test_check_finds_an_unknown_codelist_of_a_multiple_response_qualifier(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    dm = study / "sdtm" / "dm.yaml"
    text = dm.read_text(encoding="utf-8")
    assert "multiple: {codelist: RACE}" in text
    dm.write_text(text.replace("multiple: {codelist: RACE}", "multiple: {codelist: RACEX}"))
    with pytest.raises(SpecError) as caught:
        load_study_specs(load_study(str(study)), Standards.load())
    assert "supplemental.0.multiple.codelist" in str(caught.value)
    assert "RACEX" in str(caught.value)
