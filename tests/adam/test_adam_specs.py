"""``cdisc check`` covers the ADaM specs: the bundled ones check clean, and planted mistakes
in a copy of trial B's are each reported with their file and line, all at once."""

import doctest
import importlib
import shutil

import pytest
from click.testing import CliRunner

import mappings
from cdisc.cli import main

ADAM_MODULES = [
    "adam.adambuild",
    "adam.adsl",
    "adam.efficacy",
    "adam.efficacy_spec",
    "adam.imputation",
    "adam.issues",
    "adam.km",
    "adam.output",
    "adam.sources",
    "adam.tte",
    "adam.tte_spec",
]


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_bundled_adam_specs_check_clean(study):
    result = CliRunner().invoke(main, ["check", study])
    assert result.exit_code == 0, result.output
    expected = "ADaM: ADSL, ADTTE, ADEFF" if study == "sail" else "ADaM: ADSL, ADTTE"
    assert expected in result.output


def test_planted_mistakes_in_adam_specs_are_all_reported(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    adam = study / "adam"
    edits = {
        "adsl.yaml": [("dataset: EX, date: EXSTDTC, mode: first", "dataset: EX, date: EXSTART")],
        "adtte.yaml": [("date: PRSTDTC", "date: PRSTDT"), ("dataset: RS", "dataset: RX")],
        "adeff.yaml": [("missing: failure", "missing: maybe")],
    }
    for name, changes in edits.items():
        text = (adam / name).read_text(encoding="utf-8")
        for old, new in changes:
            assert old in text, (name, old)
            text = text.replace(old, new, 1)
        (adam / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(study)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    text = "\n".join(lines)
    assert "adsl.yaml:" in text and "EX has no variable 'EXSTART'" in text
    assert "adtte.yaml:" in text and "PR has no variable 'PRSTDT'" in text
    assert "unknown dataset 'RX'" in text
    # The efficacy spec is checked too, even though ADTTE has problems of its own.
    assert "adeff.yaml:" in text and "'maybe'" in text
    assert "Traceback" not in result.output
    for line in lines:
        if "adsl.yaml" in line or "adtte.yaml" in line or "adeff.yaml" in line:
            assert ".yaml:" in line and line.split(".yaml:")[1].split(" ")[0].isdigit(), line


def test_a_source_reading_a_dataset_no_sdtm_spec_makes_is_refused(tmp_path):
    study = tmp_path / "sail"
    shutil.copytree(mappings.ROOT / "sail", study, ignore=shutil.ignore_patterns("raw"))
    (study / "sdtm" / "pr.yaml").unlink()
    result = CliRunner().invoke(main, ["check", str(study)])
    assert result.exit_code == 2
    assert "a source reads PR, which the SDTM specs do not make" in result.stderr


@pytest.mark.parametrize("name", ADAM_MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    assert doctest.testmod(module).failed == 0
