"""ADEFF derivation: :func:`derive_efficacy` executes a checked efficacy spec.

The spec language (``adeff.yaml``), the records derived and the component flags are
described in :mod:`adam.efficacy_spec`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from adam.efficacy_spec import ChangeTest, EfficacySpec
from adam.issues import adam_issues
from adam.sources import pick_records, source_records
from cdisc.errors import InputError
from sdtm.conditions import Condition, condition_fields, condition_mask

#: DTYPE of a composite decided by ``missing: failure`` (CDISC CT DTYPE C81224, term C81203).
WORST_CASE = "WC"
#: Columns of ADEFF before the CRITy/CRITyFL pairs and the lineage columns.
_HEAD = ["PARAMCD", "PARAM", "PARAMN", "AVISIT", "AVISITN", "ADT", "ADTF", "ADY"]
_HEAD += ["AVAL", "AVALC", "BASE", "CHG", "ABLFL", "DTYPE"]
_LINEAGE = ["SRCDOM", "SRCVAR", "SRCSEQ"]


def derive_efficacy(
    adsl: pd.DataFrame,
    sdtm: dict[str, pd.DataFrame],
    adtte: pd.DataFrame | None,
    spec: EfficacySpec,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The efficacy dataset of ``spec`` and its problem table (``adam_issues`` columns).

    ``adsl``: one row per subject (STUDYID, USUBJID, the ``start`` date, the variables named
    in ``adsl``/``population``); ``sdtm``: SDTM frames by dataset name; ``adtte``: the ADTTE
    frame (USUBJID, PARAMCD, AVAL, CNSR), or None when the study has none. Raises
    :class:`InputError` when a frame lacks a column the spec needs. Records and flags: see
    the module docstring.

    >>> adeff, problems = derive_efficacy(adsl, {"RS": rs, "QS": qs}, adtte, spec)  # doctest: +SKIP
    >>> adeff.query("PARAMCD == 'TSUCCESS'")[["USUBJID", "AVALC", "CRIT1FL"]]      # doctest: +SKIP
    """
    needed = {"USUBJID", spec.start, *(v for _, v in spec.adsl)}
    _require(adsl, "ADSL", needed | condition_fields(spec.population))
    if adtte is None:  # a study without ADTTE: every no_event component is unknown, reported
        adtte = pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVAL", "CNSR"])
    _require(adtte, "ADTTE", {"USUBJID", "PARAMCD", "AVAL", "CNSR"})
    subjects = adsl[condition_mask(adsl, spec.population)].reset_index(drop=True)
    subjects = subjects.assign(USUBJID=subjects["USUBJID"].astype("string"))
    ids = subjects[["USUBJID"]]
    issues, records = [], []
    chg = {}
    for n, measure in enumerate(spec.measures, start=1):
        frame, found = _measure_records(measure, n, sdtm, subjects, spec.dataset, issues)
        records.append(frame)
        chg[measure.paramcd] = ids.merge(found, on="USUBJID", how="left")
    composite = _composite_records(spec, ids, chg, adtte, issues)
    records.append(composite.assign(PARAMN=float(len(spec.measures) + 1)))
    # Empty frames are left out (their all-NA columns would decide dtypes) unless all are.
    out = pd.concat([r for r in records if len(r)] or records[-1:], ignore_index=True)
    out = out.reindex(columns=list(dict.fromkeys([*out.columns, *_HEAD, *_LINEAGE])))
    start = subjects.set_index("USUBJID")[spec.start].astype("datetime64[ns]")
    out["ADY"] = _study_day(out["ADT"], start.reindex(out["USUBJID"].astype("string")))
    keep = [name for name in ("STUDYID",) if name in subjects]
    keep += ["USUBJID"] + [v for _, v in spec.adsl]
    carried = subjects[keep].rename(columns={v: t for t, v in spec.adsl})
    crits = [
        f"CRIT{i}{s}" for i in range(1, len(spec.composite.components) + 1) for s in ("", "FL")
    ]
    out = carried.merge(out, on="USUBJID", how="inner")
    out = out.sort_values(["USUBJID", "PARAMN", "AVISITN"], kind="stable", na_position="last")
    columns = [*carried.columns, *_HEAD, *crits, *_LINEAGE]
    if not any(m.source.impute for m in spec.measures):
        columns.remove("ADTF")
    out = out.reindex(columns=columns).reset_index(drop=True)
    problems = (
        pd.concat(issues, ignore_index=True)
        if issues
        else adam_issues(spec.dataset, [], code="", message="")
    )
    return _house_types(out), problems


def _measure_records(measure, paramn, sdtm, subjects, dataset, issues):
    """Baseline and analysis-visit records of one measure, and per subject its CHG."""
    base = _valid(measure, measure.baseline, sdtm, subjects, dataset, issues)
    visit = _valid(measure, measure.visit, sdtm, subjects, dataset, issues)
    base = pick_records(base, "last", dated=False)
    visit = pick_records(visit, "last", dated=False)
    base = base.assign(AVISIT="BASELINE", AVISITN=0.0, ABLFL="Y", BASE=base["AVAL"])
    visit = visit.assign(AVISIT=measure.avisit, AVISITN=measure.avisitn)
    visit = visit.merge(base[["USUBJID", "BASE"]], on="USUBJID", how="left")
    visit["CHG"] = visit["AVAL"] - visit["BASE"]
    frame = pd.concat([base, visit], ignore_index=True).assign(
        PARAMCD=measure.paramcd, PARAM=measure.param, PARAMN=float(paramn)
    )
    found = subjects[["USUBJID"]].assign(
        HASBASE=subjects["USUBJID"].isin(base["USUBJID"]).to_numpy(),
        HASVISIT=subjects["USUBJID"].isin(visit["USUBJID"]).to_numpy(),
    )
    found = found.merge(visit[["USUBJID", "CHG"]], on="USUBJID", how="left")
    return frame.drop(columns=["VALUE"]), found


def _valid(measure, condition, sdtm, subjects, dataset, issues):
    """Source records meeting ``condition`` with a usable number in AVAL; the rest reported."""
    source = measure.source
    both = condition if source.where is None else Condition("all", parts=(source.where, condition))
    source = replace(source, where=both)
    records = source_records(source, sdtm, subjects)
    value = pd.to_numeric(records["VALUE"], errors="coerce").astype(float)
    given = records["VALUE"].notna().to_numpy()
    if source.pattern is not None:
        # The raw text, to tell "pattern did not match" from "no value collected".
        raw = source_records(replace(source, pattern=None), sdtm, subjects)
        given = raw["VALUE"].astype("string").str.strip().fillna("").ne("").to_numpy()
        shown = raw["VALUE"]
    else:
        shown = records["VALUE"]
    bad = given & value.isna().to_numpy()
    low, high = measure.range or (-np.inf, np.inf)
    out_of_range = (value < low) | (value > high)
    what = f"{source.dataset}.{measure.source.value}"
    for mask, code, why in (
        (
            bad,
            "value-not-numeric",
            "is not a number" + (" matching the pattern" if source.pattern else ""),
        ),
        (
            out_of_range.to_numpy(),
            "value-out-of-range",
            f"is outside the declared range [{low:g}, {high:g}]",
        ),
    ):
        if mask.any():
            issues.append(
                adam_issues(
                    dataset,
                    records.loc[mask, "USUBJID"],
                    code=code,
                    message=f"{measure.paramcd}: {what} {why}; the record is not used",
                    variable=measure.source.value,
                    value=shown[mask].astype("string").to_numpy(),
                    source=source.dataset,
                    record=_seq_text(records.loc[mask, "SRCSEQ"]),
                )
            )
    # AVAL comes from the value variable, so that is the lineage (source_records names the date).
    records = records.assign(AVAL=value, SRCVAR=measure.source.value)
    return records[value.notna().to_numpy() & ~out_of_range.to_numpy()]


def _composite_records(spec, ids, chg, adtte, issues):
    """One composite record per subject with CRITy/CRITyFL, AVAL/AVALC and DTYPE."""
    comp = spec.composite
    flags = []
    for component in comp.components:
        if component.kind == "no_event":
            flags.append(_no_event(component, ids, adtte, spec.dataset, issues))
            continue
        hits = [_holds(test, chg[test.paramcd]["CHG"]) for test in component.tests]
        hit = hits[0]
        for other in hits[1:]:
            hit = hit | other  # Kleene "or": True wins over unknown, unknown over False
        flags.append(~hit if component.kind == "none_of" else hit)
    result = flags[0]
    for flag in flags[1:]:
        result = result & flag  # Kleene "and": any False fails whatever is unknown
    unknown = result.isna().to_numpy()
    success = result.fillna(False).to_numpy(dtype=bool)
    out = ids.assign(PARAMCD=comp.paramcd, PARAM=comp.param, AVISIT=comp.avisit)
    out["AVISITN"] = np.nan if comp.avisitn is None else comp.avisitn
    out["AVAL"] = np.where(success, 1.0, 0.0)
    out["AVALC"] = np.where(success, "Y", "N").astype(object)
    out["DTYPE"] = None
    if comp.missing == "failure":
        out.loc[unknown, "DTYPE"] = WORST_CASE
    else:
        out.loc[unknown, ["AVAL", "AVALC"]] = [np.nan, None]
    for i, (component, flag) in enumerate(zip(comp.components, flags, strict=True), start=1):
        out[f"CRIT{i}"] = component.crit
        out[f"CRIT{i}FL"] = flag.map({True: "Y", False: "N"}).astype(object).to_numpy()
    if unknown.any():
        why = _missing_reasons(spec, ids, chg)[unknown]
        decided = "counted as failure" if comp.missing == "failure" else "excluded (no AVAL)"
        which = np.full(len(out), "", dtype=object)
        for i in range(1, len(flags) + 1):
            which = which + np.where(out[f"CRIT{i}FL"].isna(), f", CRIT{i}", "")
        which = pd.Series(which[unknown], dtype=object).str.removeprefix(", ")
        issues.append(
            adam_issues(
                spec.dataset,
                ids.loc[unknown, "USUBJID"],
                code="efficacy-missing-rule",
                message=(
                    f"{comp.paramcd} not evaluable ("
                    + which.to_numpy()
                    + " unknown"
                    + why.to_numpy()
                    + f"): {decided} by the rule missing: {comp.missing}"
                ),
                variable="AVAL",
            )
        )
    return out


def _no_event(component, ids, adtte, dataset, issues):
    """``False`` with an event by ``by_day``, ``True`` with a record, else unknown."""
    param = adtte[adtte["PARAMCD"].astype("string") == component.tte_paramcd]
    cnsr = pd.to_numeric(param["CNSR"], errors="coerce")
    aval = pd.to_numeric(param["AVAL"], errors="coerce")
    events = param.loc[(cnsr == 0) & (aval <= component.by_day), "USUBJID"].astype("string")
    has = ids["USUBJID"].isin(param["USUBJID"].astype("string")).to_numpy()
    if not has.all():
        issues.append(
            adam_issues(
                dataset,
                ids.loc[~has, "USUBJID"],
                code="adtte-record-missing",
                message=f"no ADTTE record of {component.tte_paramcd}: '{component.crit}' unknown",
                variable=component.tte_paramcd,
                source="ADTTE",
            )
        )
    flag = pd.Series(~ids["USUBJID"].isin(events).to_numpy(), dtype="boolean")
    return flag.mask(~has)


def _holds(test: ChangeTest, chg: pd.Series) -> pd.Series:
    """Whether CHG meets ``test``: nullable boolean, unknown where CHG is missing."""
    values = pd.Series(chg.to_numpy(dtype=float), dtype="Float64")
    return values >= test.threshold if test.test == "chg_at_least" else values <= test.threshold


def _missing_reasons(spec, ids, chg) -> pd.Series:
    """Per subject, "; no baseline X; no MONTH 6 Y" for the measures the components use."""
    used = {t.paramcd for c in spec.composite.components for t in c.tests}
    why = pd.Series("", index=ids.index, dtype=object)
    for measure in spec.measures:
        if measure.paramcd not in used:
            continue
        found = chg[measure.paramcd]
        why += np.where(~found["HASBASE"].to_numpy(bool), f"; no baseline {measure.paramcd}", "")
        why += np.where(
            ~found["HASVISIT"].to_numpy(bool), f"; no {measure.avisit} {measure.paramcd}", ""
        )
    return why


def _seq_text(seq: pd.Series) -> np.ndarray:
    """--SEQ as the problem table's record text: ``12``, or empty when there is none."""
    return seq.astype("string").str.replace(r"\.0$", "", regex=True).fillna("").to_numpy()


def _study_day(adt: pd.Series, start: pd.Series) -> pd.Series:
    """ADY: days from ``start``, day 1 on ``start`` and no day 0 (ADaMIG --DY convention)."""
    days = (adt.astype("datetime64[ns]") - start.to_numpy()).dt.days.astype(float)
    return days + (days >= 0)


def _house_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Char columns as object with None for missing; Num columns float64; ADT datetime64."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if name == "ADT":
            out[name] = column.astype("datetime64[ns]")
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            out[name] = column.astype(float)
        else:
            out[name] = column.astype(object).where(column.notna(), None)
    return out


def _require(frame: pd.DataFrame, name: str, columns: set[str]) -> None:
    missing = sorted(columns - set(frame.columns))
    if missing:
        raise InputError(
            f"{name} lacks {', '.join(missing)}",
            location=name,
            hint="derive them before the efficacy dataset, or fix the efficacy spec",
        )
