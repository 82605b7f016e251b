"""``cdisc build``: read a study's raw export, account for what it holds, build SDTM and ADaM.

Stages: read the raw export (forms, subjects, records per form, written as
``raw_summary.json``), then, when the study has ``sdtm/*.yaml`` specs, check them against
the export's declared forms and fields, map and derive every domain (:mod:`sdtm.engine`),
and write each as XPT (and Dataset-JSON with ``dataset_json``) under
``OUT/<study>/m5/datasets/<studyid>/tabulations/sdtm/``, with ``build_report.json`` and a
lineage sidecar per domain (:mod:`sdtm.sdtmbuild`). A study with ``adam/*.yaml`` specs
then gets ADSL, ADTTE and its efficacy dataset under
``OUT/<study>/m5/datasets/<studyid>/analysis/adam/datasets/`` (:mod:`adam.adambuild`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisc.errors import UsageError
from cdisc.readers import read_export
from cdisc.readers.base import RawExport
from cdisc.study import Study, load_study, raw_export_path


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
    raw_path = raw_export_path(loaded, raw)
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


@dataclass
class SdtmBuild:
    """The result of a full build: the raw summary plus what the SDTM stage did."""

    raw: RawSummary
    datasets: pd.DataFrame  # dataset, records, path
    accounting: pd.DataFrame  # form, raw records, used per domain, not used + reasons
    issues: pd.DataFrame
    report_path: Path
    readback: list[str]
    frames: dict[str, pd.DataFrame]
    defs: dict
    adam: pd.DataFrame | None = None  # dataset, records, path of each ADaM dataset written
    defines: list[Path] = field(default_factory=list)  # define.xml and define.html written

    @property
    def errors(self) -> int:
        """Problems of severity ``error``: the build fails (exit 1) when there is one."""
        return int((self.issues["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        """Problems of severity ``warning``: reported, the build still succeeds."""
        return int((self.issues["severity"] == "warning").sum())

    def render(self) -> str:
        """The raw summary followed by the SDTM part."""
        lines = [self.raw.render(), "SDTM datasets:"]
        lines += [
            f"  {r.dataset:<8} {r.records:>7,} records  {r.path}"
            for r in self.datasets.itertuples(index=False)
        ]
        if self.adam is not None:
            lines.append("ADaM datasets:")
            lines += [
                f"  {r.dataset:<8} {r.records:>7,} records  {r.path}"
                for r in self.adam.itertuples(index=False)
            ]
        lines.append("raw records by form (used by a domain / not used):")
        for r in self.accounting.itertuples(index=False):
            lines.append(
                f"  {r.form:<10} {r.records:>7,} read  {r.used:>7,} used  {r.not_used:>7,} not used"
            )
        if len(self.issues):
            lines.append(
                f"{self.errors:,} errors, {self.warnings:,} warnings "
                f"(details in {self.report_path.name}):"
            )
            counts = self.issues.groupby(["severity", "domain", "code"]).size()
            lines += [f"  {s:<7} {d} {c}: {n:,}" for (s, d, c), n in counts.items()]
        else:
            lines.append("no mapping problems")
        lines += [f"define: {path}" for path in self.defines]
        lines += [f"read-back: {m}" for m in self.readback]
        lines.append(f"build report written to {self.report_path}")
        return "\n".join(lines)


def build_study(
    study: str | None,
    *,
    raw: Path | None = None,
    out: Path = Path("out"),
    dataset_json: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> RawSummary | SdtmBuild:
    """Read the raw export and, when the study has SDTM specs, build every mapped domain.

    Returns the :class:`RawSummary` alone for a study without ``sdtm/*.yaml``.

    Every mapping problem has a severity (``SdtmBuild.issues["severity"]``). Errors fail
    the build (the CLI exits 1): a value that does not read back equal from the XPT
    (XPTRB01-08), a character with no ASCII form (ASCII02), a Required variable left empty
    (``required-empty``), a dataset the XPT writer refuses (``not-writable``). Everything
    else (unparseable or partial dates, values outside a codelist, unit problems, duplicate
    records, transliterated characters, ...) is a warning: counted on the console, listed
    with file/form/record in ``build_report.json``, and the build succeeds (exit 0).
    Datasets are written in both cases.
    """
    from adam.adambuild import add_adam_report, run_adam
    from adam.describe import analysis_define
    from adam.specs import load_adam_specs, sdtm_datasets
    from cdisc.standards import Standards
    from sdtm.describe import tabulation_define
    from sdtm.sdtmbuild import build_time, run_sdtm
    from sdtm.specs import declared_fields, load_study_specs, spec_files

    summary = build_raw_summary(study, raw=raw, out=out, progress=progress)
    if not spec_files(summary.study):
        return summary
    standards = Standards.load()
    specs = load_study_specs(summary.study, standards, declared_fields(summary.export))
    adam_specs = load_adam_specs(summary.study, standards, sdtm_datasets(specs))
    target = out / summary.study.name
    build = SdtmBuild(summary, *run_sdtm(summary, specs, standards, target, dataset_json, progress))
    created = build_time(specs.design.output_date)
    study_info = {
        "studyid": summary.study.studyid,
        "title": summary.study.title,
        "created": created.isoformat(timespec="seconds"),
    }
    folder = target / "m5" / "datasets" / summary.study.studyid.lower()
    tabulation = tabulation_define(specs, standards, build.frames, build.defs, **study_info)
    build.defines = [*_write_define(tabulation, folder / "tabulations" / "sdtm")]
    if adam_specs is None:
        return _validated(build, [folder / "tabulations" / "sdtm"])
    adam = run_adam(
        build.frames,
        adam_specs,
        standards,
        target,
        summary.study.studyid,
        created,
        dataset_json,
        progress,
    )
    analysis = analysis_define(adam_specs, standards, adam.frames, adam.defs, **study_info)
    build.defines += _write_define(analysis, folder / "analysis" / "adam" / "datasets")
    build.adam = pd.DataFrame(adam.datasets, columns=["dataset", "records", "path"])
    build.issues = add_adam_report(build.report_path, build.issues, adam)
    build.readback += adam.readback
    return _validated(
        build, [folder / "tabulations" / "sdtm", folder / "analysis" / "adam" / "datasets"]
    )


def _validated(build: SdtmBuild, folders: list[Path]) -> SdtmBuild:
    """``build`` with the conformance findings of the packages it wrote: an error fails the
    build unless a waiver in study.yaml covers it (then it is listed as waived); an
    explanation in study.yaml is attached to the findings it covers."""
    from cdisc.errors import SpecError
    from cdisc.validation.buildcheck import add_validation_report, validate_written
    from cdisc.validation.waivers import check_statements

    statements, problems = check_statements(build.raw.study.document)
    if problems:
        raise SpecError("\n".join(str(p) for p in problems))
    found, part = validate_written(folders, statements)
    build.issues = add_validation_report(build.report_path, build.issues, found, part)
    return build


def _write_define(document, folder: Path) -> list[Path]:
    """define.xml and define.html of ``document`` beside its datasets."""
    from define.html import write_define_html
    from define.xml import write_define

    return [write_define(document, folder), write_define_html(document, folder)]
