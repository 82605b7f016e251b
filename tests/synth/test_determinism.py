"""Same arguments give byte-identical trees (also across hash seeds and chunk boundaries);
another seed gives other data."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cdisc.synth import synthesize
from cdisc.synth.streams import CHUNK


@pytest.mark.parametrize(
    ("study", "fmt"), [("sail", "odm"), ("pmsc-cli", "redcap"), ("sail", "rave")]
)
def test_same_arguments_same_bytes(tmp_path, rb, study, fmt):
    a = synthesize(study, tmp_path / "a", fmt=fmt, subjects=25, seed=11)
    b = synthesize(study, tmp_path / "b", fmt=fmt, subjects=25, seed=11)
    ha, hb = rb.tree_hashes(a.out), rb.tree_hashes(b.out)
    assert ha == hb
    assert len(ha) == len(a.files)


def test_another_seed_gives_other_data(tmp_path, rb):
    a = synthesize("sail", tmp_path / "a", fmt="rave", subjects=25, seed=11)
    b = synthesize("sail", tmp_path / "b", fmt="rave", subjects=25, seed=12)
    ha, hb = rb.tree_hashes(a.out), rb.tree_hashes(b.out)
    assert set(ha) == set(hb)
    differing = [name for name in ha if ha[name] != hb[name]]
    assert "vs.csv" in differing and "ground_truth/subjects.csv" in differing


def test_hash_seed_does_not_matter(tmp_path, rb):
    outs = []
    for hash_seed in ("0", "12345"):
        out = tmp_path / hash_seed
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "cdisc.synth",
                "--study",
                "pmsc-cli",
                "--format",
                "odm",
                "--subjects",
                "12",
                "--seed",
                "5",
                "--quiet",
                "--out",
                str(out),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        outs.append(rb.tree_hashes(out))
    assert outs[0] == outs[1]


def test_chunk_boundary_keeps_files_whole_and_numbering_global(tmp_path, rb):
    n = CHUNK + 3
    result = synthesize("pmsc-cli", tmp_path / "r", fmt="redcap", subjects=n, seed=2)
    header, rows = rb.read_csv(result.out / "data.csv")
    defects = rb.read_dicts(result.out / "ground_truth" / "defects.csv")
    # Rows under another format of a subject's id (subject_id_variant) are not subjects.
    variants = {d["value"] for d in defects if d["kind"] == "subject_id_variant"}
    subjects = [r[0] for r in rows if r[0] not in variants]
    assert len(set(subjects)) == n
    # Records of a subject are contiguous, in enrolment order across the chunk boundary.
    firsts = list(dict.fromkeys(subjects))
    assert firsts == sorted(firsts, key=lambda s: int(s.split("-")[1]))
    late = [
        d
        for d in defects
        if d["record"]
        and int(d["record"]) > len(rows) // 2
        and d["field"] in header
        and d["kind"] != "duplicate_record"
    ]
    assert late, "defects past the first chunk"
    for d in late:
        assert rows[int(d["record"]) - 1][header.index(d["field"])] == d["value"]
        owner = d["value"] if d["kind"] == "subject_id_variant" else d["subject"]
        assert rows[int(d["record"]) - 1][0] == owner
    serial = synthesize("pmsc-cli", tmp_path / "s", fmt="redcap", subjects=n, seed=2, workers=1)
    assert rb.tree_hashes(serial.out) == rb.tree_hashes(result.out)
