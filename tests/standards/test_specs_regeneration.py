"""scripts/make_specs.py: regenerates the committed specs/ byte for byte, and fails clearly."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from specs_official import ADAMIG, REPO, SDTM_CT, SHARED, read_csv

from specs import ROOT

#: What the brief asks specs/ to hold (besides specs/__init__.py, which the script leaves alone).
GENERATED = [
    "README.md",
    "adam/structures.csv",
    "adam/variables.csv",
    "ct/codelists.csv",
    "ct/metadata.json",
    "ct/terms.csv",
    "metadata.json",
    "sdtm/datasets.csv",
    "sdtm/variables.csv",
]


def files_under(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts
    )


def test_regeneration_is_byte_identical_to_committed_specs(make_specs, tmp_path):
    out = tmp_path / "specs"
    assert make_specs.main(["--shared", str(SHARED), "--out", str(out)]) == 0
    assert files_under(out) == GENERATED
    assert files_under(ROOT) == GENERATED
    for name in GENERATED:
        assert (out / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_committed_specs_are_utf8_with_lf_line_endings():
    for name in GENERATED:
        data = (ROOT / name).read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data, name
        assert data.endswith(b"\n"), name


def test_defaults_are_shared_beside_the_repo_and_specs(make_specs):
    args = make_specs.parse_args([])
    assert args.shared.resolve() == SHARED.resolve()
    assert args.out.resolve() == ROOT


def test_cli_bad_shared_folder_exits_1_without_traceback(tmp_path):
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [sys.executable, "scripts/make_specs.py", "--shared", str(missing), "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"{missing}: shared folder not found" in result.stderr
    assert "Traceback" not in result.stderr


def shared_copy(tmp_path: Path, adam_variables: list[dict[str, str]] | None = None) -> Path:
    """A shared/ tree whose ADaMIG Variables.csv may be replaced; the rest links to the original."""
    root = tmp_path / "shared"
    standards = root / "standards"
    (standards / "ig" / "adamig-1.3").mkdir(parents=True)
    os.symlink((SHARED / "standards" / "ct").resolve(), standards / "ct")
    os.symlink((SHARED / "standards/ig/sdtmig-3.4").resolve(), standards / "ig" / "sdtmig-3.4")
    target = standards / "ig" / "adamig-1.3"
    (target / "DataStructures.csv").write_bytes((ADAMIG / "DataStructures.csv").read_bytes())
    rows = adam_variables if adam_variables is not None else read_csv(ADAMIG / "Variables.csv")
    with (target / "Variables.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_missing_input_file_names_the_file(make_specs, tmp_path, capsys):
    shared = shared_copy(tmp_path)
    (shared / "standards/ig/adamig-1.3/DataStructures.csv").unlink()
    assert make_specs.main(["--shared", str(shared), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{shared / 'standards/ig/adamig-1.3/DataStructures.csv'}: input file not found" in err


def test_tte_variables_missing_from_adamig_are_added_and_marked(make_specs, tmp_path):
    tte = {"STARTDT", "STARTDTM", "STARTDTF", "STARTTMF", "CNSR", "EVNTDESC", "CNSDTDSC"}
    tte |= {"SRCDOM", "SRCVAR", "SRCSEQ"}
    rows = [r for r in read_csv(ADAMIG / "Variables.csv") if r["Variable Name"] not in tte]
    out = tmp_path / "out"
    assert make_specs.main(["--shared", str(shared_copy(tmp_path, rows)), "--out", str(out)]) == 0
    written = read_csv(out / "adam" / "variables.csv")
    added = {r["name"]: r for r in written if r["source"] != "ADaMIG v1.3"}
    assert set(added) == tte
    assert {r["source"] for r in added.values()} == {make_specs.TTE_SOURCE}
    assert "ADaM BDS-TTE" in make_specs.TTE_SOURCE
    assert all(r["structure"] == "BDS" for r in added.values())
    assert (added["CNSR"]["type"], added["CNSR"]["core"]) == ("Num", "Cond")
    assert added["STARTDTF"]["codelist_values"] == "DATEFL"
    assert "Rows so added: 10." in (out / "README.md").read_text(encoding="utf-8")


def test_adam_codelist_name_disagreeing_with_ct_is_an_error(make_specs, tmp_path, capsys):
    rows = read_csv(ADAMIG / "Variables.csv")
    row = next(r for r in rows if r["Variable Name"] == "TRTSDTF")
    row["CDISC CT Codelist Submission Value(s)"] = "DATEFX"
    shared = shared_copy(tmp_path, rows)
    assert make_specs.main(["--shared", str(shared), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "adamig-1.3/Variables.csv: ADSL.TRTSDTF names codelist C81223 as 'DATEFX'" in err


def ct_without(tmp_path: Path, codelist: str, name: str) -> Path:
    """A copy of the official SDTM CT file without one codelist (and its terms)."""
    lines = SDTM_CT.read_text(encoding="utf-8").split("\n")
    kept = [line for line in lines if codelist not in line.split("\t")[:2]]
    assert len(kept) < len(lines)
    path = tmp_path / name
    path.write_text("\n".join(kept), encoding="utf-8")
    return path


def test_keep_list_codelist_missing_from_ct_names_the_file(make_specs, tmp_path, capsys):
    ct = ct_without(tmp_path, "C101817", "SDTM Terminology 2025-03-28.txt")
    assert make_specs.main(["--ct", str(ct), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert str(ct) in err
    assert "codelist C101817 (EQ5D02TC) named in KEEP_CODELISTS is missing" in err


def test_referenced_codelist_missing_from_ct_names_variable_and_file(make_specs, tmp_path, capsys):
    ct = ct_without(tmp_path, "C66769", "SDTM Terminology 2025-03-28.txt")
    assert make_specs.main(["--ct", str(ct), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "codelist C66769 (variable AE.AESEV) is not in the CT files" in err
    assert str(ct) in err


def test_ct_from_another_release_records_its_version(make_specs, tmp_path, capsys):
    folder = tmp_path / "2099-01-01"
    folder.mkdir()
    ct = folder / "SDTM Terminology.txt"
    os.symlink(SDTM_CT.resolve(), ct)
    out = tmp_path / "out"
    assert make_specs.main(["--ct", str(ct), "--out", str(out)]) == 0
    metadata = json.loads((out / "ct" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["ct_version"] == "2099-01-01"
    assert metadata["packages"]["SDTM CT"] == {"date": "2099-01-01", "file": "SDTM Terminology.txt"}
    sdtm_rows = [r for r in read_csv(out / "ct" / "codelists.csv") if r["package"] == "SDTM CT"]
    assert {r["package_date"] for r in sdtm_rows} == {"2099-01-01"}

    undated = tmp_path / "terminology.txt"
    os.symlink(SDTM_CT.resolve(), undated)
    assert make_specs.main(["--ct", str(undated), "--out", str(out)]) == 1
    assert "cannot tell the CT package date" in capsys.readouterr().err
    assert (
        make_specs.main(["--ct", str(undated), "--ct-version", "2099-02-02", "--out", str(out)])
        == 0
    )


def test_ct_file_not_in_nci_layout_names_file_and_line(make_specs, tmp_path, capsys):
    ct = tmp_path / "SDTM Terminology 2025-03-28.txt"
    ct.write_text("Code,Codelist Code\nC1,\n", encoding="utf-8")
    assert make_specs.main(["--ct", str(ct), "--out", str(tmp_path / "out")]) == 1
    assert f"{ct}, line 1: not an NCI EVS terminology header" in capsys.readouterr().err
