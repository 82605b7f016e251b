"""SDTM baseline-flag rules (SDC026-SDC028): at most one --BLFL or --LOBXFL per subject, test
and time point, and a baseline record for every subject with results.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. The Pinnacle 21 ID (``p21``)
and its publisher IDs (``cdisc``) are those of ``p21_sdtm_rules.csv`` (shared standards
folder) where the catalogue text says what the rule checks; the severity follows the
catalogue wording ("must"/"cannot" -> error, "should"/"expected" -> warning). A rule that
looks at every dataset with a given variable raises :class:`NotCheckable` when no dataset
has it, so the package is reported as "not checked", never as passed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable, concat_findings, findings, rule, value_text
from cdisc.validation.package import Package
from sdtm.rules._frames import (
    _BASELINE_DOMAINS,
    _NOT_ASSIGNED,
    _TEST_KEYS,
    _dm_map,
    _each,
    _keys,
    _prefix,
    _upper,
    _upper_is,
)

# --- baseline flags ---------------------------------------------------------------------------


def _flag_rule(package: Package, flag_suffix: str) -> pd.DataFrame:
    parts = []
    for ds, frame, cols in _each(package, flag_suffix, "TESTCD"):
        flag = cols[flag_suffix]
        key = ["USUBJID", *_keys(frame, _prefix(ds, frame), _TEST_KEYS)]
        is_y = _upper_is(frame[flag], "Y")
        rows = frame[is_y & columns.duplicated(frame, key, within=is_y)]
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
        has_result = np.logical_or.reduce([columns.present(frame[c]) for c in results])
        flagged = np.logical_or.reduce([_upper_is(frame[f], "Y") for f in flags])
        # per subject, then spread to records by the subject's code (-1, missing, is the
        # extra last slot)
        codes, subjects = columns.distinct(frame["USUBJID"])
        flagged_subject = np.zeros(len(subjects) + 1, dtype=bool)
        flagged_subject[codes[flagged]] = True
        exempt = np.zeros(len(subjects) + 1, dtype=bool)
        if armcd is not None:
            arm = _upper(subjects.map(armcd))
            exempt[:-1] |= arm.isin(_NOT_ASSIGNED).fillna(False).to_numpy(dtype=bool)
        if actarmcd is not None:
            actual = _upper(subjects.map(actarmcd)) == "NOTTRT"
            exempt[:-1] |= actual.fillna(False).to_numpy(dtype=bool)
        candidate = has_result & (codes >= 0) & ~flagged_subject[codes] & ~exempt[codes]
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
