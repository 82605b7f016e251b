"""Rules about the dataset files themselves, whatever the standard.

XPT001: a reader that many validators use (``pandas.read_sas``, the reader of CDISC CORE)
takes blank Char fields that end the last record for the file's blank padding and drops
that record. The file is right (pyreadstat reads every record); the warning says that a
validator built on pandas will see one record fewer. The count pandas would read is
recomputed from the file's bytes (:func:`cdisc.writers.readback.pandas_record_count`).
"""

from __future__ import annotations

import pandas as pd

from cdisc.validation.engine import NotCheckable, rule, variable_findings
from cdisc.validation.package import Package
from cdisc.writers.readback import pandas_record_count


@rule(
    "XPT001",
    severity="warning",
    message="pandas.read_sas (the reader of CDISC CORE) would read fewer records than the file holds",
)
def pandas_reads_fewer_records(package: Package) -> pd.DataFrame:
    """An XPT file whose last record pandas.read_sas would drop."""
    parts, checked = [], 0
    for name, meta in package.meta.items():
        if meta.file is None or meta.file.suffix.lower() != ".xpt":
            continue
        checked += 1
        held = len(package.datasets[name])
        record_length = sum(meta.lengths.get(v, 8) for v in meta.types)
        seen = pandas_record_count(meta.file, len(meta.types), record_length)
        if held and seen < held:
            parts.append(
                variable_findings(
                    name,
                    [""],
                    f"{meta.file.name}: pandas.read_sas reads {seen} of {held} records; the "
                    "last ends in blank Char fields, which it takes for padding",
                    value=str(held - seen),
                )
            )
    if not checked:
        raise NotCheckable("no XPT files (only XPT files have the padding pandas misreads)")
    return pd.concat(parts, ignore_index=True) if parts else variable_findings("", [])
