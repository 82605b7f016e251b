"""Study day (--DY, --STDY, --ENDY) from --DTC and the reference start date.

SDTMIG 3.4 section 4.4.4 (reference/sdtm-adam-variables.md 1.4): the date part of the
reference (DM.RFSTDTC) is Day 1; ``--DY = date - reference + 1`` on or after it and
``date - reference`` before it, so the day before the reference is -1 and there is no Day 0.
Only dates with a complete date part take part (P21 SD1084); a partial or missing date on
either side gives a missing study day. Times are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdisc.errors import UsageError
from sdtm._args import reference_dates, require_columns, require_frame, require_name
from sdtm.iso8601 import dtc_days


def compute_dy(dtc: pd.Series, ref_dtc: pd.Series) -> pd.Series:
    """Study day of each ``dtc`` against ``ref_dtc`` (same index), as nullable Int64.

    >>> compute_dy(pd.Series(["2021-06-14", "2021-06-15T08:00", "2021-06"]),
    ...            pd.Series(["2021-06-15"] * 3)).tolist()
    [-1, 1, <NA>]
    """
    return _study_days(dtc_days(dtc), dtc_days(ref_dtc), dtc.index)


def _study_days(date: np.ndarray, ref: np.ndarray, index: pd.Index) -> pd.Series:
    """Study day from ``datetime64[D]`` dates and reference dates (NaT: missing day)."""
    both = ~np.isnat(date) & ~np.isnat(ref)
    diff = np.where(both, (date - ref).astype(np.int64), 0)
    days = np.where(diff >= 0, diff + 1, diff)
    return pd.Series(pd.array(np.where(both, days, 0), dtype="Int64"), index=index).where(both)


def derive_var_dy(
    dataset: pd.DataFrame,
    ref_dtc: str | pd.Series,
    dtc: str,
    new_var: str,
) -> pd.DataFrame:
    """Add study day ``new_var`` (Int64) from ``dtc`` against the reference start date.

    ``ref_dtc`` is a column of ``dataset`` (usually RFSTDTC merged from DM) or a Series on
    ``dataset.index``. Both hold ISO 8601 text (``parse_dtc`` output); text that is not ISO
    8601 raises InputError. Returns a new frame; ``dataset`` is not changed.

    >>> ae = pd.DataFrame({"AESTDTC": ["2021-06-14", "2021-06-15"], "RFSTDTC": "2021-06-15"})
    >>> derive_var_dy(ae, "RFSTDTC", "AESTDTC", "AESTDY")["AESTDY"].tolist()
    [-1, 1]
    """
    function = "derive_var_dy"
    dataset = require_frame(dataset, function)
    new_var = require_name(new_var, "new_var", function)
    dtc = require_name(dtc, "dtc", function)
    columns = [("dtc", dtc)]
    if isinstance(ref_dtc, str):
        columns.append(("ref_dtc", ref_dtc))
    require_columns(dataset, columns, function)
    reference = reference_dates(dataset, ref_dtc, function)
    out = dataset.copy(deep=False)  # copy-on-write: adding a column leaves dataset as is
    out[new_var] = compute_dy(dataset[dtc], reference)
    return out


def derive_vars_dy(
    dataset: pd.DataFrame,
    ref_dtc: str | pd.Series,
    source_vars: Sequence[str] | Mapping[str, str],
) -> pd.DataFrame:
    """Add several study days at once, e.g. --STDY and --ENDY.

    ``source_vars`` is a list of --DTC columns, each giving the column named with ``DTC``
    replaced by ``DY`` (``AESTDTC`` -> ``AESTDY``, ``VSDTC`` -> ``VSDY``), or a mapping
    ``{new_var: dtc}``.

    >>> ae = pd.DataFrame({"AESTDTC": ["2021-06-14"], "AEENDTC": ["2021-06-20"],
    ...                    "RFSTDTC": ["2021-06-15"]})
    >>> derive_vars_dy(ae, "RFSTDTC", ["AESTDTC", "AEENDTC"])[["AESTDY", "AEENDY"]].values.tolist()
    [[-1, 6]]
    """
    function = "derive_vars_dy"
    dataset = require_frame(dataset, function)
    if isinstance(source_vars, Mapping):
        pairs = list(source_vars.items())
    elif isinstance(source_vars, Sequence) and not isinstance(source_vars, str):
        bad = [name for name in source_vars if not str(name).endswith("DTC")]
        if bad:
            raise UsageError(
                f"{function}: source_vars {bad} do not end in DTC, so their DY name is unknown",
                hint='pass a mapping instead, e.g. {"AESTDY": "AESTDTC"}',
            )
        pairs = [(name[: -len("DTC")] + "DY", name) for name in source_vars]
    else:
        raise UsageError(
            f"{function}: source_vars must be a list of --DTC columns or a mapping, "
            f"not {source_vars!r}",
            hint='for example ["AESTDTC", "AEENDTC"]',
        )
    columns = [("source_vars", dtc) for _, dtc in pairs]
    if isinstance(ref_dtc, str):
        columns.append(("ref_dtc", ref_dtc))
    require_columns(dataset, columns, function)
    reference = reference_dates(dataset, ref_dtc, function)
    out = dataset.copy(deep=False)  # copy-on-write: adding columns leaves dataset as is
    ref = None  # the reference is read once, after the first --DTC (as compute_dy reads)
    for new_var, dtc in pairs:
        date = dtc_days(dataset[dtc])
        ref = dtc_days(reference) if ref is None else ref
        out[require_name(new_var, "source_vars", function)] = _study_days(date, ref, dataset.index)
    return out
