"""Trial design (TA, TE, TV, TI, TS), SE, SV, EPOCH from the design and visit windows.

Expected values are worked out by hand from mappings/sail/study.yaml, from the raw ODM XML
(read here with ElementTree/regex, not with the toolkit), from the generator's ground truth
(mappings/sail/raw/ground_truth/defects.csv) and from the Pinnacle 21 rule catalogue.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import mappings
from cdisc.cli import main
from cdisc.errors import SpecError
from cdisc.standards import Standards
from cdisc.study import load_study
from sdtm.design import ArmStep, Design, Element, derive_epoch
from sdtm.specs import load_study_specs

SAIL = mappings.ROOT / "sail"
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
RULES = Path("/work/shared/standards/rules/p21_sdtm_rules.csv")


@pytest.fixture(scope="module")
def sail(tmp_path_factory):
    """One build of the bundled SAIL export: (datasets by name, build report)."""
    out = tmp_path_factory.mktemp("sail") / "out"
    result = CliRunner().invoke(main, ["build", "sail", "--out", str(out)])
    report = json.loads((out / "sail" / "build_report.json").read_text(encoding="utf-8"))
    folder = next((out / "sail" / "m5" / "datasets").rglob("tabulations/sdtm"))
    data = {p.stem.upper(): pd.read_sas(p, encoding="ascii") for p in sorted(folder.glob("*.xpt"))}
    return result, data, report


def test_sail_builds_every_design_dataset_with_no_error(sail):
    result, data, report = sail
    assert result.exit_code == 0, result.output
    assert report["errors"] == 0
    assert {"TA", "TE", "TV", "TI", "TS", "SE", "SV"} <= set(data)


def test_ta_rows_are_the_two_arm_paths_of_study_yaml(sail):
    ta = sail[1]["TA"]
    got = ta[["ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "EPOCH"]]
    got = got.fillna("").astype({"TAETORD": int}).values.tolist()
    # By hand from design.arms and design.elements of mappings/sail/study.yaml.
    assert got == [
        ["BMMSC", "BM-MSC 150x10^6", 1, "SCRN", "SCREENING", "Randomized to BM-MSC", "SCREENING"],
        ["BMMSC", "BM-MSC 150x10^6", 2, "BMMSC", "BM-MSC 150x10^6", "", "TREATMENT"],
        ["BMMSC", "BM-MSC 150x10^6", 3, "FU", "FOLLOW-UP", "", "FOLLOW-UP"],
        ["PLACEBO", "PLACEBO", 1, "SCRN", "SCREENING", "Randomized to placebo", "SCREENING"],
        ["PLACEBO", "PLACEBO", 2, "PLACEBO", "PLACEBO", "", "TREATMENT"],
        ["PLACEBO", "PLACEBO", 3, "FU", "FOLLOW-UP", "", "FOLLOW-UP"],
    ]
    assert sail[1]["TE"]["ETCD"].tolist() == ["SCRN", "BMMSC", "PLACEBO", "FU"]
    tv = sail[1]["TV"]
    assert tv["VISITDY"].astype(int).tolist() == [-42, -7, 1, 8, 61, 183, 365, 730, 1826]
    assert tv.loc[tv["VISITNUM"] == 50, "TVSTRL"].item() == (
        "Study day 61 (window day 47 to day 75)"
    )
    ti = sail[1]["TI"]
    assert (ti["IECAT"] == "INCLUSION").sum() == 5
    assert (ti["IECAT"] == "EXCLUSION").sum() == 6


def test_ts_holds_every_fda_expected_parameter(sail):
    # The list is read from the P21 catalogue here, not from the toolkit's own constant.
    text = RULES.read_text(encoding="utf-8")
    expected = set(re.findall(r'"Missing ([A-Z0-9]+) Trial Summary Parameter"', text))
    assert {"SSTDTC", "TITLE", "SDTIGVER", "ONGOSIND"} <= expected and len(expected) == 45
    ts = sail[1]["TS"]
    assert expected <= set(ts["TSPARMCD"])
    one = ts.groupby("TSPARMCD").first()
    # Every record has a value or a null flavor, never neither.
    assert ((ts["TSVAL"] != "") ^ (ts["TSVALNF"] != "")).all()
    assert one.loc["SDTIGVER", "TSVAL"] == "3.4"
    assert one.loc["ACTSUB", "TSVAL"] == "60"
    assert one.loc["NARMS", "TSVAL"] == "2"
    assert one.loc["AGEMAX", "TSVALNF"] == "PINF"
    # Controlled values carry their NCI code: DOUBLE BLIND is C15228, PLACEBO (TCNTRL) C49648.
    assert one.loc["TBLIND", ["TSVAL", "TSVALCD"]].tolist() == ["DOUBLE BLIND", "C15228"]
    assert one.loc["TCNTRL", ["TSVAL", "TSVALCD"]].tolist() == ["PLACEBO", "C49648"]
    assert sorted(ts.loc[ts["TSPARMCD"] == "TTYPE", "TSVAL"]) == ["EFFICACY", "SAFETY"]


def _odm() -> ET.Element:
    return ET.parse(SAIL / "raw" / "sail_odm.xml").getroot()


def test_sstdtc_is_the_earliest_consent_date_of_the_raw_ic_form(sail):
    consent = [
        dt.date.fromisoformat(item.get("Value"))
        for item in _odm().iter(f"{ODM}ItemData")
        if item.get("ItemOID") == "IC.ICDAT"
    ]
    assert len(consent) == 60
    ts = sail[1]["TS"]
    assert ts.loc[ts["TSPARMCD"] == "SSTDTC", "TSVAL"].item() == min(consent).isoformat()


def test_sv_count_of_one_subject_equals_its_raw_visits(sail):
    # 04-056: every scheduled event of the ODM plus one unscheduled visit (UNS repeat 1,
    # VS/HEMA/CHEM on one date); LOG and EOS are not visits.
    subject = next(s for s in _odm().iter(f"{ODM}SubjectData") if s.get("SubjectKey") == "04-056")
    events = {
        (e.get("StudyEventOID"), e.get("StudyEventRepeatKey"))
        for e in subject.iter(f"{ODM}StudyEventData")
        if e.get("StudyEventOID") not in ("LOG", "EOS")
    }
    sv = sail[1]["SV"]
    assert (sv["USUBJID"] == "SAIL-04-056").sum() == len(events)


def test_unscheduled_visit_is_numbered_after_the_previous_scheduled_one(sail):
    # Ground truth: 04-056's unscheduled visit is on study day 10 (2021-05-22), after WEEK 1
    # (VISITNUM 40, day 8) and before MONTH 2 (day 61): VISITNUM 40.01.
    sv = sail[1]["SV"]
    row = sv[(sv["USUBJID"] == "SAIL-04-056") & (sv["VISITNUM"] % 10 != 0)]
    assert row["VISITNUM"].round(2).tolist() == [40.01]
    assert row["VISIT"].tolist() == ["UNSCHEDULED 40.01"]
    assert row["SVSTDTC"].tolist() == ["2021-05-22"]
    assert row["SVUPDES"].item().startswith("UNSCHEDULED VISIT")
    assert row["VISITDY"].isna().all()


def test_every_out_of_window_defect_is_reported_by_record(sail):
    report = sail[2]
    found = {
        (p["subject"], p["form"], p["record"])
        for p in report["problems"]
        if p["code"] == "visit-out-of-window"
    }
    with open(SAIL / "raw" / "ground_truth" / "defects.csv", newline="", encoding="utf-8") as f:
        planted = {
            (r["subject"], r["form"], r["record"])
            for r in csv.DictReader(f)
            if r["kind"] == "out_of_window"
        }
    assert planted and planted <= found
    one = next(p for p in report["problems"] if p["record"] == "M2/VS/IG.VS[1]"
               and p["subject"] == "04-057" and p["code"] == "visit-out-of-window")  # fmt: skip
    # Ground truth: visit M2 on study day 41, window 47..75; the record is kept as collected.
    assert "study day 41" in one["message"] and "day 47 to 75" in one["message"]
    vs = sail[1]["VS"]
    kept = vs[(vs["USUBJID"] == "SAIL-04-057") & (vs["VISITNUM"] == 50)]
    assert set(kept["VSDTC"].str[:10]) == {"2021-07-17"}


def test_epoch_on_the_dose_day_and_the_day_before(sail):
    dm, vs = sail[1]["DM"], sail[1]["VS"]
    first = vs["USUBJID"].map(dm.set_index("USUBJID")["RFXSTDTC"].str[:10])
    day = pd.to_datetime(vs["VSDTC"].str[:10], errors="coerce")
    dose = pd.to_datetime(first, errors="coerce")
    on = vs[day == dose]
    before = vs[day == dose - pd.Timedelta(days=1)]
    assert len(on) and set(on["EPOCH"]) == {"TREATMENT"}
    if len(before):
        assert set(before["EPOCH"]) == {"SCREENING"}
    # The same rule by hand on a two-element design: consent 01-01, dose 01-09, end 03-01.
    design = Design(
        elements=(
            Element("SCRN", "SCREENING", "x", start_ref="RFICDTC"),
            Element("TRT", "TREATMENT", "x", start_ref="RFXSTDTC"),
            Element("FU", "FOLLOW-UP", "x", start_ref="RFXENDTC", start_days=1),
        ),
        arm_paths={
            "A": (ArmStep("SCRN", "SCREENING"), ArmStep("TRT", "TREATMENT"),
                  ArmStep("FU", "FOLLOW-UP"))
        },
    )  # fmt: skip
    one = pd.DataFrame(
        {"USUBJID": ["1"], "ARMCD": ["A"], "ACTARMCD": ["A"], "RFICDTC": ["2021-01-01"],
         "RFXSTDTC": ["2021-01-09"], "RFXENDTC": ["2021-01-09"], "RFPENDTC": ["2021-03-01"]}
    )  # fmt: skip
    dates = pd.Series(["2021-01-08", "2021-01-09T14:30", "2021-01-10", "2021-03-01", "2021-03-02"])
    got = derive_epoch(dates, pd.Series(["1"] * 5), one, design).tolist()
    assert got == ["SCREENING", "TREATMENT", "FOLLOW-UP", "FOLLOW-UP", pd.NA]


def test_se_of_a_subject_runs_from_consent_through_dose_to_end(sail):
    dm, se = sail[1]["DM"], sail[1]["SE"]
    subject = dm.iloc[0]
    rows = se[se["USUBJID"] == subject["USUBJID"]]
    assert rows["ETCD"].tolist() == ["SCRN", subject["ACTARMCD"], "FU"]
    dose = dt.date.fromisoformat(subject["RFXSTDTC"][:10])
    assert rows["SESTDTC"].tolist() == [
        subject["RFICDTC"][:10],
        dose.isoformat(),
        (dose + dt.timedelta(days=1)).isoformat(),
    ]
    assert rows["SEENDTC"].tolist()[-1] == subject["RFPENDTC"][:10]


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_check_reports_design_mistakes_with_file_and_line(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(SAIL, study, ignore=shutil.ignore_patterns("raw"))
    path = study / "study.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      tedur: P6W\n", "      tedur: P6W\n      colour: red\n", 1)
    text = text.replace("- {etcd: FU, epoch: FOLLOW-UP}", "- {etcd: FUP, epoch: FOLLOW-UP}", 1)
    text = text.replace("events: [W1], day: 8, ", "events: [W1], ", 1)
    text = text.replace("    TBLIND: DOUBLE BLIND", "    TBLIND: DOUBLE-BLIND", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_study_specs(load_study(str(study)), Standards.load())
    lines = str(caught.value)
    assert f":{_line(text, 'colour: red')} design.elements.0.colour: unknown key" in lines
    assert (
        f":{_line(text, 'etcd: FUP')} design.arms.BMMSC.2.etcd: arm path names unknown element"
        in lines
    )
    assert f":{_line(text, 'events: [W1]')} design.visits.3: missing required key 'day'" in lines
    assert f":{_line(text, 'DOUBLE-BLIND')} design.summary.TBLIND: 'DOUBLE-BLIND'" in lines
