"""ADaM code/decode pair rules (ADR024-ADR033): TRTxxP/TRTxxPN, TRTxxA/TRTxxAN, TRTP/TRTPN,
PARAMCD/PARAM and AVISIT/AVISITN (within PARAMCD) hold one value for the other.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. P21 IDs and the CDISC
"Publisher ID" come from ``standards/rules/p21_adam_rules.csv`` and are cited only where the
catalogue text describes what the rule checks; severity follows the catalogue's wording
("must" -> error, "should" -> warning). Rules that need the SDTM read ``package.related``
(the SDTM package beside the analysis package) and are reported as not checked when it is
absent.
"""

from __future__ import annotations

import re

import pandas as pd

from adam.rules._common import (
    _pairs,
)
from cdisc.validation.engine import (
    concat_findings,
    findings,
    rule,
    value_text,
)
from cdisc.validation.package import Package


def _inconsistent(frame: pd.DataFrame, name: str, key: list[str], value: str) -> pd.DataFrame:
    """Records whose ``value`` is not the only one seen for their ``key`` (rows where all are
    populated)."""
    both = frame[[*key, value]].notna().all(axis=1)
    sub = frame[both]
    counts = sub.groupby(key, dropna=True)[value].transform("nunique")
    rows = sub[counts > 1]
    where = pd.Series("", index=rows.index)
    for k in key:
        where = where + (" and " if k != key[0] else "") + f"{k} " + value_text(rows[k])
    text = f"{name}: {value} " + value_text(rows[value]) + " is one of several for " + where
    return findings(rows, name, variable=value, message=text)


def _pair_rule(datasets: str, code: str, decode: str, by: tuple[str, ...] = ()):
    """Rule body: ``value`` must be one value per ``key`` (both populated)."""

    def check(package: Package) -> pd.DataFrame:
        frames = (
            package.datasets
            if datasets == "ANY"
            else {n: f for n, f in package.datasets.items() if n == datasets}
        )
        parts = []
        for name, frame in frames.items():
            for column in _pairs(frame, code):
                other = re.sub(code, decode, column)
                if other in frame and all(b in frame for b in by):
                    parts.append(_inconsistent(frame, name, [*by, column], other))
        return concat_findings(parts)

    check.__doc__ = f"{decode} is not one value per {code} (both populated)."
    return check


_PAIRS = [
    ("ADR024", "ADSL", r"TRT(\d\d)P", r"TRT\1PN", (), "AD0076B", "76, 717"),
    ("ADR025", "ADSL", r"TRT(\d\d)PN", r"TRT\1P", (), "AD0077B", "77, 718"),
    ("ADR026", "ADSL", r"TRT(\d\d)A", r"TRT\1AN", (), "AD0242B", "242, 767"),
    ("ADR027", "ADSL", r"TRT(\d\d)AN", r"TRT\1A", (), "AD0243B", "243, 768"),
    ("ADR028", "ANY", r"TRTP", r"TRTPN", (), "AD0092B", "92, 721"),
    ("ADR029", "ANY", r"TRTPN", r"TRTP", (), "AD0093B", "93, 722"),
    ("ADR030", "ANY", r"PARAMCD", r"PARAM", (), "AD0141", "141, 738"),
    ("ADR031", "ANY", r"PARAM", r"PARAMCD", (), "AD0142", "142, 739"),
    ("ADR032", "ANY", r"AVISIT", r"AVISITN", ("PARAMCD",), "AD0109B", "109, 727"),
    ("ADR033", "ANY", r"AVISITN", r"AVISIT", ("PARAMCD",), "AD0110B", "110, 728"),
]
for _id, _where, _code, _decode, _by, _p21, _cdisc in _PAIRS:
    _label = _decode.replace("\\1", "xx")
    rule(
        _id,
        severity="error",
        scope="ADaM",
        p21=_p21,
        cdisc=_cdisc,
        message=f"Inconsistent value for {_label}",
    )(_pair_rule(_where, _code, _decode, _by))
