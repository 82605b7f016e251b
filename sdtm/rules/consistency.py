"""SDTM cross-reference and consistency rules (IDs ``SDC001``...).

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. The Pinnacle 21 ID (``p21``)
and its publisher IDs (``cdisc``) are those of ``p21_sdtm_rules.csv`` (shared standards
folder) where the catalogue text says what the rule checks; the severity follows the
catalogue wording ("must"/"cannot" -> error, "should"/"expected" -> warning).

Rules that look at every dataset with a given variable (``--STDTC``, ``VISITNUM``) raise
:class:`NotCheckable` when no dataset of the package has it, so a package without it is
reported as "not checked", never as passed.

Example::

    from cdisc.validation.engine import concat_findings, value_text, REGISTRY, run_rules
    import sdtm.rules.consistency  # registers the rules
    result = run_rules(package, {k: v for k, v in REGISTRY.items() if k.startswith("SDC")})
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.validation.engine import NotCheckable, concat_findings, findings, rule, value_text
from cdisc.validation.package import Package

#: ISO 8601 date/time text that compares correctly as a string on a common length.
_ISO = r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?)?"
#: Arm codes of subjects who were never randomised or treated (SDTMIG 3.4 section 5.2).
_NOT_ASSIGNED = ("SCRNFAIL", "NOTASSGN")
_NOT_TREATED = ("SCRNFAIL", "NOTASSGN", "NOTTRT")
#: Domains where --SEQ need not be unique per subject (P21 SD0005 exclusions: device domains).
_SEQ_EXEMPT = ("DE", "DO", "DT", "DU", "DX")
#: Findings domains where P21 SD0006 expects a baseline record per subject.
_BASELINE_DOMAINS = ("EG", "LB", "MB", "MS", "PC", "VS")
#: What identifies "the same test" for baseline flags: P21 SD1439/SD1445, plus the planned
#: time point (issue 6: "per subject, test and timepoint").
_TEST_KEYS = ("TESTCD", "TSTDTL", "CAT", "SCAT", "METHOD", "SPEC", "LOC", "LAT", "DIR", "POS")
_TEST_KEYS += ("OBJ", "TPT", "TPTREF")


# --- helpers ----------------------------------------------------------------------------------


def _prefix(name: str, frame: pd.DataFrame) -> str:
    """Variable prefix of a dataset: its DOMAIN value (split datasets) else the name's first
    two letters; empty for SUPP-- and RELREC, which have no prefixed variables."""
    if name.startswith("SUPP") or name in ("RELREC", "POOLDEF"):
        return ""
    if "DOMAIN" in frame:
        domain = frame["DOMAIN"].dropna()
        if len(domain):
            return str(domain.iloc[0])
    return name[:2]


def _with(package: Package, *suffixes: str) -> Iterator[tuple[str, pd.DataFrame, dict]]:
    """(name, frame, {suffix: column}) of each dataset that has every ``--suffix`` variable;
    a suffix starting with ``=`` is a whole variable name (``=VISITNUM``)."""
    for name, frame in package.datasets.items():
        prefix = _prefix(name, frame)
        if not prefix and any(not s.startswith("=") for s in suffixes):
            continue
        cols = {s: (s[1:] if s.startswith("=") else prefix + s) for s in suffixes}
        if all(c in frame.columns for c in cols.values()):
            yield name, frame, cols


def _each(package: Package, *suffixes: str) -> list[tuple[str, pd.DataFrame, dict]]:
    found = list(_with(package, *suffixes))
    if not found:
        names = ", ".join(s[1:] if s.startswith("=") else "--" + s for s in suffixes)
        raise NotCheckable(f"no dataset has {names}")
    return found


def _filled(values: pd.Series) -> pd.Series:
    """True where a value is present (not None/NaN and not blank text)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.notna()
    # text work on the distinct values only, then spread back by code (records repeat values)
    codes, uniq = pd.factorize(values.astype(object))
    present = (pd.Series(uniq, dtype="string").str.strip().fillna("") != "").to_numpy(bool)
    return pd.Series(np.append(present, False)[codes], index=values.index)


def _upper(values: pd.Series) -> pd.Series:
    """Stripped upper-case text (None where missing), for comparing with CT terms."""
    codes, uniq = pd.factorize(values.astype(object))
    upper = pd.Series(uniq, dtype="string").str.strip().str.upper()
    upper = upper.to_numpy(dtype=object, na_value=None)
    return pd.Series(np.append(upper, None)[codes], index=values.index, dtype=object)


def _match_codes(
    left: pd.DataFrame, right: pd.DataFrame, key: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per row of ``left`` and of ``right`` that is equal exactly when the ``key``
    values are equal and all present in ``right`` (0 digit for a value ``right`` lacks), so
    membership is a numpy ``isin`` instead of a MultiIndex lookup."""
    lc, rc = np.zeros(len(left), np.int64), np.zeros(len(right), np.int64)
    for col in key:
        cats = pd.Index(pd.unique(right[col].dropna()))
        radix = len(cats) + 1
        lc = lc * radix + cats.get_indexer(left[col]).astype(np.int64) + 1
        rc = rc * radix + cats.get_indexer(right[col]).astype(np.int64) + 1
    return lc, rc


def _date(values: pd.Series) -> pd.Series:
    """Date part of ISO 8601 text with a complete date; NaT for partial, missing or not ISO
    (the validator must not stop on bad text: ISO format has its own rule)."""
    # parse each distinct text once: dates repeat across records (10x faster on LB/QS)
    codes, uniq = pd.factorize(values.astype(object), use_na_sentinel=True)
    text = pd.Series(uniq, dtype="string").str.extract(r"^(\d{4}-\d{2}-\d{2})", expand=False)
    days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").to_numpy()
    column = np.append(days, np.datetime64("NaT", "ns").astype(days.dtype))[codes]
    return pd.Series(column, index=values.index)


def _after(start: pd.Series, end: pd.Series) -> pd.Series:
    """True where ISO 8601 ``start`` is later than ``end`` at their common precision
    (``2021-06-15T10`` vs ``2021-06-15`` compares the dates only)."""
    s, e = start.astype("string"), end.astype("string")
    ok = (s.str.fullmatch(_ISO) & e.str.fullmatch(_ISO)).fillna(False).astype(bool)
    n = np.minimum(s.str.len().fillna(0), e.str.len().fillna(0)).astype(int)
    out = pd.Series(False, index=start.index)
    # one pass per distinct precision (a handful), not per record
    for k in np.unique(n[ok]):
        sel = ok & (n == k)
        out[sel] = (s[sel].str.slice(0, k) > e[sel].str.slice(0, k)).astype(bool)
    return out


def _study_day(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Study day per SDTMIG 3.4 section 4.4.4: date - reference date (``ref``, already a
    date) + 1 on or after it; there is no day 0."""
    days = (_date(dtc) - ref).dt.days
    return days.where(days < 0, days + 1)


def _dm_map(package: Package, variable: str) -> pd.Series | None:
    """DM ``variable`` by USUBJID (first record of a subject), or None when absent."""
    dm = package.datasets.get("DM")
    if dm is None or variable not in dm or "USUBJID" not in dm:
        return None
    dm = dm[dm["USUBJID"].notna()].drop_duplicates("USUBJID")
    return dm.set_index("USUBJID")[variable]


def _keys(frame: pd.DataFrame, prefix: str, suffixes: tuple[str, ...]) -> list[str]:
    return [prefix + s for s in suffixes if prefix + s in frame.columns]


def _inconsistent(
    frame: pd.DataFrame, key: list[str], other: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:  # key: one variable, as a list for merge
    """Rows whose ``other`` differs from the most frequent ``other`` of their ``key``
    (both present), the modal value each row disagrees with, and how many rows hold it."""
    empty = frame.iloc[0:0], pd.Series(dtype=object), pd.Series(dtype=int)
    both = frame[[*key, other]].notna().all(axis=1)
    sub = frame.loc[both, [*key, other]]
    if sub.empty:
        return empty
    # fast path on integer codes: as many distinct (key, other) pairs as keys -> consistent
    k, _ = pd.factorize(sub[key[0]])
    o, other_values = pd.factorize(sub[other])
    if len(np.unique(k.astype(np.int64) * (len(other_values) + 1) + o)) == k.max() + 1:
        return empty
    counts = sub.value_counts(sort=False).rename("n").reset_index()
    counts = counts.sort_values(["n", other], ascending=[False, True], kind="stable")
    modal = counts.drop_duplicates(key).rename(columns={other: "_modal"})
    merged = sub.reset_index().merge(modal, on=key, how="left").set_index("index")
    bad = merged[merged[other] != merged["_modal"]]
    return frame.loc[bad.index], bad["_modal"], bad["n"]


def _group_rule(package: Package, key_suffix: str, other_suffix: str, name: str) -> pd.DataFrame:
    parts = []
    for ds, frame, cols in _each(package, key_suffix, other_suffix):
        key, other = cols[key_suffix], cols[other_suffix]
        rows, modal, n = _inconsistent(frame, [key], other)
        if rows.empty:
            continue
        message = (
            f"{ds}: {key} "
            + value_text(rows[key])
            + f" has {other} '"
            + value_text(rows[other])
            + "' but '"
            + value_text(modal)
            + "' on "
            + n.astype(str)
            + f" other records ({name})"
        )
        parts.append(findings(rows, ds, variable=other, message=message))
    return concat_findings(parts)


def _populated_without(
    package: Package, when: str, missing: str, text: str, *, numeric_only: bool = False
) -> pd.DataFrame:
    """Records where ``--when`` is populated and ``--missing`` is not."""
    parts = []
    for ds, frame, cols in _each(package, when, missing):
        a, b = cols[when], cols[missing]
        mask = _filled(frame[a]) & ~_filled(frame[b])
        if numeric_only:
            mask &= pd.to_numeric(frame[a], errors="coerce").notna()
        rows = frame[mask]
        message = (
            f"{ds}: {a} '" + value_text(rows[a]) + f"' is populated but {b} is missing ({text})"
        )
        parts.append(findings(rows, ds, variable=b, message=message))
    return concat_findings(parts)


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
    known = set(package.datasets["DM"]["USUBJID"].dropna())
    parts = []
    for ds, frame in package.datasets.items():
        if ds == "DM" or "USUBJID" not in frame:
            continue
        rows = frame[frame["USUBJID"].notna() & ~frame["USUBJID"].isin(known)]
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
        exempt = pd.Series(False, index=frame.index)
        if prefix + "STAT" in frame:
            exempt |= _filled(frame[prefix + "STAT"])
        if ds == "EC" and "ECOCCUR" in frame:
            exempt |= (_upper(frame["ECOCCUR"]) == "N").fillna(False).astype(bool)
        candidates = frame[frame[key].notna().all(axis=1) & ~exempt]
        found, known = _match_codes(candidates, sv[key].dropna(), key)
        rows = candidates[~np.isin(found, known)]
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
    known = set(package.datasets["DM"]["STUDYID"].dropna())
    parts = []
    for ds, frame in package.datasets.items():
        if ds == "DM" or "STUDYID" not in frame:
            continue
        rows = frame[frame["STUDYID"].notna() & ~frame["STUDYID"].isin(known)]
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
        rows = frame[frame[seq].notna() & frame.duplicated([*subject, seq], keep=False)]
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
    rows = dm[dm["USUBJID"].notna() & dm["USUBJID"].duplicated(keep=False)]
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
    rows = dm[dm["SUBJID"].notna() & dm.duplicated(key, keep=False)]
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
        rows = frame[frame.duplicated(present, keep=False)]
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
        rows = frame[frame[cols["TESTCD"]].notna() & frame.duplicated(key, keep=False)]
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
        rows = frame[frame[cols["TERM"]].notna() & frame.duplicated(key, keep=False)]
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
    rows = sv[sv["VISITNUM"].notna() & sv.duplicated(["USUBJID", "VISITNUM"], keep=False)]
    message = (
        "SV: VISITNUM "
        + value_text(rows["VISITNUM"])
        + " occurs more than once for USUBJID '"
        + value_text(rows["USUBJID"])
        + "'"
    )
    return findings(rows, "SV", variable="VISITNUM", message=message)


# --- dates and study days ---------------------------------------------------------------------


@rule(
    "SDC017",
    severity="error",
    scope="SDTM",
    p21="SD0013",
    cdisc="FDAB034",
    message="--STDTC is after --ENDTC",
)
def start_after_end(package: Package) -> pd.DataFrame:
    """--STDTC is not later than --ENDTC (compared at their common precision)."""
    parts = []
    for ds, frame, cols in _each(package, "STDTC", "ENDTC"):
        start, end = cols["STDTC"], cols["ENDTC"]
        rows = frame[_after(frame[start], frame[end])]
        message = f"{ds}: {start} '" + value_text(rows[start]) + f"' is after {end} '"
        message = message + value_text(rows[end]) + "'"
        parts.append(findings(rows, ds, variable=start, message=message))
    return concat_findings(parts)


@rule(
    "SDC018",
    severity="error",
    scope="SDTM",
    p21="SD0012",
    cdisc="FDAB034",
    message="--STDY is after --ENDY",
)
def start_day_after_end_day(package: Package) -> pd.DataFrame:
    """--STDY is not greater than --ENDY."""
    parts = []
    for ds, frame, cols in _each(package, "STDY", "ENDY"):
        start, end = cols["STDY"], cols["ENDY"]
        rows = frame[pd.to_numeric(frame[start], errors="coerce") > pd.to_numeric(frame[end])]
        message = (
            f"{ds}: {start} "
            + value_text(rows[start])
            + f" is after {end} "
            + value_text(rows[end])
        )
        parts.append(findings(rows, ds, variable=start, message=message))
    return concat_findings(parts)


def _dm_pair(package: Package, first: str, last: str) -> pd.DataFrame:
    dm = package.datasets["DM"]
    rows = dm[_after(dm[first], dm[last])]
    message = (
        f"DM: {first} '"
        + value_text(rows[first])
        + f"' is after {last} '"
        + value_text(rows[last])
        + "'"
    )
    return findings(rows, "DM", variable=first, message=message)


@rule(
    "SDC019",
    severity="error",
    scope="SDTM",
    p21="SD1002",
    cdisc="FDAB034",
    needs=("DM.RFSTDTC", "DM.RFENDTC"),
    message="RFSTDTC is after RFENDTC",
)
def rfstdtc_after_rfendtc(package: Package) -> pd.DataFrame:
    """DM RFSTDTC is not later than RFENDTC."""
    return _dm_pair(package, "RFSTDTC", "RFENDTC")


@rule(
    "SDC020",
    severity="error",
    scope="SDTM",
    p21="SD1208",
    cdisc="FDAB034",
    needs=("DM.RFXSTDTC", "DM.RFXENDTC"),
    message="RFXSTDTC date is after RFXENDTC",
)
def rfxstdtc_after_rfxendtc(package: Package) -> pd.DataFrame:
    """DM RFXSTDTC is not later than RFXENDTC."""
    return _dm_pair(package, "RFXSTDTC", "RFXENDTC")


@rule(
    "SDC021",
    severity="warning",
    scope="SDTM",
    p21="SD0038",
    message="Value of Study Day variable equals 0",
)
def study_day_zero(package: Package) -> pd.DataFrame:
    """No study day variable (numeric ``*DY``: --DY, --STDY, --ENDY, VISITDY) equals 0."""
    parts, checked = [], False
    for ds, frame in package.datasets.items():
        for name in frame.columns:
            if not name.endswith("DY") or not pd.api.types.is_numeric_dtype(frame[name]):
                continue
            checked = True
            rows = frame[frame[name] == 0]
            message = f"{ds}: {name} is 0 (there is no study day 0)"
            parts.append(findings(rows, ds, variable=name, message=message))
    if not checked:
        raise NotCheckable("no numeric study day (*DY) variable")
    return concat_findings(parts)


def _day_rule(package: Package, dtc_suffix: str, dy_suffix: str) -> pd.DataFrame:
    ref = _dm_map(package, "RFSTDTC")
    if ref is None:
        raise NotCheckable("no DM.RFSTDTC to compute study days from")
    ref_date = _date(ref)  # once per subject, then mapped to records
    parts = []
    for ds, frame, cols in _each(package, dtc_suffix, dy_suffix):
        if ds == "DM" or "USUBJID" not in frame:
            continue
        dtc, dy = cols[dtc_suffix], cols[dy_suffix]
        expected = _study_day(frame[dtc], frame["USUBJID"].map(ref_date))
        actual = pd.to_numeric(frame[dy], errors="coerce")
        rows = frame[expected.notna() & actual.notna() & (expected != actual)]
        want = expected[rows.index]
        message = (
            f"{ds}: {dy} "
            + value_text(rows[dy])
            + f" but {dtc} '"
            + value_text(rows[dtc])
            + "' and DM.RFSTDTC give "
            + value_text(want)
        )
        parts.append(findings(rows, ds, variable=dy, message=message))
    return concat_findings(parts)


@rule(
    "SDC022",
    severity="warning",
    scope="SDTM",
    p21="SD1086",
    cdisc="CG0006",
    needs=("DM.RFSTDTC",),
    message="Incorrect value for --DY variable",
)
def dy_inconsistent(package: Package) -> pd.DataFrame:
    """--DY equals the study day of --DTC against DM.RFSTDTC (both complete dates)."""
    return _day_rule(package, "DTC", "DY")


@rule(
    "SDC023",
    severity="warning",
    scope="SDTM",
    p21="SD1090",
    cdisc="CG0220",
    needs=("DM.RFSTDTC",),
    message="Incorrect value for --STDY variable",
)
def stdy_inconsistent(package: Package) -> pd.DataFrame:
    """--STDY equals the study day of --STDTC against DM.RFSTDTC (both complete dates)."""
    return _day_rule(package, "STDTC", "STDY")


@rule(
    "SDC024",
    severity="warning",
    scope="SDTM",
    p21="SD1094",
    cdisc="CG0222",
    needs=("DM.RFSTDTC",),
    message="Incorrect value for --ENDY variable",
)
def endy_inconsistent(package: Package) -> pd.DataFrame:
    """--ENDY equals the study day of --ENDTC against DM.RFSTDTC (both complete dates)."""
    return _day_rule(package, "ENDTC", "ENDY")


@rule(
    "SDC025",
    severity="warning",
    scope="SDTM",
    needs=("DM.RFXSTDTC",),
    message="Missing EPOCH value on a record dated on or after first dose",
)
def epoch_missing_after_dose(package: Package) -> pd.DataFrame:
    """EPOCH is populated on every record whose --STDTC (else --DTC) date is on or after the
    subject's first dose (DM.RFXSTDTC). P21 SD1339 asks the same of any dated record."""
    first_date = _date(_dm_map(package, "RFXSTDTC"))
    parts, checked = [], False
    for ds, frame in package.datasets.items():
        prefix = _prefix(ds, frame)
        if not prefix or "EPOCH" not in frame or "USUBJID" not in frame or ds == "DM":
            continue
        dated = [c for c in (prefix + "STDTC", prefix + "DTC") if c in frame]
        if not dated:
            continue
        checked = True
        when = frame[dated[0]]
        if len(dated) > 1:
            when = when.where(when.notna(), frame[dated[1]])
        dose = frame["USUBJID"].map(first_date)
        rows = frame[~_filled(frame["EPOCH"]) & (_date(when) >= dose)]
        message = (
            f"{ds}: EPOCH is missing on a record dated '"
            + value_text(when[rows.index])
            + "', on or after first dose"
        )
        parts.append(findings(rows, ds, variable="EPOCH", message=message))
    if not checked:
        raise NotCheckable("no dataset has EPOCH and --STDTC or --DTC")
    return concat_findings(parts)


# --- baseline flags ---------------------------------------------------------------------------


def _flag_rule(package: Package, flag_suffix: str) -> pd.DataFrame:
    parts = []
    for ds, frame, cols in _each(package, flag_suffix, "TESTCD"):
        flag = cols[flag_suffix]
        key = ["USUBJID", *_keys(frame, _prefix(ds, frame), _TEST_KEYS)]
        flagged = frame[(_upper(frame[flag]) == "Y").fillna(False).astype(bool)]
        rows = flagged[flagged.duplicated(key, keep=False)]
        message = (
            f"{ds}: {flag} = 'Y' on more than one record of USUBJID '"
            + value_text(rows["USUBJID"])
            + f"', {cols['TESTCD']} '"
            + value_text(rows[cols["TESTCD"]])
            + "'"
        )
        parts.append(findings(rows, ds, variable=flag, message=message))
    return concat_findings(parts)


@rule(
    "SDC026",
    severity="warning",
    scope="SDTM",
    p21="SD1439",
    cdisc="FDAB026",
    message="Multiple BASELINE records for the same test",
)
def multiple_blfl(package: Package) -> pd.DataFrame:
    """At most one --BLFL 'Y' per USUBJID and test (--TESTCD, --TSTDTL, --CAT, --SCAT,
    --METHOD, --SPEC, --LOC, --LAT, --DIR, --POS, --OBJ) and planned time point."""
    return _flag_rule(package, "BLFL")


@rule(
    "SDC027",
    severity="warning",
    scope="SDTM",
    p21="SD1445",
    cdisc="FDAB026",
    message="Multiple --LOBXFL records for the same test",
)
def multiple_lobxfl(package: Package) -> pd.DataFrame:
    """At most one --LOBXFL 'Y' per USUBJID, test and planned time point (as SDC026)."""
    return _flag_rule(package, "LOBXFL")


@rule(
    "SDC028",
    severity="warning",
    scope="SDTM",
    p21="SD0006",
    cdisc="TCG 4.1.4.1",
    message="No baseline flag record in Domain for subject",
)
def no_baseline_for_subject(package: Package) -> pd.DataFrame:
    """In EG, LB, MB, MS, PC and VS, a subject with a result (--ORRES or --STRESC) has a
    record flagged --BLFL or --LOBXFL 'Y'; subjects with ARMCD SCRNFAIL/NOTASSGN or ACTARMCD
    NOTTRT in DM are exempt. One finding per subject, on its first record."""
    armcd, actarmcd = _dm_map(package, "ARMCD"), _dm_map(package, "ACTARMCD")
    parts, checked = [], False
    for ds, frame in package.datasets.items():
        prefix = _prefix(ds, frame)
        if prefix not in _BASELINE_DOMAINS or "USUBJID" not in frame:
            continue
        flags = [c for c in (prefix + "BLFL", prefix + "LOBXFL") if c in frame]
        results = [c for c in (prefix + "ORRES", prefix + "STRESC") if c in frame]
        if not flags or not results:
            continue
        checked = True
        has_result = frame[results].notna().any(axis=1)
        flagged = pd.concat([_upper(frame[f]) == "Y" for f in flags], axis=1).any(axis=1)
        by_subject = flagged.fillna(False).astype(bool).groupby(frame["USUBJID"]).transform("any")
        candidate = has_result & ~by_subject & frame["USUBJID"].notna()
        if armcd is not None:
            arm = _upper(frame["USUBJID"].map(armcd))
            candidate &= ~arm.isin(_NOT_ASSIGNED).fillna(False).astype(bool)
        if actarmcd is not None:
            candidate &= ~(_upper(frame["USUBJID"].map(actarmcd)) == "NOTTRT").fillna(False)
        rows = frame[candidate].drop_duplicates("USUBJID")
        message = (
            f"{ds}: subject '"
            + value_text(rows["USUBJID"])
            + "' has results but no record with "
            + " or ".join(f"{f} = 'Y'" for f in flags)
        )
        parts.append(findings(rows, ds, variable=flags[0], message=message))
    if not checked:
        raise NotCheckable("no EG, LB, MB, MS, PC or VS dataset with a baseline flag and results")
    return concat_findings(parts)


# --- code/decode pairs ------------------------------------------------------------------------


@rule(
    "SDC029",
    severity="warning",
    scope="SDTM",
    p21="SD0051",
    cdisc="CG0035",
    message="Inconsistent value for VISIT within VISITNUM",
)
def visit_within_visitnum(package: Package) -> pd.DataFrame:
    """Each VISITNUM has one VISIT within a dataset."""
    return _group_rule(package, "=VISITNUM", "=VISIT", "one VISIT per VISITNUM")


@rule(
    "SDC030",
    severity="warning",
    scope="SDTM",
    p21="SD0052",
    cdisc="CG0035",
    message="Inconsistent value for VISITNUM within VISIT",
)
def visitnum_within_visit(package: Package) -> pd.DataFrame:
    """Each VISIT has one VISITNUM within a dataset."""
    return _group_rule(package, "=VISIT", "=VISITNUM", "one VISITNUM per VISIT")


@rule(
    "SDC031",
    severity="warning",
    scope="SDTM",
    p21="SD0040",
    cdisc="FDAB009",
    message="Inconsistent value for --TEST within --TESTCD",
)
def test_within_testcd(package: Package) -> pd.DataFrame:
    """Each --TESTCD has one --TEST within a dataset."""
    return _group_rule(package, "TESTCD", "TEST", "one --TEST per --TESTCD")


@rule(
    "SDC032",
    severity="warning",
    scope="SDTM",
    p21="SD1043",
    cdisc="FDAB009",
    message="Inconsistent value for --TESTCD within --TEST",
)
def testcd_within_test(package: Package) -> pd.DataFrame:
    """Each --TEST has one --TESTCD within a dataset."""
    return _group_rule(package, "TEST", "TESTCD", "one --TESTCD per --TEST")


@rule(
    "SDC033",
    severity="error",
    scope="SDTM",
    p21="SD1033",
    cdisc="FDAB009",
    message="Inconsistent value for ARM",
)
def arm_within_armcd(package: Package) -> pd.DataFrame:
    """Each ARMCD has one ARM within a dataset (DM, TA, TV...)."""
    return _group_rule(package, "=ARMCD", "=ARM", "one ARM per ARMCD")


@rule(
    "SDC034",
    severity="error",
    scope="SDTM",
    p21="SD1034",
    cdisc="FDAB009",
    message="Inconsistent value for ARMCD",
)
def armcd_within_arm(package: Package) -> pd.DataFrame:
    """Each ARM has one ARMCD within a dataset."""
    return _group_rule(package, "=ARM", "=ARMCD", "one ARMCD per ARM")


@rule(
    "SDC035",
    severity="error",
    scope="SDTM",
    p21="SD1133",
    cdisc="FDAB009",
    message="Inconsistent value for ACTARM",
)
def actarm_within_actarmcd(package: Package) -> pd.DataFrame:
    """Each ACTARMCD has one ACTARM."""
    return _group_rule(package, "=ACTARMCD", "=ACTARM", "one ACTARM per ACTARMCD")


@rule(
    "SDC036",
    severity="error",
    scope="SDTM",
    p21="SD1134",
    cdisc="FDAB009",
    message="Inconsistent value for ACTARMCD",
)
def actarmcd_within_actarm(package: Package) -> pd.DataFrame:
    """Each ACTARM has one ACTARMCD."""
    return _group_rule(package, "=ACTARM", "=ACTARMCD", "one ACTARMCD per ACTARM")


# --- results ----------------------------------------------------------------------------------


@rule(
    "SDC037",
    severity="error",
    scope="SDTM",
    p21="SD0036",
    cdisc="CG0397",
    message="Missing value for --STRESC when --ORRES is provided",
)
def stresc_missing(package: Package) -> pd.DataFrame:
    """--STRESC is populated when --ORRES is."""
    return _populated_without(package, "ORRES", "STRESC", "standardise every collected result")


@rule(
    "SDC038",
    severity="warning",
    scope="SDTM",
    p21="SD0030",
    cdisc="CG0426",
    message="Missing value for --STRESC when --STRESU is provided",
)
def stresu_without_stresc(package: Package) -> pd.DataFrame:
    """--STRESU is only populated with a --STRESC."""
    return _populated_without(package, "STRESU", "STRESC", "a unit needs a result")


@rule(
    "SDC039",
    severity="warning",
    scope="SDTM",
    p21="SD0027",
    message="Missing value for --ORRES when --ORRESU is provided",
)
def orresu_without_orres(package: Package) -> pd.DataFrame:
    """--ORRESU is only populated with an --ORRES."""
    return _populated_without(package, "ORRESU", "ORRES", "a unit needs a result")


@rule(
    "SDC040",
    severity="warning",
    scope="SDTM",
    p21="SD1123",
    cdisc="FDAB042, CG0422",
    message="--ORRES value is populated when --STAT is 'NOT DONE'",
)
def result_when_not_done(package: Package) -> pd.DataFrame:
    """--ORRES is missing when --STAT is NOT DONE."""
    parts = []
    for ds, frame, cols in _each(package, "STAT", "ORRES"):
        stat, orres = cols["STAT"], cols["ORRES"]
        not_done = (_upper(frame[stat]) == "NOT DONE").fillna(False).astype(bool)
        rows = frame[not_done & _filled(frame[orres])]
        message = f"{ds}: {stat} is 'NOT DONE' but {orres} is '" + value_text(rows[orres]) + "'"
        parts.append(findings(rows, ds, variable=orres, message=message))
    return concat_findings(parts)


@rule(
    "SDC041",
    severity="warning",
    scope="SDTM",
    p21="SD0023",
    cdisc="CG0094",
    message="Missing value for --STAT when --REASND is provided",
)
def reasnd_without_stat(package: Package) -> pd.DataFrame:
    """--STAT is NOT DONE when --REASND is populated."""
    parts = []
    for ds, frame, cols in _each(package, "REASND", "STAT"):
        reasnd, stat = cols["REASND"], cols["STAT"]
        not_done = (_upper(frame[stat]) == "NOT DONE").fillna(False).astype(bool)
        rows = frame[_filled(frame[reasnd]) & ~not_done]
        message = (
            f"{ds}: {reasnd} '"
            + value_text(rows[reasnd])
            + f"' is populated but {stat} is '"
            + value_text(rows[stat])
            + "', not 'NOT DONE'"
        )
        parts.append(findings(rows, ds, variable=stat, message=message))
    return concat_findings(parts)


# --- demographics -----------------------------------------------------------------------------


@rule(
    "SDC042",
    severity="error",
    scope="SDTM",
    p21="SD2004",
    cdisc="CG0435",
    needs=("DM.DTHDTC", "DM.DTHFL"),
    message="Missing value for DTHFL when DTHDTC is populated",
)
def dthdtc_without_dthfl(package: Package) -> pd.DataFrame:
    """DTHFL is 'Y' when DTHDTC is populated."""
    dm = package.datasets["DM"]
    rows = dm[_filled(dm["DTHDTC"]) & ~(_upper(dm["DTHFL"]) == "Y").fillna(False).astype(bool)]
    message = (
        "DM: DTHDTC '"
        + value_text(rows["DTHDTC"])
        + "' but DTHFL is '"
        + value_text(rows["DTHFL"])
        + "'"
    )
    return findings(rows, "DM", variable="DTHFL", message=message)


@rule(
    "SDC043",
    severity="warning",
    scope="SDTM",
    p21="SD2005",
    cdisc="FDAB006",
    needs=("DM.DTHDTC", "DM.DTHFL"),
    message="Missing value for DTHDTC when DTHFL is populated",
)
def dthfl_without_dthdtc(package: Package) -> pd.DataFrame:
    """DTHDTC is populated when DTHFL is 'Y'."""
    dm = package.datasets["DM"]
    rows = dm[(_upper(dm["DTHFL"]) == "Y").fillna(False).astype(bool) & ~_filled(dm["DTHDTC"])]
    return findings(rows, "DM", variable="DTHDTC", message="DM: DTHFL is 'Y' but DTHDTC is missing")


@rule(
    "SDC044",
    severity="error",
    scope="SDTM",
    p21="SD0084",
    cdisc="FDAB040",
    needs=("DM.AGE",),
    message="Negative or zero value for AGE",
)
def age_not_positive(package: Package) -> pd.DataFrame:
    """AGE, where present, is greater than 0."""
    dm = package.datasets["DM"]
    rows = dm[pd.to_numeric(dm["AGE"], errors="coerce") <= 0]
    return findings(
        rows, "DM", variable="AGE", message="DM: AGE " + value_text(rows["AGE"]) + " is not > 0"
    )


@rule(
    "SDC045",
    severity="warning",
    scope="SDTM",
    p21="SD2022",
    cdisc="CG0432",
    needs=("DM.AGEU",),
    message="Missing value for AGEU when AGE or AGETXT is populated",
)
def ageu_missing(package: Package) -> pd.DataFrame:
    """AGEU is populated when AGE or AGETXT is."""
    dm = package.datasets["DM"]
    ages = [c for c in ("AGE", "AGETXT") if c in dm]
    if not ages:
        raise NotCheckable("DM has neither AGE nor AGETXT")
    has_age = pd.concat([_filled(dm[c]) for c in ages], axis=1).any(axis=1)
    rows = dm[has_age & ~_filled(dm["AGEU"])]
    message = f"DM: {ages[0]} '" + value_text(rows[ages[0]]) + "' is populated but AGEU is missing"
    return findings(rows, "DM", variable="AGEU", message=message)
