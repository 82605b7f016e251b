"""--SEQ: 1..n per subject in the declared order, rows kept in place."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisc.errors import InputError, UsageError
from sdtm.sequence import derive_var_seq


def ae_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": ["B", "A", "B", "A", "A", "B"],
            "AESTDTC": ["2021-03-01", "2021-02-10", "2021-01-05", None, "2021-02", "2021-03-01"],
            "AETERM": ["NAUSEA", "HEADACHE", "RASH", "FATIGUE", "COUGH", "FEVER"],
            "_record": ["6", "2", "5", "4", "3", "1"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_order_within_subject() -> None:
    out = derive_var_seq(ae_frame(), order=["AESTDTC", "AETERM"], new_var="AESEQ")
    # A: 2021-02 (partial sorts before the full dates it contains) = 1, 2021-02-10 = 2,
    #    missing date last = 3.
    # B: 2021-01-05 = 1, then the two 2021-03-01 by AETERM: FEVER = 2, NAUSEA = 3.
    expected = ae_frame().assign(AESEQ=pd.array([3, 2, 1, 3, 1, 2], dtype="Int64"))
    pd.testing.assert_frame_equal(out, expected)


def test_descending_and_ties_keep_input_order() -> None:
    out = derive_var_seq(ae_frame(), order=[("AESTDTC", "desc")], new_var="AESEQ")
    # B descending: the two 2021-03-01 rows tie and keep input order (index 10, then 15),
    # then 2021-01-05. A descending: 2021-02-10, 2021-02, missing still last.
    assert out["AESEQ"].tolist() == [1, 1, 3, 3, 2, 2]


def test_strict_refuses_ties_and_lineage_keys_break_them() -> None:
    with pytest.raises(
        InputError, match=r"2 rows share every value of USUBJID, AESTDTC: rows 10, 15"
    ):
        derive_var_seq(ae_frame(), order=["AESTDTC"], strict=True)
    out = derive_var_seq(ae_frame(), order=["AESTDTC", "_record"], strict=True)
    # The tie at B/2021-03-01 is broken by _record: "1" (index 15) before "6" (index 10).
    assert out["AESEQ"].tolist() == [3, 2, 1, 3, 1, 2]


def test_arguments_checked_up_front() -> None:
    with pytest.raises(UsageError, match=r"by_vars='USUBJD'.*order='AESTDT'"):
        derive_var_seq(ae_frame(), by_vars=["USUBJD"], order=["AESTDT"])
    with pytest.raises(UsageError, match="order items must be column names"):
        derive_var_seq(ae_frame(), order=[("AESTDTC", "down")])
    with pytest.raises(UsageError, match="also a sort column"):
        derive_var_seq(ae_frame(), order=["AETERM"], new_var="AETERM")
