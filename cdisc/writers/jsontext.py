"""JSON text of a report whose large parts are tables, written column at a time.

``build_report.json`` lists every problem of a build, one object per problem: at 10,000
subjects hundreds of thousands of them. ``json.dumps(..., indent=1)`` encodes such a list in
pure Python (the C encoder is used only without ``indent``), which cost more than the rest of
the report. :func:`dumps_indented` gives exactly the text ``json.dumps(document, indent=...)``
gives for the same document with each table as ``frame.astype(str).to_dict("records")``,
but encodes each column's values with the C encoder in one call and joins the objects with
array operations.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# A string json.dumps keeps as it is, marking where a table's text goes.
_MARK = "@@cdisc-table-{}@@"


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
    tables: list[pd.DataFrame] = []
    text = json.dumps(_marked(document, tables), indent=indent)
    if not tables:
        return text
    marks = {json.dumps(_MARK.format(number)): frame for number, frame in enumerate(tables)}
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "@@cdisc-table-" not in line:
            continue
        body = line.lstrip(" ")
        mark = body.removesuffix(",").rsplit(": ", 1)[-1]
        # The line's indentation is the depth json.dumps put the marker at.
        depth = (len(line) - len(body)) // indent
        lines[i] = line.replace(mark, _records_text(marks[mark], depth, indent), 1)
    return "\n".join(lines)


def write_indented(path: str | os.PathLike[str], document: Any, indent: int = 1) -> None:
    """Write :func:`dumps_indented` of ``document`` to ``path`` as UTF-8, with a final newline."""
    Path(path).write_text(dumps_indented(document, indent) + "\n", encoding="utf-8")


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


def _encoded(values: pd.Series) -> np.ndarray:
    """Each value of ``values`` as ``json.dumps(str(value))`` spells it, in one C-encoder call.

    With ``ensure_ascii`` every line break inside a string is escaped, so a bare line break
    separates the items unambiguously.
    """
    items = values.astype(str).tolist()
    if not items:
        return np.array([], dtype=object)
    text = json.dumps(items, separators=("\n", ": "))
    return np.array(text[1:-1].split("\n"), dtype=object)


def _records_text(frame: pd.DataFrame, depth: int, indent: int) -> str:
    """The JSON array of ``frame``'s records as json.dumps indents it at ``depth``."""
    if not len(frame):
        return "[]"
    outer = " " * (indent * (depth + 1))
    inner = " " * (indent * (depth + 2))
    if not len(frame.columns):
        body = np.full(len(frame), outer + "{}", dtype=object)
    else:
        body = np.full(len(frame), outer + "{\n", dtype=object)
        last = len(frame.columns) - 1
        for position, column in enumerate(frame.columns):
            key = inner + json.dumps(str(column)) + ": "
            end = "\n" if position == last else ",\n"
            # object-array addition concatenates element-wise in C
            body = body + key + _encoded(frame.iloc[:, position]) + end
        body = body + outer + "}"
    closing = " " * (indent * depth) + "]"
    return "[\n" + ",\n".join(body.tolist()) + "\n" + closing
