"""Every defect the generator plants is either mapped as the standard prescribes or reported.

The generator writes each planted defect to ``ground_truth/defects.csv`` (kind, subject,
form, field, raw record, messy value, clean value). Each study is built twice from the same
seed: the bundled messy export and a ``--clean`` export (no defects). For a value-level
defect the SDTM records made from its raw record are then either the same as the clean
build's (the defect was mapped away: a padded text trimmed, a unit converted, a decimal comma
read) or the build report names that raw record (a problem, or a "not used" reason). Result
variables as collected (--ORRES, --ORRESU) are kept as collected by the standard, so the
comparison uses the standard results; derived variables that depend on other records of the
subject (--SEQ, --DY, EPOCH, visits, baseline flags, DM's reference dates) are left out.

Record-level defects (a duplicate, a missing or unscheduled visit, a visit filed under
another visit, an assessment not done, a death recorded only as an AE) are checked one by
one below, each against what the standard prescribes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

import mappings
from cdisc.build import build_study
from cdisc.readers import read_export
from cdisc.standards import Standards
from cdisc.study import load_study
from cdisc.synth import synthesize
from cdisc.synth.defects import KINDS
from sdtm.conditions import condition_fields
from sdtm.specs import load_study_specs

STUDIES = {"sail": "odm", "pmsc-cli": "redcap"}
#: Kinds checked record by record in their own tests below, not by the clean comparison.
RECORD_KINDS = {
    "duplicate_record",
    "missing_visit",
    "unscheduled_visit",
    "visit_label_mismatch",
    "perf_not_done",
    "death_only_as_ae",
}
#: Added by the file writers (a BOM, CRLF line ends): the reader handles the whole file.
FILE_KINDS = {"file_bom", "file_crlf"}


class Build:
    """One build's datasets joined to their lineage, its problems and its unused records."""

    def __init__(self, out: Path, study: str) -> None:
        root = out / study
        report = json.loads((root / "build_report.json").read_text(encoding="utf-8"))
        self.report = report
        self.problems = pd.DataFrame(report["problems"]).astype(str)
        self.not_used = pd.DataFrame(report["not_used"], columns=["form", "subject", "record"])
        self.datasets: dict[str, pd.DataFrame] = {}
        for entry in report["datasets"]:
            data, _ = pyreadstat.read_xport(root / entry["path"])
            lineage = pd.read_csv(
                root / "lineage" / f"{entry['dataset'].lower()}.csv",
                dtype=str,
                keep_default_na=False,
            )
            assert len(lineage) == len(data), entry["dataset"]
            data["_form"] = lineage["form"].to_numpy()
            data["_subject"] = lineage["subject"].to_numpy()
            data["_record"] = lineage["record"].to_numpy()
            self.datasets[entry["dataset"]] = data

    def rows_of(self, form: str, subject: str, record: str) -> dict[str, pd.DataFrame]:
        """The records of every dataset made from one raw record."""
        found = {}
        for name, data in self.datasets.items():
            hit = (data["_form"] == form) & (data["_subject"] == subject)
            hit &= data["_record"] == record
            if hit.any():
                found[name] = data[hit]
        return found

    def reported(self, form: str, subjects: set[str], record: str) -> bool:
        """The build report names this raw record: a problem or a not-used reason."""
        p = self.problems
        named = (p["form"] == form) & p["subject"].isin(subjects) & (p["record"] == record)
        n = self.not_used
        unused = (n["form"] == form) & n["subject"].astype(str).isin(subjects)
        unused &= n["record"].astype(str) == record
        return bool(named.any() or unused.any())


def _record_keys(path: Path, kind: str) -> pd.DataFrame:
    """Each raw record's (form, subject, record) with its (event, repeat).

    A REDCap record is a data row number, which shifts when the messy export has a row more
    (a duplicate) or less (a missed visit) than the clean one; the event and repeat instance
    of a subject's form do not, so records are matched across the two exports on those.
    """
    export = read_export(path, kind=kind)
    parts = [
        frame[["_form", "_subject", "_record", "_event", "_repeat"]].astype(str)
        for frame in export.forms.values()
    ]
    return pd.concat(parts, ignore_index=True)


def _clean_record(messy_keys: pd.DataFrame, clean_keys: pd.DataFrame) -> dict:
    """(form, subject, messy record) -> the clean export's record of the same form instance."""
    on = ["_form", "_subject", "_event", "_repeat"]
    clean_unique = clean_keys.drop_duplicates(on, keep=False)
    both = messy_keys.merge(clean_unique, on=on, suffixes=("", "_clean"))
    return dict(
        zip(
            zip(both["_form"], both["_subject"], both["_record"], strict=True),
            both["_record_clean"],
            strict=True,
        )
    )


@pytest.fixture(scope="module", params=sorted(STUDIES))
def builds(request, tmp_path_factory):
    study = request.param
    tmp = tmp_path_factory.mktemp(study)
    clean_raw = tmp / "clean_raw"
    synthesize(study, clean_raw, fmt=STUDIES[study], seed=1, clean=True)
    raw = Path(mappings.__file__).parent / study / "raw"
    build_study(study, out=tmp / "messy")
    source = next(p for p in clean_raw.iterdir() if p.name != "ground_truth")
    clean_source = source if STUDIES[study] == "odm" else clean_raw
    build_study(study, raw=clean_source, out=tmp / "clean")
    defects = pd.read_csv(raw / "ground_truth" / "defects.csv", dtype=str, keep_default_na=False)
    messy_source = next(p for p in raw.iterdir() if p.name != "ground_truth")
    messy_source = messy_source if STUDIES[study] == "odm" else raw
    records = _clean_record(
        _record_keys(messy_source, STUDIES[study]), _record_keys(clean_source, STUDIES[study])
    )
    specs = load_study_specs(load_study(study), Standards.load())
    messy, clean = Build(tmp / "messy", study), Build(tmp / "clean", study)
    return study, messy, clean, defects, records, specs


#: Problems about a whole raw record, which answer the defect kinds about a whole record.
RECORD_CODES = {
    "out_of_window": {"visit-out-of-window"},
    "subject_id_variant": {"subject-id-normalised"},
}


def _targets(specs, form: str, field: str) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """What one raw field feeds: (dataset, test code or QNAM or None, variables).

    An empty variable tuple means the field decides whether the record is kept (a filter).
    A spec naming the field's decode twin (``ABILAT_DECODE``) reads the field too.
    """
    found = []
    field_names = {field, f"{field}_DECODE"}
    # study.yaml references: DM's variables of the subject (not records of this form).
    design = specs.design
    for key, variable in (
        ("informed_consent", "RFICDTC"),
        ("death", "DTHDTC"),
        ("arm_source", "ARMCD"),
    ):
        ref = getattr(design, key)
        if ref is not None and ref.form == form and ref.field in field_names:
            found.append(("DM", SUBJECT, (variable,)))
    if any(r.form == form and r.field in field_names for r in design.last_contact):
        found.append(("DM", SUBJECT, ("RFPENDTC",)))
    for d, spec in specs.domains.items():
        sources = [s for s in spec.sources if s.form == form]
        if not sources:
            continue
        for step in spec.steps:
            if {step.args.get("field"), step.args.get("time")} & field_names:
                found.append((d, None, (step.target,)))
        results = (f"{d}STRESC", f"{d}STRESN", f"{d}STRESU", f"{d}STAT")
        for test in spec.tests:
            operands = test.ratio.denominator if test.ratio is not None else ()
            if field_names & {*test.fields, *operands, test.unit_field, test.standard_field}:
                found.append((d, test.testcd, results))
            if test.laterality_field in field_names:
                found.append((d, test.testcd, (f"{d}LAT",)))
        if field in condition_fields(spec.not_done):
            found.append((d, None, (f"{d}STAT",)))
        for q in spec.supplemental:
            if q.field in field_names:
                found.append((f"SUPP{d}", q.qnam, ("QVAL",)))
        if any(field in condition_fields(s.filter) for s in sources):
            found.append((d, None, ()))
    return found


def _undetectable(d) -> str:
    """Why a planted defect cannot be told from a real value in its record, or "".

    These are submitted as collected (SDTM keeps --ORRES as collected) and no rule can
    report them without also flagging real values:
    - a 0-100 mm VAS typed on a 0-10 scale ("6" or "6.3" for 63): 6 mm is a possible
      pain score. (A decimal on a whole-mm scale could be reported; no rule does yet.)
    - a numeric sentinel ("99", "999") inside the test's plausible range: a pulse of 99 is
      a real pulse (outside the range it is reported as out-of-range, and passes);
    - a side recorded as the other one: it shows only as two records of one side at a
      visit (duplicate-key), so not in the limb assessment (one record per visit) nor for
      a test the other leg's record lacks (no toe pressure, no TBI to clash with).
    """
    if d.kind == "vas_0_10":
        return "VAS on a 0-10 scale"
    if d.kind == "sentinel" and d.value.strip().lstrip("-").isdigit():
        return "numeric sentinel"
    if d.kind == "laterality_swap":
        return "side with no record of the same side to clash with"
    return ""


#: The "code" of a target that is the subject's DM record, whatever the raw record.
SUBJECT = "<subject>"


def _rows(build: Build, dataset: str, code: str | None, form, subjects, record):
    data = build.datasets.get(dataset)
    if data is None:
        return None
    if code == SUBJECT:
        return data[data["_subject"].isin(subjects)]
    hit = (data["_form"] == form) & data["_subject"].isin(subjects) & (data["_record"] == record)
    if code is not None:
        column = "QNAM" if dataset.startswith("SUPP") else f"{dataset}TESTCD"
        hit &= data[column] == code
    return data[hit]


def _equal(
    kind: str, kinds: set[str], column: str, messy: pd.Series, clean: pd.Series, collected: str
) -> bool:
    """A value equal to the clean build's, or different only as the standard prescribes.

    ``kind`` is the defect's own kind, ``kinds`` those of every defect of its raw record (a
    blank time elsewhere in the record truncates the record's --DTC).
    """
    # Another defect of the record may have made this very result censored too.
    comparator = all(str(x).lstrip().startswith(("<", ">")) for x in messy)
    censored = kind == "censored_value" or (
        "censored_value" in kinds
        and (
            (column.endswith("STRESN") and bool(messy.isna().all()))
            or (column.endswith("STRESC") and comparator)
        )
    )
    if censored and column.endswith(("STRESC", "STRESN")):
        # SDTMIG 3.4 LB: "<0.5" stays a character result with its comparator; no --STRESN.
        if column.endswith("STRESN"):
            return bool(messy.isna().all())
        return comparator
    if pd.api.types.is_numeric_dtype(messy) and pd.api.types.is_numeric_dtype(clean):
        if not (messy.isna() == clean.isna()).all():
            return False
        both = messy.notna() & clean.notna()
        return bool(((messy[both] - clean[both]).abs() <= 0.02 * clean[both].abs() + 1e-9).all())
    a, b = messy.astype(str).tolist(), clean.astype(str).tolist()
    if column.endswith(
        "STRESC"
    ):  # a converted number: within 2 % (the generator rounds a value it converts)
        try:
            return all(
                abs(float(x) - float(y)) <= 0.02 * abs(float(y)) for x, y in zip(a, b, strict=True)
            )
        except ValueError:
            pass
    if a == b:
        return True
    pairs = list(zip(a, b, strict=True))
    # SDTMIG 4.4.4: a date or time not (fully) collected is kept to the precision collected
    # (the clean date truncated); seconds as collected (07:25:00, a SAS datetime's
    # T00:00:00.000) are kept, the instant being the same.
    truncated = all(y.startswith(x) and len(x) >= 4 for x, y in pairs)
    finer = all(x.startswith(y) and set(x[len(y) :]) <= set("T:0.") for x, y in pairs)
    if column.endswith("DTC") and (
        (truncated and kinds & {"partial_date", "missing_value", "whitespace_only"})
        or (finer and kinds & {"time_format", "date_format"})
    ):
        return True
    if kind in {"case_variant", "misspelling", "amputation_level_text", "multiline_text"}:
        # Verbatim text (AETERM, a reason, a comment, the level as typed in SUPPPR) is
        # submitted as collected (blanks around it and line breaks aside); the coded
        # variables made from it are compared like any other.
        return all(" ".join(x.split()) == " ".join(collected.split()) for x in a)
    return False


def test_every_value_defect_is_mapped_like_the_clean_data_or_reported(builds):
    study, messy, clean, defects, records, specs = builds
    values = defects[~defects["kind"].isin(RECORD_KINDS | FILE_KINDS)]
    assert len(values), "the ground truth has value-level defects"
    problems = messy.problems
    # Records the clean export does not have at all (an unscheduled visit, a duplicate) or
    # has under another visit (a record filed under the wrong visit) have no clean twin to
    # compare with; their own kinds are checked by the record-level tests below.
    moved = defects[defects["kind"].isin(RECORD_KINDS)]
    moved = set(zip(moved["subject"], moved["form"], moved["record"], strict=True))
    on_record = defects.groupby(["subject", "form", "record"])["kind"].agg(set).to_dict()
    failures, skipped, undetectable = [], [], []
    for d in values.itertuples(index=False):
        if (d.subject, d.form, d.record) in moved or (
            (d.form, d.subject, d.record) not in records
            and (d.form, d.value, d.record) not in records
        ):
            skipped.append(d)
            continue

        subjects = {d.subject} | ({d.value} if d.kind == "subject_id_variant" else set())
        here = (problems["form"] == d.form) & problems["subject"].isin(subjects)
        here &= problems["record"] == d.record
        field = d.field.split(".")[-1]
        if (here & problems["code"].isin(RECORD_CODES.get(d.kind, set()))).any():
            continue
        if d.kind in {"subject_id_variant", "site_renumbered"}:
            targets = [(name, None, ("USUBJID", "SITEID")) for name in messy.datasets]
        else:
            targets = _targets(specs, d.form, field)
        if not targets:
            # A field no spec maps: the build report lists it (fields_not_used), or the
            # whole record as not used with its reason.
            listed = field in messy.report.get("fields_not_used", {}).get(d.form, [])
            if not (listed or messy.reported(d.form, subjects, d.record)):
                failures.append(f"{d.kind} {d.subject} {d.form} {d.record} {field}: not mapped")
            continue
        clean_record = records.get((d.form, d.subject, d.record))
        if clean_record is None:  # a variant subject id: the record of the collected key
            clean_record = records.get((d.form, d.value, d.record), d.record)
        ok, where = True, ""
        for dataset, code, variables in targets:
            orres = {f"{dataset}ORRES", f"{dataset}ORRESU", field}
            named = here & problems["variable"].isin({*variables, *orres, code or "", ""})
            if code == SUBJECT:  # a reference date's problem names DM's variable
                named = (problems["subject"].isin(subjects)) & problems["variable"].isin(variables)
            if named.any():
                continue
            a = _rows(messy, dataset, code, d.form, subjects, d.record)
            b = _rows(clean, dataset, code, d.form, {d.subject}, clean_record)
            if a is None or b is None or len(a) != len(b):
                ok = False
                where = f"{dataset} {code}: {0 if a is None else len(a)} vs {0 if b is None else len(b)} rows"
                continue
            key = [c for c in ("USUBJID", f"{dataset}TESTCD", f"{dataset}LAT") if c in a]
            a = a.sort_values(key).reset_index(drop=True) if key else a.reset_index(drop=True)
            b = b.sort_values(key).reset_index(drop=True) if key else b.reset_index(drop=True)
            for v in variables:
                kinds = on_record.get((d.subject, d.form, d.record), {d.kind})
                if v in a and v in b and not _equal(d.kind, kinds, v, a[v], b[v], d.value):
                    ok = False
                    where = f"{dataset} {code} {v}: {a[v].tolist()} vs {b[v].tolist()}"
        if not ok and _undetectable(d):
            undetectable.append(d)
        elif not ok:
            failures.append(
                f"{d.kind} {d.subject} {d.form} {d.record} {d.field}={d.value!r}: {where}"
            )
    # The exclusions stay a small part of the record; a broken match would skip everything.
    assert len(skipped) < 0.2 * len(values), f"{len(skipped)} of {len(values)} skipped"
    assert len(undetectable) < 0.05 * len(values), [f"{u.kind} {u.value}" for u in undetectable]
    by_kind = pd.Series([f.split()[0] for f in failures], dtype=str).value_counts()
    assert not failures, f"{study}: {len(failures)} defects neither mapped nor reported:\n" + (
        by_kind.to_string() + "\n" + "\n".join(failures[:60])
    )


def test_the_ground_truth_only_names_known_kinds(builds):
    defects = builds[3]
    assert set(defects["kind"]) <= set(KINDS) | FILE_KINDS


def _kind(defects: pd.DataFrame, kind: str) -> pd.DataFrame:
    found = defects[defects["kind"] == kind]
    if found.empty:
        pytest.skip(f"this study's ground truth has no {kind}")
    return found


def _problem_codes(build: Build, form: str, subject: str, record: str) -> set[str]:
    p = build.problems
    hit = (p["form"] == form) & (p["subject"] == subject) & (p["record"] == record)
    return set(p.loc[hit, "code"])


def test_a_duplicate_record_is_reported(builds):
    _, messy, _, defects, _, _ = builds
    on_record = defects.groupby(["subject", "form", "record"])["kind"].agg(set).to_dict()
    checked = 0
    for d in _kind(defects, "duplicate_record").itertuples(index=False):
        original = d.detail.removeprefix("duplicate of record ")
        if on_record[(d.subject, d.form, d.record)] != {"duplicate_record"} or (
            (d.subject, d.form, original) in on_record
        ):
            continue  # a value of the copy or of its original altered: no longer the same
        checked += 1
        codes = _problem_codes(messy, d.form, d.subject, d.record)
        assert "duplicate-record" in codes or messy.reported(d.form, {d.subject}, d.record), d
    assert checked


def test_an_unscheduled_visit_is_numbered_after_the_previous_scheduled_one(builds):
    _, messy, _, defects, _, _ = builds
    for d in _kind(defects, "unscheduled_visit").itertuples(index=False):
        rows = messy.rows_of(d.form, d.subject, d.record)
        assert rows, f"unscheduled record {d.subject} {d.record} reached no dataset"
        for data in rows.values():
            assert (data["VISITNUM"] % 1 > 0).all(), data[["VISITNUM", "VISIT"]]
            assert data["VISIT"].str.startswith("UNSCHEDULED").all()


def test_a_record_filed_under_another_visit_is_reported(builds):
    _, messy, _, defects, _, _ = builds
    for d in _kind(defects, "visit_label_mismatch").itertuples(index=False):
        assert messy.reported(d.form, {d.subject}, d.record), (
            f"{d.subject} {d.form} {d.record}: {d.detail}"
        )


def test_an_assessment_not_done_becomes_not_done_records_or_is_accounted(builds):
    _, messy, _, defects, _, _ = builds
    for d in _kind(defects, "perf_not_done").itertuples(index=False):
        rows = messy.rows_of(d.form, d.subject, d.record)
        if not rows:
            assert messy.reported(d.form, {d.subject}, d.record), d
            continue
        for name, data in rows.items():
            assert (data[f"{name}STAT"] == "NOT DONE").all(), (name, d.subject, d.record)


def test_a_death_recorded_only_as_a_fatal_ae_reaches_dm_and_ds(builds):
    study, messy, _, defects, _, _ = builds
    for d in _kind(defects, "death_only_as_ae").itertuples(index=False):
        usubjid = f"{load_study(study).studyid}-{d.subject}"
        dm = messy.datasets["DM"].set_index("USUBJID")
        assert dm.loc[usubjid, "DTHFL"] == "Y"
        assert dm.loc[usubjid, "DTHDTC"] == d.clean
        ds = messy.datasets["DS"]
        death = ds[(ds["USUBJID"] == usubjid) & (ds["DSDECOD"] == "DEATH")]
        assert len(death) == 1 and death["DSSTDTC"].iloc[0] == d.clean


def test_a_missed_visit_has_no_subject_visit_record(builds):
    study, messy, _, defects, _, _ = builds
    sv = messy.datasets["SV"]
    studyid = load_study(study).studyid
    for d in _kind(defects, "missing_visit").itertuples(index=False):
        # "scheduled visit M2 (MONTH 2) planned around ..." names the visit label.
        visit = d.detail.split("(", 1)[1].rsplit(") planned", 1)[0]
        visits = sv.loc[sv["USUBJID"] == f"{studyid}-{d.subject}", "VISIT"]
        assert visit not in set(visits), (d.subject, visit)
