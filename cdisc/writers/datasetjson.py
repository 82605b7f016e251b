"""CDISC Dataset-JSON 1.1 writer.

Follows the Dataset-JSON v1.1 specification (final, 2024-12-05; cdisc-org/DataExchange-
DatasetJson ``doc/dataset-json1-1.md``): top-level attributes in the specification's order
(``datasetJSONCreationDateTime``, ``datasetJSONVersion``, ``fileOID``, ``originator``,
``sourceSystem``, ``studyOID``, ``metaDataVersionOID``, ``metaDataRef``, ``itemGroupOID``,
``records``, ``name``, ``label``, ``columns``, ``rows``); each column ``itemOID``, ``name``,
``label``, ``dataType``, ``targetDataType``, ``length``, ``displayFormat``, ``keySequence``
(optional ones only when they apply), and rows as arrays in column order.

Data types (Define-XML DataType -> Dataset-JSON ``dataType``):

* ``text`` -> ``string`` (with ``length``); ``date``/``datetime``/``time`` -> the same
  name, values are the ISO 8601 text as is; the partial, incomplete, duration and interval
  types have no Dataset-JSON counterpart -> ``string``;
* ``integer`` -> ``integer`` (JSON integers; a value with a fraction is refused);
  ``float`` -> ``float`` (JSON numbers written as Python's shortest round-trip repr, so the
  XPT double and the JSON number are the same value);
* a Num variable whose ``display_format`` is a SAS date, datetime or time format (ADaM
  ``*DT``, ``*DTM``, ``*TM``) -> ``date``/``datetime``/``time`` with ``targetDataType``
  ``integer``: the specification exchanges them as ISO 8601 text (``2014-01-02``), converted
  from SAS days or seconds since 1960-01-01.

Values are stored as the XPT writer stores them: trailing blanks removed, and a missing or
blank Char value and a missing Num are ``null``, so the two files say the same thing. The
file is UTF-8 (the caller may keep non-ASCII text here), compact (no indentation), and
written in chunks of rows, never as one list of the whole frame.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import UsageError
from cdisc.metadata import DatasetDef, VariableDef
from cdisc.writers.conform import (
    Problem,
    column_problems,
    number_column,
    ordered_variables,
    present_variables,
    raise_problems,
    text_column,
)
from cdisc.writers.files import atomic, check_created, target_path

DATASET_JSON_VERSION = "1.1.0"
#: Rows encoded per chunk: bounds the Python objects alive at once.
CHUNK_ROWS = 20_000

# Define-XML DataType -> Dataset-JSON dataType for Char variables.
_CHAR_TYPES = {"text": "string", "date": "date", "datetime": "datetime", "time": "time"}
# SAS formats of numeric dates, datetimes and times (SAS 9.4 Formats and Informats).
_TEMPORAL_FORMATS: dict[str, str] = {
    **dict.fromkeys(
        ("DATE", "E8601DA", "IS8601DA", "B8601DA", "YYMMDD", "YYMMDDN", "MMDDYY", "DDMMYY"),
        "date",
    ),
    **dict.fromkeys(("WORDDATE", "WEEKDATE", "MONYY", "NLDATE"), "date"),
    **dict.fromkeys(("DATETIME", "E8601DT", "IS8601DT", "B8601DT", "DATEAMPM"), "datetime"),
    **dict.fromkeys(("TIME", "E8601TM", "IS8601TM", "B8601TM", "TOD", "HHMM"), "time"),
}
_FORMAT_NAME = re.compile(r"(\$?[A-Z]+(?:8601[A-Z]{2})?)\d*\.?\d*")
_SAS_EPOCH = np.datetime64("1960-01-01T00:00:00", "s")
_SECONDS_PER_DAY = 86_400


def write_dataset_json(
    frame: pd.DataFrame,
    dataset: DatasetDef,
    path: str | os.PathLike[str],
    *,
    created: datetime,
    study_oid: str,
    metadata_version_oid: str,
    originator: str = "cdisc toolkit",
    source_system: str | None = None,
    source_system_version: str | None = None,
    metadata_ref: str | None = None,
    file_oid: str | None = None,
) -> Path:
    """Write ``frame`` as the Dataset-JSON 1.1 file ``<name>.json`` described by ``dataset``.

    ``path`` is the output folder (or the file itself, named after the dataset in lower case
    with ``.json``). ``created`` becomes ``datasetJSONCreationDateTime`` (ISO 8601 to the
    second, with its UTC offset when it has one); ``study_oid`` and ``metadata_version_oid``
    are the define.xml Study and MetaDataVersion OIDs; ``itemGroupOID`` and ``itemOID`` are
    ``dataset.oid`` and ``dataset.item_oid(name)``. ``sourceSystem`` is written when
    ``source_system`` is given, and then needs ``source_system_version`` (the specification
    requires both). ``metadata_ref`` is ``metaDataRef`` (e.g. ``define.xml``); ``file_oid``
    defaults to ``<study_oid>.<metadata_version_oid>.<name>``. Column ``length`` is the
    defined length, or the longest value when the DatasetDef has none. Identical inputs give
    identical bytes.

    Raises ConformanceError, listing every problem with its first record, when the frame
    does not match the DatasetDef (columns, text in Char, finite numbers in Num, whole
    numbers in integer and date variables, a defined length shorter than a value), and
    UsageError for bad arguments.

    >>> from cdisc.metadata import VariableDef
    >>> ds = DatasetDef("DM", "Demographics", "Tabulation", "SDTMIG 3.4", "SPECIAL PURPOSE",
    ...     "One record per subject", (VariableDef("AGE", "Age", "integer", 1),))
    >>> import tempfile
    >>> out = write_dataset_json(pd.DataFrame({"AGE": [34.0, None]}), ds, tempfile.mkdtemp(),
    ...     created=datetime(2024, 1, 31, 9, 30), study_oid="S", metadata_version_oid="MDV.1")
    >>> json.loads(out.read_text())["rows"]
    [[34], [None]]
    """
    created = check_created(created)
    for argument, value in (
        ("study_oid", study_oid),
        ("metadata_version_oid", metadata_version_oid),
    ):
        if not isinstance(value, str) or not value:
            raise UsageError(f"{argument} must be a non-empty string", hint="see define.xml")
    if (source_system is None) != (source_system_version is None):
        raise UsageError(
            "source_system and source_system_version go together",
            hint="Dataset-JSON 1.1 requires both name and version of a sourceSystem",
        )
    target = target_path(path, dataset.name, ".json")
    columns, encoded = _encode(frame, dataset, target)
    header: dict[str, object] = {
        "datasetJSONCreationDateTime": created.isoformat(timespec="seconds"),
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": file_oid or f"{study_oid}.{metadata_version_oid}.{dataset.name}",
        "originator": originator,
    }
    if source_system is not None:
        header["sourceSystem"] = {"name": source_system, "version": source_system_version}
    header["studyOID"] = study_oid
    header["metaDataVersionOID"] = metadata_version_oid
    if metadata_ref is not None:
        header["metaDataRef"] = metadata_ref
    header.update(
        {
            "itemGroupOID": dataset.oid,
            "records": len(frame),
            "name": dataset.name,
            "label": dataset.label,
            "columns": columns,
        }
    )
    opening = _dumps(header)[:-1] + ',"rows":['
    with atomic(target) as temporary, temporary.open("w", encoding="utf-8", newline="") as out:
        out.write(opening)
        for start in range(0, len(frame), CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, len(frame))
            rows = list(zip(*(column.slice(start, stop) for column in encoded), strict=True))
            out.write(("," if start else "") + _dumps(rows)[1:-1])
        out.write("]}")
    return target


def json_data_type(var: VariableDef) -> tuple[str, str | None]:
    """Dataset-JSON ``dataType`` and ``targetDataType`` (or None) of a variable.

    >>> json_data_type(VariableDef("ASTDT", "Analysis Start Date", "integer", 1,
    ...     display_format="DATE9."))
    ('date', 'integer')
    >>> json_data_type(VariableDef("AESTDTC", "Start Date/Time", "partialDatetime", 2))
    ('string', None)
    """
    if var.xpt_type == "Char":
        return _CHAR_TYPES.get(var.data_type, "string"), None
    temporal = _temporal_kind(var.display_format)
    if temporal:
        return temporal, "integer"
    return ("integer" if var.data_type == "integer" else "float"), None


@dataclass(frozen=True)
class _Column:
    """One column's values ready for JSON: ``values`` (object array, None for null)."""

    values: np.ndarray

    def slice(self, start: int, stop: int) -> list[object]:
        return self.values[start:stop].tolist()


def _encode(
    frame: pd.DataFrame, dataset: DatasetDef, target: Path
) -> tuple[list[dict[str, object]], list[_Column]]:
    """Column metadata and JSON-ready values; every problem raised at once."""
    problems = column_problems(frame, dataset)
    columns: list[dict[str, object]] = []
    encoded: list[_Column] = []
    present = {v.name for v in present_variables(frame, dataset)}
    key_positions = {name: i + 1 for i, name in enumerate(dataset.keys)}
    for var in ordered_variables(dataset):
        data_type, target_type = json_data_type(var)
        column: dict[str, object] = {
            "itemOID": dataset.item_oid(var.name),
            "name": var.name,
            "label": var.label,
            "dataType": data_type,
        }
        if target_type:
            column["targetDataType"] = target_type
        if var.name in present:
            values, var_problems, length = _values(frame[var.name], var, data_type)
            problems += var_problems
            encoded.append(_Column(values))
            if var.data_type == "text":
                column["length"] = var.length if var.length is not None else length
        if var.display_format:
            column["displayFormat"] = var.display_format
        key = var.key_sequence if var.key_sequence is not None else key_positions.get(var.name)
        if key is not None:
            column["keySequence"] = key
        columns.append(column)
    raise_problems(problems, dataset, target)
    return columns, encoded


def _values(
    series: pd.Series, var: VariableDef, data_type: str
) -> tuple[np.ndarray, list[Problem], int]:
    """JSON-ready values of one variable, its problems, and its longest Char value."""
    if var.xpt_type == "Char":
        column = text_column(series, var.name)
        values = column.values  # a new array: uniques picked by code
        values[values == ""] = None
        problems = list(column.problems)
        if var.length is not None and column.length > var.length:
            problems.append(
                Problem(
                    var.name,
                    int(np.argmax(column.nbytes > var.length)),
                    f"value of {column.length} bytes is longer than the defined length "
                    f"{var.length}",
                )
            )
        return values, problems, column.length
    numbers, problems = number_column(series, var.name)
    if problems:
        return _nulls(len(series)), problems, 0
    missing = np.isnan(numbers)
    if data_type == "float":
        values = numbers.astype(object)
        values[missing] = None
        return values, [], 0
    fraction = np.flatnonzero(~missing & (numbers != np.floor(numbers)))
    if len(fraction):
        first = int(fraction[0])
        message = f"{data_type} variable holds {float(numbers[first])!r}, not a whole number"
        return _nulls(len(series)), [Problem(var.name, first, message)], 0
    if data_type == "integer":
        values = np.where(missing, 0, numbers).astype(np.int64).astype(object)
    else:
        values, problems = _iso_text(numbers, missing, data_type, var.name)
    values[missing] = None
    return values, problems, 0


def _nulls(count: int) -> np.ndarray:
    """An object array of ``count`` nulls."""
    return np.full(count, None, dtype=object)


def _iso_text(
    numbers: np.ndarray, missing: np.ndarray, kind: str, name: str
) -> tuple[np.ndarray, list[Problem]]:
    """SAS days (``date``) or seconds (``datetime``, ``time``) as ISO 8601 text."""
    whole = np.where(missing, 0, numbers).astype(np.int64)
    if kind == "time":
        outside = np.flatnonzero(~missing & ((whole < 0) | (whole >= _SECONDS_PER_DAY)))
        if len(outside):
            first = int(outside[0])
            message = f"time {float(numbers[first])!r} is not within 0-86399 seconds"
            return _nulls(len(numbers)), [Problem(name, first, message)]
    seconds = whole * _SECONDS_PER_DAY if kind == "date" else whole
    moments = _SAS_EPOCH + seconds.astype("timedelta64[s]")
    text = np.datetime_as_string(moments, unit="s")
    if kind == "date":
        text = text.astype("U10")
    elif kind == "time":
        text = np.char.partition(text, "T")[:, 2]
    return text.astype(object), []


def _temporal_kind(display_format: str | None) -> str | None:
    """``date``, ``datetime`` or ``time`` when a SAS format displays numbers as one."""
    if not display_format:
        return None
    match = _FORMAT_NAME.fullmatch(display_format.strip().upper())
    return _TEMPORAL_FORMATS.get(match.group(1)) if match else None


def _dumps(value: object) -> str:
    # allow_nan=False: NaN and infinities are not JSON; they are nulls or refused before this.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
