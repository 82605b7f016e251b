"""define.xml writer: schema validity, determinism, element order, reference integrity, XSL.

Expected values come from the sample documents (tests/define/sample.py), the Define-XML 2.1
specification as summarised in ../shared/reference/define-xml-2.1.md, and the official
schemas and stylesheet in ../shared; none is copied from the writer's output.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from cdisc.errors import InputError, SpecError, UsageError
from cdisc.metadata import CodeListDef, CodeListTerm, ValueDef, ValueListDef
from define.xml import define_xml, schema_problems, write_define
from tests.define.sample import analysis, tabulation

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XSD = SHARED / "standards" / "xsd"
ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
ARM = "http://www.cdisc.org/ns/arm/v1.0"
NS = {"odm": ODM, "def": DEF, "arm": ARM, "xlink": "http://www.w3.org/1999/xlink"}

pytestmark = pytest.mark.skipif(not XSD.is_dir(), reason="../shared/standards is not available")

SAMPLES = {"tabulation": tabulation, "analysis": analysis}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def written(request) -> tuple[str, bytes]:
    return request.param, define_xml(SAMPLES[request.param]())


def _root(content: bytes) -> etree._Element:
    return etree.fromstring(content)


def _mdv(content: bytes) -> etree._Element:
    return _root(content).find("odm:Study/odm:MetaDataVersion", NS)


def _local(element: etree._Element) -> str:
    qname = etree.QName(element)
    prefix = {ODM: "", DEF: "def:", ARM: "arm:"}[qname.namespace]
    return prefix + qname.localname


# --- schema ---------------------------------------------------------------------------------


def test_tabulation_validates_against_define_xsd():
    content = define_xml(tabulation())
    assert schema_problems(content, XSD) == []
    schema = etree.XMLSchema(etree.parse(str(XSD / "cdisc-define-2.1" / "define2-1-0.xsd")))
    assert schema.validate(_root(content)), schema.error_log


def test_analysis_validates_against_arm_xsd_and_needs_it():
    content = define_xml(analysis())
    assert schema_problems(content, XSD) == []
    arm = etree.XMLSchema(etree.parse(str(XSD / "cdisc-arm-1.0" / "arm1-0-0.xsd")))
    assert arm.validate(_root(content)), arm.error_log
    # define2-1-0.xsd alone rejects arm:AnalysisResultDisplays, so schema_problems chose ARM.
    plain = etree.XMLSchema(etree.parse(str(XSD / "cdisc-define-2.1" / "define2-1-0.xsd")))
    assert not plain.validate(_root(content))


def test_wrong_class_is_reported_with_its_line():
    doc = tabulation()
    vs = replace(doc.dataset("VS"), cdisc_class="Findingz")
    broken = replace(doc, datasets=(doc.dataset("DM"), vs, doc.dataset("SUPPDM")))
    content = define_xml(broken)
    lines = content.decode().splitlines()
    expected = [n for n, line in enumerate(lines, 1) if '<def:Class Name="FINDINGZ"' in line]
    assert len(expected) == 1
    problems = schema_problems(content, XSD)
    assert len(problems) == 1
    assert problems[0].startswith(f"line {expected[0]}: ")
    assert "FINDINGZ" in problems[0]


def test_schema_problems_reads_a_path_and_the_official_examples(tmp_path):
    examples = SHARED / "standards" / "examples"
    for name in ("defineV21-SDTM.xml", "defineV21-ADaM.xml"):
        assert schema_problems(examples / name, XSD) == []
    # The draft's one defect (reference notes §13): Name="STDTMIG" on line 63, found by grep.
    draft = examples / "invalid" / "defineV21-MSGv2-draft.xml"
    bad = [n for n, line in enumerate(draft.read_text().splitlines(), 1) if "STDTMIG" in line]
    problems = schema_problems(draft, XSD)
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in bad]


def test_schema_problems_refuses_malformed_and_hostile_xml(tmp_path):
    with pytest.raises(InputError) as error:
        schema_problems(b"<ODM>\n<x></ODM>", XSD)
    assert error.value.location.startswith("line 2")
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<ODM xmlns="'
        + ODM.encode()
        + b'">&b;</ODM>'
    )
    with pytest.raises(InputError) as error:
        schema_problems(bomb, XSD)
    assert error.value.location == "line 2"
    assert "DOCTYPE" in error.value.message
    with pytest.raises(InputError, match="cannot read"):
        schema_problems(tmp_path / "missing.xml", XSD)
    with pytest.raises(UsageError, match="schema file not found"):
        schema_problems(define_xml(tabulation()), tmp_path)
    with pytest.raises(UsageError, match="bytes or a Path"):
        schema_problems("define.xml", XSD)


# --- determinism and shape ------------------------------------------------------------------


def test_same_document_same_bytes(written):
    name, content = written
    assert define_xml(SAMPLES[name]()) == content
    assert content.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>\n<ODM '
    )
    assert content.count(b"\n") > 100  # pretty-printed, one element per line


def test_root_and_study(written):
    name, content = written
    doc = SAMPLES[name]()
    root = _root(content)
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get("FileType") == "Snapshot"
    assert root.get("CreationDateTime") == "2025-01-01T00:00:00"
    assert root.get("Originator") == "cdisc toolkit"
    assert root.get(f"{{{DEF}}}Context") == "Submission"
    assert root.get("FileOID")
    assert ("arm" in root.nsmap) == (name == "analysis")
    gv = root.find("odm:Study/odm:GlobalVariables", NS)
    assert [child.text for child in gv] == [
        doc.study_name,
        doc.study_description,
        doc.protocol_name,
    ]
    mdv = _mdv(content)
    assert mdv.get("OID") == doc.mdv_oid
    assert mdv.get(f"{{{DEF}}}DefineVersion") == "2.1.0"


def test_metadata_version_children_in_schema_order(written):
    name, content = written
    order = [
        "def:Standards",
        "def:AnnotatedCRF",
        "def:SupplementalDoc",
        "def:ValueListDef",
        "def:WhereClauseDef",
        "ItemGroupDef",
        "ItemDef",
        "CodeList",
        "MethodDef",
        "def:CommentDef",
        "def:leaf",
        "arm:AnalysisResultDisplays",
    ]
    seen = [_local(child) for child in _mdv(content)]
    ranks = [order.index(tag) for tag in seen]
    assert ranks == sorted(ranks)
    if name == "analysis":
        assert seen[-1] == "arm:AnalysisResultDisplays"
        assert seen.count("arm:AnalysisResultDisplays") == 1
    else:
        assert "arm:AnalysisResultDisplays" not in seen
        assert "def:AnnotatedCRF" in seen


def test_children_in_schema_order(written):
    _, content = written
    mdv = _mdv(content)
    rules = {
        "ItemDef": ["Description", "CodeListRef", "Alias", "def:Origin", "def:ValueListRef"],
        "ItemGroupDef": ["Description", "ItemRef", "Alias", "def:Class", "def:leaf"],
        "CodeList": ["Description", "EnumeratedItem", "CodeListItem", "ExternalCodeList", "Alias"],
    }
    checked = 0
    for tag, order in rules.items():
        for element in mdv.findall(f"odm:{tag}", NS):
            ranks = [order.index(_local(child)) for child in element]
            assert ranks == sorted(ranks), element.get("OID")
            checked += 1
    assert checked > 10
    # In CodeListItem the Alias follows the Decode (and EnumeratedItem has only Alias).
    for item in mdv.iterfind("odm:CodeList/odm:CodeListItem", NS):
        assert _local(item[0]) == "Decode"


def test_alias_before_origin_in_item_def():
    # The model gives ItemDefs no Alias, so put one in the way the XSD must accept: an ItemDef
    # with CodeListRef, def:Origin and def:ValueListRef, then an Alias inserted before Origin
    # must still validate, and one after it must not (reference notes §2).
    content = define_xml(tabulation())
    root = _root(content)
    item = root.find(".//odm:ItemDef[@OID='IT.DM.SEX']", NS)
    origin = item.find("def:Origin", NS)
    alias = etree.Element(f"{{{ODM}}}Alias", Context="SAS", Name="SEX")
    origin.addprevious(alias)
    schema = etree.XMLSchema(etree.parse(str(XSD / "cdisc-define-2.1" / "define2-1-0.xsd")))
    assert schema.validate(root)
    origin.addnext(alias)  # moves it after def:Origin
    assert not schema.validate(root)


# --- content --------------------------------------------------------------------------------


def _item_group(content: bytes, name: str) -> etree._Element:
    return _mdv(content).find(f"odm:ItemGroupDef[@Name='{name}']", NS)


def _item_def(content: bytes, oid: str) -> etree._Element:
    return _mdv(content).find(f"odm:ItemDef[@OID='{oid}']", NS)


def test_item_groups_tabulation():
    content = define_xml(tabulation())
    dm, vs, supp = (_item_group(content, n) for n in ("DM", "VS", "SUPPDM"))
    assert dm.get("Domain") == "DM" and dm.get("Repeating") == "No"
    assert vs.get("Repeating") == "Yes" and vs.get("IsReferenceData") == "No"
    assert supp.get("Domain") == "DM"  # parent domain, as the CDISC examples do
    assert supp.find("odm:Alias", NS).attrib == {
        "Context": "DomainDescription",
        "Name": "Demographics",
    }
    for group, klass in ((dm, "SPECIAL PURPOSE"), (vs, "FINDINGS"), (supp, "RELATIONSHIP")):
        name = group.get("Name")
        assert group.get("OID") == f"IG.{name}"
        assert group.get("SASDatasetName") == name
        assert group.get("Purpose") == "Tabulation"
        assert group.get(f"{{{DEF}}}StandardOID") == "STD.SDTMIG"
        assert group.get(f"{{{DEF}}}ArchiveLocationID") == f"LF.{name}"
        assert group.find("def:Class", NS).get("Name") == klass
        leaf = group.find("def:leaf", NS)
        assert leaf.get("ID") == f"LF.{name}"
        assert leaf.get(f"{{{NS['xlink']}}}href") == f"{name.lower()}.xpt"
    refs = {r.get("ItemOID"): r.attrib for r in vs.findall("odm:ItemRef", NS)}
    assert list(refs) == [f"IT.VS.{v}" for v in ("STUDYID", "USUBJID", "VSSEQ", "VSTESTCD")] + [
        "IT.VS.VSSTRESN",
        "IT.VS.VSDTC",
    ]
    assert refs["IT.VS.VSDTC"]["KeySequence"] == "4"
    assert refs["IT.VS.VSDTC"]["Role"] == "Timing"
    assert refs["IT.VS.VSDTC"]["Mandatory"] == "No"
    assert "MethodOID" not in refs["IT.VS.VSDTC"]
    assert refs["IT.VS.VSSEQ"]["MethodOID"] == "MT.VS.VSSEQ"
    assert refs["IT.VS.VSSEQ"]["Mandatory"] == "Yes"
    assert "KeySequence" not in refs["IT.VS.VSSEQ"]


def test_item_groups_analysis():
    # Roles are SDTM's: even when the model gives an ADaM variable one, no Role is written.
    doc = analysis()
    adtte = doc.dataset("ADTTE")
    aval = replace(adtte.variable("AVAL"), role="Result Qualifier")
    adtte = replace(
        adtte, variables=tuple(aval if v.name == "AVAL" else v for v in adtte.variables)
    )
    content = define_xml(replace(doc, datasets=(doc.dataset("ADSL"), adtte)))
    adsl, adtte = _item_group(content, "ADSL"), _item_group(content, "ADTTE")
    for group in (adsl, adtte):
        assert "Domain" not in group.attrib
        assert group.get("Purpose") == "Analysis"
        assert group.get(f"{{{DEF}}}StandardOID") == "STD.ADAMIG"
        assert all("Role" not in ref.attrib for ref in group.findall("odm:ItemRef", NS))
    klass = adtte.find("def:Class", NS)
    assert klass.get("Name") == "BASIC DATA STRUCTURE"
    assert klass.find("def:SubClass", NS).get("Name") == "TIME-TO-EVENT"
    assert adsl.find("def:Class", NS).get("Name") == "SUBJECT LEVEL ANALYSIS DATASET"
    assert adsl.find("def:Class/def:SubClass", NS) is None


def test_item_defs():
    tab, ana = define_xml(tabulation()), define_xml(analysis())
    stresn = _item_def(tab, "IT.VS.VSSTRESN")
    assert stresn.get("DataType") == "float"
    assert stresn.get("Length") == "8" and stresn.get("SignificantDigits") == "2"
    assert stresn.find("def:ValueListRef", NS).get("ValueListOID") == "VL.VS.VSSTRESN"
    vsdtc = _item_def(tab, "IT.VS.VSDTC")  # datetime: no Length although the model has 16
    assert "Length" not in vsdtc.attrib and vsdtc.get("SASFieldName") == "VSDTC"
    age = _item_def(tab, "IT.DM.AGE")
    assert age.get("Length") == "8" and "SignificantDigits" not in age.attrib
    assert age.find("def:Origin", NS).attrib == {"Type": "Collected", "Source": "Investigator"}
    assert age.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == "Age"
    country = _item_def(tab, "IT.DM.COUNTRY")
    assert country.get(f"{{{DEF}}}CommentOID") == "COM.DM.COUNTRY"
    assert country.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.COUNTRY"
    trtsdt = _item_def(ana, "IT.ADSL.TRTSDT")
    assert trtsdt.get(f"{{{DEF}}}DisplayFormat") == "DATE9."
    studyid = _item_def(ana, "IT.ADTTE.STUDYID")
    origin = studyid.find("def:Origin", NS)
    assert origin.attrib == {"Type": "Predecessor"}
    assert origin.findtext("odm:Description/odm:TranslatedText", namespaces=NS) == "ADSL.STUDYID"
    race2 = _item_def(tab, "IT.SUPPDM.QVAL.RACE2")
    assert race2.get("Name") == "RACE2" and race2.get("Length") == "5"
    assert race2.find("odm:CodeListRef", NS).get("CodeListOID") == "CL.RACE"


def test_value_lists_and_where_clauses():
    content = define_xml(tabulation())
    mdv = _mdv(content)
    vl = mdv.find("def:ValueListDef[@OID='VL.VS.VSSTRESN']", NS)
    refs = vl.findall("odm:ItemRef", NS)
    assert [r.get("ItemOID") for r in refs] == ["IT.VS.VSSTRESN.ABI", "IT.VS.VSSTRESN.SYSBP"]
    assert refs[0].get("MethodOID") == "MT.VS.VSSTRESN.ABI"
    assert refs[0].find("def:WhereClauseRef", NS).get("WhereClauseOID") == "WC.VS.VSTESTCD.ABI"
    wc = mdv.find("def:WhereClauseDef[@OID='WC.SUPPDM.QNAM.RACE2']", NS)
    check = wc.find("odm:RangeCheck", NS)
    assert check.get("Comparator") == "EQ"
    assert check.get(f"{{{DEF}}}ItemOID") == "IT.SUPPDM.QNAM"
    assert [v.text for v in check.findall("odm:CheckValue", NS)] == ["RACE2"]
    assert len(mdv.findall("def:WhereClauseDef", NS)) == 3


def test_codelists():
    mdv = _mdv(define_xml(tabulation()))

    def codelist(oid):
        return mdv.find(f"odm:CodeList[@OID='{oid}']", NS)

    sex = codelist("CL.SEX")
    assert [i.get("CodedValue") for i in sex.findall("odm:EnumeratedItem", NS)] == ["F", "M"]
    assert sex.find("odm:EnumeratedItem/odm:Alias", NS).attrib == {
        "Context": "nci:ExtCodeID",
        "Name": "C16576",
    }
    assert sex.find("odm:Alias", NS).get("Name") == "C66731"
    assert sex.get(f"{{{DEF}}}StandardOID") == "STD.CT.SDTM"
    testcd = codelist("CL.VSTESTCD")
    items = testcd.findall("odm:CodeListItem", NS)
    assert [i.get("CodedValue") for i in items] == ["ABI", "SYSBP", "TBI"]
    assert [i.get(f"{{{DEF}}}ExtendedValue") for i in items] == [None, None, "Yes"]
    assert items[2].find("odm:Alias", NS) is None  # a sponsor term has no C-code
    assert items[1].findtext("odm:Decode/odm:TranslatedText", namespaces=NS) == (
        "Systolic Blood Pressure"
    )
    country = codelist("CL.COUNTRY")
    external = country.find("odm:ExternalCodeList", NS)
    assert external.attrib == {"Dictionary": "ISO 3166", "Version": "2020-08"}
    assert f"{{{DEF}}}IsNonStandard" not in country.attrib
    assert f"{{{DEF}}}StandardOID" not in country.attrib
    ana = _mdv(define_xml(analysis()))
    paramcd = ana.find("odm:CodeList[@OID='CL.PARAMCD']", NS)
    assert paramcd.get(f"{{{DEF}}}IsNonStandard") == "Yes"
    assert paramcd.find("odm:Alias", NS) is None


def test_methods_and_comments():
    tab = _mdv(define_xml(tabulation()))
    methods = {m.get("OID"): m for m in tab.findall("odm:MethodDef", NS)}
    # Variables and values with a method in sample.tabulation(): DM.USUBJID, VS.USUBJID,
    # VS.VSSEQ, VS.VSSTRESN, SUPPDM.USUBJID, and the values ABI and SYSBP.
    assert sorted(methods) == sorted(
        [
            "MT.DM.USUBJID",
            "MT.VS.USUBJID",
            "MT.VS.VSSEQ",
            "MT.VS.VSSTRESN",
            "MT.SUPPDM.USUBJID",
            "MT.VS.VSSTRESN.ABI",
            "MT.VS.VSSTRESN.SYSBP",
        ]
    )
    assert {m.get("Type") for m in methods.values()} == {"Computation"}
    assert methods["MT.VS.VSSEQ"].findtext("odm:Description/odm:TranslatedText", namespaces=NS) == (
        "Numbered per subject by VSDTC, VSTESTCD"
    )
    comments = {c.get("OID"): c for c in tab.findall("def:CommentDef", NS)}
    assert list(comments) == ["COM.DM.COUNTRY"]
    doc = tabulation()
    dm = doc.dataset("DM")
    age = replace(dm.variable("AGE"), method="Imputed from the birth date when missing")
    dm = replace(
        dm,
        comment="One row per enrolled subject",
        variables=tuple(age if v.name == "AGE" else v for v in dm.variables),
    )
    changed = replace(doc, datasets=(dm, *doc.datasets[1:]), comment="Draft for review")
    mdv = _mdv(define_xml(changed))
    assert mdv.find("odm:MethodDef[@OID='MT.DM.AGE']", NS).get("Type") == "Imputation"
    assert _item_group(define_xml(changed), "DM").get(f"{{{DEF}}}CommentOID") == "COM.DM"
    assert mdv.get(f"{{{DEF}}}CommentOID") == "COM.MDV.SAIL.SDTM"
    assert {c.get("OID") for c in mdv.findall("def:CommentDef", NS)} == {
        "COM.DM",
        "COM.DM.COUNTRY",
        "COM.MDV.SAIL.SDTM",
    }


def test_documents_and_standards():
    mdv = _mdv(define_xml(tabulation()))
    assert mdv.find("def:AnnotatedCRF/def:DocumentRef", NS).get("leafID") == "LF.acrf"
    assert [r.get("leafID") for r in mdv.findall("def:SupplementalDoc/def:DocumentRef", NS)] == [
        "LF.csdrg"
    ]
    leaves = mdv.findall("def:leaf", NS)
    assert [(leaf.get("ID"), leaf.findtext("def:title", namespaces=NS)) for leaf in leaves] == [
        ("LF.acrf", "Annotated CRF"),
        ("LF.csdrg", "Reviewer's Guide"),
    ]
    ct = mdv.find("def:Standards/def:Standard[@OID='STD.CT.SDTM']", NS)
    assert ct.attrib == {
        "OID": "STD.CT.SDTM",
        "Name": "CDISC/NCI",
        "Type": "CT",
        "PublishingSet": "SDTM",
        "Version": "2025-03-28",
        "Status": "Final",
    }


def test_analysis_results():
    mdv = _mdv(define_xml(analysis()))
    result = mdv.find("arm:AnalysisResultDisplays/arm:ResultDisplay/arm:AnalysisResult", NS)
    assert result.get("ParameterOID") == "IT.ADTTE.PARAMCD"
    assert result.get("AnalysisReason") == "SPECIFIED IN SAP"
    dataset = result.find("arm:AnalysisDatasets/arm:AnalysisDataset", NS)
    assert dataset.get("ItemGroupOID") == "IG.ADTTE"
    assert dataset.find("def:WhereClauseRef", NS).get("WhereClauseOID") == (
        "WC.ADTTE.PARAMCD.TTMAJAMP"
    )
    assert [v.get("ItemOID") for v in dataset.findall("arm:AnalysisVariable", NS)] == [
        "IT.ADTTE.AVAL",
        "IT.ADTTE.CNSR",
    ]
    assert result.find("arm:ProgrammingCode", NS).get("Context") == "Python 3.11"
    assert "km_estimate" in result.findtext("arm:ProgrammingCode/arm:Code", namespaces=NS)
    # The ARM where clause is also the value-level one: written once.
    assert len(mdv.findall("def:WhereClauseDef", NS)) == 1


# --- references -----------------------------------------------------------------------------

# (xpath of the referring attribute's element, attribute, what it must name)
REFERENCES = [
    (".//odm:ItemGroupDef/odm:ItemRef", "ItemOID", "ItemDef"),
    (".//def:ValueListDef/odm:ItemRef", "ItemOID", "ItemDef"),
    (".//odm:ItemRef", "MethodOID", "MethodDef"),
    (".//odm:CodeListRef", "CodeListOID", "CodeList"),
    (".//def:ValueListRef", "ValueListOID", "def:ValueListDef"),
    (".//def:WhereClauseRef", "WhereClauseOID", "def:WhereClauseDef"),
    (".//odm:RangeCheck", f"{{{DEF}}}ItemOID", "ItemDef"),
    (".//*[@def:CommentOID]", f"{{{DEF}}}CommentOID", "def:CommentDef"),
    (".//def:DocumentRef", "leafID", "def:leaf"),
    (".//odm:ItemGroupDef", f"{{{DEF}}}ArchiveLocationID", "def:leaf"),
    (".//*[@def:StandardOID]", f"{{{DEF}}}StandardOID", "def:Standard"),
    (".//arm:AnalysisDataset", "ItemGroupOID", "ItemGroupDef"),
    (".//arm:AnalysisVariable", "ItemOID", "ItemDef"),
    (".//arm:AnalysisResult", "ParameterOID", "ItemDef"),
]


def _defined(root: etree._Element) -> dict[str, set[str]]:
    defined: dict[str, set[str]] = {}
    for element in root.iter(etree.Element):
        oid = element.get("OID") or element.get("ID")
        if oid is not None:
            defined.setdefault(_local(element), set()).add(oid)
    return defined


def test_every_reference_resolves_and_every_oid_is_unique():
    used_kinds: set[tuple[str, str]] = set()
    for build in SAMPLES.values():
        root = _root(define_xml(build()))
        defined = _defined(root)
        for xpath, attribute, kind in REFERENCES:
            for element in root.iterfind(xpath, NS):
                value = element.get(attribute)
                if value is None:
                    continue
                assert value in defined.get(kind, set()), (xpath, attribute, value)
                used_kinds.add((xpath, attribute))
        ids = [e.get("OID") or e.get("ID") for e in root.iter(etree.Element)]
        ids = [i for i in ids if i is not None]
        assert len(ids) == len(set(ids))
        # Nothing defined and never used: every method, comment and where clause is referenced.
        referenced = {e.get(a) for x, a, _ in REFERENCES for e in root.iterfind(x, NS)}
        for kind in ("MethodDef", "def:CommentDef", "def:WhereClauseDef", "def:ValueListDef"):
            assert defined.get(kind, set()) <= referenced, kind
    # Every kind of reference occurs in the samples, so none of the checks above is vacuous.
    assert used_kinds == {(x, a) for x, a, _ in REFERENCES}


# --- stylesheet -----------------------------------------------------------------------------


def test_official_stylesheet_renders_every_dataset(written):
    name, content = written
    transform = etree.XSLT(etree.parse(str(XSD / "stylesheets" / "define2-1.xsl")))
    html = transform(_root(content).getroottree())
    errors = [e for e in transform.error_log if e.level >= etree.ErrorLevels.ERROR]
    assert errors == []
    page = etree.HTML(str(html))
    ids = {e.get("id") for e in page.iter() if e.get("id")}
    links = {a.get("href") for a in page.iter("a")}
    for dataset in SAMPLES[name]().datasets:
        assert f"IG.{dataset.name}" in ids
        assert f"{dataset.name.lower()}.xpt" in links


# --- refusals and writing -------------------------------------------------------------------


def test_refuses_what_it_cannot_write_faithfully():
    doc = tabulation()
    vl = doc.value_lists[0]
    clash = replace(vl.values[0], oid="IT.VS.VSSTRESN")  # the parent variable's own OID
    other = replace(
        vl.values[1],
        where=replace(vl.values[1].where, oid="WC.VS.VSTESTCD.ABI"),  # same OID, other check
    )
    broken = replace(
        doc,
        value_lists=(
            ValueListDef(vl.oid, vl.dataset, vl.variable, (clash, other)),
            *doc.value_lists[1:],
        ),
        datasets=(replace(doc.dataset("DM"), standard="SDTMIG 3.3"), *doc.datasets[1:]),
        codelists=(
            *doc.codelists,
            CodeListDef("CL.BOTH", "Both", "text", (CodeListTerm("A"),), external=("X", "1")),
        ),
    )
    with pytest.raises(SpecError) as error:
        define_xml(broken)
    message = error.value.message
    assert "WC.VS.VSTESTCD.ABI is defined twice" in message
    assert "dataset DM: standard 'SDTMIG 3.3'" in message
    assert "codelist CL.BOTH has both" in message
    only_clash = replace(
        doc,
        value_lists=(ValueListDef(vl.oid, vl.dataset, vl.variable, (clash,)), *doc.value_lists[1:]),
    )
    with pytest.raises(SpecError, match=r"OID IT\.VS\.VSSTRESN is used by 2 elements"):
        define_xml(only_clash)


def test_value_without_decode_in_decoded_list_and_dangling_references_are_written():
    doc = tabulation()
    cl = CodeListDef("CL.X", "X", "text", (CodeListTerm("A", "Alpha"), CodeListTerm("B")))
    value = ValueDef(
        "IT.VS.VSSTRESN.X", "VSSTRESN", "X", "text", doc.value_lists[0].values[0].where, 3
    )
    vl = doc.value_lists[0]
    changed = replace(
        doc,
        codelists=(*doc.codelists, cl),
        value_lists=(replace(vl, values=(*vl.values, replace(value, codelist="CL.NOPE"))),),
    )
    mdv = _mdv(define_xml(changed))
    items = mdv.findall("odm:CodeList[@OID='CL.X']/odm:CodeListItem", NS)
    decodes = [i.findtext("odm:Decode/odm:TranslatedText", namespaces=NS) for i in items]
    assert decodes == ["Alpha", "B"]
    ref = mdv.find("odm:ItemDef[@OID='IT.VS.VSSTRESN.X']/odm:CodeListRef", NS)
    assert ref.get("CodeListOID") == "CL.NOPE"  # the rules report it; the writer does not hide it


def test_write_define(tmp_path):
    target = write_define(analysis(), tmp_path / "adam")
    assert target == tmp_path / "adam" / "define.xml"
    assert target.read_bytes() == define_xml(analysis())
    assert schema_problems(target, XSD) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["define.xml"]
    with pytest.raises(UsageError, match="bare file name"):
        write_define(analysis(), tmp_path, name="sub/define.xml")
    with pytest.raises(UsageError, match="bare file name"):
        write_define(analysis(), tmp_path, name="define.html")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        write_define(analysis(), tmp_path / "file")
