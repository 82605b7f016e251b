"""Arguments, defaults, errors, output folder handling and the module's command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cdisc.errors import UsageError
from cdisc.synth import synthesize


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"study": "trial-c"}, "unknown study 'trial-c'"),
        ({"study": "sail", "fmt": "sas"}, "unknown export format 'sas'"),
        ({"study": "sail", "subjects": 0}, "subjects must be a whole number of at least 1"),
        ({"study": "sail", "subjects": -5}, "subjects must be a whole number of at least 1"),
        ({"study": "sail", "subjects": 2.5}, "subjects must be a whole number of at least 1"),
        ({"study": "pmsc-cli", "subjects": True}, "subjects must be a whole number"),
        ({"study": "sail", "seed": -1}, "seed must be a whole number of at least 0"),
        ({"study": "sail", "workers": 0}, "workers must be a whole number of at least 1"),
    ],
)
def test_bad_arguments_raise_usage_error(tmp_path, kwargs, needle):
    study = kwargs.pop("study")
    with pytest.raises(UsageError) as err:
        synthesize(study, tmp_path / "out", **kwargs)
    assert needle in str(err.value)
    assert err.value.exit_code == 2
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unknown_study_names_the_known_ones(tmp_path):
    with pytest.raises(UsageError) as err:
        synthesize("SAIL", tmp_path)
    assert err.value.hint == "known studies: pmsc-cli, sail"


def test_out_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "taken.txt"
    target.write_text("x")
    with pytest.raises(UsageError) as err:
        synthesize("pmsc-cli", target, subjects=1)
    assert err.value.path == str(target)
    assert "not a folder" in err.value.message
    assert err.value.hint


def test_out_below_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError) as err:
        synthesize("pmsc-cli", tmp_path / "file" / "sub", subjects=1)
    assert "cannot write" in err.value.message or "not a folder" in err.value.message
    assert err.value.path is not None


def test_defaults_follow_the_study(export, rb):
    sail = export("sail", "odm")
    pmsc = export("pmsc-cli", "redcap")
    # Defaults are taken when not given: compare with explicit defaults from the brief.
    assert (sail.subjects, sail.format) == (60, "odm")
    assert (pmsc.subjects, pmsc.format) == (9, "redcap")
    m = rb.manifest(sail.out)
    assert (m["study"], m["format"], m["seed"], m["subjects"], m["clean"]) == (
        "sail",
        "odm",
        1,
        60,
        False,
    )


def test_default_format_and_size_when_omitted(tmp_path, rb):
    result = synthesize("pmsc-cli", tmp_path / "a")
    assert result.format == "redcap"
    _, rows = rb.read_csv(tmp_path / "a" / "data.csv")
    # Records under another format of a subject's id (subject_id_variant) are not subjects.
    defects = rb.read_dicts(tmp_path / "a" / "ground_truth" / "defects.csv")
    variants = {d["value"] for d in defects if d["kind"] == "subject_id_variant"}
    assert len({r[0] for r in rows} - variants) == 9
    assert result.files == sorted(result.files)
    assert all(p.exists() for p in result.files)


def test_progress_reports_every_chunk_and_the_end(tmp_path):
    calls = []
    synthesize("pmsc-cli", tmp_path, subjects=3, progress=lambda *a: calls.append(a))
    assert calls[0] == ("subjects", 3, 3)
    assert calls[-1] == ("ground truth", 1, 1)


def test_rerun_with_another_format_leaves_no_mixed_export(tmp_path):
    synthesize("pmsc-cli", tmp_path, subjects=2, fmt="rave")
    assert (tmp_path / "dm.csv").exists()
    synthesize("pmsc-cli", tmp_path, subjects=2, fmt="odm")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ground_truth", "pmsc-cli_odm.xml"]


def test_module_command_line(tmp_path):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdisc.synth",
            "--study",
            "pmsc-cli",
            "--subjects",
            "2",
            "--format",
            "rave",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "pmsc-cli (rave): 2 subjects" in ok.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdisc.synth",
            "--study",
            "sail",
            "--subjects",
            "0",
            "--out",
            str(tmp_path / "y"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "subjects must be a whole number" in bad.stderr
    assert "Traceback" not in bad.stderr
