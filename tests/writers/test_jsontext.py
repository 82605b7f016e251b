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


@pytest.mark.parametrize("indent", [1, 2])
@pytest.mark.parametrize(
    "document",
    [
        {"problems": FRAME, "errors": 2},
        {"a": [1, {"nested": FRAME}, FRAME.iloc[:0]], "b": {"c": FRAME.iloc[:1]}},
        [FRAME, FRAME],
        {"no columns": FRAME.iloc[:, :0]},
        {"plain": [1, "x", None, {"k": []}]},
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
