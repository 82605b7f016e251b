"""Findings of the dataset writers: what was changed on the way out, and what did not read back.

A finding is not an exception: the build collects them, puts them in its report and decides
(an ``error`` finding fails the build, a ``warning`` does not). Every finding carries a stable
``code``; where a Pinnacle 21 rule checks the same thing, ``rule`` names it so reviewers can
cross-walk.

Codes:

========  ========  ==========================================================================
code      severity  meaning
========  ========  ==========================================================================
ASCII01   warning   a non-ASCII character was transliterated to a faithful ASCII form (SD1029)
ASCII02   error     a non-ASCII character has no faithful ASCII form and became ``?`` (SD1029)
XPTRB01   error     a reader could not open or decode the file at all
XPTRB02   error     the number of records read back differs from the frame
XPTRB03   error     dataset name, variable names or variable order differ
XPTRB04   error     a dataset or variable label differs
XPTRB05   error     a variable's type (Char/Num) differs
XPTRB06   error     a Char variable's length, or a Num variable's width (8), differs
XPTRB07   error     a value differs (first differing record and count of differing records)
XPTRB08   error     a variable's display format differs
XPTRB10   warning   ``pandas.read_sas`` would drop final record(s) whose tail is blank (known limit)
XPTRB11   warning   ``pandas.read_sas`` cannot read a dataset with no records (known limit)
XPTRB12   warning   ``pandas.read_sas`` would read the blank padding as more records (known limit)
========  ========  ==========================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

#: Stable code -> (severity, P21 rule id or "") of every finding the writers produce.
CODES: dict[str, tuple[str, str]] = {
    "ASCII01": ("warning", "SD1029"),
    "ASCII02": ("error", "SD1029"),
    "XPTRB01": ("error", ""),
    "XPTRB02": ("error", ""),
    "XPTRB03": ("error", ""),
    "XPTRB04": ("error", ""),
    "XPTRB05": ("error", ""),
    "XPTRB06": ("error", ""),
    "XPTRB07": ("error", ""),
    "XPTRB08": ("error", ""),
    "XPTRB10": ("warning", ""),
    "XPTRB11": ("warning", ""),
    "XPTRB12": ("warning", ""),
}

#: Columns of :func:`findings_frame`, in order.
FINDING_COLUMNS: tuple[str, ...] = (
    "code",
    "severity",
    "rule",
    "dataset",
    "variable",
    "record",
    "message",
)


@dataclass(frozen=True)
class Finding:
    """One thing a writer noticed.

    ``variable`` is ``""`` for a dataset-level finding; ``record`` is the frame's index label
    of the first record concerned, or None. ``severity`` and ``rule`` follow from ``code``
    (see :data:`CODES`); build one with :meth:`of`.
    """

    code: str
    severity: str
    rule: str
    dataset: str
    variable: str
    record: Any
    message: str

    @classmethod
    def of(
        cls, code: str, dataset: str, message: str, *, variable: str = "", record: Any = None
    ) -> Finding:
        """A finding whose severity and rule come from :data:`CODES`.

        >>> Finding.of("XPTRB04", "DM", "label differs", variable="AGE").severity
        'error'
        """
        severity, rule = CODES[code]
        return cls(code, severity, rule, dataset, variable, record, message)


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame with the columns of :data:`FINDING_COLUMNS`, in the given order.

    >>> findings_frame([]).columns.tolist()[:3]
    ['code', 'severity', 'rule']
    """
    return pd.DataFrame([asdict(f) for f in findings], columns=list(FINDING_COLUMNS))
