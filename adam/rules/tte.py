"""Time-to-event rules (ADR052-ADR059): CNSR values, STARTDT and ADT present and populated,
EVNTDESC and CNSDTDSC with CNSR, ADT not before STARTDT, and AVAL as ADT - STARTDT + 1.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. P21 IDs and the CDISC
"Publisher ID" come from ``standards/rules/p21_adam_rules.csv`` and are cited only where the
catalogue text describes what the rule checks; severity follows the catalogue's wording
("must" -> error, "should" -> warning). Rules that need the SDTM read ``package.related``
(the SDTM package beside the analysis package) and are reported as not checked when it is
absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.rules._common import (
    _differs,
    _tte,
    _with,
)
from cdisc.validation.engine import (
    concat_findings,
    findings,
    rule,
    value_text,
    variable_findings,
)
from cdisc.validation.package import Package

# --- time to event ------------------------------------------------------------------------


@rule(
    "ADR052",
    severity="error",
    scope="ADaM",
    p21="AD0169",
    cdisc="169",
    message="CNSR is not an integer >= 0",
)
def censor_value(package: Package) -> pd.DataFrame:
    """CNSR populated with a negative or fractional number."""
    parts = []
    for name, frame in _tte(package).items():
        if "CNSR" in frame:
            cnsr = pd.to_numeric(frame["CNSR"], errors="coerce")
            bad = frame["CNSR"].notna() & ~((cnsr >= 0) & (cnsr == cnsr.round()))
            rows = frame[bad]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="CNSR",
                    message=f"{name}: CNSR " + value_text(rows["CNSR"]) + " is not an integer >= 0",
                )
            )
    return concat_findings(parts)


def _filled(frame: pd.DataFrame, *columns: str) -> pd.Series:
    """Whether any of ``columns`` (those present) is populated, per record."""
    present = [frame[c].notna() for c in columns if c in frame]
    if not present:
        return pd.Series(False, index=frame.index)
    return pd.concat(present, axis=1).any(axis=1)


def _tte_absent(package: Package, wanted: tuple[str, ...], trigger: str) -> pd.DataFrame:
    parts = []
    for name, frame in package.datasets.items():
        if trigger in frame and not set(wanted) & set(frame):
            parts.append(
                variable_findings(
                    name,
                    [wanted[0]],
                    f"{name}: {trigger} is present but {' or '.join(wanted)} is not",
                )
            )
    return concat_findings(parts)


@rule(
    "ADR053",
    severity="error",
    scope="ADaM",
    p21="AD0245",
    cdisc="245",
    message="CNSR is present, but STARTDT is not present",
)
def startdt_absent(package: Package) -> pd.DataFrame:
    """A dataset with CNSR but without STARTDT (or STARTDTM)."""
    return _tte_absent(package, ("STARTDT", "STARTDTM"), "CNSR")


@rule(
    "ADR054",
    severity="error",
    scope="ADaM",
    p21="AD0246",
    cdisc="246",
    message="CNSR is present, but both ADT and ADTM are not present",
)
def adt_absent(package: Package) -> pd.DataFrame:
    """A dataset with CNSR but neither ADT nor ADTM."""
    return _tte_absent(package, ("ADT", "ADTM"), "CNSR")


@rule(
    "ADR055",
    severity="error",
    scope="ADaM",
    p21="AD0247",
    cdisc="247",
    message="CNSR is populated, but AVAL, STARTDT, and one of [ADT, ADTM] are not populated",
)
def censored_incomplete(package: Package) -> pd.DataFrame:
    """CNSR populated on a record where AVAL, STARTDT(M) or ADT(M) is missing."""
    parts = []
    for name, frame in _tte(package).items():
        if "CNSR" not in frame:
            continue
        need = {
            "AVAL": _filled(frame, "AVAL"),
            "STARTDT": _filled(frame, "STARTDT", "STARTDTM"),
            "ADT": _filled(frame, "ADT", "ADTM"),
        }
        gaps = pd.DataFrame({k: ~v for k, v in need.items()})
        bad = frame["CNSR"].notna() & gaps.any(axis=1)
        rows = frame[bad]
        missing = pd.Series("", index=rows.index)
        for variable, gap in gaps.items():
            missing = missing + np.where(gap[bad], f" {variable}", "")
        parts.append(
            findings(
                rows,
                name,
                variable="CNSR",
                message=f"{name}: CNSR populated but missing" + missing,
            )
        )
    return concat_findings(parts)


@rule(
    "ADR056",
    severity="warning",
    scope="ADaM",
    p21="AD0250",
    cdisc="250",
    message="EVNTDESC and/or CNSDTDSC is present, but CNSR is not present",
)
def evntdesc_without_cnsr(package: Package) -> pd.DataFrame:
    """A dataset with EVNTDESC but no CNSR (CNSR "should be present")."""
    return concat_findings(
        [
            variable_findings(n, ["EVNTDESC"], f"{n}: EVNTDESC is present but CNSR is not")
            for n, f in package.datasets.items()
            if "EVNTDESC" in f and "CNSR" not in f
        ]
    )


@rule(
    "ADR057",
    severity="error",
    scope="ADaM",
    p21="AD0251",
    cdisc="251",
    message="CNSDTDSC is present, but CNSR is not present",
)
def cnsdtdsc_without_cnsr(package: Package) -> pd.DataFrame:
    """A dataset with CNSDTDSC but no CNSR (CNSR "must be present")."""
    return concat_findings(
        [
            variable_findings(n, ["CNSDTDSC"], f"{n}: CNSDTDSC is present but CNSR is not")
            for n, f in package.datasets.items()
            if "CNSDTDSC" in f and "CNSR" not in f
        ]
    )


@rule("ADR058", severity="error", scope="ADaM", message="ADT is before STARTDT")
def adt_before_start(package: Package) -> pd.DataFrame:
    """A time-to-event record whose event or censoring date precedes its origin."""
    parts = []
    for name, frame in _tte(package).items():
        if _with(frame, "ADT", "STARTDT"):
            rows = frame[frame["ADT"] < frame["STARTDT"]]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="ADT",
                    message=f"{name}: ADT "
                    + value_text(rows["ADT"])
                    + " is before STARTDT "
                    + value_text(rows["STARTDT"]),
                )
            )
    return concat_findings(parts)


@rule("ADR059", severity="warning", scope="ADaM", message="AVAL is not ADT - STARTDT + 1")
def tte_duration(package: Package) -> pd.DataFrame:
    """AVAL of a time-to-event record differs from ADT - STARTDT + 1 days, for parameters
    that do not name another unit (months, weeks, years) in PARAM."""
    parts = []
    for name, frame in _tte(package).items():
        if not _with(frame, "ADT", "STARTDT", "AVAL"):
            continue
        days = frame["ADT"] - frame["STARTDT"] + 1
        param = (
            frame["PARAM"].astype("string")
            if "PARAM" in frame
            else pd.Series("", index=frame.index)
        )
        other_unit = param.str.contains(
            r"\b(?:MONTH|WEEK|YEAR|HOUR)", case=False, regex=True
        ).fillna(False)
        rows = frame[
            days.notna() & frame["AVAL"].notna() & ~other_unit & _differs(frame["AVAL"], days)
        ]
        parts.append(
            findings(
                rows,
                name,
                variable="AVAL",
                message=f"{name}: AVAL "
                + value_text(rows["AVAL"])
                + " but ADT - STARTDT + 1 = "
                + value_text(days[rows.index]),
            )
        )
    return concat_findings(parts)
