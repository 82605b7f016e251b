"""Ground truth: every defect row points at what the export really holds, the manifest matches
the files, and the clean facts do not depend on messiness or format."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from cdisc.synth import KINDS

EXPORTS = [(s, f) for s in ("sail", "pmsc-cli") for f in ("odm", "redcap", "rave")]
#: Kinds that leave nothing to point at (record blank).
REMOVING = {"missing_visit", "death_only_as_ae", "file_bom", "file_crlf"}
#: Kinds that do not alter a value of an existing record.
NOT_ALTERING = REMOVING | {"duplicate_record", "audit_update"}


def _cell(rb, root, fmt, row, cache):
    """The raw value at (file, record, field) read back from the export, and a row key."""
    if row["file"] not in cache:
        read = rb.odm_groups if fmt == "odm" else rb.read_csv
        cache[row["file"]] = read(root / row["file"])
    if fmt == "odm":
        # A record under a variant subject id sits in the SubjectData of that variant.
        owner = row["value"] if row["kind"] == "subject_id_variant" else row["subject"]
        group = cache[row["file"]][(owner, row["record"])]
        if row["field"] == "StudyEventOID":
            return group["event"], group
        if row["field"] == "SubjectKey":
            return group["subject"], group
        if row["field"] == "SiteRef":
            return group["site"], group
        return group["items"].get(row["field"]) or "", group
    header, rows = cache[row["file"]]
    data = dict(zip(header, rows[int(row["record"]) - 1], strict=True))
    if not row["field"] or row["field"] in data:
        return data.get(row["field"]), data
    if row["field"] in data:
        return data[row["field"]], data
    # A REDCap checkbox field: the ground truth names the base variable.
    boxes = [v for k, v in data.items() if k.startswith(row["field"] + "___")]
    assert boxes, f"{row['field']} is not a column of {row['file']}"
    # All 0 (blank item) or all blank (checkbox_blank) both mean nothing was ticked.
    return ("" if set(boxes) in ({"0"}, {""}) else "checked"), data


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_every_defect_points_at_the_value_it_describes(export, rb, study, fmt):
    result = export(study, fmt)
    root = result.out
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    assert defects, "the default export carries defects"
    cache: dict = {}
    for row in defects:
        assert row["kind"] in KINDS
        subject = row["subject"]
        if row["kind"] in REMOVING:
            assert row["record"] == ""
            continue
        value, data = _cell(rb, root, fmt, row, cache)
        owner = data["subject"] if fmt == "odm" else data.get("record_id", data.get("Subject"))
        assert owner == (row["value"] if row["kind"] == "subject_id_variant" else subject), row
        if row["kind"] == "duplicate_record":
            original = re.fullmatch(r"duplicate of record (.+)", row["detail"]).group(1)
            twin = dict(row, record=original)
            _, first = _cell(rb, root, fmt, twin, cache)
            if fmt == "odm":
                assert (first["event"], first["form"]) == (data["event"], data["form"])
                assert first["repeat"] != data["repeat"]
            elif fmt == "redcap":
                keys = ("record_id", "redcap_event_name", "redcap_repeat_instrument")
                assert [first[k] for k in keys] == [data[k] for k in keys]
            else:
                assert (first["Subject"], first["Folder"]) == (data["Subject"], data["Folder"])
            continue
        assert value == row["value"], row
        if row["kind"] not in NOT_ALTERING:
            assert row["value"] != row["clean"], row


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_removals_really_removed(export, rb, study, fmt):
    root = export(study, fmt).out
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    if fmt == "odm":
        groups = rb.odm_groups(root / f"{study}_odm.xml")
        held = {(g["subject"], g["event"], g["form"]) for g in groups.values()}
        events = {(g["subject"], g["event"]) for g in groups.values() if not g["event_repeat"]}
    for row in defects:
        if row["kind"] == "file_bom":
            assert (root / row["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
        if row["kind"] == "file_crlf":
            first_line = (root / row["file"]).read_bytes().split(b"\n", 1)[0]
            assert first_line.endswith(b"\r")
        if fmt != "odm":
            continue
        if row["kind"] == "missing_visit":
            visit = re.match(r"scheduled visit (\S+) ", row["detail"]).group(1)
            assert (row["subject"], visit) not in events
        if row["kind"] == "death_only_as_ae":
            assert (row["subject"], "EOS", "DD") not in held
            assert (row["subject"], "EOS", "DS") not in held
            fatal = [
                g
                for g in groups.values()
                if g["subject"] == row["subject"]
                and g["form"] == "AE"
                and g["items"].get("AE.AEOUT") in ("5", "Fatal", "FATAL")
            ]
            assert fatal


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_every_applicable_kind_is_present(export, rb, study, fmt):
    root = export(study, fmt).out
    kinds = {r["kind"] for r in rb.read_dicts(root / "ground_truth" / "defects.csv")}
    expected = set(KINDS)
    if fmt == "odm":
        expected -= {"file_bom", "file_crlf"}  # no byte-order mark or CRLF in XML exports
    if fmt != "redcap":
        expected -= {"checkbox_blank"}  # only REDCap exports unticked boxes as 0 or blank
    else:
        expected -= {"site_renumbered"}  # REDCap names sites by data access group
    if study == "pmsc-cli":
        expected -= {"death_only_as_ae"}  # trial A has no deaths
    assert expected <= kinds, sorted(expected - kinds)


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_manifest_matches_the_files(export, rb, study, fmt):
    result = export(study, fmt)
    root = result.out
    m = rb.manifest(root)
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    assert m["defects"] == len(defects) == result.defects
    assert (
        m["defects_by_kind"] == dict(Counter(r["kind"] for r in defects)) == result.defects_by_kind
    )
    listed = {f["path"]: f["bytes"] for f in m["files"]}
    on_disk = {
        p.relative_to(root).as_posix(): p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert listed == on_disk
    text = (root / "ground_truth" / "manifest.json").read_text(encoding="utf-8")
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text), "no timestamps in the manifest"


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_clean_export_has_no_defects_and_same_truth(export, rb, study):
    fmt = {"sail": "odm", "pmsc-cli": "redcap"}[study]
    clean = export(study, fmt, clean=True).out
    messy = export(study, fmt).out
    with open(clean / "ground_truth" / "defects.csv", encoding="utf-8") as fh:
        assert fh.read().splitlines() == ["kind,subject,form,field,record,value,clean,detail,file"]
    assert rb.manifest(clean)["defects_by_kind"] == {}
    truth = (clean / "ground_truth" / "subjects.csv").read_bytes()
    assert truth == (messy / "ground_truth" / "subjects.csv").read_bytes()
    for other in ("odm", "redcap", "rave"):
        root = export(study, other).out
        assert (root / "ground_truth" / "subjects.csv").read_bytes() == truth


def test_subject_truth_columns(export, rb):
    rows = rb.read_dicts(export("sail", "odm").out / "ground_truth" / "subjects.csv")
    assert len(rows) == 60
    assert set(rows[0]) >= {
        "subject",
        "site",
        "arm",
        "index_limb",
        "consent_date",
        "randomisation_date",
        "first_dose_date",
        "last_dose_date",
        "death_date",
        "death_cause",
        "first_major_amputation_date",
        "first_major_amputation_side",
        "minor_amputation_dates",
        "last_known_alive_date",
        "disposition",
        "disposition_date",
    }
    for r in rows:
        assert r["consent_date"] <= r["randomisation_date"] <= r["first_dose_date"]
        assert r["first_dose_date"] <= r["last_known_alive_date"]
        if r["death_date"]:
            assert r["last_known_alive_date"] == r["death_date"] == r["disposition_date"]
            assert r["disposition"] == "Death"


def _same_day(text: str, iso: str) -> bool:
    """Whether ``text`` (in one of the formats sites use) denotes the ISO date ``iso``."""
    import datetime as dt

    day = dt.date.fromisoformat(iso)
    for pattern in (
        "%d-%b-%Y",
        "%d/%m/%Y",
        "%m/%d/%Y",
        "%d-%b-%y",
        "%Y %b %d",
        "%d-%b-%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%d %b %Y",
    ):
        try:
            if dt.datetime.strptime(text, pattern).date() == day:
                return True
        except ValueError:
            continue
    return False


@pytest.mark.parametrize(("study", "fmt"), [("sail", "odm"), ("pmsc-cli", "redcap")])
def test_defect_values_mean_what_their_kind_says(export, rb, study, fmt):
    """The recorded messy value relates to the clean one as the kind describes."""
    rows = rb.read_dicts(export(study, fmt).out / "ground_truth" / "defects.csv")
    checks = {
        "decimal_comma": lambda v, c: v == c.replace(".", ","),
        "padded_text": lambda v, c: v.strip() == c and v != c,
        "case_variant": lambda v, c: v.lower() == c.lower(),
        "embedded_unit": lambda v, c: v.startswith(c) and len(v.strip()) > len(c),
        "laterality_swap": lambda v, c: {v, c} == {"1", "2"},
        "partial_date": lambda v, c: c[:4] in v and not _same_day(v, c),
        "date_format": _same_day,
        "vas_0_10": lambda v, c: abs(float(v) * 10 - float(c)) <= 5,
        "time_format": lambda v, c: (
            v.replace(".", ":").lstrip("0")[:4] in c.lstrip("0") or v.startswith(c)
        ),
        "censored_value": lambda v, c: (
            (float(c) < float(v[1:])) if v[0] in "<\u2264" else (float(c) > float(v[1:]))
        ),
        "whitespace_only": lambda v, c: v == " ",
        "missing_value": lambda v, c: v == "" and c != "",
        "crf_version_change": lambda v, c: c.isdigit() and v == c + " m",
    }
    seen = set()
    for row in rows:
        check = checks.get(row["kind"])
        if check is not None:
            assert check(row["value"], row["clean"]), row
            seen.add(row["kind"])
    assert seen == set(checks)
