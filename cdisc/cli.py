"""The ``cdisc`` command: a thin shell over the library.

The library raises typed errors (``cdisc.errors``); this module alone turns them into
messages and exit codes: 0 success, 1 findings or bad data, 2 bad usage or bad spec.
A bad input never shows a traceback. Set ``CDISC_DEBUG=1`` to see one for a crash.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cdisc import __version__
from cdisc.errors import InputError, ToolkitError, UsageError
from cdisc.progress import Progress

#: Exit code for an unexpected internal error (a bug in the toolkit, not a bad input).
EXIT_INTERNAL = 3

#: Operating-system errors that mean the output cannot be written (disk full, file size
#: limit, read-only or forbidden folder): reported as an unusable output folder, exit 2.
_WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full; free some space or choose another --out folder",
    errno.EDQUOT: "the disk quota is used up; free some space or choose another --out folder",
    errno.EFBIG: "the file size limit was reached (ulimit -f); raise it or choose another --out",
    errno.EROFS: "the file system is read-only; choose another --out folder",
    errno.EACCES: "permission denied; check the permissions or choose another --out folder",
    errno.EPERM: "operation not permitted; check the permissions or choose another --out folder",
}


def _os_error(exc: OSError, folder: Path | None = None) -> UsageError | None:
    """The user-facing error for an OSError that means "cannot write here", else None.

    A failed ``write()`` names no file; the output ``folder`` is named instead.
    """
    hint = _WRITE_ERRORS.get(exc.errno or 0)
    if hint is None:
        return None
    if exc.filename is None and folder is not None:
        return UsageError(
            f"cannot write into the output folder: {exc.strerror or exc}", path=folder, hint=hint
        )
    return UsageError(f"cannot write: {exc.strerror or exc}", path=exc.filename, hint=hint)


@contextmanager
def _writing_into(folder: Path) -> Iterator[None]:
    """Report a write that fails for want of space or permission as an error naming ``folder``."""
    try:
        yield
    except OSError as exc:
        error = _os_error(exc, folder)
        if error is None:
            raise
        raise error from None


class _Shell(click.Group):
    """Click group that reports toolkit errors as one clean message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ToolkitError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except OSError as exc:
            error = _os_error(exc)
            if error is None:
                self._internal(ctx, exc)
            else:
                click.echo(f"error: {error}", err=True)
                ctx.exit(error.exit_code)
        except Exception as exc:
            self._internal(ctx, exc)

    @staticmethod
    def _internal(ctx: click.Context, exc: Exception) -> None:
        """Report a bug in the toolkit (exit 3); ``CDISC_DEBUG=1`` re-raises it instead."""
        if os.environ.get("CDISC_DEBUG"):
            raise exc
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the toolkit, not in your data. Please report it with the "
            "command you ran; set CDISC_DEBUG=1 to see the traceback.",
            err=True,
        )
        ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Shell, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cdisc")
def main() -> None:
    """Turn raw EDC exports into CDISC submission packages, and check packages.

    Exit codes: 0 ok, 1 findings or bad data, 2 bad usage or bad spec.
    """


@main.command()
@click.option(
    "--study",
    required=True,
    metavar="{sail,pmsc-cli}",
    help="Which trial to generate: sail (trial B) or pmsc-cli (trial A).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["odm", "redcap", "rave"]),
    default=None,
    help="Export format. Default: odm for sail, redcap for pmsc-cli.",
)
@click.option(
    "--subjects",
    type=int,
    default=None,
    help="Number of subjects. Default: the trial's real size (60 or 9).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--clean", is_flag=True, help="Inject no data defects.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the export into.",
)
def synth(
    study: str, fmt: str | None, subjects: int | None, seed: int, clean: bool, out: Path
) -> None:
    """Generate a realistic raw EDC export of a trial, with a ground-truth defect record."""
    from cdisc.synth import synthesize

    with _writing_into(out):
        result = synthesize(
            study, out, fmt=fmt, subjects=subjects, seed=seed, clean=clean, progress=Progress()
        )
    click.echo(
        f"wrote {len(result.files)} files to {out} "
        f"({result.subjects:,} subjects, {result.defects:,} injected defects)"
    )


@main.command()
@click.argument("study", required=False)
@click.option(
    "--raw",
    type=click.Path(path_type=Path),
    default=None,
    help="Raw export to read instead of the one study.yaml names.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder to write the package into.",
)
@click.option(
    "--dataset-json",
    is_flag=True,
    help="Also write Dataset-JSON 1.1 beside each XPT.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    default="error",
    show_default=True,
    help="Fail (exit 1, previous package kept) on errors, or also on any warning that "
    "study.yaml or the define does not explain.",
)
def build(study: str | None, raw: Path | None, out: Path, dataset_json: bool, fail_on: str) -> None:
    """Build a study's package. STUDY is a bundled study name or a mapping folder.

    With no STUDY it builds the bundled demo study (trial B, sail). Bundled studies:
    sail (trial B, ODM), pmsc-cli (trial A, REDCap) and sail-rave (trial B from a
    Rave-style export; none bundled, so give --raw DIR from
    `cdisc synth --study sail --format rave --out DIR`). It reads the raw
    export, reports forms, subjects and records per form, and, when the study has
    sdtm/*.yaml specs, writes every mapped SDTM domain as XPT with a build report and
    lineage.

    \b
    Every mapping problem is an error or a warning (counts on the console, details with
    file/form/record in build_report.json). Exit 1 only for errors: a value that does not
    read back from the XPT, a character with no ASCII form, a Required variable left
    empty, a value the XPT writer refuses. Warnings (dates, codelists, units, duplicates)
    keep exit 0, unless --fail-on warning (then an unexplained warning fails the build too).
    """
    from cdisc.build import SdtmBuild, build_study

    with _writing_into(out):
        report = build_study(
            study,
            raw=raw,
            out=out,
            dataset_json=dataset_json,
            progress=Progress(),
            fail_on=fail_on,
        )
    click.echo(report.render())
    if isinstance(report, SdtmBuild) and not report.failing.empty:
        click.echo(_build_errors(report.failing, report.report_path, report.raw.raw_path), err=True)
        sys.exit(1)


def _build_errors(failing: Any, report_path: Path, raw: Path, shown: int = 10) -> str:
    """The stderr message of a failed build: one located example of each kind of failing
    problem (errors first), at most ``shown`` of them.

    A raw file is named by its path (``raw`` is the export's file or folder; the report
    names files as the export does, relative to it).
    """
    ranked = failing.assign(_warning=failing["severity"].ne("error"))
    errors = ranked.sort_values("_warning", kind="stable")
    examples = errors.drop_duplicates("code").head(shown)

    def text(value: Any) -> str:
        return "" if value is None or value != value else str(value)  # NaN != NaN

    def file(name: str) -> str:
        if name and raw.is_dir() and (raw / name).is_file():
            return str(raw / name)
        return str(raw) if name and raw.name == name else name

    kinds = sorted(set(errors["severity"]))
    what = " or ".join(f"{k}(s)" for k in kinds)
    lines = [
        f"error: the build found {len(errors):,} {what}; the package is not fit to submit "
        "(one example of each kind):"
    ]
    for row in examples.to_dict("records"):
        record = text(row.get("record"))
        where = [
            file(text(row.get("file"))) or text(row.get("domain")),
            f"form {text(row.get('form'))}" if text(row.get("form")) else "",
            f"record {record}" if record else "",
            text(row.get("variable")),
        ]
        located = ", ".join(part for part in where if part)
        lines.append(f"  {located}: {text(row.get('code'))} {text(row.get('message'))}")
    if len(errors) > len(examples):
        lines.append(f"  ... and {len(errors) - len(examples):,} more")
    lines.append(
        f"(every problem, with its file, form and record, is in {report_path}; fix the data "
        "or the spec, or waive (or explain) a conformance finding you accept in study.yaml)"
    )
    return "\n".join(lines)


@main.command()
@click.argument("package", type=click.Path(path_type=Path))
def verify(package: Path) -> None:
    """Check a built package against its manifest.json (the SHA-256 of every file).

    PACKAGE is the folder cdisc build wrote, e.g. out/sail. Exit 0 when every file is the
    one the build wrote; 1 when a file was changed, removed or added (each is listed).
    """
    from cdisc.manifest import read_manifest, verify_manifest

    if not package.is_dir():
        raise UsageError(
            f"'{package}' does not exist or is not a folder",
            hint="give the package folder cdisc build wrote, e.g. out/sail",
        )
    problems = verify_manifest(package)
    if problems:
        click.echo("\n".join(problems))
        raise InputError(
            f"{len(problems)} file(s) differ from manifest.json",
            path=package,
            hint="rebuild the package, or find out who changed it",
        )
    click.echo(f"{package}: all {len(read_manifest(package)['files'])} files match manifest.json")


@main.command()
@click.argument("study", required=False)
@click.option(
    "--raw",
    type=click.Path(path_type=Path),
    default=None,
    help="Raw export whose declared forms and fields to check against, instead of the one "
    "study.yaml names.",
)
def check(study: str | None, raw: Path | None) -> None:
    """Check a study's spec files (study.yaml, sdtm/*.yaml, adam/*.yaml) without reading data.

    Forms and fields are checked against what the source declares: the ODM
    MetaDataVersion, the REDCap data dictionary (and the data CSV's header line), the
    header row or column metadata of each Rave-style file. No record is read, so a check
    takes well under a second whatever the size of the export. When the export is absent
    (and no --raw is given) forms and fields are reported as not checked.
    """
    from cdisc.study import load_study, raw_export_path

    # study.yaml first: its mistakes are reported before the engines below are imported.
    loaded = load_study(study)

    from adam.specs import load_adam_specs, sdtm_datasets
    from cdisc.readers import read_declared
    from cdisc.standards import Standards
    from cdisc.validation.waivers import check_statements
    from cdisc.yamlspec import SpecProblems
    from sdtm.specs import load_study_specs, spec_files

    files = spec_files(loaded)
    fields = None
    source = raw if raw is not None else loaded.source.path
    if files and (raw is not None or source.exists()):
        source = raw_export_path(loaded, raw)
        fields = read_declared(source, kind=loaded.source.format, **loaded.source.options)
    standards = Standards.load()
    specs = load_study_specs(loaded, standards, fields)
    adam = load_adam_specs(loaded, standards, sdtm_datasets(specs))
    adam_names = adam.names if adam is not None else []
    statements, problems = check_statements(loaded.document)
    if problems:
        raise SpecProblems(problems)
    checked = (
        ""
        if fields is not None or not files
        else "; forms and fields NOT checked (raw export missing)"
    )
    click.echo(
        f"{loaded.document.display}: ok (study {loaded.studyid}, "
        f"{loaded.source.format} source {source.name}, "
        f"{len(specs.domains)} domain specs: {', '.join(sorted(specs.domains)) or 'none'}; "
        f"ADaM: {', '.join(adam_names) or 'none'}; {len(statements.waivers)} waivers, "
        f"{len(statements.explanations)} explanations{checked})"
    )


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--xlsx",
    "xlsx",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the Excel report (Dataset Summary, Issue Summary, Issue Details, Rules) here.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the JSON report (findings, every rule's status, counts, notes) here.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or a worse one exists.",
)
@click.option(
    "--waivers",
    "waivers_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A YAML file with waivers: and explanations: (a study.yaml will do) to apply.",
)
def validate(
    path: Path, xlsx: Path | None, json_path: Path | None, fail_on: str, waivers_path: Path | None
) -> None:
    """Validate a package folder of XPT or Dataset-JSON files, with or without a define.xml.

    \b
    Runs every conformance rule on the datasets directly in PATH (PATH may also be one
    dataset file: then only that dataset is checked). File names in any case are read; text
    that is not UTF-8 is read as windows-1252 and noted. Each finding carries our rule ID,
    the Pinnacle 21 ID and the CDISC/FDA ID where one corresponds. A rule that cannot be
    checked (its dataset or variables are absent, it is for the other standard) is listed
    as NOT CHECKED, never counted as passed.

    \b
    When the folder holds a define.xml, its references, methods, descriptions, lengths and
    linked files are checked, and it is compared with the datasets beside it (DEF001...).
    Reports are written only when asked (--xlsx, --json). Exit 1 when any finding is at
    or above --fail-on (default: any error).

    \b
    --waivers applies a study's statements: a waived finding is reported as waived and
    fails nothing; an explained one keeps its severity and carries the explanation. A
    term the define.xml declares as a sponsor extension explains its own CT2002 finding.
    """
    from cdisc.errors import UsageError
    from cdisc.validation.engine import Result, run_rules
    from cdisc.validation.package import load_package
    from cdisc.validation.report import (
        console_summary,
        failing,
        with_define_findings,
        write_json,
        write_xlsx,
    )
    from cdisc.validation.waivers import Statements, load_statements, settle
    from define.reader import read_define
    from define.rules import check_define, format_findings

    if not path.exists():
        raise UsageError(f"'{path}' does not exist", hint="give a package folder or a dataset file")
    folder = path if path.is_dir() else path.parent
    # The package reader lists the files: it reads windows-1252 text, and each dataset is
    # read once however large the package.
    package = load_package(folder)
    loaded = {m.file: m.name for m in package.meta.values() if m.file is not None}
    files = [path] if path.is_file() else sorted(p for p in folder.iterdir() if p.is_file())
    files = [p for p in files if p.suffix.lower() in (".xpt", ".json")]
    keep = {loaded[p] for p in files if p in loaded}
    package.datasets = {n: f for n, f in package.datasets.items() if n in keep}
    package.meta = {n: m for n, m in package.meta.items() if n in keep}
    if not package.datasets:
        below = sorted(
            {
                str(p.parent.relative_to(folder))
                for p in folder.rglob("*")
                if p.suffix.lower() == ".xpt"
            }
        )
        raise UsageError(
            f"no .xpt or Dataset-JSON files directly in '{path}'",
            hint=f"give the folder that holds them{': ' + ', '.join(below[:5]) if below else ''}",
        )
    rows = [
        {
            "file": p.name,
            "records": len(package.datasets[loaded[p]]),
            "variables": len(package.datasets[loaded[p]].columns),
        }
        if p in loaded
        else {"file": p.name, "records": None, "variables": None}
        for p in files
        # A second file of the same dataset is not a skipped JSON; a note says which it is.
        if p in loaded
        or not any(n.startswith(f"{p.name}: ") and "also read" in n for n in package.notes)
    ]
    click.echo(_table(rows))
    define = next(
        (p for p in sorted(folder.iterdir()) if p.is_file() and p.name.lower() == "define.xml"),
        None,
    )
    define_findings = None
    if define is None:
        click.echo(
            "define.xml: not found — define checks NOT CHECKED "
            "(Pinnacle 21 DD0101: a submission needs one)"
        )
    else:
        described = package.define if package.define is not None else read_define(define)
        variables = sum(len(d.variables) for d in described.datasets)
        click.echo(
            f"define.xml: Define-XML {described.define_version}, {described.purpose or 'purpose not given'}, "
            f"{len(described.datasets)} datasets, {variables} variables, "
            f"{len(described.codelists)} codelists, {len(described.value_lists)} value lists"
        )
        define_findings = check_define(define, folder)
        click.echo(format_findings(define_findings))
    statements = load_statements(waivers_path) if waivers_path is not None else Statements()
    result = with_define_findings(run_rules(package), define_findings)
    result = Result(settle(result.findings, statements, package.define), result.status, package)
    click.echo(console_summary(result))
    for writer, target in ((write_xlsx, xlsx), (write_json, json_path)):
        if target is not None:
            click.echo(f"wrote {writer(result, target)}")
    if failing(result, fail_on):
        sys.exit(1)


def _table(rows: list[dict[str, Any]]) -> str:
    width = max(len(r["file"]) for r in rows)
    lines = [f"{'file':<{width}}  {'records':>9}  {'variables':>9}"]
    lines += [
        f"{r['file']:<{width}}  {r['records']:>9,}  {r['variables']:>9,}"
        if r["records"] is not None
        else f"{r['file']:<{width}}  skipped: JSON that is not Dataset-JSON"
        for r in rows
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
