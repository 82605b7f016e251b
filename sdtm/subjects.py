"""Raw subject keys written in another form, mapped to the canonical key before USUBJID is built.

Records keyed in by hand or transferred from another system may carry a subject id in a
different form (``SAIL-02-033``, ``2-33`` or ``02033`` for ``02-033``). Built as is, such a
record gets a USUBJID that DM does not know. ``study.yaml`` may declare, under
``subjects:``, rules that rewrite such keys::

    subjects:
      normalise:
        - {pattern: '^SAIL-(?P<id>\\d{2}-\\d{3})$', to: '{id}'}
        - {pattern: '^(?P<site>\\d{1,2})-(?P<number>\\d{1,3})$', to: '{site:0>2}-{number:0>3}'}

Each ``pattern`` is a Python regular expression matched against the whole key (spaces around
the key removed); ``to`` is a Python format string over the pattern's named groups (a format
spec such as ``0>3`` pads with zeros). The first rule whose pattern matches rewrites the key;
a key no rule matches is kept (so an unknown subject is still reported as not in DM). Every
record whose key changed is reported (``subject-id-normalised``); the raw ``_subject``
lineage column keeps the key as collected.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys

#: Problem code of a record whose raw subject key a ``subjects.normalise`` rule rewrote.
SUBJECT_ID_NORMALISED = "subject-id-normalised"


@dataclass(frozen=True)
class SubjectRule:
    """One ``subjects.normalise`` rule: a whole-key regular expression and its rewrite."""

    pattern: str
    to: str

    def rewrite(self, keys: pd.Series) -> pd.Series:
        """The rewritten key where ``pattern`` matches the whole key, missing elsewhere.

        >>> SubjectRule(r"(?P<s>\\d)-(?P<n>\\d+)", "{s:0>2}-{n:0>3}").rewrite(
        ...     pd.Series(["3-1", "03-001", "x"])).tolist()
        ['03-001', nan, nan]
        """
        groups = keys.str.extract(f"^(?:{self.pattern})$", expand=True)
        named = list(re.compile(self.pattern).groupindex)
        matched = keys.str.fullmatch(self.pattern).fillna(False).to_numpy(dtype=bool)
        out = pd.Series(np.nan, index=keys.index, dtype=object)
        if matched.any():
            # Called on the distinct keys only (a few per subject), never per record.
            out[matched] = [
                self.to.format(**dict(zip(named, row, strict=True)))
                for row in groups.loc[matched, named].fillna("").itertuples(index=False)
            ]
        return out


def check_subject_rules(
    doc: SpecDocument, raw: Any, keypath: tuple = ("subjects", "normalise")
) -> tuple[tuple[SubjectRule, ...], list[SpecProblem]]:
    """Check a ``subjects.normalise`` list; return the rules and every problem found.

    Each item needs ``pattern`` (a valid regular expression with at least one named group)
    and ``to`` (a format string naming only those groups, e.g. ``'{site:0>2}-{number}'``).
    """
    if not isinstance(raw, list):
        return (), [doc.problem(keypath, "expected a list of {pattern, to} rules")]
    rules, problems = [], []
    for i, item in enumerate(raw):
        where = (*keypath, i)
        found = check_keys(doc, where, item, required=["pattern", "to"])
        if found:
            problems += found
            continue
        pattern, to = str(item["pattern"]), str(item["to"])
        try:
            groups = list(re.compile(pattern).groupindex)
        except re.error as exc:
            problems.append(doc.problem((*where, "pattern"), f"not a regular expression: {exc}"))
            continue
        if not groups:
            problems.append(
                doc.problem(
                    (*where, "pattern"),
                    "the pattern has no named group",
                    "name the parts to keep, e.g. (?P<site>\\d{2})-(?P<number>\\d{3})",
                )
            )
            continue
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(to) if name is not None}
            unknown = sorted(used - set(groups))
            if unknown or "" in used:
                raise KeyError(unknown[0] if unknown else "")
            to.format(**dict.fromkeys(groups, "0"))
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(
                doc.problem(
                    (*where, "to"),
                    f"bad template: {exc}",
                    "use the pattern's named groups: " + ", ".join(f"{{{g}}}" for g in groups),
                )
            )
            continue
        rules.append(SubjectRule(pattern, to))
    return tuple(rules), problems


def normalise_subjects(keys: pd.Series, rules: tuple[SubjectRule, ...]) -> pd.Series:
    """Each raw subject key rewritten by the first rule that matches it; others unchanged.

    ``keys`` is a string Series (missing stays missing); the result has its index. Keys are
    stripped of surrounding spaces first.

    >>> rules = (SubjectRule(r"SAIL-(?P<id>.+)", "{id}"),)
    >>> normalise_subjects(pd.Series(["SAIL-02-033", "02-033", None]), rules).tolist()
    ['02-033', '02-033', <NA>]
    """
    keys = keys.astype("string").str.strip()
    if not rules:
        return keys
    codes, distinct = pd.factorize(keys, use_na_sentinel=True)
    if not len(distinct):
        return keys
    distinct = pd.Series(distinct, dtype="string")
    new = distinct.copy()
    open_ = pd.Series(True, index=distinct.index)
    for rule in rules:
        rewritten = rule.rewrite(distinct.where(open_))
        hit = rewritten.notna().to_numpy(dtype=bool)
        new[hit] = rewritten[hit].astype(str)
        open_ &= ~hit
    out = new.to_numpy(dtype=object)[np.where(codes < 0, 0, codes)]
    return pd.Series(out, index=keys.index, dtype="string").where(codes >= 0)


def normalised_subjects(
    domain: str, data: pd.DataFrame, rules: tuple[SubjectRule, ...]
) -> pd.DataFrame:
    """One warning per raw record of ``domain`` whose subject key a rule rewrote.

    ``data`` carries the lineage columns (``_file``, ``_form``, ``_record``, ``_subject``);
    rows from the same raw record (a panel's tests, long rows) are reported once. Columns
    are those of ``sdtm.engine.ISSUE_COLUMNS``: ``subject`` is the key as collected,
    ``value`` the key it was read as, ``variable`` USUBJID.

    >>> ae = pd.DataFrame({"_file": "f.xml", "_form": "ae", "_record": ["r1", "r2"],
    ...                    "_subject": ["SAIL-01-001", "01-001"]})
    >>> rules = (SubjectRule(r"SAIL-(?P<id>.+)", "{id}"),)
    >>> normalised_subjects("AE", ae, rules)[["record", "subject", "value"]].values.tolist()
    [['r1', 'SAIL-01-001', '01-001']]
    """
    from sdtm.engine import ISSUE_COLUMNS  # the engine imports this module through design

    if not rules or not len(data) or "_subject" not in data:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    # Once per distinct raw key (a subject's key repeats on each of its records), then
    # only the rows whose key changed are looked at.
    codes, keys = pd.factorize(data["_subject"], use_na_sentinel=True)
    old = pd.Series(keys, dtype=data["_subject"].dtype).astype("string").str.strip()
    new = normalise_subjects(old, rules)
    changed_key = (old != new).fillna(False).to_numpy(dtype=bool)
    changed = np.append(changed_key, False)[codes]  # code -1 (missing key): unchanged
    picked = codes[changed]
    rows = data.loc[changed, ["_file", "_form", "_record"]].astype(str)
    rows = rows.assign(
        old=old.iloc[picked].astype(str).to_numpy(), new=new.iloc[picked].astype(str).to_numpy()
    )
    rows = rows.drop_duplicates(["_file", "_form", "_record", "old"])
    return pd.DataFrame(
        {
            "domain": domain,
            "file": rows["_file"].to_numpy(),
            "form": rows["_form"].to_numpy(),
            "record": rows["_record"].to_numpy(),
            "subject": rows["old"].to_numpy(),
            "variable": "USUBJID",
            "code": SUBJECT_ID_NORMALISED,
            "message": (
                "subject key "
                + rows["old"].map(repr)
                + " read as "
                + rows["new"].map(repr)
                + " (study.yaml subjects.normalise); the raw _subject keeps the key as collected"
            ).to_numpy(),
            "value": rows["new"].to_numpy(),
        },
        columns=list(ISSUE_COLUMNS),
    )


__all__ = [
    "SUBJECT_ID_NORMALISED",
    "SubjectRule",
    "check_subject_rules",
    "normalise_subjects",
    "normalised_subjects",
]
