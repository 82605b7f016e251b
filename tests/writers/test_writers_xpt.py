"""write_xpt: what lands in the file, what is refused, and that the file is reproducible."""

from __future__ import annotations

import hashlib
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from writers_helpers import dataset, namestr_fields, observations

from cdisc.errors import ConformanceError, UsageError
from cdisc.writers import lengths, to_ascii, verify_xpt, write_xpt
from cdisc.writers.xpt import STAMP_OFFSETS

CREATED = datetime(2024, 3, 5, 14, 7, 9)


def read_pandas(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_sas(path, format="xport", encoding="ascii")


def dm_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["SAIL-01", "SAIL-01", "SAIL-01"],
            "USUBJID": ["SAIL-01-001", "SAIL-01-0002", None],
            "AGE": [34.0, np.nan, 71.0],
        }
    )


def test_char_and_num_read_back_equal_with_both_readers(tmp_path):
    ds = dataset()
    written = write_xpt(dm_frame(), ds, tmp_path, created=CREATED)

    assert written.path == tmp_path / "dm.xpt"
    assert written.records == 3
    data, meta = pyreadstat.read_xport(written.path)
    assert data["STUDYID"].tolist() == ["SAIL-01"] * 3
    assert data["USUBJID"].tolist() == ["SAIL-01-001", "SAIL-01-0002", ""]
    assert data["AGE"].tolist()[0] == 34.0 and np.isnan(data["AGE"][1])
    assert meta.table_name == "DM" and meta.file_label == "Demographics"
    assert meta.column_labels == ["Study Identifier", "Unique Subject Identifier", "Age"]
    assert meta.readstat_variable_types == {
        "STUDYID": "string",
        "USUBJID": "string",
        "AGE": "double",
    }
    pandas_data = read_pandas(written.path)
    assert pandas_data["USUBJID"].tolist() == ["SAIL-01-001", "SAIL-01-0002", ""]
    assert pandas_data["AGE"].isna().tolist() == [False, True, False]
    assert verify_xpt(written.path, dm_frame(), ds) == []


def test_char_widths_are_the_longest_value_in_the_namestr_records(tmp_path):
    # Counted by hand: "SAIL-01" is 7 bytes, "SAIL-01-0002" 12; Num is always 8.
    written = write_xpt(dm_frame(), dataset(), tmp_path, created=CREATED)
    fields = namestr_fields(written.path)
    assert [(f["name"], f["type"], f["length"]) for f in fields] == [
        ("STUDYID", "Char", 7),
        ("USUBJID", "Char", 12),
        ("AGE", "Num", 8),
    ]
    assert written.lengths == {"STUDYID": 7, "USUBJID": 12}
    assert written.dataset.variable("AGE").length == 8


def test_trailing_blanks_do_not_widen_a_variable(tmp_path):
    ds = dataset(
        variables=(("AETERM", "Reported Term", "text"),), name="AE", label="Adverse Events"
    )
    frame = pd.DataFrame({"AETERM": ["HEADACHE   ", "  NAUSEA"]})
    written = write_xpt(frame, ds, tmp_path, created=CREATED)
    # "  NAUSEA" keeps its leading blanks: 8 bytes; "HEADACHE" is 8 too.
    assert namestr_fields(written.path)[0]["length"] == 8
    assert pyreadstat.read_xport(written.path)[0]["AETERM"].tolist() == ["HEADACHE", "  NAUSEA"]
    assert lengths(frame, ds) == {"AETERM": 8}


def test_all_missing_char_variable_has_width_one(tmp_path):
    ds = dataset(
        variables=(("AESER", "Serious Event", "text"), ("AESEQ", "Sequence Number", "integer"))
    )
    frame = pd.DataFrame({"AESER": [None, ""], "AESEQ": [1, 2]})
    written = write_xpt(frame, ds, tmp_path, created=CREATED)
    assert namestr_fields(written.path)[0]["length"] == 1
    assert verify_xpt(written.path, frame, ds) == []


def test_variable_order_comes_from_the_dataset_definition(tmp_path):
    frame = dm_frame()[["AGE", "USUBJID", "STUDYID"]]
    written = write_xpt(frame, dataset(), tmp_path, created=CREATED)
    assert [f["name"] for f in namestr_fields(written.path)] == ["STUDYID", "USUBJID", "AGE"]


def test_integer_and_nullable_columns_are_written_as_doubles(tmp_path):
    ds = dataset(
        variables=(("AGE", "Age", "integer"), ("WEIGHT", "Weight", "float")),
        name="VS",
        label="Vital Signs",
    )
    frame = pd.DataFrame({"AGE": pd.array([34, None], dtype="Int64"), "WEIGHT": [70.25, -0.0]})
    written = write_xpt(frame, ds, tmp_path, created=CREATED)
    data = read_pandas(written.path)
    assert data["AGE"].tolist()[0] == 34.0 and np.isnan(data["AGE"][1])
    # pandas reads the IBM zero as 16**-65 (pandas issue #50670); pyreadstat reads 0.
    assert data["WEIGHT"].tolist() == [70.25, 16.0**-65]
    assert pyreadstat.read_xport(written.path)[0]["WEIGHT"].tolist() == [70.25, 0.0]
    assert verify_xpt(written.path, frame, ds) == []


def test_display_formats_are_written(tmp_path):
    ds = dataset(
        name="ADSL",
        label="Subject-Level Analysis Dataset",
        variables=(
            (
                "TRTSDT",
                "Date of First Exposure to Treatment",
                "integer",
                {"display_format": "DATE9."},
            ),
            ("BMIBL", "Baseline BMI (kg/m^2)", "float", {"display_format": "8.2"}),
        ),
    )
    frame = pd.DataFrame({"TRTSDT": [21915.0], "BMIBL": [24.5]})
    written = write_xpt(frame, ds, tmp_path, created=CREATED)
    fields = namestr_fields(written.path)
    assert [(f["format"], f["format_width"], f["format_decimals"]) for f in fields] == [
        ("DATE", 9, 0),
        ("", 8, 2),
    ]
    assert verify_xpt(written.path, frame, ds) == []


def test_empty_dataset_is_written_and_read_back(tmp_path):
    frame = pd.DataFrame(
        {"STUDYID": pd.Series([], dtype=object), "USUBJID": pd.Series([], dtype="str"), "AGE": []}
    )
    written = write_xpt(frame, dataset(), tmp_path, created=CREATED)
    data, meta = pyreadstat.read_xport(written.path)
    assert len(data) == 0 and meta.number_rows == 0
    assert [f["length"] for f in namestr_fields(written.path)] == [1, 1, 8]
    assert observations(written.path) == b""
    findings = verify_xpt(written.path, frame, dataset())
    assert [(f.code, f.severity) for f in findings] == [("XPTRB11", "warning")]
    with pytest.raises(StopIteration):  # the pandas limit XPTRB11 reports
        pd.read_sas(written.path, format="xport", encoding="ascii")


def test_file_name_is_the_lower_case_dataset_name(tmp_path):
    ds = dataset(
        name="SUPPDM",
        label="Supplemental Qualifiers for DM",
        variables=(("QNAM", "Qualifier Variable Name", "text"),),
    )
    written = write_xpt(pd.DataFrame({"QNAM": ["RACEOTH"]}), ds, tmp_path / "sdtm", created=CREATED)
    assert written.path == tmp_path / "sdtm" / "suppdm.xpt"
    assert [p.name for p in (tmp_path / "sdtm").iterdir()] == ["suppdm.xpt"]
    again = write_xpt(
        pd.DataFrame({"QNAM": ["RACEOTH"]}), ds, tmp_path / "suppdm.xpt", created=CREATED
    )
    assert again.path.name == "suppdm.xpt"


def test_a_file_name_other_than_the_dataset_name_is_refused(tmp_path):
    with pytest.raises(UsageError, match=r"must be written to a file called dm\.xpt, not DM\.xpt"):
        write_xpt(dm_frame(), dataset(), tmp_path / "DM.xpt", created=CREATED)


def test_created_must_be_a_datetime(tmp_path):
    with pytest.raises(UsageError, match="created must be a datetime, not str"):
        write_xpt(dm_frame(), dataset(), tmp_path, created="2024-03-05")


# --- determinism ------------------------------------------------------------------------------


def test_two_writes_a_second_apart_are_byte_identical(tmp_path):
    first = write_xpt(dm_frame(), dataset(), tmp_path / "a", created=CREATED)
    time.sleep(1.1)  # pyreadstat stamps the clock to the second
    second = write_xpt(dm_frame(), dataset(), tmp_path / "b", created=CREATED)
    digest_a = hashlib.sha256(first.path.read_bytes()).hexdigest()
    digest_b = hashlib.sha256(second.path.read_bytes()).hexdigest()
    assert digest_a == digest_b


def test_header_datetimes_are_the_created_time(tmp_path):
    written = write_xpt(dm_frame(), dataset(), tmp_path, created=CREATED)
    raw = written.path.read_bytes()
    # TS-140: library created/modified, member created/modified, as ddMMMyy:hh:mm:ss.
    assert [raw[o : o + 16] for o in STAMP_OFFSETS] == [b"05MAR24:14:07:09"] * 4
    with pd.read_sas(written.path, format="xport", iterator=True, encoding="ascii") as reader:
        assert reader.file_info["created"] == reader.file_info["modified"] == CREATED
        assert reader.member_info["created"] == reader.member_info["modified"] == CREATED


def test_a_different_created_time_changes_only_the_stamps(tmp_path):
    first = write_xpt(dm_frame(), dataset(), tmp_path / "a", created=CREATED)
    later = CREATED.replace(tzinfo=UTC) + timedelta(days=400, hours=1)
    second = write_xpt(dm_frame(), dataset(), tmp_path / "b", created=later)
    a, b = first.path.read_bytes(), second.path.read_bytes()
    differing = [i for i in range(len(a)) if a[i] != b[i]]
    assert all(any(o <= i < o + 16 for o in STAMP_OFFSETS) for i in differing)
    assert b[144:160] == b"09APR25:15:07:09"


# --- refusals ---------------------------------------------------------------------------------


def refused(tmp_path, frame, ds) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    with pytest.raises(ConformanceError) as caught:
        write_xpt(frame, ds, tmp_path, created=CREATED)
    assert not (tmp_path / f"{ds.name.lower()}.xpt").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind either
    return str(caught.value)


def test_200_bytes_is_written_and_201_refused(tmp_path):
    ds = dataset(name="CO", label="Comments", variables=(("COVAL", "Comment", "text"),))
    ok = write_xpt(pd.DataFrame({"COVAL": ["x" * 200]}), ds, tmp_path / "ok", created=CREATED)
    assert namestr_fields(ok.path)[0]["length"] == 200
    assert verify_xpt(ok.path, pd.DataFrame({"COVAL": ["x" * 200]}), ds) == []

    message = refused(
        tmp_path / "bad", pd.DataFrame({"COVAL": ["short", "y" * 201, "z" * 300]}), ds
    )
    assert "COVAL: value of 201 bytes exceeds the SAS V5 limit of 200 in 2 record(s)" in message
    assert "(first at record 2)" in message
    assert "dataset CO, variable COVAL, record 2" in message


def test_long_labels_are_refused(tmp_path):
    label41 = "A" * 41
    ds = dataset(variables=(("STUDYID", label41, "text"),), label="L" * 41)
    message = refused(tmp_path, pd.DataFrame({"STUDYID": ["S"]}), ds)
    assert f"dataset label '{'L' * 41}' is 41 characters (max 40)" in message
    assert f"STUDYID: label '{label41}' is 41 characters (max 40)" in message
    ok = dataset(variables=(("STUDYID", "A" * 40, "text"),), label="L" * 40)
    assert write_xpt(pd.DataFrame({"STUDYID": ["S"]}), ok, tmp_path, created=CREATED).records == 1


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("AEDECOD12", "9 characters"),
        ("1AE", "starts with a digit"),
        ("AE-X", "hyphen"),
        ("aeterm", "lower case"),
    ],
)
def test_bad_variable_names_are_refused(tmp_path, name, why):
    ds = dataset(name="AE", label="Adverse Events", variables=((name, "Term", "text"),))
    message = refused(tmp_path, pd.DataFrame({name: ["x"]}), ds)
    assert f"{name}: variable name {name!r} must be 1-8 characters of A-Z, 0-9 and _" in message, (
        why
    )


def test_a_bad_dataset_name_is_refused(tmp_path):
    ds = dataset(name="SUPPQUALX", label="Supplemental")
    message = refused(tmp_path, dm_frame(), ds)
    assert "dataset name 'SUPPQUALX' must be 1-8 characters" in message


def test_non_ascii_text_is_refused_until_transliterated(tmp_path):
    ds = dataset(
        name="AE", label="Adverse Events", variables=(("AETERM", "Reported Term", "text"),)
    )
    frame = pd.DataFrame({"AETERM": ["HEADACHE", "Fièvre", "Übelkeit"]})
    message = refused(tmp_path / "raw", frame, ds)
    assert (
        "AETERM: non-ASCII text in 2 record(s); transliterate with cdisc.writers.to_ascii"
        in message
    )
    assert "(first at record 2)" in message

    clean, findings = to_ascii(frame, "AE")
    ds = ds.with_lengths(lengths(clean, ds))
    written = write_xpt(clean, ds, tmp_path / "clean", created=CREATED)
    assert pyreadstat.read_xport(written.path)[0]["AETERM"].tolist() == [
        "HEADACHE",
        "Fievre",
        "Ubelkeit",
    ]
    assert findings["kind"].tolist() == ["transliterated", "transliterated"]
    assert all(b < 128 for b in written.path.read_bytes()[80:])
    assert verify_xpt(written.path, clean, ds) == []


def test_non_ascii_labels_are_refused(tmp_path):
    ds = dataset(variables=(("STUDYID", "Identifiant d'étude", "text"),))
    assert 'STUDYID: label "Identifiant d\'étude" is not ASCII' in refused(
        tmp_path, pd.DataFrame({"STUDYID": ["S"]}), ds
    )


def test_frame_and_definition_must_have_the_same_variables(tmp_path):
    frame = dm_frame().drop(columns="AGE").assign(RACE=["WHITE"] * 3)
    message = refused(tmp_path, frame, dataset())
    assert "frame columns not in the dataset definition: RACE" in message
    assert "defined variables missing from the frame: AGE" in message


def test_every_problem_is_reported_at_once(tmp_path):
    ds = dataset(variables=(("STUDYID", "S" * 45, "text"), ("AGE", "Age", "integer")))
    frame = pd.DataFrame({"STUDYID": ["é", "x" * 201], "AGE": ["34", 35]})
    message = refused(tmp_path, frame, ds)
    assert "label 'SSSS" in message
    assert "STUDYID: non-ASCII text in 1 record(s)" in message
    assert "STUDYID: value of 201 bytes" in message
    assert (
        "AGE: Num variable holds a non-number (str) in 1 record(s) (first at record 1)" in message
    )


def test_a_defined_length_other_than_the_longest_value_is_refused(tmp_path):
    ds = dataset().with_lengths({"STUDYID": 20, "USUBJID": 12})
    message = refused(tmp_path, dm_frame(), ds)
    assert "STUDYID: defined length 20 but the longest value is 7 byte(s)" in message
    assert "USUBJID" not in message.split("STUDYID: defined length")[1]


def test_numbers_outside_the_ibm_range_and_infinities_are_refused(tmp_path):
    ds = dataset(
        variables=(("LBSTRESN", "Numeric Result", "float"),),
        name="LB",
        label="Laboratory Test Results",
    )
    message = refused(tmp_path / "big", pd.DataFrame({"LBSTRESN": [1.0, 1e76]}), ds)
    assert "LBSTRESN: value 1e+76 is outside the IBM floating-point range" in message
    # ReadStat turns 2**249 and more into its overflow pattern (read back as infinity).
    message = refused(tmp_path / "edge", pd.DataFrame({"LBSTRESN": [-(2.0**249)]}), ds)
    assert "value -9.046256971665328e+74 is outside" in message
    message = refused(tmp_path / "tiny", pd.DataFrame({"LBSTRESN": [1e-80]}), ds)
    assert "value 1e-80 is outside" in message
    message = refused(tmp_path / "inf", pd.DataFrame({"LBSTRESN": [np.inf, 2.0]}), ds)
    assert "LBSTRESN: infinite value in 1 record(s) (first at record 1)" in message


def test_char_values_that_are_not_text_are_refused(tmp_path):
    ds = dataset(variables=(("USUBJID", "Unique Subject Identifier", "text"),))
    message = refused(tmp_path, pd.DataFrame({"USUBJID": ["A", 7]}), ds)
    assert "USUBJID: Char variable holds values that are not text (int) in 1 record(s)" in message


def test_num_columns_of_text_or_dates_are_refused(tmp_path):
    ds = dataset(variables=(("AGE", "Age", "integer"),))
    message = refused(tmp_path / "dt", pd.DataFrame({"AGE": pd.to_datetime(["2024-01-01"])}), ds)
    assert "AGE: Num variable has dtype datetime64" in message
    message = refused(tmp_path / "bool", pd.DataFrame({"AGE": [True]}), ds)
    assert "AGE: Num variable has dtype bool" in message


def test_all_blank_records_at_the_end_are_refused(tmp_path):
    # Measured first: ReadStat and pandas both lose trailing all-blank records of v5 files.
    ds = dataset(
        name="CO",
        label="Comments",
        variables=(("COVAL", "Comment", "text"), ("IDVAR", "Identifying Variable", "text")),
    )
    data = pd.DataFrame({"COVAL": ["x" * 90, "", None, "y"], "IDVAR": ["A", "", "", ""]})
    kept = write_xpt(data, ds, tmp_path / "kept", created=CREATED)
    assert len(pyreadstat.read_xport(kept.path)[0]) == 4  # a blank record inside is kept
    pyreadstat.write_xport(data.iloc[:3].fillna(""), tmp_path / "raw.xpt", file_format_version=5)
    assert len(pyreadstat.read_xport(tmp_path / "raw.xpt")[0]) == 1

    message = refused(tmp_path / "tail", data.iloc[:3], ds)
    assert "the last 2 record(s) have only blank values; SAS XPORT v5 cannot keep" in message
    assert "(first at record 2)" in message


def test_fit_lengths_takes_the_char_lengths_from_the_data(tmp_path):
    declared = dataset(
        variables=(
            ("STUDYID", "Study Identifier", "text", {"length": 20}),
            ("USUBJID", "Unique Subject Identifier", "text", {"length": 3}),
            ("AGE", "Age", "integer"),
        )
    )
    with pytest.raises(ConformanceError, match="defined length 20 but the longest value is 7"):
        write_xpt(dm_frame(), declared, tmp_path, created=CREATED)
    written = write_xpt(dm_frame(), declared, tmp_path, created=CREATED, fit_lengths=True)
    # "SAIL-01" and "SAIL-01-0002" (counted by hand); every Num is 8 bytes
    assert [(v.name, v.length) for v in written.dataset.variables] == [
        ("STUDYID", 7),
        ("USUBJID", 12),
        ("AGE", 8),
    ]
    assert [f["length"] for f in namestr_fields(written.path)] == [7, 12, 8]
    assert written.prepared is not None
    assert written.prepared.lengths == {"STUDYID": 7, "USUBJID": 12}
    assert verify_xpt(written.path, dm_frame(), written.dataset, prepared=written.prepared) == []
