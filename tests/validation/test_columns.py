"""Column facts shared by the rules of a run (cdisc.validation.columns): each helper gives
what the pandas operation it replaces gives (the expected values are pandas' own), and the
run cache gives the same answer again without recomputing, and never a stale one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.validation import columns


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": pd.Series(["S-1", "S-2", None, "S-1", "S-2", "S-1"], dtype=object),
            "VISITNUM": [1.0, 1.0, np.nan, 1.0, 2.0, np.nan],
            "TERM": pd.Series([" a", "B", "b ", None, "B", " a"], dtype=object),
        }
    )


def test_distinct_is_pandas_factorize(frame):
    codes, uniques = columns.distinct(frame["USUBJID"])
    want_codes, want_uniques = pd.factorize(frame["USUBJID"])
    assert codes.tolist() == want_codes.tolist() and uniques.tolist() == list(want_uniques)
    assert uniques.dtype == object


def test_flags_per_value_and_mapped_spread_from_distinct_values(frame):
    upper = columns.per_value(frame["TERM"], "upper", lambda u: u.str.strip().str.upper())
    assert upper.tolist() == ["A", "B", "B", None, "B", "A"]
    is_b = columns.flags(frame["TERM"], "is B", lambda u: u.str.strip() == "B")
    assert is_b.tolist() == [False, True, False, False, True, False]
    arms = pd.Series({"S-1": "ARM A", "S-2": "SCRNFAIL"}, dtype=object)
    pd.testing.assert_series_equal(
        columns.mapped(frame["USUBJID"], arms, "arms"),
        frame["USUBJID"].map(arms),
        check_dtype=False,  # pandas 3 infers str from what it maps to; the values are equal
    )
    ages = pd.Series({"S-1": 60, "S-2": 70})  # integers: a subject it lacks makes NaN
    pd.testing.assert_series_equal(
        columns.mapped(frame["USUBJID"], ages, "ages"), frame["USUBJID"].map(ages)
    )


@pytest.mark.parametrize("names", [["USUBJID"], ["USUBJID", "VISITNUM"], ["VISITNUM", "TERM"]])
def test_duplicated_is_pandas_duplicated(frame, names):
    want = frame.duplicated(names, keep=False)
    assert columns.duplicated(frame, names).tolist() == want.tolist()
    within = np.array([True, True, True, False, True, True])
    want = frame[within].duplicated(names, keep=False).reindex(frame.index, fill_value=False)
    assert columns.duplicated(frame, names, within=within).tolist() == want.tolist()


def test_found_in_is_membership_of_complete_key_tuples(frame):
    visits = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"], "VISITNUM": [1.0, 2.0, np.nan]})
    known = set(map(tuple, visits.dropna().to_numpy().tolist()))
    want = [
        bool(pd.notna(s) and pd.notna(v) and (s, v) in known)
        for s, v in zip(frame["USUBJID"], frame["VISITNUM"], strict=True)
    ]
    assert columns.found_in(frame, visits, ["USUBJID", "VISITNUM"]).tolist() == want


def test_a_run_keeps_facts_per_column_and_offers_are_checked(frame):
    calls = []

    def upper(u):
        calls.append(len(u))
        return u.str.upper()

    with columns.shared():
        first = columns.per_value(frame["TERM"], "upper-test", upper)
        again = columns.per_value(frame["TERM"], "upper-test", upper)  # a new Series, same column
    assert calls == [3] and first.tolist() == again.tolist()
    # an offer that matches the column is used; one the column no longer matches is not
    codes, uniques = pd.factorize(frame["USUBJID"])
    offer = (codes.astype(np.int32), pd.Series(list(uniques), dtype=object))
    with columns.shared([(frame["USUBJID"], offer)]):
        assert columns.distinct(frame["USUBJID"])[0] is offer[0]
    changed = frame.copy()
    changed.loc[0, "USUBJID"] = "S-9"
    with columns.shared([(changed["USUBJID"], offer)]):
        got, values = columns.distinct(changed["USUBJID"])
    assert got is not offer[0] and "S-9" in values.tolist()
