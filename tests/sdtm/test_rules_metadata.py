"""SDTM metadata, terminology and submission-limit rules (SDM..., sdtm/rules/).

Every rule fires on a mutated copy of a demo package (with the expected dataset, record and
variable, worked out from the mutation itself) and stays silent on the demo packages, except
the warnings listed in ``DEMO_WARNINGS`` (explained in the lead's report).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import sdtm.rules.trialsummary as trialsummary
from cdisc.validation.engine import REGISTRY, run_rules
from cdisc.validation.package import load_package
from sdtm.rules import iso

MINE = {k: v for k, v in REGISTRY.items() if k.startswith("SDM")}
#: Warnings the demo packages legitimately trip (sponsor terms, collected text, IG/CT gaps).
DEMO_WARNINGS = {"SDM021", "SDM029"}


@pytest.fixture(scope="module")
def demo(demo_build):
    """Trial B's SDTM package: mutations are judged on one trial (time budget); both trials
    run the silence test (``demo_result``)."""
    folder = demo_build("sail")[1]
    return load_package(folder / "m5" / "datasets" / "sail" / "tabulations" / "sdtm")


@pytest.fixture(scope="module")
def demo_result(built):
    study, _raw, folder, _result, _report = built
    return run_rules(
        load_package(folder / "m5" / "datasets" / study / "tabulations" / "sdtm"), MINE
    )


def _copy(package):
    """A copy whose dataset and meta dicts may be changed; mutators copy a frame before
    changing it, so the shared demo package stays intact."""
    return dataclasses.replace(
        package, datasets=dict(package.datasets), meta=dict(package.meta), notes=list(package.notes)
    )


def _set(package, dataset, variable, record, value):
    frame = package.datasets[dataset].copy()
    frame.loc[record - 1, variable] = value
    package.datasets[dataset] = frame
    return package


def _meta(package, dataset, **changes):
    package.meta[dataset] = dataclasses.replace(package.meta[dataset], **changes)
    return package


def _drop(package, dataset, variable):
    package.datasets[dataset] = package.datasets[dataset].drop(columns=[variable])
    return package


def _ts_drop(package, parameter):
    ts = package.datasets["TS"]
    package.datasets["TS"] = ts[ts["TSPARMCD"] != parameter].reset_index(drop=True)
    return package


def _ts_set(package, parameter, value):
    ts = package.datasets["TS"].copy()
    ts.loc[ts.index[ts["TSPARMCD"] == parameter][0], "TSVAL"] = value
    package.datasets["TS"] = ts
    return package


def _ts_record(package, parameter):
    ts = package.datasets["TS"]
    return int(ts.index[ts["TSPARMCD"] == parameter][0]) + 1


# (rule, mutation, expected dataset, record or None, variable)
CASES = [
    ("SDM006", lambda p: _set(p, "AE", "DOMAIN", 3, "CM"), "AE", 3, "DOMAIN"),
    ("SDM007", lambda p: _set(p, "SUPPAE", "RDOMAIN", 1, "CM"), "SUPPAE", 1, "RDOMAIN"),
    ("SDM008", lambda p: _set(p, "AE", "DOMAIN", 1, "AEX"), "AE", 1, "DOMAIN"),
    ("SDM009", lambda p: _set(p, "DM", "STUDYID", 4, "OTHER"), "DM", 4, "STUDYID"),
    ("SDM010", lambda p: _set(p, "VS", "STUDYID", 5, "OTHER"), "VS", 5, "STUDYID"),
    (
        "SDM011",
        lambda p: _meta(p, "AE", labels={**p.meta["AE"].labels, "AETERM": "Term"}),
        "AE",
        None,
        "AETERM",
    ),
    ("SDM012", lambda p: _meta(p, "AE", label="Adverse"), "AE", None, ""),
    (
        "SDM015",
        lambda p: p.datasets.__setitem__("AE", p.datasets["AE"].assign(AE_LONGNAME="x")) or p,
        "AE",
        None,
        "AE_LONGNAME",
    ),
    (
        "SDM016",
        lambda p: _meta(p, "AE", labels={**p.meta["AE"].labels, "AETERM": "x" * 41}),
        "AE",
        None,
        "AETERM",
    ),
    ("SDM017", lambda p: _meta(p, "AE", label="y" * 41), "AE", None, ""),
    ("SDM018", lambda p: _set(p, "AE", "AETERM", 2, "z" * 201), "AE", 2, "AETERM"),
    ("SDM019", lambda p: _set(p, "AE", "AETERM", 2, "z" * 200), "AE", 2, "AETERM"),
    ("SDM020", lambda p: _set(p, "VS", "VSTEST", 3, "Temp\u00e9rature"), "VS", 3, "VSTEST"),
    ("SDM021", lambda p: _set(p, "AE", "AETERM", 4, "Na\u00efve rash"), "AE", 4, "AETERM"),
    ("SDM029", lambda p: _set(p, "AE", "AETERM", 3, " Headache"), "AE", 3, "AETERM"),
    ("SDM030", lambda p: _set(p, "VS", "VSTESTCD", 2, "1TEMPERAT"), "VS", 2, "VSTESTCD"),
    ("SDM031", lambda p: _set(p, "VS", "VSTEST", 2, "t" * 41), "VS", 2, "VSTEST"),
    ("SDM032", lambda p: _set(p, "TS", "TSPARMCD", 2, "ADAPTIVE1"), "TS", 2, "TSPARMCD"),
    ("SDM033", lambda p: _set(p, "TS", "TSPARM", 2, "p" * 41), "TS", 2, "TSPARM"),
    ("SDM034", lambda p: _set(p, "SUPPAE", "QNAM", 1, "9BAD"), "SUPPAE", 1, "QNAM"),
    ("SDM035", lambda p: _set(p, "SUPPAE", "QLABEL", 1, "q" * 41), "SUPPAE", 1, "QLABEL"),
    ("SDM036", lambda p: _set(p, "VS", "VSTESTCD", 2, "OTHER"), "VS", 2, "VSTESTCD"),
    ("SDM037", lambda p: _set(p, "VS", "VSTESTCD", 2, "MULTIPLE"), "VS", 2, "VSTESTCD"),
    ("SDM038", lambda p: _set(p, "DM", "ARMCD", 1, "A" * 21), "DM", 1, "ARMCD"),
    ("SDM039", lambda p: _set(p, "DM", "ACTARMCD", 1, "A" * 21), "DM", 1, "ACTARMCD"),
    ("SDM040", lambda p: _set(p, "TE", "ETCD", 1, "E" * 9), "TE", 1, "ETCD"),
    (
        "SDM041",
        lambda p: p.datasets.__setitem__("SE", p.datasets["SE"].assign(SETCD="S" * 9)) or p,
        "SE",
        1,
        "SETCD",
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "mutate", "dataset", "record", "variable"), CASES, ids=[c[0] for c in CASES]
)
def test_rule_fires_on_mutation(demo, rule_id, mutate, dataset, record, variable):
    mutated = mutate(_copy(demo))
    found = run_rules(mutated, {rule_id: MINE[rule_id]}).findings
    hit = found[(found["dataset"] == dataset) & (found["variable"] == variable)]
    if record is not None:
        hit = hit[hit["record"] == record]
    assert len(hit) >= 1, found.head()
    assert set(hit["rule"]) == {rule_id}
    if record is not None:
        assert dataset in hit["message"].iloc[0] and f"record {record}" in hit["message"].iloc[0]


def test_lowercase_file_name_rule(demo):
    mutated = _meta(_copy(demo), "AE", file=demo.meta["AE"].file.with_name("AE.XPT"))
    found = run_rules(mutated, {"SDM022": MINE["SDM022"]}).findings
    assert found[["dataset", "value"]].values.tolist() == [["AE", "AE.XPT"]]


def test_length_rule(demo):
    lengths = {**demo.meta["AE"].lengths, "AETERM": 200}
    found = run_rules(
        _meta(_copy(demo), "AE", lengths=lengths), {"SDM023": MINE["SDM023"]}
    ).findings
    assert found[["dataset", "variable", "value"]].values.tolist() == [["AE", "AETERM", "200"]]


def test_dataset_name_and_no_records_and_not_covered(demo):
    mutated = _copy(demo)
    mutated.datasets["XX_LONGNAME"] = pd.DataFrame({"STUDYID": pd.Series([], dtype=object)})
    mutated.meta["XX_LONGNAME"] = dataclasses.replace(demo.meta["AE"], name="XX_LONGNAME")
    rules = {k: MINE[k] for k in ("SDM004", "SDM014", "SDM042")}
    found = run_rules(mutated, rules).findings
    assert sorted(found.loc[found["dataset"] == "XX_LONGNAME", "rule"]) == [
        "SDM004",
        "SDM014",
        "SDM042",
    ]


def test_ts_missing(demo):
    mutated = _copy(demo)
    del mutated.datasets["TS"]
    found = run_rules(mutated, {"SDM028": MINE["SDM028"]}).findings
    assert found["rule"].tolist() == ["SDM028"]


def test_variable_not_in_model_by_ig_version(demo):
    mutated = _copy(demo)
    mutated.datasets["AE"] = mutated.datasets["AE"].assign(AEZZZ="x", AEORRES="y")
    found = run_rules(mutated, {k: MINE[k] for k in ("SDM003", "SDM043", "SDM044")}).findings
    assert sorted(found[["rule", "variable"]].values.tolist()) == [
        ["SDM003", "AEZZZ"],
        ["SDM044", "AEORRES"],
    ]
    older = _ts_set(mutated, "SDTIGVER", "3.2")
    found = run_rules(older, {k: MINE[k] for k in ("SDM003", "SDM043")})
    assert found.findings[["rule", "variable"]].values.tolist() == [["SDM043", "AEZZZ"]]
    assert "not checked" in found.status.set_index("rule").loc["SDM003", "status"]


TS_PARAMETER_RULES = [
    (f"SDM{trialsummary._TS_FIRST + i:03d}", entry[0], entry[4])
    for i, entry in enumerate(trialsummary._TS_PARAMETERS)
]


@pytest.mark.parametrize(
    ("rule_id", "parameter", "condition"),
    TS_PARAMETER_RULES,
    ids=[r[0] for r in TS_PARAMETER_RULES],
)
def test_ts_parameter_missing(demo, rule_id, parameter, condition):
    mutated = _ts_drop(_copy(demo), parameter)
    if condition is not None:
        mutated = _ts_set(mutated, *condition)
    found = run_rules(mutated, {rule_id: MINE[rule_id]}).findings
    assert found[["rule", "dataset", "value"]].values.tolist() == [[rule_id, "TS", parameter]]


@pytest.mark.parametrize(
    ("rule_id", "parameter", "bad"),
    [
        ("SDM050", "SSTDTC", "25JAN2019"),
        ("SDM051", "SSTDTC", "2019-01"),
        ("SDM052", "DCUTDTC", "2019-13-01"),
        ("SDM053", "SENDTC", "soon"),
        ("SDM054", "NARMS", "two"),
        ("SDM055", "ACTSUB", "n/a"),
        ("SDM056", "PLANSUB", "sixty"),
        ("SDM057", "AGEMAX", "85"),
        ("SDM058", "AGEMIN", "18 years"),
        ("SDM059", "LENGTH", "6M"),
    ],
)
def test_ts_value_format(demo, rule_id, parameter, bad):
    mutated = _ts_set(_copy(demo), parameter, bad)
    found = run_rules(mutated, {rule_id: MINE[rule_id]}).findings
    assert found[["rule", "record", "value"]].values.tolist() == [
        [rule_id, _ts_record(mutated, parameter), bad]
    ]


@pytest.mark.parametrize(("rule_id", "parameter", "_p21"), trialsummary._TS_SINGLE)
def test_ts_parameter_twice(demo, rule_id, parameter, _p21):
    mutated = _copy(demo)
    ts = mutated.datasets["TS"]
    mutated.datasets["TS"] = pd.concat([ts, ts[ts["TSPARMCD"] == parameter]], ignore_index=True)
    found = run_rules(mutated, {rule_id: MINE[rule_id]}).findings
    assert len(found) == 2 and set(found["rule"]) == {rule_id}


def test_demo_package_has_no_errors_and_only_explained_warnings(demo_result):
    found = demo_result.findings
    assert (found["severity"] == "error").sum() == 0, found[found["severity"] == "error"].head()
    assert set(found["rule"]) <= DEMO_WARNINGS


def test_every_rule_is_tested():
    tested = {c[0] for c in CASES} | {r[0] for r in TS_PARAMETER_RULES}
    tested |= {f"SDM0{n}" for n in range(50, 68)} | {
        "SDM022",
        "SDM023",
        "SDM004",
        "SDM014",
        "SDM042",
        "SDM028",
    }
    tested |= {"SDM003", "SDM043", "SDM044"}
    assert set(MINE) == tested


def test_iso8601_helpers():
    dtc = pd.Series(
        ["2021-06-15T07:25", "2003---15", "2021-02-29", "2020-02-29", "2021/xyz", None, "-"]
    )
    assert iso.iso_datetime_ok(dtc).tolist() == [True, True, False, True, False, True, False]
    assert iso.iso_datetime_ok(pd.Series(["2021-01-01/2021-02-01", "2021-01-01/P3D"])).all()
    dur = pd.Series(["P3D", "PT1.5H", "P2W", "3 days", "P", "PT", "-PT15M"])
    assert iso.iso_duration_ok(dur).tolist() == [True, True, True, False, False, False, False]
    assert iso.iso_duration_ok(dur, negative=True).tolist()[-1]


def test_demo_package_path_exists(built):
    study, _raw, folder, _result, _report = built
    assert Path(folder, "m5", "datasets", study, "tabulations", "sdtm", "dm.xpt").is_file()
