"""Shared helpers of the writer tests: small DatasetDefs and a TS-140 header parser."""

from __future__ import annotations

import struct
from pathlib import Path

from cdisc.metadata import DatasetDef, VariableDef


def dataset(
    name: str = "DM",
    label: str = "Demographics",
    variables: tuple[tuple, ...] = (
        ("STUDYID", "Study Identifier", "text"),
        ("USUBJID", "Unique Subject Identifier", "text"),
        ("AGE", "Age", "integer"),
    ),
    keys: tuple[str, ...] = (),
) -> DatasetDef:
    """A DatasetDef from ``(name, label, data_type[, extra fields])`` tuples, in order."""
    defs = tuple(
        VariableDef(v[0], v[1], v[2], order, **(v[3] if len(v) > 3 else {}))
        for order, v in enumerate(variables, start=1)
    )
    return DatasetDef(
        name,
        label,
        "Tabulation",
        "SDTMIG 3.4",
        "SPECIAL PURPOSE",
        "One record per subject",
        defs,
        keys=keys,
    )


def namestr_fields(path: Path) -> list[dict]:
    """Name, type, width, label and format of each variable, parsed straight from the
    NAMESTR records (SAS TS-140: 140 bytes each, after the 8 header records of 80 bytes),
    without pyreadstat or pandas."""
    raw = path.read_bytes()
    count = int(raw[560 + 54 : 560 + 58])
    fields = []
    for i in range(count):
        record = raw[640 + 140 * i : 640 + 140 * (i + 1)]
        ntype, _, length, _, name, label, form, flen, fdec = struct.unpack(
            ">hhhh8s40s8shh", record[:68]
        )
        fields.append(
            {
                "type": {1: "Num", 2: "Char"}[ntype],
                "length": length,
                "name": name.decode("ascii").rstrip(),
                "label": label.decode("ascii").rstrip(),
                "format": form.decode("ascii").rstrip(),
                "format_width": flen,
                "format_decimals": fdec,
            }
        )
    return fields


def observations(path: Path) -> bytes:
    """The observation bytes of a one-dataset XPT file, trailing padding included."""
    raw = path.read_bytes()
    count = int(raw[560 + 54 : 560 + 58])
    start = 640 + -(-140 * count // 80) * 80 + 80
    return raw[start:]
