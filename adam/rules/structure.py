"""ADaM presence and structure rules: ADSL and its label and population flags (ADR001,
ADR004, ADR005), variable names (ADR003), AVAL/AVALC in BDS (ADR006), and the values of
*FL, ABLFL and ANLzzFL flags (ADR035-ADR037).

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
    _NAME,
    _bds,
    _pairs,
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
