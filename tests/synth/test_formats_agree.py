"""The three formats of one study and seed carry the same records and values, so the SDTM
builds made from them can be compared."""

from __future__ import annotations

import pytest
from lxml import etree

#: Rave columns holding what was typed, by suffix preference.
TYPED = ("_RAW", "_STD", "")


def _odm(rb, root, study):
    out = {}
    for (subject, _), g in rb.odm_groups(root / f"{study}_odm.xml").items():
        key = (subject, g["event"], g["event_repeat"] or "", g["form"], g["repeat"] or "")
        out[key] = {oid.split(".", 1)[1]: v for oid, v in g["items"].items()}
    return out


def _rave(rb, root):
    out = {}
    for path in sorted(root.glob("*.csv")):
        header, rows = rb.read_csv(path)
        fields = header[header.index("MaxUpdated") + 1 :]
        base = [
            f
            for f in fields
            if not any(f.endswith(s) for s in ("_RAW", "_STD", "_INT", "_YYYY", "_MM", "_DD"))
        ]
        for row in rows:
            d = dict(zip(header, row, strict=True))
            rep = d["InstanceRepeatNumber"] if d["InstanceRepeatNumber"] != "0" else ""
            pos = d["RecordPosition"] if d["RecordPosition"] != "0" else ""
            key = (d["Subject"], d["Folder"], rep, path.stem.upper(), pos)
            values = {}
            for f in base:
                typed = next(d[f + s] for s in TYPED if f + s in d)
                if typed != "":
                    values[f] = typed
            out[key] = values
    return out


def _redcap(rb, root):
    """Records keyed like the others, values keyed by REDCap variable."""
    dictionary = rb.read_dicts(root / "dictionary.csv")
    labels = {e["unique_event_name"]: e["event_name"] for e in rb.read_dicts(root / "event.csv")}
    header, rows = rb.read_csv(root / "data.csv")
    fields: dict[str, list[dict]] = {}
    for d in dictionary[1:]:
        fields.setdefault(d["Form Name"], []).append(d)
    out = {}
    for row in rows:
        data = dict(zip(header, row, strict=True))
        instrument = data["redcap_repeat_instrument"]
        for form in [instrument] if instrument else list(fields):
            values = {}
            for d in fields[form]:
                var = d["Variable / Field Name"]
                if d["Field Type"] == "checkbox":
                    ticked = [
                        k.split("___")[1]
                        for k in header
                        if k.startswith(var + "___") and data[k] == "1"
                    ]
                    if ticked:
                        values[var] = ",".join(ticked)
                elif data[var] != "":
                    values[var] = data[var]
            if values:
                rep = data["redcap_repeat_instance"]
                key = (
                    data["record_id"],
                    labels[data["redcap_event_name"]],
                    "" if instrument else rep,
                    form.upper(),
                    rep if instrument else "",
                )
                out[key] = values
    return out


def _drop_position_in_repeated_events(records):
    """Forms inside a repeating event have no instance of their own in REDCap."""
    return {(k[0], k[1], k[2], k[3], "" if k[2] else k[4]): v for k, v in records.items()}


@pytest.mark.parametrize("study", ["sail", "pmsc-cli"])
@pytest.mark.parametrize("clean", [True, False])
def test_odm_rave_and_redcap_hold_the_same_data(export, rb, study, clean):
    odm_root = export(study, "odm", clean=clean).out
    odm = _odm(rb, odm_root, study)
    assert len(odm) > 500
    assert _rave(rb, export(study, "rave", clean=clean).out) == odm

    redcap = _drop_position_in_repeated_events(
        _redcap(rb, export(study, "redcap", clean=clean).out)
    )
    names = {
        e.get("OID"): e.get("Name")
        for e in etree.parse(str(odm_root / f"{study}_odm.xml")).iter(
            "{http://www.cdisc.org/ns/odm/v1.3}StudyEventDef"
        )
    }
    variables: dict[str, set[str]] = {}
    for key, values in redcap.items():
        variables.setdefault(key[3], set()).update(values)
    expected = {}
    for key, values in _drop_position_in_repeated_events(odm).items():
        form = key[3]

        def var(name: str, form: str = form) -> str:
            # REDCap variables are the lower-case names, prefixed by the instrument where
            # instruments share a name (LBDAT on four lab forms).
            low = name.lower()
            return low if low in variables.get(form, set()) else f"{form.lower()}_{low}"

        expected[(key[0], names[key[1]], *key[2:])] = {var(n): v for n, v in values.items()}
    assert redcap == expected
