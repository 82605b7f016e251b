"""Results in standard units: --STRESC, --STRESN, --STRESU from --ORRES and --ORRESU.

SDTMIG 3.4 section 4.5.1 (reference/sdtm-adam-variables.md 1.6): --STRESC holds the result in
standard format, --STRESN its numeric value when it is a number, --STRESU the standard unit,
which must be the same for every record of a test (P21 SD0007).

What :func:`standardize_units` does with each result:

* a number (``7.2``, ``7,2`` with a decimal comma, ``1,200.5``) in a known unit with a
  conversion to the test's target unit: converted; ``--STRESC`` is the value to 12
  significant digits and ``--STRESN`` its number. When the unit already is the target (or
  the conversion factor is exactly 1), ``--STRESC`` is the collected text (P21 SD1353 wants
  ``--STRESC = --ORRES`` then), tidied only of blanks, a leading ``+`` and a decimal comma.
* a comparison (``<1.5``, ``>500``, ``≤ 3``): the number is converted and the sign kept
  (``<1.5`` mg/dL creatinine -> ``<132.63`` umol/L); ``--STRESN`` is missing (SDTMIG 4.5.1.1:
  imputing a number for ``<1.5`` belongs to ADaM).
* any other text (``NEG``, ``TRACE``, ``1+``, ``1:40``): carried to ``--STRESC`` unchanged,
  ``--STRESN`` and ``--STRESU`` missing. That is standard practice: --STRESC must be filled
  whenever --ORRES is (P21 SD0036), and a qualitative result has no unit.
* a number with text after it (``72 kg``, ``10mg``): not guessed. Splitting a value from
  its unit belongs where --ORRES/--ORRESU are assigned, not here, so that --ORRES and
  --ORRESU hold the split values too: use :func:`split_value_unit` there. Here it is reported
  (``unit-in-result``) and left without standard result.
* a unit that is unknown, missing, or has no conversion to the target: reported and left
  without --STRESC/--STRESN/--STRESU, never guessed.

Conversions come from ``sdtm/data/unit_conversions.csv`` (see ``sdtm.unitconversions``); unit
text is resolved to CDISC UNIT submission values by ``sdtm.unitnames``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc.errors import SpecError, UsageError
from sdtm._args import TEXT, require_columns, require_frame
from sdtm.distinct import by_value
from sdtm.unitconversions import (
    _conversion_map,
    _unit_problems,
    default_conversions,
    find_conversion,
    read_conversions,
)
from sdtm.unitnames import UnitLookup, default_lookup, resolve_units, submission_units

# The table functions live in sdtm.unitconversions, the unit-text look-up in sdtm.unitnames;
# both are part of this module's API so the engine imports units from one place.
__all__ = [
    "FINDINGS",
    "FINDING_COLUMNS",
    "VALUE_UNIT",
    "default_conversions",
    "find_conversion",
    "read_conversions",
    "resolve_units",
    "split_value_unit",
    "standardize_units",
    "submission_units",
]

FINDING_COLUMNS = ("code", "message", "test", "unit", "target_unit", "records", "example")

#: Stable finding codes and what they mean.
FINDINGS: dict[str, str] = {
    "unknown-unit": (
        "unit text is neither a CDISC UNIT value or synonym nor in sdtm/data/unit_synonyms.csv;"
        " results left without standard result"
    ),
    "no-conversion": (
        "no conversion from this unit to the test's target unit in the conversion table; "
        "results left without standard result"
    ),
    "missing-unit": "numeric result without a unit for a test with a target unit; not converted",
    "unexpected-unit": "a unit was given for a test declared unitless; not converted",
    "unit-in-result": (
        "the result has text after the number (a unit typed into the value?); split it with "
        "sdtm.units.split_value_unit when assigning --ORRES/--ORRESU"
    ),
    "decimal-comma": (
        "a comma in the number may be a decimal comma or a thousands separator; declare "
        "decimal_comma=True or False"
    ),
    "mixed-units": (
        "test has no target unit and its results are in several units, so --STRESU is "
        "inconsistent (P21 SD0007); declare a target unit"
    ),
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COMMA_DECIMAL = r"[+-]?\d+,\d+"
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_COMPARATOR = r"^(?P<op><=|>=|=<|=>|≤|≥|<|>)?\s*(?P<body>.*)$"
_OPERATORS = {"=<": "<=", "=>": ">=", "≤": "<=", "≥": ">="}
#: A number followed by unit text: ``72 kg``, ``<1.5 mg/L``, ``2.37 10^9/L``, ``4.610^9/L``.
#: The unit starts with a letter, ``%``, ``°``, ``µ``, ``/``, the multiplication sign or
#: ``^``, or is a power of ten written ``10^9``, ``10*9``, ``10E9`` (cell counts: ``10^9/L``
#: begins with digits, so a letter-only start missed it). The number is matched lazily so that ``4.610^9/L``
#: splits as ``4.6`` + ``10^9/L``. ``1:40`` and ``1+`` stay text.
VALUE_UNIT = (
    r"^(?P<value>(?:<=|>=|=<|=>|≤|≥|<|>)?\s*[+-]?(?:\d+?(?:[.,]\d+?)*|\.\d+?))\s*"
    "(?P<unit>(?:[A-Za-z%\u00b0\u00ba\u00b5\u03bc/\u00d7^]|10(?:\\^|\\*\\*?|[eE])\\d).*?)"
    "\\s*$"
)
_VALUE_UNIT = VALUE_UNIT


def split_value_unit(values: pd.Series) -> pd.DataFrame:
    """Split a unit typed into the value: ``72 kg`` -> ``72`` + ``kg``.

    Returns ``value`` (the number, with a comparison sign if any) and ``unit`` (the text
    after it, trimmed, not yet resolved: see ``sdtm.unitnames.resolve_units``). Values that
    are not a number followed by text starting with a letter, ``%``, ``°``, ``µ`` or ``/``
    come back unchanged (trimmed) with ``unit`` missing, so ``1:40`` and ``1+`` stay whole.

    >>> split_value_unit(pd.Series(["72 kg", "35 Years ", "10mg", "<1.5 mg/L", "NEG"])).values.tolist()
    [['72', 'kg'], ['35', 'Years'], ['10', 'mg'], ['<1.5', 'mg/L'], ['NEG', nan]]
    """
    if not isinstance(values, pd.Series):
        raise UsageError(
            "split_value_unit: values must be a pandas Series", hint='pass dataset["VSORRES"]'
        )
    codes, uniq = pd.factorize(values.astype(TEXT))
    text = pd.Series(np.asarray(uniq, dtype=object), dtype=TEXT).str.strip()
    parts = text.str.extract(_VALUE_UNIT)
    value = parts["value"].str.replace(r"\s+", "", regex=True)
    value = value.where(parts["unit"].notna(), text)
    out = {}
    for name, column in (("value", value), ("unit", parts["unit"])):
        array = np.append(column.to_numpy(dtype=object, na_value=None), None)
        out[name] = pd.Series(array[codes], index=values.index, dtype=TEXT)
    return pd.DataFrame(out)


def standardize_units(
    dataset: pd.DataFrame,
    test: str = "LBTESTCD",
    orres: str = "LBORRES",
    orresu: str = "LBORRESU",
    target_units: Mapping[str, str | None] | None = None,
    new_vars: Sequence[str] = ("LBSTRESC", "LBSTRESN", "LBSTRESU"),
    *,
    decimal_comma: bool | None = None,
    decimals: Mapping[str, int] | None = None,
    conversions: pd.DataFrame | None = None,
    lookup: UnitLookup | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``--STRESC``, ``--STRESN``, ``--STRESU`` (``new_vars``, in that order).

    ``target_units`` maps a test code to its standard unit (a CDISC UNIT submission value;
    ``""`` or None for a unitless test such as ABI or INR). Tests not in it keep their own
    unit (resolved to its CDISC spelling). ``decimal_comma``: None reads ``7,2`` as 7.2 and
    reports ``1,200`` (decimal comma or thousands separator?); True reads commas as decimal
    commas; False as thousands separators. ``decimals``: test code -> decimals to round
    *converted* results to (a result already in the target unit keeps its collected digits;
    tests not listed keep 12 significant digits). ``conversions``: a table from
    :func:`read_conversions` (default: the shipped one). See the module notes for what
    happens to each kind of result.

    Returns ``(dataset with new_vars, findings)``; findings has one row per (code, test,
    unit, target) with columns ``code`` (stable, see :data:`FINDINGS`), ``message``,
    ``test``, ``unit`` (as typed for ``unknown-unit``, else resolved), ``target_unit``,
    ``records`` and ``example`` (one --ORRES value).

    >>> lb = pd.DataFrame({"LBTESTCD": ["CREAT"], "LBORRES": ["1.2"], "LBORRESU": ["mg/dl"]})
    >>> out, findings = standardize_units(lb, target_units={"CREAT": "umol/L"})
    >>> out["LBSTRESC"].tolist(), out["LBSTRESN"].tolist(), out["LBSTRESU"].tolist()
    (['106.104'], [106.104], ['umol/L'])
    """
    function = "standardize_units"
    dataset = require_frame(dataset, function)
    names = _new_vars(new_vars, function)
    require_columns(dataset, [("test", test), ("orres", orres), ("orresu", orresu)], function)
    if decimal_comma not in (None, True, False):
        raise UsageError(
            f"{function}: decimal_comma must be None, True or False, not {decimal_comma!r}",
            hint="None reads 7,2 as 7.2 and reports 1,200; True and False decide commas",
        )
    lookup = lookup or default_lookup()
    targets = _targets(target_units or {}, lookup, function)
    places = _decimals(decimals or {}, function)
    table = _conversion_map(conversions)

    frame = pd.DataFrame(
        {
            "test": by_value(dataset[test].astype(TEXT), lambda v: v.str.strip()),
            "orres": dataset[orres].astype(TEXT),
            "orresu": dataset[orresu].astype(TEXT),
        }
    ).set_axis(pd.RangeIndex(len(dataset)))
    # Work once per distinct (test, result, unit); lab data repeats these a lot.
    codes, uniq = _distinct(frame)
    counts = np.bincount(codes, minlength=len(uniq))
    result = _standardize(uniq, targets, places, table, lookup, decimal_comma)

    out = dataset.copy(deep=False)  # copy-on-write: adding columns leaves dataset as is
    out[names[0]] = pd.Series(result["stresc"].to_numpy(dtype=object)[codes], dtype=TEXT).values
    out[names[1]] = result["stresn"].to_numpy(dtype=float)[codes]
    out[names[2]] = pd.Series(result["stresu"].to_numpy(dtype=object)[codes], dtype=TEXT).values
    findings = _findings(uniq.assign(**result), counts, targets)
    return out, findings


def _standardize(
    uniq: pd.DataFrame,
    targets: dict[str, str],
    places: dict[str, int],
    table: dict[tuple[str, str, str], tuple[float, float]],
    lookup: UnitLookup,
    decimal_comma: bool | None,
) -> dict[str, pd.Series]:
    n = len(uniq)
    kind, op, number_text = _classify(uniq["orres"], decimal_comma)
    unit_given = uniq["orresu"].str.strip().fillna("") != ""
    unit = lookup.resolve(uniq["orresu"])
    target = uniq["test"].map(targets)
    has_target = target.notna()
    unitless = has_target & (target == "")
    numeric = kind.isin(["number", "comparator"])

    # Look conversions up once per distinct (test, unit, target), a set bounded by the
    # study's tests and units, not by its records: the test's own row, else the "*" row.
    triples = pd.DataFrame({"test": uniq["test"], "unit": unit, "target": target})
    codes, distinct = _distinct(triples)
    found = [
        table.get((t, u, g), table.get(("*", u, g))) if isinstance(u, str) else None
        for t, u, g in distinct.itertuples(index=False)
    ]
    factor = pd.Series([np.nan if f is None else f[0] for f in found])[codes]
    offset = pd.Series([np.nan if f is None else f[1] for f in found])[codes]
    factor, offset = factor.set_axis(uniq.index), offset.set_axis(uniq.index)
    same = has_target & ~unitless & unit.notna() & (unit == target)
    factor = factor.mask(same | unitless | ~has_target, 1.0)
    offset = offset.mask(same | unitless | ~has_target, 0.0)

    finding = pd.Series(None, index=uniq.index, dtype=object)

    def report(mask: pd.Series, code: str) -> None:
        finding[mask & finding.isna()] = code

    report(kind == "embedded", "unit-in-result")
    report(kind == "ambiguous", "decimal-comma")
    report(numeric & unitless & unit_given, "unexpected-unit")
    report(numeric & has_target & ~unitless & ~unit_given, "missing-unit")
    report(numeric & unit_given & unit.isna(), "unknown-unit")
    report(numeric & has_target & ~unitless & factor.isna(), "no-conversion")
    ok = numeric & finding.isna()

    value = pd.to_numeric(number_text.where(ok), errors="coerce")
    identity = ok & (factor == 1.0) & (offset == 0.0)
    converted = value * factor + offset
    rounding = uniq["test"].map(places)
    for digits in rounding.dropna().unique():
        rows = rounding == digits
        converted[rows] = converted[rows].round(int(digits))
    text = _format_numbers(converted.where(ok & ~identity))
    text = text.where(~identity, number_text)
    stresc = pd.Series(np.full(n, None, dtype=object), index=uniq.index, dtype=object)
    stresc[ok] = op[ok].fillna("") + text[ok]
    plain_text = kind == "text"
    stresc[plain_text] = uniq["orres"].str.strip()[plain_text]
    stresn = pd.to_numeric(stresc.where(ok & (kind == "number")), errors="coerce")
    stresu = target.where(has_target & ~unitless, unit).where(ok)
    return {
        "stresc": stresc.astype(TEXT),
        "stresn": stresn.astype(float),
        "stresu": stresu.astype(TEXT),
        "finding": finding,
        "resolved": unit,
        "target": target,
    }


def _distinct(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of each row (missing values count as equal) and one row per group, in
    group-number order, so that ``distinct.iloc[codes]`` rebuilds ``frame``."""
    codes = frame.groupby(list(frame), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)
    return codes, frame.iloc[first].reset_index(drop=True)


def _classify(
    results: pd.Series, decimal_comma: bool | None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Kind of each result, its comparison sign and its number as plain decimal text."""
    text = results.str.replace("\u00a0", " ", regex=False).str.strip()
    parts = text.str.extract(_COMPARATOR)
    op = parts["op"].replace(_OPERATORS)
    body = parts["body"].str.strip()
    plain = body.str.fullmatch(_NUMBER).fillna(False)
    comma = body.str.fullmatch(_COMMA_DECIMAL).fillna(False)
    thousands = body.str.fullmatch(_THOUSANDS).fillna(False)
    if decimal_comma is None:
        as_decimal, as_thousands, ambiguous = (
            comma & ~thousands,
            thousands & ~comma,
            comma & thousands,
        )
    elif decimal_comma:
        as_decimal, as_thousands, ambiguous = (
            comma,
            pd.Series(False, index=text.index),
            thousands & ~comma,
        )
    else:
        as_decimal, as_thousands, ambiguous = (
            pd.Series(False, index=text.index),
            thousands,
            comma & ~thousands,
        )
    ambiguous &= ~plain
    number = body.where(plain)
    number = number.where(~(as_decimal & ~plain), body.str.replace(",", ".", regex=False))
    number = number.where(~(as_thousands & ~plain), body.str.replace(",", "", regex=False))
    number = number.str.lstrip("+")
    is_number = plain | ((as_decimal | as_thousands) & ~ambiguous)
    embedded = text.str.fullmatch(_VALUE_UNIT).fillna(False)
    kind = pd.Series("text", index=text.index, dtype=object)
    kind[embedded] = "embedded"
    kind[ambiguous] = "ambiguous"
    kind[is_number] = np.where(op[is_number].notna(), "comparator", "number")
    kind[text.isna() | (text == "")] = "missing"
    return kind, op, number.where(is_number)


def _format_numbers(values: pd.Series) -> pd.Series:
    """Numbers as text to 12 significant digits: drops binary noise (1.2 x 88.42 gives
    106.10400000000001, written 106.104) and keeps every digit a lab reports."""
    out = pd.Series(None, index=values.index, dtype=object)
    known = values.notna()
    if known.any():
        codes, uniq = pd.factorize(values[known])
        text = np.char.mod("%.12g", np.asarray(uniq, dtype=float)).astype(object)
        out[known] = text[codes]
    return out


def _findings(uniq: pd.DataFrame, counts: np.ndarray, targets: dict[str, str]) -> pd.DataFrame:
    free_units = uniq.loc[uniq["target"].isna(), ["test", "stresu"]].dropna()
    if uniq["finding"].isna().all() and not free_units.duplicated("test").any():
        empty = pd.DataFrame({c: pd.Series(dtype=TEXT) for c in FINDING_COLUMNS})
        return empty.astype({"records": "int64"})
    rows = uniq.assign(records=counts)
    rows["unit"] = rows["resolved"].where(rows["finding"] != "unknown-unit", rows["orresu"])
    reported = rows[rows["finding"].notna()]
    summary = reported.groupby(["finding", "test", "unit", "target"], dropna=False, sort=True).agg(
        records=("records", "sum"), example=("orres", "first")
    )
    summary = summary.reset_index().rename(columns={"finding": "code", "target": "target_unit"})
    # Tests without a target whose results come in several units.
    free = rows[rows["target"].isna() & rows["stresu"].notna()]
    mixed = free.groupby("test", sort=True).agg(
        units=("stresu", lambda u: ", ".join(sorted(set(u)))),
        n_units=("stresu", "nunique"),
        records=("records", "sum"),
        example=("orres", "first"),
    )
    mixed = mixed[mixed["n_units"] > 1].reset_index()
    mixed = pd.DataFrame(
        {
            "code": "mixed-units",
            "test": mixed["test"],
            "unit": mixed["units"],
            "target_unit": np.nan,
            "records": mixed["records"],
            "example": mixed["example"],
        }
    )
    findings = pd.concat([summary, mixed], ignore_index=True)
    findings["target_unit"] = findings["target_unit"].replace("", np.nan)  # unitless test
    findings["message"] = findings["code"].map(FINDINGS)
    findings = findings.sort_values(["code", "test", "unit"], kind="mergesort", na_position="last")
    findings = findings.reset_index(drop=True)[list(FINDING_COLUMNS)]
    text = [c for c in FINDING_COLUMNS if c != "records"]
    findings = findings.astype({c: TEXT for c in text})
    findings["records"] = findings["records"].astype("int64")
    return findings


def _targets(
    target_units: Mapping[str, str | None], lookup: UnitLookup, function: str
) -> dict[str, str]:
    if not isinstance(target_units, Mapping):
        raise UsageError(
            f"{function}: target_units must map test codes to units, not {target_units!r}",
            hint='for example target_units={"CREAT": "umol/L", "HGB": "g/L"}',
        )
    targets: dict[str, str] = {}
    problems = []
    for test, unit in target_units.items():
        if unit is None or (isinstance(unit, str) and unit.strip() == ""):
            targets[str(test)] = ""
            continue
        found = _unit_problems(f"target for {test}", str(unit).strip(), lookup)
        if found:
            problems += found
        else:
            targets[str(test)] = str(unit).strip()
    if problems:
        raise SpecError(
            f"{function}: " + "; ".join(problems),
            hint="target units are CDISC UNIT submission values (specs/ct/terms.csv, C71620)",
        )
    return targets


def _decimals(decimals: Mapping[str, int], function: str) -> dict[str, int]:
    bad = {
        test: d
        for test, d in (decimals.items() if isinstance(decimals, Mapping) else [("?", decimals)])
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 12
    }
    if bad:
        raise UsageError(
            f"{function}: decimals must map test codes to whole numbers 0-12, not {bad!r}",
            hint='for example decimals={"GLUC": 1, "CREAT": 0}',
        )
    return {str(test): int(d) for test, d in decimals.items()}


def _new_vars(new_vars: Sequence[str], function: str) -> list[str]:
    if (
        isinstance(new_vars, str)
        or not isinstance(new_vars, Sequence)
        or len(new_vars) != 3
        or not all(isinstance(v, str) and v for v in new_vars)
    ):
        raise UsageError(
            f"{function}: new_vars must name three columns (--STRESC, --STRESN, --STRESU), "
            f"not {new_vars!r}",
            hint='for example new_vars=("VSSTRESC", "VSSTRESN", "VSSTRESU")',
        )
    return list(new_vars)
