"""Derivations that work once per distinct value (or per visit) give each record its answer.

The build's derivations factorise a column, work on its distinct values and spread the
results back, or reduce sorted groups without a Python function per group. Each test
below has repeated and missing values in it, and its expected answer is written out by
hand from the rule the function documents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal, assert_series_equal

from cdisc.readers.base import RawExport
from sdtm.baseline import derive_var_blfl
from sdtm.design import ArmStep, Design, Element, Visit, derive_epoch, subject_elements
from sdtm.distinct import rows_where
from sdtm.rawchecks import whitespace_only
from sdtm.studyday import derive_vars_dy
from sdtm.subjects import SubjectRule, normalised_subjects
from sdtm.subjectvisits import derive_sv
from sdtm.units import standardize_units


def test_rows_where_tests_each_distinct_value_once_and_never_a_missing_one():
    values = pd.Series(["b", "a", None, "b", "c", "a", None], dtype="str")
    seen: list[list[str]] = []

    def is_a_or_b(distinct: pd.Series) -> np.ndarray:
        seen.append(distinct.tolist())
        return distinct.isin(["a", "b"]).to_numpy()

    assert rows_where(values, is_a_or_b).tolist() == [0, 1, 3, 5]
    assert seen == [["b", "a", "c"]]  # first-seen order, no missing value
    assert rows_where(values, lambda v: v == "z").tolist() == []
    assert rows_where(pd.Series([None, None], dtype="str"), lambda v: v == "z").tolist() == []


def _raw(values: list[str | None]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "_file": "vs.csv",
            "_form": "vs",
            "_record": [str(i + 2) for i in range(n)],
            "_subject": "01-001",
            "_site": "01",
            "_event": "BL",
            "_repeat": None,
            "PULSE": pd.Series(values, dtype="str"),
        }
    )


def test_whitespace_only_reports_every_record_of_a_repeated_blank_value():
    # Rows 1 and 4 hold the same single space, row 3 a no-break space and a tab; an empty
    # string is not "only blanks" (nothing was typed) and " 7 " has a number in it.
    raw = _raw(["72", " ", "", "\u00a0\t", " ", " 7 ", None])
    found = whitespace_only(RawExport("rave", "x", {"vs": raw}), ["vs"])
    assert found["record"].tolist() == ["3", "5", "6"]
    assert found["value"].tolist() == [" ", "\u00a0\t", " "]
    assert set(found["code"]) == {"whitespace-only"}
    assert set(found["variable"]) == {"PULSE"}


def test_a_rewritten_key_repeated_on_many_records_is_reported_per_record():
    rules = (SubjectRule(r"SAIL-(?P<id>\d{2}-\d{3})", "{id}"),)
    data = pd.DataFrame(
        {
            "_file": "f.csv",
            "_form": "lb",
            "_record": ["1", "2", "3", "4", "5"],
            "_subject": ["SAIL-01-001", "01-001", None, " SAIL-01-001", "SAIL-02-002"],
        }
    )
    found = normalised_subjects("LB", data, rules)
    assert found[["record", "subject", "value"]].values.tolist() == [
        ["1", "SAIL-01-001", "01-001"],
        ["4", "SAIL-01-001", "01-001"],  # the key is read without its outer blank
        ["5", "SAIL-02-002", "02-002"],
    ]


def _visit_records() -> pd.DataFrame:
    # Subject 1, visit 10: three records of two forms, dates out of order, one undated;
    # subject 1, visit 20: undated only; subject 2, visit 10: one record.
    rows = [
        ("S-1", "V1", "2021-01-05", "b.csv", "vs", "7", "1", 10.0, "WEEK 1"),
        ("S-1", "V1", "2021-01-03", "a.csv", "lb", "4", "1", 10.0, "WEEK 1"),
        ("S-1", "V1", None, "b.csv", "vs", "9", "1", 10.0, "WEEK 1"),
        ("S-1", "V1", "2021-01-04", "a.csv", "lb", "2", "1", 10.0, "WEEK 1"),
        ("S-1", "V2", None, "a.csv", "lb", "5", "1", 20.0, "WEEK 2"),
        ("S-2", "V1", "2021-02-01", "a.csv", "lb", "8", "2", 10.0, "WEEK 1"),
    ]
    columns = ["USUBJID", "_event", "_dtc", "_file", "_form", "_record", "_subject"]
    frame = pd.DataFrame(rows, columns=[*columns, "VISITNUM", "VISIT"])
    return frame.astype({"USUBJID": "string", "_event": "string", "_dtc": "string"})


def test_sv_spans_first_to_last_date_and_lists_its_records_in_date_order():
    design = Design(visits=(Visit(10, "WEEK 1", ("V1",), day=8), Visit(20, "WEEK 2", ("V2",))))
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFSTDTC": ["2021-01-01", "2021-01-25"]})
    sv, _ = derive_sv(_visit_records(), dm, design, "S")
    got = sv[["USUBJID", "VISITNUM", "SVSTDTC", "SVENDTC", "_file", "_form", "_record"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["S-1", 10.0, "2021-01-03", "2021-01-05", "a.csv;b.csv", "lb;vs", "lb:4;lb:2;vs:7;vs:9"],
        ["S-1", 20.0, None, None, "a.csv", "lb", "lb:5"],
        ["S-2", 10.0, "2021-02-01", "2021-02-01", "a.csv", "lb", "lb:8"],
    ]
    # Study day against RFSTDTC: Jan 3 is day 3 for S-1, Feb 1 day 8 for S-2.
    assert sv["SVSTDY"].tolist()[0] == 3 and sv["SVSTDY"].tolist()[2] == 8
    visitdy = sv["VISITDY"].astype(object)
    assert visitdy.where(visitdy.notna(), None).tolist() == [8, None, 8]


def test_derivations_leave_the_frame_they_were_given_as_it_was():
    # The derivations return a frame with new columns and share the others with their
    # input (copy-on-write): writing to the result must not reach the input.
    data = pd.DataFrame(
        {
            "USUBJID": ["1", "1", "1"],
            "LBTESTCD": ["GLUC"] * 3,
            "LBDTC": ["2021-06-01", "2021-06-15", "2021-06-20"],
            "LBORRES": ["5", "6", "7"],
            "LBORRESU": ["mmol/L"] * 3,
            "RFXSTDTC": ["2021-06-15"] * 3,
        }
    )
    before = data.copy()
    flagged, _ = derive_var_blfl(
        data, ("USUBJID", "LBTESTCD"), "RFXSTDTC", "LBDTC", "LBORRES", "LBLOBXFL"
    )
    days = derive_vars_dy(data, "RFXSTDTC", ["LBDTC"])
    units, _ = standardize_units(data, target_units={"GLUC": "mmol/L"})
    assert flagged["LBLOBXFL"].tolist()[1] == "Y" and days["LBDY"].tolist() == [-14, 1, 6]
    for out in (flagged, days, units):
        out.loc[0, "LBORRES"] = "changed"
        out.loc[1, "LBDTC"] = "2000-01-01"
    assert_frame_equal(data, before)


def test_epoch_from_elements_worked_out_once_is_the_epoch_worked_out_per_call():
    design = Design(
        elements=(
            Element("SCRN", "SCREENING", "x", start_ref="RFICDTC"),
            Element("TRT", "TREATMENT", "x", start_ref="RFXSTDTC"),
        ),
        arm_paths={"A": (ArmStep("SCRN", "SCREENING"), ArmStep("TRT", "TREATMENT"))},
    )
    dm = pd.DataFrame(
        {
            "USUBJID": ["1", "2"],
            "ARMCD": ["A", "A"],
            "RFICDTC": ["2021-01-01", "2021-02-01"],
            "RFXSTDTC": ["2021-01-09", "2021-02-10"],
            "RFPENDTC": ["2021-03-01", "2021-04-01"],
        }
    )
    dtc = pd.Series(["2021-01-08", "2021-02-09", "2021-01-09", "2021-02-10", "2021-02"])
    usubjid = pd.Series(["1", "2", "1", "2", "1"])
    once = derive_epoch(dtc, usubjid, dm, design, subject_elements(dm, design))
    # Counted by hand: the day before each subject's first dose is screening, the dose
    # day treatment, a partial date has no epoch.
    expected = ["SCREENING", "SCREENING", "TREATMENT", "TREATMENT", None]
    assert once.astype(object).where(once.notna(), None).tolist() == expected
    assert_series_equal(once, derive_epoch(dtc, usubjid, dm, design))
