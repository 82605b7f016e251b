"""Bad inputs through the real command: exit 1 or 2, one message naming file and place.

Each case builds a small study folder whose raw export is broken in one way, then runs
``cdisc build`` on it, as a data manager would.
"""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
REDCAP_SIMPLE = SHARED / "edc-exports" / "redcap" / "simple"
ODM_REAL = SHARED / "edc-exports" / "redcap" / "longitudinal" / "project.xml"

ODM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileOID="F" '
    'FileType="Snapshot" CreationDateTime="2021-01-01T00:00:00">\n'
)


def study(tmp_path: Path, fmt: str, raw: str) -> Path:
    folder = tmp_path / "study"
    (folder / "raw").mkdir(parents=True)
    (folder / "study.yaml").write_text(
        f"studyid: T\nsource:\n  format: {fmt}\n  path: {raw}\n", encoding="utf-8"
    )
    return folder


def cdisc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cdisc", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, *fragments: str):
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr


def test_truncated_odm(tmp_path):
    folder = study(tmp_path, "odm", "raw/export.xml")
    text = ODM_REAL.read_text(encoding="utf-8")
    (folder / "raw" / "export.xml").write_text(text[: len(text) // 2], encoding="utf-8")
    result = cdisc("build", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_clean_failure(result, 1, "export.xml, line ")


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
        '<!DOCTYPE ODM [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n',
    ],
    ids=["external-entity", "entity-expansion"],
)
def test_odm_with_entities(tmp_path, doctype):
    folder = study(tmp_path, "odm", "raw/export.xml")
    head, _, rest = ODM_HEAD.partition("\n")
    body = f'{head}\n{doctype}{rest}<Study OID="S">&c;&x;</Study></ODM>\n'
    (folder / "raw" / "export.xml").write_text(body, encoding="utf-8")
    result = cdisc("build", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_clean_failure(result, 1, "export.xml, line 2", "DTD")
    assert "root:" not in result.stderr  # nothing of /etc/passwd leaked


def test_redcap_dictionary_lacking_a_field(tmp_path):
    folder = study(tmp_path, "redcap", "raw")
    (folder / "raw" / "data.csv").write_bytes((REDCAP_SIMPLE / "data.csv").read_bytes())
    with (REDCAP_SIMPLE / "dictionary.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    data_header = (REDCAP_SIMPLE / "data.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    dropped = "bmi"
    assert dropped in data_header.split(",")
    with (folder / "raw" / "dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(row for row in rows if row[0] != dropped)
    result = cdisc("build", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    column = data_header.split(",").index(dropped) + 1
    assert_clean_failure(
        result, 1, "data.csv, line 1", f"'{dropped}'", f"column {column}", "dictionary"
    )


def test_csv_that_is_not_utf8_is_read_with_a_stated_fallback(tmp_path):
    folder = study(tmp_path, "rave", "raw")
    text = "Subject,SiteNumber,FolderName,AETERM\n101-001,01,SCREEN,Caf\xe9 au lait spots\n"
    (folder / "raw" / "ae.csv").write_bytes(text.encode("cp1252"))
    result = cdisc("build", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ae.csv: not UTF-8" in result.stdout
    assert "windows-1252" in result.stdout


def test_rave_csv_missing_subject_column(tmp_path):
    folder = study(tmp_path, "rave", "raw")
    (folder / "raw" / "vs.csv").write_text(
        "SiteNumber,FolderName,VSTESTCD,VSORRES\n01,SCREEN,SYSBP,120\n", encoding="utf-8"
    )
    result = cdisc("build", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_clean_failure(result, 1, "vs.csv", "Subject", "system_columns")


def test_unknown_study_for_synth(tmp_path):
    result = cdisc("synth", "--study", "sial", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert_clean_failure(result, 2, "sial", "sail", "pmsc-cli")
    assert not (tmp_path / "x").exists()


def test_output_folder_that_is_a_file(tmp_path):
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    result = cdisc("build", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_clean_failure(result, 2, "is a file, not a folder")
