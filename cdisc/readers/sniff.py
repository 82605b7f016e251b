"""What a file really holds, from its first bytes, so a misnamed file is named for what it is.

An EDC download that failed often leaves a web server's HTML error page under the name the
export should have had (``vs.xpt``); a spreadsheet saved as CSV keeps its ``.xlsx`` name.
The binary readers (pyreadstat, openpyxl) then fail with messages about page headers or
zip directories. :func:`check_signature` catches the clear cases first and says what the
file is instead; anything it does not recognise is left to the reader.

Signatures: SAS transport files start with the 80-byte record ``HEADER RECORD*******LIBRARY
HEADER RECORD!!!!!!!`` (``LIBV8`` for version 8; SAS TS-140); SAS7BDAT files carry a 32-byte
magic number (the one ReadStat's ``sas7bdat_magic_number`` checks); .xlsx workbooks are ZIP
archives (``PK\\x03\\x04``); legacy .xls workbooks are OLE2 compound files.
"""

from __future__ import annotations

import codecs
from os import PathLike
from pathlib import Path

from cdisc.errors import InputError

#: How many leading bytes are read to recognise a file.
SNIFF_BYTES = 512

_XPT = b"HEADER RECORD*******LIB"
_SAS7BDAT = bytes(12) + bytes.fromhex("c2ea8160b31411cfbd92080009c7318c181f1011")
_ZIP = b"PK\x03\x04"
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")

#: What each extension must hold, as people call it.
EXPECTED: dict[str, str] = {
    ".xpt": "a SAS transport (XPT) file",
    ".sas7bdat": "a SAS7BDAT dataset",
    ".xlsx": "an Excel workbook (.xlsx)",
}


def describe(head: bytes) -> tuple[str, str] | None:
    """``(kind, description)`` of a file from its first bytes, or None when unrecognised.

    ``kind`` is the extension the content belongs to (``".xpt"``, ``".sas7bdat"``,
    ``".xlsx"``), or ``"text"``/``"empty"`` for content no binary reader can take.

    >>> describe(b"<!DOCTYPE html><html><body>404</body></html>")[1]
    'an HTML page (a download that failed?)'
    >>> describe(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000")[0]
    '.xpt'
    """
    if not head.strip():
        return "empty", "nothing (the file is empty)"
    if head.startswith(_XPT):
        return ".xpt", EXPECTED[".xpt"]
    if head.startswith(_SAS7BDAT):
        return ".sas7bdat", EXPECTED[".sas7bdat"]
    if head.startswith(_ZIP):
        return ".xlsx", "a ZIP archive (an .xlsx workbook?)"
    if head.startswith(_OLE2):
        return ".xls", "a legacy Excel .xls workbook (or another OLE2 document)"
    if b"\x00" in head:
        return None  # binary, and nothing this module knows: the reader decides
    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace").lstrip()
    lowered = text[:100].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered:
        return "text", "an HTML page (a download that failed?)"
    if lowered.startswith("<"):
        return "text", "XML or other markup text"
    first = text.splitlines()[0] if text else ""
    shown = first if len(first) <= 60 else first[:57] + "..."
    return "text", f"text (a CSV file?) starting {shown!r}"


def check_signature(path: str | PathLike[str]) -> None:
    """Raise ``InputError`` when the file at ``path`` clearly is not what its extension says.

    Only ``.xpt``, ``.sas7bdat`` and ``.xlsx`` are checked. The message names what the file
    holds instead, at line 1 (text) or byte 1 (binary), with what to do.

    >>> check_signature("raw/vs.xpt")  # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    expected = EXPECTED.get(suffix)
    if expected is None:
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc}",
            path=path,
            hint="check that the file exists and is readable",
        ) from None
    found = describe(head)
    if found is None or found[0] == suffix:
        return
    kind, description = found
    raise InputError(
        f"not {expected}: the file holds {description}",
        path=path,
        location="line 1" if kind in ("text", "empty") else "byte 1",
        hint=f"export the form again as {expected}, or name the file after what it holds",
    )
