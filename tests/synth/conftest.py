"""Shared fixtures for the generator tests: exports made once per session, and read-back
helpers that parse the written files with the csv module and lxml only (never with the
generator's own code), so the tests check the files, not the program's view of them."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from cdisc.synth import synthesize

ODM_NS = "{http://www.cdisc.org/ns/odm/v1.3}"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(scope="session")
def export(tmp_path_factory):
    """``export(study, fmt, clean=False, subjects=None, seed=1)`` -> SynthResult (cached)."""
    made: dict[tuple, object] = {}

    def make(study: str, fmt: str, clean: bool = False, subjects: int | None = None, seed: int = 1):
        key = (study, fmt, clean, subjects, seed)
        if key not in made:
            out = tmp_path_factory.mktemp(f"{study}-{fmt}-{'clean' if clean else 'messy'}")
            made[key] = synthesize(study, out, fmt=fmt, clean=clean, subjects=subjects, seed=seed)
        return made[key]

    return make


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of an export CSV (BOM dropped, Rave's EOF trailer dropped)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if rows and rows[-1] == ["EOF"]:
        rows = rows[:-1]
    return rows[0], rows[1:]


def read_dicts(path: Path) -> list[dict[str, str]]:
    header, rows = read_csv(path)
    return [dict(zip(header, r, strict=True)) for r in rows]


def odm_groups(path: Path) -> dict[tuple[str, str], dict]:
    """ODM item groups by (SubjectKey, lineage path ``SE[key]/FORM[key]/IG[key]``)."""
    out = {}
    root = etree.parse(str(path)).getroot()
    for subject in root.iter(ODM_NS + "SubjectData"):
        key = subject.get("SubjectKey")
        site = subject.find(ODM_NS + "SiteRef").get("LocationOID")
        for se in subject.iter(ODM_NS + "StudyEventData"):
            se_path = se.get("StudyEventOID") + (
                f"[{se.get('StudyEventRepeatKey')}]" if se.get("StudyEventRepeatKey") else ""
            )
            for fd in se.iter(ODM_NS + "FormData"):
                fd_path = fd.get("FormOID") + (
                    f"[{fd.get('FormRepeatKey')}]" if fd.get("FormRepeatKey") else ""
                )
                for ig in fd.iter(ODM_NS + "ItemGroupData"):
                    ig_path = ig.get("ItemGroupOID") + (
                        f"[{ig.get('ItemGroupRepeatKey')}]" if ig.get("ItemGroupRepeatKey") else ""
                    )
                    items = {i.get("ItemOID"): i.get("Value") for i in ig.iter(ODM_NS + "ItemData")}
                    path_key = (key, f"{se_path}/{fd_path}/{ig_path}")
                    assert path_key not in out, f"duplicate lineage path {path_key}"
                    out[path_key] = {
                        "subject": key,
                        "site": site,
                        "event": se.get("StudyEventOID"),
                        "event_repeat": se.get("StudyEventRepeatKey"),
                        "form": fd.get("FormOID"),
                        "repeat": ig.get("ItemGroupRepeatKey"),
                        "items": items,
                    }
    return out


def tree_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def manifest(root: Path) -> dict:
    return json.loads((root / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rb():
    """Read-back helpers as one namespace."""
    return SimpleNamespace(
        read_csv=read_csv,
        read_dicts=read_dicts,
        odm_groups=odm_groups,
        tree_hashes=tree_hashes,
        manifest=manifest,
        shared=SHARED,
    )
