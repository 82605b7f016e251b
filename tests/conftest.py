"""Fixtures shared by test modules: one build of each bundled demo study per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc.cli import main
from cdisc.study import load_study
from cdisc.synth import synthesize


def _raw(study: str, tmp: Path) -> Path:
    """The bundled raw export of ``study`` when present, else a synthetic one in ``tmp``."""
    bundled = load_study(study).source.path
    if bundled.exists():
        return bundled
    synthesize(study, tmp / "raw")
    if study == "sail":
        return tmp / "raw" / "sail_odm.xml"
    return tmp / "raw"


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """A function: ``demo_build(study)`` is ``cdisc build STUDY`` of a demo study, run once per
    session whoever asks first: (raw export path, output folder, click result,
    build_report.json). Tests read it and must not change it."""
    done: dict[str, tuple] = {}

    def build(study: str) -> tuple:
        if study not in done:
            tmp = tmp_path_factory.mktemp(study)
            raw = _raw(study, tmp)
            result = CliRunner().invoke(
                main, ["build", study, "--raw", str(raw), "--out", str(tmp / "out")]
            )
            folder = tmp / "out" / study
            if not folder.exists():  # a build with errors leaves its files in <study>.failed
                folder = folder.with_name(f"{study}.failed")
            assert folder.exists(), result.output
            report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
            done[study] = (raw, folder, result, report)
        return done[study]

    return build


@pytest.fixture(scope="session", params=["sail", "pmsc-cli"])
def built(request, demo_build):
    """Each demo study's build (see :func:`demo_build`): (study, raw export path, output
    folder, click result, build_report.json)."""
    return (request.param, *demo_build(request.param))
