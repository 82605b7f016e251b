"""Mapping algorithms, after pharmaverse sdtm.oak: one small pure function per way of mapping.

Each takes the raw frame and its arguments and returns a :class:`Mapped`: the values (a text
Series on the raw frame's index) and the problems found (a frame with ``row`` the index label,
``code`` a stable code, ``message`` and ``value`` the collected text). A spec names the
function in ``algorithm:``, so ``assign_ct`` in YAML is :func:`assign_ct` here.

``condition_add`` is not a function of its own here: any step may carry ``when:`` (a
condition object, :mod:`sdtm.conditions`) and the engine then fills only rows the condition
selects that are still missing; a value once mapped is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdisc.readers.base import DECODE_SUFFIX
from cdisc.standards import Standards
from sdtm.datetimes import ERROR_CODES, parse_dtc, parse_dtc_by, problem_code
from sdtm.unitnames import resolve_units, unit_key

TEXT = "string"
PROBLEM_COLUMNS = ("row", "code", "message", "value")


@dataclass(frozen=True)
class Mapped:
    """Values of one mapping step and the problems it found."""

    values: pd.Series
    problems: pd.DataFrame


@dataclass(frozen=True)
class Context:
    """Study-wide facts an algorithm may need: CT and the declared date rules."""

    standards: Standards
    date_formats: tuple[str, ...] | None = None
    formats_by_site: dict[str, list[str]] = field(default_factory=dict)
    two_digit_year_pivot: int | None = None
    #: Coded items of the export: field name -> {code: decode} (its own metadata).
    item_codes: dict[str, dict[str, str]] = field(default_factory=dict)


def no_problems() -> pd.DataFrame:
    """An empty problems frame."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})


def _text(raw: pd.DataFrame, name: str) -> pd.Series:
    """The field as trimmed text; blank becomes missing."""
    values = raw[name].astype(TEXT).str.strip()
    return values.mask(values == "")


def assign_no_ct(raw: pd.DataFrame, field: str, *, context: Context | None = None) -> Mapped:
    """Copy a collected field as text (trimmed, blank -> missing), no terminology.

    A decode twin with no decode for a collected code is reported as in :func:`assign_ct`.

    >>> assign_no_ct(pd.DataFrame({"AETERM": [" Headache ", ""]}), "AETERM").values.tolist()
    ['Headache', <NA>]
    """
    return Mapped(_text(raw, field), _undecoded(raw, field))


def hardcode_no_ct(raw: pd.DataFrame, value: Any, *, context: Context | None = None) -> Mapped:
    """The same value on every row (``EXTRT: BM-MSC``).

    >>> hardcode_no_ct(pd.DataFrame(index=[0, 1]), "YEARS").values.tolist()
    ['YEARS', 'YEARS']
    """
    return Mapped(pd.Series(str(value), index=raw.index, dtype=TEXT), no_problems())


def hardcode_ct(raw: pd.DataFrame, value: Any, codelist: str, *, context: Context) -> Mapped:
    """The same CT submission value on every row; ``value`` must be a term of ``codelist``.

    >>> ctx = Context(Standards.load())
    >>> hardcode_ct(pd.DataFrame(index=[0]), "Yes", "NY", context=ctx).values.tolist()
    ['Y']
    """
    term = _lookup(context.standards.codelist(codelist), str(value))
    submission = term.submission_value if term is not None else str(value)
    mapped = pd.Series(submission, index=raw.index, dtype=TEXT)
    problems = no_problems()
    if term is None and len(raw):
        problems = _problems(
            raw.index[:1], "out-of-codelist", f"{value!r} is not in codelist {codelist}", [value]
        )
    return Mapped(mapped, problems)


def assign_ct(
    raw: pd.DataFrame,
    field: str,
    codelist: str,
    *,
    context: Context,
    synonyms: Mapping[str, str] | None = None,
) -> Mapped:
    """Map collected text to CT submission values: study ``synonyms`` first, then the
    codelist's own submission values, CDISC synonyms and NCI preferred terms (any case).

    A value no term names is kept as collected and reported: ``out-of-codelist`` for a
    non-extensible codelist (an error to fix), ``sponsor-extension`` for an extensible one.
    Reading a decode twin (``AESEV_DECODE``), a collected code the item's own codelist does
    not know (the decode is blank while ``AESEV`` holds ``Severe``) is reported as
    ``code-not-in-item-codelist``; a later step may map the raw field itself.

    >>> ctx = Context(Standards.load())
    >>> out = assign_ct(pd.DataFrame({"SEX": ["Male", "female", "x"]}), "SEX", "SEX", context=ctx)
    >>> out.values.tolist(), out.problems["code"].tolist()
    (['M', 'F', 'x'], ['out-of-codelist'])
    """
    cl = context.standards.codelist(codelist)
    text = _text(raw, field)
    codes, uniques = pd.factorize(text)
    study = {str(k).casefold(): str(v) for k, v in (synonyms or {}).items()}
    mapped, flags = [], []
    for value in uniques:
        key = str(value).casefold()
        term = None if key in study else _lookup(cl, str(value))
        mapped.append(study.get(key) or (term.submission_value if term else str(value)))
        flags.append(key not in study and term is None)
    mapped_arr = np.array([*mapped, None], dtype=object)
    values = pd.Series(mapped_arr[codes], index=raw.index, dtype=TEXT)
    bad_unique = np.array([*flags, False], dtype=bool)
    bad = bad_unique[codes]
    code = "sponsor-extension" if cl.extensible else "out-of-codelist"
    what = (
        "kept as a sponsor extension"
        if cl.extensible
        else "kept as collected; add a synonym or fix the data"
    )
    rows = raw.index[bad]
    problems = _problems(
        rows,
        code,
        (
            f"{field}: '"
            + text[bad].astype(str)
            + f"' is not a term of codelist {cl.submission_value} ({what})"
        ).tolist(),
        text[bad].tolist(),
    )
    return Mapped(values, pd.concat([problems, _undecoded(raw, field)], ignore_index=True))


def assign_unit(
    raw: pd.DataFrame,
    field: str,
    *,
    context: Context | None = None,
    synonyms: Mapping[str, str] | None = None,
) -> Mapped:
    """A collected unit as its CDISC UNIT (C71620) submission value: the study ``synonyms``
    first (a unit CT names otherwise, as a cell product's dose unit), then the UNIT look-up
    of :mod:`sdtm.unitnames` (submission values, CDISC synonyms, the site-variant table; case
    only when that names one unit). Both compare the tidied text (blanks, superscripts, the
    micro and multiplication signs: ``\u00d710\u2076 cells`` is ``x10^6 cells``). A unit
    neither names is kept as collected and reported (``sponsor-extension``: UNIT is
    extensible).

    >>> raw = pd.DataFrame({"U": ["\u00d710\u2076 cells", " mg ", "MG/DL", "furlongs"]})
    >>> assign_unit(raw, "U", synonyms={"x10^6 cells": "10^6 Therapeutic Cells"}).values.tolist()
    ['10^6 Therapeutic Cells', 'mg', 'mg/dL', 'furlongs']
    """
    text = _text(raw, field)
    keys = unit_key(text)
    study = {}
    for typed, unit in (synonyms or {}).items():
        key = unit_key(pd.Series([str(typed)])).iloc[0]
        study[key] = study[key.casefold()] = str(unit)
    found = keys.map(study)
    found = found.where(found.notna(), keys.str.casefold().map(study))
    found = found.where(found.notna(), resolve_units(text))
    bad = (text.notna() & found.isna()).to_numpy(dtype=bool)
    values = found.where(found.notna(), text).astype(TEXT)
    problems = _problems(
        raw.index[bad],
        "sponsor-extension",
        (
            f"{field}: '"
            + text[bad].astype(str)
            + "' is not a term of codelist UNIT (kept as a sponsor extension)"
        ).tolist(),
        text[bad].tolist(),
    )
    return Mapped(values, problems)


def _undecoded(raw: pd.DataFrame, field: str) -> pd.DataFrame:
    """Rows whose coded item holds a value with no decode (not one of the item's codes)."""
    item = field.removesuffix(DECODE_SUFFIX)
    if item == field or item not in raw:
        return _problems([], "code-not-in-item-codelist", [], [])
    code, decode = _text(raw, item), _text(raw, field)
    bad = (code.notna() & decode.isna()).to_numpy(dtype=bool)
    message = (
        f"{item}: '" + code[bad].astype(str) + "' is not one of the item's codes, so it has no "
        "decode (fix the value in the EDC, or add a step mapping the raw field)"
    )
    return _problems(
        raw.index[bad], "code-not-in-item-codelist", message.tolist(), code[bad].tolist()
    )


def _lookup(cl, text: str):
    """``Codelist.lookup``, also when one term matches through several of its own texts
    (``WHITE`` and ``White``), which ``lookup`` treats as ambiguous."""
    term = cl.lookup(text)
    if term is not None:
        return term
    found = {t.code: t for t in cl.by_synonym(text)}
    return next(iter(found.values())) if len(found) == 1 else None


def assign_datetime(
    raw: pd.DataFrame,
    field: str,
    *,
    context: Context,
    time: str | None = None,
    formats: Sequence[str] | None = None,
    max_precision: str | None = None,
) -> Mapped:
    """Read a collected date (and an optional separate ``time`` field) into ISO 8601 --DTC.

    Uses the study's declared date formats (per site where declared) and two-digit-year
    pivot. Every value that could not be used, or was used at a coarser precision, is
    reported with the code of :data:`sdtm.datetimes.PROBLEMS`.

    >>> ctx = Context(Standards.load())
    >>> assign_datetime(pd.DataFrame({"D": ["16-May-2015", "UN UNK 2019"]}), "D", context=ctx).values.tolist()
    ['2015-05-16', '2019']
    """
    dates = raw[field]
    times = raw[time] if time else None
    chosen = tuple(formats) if formats else context.date_formats
    if context.formats_by_site and "_site" in raw:
        parsed = parse_dtc_by(
            dates,
            raw["_site"],
            context.formats_by_site,
            times,
            default_formats=chosen,
            two_digit_year_pivot=context.two_digit_year_pivot,
            max_precision=max_precision,
        )
    else:
        parsed = parse_dtc(
            dates,
            times,
            formats=chosen,
            two_digit_year_pivot=context.two_digit_year_pivot,
            max_precision=max_precision,
        )
    has = parsed["problem"].notna().to_numpy(dtype=bool)
    # Only the records with a problem are read further (a few among millions of results).
    codes = problem_code(parsed["problem"][has])
    shown = dates[has].astype(TEXT)
    if times is not None:
        shown = shown.fillna("") + " " + times[has].astype(TEXT).fillna("")
    # The level sdtm.datetimes gives the problem, in the message; the build's severity of
    # every date problem is "warning" (sdtm.sdtmbuild.ERROR_CODES).
    level = np.where(codes.isin(ERROR_CODES), " (error)", " (warning)")
    problems = _problems(
        raw.index[has],
        codes.tolist(),
        (f"{field}: " + parsed["problem"][has].astype(str) + level).tolist(),
        shown.tolist(),
    )
    return Mapped(parsed["dtc"].astype(TEXT), problems)


def assign_number(raw: pd.DataFrame, field: str, *, context: Context | None = None) -> Mapped:
    """A collected number (``150``, ``7,5`` read as 7.5) for a Num variable; text that is not a
    number becomes missing and is reported (``not-a-number``).

    >>> assign_number(pd.DataFrame({"D": ["150", "7,5", "ND"]}), "D").values.tolist()
    ['150', '7.5', <NA>]
    """
    text = _text(raw, field)
    cleaned = text.str.replace(",", ".", regex=False)
    number = pd.to_numeric(cleaned, errors="coerce")
    bad = (text.notna() & number.isna()).to_numpy(dtype=bool)
    values = cleaned.where(number.notna())
    problems = _problems(
        raw.index[bad],
        "not-a-number",
        (f"{field}: '" + text[bad].astype(str) + "' is not a number; left missing").tolist(),
        text[bad].tolist(),
    )
    return Mapped(values.astype(TEXT), problems)


def _problems(rows, code, message, values) -> pd.DataFrame:
    n = len(rows)
    if not n:
        return no_problems()
    return pd.DataFrame(
        {
            "row": list(rows),
            "code": code if isinstance(code, list) else [code] * n,
            "message": message if isinstance(message, list) else [message] * n,
            "value": list(values) if len(values) == n else list(values) * n,
        }
    )


@dataclass(frozen=True)
class Algorithm:
    """An algorithm's function and the YAML arguments it takes."""

    function: Callable[..., Mapped]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    field_args: tuple[str, ...] = ("field",)


def split_responses(
    text: str, field: str, codelist: str, context: Context, separator: str = ","
) -> list[tuple[str, str | None]]:
    """Each answer of a multiple-response value, as (collected, CT submission value or None).

    An answer is read through the item's own decode (``2`` -> ``Asian``) when the export
    declares one, then looked up in the codelist like :func:`assign_ct`.
    """
    cl = context.standards.codelist(codelist)
    codes = context.item_codes.get(field.removesuffix(DECODE_SUFFIX), {})
    out = []
    for part in (p.strip() for p in text.split(separator)):
        if part:
            term = _lookup(cl, codes.get(part, part))
            out.append((part, term.submission_value if term else None))
    return out


def assign_ct_multiple(
    raw: pd.DataFrame,
    field: str,
    codelist: str,
    *,
    context: Context,
    separator: str = ",",
    multiple: str = "MULTIPLE",
) -> Mapped:
    """A multiple-response item (checkboxes): one answer maps like :func:`assign_ct`,
    several give ``multiple`` (SDTMIG 3.4 DM assumption: RACE = MULTIPLE, each answer in
    SUPPDM as RACE1, RACE2, ...; see ``supplemental`` ``multiple:``).

    Each answer is read through the item's decode (``2,5`` -> Asian, White); an answer no
    term names is kept as collected and reported as ``out-of-codelist``.

    >>> ctx = Context(Standards.load(), item_codes={"RACE": {"2": "Asian", "5": "White"}})
    >>> out = assign_ct_multiple(pd.DataFrame({"RACE": ["5", "2,5", None]}), "RACE", "RACE", context=ctx)
    >>> out.values.tolist()
    ['WHITE', 'MULTIPLE', <NA>]
    """
    text = _text(raw, field)
    codes, uniques = pd.factorize(text)
    mapped, bad_text = [], []
    for value in uniques:  # a loop over distinct values, not over records
        answers = split_responses(str(value), field, codelist, context, separator)
        unknown = [c for c, v in answers if v is None]
        bad_text.append(", ".join(unknown))
        if len(answers) > 1:
            mapped.append(multiple)
        else:
            mapped.append(answers[0][1] or answers[0][0] if answers else None)
    values = pd.Series(np.array([*mapped, None], dtype=object)[codes], index=raw.index, dtype=TEXT)
    unknown = np.array([*bad_text, ""], dtype=object)[codes]
    bad = unknown != ""
    problems = _problems(
        raw.index[bad],
        "out-of-codelist",
        [
            f"{field}: answer(s) '{u}' not in codelist {codelist}; kept as collected"
            for u in unknown[bad]
        ],
        text[bad].tolist(),
    )
    return Mapped(values, problems)


#: Every algorithm a spec may name, by its function name.
ALGORITHMS: dict[str, Algorithm] = {
    "assign_ct_multiple": Algorithm(
        assign_ct_multiple, ("field", "codelist"), ("separator", "multiple")
    ),
    "assign_no_ct": Algorithm(assign_no_ct, ("field",)),
    "assign_ct": Algorithm(assign_ct, ("field", "codelist"), ("synonyms",)),
    "assign_unit": Algorithm(assign_unit, ("field",), ("synonyms",)),
    "hardcode_no_ct": Algorithm(hardcode_no_ct, ("value",), (), ()),
    "hardcode_ct": Algorithm(hardcode_ct, ("value", "codelist"), (), ()),
    "assign_datetime": Algorithm(
        assign_datetime, ("field",), ("time", "formats", "max_precision"), ("field", "time")
    ),
    "assign_number": Algorithm(assign_number, ("field",)),
}
