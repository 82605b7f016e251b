"""Medidata Rave-style clinical-view writer: one ``<form>.csv`` per form.

Each file has Rave's system columns (``projectid, project, studyid, environmentName,
subjectId, StudySiteId, Subject, siteid, Site, SiteNumber, SiteGroup, instanceId, InstanceName,
InstanceRepeatNumber, folderid, Folder, FolderName, FolderSeq, TargetDays, DataPageId,
DataPageName, PageRepeatNumber, RecordDate, RecordId, RecordPosition, RecordActive, SaveTs,
MinCreated, MaxUpdated``), then the form's fields with Rave's twins:

- a date field ``X`` gives ``X`` (``2013-02-01T00:00:00``, blank when partial or not a date),
  ``X_RAW`` (as typed), ``X_INT`` (partial dates imputed to the first day/month), ``X_YYYY``,
  ``X_MM``, ``X_DD`` (the known parts);
- a numeric field gives ``X`` (the number, ``132.0``; blank when the typed text is not a
  number) and ``X_RAW`` (as typed);
- a coded field gives ``X`` (the decode; the typed text when it does not decode) and ``X_STD``
  (the coded value); multi-choice codes are joined by commas in ``X_STD``;
- text and time fields give ``X`` only.

Every value is quoted; the file ends with a literal ``EOF`` line. A form without records has
no file (trial A has no ``dd.csv``: nobody died). Typed dates are read in the
study's ``dd/MM/yyyy`` convention when they use slashes, as Rave would, so a site that types
month first gets a wrong ``X`` next to its ``X_RAW``. Non-log forms have RecordPosition 0, log
lines 1..n. In the messy export one file starts with a UTF-8 BOM and two use CRLF.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.defects import EVENT_FIELD, SITE_FIELD, SUBJECT_FIELD, values
from cdisc.synth.design import Design, Field, Form
from cdisc.synth.identity import SITE_KEY, SUBJECT_KEY
from cdisc.synth.sink import ExportWriter, Rendered, file_defect
from cdisc.synth.streams import stream
from cdisc.synth.subjects import Cohort

SYSTEM = (
    "projectid",
    "project",
    "studyid",
    "environmentName",
    "subjectId",
    "StudySiteId",
    "Subject",
    "siteid",
    "Site",
    "SiteNumber",
    "SiteGroup",
    "instanceId",
    "InstanceName",
    "InstanceRepeatNumber",
    "folderid",
    "Folder",
    "FolderName",
    "FolderSeq",
    "TargetDays",
    "DataPageId",
    "DataPageName",
    "PageRepeatNumber",
    "RecordDate",
    "RecordId",
    "RecordPosition",
    "RecordActive",
    "SaveTs",
    "MinCreated",
    "MaxUpdated",
)
_MONTHS = {m.upper(): i + 1 for i, m in enumerate(fmt.month_abbr(np.arange(1, 13)))}
#: Entry times: quarter hours from 08:00 to 17:45, as ``T..:..:00`` suffixes.
_CLOCK = np.array(
    [f"T{h:02d}:{m:02d}:00" for h in range(8, 18) for m in (0, 15, 30, 45)], dtype=object
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(T[\d:.]*)?"), "ymd"),
    (re.compile(r"(\d{4})-(\d{2})"), "ym"),
    (re.compile(r"(\d{4})"), "y"),
    (re.compile(r"(UN|UNK|\d{1,2})[ -](UNK|[A-Za-z]{3})[ -](\d{4})( [\d:]+)?"), "dmy"),
    (re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{2})"), "dmy2"),
    (re.compile(r"(\d{4}) ([A-Za-z]{3}) (\d{1,2})"), "ymd_text"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), "dmy_slash"),
)


def parse_date(text: str) -> tuple[int | None, int | None, int | None]:
    """Year, month, day a Rave date field would read from typed text (``None`` = unknown).

    Example: ``parse_date("UN Apr 2021")`` -> ``(2021, 4, None)``.
    """
    s = text.strip()
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(s)
        if not m:
            continue
        g = m.groups()
        if kind == "ymd":
            y, mo, d = int(g[0]), int(g[1]), int(g[2])
        elif kind == "ym":
            y, mo, d = int(g[0]), int(g[1]), None
        elif kind == "y":
            y, mo, d = int(g[0]), None, None
        elif kind in ("dmy", "dmy2"):
            d = int(g[0]) if g[0].isdigit() else None
            mo = _MONTHS.get(g[1].upper())
            y = (
                int(g[2])
                if kind == "dmy"
                else (2000 + int(g[2]) if int(g[2]) <= 30 else 1900 + int(g[2]))
            )
        elif kind == "ymd_text":
            y, mo, d = int(g[0]), _MONTHS.get(g[1].upper()), int(g[2])
        else:
            d, mo, y = int(g[0]), int(g[1]), int(g[2])
        if mo is not None and not 1 <= mo <= 12:
            return None, None, None
        if d is not None and mo is not None:
            try:
                np.datetime64(f"{y:04d}-{mo:02d}-{d:02d}")
            except ValueError:
                return None, None, None
        return y, mo, d
    return None, None, None


@cache
def _date_twins(text: str) -> tuple[str, str, str, str, str]:
    y, m, d = parse_date(text)
    full = "" if None in (y, m, d) else f"{y:04d}-{m:02d}-{d:02d}T00:00:00"
    imputed = "" if y is None else f"{y:04d}-{m or 1:02d}-{d or 1:02d}T00:00:00"
    parts = tuple("" if p is None else str(p) for p in (y, m, d))
    return (full, imputed, *parts)  # type: ignore[return-value]


def _twins(kind: str, v: np.ndarray, decodes: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """One field's columns (X and its twins) as one CSV text per record, ``X","X_RAW",...``
    with embedded quotes doubled, plus the field's ``X`` (for dates: ISO or blank).

    Each distinct typed value is turned into text once. Blank (``None``) values give blank
    columns."""
    codes, found = pd.factorize(np.asarray(v, dtype=object))
    uniq = [str(u) for u in found] + [""]  # code -1 (blank) picks the last entry
    raw = [u.replace('"', '""') for u in uniq]
    if kind == "date":
        twins = [_date_twins(u) for u in uniq]
        first = [t[0] for t in twins]
        text = [
            f'{t[0]}","{r}","{t[1]}","{t[2]}","{t[3]}","{t[4]}'
            for t, r in zip(twins, raw, strict=True)
        ]
    elif kind == "number":
        first = [(u if "." in u else u + ".0") if _NUMBER.fullmatch(u) else "" for u in uniq]
        text = [f'{x}","{r}' for x, r in zip(first, raw, strict=True)]
    elif kind == "coded":
        first = [", ".join(decodes.get(c, c) for c in u.split(",")) if u else "" for u in uniq]
        text = [f'{x.replace(chr(34), chr(34) * 2)}","{r}' for x, r in zip(first, raw, strict=True)]
    else:
        first, text = uniq, raw
    return np.array(text, dtype=object)[codes], np.array(first, dtype=object)[codes]


def _kind(f: Field) -> str:
    if f.kind == "date":
        return "date"
    if f.kind in ("integer", "float"):
        return "number"
    if f.kind in ("coded", "checkbox"):
        return "coded"
    return "text"


def form_columns(form: Form) -> list[str]:
    """Data columns of a form's file, after the system columns."""
    suffixes = {
        "date": ("", "_RAW", "_INT", "_YYYY", "_MM", "_DD"),
        "number": ("", "_RAW"),
        "coded": ("", "_STD"),
        "text": ("",),
    }
    return [f.name + s for f in form.fields for s in suffixes[_kind(f)]]


class RaveWriter(ExportWriter):
    """One CSV per form; lineage is each record's row number in its file."""

    kind = "rave"

    def __init__(self, design: Design, seed: int, clean: bool) -> None:
        super().__init__(design, seed, clean)
        # Only forms every subject has carry the file-level defects (empty forms are dropped).
        names = [
            f.name for f in design.forms if f.oid in ("IC", "DM", "MH", "EX", "VS", "HEMA", "CHEM")
        ]
        pick = stream(seed, 0, "rave:files").permutation(len(names))
        self.bom = set() if clean else {names[pick[0]]}
        self.crlf = set() if clean else {names[pick[1]], names[pick[2]]}
        self.project = {"sail": ("1187", "SAIL", "2041"), "pmsc-cli": ("1242", "PMSC-CLI", "2077")}[
            design.study
        ]

    def open(self, folder: Path) -> None:
        """Create every form file with its header line."""
        super().open(folder)
        for form in self.design.forms:
            head = ",".join([*SYSTEM, *form_columns(form)]) + self._eol(form)
            self.start_file(self.file_of(form), head, bom=form.name in self.bom)

    def _eol(self, form: Form) -> str:
        return "\r\n" if form.name in self.crlf else "\n"

    def field_name(self, form: Form, name: str) -> str:
        """Raw column holding what was typed: ``X_RAW`` (dates, numbers), ``X_STD`` (codes)."""
        if name == EVENT_FIELD:
            return "Folder"
        if name == SUBJECT_FIELD:
            return "Subject"
        if name == SITE_FIELD:
            return "SiteNumber"
        kind = _kind(form.field(name))
        return name + {"date": "_RAW", "number": "_RAW", "coded": "_STD"}.get(kind, "")

    def file_of(self, form: Form) -> str:
        """One file per form, named after the form in lower case."""
        return f"{form.name}.csv"

    def _system(self, coh: Cohort, form: Form, frame: pd.DataFrame, date_x: np.ndarray) -> list:
        d = self.design
        s = coh.subjects
        first = int(s["sid"].iloc[0])
        sid = frame["_sid"].to_numpy(np.int64)
        si = sid - first
        ev = frame["_ev"].to_numpy()
        ev_i = pd.Series(ev, dtype=object).map(d.event_order).to_numpy(np.int64)
        evrep = frame["_evrep"].to_numpy(np.int64)
        pos = frame["_pos"].to_numpy(np.int64)
        rid = frame["_rid"].to_numpy(np.int64)
        # Columns that depend only on the subject, the event or nothing are joined once into
        # one CSV text each (fewer pieces per row to assemble).
        head, middle = self._subject_blocks(s)
        subjid = s["subjid"].to_numpy(object)[si]
        if SUBJECT_KEY in frame:
            # subject_id_variant: the Subject column in another format on these records.
            skey = frame[SUBJECT_KEY].to_numpy(object)
            subjid = np.where(pd.notna(skey), skey, subjid)
        site_no = s["site_no"].to_numpy(object)[si]
        if SITE_KEY in frame:
            # site_renumbered: SiteNumber without its leading zero on these records.
            new_no = frame[SITE_KEY].to_numpy(object)
            site_no = np.where(pd.notna(new_no), new_no, site_no)
        subject_block = head[si] + subjid + middle[si] + site_no + '","World'
        event_block = np.array(
            [
                f'{5000 + i}","{e.oid}","{e.label}","{i + 1}.0","{"" if e.day is None else e.day}'
                for i, e in enumerate(d.events)
            ],
            dtype=object,
        )[ev_i]
        labels = np.array([e.label for e in d.events], dtype=object)[ev_i]
        instance = 700_000 + (sid * 20 + ev_i) * 4 + evrep
        page = fmt.integers(instance * 32 + d.form_order[form.oid])
        # Entry timestamps: a few days after the record's own date (or Day 1), on the quarter
        # hour during office hours.
        base = pd.to_datetime(
            pd.Series(date_x, dtype=object).str.slice(0, 10), format="%Y-%m-%d", errors="coerce"
        ).to_numpy("datetime64[D]")
        base = np.where(np.isnat(base), s["d1"].to_numpy("datetime64[D]")[si], base)
        lag = (sid * 7 + rid * 13) % 20 + 1
        clock = _CLOCK[(sid * 37 + rid * 11) % len(_CLOCK)]
        created = fmt.iso_dates(base + lag * np.timedelta64(1, "D")) + clock
        updated = fmt.iso_dates(base + (lag + (rid % 5)) * np.timedelta64(1, "D")) + clock
        name = labels.copy()
        rep = evrep > 0
        if rep.any():
            name[rep] = labels[rep] + " (" + fmt.integers(evrep[rep]) + ")"
        return [
            '","'.join(self.project) + '","PROD',
            subject_block,
            fmt.integers(instance),
            name,
            fmt.integers(evrep),
            event_block,
            page,
            f'{form.title}","0","',
            page + fmt.zpad(pos, 3),
            fmt.integers(pos),
            "1",
            updated,
            created,
            updated,
        ]

    def _subject_blocks(self, subjects: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``subjectId","StudySiteId","`` and ``","siteid","Site","`` of each subject of the
        chunk, to go before ``Subject`` and ``SiteNumber`` (Rave's internal ids are derived
        from the subject index)."""
        sites = self.design.sites
        site = subjects["site"].to_numpy()
        per_site = np.array([f'{300 + i}","' for i in range(len(sites))], dtype=object)[site]
        where = np.array(
            [f'","{120 + i}","{x.name}","' for i, x in enumerate(sites)],
            dtype=object,
        )[site]
        ids = fmt.integers(50_000 + subjects["sid"].to_numpy(np.int64))
        return ids + '","' + per_site, where

    def render(self, coh: Cohort, forms: dict[str, pd.DataFrame]) -> Rendered:
        """Every form file's rows of the chunk and each record's row number in the chunk."""
        out = Rendered({}, {})
        order = self.design.event_order
        for form in self.design.forms:
            frame = forms[form.oid]
            ev_i = pd.Series(values(frame, "_ev"), dtype=object).map(order).to_numpy(np.int64)
            keys = ("_rid", "_pos", "_evrep")
            sort = np.lexsort(
                (*(frame[k].to_numpy() for k in keys), ev_i, frame["_sid"].to_numpy())
            )
            frame = frame.iloc[sort].reset_index(drop=True)
            n = len(frame)
            cols: list[np.ndarray] = []
            date_x = np.full(n, "", dtype=object)
            for f in form.fields:
                decodes = self.design.decode(f.codelist) if f.codelist else {}
                text, first = _twins(_kind(f), frame[f.name].to_numpy(), decodes)
                # Entry timestamps follow the record's own date (not a birth date).
                own = form.date_field is None and f.kind == "date" and not f.identifier
                if f.name == form.date_field or (own and not date_x.any()):
                    date_x = first
                cols.append(text)
            name = self.file_of(form)
            out.lineage[form.oid] = pd.Series(np.arange(1, n + 1), index=frame["_rid"].to_numpy())
            out.rows[name] = n
            if not n:
                out.texts[name] = ""
                continue
            # System values never hold a quote; typed values had theirs doubled by _twins.
            # Each piece is one or more columns; pieces are separated by '","'.
            system = self._system(coh, form, frame, date_x)
            every = [np.broadcast_to(np.asarray(c, dtype=object), (n,)) for c in system] + cols
            grid = np.empty((n, 2 * len(every) + 1), dtype=object)
            grid[:, 0] = '"'
            grid[:, 2:-1:2] = '","'
            grid[:, -1] = '"' + self._eol(form)
            for j, c in enumerate(every):
                grid[:, 1 + 2 * j] = c
            out.texts[name] = "".join(grid.ravel().tolist())
        return out

    def finish(self) -> tuple[list[Path], list[dict]]:
        """Write the EOF trailers and close; return files and file-level defects."""
        tails = {self.file_of(f): "EOF" + self._eol(f) for f in self.design.forms}
        files = self.close_files(tails)
        # Like a Rave extract, no dataset for a form without data (trial A has no deaths).
        for path in files:
            if self.written[path.name] == 0:
                path.unlink()
        files = [p for p in files if self.written[p.name] > 0]
        defects = []
        for form in self.design.forms:
            name = self.file_of(form)
            if form.name in self.bom:
                defects.append(
                    file_defect(
                        "file_bom", name, f"{name} starts with a UTF-8 byte-order mark", form.name
                    )
                )
            if form.name in self.crlf:
                defects.append(
                    file_defect("file_crlf", name, f"{name} ends its lines with CRLF", form.name)
                )
        return files, defects
