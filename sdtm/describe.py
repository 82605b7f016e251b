"""The tabulation define of a build: each written SDTM dataset described for define.xml.

Origins come from the domain spec that made the variable (sdtm.oak's algorithm names say
it: ``assign_*`` maps a collected value, ``hardcode_*`` assigns one, the derivations and
the engine derive the rest); methods are the derivations in words; codelists are the CDISC
codelists cut to the terms used; value-level metadata describes --ORRES and --STRESN per
--TESTCD, and SUPP-- QVAL per QNAM (with QLABEL and QORIG).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from cdisc.describe import (
    define_document,
    value_list,
    with_codelists,
    with_key_sequence,
    with_significant_digits,
)
from cdisc.metadata import DatasetDef, DefineDocument, Origin, StandardDef, VariableDef
from cdisc.standards import Standards
from sdtm.specs import StudySpecs

COLLECTED = Origin("Collected", "Investigator")
ASSIGNED = Origin("Assigned", "Sponsor")
DERIVED = Origin("Derived", "Sponsor")
PROTOCOL = Origin("Protocol", "Sponsor")
#: SDTM-MSG dataset order: by class, then by name (reference/define-xml-2.1.md section 2).
CLASS_ORDER = ("TRIAL DESIGN", "SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS")
CLASS_ORDER += ("FINDINGS ABOUT", "RELATIONSHIP", "STUDY REFERENCE")
TRIAL_DESIGN = {"TA", "TE", "TV", "TI", "TS"}
#: What the engine derives, by variable-name suffix, in words a reviewer can follow.
SUFFIX_METHODS = {
    "SEQ": "Sequence number of the record within the subject, in the order of the spec's "
    "sequence keys",
    "DY": "Study day of the date: date - DM.RFSTDTC + 1 on or after the reference start, "
    "date - DM.RFSTDTC before it (there is no day 0)",
    "STRESC": "The result in standard format: the original result, converted to the "
    "standard unit where one is declared",
    "STRESN": "The standard result (--STRESC) as a number",
    "STRESU": "The standard unit the test declares",
    "LOBXFL": "Y on the last record with a result on or before the first dose "
    "(DM.RFXSTDTC), per subject and test",
    "BLFL": "Y on the baseline record: the last with a result on or before the first dose",
    "DRVFL": "Y when the result was derived from other collected values",
}
NAME_METHODS = {
    "USUBJID": "STUDYID, a hyphen and the subject number as the study.yaml pattern writes it",
    "EPOCH": "The epoch of the subject's element (SE) that contains the record's date",
    "VISITNUM": "The planned visit (TV) of the record's visit; an unscheduled visit is "
    "numbered after the last scheduled one before it (x.01, x.02, ...)",
    "VISIT": "The name of the planned visit (TV) of VISITNUM; UNSCHEDULED x.xx otherwise",
    "RFSTDTC": "The date and time of the first dose (EX)",
    "RFENDTC": "The date and time of the last dose (EX)",
    "RFXSTDTC": "The date and time of the first dose (EX)",
    "RFXENDTC": "The date and time of the last dose (EX)",
    "RFPENDTC": "The last date of any record of the subject",
    "DTHFL": "Y when the subject died (a death disposition or a fatal adverse event)",
    "DTHDTC": "The date of death, from the disposition or the fatal adverse event",
    "AGE": "Age in whole years at informed consent, from the date of birth",
}


def tabulation_define(
    specs: StudySpecs,
    standards: Standards,
    frames: dict[str, pd.DataFrame],
    defs: dict[str, DatasetDef],
    *,
    studyid: str,
    title: str,
    created: str,
) -> DefineDocument:
    """The DefineDocument of the SDTM datasets a build wrote (``defs`` with their lengths,
    ``frames`` as written)."""
    ct = StandardDef("STD.CT.SDTM", "CDISC/NCI", "CT", standards.ct_version, "SDTM")
    ig = StandardDef("STD.SDTMIG", "SDTMIG", "IG", "3.4")
    datasets, codelists, value_lists = [], [], []
    for name in sorted(defs, key=lambda n: _order(defs[n])):
        frame, ds = frames[name], defs[name]
        ds = _described(ds, specs)
        ds, used = with_codelists(ds, frame, standards, ct.oid)
        ds = with_key_sequence(with_significant_digits(ds, frame))
        codelists += used
        for variable, by, label in _value_lists(name, ds):
            origin = COLLECTED if variable.endswith("ORRES") else None
            ds, vl = value_list(ds, frame, variable, by, label_from=label, origin=origin)
            if vl is not None:
                value_lists.append(vl)
        if name.startswith("SUPP") and "QVAL" in frame:
            ds, vl = value_list(ds, frame, "QVAL", "QNAM", label_from="QLABEL")
            if vl is not None:
                origins = _qorig(frame)
                values = tuple(_supp_value(v, origins) for v in vl.values)
                value_lists.append(replace(vl, values=values))
        datasets.append(ds)
    return define_document(
        "Tabulation",
        (ig, ct),
        datasets,
        value_lists,
        codelists,
        studyid=studyid,
        title=title,
        created=created,
    )


def _order(ds: DatasetDef) -> tuple:
    name = ds.cdisc_class.upper().replace("-", " ")
    rank = CLASS_ORDER.index(name) if name in CLASS_ORDER else len(CLASS_ORDER)
    return rank, ds.name


def _described(ds: DatasetDef, specs: StudySpecs) -> DatasetDef:
    """``ds`` with origins and methods from the spec that made it, and the dataset facts
    (reference data, repeating) the define states."""
    spec = specs.domains.get(ds.name)
    steps = {}
    if spec is not None:
        for step in spec.steps:
            steps.setdefault(step.target, step.algorithm)
    tested = _tested(spec)
    variables = tuple(_variable(v, ds.name, steps, tested) for v in ds.variables)
    reference = ds.name in TRIAL_DESIGN
    if reference:  # the trial design datasets state the protocol, from study.yaml
        variables = tuple(
            replace(v, origin=PROTOCOL) if v.origin.type == "Collected" else v for v in variables
        )
    return replace(
        ds,
        variables=variables,
        reference_data=reference,
        repeating=not reference and ds.name != "DM",
    )


def _tested(spec) -> set[str]:
    """Variables a spec's wide-to-long ``tests:`` fill: collected results, assigned names."""
    if spec is None or not spec.tests:
        return set()
    return {"ORRES", "ORRESU", "STAT", "REASND"}


def _variable(var: VariableDef, dataset: str, steps: dict[str, str], tested: set[str]):
    suffix = var.name[len(dataset) :] if var.name.startswith(dataset) else var.name
    algorithm = steps.get(var.name, "")
    if var.name in ("STUDYID", "DOMAIN", "RDOMAIN") or algorithm.startswith("hardcode"):
        origin, method = ASSIGNED, None
    elif algorithm.startswith("assign") or suffix in tested:
        origin, method = COLLECTED, None
    elif suffix in ("TESTCD", "TEST", "CAT", "SCAT", "SPEC", "POS", "LOC", "LAT"):
        origin, method = ASSIGNED, None
    else:
        method = NAME_METHODS.get(var.name) or next(
            (text for end, text in SUFFIX_METHODS.items() if suffix.endswith(end)), None
        )
        origin = DERIVED if method else var.origin
        if origin.type == "Derived" and method is None:
            method = var.method or f"Derived by the build from the {dataset} spec"
    return replace(var, origin=origin, method=method if origin.type == "Derived" else None)


def _value_lists(name: str, ds: DatasetDef) -> list[tuple[str, str, str]]:
    """(variable, by, label variable) of each value list a Findings dataset gets."""
    testcd, test = f"{name}TESTCD", f"{name}TEST"
    names = set(ds.names)
    if testcd not in names:
        return []
    return [(f"{name}{v}", testcd, test) for v in ("ORRES", "STRESN") if f"{name}{v}" in names]


def _supp_value(value, origins: dict[str, Origin]):
    """A QNAM's value-level item with the origin its QORIG states."""
    origin = origins.get(value.where.checks[0].values[0], COLLECTED)
    method = f"{value.label}: derived by the build" if origin.type == "Derived" else None
    return replace(value, origin=origin, method=method)


def _qorig(frame: pd.DataFrame) -> dict[str, Origin]:
    """Each QNAM's origin from its QORIG (CRF: collected; Derived; Assigned)."""
    if "QORIG" not in frame:
        return {}
    first = frame.dropna(subset=["QNAM"]).drop_duplicates("QNAM").set_index("QNAM")["QORIG"]
    kinds = {"CRF": COLLECTED, "DERIVED": DERIVED, "ASSIGNED": ASSIGNED}
    return {q: kinds.get(str(o).upper(), COLLECTED) for q, o in first.items()}
