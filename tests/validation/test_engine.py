"""The rule engine: every rule's status is said (findings, checked with none, or not
checked and why), findings get the rule's IDs and severity, and nothing unchecked passes."""

import pandas as pd
import pytest

from cdisc.validation.engine import (
    FINDING_COLUMNS,
    NotCheckable,
    Rule,
    findings,
    rule,
    run_rules,
    variable_findings,
)
from cdisc.validation.package import package_from_frames


def _rules(*pairs) -> dict[str, Rule]:
    return {r.id: r for r in pairs}


def _dm():
    return pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-2"], "AGE": [70.0, -3.0, 81.0]})


def test_findings_carry_the_rule_ids_and_records_count_from_one():
    def negative_age(package):
        dm = package.datasets["DM"]
        return findings(dm[dm["AGE"] < 0], "DM", variable="AGE")

    rules = _rules(
        Rule("T001", negative_age, "error", "AGE is negative", p21="SD9999", cdisc="CG0001")
    )
    result = run_rules(package_from_frames({"DM": _dm()}), rules)
    assert list(result.findings.columns) == FINDING_COLUMNS
    assert result.findings.to_dict("records") == [
        {
            "rule": "T001",
            "p21": "SD9999",
            "cdisc": "CG0001",
            "severity": "error",
            "dataset": "DM",
            "record": 2,
            "usubjid": "S-2",
            "variable": "AGE",
            "value": -3.0,
            "message": "AGE is negative",
        }
    ]
    assert result.status[["rule", "status", "findings"]].values.tolist() == [
        ["T001", "findings", 1]
    ]
    assert result.count("error") == 1 and result.count("warning") == 0


def test_what_cannot_be_checked_is_said_never_passed():
    def needs_ex(package):
        return findings(package.datasets["EX"].iloc[:0], "EX")

    def gives_up(package):
        raise NotCheckable("EXSTDTC holds no dates")

    def adam_only(package):
        return pd.DataFrame()

    rules = _rules(
        Rule("T001", needs_ex, "error", "x", needs=("EX",)),
        Rule("T002", gives_up, "warning", "y"),
        Rule("T003", adam_only, "error", "z", scope="ADaM"),
        Rule("T004", needs_ex, "error", "x", needs=("DM.RFSTDTC",)),
    )
    status = run_rules(package_from_frames({"DM": _dm()}), rules).status.set_index("rule")
    assert status.loc["T001", ["status", "reason"]].tolist() == ["not checked", "no EX dataset"]
    assert status.loc["T002", ["status", "reason"]].tolist() == [
        "not checked",
        "EXSTDTC holds no dates",
    ]
    assert status.loc["T003", "reason"] == "applies to ADaM packages; this one is SDTM"
    assert status.loc["T004", "reason"] == "DM has no RFSTDTC"


def test_a_rule_with_no_findings_is_checked_and_per_finding_messages_win():
    def duplicates(package):
        dm = package.datasets["DM"]
        rows = dm[dm["USUBJID"].duplicated(keep=False)]
        return findings(
            rows, "DM", variable="USUBJID", message="USUBJID " + rows["USUBJID"] + " twice"
        )

    def silent(package):
        return variable_findings("DM", [])

    result = run_rules(
        package_from_frames({"DM": _dm()}),
        _rules(Rule("T001", duplicates, "error", "dup"), Rule("T002", silent, "notice", "n")),
    )
    assert result.findings["message"].tolist() == ["USUBJID S-2 twice", "USUBJID S-2 twice"]
    assert result.findings["record"].tolist() == [2, 3]
    assert result.status.set_index("rule").loc["T002", "status"] == "checked, no findings"


def test_registration_refuses_bad_declarations():
    with pytest.raises(ValueError, match="severity 'fatal'"):
        rule("T100", severity="fatal", message="m")
    with pytest.raises(ValueError, match="scope 'SEND'"):
        rule("T100", severity="error", message="m", scope="SEND")


def test_two_processes_give_what_one_gives(demo_build):
    """The schema rules in a forked process, the others here: the same findings in the same
    order, and the same status, as one process (trial B's package: time budget)."""
    from cdisc.validation.package import load_package

    folder = demo_build("sail")[1]
    package = load_package(folder / "m5" / "datasets" / "sail" / "tabulations" / "sdtm")
    one = run_rules(package, workers=1)
    two = run_rules(package, workers=2)
    pd.testing.assert_frame_equal(one.findings, two.findings)
    columns = [c for c in one.status.columns if c != "seconds"]
    pd.testing.assert_frame_equal(one.status[columns], two.status[columns])
    assert (two.status["seconds"] >= 0).all()
