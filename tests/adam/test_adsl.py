"""ADSL from a spec: each algorithm on small hand-made SDTM frames, and the spec checks."""

from pathlib import Path

import pandas as pd
import pytest

from adam.adsl import check_adsl, derive_adsl
from cdisc.standards import Standards
from cdisc.yamlspec import load_spec


@pytest.fixture(scope="module")
def standards():
    return Standards.load()


def _spec(tmp_path: Path, text: str, standards):
    path = tmp_path / "adsl.yaml"
    path.write_text(text, encoding="utf-8")
    return check_adsl(load_spec(path), standards)


DM = pd.DataFrame(
    {
        "STUDYID": ["S"] * 3,
        "USUBJID": ["S-1", "S-2", "S-3"],
        "AGE": [64.0, 65.0, None],
        "ARM": ["DRUG", "PLACEBO", "DRUG"],
        "DTHDTC": ["2021-07", "2021-02-30", "2021"],
    }
)
EX = pd.DataFrame(
    {
        "USUBJID": ["S-1", "S-1", "S-2"],
        "EXSEQ": [1.0, 2.0, 1.0],
        "EXSTDTC": ["2021-07-10T09:00", "2021-08-01", "2021-03-02"],
        "EXLAT": ["LEFT", "RIGHT", "RIGHT"],
    }
)
DS = pd.DataFrame(
    {
        "USUBJID": ["S-1", "S-2", "S-2", "S-3"],
        "DSSEQ": [1.0, 1.0, 2.0, 1.0],
        "DSCAT": ["DISPOSITION EVENT", "PROTOCOL MILESTONE", "DISPOSITION EVENT"] * 1
        + ["DISPOSITION EVENT"],
        "DSDECOD": ["DEATH", "RANDOMIZED", "COMPLETED", "LOST TO FOLLOW-UP"],
        "DSSTDTC": ["2021-07", "2021-03-01", "2022-03-01", "2021-11-20"],
    }
)
VS = pd.DataFrame(
    {
        "USUBJID": ["S-1", "S-3", "S-3"],
        "VSSEQ": [1.0, 1.0, 2.0],
        "VSDTC": ["2021-07-09", "2021-10-01", "2021-11"],
    }
)
SPEC = """
dataset: ADSL
copy: [STUDYID, USUBJID, AGE, ARM]
sponsor_variables:
  DCUTDT: {label: Data Cutoff Date, type: Num}
  INDEXLAT: {label: Index Limb, type: Char}
variables:
  DCUTDT: {algorithm: hardcode, value: "2021-12-31"}
  AGEGR1: {algorithm: derive_vars_cat, from: AGE, breaks: [65], labels: ["<65", ">=65"]}
  TRT01PN: {algorithm: derive_var_map, from: ARM, values: {DRUG: 1, PLACEBO: 0}}
  TRTSDT: {algorithm: derive_vars_merged, dataset: EX, date: EXSTDTC, mode: first}
  TRTEDT: {algorithm: derive_vars_merged, dataset: EX, date: EXSTDTC, mode: last}
  TRTDURD: {algorithm: derive_vars_duration, start: TRTSDT, end: TRTEDT, add_one: true}
  RANDDT: {algorithm: derive_vars_merged, dataset: DS, where: {field: DSDECOD, equals: RANDOMIZED}, date: DSSTDTC}
  INDEXLAT:
    - {algorithm: derive_vars_merged, dataset: EX, value: EXLAT, mode: first}
    - {algorithm: hardcode, value: UNKNOWN, when: {field: ARM, equals: DRUG}}
  SAFFL: {algorithm: derive_var_flag, condition: {field: TRTSDT, present: true}}
  ITTFL: {algorithm: derive_var_merged_exist_flag, dataset: DS, where: {field: DSDECOD, equals: RANDOMIZED}}
  DTHDT:
    algorithm: derive_vars_merged
    dataset: DM
    date: DTHDTC
    impute: {highest_imputation: M, date_imputation: first, min_dates: [TRTSDT], max_dates: [DCUTDT], flag: DTHDTF}
  EOSSTT:
    algorithm: derive_vars_merged
    dataset: DS
    where: {field: DSCAT, equals: DISPOSITION EVENT}
    value: DSDECOD
    values: {COMPLETED: COMPLETED}
    other: DISCONTINUED
  LSTALVDT:
    algorithm: derive_var_extreme_dt
    sources:
      - {dataset: VS, date: VSDTC}
      - {dataset: EX, date: EXSTDTC}
      - {dataset: ADSL, date: DTHDT}
"""


def test_each_algorithm_gives_the_hand_worked_values(tmp_path, standards):
    spec, problems = _spec(tmp_path, SPEC, standards)
    assert problems == []
    sdtm = {"DM": DM, "EX": EX, "DS": DS, "VS": VS}
    adsl, found, lineage = derive_adsl(sdtm, spec)
    rows = adsl.set_index("USUBJID")
    day = pd.Timestamp
    # Ages 64 and 65 fall either side of the break at 65; a missing age has no group.
    assert rows["AGEGR1"].tolist() == ["<65", ">=65", None]
    assert rows["TRT01PN"].tolist() == [1, 0, 1]
    # S-1 is dosed 2021-07-10 (time dropped) and 2021-08-01: 23 days counting both ends.
    assert rows.loc["S-1", "TRTSDT"] == day("2021-07-10")
    assert rows.loc["S-1", "TRTEDT"] == day("2021-08-01")
    assert rows.loc["S-1", "TRTDURD"] == 23
    assert rows.loc["S-2", "TRTDURD"] == 1
    assert pd.isna(rows.loc["S-3", "TRTSDT"]) and pd.isna(rows.loc["S-3", "TRTDURD"])
    assert rows.loc["S-2", "RANDDT"] == day("2021-03-01")
    # First dose's limb; S-3 has no dose, so the fallback step (ARM is DRUG) fills it.
    assert rows["INDEXLAT"].tolist() == ["LEFT", "RIGHT", "UNKNOWN"]
    assert rows["SAFFL"].tolist() == ["Y", "Y", "N"]
    assert rows["ITTFL"].tolist() == ["N", "Y", "N"]
    # S-1 died in 2021-07; day 1 would be before the first dose on 2021-07-10, so the
    # imputed day is clamped to TRTSDT; the flag says the day was imputed.
    assert rows.loc["S-1", "DTHDT"] == day("2021-07-10")
    assert rows.loc["S-1", "DTHDTF"] == "D"
    # S-3's death date '2021': imputing up to M fills month and day (January 1st), and
    # there is no TRTSDT to clamp to. S-2's '2021-02-30' is no date at all: reported.
    assert rows.loc["S-3", "DTHDT"] == day("2021-01-01")
    assert rows.loc["S-3", "DTHDTF"] == "M"
    assert pd.isna(rows.loc["S-2", "DTHDT"])
    assert found[["subject", "code", "variable", "value"]].values.tolist() == [
        ["S-2", "date-not-imputable", "DTHDT", "2021-02-30"]
    ]
    assert rows["EOSSTT"].tolist() == ["DISCONTINUED", "COMPLETED", "DISCONTINUED"]
    # Latest complete date: S-1 the imputed death date 2021-07-10 is before the second
    # dose (2021-08-01); S-3's partial VS date '2021-11' does not count.
    assert rows["LSTALVDT"].tolist() == [day("2021-08-01"), day("2021-03-02"), day("2021-10-01")]
    assert list(adsl.columns[:4]) == ["STUDYID", "USUBJID", "AGE", "ARM"]
    # Lineage names the record each value came from: S-1's first and last doses are EXSEQ
    # 1 and 2, its LSTALVDT is the second dose, S-3's is VSSEQ 1, S-2 was randomised at DSSEQ 1.
    origin = lineage.set_index(["USUBJID", "VARIABLE"])
    assert origin.loc[("S-1", "TRTSDT"), ["SRCDOM", "SRCSEQ"]].tolist() == ["EX", 1.0]
    assert origin.loc[("S-1", "TRTEDT"), ["SRCDOM", "SRCSEQ"]].tolist() == ["EX", 2.0]
    assert origin.loc[("S-1", "LSTALVDT"), ["SRCDOM", "SRCVAR", "SRCSEQ"]].tolist() == [
        "EX",
        "EXSTDTC",
        2.0,
    ]
    assert origin.loc[("S-3", "LSTALVDT"), ["SRCDOM", "SRCSEQ"]].tolist() == ["VS", 1.0]
    assert origin.loc[("S-2", "ITTFL"), ["SRCDOM", "SRCSEQ"]].tolist() == ["DS", 1.0]
    assert origin.loc[("S-1", "AGE"), ["SRCDOM", "SRCVAR"]].tolist() == ["DM", "AGE"]
    # A value no record gave (S-3's INDEXLAT is hardcoded) has no lineage row.
    assert ("S-3", "INDEXLAT") not in origin.index
    assert "DTHDTF" in spec.variables


def test_methods_read_as_words(tmp_path, standards):
    spec, _ = _spec(tmp_path, SPEC, standards)
    assert spec.method("TRTDURD") == "TRTEDT - TRTSDT + 1, in days"
    assert spec.method("AGE") is None
    assert "not before TRTSDT" in spec.method("DTHDT")
    assert spec.method("INDEXLAT").startswith("EX.EXLAT, earliest record; else set to 'UNKNOWN'")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("copy: [STUDYID, USUBJID, AGE, ARM]", "copy: [STUDYID, AGE, ARMX]"),
            "copy must include USUBJID",
        ),
        (
            ("copy: [STUDYID, USUBJID, AGE, ARM]", "copy: [STUDYID, USUBJID, AGE, ARMX]"),
            "DM has no variable 'ARMX'",
        ),
        (
            ("algorithm: derive_vars_cat", "algorithm: derive_var_catt"),
            "unknown ADSL algorithm 'derive_var_catt'",
        ),
        (("breaks: [65], labels", "breaks: [65, 75], labels"), "expected 3 labels"),
        (
            ("dataset: EX, date: EXSTDTC, mode: first", "dataset: EX, date: EXSTDT, mode: first"),
            "EX has no variable 'EXSTDT'",
        ),
        (("min_dates: [TRTSDT]", "min_dates: [TRTSTDT]"), "ADSL has no variable 'TRTSTDT'"),
        (
            ("start: TRTSDT, end: TRTEDT", "start: TRTSDT, end: LSTALVDT"),
            "no variable 'LSTALVDT' above this one",
        ),
        (
            ("  INDEXLAT: {label: Index Limb, type: Char}\n", ""),
            "INDEXLAT is not an ADaMIG 1.3 ADSL variable",
        ),
        (
            ("dataset: DS, where: {field: DSDECOD", "dataset: DX, where: {field: DSDECOD"),
            "unknown dataset 'DX'",
        ),
        (("mode: first}\n  TRTEDT", "mode: firstly}\n  TRTEDT"), "unknown mode 'firstly'"),
    ],
)
def test_spec_problems_name_the_line_and_the_fix(tmp_path, standards, change, message):
    old, new = change
    assert old in SPEC
    spec, problems = _spec(tmp_path, SPEC.replace(old, new, 1), standards)
    assert spec is None
    text = "\n".join(str(p) for p in problems)
    assert message in text
    assert "adsl.yaml:" in text
