"""Integration with the toolkit's raw readers: every export reads, and every ground-truth
``record`` finds exactly the raw row the reader produces, holding the recorded value."""

from __future__ import annotations

import pytest

readers = pytest.importorskip("cdisc.readers")

EXPORTS = [(s, f) for s in ("sail", "pmsc-cli") for f in ("odm", "redcap", "rave")]


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_ground_truth_lineage_matches_the_readers(export, rb, study, fmt):
    root = export(study, fmt).out
    raw = readers.read_export(root)
    assert raw.kind == fmt
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    # Each other format of a subject's id (subject_id_variant) reads as one more subject.
    variants = {r["value"] for r in defects if r["kind"] == "subject_id_variant"}
    assert raw.subjects == export(study, fmt).subjects + len(variants)
    checked = 0
    for row in defects:
        if not row["record"]:
            continue
        frame = raw.forms[row["form"]]
        owner = row["value"] if row["kind"] == "subject_id_variant" else row["subject"]
        hit = frame[(frame["_record"].astype(str) == row["record"]) & (frame["_subject"] == owner)]
        assert len(hit) == 1, row
        column = row["field"].split(".", 1)[-1]  # ODM ItemOID FORM.NAME -> column NAME
        if column in hit.columns:
            value = hit.iloc[0][column]
            assert ("" if value is None or value != value else value) == row["value"], row
            checked += 1
    assert checked > 100
