"""Rave-style per-form reader: the real sdtm.oak raw CSVs, XPT/XLSX round trips, bad files."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from cdisc.errors import InputError, UsageError
from cdisc.readers import LINEAGE_COLUMNS, read_rave
from cdisc.readers.rave import group_fields


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    return rows[0], rows[1:]


@pytest.fixture
def rave_folder(exports: Path) -> Path:
    return exports / "rave-style"


@pytest.mark.parametrize(
    ("form", "subject", "event", "site", "repeat"),
    [
        ("cm_raw_data", "PATNUM", "FOLDER", "SITENM", "RECPOS"),
        ("vitals_raw_data", "PATNUM", "INSTANCE", "SITENM", "RECPOS"),
    ],
)
def test_real_csvs_counts_and_lineage(
    rave_folder: Path, form: str, subject: str, event: str, site: str, repeat: str
) -> None:
    export = read_rave(rave_folder)
    header, rows = csv_rows(rave_folder / f"{form}.csv")
    frame = export.forms[form]
    summary = export.summary().set_index("form")
    assert summary.loc[form, "records"] == len(rows)
    assert summary.loc[form, "subjects"] == len({r[header.index(subject)] for r in rows})
    assert list(frame.columns) == [*LINEAGE_COLUMNS, *header]
    assert frame["_record"].tolist() == [str(i) for i in range(1, len(rows) + 1)]
    for lineage, column in [("_subject", subject), ("_event", event), ("_site", site)]:
        assert frame[lineage].tolist() == [r[header.index(column)] for r in rows]
    assert frame["_repeat"].tolist() == [r[header.index(repeat)] for r in rows]
    assert all(str(dtype) == "str" for dtype in frame.dtypes)


def test_real_cm_values_kept_verbatim(rave_folder: Path) -> None:
    cm = read_rave(rave_folder, forms=["CM_RAW_DATA"]).forms["cm_raw_data"]
    assert list(read_rave(rave_folder, forms=["cm_raw_data"]).forms) == ["cm_raw_data"]
    # Record 12 (PATNUM 379, RECPOS 3): a single space in MDFRQ and MDPROPH, a partial date.
    row = cm.iloc[11]
    assert (row["PATNUM"], row["RECPOS"]) == ("379", "3")
    assert row["MDFRQ"] == " " and row["MDPROPH"] == " "
    assert row["MDBDR"] == "10 UNK 2020"
    assert cm["MDRAW"].tolist()[4] == "PARCETEMOL"  # misspelling kept
    assert pd.isna(cm.iloc[0]["MDBDR"])  # empty cell: missing
    fields = [f.name for f in read_rave(rave_folder).fields["cm_raw_data"]]
    assert "MDNUM" in fields and "MDNUM_RAW" not in fields  # twin folded into its base


def test_real_vitals_crlf_and_not_done_row(rave_folder: Path) -> None:
    vs = read_rave(rave_folder).forms["vitals_raw_data"]
    assert vs["NEWS107"].tolist()[0] == "UNRESPONSIVE"  # no stray \r from CRLF
    assert vs["TEMP"].tolist()[2] == "29.45"
    not_done = vs.iloc[3]
    assert not_done["ASMNTDN"] == "1" and pd.isna(not_done["SYS_BP"])


VS_ROWS = [
    ["SUBJECT", "SiteNumber", "FolderName", "recordposition", "VSDAT", "VSDAT_RAW", "WEIGHT_KG"],
    ["001", "01", "Screening", "1", "2013-02-01", "2013 Feb 01", "70.5"],
    ["002", "01", "Week 1", "2", "2013-02-08", "08 Feb 2013", "80"],
]


def reference_frame(tmp_path: Path) -> pd.DataFrame:
    folder = tmp_path / "csv"
    folder.mkdir()
    with open(folder / "vs.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(VS_ROWS)
    return read_rave(folder).forms["vs"]


def test_xpt_round_trip(tmp_path: Path) -> None:
    expected = reference_frame(tmp_path)
    folder = tmp_path / "xpt"
    folder.mkdir()
    header, *rows = VS_ROWS
    frame = pd.DataFrame(rows, columns=header)
    frame["WEIGHT_KG"] = frame["WEIGHT_KG"].astype(float)  # numeric in SAS: 70.5 and 80.0
    frame["VSDAT"] = [dt.date(2013, 2, 1), dt.date(2013, 2, 8)]  # a SAS date
    labels = ["Subject", "Site", "Folder", "Position", "Date", "Date as typed", "Weight"]
    pyreadstat.write_xport(frame, str(folder / "VS.xpt"), column_labels=labels)
    export = read_rave(folder)
    got = export.forms["vs"]
    pd.testing.assert_frame_equal(got.drop(columns="_file"), expected.drop(columns="_file"))
    assert got["_file"].unique().tolist() == ["VS.xpt"]
    fields = {f.name: f for f in export.fields["vs"]}
    assert fields["WEIGHT_KG"].label == "Weight" and fields["WEIGHT_KG"].datatype == "float"
    assert fields["VSDAT"].label == "Date"
    assert "VSDAT_RAW" not in fields


def test_sas_encoding_option_reaches_readstat(tmp_path: Path) -> None:
    pyreadstat.write_xport(
        pd.DataFrame({"Subject": ["1"], "UNIT": ["\u00b5g/L"]}), str(tmp_path / "lb.xpt")
    )
    assert read_rave(tmp_path).forms["lb"]["UNIT"].tolist() == ["\u00b5g/L"]
    # The UTF-8 bytes of "µ" read as Latin-1 are two characters: the option was applied.
    assert read_rave(tmp_path, encoding="latin-1").forms["lb"]["UNIT"].tolist() == [
        "\u00c2\u00b5g/L"
    ]
    with pytest.raises(UsageError, match="unknown encoding"):
        read_rave(tmp_path, encoding="klingon")


def test_xlsx_round_trip(tmp_path: Path) -> None:
    expected = reference_frame(tmp_path)
    folder = tmp_path / "xlsx"
    folder.mkdir()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(VS_ROWS[0])
    for row in VS_ROWS[1:]:
        cells = list(row)
        cells[4] = dt.datetime.fromisoformat(cells[4])  # Excel stores dates as datetimes
        cells[6] = float(cells[6])
        sheet.append(cells)
    workbook.create_sheet("notes").append(["ignored: only the first sheet is read"])
    workbook.save(folder / "Vs.xlsx")
    got = read_rave(folder).forms["vs"]
    pd.testing.assert_frame_equal(got.drop(columns="_file"), expected.drop(columns="_file"))


def test_eof_trailer_stripped_only_when_it_is_a_trailer(tmp_path: Path) -> None:
    folder = tmp_path / "eof"
    folder.mkdir()
    (folder / "ae.csv").write_text("Subject,AETERM\r\n001,HEADACHE\r\n002,EOF\r\nEOF\r\n")
    (folder / "cm.csv").write_text('Subject,CMTRT\n001,"ASPIRIN\nEOF"\n')
    (folder / "dm.csv").write_text("Subject,SEX\n001,F\nEOF,M\n")
    export = read_rave(folder)
    assert export.forms["ae"]["AETERM"].tolist() == ["HEADACHE", "EOF"]
    assert export.forms["cm"]["CMTRT"].tolist() == ["ASPIRIN\nEOF"]
    assert export.forms["dm"]["_subject"].tolist() == ["001", "EOF"]
    assert [n for n in export.notes if "EOF" in n] == [
        f"{folder / 'ae.csv'}: trailing EOF line removed"
    ]


def test_system_column_synonyms_and_suffix_grouping(tmp_path: Path) -> None:
    folder = tmp_path / "syn"
    folder.mkdir()
    (folder / "ae.csv").write_text(
        "USUBJID,InstanceName,AESTDAT,AESTDAT_RAW,AESTDAT_YY,AESTDAT_MM,AESTDAT_DD,AESER,AESER_COD\n"
        "S-1,Week 2,2020-01-31,31 Jan 2020,2020,1,31,Yes,Y\n"
    )
    export = read_rave(folder, system_columns={"subject": "USUBJID"}, coded_suffix="_COD")
    ae = export.forms["ae"]
    assert ae[["_subject", "_event", "_site", "_repeat"]].iloc[0].tolist()[:2] == ["S-1", "Week 2"]
    assert ae[["_site", "_repeat"]].isna().all().all()
    fields = {f.name: f for f in export.fields["ae"]}
    assert list(fields) == ["USUBJID", "InstanceName", "AESTDAT", "AESER"]
    assert fields["AESTDAT"].datatype == "date"


def test_group_fields_without_base_column() -> None:
    names = [f.name for f in group_fields(["LBDAT_YYYY", "LBDAT_MM", "LBDAT_DD", "DOSE_MM"])]
    assert names == ["LBDAT", "DOSE_MM"]


# -- refused input ---------------------------------------------------------------------------


def test_missing_subject_column_names_file_columns_and_hint(tmp_path: Path) -> None:
    folder = tmp_path / "nosubj"
    folder.mkdir()
    (folder / "vs.csv").write_text("USUBJID,VSORRES\nS-1,120\n")
    with pytest.raises(InputError) as info:
        read_rave(folder)
    error = info.value
    assert error.exit_code == 1
    assert error.path == str(folder / "vs.csv")
    assert "columns found: USUBJID, VSORRES" in error.message
    assert 'system_columns={"subject": [...]}' in error.hint


@pytest.mark.parametrize("extension", [".xpt", ".sas7bdat", ".xlsx"])
def test_html_page_named_as_a_dataset_is_refused(tmp_path: Path, extension: str) -> None:
    # SAS7BDAT cannot be written by pyreadstat, so that branch is only tested on bad input.
    folder = tmp_path / "html"
    folder.mkdir()
    path = folder / f"vs{extension}"
    path.write_text("<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>")
    with pytest.raises(InputError, match="the file holds an HTML page") as info:
        read_rave(folder)
    assert info.value.path == str(path)
    assert info.value.location == "line 1"
    assert info.value.hint.startswith("export the form again as ")


def test_a_binary_file_the_signature_check_does_not_know_is_left_to_the_reader(tmp_path):
    folder = tmp_path / "binary"
    folder.mkdir()
    (folder / "vs.xpt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="not a readable SAS transport") as info:
        read_rave(folder)
    assert info.value.path == str(folder / "vs.xpt")


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "vs.csv").write_bytes(b"")
    with pytest.raises(InputError, match="empty file") as info:
        read_rave(folder)
    assert info.value.path == str(folder / "vs.csv") and info.value.location == "line 1"
    (folder / "vs.csv").write_text("Subject,VSORRES\r\n")
    with pytest.raises(InputError, match="header only") as info:
        read_rave(folder)
    assert info.value.location == "line 2"
    (folder / "vs.csv").unlink()
    (folder / "vs.xpt").write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        read_rave(folder)


def test_folder_problems_and_bad_arguments(tmp_path: Path, rave_folder: Path) -> None:
    with pytest.raises(InputError, match="folder not found"):
        read_rave(tmp_path / "missing")
    with pytest.raises(InputError, match="no per-form"):
        read_rave(tmp_path)
    with pytest.raises(UsageError, match="unknown system column 'visit'"):
        read_rave(rave_folder, system_columns={"visit": ["FOLDER"]})
    with pytest.raises(UsageError, match="ae"):
        read_rave(rave_folder, forms=["ae"])
    with pytest.raises(UsageError):
        read_rave(rave_folder, coded_suffix="")
    twice = tmp_path / "twice"
    twice.mkdir()
    shutil.copy(rave_folder / "cm_raw_data.csv", twice / "cm.csv")
    (twice / "CM.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match="two files for form 'cm'"):
        read_rave(twice)


def test_xlsx_formulas_are_never_evaluated_and_are_noted(tmp_path: Path) -> None:
    # B2 is a formula the writer saved without a value; B3 is text that merely starts with
    # "=", which must stay text (and become a formula nowhere downstream).
    folder = tmp_path / "formulas"
    folder.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Subject", "VSORRES"])
    sheet.append(["01-001", "=1+1"])
    sheet.append(["01-002", "placeholder"])
    sheet["B3"].value = '=HYPERLINK("http://example.org")'
    sheet["B3"].data_type = "s"
    book.save(folder / "vs.xlsx")
    export = read_rave(folder)
    values = export.forms["vs"]["VSORRES"].tolist()
    assert pd.isna(values[0]) and values[1] == '=HYPERLINK("http://example.org")'
    assert export.notes == [
        f"{folder / 'vs.xlsx'}: 1 cell(s) hold a formula (first: B2); formulas are not "
        "evaluated, each is read as the value saved with it (empty if none was saved)"
    ]
