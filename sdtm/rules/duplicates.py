"""SDTM key and duplicate rules (SDC010-SDC016): --SEQ, USUBJID and SUBJID in DM, SUPP--
records, findings and events with the same keys, and visits in SV.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. The Pinnacle 21 ID (``p21``)
and its publisher IDs (``cdisc``) are those of ``p21_sdtm_rules.csv`` (shared standards
folder) where the catalogue text says what the rule checks; the severity follows the
catalogue wording ("must"/"cannot" -> error, "should"/"expected" -> warning). A rule that
looks at every dataset with a given variable raises :class:`NotCheckable` when no dataset
has it, so the package is reported as "not checked", never as passed.
"""

from __future__ import annotations

import pandas as pd

from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable, concat_findings, findings, rule, value_text
from cdisc.validation.package import Package
from sdtm.rules._frames import (
    _SEQ_EXEMPT,
    _TEST_KEYS,
    _each,
    _keys,
    _prefix,
)

# --- keys and duplicates ----------------------------------------------------------------------


@rule(
    "SDC010",
    severity="error",
    scope="SDTM",
    p21="SD0005",
    cdisc="CG0028",
    message="Duplicate value for --SEQ variable",
)
def duplicate_seq(package: Package) -> pd.DataFrame:
    """--SEQ is unique per USUBJID (or POOLID) in each dataset (device domains exempt)."""
    parts = []
    for ds, frame, cols in _each(package, "SEQ"):
        if _prefix(ds, frame) in _SEQ_EXEMPT:
            continue
        seq = cols["SEQ"]
        subject = [c for c in ("USUBJID", "POOLID") if c in frame]
        if not subject:
            continue  # trial design (TSSEQ is unique within TSPARMCD: P21 SD1038)
        rows = frame[columns.present(frame[seq]) & columns.duplicated(frame, [*subject, seq])]
        message = (
            f"{ds}: {seq} "
            + value_text(rows[seq])
            + " occurs more than once for USUBJID '"
            + (value_text(rows["USUBJID"]) if "USUBJID" in rows else "")
            + "'"
        )
        parts.append(findings(rows, ds, variable=seq, message=message))
    return concat_findings(parts)


@rule(
    "SDC011",
    severity="error",
    scope="SDTM",
    p21="SD0083",
    cdisc="CG0151",
    needs=("DM.USUBJID",),
    message="Duplicate USUBJID in DM within STUDYID",
)
def duplicate_usubjid_in_dm(package: Package) -> pd.DataFrame:
    """DM has one record per USUBJID."""
    dm = package.datasets["DM"]
    rows = dm[columns.present(dm["USUBJID"]) & columns.duplicated(dm, ["USUBJID"])]
    message = "DM: USUBJID '" + value_text(rows["USUBJID"]) + "' has more than one record"
    return findings(rows, "DM", variable="USUBJID", message=message)


@rule(
    "SDC012",
    severity="error",
    scope="SDTM",
    p21="SD1001",
    cdisc="CG0150",
    needs=("DM.SUBJID",),
    message="SUBJID is not unique for each subject within study",
)
def duplicate_subjid_in_dm(package: Package) -> pd.DataFrame:
    """SUBJID is unique per STUDYID in DM."""
    dm = package.datasets["DM"]
    key = [c for c in ("STUDYID", "SUBJID") if c in dm]
    rows = dm[columns.present(dm["SUBJID"]) & columns.duplicated(dm, key)]
    message = "DM: SUBJID '" + value_text(rows["SUBJID"]) + "' is used by more than one subject"
    return findings(rows, "DM", variable="SUBJID", message=message)


@rule(
    "SDC013",
    severity="error",
    scope="SDTM",
    p21="SD0086",
    cdisc="CG0411",
    message="SUPPQUAL duplicate records",
)
def duplicate_supp_records(package: Package) -> pd.DataFrame:
    """SUPP-- has one record per STUDYID, RDOMAIN, USUBJID, IDVAR, IDVARVAL and QNAM."""
    parts, checked = [], False
    key = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"]
    for ds, frame in package.datasets.items():
        if not ds.startswith("SUPP") or "QNAM" not in frame:
            continue
        checked = True
        present = [c for c in key if c in frame]
        rows = frame[columns.duplicated(frame, present)]
        message = (
            f"{ds}: QNAM '"
            + value_text(rows["QNAM"])
            + "' occurs more than once for USUBJID '"
            + (value_text(rows["USUBJID"]) if "USUBJID" in rows else "")
            + "'"
            + (", IDVARVAL '" + value_text(rows["IDVARVAL"]) + "'" if "IDVARVAL" in rows else "")
        )
        parts.append(findings(rows, ds, variable="QNAM", message=message))
    if not checked:
        raise NotCheckable("no SUPP-- dataset with QNAM")
    return concat_findings(parts)


@rule(
    "SDC014",
    severity="warning",
    scope="SDTM",
    p21="SD1117",
    message="Duplicate records",
)
def duplicate_findings(package: Package) -> pd.DataFrame:
    """Findings (--TESTCD) have one record per subject, test, qualifiers and time point:
    USUBJID, --TESTCD, --TSTDTL, --CAT, --SCAT, --SPEC, --LOC, --LAT, --DIR, --POS, --METHOD,
    --OBJ, --EVAL, VISITNUM, --TPTNUM, --TPT, --TPTREF, --DTC."""
    parts = []
    suffixes = (*_TEST_KEYS, "EVAL", "TPTNUM", "DTC")
    for ds, frame, cols in _each(package, "TESTCD"):
        key = [c for c in ("USUBJID", "VISITNUM") if c in frame]
        key += _keys(frame, _prefix(ds, frame), suffixes)
        rows = frame[columns.present(frame[cols["TESTCD"]]) & columns.duplicated(frame, key)]
        message = (
            f"{ds}: {cols['TESTCD']} '"
            + value_text(rows[cols["TESTCD"]])
            + "' has more than one record with the same "
            + ", ".join(key)
        )
        parts.append(findings(rows, ds, variable=cols["TESTCD"], message=message))
    return concat_findings(parts)


@rule(
    "SDC015",
    severity="warning",
    scope="SDTM",
    p21="SD1201",
    message="Duplicate records in domain",
)
def duplicate_events(package: Package) -> pd.DataFrame:
    """Events (--TERM) have one record per USUBJID, --TERM, --DECOD, --CAT, --SCAT, --OCCUR,
    --LOC, --LAT, --DIR, --SEV, --TOXGR, VISITNUM, VISITDY, --STTPT and --STDTC."""
    parts = []
    suffixes = ("TERM", "DECOD", "CAT", "SCAT", "OCCUR", "LOC", "LAT", "DIR", "SEV", "TOXGR")
    for ds, frame, cols in _each(package, "TERM"):
        prefix = _prefix(ds, frame)
        key = [c for c in ("USUBJID", "VISITNUM", "VISITDY") if c in frame]
        key += _keys(frame, prefix, (*suffixes, "STTPT", "STDTC"))
        rows = frame[columns.present(frame[cols["TERM"]]) & columns.duplicated(frame, key)]
        message = (
            f"{ds}: {cols['TERM']} '"
            + value_text(rows[cols["TERM"]])
            + "' has more than one record with the same "
            + ", ".join(key)
        )
        parts.append(findings(rows, ds, variable=cols["TERM"], message=message))
    return concat_findings(parts)


@rule(
    "SDC016",
    severity="warning",
    scope="SDTM",
    p21="SD1060",
    cdisc="CG0410",
    needs=("SV.USUBJID", "SV.VISITNUM"),
    message="Duplicate VISITNUM",
)
def duplicate_visitnum_in_sv(package: Package) -> pd.DataFrame:
    """SV has one record per USUBJID and VISITNUM."""
    sv = package.datasets["SV"]
    rows = sv[columns.present(sv["VISITNUM"]) & columns.duplicated(sv, ["USUBJID", "VISITNUM"])]
    message = (
        "SV: VISITNUM "
        + value_text(rows["VISITNUM"])
        + " occurs more than once for USUBJID '"
        + value_text(rows["USUBJID"])
        + "'"
    )
    return findings(rows, "SV", variable="VISITNUM", message=message)
