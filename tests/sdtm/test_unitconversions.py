"""The conversion table: read, inverted, checked."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cdisc.errors import SpecError
from sdtm.unitconversions import CONVERSIONS_FILE, find_conversion, read_conversions

HEADER = "test,from_unit,to_unit,factor,offset,source\n"


def test_every_row_has_its_inverse() -> None:
    with open(CONVERSIONS_FILE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    table = read_conversions()
    assert len(table) == 2 * len(rows)  # no row of the file is another row's inverse
    assert table["derived"].sum() == len(rows)
    assert all(row["source"].strip() for row in rows)


@pytest.mark.parametrize(
    ("test", "source", "target", "expected"),
    [
        ("CREAT", "mg/dL", "umol/L", (88.42, 0.0)),
        ("HGB", "g/dL", "g/L", (10.0, 0.0)),  # the * row
        ("HGB", "g/dL", "mmol/L", (0.6206, 0.0)),  # the test's own row
        ("GLUC", "mmol/L", "mg/dL", (18.016, 0.0)),  # inverse of 1/18.016
        ("TEMP", "C", "F", (1.8, 32.0)),  # inverse of 5/9, -160/9
        ("TEMP", "F", "C", (5 / 9, -160 / 9)),
        ("HBA1C", "mmol/mol", "%", (0.09148, 2.152)),  # inverse of the IFCC master equation
        ("ALT", "IU/L", "U/L", (1.0, 0.0)),
        ("SODIUM", "IU/L", "U/L", None),  # enzyme rows only
        ("CREAT", "mg/dL", "mmol/L", None),
        ("ANY", "kg", "kg", (1.0, 0.0)),
    ],
)
def test_find_conversion(test, source, target, expected) -> None:
    found = find_conversion(test, source, target)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected, rel=1e-12)


def test_every_problem_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "conversions.csv"
    path.write_text(
        HEADER
        + "CREAT,mg/dl,umol/L,88.42,0,typed synonym\n"  # line 2
        + "CREAT,mg/dL,furlong,1,0,unknown unit\n"  # line 3
        + "GLUC,mg/dL,mmol/L,zero,0,bad factor\n"  # line 4
        + "GLUC,mg/dL,mmol/L,1/0,0,division by zero\n"  # line 5
        + ",kg,LB,2,0,no test\n"  # line 6
        + "HGB,g/dL,mmol/L,0.6206,0,ok\n"  # line 7
        + "HGB,mmol/L,g/dL,1.611,0,not the inverse of line 7\n"  # line 8
        + "HGB,g/dL,mmol/L,0.6206,0,duplicate of line 7\n",  # line 9
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as caught:
        read_conversions(path)
    message = str(caught.value)
    for expected in (
        "line 2: from_unit 'mg/dl' is a synonym; write the CDISC UNIT value 'mg/dL'",
        "line 3: to_unit 'furlong' is not a CDISC UNIT value",
        "line 4: factor 'zero' is not a non-zero number or fraction",
        "line 5: factor '1/0' is not a non-zero number or fraction",
        "line 6: test is empty",
        "line 8: HGB mmol/L -> g/dL is not the inverse of the row for g/dL -> mmol/L",
        "line 9: duplicate row for HGB g/dL -> mmol/L",
    ):
        assert expected in message
    assert "line 7" not in message
    assert caught.value.location == "line 2"


def test_consistent_explicit_inverse_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "conversions.csv"
    path.write_text(
        HEADER + "HGB,g/dL,mmol/L,0.6206,0,x\nHGB,mmol/L,g/dL,1/0.6206,0,y\n", encoding="utf-8"
    )
    table = read_conversions(path)
    assert len(table) == 2 and not table["derived"].any()


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "conversions.csv"
    path.write_text("test,from_unit,to_unit,factor\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"lacks column\(s\) \['offset', 'source'\]"):
        read_conversions(path)
