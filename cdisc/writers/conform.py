"""Check a frame against its DatasetDef and shape it the way the writers store it.

Both writers read a frame through these functions, so the XPT file, the Dataset-JSON file and
the read-back check agree on what a value is:

* a Char value is text with trailing blanks removed (SAS pads Char fields with blanks, so
  ``"ab "`` and ``"ab"`` are the same SAS value); missing and blank are the one missing value;
* a Num value is a finite float64; ``-0.0`` is ``0.0`` (ReadStat writes both as the one IBM
  zero, so the Dataset-JSON file says ``0.0`` too).

SAS XPORT v5 limits (SAS TS-140; FDA TCG as summarised in
/work/shared/reference/define-xml-2.1.md section 14 and sdtm-adam-variables.md): names of at
most 8 characters matching ``[A-Z][A-Z0-9_]*``, labels of at most 40 ASCII characters, Char
values of at most 200 bytes, numbers within the IBM hexadecimal floating-point range.

Record numbers in error messages are 1-based observation numbers, as a SAS viewer shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd

from cdisc.errors import ConformanceError
from cdisc.metadata import DatasetDef, VariableDef

NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]*")
MAX_NAME = 8
MAX_LABEL = 40
MAX_CHAR_BYTES = 200
# IBM System/360 hexadecimal floating point: 16**-65 is the smallest normalised magnitude.
# The format reaches about 7.2e75, but ReadStat writes every magnitude from 2**249 (9.05e74)
# up as its overflow pattern 0x7FFFFFFFFFFFFFFF, read back as infinity (measured with
# pyreadstat 1.3.7), so that is where the writer stops; below 16**-65 it writes 0.
IBM_MIN = 16.0**-65
IBM_MAX = 2.0**249
_NUMBER_TYPES = (int, float, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64)


@dataclass(frozen=True)
class Problem:
    """One reason a frame cannot be written: the variable ("" for the dataset), the 0-based
    position of the first offending record (or None) and what is wrong."""

    variable: str
    position: int | None
    message: str


@dataclass(frozen=True)
class TextColumn:
    """A Char column as stored, kept as its distinct values and a code per record.

    ``uniques`` are the distinct stored texts (trailing blanks removed; the last one is
    ``""``, which missing values point to), ``codes`` the position of each record's text in
    ``uniques``; ``unique_bytes`` and ``unique_non_ascii`` describe each distinct text.
    Working on distinct values keeps the cost of text operations to the number of distinct
    values, not records.
    """

    uniques: np.ndarray
    codes: np.ndarray
    unique_bytes: np.ndarray
    unique_non_ascii: np.ndarray
    problems: list[Problem]

    @property
    def values(self) -> np.ndarray:
        """The stored text of every record (object array, ``""`` for missing)."""
        return self.uniques[self.codes]

    @property
    def nbytes(self) -> np.ndarray:
        """UTF-8 byte length of every record's text."""
        return self.unique_bytes[self.codes]

    @property
    def non_ascii(self) -> np.ndarray:
        """Whether each record's text holds a non-ASCII character."""
        return self.unique_non_ascii[self.codes]

    @property
    def length(self) -> int:
        """The longest value in bytes, at least 1 (the SAS minimum width)."""
        return max(1, int(self.unique_bytes.max(initial=0)))


def ordered_variables(dataset: DatasetDef) -> list[VariableDef]:
    """The dataset's variables in dataset order."""
    return sorted(dataset.variables, key=lambda v: v.order)


def lengths(frame: pd.DataFrame, dataset: DatasetDef) -> dict[str, int]:
    """Byte length of the longest value of each Char variable, at least 1.

    This is what ``DatasetDef.with_lengths`` takes, and the width the XPT writer gives each
    Char variable. Lengths are UTF-8 bytes after trailing blanks are removed; after
    :func:`cdisc.writers.to_ascii` that is one byte per character. Raises ConformanceError
    when the frame and the DatasetDef do not have the same variables, or a Char column holds
    values that are not text.

    >>> from cdisc.metadata import VariableDef
    >>> ds = DatasetDef("DM", "Demographics", "Tabulation", "SDTMIG 3.4", "SPECIAL PURPOSE",
    ...     "One record per subject", (VariableDef("SEX", "Sex", "text", 1),))
    >>> lengths(pd.DataFrame({"SEX": ["F", None, "M  "]}), ds)
    {'SEX': 1}
    """
    problems = column_problems(frame, dataset)
    found: dict[str, int] = {}
    for var in present_variables(frame, dataset):
        if var.xpt_type == "Char":
            column = text_column(frame[var.name], var.name)
            problems += column.problems
            found[var.name] = column.length
    raise_problems(
        problems,
        dataset,
        None,
        action="lengths cannot be measured",
        hint="fix the data or the dataset definition",
    )
    return found


def present_variables(frame: pd.DataFrame, dataset: DatasetDef) -> list[VariableDef]:
    """The dataset's variables, in order, that are exactly one column of the frame."""
    counts = pd.Index(frame.columns).value_counts()
    return [v for v in ordered_variables(dataset) if counts.get(v.name, 0) == 1]


def column_problems(frame: pd.DataFrame, dataset: DatasetDef) -> list[Problem]:
    """Columns that are duplicated, not in the DatasetDef, or DatasetDef variables not in the
    frame."""
    problems: list[Problem] = []
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        problems.append(Problem("", None, f"frame columns appear twice: {', '.join(duplicated)}"))
    defined = set(dataset.names)
    extra = [c for c in columns if c not in defined]
    missing = [n for n in dataset.names if n not in set(columns)]
    if extra:
        problems.append(
            Problem("", None, f"frame columns not in the dataset definition: {', '.join(extra)}")
        )
    if missing:
        problems.append(
            Problem("", None, f"defined variables missing from the frame: {', '.join(missing)}")
        )
    return problems


def xpt_metadata_problems(dataset: DatasetDef) -> list[Problem]:
    """Dataset and variable names and labels that SAS XPORT v5 cannot hold."""
    problems = _name_problems("", "dataset name", dataset.name)
    if not dataset.variables:
        problems.append(Problem("", None, "the dataset definition has no variables"))
    problems += _label_problems("", "dataset label", dataset.label)
    for var in ordered_variables(dataset):
        problems += _name_problems(var.name, "variable name", var.name)
        problems += _label_problems(var.name, "label", var.label)
        if var.xpt_type == "Num" and var.length not in (None, 8):
            problems.append(
                Problem(var.name, None, f"Num length {var.length} given; XPT numbers are 8 bytes")
            )
    return problems


def text_column(series: pd.Series, name: str) -> TextColumn:
    """A Char column as stored: trailing blanks removed, missing as ``""``; values that are
    not text are problems (reported from their first record)."""
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    originals = pd.Series(np.asarray(distinct, dtype=object), dtype=object)
    try:
        stripped = originals.str.rstrip(" ")
    except AttributeError:  # no str among the values at all
        stripped = pd.Series(np.nan, index=originals.index, dtype=object)
    not_text = stripped.isna().to_numpy()
    uniques = np.append(stripped.fillna("").to_numpy(dtype=object), "")
    codes = np.where(codes < 0, len(uniques) - 1, codes)
    problems: list[Problem] = []
    if not_text.any():
        records = np.flatnonzero(np.append(not_text, False)[codes])
        first = int(records[0])
        kind = type(series.iloc[first]).__name__
        problems.append(
            Problem(
                name,
                first,
                f"Char variable holds values that are not text ({kind}) in "
                f"{len(records)} record(s)",
            )
        )
    text = pd.Series(uniques, dtype=object)
    non_ascii = ~text.str.isascii().to_numpy(dtype=bool)
    if non_ascii.any():
        unique_bytes = text.str.encode("utf-8").str.len().to_numpy(dtype=np.int64)
    else:
        unique_bytes = text.str.len().to_numpy(dtype=np.int64)
    return TextColumn(uniques, codes, unique_bytes, non_ascii, problems)


def xpt_text_problems(column: TextColumn, var: VariableDef) -> list[Problem]:
    """Non-ASCII text, values over 200 bytes, and a declared length that is not the longest
    value."""
    problems: list[Problem] = []
    non_ascii = np.flatnonzero(column.non_ascii)
    if len(non_ascii):
        problems.append(
            Problem(
                var.name,
                int(non_ascii[0]),
                f"non-ASCII text in {len(non_ascii)} record(s); transliterate with "
                "cdisc.writers.to_ascii before writing",
            )
        )
    has_nul = pd.Series(column.uniques).str.contains("\x00", regex=False).to_numpy(dtype=bool)
    nul = np.flatnonzero(has_nul[column.codes])
    if len(nul):
        # SAS pads Char fields with blanks; a NUL byte is not text any reader keeps.
        problems.append(Problem(var.name, int(nul[0]), f"NUL character in {len(nul)} record(s)"))
    too_long = np.flatnonzero(column.nbytes > MAX_CHAR_BYTES)
    if len(too_long):
        first = int(too_long[0])
        problems.append(
            Problem(
                var.name,
                first,
                f"value of {int(column.nbytes[first])} bytes exceeds the SAS V5 limit of "
                f"{MAX_CHAR_BYTES} in {len(too_long)} record(s); split it (SDTMIG 4.5.3)",
            )
        )
    if var.length is not None and var.length != column.length:
        problems.append(
            Problem(
                var.name,
                None,
                f"defined length {var.length} but the longest value is {column.length} "
                "byte(s); resize with DatasetDef.with_lengths(lengths(frame, dataset))",
            )
        )
    return problems


def number_column(series: pd.Series, name: str) -> tuple[np.ndarray, list[Problem]]:
    """A Num column as float64 (NaN for missing, ``-0.0`` as ``0.0``), and its problems:
    values that are not numbers, and infinities."""
    problems: list[Problem] = []
    if pd.api.types.is_bool_dtype(series) or not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_object_dtype(series)
    ):
        problems.append(
            Problem(name, 0 if len(series) else None, f"Num variable has dtype {series.dtype}")
        )
        return np.full(len(series), np.nan), problems
    if pd.api.types.is_object_dtype(series):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred not in ("integer", "floating", "mixed-integer-float", "empty"):
            kinds = series.map(type, na_action="ignore")
            bad = np.flatnonzero(series.notna().to_numpy() & ~kinds.isin(_NUMBER_TYPES).to_numpy())
            first = int(bad[0])
            problems.append(
                Problem(
                    name,
                    first,
                    f"Num variable holds a non-number ({type(series.iloc[first]).__name__}) "
                    f"in {len(bad)} record(s)",
                )
            )
            return np.full(len(series), np.nan), problems
        series = pd.to_numeric(series)
    values = series.to_numpy(dtype="float64", na_value=np.nan) + 0.0
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        problems.append(
            Problem(name, int(infinite[0]), f"infinite value in {len(infinite)} record(s)")
        )
    return values, problems


def xpt_number_problems(values: np.ndarray, name: str) -> list[Problem]:
    """Finite numbers that the IBM floating point of XPORT v5 cannot hold."""
    magnitude = np.abs(values)
    out_of_range = np.flatnonzero(
        np.isfinite(values) & ((magnitude >= IBM_MAX) | ((magnitude > 0) & (magnitude < IBM_MIN)))
    )
    if not len(out_of_range):
        return []
    first = int(out_of_range[0])
    return [
        Problem(
            name,
            first,
            f"value {float(values[first])!r} is outside the IBM floating-point range of SAS XPORT v5 "
            f"({IBM_MIN:.3g} to below {IBM_MAX:.4g}) in {len(out_of_range)} record(s)",
        )
    ]


@dataclass(frozen=True)
class PreparedXpt:
    """A frame checked for XPORT v5, as the writer stores it.

    ``text`` holds each Char variable as a :class:`TextColumn`, ``numbers`` each Num variable
    as float64 (NaN for missing); ``lengths`` are the Char widths; ``names`` the variables in
    dataset order.
    """

    index: pd.Index
    names: list[str]
    text: dict[str, TextColumn]
    numbers: dict[str, np.ndarray]
    lengths: dict[str, int]

    def frame(self) -> pd.DataFrame:
        """The stored values as a frame: Char as text (``""`` for missing), Num as float64."""
        data = {n: self.text[n].values if n in self.text else self.numbers[n] for n in self.names}
        return pd.DataFrame(data, index=self.index, columns=self.names)


def prepare_xpt(
    frame: pd.DataFrame,
    dataset: DatasetDef,
    path: str | PathLike[str] | None = None,
    *,
    fit_lengths: bool = False,
) -> PreparedXpt:
    """The frame as the XPT writer stores it, with every problem checked.

    Char values lose their trailing blanks and missing ones become ``""``; Num values become
    float64. Raises ConformanceError listing every problem (first offending record of each)
    when the frame cannot be written; ``path`` is the file the error names. With
    ``fit_lengths`` the Char lengths are the data's, as :func:`lengths` measures them (the
    dataset's declared lengths are not checked), and a frame whose lengths cannot be measured
    raises the error :func:`lengths` raises; the text columns are built once for both.
    """
    variables = present_variables(frame, dataset)
    text = {v.name: text_column(frame[v.name], v.name) for v in variables if v.xpt_type == "Char"}
    if fit_lengths:
        raise_problems(
            column_problems(frame, dataset) + [p for c in text.values() for p in c.problems],
            dataset,
            None,
            action="lengths cannot be measured",
            hint="fix the data or the dataset definition",
        )
        dataset = dataset.with_lengths({n: c.length for n, c in text.items()})
    defined = {v.name: v for v in dataset.variables}
    problems = xpt_metadata_problems(dataset) + column_problems(frame, dataset)
    numbers: dict[str, np.ndarray] = {}
    for var in variables:
        if var.xpt_type == "Char":
            column = text[var.name]
            problems += column.problems or xpt_text_problems(column, defined[var.name])
        else:
            values, number_problems = number_column(frame[var.name], var.name)
            problems += number_problems or xpt_number_problems(values, var.name)
            numbers[var.name] = values
    names = [v.name for v in ordered_variables(dataset)]
    if not numbers and set(text) == set(names):
        problems += _blank_tail_problems([text[n] for n in names], len(frame))
    raise_problems(problems, dataset, path)
    found = {n: c.length for n, c in text.items()}
    return PreparedXpt(frame.index, names, text, numbers, found)


def _blank_tail_problems(columns: list[TextColumn], records: int) -> list[Problem]:
    """Final records made of blanks only (every variable a blank Char), which v5 cannot keep.

    A v5 file does not store its record count: readers derive it from the file size and
    take blanks at the end for the padding of the last 80-byte card, so such records at the
    end of the file are lost (measured: pyreadstat 1.3.7 and pandas 3.1 both drop them). A
    Num, even missing, is never blank.
    """
    if not records:
        return []
    blank = np.logical_and.reduce([c.values == "" for c in columns])
    if not blank[-1]:
        return []
    kept = np.flatnonzero(~blank)
    first = int(kept[-1]) + 1 if len(kept) else 0
    return [
        Problem(
            "",
            first,
            f"the last {records - first} record(s) have only blank values; SAS XPORT v5 "
            "cannot keep all-blank records at the end of a file (readers take them for "
            "padding); drop them or fill a variable",
        )
    ]


def raise_problems(
    problems: list[Problem],
    dataset: DatasetDef,
    path: str | PathLike[str] | None,
    *,
    action: str = "cannot be written",
    hint: str = "fix the data or the dataset definition; nothing was written",
) -> None:
    """Raise one ConformanceError naming every problem; do nothing when there is none."""
    if not problems:
        return
    first = problems[0]
    parts = [
        (f"{p.variable}: " if p.variable else "")
        + p.message
        + (f" (first at record {p.position + 1})" if p.position is not None else "")
        for p in problems
    ]
    where = [f"dataset {dataset.name}"]
    if first.variable:
        where.append(f"variable {first.variable}")
    if first.position is not None:
        where.append(f"record {first.position + 1}")
    raise ConformanceError(
        f"{dataset.name} {action}: " + "; ".join(parts),
        path=path,
        location=", ".join(where),
        hint=hint,
    )


def _name_problems(variable: str, what: str, name: str) -> list[Problem]:
    if len(name) > MAX_NAME or not NAME_PATTERN.fullmatch(name):
        return [
            Problem(
                variable,
                None,
                f"{what} {name!r} must be 1-{MAX_NAME} characters of A-Z, 0-9 and _, "
                "starting with a letter",
            )
        ]
    return []


def _label_problems(variable: str, what: str, label: str) -> list[Problem]:
    problems = []
    if len(label) > MAX_LABEL:
        problems.append(
            Problem(
                variable, None, f"{what} {label!r} is {len(label)} characters (max {MAX_LABEL})"
            )
        )
    if not label.isascii():
        problems.append(Problem(variable, None, f"{what} {label!r} is not ASCII"))
    return problems
