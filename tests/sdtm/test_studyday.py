"""--DY: the reference day is 1, the day before is -1, there is no day 0 (SDTMIG 4.4.4)."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc.errors import InputError, UsageError
from sdtm.studyday import derive_var_dy, derive_vars_dy


def test_day_one_boundary_and_partial_dates() -> None:
    ae = pd.DataFrame(
        {
            "USUBJID": ["1"] * 8,
            "AESTDTC": [
                "2021-06-13",  # 13 - 15 = -2
                "2021-06-14",  # 14 - 15 = -1 (the day before the reference)
                "2021-06-15T06:00",  # 15 - 15 + 1 = 1, before the dose time: still day 1
                "2021-06-16",  # 16 - 15 + 1 = 2
                "2021-07-01",  # June has 30 days: 15 + 16 = July 1 -> 16 + 1 = 17
                "2021-06",  # partial: no study day
                None,
                "2020-06-15",  # 365 days before (2021 not leap; Feb 2021 in between) -> -365
            ],
            "RFSTDTC": ["2021-06-15T08:30"] * 8,
        },
        index=[7, 6, 5, 4, 3, 2, 1, 0],
    )
    out = derive_var_dy(ae, "RFSTDTC", "AESTDTC", "AESTDY")
    expected = ae.assign(AESTDY=pd.array([-2, -1, 1, 2, 17, None, None, -365], dtype="Int64"))
    pd.testing.assert_frame_equal(out, expected)
    assert "AESTDY" not in ae.columns  # the input is not changed


def test_reference_partial_or_missing_gives_missing() -> None:
    ae = pd.DataFrame({"AESTDTC": ["2021-06-15", "2021-06-15"], "RFSTDTC": ["2021-06", None]})
    assert derive_var_dy(ae, "RFSTDTC", "AESTDTC", "AESTDY")["AESTDY"].isna().all()


def test_reference_as_series_and_leap_day() -> None:
    lb = pd.DataFrame({"LBDTC": ["2020-03-01", "2020-02-28"]})
    ref = pd.Series(["2020-02-28", "2020-03-01"])
    # 2020 is a leap year: Feb 28 -> Mar 1 is 2 days, so +2 + 1 = 3 and -2.
    assert derive_var_dy(lb, ref, "LBDTC", "LBDY")["LBDY"].tolist() == [3, -2]


def test_several_study_days_at_once() -> None:
    ae = pd.DataFrame(
        {"AESTDTC": ["2021-06-10"], "AEENDTC": ["2021-06-20"], "RFSTDTC": ["2021-06-15"]}
    )
    out = derive_vars_dy(ae, "RFSTDTC", ["AESTDTC", "AEENDTC"])
    # 10 - 15 = -5; 20 - 15 + 1 = 6
    assert out[["AESTDY", "AEENDY"]].iloc[0].tolist() == [-5, 6]
    out = derive_vars_dy(ae, "RFSTDTC", {"STDY": "AESTDTC"})
    assert out["STDY"].tolist() == [-5]


def test_errors_name_the_argument() -> None:
    ae = pd.DataFrame({"AESTDTC": ["2021-06-10"], "RFSTDTC": ["2021-06-15"]})
    with pytest.raises(UsageError, match=r"dtc='AESTDT' \(did you mean 'AESTDTC'\?\)"):
        derive_var_dy(ae, "RFSTDTC", "AESTDT", "AESTDY")
    with pytest.raises(UsageError, match="do not end in DTC"):
        derive_vars_dy(ae, "RFSTDTC", ["AESTDAT"])
    with pytest.raises(UsageError, match="index differs"):
        derive_var_dy(ae, pd.Series(["2021-06-15"], index=[9]), "AESTDTC", "AESTDY")
    with pytest.raises(InputError, match="not ISO 8601"):
        derive_var_dy(ae.assign(AESTDTC="10/06/2021"), "RFSTDTC", "AESTDTC", "AESTDY")
    with pytest.raises(UsageError, match="must be a pandas DataFrame"):
        derive_var_dy([1], "RFSTDTC", "AESTDTC", "AESTDY")
