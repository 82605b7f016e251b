"""End to end: ADaM from each demo study's build (the session's ``built`` fixture, see
tests/conftest.py), checked against DM and against the generator's ground truth
(``mappings/<study>/raw/ground_truth/subjects.csv``), which the toolkit never reads.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
#: Trial B's primary endpoint is read at month 6: study day 183 from the first dose.
MONTH_6 = 183


def _read(folder: Path, kind: str) -> dict[str, pd.DataFrame]:
    frames = {}
    for path in sorted(folder.glob(f"m5/datasets/*/{kind}/**/*.xpt")):
        # pyreadstat, since pandas.read_sas reads a stored 0 as 5.4e-79 (pandas issue #50670).
        frame, _ = pyreadstat.read_xport(
            str(path), encoding="utf-8", disable_datetime_conversion=True
        )
        for name in frame.select_dtypes(exclude="number").columns:
            frame[name] = frame[name].where(frame[name] != "", None)
        frames[path.stem.upper()] = frame
    return frames


def _day(sas: pd.Series) -> pd.Series:
    """SAS dates (days since 1960-01-01) as ISO text, None when missing."""
    dates = pd.Timestamp("1960-01-01") + pd.to_timedelta(sas, unit="D")
    text = dates.dt.strftime("%Y-%m-%d").astype(object)
    return pd.Series(np.where(sas.notna(), text, None), index=sas.index, dtype=object)


def _truth(study: str) -> dict[str, dict]:
    path = ROOT / "mappings" / study / "raw" / "ground_truth" / "subjects.csv"
    prefix = {"sail": "SAIL", "pmsc-cli": "PMSC-CLI"}[study]
    with path.open(newline="", encoding="utf-8") as handle:
        return {f"{prefix}-{row['subject']}": row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def adam(built):
    study, _, folder, result, report = built
    return study, folder, result, report, _read(folder, "tabulations"), _read(folder, "analysis")


def test_adam_datasets_are_written_where_the_submission_layout_puts_them(adam):
    study, folder, result, report, _, analysis = adam
    expected = {"ADSL", "ADTTE"} | ({"ADEFF"} if study == "sail" else set())
    assert set(analysis) == expected
    for name in expected:
        path = folder / "m5" / "datasets" / study / "analysis" / "adam" / "datasets"
        assert (path / f"{name.lower()}.xpt").exists()
        assert name in result.output
    assert result.exit_code == 0, result.output
    assert {d["dataset"] for d in report["adam"]["datasets"]} == expected
    readback = [line for line in report["readback"] if line.startswith("AD")]
    assert readback == []


def test_adsl_has_every_dm_subject_and_agrees_with_dm(adam):
    _, _, _, _, sdtm, analysis = adam
    adsl, dm, ex = analysis["ADSL"], sdtm["DM"], sdtm["EX"]
    assert adsl["USUBJID"].is_unique
    assert set(adsl["USUBJID"]) <= set(dm["USUBJID"])
    assert set(ex["USUBJID"]) & set(dm["USUBJID"]) <= set(adsl["USUBJID"])
    merged = adsl.merge(dm, on="USUBJID", suffixes=("", "_DM"))
    assert len(merged) == len(adsl)
    for name in ("AGE", "SEX", "RACE", "ARM", "ACTARM", "SITEID"):
        left, right = merged[name], merged[f"{name}_DM"]
        assert (left.isna() == right.isna()).all(), name
        assert left[left.notna()].tolist() == right[right.notna()].tolist(), name


def test_adsl_agrees_with_the_ground_truth(adam):
    study, _, _, _, _, analysis = adam
    adsl = analysis["ADSL"].set_index("USUBJID")
    truth = _truth(study)
    assert set(adsl.index) == set(truth)
    facts = pd.DataFrame.from_dict(truth, orient="index")
    assert _day(adsl["TRTSDT"]).tolist() == [
        facts.loc[u, "first_dose_date"] or None for u in adsl.index
    ]
    assert _day(adsl["DTHDT"]).tolist() == [facts.loc[u, "death_date"] or None for u in adsl.index]
    assert adsl["INDEXLAT"].tolist() == facts.loc[adsl.index, "index_limb"].tolist()
    if study == "sail":
        assert _day(adsl["RANDDT"]).tolist() == facts.loc[adsl.index, "randomisation_date"].tolist()
    assert set(adsl["SAFFL"]) <= {"Y", "N"}
    assert (adsl["TRTSDT"].notna() == (adsl["SAFFL"] == "Y")).all()


def test_adtte_events_are_the_ground_truth_events(adam):
    """TTMAJAMP events are the index-limb major amputations on or after the first dose (and
    not after death); TTDEATH events the deaths; a death first is TTMAJAMP's competing event."""
    study, _, _, _, _, analysis = adam
    adtte = analysis["ADTTE"]
    truth = _truth(study)

    def events(code: str, cnsr: int) -> dict[str, str]:
        rows = adtte[(adtte["PARAMCD"] == code) & (adtte["CNSR"] == cnsr)]
        return dict(zip(rows["USUBJID"], _day(rows["ADT"]), strict=True))

    treated = {u: row for u, row in truth.items() if row["first_dose_date"]}
    amputated = {
        u: row["index_major_amputation_date"]
        for u, row in treated.items()
        if row["index_major_amputation_date"] >= row["first_dose_date"]
        and (not row["death_date"] or row["index_major_amputation_date"] <= row["death_date"])
    }
    deaths = {u: row["death_date"] for u, row in treated.items() if row["death_date"]}
    assert events("TTMAJAMP", 0) == amputated
    assert events("TTDEATH", 0) == deaths
    assert events("TTMAJAMP", 2) == {u: d for u, d in deaths.items() if u not in amputated}
    afs = {u: min(d for d in (amputated.get(u), deaths.get(u)) if d) for u in amputated | deaths}
    assert events("TTAFS", 0) == afs
    # AVAL counts days from STARTDT, the day itself being day 1.
    assert ((adtte["ADT"] - adtte["STARTDT"] + 1) == adtte["AVAL"]).all()
    assert set(adtte["CNSR"]) <= {0, 1, 2}


def test_censoring_table_and_kaplan_meier_outputs(adam):
    _, folder, _, report, _, analysis = adam
    adtte = analysis["ADTTE"]
    table = pd.read_csv(folder / "adam" / "censoring.csv")
    assert len(table) == len(adtte)
    assert set(zip(table["USUBJID"], table["PARAMCD"], strict=True)) == set(
        zip(adtte["USUBJID"], adtte["PARAMCD"], strict=True)
    )
    assert set(table["STATUS"]) <= {"event", "competing event", "censored"}
    assert len(report["adam"]["censoring"]) == len(adtte)
    for paramcd in sorted(set(adtte["PARAMCD"])):
        svg = etree.fromstring((folder / "adam" / f"km_{paramcd.lower()}.svg").read_bytes())
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    summary = pd.DataFrame(report["adam"]["km_summary"])
    counts = adtte.groupby(["PARAMCD", "TRTP"]).size()
    assert {(r.PARAMCD, r.TRTP): r.subjects for r in summary.itertuples()} == counts.to_dict()
    page = (folder / "adam" / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == adtte["PARAMCD"].nunique()


def test_every_adam_record_names_its_sdtm_records(adam):
    _, folder, _, _, sdtm, analysis = adam
    lineage = pd.read_csv(folder / "lineage" / "adsl.csv")
    adsl = analysis["ADSL"]
    dated = lineage[lineage["VARIABLE"] == "TRTSDT"]
    assert set(dated["USUBJID"]) == set(adsl.loc[adsl["TRTSDT"].notna(), "USUBJID"])
    assert set(dated["SRCDOM"]) == {"EX"}
    ex = sdtm["EX"].set_index(["USUBJID", "EXSEQ"])
    for row in dated.itertuples():
        assert (row.USUBJID, row.SRCSEQ) in ex.index
    adtte = analysis["ADTTE"]
    for row in adtte[adtte["SRCDOM"] == "PR"].itertuples():
        record = sdtm["PR"][
            (sdtm["PR"]["USUBJID"] == row.USUBJID) & (sdtm["PR"]["PRSEQ"] == row.SRCSEQ)
        ]
        assert record["PRSTDTC"].str[:10].tolist() == [_day(pd.Series([row.ADT]))[0]]


def test_therapy_success_fails_every_subject_dead_or_amputated_by_month_6(adam):
    study, _, _, _, _, analysis = adam
    if study != "sail":
        pytest.skip("trial A has no efficacy dataset")
    adeff, adsl = analysis["ADEFF"], analysis["ADSL"]
    success = adeff[adeff["PARAMCD"] == "TSUCCESS"].set_index("USUBJID")
    assert set(success.index) == set(adsl.loc[adsl["ITTFL"] == "Y", "USUBJID"])
    truth = _truth(study)
    start = pd.to_datetime(pd.Series({u: row["first_dose_date"] for u, row in truth.items()}))

    def by_month_6(column: str) -> set[str]:
        dates = pd.to_datetime(pd.Series({u: row[column] or None for u, row in truth.items()}))
        return set(dates[(dates - start).dt.days + 1 <= MONTH_6].index)

    failed = by_month_6("death_date") | by_month_6("index_major_amputation_date")
    assert failed, "the demo has subjects dead or amputated by month 6"
    assert set(success.loc[sorted(failed), "AVALC"]) == {"N"}
    # Each component is kept: CRIT1-CRIT4 with their flags, on every composite record.
    for i in range(1, 5):
        assert success[f"CRIT{i}"].notna().all()
        assert set(success[f"CRIT{i}FL"].dropna()) <= {"Y", "N"}
    # A success is all four components met.
    met = (success[[f"CRIT{i}FL" for i in range(1, 5)]] == "Y").all(axis=1)
    assert ((success["AVALC"] == "Y") == met).all()
