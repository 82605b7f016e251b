"""write_dataset_json: the Dataset-JSON 1.1 structure, written by hand for small frames."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from writers_helpers import dataset

from cdisc.errors import ConformanceError, UsageError
from cdisc.writers import datasetjson, write_dataset_json

CREATED = datetime(2024, 3, 5, 14, 7, 9)

DM = dataset(
    variables=(
        ("STUDYID", "Study Identifier", "text"),
        ("USUBJID", "Unique Subject Identifier", "text"),
        ("AGE", "Age", "integer"),
        ("HEIGHTBL", "Baseline Height (cm)", "float"),
        ("BRTHDTC", "Date/Time of Birth", "date"),
    ),
    keys=("STUDYID", "USUBJID"),
)


def dm_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["SAIL-01", "SAIL-01"],
            "USUBJID": ["SAIL-01-001", "SAIL-01-002 "],
            "AGE": [34.0, np.nan],
            "HEIGHTBL": [172.5, 160.0],
            "BRTHDTC": ["1990-05-17", None],
        }
    )


def write(frame, ds=DM, **options):
    options.setdefault("study_oid", "SAIL-01")
    options.setdefault("metadata_version_oid", "MDV.SAIL-01.SDTM")
    return write_dataset_json(frame, ds, options.pop("path"), created=CREATED, **options)


def test_a_two_row_frame_matches_the_hand_written_dataset_json(tmp_path):
    path = write(dm_frame(), path=tmp_path)
    expected = {
        "datasetJSONCreationDateTime": "2024-03-05T14:07:09",
        "datasetJSONVersion": "1.1.0",
        "fileOID": "SAIL-01.MDV.SAIL-01.SDTM.DM",
        "originator": "cdisc toolkit",
        "studyOID": "SAIL-01",
        "metaDataVersionOID": "MDV.SAIL-01.SDTM",
        "itemGroupOID": "IG.DM",
        "records": 2,
        "name": "DM",
        "label": "Demographics",
        "columns": [
            {
                "itemOID": "IT.DM.STUDYID",
                "name": "STUDYID",
                "label": "Study Identifier",
                "dataType": "string",
                "length": 7,
                "keySequence": 1,
            },
            {
                "itemOID": "IT.DM.USUBJID",
                "name": "USUBJID",
                "label": "Unique Subject Identifier",
                "dataType": "string",
                "length": 11,
                "keySequence": 2,
            },
            {"itemOID": "IT.DM.AGE", "name": "AGE", "label": "Age", "dataType": "integer"},
            {
                "itemOID": "IT.DM.HEIGHTBL",
                "name": "HEIGHTBL",
                "label": "Baseline Height (cm)",
                "dataType": "float",
            },
            {
                "itemOID": "IT.DM.BRTHDTC",
                "name": "BRTHDTC",
                "label": "Date/Time of Birth",
                "dataType": "date",
            },
        ],
        "rows": [
            ["SAIL-01", "SAIL-01-001", 34, 172.5, "1990-05-17"],
            ["SAIL-01", "SAIL-01-002", None, 160.0, None],
        ],
    }
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert path == tmp_path / "dm.json"
    assert document == expected
    assert list(document) == list(expected)  # attribute order of the specification
    assert [list(c) for c in document["columns"]] == [list(c) for c in expected["columns"]]
    # Compact, integers without a fraction, floats as their shortest repr, nulls.
    assert text.startswith('{"datasetJSONCreationDateTime":"2024-03-05T14:07:09","datasetJSON')
    assert text.endswith(
        '"rows":[["SAIL-01","SAIL-01-001",34,172.5,"1990-05-17"],'
        '["SAIL-01","SAIL-01-002",null,160.0,null]]}'
    )
    assert "\n" not in text


def test_optional_attributes_and_their_order(tmp_path):
    path = write(
        dm_frame(),
        path=tmp_path,
        originator="Sponsor XYZ",
        source_system="cdisc toolkit",
        source_system_version="0.1.0",
        metadata_ref="define.xml",
        file_oid="F.1",
    )
    document = json.loads(path.read_text())
    assert list(document)[:9] == [
        "datasetJSONCreationDateTime",
        "datasetJSONVersion",
        "fileOID",
        "originator",
        "sourceSystem",
        "studyOID",
        "metaDataVersionOID",
        "metaDataRef",
        "itemGroupOID",
    ]
    assert document["sourceSystem"] == {"name": "cdisc toolkit", "version": "0.1.0"}
    assert (document["fileOID"], document["metaDataRef"]) == ("F.1", "define.xml")
    assert document["originator"] == "Sponsor XYZ"


def test_a_time_zone_is_kept_in_the_creation_time(tmp_path):
    path = write_dataset_json(
        dm_frame(),
        DM,
        tmp_path,
        created=CREATED.replace(tzinfo=UTC),
        study_oid="S",
        metadata_version_oid="M",
    )
    assert (
        json.loads(path.read_text())["datasetJSONCreationDateTime"] == "2024-03-05T14:07:09+00:00"
    )


def test_adam_numeric_dates_are_iso_text_with_an_integer_target(tmp_path):
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
            (
                "TRTSDTM",
                "Datetime of First Exposure to Treatment",
                "integer",
                {"display_format": "E8601DT19."},
            ),
            (
                "TRTSTM",
                "Time of First Exposure to Treatment",
                "integer",
                {"display_format": "TIME8."},
            ),
        ),
    )
    # 2020-01-01 is 21915 days after 1960-01-01 (60 * 365 + 15 leap days); 01:01:01 is 3661 s.
    frame = pd.DataFrame(
        {
            "TRTSDT": [21915.0, np.nan, -1.0],
            "TRTSDTM": [21915 * 86400 + 3661.0, np.nan, 0.0],
            "TRTSTM": [3661.0, np.nan, 86399.0],
        }
    )
    document = json.loads(write(frame, ds, path=tmp_path).read_text())
    assert document["columns"] == [
        {
            "itemOID": "IT.ADSL.TRTSDT",
            "name": "TRTSDT",
            "label": "Date of First Exposure to Treatment",
            "dataType": "date",
            "targetDataType": "integer",
            "displayFormat": "DATE9.",
        },
        {
            "itemOID": "IT.ADSL.TRTSDTM",
            "name": "TRTSDTM",
            "label": "Datetime of First Exposure to Treatment",
            "dataType": "datetime",
            "targetDataType": "integer",
            "displayFormat": "E8601DT19.",
        },
        {
            "itemOID": "IT.ADSL.TRTSTM",
            "name": "TRTSTM",
            "label": "Time of First Exposure to Treatment",
            "dataType": "time",
            "targetDataType": "integer",
            "displayFormat": "TIME8.",
        },
    ]
    assert document["rows"] == [
        ["2020-01-01", "2020-01-01T01:01:01", "01:01:01"],
        [None, None, None],
        ["1959-12-31", "1960-01-01T00:00:00", "23:59:59"],
    ]


def test_partial_dates_are_strings_and_non_ascii_text_stays_utf8(tmp_path):
    ds = dataset(
        name="AE",
        label="Adverse Events",
        variables=(
            ("AETERM", "Reported Term", "text"),
            ("AESTDTC", "Start Date/Time", "partialDatetime"),
        ),
    )
    frame = pd.DataFrame(
        {"AETERM": ["Fièvre", '5 "quoted" \\ x'], "AESTDTC": ["2024-03", "2024-03-05T10:00"]}
    )
    path = write(frame, ds, path=tmp_path)
    raw = path.read_bytes()
    assert "Fièvre".encode() in raw
    document = json.loads(raw.decode("utf-8"))
    assert [c["dataType"] for c in document["columns"]] == ["string", "string"]
    assert "length" not in document["columns"][1]  # Define-XML gives partial dates no Length
    assert document["columns"][0]["length"] == 14  # '5 "quoted" \ x' is 14 bytes
    assert document["rows"][1] == ['5 "quoted" \\ x', "2024-03-05T10:00"]


def test_written_in_chunks_the_file_is_the_same(tmp_path, monkeypatch):
    frame = pd.concat([dm_frame()] * 5, ignore_index=True)
    whole = write(frame, path=tmp_path / "whole").read_bytes()
    monkeypatch.setattr(datasetjson, "CHUNK_ROWS", 3)
    chunked = write(frame, path=tmp_path / "chunked").read_bytes()
    assert chunked == whole
    assert len(json.loads(chunked)["rows"]) == 10


def test_identical_inputs_give_identical_bytes(tmp_path):
    first = write(dm_frame(), path=tmp_path / "a").read_bytes()
    second = write(dm_frame(), path=tmp_path / "b").read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


def test_an_empty_frame_has_records_zero_and_no_rows(tmp_path):
    empty = dm_frame().iloc[:0]
    document = json.loads(write(empty, path=tmp_path).read_text())
    assert document["records"] == 0 and document["rows"] == []
    assert document["columns"][0]["length"] == 1


def test_a_defined_length_is_used_and_must_hold_every_value(tmp_path):
    sized = DM.with_lengths({"STUDYID": 12, "USUBJID": 11, "BRTHDTC": 10})
    document = json.loads(write(dm_frame(), sized, path=tmp_path / "ok").read_text())
    assert [c.get("length") for c in document["columns"]] == [12, 11, None, None, None]
    short = DM.with_lengths({"STUDYID": 5, "USUBJID": 11, "BRTHDTC": 10})
    with pytest.raises(
        ConformanceError, match="STUDYID: value of 7 bytes is longer than the defined length 5"
    ):
        write(dm_frame(), short, path=tmp_path / "short")
    assert not (tmp_path / "short" / "dm.json").exists()


def test_integer_values_with_a_fraction_are_refused(tmp_path):
    frame = dm_frame().assign(AGE=[34.0, 2.5])
    with pytest.raises(ConformanceError) as caught:
        write(frame, path=tmp_path)
    assert "AGE: integer variable holds 2.5, not a whole number (first at record 2)" in str(
        caught.value
    )
    assert not (tmp_path / "dm.json").exists()


def test_every_problem_is_reported_at_once(tmp_path):
    frame = dm_frame().assign(AGE=[np.inf, 1.0], STUDYID=[1, "S"]).drop(columns="BRTHDTC")
    with pytest.raises(ConformanceError) as caught:
        write(frame, path=tmp_path)
    message = str(caught.value)
    assert "defined variables missing from the frame: BRTHDTC" in message
    assert "STUDYID: Char variable holds values that are not text (int)" in message
    assert "AGE: infinite value in 1 record(s) (first at record 1)" in message


def test_bad_arguments_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="source_system and source_system_version go together"):
        write(dm_frame(), path=tmp_path, source_system="cdisc toolkit")
    with pytest.raises(UsageError, match="study_oid must be a non-empty string"):
        write(dm_frame(), path=tmp_path, study_oid="")
    with pytest.raises(
        UsageError, match=r"must be written to a file called dm\.json, not DM\.json"
    ):
        write(dm_frame(), path=tmp_path / "DM.json")
    with pytest.raises(UsageError, match="created must be a datetime"):
        write_dataset_json(
            dm_frame(), DM, tmp_path, created=0, study_oid="S", metadata_version_oid="M"
        )
