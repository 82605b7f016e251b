"""Value history kinds: ``audit_update`` (ODM AuditRecord, old value recoverable) and
``checkbox_blank`` (REDCap boxes all blank). Files are read back with lxml and the csv module."""

from __future__ import annotations

import re

import pytest
from lxml import etree

NS = "{http://www.cdisc.org/ns/odm/v1.3}"
DETAIL = re.compile(
    r"value changed after first entry: first entered as (\d{4}-\d\d-\d\d), corrected on "
    r"(\S+) by (\S+) \((.+)\)"
)


def _audited_items(path):
    """{(SubjectKey, ItemOID, site, value): AuditRecord} for every ItemData with an audit."""
    root = etree.parse(str(path)).getroot()
    users = {u.get("OID") for u in root.iter(NS + "User")}
    out = {}
    for subject in root.iter(NS + "SubjectData"):
        site = subject.find(NS + "SiteRef").get("LocationOID")
        for item in subject.iter(NS + "ItemData"):
            audit = item.find(NS + "AuditRecord")
            if audit is not None:
                key = (subject.get("SubjectKey"), item.get("ItemOID"), item.get("Value"))
                assert key not in out
                out[key] = (site, audit)
    return users, out


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_odm_audit_records_match_the_ground_truth(export, rb, study):
    root = export(study, "odm").out
    rows = [
        r
        for r in rb.read_dicts(root / "ground_truth" / "defects.csv")
        if r["kind"] == "audit_update"
    ]
    assert rows
    users, audited = _audited_items(root / f"{study}_odm.xml")
    assert len(audited) == len(rows)
    for row in rows:
        old, when, user, reason = DETAIL.fullmatch(row["detail"]).groups()
        assert old != row["value"] == row["clean"]
        site, audit = audited[(row["subject"], row["field"], row["value"])]
        assert audit.find(NS + "UserRef").get("UserOID") == user
        assert user in users
        assert audit.find(NS + "LocationRef").get("LocationOID") == site
        assert audit.find(NS + "DateTimeStamp").text == when
        assert when[:10] > max(old, row["value"])  # corrected after both dates
        assert audit.find(NS + "ReasonForChange").text == f"{reason}; previous value {old}"


@pytest.mark.parametrize(("study", "fmt"), [("sail", "redcap"), ("pmsc-cli", "rave")])
def test_csv_exports_carry_only_the_final_value(export, rb, study, fmt):
    rows = rb.read_dicts(export(study, fmt).out / "ground_truth" / "defects.csv")
    audits = [r for r in rows if r["kind"] == "audit_update"]
    assert audits
    for row in audits:
        old = DETAIL.fullmatch(row["detail"]).group(1)
        assert row["value"] == row["clean"] != old


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_redcap_unanswered_checkboxes_blank_or_zero(export, rb, study):
    root = export(study, "redcap").out
    header, data = rb.read_csv(root / "data.csv")
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    seen = set()
    for row in defects:
        boxes = [i for i, h in enumerate(header) if h.startswith(row["field"] + "___")]
        if not boxes or row["kind"] not in ("checkbox_blank", "missing_value"):
            continue
        line = data[int(row["record"]) - 1]
        expected = "" if row["kind"] == "checkbox_blank" else "0"
        assert {line[i] for i in boxes} == {expected}, row
        assert row["value"] == "" and row["clean"] != ""
        seen.add(row["kind"])
    assert "checkbox_blank" in seen


def test_clean_exports_have_no_audit_records(export):
    root = export("sail", "odm", clean=True).out
    assert b"<AuditRecord" not in (root / "sail_odm.xml").read_bytes()
