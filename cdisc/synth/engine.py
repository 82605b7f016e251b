"""The public entry point: generate a study chunk by chunk, serialise it, write ground truth."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import UsageError
from cdisc.synth import fmt as fmtlib
from cdisc.synth import truth
from cdisc.synth.clinical import clinical_chunk
from cdisc.synth.defects import DEFECT_COLUMNS, KINDS, inject
from cdisc.synth.odm import OdmWriter
from cdisc.synth.rave import RaveWriter
from cdisc.synth.redcap import RedcapWriter
from cdisc.synth.sink import Rendered
from cdisc.synth.streams import chunks
from cdisc.synth.studies import STUDIES

WRITERS = {"odm": OdmWriter, "redcap": RedcapWriter, "rave": RaveWriter}
FORMATS = tuple(WRITERS)
TRUTH_DIR = "ground_truth"


@dataclass
class SynthResult:
    """What :func:`synthesize` wrote.

    ``files`` are all files written (export and ground truth), sorted; ``defects`` is the
    number of injected defects and ``defects_by_kind`` the count per kind (kinds that did not
    occur are left out).
    """

    study: str
    format: str
    out: Path
    seed: int
    clean: bool
    subjects: int
    files: list[Path] = field(default_factory=list)
    defects: int = 0
    defects_by_kind: dict[str, int] = field(default_factory=dict)


def _check(study: str, fmt: str | None, subjects: int | None, seed: int) -> tuple:
    if study not in STUDIES:
        raise UsageError(
            f"unknown study {study!r}", hint="known studies: " + ", ".join(sorted(STUDIES))
        )
    design = STUDIES[study]()
    fmt = design.default_format if fmt is None else fmt
    if fmt not in WRITERS:
        raise UsageError(
            f"unknown export format {fmt!r}", hint="known formats: " + ", ".join(FORMATS)
        )
    n = design.default_subjects if subjects is None else subjects
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise UsageError(
            f"subjects must be a whole number of at least 1, got {subjects!r}",
            hint=f"omit it for the default ({design.default_subjects})",
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError(f"seed must be a whole number of at least 0, got {seed!r}")
    return design, fmt, int(n), int(seed)


def _prepare(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise UsageError(
            "output path exists and is not a folder",
            path=out,
            hint="pass a folder (it is created if missing)",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".synth-", dir=out))
    except OSError as exc:
        raise UsageError(
            f"cannot write to the output folder ({exc.strerror})",
            path=out,
            hint="choose a folder you can write to",
        ) from None
    return work


def _previous_files(out: Path) -> list[Path]:
    """Files a previous run listed in its manifest (removed so formats never mix)."""
    manifest = out / TRUTH_DIR / "manifest.json"
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        return [out / item["path"] for item in listed] + [manifest]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def synthesize(
    study: str,
    out: Path,
    *,
    fmt: str | None = None,
    subjects: int | None = None,
    seed: int = 1,
    clean: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = None,
) -> SynthResult:
    """Write a synthetic raw EDC export of ``study`` into ``out``, with ground truth.

    ``study``: ``"sail"`` (trial B) or ``"pmsc-cli"`` (trial A). ``fmt``: ``"odm"``,
    ``"redcap"`` or ``"rave"`` (default ODM for sail, REDCap for pmsc-cli). ``subjects``:
    default 60 (sail) or 9 (pmsc-cli). ``clean=True`` injects no defect. ``progress(stage,
    done, total)`` is called after each chunk of subjects. ``workers`` processes render chunks
    in parallel (default: up to 2 when there is more than one chunk of
    :data:`~cdisc.synth.streams.CHUNK` subjects); the output does not depend on it. Same
    arguments give byte-identical files. Raises :class:`~cdisc.errors.UsageError` for a bad argument or an unusable ``out``.

    Example: ``synthesize("sail", Path("out/sail"), subjects=200, seed=7).files``.
    """
    design, fmt, n, seed = _check(study, fmt, subjects, seed)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers must be a whole number of at least 1, got {workers!r}")
    out = Path(out)
    work = _prepare(out)
    try:
        result = _run(design, fmt, n, seed, clean, work, progress, workers)
        old = _previous_files(out)
        for p in old:
            if p.is_file():
                p.unlink()
        final = []
        for p in sorted(result.files):
            target = out / p.relative_to(work)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, target)
            final.append(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.out = out
    result.files = sorted(final)
    return result


@dataclass
class _Chunk:
    """What a worker hands back for one chunk of subjects."""

    number: int
    end: int
    subjects: pd.DataFrame
    truth: pd.DataFrame
    found: pd.DataFrame
    rendered: Rendered


@cache
def _tools(study: str, fmt: str, seed: int, clean: bool) -> tuple:
    design = STUDIES[study]()
    return design, WRITERS[fmt](design, seed, clean)


def _chunk(
    study: str, fmt: str, n: int, seed: int, clean: bool, k: int, lo: int, hi: int
) -> _Chunk:
    """Generate, corrupt and render chunk ``k`` (subjects ``lo``..``hi - 1``); touches no file."""
    design, writer = _tools(study, fmt, seed, clean)
    coh, forms = clinical_chunk(design, seed, k, np.arange(lo, hi, dtype=np.int64), n)
    facts = truth.subject_truth(design, coh, forms)
    if clean:
        for frame in forms.values():
            frame["_rid"] = np.arange(len(frame), dtype=np.int64)
        found = pd.DataFrame({c: np.empty(0, dtype=object) for c in DEFECT_COLUMNS})
    else:
        forms, found = inject(design, coh, forms, seed, k)
    keep = coh.subjects[["sid", "subjid", "arm"]]
    return _Chunk(k, hi, keep, facts, found, writer.render(coh, forms))


def _chunks(study: str, fmt: str, n: int, seed: int, clean: bool, workers: int) -> Iterator[_Chunk]:
    """Chunks in order; with several workers they are rendered in parallel processes while the
    caller writes, a bounded number ahead (so memory stays flat)."""
    jobs = [(study, fmt, n, seed, clean, k, lo, hi) for k, lo, hi in chunks(n)]
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            yield _chunk(*job)
        return
    fmtlib.warm()  # forked workers inherit the formatting tables
    # Fork (Linux) shares the tables and imports; elsewhere workers start fresh (spawn).
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ctx.Pool(workers) as pool:
        pending: deque = deque()
        queue = iter(jobs)
        for job in queue:
            pending.append(pool.apply_async(_chunk, job))
            if len(pending) > workers:
                break
        while pending:
            done = pending.popleft().get()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append(pool.apply_async(_chunk, nxt))
            yield done


def _run(
    design, fmt: str, n: int, seed: int, clean: bool, work: Path, progress, workers: int
) -> SynthResult:
    writer = WRITERS[fmt](design, seed, clean)
    writer.open(work)
    gt = work / TRUTH_DIR
    gt.mkdir()
    subjects_csv, defects_csv = gt / "subjects.csv", gt / "defects.csv"
    counts: dict[str, int] = {}
    for part in _chunks(design.study, fmt, n, seed, clean, workers):
        truth.write_csv(part.truth, subjects_csv, header=part.number == 0)
        offsets = writer.append(part.rendered)
        rows = truth.defect_rows(
            design, part.subjects, writer, part.found, part.rendered.lineage, offsets
        )
        truth.write_csv(rows, defects_csv, header=part.number == 0)
        for kind, c in rows["kind"].value_counts().items():
            counts[kind] = counts.get(kind, 0) + int(c)
        if progress is not None:
            progress("subjects", part.end, n)
    files, file_defects = writer.finish()
    if file_defects:
        extra = pd.DataFrame(file_defects, columns=list(truth.DEFECT_COLUMNS))
        truth.write_csv(extra, defects_csv, header=False)
        for kind in extra["kind"]:
            counts[kind] = counts.get(kind, 0) + 1
    by_kind = {k: counts[k] for k in KINDS if k in counts}
    files = [*files, subjects_csv, defects_csv]
    manifest = gt / "manifest.json"
    info = {
        "study": design.study,
        "format": fmt,
        "seed": seed,
        "subjects": n,
        "clean": clean,
        "defects": sum(by_kind.values()),
        "defects_by_kind": by_kind,
    }
    truth.write_manifest(manifest, info, files, work)
    if progress is not None:
        progress("ground truth", 1, 1)
    return SynthResult(
        study=design.study,
        format=fmt,
        out=work,
        seed=seed,
        clean=clean,
        subjects=n,
        files=[*files, manifest],
        defects=info["defects"],
        defects_by_kind=by_kind,
    )
