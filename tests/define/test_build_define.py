"""The defines a demo build writes (the session's ``built`` fixture, tests/conftest.py):
valid against the official schemas, rendered by the official stylesheet, checked clean by
``cdisc validate``, and in exact agreement with the XPTs beside them.

The agreement is counted here from the files: XPT headers and values with pyreadstat,
the define with XPath, never through the toolkit's own reader or model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from lxml import etree

from cdisc.cli import main
from cdisc.study import load_study
from define.xml import schema_problems

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XSD = SHARED / "standards" / "xsd"
NS = {
    "odm": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.1",
    "arm": "http://www.cdisc.org/ns/arm/v1.0",
}
pytestmark = pytest.mark.skipif(not XSD.is_dir(), reason="needs ../shared/standards/xsd")


@pytest.fixture(scope="module", params=["tabulations/sdtm", "analysis/adam/datasets"])
def package(built, request):
    study, _, folder, _, _ = built
    path = folder / "m5" / "datasets" / study / request.param
    tree = etree.parse(str(path / "define.xml"), etree.XMLParser(resolve_entities=False))
    return path, tree


def _xpts(folder: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in sorted(folder.glob("*.xpt")):
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        frame.attrs["meta"] = meta
        frames[path.stem.upper()] = frame
    return frames


def test_define_xml_and_html_are_written_and_schema_valid(package):
    folder, tree = package
    assert (folder / "define.html").exists()
    assert schema_problems(folder / "define.xml", XSD) == []
    has_arm = bool(tree.xpath("//arm:AnalysisResultDisplays", namespaces=NS))
    assert has_arm == ("analysis" in folder.parts)


def test_official_stylesheet_renders_the_define(package):
    _, tree = package
    transform = etree.XSLT(etree.parse(str(XSD / "stylesheets" / "define2-1.xsl")))
    html = str(transform(tree))
    assert not [e for e in transform.error_log if e.level_name == "ERROR"]
    for name in tree.xpath("//odm:ItemGroupDef/@Name", namespaces=NS):
        assert f"{name.lower()}.xpt" in html


def test_every_dataset_variable_term_and_value_condition_agrees_with_the_data(package):
    folder, tree = package
    data = _xpts(folder)
    groups = {g.get("Name"): g for g in tree.xpath("//odm:ItemGroupDef", namespaces=NS)}
    assert set(groups) == set(data)
    items = {i.get("OID"): i for i in tree.xpath("//odm:ItemDef", namespaces=NS)}
    lists = {c.get("OID"): c for c in tree.xpath("//odm:CodeList", namespaces=NS)}
    for name, frame in data.items():
        meta = frame.attrs["meta"]
        refs = groups[name].xpath("odm:ItemRef", namespaces=NS)
        defined = [items[r.get("ItemOID")] for r in refs]
        # The same variables in the same order, each with the XPT's label and length.
        assert [d.get("Name") for d in defined] == list(frame.columns), name
        assert groups[name].findtext("odm:Description/odm:TranslatedText", namespaces=NS) == (
            meta.file_label
        )
        used_terms: dict[str, set[str]] = {}
        for item in defined:
            var = item.get("Name")
            label = item.findtext("odm:Description/odm:TranslatedText", namespaces=NS)
            assert label == meta.column_names_to_labels[var], (name, var)
            numeric = meta.readstat_variable_types[var] == "double"
            assert (item.get("DataType") in ("integer", "float")) == numeric, (name, var)
            if item.get("Length") is not None and not numeric:  # ISO 8601 types have none
                assert int(item.get("Length")) == meta.variable_storage_width[var], (name, var)
            if not numeric and item.get("Length") is None:
                assert item.get("DataType") in ("date", "datetime", "partialDatetime"), (name, var)
            ref = item.find("odm:CodeListRef", namespaces=NS)
            if ref is not None:
                values = frame[var].dropna()
                text = values.map(_text)
                used_terms.setdefault(ref.get("CodeListOID"), set()).update(t for t in text if t)
        for oid, used in used_terms.items():
            listed = {
                t.get("CodedValue")
                for t in lists[oid].xpath("odm:EnumeratedItem|odm:CodeListItem", namespaces=NS)
            }
            # Every term used is listed; a shared list may hold another dataset's terms.
            assert used <= listed, (name, oid, used - listed)
    _codelists_hold_only_used_terms(tree, data, items, lists)
    _value_conditions_are_the_data_values(tree, data)


def _text(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else repr(value)
    return str(value).strip()


def _codelists_hold_only_used_terms(tree, data, items, lists) -> None:
    """Nothing else: each codelist term is a value some variable referring to it holds
    (external dictionaries aside)."""
    used: dict[str, set[str]] = {}
    for group in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
        frame = data[group.get("Name")]
        for ref in group.xpath("odm:ItemRef", namespaces=NS):
            item = items[ref.get("ItemOID")]
            codelist = item.find("odm:CodeListRef", namespaces=NS)
            if codelist is not None:
                values = frame[item.get("Name")].dropna().map(_text)
                used.setdefault(codelist.get("CodeListOID"), set()).update(v for v in values if v)
    clauses = {w.get("OID"): w for w in tree.xpath("//def:WhereClauseDef", namespaces=NS)}
    for vlist in tree.xpath("//def:ValueListDef", namespaces=NS):
        _, dataset, variable = vlist.get("OID").split(".")
        frame = data[dataset]
        for ref in vlist.xpath("odm:ItemRef", namespaces=NS):
            codelist = items[ref.get("ItemOID")].find("odm:CodeListRef", namespaces=NS)
            if codelist is None:
                continue
            # The values of the parent variable on the records the where clause selects.
            clause = clauses[ref.find("def:WhereClauseRef", namespaces=NS).get("WhereClauseOID")]
            rows = pd.Series(True, index=frame.index)
            for check in clause.findall("odm:RangeCheck", namespaces=NS):
                by = items[check.get(f"{{{NS['def']}}}ItemOID")].get("Name")
                wanted = {v.text for v in check.findall("odm:CheckValue", namespaces=NS)}
                rows &= frame[by].map(_text).isin(wanted)
            values = frame.loc[rows, variable].dropna().map(_text)
            used.setdefault(codelist.get("CodeListOID"), set()).update(v for v in values if v)
    for oid, element in lists.items():
        terms = {
            t.get("CodedValue")
            for t in element.xpath("odm:EnumeratedItem|odm:CodeListItem", namespaces=NS)
        }
        if terms:
            assert terms <= used.get(oid, set()), (oid, terms - used.get(oid, set()))


def _all_values(data) -> set[str]:
    return {_text(v) for frame in data.values() for c in frame.columns for v in frame[c].dropna()}


def _value_conditions_are_the_data_values(tree, data) -> None:
    """Each value list has one condition per value of its by-variable in the data, and no
    other: ``VSTESTCD EQ ABI`` exactly for the VSTESTCD values of VS."""
    clauses = {w.get("OID"): w for w in tree.xpath("//def:WhereClauseDef", namespaces=NS)}
    items = {i.get("OID"): i for i in tree.xpath("//odm:ItemDef", namespaces=NS)}
    checked = 0
    for vlist in tree.xpath("//def:ValueListDef", namespaces=NS):
        dataset = vlist.get("OID").split(".")[1]
        seen = set()
        by = None
        for ref in vlist.xpath("odm:ItemRef/def:WhereClauseRef", namespaces=NS):
            check = clauses[ref.get("WhereClauseOID")].find("odm:RangeCheck", namespaces=NS)
            by = items[check.get("{http://www.cdisc.org/ns/def/v2.1}ItemOID")].get("Name")
            seen.update(v.text for v in check.findall("odm:CheckValue", namespaces=NS))
        values = {_text(v) for v in data[dataset][by].dropna()} - {""}
        assert seen == values, (vlist.get("OID"), seen ^ values)
        checked += 1
    assert checked > 0


def test_cdisc_validate_with_the_study_waivers_finds_no_error(package, tmp_path):
    folder, _ = package
    report = tmp_path / "validation.json"
    study = folder.parts[folder.parts.index("datasets") + 1]
    spec = load_study("pmsc-cli" if study == "pmsc-cli" else "sail").document.path
    bare = CliRunner().invoke(main, ["validate", str(folder), "--json", str(report)])
    assert "define.xml: no findings (0 errors, 0 warnings)" in bare.output
    found = json.loads(report.read_text(encoding="utf-8"))["findings"]
    errors = {(f["rule"], f["dataset"]) for f in found if f["severity"] == "error"}
    # Without the study's waivers validate exits 1 exactly when errors exist.
    assert bare.exit_code == (1 if errors else 0), bare.output
    result = CliRunner().invoke(
        main, ["validate", str(folder), "--json", str(report), "--waivers", str(spec)]
    )
    assert result.exit_code == 0, result.output
    settled = json.loads(report.read_text(encoding="utf-8"))
    assert settled["counts"]["error"] == 0
    assert {(f["rule"], f["dataset"]) for f in settled["findings"] if f["waived"]} == errors
