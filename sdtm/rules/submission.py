"""SDTM submission-limit rules: values longer than 200 bytes (SDM018), --TERM values that
may have been cut at 200 (SDM019), non-ASCII text (SDM020, SDM021), file names not in lower
case (SDM022), declared lengths longer than the data (SDM023) and unexpected characters
(SDM029). The limits are those of SAS XPORT v5 and the FDA Study Data Technical Conformance
Guide (section 3.3).

Values are judged once per distinct value (:mod:`sdtm.rules._ig`), so a large LB costs little.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc.validation.engine import NotCheckable, concat_findings, rule, variable_findings
from cdisc.validation.package import Package
from sdtm.rules._ig import (
    _SDTM,
    _VALUE_MAX,
    _byte_counts,
    _char_columns,
    _distinct,
    _ending,
    _joined,
    _record_findings,
    _scan,
    _strings,
)

# --- values: bytes, ASCII, lengths ----------------------------------------------------------


@rule("SDM018", severity="error", scope=_SDTM, message="Character value longer than 200 bytes")
def value_too_long(package: Package) -> pd.DataFrame:
    """A character value longer than 200 bytes: SAS XPORT v5 cannot hold it (FDA TCG section
    3.3; SDTMIG 3.4 section 4.5.3.2 puts the rest in SUPP-- as --TERM1, ...)."""
    parts = []
    for name in package.datasets:
        for column in _char_columns(package, name):
            too_long = _byte_counts(package, name, column) > _VALUE_MAX
            if too_long.any():
                codes, _uniques = _distinct(package, name, column)
                mask = np.append(too_long, False)[codes]  # code -1 (missing) picks False
                parts.append(
                    _record_findings(package, name, column, mask, "is longer than 200 bytes")
                )
    return concat_findings(parts)


@rule(
    "SDM019",
    severity="warning",
    scope=_SDTM,
    p21="SD1096",
    cdisc="FDAB018",
    message="High risk of truncated value for --TERM variable",
)
def term_maybe_truncated(package: Package) -> pd.DataFrame:
    """A --TERM value exactly 200 characters long: probably cut at the XPT limit."""
    return _scan(
        package,
        _ending("TERM"),
        lambda u: u.astype(str).str.len() == _VALUE_MAX,
        "is exactly 200 characters: it may have been truncated",
    )


_NOT_PRINTABLE_ASCII = r"[^\x20-\x7E]"
_NAME_LIKE = ("TESTCD", "TEST", "PARMCD", "PARM", "QNAM", "QLABEL")


@rule(
    "SDM020",
    severity="error",
    scope=_SDTM,
    p21="SD1029",
    cdisc="TCG 3.3.5",
    message="Non-ASCII or non-printable characters in variable",
)
def name_like_not_ascii(package: Package) -> pd.DataFrame:
    """A non-ASCII or non-printable character in --TEST, --TESTCD, --PARM, --PARMCD, QLABEL or
    QNAM (values that become variable names or labels on transposition)."""
    return _scan(
        package,
        _ending(*_NAME_LIKE),
        lambda u: _not_printable_ascii(u.astype(str)),
        "has non-ASCII or non-printable characters",
    )


@rule(
    "SDM021",
    severity="warning",
    scope=_SDTM,
    message="Non-ASCII or non-printable characters in a value",
)
def value_not_ascii(package: Package) -> pd.DataFrame:
    """A non-ASCII or non-printable character in any other character value (FDA TCG section
    3.3.5 asks for ASCII text)."""
    return _scan(
        package,
        lambda _n, cols: [c for c in cols if not c.endswith(_NAME_LIKE)],
        lambda u: _not_printable_ascii(u.astype(str)),
        "has non-ASCII or non-printable characters",
    )


@rule("SDM022", severity="error", scope=_SDTM, message="Dataset file name not lowercase")
def file_name_not_lowercase(package: Package) -> pd.DataFrame:
    """A dataset file whose name is not lowercase (eCTD and FDA TCG section 3.3: ``dm.xpt``)."""
    files = {n: m.file for n, m in package.meta.items() if m.file is not None}
    if not files:
        raise NotCheckable("datasets were not read from files")
    bad = [n for n, f in files.items() if f.name != f.name.lower()]
    rows = pd.DataFrame(
        {
            "dataset": bad,
            "record": pd.NA,
            "usubjid": "",
            "variable": "",
            "value": [files[n].name for n in bad],
        }
    )
    rows["message"] = [f"{n}: file name '{files[n].name}' is not lowercase" for n in bad]
    return rows


@rule(
    "SDM023",
    severity="warning",
    scope=_SDTM,
    p21="SD1082",
    cdisc="FDAB018, FDAB019",
    message="Variable length is too long for actual data",
)
def length_longer_than_data(package: Package) -> pd.DataFrame:
    """A character variable whose declared length exceeds the longest value it holds (in
    bytes; a variable with no values may keep length 1)."""
    parts = []
    for name in package.datasets:
        meta = package.meta[name]
        rows = []
        for column in _char_columns(package, name):
            sizes = _byte_counts(package, name, column)
            actual = int(sizes.max()) if len(sizes) else 1
            declared = int(meta.lengths.get(column, actual))
            if declared > max(actual, 1):
                rows.append((column, declared, actual))
        if rows:
            parts.append(
                variable_findings(
                    name,
                    [r[0] for r in rows],
                    [
                        f"{name}.{c}: length {d} but the longest value has {a} bytes"
                        for c, d, a in rows
                    ],
                    value=[str(r[1]) for r in rows],
                )
            )
    return concat_findings(parts)


@rule(
    "SDM029",
    severity="warning",
    scope=_SDTM,
    p21="SD1021",
    cdisc="FDAB015",
    message="Unexpected character value in variable",
)
def unexpected_character_value(package: Package) -> pd.DataFrame:
    """A value with a leading space, a carriage return or line feed, or '.' as the whole value
    (COVALn and TSVALn excepted)."""
    return _scan(
        package,
        lambda _n, cols: [c for c in cols if not re.fullmatch(r"(COVAL|TSVAL)\d*", c)],
        lambda u: _unexpected(u.astype(str)),
        "has a leading space, a line break or is '.'",
    )


def _unexpected(text: pd.Series) -> pd.Series | np.ndarray:
    joined = _joined(text)
    if not any(mark in joined for mark in ("\x00 ", "\r", "\n", "\x00.\x00")):
        return np.zeros(len(text), dtype=bool)  # no value can be one: skip the tests per value
    return text.str.startswith(" ") | text.str.contains(r"[\r\n]") | (text == ".")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _not_printable_ascii(text: pd.Series) -> pd.Series | np.ndarray:
    joined = "".join(_strings(text))
    if joined.isascii() and not _CONTROL.search(joined):
        return np.zeros(len(text), dtype=bool)  # all printable ASCII: skip the tests per value
    return text.str.contains(_NOT_PRINTABLE_ASCII)
