"""The toolkit's standards load from specs/ alone: nothing under ../shared is opened."""

from __future__ import annotations

import json
import subprocess
import sys

from specs_official import SHARED

# Runs in a fresh interpreter whose working directory holds nothing; an audit hook records every
# file the process opens, so a read of ../shared would show up even if it happened to succeed.
CHILD = """
import json, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and isinstance(args[0], str) else None)
from cdisc.standards import Standards
std = Standards.load()
print(json.dumps({
    "opened": opened,
    "ae": len(std.sdtm_variables("AE")),
    "tte": std.adam_variable("TTE", "CNSR").name,
    "aesev": std.codelist("AESEV").values,
    "version": std.ct_version,
}))
"""


def test_loads_without_shared(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    shared = str(SHARED.resolve())
    assert not [p for p in report["opened"] if p.startswith(shared)]
    assert any(p.endswith("specs/ct/terms.csv") for p in report["opened"])
    assert report["ae"] == 60  # AE rows in SDTMIG 3.4 Variables.csv
    assert report["tte"] == "CNSR"
    assert report["aesev"] == ["MILD", "MODERATE", "SEVERE"]
    assert report["version"] == "2025-03-28"
