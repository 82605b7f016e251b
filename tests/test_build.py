"""End to end: build each bundled study and read every XPT back with two independent readers.

The raw export is the bundled one when present, else a synthetic one generated into the
test's temporary folder (``cdisc.synth.synthesize``, seed 1). Expected record counts are
counted here from the raw files with ``xml.etree`` / the ``csv`` module, not taken from the
build.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from click.testing import CliRunner

import mappings
from cdisc.cli import main
from cdisc.standards import Standards
from cdisc.synth import synthesize

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
#: The ADaM structure of each analysis dataset the demo studies write (ADEFF is BDS).
ADAM_STRUCTURES = {"ADSL": "ADSL", "ADTTE": "TTE"}


def _xpts(folder: Path) -> list[Path]:
    return sorted((folder / "m5" / "datasets").rglob("*.xpt"))


def test_build_writes_the_four_domains_and_exits_by_severity(built):
    _, _, folder, result, written = built
    names = {p.stem.upper() for p in _xpts(folder)}
    assert {"DM", "AE", "EX", "VS"} <= names
    errors = [p for p in written["problems"] if p["severity"] == "error"]
    # Exit 1 exactly when an error-severity problem exists; warnings alone keep exit 0.
    assert result.exit_code == (1 if errors else 0), result.output
    assert errors == []
    assert written["errors"] == 0
    # Every problem is a warning, a notice (a unit spelling written as its CT term), or a
    # conformance finding the study waives with a reason.
    severities = [p["severity"] for p in written["problems"]]
    assert set(severities) <= {"warning", "notice", "waived"}
    assert written["warnings"] == severities.count("warning")
    waived = {(w["rule"], w["dataset"]) for w in written["validation"]["waived"]}
    assert {
        (p["code"], p["domain"]) for p in written["problems"] if p["severity"] == "waived"
    } == waived
    assert f"{written['warnings']:,} warnings" in result.output


def test_every_conformance_warning_is_explained_or_waived(built):
    # Issue 6: what the validator reports on a demo package is either explained (study.yaml
    # explanations:, or a sponsor term the define declares def:ExtendedValue) or waived with
    # a reason. The SDTM stage's own warnings (raw-data problems) carry their message and
    # raw location instead; they are not conformance findings.
    _, _, _, result, written = built
    rules = {r["rule"] for r in written["validation"]["rules"]}
    assert rules, "the build ran no conformance rule"
    findings = [p for p in written["problems"] if p["code"] in rules]
    assert findings, "the demo packages have no conformance finding at all: is the check on?"
    open_ = [p for p in findings if not p["explanation"] and p["severity"] != "waived"]
    assert open_ == [], open_[:3]
    assert all(p["waived"] for p in findings if p["severity"] == "waived")
    not_run = [r for r in written["validation"]["rules"] if r["reason"].startswith("the rule f")]
    assert not_run == []
    assert "explained in study.yaml or define.xml" in result.output
    assert written["validation"]["unused_explanations"] == []


def test_console_summary_lists_forms_subjects_and_records(built):
    study, raw, _, result, _ = built
    if study != "sail":
        pytest.skip("ODM counting below")
    root = ET.parse(raw).getroot()
    subjects = {s.get("SubjectKey") for s in root.iter(f"{ODM}SubjectData")}
    groups: dict[str, int] = {}
    for form in root.iter(f"{ODM}FormData"):
        oid = form.get("FormOID").lower()
        groups[oid] = groups.get(oid, 0) + len(form.findall(f"{ODM}ItemGroupData"))
    assert f"{len(subjects):,} subjects" in result.output
    for form, count in groups.items():
        line = next(x for x in result.output.splitlines() if x.split()[:1] == [form])
        assert f"{count:,}" in line.split()[1:2], line


def test_record_counts_match_the_raw_export(built):
    study, raw, folder, _, _ = built
    if study != "sail":
        pytest.skip("ODM counting below")
    root = ET.parse(raw).getroot()
    dm_subjects = set()
    ae_terms = 0
    for subject in root.iter(f"{ODM}SubjectData"):
        for group in subject.iter(f"{ODM}ItemGroupData"):
            if group.get("ItemGroupOID") == "IG.DM":
                dm_subjects.add(subject.get("SubjectKey"))
            if group.get("ItemGroupOID") == "IG.AE":
                term = [i.get("Value") for i in group if i.get("ItemOID") == "AE.AETERM"]
                ae_terms += bool(term and term[0] and term[0].strip())
    counts = {p.stem.upper(): pyreadstat.read_xport(p)[1].number_rows for p in _xpts(folder)}
    assert counts["DM"] == len(dm_subjects)
    assert counts["AE"] == ae_terms


def test_pmsc_record_counts_match_the_redcap_csv(built):
    study, raw, folder, _, _ = built
    if study != "pmsc-cli":
        pytest.skip("REDCap counting")
    with (raw / "data.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    # One DM record per subject with a demographics form; records filed under a variant
    # subject id (a generator defect) carry no demographics and are not DM subjects.
    subjects = {r["record_id"] for r in rows if r["dm_complete"].strip()}
    ae = [r for r in rows if r["redcap_repeat_instrument"] == "ae" and r["aeterm"].strip()]
    given = [r for r in rows if r["ecyn"].strip() == "1"]
    counts = {p.stem.upper(): pyreadstat.read_xport(p)[1].number_rows for p in _xpts(folder)}
    assert counts["DM"] == len(subjects)
    assert counts["AE"] == len(ae)
    assert counts["EX"] == len(given)


def _decoded(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas.read_sas gives Char as bytes and blank as b''; pyreadstat gives str ''."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v.decode("ascii") if isinstance(v, bytes) else v)
            out[col] = out[col].fillna("").astype(str).str.rstrip()
    return out


def test_every_xpt_reads_back_equal_with_both_readers(built):
    _, _, folder, _, _ = built
    standards = Standards.load()
    files = _xpts(folder)
    assert files
    for path in files:
        name = path.stem.upper()
        # SAS dates (ADaM) as the day numbers stored, as pandas.read_sas gives them.
        by_stat, meta = pyreadstat.read_xport(path, disable_datetime_conversion=True)
        by_sas = pd.read_sas(path, format="xport", encoding=None)
        # Types as each reader saw them: Char is 'string' / bytes, Num is 'double' / float.
        sas_char = {c for c in by_sas.columns if by_sas[c].dtype == object}
        by_stat, by_sas = _decoded(by_stat), _decoded(by_sas)
        assert list(by_stat.columns) == list(by_sas.columns), name
        assert len(by_stat) == len(by_sas) == meta.number_rows, name
        lineage = folder / "lineage" / f"{name.lower()}.csv"
        with lineage.open(newline="", encoding="utf-8") as handle:
            lineage_rows = sum(1 for _ in csv.DictReader(handle))
        # ADSL's lineage has a row per subject and variable taken from a record.
        assert lineage_rows == len(by_stat) or name == "ADSL", name
        analysis = "analysis" in path.parts
        structure = ADAM_STRUCTURES.get(name, "BDS")
        for col in by_stat.columns:
            left, right = by_stat[col], by_sas[col]
            if analysis:
                # Sponsor variables (INDEXLAT) and ADSL copies take the spec's label.
                ig = standards.adam_variable(structure, col)
                if ig is not None and not ig.is_pattern:
                    assert meta.column_names_to_labels[col] == ig.label, (name, col)
                numeric = meta.readstat_variable_types[col] == "double"
            else:
                spec = standards.sdtm_variable(name, col)
                assert meta.column_names_to_labels[col] == spec.label, (name, col)
                numeric = spec.type == "Num"
            if numeric:
                assert meta.readstat_variable_types[col] == "double", (name, col)
                assert col not in sas_char and right.dtype.kind == "f", (name, col)
                # pandas reads the IBM zero as 16**-65 (pandas #50670; cdisc/writers/readback.py)
                right = right.mask((left == 0).to_numpy() & (right == 16.0**-65).to_numpy(), 0.0)
                assert np.allclose(
                    left.to_numpy(float), right.to_numpy(float), equal_nan=True, rtol=0, atol=0
                ), (name, col)
            else:
                assert meta.readstat_variable_types[col] == "string", (name, col)
                assert col in sas_char or not len(by_sas), (name, col)
                assert left.tolist() == right.tolist(), (name, col)
        assert meta.table_name == name
        if not analysis:
            assert meta.file_label == standards.sdtm_dataset(name).label


def test_bundled_specs_check_clean():
    for study in ("sail", "pmsc-cli"):
        result = CliRunner().invoke(main, ["check", str(mappings.ROOT / study)])
        assert result.exit_code == 0, result.output


DM_SEX_NEVER_FILLED = """domain: DM
sources:
  - form: dm
variables:
  AGE: {algorithm: assign_number, field: AGE}
  AGEU: {algorithm: hardcode_ct, value: YEARS, codelist: AGEU}
  SEX:
    algorithm: assign_ct
    field: SEX_DECODE
    codelist: SEX
    when: {field: SEX_DECODE, equals: "no such value"}
"""


def test_a_required_variable_left_empty_fails_the_build(tmp_path):
    # A copy of sail whose SEX step never fills (its condition matches no record): every
    # DM record then has Required SEX empty, an error, so exit 1. The files are still
    # written, but beside the package's place (out/sail.failed), never as out/sail.
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    (study / "sdtm" / "dm.yaml").write_text(DM_SEX_NEVER_FILLED, encoding="utf-8")
    synthesize("sail", tmp_path / "raw", subjects=4)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["build", str(study), "--raw", str(tmp_path / "raw" / "sail_odm.xml"), "--out", str(out)],
    )
    assert result.exit_code == 1, result.output
    assert "error   DM required-empty: 4" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["sail.failed"]
    report = json.loads((out / "sail.failed" / "build_report.json").read_text(encoding="utf-8"))
    empty = [p for p in report["problems"] if p["code"] == "required-empty"]
    assert len(empty) == 4 and {p["severity"] for p in empty} == {"error"}
    # The build's own validation sees the same empty SEX (SCH002, P21 SD0002) in DM.
    assert sum(p["code"] == "SCH002" and p["domain"] == "DM" for p in report["problems"]) == 4
    assert (out / "sail.failed" / "m5/datasets/sail/tabulations/sdtm/dm.xpt").exists()


def test_unit_findings_name_the_raw_records_of_the_ground_truth(built):
    # Every VS value with a unit typed into it (ground truth "embedded_unit" on the vs form)
    # is reported as unit-in-result at its own subject and raw record, and nothing else is.
    study, raw, _, _, report = built
    folder = raw.parent if raw.is_file() else raw
    truth = folder / "ground_truth" / "defects.csv"
    if not truth.exists():
        pytest.skip("no ground truth beside this raw export")
    with truth.open(newline="", encoding="utf-8") as handle:
        expected = {
            (r["subject"], r["record"])
            for r in csv.DictReader(handle)
            if r["kind"] == "embedded_unit" and r["form"] == "vs"
        }
    found = {
        (p["subject"], p["record"])
        for p in report["problems"]
        if p["code"] == "unit-in-result" and p["form"] == "vs"  # lab/QS/ABI forms: own tests
    }
    assert found == expected, study


def test_records_under_variant_subject_ids_are_normalised_and_reported(built):
    # Ground truth: every record the generator filed under a variant subject id
    # (subject_id_variant) in a form some non-DM domain of this build reads must come back
    # as a subject-id-normalised warning (study.yaml subjects.normalise), naming the key as
    # collected and the canonical key; none is left as subject-not-in-dm. The forms read
    # are taken from the spec YAML, the defects from defects.csv with the csv module.
    study, raw, _, _, report = built
    folder = raw.parent if raw.is_file() else raw
    forms = set()
    for spec in (mappings.ROOT / study / "sdtm").glob("*.yaml"):
        loaded = yaml.safe_load(spec.read_text(encoding="utf-8"))
        if loaded["domain"] != "DM":
            forms |= {s["form"].lower() for s in loaded["sources"]}
    with (folder / "ground_truth" / "defects.csv").open(newline="", encoding="utf-8") as handle:
        variants = [r for r in csv.DictReader(handle) if r["kind"] == "subject_id_variant"]
    assert variants, "the demo export has records under variant subject ids"
    # A raw record is (form, record path, subject id as written): the path alone repeats
    # across subjects; defects.csv gives the id as written in ``value``, the canonical one
    # in ``clean``.
    expected = {
        (r["form"], r["record"], r["value"], r["clean"]) for r in variants if r["form"] in forms
    }
    assert expected, "some variant record is in a mapped form"
    normalised = [p for p in report["problems"] if p["code"] == "subject-id-normalised"]
    found = {(p["form"].lower(), p["record"], p["subject"], p["value"]) for p in normalised}
    assert found == expected
    assert {p["severity"] for p in normalised} == {"warning"}
    assert [p for p in report["problems"] if p["code"] == "subject-not-in-dm"] == []


def test_a_planted_subject_without_dm_is_reported_per_record(tmp_path):
    # A small synthetic sail export plus one planted subject 99-999: a copy of a real
    # subject's SubjectData keeping only its AE and EX forms (no DM form). Each copied AE
    # record with a term and EX record with ECYN = 1 lands in AE / EX (the spec filters)
    # under a USUBJID DM does not know: one warning per such raw record, counted here.
    synthesize("sail", tmp_path / "raw", subjects=4)
    path = tmp_path / "raw" / "sail_odm.xml"
    ET.register_namespace("", ODM[1:-1])
    tree = ET.parse(path)
    clinical = next(tree.getroot().iter(f"{ODM}ClinicalData"))
    donor = max(
        clinical.findall(f"{ODM}SubjectData"),
        key=lambda s: sum(f.get("FormOID") == "AE" for f in s.iter(f"{ODM}FormData")),
    )
    planted = copy.deepcopy(donor)
    planted.set("SubjectKey", "99-999")
    for event in planted.findall(f"{ODM}StudyEventData"):
        for form in event.findall(f"{ODM}FormData"):
            if form.get("FormOID") not in ("AE", "EX"):
                event.remove(form)
    clinical.append(planted)
    tree.write(path, encoding="UTF-8", xml_declaration=True)

    def value(group, oid):
        item = next((i for i in group if i.get("ItemOID") == oid), None)
        return (item.get("Value") or "").strip() if item is not None else ""

    groups = list(planted.iter(f"{ODM}ItemGroupData"))
    landing = sum(
        (g.get("ItemGroupOID") == "IG.AE" and value(g, "AE.AETERM") != "")
        + (g.get("ItemGroupOID") == "IG.EX" and value(g, "EX.ECYN") == "1")
        for g in groups
    )
    assert landing > 0
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "sail", "--raw", str(path), "--out", str(out)])
    # The validator's SDC001 (P21 SD0064) makes each such record an error: the build fails,
    # and its files are kept beside the package's place, not as out/sail.
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["sail.failed"]
    report = json.loads((out / "sail.failed" / "build_report.json").read_text(encoding="utf-8"))
    assert {p["code"] for p in report["problems"] if p["severity"] == "error"} == {"SDC001"}
    flagged = [p for p in report["problems"] if p["code"] == "subject-not-in-dm"]
    assert len({(p["form"], p["record"]) for p in flagged if p["subject"] == "99-999"}) == landing
    # Anything else flagged is a record the generator itself filed under a variant id.
    with (tmp_path / "raw" / "ground_truth" / "defects.csv").open(encoding="utf-8") as handle:
        variants = {
            (r["form"], r["record"], r["value"])
            for r in csv.DictReader(handle)
            if r["kind"] == "subject_id_variant"
        }
    others = {(p["form"], p["record"], p["subject"]) for p in flagged if p["subject"] != "99-999"}
    assert others <= variants
    assert {p["value"] for p in flagged if p["subject"] == "99-999"} == {"SAIL-99-999"}
    assert "subject-not-in-dm" in result.output


def test_collected_fields_no_spec_names_are_listed_as_not_used(built):
    """fields_not_used: each listed field is collected on its form and named by no SDTM YAML
    of the study (searched as a word in the spec files' text); mapped fields are never listed.
    ADaM specs name SDTM variables, never raw fields, so they are not searched."""
    import re

    import mappings
    from cdisc.readers import read_declared

    study, raw, _, _, report = built
    folder = Path(mappings.__file__).parent / study
    specs = [folder / "study.yaml", *sorted((folder / "sdtm").glob("*.yaml"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in specs)
    declared = read_declared(raw)
    listed = report["fields_not_used"]
    assert listed, "the bundled exports collect items SDTM leaves out (e.g. EX volume)"
    for form, names in listed.items():
        for name in names:
            assert name in declared[form]
            assert not re.search(rf"\b{re.escape(name)}(_DECODE)?\b", text), (form, name)
    for form in ("ae", "vs"):
        assert form not in listed or not {"AETERM", "aeterm", "SYSBP", "sysbp"} & set(listed[form])


def test_every_visit_of_every_domain_is_a_visit_of_sv(built):
    """One visit, one number: every (USUBJID, VISITNUM, VISIT) of a domain is an SV record,
    unscheduled visits included (numbered over every form, not per domain)."""
    import pyreadstat

    _, _, folder, _, _ = built
    xpts = {p.stem.upper(): p for p in _xpts(folder)}
    sv, _ = pyreadstat.read_xport(str(xpts["SV"]))
    visits = set(zip(sv["USUBJID"], sv["VISITNUM"].round(2), sv["VISIT"], strict=True))
    checked = 0
    for name, path in xpts.items():
        data, _ = pyreadstat.read_xport(str(path))
        if name == "SV" or "VISITNUM" not in data or "USUBJID" not in data:  # TV: planned
            continue
        rows = data.dropna(subset=["VISITNUM"])
        found = set(zip(rows["USUBJID"], rows["VISITNUM"].round(2), rows["VISIT"], strict=True))
        assert found <= visits, (name, sorted(found - visits)[:5])
        checked += int((rows["VISITNUM"] % 1 > 0).sum())
    assert checked, "the bundled exports have unscheduled visits"
