"""Regenerate the raw exports bundled with the demo studies.

The bundled exports are plain ``cdisc synth`` output with the default seed, so anyone can
reproduce them; ``tests/test_demo_exports.py`` fails if they drift from the generator.

    python scripts/make_demo_exports.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cdisc.synth import synthesize  # noqa: E402

#: study name -> (export format, seed): the defaults of ``cdisc synth`` for each trial.
DEMO_EXPORTS = {"sail": ("odm", 1), "pmsc-cli": ("redcap", 1)}


def raw_folder(study: str) -> Path:
    """Where a bundled study keeps its raw export."""
    return REPO / "mappings" / study / "raw"


def main() -> None:
    for study, (fmt, seed) in DEMO_EXPORTS.items():
        target = raw_folder(study)
        if target.exists():
            shutil.rmtree(target)
        result = synthesize(study, target, fmt=fmt, seed=seed)
        print(
            f"{study}: {len(result.files)} files, {result.subjects} subjects, "
            f"{result.defects} defects -> {target.relative_to(REPO)}"
        )


if __name__ == "__main__":
    main()
