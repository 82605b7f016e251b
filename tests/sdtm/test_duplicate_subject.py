"""A subject with two DM records (issue 8): the first is kept, the later one is an error.

Before the fix ``derive_domain`` indexed DM by USUBJID and crashed on the repeated key
(pandas InvalidIndexError, exit 3 from the CLI).
"""

from __future__ import annotations

import pandas as pd

from sdtm.design import Design
from sdtm.engine import ACCOUNT_COLUMNS, ISSUE_COLUMNS, DomainFrame, derive_domain
from sdtm.sdtmbuild import severity_of
from sdtm.spec import DomainSpec

LINEAGE = {"_site": "01", "_event": "SCR", "_repeat": None}


def _dm() -> pd.DataFrame:
    """Three DM records; records 2 and 4 are the same subject, with different dates."""
    return pd.DataFrame(
        {
            "_file": "dm.csv",
            "_form": "dm",
            "_record": ["1", "2", "4"],
            "_subject": ["01-001", "01-003", "01-003"],
            **LINEAGE,
            "STUDYID": "S",
            "DOMAIN": "DM",
            "USUBJID": ["S-01-001", "S-01-003", "S-01-003"],
            "RFSTDTC": ["2021-01-01", "2021-02-01", "2021-03-01"],
            "RFXSTDTC": ["2021-01-01", "2021-02-01", "2021-03-01"],
            "RFXENDTC": ["2021-06-01", "2021-07-01", "2021-08-01"],
        }
    )


def _frame(domain: str, data: pd.DataFrame) -> DomainFrame:
    return DomainFrame(
        domain, data, pd.DataFrame(columns=ISSUE_COLUMNS), pd.DataFrame(columns=ACCOUNT_COLUMNS)
    )


def test_dm_keeps_the_first_record_of_a_subject_and_reports_the_later_one_as_an_error() -> None:
    dm = _dm()
    spec = DomainSpec(domain="DM", path="dm.yaml", sources=(), steps=())
    done = derive_domain(_frame("DM", dm), spec, dm, Design())
    assert done.data["_record"].tolist() == ["1", "2"]
    assert done.data["RFSTDTC"].tolist() == ["2021-01-01", "2021-02-01"]
    found = done.issues[done.issues["code"] == "duplicate-subject"]
    assert found[["file", "form", "record", "subject", "variable"]].values.tolist() == [
        ["dm.csv", "dm", "4", "01-003", "USUBJID"]
    ]
    message = found["message"].iloc[0]
    assert "subject '01-003' already has a DM record (record 2)" in message
    assert "keep one record per subject in the export" in message
    assert severity_of(found["code"]).tolist() == ["error"]
    # The record left out is accounted for, with the reason, not dropped silently.
    left_out = done.accounting[~done.accounting["used"].astype(bool)]
    assert left_out[["form", "subject", "record"]].values.tolist() == [["dm", "01-003", "4"]]
    assert left_out["reason"].tolist() == ["subject already has a DM record (record 2)"]


def test_the_kept_record_on_another_form_is_named_with_its_form() -> None:
    dm = _dm().assign(_form=["dm", "enrol", "dm"])
    spec = DomainSpec(domain="DM", path="dm.yaml", sources=(), steps=())
    done = derive_domain(_frame("DM", dm), spec, dm, Design())
    message = done.issues.loc[done.issues["code"] == "duplicate-subject", "message"].iloc[0]
    assert "already has a DM record (form enrol, record 2)" in message


def test_other_domains_take_reference_dates_from_the_subjects_first_dm_record() -> None:
    ae = pd.DataFrame(
        {
            "_file": "ae.csv",
            "_form": "ae",
            "_record": ["1", "2"],
            "_subject": ["01-001", "01-003"],
            **LINEAGE,
            "STUDYID": "S",
            "DOMAIN": "AE",
            "USUBJID": ["S-01-001", "S-01-003"],
            "AETERM": ["Headache", "Rash"],
            "AESTDTC": ["2021-01-05", "2021-02-10"],
        }
    )
    spec = DomainSpec(
        domain="AE",
        path="ae.yaml",
        sources=(),
        steps=(),
        derivations={"study_day": ["AESTDTC"]},
    )
    done = derive_domain(_frame("AE", ae), spec, _dm(), Design())
    # Day 1 is the reference date: 2021-01-05 is day 5 from 2021-01-01; 2021-02-10 is day 10
    # from the first DM record's 2021-02-01 (from the later record's 2021-03-01 it would be -19).
    assert done.data["AESTDY"].tolist() == [5, 10]
    assert "duplicate-subject" not in set(done.issues["code"])
