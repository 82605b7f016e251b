"""What an export declares (forms and field names), read from its metadata only, never its data.

``cdisc check`` needs the forms and fields a source declares, not its records. Reading a
10,000-subject ODM file whole to learn them takes minutes; its MetaDataVersion is at the top
of the file and takes milliseconds. :func:`read_declared` reads, per kind of export:

* ODM: the MetaDataVersion elements, streamed with the safety settings of
  :mod:`cdisc.readers.xmlsafe`, stopping at the first ``ClinicalData``;
* REDCap: the data dictionary, plus the header line of the data CSV (which checkbox
  choices and survey timestamps the export carries);
* Rave-style files: the header row of each CSV or XLSX file, the column metadata of each
  XPT or SAS7BDAT file.

The names returned are those the full reader's frames would carry: every declared field,
``<field>_DECODE`` for a coded field, and the lineage columns. What only the data can show
is not known here: an ODM item or form that the metadata does not declare (the full reader
notes those), and a file with a header but no records (the full reader refuses it).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import pyreadstat

from cdisc.errors import InputError, UsageError
from cdisc.readers.base import DECODE_SUFFIX, LINEAGE_COLUMNS, FieldInfo
from cdisc.readers.detect import detect_kind, reader_options
from cdisc.readers.odm import _CLINICAL, _MDV, _check_root, _Reader
from cdisc.readers.rave import (
    _find,
    _iconv_name,
    _system_columns,
    group_fields,
    select_form_files,
)
from cdisc.readers.redcap import _locate
from cdisc.readers.redcap_dictionary import Layout, form_fields, read_dictionary
from cdisc.readers.sniff import check_signature
from cdisc.readers.textfile import FALLBACK_ENCODING, read_text
from cdisc.readers.xmlsafe import safe_iterparse

#: Bytes read at a time while looking for the end of a CSV header record.
_HEADER_CHUNK = 1 << 16


def _names(fields: Iterable[FieldInfo], columns: Iterable[str] = ()) -> set[str]:
    """Field names, data columns, decode twins of coded fields and the lineage columns."""
    fields = list(fields)
    names = {f.name for f in fields} | set(columns)
    names |= {f"{f.name}{DECODE_SUFFIX}" for f in fields if f.codelist}
    return names | set(LINEAGE_COLUMNS)


# -- ODM ----------------------------------------------------------------------------------
def _odm_file(path: Path) -> Path:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
        if len(found) != 1:
            raise InputError(
                f"expected exactly one .xml file in the folder, found {len(found)}",
                path=path,
                hint="pass the ODM file itself",
            )
        return found[0]
    if not path.exists():
        raise InputError("file not found", path=path, hint="expected an ODM 1.3.x .xml file")
    return path


def _declared_odm(path: Path) -> dict[str, set[str]]:
    path = _odm_file(path)
    reader = _Reader(path)
    _check_root(path)
    # ODM puts every Study (and so every MetaDataVersion) before any ClinicalData, so the
    # first ClinicalData start tag ends the metadata: the records are never parsed.
    stream = safe_iterparse(path, events=("start", "end"), tag=[_MDV, _CLINICAL])
    try:
        for event, element in stream:
            if element.tag == _CLINICAL:
                break
            if event == "end":
                reader.add_metadata(element)
                element.clear()
    finally:
        stream.close()
    # Columns exactly as the full reader declares them: each version on its own (forms
    # without data) and merged over what it includes (forms with data).
    for study, oid in list(reader.metadata):
        resolved = reader.resolve_metadata(study, oid)
        for meta in {
            id(m): m for m in (reader.metadata[(study, oid)], resolved) if m is not None
        }.values():
            for form_oid in meta.forms:
                reader.chunk(meta, form_oid)
    return {name: _names(store.columns.values()) for name, store in reader.stores.items()}


# -- CSV header ---------------------------------------------------------------------------
def _record_end(head: bytes) -> int | None:
    """Offset of the first line end outside quotes in ``head``; ``None`` when there is none.

    A line end inside quotes (an odd number of quote bytes before it) belongs to a quoted
    column name; ``""`` inside a quoted name adds two quotes, so the parity holds.
    """
    for match in re.finditer(rb"[\r\n]", head):
        if head.count(b'"', 0, match.start()) % 2 == 0:
            return match.start()
    return None


def _header_bytes(path: Path) -> bytes:
    """The bytes of the first CSV record, read a chunk at a time: never the records."""
    try:
        with open(path, "rb") as handle:
            head = b""
            while chunk := handle.read(_HEADER_CHUNK):
                head += chunk
                end = _record_end(head)
                if end is not None:
                    return head[:end]
            return head
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from None


def read_header(path: str | PathLike[str], *, encoding: str | None = None) -> list[str]:
    """The column names of a CSV file, reading only its first record.

    Decoding follows :func:`cdisc.readers.textfile.read_text` (UTF-8, a byte-order mark
    removed, windows-1252 when not UTF-8, ``encoding`` forced when given; a UTF-16 file is
    decoded whole). An empty header, an empty column name or a repeated one raises
    ``InputError`` with file, line and column, as the full CSV reader does.

    >>> read_header("vitals_raw_data.csv")[:2]  # doctest: +SKIP
    ['STUDY', 'PATNUM']
    """
    path = Path(path)
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(
                f"unknown encoding {encoding!r}", hint="use a Python codec name such as 'cp1252'"
            ) from None
    raw = _header_bytes(path)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        encoding is not None and codec.startswith("utf-16")
    ):
        # Line ends are two bytes wide there: decode the file the ordinary way.
        text, _ = read_text(path, encoding=encoding)
    else:
        raw = raw.removeprefix(codecs.BOM_UTF8)
        if encoding is not None:
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid {encoding} (byte 0x{raw[exc.start]:02x})",
                    path=path,
                    location=f"line 1, byte offset {exc.start}",
                    hint="pass the encoding the file was written in, e.g. encoding='cp1252'",
                ) from None
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode(FALLBACK_ENCODING, errors="replace")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise InputError(
            f"cannot parse the CSV header: {exc}", path=path, location="line 1"
        ) from None
    if not header or not any(header):
        raise InputError("no header row", path=path, location="line 1")
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if name == "" or name in seen:
            raise InputError(
                f"column {number} has no name"
                if name == ""
                else f"column {number} repeats the column name {name!r}",
                path=path,
                location=f"line 1, column {number}",
            )
        seen.add(name)
    return header


# -- REDCap -------------------------------------------------------------------------------
def _declared_redcap(
    folder: Path | None,
    *,
    data: str | PathLike[str] | None = None,
    dictionary: str | PathLike[str] | None = None,
    events: str | PathLike[str] | None = None,
    encoding: str | None = None,
) -> dict[str, set[str]]:
    files = _locate(
        folder,
        Path(data) if data is not None else None,
        Path(dictionary) if dictionary is not None else None,
        Path(events) if events is not None else None,
        [],
    )
    fields, _ = read_dictionary(files.dictionary, encoding=encoding)
    if not fields:  # pragma: no cover - read_csv_frame refuses a header-only dictionary
        raise InputError("the data dictionary declares no fields", path=files.dictionary)
    # The header says which checkbox choices and survey timestamps the export carries,
    # and must pass the same check as when the records are read.
    layout = Layout(fields, read_header(files.data, encoding=encoding))
    layout.check(files.data, files.dictionary)
    return {form: _names(form_fields(layout, form)) for form in layout.forms}


# -- Rave-style ---------------------------------------------------------------------------
def _sas_columns(path: Path, encoding: str | None) -> tuple[list[str], dict[str, str]]:
    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    options = {"encoding": _iconv_name(encoding)} if encoding else {}
    if path.stat().st_size == 0:
        raise InputError("empty file", path=path, hint="export the form again")
    check_signature(path)
    try:
        _, meta = reader(str(path), metadataonly=True, **options)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeDecodeError) as exc:
        raise InputError(
            f"not a readable SAS file: {exc}",
            path=path,
            hint="check that the file is what its extension says (not an HTML error page)",
        ) from None
    except ValueError as exc:
        raise InputError(
            f"not a readable SAS file: {exc}",
            path=path,
            hint="check that the file is what its extension says; export it again",
        ) from None
    labels = {k: v or "" for k, v in (meta.column_names_to_labels or {}).items()}
    return list(meta.column_names), labels


def _xlsx_columns(path: Path) -> list[str]:
    import openpyxl

    if path.stat().st_size == 0:
        raise InputError("empty file", path=path, hint="expected an Excel workbook (.xlsx)")
    check_signature(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for bad files
        raise InputError(
            f"not a readable Excel workbook: {type(exc).__name__}: {exc}",
            path=path,
            hint="check that the file is an .xlsx workbook (not .xls, CSV or an HTML page)",
        ) from None
    try:
        row = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    cells = list(row)
    while cells and cells[-1] is None:  # as pandas does: trailing empty cells are no columns
        cells.pop()
    if not cells:
        raise InputError("no columns", path=path, hint="export the form again")
    if None in cells:
        raise InputError(
            f"column {cells.index(None) + 1} has no name in the header row",
            path=path,
            location="row 1",
            hint="the first row of the first sheet must hold the column names",
        )
    return [str(c) for c in cells]


def _declared_rave(
    folder: Path,
    *,
    forms: Iterable[str] | None = None,
    coded_suffix: str = "_STD",
    raw_suffix: str = "_RAW",
    system_columns: Mapping[str, Sequence[str]] | None = None,
    encoding: str | None = None,
) -> dict[str, set[str]]:
    synonyms = _system_columns(system_columns)
    files = select_form_files(folder, forms, [])
    out: dict[str, set[str]] = {}
    for form, path in files.items():
        labels: dict[str, str] = {}
        suffix = path.suffix.lower()
        if suffix == ".csv":
            columns = read_header(path, encoding=encoding)
        elif suffix == ".xlsx":
            columns = _xlsx_columns(path)
        else:
            columns, labels = _sas_columns(path, encoding)
        if _find(columns, synonyms["subject"]) is None:
            raise InputError(
                "no subject column (looked for " + ", ".join(synonyms["subject"]) + ")",
                path=path,
                location="line 1",
                hint='name the subject column with system_columns={"subject": [...]}',
            )
        infos = group_fields(
            columns, raw_suffix=raw_suffix, coded_suffix=coded_suffix, labels=labels
        )
        out[form] = _names(infos, columns)
    return out


def read_declared(
    path: str | PathLike[str], kind: str | None = None, **options: Any
) -> dict[str, set[str]]:
    """Form -> the field names an export declares, from its metadata alone (no records read).

    Takes what :func:`~cdisc.readers.read_export` takes (``kind=None`` detects the kind;
    the same reader options, checked the same way) and returns what
    ``sdtm.specs.declared_fields(read_export(...))`` returns for an export whose data
    holds only declared items: every form, and per form its fields, ``<field>_DECODE``
    for coded fields and the lineage columns ``_file`` ... ``_repeat``.

    >>> read_declared("mappings/sail/raw/sail_odm.xml")["vs"] >= {"VSDAT", "_subject"}  # doctest: +SKIP
    True
    """
    kind = reader_options(kind or detect_kind(path), options)
    path = Path(path)
    if kind == "odm":
        return _declared_odm(path)
    if kind == "redcap":
        return _declared_redcap(path, **options)
    return _declared_rave(path, **options)
