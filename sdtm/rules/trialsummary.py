"""SDTM Trial Summary rules: the TS dataset itself (SDM028), the parameters the FDA requires
or desires (SDM100-SDM144), the format of their values (SDM050-SDM059) and parameters that may
occur once only (SDM060-SDM067).

P21 IDs and their publisher IDs come from ``/work/shared/standards/rules/p21_sdtm_rules.csv``;
"must" -> error, "should" and "FDA Desired" -> warning.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisc.validation.engine import NotCheckable, rule, variable_findings
from cdisc.validation.package import Package
from sdtm.rules._ig import (
    _SDTM,
    _record_findings,
)
from sdtm.rules.iso import iso_datetime_ok, iso_duration_ok

# --- Trial Summary ----------------------------------------------------------------------------


@rule(
    "SDM028",
    severity="error",
    scope=_SDTM,
    p21="SD1115",
    cdisc="eCTD 1734",
    message="Missing TS dataset",
)
def ts_missing(package: Package) -> pd.DataFrame:
    """The package has no Trial Summary (TS) dataset, which every submission must include."""
    if "TS" in package.datasets:
        return pd.DataFrame()
    return variable_findings("TS", [""], "TS: the package has no Trial Summary dataset")


#: TS parameters the catalogue requires (P21 ID, publisher IDs, severity, and the parameter
#: and value that make it required, or None when always required). SD2201-SD2235 "must be
#: populated" -> error (REGID "may be populated" -> warning); SD2273-SD2287 are "FDA Desired"
#: parameters of the TCG -> warning.
_TS_PARAMETERS = (
    ("ADDON", "SD2201", "CG0287", "error", None),
    ("AGEMAX", "SD2202", "CG0287", "error", None),
    ("AGEMIN", "SD2203", "CG0287", "error", None),
    ("LENGTH", "SD2204", "CG0287", "error", None),
    ("PLANSUB", "SD2205", "CG0287", "error", None),
    ("RANDOM", "SD2206", "CG0287", "error", None),
    ("SEXPOP", "SD2207", "FDAB011, CG0287", "error", None),
    ("STOPRULE", "SD2208", "CG0287", "error", None),
    ("TBLIND", "SD2209", "CG0287", "error", None),
    ("TCNTRL", "SD2210", "CG0287", "error", None),
    ("TDIGRP", "SD2211", "CG0287", "error", ("HLTSUBJI", "N")),
    ("TINDTP", "SD2212", "CG0287", "error", ("STYPE", "INTERVENTIONAL")),
    ("TITLE", "SD2213", "CG0287", "error", None),
    ("TPHASE", "SD2214", "CG0287", "error", None),
    ("TTYPE", "SD2215", "CG0287", "error", None),
    ("CURTRT", "SD2216", "CG0287", "error", ("ADDON", "Y")),
    ("OBJPRIM", "SD2217", "CG0287", "error", None),
    ("SPONSOR", "SD2218", "CG0287", "error", None),
    ("TRT", "SD2219", "CG0287", "error", ("STYPE", "INTERVENTIONAL")),
    ("REGID", "SD2221", "CG0287", "warning", None),
    ("OUTMSPRI", "SD2222", "CG0287", "error", None),
    ("PCLAS", "SD2223", "CG0287", "error", ("STYPE", "INTERVENTIONAL")),
    ("FCNTRY", "SD2224", "CG0287", "error", None),
    ("ADAPT", "SD2225", "CG0287", "error", None),
    ("DCUTDTC", "SD2226", "CG0287", "error", None),
    ("DCUTDESC", "SD2227", "CG0287", "error", None),
    ("INTMODEL", "SD2228", "CG0287", "error", ("STYPE", "INTERVENTIONAL")),
    ("NARMS", "SD2229", "CG0287", "error", None),
    ("STYPE", "SD2230", "CG0287", "error", None),
    ("INTTYPE", "SD2231", "CG0287", "error", ("STYPE", "INTERVENTIONAL")),
    ("SSTDTC", "SD2232", "eCTD 1734, FDAB011, CG0287", "error", None),
    ("SENDTC", "SD2233", "CG0287", "error", None),
    ("ACTSUB", "SD2234", "CG0287", "error", None),
    ("HLTSUBJI", "SD2235", "CG0287", "error", None),
    ("EXTTIND", "SD2273", "FDAB011", "warning", None),
    ("NCOHORT", "SD2274", "FDAB011", "warning", None),
    ("OBJSEC", "SD2275", "FDAB011", "warning", None),
    ("PDPSTIND", "SD2276", "FDAB011", "warning", None),
    ("PDSTIND", "SD2277", "FDAB011", "warning", None),
    ("PIPIND", "SD2278", "FDAB011", "warning", None),
    ("RDIND", "SD2279", "FDAB011", "warning", None),
    ("SDTIGVER", "SD2280", "FDAB011", "warning", None),
    ("SDTMVER", "SD2281", "FDAB011", "warning", None),
    ("THERAREA", "SD2282", "FDAB011", "warning", None),
    ("ONGOSIND", "SD2287", "FDAB011", "warning", None),
)

#: First rule ID of the TS parameter rules: SDM100 + position in :data:`_TS_PARAMETERS`.
_TS_FIRST = 100


def _ts_parameter_rule(
    parameter: str, condition: tuple[str, str] | None
) -> Callable[[Package], pd.DataFrame]:
    def check(package: Package) -> pd.DataFrame:
        ts = package.datasets["TS"]
        codes = ts["TSPARMCD"]
        if condition is not None:
            when, value = condition
            if "TSVAL" not in ts:
                raise NotCheckable(f"TS has no TSVAL to tell whether {when} is {value}")
            values = ts.loc[codes == when, "TSVAL"]
            if not (values == value).any():
                return pd.DataFrame()
        if (codes == parameter).any():
            return pd.DataFrame()
        why = f" (required when {condition[0]} is {condition[1]})" if condition else ""
        return variable_findings(
            "TS",
            ["TSPARMCD"],
            f"TS: no record for Trial Summary parameter {parameter}{why}",
            value=parameter,
        )

    return check


for _position, (_parameter, _p21, _cdisc, _severity, _condition) in enumerate(_TS_PARAMETERS):
    _when = f" when {_condition[0]} = {_condition[1]}" if _condition else ""
    rule(
        f"SDM{_TS_FIRST + _position:03d}",
        severity=_severity,
        scope=_SDTM,
        p21=_p21,
        cdisc=_cdisc,
        needs=("TS.TSPARMCD",),
        message=f"Missing {_parameter} Trial Summary Parameter",
        description=f"TS has no {_parameter} record{_when}.",
    )(_ts_parameter_rule(_parameter, _condition))


def _numeric(u: pd.Series) -> pd.Series:
    return pd.to_numeric(u, errors="coerce").notna()


def _full_date(u: pd.Series) -> pd.Series:
    return iso_datetime_ok(u, intervals=False) & u.astype(str).str.match(r"\d{4}-\d{2}-\d{2}")


#: TSVAL formats the catalogue prescribes per parameter ("must" -> error).
_TS_VALUES = (
    (
        "SDM050",
        "SSTDTC",
        "SD2247",
        "eCTD 1734, FDAB011, CG0285",
        lambda u: iso_datetime_ok(u, intervals=False),
        "an ISO 8601 date",
    ),
    (
        "SDM051",
        "SSTDTC",
        "SD2247A",
        "eCTD 1734, FDAB011, CG0285",
        _full_date,
        "a complete ISO 8601 date (YYYY-MM-DD)",
    ),
    (
        "SDM052",
        "DCUTDTC",
        "SD2245",
        "CG0283",
        lambda u: iso_datetime_ok(u, intervals=False),
        "an ISO 8601 date",
    ),
    (
        "SDM053",
        "SENDTC",
        "SD2248",
        "CG0286",
        lambda u: iso_datetime_ok(u, intervals=False),
        "an ISO 8601 date",
    ),
    ("SDM054", "NARMS", "SD2246", "CG0284", _numeric, "numeric"),
    ("SDM055", "ACTSUB", "SD2249", "CG0457", _numeric, "numeric"),
    ("SDM056", "PLANSUB", "SD1221", "CG0440", _numeric, "numeric"),
    ("SDM057", "AGEMAX", "SD1215", "CG0270", iso_duration_ok, "an ISO 8601 duration"),
    ("SDM058", "AGEMIN", "SD1217", "CG0438", iso_duration_ok, "an ISO 8601 duration"),
    ("SDM059", "LENGTH", "SD1219", "CG0439", iso_duration_ok, "an ISO 8601 duration"),
)


def _ts_value_rule(
    parameter: str, valid: Callable[[pd.Series], pd.Series], what: str
) -> Callable[[Package], pd.DataFrame]:
    def check(package: Package) -> pd.DataFrame:
        ts = package.datasets["TS"]
        rows = ts[(ts["TSPARMCD"] == parameter) & ts["TSVAL"].notna()]
        bad = ~valid(rows["TSVAL"]).to_numpy(dtype=bool)
        mask = np.zeros(len(ts), dtype=bool)
        mask[ts.index.get_indexer(rows.index[bad])] = True
        return _record_findings(package, "TS", "TSVAL", mask, f"of {parameter} is not {what}")

    return check


for _id, _parameter, _p21, _cdisc, _valid, _what in _TS_VALUES:
    rule(
        _id,
        severity="error",
        scope=_SDTM,
        p21=_p21,
        cdisc=_cdisc,
        needs=("TS.TSPARMCD", "TS.TSVAL"),
        message=f"Invalid TSVAL value for {_parameter}",
        description=f"TSVAL of {_parameter} is not {_what}.",
    )(_ts_value_rule(_parameter, _valid, _what))


#: Parameters TS must hold once only ("must contain only one record" -> error).
_TS_SINGLE = (
    ("SDM060", "ADDON", "SD1214"),
    ("SDM061", "AGEMAX", "SD1216"),
    ("SDM062", "AGEMIN", "SD1218"),
    ("SDM063", "LENGTH", "SD1220"),
    ("SDM064", "PLANSUB", "SD1222"),
    ("SDM065", "RANDOM", "SD1224"),
    ("SDM066", "SEXPOP", "SD1225"),
    ("SDM067", "NARMS", "SD1227"),
)


def _ts_single_rule(parameter: str) -> Callable[[Package], pd.DataFrame]:
    def check(package: Package) -> pd.DataFrame:
        ts = package.datasets["TS"]
        mask = (ts["TSPARMCD"] == parameter).to_numpy()
        if mask.sum() <= 1:
            return pd.DataFrame()
        return _record_findings(
            package,
            "TS",
            "TSPARMCD",
            mask,
            f"is one of {int(mask.sum())} records (only one allowed)",
        )

    return check


for _id, _parameter, _p21 in _TS_SINGLE:
    rule(
        _id,
        severity="error",
        scope=_SDTM,
        p21=_p21,
        cdisc="FDAB011",
        needs=("TS.TSPARMCD",),
        message=f"Multiple {_parameter} records",
        description=f"TS has more than one {_parameter} record.",
    )(_ts_single_rule(_parameter))
