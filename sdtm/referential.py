"""Cross-domain integrity of a built SDTM package: every record's subject must be in DM.

A raw record filed under a variant subject id (``SAIL-02-033`` for ``02-033``, a typo, a
subject never enrolled) maps to a USUBJID that has no DM record. Nothing in the single
domain looks wrong, so the check runs on the finished domains against DM and reports each
such record, located by its raw lineage, instead of letting it pass silently.
"""

from __future__ import annotations

import pandas as pd

from sdtm.engine import ISSUE_COLUMNS, issues_at

#: Problem code of a record whose USUBJID has no DM record (a build warning).
SUBJECT_NOT_IN_DM = "subject-not-in-dm"


def subjects_not_in_dm(domain: str, data: pd.DataFrame, dm_usubjid: pd.Series) -> pd.DataFrame:
    """One problem per record of ``domain`` whose USUBJID is not among DM's USUBJIDs.

    ``data`` is a finished domain carrying the lineage columns ``_file``, ``_form``,
    ``_record``, ``_subject`` and ``USUBJID``; ``dm_usubjid`` the USUBJID column of DM.
    Returns a frame with :data:`~sdtm.engine.ISSUE_COLUMNS` (code ``subject-not-in-dm``),
    empty when every subject is in DM. The rule is Pinnacle 21 SD0064 ("subject is not
    present in DM"); a record is reported, never dropped, so the data manager decides.

    >>> ae = pd.DataFrame({"USUBJID": ["S-1", "S-X"], "_file": "f.xml", "_form": "ae",
    ...                    "_record": ["r1", "r2"], "_subject": ["1", "X"]})
    >>> subjects_not_in_dm("AE", ae, pd.Series(["S-1"]))["record"].tolist()
    ['r2']
    """
    if not len(data) or "USUBJID" not in data:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    usubjid = data["USUBJID"].astype("string")
    known = set(dm_usubjid.astype("string").dropna())
    orphan = data[~usubjid.isin(known).fillna(False).to_numpy(dtype=bool)]
    ids = orphan["USUBJID"].astype("string").fillna("").astype(str)
    return issues_at(
        domain,
        orphan,
        code=SUBJECT_NOT_IN_DM,
        message=(
            "USUBJID "
            + ids.map(repr)
            + " has no DM record (Pinnacle 21 SD0064); the raw record is filed under a"
            " subject id DM does not know"
        ).to_numpy(),
        variable="USUBJID",
        value=ids.to_numpy(),
    )


__all__ = ["SUBJECT_NOT_IN_DM", "subjects_not_in_dm"]
