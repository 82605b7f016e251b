"""REDCap data dictionaries: fields, choices, and which export column belongs to which form.

The dictionary is the CSV from a project's "Data Dictionary" page (18 columns; older ones
lack "Field Annotation"). Columns are found by name, so their order does not matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd

from cdisc.errors import InputError
from cdisc.readers.base import FieldInfo
from cdisc.readers.textfile import read_csv_frame

#: First header cell of a REDCap data dictionary (the "Data Dictionary" CSV download).
DICTIONARY_MARKER = "Variable / Field Name"

#: Columns REDCap adds to a records export besides the dictionary's fields.
SYSTEM_COLUMNS: tuple[str, ...] = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
)

_NAME = DICTIONARY_MARKER
_FORM = "Form Name"
_TYPE = "Field Type"
_LABEL = "Field Label"
_CHOICES = "Choices, Calculations, OR Slider Labels"
_VALIDATION = "Text Validation Type OR Show Slider Number"
_REQUIRED = (_NAME, _FORM, _TYPE, _LABEL, _CHOICES)

#: Field types whose dictionary "choices" are code/label pairs.
_CHOICE_TYPES = frozenset({"radio", "dropdown", "checkbox"})
#: Fixed codings of REDCap's two boolean field types.
_FIXED_CHOICES = {
    "yesno": (("1", "Yes"), ("0", "No")),
    "truefalse": (("1", "True"), ("0", "False")),
}
#: The ``<form>_complete`` status codes, as REDCap's own ODM export declares them
#: (CodeList ``<form>_complete.choices`` in the project.xml files of its test projects).
COMPLETE_CODES = (("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete"))
#: Values of a checkbox column in raw and in label exports.
CHECKED = ("1", "Checked")
UNCHECKED = ("0", "Unchecked")


@dataclass(frozen=True)
class DictionaryField:
    name: str
    form: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...]
    validation: str


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    """Split a dictionary "choices" cell into (code, label) pairs, labels kept whole.

    Choices are separated by ``|`` and each splits at its first comma, so a label may hold
    commas. Spaces around codes and labels are not part of them.

    >>> parse_choices("1, Male | 2, Female, or other")
    (('1', 'Male'), ('2', 'Female, or other'))
    >>> parse_choices("a, A|b, B")
    (('a', 'A'), ('b', 'B'))
    """
    pairs = []
    for part in text.split("|"):
        part = part.strip()
        if not part:
            continue
        code, comma, label = part.partition(",")
        pairs.append((code.strip(), label.strip() if comma else code.strip()))
    return tuple(pairs)


def checkbox_column(field: str, code: str) -> str:
    """The export column of one checkbox choice: ``field___code``.

    REDCap lower-cases the code and turns every character other than a letter or digit into
    ``_``, so code ``-99`` exports as ``field____99`` (four underscores). Sources:
    REDCapTidieR issue #31 / PR #32, redcapAPI issue #90.

    >>> checkbox_column("race", "-99")
    'race____99'
    >>> checkbox_column("check_two", "A")
    'check_two___a'
    """
    return f"{field}___{re.sub(r'[^0-9a-z]', '_', code.lower())}"


def field_datatype(field_type: str, validation: str) -> str:
    """The FieldInfo datatype of a REDCap field type and text validation.

    >>> field_datatype("text", "date_dmy"), field_datatype("yesno", ""), field_datatype("notes", "")
    ('date', 'boolean', 'text')
    """
    if field_type in ("yesno", "truefalse"):
        return "boolean"
    if field_type == "calc":
        return "float"
    if field_type == "slider":
        return "integer"
    if field_type != "text":
        return "text"
    if validation.startswith("datetime"):
        return "datetime"
    if validation.startswith("date"):
        return "date"
    if validation.startswith("time"):
        return "time"
    if validation == "integer":
        return "integer"
    if validation.startswith("number"):
        return "float"
    return "text"


def read_dictionary(
    path: str | PathLike[str], *, encoding: str | None = None
) -> tuple[list[DictionaryField], list[str]]:
    """Read a REDCap data dictionary (with or without "Field Annotation") and its notes."""
    table = read_csv_frame(path, encoding=encoding)
    frame = table.frame
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            f"not a REDCap data dictionary: no column {missing[0]!r}",
            path=path,
            location="line 1",
            hint="download the data dictionary (CSV) from the same REDCap project",
        )
    validation = (
        frame[_VALIDATION] if _VALIDATION in frame.columns else pd.Series("", index=frame.index)
    )
    fields: list[DictionaryField] = []
    seen: set[str] = set()
    rows = zip(
        frame[_NAME].fillna(""),
        frame[_FORM].fillna(""),
        frame[_TYPE].fillna(""),
        frame[_LABEL].fillna(""),
        frame[_CHOICES].fillna(""),
        validation.fillna(""),
        strict=True,
    )
    # One dictionary row per field: a small, fixed-size table, not data.
    for number, (name, form, ftype, label, choices, valid) in enumerate(rows, start=1):
        where = f"data row {number}"
        if not name or not form:
            raise InputError(
                "dictionary row without a field name or form name", path=path, location=where
            )
        if name in seen:
            raise InputError(f"field {name!r} is declared twice", path=path, location=where)
        seen.add(name)
        ftype = ftype.strip().lower()
        pairs = parse_choices(choices) if ftype in _CHOICE_TYPES else _FIXED_CHOICES.get(ftype, ())
        fields.append(DictionaryField(name, form, ftype, label, pairs, valid.strip()))
    return fields, table.notes


class Layout:
    """Which data column belongs to which form, from the dictionary; checks the data header."""

    def __init__(self, fields: list[DictionaryField], columns: Iterable[str]) -> None:
        self.fields = fields
        self.columns = list(columns)
        present = set(self.columns)
        self.record_id = fields[0].name
        self.forms: list[str] = list(dict.fromkeys(f.form for f in fields))
        self.owner: dict[str, str] = {}
        self.checkbox: dict[str, list[tuple[str, str, str]]] = {}
        for f in fields:
            if f.type == "descriptive":
                continue
            if f.type == "checkbox":
                choices = [
                    (code, label, checkbox_column(f.name, code)) for code, label in f.choices
                ]
                self.checkbox[f.name] = [c for c in choices if c[2] in present]
                for _, _, column in choices:
                    self.owner[column] = f.form
            else:
                self.owner[f.name] = f.form
        for form in self.forms:
            self.owner[f"{form}_complete"] = form
            self.owner[f"{form}_timestamp"] = form

    def check(self, data_path: Path, dictionary_path: Path) -> None:
        """Every data column must be declared; raise ``InputError`` on the first that is not."""
        if self.record_id not in self.columns:
            raise InputError(
                f"no column for the record id field {self.record_id!r} (the dictionary's first field)",
                path=data_path,
                location="line 1",
                hint=f"export the records together with {self.record_id!r}",
            )
        for number, column in enumerate(self.columns, start=1):
            if column in self.owner or column in SYSTEM_COLUMNS:
                continue
            if column in self.checkbox:
                hint = "a checkbox exports one column per choice (field___code); re-export raw data"
            else:
                hint = "re-export the data dictionary from the same project as the data"
            raise InputError(
                f"column {column!r} (column {number}) is not declared in the data dictionary "
                f"{dictionary_path}",
                path=data_path,
                location=f"line 1, column {number}",
                hint=hint,
            )

    def form_columns(self, form: str) -> list[str]:
        """The data columns of one form, in dictionary order (record id excluded)."""
        out: list[str] = []
        for f in self.fields:
            if f.form != form or f.name == self.record_id or f.type == "descriptive":
                continue
            if f.type == "checkbox":
                out.extend(column for _, _, column in self.checkbox[f.name])
            elif f.name in self.columns:
                out.append(f.name)
        for extra in (f"{form}_timestamp", f"{form}_complete"):
            if extra in self.columns:
                out.append(extra)
        return out


def form_fields(layout: Layout, form: str) -> list[FieldInfo]:
    """The FieldInfo of a form's fields in dictionary order, then its timestamp and status.

    Checkbox, radio, dropdown, yesno and truefalse fields carry their choices as codelist.
    """
    infos = [
        FieldInfo(
            name=f.name,
            label=f.label,
            datatype=field_datatype(f.type, f.validation),
            codelist=dict(f.choices) or None,
        )
        for f in layout.fields
        if f.form == form and f.type != "descriptive"
    ]
    if f"{form}_timestamp" in layout.columns:
        infos.append(
            FieldInfo(name=f"{form}_timestamp", label="Survey timestamp", datatype="datetime")
        )
    infos.append(
        FieldInfo(name=f"{form}_complete", label="Complete?", codelist=dict(COMPLETE_CODES))
    )
    return infos
