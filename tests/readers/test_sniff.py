"""A file that is not what its extension says is named for what it holds."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from cdisc.errors import InputError
from cdisc.readers.sniff import check_signature, describe


def test_real_files_pass(tmp_path) -> None:
    frame = pd.DataFrame({"Subject": ["01-001"], "VSORRES": ["120"]})
    pyreadstat.write_xport(frame, str(tmp_path / "vs.xpt"), table_name="VS")
    book = openpyxl.Workbook()
    book.active.append(["Subject", "VSORRES"])
    book.save(tmp_path / "vs.xlsx")
    for name in ("vs.xpt", "vs.xlsx"):
        check_signature(tmp_path / name)
    assert describe((tmp_path / "vs.xpt").read_bytes()[:512])[0] == ".xpt"
    assert describe((tmp_path / "vs.xlsx").read_bytes()[:512])[0] == ".xlsx"


@pytest.mark.parametrize(
    ("name", "content", "holds", "where"),
    [
        ("vs.xpt", b"Subject,VSORRES\n01-001,120\n", "text (a CSV file?) starting 'Subject,VSORRES'", "line 1"),
        ("vs.sas7bdat", b"<html><body>Not Found</body></html>", "an HTML page", "line 1"),
        ("vs.xlsx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504), "a legacy Excel .xls", "byte 1"),
        ("vs.sas7bdat", b"PK\x03\x04" + bytes(100), "a ZIP archive", "byte 1"),
        ("vs.xlsx", b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + bytes(32), "a SAS transport (XPT) file", "byte 1"),
        ("vs.xpt", b"<?xml version='1.0'?><ODM/>", "XML or other markup text", "line 1"),
    ],
)  # fmt: skip
def test_misnamed_files_are_refused_naming_what_they_hold(tmp_path, name, content, holds, where):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        check_signature(path)
    error = caught.value
    assert error.path == str(path)
    assert f": the file holds {holds}" in error.message
    assert error.location == where
    assert error.hint.startswith("export the form again as ")


def test_unknown_binary_content_and_other_extensions_are_left_to_their_readers(tmp_path):
    (tmp_path / "vs.xpt").write_bytes(bytes(range(256)))
    (tmp_path / "vs.csv").write_bytes(b"<html></html>")
    check_signature(tmp_path / "vs.xpt")
    check_signature(tmp_path / "vs.csv")


def test_a_csv_with_a_long_first_line_is_shown_shortened() -> None:
    head = io.BytesIO(b"A" * 100 + b"\n1\n").read()
    assert describe(head) == ("text", f"text (a CSV file?) starting {'A' * 57 + '...'!r}")
