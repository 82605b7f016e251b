"""SAS XPORT version 5 writer: one dataset per file, laid out as FDA expects.

:func:`write_xpt` checks the frame against its DatasetDef (``cdisc.writers.conform``) and
refuses what XPORT v5 or the FDA cannot take. pyreadstat (ReadStat) then writes the header
records (names, labels, types, widths, formats), from a one-record template frame, and
``cdisc.writers.xptdata`` encodes the observations with numpy: pyreadstat 1.3.7 loops over
rows in Python and needs 25-30 s for a million records of 30 variables, numpy a few seconds.
tests/writers proves the file byte-identical to pyreadstat writing the whole frame itself
(:func:`write_pyreadstat`). Finally the writer makes the file reproducible.

What pyreadstat 1.3.7 does, measured (tests/writers pin it):

* the width of a Char variable is the longest value in UTF-8 bytes, at least 1, trailing
  blanks included (so the frame's trailing blanks are removed first); every Num is 8 bytes;
* it silently truncates labels to 40 characters and writes Char values over 200 bytes and
  non-ASCII bytes without complaint, which is why the writer refuses them first;
* it writes a dataset with no records (pandas.read_sas cannot read that back; see readback);
* a v5 file does not store its record count, and ReadStat (like pandas) takes all-blank
  records at the end of the file for padding and drops them, so the writer refuses them;
* it stamps the clock into four header fields. SAS TS-140 ("The Record Layout of a SAS
  Version 5 or 6 Data Set in SAS Transport (XPORT) Format") lays the file out in 80-byte
  records: record 2 (bytes 80-159) ends with the library's creation datetime (bytes
  144-159), record 3 starts with its modification datetime (bytes 160-175), and the member
  header's records 6 and 7 hold the dataset's creation (bytes 464-479) and modification
  (bytes 480-495) datetimes, each 16 characters ``ddMMMyy:hh:mm:ss``. The writer rewrites
  all four to ``created``, so identical inputs give byte-identical files.

It also writes each variable's ``display_format`` as its SAS format.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyreadstat

from cdisc.errors import ConformanceError
from cdisc.metadata import DatasetDef
from cdisc.writers.conform import PreparedXpt, ordered_variables, prepare_xpt
from cdisc.writers.files import atomic, check_created, target_path
from cdisc.writers.xptdata import CharField, NumField, write_observations

#: Byte offsets of the four 16-character header datetimes (SAS TS-140; module docstring).
STAMP_OFFSETS: tuple[int, ...] = (144, 160, 464, 480)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
# The fixed records around the stamps (TS-140), checked before anything is overwritten.
_LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
_MEMBER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!00000000000000000160000000"
_DESCRIPTOR = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
_OBSERVATIONS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "


@dataclass(frozen=True)
class XptResult:
    """What :func:`write_xpt` wrote.

    ``dataset`` is the DatasetDef with the Char lengths actually written (give it to the
    define writer); ``prepared`` the frame as the writer stored it (give it to :func:`cdisc.writers.verify_xpt`, which then
    need not derive it again).
    """

    path: Path
    dataset: DatasetDef
    records: int
    prepared: PreparedXpt | None = field(default=None, repr=False, compare=False)

    @property
    def lengths(self) -> dict[str, int]:
        """Char variable -> width written, in dataset order."""
        return {v.name: v.length for v in ordered_variables(self.dataset) if v.xpt_type == "Char"}


def write_xpt(
    frame: pd.DataFrame,
    dataset: DatasetDef,
    path: str | os.PathLike[str],
    *,
    created: datetime,
    fit_lengths: bool = False,
) -> XptResult:
    """Write ``frame`` as the SAS XPORT v5 file ``<name>.xpt`` described by ``dataset``.

    ``path`` is the output folder (or the file itself, which must then be the lower-case
    dataset name with ``.xpt``). Variable order, names, labels, types (Char/Num) and display
    formats come from ``dataset``; the member name is the dataset name and its label the
    dataset label. Char values are written without trailing blanks, missing as blank; Num
    values as doubles, missing as ``.``. The header datetimes are ``created`` (its wall-clock
    time, without time zone), so the file depends only on its inputs.

    Raises ConformanceError, naming the dataset, the variable and the first offending record
    of every problem, and writes nothing, when: a name is over 8 characters or not
    ``[A-Z][A-Z0-9_]*``; a label is over 40 characters or not ASCII; a Char value is over 200
    bytes or not ASCII (call :func:`cdisc.writers.to_ascii` first) or not text; a Num value is
    not a finite number in the IBM floating-point range; a frame column is not in the
    DatasetDef or a DatasetDef variable is missing from the frame; a defined Char length is
    not the longest value (resize with ``dataset.with_lengths(lengths(frame, dataset))``, or
    pass ``fit_lengths=True``: the Char lengths are then the data's, measured in the same pass
    that prepares the values, and ``XptResult.dataset`` carries them); the last records have
    only blank values (all variables Char), which v5 cannot keep.

    >>> from cdisc.metadata import VariableDef
    >>> ds = DatasetDef("DM", "Demographics", "Tabulation", "SDTMIG 3.4", "SPECIAL PURPOSE",
    ...     "One record per subject", (VariableDef("USUBJID", "Unique Subject Identifier",
    ...     "text", 1), VariableDef("AGE", "Age", "integer", 2)))
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> result = write_xpt(pd.DataFrame({"USUBJID": ["S-001"], "AGE": [34]}), ds, out,
    ...     created=datetime(2024, 1, 31, 9, 30))
    >>> result.path.name, result.records, result.lengths
    ('dm.xpt', 1, {'USUBJID': 5})
    """
    created = check_created(created)
    target = target_path(path, dataset.name, ".xpt")
    prepared = prepare_xpt(frame, dataset, target, fit_lengths=fit_lengths)
    variables = ordered_variables(dataset)
    fields = [
        CharField.of(
            prepared.text[v.name].uniques, prepared.text[v.name].codes, prepared.lengths[v.name]
        )
        if v.xpt_type == "Char"
        else NumField(prepared.numbers[v.name])
        for v in variables
    ]
    records = len(prepared.index)
    with atomic(target) as temporary:
        header = _header(dataset, prepared.lengths, temporary)
        with temporary.open("wb") as handle:
            handle.write(header)
            write_observations(handle, fields, records)
        stamp_header(temporary, created)
    # No hash here: the build's manifest hashes every file of the package once (2 threads).
    return XptResult(target, dataset.with_lengths(prepared.lengths), records, prepared)


def write_pyreadstat(
    frame: pd.DataFrame, dataset: DatasetDef, path: str | os.PathLike[str]
) -> None:
    """pyreadstat's own XPORT v5 file of a prepared frame (columns in dataset order, Char as
    text, Num as float64), with the dataset's labels, names and display formats."""
    variables = ordered_variables(dataset)
    formats = {v.name: _sas_format(v.display_format) for v in variables if v.display_format}
    pyreadstat.write_xport(
        frame,
        os.fspath(path),
        file_label=dataset.label,
        column_labels=[v.label for v in variables],
        table_name=dataset.name,
        file_format_version=5,
        variable_format=formats or None,
    )


def _header(dataset: DatasetDef, widths: dict[str, int], temporary: Path) -> bytes:
    """The header records pyreadstat writes for this dataset: everything before the first
    observation, taken from a one-record file whose Char values have the full widths."""
    variables = ordered_variables(dataset)
    template = pd.DataFrame(
        {v.name: ["x" * widths[v.name]] if v.xpt_type == "Char" else [0.0] for v in variables},
        columns=[v.name for v in variables],
    )
    scratch = temporary.with_name(temporary.name + ".header")
    try:
        write_pyreadstat(template, dataset, scratch)
        raw = scratch.read_bytes()
    finally:
        scratch.unlink(missing_ok=True)
    start = data_start(len(variables))
    if raw[start - 80 : start] != _OBSERVATIONS:
        raise ConformanceError(
            "the XPORT header pyreadstat wrote is not the SAS TS-140 v5 layout expected",
            path=temporary,
            hint=f"pyreadstat {pyreadstat.__version__} may have changed; report it",
        )
    return raw[:start]


def data_start(variables: int) -> int:
    """Byte offset of the first observation: 8 header records of 80 bytes, one 140-byte
    NAMESTR per variable padded to a multiple of 80, then the OBS header (SAS TS-140).

    >>> data_start(3)
    1200
    """
    return 640 + -(-140 * variables // 80) * 80 + 80


def stamp_header(path: Path, created: datetime) -> None:
    """Overwrite the four header datetimes of an XPORT v5 file with ``created``.

    Checks first that the file has the TS-140 header records pyreadstat writes and a
    datetime at each offset; raises ConformanceError rather than overwrite anything else.
    """
    stamp = sas_datetime(created).encode("ascii")
    with path.open("r+b") as handle:
        head = handle.read(560)
        layout_ok = (
            head[:80] == _LIBRARY
            and head[80:104] == b"SAS     SAS     SASLIB  "
            and head[240:314] == _MEMBER
            and head[320:400] == _DESCRIPTOR
            and all(_STAMP.fullmatch(head[o : o + 16]) for o in STAMP_OFFSETS)
        )
        if not layout_ok:
            raise ConformanceError(
                "the XPORT header pyreadstat wrote is not the SAS TS-140 v5 layout expected",
                path=path,
                hint=f"pyreadstat {pyreadstat.__version__} may have changed; report it",
            )
        for offset in STAMP_OFFSETS:
            handle.seek(offset)
            handle.write(stamp)


def sas_datetime(moment: datetime) -> str:
    """``ddMMMyy:hh:mm:ss``, the header datetime of SAS TS-140, independent of the locale.

    >>> sas_datetime(datetime(2024, 1, 31, 9, 5, 7))
    '31JAN24:09:05:07'
    """
    return (
        f"{moment.day:02d}{_MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def _sas_format(display_format: str) -> str:
    """A Define-XML DisplayFormat (``DATE9.``, ``8.2``) as pyreadstat takes it."""
    text = display_format.strip().upper()
    return text if "." in text else f"{text}."
