"""JSON text of a report whose large parts are tables, written column at a time.

``build_report.json`` lists every problem of a build, one object per problem: at 10,000
subjects hundreds of thousands of them. ``json.dumps(..., indent=1)`` encodes such a list in
pure Python (the C encoder is used only without ``indent``), which cost more than the rest of
the report. :func:`dumps_indented` gives exactly the text ``json.dumps(document, indent=...)``
gives for the same document with each table as ``frame.astype(str).to_dict("records")``,
but encodes each column's values with the C encoder in one call and lays the objects out
with one ``str.join`` over an array of pieces, a slice of rows at a time.
:func:`write_indented` writes those slices to the file as they are made, so the whole text
of a large report is never held in memory at once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

# A string json.dumps keeps as it is, marking where a table's text goes.
_MARK = "@@cdisc-table-{}@@"
_MARKED = re.compile(r'"@@cdisc-table-(\d+)@@"')

#: Rows laid out per slice: bounds the memory the encoded values of a slice take.
ROWS_PER_SLICE = 100_000

#: First rows of a column looked at to decide whether it repeats its values.
_SAMPLE = 1_000


def dumps_indented(document: Any, indent: int = 1) -> str:
    """``json.dumps(document, indent=indent)`` where every DataFrame in ``document`` reads
    as the list of its records, each value as ``str(value)``.

    Permitted: anything ``json.dumps`` takes, with DataFrames as values of dicts or items of
    lists (not as keys). The text is identical to what ``json.dumps`` writes for
    ``frame.astype(str).to_dict(orient="records")`` in the frame's place.

    >>> frame = pd.DataFrame({"code": ["A1", "B2"], "n": [1, None]})
    >>> text = dumps_indented({"problems": frame, "errors": 2})
    >>> text == json.dumps({"problems": frame.astype(str).to_dict("records"), "errors": 2},
    ...                    indent=1)
    True
    """
    return "".join(_pieces(document, indent))


def write_indented(path: str | os.PathLike[str], document: Any, indent: int = 1) -> None:
    """Write :func:`dumps_indented` of ``document`` to ``path`` as UTF-8, with a final newline.

    The text goes out a slice of rows at a time (see :data:`ROWS_PER_SLICE`).
    """
    with open(path, "w", encoding="utf-8") as handle:
        for piece in _pieces(document, indent):
            handle.write(piece)
        handle.write("\n")


def _pieces(document: Any, indent: int) -> Iterator[str]:
    """The text of :func:`dumps_indented`, in consecutive pieces."""
    tables: list[pd.DataFrame] = []
    text = json.dumps(_marked(document, tables), indent=indent)
    done = 0
    for found in _MARKED.finditer(text):
        number = int(found.group(1))
        if number >= len(tables):
            continue  # not a marker this call made (a value that merely looks like one)
        # The line's indentation is the depth json.dumps put the marker at.
        start = text.rfind("\n", 0, found.start()) + 1
        line = text[start : found.start()]
        depth = (len(line) - len(line.lstrip(" "))) // indent
        yield text[done : found.start()]
        yield from _records_text(tables[number], depth, indent)
        done = found.end()
    yield text[done:]


def _marked(value: Any, tables: list[pd.DataFrame]) -> Any:
    """``value`` with each DataFrame replaced by a marker string (the frame kept in ``tables``)."""
    if isinstance(value, pd.DataFrame):
        tables.append(value)
        return _MARK.format(len(tables) - 1)
    if isinstance(value, dict):
        return {key: _marked(item, tables) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(item, tables) for item in value]
    return value


def _encoded(values: pd.Series, prefix: str = "") -> np.ndarray:
    """``prefix`` then each value of ``values`` as ``json.dumps(str(value))`` spells it.

    The values go through the C encoder in one call. A column that repeats its values (a
    report's domain, code, severity) has only its distinct values encoded and prefixed, then
    taken back per row, which also shares one string between equal rows; a column of
    mostly distinct values (judged on its first rows) is encoded whole, sparing the hashing.
    With ``ensure_ascii`` every line break inside a string is escaped, so a bare line break
    separates the encoded values unambiguously.

    >>> _encoded(pd.Series(["a", None, "a"]), "k: ").tolist()
    ['k: "a"', 'k: NaN', 'k: "a"']
    """
    items = values.astype(str).to_numpy(dtype=object)
    if not len(items):
        return np.array([], dtype=object)
    sample = items[:_SAMPLE]
    codes = None
    if 2 * len(pd.unique(sample)) <= len(sample):
        # Missing values (NaN after astype(str)) get code -1: the "NaN" appended last.
        codes, items = pd.factorize(items, use_na_sentinel=True)
    text = json.dumps(list(items), separators=("\n", ": "))
    encoded = text[1:-1].split("\n") if len(items) else []
    if codes is not None:
        encoded.append(json.dumps(float("nan")))
    array = np.array(encoded, dtype=object)
    if prefix:
        array = prefix + array  # object arrays add element-wise, in C
    return array if codes is None else array[codes]


def _records_text(frame: pd.DataFrame, depth: int, indent: int) -> Iterator[str]:
    """The JSON array of ``frame``'s records as json.dumps indents it at ``depth``, in pieces.

    Each slice of rows is an object array whose rows read, left to right, as the rows' text
    (each key with its value, then the object's end), joined in one call.
    """
    if not len(frame):
        yield "[]"
        return
    outer = " " * (indent * (depth + 1))
    inner = " " * (indent * (depth + 2))
    width = len(frame.columns)
    # Before each value: the object's opening (first key) or the comma, then the key.
    keys = [json.dumps(str(column)) + ": " for column in frame.columns]
    before = [(outer + "{\n" if n == 0 else ",\n") + inner + key for n, key in enumerate(keys)]
    yield "[\n"
    for start in range(0, len(frame), ROWS_PER_SLICE):  # a loop over slices of rows
        part = frame.iloc[start : start + ROWS_PER_SLICE]
        last = start + len(part) == len(frame)
        if not width:
            pieces = np.full((len(part), 1), outer + "{},\n", dtype=object)
        else:
            pieces = np.empty((len(part), width + 1), dtype=object)
            for position in range(width):
                pieces[:, position] = _encoded(part.iloc[:, position], before[position])
            pieces[:, -1] = "\n" + outer + "},\n"
        if last:  # no comma after the last object
            pieces[-1, -1] = pieces[-1, -1].removesuffix(",\n")
        yield "".join(pieces.ravel().tolist())
    yield "\n" + " " * (indent * depth) + "]"
