"""SDTM presence and model rules: variables the SDTM model does not know (SDM003, SDM043),
model variables added to a domain (SDM044), datasets the shipped IG does not cover (SDM004)
and datasets without records (SDM042).

P21 IDs and their publisher IDs come from ``/work/shared/standards/rules/p21_sdtm_rules.csv``
and are cited only where the catalogue's text says what the rule checks; severity follows its
wording ("must" -> error, "should" -> warning). Required and Expected variables are the
generated pandera schemas' (:mod:`cdisc.validation.schemas`, SCH003/SCH004).

>>> from cdisc.validation.engine import REGISTRY
>>> import sdtm.rules  # registers every SDTM rule
>>> REGISTRY["SDM003"].p21
'SD0058'
"""

from __future__ import annotations

import pandas as pd

from cdisc.validation.engine import NotCheckable, concat_findings, rule, variable_findings
from cdisc.validation.package import Package
from sdtm.rules._ig import (
    _SDTM,
    _covered,
    _ig_name,
    _ig_version,
    _model_roots,
)

# --- presence and model ----------------------------------------------------------------------


def _not_in_ig(package: Package) -> list[tuple[str, list[str], list[str]]]:
    """(dataset, variables unknown to any shipped domain, model variables not listed for this
    domain) for every covered dataset."""
    out = []
    roots = _model_roots()
    for name, frame, ig in _covered(package):
        prefix = name[:2]
        extra = [c for c in frame.columns if c not in ig]
        unknown = [
            c for c in extra if c not in roots and not (c.startswith(prefix) and c[2:] in roots)
        ]
        out.append((name, unknown, [c for c in extra if c not in unknown]))
    return out


@rule(
    "SDM003",
    severity="error",
    scope=_SDTM,
    p21="SD0058",
    cdisc="CG0013, CG0533, CG0542, CG0564, CG0565, CG0566, CG0567",
    message="Variable appears in dataset, but is not in SDTM model",
)
def variable_not_in_model(package: Package) -> pd.DataFrame:
    """A variable that is neither in the SDTMIG 3.4 domain nor an SDTM model variable the IG
    uses elsewhere, in a package that declares SDTMIG 3.4 (TS SDTIGVER); other packages get
    SDM043 instead, since an older IG may define it."""
    if _ig_version(package) != "3.4":
        raise NotCheckable("the package does not declare SDTMIG 3.4 in TS (SDTIGVER); see SDM043")
    parts = [
        variable_findings(
            name, unknown, [f"{name}: variable {v} is not in the SDTM model" for v in unknown]
        )
        for name, unknown, _ in _not_in_ig(package)
        if unknown
    ]
    return concat_findings(parts)


@rule(
    "SDM043",
    severity="warning",
    scope=_SDTM,
    message="Variable unknown to SDTMIG 3.4 in a package that does not declare SDTMIG 3.4",
)
def variable_unknown_to_34(package: Package) -> pd.DataFrame:
    """A variable unknown to the shipped SDTMIG 3.4 in a package that does not declare 3.4
    (an older IG, 3.1.2-3.3, may define it): a warning, not SD0058's error."""
    if _ig_version(package) == "3.4":
        raise NotCheckable("the package declares SDTMIG 3.4; SDM003 checks it")
    version = _ig_version(package) or "no SDTIGVER in TS"
    parts = [
        variable_findings(
            name,
            unknown,
            [f"{name}: variable {v} is not in SDTMIG 3.4 (package: {version})" for v in unknown],
        )
        for name, unknown, _ in _not_in_ig(package)
        if unknown
    ]
    return concat_findings(parts)


@rule(
    "SDM044",
    severity="warning",
    scope=_SDTM,
    p21="SD1076",
    message="Model Permissible variable added into standard domain",
)
def model_variable_added(package: Package) -> pd.DataFrame:
    """An SDTM model variable (one the IG uses in another domain) added to a domain whose IG
    specification does not list it. The shipped metadata carries the IG, not the model's
    class rules, so this is reported for review rather than judged."""
    parts = [
        variable_findings(
            name,
            added,
            [
                f"{name}: model variable {v} is not in the SDTMIG {name} specification"
                for v in added
            ],
        )
        for name, _, added in _not_in_ig(package)
        if added and not name.startswith("SUPP")
    ]
    return concat_findings(parts)


@rule(
    "SDM004",
    severity="notice",
    scope=_SDTM,
    message="Dataset not covered by the shipped SDTMIG 3.4 metadata: its variables were not checked",
)
def dataset_not_covered(package: Package) -> pd.DataFrame:
    """A dataset whose domain the shipped SDTMIG metadata lacks (a custom domain, RELREC,
    CO...): the IG-based rules skip it, and this says so instead of passing it."""
    names = [n for n in package.datasets if _ig_name(package, n) is None]
    rows = pd.DataFrame(
        {"dataset": names, "record": pd.NA, "usubjid": "", "variable": "", "value": names}
    )
    rows["message"] = [
        f"{n}: no SDTMIG metadata shipped for this dataset; variables not checked" for n in names
    ]
    return rows


@rule(
    "SDM042",
    severity="warning",
    scope=_SDTM,
    p21="SD0001",
    cdisc="CG0408",
    message="No records in data source",
)
def no_records(package: Package) -> pd.DataFrame:
    """A dataset with no records."""
    empty = [n for n, f in package.datasets.items() if f.empty]
    rows = pd.DataFrame(
        {"dataset": empty, "record": pd.NA, "usubjid": "", "variable": "", "value": ""}
    )
    rows["message"] = [f"{n}: dataset has no records" for n in empty]
    return rows
