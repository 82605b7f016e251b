"""CSV files of large frames, byte for byte what ``DataFrame.to_csv(path, index=False)`` writes.

pandas hands every row to the csv module as a list of Python objects: 1.6 s of the
1,000-subject trial B build went to the lineage files alone (pyinstrument, issue 7). Their
columns repeat a few thousand texts hundreds of thousands of times, so :func:`write_csv`
formats each column the way pandas 3.1 does (``pandas.core.indexes.base.get_values_for_csv``:
text as it is, float64 as numpy's ``str``, missing as empty), quotes with the csv module
itself, and only the distinct values that hold a character that may need quoting
(``, " CR LF``), and joins each row's cells with ``str.join`` (one C loop per chunk of rows,
no Python code per record). Columns of any other kind (integers, booleans, datetimes, object
columns holding values other than text) make the whole frame go through ``to_csv`` itself.
"""

from __future__ import annotations

import csv
import io
import os
import re

import numpy as np
import pandas as pd

#: Rows joined and written at a time: bounds the text held in memory.
CHUNK_ROWS = 100_000
# Every character on which the csv module (QUOTE_MINIMAL, the pandas default) may quote a
# field: the delimiter, the quote character and the line-break characters.
_MAY_QUOTE = re.compile(r'[,"\r\n]')


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as ``frame.to_csv(path, index=False)`` would, byte for byte.

    Text and float64 columns are formatted once per distinct value; a frame with a column of
    another kind is written by ``to_csv`` itself.

    >>> import tempfile
    >>> from pathlib import Path
    >>> target = Path(tempfile.mkdtemp()) / "x.csv"
    >>> write_csv(pd.DataFrame({"USUBJID": ["S-1", None, "a,b"], "SEQ": [1.0, 2.0, None]}),
    ...           target)
    >>> target.read_text().splitlines()
    ['USUBJID,SEQ', 'S-1,1.0', ',2.0', '"a,b",']
    """
    columns = [_cells(frame.iloc[:, i]) for i in range(frame.shape[1])]
    names = list(frame.columns)
    if not columns or any(c is None for c in columns) or not all(isinstance(n, str) for n in names):
        frame.to_csv(path, index=False)
        return
    header = ",".join(_quoted(np.array(names, dtype=object)).tolist())
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(header + "\n")
        for start in range(0, len(frame), CHUNK_ROWS):  # a loop over chunks, not records
            chunk = [c[start : start + CHUNK_ROWS].tolist() for c in columns]
            handle.write("\n".join(map(",".join, zip(*chunk, strict=True))) + "\n")


def _cells(series: pd.Series) -> np.ndarray | None:
    """The column's cells as the CSV text of each record (object array), or None when the
    column is of a kind left to ``to_csv``."""
    if series.dtype == np.float64:
        values = series.to_numpy()
        # equal bits, equal text (0.0 and -0.0 are told apart, as their texts are)
        codes, bits = pd.factorize(values.view(np.int64))
        texts = bits.view(np.float64).astype(str).astype(object)
        cells = texts[codes]
        cells[np.isnan(values)] = ""
        return cells
    text_dtype = pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series)
    if not text_dtype and not (
        pd.api.types.is_object_dtype(series)
        and pd.api.types.infer_dtype(series) in ("string", "empty")
    ):
        return None
    cells = series.to_numpy(dtype=object, na_value="")
    if _MAY_QUOTE.search("".join(cells.tolist())) is None:  # nothing to quote (one C loop)
        return cells
    codes, uniques = pd.factorize(cells)
    return _quoted(np.asarray(uniques, dtype=object))[codes]


def _quoted(values: np.ndarray) -> np.ndarray:
    """Distinct texts as the csv module writes them in a row of several fields: only those
    holding a character that may need quoting are passed to it (a loop over distinct
    values)."""
    out = values.copy()
    special = np.flatnonzero(pd.Series(values, dtype=object).str.contains(_MAY_QUOTE).to_numpy())
    if not len(special):
        return out
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # pandas' dialect: QUOTE_MINIMAL, '"'
    for position in special:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([values[position], ""])  # two fields: "" alone would be quoted
        out[position] = buffer.getvalue()[:-2]  # less the "," and the line end
    return out
