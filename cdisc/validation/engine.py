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

import multiprocessing as mp
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from cdisc.validation import columns
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


def run_rules(
    package: Package, rules: dict[str, Rule] | None = None, *, workers: int | None = None
) -> Result:
    """Run every rule that applies to ``package``; a rule that raises is reported as not
    checked with its error, never as passed. The status frame also gives the seconds each
    rule took (``seconds``, wall time: 0 for a rule not run).

    Facts about columns that several rules need (missing values, distinct values) are kept
    for the run (:func:`cdisc.validation.columns.shared`), so a rule that comes later pays
    only for what is new to it; its seconds are what it added.

    ``workers`` is the number of processes: with 2, the schema rules (SCH, one pass over
    every dataset) run in a forked copy of this process while the other rules run here,
    and the results are merged in rule order, as one process would give them. By default
    2 for a package of more than :data:`PARALLEL_RECORDS` records where the machine has 2
    cores or more and processes can fork, else 1.
    """
    load_rules()
    rules = REGISTRY if rules is None else rules
    ordered = sorted(rules.values(), key=lambda r: r.id)
    if workers is None:
        workers = _default_workers(package)
    apart = [r for r in ordered if r.check.__module__ in _APART] if workers > 1 else []
    here = [r for r in ordered if r not in apart]
    pool, pending = _fork(package, apart) if apart else (None, None)
    try:
        parts, status = _run_group(package, here)
        if apart:
            done_parts, done_status = _collect(pending, package, apart)
            parts |= done_parts
            status |= done_status
    finally:
        if pool is not None:
            pool.shutdown()
    frames = [parts[r.id] for r in ordered if r.id in parts and len(parts[r.id])]
    table = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    return Result(
        table[FINDING_COLUMNS],
        pd.DataFrame([status[r.id] for r in ordered], columns=[*STATUS_COLUMNS, "seconds"]),
        package,
    )


#: Packages with more records than this run their rules in two processes (see run_rules):
#: below it the fork and the transfer of the results cost more than they save.
PARALLEL_RECORDS = 500_000
#: The rule families the forked process runs: the schema rules, about half the work on the
#: 10,000-subject trial B package (10.8 s there against 9.2 s for all the others; moving the
#: SDM submission and code rules over too made the fork the longer side: 14.6 s in all).
_APART = ("cdisc.validation.schemas.rules",)


def _default_workers(package: Package) -> int:
    if not isinstance(package.datasets, dict) or "fork" not in mp.get_all_start_methods():
        return 1
    records = sum(len(frame) for frame in package.datasets.values())
    return 2 if records > PARALLEL_RECORDS and (os.cpu_count() or 1) >= 2 else 1


def _run_group(
    package: Package, rules: list[Rule]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Run ``rules`` in this process: findings and status row by rule ID."""
    parts: dict[str, pd.DataFrame] = {}
    status: dict[str, dict] = {}
    with columns.shared(_offers(package)):
        for rule_ in rules:
            started = time.perf_counter()
            found: list[pd.DataFrame] = []
            row = _run_one(rule_, package, found)
            status[rule_.id] = {**row, "seconds": time.perf_counter() - started}
            if found:
                parts[rule_.id] = found[0]
    return parts, status


#: What a forked worker runs: set just before the fork, read by the child (never pickled).
_FORK_WORK: tuple[Package, list[Rule]] | None = None


def _run_forked() -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    assert _FORK_WORK is not None
    return _run_group(*_FORK_WORK)


def _fork(package: Package, rules: list[Rule]) -> tuple[ProcessPoolExecutor | None, Future | None]:
    """A forked process running ``rules`` on ``package``, which it inherits (only the
    results are pickled); (None, None) when no process can be started (then the caller runs
    the rules itself)."""
    global _FORK_WORK
    _FORK_WORK = (package, rules)
    try:
        pool = ProcessPoolExecutor(1, mp_context=mp.get_context("fork"))
        return pool, pool.submit(_run_forked)  # the child is forked here
    except Exception:  # e.g. a daemonic process may not have children
        return None, None
    finally:
        _FORK_WORK = None


def _collect(
    pending: Future | None, package: Package, rules: list[Rule]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """The forked run's results; the rules are run here when the fork failed or died."""
    if pending is not None:
        try:
            return pending.result()
        except Exception:  # the worker died (memory?) or could not report: run them here
            pass
    return _run_group(package, rules)


#: How a rule that raised is reported (status "not checked"); the build treats it as an error.
RULE_FAILED = "the rule failed on this data"


def _offers(package: Package) -> list[tuple[pd.Series, tuple]]:
    """The distinct values the XPT reader found, with the columns they describe."""
    return [
        (package.datasets[name][column], found)
        for (name, column), found in package.distinct.items()
        if isinstance(package.datasets, dict)  # a lazy package reads nothing for this
        and name in package.datasets
        and column in package.datasets[name]
    ]


def _run_one(rule_: Rule, package: Package, parts: list[pd.DataFrame]) -> dict:
    """Run one rule: its status row, its findings (if any) appended to ``parts``."""
    row = {
        "rule": rule_.id,
        "p21": rule_.p21,
        "cdisc": rule_.cdisc,
        "severity": rule_.severity,
        "scope": rule_.scope,
    }
    reason = _not_applicable(rule_, package)
    if reason:
        return {**row, "status": "not checked", "findings": 0, "reason": reason}
    try:
        found = rule_.check(package)
    except NotCheckable as exc:
        return {**row, "status": "not checked", "findings": 0, "reason": str(exc)}
    except Exception as exc:  # a third party's data may break a rule: say so, go on
        reason = f"{RULE_FAILED} ({type(exc).__name__}: {exc})"
        return {**row, "status": "not checked", "findings": 0, "reason": reason}
    found = _complete(found, rule_)
    parts.append(found)
    state = "findings" if len(found) else "checked, no findings"
    return {**row, "status": state, "findings": len(found), "reason": ""}


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
    if found.empty:  # most rules find nothing: a dozen column operations each cost 0.5 s
        return pd.DataFrame(columns=FINDING_COLUMNS)
    found = found.copy()
    for column in FINDING_COLUMNS:
        if column not in found:
            found[column] = ""
    found["rule"], found["p21"], found["cdisc"] = rule_.id, rule_.p21, rule_.cdisc
    found["severity"] = rule_.severity
    # the rule's message where the rule gave none ("": str() of anything else is not empty)
    found["message"] = found["message"].where(found["message"] != "", rule_.message)
    return found[FINDING_COLUMNS]


#: Modules that register rules, one per rule family; imported once, before the first run.
RULE_MODULES: list[str] = [
    "cdisc.validation.files",
    "cdisc.validation.schemas.rules",
    "sdtm.rules.presence",
    "sdtm.rules.metadata",
    "sdtm.rules.submission",
    "sdtm.rules.codes",
    "sdtm.rules.trialsummary",
    "sdtm.rules.crossref",
    "sdtm.rules.duplicates",
    "sdtm.rules.dates",
    "sdtm.rules.baseline",
    "sdtm.rules.consistency",
    "adam.rules.structure",
    "adam.rules.adsl",
    "adam.rules.pairs",
    "adam.rules.dates",
    "adam.rules.bds",
    "adam.rules.tte",
    "adam.rules.traceability",
]


def load_rules() -> None:
    """Import every module listed in :data:`RULE_MODULES` (each registers its rules)."""
    import importlib

    for name in RULE_MODULES:
        importlib.import_module(name)
