"""Parsing XML from outside safely: no DTDs, no entities, no network, bounded size.

An ODM export is data from another system, so it is parsed as hostile input:

* the prolog is checked before parsing; any ``<!DOCTYPE`` is refused, which rules out
  external entities (XXE) and entity expansion ("billion laughs"), since both need a DTD;
* lxml runs with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False`` and
  without ``huge_tree``, so libxml2 keeps its limits: nesting deeper than 256 elements and a
  single text node or attribute longer than 10,000,000 characters are refused;
* every parser error becomes an ``InputError`` with the file, line and column.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path

from lxml import etree

from cdisc.errors import InputError

#: Longest prolog (XML declaration, comments, processing instructions) read before the root.
MAX_PROLOG_BYTES = 1 << 20

_DTD_HINT = "DTDs are not accepted in ODM exports; export the file again without a DOCTYPE"


def _decode_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    # Markup is ASCII in every encoding ODM allows besides UTF-16, so latin-1 never fails
    # and keeps one character per byte for the position arithmetic below.
    return head.decode("latin-1")


def check_prolog(path: str | PathLike[str]) -> None:
    """Refuse a file whose prolog holds a DTD (or anything but comments and PIs) before the root.

    Raises ``InputError`` naming the file and line: for an empty file, a ``<!DOCTYPE``, any
    other ``<!`` declaration, or a prolog longer than ``MAX_PROLOG_BYTES``.

    >>> check_prolog("odm.xml")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(MAX_PROLOG_BYTES)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    if not head.strip():
        raise InputError("empty file", path=path, location="line 1")
    text = _decode_head(head)
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = -1 if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = -1 if end < 0 else end + 3
        elif text.startswith("<!", pos):
            line = text.count("\n", 0, pos) + 1
            if text[pos : pos + 9].upper() == "<!DOCTYPE":
                raise InputError(
                    "document type declaration (<!DOCTYPE>) found: it can declare external "
                    "or recursively expanding entities",
                    path=path,
                    location=f"line {line}",
                    hint=_DTD_HINT,
                )
            raise InputError(
                "markup declaration before the root element",
                path=path,
                location=f"line {line}",
                hint=_DTD_HINT,
            )
        else:
            return
        if pos < 0:
            if len(head) >= MAX_PROLOG_BYTES:
                raise InputError(
                    f"no root element within the first {MAX_PROLOG_BYTES} bytes",
                    path=path,
                    location="line 1",
                )
            return  # an unterminated comment or PI: the parser reports it with its position


def syntax_error(path: str | PathLike[str], exc: etree.XMLSyntaxError) -> InputError:
    """Turn an lxml syntax error into an ``InputError`` with the parser's line and column."""
    line, column = getattr(exc, "position", (0, 0)) or (0, 0)
    message = (exc.msg or str(exc)).strip().splitlines()[0]
    where = f"line {line}, column {column}" if line else None
    hint = "the file is truncated or not well-formed XML; export it again"
    if "huge" in message.lower():
        hint = "the file exceeds the parser's safety limits (nesting depth 256, 10 MB per value)"
    return InputError(f"not well-formed XML: {message}", path=path, location=where, hint=hint)


def safe_iterparse(
    path: str | PathLike[str],
    *,
    events: Sequence[str] = ("end",),
    tag: Sequence[str] | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``(event, element)`` pairs from ``path`` with the safety settings above.

    Checks the prolog first; converts parser errors into ``InputError``. The caller clears
    elements it has used.

    >>> for _, el in safe_iterparse("odm.xml", tag=["{*}ItemGroupData"]):  # doctest: +SKIP
    ...     el.clear()
    """
    check_prolog(path)
    parser = etree.iterparse(
        str(path),
        events=tuple(events),
        tag=list(tag) if tag is not None else None,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        yield from parser
    except etree.XMLSyntaxError as exc:
        raise syntax_error(path, exc) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc}", path=path) from None
