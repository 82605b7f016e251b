"""Duplicates are judged on the codes of each column's distinct values (issue 7): what counts
as the same value must stay what the two checks document.

``duplicate-record`` compares every mapped variable as stored, so a missing value and an
empty text differ; ``duplicate-key`` compares the natural key as text, so a missing value and
an empty text are the same, and two missing visit numbers are the same visit. The expected
records are worked out by hand from those two rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sdtm.engine import _duplicates
from sdtm.spec import DomainSpec, Source, Step


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_file": "lb.csv",
            "_form": "chem",
            "_record": ["1", "2", "3", "4", "5", "6", "7"],
            "_subject": ["S1", "S1", "S1", "S1", "S2", "S2", "S2"],
            "USUBJID": pd.Series(["S1", "S1", "S1", "S1", "S2", "S2", "S2"], dtype="str"),
            "LBTESTCD": pd.Series(["ALB"] * 6 + ["HGB"], dtype="str"),
            "LBORRES": pd.Series(["40", "40", "41", "42", "40", "40", "1"], dtype="str"),
            "VISITNUM": [1.0, 1.0, np.nan, np.nan, 1.0, 1.0, 2.0],
            "LBLOC": pd.Series([None, "", "ARM", "ARM", None, None, None], dtype="str"),
        }
    )


def test_missing_and_empty_differ_for_a_duplicate_record_and_not_for_a_duplicate_key():
    spec = DomainSpec(
        domain="LB",
        path="lb.yaml",
        sources=(Source("chem"),),
        steps=(Step("LBLOC", "assign_no_ct", {"field": "LOC"}),),
    )
    found = _duplicates("LB", _records(), spec)
    by_code = found.groupby("code")["record"].apply(sorted).to_dict()
    # 5 and 6: alike in USUBJID, LBLOC (both missing), LBTESTCD and LBORRES.
    assert by_code["duplicate-record"] == ["5", "6"]
    # 1 and 2: LBLOC missing vs empty is one key; 3 and 4: no visit number on either, other
    # results. 5 and 6 are already duplicate records; 7 is alone.
    assert by_code["duplicate-key"] == ["1", "2", "3", "4"]
