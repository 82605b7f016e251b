"""What the SDM rules share: the shipped SDTMIG per dataset, and judging a column once per
distinct value.

SDTM columns repeat a lot (a handful of test codes, dates, units over millions of records), so
a value test runs on each column's distinct values, computed once per package, and the
verdict is spread back to records by code (:func:`_mask`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
import pandas as pd

from cdisc.errors import SpecError
from cdisc.standards import Standards, Variable
from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable, concat_findings, findings
from cdisc.validation.package import Package

_SDTM = "SDTM"
#: SAS XPORT v5 limits (FDA Study Data Technical Conformance Guide, section 3.3): names of at
#: most 8 characters, labels of at most 40, character values of at most 200 bytes.
_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
_LABEL_MAX = 40
_VALUE_MAX = 200

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
    dtypes = package.datasets[name].dtypes
    return [
        c
        for c in dtypes.index
        if meta.types.get(c, "Char") == "Char" and not pd.api.types.is_numeric_dtype(dtypes[c])
    ]


# --- per distinct value ----------------------------------------------------------------------


def _distinct(package: Package, name: str, column: str) -> tuple[np.ndarray, pd.Series]:
    """(codes per record, distinct values) of a column; kept for the validation run
    (:func:`cdisc.validation.columns.distinct`), so every rule and check shares them."""
    return columns.distinct(package.datasets[name][column])


def _mask(
    package: Package, name: str, column: str, test: Callable[[pd.Series], pd.Series]
) -> np.ndarray:
    """Records of ``name.column`` whose (non-missing) value fails ``test``: ``test`` gets the
    distinct values and returns True for the bad ones."""
    codes, uniques = _distinct(package, name, column)
    if not len(uniques):
        return np.zeros(len(codes), dtype=bool)
    bad = np.asarray(test(uniques), dtype=bool)
    if not bad.any():  # the usual case: no record to find, nothing to spread
        return np.zeros(len(codes), dtype=bool)
    return np.append(bad, False)[codes]  # code -1 (missing) picks False


def _byte_counts(package: Package, name: str, column: str) -> np.ndarray:
    """Length in bytes (in the dataset's encoding) of each distinct value of a column, in the
    order of :func:`_distinct`; kept for the run (SDM018 and SDM023 both need it)."""
    encoding = package.meta[name].encoding
    return columns.per_distinct(
        package.datasets[name][column],
        f"bytes:{encoding}",
        lambda u: columns.byte_lengths(u, encoding),
    )


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


def _labelled(package: Package, name: str) -> bool:
    """Whether the dataset carries labels to judge: in-memory frames carry none."""
    meta = package.meta[name]
    return meta.file is not None or bool(meta.label) or any(meta.labels.values())


def _joined(text: pd.Series) -> str:
    """The distinct values as one text, each between NULs: a quick scan of it can rule a
    defect out for a whole column (a hit is then checked value by value)."""
    return "\x00" + "\x00".join(_strings(text)) + "\x00"


def _strings(text: pd.Series) -> Iterator[str]:
    """The values as Python strings, without the per-element cost of iterating a Series."""
    return map(str, text.to_numpy(dtype=object))
