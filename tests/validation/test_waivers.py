"""Waivers and explanations in study.yaml: checked, applied by rule, dataset and variable,
unused ones reported; define.xml sponsor extensions explain their CT2002 findings."""

import pandas as pd

from cdisc.validation.waivers import (
    Statements,
    Waiver,
    apply_waivers,
    check_statements,
    check_waivers,
    settle,
    unused_statements,
    unused_waivers,
)
from cdisc.yamlspec import load_spec
from tests.define import sample


def test_waivers_are_checked_with_their_lines(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(
        "studyid: X\nwaivers:\n  - {rule: SDC001, dataset: VS, reason: kept as collected}\n"
        "  - {rule: SDC002, dataset: AE}\n  - {rule: SDC003, dataset: AE, reason: ' '}\n",
        encoding="utf-8",
    )
    waivers, problems = check_waivers(load_spec(path))
    assert waivers == [Waiver("SDC001", "VS", "kept as collected")]
    text = [str(p) for p in problems]
    assert any(":4 waivers.1: missing required key 'reason'" in t for t in text)
    assert any(":5 waivers.2.reason: a waiver needs a reason" in t for t in text)


def test_waivers_cover_their_rule_and_dataset_only():
    found = pd.DataFrame({"rule": ["SDC001", "SDC001", "SDC002"], "dataset": ["VS", "LB", "VS"]})
    waivers = [Waiver("SDC001", "VS", "why"), Waiver("SDC002", "*", "all"), Waiver("X", "AE", "no")]
    waived = apply_waivers(found, waivers)
    assert waived["waived"].tolist() == ["why", "", "all"]
    assert unused_waivers(found, waivers) == [Waiver("X", "AE", "no")]


def test_explanations_are_checked_and_may_name_a_variable(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(
        "studyid: X\nexplanations:\n"
        "  - {rule: SDC014, dataset: lb, reason: twice in the export, variable: lbtestcd}\n"
        "  - {rule: SDC015, dataset: AE, reason: ''}\n"
        "  - {rule: SDC016, dataset: AE, reason: x, value: Y}\n",
        encoding="utf-8",
    )
    statements, problems = check_statements(load_spec(path))
    assert statements.explanations == (Waiver("SDC014", "LB", "twice in the export", "LBTESTCD"),)
    assert statements.waivers == ()
    text = [str(p) for p in problems]
    assert any(":4 explanations.1.reason: an explanation needs a reason" in t for t in text)
    assert any(":5 explanations.2.value: unknown key" in t for t in text)


def _findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": ["SDC037", "SDC014", "SDC014", "SCH006", "SCH006", "SCH006"],
            "severity": ["error", "warning", "warning", "warning", "warning", "warning"],
            "dataset": ["LB", "LB", "VS", "VS", "VS", "VS"],
            "variable": ["LBSTRESC", "LBTESTCD", "VSTESTCD", "VSTESTCD", "VSTESTCD", "VSORRESU"],
            "value": ["", "", "", "TBI", "XYZ", "TBI"],
        }
    )


def test_settle_waives_explains_and_keeps_severities():
    statements = Statements(
        waivers=(Waiver("SDC037", "LB", "kept as collected"),),
        explanations=(
            Waiver("SDC014", "*", "twice in the export", "LBTESTCD"),
            Waiver("SDC099", "AE", "stale"),
        ),
    )
    settled = settle(_findings(), statements, None)
    assert settled["severity"].tolist() == ["waived", *["warning"] * 5]
    assert settled["waived"].tolist() == ["kept as collected", "", "", "", "", ""]
    # The variable narrows the explanation: VS's SDC014 stays unexplained.
    assert settled["explanation"].tolist() == ["", "twice in the export", "", "", "", ""]
    unused = unused_statements(settled, statements)
    assert unused["unused_waivers"] == []
    assert [u["rule"] for u in unused["unused_explanations"]] == ["SDC099"]


def test_a_term_the_define_declares_extended_explains_its_ct2002_finding():
    # The sample define lists TBI in CL.VSTESTCD with def:ExtendedValue="Yes" (VS.VSTESTCD).
    settled = settle(_findings(), Statements(), sample.tabulation())
    explained = settled["explanation"].ne("")
    assert explained.tolist() == [False, False, False, True, False, False]
    assert "CL.VSTESTCD" in settled.loc[3, "explanation"]
    # XYZ is not in the define's codelist; TBI under another variable is not its term.
    assert settled["severity"].tolist()[3:] == ["warning"] * 3
