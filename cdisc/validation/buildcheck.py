"""``cdisc build`` validates what it wrote before declaring success.

Each package the build wrote (SDTM, ADaM) is loaded back from its folder and checked with
every rule, and its define.xml with the define checks. Findings join the build's problem
table with what the study says about them (:mod:`cdisc.validation.waivers`): a rule's error
fails the build unless a study waiver covers it (then its severity reads ``waived`` and the
report lists it with the reason); an explained finding keeps its severity and carries the
explanation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc.validation.engine import RULE_FAILED, run_rules
from cdisc.validation.package import load_package
from cdisc.validation.report import with_define_findings
from cdisc.validation.waivers import Statements, settle, unused_statements
from sdtm.engine import ISSUE_COLUMNS

#: Build problem columns a validation finding adds (the SDTM stage's problems leave them "").
STATEMENT_ISSUE_COLUMNS = ("explanation", "waived")


def validate_written(
    folders: list[Path], statements: Statements, root: Path | None = None
) -> tuple[pd.DataFrame, dict]:
    """Findings of every package in ``folders`` as build problems, and the report part.

    With ``root`` (the package root the folders lie in) the report names each folder
    relative to it, so the report never holds the build's temporary folder.
    """
    from define.rules import check_define

    parts, packages, statuses = [], [], []
    for folder in folders:
        shown = str(folder) if root is None else str(folder.relative_to(root))
        package = load_package(folder)
        define = folder / "define.xml"
        checks = check_define(define, folder) if define.exists() else None
        result = with_define_findings(run_rules(package), checks)
        parts.append(settle(result.findings, statements, package.define))
        # Per-rule timings (bench/validate.py prints them) would make two builds differ.
        timed = result.status.drop(columns=["seconds"], errors="ignore")
        statuses.append(timed.assign(package=shown))
        packages.append(
            {
                "folder": shown,
                "standard": package.standard,
                "datasets": len(package.datasets),
                "notes": package.notes,
            }
        )
    found = (
        pd.concat(parts, ignore_index=True)
        if parts
        else settle(
            pd.DataFrame(columns=["rule", "dataset", "variable", "value", "severity"]),
            statements,
            None,
        )
    )
    issues = pd.DataFrame(
        {
            "domain": found["dataset"].astype(str),
            "file": "",
            "form": "",
            "record": found["record"].astype("string").fillna("").astype(str)
            if "record" in found
            else "",
            "subject": found.get("usubjid", pd.Series(dtype=str)).astype(str),
            "variable": found["variable"].astype(str),
            "code": found["rule"].astype(str),
            "message": found.get("message", pd.Series(dtype=str)).astype(str),
            "value": found["value"].astype(str),
            "severity": found["severity"].astype(str),
            "explanation": found["explanation"].astype(str),
            "waived": found["waived"].astype(str),
        },
        columns=[*ISSUE_COLUMNS, "severity", *STATEMENT_ISSUE_COLUMNS],
    )
    status = pd.concat(statuses, ignore_index=True) if statuses else pd.DataFrame()
    issues = pd.concat([issues, _rules_not_run(status)], ignore_index=True)
    waived = found[found["waived"].ne("")]
    report = {
        "packages": packages,
        "rules": status.astype(str).to_dict(orient="records"),
        "not_checked": int((status["status"] == "not checked").sum()) if len(status) else 0,
        "waived": waived.astype(str).to_dict(orient="records"),
        "explained": int(found["explanation"].ne("").sum()),
        **unused_statements(found, statements),
    }
    return issues, report


def _rules_not_run(status: pd.DataFrame) -> pd.DataFrame:
    """An error per rule that raised on the build's own package: on a third party's package
    that is "not checked", but the build cannot declare success with a check it did not run."""
    if status.empty:
        return pd.DataFrame(columns=[*ISSUE_COLUMNS, "severity", *STATEMENT_ISSUE_COLUMNS])
    failed = status[status["reason"].astype(str).str.startswith(RULE_FAILED)]
    return pd.DataFrame(
        {
            "domain": "",
            "file": failed["package"].astype(str),
            "form": "",
            "record": "",
            "subject": "",
            "variable": "",
            "code": "rule-not-run",
            "message": "conformance rule " + failed["rule"] + " did not run: " + failed["reason"],
            "value": failed["rule"],
            "severity": "error",
            "explanation": "",
            "waived": "",
        },
        columns=[*ISSUE_COLUMNS, "severity", *STATEMENT_ISSUE_COLUMNS],
    )


def add_validation_report(
    report: dict, issues: pd.DataFrame, found: pd.DataFrame, part: dict
) -> pd.DataFrame:
    """Add the validation to the build report (``build_report.json``'s content, written once
    by the caller); return the build's problems with it."""
    combined = pd.concat([issues, found], ignore_index=True) if len(found) else issues
    for column in STATEMENT_ISSUE_COLUMNS:
        combined[column] = combined[column].fillna("") if column in combined else ""
    report["validation"] = part
    report["errors"] = int((combined["severity"] == "error").sum())
    report["warnings"] = int((combined["severity"] == "warning").sum())
    report["waived"] = int((combined["severity"] == "waived").sum())
    report["explained"] = int(combined["explanation"].ne("").sum())
    report["problems"] = combined
    return combined
