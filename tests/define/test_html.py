"""define.html: structure, links, coverage of the sample documents, escaping, determinism.

Expected ids and texts are written out from the sample documents (tests/define/sample.py) and the
OID conventions of the brief, not taken from the page itself.
"""

from __future__ import annotations

import doctest
import importlib.util
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest

import define.html as define_html_module
from cdisc.errors import UsageError
from cdisc.metadata import CodeListTerm, DocumentLeaf, RangeCheck, WhereClause
from define.html import define_html, where_text, write_define_html
from tests.define.sample import analysis, tabulation

# Counted by hand from tests/define/sample.py.
TABULATION_VARIABLES = {
    "DM": ["STUDYID", "DOMAIN", "USUBJID", "AGE", "SEX", "COUNTRY"],
    "VS": ["STUDYID", "USUBJID", "VSSEQ", "VSTESTCD", "VSSTRESN", "VSDTC"],
    "SUPPDM": ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"],
}
ANALYSIS_VARIABLES = {
    "ADSL": ["STUDYID", "USUBJID", "TRT01P", "TRTSDT", "SAFFL"],
    "ADTTE": ["STUDYID", "USUBJID", "PARAMCD", "AVAL", "CNSR"],
}
TABULATION_METHODS = {  # method OID -> (text, the row it is used by)
    "MT.DM.USUBJID": ("STUDYID, a hyphen and the subject number", "var-IT.DM.USUBJID"),
    "MT.VS.USUBJID": ("STUDYID, a hyphen and the subject number", "var-IT.VS.USUBJID"),
    "MT.VS.VSSEQ": ("Numbered per subject by VSDTC, VSTESTCD", "var-IT.VS.VSSEQ"),
    "MT.VS.VSSTRESN": ("VSORRES as a number", "var-IT.VS.VSSTRESN"),
    "MT.SUPPDM.USUBJID": ("STUDYID, a hyphen and the subject number", "var-IT.SUPPDM.USUBJID"),
    "MT.VS.VSSTRESN.ABI": (
        "Highest ankle pressure divided by the highest brachial pressure",
        "val-IT.VS.VSSTRESN.ABI",
    ),
    "MT.VS.VSSTRESN.SYSBP": ("VSORRES as a number", "val-IT.VS.VSSTRESN.SYSBP"),
}
ANALYSIS_METHODS = {
    "MT.ADSL.TRT01P": ("ARM decoded", "var-IT.ADSL.TRT01P"),
    "MT.ADSL.TRTSDT": ("EX.EXSTDTC, earliest record", "var-IT.ADSL.TRTSDT"),
    "MT.ADSL.SAFFL": ("Y when TRTSDT present, else N", "var-IT.ADSL.SAFFL"),
    "MT.ADTTE.AVAL": ("ADT - STARTDT + 1", "var-IT.ADTTE.AVAL"),
    "MT.ADTTE.CNSR": ("0 for an event, 1 censored, 2 competing event", "var-IT.ADTTE.CNSR"),
    "MT.ADTTE.AVAL.TTMAJAMP": ("ADT - STARTDT + 1", "val-IT.ADTTE.AVAL.TTMAJAMP"),
}
TABULATION_COMMENTS = {"COM.DM.COUNTRY": ("The country of the site", "var-IT.DM.COUNTRY")}
TABULATION_CODELISTS = {
    "CL.DOMAIN": "Domain Abbreviation",
    "CL.SEX": "Sex",
    "CL.RACE": "Race",
    "CL.VSTESTCD": "Vital Signs Test Code",
    "CL.COUNTRY": "Country",
}
ANALYSIS_CODELISTS = {
    "CL.NY": "No Yes Response",
    "CL.PARAMCD": "Parameter Code",
    "CL.CNSR": "Censor",
}
VALUE_ROWS = {  # value-level ItemDef -> (where clause in words, value list)
    "IT.VS.VSSTRESN.ABI": ('VSTESTCD = "ABI"', "VL.VS.VSSTRESN"),
    "IT.VS.VSSTRESN.SYSBP": ('VSTESTCD = "SYSBP"', "VL.VS.VSSTRESN"),
    "IT.SUPPDM.QVAL.RACE2": ('QNAM = "RACE2"', "VL.SUPPDM.QVAL"),
    "IT.ADTTE.AVAL.TTMAJAMP": ('PARAMCD = "TTMAJAMP"', "VL.ADTTE.AVAL"),
}


@pytest.fixture(scope="module", params=["tabulation", "analysis"])
def page(request):
    doc = tabulation() if request.param == "tabulation" else analysis()
    text = define_html(doc)
    return request.param, text, lxml.html.document_fromstring(text)


def _row(tree, page_id: str):
    found = tree.xpath(f'//*[@id="{page_id}"]')
    assert len(found) == 1, f"{page_id}: {len(found)} elements"
    return found[0]


def _cells(tree, page_id: str) -> list[str]:
    return [td.text_content() for td in _row(tree, page_id).xpath("./td")]


def _hrefs(element) -> list[str]:
    return element.xpath(".//a/@href")


def test_page_parses_as_self_contained_html5(page):
    _, text, tree = page
    assert text.startswith("<!DOCTYPE html>\n")
    assert tree.tag == "html" and tree.get("lang") == "en"
    assert tree.xpath("//meta/@charset") == ["utf-8"]
    assert tree.xpath("//head/style"), "inline CSS"
    # Nothing the page needs from outside: no script, no stylesheet link, no loaded resource.
    assert not tree.xpath("//script | //link | //iframe | //img | //*[@src]")
    assert "url(" not in text and "@import" not in text


def test_every_internal_link_resolves_and_ids_are_unique(page):
    _, _, tree = page
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))
    targets = [h[1:] for h in tree.xpath("//a/@href") if h.startswith("#")]
    assert targets, "the page has internal links"
    assert sorted(set(targets) - set(ids)) == []


def test_contents_lists_every_section(page):
    kind, _, tree = page
    toc = _hrefs(_row(tree, "toc"))
    sections = [
        "#sec-standards",
        "#sec-documents",
        "#sec-datasets",
        "#sec-vlm",
        "#sec-codelists",
        "#sec-methods",
        "#sec-comments",
    ]
    assert [h for h in toc if h.startswith("#sec-")] == sections + (
        ["#sec-results"] if kind == "analysis" else []
    )
    datasets = TABULATION_VARIABLES if kind == "tabulation" else ANALYSIS_VARIABLES
    for name in datasets:
        assert f"#ds-IG.{name}" in toc


def test_every_dataset_and_variable_appears_with_its_file_link(page):
    kind, _, tree = page
    datasets = TABULATION_VARIABLES if kind == "tabulation" else ANALYSIS_VARIABLES
    for name, variables in datasets.items():
        section = _row(tree, f"ds-IG.{name}")
        assert f"{name.lower()}.xpt" in _hrefs(section)
        rows = section.xpath(".//tbody/tr/@id")
        assert rows == [f"var-IT.{name}.{v}" for v in variables]
        for variable in variables:
            assert _cells(tree, f"var-IT.{name}.{variable}")[0] == variable
    overview = _row(tree, "sec-datasets").xpath("./table//a/@href")
    assert [h for h in overview if h.endswith(".xpt")] == [f"{n.lower()}.xpt" for n in datasets]


def test_dataset_facts_for_dm():
    tree = lxml.html.document_fromstring(define_html(tabulation()))
    facts = {
        tr.xpath("./th")[0].text_content(): tr.xpath("./td")[0].text_content()
        for tr in _row(tree, "ds-IG.DM").xpath("./table[@class='facts']/tr")
    }
    assert facts["Label"] == "Demographics"
    assert facts["Class"] == "SPECIAL PURPOSE"  # def:Class spelling of "Special-Purpose"
    assert facts["Structure"] == "One record per subject"
    assert facts["Keys"] == "STUDYID, USUBJID"
    assert facts["Purpose"] == "Tabulation"
    assert facts["Standard"] == "SDTMIG 3.4"
    assert facts["Repeating"] == "No"
    assert facts["File"] == "dm.xpt"


def test_adtte_shows_class_and_subclass_and_no_role_column():
    tree = lxml.html.document_fromstring(define_html(analysis()))
    section = _row(tree, "ds-IG.ADTTE")
    assert "BASIC DATA STRUCTURE / TIME-TO-EVENT" in section.text_content()
    assert "Role" not in section.xpath(".//thead//th/text()")
    tabulation_tree = lxml.html.document_fromstring(define_html(tabulation()))
    assert "Role" in _row(tabulation_tree, "ds-IG.DM").xpath(".//thead//th/text()")
    # DM.AGE: name, label, type, length, ..., origin, ..., role.
    cells = _cells(tabulation_tree, "var-IT.DM.AGE")
    assert cells[:4] == ["AGE", "Age", "integer", "8"]
    assert cells[6] == "Collected (Investigator)"
    assert cells[9] == "Record Qualifier"


def test_variable_columns_link_codelist_method_comment_and_value_list():
    tree = lxml.html.document_fromstring(define_html(tabulation()))
    assert _hrefs(_row(tree, "var-IT.DM.SEX")) == ["#cl-CL.SEX"]
    assert _hrefs(_row(tree, "var-IT.DM.COUNTRY")) == ["#cl-CL.COUNTRY", "#com-COM.DM.COUNTRY"]
    assert _hrefs(_row(tree, "var-IT.VS.VSSTRESN")) == ["#mt-MT.VS.VSSTRESN", "#vl-VL.VS.VSSTRESN"]
    vsstresn = _cells(tree, "var-IT.VS.VSSTRESN")
    assert vsstresn[3] == "8 / 2"  # length 8, 2 significant digits
    adsl = lxml.html.document_fromstring(define_html(analysis()))
    assert _cells(adsl, "var-IT.ADSL.TRTSDT")[4] == "DATE9."


def test_predecessor_origin_shows_its_source_and_links_it():
    tree = lxml.html.document_fromstring(define_html(analysis()))
    row = _row(tree, "var-IT.ADTTE.STUDYID")
    assert "Predecessor: ADSL.STUDYID" in row.text_content()
    assert _hrefs(row) == ["#var-IT.ADSL.STUDYID"]
    # DM is not in the analysis define: the source is text, not a link.
    adsl = _row(tree, "var-IT.ADSL.STUDYID")
    assert "Predecessor: DM.STUDYID" in adsl.text_content()
    assert _hrefs(adsl) == []


@pytest.mark.parametrize(
    ("make", "methods", "comments"),
    [(tabulation, TABULATION_METHODS, TABULATION_COMMENTS), (analysis, ANALYSIS_METHODS, {})],
)
def test_methods_and_comments_are_anchored_and_linked_both_ways(make, methods, comments):
    tree = lxml.html.document_fromstring(define_html(make()))
    for kind, book, section in (("mt", methods, "sec-methods"), ("com", comments, "sec-comments")):
        rows = _row(tree, section).xpath(".//tbody/tr/@id")
        assert sorted(rows) == sorted(f"{kind}-{oid}" for oid in book)
        for oid, (text, used_by) in book.items():
            assert _cells(tree, f"{kind}-{oid}")[:2] == [oid, text]
            assert _hrefs(_row(tree, f"{kind}-{oid}")) == [f"#{used_by}"]
            assert f"#{kind}-{oid}" in _hrefs(_row(tree, used_by))


@pytest.mark.parametrize(("make", "expected"), [(tabulation, 3), (analysis, 1)])
def test_value_level_rows_show_where_clauses_in_words(make, expected):
    tree = lxml.html.document_fromstring(define_html(make()))
    rows = _row(tree, "sec-vlm").xpath(".//tbody/tr/@id")
    assert len(rows) == expected
    for row in rows:
        where, value_list = VALUE_ROWS[row.removeprefix("val-")]
        assert _cells(tree, row)[0] == where
        assert row in _row(tree, f"vl-{value_list}").xpath(".//tr/@id")
    # The value list links back to its variable, and the variable to it.
    parent = _row(tree, "vl-VL.VS.VSSTRESN") if make is tabulation else None
    if parent is not None:
        assert "#var-IT.VS.VSSTRESN" in _hrefs(parent)
        assert _hrefs(_row(tree, "val-IT.SUPPDM.QVAL.RACE2"))[0] == "#cl-CL.RACE"


@pytest.mark.parametrize(
    ("make", "codelists"), [(tabulation, TABULATION_CODELISTS), (analysis, ANALYSIS_CODELISTS)]
)
def test_every_codelist_appears_with_its_name(make, codelists):
    tree = lxml.html.document_fromstring(define_html(make()))
    sections = _row(tree, "sec-codelists").xpath("./section/@id")
    assert sections == [f"cl-{oid}" for oid in codelists]
    for oid, name in codelists.items():
        assert _row(tree, f"cl-{oid}").xpath("./h3")[0].text_content() == f"{name} {oid}"


def test_codelist_terms_nci_codes_extended_values_and_external_dictionary():
    tree = lxml.html.document_fromstring(define_html(tabulation()))
    section = _row(tree, "cl-CL.VSTESTCD")
    terms = [[td.text_content() for td in tr.xpath("./td")] for tr in section.xpath(".//tbody/tr")]
    assert terms == [
        ["ABI", "Ankle-Brachial Index", "C87304", ""],
        ["SYSBP", "Systolic Blood Pressure", "C25298", ""],
        ["TBI", "Toe-Brachial Index", "", "Yes"],
    ]
    assert "C66741" in section.text_content()
    assert "#var-IT.VS.VSTESTCD" in _hrefs(section)  # used by
    country = _row(tree, "cl-CL.COUNTRY")
    assert [td.text_content() for td in country.xpath(".//tbody/tr/td")] == ["ISO 3166", "2020-08"]


def test_documents_standards_and_analysis_results():
    tree = lxml.html.document_fromstring(define_html(tabulation()))
    assert _cells(tree, "doc-LF.acrf")[:3] == ["Annotated CRF", "acrf.pdf", "Annotated CRF"]
    assert _hrefs(_row(tree, "doc-LF.csdrg")) == ["csdrg.pdf"]
    assert _cells(tree, "std-STD.CT.SDTM")[:4] == ["CDISC/NCI", "CT", "2025-03-28", "SDTM"]
    assert _hrefs(_row(tree, "cl-CL.SEX")).count("#std-STD.CT.SDTM") == 1
    adam = lxml.html.document_fromstring(define_html(analysis()))
    display = _row(adam, "rd-RD.KM")
    assert "Figure 14.2.1" in display.xpath("./h3")[0].text_content()
    result = _row(adam, "ar-AR.KM.TTMAJAMP")
    text = result.text_content()
    assert 'PARAMCD = "TTMAJAMP"' in text and "SPECIFIED IN SAP" in text
    assert "adam.km.km_estimate(adtte[adtte.PARAMCD == 'TTMAJAMP'])" in text
    assert _hrefs(result) == [
        "#ds-IG.ADTTE",
        "#var-IT.ADTTE.PARAMCD",
        "#var-IT.ADTTE.AVAL",
        "#var-IT.ADTTE.CNSR",
    ]


def test_text_is_escaped():
    doc = tabulation()
    label = 'Vitals <b>bold</b> & "quoted"'
    vs = replace(doc.dataset("VS"), label=label, comment="</td><script>alert(1)</script>")
    sex = replace(doc.codelists[1], terms=(CodeListTerm("<M&F>", "a < b & c"),))
    doc = replace(
        doc,
        datasets=(doc.datasets[0], vs, doc.datasets[2]),
        codelists=(doc.codelists[0], sex, *doc.codelists[2:]),
    )
    text = define_html(doc)
    assert "<b>" not in text and "<script>" not in text and "<M&F>" not in text
    assert "Vitals &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in text
    tree = lxml.html.document_fromstring(text)
    assert not tree.xpath("//script | //b")
    assert _row(tree, "ds-IG.VS").xpath("./h3")[0].text_content() == f"VS: {label}"
    assert _cells(tree, "com-COM.VS")[1] == "</td><script>alert(1)</script>"
    assert [td.text_content() for td in _row(tree, "cl-CL.SEX").xpath(".//tbody/tr/td")][:2] == [
        "<M&F>",
        "a < b & c",
    ]


def test_dangling_references_and_unsafe_links_are_text_not_links():
    doc = tabulation()
    dm = doc.dataset("DM")
    age = replace(dm.variable("AGE"), codelist="CL.MISSING", value_list="VL.MISSING")
    dm = replace(dm, variables=tuple(age if v.name == "AGE" else v for v in dm.variables))
    leaves = (DocumentLeaf("LF.bad", "javascript:alert(1)", "Bad"), *doc.leaves)
    doc = replace(doc, datasets=(dm, *doc.datasets[1:]), leaves=leaves)
    tree = lxml.html.document_fromstring(define_html(doc))
    row = _row(tree, "var-IT.DM.AGE")
    assert _hrefs(row) == []
    assert row.text_content().count("(not defined)") == 2
    assert not [h for h in tree.xpath("//a/@href") if "javascript" in h.lower()]
    ids = set(tree.xpath("//@id"))
    assert {h[1:] for h in tree.xpath("//a/@href") if h.startswith("#")} <= ids


def test_duplicate_oids_get_one_id():
    doc = tabulation()
    doc = replace(doc, codelists=(*doc.codelists, doc.codelists[1]))
    tree = lxml.html.document_fromstring(define_html(doc))
    ids = tree.xpath("//@id")
    assert ids.count("cl-CL.SEX") == 1
    assert len(ids) == len(set(ids))


def test_where_text_quotes_text_not_numbers_and_names_other_datasets():
    clause = WhereClause(
        "WC.X",
        (
            RangeCheck("ADTTE", "AVAL", "GT", ("5",)),
            RangeCheck("ADTTE", "PARAMCD", "NOTIN", ("A", "B")),
            RangeCheck("ADSL", "SAFFL", "EQ", ("Y",)),
        ),
    )
    assert (
        where_text(clause, "ADTTE", numeric={"ADTTE.AVAL"})
        == 'AVAL > 5 and PARAMCD not in ("A", "B") and ADSL.SAFFL = "Y"'
    )


def test_output_is_deterministic_and_written_as_define_html(tmp_path: Path):
    first = define_html(tabulation())
    assert first == define_html(tabulation())
    written = write_define_html(analysis(), tmp_path / "adam")
    assert written == tmp_path / "adam" / "define.html"
    content = written.read_bytes()
    assert content == define_html(analysis()).encode("utf-8")
    assert write_define_html(analysis(), tmp_path / "adam").read_bytes() == content
    assert b"\r\n" not in content
    assert sorted(p.name for p in (tmp_path / "adam").iterdir()) == ["define.html"]


def test_bad_arguments_are_usage_errors(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="is a file") as caught:
        write_define_html(tabulation(), blocker)
    assert caught.value.path == str(blocker) and caught.value.hint
    with pytest.raises(UsageError, match="needs a DefineDocument, not dict"):
        define_html({})


def test_docstring_examples():
    assert doctest.testmod(define_html_module).failed == 0


def _screenshot_script():
    path = Path(__file__).resolve().parents[2] / "scripts" / "screenshot_define.py"
    spec = importlib.util.spec_from_file_location("screenshot_define", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_screenshot_script_says_what_to_install_without_running_a_browser(
    tmp_path: Path, monkeypatch, capsys
):
    script = _screenshot_script()
    html = write_define_html(tabulation(), tmp_path)
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-browser"))
    assert script.main([str(html), str(tmp_path / "shot.png")]) == 1
    assert "apt-get install -y chromium" in capsys.readouterr().err
    assert script.main([str(tmp_path / "missing.html"), str(tmp_path / "shot.png")]) == 1
    assert "missing.html: no such file" in capsys.readouterr().err
    assert not (tmp_path / "shot.png").exists()
