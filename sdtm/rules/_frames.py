"""What the SDC rules share: the datasets with a given --variable, text tests spread back from
distinct values, ISO 8601 date comparison, study days and DM lookups by subject.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable
from cdisc.validation.package import Package

#: ISO 8601 date/time text that compares correctly as a string on a common length.
_ISO = r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?)?"
#: Arm codes of subjects who were never randomised or treated (SDTMIG 3.4 section 5.2).
_NOT_ASSIGNED = ("SCRNFAIL", "NOTASSGN")
_NOT_TREATED = ("SCRNFAIL", "NOTASSGN", "NOTTRT")
#: Domains where --SEQ need not be unique per subject (P21 SD0005 exclusions: device domains).
_SEQ_EXEMPT = ("DE", "DO", "DT", "DU", "DX")
#: Findings domains where P21 SD0006 expects a baseline record per subject.
_BASELINE_DOMAINS = ("EG", "LB", "MB", "MS", "PC", "VS")
#: What identifies "the same test" for baseline flags: P21 SD1439/SD1445, plus the planned
#: time point (issue 6: "per subject, test and timepoint").
_TEST_KEYS = ("TESTCD", "TSTDTL", "CAT", "SCAT", "METHOD", "SPEC", "LOC", "LAT", "DIR", "POS")
_TEST_KEYS += ("OBJ", "TPT", "TPTREF")


# --- helpers ----------------------------------------------------------------------------------


def _prefix(name: str, frame: pd.DataFrame) -> str:
    """Variable prefix of a dataset: its DOMAIN value (split datasets) else the name's first
    two letters; empty for SUPP-- and RELREC, which have no prefixed variables."""
    if name.startswith("SUPP") or name in ("RELREC", "POOLDEF"):
        return ""
    if "DOMAIN" in frame:
        _codes, domains = columns.distinct(frame["DOMAIN"])  # in order of first appearance
        if len(domains):
            return str(domains.iloc[0])
    return name[:2]


def _with(package: Package, *suffixes: str) -> Iterator[tuple[str, pd.DataFrame, dict]]:
    """(name, frame, {suffix: column}) of each dataset that has every ``--suffix`` variable;
    a suffix starting with ``=`` is a whole variable name (``=VISITNUM``)."""
    for name, frame in package.datasets.items():
        prefix = _prefix(name, frame)
        if not prefix and any(not s.startswith("=") for s in suffixes):
            continue
        cols = {s: (s[1:] if s.startswith("=") else prefix + s) for s in suffixes}
        if all(c in frame.columns for c in cols.values()):
            yield name, frame, cols


def _each(package: Package, *suffixes: str) -> list[tuple[str, pd.DataFrame, dict]]:
    found = list(_with(package, *suffixes))
    if not found:
        names = ", ".join(s[1:] if s.startswith("=") else "--" + s for s in suffixes)
        raise NotCheckable(f"no dataset has {names}")
    return found


def _filled(values: pd.Series) -> pd.Series:
    """True where a value is present (not None/NaN and not blank text)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.notna()
    # text work on the distinct values only, then spread back by code (records repeat values)
    present = columns.flags(
        values, "filled", lambda u: pd.Series(u, dtype="string").str.strip().fillna("") != ""
    )
    return pd.Series(present, index=values.index)


def _upper(values: pd.Series) -> pd.Series:
    """Stripped upper-case text (None where missing), for comparing with CT terms."""
    return columns.per_value(values, "upper", _upper_text)


def _upper_is(values: pd.Series, term: str) -> np.ndarray:
    """True where the stripped upper-case text is ``term`` (False where missing)."""
    return columns.flags(values, f"upper={term}", lambda u: _upper_text(u) == term)


def _upper_text(uniques: pd.Series) -> np.ndarray:
    text = pd.Series(uniques, dtype="string").str.strip().str.upper()
    return text.to_numpy(dtype=object, na_value=None)


def _date(values: pd.Series) -> pd.Series:
    """Date part of ISO 8601 text with a complete date; NaT for partial, missing or not ISO
    (the validator must not stop on bad text: ISO format has its own rule)."""
    # parse each distinct text once: dates repeat across records (10x faster on LB/QS)
    return columns.per_value(values, "date", _dates, fill=np.datetime64("NaT"))


def _dates(uniq: pd.Series) -> np.ndarray:
    text = pd.Series(uniq, dtype="string").str.extract(r"^(\d{4}-\d{2}-\d{2})", expand=False)
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").to_numpy()


def _after(start: pd.Series, end: pd.Series) -> pd.Series:
    """True where ISO 8601 ``start`` is later than ``end`` at their common precision
    (``2021-06-15T10`` vs ``2021-06-15`` compares the dates only)."""
    # ISO 8601 or not is judged once per distinct text; the records where both are compare
    # as fixed-width numpy text, cut to their common precision, one pass per precision
    ok = np.flatnonzero(_iso_text(start) & _iso_text(end))
    out = np.zeros(len(start), dtype=bool)
    if len(ok):
        s = start.to_numpy(dtype=object)[ok].astype(str)
        e = end.to_numpy(dtype=object)[ok].astype(str)
        n = np.minimum(np.strings.str_len(s), np.strings.str_len(e))
        for k in np.unique(n):  # a handful of precisions, not a loop over records
            sel = n == k
            out[ok[sel]] = s[sel].astype(f"U{k}") > e[sel].astype(f"U{k}")
    return pd.Series(out, index=start.index)


def _iso_text(values: pd.Series) -> np.ndarray:
    """True where the value is ISO 8601 date/time text of the basic form :data:`_ISO`."""
    return columns.flags(
        values, "iso-basic", lambda u: u.astype(str).str.fullmatch(_ISO).to_numpy(dtype=bool)
    )


def _study_day(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Study day per SDTMIG 3.4 section 4.4.4: date - reference date (``ref``, already a
    date) + 1 on or after it; there is no day 0."""
    days = (_date(dtc) - ref).dt.days
    return days.where(days < 0, days + 1)


def _dm_map(package: Package, variable: str) -> pd.Series | None:
    """DM ``variable`` by USUBJID (first record of a subject), or None when absent."""
    dm = package.datasets.get("DM")
    if dm is None or variable not in dm or "USUBJID" not in dm:
        return None
    dm = dm[dm["USUBJID"].notna()].drop_duplicates("USUBJID")
    return dm.set_index("USUBJID")[variable]


def _keys(frame: pd.DataFrame, prefix: str, suffixes: tuple[str, ...]) -> list[str]:
    return [prefix + s for s in suffixes if prefix + s in frame.columns]
