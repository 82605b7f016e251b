"""start_verify_xpt: the read-back in the worker process (pyreadstat; pandas.read_sas and
xptread) gives the findings verify_xpt gives, in the same order, for a file that reads back
equal and for every kind of damage; its windows of records; a worker that dies is an XPTRB01
error, not a hang."""

from __future__ import annotations

import os
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from writers_helpers import dataset

from cdisc.writers import readback, verify_xpt, write_xpt
from cdisc.writers.readback import start_verify_xpt
from cdisc.writers.xpt import data_start

CREATED = datetime(2024, 3, 5, 14, 7, 9)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["SAIL-01", "SAIL-01", "SAIL-01", "SAIL-01"],
            "USUBJID": ["SAIL-01-001", "SAIL-01-002", "SAIL-01-003", "SAIL-01-002"],
            "AGE": [34.0, np.nan, 0.0, -1.5],
        },
        index=[10, 11, 12, 13],
    )


def replace(old: bytes, new: bytes):
    def damage(path):
        raw = path.read_bytes()
        assert raw.count(old) >= 1
        path.write_bytes(raw.replace(old, new, 1))

    return damage


def number_byte(path):
    # Record 1 is STUDYID (7 bytes), USUBJID (11), AGE (8): 34 is 42 22 00.. in IBM
    # hexadecimal floating point; 0x23 makes it 35.
    raw = path.read_bytes()
    at = raw.index(bytes.fromhex("4222000000000000")) + 1
    path.write_bytes(raw[:at] + b"\x23" + raw[at + 1 :])


def cut_last_record(path):
    # Records of 26 bytes: 4 records are 104 bytes and 56 of padding; cut record 4.
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 160 + 78] + b" " * 82)


DAMAGE = {
    "intact": None,
    "text": replace(b"SAIL-01-003", b"SAIL-01-00X"),
    "text in the last record": replace(b"SAIL-01-002\xc1", b"SAIL-01-00Z\xc1"),
    "blank": replace(b"SAIL-01-001", b" " * 11),
    "nul": replace(b"SAIL-01-003", b"SAIL\x0001-003"),
    "number": number_byte,
    "record cut": cut_last_record,
    "not xport": lambda path: path.write_bytes(b"not an xport file" * 10),
}


@pytest.mark.parametrize("cells", [None, 3, 7])
@pytest.mark.parametrize("damage", list(DAMAGE))
def test_the_worker_gives_the_findings_of_verify_xpt(tmp_path, damage, cells):
    # cells 3: one record per window (3 variables); 7: two records per window.
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    if DAMAGE[damage] is not None:
        DAMAGE[damage](written.path)
    meant = verify_xpt(written.path, frame(), dataset())
    started = start_verify_xpt(
        written.path, frame(), dataset(), prepared=written.prepared, window_cells=cells
    )
    assert started.findings() == meant
    assert (meant == []) == (damage == "intact")


def test_metadata_types_and_record_counts_are_the_findings_of_verify_xpt(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    relabelled = dataset(label="Demography")
    longer = pd.concat([frame(), frame().iloc[[0]]])
    as_number = dataset(variables=(("STUDYID", "Study Identifier", "integer"),))
    for data, meant in (
        (frame(), relabelled),
        (longer, dataset()),
        (frame().iloc[:3], dataset()),
        (pd.DataFrame({"STUDYID": [1.0, 2.0, 3.0, 4.0]}), as_number),
    ):
        started = start_verify_xpt(written.path, data, meant, window_cells=3)
        assert started.findings() == verify_xpt(written.path, data, meant) != []
    found = start_verify_xpt(written.path, longer, dataset()).findings()
    assert [f.message for f in found] == [
        "pyreadstat reads 4 records; 5 were written",
        "xptread reads 4 records; 5 were written",
    ]


#: The worker's two readers: pyreadstat, and pandas.read_sas (header) with xptread (records).
VERDICTS = (readback._pyreadstat_verdict, readback._xptread_verdict)


def test_windows_of_records_read_back_the_whole_file(tmp_path):
    # 10 records of one Char variable, 3 per window: windows of 3, 3, 3 and the last 1.
    # Record 6 is blank: the second window ends in a blank record, which ReadStat takes for
    # padding there (a false alarm the full read clears).
    values = ["a", "bb", "a", "", "ccc", "", "a", "dd", "a", "e"]
    ds = dataset(name="CO", label="Comments", variables=(("COVAL", "Comment", "text"),))
    data = pd.DataFrame({"COVAL": values})
    written = write_xpt(data, ds, tmp_path, created=CREATED)
    want = readback._Expected(written.dataset, written.prepared)
    path = os.fspath(written.path)
    for verdict in VERDICTS:  # both readers drop the blank record ending a window
        assert verdict(path, readback._expectation(want, 3)) != ""
    assert start_verify_xpt(written.path, data, ds, window_cells=3).findings() == []
    filled = pd.DataFrame({"COVAL": [v or "f" for v in values]})
    written = write_xpt(filled, ds, tmp_path, created=CREATED)
    want = readback._Expected(written.dataset, written.prepared)
    for verdict in VERDICTS:
        assert verdict(path, readback._expectation(want, 3)) == ""
    # record 10 (the last window) and record 2 (the first) damaged: both seen
    raw = written.path.read_bytes()
    start = data_start(1)
    assert raw[start:].startswith(b"a  bb a  f  ccc")
    for old, new in ((b"e  ", b"x  "), (b"bb ", b"bx ")):
        written.path.write_bytes(raw[:start] + raw[start:].replace(old, new, 1))
        for verdict in VERDICTS:
            assert verdict(path, readback._expectation(want, 3)) != ""
        written.path.write_bytes(raw)


def test_a_worker_that_dies_is_an_error_finding_and_a_new_worker_reads_the_next(
    tmp_path, monkeypatch
):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    real = readback._submit
    calls = []

    def dying(expect, path):
        calls.append(path)
        return readback._executor().submit(os._exit, 3)  # the process ends mid-task

    monkeypatch.setattr(readback, "_submit", dying)
    found = start_verify_xpt(written.path, frame(), dataset()).findings()
    assert len(calls) == 2  # tried again once, by a new worker
    assert [f.code for f in found] == ["XPTRB01"]
    assert found[0].message.startswith(
        "pyreadstat cannot read the file: the read-back worker process ended while reading it"
    )
    # Dies once, then a new worker reads it: no finding.
    calls.clear()
    monkeypatch.setattr(
        readback,
        "_submit",
        lambda expect, path: dying(expect, path) if not calls else real(expect, path),
    )
    assert start_verify_xpt(written.path, frame(), dataset()).findings() == []
    monkeypatch.setattr(readback, "_submit", real)
    assert start_verify_xpt(written.path, frame(), dataset()).findings() == []
