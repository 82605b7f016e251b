"""The rule registry and the engine that runs it.

A rule is a plain function from a :class:`~cdisc.validation.package.Package` to a frame of
findings (one row per offending record or variable), registered with :func:`rule` and an
ID of our own, the Pinnacle 21 ID and the CDISC/FDA publisher IDs where one corresponds, a
severity and a message. Rules are declared apart from the engine (pandera's habit): the
engine runs them all lazily, collects every finding, and says for each rule whether it was
checked, found nothing, or could not be checked and why. Nothing is ever reported as
passed that was not checked.

Example::

    @rule("SDM001", p21="SD0083", severity="error", scope="SDTM", needs=("DM",),
          message="Duplicate USUBJID in DM")
    def duplicate_usubjid_in_dm(package):
        dm = package.datasets["DM"]
        return findings(dm[dm["USUBJID"].duplicated(keep=False)], "DM", variable="USUBJID")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from cdisc.validation.package import Package

#: Columns of the findings frame every rule returns (the engine adds rule, p21, cdisc,
#: severity and message when the rule leaves them out).
FINDING_COLUMNS = [
    "rule",
    "p21",
    "cdisc",
    "severity",
    "dataset",
    "record",
    "usubjid",
    "variable",
    "value",
    "message",
]
#: Columns of the per-rule status frame.
STATUS_COLUMNS = ["rule", "p21", "cdisc", "severity", "scope", "status", "findings", "reason"]
SEVERITIES = ("error", "warning", "notice")
SCOPES = ("SDTM", "ADaM", "ANY")


class NotCheckable(Exception):
    """Raised by a rule that finds it cannot check this package (the reason is reported)."""


@dataclass(frozen=True)
class Rule:
    """One conformance rule. ``needs`` names datasets (``DM``) or dataset variables
    (``DM.RFSTDTC``) that must be present for the rule to be checked; ``scope`` says which
    packages it applies to (SDTM, ADaM or ANY)."""

    id: str
    check: Callable[[Package], pd.DataFrame]
    severity: str
    message: str
    scope: str = "ANY"
    p21: str = ""
    cdisc: str = ""
    needs: tuple[str, ...] = ()
    description: str = ""


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    severity: str,
    message: str,
    scope: str = "ANY",
    p21: str = "",
    cdisc: str = "",
    needs: tuple[str, ...] = (),
    description: str = "",
) -> Callable:
    """Register the decorated function as rule ``id`` (see the module docstring)."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: severity {severity!r} is not one of {SEVERITIES}")
    if scope not in SCOPES:
        raise ValueError(f"rule {id}: scope {scope!r} is not one of {SCOPES}")

    def register(check: Callable[[Package], pd.DataFrame]) -> Callable:
        if id in REGISTRY and REGISTRY[id].check is not check:
            raise ValueError(f"rule {id} is registered twice")
        REGISTRY[id] = Rule(
            id=id,
            check=check,
            severity=severity,
            message=message,
            scope=scope,
            p21=p21,
            cdisc=cdisc,
            needs=needs,
            description=description or (check.__doc__ or "").strip().split("\n")[0],
        )
        return check

    return register


def findings(
    rows: pd.DataFrame,
    dataset: str,
    *,
    variable: str = "",
    value: pd.Series | str | None = None,
    message: pd.Series | str | None = None,
) -> pd.DataFrame:
    """Findings for the records ``rows`` of ``dataset`` (a slice of the package's frame: its
    index is the record number from 0, reported from 1). ``value`` defaults to the
    ``variable``'s values; ``message`` overrides the rule's message per record."""
    out = pd.DataFrame(index=rows.index)
    out["dataset"] = dataset
    out["record"] = rows.index.to_numpy() + 1
    out["usubjid"] = rows["USUBJID"].astype(object) if "USUBJID" in rows else ""
    out["variable"] = variable
    if value is None:
        value = rows.get(variable, "")
    out["value"] = value
    if message is not None:
        out["message"] = message
    return out.reset_index(drop=True)


def concat_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The findings of several parts as one frame (an empty one when none has a row)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["dataset", "record", "usubjid", "variable", "value"])
    return pd.concat(parts, ignore_index=True)


def value_text(values: pd.Series) -> pd.Series:
    """Values as message text: whole numbers without '.0', others to 6 decimals at most,
    missing as 'null'.

    >>> value_text(pd.Series([60.0, 1.25, None])).tolist()
    ['60', '1.25', 'null']
    """
    if pd.api.types.is_numeric_dtype(values):
        number = values.astype(float)
        whole = number.notna() & (number == number.round())
        text = number.round(6).astype(str).where(~whole, number.round().astype("Int64").astype(str))
        return text.where(number.notna(), "null")
    return values.astype(object).where(values.notna(), "null").astype(str)


def variable_findings(dataset: str, variables, message=None, value="") -> pd.DataFrame:
    """Findings about variables (no record): one row per name in ``variables``."""
    names = list(variables)
    out = pd.DataFrame(
        {"dataset": dataset, "record": pd.NA, "usubjid": "", "variable": names, "value": value}
    )
    if message is not None:
        out["message"] = message
    return out


@dataclass
class Result:
    """What a validation run found: every finding, and each rule's status."""

    findings: pd.DataFrame
    status: pd.DataFrame
    package: Package = field(repr=False)

    def count(self, severity: str) -> int:
        """Number of findings of ``severity``."""
        return int((self.findings["severity"] == severity).sum())


def run_rules(package: Package, rules: dict[str, Rule] | None = None) -> Result:
    """Run every rule that applies to ``package``; a rule that raises is reported as not
    checked with its error, never as passed."""
    load_rules()
    rules = REGISTRY if rules is None else rules
    parts, status = [], []
    for rule_ in sorted(rules.values(), key=lambda r: r.id):
        row = {
            "rule": rule_.id,
            "p21": rule_.p21,
            "cdisc": rule_.cdisc,
            "severity": rule_.severity,
            "scope": rule_.scope,
        }
        reason = _not_applicable(rule_, package)
        if reason:
            status.append({**row, "status": "not checked", "findings": 0, "reason": reason})
            continue
        try:
            found = rule_.check(package)
        except NotCheckable as exc:
            status.append({**row, "status": "not checked", "findings": 0, "reason": str(exc)})
            continue
        except Exception as exc:  # a third party's data may break a rule: say so, go on
            reason = f"the rule failed on this data ({type(exc).__name__}: {exc})"
            status.append({**row, "status": "not checked", "findings": 0, "reason": reason})
            continue
        found = _complete(found, rule_)
        parts.append(found)
        state = "findings" if len(found) else "checked, no findings"
        status.append({**row, "status": state, "findings": len(found), "reason": ""})
    frames = [p for p in parts if len(p)]
    table = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    return Result(table[FINDING_COLUMNS], pd.DataFrame(status, columns=STATUS_COLUMNS), package)


def _not_applicable(rule_: Rule, package: Package) -> str:
    if rule_.scope != "ANY" and rule_.scope != package.standard:
        return f"applies to {rule_.scope} packages; this one is {package.standard}"
    for need in rule_.needs:
        dataset, _, variable = need.partition(".")
        if dataset not in package.datasets:
            return f"no {dataset} dataset"
        if variable and variable not in package.datasets[dataset].columns:
            return f"{dataset} has no {variable}"
    return ""


def _complete(found: pd.DataFrame, rule_: Rule) -> pd.DataFrame:
    found = found.copy()
    for column in FINDING_COLUMNS:
        if column not in found:
            found[column] = ""
    found["rule"], found["p21"], found["cdisc"] = rule_.id, rule_.p21, rule_.cdisc
    found["severity"] = rule_.severity
    found["message"] = found["message"].where(
        found["message"].astype(str).str.len() > 0, rule_.message
    )
    return found[FINDING_COLUMNS]


#: Modules that register rules; imported once, before the first run.
RULE_MODULES: list[str] = [
    "cdisc.validation.files",
    "cdisc.validation.schemas",
    "sdtm.rules.metadata",
    "sdtm.rules.consistency",
    "adam.rules",
]


def load_rules() -> None:
    """Import every module listed in :data:`RULE_MODULES` (each registers its rules)."""
    import importlib

    for name in RULE_MODULES:
        importlib.import_module(name)
