"""ADaM conformance rules (adam/rules.py): each rule fires on a mutated copy of a demo
analysis package, on the record the mutation touched, and stays silent on the demo packages.

Expected records are the rows the mutation changes (record = row index + 1), chosen by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import adam.rules  # noqa: F401 - registers the ADR rules
from cdisc.validation.engine import REGISTRY, run_rules
from cdisc.validation.package import Package, load_package, package_from_frames

ADR = {k: r for k, r in REGISTRY.items() if k.startswith("ADR")}


@pytest.fixture(scope="module")
def packages(demo_build) -> dict[str, Package]:
    """Each demo study's analysis package, its SDTM package beside it (Package.related)."""
    loaded = {}
    for study in ("sail", "pmsc-cli"):
        folder = demo_build(study)[1] / "m5" / "datasets" / study / "analysis" / "adam" / "datasets"
        loaded[study] = load_package(folder)
        assert loaded[study].related is not None
    return loaded


def _copy(package: Package) -> Package:
    copy = Package(
        package.folder,
        {n: f.copy() for n, f in package.datasets.items()},
        dict(package.meta),
        package.define,
        list(package.notes),
        package.related,
    )
    return copy


def _set(dataset: str, column: str, row: int, value):
    def mutate(p: Package) -> None:
        p.datasets[dataset].loc[row, column] = value

    return mutate


def _drop(dataset: str, *columns: str):
    def mutate(p: Package) -> None:
        p.datasets[dataset] = p.datasets[dataset].drop(columns=list(columns))

    return mutate


def _meta(dataset: str, **changes):
    def mutate(p: Package) -> None:
        meta = p.meta[dataset]
        fields = {k: (v(meta) if callable(v) else v) for k, v in changes.items()}
        p.meta[dataset] = dataclasses.replace(meta, **fields)

    return mutate


def _each(*mutations):
    def mutate(p: Package) -> None:
        for m in mutations:
            m(p)

    return mutate


def _shift(dataset: str, column: str, row: int, by: float):
    def mutate(p: Package) -> None:
        p.datasets[dataset].loc[row, column] = p.datasets[dataset].loc[row, column] + by

    return mutate


def _duplicate_subject(p: Package) -> None:
    p.datasets["ADSL"].loc[1, "USUBJID"] = p.datasets["ADSL"].loc[0, "USUBJID"]


def _start_after_end(p: Package) -> None:
    adsl = p.datasets["ADSL"]
    adsl.loc[5, "TRTSDT"] = adsl.loc[5, "TRTEDT"] + 5


def _second_baseline(p: Package) -> None:
    # ADEFF row 1 is SAIL-01-002's month-6 Rutherford record; row 0 is its baseline.
    p.datasets["ADEFF"].loc[1, "ABLFL"] = "Y"


def _wrong_pchg(p: Package) -> None:
    adeff = p.datasets["ADEFF"]
    base = adeff["BASE"].where(adeff["BASE"] != 0)
    adeff["PCHG"] = (adeff["AVAL"] - base) / base * 100
    adeff.loc[1, "PCHG"] = 50.0


def _anl_flag(p: Package) -> None:
    adeff = p.datasets["ADEFF"]
    adeff["ANL01FL"] = "Y"
    adeff.loc[1, "ANL01FL"] = "N"


def _adt_before_start(p: Package) -> None:
    adtte = p.datasets["ADTTE"]
    adtte.loc[0, "ADT"] = adtte.loc[0, "STARTDT"] - 1


def _randomised(p: Package) -> None:
    adsl = p.datasets["ADSL"]
    adsl["RANDFL"] = "Y"
    adsl.loc[0, "RANDDT"] = np.nan


def _imputed_without_date(p: Package) -> None:
    p.datasets["ADTTE"].loc[0, "ADTF"] = "D"
    p.datasets["ADTTE"].loc[0, "ADT"] = np.nan


def _long_name(p: Package) -> None:
    p.datasets["ADSL"] = p.datasets["ADSL"].rename(columns={"RUTHBL": "RUTH_BASELINE"})


def _no_flags(p: Package) -> None:
    adsl = p.datasets["ADSL"]
    p.datasets["ADSL"] = adsl.drop(columns=[c for c in adsl.columns if c.endswith("FL")])


def _death_without_date(p: Package) -> None:
    # SAIL ADSL row 0 (SAIL-03-001) died: DTHFL Y, DTHDT 23253.
    p.datasets["ADSL"].loc[0, "DTHDT"] = np.nan


# (rule, mutation, dataset, record (1-based; None for a variable finding), variable)
CASES = [
    ("ADR001", lambda p: p.datasets.pop("ADSL"), "ADSL", None, ""),
    ("ADR003", _long_name, "ADSL", None, "RUTH_BASELINE"),
    ("ADR004", _meta("ADSL", label="Subject Level"), "ADSL", None, ""),
    ("ADR005", _no_flags, "ADSL", None, ""),
    ("ADR006", _drop("ADEFF", "AVAL", "AVALC"), "ADEFF", None, "AVAL"),
    ("ADR007", _duplicate_subject, "ADSL", 2, "USUBJID"),
    ("ADR008", _set("ADTTE", "USUBJID", 4, "SAIL-99-999"), "ADTTE", 5, "USUBJID"),
    ("ADR009", _set("ADSL", "USUBJID", 2, "SAIL-99-999"), "ADSL", 3, "USUBJID"),
    ("ADR011", _shift("ADSL", "AGE", 4, 1), "ADSL", 5, "AGE"),
    ("ADR012", _set("ADSL", "AGEU", 3, "MONTHS"), "ADSL", 4, "AGEU"),
    ("ADR013", _set("ADSL", "SEX", 0, "M"), "ADSL", 1, "SEX"),
    ("ADR014", _set("ADSL", "RACE", 3, "OTHER"), "ADSL", 4, "RACE"),
    ("ADR015", _set("ADSL", "SUBJID", 3, "99-999"), "ADSL", 4, "SUBJID"),
    ("ADR016", _set("ADSL", "SITEID", 3, "99"), "ADSL", 4, "SITEID"),
    ("ADR017", _set("ADSL", "ARM", 3, "OTHER ARM"), "ADSL", 4, "ARM"),
    ("ADR018", _set("ADSL", "ACTARM", 3, "OTHER ARM"), "ADSL", 4, "ACTARM"),
    ("ADR019", _set("ADSL", "ETHNIC", 3, "UNKNOWN"), "ADSL", 4, "ETHNIC"),
    ("ADR020", _drop("ADSL", "TRTSDT"), "ADSL", None, "TRTSDT"),
    ("ADR021", _drop("ADSL", "TRTEDT"), "ADSL", None, "TRTEDT"),
    ("ADR022", _shift("ADSL", "TRTSDT", 4, -1), "ADSL", 5, "TRTSDT"),
    ("ADR023", _shift("ADSL", "TRTEDT", 4, 1), "ADSL", 5, "TRTEDT"),
    ("ADR024", _set("ADSL", "TRT01PN", 4, 99.0), "ADSL", 5, "TRT01PN"),
    ("ADR025", _set("ADSL", "TRT01P", 4, "OTHER"), "ADSL", 5, "TRT01P"),
    ("ADR026", _set("ADSL", "TRT01AN", 4, 99.0), "ADSL", 5, "TRT01AN"),
    ("ADR027", _set("ADSL", "TRT01A", 4, "OTHER"), "ADSL", 5, "TRT01A"),
    ("ADR028", _set("ADTTE", "TRTPN", 0, 99.0), "ADTTE", 1, "TRTPN"),
    ("ADR029", _set("ADTTE", "TRTP", 0, "OTHER"), "ADTTE", 1, "TRTP"),
    ("ADR030", _set("ADTTE", "PARAM", 0, "Other"), "ADTTE", 1, "PARAM"),
    ("ADR031", _set("ADTTE", "PARAMCD", 0, "OTHER"), "ADTTE", 1, "PARAMCD"),
    ("ADR032", _set("ADEFF", "AVISITN", 1, 99.0), "ADEFF", 2, "AVISITN"),
    ("ADR033", _set("ADEFF", "AVISIT", 1, "WEEK 99"), "ADEFF", 2, "AVISIT"),
    ("ADR034", _set("ADSL", "SAFFL", 2, None), "ADSL", 3, "SAFFL"),
    ("ADR035", _set("ADSL", "ITTFL", 2, "X"), "ADSL", 3, "ITTFL"),
    ("ADR036", _set("ADEFF", "ABLFL", 1, "N"), "ADEFF", 2, "ABLFL"),
    ("ADR037", _anl_flag, "ADEFF", 2, "ANL01FL"),
    ("ADR038", _death_without_date, "ADSL", 1, "DTHDT"),
    ("ADR039", _set("ADTTE", "ADTF", 0, "X"), "ADTTE", 1, "ADTF"),
    (
        "ADR040",
        _meta("ADSL", types=lambda m: {**m.types, "RANDDT": "Char"}),
        "ADSL",
        None,
        "RANDDT",
    ),
    (
        "ADR041",
        _meta("ADSL", formats=lambda m: {**m.formats, "RANDDT": ""}),
        "ADSL",
        None,
        "RANDDT",
    ),
    ("ADR042", _set("ADEFF", "ADY", 0, 0.0), "ADEFF", 1, "ADY"),
    ("ADR043", _start_after_end, "ADSL", 6, "TRTSDT"),
    ("ADR044", _set("ADTTE", "PARAMCD", 0, "TTDEATHXYZ"), "ADTTE", 1, "PARAMCD"),
    ("ADR045", _set("ADEFF", "PARAM", 0, "x" * 201), "ADEFF", 1, "PARAM"),
    ("ADR046", _second_baseline, "ADEFF", 2, "ABLFL"),
    ("ADR047", _set("ADEFF", "BASE", 0, 99.0), "ADEFF", 1, "BASE"),
    ("ADR048", _set("ADEFF", "BASE", 1, 99.0), "ADEFF", 2, "BASE"),
    ("ADR049", _set("ADEFF", "ABLFL", 0, None), "ADEFF", 2, "BASE"),
    ("ADR050", _set("ADEFF", "CHG", 1, 5.0), "ADEFF", 2, "CHG"),
    ("ADR051", _wrong_pchg, "ADEFF", 2, "PCHG"),
    ("ADR052", _set("ADTTE", "CNSR", 0, 0.5), "ADTTE", 1, "CNSR"),
    ("ADR053", _drop("ADTTE", "STARTDT", "STARTDTF"), "ADTTE", None, "STARTDT"),
    ("ADR054", _drop("ADTTE", "ADT"), "ADTTE", None, "ADT"),
    ("ADR055", _set("ADTTE", "ADT", 0, np.nan), "ADTTE", 1, "CNSR"),
    ("ADR056", _drop("ADTTE", "CNSR"), "ADTTE", None, "EVNTDESC"),
    ("ADR057", _drop("ADTTE", "CNSR"), "ADTTE", None, "CNSDTDSC"),
    ("ADR058", _adt_before_start, "ADTTE", 1, "ADT"),
    ("ADR059", _shift("ADTTE", "AVAL", 0, 1), "ADTTE", 1, "AVAL"),
    ("ADR060", _set("ADEFF", "SRCDOM", 0, "XX"), "ADEFF", 1, "SRCDOM"),
    ("ADR061", _set("ADEFF", "SRCVAR", 0, "NOPE"), "ADEFF", 1, "SRCVAR"),
    ("ADR062", _set("ADEFF", "SRCSEQ", 0, 9999.0), "ADEFF", 1, "SRCSEQ"),
    ("ADR063", _imputed_without_date, "ADTTE", 1, "ADTF"),
    ("ADR064", _randomised, "ADSL", 1, "RANDDT"),
]


def test_every_rule_has_a_case():
    tested = {case[0] for case in CASES} | {"ADR010"}
    assert tested == set(ADR)
    assert len(ADR) >= 30


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_demo_packages_are_silent(packages, study):
    result = run_rules(packages[study], ADR)
    assert result.findings.empty, result.findings[["rule", "dataset", "record", "message"]]
    status = result.status.set_index("rule")["status"]
    # Only ADR064 (no RANDFL in either ADSL) may go unchecked; every other rule ran.
    assert set(status[status == "not checked"].index) == {"ADR064"}


@pytest.mark.parametrize(("rule_id", "mutate", "dataset", "record", "variable"), CASES)
def test_rule_fires_on_mutation(packages, rule_id, mutate, dataset, record, variable):
    package = _copy(packages["sail"])
    mutate(package)
    found = run_rules(package, {rule_id: ADR[rule_id]}).findings
    assert len(found), f"{rule_id} did not fire"
    assert set(found["rule"]) == {rule_id}
    assert set(found["dataset"]) == {dataset}
    assert set(found["variable"]) == {variable}
    if record is None:
        assert found["record"].isna().all()
    else:
        assert record in set(found["record"])
    assert found["message"].str.contains(dataset, regex=False).all()


def test_dm_subject_left_out_of_adsl(packages):
    package = _copy(packages["sail"])
    left_out = package.datasets["ADSL"].loc[0, "USUBJID"]
    package.datasets["ADSL"] = package.datasets["ADSL"].iloc[1:].reset_index(drop=True)
    dm = package.related.datasets["DM"]
    expected = int(dm.index[dm["USUBJID"] == left_out][0]) + 1
    found = run_rules(package, {"ADR010": ADR["ADR010"]}).findings
    assert list(found["record"]) == [expected]
    assert list(found["dataset"]) == ["DM"]
    assert left_out in found["message"].iloc[0]


def test_messages_name_the_values(packages):
    package = _copy(packages["sail"])
    age = package.datasets["ADSL"].loc[4, "AGE"]
    _shift("ADSL", "AGE", 4, 1)(package)
    found = run_rules(package, {"ADR011": ADR["ADR011"]}).findings
    assert found["message"].iloc[0].startswith(f"ADSL.AGE {int(age) + 1} but DM.AGE {int(age)}")


def test_sdtm_rules_not_checked_without_sdtm(packages):
    package = _copy(packages["sail"])
    package.related = None
    status = run_rules(package, ADR).status.set_index("rule")
    for rule_id in ("ADR009", "ADR010", "ADR011", "ADR022", "ADR060", "ADR062"):
        assert status.loc[rule_id, "status"] == "not checked"
        assert status.loc[rule_id, "reason"] == "no SDTM package beside it"


def test_formats_not_checked_in_memory():
    frame = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "TRTSDT": [21000.0]})
    package = package_from_frames({"ADSL": frame})
    status = run_rules(package, {"ADR041": ADR["ADR041"]}).status
    assert status.loc[0, "status"] == "not checked"
