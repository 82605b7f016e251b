"""distinct_rows / spread / by_value: per-distinct work spread back gives per-record results."""

import numpy as np
import pandas as pd

from sdtm.distinct import by_value, distinct_rows, spread


def test_distinct_rows_and_spread_round_trip():
    keys = pd.DataFrame(
        {"_subject": ["01", "02", "01", None, None], "_site": ["A", "B", "A", None, "C"]}
    )
    rows, codes = distinct_rows(keys)
    assert len(rows) == 4  # (01,A) (02,B) (None,None) (None,C), counted by hand
    back = rows.iloc[codes].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, keys, check_dtype=False)
    joined = rows["_subject"].fillna("-") + "/" + rows["_site"].fillna("-")
    got = spread(joined, codes, pd.Index([10, 11, 12, 13, 14]))
    assert got.tolist() == ["01/A", "02/B", "01/A", "-/-", "-/C"]
    assert got.index.tolist() == [10, 11, 12, 13, 14]


def test_by_value_equals_per_record_result():
    values = pd.Series([" a", "b ", " a", None, "", "  "], dtype="string", index=list("uvwxyz"))
    blank = by_value(values, lambda v: (v.str.len() > 0) & (v.str.strip() == ""))
    direct = (values.str.len() > 0) & (values.str.strip() == "")
    pd.testing.assert_series_equal(blank, direct)
    stripped = by_value(values, lambda v: v.str.strip())
    assert stripped.tolist() == ["a", "b", "a", pd.NA, "", ""]
    assert np.array_equal(stripped.index, values.index)
