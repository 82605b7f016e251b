"""Find a study's mapping folder and load its ``study.yaml``.

A study is named either by a bundled study name (a folder under the installed
``mappings`` package, e.g. ``sail``) or by a path to a folder holding ``study.yaml``.
Every path a spec names is resolved inside the study folder: a spec cannot make the
toolkit read or write elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mappings
from cdisc.errors import SpecError, UsageError
from cdisc.yamlspec import (
    SpecDocument,
    SpecProblem,
    SpecProblems,
    check_keys,
    did_you_mean,
    load_spec,
)

#: study.yaml keys the SDTM engine reads (checked in detail by ``sdtm.design.check_design``).
STUDY_KEYS = ("output_date", "country", "subjects", "dates", "arms", "arm_source", "design")
STUDY_KEYS += ("reference_dates",)

#: The bundled demo study that ``cdisc build`` uses with no arguments (trial B).
DEFAULT_STUDY = "sail"

SOURCE_FORMATS = ("odm", "redcap", "rave")


@dataclass(frozen=True)
class Source:
    """Where a study's raw export is and which reader reads it."""

    format: str
    path: Path
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A study's mapping folder and the parts of ``study.yaml`` the toolkit uses so far."""

    name: str
    folder: Path
    studyid: str
    title: str
    source: Source
    document: SpecDocument


def bundled_studies() -> list[str]:
    """Names of the studies shipped in the ``mappings`` package, sorted."""
    return sorted(p.parent.name for p in mappings.ROOT.glob("*/study.yaml"))


def resolve_study_folder(study: str | None) -> Path:
    """The mapping folder for a bundled study name or a path; ``UsageError`` if neither.

    >>> resolve_study_folder("sail").name  # doctest: +SKIP
    'sail'
    """
    name = study or DEFAULT_STUDY
    bundled = mappings.ROOT / name
    if (bundled / "study.yaml").is_file() and "/" not in name and "\\" not in name:
        return bundled
    candidate = Path(name)
    if candidate.is_dir() and (candidate / "study.yaml").is_file():
        return candidate
    if candidate.is_file() and candidate.name == "study.yaml":
        return candidate.parent
    known = bundled_studies()
    if candidate.is_dir():
        raise UsageError(
            f"no study.yaml in folder '{name}'",
            hint="point at a study mapping folder that holds study.yaml",
        )
    hint = did_you_mean(name, known) or f"bundled studies: {', '.join(known)}; or give a path"
    raise UsageError(f"unknown study '{name}'", hint=hint)


def load_study(study: str | None) -> Study:
    """Load and check ``study.yaml``; every problem is reported at once as a spec error."""
    folder = resolve_study_folder(study)
    doc = load_spec(folder / "study.yaml", display=_display(folder / "study.yaml"))
    data = doc.data
    problems = check_keys(
        doc,
        (),
        data,
        required=["studyid", "source"],
        optional=["title", "adam", "waivers", "explanations", *STUDY_KEYS],
    )
    if problems and not isinstance(data, dict):
        raise SpecProblems(problems)
    studyid = data.get("studyid")
    if "studyid" in data and not (isinstance(studyid, str) and studyid.strip()):
        problems.append(
            doc.problem(
                ("studyid",),
                "must be a non-empty text value",
                "write the study identifier as text, e.g. studyid: SAIL",
            )
        )
    source, source_problems = _source(doc, folder)
    problems += source_problems
    problems += linked_specs(folder)
    if problems:
        raise SpecProblems(problems)
    return Study(
        name=folder.name,
        folder=folder,
        studyid=studyid,
        title=str(data.get("title", "")),
        source=source,
        document=doc,
    )


def _source(doc: SpecDocument, folder: Path) -> tuple[Source | None, list[SpecProblem]]:
    raw = doc.data.get("source")
    if raw is None:
        return None, []
    problems = check_keys(doc, ("source",), raw, required=["format", "path"], optional=["options"])
    if not isinstance(raw, dict):
        return None, problems
    fmt, path, options = raw.get("format"), raw.get("path"), raw.get("options", {})
    if fmt is not None and fmt not in SOURCE_FORMATS:
        problems.append(
            doc.problem(
                ("source", "format"),
                f"unknown format {fmt!r}",
                did_you_mean(str(fmt), SOURCE_FORMATS) or f"use one of {', '.join(SOURCE_FORMATS)}",
            )
        )
    if not isinstance(options, dict):
        problems.append(
            doc.problem(
                ("source", "options"),
                "expected a mapping of reader options",
                "write them as {option: value, ...}, e.g. {encoding: cp1252}",
            )
        )
        options = {}
    elif options and fmt in SOURCE_FORMATS:
        problems += _reader_options(doc, fmt, options)
    resolved = None
    if path is not None:
        try:
            resolved = inside(folder, str(path))
        except SpecError as exc:
            problems.append(doc.problem(("source", "path"), exc.message, exc.hint))
    if problems or resolved is None:
        return None, problems
    return Source(format=fmt, path=resolved, options=options), problems


def _reader_options(doc: SpecDocument, fmt: str, options: dict[str, Any]) -> list[SpecProblem]:
    """A problem for each reader option that the ``fmt`` reader does not take."""
    from cdisc.readers.detect import READER_OPTIONS  # the readers are heavy; only needed here

    allowed = sorted(READER_OPTIONS[fmt])
    return [
        doc.problem(
            ("source", "options", key),
            f"option {key!r} does not apply to {fmt} exports",
            did_you_mean(key, allowed) or f"options for {fmt}: {', '.join(allowed) or 'none'}",
        )
        for key in options
        if key not in allowed
    ]


def raw_export_path(study: Study, raw: Path | None = None) -> Path:
    """The raw export to read: ``raw`` (``--raw``) when given, else the one study.yaml names.

    Either must exist; a missing one is a ``UsageError`` naming the path and saying how to
    get an export (a study such as ``sail-rave`` bundles none).

    >>> raw_export_path(load_study("sail")).name  # doctest: +SKIP
    'sail_odm.xml'
    """
    if raw is not None:
        if not raw.exists():
            raise UsageError(f"raw export '{raw}' does not exist", hint="check the --raw path")
        return raw
    path = study.source.path
    if path.exists():
        return path
    from cdisc.synth.studies import STUDIES  # only needed for this hint

    synth = study.studyid.lower()
    hint = "pass --raw with the export's path"
    if synth in STUDIES:
        hint += (
            f", or generate a synthetic one: cdisc synth --study {synth} "
            f"--format {study.source.format} --out DIR, then --raw DIR"
        )
    raise UsageError(
        f"study {study.name}: raw export '{path}' not found "
        f"({study.source.format} source.path in {study.document.display})",
        hint=hint,
    )


def inside(folder: Path, relative: str) -> Path:
    """``folder / relative``, refusing absolute paths and paths that leave ``folder``."""
    candidate = Path(relative)
    if candidate.is_absolute():
        raise SpecError(
            f"path '{relative}' is absolute", hint="give a path relative to the study folder"
        )
    resolved = (folder / candidate).resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise SpecError(
            f"path '{relative}' leaves the study folder",
            hint="keep data files inside the study folder",
        )
    return resolved


#: Folders of a study whose ``*.yaml`` files are read as specs.
SPEC_FOLDERS = ("sdtm", "adam")


def linked_specs(folder: Path) -> list[SpecProblem]:
    """A problem for every spec file in ``folder`` that resolves outside it (a symbolic link
    to a file or folder elsewhere): a spec can only be read from inside its study folder.

    >>> linked_specs(Path("mappings/sail"))  # doctest: +SKIP
    []
    """
    root = folder.resolve()
    problems = []
    for sub in SPEC_FOLDERS:
        for path in sorted((folder / sub).glob("*.yaml")):
            target = path.resolve()
            if not target.is_relative_to(root):
                problems.append(
                    SpecProblem(
                        f"{_display(path.parent)}/{path.name}",
                        None,
                        "",
                        f"spec file leaves the study folder: it links to '{target}'",
                        "copy the spec into the study folder instead of linking to it",
                    )
                )
    return problems


def _display(path: Path) -> str:
    """A short, recognisable name for a spec file: relative to the bundled root or the cwd."""
    for root, prefix in ((mappings.ROOT, "mappings/"), (Path.cwd(), "")):
        try:
            return prefix + str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)
