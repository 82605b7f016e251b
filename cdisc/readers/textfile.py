"""Text files as EDC systems write them: encodings, byte-order marks, CSV quirks.

Every CSV reader of the toolkit goes through :func:`read_csv_frame`, so all of them treat
encodings, embedded newlines, ragged rows and empty files the same way:

* bytes are decoded as UTF-8 (a byte-order mark is removed and noted); a file that is not
  valid UTF-8 is read as windows-1252 with a note naming the first bad byte, unless the
  caller forces an encoding, in which case a bad byte is an ``InputError``;
* every cell is text exactly as written: no trimming, no type conversion, and ``NA``,
  ``N/A`` or ``NULL`` stay data; only an empty cell is missing;
* an empty file, a header without data rows, a row with more fields than the header, or a
  duplicated column name is an ``InputError`` naming the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pandas as pd

from cdisc.errors import InputError, UsageError

#: Fallback when a file is not UTF-8: what Excel and older Windows EDC exports write.
FALLBACK_ENCODING = "cp1252"
_FALLBACK_LABEL = "windows-1252"


@dataclass
class TextTable:
    """A CSV file read as text: the frame (all ``str``, missing as NaN) and what was noticed."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def read_text(path: str | PathLike[str], *, encoding: str | None = None) -> tuple[str, list[str]]:
    """Return the decoded text of ``path`` and the notes on how it was decoded.

    ``encoding=None`` means UTF-8, falling back to windows-1252 with a note; any other value
    forces that codec (a byte it cannot decode is an ``InputError`` with line and byte
    offset). A UTF-8 byte-order mark is always removed and noted.

    >>> text, notes = read_text("data.csv")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    notes: list[str] = []
    skipped = 0
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(
                f"unknown encoding {encoding!r}", hint="use a Python codec name such as 'cp1252'"
            ) from None
    if raw.startswith(codecs.BOM_UTF8):
        raw, skipped = raw[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
        notes.append(f"{path}: UTF-8 byte-order mark removed")
    elif encoding is None and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" is UTF-16 with a byte-order mark; it can only be that.
        encoding = "utf-16"
        notes.append(f"{path}: UTF-16 byte-order mark found; read as UTF-16")
    if not raw or raw.isspace():  # (raw.strip() would copy the whole file to find out)
        raise InputError("empty file", path=path, location="line 1", hint="re-export the data")
    codec = encoding or "utf-8"
    try:
        return raw.decode(codec), notes
    except UnicodeDecodeError as exc:
        line = _line_of(raw, exc.start)
        where = f"line {line}, byte offset {exc.start + skipped}"
        if encoding is not None:
            raise InputError(
                f"not valid {encoding} (byte 0x{raw[exc.start]:02x})",
                path=path,
                location=where,
                hint="give the encoding the file was written in: study.yaml source options "
                "{encoding: cp1252}, or encoding='cp1252' to the reader",
            ) from None
    try:
        text = raw.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"neither UTF-8 nor {_FALLBACK_LABEL} (byte 0x{raw[exc.start]:02x})",
            path=path,
            location=f"line {_line_of(raw, exc.start)}, byte offset {exc.start + skipped}",
            hint="give the encoding the file was written in: study.yaml source options "
            "{encoding: latin-1}, or encoding='latin-1' to the reader",
        ) from None
    notes.append(f"{path}: not UTF-8 (first bad byte at {where}); read as {_FALLBACK_LABEL}")
    return text, notes


def first_record(path: str | PathLike[str], *, limit: int = 1 << 16) -> list[str]:
    """Return the first CSV record (the header) of ``path``, read leniently, for detection.

    Reads at most ``limit`` bytes; a file that cannot be read gives ``[]``.

    >>> first_record("dictionary.csv")[0]  # doctest: +SKIP
    'Variable / Field Name'
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(limit)
    except OSError:
        return []
    text = head.decode("utf-8-sig", errors="replace")
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []


def strip_eof_trailer(text: str) -> tuple[str, bool]:
    """Remove a Rave-style trailing ``EOF`` line; return the text and whether one was removed.

    Only a true trailer counts: the last line is exactly ``EOF`` (unquoted) and it does not
    sit inside a quoted field, so a record that merely contains ``EOF`` stays data.

    >>> strip_eof_trailer('a,b\\n1,2\\nEOF\\n')
    ('a,b\\n1,2\\n', True)
    >>> strip_eof_trailer('a,b\\n1,"x\\nEOF"\\n')[1]
    False
    """
    cut = _trailer_at(text)
    return (text, False) if cut < 0 else (text[:cut], True)


def _trailer_at(text: str) -> int:
    """Where a true ``EOF`` trailer line starts in ``text`` (see strip_eof_trailer), or -1.

    Works on positions, so a file of hundreds of megabytes is not copied to find out.
    """
    end = len(text)
    while end and text[end - 1] in "\r\n":  # only the trailing line breaks
        end -= 1
    cut = text.rfind("\n", 0, end)
    if cut < 0 or text[cut + 1 : end] != "EOF":
        return -1
    # An odd number of quote characters before the line means it is inside a quoted field.
    if text.count('"', 0, cut + 1) % 2:
        return -1
    return cut + 1


_PANDAS_LINE = re.compile(r"(?:line|row) (\d+)")


def _csv_records(text: str):  # a csv reader, whose line_num tracks physical lines
    return csv.reader(io.StringIO(text, newline=""))


def _header(text: str, path: Path) -> tuple[list[str], int]:
    """The first CSV record of ``text`` and the physical lines it spans.

    Parses a growing prefix rather than the whole text: a CSV reader over all of a large
    file would first copy it (as four bytes per character) to read one record.
    """
    size = 1 << 16
    while True:
        head = text[:size]
        stream = io.StringIO(head, newline="")
        reader = csv.reader(stream)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            if size < len(text):  # the prefix may end inside a quoted name
                size *= 4
                continue
            raise InputError(
                f"cannot parse the CSV header: {exc}", path=path, location="line 1"
            ) from None
        # Data left after the record: it ended inside the prefix, so it is complete.
        if stream.tell() < len(head) or size >= len(text):
            return header, reader.line_num
        size *= 4


def _find_ragged(text: str, width: int) -> tuple[int, int, int] | None:
    """Locate the first record with more than ``width`` fields: (data row, line, fields).

    Runs only after the fast parser has failed, to name the physical line for the user.
    """
    reader = _csv_records(text)
    start = 1
    row = -1  # the header is row 0
    try:
        for record in reader:
            if record:
                row += 1
                if len(record) > width:
                    return row, start, len(record)
            start = reader.line_num + 1
    except csv.Error:
        return None
    return None


def read_csv_frame(
    path: str | PathLike[str],
    *,
    encoding: str | None = None,
    strip_eof: bool = False,
) -> TextTable:
    """Read a CSV file as text: every column ``str``, an empty cell missing, nothing else changed.

    ``strip_eof`` removes a Rave-style ``EOF`` trailer line (and notes it). Raises
    ``InputError`` for an empty file, a header without data rows, a duplicated or empty
    column name, and a row with more fields than the header, each naming file and line.

    >>> table = read_csv_frame("vitals_raw_data.csv", strip_eof=True)  # doctest: +SKIP
    >>> table.frame.dtypes.unique()  # doctest: +SKIP
    array([<StringDtype(na_value=nan)>], dtype=object)
    """
    path = Path(path)
    text, notes = read_text(path, encoding=encoding)
    # No note yet: the file is UTF-8 without a byte-order mark, as pandas reads it.
    plain = not notes and _is_utf8(encoding)
    header, header_lines = _header(text, path)
    if not header or not any(header):
        raise InputError("no header row", path=path, location="line 1")
    cut = _trailer_at(text) if strip_eof and len(header) > 1 else -1
    if cut >= 0:
        notes.append(f"{path}: trailing EOF line removed")
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if name == "":
            raise InputError(
                f"column {number} has no name", path=path, location=f"line 1, column {number}"
            )
        if name in seen:
            raise InputError(
                f"column {number} repeats the column name {name!r}",
                path=path,
                location=f"line 1, column {number}",
                hint="column names must be unique; re-export the data",
            )
        seen.add(name)
    frame = None
    if plain:
        # Plain UTF-8 (no byte-order mark): pandas' C parser reads the file itself (on
        # several threads), which costs half of parsing the decoded text again.
        frame = _parse_csv(path, text, path, len(header))
        if cut >= 0:
            frame = _without_trailer(frame)
    if frame is None:
        body = text if cut < 0 else text[:cut]
        frame = _parse_csv(io.StringIO(body), body, path, len(header))
    if frame.empty:
        raise InputError(
            "header only, no data rows",
            path=path,
            location=f"line {header_lines + 1}",
            hint="an export with no records cannot be converted; check the export filters",
        )
    return TextTable(frame=frame, notes=notes)


def _is_utf8(encoding: str | None) -> bool:
    return encoding is None or codecs.lookup(encoding).name == "utf-8"


def _without_trailer(frame: pd.DataFrame) -> pd.DataFrame | None:
    """``frame`` without its last row, which must be the EOF trailer: ``EOF`` then missing.

    None when the parser read the last line otherwise (then the stripped text is parsed).
    """
    if not len(frame) or frame.iloc[-1, 0] != "EOF" or frame.iloc[-1, 1:].notna().any():
        return None
    return frame.iloc[:-1]


def _parse_csv(source: object, text: str, path: Path, width: int) -> pd.DataFrame:
    """Parse ``source`` (the file or its decoded ``text``) as text, an empty cell missing."""
    try:
        return pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            engine="c",
            encoding="utf-8",
            compression=None,
        )
    except pd.errors.ParserError as exc:
        ragged = _find_ragged(text, width)
        if ragged is not None:
            row, line, fields = ragged
            raise InputError(
                f"data row {row} has {fields} fields but the header has {width}",
                path=path,
                location=f"line {line}",
                hint="a value with a comma or newline must be quoted; re-export the file",
            ) from None
        found = _PANDAS_LINE.search(str(exc))
        raise InputError(
            f"cannot parse CSV: {str(exc).strip()}",
            path=path,
            location=f"line {found.group(1)}" if found else None,
        ) from None
