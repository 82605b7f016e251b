"""What every raw reader returns: one frame per form, each row carrying its lineage keys.

Readers keep values as text exactly as the export holds them (no type conversion, no
trimming, sentinel values such as ``ND`` or ``N/A`` kept verbatim); an item that is
absent or empty is missing (``None``/NaN). Interpretation belongs to the SDTM engine.

Lineage columns, present in every raw frame, in this order, before the data columns:

``_file``     source file name, relative to the export folder
``_form``     form (ODM FormOID / REDCap instrument / Rave form name)
``_record``   record id within the file: ODM path of repeat keys, REDCap or CSV line number
``_subject``  subject identifier as the EDC shows it to people
``_site``     site identifier, when the export carries one
``_event``    visit / event / folder name, when the export carries one
``_repeat``   repeat instance within the event (ODM repeat keys, redcap_repeat_instance,
              Rave RecordPosition), when the export carries one
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

LINEAGE_COLUMNS: tuple[str, ...] = (
    "_file",
    "_form",
    "_record",
    "_subject",
    "_site",
    "_event",
    "_repeat",
)

#: Suffix of the column that holds a coded item's decoded text, when the export's own
#: metadata (ODM CodeList, REDCap choices) can decode it.
DECODE_SUFFIX = "_DECODE"


@dataclass(frozen=True)
class FieldInfo:
    """A field as the export's own metadata declares it."""

    name: str
    label: str = ""
    datatype: str = "text"  # text | integer | float | date | time | datetime | boolean
    codelist: dict[str, str] | None = None  # coded value -> decode


@dataclass
class RawExport:
    """A raw EDC export read into memory.

    ``forms`` maps form name to its raw frame; ``fields`` maps form name to the fields the
    export declares for it (from ODM MetaDataVersion, a REDCap dictionary, or the columns of
    a Rave dataset), so specs can be checked against the source without reading the data.
    ``notes`` lists what the reader noticed but did not treat as an error (a fallback
    encoding, a stripped EOF trailer), each as ``path: message``.
    """

    kind: str  # "odm" | "redcap" | "rave"
    path: str
    forms: dict[str, pd.DataFrame]
    fields: dict[str, list[FieldInfo]] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)  # event id -> label
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """One row per form: records and subjects, sorted by form name."""
        rows = [
            {
                "form": name,
                "records": len(frame),
                "subjects": frame["_subject"].nunique(dropna=True),
            }
            for name, frame in sorted(self.forms.items())
        ]
        return pd.DataFrame(rows, columns=["form", "records", "subjects"])

    @property
    def subjects(self) -> int:
        """Distinct subjects over all forms."""
        seen: set[str] = set()
        for frame in self.forms.values():
            seen.update(frame["_subject"].dropna().astype(str))
        return len(seen)
