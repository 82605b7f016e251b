"""Defect kind ``crf_version_change``: a field whose format changes in a later CRF version.

From the version date on, CRF version 2 of the treadmill walking test asks for the maximum
walking distance as free text with its unit (``"150 m"``) instead of a plain number
(``150``), as when a numeric field is rebuilt as text in a mid-study CRF amendment. Every
record dated after the version date holds the v2 form of the value (not drawn at random: a
version change applies to every later record). The ODM writer declares the change on the
item's ``ItemDef`` with an ``Alias`` (schema-valid in ODM 1.3.2); REDCap and Rave show only
the values (in Rave the numeric ``MWD`` twin is blank where the text does not parse, the typed
text is in ``MWD_RAW``).

It runs before the value kinds (which then leave the changed values alone), on the record dates
as exported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.synth.defects import Injector


@dataclass(frozen=True)
class VersionChange:
    """A field rewritten from CRF version 2 on: records dated after ``date`` hold
    ``<value><suffix>`` (e.g. ``150`` -> ``150 m``)."""

    form: str
    field: str
    date_field: str
    date: str
    suffix: str

    @property
    def alias(self) -> tuple[str, str]:
        """``(Context, Name)`` of the ODM ``Alias`` that declares the change on the ItemDef."""
        return (
            f"CRF version 2 from {self.date}",
            f"{self.field} entered as text with its unit ('150{self.suffix}')",
        )


#: The change of each study. Dates fall late in accrual so both versions occur in the default
#: exports (trial B accrues from 2019-01-14 over 900 days, trial A from 2021-05-01 over 365).
CHANGES: dict[str, VersionChange] = {
    "sail": VersionChange("WALK", "MWD", "WTDAT", "2021-07-01", " m"),
    "pmsc-cli": VersionChange("WALK", "MWD", "WTDAT", "2022-05-01", " m"),
}


def version_changes(inj: Injector) -> None:
    """Rewrite the study's changed field in every record dated after its version date."""
    kind = "crf_version_change"
    change = CHANGES.get(inj.design.study)
    if change is None or change.form not in inj.forms:
        return
    v = inj.col(change.form, change.field)
    when = pd.to_datetime(
        pd.Series(inj.col(change.form, change.date_field), dtype=object),
        format="%Y-%m-%d",
        errors="coerce",
    ).to_numpy("datetime64[D]")
    numeric = pd.Series(v, dtype=object).str.fullmatch(r"\d+").fillna(False).to_numpy(bool)
    r = np.flatnonzero(
        numeric
        & ~np.isnat(when)
        & (when > np.datetime64(change.date, "D"))
        & ~inj.touch(change.form, change.field)
    )
    if not len(r):
        return
    clean = v[r].copy()
    new = clean + change.suffix
    inj.col(change.form, change.field, write=True)[r] = new
    inj.touch(change.form, change.field)[r] = True
    inj.add(
        kind,
        inj.col(change.form, "_sid")[r],
        change.form,
        change.field,
        inj.col(change.form, "_rid")[r],
        new,
        clean,
        f"CRF version 2 (records after {change.date}): {change.field} entered as text with "
        "its unit",
    )
