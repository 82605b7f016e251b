"""Safe parsing of a define.xml, shared by the reader, the checks and the schema validation.

The parsing itself (DTDs refused, no entities or network, size and depth capped) is
:mod:`cdisc.readers.xmlsafe`, the toolkit's one safe-XML module; this adds what a define
needs on top: the wording of its messages and the ODM root check.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from cdisc.errors import InputError
from cdisc.readers.xmlsafe import parse_document

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"

_KIND = "a define.xml"


def parse_define(source: Path | bytes, *, path: Path | None = None) -> etree._ElementTree:
    """The XML tree of a define (a file, or its bytes with ``path`` for messages).

    Raises InputError for an unreadable file, a DOCTYPE, a file over the size cap, or XML
    that is not well-formed (see :func:`cdisc.readers.xmlsafe.parse_document`).

    >>> parse_define(Path("define.xml")).getroot().tag  # doctest: +SKIP
    '{http://www.cdisc.org/ns/odm/v1.3}ODM'
    """
    return parse_document(source, path=path, kind=_KIND)


def parse_odm(source: Path | bytes, *, path: Path | None = None) -> etree._Element:
    """The ODM root element of a define (see :func:`parse_define`); InputError otherwise.

    >>> parse_odm(Path("define.xml")).get("FileType")  # doctest: +SKIP
    'Snapshot'
    """
    root = parse_define(source, path=path).getroot()
    if root.tag != f"{{{ODM_NS}}}ODM":
        raise InputError(
            f"not an ODM document: the root element is {etree.QName(root).localname!r}",
            path=path if path is not None else (source if isinstance(source, Path) else None),
            location=f"line {root.sourceline}",
            hint=f"a define.xml has an ODM root element in the namespace {ODM_NS}",
        )
    return root
