"""The official files under ../shared, read independently with the csv module (no pandas, none of
the generator's or the loader's code), so tests compare the shipped specs against the source.
"""

from __future__ import annotations

import csv
import importlib.util
from collections import defaultdict
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).parents[2] / ".." / "shared"
SDTMIG = SHARED / "standards" / "ig" / "sdtmig-3.4"
ADAMIG = SHARED / "standards" / "ig" / "adamig-1.3"
CT = SHARED / "standards" / "ct" / "2025-03-28"
SDTM_CT = CT / "SDTM_Terminology_2025-03-28.txt"


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts (BOM ignored)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def sdtmig_variables() -> dict[str, list[dict[str, str]]]:
    """SDTMIG 3.4 Variables.csv rows per dataset, in Variable Order."""
    by_dataset: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_csv(SDTMIG / "Variables.csv"):
        by_dataset[row["Dataset Name"]].append(row)
    return {k: sorted(v, key=lambda r: int(r["Variable Order"])) for k, v in by_dataset.items()}


def adamig_variables() -> dict[str, list[dict[str, str]]]:
    """ADaMIG 1.3 Variables.csv rows per structure description, in file order."""
    by_structure: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_csv(ADAMIG / "Variables.csv"):
        by_structure[row["Data Structure Name"]].append(row)
    return dict(by_structure)


def _codelists(rows: list[list[str]]) -> dict[str, dict]:
    """Codelists of one CT file: code -> {value, extensible, terms}; terms as 4-tuples."""
    codelists = {
        r[0]: {"value": r[4], "extensible": r[2], "terms": set()} for r in rows if not r[1]
    }
    for r in rows:
        if r[1]:
            codelists[r[1]]["terms"].add((r[0], r[4], r[5], r[7]))
    return codelists


def sdtm_ct_rows(path: Path = SDTM_CT) -> list[list[str]]:
    """Records of an NCI EVS text file, split on tabs (header dropped)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [line.split("\t") for line in handle.read().split("\n")[1:] if line]


def official_ct() -> dict[str, dict]:
    """Every codelist of the three official CT files: code -> {value, extensible, terms}.

    ``terms`` is a set of (term code, submission value, synonyms, NCI preferred term). A codelist
    in several files is taken from the first of SDTM, ADaM, Define-XML CT (as specs/README says).
    """
    merged = _codelists(sdtm_ct_rows())
    for name in ("ADaM_CT_2025-03-28.csv", "Define-XML_CT_2025-03-28.csv"):
        with (CT / name).open(encoding="utf-8-sig", newline="") as handle:
            rows = [r[:8] for r in list(csv.reader(handle))[1:]]
        for code, codelist in _codelists(rows).items():
            merged.setdefault(code, codelist)
    return merged


def load_script() -> ModuleType:
    """scripts/make_specs.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_specs", REPO / "scripts" / "make_specs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
