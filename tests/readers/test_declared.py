"""read_declared: the forms and fields of an export from its metadata alone.

The reference is the full read: ``sdtm.specs.declared_fields(read_export(...))`` on the
bundled exports, a synthetic Rave export (as CSV, XPT and XLSX) and the real exports. That
no record is read is shown by exports whose records are broken: the full reader refuses
them, the metadata-only one does not notice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pyreadstat
import pytest

from cdisc.errors import InputError, UsageError
from cdisc.readers import LINEAGE_COLUMNS, read_declared, read_export
from cdisc.readers.declared import read_header
from cdisc.study import load_study
from cdisc.synth import synthesize
from sdtm.specs import declared_fields

REAL_REDCAP = [
    "arm-single-longitudinal",
    "blank-for-gray-status",
    "checkboxes-1",
    "clinical-trial-1",
    "longitudinal",
    "potentially-problematic-values",
    "repeating-instruments",
    "repeating-instruments-sparse",
    "simple",
    "survey",
    "validation-types-1",
]


@pytest.fixture(scope="module")
def rave_csv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("rave") / "raw"
    synthesize("sail", folder, fmt="rave", subjects=4)
    return folder


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_bundled_exports_declare_what_the_full_read_finds(study: str) -> None:
    source = load_study(study).source
    if not source.path.exists():
        pytest.skip(f"bundled export of {study} not present")
    full = declared_fields(read_export(source.path, kind=source.format, **source.options))
    assert read_declared(source.path, kind=source.format, **source.options) == full


def test_rave_csv_export_declares_what_the_full_read_finds(rave_csv: Path) -> None:
    declared = read_declared(rave_csv)
    assert declared == declared_fields(read_export(rave_csv))
    # The synthetic Rave export has one file per form: the forms are the file stems.
    assert set(declared) == {p.stem for p in rave_csv.glob("*.csv")}


@pytest.mark.parametrize("extension", ["xpt", "xlsx"])
def test_rave_xpt_and_xlsx_declare_what_the_full_read_finds(
    rave_csv: Path, tmp_path: Path, extension: str
) -> None:
    for form in ("vs", "ae", "dm"):
        frame = read_export(rave_csv, forms=[form]).forms[form].iloc[:, len(LINEAGE_COLUMNS) :]
        if extension == "xpt":
            pyreadstat.write_xport(frame, str(tmp_path / f"{form}.xpt"))
        else:
            frame.to_excel(tmp_path / f"{form}.xlsx", index=False, engine="openpyxl")
    assert read_declared(tmp_path) == declared_fields(read_export(tmp_path))


@pytest.mark.parametrize("project", REAL_REDCAP)
def test_real_redcap_exports_declare_what_the_full_read_finds(exports: Path, project) -> None:
    folder = exports / "redcap" / project
    assert read_declared(folder) == declared_fields(read_export(folder))
    for odm in sorted(folder.glob("*.xml")):
        assert read_declared(odm) == declared_fields(read_export(odm)), odm


def test_real_rave_style_csvs_declare_what_the_full_read_finds(exports: Path) -> None:
    folder = exports / "rave-style"
    assert read_declared(folder) == declared_fields(read_export(folder))


def test_odm_clinical_data_is_never_parsed(exports: Path, tmp_path: Path) -> None:
    # The file is cut in the middle of its ClinicalData: the full reader refuses it as
    # truncated, the metadata read stops at the ClinicalData start tag and never sees it.
    text = (exports / "redcap/longitudinal/project.xml").read_text(encoding="utf-8")
    clinical = text.index("<ClinicalData")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: clinical + (len(text) - clinical) // 2], encoding="utf-8")
    with pytest.raises(InputError, match="not well-formed"):
        read_export(cut)
    assert read_declared(cut) == declared_fields(
        read_export(exports / "redcap/longitudinal/project.xml")
    )


def test_odm_safety_settings_apply(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE ODM [<!ENTITY x "y">]>\n<ODM/>\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="DOCTYPE") as info:
        read_declared(path)
    assert info.value.location == "line 2"


def test_redcap_and_rave_records_are_never_parsed(exports: Path, tmp_path: Path) -> None:
    # A ragged data row after the header: the full readers refuse it, the header is fine.
    redcap = tmp_path / "redcap"
    shutil.copytree(exports / "redcap/checkboxes-1", redcap)
    with (redcap / "data.csv").open("a", encoding="utf-8") as handle:
        handle.write("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22\n")
    with pytest.raises(InputError, match="fields but the header has"):
        read_export(redcap)
    assert read_declared(redcap) == declared_fields(read_export(exports / "redcap/checkboxes-1"))
    rave = tmp_path / "rave"
    rave.mkdir()
    source = exports / "rave-style" / "cm_raw_data.csv"
    header = source.read_text(encoding="utf-8").splitlines()[0].split(",")
    ragged = ",".join(["1"] * (len(header) + 3)) + "\n"
    (rave / "cm.csv").write_bytes(source.read_bytes() + ragged.encode())
    with pytest.raises(InputError, match="fields but the header has"):
        read_export(rave)
    assert read_declared(rave)["cm"] == set(header) | set(LINEAGE_COLUMNS)


def test_csv_header_with_quoted_line_break_bom_and_fallback_encoding(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'\xef\xbb\xbfSubject,"two\r\nlines","say ""hi""",caf\xc3\xa9\r\n1,2,3,4\r\n')
    assert read_header(path) == ["Subject", "two\r\nlines", 'say "hi"', "caf\u00e9"]
    path.write_bytes(b"Subject,caf\xe9\n1,2\n")  # windows-1252, as the full reader falls back to
    assert read_header(path) == ["Subject", "caf\u00e9"]
    path.write_bytes(b"Subject,A,A\n1,2,3\n")
    with pytest.raises(InputError, match="repeats the column name") as info:
        read_header(path)
    assert info.value.location == "line 1, column 3"


def test_options_are_checked_as_read_export_checks_them(tmp_path: Path, rave_csv: Path) -> None:
    with pytest.raises(UsageError, match="does not apply to rave"):
        read_declared(rave_csv, dictionary="x.csv")
    with pytest.raises(UsageError, match="unknown export kind"):
        read_declared(rave_csv, kind="sas")
    assert set(read_declared(rave_csv, forms=["VS", "ae"])) == {"vs", "ae"}
    with pytest.raises(UsageError, match="no file for form"):
        read_declared(rave_csv, forms=["nope"])


def test_rave_file_without_subject_column_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["PATIENT", "VSORRES"])
    book.active.append(["1", "2"])
    book.save(tmp_path / "vs.xlsx")
    with pytest.raises(InputError, match="no subject column"):
        read_declared(tmp_path)
    with pytest.raises(InputError, match="no subject column"):
        read_export(tmp_path)
