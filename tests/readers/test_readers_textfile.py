"""CSV text handling shared by every CSV reader: encodings, quoting, ragged rows, empties."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdisc.errors import InputError, UsageError
from cdisc.readers.textfile import read_csv_frame, strip_eof_trailer


def write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bom_crlf_embedded_newlines_and_sentinels_kept(tmp_path: Path) -> None:
    data = '\ufeffid,txt,code\r\n1,"a\r\nb",NA\r\n2, padded ,N/A\r\n3,,NULL\r\n'.encode()
    path = write(tmp_path, data)
    table = read_csv_frame(path)
    frame = table.frame
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert frame["txt"].tolist()[:2] == ["a\r\nb", " padded "]
    assert pd.isna(frame["txt"].tolist()[2])
    assert frame["code"].tolist() == ["NA", "N/A", "NULL"]
    assert table.notes == [f"{path}: UTF-8 byte-order mark removed"]
    assert all(str(dtype) == "str" for dtype in frame.dtypes)


def test_cp1252_fallback_note_and_forced_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "id,unit\n1,mg\n2,\xb5g/L\n".encode("cp1252"))
    table = read_csv_frame(path)
    assert table.frame["unit"].tolist() == ["mg", "µg/L"]
    assert table.notes == [
        f"{path}: not UTF-8 (first bad byte at line 3, byte offset 15); read as windows-1252"
    ]
    assert read_csv_frame(path, encoding="latin-1").notes == []
    with pytest.raises(InputError, match="not valid utf-8") as info:
        read_csv_frame(path, encoding="utf-8")
    assert info.value.location == "line 3, byte offset 15"
    with pytest.raises(UsageError, match="unknown encoding"):
        read_csv_frame(path, encoding="klingon")


def test_ragged_row_names_its_physical_line(tmp_path: Path) -> None:
    path = write(tmp_path, b'a,b\n1,"x\ny"\n2,3,4\n')
    with pytest.raises(InputError) as info:
        read_csv_frame(path)
    error = info.value
    assert error.path == str(path)
    assert error.location == "line 4"
    assert "data row 2 has 3 fields but the header has 2" in error.message


@pytest.mark.parametrize(
    ("data", "message", "location"),
    [
        (b"", "empty file", "line 1"),
        (b"\n\n  \n", "empty file", "line 1"),
        (b'"a","b"\r\n', "header only", "line 2"),
        (b"a,a\n1,2\n", "repeats the column name 'a'", "line 1, column 2"),
        (b"a,,c\n1,2,3\n", "column 2 has no name", "line 1, column 2"),
    ],
)
def test_refused_files(tmp_path: Path, data: bytes, message: str, location: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(InputError, match=message) as info:
        read_csv_frame(path)
    assert info.value.path == str(path)
    assert info.value.location == location


def test_strip_eof_trailer() -> None:
    assert strip_eof_trailer("a,b\r\n1,2\r\nEOF\r\n") == ("a,b\r\n1,2\r\n", True)
    assert strip_eof_trailer("a,b\n1,2\nEOF") == ("a,b\n1,2\n", True)
    assert strip_eof_trailer('a,b\n1,"x\nEOF"\n')[1] is False
    assert strip_eof_trailer("a,b\n1,EOF\n")[1] is False
    assert strip_eof_trailer("EOF\n")[1] is False


@pytest.mark.parametrize("every", [7, 40_000])
def test_a_large_file_reads_as_the_csv_module_reads_it(tmp_path: Path, every: int) -> None:
    # Over 5 MB, so pandas reads the file itself in parallel chunks (it parses serially when
    # a chunk boundary falls inside a quoted line break, as it will with one every 7 rows):
    # quoted line breaks, quotes, blanks, sentinels and the EOF trailer must come out
    # exactly as the csv module parses the same text.
    import csv
    import io

    cells = ['"say ""hi"""', "", " ", "NA", "x,y".join('""'), "plain", "é"]
    lines = ["Subject,A,B"]
    for row in range(150_000):
        first = '"a\nb"' if row % every == every - 1 else cells[row % 7]
        lines.append(f"{row:06d},{first},{cells[(row * 3 + 1) % 7]}{'z' * (row % 41)}")
    text = "\r\n".join(lines) + "\r\nEOF\r\n"
    path = write(tmp_path, text.encode("utf-8"))
    assert path.stat().st_size > 5 * 1024 * 1024
    table = read_csv_frame(path, strip_eof=True)
    rows = list(csv.reader(io.StringIO(text.removesuffix("EOF\r\n"), newline="")))
    assert list(table.frame.columns) == rows[0]
    assert table.frame.shape == (150_000, 3)
    for number, name in enumerate(rows[0]):
        got = [None if pd.isna(v) else v for v in table.frame[name].tolist()]
        assert got == [row[number] or None for row in rows[1:]], name
    assert table.notes == [f"{path}: trailing EOF line removed"]
