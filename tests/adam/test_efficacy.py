"""ADEFF (adam.efficacy): hand-worked therapy-success cases and spec problems.

Every expected value below is worked out by hand from the inline frames; the one-line
reason next to each subject says how.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adam.efficacy import derive_efficacy
from adam.efficacy_spec import check_efficacy
from cdisc.errors import InputError
from cdisc.standards import Standards
from cdisc.yamlspec import load_spec

SPEC = """\
dataset: ADEFF
structure: BDS
label: Efficacy Analysis Dataset
adsl: {TRTP: TRT01P, TRTPN: TRT01PN, ITTFL: ITTFL}
population: {field: ITTFL, equals: Y}
start: RANDDT
measures:
  - paramcd: RUTHCAT
    param: Rutherford Category
    source: {dataset: RS, where: {field: RSTESTCD, equals: RUTH0101}, value: RSSTRESC,
             pattern: '^[IV0]+-(\\d)', date: RSDTC}
    range: [0, 6]
    baseline: {field: RSLOBXFL, equals: Y}
    visit: {avisit: MONTH 6, avisitn: 6, where: {field: VISITNUM, equals: "60"}}
  - paramcd: VASREST
    param: Rest Pain VAS (mm)
    source: {dataset: QS, where: {field: QSTESTCD, equals: VASREST}, value: QSSTRESN, date: QSDTC}
    range: [0, 100]
    baseline: {field: QSLOBXFL, equals: Y}
    visit: {avisit: MONTH 6, avisitn: 6, where: {field: VISITNUM, equals: "60"}}
composite:
  paramcd: TSUCCESS
  param: Therapy Success at Month 6
  avisit: MONTH 6
  avisitn: 6
  missing: MISSING
  components:
    - crit: Alive at month 6
      no_event: {dataset: ADTTE, paramcd: TTDEATH, by_day: 183}
    - crit: No major amputation of the index limb by month 6
      no_event: {dataset: ADTTE, paramcd: TTMAJAMP, by_day: 183}
    - crit: Not worsened in Rutherford category or VAS
      none_of: [{paramcd: RUTHCAT, chg_at_least: 1}, {paramcd: VASREST, chg_at_least: 10}]
    - crit: Improved in Rutherford category or VAS
      any_of: [{paramcd: RUTHCAT, chg_at_most: -1}, {paramcd: VASREST, chg_at_most: -10}]
"""
ADSL_VARS = {"STUDYID", "USUBJID", "TRT01P", "TRT01PN", "ITTFL", "RANDDT", "INDEXLAT"}
TTE_PARAMS = {"TTDEATH", "TTMAJAMP"}
RUTH = {3: "I-3 - Severe claudication", 4: "II-4 - Ischemic rest pain"}
RUTH |= {5: "III-5 - Minor tissue loss", 2: "I-2 - Moderate claudication"}
BASE_DAY, MONTH6_DAY = "2020-12-20", "2021-07-02"  # ADY -12 and 183 from RANDDT 2021-01-01


def _spec(tmp_path: Path, text: str = SPEC, missing: str = "failure"):
    path = tmp_path / "adeff.yaml"
    path.write_text(text.replace("MISSING", missing))
    return check_efficacy(load_spec(path), Standards.load(), ADSL_VARS, TTE_PARAMS)


def _adsl() -> pd.DataFrame:
    ids = [f"S{i:02d}" for i in range(1, 14)]
    return pd.DataFrame(
        {
            "STUDYID": "T",
            "USUBJID": ids,
            "TRT01P": ["A", "B"] * 6 + ["A"],
            "TRT01PN": [1.0, 2.0] * 6 + [1.0],
            "ITTFL": ["Y"] * 10 + ["N", "Y", "Y"],  # S11 is outside the population
            "RANDDT": pd.Timestamp("2021-01-01"),
            "INDEXLAT": "LEFT",
        }
    )


# (subject, baseline Rutherford, month-6 Rutherford, baseline VAS, month-6 VAS); None: absent.
VALUES = [
    ("S01", 5, 4, 70, 40),  # both improved
    ("S02", 4, 3, 40, 65),  # VAS worsened by 25
    ("S03", 4, 3, 50, 45),  # improved in Rutherford only; VAS -5
    ("S04", 4, 4, 50, 50),  # no change
    ("S05", 4, None, 60, None),  # dead at day 100, no month-6 values
    ("S06", 4, 3, 60, 40),  # dead at day 200, after month 6
    ("S07", 4, 3, 60, 40),  # index-limb major amputation at day 90
    ("S08", 4, None, 50, None),  # no month-6 assessment (VAS -99 out of range, not used)
    ("S09", 4, 4, 50, 40),  # VAS -10 exactly: improved
    ("S10", 3, 2, 30, 40),  # VAS +10 exactly: worsened
    ("S11", 4, 3, 60, 40),  # ITTFL N
    ("S12", 4, 5, 50, None),  # Rutherford worsened, month-6 VAS missing
    ("S13", 4, 3, 50, None),  # Rutherford improved, month-6 VAS missing
]


def _sdtm() -> dict[str, pd.DataFrame]:
    rs_rows, qs_rows = [], []
    for subject, ruth0, ruth6, vas0, vas6 in VALUES:
        rs_rows.append((subject, RUTH[ruth0], 10.0, "Y", BASE_DAY))
        if ruth6 is not None:
            rs_rows.append((subject, RUTH[ruth6], 60.0, None, MONTH6_DAY))
        qs_rows.append((subject, float(vas0), 20.0, "Y", BASE_DAY))
        if vas6 is not None:
            qs_rows.append((subject, float(vas6), 60.0, None, MONTH6_DAY))
    # Not used: a month-2 Rutherford; a month-6 text without a category; VAS out of range;
    # an earlier month-6 VAS of S03 (the last by date counts); a FONT0101 record.
    rs_rows += [
        ("S01", RUTH[2], 50.0, None, "2021-03-01"),
        ("S05", "NOT DONE", 60.0, None, "2021-04-10"),
    ]
    qs_rows += [("S08", -99.0, 60.0, None, MONTH6_DAY), ("S03", 90.0, 60.0, None, "2021-06-20")]
    rs = pd.DataFrame(rs_rows, columns=["USUBJID", "RSSTRESC", "VISITNUM", "RSLOBXFL", "RSDTC"])
    rs = pd.concat(
        [
            rs.assign(RSTESTCD="RUTH0101"),
            pd.DataFrame(
                {"USUBJID": ["S01"], "RSSTRESC": ["II"], "VISITNUM": [60.0], "RSTESTCD": "FONT0101"}
            ),
        ],
        ignore_index=True,
    )
    rs["RSSEQ"] = np.arange(1.0, len(rs) + 1)
    qs = pd.DataFrame(qs_rows, columns=["USUBJID", "QSSTRESN", "VISITNUM", "QSLOBXFL", "QSDTC"])
    qs = qs.assign(QSTESTCD="VASREST", QSSEQ=np.arange(101.0, len(qs) + 101))
    return {"RS": rs.astype({"RSLOBXFL": object}), "QS": qs.astype({"QSLOBXFL": object})}


def _adtte() -> pd.DataFrame:
    # (subject, TTDEATH AVAL/CNSR, TTMAJAMP AVAL/CNSR); CNSR 2 on TTMAJAMP = death first.
    rows = [
        ("S05", 100, 0, 100, 2),
        ("S06", 200, 0, 200, 2),
        ("S07", 400, 1, 90, 0),
        ("S08", 150, 1, 150, 1),  # lost at day 150: censored, no event known
    ]
    rest = [s for s, *_ in VALUES if s not in {"S05", "S06", "S07", "S08"}]
    rows += [(s, 400, 1, 400, 1) for s in rest]
    frame = pd.DataFrame(rows, columns=["USUBJID", "D_AVAL", "D_CNSR", "A_AVAL", "A_CNSR"])
    death = frame[["USUBJID", "D_AVAL", "D_CNSR"]].set_axis(["USUBJID", "AVAL", "CNSR"], axis=1)
    amp = frame[["USUBJID", "A_AVAL", "A_CNSR"]].set_axis(["USUBJID", "AVAL", "CNSR"], axis=1)
    amp = amp[amp["USUBJID"] != "S12"]  # S12 has no TTMAJAMP record: CRIT2 unknown
    out = pd.concat([death.assign(PARAMCD="TTDEATH"), amp.assign(PARAMCD="TTMAJAMP")])
    return out.astype({"AVAL": float, "CNSR": float}).reset_index(drop=True)


# Composite per subject: CRIT1FL..CRIT4FL (None: not evaluable), AVALC under "failure".
EXPECTED = {
    "S01": ("Y", "Y", "Y", "Y", "Y"),  # Ruth -1, VAS -30: nothing worse, both better
    "S02": ("Y", "Y", "N", "Y", "N"),  # VAS +25 >= 10: worsened
    "S03": ("Y", "Y", "Y", "Y", "Y"),  # last month-6 VAS is 45 (-5): not worse; Ruth -1 better
    "S04": ("Y", "Y", "Y", "N", "N"),  # no change: not improved
    "S05": ("N", "Y", None, None, "N"),  # death day 100 <= 183 fails whatever is missing
    "S06": ("Y", "Y", "Y", "Y", "Y"),  # death day 200 > 183; Ruth -1, VAS -20
    "S07": ("Y", "N", "Y", "Y", "N"),  # amputation day 90 <= 183
    "S08": ("Y", "Y", None, None, "N"),  # no usable month-6 value: missing rule
    "S09": ("Y", "Y", "Y", "Y", "Y"),  # VAS -10 <= -10: improved; Ruth 0
    "S10": ("Y", "Y", "N", "Y", "N"),  # VAS +10 >= 10: worsened (Ruth -1 improved)
    "S12": ("Y", None, "N", None, "N"),  # Ruth +1 worsened: known failure despite gaps
    "S13": ("Y", "Y", None, "Y", "N"),  # Ruth -1 improved, VAS unknown: missing rule
}
DECIDED_BY_RULE = {"S08", "S13"}


def _composite(adeff: pd.DataFrame) -> pd.DataFrame:
    return adeff[adeff["PARAMCD"] == "TSUCCESS"].set_index("USUBJID")


def test_spec_of_the_tests_is_sound(tmp_path):
    spec, problems = _spec(tmp_path)
    assert problems == []
    assert [m.paramcd for m in spec.measures] == ["RUTHCAT", "VASREST"]
    assert spec.composite.missing == "failure"


def test_composite_under_failure(tmp_path):
    spec, _ = _spec(tmp_path)
    adeff, problems = derive_efficacy(_adsl(), _sdtm(), _adtte(), spec)
    comp = _composite(adeff)
    assert sorted(comp.index) == sorted(EXPECTED)  # S11 (ITTFL N) left out
    for subject, (*flags, avalc) in EXPECTED.items():
        row = comp.loc[subject]
        assert [row[f"CRIT{i}FL"] for i in range(1, 5)] == flags, subject
        assert row["AVALC"] == avalc, subject
        assert row["AVAL"] == (1.0 if avalc == "Y" else 0.0), subject
        assert row["DTYPE"] == ("WC" if subject in DECIDED_BY_RULE else None), subject
        assert row["CRIT3"] == "Not worsened in Rutherford category or VAS"
        assert (row["TRTP"], row["ITTFL"], row["AVISIT"], row["AVISITN"]) == (
            "A" if subject in {"S01", "S03", "S05", "S07", "S09", "S13"} else "B",
            "Y",
            "MONTH 6",
            6.0,
        )
    rule = problems[problems["code"] == "efficacy-missing-rule"].set_index("subject")
    assert sorted(rule.index) == sorted(DECIDED_BY_RULE)
    assert rule.loc["S08", "message"] == (
        "TSUCCESS not evaluable (CRIT3, CRIT4 unknown; no MONTH 6 RUTHCAT; no MONTH 6 VASREST):"
        " counted as failure by the rule missing: failure"
    )
    # Success counts by arm, counted from EXPECTED: A = S01, S03, S09; B = S06.
    assert comp.groupby("TRTP")["AVAL"].sum().to_dict() == {"A": 3.0, "B": 1.0}


def test_composite_under_exclude(tmp_path):
    spec, _ = _spec(tmp_path, missing="exclude")
    adeff, problems = derive_efficacy(_adsl(), _sdtm(), _adtte(), spec)
    comp = _composite(adeff)
    for subject, (*flags, avalc) in EXPECTED.items():
        row = comp.loc[subject]
        assert [row[f"CRIT{i}FL"] for i in range(1, 5)] == flags, subject
        if subject in DECIDED_BY_RULE:  # no value and no DTYPE: left out of the analysis
            assert (np.isnan(row["AVAL"]), row["AVALC"], row["DTYPE"]) == (True, None, None)
        else:
            assert (row["AVALC"], row["DTYPE"]) == (avalc, None), subject
    message = problems.set_index("subject").loc["S13"]
    assert message["code"] == "efficacy-missing-rule"
    assert message["message"].endswith("excluded (no AVAL) by the rule missing: exclude")


def test_measure_records(tmp_path):
    spec, _ = _spec(tmp_path)
    adeff, _ = derive_efficacy(_adsl(), _sdtm(), _adtte(), spec)
    ruth = adeff[(adeff["USUBJID"] == "S01") & (adeff["PARAMCD"] == "RUTHCAT")]
    # RS rows in _sdtm order: S01 baseline is RSSEQ 1, its month-6 record RSSEQ 2.
    assert ruth[["AVISIT", "AVISITN", "AVAL", "BASE", "ABLFL", "ADY", "SRCSEQ"]].to_dict(
        "records"
    ) == [
        {"AVISIT": "BASELINE", "AVISITN": 0.0, "AVAL": 5.0, "BASE": 5.0, "ABLFL": "Y",
         "ADY": -12.0, "SRCSEQ": 1.0},
        {"AVISIT": "MONTH 6", "AVISITN": 6.0, "AVAL": 4.0, "BASE": 5.0, "ABLFL": None,
         "ADY": 183.0, "SRCSEQ": 2.0},
    ]  # fmt: skip
    assert np.isnan(ruth["CHG"].iloc[0]) and ruth["CHG"].iloc[1] == -1.0
    assert set(ruth["SRCDOM"]) == {"RS"} and set(ruth["SRCVAR"]) == {"RSSTRESC"}
    assert ruth["ADT"].tolist() == [pd.Timestamp(BASE_DAY), pd.Timestamp(MONTH6_DAY)]
    s03 = adeff[(adeff["USUBJID"] == "S03") & (adeff["PARAMCD"] == "VASREST")]
    assert s03["AVAL"].tolist() == [50.0, 45.0] and s03["CHG"].tolist()[1] == -5.0
    # Records per measure: a baseline for each of the 12 subjects, a month-6 record for those
    # with a usable value (RUTHCAT: all but S05, S08; VASREST: all but S05, S08, S12, S13).
    counts = adeff.groupby(["PARAMCD", "AVISIT"]).size().to_dict()
    assert counts == {
        ("RUTHCAT", "BASELINE"): 12,
        ("RUTHCAT", "MONTH 6"): 10,
        ("VASREST", "BASELINE"): 12,
        ("VASREST", "MONTH 6"): 8,
        ("TSUCCESS", "MONTH 6"): 12,
    }
    assert adeff["PARAMN"].groupby(adeff["PARAMCD"]).first().to_dict() == {
        "RUTHCAT": 1.0,
        "TSUCCESS": 3.0,
        "VASREST": 2.0,
    }
    assert adeff["STUDYID"].eq("T").all()


def test_unusable_values_and_missing_tte_are_reported(tmp_path):
    spec, _ = _spec(tmp_path)
    _, problems = derive_efficacy(_adsl(), _sdtm(), _adtte(), spec)
    by_code = {code: group for code, group in problems.groupby("code")}
    out = by_code["value-out-of-range"]
    assert out[["subject", "value", "form", "record"]].values.tolist() == [
        ["S08", "-99.0", "QS", "123"]  # after 13 baseline + 9 month-6 rows: QSSEQ 101 + 22
    ]
    assert out["message"].iloc[0] == (
        "VASREST: QS.QSSTRESN is outside the declared range [0, 100]; the record is not used"
    )
    bad = by_code["value-not-numeric"]
    assert bad[["subject", "value", "variable"]].values.tolist() == [
        ["S05", "NOT DONE", "RSSTRESC"]
    ]
    assert bad["message"].iloc[0] == (
        "RUTHCAT: RS.RSSTRESC is not a number matching the pattern; the record is not used"
    )
    tte = by_code["adtte-record-missing"]
    assert tte["subject"].tolist() == ["S12"]
    assert tte["message"].iloc[0] == (
        "no ADTTE record of TTMAJAMP: 'No major amputation of the index limb by month 6' unknown"
    )


def test_without_adtte_every_survival_criterion_is_unknown(tmp_path):
    spec, _ = _spec(tmp_path)
    adeff, problems = derive_efficacy(_adsl(), _sdtm(), None, spec)
    comp = _composite(adeff)
    assert comp["CRIT1FL"].isna().all() and comp["CRIT2FL"].isna().all()
    # Known failures stay failures (S02: VAS worse); S01 would succeed, so the rule decides.
    assert comp.loc["S02", "DTYPE"] is None and comp.loc["S01", "DTYPE"] == "WC"
    assert (problems["code"] == "adtte-record-missing").sum() == 24  # 12 subjects x 2


def test_empty_population_gives_an_empty_dataset(tmp_path):
    spec, _ = _spec(tmp_path)
    adeff, problems = derive_efficacy(_adsl().assign(ITTFL="N"), _sdtm(), _adtte(), spec)
    assert len(adeff) == 0 and len(problems) == 0
    assert {"PARAMCD", "AVAL", "CRIT4FL", "SRCSEQ"} <= set(adeff.columns)


def test_missing_adsl_column_is_an_input_error(tmp_path):
    spec, _ = _spec(tmp_path)
    with pytest.raises(InputError, match="ADSL lacks RANDDT"):
        derive_efficacy(_adsl().drop(columns="RANDDT"), _sdtm(), _adtte(), spec)


def _problems(tmp_path, old: str, new: str) -> list[str]:
    assert old in SPEC
    spec, problems = _spec(tmp_path, SPEC.replace(old, new))
    assert spec is None
    return [f"{p.keypath}: {p.problem}" + (f" ({p.hint})" if p.hint else "") for p in problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{paramcd: VASREST, chg_at_most: -10}",
            "{paramcd: VASRST, chg_at_most: -10}",
            "composite.components.3.any_of.1.paramcd: no measure has paramcd 'VASRST'"
            " (did you mean 'VASREST'?)",
        ),
        (
            "{paramcd: RUTHCAT, chg_at_least: 1}",
            "{paramcd: RUTHCAT}",
            "composite.components.2.none_of.0: a test needs exactly one threshold:"
            " chg_at_least or chg_at_most",
        ),
        (
            "chg_at_least: 10}",
            "chg_at_least: ten}",
            "composite.components.2.none_of.1.chg_at_least: expected a number, found 'ten'",
        ),
        (
            "missing: MISSING",
            "missing: failed",
            "composite.missing: unknown missing rule 'failed' (did you mean 'failure'?)",
        ),
        (
            "paramcd: TTMAJAMP",
            "paramcd: TTAMP",
            "composite.components.1.no_event.paramcd: ADTTE has no parameter 'TTAMP'"
            " (did you mean 'TTMAJAMP'?)",
        ),
        (
            "no_event: {dataset: ADTTE, paramcd: TTDEATH, by_day: 183}",
            "no_event: {dataset: ADTTE, paramcd: TTDEATH, by_day: 183}\n"
            "      any_of: [{paramcd: RUTHCAT, chg_at_most: -1}]",
            "composite.components.0: a component needs exactly one of no_event, none_of, any_of",
        ),
        (
            "range: [0, 100]",
            "range: [100, 0]",
            "measures.1.range: lowest 100 is above highest 0",
        ),
        (
            "start: RANDDT",
            "start: RANDT",
            "start: ADSL has no variable 'RANDT' (did you mean 'RANDDT'?)",
        ),
        (
            "TRTPN: TRT01PN",
            "TRTPN: TRT01AN",
            "adsl.TRTPN: ADSL has no variable 'TRT01AN' (did you mean 'TRT01PN'?)",
        ),
        (
            "baseline: {field: QSLOBXFL, equals: Y}",
            "baseline: {field: QSBLFLX, equals: Y}",
            "measures.1.baseline.field: the source forms declare no field 'QSBLFLX'"
            " (did you mean 'QSBLFL'?)",
        ),
        (
            'visit: {avisit: MONTH 6, avisitn: 6, where: {field: VISITNUM, equals: "60"}}\n'
            "  - paramcd: VASREST",
            'visit: {avisit: MONTH 6, where: {field: VISITNUM, equals: "60"}}\n'
            "  - paramcd: VASREST",
            "measures.0.visit: missing required key 'avisitn' (add 'avisitn:' here)",
        ),
        (
            "value: QSSTRESN, date: QSDTC}",
            "value: QSSTRESN}",
            "measures.1.source: missing required key 'date'",
        ),
        (
            "structure: BDS",
            "structure: TTE",
            "structure: unknown structure 'TTE' (only BDS)",
        ),
        (
            "  paramcd: TSUCCESS",
            "  paramcd: VASREST",
            "composite.paramcd: paramcd 'VASREST' is also a measure",
        ),
    ],
)
def test_spec_problems(tmp_path, old, new, expected):
    assert _problems(tmp_path, old, new) == [expected]


def test_duplicate_paramcd(tmp_path):
    found = _problems(tmp_path, "paramcd: VASREST\n    param", "paramcd: RUTHCAT\n    param")
    # The components' VASREST tests now name no measure: reported too, each where it is.
    assert found == [
        "measures.1.paramcd: paramcd 'RUTHCAT' declared twice",
        "composite.components.2.none_of.1.paramcd: no measure has paramcd 'VASREST'"
        " (measures: RUTHCAT)",
        "composite.components.3.any_of.1.paramcd: no measure has paramcd 'VASREST'"
        " (measures: RUTHCAT)",
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    text = SPEC.replace("missing: MISSING", "missing: never").replace("by_day: 183}", "}")
    spec, problems = _spec(tmp_path, text.replace("start: RANDDT", "start: RANDT"))
    assert spec is None
    keys = sorted(p.keypath for p in problems)
    assert keys == [
        "composite.components.0.no_event",
        "composite.components.1.no_event",
        "composite.missing",
        "start",
    ]
    assert {p.problem for p in problems if "no_event" in p.keypath} == {
        "missing required key 'by_day'"
    }


def test_draft_sail_spec_is_sound():
    path = Path(__file__).parents[2] / "mappings" / "sail" / "adam" / "adeff.yaml"
    adsl_vars = ADSL_VARS | {"FASFL"}
    spec, problems = check_efficacy(load_spec(path), Standards.load(), adsl_vars, TTE_PARAMS)
    assert problems == []
    assert spec.composite.components[0].crit == "Alive at month 6"
    assert path.read_text().count("[unverified proposal]") >= 3
