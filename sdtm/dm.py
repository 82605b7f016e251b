"""DM: one record per subject, with reference dates, arms and death derived across domains.

Rules (SDTMIG 3.4 DM; study.yaml ``reference_dates`` and ``arm_source``):
RFXSTDTC = RFSTDTC = the subject's first EXSTDTC; RFXENDTC = RFENDTC = the last EXENDTC
(EXSTDTC where no end was collected); RFICDTC = the consent date; RFPENDTC = the latest
date among the last-contact fields, the reference dates and the death date; DTHDTC from
the death form, else the end (or start) of an AE with outcome FATAL; DTHFL = Y when either
exists. ARMCD from the arm source, ARM from the declared arms; ACTARMCD/ACTARM equal them
for a subject with an EX record, else they stay missing with ARMNRS ``ASSIGNED, NOT
TREATED`` (or ``NOT ASSIGNED`` without an arm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.readers.base import RawExport
from sdtm.algorithms import Context, assign_datetime
from sdtm.design import Design, FieldRef, subject_ids


def _dates(
    export: RawExport, ref: FieldRef, studyid: str, design: Design, context: Context
) -> pd.Series:
    """ISO dates of ``ref`` per USUBJID (latest when a subject has several)."""
    raw = export.forms.get(ref.form)
    if raw is None or raw.empty:
        return pd.Series(dtype="string")
    dtc = assign_datetime(raw, ref.field, context=context).values
    usubjid, _ = subject_ids(raw, studyid, design)
    frame = pd.DataFrame({"USUBJID": usubjid, "dtc": dtc}).dropna()
    return _text_extreme(frame["dtc"], frame["USUBJID"], "max")


def _text_extreme(values: pd.Series, keys: pd.Series, how: str) -> pd.Series:
    """The greatest (``how="max"``) or least (``"min"``) text of ``values`` per key, as
    text (missing values skipped; a key with none: missing), on the sorted keys.

    The same as ``values.astype("string").groupby(keys).max()``, worked on the ranks of
    the distinct texts: comparing text in Python per record is the slow part of that.
    """
    codes, uniq = pd.factorize(values.astype("string"), sort=True)
    uniq = pd.array(uniq, dtype="string")
    if how == "min":
        # Missing (-1) must lose to every text: rank it past the greatest.
        codes = np.where(codes < 0, len(uniq), codes)
    ranks = pd.Series(codes, index=values.index).groupby(keys)
    best = ranks.max() if how == "max" else ranks.min()
    picked = np.where(best.to_numpy() >= len(uniq), -1, best.to_numpy())
    return pd.Series(uniq.take(picked, allow_fill=True), index=best.index, dtype="string")


def derive_dm(
    dm: pd.DataFrame,
    ex: pd.DataFrame | None,
    ae: pd.DataFrame | None,
    export: RawExport,
    design: Design,
    context: Context,
    studyid: str,
) -> pd.DataFrame:
    """Add SUBJID, SITEID, COUNTRY, the RF-- dates, DTHDTC/DTHFL and the arm variables.

    >>> from cdisc.standards import Standards
    >>> dm = pd.DataFrame({"USUBJID": ["S-1"], "_subject": ["1"], "_site": ["A"]})
    >>> ex = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "EXSTDTC": ["2021-01-02", "2021-03-01"],
    ...                    "EXENDTC": [None, None]})
    >>> raw = RawExport("odm", ".", {})
    >>> out = derive_dm(dm, ex, None, raw, Design(), Context(Standards.load()), "S")
    >>> out[["RFXSTDTC", "RFXENDTC"]].values.tolist()
    [['2021-01-02', '2021-03-01']]
    """
    out = dm.copy()
    out["SUBJID"] = out["_subject"].astype("string").str.strip()
    out["USUBJID"], out["SITEID"] = subject_ids(out, studyid, design)
    if design.country:
        out["COUNTRY"] = design.country
    subject = out["USUBJID"]
    if ex is not None and len(ex):
        start = ex["EXSTDTC"].astype("string")
        end = ex["EXENDTC"].astype("string").fillna(start) if "EXENDTC" in ex else start
        first = _text_extreme(start, ex["USUBJID"], "min")
        last = _text_extreme(end, ex["USUBJID"], "max")
        out["RFXSTDTC"] = subject.map(first).astype("string")
        out["RFXENDTC"] = subject.map(last).astype("string")
    else:
        out["RFXSTDTC"] = out["RFXENDTC"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["RFSTDTC"], out["RFENDTC"] = out["RFXSTDTC"], out["RFXENDTC"]
    if design.informed_consent:
        out["RFICDTC"] = subject.map(
            _dates(export, design.informed_consent, studyid, design, context)
        ).astype("string")
    death = pd.Series(pd.NA, index=out.index, dtype="string")
    if design.death:
        death = subject.map(_dates(export, design.death, studyid, design, context)).astype("string")
    if ae is not None and "AEOUT" in ae and len(ae):
        fatal = ae[ae["AEOUT"] == "FATAL"]
        when = (
            fatal["AEENDTC"].astype("string")
            if "AEENDTC" in fatal
            else fatal["AESTDTC"].astype("string")
        )
        when = when.fillna(fatal["AESTDTC"].astype("string"))
        from_ae = _text_extreme(when, fatal["USUBJID"], "max")
        fatal_any = subject.isin(set(fatal["USUBJID"]))
        death = death.fillna(subject.map(from_ae).astype("string"))
    else:
        fatal_any = pd.Series(False, index=out.index)
    out["DTHDTC"] = death
    out["DTHFL"] = pd.Series(
        np.where(death.notna() | fatal_any, "Y", None), index=out.index, dtype="string"
    )
    contact = [out[c] for c in ("RFICDTC", "RFXSTDTC", "RFXENDTC", "DTHDTC") if c in out]
    contact += [
        subject.map(_dates(export, ref, studyid, design, context)).astype("string")
        for ref in design.last_contact
    ]
    if contact:
        out["RFPENDTC"] = pd.concat(contact, axis=1).max(axis=1).astype("string")
    if design.arm_source:
        raw = export.forms.get(design.arm_source.form)
        arm = pd.Series(dtype="string")
        if raw is not None and len(raw):
            usubjid, _ = subject_ids(raw, studyid, design)
            code = raw[design.arm_source.field].astype("string").str.strip()
            arm = pd.Series(code.to_numpy(), index=usubjid.to_numpy()).dropna()
            arm = arm[~arm.index.duplicated()]
        armcd = subject.map(arm).astype("string")
        out["ARMCD"] = armcd
        out["ARM"] = armcd.map(design.arms).astype("string")
        treated = (
            subject.isin(set(ex["USUBJID"]))
            if ex is not None and len(ex)
            else pd.Series(False, index=out.index)
        )
        out["ACTARMCD"] = armcd.where(treated)
        out["ACTARM"] = out["ARM"].where(treated)
        reason = np.where(
            armcd.isna(), "NOT ASSIGNED", np.where(~treated, "ASSIGNED, NOT TREATED", None)
        )
        out["ARMNRS"] = pd.Series(reason, index=out.index, dtype="string")
    return out
