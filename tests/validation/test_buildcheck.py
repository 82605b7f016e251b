"""The build's own validation: waivers and explanations applied, and a rule that raises on the
build's package is an error (the build cannot declare success with a check it did not run)."""

from __future__ import annotations

import pandas as pd
import pyreadstat

from cdisc.validation import engine
from cdisc.validation.buildcheck import validate_written
from cdisc.validation.engine import Rule, variable_findings
from cdisc.validation.waivers import Statements, Waiver


def _broken(package):
    raise ValueError("assignment destination is read-only")


def _no_label(package):
    return variable_findings("DM", ["AGE"], "AGE has no label")


def _package(tmp_path):
    folder = tmp_path / "sdtm"
    folder.mkdir()
    dm = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DM"], "USUBJID": ["S-1"], "AGE": [50.0]})
    pyreadstat.write_xport(dm, str(folder / "dm.xpt"), table_name="DM", file_format_version=5)
    return folder


def test_a_rule_that_raises_is_a_build_error_and_statements_apply(tmp_path, monkeypatch):
    rules = {
        "TST010": Rule("TST010", _broken, "warning", "Breaks", "SDTM"),
        "TST011": Rule("TST011", _no_label, "warning", "Label missing", "SDTM"),
    }
    monkeypatch.setattr(engine, "REGISTRY", rules)
    monkeypatch.setattr(engine, "RULE_MODULES", [])
    statements = Statements(explanations=(Waiver("TST011", "DM", "labels come later"),))
    issues, report = validate_written([_package(tmp_path)], statements)
    failed = issues[issues["code"] == "rule-not-run"]
    assert failed["severity"].tolist() == ["error"]
    assert "TST010 did not run" in failed["message"].iloc[0]
    assert "read-only" in failed["message"].iloc[0]
    label = issues[issues["code"] == "TST011"]
    assert label[["severity", "explanation"]].values.tolist() == [["warning", "labels come later"]]
    assert report["explained"] == 1
    assert report["unused_waivers"] == [] and report["unused_explanations"] == []
