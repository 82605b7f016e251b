"""Turn an engine frame into an output dataset: SDTMIG variables in order, types, DatasetDef.

Req and Exp variables are always present (missing when not mapped); Perm variables only when
they hold at least one value. Labels, types and order come from ``Standards``; lengths from
the data (``cdisc.writers.lengths``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.metadata import DatasetDef, Origin, VariableDef
from cdisc.standards import Standards

_INTEGER = ("SEQ", "DY")
#: The natural keys of the datasets without a subject --SEQ (SDTMIG 3.4 section 3.2 and
#: the trial design chapter); the rest are keyed STUDYID, USUBJID, --SEQ.
NATURAL_KEYS = {
    "DM": ("STUDYID", "USUBJID"),
    "SV": ("STUDYID", "USUBJID", "VISITNUM"),
    "SUPP": ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
    "TA": ("STUDYID", "ARMCD", "TAETORD"),
    "TE": ("STUDYID", "ETCD"),
    "TV": ("STUDYID", "VISITNUM", "ARMCD"),
    "TI": ("STUDYID", "IETESTCD"),
    "TS": ("STUDYID", "TSPARMCD", "TSSEQ"),
}
_DERIVED = ("SEQ", "DY", "EPOCH", "VISITNUM", "VISIT", "LOBXFL", "STRESC", "STRESN", "STRESU")


def output_frame(data: pd.DataFrame, name: str, standards: Standards) -> pd.DataFrame:
    """The SDTM columns of ``data`` in SDTMIG order, Num variables as floats.

    Char values become ``str`` (missing as None), Num values float64 (text that is not a
    number, and missing, as NaN).

    >>> out = output_frame(pd.DataFrame({"USUBJID": ["S-1"], "AETERM": ["Headache"], "AESEQ": [1]}),
    ...                    "AE", Standards.load())
    >>> list(out.columns)[:5], out["AESEQ"].tolist()
    (['STUDYID', 'DOMAIN', 'USUBJID', 'AESEQ', 'AETERM'], [1.0])
    """
    columns = {}
    for var in standards.sdtm_variables(name):
        values = data.get(var.name)
        present = values.notna().to_numpy() if values is not None else None
        if var.core == "Perm" and (present is None or not present.any()):
            continue
        if values is None:
            empty = np.full(
                len(data), np.nan if var.type == "Num" else None, dtype=_DTYPES[var.type]
            )
            columns[var.name] = pd.Series(empty, index=data.index, copy=False)
        elif var.type == "Num":
            columns[var.name] = _numbers(values)
        else:
            columns[var.name] = _texts(values, present)
    return pd.DataFrame(columns, index=data.index).reset_index(drop=True)


_DTYPES = {"Num": float, "Char": object}
#: Column dtypes whose values are the numbers themselves: float64 holds each exactly (the
#: engine's ``str`` then ``to_numeric`` round trip gives the same doubles; measured on 400,000
#: random doubles with pandas 3.1).
_NUMBER_DTYPES = frozenset({"float64", "int64", "int32", "Float64", "Int64", "Int32"})


def _numbers(values: pd.Series) -> pd.Series:
    """A column as float64: numbers as they are, text parsed (NaN where it is not a number).

    A column of numbers is converted directly; a text column is parsed once per distinct
    text; anything else is written as text and parsed back (``str`` then ``to_numeric``).
    """
    if str(values.dtype) in _NUMBER_DTYPES:
        return values.astype(float)  # missing (NaN, pd.NA) becomes NaN
    if _all_text(values):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        parsed = pd.to_numeric(pd.Series(uniques, dtype="string"), errors="coerce")
        numbers = np.append(parsed.astype(float).to_numpy(), np.nan)[codes]
        return pd.Series(numbers, index=values.index, dtype=float)
    return pd.to_numeric(values.astype("string"), errors="coerce").astype(float)


def _texts(values: pd.Series, present: np.ndarray) -> pd.Series:
    """A column as ``str`` values, missing as None (object dtype); what is not text is
    written as text. ``present`` is ``values.notna()``."""
    if _all_text(values):
        # already text: the same values, missing as None, without a conversion per record
        text = values.to_numpy(dtype=object, copy=True)
        text[~present] = None
        return pd.Series(text, index=values.index, dtype=object)
    return values.astype("string").astype(object).where(present, None)


def _all_text(values: pd.Series) -> bool:
    """Whether every present value is a ``str`` (a str column, or an object column of text
    and missing values only)."""
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        return True
    return pd.api.types.is_object_dtype(values) and pd.api.types.infer_dtype(values) in (
        "string",
        "empty",
    )


def dataset_def(frame: pd.DataFrame, name: str, standards: Standards) -> DatasetDef:
    """A DatasetDef for ``frame`` from SDTMIG 3.4 (labels, types, core, role, codelists)."""
    info = standards.sdtm_dataset(name)
    variables = []
    for order, var in enumerate((v for v in standards.sdtm_variables(name) if v.name in frame), 1):
        if var.type == "Num":
            data_type = "integer" if var.name.endswith(_INTEGER) else "float"
        else:
            data_type = "datetime" if var.name.endswith("DTC") else "text"
        derived = var.name.endswith(_DERIVED) or var.name.startswith("RF")
        variables.append(
            VariableDef(
                name=var.name,
                label=var.label,
                data_type=data_type,
                order=order,
                mandatory=var.core == "Req",
                core=var.core,
                role=var.role,
                codelist=var.codelist[0] if var.codelist else None,
                origin=Origin("Derived") if derived else Origin("Collected", "Investigator"),
            )
        )
    seq = [v.name for v in variables if v.name.endswith("SEQ")]
    keys = ("STUDYID", "USUBJID", *seq) if "USUBJID" in frame else ()
    natural = NATURAL_KEYS.get("SUPP" if name.startswith("SUPP") else name)
    if natural is not None and all(k in frame for k in natural):
        keys = natural
    return DatasetDef(
        name=name,
        label=info.label,
        purpose="Tabulation",
        standard="SDTMIG 3.4",
        cdisc_class=info.cdisc_class,
        structure=info.structure,
        variables=tuple(variables),
        keys=keys,
    )
