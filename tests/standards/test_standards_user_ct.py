"""Standards.load(ct=...): the user's own NCI EVS file or specs/ct-format folder, and bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from specs_official import SDTM_CT, read_csv, sdtm_ct_rows

from cdisc.errors import InputError, SpecError
from cdisc.standards import NCI_EVS_COLUMNS, Standards
from specs import ROOT

HEADER = "\t".join(NCI_EVS_COLUMNS)
NY = [
    "C66742\t\tNo\tNo Yes Response\tNY\tNo Yes Response\tA term.\tCDISC SDTM Yes No Terminology",
    "C49487\tC66742\t\tNo Yes Response\tN\tNo\tThe non-affirmative response.\tNo",
    "C49488\tC66742\t\tNo Yes Response\tY\tYes\tThe affirmative response.\tYes",
]


def write(tmp_path: Path, lines: list[str], name: str = "SDTM Terminology 2031-01-31.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_full_official_file_loads(std):
    full = Standards.load(ct=SDTM_CT)
    rows = sdtm_ct_rows()
    in_file = {r[0] for r in rows if not r[1]}
    shipped_other = {
        r["code"] for r in read_csv(ROOT / "ct" / "codelists.csv") if r["package"] != "SDTM CT"
    }
    assert set(full.codelist_codes) == in_file | shipped_other
    assert full.ct_version == "2025-03-28"
    # a codelist the shipped subset leaves out, with its terms counted from the file
    walk = full.codelist("TENMW1TC")
    assert walk.code == "C141657"
    assert len(walk.terms) == sum(1 for r in rows if r[1] == "C141657")
    assert full.codelist("DATEFL").package == "ADaM CT"
    assert full.sdtm_variables("AE") == std.sdtm_variables("AE")
    assert Standards.load(ct=str(SDTM_CT)) is full


def test_small_user_file_replaces_sdtm_ct_and_keeps_adam_ct(tmp_path):
    path = write(tmp_path, [HEADER, *NY])
    user = Standards.load(ct=path)
    assert user.ct_version == "2031-01-31"
    assert user.codelist("NY").values == ("N", "Y")
    assert user.codelist("NY").package_date == "2031-01-31"
    assert user.codelist("DATEFL").values == ("D", "M", "Y")
    with pytest.raises(
        SpecError, match=r"unknown codelist 'AESEV' in CT 2031-01-31 \(did you mean"
    ):
        user.codelist("AESEV")


def test_changed_file_is_read_again(tmp_path):
    path = write(tmp_path, [HEADER, *NY])
    first = Standards.load(ct=path)
    assert Standards.load(ct=path) is first
    write(tmp_path, [HEADER, *NY[:2]])
    os.utime(path, ns=(1, 1))
    second = Standards.load(ct=path)
    assert second is not first
    assert second.codelist("NY").values == ("N",)


def test_crlf_and_bom_are_accepted(tmp_path):
    path = tmp_path / "ct 2031-01-31.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([HEADER, *NY]).encode("utf-8") + b"\r\n")
    assert Standards.load(ct=path).codelist("C66742").values == ("N", "Y")


def test_folder_in_specs_ct_format(tmp_path):
    folder = tmp_path / "ct"
    shutil.copytree(ROOT / "ct", folder)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    metadata["ct_version"] = "2030-12-31"
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    loaded = Standards.load(ct=folder)
    assert loaded.ct_version == "2030-12-31"
    assert loaded.codelist("AESEV").values == ("MILD", "MODERATE", "SEVERE")


def test_folder_without_metadata_is_input_error(tmp_path):
    folder = tmp_path / "ct"
    shutil.copytree(ROOT / "ct", folder)
    (folder / "metadata.json").unlink()
    with pytest.raises(InputError) as caught:
        Standards.load(ct=folder)
    assert caught.value.path == str(folder / "metadata.json")


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (["Code\tName", *NY], 1, "not an NCI EVS terminology header"),
        (
            [HEADER, NY[0], "C49487\tC66742\tNo Yes Response\tN"],
            3,
            "expected 8 tab-separated fields, found 4",
        ),
        (
            [HEADER, NY[0].replace("\tNo\t", "\tMaybe\t", 1), *NY[1:]],
            2,
            "Extensible must be Yes or No",
        ),
        (
            [HEADER, NY[0], NY[1].replace("C49487", "49487"), NY[2]],
            3,
            "Code field is not an NCI C-code",
        ),
        ([HEADER, *NY, NY[0]], 5, "codelist defined twice"),
        (
            [HEADER, *NY, NY[1].replace("\tC66742\t", "\tC99999\t")],
            5,
            "term of a codelist the file does not define",
        ),
        ([HEADER], 2, "no codelists"),
    ],
)
def test_bad_layout_names_file_and_line(tmp_path, lines, line, message):
    path = write(tmp_path, lines)
    with pytest.raises(InputError) as caught:
        Standards.load(ct=path)
    error = caught.value
    assert (error.path, error.location) == (str(path.resolve()), f"line {line}")
    assert message in error.message
    assert str(error).startswith(f"{path.resolve()}, line {line}: ")


def test_non_utf8_names_the_line(tmp_path):
    path = tmp_path / "ct.txt"
    path.write_bytes("\n".join([HEADER, *NY[:2]]).encode("utf-8") + b"\nC1\t\tNo\tX\tX\t\xff\t\t\n")
    with pytest.raises(InputError) as caught:
        Standards.load(ct=path)
    assert caught.value.location == "line 4"
    assert "not UTF-8" in caught.value.message


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(InputError) as caught:
        Standards.load(ct=tmp_path / "absent.txt")
    assert caught.value.path == str((tmp_path / "absent.txt").resolve())
    assert "cannot read CT file" in caught.value.message
