"""Records whose subject has no DM record (Pinnacle 21 SD0064), on inline frames."""

from __future__ import annotations

import pandas as pd

from sdtm.engine import ISSUE_COLUMNS
from sdtm.referential import subjects_not_in_dm


def _ae(usubjids: list[str | None]) -> pd.DataFrame:
    n = len(usubjids)
    return pd.DataFrame(
        {
            "USUBJID": pd.Series(usubjids, dtype="string"),
            "AETERM": ["HEADACHE"] * n,
            "_file": "raw.xml",
            "_form": "ae",
            "_record": [f"LOG/AE[{k}]/IG.AE" for k in range(1, n + 1)],
            "_subject": [(u or "").removeprefix("ST-") for u in usubjids],
        }
    )


def test_only_records_of_subjects_dm_does_not_know_are_reported():
    # DM knows ST-01 and ST-02. AE rows: ST-01 (known), ST-ST-02 (variant id "ST-02" given
    # the template prefix twice: unknown), ST-02 (known), ST-9 (unknown), missing (unknown).
    # By hand: rows 2, 4 and 5 are reported, in that order.
    dm = pd.Series(["ST-01", "ST-02"])
    ae = _ae(["ST-01", "ST-ST-02", "ST-02", "ST-9", None])
    found = subjects_not_in_dm("AE", ae, dm)
    assert list(found.columns) == list(ISSUE_COLUMNS)
    assert found["record"].tolist() == ["LOG/AE[2]/IG.AE", "LOG/AE[4]/IG.AE", "LOG/AE[5]/IG.AE"]
    assert found["value"].tolist() == ["ST-ST-02", "ST-9", ""]
    assert found["subject"].tolist() == ["ST-02", "9", ""]
    assert set(found["code"]) == {"subject-not-in-dm"}
    assert set(found["domain"]) == {"AE"} and set(found["form"]) == {"ae"}
    assert set(found["file"]) == {"raw.xml"} and set(found["variable"]) == {"USUBJID"}
    assert all("SD0064" in m and "no DM record" in m for m in found["message"])


def test_every_subject_in_dm_gives_no_problem():
    found = subjects_not_in_dm("AE", _ae(["ST-01", "ST-01"]), pd.Series(["ST-01"]))
    assert found.empty and list(found.columns) == list(ISSUE_COLUMNS)


def test_an_empty_domain_gives_no_problem():
    assert subjects_not_in_dm("AE", _ae([]), pd.Series(["ST-01"])).empty
