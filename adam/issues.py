"""Problems an ADaM derivation reports, in the build report's one problem table.

The table is the SDTM stage's (:data:`sdtm.engine.ISSUE_COLUMNS`), so one report lists both;
an ADaM problem is located by the SDTM dataset (``form``) and --SEQ (``record``) it read.
"""

from __future__ import annotations

import pandas as pd

from sdtm.engine import ISSUE_COLUMNS


def adam_issues(
    dataset: str,
    subjects,
    *,
    code: str = "",
    message="",
    variable="",
    value="",
    source="",
    record="",
) -> pd.DataFrame:
    """One problem per subject of ``subjects`` (a sequence of USUBJID) about ADaM ``dataset``.

    With no subjects it is the empty problem table. ``message``, ``variable``, ``value``, ``source`` (the SDTM dataset read) and ``record``
    (its --SEQ) are one value for all or one per subject.

    >>> adam_issues("ADSL", ["S1"], code="date-not-imputable", message="DTHDTC '2021' ...",
    ...             variable="DTHDT", source="DM")[["domain", "form", "subject", "code"]].values.tolist()
    [['ADSL', 'DM', 'S1', 'date-not-imputable']]
    """
    subjects = pd.Series(subjects, dtype="string").to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "domain": dataset,
            "file": "",
            "form": source,
            "record": record,
            "subject": subjects,
            "variable": variable,
            "code": code,
            "message": message,
            "value": value,
        },
        index=range(len(subjects)),
        columns=list(ISSUE_COLUMNS),
    )
    return frame.astype({"record": str, "value": str})
