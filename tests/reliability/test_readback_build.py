"""The build's read-back of every XPT (sdtm.sdtmbuild.write_checked, shared by the SDTM and
ADaM stages): what both readers (pyreadstat; the pandas.read_sas header with the xptread
observations) see differently from what was meant is an error that fails the build;
pandas.read_sas's known blank-tail limit is a warning, the same one the validator reports as
XPT001."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd

import sdtm.sdtmbuild as sdtmbuild
from cdisc.metadata import DatasetDef, VariableDef
from cdisc.validation.files import pandas_reads_fewer_records
from cdisc.validation.package import load_package
from cdisc.writers import write_xpt

CREATED = dt.datetime(2025, 1, 1)
QS = DatasetDef(
    "QS",
    "Questionnaires",
    "Tabulation",
    "SDTMIG 3.4",
    "FINDINGS",
    "One record per questionnaire per question per time point per visit per subject",
    (
        VariableDef("QSSEQ", "Sequence Number", "integer", 1),
        VariableDef("QSSTRESC", "Character Result/Finding in Std Format", "text", 2),
    ),
)


def _damaging(frame, dataset, folder, **options):
    """write_xpt, then one byte of the value ABCDEFGH changed in the file (to ABCDEFGX)."""
    written = write_xpt(frame, dataset, folder, **options)
    raw = written.path.read_bytes()
    written.path.write_bytes(raw.replace(b"ABCDEFGH", b"ABCDEFGX"))
    return written


def test_a_value_that_does_not_read_back_is_an_error(tmp_path, monkeypatch):
    # The file is damaged between writing and reading back: one byte of a value changes.
    monkeypatch.setattr(sdtmbuild, "write_xpt", _damaging)
    frame = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABCDEFGH", "XYZ"]})
    _, path, found, readback = sdtmbuild.write_checked(frame, QS, tmp_path, CREATED)
    assert path == tmp_path / "qs.xpt"  # written, and read back wrong
    issues = pd.concat(found, ignore_index=True)
    assert issues[["code", "variable", "file"]].values.tolist() == [
        ["XPTRB07", "QSSTRESC", "qs.xpt"],
        ["XPTRB07", "QSSTRESC", "qs.xpt"],
    ]
    assert issues["message"].str.split(":").str[0].tolist() == ["pyreadstat", "xptread"]
    assert sdtmbuild.severity_of(issues["code"]).tolist() == ["error", "error"]
    differ = "1 value(s) differ, first at record 1: written 'ABCDEFGH', read 'ABCDEFGX'"
    assert readback == [
        f"QS: XPTRB07 pyreadstat: {differ}",
        f"QS: XPTRB07 xptread: {differ}",
    ]


def test_the_pandas_blank_tail_limit_is_a_warning_and_the_validators_xpt001(tmp_path):
    # Records of 16 bytes (Num 8 + Char 8): the blank QSSTRESC ending record 2 is taken by
    # pandas.read_sas for the file's padding, so it would read 1 record of 2 (readback.py).
    frame = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABCDEFGH", ""]})
    _, path, found, _ = sdtmbuild.write_checked(frame, QS, tmp_path, CREATED)
    assert path == tmp_path / "qs.xpt"
    issues = pd.concat(found, ignore_index=True)
    assert issues["code"].tolist() == ["XPTRB10"]
    assert sdtmbuild.severity_of(issues["code"]).tolist() == ["warning"]
    # The validator's XPT001 reads the same file with the same count formula.
    package = load_package(tmp_path)
    flagged = pandas_reads_fewer_records(package)
    assert flagged["dataset"].tolist() == ["QS"]
    assert flagged["value"].tolist() == ["1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(pd.read_sas(path, format="xport", encoding="ascii")) == 1  # pandas itself


def test_lengths_come_from_the_data_and_unmeasurable_lengths_are_refused(tmp_path):
    frame = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABC  ", None]})
    ds, path, found, readback = sdtmbuild.write_checked(frame, QS, tmp_path, CREATED)
    assert (path, found, readback) == (tmp_path / "qs.xpt", [], [])
    assert [(v.name, v.length) for v in ds.variables] == [("QSSEQ", 8), ("QSSTRESC", 3)]

    frame = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABC", 7]})
    ds, path, found, readback = sdtmbuild.write_checked(frame, QS, tmp_path / "bad", CREATED)
    assert path is None
    refused = found[0].iloc[0]
    assert (refused["code"], refused["file"]) == ("not-writable", "")
    assert refused["message"] == (
        "QS lengths cannot be measured: QSSTRESC: Char variable holds values that are not text "
        "(int) in 1 record(s) (first at record 2)"
    )


def test_read_backs_started_together_are_gathered_each_with_its_own_findings(tmp_path, monkeypatch):
    # What the SDTM and ADaM stages do: every dataset written and its read-back started,
    # then all gathered. The damaged file's findings are its own, as write_checked gives them.
    monkeypatch.setattr(sdtmbuild, "write_xpt", _damaging)
    damaged = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABCDEFGH", "XYZ"]})
    intact = pd.DataFrame({"QSSEQ": [1, 2, 3], "QSSTRESC": ["A", "B", "C"]})
    started = [
        sdtmbuild.write_started(frame, QS, tmp_path / folder, CREATED)
        for folder, frame in (("one", intact), ("two", damaged), ("three", intact))
    ]
    results = [check.result() for _, _, check in started]
    assert [len(found) for found, _ in results] == [0, 1, 0]
    _, _, found, readback = sdtmbuild.write_checked(damaged, QS, tmp_path / "four", CREATED)
    assert results[1][1] == readback
    assert results[1][1][0].startswith("QS: XPTRB07 pyreadstat: 1 value(s) differ")
    columns = ["code", "variable", "record", "message"]
    assert results[1][0][0][columns].values.tolist() == found[0][columns].values.tolist()
