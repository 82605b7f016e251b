"""Facts a define states that come from the data: the codelist terms a study uses and the
value-level metadata of variables described per --TESTCD, QNAM or PARAMCD.

ARCHITECTURE.md's metadata model is resolved from ``specs/`` + the study's spec + facts
observed in the data; this module observes. It turns written datasets (as the XPT writer
received them) and their DatasetDefs into the CodeListDefs and ValueListDefs of a
:class:`cdisc.metadata.DefineDocument`. Nothing here knows SDTM or ADaM rules beyond what
the caller passes in.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cdisc.errors import SpecError
from cdisc.metadata import (
    CodeListDef,
    CodeListTerm,
    DatasetDef,
    DefineDocument,
    Origin,
    RangeCheck,
    ResultDisplay,
    StandardDef,
    ValueDef,
    ValueListDef,
    VariableDef,
    WhereClause,
)
from cdisc.standards import Standards


def used_codelist(
    standards: Standards,
    key: str,
    values: pd.Series,
    oid: str,
    standard: str | None,
    decodes: dict[str, str] | None = None,
) -> CodeListDef:
    """The CDISC codelist ``key`` (NCI code or submission value) cut to the ``values`` used.

    Each used value that is a term keeps its NCI code; one that is not is a sponsor term,
    marked ``extended`` when the codelist is extensible (a value outside a non-extensible
    list is listed as it is, for the conformance rules to report). ``decodes`` gives
    CodeListItem decodes (a --TESTCD's --TEST).

    >>> cl = used_codelist(Standards.load(), "NY", pd.Series(["Y", "Y", None]), "CL.X", "STD.CT")
    >>> [(t.coded_value, t.nci_code) for t in cl.terms], cl.nci_code
    ([('Y', 'C49488')], 'C66742')
    """
    codelist = standards.codelist(key)
    by_value = {t.submission_value: t for t in codelist.terms}
    terms = []
    for value in sorted(_distinct(values)):
        term = by_value.get(value)
        decode = (decodes or {}).get(value)
        terms.append(
            CodeListTerm(
                value,
                decode,
                term.code if term is not None else None,
                extended=term is None and codelist.extensible,
            )
        )
    return CodeListDef(
        oid=oid,
        name=codelist.name,
        data_type="text",
        terms=tuple(terms),
        nci_code=codelist.code,
        standard=standard,
        extensible=codelist.extensible,
    )


def sponsor_codelist(
    oid: str, name: str, values: pd.Series, decodes: dict[str, str] | None = None
) -> CodeListDef:
    """A sponsor codelist of the distinct ``values`` (integer when all are whole numbers)."""
    distinct = sorted(_distinct(values), key=_natural)
    numeric = bool(distinct) and all(_whole(v) for v in distinct)
    terms = tuple(CodeListTerm(_text(v), (decodes or {}).get(_text(v))) for v in distinct)
    return CodeListDef(oid, name, "integer" if numeric else "text", terms)


def with_codelists(
    dataset: DatasetDef, frame: pd.DataFrame, standards: Standards, standard: str | None
) -> tuple[DatasetDef, list[CodeListDef]]:
    """``dataset`` with each CT codelist reference (an NCI code) replaced by the OID of a
    subset of it holding the terms ``frame`` uses (``CL.<dataset>.<variable>``); a variable
    with no value, or whose codelist the shipped CT lacks, keeps no codelist."""
    variables, codelists = [], []
    for var in dataset.variables:
        if not var.codelist or var.codelist.startswith("CL.") or var.name not in frame:
            variables.append(var)
            continue
        oid = f"CL.{dataset.name}.{var.name}"
        try:
            used = used_codelist(standards, var.codelist, frame[var.name], oid, standard)
        except SpecError:
            used = None  # a codelist the shipped CT subset does not hold
        if used is None or not used.terms:  # nothing to list: a variable with no values
            variables.append(replace(var, codelist=None))
            continue
        codelists.append(used)
        variables.append(replace(var, codelist=oid))
    return replace(dataset, variables=tuple(variables)), codelists


def value_list(
    dataset: DatasetDef,
    frame: pd.DataFrame,
    variable: str,
    by: str,
    *,
    label_from: str | None = None,
    origin: Origin | None = None,
    method: str | None = None,
    methods: dict[str, str] | None = None,
) -> tuple[DatasetDef, ValueListDef | None]:
    """Value-level metadata of ``variable`` for each value of ``by`` (``VSORRES`` by
    ``VSTESTCD``): the label from ``label_from`` (VSTEST), the data type, length and
    significant digits each slice needs, the origin and method (``methods`` by value).

    Returns ``dataset`` with the variable pointing at the list (``VL.<dataset>.<variable>``),
    and the list; (dataset, None) when the dataset lacks either column or has no rows.
    """
    if variable not in frame or by not in frame:
        return dataset, None
    # Every fact is computed once per column and distinct value, then gathered per key: a
    # slice per key would redo the NA, unique and text work keys x records times.
    raw_codes, raw_keys = pd.factorize(frame[by])
    if not len(raw_keys):  # no key on any record
        return dataset, None
    parent = dataset.variable(variable)
    oid = f"VL.{dataset.name}.{variable}"
    # Keys as text (a numeric key reads as its text); keys whose text is the same are one.
    text_keys = pd.Series(raw_keys, dtype=frame[by].dtype).astype("string")
    key_codes, uniq = pd.factorize(text_keys)
    codes = np.append(key_codes, -1)[raw_codes]  # -1 (no key) indexes the appended -1
    code_of = {key: code for code, key in enumerate(uniq)}  # a loop over distinct keys
    labels = _first_labels(frame, label_from, codes, len(uniq))
    types = _slice_types(frame[variable], parent, codes, len(uniq))
    values = []
    for order, key in enumerate(sorted(_distinct(text_keys), key=_natural), 1):
        code = code_of[key]
        label = key if labels[code] is None else labels[code]
        data_type, length, digits = types[code]
        where = WhereClause(
            f"WC.{dataset.name}.{by}.{_oid_part(key)}",
            (RangeCheck(dataset.name, by, "EQ", (key,)),),
        )
        values.append(
            ValueDef(
                oid=f"IT.{dataset.name}.{variable}.{_oid_part(key)}",
                name=variable,
                label=label,
                data_type=data_type,
                where=where,
                order=order,
                length=length,
                significant_digits=digits,
                display_format=parent.display_format,
                mandatory=False,
                origin=origin or parent.origin,
                method=(methods or {}).get(key, method or parent.method),
            )
        )
    described = replace(
        dataset,
        variables=tuple(
            replace(v, value_list=oid) if v.name == variable else v for v in dataset.variables
        ),
    )
    return described, ValueListDef(oid, dataset.name, variable, tuple(values))


def define_document(
    purpose: str,
    standards: tuple[StandardDef, ...],
    datasets: list[DatasetDef],
    value_lists: list[ValueListDef],
    codelists: list[CodeListDef],
    *,
    studyid: str,
    title: str,
    created: str,
    results: tuple[ResultDisplay, ...] = (),
) -> DefineDocument:
    """The DefineDocument of one package of a build (``purpose`` Tabulation or Analysis),
    with identical codelist subsets merged (:func:`merged_codelists`)."""
    datasets, value_lists, codelists = merged_codelists(datasets, value_lists, codelists)
    short = "SDTM" if purpose == "Tabulation" else "ADAM"
    return DefineDocument(
        study_oid=studyid,
        study_name=studyid,
        study_description=title or studyid,
        protocol_name=studyid,
        purpose=purpose,
        mdv_oid=f"MDV.{studyid}.{short}",
        mdv_name=f"{studyid} {'SDTM' if short == 'SDTM' else 'ADaM'} define",
        created=created,
        standards=standards,
        datasets=tuple(datasets),
        value_lists=tuple(value_lists),
        codelists=tuple(codelists),
        results=results,
    )


def merged_codelists(
    datasets: list[DatasetDef], value_lists: list[ValueListDef], codelists: list[CodeListDef]
) -> tuple[list[DatasetDef], list[ValueListDef], list[CodeListDef]]:
    """One codelist for each distinct content: the per-variable subsets that list the same
    terms (every flag's Y/N) become the first of them, and references follow."""
    kept: dict[tuple, CodeListDef] = {}
    rename: dict[str, str] = {}
    for cl in codelists:
        key = (cl.name, cl.data_type, cl.terms, cl.nci_code, cl.standard, cl.external)
        first = kept.setdefault(key, cl)
        rename[cl.oid] = first.oid

    def follow(item):
        return replace(item, codelist=rename.get(item.codelist, item.codelist))

    datasets = [replace(d, variables=tuple(follow(v) for v in d.variables)) for d in datasets]
    value_lists = [replace(v, values=tuple(follow(x) for x in v.values)) for v in value_lists]
    return datasets, value_lists, list(kept.values())


def with_key_sequence(dataset: DatasetDef) -> DatasetDef:
    """``dataset`` with each key variable's KeySequence: its position in ``dataset.keys``."""
    position = {name: i for i, name in enumerate(dataset.keys, 1)}
    variables = tuple(replace(v, key_sequence=position.get(v.name)) for v in dataset.variables)
    return replace(dataset, variables=variables)


def with_significant_digits(dataset: DatasetDef, frame: pd.DataFrame) -> DatasetDef:
    """``dataset`` with SignificantDigits on each float variable: the most decimals a value
    of ``frame`` shows (Define-XML requires it for ``float``)."""
    variables = tuple(
        replace(v, significant_digits=_decimals(frame[v.name]))
        if v.data_type == "float" and v.name in frame
        else v
        for v in dataset.variables
    )
    return replace(dataset, variables=variables)


def _first_labels(
    frame: pd.DataFrame, label_from: str | None, codes: np.ndarray, count: int
) -> list[str | None]:
    """For each of ``count`` keys, the text of the first ``label_from`` value (in frame
    order) on a record of the key (``codes`` per record, -1 for none); None when none."""
    out: list[str | None] = [None] * count
    if label_from is None or label_from not in frame:
        return out
    column = frame[label_from]
    rows = np.flatnonzero(codes >= 0)
    # Each key's first record; the NA test then runs on one label per key, and on the
    # whole column only when a key's first record lacks its label.
    first = np.full(count, len(codes), dtype=np.int64)
    np.minimum.at(first, codes[rows], rows)
    if column.iloc[first].isna().any():
        rows = np.flatnonzero(column.notna().to_numpy() & (codes >= 0))
        keys, at = np.unique(codes[rows], return_index=True)
        first = np.full(count, -1, dtype=np.int64)
        first[keys] = rows[at]
    for key, row in enumerate(first.tolist()):  # per key
        if row >= 0:
            out[key] = str(column.iloc[row])
    return out


def _slice_types(
    values: pd.Series, parent: VariableDef, codes: np.ndarray, count: int
) -> list[tuple[str, int | None, int | None]]:
    """The data type, length and significant digits of the ``values`` of each of ``count``
    keys (``codes`` per record, -1 for none): text keeps its parent's type, its longest
    value's UTF-8 bytes as length; a number is integer when every value is whole, else float
    with the most decimals shown."""
    if parent.xpt_type == "Num":
        if parent.display_format:
            return [(parent.data_type, 8, None)] * count
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
        kept = ~np.isnan(numbers) & (codes >= 0)
        number_codes, distinct = pd.factorize(numbers[kept])
        keys = codes[kept]
        fractional = np.mod(distinct, 1) != 0  # per distinct number
        seen = np.bincount(keys, minlength=count)
        broken = np.bincount(keys, weights=fractional[number_codes], minlength=count)
        digits = np.zeros(count, dtype=np.int64)
        np.maximum.at(digits, keys, _digits(distinct)[number_codes])
        return [
            ("integer", 8, None) if seen[k] and not broken[k] else ("float", 8, int(digits[k]))
            for k in range(count)
        ]
    # Byte lengths of the distinct values only: a key repeats its values a lot.
    value_codes, distinct = pd.factorize(values)
    text = pd.Series(distinct, dtype=object).astype(str)
    sizes = np.fromiter((len(t.encode("utf-8")) for t in text), np.int64, len(text))
    kept = (value_codes >= 0) & (codes >= 0)
    longest = np.zeros(count, dtype=np.int64)
    np.maximum.at(longest, codes[kept], sizes[value_codes[kept]])
    return [(parent.data_type, max(1, int(n)), None) for n in longest]


def _decimals(values: pd.Series) -> int:
    """The most decimal places any value shows (up to 10), as its shortest repr prints it."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    numbers = pd.unique(numbers[~np.isnan(numbers)])  # the repr work, once per value
    return int(_digits(numbers).max()) if len(numbers) else 0


def _digits(numbers: np.ndarray) -> np.ndarray:
    """The decimal places (up to 10) each of ``numbers`` shows in its shortest repr: the
    digits after the point, trailing zeros dropped; none in exponent form (``1e-05``)."""
    text = pd.Series([repr(float(n)) for n in numbers], dtype=object)  # distinct values
    fraction = text.str.extract(r"\.(\d+)$", expand=False).fillna("")
    return np.minimum(10, fraction.str.rstrip("0").str.len().to_numpy(np.int64))


def _distinct(values: pd.Series) -> set:
    # Unique first, then NA dropped: the NA test and the copy run over distinct values only.
    kept = pd.Series(values.unique(), dtype=values.dtype).dropna()
    if kept.dtype == object or pd.api.types.is_string_dtype(kept):
        kept = kept.astype(str)
        kept = kept[kept.str.strip() != ""]
    return set(kept.tolist())


def _whole(value) -> bool:
    try:
        return float(value) == int(float(value))
    except (TypeError, ValueError):
        return False


def _text(value) -> str:
    return str(int(float(value))) if not isinstance(value, str) and _whole(value) else str(value)


def _natural(value) -> tuple:
    text = _text(value)
    return (0, float(text), "") if _whole(value) else (1, 0.0, text)


def _oid_part(value: str) -> str:
    """``value`` made safe for an OID: letters, digits, ``.``, ``-`` and ``_``."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(value))
