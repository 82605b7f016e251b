"""DS, PR and RS for both bundled studies, and the rules they rely on.

Expected values are counted here from the raw exports (``xml.etree`` for trial B's ODM file,
the ``csv`` module for trial A's REDCap export), from the generator's ground truth
(``ground_truth/defects.csv``) and from the generator's own level lists (``cdisc.synth``),
never taken from the build. One build per study is shared by the module.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc.build import build_raw_summary
from cdisc.errors import SpecError
from cdisc.readers.base import RawExport
from cdisc.standards import Standards
from cdisc.study import load_study
from cdisc.synth.mess import AMPUTATION_TEXT
from cdisc.synth.subjects import MAJOR_LEVELS, MINOR_LEVELS
from cdisc.yamlspec import SpecDocument
from sdtm.algorithms import Context
from sdtm.conditions import Condition, check_condition, condition_mask
from sdtm.design import Design
from sdtm.disposition import death_from_rule, derive_death_records
from sdtm.engine import map_domain
from sdtm.sdtmbuild import run_sdtm
from sdtm.spec import DomainSpec
from sdtm.specs import StudySpecs, declared_fields, load_study_specs

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
STUDIES = {"sail": "SAIL", "pmsc-cli": "PMSC-CLI"}
# NCOMPLT submission values of the generator's end-of-study codes (cdisc/synth/design.py
# DSDECOD: 1 Completed, 2 Death, 3 Lost to follow-up, 4 Withdrawal by subject, 5 Adverse
# event, 6 Physician decision), written out by hand.
DS_CODES = {
    "1": "COMPLETED",
    "2": "DEATH",
    "3": "LOST TO FOLLOW-UP",
    "4": "WITHDRAWAL BY SUBJECT",
    "5": "ADVERSE EVENT",
    "6": "PHYSICIAN DECISION",
}


# ----------------------------------------------------------------------------- raw readers


@cache
def _odm_root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _odm_records(path: Path, group: str) -> list[dict]:
    """Every ItemGroupData ``IG.<group>`` of the ODM file: subject, event, repeat key, items."""
    out = []
    root = _odm_root(path)
    for subject in root.iter(f"{ODM}SubjectData"):
        for event in subject.iter(f"{ODM}StudyEventData"):
            for item_group in event.iter(f"{ODM}ItemGroupData"):
                if item_group.get("ItemGroupOID") != f"IG.{group.upper()}":
                    continue
                items = {
                    i.get("ItemOID").split(".", 1)[1]: i.get("Value")
                    for i in item_group.iter(f"{ODM}ItemData")
                }
                out.append(
                    {
                        "subject": subject.get("SubjectKey"),
                        "event": event.get("StudyEventOID"),
                        "repeat": item_group.get("ItemGroupRepeatKey"),
                        **items,
                    }
                )
    return out


def _redcap_records(folder: Path, form: str) -> list[dict]:
    """Rows of the REDCap export holding ``form``: its repeating instances, or the rows whose
    ``<form>_complete`` status is filled; field names upper-cased to match the ODM study."""
    with (folder / "data.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        repeating = row["redcap_repeat_instrument"] == form
        plain = not row["redcap_repeat_instrument"] and (row.get(f"{form}_complete") or "") != ""
        if repeating or plain:
            fields = {k.upper(): v for k, v in row.items()}
            out.append({"subject": row["record_id"], "event": row["redcap_event_name"], **fields})
    return out


def _records(study: str, form: str) -> list[dict]:
    raw = load_study(study).source.path
    return _odm_records(raw, form) if study == "sail" else _redcap_records(raw, form)


def _filled(value: str | None) -> bool:
    return value is not None and value.strip() != ""


# ----------------------------------------------------------------------------- the builds


#: The domains these tests read, and those they need (DM for study days, EX for RFSTDTC,
#: AE for the deaths). Building only these keeps the module fast; the full builds are
#: tests/test_build.py's.
DOMAINS = ("DM", "EX", "AE", "DS", "PR", "RS")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Both bundled studies built once: {study: (output folder, build report)}."""
    out = {}
    for study in STUDIES:
        target = tmp_path_factory.mktemp(study)
        summary = build_raw_summary(study, out=target)
        standards = Standards.load()
        specs = load_study_specs(summary.study, standards, declared_fields(summary.export))
        specs = StudySpecs(specs.design, {d: specs.domains[d] for d in DOMAINS})
        folder = target / study
        run_sdtm(summary, specs, standards, folder, False, None)
        report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
        out[study] = (folder, report)
    return out


def _xpt(folder: Path, study: str, name: str) -> pd.DataFrame:
    path = folder / "m5" / "datasets" / STUDIES[study].lower() / "tabulations" / "sdtm"
    frame = pd.read_sas(path / f"{name}.xpt", format="xport", encoding="utf-8")
    return frame


def _lineage(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / "lineage" / f"{name}.csv", dtype=str)


@pytest.mark.parametrize("study", list(STUDIES))
def test_both_builds_end_with_no_errors_and_write_ds_pr_rs(builds, study):
    _, report = builds[study]
    assert report["errors"] == 0
    written = {d["dataset"] for d in report["datasets"]}
    assert {"DS", "PR", "RS", "SUPPPR", "SUPPRS"} <= written


# ----------------------------------------------------------------------------- DS


def _expected_ds(study: str) -> dict[str, int]:
    """DS records per DSDECOD, from the raw forms and the rule in ds.yaml: the end-of-study
    status (but DEATH, taken once from the Death form), one DEATH per subject who has a Death
    record or a fatal AE, consent when obtained, randomisation when dated."""
    counts: dict[str, int] = {}
    for rec in _records(study, "ds"):
        code = (rec.get("DSDECOD") or "").strip()
        decod = DS_CODES.get(code, code.upper())
        if decod != "DEATH":
            counts[decod] = counts.get(decod, 0) + 1
    died = {r["subject"] for r in _records(study, "dd")}
    # AEOUT code 5 is Fatal (cdisc/synth/design.py AEOUT); a clash may store the decode.
    fatal = {
        r["subject"]
        for r in _records(study, "ae")
        if _filled(r.get("AETERM")) and (r.get("AEOUT") or "").strip().lower() in ("5", "fatal")
    }
    if died | fatal:
        counts["DEATH"] = len(died | fatal)
    consent = [r for r in _records(study, "ic") if (r.get("ICYN") or "").strip() == "1"]
    counts["INFORMED CONSENT OBTAINED"] = len(consent)
    if study == "sail":
        counts["RANDOMIZED"] = sum(_filled(r.get("RANDDAT")) for r in _records(study, "rand"))
    return counts


@pytest.mark.parametrize("study", list(STUDIES))
def test_ds_records_per_dsdecod_match_the_raw_forms(builds, study):
    folder, _ = builds[study]
    ds = _xpt(folder, study, "ds")
    assert ds["DSDECOD"].value_counts().to_dict() == _expected_ds(study)
    cat = dict(zip(ds["DSDECOD"], ds["DSCAT"], strict=True))
    assert cat["INFORMED CONSENT OBTAINED"] == "PROTOCOL MILESTONE"
    assert cat["COMPLETED"] == "DISPOSITION EVENT"


@pytest.mark.parametrize("study", list(STUDIES))
def test_end_of_study_deaths_left_out_of_ds_are_listed_with_the_filter(builds, study):
    # Every end-of-study record saying Death (code 2, or the decode typed in) is not a DS
    # record (the Death form gives it) and is listed as not used, with the filter as reason.
    _, report = builds[study]
    deaths = {
        r["subject"]
        for r in _records(study, "ds")
        if (r.get("DSDECOD") or "").strip().lower() in ("2", "death")
    }
    listed = {
        n["subject"]
        for n in report["not_used"]
        if n["form"] == "ds" and n["reason"].startswith("DS: filter: not (")
    }
    # DM reads every end-of-study date (a last contact, for RFPENDTC), so such a record
    # counts as used by DM and not by DS; one DM does not read is listed with the filter.
    ds_form = next(f for f in report["forms"] if f["form"] == "ds")
    assert ds_form["by_domain"].get("DS", 0) == ds_form["records"] - len(deaths)
    assert listed <= deaths
    used_by_dm = ds_form["by_domain"].get("DM", 0)
    assert len(deaths - listed) <= used_by_dm


def test_sail_has_every_count_the_hand_count_gives():
    # Trial B by hand from the bundled export: 58 end-of-study forms, 8 of them "Death";
    # 8 Death forms; 2 more deaths only as fatal AEs (ground truth death_only_as_ae);
    # 60 consents, 60 randomisations. 50 + 10 + 60 + 60 = 180.
    counts = _expected_ds("sail")
    assert sum(counts.values()) == 180 and counts["DEATH"] == 10


def _death_only_as_ae(study: str) -> list[dict]:
    path = load_study(study).source.path
    folder = path.parent if path.is_file() else path
    with (folder / "ground_truth" / "defects.csv").open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["kind"] == "death_only_as_ae"]


def test_a_death_known_only_as_a_fatal_ae_reaches_ds_once_with_ae_lineage(builds):
    folder, _ = builds["sail"]
    ds = _xpt(folder, "sail", "ds")
    lineage = _lineage(folder, "ds")
    defects = _death_only_as_ae("sail")
    assert len(defects) == 2
    fatal = {
        r["subject"]: r["repeat"]
        for r in _records("sail", "ae")
        if (r.get("AEOUT") or "").strip() == "5"
    }
    for defect in defects:
        usubjid = f"SAIL-{defect['subject']}"
        rows = ds[(ds["USUBJID"] == usubjid) & (ds["DSDECOD"] == "DEATH")]
        assert len(rows) == 1
        # The ground truth's death date is the fatal AE's end date.
        assert rows["DSSTDTC"].iloc[0] == defect["clean"]
        assert rows["DSCAT"].iloc[0] == "DISPOSITION EVENT"
        seq = str(int(rows["DSSEQ"].iloc[0]))
        line = lineage[
            (lineage["USUBJID"] == usubjid) & (lineage["SEQ"].str.split(".").str[0] == seq)
        ]
        assert line["form"].tolist() == ["ae"]
        assert line["record"].iloc[0].endswith(f"[{fatal[defect['subject']]}]")


def test_a_subject_with_a_death_form_and_a_fatal_ae_has_one_death_from_dd(builds):
    folder, _ = builds["sail"]
    ds = _xpt(folder, "sail", "ds")
    lineage = _lineage(folder, "ds")
    died = {r["subject"]: r["DTHDAT"] for r in _records("sail", "dd")}
    fatal = {r["subject"] for r in _records("sail", "ae") if (r.get("AEOUT") or "") == "5"}
    both = sorted(set(died) & fatal)
    assert both  # the bundled export has such subjects
    for subject in both:
        rows = ds[(ds["USUBJID"] == f"SAIL-{subject}") & (ds["DSDECOD"] == "DEATH")]
        assert len(rows) == 1 and rows["DSSTDTC"].iloc[0] == died[subject]
        seq = str(int(rows["DSSEQ"].iloc[0]))
        line = lineage[
            (lineage["USUBJID"] == f"SAIL-{subject}")
            & (lineage["SEQ"].str.split(".").str[0] == seq)
        ]
        assert line["form"].tolist() == ["dd"]


def _frames(ds: pd.DataFrame, ae: pd.DataFrame) -> pd.DataFrame:
    return derive_death_records(
        ds,
        ae,
        Condition("equals", "AEOUT", "FATAL"),
        ["AEENDTC", "AESTDTC"],
        "DSSTDTC",
        {"DSTERM": "DEATH", "DSDECOD": "DEATH", "DSCAT": "DISPOSITION EVENT"},
        "DSDECOD",
    )


def test_death_records_by_hand():
    # S-1: Death form and a fatal AE -> no new record. S-2: fatal AE ended 2021-03-04 ->
    # one record on that date. S-3: fatal AE with no end -> its start 2021-05. S-4: two
    # fatal AEs -> one record, the later date. S-5: an AE that is not fatal -> nothing.
    ds = pd.DataFrame(
        {
            "USUBJID": ["S-1"],
            "DSDECOD": ["DEATH"],
            "DSSTDTC": ["2021-01-01"],
            "_form": ["dd"],
            "_record": ["D1"],
        }
    )
    ae = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", "S-3", "S-4", "S-4", "S-5"],
            "AEOUT": ["FATAL", "FATAL", "FATAL", "FATAL", "FATAL", "RECOVERED/RESOLVED"],
            "AEENDTC": [None, "2021-03-04", None, "2021-07-01", "2021-06-01", "2021-08-01"],
            "AESTDTC": ["2020-12-30", "2021-03-01", "2021-05", "2021-06-20", "2021-05-01", "2021"],
            "_form": "ae",
            "_record": ["A1", "A2", "A3", "A4", "A5", "A6"],
        }
    )
    out = _frames(ds, ae)
    added = out.iloc[1:]
    assert added["USUBJID"].tolist() == ["S-2", "S-3", "S-4"]
    assert added["DSSTDTC"].tolist() == ["2021-03-04", "2021-05", "2021-07-01"]
    assert added["_record"].tolist() == ["A2", "A3", "A4"]
    assert set(added["DSDECOD"]) == {"DEATH"} and set(added["DSCAT"]) == {"DISPOSITION EVENT"}
    assert out.iloc[:1][list(ds.columns)].astype(object).values.tolist() == ds.values.tolist()


def test_no_fatal_ae_or_no_aeout_adds_nothing():
    ds = pd.DataFrame({"USUBJID": ["S-1"], "DSDECOD": ["COMPLETED"]})
    ae = pd.DataFrame({"USUBJID": ["S-1"], "AETERM": ["Headache"]})
    assert _frames(ds, ae).equals(ds)
    assert _frames(ds, ae.iloc[:0]).equals(ds)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"domain": "AE"}, "needs exactly the keys"),
        (
            {
                "domain": "AE",
                "when": {"field": "AEOUT", "equals": "FATAL"},
                "dtc": "AEENDTC",
                "target": "DSSTDTC",
                "values": {"DSDECOD": "DEATH"},
            },
            "dtc: expected a list",
        ),
        (
            {
                "domain": "AE",
                "when": {"field": "AEOUT", "equals": "FATAL"},
                "dtc": ["AEENDTC"],
                "target": "DSSTDTC",
                "values": {"DSTERM": "DEATH"},
            },
            "naming DSDECOD",
        ),
        (
            {
                "domain": "AE",
                "when": {"field": "AEOUT", "matches": "FATAL"},
                "dtc": ["AEENDTC"],
                "target": "DSSTDTC",
                "values": {"DSDECOD": "DEATH"},
            },
            "when: a condition needs exactly one of",
        ),
    ],
)
def test_a_malformed_death_from_rule_is_a_spec_error(rule, message):
    spec = DomainSpec("DS", "mappings/x/sdtm/ds.yaml", (), (), derivations={"death_from": rule})
    with pytest.raises(SpecError) as caught:
        death_from_rule(spec)
    assert message in str(caught.value) and caught.value.path == "mappings/x/sdtm/ds.yaml"


# ----------------------------------------------------------------------------- conditions


def test_ignore_case_compares_trimmed_text_in_any_case():
    frame = pd.DataFrame({"F": [" bka", "BKA ", "Bka", "TMA", None]})
    wanted = Condition("in", "F", ["BKA"], ignore_case=True)
    assert condition_mask(frame, wanted).tolist() == [True, True, True, False, False]
    exact = Condition("in", "F", ["BKA"])
    assert condition_mask(frame, exact).tolist() == [False, True, False, False, False]
    other = Condition("not_equals", "F", "bka", ignore_case=True)
    assert condition_mask(frame, other).tolist() == [False, False, False, True, True]
    assert "(any case)" in wanted.describe()


def test_condition_masks_are_writable():
    mask = condition_mask(pd.DataFrame({"F": ["1"]}), Condition("equals", "F", "1"))
    mask &= np.array([False])  # the engine combines masks in place
    assert mask.tolist() == [False]


def test_ignore_case_is_checked():
    doc = SpecDocument(Path("x.yaml"), {}, display="x.yaml")
    problems: list = []
    bad = {"field": "F", "present": True, "ignore_case": True}
    assert check_condition(doc, ("when",), bad, {"F"}, problems) is None
    assert "ignore_case goes with equals" in (problems[0].hint or "")
    problems = []
    bad = {"field": "F", "equals": "x", "ignore_case": "yes"}
    assert check_condition(doc, ("when",), bad, {"F"}, problems) is None
    assert problems[0].problem == "expected true or false"


# ----------------------------------------------------------------------------- PR


def _levels() -> dict[str, str]:
    """Every level text the generator can write -> MAJOR/MINOR AMPUTATION (by its own lists)."""
    klass = {name: "MAJOR AMPUTATION" for name, _ in MAJOR_LEVELS}
    klass |= {name: "MINOR AMPUTATION" for name, _ in MINOR_LEVELS}
    assert set(klass) == set(AMPUTATION_TEXT)
    return klass


@pytest.mark.parametrize("study", list(STUDIES))
def test_every_generator_amputation_level_is_classified(study):
    standards = Standards.load()
    spec = load_study_specs(load_study(study), standards).domains["PR"]
    texts, canonical, klass = [], [], []
    for level, group in _levels().items():
        # the canonical text, each free-text variant, and the case/blank defects on them
        for text in (level, *AMPUTATION_TEXT[level]):
            for variant in (text, text.upper(), text.lower(), text.title(), f"  {text} "):
                texts.append(variant)
                canonical.append(level.upper())
                klass.append(group)
    n = len(texts)
    amp = pd.DataFrame(
        {
            "_file": "f",
            "_form": "amp",
            "_record": [str(i) for i in range(n)],
            "_subject": "01-001",
            "_site": "S",
            "_event": "LOG",
            "_repeat": None,
        }
    )
    for name in ("AMPLEV", "AMPDAT", "AMPLAT_DECODE", "AMPREAS"):
        value = texts if name == "AMPLEV" else {"AMPDAT": "2021-01-01"}.get(name, "Left")
        amp[name] = value
        amp[name.lower().replace("_decode", "_DECODE")] = value
    export = RawExport("odm", "x", {"amp": amp})
    frame = map_domain(spec, export, Context(standards), Design(), "X")
    assert frame.data["PRCAT"].tolist() == klass
    assert frame.data["PRTRT"].tolist() == canonical
    assert frame.data["PRLOC"].notna().all()
    # major = at or above the ankle: leg, knee or thigh; minor: the foot
    major = frame.data["PRCAT"] == "MAJOR AMPUTATION"
    assert set(frame.data.loc[major, "PRLOC"]) == {"LEG", "KNEE JOINT", "THIGH"}
    assert set(frame.data.loc[~major, "PRLOC"]) == {"TOE", "FOOT", "METATARSAL BONE"}
    assert frame.issues[frame.issues["variable"] == "PRLOC"].empty


@pytest.mark.parametrize("study", list(STUDIES))
def test_pr_counts_major_and_minor_amputations_of_the_raw_log(builds, study):
    folder, _ = builds[study]
    pr = _xpt(folder, study, "pr")
    variants = {}
    for level, group in _levels().items():
        for text in (level, *AMPUTATION_TEXT[level]):
            variants[text.casefold()] = group
    expected: dict[str, int] = {}
    for rec in _records(study, "amp"):
        group = variants[(rec.get("AMPLEV") or "").strip().casefold()]
        expected[group] = expected.get(group, 0) + 1
    assert pr["PRCAT"].value_counts().to_dict() == expected
    lat = {r.get("AMPLAT") for r in _records(study, "amp")}
    assert set(pr["PRLAT"]) <= {"LEFT", "RIGHT"} and lat <= {"1", "2"}


# ----------------------------------------------------------------------------- RS


@pytest.mark.parametrize("study", list(STUDIES))
def test_rs_has_one_record_per_classification_collected(builds, study):
    folder, _ = builds[study]
    rs = _xpt(folder, study, "rs")
    limb = _records(study, "limb")
    ruth = sum(_filled(r.get("RUTHCAT")) for r in limb)
    font = sum(_filled(r.get("FONTSTG")) for r in limb)
    assert rs["RSTESTCD"].value_counts().to_dict() == {"RUTH0101": ruth, "FONT0101": font}
    assert set(rs.loc[rs["RSTESTCD"] == "RUTH0101", "RSCAT"]) == {"RUTHERFORD CLASSIFICATION"}
    assert set(rs.loc[rs["RSTESTCD"] == "FONT0101", "RSCAT"]) == {"FONTAINE CLASSIFICATION"}


def test_a_rutherford_value_traces_to_its_raw_record(builds):
    # Trial B, subject 01-002 at month 2: LIMB RUTHCAT code 2, "I-2 - Moderate claudication"
    # (Rutherford 1997 category 2, trials.md 3.1), assessed on the date the form holds.
    folder, _ = builds["sail"]
    raw = [r for r in _records("sail", "limb") if r["subject"] == "01-002" and r["event"] == "M2"]
    assert len(raw) == 1 and raw[0]["RUTHCAT"] == "2"
    rs = _xpt(folder, "sail", "rs")
    lineage = _lineage(folder, "rs")
    rows = lineage[
        (lineage["subject"] == "01-002")
        & (lineage["form"] == "limb")
        & (lineage["record"] == "M2/LIMB/IG.LIMB")
    ]
    seqs = {float(s) for s in rows["SEQ"]}
    found = rs[(rs["USUBJID"] == "SAIL-01-002") & rs["RSSEQ"].isin(seqs)]
    ruth = found[found["RSTESTCD"] == "RUTH0101"]
    assert ruth["RSORRES"].tolist() == ["I-2 - Moderate claudication"]
    assert ruth["RSDTC"].tolist() == [raw[0]["LIMBDAT"]]
    assert ruth["VISIT"].tolist() == ["MONTH 2"]


def test_a_rutherford_code_holding_its_decode_keeps_the_collected_text(builds):
    # Ground truth code_decode_clash: 02-010 at M2 has RUTHCAT 'II-4 - Ischemic rest pain'.
    folder, report = builds["sail"]
    rs = _xpt(folder, "sail", "rs")
    lineage = _lineage(folder, "rs")
    rows = lineage[(lineage["subject"] == "02-010") & (lineage["record"] == "M2/LIMB/IG.LIMB")]
    found = rs[(rs["USUBJID"] == "SAIL-02-010") & rs["RSSEQ"].isin({float(s) for s in rows["SEQ"]})]
    assert found.loc[found["RSTESTCD"] == "RUTH0101", "RSORRES"].tolist() == [
        "II-4 - Ischemic rest pain"
    ]
    reported = [
        p
        for p in report["problems"]
        if p["domain"] == "RS" and p["subject"] == "02-010" and p["record"] == "M2/LIMB/IG.LIMB"
    ]
    assert reported  # the clash is reported, not only mapped
