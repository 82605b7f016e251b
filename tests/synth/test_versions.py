"""``crf_version_change``: maximum walking distance as a number in CRF v1, as text with its
unit (``"150 m"``) in v2, for every record dated after the version date. The files are read
back with lxml and the csv module; the version date comes from the ODM ItemDef or the detail."""

from __future__ import annotations

import re

import pytest
from lxml import etree

NS = "{http://www.cdisc.org/ns/odm/v1.3}"
EXPORTS = [(s, f) for s in ("sail", "pmsc-cli") for f in ("odm", "redcap", "rave")]
DETAIL = re.compile(r"CRF version 2 \(records after (\d{4}-\d\d-\d\d)\): MWD .+")
ISO = re.compile(r"\d{4}-\d\d-\d\d")
V2 = re.compile(r"(\d+) m")


def _walk_records(rb, root, study, fmt):
    """{(subject, file, record): (WTDAT as typed, MWD as typed)} of every walking test."""
    out = {}
    if fmt == "odm":
        name = f"{study}_odm.xml"
        for (subject, path), g in rb.odm_groups(root / name).items():
            if g["form"] == "WALK":
                out[(subject, name, path)] = (
                    g["items"].get("WALK.WTDAT"),
                    g["items"].get("WALK.MWD"),
                )
        return out
    if fmt == "redcap":
        header, rows = rb.read_csv(root / "data.csv")
        d, m = header.index("wtdat"), header.index("mwd")
        for i, row in enumerate(rows, 1):
            if row[d] or row[m]:
                out[(row[0], "data.csv", str(i))] = (row[d], row[m])
        return out
    for i, row in enumerate(rb.read_dicts(root / "walk.csv"), 1):
        out[(row["Subject"], "walk.csv", str(i))] = (row["WTDAT_RAW"], row["MWD_RAW"])
    return out


@pytest.mark.parametrize(("study", "fmt"), EXPORTS)
def test_every_record_after_the_version_date_is_v2(export, rb, study, fmt):
    root = export(study, fmt).out
    defects = rb.read_dicts(root / "ground_truth" / "defects.csv")
    rows = [r for r in defects if r["kind"] == "crf_version_change"]
    assert rows
    dates = {DETAIL.fullmatch(r["detail"]).group(1) for r in rows}
    assert len(dates) == 1
    version = dates.pop()
    for r in rows:
        assert r["value"] == r["clean"] + " m" and r["clean"].isdigit(), r
        assert r["field"] == {"odm": "WALK.MWD", "redcap": "mwd", "rave": "MWD_RAW"}[fmt]
    changed = {(r["subject"], r["file"], r["record"]) for r in rows}
    # Other kinds may put a unit into the value too (embedded_unit), never on the same value.
    other = {
        (r["subject"], r["file"], r["record"]) for r in defects if r["field"] == rows[0]["field"]
    }
    other -= changed
    records = _walk_records(rb, root, study, fmt)
    assert changed <= set(records)
    for key, (day, mwd) in records.items():
        if key in changed:
            assert V2.fullmatch(mwd)
            if day and ISO.fullmatch(day):
                assert day > version, key
        elif day and ISO.fullmatch(day) and day > version:
            # After the version date a plain number is v1 and must not occur.
            assert not (mwd or "").isdigit(), key
        elif mwd and V2.fullmatch(mwd):
            assert key in other, key
    # Both versions occur in the default exports.
    assert any((m or "").isdigit() for _, m in records.values())


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
def test_odm_itemdef_declares_the_version_change(export, rb, study):
    root = export(study, "odm").out
    tree = etree.parse(str(root / f"{study}_odm.xml")).getroot()
    item = next(d for d in tree.iter(NS + "ItemDef") if d.get("OID") == "WALK.MWD")
    aliases = item.findall(NS + "Alias")
    assert len(aliases) == 1
    context = re.fullmatch(r"CRF version 2 from (\d{4}-\d\d-\d\d)", aliases[0].get("Context"))
    assert context
    detail = next(
        r["detail"]
        for r in rb.read_dicts(root / "ground_truth" / "defects.csv")
        if r["kind"] == "crf_version_change"
    )
    assert DETAIL.fullmatch(detail).group(1) == context.group(1)
    clean = export(study, "odm", clean=True).out / f"{study}_odm.xml"
    assert b"<Alias" not in clean.read_bytes()
    assert b' m"/>' not in clean.read_bytes()
