"""REDCap exports: the data dictionary explains every column, and the metadata files agree."""

from __future__ import annotations

import csv
import re

import pytest

SYSTEM = [
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
]


def _choices(text: str) -> list[str]:
    """Codes of a REDCap choices string ``1, Male | 2, Female`` (labels may hold commas)."""
    return [part.split(",", 1)[0].strip() for part in text.split("|") if part.strip()]


def _expected_columns(dictionary: list[dict[str, str]]) -> list[str]:
    cols = list(SYSTEM)
    forms: list[str] = []
    for row in dictionary:
        if row["Form Name"] not in forms:
            forms.append(row["Form Name"])
    for form in forms:
        for row in dictionary:
            if row["Form Name"] != form or row["Variable / Field Name"] == "record_id":
                continue
            name = row["Variable / Field Name"]
            if row["Field Type"] == "checkbox":
                codes = _choices(row["Choices, Calculations, OR Slider Labels"])
                cols += [f"{name}___{c}" for c in codes]
            else:
                cols.append(name)
        cols.append(f"{form}_complete")
    return cols


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_every_data_column_is_explained_by_the_dictionary(export, rb, study):
    root = export(study, "redcap").out
    dictionary = rb.read_dicts(root / "dictionary.csv")
    header, rows = rb.read_csv(root / "data.csv")
    assert header == _expected_columns(dictionary)
    assert all(len(r) == len(header) for r in rows)
    names = [d["Variable / Field Name"] for d in dictionary]
    assert len(names) == len(set(names)), "REDCap variables are unique per project"
    assert names[0] == "record_id"
    types = {d["Field Type"] for d in dictionary}
    assert {"text", "notes", "radio", "dropdown", "yesno", "checkbox"} <= types
    checks = {d["Text Validation Type OR Show Slider Number"] for d in dictionary}
    assert {"date_ymd", "time", "integer", "number"} <= checks


def test_dictionary_header_is_the_real_18_column_header(export, rb):
    real = rb.shared / "edc-exports" / "redcap" / "clinical-trial-1" / "dictionary.csv"
    if not real.exists():
        pytest.skip(f"real REDCap export not found at {real}")
    with open(real, encoding="utf-8-sig", newline="") as fh:
        expected = next(csv.reader(fh))
    header, _ = rb.read_csv(export("pmsc-cli", "redcap").out / "dictionary.csv")
    assert header == expected
    assert len(header) == 18


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_events_arms_and_designations_agree_with_the_data(export, rb, study):
    root = export(study, "redcap").out
    events = rb.read_dicts(root / "event.csv")
    arms = rb.read_dicts(root / "arm.csv")
    design = rb.read_dicts(root / "instrument_designation.csv")
    assert list(events[0]) == [
        "event_name",
        "arm_num",
        "day_offset",
        "offset_min",
        "offset_max",
        "unique_event_name",
        "custom_event_label",
        "event_id",
    ]
    assert {e["arm_num"] for e in events} == {a["arm_num"] for a in arms}
    assert len(arms) == (2 if study == "pmsc-cli" else 1)
    unique = {e["unique_event_name"] for e in events}
    assert all(e["unique_event_name"].endswith("_arm_" + e["arm_num"]) for e in events)
    allowed = {(d["unique_event_name"], d["form"]) for d in design}
    dictionary = rb.read_dicts(root / "dictionary.csv")
    form_of = {d["Variable / Field Name"]: d["Form Name"] for d in dictionary}
    header, rows = rb.read_csv(root / "data.csv")
    for row in rows:
        data = dict(zip(header, row, strict=True))
        assert data["redcap_event_name"] in unique
        filled = {
            form_of[k.split("___")[0]]
            for k, v in data.items()
            if v and k not in SYSTEM and not k.endswith("_complete") and "___" not in k
        }
        for form in filled:
            assert (data["redcap_event_name"], form) in allowed
        if data["redcap_repeat_instrument"]:
            assert filled <= {data["redcap_repeat_instrument"]}
            assert data["redcap_repeat_instance"].isdigit()


def test_pmsc_cohorts_are_redcap_arms(export, rb):
    root = export("pmsc-cli", "redcap").out
    header, rows = rb.read_csv(root / "data.csv")
    arm_of: dict[str, set[str]] = {}
    cohort: dict[str, str] = {}
    for row in rows:
        data = dict(zip(header, row, strict=True))
        arm_of.setdefault(data["record_id"], set()).add(data["redcap_event_name"][-1])
        if data["armcd"]:
            cohort[data["record_id"]] = data["armcd"]
    assert all(len(a) == 1 for a in arm_of.values())
    for record, code in cohort.items():
        assert arm_of[record] == {"1" if code == "LOW" else "2"}


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_validated_fields_hold_valid_values(export, rb, study):
    """Fields REDCap validates (date_ymd, time, integer, number) never carry messy text."""
    root = export(study, "redcap").out
    patterns = {
        "date_ymd": r"\d{4}-\d{2}-\d{2}",
        "time": r"\d{2}:\d{2}",
        "integer": r"-?\d+",
        "number": r"-?\d+(\.\d+)?",
    }
    checks = {
        d["Variable / Field Name"]: d["Text Validation Type OR Show Slider Number"]
        for d in rb.read_dicts(root / "dictionary.csv")
    }
    seen = 0
    for row in rb.read_dicts(root / "data.csv"):
        for name, check in checks.items():
            if check and row.get(name):
                assert re.fullmatch(patterns[check], row[name]), (name, row[name])
                seen += 1
    assert seen > 20


def test_messy_data_csv_has_bom_and_crlf_clean_has_neither(export):
    messy = (export("pmsc-cli", "redcap").out / "data.csv").read_bytes()
    clean = (export("pmsc-cli", "redcap", clean=True).out / "data.csv").read_bytes()
    assert messy.startswith(b"\xef\xbb\xbf") and b"\r\n" in messy
    assert not clean.startswith(b"\xef\xbb\xbf") and b"\r" not in clean


def test_checkboxes_are_zero_or_one_where_designated(export, rb):
    root = export("sail", "redcap").out
    header, rows = rb.read_csv(root / "data.csv")
    boxes = [i for i, h in enumerate(header) if h.startswith("race___")]
    assert len(boxes) == 7
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    unanswered = {r["subject"] for r in defects if r["kind"] == "checkbox_blank"}
    seen = set()
    for row in rows:
        values = {row[i] for i in boxes}
        if row[header.index("redcap_event_name")].startswith("screening") and not row[2]:
            # checkbox_blank: an unanswered checkbox exported all blank instead of all 0.
            assert values <= {"0", "1"} or (values == {""} and row[0] in unanswered)
            seen.add(row[0])
        else:
            assert values == {""}
    assert len(seen) == 60
