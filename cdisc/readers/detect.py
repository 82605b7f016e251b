"""Which reader an export needs, and :func:`read_export` that picks it."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

from cdisc.errors import InputError, UsageError
from cdisc.readers.base import RawExport
from cdisc.readers.odm import read_odm
from cdisc.readers.rave import FORM_EXTENSIONS, read_rave
from cdisc.readers.redcap import find_dictionaries, read_redcap

#: The kinds of export the toolkit reads, as ``RawExport.kind`` names them.
KINDS: tuple[str, ...] = ("odm", "redcap", "rave")

_EXPECTED = (
    "expected an ODM .xml file, or a folder holding one ODM .xml file, a REDCap data CSV with "
    "its data dictionary, or per-form .csv/.xpt/.sas7bdat/.xlsx files"
)


def _visible_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))


def detect_kind(path: str | PathLike[str]) -> str:
    """Say which reader ``path`` needs: ``"odm"``, ``"redcap"`` or ``"rave"``.

    A ``.xml`` file is ODM. In a folder (subfolders ignored): a REDCap data dictionary (a
    CSV whose header starts with "Variable / Field Name", whatever the file is called)
    makes it REDCap, even next to REDCap's own ``project.xml``; otherwise exactly one
    ``.xml`` file makes it ODM; otherwise per-form ``.csv``/``.xpt``/``.sas7bdat``/``.xlsx``
    files make it Rave-style. Anything else raises ``InputError``.

    >>> detect_kind("exports/redcap/longitudinal")  # doctest: +SKIP
    'redcap'
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", path=path, hint=_EXPECTED)
    if path.is_file():
        if path.suffix.lower() == ".xml":
            return "odm"
        raise InputError(
            f"a {path.suffix or 'extension-less'} file is not an export", path=path, hint=_EXPECTED
        )
    files = _visible_files(path)
    if not files:
        raise InputError("empty folder", path=path, hint=_EXPECTED)
    if find_dictionaries(path):
        return "redcap"
    xml = [p for p in files if p.suffix.lower() == ".xml"]
    if len(xml) == 1:
        return "odm"
    if any(p.suffix.lower() in FORM_EXTENSIONS for p in files):
        return "rave"
    if xml:
        raise InputError(
            f"{len(xml)} .xml files: " + ", ".join(p.name for p in xml),
            path=path,
            hint="pass the ODM file itself",
        )
    raise InputError(
        "no export files (" + ", ".join(p.name for p in files[:5]) + ")", path=path, hint=_EXPECTED
    )


#: Reader options each kind of export takes (see :func:`read_export`).
READER_OPTIONS: dict[str, frozenset[str]] = {
    "odm": frozenset(),
    "redcap": frozenset({"data", "dictionary", "events", "encoding"}),
    "rave": frozenset({"forms", "coded_suffix", "raw_suffix", "system_columns", "encoding"}),
}


def reader_options(kind: str, options: dict[str, Any]) -> str:
    """Return ``kind`` once it is known and every option applies to it; else ``UsageError``.

    >>> reader_options("rave", {"coded_suffix": "_COD"})
    'rave'
    """
    if kind not in KINDS:
        raise UsageError(f"unknown export kind {kind!r}", hint="use one of " + ", ".join(KINDS))
    allowed = READER_OPTIONS[kind]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UsageError(
            f"option {unknown[0]!r} does not apply to {kind} exports",
            hint="options for " + kind + ": " + (", ".join(sorted(allowed)) or "none"),
        )
    return kind


def read_export(path: str | PathLike[str], *, kind: str | None = None, **options: Any) -> RawExport:
    """Read any supported raw EDC export; ``kind=None`` detects it (see :func:`detect_kind`).

    ``options`` go to the reader: ``read_redcap`` (``data``, ``dictionary``, ``events``,
    ``encoding``) or ``read_rave`` (``forms``, ``coded_suffix``, ``raw_suffix``,
    ``system_columns``, ``encoding``); ``read_odm`` takes none. A wrong ``kind`` or an
    option the reader does not take raises ``UsageError``.

    >>> export = read_export(Path("exports/rave"), coded_suffix="_COD")  # doctest: +SKIP
    >>> export.kind  # doctest: +SKIP
    'rave'
    """
    kind = reader_options(kind or detect_kind(path), options)
    if kind == "odm":
        return read_odm(path)
    if kind == "redcap":
        return read_redcap(path, **options)
    return read_rave(path, **options)
