"""Condition objects on frames: `same_as` (a field equal to another of the row) and
numbers compared as a spec writes them."""

import pandas as pd

from cdisc.yamlspec import SpecDocument
from sdtm.conditions import check_condition, condition_fields, condition_mask


def _check(raw, columns=None):
    problems = []
    doc = SpecDocument(path="spec.yaml", data=raw, display="spec.yaml")
    return check_condition(doc, ("where",), raw, columns, problems), problems


def test_same_as_is_true_only_when_both_sides_are_present_and_equal():
    frame = pd.DataFrame(
        {
            "PRLAT": ["LEFT", " RIGHT", "LEFT", None, None],
            "IDX": ["LEFT", "RIGHT", "right", "LEFT", None],
        }
    )
    condition, problems = _check({"field": "PRLAT", "same_as": "IDX"})
    assert problems == []
    assert condition_mask(frame, condition).tolist() == [True, True, False, False, False]
    any_case, _ = _check({"field": "PRLAT", "same_as": "IDX", "ignore_case": True})
    assert condition_mask(frame, any_case).tolist() == [True, True, False, False, False]
    frame.loc[2, "PRLAT"] = "Right"
    assert condition_mask(frame, any_case).tolist()[2] is True
    assert condition_fields(condition) == {"PRLAT", "IDX"}
    assert condition.describe() == "PRLAT same as IDX"


def test_same_as_names_an_unknown_other_field():
    condition, problems = _check({"field": "PRLAT", "same_as": "INDEXLT"}, {"PRLAT", "INDEXLAT"})
    assert condition is None
    assert len(problems) == 1
    assert "no field 'INDEXLT'" in str(problems[0])
    assert "did you mean 'INDEXLAT'?" in str(problems[0])


def test_whole_numbers_read_as_a_spec_writes_them():
    # SDTM datasets keep VISITNUM as a float (60.0); a spec writes "60". A fraction stays.
    frame = pd.DataFrame({"VISITNUM": [60.0, 60.5, None, 6.0]})
    condition, problems = _check({"field": "VISITNUM", "equals": "60"})
    assert problems == []
    assert condition_mask(frame, condition).tolist() == [True, False, False, False]
    unscheduled, _ = _check({"field": "VISITNUM", "in": ["60.5", "6"]})
    assert condition_mask(frame, unscheduled).tolist() == [False, True, False, True]
