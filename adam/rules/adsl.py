"""ADSL rules: one record per subject and the same subjects as SDTM DM and the other
analysis datasets (ADR007-ADR010), DM variables carried unchanged (ADR011-ADR019), treatment
dates against SDTM EX (ADR020-ADR023), and population, death and randomisation flags with
their values and dates (ADR034, ADR038, ADR064).

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
    POPULATION_FLAGS,
    _adsl,
    _differs,
    _sas_date,
    _sdtm,
)
from cdisc.validation.engine import (
    NotCheckable,
    concat_findings,
    findings,
    rule,
    value_text,
    variable_findings,
)
from cdisc.validation.package import Package

# --- subjects ----------------------------------------------------------------------------


@rule(
    "ADR007",
    severity="warning",
    scope="ADaM",
    p21="AD0054",
    cdisc="54",
    message="USUBJID duplicate values are not allowed within a study",
    needs=("ADSL.USUBJID",),
)
def adsl_duplicate_usubjid(package: Package) -> pd.DataFrame:
    """More than one ADSL record for a USUBJID."""
    adsl = package.datasets["ADSL"]
    rows = adsl[adsl["USUBJID"].notna() & adsl["USUBJID"].duplicated(keep=False)]
    return findings(
        rows,
        "ADSL",
        variable="USUBJID",
        message="ADSL: USUBJID " + rows["USUBJID"].astype(str) + " is on more than one record",
    )


@rule(
    "ADR008",
    severity="warning",
    scope="ADaM",
    p21="AD0256",
    cdisc="256",
    message="USUBJID value does not exist in the ADaM ADSL domain",
)
def subject_not_in_adsl(package: Package) -> pd.DataFrame:
    """A USUBJID of a non-ADSL analysis dataset that ADSL does not hold."""
    adsl = _adsl(package)
    if "USUBJID" not in adsl:
        raise NotCheckable("ADSL has no USUBJID")
    known = set(adsl["USUBJID"].dropna())
    parts = []
    for name, frame in package.datasets.items():
        if name == "ADSL" or "USUBJID" not in frame:
            continue
        rows = frame[frame["USUBJID"].notna() & ~frame["USUBJID"].isin(known)]
        parts.append(
            findings(
                rows,
                name,
                variable="USUBJID",
                message=name + ": USUBJID " + rows["USUBJID"].astype(str) + " is not in ADSL",
            )
        )
    return concat_findings(parts)


@rule(
    "ADR009",
    severity="error",
    scope="ADaM",
    p21="AD0053",
    cdisc="53",
    message="The combination of STUDYID and USUBJID value does not exist in the SDTM DM domain",
    needs=("ADSL.USUBJID", "ADSL.STUDYID"),
)
def adsl_subject_not_in_dm(package: Package) -> pd.DataFrame:
    """An ADSL STUDYID/USUBJID pair that the SDTM DM does not hold."""
    dm = _sdtm(package, "DM").datasets["DM"]
    adsl = package.datasets["ADSL"]
    keys = pd.MultiIndex.from_frame(dm[["STUDYID", "USUBJID"]].astype(object))
    mine = pd.MultiIndex.from_frame(adsl[["STUDYID", "USUBJID"]].astype(object))
    rows = adsl[~mine.isin(keys)]
    text = (
        "ADSL: STUDYID " + value_text(rows["STUDYID"]) + ", USUBJID " + value_text(rows["USUBJID"])
    )
    return findings(rows, "ADSL", variable="USUBJID", message=text + " is not in SDTM DM")


@rule(
    "ADR010",
    severity="warning",
    scope="ADaM",
    p21="AD2001",
    message="The combination of STUDYID and USUBJID value from SDTM DM does not exist in ADSL",
    needs=("ADSL.USUBJID",),
)
def dm_subject_not_in_adsl(package: Package) -> pd.DataFrame:
    """A subject of SDTM DM that ADSL leaves out (reported on the DM record)."""
    dm = _sdtm(package, "DM").datasets["DM"]
    rows = dm[~dm["USUBJID"].isin(set(package.datasets["ADSL"]["USUBJID"].dropna()))]
    return findings(
        rows,
        "DM",
        variable="USUBJID",
        message="SDTM DM: USUBJID " + value_text(rows["USUBJID"]) + " is not in ADSL",
    )


def _adsl_matches_dm(variable: str):
    def check(package: Package) -> pd.DataFrame:
        dm = _sdtm(package, "DM").datasets["DM"]
        if variable not in dm:
            raise NotCheckable(f"SDTM DM has no {variable}")
        adsl = package.datasets["ADSL"]
        source = dm.drop_duplicates("USUBJID").set_index("USUBJID")[variable]
        theirs = adsl["USUBJID"].map(source)
        known = adsl["USUBJID"].isin(source.index)
        rows = adsl[known & _differs(adsl[variable], theirs)]
        text = (
            f"ADSL.{variable} "
            + value_text(rows[variable])
            + f" but DM.{variable} "
            + value_text(theirs[rows.index])
            + " for USUBJID "
            + rows["USUBJID"].astype(str)
        )
        return findings(rows, "ADSL", variable=variable, message=text)

    check.__doc__ = f"ADSL.{variable} differs from SDTM DM.{variable} for the same USUBJID."
    return check


# AD0204-AD0210 and AD0367 (must: "There must be traceability between ADaM and SDTM").
_DM_TRACE = [
    ("ADR011", "AGE", "AD0204", "204"),
    ("ADR012", "AGEU", "AD0205", "205"),
    ("ADR013", "SEX", "AD0206", "206"),
    ("ADR014", "RACE", "AD0207", "207"),
    ("ADR015", "SUBJID", "AD0208", "208"),
    ("ADR016", "SITEID", "AD0209", "209"),
    ("ADR017", "ARM", "AD0210", "210"),
    ("ADR018", "ACTARM", "AD0367", "367"),
    ("ADR019", "ETHNIC", "", ""),
]
for _id, _var, _p21, _cdisc in _DM_TRACE:
    rule(
        _id,
        severity="error",
        scope="ADaM",
        p21=_p21,
        cdisc=_cdisc,
        message=f"For the same USUBJID, the ADSL.{_var} != DM.{_var}",
        needs=("ADSL.USUBJID", f"ADSL.{_var}"),
    )(_adsl_matches_dm(_var))


# --- treatment --------------------------------------------------------------------------


def _needs_trt(package: Package, variable: str) -> pd.DataFrame:
    sdtm = _sdtm(package, "EX")
    if variable in package.datasets["ADSL"] or f"{variable}M" in package.datasets["ADSL"]:
        return pd.DataFrame()
    if sdtm.datasets["EX"].empty:
        return pd.DataFrame()
    return variable_findings(
        "ADSL", [variable], f"SDTM EX is present but ADSL has neither {variable} nor {variable}M"
    )


@rule(
    "ADR020",
    severity="warning",
    scope="ADaM",
    p21="AD0061",
    cdisc="61",
    message="SDTM.EX is present, but neither ADSL TRTSDT nor TRTSDTM are present",
    needs=("ADSL",),
)
def trtsdt_absent(package: Package) -> pd.DataFrame:
    """SDTM EX has records but ADSL has no TRTSDT/TRTSDTM."""
    return _needs_trt(package, "TRTSDT")


@rule(
    "ADR021",
    severity="warning",
    scope="ADaM",
    p21="AD0061A",
    cdisc="365",
    message="SDTM.EX is present, but neither ADSL TRTEDT nor TRTEDTM are present",
    needs=("ADSL",),
)
def trtedt_absent(package: Package) -> pd.DataFrame:
    """SDTM EX has records but ADSL has no TRTEDT/TRTEDTM."""
    return _needs_trt(package, "TRTEDT")


def _ex_dates(package: Package) -> pd.DataFrame:
    """Per subject: first EXSTDTC and last EXENDTC (else EXSTDTC) as SAS dates; NaN when any
    of the subject's EX dates is partial (the first/last date is then not known)."""
    ex = _sdtm(package, "EX").datasets["EX"]
    if "EXSTDTC" not in ex:
        raise NotCheckable("SDTM EX has no EXSTDTC")
    start = _sas_date(ex["EXSTDTC"])
    end = _sas_date(ex["EXENDTC"]) if "EXENDTC" in ex else start
    end = end.where(ex["EXENDTC"].notna(), start) if "EXENDTC" in ex else end
    frame = pd.DataFrame({"USUBJID": ex["USUBJID"], "start": start, "end": end})
    partial = frame[["start", "end"]].isna().any(axis=1)
    by = frame.groupby("USUBJID")
    out = by.agg(first=("start", "min"), last=("end", "max"))
    out.loc[partial.groupby(frame["USUBJID"]).any()] = np.nan
    return out


def _trt_vs_ex(package: Package, variable: str, column: str) -> pd.DataFrame:
    adsl = package.datasets["ADSL"]
    ex = _ex_dates(package)
    expected = adsl["USUBJID"].map(ex[column])
    flag = adsl[f"{variable}F"] if f"{variable}F" in adsl else pd.Series(None, index=adsl.index)
    has_ex = adsl["USUBJID"].isin(ex.index)
    # An imputed date (flag set) or a partial EX date cannot be compared exactly.
    comparable = flag.isna() & (expected.notna() | ~has_ex)
    bad = comparable & _differs(adsl[variable], expected) & (adsl[variable].notna() | has_ex)
    rows = adsl[bad]
    expected_text = value_text(expected[rows.index]).where(has_ex[rows.index], "no EX record")
    text = (
        f"ADSL.{variable} "
        + value_text(rows[variable])
        + " but SDTM EX gives "
        + expected_text
        + " for USUBJID "
        + rows["USUBJID"].astype(str)
    )
    return findings(rows, "ADSL", variable=variable, message=text)


@rule(
    "ADR022",
    severity="error",
    scope="ADaM",
    message="TRTSDT is not the date of the first EX record",
    needs=("ADSL.TRTSDT",),
)
def trtsdt_vs_ex(package: Package) -> pd.DataFrame:
    """ADSL.TRTSDT (not imputed) differs from the earliest complete EXSTDTC of the subject."""
    return _trt_vs_ex(package, "TRTSDT", "first")


@rule(
    "ADR023",
    severity="error",
    scope="ADaM",
    message="TRTEDT is not the date of the last EX record",
    needs=("ADSL.TRTEDT",),
)
def trtedt_vs_ex(package: Package) -> pd.DataFrame:
    """ADSL.TRTEDT (not imputed) differs from the latest complete EXENDTC (else EXSTDTC)."""
    return _trt_vs_ex(package, "TRTEDT", "last")


# --- flags --------------------------------------------------------------------------------


@rule(
    "ADR034",
    severity="error",
    scope="ADaM",
    p21="AD0019",
    cdisc="19",
    message="Variable subject-population flag value is null",
    needs=("ADSL",),
)
def population_flag_null(package: Package) -> pd.DataFrame:
    """A null ADSL population flag (COMPLFL, FASFL, ITTFL, PPROTFL, SAFFL, RANDFL, ENRLFL)."""
    adsl = package.datasets["ADSL"]
    parts = []
    for flag in [f for f in POPULATION_FLAGS if f in adsl]:
        rows = adsl[adsl[flag].isna()]
        parts.append(
            findings(
                rows,
                "ADSL",
                variable=flag,
                message=f"ADSL.{flag} is null for USUBJID "
                + value_text(rows.get("USUBJID", pd.Series("", index=rows.index))),
            )
        )
    return concat_findings(parts)


@rule(
    "ADR038",
    severity="warning",
    scope="ADaM",
    message="DTHFL is Y but DTHDT is missing",
    needs=("ADSL.DTHFL",),
)
def death_without_date(package: Package) -> pd.DataFrame:
    """ADSL.DTHFL = Y with no DTHDT (the date should be given, as SD2005 asks in SDTM)."""
    adsl = package.datasets["ADSL"]
    date = adsl["DTHDT"] if "DTHDT" in adsl else pd.Series(np.nan, index=adsl.index)
    rows = adsl[(adsl["DTHFL"] == "Y") & date.isna()]
    return findings(
        rows,
        "ADSL",
        variable="DTHDT",
        value="",
        message="ADSL: DTHFL is Y but DTHDT is missing for USUBJID " + value_text(rows["USUBJID"]),
    )


@rule(
    "ADR064",
    severity="warning",
    scope="ADaM",
    p21="AD0366A",
    cdisc="366",
    message="Missing value for RANDDT when RANDFL is Y",
    needs=("ADSL.RANDFL",),
)
def randomised_without_date(package: Package) -> pd.DataFrame:
    """ADSL.RANDFL = Y without RANDDT."""
    adsl = package.datasets["ADSL"]
    date = adsl["RANDDT"] if "RANDDT" in adsl else pd.Series(np.nan, index=adsl.index)
    rows = adsl[(adsl["RANDFL"] == "Y") & date.isna()]
    return findings(
        rows,
        "ADSL",
        variable="RANDDT",
        value="",
        message="ADSL: RANDFL is Y but RANDDT is missing for USUBJID "
        + value_text(rows["USUBJID"]),
    )
