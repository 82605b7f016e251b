"""A package is written atomically and identically: real builds, real kills, SHA-256 compared.

The study is trial B (sail, every SDTM domain and ADaM dataset, ``--dataset-json``) on a
synthetic export of 6 subjects (``cdisc.synth``, seed 1): the demo's 60 subjects take four
times longer and exercise no other code. Builds run as separate processes (``python -m
cdisc``), so each starts with its own string-hash seed, caches and clock. Checksums are
computed here with hashlib, not taken from the toolkit's manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

import cdisc
import cdisc.build
import mappings
from cdisc.cli import main
from cdisc.synth import synthesize

#: Four builds of a small study: the slowest module of the suite after the demo builds.
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
XLINK = "{http://www.w3.org/1999/xlink}"


def _command(raw: Path, out: Path, *study: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cdisc",
        "build",
        *(study or ("sail",)),
        "--raw",
        str(raw),
        "--out",
        str(out),
        "--dataset-json",
    ]


def _env(seed: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return {**env, "PYTHONHASHSEED": seed, "CDISC_DEBUG": ""}


def _start(raw: Path, out: Path, seed: str = "1") -> subprocess.Popen:
    return subprocess.Popen(
        _command(raw, out),
        cwd=ROOT,
        env=_env(seed),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative POSIX path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """The same export built twice, at once, by two processes with different hash seeds,
    into two folders: (raw export, first output folder, second, their stdout)."""
    tmp = tmp_path_factory.mktemp("twice")
    synthesize("sail", tmp / "raw", subjects=6)
    raw = tmp / "raw" / "sail_odm.xml"
    outs = (tmp / "a", tmp / "b")
    procs = [_start(raw, out, seed) for out, seed in zip(outs, ("1", "2"), strict=True)]
    results = [p.communicate(timeout=900) for p in procs]
    for proc, (stdout, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return raw, *outs, [stdout for stdout, _ in results]


def test_two_builds_of_the_same_inputs_are_byte_identical(twice):
    _, first, second, _ = twice
    a, b = _hashes(first / "sail"), _hashes(second / "sail")
    assert sorted(a) == sorted(b)
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []
    # Every kind of output the issue names took part in the comparison.
    kinds = {Path(name).name if "define" in name else Path(name).suffix for name in a}
    assert {".xpt", ".json", ".csv", ".svg", ".html", "define.xml", "define.html"} <= kinds
    for report in ("manifest.json", "build_report.json", "raw_summary.json", "adam/report.html"):
        assert report in a
    assert sum(name.startswith("lineage/") for name in a) >= 10
    # Nothing but the package is left in either output folder.
    assert sorted(os.listdir(first)) == sorted(os.listdir(second)) == ["sail"]


def test_the_manifest_lists_every_file_and_every_input(twice):
    raw, first, _, _ = twice
    package = first / "sail"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    hashes = _hashes(package)
    del hashes["manifest.json"]
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == hashes
    assert {e["path"]: e["bytes"] for e in manifest["files"]} == {
        name: (package / name).stat().st_size for name in hashes
    }
    inputs = {
        group: {e["path"]: e["sha256"] for e in files}
        for group, files in manifest["inputs"].items()
    }
    assert inputs["raw"] == {"sail_odm.xml": hashlib.sha256(raw.read_bytes()).hexdigest()}
    study = mappings.ROOT / "sail"
    specs = [study / "study.yaml", *study.glob("sdtm/*.yaml"), *study.glob("adam/*.yaml")]
    assert inputs["study"] == {
        p.relative_to(study).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in specs
    }
    standards = ROOT / "specs"
    shipped = [p for p in standards.rglob("*") if p.suffix in (".csv", ".json")]
    assert inputs["standards"] == {
        p.relative_to(standards).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in shipped
    }
    assert manifest["toolkit"]["cdisc-toolkit"] == cdisc.__version__
    assert manifest["toolkit"]["python"] == platform.python_version()
    assert manifest["toolkit"]["libraries"]["pandas"] == __import__("pandas").__version__
    # study.yaml declares output_date 2025-01-01T00:00:00 and the builds ran without
    # SOURCE_DATE_EPOCH, so that date is what the package carries.
    assert manifest["timestamps"] == {
        "created": "2025-01-01T00:00:00",
        "output_date": "2025-01-01T00:00:00",
        "source_date_epoch": None,
    }
    assert (
        b"01JAN25:00:00:00" in (package / "m5/datasets/sail/tabulations/sdtm/dm.xpt").read_bytes()
    )


def test_reports_name_the_final_location_and_define_links_are_relative(twice):
    _, first, _, stdout = twice
    package = first / "sail"
    for path in package.rglob("*"):
        if path.suffix in (".json", ".csv", ".xml", ".html", ".svg"):
            text = path.read_text(encoding="utf-8")
            assert str(first) + os.sep not in text, path  # no absolute output path at all
            assert ".partial-" not in text, path
    report = json.loads((package / "build_report.json").read_text(encoding="utf-8"))
    for entry in [*report["datasets"], *report["adam"]["datasets"]]:
        assert (package / entry["path"]).is_file(), entry
    for name in ("censoring_table", "km_estimates", "html", "km_plots"):
        paths = report["adam"][name]
        assert all((package / p).is_file() for p in ([paths] if isinstance(paths, str) else paths))
    defines = sorted(package.rglob("define.xml"))
    assert len(defines) == 2
    for define in defines:
        leaves = etree.parse(str(define)).getroot().iter(f"{DEF}leaf")
        hrefs = [leaf.get(f"{XLINK}href") for leaf in leaves]
        assert hrefs
        for href in hrefs:
            assert "/" not in href and "\\" not in href and ":" not in href, href
            assert (define.parent / href).is_file(), href
    # The console names where the package is now, not where it was built.
    lines = stdout[0].splitlines()
    assert f"package written to {package}" in lines
    folders = [
        package / "m5/datasets/sail/tabulations/sdtm",
        package / "m5/datasets/sail/analysis/adam/datasets",
    ]
    assert [line for line in lines if line.startswith("define: ")] == [
        f"define: {folder / name}" for folder in folders for name in ("define.xml", "define.html")
    ]


def _wait_for_xpt(out: Path, proc: subprocess.Popen, timeout: float = 600) -> Path:
    """The temporary folder of the running build, once it holds an XPT file."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for xpt in out.glob(".sail.partial-*/m5/datasets/sail/tabulations/sdtm/*.xpt"):
            return xpt.parents[5]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the build wrote no XPT file in time")


def test_a_build_killed_or_interrupted_midway_leaves_the_previous_package(twice, tmp_path):
    # The previous package (built first) is copied into two output folders; a new build
    # starts in each, and once its temporary folder holds an XPT file, one is SIGKILLed and
    # the other gets SIGINT (Ctrl-C).
    raw, first, _, _ = twice
    before = _hashes(first / "sail")
    outs = {name: tmp_path / name for name in ("killed", "interrupted")}
    procs = {}
    for name, out in outs.items():
        shutil.copytree(first / "sail", out / "sail")
        procs[name] = _start(raw, out)
    temporary = {name: _wait_for_xpt(outs[name], proc) for name, proc in procs.items()}
    procs["killed"].send_signal(signal.SIGKILL)
    procs["interrupted"].send_signal(signal.SIGINT)
    results = {name: proc.communicate(timeout=300) for name, proc in procs.items()}

    killed = procs["killed"]
    assert killed.returncode == -signal.SIGKILL
    assert _hashes(outs["killed"] / "sail") == before
    # SIGKILL allows no clean-up: the temporary folder stays, under a dot name that is not
    # the package's, and it was never completed (no manifest).
    assert sorted(os.listdir(outs["killed"])) == sorted(["sail", temporary["killed"].name])
    assert temporary["killed"].name.startswith(f".sail.partial-{killed.pid}-")
    assert not (temporary["killed"] / "manifest.json").exists()

    interrupted = procs["interrupted"]
    assert interrupted.returncode == 130, results["interrupted"]
    assert "interrupted" in results["interrupted"][1]
    assert "Traceback" not in results["interrupted"][1]
    assert _hashes(outs["interrupted"] / "sail") == before
    assert os.listdir(outs["interrupted"]) == ["sail"]


DM_SEX_NEVER_FILLED = """domain: DM
sources:
  - form: dm
variables:
  AGE: {algorithm: assign_number, field: AGE}
  AGEU: {algorithm: hardcode_ct, value: YEARS, codelist: AGEU}
  SEX:
    algorithm: assign_ct
    field: SEX_DECODE
    codelist: SEX
    when: {field: SEX_DECODE, equals: "no such value"}
"""


def test_a_build_with_errors_keeps_the_previous_package_and_clears_dead_leftovers(twice, tmp_path):
    raw, first, _, _ = twice
    out = tmp_path / "out"
    shutil.copytree(first / "sail", out / "sail")
    before = _hashes(out / "sail")
    # What a build killed earlier left: its process is gone, so the next build removes it.
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    leftover = out / f".sail.partial-{int(gone.stdout)}-0123abcd"
    (leftover / "m5").mkdir(parents=True)
    (leftover / "m5" / "dm.xpt").write_bytes(b"half a file")
    # A study also called sail whose only domain, DM, leaves Required SEX empty: an error
    # per DM record, so the build fails (exit 1).
    study = tmp_path / "study" / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw", "adam"))
    for spec in (study / "sdtm").glob("*.yaml"):
        spec.unlink()
    (study / "sdtm" / "dm.yaml").write_text(DM_SEX_NEVER_FILLED, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(study), "--raw", str(raw), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert _hashes(out / "sail") == before
    assert sorted(os.listdir(out)) == ["sail", "sail.failed"]
    odm = ET.parse(raw).getroot()
    dm_records = sum(
        f.get("FormOID") == "DM" for f in odm.iter("{http://www.cdisc.org/ns/odm/v1.3}FormData")
    )
    report = json.loads((out / "sail.failed" / "build_report.json").read_text(encoding="utf-8"))
    empty = [p for p in report["problems"] if p["code"] == "required-empty"]
    assert len(empty) == dm_records and {p["severity"] for p in empty} == {"error"}
    assert f"{out / 'sail'} still holds the previous package" in result.output
    assert f"this build's files are in {out / 'sail.failed'}" in result.output


def test_an_exception_or_ctrl_c_inside_the_build_leaves_only_the_previous_package(
    twice, tmp_path, monkeypatch
):
    raw, first, _, _ = twice
    out = tmp_path / "out"
    shutil.copytree(first / "sail", out / "sail")
    before = _hashes(out / "sail")
    real = cdisc.build.raw_summary
    for stop, code in ((KeyboardInterrupt, 130), (RuntimeError, 3)):

        def failing(*args, stop=stop, **kwargs):
            summary = real(*args, **kwargs)  # the real first stage, in the temporary folder
            assert summary.report_path.parent.name.startswith(".sail.partial-")
            raise stop("stopped here")

        monkeypatch.setattr(cdisc.build, "raw_summary", failing)
        result = CliRunner().invoke(main, ["build", "sail", "--raw", str(raw), "--out", str(out)])
        assert result.exit_code == code, result.output
        assert _hashes(out / "sail") == before
        assert os.listdir(out) == ["sail"]
