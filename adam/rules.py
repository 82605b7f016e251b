"""ADaM conformance rules (ADR001-ADR045): ADSL, BDS and time-to-event checks, and the
traceability of ADaM to the SDTM package of the same study.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. P21 IDs and the CDISC
"Publisher ID" come from ``standards/rules/p21_adam_rules.csv`` and are cited only where the
catalogue text describes what the rule checks; severity follows the catalogue's wording
("must" -> error, "should" -> warning). Rules that need the SDTM read
``package.related`` (the SDTM package beside the analysis package) and are reported as not
checked when it is absent.

Example::

    from cdisc.validation.engine import concat_findings, value_text, REGISTRY, run_rules
    import adam.rules  # registers ADR001...
    result = run_rules(package, {k: r for k, r in REGISTRY.items() if k.startswith("ADR")})
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc.validation.engine import (
    NotCheckable,
    concat_findings,
    findings,
    rule,
    value_text,
    variable_findings,
)
from cdisc.validation.package import Package

#: ADaMIG 1.3 subject-level population flags (AD0005B exception 2, AD0019).
POPULATION_FLAGS = ("COMPLFL", "FASFL", "ITTFL", "PPROTFL", "SAFFL", "RANDFL", "ENRLFL")
#: SAS date formats named by AD0041 (the catalogue's list, stems without width).
_DATE_FORMAT_TEXT = (
    "B8601DA B8601DN DATE DAY DDMMYY DDMMYYB DDMMYYC DDMMYYD DDMMYYN DDMMYYP DDMMYYS DOWNAME "
    "DTMONYY E8601DA JULDAY JULIAN MMDDYY MMDDYYB MMDDYYC MMDDYYD MMDDYYN MMDDYYP MMDDYYS "
    "MMYY MMYYB MMYYC MMYYD MMYYN MMYYP MMYYS MONNAME MONTH MONYY PDJULG PDJULI QTR QTRR "
    "WEEKDATE WEEKDATX WEEKDAY WEEKU WEEKV WEEKW WORDDATE WORDDATX YEAR YYMM YYMMDD YYMMDDB "
    "YYMMDDC YYMMDDD YYMMDDN YYMMDDP YYMMDDS YYMMB YYMMC YYMMD YYMMN YYMMP YYMMS YYMON YYQ "
    "YYQB YYQC YYQD YYQN YYQP YYQS YYQR YYQRB YYQRC YYQRD YYQRN YYQRP YYQRS IS8601DA"
)
DATE_FORMATS = frozenset(_DATE_FORMAT_TEXT.split())
_SAS_EPOCH = pd.Timestamp("1960-01-01")
_PARAMCD = re.compile(r"^[A-Z_][A-Z0-9_]{0,7}$")
_NAME = r"^[A-Z][A-Z0-9_]{0,7}$"
#: Numbers are compared with this tolerance: XPT stores IEEE doubles, derivations round.
_TOL = 1e-6


# --- helpers -----------------------------------------------------------------------------


def _adsl(package: Package) -> pd.DataFrame:
    if "ADSL" not in package.datasets:
        raise NotCheckable("no ADSL dataset")
    return package.datasets["ADSL"]


def _sdtm(package: Package, *names: str) -> Package:
    related = getattr(package, "related", None)
    if related is None:
        raise NotCheckable("no SDTM package beside it")
    for name in names:
        if name not in related.datasets:
            raise NotCheckable(f"the SDTM package beside it has no {name}")
    return related


def _bds(package: Package) -> dict[str, pd.DataFrame]:
    """Datasets of the Basic Data Structure: every non-ADSL dataset with PARAMCD or PARAM."""
    return {
        name: frame
        for name, frame in package.datasets.items()
        if name != "ADSL" and ({"PARAMCD", "PARAM"} & set(frame.columns))
    }


def _tte(package: Package) -> dict[str, pd.DataFrame]:
    """Time-to-event datasets: BDS datasets with CNSR, or named AD*TTE."""
    return {
        name: frame
        for name, frame in _bds(package).items()
        if "CNSR" in frame.columns or name.endswith("TTE")
    }


def _differs(left: pd.Series, right: pd.Series) -> pd.Series:
    """Element-wise "not equal", with two missing values equal and numbers within _TOL."""
    both_missing = left.isna() & right.isna()
    if pd.api.types.is_numeric_dtype(left) and pd.api.types.is_numeric_dtype(right):
        same = (left - right).abs() <= _TOL
    else:
        same = left.astype(object) == right.astype(object)
    return ~(same.fillna(False).astype(bool) | both_missing)


def _sas_date(dtc: pd.Series) -> pd.Series:
    """SAS day numbers of ISO 8601 --DTC values with a complete date; NaN otherwise."""
    text = dtc.astype("string").str.slice(0, 10)
    dates = pd.to_datetime(text.where(text.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    return (dates - _SAS_EPOCH).dt.days.astype(float)


def _pairs(frame: pd.DataFrame, pattern: str) -> list[str]:
    return [c for c in frame.columns if re.fullmatch(pattern, c)]


# --- presence and structure --------------------------------------------------------------


@rule(
    "ADR001",
    severity="error",
    scope="ADaM",
    p21="AD0001",
    cdisc="1",
    message="Missing ADSL dataset",
)
def adsl_missing(package: Package) -> pd.DataFrame:
    """The analysis package has no ADSL."""
    if "ADSL" in package.datasets:
        return pd.DataFrame()
    return variable_findings("ADSL", [""], "Missing ADSL dataset: every ADaM package needs one")


@rule(
    "ADR003",
    severity="error",
    scope="ADaM",
    p21="AD0013",
    cdisc="13",
    message="Illegal variable name: basic format is violated",
)
def illegal_variable_name(package: Package) -> pd.DataFrame:
    """Variable names longer than 8, not starting with A-Z, or with other than A-Z, 0-9, _."""
    parts = []
    for name, frame in package.datasets.items():
        columns = pd.Series(list(frame.columns), dtype=object)
        bad = columns[~columns.str.fullmatch(_NAME)]
        parts.append(
            variable_findings(
                name, bad, [f"{name}.{b}: variable name is not 1-8 of A-Z, 0-9, _" for b in bad]
            )
        )
    return concat_findings(parts)


@rule(
    "ADR004",
    severity="error",
    scope="ADaM",
    p21="AD0320",
    cdisc="320",
    message="Non-standard dataset label",
    needs=("ADSL",),
)
def adsl_label(package: Package) -> pd.DataFrame:
    """ADSL's dataset label is not 'Subject-Level Analysis Dataset'."""
    label = package.meta["ADSL"].label
    if package.meta["ADSL"].file is None:
        raise NotCheckable("dataset labels unknown: ADSL was not read from a file")
    if label == "Subject-Level Analysis Dataset":
        return pd.DataFrame()
    return variable_findings(
        "ADSL", [""], f"ADSL label is '{label}', not 'Subject-Level Analysis Dataset'", label
    )


@rule(
    "ADR005",
    severity="error",
    scope="ADaM",
    p21="AD0048",
    cdisc="48",
    message="*FL subject-population flag variable is not present",
    needs=("ADSL",),
)
def population_flag_absent(package: Package) -> pd.DataFrame:
    """ADSL has no population flag (no variable ending in FL)."""
    if any(c.endswith("FL") for c in package.datasets["ADSL"].columns):
        return pd.DataFrame()
    return variable_findings("ADSL", [""], "ADSL has no population flag variable (*FL)")


@rule(
    "ADR006",
    severity="error",
    scope="ADaM",
    p21="AD0198",
    cdisc="198",
    message="Neither AVAL nor AVALC are present in dataset",
)
def aval_absent(package: Package) -> pd.DataFrame:
    """A BDS dataset with neither AVAL nor AVALC."""
    bad = [n for n, f in _bds(package).items() if not {"AVAL", "AVALC"} & set(f.columns)]
    return concat_findings(
        [variable_findings(n, ["AVAL"], f"{n} has neither AVAL nor AVALC") for n in bad]
    )


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


def _inconsistent(frame: pd.DataFrame, name: str, key: list[str], value: str) -> pd.DataFrame:
    """Records whose ``value`` is not the only one seen for their ``key`` (rows where all are
    populated)."""
    both = frame[[*key, value]].notna().all(axis=1)
    sub = frame[both]
    counts = sub.groupby(key, dropna=True)[value].transform("nunique")
    rows = sub[counts > 1]
    where = pd.Series("", index=rows.index)
    for k in key:
        where = where + (" and " if k != key[0] else "") + f"{k} " + value_text(rows[k])
    text = f"{name}: {value} " + value_text(rows[value]) + " is one of several for " + where
    return findings(rows, name, variable=value, message=text)


def _pair_rule(datasets: str, code: str, decode: str, by: tuple[str, ...] = ()):
    """Rule body: ``value`` must be one value per ``key`` (both populated)."""

    def check(package: Package) -> pd.DataFrame:
        frames = (
            package.datasets
            if datasets == "ANY"
            else {n: f for n, f in package.datasets.items() if n == datasets}
        )
        parts = []
        for name, frame in frames.items():
            for column in _pairs(frame, code):
                other = re.sub(code, decode, column)
                if other in frame and all(b in frame for b in by):
                    parts.append(_inconsistent(frame, name, [*by, column], other))
        return concat_findings(parts)

    check.__doc__ = f"{decode} is not one value per {code} (both populated)."
    return check


_PAIRS = [
    ("ADR024", "ADSL", r"TRT(\d\d)P", r"TRT\1PN", (), "AD0076B", "76, 717"),
    ("ADR025", "ADSL", r"TRT(\d\d)PN", r"TRT\1P", (), "AD0077B", "77, 718"),
    ("ADR026", "ADSL", r"TRT(\d\d)A", r"TRT\1AN", (), "AD0242B", "242, 767"),
    ("ADR027", "ADSL", r"TRT(\d\d)AN", r"TRT\1A", (), "AD0243B", "243, 768"),
    ("ADR028", "ANY", r"TRTP", r"TRTPN", (), "AD0092B", "92, 721"),
    ("ADR029", "ANY", r"TRTPN", r"TRTP", (), "AD0093B", "93, 722"),
    ("ADR030", "ANY", r"PARAMCD", r"PARAM", (), "AD0141", "141, 738"),
    ("ADR031", "ANY", r"PARAM", r"PARAMCD", (), "AD0142", "142, 739"),
    ("ADR032", "ANY", r"AVISIT", r"AVISITN", ("PARAMCD",), "AD0109B", "109, 727"),
    ("ADR033", "ANY", r"AVISITN", r"AVISIT", ("PARAMCD",), "AD0110B", "110, 728"),
]
for _id, _where, _code, _decode, _by, _p21, _cdisc in _PAIRS:
    _label = _decode.replace("\\1", "xx")
    rule(
        _id,
        severity="error",
        scope="ADaM",
        p21=_p21,
        cdisc=_cdisc,
        message=f"Inconsistent value for {_label}",
    )(_pair_rule(_where, _code, _decode, _by))


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
    "ADR035",
    severity="error",
    scope="ADaM",
    p21="AD0005B",
    cdisc="5",
    message="*FL value is not Y, N or null",
)
def flag_not_yn(package: Package) -> pd.DataFrame:
    """A *FL variable (not ABLFL, ANLzzFL) with a value other than Y, N or null."""
    parts = []
    for name, frame in package.datasets.items():
        for flag in [c for c in frame.columns if c.endswith("FL")]:
            if flag == "ABLFL" or re.fullmatch(r"ANL\d\dFL", flag):
                continue
            values = frame[flag]
            rows = frame[values.notna() & ~values.isin(["Y", "N"])]
            parts.append(
                findings(
                    rows,
                    name,
                    variable=flag,
                    message=f"{name}.{flag} is '" + value_text(rows[flag]) + "', not Y, N or null",
                )
            )
    return concat_findings(parts)


def _y_or_null(pattern: str):
    def check(package: Package) -> pd.DataFrame:
        parts = []
        for name, frame in package.datasets.items():
            for flag in _pairs(frame, pattern):
                rows = frame[frame[flag].notna() & (frame[flag] != "Y")]
                parts.append(
                    findings(
                        rows,
                        name,
                        variable=flag,
                        message=f"{name}.{flag} is '" + value_text(rows[flag]) + "', not Y or null",
                    )
                )
        return concat_findings(parts)

    check.__doc__ = f"A {pattern} value other than Y or null."
    return check


rule(
    "ADR036",
    severity="error",
    scope="ADaM",
    p21="AD0176",
    cdisc="176",
    message="ABLFL value is not Y or null",
)(_y_or_null("ABLFL"))
rule(
    "ADR037",
    severity="error",
    scope="ADaM",
    p21="AD0178",
    cdisc="178",
    message="ANLzzFL value is not Y or null",
)(_y_or_null(r"ANL\d\dFL"))


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


# --- dates --------------------------------------------------------------------------------


def _date_columns(frame: pd.DataFrame, suffix: str) -> list[str]:
    # ARELTM (relative time) and *DY are not dates; only *DT / *DTM names qualify.
    return [c for c in frame.columns if c.endswith(suffix) and len(c) > len(suffix)]


@rule(
    "ADR039",
    severity="error",
    scope="ADaM",
    p21="CT2001",
    cdisc="FDAB017",
    message="Variable value not found in non-extensible codelist",
)
def imputation_flag_values(package: Package) -> pd.DataFrame:
    """*DTF not in DATEFL (D, M, Y) or *TMF not in TIMEFL (H, M, S): both non-extensible."""
    parts = []
    for name, frame in package.datasets.items():
        for suffix, allowed in (("DTF", ("D", "M", "Y")), ("TMF", ("H", "M", "S"))):
            for column in _date_columns(frame, suffix):
                rows = frame[frame[column].notna() & ~frame[column].isin(allowed)]
                parts.append(
                    findings(
                        rows,
                        name,
                        variable=column,
                        message=f"{name}.{column} is '"
                        + value_text(rows[column])
                        + f"', not one of {', '.join(allowed)}",
                    )
                )
    return concat_findings(parts)


@rule(
    "ADR040",
    severity="error",
    scope="ADaM",
    p21="AD0058",
    cdisc="58",
    message="*DT is not a numeric variable",
)
def date_not_numeric(package: Package) -> pd.DataFrame:
    """A *DT or *DTM variable stored as Char."""
    parts = []
    for name, frame in package.datasets.items():
        types = package.meta[name].types
        bad = [
            c
            for c in _date_columns(frame, "DT") + _date_columns(frame, "DTM")
            if types.get(c) == "Char"
        ]
        parts.append(
            variable_findings(name, bad, [f"{name}.{b} is Char; dates are Num" for b in bad])
        )
    return concat_findings(parts)


@rule(
    "ADR041",
    severity="error",
    scope="ADaM",
    p21="AD0041A",
    cdisc="41",
    message="*DT variable has missing SAS Date Format",
)
def date_without_format(package: Package) -> pd.DataFrame:
    """A numeric *DT variable whose file gives it no SAS date format (AD0041 list)."""
    parts = []
    for name, frame in package.datasets.items():
        meta = package.meta[name]
        if meta.file is None or meta.file.suffix.lower() != ".xpt":
            raise NotCheckable(f"{name}: SAS formats are known only for XPT files")
        for column in _date_columns(frame, "DT"):
            if meta.types.get(column) != "Num":
                continue
            stem = re.sub(r"[\d.]+$", "", (meta.formats.get(column) or "").upper())
            if stem not in DATE_FORMATS:
                parts.append(
                    variable_findings(
                        name,
                        [column],
                        f"{name}.{column} has SAS format '{meta.formats.get(column) or ''}', not a date format",
                        meta.formats.get(column) or "",
                    )
                )
    return concat_findings(parts)


@rule("ADR042", severity="error", scope="ADaM", p21="AD0046", cdisc="46", message="*DY = 0")
def study_day_zero(package: Package) -> pd.DataFrame:
    """A relative day variable (*DY) equal to 0."""
    parts = []
    for name, frame in package.datasets.items():
        for column in [c for c in frame.columns if c.endswith("DY")]:
            if pd.api.types.is_numeric_dtype(frame[column]):
                rows = frame[frame[column] == 0]
                parts.append(
                    findings(
                        rows,
                        name,
                        variable=column,
                        message=f"{name}.{column} is 0; there is no day 0",
                    )
                )
    return concat_findings(parts)


@rule(
    "ADR043",
    severity="error",
    scope="ADaM",
    p21="AD0792",
    cdisc="792",
    message="*SDT is greater than *EDT",
)
def start_after_end(package: Package) -> pd.DataFrame:
    """On one record, a *SDT later than the *EDT of the same root (TRTSDT/TRTEDT, ...), and
    ASTDT after AENDT."""
    parts = []
    for name, frame in package.datasets.items():
        pairs = [(c, c[:-3] + "EDT") for c in frame.columns if c.endswith("SDT")]
        pairs.append(("ASTDT", "AENDT"))
        for start, end in pairs:
            if start in frame and end in frame and pd.api.types.is_numeric_dtype(frame[start]):
                rows = frame[frame[start] > frame[end]]
                parts.append(
                    findings(
                        rows,
                        name,
                        variable=start,
                        message=f"{name}: {start} "
                        + value_text(rows[start])
                        + f" is after {end} "
                        + value_text(rows[end]),
                    )
                )
    return concat_findings(parts)


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


def _with(frame: pd.DataFrame, *columns: str) -> bool:
    return all(c in frame for c in columns)


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
        key = frame[keys].astype(object).fillna("").astype(str).agg("\x1f".join, axis=1)
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


# --- traceability and imputation ----------------------------------------------------------


def _sources(package: Package) -> tuple[Package, list[tuple[str, pd.DataFrame]]]:
    sdtm = _sdtm(package)
    with_src = [(n, f) for n, f in package.datasets.items() if "SRCDOM" in f]
    return sdtm, with_src


def _source_frame(package: Package, sdtm: Package, domain: str) -> pd.DataFrame | None:
    return sdtm.datasets.get(domain, package.datasets.get(domain))


@rule("ADR060", severity="error", scope="ADaM", message="SRCDOM names no dataset of the study")
def srcdom_unknown(package: Package) -> pd.DataFrame:
    """SRCDOM is neither an SDTM domain beside the package nor an ADaM dataset of it."""
    sdtm, with_src = _sources(package)
    known = set(sdtm.datasets) | set(package.datasets)
    parts = []
    for name, frame in with_src:
        rows = frame[frame["SRCDOM"].notna() & ~frame["SRCDOM"].isin(known)]
        parts.append(
            findings(
                rows,
                name,
                variable="SRCDOM",
                message=f"{name}: SRCDOM "
                + value_text(rows["SRCDOM"])
                + " is not a dataset of the study",
            )
        )
    return concat_findings(parts)


@rule("ADR061", severity="error", scope="ADaM", message="SRCVAR is not a variable of SRCDOM")
def srcvar_unknown(package: Package) -> pd.DataFrame:
    """SRCVAR names a variable that the SRCDOM dataset does not have."""
    sdtm, with_src = _sources(package)
    parts = []
    for name, frame in with_src:
        if "SRCVAR" not in frame:
            continue
        for domain in frame["SRCDOM"].dropna().unique():
            source = _source_frame(package, sdtm, domain)
            if source is None:
                continue
            rows = frame[
                (frame["SRCDOM"] == domain)
                & frame["SRCVAR"].notna()
                & ~frame["SRCVAR"].isin(list(source.columns))
            ]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="SRCVAR",
                    message=f"{name}: SRCVAR "
                    + value_text(rows["SRCVAR"])
                    + f" is not a variable of {domain}",
                )
            )
    return concat_findings(parts)


@rule(
    "ADR062",
    severity="error",
    scope="ADaM",
    message="SRCSEQ points at no record of SRCDOM for the subject",
)
def srcseq_unknown(package: Package) -> pd.DataFrame:
    """SRCSEQ with no SDTM record of SRCDOM having that --SEQ for the same USUBJID."""
    sdtm, with_src = _sources(package)
    parts = []
    for name, frame in with_src:
        if not _with(frame, "SRCSEQ", "USUBJID"):
            continue
        for domain in frame["SRCDOM"].dropna().unique():
            source = sdtm.datasets.get(domain)
            seq = f"{domain}SEQ"
            mine = frame[(frame["SRCDOM"] == domain) & frame["SRCSEQ"].notna()]
            if source is None or mine.empty:
                continue
            if seq not in source:
                parts.append(
                    findings(
                        mine,
                        name,
                        variable="SRCSEQ",
                        message=f"{name}: SRCSEQ given but {domain} has no {seq}",
                    )
                )
                continue
            keys = pd.MultiIndex.from_arrays(
                [source["USUBJID"].astype(object), source[seq].astype(float)]
            )
            there = pd.MultiIndex.from_arrays(
                [mine["USUBJID"].astype(object), mine["SRCSEQ"].astype(float)]
            )
            rows = mine[~there.isin(keys)]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="SRCSEQ",
                    message=f"{name}: no {domain} record with {seq} "
                    + value_text(rows["SRCSEQ"])
                    + " for USUBJID "
                    + value_text(rows["USUBJID"]),
                )
            )
    return concat_findings(parts)


@rule(
    "ADR063",
    severity="error",
    scope="ADaM",
    p21="AD0369",
    cdisc="369",
    message="*DTF is populated, but *DT or *DTM is not populated",
)
def imputed_date_missing(package: Package) -> pd.DataFrame:
    """An imputation flag *DTF populated where its *DT (and *DTM) is empty."""
    parts = []
    for name, frame in package.datasets.items():
        for flag in _date_columns(frame, "DTF"):
            dates = [c for c in (flag[:-1], flag[:-1] + "M") if c in frame]
            if not dates:
                continue
            empty = pd.concat([frame[c].isna() for c in dates], axis=1).all(axis=1)
            rows = frame[frame[flag].notna() & empty]
            parts.append(
                findings(
                    rows,
                    name,
                    variable=flag,
                    message=f"{name}: {flag} is '"
                    + value_text(rows[flag])
                    + f"' but {flag[:-1]} is missing",
                )
            )
    return concat_findings(parts)


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
