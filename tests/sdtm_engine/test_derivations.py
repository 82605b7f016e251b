"""The engine's derivations on small inline frames, with expected values worked out by hand.

Each expectation carries its arithmetic in a comment; none is copied from the program.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc.readers.base import RawExport
from cdisc.standards import Standards
from sdtm.algorithms import Context
from sdtm.design import Design, FieldRef, Visit
from sdtm.dm import derive_dm
from sdtm.engine import ACCOUNT_COLUMNS, ISSUE_COLUMNS, DomainFrame, derive_domain
from sdtm.spec import DomainSpec


@pytest.fixture(scope="module")
def context():
    return Context(Standards.load())


def _frame(domain: str, rows: list[dict]) -> pd.DataFrame:
    """Engine rows with lineage columns: record k of form ``domain.lower()``."""
    frame = pd.DataFrame(rows)
    frame.insert(0, "_file", "raw.xml")
    frame.insert(1, "_form", domain.lower())
    frame.insert(2, "_record", [f"R{k}" for k in range(1, len(frame) + 1)])
    if "_subject" not in frame:
        frame["_subject"] = frame["USUBJID"].str.split("-").str[-1]
    frame["_site"] = "S1"
    frame["STUDYID"] = "ST"
    frame["DOMAIN"] = domain
    return frame


def _derive(
    domain: str, data: pd.DataFrame, dm: pd.DataFrame | None, design: Design | None = None, **spec
):
    frame = DomainFrame(
        domain, data, pd.DataFrame(columns=ISSUE_COLUMNS), pd.DataFrame(columns=ACCOUNT_COLUMNS)
    )
    full = DomainSpec(domain=domain, path=f"{domain.lower()}.yaml", sources=(), steps=(), **spec)
    return derive_domain(frame, full, dm, design or Design())


def _dm(**ref: str) -> pd.DataFrame:
    """DM reference dates for subject ST-01 (RFSTDTC, RFXSTDTC, RFXENDTC)."""
    return pd.DataFrame({"USUBJID": ["ST-01"], **{k: [v] for k, v in ref.items()}})


def test_study_day_has_no_day_zero_and_partial_dates_get_none():
    dm = _dm(RFSTDTC="2021-03-10", RFXSTDTC="2021-03-10", RFXENDTC="2021-03-10")
    dtc = ["2021-03-08", "2021-03-09", "2021-03-10T14:00", "2021-03-11", "2021-04-01", "2021-03"]
    data = _frame("AE", [{"USUBJID": "ST-01", "AESTDTC": d} for d in dtc])
    out = _derive("AE", data, dm, derivations={"study_day": ["AESTDTC"]}).data
    by_dtc = dict(zip(out["AESTDTC"], out["AESTDY"], strict=True))
    # Before day 1: date - ref (8 - 10 = -2, 9 - 10 = -1); from day 1 on: date - ref + 1.
    assert by_dtc["2021-03-08"] == -2
    assert by_dtc["2021-03-09"] == -1
    assert by_dtc["2021-03-10T14:00"] == 1  # the reference day itself, whatever the time
    assert by_dtc["2021-03-11"] == 2
    # 21 days left in March after the 10th, plus 1 April = 22 days later; 22 + 1 = 23.
    assert by_dtc["2021-04-01"] == 23
    assert pd.isna(by_dtc["2021-03"])  # a partial date has no study day


def test_unscheduled_visits_number_after_the_previous_scheduled_visit():
    design = Design(
        visits=(
            Visit(10, "SCREENING", ("SCR",)),
            Visit(20, "WEEK 1", ("W1",)),
            Visit(30, "WEEK 2", ("W2",)),
        ),
        unscheduled=("UNS",),
    )
    # Raw order is not date order: the numbering must follow the dates.
    rows = [
        ("W1", "2021-01-08"),
        ("UNS", "2021-01-06"),
        ("SCR", "2021-01-01"),
        ("UNS", "2021-01-20"),
        ("UNS", "2021-01-05"),
        ("W2", "2021-01-15"),
    ]
    data = _frame(
        "VS", [{"USUBJID": "ST-01", "_event": e, "VSDTC": d, "VSTESTCD": "PULSE"} for e, d in rows]
    )
    # A second test of the 01-06 unscheduled visit (same raw record): the same visit, so the
    # same number; it must not push the next unscheduled visit to x.03.
    second = data.iloc[[1]].assign(VSTESTCD="SYSBP")
    data = pd.concat([data, second], ignore_index=True)
    dm = _dm(RFSTDTC="2021-01-02", RFXSTDTC="2021-01-02", RFXENDTC="2021-01-02")
    out = _derive("VS", data, dm, design, derivations={"visit": True}).data
    both = out[out["VSDTC"] == "2021-01-06"]
    assert both["VISITNUM"].tolist() == [10.02, 10.02]
    got = dict(zip(out["VSDTC"], zip(out["VISITNUM"], out["VISIT"], strict=True), strict=True))
    # Date order: SCR 01-01 (10), UNS 01-05 (10 + 0.01), UNS 01-06 (10 + 0.02), W1 01-08 (20),
    # W2 01-15 (30), UNS 01-20 (30 + 0.01).
    assert got["2021-01-01"] == (10.0, "SCREENING")
    assert got["2021-01-05"] == (10.01, "UNSCHEDULED 10.01")
    assert got["2021-01-06"] == (10.02, "UNSCHEDULED 10.02")
    assert got["2021-01-08"] == (20.0, "WEEK 1")
    assert got["2021-01-15"] == (30.0, "WEEK 2")
    assert got["2021-01-20"] == (30.01, "UNSCHEDULED 30.01")


def test_baseline_flags_the_last_pre_dose_value_among_several():
    dm = _dm(RFSTDTC="2021-03-10", RFXSTDTC="2021-03-10T09:00", RFXENDTC="2021-03-10T09:00")
    rows = [
        ("SYSBP", "2021-03-01", "120", None),
        ("SYSBP", "2021-03-08", "125", None),
        ("SYSBP", "2021-03-10T08:30", "130", None),  # pre-dose, same day: the last before
        ("SYSBP", "2021-03-10T08:45", None, "NOT DONE"),  # later, but not done
        ("SYSBP", "2021-03-10T09:30", "135", None),  # after the dose at 09:00
        ("SYSBP", "2021-03-12", "140", None),
        ("DIABP", "2021-03-01", "80", None),  # the only DIABP before the dose
        ("DIABP", "2021-03-11", "85", None),
    ]
    data = _frame(
        "VS",
        [
            {"USUBJID": "ST-01", "VSTESTCD": t, "VSDTC": d, "VSORRES": v, "VSSTAT": s}
            for t, d, v, s in rows
        ],
    )
    out = _derive(
        "VS",
        data,
        dm,
        derivations={"baseline": {"by": ["USUBJID", "VSTESTCD"], "dtc": "VSDTC"}},
    ).data
    flagged = out[out["VSLOBXFL"] == "Y"]
    assert sorted(zip(flagged["VSTESTCD"], flagged["VSORRES"], strict=True)) == [
        ("DIABP", "80"),
        ("SYSBP", "130"),
    ]


def test_seq_follows_the_declared_sort_keys_within_each_subject():
    rows = [
        ("ST-01", "2021-05-01", "Rash"),
        ("ST-01", "2021-04-01", "Headache"),
        ("ST-02", "2021-06-01", "Nausea"),
        ("ST-01", "2021-04-01", "Cough"),
    ]
    data = _frame("AE", [{"USUBJID": u, "AESTDTC": d, "AETERM": t} for u, d, t in rows])
    out = _derive("AE", data, None, sequence=("AESTDTC", "AETERM")).data
    got = dict(zip(out["AETERM"], out["AESEQ"], strict=True))
    # ST-01 by (AESTDTC, AETERM): (04-01, Cough) 1, (04-01, Headache) 2, (05-01, Rash) 3.
    assert got == {"Cough": 1, "Headache": 2, "Rash": 3, "Nausea": 1}


def _dm_raw(subjects: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"USUBJID": [f"ST-{s}" for s in subjects], "_subject": subjects, "_site": "S1"}
    )


def test_reference_dates_come_from_first_and_last_exposure(context):
    ex = pd.DataFrame(
        {
            "USUBJID": ["ST-01", "ST-01", "ST-02"],
            "EXSTDTC": ["2021-03-01", "2021-01-02T10:00", "2021-02-01"],
            "EXENDTC": [None, "2021-01-02T11:00", "2021-02-01T12:00"],
        }
    )
    out = derive_dm(
        _dm_raw(["01", "02", "03"]), ex, None, RawExport("odm", "x", {}), Design(), context, "ST"
    )
    got = out.set_index("USUBJID")
    # ST-01: first start of 2021-03-01 and 2021-01-02T10:00 is 2021-01-02T10:00; last end is
    # max(2021-03-01 (no end: its start), 2021-01-02T11:00) = 2021-03-01.
    assert got.loc["ST-01", "RFSTDTC"] == got.loc["ST-01", "RFXSTDTC"] == "2021-01-02T10:00"
    assert got.loc["ST-01", "RFXENDTC"] == got.loc["ST-01", "RFENDTC"] == "2021-03-01"
    assert got.loc["ST-02", "RFXSTDTC"] == "2021-02-01"
    assert got.loc["ST-02", "RFXENDTC"] == "2021-02-01T12:00"
    # ST-03 was never exposed: no reference start.
    assert pd.isna(got.loc["ST-03", "RFXSTDTC"]) and pd.isna(got.loc["ST-03", "RFSTDTC"])


def test_death_found_only_as_a_fatal_ae_outcome_sets_dthdtc_and_dthfl(context):
    ae = pd.DataFrame(
        {
            "USUBJID": ["ST-01", "ST-01", "ST-02"],
            "AEOUT": ["RECOVERED/RESOLVED", "FATAL", "NOT RECOVERED/NOT RESOLVED"],
            "AESTDTC": ["2023-12-01", "2024-01-20", "2024-01-05"],
            "AEENDTC": ["2023-12-05", "2024-02-01", None],
        }
    )
    dd = pd.DataFrame(
        {
            "_file": "raw.xml",
            "_form": "dd",
            "_record": ["R1"],
            "_subject": ["03"],
            "_site": "S1",
            "_event": "EOS",
            "_repeat": None,
            "DTHDAT": ["2024-03-15"],
        }
    )
    design = Design(death=FieldRef("dd", "DTHDAT"))
    out = derive_dm(
        _dm_raw(["01", "02", "03"]),
        None,
        ae,
        RawExport("odm", "x", {"dd": dd}),
        design,
        context,
        "ST",
    )
    got = out.set_index("USUBJID")
    # ST-01 has no death form, but an AE with outcome FATAL ending 2024-02-01.
    assert got.loc["ST-01", "DTHDTC"] == "2024-02-01"
    assert got.loc["ST-01", "DTHFL"] == "Y"
    # ST-02: no fatal AE, no death form.
    assert pd.isna(got.loc["ST-02", "DTHDTC"]) and pd.isna(got.loc["ST-02", "DTHFL"])
    # ST-03: the death form's date.
    assert got.loc["ST-03", "DTHDTC"] == "2024-03-15"
    assert got.loc["ST-03", "DTHFL"] == "Y"


def test_by_arm_names_the_treatment_given_once_the_subject_arm_is_known():
    dm = pd.DataFrame(
        {
            "USUBJID": ["ST-01", "ST-02", "ST-03"],
            "ARMCD": ["ACTIVE", "PBO", None],  # ST-03 not unblinded yet
            **{c: ["2021-03-10"] * 3 for c in ("RFSTDTC", "RFXSTDTC", "RFXENDTC")},
        }
    )
    data = _frame(
        "EX",
        [{"USUBJID": u, "EXTRT": "DRUG OR PLACEBO"} for u in ("ST-01", "ST-02", "ST-03")],
    )
    by_arm = {"EXTRT": {"ACTIVE": "DRUG", "PBO": "PLACEBO"}}
    out = _derive("EX", data, dm, derivations={"by_arm": by_arm}).data
    assert out["EXTRT"].tolist() == ["DRUG", "PLACEBO", "DRUG OR PLACEBO"]


def test_several_races_ticked_give_multiple_and_one_suppdm_record_per_race():
    from sdtm.algorithms import assign_ct_multiple
    from sdtm.engine import supplemental
    from sdtm.spec import Supplemental

    # ODM codes of the race item: 2 = Asian, 5 = White (the export's own decodes).
    context = Context(Standards.load(), item_codes={"RACE": {"2": "Asian", "5": "White"}})
    raw = _frame("DM", [{"USUBJID": "ST-01", "RACE": "5"}, {"USUBJID": "ST-02", "RACE": "2,5"}])
    out = assign_ct_multiple(raw, "RACE", "RACE", context=context)
    assert out.values.tolist() == ["WHITE", "MULTIPLE"]
    assert out.problems.empty
    spec = DomainSpec(
        domain="DM",
        path="dm.yaml",
        sources=(),
        steps=(),
        supplemental=(
            Supplemental("RACE", "Race", "RACE", multiple={"codelist": "RACE", "separator": ","}),
        ),
    )
    supp = supplemental(raw, spec, "ST", context)
    assert supp[["USUBJID", "QNAM", "QLABEL", "QVAL"]].values.tolist() == [
        ["ST-02", "RACE1", "Race 1", "ASIAN"],
        ["ST-02", "RACE2", "Race 2", "WHITE"],
    ]
