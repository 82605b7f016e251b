"""pandera schemas generated from the metadata model, and the SCH rules that run them.

No schema is written by hand: :func:`dataset_schema` derives one per dataset from SDTMIG 3.4
or ADaMIG 1.3 (:class:`cdisc.standards.Standards`), the package's define.xml when it has the
dataset, and what the dataset file says about itself (``package.meta``). It covers

- types (SDTMIG / ADaMIG ``Char`` or ``Num``);
- Required variables present and non-null, Expected variables present;
- controlled terminology (non-extensible codelist: error; extensible: warning);
- character lengths in bytes, against the define's Length, else the file's;
- ISO 8601 for --DTC, --DUR (and the other duration variables) and ADaM character dates;
- uniqueness of the define's key variables.

Each check is named by the ID of the rule that reports it; :func:`schema_failures`
validates each dataset once, lazily (every failure collected), and the registered rules
SCH001-SCH016 read their own rows from that one result.

Modules: :mod:`~cdisc.validation.schemas.generate` (the schemas),
:mod:`~cdisc.validation.schemas.checks` (the vectorised checks and ISO 8601 patterns),
:mod:`~cdisc.validation.schemas.failures` (running them) and
:mod:`~cdisc.validation.schemas.rules` (the SCH rules, registered on import).

>>> from cdisc.validation.package import package_from_frames
>>> import pandas as pd
>>> dm = pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["DM"], "USUBJID": ["S1-1"], "SEX": ["X"]})
>>> fails = schema_failures(package_from_frames({"DM": dm}))
>>> fails.loc[fails["rule"] == "SCH005", ["variable", "value"]].values.tolist()
[['SEX', 'X']]
"""

from cdisc.validation.schemas import rules  # noqa: F401  (registers SCH001...)
from cdisc.validation.schemas.checks import ISO_DATETIME, ISO_DURATION
from cdisc.validation.schemas.failures import FAILURE_COLUMNS, schema_failures
from cdisc.validation.schemas.generate import RULES, dataset_schema

__all__ = [
    "FAILURE_COLUMNS",
    "ISO_DATETIME",
    "ISO_DURATION",
    "RULES",
    "dataset_schema",
    "schema_failures",
]
