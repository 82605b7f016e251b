"""write_xpt encodes observations with numpy: its files must be pyreadstat's, byte for byte."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from writers_helpers import dataset

from cdisc.writers import write_xpt, xptdata
from cdisc.writers.conform import prepare_xpt
from cdisc.writers.xpt import stamp_header, write_pyreadstat

CREATED = datetime(2024, 3, 5, 14, 7, 9)


def pyreadstat_bytes(frame, ds, tmp_path) -> bytes:
    reference = tmp_path / "reference.xpt"
    write_pyreadstat(prepare_xpt(frame, ds).frame(), ds, reference)
    stamp_header(reference, CREATED)
    return reference.read_bytes()


def numbers(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=count) * 10.0 ** rng.integers(-70, 70, size=count)
    values[rng.random(count) < 0.15] = np.nan
    values[rng.random(count) < 0.1] = 0.0
    edges = [16.0**-65, -(16.0**-65), 16.0**62, 2.0**249 * (1 - 2.0**-53), 0.1, -1 / 3, -0.0, 9e74]
    return np.concatenate([edges, values])


FRAMES = {
    "char and num": (
        dataset(),
        pd.DataFrame({"STUDYID": ["S-1", "S-1"], "USUBJID": [" lead", None], "AGE": [34, np.nan]}),
    ),
    "numbers only": (
        dataset(
            variables=(("AVAL", "Analysis Value", "float"), ("BASE", "Baseline Value", "float")),
            name="ADLB",
            label="Lab",
        ),
        pd.DataFrame({"AVAL": numbers(300, 1), "BASE": numbers(300, 2)}),
    ),
    "text only": (
        dataset(
            variables=(("COVAL", "Comment", "text"), ("IDVAR", "Identifying Variable", "text")),
            name="CO",
            label="Comments",
        ),
        pd.DataFrame(
            {
                "COVAL": ["x" * 200, "", None, "  indented", "tail"],
                "IDVAR": ["A", "B", "", None, "AESEQ"],
            }
        ),
    ),
    "formats": (
        dataset(
            variables=(
                ("TRTSDT", "Date of First Exposure", "integer", {"display_format": "DATE9."}),
                ("AVALC", "Analysis Value (C)", "text", {"display_format": "$CHAR8."}),
                ("AVAL", "Analysis Value", "float", {"display_format": "8.2"}),
            ),
            name="ADQS",
            label="Questionnaire Analysis",
        ),
        pd.DataFrame({"TRTSDT": [21915.0, np.nan], "AVALC": ["12", "NE"], "AVAL": [12.0, np.nan]}),
    ),
    "empty": (dataset(), pd.DataFrame({"STUDYID": [], "USUBJID": [], "AGE": []})),
}


@pytest.mark.parametrize("case", list(FRAMES))
def test_files_are_byte_identical_to_pyreadstat(tmp_path, case):
    ds, frame = FRAMES[case]
    written = write_xpt(frame, ds, tmp_path, created=CREATED)
    assert written.path.read_bytes() == pyreadstat_bytes(frame, ds, tmp_path)


def test_records_written_in_many_blocks_are_identical_too(tmp_path, monkeypatch):
    ds, frame = FRAMES["numbers only"]
    monkeypatch.setattr(xptdata, "BLOCK_ROWS", 7)
    written = write_xpt(frame, ds, tmp_path, created=CREATED)
    assert written.path.read_bytes() == pyreadstat_bytes(frame, ds, tmp_path)


def test_ibm_bits_by_hand():
    # 1 = 1/16 * 16**1: exponent 64 + 1 = 0x41, fraction 0x10...; 100 = 0x64/256 * 16**2.
    values = np.array([1.0, 100.0, -100.0, 16.0**-65, np.nan, 0.0])
    assert [f"{int(b):016x}" for b in xptdata.ibm_bits(values)] == [
        "4110000000000000",
        "4264000000000000",
        "c264000000000000",
        "0010000000000000",
        "2e00000000000000",
        "0000000000000000",
    ]
