"""dumps_indented writes exactly what json.dumps(indent=...) writes for the records."""

import json

import numpy as np
import pandas as pd
import pytest

from cdisc.writers.jsontext import dumps_indented, write_indented


def _records(value):
    if isinstance(value, pd.DataFrame):
        return value.astype(str).to_dict(orient="records")
    if isinstance(value, dict):
        return {k: _records(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_records(v) for v in value]
    return value


FRAME = pd.DataFrame(
    {
        "code": ["A1", 'quote " and \\ backslash', "line\nbreak\ttab\x01", "é ☃ 𝄞", None],
        "n": [1, 2.5, np.nan, None, 0],
        "empty": ["", " ", "", "", ""],
    }
)


# Columns that repeat their values (encoded once per distinct value), with missing values
# among them and a column of nothing but missing values.
REPEATS = pd.DataFrame(
    {
        "severity": ["warning", None, "warning", "error", None, "warning", "warning"],
        "code": ["SD1", "SD1", "SD1", "SD1", "SD1", "SD1", 'q"1'],
        "gone": [None] * 7,
    }
)


@pytest.mark.parametrize("indent", [1, 2])
@pytest.mark.parametrize(
    "document",
    [
        {"problems": FRAME, "errors": 2},
        {"a": [1, {"nested": FRAME}, FRAME.iloc[:0]], "b": {"c": FRAME.iloc[:1]}},
        [FRAME, FRAME],
        {"no columns": FRAME.iloc[:, :0]},
        {"plain": [1, "x", None, {"k": []}]},
        {"repeats": REPEATS, "mixed": pd.concat([FRAME, FRAME], ignore_index=True)},
    ],
)
def test_same_text_as_json_dumps(document, indent):
    assert dumps_indented(document, indent) == json.dumps(_records(document), indent=indent)


def test_write_indented_adds_final_newline(tmp_path):
    path = tmp_path / "r.json"
    write_indented(path, {"problems": FRAME.iloc[:2]})
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.loads(text)["problems"][1]["code"] == 'quote " and \\ backslash'


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_same_text_when_laid_out_a_slice_of_rows_at_a_time(monkeypatch, tmp_path, rows):
    # Slices of 1, 2 and 3 rows over 5 records: full, partial and single-row last slices.
    from cdisc.writers import jsontext

    monkeypatch.setattr(jsontext, "ROWS_PER_SLICE", rows)
    document = {"a": [FRAME, {"b": FRAME}], "none": FRAME.iloc[:, :0]}
    expected = json.dumps(_records(document), indent=1)
    assert dumps_indented(document) == expected
    write_indented(tmp_path / "r.json", document)
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == expected + "\n"


def test_a_value_that_looks_like_a_marker_stays_a_value():
    document = {"note": "@@cdisc-table-7@@", "problems": FRAME.iloc[:1]}
    assert dumps_indented(document) == json.dumps(_records(document), indent=1)
