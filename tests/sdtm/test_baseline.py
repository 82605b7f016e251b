"""--LOBXFL: last non-missing result on or before the reference, one per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc.errors import UsageError
from sdtm.baseline import derive_var_blfl


def vs_frame() -> pd.DataFrame:
    rows = [
        # USUBJID, VSTESTCD, VSDTC, VSORRES, VSSTAT, VSTPTNUM, RFXSTDTC
        ("1", "SYSBP", "2021-06-01", "120", None, 1, "2021-06-15T09:00"),  # 0 screening
        ("1", "SYSBP", "2021-06-10", "122", None, 1, "2021-06-15T09:00"),  # 1 pre-dose
        ("1", "SYSBP", "2021-06-15T10:00", "130", None, 1, "2021-06-15T09:00"),  # 2 after dose
        ("1", "SYSBP", "2021-06-15T08:00", None, "NOT DONE", 1, "2021-06-15T09:00"),  # 3 ND
        ("1", "DIABP", "2021-06-15", "80", None, 1, "2021-06-15T09:00"),  # 4 same day, no time
        ("1", "DIABP", "2021-06-20", "82", None, 1, "2021-06-15T09:00"),  # 5 after
        ("2", "SYSBP", "2021-07-01T07:00", "140", None, 1, "2021-07-01T07:00"),  # 6 at dose time
        ("2", "SYSBP", "2021-07-01T07:01", "141", None, 1, "2021-07-01T07:00"),  # 7 a minute after
        ("3", "SYSBP", "2021-06-01", "110", None, 1, None),  # 8 never dosed
        ("4", "SYSBP", "2021-05", "115", None, 1, "2021-06-15"),  # 9 partial
        ("4", "SYSBP", "2021-06-14", " ", None, 1, "2021-06-15"),  # 10 blank result
        ("4", "SYSBP", "2021-06-12", "117", None, 1, "2021-06-15"),  # 11
    ]
    columns = ["USUBJID", "VSTESTCD", "VSDTC", "VSORRES", "VSSTAT", "VSTPTNUM", "RFXSTDTC"]
    return pd.DataFrame(rows, columns=columns)


def test_last_usable_result_before_exposure() -> None:
    out, findings = derive_var_blfl(vs_frame(), stat="VSSTAT")
    # Subject 1 SYSBP: row 3 is latest before 09:00 but NOT DONE, row 2 is after the dose,
    #   so row 1 (2021-06-10). DIABP: row 4 is on the dose day without a time -> counts.
    # Subject 2: row 6 at the very dose time counts (on or before); row 7 is after.
    # Subject 3: no reference date -> nothing. Subject 4: row 10 blank, row 9 partial,
    #   so row 11.
    expected = [np.nan, "Y", np.nan, np.nan, "Y", np.nan, "Y", np.nan, np.nan, np.nan, np.nan, "Y"]
    assert out["VSLOBXFL"].tolist() == expected
    assert out["VSLOBXFL"].dtype == "str"
    assert findings[["code", "by", "records", "rows"]].values.tolist() == [
        ["undetermined-timing", "USUBJID=4, VSTESTCD=SYSBP", 1, "9"]
    ]


def test_not_done_without_stat_column_is_still_skipped_by_missing_value() -> None:
    # Without stat=, row 3 has no result, so it is skipped all the same.
    out, _ = derive_var_blfl(vs_frame())
    assert out["VSLOBXFL"].iloc[1] == "Y"


def test_tie_broken_by_declared_order_and_reported() -> None:
    vs = pd.DataFrame(
        {
            "USUBJID": ["1", "1", "1", "1"],
            "VSTESTCD": ["PULSE"] * 4,
            "VSDTC": ["2021-06-15T08:00", "2021-06-15T08:00", "2021-06-15", "2021-06-14T08:00"],
            "VSORRES": ["70", "72", "71", "68"],
            "VSTPTNUM": [2, 1, 3, 1],
            "RFXSTDTC": ["2021-06-15T09:00"] * 4,
        },
        index=["a", "b", "c", "d"],
    )
    out, findings = derive_var_blfl(vs, order=["VSTPTNUM"], new_var="VSBLFL")
    # a, b (08:00) and c (same day, no time: cannot be ordered against 08:00) tie;
    # VSTPTNUM 1 < 2 < 3, the last in order wins: c.
    assert out["VSBLFL"].tolist() == [np.nan, np.nan, "Y", np.nan]
    assert findings.to_dict("records") == [
        {
            "code": "baseline-tie",
            "message": findings["message"].iloc[0],
            "by": "USUBJID=1, VSTESTCD=PULSE",
            "records": 3,
            "rows": "a, b, c",
            "chosen": "c",
        }
    ]


def test_seconds_compared_only_when_both_sides_have_them() -> None:
    vs = pd.DataFrame(
        {
            "USUBJID": ["1", "2"],
            "VSTESTCD": ["PULSE"] * 2,
            "VSDTC": ["2021-06-15T09:00:30", "2021-06-15T09:00:30"],
            "VSORRES": ["70", "70"],
            "RFXSTDTC": ["2021-06-15T09:00", "2021-06-15T09:00:10"],
        }
    )
    out, _ = derive_var_blfl(vs)
    # 1: reference known to the minute only: 09:00 vs 09:00 -> on or before.
    # 2: both to the second: 09:00:30 is after 09:00:10.
    assert out["VSLOBXFL"].tolist() == ["Y", np.nan]


def test_filter_limits_candidates() -> None:
    vs = vs_frame()
    out, _ = derive_var_blfl(vs, stat="VSSTAT", filter=vs["VSDTC"] != "2021-06-10")
    # Without row 1, subject 1 SYSBP falls back to row 0.
    assert out["VSLOBXFL"].iloc[0] == "Y" and pd.isna(out["VSLOBXFL"].iloc[1])


def test_arguments_checked() -> None:
    with pytest.raises(UsageError, match=r"stat='VSSTT' \(did you mean 'VSSTAT'\?\)"):
        derive_var_blfl(vs_frame(), stat="VSSTT")
    with pytest.raises(UsageError, match="filter must be a boolean Series"):
        derive_var_blfl(vs_frame(), filter=vs_frame()["VSDTC"])
