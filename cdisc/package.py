"""Find and open the datasets of a submission package folder (ours or anyone's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyreadstat

from cdisc.errors import InputError, UsageError

DATASET_SUFFIXES = (".xpt", ".json")


def dataset_files(path: Path) -> list[Path]:
    """Every ``.xpt`` and Dataset-JSON ``.json`` file under ``path``, sorted.

    File name case is ignored (SAS writes ``DM.XPT``), since third-party packages vary.
    """
    if not path.exists():
        raise UsageError(f"'{path}' does not exist", hint="give a package folder or a dataset file")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    found = [p for p in files if p.suffix.lower() in DATASET_SUFFIXES]
    if not found:
        raise UsageError(
            f"no .xpt or Dataset-JSON files in '{path}'",
            hint="point at the folder that holds the datasets",
        )
    return found


def inventory(path: Path) -> list[dict[str, Any]]:
    """One row per dataset file: its path (relative to ``path``), records and variables.

    A ``.json`` file that is not Dataset-JSON (a manifest, a build report) is listed with
    ``records`` None: not a dataset, skipped rather than refused.
    """
    root = path if path.is_dir() else path.parent
    return [_describe(file, root) for file in dataset_files(path)]


def _describe(file: Path, root: Path) -> dict[str, Any]:
    shown = str(file.relative_to(root))
    if file.suffix.lower() == ".xpt":
        try:
            # XPORT headers do not store the record count, so the data is read.
            frame, meta = pyreadstat.read_xport(str(file))
        except Exception as exc:  # pyreadstat raises its own types for every unreadable file
            raise InputError(
                f"not a readable SAS XPORT file ({exc})",
                path=file,
                hint="check the file is a SAS transport (v5) dataset",
            ) from None
        return {
            "file": shown,
            "records": len(frame),
            "variables": len(meta.column_names),
        }
    try:
        with file.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        location = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(
            f"not a readable Dataset-JSON file ({exc})", path=file, location=location
        ) from None
    if not isinstance(data, dict) or "columns" not in data:
        return {"file": shown, "records": None, "variables": None}
    return {"file": shown, "records": len(data.get("rows", [])), "variables": len(data["columns"])}
