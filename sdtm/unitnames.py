"""Unit text as sites type it -> CDISC UNIT (C71620) submission value.

Two sources, both data: the CDISC UNIT codelist of the loaded controlled terminology (its
submission values, and the synonyms CDISC lists, e.g. ``pg/mL`` for ``ng/L``, ``bpm`` for
``beats/min``, ``10^3/uL`` for ``10^9/L``) and the toolkit's table of site variants,
``sdtm/data/unit_synonyms.csv`` (``gm/dL``, ``x10^9/L``, ``10E9/L``, ``°C``, ``kgs``...).

Before look-up the text is tidied: blanks trimmed and collapsed, superscript digits written
as powers (``10⁹/L`` -> ``10^9/L``, ``m²`` -> ``m^2``), the micro sign and Greek mu as ``u``,
the multiplication sign as ``x``. Look-up order: a CDISC submission value as written; a
synonym of the table as written; a CDISC synonym as written; then the same ignoring case,
but only when that names a single unit (``G/L`` is 10^9/L and ``g/L`` is g/L, so ``G/l`` is
not guessed). Text matching nothing is unknown (missing), never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from cdisc.errors import SpecError
from cdisc.standards import Standards
from sdtm._args import TEXT

SYNONYMS_FILE = Path(__file__).parent / "data" / "unit_synonyms.csv"

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_FOLD = str.maketrans({"\u00b5": "u", "\u03bc": "u", "\u00d7": "x", "\u00a0": " "})


def unit_key(units: pd.Series) -> pd.Series:
    """Tidied unit text (see module notes); missing or blank stays missing.

    >>> unit_key(pd.Series([" \u00d710\u2079/L", "\u00b5mol/L", "kg/m\u00b2", " "])).tolist()
    ['x10^9/L', 'umol/L', 'kg/m^2', nan]
    """
    text = units.astype(TEXT).str.translate(_FOLD)
    text = text.str.replace(
        r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^" + m.group(0).translate(_SUPERSCRIPTS), regex=True
    )
    text = text.str.strip().str.replace(r"\s+", " ", regex=True)
    return text.mask(text == "")


@dataclass(frozen=True)
class UnitLookup:
    """Exact and case-insensitive maps from tidied unit text to a submission value."""

    exact: dict[str, str]
    caseless: dict[str, str]
    units: frozenset[str]

    def resolve(self, units: pd.Series) -> pd.Series:
        """CDISC submission value of each unit text (missing where unknown or missing)."""
        codes, uniq = pd.factorize(units.astype(TEXT))
        keys = unit_key(pd.Series(uniq, dtype=TEXT))
        found = keys.map(self.exact)
        found = found.where(found.notna(), keys.str.casefold().map(self.caseless))
        values = [*found.to_numpy(dtype=object, na_value=None), None]
        # Code -1 (missing text) picks the appended None.
        return pd.Series(
            pd.Series(values, dtype=object).to_numpy()[codes], index=units.index, dtype=TEXT
        )


def read_synonyms(path: Path | str = SYNONYMS_FILE) -> dict[str, str]:
    """The site-variant table: tidied synonym -> unit; SpecError lists every bad row."""
    path = Path(path)
    table: dict[str, str] = {}
    problems = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"synonym", "unit"} - set(reader.fieldnames or ())
        if missing:
            raise SpecError(
                f"unit synonym table lacks column(s) {sorted(missing)}",
                path=path,
                location="line 1",
                hint="columns: synonym, unit, source",
            )
        rows = list(reader)
    keys = unit_key(pd.Series([row["synonym"] for row in rows], dtype=TEXT))
    for line, (row, key) in enumerate(zip(rows, keys, strict=True), start=2):
        unit = (row["unit"] or "").strip()
        if pd.isna(key) or not unit:
            problems.append(f"line {line}: synonym and unit must both be given")
        elif table.get(key, unit) != unit:
            problems.append(f"line {line}: {key!r} maps to both {table[key]!r} and {unit!r}")
        else:
            table[key] = unit
    if problems:
        raise SpecError(
            "unit synonym table: " + "; ".join(problems),
            path=path,
            location=problems[0].split(":")[0],
            hint="one row per spelling; each spelling names one unit",
        )
    return table


def build_lookup(synonyms: dict[str, str], ct: Standards | None = None) -> UnitLookup:
    """Combine the site-variant table with the CDISC UNIT codelist of ``ct`` (shipped CT
    when None) into one :class:`UnitLookup`."""
    codelist = (ct or Standards.load()).codelist("UNIT")
    submission = {t.submission_value: t.submission_value for t in codelist.terms}
    cdisc_synonyms: dict[str, set[str]] = {}
    for term in codelist.terms:
        for synonym in term.synonyms:
            cdisc_synonyms.setdefault(synonym, set()).add(term.submission_value)
    exact = {k: next(iter(v)) for k, v in cdisc_synonyms.items() if len(v) == 1}
    exact.update(synonyms)
    exact.update(submission)
    targets: dict[str, set[str]] = {}
    for key, unit in exact.items():
        targets.setdefault(key.casefold(), set()).add(unit)
    for key, units in cdisc_synonyms.items():
        targets.setdefault(key.casefold(), set()).update(units)
    caseless = {k: next(iter(v)) for k, v in targets.items() if len(v) == 1}
    return UnitLookup(exact, caseless, frozenset(submission) | frozenset(synonyms.values()))


@cache
def default_lookup() -> UnitLookup:
    """The shipped synonym table with the shipped CT (built once per process)."""
    return build_lookup(read_synonyms())


def submission_units(units: pd.Series, lookup: UnitLookup | None = None) -> pd.Series:
    """--ORRESU as submitted: the CDISC UNIT submission value of each collected unit text
    where it names one (see :func:`resolve_units`), else the text as collected, trimmed (a
    unit CT lacks stays a sponsor extension, never guessed); blank or missing -> missing.

    --ORRESU takes codelist UNIT (C71620), so a site's ``pg/ml`` or ``c`` is submitted as the
    CDISC term of the same unit (``ng/L``, ``C``); the caller reports what it changed.

    >>> submission_units(pd.Series(["pg/ml", " c ", "cells/uL", "10^6 cells", ""])).tolist()
    ['ng/L', 'C', '10^6/L', '10^6 cells', nan]
    """
    text = units.astype(TEXT).str.strip()
    text = text.mask(text == "")
    return resolve_units(text, lookup).fillna(text).astype(TEXT)


def resolve_units(units: pd.Series, lookup: UnitLookup | None = None) -> pd.Series:
    """CDISC UNIT submission value for each unit text; missing where unknown or missing.

    Use it for --ORRESU (and EXDOSU, ...), and to spot unknown units:
    ``units.notna() & resolve_units(units).isna()``.

    >>> resolve_units(pd.Series(["gm/dL", "pg/ml", "°C", "bpm", "furlongs"])).tolist()
    ['g/dL', 'ng/L', 'C', 'beats/min', nan]
    """
    return (lookup or default_lookup()).resolve(units)
