"""ADTTE derivation: :func:`derive_param_tte` and :func:`censoring_table`.

The spec language (``adtte.yaml``), its checking and the derivation rules (AVAL, ADTF and
the problems reported) are described in :mod:`adam.tte_spec`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from adam.issues import adam_issues
from adam.sources import pick_records, source_records
from adam.tte_spec import KEY_COLUMNS, TTE_COLUMNS, TteSpec
from cdisc.errors import InputError
from sdtm.conditions import condition_fields, condition_mask
from sdtm.engine import ISSUE_COLUMNS

#: Columns of :func:`censoring_table`.
CENSORING_COLUMNS = ["USUBJID", "PARAMCD", "STATUS", "CNSR", "ADT", "AVAL", "DECIDED_BY"]
CENSORING_COLUMNS += ["REASON"]


def derive_param_tte(
    adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: TteSpec
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADTTE from ADSL and the SDTM datasets, and the problems met on the way.

    Adds one record per subject of each parameter's population with STUDYID, USUBJID, the
    ``adsl`` copies, PARAMCD, PARAM, PARAMN, STARTDT, STARTDTF, ADT, ADTF, AVAL (days, see
    the module docstring), CNSR, EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR and SRCSEQ; dates are
    ``datetime64[ns]``, numbers float64; sorted by USUBJID and PARAMN. The problems frame
    has the build report's columns (codes ``tte-no-start``, ``tte-no-date``,
    ``tte-date-not-imputable``). Raises :class:`InputError` when ADSL or an SDTM dataset
    lacks a variable the spec reads.

    >>> spec, _ = check_tte(load_spec(Path("mappings/sail/adam/adtte.yaml")), standards,
    ...                     adsl_vars)                                    # doctest: +SKIP
    >>> adtte, problems = derive_param_tte(adsl, {"PR": pr, "RS": rs}, spec)  # doctest: +SKIP
    """
    _check_inputs(adsl, sdtm, spec)
    frames, issues = [], []
    for parameter in spec.parameters:
        records, problems = _derive_parameter(adsl, sdtm, spec, parameter)
        frames.append(records)
        issues += problems
    columns = KEY_COLUMNS + [target for target, _ in spec.adsl] + TTE_COLUMNS
    adtte = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    adtte = adtte.sort_values(["USUBJID", "PARAMN"], kind="stable").reset_index(drop=True)
    issues = [i for i in issues if len(i)]
    report = (
        pd.concat(issues, ignore_index=True)
        if issues
        else pd.DataFrame(columns=list(ISSUE_COLUMNS))
    )
    return adtte[columns], report


def _check_inputs(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: TteSpec) -> None:
    """Raise InputError naming every variable the spec reads and the data lacks."""
    needed: dict[str, set[str]] = {"ADSL": {"STUDYID", "USUBJID"} | {n for _, n in spec.adsl}}
    for parameter in spec.parameters:
        needed["ADSL"] |= {parameter.start} | condition_fields(parameter.population)
        for item in parameter.events + parameter.censors:
            source = item.source
            fields = condition_fields(source.where) | {source.date}
            # An SDTM variable a dataset lacks is a Permissible one with no value in any
            # record (the SDTM stage leaves those out): adam.sources reads it as empty.
            if source.dataset == "ADSL":
                needed["ADSL"] |= fields
    missing = []
    for dataset, names in needed.items():
        frame = adsl if dataset == "ADSL" else sdtm[dataset]
        missing += [f"{dataset}.{n}" for n in sorted(names - set(frame.columns))]
    if missing:
        raise InputError(
            "the spec reads variables the data does not have: " + ", ".join(missing),
            path=spec.dataset,
            hint="derive them in ADSL first, or correct the ADTTE spec",
        )
    dates = {p.start for p in spec.parameters} | {
        item.source.date
        for p in spec.parameters
        for item in p.events + p.censors
        if item.source.dataset == "ADSL"
    }
    wrong = sorted(d for d in dates if not pd.api.types.is_datetime64_any_dtype(adsl[d]))
    if wrong:
        raise InputError(
            "ADSL dates must be datetime64: " + ", ".join(wrong),
            path="ADSL",
            hint="derive them with the ADSL spec (a name ending in DT is a date)",
        )


def _derive_parameter(adsl, sdtm, spec, parameter):
    """The records of one parameter and its problems (a list of problem frames)."""
    code = parameter.paramcd
    population = adsl[condition_mask(adsl, parameter.population)]
    start = population[parameter.start]
    issues = [
        adam_issues(
            spec.dataset,
            population.loc[start.isna(), "USUBJID"],
            code="tte-no-start",
            message=f"{code}: {parameter.start} is missing, so the subject has no {code} record",
            variable="STARTDT",
            source="ADSL",
        )
    ]
    population = population[start.notna()].reset_index(drop=True)
    starts = pd.DataFrame(
        {
            "USUBJID": population["USUBJID"].astype("string"),
            "STARTDT": population[parameter.start].astype("datetime64[ns]"),
        }
    )
    picked = []
    for order, item in enumerate(parameter.events + parameter.censors):
        records, problems = _source_candidates(item, order, sdtm, population, starts, parameter)
        picked.append(records)
        issues.append(problems)
    candidates = pd.concat(picked, ignore_index=True)
    is_event = candidates["KIND"] == "event"
    # Earliest event; on one date the source listed first (admiral: order of event_conditions).
    events = candidates[is_event].sort_values(["USUBJID", "ADT", "ORDER"], kind="stable")
    events = events.drop_duplicates("USUBJID")
    censors = candidates[~is_event & ~candidates["USUBJID"].isin(events["USUBJID"])]
    if parameter.censor_choice == "latest":
        censors = censors.sort_values(
            ["USUBJID", "ADT", "ORDER"], ascending=[True, False, True], kind="stable"
        )
    else:
        censors = censors.sort_values(["USUBJID", "ORDER"], kind="stable")
    chosen = pd.concat([events, censors.drop_duplicates("USUBJID")], ignore_index=True)
    undecided = ~starts["USUBJID"].isin(chosen["USUBJID"])
    issues.append(
        adam_issues(
            spec.dataset,
            starts.loc[undecided, "USUBJID"],
            code="tte-no-date",
            message=f"{code}: no event and no censoring date on or after STARTDT, "
            f"so the subject has no {code} record",
            variable="ADT",
        )
    )
    return _records(population, starts, chosen, spec, parameter), issues


def _source_candidates(item, order, sdtm, population, starts, parameter):
    """The dated record each subject has in one source, tagged with what it would decide."""
    source = item.source
    # VALUE carries the date as collected, so an event whose date cannot be used can be
    # reported with the text that was there.
    records = source_records(replace(source, value=source.date, pattern=None), sdtm, population)
    if source.dataset == "ADSL" and f"{source.date}F" in population:
        flags = population[["USUBJID", f"{source.date}F"]].astype({"USUBJID": "string"})
        flag = records[["USUBJID"]].merge(flags, on="USUBJID", how="left")[f"{source.date}F"]
        records["ADTF"] = flag.astype("string").to_numpy()
    undated = records["ADT"].isna()
    problems = pd.DataFrame(columns=list(ISSUE_COLUMNS))
    if item.kind == "event" and undated.any():
        bad = records[undated]
        text = bad["VALUE"].astype("string").fillna("")
        seq = _seq_text(bad["SRCSEQ"])
        rule = source.impute.highest_imputation if source.impute else "n"
        problems = adam_issues(
            "ADTTE",
            bad["USUBJID"],
            code="tte-date-not-imputable",
            message=(
                f"{parameter.paramcd}: {source.dataset}.{source.date} '"
                + text
                + f"' is not a date its impute rule (highest_imputation {rule}) can complete; "
                + f"the {item.evntdesc} record is ignored"
            ).to_numpy(object),
            variable=source.date,
            value=text.to_numpy(object),
            source=source.dataset,
            record=seq.to_numpy(object),
        )
    records = records[~undated].merge(starts, on="USUBJID", how="inner")
    if parameter.before_start == "exclude":
        records = records[records["ADT"] >= records["STARTDT"]]
    records = pick_records(records, source.mode)
    return (
        records.assign(
            KIND=item.kind,
            ORDER=order,
            CNSR=float(item.cnsr),
            EVNTDESC=item.evntdesc,
            CNSDTDSC=item.cnsdtdsc,
            SRCVAR=item.srcvar or source.date,
        ),
        problems,
    )


def _records(population, starts, chosen, spec, parameter) -> pd.DataFrame:
    """The ADTTE records of one parameter from each subject's deciding record."""
    subjects = pd.DataFrame(
        {
            "STUDYID": population["STUDYID"].to_numpy(),
            "USUBJID": population["USUBJID"].astype("string").to_numpy(),
            **{target: population[name].to_numpy() for target, name in spec.adsl},
        },
        index=population.index,
    )
    flag = f"{parameter.start}F"
    subjects["STARTDTF"] = (
        population[flag].astype("string").to_numpy()
        if flag in population
        else pd.Series(pd.NA, index=population.index, dtype="string").to_numpy()
    )
    out = subjects.merge(chosen.drop(columns="STARTDT"), on="USUBJID", how="inner")
    out = out.merge(starts, on="USUBJID", how="left")
    days = (out["ADT"] - out["STARTDT"]).dt.days.astype(float)
    out["AVAL"] = np.where(days >= 0, days + 1, days)
    out["PARAMCD"] = parameter.paramcd
    out["PARAM"] = parameter.param
    out["PARAMN"] = float(parameter.paramn)
    out["USUBJID"] = out["USUBJID"].astype(population["USUBJID"].dtype)
    columns = KEY_COLUMNS + [target for target, _ in spec.adsl] + TTE_COLUMNS
    for name in ("EVNTDESC", "CNSDTDSC", "ADTF", "STARTDTF"):
        out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out[columns]


def censoring_table(adtte: pd.DataFrame) -> pd.DataFrame:
    """Why each subject's time ends: one row per subject and parameter, for the build report.

    STATUS is ``event`` (CNSR 0), ``competing event`` (CNSR 1 or more from an event source,
    which has no CNSDTDSC) or ``censored``; DECIDED_BY names the record
    (``PR.PRSTDTC seq 3``, ``ADSL.LSTALVDT``); REASON is CNSDTDSC for a censored subject,
    else EVNTDESC. Rows are in ADTTE's order.

    >>> adtte = pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["TTDEATH"], "CNSR": [1.0],
    ...     "ADT": pd.to_datetime(["2021-06-30"]), "AVAL": [181.0], "SRCDOM": ["ADSL"],
    ...     "SRCVAR": ["LSTALVDT"], "SRCSEQ": [np.nan], "EVNTDESC": [None],
    ...     "CNSDTDSC": ["LAST DATE KNOWN ALIVE"]})
    >>> censoring_table(adtte)[["STATUS", "DECIDED_BY", "REASON"]].values.tolist()
    [['censored', 'ADSL.LSTALVDT', 'LAST DATE KNOWN ALIVE']]
    """
    cnsr = adtte["CNSR"]
    censored = adtte["CNSDTDSC"].notna() & (adtte["CNSDTDSC"].astype("string") != "")
    status = np.select([cnsr == 0, censored], ["event", "censored"], default="competing event")
    seq = _seq_text(adtte["SRCSEQ"])
    decided = adtte["SRCDOM"].astype(str) + "." + adtte["SRCVAR"].astype(str)
    decided = decided + np.where(seq != "", " seq " + seq, "")
    reason = adtte["CNSDTDSC"].where(censored, adtte["EVNTDESC"])
    return pd.DataFrame(
        {
            "USUBJID": adtte["USUBJID"],
            "PARAMCD": adtte["PARAMCD"],
            "STATUS": status,
            "CNSR": cnsr,
            "ADT": adtte["ADT"],
            "AVAL": adtte["AVAL"],
            "DECIDED_BY": decided,
            "REASON": reason,
        },
        columns=CENSORING_COLUMNS,
    ).reset_index(drop=True)


def _seq_text(seq: pd.Series) -> pd.Series:
    """--SEQ numbers as text without a trailing ``.0`` (``3.0`` -> ``3``), empty when missing."""
    text = seq.astype(float).astype(str).str.removesuffix(".0")
    return text.where(seq.notna(), "").astype(object)
