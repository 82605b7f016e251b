"""Turn a derived ADaM frame into an output dataset: types, SAS dates and its DatasetDef.

Labels and types come from ADaMIG 1.3 (``Standards.adam_variable``, which resolves the IG's
name patterns: ``TRT01P`` is ``TRTxxP``, ``CRIT1FL`` is ``CRITyFL``) or, for a sponsor
variable, from the spec's ``sponsor_variables``. Dates (``datetime64``) become SAS dates,
days since 1960-01-01, with the display format ``DATE9.``; lengths come from the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.errors import SpecError
from cdisc.metadata import DatasetDef, Origin, VariableDef
from cdisc.standards import Standards

#: SAS dates count days from this day.
SAS_EPOCH = pd.Timestamp("1960-01-01")
#: Variables whose values the spec sets, not derives (define origin Assigned).
ASSIGNED = {"PARAMCD", "PARAM", "PARAMN", "AVISIT", "AVISITN"} | {f"CRIT{i}" for i in range(1, 10)}
#: def:Structure of a dataset of each ADaM structure.
STRUCTURES = {
    "ADSL": "One record per subject",
    "TTE": "One record per subject per parameter",
    "BDS": "One record per subject per parameter per analysis visit",
}
#: The natural keys of a dataset of each ADaM structure, in KeySequence order.
KEYS = {
    "ADSL": ("STUDYID", "USUBJID"),
    "TTE": ("STUDYID", "USUBJID", "PARAMCD"),
    "BDS": ("STUDYID", "USUBJID", "PARAMCD", "AVISITN"),
}


def output_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with dates as SAS day numbers, numbers as floats and text as str/None.

    >>> out = output_frame(pd.DataFrame({"TRTSDT": pd.to_datetime(["1960-01-02", None]),
    ...                                  "AVAL": [1, None], "SEX": ["F", None]}))
    >>> out["TRTSDT"].tolist(), out["AVAL"].tolist(), out["SEX"].tolist()
    ([1.0, nan], [1.0, nan], ['F', None])
    """
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            columns[name] = ((values - SAS_EPOCH).dt.days).astype(float)
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            columns[name] = values.astype(float)
        else:
            text = values.astype("string")
            columns[name] = text.astype(object).where(text.notna() & (text != ""), None)
    return pd.DataFrame(columns, index=frame.index).reset_index(drop=True)


def dataset_def(
    frame: pd.DataFrame,
    name: str,
    structure: str,
    standards: Standards,
    *,
    label: str,
    sponsor: dict[str, dict] | None = None,
    methods: dict[str, str] | None = None,
    predecessors: dict[str, str] | None = None,
    numeric: set[str] = frozenset(),
    dates: set[str] = frozenset(),
) -> DatasetDef:
    """The DatasetDef of an ADaM dataset whose columns are ``frame``'s, in that order.

    ``numeric`` and ``dates`` name the columns that were numbers and dates before
    :func:`output_frame`; ``predecessors`` maps a copied variable to its source
    (``DM.AGE``: origin Predecessor); ``methods`` gives each derived variable's method in
    words. A column that is neither an ADaMIG variable of ``structure`` nor a sponsor
    variable is a SpecError naming it.
    """
    sponsor, methods, predecessors = sponsor or {}, methods or {}, predecessors or {}
    info = standards.adam_structure(structure)
    variables = []
    for order, column in enumerate(frame.columns, 1):
        ig = standards.adam_variable(structure, column)
        if ig is None and column in predecessors:
            # A copy keeps its source's metadata: a DM variable ADaMIG does not list
            # (ETHNIC) its SDTMIG label, an ADSL variable in ADTTE (SAFFL) its ADSL one.
            dataset, _, variable = predecessors[column].partition(".")
            if dataset == "ADSL":
                ig = standards.adam_variable("ADSL", variable)
            else:
                ig = standards.sdtm_variable(dataset, variable)
        if column in sponsor:
            label_, xpt_type = sponsor[column]["label"], sponsor[column]["type"]
            core = ""
        elif ig is not None:
            label_, xpt_type, core = ig.label, ig.type, ig.core
        else:
            raise SpecError(
                f"{name}.{column} is neither an ADaMIG 1.3 {structure} variable nor declared",
                hint="declare its label and type under sponsor_variables",
            )
        if column in dates:
            data_type, display = "integer", "DATE9."
        elif xpt_type == "Num" or column in numeric:
            whole = frame[column].dropna()
            integral = bool(len(whole)) and bool(np.all(np.mod(whole.to_numpy(float), 1) == 0))
            data_type, display = ("integer" if integral else "float"), None
        else:
            data_type, display = "text", None
        if column in predecessors:
            origin = Origin("Predecessor", predecessors[column])
        elif column in ASSIGNED:
            origin = Origin("Assigned", "Sponsor")
        else:
            origin = Origin("Derived", "Sponsor")
        codelist = None
        if ig is not None and ig.codelist:
            codelist = ig.codelist[0]
        elif ig is not None and ig.value_list.replace(" ", "") in ("Y;N", "Y"):
            codelist = "C66742"  # the IG lists Y/N: CDISC's No Yes Response (NY)
        variables.append(
            VariableDef(
                name=column,
                label=label_,
                data_type=data_type,
                order=order,
                mandatory=core == "Req",
                core=core,
                origin=origin,
                method=methods.get(column),
                display_format=display,
                codelist=codelist,
            )
        )
    keys = tuple(k for k in KEYS.get(structure, ()) if k in frame.columns)
    return DatasetDef(
        name=name,
        label=label,
        purpose="Analysis",
        standard="ADaMIG 1.3",
        cdisc_class=info.cdisc_class,
        structure=STRUCTURES[structure],
        repeating=structure != "ADSL",
        variables=tuple(variables),
        keys=keys,
        subclass=info.subclass,
    )
