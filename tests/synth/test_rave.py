"""Rave-style clinical views: system columns, twins, quoting and the EOF trailer."""

from __future__ import annotations

import re

import pytest

SYSTEM = [
    "projectid",
    "project",
    "studyid",
    "environmentName",
    "subjectId",
    "StudySiteId",
    "Subject",
    "siteid",
    "Site",
    "SiteNumber",
    "SiteGroup",
    "instanceId",
    "InstanceName",
    "InstanceRepeatNumber",
    "folderid",
    "Folder",
    "FolderName",
    "FolderSeq",
    "TargetDays",
    "DataPageId",
    "DataPageName",
    "PageRepeatNumber",
    "RecordDate",
    "RecordId",
    "RecordPosition",
    "RecordActive",
    "SaveTs",
    "MinCreated",
    "MaxUpdated",
]


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_every_file_ends_with_eof_and_quotes_every_value(export, study):
    root = export(study, "rave").out
    files = sorted(root.glob("*.csv"))
    # One file per form with data: trial A has nobody who died, hence no dd.csv.
    assert len(files) == (22 if study == "sail" else 17)
    assert (root / "dd.csv").exists() == (study == "sail")
    for path in files:
        assert path.name == path.name.lower()
        text = path.read_bytes().decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[-1] == "EOF"
        assert text.endswith("EOF\n") or text.endswith("EOF\r\n")
        assert lines[0].split(",")[: len(SYSTEM)] == SYSTEM
        if len(lines) > 2:
            assert lines[1].startswith('"') and lines[1].count('"') % 2 == 0


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_twins_of_dates_numbers_and_codes(export, rb, study):
    root = export(study, "rave").out
    dm_header, _ = rb.read_csv(root / "dm.csv")
    assert dm_header[len(SYSTEM) : len(SYSTEM) + 6] == [
        "BRTHDAT",
        "BRTHDAT_RAW",
        "BRTHDAT_INT",
        "BRTHDAT_YYYY",
        "BRTHDAT_MM",
        "BRTHDAT_DD",
    ]
    assert {"AGE", "AGE_RAW", "SEX", "SEX_STD"} <= set(dm_header)
    for path in root.glob("*.csv"):
        header, rows = rb.read_csv(path)
        cols = set(header)
        for name in header:
            if name.endswith("_YYYY"):
                base = name[: -len("_YYYY")]
                assert {base, base + "_RAW", base + "_INT", base + "_MM", base + "_DD"} <= cols
        for row in rows:
            data = dict(zip(header, row, strict=True))
            for name, raw in data.items():
                if not name.endswith("_RAW") or name[:-4] + "_YYYY" not in cols:
                    continue
                base = name[:-4]
                iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw)
                if iso:  # a date typed in ISO form is read as itself
                    assert data[base] == f"{raw}T00:00:00"
                    assert (data[base + "_YYYY"], data[base + "_MM"], data[base + "_DD"]) == (
                        iso.group(1),
                        str(int(iso.group(2))),
                        str(int(iso.group(3))),
                    )
                if raw.startswith("UN "):  # unknown day: no full date, imputed twin
                    assert data[base] == "" and data[base + "_DD"] == ""
                    assert data[base + "_INT"].endswith("-01T00:00:00")


def test_numbers_and_codes_in_dm(export, rb):
    root = export("sail", "rave").out
    rows = rb.read_dicts(root / "dm.csv")
    decode = {"1": "Male", "2": "Female"}
    for r in rows:
        if re.fullmatch(r"\d+", r["AGE_RAW"]):
            assert r["AGE"] == r["AGE_RAW"] + ".0"
        else:
            assert r["AGE"] == ""
        if r["SEX_STD"] in decode:
            assert r["SEX"] == decode[r["SEX_STD"]]
        else:  # an injected clash: the typed text passes through
            assert r["SEX"] == r["SEX_STD"]
        assert r["RecordPosition"] == "0"


def test_log_lines_are_numbered(export, rb):
    rows = rb.read_dicts(export("sail", "rave").out / "ae.csv")
    by_subject: dict[str, list[int]] = {}
    for r in rows:
        by_subject.setdefault(r["Subject"], []).append(int(r["RecordPosition"]))
    for positions in by_subject.values():
        assert positions[0] == 1
        assert len(set(positions)) == len(positions)
