"""Parsing XML from outside safely: no DTDs, no entities, no network, bounded size and depth.

Every XML file the toolkit reads (an ODM export, a define.xml handed to ``cdisc validate``)
comes from another system, so it is parsed as hostile input, here and nowhere else:

* **DTDs are refused** before lxml sees the document: the prolog (XML declaration, comments,
  processing instructions) is scanned on the raw bytes, UTF-16 and UTF-32 included, and any
  ``<!DOCTYPE`` or other ``<!`` declaration is an ``InputError``. External entities (XXE) and
  entity expansion ("billion laughs") both need a DTD, so neither can happen;
* lxml then runs with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False``
  and without ``huge_tree``, so libxml2 keeps its own limits: **nesting deeper than 256
  elements** (:data:`MAX_DEPTH`) and a single text node or attribute longer than 10,000,000
  characters are refused;
* **file size is capped** before parsing. A streamed file (:func:`safe_iterparse`, the ODM
  reader) may be up to ``CDISC_XML_MAX_BYTES`` bytes, default 16 GiB: four times the largest
  export the project benchmarks (trial B at 100,000 subjects, 4,182 MB for the export and
  its ground truth, BENCHMARKS.md), so a real export passes, while a runaway file is refused
  at once instead of after hours of parsing. A document parsed whole into memory
  (:func:`parse_document`, a define.xml) may be up to ``CDISC_XML_MAX_TREE_BYTES`` bytes,
  default 512 MiB: lxml holds several bytes of tree per byte of XML, and a define.xml of a
  large submission is a few megabytes;
* every failure is an ``InputError`` naming the file, the line (and column, where the parser
  gives one) and what to do.

>>> for _, el in safe_iterparse("odm.xml", tag=["{*}ItemGroupData"]):  # doctest: +SKIP
...     el.clear()
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path

from lxml import etree

from cdisc.errors import InputError, UsageError

#: Environment variable that sets the size cap of a streamed XML file, in bytes.
MAX_BYTES_ENV = "CDISC_XML_MAX_BYTES"
#: Environment variable that sets the size cap of an XML document parsed whole, in bytes.
MAX_TREE_BYTES_ENV = "CDISC_XML_MAX_TREE_BYTES"
#: Default cap of a streamed file (see the module docstring for why).
DEFAULT_MAX_BYTES = 16 * 1024**3
#: Default cap of a document parsed whole into memory.
DEFAULT_MAX_TREE_BYTES = 512 * 1024**2
#: Deepest element nesting libxml2 accepts without ``huge_tree`` (its ``xmlParserMaxDepth``).
MAX_DEPTH = 256
#: Longest prolog (XML declaration, comments, processing instructions) read before the root.
MAX_PROLOG_BYTES = 1 << 20

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
_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)


def max_bytes(variable: str = MAX_BYTES_ENV) -> int:
    """The size cap in bytes that ``variable`` sets, or its default when it is unset.

    A value that is not a positive whole number is a ``UsageError`` naming the variable.

    >>> max_bytes("CDISC_NO_SUCH_VARIABLE_SET")  # doctest: +SKIP
    17179869184
    """
    default = DEFAULT_MAX_TREE_BYTES if variable == MAX_TREE_BYTES_ENV else DEFAULT_MAX_BYTES
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) == 0:
        raise UsageError(
            f"environment variable {variable}={text!r} is not a positive number of bytes",
            hint=f"unset it for the default ({default:,} bytes) or give e.g. {default}",
        )
    return int(text)


def _bare(kind: str) -> str:
    """``"the define.xml"`` for ``"a define.xml"``: the article of ``kind`` made definite."""
    first, _, rest = kind.partition(" ")
    return f"the {rest}" if first in ("a", "an") and rest else kind


def _check_size(path: Path, size: int, variable: str) -> None:
    cap = max_bytes(variable)
    if size > cap:
        raise InputError(
            f"file of {size:,} bytes exceeds the XML size cap of {cap:,} bytes",
            path=path,
            location="line 1",
            hint=f"check that this is the right file; set {variable} to a larger cap to read it",
        )


def _as_text(head: bytes) -> str:
    """The first bytes of a file as text, for the prolog scan: one character per byte for
    every encoding but UTF-16 and UTF-32, which are decoded (markup is ASCII in the rest)."""
    for bom, codec in _WIDE_BOMS:
        if head.startswith(bom):
            return head.decode(codec, errors="replace")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    return head.decode("latin-1")


def refuse_doctype(head: bytes, path: str | PathLike[str] | None, *, kind: str) -> None:
    """Raise ``InputError`` when the prolog in ``head`` (a file's first bytes) holds a DOCTYPE.

    ``kind`` names what the file should be, with its article, for the message
    (``"an ODM export"``, ``"a define.xml"``). Any other ``<!`` declaration before the root is refused as well; a
    prolog longer than :data:`MAX_PROLOG_BYTES` is refused. The location is the line of the
    declaration.

    >>> refuse_doctype(b'<?xml version="1.0"?>\\n<ODM/>', None, kind="an ODM export")
    """
    text = _as_text(head[:MAX_PROLOG_BYTES])
    pos = 0
    while match := _PROLOG_ITEM.match(text, pos):
        pos = match.end()
    rest = text[pos:].lstrip(" \t\r\n\ufeff")
    offset = len(text) - len(rest)
    line = text.count("\n", 0, offset) + 1
    hint = "remove the <!DOCTYPE ...> declaration and any entity references"
    if rest[:14].upper() == "<!DOCTYPE HTML":
        raise InputError(
            f"the file is an HTML page, not {kind}",
            path=path,
            location=f"line {line}",
            hint="the download or export probably failed (an error page); export the file again",
        )
    if rest[:9].upper() == "<!DOCTYPE":
        what = "declares entities" if "<!ENTITY" in rest.upper() else "is present"
        raise InputError(
            f"refused: a DOCTYPE {what}; {kind} never needs one, and entities can read "
            "local files or expand without bound",
            path=path,
            location=f"line {line}",
            hint=hint,
        )
    # An unterminated comment is left to the parser, which reports where it starts.
    if rest.startswith("<!") and not rest.startswith("<!--"):
        raise InputError(
            "refused: a markup declaration before the root element",
            path=path,
            location=f"line {line}",
            hint=hint,
        )
    if not rest and len(head) >= MAX_PROLOG_BYTES:
        raise InputError(
            f"no root element within the first {MAX_PROLOG_BYTES:,} bytes",
            path=path,
            location="line 1",
            hint=f"expected {kind}",
        )


def syntax_error(
    path: str | PathLike[str] | None, exc: etree.XMLSyntaxError, *, kind: str = "the file"
) -> InputError:
    """Turn an lxml syntax error into an ``InputError`` with the parser's line and column.

    ``kind`` names the file for the hint (``"the ODM export"``); a depth or size limit of
    libxml2 gets a hint naming the limits.

    >>> try:
    ...     etree.fromstring(b"<a><b></a>")
    ... except etree.XMLSyntaxError as exc:
    ...     print(syntax_error("x.xml", exc).location)
    line 1, column 11
    """
    line, column = getattr(exc, "position", (0, 0)) or (0, 0)
    message = (exc.msg or str(exc)).strip().splitlines()[0]
    # libxml2 appends ", line L, column C" itself; the location says it once.
    message = re.sub(r", line \d+, column \d+$", "", message)
    hint = f"{_bare(kind)} is truncated or not well-formed XML; export it again"
    if "huge" in message.lower() or "depth" in message.lower():
        hint = (
            f"{_bare(kind)} exceeds the parser's safety limits (nesting deeper than {MAX_DEPTH} "
            "elements, or one value over 10,000,000 characters); check that it is the right file"
        )
    return InputError(
        f"not well-formed XML: {message}",
        path=path,
        location=f"line {max(line, 1)}, column {max(column, 1)}",
        hint=hint,
    )


def check_prolog(path: str | PathLike[str], *, kind: str = "an ODM export") -> None:
    """Refuse a file before parsing: unreadable, empty, over the size cap, or with a DTD.

    Raises ``InputError`` naming the file and line (see :func:`refuse_doctype`).

    >>> check_prolog("odm.xml")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(MAX_PROLOG_BYTES)
    except FileNotFoundError:
        raise InputError("file not found", path=path, hint=f"expected {kind} (.xml)") from None
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc}", path=path, hint=f"expected {kind} (.xml)"
        ) from None
    _check_size(path, size, MAX_BYTES_ENV)
    if not head.strip():
        raise InputError(
            "not well-formed XML: empty file",
            path=path,
            location="line 1, column 1",
            hint=f"{_bare(kind)} is empty; export it again",
        )
    refuse_doctype(head, path, kind=kind)


def safe_iterparse(
    path: str | PathLike[str],
    *,
    events: Sequence[str] = ("end",),
    tag: Sequence[str] | None = None,
    kind: str = "an ODM export",
) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``(event, element)`` pairs from ``path`` with the safety settings above.

    Checks size and prolog first (:func:`check_prolog`); parser errors become
    ``InputError`` with line and column. The caller clears elements it has used.

    >>> for _, el in safe_iterparse("odm.xml", tag=["{*}ItemGroupData"]):  # doctest: +SKIP
    ...     el.clear()
    """
    check_prolog(path, kind=kind)
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
        raise syntax_error(path, exc, kind=kind) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc}", path=path, hint=f"expected {kind}") from None


def parse_document(
    source: Path | bytes, *, path: Path | None = None, kind: str = "an XML document"
) -> etree._ElementTree:
    """The XML tree of a file (or of its bytes, with ``path`` for messages), parsed safely.

    Raises ``InputError`` for an unreadable file, one over ``CDISC_XML_MAX_TREE_BYTES``, a
    DOCTYPE, or XML that is not well-formed, each with the file, line and a hint.

    >>> parse_document(b"<a><b/></a>").getroot().tag
    'a'
    """
    if isinstance(source, Path):
        path = source
        try:
            _check_size(path, path.stat().st_size, MAX_TREE_BYTES_ENV)
            data = source.read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read {_bare(kind)}: {exc.strerror or exc}",
                path=source,
                hint=f"give the path of {kind}",
            ) from None
    else:
        data = source
        _check_size(path, len(data), MAX_TREE_BYTES_ENV)
    refuse_doctype(data, path, kind=kind)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(path, exc, kind=kind) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        # Reached only when the prolog scan could not read the encoding (EBCDIC and the like).
        raise InputError(
            f"refused: a DOCTYPE is present; {kind} never needs one",
            path=path,
            location="line 1",
            hint="remove the <!DOCTYPE ...> declaration",
        )
    return tree
