"""Per-form flat-file reader in Medidata Rave "Clinical Views" style (CSV, XPT, SAS7BDAT, XLSX).

One file is one form; its system columns (subject, site, folder, record position) are found
by configurable, case-insensitive synonyms, because the same column is ``Subject`` in one
extract, ``SUBJECT`` in another and ``PATNUM`` in a third. Rave's suffix twins (``_RAW``,
``_INT``, ``_YYYY``/``_YY``, ``_MM``, ``_DD`` and the coded suffix) stay ordinary columns;
only ``fields`` groups them under their base field.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc.errors import InputError, UsageError
from cdisc.readers.base import FieldInfo, RawExport
from cdisc.readers.frames import TEXT, assemble_frame
from cdisc.readers.sniff import check_signature
from cdisc.readers.textfile import read_csv_frame

#: File types read as one form each, by extension (lower case).
FORM_EXTENSIONS: tuple[str, ...] = (".csv", ".xpt", ".sas7bdat", ".xlsx")

#: Default synonyms of the system columns, tried in this order, case-insensitively.
DEFAULT_SYSTEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "subject": ("Subject", "SubjectName", "PATNUM"),
    "site": ("SiteNumber", "SITENM", "Site", "SiteID"),
    "event": ("FolderName", "Folder", "InstanceName", "INSTANCE", "FOLDER"),
    "repeat": ("RecordPosition", "RECPOS", "PageRepeatNumber"),
}

#: Suffix twins besides the raw and coded suffixes. ``_YY`` appears in a real Rave SAS
#: extract (AESTDAT_YY, BioMarin 270-301, see /work/shared/reference/trials.md section 4a).
_TWIN_SUFFIXES: tuple[str, ...] = ("_INT", "_YYYY", "_YY", "_MM", "_DD")
_DATE_PARTS = frozenset({"_YYYY", "_YY", "_MM", "_DD"})


def _system_columns(
    overrides: Mapping[str, Sequence[str]] | None,
) -> dict[str, tuple[str, ...]]:
    synonyms = dict(DEFAULT_SYSTEM_COLUMNS)
    for key, names in (overrides or {}).items():
        if key not in synonyms:
            raise UsageError(
                f"unknown system column {key!r} in system_columns",
                hint="use the keys " + ", ".join(sorted(synonyms)),
            )
        names = (names,) if isinstance(names, str) else tuple(names)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise UsageError(
                f"system_columns[{key!r}] must be a non-empty list of column names",
                hint='e.g. system_columns={"subject": ["USUBJID"]}',
            )
        synonyms[key] = names
    return synonyms


def _find(columns: Iterable[str], synonyms: Sequence[str]) -> str | None:
    by_lower: dict[str, str] = {}
    for column in columns:
        by_lower.setdefault(column.lower(), column)
    for name in synonyms:
        found = by_lower.get(name.lower())
        if found is not None:
            return found
    return None


def _number_text(values: pd.Series) -> np.ndarray:
    """Numbers as text: integral values without ``.0``, others in shortest round-trip form."""
    out = np.empty(len(values), dtype=object)
    present = values.notna().to_numpy()
    text = values[present].astype(float).astype(str)
    out[present] = text.str.removesuffix(".0").to_numpy(dtype=object)
    return out


def _cell_text(value: object, midnight_as_date: bool) -> object:
    """One spreadsheet or SAS cell as text (``None`` when empty)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        text = str(float(value))
        return text.removesuffix(".0")
    if isinstance(value, dt.datetime):
        if midnight_as_date and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _as_text(frame: pd.DataFrame, *, midnight_as_date: bool) -> pd.DataFrame:
    """Every column of a SAS or spreadsheet frame as text, values rendered as people read them.

    Numbers lose a trailing ``.0``; dates are ISO 8601; a spreadsheet datetime at midnight
    is a date (Excel stores dates as datetimes). Mixed object columns are converted cell by
    cell, which costs no more than the per-cell parsing that openpyxl already does.
    """
    out: dict[str, object] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            out[name] = np.where(column.to_numpy(), "TRUE", "FALSE").astype(object)
        elif pd.api.types.is_numeric_dtype(column):
            out[name] = _number_text(column)
        elif pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.map(lambda v: _cell_text(v, midnight_as_date)).to_numpy(dtype=object)
        elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
            out[name] = column.to_numpy(dtype=object, na_value=None)
        else:
            out[name] = column.map(lambda v: _cell_text(v, midnight_as_date)).to_numpy(dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _refuse_empty(path: Path, frame: pd.DataFrame) -> None:
    if not len(frame.columns):
        raise InputError("no columns", path=path, hint="export the form again")
    if frame.empty:
        raise InputError("no data rows", path=path, hint="export the form again")


def _iconv_name(encoding: str) -> str:
    """The iconv spelling readstat expects for a Python codec name (latin-1 -> ISO-8859-1)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(
            f"unknown encoding {encoding!r}", hint="use a Python codec name such as 'cp1252'"
        ) from None
    if name.startswith("iso8859-"):
        return "ISO-8859-" + name.removeprefix("iso8859-")
    return name.upper()


def _read_sas(
    path: Path, encoding: str | None
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """Read XPT or SAS7BDAT; return text frame, labels and base datatypes by column."""
    reader = pyreadstat.read_xport if path.suffix.lower() == ".xpt" else pyreadstat.read_sas7bdat
    kind = "SAS transport (XPT)" if reader is pyreadstat.read_xport else "SAS7BDAT"
    options = {"encoding": _iconv_name(encoding)} if encoding else {}
    if path.stat().st_size == 0:
        raise InputError("empty file", path=path, hint=f"expected a {kind} file")
    check_signature(path)
    try:
        frame, meta = reader(str(path), **options)
    except (
        pyreadstat.ReadstatError,
        pyreadstat.PyreadstatError,
        UnicodeDecodeError,
        ValueError,
    ) as exc:
        raise InputError(
            f"not a readable {kind} file: {exc}",
            path=path,
            hint="check that the file is what its extension says (not an HTML error page)",
        ) from None
    _refuse_empty(path, frame)
    types: dict[str, str] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            types[name] = "datetime"
        elif pd.api.types.is_numeric_dtype(column):
            types[name] = "float"
        else:
            kinds = {type(v) for v in column.dropna().head(100)}
            types[name] = "date" if kinds == {dt.date} else "time" if kinds == {dt.time} else "text"
    labels = {k: v or "" for k, v in (meta.column_names_to_labels or {}).items()}
    return _as_text(frame, midnight_as_date=False), labels, types


def _read_xlsx(path: Path) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise InputError("empty file", path=path, hint="expected an Excel workbook (.xlsx)")
    check_signature(path)
    try:
        frame = pd.read_excel(
            path, sheet_name=0, header=0, dtype=object, engine="openpyxl", keep_default_na=False
        )
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for bad files
        raise InputError(
            f"not a readable Excel workbook: {type(exc).__name__}: {exc}",
            path=path,
            hint="check that the file is an .xlsx workbook (not .xls, CSV or an HTML page)",
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ")]
    if unnamed:
        raise InputError(
            f"column {frame.columns.get_loc(unnamed[0]) + 1} has no name in the header row",
            path=path,
            location="row 1",
            hint="the first row of the first sheet must hold the column names",
        )
    _refuse_empty(path, frame)
    return _as_text(frame, midnight_as_date=True)


#: A cell of a worksheet's XML that holds a formula: ``<c r="B2" ...><f>1+1</f>``.
_FORMULA_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]+[0-9]+)"[^>]*>\s*<f[\s>/]')


def formula_cells(path: Path, shown: int = 5) -> tuple[int, list[str]]:
    """How many cells of an .xlsx workbook's sheets hold a formula, and the first few.

    Formulas are never evaluated: openpyxl (through pandas) reads the value the workbook
    was saved with, which is empty when the program that wrote it did not compute one.
    The worksheet XML is searched as bytes, so no XML from the file is parsed here.

    >>> formula_cells(Path("vs.xlsx"))  # doctest: +SKIP
    (1, ['B2'])
    """
    found: list[str] = []
    count = 0
    try:
        with zipfile.ZipFile(path) as book:
            for name in sorted(book.namelist()):
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    cells = _FORMULA_CELL.findall(book.read(name))
                    count += len(cells)
                    found += [c.decode("ascii") for c in cells[: shown - len(found)]]
    except (OSError, zipfile.BadZipFile, KeyError):
        return 0, []  # the workbook was read already; a problem here changes nothing
    return count, found


def group_fields(
    columns: Sequence[str],
    *,
    raw_suffix: str = "_RAW",
    coded_suffix: str = "_STD",
    labels: Mapping[str, str] | None = None,
    types: Mapping[str, str] | None = None,
) -> list[FieldInfo]:
    """One FieldInfo per base field: suffix twins (``X_RAW``, ``X_INT``, ``X_YYYY``, ...) fold into X.

    A column counts as a twin when its base column exists or another twin of the same base
    does; otherwise it is a field of its own. A base with ``_YYYY``/``_YY``/``_MM``/``_DD``
    twins is a ``date``. Suffixes match case-insensitively.

    >>> [f.name for f in group_fields(["VDAT", "VDAT_RAW", "VDAT_YYYY", "AESER_STD", "DOSE_MM"])]
    ['VDAT', 'AESER_STD', 'DOSE_MM']
    """
    labels = labels or {}
    types = types or {}
    suffixes = sorted({raw_suffix, coded_suffix, *_TWIN_SUFFIXES}, key=len, reverse=True)
    upper = {c.upper(): c for c in columns}
    split: dict[str, tuple[str, str]] = {}
    for column in columns:
        for suffix in suffixes:
            if column.upper().endswith(suffix.upper()) and len(column) > len(suffix):
                split[column] = (column[: -len(suffix)], suffix.upper())
                break
    bases: dict[str, set[str]] = {}
    for base, suffix in split.values():
        bases.setdefault(base.upper(), set()).add(suffix)
    infos: dict[str, FieldInfo] = {}
    for column in columns:
        base, suffix = split.get(column, (column, ""))
        key = base.upper()
        if suffix and key not in upper and len(bases[key]) < 2:
            base, key = column, column.upper()
        if key in infos:
            continue
        name = upper.get(key, base)
        twins = bases.get(key, set()) if key in upper or base != column else set()
        datatype = "date" if twins & _DATE_PARTS else types.get(name, "text")
        infos[key] = FieldInfo(name=name, label=labels.get(name, ""), datatype=datatype)
    return list(infos.values())


def _with_lineage(
    form: str,
    path: Path,
    body: pd.DataFrame,
    synonyms: Mapping[str, Sequence[str]],
    *,
    empty_is_missing: bool = True,
    numbers: pd.Series | None = None,
) -> pd.DataFrame:
    """The raw frame of one form file: lineage from its system columns, then all its columns.

    ``empty_is_missing=False`` when ``body`` holds no empty string (a CSV read by
    :func:`read_csv_frame`), which spares a scan of every cell. ``numbers``, when given, is
    ``"1"``, ``"2"``, ... as text, at least as long as ``body`` (shared between forms, so the
    record ids are converted to text once per read).
    """
    columns = list(body.columns)
    found = {key: _find(columns, names) for key, names in synonyms.items()}
    if found["subject"] is None:
        raise InputError(
            "no subject column (looked for "
            + ", ".join(synonyms["subject"])
            + "); columns found: "
            + ", ".join(columns),
            path=path,
            location="line 1",
            hint='name the subject column with system_columns={"subject": [...]}',
        )
    system = {key: body[name] if name else None for key, name in found.items()}
    lineage = {
        "_file": path.name,
        "_form": form,
        "_record": _record_numbers(len(body), numbers).iloc[: len(body)],
        "_subject": system["subject"],
        "_site": system["site"],
        "_event": system["event"],
        "_repeat": system["repeat"],
    }
    return assemble_frame(lineage, body, path=path, empty_is_missing=empty_is_missing)


def _record_numbers(n: int, made: pd.Series | None = None) -> pd.Series:
    """``"1"`` to at least ``str(n)`` as text: ``made`` when it is long enough.

    >>> _record_numbers(3).tolist()
    ['1', '2', '3']
    """
    if made is not None and len(made) >= n:
        return made
    return pd.Series(np.arange(1, n + 1)).astype(TEXT)


def _form_files(folder: Path, notes: list[str]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue  # subfolders (e.g. a generator's ground_truth/) and lock files
        if path.suffix.lower() not in FORM_EXTENSIONS:
            notes.append(f"{path}: not a .csv, .xpt, .sas7bdat or .xlsx file; ignored")
            continue
        form = path.stem.lower()
        if form in files:
            raise InputError(
                f"two files for form {form!r}: {files[form].name} and {path.name}",
                path=folder,
                hint="keep one file per form",
            )
        files[form] = path
    return files


def select_form_files(
    folder: Path, forms: Iterable[str] | str | None, notes: list[str]
) -> dict[str, Path]:
    """The folder's per-form files (form name -> path), only ``forms`` when given.

    Raises ``InputError`` for a missing folder or one without form files, ``UsageError`` for
    a requested form with no file.
    """
    if not folder.is_dir():
        raise InputError(
            "not a folder" if folder.exists() else "folder not found",
            path=folder,
            hint="expected a folder of per-form .csv/.xpt/.sas7bdat/.xlsx files",
        )
    files = _form_files(folder, notes)
    if not files:
        raise InputError(
            "no per-form .csv, .xpt, .sas7bdat or .xlsx files",
            path=folder,
            hint="expected one file per form, named after the form",
        )
    if forms is None:
        return files
    wanted = [f.lower() for f in ([forms] if isinstance(forms, str) else forms)]
    unknown = [f for f in wanted if f not in files]
    if unknown:
        raise UsageError(
            f"no file for form(s) {', '.join(unknown)} in {folder}",
            hint="forms present: " + ", ".join(sorted(files)),
        )
    return {f: files[f] for f in wanted}


def read_rave(
    folder: str | PathLike[str],
    *,
    forms: Iterable[str] | None = None,
    coded_suffix: str = "_STD",
    raw_suffix: str = "_RAW",
    system_columns: Mapping[str, Sequence[str]] | None = None,
    encoding: str | None = None,
) -> RawExport:
    """Read a folder of per-form files (Rave Clinical Views style); one frame per file.

    The form name is the file stem in lower case (``VS.xpt`` -> ``vs``); ``forms`` limits
    reading to some of them. CSV is read as text (trailing ``EOF`` line removed); XPT and
    SAS7BDAT through pyreadstat and XLSX (first sheet) through openpyxl, with numbers and
    dates rendered as text (``132``, ``174.5``, ``2013-02-01``).

    Adds the lineage: ``_subject``, ``_site``, ``_event`` and ``_repeat`` from the first
    column matching (case-insensitively) the synonyms in ``system_columns`` (keys
    ``subject``, ``site``, ``event``, ``repeat``; defaults in ``DEFAULT_SYSTEM_COLUMNS``;
    a key given replaces its defaults), ``_record`` the 1-based data row. A file without
    a subject column raises ``InputError``. ``fields`` holds one FieldInfo per base field,
    its ``raw_suffix``/``_INT``/``_YYYY``/``_MM``/``_DD``/``coded_suffix`` twins folded in.

    >>> export = read_rave(Path("rave"), system_columns={"subject": ["USUBJID"]})  # doctest: +SKIP
    """
    for name, suffix in (("coded_suffix", coded_suffix), ("raw_suffix", raw_suffix)):
        if not isinstance(suffix, str) or not suffix:
            raise UsageError(f"{name} must be a non-empty string such as '_STD'")
    synonyms = _system_columns(system_columns)
    folder = Path(folder)
    notes: list[str] = []
    files = select_form_files(folder, forms, notes)
    frames: dict[str, pd.DataFrame] = {}
    fields: dict[str, list[FieldInfo]] = {}
    numbers = None
    for form, path in files.items():
        labels: dict[str, str] = {}
        types: dict[str, str] = {}
        suffix = path.suffix.lower()
        if suffix == ".csv":
            table = read_csv_frame(path, encoding=encoding, strip_eof=True)
            body = table.frame
            notes.extend(table.notes)
        elif suffix == ".xlsx":
            body = _read_xlsx(path)
            count, cells = formula_cells(path)
            if count:
                notes.append(
                    f"{path}: {count:,} cell(s) hold a formula (first: {', '.join(cells)}); "
                    "formulas are not evaluated, each is read as the value saved with it "
                    "(empty if none was saved)"
                )
        else:
            body, labels, types = _read_sas(path, encoding)
        numbers = _record_numbers(len(body), numbers)
        frames[form] = _with_lineage(
            form, path, body, synonyms, empty_is_missing=suffix != ".csv", numbers=numbers
        )
        fields[form] = group_fields(
            list(body.columns),
            raw_suffix=raw_suffix,
            coded_suffix=coded_suffix,
            labels=labels,
            types=types,
        )
    return RawExport(kind="rave", path=str(folder), forms=frames, fields=fields, notes=notes)
