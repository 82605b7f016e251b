"""Export detection and read_export: which reader a path needs, and what is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cdisc.errors import InputError, UsageError
from cdisc.readers import detect_kind, read_export


def test_real_folders_are_detected(exports: Path) -> None:
    # REDCap folders also hold REDCap's project.xml: the dictionary decides.
    for folder in sorted((exports / "redcap").iterdir()):
        if folder.is_dir():
            assert detect_kind(folder) == "redcap", folder
    assert detect_kind(exports / "redcap/longitudinal/project.xml") == "odm"
    assert detect_kind(exports / "rave-style") == "rave"


def test_read_export_dispatches_and_passes_options(exports: Path, tmp_path: Path) -> None:
    assert read_export(exports / "rave-style", forms=["cm_raw_data"]).kind == "rave"
    assert read_export(exports / "redcap/checkboxes-1").kind == "redcap"
    odm = read_export(exports / "redcap/checkboxes-1", kind="odm")
    assert odm.kind == "odm" and "Form 2" in odm.forms
    single = tmp_path / "odm"
    single.mkdir()
    shutil.copy(exports / "redcap/repeating-instruments/project.xml", single / "export.xml")
    assert detect_kind(single) == "odm"
    assert set(read_export(single).forms) == {"demographics", "bp"}


def test_dictionary_is_found_whatever_its_name_and_subfolders_are_ignored(
    exports: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "study"
    (folder / "ground_truth").mkdir(parents=True)
    source = exports / "redcap/repeating-instruments"
    shutil.copy(source / "dictionary.csv", folder / "MyProject_DataDictionary_2024-01-01.csv")
    shutil.copy(source / "data.csv", folder / "MyProject_DATA_2024-01-01.csv")
    shutil.copy(source / "dictionary.csv", folder / "ground_truth" / "dictionary.csv")
    assert detect_kind(folder) == "redcap"
    export = read_export(folder)
    assert export.forms["bp"]["_file"].unique().tolist() == ["MyProject_DATA_2024-01-01.csv"]
    rave = tmp_path / "rave"
    (rave / "ground_truth").mkdir(parents=True)
    shutil.copy(source / "dictionary.csv", rave / "ground_truth" / "dictionary.csv")
    (rave / "dm.csv").write_text("Subject,SEX\n1,F\n")
    assert detect_kind(rave) == "rave"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "no such file or folder"),
        (lambda tmp: tmp, "empty folder"),
        (lambda tmp: _file(tmp / "notes.txt", "hello"), r"a \.txt file is not an export"),
        (lambda tmp: _file(tmp / "x" / "README.md", "hello").parent, "no export files"),
        (lambda tmp: _two_xml(tmp), "2 .xml files"),
    ],
)
def test_unknown_inputs_name_path_and_expectation(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError, match=message) as info:
        read_export(path)
    assert info.value.path == str(path)
    assert info.value.hint


def test_bad_kind_or_option_is_a_usage_error(exports: Path) -> None:
    with pytest.raises(UsageError, match="unknown export kind"):
        read_export(exports / "rave-style", kind="sas")
    with pytest.raises(UsageError, match="'coded_suffix' does not apply to odm"):
        read_export(exports / "redcap/simple/project.xml", coded_suffix="_COD")
    assert UsageError("x").exit_code == 2


def _file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _two_xml(tmp: Path) -> Path:
    _file(tmp / "a.xml", "<a/>")
    _file(tmp / "b.xml", "<b/>")
    return tmp
