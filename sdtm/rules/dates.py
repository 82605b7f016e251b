"""SDTM date and study-day rules (SDC017-SDC025): start after end, RF dates in DM, study day
0, --DY/--STDY/--ENDY against --DTC and DM.RFSTDTC, and EPOCH on dosed records.

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
    _after,
    _date,
    _dm_map,
    _each,
    _filled,
    _prefix,
    _study_day,
)

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
        # the mapping is DM's, alive all the run: its id names it for the column cache
        dm = id(package.datasets["DM"])
        ref_of_record = columns.mapped(frame["USUBJID"], ref_date, f"RFSTDTC date, DM {dm}")
        expected = _study_day(frame[dtc], ref_of_record)
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
    dm = id(package.datasets["DM"])  # DM, alive all the run, names the mapping
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
        dose = columns.mapped(frame["USUBJID"], first_date, f"RFXSTDTC date, DM {dm}")
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
