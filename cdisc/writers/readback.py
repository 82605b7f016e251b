"""Read an XPT file back with two independent readers and compare it with what was meant.

pyreadstat (ReadStat, C) and ``pandas.read_sas`` (pure Python/numpy) share no code, so a
file both read back equal to the frame is very unlikely to be wrong. Each reader's view is
compared on the dataset name and label, variable names and order, labels, types, lengths,
display formats, record count and every value; a mismatch is an error finding.

Two limits of ``pandas.read_sas`` (pandas 3.1, ``pandas/io/sas/sas_xport.py``) are reported
as warnings, not errors, when the file is otherwise right:

* when a record is at most 80 bytes long, pandas counts records as ``(data bytes - 8 * n) //
  record length``, where ``n`` is the number of 8-byte words of blanks in the last 80-byte
  card. It means the blank padding after the last record, but it also counts blank words that
  *belong to* the last records, i.e. trailing Char fields that are blank; it then drops those
  records (XPTRB10). The check recomputes that formula from the file's bytes and accepts the
  shortfall only when it matches exactly and pyreadstat reads every record;
* it cannot read a dataset with no records at all (``StopIteration``; XPTRB11);
* it reads the IBM zero as 16**-65 (5.4e-79; pandas issue #50670, open). The writer refuses
  every other magnitude below 16**-65, so where 0 was written and pandas reads 16**-65 the
  value is taken as equal, without a finding (zeros are far too common to warn about).
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
from cdisc.writers.conform import IBM_MIN, ordered_variables, prepare_xpt
from cdisc.writers.findings import Finding

_BLANK_WORD = int.from_bytes(b" " * 8, "little")
_PANDAS = "pandas.read_sas"
_READSTAT_TYPES = {"Char": "string", "Num": "double"}
_PANDAS_TYPES = {"Char": "char", "Num": "numeric"}


def verify_xpt(
    path: str | os.PathLike[str], frame: pd.DataFrame, dataset: DatasetDef
) -> list[Finding]:
    """Findings from reading ``path`` back with pyreadstat and with pandas.read_sas.

    ``frame`` and ``dataset`` are what was given to :func:`cdisc.writers.write_xpt`; the
    expected file content is derived from them exactly as the writer derives it (trailing
    blanks removed, missing Char as blank, Char lengths the longest value). An empty list
    means both readers see exactly what was meant. Error findings (XPTRB01-XPTRB08) mean the
    file is wrong; warnings (XPTRB10, XPTRB11) are known limits of pandas.read_sas. Finding
    ``record`` values are the frame's index labels. Raises ConformanceError when the frame
    itself could not have been written.

    >>> from cdisc.metadata import VariableDef
    >>> from cdisc.writers.xpt import write_xpt
    >>> from datetime import datetime
    >>> import tempfile
    >>> ds = DatasetDef("DM", "Demographics", "Tabulation", "SDTMIG 3.4", "SPECIAL PURPOSE",
    ...     "One record per subject", (VariableDef("AGE", "Age", "integer", 1),))
    >>> frame = pd.DataFrame({"AGE": [34, None]})
    >>> written = write_xpt(frame, ds, tempfile.mkdtemp(), created=datetime(2024, 1, 1))
    >>> verify_xpt(written.path, frame, ds)
    []
    """
    path = Path(path)
    prepared = prepare_xpt(frame, dataset, path)
    variables = ordered_variables(dataset)
    want = _Expected(dataset, variables, prepared.lengths, prepared.frame())
    findings, pyreadstat_records = _check_pyreadstat(path, want)
    return findings + _check_pandas(path, want, pyreadstat_records)


class _Expected:
    """What the file should hold, in the terms both readers report."""

    def __init__(
        self,
        dataset: DatasetDef,
        variables: list[VariableDef],
        found: dict[str, int],
        frame: pd.DataFrame,
    ) -> None:
        self.dataset = dataset
        self.variables = variables
        self.names = [v.name for v in variables]
        # Char widths are the lengths the writer derives; every Num is 8 bytes.
        self.widths = {v.name: found.get(v.name, 8) for v in variables}
        self.formats = {v.name: _normal_format(v.display_format) for v in variables}
        self.frame = frame

    def finding(self, code: str, message: str, **where: object) -> Finding:
        return Finding.of(code, self.dataset.name, message, **where)

    def record_length(self) -> int:
        return sum(self.widths.values())


def _check_pyreadstat(path: Path, want: _Expected) -> tuple[list[Finding], int | None]:
    """pyreadstat's findings, and the number of records it reads (None when it cannot)."""
    reader = "pyreadstat"
    try:
        data, meta = pyreadstat.read_xport(os.fspath(path), disable_datetime_conversion=True)
    except Exception as error:  # any failure to read is the finding itself
        return [want.finding("XPTRB01", f"{reader} cannot read the file: {error}")], None
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
    if len(data) != len(want.frame):
        findings.append(
            want.finding(
                "XPTRB02", f"{reader} reads {len(data)} records; {len(want.frame)} were written"
            )
        )
    return findings + _value_findings(reader, want, data), len(data)


def _check_pandas(path: Path, want: _Expected, pyreadstat_records: int | None) -> list[Finding]:
    reader = _PANDAS
    try:
        # latin-1 decodes any byte, so a stray non-ASCII byte shows up as a differing value.
        xport = pd.read_sas(path, format="xport", iterator=True, encoding="latin-1")
    except Exception as error:  # any failure to read is the finding itself
        return [want.finding("XPTRB01", f"{reader} cannot read the file: {error}")]
    with xport:
        fields = xport.fields
        seen = _Seen(
            name=xport.member_info["set_name"],
            label=xport.member_info["label"],
            names=[f["name"].decode("latin-1") for f in fields],
            labels={f["name"].decode("latin-1"): f["label"].decode("latin-1") for f in fields},
            types={f["name"].decode("latin-1"): f["ntype"] for f in fields},
            widths={f["name"].decode("latin-1"): f["field_length"] for f in fields},
            formats={f["name"].decode("latin-1"): _pandas_format(f) for f in fields},
        )
        findings = _metadata_findings(reader, want, seen, _PANDAS_TYPES)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = xport.read()
        except StopIteration:
            if len(want.frame) == 0:
                message = (
                    f"{reader} cannot read a dataset with no records; its header was checked, "
                    "pyreadstat checks the rest"
                )
                findings.append(want.finding("XPTRB11", message))
            else:
                findings.append(want.finding("XPTRB01", f"{reader} read no records"))
            return findings
    written = len(want.frame)
    # The known limit only: the file holds every record (pyreadstat reads them all) and
    # pandas' own count formula, recomputed from the bytes, gives exactly what pandas read.
    if (
        len(data) < written
        and pyreadstat_records == written
        and len(data) == _pandas_record_count(path, want)
    ):
        dropped = written - len(data)
        findings.append(
            want.finding(
                "XPTRB10",
                f"{reader} reads {len(data)} of {written} records: the last {dropped} end in "
                "blank Char fields, which it takes for the file's blank padding (known "
                "pandas limit); pyreadstat checks them",
                record=want.frame.index[len(data)],
            )
        )
    elif len(data) != written:
        findings.append(
            want.finding("XPTRB02", f"{reader} reads {len(data)} records; {written} were written")
        )
    return findings + _value_findings(reader, want, data)


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


def _value_findings(reader: str, want: _Expected, data: pd.DataFrame) -> list[Finding]:
    """One finding per variable whose values differ, naming the first differing record."""
    expected = want.frame
    count = min(len(expected), len(data))
    findings = []
    for var in want.variables:
        if var.name not in data.columns:
            continue
        meant = expected[var.name].to_numpy()[:count]
        if var.xpt_type == "Char":
            got = data[var.name].iloc[:count].astype(object).fillna("").to_numpy(dtype=object)
            differs = np.asarray(meant != got, dtype=bool)
        else:
            got = pd.to_numeric(data[var.name].iloc[:count], errors="coerce").to_numpy(float)
            same = (meant == got) | (np.isnan(meant) & np.isnan(got))
            if reader == _PANDAS:
                same |= (meant == 0) & (got == IBM_MIN)
            differs = ~same
        bad = np.flatnonzero(differs)
        if len(bad):
            first = int(bad[0])
            findings.append(
                want.finding(
                    "XPTRB07",
                    f"{reader}: {len(bad)} value(s) differ, first at record {first + 1}: "
                    f"written {_plain(meant[first])!r}, read {_plain(got[first])!r}",
                    variable=var.name,
                    record=expected.index[first],
                )
            )
    return findings


def _pandas_record_count(path: Path, want: _Expected) -> int:
    return pandas_record_count(path, len(want.variables), want.record_length())


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
    with path.open("rb") as handle:
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
    name = field["nform"].decode("latin-1").strip()
    width = str(field["nfl"]) if field["nfl"] else ""
    decimals = f".{field['num_decimals']}" if field["num_decimals"] else ""
    return f"{name}{width}{decimals}"


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read ``1.5``, not
    ``np.float64(1.5)``."""
    return value.item() if isinstance(value, np.generic) else value
