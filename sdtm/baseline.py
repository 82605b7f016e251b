"""--LOBXFL / --BLFL: flag the last non-missing result on or before the reference start.

SDTMIG 3.3 introduced --LOBXFL, "Last Observation Before Exposure Flag": the last non-missing
value prior to RFXSTDTC, operationally derived; in SDTMIG 3.4 LBLOBXFL, VSLOBXFL and EGLOBXFL
are Expected and --BLFL is Permissible, kept for backward compatibility (reference/
sdtm-adam-variables.md 1.7). The analysis baseline is ADaM's ABLFL, not this flag.

Rules this module applies:

* Candidates: a result that is present (not blank), whose status is not ``NOT DONE``, that
  passes ``filter``, and whose date and the reference's date are both complete.
* On or before: when both sides carry a time, the datetimes are compared (at minute
  precision unless both have seconds), and a result at the very time of the reference counts.
  When either side has no time, only dates are compared, and **a result on the reference
  day counts as before exposure**: CRFs usually collect Day 1 assessments pre-dose without a
  time, and admiral's baseline derivations compare dates the same way (``ADT <= TRTSDT``).
* Latest: the candidate with the latest date, then the latest time. Candidates on that date
  that cannot be ordered (the same time, or one of them without a time) are a tie: the last
  in ``order`` (then input order) is flagged and the tie is reported (``baseline-tie``).
* Results whose timing cannot be compared with the reference (partial or missing date while
  the reference date is complete) are reported (``undetermined-timing``), never flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc.errors import UsageError
from sdtm._args import (
    TEXT,
    aligned,
    name_list,
    reference_dates,
    require_columns,
    require_frame,
    require_name,
)
from sdtm.distinct import rows_where
from sdtm.iso8601 import dtc_moments

FINDING_COLUMNS = ("code", "message", "by", "records", "rows", "chosen")

_MESSAGES = {
    "baseline-tie": (
        "several results share the latest date/time on or before the reference; "
        "the last in the declared order is flagged"
    ),
    "undetermined-timing": (
        "results with a partial or missing date cannot be placed before or after the "
        "reference and are not flagged"
    ),
}


def derive_var_blfl(
    dataset: pd.DataFrame,
    by_vars: str | Sequence[str] = ("USUBJID", "VSTESTCD"),
    ref_dtc: str | pd.Series = "RFXSTDTC",
    dtc: str = "VSDTC",
    value: str = "VSORRES",
    new_var: str = "VSLOBXFL",
    *,
    order: Sequence[str] = (),
    stat: str | None = None,
    filter: pd.Series | str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flag (``Y``, else missing) the last result on or before the reference per group.

    ``by_vars``: one flag per group (e.g. USUBJID, VSTESTCD, and VSPOS/VSLOC when they
    distinguish measurements). ``ref_dtc``: column (RFXSTDTC merged from DM) or Series on
    ``dataset.index``; ``dtc`` and ``ref_dtc`` hold ISO 8601 text. ``value``: the result
    column (``--ORRES``, or ``--STRESC``). ``stat``: the ``--STAT`` column, if any; ``NOT
    DONE`` rows never count. ``filter``: a boolean row mask (or the name of a boolean column)
    limiting the candidates, e.g. scheduled visits only. ``order``: columns that break ties
    (the last wins), e.g. ``["VSTPTNUM", "VSSEQ"]``. See the module notes for the rules.

    Returns ``(dataset with new_var, findings)``; findings has columns ``code`` (stable:
    ``baseline-tie``, ``undetermined-timing``), ``message``, ``by`` (the group's keys as
    ``NAME=value`` text), ``records`` (rows concerned), ``rows`` (their index labels) and
    ``chosen`` (index label of the flagged row, for ties).

    >>> vs = pd.DataFrame({"USUBJID": ["1", "1", "1"], "VSTESTCD": ["SYSBP"] * 3,
    ...                    "VSDTC": ["2021-06-01", "2021-06-15", "2021-06-20"],
    ...                    "VSORRES": ["120", "118", "121"], "RFXSTDTC": ["2021-06-15"] * 3})
    >>> derive_var_blfl(vs)[0]["VSLOBXFL"].tolist()
    [nan, 'Y', nan]
    """
    function = "derive_var_blfl"
    dataset = require_frame(dataset, function)
    by = name_list(by_vars, "by_vars", function)
    keys = name_list(list(order), "order", function)
    for argument, name in (("dtc", dtc), ("value", value), ("new_var", new_var)):
        require_name(name, argument, function)
    columns = [("by_vars", b) for b in by] + [("order", k) for k in keys]
    columns += [("dtc", dtc), ("value", value)]
    if isinstance(ref_dtc, str):
        columns.append(("ref_dtc", ref_dtc))
    if stat is not None:
        columns.append(("stat", require_name(stat, "stat", function)))
    if isinstance(filter, str):
        columns.append(("filter", filter))
    require_columns(dataset, columns, function)
    reference = reference_dates(dataset, ref_dtc, function)
    mask = _filter(dataset, filter, function)

    position = np.arange(len(dataset))
    v_date, v_time, v_sec = dtc_moments(dataset[dtc])
    r_date, r_time, r_sec = dtc_moments(reference)
    present = _rows_mask(dataset[value], lambda v: v.str.strip() != "")
    if stat is not None:
        present &= ~_rows_mask(dataset[stat], lambda v: v.str.strip().str.upper() == "NOT DONE")
    present &= mask
    both_dates = ~np.isnat(v_date) & ~np.isnat(r_date)
    both_times = ~np.isnan(v_time) & ~np.isnan(r_time)
    # Compare at the coarser of the two time precisions: minutes unless both have seconds.
    v_cmp = np.where(v_sec & r_sec, v_time, np.floor(v_time / 60) * 60)
    r_cmp = np.where(v_sec & r_sec, r_time, np.floor(r_time / 60) * 60)
    same_day = both_dates & (v_date == r_date)
    before = both_dates & (v_date < r_date)
    before |= same_day & (~both_times | (v_cmp <= r_cmp))
    candidate = present & before

    groups = dataset[by].set_axis(position) if by else pd.DataFrame(index=position)
    group_id = _group_ids(groups)
    day = v_date.astype("datetime64[D]").astype(np.int64).astype(float)
    day[~candidate] = np.nan
    last_day = pd.Series(day).groupby(group_id).transform("max").to_numpy()
    on_last_day = candidate & (day == last_day)
    rank_time = np.where(on_last_day, v_time, np.nan)
    last_time = pd.Series(rank_time).groupby(group_id).transform("max").to_numpy()
    tied = on_last_day & (np.isnan(v_time) | np.isnan(last_time) | (v_time == last_time))

    ranked = dataset[keys].set_axis(position).assign(_group=group_id, _position=position)
    ranked = ranked[tied].sort_values(
        ["_group", *keys, "_position"], kind="mergesort", na_position="first"
    )
    chosen = ranked.drop_duplicates("_group", keep="last")["_position"].to_numpy()
    flag = np.full(len(dataset), np.nan, dtype=object)
    flag[chosen] = "Y"
    # A shallow copy: copy-on-write keeps ``dataset`` as it was when a column is added.
    out = dataset.copy(deep=False)
    out[new_var] = pd.Series(flag, index=dataset.index, dtype=TEXT)

    undetermined = present & ~both_dates & ~np.isnat(r_date)
    findings = _findings(dataset, by, group_id, tied, chosen, undetermined)
    return out, findings


def _rows_mask(values: pd.Series, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Boolean row mask: ``test`` of each distinct value as text (missing never passes)."""

    def on_text(distinct: pd.Series) -> np.ndarray:
        return test(distinct.astype(TEXT)).to_numpy(dtype=bool, na_value=False)

    mask = np.zeros(len(values), dtype=bool)
    mask[rows_where(values, on_text)] = True
    return mask


def _group_ids(groups: pd.DataFrame) -> np.ndarray:
    if groups.shape[1] == 0:
        return np.zeros(len(groups), dtype=np.int64)
    return groups.groupby(list(groups.columns), sort=False, dropna=False).ngroup().to_numpy()


def _filter(dataset: pd.DataFrame, filter: pd.Series | str | None, function: str) -> np.ndarray:
    if filter is None:
        return np.ones(len(dataset), dtype=bool)
    mask = dataset[filter] if isinstance(filter, str) else filter
    if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask.dtype):
        raise UsageError(
            f"{function}: filter must be a boolean Series (a row mask) or the name of a "
            "boolean column",
            hint='for example filter=vs["VISIT"] != "UNSCHEDULED"',
        )
    return aligned(mask, dataset, "filter", function).fillna(False).to_numpy(dtype=bool)


def _findings(
    dataset: pd.DataFrame,
    by: list[str],
    group_id: np.ndarray,
    tied: np.ndarray,
    chosen: np.ndarray,
    undetermined: np.ndarray,
) -> pd.DataFrame:
    # Only a group with two or more tied records is a tie; nearly every group has one, so
    # the text below (and the per-group join) is worked for the records reported only.
    counts = np.bincount(group_id[tied], minlength=int(group_id.max(initial=-1)) + 1)
    tied = tied & (counts[group_id] > 1)
    # Index labels as text, for the rows reported only.
    labels = np.full(len(dataset), None, dtype=object)
    keys = np.full(len(dataset), None, dtype=object)
    concerned = np.flatnonzero(tied | undetermined)
    keys[concerned] = _by_text(dataset.iloc[concerned], by)
    chosen = chosen[counts[group_id[chosen]] > 1]  # only a tie names its chosen row
    shown = np.union1d(concerned, chosen).astype(np.intp)
    labels[shown] = dataset.index[shown].astype(str).to_numpy(dtype=object)
    chosen_label = pd.Series(labels[chosen], index=group_id[chosen])
    frames = []
    for code, rows in (("baseline-tie", tied), ("undetermined-timing", undetermined)):
        table = pd.DataFrame({"group": group_id[rows], "label": labels[rows], "by": keys[rows]})
        summary = table.groupby("group", sort=True).agg(
            by=("by", "first"), records=("label", "size"), rows=("label", ", ".join)
        )
        if code == "baseline-tie":
            summary = summary[summary["records"] > 1]
            summary["chosen"] = chosen_label.reindex(summary.index).to_numpy()
        else:
            summary["chosen"] = np.nan
        summary.insert(0, "message", _MESSAGES[code])
        summary.insert(0, "code", code)
        frames.append(summary)
    findings = pd.concat(frames, ignore_index=True)
    findings = findings.astype(
        {"code": TEXT, "message": TEXT, "by": TEXT, "rows": TEXT, "chosen": TEXT}
    )
    findings["records"] = findings["records"].astype("int64")
    return findings[list(FINDING_COLUMNS)]


def _by_text(dataset: pd.DataFrame, by: list[str]) -> np.ndarray:
    """``NAME=value, NAME=value`` per row, for the findings' ``by`` column."""
    text = pd.Series("", index=dataset.index, dtype=object)
    for i, name in enumerate(by):
        piece = name + "=" + dataset[name].astype(TEXT).fillna("")
        text = text + (", " if i else "") + piece
    return text.to_numpy(dtype=object)
