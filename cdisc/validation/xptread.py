"""SAS XPORT observations read column by column with numpy, for validating large packages.

pyreadstat turns every cell into a Python object before pandas sees it: about 15 s of CPU for
a lab dataset of 850,000 records and 25 variables, and as much again to normalise the text.
This reader lets pyreadstat read the header (names, labels, types, widths, formats: cheap)
and decodes the observations here the way ReadStat, pyreadstat's C library, does
(``readstat_xport_read.c``, as pyreadstat 1.3 ships it), so the frame is the one
:mod:`cdisc.validation.package` builds from pyreadstat's:

- records follow the OBS header, each the variables in order at their storage widths; a
  partial record at the end of the file is ignored, and so are all-blank records that no
  other record follows (the padding of the last 80-byte card);
- a Char value ends at its first NUL byte, trailing blanks are dropped and the bytes decoded
  as UTF-8; when any value (or label) is not UTF-8 the whole file is read as windows-1252;
- a Num value of 2 to 8 bytes is a big-endian IBM hexadecimal float (zero bytes appended),
  converted bit for bit as ReadStat's ``xpt2ieee`` does (the three low bits a shift drops are
  dropped, not rounded); a value whose bytes after the first are all zero is missing unless
  the first is zero too (then it is 0.0); other widths are missing.

Nothing is copied record by record: each field is an 8-byte word (or a few) read in place
from the file's bytes with numpy strides. A Char column is factorised on those words, so only
its distinct values are decoded (SDTM columns repeat a lot) and records share one ``str``
object per distinct value.

What this reader does not handle it declines (returns None), and the caller reads the file
with pyreadstat: a file that is not XPORT v5 (v8 files too), NUL bytes inside Char values,
text that is neither UTF-8 nor windows-1252. Like ReadStat, it reads every record after the
OBS header to the end of the file (a second member, which SDTM packages do not have, would
be read as records by both). tests/validation/test_xptread.py compares the two readers on
crafted files and on every XPT of the demo packages.
"""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.validation.columns import first_rows

_CARD = 80
_HEADER = b"HEADER RECORD*******"
# XPORT v5 headers. A v8 file (LIBV8, MEMBV8, OBSV8) is left to pyreadstat: its OBS header
# carries a record count that newer ReadStat versions honour.
_LIBRARY = _HEADER + b"LIBRARY HEADER RECORD!!!!!!!"
_MEMBER = _HEADER + b"MEMBER  HEADER RECORD!!!!!!!"
_OBS = _HEADER + b"OBS     HEADER RECORD!!!!!!!"
_BLANK = 0x20
_THREADS = 2  # load of the 10k SDTM package: 7.8 s wall with 1 thread, 4.8 s with 2
_BLANK_WORD = np.uint64(0x2020202020202020)
#: Right shift that puts the leading one of a 56-bit IBM fraction at bit 52, by its leading
#: hexadecimal digit (0 for a leading 0: ReadStat does not normalise).
_SHIFT = np.array([0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3], dtype=np.uint64)
#: Odd 64-bit multipliers that mix the words of a wide field into one key (collisions are
#: checked, so any odd constants do; these are splitmix64's and golden-ratio's).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9))


@dataclass(frozen=True)
class Layout:
    """Where a dataset's observations are: variable names, widths and types in record order."""

    names: tuple[str, ...]
    widths: tuple[int, ...]
    numeric: tuple[bool, ...]


@dataclass(frozen=True)
class _Records:
    """The observation records of a file, in place: ``count`` records of ``length`` bytes from
    ``start`` in ``buffer`` (the file's bytes followed by 8 zero bytes, so that an 8-byte read
    at any field's start stays inside the buffer)."""

    buffer: np.ndarray
    start: int
    count: int
    length: int

    def word(self, offset: int, order: str = "<") -> np.ndarray:
        """The 8 bytes at ``offset`` of every record as uint64 (a strided view, no copy)."""
        if not self.count:  # no records: the field's offset may lie past the buffer's end
            return np.zeros(0, dtype=np.dtype(order + "u8"))
        return np.ndarray(
            (self.count,),
            dtype=np.dtype(order + "u8"),
            buffer=self.buffer,
            offset=self.start + offset,
            strides=(self.length,),
        )

    def text(self, offset: int, width: int) -> np.ndarray:
        """The ``width`` bytes at ``offset`` of every record as ``S`` strings (a view)."""
        if not self.count:
            return np.zeros(0, dtype=f"S{width}")
        return np.ndarray(
            (self.count,),
            dtype=f"S{width}",
            buffer=self.buffer,
            offset=self.start + offset,
            strides=(self.length,),
        )


#: What :func:`read_observations` found per Char column: (code per record, -1 for blank;
#: the distinct values in order of first appearance), as ``pandas.factorize`` would give them.
Distinct = tuple[np.ndarray, pd.Series]


def read_observations(
    path: Path,
    layout: Layout,
    encoding: str,
    only: Collection[str] | None = None,
    *,
    texts: bool = True,
) -> tuple[pd.DataFrame, dict[str, Distinct]] | None:
    """The observations of the XPORT v5 file ``path`` as a normalised frame (Char as ``str``
    with blank or missing as None, Num as float64, index 0..n-1) and the distinct values of
    each Char column; None when the file is outside what this reader handles or a Char value
    does not decode with ``encoding`` (``utf-8`` or ``windows-1252``). ``only`` limits the
    frame to those variables (the others are not decoded). With ``texts=False`` a Char
    column of the frame holds each record's code into its distinct values instead (-1 for
    blank): a caller that compares codes is spared an object array per column (the XPT
    read-back of a build; at 10,000 subjects QS has 2 million records).

    >>> read_observations(Path("no-such.xpt"), Layout((), (), ()), "utf-8") is None
    True
    """
    records = _read(path, layout)
    if records is None:
        return None
    offsets = np.cumsum([0, *layout.widths[:-1]]).tolist()

    def column(field: tuple[int, int, bool]) -> np.ndarray | tuple | None:
        offset, width, numeric = field
        if numeric:
            return _numbers(records, offset, width)
        return _text(records, offset, width, encoding, texts)

    every = zip(layout.names, offsets, layout.widths, layout.numeric, strict=True)
    chosen = [f for f in every if only is None or f[0] in only]
    names = [name for name, *_ in chosen]
    numeric = [number for *_, number in chosen]
    fields = [(offset, width, number) for _, offset, width, number in chosen]
    # numpy and the pandas hash tables release the GIL: two threads use both cores
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        arrays = list(pool.map(column, fields))
    if any(a is None for a in arrays):
        return None
    index = pd.RangeIndex(records.count)
    columns, distinct = {}, {}
    for name, values, number in zip(names, arrays, numeric, strict=True):
        if number:
            columns[name] = pd.Series(values, index=index, dtype=float, copy=False)
        else:
            kind = object if texts else None
            columns[name] = pd.Series(values[0], index=index, dtype=kind, copy=False)
            distinct[name] = values[1]
    # copy=False: one block per column, not copied into one 2-D block (a second each for QS)
    return pd.DataFrame(columns, index=index, copy=False), distinct


def _read(path: Path, layout: Layout) -> _Records | None:
    """The file's observation records, or None when it is not an XPORT v5 file whose header
    ends where ``layout`` says."""
    record_length = sum(layout.widths)
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(0)
            buffer = np.empty(size + 8, dtype=np.uint8)
            buffer[size:] = 0
            if handle.readinto(memoryview(buffer)[:size]) != size:
                return None
    except OSError:
        return None
    # Headers: 8 cards, the 140-byte NAMESTRs padded to whole cards, then the OBS card.
    header = buffer[: min(size, 640 + 140 * len(layout.names) + 2 * _CARD)].tobytes()
    found = header.find(_OBS)
    if (
        not header.startswith(_LIBRARY)
        or header.find(_MEMBER) < 0
        or found < 0
        or found % _CARD
        or record_length <= 0
    ):
        return None
    start = found + _CARD
    count = (size - start) // record_length
    rows = buffer[start : start + count * record_length].reshape(count, record_length)
    return _Records(buffer, start, _last_record(rows), record_length)


def _last_record(rows: np.ndarray) -> int:
    """Number of records up to the last one that is not all blank (trailing blank records
    are the padding of the last card, and ReadStat drops them)."""
    end = len(rows)
    window = 8
    while end:
        start = max(0, end - window)
        blank = (rows[start:end] == _BLANK).all(axis=1)
        kept = np.flatnonzero(~blank)
        if len(kept):
            return start + int(kept[-1]) + 1
        end, window = start, window * 8
    return 0


def _numbers(records: _Records, offset: int, width: int) -> np.ndarray:
    if not 2 <= width <= 8:
        return np.full(records.count, np.nan)
    # 8 bytes from the field's start; a narrower field's value has zero bytes appended
    x = records.word(offset, ">").astype(np.uint64)
    if width < 8:
        x &= np.uint64(((1 << (8 * width)) - 1) << (8 * (8 - width)))
    return _ibm(x)


def ibm_to_float(field: np.ndarray) -> np.ndarray:
    """IBM hexadecimal floats (a (records, width) uint8 array, big-endian, width 2-8) as
    float64, bit for bit as ReadStat's ``xpt2ieee``; missing values (``.``, ``._``,
    ``.A``-``.Z``, and any other value whose bytes after the first are zero, first byte not
    zero) are NaN.

    >>> bits = np.array([[0x41, 0x10, 0, 0, 0, 0, 0, 0], [0xC1, 0x20, 0, 0, 0, 0, 0, 0],
    ...                  [0x2E, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]], dtype=np.uint8)
    >>> ibm_to_float(bits).tolist()
    [1.0, -2.0, nan, 0.0]
    """
    records, width = field.shape
    if not 2 <= width <= 8:
        return np.full(records, np.nan)
    padded = np.zeros((records, 8), dtype=np.uint8)
    padded[:, :width] = field
    return _ibm(padded.view(">u8").ravel().astype(np.uint64))


def _ibm(x: np.ndarray) -> np.ndarray:
    """IBM floats given as their 64 bits (uint64) as float64: see :func:`ibm_to_float`.

    ``xpt2ieee`` shifts the 56-bit fraction right until its leading one is bit 52 (the
    IEEE implicit bit; the bits shifted out are dropped) and sets that bit even when the
    leading hexadecimal digit is 0. The result is that 53-bit integer times
    ``2 ** (4 * exponent - 312 + shift)``, which float64 holds exactly: ``ldexp`` computes it.
    """
    fraction = x & np.uint64(0x00FFFFFFFFFFFFFF)
    shift = _SHIFT[(fraction >> np.uint64(52)).astype(np.intp)]
    integer = (fraction >> shift) | np.uint64(1 << 52)
    exponent = ((x >> np.uint64(56)) & np.uint64(0x7F)).astype(np.int64) * 4 - 312
    values = np.ldexp(integer.astype(np.float64), exponent + shift.astype(np.int64))
    values = np.where(x >> np.uint64(63) == 1, -values, values)
    first = x >> np.uint64(56)
    # All ones after the sign: ReadStat's infinity; a first byte with nothing after it: 0.0
    # when it is 0 too, else missing.
    infinite = (x & np.uint64(0x7FFFFFFFFFFFFFFF)) == np.uint64(0x7FFFFFFFFFFFFFFF)
    values[infinite] = np.where(first[infinite] >= 0x80, -np.inf, np.inf)
    rest_zero = fraction == 0
    values[rest_zero] = np.where(first[rest_zero] == 0, 0.0, np.nan)
    return values


def _text(
    records: _Records, offset: int, width: int, encoding: str, texts: bool = True
) -> tuple[np.ndarray, Distinct] | None:
    """Char values of a field as an object array of ``str`` (None for blank; with ``texts``
    False, the codes of :data:`Distinct` instead), decoding each distinct value once, and its
    distinct values (:data:`Distinct`); None when a value holds a NUL before its end or does
    not decode."""
    codes, first = factorize_words(_words(records, offset, width))
    distinct = records.text(offset, width)[first]  # numpy drops trailing NUL bytes
    raw = np.frombuffer(distinct.tobytes(), dtype=np.uint8).reshape(len(first), width)
    nul = raw == 0
    if nul.any():
        # A NUL ends a C string (ReadStat stops there): trailing NULs only are padding that
        # numpy drops as well, anything else is left to pyreadstat.
        after = np.maximum.accumulate(nul, axis=1)
        if (after & ~nul).any():
            return None
    try:
        decoded = [t.rstrip(b" ").decode(encoding).rstrip() or None for t in distinct.tolist()]
    except UnicodeDecodeError:
        return None
    values = np.empty(len(decoded), dtype=object)
    values[:] = decoded
    # Byte strings that decode alike (blank and empty, trailing tabs) are one value.
    merged, uniques = pd.factorize(values, use_na_sentinel=True)
    value_codes = merged.astype(np.int32)[codes]
    distinct_values = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    return values[codes] if texts else value_codes, (value_codes, distinct_values)


def _words(records: _Records, offset: int, width: int) -> list[np.ndarray]:
    """8-byte words that together hold a field's bytes (the last may overlap the one before
    it), less the words that are blank in every record (a 200-byte --TERM holding 40
    characters is told apart on 5 words, not 25): equal words, equal values."""
    if width < 8:  # 8 bytes from the field's start, the bytes past it masked out
        return [records.word(offset) & np.uint64((1 << (8 * width)) - 1)]
    starts = [*range(0, width - 7, 8)]
    if width % 8:
        starts.append(width - 8)
    words = [records.word(offset + s) for s in starts]
    while len(words) > 1 and (words[-1] == _BLANK_WORD).all():
        words.pop()
    return words


def factorize_words(words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(code per record, index of the first record of each code) of records given as uint64
    words: records with equal words get equal codes, numbered in order of first appearance.

    >>> codes, first = factorize_words([np.array([1, 2, 1], dtype=np.uint64)])
    >>> codes.tolist(), first.tolist()
    ([0, 1, 0], [0, 1])
    """
    if not len(words[0]):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    words = [word.astype(np.uint64) for word in words]  # contiguous copies of strided views
    key = words[0]
    for number, word in enumerate(words[1:]):  # a loop over the words of a field, not records
        key = key * _MIX[number % 2] + word
    codes, _uniques = pd.factorize(key)
    first = first_rows(codes)
    if len(words) > 1:
        # every record must hold the words of the first record of its code (no two values
        # mixed to one key); if not, factorise the words exactly, as a tuple per record
        representative = first[codes]
        if any((word[representative] != word).any() for word in words):
            codes = pd.MultiIndex.from_arrays(words).factorize()[0]
            first = first_rows(codes)
    return codes.astype(np.intp), first
