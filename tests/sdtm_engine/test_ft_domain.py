"""FT (treadmill walking distance) for trial B, against its raw walk form and ground truth.

Expected values are counted here from the raw ODM export (``xml.etree``) and the generator's
ground truth (``ground_truth/defects.csv``, csv module), or taken from the spec
(``mappings/sail/sdtm/ft.yaml``: tests PFWD and MWD in m, not done when WTPERF = 0), never
from the build. The build (DM, EX and FT only: FT needs DM for study days and EX for
RFXSTDTC) is shared by the module.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from cdisc.build import build_raw_summary
from cdisc.standards import Standards
from cdisc.study import load_study
from sdtm.sdtmbuild import run_sdtm
from sdtm.specs import StudySpecs, declared_fields, load_study_specs

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
STUDY = "sail"
DOMAINS = ("DM", "EX", "FT")
#: The spec's tests: raw field -> FTTESTCD (ft.yaml).
TESTS = {"PFWD": "PFWD", "MWD": "MWD"}


def _raw_walk_records() -> list[dict[str, str]]:
    """Every walk ItemGroupData of the ODM file: subject, event and the items' values."""
    root = ET.parse(load_study(STUDY).source.path).getroot()
    out = []
    for subject in root.iter(f"{ODM}SubjectData"):
        for event in subject.iter(f"{ODM}StudyEventData"):
            for group in event.iter(f"{ODM}ItemGroupData"):
                if group.get("ItemGroupOID") != "IG.WALK":
                    continue
                items = {
                    item.get("ItemOID").split(".", 1)[1]: item.get("Value") or ""
                    for item in group.iter(f"{ODM}ItemData")
                }
                out.append({"subject": subject.get("SubjectKey"), **items})
    return out


def _defects(kind: str) -> list[dict[str, str]]:
    path = load_study(STUDY).source.path.parent / "ground_truth" / "defects.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["kind"] == kind and r["form"] == "walk"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[pd.DataFrame, dict]:
    """Trial B built once (DM, EX, FT): FT joined to its lineage, and the build report."""
    target = tmp_path_factory.mktemp(STUDY)
    summary = build_raw_summary(STUDY, out=target)
    standards = Standards.load()
    specs = load_study_specs(summary.study, standards, declared_fields(summary.export))
    specs = StudySpecs(specs.design, {d: specs.domains[d] for d in DOMAINS})
    folder = target / STUDY
    run_sdtm(summary, specs, standards, folder, False, None)
    report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
    xpt = folder / "m5" / "datasets" / "sail" / "tabulations" / "sdtm" / "ft.xpt"
    ft = pd.read_sas(xpt, format="xport", encoding="utf-8")
    lineage = pd.read_csv(folder / "lineage" / "ft.csv", dtype=str, keep_default_na=False)
    assert len(lineage) == len(ft)
    for column in ("form", "subject", "record"):
        ft[f"_{column}"] = lineage[column].to_numpy()
    return ft, report


def _record(ft: pd.DataFrame, subject: str, record: str) -> pd.DataFrame:
    """The FT records made from one raw walk record, by lineage."""
    rows = (ft["_form"] == "walk") & (ft["_subject"] == subject) & (ft["_record"] == record)
    return ft[rows].set_index("FTTESTCD")


def test_ft_is_written_with_no_errors(built):
    _, report = built
    assert report["errors"] == 0
    assert "FT" in {d["dataset"] for d in report["datasets"]}


def test_ft_record_count_equals_the_raw_walk_form(built):
    ft, report = built
    raw = _raw_walk_records()
    # Not performed (WTPERF = 0): one NOT DONE record per test; otherwise one record per
    # distance with a value.
    not_done = [r for r in raw if r.get("WTPERF", "").strip() == "0"]
    performed = [r for r in raw if r.get("WTPERF", "").strip() != "0"]
    per_test = {
        testcd: len(not_done) + sum(1 for r in performed if r.get(field, "").strip())
        for field, testcd in TESTS.items()
    }
    assert ft["FTTESTCD"].value_counts().to_dict() == per_test
    assert len(ft) == sum(per_test.values())
    assert (ft["FTSTAT"] == "NOT DONE").sum() == 2 * len(not_done)
    # Every raw walk record is used, none is left unaccounted for.
    walk = next(f for f in report["forms"] if f["form"] == "walk")
    assert (walk["records"], walk["used"]) == (len(raw), len(raw))
    assert not [r for r in report["not_used"] if r["form"] == "walk"]


def test_results_are_in_metres_under_the_sponsor_test_codes(built):
    ft, _ = built
    done = ft[ft["FTSTAT"] != "NOT DONE"]
    assert set(ft["FTTESTCD"]) == {"PFWD", "MWD"}
    assert set(ft["FTCAT"]) == {"TREADMILL WALKING TEST"}
    assert set(done["FTORRESU"]) == {"m"}
    numeric = done[done["FTSTRESN"].notna()]
    assert set(numeric["FTSTRESU"]) == {"m"}
    # A plain number in m, already the standard unit: FTSTRESC = FTORRES, FTSTRESN its value.
    assert (numeric["FTSTRESC"] == numeric["FTORRES"]).all()
    assert (numeric["FTSTRESN"] == pd.to_numeric(numeric["FTORRES"])).all()


def test_a_crf_version_2_distance_typed_with_its_unit_is_reported_on_its_record(built):
    ft, report = built
    changed = _defects("crf_version_change")
    # The generator's example in the brief: MWD typed "156 m" (clean value 156).
    example = next(r for r in changed if r["value"] == "156 m")
    assert (example["field"], example["clean"]) == ("WALK.MWD", "156")
    mwd = _record(ft, example["subject"], example["record"]).loc["MWD"]
    assert mwd["FTORRESU"] == "m"
    # Read as the number, the unit in FTORRESU (SDTMIG 4.5.1) and reported.
    assert (mwd["FTORRES"], mwd["FTSTRESC"]) == (example["clean"], example["clean"])
    assert (mwd["FTSTRESN"], mwd["FTSTRESU"]) == (156.0, "m")
    unit_in_result = {
        (p["subject"], p["record"])
        for p in report["problems"]
        if p["domain"] == "FT" and p["code"] == "unit-in-result"
    }
    # Every CRF version 2 value is reported at its own raw record (and only MWD changed).
    assert {(r["subject"], r["record"]) for r in changed} <= unit_in_result
    assert (example["subject"], example["record"]) in unit_in_result


def test_a_walk_not_performed_is_not_done_with_its_reason_traced_by_lineage(built):
    ft, _ = built
    # Ground truth: the reason of 03-036 at M6 was typed with blanks around it.
    padded = next(r for r in _defects("padded_text") if r["value"].strip() != r["value"])
    rows = _record(ft, padded["subject"], padded["record"])
    assert sorted(rows.index) == ["MWD", "PFWD"]
    assert set(rows["FTSTAT"]) == {"NOT DONE"}
    assert set(rows["FTREASND"]) == {padded["clean"]}
    assert set(rows["FTORRES"]) == {""}
    # Raw field and value behind it, read here from the ODM file.
    raw = next(
        r
        for r in _raw_walk_records()
        if r["subject"] == padded["subject"] and r.get("WTREASND") == padded["value"]
    )
    assert raw["WTPERF"] == "0"
