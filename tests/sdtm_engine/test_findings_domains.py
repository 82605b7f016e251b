"""LB, QS and VS (with ABI/TBI per leg) built end to end for both bundled studies.

One build per study (module fixture). Expected values are counted independently on the raw
frames (``cdisc.readers.read_export``) or the ground-truth defect list, or worked by hand from
the raw values quoted in the comments; none is copied from the build's output.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

import mappings
from cdisc.cli import main
from cdisc.errors import SpecError
from cdisc.readers import read_export
from cdisc.standards import Standards
from cdisc.study import load_study
from sdtm.specs import declared_fields, load_study_specs

LAB_FORMS = ("hema", "chem", "cyto", "lymph")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Both studies built once for the whole module: study -> (folder, result, report, raw)."""
    out = tmp_path_factory.mktemp("findings")
    found = {}
    for study in ("sail", "pmsc-cli"):
        result = CliRunner().invoke(main, ["build", study, "--out", str(out)])
        folder = out / study
        report = json.loads((folder / "build_report.json").read_text(encoding="utf-8"))
        found[study] = (folder, result, report, read_export(load_study(study).source.path))
    return found


@pytest.fixture(params=["sail", "pmsc-cli"])
def built(request, builds):
    return (request.param, *builds[request.param])


def _dataset(folder: Path, name: str) -> pd.DataFrame:
    path = next((folder / "m5" / "datasets").rglob(f"{name}.xpt"))
    frame, _ = pyreadstat.read_xport(path)
    return frame


def _text(values: pd.Series) -> pd.Series:
    values = values.astype("string").str.strip()
    return values.mask(values == "")


def _field(frame: pd.DataFrame, name: str) -> str:
    """The raw field ``name`` as the export spells it (ODM upper case, REDCap lower case)."""
    return next(c for c in frame.columns if c.lower() == name.lower())


def _problems(report: dict, domain: str, code: str) -> list[dict]:
    return [p for p in report["problems"] if p["domain"] == domain and p["code"] == code]


def test_build_has_no_errors_and_the_findings_datasets_read_back(built):
    _, folder, result, report, _ = built
    assert result.exit_code == 0, result.output
    assert report["errors"] == 0
    written = {d["dataset"] for d in report["datasets"]}
    # the build reads every XPT back with both readers; a mismatch would be listed here
    assert [r for r in report["readback"] if r.split(":")[0] in ("LB", "QS", "VS")] == []
    for name in ("lb", "qs", "vs"):
        assert len(_dataset(folder, name)) > 0, name
        assert name.upper() in written


#: The result texts the bundled LB specs list under ``not_done_results`` (any case).
NO_RESULT = {"nd", "not done", "n/a", "na", "unk", "."}


def test_lb_record_count_equals_an_independent_count_of_the_raw_panels(built):
    study, folder, _, _, raw = built
    expected = not_done_rows = 0
    for form in LAB_FORMS:
        frame = raw.forms[form]
        perf = next(c for c in frame.columns if c.lower().endswith("lbperf"))
        not_done = (_text(frame[perf]) == "0").fillna(False)
        results = [c for c in frame.columns if c.lower().endswith("_orres")]
        # a sample not taken: one NOT DONE record per analyte of its panel
        expected += int(not_done.sum()) * len(results)
        for name in results:
            text = _text(frame[name])
            expected += int((text.notna() & ~not_done).sum())
            # a result typed as "ND", "UNK", ".": a NOT DONE record too (SDTMIG 4.5.1.1)
            not_done_rows += int((text.str.casefold().isin(NO_RESULT) & ~not_done).sum())
        not_done_rows += int(not_done.sum()) * len(results)
    lb = _dataset(folder, "lb")
    assert len(lb) == expected, study
    assert (lb["LBSTAT"] == "NOT DONE").sum() == not_done_rows


def test_lb_panels_categories_specimens_and_flow_cytometry_codes(built):
    _, folder, _, _, _ = built
    lb = _dataset(folder, "lb")
    cats = lb.groupby("LBCAT")["LBTESTCD"].agg(lambda s: set(s))
    assert set(cats.index) == {"HEMATOLOGY", "CHEMISTRY", "CYTOKINES", "LYMPHOCYTE SUBSETS"}
    # trials.md 3.8: CD3/CD19/CD56 -> TLYCE/BLYCE/NKCE; CD4/CD8 -> the CP codes TLYH/TLC.
    assert cats["LYMPHOCYTE SUBSETS"] == {"TLYCE", "TLYH", "TLC", "BLYCE", "NKCE"}
    spec = lb.groupby("LBCAT")["LBSPEC"].agg(lambda s: set(s))
    assert spec["HEMATOLOGY"] == {"BLOOD"} and spec["CHEMISTRY"] == {"SERUM"}
    # one standard unit per test (P21 SD0007), blank only where there is no number
    units = lb[lb["LBSTRESU"] != ""].groupby("LBTESTCD")["LBSTRESU"].nunique()
    assert (units == 1).all()
    assert set(lb.loc[lb["LBTESTCD"] == "TNF", "LBSTRESU"]) - {""} == {"ng/L"}


def test_lb_sponsor_test_codes_are_reported(built):
    _, _, _, report, _ = built
    found = {p["value"] for p in _problems(report, "LB", "sponsor-extension")}
    assert found == {"TLYH", "TLC"}


def test_creatinine_and_glucose_in_conventional_units_are_converted_by_hand(builds):
    # Trial A reports conventional units. Raw chem record 4 (01-001, screening):
    # creatinine 0.74 mg/dL, glucose 109 mg/dL.
    # 0.74 x 88.42 = 65.4308 umol/L; 109 / 18.016 = 6.05017... mmol/L.
    out = _dataset(builds["pmsc-cli"][0], "lb")
    row = out[(out["USUBJID"].str.endswith("01-001")) & (out["VISITNUM"] == 10)].set_index(
        "LBTESTCD"
    )
    assert row.loc["CREAT", ["LBORRES", "LBORRESU"]].tolist() == ["0.74", "mg/dL"]
    assert row.loc["CREAT", "LBSTRESC"] == "65.4308"
    assert row.loc["CREAT", "LBSTRESN"] == pytest.approx(65.4308)
    assert row.loc["CREAT", "LBSTRESU"] == "umol/L"
    assert row.loc["GLUC", "LBSTRESN"] == pytest.approx(6.05018, abs=5e-6)
    assert row.loc["GLUC", "LBSTRESU"] == "mmol/L"


def test_every_embedded_unit_defect_of_a_lab_panel_is_reported_with_its_record(built):
    study, folder, _, report, _ = built
    truth = Path(load_study(study).source.path)
    truth = (truth if truth.is_dir() else truth.parent) / "ground_truth" / "defects.csv"
    with truth.open(newline="", encoding="utf-8") as handle:
        planted = [
            r
            for r in csv.DictReader(handle)
            if r["kind"] == "embedded_unit" and r["form"] in LAB_FORMS
        ]
    assert planted
    reported = {(p["form"], p["record"]) for p in _problems(report, "LB", "unit-in-result")}
    missing = [
        (r["form"], r["record"], r["value"])
        for r in planted
        if (r["form"], r["record"]) not in reported
    ]
    assert missing == []
    # The typed unit is the unit field's (the generator types the record's own unit), so
    # each is read as its number (the ground truth's clean value) and standardised; the
    # power-of-ten units ("4.610^9/L") were the earlier draft's blind spot.
    assert [r for r in planted if "10^9" in r["value"]]
    lb = _with_lineage(folder, "lb")
    testcd = _test_codes(study, "LB")
    for r in planted:
        test = testcd[r["field"].split(".")[-1].lower()]
        row = _rows_of(lb, r)
        row = row[row["LBTESTCD"] == test]
        assert row["LBORRES"].tolist() == [r["clean"]], r
        assert row["LBSTRESC"].iloc[0] != "", r


def test_qs_records_per_category_equal_an_independent_count(built):
    study, folder, _, _, raw = built
    qs = _dataset(folder, "qs")
    counts = qs.groupby("QSCAT").size().to_dict()
    expected = {
        "PAIN VAS": int(
            _text(raw.forms["pain"][_field(raw.forms["pain"], "vasrest")]).notna().sum()
        )
    }
    if study == "sail":
        eq, sf = raw.forms["eq5d"], raw.forms["sf36"]
        eq_items = [f"EQ5D020{i}" for i in range(1, 7)]
        sf_items = [f"SF363{i:02d}" for i in range(1, 37)]
        expected["EQ-5D-5L"] = sum(int(_text(eq[c]).notna().sum()) for c in eq_items)
        expected["SF36 V2.0 STANDARD"] = sum(int(_text(sf[c]).notna().sum()) for c in sf_items)
    assert counts == expected
    if study == "sail":
        # 36 SF-36 items with their CT codes; field SF36310 (item 10) is question 3h.
        sf36 = qs[qs["QSCAT"] == "SF36 V2.0 STANDARD"]
        assert sf36["QSTESTCD"].nunique() == 36
        assert {"SF36303H", "SF36310", "SF36311D"} <= set(sf36["QSTESTCD"])
        # response text as QSORRES, the coded score as QSSTRESC/QSSTRESN
        eq = qs[qs["QSTESTCD"] == "EQ5D0201"]
        assert set(eq["QSSTRESC"]) <= {"1", "2", "3", "4", "5"}
        assert (eq["QSSTRESN"].astype(int).astype(str) == eq["QSSTRESC"]).all()
        assert "No problems" in set(eq["QSORRES"])


def _abi_pressure(values: pd.Series) -> pd.Series:
    """A pressure as a number, also when typed with 'mmHg'; other text -> missing."""
    text = _text(values).str.replace(r"\s*mmHg\s*$", "", regex=True)
    return pd.to_numeric(text, errors="coerce")


def test_abi_and_tbi_rows_per_leg(built):
    study, folder, _, _, raw = built
    abi = raw.forms["abi"]
    perf = _text(abi[_field(abi, "abiperf")])
    lat = _text(abi[_field(abi, "abilat")]).map({"1": "LEFT", "2": "RIGHT"})
    done = perf != "0"
    pt, dp = (_abi_pressure(abi[_field(abi, f)]) for f in ("ptsys", "dpsys"))
    # ABI needs both ankle fields a number (or one blank), no text such as "NC"
    ankles_ok = (
        (pt.notna() | _text(abi[_field(abi, "ptsys")]).isna())
        & (dp.notna() | _text(abi[_field(abi, "dpsys")]).isna())
        & (pt.notna() | dp.notna())
    )
    vs = _dataset(folder, "vs")
    rows = vs[vs["VSTESTCD"] == "ABI"]
    for leg in ("LEFT", "RIGHT"):
        expected = int(((done & ankles_ok) | ~done)[lat == leg].sum())
        assert (rows["VSLAT"] == leg).sum() == expected, (study, leg)
    assert set(rows.loc[rows["VSSTAT"] == "", "VSDRVFL"]) == {"Y"}
    assert set(rows["VSSTRESU"]) == {""}
    # the existing vital signs keep working
    assert {"SYSBP", "DIABP", "PULSE", "TEMP", "WEIGHT", "HEIGHT", "ABI", "TBI"} <= set(
        vs["VSTESTCD"]
    )


def test_abi_worked_by_hand_for_one_visit(builds):
    # Trial A, 01-001 screening, raw abi records 5 (left) and 6 (right):
    # brachial 158 / 144, ankle PT 82 / 88, DP 72 / 89, great toe 31 / 97.
    # ABI left = max(82, 72) / max(158, 144) = 82/158 = 0.519 -> 0.52
    # ABI right = 89/158 = 0.563 -> 0.56; TBI left = 31/158 = 0.196 -> 0.20;
    # TBI right = 97/158 = 0.614 -> 0.61.
    vs = _dataset(builds["pmsc-cli"][0], "vs")
    rows = vs[vs["USUBJID"].str.endswith("01-001") & (vs["VISITNUM"] == 10)]
    got = {
        (r.VSTESTCD, r.VSLAT): r.VSORRES
        for r in rows[rows["VSTESTCD"].isin(["ABI", "TBI"])].itertuples()
    }
    assert got == {
        ("ABI", "LEFT"): "0.52",
        ("ABI", "RIGHT"): "0.56",
        ("TBI", "LEFT"): "0.20",
        ("TBI", "RIGHT"): "0.61",
    }


def test_non_compressible_ankle_pressures_are_reported_not_derived(builds):
    study, report = "sail", builds["sail"][2]
    truth = Path(load_study(study).source.path).parent / "ground_truth" / "defects.csv"
    with truth.open(newline="", encoding="utf-8") as handle:
        text_nc = [
            r
            for r in csv.DictReader(handle)
            if r["kind"] == "noncompressible" and not r["value"].strip().replace(".", "").isdigit()
        ]
    assert text_nc
    reported = {
        (p["subject"], p["record"])
        for p in _problems(report, "VS", "ratio-not-computable")
        if p["variable"] == "ABI"
    }
    assert {(r["subject"], r["record"]) for r in text_nc} <= reported


VS_BAD_RATIO = """domain: VS
sources:
  - form: abi
tests:
  - {testcd: ABI, result: PTSYS, ratio: {numerator: [PTSYS], denominator: [BRACHSYS]}}
  - {testcd: TBI, ratio: {numerator: [TOESYSX], denominator: [BRACHSYS]}, decimals: 20}
  - {testcd: ABI, ratio: {numerator: [PTSYS]}}
variables:
  VSDTC: {algorithm: assign_datetime, field: ABIDAT}
"""


def test_check_reports_bad_ratio_tests_with_their_lines(tmp_path, builds):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    (study / "sdtm" / "vs.yaml").write_text(VS_BAD_RATIO, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        fields = declared_fields(builds["sail"][3])
        load_study_specs(load_study(str(study)), Standards.load(), fields)
    vs = [line for line in str(caught.value).splitlines() if "vs.yaml" in line]
    text = "\n".join(vs)
    assert "vs.yaml:5" in text and "exactly one of 'result' and 'ratio'" in text
    assert "vs.yaml:6" in text and "TOESYSX" in text
    assert "expected a whole number 0-12" in text
    assert "vs.yaml:7" in text and "denominator" in text


def _planted(study: str, kind: str, forms: tuple[str, ...]) -> list[dict]:
    truth = Path(load_study(study).source.path)
    truth = (truth if truth.is_dir() else truth.parent) / "ground_truth" / "defects.csv"
    with truth.open(newline="", encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r["kind"] == kind and r["form"] in forms]


def _with_lineage(folder: Path, name: str) -> pd.DataFrame:
    """The dataset with its lineage sidecar's raw form and record beside each row."""
    lineage = pd.read_csv(folder / "lineage" / f"{name}.csv", dtype=str, keep_default_na=False)
    data = _dataset(folder, name)
    assert len(lineage) == len(data)
    return data.assign(form=lineage["form"].to_numpy(), record=lineage["record"].to_numpy())


def _rows_of(frame: pd.DataFrame, planted: dict) -> pd.DataFrame:
    """The rows of a planted defect's raw record (ODM record ids repeat across subjects)."""
    return frame[
        (frame["form"] == planted["form"])
        & (frame["record"] == planted["record"])
        & frame["USUBJID"].str.endswith("-" + planted["subject"])
    ]


def _test_codes(study: str, domain: str) -> dict[str, str]:
    """Result field (lower case) -> test code, from the study's spec."""
    spec = load_study_specs(load_study(study), Standards.load()).domains[domain]
    return {t.result.lower(): t.testcd for t in spec.tests if t.result}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def test_sentinel_results_are_not_done_or_kept_and_reported(built):
    # Ground truth "sentinel": ".", "ND", "N/A", "UNK", "not done" (text) or -99/999 typed
    # for a number. Text -> a NOT DONE record with no result (the specs' not_done_results,
    # SDTMIG 3.4 4.5.1.1), reported as result-not-done; a negative lab or VAS value ->
    # out-of-range (the spec's plausible range starts at 0), kept. A sentinel that is a
    # plausible number (99 cells/uL) cannot be told from a value and is not asserted.
    study, folder, _, report, _ = built
    forms = (*LAB_FORMS, "pain")
    planted = [
        r
        for r in _planted(study, "sentinel", forms)
        if r["field"].split(".")[-1].lower().endswith(("_orres", "vasrest"))
    ]
    assert planted
    codes: dict[tuple[str, str], set[str]] = {}
    for p in report["problems"]:
        if p["domain"] in ("LB", "QS"):
            codes.setdefault((p["form"], p["record"]), set()).add(p["code"])
    rows = pd.concat(
        [
            _with_lineage(folder, "lb").rename(columns=lambda c: c.replace("LB", "--", 1)),
            _with_lineage(folder, "qs").rename(columns=lambda c: c.replace("QS", "--", 1)),
        ]
    )
    testcd = _test_codes(study, "LB") | _test_codes(study, "QS")
    for r in planted:
        value = _number(r["value"].strip())
        key = (r["form"], r["record"])
        record = _rows_of(rows, r)
        record = record[record["--TESTCD"] == testcd[r["field"].split(".")[-1].lower()]]
        if value is None:
            assert r["value"].strip().casefold() in NO_RESULT, r
            assert "result-not-done" in codes.get(key, set()), r
            assert record[["--STAT", "--ORRES"]].values.tolist() == [["NOT DONE", ""]], r
        else:
            if value < 0 or (value > 100 and r["form"] == "pain"):
                assert "out-of-range" in codes.get(key, set()), r
            assert record["--ORRES"].tolist() == [r["value"].strip()], r  # kept as collected


def test_whitespace_only_results_are_reported_with_their_record(built):
    study, _, _, report, _ = built
    planted = [
        r
        for r in _planted(study, "whitespace_only", LAB_FORMS)
        if r["field"].split(".")[-1].lower().endswith("_orres")
    ]
    assert planted
    reported = {(p["form"], p["record"]) for p in _problems(report, "LB", "blank-result")}
    assert {(r["form"], r["record"]) for r in planted} <= reported
