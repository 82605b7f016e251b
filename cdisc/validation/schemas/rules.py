"""The SCH rules: each reports its own rows of :func:`~cdisc.validation.schemas.schema_failures`
(every dataset is validated once, and the rules share the result)."""

from __future__ import annotations

import pandas as pd

from cdisc.validation import columns
from cdisc.validation.engine import NotCheckable, rule
from cdisc.validation.package import Package
from cdisc.validation.schemas.failures import _run

# --- the SCH rules ---------------------------------------------------------------------------
# (id, scope, severity, P21 ID, publisher IDs, message). P21 IDs, publisher IDs and severities
# are from the Pinnacle 21 catalogues (shared/standards/rules/p21_*_rules.csv): "must" is an
# error, "should" a warning. Rules without a P21 ID have no catalogue entry that matches.
_CATALOGUE = (
    ("SCH001", "SDTM", "warning", "SD0055", "CG0012", "SDTM/dataset variable type mismatch"),
    ("SCH002", "SDTM", "error", "SD0002", "CG0014, CG0208",
     "Null value in variable marked as Required"),
    ("SCH003", "SDTM", "error", "SD0056", "CG0014, CG0313", "SDTM Required variable not found"),
    ("SCH004", "SDTM", "warning", "SD0057", "CG0016", "SDTM Expected variable not found"),
    ("SCH005", "ANY", "error", "CT2001",
     "FDAB017, CG0085, CG0131, CG0232, CG0233, CG0234, CG0235, CG0387, CG0388, CG0389, CG0390, "
     "CG0391, CG0392, CG0393, CG0394, CG0395, CG0396, CG0541, CG0619, CG0653",
     "Variable value not found in non-extensible codelist"),
    ("SCH006", "ANY", "warning", "CT2002", "FDAB017, CG0020, CG0021",
     "Variable value not found in extensible codelist"),
    ("SCH007", "ANY", "error", "", "",
     "Value longer (in bytes) than the variable's length in define.xml or the dataset file"),
    ("SCH008", "SDTM", "error", "SD0003", "", "Invalid ISO 8601 value for --DTC variable"),
    ("SCH009", "SDTM", "error", "SD1011", "",
     "Invalid ISO 8601 value for duration, elapsed time or interval variable"),
    ("SCH010", "SDTM", "warning", "SD1152", "CG0019",
     "Duplicate records per Key Variables in Define.xml"),
    ("SCH011", "ADaM", "error", "", "", "ADaM variable type differs from ADaMIG 1.3"),
    ("SCH012", "ADaM", "error", "AD0047",
     "47, 49, 50, 51, 52, 55, 71, 72, 88, 89, 90, 194, 195, 257, 260, 261, 262, 278, 620, 621, "
     "623, 624, 625, 626, 627, 628, 629, 630, 631, 632, 633, 634, 635, 636, 637, 638, 639, 655, "
     "656, 657, 671, 672, 685, 686, 689, 719, 720, 804, 814, 885, 886, 887, 888, 889, 890",
     "Required variable is not present"),
    ("SCH013", "ADaM", "error", "AD0196", "196, 197, 811", "Required Variable value is null"),
    ("SCH014", "ADaM", "error", "", "", "Invalid ISO 8601 value for character date variable"),
    ("SCH015", "ADaM", "warning", "", "",
     "Duplicate records per key variables in define.xml"),
    ("SCH016", "ANY", "warning", "", "",
     "MULTIPLE (SDTMIG 3.4 section 4.2.8.3) is not a term of the variable's non-extensible "
     "codelist"),
)  # fmt: skip


def _schema_rule(rule_id: str):
    """The check of rule ``rule_id``: its rows of :func:`schema_failures`; not checkable
    when no dataset's schema has anything for it to check."""

    def check(package: Package) -> pd.DataFrame:
        failures, checked = _run(package)
        if rule_id not in checked:
            raise NotCheckable(_NOT_CHECKED.get(rule_id, "no dataset has a variable it applies to"))
        mine = columns.isin(failures["rule"], [rule_id], f"rule:{rule_id}")
        return failures[mine].drop(columns="rule").reset_index(drop=True)

    check.__name__ = f"schema_{rule_id.lower()}"
    check.__doc__ = next(m for i, *_, m in _CATALOGUE if i == rule_id)
    return check


_NOT_CHECKED = {
    "SCH010": "no define.xml key variables for any dataset",
    "SCH015": "no define.xml key variables for any dataset",
    "SCH007": "no variable length known from define.xml or the dataset files",
}

for _id, _scope, _severity, _p21, _cdisc, _message in _CATALOGUE:
    rule(_id, severity=_severity, message=_message, scope=_scope, p21=_p21, cdisc=_cdisc)(
        _schema_rule(_id)
    )
