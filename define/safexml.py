"""Safe parsing of a define.xml, shared by the reader, the checks and the schema validation.

A define never needs a DTD, so any DOCTYPE is refused before lxml sees the document (on
the raw bytes, UTF-16/32 included), which rules out external entities (XXE) and entity
expansion (billion laughs); lxml then parses without DTDs, entities or network access.
Every failure is an InputError naming the file, the line and what to do.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from lxml import etree

from cdisc.errors import InputError

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
# UTF-32 first: its little-endian mark starts with UTF-16's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    # No mark: "<?" in UTF-16, as libxml2 itself detects it (XML 1.0 Appendix F).
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)
_PROLOG_SKIP = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)


def parse_define(source: Path | bytes, *, path: Path | None = None) -> etree._ElementTree:
    """The XML tree of a define (a file, or its bytes with ``path`` for messages).

    Raises InputError for an unreadable file, a DOCTYPE, or XML that is not well-formed.
    """
    if isinstance(source, Path):
        path = source
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the define: {exc.strerror or exc}",
                path=source,
                hint="give the path of a define.xml file",
            ) from None
    else:
        data = source
    _refuse_doctype(data, path)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise InputError(
            f"not well-formed XML: {exc.msg}",
            path=path,
            location=f"line {line}, column {column}",
            hint="the file is damaged or truncated; export the define again",
        ) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # Reached only when the prolog scan could not read the encoding (EBCDIC and the like).
        _doctype_error(path, 1)
    return tree


def parse_odm(source: Path | bytes, *, path: Path | None = None) -> etree._Element:
    """The ODM root element of a define (see :func:`parse_define`); InputError otherwise."""
    root = parse_define(source, path=path).getroot()
    if root.tag != f"{{{ODM_NS}}}ODM":
        raise InputError(
            f"not an ODM document: the root element is {etree.QName(root).localname!r}",
            path=path if path is not None else (source if isinstance(source, Path) else None),
            location=f"line {root.sourceline}",
            hint=f"a define.xml has an ODM root element in the namespace {ODM_NS}",
        )
    return root


def _refuse_doctype(data: bytes, path: Path | None) -> None:
    """InputError when the prolog (before the root element) holds a DOCTYPE."""
    data = _as_utf8(data)
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    while match := _PROLOG_SKIP.match(data, start):
        start = match.end()
    rest = data[start:].lstrip()
    if rest[:9].upper() == b"<!DOCTYPE":
        offset = len(data) - len(rest)
        _doctype_error(path, data.count(b"\n", 0, offset) + 1, b"<!ENTITY" in rest)


def _as_utf8(data: bytes) -> bytes:
    """``data`` re-encoded as UTF-8 when its first bytes say UTF-16 or UTF-32, for the scan."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace").encode("utf-8")
    return data


def _doctype_error(path: Path | None, line: int, entities: bool = True) -> None:
    what = "declares entities" if entities else "is present"
    raise InputError(
        f"refused: a DOCTYPE {what}; a define.xml never needs one, and entities can read "
        "local files or expand without bound",
        path=path,
        location=f"line {line}",
        hint="remove the <!DOCTYPE ...> declaration and any entity references",
    )
