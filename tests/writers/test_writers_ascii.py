# Non-ASCII look-alikes are what these tests are about.
# ruff: noqa: RUF001
"""to_ascii: faithful transliteration, '?' where there is none, and one finding per value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from writers_helpers import dataset

from cdisc.errors import ConformanceError
from cdisc.writers import ASCII_FINDING_COLUMNS, lengths, to_ascii, transliterate

# (text, expected ASCII, every character had a faithful form), each worked out by hand.
CASES = [
    ("Fièvre", "Fievre", True),
    ("Übelkeit", "Ubelkeit", True),
    ("Straße", "Strasse", True),
    ("Łódź", "Lodz", True),
    ("Ørsted", "Orsted", True),
    ("Encyclopædia", "Encyclopaedia", True),
    ("e\u0301pine", "epine", True),  # decomposed: e + combining acute
    ("5 µg", "5 ug", True),  # micro sign
    ("5 μg", "5 ug", True),  # Greek small mu
    ("A\u00a0B", "A B", True),
    ("1–2", "1-2", True),
    ("a—b", "a-b", True),
    ("−3", "-3", True),  # minus sign
    ("≥ 5", ">= 5", True),
    ("≤5", "<=5", True),
    ("± 2", "+/- 2", True),
    ("3 × daily", "3 x daily", True),
    ("“quoted”", '"quoted"', True),
    ("it’s", "it's", True),
    ("wait…", "wait...", True),
    ("½ tablet", "1/2 tablet", True),
    ("Tylenol®", "Tylenol(R)", True),
    ("38.5 °C", "38.5 C", True),
    ("100.4°F", "100.4F", True),
    ("38 ° C", "38 C", True),
    ("37 ℃", "37 C", True),
    ("10⁹/L", "10^9/L", True),
    ("kg/m²", "kg/m^2", True),
    ("10⁻³", "10^-3", True),
    ("10¹²/L", "10^12/L", True),
    ("CO₂", "CO2", True),
    ("Ａ１", "A1", True),  # fullwidth
    ("\u200bX\ufeff", "X", True),  # zero-width space, byte order mark
    ("soft\u00adhyphen", "softhyphen", True),
    ("45°", "45?", False),  # an angle: "deg" would be a guess
    ("2° ciclo", "2? ciclo", False),  # Italian ordinal
    ("°Celsius", "?Celsius", False),
    ("1º", "1?", False),  # ordinal indicator
    ("€5", "?5", False),
    ("头痛", "??", False),
    ("Жар", "???", False),
    ("ｶ", "?", False),  # halfwidth katakana
    ("Fièvre ≠ 38 °C", "Fievre ? 38 C", False),
]


@pytest.mark.parametrize(("text", "expected", "faithful"), CASES)
def test_transliterate(text, expected, faithful):
    assert transliterate(text) == (expected, faithful)


def test_to_ascii_changes_values_and_reports_each_one():
    frame = pd.DataFrame(
        {
            "AETERM": ["HEADACHE", "Fièvre", "头痛", "Fièvre"],
            "AESEQ": [1, 2, 3, 4],
            "AEORRESU": ["°C", None, "mg", "µg"],
        },
        index=["a", "b", "c", "d"],
    )
    new, findings = to_ascii(frame, "AE")

    assert new["AETERM"].tolist() == ["HEADACHE", "Fievre", "??", "Fievre"]
    assert new["AEORRESU"].fillna("<missing>").tolist() == ["C", "<missing>", "mg", "ug"]
    assert new["AESEQ"].tolist() == [1, 2, 3, 4]
    assert list(findings.columns) == list(ASCII_FINDING_COLUMNS)
    expected = pd.DataFrame(
        [
            [
                "ASCII01",
                "warning",
                "SD1029",
                "AE",
                "AETERM",
                "b",
                "Fièvre",
                "Fievre",
                "transliterated",
            ],
            ["ASCII02", "error", "SD1029", "AE", "AETERM", "c", "头痛", "??", "not-representable"],
            [
                "ASCII01",
                "warning",
                "SD1029",
                "AE",
                "AETERM",
                "d",
                "Fièvre",
                "Fievre",
                "transliterated",
            ],
            ["ASCII01", "warning", "SD1029", "AE", "AEORRESU", "a", "°C", "C", "transliterated"],
            ["ASCII01", "warning", "SD1029", "AE", "AEORRESU", "d", "µg", "ug", "transliterated"],
        ],
        columns=list(ASCII_FINDING_COLUMNS),
    )
    pd.testing.assert_frame_equal(findings.astype(object), expected.astype(object))


def test_input_frame_is_not_changed_and_dtypes_are_kept():
    frame = pd.DataFrame(
        {
            "A": pd.Series(["é", None, "x"], dtype="str"),
            "B": pd.Series(["ü", np.nan, 5], dtype=object),
        }
    )
    before = frame.copy()
    new, findings = to_ascii(frame, "XX")
    pd.testing.assert_frame_equal(frame, before)
    assert new["A"].dtype == frame["A"].dtype
    assert new["B"].dtype == object
    assert new["A"].tolist()[0] == "e" and pd.isna(new["A"][1])
    assert new["B"].tolist()[0] == "u" and new["B"].tolist()[2] == 5
    assert findings["record"].tolist() == [0, 0]


def test_ascii_only_frames_have_no_findings():
    frame = pd.DataFrame(
        {"A": ["plain", None], "N": [1.5, 2.0], "O": pd.Series([None, None], dtype=object)}
    )
    new, findings = to_ascii(frame, "XX")
    pd.testing.assert_frame_equal(new, frame)
    assert findings.empty and list(findings.columns) == list(ASCII_FINDING_COLUMNS)


def test_many_records_with_few_distinct_values():
    frame = pd.DataFrame({"AETERM": ["Fièvre", "toux", "Übelkeit"] * 50_000})
    new, findings = to_ascii(frame, "AE")
    assert len(findings) == 100_000
    assert new["AETERM"].iloc[:3].tolist() == ["Fievre", "toux", "Ubelkeit"]
    assert findings["record"].iloc[:4].tolist() == [0, 2, 3, 5]


# --- lengths ----------------------------------------------------------------------------------


def test_lengths_are_longest_values_in_bytes():
    ds = dataset(
        variables=(
            ("STUDYID", "Study Identifier", "text"),
            ("AETERM", "Reported Term", "text"),
            ("AESER", "Serious Event", "text"),
            ("AGE", "Age", "integer"),
        )
    )
    frame = pd.DataFrame(
        {
            "STUDYID": ["SAIL-01", "SAIL-01"],  # 7
            "AETERM": ["Fièvre", "toux   "],  # "Fièvre" is 7 bytes in UTF-8 (è is 2)
            "AESER": [None, ""],  # nothing: at least 1
            "AGE": [34, 71],
        }
    )
    assert lengths(frame, ds) == {"STUDYID": 7, "AETERM": 7, "AESER": 1}
    ascii_frame, _ = to_ascii(frame, "DM")
    assert lengths(ascii_frame, ds)["AETERM"] == 6
    assert ds.with_lengths(lengths(ascii_frame, ds)).variable("AETERM").length == 6


def test_lengths_refuse_a_frame_that_does_not_match_its_definition():
    ds = dataset()
    with pytest.raises(ConformanceError, match="defined variables missing from the frame: AGE"):
        lengths(pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"]}), ds)
    with pytest.raises(
        ConformanceError, match=r"USUBJID: Char variable holds values that are not text \(float64\)"
    ):
        lengths(pd.DataFrame({"STUDYID": ["S"], "USUBJID": [1.5], "AGE": [1]}), ds)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, ""])
def test_non_ascii_text_is_found_among_missing_values_and_numbers(missing):
    # ASCII-only columns are told apart without a look at each value; a column with a
    # missing value of any kind, or a number, is still searched value by value.
    values = ["plain", missing, 7, "text", missing, "naïve"]
    frame = pd.DataFrame(
        {
            "ASCII": pd.Series(["plain", missing, "text", missing, "x", "y"], dtype=object),
            "MIXED": pd.Series(values, dtype=object),
        }
    )
    new, findings = to_ascii(frame, "XX")
    assert findings[["variable", "record", "original", "value"]].values.tolist() == [
        ["MIXED", 5, "naïve", "naive"]
    ]
    assert new["MIXED"].tolist()[2] == 7 and new["MIXED"].tolist()[5] == "naive"
    pd.testing.assert_series_equal(new["ASCII"], frame["ASCII"])
