"""subjects.normalise: variant raw subject keys read as the canonical key, each one reported.

Expected values are worked out by hand from the rules written in each test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdisc.yamlspec import load_spec
from sdtm.design import Design, check_design, subject_ids
from sdtm.subjects import (
    SUBJECT_ID_NORMALISED,
    SubjectRule,
    normalise_subjects,
    normalised_subjects,
)

#: The three variant shapes of the generator (cdisc/synth/identity.py) for subject 03-001.
RULES = (
    SubjectRule(r"^SAIL-(?P<id>\d{2}-\d{3})$", "{id}"),
    SubjectRule(r"^(?P<site>\d{1,2})-(?P<number>\d{1,3})$", "{site:0>2}-{number:0>3}"),
    SubjectRule(r"^(?P<site>\d{2})(?P<number>\d{3})$", "{site}-{number}"),
)


def test_each_variant_shape_is_read_as_the_canonical_key_and_others_are_kept():
    keys = pd.Series(
        ["SAIL-03-001", "3-1", "03001", " 03-001 ", "03-001", "SAIL-3-1", "X-9", None, "12-45"],
        index=[10, 11, 12, 13, 14, 15, 16, 17, 18],
    )
    got = normalise_subjects(keys, RULES)
    # SAIL-03-001 -> rule 1; 3-1 -> rule 2 padded; 03001 -> rule 3; " 03-001 " stripped and
    # unchanged by rule 2; SAIL-3-1 and X-9 match no rule (kept); 12-45 -> 12-045.
    assert got.tolist() == [
        "03-001",
        "03-001",
        "03-001",
        "03-001",
        "03-001",
        "SAIL-3-1",
        "X-9",
        pd.NA,
        "12-045",
    ]
    assert got.index.tolist() == keys.index.tolist()


def test_first_matching_rule_wins_and_no_rules_change_nothing():
    rules = (SubjectRule(r"A(?P<n>\d)", "first-{n}"), SubjectRule(r"A(?P<n>\d)", "second-{n}"))
    assert normalise_subjects(pd.Series(["A1", "B1"]), rules).tolist() == ["first-1", "B1"]
    assert normalise_subjects(pd.Series(["SAIL-03-001"]), ()).tolist() == ["SAIL-03-001"]


def test_usubjid_is_built_from_the_canonical_key_and_lineage_keeps_the_collected_one():
    raw = pd.DataFrame({"_subject": ["SAIL-03-001", "03-001", "99999X"], "_site": ["SITE03"] * 3})
    design = Design(sites={"SITE03": "03"}, normalise=RULES)
    usubjid, siteid = subject_ids(raw, "SAIL", design)
    assert usubjid.tolist() == ["SAIL-03-001", "SAIL-03-001", "SAIL-99999X"]
    assert siteid.tolist() == ["03", "03", "03"]
    assert raw["_subject"].tolist() == ["SAIL-03-001", "03-001", "99999X"]


def test_every_rewritten_record_is_reported_once_with_old_and_new_key():
    # Two long rows from one raw record (a panel) and one canonical record: one warning.
    data = pd.DataFrame(
        {
            "_file": "sail_odm.xml",
            "_form": "hema",
            "_record": ["M2/HEMA/IG.HEMA[1]", "M2/HEMA/IG.HEMA[1]", "SCR/HEMA/IG.HEMA[1]"],
            "_subject": ["3-1", "3-1", "03-001"],
        }
    )
    found = normalised_subjects("LB", data, RULES)
    assert found[["domain", "file", "form", "record", "subject", "value", "code"]].to_dict(
        "records"
    ) == [
        {
            "domain": "LB",
            "file": "sail_odm.xml",
            "form": "hema",
            "record": "M2/HEMA/IG.HEMA[1]",
            "subject": "3-1",
            "value": "03-001",
            "code": SUBJECT_ID_NORMALISED,
        }
    ]
    assert "'3-1'" in found["message"][0] and "'03-001'" in found["message"][0]
    assert normalised_subjects("LB", data, ()).empty


def _design(tmp_path: Path, subjects: str):
    path = tmp_path / "study.yaml"
    path.write_text("subjects:\n" + subjects, encoding="utf-8")
    return check_design(load_spec(path))


def test_rules_are_read_from_study_yaml(tmp_path: Path):
    design, problems = _design(
        tmp_path,
        "  normalise:\n"
        "    - {pattern: '^S-(?P<id>.+)$', to: '{id}'}\n"
        "    - {pattern: '^(?P<a>\\d)-(?P<b>\\d)$', to: '0{a}-00{b}'}\n",
    )
    assert problems == []
    assert design.normalise == (
        SubjectRule("^S-(?P<id>.+)$", "{id}"),
        SubjectRule(r"^(?P<a>\d)-(?P<b>\d)$", "0{a}-00{b}"),
    )


@pytest.mark.parametrize(
    ("rule", "line", "key", "words"),
    [
        ("{pattern: '(unclosed', to: x}", 3, "subjects.normalise.0.pattern", "regular expression"),
        ("{pattern: 'S-(.+)', to: x}", 3, "subjects.normalise.0.pattern", "no named group"),
        ("{pattern: 'S-(?P<id>.+)', to: '{idd}'}", 3, "subjects.normalise.0.to", "bad template"),
        ("{pattern: 'S-(?P<id>.+)', to: '{id:>}x{'}", 3, "subjects.normalise.0.to", "template"),
        ("{pattern: 'S-(?P<id>.+)'}", 3, "subjects.normalise.0", "missing required key 'to'"),
    ],
)
def test_bad_rules_are_reported_with_line_and_key(tmp_path, rule, line, key, words):
    _, problems = _design(tmp_path, f"  normalise:\n    - {rule}\n")
    assert len(problems) == 1
    assert (problems[0].line, problems[0].keypath) == (line, key)
    assert words in problems[0].problem


def test_normalise_must_be_a_list(tmp_path):
    _, problems = _design(tmp_path, "  normalise: {pattern: x}\n")
    assert [p.keypath for p in problems] == ["subjects.normalise"]
