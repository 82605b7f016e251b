"""Running the generated schemas: every failure of every dataset of a package, as findings
rows with the ID of the SCH rule that reports it (see :func:`schema_failures`)."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from cdisc.standards import Standards
from cdisc.validation import columns
from cdisc.validation.package import Package
from cdisc.validation.schemas.checks import _is_char
from cdisc.validation.schemas.generate import (
    _CT,
    _CT_EXT,
    _CT_MULTIPLE,
    _LENGTH,
    RULES,
    dataset_schema,
)

# --- running the schemas ----------------------------------------------------------------------

#: Columns of :func:`schema_failures`.
FAILURE_COLUMNS = ["rule", "dataset", "record", "usubjid", "variable", "value", "message"]

_CACHE: dict[int, tuple[weakref.ref, tuple, pd.DataFrame, dict[str, list[str]]]] = {}


def schema_failures(package: Package, standards: Standards | None = None) -> pd.DataFrame:
    """Every schema failure of every dataset of ``package``: one row per failing record (or
    variable, for presence and type), with the rule ID, dataset, record (index + 1, or NA),
    USUBJID, variable, value and a message naming them. Each dataset is validated once,
    lazily; the result is kept for the package object (rules SCH001-SCH015 share it).

    >>> import pandas as pd
    >>> from cdisc.validation.package import package_from_frames
    >>> vs = pd.DataFrame({"VSDTC": ["2024-02-30"]})
    >>> schema_failures(package_from_frames({"VS": vs})).query("rule == 'SCH008'")["record"].tolist()
    [1]
    """
    return _run(package, standards)[0]


def _run(
    package: Package, standards: Standards | None = None
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """(failures, datasets each rule was checked on), cached per package and frame objects."""
    state = tuple((n, id(f)) for n, f in package.datasets.items())
    cached = _CACHE.get(id(package))
    if cached is not None and cached[0]() is package and cached[1] == state:
        return cached[2], cached[3]
    standards = standards or Standards.load()
    parts, checked = [], {}
    for name in package.datasets:
        schema = dataset_schema(name, package, standards)
        for rule_id in _rules_of(schema, package.standard):
            checked.setdefault(rule_id, []).append(name)
        parts.append(_validate(name, schema, package))
    found = [p for p in parts if len(p)]
    table = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=FAILURE_COLUMNS)
    _CACHE[id(package)] = (weakref.ref(package), state, table, checked)
    return table, checked


def _rules_of(schema: pa.DataFrameSchema, standard: str) -> set[str]:
    """The rule IDs ``schema`` checks anything for."""
    ids = RULES[standard]
    found = {c.name.split(":")[0] for c in schema.checks}
    for column in schema.columns.values():
        found |= {c.name for c in column.checks}
        core = column.metadata["core"]
        if core in ids and column.required:
            found.add(ids[core])
        if not column.nullable:
            found.add(ids["null"])
    if schema.unique:
        found.add(ids["key"])
    return found


def _validate(name: str, schema: pa.DataFrameSchema, package: Package) -> pd.DataFrame:
    """The failures of one dataset, in two passes of the same schema.

    The record checks (presence, types, nulls, keys) run on the dataset. The value checks
    (codelists, lengths, ISO 8601) of a Char column run on its distinct values, and each
    failing value is spread back to the records that hold it: a million records with a
    sponsor's unit make one failing value for pandera, not a million failure cases to
    collect, sort and format."""
    frame = package.datasets[name]
    ids = RULES[package.standard]
    record_schema, value_columns = _passes(schema, frame, ids["type"])
    parts = []
    try:
        record_schema.validate(frame, lazy=True, inplace=True)  # no copy: nothing is coerced
    except pandera.errors.SchemaErrors as exc:
        parts.append(_in_order(exc.failure_cases, schema))
    for column in value_columns:
        codes, uniques = columns.distinct(frame[column.name])
        distinct = pd.DataFrame({column.name: uniques})
        try:
            pa.DataFrameSchema({column.name: column}, name=name).validate(distinct, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            parts.append(_spread(exc.failure_cases, codes, uniques))
    if not parts:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    cases = pd.concat(parts, ignore_index=True)
    return _to_failures(name, cases, schema, frame, package.standard)


def _present(series: pd.Series) -> pd.Series:
    return pd.Series(columns.present(series), index=series.index)


#: pandera's own null check (``nullable=False``) as a check of the same name that reads the
#: run's column codes: pandera looks for missing values in every record of every column.
_NOT_NULL = pa.Check(_present, element_wise=False, ignore_na=False, name="not_nullable")


def _passes(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, type_check: str
) -> tuple[pa.DataFrameSchema, list[pa.Column]]:
    """``schema`` with only its record checks (nulls judged by :data:`_NOT_NULL`), and a
    column (value checks only, nulls allowed) for each Char column of ``frame`` that has
    value checks."""
    record_columns, value_columns = {}, []
    for name, column in schema.columns.items():
        kept = [c for c in column.checks if c.name == type_check]
        values = [c for c in column.checks if c.name != type_check]
        record_columns[name] = pa.Column(
            checks=kept if column.nullable else [_NOT_NULL, *kept],
            nullable=True,
            required=column.required,
            name=name,
            metadata=column.metadata,
        )
        # Value checks pass every non-Char column (the type check reports it).
        if values and name in frame.columns and _is_char(frame[name]):
            value_columns.append(pa.Column(checks=values, nullable=True, name=name))
    record_schema = pa.DataFrameSchema(
        record_columns,
        checks=schema.checks,
        strict=False,
        unique=schema.unique,
        report_duplicates="all",
        name=schema.name,
        metadata=schema.metadata,
    )
    return record_schema, value_columns


def _in_order(cases: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """pandera's failure cases of the record pass: frame-level ones first, then by column in
    schema order (pandera sorts them by context only, in no stable order)."""
    order = {name: i for i, name in enumerate(schema.columns)}
    position = cases["column"].map(order).fillna(-1)
    frame_level = cases["schema_context"] != "Column"
    rank = pd.DataFrame({"frame": ~frame_level, "column": position, "row": range(len(cases))})
    return cases.iloc[rank.sort_values(["frame", "column", "row"]).index]


def _spread(cases: pd.DataFrame, codes: np.ndarray, uniques: pd.Series) -> pd.DataFrame:
    """Failure cases of a column's distinct values (``index`` = position among ``uniques``)
    as failure cases of the records holding them, check by check, in record order."""
    parts = []
    for check, failing in cases.groupby("check", sort=False):
        bad = np.zeros(len(uniques) + 1, dtype=bool)  # the extra slot is code -1, missing
        bad[failing["index"].astype(int).to_numpy()] = True
        records = np.flatnonzero(bad[codes])
        parts.append(
            pd.DataFrame(
                {
                    "schema_context": "Column",
                    "column": failing["column"].iloc[0],
                    "check": check,
                    "check_number": failing["check_number"].iloc[0],
                    "failure_case": uniques.to_numpy()[codes[records]],
                    "index": records,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _to_failures(
    name: str, cases: pd.DataFrame, schema: pa.DataFrameSchema, frame: pd.DataFrame, standard
) -> pd.DataFrame:
    """pandera's failure cases as findings rows (see :func:`schema_failures`)."""
    ids = RULES[standard]
    cases = cases.reset_index(drop=True)
    # The check names repeat on every failing record: work on each distinct name once.
    codes, names = pd.factorize(cases["check"].astype(str))
    names = pd.Series(names, dtype=object)
    split = names.str.split(":")
    rule_of = split.str[0].to_numpy(dtype=object, copy=True)
    rule_of[(names == "not_nullable").to_numpy()] = ids["null"]
    rule_of[(names == "multiple_fields_uniqueness").to_numpy()] = ids.get("key", "")
    named = names.str.contains(":").to_numpy()[codes]
    rule_id = pd.Series(rule_of[codes], index=cases.index, dtype=object)
    presence = (names == "column_in_dataframe").to_numpy()[codes]
    missing_columns = cases.loc[presence, "failure_case"]  # a few rows, not every failure
    rule_id[presence] = missing_columns.map(_core_of(schema)).map(ids)
    variable = cases["column"].astype(object).where(cases["column"].notna(), "")
    variable[presence] = missing_columns.astype(str)
    variable[named] = split.str[1].to_numpy(dtype=object)[codes[named]]
    out = pd.DataFrame({"rule": rule_id, "variable": variable})
    out["dataset"] = name
    index = pd.to_numeric(cases["index"], errors="coerce")
    out["record"] = (index + 1).astype("Int64")
    out["value"] = cases["failure_case"].astype(object)
    out.loc[presence | index.isna(), "value"] = ""
    keys = out["rule"] == ids.get("key")
    out = out[out["rule"].isin(_ALL_RULES)]
    # A duplicate key is one finding per record, not one per key variable.
    out = pd.concat([out[~keys], _key_rows(out[keys], schema, frame)], ignore_index=True)
    out["usubjid"] = _usubjid(out["record"], frame)
    out["message"] = _messages(out, schema, frame, ids)
    return out[FAILURE_COLUMNS]


def _core_of(schema: pa.DataFrameSchema) -> dict[str, str]:
    return {n: c.metadata["core"] for n, c in schema.columns.items()}


def _key_rows(rows: pd.DataFrame, schema: pa.DataFrameSchema, frame: pd.DataFrame):
    rows = rows.drop_duplicates("record")
    keys = list(schema.unique or [])
    if not len(rows):
        return rows
    picked = frame.loc[rows["record"].astype(int) - 1, keys].astype(str)
    joined = picked[keys[0]]
    for key in keys[1:]:
        joined = joined.str.cat(picked[key], sep=", ")
    rows = rows.copy()
    rows["variable"] = ", ".join(keys)
    rows["value"] = joined.to_numpy()
    return rows


def _usubjid(record: pd.Series, frame: pd.DataFrame) -> pd.Series:
    if "USUBJID" not in frame or not len(record):
        return pd.Series("", index=record.index, dtype=object)
    positions = record.fillna(0).astype(int) - 1
    values = frame["USUBJID"].reindex(positions.to_numpy()).to_numpy()
    return pd.Series(values, index=record.index, dtype=object).where(record.notna(), "")


def _messages(
    out: pd.DataFrame, schema: pa.DataFrameSchema, frame: pd.DataFrame, ids: dict[str, str]
) -> pd.Series:
    """One message per row naming the dataset, the record, the variable and the value.

    The text after the record number depends only on the rule, variable and value, which
    repeat (a million findings may hold a few hundred such triples): it is composed once per
    distinct triple, then joined to each record's number."""
    name = schema.name
    if not len(out):
        return pd.Series(dtype=object)
    triples = out[["rule", "variable", "value"]].astype(str)
    key = np.zeros(len(triples), dtype=np.int64)
    for column in triples.columns:  # one integer per distinct triple
        part, uniques = pd.factorize(triples[column])
        key = key * (len(uniques) + 1) + part
    codes, _ = pd.factorize(key)
    first = columns.first_rows(codes)
    rule_id = pd.Series(triples["rule"].to_numpy()[first], dtype=object)
    variable = pd.Series(triples["variable"].to_numpy()[first], dtype=object)
    value = pd.Series(triples["value"].to_numpy()[first], dtype=object)
    detail = pd.Series(
        [_detail(schema, v, r) for v, r in zip(variable, rule_id, strict=True)], dtype=object
    )
    tail = ": " + variable + " value '" + value + "' " + detail
    label = schema.metadata["standard"] or "the model"
    whole = pd.Series("", index=tail.index, dtype=object)  # messages without a record
    kinds = {ids["Req"]: "Required", ids.get("Exp"): "Expected"}
    for kind_rule, kind in kinds.items():
        whole = whole.mask(
            rule_id == kind_rule, f"{name}: {kind} variable " + variable + f" of {label} is missing"
        )
    tail = tail.mask(rule_id == ids["null"], ": Required variable " + variable + " is null")
    actual = variable.map(lambda v: _type_name(frame[v]) if v in frame else "")
    whole = whole.mask(
        rule_id == ids["type"], f"{name}." + variable + " is " + actual + "; " + detail
    )
    tail = tail.mask(
        rule_id == ids["key"],
        ": duplicate key (" + variable + ") = (" + value + ") from define.xml",
    )
    number = out["record"]
    record = np.where(
        number.isna().to_numpy(), "<NA>", number.fillna(0).to_numpy(dtype=np.int64).astype(str)
    ).astype(object)
    text = f"{name} record " + record + tail.to_numpy()[codes]
    has_whole = (whole != "").to_numpy()[codes]
    text[has_whole] = whole.to_numpy()[codes][has_whole]
    return pd.Series(text, index=out.index, dtype=object)


def _detail(schema: pa.DataFrameSchema, variable: str, rule_id: str) -> str:
    column = schema.columns.get(variable)
    return column.metadata["detail"].get(rule_id, "") if column is not None else ""


def _type_name(series: pd.Series) -> str:
    return "Num" if pd.api.types.is_numeric_dtype(series) else "Char"


_ALL_RULES = {
    *RULES["SDTM"].values(), *RULES["ADaM"].values(), _CT, _CT_EXT, _LENGTH, _CT_MULTIPLE
}  # fmt: skip
