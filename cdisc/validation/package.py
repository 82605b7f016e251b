"""A package to validate, from any folder: ours, or one SAS or R wrote.

Datasets are read from SAS XPORT (the header with pyreadstat, the observations with
:mod:`cdisc.validation.xptread`, which decodes them as pyreadstat does, several times
faster; text that is not UTF-8 is read as windows-1252, and that is noted) and Dataset-JSON
1.1; file names in any case (``DM.XPT``).
Char values are ``str`` with blanks as None, Num values floats (SAS dates stay day numbers).
A ``define.xml`` beside the datasets is read with :mod:`define.reader` (2.0 or 2.1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat

from cdisc.errors import InputError, UsageError
from cdisc.validation.xptread import Distinct, Layout, read_observations

_NOT_UTF8 = "text is not UTF-8; read as windows-1252"


@dataclass(frozen=True)
class DatasetMeta:
    """What a dataset file says about itself: label, variable labels, types, lengths."""

    name: str
    file: Path | None
    label: str
    labels: dict[str, str]
    types: dict[str, str]  # Char | Num
    lengths: dict[str, int]
    formats: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"


@dataclass
class Package:
    """The datasets of a package, what their files say, the define if any, and notes on
    how they were read. ``standard`` is ``ADaM`` when every dataset name starts with AD,
    else ``SDTM``."""

    folder: Path | None
    datasets: Mapping[str, pd.DataFrame]  # a dict, or LazyDatasets for a related package
    meta: dict[str, DatasetMeta]
    define: object | None = None  # cdisc.metadata.DefineDocument
    notes: list[str] = field(default_factory=list)
    related: Package | None = None  # the SDTM package of an ADaM one, for cross-checks
    #: (dataset, Char column) -> its distinct values as the XPT reader found them, offered
    #: to the rules' column cache (:func:`cdisc.validation.columns.shared`), which checks
    #: that the column still holds them before it uses them.
    distinct: dict[tuple[str, str], Distinct] = field(default_factory=dict, repr=False)

    @property
    def standard(self) -> str:
        names = list(self.datasets)
        return "ADaM" if names and all(n.startswith("AD") for n in names) else "SDTM"


class LazyDatasets(Mapping[str, pd.DataFrame]):
    """Datasets whose XPT files are read on first use: the SDTM package beside an ADaM one,
    whose cross-checks read DM, EX and the SRCDOM datasets, not a 2-million-record QS.

    ``files`` names every dataset (in load order) with its file; ``frames`` holds those
    read already (Dataset-JSON). Names and metadata come from the file headers; reading a
    dataset replaces its metadata with what the full read found (the encoding)."""

    def __init__(
        self,
        files: dict[str, Path],
        frames: dict[str, pd.DataFrame],
        meta: dict[str, DatasetMeta],
        notes: list[str],
    ) -> None:
        self._files = files
        self._frames = frames
        self._meta = meta
        self._notes = notes

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            frame, info, note, _distinct = _read_xpt(self._files[name])  # KeyError if unknown
            self._frames[name], self._meta[name] = frame, info
            if note:
                self._notes.append(note)
        return self._frames[name]

    def columns(self, name: str) -> list[str]:
        """The variables of dataset ``name``, from its header when it is not read yet."""
        if name in self._frames:
            return list(self._frames[name].columns)
        return list(self._meta[name].types)

    def part(self, name: str, columns: list[str]) -> pd.DataFrame:
        """Dataset ``name`` with only ``columns`` (variables it has), reading only those
        when the dataset is not read yet (and not keeping them)."""
        if name in self._frames or self._files[name].suffix.lower() != ".xpt":
            return self[name][columns]
        return _read_xpt(self._files[name], only=columns)[0][columns]

    def __contains__(self, name: object) -> bool:
        return name in self._files  # without reading it

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def load_package(folder: Path, *, sdtm: Path | None = None, lazy: bool = False) -> Package:
    """Every XPT and Dataset-JSON dataset directly in ``folder`` (and its define.xml).

    ``sdtm`` is the SDTM package an ADaM package derives from; in the submission layout
    (``.../analysis/adam/datasets``) it is found beside it (``.../tabulations/sdtm``), and it
    is loaded ``lazy``: its XPT datasets are read when a rule first asks for them
    (:class:`LazyDatasets`).
    """
    folder = Path(folder)
    if sdtm is None and folder.parts[-3:] == ("analysis", "adam", "datasets"):
        beside = folder.parents[2] / "tabulations" / "sdtm"
        sdtm = beside if beside.is_dir() else None
    if not folder.is_dir():
        raise UsageError(f"'{folder}' is not a folder", hint="give the folder of a package")
    datasets, meta, notes, files, distinct = {}, {}, [], {}, {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        suffix = path.suffix.lower()
        found = {}
        if suffix == ".xpt" and lazy:
            frame, (info, note) = None, _xpt_header(path)
        elif suffix == ".xpt":
            frame, info, note, found = _read_xpt(path)
        elif suffix == ".json":
            read = _read_json(path)
            if read is None:
                notes.append(f"{path.name}: JSON that is not Dataset-JSON, skipped")
                continue
            frame, info, note = read
        else:
            continue
        if info.name in files:
            notes.append(f"{path.name}: {info.name} also read from {meta[info.name].file.name}")
            continue
        files[info.name], meta[info.name] = path, info
        distinct.update({(info.name, column): codes for column, codes in found.items()})
        if frame is not None:
            datasets[info.name] = frame
        if note:
            notes.append(note)
    if lazy:
        datasets = LazyDatasets(files, datasets, meta, notes)
    define = None
    found = next((p for p in sorted(folder.iterdir()) if p.name.lower() == "define.xml"), None)
    if found is not None:
        from define.reader import read_define

        define = read_define(found)
    related = load_package(sdtm, lazy=True) if sdtm is not None else None
    return Package(folder, datasets, meta, define, notes, related, distinct)


def columns_of(package: Package, name: str) -> list[str]:
    """The variables of dataset ``name`` of ``package``, without reading a dataset that a
    lazy package has not read yet."""
    if isinstance(package.datasets, LazyDatasets):
        return package.datasets.columns(name)
    return list(package.datasets[name].columns)


def part_of(package: Package, name: str, columns: list[str]) -> pd.DataFrame:
    """Dataset ``name`` of ``package`` with only ``columns``: a lazy package reads only them."""
    if isinstance(package.datasets, LazyDatasets):
        return package.datasets.part(name, columns)
    return package.datasets[name][columns]


def package_from_frames(
    datasets: dict[str, pd.DataFrame], meta: dict[str, DatasetMeta] | None = None
) -> Package:
    """A package of in-memory frames (tests, and the build validating what it wrote)."""
    meta = dict(meta or {})
    for name, frame in datasets.items():
        if name not in meta:
            meta[name] = _meta_of(name, frame)
    return Package(None, {n: _normalised(f) for n, f in datasets.items()}, meta)


def _read_xpt(
    path: Path, only: list[str] | None = None
) -> tuple[pd.DataFrame, DatasetMeta, str, dict[str, Distinct]]:
    """The normalised frame, metadata, note (text not UTF-8) and the distinct values of the
    Char columns (see :attr:`Package.distinct`; empty when unknown) of an XPT file: the
    header from pyreadstat, the observations from :mod:`cdisc.validation.xptread` (the same
    frame, several times faster), or from pyreadstat when that reader declines the file.
    ``only`` limits the frame to those variables (all of them are read by pyreadstat)."""
    for encoding in ("utf-8", "windows-1252"):
        try:
            _, info = pyreadstat.read_xport(
                str(path), metadataonly=True, encoding=None if encoding == "utf-8" else encoding
            )
        except Exception:  # pyreadstat has its own error types; the full read reports them
            continue
        names = tuple(info.column_names)
        layout = Layout(
            names=names,
            widths=tuple(int(info.variable_storage_width.get(c) or 8) for c in names),
            numeric=tuple(info.readstat_variable_types[c] == "double" for c in names),
        )
        read = read_observations(path, layout, encoding, only)
        if read is not None:
            frame, distinct = read
            note = "" if encoding == "utf-8" else f"{path.name}: {_NOT_UTF8}"
            return frame, _xpt_meta(path, info, list(frame.columns), encoding), note, distinct
    return (*_read_xpt_pyreadstat(path), {})


def _xpt_header(path: Path) -> tuple[DatasetMeta, str]:
    """The metadata and note of an XPT file from its header only (see :class:`LazyDatasets`);
    a file whose header pyreadstat cannot read raises as a full read would."""
    for encoding in ("utf-8", "windows-1252"):
        try:
            _, info = pyreadstat.read_xport(
                str(path), metadataonly=True, encoding=None if encoding == "utf-8" else encoding
            )
        except Exception:  # pyreadstat has its own error types; the full read reports them
            continue
        note = "" if encoding == "utf-8" else f"{path.name}: {_NOT_UTF8}"
        return _xpt_meta(path, info, info.column_names, encoding), note
    _frame, info, note = _read_xpt_pyreadstat(path)  # raises InputError, naming the problem
    return info, note


def _read_xpt_pyreadstat(path: Path) -> tuple[pd.DataFrame, DatasetMeta, str]:
    note = ""
    try:
        frame, info = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        encoding = "utf-8"
    except Exception:  # pyreadstat has its own error types; try the SAS default encoding
        try:
            frame, info = pyreadstat.read_xport(
                str(path), encoding="windows-1252", disable_datetime_conversion=True
            )
        except Exception as exc:
            raise InputError(
                f"not a readable SAS XPORT file ({exc})",
                path=path,
                hint="check the file is a SAS transport (v5) dataset",
            ) from None
        encoding = "windows-1252"
        note = f"{path.name}: {_NOT_UTF8}"
    return _normalised(frame), _xpt_meta(path, info, list(frame.columns), encoding), note


def _xpt_meta(path: Path, info, columns: list[str], encoding: str) -> DatasetMeta:
    return DatasetMeta(
        name=(info.table_name or path.stem).upper(),
        file=path,
        label=info.file_label or "",
        labels={c: (info.column_names_to_labels.get(c) or "") for c in columns},
        types={
            c: ("Num" if info.readstat_variable_types[c] == "double" else "Char") for c in columns
        },
        lengths={c: int(info.variable_storage_width.get(c) or 8) for c in columns},
        formats={c: f for c, f in (info.original_variable_types or {}).items() if f},
        encoding=encoding,
    )


def _read_json(path: Path):
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        location = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(f"not readable JSON ({exc})", path=path, location=location) from None
    if not isinstance(data, dict) or "columns" not in data:
        return None
    columns = data["columns"]
    names = [c["name"] for c in columns]
    frame = pd.DataFrame(data.get("rows", []), columns=names)
    numeric = {c["name"] for c in columns if c.get("dataType") in ("integer", "float", "double")}
    for name in numeric:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    meta = DatasetMeta(
        name=str(data.get("name") or path.stem).upper(),
        file=path,
        label=str(data.get("label") or ""),
        labels={c["name"]: str(c.get("label") or "") for c in columns},
        types={c["name"]: ("Num" if c["name"] in numeric else "Char") for c in columns},
        lengths={c["name"]: int(c.get("length") or 8) for c in columns},
    )
    return _normalised(frame), meta, ""


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Char columns as str with blank (or missing) as None; numbers as float."""
    out = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[name] = values.astype(float)
        else:
            text = values.astype("string").str.rstrip()
            out[name] = text.astype(object).where(text.notna() & (text != ""), None)
    return pd.DataFrame(out, index=range(len(frame)))


def _longest(values: pd.Series) -> int:
    """The longest value in bytes, at least 1 (an all-empty column has length 1)."""
    text = values.dropna().astype(str)
    return max(1, int(text.str.encode("utf-8").str.len().max())) if len(text) else 1


def _meta_of(name: str, frame: pd.DataFrame) -> DatasetMeta:
    types = {
        c: ("Num" if pd.api.types.is_numeric_dtype(frame[c]) else "Char") for c in frame.columns
    }
    lengths = {c: 8 if types[c] == "Num" else _longest(frame[c]) for c in frame.columns}
    return DatasetMeta(name, None, "", {c: "" for c in frame}, types, lengths)
