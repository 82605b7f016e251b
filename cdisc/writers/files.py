"""Where a dataset file goes, and writing it atomically."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from cdisc.errors import UsageError


def target_path(path: str | os.PathLike[str], name: str, suffix: str) -> Path:
    """The file a dataset called ``name`` is written to: ``<name in lower case><suffix>``.

    ``path`` is the output folder, or the file itself when it ends in ``suffix``; a file name
    other than the lower-case dataset name is refused (FDA: ``dm.xpt``, ``suppdm.xpt``).

    >>> target_path("out", "DM", ".xpt").as_posix()
    'out/dm.xpt'
    """
    given = Path(path)
    expected = f"{name.lower()}{suffix}"
    if given.suffix.lower() == suffix:
        if given.name != expected:
            raise UsageError(
                f"dataset {name} must be written to a file called {expected}, not {given.name}",
                path=given,
                hint="pass the output folder and let the writer name the file",
            )
        return given
    return given / expected


def check_created(created: object) -> datetime:
    """``created`` when it is a datetime; UsageError otherwise."""
    if not isinstance(created, datetime):
        raise UsageError(
            f"created must be a datetime, not {type(created).__name__}",
            hint="pass the build time, e.g. from SOURCE_DATE_EPOCH",
        )
    return created


@contextmanager
def atomic(target: Path) -> Iterator[Path]:
    """A temporary file next to ``target`` that replaces it when the block ends without an
    error, and is removed when it raises (so a failed write leaves no partial file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
