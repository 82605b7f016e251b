"""XPT001: a file whose last record pandas.read_sas (CDISC CORE's reader) would drop is
reported; a file it reads whole is not, and a package without XPT files is not checked."""

from datetime import datetime

import pandas as pd

from cdisc.metadata import DatasetDef, VariableDef
from cdisc.validation.engine import REGISTRY, run_rules
from cdisc.validation.files import pandas_reads_fewer_records  # noqa: F401 (registers XPT001)
from cdisc.validation.package import load_package, package_from_frames
from cdisc.writers import write_xpt

QS = DatasetDef(
    "QS",
    "Questionnaires",
    "Tabulation",
    "SDTMIG 3.4",
    "FINDINGS",
    "One record per questionnaire per question per time point per visit per subject",
    (
        VariableDef("QSSEQ", "Sequence Number", "integer", 1),
        VariableDef("QSSTRESC", "Result in Std Format", "text", 2),
    ),
)


def _run(package):
    return run_rules(package, {"XPT001": REGISTRY["XPT001"]})


def _write(folder, values):
    # Records are 16 bytes (8 Num + 8 Char): a blank QSSTRESC ending the last record is a
    # blank 8-byte word pandas counts as padding (tests/writers/test_writers_readback.py).
    frame = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": values})
    write_xpt(frame, QS, folder, created=datetime(2024, 1, 1))


def test_a_blank_tail_pandas_drops_is_reported(tmp_path):
    _write(tmp_path, ["ABCDEFGH", ""])
    result = _run(load_package(tmp_path))
    assert result.findings[["rule", "dataset", "value"]].values.tolist() == [["XPT001", "QS", "1"]]
    assert "reads 1 of 2 records" in result.findings["message"].iloc[0]


def test_a_file_pandas_reads_whole_is_silent_and_frames_are_not_checked(tmp_path):
    _write(tmp_path, ["ABCDEFGH", "ABCDEFGH"])
    result = _run(load_package(tmp_path))
    assert result.findings.empty
    assert result.status["status"].tolist() == ["checked, no findings"]
    in_memory = _run(package_from_frames({"QS": pd.DataFrame({"QSSEQ": [1.0]})}))
    assert in_memory.status["status"].tolist() == ["not checked"]
