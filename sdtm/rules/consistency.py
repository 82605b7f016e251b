"""SDTM consistency rules (SDC029-SDC045): code/decode pairs (VISIT/VISITNUM, --TEST/--TESTCD,
ARM/ARMCD, ACTARM/ACTARMCD), results and their units, NOT DONE, and demographics (DTHFL,
DTHDTC, AGE, AGEU).

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. The Pinnacle 21 ID (``p21``)
and its publisher IDs (``cdisc``) are those of ``p21_sdtm_rules.csv`` (shared standards
folder) where the catalogue text says what the rule checks; the severity follows the
catalogue wording ("must"/"cannot" -> error, "should"/"expected" -> warning). A rule that
looks at every dataset with a given variable raises :class:`NotCheckable` when no dataset
has it, so the package is reported as "not checked", never as passed.

Example::

    from cdisc.validation import columns
from cdisc.validation.engine import REGISTRY, run_rules
    import sdtm.rules.consistency  # registers every SDTM rule
    result = run_rules(package, {k: v for k, v in REGISTRY.items() if k.startswith("SDC")})
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable, concat_findings, findings, rule, value_text
from cdisc.validation.package import Package
from sdtm.rules._frames import (
    _each,
    _filled,
    _upper,
)


def _inconsistent(
    frame: pd.DataFrame, key: list[str], other: str
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:  # key: one variable, as a list for merge
    """Rows whose ``other`` differs from the most frequent ``other`` of their ``key``
    (both present), the modal value each row disagrees with, and how many rows hold it."""
    empty = frame.iloc[0:0], pd.Series(dtype=object), pd.Series(dtype=int)
    # fast path on the columns' codes: as many distinct (key, other) pairs as keys -> consistent
    k, _ = columns.distinct(frame[key[0]])
    o, other_values = columns.distinct(frame[other])
    both = (k >= 0) & (o >= 0)
    if not both.any():
        return empty
    pairs = k[both].astype(np.int64) * (len(other_values) + 1) + o[both]
    if len(pd.unique(pairs)) == len(pd.unique(k[both])):
        return empty
    sub = frame.loc[both, [*key, other]]
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
