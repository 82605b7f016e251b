"""ADTTE from declared event and censor sources (adam/tte.py), on a hand-made SDTM study.

Expected values are worked out by hand from tests/adam/fixture_tte.py: every treated subject
starts on 2021-01-01, so AVAL from TRTSDT is ADT's day of the year (cumulative month ends in
2021: Jan 31, Feb 59, Mar 90, Apr 120, May 151, Jun 181, Jul 212, Aug 243, Sep 273, Oct 304,
Nov 334, Dec 365); every subject is randomized on 2020-12-28, 4 days earlier, so AVAL from
RANDDT is that plus 4.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adam.tte import censoring_table, derive_param_tte
from adam.tte_spec import check_tte
from cdisc.errors import InputError
from cdisc.standards import Standards
from cdisc.yamlspec import load_spec

from . import fixture_tte as fx

ROOT = Path(__file__).resolve().parents[2]

FIXTURE_SPEC = """\
dataset: ADTTE
structure: TTE
label: Time-to-Event Analysis Dataset
adsl: {TRTP: TRT01P, TRTPN: TRT01PN, SAFFL: SAFFL, ITTFL: ITTFL}
cnsr_codes:
  0: event
  1: censored at the last limb assessment or the last date known alive
  2: death before major amputation (competing event)
parameters:
  - paramcd: TTMAJAMP
    param: Time to First Major Amputation of the Index Limb (days)
    paramn: 1
    population: {field: SAFFL, equals: Y}
    start: TRTSDT
    before_start: exclude
    events:
      - {dataset: PR, where: {all: [{field: PRCAT, equals: MAJOR AMPUTATION},
                                    {field: PRLAT, same_as: INDEXLAT}]},
         date: PRSTDTC, evntdesc: MAJOR AMPUTATION OF INDEX LIMB}
      - {dataset: ADSL, where: {field: DTHFL, equals: Y}, date: DTHDT, cnsr: 2,
         evntdesc: DEATH BEFORE MAJOR AMPUTATION}
    censors:
      - {dataset: RS, where: {field: RSTESTCD, equals: RUTH0101}, date: RSDTC, cnsr: 1,
         cnsdtdsc: LAST LIMB ASSESSMENT}
      - {dataset: ADSL, date: LSTALVDT, cnsr: 1, cnsdtdsc: LAST DATE KNOWN ALIVE}
    censor_choice: latest
  - paramcd: TTDEATH
    param: Time to Death from Any Cause (days)
    paramn: 2
    population: {field: SAFFL, equals: Y}
    start: TRTSDT
    events:
      - {dataset: ADSL, where: {field: DTHFL, equals: Y}, date: DTHDT, evntdesc: DEATH}
    censors:
      - {dataset: ADSL, date: LSTALVDT, cnsdtdsc: LAST DATE KNOWN ALIVE}
  - paramcd: TTAFS
    param: Amputation-free Survival (days)
    paramn: 3
    population: {field: SAFFL, equals: Y}
    start: TRTSDT
    events:
      - {dataset: PR, where: {all: [{field: PRCAT, equals: MAJOR AMPUTATION},
                                    {field: PRLAT, same_as: INDEXLAT}]},
         date: PRSTDTC, evntdesc: MAJOR AMPUTATION OF INDEX LIMB}
      - {dataset: ADSL, where: {field: DTHFL, equals: Y}, date: DTHDT, evntdesc: DEATH}
    censors:
      - {dataset: RS, where: {field: RSTESTCD, equals: RUTH0101}, date: RSDTC,
         cnsdtdsc: LAST LIMB ASSESSMENT}
      - {dataset: ADSL, date: LSTALVDT, cnsdtdsc: LAST DATE KNOWN ALIVE}
    censor_choice: first_listed
  - paramcd: TTAFSR
    like: TTAFS
    param: Amputation-free Survival from Randomization (days)
    paramn: 4
    start: RANDDT
    population: {field: ITTFL, equals: Y}
"""

SAE_PARAMETER = """\
  - paramcd: TTSAE
    param: Time to First Serious Adverse Event (days)
    paramn: 5
    population: {field: SAFFL, equals: Y}
    start: TRTSDT
    events:
      - {dataset: AE, where: {field: AESER, equals: "Y"}, date: AESTDTC,
         impute: {highest_imputation: M, date_imputation: first},
         evntdesc: FIRST SERIOUS ADVERSE EVENT}
    censors:
      - {dataset: ADSL, date: LSTALVDT, cnsdtdsc: LAST DATE KNOWN ALIVE}
"""

AMP, DEATH_BEFORE, DEATH = (
    "MAJOR AMPUTATION OF INDEX LIMB",
    "DEATH BEFORE MAJOR AMPUTATION",
    "DEATH",
)
LIMB, ALIVE = "LAST LIMB ASSESSMENT", "LAST DATE KNOWN ALIVE"
PR_DT, DTH, LST, RS_DT = ("PR", "PRSTDTC"), ("ADSL", "DTHDT"), ("ADSL", "LSTALVDT"), ("RS", "RSDTC")

# (subject, ADT, AVAL, CNSR, EVNTDESC or CNSDTDSC, (SRCDOM, SRCVAR), SRCSEQ, ADTF)
EXPECTED = {
    "TTMAJAMP": [
        ("001", "2021-03-01", 60, 0, AMP, PR_DT, 1, None),  # PR 1 (index LEFT); PR 2 is later
        ("002", "2021-12-31", 365, 1, ALIVE, LST, None, None),  # no event; LSTALVDT after RS 3
        ("003", "2021-05-10", 130, 2, DEATH_BEFORE, DTH, None, None),  # competing death
        ("004", "2021-10-15", 288, 1, ALIVE, LST, None, None),  # LEFT amputation, index RIGHT
        (
            "005",
            "2021-06-15",
            166,
            1,
            LIMB,
            RS_DT,
            2,
            None,
        ),  # minor only; RS ties LSTALVDT: listed 1st
        ("006", "2021-08-01", 213, 1, ALIVE, LST, None, None),  # amputation before TRTSDT excluded
        ("007", "2021-07-01", 182, 2, DEATH_BEFORE, DTH, None, "D"),  # death '2021-07' -> 07-01 D
        ("008", "2021-04-10", 100, 0, AMP, PR_DT, 2, None),  # amputation and death same day: PR 1st
        ("009", "2021-04-15", 105, 1, ALIVE, LST, None, None),  # lost: last seen 04-15 (RS FONT)
        ("011", "2021-09-30", 273, 1, ALIVE, LST, None, None),  # '2021-05' not imputed: ignored
    ],
    "TTDEATH": [
        ("001", "2021-06-30", 181, 1, ALIVE, LST, None, None),  # alive
        ("002", "2021-12-31", 365, 1, ALIVE, LST, None, None),  # alive
        ("003", "2021-05-10", 130, 0, DEATH, DTH, None, None),  # died
        ("004", "2021-10-15", 288, 1, ALIVE, LST, None, None),  # alive
        ("005", "2021-06-15", 166, 1, ALIVE, LST, None, None),  # alive
        ("006", "2021-08-01", 213, 1, ALIVE, LST, None, None),  # alive
        ("007", "2021-07-01", 182, 0, DEATH, DTH, None, "D"),  # died, day imputed
        ("008", "2021-04-10", 100, 0, DEATH, DTH, None, None),  # died
        ("009", "2021-04-15", 105, 1, ALIVE, LST, None, None),  # lost to follow-up
        ("011", "2021-09-30", 273, 1, ALIVE, LST, None, None),  # alive
    ],
    "TTAFS": [  # censor_choice first_listed: the last Rutherford assessment when there is one
        ("001", "2021-03-01", 60, 0, AMP, PR_DT, 1, None),  # amputation
        ("002", "2021-07-01", 182, 1, LIMB, RS_DT, 3, None),  # RS 3; FONT0101 on 11-01 not a RUTH
        ("003", "2021-05-10", 130, 0, DEATH, DTH, None, None),  # death
        ("004", "2021-09-01", 244, 1, LIMB, RS_DT, 3, None),  # contralateral amputation ignored
        ("005", "2021-06-15", 166, 1, LIMB, RS_DT, 2, None),  # minor amputation ignored
        ("006", "2021-03-01", 60, 1, LIMB, RS_DT, 2, None),  # amputation before TRTSDT excluded
        ("007", "2021-07-01", 182, 0, DEATH, DTH, None, "D"),  # death, day imputed
        ("008", "2021-04-10", 100, 0, AMP, PR_DT, 2, None),  # same day as death: PR listed first
        ("009", "2021-03-15", 74, 1, LIMB, RS_DT, 2, None),  # lost: last Rutherford assessment
        ("011", "2021-08-01", 213, 1, LIMB, RS_DT, 2, None),  # partial amputation date ignored
    ],
    "TTAFSR": [  # like TTAFS, from RANDDT 2020-12-28, ITT population
        ("001", "2021-03-01", 64, 0, AMP, PR_DT, 1, None),
        ("002", "2021-07-01", 186, 1, LIMB, RS_DT, 3, None),
        ("003", "2021-05-10", 134, 0, DEATH, DTH, None, None),
        ("004", "2021-09-01", 248, 1, LIMB, RS_DT, 3, None),
        ("005", "2021-06-15", 170, 1, LIMB, RS_DT, 2, None),
        (
            "006",
            "2020-12-30",
            3,
            0,
            AMP,
            PR_DT,
            1,
            None,
        ),  # after RANDDT: an event here (2 days + 1)
        ("007", "2021-07-01", 186, 0, DEATH, DTH, None, "D"),
        ("008", "2021-04-10", 104, 0, AMP, PR_DT, 2, None),
        ("009", "2021-03-15", 78, 1, LIMB, RS_DT, 2, None),
        ("010", "2021-02-01", 36, 1, ALIVE, LST, None, None),  # never treated; RS 1 before RANDDT
        ("011", "2021-08-01", 217, 1, LIMB, RS_DT, 2, None),
    ],
    "TTSAE": [  # the parameter defined in YAML only
        ("001", "2021-02-20", 51, 0, "FIRST SERIOUS ADVERSE EVENT", ("AE", "AESTDTC"), 2, None),
        ("002", "2021-03-01", 60, 0, "FIRST SERIOUS ADVERSE EVENT", ("AE", "AESTDTC"), 1, "D"),
        ("003", "2021-04-01", 91, 0, "FIRST SERIOUS ADVERSE EVENT", ("AE", "AESTDTC"), 2, None),
        ("004", "2021-10-15", 288, 1, ALIVE, LST, None, None),  # no AE: LSTALVDT
        ("005", "2021-06-15", 166, 1, ALIVE, LST, None, None),
        ("006", "2021-08-01", 213, 1, ALIVE, LST, None, None),
        ("007", "2021-06-20", 171, 1, ALIVE, LST, None, None),
        ("008", "2021-04-10", 100, 1, ALIVE, LST, None, None),
        ("009", "2021-04-15", 105, 1, ALIVE, LST, None, None),
        ("011", "2021-09-30", 273, 1, ALIVE, LST, None, None),
    ],
}
PARAMN = {"TTMAJAMP": 1, "TTDEATH": 2, "TTAFS": 3, "TTAFSR": 4, "TTSAE": 5}
ADSL_VARS = set(fx.adsl().columns)


@pytest.fixture(scope="module")
def standards() -> Standards:
    return Standards.load()


def spec_of(text: str, tmp_path: Path, standards: Standards, adsl_vars=ADSL_VARS):
    path = tmp_path / "adtte.yaml"
    path.write_text(text, encoding="utf-8")
    return check_tte(load_spec(path, display="adtte.yaml"), standards, adsl_vars)


def expected_frame(paramcds: list[str]) -> pd.DataFrame:
    rows = [
        {
            "USUBJID": fx.usubjid(s),
            "PARAMCD": code,
            "PARAMN": float(PARAMN[code]),
            "ADT": pd.Timestamp(adt),
            "AVAL": float(aval),
            "CNSR": float(cnsr),
            "EVNTDESC": desc if cnsr == 0 or "DEATH" in desc else None,
            "CNSDTDSC": desc if desc in (LIMB, ALIVE) else None,
            "SRCDOM": src[0],
            "SRCVAR": src[1],
            "SRCSEQ": np.nan if seq is None else float(seq),
            "ADTF": adtf,
        }
        for code in paramcds
        for s, adt, aval, cnsr, desc, src, seq, adtf in EXPECTED[code]
    ]
    frame = pd.DataFrame(rows).sort_values(["USUBJID", "PARAMN"], kind="stable")
    return frame.reset_index(drop=True)


def compare(adtte: pd.DataFrame, paramcds: list[str]) -> None:
    want = expected_frame(paramcds)
    got = adtte[list(want.columns)].reset_index(drop=True)
    for frame in (want, got):
        for name in ("USUBJID", "PARAMCD", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "ADTF"):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


@pytest.fixture(scope="module")
def fixture_run(standards, tmp_path_factory):
    spec, problems = spec_of(FIXTURE_SPEC, tmp_path_factory.mktemp("tte"), standards)
    assert problems == []
    return derive_param_tte(fx.adsl(), fx.sdtm(), spec)


def test_fixture_adtte_values_worked_out_by_hand(fixture_run):
    adtte, _ = fixture_run
    compare(adtte, ["TTMAJAMP", "TTDEATH", "TTAFS", "TTAFSR"])


def test_fixture_record_shape(fixture_run):
    adtte, _ = fixture_run
    assert list(adtte.columns) == [
        "STUDYID", "USUBJID", "TRTP", "TRTPN", "SAFFL", "ITTFL", "PARAMCD", "PARAM", "PARAMN",
        "STARTDT", "STARTDTF", "ADT", "ADTF", "AVAL", "CNSR", "EVNTDESC", "CNSDTDSC",
        "SRCDOM", "SRCVAR", "SRCSEQ",
    ]  # fmt: skip
    # 10 safety subjects x 3 parameters + 11 ITT subjects x 1.
    assert len(adtte) == 41
    assert adtte["ADT"].dtype == "datetime64[ns]" and adtte["STARTDT"].dtype == "datetime64[ns]"
    never = adtte[adtte["USUBJID"] == fx.usubjid("010")]
    assert never[["PARAMCD", "STARTDT", "TRTP", "SAFFL"]].values.tolist() == [
        ["TTAFSR", pd.Timestamp("2020-12-28"), "BM-MSC", "N"]
    ]
    afs = adtte[adtte["PARAMCD"] == "TTAFS"]
    assert set(afs["STARTDT"]) == {pd.Timestamp("2021-01-01")}
    assert afs["PARAM"].unique().tolist() == ["Amputation-free Survival (days)"]
    assert adtte.loc[adtte["USUBJID"] == fx.usubjid("002"), "TRTPN"].tolist() == [2.0] * 4


def test_partial_event_date_is_reported_and_ignored(fixture_run):
    _, problems = fixture_run
    assert problems["code"].tolist() == ["tte-date-not-imputable"] * 3
    assert set(problems["subject"]) == {fx.usubjid("011")}
    assert problems["form"].tolist() == ["PR"] * 3
    assert problems["record"].tolist() == ["1"] * 3
    assert problems["value"].tolist() == ["2021-05"] * 3
    first = problems["message"].iloc[0]
    assert first.startswith("TTMAJAMP: PR.PRSTDTC '2021-05' is not a date its impute rule")
    assert first.endswith("the MAJOR AMPUTATION OF INDEX LIMB record is ignored")


def test_extra_parameter_defined_in_yaml_only(standards, tmp_path):
    spec, problems = spec_of(FIXTURE_SPEC + SAE_PARAMETER, tmp_path, standards)
    assert problems == []
    adtte, issues = derive_param_tte(fx.adsl(), fx.sdtm(), spec)
    compare(adtte[adtte["PARAMCD"] == "TTSAE"], ["TTSAE"])
    assert fx.usubjid("010") not in set(adtte.loc[adtte["PARAMCD"] == "TTSAE", "USUBJID"])
    assert "TTSAE" not in " ".join(issues["message"])


def test_censoring_table(fixture_run):
    adtte, _ = fixture_run
    table = censoring_table(adtte)
    assert list(table.columns) == [
        "USUBJID",
        "PARAMCD",
        "STATUS",
        "CNSR",
        "ADT",
        "AVAL",
        "DECIDED_BY",
        "REASON",
    ]
    assert len(table) == len(adtte)
    rows = table.set_index(["USUBJID", "PARAMCD"])
    pick = lambda s, p: rows.loc[(fx.usubjid(s), p), ["STATUS", "DECIDED_BY", "REASON"]].tolist()  # noqa: E731
    assert pick("001", "TTMAJAMP") == ["event", "PR.PRSTDTC seq 1", AMP]
    assert pick("003", "TTMAJAMP") == ["competing event", "ADSL.DTHDT", DEATH_BEFORE]
    assert pick("005", "TTMAJAMP") == ["censored", "RS.RSDTC seq 2", LIMB]
    assert pick("009", "TTDEATH") == ["censored", "ADSL.LSTALVDT", ALIVE]
    assert pick("008", "TTAFS") == ["event", "PR.PRSTDTC seq 2", AMP]
    counts = table.groupby("PARAMCD")["STATUS"].value_counts().to_dict()
    # TTMAJAMP: events 001 008; competing 003 007; the other 6 censored.
    assert counts[("TTMAJAMP", "event")] == 2
    assert counts[("TTMAJAMP", "competing event")] == 2
    assert counts[("TTMAJAMP", "censored")] == 6


def test_no_start_and_no_date_are_reported(standards, tmp_path):
    spec, problems = spec_of(FIXTURE_SPEC, tmp_path, standards)
    assert problems == []
    adsl = fx.adsl()
    # 002 loses TRTSDT; 004 has no LSTALVDT (and no death): nothing ends TTDEATH.
    adsl.loc[adsl["USUBJID"] == fx.usubjid("002"), "TRTSDT"] = pd.NaT
    adsl.loc[adsl["USUBJID"] == fx.usubjid("004"), "LSTALVDT"] = pd.NaT
    adtte, issues = derive_param_tte(adsl, fx.sdtm(), spec)
    no_start = issues[issues["code"] == "tte-no-start"]
    assert sorted(no_start["message"].str.split(":").str[0]) == ["TTAFS", "TTDEATH", "TTMAJAMP"]
    assert set(no_start["subject"]) == {fx.usubjid("002")}
    no_date = issues[issues["code"] == "tte-no-date"]
    assert no_date[["subject", "variable"]].values.tolist() == [[fx.usubjid("004"), "ADT"]]
    assert no_date["message"].iloc[0].startswith("TTDEATH: no event and no censoring date")
    assert set(adtte.loc[adtte["USUBJID"] == fx.usubjid("002"), "PARAMCD"]) == {"TTAFSR"}
    assert "TTDEATH" not in set(adtte.loc[adtte["USUBJID"] == fx.usubjid("004"), "PARAMCD"])


def test_before_start_keep_and_aval_of_earlier_dates(standards, tmp_path):
    text = FIXTURE_SPEC.replace("before_start: exclude", "before_start: keep")
    spec, problems = spec_of(text, tmp_path, standards)
    assert problems == []
    adtte, _ = derive_param_tte(fx.adsl(), fx.sdtm(), spec)
    row = adtte[(adtte["USUBJID"] == fx.usubjid("006")) & (adtte["PARAMCD"] == "TTMAJAMP")]
    # PR on 2020-12-30 is 2 days before TRTSDT: admiral adds one only to non-negative durations.
    assert row[["ADT", "AVAL", "CNSR"]].values.tolist() == [[pd.Timestamp("2020-12-30"), -2.0, 0.0]]


def test_missing_input_variables_raise_input_error(standards, tmp_path):
    spec, _ = spec_of(FIXTURE_SPEC, tmp_path, standards)
    with pytest.raises(InputError, match=r"does not have: ADSL\.LSTALVDT \(derive") as caught:
        derive_param_tte(fx.adsl().drop(columns="LSTALVDT"), fx.sdtm(), spec)
    assert "derive them in ADSL first" in str(caught.value)
    # An SDTM variable a dataset lacks is a Permissible one the SDTM stage left out for
    # having no value: read as empty, so no amputation is of the index limb.
    sdtm = fx.sdtm()
    sdtm["PR"] = sdtm["PR"].drop(columns="PRLAT")
    adtte, _ = derive_param_tte(fx.adsl(), sdtm, spec)
    amputations = adtte[(adtte["PARAMCD"] == "TTMAJAMP") & (adtte["SRCDOM"] == "PR")]
    assert amputations.empty
    adsl = fx.adsl().astype({"DTHDT": str})
    with pytest.raises(InputError, match="ADSL dates must be datetime64: DTHDT"):
        derive_param_tte(adsl, fx.sdtm(), spec)


BAD_SPEC = """\
dataset: ADTTE
structur: TTE
cnsr_codes: {0: event, 1: censored}
adsl: {TRTP: TRT01PX}
parameters:
  - paramcd: ttmajamp1
    param: Time to First Major Amputation
    start: TRTSDTX
    censor_choice: newest
    events:
      - {dataset: PR, date: PRSTDTC, cnsr: 2}
      - {dataset: ADSL, date: DTHDT, cnsr: -1, evntdesc: DEATH, cnsdtdsc: DEATH}
    censors:
      - {dataset: RS, date: RSDTC, cnsr: 0, cnsdtdsc: LAST}
      - {dataset: ADSL, date: LSTALVDT}
  - paramcd: TTDEATH
    param: Time to Death (days)
    start: TRTSDT
    events: [{dataset: ADSL, date: DTHDT, evntdesc: DEATH}]
    censors: [{dataset: ADSL, date: LSTALVDT, cnsdtdsc: ALIVE}]
  - paramcd: TTDEATH
    param: Time to Death, again (days)
    start: TRTSDT
    events: [{dataset: ADSL, date: DTHDT, evntdesc: DEATH}]
    censors: [{dataset: ADSL, date: LSTALVDT, cnsdtdsc: ALIVE}]
  - {paramcd: TTA, like: TTB, param: A (days), paramn: 7}
  - {paramcd: TTB, like: TTA, param: B (days), paramn: 8}
  - {paramcd: TTC, like: TTNONE, param: C (days), paramn: 9}
  - {paramcd: TTD, like: TTDEATH, param: D (days), paramn: 2}
"""


def test_spec_problems_are_all_reported_with_keypaths(standards, tmp_path):
    spec, problems = spec_of(BAD_SPEC, tmp_path, standards)
    assert spec is None
    text = [str(p) for p in problems]

    def has(fragment: str) -> None:
        assert any(fragment in t for t in text), f"{fragment!r} not in:\n" + "\n".join(text)

    has("adtte.yaml:2 structur: unknown key (did you mean 'structure'?)")
    has("adsl.TRTP: ADSL has no variable 'TRT01PX' (did you mean 'TRT01P'?)")
    has("parameters.0.paramcd: not a PARAMCD: 'ttmajamp1'")
    has("parameters.0.param: PARAM must name the unit of AVAL")
    has("parameters.0.start: start 'TRTSDTX' is not an ADSL date variable (did you mean 'TRTSDT'?)")
    has("parameters.0.censor_choice: unknown censor_choice 'newest' (latest or first_listed)")
    has("parameters.0.events.0.cnsr: CNSR 2 is not documented in cnsr_codes")
    has("parameters.0.events.0: an event source needs evntdesc")
    has("parameters.0.events.1.cnsr: an event CNSR is an integer 0 or more, not -1")
    has("parameters.0.events.1.cnsdtdsc: an event has no censoring date description")
    has("parameters.0.censors.0.cnsr: a censor CNSR is an integer 1 or more, not 0")
    has("parameters.0.censors.1: a censor source needs cnsdtdsc")
    has("parameters.2.paramcd: duplicate paramcd 'TTDEATH' (first in parameters.1)")
    has("parameters.3.like: circular like: TTA -> TTB -> TTA")
    has("parameters.4.like: circular like: TTB -> TTA -> TTB")
    has("parameters.5.like: no parameter 'TTNONE' to copy")
    has("parameters.6.paramn: TTD has the same paramn as TTDEATH")
    lines = {p.keypath: p.line for p in problems}
    assert lines["parameters.0.events.0.cnsr"] == 11
    assert lines["parameters.5.like"] == 28


def test_inherited_problem_is_reported_once(standards, tmp_path):
    text = FIXTURE_SPEC.replace("cnsdtdsc: LAST LIMB ASSESSMENT}\n      - {dataset: ADSL, date: "
                                "LSTALVDT, cnsdtdsc: LAST DATE KNOWN ALIVE}\n    censor_choice: "
                                "first_listed", "cnsdtdsc: LAST LIMB ASSESSMENT, cnsr: 5}\n      - "
                                "{dataset: ADSL, date: LSTALVDT, cnsdtdsc: LAST DATE KNOWN ALIVE}"
                                "\n    censor_choice: first_listed")  # fmt: skip
    spec, problems = spec_of(text, tmp_path, standards)
    assert spec is None
    # TTAFSR copies TTAFS's censors: the problem is at TTAFS's line, once.
    assert [(p.keypath, p.problem) for p in problems] == [
        ("parameters.2.censors.0.cnsr", "CNSR 5 is not documented in cnsr_codes")
    ]


def test_spec_top_level_problems(standards, tmp_path):
    text = "dataset: ADTTE_LONG\nstructure: BDS\nlabel: " + "x" * 41 + "\ncnsr_codes: {a: b}\n"
    text += "parameters: []\n"
    _, problems = spec_of(text, tmp_path, standards)
    got = {(p.keypath, p.problem) for p in problems}
    assert got == {
        ("dataset", "not an ADaM dataset name: 'ADTTE_LONG'"),
        ("structure", "unknown structure 'BDS'"),
        ("label", "the label must be 1 to 40 characters"),
        ("cnsr_codes.a", "a CNSR code is an integer 0 or more, not 'a'"),
        ("parameters", "expected a list of parameters"),
    }


def test_source_problems_come_from_check_source(standards, tmp_path):
    text = FIXTURE_SPEC.replace("date: PRSTDTC, evntdesc: MAJOR AMPUTATION OF INDEX LIMB}\n"
                                "      - {dataset: ADSL, where: {field: DTHFL, equals: Y}, "
                                "date: DTHDT, cnsr: 2", "date: PRSTDTX, evntdesc: MAJOR AMPUTATION"
                                " OF INDEX LIMB}\n      - {dataset: ADLS, where: {field: DTHFL, "
                                "equals: Y}, date: DTHDT, cnsr: 2", 1)  # fmt: skip
    _, problems = spec_of(text, tmp_path, standards)
    assert [(p.keypath, p.problem, p.hint) for p in problems] == [
        ("parameters.0.events.0.date", "PR has no variable 'PRSTDTX'", "did you mean 'PRSTDTC'?"),
        ("parameters.0.events.1.dataset", "unknown dataset 'ADLS'", "did you mean 'ADSL'?"),
    ]
