"""Waivers and explanations: what a study says about a finding, declared in ``study.yaml``.

::

    waivers:
      - {rule: SDC037, dataset: LB, reason: "results typed with their unit are kept as collected"}
    explanations:
      - {rule: SDC014, dataset: LB, reason: "the export holds these records twice; both kept"}
      - {rule: SCH016, dataset: DM, variable: RACE, reason: "MULTIPLE, per DM assumption 6"}

Both name the rule and the dataset (``"*"`` for every dataset), optionally the variable,
and say why.

- A **waiver** accepts a finding: its severity becomes ``waived``, so an error no longer
  fails the build or ``cdisc validate``.
- An **explanation** keeps the finding's severity and attaches the reason, as the data
  conformance section of a reviewer's guide does.

A term that the package's define.xml declares as a sponsor extension of an extensible
codelist (``def:ExtendedValue="Yes"``) explains its own SCH006 finding. Pinnacle 21 keeps
reporting CT2002 for such terms so that the reviewer sees every extension; we keep the
warning too, and say where it is declared. Every waived and explained finding stays in the
reports, and a waiver or explanation that matches nothing is reported as possibly stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdisc.metadata import DefineDocument
from cdisc.validation import columns
from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, load_spec

STATEMENT_KEYS = ("rule", "dataset", "reason")
#: The severity a waived finding is reported under.
WAIVED = "waived"
#: The rule a define.xml sponsor extension explains (value outside an extensible codelist).
_EXTENSIBLE_RULE = "SCH006"
#: How an explanation that comes from the define's sponsor extensions begins.
DEFINE_EXTENSION = "sponsor term declared in define.xml"


@dataclass(frozen=True)
class Waiver:
    """A study's statement about the findings of ``rule`` in ``dataset`` (``*``: any), and
    of ``variable`` only when one is given. Used for waivers and explanations alike."""

    rule: str
    dataset: str
    reason: str
    variable: str = ""


@dataclass(frozen=True)
class Statements:
    """The waivers and explanations of one study.yaml (or of a file given to validate)."""

    waivers: tuple[Waiver, ...] = ()
    explanations: tuple[Waiver, ...] = ()

    def __len__(self) -> int:
        return len(self.waivers) + len(self.explanations)


def check_waivers(
    doc: SpecDocument, key: str = "waivers"
) -> tuple[list[Waiver], list[SpecProblem]]:
    """The ``waivers:`` (or ``explanations:``, by ``key``) of a study.yaml, checked: each needs
    rule, dataset and a reason; ``variable`` is optional."""
    raw = doc.data.get(key) if isinstance(doc.data, dict) else None
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [doc.problem((key,), f"expected a list of {key}")]
    found_all, problems = [], []
    for i, item in enumerate(raw):
        found = check_keys(doc, (key, i), item, required=STATEMENT_KEYS, optional=("variable",))
        if not found and not str(item["reason"]).strip():
            what = "a waiver" if key == "waivers" else "an explanation"
            found.append(doc.problem((key, i, "reason"), f"{what} needs a reason"))
        problems += found
        if not found:
            found_all.append(
                Waiver(
                    str(item["rule"]),
                    str(item["dataset"]).upper(),
                    str(item["reason"]),
                    str(item.get("variable") or "").upper(),
                )
            )
    return found_all, problems


def check_statements(doc: SpecDocument) -> tuple[Statements, list[SpecProblem]]:
    """Both lists of a study.yaml, checked."""
    waivers, problems = check_waivers(doc, "waivers")
    explanations, more = check_waivers(doc, "explanations")
    return Statements(tuple(waivers), tuple(explanations)), problems + more


def load_statements(path: Path) -> Statements:
    """The waivers and explanations of the YAML file at ``path`` (a study.yaml, or a file
    holding only ``waivers:`` and ``explanations:``). Raises SpecError, naming each line,
    when one is malformed."""
    from cdisc.errors import SpecError

    doc = load_spec(path)
    statements, problems = check_statements(doc)
    if problems:
        raise SpecError("\n".join(str(p) for p in problems))
    return statements


def _matches(findings: pd.DataFrame, statement: Waiver) -> pd.Series:
    match = findings["rule"].eq(statement.rule)
    if statement.dataset != "*":
        match &= _upper(findings["dataset"]) == statement.dataset
    if statement.variable:
        match &= _upper(findings["variable"]) == statement.variable
    return match


def _upper(values: pd.Series) -> pd.Series:
    """``values.astype(str).str.upper()``, worked once per distinct value (a large package
    has a million findings naming a few dozen datasets and variables); missing stays None,
    which matches nothing."""
    return columns.per_value(
        values, "upper", lambda u: u.astype(str).str.upper().to_numpy(dtype=object)
    )


def apply_waivers(
    findings: pd.DataFrame, waivers: list[Waiver] | tuple[Waiver, ...]
) -> pd.DataFrame:
    """``findings`` with a ``waived`` column: the reason of the waiver covering each, or ""."""
    return _attach(findings, waivers, "waived")


def _attach(findings: pd.DataFrame, statements, column: str) -> pd.DataFrame:
    out = findings.copy()
    if column not in out:
        out[column] = ""
    for statement in statements:
        out.loc[_matches(out, statement) & out[column].eq(""), column] = statement.reason
    return out


def unused_waivers(
    findings: pd.DataFrame, waivers: list[Waiver] | tuple[Waiver, ...]
) -> list[Waiver]:
    """The waivers (or explanations) no finding matched: stale, or the problem was fixed."""
    return [w for w in waivers if not _matches(findings, w).any()]


def define_explanations(findings: pd.DataFrame, define: DefineDocument | None) -> pd.Series:
    """For each SCH006 finding whose value the define declares as a sponsor extension of the
    variable's codelist (variable or value level), the text saying so; "" for the rest.

    >>> define_explanations(findings, package.define)  # doctest: +SKIP
    """
    out = pd.Series("", index=findings.index, dtype=object)
    if define is None or findings.empty:
        return out
    extended = _extended_terms(define)
    if not extended:
        return out
    keys = ["dataset", "variable", "value"]
    candidates = findings.loc[findings["rule"].eq(_EXTENSIBLE_RULE), keys].astype(str)
    table = pd.DataFrame(
        [(*key, text) for key, text in extended.items()], columns=[*keys, "explanation"]
    )
    # a left merge keeps the candidates' order; a million findings take a fraction of a second
    texts = candidates.merge(table, how="left", on=keys, validate="many_to_one")["explanation"]
    out.loc[candidates.index] = texts.fillna("").to_numpy(dtype=object)
    return out


def _extended_terms(define: DefineDocument) -> dict[tuple[str, str, str], str]:
    """(dataset, variable, term) -> explanation, for every term a define marks extended."""
    codelists = {c.oid: c for c in define.codelists}
    by_variable: dict[tuple[str, str], set[str]] = {}
    for dataset in define.datasets:
        for variable in dataset.variables:
            if variable.codelist:
                by_variable.setdefault((dataset.name, variable.name), set()).add(variable.codelist)
    for value_list in define.value_lists:
        for value in value_list.values:
            if value.codelist:
                key = (value_list.dataset, value_list.variable)
                by_variable.setdefault(key, set()).add(value.codelist)
    out = {}
    for (dataset, variable), oids in by_variable.items():
        for oid in sorted(oids):
            codelist = codelists.get(oid)
            if codelist is None:
                continue
            for term in codelist.terms:
                if term.extended:
                    out.setdefault(
                        (dataset, variable, term.coded_value),
                        f"{DEFINE_EXTENSION} codelist {oid} "
                        '(def:ExtendedValue="Yes"); Pinnacle 21 reports CT2002 for every '
                        "extension so that the reviewer sees it",
                    )
    return out


def settle(
    findings: pd.DataFrame, statements: Statements, define: DefineDocument | None
) -> pd.DataFrame:
    """``findings`` with what the study says about them: ``waived`` and ``explanation``
    columns (the reason, or ""), and the severity of each waived finding set to ``waived``.
    The study's explanation comes first; the define's sponsor extensions explain the rest.

    >>> settle(result.findings, load_statements(Path("study.yaml")), package.define)  # doctest: +SKIP
    """
    out = _attach(findings, statements.waivers, "waived")
    out = _attach(out, statements.explanations, "explanation")
    from_define = define_explanations(out, define)
    out["explanation"] = out["explanation"].where(out["explanation"].ne(""), from_define)
    out["severity"] = out["severity"].where(out["waived"].eq(""), WAIVED)
    return out


def unused_statements(findings: pd.DataFrame, statements: Statements) -> dict[str, list[dict]]:
    """The waivers and explanations that matched no finding, as report rows."""
    return {
        "unused_waivers": [w.__dict__ for w in unused_waivers(findings, statements.waivers)],
        "unused_explanations": [
            w.__dict__ for w in unused_waivers(findings, statements.explanations)
        ],
    }
