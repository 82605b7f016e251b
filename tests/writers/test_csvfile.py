"""write_csv: the bytes of DataFrame.to_csv(path, index=False), the reference it stands in
for, on every kind of column and cell the build's CSV files hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.writers import csvfile
from cdisc.writers.csvfile import write_csv


def same_bytes(frame: pd.DataFrame, tmp_path) -> bytes:
    ours, theirs = tmp_path / "ours.csv", tmp_path / "pandas.csv"
    write_csv(frame, ours)
    frame.to_csv(theirs, index=False)
    assert ours.read_bytes() == theirs.read_bytes()
    return ours.read_bytes()


def test_text_that_needs_quoting_is_quoted_as_the_csv_module_does(tmp_path):
    text = ["plain", 'say "hi"', "a,b", "two\nlines", "cr\ronly", "", None, "naïve", " pad "]
    frame = pd.DataFrame({"TEXT": text * 3, "SAME": ["x"] * 27})
    written = same_bytes(frame, tmp_path)
    # counted by hand: header, then the first nine rows as the csv module quotes them
    assert written.decode().split("\n")[:10] == [
        "TEXT,SAME",
        "plain,x",
        '"say ""hi""",x',
        '"a,b",x',
        '"two',
        'lines",x',
        "cr\ronly,x",
        ",x",
        ",x",
        "naïve,x",
    ]


def test_floats_are_written_as_pandas_formats_them(tmp_path):
    numbers = [1.0, 2.5, np.nan, 0.1, -0.0, 0.0, 1e16, 123456789012.0, 1 / 3, -7.25e-5]
    written = same_bytes(pd.DataFrame({"SEQ": numbers, "N": numbers[::-1]}), tmp_path)
    assert written.decode().splitlines()[1:4] == [
        "1.0,-7.25e-05",
        "2.5,0.3333333333333333",
        ",123456789012.0",
    ]


def test_string_dtype_missing_columns_and_empty_frames(tmp_path):
    frame = pd.DataFrame(
        {
            "REC": pd.Series(["1", None, "3"], dtype="str"),
            "EXT": pd.Series(["a", pd.NA, "b,c"], dtype="string"),
            "NONE": pd.Series([None, None, None], dtype=object),
        }
    )
    assert same_bytes(frame, tmp_path).decode() == 'REC,EXT,NONE\n1,a,\n,,\n3,"b,c",\n'
    assert same_bytes(frame.iloc[:0], tmp_path) == b"REC,EXT,NONE\n"


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1, 2, 3]),
        pd.Series([True, False, True]),
        pd.Series(["a", 5, None], dtype=object),
        pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-03"])),
    ],
)
def test_other_columns_are_left_to_to_csv(tmp_path, column):
    same_bytes(pd.DataFrame({"TEXT": ["x", "y,z", None], "OTHER": column}), tmp_path)


def test_rows_are_written_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 2)
    frame = pd.DataFrame({"A": ["a", "b", "c", "d", "e"], "B": [1.0, 2.0, 3.0, 4.0, 5.0]})
    assert same_bytes(frame, tmp_path).decode().count("\n") == 6
