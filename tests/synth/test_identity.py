"""Identifier kinds: ``subject_id_variant`` (records under another format of the subject id).

Exports are read back with lxml and the csv module; the permitted variant formats come from
the brief (``SAIL-03-001``, ``3-1``, ``03001`` for ``03-001``), not from the generator."""

from __future__ import annotations

from collections import Counter

import pytest
from lxml import etree

NS = "{http://www.cdisc.org/ns/odm/v1.3}"
EXPORTS = [(s, f) for s in ("sail", "pmsc-cli") for f in ("odm", "redcap", "rave")]
#: Forms that say who the subject is: never under a variant id.
IDENTITY_FORMS = {"ic", "dm", "rand", "cohort", "ds", "dd", "unblind"}


def _variants(study: str, subject: str) -> set[str]:
    site, number = subject.split("-")
    return {
        f"{study.upper()}-{subject}",
        f"{site.lstrip('0') or '0'}-{number.lstrip('0') or '0'}",
        site + number,
    }


def _foreign(rb, root, study, fmt, known):
    """{(id, file, record)} of every record filed under an id that is not a known subject,
    and {canonical subject: DM records} (ODM and Rave)."""
    found, dm = set(), Counter()
    if fmt == "odm":
        name = f"{study}_odm.xml"
        for subject in etree.parse(str(root / name)).getroot().iter(NS + "SubjectData"):
            key = subject.get("SubjectKey")
            for se in subject.iter(NS + "StudyEventData"):
                rep = se.get("StudyEventRepeatKey")
                se_path = se.get("StudyEventOID") + (f"[{rep}]" if rep else "")
                for fd in se.iter(NS + "FormData"):
                    for ig in fd.iter(NS + "ItemGroupData"):
                        igr = ig.get("ItemGroupRepeatKey")
                        path = f"{se_path}/{fd.get('FormOID')}/{ig.get('ItemGroupOID')}"
                        path += f"[{igr}]" if igr else ""
                        if key not in known:
                            found.add((key, name, path))
                        if fd.get("FormOID") == "DM":
                            dm[key] += 1
        return found, dm
    files = ["data.csv"] if fmt == "redcap" else sorted(p.name for p in root.glob("*.csv"))
    for name in files:
        header, rows = rb.read_csv(root / name)
        col = header.index("record_id" if fmt == "redcap" else "Subject")
        for i, row in enumerate(rows, 1):
            if row[col] not in known:
                found.add((row[col], name, str(i)))
            if name == "dm.csv":
                dm[row[col]] += 1
    return found, dm


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_variant_ids_are_exactly_the_ground_truth_records(export, rb, study, fmt):
    root = export(study, fmt).out
    known = {r["subject"] for r in rb.read_dicts(root / "ground_truth" / "subjects.csv")}
    rows = [
        r
        for r in rb.read_dicts(root / "ground_truth" / "defects.csv")
        if r["kind"] == "subject_id_variant"
    ]
    assert rows
    for r in rows:
        assert r["clean"] == r["subject"] in known
        assert r["value"] in _variants(study, r["subject"]), r
        assert r["value"] not in known
        assert r["form"] not in IDENTITY_FORMS
        assert r["field"] == {"odm": "SubjectKey", "redcap": "record_id", "rave": "Subject"}[fmt]
    # Each variant belongs to one subject.
    owners = {}
    for r in rows:
        assert owners.setdefault(r["value"], r["subject"]) == r["subject"]
    found, dm = _foreign(rb, root, study, fmt, known)
    assert found == {(r["value"], r["file"], r["record"]) for r in rows}
    if fmt != "redcap":
        # The subject keeps its one DM record under the canonical id; none under the variant.
        for r in rows:
            assert dm[r["subject"]] == 1 and dm[r["value"]] == 0


def test_redcap_variant_rows_are_repeating_instrument_rows(export, rb):
    root = export("sail", "redcap").out
    header, data = rb.read_csv(root / "data.csv")
    rows = [
        r
        for r in rb.read_dicts(root / "ground_truth" / "defects.csv")
        if r["kind"] == "subject_id_variant"
    ]
    instrument = header.index("redcap_repeat_instrument")
    for r in rows:
        assert data[int(r["record"]) - 1][instrument] == r["form"]


def test_odm_variant_subject_data_keeps_the_site(export, rb):
    root = export("sail", "odm").out
    sites = {r["subject"]: r["site"] for r in rb.read_dicts(root / "ground_truth" / "subjects.csv")}
    owner = {
        r["value"]: r["subject"]
        for r in rb.read_dicts(root / "ground_truth" / "defects.csv")
        if r["kind"] == "subject_id_variant"
    }
    seen = 0
    for subject in etree.parse(str(root / "sail_odm.xml")).getroot().iter(NS + "SubjectData"):
        key = subject.get("SubjectKey")
        if key in owner:
            site = subject.find(NS + "SiteRef").get("LocationOID")
            assert site == "SITE" + sites[owner[key]]
            seen += 1
    assert seen == len(owner)


@pytest.mark.parametrize(("study", "fmt"), [("sail", "odm"), ("pmsc-cli", "redcap")])
def test_clean_exports_use_canonical_ids_only(export, rb, study, fmt):
    root = export(study, fmt, clean=True).out
    known = {r["subject"] for r in rb.read_dicts(root / "ground_truth" / "subjects.csv")}
    found, _ = _foreign(rb, root, study, fmt, known)
    assert found == set()


def _renumbered(rb, root):
    rows = rb.read_dicts(root / "ground_truth" / "defects.csv")
    return [r for r in rows if r["kind"] == "site_renumbered"]


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_odm_renumbered_site_later_records_only(export, rb, study):
    root = export(study, "odm").out
    site = {r["subject"]: r["site"] for r in rb.read_dicts(root / "ground_truth" / "subjects.csv")}
    rows = _renumbered(rb, root)
    assert rows
    for r in rows:
        assert r["clean"] == "SITE" + site[r["subject"]]
        assert r["value"] == "SITE" + (site[r["subject"]].lstrip("0") or "0") != r["clean"]
        assert r["field"] == "SiteRef" and r["form"] not in IDENTITY_FORMS
    tree = etree.parse(str(root / f"{study}_odm.xml")).getroot()
    locations = {loc.get("OID") for loc in tree.iter(NS + "Location")}
    assert {r["value"] for r in rows} <= locations
    scheduled = {
        e.get("OID") for e in tree.iter(NS + "StudyEventDef") if e.get("Type") == "Scheduled"
    }
    order = {
        e.get("StudyEventOID"): int(e.get("OrderNumber"))
        for e in tree.iter(NS + "StudyEventRef")
        if e.get("StudyEventOID") in scheduled
    }
    groups = rb.odm_groups(root / f"{study}_odm.xml")
    moved = {k for k, g in groups.items() if g["site"] != "SITE" + site.get(g["subject"], "?")}
    # Records under a variant subject id are not renumbered (their subject is not in `site`).
    moved = {k for k in moved if k[0] in site}
    assert moved == {(r["subject"], r["record"]) for r in rows}
    for subject in {r["subject"] for r in rows}:
        kept = [g for k, g in groups.items() if k[0] == subject and k not in moved]
        new = [g for k, g in groups.items() if k in moved and k[0] == subject]
        assert [g["form"] for g in kept].count("DM") == 1
        # Scheduled visits under the new number all come after those under the old one.
        before = max(order[g["event"]] for g in kept if g["event"] in order)
        after = min(order[g["event"]] for g in new if g["event"] in order)
        assert before < after


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_rave_renumbered_site_number_matches_ground_truth(export, rb, study):
    root = export(study, "rave").out
    site = {r["subject"]: r["site"] for r in rb.read_dicts(root / "ground_truth" / "subjects.csv")}
    rows = _renumbered(rb, root)
    assert rows
    found = set()
    for path in sorted(root.glob("*.csv")):
        for i, d in enumerate(rb.read_dicts(path), 1):
            if d["Subject"] in site and d["SiteNumber"] != site[d["Subject"]]:
                assert d["SiteNumber"] == site[d["Subject"]].lstrip("0")
                found.add((d["Subject"], path.name, str(i), d["SiteNumber"]))
    assert found == {(r["subject"], r["file"], r["record"], r["value"]) for r in rows}
    assert all(r["clean"] == site[r["subject"]] and r["field"] == "SiteNumber" for r in rows)


def test_redcap_and_clean_exports_have_no_renumbered_site(export, rb):
    assert not _renumbered(rb, export("sail", "redcap").out)
    root = export("sail", "odm", clean=True).out
    assert not _renumbered(rb, root)
    tree = etree.parse(str(root / "sail_odm.xml")).getroot()
    refs = {s.find(NS + "SiteRef").get("LocationOID") for s in tree.iter(NS + "SubjectData")}
    assert refs <= {"SITE01", "SITE02", "SITE03", "SITE04"}
    assert {loc.get("OID") for loc in tree.iter(NS + "Location")} == refs
