"""ADSL, the subject-level analysis dataset, from DM and the other SDTM datasets.

A spec (``mappings/<study>/adam/adsl.yaml``)::

    dataset: ADSL
    label: Subject-Level Analysis Dataset
    copy: [STUDYID, USUBJID, SUBJID, SITEID, AGE, AGEU, SEX, RACE, ETHNIC, ARM, ACTARM]
    sponsor_variables:
      INDEXLAT: {label: Index Limb, type: Char}
    variables:
      TRTSDT: {algorithm: derive_vars_merged, dataset: EX, date: EXSTDTC, mode: first}
      SAFFL: {algorithm: derive_var_flag, condition: {field: TRTSDT, present: true}}
      INDEXLAT:
        - {algorithm: derive_vars_merged, dataset: EX, value: EXLAT, mode: first}
        - {algorithm: derive_vars_merged, dataset: SUPPRS, where: {field: QNAM, equals: RSLAT},
           value: QVAL, values: {Left: LEFT, Right: RIGHT}}

``copy`` takes DM variables as they are (one record per DM subject; origin Predecessor).
Each variable of ``variables`` holds one step or a list; a later step only fills subjects
the earlier ones left missing, and ``when:`` (a condition on the ADSL variables derived so
far) limits a step to some subjects. Variables are derived in the order written, so a
step may use any variable above it. A name ending in ``DT`` is a date. The algorithms,
each the function of that name in this module (admiral's names where admiral has one):

``derive_vars_merged``
    the ``value`` (or the ``date``) of the first or last (``mode``) record of a source
    (:mod:`adam.sources`); ``values:`` decodes it, ``other:`` gives the value for anything
    not in ``values``.
``derive_var_extreme_dt``
    the latest (``mode: last``) or earliest date over several ``sources``.
``derive_vars_duration``
    days from ``start`` to ``end`` (ADSL dates), plus one with ``add_one: true``.
``derive_var_map``
    ``values`` of another ADSL variable ``from``, decoded (``other`` for the rest).
``derive_vars_cat``
    a category of a number: ``from``, ``breaks`` (ascending, each the first value of the
    next group) and ``labels`` (one more than breaks).
``derive_var_flag``
    ``Y`` where ``condition`` holds, else ``N``.
``derive_var_merged_exist_flag``
    ``Y`` when the subject has a record of the source, else ``N``.
``hardcode``
    ``value`` for every subject (a date as ``2024-12-31`` for a ``DT`` variable).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from adam.issues import adam_issues
from adam.sources import (
    SOURCE_KEYS,
    RecordSource,
    check_source,
    pick_records,
    source_records,
)
from cdisc.errors import InputError
from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, did_you_mean
from sdtm.conditions import Condition, check_condition, condition_mask

SPEC_KEYS = ("dataset", "structure", "label", "copy", "sponsor_variables", "variables")
SPONSOR_KEYS = ("label", "type", "display_format")
#: Each algorithm's keys, beyond ``algorithm`` and ``when``.
ALGORITHM_KEYS: dict[str, tuple[str, ...]] = {
    "derive_vars_merged": (*SOURCE_KEYS, "values", "other"),
    "derive_var_extreme_dt": ("sources", "mode"),
    "derive_vars_duration": ("start", "end", "add_one"),
    "derive_var_map": ("from", "values", "other"),
    "derive_vars_cat": ("from", "breaks", "labels"),
    "derive_var_flag": ("condition",),
    "derive_var_merged_exist_flag": ("dataset", "where"),
    "hardcode": ("value",),
}
REQUIRED_KEYS = {
    "derive_var_extreme_dt": ("sources",),
    "derive_vars_duration": ("start", "end"),
    "derive_var_map": ("from", "values"),
    "derive_vars_cat": ("from", "breaks", "labels"),
    "derive_var_flag": ("condition",),
    "derive_var_merged_exist_flag": ("dataset",),
    "hardcode": ("value",),
}


@dataclass(frozen=True)
class AdslStep:
    """One derivation step of one ADSL variable."""

    target: str
    algorithm: str
    source: RecordSource | None = None
    sources: tuple[RecordSource, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)
    when: Condition | None = None

    def describe(self) -> str:
        """The step in words, for the define's MethodDef and the build report."""
        a = self.args
        if self.algorithm == "derive_vars_merged":
            which = "earliest" if self.source.mode == "first" else "latest"
            text = f"{self.source.describe()}, {which} record"
            if self.source.pattern:
                text += f", the part matching {self.source.pattern}"
            if self.source.impute and self.source.impute.highest_imputation != "n":
                rule = self.source.impute
                text += (
                    f", partial dates imputed ({rule.date_imputation}, up to "
                    f"{rule.highest_imputation}"
                )
                if rule.min_dates:
                    text += f", not before {', '.join(rule.min_dates)}"
                if rule.max_dates:
                    text += f", not after {', '.join(rule.max_dates)}"
                text += ")"
            if "values" in a:
                text += f", decoded {a['values']}"
        elif self.algorithm == "derive_var_extreme_dt":
            which = "latest" if a.get("mode", "last") == "last" else "earliest"
            text = f"the {which} complete date of " + "; ".join(s.describe() for s in self.sources)
        elif self.algorithm == "derive_vars_duration":
            plus = " + 1" if a.get("add_one") else ""
            text = f"{a['end']} - {a['start']}{plus}, in days"
        elif self.algorithm == "derive_var_map":
            text = f"{a['from']} decoded {a['values']}"
        elif self.algorithm == "derive_vars_cat":
            text = f"{a['from']} grouped at {a['breaks']} into {a['labels']}"
        elif self.algorithm == "derive_var_flag":
            text = f"Y when {a['condition'].describe()}, else N"
        elif self.algorithm == "derive_var_merged_exist_flag":
            text = f"Y when the subject has a {self.source.describe()}, else N"
        else:
            text = f"set to {a['value']!r}"
        if self.when is not None:
            text += f" (when {self.when.describe()})"
        return text


@dataclass(frozen=True)
class AdslSpec:
    """A checked ADSL spec: DM variables copied, then derived variables in order."""

    path: str
    label: str
    copy: tuple[str, ...]
    steps: tuple[AdslStep, ...]
    sponsor: dict[str, dict[str, str]] = field(default_factory=dict)
    numeric: frozenset[str] = frozenset()  # derived Num variables that are not dates

    @property
    def variables(self) -> tuple[str, ...]:
        """Every ADSL variable, in the order it is derived (copies first)."""
        names = list(self.copy)
        names += [t for t in dict.fromkeys(s.target for s in self.steps) if t not in names]
        flags = [s.source.impute.flag for s in self.steps if _flag_of(s)]
        return tuple(names + [f for f in flags if f not in names])

    def method(self, name: str) -> str | None:
        """The derivation of ``name`` in words (steps joined by 'else'), or None for copies."""
        steps = [s.describe() for s in self.steps if s.target == name]
        flags = [s for s in self.steps if _flag_of(s) == name]
        if flags:
            return f"the imputation flag of {flags[0].target}: D, M or Y for the level imputed"
        return "; else ".join(steps) if steps else None


def check_adsl(
    doc: SpecDocument, standards: Standards
) -> tuple[AdslSpec | None, list[SpecProblem]]:
    """Check an ADSL spec; return the typed spec (None when it has problems) and them all."""
    data = doc.data
    problems = check_keys(doc, (), data, required=["dataset", "copy"], optional=SPEC_KEYS)
    if not isinstance(data, dict):
        return None, problems
    dm_vars = {v.name for v in standards.sdtm_variables("DM")}
    copy = data.get("copy") or []
    if not isinstance(copy, list):
        problems.append(doc.problem(("copy",), "expected a list of DM variables"))
        copy = []
    for i, name in enumerate(copy):
        if name not in dm_vars:
            problems.append(
                doc.problem(
                    ("copy", i), f"DM has no variable {name!r}", did_you_mean(name, dm_vars)
                )
            )
    for name in ("STUDYID", "USUBJID"):
        if name not in copy:
            problems.append(doc.problem(("copy",), f"copy must include {name}"))
    sponsor = data.get("sponsor_variables") or {}
    problems += _mapping(doc, ("sponsor_variables",), sponsor)
    for name, meta in sponsor.items() if isinstance(sponsor, dict) else ():
        here = ("sponsor_variables", name)
        problems += check_keys(doc, here, meta, required=["label", "type"], optional=SPONSOR_KEYS)
        if isinstance(meta, dict) and meta.get("type") not in ("Char", "Num"):
            problems.append(doc.problem((*here, "type"), "expected Char or Num"))
    known = set(copy)
    steps: list[AdslStep] = []
    variables = data.get("variables") or {}
    problems += _mapping(doc, ("variables",), variables)
    for name, raw in variables.items() if isinstance(variables, dict) else ():
        if standards.adam_variable("ADSL", name) is None and name not in sponsor:
            problems.append(
                doc.problem(
                    ("variables", name),
                    f"{name} is not an ADaMIG 1.3 ADSL variable",
                    "declare its label and type under sponsor_variables",
                )
            )
        items = raw if isinstance(raw, list) else [raw]
        for i, item in enumerate(items):
            here = ("variables", name, i) if isinstance(raw, list) else ("variables", name)
            step = _step(doc, here, name, item, standards, known, problems)
            if step is not None:
                steps.append(step)
                flag = _flag_of(step)
                if flag:
                    known.add(flag)
        known.add(name)
    if problems:
        return None, problems
    label = str(data.get("label") or standards.adam_structure("ADSL").label)
    numeric = frozenset(
        s.target
        for s in steps
        if not _is_date(s.target)
        and (
            sponsor.get(s.target, {}).get("type") == "Num"
            or getattr(standards.adam_variable("ADSL", s.target), "type", "") == "Num"
        )
    )
    spec = AdslSpec(doc.display, label, tuple(copy), tuple(steps), dict(sponsor), numeric)
    return spec, problems


def _mapping(doc, keypath, value) -> list[SpecProblem]:
    if isinstance(value, dict):
        return []
    return [doc.problem(keypath, "expected a mapping of variable names")]


def _step(doc, here, target, raw, standards, known, problems) -> AdslStep | None:
    before = len(problems)
    if not isinstance(raw, dict) or "algorithm" not in raw:
        problems.append(
            doc.problem(here, "expected a step with an 'algorithm'", ", ".join(ALGORITHM_KEYS))
        )
        return None
    algorithm = raw["algorithm"]
    if algorithm not in ALGORITHM_KEYS:
        problems.append(
            doc.problem(
                (*here, "algorithm"),
                f"unknown ADSL algorithm {algorithm!r}",
                did_you_mean(algorithm, ALGORITHM_KEYS) or ", ".join(ALGORITHM_KEYS),
            )
        )
        return None
    keys = ALGORITHM_KEYS[algorithm]
    problems += check_keys(
        doc,
        here,
        raw,
        required=["algorithm", *REQUIRED_KEYS.get(algorithm, ())],
        optional=(*keys, "when"),
    )
    when = None
    if "when" in raw:
        when = check_condition(doc, (*here, "when"), raw["when"], known, problems)
    source, sources, args = None, (), {}
    if algorithm in ("derive_vars_merged", "derive_var_merged_exist_flag"):
        fields = {k: v for k, v in raw.items() if k in SOURCE_KEYS}
        needs = None
        if algorithm == "derive_vars_merged":
            needs = "date" if target.endswith("DT") else "value"
        source = check_source(doc, here, fields, standards, known, problems, needs=needs)
        args = {k: raw[k] for k in ("values", "other") if k in raw}
    elif algorithm == "derive_var_extreme_dt":
        items = raw.get("sources")
        if not isinstance(items, list) or not items:
            problems.append(doc.problem((*here, "sources"), "expected a list of sources"))
        else:
            checked = [
                check_source(
                    doc, (*here, "sources", i), s, standards, known, problems, needs="date"
                )
                for i, s in enumerate(items)
            ]
            sources = tuple(s for s in checked if s is not None)
        args = {"mode": raw.get("mode", "last")}
    elif algorithm == "derive_var_flag":
        condition = check_condition(
            doc, (*here, "condition"), raw.get("condition"), known, problems
        )
        args = {"condition": condition}
    else:
        args = {k: raw[k] for k in keys if k in raw}
        for key in ("from", "start", "end"):
            if key in args and args[key] not in known:
                problems.append(
                    doc.problem(
                        (*here, key),
                        f"ADSL has no variable {args[key]!r} above this one",
                        did_you_mean(str(args[key]), known),
                    )
                )
        if algorithm == "derive_vars_cat":
            breaks, labels = args.get("breaks"), args.get("labels")
            if not isinstance(breaks, list) or not all(isinstance(b, int | float) for b in breaks):
                problems.append(doc.problem((*here, "breaks"), "expected a list of numbers"))
            elif breaks != sorted(breaks):
                problems.append(doc.problem((*here, "breaks"), "breaks must be ascending"))
            elif not isinstance(labels, list) or len(labels) != len(breaks) + 1:
                problems.append(
                    doc.problem((*here, "labels"), f"expected {len(breaks) + 1} labels")
                )
    for key in ("values",):
        if key in (raw if isinstance(raw, dict) else {}) and not isinstance(raw[key], dict):
            problems.append(doc.problem((*here, key), "expected a mapping of value: decode"))
    if len(problems) > before:
        return None
    return AdslStep(target, algorithm, source, sources, args, when)


def _flag_of(step: AdslStep) -> str | None:
    source = step.source
    return source.impute.flag if source is not None and source.impute is not None else None


#: Columns of the ADSL lineage: which SDTM record gave each subject's variable.
LINEAGE_COLUMNS = ["USUBJID", "VARIABLE", "SRCDOM", "SRCVAR", "SRCSEQ"]


def derive_adsl(
    sdtm: dict[str, pd.DataFrame], spec: AdslSpec
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ADSL (one record per DM subject, in DM order), the problems met, and the lineage.

    Dates are ``datetime64[ns]``; a step's unimputable dates are reported as
    ``date-not-imputable`` warnings, one per subject and source. The lineage
    (:data:`LINEAGE_COLUMNS`) has a row per subject and variable taken from a record: the
    copies from DM, and every value a source step picked (SRCSEQ is the record's --SEQ).
    """
    dm = sdtm.get("DM")
    if dm is None:
        raise InputError(
            "ADSL is derived from DM, and the SDTM stage wrote no DM dataset",
            hint="add a DM spec (mappings/<study>/sdtm/dm.yaml)",
        )
    adsl = dm[list(spec.copy)].reset_index(drop=True).copy()
    problems = []
    lineage = [
        pd.DataFrame({"USUBJID": adsl["USUBJID"], "VARIABLE": name, "SRCDOM": "DM", "SRCVAR": name})
        for name in spec.copy
    ]
    for step in spec.steps:
        values, flags, found, origin = _run(step, sdtm, adsl)
        problems.append(found)
        target = step.target
        if target not in adsl:
            adsl[target] = _empty(target, len(adsl))
        open_rows = adsl[target].isna().to_numpy() & condition_mask(adsl, step.when)
        fill = open_rows & values.notna().to_numpy()
        adsl.loc[fill, target] = values[fill]
        if origin is not None:
            lineage.append(origin[fill].assign(VARIABLE=target))
        flag = _flag_of(step)
        if flag:
            if flag not in adsl:
                adsl[flag] = _empty(flag, len(adsl))
            adsl.loc[fill, flag] = flags[fill]
    for name in spec.numeric:
        number = pd.to_numeric(adsl[name], errors="coerce").astype(float)
        text = adsl[name].astype("string").str.strip()
        lost = number.isna() & text.notna() & (text != "")
        problems.append(
            adam_issues(
                "ADSL",
                adsl.loc[lost, "USUBJID"],
                code="value-not-numeric",
                message=f"{name} is numeric; the value derived is not a number, so it is left empty",
                variable=name,
                value=text[lost].to_numpy(dtype=object),
            )
        )
        adsl[name] = number
    problems = [p for p in problems if len(p)]
    found = pd.concat(problems, ignore_index=True) if problems else adam_issues("ADSL", [])
    return adsl, found, pd.concat(lineage, ignore_index=True)[LINEAGE_COLUMNS]


def _run(step: AdslStep, sdtm, adsl) -> tuple[pd.Series, pd.Series, pd.DataFrame, object]:
    """The step's value for each ADSL row (index aligned), its flags, problems, and the
    record each value came from (USUBJID, SRCDOM, SRCVAR, SRCSEQ; None for a step that
    reads no records)."""
    index = adsl.index
    none = pd.Series(None, index=index, dtype=object)
    a = step.args
    found = adam_issues("ADSL", [])
    if step.algorithm in ("derive_vars_merged", "derive_var_merged_exist_flag"):
        records = source_records(step.source, sdtm, adsl)
        if step.algorithm == "derive_var_merged_exist_flag":
            has = adsl["USUBJID"].astype("string").isin(records["USUBJID"]).to_numpy()
            first = adsl[["USUBJID"]].merge(
                pick_records(records, "first", dated=False), on="USUBJID", how="left"
            )
            flag = pd.Series(np.where(has, "Y", "N"), index=index, dtype=object)
            return flag, none, found, first[_ORIGIN]
        found = _unimputable(step, records)
        dated = step.source.date is not None
        if not dated:
            records = records[records["VALUE"].notna() & (records["VALUE"].astype(str) != "")]
        picked = pick_records(records, step.source.mode, dated=dated)
        picked = adsl[["USUBJID"]].merge(picked, on="USUBJID", how="left")
        if dated:
            return picked["ADT"], picked["ADTF"].astype(object), found, picked[_ORIGIN]
        values = picked["VALUE"]
        if "values" in a:
            values = _decode(values, a["values"], a.get("other"))
        return values.astype(object), none, found, picked[_ORIGIN]
    if step.algorithm == "derive_var_extreme_dt":
        last = a.get("mode", "last") == "last"
        parts = [_extreme(source_records(s, sdtm, adsl), last) for s in step.sources]
        records = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        # The extreme date; on a tie, the record of the source listed first.
        records["_source"] = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        ordered = records.sort_values(
            ["USUBJID", "ADT", "_source"], ascending=[True, not last, True], kind="stable"
        )
        picked = adsl[["USUBJID"]].merge(
            ordered.drop_duplicates("USUBJID"), on="USUBJID", how="left"
        )
        return picked["ADT"].astype("datetime64[ns]"), none, found, picked[_ORIGIN]
    if step.algorithm == "derive_vars_duration":
        days = (adsl[a["end"]] - adsl[a["start"]]).dt.days + (1 if a.get("add_one") else 0)
        return days.astype(float), none, found, None
    if step.algorithm == "derive_var_map":
        return _decode(adsl[a["from"]], a["values"], a.get("other")), none, found, None
    if step.algorithm == "derive_vars_cat":
        number = pd.to_numeric(adsl[a["from"]], errors="coerce").to_numpy(float)
        group = np.searchsorted(np.asarray(a["breaks"], dtype=float), number, side="right")
        labels = np.asarray(a["labels"], dtype=object)[np.minimum(group, len(a["labels"]) - 1)]
        groups = pd.Series(np.where(np.isnan(number), None, labels), index=index)
        return groups, none, found, None
    if step.algorithm == "derive_var_flag":
        flag = condition_mask(adsl, a["condition"])
        return pd.Series(np.where(flag, "Y", "N"), index=index, dtype=object), none, found, None
    value = a["value"]
    if _is_date(step.target):
        return pd.Series(pd.Timestamp(str(value)), index=index), none, found, None
    return pd.Series(value, index=index, dtype=object), none, found, None


_ORIGIN = ["USUBJID", "SRCDOM", "SRCVAR", "SRCSEQ"]


def _extreme(records: pd.DataFrame, last: bool) -> pd.DataFrame:
    """Per subject, the first dated record (in record order) of the latest (``last``) or
    earliest date: the only record of a source that can win the step, so the sort across
    sources runs on one record per subject and source, not on every record."""
    records = records[records["ADT"].notna()]
    if not len(records):
        return records
    dates = records.groupby("USUBJID", sort=False)["ADT"]
    return records.loc[dates.idxmax() if last else dates.idxmin()]


def _decode(values: pd.Series, table: dict, other) -> pd.Series:
    """``values`` through ``table`` (keys compared as trimmed text); ``other`` for the rest."""
    text = values.astype("string").str.strip()
    lookup = {str(k): v for k, v in table.items()}
    decoded = text.map(lookup).astype(object)
    if other is not None:
        decoded = decoded.where(text.isna() | text.isin(list(lookup)), other)
    return decoded.where(decoded.notna(), None)


def _unimputable(step: AdslStep, records: pd.DataFrame) -> pd.DataFrame:
    """A warning per subject whose source date is present but could not become a date."""
    if step.source.date is None:
        return adam_issues("ADSL", [])
    text = records["DTC"].astype("string").str.strip()
    bad = records[records["ADT"].isna() & text.notna() & (text != "")]
    return adam_issues(
        "ADSL",
        bad["USUBJID"],
        code="date-not-imputable",
        message=(
            f"{step.target}: {step.source.dataset}.{step.source.date} "
            + bad["DTC"].astype(str)
            + " cannot be imputed under the spec's rule, so this record is not used"
        ).to_numpy(),
        variable=step.target,
        value=bad["DTC"].astype(str).to_numpy(),
        source=step.source.dataset,
        record=bad["SRCSEQ"].astype(str).to_numpy(),
    )


def _empty(name: str, rows: int) -> pd.Series | np.ndarray:
    """A new column of missing values: NaT for a date, None for anything else."""
    if _is_date(name):
        return pd.Series(pd.NaT, index=range(rows), dtype="datetime64[ns]")
    return np.full(rows, None, dtype=object)


def _is_date(name: str) -> bool:
    return name.endswith("DT")
