"""Turn an engine frame into an output dataset: SDTMIG variables in order, types, DatasetDef.

Req and Exp variables are always present (missing when not mapped); Perm variables only when
they hold at least one value. Labels, types and order come from ``Standards``; lengths from
the data (``cdisc.writers.lengths``).
"""

from __future__ import annotations

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

    >>> out = output_frame(pd.DataFrame({"USUBJID": ["S-1"], "AETERM": ["Headache"], "AESEQ": [1]}),
    ...                    "AE", Standards.load())
    >>> list(out.columns)[:5], out["AESEQ"].tolist()
    (['STUDYID', 'DOMAIN', 'USUBJID', 'AESEQ', 'AETERM'], [1.0])
    """
    columns = {}
    for var in standards.sdtm_variables(name):
        present = var.name in data and data[var.name].notna().any()
        if not present and var.core == "Perm":
            continue
        if var.name in data:
            values = data[var.name]
        else:
            values = pd.Series(pd.NA, index=data.index, dtype="string")
        if var.type == "Num":
            columns[var.name] = pd.to_numeric(values.astype("string"), errors="coerce").astype(
                float
            )
        else:
            columns[var.name] = values.astype("string").astype(object).where(values.notna(), None)
    return pd.DataFrame(columns, index=data.index).reset_index(drop=True)


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
