"""Kaplan-Meier estimates, summary and SVG plot (adam/km.py).

Reference data: the 6-MP / placebo remission times of Freireich et al. (Blood 1963;21:699),
as listed by Gehan (1965) and in Klein & Moeschberger, *Survival Analysis* (2nd ed., ch. 4).
The published 6-MP product-limit table (Klein & Moeschberger ch. 4; the same figures are
printed by R survival's ``summary(survfit(...))``) reads

    time      6       7       10      13      16      22      23
    S(t)      0.857   0.807   0.753   0.690   0.627   0.538   0.448
    SE        0.0764  0.0869  0.0963  0.1068  0.1141  0.1282  0.1346

Every other expected figure below is worked out by hand in the test from the textbook
formulas (fractions for S, Greenwood sums, the log(-log) interval), never read off the code.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from adam.km import km_estimate, km_summary, km_svg
from cdisc.errors import UsageError

Z = 1.959963984540054  # two-sided 95% normal quantile (standard tables: 1.96)

# 6-MP arm: "+" marks a censored remission (still in remission at the end of the study).
SIX_MP = "6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+"
PLACEBO = "1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23"


def _records(arm: str, times: str, paramcd: str = "TTREMISS") -> pd.DataFrame:
    """ADTTE records from times written as in the textbooks: "5 9+" is an event at 5 and a
    censoring at 9."""
    items = times.split()
    return pd.DataFrame(
        {
            "USUBJID": [f"{arm}-{i:02d}" for i in range(len(items))],
            "PARAMCD": paramcd,
            "TRTP": arm,
            "AVAL": [float(s.rstrip("+")) for s in items],
            "CNSR": [1 if s.endswith("+") else 0 for s in items],
        }
    )


def _leukaemia() -> pd.DataFrame:
    return pd.concat([_records("6-MP", SIX_MP), _records("Placebo", PLACEBO)], ignore_index=True)


def _loglog(surv: float, greenwood_sum: float) -> tuple[float, float]:
    """The log(-log) limits S**exp(+-z*sqrt(V)/|log S|), V the Greenwood sum (SAS/STAT
    "The LIFETEST Procedure", pointwise confidence limits, CONFTYPE=LOGLOG)."""
    a = Z * math.sqrt(greenwood_sum) / abs(math.log(surv))
    return surv ** math.exp(a), surv ** math.exp(-a)


# Hand-worked 6-MP table. n at risk counted from the list above: 21 subjects; after time 6
# (3 relapses + 1 censored) 17 remain; after 7 -> 16; after 9+ -> 15; after 10 (1 + 1+) -> 13;
# after 11+ -> 12; after 13 -> 11; after 16 -> 10; then 17+, 19+, 20+ leave -> 7 at 22;
# 6 at 23.
SIX_MP_EVENTS = [  # (time, n at risk, relapses)
    (6, 21, 3),
    (7, 17, 1),
    (10, 15, 1),
    (13, 12, 1),
    (16, 11, 1),
    (22, 7, 1),
    (23, 6, 1),
]


def _six_mp_by_hand() -> list[dict[str, float]]:
    rows, surv, greenwood = [], Fraction(1), Fraction(0)
    for t, n, d in SIX_MP_EVENTS:
        surv *= Fraction(n - d, n)
        greenwood += Fraction(d, n * (n - d))
        low, up = _loglog(float(surv), float(greenwood))
        rows.append(
            {
                "time": t,
                "n_risk": n,
                "n_event": d,
                "surv": float(surv),
                "std_err": float(surv) * math.sqrt(float(greenwood)),
                "lower": low,
                "upper": up,
            }
        )
    return rows


def test_six_mp_matches_the_hand_worked_and_published_table():
    est = km_estimate(_leukaemia())
    arm = est[est["TRTP"] == "6-MP"].set_index("time")
    # Distinct times of the 6-MP arm, events and censorings alike: 16 of them.
    assert list(arm.index) == [6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35]
    for row in _six_mp_by_hand():
        got = arm.loc[row["time"]]
        assert got["n_risk"] == row["n_risk"]
        assert got["n_event"] == row["n_event"]
        for column in ("surv", "std_err", "lower", "upper"):
            assert got[column] == pytest.approx(row[column], abs=5e-5), (row["time"], column)
    published_se = [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346]
    published_s = [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    event_rows = arm[arm["n_event"] > 0]
    assert np.round(event_rows["std_err"].to_numpy(), 4).tolist() == published_se
    assert np.round(event_rows["surv"].to_numpy(), 3).tolist() == published_s
    # First interval by hand: S = 18/21, V = 3/(21*18) = 1/126,
    # a = 1.96*sqrt(1/126)/|ln(6/7)| = 1.1331, lower = (6/7)**exp(1.1331) = 0.6197,
    # upper = (6/7)**exp(-1.1331) = 0.9516.
    assert arm.loc[6, "lower"] == pytest.approx(0.6197, abs=5e-5)
    assert arm.loc[6, "upper"] == pytest.approx(0.9516, abs=5e-5)
    # Censored-only times carry the last estimate forward and count their censorings.
    assert arm.loc[9, "surv"] == arm.loc[7, "surv"]
    assert arm.loc[32, "n_censor"] == 2
    assert arm.loc[32, "n_risk"] == 4


def test_six_mp_median_and_brookmeyer_crowley_interval():
    summary = km_summary(_leukaemia()).set_index("TRTP")
    six = summary.loc["6-MP"]
    assert (six["subjects"], six["events"], six["censored"]) == (21, 9, 12)
    # S(22) = 0.538 >= 0.5 and S(23) = 0.448 < 0.5: the median is 23.
    assert six["median"] == 23
    # The interval holds the event times whose log(-log) limits contain 0.5 (by hand above):
    # lower(10) = 0.5032 > 0.5 (out), lower(13) = 0.4316 <= 0.5 <= upper(13) (in), ...,
    # upper(23) = 0.6801 >= 0.5 (in): the set runs to the last event, so no upper limit.
    hand = {r["time"]: r for r in _six_mp_by_hand()}
    assert hand[10]["lower"] > 0.5
    assert hand[13]["lower"] <= 0.5 <= hand[13]["upper"]
    assert hand[23]["upper"] >= 0.5
    assert six["median_lower"] == 13
    assert np.isnan(six["median_upper"])

    placebo = summary.loc["Placebo"]
    assert (placebo["subjects"], placebo["events"], placebo["censored"]) == (21, 21, 0)
    # Placebo, all relapses. S: 1: 19/21, 2: 17/21, 3: 16/21, 4: 14/21, 5: 12/21,
    # 8: 8/21 = 0.381 < 0.5, so the median is 8.
    assert placebo["median"] == 8
    # Limits by hand with Greenwood sums of d/(n(n-d)):
    # t=3: S=16/21, V=2/(21*19)+2/(19*17)+1/(17*16)  -> lower 0.519 > 0.5 (out)
    # t=4: S=14/21, V += 2/(16*14)                    -> lower 0.425 (in)
    # t=8: S=8/21,  V += 2/(14*12) + 4/(12*8)         -> upper 0.578 (in)
    # t=11: S=6/21, V += 2/(8*6)                      -> upper 0.482 < 0.5 (out)
    v3 = 2 / (21 * 19) + 2 / (19 * 17) + 1 / (17 * 16)
    v4 = v3 + 2 / (16 * 14)
    v8 = v4 + 2 / (14 * 12) + 4 / (12 * 8)
    v11 = v8 + 2 / (8 * 6)
    assert _loglog(16 / 21, v3)[0] > 0.5
    assert _loglog(14 / 21, v4)[0] <= 0.5
    assert _loglog(8 / 21, v8)[1] >= 0.5
    assert _loglog(6 / 21, v11)[1] < 0.5
    # So the set is {4, 5, 8}: lower limit 4, upper limit the next event time after 8, 11.
    assert (placebo["median_lower"], placebo["median_upper"]) == (4, 11)


def test_all_relapsed_group_ends_at_zero_with_zero_standard_error():
    est = km_estimate(_leukaemia())
    last = est[est["TRTP"] == "Placebo"].iloc[-1]
    assert (last["time"], last["n_risk"], last["n_event"]) == (23, 1, 1)
    assert last["surv"] == 0.0
    assert last["std_err"] == 0.0
    assert np.isnan(last["lower"]) and np.isnan(last["upper"])


def test_output_columns_order_and_types():
    est = km_estimate(_leukaemia())
    assert list(est.columns) == [
        "PARAMCD",
        "TRTP",
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "surv",
        "std_err",
        "lower",
        "upper",
    ]
    assert est["TRTP"].tolist() == ["6-MP"] * 16 + ["Placebo"] * 12
    for column in ("n_risk", "n_event", "n_censor"):
        assert est[column].dtype == "int64"
    # Every record is accounted for: events + censorings = 42 records.
    assert int(est["n_event"].sum() + est["n_censor"].sum()) == 42


def test_two_groups_are_estimated_independently():
    both = km_estimate(_leukaemia())
    alone = km_estimate(_records("Placebo", PLACEBO))
    pd.testing.assert_frame_equal(
        both[both["TRTP"] == "Placebo"].reset_index(drop=True), alone.reset_index(drop=True)
    )


def test_two_parameters_and_missing_arm_are_separate_groups():
    death = _records("A", "5 9+", paramcd="TTDEATH")
    amp = _records("A", "2 4 4+", paramcd="TTMAJAMP")
    unknown = _records("B", "3", paramcd="TTDEATH").assign(TRTP=None)
    est = km_estimate(pd.concat([death, amp, unknown], ignore_index=True))
    assert est["PARAMCD"].tolist() == ["TTDEATH", "TTDEATH", "TTDEATH", "TTMAJAMP", "TTMAJAMP"]
    # The record without an arm is kept as its own group (sorted last), not dropped.
    assert est["TRTP"].isna().tolist() == [False, False, True, False, False]
    amp_rows = est[est["PARAMCD"] == "TTMAJAMP"]
    # TTMAJAMP: S(2) = 2/3; at 4, 2 at risk, 1 event -> S = 2/3 * 1/2 = 1/3.
    assert amp_rows["surv"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_all_censored_group_stays_at_one_and_median_is_not_reached():
    adtte = pd.concat(
        [_records("Active", "3+ 8+ 8+ 12+"), _records("Control", "4 6+")],
        ignore_index=True,
    )
    est = km_estimate(adtte)
    active = est[est["TRTP"] == "Active"]
    assert active["surv"].tolist() == [1.0, 1.0, 1.0]
    assert active["std_err"].tolist() == [0.0, 0.0, 0.0]
    assert active["n_risk"].tolist() == [4, 3, 1]
    assert active[["lower", "upper"]].isna().all().all()
    summary = km_summary(adtte).set_index("TRTP")
    assert summary.loc["Active", "events"] == 0
    assert summary.loc["Active", "censored"] == 4
    assert summary.loc["Active", ["median", "median_lower", "median_upper"]].isna().all()
    # Control: S(4) = 1/2 exactly and no later event, so no time with S < 0.5: not reached.
    assert np.isnan(summary.loc["Control", "median"])


def test_event_and_censoring_at_the_same_time_event_first():
    # At t=2 one relapse and one censoring. Events first: 4 at risk, S = 3/4. (Had the
    # censoring come first, 3 would be at risk and S = 2/3.) At t=3: 2 at risk, S = 3/8.
    adtte = _records("A", "2 2+ 3 4+")
    est = km_estimate(adtte)
    assert est["n_risk"].tolist() == [4, 2, 1]
    assert est["n_event"].tolist() == [1, 1, 0]
    assert est["n_censor"].tolist() == [1, 0, 1]
    assert est["surv"].tolist() == pytest.approx([3 / 4, 3 / 8, 3 / 8])
    # Greenwood: V(2) = 1/(4*3) = 1/12, V(3) = 1/12 + 1/(2*1) = 7/12.
    assert est["std_err"].tolist() == pytest.approx(
        [0.75 * math.sqrt(1 / 12), 0.375 * math.sqrt(7 / 12), 0.375 * math.sqrt(7 / 12)]
    )


def test_competing_event_codes_count_as_censored():
    adtte = _records("A", "2 5 7")
    adtte["CNSR"] = [0, 2, 1]  # 2: a competing event, e.g. death before amputation
    est = km_estimate(adtte)
    assert est["n_event"].tolist() == [1, 0, 0]
    assert est["n_censor"].tolist() == [0, 1, 1]


def test_median_on_an_exact_half_is_the_midpoint_of_the_event_times():
    # S(3) = 3/4, S(5) = 3/4 * 2/3 = 1/2 exactly, S(8) = 0: PROC LIFETEST takes (5 + 8) / 2.
    summary = km_summary(_records("A", "3 5 5+ 8"))
    assert summary.loc[0, "median"] == 6.5


def test_landmark_survival():
    summary = km_summary(_leukaemia(), landmarks=[0, 8, 10, 40]).set_index("TRTP")
    assert list(summary.columns[-4:]) == ["surv_0", "surv_8", "surv_10", "surv_40"]
    # 6-MP: nothing before 6 -> 1; at 8 the estimate after 7, 18/21 * 16/17; at 10 the
    # relapse at 10 is included (right-continuous): * 14/15; 40 is past the last time (35).
    assert summary.loc["6-MP", "surv_0"] == 1.0
    assert summary.loc["6-MP", "surv_8"] == pytest.approx(18 / 21 * 16 / 17)
    assert summary.loc["6-MP", "surv_10"] == pytest.approx(18 / 21 * 16 / 17 * 14 / 15)
    assert np.isnan(summary.loc["6-MP", "surv_40"])
    with pytest.raises(UsageError, match=r"landmarks must be finite times >= 0"):
        km_summary(_leukaemia(), landmarks=[-1])


def test_no_by_columns_pools_everything():
    est = km_estimate(_leukaemia(), by=[])
    assert est.columns[0] == "time"
    assert int(est.loc[0, "n_risk"]) == 42
    summary = km_summary(_leukaemia(), by=[])
    assert summary.loc[0, "subjects"] == 42


def test_other_column_names():
    adtte = _leukaemia().rename(columns={"AVAL": "DAYS", "CNSR": "CENS", "TRTP": "ARM"})
    est = km_estimate(adtte, by=["ARM"], time="DAYS", cnsr="CENS")
    assert list(est.columns[:2]) == ["ARM", "time"]
    assert len(est) == 28


def test_missing_time_and_cnsr_are_refused_with_counts():
    adtte = _leukaemia()
    adtte.loc[[3, 5], "AVAL"] = np.nan
    adtte.loc[7, "CNSR"] = None
    with pytest.raises(UsageError) as caught:
        km_estimate(adtte)
    message = str(caught.value)
    assert "2 record(s) with missing AVAL" in message
    assert "1 record(s) with missing CNSR" in message
    assert caught.value.location == "record 4"
    assert caught.value.hint


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("AVAL", "soon", "1 record(s) with non-numeric AVAL"),
        ("AVAL", -3.0, "1 record(s) with negative AVAL"),
        ("CNSR", -1, "1 record(s) with CNSR not a whole number >= 0"),
        ("CNSR", 0.5, "1 record(s) with CNSR not a whole number >= 0"),
    ],
)
def test_bad_values_are_refused(column, value, expected):
    adtte = _leukaemia()
    adtte[column] = adtte[column].astype(object)
    adtte.loc[0, column] = value
    with pytest.raises(UsageError, match=re.escape(expected)):
        km_estimate(adtte)


def test_bad_arguments_are_refused():
    adtte = _leukaemia()
    with pytest.raises(UsageError, match="ADTTE frame has no column PARAM, ADT"):
        km_estimate(adtte, by=["PARAM"], time="ADT")
    with pytest.raises(UsageError, match="by must be a list of column names"):
        km_estimate(adtte, by="TRTP")
    with pytest.raises(UsageError, match="more than once"):
        km_estimate(adtte, by=["AVAL"])
    with pytest.raises(UsageError, match="expected a DataFrame"):
        km_estimate([1, 2, 3])


# ---- SVG ------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def _parse(text: str):
    return etree.fromstring(text.encode("utf-8"))


def test_svg_is_valid_standalone_svg_with_one_curve_and_legend_per_group():
    est = km_estimate(_leukaemia())
    text = km_svg(est, title="Time to relapse")
    root = _parse(text)
    assert root.tag == f"{SVG}svg"
    assert root.get("version") == "1.1"
    paths = root.findall(f".//{SVG}path")
    assert [p.get("data-group") for p in paths] == ["6-MP", "Placebo"]
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "km-legend"]
    assert legend == ["6-MP (n=21)", "Placebo (n=21)"]
    titles = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "km-title"]
    assert titles == ["Time to relapse"]
    labels = {t.get("class"): t.text for t in root.iter(f"{SVG}text")}
    assert labels["km-x-label"] == "Days"
    assert labels["km-y-label"] == "Probability without event"
    # Censor marks: 6-MP has censorings at 11 distinct times (6 9 10 11 17 19 20 25 32 34
    # 35; 32+ twice is one mark), placebo none; each mark is two lines.
    marks = {
        g.get("data-group"): len(g) for g in root.iter(f"{SVG}g") if g.get("class") == "km-censor"
    }
    assert marks == {"6-MP": 22, "Placebo": 0}


def _numbers(d: str, command: str) -> list[float]:
    parts = d.replace("M", " M").split()
    return [float(p[1:]) for p in parts if p.startswith(command)]


def test_svg_curve_steps_from_one_at_time_zero_to_each_estimate():
    adtte = _records("A", "5 10+")
    root = _parse(km_svg(km_estimate(adtte), title="t"))
    axes = [line for line in root.iter(f"{SVG}line") if line.getparent().get("class") == "km-axes"]
    x_axis, y_axis = axes[0], axes[1]
    x0, x1 = float(x_axis.get("x1")), float(x_axis.get("x2"))
    y_top, y_bottom = float(y_axis.get("y1")), float(y_axis.get("y2"))
    d = root.find(f".//{SVG}path").get("d")
    start = d.split()[:2]
    assert float(start[0][1:]) == x0  # time 0 at the y axis
    assert float(start[1]) == y_top  # survival 1.0 at the top
    # Steps: to t=5 then down to S=1/2, then along to t=10 (last time, axis end) at 1/2.
    heights = [(v - y_top) / (y_bottom - y_top) for v in _numbers(d, "V")]
    assert heights == pytest.approx([0.5], abs=0.01)
    runs = [(h - x0) / (x1 - x0) for h in _numbers(d, "H")]
    assert runs == pytest.approx([0.5, 1.0], abs=0.01)


def test_svg_is_deterministic_and_escapes_text():
    adtte = pd.concat(
        [_records("A<B & C", "2 3+ 7"), _records("Plain", "1 4")],
        ignore_index=True,
    )
    est = km_estimate(adtte)
    first = km_svg(est, title='Risk <"major"> & more', x_label="Days < 30")
    second = km_svg(est.copy(), title='Risk <"major"> & more', x_label="Days < 30")
    assert first.encode() == second.encode()
    assert "A&lt;B &amp; C (n=3)" in first
    assert "A<B" not in first
    root = _parse(first)
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "km-legend"]
    assert legend == ["A<B & C (n=3)", "Plain (n=2)"]
    assert [p.get("data-group") for p in root.iter(f"{SVG}path")] == ["A<B & C", "Plain"]
    assert root.find(f"{SVG}title").text == 'Risk <"major"> & more'


def test_svg_refuses_more_than_one_parameter_and_foreign_frames():
    est = km_estimate(
        pd.concat(
            [_records("A", "2", paramcd="TTDEATH"), _records("A", "3", paramcd="TTMAJAMP")],
            ignore_index=True,
        )
    )
    with pytest.raises(UsageError, match="more than one value of PARAMCD"):
        km_svg(est, title="x")
    with pytest.raises(UsageError, match="lack column"):
        km_svg(est.drop(columns="surv"), title="x")
    with pytest.raises(UsageError, match="empty"):
        km_svg(est.iloc[0:0], title="x")
