"""REDCap raw CSV export + data dictionary reader.

A REDCap "raw" export is one wide CSV with a row per record, event and repeat instance; the
data dictionary says which instrument (form) each column belongs to and how coded fields
decode. This reader cuts the wide file into one frame per instrument, un-pivots checkboxes
(``race___1`` ... ``race___6`` -> ``race``) and decodes coded fields from the dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import InputError, UsageError
from cdisc.readers.base import DECODE_SUFFIX, FieldInfo, RawExport
from cdisc.readers.frames import assemble_frame
from cdisc.readers.redcap_dictionary import (
    CHECKED,
    COMPLETE_CODES,
    DICTIONARY_MARKER,
    UNCHECKED,
    Layout,
    form_fields,
    read_dictionary,
)
from cdisc.readers.textfile import first_record, read_csv_frame


@dataclass
class _Files:
    data: Path
    dictionary: Path
    events: Path | None = None
    arms: Path | None = None
    mapping: Path | None = None


def _csv_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith((".", "~$"))
    )


def find_dictionaries(folder: Path) -> list[Path]:
    """The CSV files directly in ``folder`` whose header starts with "Variable / Field Name"."""
    return [p for p in _csv_files(folder) if first_record(p)[:1] == [DICTIONARY_MARKER]]


def _locate(
    folder: Path | None,
    data: Path | None,
    dictionary: Path | None,
    events: Path | None,
    notes: list[str],
) -> _Files:
    if folder is None:
        if data is None or dictionary is None:
            raise UsageError(
                "read_redcap needs a folder, or both data= and dictionary=",
                hint="pass the export folder, e.g. read_redcap(Path('export/'))",
            )
        return _Files(data=Path(data), dictionary=Path(dictionary), events=events)
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(
            "not a folder" if folder.exists() else "folder not found",
            path=folder,
            hint="expected a folder holding a REDCap data CSV and its data dictionary",
        )
    csvs = _csv_files(folder)
    if dictionary is None:
        found = find_dictionaries(folder)
        if not found:
            raise InputError(
                'no REDCap data dictionary (a CSV whose header starts with "Variable / Field Name")',
                path=folder,
                hint="download the data dictionary from the project's Data Dictionary page",
            )
        if len(found) > 1:
            raise InputError(
                "several data dictionaries: " + ", ".join(p.name for p in found),
                path=folder,
                hint="pass the right one with dictionary=",
            )
        dictionary = found[0]
    dictionary = Path(dictionary)
    record_id = next(iter(_first_field(dictionary)), None)
    files = _Files(data=Path(data) if data else folder, dictionary=dictionary, events=events)
    candidates: list[Path] = []
    others: list[Path] = []
    for path in csvs:
        if path == dictionary:
            continue
        header = first_record(path)
        names = set(header)
        if {"unique_event_name", "event_name"} <= names:
            files.events = files.events or path
        elif {"arm_num", "unique_event_name", "form"} <= names:
            files.mapping = path
        elif {"arm_num", "name"} <= names:
            files.arms = path
        elif record_id is not None and header[:1] == [record_id]:
            candidates.append(path)
        elif data is None or Path(data) != path:
            others.append(path)
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xml"):
        notes.append(f"{path}: ignored by the REDCap reader (read it with kind='odm')")
    if data is None and not candidates and len(others) == 1:
        # One unrecognised CSV next to the dictionary is the data, even with a header that
        # does not start with the record id (or no header at all): reading it says what is
        # wrong with it.
        candidates = others
        others = []
    for path in others:
        notes.append(f"{path}: not a REDCap data, dictionary, event, arm or mapping file; ignored")
    if data is None:
        if not candidates:
            raise InputError(
                f"no data CSV whose first column is the record id field {record_id!r}",
                path=folder,
                hint="export the records as CSV (raw) from the same project, or pass data=",
            )
        if len(candidates) > 1:
            raise InputError(
                "several data CSVs: " + ", ".join(p.name for p in candidates),
                path=folder,
                hint="pass the right one with data=",
            )
        files.data = candidates[0]
    return files


def _first_field(dictionary: Path) -> list[str]:
    """The first field name of a dictionary (the record id), read cheaply for file detection."""
    try:
        fields, _ = read_dictionary(dictionary)
    except InputError:
        return []
    return [fields[0].name] if fields else []


def _read_events(path: Path, encoding: str | None) -> tuple[dict[str, str], list[str]]:
    table = read_csv_frame(path, encoding=encoding)
    frame = table.frame
    for column in ("unique_event_name", "event_name"):
        if column not in frame.columns:
            raise InputError(
                f"not a REDCap event file: no column {column!r}",
                path=path,
                location="line 1",
                hint="download the events (CSV) from the project's Define My Events page",
            )
    events = dict(zip(frame["unique_event_name"], frame["event_name"].fillna(""), strict=True))
    return events, table.notes


def _unpivot_checkbox(
    block: pd.DataFrame, codes: list[str], labels: list[str]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Checked codes and labels joined by ``|`` in choice order, per row.

    ``""`` where the row answers the checkbox and nothing is checked; missing where every
    choice column is blank. Also returns how many cells hold something other than 0/1.
    """
    values = block.to_numpy(dtype=object, na_value=None)
    checked = np.zeros(values.shape, dtype=bool)
    known = np.zeros(values.shape, dtype=bool)
    for mark in CHECKED:
        checked |= values == mark
    known |= checked
    for mark in UNCHECKED:
        known |= values == mark
    blank = pd.isna(values)
    odd = int((~known & ~blank).sum())
    joined_codes = np.full(len(values), "", dtype=object)
    joined_labels = np.full(len(values), "", dtype=object)
    for j, (code, label) in enumerate(zip(codes, labels, strict=True)):
        hit = checked[:, j]
        joined_codes[hit] = joined_codes[hit] + code + "|"
        joined_labels[hit] = joined_labels[hit] + label + "|"
    ends = joined_codes != ""
    joined_codes[ends] = pd.Series(joined_codes[ends], dtype=object).str[:-1].to_numpy()
    joined_labels[ends] = pd.Series(joined_labels[ends], dtype=object).str[:-1].to_numpy()
    none = blank.all(axis=1)
    joined_codes[none] = None
    joined_labels[none] = None
    return joined_codes, joined_labels, odd


def _form_body(
    layout: Layout, form: str, rows: pd.DataFrame, notes: list[str], path: Path
) -> pd.DataFrame:
    """The data columns of one form for its rows: raw values, un-pivoted checkboxes, decodes."""
    out: dict[str, object] = {}
    decoded = {
        f.name: dict(f.choices)
        for f in layout.fields
        if f.form == form and f.choices and f.type != "checkbox"
    }
    for f in layout.fields:
        if f.form != form or f.type == "descriptive":
            continue
        if f.type == "checkbox":
            choices = layout.checkbox[f.name]
            if not choices:
                continue
            codes, labels, odd = _unpivot_checkbox(
                rows[[c for _, _, c in choices]],
                [c for c, _, _ in choices],
                [lab for _, lab, _ in choices],
            )
            if odd:
                notes.append(
                    f"{path}: checkbox {f.name!r} has {odd} value(s) other than 0/1; "
                    "read as not checked"
                )
            out[f.name] = codes
            out[f.name + DECODE_SUFFIX] = labels
        elif f.name in rows.columns:
            out[f.name] = rows[f.name].to_numpy(dtype=object, na_value=None)
            if f.name in decoded:
                # Undecodable values stay missing: a decode is never guessed.
                out[f.name + DECODE_SUFFIX] = (
                    rows[f.name].map(decoded[f.name]).to_numpy(dtype=object, na_value=None)
                )
    stamp = f"{form}_timestamp"
    if stamp in rows.columns:
        out[stamp] = rows[stamp].to_numpy(dtype=object, na_value=None)
    complete = f"{form}_complete"
    if complete in rows.columns:
        out[complete] = rows[complete].to_numpy(dtype=object, na_value=None)
        out[complete + DECODE_SUFFIX] = (
            rows[complete].map(dict(COMPLETE_CODES)).to_numpy(dtype=object, na_value=None)
        )
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows)))


def read_redcap(
    folder: str | PathLike[str] | None = None,
    *,
    data: str | PathLike[str] | None = None,
    dictionary: str | PathLike[str] | None = None,
    events: str | PathLike[str] | None = None,
    encoding: str | None = None,
) -> RawExport:
    """Read a REDCap raw CSV export with its data dictionary; one frame per instrument.

    ``folder`` is searched for the dictionary (a CSV whose header starts with
    "Variable / Field Name", whatever its name), the data CSV (first column = the
    dictionary's first field), and, when present, the events (``unique_event_name``,
    ``event_name``), arms and instrument-event mapping files; ``data=``, ``dictionary=``
    and ``events=`` name files explicitly (with or without a folder).

    Adds, per instrument (the dictionary's "Form Name"), the rows that belong to it: a row
    with ``redcap_repeat_instrument`` equal to the instrument, or a row with it blank and
    some field of the instrument (or its ``<form>_complete``) non-empty. Lineage:
    ``_record`` the 1-based data row of the CSV, ``_subject`` the record id,
    ``_event`` ``redcap_event_name``, ``_repeat`` ``redcap_repeat_instance``, ``_site``
    ``redcap_data_access_group``. Checkbox columns ``field___code`` become ``field``
    (checked codes joined by ``|`` in choice order, ``""`` if none is checked, missing if
    all are blank) and ``field_DECODE``; radio, dropdown, yesno, truefalse and
    ``<form>_complete`` get a ``_DECODE`` column (missing where the value is not a choice).

    A data column the dictionary does not declare raises ``InputError``; a declared field
    missing from the data is a note.

    >>> export = read_redcap(Path("redcap/longitudinal"))  # doctest: +SKIP
    >>> export.forms["demographics"][["_subject", "race", "race_DECODE"]]  # doctest: +SKIP
    """
    notes: list[str] = []
    files = _locate(
        Path(folder) if folder is not None else None,
        Path(data) if data is not None else None,
        Path(dictionary) if dictionary is not None else None,
        Path(events) if events is not None else None,
        notes,
    )
    fields, dictionary_notes = read_dictionary(files.dictionary, encoding=encoding)
    if not fields:  # pragma: no cover - read_csv_frame refuses a header-only dictionary
        raise InputError("the data dictionary declares no fields", path=files.dictionary)
    table = read_csv_frame(files.data, encoding=encoding)
    notes[:0] = dictionary_notes + table.notes
    frame = table.frame
    layout = Layout(fields, frame.columns)
    layout.check(files.data, files.dictionary)
    notes.extend(_repeated_keys(frame, layout.record_id, files.data))

    event_labels: dict[str, str] = {}
    if files.events is not None:
        event_labels, event_notes = _read_events(files.events, encoding)
        notes.extend(event_notes)
        if "redcap_event_name" in frame.columns:
            unknown = sorted(set(frame["redcap_event_name"].dropna()) - set(event_labels))
            if unknown:
                notes.append(
                    f"{files.data}: events not in {files.events.name}: " + ", ".join(unknown)
                )
    elif "redcap_event_name" in frame.columns:
        notes.append(f"{files.data}: longitudinal data but no event file; event labels unknown")

    absent = [
        f.name
        for f in fields
        if f.type != "descriptive"
        and (f.name not in frame.columns if f.type != "checkbox" else not layout.checkbox[f.name])
    ]
    if absent:
        notes.append(
            f"{files.data}: dictionary fields absent from the data (the export may be "
            "restricted to some instruments): " + ", ".join(absent)
        )

    repeat_form = (
        frame["redcap_repeat_instrument"]
        if "redcap_repeat_instrument" in frame.columns
        else pd.Series(np.nan, index=frame.index, dtype="str")
    )
    unknown_forms = repeat_form.notna() & ~repeat_form.isin(layout.forms)
    if unknown_forms.any():
        row = int(np.flatnonzero(unknown_forms.to_numpy())[0]) + 1
        raise InputError(
            f"redcap_repeat_instrument {repeat_form[row - 1]!r} is not an instrument of the "
            f"data dictionary {files.dictionary}",
            path=files.data,
            location=f"data row {row}",
            hint="re-export the data dictionary from the same project as the data",
        )

    mapping = _read_mapping(files.mapping, encoding, notes) if files.mapping else None
    base = files.data.parent if folder is None else Path(folder)
    try:
        file_name = str(files.data.relative_to(base))
    except ValueError:
        file_name = files.data.name
    record_numbers = np.arange(1, len(frame) + 1).astype(str).astype(object)

    def column(name: str) -> object:
        return frame[name].to_numpy(dtype=object, na_value=None) if name in frame.columns else None

    subject, site = column(layout.record_id), column("redcap_data_access_group")
    event, repeat = column("redcap_event_name"), column("redcap_repeat_instance")

    forms: dict[str, pd.DataFrame] = {}
    fields_by_form: dict[str, list[FieldInfo]] = {}
    for form in layout.forms:
        own = layout.form_columns(form)
        answered = frame[own].notna().any(axis=1) if own else pd.Series(False, index=frame.index)
        selected = ((repeat_form == form) | (repeat_form.isna() & answered)).to_numpy()
        if mapping is not None and event is not None:
            allowed = mapping.get(form, set())
            outside = selected & ~pd.Series(event).isin(allowed).to_numpy()
            if outside.any():
                notes.append(
                    f"{files.data}: {int(outside.sum())} row(s) of form {form!r} are in events "
                    f"the instrument-event mapping does not designate for it; kept"
                )
        rows = frame.loc[selected]
        body = _form_body(layout, form, rows, notes, files.data)
        lineage = {
            "_file": file_name,
            "_form": form,
            "_record": record_numbers[selected],
            "_subject": subject[selected],
            "_site": site[selected] if site is not None else None,
            "_event": event[selected] if event is not None else None,
            "_repeat": repeat[selected] if repeat is not None else None,
        }
        # Cells are already missing where the CSV was empty; "" left now is an answered
        # checkbox with nothing checked, which must stay distinct from missing.
        forms[form] = assemble_frame(lineage, body, path=files.data, empty_is_missing=False)
        fields_by_form[form] = form_fields(layout, form)
    return RawExport(
        kind="redcap",
        path=str(folder if folder is not None else files.data),
        forms=forms,
        fields=fields_by_form,
        events=event_labels,
        notes=notes,
    )


#: Columns that together identify a row of a REDCap records export (REDCap never exports
#: two rows with the same values of those present).
_ROW_KEY = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")


def _repeated_keys(frame: pd.DataFrame, record_id: str, path: Path) -> list[str]:
    """A note when rows repeat the record id (with event and repeat instance, where the
    export has them) of an earlier row: the same subject entered twice, or exports pasted
    together. Both rows are kept and the SDTM stage reports what it makes of them.

    >>> frame = pd.DataFrame({"record_id": ["1", "2", "1"]})
    >>> _repeated_keys(frame, "record_id", Path("data.csv"))[0]
    "data.csv: 1 data row(s) repeat the key (record_id) of an earlier row, first data row 3 (as data row 1, record_id '1'); both kept"
    """
    keys = [record_id, *(c for c in _ROW_KEY if c in frame.columns)]
    table = frame[keys].fillna("")
    repeated = table.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return []
    row = int(np.flatnonzero(repeated)[0])
    same = (table == table.iloc[row]).all(axis=1).to_numpy()
    first = int(np.flatnonzero(same)[0])
    return [
        f"{path}: {int(repeated.sum()):,} data row(s) repeat the key ({', '.join(keys)}) of an "
        f"earlier row, first data row {row + 1} (as data row {first + 1}, {record_id} "
        f"{table.iloc[row, 0]!r}); both kept"
    ]


def _read_mapping(path: Path, encoding: str | None, notes: list[str]) -> dict[str, set[str]]:
    """Instrument-event mapping (arm_num, unique_event_name, form): form -> its events."""
    table = read_csv_frame(path, encoding=encoding)
    notes.extend(table.notes)
    frame = table.frame.dropna(subset=["form", "unique_event_name"])
    mapping: dict[str, set[str]] = {}
    for form, group in frame.groupby("form", sort=False):
        mapping[str(form)] = set(group["unique_event_name"])
    return mapping
