"""Shared fixtures of the SDTM primitive tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Real exports nobody here wrote (pharmaverse sdtm.oak raw data, Rave style).
EXPORTS = Path(os.environ.get("CDISC_EDC_EXPORTS", "/work/shared/edc-exports"))


@pytest.fixture(scope="session")
def rave_folder() -> Path:
    folder = EXPORTS / "rave-style"
    if not (folder / "cm_raw_data.csv").is_file():
        pytest.skip(f"real EDC exports not found at {EXPORTS} (set CDISC_EDC_EXPORTS)")
    return folder
