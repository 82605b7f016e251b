"""The CLI contract: commands, help, exit codes, and clean messages for bad usage."""

import subprocess
import sys

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from cdisc import __version__
from cdisc.cli import main

COMMANDS = ["synth", "build", "check", "validate"]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"cdisc, version {__version__}"


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output
    assert len(result.output.splitlines()) > 3


def test_every_command_is_listed():
    listed = run("--help").output
    for command in COMMANDS:
        assert f"  {command} " in listed


def test_unknown_study_is_usage_error_with_hint():
    result = run("build", "sial")
    assert result.exit_code == 2
    assert "unknown study 'sial'" in result.stderr
    assert "did you mean 'sail'?" in result.stderr
    assert "Traceback" not in result.output


def test_bad_option_value_is_exit_2():
    result = run("synth", "--study", "sail", "--format", "csv", "--out", "x")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def test_check_lists_every_problem_with_line(tmp_path):
    study = tmp_path / "mystudy"
    study.mkdir()
    (study / "study.yaml").write_text(
        "studyid: X\nsource:\n  format: odn\n  path: ../../etc/passwd\n  optoins: {}\nextra: 1\n",
        encoding="utf-8",
    )
    result = run("check", str(study))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    shown = str(study / "study.yaml")
    assert lines[0].endswith(f"{shown}:3 source.format: unknown format 'odn' (did you mean 'odm'?)")
    assert f"{shown}:4 source.path: path '../../etc/passwd' leaves the study folder" in lines[1]
    assert f"{shown}:5 source.optoins: unknown key (did you mean 'options'?)" in lines[2]
    assert f"{shown}:6 extra: unknown key" in lines[3]
    assert len(lines) == 4


def test_check_refuses_a_folder_without_study_yaml(tmp_path):
    result = run("check", str(tmp_path))
    assert result.exit_code == 2
    assert "no study.yaml in folder" in result.stderr


def test_validate_inventories_xpt_files(tmp_path):
    frame = pd.DataFrame({"STUDYID": ["S1", "S1", "S1"], "AESEQ": [1.0, 2.0, 3.0]})
    pyreadstat.write_xport(frame, str(tmp_path / "ae.xpt"), table_name="AE")
    result = run("validate", str(tmp_path))
    # A lone AE lacks its Required variables (SD0056) and the package its TS (SD1115).
    assert result.exit_code == 1, result.output
    assert "ae.xpt          3          2" in result.output
    assert "SCH003 (SD0056" in result.output
    assert "NOT CHECKED" in result.output


def test_validate_lists_json_that_is_not_dataset_json_as_skipped(tmp_path):
    frame = pd.DataFrame({"STUDYID": ["S1"], "AESEQ": [1.0]})
    pyreadstat.write_xport(frame, str(tmp_path / "ae.xpt"), table_name="AE")
    (tmp_path / "manifest.json").write_text('{"files": []}', encoding="utf-8")
    result = run("validate", str(tmp_path), "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert "manifest.json  skipped: JSON that is not Dataset-JSON" in result.output
    assert "ae.xpt                 1          2" in result.output


def test_validate_html_named_xpt_is_bad_data(tmp_path):
    (tmp_path / "dm.xpt").write_text("<html><body>Not found</body></html>", encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'dm.xpt'}: not a readable SAS XPORT file" in result.stderr


def test_validate_missing_path_is_usage_error(tmp_path):
    result = run("validate", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_no_traceback_from_the_real_command(tmp_path):
    """The installed entry point, as a user runs it, prints one line and no traceback."""
    process = subprocess.run(
        [sys.executable, "-m", "cdisc", "build", str(tmp_path / "missing-study")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 2
    assert "Traceback" not in process.stderr
    assert process.stderr.startswith("error: unknown study")
