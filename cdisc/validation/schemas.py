"""pandera schemas generated from the metadata model, and the SCH rules that run them.

No schema is written by hand: :func:`dataset_schema` derives one per dataset from SDTMIG 3.4
or ADaMIG 1.3 (:class:`cdisc.standards.Standards`), the package's define.xml when it has the
dataset, and what the dataset file says about itself (``package.meta``). It covers

- types (SDTMIG / ADaMIG ``Char`` or ``Num``);
- Required variables present and non-null, Expected variables present;
- controlled terminology (non-extensible codelist: error; extensible: warning);
- character lengths in bytes, against the define's Length, else the file's;
- ISO 8601 for --DTC, --DUR (and the other duration variables) and ADaM character dates;
- uniqueness of the define's key variables.

Each check is named by the ID of the rule that reports it; :func:`schema_failures`
validates each dataset once, lazily (every failure collected), and the registered rules
SCH001-SCH015 read their own rows from that one result.

>>> from cdisc.validation.package import package_from_frames
>>> import pandas as pd
>>> dm = pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["DM"], "USUBJID": ["S1-1"], "SEX": ["X"]})
>>> fails = schema_failures(package_from_frames({"DM": dm}))
>>> fails.loc[fails["rule"] == "SCH005", ["variable", "value"]].values.tolist()
[['SEX', 'X']]
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from cdisc.errors import SpecError, UsageError
from cdisc.standards import Codelist, Standards, Variable
from cdisc.validation.engine import NotCheckable, rule
from cdisc.validation.package import Package

# --- ISO 8601 as SDTMIG 3.4 section 4.4 uses it ------------------------------------------------
# Unknown middle components are written as a single hyphen ("2003---15", "--12-15",
# "2003-12-15T-:15"), values may be right-truncated, and an interval is two values joined by
# "/" (either side may be a duration).
_Y, _M, _D = r"\d{4}", r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])"
_HH, _MM, _SS = r"(?:[01]\d|2[0-3])", r"[0-5]\d", r"[0-5]\d(?:[.,]\d+)?"
_DATE = rf"(?:{_Y}|-)(?:-(?:{_M}|-)(?:-(?:{_D}|-))?)?"
_TIME = rf"T(?:{_HH}|-)(?::(?:{_MM}|-)(?::(?:{_SS}|-))?)?"
_ZONE = rf"(?:Z|[+-]{_HH}(?::?{_MM})?)"
_DATETIME = rf"(?=[^/]*\d){_DATE}(?:{_TIME}{_ZONE}?)?"
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"-?P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_POINT = rf"(?:{_DATETIME}|{_DURATION})"
ISO_DATETIME = re.compile(rf"{_DATETIME}(?:/{_POINT})?|{_DURATION}/{_DATETIME}")
ISO_DURATION = re.compile(rf"{_DURATION}|{_DATETIME}/{_POINT}|{_DURATION}/{_DATETIME}")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# SDTMIG names of duration, elapsed-time and interval variables (P21 SD1011 lists them), for
# datasets the IG does not define; IG variables say so in their value domain.
_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT", "STINT", "ENINT")
_DURATION_NAMES = ("TDSTOFF", "TDTGTPAI", "TDMINPAI", "TDMAXPAI")

# ADaM Required variables that may be null (P21 catalogue, AD0196 "Known Exceptions").
_ADAM_MAY_BE_NULL = re.compile(r"TRTP|TRT\d\dP|AGE|AGEU|RACE|SUBJID|AESER")

# Encodings where one character is one byte, so a value's byte length is its length.
_SINGLE_BYTE = {"ascii", "latin-1", "latin1", "iso-8859-1", "windows-1252", "cp1252"}

#: What each SCH rule checks, per standard; the builtin pandera checks map onto them here.
RULES = {
    "SDTM": {"type": "SCH001", "null": "SCH002", "Req": "SCH003", "Exp": "SCH004",
             "date": "SCH008", "duration": "SCH009", "key": "SCH010"},
    "ADaM": {"type": "SCH011", "Req": "SCH012", "null": "SCH013", "date": "SCH014",
             "key": "SCH015"},
}  # fmt: skip
_CT, _CT_EXT, _LENGTH, _CT_MULTIPLE = "SCH005", "SCH006", "SCH007", "SCH016"
# SDTMIG 3.4 section 4.2.8.3: a non-result qualifier with several values holds "MULTIPLE"
# (DM assumption 6: RACE), a value CT 2025-03-28 does not list in non-extensible RACE (C74457).
_MULTIPLE = "MULTIPLE"
# Result variables, whose codelist lists character results only.
_RESULTS = ("ORRES", "STRESC")


@dataclass(frozen=True)
class _Spec:
    """What the schema checks for one variable of one dataset."""

    name: str
    present: bool
    ig: Variable | None
    codelists: tuple[Codelist, ...]
    length: int | None
    length_source: str
    iso: str  # "" | "date" | "duration"


# --- schema generation -----------------------------------------------------------------------


def dataset_schema(
    name: str, package: Package, standards: Standards | None = None
) -> pa.DataFrameSchema:
    """The pandera schema of dataset ``name`` of ``package``, generated from the metadata.

    Columns: every variable the IG defines for the dataset (Required and Expected ones
    ``required=True``, Permissible ones optional; ADaM name patterns such as ``TRTxxP``
    resolved against the dataset's columns) plus every other variable of the dataset. Each
    check is named by its rule ID (``SCH005``) and each column's ``metadata`` holds ``core``
    (``Req``/``Exp``/``Perm``/``Cond`` or ``""``), ``rules`` (the IDs its presence and null
    checks report under) and ``detail`` (text for messages, by rule ID). ``unique`` is the
    define's key variables. A dataset the IG does not define (custom domain, ADaM OCCDS) gets
    the checks that need no model: lengths, ISO 8601 by variable name, keys.

    Raises ``UsageError`` when the package has no dataset ``name``.

    >>> import pandas as pd
    >>> from cdisc.validation.package import package_from_frames
    >>> pkg = package_from_frames({"DM": pd.DataFrame({"USUBJID": ["1"]})})
    >>> schema = dataset_schema("DM", pkg)
    >>> schema.columns["SEX"].required, schema.columns["SEX"].nullable
    (True, False)
    """
    if name not in package.datasets:
        raise UsageError(
            f"the package has no dataset {name!r}",
            hint="datasets: " + ", ".join(sorted(package.datasets)),
        )
    standards = standards or Standards.load()
    frame = package.datasets[name]
    ids = RULES[package.standard]
    specs, missing_patterns, label = _specs(name, package, standards)
    meta = package.meta.get(name)
    encoding = meta.encoding if meta is not None else "utf-8"
    columns = {spec.name: _column(spec, ids, label, encoding) for spec in specs}
    # A Required ADaM name pattern (TRTxxP) no column matches: a frame-level check, named
    # after the pattern, since pandera columns are concrete names.
    checks = [
        pa.Check(
            lambda df, v=var: _has_match(df, v), element_wise=False, name=f"{ids['Req']}:{var.name}"
        )
        for var in missing_patterns
    ]
    keys = _keys(name, package)
    present_keys = [k for k in keys if k in frame.columns]
    return pa.DataFrameSchema(
        columns,
        checks=checks,
        strict=False,
        unique=present_keys if present_keys and len(present_keys) == len(keys) else None,
        report_duplicates="all",
        name=name,
        metadata={"standard": label, "keys": keys},
    )


def _specs(
    name: str, package: Package, standards: Standards
) -> tuple[list[_Spec], list[Variable], str]:
    """Variable specs in IG order then dataset order, the Required IG patterns that no column
    matches, and the name of the model used ("SDTMIG 3.4 DM", "ADaMIG 1.3 BDS", "")."""
    frame = package.datasets[name]
    meta = package.meta.get(name)
    define_ds = _define_dataset(package, name)
    model, label = _model(name, package, standards, define_ds)
    if package.standard == "ADaM" and model:
        structure = label.rsplit(" ", 1)[-1]
        resolved = {c: standards.adam_variable(structure, c) for c in frame.columns}
    else:
        by_name = {v.name: v for v in model}
        resolved = {c: by_name.get(c) for c in frame.columns}
    names = [v.name for v in model if not v.is_pattern]
    names += [c for c in frame.columns if c not in names]
    missing_patterns = [
        v
        for v in model
        if v.is_pattern and v.core == "Req" and not any(v.matches(c) for c in frame.columns)
    ]
    defined = {v.name: v for v in define_ds.variables} if define_ds else {}
    specs = []
    for var in names:
        ig = resolved.get(var) if var in frame.columns else next(v for v in model if v.name == var)
        if var in defined and defined[var].length:
            length, source = defined[var].length, "define.xml"
        elif meta is not None and var in meta.lengths and var in frame.columns:
            length, source = meta.lengths[var], "the dataset file"
        else:
            length, source = None, ""
        specs.append(
            _Spec(
                name=var,
                present=var in frame.columns,
                ig=ig,
                codelists=_codelists(ig, standards),
                length=length,
                length_source=source,
                iso=_iso_kind(var, ig),
            )
        )
    return specs, missing_patterns, label


def _model(
    name: str, package: Package, standards: Standards, define_ds
) -> tuple[list[Variable], str]:
    """The IG variables of dataset ``name`` and the model's name; ([], "") when the IG does
    not define the dataset."""
    if package.standard == "SDTM":
        try:
            return standards.sdtm_variables(name), f"SDTMIG 3.4 {name}"
        except SpecError:
            return [], ""
    columns = package.datasets[name].columns
    text = f"{define_ds.cdisc_class} {define_ds.subclass}".upper() if define_ds else ""
    if name == "ADSL":
        structure = "ADSL"
    elif "TIME-TO-EVENT" in text or "CNSR" in columns:
        structure = "TTE"
    elif "BASIC DATA STRUCTURE" in text or "PARAMCD" in columns:
        structure = "BDS"
    else:
        return [], ""
    return standards.adam_variables(structure), f"ADaMIG 1.3 {structure}"


def _define_dataset(package: Package, name: str):
    if package.define is None:
        return None
    try:
        return package.define.dataset(name)
    except KeyError:
        return None


def _keys(name: str, package: Package) -> tuple[str, ...]:
    define_ds = _define_dataset(package, name)
    return tuple(define_ds.keys) if define_ds is not None else ()


def _codelists(ig: Variable | None, standards: Standards) -> tuple[Codelist, ...]:
    found = []
    for code in ig.codelist if ig is not None else ():
        try:
            found.append(standards.codelist(code))
        except SpecError:
            continue  # a user's CT may lack a codelist; its values stay unchecked
    return tuple(found)


def _iso_kind(name: str, ig: Variable | None) -> str:
    domain = ig.value_domain if ig is not None else ""
    if domain.startswith("ISO 8601 datetime"):
        return "date"
    if domain.startswith("ISO 8601 duration"):
        return "duration"
    if ig is None or not ig.type:
        if name.endswith("DTC"):
            return "date"
        if name.endswith(_DURATION_SUFFIXES) or name in _DURATION_NAMES:
            return "duration"
    return ""


def _column(spec: _Spec, ids: dict[str, str], label: str, encoding: str) -> pa.Column:
    ig = spec.ig
    core = ig.core if ig is not None else ""
    checks, detail = [], {}
    if ig is not None and ig.type in ("Char", "Num"):
        expected = ig.type
        checks.append(
            pa.Check(lambda s, t=expected: _is_type(s, t), element_wise=False, name=ids["type"])
        )
        detail[ids["type"]] = f"{label} defines it as {expected}"
    if spec.codelists:
        values = frozenset(v for cl in spec.codelists for v in cl.values)
        extensible = any(cl.extensible for cl in spec.codelists)
        rule_id = _CT_EXT if extensible else _CT
        names = " / ".join(f"{cl.code} ({cl.submission_value})" for cl in spec.codelists)
        kind = "extensible" if extensible else "non-extensible"
        detail[rule_id] = f"is not in {kind} codelist {names}"
        # A result's codelist (LBSTRESC, C102580) lists character results; numbers are results.
        numbers = spec.name.endswith(_RESULTS)
        if not extensible and _MULTIPLE not in values:
            values |= {_MULTIPLE}
            checks.append(
                pa.Check(lambda s: s.ne(_MULTIPLE), element_wise=False, name=_CT_MULTIPLE)
            )
            detail[_CT_MULTIPLE] = (
                f"is not a term of non-extensible codelist {names}; SDTMIG 3.4 section "
                "4.2.8.3 directs it for several values (Pinnacle 21 reports CT2001)"
            )
        checks.append(
            pa.Check(
                lambda s, a=values, n=numbers: _in_values(s, a, n),
                element_wise=False,
                name=rule_id,
            )
        )
    if spec.length is not None and (ig is None or ig.type != "Num"):
        checks.append(
            pa.Check(
                lambda s, n=spec.length: _fits(s, n, encoding),
                element_wise=False,
                name=_LENGTH,
            )
        )
        detail[_LENGTH] = f"is longer than its length {spec.length} in {spec.length_source}"
    if spec.iso and "date" in ids and (ig is None or ig.type != "Num"):
        kind = "duration" if spec.iso == "duration" and "duration" in ids else "date"
        pattern = ISO_DURATION if kind == "duration" else ISO_DATETIME
        checks.append(pa.Check(lambda s, p=pattern: _iso(s, p), element_wise=False, name=ids[kind]))
        what = "an ISO 8601 duration" if kind == "duration" else "an ISO 8601 date/time"
        detail[ids[kind]] = f"is not {what}"
    not_null = core == "Req" and (
        ids is RULES["SDTM"] or not _ADAM_MAY_BE_NULL.fullmatch(spec.name)
    )
    return pa.Column(
        checks=checks,
        nullable=not not_null,
        required=core == "Req" or (core == "Exp" and "Exp" in ids),
        name=spec.name,
        metadata={"core": core, "detail": detail},
    )


# --- vectorised checks (each returns a boolean Series, True where the value passes) -------------


def _is_char(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def _is_type(series: pd.Series, expected: str) -> bool:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return numeric if expected == "Num" else (not numeric and _is_char(series))


def _passing(series: pd.Series, bad: pd.Series) -> pd.Series:
    """True except where ``series`` holds one of the distinct values in ``bad``."""
    return ~series.isin(bad) if len(bad) else pd.Series(True, index=series.index)


def _distinct(series: pd.Series) -> pd.Series:
    # Checks run on distinct values: dates and codes repeat thousands of times per dataset.
    return pd.Series(pd.unique(series.dropna()), dtype=object)


def _in_values(series: pd.Series, allowed: frozenset[str], numbers: bool = False) -> pd.Series:
    if not _is_char(series):
        return pd.Series(True, index=series.index)  # the type check reports it
    values = _distinct(series)
    bad = ~values.isin(allowed)
    if numbers:
        bad &= pd.to_numeric(values, errors="coerce").isna()
    return _passing(series, values[bad])


def _byte_lengths(values: pd.Series, encoding: str) -> pd.Series:
    text = values.astype(str)
    if encoding.lower() in _SINGLE_BYTE:
        return text.str.len()
    return text.str.encode(encoding, errors="replace").str.len()


def _fits(series: pd.Series, length: int, encoding: str) -> pd.Series:
    if not _is_char(series):
        return pd.Series(True, index=series.index)
    values = _distinct(series)
    return _passing(series, values[_byte_lengths(values, encoding) > length])


def _iso(series: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    if not _is_char(series):
        return pd.Series(True, index=series.index)
    values = _distinct(series).astype(str)
    ok = values.str.fullmatch(pattern.pattern, na=False)
    # The regex admits 2023-02-30; a complete calendar date must also exist.
    complete = values.str.match(_FULL_DATE.pattern, na=False)
    days = pd.to_datetime(values.where(complete).str[:10], format="%Y-%m-%d", errors="coerce")
    ok &= ~complete | days.notna()
    return _passing(series, values[~ok])


def _has_match(columns: pd.DataFrame, variable: Variable) -> bool:
    return any(variable.matches(c) for c in columns.columns)


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
    frame = package.datasets[name]
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return _to_failures(name, exc.failure_cases, schema, frame, package.standard)
    return pd.DataFrame(columns=FAILURE_COLUMNS)


def _to_failures(
    name: str, cases: pd.DataFrame, schema: pa.DataFrameSchema, frame: pd.DataFrame, standard
) -> pd.DataFrame:
    """pandera's failure cases as findings rows (see :func:`schema_failures`)."""
    ids = RULES[standard]
    cases = cases.reset_index(drop=True)
    check = cases["check"].astype(str)
    column = cases["column"].astype(object).where(cases["column"].notna(), "")
    rule_id = check.str.split(":").str[0]
    presence = check == "column_in_dataframe"
    rule_id = rule_id.mask(presence, cases["failure_case"].map(_core_of(schema)).map(ids))
    rule_id = rule_id.mask(check == "not_nullable", ids["null"])
    rule_id = rule_id.mask(check == "multiple_fields_uniqueness", ids.get("key", ""))
    variable = column.mask(presence, cases["failure_case"].astype(str))
    variable = variable.mask(check.str.contains(":"), check.str.split(":").str[1])
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
    """One message per row naming the dataset, the record, the variable and the value."""
    name = schema.name
    where = name + " record " + out["record"].astype(str) + ": "
    variable = out["variable"].astype(str)
    detail = (
        pd.Series(
            [_detail(schema, v, r) for v, r in zip(variable, out["rule"], strict=True)],
            index=out.index,
            dtype=object,
        )
        if len(out)
        else pd.Series(dtype=object)
    )
    value = out["value"].astype(str)
    text = where + variable + " value '" + value + "' " + detail
    label = schema.metadata["standard"] or "the model"
    kinds = {ids["Req"]: "Required", ids.get("Exp"): "Expected"}
    for rule_id, kind in kinds.items():
        mask = out["rule"] == rule_id
        text = text.mask(mask, f"{name}: {kind} variable " + variable + f" of {label} is missing")
    mask = out["rule"] == ids["null"]
    text = text.mask(mask, where + "Required variable " + variable + " is null")
    mask = out["rule"] == ids["type"]
    actual = variable.map(lambda v: _type_name(frame[v]) if v in frame else "")
    text = text.mask(mask, f"{name}." + variable + " is " + actual + "; " + detail)
    mask = out["rule"] == ids["key"]
    text = text.mask(
        mask, where + "duplicate key (" + variable + ") = (" + value + ") from define.xml"
    )
    return text


def _detail(schema: pa.DataFrameSchema, variable: str, rule_id: str) -> str:
    column = schema.columns.get(variable)
    return column.metadata["detail"].get(rule_id, "") if column is not None else ""


def _type_name(series: pd.Series) -> str:
    return "Num" if pd.api.types.is_numeric_dtype(series) else "Char"


_ALL_RULES = {
    *RULES["SDTM"].values(), *RULES["ADaM"].values(), _CT, _CT_EXT, _LENGTH, _CT_MULTIPLE
}  # fmt: skip


# --- the SCH rules ---------------------------------------------------------------------------
# (id, scope, severity, P21 ID, publisher IDs, message). P21 IDs, publisher IDs and severities
# are from the Pinnacle 21 catalogues (shared/standards/rules/p21_*_rules.csv): "must" is an
# error, "should" a warning. Rules without a P21 ID have no catalogue entry that matches.
_CATALOGUE = (
    ("SCH001", "SDTM", "warning", "SD0055", "CG0012", "SDTM/dataset variable type mismatch"),
    ("SCH002", "SDTM", "error", "SD0002", "CG0014, CG0208",
     "Null value in variable marked as Required"),
    ("SCH003", "SDTM", "error", "SD0056", "CG0014, CG0313", "SDTM Required variable not found"),
    ("SCH004", "SDTM", "warning", "SD0057", "CG0016", "SDTM Expected variable not found"),
    ("SCH005", "ANY", "error", "CT2001",
     "FDAB017, CG0085, CG0131, CG0232, CG0233, CG0234, CG0235, CG0387, CG0388, CG0389, CG0390, "
     "CG0391, CG0392, CG0393, CG0394, CG0395, CG0396, CG0541, CG0619, CG0653",
     "Variable value not found in non-extensible codelist"),
    ("SCH006", "ANY", "warning", "CT2002", "FDAB017, CG0020, CG0021",
     "Variable value not found in extensible codelist"),
    ("SCH007", "ANY", "error", "", "",
     "Value longer (in bytes) than the variable's length in define.xml or the dataset file"),
    ("SCH008", "SDTM", "error", "SD0003", "", "Invalid ISO 8601 value for --DTC variable"),
    ("SCH009", "SDTM", "error", "SD1011", "",
     "Invalid ISO 8601 value for duration, elapsed time or interval variable"),
    ("SCH010", "SDTM", "warning", "SD1152", "CG0019",
     "Duplicate records per Key Variables in Define.xml"),
    ("SCH011", "ADaM", "error", "", "", "ADaM variable type differs from ADaMIG 1.3"),
    ("SCH012", "ADaM", "error", "AD0047",
     "47, 49, 50, 51, 52, 55, 71, 72, 88, 89, 90, 194, 195, 257, 260, 261, 262, 278, 620, 621, "
     "623, 624, 625, 626, 627, 628, 629, 630, 631, 632, 633, 634, 635, 636, 637, 638, 639, 655, "
     "656, 657, 671, 672, 685, 686, 689, 719, 720, 804, 814, 885, 886, 887, 888, 889, 890",
     "Required variable is not present"),
    ("SCH013", "ADaM", "error", "AD0196", "196, 197, 811", "Required Variable value is null"),
    ("SCH014", "ADaM", "error", "", "", "Invalid ISO 8601 value for character date variable"),
    ("SCH015", "ADaM", "warning", "", "",
     "Duplicate records per key variables in define.xml"),
    ("SCH016", "ANY", "warning", "", "",
     "MULTIPLE (SDTMIG 3.4 section 4.2.8.3) is not a term of the variable's non-extensible "
     "codelist"),
)  # fmt: skip


def _schema_rule(rule_id: str):
    """The check of rule ``rule_id``: its rows of :func:`schema_failures`; not checkable
    when no dataset's schema has anything for it to check."""

    def check(package: Package) -> pd.DataFrame:
        failures, checked = _run(package)
        if rule_id not in checked:
            raise NotCheckable(_NOT_CHECKED.get(rule_id, "no dataset has a variable it applies to"))
        return failures[failures["rule"] == rule_id].drop(columns="rule").reset_index(drop=True)

    check.__name__ = f"schema_{rule_id.lower()}"
    check.__doc__ = next(m for i, *_, m in _CATALOGUE if i == rule_id)
    return check


_NOT_CHECKED = {
    "SCH010": "no define.xml key variables for any dataset",
    "SCH015": "no define.xml key variables for any dataset",
    "SCH007": "no variable length known from define.xml or the dataset files",
}

for _id, _scope, _severity, _p21, _cdisc, _message in _CATALOGUE:
    rule(_id, severity=_severity, message=_message, scope=_scope, p21=_p21, cdisc=_cdisc)(
        _schema_rule(_id)
    )
