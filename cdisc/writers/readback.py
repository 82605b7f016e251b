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

:func:`verify_xpt` reads with both in this process; :func:`start_verify_xpt` (what the build
uses) in a worker process while the build goes on (below).

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

pyreadstat in the worker. At 10,000 subjects pyreadstat's read-back was 35 of the build's
300 s (27 s of ReadStat turning every value into a Python object, 2.2 GB for QS alone), all
of it on the build's one busy core. :func:`start_verify_xpt` sends a worker process (one,
"spawn", kept for the process's later files) the path and a compact expectation, not the
data: the metadata, per Char variable the distinct stored texts and a digest (BLAKE2b) of
each record's position among them, per Num variable a digest of the doubles (-0.0 as 0.0,
every NaN as one). The worker has pyreadstat read the file, looks each text read up among the
distinct ones and digests the positions and the doubles the same way, and answers whether
everything is as expected. Equal texts record for record have equal positions, so equal
digests mean equal values, up to a BLAKE2b collision (128 bits). Only when the answer is no
does this process read the file with pyreadstat as :func:`verify_xpt` does and make the
findings, so they name the records and values exactly as before; a false alarm costs time,
never a finding. pandas.read_sas and xptread are checked the same way in the worker (their
read-back was 12 s of the build process at 10,000 subjects, with the whole file in memory):
pandas parses the header, xptread decodes the records window by window, and the texts and
numbers are digested as above; when the answer is no, this process reads the file with both
as :func:`verify_xpt` does.

The worker has pyreadstat read :data:`WINDOW_CELLS` values at a time, so it holds about
200 MB whatever the dataset (QS of 10,000 subjects: 2.06 million records): each window is
the file's header and the bytes of a run of records (the last: everything to the end of the
file), written to a scratch file. pyreadstat's ``row_offset`` would do it without scratch
files, but ReadStat decodes the records before the offset again, so time grows with the
square of the windows (that QS: 17 s whole, 30 s in windows of 200,000 records). A window
that is not the last is padded with blanks as v5 pads; a blank record at its end would be
taken for padding and the count would differ, a false alarm that the full read clears.

A worker process that dies (killed, or ReadStat crashing on the file) is started again and
given the file once more; dying twice makes the file's pyreadstat finding an XPTRB01 error
that says so. A worker that cannot import pyreadstat (or this module) dies on its first
file the same way, and prints its ImportError on stderr; it gets the build's own
``sys.path``, and the build cannot write XPT without pyreadstat, so that takes a broken
installation.

Both readers take a Num field whose bytes after the first are all zero for a missing value,
whatever its first byte (ReadStat's rule), so a damaged first byte of a missing Num is not
seen; any other changed byte of a record is.
"""

from __future__ import annotations

import copy
import hashlib
import math
import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import tempfile
import threading
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc.metadata import DatasetDef, VariableDef
from cdisc.validation.xptread import Layout, read_observations
from cdisc.writers.conform import PreparedXpt, TextColumn, ordered_variables, prepare_xpt
from cdisc.writers.findings import Finding
from cdisc.writers.xpt import data_start

_BLANK_WORD = int.from_bytes(b" " * 8, "little")
_PYREADSTAT = "pyreadstat"
_PANDAS = "pandas.read_sas"
_XPTREAD = "xptread"
_READSTAT_TYPES = {"Char": "string", "Num": "double"}
_PANDAS_TYPES = {"Char": "char", "Num": "numeric"}
# latin-1 decodes any byte, so a stray non-ASCII byte shows up as a differing value.
_ENCODING = "latin-1"


def start_verify_xpt(
    path: str | os.PathLike[str],
    frame: pd.DataFrame,
    dataset: DatasetDef,
    *,
    prepared: PreparedXpt | None = None,
    window_cells: int | None = None,
) -> PendingReadback:
    """:func:`verify_xpt`, with the read-back running in the read-back worker process while
    the caller goes on; :meth:`PendingReadback.findings` gives the same findings, in the
    same order, as :func:`verify_xpt` would have.

    The worker is sent the path and a compact expectation (metadata; per Char variable its
    distinct stored texts and a digest of the record codes; per Num variable a digest of the
    doubles), never the data, and answers whether pyreadstat, and pandas.read_sas with
    xptread, read exactly that. Where a reader does not, its findings are made here by the
    same code as :func:`verify_xpt` (reading the whole file), so they say which records and
    which values differ. ``frame`` must not change until then: it is kept (not a copy) for
    that rare case. ``window_cells`` (records x variables decoded at a time in the worker;
    default :data:`WINDOW_CELLS`) bounds the worker's memory.

    >>> from cdisc.metadata import VariableDef
    >>> from cdisc.writers.xpt import write_xpt
    >>> from datetime import datetime
    >>> import tempfile
    >>> ds = DatasetDef("DM", "Demographics", "Tabulation", "SDTMIG 3.4", "SPECIAL PURPOSE",
    ...     "One record per subject", (VariableDef("AGE", "Age", "integer", 1),))
    >>> frame = pd.DataFrame({"AGE": [34, None]})
    >>> written = write_xpt(frame, ds, tempfile.mkdtemp(), created=datetime(2024, 1, 1))
    >>> start_verify_xpt(written.path, frame, ds, prepared=written.prepared).findings()
    []
    """
    path = Path(path)
    if prepared is None:
        prepared = prepare_xpt(frame, dataset, path)
    want = _Expected(dataset, prepared)
    cells = WINDOW_CELLS if window_cells is None else max(1, int(window_cells))
    expectation = _expectation(want, cells)
    return PendingReadback(path, frame, dataset, expectation, _submit(expectation, path))


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

    def metadata(self) -> _Expected:
        """The same expectation without the stored values: what the worker is sent."""
        light = copy.copy(self)
        light.prepared = None  # type: ignore[assignment]
        light.index = None  # type: ignore[assignment]
        return light


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
    findings = _metadata_findings(reader, want, _seen_pyreadstat(meta), _READSTAT_TYPES)
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


# --- reader 1 in the worker process -------------------------------------------------------

#: Records x variables pyreadstat decodes at a time in the worker. pyreadstat gives every
#: value as a Python object (about 60 bytes each): reading QS of the 10,000-subject trial B
#: (2.06 million records of 18 variables) whole held 2.2 GB; 2 million cells hold about
#: 120 MB. pyreadstat's own ``row_offset`` cannot bound it cheaply: ReadStat decodes every
#: record before the offset again (measured on that QS: 17 s whole, 30 s in chunks of 200,000
#: records, 111 s in chunks of 50,000).
WINDOW_CELLS = 2_000_000
_DIGEST_SIZE = 16


@dataclass(frozen=True)
class _Expectation:
    """What the worker checks pyreadstat's view against: the metadata (``meta``, an
    :class:`_Expected` without values), per Char variable the distinct stored texts and a
    digest of each record's position among them, per Num variable a digest of the doubles."""

    meta: _Expected
    texts: dict[str, list[str]]
    digests: dict[str, bytes]
    window: int  # records per window


def _expectation(want: _Expected, cells: int) -> _Expectation:
    texts, digests = {}, {}
    for var in want.variables:  # a loop over variables; each digest is one pass in C
        if var.xpt_type == "Char":
            column = want.text(var.name)
            # "ab " and "ab" are stored alike: one code per distinct stored text
            stored_codes, stored = pd.factorize(column.uniques)
            texts[var.name] = np.asarray(stored, dtype=object).tolist()
            digests[var.name] = _digest(stored_codes[column.codes])
        else:
            digests[var.name] = _digest(_normal_numbers(want.numbers(var.name)))
    window = max(1, cells // max(1, len(want.variables)))
    return _Expectation(want.metadata(), texts, digests, window)


def _digest(values: np.ndarray) -> bytes:
    """A digest of an array's values (int64 codes or float64 numbers), machine-independent."""
    kind = "<i8" if values.dtype.kind in "iu" else "<f8"
    data = np.ascontiguousarray(values, dtype=kind)
    return hashlib.blake2b(data.view(np.uint8), digest_size=_DIGEST_SIZE).digest()


def _normal_numbers(values: np.ndarray) -> np.ndarray:
    """Doubles compared as :func:`_numbers_differ` compares them: -0.0 as 0.0, every NaN as
    one NaN."""
    normal = np.asarray(values, dtype=float) + 0.0
    normal[np.isnan(normal)] = np.nan
    return normal


def _pyreadstat_verdict(path: str, expect: _Expectation) -> str:
    """In the worker: ``""`` when pyreadstat reads the file exactly as expected (the
    findings of :func:`_check_pyreadstat` would be none), else why not, in a few words.

    pyreadstat reads the file a window of records at a time: each window is the file's own
    header followed by the bytes of those records (the last window: every byte to the end of
    the file), written to a scratch file. A window that does not end the file is padded with
    blanks to the 80-byte card, as the file itself is; ReadStat would drop a blank record at
    its end, and the record count would then differ: a false alarm, which the caller's full
    read clears.
    """
    want = expect.meta
    start = data_start(len(want.variables))
    length = want.record_length()
    windows = max(1, -(-want.records // expect.window))
    chars = {n: _TextTally(t) for n, t in expect.texts.items()}
    numbers = {n: hashlib.blake2b(digest_size=_DIGEST_SIZE) for n in expect.digests}
    numbers = {n: h for n, h in numbers.items() if n not in chars}
    records = 0
    with tempfile.TemporaryDirectory(prefix="cdisc-readback-") as scratch:
        for number in range(windows):  # a loop over windows of records
            source = path if windows == 1 else _window(path, start, length, number, expect, scratch)
            try:
                data, meta = pyreadstat.read_xport(
                    source, disable_datetime_conversion=True, output_format="dict"
                )
            except Exception as error:  # the caller's full read names it
                return f"cannot read: {error}"
            if number == 0:
                seen = _seen_pyreadstat(meta)
                if _metadata_findings(_PYREADSTAT, want, seen, _READSTAT_TYPES):
                    return "metadata differ"
            count = len(next(iter(data.values()))) if data else 0
            records += count
            if windows > 1 and number < windows - 1 and count != expect.window:
                return f"window {number} holds {count} records"
            for name, tally in chars.items():  # a loop over variables
                if not tally.add(data.get(name, [])):
                    return f"{name}: a text that was not written"
            for name, hasher in numbers.items():
                try:
                    values = np.asarray(data.get(name, []), dtype=float)
                except (TypeError, ValueError):
                    return f"{name}: a value that is not a number"
                hasher.update(np.ascontiguousarray(_normal_numbers(values), "<f8").view(np.uint8))
            del data
    if records != want.records:
        return f"{records} records"
    for name, tally in chars.items():
        if tally.digest() != expect.digests[name]:
            return f"{name}: values differ"
    for name, hasher in numbers.items():
        if hasher.digest() != expect.digests[name]:
            return f"{name}: values differ"
    return ""


def _xptread_verdict(path: str, expect: _Expectation) -> str:
    """In the worker: ``""`` when pandas.read_sas reads the header and xptread the records
    exactly as expected (the findings of :func:`_check_pandas_xptread` would be none, its
    warnings about pandas' record count included), else why not, in a few words.

    xptread reads the records in the windows :func:`_pyreadstat_verdict` reads (its own
    scratch files), so the worker's memory stays bounded; each Char value is looked up among
    the distinct stored texts and the positions digested, each Num digested, as there.
    """
    want = expect.meta
    found, layout = _pandas_header(Path(path), want)
    if found or layout is None:
        return "the header differs"
    start = data_start(len(want.variables))
    length = want.record_length()
    windows = max(1, -(-want.records // expect.window))
    chars = {n: _TextTally(t) for n, t in expect.texts.items()}
    numbers = {n: hashlib.blake2b(digest_size=_DIGEST_SIZE) for n in expect.digests}
    numbers = {n: h for n, h in numbers.items() if n not in chars}
    records = 0
    with tempfile.TemporaryDirectory(prefix="cdisc-readback-") as scratch:
        for number in range(windows):  # a loop over windows of records
            source = path if windows == 1 else _window(path, start, length, number, expect, scratch)
            read = read_observations(Path(source), layout, _ENCODING, set(want.names), texts=False)
            if read is None:
                return "cannot decode the records"
            data, distinct = read
            records += len(data)
            if windows > 1 and number < windows - 1 and len(data) != expect.window:
                return f"window {number} holds {len(data)} records"
            for name, tally in chars.items():  # a loop over variables
                if name not in distinct or not tally.add_codes(*distinct[name]):
                    return f"{name}: a text that was not written"
            for name, hasher in numbers.items():
                if name not in data.columns or name in distinct:
                    return f"{name}: not read as a number"
                values = data[name].to_numpy(dtype=float)
                hasher.update(np.ascontiguousarray(_normal_numbers(values), "<f8").view(np.uint8))
            del data, distinct
    # the conditions of _count_findings' findings (which name records: not in the worker)
    if records != want.records or not records:
        return f"{records} records"
    if pandas_record_count(Path(path), len(layout.names), sum(layout.widths)) != records:
        return "pandas.read_sas would read another number of records"
    for name, tally in chars.items():
        if tally.digest() != expect.digests[name]:
            return f"{name}: values differ"
    for name, hasher in numbers.items():
        if hasher.digest() != expect.digests[name]:
            return f"{name}: values differ"
    return ""


def _read_back(path: str, expect: _Expectation) -> tuple[str, str]:
    """In the worker: the verdicts of both readers (:func:`_pyreadstat_verdict`, then
    :func:`_xptread_verdict`)."""
    return _pyreadstat_verdict(path, expect), _xptread_verdict(path, expect)


class _TextTally:
    """The texts of one Char variable as read, window by window: each as its position among
    the distinct stored texts, the positions digested as :func:`_expectation` digests them."""

    def __init__(self, texts: list[str]) -> None:
        # str keys only: a number read where text was meant (1.0 for "1") is no key
        self.position = {text: i for i, text in enumerate(texts)}
        self.hasher = hashlib.blake2b(digest_size=_DIGEST_SIZE)

    def add(self, values: list) -> bool:
        """False when a text read is not among the stored ones (or is not text)."""
        # One C loop of dict look-ups (no Python code per record), as "\0".join is: 3 to 4
        # times faster than pd.factorize on the list, which must first make it an array.
        try:
            codes = np.fromiter(
                map(self.position.__getitem__, values), dtype=np.int64, count=len(values)
            )
        except (KeyError, TypeError):  # a text not written, or a value that is not hashable
            return False
        self.hasher.update(np.ascontiguousarray(codes, "<i8").view(np.uint8))
        return True

    def add_codes(self, codes: np.ndarray, uniques: pd.Series) -> bool:
        """:meth:`add` for texts given as codes into distinct texts, -1 for blank (what
        ``read_observations(texts=False)`` gives); False when a text is not a stored one."""
        # a loop over distinct texts; blank is "" among the stored texts
        distinct = [self.position.get(text, -1) for text in uniques.tolist()]
        table = np.array([*distinct, self.position.get("", -1)], dtype=np.int64)
        positions = table[codes]  # code -1 picks the last entry: blank
        if (positions < 0).any():
            return False
        self.hasher.update(np.ascontiguousarray(positions, "<i8").view(np.uint8))
        return True

    def digest(self) -> bytes:
        return self.hasher.digest()


def _window(path: str, start: int, length: int, number: int, expect: _Expectation, folder):
    """A scratch XPT file: the header of ``path`` and the bytes of window ``number``'s
    records (the last window: everything to the end of the file), padded as v5 pads."""
    first = start + number * expect.window * length
    last_window = number == max(1, -(-expect.meta.records // expect.window)) - 1
    with open(path, "rb") as handle:
        header = handle.read(start)
        handle.seek(first)
        body = handle.read() if last_window else handle.read(expect.window * length)
    if not last_window:
        body += b" " * (-len(body) % 80)
    scratch = os.path.join(folder, "window.xpt")  # one at a time: the last is overwritten
    with open(scratch, "wb") as out:
        out.write(header)
        out.write(body)
    return scratch


def _seen_pyreadstat(meta) -> _Seen:
    """The metadata pyreadstat reports, as :class:`_Seen`."""
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    return _Seen(
        name=meta.table_name or "",
        label=meta.file_label or "",
        names=list(meta.column_names),
        labels={n: label or "" for n, label in labels.items()},
        types=dict(meta.readstat_variable_types),
        widths=dict(meta.variable_storage_width),
        formats={n: _normal_format(f) for n, f in meta.original_variable_types.items()},
    )


_EXECUTOR: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    """The read-back worker: one process, started on first use and kept for the next files
    (and builds) of this process. "spawn", not fork: the build has threads."""
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ProcessPoolExecutor(
            max_workers=1, mp_context=mp.get_context("spawn"), initializer=_end_with_parent
        )
    return _EXECUTOR


def _end_with_parent() -> None:
    """In the worker: end it when the build process ends, even by SIGKILL (which gives the
    build no chance to stop it). Otherwise it would wait for work forever, holding the
    build's stdout and stderr open, so whoever waits for the build's output would hang."""
    # Ctrl-C is the build's to handle; the worker ends with it (below).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        mp.connection.wait([parent.sentinel])  # ready once the parent process is gone
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _submit(expect: _Expectation, path: Path) -> Future:
    """Give the worker a file to read back.

    The first submission starts the worker. A Ctrl-C arriving meanwhile is held until the
    worker has its start-up data (a worker cut off half-way prints a traceback), then delivered.
    """
    if threading.current_thread() is not threading.main_thread():
        return _executor().submit(_read_back, os.fspath(path), expect)
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: held.append(number))
    try:
        return _executor().submit(_read_back, os.fspath(path), expect)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
        if held:  # delivered now, to whatever handled Ctrl-C before
            signal.raise_signal(signal.SIGINT)


def _restart() -> None:
    """Let a broken worker go; the next submission starts a new one."""
    global _EXECUTOR
    if _EXECUTOR is not None:
        _EXECUTOR.shutdown(wait=False, cancel_futures=True)
    _EXECUTOR = None


class PendingReadback:
    """A read-back started by :func:`start_verify_xpt`; :meth:`findings` waits for it."""

    def __init__(
        self,
        path: Path,
        frame: pd.DataFrame,
        dataset: DatasetDef,
        expectation: _Expectation,
        future: Future,
    ) -> None:
        self.path = path
        self._frame, self._dataset = frame, dataset
        self._expectation, self._future = expectation, future
        self._result: list[Finding] | None = None

    def findings(self) -> list[Finding]:
        """pyreadstat's findings, then those of pandas.read_sas and xptread: what
        :func:`verify_xpt` returns for the file. Waits for the worker; when the worker
        process dies (twice: the file is read once more by a new one), the file's pyreadstat
        finding is an XPTRB01 error saying so, never a hang, and pandas.read_sas and xptread
        read the file here."""
        if self._result is None:
            verdicts, died = self._answer()
            meant = None  # prepared again only when a reader saw something else
            first, second = [], []
            if died is not None:
                first = [died]
            elif verdicts[0]:
                meant = self._meant()
                first = _check_pyreadstat(self.path, meant)
            if died is not None or verdicts[1]:
                second = _check_pandas_xptread(self.path, meant or self._meant())
            self._result = first + second
            self._frame = None  # type: ignore[assignment]
        return self._result

    def _meant(self) -> _Expected:
        """What the file should hold, with its values (for the findings, made as verify_xpt
        makes them, from the whole file)."""
        return _Expected(self._dataset, prepare_xpt(self._frame, self._dataset, self.path))

    def _answer(self) -> tuple[tuple[str, str] | None, Finding | None]:
        """The worker's verdicts, or the XPTRB01 finding of a worker that died twice."""
        try:
            return self._future.result(), None
        except BrokenProcessPool:
            _restart()
        try:
            return _submit(self._expectation, self.path).result(), None
        except BrokenProcessPool as error:
            _restart()
            cause = f"{error}; {error.__cause__}" if error.__cause__ else str(error)
            cause = cause.strip().rstrip(".")
            message = (
                f"{_PYREADSTAT} cannot read the file: the read-back worker process ended "
                f"while reading it ({cause or 'it crashed or was killed'}; its "
                "own error, if it had one, is on stderr)"
            )
            return None, self._expectation.meta.finding("XPTRB01", message)


# --- reader 2: the header as pandas.read_sas parses it, the observations by xptread --------


def _pandas_header(path: Path, want: _Expected) -> tuple[list[Finding], Layout | None]:
    """pandas.read_sas's view of the header: its metadata findings and the record layout it
    reports (None, with an XPTRB01 finding, when it cannot read the file)."""
    try:
        with warnings.catch_warnings():
            # pandas warns when the data are not whole 80-byte cards; the count check
            # judges the records itself.
            warnings.simplefilter("ignore")
            xport = pd.read_sas(path, format="xport", iterator=True, encoding=_ENCODING)
        with xport:  # the header only: read() is never called
            fields, member = xport.fields, xport.member_info
    except Exception as error:  # any failure to read is the finding itself
        return [want.finding("XPTRB01", f"{_PANDAS} cannot read the file: {error}")], None
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
    return findings, layout


def _check_pandas_xptread(path: Path, want: _Expected) -> list[Finding]:
    findings, layout = _pandas_header(path, want)
    if layout is None:
        return findings
    # Char columns as codes into their distinct texts: the texts of a column are made only
    # when it differs (the finding names a value read)
    read = read_observations(path, layout, _ENCODING, only=set(want.names), texts=False)
    if read is None:
        message = (
            f"{_XPTREAD} cannot decode the records: a Char value holds a NUL byte, or the "
            "records do not follow the header pandas.read_sas read"
        )
        return [*findings, want.finding("XPTRB01", message)]
    data, distinct = read
    findings += _count_findings(path, want, len(data), layout)
    count = min(len(data), want.records)

    def texts_read(name: str) -> np.ndarray:
        """The first ``count`` texts of a Char column as read (None for blank)."""
        codes, uniques = distinct[name]
        return np.append(uniques.to_numpy(dtype=object), None)[codes[:count]]

    for var in want.variables:  # a loop over variables; each comparison is vectorised
        if var.name not in data.columns:
            continue
        column = data[var.name].iloc[:count]
        if var.xpt_type == "Char" and var.name in distinct:
            codes, uniques = distinct[var.name]
            differs = _distinct_differ(want.text(var.name), codes[:count], uniques, count)
            # blank is None here, "" in the stored texts
            got = texts_read(var.name) if differs.any() else np.empty(0, dtype=object)
            findings += _value_finding(_XPTREAD, want, var, differs, got, blank="")
        elif var.xpt_type == "Char":  # stored as Num (an XPTRB05 finding already)
            got = column.to_numpy(dtype=object)
            differs = np.asarray(want.texts(var.name, count) != got, dtype=bool)
            findings += _value_finding(_XPTREAD, want, var, differs, got)
        else:  # a Num stored as Char is an XPTRB05 finding already; its texts read as NaN
            got = _floats(texts_read(var.name) if var.name in distinct else column)
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
