"""One chunk of the clinical model: the cohort and every form's clean records.

The clinical model is generated once per chunk and handed to whichever serialiser the user
chose, so the three export formats of a study and seed hold the same clinical data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth import logs, records
from cdisc.synth.design import Design
from cdisc.synth.streams import stream
from cdisc.synth.subjects import Cohort, make_cohort

_VISIT_FORMS = {
    "VS": records.vital_signs,
    "ABI": records.pressures,
    "LIMB": records.limb_status,
    "PAIN": records.pain,
    "WALK": records.walking,
    "EQ5D": records.eq5d,
    "SF36": records.sf36,
    "FU": records.follow_up,
}
_LAB_FORMS = ("HEMA", "CHEM", "CYTO", "LYMPH")


def clinical_chunk(
    design: Design, seed: int, chunk: int, sids: np.ndarray, n_total: int
) -> tuple[Cohort, dict[str, pd.DataFrame]]:
    """Clean cohort and form frames (keyed by form OID) for subjects ``sids``.

    Example: ``coh, forms = clinical_chunk(studies.sail(), 1, 0, np.arange(60), 60)``;
    ``forms["VS"]`` then holds every vital-signs record of the 60 subjects.
    """
    coh = make_cohort(design, seed, chunk, sids, n_total)

    def rng(oid: str) -> np.random.Generator:
        return stream(seed, chunk, "form:" + oid)

    forms: dict[str, pd.DataFrame] = {}
    present = {f.oid for f in design.forms}
    for oid, build in _VISIT_FORMS.items():
        if oid in present:
            forms[oid] = build(design, coh, records.rows_for(design, coh.visits, oid), rng(oid))
    for oid in _LAB_FORMS:
        forms[oid] = records.labs(
            design, coh, records.rows_for(design, coh.visits, oid), rng(oid), oid
        )
    forms["IC"] = logs.consent(design, coh, rng("IC"))
    forms["DM"] = logs.demographics(design, coh, rng("DM"))
    forms["MH"] = logs.history(design, coh, rng("MH"))
    forms.update(logs.allocation(design, coh, coh.visits, n_total))
    forms["EX"] = logs.exposure(design, coh, coh.visits, rng("EX"))
    forms["AE"] = logs.adverse_events(design, coh, coh.visits, rng("AE"))
    forms["AMP"] = logs.amputations(design, coh, rng("AMP"))
    forms.update(logs.end_of_study(design, coh, coh.visits, rng("DS")))
    return coh, {f.oid: forms[f.oid] for f in design.forms}
