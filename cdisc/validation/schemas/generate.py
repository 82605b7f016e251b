"""pandera schemas generated from the metadata model: :func:`dataset_schema` derives one per
dataset from SDTMIG 3.4 or ADaMIG 1.3, the define.xml and the dataset file (see
:mod:`cdisc.validation.schemas`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.pandas as pa

from cdisc.errors import SpecError, UsageError
from cdisc.standards import Codelist, Standards, Variable
from cdisc.validation.package import Package
from cdisc.validation.schemas.checks import (
    _MULTIPLE,
    ISO_DATETIME,
    ISO_DURATION,
    _fits,
    _has_match,
    _in_values,
    _is_type,
    _iso,
    _not_multiple,
)

# SDTMIG names of duration, elapsed-time and interval variables (P21 SD1011 lists them), for
# datasets the IG does not define; IG variables say so in their value domain.
_DURATION_SUFFIXES = ("DUR", "ELTM", "EVLINT", "STINT", "ENINT")
_DURATION_NAMES = ("TDSTOFF", "TDTGTPAI", "TDMINPAI", "TDMAXPAI")

# ADaM Required variables that may be null (P21 catalogue, AD0196 "Known Exceptions").
_ADAM_MAY_BE_NULL = re.compile(r"TRTP|TRT\d\dP|AGE|AGEU|RACE|SUBJID|AESER")

#: What each SCH rule checks, per standard; the builtin pandera checks map onto them here.
RULES = {
    "SDTM": {"type": "SCH001", "null": "SCH002", "Req": "SCH003", "Exp": "SCH004",
             "date": "SCH008", "duration": "SCH009", "key": "SCH010"},
    "ADaM": {"type": "SCH011", "Req": "SCH012", "null": "SCH013", "date": "SCH014",
             "key": "SCH015"},
}  # fmt: skip
_CT, _CT_EXT, _LENGTH, _CT_MULTIPLE = "SCH005", "SCH006", "SCH007", "SCH016"
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
            pa.Check(
                lambda s, t=expected: _is_type(s, t),
                element_wise=False,
                ignore_na=False,
                name=ids["type"],
            )
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
        key = names
        if not extensible and _MULTIPLE not in values:
            values |= {_MULTIPLE}
            key += " + MULTIPLE"
            checks.append(
                pa.Check(_not_multiple, element_wise=False, ignore_na=False, name=_CT_MULTIPLE)
            )
            detail[_CT_MULTIPLE] = (
                f"is not a term of non-extensible codelist {names}; SDTMIG 3.4 section "
                "4.2.8.3 directs it for several values (Pinnacle 21 reports CT2001)"
            )
        checks.append(
            pa.Check(
                lambda s, a=values, n=numbers, k=key: _in_values(s, a, n, k),
                element_wise=False,
                ignore_na=False,
                name=rule_id,
            )
        )
    if spec.length is not None and (ig is None or ig.type != "Num"):
        checks.append(
            pa.Check(
                lambda s, n=spec.length: _fits(s, n, encoding),
                element_wise=False,
                ignore_na=False,
                name=_LENGTH,
            )
        )
        detail[_LENGTH] = f"is longer than its length {spec.length} in {spec.length_source}"
    if spec.iso and "date" in ids and (ig is None or ig.type != "Num"):
        kind = "duration" if spec.iso == "duration" and "duration" in ids else "date"
        pattern = ISO_DURATION if kind == "duration" else ISO_DATETIME
        checks.append(
            pa.Check(
                lambda s, p=pattern: _iso(s, p),
                element_wise=False,
                ignore_na=False,
                name=ids[kind],
            )
        )
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
