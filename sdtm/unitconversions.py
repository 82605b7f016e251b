"""The unit conversion table: ``sdtm/data/unit_conversions.csv``, read and checked.

Columns: ``test`` (a --TESTCD, or ``*`` for any test), ``from_unit``, ``to_unit`` (CDISC UNIT
submission values), ``factor``, ``offset`` (``to = from x factor + offset``; either may be
written as a fraction such as ``5/9``) and ``source`` (where the factor comes from). Each row
also gives its inverse, so the table lists one direction; a table that lists both must list
consistent ones. A test's own row wins over a ``*`` row.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import SpecError, UsageError
from sdtm._args import TEXT
from sdtm.unitnames import UnitLookup, default_lookup

CONVERSIONS_FILE = Path(__file__).parent / "data" / "unit_conversions.csv"


CONVERSION_COLUMNS = ("test", "from_unit", "to_unit", "factor", "offset", "source")


_FRACTION = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?))?\s*$")


def read_conversions(
    path: Path | str = CONVERSIONS_FILE, lookup: UnitLookup | None = None
) -> pd.DataFrame:
    """The conversion table with the inverse of every row added (``derived`` = True).

    Every problem (missing column, bad number, unit that is not a CDISC UNIT value, duplicate
    or inconsistent rows) is reported in one SpecError with its line.
    """
    path = Path(path)
    lookup = lookup or default_lookup()
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in CONVERSION_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise SpecError(
                f"conversion table lacks column(s) {missing}",
                path=path,
                location="line 1",
                hint="columns: " + ", ".join(CONVERSION_COLUMNS),
            )
        rows = list(reader)
    problems: list[str] = []
    table: dict[tuple[str, str, str], tuple[float, float, str, bool]] = {}
    for line, row in enumerate(rows, start=2):
        test = (row["test"] or "").strip()
        source_unit = (row["from_unit"] or "").strip()
        target_unit = (row["to_unit"] or "").strip()
        factor = _fraction(row["factor"])
        offset = _fraction(row["offset"] or "0")
        found = []
        if not test:
            found.append("test is empty (use * for any test)")
        for label, unit in (("from_unit", source_unit), ("to_unit", target_unit)):
            found += _unit_problems(label, unit, lookup)
        if source_unit == target_unit and source_unit:
            found.append("from_unit and to_unit are the same")
        if factor is None or factor == 0:
            found.append(f"factor {row['factor']!r} is not a non-zero number or fraction")
        if offset is None:
            found.append(f"offset {row['offset']!r} is not a number or fraction")
        key = (test, source_unit, target_unit)
        if key in table and not table[key][3]:
            found.append(f"duplicate row for {test} {source_unit} -> {target_unit}")
        if found:
            problems += [f"line {line}: {p}" for p in found]
            continue
        assert factor is not None and offset is not None
        inverse_key = (test, target_unit, source_unit)
        inverse = (1 / factor, -offset / factor + 0.0)  # + 0.0: no -0.0
        if inverse_key in table:
            f2, o2, _, derived = table[inverse_key]
            if not derived and not (
                np.isclose(f2, inverse[0], rtol=1e-9) and np.isclose(o2, inverse[1], atol=1e-9)
            ):
                problems.append(
                    f"line {line}: {test} {source_unit} -> {target_unit} is not the inverse of "
                    f"the row for {target_unit} -> {source_unit} (write one direction only, or "
                    "a fraction such as 1/0.6206)"
                )
                continue
        source = (row.get("source") or "").strip()
        table[key] = (factor, offset, source, False)
        if inverse_key not in table:
            table[inverse_key] = (*inverse, f"inverse of line {line}: {source}", True)
    if problems:
        raise SpecError(
            "unit conversion table: " + "; ".join(problems),
            path=path,
            location=problems[0].split(":")[0],
            hint="units must be CDISC UNIT submission values; factor and offset numbers or a/b",
        )
    frame = pd.DataFrame(
        [(*key, *value) for key, value in table.items()],
        columns=[*CONVERSION_COLUMNS, "derived"],
    )
    return frame.astype({name: TEXT for name in ("test", "from_unit", "to_unit", "source")})


@cache
def default_conversions() -> pd.DataFrame:
    """The shipped conversion table (read once per process)."""
    return read_conversions()


def find_conversion(
    test: str, from_unit: str, to_unit: str, conversions: pd.DataFrame | None = None
) -> tuple[float, float] | None:
    """``(factor, offset)`` converting ``from_unit`` to ``to_unit`` for ``test``, or None.

    The test's own row wins over a ``*`` row; the same unit gives ``(1.0, 0.0)``.

    >>> find_conversion("CREAT", "mg/dL", "umol/L")
    (88.42, 0.0)
    """
    if from_unit == to_unit:
        return (1.0, 0.0)
    table = _conversion_map(conversions)
    found = table.get((test, from_unit, to_unit), table.get(("*", from_unit, to_unit)))
    return None if found is None else (float(found[0]), float(found[1]))


def _fraction(text: object) -> float | None:
    match = _FRACTION.match(str(text or ""))
    if not match:
        return None
    numerator = float(match.group(1))
    denominator = float(match.group(2)) if match.group(2) else 1.0
    return None if denominator == 0 else numerator / denominator


def _unit_problems(label: str, unit: str, lookup: UnitLookup) -> list[str]:
    if not unit:
        return [f"{label} is empty"]
    if unit in lookup.units:
        return []
    resolved = lookup.resolve(pd.Series([unit])).iloc[0]
    if isinstance(resolved, str):
        return [f"{label} {unit!r} is a synonym; write the CDISC UNIT value {resolved!r}"]
    return [f"{label} {unit!r} is not a CDISC UNIT value"]


def _conversion_map(
    conversions: pd.DataFrame | None,
) -> dict[tuple[str, str, str], tuple[float, float]]:
    if conversions is None:
        return _default_map()
    missing = [
        c for c in ("test", "from_unit", "to_unit", "factor", "offset") if c not in conversions
    ]
    if missing:
        raise UsageError(
            f"conversions lacks column(s) {missing}",
            hint="pass a table read with sdtm.units.read_conversions",
        )
    return _as_map(conversions)


@cache
def _default_map() -> dict[tuple[str, str, str], tuple[float, float]]:
    return _as_map(default_conversions())


def _as_map(frame: pd.DataFrame) -> dict[tuple[str, str, str], tuple[float, float]]:
    keys = zip(frame["test"], frame["from_unit"], frame["to_unit"], strict=True)
    values = zip(frame["factor"].astype(float), frame["offset"].astype(float), strict=True)
    return dict(zip(keys, values, strict=True))
