"""Nothing on the build path reads the clock: a package's timestamps come from
SOURCE_DATE_EPOCH or the study's output_date (sdtm.sdtmbuild.build_time), so identical
inputs give identical bytes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cdisc.errors import UsageError
from sdtm.sdtmbuild import build_time

ROOT = Path(__file__).resolve().parents[2]
CLOCK = re.compile(
    r"\b(?:datetime|dt)\.(?:now|utcnow|today)\(|\bdate\.today\(|\btime\.(?:time|time_ns|"
    r"localtime|gmtime|strftime|ctime)\(|getmtime\(|\.st_mtime\b|\.st_ctime\b"
)
#: Files allowed to read the clock, and why.
ALLOWED = {
    # Console progress bars time themselves; nothing they measure is written to a file.
    "cdisc/progress.py",
}


def test_no_package_source_reads_the_clock():
    found = []
    for package in ("cdisc", "sdtm", "adam", "define"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CLOCK.search(line.split("#")[0]):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert found == []


def test_source_date_epoch_wins_over_the_declared_date(monkeypatch):
    declared = dt.datetime(2025, 1, 1)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_time(declared) == declared
    # 1700000000 s after 1970-01-01T00:00:00Z is 2023-11-14T22:13:20 UTC (by hand: 19675
    # days and 80000 s).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_time(declared) == dt.datetime(2023, 11, 14, 22, 13, 20)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH='yesterday' is not a Unix time"):
        build_time(declared)
