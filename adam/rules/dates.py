"""ADaM date rules: imputation flag values (ADR039), *DT/*DTM types and SAS formats (ADR040,
ADR041), study day 0 (ADR042), start after end (ADR043) and imputation flags without their
date (ADR063).

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. P21 IDs and the CDISC
"Publisher ID" come from ``standards/rules/p21_adam_rules.csv`` and are cited only where the
catalogue text describes what the rule checks; severity follows the catalogue's wording
("must" -> error, "should" -> warning). Rules that need the SDTM read ``package.related``
(the SDTM package beside the analysis package) and are reported as not checked when it is
absent.
"""

from __future__ import annotations

import re

import pandas as pd

from adam.rules._common import (
    DATE_FORMATS,
    _date_columns,
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

# --- dates --------------------------------------------------------------------------------


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
