"""``cdisc build`` validates what it wrote before declaring success.

Each package the build wrote (SDTM, ADaM) is loaded back from its folder and checked with
every rule, and its define.xml with the define checks. Findings join the build's problem
table: a rule's error fails the build unless a study waiver covers it (then its severity
reads ``waived`` and the report lists it with the reason).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cdisc.validation.engine import run_rules
from cdisc.validation.package import load_package
from cdisc.validation.waivers import Waiver, apply_waivers, unused_waivers
from sdtm.engine import ISSUE_COLUMNS


def validate_written(folders: list[Path], waivers: list[Waiver]) -> tuple[pd.DataFrame, dict]:
    """Findings of every package in ``folders`` as build problems, and the report part."""
    from define.rules import check_define

    parts, packages, statuses = [], [], []
    for folder in folders:
        package = load_package(folder)
        result = run_rules(package)
        found = result.findings
        define = folder / "define.xml"
        if define.exists():
            checks = check_define(define, folder)
            found = pd.concat([found, _define_findings(checks)], ignore_index=True)
        parts.append(found)
        statuses.append(result.status.assign(package=str(folder)))
        packages.append(
            {
                "folder": str(folder),
                "standard": package.standard,
                "datasets": len(package.datasets),
                "notes": package.notes,
            }
        )
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    found = apply_waivers(found, waivers) if len(found) else found.assign(waived="")
    issues = pd.DataFrame(
        {
            "domain": found.get("dataset", pd.Series(dtype=str)).astype(str),
            "file": "",
            "form": "",
            "record": found.get("record", pd.Series(dtype=str)).astype(str),
            "subject": found.get("usubjid", pd.Series(dtype=str)).astype(str),
            "variable": found.get("variable", pd.Series(dtype=str)).astype(str),
            "code": found.get("rule", pd.Series(dtype=str)).astype(str),
            "message": found.get("message", pd.Series(dtype=str)).astype(str),
            "value": found.get("value", pd.Series(dtype=str)).astype(str),
        },
        columns=list(ISSUE_COLUMNS),
    )
    severity = found.get("severity", pd.Series(dtype=str)).astype(str)
    issues["severity"] = severity.where(found.get("waived", "").eq(""), "waived").to_numpy()
    status = pd.concat(statuses, ignore_index=True) if statuses else pd.DataFrame()
    waived = found[found["waived"].ne("")] if len(found) else found
    report = {
        "packages": packages,
        "rules": status.astype(str).to_dict(orient="records"),
        "not_checked": int((status["status"] == "not checked").sum()) if len(status) else 0,
        "waived": waived.astype(str).to_dict(orient="records"),
        "unused_waivers": [w.__dict__ for w in unused_waivers(found, waivers)]
        if len(found)
        else [w.__dict__ for w in waivers],
    }
    return issues, report


def _define_findings(checks: pd.DataFrame) -> pd.DataFrame:
    """define.rules findings in the engine's columns."""
    return pd.DataFrame(
        {
            "rule": checks["rule"],
            "p21": checks["p21"],
            "cdisc": "",
            "severity": checks["severity"],
            "dataset": checks["dataset"],
            "record": "",
            "usubjid": "",
            "variable": checks["variable"],
            "value": checks["oid"],
            "message": checks["message"],
        }
    )


def add_validation_report(
    report_path: Path, issues: pd.DataFrame, found: pd.DataFrame, part: dict
) -> pd.DataFrame:
    """Add the validation to ``build_report.json``; return the build's problems with it."""
    combined = pd.concat([issues, found], ignore_index=True) if len(found) else issues
    report = json.loads(report_path.read_text(encoding="utf-8"))
    report["validation"] = part
    report["errors"] = int((combined["severity"] == "error").sum())
    report["warnings"] = int((combined["severity"] == "warning").sum())
    report["waived"] = int((combined["severity"] == "waived").sum())
    report["problems"] = combined.astype(str).to_dict(orient="records")
    report_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return combined
