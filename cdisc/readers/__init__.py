"""Raw EDC export readers: ODM 1.3.x XML, REDCap CSV + dictionary, Rave-style per-form files.

Every reader returns a :class:`~cdisc.readers.base.RawExport`: one text frame per form, each
row carrying the lineage columns of ``base.py``.

>>> from cdisc.readers import read_export
>>> export = read_export("exports/redcap/longitudinal")  # doctest: +SKIP
>>> export.kind, sorted(export.forms)[:2]  # doctest: +SKIP
('redcap', ['baseline_data', 'completion_data'])

:func:`read_declared` gives the forms and field names from the export's metadata alone.
"""

from cdisc.readers.base import DECODE_SUFFIX, LINEAGE_COLUMNS, FieldInfo, RawExport
from cdisc.readers.declared import read_declared
from cdisc.readers.detect import KINDS, detect_kind, read_export
from cdisc.readers.odm import read_odm
from cdisc.readers.rave import read_rave
from cdisc.readers.redcap import read_redcap

__all__ = [
    "DECODE_SUFFIX",
    "KINDS",
    "LINEAGE_COLUMNS",
    "FieldInfo",
    "RawExport",
    "detect_kind",
    "read_declared",
    "read_export",
    "read_odm",
    "read_rave",
    "read_redcap",
]
