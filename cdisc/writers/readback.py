"""Read an XPT file back with two independent readers and compare it with what was meant.

The two readers share no code with each other, nor with the writer's observation encoder
(:mod:`cdisc.writers.xptdata`):

1. ``pyreadstat`` (ReadStat, C) reads the whole file, header and observations.
2. ``pandas.read_sas`` reads the header (dataset name and label; variable names, labels,
   types, widths and formats): opened as an iterator, its XPORT reader parses the header
   records and reads the last 80-byte card, nothing else. The observations are decoded by
   ``xptread`` (:func:`cdisc.validation.xptread.read_observations`: numpy, its own IBM
   floating-point and text decoding, tested value for value against pyreadstat in
   tests/validation/test_xptread.py) at the offsets and widths pandas reported.

Why not pandas for the observations too: ``pandas.read_sas`` strips and decodes every Char
value in a Python loop, about 10 s of the 1,000-subject trial B build (pyinstrument, issue
7); xptread decodes each distinct value once. Findings name their source: ``pyreadstat``,
``pandas.read_sas`` (the header) or ``xptread`` (the observations).

Each view is compared with what the writer was given, as the writer stores it
(:func:`cdisc.writers.conform.prepare_xpt`): dataset name and label, variable names and
order, labels, types, lengths, display formats, record count and every value. A mismatch is
an error finding.

pandas.read_sas is what CDISC CORE and many reviewers read XPT files with, and it derives the
record count from the file size (a v5 file does not store it). Where it would read a number
of records other than the file holds, the check says so as a warning; the count is predicted
from the file's bytes with pandas' own formula (:func:`pandas_record_count`; pandas 3.1,
``pandas/io/sas/sas_xport.py``), and tests/writers checks each prediction against
``pandas.read_sas`` itself:

* when a record is at most 80 bytes long, pandas counts records as ``(data bytes - 8 * n) //
  record length``, where ``n`` is the number of 8-byte words of blanks in the last 80-byte
  card. It means the blank padding after the last record, but it also counts blank words that
  *belong to* the last records, i.e. trailing Char fields that are blank; it then drops those
  records (XPTRB10). With records shorter than 8 bytes the padding can instead hold more
  whole blank records than blank words, and pandas reads them as extra blank records
  (XPTRB12);
* it cannot read a dataset with no records at all (``StopIteration``; XPTRB11).

Both readers take a Num field whose bytes after the first are all zero for a missing value,
whatever its first byte (ReadStat's rule), so a damaged first byte of a missing Num is not
seen; any other changed byte of a record is.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc.metadata import DatasetDef, VariableDef
from cdisc.validation.xptread import Layout, read_observations
from cdisc.writers.conform import PreparedXpt, TextColumn, ordered_variables, prepare_xpt
from cdisc.writers.findings import Finding

_BLANK_WORD = int.from_bytes(b" " * 8, "little")
_PYREADSTAT = "pyreadstat"
_PANDAS = "pandas.read_sas"
_XPTREAD = "xptread"
_READSTAT_TYPES = {"Char": "string", "Num": "double"}
_PANDAS_TYPES = {"Char": "char", "Num": "numeric"}
# latin-1 decodes any byte, so a stray non-ASCII byte shows up as a differing value.
_ENCODING = "latin-1"


def verify_xpt(
    path: str | os.PathLike[str],
    frame: pd.DataFrame,
    dataset: DatasetDef,
    *,
    prepared: PreparedXpt | None = None,
) -> list[Finding]:
    """Findings from reading ``path`` back with pyreadstat and with pandas.read_sas + xptread.

    ``frame`` and ``dataset`` are what was given to :func:`cdisc.writers.write_xpt`; the
    expected file content is derived from them exactly as the writer derives it (trailing
    blanks removed, missing Char as blank, Char lengths the longest value). ``prepared`` is
    that derivation when the caller has it already (``XptResult.prepared``, made from this
    frame and dataset), so it is not computed again. An empty list means both readers see
    exactly what was meant. Error findings (XPTRB01-XPTRB08) mean the file is wrong;
    warnings (XPTRB10-XPTRB12) are known limits of pandas.read_sas. Finding ``record``
    values are the frame's index labels. Raises ConformanceError when the frame itself
    could not have been written.

    >>> from cdisc.metadata import VariableDef
    >>> from cdisc.writers.xpt import write_xpt
    >>> from datetime import datetime
    >>> import tempfile
    >>> ds = DatasetDef("DM", "Demographics", "Tabulation", "SDTMIG 3.4", "SPECIAL PURPOSE",
    ...     "One record per subject", (VariableDef("AGE", "Age", "integer", 1),))
    >>> frame = pd.DataFrame({"AGE": [34, None]})
    >>> written = write_xpt(frame, ds, tempfile.mkdtemp(), created=datetime(2024, 1, 1))
    >>> verify_xpt(written.path, frame, ds, prepared=written.prepared)
    []
    """
    path = Path(path)
    if prepared is None:
        prepared = prepare_xpt(frame, dataset, path)
    want = _Expected(dataset, prepared)
    return _check_pyreadstat(path, want) + _check_pandas_xptread(path, want)


class _Expected:
    """What the file should hold, in the terms the readers report."""

    def __init__(self, dataset: DatasetDef, prepared: PreparedXpt) -> None:
        self.dataset = dataset
        self.variables: list[VariableDef] = ordered_variables(dataset)
        self.names = [v.name for v in self.variables]
        # Char widths are the lengths the writer derives; every Num is 8 bytes.
        self.widths = {v.name: prepared.lengths.get(v.name, 8) for v in self.variables}
        self.formats = {v.name: _normal_format(v.display_format) for v in self.variables}
        self.prepared = prepared
        self.index = prepared.index
        self.records = len(prepared.index)

    def finding(self, code: str, message: str, **where: object) -> Finding:
        return Finding.of(code, self.dataset.name, message, **where)

    def text(self, name: str) -> TextColumn:
        return self.prepared.text[name]

    def texts(self, name: str, count: int) -> np.ndarray:
        """The stored texts of the first ``count`` records (the same str objects)."""
        column = self.prepared.text[name]
        return column.uniques[column.codes[:count]]

    def numbers(self, name: str) -> np.ndarray:
        return self.prepared.numbers[name]

    def record_length(self) -> int:
        return sum(self.widths.values())


@dataclass(frozen=True)
class _Seen:
    """The metadata one reader reports."""

    name: str
    label: str
    names: list[str]
    labels: dict[str, str]
    types: dict[str, str]
    widths: dict[str, int]
    formats: dict[str, str]


# --- reader 1: pyreadstat -----------------------------------------------------------------


def _check_pyreadstat(path: Path, want: _Expected) -> list[Finding]:
    reader = _PYREADSTAT
    try:
        # A dict of lists: no DataFrame (and no str dtype conversion) is built. Numbers stay
        # the doubles stored (no date conversion); a missing Num is None, a blank Char "".
        data, meta = pyreadstat.read_xport(
            os.fspath(path), disable_datetime_conversion=True, output_format="dict"
        )
    except Exception as error:  # any failure to read is the finding itself
        return [want.finding("XPTRB01", f"{reader} cannot read the file: {error}")]
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    seen = _Seen(
        name=meta.table_name or "",
        label=meta.file_label or "",
        names=list(meta.column_names),
        labels={n: label or "" for n, label in labels.items()},
        types=dict(meta.readstat_variable_types),
        widths=dict(meta.variable_storage_width),
        formats={n: _normal_format(f) for n, f in meta.original_variable_types.items()},
    )
    findings = _metadata_findings(reader, want, seen, _READSTAT_TYPES)
    records = len(next(iter(data.values()))) if data else 0
    if records != want.records:
        findings.append(
            want.finding(
                "XPTRB02", f"{reader} reads {records} records; {want.records} were written"
            )
        )
    count = min(records, want.records)
    for var in want.variables:  # a loop over variables; each comparison is vectorised
        if var.name not in data:
            continue
        values = data[var.name]
        values = values if len(values) == count else values[:count]
        if var.xpt_type == "Char":
            meant = want.texts(var.name, count)
            if _same_texts(values, meant):
                continue
            got = _objects(values)
            differs = np.asarray(meant != got, dtype=bool)
        else:
            got = _floats(values)
            differs = _numbers_differ(want.numbers(var.name)[:count], got)
        findings += _value_finding(reader, want, var, differs, got)
    return findings


# --- reader 2: the header as pandas.read_sas parses it, the observations by xptread --------


def _check_pandas_xptread(path: Path, want: _Expected) -> list[Finding]:
    try:
        with warnings.catch_warnings():
            # pandas warns when the data are not whole 80-byte cards; the count check below
            # judges the records itself.
            warnings.simplefilter("ignore")
            xport = pd.read_sas(path, format="xport", iterator=True, encoding=_ENCODING)
        with xport:  # the header only: read() is never called
            fields, member = xport.fields, xport.member_info
    except Exception as error:  # any failure to read is the finding itself
        return [want.finding("XPTRB01", f"{_PANDAS} cannot read the file: {error}")]
    names = [f["name"].decode(_ENCODING) for f in fields]
    seen = _Seen(
        name=member["set_name"],
        label=member["label"],
        names=names,
        labels={n: f["label"].decode(_ENCODING) for n, f in zip(names, fields, strict=True)},
        types={n: f["ntype"] for n, f in zip(names, fields, strict=True)},
        widths={n: f["field_length"] for n, f in zip(names, fields, strict=True)},
        formats={n: _pandas_format(f) for n, f in zip(names, fields, strict=True)},
    )
    findings = _metadata_findings(_PANDAS, want, seen, _PANDAS_TYPES)
    layout = Layout(
        tuple(names),
        tuple(int(f["field_length"]) for f in fields),
        tuple(f["ntype"] == "numeric" for f in fields),
    )
    read = read_observations(path, layout, _ENCODING, only=set(want.names))
    if read is None:
        message = (
            f"{_XPTREAD} cannot decode the records: a Char value holds a NUL byte, or the "
            "records do not follow the header pandas.read_sas read"
        )
        return [*findings, want.finding("XPTRB01", message)]
    data, distinct = read
    findings += _count_findings(path, want, len(data), layout)
    count = min(len(data), want.records)
    for var in want.variables:  # a loop over variables; each comparison is vectorised
        if var.name not in data.columns:
            continue
        column = data[var.name].iloc[:count]
        if var.xpt_type == "Char" and var.name in distinct:
            codes, uniques = distinct[var.name]
            differs = _distinct_differ(want.text(var.name), codes[:count], uniques, count)
            # blank is None here, "" in the stored texts
            got = column.to_numpy(dtype=object)
            findings += _value_finding(_XPTREAD, want, var, differs, got, blank="")
        elif var.xpt_type == "Char":  # stored as Num (an XPTRB05 finding already)
            got = column.to_numpy(dtype=object)
            differs = np.asarray(want.texts(var.name, count) != got, dtype=bool)
            findings += _value_finding(_XPTREAD, want, var, differs, got)
        else:
            got = _floats(column.to_numpy(dtype=object) if column.dtype == object else column)
            differs = _numbers_differ(want.numbers(var.name)[:count], got)
            findings += _value_finding(_XPTREAD, want, var, differs, got)
    return findings


def _count_findings(path: Path, want: _Expected, records: int, layout: Layout) -> list[Finding]:
    """xptread's record count against the frame; then what pandas.read_sas would read."""
    written = want.records
    if records != written:
        return [
            want.finding("XPTRB02", f"{_XPTREAD} reads {records} records; {written} were written")
        ]
    if not written:
        message = (
            f"{_PANDAS} cannot read a dataset with no records (known pandas limit); the header "
            "was checked, and xptread and pyreadstat find no records"
        )
        return [want.finding("XPTRB11", message)]
    pandas_reads = pandas_record_count(path, len(layout.names), sum(layout.widths))
    if pandas_reads < written:
        dropped = written - pandas_reads
        message = (
            f"{_PANDAS} would read {pandas_reads} of {written} records: the last {dropped} end "
            "in blank Char fields, which it takes for the file's blank padding (known pandas "
            "limit); pyreadstat and xptread read them all"
        )
        return [want.finding("XPTRB10", message, record=want.index[pandas_reads])]
    if pandas_reads > written:
        message = (
            f"{_PANDAS} would read {pandas_reads} records of {written}: it takes the blank "
            f"padding of the last 80-byte card for {pandas_reads - written} more blank "
            "record(s) (known pandas limit with records under 8 bytes); pyreadstat and "
            "xptread read the records written"
        )
        return [want.finding("XPTRB12", message)]
    return []


# --- comparison -----------------------------------------------------------------------------


def _metadata_findings(
    reader: str, want: _Expected, seen: _Seen, types: dict[str, str]
) -> list[Finding]:
    dataset = want.dataset
    findings: list[Finding] = []
    if seen.name != dataset.name:
        findings.append(
            want.finding("XPTRB03", f"{reader}: dataset name {seen.name!r}, not {dataset.name!r}")
        )
    if seen.label != dataset.label:
        findings.append(
            want.finding(
                "XPTRB04", f"{reader}: dataset label {seen.label!r}, not {dataset.label!r}"
            )
        )
    if seen.names != want.names:
        findings.append(
            want.finding(
                "XPTRB03",
                f"{reader}: variables {', '.join(seen.names)}; written {', '.join(want.names)}",
            )
        )
    for var in want.variables:
        name = var.name
        if name not in seen.types:
            continue
        checks = (
            ("XPTRB04", "label", seen.labels[name], var.label),
            ("XPTRB05", "type", seen.types[name], types[var.xpt_type]),
            ("XPTRB06", "length", seen.widths[name], want.widths[name]),
            ("XPTRB08", "display format", seen.formats[name], want.formats[name]),
        )
        findings += [
            want.finding(code, f"{reader}: {what} {got!r}, not {meant!r}", variable=name)
            for code, what, got, meant in checks
            if got != meant
        ]
    return findings


def _same_texts(values: list, meant: np.ndarray) -> bool:
    """Whether a reader's texts equal the stored ones, record for record: one comparison of
    the texts joined by NUL, which neither side holds (the writer refuses it in a value and
    ReadStat ends a text at it), so equal joins mean equal records. Joining is one C loop;
    where the joins differ the caller compares record by record to find the first."""
    try:
        return "\0".join(values) == "\0".join(meant.tolist())
    except TypeError:  # a value read that is not text (a Num where a Char was meant)
        return False


def _objects(values: list) -> np.ndarray:
    """A list as a 1-D object array (the same objects)."""
    return np.array(values, dtype=object) if values else np.empty(0, dtype=object)


def _floats(values: object) -> np.ndarray:
    """Values as float64, None as NaN; text that is not a number as NaN (text read where a
    number was meant: an XPTRB05 finding already)."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        series = pd.Series(list(values), dtype=object)
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _numbers_differ(meant: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Where two float arrays differ, missing (NaN) equal to missing."""
    return ~((meant == got) | (np.isnan(meant) & np.isnan(got)))


def _distinct_differ(
    column: TextColumn, codes: np.ndarray, uniques: pd.Series, count: int
) -> np.ndarray:
    """Where the texts read (a code per record into ``uniques``, -1 for blank) differ from
    the column's first ``count`` stored texts. Only distinct values are compared as text;
    records are compared as integer codes."""
    # The stored texts as codes into distinct texts ("ab " and "ab" are stored alike).
    stored_codes, stored = pd.factorize(column.uniques)
    meant = stored_codes[column.codes[:count]]
    # Each text read as a code into the stored texts; -2 where no record was meant to hold
    # it. The last entry is blank, which code -1 picks.
    position = pd.Index(stored).get_indexer(uniques.to_numpy(dtype=object))
    blank = pd.Index(stored).get_indexer([""])
    table = np.append(position, blank)
    table[table < 0] = -2
    return meant != table[codes]


def _value_finding(
    reader: str,
    want: _Expected,
    var: VariableDef,
    differs: np.ndarray,
    got: np.ndarray,
    blank: object = None,
) -> list[Finding]:
    """One finding for a variable whose values differ, naming the first differing record."""
    bad = np.flatnonzero(differs)
    if not len(bad):
        return []
    first = int(bad[0])
    if var.xpt_type == "Char":
        column = want.text(var.name)
        meant = column.uniques[column.codes[first]]
    else:
        meant = want.numbers(var.name)[first]
    read = got[first]
    if read is None and blank is not None:
        read = blank
    return [
        want.finding(
            "XPTRB07",
            f"{reader}: {len(bad)} value(s) differ, first at record {first + 1}: "
            f"written {_plain(meant)!r}, read {_plain(read)!r}",
            variable=var.name,
            record=want.index[first],
        )
    ]


# --- pandas' record count -------------------------------------------------------------------


def pandas_record_count(path: Path, variables: int, record_length: int) -> int:
    """The record count pandas.read_sas derives for an XPT file of one dataset with
    ``variables`` variables and records of ``record_length`` bytes, from the file's bytes.

    Data start after 8 header records, the 140-byte NAMESTR records padded to 80 bytes, and
    the OBS header (SAS TS-140); pandas' formula is in the module docstring.
    """
    start = 640 + math.ceil(140 * variables / 80) * 80 + 80
    size = Path(path).stat().st_size
    if record_length > 80:
        return (size - start) // record_length
    with Path(path).open("rb") as handle:
        handle.seek(size - 80)
        last_card = np.frombuffer(handle.read(80), dtype="<u8")
    blank_words = int(np.count_nonzero(last_card == _BLANK_WORD))
    return (size - start - 8 * blank_words) // record_length


def _normal_format(display_format: str | None) -> str:
    """A SAS format as both readers and the DatasetDef can spell it: ``DATE9``, ``8.2``."""
    if not display_format:
        return ""
    return display_format.strip().upper().rstrip(".")


def _pandas_format(field: dict) -> str:
    """The SAS format of a NAMESTR as pandas reports it (name, width, decimals)."""
    name = field["nform"].decode(_ENCODING).strip()
    width = str(field["nfl"]) if field["nfl"] else ""
    decimals = f".{field['num_decimals']}" if field["num_decimals"] else ""
    return f"{name}{width}{decimals}"


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read ``1.5``, not
    ``np.float64(1.5)``."""
    return value.item() if isinstance(value, np.generic) else value
