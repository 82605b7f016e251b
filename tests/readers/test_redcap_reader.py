"""REDCap reader: every real project export, checkbox un-pivot, decodes, refused input."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from cdisc.errors import InputError, UsageError
from cdisc.readers import LINEAGE_COLUMNS, read_redcap
from cdisc.readers.redcap_dictionary import checkbox_column, parse_choices

PROJECTS = [
    "arm-single-longitudinal",
    "blank-for-gray-status",
    "checkboxes-1",
    "clinical-trial-1",
    "longitudinal",
    "potentially-problematic-values",
    "repeating-instruments",
    "repeating-instruments-sparse",
    "simple",
    "survey",
    "validation-types-1",
]

HEADER = (
    '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    '"Choices, Calculations, OR Slider Labels","Field Note",'
    '"Text Validation Type OR Show Slider Number","Text Validation Min","Text Validation Max",'
    'Identifier?,"Branching Logic (Show field only if...)","Required Field?","Custom Alignment",'
    '"Question Number (surveys only)","Matrix Group Name","Matrix Ranking?","Field Annotation"'
)


def count_independently(folder: Path) -> pd.DataFrame:
    """Records and subjects per instrument, by the rule of the spec, with the csv module."""
    with open(folder / "dictionary.csv", newline="", encoding="utf-8-sig") as handle:
        fields = list(csv.DictReader(handle))
    with open(folder / "data.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    record_id = fields[0]["Variable / Field Name"]
    columns = list(rows[0])
    forms = list(dict.fromkeys(f["Form Name"] for f in fields))
    out = []
    for form in forms:
        own = [f"{form}_complete", f"{form}_timestamp"]
        for f in fields:
            name = f["Variable / Field Name"]
            if f["Form Name"] != form or name == record_id:
                continue
            if f["Field Type"] == "checkbox":
                own += [c for c in columns if c.startswith(name + "___")]
            else:
                own.append(name)
        own = [c for c in own if c in columns]
        taken = [
            row
            for row in rows
            if row.get("redcap_repeat_instrument", "") == form
            or (not row.get("redcap_repeat_instrument") and any(row[c] for c in own))
        ]
        out.append(
            {"form": form, "records": len(taken), "subjects": len({r[record_id] for r in taken})}
        )
    return pd.DataFrame(out, columns=["form", "records", "subjects"]).sort_values("form")


@pytest.mark.parametrize("project", PROJECTS)
def test_every_real_project_matches_an_independent_count(exports: Path, project: str) -> None:
    folder = exports / "redcap" / project
    export = read_redcap(folder)
    expected = count_independently(folder).reset_index(drop=True)
    assert export.kind == "redcap"
    pd.testing.assert_frame_equal(export.summary(), expected, check_dtype=False)
    for name, frame in export.forms.items():
        assert tuple(frame.columns[:7]) == LINEAGE_COLUMNS
        assert (frame["_form"] == name).all()
        assert all(str(dtype) == "str" for dtype in frame.dtypes)


def test_real_project_with_empty_data_file_is_refused(exports: Path) -> None:
    folder = exports / "redcap/potentially-problematic-dictionary"
    with pytest.raises(InputError, match="empty file") as info:
        read_redcap(folder)
    assert info.value.path == str(folder / "data.csv")
    assert info.value.location == "line 1"


def test_real_checkbox_unpivot_by_hand(exports: Path) -> None:
    export = read_redcap(exports / "redcap/checkboxes-1")
    form = export.forms["form_2"].set_index("_subject")
    # data.csv: record 1 check_one___1=1, check_two___a=1 and ___c=1; record 2 all of
    # check_one 0 (answered, none checked); record 3 check_one all 1, check_two all 0.
    assert form.loc["1", ["check_one", "check_one_DECODE"]].tolist() == ["1", "one"]
    assert form.loc["1", ["check_two", "check_two_DECODE"]].tolist() == ["a|c", "A|C"]
    assert form.loc["2", ["check_one", "check_one_DECODE"]].tolist() == ["", ""]
    assert form.loc["2", "check_two"] == "b|d"
    assert form.loc["3", "check_one"] == "1|2|3|4"
    assert form.loc["3", "check_one_DECODE"] == "one|two|three|four"
    assert form.loc["3", "check_two"] == ""
    assert "check_one___1" not in form.columns


def test_real_race_checkbox_site_and_decodes(exports: Path) -> None:
    export = read_redcap(exports / "redcap/blank-for-gray-status")
    race = export.forms["race_and_ethnicity"].set_index("_subject")
    # Record 2: race___3 and race___5 are 1; record 6: all six are 0.
    assert race.loc["2", "race"] == "3|5"
    assert race.loc["2", "race_DECODE"] == "Native Hawaiian or Other Pacific Islander|White"
    assert race.loc["6", "race"] == "" and race.loc["6", "race_DECODE"] == ""
    assert race.loc["1", "race_and_ethnicity_complete_DECODE"] == "Complete"
    demo = export.forms["demographics"].set_index("_subject")
    assert demo.loc["1", "_site"] == "dag_1" and pd.isna(demo.loc["4", "_site"])
    assert demo.loc["1", ["sex", "sex_DECODE"]].tolist() == ["0", "Female"]
    # Not a column of any form: the DAG is lineage, not data.
    assert "redcap_data_access_group" not in demo.columns


def test_real_values_kept_verbatim_and_undecodable_values_left_missing(exports: Path) -> None:
    export = read_redcap(exports / "redcap/simple")
    demo = export.forms["demographics"]
    # Quoted field with an embedded newline; the row number counts records, not lines.
    second = demo[demo["_subject"] == "2"].iloc[0]
    assert second["address"] == "14 Rose Cottage Blvd.\nKenning UK 34243"
    assert second["_record"] == "2"
    # The radio "0, Female | 1, Male" holds TRUE/FALSE here: kept, never decoded by guess.
    assert demo["sex"].tolist() == ["FALSE", "TRUE", "TRUE", "FALSE", "TRUE"]
    assert demo["sex_DECODE"].isna().all()
    assert export.forms["health"]["mugshot"].tolist() == ["[document]"] * 5
    assert any("metadata.csv" in note and "ignored" in note for note in export.notes)


def test_real_longitudinal_events_and_boolean_decodes(exports: Path) -> None:
    export = read_redcap(exports / "redcap/longitudinal")
    assert export.events["enrollment_arm_1"] == "Enrollment"
    assert export.events["deadline_to_opt_ou_arm_2"] == "Deadline to opt out of study"
    demo = export.forms["demographics"]
    assert demo["_event"].tolist() == ["enrollment_arm_1", "enrollment_arm_1", "enrollment_arm_2"]
    row = demo[demo["_subject"] == "220"].iloc[0]
    assert row[["given_birth", "given_birth_DECODE"]].tolist() == ["0", "No"]  # yesno
    morale = export.forms["patient_morale_questionnaire"]
    assert set(morale["_event"]) <= set(export.events)
    fields = {f.name: f for f in export.fields["demographics"]}
    assert fields["date_enrolled"].datatype == "date"
    assert fields["given_birth"].datatype == "boolean"
    assert fields["gym"].codelist is not None


def test_real_repeating_instrument_rows(exports: Path) -> None:
    export = read_redcap(exports / "redcap/repeating-instruments")
    bp = export.forms["bp"]
    # data.csv rows 2-4 are record 1's bp instances 1-3, row 6 record 2's instance 1.
    assert bp[["_record", "_subject", "_repeat", "bp_systolic"]].values.tolist() == [
        ["2", "1", "1", "110"],
        ["3", "1", "2", "111"],
        ["4", "1", "3", "112"],
        ["6", "2", "1", "114"],
    ]
    assert export.forms["demographics"]["_repeat"].isna().all()


def test_real_survey_truefalse_and_timestamp(exports: Path) -> None:
    export = read_redcap(exports / "redcap/survey")
    pre = export.forms["prescreening_survey"].set_index("_subject")
    assert pre.loc["1", ["has_diabetes", "has_diabetes_DECODE"]].tolist() == ["1", "True"]
    assert pre.loc["2", ["has_diabetes", "has_diabetes_DECODE"]].tolist() == ["0", "False"]
    assert pre.loc["1", "prescreening_survey_timestamp"] == "2018-03-06 15:52:43"
    assert pre.loc["1", "consent"] == "1" and pre.loc["2", "consent"] == ""
    assert all("redcap_survey_identifier" not in f.columns for f in export.forms.values())


# -- small hand-made projects ----------------------------------------------------------------


def write_project(folder: Path, dictionary_rows: list[str], data: str, *, header: str = HEADER):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dict_2024.csv").write_text(header + "\n" + "\n".join(dictionary_rows) + "\n")
    (folder / "records.csv").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return folder


DICT_ROWS = [
    'record_id,enrol,,text,"Record ID",,,,,,,,,,,,,',
    'sex,enrol,,radio,Sex,"1, Male | 2, Female, or other",,,,,,,,,,,,',
    'symptom,ae,,checkbox,Symptoms,"1, Pain | -99, Unknown | A, Fatigue",,,,,,,,,,,,',
    'note,ae,,notes,"Free text",,,,,,,,,,,,,',
    'intro,ae,,descriptive,"Please answer",,,,,,,,,,,,,',
]


def test_negative_and_letter_checkbox_codes_and_commas_in_labels(tmp_path: Path) -> None:
    data = (
        "record_id,redcap_repeat_instrument,redcap_repeat_instance,sex,enrol_complete,"
        "symptom___1,symptom____99,symptom___a,note,ae_complete\n"
        "1,,,2,2,,,,,\n"
        "1,ae,1,,,0,1,1,N/A,2\n"
        "1,ae,2,,,,,,see notes,0\n"
        "2,,,3,1,,,,,\n"
    )
    export = read_redcap(write_project(tmp_path / "p", DICT_ROWS, data))
    enrol = export.forms["enrol"]
    assert enrol["sex"].tolist() == ["2", "3"]
    assert enrol["sex_DECODE"].tolist()[0] == "Female, or other"
    assert pd.isna(enrol["sex_DECODE"].tolist()[1])  # 3 is not a choice
    ae = export.forms["ae"]
    assert ae["_record"].tolist() == ["2", "3"]
    assert ae["symptom"].tolist()[0] == "-99|A"
    assert ae["symptom_DECODE"].tolist()[0] == "Unknown|Fatigue"
    assert pd.isna(ae["symptom"].tolist()[1])  # every choice blank: missing, not ""
    assert ae["note"].tolist() == ["N/A", "see notes"]  # N/A is data
    assert "intro" not in ae.columns
    assert [f.name for f in export.fields["ae"]] == ["symptom", "note", "ae_complete"]
    assert {f.name: f.codelist for f in export.fields["ae"]}["symptom"] == {
        "1": "Pain",
        "-99": "Unknown",
        "A": "Fatigue",
    }


def test_undeclared_column_names_data_file_column_and_dictionary(tmp_path: Path) -> None:
    data = "record_id,sex,weight_kg,enrol_complete\n1,1,70,2\n"
    folder = write_project(tmp_path / "p", DICT_ROWS, data)
    with pytest.raises(InputError) as info:
        read_redcap(folder)
    error = info.value
    assert error.exit_code == 1
    assert error.path == str(folder / "records.csv")
    assert error.location == "line 1, column 3"
    assert "'weight_kg'" in error.message and "column 3" in error.message
    assert str(folder / "dict_2024.csv") in error.message
    assert "re-export the data dictionary" in error.hint


def test_real_data_whose_dictionary_lacks_a_field(exports: Path, tmp_path: Path) -> None:
    source = exports / "redcap/simple"
    folder = tmp_path / "simple"
    folder.mkdir()
    (folder / "data.csv").write_bytes((source / "data.csv").read_bytes())
    lines = (source / "dictionary.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "dictionary.csv").write_text(
        "".join(line for line in lines if not line.startswith("bmi,")), encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        read_redcap(folder)
    error = info.value
    # bmi is the 13th column of the header of simple/data.csv.
    assert error.path == str(folder / "data.csv")
    assert error.location == "line 1, column 13"
    assert "'bmi' (column 13)" in error.message
    assert str(folder / "dictionary.csv") in error.message


def test_older_dictionary_without_annotation_and_absent_fields_are_notes(tmp_path: Path) -> None:
    header = HEADER.rsplit(",", 1)[0]
    rows = [row.rsplit(",", 1)[0] for row in DICT_ROWS]
    data = "record_id,sex,enrol_complete\n1,1,2\n"
    export = read_redcap(write_project(tmp_path / "p", rows, data, header=header))
    assert export.forms["enrol"]["sex_DECODE"].tolist() == ["Male"]
    assert export.forms["ae"].empty
    assert any("absent from the data" in n and "symptom" in n for n in export.notes)


def test_explicit_files_without_folder(tmp_path: Path) -> None:
    folder = write_project(tmp_path / "p", DICT_ROWS, "record_id,sex\n7,1\n")
    export = read_redcap(data=folder / "records.csv", dictionary=folder / "dict_2024.csv")
    assert export.forms["enrol"]["_subject"].tolist() == ["7"]
    assert export.forms["enrol"]["_file"].tolist() == ["records.csv"]
    with pytest.raises(UsageError):
        read_redcap(data=folder / "records.csv")


def test_not_utf8_data_falls_back_with_a_note_or_fails_when_forced(tmp_path: Path) -> None:
    data = "record_id,note,ae_complete\n1,ok,0\n2,caf\xe9 \xb5g,0\n".encode("cp1252")
    folder = write_project(tmp_path / "p", DICT_ROWS, data)
    export = read_redcap(folder)
    assert export.forms["ae"]["note"].tolist() == ["ok", "café µg"]
    assert any(
        "not UTF-8 (first bad byte at line 3" in n and "windows-1252" in n for n in export.notes
    )
    with pytest.raises(InputError) as info:
        read_redcap(folder, encoding="utf-8")
    assert info.value.path == str(folder / "records.csv")
    assert info.value.location == "line 3, byte offset 39"


def test_unknown_repeat_instrument_is_refused(tmp_path: Path) -> None:
    data = "record_id,redcap_repeat_instrument,redcap_repeat_instance,note\n1,labs,1,x\n"
    folder = write_project(tmp_path / "p", DICT_ROWS, data)
    with pytest.raises(InputError, match="'labs' is not an instrument") as info:
        read_redcap(folder)
    assert info.value.location == "data row 1"


def test_checkbox_column_and_choice_parsing() -> None:
    assert checkbox_column("race", "-99") == "race____99"
    assert checkbox_column("x", "1.5") == "x___1_5"
    assert parse_choices(" 1, One|2, Two, too |3") == (("1", "One"), ("2", "Two, too"), ("3", "3"))


def test_rows_repeating_an_earlier_rows_key_are_kept_and_noted(exports: Path, tmp_path) -> None:
    # The longitudinal project with data row 1 (record 100, enrollment_arm_1) entered again
    # at the end: same record, same event, no repeat instance.
    source = exports / "redcap/longitudinal"
    folder = tmp_path / "twice"
    folder.mkdir()
    for name in ("dictionary.csv", "event.csv"):
        if (source / name).exists():
            (folder / name).write_bytes((source / name).read_bytes())
    with open(source / "data.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    with open(folder / "data.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([*rows, rows[1]])
    export = read_redcap(folder)
    key = dict(zip(rows[0], rows[1], strict=True))
    notes = [n for n in export.notes if "repeat the key" in n]
    assert notes == [
        f"{folder / 'data.csv'}: 1 data row(s) repeat the key (study_id, redcap_event_name) of "
        f"an earlier row, first data row {len(rows)} (as data row 1, study_id "
        f"{key['study_id']!r}); both kept"
    ]
    demo = export.forms["demographics"]
    assert (demo["_subject"] == key["study_id"]).sum() == 2
