"""CDISC ODM 1.3.x ClinicalData reader (Rave, OpenClinica, REDCap, Castor and other EDCs).

The file is streamed (``lxml.etree.iterparse``, elements cleared once read), values are
collected per column, and each form's frame is built once at the end, so memory grows with
the data kept, not with the XML around it. The parser settings that make hostile files safe
are in :mod:`cdisc.readers.xmlsafe`.
"""

from __future__ import annotations

from array import array
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import InputError
from cdisc.readers.base import DECODE_SUFFIX, FieldInfo, RawExport
from cdisc.readers.frames import assemble_frame
from cdisc.readers.odm_metadata import ODM_NS, MetaDataVersion, parse_metadata_version
from cdisc.readers.xmlsafe import safe_iterparse

SUPPORTED_VERSIONS: tuple[str, ...] = ("1.3", "1.3.1", "1.3.2")

_N = "{" + ODM_NS + "}"
_MDV = _N + "MetaDataVersion"
_CLINICAL = _N + "ClinicalData"
_SUBJECT = _N + "SubjectData"
_SITEREF = _N + "SiteRef"
_EVENT = _N + "StudyEventData"
_FORM = _N + "FormData"
_GROUP = _N + "ItemGroupData"
_ITEM = _N + "ItemData"
_REFERENCE = _N + "ReferenceData"
_ADMIN = _N + "AdminData"
_ASSOCIATION = _N + "Association"

#: Vendor attributes of SubjectData that hold the subject id people see, by local name:
#: Rave's SubjectKey is a UUID (mdsol:SubjectName is the label); OpenClinica's is an
#: internal key (OpenClinica:StudySubjectID is the label).
_VENDOR_SUBJECT = ("SubjectName", "StudySubjectID")


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _concat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation of object arrays (and string scalars)."""
    result = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        result = result + part
    return result


def _bracketed(keys: np.ndarray) -> np.ndarray:
    """``[key]`` where a repeat key is present, ``""`` where it is absent."""
    out = np.full(len(keys), "", dtype=object)
    present = ~pd.isna(keys)
    out[present] = _concat("[", keys[present], "]")
    return out


class _Chunk:
    """The items of one form read under one MetaDataVersion, as flat lists.

    Per item only a small integer code for its ItemOID and its value are appended; which
    row an item belongs to follows from ``ends`` (the item count after each group), and
    which column from the code, both worked out once per form at the end with numpy.
    """

    __slots__ = ("by_name", "codes", "declared", "ends", "meta", "oids", "rows", "values")

    def __init__(self, meta: MetaDataVersion | None) -> None:
        self.meta = meta
        self.declared: dict[str, FieldInfo] = {}
        self.by_name: dict[str, str] = {}
        self.rows = array("q")
        self.ends = array("q")
        self.oids: dict[str, int] = {}  # ItemOID -> code, in order of first appearance
        self.codes = array("l")
        self.values: list[str] = []


class _FormStore:
    """Everything collected for one frame; the frame itself is built once, at the end."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.n = 0
        self.columns: dict[str, FieldInfo] = {}
        self.chunks: dict[tuple[int, str], _Chunk] = {}
        # One entry per FormData element: (record prefix, subject, site, event, event key,
        # form key); each group row points at its FormData's entry.
        self.contexts: list[
            tuple[str, str | None, str | None, str | None, str | None, str | None]
        ] = []
        self.context_of_row = array("q")
        self.group_oids: list[str | None] = []
        self.group_keys: list[str | None] = []

    def add_column(self, info: FieldInfo) -> FieldInfo:
        return self.columns.setdefault(info.name, info)

    def lineage(self, file_name: str) -> dict[str, object]:
        n = self.n
        if not n:
            return {"_file": file_name, "_form": self.name, "_record": []}
        table = np.array(self.contexts, dtype=object).reshape(len(self.contexts), 6)
        rows = table[np.frombuffer(self.context_of_row, dtype=np.int64)]
        prefix, subject, site, event, event_key, form_key = rows.T
        group_oid = np.array(self.group_oids, dtype=object)
        group_key = np.array(self.group_keys, dtype=object)
        record = _concat(
            prefix, "/", np.where(pd.isna(group_oid), "", group_oid), _bracketed(group_key)
        )
        keys = [np.where(pd.isna(k), "", k) for k in (event_key, form_key, group_key)]
        repeat = _concat(keys[0], "/", keys[1], "/", keys[2])
        repeat[repeat == "//"] = None
        return {
            "_file": file_name,
            "_form": self.name,
            "_record": record,
            "_subject": subject,
            "_site": site,
            "_event": event,
            "_repeat": repeat,
        }


def _check_root(path: Path) -> list[str]:
    """Refuse anything but an ODM 1.3.x root; return notes."""
    events = safe_iterparse(path, events=("start",))
    try:
        _, root = next(events)
    except StopIteration:  # pragma: no cover - the parser fails first on an element-less file
        raise InputError("no root element", path=path, location="line 1") from None
    finally:
        events.close()
    namespace, local = _local(root.tag)
    version = root.get("ODMVersion")
    where = f"line {root.sourceline}"
    supported = f"namespace {ODM_NS} with ODMVersion {', '.join(SUPPORTED_VERSIONS)}"
    if local != "ODM":
        raise InputError(
            f"not an ODM file: the root element is <{local}>",
            path=path,
            location=where,
            hint=f"expected an ODM export ({supported})",
        )
    if namespace != ODM_NS or (version is not None and version not in SUPPORTED_VERSIONS):
        raise InputError(
            f"unsupported ODM: namespace {namespace or '(none)'}, ODMVersion {version or '(none)'}",
            path=path,
            location=where,
            hint=f"supported: {supported}",
        )
    if version is None:
        return [f"{path}: ODMVersion not stated; read as ODM 1.3"]
    return []


class _Reader:
    """One pass over one ODM file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metadata: dict[tuple[str, str], MetaDataVersion] = {}
        self.stores: dict[str, _FormStore] = {}
        self.events: dict[str, str] = {}
        self.notes: list[str] = []
        self.undeclared: dict[str, set[str]] = {}
        self._resolved: dict[tuple[str, str], MetaDataVersion | None] = {}
        self._chunks: dict[tuple[int, str], tuple[_FormStore, _Chunk]] = {}

    # -- metadata -------------------------------------------------------------------------
    def add_metadata(self, element) -> None:
        meta = parse_metadata_version(element)
        self.metadata[(meta.study, meta.oid)] = meta
        for oid, name in meta.events.items():
            self.events.setdefault(oid, name)

    def resolve_metadata(self, study: str, oid: str) -> MetaDataVersion | None:
        key = (study, oid)
        if key in self._resolved:
            return self._resolved[key]
        meta = self.metadata.get(key)
        if meta is None:  # a ClinicalData block may name the version without its study
            meta = next((m for (_, o), m in self.metadata.items() if o == oid), None)
        seen = {key}
        resolved = meta
        while meta is not None and meta.include is not None and meta.include not in seen:
            seen.add(meta.include)
            base = self.metadata.get(meta.include)
            if base is None:
                self.notes.append(
                    f"{self.path}: MetaDataVersion {oid} includes {meta.include[1]}, "
                    "which is not in this file; its definitions are unknown"
                )
                break
            resolved = resolved.merged_over(base)
            meta = base
        self._resolved[key] = resolved
        if resolved is None:
            self.notes.append(
                f"{self.path}: ClinicalData refers to MetaDataVersion {oid!r}, which is not in "
                "this file; forms and columns are named by OID and nothing is decoded"
            )
        return resolved

    @staticmethod
    def _field(
        meta: MetaDataVersion | None, item_oid: str, by_name: dict[str, str]
    ) -> FieldInfo | None:
        """FieldInfo for an item of one form; ``None`` if the form already has it."""
        item = meta.items.get(item_oid) if meta is not None else None
        name = item.name if item is not None else item_oid
        owner = by_name.get(name)
        if owner == item_oid:
            return None
        if owner is not None:
            name = item_oid  # two items share a Name: the later one keeps its OID
        by_name[name] = item_oid
        if item is None:
            return FieldInfo(name=name)
        codes = meta.codelists.get(item.codelist) if item.codelist else None
        return FieldInfo(
            name=name, label=item.label, datatype=item.datatype, codelist=codes or None
        )

    def chunk(self, meta: MetaDataVersion | None, form_oid: str) -> tuple[_FormStore, _Chunk]:
        """The store and chunk of a form under a MetaDataVersion; declares its columns once."""
        key = (id(meta), form_oid)
        found = self._chunks.get(key)
        if found is not None:
            return found
        name = meta.form_names().get(form_oid, form_oid) if meta is not None else form_oid
        store = self.stores.get(name)
        if store is None:
            store = self.stores[name] = _FormStore(name)
        chunk = store.chunks[key] = _Chunk(meta)
        if meta is not None:
            _, group_oids = meta.forms.get(form_oid, (None, []))
            for group in group_oids:
                for item_oid in meta.groups.get(group, []):
                    info = self._field(meta, item_oid, chunk.by_name)
                    if info is not None:
                        chunk.declared[item_oid] = store.add_column(info)
        self._chunks[key] = (store, chunk)
        return store, chunk

    # -- clinical data --------------------------------------------------------------------
    def read(self) -> RawExport:
        self.notes.extend(_check_root(self.path))
        # Events only for whole subjects (and the blocks around them): walking a subject's
        # subtree in Python is cheaper than one parser event per item group, and one
        # subject's subtree is small enough to hold until it is cleared.
        tags = [_SUBJECT, _MDV, _CLINICAL, _REFERENCE, _ADMIN, _ASSOCIATION]
        for _, element in safe_iterparse(self.path, events=("end",), tag=tags):
            tag = element.tag
            if tag == _SUBJECT:
                self._add_subject(element)
            elif tag == _MDV:
                self.add_metadata(element)
            # Drop what has been read so memory stays flat on multi-GB files.
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        return self._export()

    def _add_subject(self, subject_el) -> None:
        subject = subject_el.get("SubjectKey")
        for key, value in subject_el.attrib.items():
            if key.startswith("{") and _local(key)[1] in _VENDOR_SUBJECT and value:
                subject = value
                break
        site_ref = subject_el.find(_SITEREF)
        site = site_ref.get("LocationOID") if site_ref is not None else None
        clinical = subject_el.getparent()
        meta = self.resolve_metadata(
            clinical.get("StudyOID", "") if clinical is not None else "",
            clinical.get("MetaDataVersionOID", "") if clinical is not None else "",
        )
        for child in subject_el:
            tag = child.tag
            if tag == _EVENT:
                event = child.get("StudyEventOID", "")
                event_key = child.get("StudyEventRepeatKey")
                prefix = event + (f"[{event_key}]" if event_key is not None else "") + "/"
                for form_el in child.iterchildren(_FORM):
                    self._add_form(form_el, meta, (subject, site, event, event_key), prefix)
            elif tag == _FORM:  # REDCap's classic projects have no StudyEventData
                self._add_form(child, meta, (subject, site, None, None), "")

    def _add_form(
        self,
        form_el,
        meta: MetaDataVersion | None,
        subject: tuple[str | None, str | None, str | None, str | None],
        prefix: str,
    ) -> None:
        form_oid = form_el.get("FormOID", "")
        store, chunk = self.chunk(meta, form_oid)
        form_key = form_el.get("FormRepeatKey")
        prefix += form_oid + (f"[{form_key}]" if form_key is not None else "")
        store.contexts.append((prefix, *subject, form_key))
        context = len(store.contexts) - 1
        oids = chunk.oids
        codes = chunk.codes
        values = chunk.values
        # The hot loop of the reader: per item two attribute reads and two appends.
        for group in form_el.iterchildren(_GROUP):
            chunk.rows.append(store.n)
            store.n += 1
            store.context_of_row.append(context)
            store.group_oids.append(group.get("ItemGroupOID"))
            store.group_keys.append(group.get("ItemGroupRepeatKey"))
            for item in group:
                if item.tag == _ITEM:
                    value = item.get("Value")  # absent with IsNull="Yes": missing
                else:
                    # Typed ItemDataString, ItemDataInteger, ... carry their value as text;
                    # AuditRecord, Signature, Annotation and vendor elements are skipped.
                    tag = item.tag
                    if not (isinstance(tag, str) and tag.startswith(_ITEM)):
                        continue
                    value = item.text
                if value:
                    oid = item.get("ItemOID", "")
                    code = oids.get(oid)
                    if code is None:
                        code = oids[oid] = len(oids)
                    codes.append(code)
                    values.append(value)
            chunk.ends.append(len(values))

    # -- building the frames --------------------------------------------------------------
    def _columns(self, store: _FormStore) -> dict[str, np.ndarray]:
        """Scatter every chunk's values into one object array per column."""
        n = store.n
        data: dict[str, np.ndarray] = {}
        for chunk in store.chunks.values():
            if not chunk.values:
                continue
            counts = np.diff(np.frombuffer(chunk.ends, dtype=np.int64), prepend=0)
            item_rows = np.repeat(np.frombuffer(chunk.rows, dtype=np.int64), counts)
            codes = np.asarray(chunk.codes, dtype=np.int64)
            values = np.array(chunk.values, dtype=object)
            order = np.argsort(codes, kind="stable")
            bounds = np.cumsum(np.bincount(codes, minlength=len(chunk.oids)))
            start = 0
            for code, oid in enumerate(chunk.oids):
                picked = order[start : bounds[code]]
                start = bounds[code]
                info = chunk.declared.get(oid)
                if info is None:
                    info = self._field(chunk.meta, oid, chunk.by_name) or FieldInfo(name=oid)
                    info = chunk.declared[oid] = store.add_column(info)
                    self.undeclared.setdefault(store.name, set()).add(oid)
                column = data.get(info.name)
                if column is None:
                    column = data[info.name] = np.empty(n, dtype=object)
                # Later items win when an ItemOID repeats within a group.
                column[item_rows[picked]] = values[picked]
        return data

    def _frame(self, store: _FormStore) -> pd.DataFrame:
        data = self._columns(store)
        out: dict[str, np.ndarray] = {}
        for name, info in store.columns.items():
            values = data.get(name)
            if values is None:
                values = np.empty(store.n, dtype=object)
            out[name] = values
            if info.codelist:
                # Undecodable values stay missing: a decode is never guessed.
                out[name + DECODE_SUFFIX] = (
                    pd.Series(values, dtype=object).map(info.codelist).to_numpy(dtype=object)
                )
        body = pd.DataFrame(out, index=pd.RangeIndex(store.n))
        # ODM values are never "": empty ones were skipped while reading.
        return assemble_frame(
            store.lineage(self.path.name), body, path=self.path, empty_is_missing=False
        )

    def _export(self) -> RawExport:
        # Forms declared by any MetaDataVersion but without data still get an (empty) frame,
        # so a mapping spec can be checked against them.
        for meta in self.metadata.values():
            for form_oid in meta.forms:
                self.chunk(meta, form_oid)
        forms: dict[str, pd.DataFrame] = {}
        fields: dict[str, list[FieldInfo]] = {}
        for name, store in self.stores.items():
            forms[name] = self._frame(store)
            fields[name] = list(store.columns.values())
        for name, oids in sorted(self.undeclared.items()):
            self.notes.append(
                f"{self.path}: form {name!r} holds items its FormDef does not declare: "
                + ", ".join(sorted(oids))
            )
        if not any(store.n for store in self.stores.values()):
            self.notes.append(f"{self.path}: no ClinicalData item groups found")
        return RawExport(
            kind="odm",
            path=str(self.path),
            forms=forms,
            fields=fields,
            events=dict(self.events),
            notes=self.notes,
        )


def read_odm(path: str | PathLike[str]) -> RawExport:
    """Read a CDISC ODM 1.3, 1.3.1 or 1.3.2 file (or a folder holding exactly one ``.xml``).

    Adds one frame per form, one row per ``ItemGroupData``:

    * form name: the FormDef ``Name`` when the MetaDataVersion declares one (and it is
      unique there), else the ``FormOID``;
    * columns: the ItemDef ``Name`` of each item the form's item groups declare, in
      MetaDataVersion order (the ItemOID when an item is undeclared or its Name is taken),
      then undeclared items in order of appearance; an item with a CodeListRef gets a
      ``<name>_DECODE`` column right after it, missing where the value is not in the list;
    * lineage: ``_subject`` the SubjectKey, or ``mdsol:SubjectName`` /
      ``OpenClinica:StudySubjectID`` when present; ``_site`` the SiteRef LocationOID;
      ``_event`` the StudyEventOID; ``_record`` the path
      ``StudyEventOID[StudyEventRepeatKey]/FormOID[FormRepeatKey]/ItemGroupOID[ItemGroupRepeatKey]``
      (brackets omitted where a key is absent, the event part where there is no
      StudyEventData, as in REDCap's classic projects); ``_repeat`` the three repeat keys
      ``StudyEventRepeatKey/FormRepeatKey/ItemGroupRepeatKey`` (empty where absent,
      missing when all are).

    Values are kept as written; ``IsNull="Yes"`` and empty values are missing. Several
    ClinicalData blocks are read, each with its own MetaDataVersion. ``fields`` and
    ``events`` come from the MetaDataVersions; forms they declare without data get empty
    frames. Vendor extensions are ignored. DTDs, malformed or truncated files and other
    namespaces or versions raise ``InputError`` with file, line and column.

    >>> export = read_odm(Path("project.xml"))  # doctest: +SKIP
    >>> export.summary()  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
        if len(candidates) != 1:
            raise InputError(
                f"expected exactly one .xml file in the folder, found {len(candidates)}",
                path=path,
                hint="pass the ODM file itself",
            )
        path = candidates[0]
    if not path.exists():
        raise InputError("file not found", path=path, hint="expected an ODM 1.3.x .xml file")
    return _Reader(path).read()
