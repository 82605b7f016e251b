"""What the ADR rules share: ADaMIG constants, the datasets of each structure (ADSL, BDS,
time-to-event), the SDTM package beside, and comparisons with a tolerance."""

from __future__ import annotations

import re

import pandas as pd

from cdisc.validation.engine import NotCheckable
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


def _with(frame: pd.DataFrame, *columns: str) -> bool:
    return all(c in frame for c in columns)


def _date_columns(frame: pd.DataFrame, suffix: str) -> list[str]:
    # ARELTM (relative time) and *DY are not dates; only *DT / *DTM names qualify.
    return [c for c in frame.columns if c.endswith(suffix) and len(c) > len(suffix)]
