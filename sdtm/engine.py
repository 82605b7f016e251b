"""Execute a checked domain spec on a raw export: select rows, map variables, derive.

Every frame the engine builds keeps the raw lineage columns (``_file``, ``_form``,
``_record``, ``_subject``, ``_site``, ``_event``) next to the SDTM variables, so every
problem and every output record names the raw record it came from. Two passes:
:func:`map_domain` (sources, filter, wide-to-long tests, algorithm steps) and
:func:`derive_domain` (VISITNUM/VISIT, study days, EPOCH, baseline flag, --SEQ), which
needs DM's reference dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.readers.base import LINEAGE_COLUMNS, RawExport
from sdtm.algorithms import ALGORITHMS, Context, no_problems, split_responses
from sdtm.baseline import derive_var_blfl
from sdtm.conditions import condition_mask
from sdtm.design import Design, derive_epoch, derive_visit, subject_ids
from sdtm.distinct import by_value, spread
from sdtm.sequence import derive_var_seq
from sdtm.spec import DomainSpec
from sdtm.studyday import derive_vars_dy
from sdtm.text import has_control, single_line
from sdtm.units import (
    VALUE_UNIT,
    resolve_units,
    split_value_unit,
    standardize_units,
    submission_units,
)

#: Columns of the problems frame every stage returns.
ISSUE_COLUMNS = (
    "domain",
    "file",
    "form",
    "record",
    "subject",
    "variable",
    "code",
    "message",
    "value",
)
#: Prefix of the copy of a raw field that a mapped variable of the same name replaced.
RAW_PREFIX = "_raw:"
#: Columns of the row-accounting frame: one row per raw record a domain read.
ACCOUNT_COLUMNS = ("domain", "form", "subject", "record", "used", "reason")


@dataclass
class DomainFrame:
    """A domain being built: data with lineage, problems found, raw records accounted for."""

    domain: str
    data: pd.DataFrame
    issues: pd.DataFrame
    accounting: pd.DataFrame


def issues_from(
    domain: str, frame: pd.DataFrame, variable: str, problems: pd.DataFrame
) -> pd.DataFrame:
    """Problems of one step, located by the lineage of the rows they name."""
    if problems.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    rows = frame.loc[problems["row"].to_numpy()]
    return pd.DataFrame(
        {
            "domain": domain,
            "file": rows["_file"].to_numpy(),
            "form": rows["_form"].to_numpy(),
            "record": rows["_record"].astype(str).to_numpy(),
            "subject": rows["_subject"].to_numpy(),
            "variable": variable,
            "code": problems["code"].to_numpy(),
            "message": problems["message"].to_numpy(),
            "value": problems["value"].astype(str).to_numpy(),
        }
    )


def _concat(parts: list[pd.DataFrame], columns) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def map_domain(
    spec: DomainSpec, export: RawExport, context: Context, design: Design, studyid: str
) -> DomainFrame:
    """Read the spec's source forms and map every declared variable (first pass).

    Rows a filter drops are accounted for with the reason; nothing is dropped silently.
    """
    domain, frames, accounts, issues = spec.domain, [], [], []
    for source in spec.sources:
        raw = export.forms[source.form]
        keep = condition_mask(raw, source.filter)
        reason = f"filter: {source.filter.describe()}" if source.filter else ""
        accounts.append(_account(domain, raw, keep, reason))
        frames.append(raw[keep])
        issues.append(_blank_required(domain, raw[keep], source.required))
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LINEAGE_COLUMNS)
    data["STUDYID"] = studyid
    data["DOMAIN"] = domain
    data["USUBJID"], data["SITEID"] = subject_ids(data, studyid, design)
    if spec.tests:
        form_fields = {src.form: set(export.forms[src.form].columns) for src in spec.sources}
        data, dropped, found = _long(spec, data, context, form_fields, repr(design))
        accounts.append(dropped)
        issues.append(found)
    assigned: set[str] = set()
    # Algorithms and conditions read the raw fields as collected, even when a raw field
    # shares a target's name (SEX) and an earlier step has already replaced it in ``data``.
    # A shallow copy: under copy-on-write a column set in ``data`` leaves ``source`` as it
    # was, and the largest frame of the build (QS, two million rows) is not copied whole.
    source = data.copy(deep=False)
    for step in spec.steps:
        algorithm = ALGORITHMS[step.algorithm]
        result = algorithm.function(source, **step.args, context=context)
        values = result.values
        fill = condition_mask(source, step.when) if step.when else np.ones(len(data), dtype=bool)
        # A raw field may share the target's name (SEX): the first step replaces it.
        if step.target in assigned:
            fill &= data[step.target].isna().to_numpy(dtype=bool)
            data[step.target] = data[step.target].astype("string").mask(fill, values)
        else:
            data[step.target] = values.where(fill).astype("string")
            assigned.add(step.target)
        problems = result.problems
        if not problems.empty and step.when is not None:
            chosen = set(data.index[fill])
            problems = problems[problems["row"].isin(chosen)]
        issues.append(issues_from(domain, data, step.target, problems))
    # A raw field a target replaced (RACE) stays readable as collected for SUPP-- qualifiers.
    for name in assigned & set(source.columns):
        data[RAW_PREFIX + name] = source[name]
    data, found = _single_line(spec, data)
    issues.append(found)
    return DomainFrame(
        domain, data, _concat(issues, ISSUE_COLUMNS), _concat(accounts, ACCOUNT_COLUMNS)
    )


def _single_line(spec: DomainSpec, data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every character value the domain and its SUPP-- take from the raw data on one line
    (:func:`sdtm.text.single_line`): the variables the steps map, the results and units of
    ``tests`` (and the collected standard result), and the raw fields SUPP-- qualifiers read.
    ``line-break-replaced`` names each changed record and variable with the value as
    collected (SUPP-- fields under ``SUPP<domain>``, variable QVAL, the QNAM in the message).
    Values the spec itself sets (a test code, a category) are not raw text, not scanned."""
    d = spec.domain
    raw_text = [*spec.targets]
    if spec.tests:
        raw_text += [f"{d}{v}" for v in ("ORRES", "ORRESU", "REASND", "LAT")]
    columns = {name: (d, name, name) for name in raw_text if name in data}
    if "_standard" in data:
        columns["_standard"] = (d, f"{d}STRESC", f"{d}STRESC")
    for q in spec.supplemental:
        # the column supplemental() reads: the raw copy when a target replaced the field
        name = RAW_PREFIX + q.field if RAW_PREFIX + q.field in data else q.field
        if name in data and name not in columns:
            columns[name] = (f"SUPP{d}", "QVAL", f"QVAL of QNAM {q.qnam}")
    parts = []
    for name, (where, variable, what) in columns.items():  # a loop over columns, not records
        values = data[name]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        # Scan each distinct value once: a lab result column repeats its values a lot.
        codes, uniq = pd.factorize(values)
        bad_uniq = has_control(pd.Series(np.asarray(uniq, dtype=object), dtype=object))
        if not bad_uniq.any():
            continue
        bad = np.append(bad_uniq.to_numpy(dtype=bool), False)[codes]
        fixed = single_line(values[bad])
        parts.append(
            issues_at(
                where,
                data[bad],
                code="line-break-replaced",
                message=(
                    f"{what}: a line break or control character replaced, written as '"
                    + fixed.astype(str)
                    + "'"
                ).to_numpy(dtype=object),
                variable=variable,
                value=values[bad].astype(str).to_numpy(dtype=object),
            )
        )
        data[name] = values.where(~bad, fixed.reindex(values.index)).astype(values.dtype)
    return data, _concat(parts, ISSUE_COLUMNS)


def _blank_required(domain: str, raw: pd.DataFrame, required: tuple[str, ...]) -> pd.DataFrame:
    """One problem per record and ``required`` CRF item left blank (the record is kept).

    Exports rarely say which items the CRF requires (ODM ItemRef Mandatory, REDCap's
    "Required Field?" are often unset), so the spec names them.
    """
    parts = []
    for name in required:  # a loop over the spec's fields, not over records
        blank = raw[name].astype("string").str.strip().fillna("") == ""
        rows = raw[blank.to_numpy(dtype=bool)]
        parts.append(
            issues_at(
                domain,
                rows,
                code="required-item-blank",
                message=f"{name} is blank; the spec lists it as required on the CRF",
                variable=name,
            )
        )
    return _concat(parts, ISSUE_COLUMNS)


def _account(domain: str, raw: pd.DataFrame, used: np.ndarray, reason: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "domain": domain,
            "form": raw["_form"].to_numpy(),
            "subject": raw["_subject"].astype(str).to_numpy(),
            "record": raw["_record"].astype(str).to_numpy(),
            "used": used,
            "reason": np.where(used, "", reason),
        }
    )


def _long(
    spec: DomainSpec,
    data: pd.DataFrame,
    context: Context,
    form_fields: dict[str, set[str]],
    design_text: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Wide-to-long: one row per (raw record, test) that has a result or is marked not done.

    With several source forms (a lab spec reading ``hema`` and ``chem``), a test belongs to
    the forms that collect its result field(s) (``form_fields``): a sample marked not done
    on one panel yields NOT DONE rows for that panel's tests only. A ``ratio`` test derives
    its result (--DRVFL = Y); a record whose ratio cannot be computed is reported
    (``ratio-not-computable``) and yields no row for that test. A long record keeps the raw
    fields read after this step (:func:`_left_behind`; ``design_text``, the design's repr,
    counts as read). Returns the long frame, the records no test used (accounting) and the
    problems.
    """
    d = spec.domain
    test_cl = _paired_test_codelist(context, d)
    tokens = {t.casefold() for t in spec.not_done_results}
    not_done = (
        condition_mask(data, spec.not_done) if spec.not_done else np.zeros(len(data), dtype=bool)
    )
    parts, issues = [], []
    forms = data["_form"].astype(str)
    left_behind = _left_behind(spec, data, form_fields, design_text)
    used = np.zeros(len(data), dtype=bool)  # the wide records some test made a record of
    for test in spec.tests:
        collects = [f for f, names in form_fields.items() if set(test.fields) <= names]
        in_form = forms.isin(collects).to_numpy(dtype=bool)
        # Only the records of the forms that collect the test can give it a record or a
        # problem (a result field is empty on the other forms' records; a value there all
        # the same is read as before): each test works on those records and on the columns
        # it reads or keeps, not on the whole wide frame of every form.
        rows = in_form.copy()
        if test.ratio is None:
            rows |= data[test.result].notna().to_numpy(dtype=bool)
        at = np.flatnonzero(rows)
        read = _read_by(test)
        part = data[[c for c in data.columns if c not in left_behind or c in read]].iloc[at]
        in_form = in_form[at]
        test_not_done = not_done[at] & in_form
        if test.ratio is not None:
            result, problems = _ratio_result(part, test, in_form)
            issues.append(issues_from(d, part, test.testcd, problems))
            part[f"{d}DRVFL"] = pd.Series("Y", index=part.index, dtype="string").where(
                result.notna()
            )
        else:
            collected = part[test.result].astype("string")
            result = by_value(collected, _trimmed)
            blank = in_form & ~test_not_done & (collected.notna() & result.isna()).to_numpy()
            issues.append(_blank_issues(d, part, test, collected, blank))
            if tokens:  # "ND" typed for the result: the test was not done (SDTMIG 4.5.1.1)
                said = _is_one_of(result, tokens) & in_form & ~test_not_done
                issues.append(_said_not_done_issues(d, part, test, collected, said))
                result = result.mask(said)
                test_not_done = test_not_done | said
            if test.unit:  # "156 m" for a test collected in m: --ORRES 156, --ORRESU m
                result, typed = _split_fixed_unit(result, test.unit)
                typed = typed & in_form & ~test_not_done
                issues.append(_typed_unit_issues(d, part, test, collected, typed, test.unit))
        part["_TESTCD"] = test.testcd
        part[f"{d}TESTCD"] = test.testcd
        part[f"{d}TEST"] = test.test or _test_name(test_cl, context, d, test.testcd)
        if test.unit_field:
            unit = by_value(part[test.unit_field].astype("string"), _trimmed)
            if test.ratio is None:  # "12.2g/dL" with g/dL collected: --ORRES 12.2
                result, unit, typed = _split_typed_unit(result, unit)
                typed = typed & in_form & ~test_not_done
                issues.append(_typed_unit_issues(d, part, test, collected, typed))
        else:
            unit = pd.Series(test.unit, index=part.index, dtype="string")
        part[f"{d}ORRES"] = result.where(~test_not_done)
        # --ORRESU takes codelist UNIT: the CT spelling of the collected unit, reported.
        collected_unit = unit.where(result.notna() & ~test_not_done)
        part[f"{d}ORRESU"] = by_value(
            collected_unit, lambda v: submission_units(v).astype("string")
        )
        issues.append(_unit_term_issues(d, part, test, collected_unit, part[f"{d}ORRESU"], context))
        part[f"{d}STAT"] = pd.Series(
            np.where(test_not_done, "NOT DONE", None), index=part.index, dtype="string"
        )
        if test.reason_field:
            part[f"{d}REASND"] = part[test.reason_field].astype("string").where(test_not_done)
        fixed = (("position", "POS"), ("location", "LOC"), ("laterality", "LAT"))
        fixed += (("category", "CAT"), ("subcategory", "SCAT"), ("specimen", "SPEC"))
        for key, var in fixed:
            if getattr(test, key):
                part[f"{d}{var}"] = getattr(test, key)
        if test.laterality_field:
            part[f"{d}LAT"] = by_value(
                part[test.laterality_field].astype("string"), lambda v: v.str.upper()
            )
        # --STRESC as collected (a coded questionnaire score), applied after unit handling.
        standard = None
        if test.standard_field:
            standard = by_value(part[test.standard_field].astype("string"), _trimmed)
        part["_standard"] = (
            standard.where(part[f"{d}ORRES"].notna())
            if standard is not None
            else pd.Series(pd.NA, index=part.index, dtype="string")
        )
        part["_target_unit"] = test.target_unit
        keep = (result.notna() | pd.Series(test_not_done, index=part.index)).to_numpy(dtype=bool)
        used[at[keep]] = True
        parts.append(part.loc[keep, [c for c in part.columns if c not in left_behind]])
    issues.append(_extension_issues(spec, context))
    long = pd.concat(parts, ignore_index=True) if parts else data.iloc[:0]
    has = _same_record(data, used)
    dropped = _account(d, data, has, "no result for any test and not marked not done")
    # records already accounted for as used by the filter: keep only those now unused
    return long, dropped[~has], _concat(issues, ISSUE_COLUMNS)


def _read_by(test) -> set[str]:
    """The raw fields one test reads in its wide-to-long pass."""
    read = {*test.fields, test.unit_field, test.reason_field}
    read |= {test.laterality_field, test.standard_field}
    if test.ratio is not None:
        read |= {*test.ratio.numerator, *test.ratio.denominator, *test.ratio.across}
    return read - {None}


def _trimmed(values: pd.Series) -> pd.Series:
    """Text without surrounding blanks; empty becomes missing (run on distinct values)."""
    text = values.str.strip()
    return text.mask(text == "")


def _same_record(data: pd.DataFrame, used: np.ndarray) -> np.ndarray:
    """Rows of ``data`` whose (form, subject, record) is the key of a ``used`` row: the raw
    record a long record came from, and any record sharing its key."""
    key = np.zeros(len(data), dtype=np.int64)
    for name in ("_form", "_subject", "_record"):  # a loop over the key's columns
        codes, uniq = pd.factorize(data[name].astype(str).to_numpy(), use_na_sentinel=False)
        key = pd.factorize(key * len(uniq) + codes)[0].astype(np.int64)
    return np.isin(key, key[used])


#: Columns :func:`map_domain` sets before the wide-to-long step (a raw field of the same name
#: is replaced by them).
_SET_BEFORE_LONG = ("STUDYID", "DOMAIN", "USUBJID", "SITEID")


def _left_behind(
    spec: DomainSpec, data: pd.DataFrame, form_fields: dict[str, set[str]], design_text: str
) -> set[str]:
    """The raw fields of the wide frame that its long records do not keep, because nothing
    after the wide-to-long step reads them. A test's result fields are read in its own pass;
    a raw field stays when the spec names it outside its tests (steps, conditions, SUPP--,
    sequence, derivations) or the study design does (the test is on the text of their
    definitions, so a field is kept whenever in doubt). Without this, every long record
    copied every raw field of its form: 36 SF-36 items on each questionnaire record, the
    largest frame of the build several times over."""
    outside = (
        repr((spec.sources, spec.steps, spec.supplemental, spec.sequence, spec.derivations))
        + repr(spec.not_done)
        + design_text
    )
    # lineage, and the identifiers set from the design before this step, are not raw fields
    raw = set().union(*form_fields.values()) - {*LINEAGE_COLUMNS, *_SET_BEFORE_LONG}
    return {c for c in data.columns if c in raw and c not in outside}


def _is_one_of(values: pd.Series, folded: set[str]) -> np.ndarray:
    """Whether each value, ignoring case, is one of the ``folded`` (casefolded) texts;
    worked once per distinct value."""
    codes, uniq = pd.factorize(values)
    hit = pd.Series(np.asarray(uniq, dtype=object), dtype="string").str.casefold().isin(folded)
    return np.append(hit.to_numpy(dtype=bool), False)[codes]


def _split_fixed_unit(result: pd.Series, unit: str) -> tuple[pd.Series, np.ndarray]:
    """A number typed with the test's fixed unit (``156 m`` for a test collected in m, CRF
    version 2 of the walking test; ``81mmHg`` for a ratio operand): the number alone, and
    which rows were read so. Any other text (another unit, ``ND``) is left as collected.
    Worked once per distinct result."""
    codes, uniq = pd.factorize(result, use_na_sentinel=False)
    values = pd.Series(uniq, dtype=result.dtype)
    split = split_value_unit(values)
    same = (resolve_units(split["unit"]) == unit).fillna(False)
    number = pd.to_numeric(split["value"].where(same), errors="coerce")
    typed = (same & number.notna()).to_numpy(dtype=bool)
    return spread(values.mask(typed, split["value"]), codes, result.index), typed[codes]


def _split_typed_unit(
    result: pd.Series, unit: pd.Series
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """A result typed with its unit (``12.2g/dL``, ``4.610^9/L``) whose unit is the one the unit
    field holds (any spelling of it), or the unit field is blank: the number (with its
    comparison sign) as the result, the typed unit as the unit where the field is blank, and
    which rows were read so. A typed unit that is unknown or differs from the field's is left
    as collected (``standardize_units`` reports it, no standard result is guessed). Worked
    once per distinct (result, unit) pair."""
    codes, (result_u, unit_u) = _distinct_pairs(result, unit)
    split = split_value_unit(result_u)
    typed_unit = resolve_units(split["unit"])
    agree = typed_unit.notna() & (unit_u.isna() | (resolve_units(unit_u) == typed_unit))
    agree = agree.fillna(False).to_numpy(dtype=bool)
    new_result = result_u.mask(agree, split["value"])
    new_unit = unit_u.mask(agree & unit_u.isna().to_numpy(dtype=bool), split["unit"])
    return (
        spread(new_result, codes, result.index),
        spread(new_unit, codes, unit.index),
        agree[codes],
    )


def _distinct_pairs(
    first: pd.Series, second: pd.Series
) -> tuple[np.ndarray, tuple[pd.Series, pd.Series]]:
    """The distinct (first, second) pairs of two aligned Series (missing counts as a value),
    as two Series on a RangeIndex with the input dtypes, and each row's pair."""
    a_codes, a_uniq = pd.factorize(first, use_na_sentinel=False)
    b_codes, b_uniq = pd.factorize(second, use_na_sentinel=False)
    width = max(len(b_uniq), 1)
    codes, pairs = pd.factorize(a_codes.astype(np.int64) * width + b_codes, sort=False)
    pairs = np.asarray(pairs, dtype=np.int64)
    a = pd.Series(a_uniq, dtype=first.dtype).take(pairs // width).reset_index(drop=True)
    b = pd.Series(b_uniq, dtype=second.dtype).take(pairs % width).reset_index(drop=True)
    return np.asarray(codes, dtype=np.intp), (a, b)


def _typed_unit_issues(
    domain: str,
    part: pd.DataFrame,
    test,
    collected: pd.Series,
    typed: np.ndarray,
    unit: str | None = None,
) -> pd.DataFrame:
    """``unit-in-result`` for a value typed with the test's own unit, read as its number."""
    which = f" ({unit})" if unit else ""
    problems = pd.DataFrame(
        {
            "row": part.index[typed],
            "code": "unit-in-result",
            "message": (
                f"the {test.testcd} result was typed with its unit{which}; read as the "
                "number, the unit kept in --ORRESU"
            ),
            "value": collected[typed].to_numpy(dtype=object),
        }
    )
    return issues_from(domain, part, test.testcd, problems)


def _said_not_done_issues(
    domain: str, part: pd.DataFrame, test, collected: pd.Series, said: np.ndarray
) -> pd.DataFrame:
    """``result-not-done``: a result text the spec lists under ``not_done_results`` (``ND``),
    written as --STAT = NOT DONE with --ORRES empty; the text typed is named here."""
    problems = pd.DataFrame(
        {
            "row": part.index[said],
            "code": "result-not-done",
            "message": (
                f"the {test.testcd} result says the test has no result; written as "
                f"{domain}STAT = NOT DONE with {domain}ORRES empty (SDTMIG 3.4 4.5.1.1)"
            ),
            "value": collected[said].to_numpy(dtype=object),
        }
    )
    return issues_from(domain, part, test.testcd, problems)


def _unit_term_issues(
    domain: str,
    part: pd.DataFrame,
    test,
    collected: pd.Series,
    submitted: pd.Series,
    context: Context,
) -> pd.DataFrame:
    """``unit-term-mapped``: one line per (raw file, form, collected unit) of the test whose
    --ORRESU is written as another spelling, the CDISC UNIT term (``pg/mL`` -> ``ng/L``),
    with the record count. The collected text stays in the raw record each output record's
    lineage names, so it is not repeated per record."""
    changed = (collected.notna() & (collected != submitted)).fillna(False).to_numpy(dtype=bool)
    if not changed.any():
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    rows = pd.DataFrame(
        {
            "file": part.loc[changed, "_file"].astype(str).to_numpy(),
            "form": part.loc[changed, "_form"].astype(str).to_numpy(),
            "collected": collected[changed].astype(str).to_numpy(),
            "submitted": submitted[changed].astype(str).to_numpy(),
        }
    )
    groups = rows.groupby(list(rows.columns), sort=True).size().reset_index(name="records")
    codes = {t.submission_value: t.code for t in context.standards.codelist("UNIT").terms}
    name = f"{domain}ORRESU"
    message = [
        f"{name} of {test.testcd}: '{g.collected}' written as the CDISC UNIT term "
        f"'{g.submitted}' ({codes.get(g.submitted, 'UNIT')}), the same unit [{g.records} "
        f"record{'s' if g.records != 1 else ''}; the collected text stays in the raw record "
        "the lineage names]"
        for g in groups.itertuples(index=False)
    ]  # a loop over distinct spellings, not over records
    return pd.DataFrame(
        {
            "domain": domain,
            "file": groups["file"].to_numpy(),
            "form": groups["form"].to_numpy(),
            "record": "",
            "subject": "",
            "variable": name,
            "code": "unit-term-mapped",
            "message": message,
            "value": groups["collected"].to_numpy(),
        },
        columns=list(ISSUE_COLUMNS),
    )


def _blank_issues(
    domain: str, part: pd.DataFrame, test, collected: pd.Series, blank: np.ndarray
) -> pd.DataFrame:
    """A result of only blanks (``blank-result``, the ``blank`` rows): no record is made,
    and the value may have been lost in entry, so the raw record is named."""
    problems = pd.DataFrame(
        {
            "row": part.index[blank],
            "code": "blank-result",
            "message": f"the {test.testcd} result holds only blanks; no record made",
            "value": collected[blank].to_numpy(dtype=object),
        }
    )
    return issues_from(domain, part, test.testcd, problems)


def _range_issues(spec: DomainSpec, data: pd.DataFrame) -> pd.DataFrame:
    """``out-of-range``: a standard numeric result (--STRESN, so in the test's target unit)
    outside the plausible ``range`` its spec declares; kept as collected (-99 or 999 typed as
    a sentinel, 710 mmHg for 71)."""
    d, parts = spec.domain, []
    number = data[f"{d}STRESN"]
    for test in spec.tests:  # a loop over the spec's tests, not over records
        if test.range is None:
            continue
        low, high = test.range
        rows = (data["_TESTCD"] == test.testcd) & ((number < low) | (number > high))
        rows = rows.fillna(False).to_numpy(dtype=bool)
        problems = pd.DataFrame(
            {
                "row": data.index[rows],
                "code": "out-of-range",
                "message": (
                    f"{test.testcd} outside its plausible range {low:g}-{high:g}"
                    f"{' ' + test.target_unit if test.target_unit else ''} (a sentinel or an "
                    "entry error?); kept as collected"
                ),
                "value": data.loc[rows, f"{d}ORRES"].astype(str).to_numpy(dtype=object),
            }
        )
        parts.append(issues_from(d, data, test.testcd, problems))
    return _concat(parts, ISSUE_COLUMNS)


def _text_result_issues(domain: str, data: pd.DataFrame) -> pd.DataFrame:
    """``not-a-number``: a test declared with a ``target_unit`` (a numeric test) whose result is
    text (``ND``, ``N/A``, ``.``, ``not done``): kept as collected in --ORRES and --STRESC,
    without --STRESN. Comparisons (``<0.5``) and numbers with a unit problem are not text."""
    d = domain
    if "_target_unit" not in data or not len(data):
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    orres = by_value(data[f"{d}ORRES"].astype("string"), lambda v: v.str.strip())
    shaped = by_value(
        orres,
        lambda v: (
            v.str.match(r"^(?:<=|>=|=<|=>|<|>|=|\u2264|\u2265)")
            | v.str.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?")
            | v.str.fullmatch(VALUE_UNIT)
        ).fillna(False),
    )
    text = (
        data["_target_unit"].notna() & orres.notna() & data[f"{d}STRESN"].isna() & ~shaped
    ).to_numpy(dtype=bool)
    problems = pd.DataFrame(
        {
            "row": data.index[text],
            "code": "not-a-number",
            "message": (
                "a numeric test's result is text (a sentinel such as ND or N/A?); kept as "
                "collected in --ORRES and --STRESC, no --STRESN"
            ),
            "value": orres[text].to_numpy(dtype=object),
        }
    )
    found = issues_from(d, data, f"{d}ORRES", problems)
    found["variable"] = data.loc[text, f"{d}TESTCD"].astype(str).to_numpy()  # name the test
    return found


def _extension_issues(spec: DomainSpec, context: Context) -> pd.DataFrame:
    """One ``sponsor-extension`` line per test code the --TESTCD codelist does not hold.

    --TESTCD codelists are extensible, so a sponsor code (LB ``TLYH`` for CD4+ cells, VS
    ``TBI``) is allowed, but a reviewer must see it: reported once per code, as a warning.
    """
    d = spec.domain
    try:
        codelist = context.standards.codelist(f"{d}TESTCD")
    except Exception:  # a domain without a test-code codelist (sponsor-defined domains)
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    known = {t.submission_value for t in codelist.terms}
    rows = [
        [
            d,
            "",
            "",
            "",
            "",
            f"{d}TESTCD",
            "sponsor-extension",
            f"{t.testcd} is not in the {d}TESTCD codelist (extensible); kept as a sponsor term",
            t.testcd,
        ]
        for t in spec.tests
        if t.testcd not in known
    ]  # a loop over the spec's tests, not over records
    return pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))


def _numbers(
    frame: pd.DataFrame, names: tuple[str, ...], unit: str | None
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The fields as numbers (one column each), whether any holds text that is no number,
    and whether any was read from a number typed with ``unit`` (``81mmHg``)."""
    text = frame[list(names)].astype("string").apply(lambda c: c.str.strip())
    text = text.mask(text == "")
    numbers = text.apply(lambda c: pd.to_numeric(c, errors="coerce"))
    typed = pd.DataFrame(False, index=frame.index, columns=list(names))
    if unit is not None:
        for name in names:  # a loop over the spec's fields, not over records
            value, typed[name] = _split_fixed_unit(text[name], unit)
            numbers[name] = numbers[name].where(~typed[name], pd.to_numeric(value, errors="coerce"))
    not_number = (text.notna() & numbers.isna()).any(axis=1)
    return numbers, not_number, typed.any(axis=1)


def _ratio_result(part: pd.DataFrame, test, in_form: np.ndarray) -> tuple[pd.Series, pd.DataFrame]:
    """A ratio test's result as text (``decimals`` places) and the records it could not use.

    ABI = the higher ankle pressure of the leg / the higher brachial pressure of either arm
    (trials.md 3.4). A numerator field holding text (``NC``, ``non-compressible``) makes the
    ratio unknown, not the other field's number alone: reported, no result.
    """
    ratio = test.ratio
    num, num_text, num_typed = _numbers(part, ratio.numerator, ratio.unit)
    den, den_text, den_typed = _numbers(part, ratio.denominator, ratio.unit)
    highest_num = num.max(axis=1, skipna=True)
    highest_den = den.max(axis=1, skipna=True)
    if ratio.across:
        keys = [part["_subject"].astype(str), part["_form"].astype(str)]
        keys += [part[c].astype("string").fillna("") for c in ratio.across]
        highest_den = highest_den.groupby(keys).transform("max")
    value = (highest_num / highest_den).where(highest_den > 0)
    pattern = "%.12g" if test.decimals is None else f"%.{test.decimals}f"
    if test.decimals is not None:
        value = value.round(test.decimals)
    known = value.notna().to_numpy()
    text = pd.Series(pd.NA, index=part.index, dtype="string")
    text[known] = np.char.mod(pattern, value.to_numpy(dtype=float)[known]).astype(object)
    any_num = num.notna().any(axis=1)
    fine = any_num & ~num_text & value.notna()
    bad = pd.Series(in_form, index=part.index) & (num_text | (any_num & value.isna()))
    result = text.astype("string").where(fine & pd.Series(in_form, index=part.index))
    shown = part.loc[bad.to_numpy(dtype=bool), list(ratio.numerator + ratio.denominator)]
    in_form_s = pd.Series(in_form, index=part.index)
    typed = (in_form_s & (num_typed | den_typed)).to_numpy(dtype=bool)
    typed_problems = pd.DataFrame(
        {
            "row": part.index[typed],
            "code": "unit-in-result",
            "message": (
                f"a pressure was typed with its unit ({ratio.unit}); read as the number for "
                f"{test.testcd}"
            ),
            "value": _joined(part.loc[typed, list(ratio.numerator + ratio.denominator)]),
        }
    )
    problems = pd.DataFrame(
        {
            "row": part.index[bad.to_numpy(dtype=bool)],
            "code": "ratio-not-computable",
            "message": (
                f"{test.testcd} not derived: a value of {'/'.join(ratio.numerator)} is text "
                f"or {'/'.join(ratio.denominator)} has no number; no {test.testcd} record"
            ),
            "value": _joined(shown),
        }
    )
    # A denominator operand holding text (a brachial pressure "N/A") is left out of the
    # highest-of: the ratio may still come from the other arm, but never silently.
    den_bad = (in_form_s & den_text & ~bad).to_numpy(dtype=bool)
    den_problems = pd.DataFrame(
        {
            "row": part.index[den_bad],
            "code": "not-a-number",
            "message": (
                f"a value of {'/'.join(ratio.denominator)} is not a number; left out of the "
                f"denominator of {test.testcd}"
            ),
            "value": _joined(part.loc[den_bad, list(ratio.denominator)]),
        }
    )
    return result, pd.concat([typed_problems, problems, den_problems], ignore_index=True)


def _joined(frame: pd.DataFrame) -> np.ndarray:
    """Each row's values as ``a / b / c`` (the operands a problem names)."""
    text = frame.astype("string").fillna("")
    joined = text.iloc[:, 0]
    for name in text.columns[1:]:
        joined = joined + " / " + text[name]
    return joined.to_numpy(dtype=object)


def _paired_test_codelist(context: Context, domain: str):
    try:
        return context.standards.codelist(f"{domain}TEST")
    except Exception:
        return None


def _test_name(test_cl, context: Context, domain: str, testcd: str) -> str:
    """--TEST for a --TESTCD: the term of the --TEST codelist with the same NCI code."""
    try:
        code_term = context.standards.codelist(f"{domain}TESTCD").term(testcd)
    except Exception:
        code_term = None
    if code_term is not None and test_cl is not None:
        for term in test_cl.terms:
            if term.code == code_term.code:
                return term.submission_value
    return testcd


def derive_domain(
    frame: DomainFrame,
    spec: DomainSpec,
    dm: pd.DataFrame | None,
    design: Design,
    visits: pd.DataFrame | None = None,
) -> DomainFrame:
    """Second pass: VISITNUM/VISIT, units, study days, EPOCH, baseline flag and --SEQ.

    ``visits`` (:func:`sdtm.subjectvisits.visit_numbers`) numbers the raw records' visits
    over every form of the study; without it a domain numbers its own records.
    """
    d, data, issues = spec.domain, frame.data.copy(deep=False), [frame.issues]
    accounting = frame.accounting
    derivations = spec.derivations
    if d == "DM":
        data, found, dropped = _first_per_subject(data)
        issues.append(found)
        accounting = _concat([accounting, dropped], ACCOUNT_COLUMNS)
    if dm is not None:
        # A subject's later DM records were reported (above, in DM's own pass) and are not
        # written; every domain takes the subject's reference dates from the first.
        dm = dm[~_later_records(dm)]
    ref = None
    if dm is not None and len(data):
        cols = dm.set_index("USUBJID")
        ref = {
            c: data["USUBJID"].map(cols[c]).astype("string")
            for c in ("RFSTDTC", "RFXSTDTC", "RFXENDTC")
        }
    dtc_name = next((c for c in (f"{d}DTC", f"{d}STDTC") if c in data), None)
    if derivations.get("visit") and len(data):
        visit = derive_visit(data.assign(_dtc=data[dtc_name]) if dtc_name else data, design)
        data["VISITNUM"], data["VISIT"] = visit["VISITNUM"], visit["VISIT"]
        if visits is not None and len(visits):
            # The study-wide numbering (every form's records) wins, so an unscheduled
            # visit has one VISITNUM in every domain and in SV.
            key = ["_form", "_subject", "_record"]
            table = visits.drop_duplicates(key).set_index(key)
            found = pd.MultiIndex.from_frame(data[key].astype(str))
            num = table["VISITNUM"].reindex(found).to_numpy()
            name = table["VISIT"].reindex(found).astype("string").to_numpy()
            has = ~pd.isna(num)
            data.loc[has, "VISITNUM"] = num[has]
            data.loc[has, "VISIT"] = name[has]
    if spec.tests and f"{d}ORRES" in data and len(data):
        targets = {t.testcd: t.target_unit for t in spec.tests if t.target_unit is not None}
        data, found = standardize_units(
            data,
            test=f"{d}TESTCD",
            orres=f"{d}ORRES",
            orresu=f"{d}ORRESU",
            target_units=targets,
            new_vars=(f"{d}STRESC", f"{d}STRESN", f"{d}STRESU"),
        )
        issues.append(_unit_issues(d, data, found))
        data, found = _standard_values(spec, data)
        issues.append(found)
        if "_standard" in data:
            # A collected standard result (a coded score) wins over the unit handling.
            standard = data["_standard"].astype("string")
            given = standard.notna()
            data[f"{d}STRESC"] = data[f"{d}STRESC"].astype("string").mask(given, standard)
            data[f"{d}STRESN"] = data[f"{d}STRESN"].mask(
                given, pd.to_numeric(standard, errors="coerce")
            )
            data[f"{d}STRESU"] = data[f"{d}STRESU"].astype("string").mask(given, pd.NA)
        issues.append(_text_result_issues(d, data))
        issues.append(_range_issues(spec, data))
    if ref is not None:
        days = [c for c in derivations.get("study_day") or [] if c in data]
        if days:
            data = derive_vars_dy(data.assign(_RFSTDTC=ref["RFSTDTC"]), "_RFSTDTC", days).drop(
                columns="_RFSTDTC"
            )
        for name, values in (derivations.get("by_arm") or {}).items():
            # A value known only once the subject's arm is (EXTRT of a blinded trial):
            # DM's ARMCD picks it; a subject without an arm keeps what the steps mapped.
            arm = data["USUBJID"].map(cols["ARMCD"]).astype("string")
            picked = arm.map({str(k): str(v) for k, v in values.items()}).astype("string")
            data[name] = picked.fillna(data[name].astype("string")) if name in data else picked
        epoch_dtc = derivations.get("epoch")
        if epoch_dtc and epoch_dtc in data:
            data["EPOCH"] = derive_epoch(data[epoch_dtc], data["USUBJID"], dm, design)
        baseline = derivations.get("baseline")
        if isinstance(baseline, dict) and len(data):
            by = list(baseline.get("by", ["USUBJID", f"{d}TESTCD"]))
            new_var = baseline.get("new_var", f"{d}LOBXFL")
            data, found = derive_var_blfl(
                data.assign(_RFXSTDTC=ref["RFXSTDTC"]),
                by_vars=by,
                ref_dtc="_RFXSTDTC",
                dtc=baseline.get("dtc", f"{d}DTC"),
                value=f"{d}ORRES",
                new_var=new_var,
                stat=f"{d}STAT" if f"{d}STAT" in data else None,
                order=[c for c in baseline.get("order", []) if c in data],
            )
            data = data.drop(columns="_RFXSTDTC")
            issues.append(_baseline_issues(d, found))
    if d != "DM":
        order = [c for c in spec.sequence if c in data] + ["_form", "_record"]
        if "_TESTCD" in data:
            order.append("_TESTCD")
        data = derive_var_seq(data, by_vars="USUBJID", order=order, new_var=f"{d}SEQ")
    issues.append(_duplicates(d, data, spec))
    return DomainFrame(d, data, _concat(issues, ISSUE_COLUMNS), accounting)


def _later_records(dm: pd.DataFrame) -> np.ndarray:
    """Rows of a DM frame whose subject (USUBJID) an earlier row already holds."""
    usubjid = dm["USUBJID"]
    return (usubjid.notna() & usubjid.duplicated()).to_numpy(dtype=bool)


def _first_per_subject(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """DM with one record per subject: the first, in export order (SDTMIG 3.4 DM: one
    record per subject). Each later record is an error ``duplicate-subject`` at its own raw
    record, naming the record kept, and is accounted for as not used.

    Returns (data, problems, accounting rows of the records left out).
    """
    later = _later_records(data)
    if not later.any():
        return data, pd.DataFrame(columns=ISSUE_COLUMNS), pd.DataFrame(columns=ACCOUNT_COLUMNS)
    first = data[~later].dropna(subset=["USUBJID"]).set_index("USUBJID")
    rows = data[later]
    kept_form = rows["USUBJID"].map(first["_form"]).astype(str)
    kept_record = "record " + rows["USUBJID"].map(first["_record"]).astype(str)
    # The form is named only when the kept record is on another form than the later one.
    kept = np.where(
        kept_form.to_numpy() == rows["_form"].astype(str).to_numpy(),
        kept_record.to_numpy(),
        ("form " + kept_form + ", " + kept_record).to_numpy(),
    )
    subject = rows["_subject"].astype(str).to_numpy()
    message = (
        "subject '" + subject + "' already has a DM record (" + kept + "); this one is not "
        "written (keep one record per subject in the export)"
    )
    found = issues_at(
        "DM", rows, code="duplicate-subject", message=message, variable="USUBJID", value=subject
    )
    reason = "subject already has a DM record (" + kept + ")"
    return data[~later], found, _account("DM", rows, np.zeros(len(rows), dtype=bool), reason)


def _standard_values(spec: DomainSpec, data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``standard_values`` of each test applied to its final --ORRES (ignoring case and
    blanks) as the collected standard result ``_standard`` (Rutherford ``II-4 - Ischemic
    rest pain`` -> ``4``). A result the table lacks keeps --STRESC as collected and is
    reported (``no-standard-value``), never guessed."""
    d = spec.domain
    tests = [t for t in spec.tests if t.standard_values]
    if not tests or "_TESTCD" not in data:
        return data, pd.DataFrame(columns=ISSUE_COLUMNS)
    data = data.copy(deep=False)  # copy-on-write: the columns set below are new
    standard = data.get("_standard", pd.Series(pd.NA, index=data.index)).astype("string")
    orres = data[f"{d}ORRES"].astype("string").str.strip()
    folded = orres.str.casefold()
    parts = []
    for test in tests:  # a loop over the spec's tests, not over records
        table = {text.casefold(): value for text, value in test.standard_values}
        rows = (data["_TESTCD"] == test.testcd) & orres.notna()
        mapped = folded.map(table).astype("string")
        standard = standard.mask(rows & mapped.notna(), mapped)
        unknown = (rows & mapped.isna()).fillna(False).to_numpy(dtype=bool)
        parts.append(
            issues_at(
                d,
                data[unknown],
                code="no-standard-value",
                message=(
                    f"{d}ORRES of {test.testcd} is none of the texts of its standard_values; "
                    f"{d}STRESC left as collected"
                ),
                variable=test.testcd,
                value=orres[unknown].astype(str).to_numpy(dtype=object),
            )
        )
    data["_standard"] = standard
    return data, _concat(parts, ISSUE_COLUMNS)


def _unit_issues(domain: str, data: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """Unit findings, one per raw record concerned.

    ``standardize_units`` reports a finding per (code, test, unit) with a record count; the
    records are found again here: the test's rows with a result but no standard numeric
    result (every finding but ``mixed-units`` leaves the result unconverted), narrowed to the
    finding's unit when rows carry it as collected (``--ORRESU``, trimmed). ``mixed-units``
    concerns every row of the test with a standard unit. A finding whose records cannot be
    told apart this way is kept as one summary line without a record.
    """
    if found.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    d = domain
    test = data[f"{d}TESTCD"].astype("string")
    has_result = data[f"{d}ORRES"].astype("string").str.strip().fillna("") != ""
    unconverted = has_result & data[f"{d}STRESN"].isna() if f"{d}STRESN" in data else has_result
    unit = data[f"{d}ORRESU"].astype("string").str.strip()
    orres = data[f"{d}ORRES"].astype("string").str.strip()
    # Text results (UNK, NA, .) are left unconverted by design, not by a unit problem.
    # The same shape standardize_units calls unit-in-result (a hand-written copy missed
    # "2.37 10^9/L", so those findings named no record).
    trailing = orres.str.fullmatch(VALUE_UNIT).fillna(False)
    numeric = orres.str.fullmatch(r"[<>=]*\s*[+-]?[\d.,]*\d[\d.,]*").fillna(False)
    message = (
        found["message"].astype(str)
        + " ["
        + found["records"].astype(str)
        + " records, e.g. "
        + found["example"].astype(str)
        + "]"
    )
    parts = []
    for i, f in enumerate(found.itertuples(index=False)):  # one pass per finding, not record
        if f.code == "mixed-units":
            rows = (test == f.test) & data[f"{d}STRESU"].notna()
        else:
            shape = trailing if f.code == "unit-in-result" else numeric
            rows = (test == f.test) & unconverted & shape
            same_unit = rows & (unit == str(f.unit)).fillna(False)
            if same_unit.any():
                rows = same_unit
        rows = rows.fillna(False).to_numpy(dtype=bool)
        picked = data[rows]
        if not len(picked):
            picked = data.iloc[:0]
        part = pd.DataFrame(
            {
                "domain": d,
                "file": picked["_file"].astype(str).to_numpy(),
                "form": picked["_form"].astype(str).to_numpy(),
                "record": picked["_record"].astype(str).to_numpy(),
                "subject": picked["_subject"].astype(str).to_numpy(),
                "variable": str(f.test),
                "code": f.code,
                "message": message.iloc[i],
                "value": (
                    picked[f"{d}ORRES"].astype("string").fillna("")
                    + " "
                    + picked[f"{d}ORRESU"].astype("string").fillna("")
                )
                .str.strip()
                .to_numpy(dtype=object),
            }
        )
        if not len(part):
            part = pd.DataFrame(
                [[d, "", "", "", "", str(f.test), f.code, message.iloc[i], str(f.unit)]],
                columns=list(ISSUE_COLUMNS),
            )
        parts.append(part)
    return _concat(parts, ISSUE_COLUMNS)


def _baseline_issues(domain: str, found: pd.DataFrame) -> pd.DataFrame:
    if found.empty:
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    # Findings name groups (USUBJID=..., VSTESTCD=...), not single raw records.
    return pd.DataFrame(
        {
            "domain": domain,
            "file": "",
            "form": "",
            "record": "",
            "subject": "",
            "variable": f"{domain}LOBXFL",
            "code": found["code"].to_numpy(),
            "message": (found["message"].astype(str) + " " + found["by"].astype(str)).to_numpy(),
            "value": "",
        }
    )


#: Timing and identifying qualifiers of a findings record besides USUBJID and --TESTCD: two
#: records alike in all of them are the same measurement twice (P21 SD1117 checks the same).
FINDINGS_KEY = ("CAT", "SCAT", "SPEC", "LOC", "LAT", "POS", "DTC", "TPTNUM", "TPT")
#: The same for an events record besides USUBJID and VISITNUM (P21 SD1201): the same event
#: entered twice, once with a partial end date, shows up this way.
EVENTS_KEY = ("TERM", "DECOD", "CAT", "SCAT", "OCCUR", "LOC", "LAT", "DIR", "SEV", "TOXGR")
EVENTS_KEY += ("STTPT", "STDTC")


def _duplicates(domain: str, data: pd.DataFrame, spec: DomainSpec) -> pd.DataFrame:
    """Duplicates, reported and all kept (the data manager decides).

    ``duplicate-record``: identical in every mapped variable. ``duplicate-key``: findings
    with the same subject, test, visit, time point, specimen, location and side but different
    results (the record of a left leg filed as the right one shows up this way); events with
    the same subject, term, category, severity and start (:data:`EVENTS_KEY`) that differ
    elsewhere (an AE entered twice, once with a partial end date). A missing key value is a
    value of its own for ``duplicate-record``; for ``duplicate-key`` it is the same as an
    empty text. Records are compared by the codes of each column's distinct values, each
    column factorised once for both checks.
    """
    if not len(data):
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    keys = [c for c in ("USUBJID", *spec.targets, f"{domain}TESTCD", f"{domain}ORRES") if c in data]
    keys = list(dict.fromkeys(keys))
    codes = _ColumnCodes(data)
    parts = []
    if len(keys) >= 2:
        same = _repeated([codes.exact(c) for c in keys])
        parts.append(
            issues_at(
                domain,
                data[same],
                code="duplicate-record",
                message="identical to another record in every mapped variable; kept",
            )
        )
    else:
        same = np.zeros(len(data), dtype=bool)
    if f"{domain}TESTCD" in data:
        natural = ["USUBJID", f"{domain}TESTCD", "VISITNUM"]
        natural += [f"{domain}{k}" for k in FINDINGS_KEY]
        natural = [c for c in natural if c in data]
        clash = _repeated([codes.as_text(c) for c in natural]) & ~same
        parts.append(
            issues_at(
                domain,
                data[clash],
                code="duplicate-key",
                message="another record has the same subject, test, visit, time, specimen, location "
                "and side (" + ", ".join(natural) + ") with another result; both kept",
            )
        )
    elif f"{domain}TERM" in data:
        natural = ["USUBJID", *(f"{domain}{k}" for k in EVENTS_KEY), "VISITNUM"]
        natural = [c for c in natural if c in data]
        clash = _repeated([codes.as_text(c) for c in natural]) & ~same
        parts.append(
            issues_at(
                domain,
                data[clash],
                code="duplicate-key",
                message="another record has the same subject, term, category, severity and start ("
                + ", ".join(natural)
                + ") but differs elsewhere; both kept",
            )
        )
    return _concat(parts, ISSUE_COLUMNS)


class _ColumnCodes:
    """Codes of each column's distinct values, worked out once per column.

    :meth:`exact` compares values as ``DataFrame.duplicated`` does (missing is a value of its
    own). :meth:`as_text` compares them as their text with missing read as empty text (as
    ``astype("string").fillna("")`` would, without writing that text for every record):
    for text, the empty string joins the missing values; for numbers, whose text differs
    exactly when the numbers do, but for ``-0.0`` and ``0.0``, the sign of zero is kept
    apart; any other dtype is compared through its text.
    """

    def __init__(self, data: pd.DataFrame):
        self.data = data
        self._exact: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _factorized(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._exact:
            codes, uniq = pd.factorize(self.data[name])
            self._exact[name] = (np.asarray(codes, dtype=np.int64), np.asarray(uniq, dtype=object))
        return self._exact[name]

    def exact(self, name: str) -> tuple[np.ndarray, int]:
        """(code per row, -1 where missing; number of distinct non-missing values)."""
        codes, uniq = self._factorized(name)
        return codes, len(uniq)

    def as_text(self, name: str) -> tuple[np.ndarray, int]:
        """(code per row, -1 where missing or empty text; number of distinct values)."""
        values = self.data[name]
        if isinstance(values.dtype, pd.StringDtype):
            codes, uniq = self._factorized(name)
            empty = np.flatnonzero(uniq == "")
            if len(empty):
                codes = np.where(codes == empty[0], -1, codes)
            return codes, len(uniq)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            codes, count = self.exact(name)
            if pd.api.types.is_float_dtype(values):
                number = values.to_numpy(dtype=np.float64, na_value=np.nan)
                negative_zero = (number == 0) & np.signbit(number)
                codes = np.where(negative_zero, count, codes)
                count += 1
            return codes, count
        codes, uniq = pd.factorize(values.astype("string").fillna(""))
        codes = np.asarray(codes, dtype=np.int64)
        empty = np.flatnonzero(np.asarray(uniq == "", dtype=bool))
        if len(empty):
            codes = np.where(codes == empty[0], -1, codes)
        return codes, len(uniq)


def _repeated(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """True for each row whose codes, in every column, are those of another row
    (``duplicated(keep=False)`` on the combined key)."""
    key = np.zeros(len(columns[0][0]), dtype=np.int64)
    bound = 1  # key < bound
    for codes, count in columns:  # a loop over the key's columns
        if bound * (count + 1) >= 2**62:  # renumber the key before it could overflow
            key, uniq = pd.factorize(key)
            key, bound = key.astype(np.int64), max(len(uniq), 1)
        key = key * (count + 1) + (codes + 1)
        bound *= count + 1
    key = pd.factorize(key)[0]
    return np.bincount(key)[key] > 1


def issues_at(
    domain: str, rows: pd.DataFrame, *, code, message, variable="", value=""
) -> pd.DataFrame:
    """Problems about ``rows`` (frames carrying the raw lineage columns), one per row,
    located by their raw file, form, record and subject. ``code``, ``message``,
    ``variable`` and ``value`` are one value for all rows or one per row."""
    return pd.DataFrame(
        {
            "domain": domain,
            "file": rows["_file"].astype(str).to_numpy(),
            "form": rows["_form"].astype(str).to_numpy(),
            "record": rows["_record"].astype(str).to_numpy(),
            "subject": rows["_subject"].astype(str).to_numpy(),
            "variable": variable,
            "code": code,
            "message": message,
            "value": value,
        },
        columns=list(ISSUE_COLUMNS),
    )


def _collected(frame: pd.DataFrame, field: str) -> pd.Series:
    """A raw field as collected, also when a mapped variable of its name replaced it."""
    return frame.get(RAW_PREFIX + field, frame[field]).astype("string")


def _answers(frame: pd.DataFrame, q, context: Context) -> tuple[pd.DataFrame, pd.Series, list]:
    """A multiple-response qualifier: one row per answer of the records with several answers,
    QNAM numbered RACE1, RACE2, ... and QVAL the answer's CT value (as collected if none)."""
    value = _collected(frame, q.field).str.strip().fillna("")
    sep = q.multiple["separator"]
    several = value.str.contains(sep, regex=False).to_numpy(dtype=bool)
    rows, qvals, qnams = [], [], []
    # one pass per record that has several answers (a few per study), not per record
    for position in np.flatnonzero(several):
        answers = split_responses(
            value.iloc[position], q.field, q.multiple["codelist"], context, sep
        )
        for i, (collected, term) in enumerate(answers, start=1):
            rows.append(position)
            qvals.append(term or collected)
            qnams.append(f"{q.qnam}{i}")
    return frame.iloc[rows], pd.Series(qvals, dtype="string"), qnams


def supplemental(
    frame: pd.DataFrame, spec: DomainSpec, studyid: str, context: Context | None = None
) -> pd.DataFrame:
    """SUPP-- rows (IDVAR = --SEQ, or none for DM) for every declared qualifier with a value.

    A ``multiple`` qualifier gives one row per answer (``context`` reads each answer through
    the item's decode and the codelist) and only for records with several answers.
    """
    d, parts = spec.domain, []
    for q in spec.supplemental:
        if q.multiple is not None:
            rows, qval, qnam = _answers(frame, q, context)
            value, keep = qval, pd.Series(True, index=qval.index)
            qlabel = [f"{q.qlabel} {name.removeprefix(q.qnam)}" for name in qnam]  # Race 1
        else:
            value = _collected(frame, q.field).str.strip()
            keep = value.notna() & (value != "")
            if q.when is not None:
                keep &= condition_mask(frame, q.when)
            rows, qnam, qlabel = frame[keep.to_numpy(dtype=bool)], q.qnam, q.qlabel
        idvar = "" if d == "DM" else f"{d}SEQ"
        parts.append(
            pd.DataFrame(
                {
                    "STUDYID": studyid,
                    "RDOMAIN": d,
                    "USUBJID": rows["USUBJID"].to_numpy(),
                    "IDVAR": idvar,
                    "IDVARVAL": "" if d == "DM" else rows[f"{d}SEQ"].astype(str).to_numpy(),
                    "QNAM": qnam,
                    "QLABEL": qlabel,
                    "QVAL": value[keep].to_numpy(),
                    "QORIG": q.qorig,
                    "QEVAL": q.qeval or "",
                    "_file": rows["_file"].to_numpy(),
                    "_form": rows["_form"].to_numpy(),
                    "_subject": rows["_subject"].to_numpy(),
                    "_record": rows["_record"].astype(str).to_numpy(),
                }
            )
        )
    return _concat(parts, ["STUDYID", "RDOMAIN", "USUBJID", "QNAM"])


__all__ = [
    "ACCOUNT_COLUMNS",
    "ISSUE_COLUMNS",
    "DomainFrame",
    "derive_domain",
    "issues_at",
    "map_domain",
    "no_problems",
    "supplemental",
]
