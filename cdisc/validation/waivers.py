"""Waivers: a finding a study accepts, declared in ``study.yaml`` with its reason.

::

    waivers:
      - {rule: SDC012, dataset: VS, reason: "ABI above 1.40 kept as collected (non-compressible arteries)"}

A waiver names the rule and the dataset (``"*"`` for every dataset) and says why; the
build lists every waived finding in its report, so nothing is hidden. A waiver that
matches nothing is reported too (it may be stale).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys

WAIVER_KEYS = ("rule", "dataset", "reason")


@dataclass(frozen=True)
class Waiver:
    rule: str
    dataset: str
    reason: str


def check_waivers(doc: SpecDocument) -> tuple[list[Waiver], list[SpecProblem]]:
    """The ``waivers:`` of a study.yaml, checked: each needs rule, dataset and a reason."""
    raw = doc.data.get("waivers") if isinstance(doc.data, dict) else None
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [doc.problem(("waivers",), "expected a list of waivers")]
    waivers, problems = [], []
    for i, item in enumerate(raw):
        found = check_keys(doc, ("waivers", i), item, required=WAIVER_KEYS)
        if not found and not str(item["reason"]).strip():
            found.append(doc.problem(("waivers", i, "reason"), "a waiver needs a reason"))
        problems += found
        if not found:
            waivers.append(Waiver(str(item["rule"]), str(item["dataset"]).upper(), item["reason"]))
    return waivers, problems


def apply_waivers(findings: pd.DataFrame, waivers: list[Waiver]) -> pd.DataFrame:
    """``findings`` with a ``waived`` column: the reason of the waiver covering each, or ""."""
    out = findings.copy()
    out["waived"] = ""
    for waiver in waivers:
        match = out["rule"].eq(waiver.rule)
        if waiver.dataset != "*":
            match &= out["dataset"].astype(str).str.upper().eq(waiver.dataset)
        out.loc[match & out["waived"].eq(""), "waived"] = waiver.reason
    return out


def unused_waivers(findings: pd.DataFrame, waivers: list[Waiver]) -> list[Waiver]:
    """The waivers no finding matched (stale, or the problem was fixed)."""
    used = set(zip(findings["rule"], findings["dataset"].astype(str).str.upper(), strict=True))
    rules = set(findings["rule"])
    return [
        w
        for w in waivers
        if (w.dataset == "*" and w.rule not in rules)
        or (w.dataset != "*" and (w.rule, w.dataset) not in used)
    ]
