"""cdisc.manifest: every output and input with its SHA-256 and size, and its verification."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisc.cli import main
from cdisc.errors import InputError
from cdisc.manifest import LIBRARIES, InputGroup, verify_manifest, write_manifest

ROOT = Path(__file__).resolve().parents[2]
STAMPS = {"created": "2025-01-01T00:00:00", "source_date_epoch": None, "output_date": None}


def _package(root: Path) -> Path:
    (root / "m5" / "sdtm").mkdir(parents=True)
    (root / "m5" / "sdtm" / "dm.xpt").write_bytes(b"\x00\x01 dm")
    (root / "build_report.json").write_text("{}\n", encoding="utf-8")
    return root


def test_the_manifest_lists_outputs_and_inputs_with_their_checksums(tmp_path):
    root = _package(tmp_path / "pkg")
    study = tmp_path / "study"
    (study / "sdtm").mkdir(parents=True)
    (study / "study.yaml").write_text("studyid: X\n", encoding="utf-8")
    (study / "sdtm" / "dm.yaml").write_text("domain: DM\n", encoding="utf-8")
    inputs = [InputGroup("study", study, (study / "study.yaml", study / "sdtm" / "dm.yaml"))]
    path = write_manifest(root, inputs, STAMPS)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["files"] == [
        {"bytes": 3, "path": "build_report.json", "sha256": hashlib.sha256(b"{}\n").hexdigest()},
        {
            "bytes": 5,
            "path": "m5/sdtm/dm.xpt",
            "sha256": hashlib.sha256(b"\x00\x01 dm").hexdigest(),
        },
    ]
    assert [e["path"] for e in document["inputs"]["study"]] == ["sdtm/dm.yaml", "study.yaml"]
    assert document["inputs"]["study"][1]["sha256"] == hashlib.sha256(b"studyid: X\n").hexdigest()
    assert document["timestamps"] == STAMPS
    assert str(tmp_path) not in path.read_text(encoding="utf-8")
    # Written again from the same files: the same bytes.
    first = path.read_bytes()
    assert write_manifest(root, inputs, STAMPS).read_bytes() == first


def test_verify_names_every_changed_missing_or_added_file(tmp_path):
    root = _package(tmp_path)
    write_manifest(root, [], STAMPS)
    assert verify_manifest(root) == []
    (root / "m5" / "sdtm" / "dm.xpt").write_bytes(b"\x00\x01 DM")
    (root / "build_report.json").unlink()
    (root / "extra.txt").write_text("x", encoding="utf-8")
    assert verify_manifest(root) == [
        "build_report.json: listed in the manifest but missing",
        "extra.txt: not listed in the manifest (added after the build)",
        "m5/sdtm/dm.xpt: SHA-256 differs from the manifest (the file changed after the build)",
    ]


def test_a_missing_or_unreadable_manifest_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"no manifest\.json"):
        verify_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not readable JSON") as error:
        verify_manifest(tmp_path)
    assert error.value.location == "1:2"


def test_the_libraries_recorded_cover_the_project_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {
        dep.split(">")[0].split("<")[0].split("=")[0].strip() for dep in project["dependencies"]
    }
    assert names <= set(LIBRARIES)


def test_cdisc_verify_reports_a_changed_package(tmp_path):
    root = _package(tmp_path / "pkg")
    write_manifest(root, [], STAMPS)
    result = CliRunner().invoke(main, ["verify", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{root}: all 2 files match manifest.json\n"
    (root / "m5" / "sdtm" / "dm.xpt").write_bytes(b"changed")
    result = CliRunner().invoke(main, ["verify", str(root)])
    assert result.exit_code == 1
    assert "m5/sdtm/dm.xpt: SHA-256 differs from the manifest" in result.output
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
