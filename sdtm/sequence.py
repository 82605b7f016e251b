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
    directions = [True] * len(by) + ascending
    codes = [_sort_codes(dataset[c], up) for c, up in zip(columns, directions, strict=True)]
    # np.lexsort is stable and sorts on its last key first: ties keep their input order.
    order_of = np.lexsort(codes[::-1]) if codes else np.arange(len(dataset))
    if strict:
        tied = _same_as_previous(codes, order_of) if codes else np.arange(len(dataset)) > 0
        tied[:-1] |= tied[1:].copy()  # both rows of a tie are named
        if tied.any():
            rows = dataset.index[order_of[tied]]
            shown = ", ".join(str(r) for r in rows[:6]) + (" ..." if len(rows) > 6 else "")
            raise InputError(
                f"{function}: {int(tied.sum())} rows share every value of "
                f"{', '.join(columns) or '(no columns)'}: rows {shown}",
                location=f"record {rows[0]}",
                hint="add a column that tells them apart to order (e.g. _file, _record)",
            )
    # The rows of a by group are consecutive once sorted: each row's number is its distance
    # from the group's first row, plus one.
    steps = np.arange(len(order_of))
    same_group = _same_as_previous(codes[: len(by)], order_of) if by else steps > 0
    starts = np.where(same_group, 0, steps)
    seq = steps - np.maximum.accumulate(starts) + 1 if len(steps) else steps
    values = np.empty(len(order_of), dtype=np.int64)
    values[order_of] = seq
    # A shallow copy: copy-on-write keeps ``dataset`` as it was when a column is added.
    out = dataset.copy(deep=False)
    out[new_var] = pd.array(values, dtype="Int64")
    return out


def _sort_codes(values: pd.Series, ascending: bool) -> np.ndarray:
    """Integer sort keys of a column, as ``DataFrame.sort_values`` orders it (pandas'
    ``lexsort_indexer`` does the same): ranks of the ordered categories, missing last."""
    ranks = pd.Categorical(values, ordered=True)
    codes, n = ranks.codes.astype(np.int64), len(ranks.categories)
    missing = codes < 0
    return np.where(missing, n, codes if ascending else n - codes - 1)


def _same_as_previous(codes: list[np.ndarray], order_of: np.ndarray) -> np.ndarray:
    """Per sorted row: whether every key equals the previous sorted row's (first: False)."""
    same = np.ones(len(order_of), dtype=bool)
    same[:1] = False
    for key in codes:
        ranked = key[order_of]
        same[1:] &= ranked[1:] == ranked[:-1]
    return same


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
