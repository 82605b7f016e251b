"""What every export writer shares: chunks are *rendered* to text without touching files (so
worker processes can render them), then *appended* to the open files in chunk order.

Lineage returned by :meth:`ExportWriter.render` is either the final record id (ODM paths) or,
for CSV files, the 1-based row number within the chunk; :meth:`ExportWriter.append` returns how
many data rows each file held before the chunk, which the ground truth adds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from cdisc.synth.design import Design, Form
from cdisc.synth.subjects import Cohort


@dataclass
class Rendered:
    """One chunk as text: ``texts`` per file name, data ``rows`` added per file, and
    ``lineage`` per form OID (Series indexed by the record's ``_rid``)."""

    texts: dict[str, str]
    rows: dict[str, int]
    lineage: dict[str, pd.Series] = field(default_factory=dict)


class ExportWriter(ABC):
    """Base class of the ODM, REDCap and Rave writers."""

    kind = ""
    #: Defect kinds this format cannot show (left out of its ground truth).
    omits: frozenset[str] = frozenset()

    def __init__(self, design: Design, seed: int, clean: bool) -> None:
        self.design = design
        self.seed = seed
        self.clean = clean
        self.folder: Path | None = None
        self.handles: dict[str, IO[str]] = {}
        self.written: dict[str, int] = {}

    # -- files (main process only) -------------------------------------------------------------
    def open(self, folder: Path) -> None:
        """Create the export files in ``folder`` and write everything before the data."""
        self.folder = folder

    def start_file(self, name: str, head: str, *, bom: bool = False) -> None:
        """Open ``name`` for writing and write its header text (and a BOM when asked)."""
        assert self.folder is not None
        fh = open(self.folder / name, "w", encoding="utf-8", newline="")  # noqa: SIM115
        if bom:
            fh.write("\ufeff")
        fh.write(head)
        self.handles[name] = fh
        self.written[name] = 0

    def append(self, chunk: Rendered) -> dict[str, int]:
        """Append a rendered chunk; return the data rows each file held before it."""
        before = dict(self.written)
        for name, text in chunk.texts.items():
            self.handles[name].write(text)
            self.written[name] += chunk.rows.get(name, 0)
        return before

    def close_files(self, tails: dict[str, str] | None = None) -> list[Path]:
        """Write trailing text, close every file, return their paths (sorted)."""
        assert self.folder is not None
        for name, fh in self.handles.items():
            fh.write((tails or {}).get(name, ""))
            fh.close()
        return sorted(self.folder / name for name in self.handles)

    # -- rendering and naming (any process) -----------------------------------------------------
    @abstractmethod
    def render(self, coh: Cohort, forms: dict[str, pd.DataFrame]) -> Rendered:
        """Text and lineage of one chunk (pure: touches no file)."""

    @abstractmethod
    def finish(self) -> tuple[list[Path], list[dict]]:
        """Close the files; return every file written and the file-level defects."""

    @abstractmethod
    def field_name(self, form: Form, name: str) -> str:
        """The raw column / ItemOID that holds field ``name`` of ``form``."""

    @abstractmethod
    def file_of(self, form: Form) -> str:
        """The file (relative to the export folder) that holds ``form``'s records."""

    def event_value(self, subjects: pd.DataFrame, sid: np.ndarray, ev: np.ndarray) -> np.ndarray:
        """How the export names event OIDs ``ev`` of subjects ``sid`` (default: the OID)."""
        return np.asarray(ev, dtype=object)

    def site_value(self, site_no: np.ndarray) -> np.ndarray:
        """How the export writes site numbers ``site_no`` (default: as they are)."""
        return np.asarray(site_no, dtype=object)


def file_defect(kind: str, name: str, detail: str, form: str = "") -> dict:
    """A ground-truth row for a defect of a whole file (BOM, CRLF)."""
    return {
        "kind": kind,
        "subject": "",
        "form": form,
        "field": "",
        "record": "",
        "value": "",
        "clean": "",
        "detail": detail,
        "file": name,
    }
