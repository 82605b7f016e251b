"""Every problem of a broken domain spec or study.yaml says what to do (issue 8).

Each case breaks one key of a spec that checks clean, checks it, and asserts that the
problem the break causes is reported with a hint, and that the hint is the expected one:
a close name, the valid names, or the shape the key expects.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument
from sdtm.conditions import name_hint
from sdtm.design import check_design
from sdtm.spec import check_domain

STANDARDS = Standards.load()
#: The fields the (imaginary) export declares for each form.
FIELDS = {
    "ae": {"AETERM", "AESTDAT", "AESER", "_form"},
    "vs": {"VSDAT", "SYSBP", "SYSBP_U", "_form"},
}
AE = {
    "domain": "AE",
    "sources": [{"form": "ae", "filter": {"field": "AETERM", "present": True}}],
    "variables": {
        "AETERM": {"algorithm": "assign_no_ct", "field": "AETERM"},
        "AEDECOD": {"algorithm": "assign_no_ct", "field": "AETERM"},
    },
    "sequence": ["AETERM"],
}
VS = {
    "domain": "VS",
    "sources": [{"form": "vs"}],
    "tests": [{"testcd": "SYSBP", "result": "SYSBP", "unit_field": "SYSBP_U"}],
    "variables": {"VSDTC": {"algorithm": "assign_datetime", "field": "VSDAT"}},
}


def _check(base: dict, path: tuple, value) -> list:
    """Problems of ``base`` with the key at ``path`` set to ``value`` (None: removed)."""
    data = copy.deepcopy(base)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    doc = SpecDocument(Path("spec.yaml"), data, display="spec.yaml")
    return check_domain(doc, STANDARDS, FIELDS)[1]


def test_the_base_specs_check_clean() -> None:
    for base in (AE, VS):
        doc = SpecDocument(Path("spec.yaml"), copy.deepcopy(base), display="spec.yaml")
        spec, problems = check_domain(doc, STANDARDS, FIELDS)
        assert problems == [] and spec is not None


# (base, key path, broken value, what the problem says, what its hint must hold)
DOMAIN_CASES = [
    (AE, ("domain",), "AEE", "unknown SDTM domain 'AEE'", "did you mean 'AE'?"),
    (AE, ("domain",), "QQQQ", "unknown SDTM domain", "SDTMIG 3.4 domains: "),
    (
        AE,
        ("variables", "AEDECOD"),
        None,
        "Required variable AEDECOD",
        "map AEDECOD under variables:",
    ),
    (AE, ("sources",), "ae", "expected a list of forms", "write `- form: NAME`"),
    (AE, ("sources",), {"form": "ae"}, "expected a list of forms", "- form: NAME"),
    (
        AE,
        ("variables", "QQQQQQ"),
        {"algorithm": "assign_no_ct", "field": "AETERM"},
        "QQQQQQ is not a AE variable",
        "AE variables: ",
    ),
    (
        AE,
        ("variables", "AETERM", "field"),
        "QQQQ",
        "the source forms declare no field 'QQQQ'",
        "fields: AESER, AESTDAT, AETERM",
    ),
    (AE, ("variables", "AETERM", "field"), "AETREM", "no field 'AETREM'", "did you mean 'AETERM'?"),
    (
        AE,
        ("sources", 0, "filter", "field"),
        "QQQQ",
        "the source forms declare no field 'QQQQ'",
        "fields: AESER, AESTDAT, AETERM",
    ),
    (
        AE,
        ("sources", 0, "filter"),
        {"field": "AETERM", "same_as": "QQQQ"},
        "no field 'QQQQ'",
        "fields: ",
    ),
    (
        AE,
        ("sources", 0, "filter"),
        {"field": "AETERM", "in": "x"},
        "expected a list of values",
        "in: [A, B]",
    ),
    (
        AE,
        ("sources", 0, "filter"),
        {"field": "AETERM", "present": "yes"},
        "expected true or false",
        "present: true",
    ),
    (
        AE,
        ("sources", 0, "filter"),
        {"field": "AETERM", "same_as": 3},
        "expected a field name",
        "same_as: ",
    ),
    (
        AE,
        ("sources", 0, "filter"),
        {"field": "AETERM", "equals": "x", "ignore_case": "y"},
        "expected true or false",
        "ignore_case: true",
    ),
    (AE, ("sources", 0, "filter"), {"equals": "x"}, "missing required key 'field'", "field: NAME"),
    (AE, ("sources", 0, "filter"), {"all": "x"}, "expected a list of conditions", "all: [{field"),
    (
        AE,
        ("sources", 0, "filter"),
        {"field": "AETERM", "present": True, "colour": 1},
        "unknown key",
        "allowed keys: field, present",
    ),
    (AE, ("sources", 0, "required"), "AETERM", "expected a list of field names", "required: ["),
    (AE, ("sources", 0, "required"), ["QQQQ"], "the form declares no field 'QQQQ'", "fields: "),
    (AE, ("variables",), ["AETERM"], "expected a mapping of variable: step", "variables: {"),
    (AE, ("supplemental",), "AECOM", "expected a list of qualifiers", "supplemental: [{qnam"),
    (
        AE,
        ("supplemental",),
        [{"qnam": "1AECOM", "qlabel": "x", "field": "AETERM"}],
        "must be 1-8 letters/digits",
        "start with a letter",
    ),
    (
        AE,
        ("supplemental",),
        [{"qnam": "AECOM", "qlabel": "x" * 41, "field": "AETERM"}],
        "QLABEL is longer than 40",
        "shorten it",
    ),
    (AE, ("sequence",), "AETERM", "expected a list of variable names", "sequence: ["),
    (
        AE,
        ("derivations",),
        {"by_arm": ["x"]},
        "expected {VARIABLE: {ARMCD: value, ...}}",
        "by_arm: {",
    ),
    (
        AE,
        ("derivations",),
        {"by_arm": {"EXTRX": {"A": "x"}}},
        "EXTRX is not a variable",
        "variables: ",
    ),
    (AE, ("not_done_results",), ["ND"], "applies to the results of tests", "declare tests:"),
    (
        AE,
        ("variables", "AESER"),
        {"algorithm": "assign_ct", "field": "AESER", "codelist": "NY", "synonyms": ["x"]},
        "expected a mapping of collected text: term",
        "synonyms: {",
    ),
    (VS, ("tests",), "SYSBP", "expected a list of tests", "tests: [{testcd"),
    (
        VS,
        ("tests", 0, "ratio"),
        {"numerator": ["SYSBP"], "denominator": ["SYSBP"]},
        "exactly one of 'result' and 'ratio'",
        "ratio: {numerator",
    ),
    (VS, ("tests", 0, "decimals"), 20, "expected a whole number 0-12", "decimals: 1"),
    (VS, ("tests", 0, "range"), [300, 0], "expected [low, high]", "range: [0, 300]"),
    (
        VS,
        ("tests", 0, "standard_values"),
        ["x"],
        "expected a mapping of collected text",
        "standard_values: {",
    ),
    (VS, ("tests", 0, "standard_values"), {"Mild": None}, "expected a text or number", "Mild: 1"),
    (
        VS,
        ("tests", 0),
        {
            "testcd": "SYSBP",
            "result": "SYSBP",
            "standard_field": "SYSBP",
            "standard_values": {"a": 1},
        },
        "cannot be combined",
        "keep one",
    ),
    (
        VS,
        ("not_done_results",),
        "ND",
        "expected a list of result texts",
        "not_done_results: [ND, not done]",
    ),
    (
        VS,
        ("variables", "VSORRESU"),
        {"algorithm": "assign_unit", "field": "SYSBP_U", "synonyms": {"mm Hg": "mmHgg"}},
        "'mmHgg' is not a term of codelist UNIT",
        "did you mean 'mmHg'?",
    ),
]


@pytest.mark.parametrize(
    ("base", "path", "value", "says", "hint"),
    DOMAIN_CASES,
    ids=[
        f"{case[0]['domain']}-{'.'.join(map(str, case[1]))}-{case[3][:24]}" for case in DOMAIN_CASES
    ],
)
def test_every_domain_spec_problem_says_what_to_do(base, path, value, says, hint) -> None:
    problems = _check(base, path, value)
    assert problems, "the break was not reported"
    assert all(p.hint for p in problems), [str(p) for p in problems if not p.hint]
    matching = [p for p in problems if says in p.problem]
    assert matching, [str(p) for p in problems]
    assert any(hint in p.hint for p in matching), [str(p) for p in matching]


def test_a_ratio_part_that_is_not_a_list_shows_the_shape() -> None:
    ratio = {"numerator": {"a": 1}, "denominator": ["SYSBP"]}
    test = {"testcd": "RATIO", "ratio": ratio}
    problems = _check(VS, ("tests",), [test])
    # The test is left out, so the variables it would give are reported unmapped too.
    assert (problems[0].problem, problems[0].hint) == (
        "expected a list of field names",
        "for example numerator: [FIELD1, FIELD2]",
    )
    assert all(p.hint for p in problems)


STUDY = {"studyid": "X"}
DESIGN_CASES = [
    (
        ("dates",),
        {"two_digit_year_pivot": "x"},
        "expected a year such as 1950",
        "two_digit_year_pivot: 1950",
    ),
    (("arms",), "A", "expected a list of {armcd, arm}", "arms: [{armcd: A"),
    (("design",), {"visits": "x"}, "expected a list of visits", "visits: [{visitnum"),
    (
        ("design",),
        {"visits": [{"visitnum": "one", "visit": "V", "events": ["E"], "day": 1}]},
        "VISITNUM must be a number",
        "visitnum: 1",
    ),
    (
        ("design",),
        {
            "visits": [
                {"visitnum": 1, "visit": "V", "events": ["E"], "day": 1, "window": {"before": -1}}
            ]
        },
        "window bounds must be days >= 0",
        "window: {before",
    ),
    (
        ("design",),
        {
            "visits": [
                {"visitnum": 1, "visit": "V", "events": ["E"], "day": 1},
                {"visitnum": 2, "visit": "W", "events": ["E"], "day": 2},
            ]
        },
        "already maps to visit",
        "one visit",
    ),
    (("design",), {"elements": "x"}, "expected a list of elements", "elements: [{etcd"),
    (
        ("design",),
        {"elements": [{"etcd": "TOOLONGCODE", "element": "x", "testrl": "x"}]},
        "at most 8 characters",
        "shorten it",
    ),
    (("design",), {"arms": ["A"]}, "expected ARMCD: [element path]", "arms: {A: [{etcd"),
    (("design",), {"arms": {"A": "x"}}, "expected a list of {etcd, epoch}", "[{etcd: SCRN"),
    (("design",), {"visit_dates": ["vs"]}, "expected form: date field", "visit_dates: {vs: VSDAT}"),
    (("design",), {"criteria": "x"}, "expected a list of criteria", "criteria: [{ietestcd"),
    (
        ("design",),
        {"criteria": [{"ietestcd": "IN01", "ietest": "x", "iecat": "IN"}]},
        "IECAT must be INCLUSION or EXCLUSION",
        "iecat: INCLUSION",
    ),
    (("design",), {"summary": ["TITLE"]}, "expected TSPARMCD: value", "summary: {TITLE"),
    (
        ("design",),
        {"summary": {"AGEMIN": [{"x": 1}]}},
        "expected a value, a list of values",
        "AGEMIN: [A, B]",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "says", "hint"),
    DESIGN_CASES,
    ids=[f"{'.'.join(case[0])}-{case[2][:24]}" for case in DESIGN_CASES],
)
def test_every_study_design_problem_says_what_to_do(path, value, says, hint) -> None:
    data = {**STUDY, path[0]: value}
    _, problems = check_design(SpecDocument(Path("study.yaml"), data, display="study.yaml"))
    assert problems, "the break was not reported"
    assert all(p.hint for p in problems), [str(p) for p in problems if not p.hint]
    matching = [p for p in problems if says in p.problem]
    assert matching, [str(p) for p in problems]
    assert any(hint in p.hint for p in matching), [str(p) for p in matching]


def test_name_hint_prefers_a_close_name_and_else_lists_a_few_sorted_names() -> None:
    assert name_hint("AESTDTX", ["AETERM", "AESTDTC"], "AE variables") == "did you mean 'AESTDTC'?"
    names = [f"F{i:02d}" for i in range(12)] + ["_form"]
    assert name_hint("zzz", names, "fields") == (
        "fields: F00, F01, F02, F03, F04, F05, F06, F07, ... (12 in all)"
    )
    assert name_hint("zzz", ["B", "A"], "fields") == "fields: A, B"
    assert name_hint("zzz", [], "fields") == "there are no fields"
