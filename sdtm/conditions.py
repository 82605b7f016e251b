"""Condition objects: row masks declared as data, never as an expression to evaluate.

A condition is a mapping with one test on one raw field, or a combination::

    {field: ECYN, equals: "1"}
    {field: AEOUT_DECODE, in: [Fatal, Death]}
    {field: AETERM, present: true}          # not missing and not blank
    {field: VSPERF, not_equals: "0"}
    {field: AMPLEV, in: [BKA, transtibial], ignore_case: true}
    {field: PRLAT, same_as: INDEXLAT}       # equal to another field of the same row
    {all: [{...}, {...}]}   {any: [{...}, {...}]}   {not: {...}}

Values are compared as text after trimming, so ``" 1"`` equals ``"1"``. With
``ignore_case: true`` (``equals``, ``not_equals`` and ``in`` only) they are compared in any
case, for free text typed by hand (``bka`` is ``BKA``). A lineage column such as ``_form``
may be tested like a field, so a spec reading several forms can map each form its own way:
``{field: _form, equals: dd}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cdisc.yamlspec import did_you_mean
from sdtm.distinct import by_value

TESTS = ("equals", "not_equals", "in", "present", "same_as")
COMBINATIONS = ("all", "any", "not")
#: Tests that compare text, so may take ``ignore_case``.
TEXT_TESTS = ("equals", "not_equals", "in", "same_as")
#: Names a hint lists when no name is close to a misspelt one; the rest are counted.
SHOWN_NAMES = 8


def name_hint(name: str, choices: Iterable[str], what: str) -> str:
    """The hint for a name that is not among ``choices``: ``did you mean 'x'?`` when one is
    close, else the valid names, the first :data:`SHOWN_NAMES` in sorted order. Lineage
    columns (``_form``) are left out of the list: a spec rarely means them.

    >>> name_hint("AESTDTX", ["AESTDTC", "AETERM"], "AE variables")
    "did you mean 'AESTDTC'?"
    >>> name_hint("zz", [f"F{i}" for i in range(10)], "fields")
    'fields: F0, F1, F2, F3, F4, F5, F6, F7, ... (10 in all)'
    """
    names = sorted({str(c) for c in choices})
    close = did_you_mean(str(name), names)
    if close:
        return close
    shown = [n for n in names if not n.startswith("_")] or names
    if not shown:
        return f"there are no {what}"
    more = f", ... ({len(shown)} in all)" if len(shown) > SHOWN_NAMES else ""
    return f"{what}: {', '.join(shown[:SHOWN_NAMES])}{more}"


@dataclass(frozen=True)
class Condition:
    """A checked condition; :func:`condition_mask` evaluates it on a raw frame."""

    kind: str  # one of TESTS or COMBINATIONS
    field: str | None = None
    value: Any = None
    parts: tuple[Condition, ...] = ()
    ignore_case: bool = False

    def describe(self) -> str:
        """The condition in words, for the build report."""
        if self.kind in ("all", "any"):
            return f" {'and' if self.kind == 'all' else 'or'} ".join(
                p.describe() for p in self.parts
            )
        if self.kind == "not":
            return f"not ({self.parts[0].describe()})"
        if self.kind == "present":
            return f"{self.field} {'present' if self.value else 'missing'}"
        if self.kind == "same_as":
            return f"{self.field} same as {self.value}" + (
                " (any case)" if self.ignore_case else ""
            )
        text = f"{self.field} {self.kind.replace('_', ' ')} {self.value!r}"
        return text + " (any case)" if self.ignore_case else text


def check_condition(doc, keypath, raw, columns, problems) -> Condition | None:
    """Check a condition mapping; problems are appended, the Condition returned when sound."""
    if not isinstance(raw, dict) or len(set(raw) & set(TESTS + COMBINATIONS)) != 1:
        problems.append(
            doc.problem(
                keypath,
                "a condition needs exactly one of " + ", ".join(TESTS + COMBINATIONS),
                'for example {field: ECYN, equals: "1"}',
            )
        )
        return None
    kind = next(k for k in raw if k in TESTS + COMBINATIONS)
    if kind in ("all", "any"):
        items = raw[kind]
        if not isinstance(items, list) or not items:
            problems.append(
                doc.problem(
                    (*keypath, kind),
                    "expected a list of conditions",
                    f"for example {kind}: [{{field: A, equals: '1'}}, {{field: B, present: true}}]",
                )
            )
            return None
        parts = [
            check_condition(doc, (*keypath, kind, i), c, columns, problems)
            for i, c in enumerate(items)
        ]
        return None if None in parts else Condition(kind, parts=tuple(parts))
    if kind == "not":
        inner = check_condition(doc, (*keypath, "not"), raw["not"], columns, problems)
        return None if inner is None else Condition("not", parts=(inner,))
    allowed = ("field", kind, "ignore_case") if kind in TEXT_TESTS else ("field", kind)
    extra = [k for k in raw if k not in allowed]
    for key in extra:
        hint = did_you_mean(key, (*TESTS, "ignore_case")) or f"allowed keys: {', '.join(allowed)}"
        if key == "ignore_case":
            hint = "ignore_case goes with equals, not_equals, in or same_as"
        problems.append(doc.problem((*keypath, key), "unknown key", hint))
    ignore_case = raw.get("ignore_case", False) if kind in TEXT_TESTS else False
    if not isinstance(ignore_case, bool):
        problems.append(
            doc.problem(
                (*keypath, "ignore_case"), "expected true or false", "write ignore_case: true"
            )
        )
        return None
    name = raw.get("field")
    if not isinstance(name, str):
        problems.append(
            doc.problem(
                keypath,
                "missing required key 'field'",
                f"name the raw field it tests, e.g. {{field: NAME, {kind}: ...}}",
            )
        )
        return None
    if columns is not None and name not in columns:
        problems.append(
            doc.problem(
                (*keypath, "field"),
                f"the source forms declare no field {name!r}",
                name_hint(name, columns, "fields"),
            )
        )
        return None
    value = raw[kind]
    if kind == "in" and not isinstance(value, list):
        problems.append(
            doc.problem((*keypath, "in"), "expected a list of values", "for example in: [A, B]")
        )
        return None
    if kind == "present" and not isinstance(value, bool):
        problems.append(
            doc.problem(
                (*keypath, "present"), "expected true or false", "write present: true or false"
            )
        )
        return None
    if kind == "same_as":
        if not isinstance(value, str):
            problems.append(
                doc.problem(
                    (*keypath, "same_as"), "expected a field name", "for example same_as: INDEXLAT"
                )
            )
            return None
        if columns is not None and value not in columns:
            problems.append(
                doc.problem(
                    (*keypath, "same_as"),
                    f"the source forms declare no field {value!r}",
                    name_hint(value, columns, "fields"),
                )
            )
            return None
    if extra:
        return None
    return Condition(kind, name, value, ignore_case=ignore_case)


def condition_mask(raw: pd.DataFrame, condition: Condition | None) -> np.ndarray:
    """Boolean row mask of ``condition`` on ``raw`` (all True when ``condition`` is None).

    >>> frame = pd.DataFrame({"ECYN": ["1", " 0", None]})
    >>> condition_mask(frame, Condition("equals", "ECYN", "1")).tolist()
    [True, False, False]
    >>> levels = pd.DataFrame({"AMPLEV": [" bka", "BKA", "TMA"]})
    >>> condition_mask(levels, Condition("in", "AMPLEV", ["BKA"], ignore_case=True)).tolist()
    [True, True, False]
    """
    # A writable copy: callers combine masks in place (``fill &= ...``), and pandas may
    # hand back a read-only view of its own data.
    return np.array(_mask(raw, condition), dtype=bool, copy=True)


def _mask(raw: pd.DataFrame, condition: Condition | None) -> np.ndarray:
    if condition is None:
        return np.ones(len(raw), dtype=bool)
    if condition.kind in ("all", "any"):
        # Each part after the first is judged only on the rows still undecided (true so far
        # for ``all``, false for ``any``): a first test such as QSTESTCD = VASREST leaves a
        # small share of a questionnaire's records for the rest. A part judges each row on
        # its own, so the verdicts are those of judging every row.
        decided = condition.kind == "any"
        verdict = np.array(_mask(raw, condition.parts[0]), dtype=bool, copy=True)
        for part in condition.parts[1:]:
            open_rows = np.flatnonzero(verdict != decided)
            if not len(open_rows):
                break
            if len(open_rows) == len(raw):
                rows = raw
            else:  # only the columns the part reads are taken, not the whole frame
                rows = raw[sorted(condition_fields(part))].iloc[open_rows]
            verdict[open_rows] = _mask(rows, part)
        return verdict
    if condition.kind == "not":
        return ~_mask(raw, condition.parts[0])
    if condition.kind == "same_as":
        # Both sides present and equal: a missing value is never the same as anything.
        text, other = _text(raw[condition.field]), _text(raw[condition.value])
        present = (text.notna() & (text != "")).to_numpy(dtype=bool)
        if condition.ignore_case:
            text, other = text.str.casefold(), other.str.casefold()
        return (text == other).fillna(False).to_numpy(dtype=bool) & present
    # One field: judged once per distinct value (missing included), spread back by code; a
    # lab or questionnaire field repeats a few values over a million records.
    verdict = by_value(raw[condition.field], lambda v: pd.Series(_one_field(v, condition)))
    return verdict.to_numpy(dtype=bool)


def _one_field(values: pd.Series, condition: Condition) -> np.ndarray:
    """The verdict of a one-field condition (present, equals, not_equals, in) per value."""
    text = _text(values)
    present = (text.notna() & (text != "")).to_numpy(dtype=bool)
    if condition.kind == "present":
        return present if condition.value else ~present
    values = condition.value if condition.kind == "in" else [condition.value]
    wanted = [str(v) for v in values]
    if condition.ignore_case:
        text = text.str.casefold()
        wanted = [w.casefold() for w in wanted]
    if condition.kind == "in":
        return text.isin(wanted).fillna(False).to_numpy(dtype=bool)
    equal = (text == wanted[0]).fillna(False).to_numpy(dtype=bool)
    return equal if condition.kind == "equals" else ~equal


def _text(values: pd.Series) -> pd.Series:
    """Values as trimmed text; a whole float reads as an integer, so a numeric VISITNUM
    of 60.0 (as SDTM datasets store it) equals the ``"60"`` a spec writes."""
    if pd.api.types.is_float_dtype(values):
        number = values.astype("Float64")
        whole = number.notna() & (number == number.round())
        text = number.astype("string")
        return text.where(~whole, number.round().astype("Int64").astype("string"))
    return values.astype("string").str.strip()


def condition_fields(condition: Condition | None) -> set[str]:
    """Every raw field a condition reads, nested conditions included (none for ``None``).

    >>> sorted(condition_fields(Condition("all", parts=(Condition("equals", "A", "1"),
    ...                                                  Condition("present", "B", True)))))
    ['A', 'B']
    """
    if condition is None:
        return set()
    own = {condition.field} if condition.field is not None else set()
    if condition.kind == "same_as":
        own.add(condition.value)
    return own.union(*(condition_fields(p) for p in condition.parts))
