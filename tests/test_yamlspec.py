from pathlib import Path

import pytest

from cdisc.errors import SpecError
from cdisc.yamlspec import SpecProblems, check_keys, load_spec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_values_and_key_lines(tmp_path):
    doc = load_spec(write(tmp_path, "studyid: SAIL\nsource:\n  format: odm\n  n: 3\n  on: true\n"))
    assert doc.data == {"studyid": "SAIL", "source": {"format": "odm", "n": 3, "on": True}}
    assert doc.line(("source", "n")) == 4
    assert doc.line(("source", "n", "deeper")) == 4


def test_every_duplicate_alias_and_tag_reported_together(tmp_path):
    path = write(
        tmp_path,
        "a: 1\nb:\n  c: &x 2\n  c: 3\n  d: *x\ne: !!python/object:os.system ls\na: 4\n",
    )
    with pytest.raises(SpecProblems) as caught:
        load_spec(path)
    lines = str(caught.value).splitlines()
    assert [line.split(" ")[0] for line in lines] == [
        f"{path}:4",
        f"{path}:5",
        f"{path}:6",
        f"{path}:7",
    ]
    assert "b.c: duplicate key (first defined on line 3)" in lines[0]
    assert "aliases" in lines[1]
    assert "unsupported YAML tag" in lines[2]
    assert "a: duplicate key (first defined on line 1)" in lines[3]
    assert caught.value.exit_code == 2


def test_syntax_error_names_line_and_column(tmp_path):
    path = write(tmp_path, "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(SpecProblems) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3 ")
    assert "YAML syntax error" in message and "column" in message
    assert "(fix the YAML at that line" in message


def test_not_utf8_is_a_spec_error(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(SpecError, match=r"spec.yaml:2: spec is not UTF-8"):
        load_spec(path)


def test_check_keys_reports_missing_and_unknown_with_hint(tmp_path):
    doc = load_spec(write(tmp_path, "source:\n  fromat: odm\n"))
    problems = [
        str(p)
        for p in check_keys(doc, ("source",), doc.data["source"], required=["format", "path"])
    ]
    assert problems == [
        f"{doc.path}:1 source: missing required key 'format' (add 'format:' here)",
        f"{doc.path}:1 source: missing required key 'path' (add 'path:' here)",
        f"{doc.path}:2 source.fromat: unknown key (did you mean 'format'?)",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # os.system would run on yaml.unsafe_load; the node is a tagged sequence or mapping.
        ("a: 1\ncmd: !!python/object/apply:os.system [echo owned]\n", 2),
        ("a: 1\nobj: !!python/object:collections.OrderedDict {x: 1}\n", 2),
        ("a: 1\nb:\n  s: !!set {x, y}\n", 3),
    ],
    ids=["apply-on-sequence", "object-on-mapping", "set"],
)
def test_tags_on_collections_are_refused_with_their_line(tmp_path, text, line):
    path = write(tmp_path, text)
    with pytest.raises(SpecProblems) as caught:
        load_spec(path)
    (problem,) = caught.value.problems
    assert problem.line == line
    assert problem.problem.startswith("unsupported YAML tag 'tag:yaml.org,2002:")
    assert problem.hint == "remove the tag; specs hold plain values only"


def test_an_unquoted_date_stays_text(tmp_path):
    doc = load_spec(write(tmp_path, "output_date: 2025-01-01\nquoted: '2025-01-01'\n"))
    assert doc.data == {"output_date": "2025-01-01", "quoted": "2025-01-01"}


def test_a_mapping_expected_but_text_found_says_how_to_write_it(tmp_path):
    doc = load_spec(write(tmp_path, "source: raw/export.xml\n"))
    (problem,) = check_keys(doc, ("source",), doc.data["source"], required=["format"])
    assert str(problem) == (
        f"{doc.path}:1 source: expected a mapping of keys, found str "
        "(write it as indented 'key: value' lines or {key: value, ...})"
    )
