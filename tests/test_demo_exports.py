"""The raw exports bundled with the demo studies are exactly what the generator writes.

They are committed so that ``cdisc build`` works from a plain install, and regenerated
with ``python scripts/make_demo_exports.py``; this test fails if either drifts.
"""

import hashlib
import importlib.util
from pathlib import Path

import pytest

from cdisc.synth import synthesize

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "make_demo_exports", REPO / "scripts" / "make_demo_exports.py"
)
make_demo_exports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_demo_exports)


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("study", sorted(make_demo_exports.DEMO_EXPORTS))
def test_bundled_export_is_the_generators_output(study, tmp_path):
    fmt, seed = make_demo_exports.DEMO_EXPORTS[study]
    synthesize(study, tmp_path / study, fmt=fmt, seed=seed)
    bundled = make_demo_exports.raw_folder(study)
    assert digests(bundled) == digests(tmp_path / study)


def test_bundled_sail_is_trial_b_in_odm():
    files = sorted(p.name for p in make_demo_exports.raw_folder("sail").iterdir() if p.is_file())
    assert files == ["sail_odm.xml"]


def test_bundled_pmsc_cli_is_trial_a_in_redcap():
    raw = make_demo_exports.raw_folder("pmsc-cli")
    header = (raw / "dictionary.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith('"Variable / Field Name"')
