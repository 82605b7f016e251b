"""Waivers in study.yaml: checked, applied by rule and dataset, and unused ones reported."""

import pandas as pd

from cdisc.validation.waivers import Waiver, apply_waivers, check_waivers, unused_waivers
from cdisc.yamlspec import load_spec


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
