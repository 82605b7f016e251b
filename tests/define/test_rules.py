"""Define-XML checks the schema does not make, and `cdisc validate` running them.

Defines are written from tests/define/sample.py with define.xml.write_define and then broken
by editing their tree; datasets are written with cdisc.writers. Expected findings follow
from the edit made (one broken reference -> one DEF001 naming that OID), never from a run.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree

from cdisc.cli import main
from cdisc.errors import InputError, UsageError
from cdisc.metadata import DatasetDef, DefineDocument, VariableDef
from cdisc.writers import write_dataset_json, write_xpt
from define.rules import FINDING_COLUMNS, RULES, check_define, format_findings
from define.xml import write_define
from tests.define.sample import analysis, tabulation

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = SHARED / "standards" / "examples"
RULE_CATALOGUES = SHARED / "standards" / "rules"
NS = {
    "o": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.1",
    "arm": "http://www.cdisc.org/ns/arm/v1.0",
}
DEF = "{" + NS["def"] + "}"
CREATED = datetime(2025, 1, 1, 12, 0)


# --- helpers ---------------------------------------------------------------------------------


def frame_for(dataset: DatasetDef) -> pd.DataFrame:
    """Two records whose Char values are exactly as long as the defined length."""
    columns = {}
    for var in dataset.variables:
        if var.xpt_type == "Char":
            columns[var.name] = ["A" * (var.length or 1)] * 2
        else:
            columns[var.name] = [1.0, 2.0]
    return pd.DataFrame(columns)


def write_package(doc: DefineDocument, folder: Path, datasets=None) -> Path:
    """define.xml, its documents (empty files) and one XPT per dataset, in ``folder``."""
    define = write_define(doc, folder)
    for leaf in doc.leaves:
        (folder / leaf.href).write_bytes(b"%PDF-1.4\n")
    for ds in doc.datasets if datasets is None else datasets:
        write_xpt(frame_for(ds), ds, folder, created=CREATED)
    return define


def edit(define: Path, change) -> Path:
    """Apply ``change(root)`` to the define's tree and write it back."""
    tree = etree.parse(str(define))
    change(tree.getroot())
    tree.write(str(define), xml_declaration=True, encoding="UTF-8")
    return define


def one(root, xpath: str):
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def rows(findings: pd.DataFrame, rule: str) -> pd.DataFrame:
    return findings[findings["rule"] == rule]


# --- the rule table --------------------------------------------------------------------------


def test_every_cited_p21_id_is_in_the_catalogue_with_a_define_message():
    messages = {}
    for name in ("p21_sdtm_rules.csv", "p21_adam_rules.csv"):
        with (RULE_CATALOGUES / name).open(encoding="utf-8", newline="") as handle:
            # A few catalogue lines have an extra field; the ID and message come first.
            messages.update({row[0]: row[2] for row in csv.reader(handle)})
    cited = {rule.p21 for rule in RULES.values() if rule.p21}
    assert cited == {"SD1063", "SD0061", "SD0060", "SD0054", "SD0059", "SD1324", "SD1325"}
    for p21 in cited:
        assert "define.xml" in messages[p21].lower(), p21
    assert {rule.severity for rule in RULES.values()} == {"error", "warning"}


# --- clean defines ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [tabulation, analysis])
def test_clean_sample_define_with_matching_data_has_no_findings(make, tmp_path):
    define = write_package(make(), tmp_path)
    findings = check_define(define, tmp_path)
    assert list(findings.columns) == list(FINDING_COLUMNS)
    assert findings.empty, findings.to_string()


def test_official_examples_have_no_dangling_or_unused_oids():
    examples = sorted(EXAMPLES.glob("*.xml"))
    assert len(examples) == 3
    for example in examples:
        findings = check_define(example)
        assert rows(findings, "DEF001").empty, example.name
        assert rows(findings, "DEF002").empty, example.name
        # Their documents and datasets are not shipped beside them.
        assert (rows(findings, "DEF006")["line"] > 0).all()


def test_official_sdtm_example_derived_items_without_method():
    # Read from the file: ItemRefs at lines 555-556 have no MethodOID and their ItemDefs
    # (IT.EC.EXDOSE, IT.EC.EXDOSU) say def:Origin Type="Derived".
    findings = check_define(EXAMPLES / "defineV21-SDTM.xml")
    derived = rows(findings, "DEF003")
    assert derived[["dataset", "variable", "oid", "line"]].values.tolist() == [
        ["EC", "ECDOSE", "IT.EC.EXDOSE", 555],
        ["EC", "ECDOSU", "IT.EC.EXDOSU", 556],
    ]


def test_define_20_namespace_is_read(tmp_path):
    text = (EXAMPLES / "defineV21-SDTM.xml").read_text(encoding="utf-8")
    old = tmp_path / "define.xml"
    old.write_text(text.replace("ns/def/v2.1", "ns/def/v2.0"), encoding="utf-8")
    findings = check_define(old)
    assert rows(findings, "DEF001").empty
    assert rows(findings, "DEF003")["oid"].tolist() == ["IT.EC.EXDOSE", "IT.EC.EXDOSU"]


# --- a broken define -------------------------------------------------------------------------


def test_each_break_is_reported_with_its_rule(tmp_path):
    define = write_package(tabulation(), tmp_path)

    def breaks(root):
        one(root, "//o:ItemGroupDef[@OID='IG.DM']/o:ItemRef[@ItemOID='IT.DM.AGE']").set(
            "ItemOID", "IT.DM.AGEX"
        )
        sex = one(root, "//o:ItemDef[@OID='IT.DM.SEX']")
        sex.remove(one(sex, "o:CodeListRef"))
        sex.remove(one(sex, "o:Description"))
        del one(root, "//o:ItemGroupDef[@OID='IG.VS']/o:ItemRef[@ItemOID='IT.VS.VSSEQ']").attrib[
            "MethodOID"
        ]
        del one(root, "//o:ItemDef[@OID='IT.DM.COUNTRY']").attrib["Length"]

    edit(define, breaks)
    (tmp_path / "csdrg.pdf").unlink()
    findings = check_define(define)
    got = set(
        zip(findings["rule"], findings["p21"], findings["severity"], findings["oid"], strict=True)
    )
    assert ("DEF001", "", "error", "IT.DM.AGEX") in got
    assert ("DEF002", "", "warning", "IT.DM.AGE") in got  # nothing refers to it any more
    assert ("DEF002", "", "warning", "CL.SEX") in got
    assert ("DEF003", "", "error", "IT.VS.VSSEQ") in got
    assert ("DEF004", "", "error", "IT.DM.SEX") in got
    assert ("DEF005", "", "error", "IT.DM.COUNTRY") in got
    assert ("DEF006", "", "error", "LF.csdrg") in got
    method = one(
        etree.parse(str(define)).getroot(),
        "//o:MethodDef[o:Description/o:TranslatedText='Numbered per subject by VSDTC, VSTESTCD']",
    ).get("OID")
    assert ("DEF002", "", "warning", method) in got
    assert len(findings) == 8, findings.to_string()
    dangling = rows(findings, "DEF001").iloc[0]
    assert dangling["dataset"] == "DM"
    assert 'ItemRef ItemOID="IT.DM.AGEX" refers to no ItemDef' in dangling["message"]
    line = next(
        n for n, text in enumerate(define.read_text().splitlines(), 1) if '"IT.DM.AGEX"' in text
    )
    assert dangling["line"] == line
    derived = rows(findings, "DEF003").iloc[0]
    assert (derived["dataset"], derived["variable"]) == ("VS", "VSSEQ")
    assert "no MethodOID" in derived["message"]


def _set(xpath: str, attribute: str):
    def change(root):
        one(root, xpath).set(attribute, "XX.NOWHERE")

    return change


@pytest.mark.parametrize(
    ("make", "xpath", "attribute", "kind"),
    [
        (tabulation, "//o:ItemDef[@OID='IT.DM.SEX']/o:CodeListRef", "CodeListOID", "CodeList"),
        (
            tabulation,
            "//o:ItemDef[@OID='IT.VS.VSSTRESN']/def:ValueListRef",
            "ValueListOID",
            "ValueListDef",
        ),
        (tabulation, "//o:ItemRef[@ItemOID='IT.VS.VSSEQ']", "MethodOID", "MethodDef"),
        (tabulation, "//o:ItemGroupDef[@OID='IG.DM']", f"{DEF}CommentOID", "CommentDef"),
        (
            tabulation,
            "//o:ItemDef[@OID='IT.DM.COUNTRY']",
            f"{DEF}CommentOID",
            "CommentDef",
        ),
        (tabulation, "(//def:WhereClauseRef)[1]", "WhereClauseOID", "WhereClauseDef"),
        (tabulation, "//def:AnnotatedCRF/def:DocumentRef", "leafID", "leaf"),
        (tabulation, "//o:ItemGroupDef[@OID='IG.VS']", f"{DEF}ArchiveLocationID", "leaf"),
        (tabulation, "//o:ItemGroupDef[@OID='IG.VS']", f"{DEF}StandardOID", "Standard"),
        (analysis, "//arm:AnalysisDataset", "ItemGroupOID", "ItemGroupDef"),
        (analysis, "(//arm:AnalysisVariable)[1]", "ItemOID", "ItemDef"),
        (tabulation, "(//o:RangeCheck)[1]", f"{DEF}ItemOID", "ItemDef"),
    ],
)
def test_every_kind_of_reference_is_resolved(make, xpath, attribute, kind, tmp_path):
    define = write_define(make(), tmp_path)
    edit(define, _set(xpath, attribute))
    dangling = rows(check_define(define), "DEF001")
    assert dangling["oid"].tolist() == ["XX.NOWHERE"]
    assert f"refers to no {kind}:" in dangling["message"].iloc[0]


def test_unused_definitions_of_each_kind(tmp_path):
    define = write_define(tabulation(), tmp_path)

    def orphans(root):
        mdv = one(root, "//o:MetaDataVersion")
        where = one(root, "(//def:WhereClauseDef)[last()]")
        where.addnext(
            etree.fromstring(
                f'<def:WhereClauseDef xmlns:def="{NS["def"]}" xmlns="{NS["o"]}" OID="WC.ORPHAN">'
                '<RangeCheck Comparator="EQ" SoftHard="Soft" def:ItemOID="IT.VS.VSTESTCD">'
                "<CheckValue>X</CheckValue></RangeCheck></def:WhereClauseDef>"
            )
        )
        vs = one(root, "//o:ItemDef[@OID='IT.VS.VSSTRESN']")
        vs.remove(one(vs, "def:ValueListRef"))
        assert mdv is not None

    edit(define, orphans)
    unused = rows(check_define(define), "DEF002")
    # The value list loses its only reference; its ItemDefs and where clauses stay used.
    assert set(unused["oid"]) == {"WC.ORPHAN", "VL.VS.VSSTRESN"}
    assert (unused["severity"] == "warning").all()


def test_value_level_item_without_description_is_a_warning(tmp_path):
    define = write_define(tabulation(), tmp_path)

    def strip(root):
        item = one(root, "//o:ItemDef[@OID='IT.SUPPDM.QVAL.RACE2']")
        one(item, "o:Description/o:TranslatedText").text = "  "

    edit(define, strip)
    found = rows(check_define(define), "DEF004")
    assert found[["oid", "severity", "dataset", "variable"]].values.tolist() == [
        ["IT.SUPPDM.QVAL.RACE2", "warning", "SUPPDM", "QVAL"]
    ]
    assert "has an empty Description" in found["message"].iloc[0]


# --- define versus data ----------------------------------------------------------------------


def test_define_and_data_that_differ(tmp_path):
    doc = tabulation()
    dm, vs, suppdm = doc.datasets
    age = dm.variable("AGE")
    usubjid = vs.variable("USUBJID")
    vsstresn = vs.variable("VSSTRESN")
    data = (
        # DM: AGE's label differs, and an extra variable RACE is in the data only.
        replace(
            dm,
            variables=(
                *(replace(v, label="Age in Years") if v is age else v for v in dm.variables),
                VariableDef("RACE", "Race", "text", 7, 5),
            ),
        ),
        # VS: USUBJID is 12 bytes in the data (11 in the define), VSSTRESN stored as Char.
        replace(
            vs,
            variables=tuple(
                replace(v, length=12)
                if v is usubjid
                else replace(v, data_type="text", length=3)
                if v is vsstresn
                else v
                for v in vs.variables
            ),
        ),
        # SUPPDM: QVAL missing from the data, and the dataset label differs.
        replace(
            suppdm,
            label="Supplemental Qualifiers DM",
            variables=tuple(v for v in suppdm.variables if v.name != "QVAL"),
        ),
        # AE: a dataset the define does not describe.
        DatasetDef(
            "AE",
            "Adverse Events",
            "Tabulation",
            "SDTMIG 3.4",
            "Events",
            "One record per event",
            (VariableDef("STUDYID", "Study Identifier", "text", 1, 4),),
        ),
    )
    define = write_package(doc, tmp_path, datasets=data)
    findings = check_define(define, tmp_path)
    got = sorted(
        zip(
            findings["rule"],
            findings["p21"],
            findings["severity"],
            findings["dataset"],
            findings["variable"],
            strict=True,
        )
    )
    assert got == [
        ("DEF007", "SD1063", "error", "AE", ""),
        ("DEF009", "SD0060", "error", "DM", "RACE"),
        ("DEF010", "SD0054", "warning", "SUPPDM", "QVAL"),
        ("DEF011", "SD0059", "error", "VS", "VSSTRESN"),
        ("DEF012", "", "error", "VS", "USUBJID"),
        ("DEF013", "SD1324", "error", "DM", "AGE"),
        ("DEF014", "SD1325", "error", "SUPPDM", ""),
    ]
    length = rows(findings, "DEF012").iloc[0]
    assert length["oid"] == "IT.VS.USUBJID"
    assert 'Length="11"' in length["message"] and "12 bytes" in length["message"]
    label = rows(findings, "DEF013").iloc[0]["message"]
    assert '"Age" differs from the label "Age in Years"' in label


def test_dataset_json_and_a_dataset_missing_from_the_data(tmp_path):
    doc = analysis()
    adsl, _ = doc.datasets
    define = write_package(doc, tmp_path, datasets=())
    write_dataset_json(
        frame_for(adsl),
        adsl,
        tmp_path,
        created=CREATED,
        study_oid="SAIL",
        metadata_version_oid=doc.mdv_oid,
    )
    (tmp_path / "build_report.json").write_text('{"errors": []}', encoding="utf-8")
    findings = check_define(define, tmp_path)
    # adsl.json matches its ItemGroupDef; adtte.xpt is absent (and so is its leaf's file).
    assert sorted(zip(findings["rule"], findings["p21"], findings["oid"], strict=True)) == [
        ("DEF006", "", "LF.ADSL"),
        ("DEF006", "", "LF.ADTTE"),
        ("DEF008", "SD0061", "IG.ADTTE"),
    ]


# --- bad input -------------------------------------------------------------------------------


def test_malformed_define_is_input_error_with_location(tmp_path):
    bad = tmp_path / "define.xml"
    bad.write_text('<?xml version="1.0"?>\n<ODM>\n  <Study>\n</ODM>\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        check_define(bad)
    assert caught.value.location.startswith("line 4, column")
    assert "not well-formed XML" in caught.value.message
    assert caught.value.path == str(bad)


def test_entity_expansion_is_refused(tmp_path):
    bomb = tmp_path / "define.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&b;</ODM>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="DOCTYPE declares entities") as caught:
        check_define(bomb)
    assert caught.value.hint == "remove the <!DOCTYPE ...> declaration and any entity references"
    assert caught.value.location == "line 2"


def test_external_entity_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    xxe = tmp_path / "define.xml"
    xxe.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&x;</ODM>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        check_define(xxe)
    assert "TOPSECRET" not in str(caught.value)


def test_not_a_define(tmp_path):
    other = tmp_path / "define.xml"
    other.write_text('<?xml version="1.0"?>\n<html><body/></html>\n', encoding="utf-8")
    with pytest.raises(InputError, match="root element is 'html'"):
        check_define(other)
    odm = tmp_path / "odm.xml"
    odm.write_text('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>', encoding="utf-8")
    with pytest.raises(InputError, match="no Study/MetaDataVersion"):
        check_define(odm)


def test_missing_paths_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="is not a file"):
        check_define(tmp_path / "nope.xml")
    define = write_define(tabulation(), tmp_path)
    with pytest.raises(UsageError, match="is not a folder"):
        check_define(define, tmp_path / "nodata")


def test_unreadable_xpt_is_input_error(tmp_path):
    define = write_define(tabulation(), tmp_path)
    (tmp_path / "dm.xpt").write_text("<html>Not found</html>", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable SAS XPORT file"):
        check_define(define, tmp_path)


# --- the table and the command ---------------------------------------------------------------


def test_format_findings_lists_rule_p21_and_counts(tmp_path):
    define = write_package(tabulation(), tmp_path)
    (tmp_path / "acrf.pdf").unlink()
    text = format_findings(check_define(define, tmp_path))
    lines = text.splitlines()
    assert lines[0].split() == ["rule", "P21", "severity", "dataset", "variable", "message"]
    assert lines[1].startswith("DEF006")
    assert lines[-1] == "define.xml: 1 error, 0 warnings (DEF006 1)"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_validate_runs_the_define_checks(tmp_path):
    write_package(tabulation(), tmp_path)
    # The conformance rules judge the tiny sample data too; this test is about the define.
    result = run("validate", str(tmp_path), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert "dm.xpt" in result.output
    assert "define.xml: no findings (0 errors, 0 warnings)" in result.output


def test_validate_exits_1_on_define_errors(tmp_path):
    define = write_package(tabulation(), tmp_path)
    edit(define, _set("//o:ItemDef[@OID='IT.DM.SEX']/o:CodeListRef", "CodeListOID"))
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1, result.output
    finding = next(line for line in result.output.splitlines() if line.startswith("DEF001"))
    assert finding.split()[:4] == ["DEF001", "error", "DM", "SEX"]
    assert "define.xml: 1 error, 1 warning (DEF001 1, DEF002 1)" in result.output


def test_validate_warnings_only_exit_0(tmp_path):
    doc = tabulation()
    define = write_package(doc, tmp_path, datasets=doc.datasets[:2])  # no suppdm.xpt
    # The leaf to suppdm.xpt is now broken too (an error), so point it at an existing file.
    edit(
        define,
        lambda root: one(root, "//def:leaf[@ID='LF.SUPPDM']").set(
            "{http://www.w3.org/1999/xlink}href", "dm.xpt"
        ),
    )
    # Only define findings fail the command here: the tiny sample data trips conformance
    # rules of its own, which --fail-on never keeps out of the exit code.
    result = run("validate", str(tmp_path), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert "DEF008  SD0061" in result.output
    assert "define.xml: 0 errors, 1 warning (DEF008 1)" in result.output


def test_validate_without_define_says_not_checked(tmp_path):
    write_xpt(
        frame_for(tabulation().datasets[0]), tabulation().datasets[0], tmp_path, created=CREATED
    )
    result = run("validate", str(tmp_path), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert "define.xml: not found — define checks NOT CHECKED" in result.output
    assert "  no define.xml: DEF001" in result.output


def test_validate_malformed_define_is_a_clean_error(tmp_path):
    write_package(tabulation(), tmp_path)
    (tmp_path / "define.xml").write_text("<ODM>\n<Study>\n", encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'define.xml'}, line 3, column" in result.stderr
    assert "Traceback" not in result.output
