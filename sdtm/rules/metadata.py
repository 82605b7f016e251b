"""SDTM metadata, controlled-terminology and submission-limit rules (``SDM001``...).

What the package says about itself is checked against the shipped SDTMIG 3.4 metadata
(:class:`cdisc.standards.Standards`): variables in the model, labels, names, DOMAIN and
STUDYID, Trial Summary parameters; and against the limits of a submission (SAS XPORT v5
names, labels and lengths, ASCII text, lowercase file names, the Trial Summary parameters the
FDA asks for). P21 IDs and their publisher IDs come from
``/work/shared/standards/rules/p21_sdtm_rules.csv`` and are cited only where the catalogue's
text says what the rule checks; severity follows its wording ("must" -> error, "should" ->
warning). Rules without a P21 ID are ours. The single-column checks (types, Required and
Expected variables, Required values, controlled terminology, lengths, ISO 8601 dates and
durations, keys) are the generated pandera schemas' (:mod:`cdisc.validation.schemas`,
SCH001-SCH016); they are not repeated here.

Datasets the shipped metadata does not cover (custom domains, RELREC, CO...) are listed by
SDM004 (a notice) and skipped by the rules that need the IG; a rule that finds nothing it can
check raises :class:`NotCheckable`. Values are judged once per distinct value (SDTM columns
repeat a lot), then spread back to records, so a large LB costs little.

>>> from cdisc.validation.engine import concat_findings, REGISTRY, run_rules
>>> import sdtm.rules.metadata  # registers SDM001...
>>> REGISTRY["SDM003"].p21
'SD0058'
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
import pandas as pd

from cdisc.errors import SpecError
from cdisc.standards import Codelist, Standards, Variable
from cdisc.validation.engine import NotCheckable, concat_findings, findings, rule, variable_findings
from cdisc.validation.package import Package

_SDTM = "SDTM"
#: SAS XPORT v5 limits (FDA Study Data Technical Conformance Guide, section 3.3): names of at
#: most 8 characters, labels of at most 40, character values of at most 200 bytes.
_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
_LABEL_MAX = 40
_VALUE_MAX = 200

# --- ISO 8601 (SDTMIG 3.4 section 4.4: extended format, right truncation, "-" for a missing
# intermediate component; intervals "a/b" of dates or durations) -----------------------------
_DATETIME = (
    r"(?P<y>\d{4}|-)(?:-(?P<m>\d{2}|-)(?:-(?P<d>\d{2}|-))?)?"
    r"(?:T(?P<h>\d{2}|-)(?::(?P<n>\d{2}|-)(?::(?P<s>\d{2}|-)(?:\.\d+)?)?)?)?"
    r"(?:Z|[+-]\d{2}(?::\d{2})?)?"
)
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"P(?=[\dT])(?:{_NUM}W|(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)"
)
_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def iso_datetime_ok(values: pd.Series, *, intervals: bool = True) -> pd.Series:
    """True where text is an SDTM ISO 8601 date/time (partial allowed) with a real calendar
    date and clock time, or (``intervals``) an interval of two of them or of one and a
    duration. Missing values count as valid.

    >>> iso_datetime_ok(pd.Series(["2021-06-15T07:25", "2003---15", "2021-02-30", "15JUN2021"])).tolist()
    [True, True, False, False]
    """
    text = values.astype("string")
    ok = _one_datetime_ok(text)
    if intervals:
        parts = text.str.split("/", n=1, expand=True).reindex(columns=[0, 1])
        both = text.str.count("/").eq(1).fillna(False)
        left, right = parts[0], parts[1]
        left_dt, right_dt = _one_datetime_ok(left), _one_datetime_ok(right)
        left, right = left.astype("string"), right.astype("string")
        left_p = left.str.fullmatch(_DURATION).fillna(False)
        right_p = right.str.fullmatch(_DURATION).fillna(False)
        interval = (left_dt & (right_dt | right_p)) | (left_p & right_dt)
        ok = ok | (both & interval)
    return ok | text.isna()


def _one_datetime_ok(text: pd.Series) -> pd.Series:
    text = text.astype("string")
    parts = text.str.extract(f"^{_DATETIME}$")
    matched = text.str.fullmatch(_DATETIME).fillna(False) & text.str.contains(r"\d").fillna(False)
    number = {k: pd.to_numeric(parts[k], errors="coerce") for k in "ymdhns"}
    month, day = number["m"], number["d"]
    year = number["y"]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = pd.Series(_DAYS[month.fillna(0).clip(0, 12).astype(int)], index=text.index)
    month_days = month_days.where(~((month == 2) & ~leap.fillna(True)), 28)
    bad = (month < 1) | (month > 12) | (day < 1) | (day > month_days)
    bad |= (number["h"] > 23) | (number["n"] > 59) | (number["s"] > 59)
    return matched & ~bad.fillna(False)


def iso_duration_ok(
    values: pd.Series, *, negative: bool = False, intervals: bool = False
) -> pd.Series:
    """True where text is an ISO 8601 duration (``P1Y2M``, ``PT15M``, ``P2W``); ``negative``
    allows a leading ``-`` (elapsed times before the reference), ``intervals`` also accepts
    date/time intervals. Missing values count as valid.

    >>> iso_duration_ok(pd.Series(["P3D", "PT1.5H", "3 days", "P", "PT"])).tolist()
    [True, True, False, False, False]
    """
    text = values.astype("string")
    pattern = ("-?" if negative else "") + _DURATION
    ok = text.str.fullmatch(pattern).fillna(False)
    if intervals:
        ok = ok | (text.str.contains("/").fillna(False) & iso_datetime_ok(text))
    return ok | text.isna()


# --- the standards, per dataset -------------------------------------------------------------


@lru_cache(maxsize=1)
def _standards() -> Standards:
    return Standards.load()


@lru_cache(maxsize=256)
def _ig_key(name: str) -> str | None:
    """The shipped dataset whose metadata applies to ``name`` (SUPPxx -> SUPPxx), else None."""
    try:
        _standards().sdtm_variables(name)
    except SpecError:
        return None
    return name


def _ig_name(package: Package, name: str) -> str | None:
    """The IG dataset for package dataset ``name``: itself, or the domain a split dataset
    (``LBHM`` with DOMAIN ``LB``) belongs to; None when the shipped metadata lacks it."""
    if _ig_key(name):
        return name
    frame = package.datasets[name]
    if "DOMAIN" in frame and len(frame):
        domains = frame["DOMAIN"].dropna().unique()
        if len(domains) == 1 and name.startswith(str(domains[0])) and _ig_key(str(domains[0])):
            return str(domains[0])
    return None


@lru_cache(maxsize=256)
def _ig_variables(ig_name: str) -> dict[str, Variable]:
    return {v.name: v for v in _standards().sdtm_variables(ig_name)}


def _covered(package: Package) -> Iterator[tuple[str, pd.DataFrame, dict[str, Variable]]]:
    """(dataset, frame, IG variables) for every dataset the shipped IG covers; NotCheckable
    when it covers none."""
    found = False
    for name, frame in package.datasets.items():
        ig = _ig_name(package, name)
        if ig is not None:
            found = True
            yield name, frame, _ig_variables(ig)
    if not found:
        raise NotCheckable("no dataset of this package is covered by the shipped SDTMIG 3.4")


@lru_cache(maxsize=1)
def _model_roots() -> frozenset[str]:
    """Names of the SDTM model variables the shipped IG uses anywhere, without their domain
    prefix (``AETERM`` -> ``TERM``), and the unprefixed names (``VISIT``, ``EPOCH``)."""
    roots: set[str] = set()
    for domain in _standards().sdtm_domains:
        if domain == "SUPPQUAL":
            continue
        for variable in _standards().sdtm_variables(domain):
            roots.add(variable.name)
            if variable.name.startswith(domain[:2]):
                roots.add(variable.name[2:])
    return frozenset(roots)


def _ig_version(package: Package) -> str:
    """SDTMIG version the package declares in TS (SDTIGVER), else ""."""
    ts = package.datasets.get("TS")
    if ts is None or not {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        return ""
    values = ts.loc[ts["TSPARMCD"] == "SDTIGVER", "TSVAL"].dropna()
    return str(values.iloc[0]).strip() if len(values) else ""


def _char_columns(package: Package, name: str) -> list[str]:
    meta = package.meta[name]
    frame = package.datasets[name]
    return [
        c
        for c in frame.columns
        if meta.types.get(c, "Char") == "Char" and not pd.api.types.is_numeric_dtype(frame[c])
    ]


# --- per distinct value ----------------------------------------------------------------------

_CACHE: dict[int, tuple[weakref.ref, dict]] = {}


def _distinct(package: Package, name: str, column: str) -> tuple[np.ndarray, pd.Series]:
    """(codes per record, distinct values) of a column, computed once per package."""
    key = id(package)
    entry = _CACHE.get(key)
    if entry is None or entry[0]() is not package:
        entry = (weakref.ref(package, lambda _ref, k=key: _CACHE.pop(k, None)), {})
        _CACHE[key] = entry
    store = entry[1]
    if (name, column) not in store:
        codes, uniques = pd.factorize(package.datasets[name][column], use_na_sentinel=True)
        store[(name, column)] = (codes, pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    return store[(name, column)]


def _mask(
    package: Package, name: str, column: str, test: Callable[[pd.Series], pd.Series]
) -> np.ndarray:
    """Records of ``name.column`` whose (non-missing) value fails ``test``: ``test`` gets the
    distinct values and returns True for the bad ones."""
    codes, uniques = _distinct(package, name, column)
    if not len(uniques):
        return np.zeros(len(codes), dtype=bool)
    bad = np.asarray(test(uniques), dtype=bool)
    return np.where(codes >= 0, bad[np.maximum(codes, 0)], False)


def _record_findings(
    package: Package, name: str, column: str, mask: np.ndarray, text: str
) -> pd.DataFrame:
    """Findings for the records in ``mask``, with a message naming dataset, record and value."""
    frame = package.datasets[name]
    rows = frame.loc[mask]
    record = pd.Series(rows.index + 1, index=rows.index).astype(str)
    value = rows[column].astype(str)
    message = f"{name} record " + record + f": {column} '" + value + "' " + text
    return findings(rows, name, variable=column, message=message)


def _scan(
    package: Package,
    columns: Callable[[str, list[str]], list[str]],
    test: Callable[[pd.Series], pd.Series],
    text: str,
) -> pd.DataFrame:
    """Record findings over every dataset's Char columns that ``columns`` selects."""
    parts = []
    for name in package.datasets:
        for column in columns(name, _char_columns(package, name)):
            mask = _mask(package, name, column, test)
            if mask.any():
                parts.append(_record_findings(package, name, column, mask, text))
    return concat_findings(parts)


def _ending(*suffixes: str) -> Callable[[str, list[str]], list[str]]:
    return lambda _name, columns: [c for c in columns if c.endswith(suffixes)]


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


def _labelled(package: Package, name: str) -> bool:
    """Whether the dataset carries labels to judge: in-memory frames carry none."""
    meta = package.meta[name]
    return meta.file is not None or bool(meta.label) or any(meta.labels.values())


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


# --- values: bytes, ASCII, lengths ----------------------------------------------------------


def _bytes(values: pd.Series, encoding: str) -> pd.Series:
    return values.astype(str).str.encode(encoding, errors="replace").str.len()


@rule("SDM018", severity="error", scope=_SDTM, message="Character value longer than 200 bytes")
def value_too_long(package: Package) -> pd.DataFrame:
    """A character value longer than 200 bytes: SAS XPORT v5 cannot hold it (FDA TCG section
    3.3; SDTMIG 3.4 section 4.5.3.2 puts the rest in SUPP-- as --TERM1, ...)."""
    parts = []
    for name in package.datasets:
        encoding = package.meta[name].encoding
        for column in _char_columns(package, name):
            mask = _mask(package, name, column, lambda u, e=encoding: _bytes(u, e) > _VALUE_MAX)
            if mask.any():
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
        lambda u: u.astype(str).str.contains(_NOT_PRINTABLE_ASCII),
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
        lambda u: u.astype(str).str.contains(_NOT_PRINTABLE_ASCII),
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
            _codes, uniques = _distinct(package, name, column)
            actual = int(_bytes(uniques, meta.encoding).max()) if len(uniques) else 1
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


def _unexpected(text: pd.Series) -> pd.Series:
    return text.str.startswith(" ") | text.str.contains(r"[\r\n]") | (text == ".")


# --- ISO 8601 ------------------------------------------------------------------------------


_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT", "STINT", "ENINT")


# --- controlled terminology -----------------------------------------------------------------


def _codelists(info: Variable) -> list[Codelist]:
    out = []
    for code in info.codelist:
        try:
            out.append(_standards().codelist(code))
        except SpecError:
            continue  # a codelist the shipped CT lacks cannot be checked here
    return out


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
