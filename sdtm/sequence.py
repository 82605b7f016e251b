"""--SEQ: 1..n within each subject, in a declared, deterministic sort order.

SDTMIG 3.4 section 3.2.1.1 (reference/sdtm-adam-variables.md 1.3): --SEQ makes a subject's
records unique within a domain; SUPP--, RELREC and ADaM SRCSEQ point at it, so it must not
change between deliveries of the same data. Sorting on the domain's natural key, then on
lineage keys (``_file``, ``_record``) for records the key cannot tell apart, gives that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc.errors import InputError, UsageError
from sdtm._args import name_list, require_columns, require_frame, require_name


def derive_var_seq(
    dataset: pd.DataFrame,
    by_vars: str | Sequence[str] = ("USUBJID",),
    order: Sequence[str | tuple[str, str]] = (),
    new_var: str = "AESEQ",
    *,
    strict: bool = False,
) -> pd.DataFrame:
    """Add ``new_var`` (Int64): 1..n within each ``by_vars`` group in ``order``.

    ``order`` items are column names (ascending) or ``(name, "asc" | "desc")``. Missing
    values sort last. Rows that ``by_vars`` + ``order`` cannot tell apart keep their input
    order, unless ``strict=True``, which raises InputError naming them: pass lineage keys
    (``_file``, ``_record``) at the end of ``order`` so the order never rests on the input.
    Rows keep their place and index; only the new column is added.

    >>> ae = pd.DataFrame({"USUBJID": ["1", "1", "2"], "AESTDTC": ["2021-02", "2021-01", "2021"]})
    >>> derive_var_seq(ae, order=["AESTDTC"])["AESEQ"].tolist()
    [2, 1, 1]
    """
    function = "derive_var_seq"
    dataset = require_frame(dataset, function)
    by = name_list(by_vars, "by_vars", function)
    new_var = require_name(new_var, "new_var", function)
    keys, ascending = _order(order, function)
    require_columns(
        dataset,
        [("by_vars", name) for name in by] + [("order", name) for name in keys],
        function,
    )
    if new_var in by or new_var in keys:
        raise UsageError(
            f"{function}: new_var {new_var!r} is also a sort column",
            hint="name the sequence variable differently from by_vars and order",
        )
    columns = by + keys
    position = pd.RangeIndex(len(dataset))
    frame = dataset[columns].set_axis(position)
    if columns:
        frame = frame.sort_values(
            columns,
            ascending=[True] * len(by) + ascending,
            kind="mergesort",
            na_position="last",
        )
    if strict:
        tied = frame.duplicated(columns, keep=False) if columns else pd.Series(len(frame) > 1)
        if tied.any():
            rows = dataset.index[frame.index[tied.to_numpy()]]
            shown = ", ".join(str(r) for r in rows[:6]) + (" ..." if len(rows) > 6 else "")
            raise InputError(
                f"{function}: {int(tied.sum())} rows share every value of "
                f"{', '.join(columns) or '(no columns)'}: rows {shown}",
                location=f"record {rows[0]}",
                hint="add a column that tells them apart to order (e.g. _file, _record)",
            )
    if by:
        seq = frame.groupby(by, sort=False, dropna=False).cumcount().to_numpy() + 1
    else:
        seq = np.arange(1, len(frame) + 1)
    values = np.empty(len(frame), dtype=np.int64)
    values[frame.index.to_numpy()] = seq
    out = dataset.copy()
    out[new_var] = pd.array(values, dtype="Int64")
    return out


def _order(order: Sequence[str | tuple[str, str]], function: str) -> tuple[list[str], list[bool]]:
    if isinstance(order, str):
        order = [order]
    keys: list[str] = []
    ascending: list[bool] = []
    bad = []
    for item in order if isinstance(order, Sequence) else [order]:
        if isinstance(item, str):
            keys.append(item)
            ascending.append(True)
        elif (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and item[1] in ("asc", "desc")
        ):
            keys.append(item[0])
            ascending.append(item[1] == "asc")
        else:
            bad.append(item)
    if bad:
        raise UsageError(
            f"{function}: order items must be column names or (name, 'asc'|'desc'), not {bad!r}",
            hint='for example order=["AESTDTC", ("AETERM", "asc"), "_record"]',
        )
    return keys, ascending
