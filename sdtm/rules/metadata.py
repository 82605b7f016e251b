"""SDTM metadata rules: what a dataset says about itself against the shipped SDTMIG 3.4 and
the SAS XPORT v5 limits: DOMAIN and RDOMAIN (SDM006-SDM008), STUDYID (SDM009, SDM010),
variable and dataset labels (SDM011, SDM012, SDM016, SDM017), dataset and variable names
(SDM014, SDM015).

P21 IDs and their publisher IDs come from ``/work/shared/standards/rules/p21_sdtm_rules.csv``
and are cited only where the catalogue's text says what the rule checks; severity follows its
wording ("must" -> error, "should" -> warning). Rules without a P21 ID are ours. Values are
judged once per distinct value (:mod:`sdtm.rules._ig`).

>>> from cdisc.validation.engine import REGISTRY
>>> import sdtm.rules.metadata  # registers every SDTM rule (the package imports them all)
>>> REGISTRY["SDM006"].p21
'SD0004'
"""

from __future__ import annotations

import pandas as pd

from cdisc.validation.engine import NotCheckable, concat_findings, rule, variable_findings
from cdisc.validation.package import Package
from sdtm.rules._ig import (
    _LABEL_MAX,
    _NAME,
    _SDTM,
    _covered,
    _ig_key,
    _labelled,
    _mask,
    _record_findings,
    _scan,
    _standards,
)

# --- DOMAIN and STUDYID ---------------------------------------------------------------------


@rule(
    "SDM006",
    severity="warning",
    scope=_SDTM,
    p21="SD0004",
    cdisc="CG0413",
    message="Inconsistent value for DOMAIN",
)
def domain_not_dataset_name(package: Package) -> pd.DataFrame:
    """DOMAIN is not the dataset name (a split dataset such as LBHM may hold DOMAIN LB)."""
    parts = []
    for name, frame in package.datasets.items():
        if "DOMAIN" in frame and not name.startswith("SUPP"):
            mask = _mask(package, name, "DOMAIN", lambda u, n=name: ~_is_prefix(u, n))
            if mask.any():
                parts.append(
                    _record_findings(
                        package, name, "DOMAIN", mask, f"is not the dataset name {name}"
                    )
                )
    if not parts and not any("DOMAIN" in f for f in package.datasets.values()):
        raise NotCheckable("no dataset has a DOMAIN variable")
    return concat_findings(parts)


def _is_prefix(values: pd.Series, name: str) -> pd.Series:
    """True where ``value`` is ``name`` or, for a split dataset, the domain it starts with."""
    text = values.astype(str)
    return (text == name) | ((text.str.len() == 2) & (text == name[:2]) & (len(name) > 2))


@rule("SDM007", severity="error", scope=_SDTM, message="RDOMAIN of SUPP-- is not its parent domain")
def supp_rdomain(package: Package) -> pd.DataFrame:
    """RDOMAIN of a SUPPxx dataset is not xx (SDTMIG 3.4 section 8.4: one SUPP-- per parent)."""
    supp = [n for n, f in package.datasets.items() if n.startswith("SUPP") and "RDOMAIN" in f]
    if not supp:
        raise NotCheckable("no SUPP-- dataset with RDOMAIN")
    parts = []
    for name in supp:
        mask = _mask(package, name, "RDOMAIN", lambda u, parent=name[4:]: u.astype(str) != parent)
        if mask.any():
            parts.append(_record_findings(package, name, "RDOMAIN", mask, f"is not {name[4:]}"))
    return concat_findings(parts)


@rule(
    "SDM008",
    severity="warning",
    scope=_SDTM,
    p21="SD1300",
    cdisc="CG0308",
    message="Invalid value (not 2 chars) for DOMAIN variable",
)
def domain_not_two_chars(package: Package) -> pd.DataFrame:
    """DOMAIN is not 2 characters (Associated Persons domains, APxx, excepted)."""
    return _scan(
        package,
        lambda _n, cols: [c for c in cols if c == "DOMAIN"],
        lambda u: (u.astype(str).str.len() != 2) & ~u.astype(str).str.fullmatch(r"AP[A-Z0-9]{2}"),
        "is not 2 characters",
    )


@rule(
    "SDM009",
    severity="warning",
    scope=_SDTM,
    p21="SD1349",
    needs=("DM.STUDYID",),
    message="Inconsistent STUDYID",
)
def dm_studyid_inconsistent(package: Package) -> pd.DataFrame:
    """DM holds more than one STUDYID value: every record not of the most frequent one."""
    dm = package.datasets["DM"]
    counts = dm["STUDYID"].value_counts()
    if len(counts) <= 1:
        return pd.DataFrame()
    main = counts.index[0]
    mask = (dm["STUDYID"] != main).to_numpy() & dm["STUDYID"].notna().to_numpy()
    return _record_findings(
        package, "DM", "STUDYID", mask, f"differs from the study's STUDYID '{main}'"
    )


@rule(
    "SDM010",
    severity="error",
    scope=_SDTM,
    p21="SD1005",
    cdisc="CG0409",
    needs=("DM.STUDYID",),
    message="Invalid STUDYID",
)
def studyid_not_in_dm(package: Package) -> pd.DataFrame:
    """A STUDYID value that DM does not hold."""
    known = set(package.datasets["DM"]["STUDYID"].dropna())
    return _scan(
        package,
        lambda n, cols: [c for c in cols if c == "STUDYID" and n != "DM"],
        lambda u: ~u.isin(known),
        "is not a STUDYID of DM",
    )


# --- labels, types, names -------------------------------------------------------------------


@rule("SDM011", severity="warning", scope=_SDTM, message="Variable label differs from the SDTMIG")
def variable_label_differs(package: Package) -> pd.DataFrame:
    """A variable label differs from its SDTMIG 3.4 label (older IGs worded some differently)."""
    parts = []
    for name, frame, ig in _covered(package):
        if not _labelled(package, name):
            continue
        labels = package.meta[name].labels
        bad = [c for c in frame.columns if c in ig and labels.get(c, "") != ig[c].label]
        if bad:
            parts.append(
                variable_findings(
                    name,
                    bad,
                    [
                        f"{name}.{c}: label '{labels.get(c, '')}' is not the SDTMIG '{ig[c].label}'"
                        for c in bad
                    ],
                    value=[labels.get(c, "") for c in bad],
                )
            )
    return concat_findings(parts)


@rule("SDM012", severity="warning", scope=_SDTM, message="Dataset label differs from the SDTMIG")
def dataset_label_differs(package: Package) -> pd.DataFrame:
    """A dataset label differs from its SDTMIG 3.4 label (split datasets are left alone)."""
    parts = []
    for name, _frame, _ig in _covered(package):
        if not _labelled(package, name) or _ig_key(name) is None:
            continue
        expected = _standards().sdtm_dataset(name).label
        label = package.meta[name].label
        if label != expected:
            parts.append(
                variable_findings(
                    name,
                    [""],
                    f"{name}: dataset label '{label}' is not the SDTMIG '{expected}'",
                    value=label,
                )
            )
    return concat_findings(parts)


@rule(
    "SDM014",
    severity="warning",
    scope=_SDTM,
    p21="SD1457",
    cdisc="CG0018, CG0205",
    message="Invalid value for Dataset Name",
)
def dataset_name_invalid(package: Package) -> pd.DataFrame:
    """A dataset name longer than 8 characters or not upper-case letters, digits and
    underscores starting with a letter (SAS XPORT v5)."""
    bad = [n for n in package.datasets if not _NAME.fullmatch(n)]
    rows = pd.DataFrame(
        {"dataset": bad, "record": pd.NA, "usubjid": "", "variable": "", "value": bad}
    )
    rows["message"] = [
        f"dataset name '{n}' is not 1-8 upper-case letters, digits or _" for n in bad
    ]
    return rows


@rule(
    "SDM015",
    severity="warning",
    scope=_SDTM,
    p21="SD1474",
    cdisc="CG0310",
    message="Invalid value for Variable Name",
)
def variable_name_invalid(package: Package) -> pd.DataFrame:
    """A variable name longer than 8 characters or not upper-case letters, digits and
    underscores starting with a letter (SAS XPORT v5)."""
    parts = []
    for name, frame in package.datasets.items():
        bad = [c for c in frame.columns if not _NAME.fullmatch(str(c))]
        if bad:
            parts.append(
                variable_findings(
                    name,
                    bad,
                    [
                        f"{name}: variable name '{c}' is not 1-8 upper-case letters, digits or _"
                        for c in bad
                    ],
                    value=bad,
                )
            )
    return concat_findings(parts)


@rule(
    "SDM016",
    severity="warning",
    scope=_SDTM,
    p21="SD1475",
    cdisc="CG0311",
    message="Variable label length is greater than 40 characters",
)
def variable_label_too_long(package: Package) -> pd.DataFrame:
    """A variable label longer than 40 characters (SAS XPORT v5)."""
    parts = []
    for name in package.datasets:
        labels = package.meta[name].labels
        bad = [c for c, label in labels.items() if len(label or "") > _LABEL_MAX]
        if bad:
            parts.append(
                variable_findings(
                    name,
                    bad,
                    [f"{name}.{c}: label has {len(labels[c])} characters (max 40)" for c in bad],
                    value=[labels[c] for c in bad],
                )
            )
    return concat_findings(parts)


@rule("SDM017", severity="warning", scope=_SDTM, message="Dataset label longer than 40 characters")
def dataset_label_too_long(package: Package) -> pd.DataFrame:
    """A dataset label longer than 40 characters (SAS XPORT v5; FDA TCG section 3.3)."""
    bad = [n for n in package.datasets if len(package.meta[n].label or "") > _LABEL_MAX]
    rows = pd.DataFrame(
        {
            "dataset": bad,
            "record": pd.NA,
            "usubjid": "",
            "variable": "",
            "value": [package.meta[n].label for n in bad],
        }
    )
    rows["message"] = [
        f"{n}: dataset label has {len(package.meta[n].label)} characters (max 40)" for n in bad
    ]
    return rows
