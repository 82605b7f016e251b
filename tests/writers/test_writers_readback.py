"""verify_xpt: a file that reads back equal gives no finding; every kind of difference does.

The second reader is pandas.read_sas for the header and xptread for the observations; what
pandas.read_sas would read is predicted from the file's bytes, and each prediction here is
checked against pandas.read_sas itself (``pandas_rows``)."""

from __future__ import annotations

import warnings
from datetime import datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from writers_helpers import dataset, observations

from cdisc.writers import verify_xpt, write_xpt
from cdisc.writers.readback import pandas_record_count

CREATED = datetime(2024, 3, 5, 14, 7, 9)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["SAIL-01", "SAIL-01", "SAIL-01"],
            "USUBJID": ["SAIL-01-001", "SAIL-01-002", "SAIL-01-003"],
            "AGE": [34.0, np.nan, 0.0],
        },
        index=[10, 11, 12],
    )


def codes(findings) -> list[tuple[str, str, str]]:
    return sorted((f.code, f.variable, f.message.split(":")[0]) for f in findings)


def pandas_rows(path) -> int:
    """The records pandas.read_sas itself reads (0 when it cannot read a dataset at all)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return len(pd.read_sas(path, format="xport", encoding="ascii"))
        except StopIteration:
            return 0


def predicted_rows(written) -> int:
    """pandas' record count as readback predicts it from the file's bytes."""
    variables = written.dataset.variables
    return pandas_record_count(written.path, len(variables), sum(v.length for v in variables))


def test_a_file_that_reads_back_equal_has_no_findings(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    assert verify_xpt(written.path, frame(), dataset()) == []


def test_the_prepared_frame_of_the_writer_gives_the_same_findings(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    assert written.prepared is not None
    assert verify_xpt(written.path, frame(), dataset(), prepared=written.prepared) == []
    damaged = written.path.read_bytes().replace(b"SAIL-01-003", b"SAIL-01-00Y")
    written.path.write_bytes(damaged)
    again = verify_xpt(written.path, frame(), dataset())
    assert verify_xpt(written.path, frame(), dataset(), prepared=written.prepared) == again
    assert len(again) == 2


def test_a_changed_byte_is_a_value_error_from_both_readers(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    raw = written.path.read_bytes()
    assert raw.count(b"SAIL-01-002") == 1
    written.path.write_bytes(raw.replace(b"SAIL-01-002", b"SAIL-01-00X"))
    findings = verify_xpt(written.path, frame(), dataset())
    assert codes(findings) == [
        ("XPTRB07", "USUBJID", "pyreadstat"),
        ("XPTRB07", "USUBJID", "xptread"),
    ]
    assert {f.record for f in findings} == {11}  # the frame's index label
    assert all(f.severity == "error" for f in findings)
    differ = "1 value(s) differ, first at record 2: written 'SAIL-01-002', read 'SAIL-01-00X'"
    assert [f.message for f in findings] == [f"pyreadstat: {differ}", f"xptread: {differ}"]


def test_a_changed_byte_of_a_number_is_a_value_error_from_both_readers(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    data = observations(written.path)
    # Record 1 is STUDYID (7 bytes), USUBJID (11), AGE (8): 34 in IBM hexadecimal floating
    # point is 42 22 00.. (16**2 * 0x0.22); 0x23 makes it 35.
    assert data[18:26] == bytes.fromhex("4222000000000000")
    raw = written.path.read_bytes()
    at = len(raw) - len(data) + 19
    written.path.write_bytes(raw[:at] + b"\x23" + raw[at + 1 :])
    findings = verify_xpt(written.path, frame(), dataset())
    assert codes(findings) == [("XPTRB07", "AGE", "pyreadstat"), ("XPTRB07", "AGE", "xptread")]
    assert all("first at record 1: written 34.0, read 35.0" in f.message for f in findings)


def test_a_blank_where_text_was_written_is_a_value_error(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    raw = written.path.read_bytes()
    written.path.write_bytes(raw.replace(b"SAIL-01-003", b" " * 11))
    findings = verify_xpt(written.path, frame(), dataset())
    assert codes(findings) == [
        ("XPTRB07", "USUBJID", "pyreadstat"),
        ("XPTRB07", "USUBJID", "xptread"),
    ]
    assert all("written 'SAIL-01-003', read ''" in f.message for f in findings)


def test_labels_formats_and_dataset_metadata_are_compared(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    meant = dataset(
        label="Demography",
        variables=(
            ("STUDYID", "Study Identifier", "text"),
            ("USUBJID", "Unique Subject Identifier", "text"),
            ("AGE", "Age in Years", "integer", {"display_format": "3."}),
        ),
    )
    findings = verify_xpt(written.path, frame(), meant)
    assert codes(findings) == [
        ("XPTRB04", "", "pandas.read_sas"),
        ("XPTRB04", "", "pyreadstat"),
        ("XPTRB04", "AGE", "pandas.read_sas"),
        ("XPTRB04", "AGE", "pyreadstat"),
        ("XPTRB08", "AGE", "pandas.read_sas"),
        ("XPTRB08", "AGE", "pyreadstat"),
    ]
    messages = {f.message for f in findings}
    assert "pyreadstat: label 'Age', not 'Age in Years'" in messages
    assert "pandas.read_sas: display format '', not '3'" in messages


def test_types_lengths_and_values_are_compared(tmp_path):
    numeric = dataset(
        variables=(("VISITNUM", "Visit Number", "float"),), name="SV", label="Subject Visits"
    )
    written = write_xpt(pd.DataFrame({"VISITNUM": [1.0]}), numeric, tmp_path, created=CREATED)
    as_text = dataset(
        variables=(("VISITNUM", "Visit Number", "text"),), name="SV", label="Subject Visits"
    )
    findings = verify_xpt(written.path, pd.DataFrame({"VISITNUM": ["1"]}), as_text)
    assert codes(findings) == [
        ("XPTRB05", "VISITNUM", "pandas.read_sas"),
        ("XPTRB05", "VISITNUM", "pyreadstat"),
        ("XPTRB06", "VISITNUM", "pandas.read_sas"),
        ("XPTRB06", "VISITNUM", "pyreadstat"),
        ("XPTRB07", "VISITNUM", "pyreadstat"),
        ("XPTRB07", "VISITNUM", "xptread"),
    ]
    assert "pyreadstat: type 'double', not 'string'" in {f.message for f in findings}
    assert "pyreadstat: length 8, not 1" in {f.message for f in findings}


def test_a_different_record_count_and_variable_list_are_errors(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    longer = pd.concat([frame(), frame().iloc[[0]]])
    findings = verify_xpt(written.path, longer, dataset())
    assert [f.message for f in findings] == [
        "pyreadstat reads 3 records; 4 were written",
        "xptread reads 3 records; 4 were written",
    ]
    reordered = dataset(
        variables=(
            ("USUBJID", "Unique Subject Identifier", "text"),
            ("STUDYID", "Study Identifier", "text"),
            ("AGE", "Age", "integer"),
        )
    )
    findings = verify_xpt(written.path, frame(), reordered)
    assert [f.code for f in findings] == ["XPTRB03", "XPTRB03"]
    assert findings[0].message == (
        "pyreadstat: variables STUDYID, USUBJID, AGE; written USUBJID, STUDYID, AGE"
    )


def test_an_unreadable_file_is_an_error_from_both_readers(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    written.path.write_bytes(b"not an xport file" * 10)
    findings = verify_xpt(written.path, frame(), dataset())
    assert [(f.code, f.message.split(":")[0]) for f in findings] == [
        ("XPTRB01", "pyreadstat cannot read the file"),
        ("XPTRB01", "pandas.read_sas cannot read the file"),
    ]


# --- what pandas.read_sas would read: predicted from the bytes, checked against pandas ----

BLANK_TAIL = dataset(
    name="QS",
    label="Questionnaires",
    variables=(
        ("QSSEQ", "Sequence Number", "integer"),
        ("QSSTRESC", "Result in Std Format", "text"),
    ),
)
COMMENTS = dataset(name="CO", label="Comments", variables=(("COVAL", "Comment", "text"),))


def test_pandas_drops_a_final_record_whose_trailing_char_field_is_blank(tmp_path):
    # Records are 16 bytes (8 Num + 8 Char). The last 80-byte card holds both records and six
    # blank padding words; the blank QSSTRESC of record 2 is a seventh blank word, aligned on
    # 8 bytes, so pandas counts (80 - 7 * 8) // 16 = 1 record.
    data = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABCDEFGH", ""]}, index=["r1", "r2"])
    written = write_xpt(data, BLANK_TAIL, tmp_path, created=CREATED)
    # Record 2: 2.0 in IBM hexadecimal floating point is 41 20 00.. (16**1 * 0x0.2), then a
    # blank QSSTRESC, then 48 bytes of padding.
    assert observations(written.path)[16:80] == bytes.fromhex("4120000000000000") + b" " * 56
    assert pandas_rows(written.path) == predicted_rows(written) == 1
    assert len(pyreadstat.read_xport(written.path)[0]) == 2

    findings = verify_xpt(written.path, data, BLANK_TAIL)
    assert [(f.code, f.severity, f.record) for f in findings] == [("XPTRB10", "warning", "r2")]
    assert findings[0].message.startswith(
        "pandas.read_sas would read 1 of 2 records: the last 1 end in blank Char fields"
    )


def test_pandas_can_drop_several_records_and_the_check_names_them_all(tmp_path):
    # Records of 24 bytes (Num, Char 8, Char 8). Records 2 and 3 have two blank words each and
    # the card ends with one word of padding: pandas counts (80 - 5 * 8) // 24 = 1 record of 3.
    ds = dataset(
        name="QS",
        label="Questionnaires",
        variables=(
            ("QSSEQ", "Sequence Number", "integer"),
            ("QSORRES", "Finding in Original Units", "text"),
            ("QSSTRESC", "Result in Std Format", "text"),
        ),
    )
    data = pd.DataFrame(
        {"QSSEQ": [1, 2, 3], "QSORRES": ["ABCDEFGH", "", None], "QSSTRESC": ["ABCDEFGH", "", ""]}
    )
    written = write_xpt(data, ds, tmp_path, created=CREATED)
    assert pandas_rows(written.path) == predicted_rows(written) == 1
    assert len(pyreadstat.read_xport(written.path)[0]) == 3
    findings = verify_xpt(written.path, data, ds)
    assert [(f.code, f.record) for f in findings] == [("XPTRB10", 1)]
    assert "would read 1 of 3 records: the last 2 end in blank Char fields" in findings[0].message


def test_a_last_record_that_is_not_blank_is_read_by_pandas(tmp_path):
    data = pd.DataFrame({"QSSEQ": [1, 2], "QSSTRESC": ["ABCDEFGH", "XYZ"]})
    written = write_xpt(data, BLANK_TAIL, tmp_path, created=CREATED)
    assert pandas_rows(written.path) == predicted_rows(written) == 2
    assert verify_xpt(written.path, data, BLANK_TAIL) == []


@pytest.mark.parametrize(
    ("values", "pandas_reads"),
    # Records of 3 bytes: one record leaves 77 bytes of padding, 9 of its 10 words blank, so
    # pandas counts (80 - 9 * 8) // 3 = 2. Of 1 byte: (80 - 9 * 8) // 1 = 8 (the first word
    # holds the record). Two records of 3 bytes: (80 - 9 * 8) // 3 = 2, right by chance.
    [(["abc"], 2), (["a"], 8), (["abc", "de"], 2)],
)
def test_pandas_reads_the_padding_of_short_records_as_more_records(tmp_path, values, pandas_reads):
    data = pd.DataFrame({"COVAL": values})
    written = write_xpt(data, COMMENTS, tmp_path, created=CREATED)
    assert pandas_rows(written.path) == predicted_rows(written) == pandas_reads
    assert len(pyreadstat.read_xport(written.path)[0]) == len(values)
    findings = verify_xpt(written.path, data, COMMENTS)
    if pandas_reads == len(values):
        assert findings == []
    else:
        assert [(f.code, f.severity) for f in findings] == [("XPTRB12", "warning")]
        assert findings[0].message.startswith(
            f"pandas.read_sas would read {pandas_reads} records of {len(values)}: it takes the "
            f"blank padding of the last 80-byte card for {pandas_reads - len(values)} more"
        )


def test_a_record_missing_from_the_file_is_an_error_from_both_readers(tmp_path):
    # Records of 98 bytes (Char 90, Num 8): 3 records are 294 bytes and 26 of padding. The
    # file cut after record 2 (and padded again) holds 2.
    ds = dataset(
        name="CO",
        label="Comments",
        variables=(("COVAL", "Comment", "text"), ("COSEQ", "Sequence Number", "integer")),
    )
    data = pd.DataFrame({"COVAL": ["x" * 90] * 3, "COSEQ": [1, 2, 3]})
    written = write_xpt(data, ds, tmp_path, created=CREATED)
    raw = written.path.read_bytes()
    assert len(observations(written.path)) == 320
    written.path.write_bytes(raw[: len(raw) - 320 + 196] + b" " * 124)
    findings = verify_xpt(written.path, data, ds)
    assert [(f.code, f.message) for f in findings] == [
        ("XPTRB02", "pyreadstat reads 2 records; 3 were written"),
        ("XPTRB02", "xptread reads 2 records; 3 were written"),
    ]


def test_a_nul_byte_in_a_value_is_an_error_from_both_readers(tmp_path):
    written = write_xpt(frame(), dataset(), tmp_path, created=CREATED)
    raw = written.path.read_bytes()
    written.path.write_bytes(raw.replace(b"SAIL-01-002", b"SAIL\x0001-002"))
    findings = verify_xpt(written.path, frame(), dataset())
    assert [(f.code, f.message.split(":")[0]) for f in findings] == [
        ("XPTRB07", "pyreadstat"),  # ReadStat ends the text at the NUL: 'SAIL'
        ("XPTRB01", "xptread cannot decode the records"),
    ]


@pytest.mark.parametrize("rows", [1, 5, 6])
def test_records_longer_than_80_bytes_are_never_dropped(tmp_path, rows):
    ds = dataset(
        name="CO",
        label="Comments",
        variables=(("COVAL", "Comment", "text"), ("COSEQ", "Sequence Number", "integer")),
    )
    data = pd.DataFrame({"COVAL": ["x" * 90] + [""] * (rows - 1), "COSEQ": range(rows)})
    written = write_xpt(data, ds, tmp_path, created=CREATED)
    assert pandas_rows(written.path) == predicted_rows(written) == rows
    assert verify_xpt(written.path, data, ds) == []
