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


@pytest.fixture(scope="session", params=["sail", "pmsc-cli"])
def built(request, tmp_path_factory):
    """``cdisc build STUDY`` of each demo study, once per session: (study, raw export path,
    output folder, click result, build_report.json). Tests read it and must not change it."""
    tmp = tmp_path_factory.mktemp(request.param)
    raw = _raw(request.param, tmp)
    runner = CliRunner()
    result = runner.invoke(
        main, ["build", request.param, "--raw", str(raw), "--out", str(tmp / "out")]
    )
    folder = tmp / "out" / request.param
    report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
    return request.param, raw, folder, result, report
