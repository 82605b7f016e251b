"""REDCap export writer: raw data CSV plus the project's metadata files.

Files, in the shapes REDCap's exports and API use (see /work/shared/edc-exports/redcap):

- ``data.csv``: the raw (coded) "stacked" export: ``record_id, redcap_event_name,
  redcap_repeat_instrument, redcap_repeat_instance, redcap_data_access_group`` then every field
  in dictionary order, each instrument followed by ``<instrument>_complete`` (0/1/2); checkbox
  fields expand to ``field___code`` columns exported 0/1 (blank on rows of events where the
  instrument is not designated). Non-repeating instruments of an event share one row;
  repeating instruments (visit log lines, labs, AEs) have one row per instance; the
  UNSCHEDULED event is a repeating event (instrument blank, instance set). Values with a comma,
  quote, line break or space are quoted, as REDCap does. The messy export starts with a UTF-8
  BOM and uses CRLF line ends (both recorded as file-level defects).
- variables are the lower-case CDASH names, prefixed with the instrument where several
  instruments share a name (``hema_lbdat``, ``chem_lbdat``), since REDCap variables are unique;
- ``dictionary.csv``: the 18-column data dictionary (choices ``1, Male | 2, Female``;
  validation ``date_ymd``/``time``/``integer``/``number`` on fields that never hold messy text,
  none on the others, as for fields migrated from paper).
- ``event.csv`` (``event_name, arm_num, day_offset, offset_min, offset_max, unique_event_name,
  custom_event_label, event_id``), ``arm.csv`` (``arm_num, name``) and
  ``instrument_designation.csv`` (``arm_num, unique_event_name, form``). Which instruments
  repeat shows in the data (``redcap_repeat_instrument``).

Trial A's dose cohorts are REDCap arms (``*_arm_1`` = 20x10^6, ``*_arm_2`` = 60x10^6); trial B
has one arm (blinded).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.defects import EVENT_FIELD, SUBJECT_FIELD, values
from cdisc.synth.design import Design, Field, Form
from cdisc.synth.identity import SUBJECT_KEY
from cdisc.synth.revisions import CB_BLANK
from cdisc.synth.sink import ExportWriter, Rendered, file_defect
from cdisc.synth.subjects import Cohort

DICT_HEADER = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
SYSTEM = (
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
)
_BRANCHING = {
    **{
        n: "[aeser] = '1'"
        for n in ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")
    },
    "AEENDAT": "[aeongo] = '0'",
    "WTREASND": "[wtperf] = '0'",
}
_REQUIRED = {"ICDAT", "AETERM", "AESTDAT", "DSSTDAT", "DSDECOD"}


def unique_event_name(label: str, arm: int) -> str:
    """REDCap's unique event name: lower case, ``_`` for spaces, other symbols dropped,
    18 characters at most, then ``_arm_<n>``. Example: ``MONTH 6 (PRIMARY)`` ->
    ``month_6_primary_arm_1``."""
    base = re.sub(r"[^a-z0-9_]", "", label.lower().replace(" ", "_"))
    base = re.sub(r"_+", "_", base).strip("_")[:18].rstrip("_")
    return f"{base}_arm_{arm}"


def _csv(text: str) -> str:
    return str(fmt.csv_field(np.array([text], dtype=object), quote_all=False, quote_space=True)[0])


def _quote(values: np.ndarray) -> np.ndarray:
    """REDCap's CSV quoting of distinct values (comma, quote, line break or space)."""
    return fmt.csv_field(values, quote_all=False, quote_space=True)


def _line(cells) -> str:
    return ",".join(_csv(str(c)) for c in cells) + "\n"


def field_type(f: Field, options: int) -> str:
    """REDCap field type of a design field with ``options`` choices: yes/no questions are
    ``yesno``, up to five choices ``radio``, longer lists ``dropdown``."""
    if f.kind == "checkbox":
        return "checkbox"
    if f.kind == "coded":
        if f.codelist == "NY":
            return "yesno"
        return "radio" if options <= 5 else "dropdown"
    return "notes" if f.kind == "notes" else "text"


class RedcapWriter(ExportWriter):
    """``data.csv`` streamed chunk by chunk; the metadata files are written when opened."""

    kind = "redcap"
    # Sites are data access groups (names), so a renumbered site does not show.
    omits = frozenset({"site_renumbered"})

    def __init__(self, design: Design, seed: int, clean: bool) -> None:
        super().__init__(design, seed, clean)
        self.eol = "\n" if clean else "\r\n"
        self.arms = (
            [(i + 1, a.arm) for i, a in enumerate(design.arms)]
            if design.redcap_arms
            else [(1, design.study.upper())]
        )
        self.first = design.forms[0]
        seen: dict[str, int] = {}
        for form in design.forms:
            for f in form.fields:
                seen[f.name] = seen.get(f.name, 0) + 1
        self.shared = {name for name, k in seen.items() if k > 1}
        self.columns = self._columns()

    def open(self, folder: Path) -> None:
        """Write the dictionary, events, arms and designations; start data.csv."""
        super().open(folder)
        self._write_metadata()
        header = ",".join([*SYSTEM, *(c for cols in self.columns.values() for c in cols)])
        self.start_file("data.csv", header + self.eol, bom=not self.clean)

    def var(self, form: Form, name: str) -> str:
        """REDCap variable of a field: the lower-case name, prefixed with the instrument when
        several instruments share the CDASH name (REDCap variables are unique per project),
        e.g. ``LBDAT`` on HEMA -> ``hema_lbdat``."""
        low = name.lower()
        return f"{form.name}_{low}" if name in self.shared else low

    # -- metadata ------------------------------------------------------------------------------
    def _event_names(self) -> dict[tuple[int, str], str]:
        return {
            (arm, e.oid): unique_event_name(e.label, arm)
            for arm, _ in self.arms
            for e in self.design.events
        }

    def _write_metadata(self) -> None:
        d = self.design
        names = self._event_names()
        rows = [
            DICT_HEADER,
            (
                "record_id",
                self.first.name,
                "",
                "text",
                "Record ID",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ),
        ]
        for form in d.forms:
            runs = self._matrix_runs(form)
            for f in form.fields:
                choices = (
                    " | ".join(f"{c}, {lbl}" for c, lbl in d.codelists[f.codelist])
                    if f.codelist and f.codelist != "NY"
                    else ""
                )
                valid = (
                    ""
                    if f.messy
                    else {
                        "date": "date_ymd",
                        "time": "time",
                        "integer": "integer",
                        "float": "number",
                    }.get(f.kind, "")
                )
                note = "YYYY-MM-DD" if valid == "date_ymd" else ""
                rows.append(
                    (
                        self.var(form, f.name),
                        form.name,
                        "",
                        field_type(f, len(d.codelists.get(f.codelist or "", ()))),
                        f.label,
                        choices,
                        note,
                        valid,
                        "",
                        "",
                        "y" if f.identifier else "",
                        _BRANCHING.get(f.name, ""),
                        "y" if f.name in _REQUIRED else "",
                        "",
                        "",
                        runs.get(f.name, ""),
                        "",
                        "",
                    )
                )
        assert self.folder is not None
        with open(self.folder / "dictionary.csv", "w", encoding="utf-8", newline="") as fh:
            fh.writelines(_line(r) for r in rows)
        with open(self.folder / "arm.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write("arm_num,name\n")
            fh.writelines(_line(a) for a in self.arms)
        scr_day = d.event("SCR").day
        last = max(e.day for e in d.events if e.day is not None) - scr_day
        with open(self.folder / "event.csv", "w", encoding="utf-8", newline="") as fh:
            fh.write(
                "event_name,arm_num,day_offset,offset_min,offset_max,unique_event_name,"
                "custom_event_label,event_id\n"
            )
            event_id = 4100
            for arm, _ in self.arms:
                extra = 0
                for e in d.events:
                    if e.day is None:
                        extra += 1
                        off, lo, hi = last + extra, 0, 0
                    else:
                        off, lo, hi = e.day - scr_day, e.day - e.lo, e.hi - e.day
                    event_id += 1
                    fh.write(_line((e.label, arm, off, lo, hi, names[(arm, e.oid)], "", event_id)))
        with open(
            self.folder / "instrument_designation.csv", "w", encoding="utf-8", newline=""
        ) as fh:
            fh.write("arm_num,unique_event_name,form\n")
            for arm, _ in self.arms:
                for e in d.events:
                    fh.writelines(
                        _line((arm, names[(arm, e.oid)], d.form(f).name)) for f in e.forms
                    )

    def _matrix_runs(self, form: Form) -> dict[str, str]:
        """Matrix groups: runs of adjacent radio fields sharing a codelist (EQ-5D, SF-36)."""
        if form.oid not in ("EQ5D", "SF36"):
            return {}
        out, run, prev = {}, 0, None
        for f in form.fields:
            if f.kind != "coded":
                prev = None
                continue
            if f.codelist != prev:
                run += 1
                prev = f.codelist
            out[f.name] = f"{form.name}_m{run}"
        return out

    def _columns(self) -> dict[str, list[str]]:
        cols: dict[str, list[str]] = {}
        for form in self.design.forms:
            names = []
            for f in form.fields:
                if f.kind == "checkbox":
                    names += [
                        f"{self.var(form, f.name)}___{c}"
                        for c, _ in self.design.codelists[f.codelist]
                    ]
                else:
                    names.append(self.var(form, f.name))
            cols[form.oid] = [*names, f"{form.name}_complete"]
        return cols

    # -- lineage helpers -----------------------------------------------------------------------
    def field_name(self, form: Form, name: str) -> str:
        """Raw column as the ground truth names it (checkbox fields: the base name)."""
        if name == SUBJECT_FIELD:
            return "record_id"
        return "redcap_event_name" if name == EVENT_FIELD else self.var(form, name)

    def file_of(self, form: Form) -> str:
        """Every instrument lives in data.csv."""
        return "data.csv"

    def _arm(self, subjects: pd.DataFrame, sid: np.ndarray) -> np.ndarray:
        if not self.design.redcap_arms:
            return np.ones(len(sid), dtype=np.int64)
        first = int(subjects["sid"].iloc[0])
        return subjects["arm"].to_numpy(np.int64)[np.asarray(sid, np.int64) - first] + 1

    def _names_for(self, arm: np.ndarray, ev: np.ndarray) -> np.ndarray:
        out = np.empty(len(ev), dtype=object)
        for (a, e), name in self._event_names().items():
            out[(arm == a) & (ev == e)] = name
        return out

    def event_value(self, subjects: pd.DataFrame, sid: np.ndarray, ev: np.ndarray) -> np.ndarray:
        """Unique event names (arm-specific) for event OIDs of the given subjects."""
        return self._names_for(self._arm(subjects, sid), np.asarray(ev, dtype=object))

    # -- data ----------------------------------------------------------------------------------
    def _segment(self, form: Form, frame: pd.DataFrame) -> np.ndarray:
        """``,v1,v2,...,<complete>`` per record of ``form``."""
        n = len(frame)
        seg = np.full(n, "", dtype=object)
        for f in form.fields:
            v = frame[f.name].to_numpy()
            if f.kind == "checkbox":
                codes = [c for c, _ in self.design.codelists[f.codelist]]
                keys, uniq = pd.factorize(np.where(pd.isna(v), "", v).astype(object))
                # An unanswered checkbox marked checkbox_blank exports all blank, not all 0.
                blank = frame[CB_BLANK].to_numpy(bool) if CB_BLANK in frame else np.zeros(n, bool)
                for c in codes:
                    bits = np.array(
                        ["1" if c in str(u).split(",") else "0" for u in uniq], dtype=object
                    )
                    seg = seg + "," + np.where(blank, "", bits[keys])
                continue
            text, _ = fmt.encode(v, lambda u: "," + _quote(u), missing=",")
            seg = seg + text
        # Form status 2 (Complete) for most records, some Unverified (1) or Incomplete (0).
        sid = frame["_sid"].to_numpy(np.int64)
        mark = (
            sid * 7919
            + frame["_rid"].to_numpy(np.int64) * 104729
            + self.design.form_order[form.oid] * 15485863
        ) % 1000
        complete = np.select([mark < 30, mark < 80], ["0", "1"], "2").astype(object)
        return seg + "," + complete

    def render(self, coh: Cohort, forms: dict[str, pd.DataFrame]) -> Rendered:
        """The chunk's rows of data.csv and ``{form OID: Series(row number in the chunk)}``."""
        d = self.design
        order = d.event_order
        nforms = len(d.forms)
        empty = np.array(["," * len(self.columns[f.oid]) for f in d.forms], dtype=object)
        base_keys, recs = [], []
        for fi, form in enumerate(d.forms):
            frame = forms[form.oid]
            ev = values(frame, "_ev")
            ev_i = pd.Series(ev, dtype=object).map(order).to_numpy(np.int64)
            evrep = frame["_evrep"].to_numpy(np.int64)
            repeat = np.full(len(frame), form.repeating) & (ev != "UNS")
            rec = pd.DataFrame(
                {
                    "sid": frame["_sid"].to_numpy(np.int64),
                    "ev": ev,
                    "ev_i": ev_i,
                    "evrep": evrep,
                    "repeat": repeat,
                    "form": fi,
                    "pos": frame["_pos"].to_numpy(np.int64),
                    "rid": frame["_rid"].to_numpy(np.int64),
                    "seg": self._segment(form, frame),
                    # subject_id_variant (repeating rows only): record_id in another format
                    "skey": (
                        values(frame, SUBJECT_KEY)
                        if SUBJECT_KEY in frame
                        else np.full(len(frame), None, dtype=object)
                    ),
                }
            )
            recs.append(rec)
            base_keys.append(rec.loc[~rec["repeat"], ["sid", "ev", "ev_i", "evrep"]])
        recs_all = pd.concat(recs, ignore_index=True)
        base = pd.concat(base_keys, ignore_index=True).drop_duplicates(["sid", "ev_i", "evrep"])
        base = base.assign(repeat=False, form=-1, pos=0)
        base = base.assign(skey=None)
        reps = recs_all.loc[
            recs_all["repeat"], ["sid", "ev", "ev_i", "evrep", "form", "pos", "skey"]
        ]
        rows = pd.concat([base, reps.assign(repeat=True)], ignore_index=True)
        rows = rows.sort_values(
            ["sid", "ev_i", "evrep", "repeat", "form", "pos"], kind="stable"
        ).reset_index(drop=True)
        nrows = len(rows)
        # Every row: prefix, one segment slot per instrument, end of line.
        grid = np.empty((nrows, nforms + 2), dtype=object)
        grid[:, 1:-1] = empty
        grid[:, -1] = self.eol

        def key(f: pd.DataFrame) -> np.ndarray:
            sid, ev_i = f["sid"].to_numpy(np.int64), f["ev_i"].to_numpy(np.int64)
            return (sid * 64 + ev_i) * 1024 + f["evrep"].to_numpy(np.int64)

        rows_key = key(rows)
        is_rep = rows["repeat"].to_numpy(bool)
        base_index = pd.Series(np.flatnonzero(~is_rep), index=rows_key[~is_rep])
        rep_index = pd.Series(
            np.flatnonzero(is_rep),
            index=pd.MultiIndex.from_arrays(
                [rows_key[is_rep], rows["form"].to_numpy()[is_rep], rows["pos"].to_numpy()[is_rep]]
            ),
        )
        lineage = {}
        rec_key = key(recs_all)
        rec_rep = recs_all["repeat"].to_numpy(bool)
        where = np.empty(len(recs_all), dtype=np.int64)
        where[~rec_rep] = base_index.reindex(rec_key[~rec_rep]).to_numpy()
        if rec_rep.any():
            where[rec_rep] = rep_index.reindex(
                pd.MultiIndex.from_arrays(
                    [
                        rec_key[rec_rep],
                        recs_all["form"].to_numpy()[rec_rep],
                        recs_all["pos"].to_numpy()[rec_rep],
                    ]
                )
            ).to_numpy()
        grid[where, 1 + recs_all["form"].to_numpy()] = recs_all["seg"].to_numpy(object)
        number = where + 1
        for fi, form in enumerate(d.forms):
            at = recs_all["form"].to_numpy() == fi
            lineage[form.oid] = pd.Series(number[at], index=recs_all["rid"].to_numpy()[at])
        s = coh.subjects
        first = int(s["sid"].iloc[0])
        si = rows["sid"].to_numpy(np.int64) - first
        arm = self._arm(coh.subjects, rows["sid"].to_numpy())
        ev_names = self._names_for(arm, rows["ev"].to_numpy(object))
        evrep = rows["evrep"].to_numpy(np.int64)
        instr = np.where(
            is_rep,
            np.array([f.name for f in d.forms], dtype=object)[
                np.maximum(rows["form"].to_numpy(np.int64), 0)
            ],
            "",
        )
        inst = np.where(
            is_rep,
            fmt.integers(rows["pos"].to_numpy(np.int64)),
            np.where(evrep > 0, fmt.integers(evrep), ""),
        )
        dag = np.array([x.dag for x in d.sites], dtype=object)[s["site"].to_numpy()[si]]
        skey = rows["skey"].to_numpy(object)
        record_id = np.where(pd.notna(skey), skey, s["subjid"].to_numpy(object)[si])
        grid[:, 0] = record_id + "," + ev_names + "," + instr + "," + inst + "," + dag
        return Rendered({"data.csv": "".join(grid.ravel().tolist())}, {"data.csv": nrows}, lineage)

    def finish(self) -> tuple[list[Path], list[dict]]:
        """Close data.csv; return all files and the file-level defects."""
        assert self.folder is not None
        self.close_files()
        names = (
            "data.csv",
            "dictionary.csv",
            "event.csv",
            "arm.csv",
            "instrument_designation.csv",
        )
        defects = []
        if not self.clean:
            defects = [
                file_defect("file_bom", "data.csv", "data.csv starts with a UTF-8 byte-order mark"),
                file_defect("file_crlf", "data.csv", "data.csv ends its lines with CRLF"),
            ]
        return sorted(self.folder / n for n in names), defects
