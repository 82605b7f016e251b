"""Write a package folder atomically: build it beside its final place, then swap it in.

A build never writes into ``OUT/<study>`` itself. :func:`stage` makes a temporary folder
beside it, in the same parent and so on the same file system,
``OUT/.<study>.partial-<pid>-<random>``; the build writes everything there, validates it,
and only then calls :meth:`Staging.publish`, which swaps it in:

1. rename the previous package aside: ``OUT/<study>`` -> ``OUT/.<study>.old-<pid>-<random>``;
2. rename the new one in: ``OUT/.<study>.partial-...`` -> ``OUT/<study>``;
3. remove the previous package (and ``OUT/<study>.failed``, a failed build's leftovers).

Each rename is one rename(2) on one file system, so it is atomic: at every instant the name
``OUT/<study>`` is either the complete previous package, the complete new one, or (between
steps 1 and 2, two system calls apart) absent. It never names a partial package. A process
killed inside that window leaves the previous package complete under its ``.old`` name, and
the next build renames it back (see below).

What each way of ending leaves:

* success: the new package at ``OUT/<study>``, nothing else;
* an exception or Ctrl-C (``KeyboardInterrupt``) during the build: the temporary folder is
  removed; the previous package is untouched;
* a build that finishes with errors (:meth:`Staging.reject`): the previous package is
  untouched, and the failed build moves to ``OUT/<study>.failed`` (replacing an earlier one)
  so its report can be read; it is never under the target name;
* SIGKILL or a power cut: nothing can clean up, so the temporary folder stays, under its
  dot name. The next :func:`stage` of the same study in the same ``OUT`` removes every
  ``.<study>.partial-<pid>-*`` and ``.<study>.old-<pid>-*`` whose process is gone, after
  renaming an ``.old`` one back to ``OUT/<study>`` when that name is free.

A process is "gone" when ``os.kill(pid, 0)`` says there is no such process. On Windows that
call would terminate the process, so there every such folder is left alone.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path
from types import TracebackType

from cdisc.errors import UsageError

#: Files of which at least one marks a folder as a package a build wrote (and may replace).
PACKAGE_MARKERS: tuple[str, ...] = ("manifest.json", "raw_summary.json", "build_report.json")

#: Suffix of the folder that keeps a build that finished with errors.
FAILED_SUFFIX = ".failed"


def check_replaceable(target: Path, markers: tuple[str, ...] = PACKAGE_MARKERS) -> None:
    """Fail (``UsageError``) when ``target`` exists and is not a package a build wrote.

    A build replaces ``target`` whole, so a folder holding anything else (the user's own
    files, a mistyped ``--out``) is refused rather than deleted. An empty folder is fine.

    >>> check_replaceable(Path("/no/such/folder"))
    """
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir() or target.is_symlink():
        raise UsageError(
            f"output path '{target}' exists and is not a package folder",
            hint="remove it or choose another --out folder",
        )
    if any((target / marker).is_file() for marker in markers) or not any(target.iterdir()):
        return
    raise UsageError(
        f"output folder '{target}' holds files that no build wrote (none of "
        f"{', '.join(markers)}); a build replaces the whole folder",
        hint="move those files away or choose another --out folder",
    )


class Staging:
    """A temporary package folder beside ``target``; see the module docstring.

    Use it through :func:`stage`. ``folder`` is where the build writes. Leaving the
    ``with`` block without :meth:`publish` or :meth:`reject` (an exception, Ctrl-C) removes
    the folder.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.folder = _fresh(target, "partial")
        self.done = False

    def publish(self) -> Path:
        """Swap the staged folder in as ``target``; remove the previous package. Returns
        ``target``."""
        old = None
        if self.target.exists():
            old = _fresh_name(self.target, "old")
            os.rename(self.target, old)
        try:
            # The window: between these two renames no folder is called ``target``.
            os.rename(self.folder, self.target)
        except BaseException:  # Ctrl-C or an OS error inside the window: put the old one back
            if old is not None and not self.target.exists():
                os.rename(old, self.target)
            raise
        self.done = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(failed_path(self.target), ignore_errors=True)
        return self.target

    def reject(self) -> Path:
        """Keep the staged folder as ``target.failed`` (replacing an earlier one) and leave
        ``target`` as it was. Returns where the folder now is."""
        failed = failed_path(self.target)
        if failed.exists():
            aside = _fresh_name(self.target, "old")
            os.rename(failed, aside)
            shutil.rmtree(aside, ignore_errors=True)
        os.rename(self.folder, failed)
        self.done = True
        return failed

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.done:
            shutil.rmtree(self.folder, ignore_errors=True)


def stage(target: Path) -> Staging:
    """A :class:`Staging` for ``target``, after removing what dead builds of it left.

    Raises ``UsageError`` when ``target`` is not a package a build may replace
    (:func:`check_replaceable`) or its parent cannot hold a new folder.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> with stage(out / "sail") as staging:
    ...     _ = (staging.folder / "raw_summary.json").write_text("{}")
    ...     staging.publish().name
    'sail'
    >>> sorted(p.name for p in out.iterdir())
    ['sail']
    """
    check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create output folder '{target.parent}': {exc.strerror}",
            hint="choose a writable --out folder",
        ) from None
    remove_stale(target)
    try:
        return Staging(target)
    except OSError as exc:
        raise UsageError(
            f"cannot create a folder in '{target.parent}': {exc.strerror}",
            hint="choose a writable --out folder",
        ) from None


def remove_stale(target: Path) -> list[Path]:
    """Remove the temporary folders of builds of ``target`` whose process is gone; return them.

    A ``.old`` folder (a previous package a killed build had renamed aside) is renamed back
    to ``target`` when ``target`` is missing, instead of being removed.
    """
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(partial|old)-(\d+)-[0-9a-f]+$")
    removed = []
    for path in sorted(target.parent.iterdir()) if target.parent.is_dir() else []:
        found = pattern.match(path.name)
        if found is None or not path.is_dir() or _alive(int(found.group(2))):
            continue
        if found.group(1) == "old" and not target.exists():
            os.rename(path, target)
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def failed_path(target: Path) -> Path:
    """Where :meth:`Staging.reject` keeps a failed build of ``target``: ``<target>.failed``.

    >>> failed_path(Path("out/sail")).as_posix()
    'out/sail.failed'
    """
    return target.with_name(target.name + FAILED_SUFFIX)


def _fresh_name(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _fresh(target: Path, kind: str) -> Path:
    """A new empty folder beside ``target``, created with the process's usual permissions
    (``tempfile.mkdtemp`` would make it private, and it becomes the package)."""
    while True:
        path = _fresh_name(target, kind)
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (always True on Windows; see the module docstring)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
