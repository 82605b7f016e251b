"""Date and time imputation with admiral's semantics.

Every expected value is worked out by hand from admiral's documented rules (reference pages
of impute_dtc_dt, impute_dtc_dtm, compute_dtf, compute_tmf, derive_vars_dt and the "Date and
Time Imputation" vignette); where admiral documents the example itself, the comment says so.
"""

from __future__ import annotations

import pandas as pd
import pytest

from adam.imputation import (
    compute_dtf,
    compute_tmf,
    derive_vars_dt,
    derive_vars_dtm,
    impute_dtc_dt,
    impute_dtc_dtm,
)
from cdisc.errors import InputError, UsageError

NA = pd.NA
# admiral's own example vector (impute_dtc_dt / impute_dtc_dtm reference pages), plus NA.
DATES = [
    "2019-07-18T15:25:40",
    "2019-07-18T15:25",
    "2019-07-18T15",
    "2019-07-18",
    "2019-02",
    "2019",
    "2019---07",
    "",
    None,
]


def s(values: list[object], index: list[object] | None = None) -> pd.Series:
    return pd.Series(values, index=index, dtype="string")


def dt(*values: str | None) -> pd.Series:
    return pd.Series(stamps(*values))


def stamps(*values: str | None) -> list[pd.Timestamp]:
    return list(pd.to_datetime(list(values), format="ISO8601"))


def text(result: pd.Series) -> list[object]:
    assert str(result.dtype) == "string"
    return result.tolist()


# --- impute_dtc_dt --------------------------------------------------------------------


def test_dt_no_imputation_keeps_only_complete_dates() -> None:
    out = impute_dtc_dt(s(DATES))
    assert text(out) == ["2019-07-18"] * 4 + [NA] * 5


def test_dt_levels_d_and_m_first() -> None:
    # "D" imputes only a missing day; "M" also a missing month (2019 -> 2019-01-01).
    assert text(impute_dtc_dt(s(DATES), highest_imputation="D")) == (
        ["2019-07-18"] * 4 + ["2019-02-01", NA, NA, NA, NA]
    )
    assert text(impute_dtc_dt(s(DATES), highest_imputation="M")) == (
        ["2019-07-18"] * 4 + ["2019-02-01", "2019-01-01", "2019-01-01", NA, NA]
    )


def test_dt_mid_and_preserve() -> None:
    # Vignette: "mid" gives the 15th when only the day is missing, 06-30 when the month is;
    # with preserve the known day of 2019---01 stays (2019-06-01).
    dates = s(["2019-02", "2019", "2019---01"])
    assert text(impute_dtc_dt(dates, highest_imputation="M", date_imputation="mid")) == [
        "2019-02-15",
        "2019-06-30",
        "2019-06-30",
    ]
    preserved = impute_dtc_dt(dates, highest_imputation="M", date_imputation="mid", preserve=True)
    assert text(preserved) == ["2019-02-15", "2019-06-30", "2019-06-01"]


def test_dt_fixed_month_day() -> None:
    # Vignette: "06-15" for 2019-02 uses the day only (2019-02-15); 2019---01 -> 2019-06-15.
    dates = s(["2019-02", "2019", "2019---01", "2019-02-03"])
    out = impute_dtc_dt(dates, highest_imputation="M", date_imputation="06-15")
    assert text(out) == ["2019-02-15", "2019-06-15", "2019-06-15", "2019-02-03"]
    # "01-31" applied to February: no 2019-02-31, so NA (admiral's date path gives NA too).
    feb = impute_dtc_dt(s(["2019-02", "2019"]), highest_imputation="M", date_imputation="01-31")
    assert text(feb) == [NA, "2019-01-31"]


def test_dt_last_uses_real_month_ends() -> None:
    dates = s(["2020-02", "2019-02", "1900-02", "2000-02", "2021-04", "2021", "2019---07"])
    out = impute_dtc_dt(dates, highest_imputation="M", date_imputation="LAST")
    assert text(out) == [
        "2020-02-29",  # leap year
        "2019-02-28",
        "1900-02-28",  # divisible by 100, not by 400
        "2000-02-29",  # divisible by 400
        "2021-04-30",
        "2021-12-31",
        "2019-12-31",
    ]
    kept_day = impute_dtc_dt(
        s(["2019---07"]), highest_imputation="M", date_imputation="last", preserve=True
    )
    assert text(kept_day) == ["2019-12-07"]


def test_dt_time_part_is_ignored() -> None:
    out = impute_dtc_dt(s(["2021-03-15T10:42:07.123", "2021-03--T10:42"]), highest_imputation="D")
    assert text(out) == ["2021-03-15", "2021-03-01"]


def test_dt_invalid_text_is_na() -> None:
    bad = ["2021-02-30", "UNK", "2021-13", "2021-00-10", "21-03-15", "2021-3-15", "2021-03-15 "]
    bad += ["2021-03-15T24:00", "2021-03-15T10:60", "2021-03-15T", "2021/03/15", "2021\n03"]
    out = impute_dtc_dt(s([*bad, "2020-02-29"]), highest_imputation="M")
    assert text(out) == [NA] * len(bad) + ["2020-02-29"]


def test_dt_keeps_index_and_handles_empty_input() -> None:
    out = impute_dtc_dt(s(["2021", None], index=["a", "b"]), highest_imputation="M")
    assert out.index.tolist() == ["a", "b"]
    assert text(out) == ["2021-01-01", NA]
    assert impute_dtc_dt(s([]), highest_imputation="M").tolist() == []
    # object columns with missing values work too
    assert impute_dtc_dt(pd.Series(["2021-05", None]), highest_imputation="D").tolist() == [
        "2021-05-01",
        NA,
    ]


# --- min_dates / max_dates ---------------------------------------------------------------


def test_min_date_moves_only_within_the_possible_range() -> None:
    dates = s(["2021-03", "2021-03", "2021-03", "2021-03-05", "2021-03", None])
    mins = dt("2021-03-20", "2021-05-02", None, "2021-03-20", "2021-02-27", "2021-03-20")
    out = impute_dtc_dt(dates, highest_imputation="M", min_dates=[mins])
    assert text(out) == [
        "2021-03-20",  # inside March: imputed date raised to it
        "2021-03-01",  # May is outside what 2021-03 can be
        "2021-03-01",  # NA min date ignored
        "2021-03-05",  # complete dates never change
        "2021-03-01",  # before the range
        NA,  # no year and level "M"
    ]


def test_min_and_max_with_admiral_examples() -> None:
    # impute_dtc_dt reference page: 2020-12 with min dates 2020-12-06 and 2020-11-11 -> 2020-12-06.
    mins = [dt("2020-12-06", "2020-01-01"), dt("2020-11-11", None)]
    out = impute_dtc_dt(s(["2020-12", None]), highest_imputation="M", min_dates=mins)
    assert text(out) == ["2020-12-06", NA]
    # Same page, year imputed: the NA date takes the (only) min date 2020-01-01.
    out = impute_dtc_dt(s(["2020-12", None]), highest_imputation="Y", min_dates=mins)
    assert text(out) == ["2020-12-06", "2020-01-01"]


def test_the_latest_min_and_earliest_max_in_range_win() -> None:
    mins = [dt("2021-03-10"), dt("2021-03-20")]
    out = impute_dtc_dt(s(["2021-03"]), highest_imputation="M", min_dates=mins)
    assert text(out) == ["2021-03-20"]
    maxs = [dt("2021-03-20"), dt("2021-03-10")]
    out = impute_dtc_dt(
        s(["2021-03"]), highest_imputation="M", date_imputation="last", max_dates=maxs
    )
    assert text(out) == ["2021-03-10"]
    # A min date below the "last" imputation does not pull it down.
    out = impute_dtc_dt(
        s(["2021-03"]), highest_imputation="M", date_imputation="last", min_dates=[mins[0]]
    )
    assert text(out) == ["2021-03-31"]


def test_year_imputation_without_a_date_in_range_is_na() -> None:
    out = impute_dtc_dt(
        s([None, "", "2019"]),
        highest_imputation="Y",
        date_imputation="last",
        max_dates=[dt(None, "2022-07-04", "2020-01-01")],
    )
    assert text(out) == [NA, "2022-07-04", "2019-12-31"]


def test_bounds_given_as_text_and_tz_aware_datetimes() -> None:
    text_bounds = pd.Series(["2021-03-20", "2021-03-20T08:30", None])
    out = impute_dtc_dtm(
        s(["2021-03", "2021-03", "2021-03"]), highest_imputation="M", min_dates=[text_bounds]
    )
    assert text(out) == ["2021-03-20T00:00:00", "2021-03-20T08:30:00", "2021-03-01T00:00:00"]
    aware = pd.Series(pd.to_datetime(["2021-03-20T10:00:00+02:00"]))
    out = impute_dtc_dtm(s(["2021-03"]), highest_imputation="M", min_dates=[aware])
    assert text(out) == ["2021-03-20T08:00:00"]  # compared in UTC, as admiral does


# --- impute_dtc_dtm ---------------------------------------------------------------------


def test_dtm_levels() -> None:
    dates = s(["2019-02-03T12:30:15", "2019-02-03T12:30", "2019-02-03", "2019-02", "2019"])
    # The vignette's "Imputation Level" vector, worked level by level.
    assert text(impute_dtc_dtm(dates, highest_imputation="n")) == [
        "2019-02-03T12:30:15",
        NA,
        NA,
        NA,
        NA,
    ]
    assert text(impute_dtc_dtm(dates, highest_imputation="s")) == [
        "2019-02-03T12:30:15",
        "2019-02-03T12:30:00",
        NA,
        NA,
        NA,
    ]
    assert text(impute_dtc_dtm(dates, highest_imputation="m")) == [
        "2019-02-03T12:30:15",
        "2019-02-03T12:30:00",
        NA,
        NA,
        NA,
    ]
    assert text(impute_dtc_dtm(dates)) == [  # default "h": time only
        "2019-02-03T12:30:15",
        "2019-02-03T12:30:00",
        "2019-02-03T00:00:00",
        NA,
        NA,
    ]
    assert text(impute_dtc_dtm(dates, highest_imputation="D"))[3:] == ["2019-02-01T00:00:00", NA]
    assert text(impute_dtc_dtm(dates, highest_imputation="M"))[3:] == [
        "2019-02-01T00:00:00",
        "2019-01-01T00:00:00",
    ]


def test_dtm_minute_level_imputes_a_missing_minute() -> None:
    out = impute_dtc_dtm(s(["2019-02-03T12", "2019-02-03T12:30"]), highest_imputation="m")
    assert text(out) == ["2019-02-03T12:00:00", "2019-02-03T12:30:00"]


def test_dtm_time_imputation_rules() -> None:
    dates = s(["2019-10-09T13", "2019-10-09", "2019-10"])
    last = impute_dtc_dtm(
        dates, highest_imputation="M", date_imputation="last", time_imputation="last"
    )
    assert text(last) == ["2019-10-09T13:59:59", "2019-10-09T23:59:59", "2019-10-31T23:59:59"]
    fixed = impute_dtc_dtm(dates, time_imputation="12:00:00")
    assert text(fixed) == ["2019-10-09T13:00:00", "2019-10-09T12:00:00", NA]
    # Vignette: "2019-10", "M", date "01-01", time "00:00:00" -> 2019-10-01T00:00:00.
    out = impute_dtc_dtm(
        s(["2019-10"]), highest_imputation="M", date_imputation="01-01", time_imputation="00:00:00"
    )
    assert text(out) == ["2019-10-01T00:00:00"]


def test_dtm_fraction_of_second_is_dropped_and_missing_hour_hides_minutes() -> None:
    out = impute_dtc_dtm(s(["2019-10-09T13:14:15.5", "2019-10-09T-:15"]))
    assert text(out) == ["2019-10-09T13:14:15", "2019-10-09T00:00:00"]
    kept = impute_dtc_dtm(s(["2019-10-09T-:15"]), preserve=True)
    assert text(kept) == ["2019-10-09T00:15:00"]


def test_dtm_min_dates_admiral_examples() -> None:
    # impute_dtc_dtm reference page: 2020-11 with min 2020-12-06T12:12:12 (out of range) and
    # 2020-11-11T11:11:11 (inside November) -> 2020-11-11T11:11:11.
    mins = [dt("2020-12-06T12:12:12"), dt("2020-11-11T11:11:11")]
    out = impute_dtc_dtm(s(["2020-11"]), highest_imputation="M", min_dates=mins)
    assert text(out) == ["2020-11-11T11:11:11"]
    # Vignette "Avoid Imputed Dates Before a Particular Date" (TRTSDTM 2019-11-11T12:34:56).
    trt = dt(*["2019-11-11T12:34:56"] * 4)
    ae = s(["2019-08-09T12:34:56", "2019-10", "2019-11", "2019-12-04"])
    out = derive_vars_dtm(ae, highest_imputation="M", min_dates=[trt])
    assert out["DTM"].tolist() == stamps(
        "2019-08-09T12:34:56", "2019-10-01T00:00:00", "2019-11-11T12:34:56", "2019-12-04"
    )
    assert out["DTF"].tolist() == [NA, "D", "D", NA]
    assert out["TMF"].tolist() == [NA, "H", "H", "H"]


def test_dtm_max_dates_admiral_examples() -> None:
    # Vignette: 2019-02, last/last, max dates 2019-01-14 (outside February) and 2019-02-25
    # (a date, so it bounds at 23:59:59) -> 2019-02-25T23:59:59.
    out = impute_dtc_dtm(
        s(["2019-02"]),
        highest_imputation="M",
        date_imputation="last",
        time_imputation="last",
        max_dates=[dt("2019-01-14"), dt("2019-02-25")],
    )
    assert text(out) == ["2019-02-25T23:59:59"]
    # Vignette "Avoid Imputed Dates After a Particular Date": DTHDT and DCUTDT.
    aeen = s(["2019-08-09T12:34:56", "2019-11", "2019-12", "2019-12-04"])
    dth = dt("2019-11-11", "2019-11-11", None, None)
    dcut = dt(*["2019-12-02"] * 4)
    out = derive_vars_dtm(
        aeen,
        highest_imputation="M",
        date_imputation="last",
        time_imputation="last",
        max_dates=[dth, dcut],
    )
    assert out["DTM"].tolist() == stamps(
        "2019-08-09T12:34:56",
        "2019-11-11T23:59:59",
        "2019-12-02T23:59:59",
        "2019-12-04T23:59:59",  # complete date: not moved to the cut-off
    )
    assert out["DTF"].tolist() == [NA, "D", "D", NA]
    assert out["TMF"].tolist() == [NA, "H", "H", "H"]


def test_dtm_year_imputation_admiral_vignette() -> None:
    # Vignette "Impute year to first/last": c("2019-02", NA) with dates
    # (2019-01-14, NA) and (2019-02-25, 2020-01-01).
    bounds = [dt("2019-01-14", None), dt("2019-02-25", "2020-01-01")]
    first = impute_dtc_dtm(s(["2019-02", None]), highest_imputation="Y", min_dates=bounds)
    assert text(first) == ["2019-02-25T00:00:00", "2020-01-01T00:00:00"]
    last = impute_dtc_dtm(
        s(["2019-02", None]),
        highest_imputation="Y",
        date_imputation="last",
        time_imputation="last",
        max_dates=bounds,
    )
    assert text(last) == ["2019-02-25T23:59:59", "2020-01-01T23:59:59"]


# --- flags ------------------------------------------------------------------------------


def test_compute_dtf_admiral_examples() -> None:
    # compute_dtf reference page examples, in order: D, M, Y, D, M, M.
    dtc = s(["2019-07", "2019", "--06-01T00:00", "2022-06--T00:00", "2022---01T00:00"])
    dtc = pd.concat([dtc, s(["2022----T00:00"])], ignore_index=True)
    imputed = dt(*["2019-07-18", "2019-07-18"] + ["2022-06-01"] * 4)
    assert text(compute_dtf(dtc, imputed)) == ["D", "M", "Y", "D", "M", "M"]


def test_compute_dtf_na_cases() -> None:
    dtc = s(["2019-07-18T10", "2019-07", "UNK", None, None])
    imputed = s(["2019-07-18", None, "2019-07-01", "2020-01-01", None])
    assert text(compute_dtf(dtc, imputed)) == [NA, NA, NA, "Y", NA]


def test_compute_tmf_admiral_examples() -> None:
    # compute_tmf reference page, with seconds flagged (our default ignore_seconds_flag=False).
    dtc = s(["2019-07-18T15:25", "2019-07-18T15", "2019-07-18", "2022-05--T00:00"])
    dtc = pd.concat([dtc, s(["2022-05--T23:00", "2022-05--T23:59:00"])], ignore_index=True)
    imputed = dt(
        "2019-07-18T15:25",
        "2019-07-18T15:25",
        "2019-07-18",
        "2022-05-15T23:59",
        "2022-05-15T23:59",
        "2022-05-15T23:59:59",
    )
    assert text(compute_tmf(dtc, imputed)) == ["S", "M", "H", "H", "M", "S"]


def test_compute_tmf_ignore_seconds_flag() -> None:
    dtc = s(["2019-07-18T15:25", "2019-07-18T15", "2019-07-18T15:25", None])
    imputed = s(["2019-07-18T15:25:00", "2019-07-18T15:00:00", None, None])
    assert text(compute_tmf(dtc, imputed)) == ["S", "M", NA, NA]
    assert text(compute_tmf(dtc, imputed, ignore_seconds_flag=True)) == [NA, "M", NA, NA]
    with_seconds = s(["2019-07-18T15:25", "2019-07-18T15:25:07"], index=[10, 11])
    with pytest.raises(UsageError, match="carry seconds") as raised:
        compute_tmf(with_seconds, with_seconds, ignore_seconds_flag=True)
    assert raised.value.location == "record 11"


def test_derive_vars_dt() -> None:
    # derive_vars_dt reference page: AESTDTC 2020-12 / 2020-11 with TRTSDTM 2020-12-06T12:12:12.
    trt = dt("2020-12-06T12:12:12", "2020-12-06T12:12:12")
    out = derive_vars_dt(s(["2020-12", "2020-11"]), highest_imputation="M", min_dates=[trt])
    assert out.columns.tolist() == ["DT", "DTF"]
    assert str(out["DT"].dtype) == "datetime64[ns]"
    assert out["DT"].tolist() == stamps("2020-12-06", "2020-11-01")
    assert out["DTF"].tolist() == ["D", "D"]
    plain = derive_vars_dt(s(DATES), highest_imputation="M", flag_imputation=False)
    assert plain.columns.tolist() == ["DT"]
    assert plain["DT"].isna().tolist() == [False] * 7 + [True, True]


def test_derive_vars_dt_outside_nanosecond_range_is_nat() -> None:
    out = derive_vars_dt(s(["1492-10-12", "2300-01", "2021"]), highest_imputation="M")
    assert out["DT"].isna().tolist() == [True, True, False]
    assert out["DTF"].tolist() == [NA, NA, "M"]


def test_derive_vars_dtm_flags_and_seconds() -> None:
    out = derive_vars_dtm(s(DATES), highest_imputation="M")
    assert out["DTF"].tolist() == [NA, NA, NA, NA, "D", "M", "M", NA, NA]
    assert out["TMF"].tolist() == [NA, "S", "M", "H", "H", "H", "H", NA, NA]
    with pytest.raises(UsageError, match="ignore_seconds_flag"):
        derive_vars_dtm(s(DATES), ignore_seconds_flag=True)


# --- argument errors --------------------------------------------------------------------


def test_year_level_needs_its_bounds() -> None:
    with pytest.raises(UsageError, match="needs min_dates") as raised:
        impute_dtc_dt(s(["2021"]), highest_imputation="Y")
    assert "min_dates" in (raised.value.hint or "")
    with pytest.raises(UsageError, match="needs max_dates"):
        impute_dtc_dtm(
            s(["2021"]),
            highest_imputation="Y",
            date_imputation="last",
            min_dates=[dt("2021-01-01")],
        )
    with pytest.raises(UsageError, match='"mid" cannot impute a year'):
        impute_dtc_dt(s(["2021"]), highest_imputation="Y", date_imputation="mid")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"highest_imputation": "m"}, "highest_imputation='m' is not one of n, D, M, Y"),
        ({"highest_imputation": "d"}, "highest_imputation='d'"),
        ({"highest_imputation": "M", "date_imputation": "02-30"}, "not first, mid, last or a real"),
        ({"highest_imputation": "M", "date_imputation": "15"}, "not first, mid, last or a real"),
        ({"highest_imputation": "D", "date_imputation": "06-15"}, "needs highest_imputation='M'"),
        ({"highest_imputation": "M", "preserve": "yes"}, "preserve must be True or False"),
        ({"highest_imputation": "M", "min_dates": pd.Series(["2021-01-01"])}, "list of Series"),
        ({"highest_imputation": "M", "min_dates": [pd.Series([1])]}, "holds numbers"),
        (
            {"highest_imputation": "M", "min_dates": [pd.Series(["2021-01-01", None])]},
            "another index",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        impute_dtc_dt(s(["2021"]), **kwargs)


def test_bad_time_imputation_and_dtc() -> None:
    with pytest.raises(UsageError, match="time_imputation='24:00:00'"):
        impute_dtc_dtm(s(["2021-01-01"]), time_imputation="24:00:00")
    with pytest.raises(UsageError, match="dtc must be a pandas Series"):
        impute_dtc_dt(["2021"])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="holds datetimes already"):
        impute_dtc_dt(dt("2021-01-01"))


def test_partial_text_bound_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"min_dates\[0\] holds '2021-03'") as raised:
        impute_dtc_dt(
            s(["2021", "2021"]),
            highest_imputation="M",
            min_dates=[pd.Series(["2021-03-04", "2021-03"])],
        )
    assert raised.value.location == "record 1"
