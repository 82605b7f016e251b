"""The numpy XPT reader (cdisc.validation.xptread) against pyreadstat, the reader it stands in
for: each test writes a file, reads it both ways, and wants the same frame, metadata and note.
Expected values come from pyreadstat (an independent reader of the same bytes) or from the
bytes written by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc.validation import xptread
from cdisc.validation.package import _read_xpt, _read_xpt_pyreadstat
from cdisc.validation.xptread import Layout, factorize_words, ibm_to_float, read_observations

_OBS = (
    b"HEADER RECORD*******OBS     HEADER RECORD",
    b"HEADER RECORD*******OBSV8   HEADER RECORD",
)


def _write(path: Path, frame: pd.DataFrame, name: str = "AE", version: int = 5) -> Path:
    pyreadstat.write_xport(
        frame, str(path), table_name=name, file_label=f"{name} data", file_format_version=version
    )
    return path


def _same(path: Path):
    """Read ``path`` both ways, assert the results are identical, return the fast one."""
    frame, meta, note, distinct = _read_xpt(path)
    expected, expected_meta, expected_note = _read_xpt_pyreadstat(path)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert list(frame.dtypes) == list(expected.dtypes)
    assert meta == expected_meta and note == expected_note
    return frame, distinct


def _observations(path: Path) -> int:
    """Byte offset of the first observation: the card after the OBS header (v5 or v8)."""
    data = path.read_bytes()
    return max(data.find(header) for header in _OBS) + 80


def test_text_and_numbers_read_as_pyreadstat_reads_them(tmp_path):
    frame = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-2", None, "S-1", "  lead", "trail\t", "ünïcode", ""],
            "AETERM": ["x" * 200, "short", "x" * 199 + "y", "short", None, "a", "b", "c"],
            "AVAL": [1.0, -2.5, np.nan, 1e-30, 3.0, 0.1, 1e30, 0.0],
        }
    )
    read, distinct = _same(_write(tmp_path / "ae.xpt", frame))
    # written values come back (blanks as None, trailing whitespace stripped)
    assert read["USUBJID"].tolist() == [
        "S-1",
        "S-2",
        None,
        "S-1",
        "  lead",
        "trail",
        "ünïcode",
        None,
    ]
    # the distinct values the reader hands on are pandas.factorize's of the column
    for column, (codes, uniques) in distinct.items():
        want_codes, want_uniques = pd.factorize(read[column])
        assert codes.tolist() == want_codes.tolist()
        assert uniques.tolist() == list(want_uniques)
    assert set(distinct) == {"USUBJID", "AETERM"}


def test_numbers_are_converted_bit_for_bit(tmp_path):
    """Random IBM bit patterns (and the special ones: missing, tagged missing, zero, negative
    zero, infinity, an unnormalised fraction) patched into the observations."""
    count = 4000
    numbers = pd.DataFrame({"LBSTRESN": np.arange(count, dtype=float)})
    path = _write(tmp_path / "lb.xpt", numbers, "LB")
    data = bytearray(path.read_bytes())
    start = _observations(path)
    rng = np.random.default_rng(6)
    patterns = rng.integers(0, 256, size=(count, 8), dtype=np.uint8)
    specials = [
        b".\0\0\0\0\0\0\0",
        b"A\0\0\0\0\0\0\0",
        b"_\0\0\0\0\0\0\0",
        b"\0\0\0\0\0\0\0\0",
        b"\x80\0\0\0\0\0\0\0",
        b"\x7f\xff\xff\xff\xff\xff\xff\xff",
        b"\xff\xff\xff\xff\xff\xff\xff\xff",
        b"\x41\x01\x23\x45\x67\x89\xab\xcd",  # leading hexadecimal digit 0
        b"\x41\x10\0\0\0\0\0\0",  # 1.0, also the last record: not blank
    ]
    for i, special in enumerate(specials):
        patterns[count - len(specials) + i] = np.frombuffer(special, dtype=np.uint8)
    data[start : start + 8 * count] = patterns.tobytes()
    path.write_bytes(bytes(data))
    read, _ = _same(path)
    values = read["LBSTRESN"].to_numpy()
    assert values[-1] == 1.0 and np.isnan(values[-9:-6]).all() and values[-6] == 0.0


@pytest.mark.parametrize("width", [2, 3, 5, 7])
def test_a_narrow_number_is_its_bytes_followed_by_zeros(width):
    rng = np.random.default_rng(width)
    field = rng.integers(0, 256, size=(2000, 8), dtype=np.uint8)
    padded = field.copy()
    padded[:, width:] = 0
    got, want = ibm_to_float(field[:, :width]), ibm_to_float(padded)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[~np.isnan(got)], want[~np.isnan(want)])


@pytest.mark.parametrize("version", [5, 8])  # v8: pyreadstat itself reads it
def test_trailing_blank_records_are_dropped_as_pyreadstat_drops_them(tmp_path, version):
    """Records 2, 4 and 5 made all blank: the last two are the padding ReadStat drops."""
    frame = pd.DataFrame({"A": ["x", "q", "y", "r", "s"], "B": ["1", "9", "2", "8", "7"]})
    path = _write(tmp_path / "xx.xpt", frame, "XX", version)
    data = bytearray(path.read_bytes())
    start = _observations(path)
    for record in (1, 3, 4):  # records of 2 bytes: A then B
        data[start + 2 * record : start + 2 * record + 2] = b"  "
    path.write_bytes(bytes(data))
    read, distinct = _same(path)
    if version == 5:
        assert read["A"].tolist() == ["x", None, "y"]  # the blank record between is kept
        assert set(distinct) == {"A", "B"}  # read by xptread
    else:
        assert distinct == {}  # left to pyreadstat, which reads the count in OBSV8


def test_windows_1252_text_is_read_and_noted(tmp_path):
    path = _write(tmp_path / "AE.XPT", pd.DataFrame({"AETERM": ["CAFE", "TEA"]}))
    path.write_bytes(path.read_bytes().replace(b"CAFE", b"CAF\xc9"))  # 0xC9 is É in cp1252
    read, _ = _same(path)
    assert read["AETERM"].tolist() == ["CAFÉ", "TEA"]
    assert _read_xpt(path)[2] == "AE.XPT: text is not UTF-8; read as windows-1252"


def test_a_nul_inside_a_value_is_left_to_pyreadstat(tmp_path):
    path = _write(tmp_path / "ae.xpt", pd.DataFrame({"AETERM": ["ABCD", "EFGH"]}))
    path.write_bytes(path.read_bytes().replace(b"ABCD", b"AB\0D"))
    _, info = pyreadstat.read_xport(str(path), metadataonly=True)
    layout = Layout(("AETERM",), (info.variable_storage_width["AETERM"],), (False,))
    assert read_observations(path, layout, "utf-8") is None
    read, distinct = _same(path)  # the package reader falls back to pyreadstat
    assert read["AETERM"].tolist() == ["AB", "EFGH"] and distinct == {}


def test_words_that_mix_to_one_key_get_different_codes():
    """Two different pairs of words with the same mixed key (w0 * M + w1 modulo 2**64)."""
    mix = int(xptread._MIX[0])
    first = np.array([5, 6, 5], dtype=np.uint64)
    second = np.array([7, (7 - mix) % 2**64, 7], dtype=np.uint64)
    assert (first * np.uint64(mix) + second)[0] == (first * np.uint64(mix) + second)[1]
    codes, firsts = factorize_words([first, second])
    assert codes.tolist() == [0, 1, 0] and firsts.tolist() == [0, 1]


def test_every_xpt_of_the_demo_packages_reads_as_with_pyreadstat(built):
    _study, _raw, folder, _result, _report = built
    paths = sorted(folder.rglob("*.xpt"))
    assert paths
    for path in paths:
        _same(path)


def test_a_dataset_with_no_records_reads_as_an_empty_frame(tmp_path):
    # A wide record and no observations: a field's offset lies past the end of the file, so
    # a strided view over the records must not be made (it raised ValueError before).
    empty = pd.DataFrame({"STUDYID": pd.Series(dtype=str), "AETERM": pd.Series(dtype=str)})
    empty["AESEQ"] = pd.Series(dtype=float)
    frame, _ = _same(_write(tmp_path / "ae.xpt", empty))
    assert len(frame) == 0 and list(frame.columns) == ["STUDYID", "AETERM", "AESEQ"]
