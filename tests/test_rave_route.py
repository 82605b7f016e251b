"""Trial B from its Rave-style export (``sail-rave``) gives the same SDTM as from ODM (``sail``).

Issue 3, "Generality": the same trial exported by another EDC is new YAML, not new Python.
One module-scoped fixture synthesizes trial B twice with the same seed (ODM XML and Rave
per-form CSV carry the same records, see ``cdisc/synth/rave.py``), builds each through its
own bundled mapping folder with ``cdisc build STUDY --raw ...`` and every test compares the
two packages. The datasets compared are those the ODM build writes, so a domain added to
``mappings/sail`` without its twin in ``mappings/sail-rave`` fails here.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from click.testing import CliRunner

import mappings
from cdisc.cli import main
from cdisc.synth import synthesize

SEED = 1
SUBJECTS = 12
TABULATIONS = Path("m5", "datasets", "sail", "tabulations", "sdtm")

#: Variables left out of the comparison: source identifiers, which name where a record sits
#: in its EDC (ODM item-group repeat key vs Rave RecordPosition) rather than what was
#: collected. Matched as the name suffix of a domain's --SPID (AESPID, VSSPID, ...).
SOURCE_IDENTIFIER_SUFFIXES = ("SPID",)


def _build(study: str, raw: Path, out: Path) -> subprocess.Popen:
    """Start ``cdisc build STUDY --raw RAW --out OUT`` (the console entry point's module)."""
    command = [sys.executable, "-m", "cdisc.cli", "build", study, "--raw", str(raw)]
    return subprocess.Popen(
        [*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.fixture(scope="module")
def route(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthesize trial B in both formats (same seed) and build both routes side by side:
    two processes, since a build is mostly fixed cost (~10 s whatever the subject count)."""
    root = tmp_path_factory.mktemp("rave_route")
    synthesize("sail", root / "odm", fmt="odm", subjects=SUBJECTS, seed=SEED)
    synthesize("sail", root / "rave", fmt="rave", subjects=SUBJECTS, seed=SEED)
    out = root / "out"
    builds = [
        _build("sail", root / "odm" / "sail_odm.xml", out),
        _build("sail-rave", root / "rave", out),
    ]
    for build in builds:
        output, _ = build.communicate(timeout=300)
        if build.returncode != 0:  # a setup failure, not the xfail's AssertionError
            pytest.fail(f"{' '.join(build.args)}: exit {build.returncode}\n{output}")
    return {
        "odm_raw": root / "odm" / "sail_odm.xml",
        "odm": out / "sail" / TABULATIONS,
        "rave": out / "sail-rave" / TABULATIONS,
    }


def _read(path: Path) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(str(path))
    return frame


def _seq(name: str) -> str:
    return f"{name}SEQ"


def _compared_columns(frame: pd.DataFrame, name: str) -> list[str]:
    """All columns but source identifiers and --SEQ (checked on its own, see below)."""
    return [
        c for c in frame.columns if not c.endswith(SOURCE_IDENTIFIER_SUFFIXES) and c != _seq(name)
    ]


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` sorted on ``keys`` as text (missing first), index reset."""
    text = frame[keys].astype("string").fillna("\x00")
    order = np.lexsort([text[c].to_numpy() for c in reversed(keys)])
    return frame.iloc[order].reset_index(drop=True)


def _cells(a: pd.DataFrame, b: pd.DataFrame, columns: list[str], tag: str = "") -> list[dict]:
    found = []
    for column in columns:
        x, y = a[column], b[column]
        differ = ~((x == y) | (x.isna() & y.isna()))
        for row in np.flatnonzero(differ.to_numpy()):
            found.append({"row": int(row), "column": tag + column, "odm": x[row], "rave": y[row]})
    return found


def _parent_keys(frame: pd.DataFrame, name: str) -> pd.Series:
    """A parent record's content (compared columns joined), by USUBJID and --SEQ text."""
    columns = _compared_columns(frame, name)
    content = frame[columns].astype("string").fillna("").agg("|".join, axis=1)
    seq = frame[_seq(name)].map(lambda v: f"{v:g}")
    return pd.Series(content.to_numpy(), index=pd.MultiIndex.from_arrays([frame["USUBJID"], seq]))


def _resolve_idvarval(supp: pd.DataFrame, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """SUPP-- IDVARVAL that holds a parent's --SEQ, replaced by that parent's content.

    --SEQ among records equal in every sort key follows the raw record order, which differs
    between EDC exports; the parent's content names the same record in both builds."""
    out = supp.copy()
    for rdomain in out["RDOMAIN"].dropna().unique():
        rows = out["RDOMAIN"].eq(rdomain) & out["IDVAR"].eq(_seq(rdomain))
        if not rows.any() or rdomain not in parents:
            continue
        keys = _parent_keys(parents[rdomain], rdomain)
        wanted = pd.MultiIndex.from_arrays([out.loc[rows, "USUBJID"], out.loc[rows, "IDVARVAL"]])
        out.loc[rows, "IDVARVAL"] = keys.reindex(wanted).fillna("<no parent>").to_numpy()
    return out


def dataset_differences(
    odm: pd.DataFrame,
    rave: pd.DataFrame,
    name: str,
    *,
    sequence: list[str] | None = None,
    parents: tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """Cells that differ between two builds of dataset ``name``, source identifiers excluded.

    Rows are compared as multisets: both frames sorted on every compared column, natural
    keys (USUBJID, then ``sequence``) first. --SEQ is then compared with the frames sorted on (USUBJID, --SEQ):
    the sort keys ``sequence`` (the spec's ``sequence:``; every compared column when None)
    must agree record by record, so records tied on all of them may swap numbers, nothing
    else may. ``parents`` (ODM, Rave datasets by name) resolve SUPP-- IDVARVAL.
    Returns one row per differing cell (``row``, ``column``, ``odm``, ``rave``); different
    columns or row counts give one row with ``row`` -1.
    """
    found: list[dict[str, object]] = []
    if parents is not None and "IDVARVAL" in odm.columns:
        odm, rave = _resolve_idvarval(odm, parents[0]), _resolve_idvarval(rave, parents[1])
    left, right = _compared_columns(odm, name), _compared_columns(rave, name)
    if left != right or (_seq(name) in odm.columns) != (_seq(name) in rave.columns):
        found.append({"row": -1, "column": "<columns>", "odm": list(odm), "rave": list(rave)})
    elif len(odm) != len(rave):
        found.append({"row": -1, "column": "<rows>", "odm": len(odm), "rave": len(rave)})
    else:
        keys = [c for c in ("USUBJID", *(sequence or [])) if c in left]
        keys += [c for c in left if c not in keys]
        found += _cells(_sorted(odm, keys), _sorted(rave, keys), left)
        if _seq(name) in odm.columns:
            order = [c for c in ("USUBJID", _seq(name)) if c in odm.columns]
            compare = [*order, *(left if sequence is None else sequence)]
            found += _cells(_sorted(odm, order), _sorted(rave, order), compare, "<seq order> ")
    return pd.DataFrame(found, columns=["row", "column", "odm", "rave"])


def _sequence_keys(name: str) -> list[str] | None:
    """The ``sequence:`` sort keys of the ODM route's spec for ``name``, if it has one."""
    path = mappings.ROOT / "sail" / "sdtm" / f"{name.lower()}.yaml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("sequence")


@pytest.fixture(scope="module")
def differences(route: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Differences of every dataset the ODM build wrote, by dataset name."""
    odm = {p.stem.upper(): _read(p) for p in sorted(route["odm"].glob("*.xpt"))}
    rave = {p.stem.upper(): _read(p) for p in sorted(route["rave"].glob("*.xpt"))}
    out = {}
    for name, frame in odm.items():
        if name not in rave:
            out[name] = pd.DataFrame([{"row": -1, "column": "<missing dataset>"}])
            continue
        out[name] = dataset_differences(
            frame, rave[name], name, sequence=_sequence_keys(name), parents=(odm, rave)
        )
    return out


def test_both_builds_write_the_same_datasets(route: dict[str, Path]) -> None:
    odm = sorted(p.name for p in route["odm"].glob("*.xpt"))
    rave = sorted(p.name for p in route["rave"].glob("*.xpt"))
    assert odm == rave
    assert {"dm.xpt", "ae.xpt", "ex.xpt", "vs.xpt"} <= set(odm)
    for name in odm:  # a comparison of empty datasets would prove nothing
        assert len(_read(route["odm"] / name)) > 0, name
        assert len(_read(route["rave"] / name)) > 0, name


def test_same_content_apart_from_source_identifiers(
    differences: dict[str, pd.DataFrame],
) -> None:
    """Every dataset of the ODM build equals its Rave twin, cell by cell."""
    assert len(differences) >= 5  # DM, AE, SUPPAE, EX, VS at least
    problems = {
        dataset: cells.head(10).to_dict("records")
        for dataset, cells in differences.items()
        if not cells.empty
    }
    assert problems == {}


def test_comparison_detects_changes(route: dict[str, Path]) -> None:
    """The helper on a mutated copy of the ODM VS: one changed value, one lost row and a
    --SEQ swap between records of different sort keys are found; row order, a source
    identifier and a --SEQ swap between records tied on every sort key are not."""
    vs = _read(route["odm"] / "vs.xpt")
    keys = ["VSDTC", "VSTESTCD"]
    assert dataset_differences(vs, vs.copy(), "VS", sequence=keys).empty
    changed = vs.copy()
    changed.loc[changed.index[5], "VSORRES"] = "999.9"
    cells = dataset_differences(vs, changed, "VS", sequence=keys)
    assert cells[["column", "rave"]].to_dict("records") == [{"column": "VSORRES", "rave": "999.9"}]
    shuffled = vs.sample(frac=1.0, random_state=3)
    assert dataset_differences(vs, shuffled, "VS", sequence=keys).empty
    assert dataset_differences(vs, vs.iloc[1:], "VS").to_dict("records") == [
        {"row": -1, "column": "<rows>", "odm": len(vs), "rave": len(vs) - 1}
    ]
    spid = vs.assign(VSSPID="A")
    assert dataset_differences(spid, spid.assign(VSSPID="B"), "VS").empty
    # Two tests of one subject at one date and time (SYSBP and DIABP of one measurement).
    tied = vs[vs["VSDTC"].ne("") & vs.duplicated(["USUBJID", "VSDTC"], keep=False)]
    first = tied.index[0]
    second = tied.index[tied["VSDTC"].eq(tied.loc[first, "VSDTC"])][1]
    assert (
        vs.loc[first, ["USUBJID", "VSDTC"]].tolist()
        == vs.loc[second, ["USUBJID", "VSDTC"]].tolist()
    )
    assert vs.loc[first, "VSTESTCD"] != vs.loc[second, "VSTESTCD"]
    swapped = vs.copy()
    swapped.loc[[first, second], "VSSEQ"] = vs.loc[[second, first], "VSSEQ"].to_numpy()
    cells = dataset_differences(vs, swapped, "VS", sequence=keys)
    assert set(cells["column"]) == {"<seq order> VSTESTCD"}
    assert len(cells) == 2
    assert dataset_differences(vs, swapped, "VS", sequence=["VSDTC"]).empty  # a tie


def test_mapping_folders_differ_in_yaml_only() -> None:
    """Same file layout, YAML only, no Python; bundled raw data (sail's raw/) aside."""

    def files(name: str) -> set[str]:
        folder = mappings.ROOT / name
        return {
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.is_file()
            and "raw" not in p.relative_to(folder).parts[:1]
            and "__pycache__" not in p.parts
        }

    sail, rave = files("sail"), files("sail-rave")
    assert sail == rave
    assert "study.yaml" in sail and "sdtm/dm.yaml" in sail
    assert all(name.endswith(".yaml") for name in sail | rave)
    python = [p for n in ("sail", "sail-rave") for p in (mappings.ROOT / n).rglob("*.py")]
    assert python == []


def _commented(lines: list[str], j: int) -> bool:
    """Whether line ``j`` has a ``# Rave:`` comment: directly above it, or above the block
    opener it belongs to (a ``key:`` line with less indentation, as ``visit_dates:``)."""

    def comment_above(k: int) -> bool:
        return k > 0 and lines[k - 1].lstrip().startswith("# Rave:")

    if comment_above(j):
        return True
    indent = len(lines[j]) - len(lines[j].lstrip())
    for k in range(j - 1, -1, -1):
        text = lines[k]
        code = text.strip() and not text.lstrip().startswith("#")
        if code and len(text) - len(text.lstrip()) < indent:
            return text.rstrip().endswith(":") and comment_above(k)
    return False


def test_every_yaml_difference_is_commented() -> None:
    """Each line of mappings/sail-rave that differs from mappings/sail carries a one-line
    ``# Rave:`` comment saying why, directly above it (or above its block's opener)."""
    uncommented = []
    for path in sorted((mappings.ROOT / "sail-rave").rglob("*.yaml")):
        relative = path.relative_to(mappings.ROOT / "sail-rave")
        rave = path.read_text(encoding="utf-8").splitlines()
        sail = (mappings.ROOT / "sail" / relative).read_text(encoding="utf-8").splitlines()
        matcher = difflib.SequenceMatcher(a=sail, b=rave, autojunk=False)
        for tag, _, _, j1, j2 in matcher.get_opcodes():
            for j in range(j1, j2) if tag in ("replace", "insert") else ():
                text = rave[j].strip()
                if text and not text.startswith("#") and not _commented(rave, j):
                    uncommented.append(f"{relative}:{j + 1}: {text}")
    assert uncommented == []


def test_missing_raw_export_says_how_to_get_one(tmp_path: Path) -> None:
    """sail-rave bundles no export: without --raw the build names the path it looked at and
    says to pass --raw or generate one; ``cdisc build --help`` lists the study."""
    result = CliRunner().invoke(main, ["build", "sail-rave", "--out", str(tmp_path)])
    assert result.exit_code == 2
    message = result.output
    assert str(mappings.ROOT / "sail-rave" / "raw") in message
    assert "pass --raw" in message
    assert "cdisc synth --study sail --format rave --out DIR" in message
    assert not (tmp_path / "sail-rave").exists()  # nothing written
    assert "sail-rave" in CliRunner().invoke(main, ["build", "--help"]).output
