"""Basic Data Structure rules: PARAMCD and PARAM values (ADR044, ADR045), baseline records
(ADR046-ADR049) and change from baseline (ADR050, ADR051).

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. P21 IDs and the CDISC
"Publisher ID" come from ``standards/rules/p21_adam_rules.csv`` and are cited only where the
catalogue text describes what the rule checks; severity follows the catalogue's wording
("must" -> error, "should" -> warning). Rules that need the SDTM read ``package.related``
(the SDTM package beside the analysis package) and are reported as not checked when it is
absent.
"""

from __future__ import annotations

import pandas as pd

from adam.rules._common import (
    _PARAMCD,
    _TOL,
    _bds,
    _differs,
    _with,
)
from cdisc.validation.engine import (
    concat_findings,
    findings,
    rule,
    value_text,
)
from cdisc.validation.package import Package

# --- parameters ---------------------------------------------------------------------------


@rule(
    "ADR044",
    severity="error",
    scope="ADaM",
    p21="AD0143",
    cdisc="143",
    message="Illegal PARAMCD value",
)
def paramcd_format(package: Package) -> pd.DataFrame:
    """PARAMCD over 8 characters, not starting with A-Z or _, or with other characters."""
    parts = []
    for name, frame in _bds(package).items():
        if "PARAMCD" in frame:
            values = frame["PARAMCD"]
            rows = frame[values.notna() & ~values.astype(str).str.fullmatch(_PARAMCD.pattern)]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="PARAMCD",
                    message=f"{name}.PARAMCD '"
                    + value_text(rows["PARAMCD"])
                    + "' is not 1-8 of A-Z, 0-9, _ starting with a letter or _",
                )
            )
    return concat_findings(parts)


@rule("ADR045", severity="error", scope="ADaM", message="PARAM is longer than 200 bytes")
def param_length(package: Package) -> pd.DataFrame:
    """PARAM longer than 200 bytes in UTF-8 (ADaMIG 1.3: PARAM is at most 200 characters)."""
    parts = []
    for name, frame in _bds(package).items():
        if "PARAM" in frame:
            size = frame["PARAM"].astype("string").str.encode("utf-8").str.len()
            rows = frame[size.fillna(0) > 200]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="PARAM",
                    message=f"{name}.PARAM is "
                    + value_text(size[rows.index])
                    + " bytes; at most 200",
                )
            )
    return concat_findings(parts)


# --- baseline and change ------------------------------------------------------------------


def _baseline_groups(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("USUBJID", "PARAMCD", "BASETYPE") if c in frame]


@rule(
    "ADR046",
    severity="error",
    scope="ADaM",
    p21="AD0154",
    cdisc="154",
    message="Multiple baseline records exist for a unique USUBJID, PARAMCD, BASETYPE",
)
def several_baselines(package: Package) -> pd.DataFrame:
    """More than one ABLFL = Y per USUBJID, PARAMCD (and BASETYPE when present)."""
    parts = []
    for name, frame in _bds(package).items():
        if not _with(frame, "ABLFL", "USUBJID", "PARAMCD"):
            continue
        flagged = frame[frame["ABLFL"] == "Y"]
        keys = _baseline_groups(frame)
        rows = flagged[flagged[keys].astype(object).fillna("").duplicated(keep=False)]
        parts.append(
            findings(
                rows,
                name,
                variable="ABLFL",
                message=f"{name}: more than one ABLFL = Y for USUBJID "
                + value_text(rows["USUBJID"])
                + ", PARAMCD "
                + value_text(rows["PARAMCD"]),
            )
        )
    return concat_findings(parts)


@rule(
    "ADR047",
    severity="error",
    scope="ADaM",
    p21="AD0152",
    cdisc="152",
    message="ABLFL = Y, but BASE != AVAL",
)
def baseline_record_base(package: Package) -> pd.DataFrame:
    """On the baseline record (ABLFL = Y), BASE differs from AVAL."""
    parts = []
    for name, frame in _bds(package).items():
        if _with(frame, "ABLFL", "BASE", "AVAL"):
            bad = (frame["ABLFL"] == "Y") & _differs(frame["BASE"], frame["AVAL"])
            rows = frame[bad]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="BASE",
                    message=f"{name}: ABLFL = Y but BASE "
                    + value_text(rows["BASE"])
                    + " != AVAL "
                    + value_text(rows["AVAL"]),
                )
            )
    return concat_findings(parts)


@rule(
    "ADR048",
    severity="error",
    scope="ADaM",
    message="BASE is not the AVAL of the subject's baseline record",
)
def base_from_baseline(package: Package) -> pd.DataFrame:
    """BASE of a record differs from the AVAL of the one ABLFL = Y record of its USUBJID,
    PARAMCD (and BASETYPE); groups with several baseline records are ADR046's."""
    parts = []
    for name, frame in _bds(package).items():
        if not _with(frame, "ABLFL", "BASE", "AVAL", "USUBJID", "PARAMCD"):
            continue
        keys = _baseline_groups(frame)
        text = [frame[k].astype(object).fillna("").astype(str) for k in keys]
        key = text[0]
        for more in text[1:]:  # column by column: the same strings as a row-wise join
            key = key + "\x1f" + more
        flagged = frame["ABLFL"] == "Y"
        single = key[flagged].drop_duplicates(keep=False)
        baseline = pd.Series(frame.loc[single.index, "AVAL"].to_numpy(), index=single.to_numpy())
        expected = key.map(baseline)
        bad = (
            key.isin(single.to_numpy()) & frame["BASE"].notna() & _differs(frame["BASE"], expected)
        )
        rows = frame[bad]
        parts.append(
            findings(
                rows,
                name,
                variable="BASE",
                message=f"{name}: BASE "
                + value_text(rows["BASE"])
                + " but the baseline record's AVAL is "
                + value_text(expected[rows.index]),
            )
        )
    return concat_findings(parts)


@rule(
    "ADR049",
    severity="error",
    scope="ADaM",
    p21="AD0127",
    cdisc="127",
    message="BASE or BASEC is populated for a unique USUBJID, PARAMCD, but no baseline record exists",
)
def base_without_baseline(package: Package) -> pd.DataFrame:
    """BASE (or BASEC) populated in a USUBJID/PARAMCD(/BASETYPE) with no ABLFL = Y record."""
    parts = []
    for name, frame in _bds(package).items():
        if not _with(frame, "ABLFL", "USUBJID", "PARAMCD") or not {"BASE", "BASEC"} & set(frame):
            continue
        keys = _baseline_groups(frame)
        has = (
            (frame["ABLFL"] == "Y")
            .groupby([frame[k].astype(object).fillna("") for k in keys])
            .transform("any")
        )
        populated = pd.Series(False, index=frame.index)
        for column in [c for c in ("BASE", "BASEC") if c in frame]:
            populated |= frame[column].notna()
        rows = frame[populated & ~has]
        parts.append(
            findings(
                rows,
                name,
                variable="BASE" if "BASE" in frame else "BASEC",
                message=f"{name}: baseline value populated but no ABLFL = Y record for USUBJID "
                + value_text(rows["USUBJID"])
                + ", PARAMCD "
                + value_text(rows["PARAMCD"]),
            )
        )
    return concat_findings(parts)


@rule(
    "ADR050",
    severity="error",
    scope="ADaM",
    p21="AD0223",
    cdisc="223",
    message="Calculation issue: CHG != AVAL - BASE",
)
def change_from_baseline(package: Package) -> pd.DataFrame:
    """CHG differs from AVAL - BASE where all three are populated."""
    parts = []
    for name, frame in _bds(package).items():
        if _with(frame, "CHG", "AVAL", "BASE"):
            expected = frame["AVAL"] - frame["BASE"]
            rows = frame[frame["CHG"].notna() & expected.notna() & _differs(frame["CHG"], expected)]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="CHG",
                    message=f"{name}: CHG "
                    + value_text(rows["CHG"])
                    + " but AVAL - BASE = "
                    + value_text(expected[rows.index]),
                )
            )
    return concat_findings(parts)


@rule(
    "ADR051",
    severity="error",
    scope="ADaM",
    p21="AD0225",
    cdisc="225",
    message="Calculation issue: PCHG != (AVAL - BASE)/BASE * 100",
)
def percent_change(package: Package) -> pd.DataFrame:
    """PCHG differs (beyond rounding to 0.01) from 100 * (AVAL - BASE) / BASE, BASE not 0."""
    parts = []
    for name, frame in _bds(package).items():
        if _with(frame, "PCHG", "AVAL", "BASE"):
            base = frame["BASE"].where(frame["BASE"] != 0)
            expected = (frame["AVAL"] - base) / base * 100
            off = (frame["PCHG"] - expected).abs() > 0.005 + _TOL
            rows = frame[frame["PCHG"].notna() & expected.notna() & off]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="PCHG",
                    message=f"{name}: PCHG "
                    + value_text(rows["PCHG"])
                    + " but (AVAL - BASE) / BASE * 100 = "
                    + value_text(expected[rows.index]),
                )
            )
    return concat_findings(parts)
