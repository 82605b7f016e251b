"""ODM 1.3.x reader: real REDCap ODM exports, vendor extensions, hostile and broken files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdisc.errors import InputError
from cdisc.readers import LINEAGE_COLUMNS, read_odm

NS = {"o": "http://www.cdisc.org/ns/odm/v1.3"}

REAL_ODM = [
    "checkboxes-1/project.xml",
    "longitudinal/project.xml",
    "repeating-instruments/project.xml",
    "blank-for-gray-status/project.xml",
    "survey/project.xml",
    "simple/project-old.xml",
]


def count_independently(path: Path) -> pd.DataFrame:
    """Records (ItemGroupData) and subjects per form, counted with plain lxml XPath."""
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    names = {fd.get("OID"): fd.get("Name") for fd in tree.iterfind(".//o:FormDef", NS)}
    records = dict.fromkeys(names.values(), 0)
    subjects: dict[str, set[str]] = {name: set() for name in names.values()}
    for form in tree.iterfind(".//o:ClinicalData//o:FormData", NS):
        name = names[form.get("FormOID")]
        records[name] += len(form.findall("o:ItemGroupData", NS))
        subjects[name].update(form.xpath("ancestor::o:SubjectData/@SubjectKey", namespaces=NS))
    rows = [
        {"form": name, "records": records[name], "subjects": len(subjects[name])}
        for name in sorted(records)
    ]
    return pd.DataFrame(rows, columns=["form", "records", "subjects"])


@pytest.mark.parametrize("relative", REAL_ODM)
def test_real_redcap_odm_counts_match_an_independent_count(exports: Path, relative: str) -> None:
    path = exports / "redcap" / relative
    export = read_odm(path)
    expected = count_independently(path)
    assert export.kind == "odm"
    pd.testing.assert_frame_equal(export.summary(), expected, check_dtype=False)
    for frame in export.forms.values():
        assert tuple(frame.columns[:7]) == LINEAGE_COLUMNS
        assert all(str(dtype) == "str" for dtype in frame.dtypes)


def test_real_longitudinal_odm_lineage_decodes_and_metadata(exports: Path) -> None:
    export = read_odm(exports / "redcap/longitudinal/project.xml")
    demo = export.forms["Demographics"]
    # By hand from project.xml: subject 100, enrollment event, section "demographics.study_id".
    first = demo.iloc[0]
    assert first["_record"] == (
        "Event.enrollment_arm_1[1]/Form.demographics[1]/demographics.study_id[1]"
    )
    assert first["_subject"] == "100"
    assert first["_event"] == "Event.enrollment_arm_1"
    assert first["_repeat"] == "1/1/1"
    assert pd.isna(first["_site"])
    # ethnicity "0, Hispanic or Latino | 1, NOT Hispanic or Latino | 2, Unknown / Not Reported"
    coded = demo[["_subject", "ethnicity", "ethnicity_DECODE"]].dropna()
    assert coded.values.tolist() == [
        ["100", "0", "Hispanic or Latino"],
        ["220", "2", "Unknown / Not Reported"],
        ["304", "2", "Unknown / Not Reported"],
    ]
    columns = list(demo.columns)
    assert columns.index("ethnicity_DECODE") == columns.index("ethnicity") + 1
    assert export.events["Event.dose_1_arm_1"] == "Dose 1 (Arm 1: Drug A)"
    fields = {f.name: f for f in export.fields["Demographics"]}
    assert fields["date_enrolled"].label == "Date subject signed consent"
    assert fields["ethnicity"].codelist == {
        "0": "Hispanic or Latino",
        "1": "NOT Hispanic or Latino",
        "2": "Unknown / Not Reported",
    }
    assert fields["height"].datatype == "float"


def test_real_classic_project_has_no_event_part_and_decodes_checkboxes(exports: Path) -> None:
    export = read_odm(exports / "redcap/checkboxes-1/project.xml")
    form = export.forms["Form 2"]
    row = form[(form["_subject"] == "1") & form["check_one___1"].notna()].iloc[0]
    assert row["_record"] == "Form.form_2[1]/form_2.check_one___1[1]"
    assert pd.isna(row["_event"])
    assert row["_repeat"] == "/1/1"
    # Subject 1: check_one___1 = 1, check_two___b = 0 (data.csv and project.xml agree).
    assert (row["check_one___1"], row["check_one___1_DECODE"]) == ("1", "Checked")
    assert (row["check_two___b"], row["check_two___b_DECODE"]) == ("0", "Unchecked")


def test_real_repeating_instrument_keeps_form_repeat_keys(exports: Path) -> None:
    export = read_odm(exports / "redcap/repeating-instruments/project.xml")
    bp = export.forms["bp"]
    readings = bp.dropna(subset=["bp_systolic"])
    # By hand: subject 1 has bp instances 1-3 (110, 111, 112), subject 2 one (114).
    assert readings[["_subject", "_repeat", "bp_systolic"]].values.tolist() == [
        ["1", "/1/1", "110"],
        ["1", "/2/1", "111"],
        ["1", "/3/1", "112"],
        ["2", "/1/1", "114"],
    ]
    assert readings["_record"].iloc[1] == "Form.bp[2]/bp.date_bp[1]"


RAVE_METADATA = """
<StudyEventDef OID="SCREEN" Name="Screening" Repeating="No" Type="Scheduled"/>
<FormDef OID="DM" Name="Demographics" Repeating="No">
  <ItemGroupRef ItemGroupOID="DM" Mandatory="No"/>
</FormDef>
<FormDef OID="VS" Repeating="Yes"><ItemGroupRef ItemGroupOID="VS" Mandatory="No"/></FormDef>
<ItemGroupDef OID="DM" Name="DM" Repeating="No">
  <ItemRef ItemOID="DM.AGE" Mandatory="No"/><ItemRef ItemOID="DM.SEX" Mandatory="No"/>
  <ItemRef ItemOID="DM.BRTHDAT" Mandatory="No"/>
</ItemGroupDef>
<ItemGroupDef OID="VS" Name="VS" Repeating="Yes"><ItemRef ItemOID="VS.SYSBP" Mandatory="No"/></ItemGroupDef>
<ItemDef OID="DM.AGE" Name="AGE" DataType="integer">
  <Question><TranslatedText xml:lang="nl">Leeftijd</TranslatedText>
  <TranslatedText xml:lang="en">Age</TranslatedText></Question>
</ItemDef>
<ItemDef OID="DM.SEX" Name="SEX" DataType="text"><CodeListRef CodeListOID="CL.SEX"/></ItemDef>
<ItemDef OID="DM.BRTHDAT" Name="BRTHDAT" DataType="partialDate"/>
<ItemDef OID="VS.SYSBP" Name="SYSBP" DataType="float"/>
<CodeList OID="CL.SEX" Name="SEX" DataType="text">
  <CodeListItem CodedValue="M"><Decode><TranslatedText>Male</TranslatedText></Decode></CodeListItem>
  <CodeListItem CodedValue="F"><Decode><TranslatedText>Female</TranslatedText></Decode></CodeListItem>
</CodeList>
"""

RAVE_CLINICAL = """
<ClinicalData StudyOID="S" MetaDataVersionOID="MDV.1">
 <SubjectData SubjectKey="e983f330-0000-4000-8000-000000000001" mdsol:SubjectKeyType="SubjectUUID"
              mdsol:SubjectName="123 ABC">
  <SiteRef LocationOID="SITE01"/>
  <StudyEventData StudyEventOID="SCREEN" StudyEventRepeatKey="SCREEN[1]" mdsol:InstanceId="50">
   <FormData FormOID="DM" FormRepeatKey="1" mdsol:DataPageId="179">
    <ItemGroupData ItemGroupOID="DM" mdsol:RecordId="251">
     <ItemData ItemOID="DM.AGE" Value="35 Years " TransactionType="Upsert">
       <AuditRecord><UserRef UserOID="u1"/><LocationRef LocationOID="SITE01"/>
       <DateTimeStamp>2024-01-01T00:00:00</DateTimeStamp></AuditRecord>
     </ItemData>
     <ItemData ItemOID="DM.SEX" Value="U" mdsol:SpecifyValue="UNDEF"/>
     <ItemData ItemOID="DM.BRTHDAT" IsNull="Yes"/>
     <ItemDataString ItemOID="DM.EXTRA">ND</ItemDataString>
     <mdsol:Something ItemOID="ignored" Value="x"/>
    </ItemGroupData>
   </FormData>
   <FormData FormOID="VS" FormRepeatKey="2">
    <ItemGroupData ItemGroupOID="VS" ItemGroupRepeatKey="1"><ItemData ItemOID="VS.SYSBP" Value="120"/></ItemGroupData>
    <ItemGroupData ItemGroupOID="VS" ItemGroupRepeatKey="2"><ItemData ItemOID="VS.SYSBP" Value=""/></ItemGroupData>
   </FormData>
  </StudyEventData>
 </SubjectData>
 <SubjectData SubjectKey="e983f330-0000-4000-8000-000000000002" mdsol:SubjectName="124 ABD">
  <SiteRef LocationOID="SITE02"/>
  <StudyEventData StudyEventOID="SCREEN" StudyEventRepeatKey="SCREEN[1]">
   <FormData FormOID="DM" FormRepeatKey="1">
    <ItemGroupData ItemGroupOID="DM"><ItemData ItemOID="DM.SEX" Value="F"/></ItemGroupData>
   </FormData>
  </StudyEventData>
 </SubjectData>
</ClinicalData>
"""


def test_rave_style_odm_uses_subject_name_site_and_string_repeat_keys(odm_file) -> None:
    export = read_odm(odm_file(RAVE_METADATA, RAVE_CLINICAL))
    dm = export.forms["Demographics"]
    assert list(dm.columns) == [
        *LINEAGE_COLUMNS,
        "AGE",
        "SEX",
        "SEX_DECODE",
        "BRTHDAT",
        "DM.EXTRA",
    ]
    assert dm["_subject"].tolist() == ["123 ABC", "124 ABD"]
    assert dm["_site"].tolist() == ["SITE01", "SITE02"]
    assert dm["_record"].tolist() == ["SCREEN[SCREEN[1]]/DM[1]/DM", "SCREEN[SCREEN[1]]/DM[1]/DM"]
    assert dm["_repeat"].tolist() == ["SCREEN[1]/1/", "SCREEN[1]/1/"]
    first = dm.iloc[0]
    assert first["AGE"] == "35 Years "  # kept verbatim, trailing space and unit included
    assert first["SEX"] == "U" and pd.isna(first["SEX_DECODE"])  # not in the codelist
    assert pd.isna(first["BRTHDAT"])  # IsNull="Yes"
    assert first["DM.EXTRA"] == "ND"  # typed ItemDataString, undeclared: named by OID
    assert dm.iloc[1]["SEX_DECODE"] == "Female"
    vs = export.forms["VS"]  # FormDef without Name: the OID
    assert vs["_record"].tolist() == [
        "SCREEN[SCREEN[1]]/VS[2]/VS[1]",
        "SCREEN[SCREEN[1]]/VS[2]/VS[2]",
    ]
    assert vs["SYSBP"].tolist()[0] == "120" and pd.isna(vs["SYSBP"].tolist()[1])
    fields = {f.name: f for f in export.fields["Demographics"]}
    assert fields["AGE"].label == "Age" and fields["AGE"].datatype == "integer"
    assert fields["BRTHDAT"].datatype == "date"
    assert fields["SEX"].codelist == {"M": "Male", "F": "Female"}
    assert export.events == {"SCREEN": "Screening"}
    assert any("DM.EXTRA" in note for note in export.notes)


OC_METADATA_TEMPLATE = """
<FormDef OID="F_DEMO" Name="Demographics"><ItemGroupRef ItemGroupOID="IG_DEMO" Mandatory="No"/></FormDef>
<ItemGroupDef OID="IG_DEMO" Name="IG"><ItemRef ItemOID="I_AGE" Mandatory="No"/></ItemGroupDef>
<ItemDef OID="I_AGE" Name="AGE" DataType="text"/>
"""


def test_several_clinical_data_blocks_each_with_their_own_metadata_version(odm_file) -> None:
    # OpenClinica 3.x writes one ClinicalData (and MetaDataVersion) per site.
    second_mdv = (
        '</MetaDataVersion></Study><Study OID="S_102"><GlobalVariables><StudyName>S</StudyName>'
        "<StudyDescription/><ProtocolName>S</ProtocolName></GlobalVariables>"
        f'<MetaDataVersion OID="v1.0.0-S_102" Name="v">{OC_METADATA_TEMPLATE}'
    )
    clinical = """
<ClinicalData StudyOID="S" MetaDataVersionOID="MDV.1">
 <SubjectData SubjectKey="SS_101001" OpenClinica:StudySubjectID="101-001">
  <StudyEventData StudyEventOID="SE_1"><FormData FormOID="F_DEMO">
   <ItemGroupData ItemGroupOID="IG_DEMO" ItemGroupRepeatKey="1"><ItemData ItemOID="I_AGE" Value="35"/></ItemGroupData>
  </FormData></StudyEventData>
 </SubjectData>
</ClinicalData>
<ClinicalData StudyOID="S_102" MetaDataVersionOID="v1.0.0-S_102">
 <SubjectData SubjectKey="SS_102001" OpenClinica:StudySubjectID="102-001">
  <StudyEventData StudyEventOID="SE_1" StudyEventRepeatKey="2"><FormData FormOID="F_DEMO">
   <ItemGroupData ItemGroupOID="IG_DEMO" ItemGroupRepeatKey="1"><ItemData ItemOID="I_AGE" Value="41"/></ItemGroupData>
  </FormData></StudyEventData>
 </SubjectData>
</ClinicalData>
"""
    export = read_odm(odm_file(OC_METADATA_TEMPLATE + second_mdv, clinical, version="1.3"))
    demo = export.forms["Demographics"]
    assert demo[["_subject", "_record", "_repeat", "AGE"]].values.tolist() == [
        ["101-001", "SE_1/F_DEMO/IG_DEMO[1]", "//1", "35"],
        ["102-001", "SE_1[2]/F_DEMO/IG_DEMO[1]", "2//1", "41"],
    ]


def test_many_subjects_values_land_in_their_own_rows(odm_file) -> None:
    # Values encode where they were written, so any mix-up in the column scatter shows.
    metadata = (
        '<FormDef OID="F1" Name="labs"><ItemGroupRef ItemGroupOID="G1" Mandatory="No"/></FormDef>'
        '<ItemGroupDef OID="G1" Name="g" Repeating="Yes">'
        + "".join(f'<ItemRef ItemOID="I{i}" Mandatory="No"/>' for i in range(4))
        + "</ItemGroupDef>"
        + "".join(f'<ItemDef OID="I{i}" Name="ITEM{i}" DataType="text"/>' for i in range(4))
    )
    subjects = []
    for s in range(150):
        events = []
        for e in range(3):
            groups = "".join(
                f'<ItemGroupData ItemGroupOID="G1" ItemGroupRepeatKey="{g}">'
                + "".join(
                    f'<ItemData ItemOID="I{i}" Value="{s}-{e}-{g}-{i}"/>'
                    for i in range(4)
                    if (s + g + i) % 5  # leave some items out
                )
                + "</ItemGroupData>"
                for g in range(1, 3)
            )
            events.append(
                f'<StudyEventData StudyEventOID="V{e}"><FormData FormOID="F1">{groups}</FormData>'
                "</StudyEventData>"
            )
        subjects.append(f'<SubjectData SubjectKey="{s}">{"".join(events)}</SubjectData>')
    clinical = (
        f'<ClinicalData StudyOID="S" MetaDataVersionOID="MDV.1">{"".join(subjects)}</ClinicalData>'
    )
    labs = read_odm(odm_file(metadata, clinical)).forms["labs"]
    assert len(labs) == 150 * 3 * 2
    for i in range(4):
        expected = [
            f"{s}-{e}-{g}-{i}" if (s + g + i) % 5 else None
            for s in range(150)
            for e in range(3)
            for g in range(1, 3)
        ]
        got = [None if pd.isna(v) else v for v in labs[f"ITEM{i}"]]
        assert got == expected
    assert labs["_record"].iloc[-1] == "V2/F1/G1[2]"
    assert labs["_subject"].iloc[-1] == "149"


def test_missing_metadata_version_names_by_oid_and_notes_it(odm_file) -> None:
    clinical = """
<ClinicalData StudyOID="S" MetaDataVersionOID="NOT.HERE">
 <SubjectData SubjectKey="1"><FormData FormOID="F1" FormRepeatKey="1">
  <ItemGroupData ItemGroupOID="G1"><ItemData ItemOID="I1" Value="a"/></ItemGroupData>
 </FormData></SubjectData>
</ClinicalData>"""
    export = read_odm(odm_file("", clinical))
    assert export.forms["F1"]["I1"].tolist() == ["a"]
    assert any("NOT.HERE" in note for note in export.notes)


def test_odm_version_1_3_1_and_absent_version_are_accepted(odm_file) -> None:
    assert read_odm(odm_file(RAVE_METADATA, RAVE_CLINICAL, version="1.3.1")).forms
    export = read_odm(odm_file(RAVE_METADATA, RAVE_CLINICAL, version=None))
    assert any("ODMVersion not stated" in note for note in export.notes)


def test_folder_with_one_xml_is_read(odm_file, tmp_path: Path) -> None:
    path = odm_file(RAVE_METADATA, RAVE_CLINICAL)
    assert read_odm(tmp_path).path == str(path)


# -- refused input ---------------------------------------------------------------------------


def test_truncated_real_file_names_file_line_and_column(exports: Path, tmp_path: Path) -> None:
    text = (exports / "redcap/longitudinal/project.xml").read_bytes()
    cut = tmp_path / "truncated.xml"
    cut.write_bytes(text[: len(text) // 2])
    with pytest.raises(InputError) as info:
        read_odm(cut)
    error = info.value
    assert error.exit_code == 1
    assert error.path == str(cut)
    assert error.location.startswith("line ") and ", column " in error.location
    assert "not well-formed" in error.message


XXE = """<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2"><ClinicalData StudyOID="S"
 MetaDataVersionOID="M"><SubjectData SubjectKey="&xxe;"/></ClinicalData></ODM>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!-- comment before the DTD -->
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2">&lol9;</ODM>
"""


@pytest.mark.parametrize(("text", "line"), [(XXE, 2), (BILLION_LAUGHS, 3)])
def test_dtds_are_refused_with_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_odm(path)
    error = info.value
    assert error.path == str(path)
    assert error.location == f"line {line}"
    assert "DOCTYPE" in error.message
    assert error.hint == "remove the <!DOCTYPE ...> declaration and any entity references"


@pytest.mark.parametrize(
    ("ns", "version", "found"),
    [
        ("http://www.cdisc.org/ns/odm/v1.2", "1.2.1", "namespace http://www.cdisc.org/ns/odm/v1.2"),
        ("http://www.cdisc.org/ns/odm/v2.0", "2.0", "ODMVersion 2.0"),
        ("http://www.cdisc.org/ns/odm/v1.3", "1.2", "ODMVersion 1.2"),
    ],
)
def test_unsupported_namespace_or_version_says_found_and_supported(
    odm_file, ns: str, version: str, found: str
) -> None:
    path = odm_file("", "", ns=ns, version=version)
    with pytest.raises(InputError) as info:
        read_odm(path)
    error = info.value
    assert error.path == str(path) and error.location == "line 2"
    assert found in error.message
    assert "1.3, 1.3.1, 1.3.2" in error.hint


def test_non_odm_root_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("<html><body>502 Bad Gateway</body></html>", encoding="utf-8")
    with pytest.raises(InputError, match=r"root element is <html>") as info:
        read_odm(path)
    assert info.value.path == str(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty file") as info:
        read_odm(path)
    assert info.value.path == str(path) and info.value.location == "line 1, column 1"


def test_absurd_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    inner = "<a>" * 300 + "</a>" * 300
    path.write_text(
        f'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2">\n{inner}</ODM>',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="depth") as info:
        read_odm(path)
    assert info.value.location.startswith("line 2, column ")


def test_absurdly_large_text_node_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with open(path, "w", encoding="ascii") as handle:
        handle.write('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2">\n<Study>')
        handle.write("A" * 10_500_000)
        handle.write("</Study></ODM>")
    with pytest.raises(InputError, match="too long") as info:
        read_odm(path)
    assert info.value.path == str(path)
    assert info.value.location.startswith("line 2")


def test_missing_file_and_folder_without_single_xml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_odm(tmp_path / "nope.xml")
    with pytest.raises(InputError, match=r"exactly one \.xml file"):
        read_odm(tmp_path)
