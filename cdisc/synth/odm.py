"""CDISC ODM 1.3.2 snapshot writer (one XML file, streamed chunk by chunk).

Shape: ``ODM`` (FileType Snapshot, ODMVersion 1.3.2, CreationDateTime derived from the study
calendar and the seed, never the clock) -> ``Study`` (GlobalVariables, MetaDataVersion with
Protocol/StudyEventRef, StudyEventDef, FormDef, ItemGroupDef, ItemDef, CodeList) ->
``AdminData`` (one Location per site) -> ``ClinicalData`` -> ``SubjectData`` (SubjectKey = the
subject id people see) -> ``SiteRef`` -> ``StudyEventData`` (StudyEventRepeatKey only on the
repeating UNSCHEDULED event) -> ``FormData`` -> ``ItemGroupData`` (ItemGroupRepeatKey on
repeating forms) -> ``ItemData`` (Value = the coded value for coded items).

Data types: every field that defect injection may fill with messy text is declared
``DataType="text"`` (as many EDC builds declare free-entry fields); only never-messy numeric items
keep ``integer``/``float``. The schema does not type-check ``ItemData/@Value``, so the file
validates against ODM1-3-2.xsd either way. Multi-choice items (RACE) hold their codes joined by
commas (``1,5``), as OpenClinica writes them.

The document is built by string assembly from sorted record keys: opening and closing tags come
from key changes between consecutive rows, and each chunk is written with one ``join``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.defects import EVENT_FIELD, SITE_FIELD, SUBJECT_FIELD, values
from cdisc.synth.design import Design, Field, Form
from cdisc.synth.identity import SITE_KEY, SUBJECT_KEY, site_variant
from cdisc.synth.revisions import AUDIT_COLUMNS, audit_reason, audit_user
from cdisc.synth.sink import ExportWriter, Rendered
from cdisc.synth.subjects import Cohort
from cdisc.synth.versions import CHANGES

NS = "http://www.cdisc.org/ns/odm/v1.3"


def _esc(text: str) -> str:
    return str(fmt.xml_attr(np.array([text], dtype=object))[0])


def _datatype(f: Field) -> str:
    """ODM DataType: ``text`` for anything a site may type freely (and for codes and HH:MM
    times); the type itself for never-messy dates and numbers."""
    if f.messy or f.kind in ("text", "notes", "coded", "checkbox", "time"):
        return "text"
    return {"integer": "integer", "float": "float", "date": "date"}[f.kind]


def _length(f: Field) -> int:
    return {"notes": 2000, "text": 200, "date": 30, "time": 20}.get(f.kind, 40)


def creation_datetime(design: Design, seed: int) -> str:
    """Snapshot time: after the last possible visit of the study, varied by the seed."""
    start = {"sail": "2027-03-01", "pmsc-cli": "2023-03-01"}[design.study]
    day = np.datetime64(start, "D") + np.timedelta64(seed % 28, "D")
    minute = 8 * 60 + (seed * 37) % 600
    return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00"


def study_oid(design: Design) -> str:
    """Study OID used in Study, ClinicalData and AdminData."""
    return design.study.upper()


def item_oid(form: Form, f: Field) -> str:
    """ItemOID of a field: ``<FORMOID>.<NAME>``."""
    return f"{form.oid}.{f.name}"


def group_oid(form: Form) -> str:
    """ItemGroupOID of the (single) item group of a form."""
    return f"IG.{form.oid}"


def metadata(design: Design, seed: int, clean: bool = False) -> str:
    """Everything before the first SubjectData: root, Study metadata, AdminData.

    The messy export (``clean=False``) also declares each site under its renumbered OID
    (``SITE3`` beside ``SITE03``), the location later records of ``site_renumbered``
    subjects refer to."""
    oid = study_oid(design)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ODM xmlns="{NS}" FileOID="{oid}.SYNTH.SEED{seed}" FileType="Snapshot" '
        f'Granularity="All" CreationDateTime="{creation_datetime(design, seed)}" '
        f'ODMVersion="1.3.2" Originator="cdisc.synth" SourceSystem="cdisc.synth">',
        f'<Study OID="{oid}">',
        "<GlobalVariables>",
        f"<StudyName>{_esc(design.study.upper())}</StudyName>",
        f"<StudyDescription>{_esc(design.title)}</StudyDescription>",
        f"<ProtocolName>{_esc(design.protocol)}</ProtocolName>",
        "</GlobalVariables>",
        '<MetaDataVersion OID="MDV.1" Name="Synthetic EDC build 1">',
        "<Protocol>",
    ]
    for i, e in enumerate(design.events, 1):
        mandatory = "Yes" if e.kind == "scheduled" else "No"
        out.append(
            f'<StudyEventRef StudyEventOID="{e.oid}" OrderNumber="{i}" Mandatory="{mandatory}"/>'
        )
    out.append("</Protocol>")
    types = {
        "scheduled": "Scheduled",
        "unscheduled": "Unscheduled",
        "eos": "Common",
        "log": "Common",
    }
    for e in design.events:
        rep = "Yes" if e.kind == "unscheduled" else "No"
        out.append(
            f'<StudyEventDef OID="{e.oid}" Name="{_esc(e.label)}" Repeating="{rep}" '
            f'Type="{types[e.kind]}">'
        )
        out.extend(
            f'<FormRef FormOID="{f}" OrderNumber="{i}" Mandatory="No"/>'
            for i, f in enumerate(e.forms, 1)
        )
        out.append("</StudyEventDef>")
    for form in design.forms:
        out += [
            f'<FormDef OID="{form.oid}" Name="{form.name}" Repeating="No">',
            f'<Description><TranslatedText xml:lang="en">{_esc(form.title)}'
            "</TranslatedText></Description>",
            f'<ItemGroupRef ItemGroupOID="{group_oid(form)}" Mandatory="Yes"/>',
            "</FormDef>",
        ]
    for form in design.forms:
        rep = "Yes" if form.repeating else "No"
        out.append(f'<ItemGroupDef OID="{group_oid(form)}" Name="{form.name}" Repeating="{rep}">')
        out.extend(
            f'<ItemRef ItemOID="{item_oid(form, f)}" OrderNumber="{i}" Mandatory="No"/>'
            for i, f in enumerate(form.fields, 1)
        )
        out.append("</ItemGroupDef>")
    for form in design.forms:
        for f in form.fields:
            out.append(
                f'<ItemDef OID="{item_oid(form, f)}" Name="{f.name}" '
                f'DataType="{_datatype(f)}" Length="{_length(f)}">'
            )
            out.append(
                f'<Question><TranslatedText xml:lang="en">{_esc(f.label)}'
                "</TranslatedText></Question>"
            )
            if f.codelist:
                out.append(f'<CodeListRef CodeListOID="CL.{f.codelist}"/>')
            change = CHANGES.get(design.study)
            if not clean and change and (change.form, change.field) == (form.oid, f.name):
                # crf_version_change: the ItemDef says how CRF version 2 records the item.
                context, name = change.alias
                out.append(f'<Alias Context="{_esc(context)}" Name="{_esc(name)}"/>')
            out.append("</ItemDef>")
    used = sorted(
        {f.codelist for form in design.forms for f in form.fields if f.codelist},
        key=list(design.codelists).index,
    )
    for name in used:
        out.append(f'<CodeList OID="CL.{name}" Name="{name}" DataType="text">')
        for code, decode in design.codelists[name]:
            out.append(
                f'<CodeListItem CodedValue="{_esc(code)}"><Decode><TranslatedText '
                f'xml:lang="en">{_esc(decode)}</TranslatedText></Decode></CodeListItem>'
            )
        out.append("</CodeList>")
    out += ["</MetaDataVersion>", "</Study>", "<AdminData>"]
    # One data-entry user per site: the UserRef of audit records (AuditRecord on ItemData).
    for s in design.sites:
        user = audit_user(np.array([s.number], dtype=object))[0]
        out += [
            f'<User OID="{user}" UserType="Other">',
            f"<LoginName>{_esc(user.lower())}</LoginName>",
            f'<LocationRef LocationOID="SITE{s.number}"/>',
            "</User>",
        ]
    locations = [(s.number, s.name) for s in design.sites]
    if not clean:
        renumbered = site_variant(np.array([s.number for s in design.sites], dtype=object))
        locations += [
            (new, s.name)
            for new, s in zip(renumbered, design.sites, strict=True)
            if new != s.number
        ]
    for number, name in locations:
        out += [
            f'<Location OID="SITE{number}" Name="{_esc(name)}" LocationType="Site">',
            f'<MetaDataVersionRef StudyOID="{oid}" MetaDataVersionOID="MDV.1" '
            'EffectiveDate="2018-06-01"/>',
            "</Location>",
        ]
    out += ["</AdminData>", f'<ClinicalData StudyOID="{oid}" MetaDataVersionOID="MDV.1">']
    return "\n".join(out) + "\n"


class OdmWriter(ExportWriter):
    """One ODM file; lineage is the record's path of repeat keys."""

    kind = "odm"

    def __init__(self, design: Design, seed: int, clean: bool) -> None:
        super().__init__(design, seed, clean)
        self.name = f"{design.study}_odm.xml"
        self.events = design.event_order
        self.form_i = design.form_order

    def open(self, folder: Path) -> None:
        """Create the XML file and write the root, Study metadata and AdminData."""
        super().open(folder)
        self.start_file(self.name, metadata(self.design, self.seed, self.clean))

    def field_name(self, form: Form, name: str) -> str:
        """Raw field as the ground truth names it: the ItemOID."""
        if name == SUBJECT_FIELD:
            return "SubjectKey"
        if name == SITE_FIELD:
            return "SiteRef"
        return "StudyEventOID" if name == EVENT_FIELD else f"{form.oid}.{name}"

    def file_of(self, form: Form) -> str:
        """Every form lives in the one XML file."""
        return self.name

    def site_value(self, site_no: np.ndarray) -> np.ndarray:
        """Site numbers as the SiteRef LocationOID writes them (``03`` -> ``SITE03``)."""
        return "SITE" + np.asarray(site_no, dtype=object)

    def render(self, coh: Cohort, forms: dict[str, pd.DataFrame]) -> Rendered:
        """The chunk's SubjectData elements and ``{form OID: Series(record path)}``."""
        d = self.design
        keys, parts, lineage = [], [], {}
        for form in d.forms:
            frame = forms[form.oid]
            n = len(frame)
            ev = values(frame, "_ev")
            evrep = frame["_evrep"].to_numpy(np.int64)
            pos = frame["_pos"].to_numpy(np.int64)
            rep_ig = form.repeating
            ev_key = np.where(evrep > 0, ev + "[" + fmt.integers(evrep) + "]", ev)
            ig = group_oid(form) + ("[" + fmt.integers(pos) + "]" if rep_ig else "")
            lineage[form.oid] = pd.Series(ev_key + f"/{form.oid}/" + ig, index=frame["_rid"])
            opener = f'<ItemGroupData ItemGroupOID="{group_oid(form)}"'
            if rep_ig:
                opener = opener + ' ItemGroupRepeatKey="' + fmt.integers(pos) + '">\n'
            else:
                opener = np.full(n, opener + ">\n", dtype=object)
            # One piece per item, built once per distinct value: a missing item is "".
            block = np.empty((n, len(form.fields) + 2), dtype=object)
            block[:, 0] = opener
            for j, f in enumerate(form.fields, 1):
                head = f'<ItemData ItemOID="{item_oid(form, f)}" Value="'
                block[:, j], _ = fmt.encode(
                    frame[f.name].to_numpy(),
                    lambda u, head=head: head + fmt.xml_attr(u) + '"/>\n',
                )
                if AUDIT_COLUMNS[0] in frame:
                    self._audit(coh, frame, f, head, block[:, j])
            block[:, -1] = "</ItemGroupData>\n"
            keys.append(
                pd.DataFrame(
                    {
                        "sid": frame["_sid"].to_numpy(np.int64),
                        "ev": pd.Series(ev, dtype=object).map(self.events).to_numpy(np.int64),
                        "evrep": evrep,
                        "form": self.form_i[form.oid],
                        "pos": pos,
                        "row": np.arange(n),
                        "oid": form.oid,
                        "evoid": ev,
                        # subject_id_variant: the record's SubjectKey when not the canonical one
                        "skey": (
                            values(frame, SUBJECT_KEY)
                            if SUBJECT_KEY in frame
                            else np.full(n, None, dtype=object)
                        ),
                        # site_renumbered: the record's site number when renumbered
                        "site": (
                            values(frame, SITE_KEY)
                            if SITE_KEY in frame
                            else np.full(n, None, dtype=object)
                        ),
                    }
                )
            )
            parts.append(block)
        text = self._assemble(coh, pd.concat(keys, ignore_index=True), parts)
        return Rendered({self.name: text}, {self.name: 0}, lineage)

    def _audit(
        self, coh: Cohort, frame: pd.DataFrame, f: Field, head: str, column: np.ndarray
    ) -> None:
        """Give the items corrected after entry (``audit_update``) an AuditRecord, in place.

        The ReasonForChange text names the first-entered value, so it stays recoverable."""
        at = np.flatnonzero(
            (values(frame, AUDIT_COLUMNS[0]) == f.name) & pd.notna(frame[f.name]).to_numpy()
        )
        if not len(at):
            return
        s = coh.subjects
        sid = frame["_sid"].to_numpy(np.int64)[at]
        site_no = s["site_no"].to_numpy(object)[sid - int(s["sid"].iloc[0])]
        # The site's own data-entry user; the location as the record's SiteRef names it.
        where = site_no
        if SITE_KEY in frame:
            new_no = values(frame, SITE_KEY)[at]
            where = np.where(pd.notna(new_no), new_no, site_no)
        old = values(frame, AUDIT_COLUMNS[1])[at]
        when = values(frame, AUDIT_COLUMNS[2])[at]
        reason = values(frame, AUDIT_COLUMNS[3])[at]
        column[at] = (
            head
            + fmt.xml_attr(values(frame, f.name)[at])
            + '">\n<AuditRecord>\n<UserRef UserOID="'
            + audit_user(site_no)
            + '"/>\n<LocationRef LocationOID="SITE'
            + where
            + '"/>\n<DateTimeStamp>'
            + when
            + "</DateTimeStamp>\n<ReasonForChange>"
            + fmt.xml_attr(audit_reason(reason, old))
            + "</ReasonForChange>\n</AuditRecord>\n</ItemData>\n"
        )

    def _assemble(self, coh: Cohort, k: pd.DataFrame, parts: list[np.ndarray]) -> str:
        if not len(k):
            return ""
        # Records under a variant subject id, or a renumbered site, follow the subject's own
        # SubjectData in one more.
        variant = pd.notna(k["skey"]).to_numpy()
        moved = pd.notna(k["site"]).to_numpy()
        order = np.lexsort((k["pos"], k["form"], k["evrep"], k["ev"], moved, variant, k["sid"]))
        k = k.iloc[order].reset_index(drop=True)
        sid, ev, rep, form = (k[c].to_numpy(np.int64) for c in ("sid", "ev", "evrep", "form"))
        s = coh.subjects
        first_sid = int(s["sid"].iloc[0])
        skey = k["skey"].to_numpy(object)
        subject_key = np.where(pd.notna(skey), skey, s["subjid"].to_numpy(object)[sid - first_sid])
        site = k["site"].to_numpy(object)
        site = np.where(pd.notna(site), site, s["site_no"].to_numpy(object)[sid - first_sid])
        first = np.r_[True, np.zeros(len(k) - 1, dtype=bool)]
        new_subj = (
            first | np.r_[False, (subject_key[1:] != subject_key[:-1]) | (site[1:] != site[:-1])]
        )
        new_ev = new_subj | np.r_[False, (ev[1:] != ev[:-1]) | (rep[1:] != rep[:-1])]
        new_form = new_ev | np.r_[False, form[1:] != form[:-1]]
        subj_open = (
            '<SubjectData SubjectKey="'
            + fmt.xml_attr(subject_key[new_subj])
            + '">\n<SiteRef LocationOID="SITE'
            + site[new_subj]
            + '"/>\n'
        )
        evoid = k["evoid"].to_numpy(object)
        ev_open = np.where(
            rep > 0,
            '<StudyEventData StudyEventOID="'
            + evoid
            + '" StudyEventRepeatKey="'
            + fmt.integers(rep)
            + '">\n',
            '<StudyEventData StudyEventOID="' + evoid + '">\n',
        )
        form_open = '<FormData FormOID="' + k["oid"].to_numpy(object) + '">\n'
        prefix = np.full(len(k), "", dtype=object)
        close_form = new_form & ~first
        prefix[close_form] = "</FormData>\n"
        close_ev = new_ev & ~first
        prefix[close_ev] = prefix[close_ev] + "</StudyEventData>\n"
        close_subj = new_subj & ~first
        prefix[close_subj] = prefix[close_subj] + "</SubjectData>\n"
        prefix[new_subj] = prefix[new_subj] + subj_open
        prefix[new_ev] = prefix[new_ev] + ev_open[new_ev]
        prefix[new_form] = prefix[new_form] + form_open[new_form]
        # Scatter every row's pieces into one flat array in document order, then join once.
        widths = np.array([p.shape[1] for p in parts], dtype=np.int64)
        w = widths[form] + 1
        start = np.r_[0, np.cumsum(w)[:-1]]
        flat = np.empty(int(w.sum()) + 1, dtype=object)
        flat[start] = prefix
        rows = k["row"].to_numpy(np.int64)
        for fi, p in enumerate(parts):
            at = form == fi
            if at.any():
                cols = start[at][:, None] + 1 + np.arange(p.shape[1])
                flat[cols] = p[rows[at]]
        flat[-1] = "</FormData>\n</StudyEventData>\n</SubjectData>\n"
        return "".join(flat.tolist())

    def finish(self) -> tuple[list[Path], list[dict]]:
        """Close the document; return the files written and file-level defects (none)."""
        return self.close_files({self.name: "</ClinicalData>\n</ODM>\n"}), []
