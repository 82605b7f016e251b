"""Validation reports (Excel, JSON, console), `cdisc validate` and docs/rules.md.

The rules here are made for the test (a registry of their own, swapped in for the real
one), so the expected findings are known from the data written, not from a run: the AE
frame below holds six terms a spreadsheet would take for a formula, counted by hand.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cdisc.cli import main
from cdisc.validation import engine
from cdisc.validation.engine import NotCheckable, Result, Rule, findings, variable_findings
from cdisc.validation.package import package_from_frames
from cdisc.validation.report import (
    console_summary,
    excel_text,
    failing,
    with_define_findings,
    write_json,
    write_xlsx,
)
from cdisc.validation.waivers import Statements, Waiver, settle
from define.rules import RULES as DEFINE_RULES
from define.xml import write_define
from tests.define.sample import tabulation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT.parent / "shared" / "standards" / "examples"

#: AETERM values: the first six start like a formula (=, +, -, @, tab, CR).
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)", "\tTAB", "\rCR"]
TERMS = [*HOSTILE, "HEADACHE", "NAUSEA"]


def _hostile(package):
    ae = package.datasets["AE"]
    bad = ae["AETERM"].str.startswith(("=", "+", "-", "@", "\t", "\r"), na=False)
    return findings(ae[bad], "AE", variable="AETERM")


def _dm_label(package):
    return variable_findings("DM", ["AGE"], message="AGE has no label")


def _cannot(package):
    raise NotCheckable("no dictionary version given")


def _clean(package):
    return findings(package.datasets["DM"].iloc[:0], "DM")


RULES = {
    r.id: r
    for r in (
        Rule(
            "TST001",
            _hostile,
            "error",
            "AETERM starts like a formula",
            "SDTM",
            "SD9001",
            "CG1",
            ("AE",),
        ),
        Rule("TST002", _dm_label, "warning", "Variable label missing", "SDTM", "SD9002"),
        Rule("TST003", _cannot, "warning", "MedDRA term not in dictionary", "SDTM"),
        Rule("TST004", _clean, "error", "Never fires", "SDTM", needs=("DM",)),
        Rule("TST005", _clean, "error", "Needs TS", "SDTM", needs=("TS",)),
        Rule("TST006", _clean, "error", "ADaM only", "ADaM"),
    )
}


@pytest.fixture
def registry(monkeypatch):
    """Only the test rules are registered while a test runs."""
    monkeypatch.setattr(engine, "REGISTRY", dict(RULES))
    monkeypatch.setattr(engine, "RULE_MODULES", [])
    return engine.REGISTRY


def _frames():
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AGE": [54.0, 61.0]})
    ae = pd.DataFrame({"USUBJID": ["S-1"] * 4 + ["S-2"] * 4, "AETERM": TERMS})
    return {"DM": dm, "AE": ae}


@pytest.fixture
def result(registry):
    return engine.run_rules(package_from_frames(_frames()))


def _sheet(path: Path, title: str) -> list[tuple]:
    book = load_workbook(path)
    return [tuple(c.value for c in row) for row in book[title].iter_rows()]


# --- Excel ----------------------------------------------------------------------------------


def test_workbook_has_the_four_sheets_with_bold_frozen_filtered_headers(result, tmp_path):
    path = write_xlsx(result, tmp_path / "v.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Dataset Summary", "Issue Summary", "Issue Details", "Rules"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["A"].width >= 8
    details = book["Issue Details"]
    assert [c.value for c in details[1]] == [
        "Rule",
        "P21 ID",
        "Severity",
        "Dataset",
        "Record",
        "USUBJID",
        "Variable",
        "Value",
        "Message",
        "Explanation",
        "Waiver reason",
    ]
    assert details.auto_filter.ref == f"A1:K{len(HOSTILE) + 2}"  # header + 6 + 1 variable


def test_values_that_look_like_formulas_are_written_as_text(result, tmp_path):
    path = write_xlsx(result, tmp_path / "v.xlsx")
    book = load_workbook(path)
    assert not [
        c.coordinate
        for s in book.worksheets
        for r in s.iter_rows()
        for c in r
        if c.data_type == "f"
    ]
    rows = _sheet(path, "Issue Details")[1:]
    hostile = [r for r in rows if r[0] == "TST001"]
    assert [r[7] for r in hostile] == ["'" + v for v in HOSTILE]
    assert [r[4] for r in hostile] == [1, 2, 3, 4, 5, 6]  # records count from 1
    assert [r[5] for r in hostile] == ["S-1"] * 4 + ["S-2"] * 2


def test_excel_text_escapes_only_formula_starts_and_drops_control_characters():
    values = pd.Series(["=1+1", "-3", "a-b", "ok", None, "bell\x07", 4.5])
    assert excel_text(values).tolist() == ["'=1+1", "'-3", "a-b", "ok", "", "bell?", "4.5"]


def test_summaries_and_rules_sheet_count_what_was_found(result, tmp_path):
    path = write_xlsx(result, tmp_path / "v.xlsx")
    summary = _sheet(path, "Dataset Summary")
    assert summary[0][:7] == (
        "Dataset",
        "File",
        "Label",
        "Records",
        "Variables",
        "Errors",
        "Warnings",
    )
    assert summary[1][:7] == ("AE", None, None, 8, 2, 6, 0)
    assert summary[2][:7] == ("DM", None, None, 2, 2, 0, 1)
    issues = _sheet(path, "Issue Summary")
    assert issues[1:] == [
        ("TST001", "SD9001", "CG1", "error", "AETERM starts like a formula", "AE", 6, 0, None),
        ("TST002", "SD9002", None, "warning", "Variable label missing", "DM", 1, 0, None),
    ]
    rules = {r[0]: r for r in _sheet(path, "Rules")[1:]}
    assert set(rules) == set(RULES)
    assert rules["TST001"][5:7] == ("findings", 6)
    assert rules["TST004"][5:7] == ("checked, no findings", 0)
    assert rules["TST003"][5:8] == ("not checked", 0, "no dictionary version given")
    assert rules["TST005"][7] == "no TS dataset"
    assert rules["TST006"][7] == "applies to ADaM packages; this one is SDTM"


def test_waived_and_explained_findings_are_shown_with_their_reasons(result, tmp_path):
    statements = Statements(
        waivers=(Waiver("TST001", "AE", "formula-like terms are the test's point"),),
        explanations=(Waiver("TST002", "DM", "labels come later"),),
    )
    settled = Result(settle(result.findings, statements, None), result.status, result.package)
    assert failing(settled, "error") == 0
    assert failing(settled, "warning") == 1
    issues = _sheet(write_xlsx(settled, tmp_path / "v.xlsx"), "Issue Summary")
    # Waived findings come after the errors, warnings and notices.
    assert issues[1][3:] == ("warning", "Variable label missing", "DM", 1, 1, "labels come later")
    assert issues[2][3:] == (
        "waived", "AETERM starts like a formula", "AE", 6, 6,
        "formula-like terms are the test's point",
    )  # fmt: skip
    summary = _sheet(tmp_path / "v.xlsx", "Dataset Summary")
    assert summary[0][-1] == "Waived" and summary[1][-1] == 6
    text = console_summary(settled)
    assert "0 errors, 1 warning, 0 notices" in text
    assert "waived: 6 findings" in text
    assert "explained: 1 finding (0 by define.xml sponsor extensions, 1 by the study's" in text
    assert "not explained" not in text
    unsettled = console_summary(result)
    assert "not explained: 7 findings: TST001 AE (6 error), TST002 DM (1 warning)" in unsettled


def test_workbook_bytes_depend_only_on_the_result(result, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = write_xlsx(result, tmp_path / "a.xlsx").read_bytes()
    second = write_xlsx(result, tmp_path / "b.xlsx").read_bytes()
    assert first == second
    assert load_workbook(tmp_path / "a.xlsx").properties.created == datetime(2000, 1, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    book = load_workbook(write_xlsx(result, tmp_path / "c.xlsx"))
    assert book.properties.created == datetime(2023, 11, 14, 22, 13, 20)
    with zipfile.ZipFile(tmp_path / "c.xlsx") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_unwritable_report_is_a_usage_error(result, tmp_path):
    from cdisc.errors import UsageError

    with pytest.raises(UsageError, match="cannot write the Excel report"):
        write_xlsx(result, tmp_path / "missing" / "v.xlsx")
    with pytest.raises(UsageError, match="cannot write the JSON report"):
        write_json(result, tmp_path / "missing" / "v.json")


# --- JSON, console, exit threshold ------------------------------------------------------------


def test_json_report_holds_findings_statuses_counts(result, tmp_path):
    data = json.loads(write_json(result, tmp_path / "v.json").read_text(encoding="utf-8"))
    assert set(data) == {"package", "counts", "datasets", "rules", "findings", "notes"}
    assert data["counts"] == {
        "error": 6,
        "warning": 1,
        "notice": 0,
        "waived": 0,
        "explained": 0,
        "rules": 6,
        "checked": 3,
        "not_checked": 3,
    }
    assert data["package"]["standard"] == "SDTM"
    hostile = [f for f in data["findings"] if f["rule"] == "TST001"]
    assert [f["value"] for f in hostile] == HOSTILE  # raw values: JSON is not a spreadsheet
    assert [f["record"] for f in hostile] == [1, 2, 3, 4, 5, 6]
    label = next(f for f in data["findings"] if f["rule"] == "TST002")
    assert label["record"] is None and label["variable"] == "AGE"
    status = {r["rule"]: r["status"] for r in data["rules"]}
    assert status["TST003"] == "not checked" and status["TST004"] == "checked, no findings"
    assert [d["dataset"] for d in data["datasets"]] == ["AE", "DM"]


def test_console_summary_counts_top_rules_and_not_checked(result):
    lines = console_summary(result).splitlines()
    assert lines[0] == (
        "conformance rules: 6 errors, 1 warning, 0 notices (6 rules: 3 checked, 3 not checked)"
    )
    assert lines[1] == "top rules: TST001 (SD9001, CG1, error) 6: AETERM starts like a formula"
    assert lines[2].split()[:2] == ["TST002", "(SD9002,"]
    assert lines[3].startswith("not explained: 7 findings: TST001 AE (6 error)")
    assert lines[4] == (
        "NOT CHECKED: 3 rules (applies to ADaM packages; this one is SDTM: 1; "
        "no TS dataset: 1; no dictionary version given: 1)"
    )
    assert "  no TS dataset: TST005" in lines


def test_console_summary_says_when_no_rule_is_registered(monkeypatch):
    monkeypatch.setattr(engine, "REGISTRY", {})
    monkeypatch.setattr(engine, "RULE_MODULES", [])
    empty = engine.run_rules(package_from_frames(_frames()))
    assert console_summary(empty) == "conformance rules: NOT CHECKED (no rules are registered)"


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 6), ("warning", 7), ("never", 0)])
def test_failing_counts_findings_at_or_above_the_threshold(result, fail_on, expected):
    assert failing(result, fail_on) == expected


def test_define_checks_join_the_report_or_are_not_checked(result):
    absent = with_define_findings(result, None)
    added = absent.status[absent.status["rule"].str.startswith("DEF")]
    assert sorted(added["rule"]) == sorted(DEFINE_RULES)
    assert set(added["status"]) == {"not checked"} and set(added["reason"]) == {"no define.xml"}
    found = pd.DataFrame(
        [["DEF006", "", "error", "", "", "LF.ACRF", "acrf.pdf does not exist", 12]],
        columns=["rule", "p21", "severity", "dataset", "variable", "oid", "message", "line"],
    )
    merged = with_define_findings(result, found)
    row = merged.findings[merged.findings["rule"] == "DEF006"].iloc[0]
    assert row["message"] == "acrf.pdf does not exist (define.xml line 12)"
    assert row["value"] == "LF.ACRF" and pd.isna(row["record"])
    status = merged.status.set_index("rule")["status"]
    assert status["DEF006"] == "findings" and status["DEF001"] == "checked, no findings"


# --- the command --------------------------------------------------------------------------------


def _sas_style_package(folder: Path) -> Path:
    """DM.XPT and AE.XPT as SAS writes them: upper-case names, SDTMIG 3.2 labels, and an
    AETERM in windows-1252 (pyreadstat writes UTF-8, so the byte is patched in)."""
    folder.mkdir(parents=True)
    frames = _frames()
    frames["AE"].loc[7, "AETERM"] = "CAFE"
    pyreadstat.write_xport(
        frames["DM"],
        str(folder / "DM.XPT"),
        table_name="DM",
        file_label="Demographics",
        column_labels=["Unique Subject Identifier", "Age"],
    )
    pyreadstat.write_xport(
        frames["AE"],
        str(folder / "AE.XPT"),
        table_name="AE",
        file_label="Adverse Events",
        column_labels=["Unique Subject Identifier", "Reported Term for the Adverse Event"],
    )
    data = (folder / "AE.XPT").read_bytes()
    assert data.count(b"CAFE") == 1
    (folder / "AE.XPT").write_bytes(data.replace(b"CAFE", b"CAF\xc9"))  # 0xC9 is É in cp1252
    return folder


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_validate_sas_style_package_writes_both_reports(registry, tmp_path):
    folder = _sas_style_package(tmp_path / "pkg")
    xlsx, report = tmp_path / "out.xlsx", tmp_path / "out.json"
    result = run("validate", str(folder), "--xlsx", str(xlsx), "--json", str(report))
    assert result.exit_code == 1, result.output  # six TST001 errors
    assert "Traceback" not in result.output
    assert "AE.XPT" in result.output and "DM.XPT" in result.output
    assert "conformance rules: 6 errors, 1 warning, 0 notices" in result.output
    assert "define.xml: not found — define checks NOT CHECKED" in result.output
    assert "  no define.xml: DEF001, DEF002" in result.output
    assert "note: AE.XPT: text is not UTF-8; read as windows-1252" in result.output
    assert f"wrote {xlsx}" in result.output and f"wrote {report}" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["counts"]["error"] == 6
    assert "AE.XPT: text is not UTF-8; read as windows-1252" in data["notes"]
    files = {d["dataset"]: d["file"] for d in data["datasets"]}
    assert files == {"AE": "AE.XPT", "DM": "DM.XPT"}
    assert _sheet(xlsx, "Dataset Summary")[1][2] == "Adverse Events"


def test_validate_reads_windows_1252_text(monkeypatch, tmp_path):
    def non_ascii(package):
        ae = package.datasets["AE"]
        return findings(ae[~ae["AETERM"].str.isascii()], "AE", variable="AETERM")

    rules = {"TST010": Rule("TST010", non_ascii, "warning", "Value is not ASCII", "SDTM")}
    monkeypatch.setattr(engine, "REGISTRY", rules)
    monkeypatch.setattr(engine, "RULE_MODULES", [])
    folder = _sas_style_package(tmp_path / "pkg")
    report = tmp_path / "v.json"
    result = run("validate", str(folder), "--json", str(report), "--fail-on", "warning")
    assert result.exit_code == 1, result.output
    found = json.loads(report.read_text(encoding="utf-8"))["findings"]
    assert [(f["rule"], f["record"], f["value"]) for f in found] == [("TST010", 8, "CAFÉ")]
    assert run("validate", str(folder)).exit_code == 0  # a warning does not fail by default


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on_sets_the_severity_that_fails(registry, tmp_path, fail_on, code):
    folder = _sas_style_package(tmp_path / "pkg")
    assert run("validate", str(folder), "--fail-on", fail_on).exit_code == code


def test_validate_one_dataset_file_checks_only_that_dataset(registry, tmp_path):
    folder = _sas_style_package(tmp_path / "pkg")
    report = tmp_path / "v.json"
    result = run("validate", str(folder / "DM.XPT"), "--json", str(report))
    assert result.exit_code == 0, result.output  # the AE errors are not in DM
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [d["dataset"] for d in data["datasets"]] == ["DM"]
    assert [f["rule"] for f in data["findings"]] == ["TST002"]


def test_validate_folder_without_datasets_on_top_is_usage_error(registry, tmp_path):
    _sas_style_package(tmp_path / "pkg" / "sdtm")
    result = run("validate", str(tmp_path / "pkg"))
    assert result.exit_code == 2
    assert "no .xpt or Dataset-JSON files directly in" in result.stderr
    assert "give the folder that holds them: sdtm" in result.stderr


def test_validate_bad_fail_on_is_usage_error(registry, tmp_path):
    folder = _sas_style_package(tmp_path / "pkg")
    result = run("validate", str(folder), "--fail-on", "fatal")
    assert result.exit_code == 2
    assert "Invalid value for '--fail-on'" in result.stderr


def test_validate_package_with_define_reports_define_checks(registry, tmp_path):
    doc = tabulation()
    write_define(doc, tmp_path)
    for leaf in doc.leaves:
        (tmp_path / leaf.href).write_bytes(b"%PDF-1.4\n")
    frames = _frames()
    pyreadstat.write_xport(frames["DM"], str(tmp_path / "dm.xpt"), table_name="DM")
    report, xlsx = tmp_path / "v.json", tmp_path / "v.xlsx"
    result = run("validate", str(tmp_path), "--json", str(report), "--xlsx", str(xlsx))
    assert result.exit_code == 1, result.output
    assert "define.xml: Define-XML 2.1" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    status = {r["rule"]: r["status"] for r in data["rules"]}
    assert all(status[r] != "not checked" for r in DEFINE_RULES)
    assert data["package"]["define"] is True
    # dm.xpt has USUBJID and AGE only: the define's other DM variables are missing (DEF010),
    # and its other datasets are not in the folder (DEF008).
    rules = {f["rule"] for f in data["findings"]}
    assert {"DEF008", "DEF010"} <= rules
    details = _sheet(xlsx, "Issue Details")
    assert any(r[0] == "DEF008" for r in details[1:])


@pytest.mark.parametrize("example", ["defineV21-SDTM.xml", "defineV21-ADaM.xml"])
def test_validate_official_define_examples_without_traceback(registry, tmp_path, example):
    (tmp_path / "define.xml").write_bytes((EXAMPLES / example).read_bytes())
    pyreadstat.write_xport(_frames()["DM"], str(tmp_path / "DM.XPT"), table_name="DM")
    report = tmp_path / "v.json"
    result = run("validate", str(tmp_path), "--json", str(report))
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["package"]["define"] is True
    assert {r["rule"] for r in data["rules"]} >= set(DEFINE_RULES)


# --- docs/rules.md ------------------------------------------------------------------------------


def _doc_script():
    spec = importlib.util.spec_from_file_location(
        "make_rules_doc", ROOT / "scripts" / "make_rules_doc.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_doc_is_the_scripts_output():
    """Run in a fresh interpreter: the registry there holds the real rules only."""
    script = ROOT / "scripts" / "make_rules_doc.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_doc_lists_every_rule_grouped_with_counts(registry):
    script = _doc_script()
    rows = script.rule_rows()
    text = script.render(rows)
    assert len(rows) == len(RULES) + len(DEFINE_RULES)
    assert f"**{len(rows)} rules** (15 error, 5 warning, 0 notice)" in text
    assert "| TST | 6 | 2 |" in text and "| DEF | 14 | 7 |" in text
    assert "| TST001 | SD9001 | CG1 | error | SDTM | AETERM starts like a formula |" in text
    assert text.index("## DEF") < text.index("## TST")
