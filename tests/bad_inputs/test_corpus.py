"""Every bad input through the real command: ``python -m cdisc ...`` in a subprocess.

One parametrised test runs the corpus of :mod:`cases`: every case must end with exit 1 or
2, no traceback, and one message on stderr naming the file, the location and what to do.
A second one runs the "reported, not fatal" inputs: exit 0 and the warning, located, in the
report the build writes. The cases' commands run a few at a time in the background, so
the whole corpus takes about as long as its slowest builds.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from .cases import CASES, REPORTED, Case, Setup, by_id, run_env

README = Path(__file__).with_name("README.md")
#: Commands run at once: the machine has 2 cores, and each command waits on I/O a little.
WORKERS = 3
CATEGORIES = {"spec", "raw", "data", "xml", "cli"}


def _limit(fsize: int | None):
    if fsize is None:
        return None

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return apply


def _run(case: Case, tmp: Path) -> tuple[Setup, subprocess.CompletedProcess]:
    setup = case.build(tmp)
    # A working folder of its own, outside the case's files, so messages show full paths.
    cwd = tmp / "cwd"
    cwd.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "cdisc", *setup.args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=run_env(setup),
        preexec_fn=_limit(setup.fsize),
        timeout=300,
        check=False,
    )
    return setup, result


@pytest.fixture(scope="session")
def runs(request, tmp_path_factory):
    """Case id -> a future of (setup, result). Only the selected cases run; cases that share
    a builder share one run."""
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "originalname", "") in ("test_bad_input", "test_reported_input")
    ]
    # The SDTM builds take longest: started first, they do not hold up the end.
    selected.sort(key=lambda case: case.category != "data")
    shared: dict[object, Future] = {}
    futures: dict[str, Future] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for case in selected:
            if case.build not in shared:
                tmp = tmp_path_factory.mktemp(case.build.__name__)
                shared[case.build] = pool.submit(_run, case, tmp)
            futures[case.id] = shared[case.build]
        yield futures


def _needs(case: Case):
    marks = []
    if case.needs_non_root:
        marks.append(
            pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
        )
    return marks


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_needs(c)) for c in CASES])
def test_bad_input(case: Case, runs) -> None:
    setup, result = runs[case.id].result()
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    for leak in case.leaks:
        assert leak not in output
    for path in setup.absent:
        assert not path.exists(), f"{path} was created"
    assert result.returncode == case.exit, output
    assert case.exit in (1, 2)
    stderr = result.stderr
    assert stderr.startswith("error: "), stderr
    assert "internal error" not in stderr
    # The line that says it names the file and the place; what to do follows on it, or
    # (a build's list of errors) on the message's last line.
    line = next((x for x in stderr.splitlines() if case.says in x), None)
    assert line is not None, stderr
    assert (case.file or setup.file) in line, stderr
    if case.where is not None:
        assert case.where in line, stderr
    assert case.hint is not None, case
    assert case.hint in line or case.hint in stderr.splitlines()[-1], stderr


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in REPORTED])
def test_reported_input(case: Case, runs) -> None:
    setup, result = runs[case.id].result()
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 0, output
    expected = case.reported
    assert expected is not None and setup.report is not None
    report = json.loads(setup.report.read_text(encoding="utf-8"))
    if expected.note:
        assert any(all(f in note for f in expected.note) for note in report["notes"]), report[
            "notes"
        ]
        return
    found = [
        p
        for p in report["problems"]
        if p["code"] == expected.code
        and p["record"] == expected.record
        and p["file"] == expected.file
    ]
    assert found, [
        (p["code"], p["file"], p["record"]) for p in report["problems"] if p["domain"] != "TS"
    ]
    assert all(p["severity"] == "warning" for p in found)


def test_the_corpus_is_large_and_covers_every_category() -> None:
    assert len(CASES) >= 40
    assert {c.category for c in CASES} == CATEGORIES
    assert all(c.exit in (1, 2) and c.reported is None for c in CASES)
    # Exit 0 only where the problem is reported in a report the build writes.
    assert all(c.exit == 0 and c.reported is not None for c in REPORTED)
    # Only command-line cases may lack a file position.
    assert all(c.where is not None for c in CASES if c.exit and c.category != "cli")


def test_the_readme_lists_exactly_the_cases_with_their_categories() -> None:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", README.read_text(encoding="utf-8"), re.M)
    assert dict(rows) == {c.id: c.category for c in by_id().values()}
    assert len(rows) == len(CASES) + len(REPORTED)
    total = re.search(r"^The corpus has (\d+) cases", README.read_text(encoding="utf-8"), re.M)
    assert total is not None and int(total.group(1)) == len(CASES)
