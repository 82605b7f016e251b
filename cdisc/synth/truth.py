"""Ground truth written beside the export, in ``ground_truth/``.

- ``subjects.csv``: one row per subject with the clean facts (see :data:`SUBJECT_COLUMNS`),
  taken from the clinical model before any defect is injected;
- ``defects.csv``: one row per injected defect (see :data:`DEFECT_COLUMNS`); ``record`` follows
  the lineage convention of ``cdisc/readers/base.py`` (1-based data-row number for CSV files,
  ``StudyEventOID[StudyEventRepeatKey]/FormOID[FormRepeatKey]/ItemGroupOID[ItemGroupRepeatKey]``
  for ODM) and is blank when the defect removed what it would point at;
- ``manifest.json``: study, format, seed, subject count, clean flag, files with byte sizes and
  defect counts per kind (no timestamps, no toolkit version, so reruns are byte-identical).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.defects import EVENT_FIELD, KINDS, SITE_FIELD
from cdisc.synth.design import Design
from cdisc.synth.sink import ExportWriter
from cdisc.synth.subjects import Cohort, day_to_date

SUBJECT_COLUMNS = (
    "subject",
    "site",
    "site_name",
    "arm",
    "arm_label",
    "index_limb",
    "consent_date",
    "randomisation_date",
    "first_dose_date",
    "last_dose_date",
    "death_date",
    "death_cause",
    "first_major_amputation_date",
    "first_major_amputation_side",
    "first_major_amputation_index_limb",
    "index_major_amputation_date",
    "minor_amputation_dates",
    "last_known_alive_date",
    "disposition",
    "disposition_date",
)
DEFECT_COLUMNS = ("kind", "subject", "form", "field", "record", "value", "clean", "detail", "file")
_SIDE = {"1": "LEFT", "2": "RIGHT"}


def _days(frame: pd.DataFrame, col: str) -> np.ndarray:
    """Clean ISO dates of a column as ``datetime64[D]`` (NaT where missing)."""
    return np.array(frame[col].to_numpy(), dtype="datetime64[D]")


def subject_truth(design: Design, coh: Cohort, forms: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Clean per-subject facts of one chunk (``forms`` must not carry defects yet)."""
    s = coh.subjects
    sid = s["sid"].to_numpy(np.int64)
    index = pd.Index(sid)

    def per_subject(frame: pd.DataFrame, col: str, how: str) -> np.ndarray:
        g = pd.Series(_days(frame, col), index=frame["_sid"].to_numpy()).dropna()
        agg = g.groupby(level=0).max() if how == "max" else g.groupby(level=0).min()
        return fmt.iso_dates(agg.reindex(index).to_numpy("datetime64[D]"))

    if design.study == "sail":
        rand = per_subject(forms["RAND"], "RANDDAT", "min")
    else:
        rand = per_subject(forms["COHORT"], "ENRLDAT", "min")
    died = s["died"].to_numpy(bool)
    d1 = s["d1"].to_numpy()
    death = np.where(
        died,
        fmt.iso_dates(
            day_to_date(d1, np.nan_to_num(s["death_day"].to_numpy(), nan=1).astype(np.int64))
        ),
        None,
    )
    amps = coh.amps
    major = amps[amps["major"]].drop_duplicates("sid")
    first_major = major.set_index("sid").reindex(index)
    idx_major = (
        amps[
            amps["major"]
            & (amps["lat"].to_numpy() == s.set_index("sid").loc[amps["sid"], "idx_lat"].to_numpy())
        ]
        .drop_duplicates("sid")
        .set_index("sid")
        .reindex(index)
    )
    minor = amps[~amps["major"]]
    minor_dates = np.full(len(sid), "", dtype=object)
    rank = minor.groupby("sid").cumcount().to_numpy()
    iso_minor = fmt.iso_dates(minor["date"].to_numpy("datetime64[D]"))
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        at = rank == k
        where = index.get_indexer(minor["sid"].to_numpy()[at])
        sep = "" if k == 0 else ";"
        minor_dates[where] = minor_dates[where] + sep + iso_minor[at]
    # Last known alive: the latest dated clean record of the subject (or the death date).
    dated = [(forms["AE"], "AESTDAT"), (forms["AE"], "AEENDAT"), (forms["DS"], "DSSTDAT")]
    dated += [(forms[f.oid], f.date_field) for f in design.forms if f.date_field]
    stacks = [
        pd.Series(coh.visits["date"].to_numpy("datetime64[D]"), index=coh.visits["sid"].to_numpy())
    ]
    stacks += [pd.Series(_days(fr, col), index=fr["_sid"].to_numpy()) for fr, col in dated]
    stacks.append(pd.Series(amps["date"].to_numpy("datetime64[D]"), index=amps["sid"].to_numpy()))
    alive = pd.concat(stacks).dropna().groupby(level=0).max().reindex(index)
    alive = np.where(died, death, fmt.iso_dates(alive.to_numpy("datetime64[D]")))
    decode = design.decode("DSDECOD")
    arms = {a.armcd: a.arm for a in design.arms}
    major_date = first_major["date"].to_numpy("datetime64[D]")
    return pd.DataFrame(
        {
            "subject": s["subjid"].to_numpy(object),
            "site": s["site_no"].to_numpy(object),
            "site_name": np.array([x.name for x in design.sites], dtype=object)[
                s["site"].to_numpy()
            ],
            "arm": s["armcd"].to_numpy(object),
            "arm_label": s["armcd"].map(arms).to_numpy(object),
            "index_limb": s["idx_lat"].map(_SIDE).to_numpy(object),
            "consent_date": fmt.iso_dates(s["consent"].to_numpy("datetime64[D]")),
            "randomisation_date": rand,
            "first_dose_date": per_subject(forms["EX"], "ECSTDAT", "min"),
            "last_dose_date": per_subject(forms["EX"], "ECSTDAT", "max"),
            "death_date": death,
            "death_cause": s["death_cause"].to_numpy(object),
            "first_major_amputation_date": fmt.iso_dates(major_date),
            "first_major_amputation_side": first_major["lat"].map(_SIDE).to_numpy(object),
            "first_major_amputation_index_limb": np.where(
                pd.isna(major_date),
                None,
                np.where(
                    first_major["lat"].to_numpy(object) == s["idx_lat"].to_numpy(object), "Y", "N"
                ),
            ),
            "index_major_amputation_date": fmt.iso_dates(
                idx_major["date"].to_numpy("datetime64[D]")
            ),
            "minor_amputation_dates": minor_dates,
            "last_known_alive_date": alive,
            "disposition": s["ds"].map(decode).to_numpy(object),
            "disposition_date": per_subject(forms["DS"], "DSSTDAT", "max"),
        }
    )


def _records(lineage: pd.Series, rid: np.ndarray, offset: int) -> np.ndarray:
    """Record ids of ``rid``: ODM paths as they are, CSV row numbers shifted by ``offset``."""
    found = lineage.reindex(rid)
    if pd.api.types.is_integer_dtype(lineage.dtype):
        return fmt.integers(found.to_numpy(np.int64) + offset)
    return found.to_numpy(object)


def defect_rows(
    design: Design,
    subjects: pd.DataFrame,
    writer: ExportWriter,
    defects: pd.DataFrame,
    lineage: dict[str, pd.Series],
    offsets: dict[str, int],
) -> pd.DataFrame:
    """Translate a chunk's defects into ground-truth rows for the writer's format.

    ``offsets`` are the data rows each file held before this chunk (added to CSV row numbers).
    """
    if writer.omits:
        defects = defects[~defects["kind"].isin(writer.omits)].reset_index(drop=True)
    if not len(defects):
        return pd.DataFrame({c: np.empty(0, dtype=object) for c in DEFECT_COLUMNS})
    s = subjects
    first = int(s["sid"].iloc[0])
    sid = defects["sid"].to_numpy(np.int64)
    oid = defects["form"].to_numpy(object)
    field = defects["field"].to_numpy(object)
    rid = defects["rid"].to_numpy(np.int64)
    orig = defects["orig_rid"].to_numpy(np.int64)
    value = defects["value"].to_numpy(object).copy()
    clean = defects["clean"].to_numpy(object).copy()
    detail = defects["detail"].to_numpy(object).copy()
    record = np.full(len(defects), "", dtype=object)
    raw_field = np.full(len(defects), "", dtype=object)
    form_name = np.full(len(defects), "", dtype=object)
    files = np.full(len(defects), "", dtype=object)
    for o in pd.unique(oid):
        if not o:
            continue
        form = design.form(o)
        at = oid == o
        form_name[at] = form.name
        name = writer.file_of(form)
        files[at] = name
        lin, offset = lineage[o], offsets.get(name, 0)
        has = at & (rid >= 0)
        record[has] = _records(lin, rid[has], offset)
        dup = at & (orig >= 0)
        detail[dup] = "duplicate of record " + _records(lin, orig[dup], offset)
        for name in pd.unique(field[at]):
            if name:
                raw_field[at & (field == name)] = writer.field_name(form, name)
    kind = defects["kind"].to_numpy(object).copy()
    if writer.kind != "redcap":
        # Only REDCap tells an unanswered checkbox from a blank item; elsewhere it is one.
        blank_box = kind == "checkbox_blank"
        kind[blank_box] = "missing_value"
        detail[blank_box] = KINDS["missing_value"]
    site = field == SITE_FIELD
    if site.any():
        value[site] = writer.site_value(value[site])
        clean[site] = writer.site_value(clean[site])
    ev = field == EVENT_FIELD
    if ev.any():
        value[ev] = writer.event_value(s, sid[ev], value[ev])
        clean[ev] = writer.event_value(s, sid[ev], clean[ev])
    return pd.DataFrame(
        {
            "kind": kind,
            "subject": s["subjid"].to_numpy(object)[sid - first],
            "form": form_name,
            "field": raw_field,
            "record": record,
            "value": np.where(pd.isna(value), "", value),
            "clean": np.where(pd.isna(clean), "", clean),
            "detail": detail,
            "file": files,
        }
    )


def write_csv(frame: pd.DataFrame, path: Path, *, header: bool) -> None:
    """Append ``frame`` to a UTF-8, LF-terminated CSV (header only when asked)."""
    with open(path, "a", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False, header=header, lineterminator="\n")


def write_manifest(path: Path, info: dict, files: list[Path], root: Path) -> None:
    """``manifest.json`` with files (relative, sorted) and their byte sizes."""
    listing = [
        {"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size} for p in sorted(files)
    ]
    body = dict(info, files=listing)
    path.write_text(
        json.dumps(body, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )
