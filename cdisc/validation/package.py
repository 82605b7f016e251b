"""A package to validate, from any folder: ours, or one SAS or R wrote.

Datasets are read from SAS XPORT (pyreadstat; text that is not UTF-8 is read as
windows-1252, and that is noted) and Dataset-JSON 1.1; file names in any case (``DM.XPT``).
Char values are ``str`` with blanks as None, Num values floats (SAS dates stay day numbers).
A ``define.xml`` beside the datasets is read with :mod:`define.reader` (2.0 or 2.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat

from cdisc.errors import InputError, UsageError


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
    datasets: dict[str, pd.DataFrame]
    meta: dict[str, DatasetMeta]
    define: object | None = None  # cdisc.metadata.DefineDocument
    notes: list[str] = field(default_factory=list)
    related: Package | None = None  # the SDTM package of an ADaM one, for cross-checks

    @property
    def standard(self) -> str:
        names = list(self.datasets)
        return "ADaM" if names and all(n.startswith("AD") for n in names) else "SDTM"


def load_package(folder: Path, *, sdtm: Path | None = None) -> Package:
    """Every XPT and Dataset-JSON dataset directly in ``folder`` (and its define.xml).

    ``sdtm`` is the SDTM package an ADaM package derives from; in the submission layout
    (``.../analysis/adam/datasets``) it is found beside it (``.../tabulations/sdtm``).
    """
    folder = Path(folder)
    if sdtm is None and folder.parts[-3:] == ("analysis", "adam", "datasets"):
        beside = folder.parents[2] / "tabulations" / "sdtm"
        sdtm = beside if beside.is_dir() else None
    if not folder.is_dir():
        raise UsageError(f"'{folder}' is not a folder", hint="give the folder of a package")
    datasets, meta, notes = {}, {}, []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        suffix = path.suffix.lower()
        if suffix == ".xpt":
            frame, info, note = _read_xpt(path)
        elif suffix == ".json":
            read = _read_json(path)
            if read is None:
                notes.append(f"{path.name}: JSON that is not Dataset-JSON, skipped")
                continue
            frame, info, note = read
        else:
            continue
        if info.name in datasets:
            notes.append(f"{path.name}: {info.name} also read from {meta[info.name].file.name}")
            continue
        datasets[info.name], meta[info.name] = frame, info
        if note:
            notes.append(note)
    define = None
    found = next((p for p in sorted(folder.iterdir()) if p.name.lower() == "define.xml"), None)
    if found is not None:
        from define.reader import read_define

        define = read_define(found)
    related = load_package(sdtm) if sdtm is not None else None
    return Package(folder, datasets, meta, define, notes, related)


def package_from_frames(
    datasets: dict[str, pd.DataFrame], meta: dict[str, DatasetMeta] | None = None
) -> Package:
    """A package of in-memory frames (tests, and the build validating what it wrote)."""
    meta = dict(meta or {})
    for name, frame in datasets.items():
        if name not in meta:
            meta[name] = _meta_of(name, frame)
    return Package(None, {n: _normalised(f) for n, f in datasets.items()}, meta)


def _read_xpt(path: Path) -> tuple[pd.DataFrame, DatasetMeta, str]:
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
        note = f"{path.name}: text is not UTF-8; read as windows-1252"
    name = (info.table_name or path.stem).upper()
    types = {c: ("Num" if info.readstat_variable_types[c] == "double" else "Char") for c in frame}
    meta = DatasetMeta(
        name=name,
        file=path,
        label=info.file_label or "",
        labels={c: (info.column_names_to_labels.get(c) or "") for c in frame},
        types=types,
        lengths={c: int(info.variable_storage_width.get(c) or 8) for c in frame},
        formats={c: f for c, f in (info.original_variable_types or {}).items() if f},
        encoding=encoding,
    )
    return _normalised(frame), meta, note


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
