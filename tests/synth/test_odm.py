"""ODM 1.3.2 exports: schema validity and internal references."""

from __future__ import annotations

import pytest
from lxml import etree

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.fixture(scope="module")
def schema(rb):
    xsd = rb.shared / "standards" / "xsd" / "cdisc-odm-1.3.2" / "ODM1-3-2.xsd"
    if not xsd.exists():
        pytest.skip(f"ODM schema not found at {xsd}")
    return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
@pytest.mark.parametrize("clean", [False, True])
def test_export_validates_against_odm_1_3_2(export, schema, study, clean):
    path = export(study, "odm", clean=clean).out / f"{study}_odm.xml"
    doc = etree.parse(str(path))
    assert schema.validate(doc), schema.error_log.filter_from_errors()[:5]


def test_schema_rejects_a_broken_copy(export, schema, tmp_path):
    """The validation above can fail: a FormData without its required FormOID is refused."""
    text = (export("pmsc-cli", "odm").out / "pmsc-cli_odm.xml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace('<FormData FormOID="DM">', "<FormData>", 1), encoding="utf-8")
    assert not schema.validate(etree.parse(str(broken)))


def test_root_and_references(export, rb):
    root = etree.parse(str(export("sail", "odm").out / "sail_odm.xml")).getroot()
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get("FileType") == "Snapshot"
    assert root.get("CreationDateTime")
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    items = {d.get("OID"): d for d in mdv.iter(f"{ODM}ItemDef")}
    groups = {d.get("OID") for d in mdv.iter(f"{ODM}ItemGroupDef")}
    forms = {d.get("OID") for d in mdv.iter(f"{ODM}FormDef")}
    events = {d.get("OID"): d.get("Repeating") for d in mdv.iter(f"{ODM}StudyEventDef")}
    codelists = {
        c.get("OID"): {i.get("CodedValue") for i in c.iter(f"{ODM}CodeListItem")}
        for c in mdv.iter(f"{ODM}CodeList")
    }
    locations = {loc.get("OID") for loc in root.iter(f"{ODM}Location")}
    subjects = list(root.iter(f"{ODM}SubjectData"))
    # subject_id_variant adds one SubjectData per variant id, site_renumbered one per subject
    # (both counted from the ground truth).
    defects = rb.read_dicts(export("sail", "odm").out / "ground_truth" / "defects.csv")
    variants = {d["value"] for d in defects if d["kind"] == "subject_id_variant"}
    renumbered = {d["subject"] for d in defects if d["kind"] == "site_renumbered"}
    assert variants and renumbered
    assert len(subjects) == 60 + len(variants) + len(renumbered)
    assert len({s.get("SubjectKey") for s in subjects} - variants) == 60
    decoded = undecoded = 0
    for s in subjects:
        assert s.find(f"{ODM}SiteRef").get("LocationOID") in locations
        for se in s.iter(f"{ODM}StudyEventData"):
            assert se.get("StudyEventOID") in events
            # Only the repeating (unscheduled) event carries a repeat key.
            assert (se.get("StudyEventRepeatKey") is not None) == (
                events[se.get("StudyEventOID")] == "Yes"
            )
        for fd in s.iter(f"{ODM}FormData"):
            assert fd.get("FormOID") in forms
        for ig in s.iter(f"{ODM}ItemGroupData"):
            assert ig.get("ItemGroupOID") in groups
        for item in s.iter(f"{ODM}ItemData"):
            definition = items[item.get("ItemOID")]
            ref = definition.find(f"{ODM}CodeListRef")
            if ref is not None:
                if item.get("Value") in codelists[ref.get("CodeListOID")]:
                    decoded += 1
                else:
                    undecoded += 1
    # Coded items hold codes; the few that do not are the injected clashes and multi-choices.
    assert decoded > 50 * undecoded > 0


def test_messy_values_survive_xml_escaping(export, rb):
    root = export("sail", "odm").out
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    special = [d for d in defects if any(c in d["value"] for c in "<>&\n\r")]
    assert special, "censored values and multi-line text carry XML-special characters"
    groups = rb.odm_groups(root / "sail_odm.xml")
    for d in special:
        assert groups[(d["subject"], d["record"])]["items"][d["field"]] == d["value"]
