"""The pandera schemas generated from the metadata model, and the SCH rules that run them.

Expected counts come from the IG tables in ``specs/`` read with the csv module, expected
findings from the mutation each test makes; nothing is copied from the program's output.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cdisc.errors import UsageError
from cdisc.validation.engine import REGISTRY, run_rules
from cdisc.validation.package import Package, load_package, package_from_frames
from cdisc.validation.schemas import (
    ISO_DATETIME,
    ISO_DURATION,
    dataset_schema,
    schema_failures,
)
from specs import ROOT

SCH = {rule_id: r for rule_id, r in REGISTRY.items() if rule_id.startswith("SCH")}


def _ig_rows(path: Path, key: str, name: str) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row[key] == name]


def _is_pattern(name: str) -> bool:
    return name.startswith("*") or name != name.upper()


# --- generated schemas against the IG tables --------------------------------------------------


@pytest.mark.parametrize("domain", ["DM", "VS"])
def test_sdtm_schema_has_every_ig_variable_and_its_checks(domain):
    rows = _ig_rows(ROOT / "sdtm" / "variables.csv", "dataset", domain)
    schema = dataset_schema(domain, package_from_frames({domain: pd.DataFrame({"USUBJID": []})}))
    assert list(schema.columns) == [r["name"] for r in rows]
    required = {r["name"] for r in rows if r["core"] in ("Req", "Exp")}
    assert {n for n, c in schema.columns.items() if c.required} == required
    not_null = {r["name"] for r in rows if r["core"] == "Req"}
    assert {n for n, c in schema.columns.items() if not c.nullable} == not_null

    def names_with(check: str) -> set[str]:
        return {n for n, c in schema.columns.items() if check in {k.name for k in c.checks}}

    assert names_with("SCH001") == {r["name"] for r in rows}
    coded = {r["name"] for r in rows if r["codelist"]}
    assert names_with("SCH005") | names_with("SCH006") == coded
    assert names_with("SCH008") == {r["name"] for r in rows if "datetime" in r["value_domain"]}
    assert names_with("SCH009") == {r["name"] for r in rows if "duration" in r["value_domain"]}


def test_adsl_schema_resolves_name_patterns():
    rows = _ig_rows(ROOT / "adam" / "variables.csv", "structure", "ADSL")
    frame = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "TRT01P": ["A"], "TRTSDT": [1.0]})
    schema = dataset_schema("ADSL", package_from_frames({"ADSL": frame}))
    plain = [r["name"] for r in rows if not _is_pattern(r["name"])]
    assert list(schema.columns) == [*plain, "TRT01P"]
    req_plain = {r["name"] for r in rows if r["core"] == "Req" and not _is_pattern(r["name"])}
    # TRT01P stands for the Required TRTxxP.
    assert {n for n, c in schema.columns.items() if c.required} == req_plain | {"TRT01P"}
    # AD0196 "Known Exceptions" may be null; the other Required variables may not.
    exceptions = {"AGE", "AGEU", "RACE", "SUBJID"}
    assert {n for n, c in schema.columns.items() if not c.nullable} == req_plain - exceptions
    assert schema.checks == []  # TRTxxP, the one Required pattern, is matched by TRT01P

    without = dataset_schema("ADSL", package_from_frames({"ADSL": frame.drop(columns="TRT01P")}))
    req_patterns = [r["name"] for r in rows if r["core"] == "Req" and _is_pattern(r["name"])]
    assert [c.name for c in without.checks] == [f"SCH012:{n}" for n in req_patterns]


def test_unknown_dataset_is_a_usage_error():
    with pytest.raises(UsageError, match="no dataset 'AE'"):
        dataset_schema("AE", package_from_frames({"DM": pd.DataFrame({"USUBJID": ["1"]})}))


# --- ISO 8601 (SDTMIG 3.4 section 4.4 examples) -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2003-12-15T13:14:17", "2003-12-15T13:14", "2003-12-15T13", "2003-12-15", "2003-12", "2003",
     "2003---15", "--12-15", "-----T07:15", "2003-12-15T-:15", "2003-12-15T13:-:17",
     "2003-12-15T13:14:17.5", "2003-12-01/2003-12-10", "2003-12-01T10:00/PT2H"],
)  # fmt: skip
def test_iso_datetime_accepts(text):
    assert ISO_DATETIME.fullmatch(text)


@pytest.mark.parametrize(
    "text", ["15-12-2003", "2003/12/15", "2003-13-01", "2003-12-32", "03-12-15", "-", "2003-1-5",
             "2003-12-15 13:14", "2003-12-15T25:00", "UNK"],
)  # fmt: skip
def test_iso_datetime_rejects(text):
    assert not ISO_DATETIME.fullmatch(text)


@pytest.mark.parametrize("text", ["P1Y2M", "PT15M", "P2W", "-P2M", "P1DT2H", "PT0.5H", "P3D"])
def test_iso_duration_accepts(text):
    assert ISO_DURATION.fullmatch(text)


@pytest.mark.parametrize("text", ["P", "PT", "15M", "P1H", "PT1D", "2 days", "P1M2Y"])
def test_iso_duration_rejects(text):
    assert not ISO_DURATION.fullmatch(text)


# --- every rule fires on a mutated copy of a demo dataset ---------------------------------------


def _folders(folder: Path, study: str) -> dict[str, Path]:
    base = folder / "m5" / "datasets" / study
    return {"SDTM": base / "tabulations" / "sdtm", "ADaM": base / "analysis" / "adam" / "datasets"}


@pytest.fixture(scope="module")
def packages(built):
    study, _raw, folder, result, _report = built
    assert result.exit_code == 0, result.output
    return study, {k: load_package(p) for k, p in _folders(folder, study).items()}


def _set(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


def _longer(frame, package, name, column, row):
    # Non-ASCII: twice the define's length in bytes, but only as many characters as it allows.
    length = package.define.dataset(name).variable(column).length
    return _set(frame, row, column, "é" * length)


def _duplicate(frame, row):
    return pd.concat([frame, frame.iloc[[row]]], ignore_index=True)


# (rule, standard, dataset, mutation, expected record (None: a variable finding), variable)
MUTATIONS = [
    ("SCH001", "SDTM", "DM", lambda f, p: f.assign(AGE=f["AGE"].astype(str)), None, "AGE"),
    ("SCH002", "SDTM", "DM", lambda f, p: _set(f, 2, "SEX", None), 3, "SEX"),
    ("SCH003", "SDTM", "DM", lambda f, p: f.drop(columns="SEX"), None, "SEX"),
    ("SCH004", "SDTM", "DM", lambda f, p: f.drop(columns="AGE"), None, "AGE"),
    ("SCH005", "SDTM", "DM", lambda f, p: _set(f, 0, "SEX", "X"), 1, "SEX"),
    ("SCH006", "SDTM", "VS", lambda f, p: _set(f, 4, "VSORRESU", "furlong"), 5, "VSORRESU"),
    ("SCH007", "SDTM", "DM", lambda f, p: _longer(f, p, "DM", "SITEID", 1), 2, "SITEID"),
    ("SCH008", "SDTM", "VS", lambda f, p: _set(f, 3, "VSDTC", "2024-02-30"), 4, "VSDTC"),
    ("SCH009", "SDTM", "AE", lambda f, p: f.assign(AEDUR=["P1D"] + ["3 days"] * (len(f) - 1)),
     2, "AEDUR"),
    ("SCH010", "SDTM", "DM", lambda f, p: _duplicate(f, 0), 1, "STUDYID, USUBJID"),
    ("SCH016", "SDTM", "DM", lambda f, p: _set(f, 1, "RACE", "MULTIPLE"), 2, "RACE"),
    ("SCH005", "ADaM", "ADSL", lambda f, p: _set(f, 0, "SEX", "X"), 1, "SEX"),
    ("SCH007", "ADaM", "ADSL", lambda f, p: _longer(f, p, "ADSL", "SITEID", 0), 1, "SITEID"),
    ("SCH011", "ADaM", "ADSL", lambda f, p: f.assign(AGE=f["AGE"].astype(str)), None, "AGE"),
    ("SCH012", "ADaM", "ADSL", lambda f, p: f.drop(columns="SITEID"), None, "SITEID"),
    ("SCH013", "ADaM", "ADSL", lambda f, p: _set(f, 1, "SEX", None), 2, "SEX"),
    ("SCH014", "ADaM", "ADSL", lambda f, p: f.assign(RFSTDTC=["2024-01-01", "01JAN2024"]
                                                      + ["2024"] * (len(f) - 2)), 2, "RFSTDTC"),
    ("SCH015", "ADaM", "ADSL", lambda f, p: _duplicate(f, 0), 1, "STUDYID, USUBJID"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule_id", "standard", "name", "mutate", "record", "variable"),
    MUTATIONS,
    ids=[f"{m[0]}-{m[2]}" for m in MUTATIONS],
)
def test_rule_fires_on_mutated_copy(packages, rule_id, standard, name, mutate, record, variable):
    _study, pkgs = packages
    package = pkgs[standard]
    frame = package.datasets[name]

    def one_dataset(data: pd.DataFrame) -> Package:
        return replace(package, datasets={name: data}, meta={name: package.meta[name]})

    before = run_rules(one_dataset(frame), {rule_id: SCH[rule_id]}).findings
    after = run_rules(one_dataset(mutate(frame, package)), {rule_id: SCH[rule_id]}).findings
    new = after.merge(before, how="left", indicator=True).query("_merge == 'left_only'")
    assert len(new) >= 1
    assert set(new["rule"]) == {rule_id}
    assert set(new["dataset"]) == {name} and set(new["variable"]) == {variable}
    if record is None:
        assert new["record"].isna().all()
    else:
        assert record in set(new["record"])
        assert new["message"].str.startswith(f"{name} record {record}: ").any()


# --- the demo packages stay silent, except the warnings explained in the report ----------------

# Warnings the demo packages legitimately raise (see the engineer's report): sponsor terms in
# extensible codelists, and define.xml key variables that do not identify SV and SUPP-- records.
EXPLAINED = {
    "SCH006": {"EX.EXDOSU", "EX.EXLOC", "FT.FTCAT", "LB.LBORRESU", "LB.LBSTRESC", "LB.LBTEST",
               "LB.LBTESTCD", "QS.QSCAT", "RS.RSCAT", "RS.RSSTRESC", "RS.RSTEST", "RS.RSTESTCD",
               "TS.TSVCDREF", "VS.VSORRESU", "VS.VSTEST", "VS.VSTESTCD"},
    "SCH010": {"SV.STUDYID, USUBJID", "SUPPAE.STUDYID, USUBJID", "SUPPDM.STUDYID, USUBJID",
               "SUPPPR.STUDYID, USUBJID", "SUPPRS.STUDYID, USUBJID"},
    "SCH016": {"DM.RACE", "ADSL.RACE"},
}  # fmt: skip


@pytest.mark.parametrize("standard", ["SDTM", "ADaM"])
def test_demo_packages_have_no_errors(packages, standard):
    result = run_rules(packages[1][standard], SCH)
    found = result.findings
    assert result.count("error") == 0, found[found["severity"] == "error"].head().to_string()
    where = found["dataset"] + "." + found["variable"]
    for rule_id, part in where.groupby(found["rule"]):
        assert set(part) <= EXPLAINED.get(rule_id, set()), rule_id
    checked = set(result.status.loc[result.status["status"] != "not checked", "rule"])
    expected = (
        {"SCH001", "SCH002", "SCH003", "SCH004", "SCH005", "SCH006", "SCH007", "SCH008"}
        | {"SCH009", "SCH010", "SCH016"}
        if standard == "SDTM"
        else {"SCH005", "SCH006", "SCH007", "SCH011", "SCH012", "SCH013", "SCH015", "SCH016"}
    )
    assert expected <= checked


# --- packages the toolkit did not write ----------------------------------------------------------


def test_third_party_frames_do_not_crash():
    dm = pd.DataFrame(
        {
            "STUDYID": ["X1", "X1"],
            "USUBJID": ["X1-1", "X1-2"],
            "SEX": ["M", "F"],
            "AGE": ["34", "51"],  # stored as text, as some SAS programs do
            "SPONSOR1": ["a", None],  # not in the model
        }
    )
    qq = pd.DataFrame({"USUBJID": ["X1-1"], "QQDTC": ["12/03/2024"], "QQDUR": ["2 days"]})
    adae = pd.DataFrame({"USUBJID": ["X1-1"], "ASTDT": [20000.0]})
    found = schema_failures(package_from_frames({"DM": dm, "QQ": qq}))
    by_rule = found.groupby("rule")["variable"].agg(set).to_dict()
    assert by_rule["SCH001"] == {"AGE"}
    assert by_rule["SCH003"] == {"DOMAIN", "SUBJID", "SITEID", "COUNTRY"}
    assert "SPONSOR1" not in set(found["variable"])
    # A custom domain gets the checks that need no model: ISO 8601 by variable name.
    assert set(found.loc[found["dataset"] == "QQ", "rule"]) == {"SCH008", "SCH009"}
    assert schema_failures(package_from_frames({"ADAE": adae, "ADSL": dm})) is not None
    status = run_rules(package_from_frames({"QQ": qq}), SCH).status.set_index("rule")["status"]
    assert status["SCH010"] == "not checked" and status["SCH002"] == "not checked"
