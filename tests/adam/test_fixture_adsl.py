"""The hand-made 11-subject study end to end: SDTM -> ADSL (derived from a YAML spec) ->
ADTTE, against the ADSL and ADTTE values worked out by hand in ``fixture_tte.py`` and
``test_tte.py``.

``test_tte.py`` checks ADTTE from the hand-written ADSL; this module checks that the ADSL
spec derives that same ADSL from the SDTM, and that ADTTE from the derived ADSL is the same.
"""

from pathlib import Path

import pandas as pd
import pytest

from adam.adsl import check_adsl, derive_adsl
from adam.tte import derive_param_tte
from cdisc.standards import Standards
from cdisc.yamlspec import load_spec

from . import fixture_tte as fx
from .test_tte import FIXTURE_SPEC, compare, spec_of

# The fixture's rules (fixture_tte.py's docstring), as an ADSL spec.
ADSL_SPEC = """
dataset: ADSL
copy: [STUDYID, USUBJID, SUBJID, SITEID, AGE, SEX, RACE, ARM, ACTARM, DTHFL]
sponsor_variables:
  INDEXLAT: {label: Index Limb, type: Char}
  RUTHBL: {label: Baseline Rutherford Category, type: Num}
variables:
  TRT01P: {algorithm: derive_var_map, from: ARM, values: {BM-MSC: BM-MSC, PLACEBO: PLACEBO}}
  TRT01PN: {algorithm: derive_var_map, from: ARM, values: {BM-MSC: 1, PLACEBO: 2}}
  TRT01A: {algorithm: derive_var_map, from: ACTARM, values: {BM-MSC: BM-MSC, PLACEBO: PLACEBO}}
  TRT01AN: {algorithm: derive_var_map, from: ACTARM, values: {BM-MSC: 1, PLACEBO: 2}}
  TRTSDT: {algorithm: derive_vars_merged, dataset: EX, date: EXSTDTC, mode: first}
  TRTEDT: {algorithm: derive_vars_merged, dataset: EX, date: EXENDTC, mode: last}
  RANDDT: {algorithm: derive_vars_merged, dataset: DS, where: {field: DSDECOD, equals: RANDOMIZED}, date: DSSTDTC}
  SAFFL: {algorithm: derive_var_merged_exist_flag, dataset: EX}
  ITTFL: {algorithm: derive_var_merged_exist_flag, dataset: DS, where: {field: DSDECOD, equals: RANDOMIZED}}
  FASFL: {algorithm: derive_var_flag, condition: {field: SAFFL, equals: "Y"}}
  EOSSTT:
    algorithm: derive_vars_merged
    dataset: DS
    where: {field: DSCAT, equals: DISPOSITION EVENT}
    value: DSDECOD
    mode: last
    values: {COMPLETED: COMPLETED}
    other: DISCONTINUED
  DCSREAS:
    algorithm: derive_vars_merged
    dataset: DS
    where: {all: [{field: DSCAT, equals: DISPOSITION EVENT}, {not: {field: DSDECOD, equals: COMPLETED}}]}
    value: DSDECOD
  PPROTFL: {algorithm: derive_var_flag, condition: {field: EOSSTT, equals: COMPLETED}}
  DTHDT:
    algorithm: derive_vars_merged
    dataset: DM
    date: DTHDTC
    impute: {highest_imputation: M, date_imputation: first, min_dates: [TRTSDT], flag: DTHDTF}
  LSTALVDT:
    algorithm: derive_var_extreme_dt
    sources:
      - {dataset: RS, date: RSDTC}
      - {dataset: EX, date: EXSTDTC}
      - dataset: DS
        where: {all: [{field: DSCAT, equals: DISPOSITION EVENT}, {not: {field: DSDECOD, equals: LOST TO FOLLOW-UP}}]}
        date: DSSTDTC
  INDEXLAT:
    - {algorithm: derive_vars_merged, dataset: EX, value: EXLAT, mode: first}
    - {algorithm: derive_vars_merged, dataset: SUPPRS, where: {field: QNAM, equals: RSLAT},
       value: QVAL, values: {Left: LEFT, Right: RIGHT}}
  RUTHBL:
    algorithm: derive_vars_merged
    dataset: RS
    where: {all: [{field: RSTESTCD, equals: RUTH0101}, {field: RSLOBXFL, equals: "Y"}]}
    value: RSSTRESC
    pattern: '^[IV0]+-(\\d)\\b'
"""


@pytest.fixture(scope="module")
def standards():
    return Standards.load()


@pytest.fixture(scope="module")
def derived(standards, tmp_path_factory):
    path = tmp_path_factory.mktemp("adsl") / "adsl.yaml"
    path.write_text(ADSL_SPEC, encoding="utf-8")
    spec, problems = check_adsl(load_spec(path), standards)
    assert problems == []
    sdtm = fx.sdtm()
    # Subject 010 was never dosed: the side of its screening Rutherford assessment, as the
    # CRF writes it in SUPPRS, is its index limb.
    sdtm["SUPPRS"] = pd.DataFrame(
        {
            "STUDYID": [fx.STUDYID],
            "RDOMAIN": ["RS"],
            "USUBJID": [fx.usubjid("010")],
            "IDVAR": ["RSSEQ"],
            "IDVARVAL": ["1"],
            "QNAM": ["RSLAT"],
            "QVAL": ["Left"],
        }
    )
    adsl, problems, _ = derive_adsl(sdtm, spec)
    return adsl, problems


def test_adsl_from_the_spec_is_the_hand_written_adsl(derived):
    adsl, problems = derived
    expected = fx.adsl()
    # Subject 007's DS death date '2021-07' is partial: LSTALVDT uses complete dates only,
    # so nothing is reported for it; no date anywhere is beyond imputation.
    assert problems.empty
    assert adsl["USUBJID"].tolist() == expected["USUBJID"].tolist()
    for name in expected.columns:
        got, want = adsl[name], expected[name]
        if pd.api.types.is_datetime64_any_dtype(want):
            assert got.astype("datetime64[ns]").tolist() == want.tolist(), name
        elif pd.api.types.is_numeric_dtype(want):
            assert got.astype(float).fillna(-1).tolist() == want.fillna(-1).tolist(), name
        else:
            assert [v if isinstance(v, str) else None for v in got] == want.tolist(), name


def test_adtte_from_the_derived_adsl_is_the_hand_worked_adtte(derived, standards, tmp_path):
    adsl, _ = derived
    spec, problems = spec_of(FIXTURE_SPEC, tmp_path, standards, set(adsl.columns))
    assert problems == []
    adtte, _ = derive_param_tte(adsl, fx.sdtm(), spec)
    compare(adtte, ["TTMAJAMP", "TTDEATH", "TTAFS", "TTAFSR"])


def test_every_adsl_subject_is_in_dm_and_demography_agrees(derived):
    adsl, _ = derived
    dm = fx.dm()
    assert set(adsl["USUBJID"]) == set(dm["USUBJID"])
    merged = adsl.merge(dm, on="USUBJID", suffixes=("", "_DM"))
    for name in ("AGE", "SEX", "RACE", "ARM"):
        assert merged[name].tolist() == merged[f"{name}_DM"].tolist(), name


def test_spec_file_is_checked_as_in_the_repository(tmp_path, standards):
    # The same spec with a misspelt source variable is refused with its line.
    path = tmp_path / "adsl.yaml"
    path.write_text(ADSL_SPEC.replace("value: EXLAT", "value: EXLATX"), encoding="utf-8")
    spec, problems = check_adsl(load_spec(path), standards)
    assert spec is None
    assert [str(p).split(" ", 1)[1] for p in problems] == [
        "variables.INDEXLAT.0.value: EX has no variable 'EXLATX' (did you mean 'EXLAT'?)"
    ]
    assert Path(str(problems[0]).split(":")[0]).name == "adsl.yaml"
