"""SDTM code-value rules (SDM030-SDM041): --TESTCD, --PARMCD and QNAM values that would not
make SAS names, --TEST, --PARM and QLABEL values too long for SAS labels, --TESTCD 'OTHER' or
'MULTIPLE', and ARMCD, ACTARMCD, ETCD and SETCD longer than the IG allows.

All are warnings (the catalogue says "should"); each is one table row, run over every
dataset's character columns once per distinct value (:func:`sdtm.rules._ig._scan`).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cdisc.validation.engine import rule
from cdisc.validation.package import Package
from sdtm.rules._ig import (
    _NAME,
    _SDTM,
    _ending,
    _scan,
)

# --- test codes, QNAM, short codes ------------------------------------------------------------


def _too_long(limit: int) -> Callable[[pd.Series], pd.Series]:
    return lambda u: u.astype(str).str.len() > limit


def _bad_code(u: pd.Series) -> pd.Series:
    return ~u.astype(str).str.fullmatch(_NAME.pattern)


_VALUE_RULES = (
    # id, p21, cdisc, columns, test, what it says, message
    (
        "SDM030",
        "SD0018",
        "CG0372",
        _ending("TESTCD"),
        _bad_code,
        "is not 1-8 upper-case letters, digits or _ starting with a letter",
        "Invalid value for --TESTCD variable",
    ),
    (
        "SDM031",
        "SD0017",
        "CG0406",
        # IETEST is excepted: TI/IE hold the criterion text (up to 200 characters, SDTMIG 3.4 TI).
        lambda _n, c: [x for x in c if x.endswith("TEST") and x != "IETEST"],
        _too_long(40),
        "is longer than 40 characters",
        "Invalid value for --TEST variable",
    ),
    (
        "SDM032",
        "SD0020",
        "CG0257",
        _ending("PARMCD"),
        _bad_code,
        "is not 1-8 upper-case letters, digits or _ starting with a letter",
        "Invalid value for --PARMCD variable",
    ),
    (
        "SDM033",
        "SD0019",
        "CG0258",
        _ending("PARM"),
        _too_long(40),
        "is longer than 40 characters",
        "Invalid value for --PARM variable",
    ),
    (
        "SDM034",
        "SD1022",
        "CG0417",
        lambda _n, c: [x for x in c if x == "QNAM"],
        _bad_code,
        "is not 1-8 upper-case letters, digits or _ starting with a letter",
        "Invalid value for QNAM variable",
    ),
    (
        "SDM035",
        "SD1049",
        "CG0416",
        lambda _n, c: [x for x in c if x == "QLABEL"],
        _too_long(40),
        "is longer than 40 characters",
        "Invalid value for QLABEL",
    ),
    (
        "SDM036",
        "SD1272",
        "CG0341",
        _ending("TESTCD"),
        lambda u: u.astype(str) == "OTHER",
        "is 'OTHER'",
        "--TESTCD equals 'OTHER'",
    ),
    (
        "SDM037",
        "SD1275",
        "CG0344",
        _ending("TESTCD"),
        lambda u: u.astype(str) == "MULTIPLE",
        "is 'MULTIPLE'",
        "--TESTCD equals 'MULTIPLE'",
    ),
    (
        "SDM038",
        "SD1004",
        "CG0153, CG0296, CG0297, CG0415",
        lambda _n, c: [x for x in c if x == "ARMCD"],
        _too_long(20),
        "is longer than 20 characters",
        "Invalid value for ARMCD exceeding 20 characters",
    ),
    (
        "SDM039",
        "SD2001",
        "CG0123",
        lambda _n, c: [x for x in c if x == "ACTARMCD"],
        _too_long(20),
        "is longer than 20 characters",
        "Invalid value for ACTARMCD exceeding 20 characters",
    ),
    (
        "SDM040",
        "SD1009",
        "CG0246",
        lambda _n, c: [x for x in c if x == "ETCD"],
        _too_long(8),
        "is longer than 8 characters",
        "Invalid value for ETCD",
    ),
    (
        "SDM041",
        "SD1259",
        "CG0149",
        lambda _n, c: [x for x in c if x == "SETCD"],
        _too_long(8),
        "is longer than 8 characters",
        "Invalid value for SETCD exceeding 8 characters",
    ),
)


def _value_rule(columns, test, text) -> Callable[[Package], pd.DataFrame]:
    def check(package: Package) -> pd.DataFrame:
        return _scan(package, columns, test, text)

    return check


for _id, _p21, _cdisc, _columns, _test, _text, _message in _VALUE_RULES:
    rule(
        _id,
        severity="warning",
        scope=_SDTM,
        p21=_p21,
        cdisc=_cdisc,
        message=_message,
        description=f"A value that {_text} ({_p21}).",
    )(_value_rule(_columns, _test, _text))
