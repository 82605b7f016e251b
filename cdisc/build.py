"""``cdisc build``: read a study's raw export and account for what it holds.

This is the build's first stage. The SDTM, ADaM and define stages come after it; until
they exist the build reports forms, subjects and records per form, and writes that
summary as JSON into the output folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdisc.errors import UsageError
from cdisc.readers import read_export
from cdisc.readers.base import RawExport
from cdisc.study import Study, load_study


@dataclass
class RawSummary:
    """What the raw export of a study holds, and where the summary was written."""

    study: Study
    raw_path: Path
    export: RawExport
    table: pd.DataFrame
    report_path: Path

    def render(self) -> str:
        """A readable console summary."""
        table = self.table
        width = max([len("form"), *(len(f) for f in table["form"])])
        lines = [
            f"study {self.study.studyid} ({self.study.name}): {self.export.kind} export {self.raw_path}",
            f"{len(table)} forms, {self.export.subjects:,} subjects, "
            f"{int(table['records'].sum()):,} records",
            f"  {'form':<{width}}  {'records':>9}  {'subjects':>8}",
        ]
        lines += [
            f"  {row.form:<{width}}  {row.records:>9,}  {row.subjects:>8,}"
            for row in table.itertuples(index=False)
        ]
        lines += [f"note: {note}" for note in self.export.notes]
        lines.append(f"summary written to {self.report_path}")
        return "\n".join(lines)


def build_raw_summary(
    study: str | None,
    *,
    raw: Path | None = None,
    out: Path = Path("out"),
    progress: Callable[[str, int, int], None] | None = None,
) -> RawSummary:
    """Read the study's raw export (or ``raw``) and write ``OUT/<study>/raw_summary.json``."""
    loaded = load_study(study)
    raw_path = raw if raw is not None else loaded.source.path
    if raw is not None and not raw.exists():
        raise UsageError(f"raw export '{raw}' does not exist", hint="check the --raw path")
    target = out / loaded.name
    _check_output(target)
    if progress:
        progress("read raw export", 0, 1)
    export = read_export(raw_path, kind=loaded.source.format, **loaded.source.options)
    if progress:
        progress("read raw export", 1, 1)
    table = export.summary()
    _make_output(target)
    report_path = target / "raw_summary.json"
    report = {
        "study": loaded.studyid,
        "source": {"format": export.kind, "path": str(raw_path)},
        "subjects": export.subjects,
        "forms": table.to_dict(orient="records"),
        "notes": export.notes,
    }
    try:
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write '{report_path}': {exc.strerror}", hint="choose a writable --out folder"
        ) from None
    return RawSummary(loaded, raw_path, export, table, report_path)


def _check_output(target: Path) -> None:
    """Fail before any work if ``target`` cannot become a writable folder."""
    for parent in (target, *target.parents):
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(
                    f"output path '{parent}' is a file, not a folder",
                    hint="choose another --out folder",
                )
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UsageError(
                    f"output folder '{parent}' is not writable",
                    hint="choose a writable --out folder",
                )
            return


def _make_output(target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create output folder '{target}': {exc.strerror}",
            hint="choose a writable --out folder",
        ) from None
