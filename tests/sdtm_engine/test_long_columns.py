"""Issue 7: the long records of a findings panel keep only the raw fields read after the
wide-to-long step (memory: QS carried 148 columns, 36 of them the other items' answers).

A raw field stays when the spec names it outside its tests or the design names it; the
results of the other tests, and fields nothing names, are left behind. The SDTM values do not
change: they are worked by hand from the inline spec below.
"""

from __future__ import annotations

import pandas as pd

from cdisc.readers.base import RawExport
from cdisc.standards import Standards
from sdtm import spec as specs
from sdtm.algorithms import Context
from sdtm.design import Design
from sdtm.engine import map_domain
from sdtm.spec import DomainSpec, Source, Step, Supplemental

CONTEXT = Context(Standards.load())


def _raw() -> pd.DataFrame:
    base = {"_file": "x.csv", "_form": "vs", "_record": ["1", "2"], "_subject": ["01", "02"]}
    base |= {"_site": "S1", "_event": "BL", "_repeat": None}
    fields = {
        "SYSBP": ["120", "130"],
        "DIABP": ["80", "85"],
        "VSPOS_RAW": ["SITTING", "SUPINE"],  # read by a step
        "NURSE": ["AB", "CD"],  # read by a SUPP-- qualifier
        "SAVETS": ["2024-01-01T10:00", "2024-01-02T11:00"],  # named by nothing
    }
    return pd.DataFrame(base | fields)


def _spec() -> DomainSpec:
    return DomainSpec(
        domain="VS",
        path="vs.yaml",
        sources=(Source("vs"),),
        steps=(Step("VSPOS", "assign_no_ct", {"field": "VSPOS_RAW"}),),
        supplemental=(Supplemental("NURSE", "Nurse Initials", "NURSE"),),
        tests=(
            specs.Test("SYSBP", "SYSBP", unit="mmHg"),
            specs.Test("DIABP", "DIABP", unit="mmHg"),
        ),
    )


def test_long_records_keep_the_fields_read_later_and_leave_the_other_results_behind():
    raw = _raw()
    mapped = map_domain(_spec(), RawExport("rave", "x", {"vs": raw}), CONTEXT, Design(), "ST")
    data = mapped.data
    # two records x two tests
    assert len(data) == 4
    assert {"VSPOS_RAW", "NURSE"} <= set(data.columns)  # named by a step and by SUPP--
    assert not {"SYSBP", "DIABP", "SAVETS"} & set(data.columns)  # results, and unnamed
    # every lineage column stays
    assert {"_file", "_form", "_record", "_subject", "_site", "_event", "_repeat"} <= set(
        data.columns
    )
    by_test = data.set_index(["_record", "VSTESTCD"])
    assert by_test.loc[("1", "SYSBP"), "VSORRES"] == "120"
    assert by_test.loc[("2", "DIABP"), "VSORRES"] == "85"
    assert by_test.loc[("2", "SYSBP"), "VSPOS"] == "SUPINE"
    assert by_test.loc[("1", "DIABP"), "NURSE"] == "AB"


def test_a_field_the_design_names_stays():
    raw = _raw()
    design = Design(visit_dates={"vs": "SAVETS"})
    mapped = map_domain(_spec(), RawExport("rave", "x", {"vs": raw}), CONTEXT, design, "ST")
    assert "SAVETS" in mapped.data.columns
    assert "SYSBP" not in mapped.data.columns
