"""SE (subject elements) and SV (subject visits): what each subject actually did.

SE: per subject the elements of its arm path it traversed, dated from DM's reference dates
by the design's element start rules (:func:`sdtm.design.subject_elements`): SESTDTC the
element's start, SEENDTC the next element's start (the last element: RFPENDTC).

SV: one record per subject per visit attended, from the raw records of every form: a raw
record belongs to the visit its event (``_event``) maps to; its date is the form's field
named in ``design.visit_dates``. SVSTDTC/SVENDTC are the earliest/latest of those dates.
Unscheduled records of one subject and date are one visit, numbered as the domains number
them (:func:`sdtm.design.derive_visit`: previous scheduled VISITNUM + 0.01, ...).

Visit windows: a dated record of a scheduled visit whose study day (against RFSTDTC) lies
outside ``day - before .. day + after`` is reported (``visit-out-of-window``) and kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.readers.base import RawExport
from sdtm.algorithms import Context, assign_datetime
from sdtm.design import Design, derive_epoch, derive_visit, subject_elements, subject_ids
from sdtm.distinct import by_value
from sdtm.engine import ISSUE_COLUMNS
from sdtm.studyday import compute_dy

#: Problem code of a scheduled-visit record dated outside the visit's window (a warning).
OUT_OF_WINDOW = "visit-out-of-window"


def _iso(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").astype("string")


def derive_se(
    dm: pd.DataFrame, design: Design, studyid: str, elements: pd.DataFrame | None = None
) -> pd.DataFrame:
    """SE records with SESEQ, SESTDY/SEENDY and DM's lineage columns. ``elements``:
    :func:`sdtm.design.subject_elements` of ``dm`` when the caller has it (None: worked out).

    >>> from sdtm.design import ArmStep, Element
    >>> d = Design(elements=(Element("SCRN", "SCREENING", "x", start_ref="RFICDTC"),
    ...                      Element("TRT", "TREATMENT", "x", start_ref="RFXSTDTC")),
    ...            arm_paths={"A": (ArmStep("SCRN", "SCREENING"), ArmStep("TRT", "TREATMENT"))})
    >>> dm = pd.DataFrame({"USUBJID": ["1"], "ARMCD": ["A"], "RFICDTC": ["2021-01-01"],
    ...     "RFXSTDTC": ["2021-01-09"], "RFSTDTC": ["2021-01-09"], "RFPENDTC": ["2021-03-01"],
    ...     "_file": "f", "_form": "dm", "_record": "1", "_subject": "1"})
    >>> derive_se(dm, d, "S")[["ETCD", "SESTDTC", "SEENDTC", "SESTDY"]].values.tolist()
    [['SCRN', '2021-01-01', '2021-01-09', -8], ['TRT', '2021-01-09', '2021-03-01', 1]]
    """
    spans = subject_elements(dm, design) if elements is None else elements
    if not len(spans):
        return pd.DataFrame()
    lineage = dm.drop_duplicates("USUBJID").set_index("USUBJID")
    out = pd.DataFrame(
        {
            "STUDYID": studyid,
            "DOMAIN": "SE",
            "USUBJID": spans["USUBJID"].astype("string"),
            "ETCD": spans["ETCD"],
            "ELEMENT": spans["ELEMENT"],
            "TAETORD": spans["TAETORD"],
            "EPOCH": spans["EPOCH"],
            "SESTDTC": _iso(spans["START"]),
            "SEENDTC": _iso(spans["END"]),
        }
    )
    rfstdtc = out["USUBJID"].map(lineage["RFSTDTC"]).astype("string")
    out["SESTDY"] = compute_dy(out["SESTDTC"], rfstdtc)
    out["SEENDY"] = compute_dy(out["SEENDTC"].fillna(""), rfstdtc)
    out["SESEQ"] = out.groupby("USUBJID").cumcount() + 1
    for col in ("_file", "_form", "_record", "_subject"):
        out[col] = out["USUBJID"].map(lineage[col].astype(str)).to_numpy()
    return out


def _visit_records(
    export: RawExport, design: Design, context: Context, studyid: str
) -> pd.DataFrame:
    """Every raw record whose event is a scheduled or unscheduled visit, with its date."""
    events = {e for v in design.visits for e in v.events} | set(design.unscheduled)
    kept = []
    for form, raw in sorted(export.forms.items()):
        if not len(raw) or "_event" not in raw:
            continue
        raw = raw[raw["_event"].astype("string").isin(events).fillna(False).to_numpy(bool)]
        if not len(raw):
            continue
        field = design.visit_dates.get(form)
        if field is not None and field in raw:
            dtc = assign_datetime(raw, field, context=context).values.astype("string")
        else:
            dtc = pd.Series(pd.NA, index=raw.index, dtype="string")
        kept.append((form, raw, dtc))
    if not kept:
        return pd.DataFrame()
    # USUBJID once for the distinct (subject, site) keys of every form, not once per form:
    # each form repeats the study's subjects
    keys = pd.concat([raw[["_subject", "_site"]] for _, raw, _ in kept], ignore_index=True)
    ids = subject_ids(keys, studyid, design)[0].to_numpy()
    parts, start = [], 0
    for form, raw, dtc in kept:
        usubjid, start = ids[start : start + len(raw)], start + len(raw)
        parts.append(
            pd.DataFrame(
                {
                    "USUBJID": usubjid,
                    "_event": raw["_event"].astype("string").to_numpy(),
                    "_dtc": by_value(dtc, _date_part).to_numpy(),
                    "_file": raw["_file"].astype(str).to_numpy(),
                    "_form": form,
                    "_record": raw["_record"].astype(str).to_numpy(),
                    "_subject": raw["_subject"].astype(str).to_numpy(),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["USUBJID"])
    return frame.astype({"USUBJID": "string", "_dtc": "string", "_event": "string"})


def _date_part(dtc: pd.Series) -> pd.Series:
    """The date of ISO 8601 text with a complete date (its first 10 characters), else missing."""
    return dtc.str[:10].where(dtc.str.len() >= 10)


def visit_numbers(
    export: RawExport, design: Design, context: Context, studyid: str
) -> pd.DataFrame:
    """Every raw record of a visit with its VISITNUM and VISIT, numbered over all forms.

    An unscheduled visit is numbered after the subject's previous scheduled visit among the
    records of every form, so LB, VS and SV give one unscheduled visit one number even when
    a domain lacks that scheduled visit. Columns: USUBJID, _event, _dtc, _file, _form,
    _record, _subject, VISITNUM, VISIT.
    """
    records = _visit_records(export, design, context, studyid)
    if not len(records):
        return records
    visit = derive_visit(records, design)
    records = records.assign(VISITNUM=visit["VISITNUM"], VISIT=visit["VISIT"])
    return records.dropna(subset=["VISITNUM"])


def derive_sv(
    records: pd.DataFrame,
    dm: pd.DataFrame,
    design: Design,
    studyid: str,
    elements: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SV records (one per subject and visit attended) and the out-of-window problems, from
    the raw records' visits (:func:`visit_numbers`, the numbering the domains use too).

    Lineage: ``_form`` the forms of the visit, ``_record`` its raw records as
    ``form:record`` joined with ``;``. VISITDY is the planned day (scheduled visits only);
    SVUPDES names the forms of an unscheduled visit; EPOCH comes from SE at SVSTDTC
    (``elements``: :func:`sdtm.design.subject_elements` of ``dm``, None: worked out).
    Returns ``(sv, problems)``, problems with :data:`sdtm.engine.ISSUE_COLUMNS`.
    """
    if not len(records):
        return pd.DataFrame(), pd.DataFrame(columns=list(ISSUE_COLUMNS))
    unscheduled = records["_event"].isin(design.unscheduled).fillna(False)
    records = records.assign(
        _unsched=unscheduled, _where=records["_form"] + ":" + records["_record"]
    )
    key = ["USUBJID", "VISITNUM"]
    # Records in date order (undated last), then grouped stably, so each visit's records
    # are contiguous and in date order: the first and last dates are SVSTDTC and SVENDTC.
    ordered = records.sort_values(["_dtc", "_form", "_record"]).dropna(subset=key)
    group = ordered.groupby(key, sort=True).ngroup().to_numpy()
    by_visit = np.argsort(group, kind="stable")
    ordered, group = ordered.iloc[by_visit], group[by_visit]
    grouped = ordered.groupby(key, sort=True)
    sv = grouped.agg(
        VISIT=("VISIT", "first"),
        SVSTDTC=("_dtc", "first"),
        SVENDTC=("_dtc", "last"),
        _unsched=("_unsched", "first"),
        _subject=("_subject", "first"),
    )
    sv.insert(4, "_file", _joined(group, ordered["_file"], distinct=True))
    sv.insert(5, "_form", _joined(group, ordered["_form"], distinct=True))
    sv.insert(6, "_record", _joined(group, ordered["_where"], distinct=False))
    sv = sv.reset_index()
    planned = {v.visitnum: v.day for v in design.visits}
    sv["VISITDY"] = sv["VISITNUM"].map(planned).where(~sv["_unsched"]).astype("Int64")
    sv["SVUPDES"] = pd.Series(
        np.where(sv["_unsched"], "UNSCHEDULED VISIT: " + sv["_form"].str.upper(), None),
        dtype="string",
    ).str.replace(";", ", ")
    sv["SVPRESP"] = pd.Series(np.where(sv["_unsched"], None, "Y"), dtype="string")
    sv["SVOCCUR"] = "Y"
    rfstdtc = sv["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFSTDTC"])
    rfstdtc = rfstdtc.astype("string")
    sv["SVSTDY"] = compute_dy(sv["SVSTDTC"].fillna(""), rfstdtc)
    sv["SVENDY"] = compute_dy(sv["SVENDTC"].fillna(""), rfstdtc)
    sv["EPOCH"] = derive_epoch(sv["SVSTDTC"], sv["USUBJID"], dm, design, elements)
    sv.insert(0, "STUDYID", studyid)
    sv.insert(1, "DOMAIN", "SV")
    return sv.drop(columns="_unsched"), _out_of_window(records, dm, design)


def _joined(group: np.ndarray, values: pd.Series, *, distinct: bool) -> np.ndarray:
    """Per group (``group`` sorted, numbered 0..k-1) its values joined with ``;`` in row
    order; ``distinct`` keeps each value's first occurrence only.

    >>> _joined(np.array([0, 0, 0, 1]), pd.Series(["a", "b", "a", "c"]), distinct=True).tolist()
    ['a;b', 'c']
    """
    text = values.to_numpy(dtype=object)
    if distinct:
        seen = pd.DataFrame({"group": group, "value": text}).duplicated().to_numpy()
        group, text = group[~seen], text[~seen]
    first = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, dtype=bool)
    # Each value after a group's first carries its separator; adding the pieces of a group
    # (numpy's add on Python strings concatenates) gives the joined text.
    pieces = np.where(first, text, np.add(";", text.astype(object)))
    return np.add.reduceat(pieces, np.flatnonzero(first)) if len(pieces) else pieces


def _out_of_window(records: pd.DataFrame, dm: pd.DataFrame, design: Design) -> pd.DataFrame:
    """One problem per dated scheduled-visit record outside its visit's window."""
    windows = {v.visitnum: v for v in design.visits if v.window is not None}
    scheduled = records[~records["_unsched"] & records["VISITNUM"].isin(list(windows))]
    rfstdtc = scheduled["USUBJID"].map(
        dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFSTDTC"]
    )
    day = compute_dy(scheduled["_dtc"].fillna(""), rfstdtc.astype("string"))
    low = scheduled["VISITNUM"].map({n: v.day - v.window[0] for n, v in windows.items()})
    high = scheduled["VISITNUM"].map({n: v.day + v.window[1] for n, v in windows.items()})
    outside = (day.notna() & ((day < low) | (day > high))).fillna(False).to_numpy(bool)
    bad = scheduled[outside]
    if not len(bad):
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    text = (
        "study day "
        + day[outside].astype(str)
        + " is outside the window of visit "
        + bad["VISIT"].astype(str)
        + " (day "
        + low[outside].astype(int).astype(str)
        + " to "
        + high[outside].astype(int).astype(str)
        + "); kept as collected"
    )
    return pd.DataFrame(
        {
            "domain": "SV",
            "file": bad["_file"].to_numpy(),
            "form": bad["_form"].to_numpy(),
            "record": bad["_record"].to_numpy(),
            "subject": bad["_subject"].to_numpy(),
            "variable": "VISITDY",
            "code": OUT_OF_WINDOW,
            "message": text.to_numpy(),
            "value": bad["_dtc"].astype(str).to_numpy(),
        },
        columns=list(ISSUE_COLUMNS),
    )
