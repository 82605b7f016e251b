"""``cdisc build``: read a study's raw export, account for what it holds, build SDTM and ADaM.

Stages: read the raw export (forms, subjects, records per form, written as
``raw_summary.json``), then, when the study has ``sdtm/*.yaml`` specs, check them against
the export's declared forms and fields, map and derive every domain (:mod:`sdtm.engine`),
and write each as XPT under ``OUT/<study>/m5/datasets/<studyid>/tabulations/sdtm/``, with
``build_report.json`` and a lineage sidecar per domain (:mod:`sdtm.sdtmbuild`). A study with
``adam/*.yaml`` specs then gets ADSL, ADTTE and its efficacy dataset under
``OUT/<study>/m5/datasets/<studyid>/analysis/adam/datasets/`` (:mod:`adam.adambuild`). Each
package gets its define.xml and define.html, and is validated; Dataset-JSON
(``dataset_json``) is then written beside each XPT from the same frames. ``manifest.json``
(:mod:`cdisc.manifest`) comes last.

:func:`build_study` writes all of it into a temporary folder beside ``OUT/<study>`` and moves
it into place only when it is complete and has no error (:mod:`cdisc.writers.staging`): a
build that fails or is stopped never leaves a partial package under the study's name. Paths
in the reports are relative to the package root; the console names the final location.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdisc.errors import UsageError
from cdisc.manifest import InputGroup, write_manifest
from cdisc.readers import read_export
from cdisc.readers.base import RawExport
from cdisc.study import Study, load_study, raw_export_path
from cdisc.writers.jsontext import write_indented
from cdisc.writers.staging import stage

#: The JSON reports a build writes in the package root.
REPORTS = ("raw_summary.json", "build_report.json")


@dataclass
class RawSummary:
    """What the raw export of a study holds, and where the summary was written."""

    study: Study
    raw_path: Path
    export: RawExport
    table: pd.DataFrame
    report_path: Path
    #: Subjects in the export, counted when it is read (the count outlives the raw frames).
    subjects: int

    def render(self) -> str:
        """A readable console summary."""
        table = self.table
        width = max([len("form"), *(len(f) for f in table["form"])])
        lines = [
            f"study {self.study.studyid} ({self.study.name}): {self.export.kind} export {self.raw_path}",
            f"{len(table)} forms, {self.subjects:,} subjects, "
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

    def release_forms(self) -> None:
        """Let the raw frames go once nothing reads them again (the SDTM stage has mapped
        every domain): at 10,000 subjects they hold 600 MB through the writing, ADaM and
        validation. The
        export's kind, fields, events and notes stay, and so do ``table`` and ``subjects``."""
        self.export = dataclasses.replace(self.export, forms={})

    @property
    def root(self) -> Path:
        """The package folder the summary was written into."""
        return self.report_path.parent

    def moved(self, root: Path) -> RawSummary:
        """This summary as it reads once its package folder is ``root``."""
        return dataclasses.replace(self, report_path=root / self.report_path.name)


def build_raw_summary(
    study: str | None,
    *,
    raw: Path | None = None,
    out: Path = Path("out"),
    progress: Callable[[str, int, int], None] | None = None,
) -> RawSummary:
    """Read the study's raw export (or ``raw``) and write ``OUT/<study>/raw_summary.json``.

    The first stage alone, written straight into ``OUT/<study>`` (tests and tools build a
    stage at a time this way); :func:`build_study` writes it into its temporary folder.
    """
    loaded = load_study(study)
    raw_path = raw_export_path(loaded, raw)
    target = out / loaded.name
    _check_output(target)
    return raw_summary(loaded, raw_path, target, progress)


def raw_summary(
    study: Study,
    raw_path: Path,
    folder: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> RawSummary:
    """Read ``raw_path`` with the study's reader and write ``folder/raw_summary.json``.

    The summary names the export relative to the study folder when it is inside it (the
    bundled exports), else as given, so it does not depend on where the toolkit is installed.
    """
    if progress:
        progress("read raw export", 0, 1)
    export = read_export(raw_path, kind=study.source.format, **study.source.options)
    if progress:
        progress("read raw export", 1, 1)
    table, subjects = export.summary(), export.subjects
    _make_output(folder)
    report_path = folder / "raw_summary.json"
    report = {
        "study": study.studyid,
        "source": {"format": export.kind, "path": _shown_source(study, raw_path)},
        "subjects": subjects,
        "forms": table.to_dict(orient="records"),
        "notes": export.notes,
    }
    try:
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write '{report_path}': {exc.strerror}", hint="choose a writable --out folder"
        ) from None
    return RawSummary(study, raw_path, export, table, report_path, subjects)


def _shown_source(study: Study, raw_path: Path) -> str:
    try:
        return raw_path.resolve().relative_to(study.folder.resolve()).as_posix()
    except ValueError:
        return str(raw_path)


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
    datasets: pd.DataFrame  # dataset, records, path (relative to the package root)
    accounting: pd.DataFrame  # form, raw records, used per domain, not used + reasons
    issues: pd.DataFrame
    report_path: Path
    readback: list[str]
    #: Each SDTM dataset as written; emptied before validation unless Dataset-JSON is
    #: written from it afterwards (the frames are not kept beside the package read back).
    frames: dict[str, pd.DataFrame]
    defs: dict
    #: ``build_report.json``'s content: each stage adds its part, and it is written once.
    report: dict
    adam: pd.DataFrame | None = None  # dataset, records, path of each ADaM dataset written
    defines: list[Path] = field(default_factory=list)  # define.xml and define.html written
    #: The time stamped into the package and where it came from (``manifest.json``).
    timestamps: dict[str, str | None] = field(default_factory=dict)
    #: Where the previous package was left when this build failed (None when it succeeded).
    kept: Path | None = None
    #: The severity that fails the build: ``error`` (default) or ``warning`` (strict: any
    #: warning nobody explained or waived fails it too, e.g. at database lock).
    fail_on: str = "error"

    @property
    def errors(self) -> int:
        """Problems of severity ``error``: the build fails (exit 1) when there is one."""
        return int((self.issues["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        """Problems of severity ``warning``: reported, the build still succeeds."""
        return int((self.issues["severity"] == "warning").sum())

    @property
    def failing(self) -> pd.DataFrame:
        """The problems that fail this build: its errors, and with ``fail_on="warning"``
        also every warning that carries no explanation."""
        severity = self.issues["severity"]
        failing = severity.eq("error")
        if self.fail_on == "warning":
            failing |= severity.eq("warning") & ~self._explained()
        return self.issues[failing]

    def moved(self, root: Path, *, kept: Path | None = None) -> SdtmBuild:
        """This build as it reads once its package folder is ``root``; ``kept`` is the
        package a failed build left in place."""
        old = self.raw.root
        return dataclasses.replace(
            self,
            raw=self.raw.moved(root),
            report_path=root / self.report_path.relative_to(old),
            defines=[root / p.relative_to(old) for p in self.defines],
            kept=kept,
        )

    def _explained(self) -> pd.Series:
        """True for each problem that carries an explanation (conformance findings that
        study.yaml or the define's sponsor extensions explain)."""
        if "explanation" not in self.issues:
            return pd.Series(False, index=self.issues.index)
        return self.issues["explanation"].fillna("").astype(str).ne("")

    def render(self) -> str:
        """The raw summary followed by the SDTM part."""
        root = self.raw.root
        lines = [self.raw.render(), "SDTM datasets:"]
        lines += [
            f"  {r.dataset:<8} {r.records:>7,} records  {root / r.path}"
            for r in self.datasets.itertuples(index=False)
        ]
        if self.adam is not None:
            lines.append("ADaM datasets:")
            lines += [
                f"  {r.dataset:<8} {r.records:>7,} records  {root / r.path}"
                for r in self.adam.itertuples(index=False)
            ]
        lines.append("raw records by form (used by a domain / not used):")
        for r in self.accounting.itertuples(index=False):
            lines.append(
                f"  {r.form:<10} {r.records:>7,} read  {r.used:>7,} used  {r.not_used:>7,} not used"
            )
        if len(self.issues):
            explained = self._explained()
            said = f"{int(explained.sum()):,} of them explained in study.yaml or define.xml; "
            lines.append(
                f"{self.errors:,} errors, {self.warnings:,} warnings "
                f"({said if explained.any() else ''}details in {self.report_path.name}):"
            )
            keys = [self.issues["severity"], self.issues["domain"], self.issues["code"]]
            counts = explained.groupby(keys).agg(["size", "sum"])
            lines += [
                f"  {s:<7} {d} {c}: {n:,}" + (f" ({k:,} explained)" if k else "")
                for (s, d, c), n, k in zip(counts.index, counts["size"], counts["sum"], strict=True)
            ]
        else:
            lines.append("no mapping problems")
        lines += [f"define: {path}" for path in self.defines]
        lines += [f"read-back: {m}" for m in self.readback]
        lines.append(f"build report written to {self.report_path}")
        if self.kept is not None:
            before = (
                f"{self.kept} still holds the previous package"
                if self.kept.exists()
                else f"nothing was written to {self.kept}"
            )
            what = (
                "problems at or above --fail-on warning" if self.fail_on == "warning" else "errors"
            )
            lines.append(
                f"build FAILED ({len(self.failing):,} {what}): {before}; "
                f"this build's files are in {root} for inspection"
            )
        elif self.failing.empty:
            lines.append(f"package written to {root}")
        return "\n".join(lines)


def build_study(
    study: str | None,
    *,
    raw: Path | None = None,
    out: Path = Path("out"),
    dataset_json: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    fail_on: str = "error",
) -> RawSummary | SdtmBuild:
    """Build the study's package in ``OUT/<study>``, atomically.

    Reads the raw export and, when the study has SDTM specs, builds every mapped domain and
    dataset. Returns the :class:`RawSummary` alone for a study without ``sdtm/*.yaml``.

    Every mapping problem has a severity (``SdtmBuild.issues["severity"]``). Errors fail
    the build (the CLI exits 1): a value that does not read back equal from the XPT
    (XPTRB01-08), a character with no ASCII form (ASCII02), a Required variable left empty
    (``required-empty``), a dataset the XPT writer refuses (``not-writable``), a validation
    error no waiver covers. Everything else (unparseable or partial dates, values outside a
    codelist, unit problems, duplicate records, transliterated characters, ...) is a
    warning: counted on the console, listed with file/form/record in ``build_report.json``,
    and the build succeeds (exit 0). With ``fail_on="warning"`` a warning that neither
    study.yaml nor the define explains fails the build like an error.

    The package is written into a temporary folder beside ``OUT/<study>`` and moved there
    only when it is complete and has no error. A build with errors leaves the previous
    package in place and its own files in ``OUT/<study>.failed``; an exception or Ctrl-C
    leaves the previous package and nothing else (:mod:`cdisc.writers.staging`).
    """
    loaded = load_study(study)
    raw_path = raw_export_path(loaded, raw)
    final = out / loaded.name
    _check_output(final)
    with stage(final) as staging:
        result = _build(loaded, raw_path, staging.folder, dataset_json, progress)
        if isinstance(result, SdtmBuild):
            result.fail_on = fail_on
        _paths_relative_to(staging.folder)
        write_manifest(staging.folder, _inputs(loaded, raw_path), _timestamps(loaded, result))
        if isinstance(result, SdtmBuild) and not result.failing.empty:
            return result.moved(staging.reject(), kept=final)
        return result.moved(staging.publish())


def _build(
    study: Study,
    raw_path: Path,
    target: Path,
    dataset_json: bool,
    progress: Callable[[str, int, int], None] | None,
) -> RawSummary | SdtmBuild:
    """Every stage of the build, written into ``target``."""
    from adam.adambuild import add_adam_report, run_adam
    from adam.describe import analysis_define
    from adam.specs import load_adam_specs, sdtm_datasets
    from cdisc.standards import Standards
    from sdtm.describe import tabulation_define
    from sdtm.sdtmbuild import build_time, write_sdtm
    from sdtm.specs import declared_fields, load_study_specs, spec_files

    summary = raw_summary(study, raw_path, target, progress)
    if not spec_files(summary.study):
        return summary
    standards = Standards.load()
    specs = load_study_specs(summary.study, standards, declared_fields(summary.export))
    adam_specs = load_adam_specs(summary.study, standards, sdtm_datasets(specs))
    # Dataset-JSON is written after validation (below): the package reader takes one file
    # per dataset, the first by name (ae.json before ae.xpt), and the build validates the
    # XPT files its define.xml describes. Both are written from the same frames.
    # The raw frames are let go once the domains are mapped (write_sdtm: release_forms).
    sdtm = write_sdtm(summary, specs, standards, target, False, progress)
    created = build_time(specs.design.output_date)
    study_info = {
        "studyid": summary.study.studyid,
        "title": summary.study.title,
        "created": created.isoformat(timespec="seconds"),
    }
    folder = target / "m5" / "datasets" / summary.study.studyid.lower()
    folders = {"SDTM": folder / "tabulations" / "sdtm"}
    tabulation = tabulation_define(specs, standards, sdtm.frames, sdtm.defs, **study_info)
    defines = _write_define(tabulation, folders["SDTM"])
    adam = None
    if adam_specs is not None:
        adam = run_adam(
            sdtm.frames,
            adam_specs,
            standards,
            target,
            summary.study.studyid,
            created,
            False,
            progress,
        )
    # The SDTM files' read-back is gathered only now: the worker read them back while the
    # define and ADaM were made (issue 7: the build no longer waits for it after SDTM).
    build = SdtmBuild(summary, *sdtm.finish(write_report=False))
    del sdtm  # its read-backs hold the frames: they must go with build.frames (below)
    build.timestamps = {
        "created": created.isoformat(timespec="seconds"),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        "output_date": specs.design.output_date.isoformat(timespec="seconds"),
    }
    build.defines = defines
    if adam is not None:
        folders["ADAM"] = folder / "analysis" / "adam" / "datasets"
        analysis = analysis_define(adam_specs, standards, adam.frames, adam.defs, **study_info)
        build.defines += _write_define(analysis, folders["ADAM"])
        build.adam = pd.DataFrame(adam.datasets, columns=["dataset", "records", "path"])
        build.issues = add_adam_report(build.report, build.issues, adam)
        build.readback += adam.readback
    written = {"SDTM": (build.frames, build.defs)}
    if adam is not None:
        written["ADAM"] = (adam.frames, adam.defs)
    if not dataset_json:
        # Validation reads the package back from its files: the frames it was written from
        # are let go first, so the two are never in memory together (issue 7: memory).
        build.frames, written, adam = {}, {}, None
    build = _validated(build, list(folders.values()))
    write_indented(build.report_path, build.report)
    if written:
        _write_dataset_json(written, folders, summary.study.studyid, created)
    return build


def _write_dataset_json(
    written: dict[str, tuple[dict, dict]], folders: dict[str, Path], studyid: str, created
) -> None:
    """Dataset-JSON beside each XPT, from the frames and definitions the XPT was written from."""
    from cdisc.writers import write_dataset_json

    for standard, (frames, defs) in written.items():
        for name in sorted(frames):
            write_dataset_json(
                frames[name],
                defs[name],
                folders[standard],
                created=created,
                study_oid=studyid,
                metadata_version_oid=f"MDV.{standard}",
            )


def _paths_relative_to(root: Path) -> None:
    """Make every path under ``root`` that a JSON report names relative to ``root``.

    The stages name their own files relative to the package root already (the validation
    its package folders too); this is the safety net for any full path a stage still
    records, so no report names the temporary folder, which is gone once the package is
    moved into place. A report that names none is read, not rewritten.
    """
    # Report text is JSON with ASCII escapes; the folder is matched as JSON spells it.
    spelled = json.dumps(str(root))[1:-1]
    for name in REPORTS:
        path = root / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if spelled in text:
            text = text.replace(spelled + json.dumps(os.sep)[1:-1], "")
            path.write_text(text.replace(f'"{spelled}"', '"."'), encoding="utf-8")


def _inputs(study: Study, raw_path: Path) -> list[InputGroup]:
    """The files a build reads: the raw export, the study's specs, the standards metadata."""
    from adam.specs import adam_spec_files
    from sdtm.specs import spec_files
    from specs import ROOT as STANDARDS

    if raw_path.is_dir():
        raw = InputGroup(
            "raw", raw_path, tuple(sorted(p for p in raw_path.iterdir() if p.is_file()))
        )
    else:
        raw = InputGroup("raw", raw_path.parent, (raw_path,))
    specs = (study.folder / "study.yaml", *spec_files(study), *adam_spec_files(study))
    standards = sorted(
        p for p in STANDARDS.rglob("*") if p.is_file() and p.suffix in (".csv", ".json")
    )
    return [
        raw,
        InputGroup("study", study.folder, specs),
        InputGroup("standards", STANDARDS, tuple(standards)),
    ]


def _timestamps(study: Study, result: RawSummary | SdtmBuild) -> dict[str, str | None]:
    """``manifest.json``'s timestamps: what was stamped (nothing, for a raw summary alone)
    and the two places it comes from."""
    if isinstance(result, SdtmBuild):
        return result.timestamps
    declared = study.document.data.get("output_date")
    return {
        "created": None,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        "output_date": None if declared is None else str(declared),
    }


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
    found, part = validate_written(folders, statements, build.raw.root)
    build.issues = add_validation_report(build.report, build.issues, found, part)
    return build


def _write_define(document, folder: Path) -> list[Path]:
    """define.xml and define.html of ``document`` beside its datasets."""
    from define.html import write_define_html
    from define.xml import write_define

    return [write_define(document, folder), write_define_html(document, folder)]
