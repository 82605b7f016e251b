"""The CLI contract: commands, help, exit codes, and clean messages for bad usage."""

import subprocess
import sys

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from cdisc import __version__
from cdisc.cli import main

COMMANDS = ["synth", "build", "check", "validate", "verify"]


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


def test_a_study_yaml_mistake_is_reported_before_the_engines_are_imported(tmp_path):
    (tmp_path / "study.yaml").write_text("studyid: X\nsource: [odm\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cdisc.cli import main\n"
        f"result = CliRunner().invoke(main, ['check', {str(tmp_path)!r}])\n"
        "print(result.exit_code, sorted(m for m in ('sdtm.specs', 'adam.specs') if m in sys.modules))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert process.stdout.split("\n")[0] == "2 []", process.stderr


def test_build_errors_are_listed_with_file_form_record_and_what_to_do(tmp_path):
    import numpy as np

    from cdisc.cli import _build_errors

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ae.csv").write_text("x", encoding="utf-8")
    issues = pd.DataFrame(
        {
            "severity": ["warning", "error", "error"],
            "domain": ["VS", "AE", "TS"],
            "file": ["vs.csv", "ae.csv", np.nan],
            "form": ["vs", "ae", ""],
            "record": ["1", "2", "5"],
            "variable": ["VSORRES", "AETERM", "TSVAL"],
            "code": ["not-a-number", "ascii-not-representable", "SDM100"],
            "message": ["text", "'头痛' written as '??'", "missing parameter"],
        }
    )
    errors = issues[issues["severity"] == "error"]
    text = _build_errors(errors, tmp_path / "out" / "build_report.json", raw, shown=1)
    assert text.splitlines() == [
        "error: the build found 2 error(s); the package is not fit to submit "
        "(one example of each kind):",
        f"  {raw / 'ae.csv'}, form ae, record 2, AETERM: ascii-not-representable "
        "'头痛' written as '??'",
        "  ... and 1 more",
        f"(every problem, with its file, form and record, is in "
        f"{tmp_path / 'out' / 'build_report.json'}; fix the data or the spec, or waive (or "
        "explain) a conformance finding you accept in study.yaml)",
    ]
    assert "  TS, record 5, TSVAL: SDM100 missing parameter" in _build_errors(
        errors, tmp_path / "r.json", raw
    )
    # --fail-on warning: warnings fail too, listed after the errors, one per kind.
    strict = _build_errors(issues, tmp_path / "r.json", raw).splitlines()
    assert strict[0].startswith("error: the build found 3 error(s) or warning(s);")
    assert [line.split(": ")[1].split()[0] for line in strict[1:4]] == [
        "ascii-not-representable",
        "SDM100",
        "not-a-number",
    ]
    assert strict[3] == "  vs.csv, form vs, record 1, VSORRES: not-a-number text"


def test_write_failures_name_the_file_or_the_output_folder(tmp_path):
    import errno

    from cdisc.cli import _os_error

    full = _os_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert full.exit_code == 2
    assert str(full) == (
        f"{tmp_path}: cannot write into the output folder: No space left on device "
        "(the disk is full; free some space or choose another --out folder)"
    )
    denied = _os_error(PermissionError(errno.EACCES, "Permission denied", "/x/dm.xpt"))
    assert str(denied).startswith("/x/dm.xpt: cannot write: Permission denied (permission")
    assert _os_error(FileNotFoundError(errno.ENOENT, "No such file")) is None
