"""The analysis define of a build: ADSL, ADTTE and the efficacy dataset described for
define.xml, with ARM 1.0 results for the time-to-event analyses.

Methods come from the specs: ADSL's steps in words (:meth:`adam.adsl.AdslSpec.method`),
each ADTTE parameter's events and censors (value-level metadata of AVAL by PARAMCD), the
efficacy components. Codelists: the CDISC ones cut to the terms used, PARAMCD with PARAM as
decode, CNSR with the spec's documented codes.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from adam.specs import AdamSpecs
from cdisc.describe import (
    define_document,
    sponsor_codelist,
    value_list,
    with_codelists,
    with_key_sequence,
    with_significant_digits,
)
from cdisc.metadata import (
    AnalysisResult,
    DatasetDef,
    DefineDocument,
    ResultDisplay,
    StandardDef,
    ValueListDef,
)
from cdisc.standards import Standards

#: Methods of the variables the ADTTE and efficacy engines derive, in words.
METHODS = {
    "STARTDT": "The parameter's origin: the ADSL date its spec names as start (TRTSDT, or "
    "RANDDT for the variants from randomization)",
    "STARTDTF": "The imputation flag of the origin date, from ADSL",
    "ADT": "The date of the record that decided the parameter: the earliest event, else "
    "the censoring date (see the value-level method of AVAL)",
    "ADTF": "The imputation flag of ADT: D, M or Y for the highest component imputed",
    "ADY": "ADT - the spec's start date + 1 on or after it, ADT - start before it",
    "CNSR": "0 for an event; otherwise the censoring code of the source that decided "
    "(the CNSR codelist says what each code means)",
    "EVNTDESC": "The description the deciding event source declares in the spec",
    "CNSDTDSC": "The description the deciding censoring source declares in the spec",
    "SRCDOM": "The dataset of the record that decided ADT (or of the value used)",
    "SRCVAR": "The variable of that record",
    "SRCSEQ": "The --SEQ of that record",
    "AVALC": "Y or N for a responder parameter, from AVAL",
    "BASE": "AVAL of the subject's baseline record of the parameter",
    "CHG": "AVAL - BASE",
    "ABLFL": "Y on the baseline record (the last source record meeting the spec's "
    "baseline condition)",
    "DTYPE": "WC when the composite was decided by the spec's rule for a missing "
    "assessment (worst case)",
}


def analysis_define(
    specs: AdamSpecs,
    standards: Standards,
    frames: dict[str, pd.DataFrame],
    defs: dict[str, DatasetDef],
    *,
    studyid: str,
    title: str,
    created: str,
) -> DefineDocument:
    """The DefineDocument of the ADaM datasets a build wrote (``frames`` as written)."""
    ct = StandardDef("STD.CT.ADAM", "CDISC/NCI", "CT", standards.ct_version, "ADaM")
    ig = StandardDef("STD.ADAMIG", "ADaMIG", "IG", "1.3")
    datasets, codelists, value_lists, results = [], [], [], []
    for name, ds in defs.items():
        frame = frames[name]
        ds = _methods(ds)
        ds, used = with_codelists(ds, frame, standards, ct.oid)
        ds = with_key_sequence(with_significant_digits(ds, frame))
        codelists += used
        if "PARAMCD" in frame:
            decodes = _first(frame, "PARAMCD", "PARAM")
            oid = f"CL.{name}.PARAMCD"
            codelists.append(
                sponsor_codelist(oid, f"Parameter Code ({name})", frame["PARAMCD"], decodes)
            )
            ds = _codelist(ds, "PARAMCD", oid)
            ds, vl = value_list(
                ds, frame, "AVAL", "PARAMCD", label_from="PARAM", methods=_aval_methods(specs, name)
            )
            if vl is not None:
                value_lists.append(vl)
                if specs.tte is not None and name == specs.tte.dataset:
                    results.append(_km_display(name, vl))
        if "CNSR" in frame and specs.tte is not None:
            codes = {str(code): text for code, text in specs.tte.cnsr_codes}
            oid = f"CL.{name}.CNSR"
            codelists.append(sponsor_codelist(oid, "Censor", frame["CNSR"], codes))
            ds = _codelist(ds, "CNSR", oid)
        datasets.append(ds)
    return define_document(
        "Analysis",
        (ig, ct),
        datasets,
        value_lists,
        codelists,
        studyid=studyid,
        title=title,
        created=created,
        results=tuple(results),
    )


def _methods(ds: DatasetDef) -> DatasetDef:
    """Every Derived variable with a method: its own, else the engine's in words."""
    variables = []
    for var in ds.variables:
        if var.origin.type == "Derived" and not var.method:
            method = METHODS.get(var.name)
            if method is None and var.name.startswith("CRIT") and var.name.endswith("FL"):
                method = f"Y when criterion {var.name[4:-2]} (CRIT{var.name[4:-2]}) holds, else N"
            var = replace(var, method=method or f"Derived by the build from the {ds.name} spec")
        variables.append(var)
    return replace(ds, variables=tuple(variables))


def _codelist(ds: DatasetDef, variable: str, oid: str) -> DatasetDef:
    return replace(
        ds,
        variables=tuple(
            replace(v, codelist=oid) if v.name == variable else v for v in ds.variables
        ),
    )


def _first(frame: pd.DataFrame, key: str, value: str) -> dict[str, str]:
    pairs = frame[[key, value]].dropna().drop_duplicates(key)
    return dict(zip(pairs[key].astype(str), pairs[value].astype(str), strict=True))


def _aval_methods(specs: AdamSpecs, name: str) -> dict[str, str]:
    """AVAL's method per PARAMCD: for ADTTE, the parameter's events and censors in words;
    for the efficacy dataset, each measure's source and the composite's criteria."""
    efficacy = specs.efficacy
    if efficacy is not None and name == efficacy.dataset:
        out = {
            m.paramcd: f"{m.source.describe()}: the last record at the analysis visit "
            f"({m.visit.describe()}) or at baseline ({m.baseline.describe()})"
            for m in efficacy.measures
        }
        composite = efficacy.composite
        criteria = "; ".join(f"CRIT{i} {c.crit}" for i, c in enumerate(composite.components, 1))
        out[composite.paramcd] = (
            f"1 (AVALC Y) when every criterion holds: {criteria}; 0 (N) when one fails; a "
            f"subject with a criterion that cannot be evaluated and none failed is decided by "
            f"the rule '{composite.missing}'"
        )
        return out
    if specs.tte is None or name != specs.tte.dataset:
        return {}
    out = {}
    for p in specs.tte.parameters:
        events = "; ".join(f"{e.source.describe()} (CNSR {e.cnsr})" for e in p.events)
        censors = "; ".join(f"{c.source.describe()} (CNSR {c.cnsr})" for c in p.censors)
        choice = "the latest" if p.censor_choice == "latest" else "the first listed"
        out[p.paramcd] = (
            f"Days from STARTDT ({p.start}) to ADT, plus one: ADT is the earliest of {events} "
            f"(ties by that order); without one, {choice} of {censors}. Records dated before "
            f"STARTDT are {'left out' if p.before_start == 'exclude' else 'kept'}."
        )
    return out


def _km_display(name: str, aval: ValueListDef) -> ResultDisplay:
    """ARM: one display of Kaplan-Meier estimates by planned treatment, a result per
    parameter (the records of that PARAMCD, the variables AVAL and CNSR)."""
    results = tuple(
        AnalysisResult(
            oid=f"AR.KM.{value.where.checks[0].values[0]}",
            description=f"Kaplan-Meier estimate of {value.label} by planned treatment (TRTP)",
            reason="SPECIFIED IN PROTOCOL",
            purpose="SECONDARY OUTCOME MEASURE",
            dataset=name,
            where=value.where,
            variables=("AVAL", "CNSR", "TRTP"),
            parameter="PARAMCD",
            documentation=(
                "Product-limit estimate with Greenwood standard errors and log-log 95% "
                "limits; CNSR 0 is an event, every other code censors (a competing event "
                "included). Plot and table: adam/km_<paramcd>.svg and km_estimates.csv "
                "of the build."
            ),
            code_context="Python",
            code="adam.km.km_estimate(adtte, by=['PARAMCD', 'TRTP'])",
        )
        for value in aval.values
    )
    return ResultDisplay(
        oid=f"RD.KM.{name}",
        name="Kaplan-Meier estimates",
        description="Time-to-event estimates by planned treatment, one per parameter",
        results=results,
    )
