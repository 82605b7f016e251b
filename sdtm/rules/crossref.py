"""SDTM cross-reference rules (SDC001-SDC009): subjects in DM, EX and SV, RDOMAIN, IDVAR and
the records SUPP-- and CO point at, STUDYID, and DM arms against TA.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. The Pinnacle 21 ID (``p21``)
and its publisher IDs (``cdisc``) are those of ``p21_sdtm_rules.csv`` (shared standards
folder) where the catalogue text says what the rule checks; the severity follows the
catalogue wording ("must"/"cannot" -> error, "should"/"expected" -> warning). A rule that
looks at every dataset with a given variable raises :class:`NotCheckable` when no dataset
has it, so the package is reported as "not checked", never as passed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable, concat_findings, findings, rule, value_text
from cdisc.validation.package import Package
from sdtm.rules._frames import (
    _NOT_ASSIGNED,
    _NOT_TREATED,
    _filled,
    _prefix,
    _upper,
    _upper_is,
)

# --- cross-reference --------------------------------------------------------------------------


@rule(
    "SDC001",
    severity="error",
    scope="SDTM",
    p21="SD0064",
    cdisc="CG0029",
    needs=("DM.USUBJID",),
    message="Subject is not present in DM domain",
)
def subject_not_in_dm(package: Package) -> pd.DataFrame:
    """Every USUBJID of every dataset (SUPP-- and RELREC included) is a DM subject."""
    dm = package.datasets["DM"]
    known = set(dm["USUBJID"].dropna())
    parts = []
    for ds, frame in package.datasets.items():
        if ds == "DM" or "USUBJID" not in frame:
            continue
        subject = frame["USUBJID"]
        in_dm = columns.isin(subject, known, f"DM.USUBJID of {id(dm)}")
        rows = frame[columns.present(subject) & ~in_dm]
        message = f"{ds}: USUBJID '" + value_text(rows["USUBJID"]) + "' is not in DM"
        parts.append(findings(rows, ds, variable="USUBJID", message=message))
    return concat_findings(parts)


@rule(
    "SDC002",
    severity="warning",
    scope="SDTM",
    p21="SD0070",
    cdisc="FDAB023, CG0109",
    needs=("DM.USUBJID", "EX.USUBJID"),
    message="No Exposure record found for subject",
)
def treated_subject_without_ex(package: Package) -> pd.DataFrame:
    """A DM subject has an EX record, unless ARMCD is SCRNFAIL/NOTASSGN or ACTARMCD NOTTRT."""
    dm = package.datasets["DM"]
    exempt = pd.Series(False, index=dm.index)
    if "ARMCD" in dm:
        exempt |= _upper(dm["ARMCD"]).isin(_NOT_ASSIGNED).fillna(False).astype(bool)
    if "ACTARMCD" in dm:
        exempt |= (_upper(dm["ACTARMCD"]) == "NOTTRT").fillna(False).astype(bool)
    exposed = set(package.datasets["EX"]["USUBJID"].dropna())
    rows = dm[dm["USUBJID"].notna() & ~exempt & ~dm["USUBJID"].isin(exposed)]
    message = "DM: subject '" + value_text(rows["USUBJID"]) + "' has no EX record"
    return findings(rows, "DM", variable="USUBJID", message=message)


@rule(
    "SDC003",
    severity="warning",
    scope="SDTM",
    p21="SD0065",
    cdisc="CG0034",
    needs=("SV.USUBJID", "SV.VISITNUM"),
    message="USUBJID/VISIT/VISITNUM values do not match SV domain data",
)
def visit_not_in_sv(package: Package) -> pd.DataFrame:
    """Each USUBJID + VISITNUM (+ VISIT where both have it) is a visit in SV; records with
    --STAT populated and EC records with ECOCCUR 'N' are exempt (P21 SD0065)."""
    sv = package.datasets["SV"]
    parts, checked = [], False
    for ds, frame in package.datasets.items():
        if ds == "SV" or ds.startswith("SUPP") or not {"USUBJID", "VISITNUM"} <= set(frame):
            continue
        checked = True
        key = ["USUBJID", "VISITNUM"] + (["VISIT"] if "VISIT" in frame and "VISIT" in sv else [])
        prefix = _prefix(ds, frame)
        exempt = np.zeros(len(frame), dtype=bool)
        if prefix + "STAT" in frame:
            exempt |= _filled(frame[prefix + "STAT"]).to_numpy()
        if ds == "EC" and "ECOCCUR" in frame:
            exempt |= _upper_is(frame["ECOCCUR"], "N")
        complete = np.logical_and.reduce([columns.present(frame[c]) for c in key])
        rows = frame[complete & ~exempt & ~columns.found_in(frame, sv, key)]
        visit = (", VISIT '" + value_text(rows["VISIT"]) + "'") if "VISIT" in key else ""
        message = (
            f"{ds}: USUBJID '"
            + value_text(rows["USUBJID"])
            + "', VISITNUM "
            + value_text(rows["VISITNUM"])
            + visit
            + " is not a visit of the subject in SV"
        )
        parts.append(findings(rows, ds, variable="VISITNUM", message=message))
    if not checked:
        raise NotCheckable("no dataset other than SV has USUBJID and VISITNUM")
    return concat_findings(parts)


@rule(
    "SDC004",
    severity="error",
    scope="SDTM",
    p21="SD0072",
    cdisc="CG0334, CG0369, CG0373, CG0374",
    message="Invalid RDOMAIN",
)
def rdomain_not_a_dataset(package: Package) -> pd.DataFrame:
    """RDOMAIN (SUPP--, RELREC, CO) names a dataset of the package; a SUPP-- dataset's
    RDOMAIN is its own parent (SUPPAE -> AE)."""
    parts, checked = [], False
    domains = set(package.datasets)
    for ds, frame in package.datasets.items():
        if "RDOMAIN" not in frame:
            continue
        checked = True
        rdomain = frame["RDOMAIN"]
        bad = rdomain.notna() & ~rdomain.isin(domains)
        if ds.startswith("SUPP") and len(ds) > 4:
            bad |= rdomain.notna() & (rdomain != ds[4:])
        rows = frame[bad]
        message = (
            f"{ds}: RDOMAIN '" + value_text(rows["RDOMAIN"]) + "' is not a dataset of the package"
        )
        if ds.startswith("SUPP"):
            message = message + f" or not the parent of {ds}"
        parts.append(findings(rows, ds, variable="RDOMAIN", message=message))
    if not checked:
        raise NotCheckable("no dataset has RDOMAIN")
    return concat_findings(parts)


def _related(package: Package) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(name, frame, rows with RDOMAIN a dataset and IDVAR populated) of SUPP-- and CO."""
    for ds, frame in package.datasets.items():
        if not {"RDOMAIN", "IDVAR", "IDVARVAL", "USUBJID"} <= set(frame) or ds == "RELREC":
            continue
        rows = frame[frame["RDOMAIN"].isin(set(package.datasets)) & _filled(frame["IDVAR"])]
        yield ds, frame, rows


@rule(
    "SDC005",
    severity="error",
    scope="SDTM",
    p21="SD0075",
    cdisc="CG0370",
    message="Invalid IDVAR",
)
def idvar_not_in_parent(package: Package) -> pd.DataFrame:
    """IDVAR of SUPP-- and CO records is a variable of the RDOMAIN dataset."""
    parts, checked = [], False
    for ds, _frame, rows in _related(package):
        checked = True
        for rdomain, group in rows.groupby("RDOMAIN", sort=True):
            parent = package.datasets[rdomain]
            bad = group[~group["IDVAR"].isin(set(parent.columns))]
            message = (
                f"{ds}: IDVAR '" + value_text(bad["IDVAR"]) + f"' is not a variable of {rdomain}"
            )
            parts.append(findings(bad, ds, variable="IDVAR", message=message))
    if not checked:
        raise NotCheckable("no SUPP-- or CO dataset with RDOMAIN, IDVAR, IDVARVAL and USUBJID")
    return concat_findings(parts)


@rule(
    "SDC006",
    severity="error",
    scope="SDTM",
    p21="SD0077",
    cdisc="CG0371",
    message="Invalid referenced record",
)
def parent_record_missing(package: Package) -> pd.DataFrame:
    """RDOMAIN + USUBJID + IDVAR + IDVARVAL of SUPP-- and CO records finds a parent record."""
    parts, checked = [], False
    for ds, _frame, rows in _related(package):
        checked = True
        for (rdomain, idvar), group in rows.groupby(["RDOMAIN", "IDVAR"], sort=True):
            parent = package.datasets[rdomain]
            if idvar not in parent or "USUBJID" not in parent:
                continue  # SDC005 reports the IDVAR
            target = parent[idvar]
            value = group["IDVARVAL"]
            if pd.api.types.is_numeric_dtype(target):
                # Num parents (--SEQ) are compared as numbers: IDVARVAL "1" is AESEQ 1.0
                value = pd.to_numeric(value, errors="coerce")
            else:
                target = target.astype("string").str.strip()
                value = value.astype("string").str.strip()
            known = pd.MultiIndex.from_arrays([parent["USUBJID"], target])
            found = pd.MultiIndex.from_arrays([group["USUBJID"], value]).isin(known)
            bad = group[~found]
            message = (
                f"{ds}: no {rdomain} record of USUBJID '"
                + value_text(bad["USUBJID"])
                + f"' with {idvar} = '"
                + value_text(bad["IDVARVAL"])
                + "'"
            )
            parts.append(findings(bad, ds, variable="IDVARVAL", message=message))
    if not checked:
        raise NotCheckable("no SUPP-- or CO dataset with RDOMAIN, IDVAR, IDVARVAL and USUBJID")
    return concat_findings(parts)


@rule(
    "SDC007",
    severity="error",
    scope="SDTM",
    p21="SD1005",
    cdisc="CG0409",
    needs=("DM.STUDYID",),
    message="Invalid STUDYID",
)
def studyid_not_in_dm(package: Package) -> pd.DataFrame:
    """STUDYID of every dataset is a STUDYID of DM."""
    dm = package.datasets["DM"]
    known = set(dm["STUDYID"].dropna())
    parts = []
    for ds, frame in package.datasets.items():
        if ds == "DM" or "STUDYID" not in frame:
            continue
        study = frame["STUDYID"]
        rows = frame[
            columns.present(study) & ~columns.isin(study, known, f"DM.STUDYID of {id(dm)}")
        ]
        message = f"{ds}: STUDYID '" + value_text(rows["STUDYID"]) + "' is not the STUDYID of DM"
        parts.append(findings(rows, ds, variable="STUDYID", message=message))
    return concat_findings(parts)


@rule(
    "SDC008",
    severity="error",
    scope="SDTM",
    p21="SD0071",
    cdisc="CG0120, CG0121, CG0128, CG0294, CG0516, CG0518",
    needs=("DM.ARMCD", "DM.ARM", "TA.ARMCD", "TA.ARM"),
    message="Invalid ARM/ARMCD",
)
def arm_not_in_ta(package: Package) -> pd.DataFrame:
    """DM ARMCD + ARM is a pair of TA, except ARMCD SCRNFAIL/NOTASSGN or null."""
    dm, ta = package.datasets["DM"], package.datasets["TA"]
    key = ["ARMCD", "ARM"]
    known = pd.MultiIndex.from_frame(ta[key].dropna().drop_duplicates())
    candidates = dm[dm["ARMCD"].notna() & ~_upper(dm["ARMCD"]).isin(_NOT_ASSIGNED).fillna(False)]
    rows = candidates[~pd.MultiIndex.from_frame(candidates[key]).isin(known)]
    message = (
        "DM: ARMCD '"
        + value_text(rows["ARMCD"])
        + "' / ARM '"
        + value_text(rows["ARM"])
        + "' not in TA"
    )
    return findings(rows, "DM", variable="ARMCD", message=message)


@rule(
    "SDC009",
    severity="warning",
    scope="SDTM",
    p21="SD2002",
    cdisc="CG0124, CG0125, CG0512",
    needs=("DM.ACTARMCD", "TA.ARMCD"),
    message="Invalid value for ACTARMCD",
)
def actarmcd_not_in_ta(package: Package) -> pd.DataFrame:
    """DM ACTARMCD is an ARMCD of TA, except SCRNFAIL, NOTASSGN, NOTTRT and UNPLAN."""
    dm, ta = package.datasets["DM"], package.datasets["TA"]
    code = _upper(dm["ACTARMCD"])
    exempt = code.isin((*_NOT_TREATED, "UNPLAN")).fillna(False).astype(bool)
    rows = dm[dm["ACTARMCD"].notna() & ~exempt & ~dm["ACTARMCD"].isin(set(ta["ARMCD"].dropna()))]
    message = "DM: ACTARMCD '" + value_text(rows["ACTARMCD"]) + "' is not an ARMCD of TA"
    return findings(rows, "DM", variable="ACTARMCD", message=message)
