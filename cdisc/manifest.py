"""``manifest.json``: what a package holds and what it was made from, for audit.

Every build writes it last, in the package root, before the package is moved into place
(:mod:`cdisc.writers.staging`). It lists:

* ``files``: every file of the package (but the manifest itself), by path relative to the
  package root with ``/`` separators, sorted, each with its SHA-256 and size in bytes;
* ``inputs``: per group (``raw``: the raw export files; ``study``: study.yaml and every spec
  YAML; ``standards``: the shipped standards metadata), every file read, by path relative
  to the group's folder, with SHA-256 and size;
* ``toolkit``: the toolkit, Python and library versions;
* ``timestamps``: the time stamped into the package (``created``) and where it came from:
  ``SOURCE_DATE_EPOCH`` when set, else the study's ``output_date``.

No absolute path, clock reading or host name goes in, so two builds of the same inputs with
the same toolkit write the same manifest byte for byte. :func:`verify_manifest` checks a
package against its manifest.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> _ = (root / "dm.xpt").write_bytes(b"x")
>>> _ = write_manifest(root, [], {"created": None})
>>> verify_manifest(root)
[]
>>> _ = (root / "dm.xpt").write_bytes(b"y")
>>> verify_manifest(root)
['dm.xpt: SHA-256 differs from the manifest (the file changed after the build)']
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cdisc import __version__
from cdisc.errors import InputError

#: File name of the manifest in the package root.
MANIFEST = "manifest.json"

#: Files hashed at once (threads); the build machine has two cores.
HASH_THREADS = 2

#: Layout version of ``manifest.json``; a reader refuses one it does not know.
MANIFEST_VERSION = 1

#: Libraries whose versions decide the bytes of a package: the project's dependencies
#: (pyproject.toml) plus numpy, which encodes the XPT observations.
LIBRARIES: tuple[str, ...] = (
    "click",
    "lxml",
    "numpy",
    "openpyxl",
    "pandas",
    "pandera",
    "pyreadstat",
    "PyYAML",
)


@dataclass(frozen=True)
class InputGroup:
    """Input files of one kind, listed relative to ``root``.

    >>> InputGroup("study", Path("mappings/sail"), (Path("mappings/sail/study.yaml"),)).name
    'study'
    """

    name: str
    root: Path
    files: tuple[Path, ...]


def digest(path: Path) -> tuple[str, int]:
    """Hex SHA-256 and size in bytes of a file, read in 1 MiB blocks."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            size += len(block)
    return sha.hexdigest(), size


def package_files(root: Path) -> list[Path]:
    """Every file under ``root`` but the manifest, sorted by relative POSIX path."""
    files = (p for p in root.rglob("*") if p.is_file())
    listed = [p for p in files if p.relative_to(root).as_posix() != MANIFEST]
    return sorted(listed, key=lambda p: p.relative_to(root).as_posix())


def digests(files: Iterable[Path]) -> list[tuple[str, int]]:
    """:func:`digest` of each file, in the order given, two files at a time.

    hashlib releases the GIL while it hashes a large block, so a second thread hashes
    another file in parallel (a package's datasets are hundreds of megabytes).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a").write_bytes(b"abc")
    >>> digests([folder / "a"])[0][1]
    3
    """
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        return list(pool.map(digest, files))


def _entries(root: Path, files: Iterable[Path]) -> list[dict[str, object]]:
    files = list(files)
    entries = [
        {"path": path.relative_to(root).as_posix(), "sha256": sha, "bytes": size}
        for path, (sha, size) in zip(files, digests(files), strict=True)
    ]
    return sorted(entries, key=lambda e: str(e["path"]))


def library_versions() -> dict[str, str | None]:
    """Installed version of each of :data:`LIBRARIES` (None when one is not installed)."""
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def manifest(
    root: Path, inputs: Sequence[InputGroup], timestamps: dict[str, str | None]
) -> dict[str, object]:
    """The manifest of the package in ``root`` as a JSON-ready dict (see module docstring)."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "toolkit": {
            "cdisc-toolkit": __version__,
            "python": platform.python_version(),
            "libraries": library_versions(),
        },
        "timestamps": dict(timestamps),
        "inputs": {group.name: _entries(group.root, group.files) for group in inputs},
        "files": _entries(root, package_files(root)),
    }


def write_manifest(
    root: Path, inputs: Sequence[InputGroup], timestamps: dict[str, str | None]
) -> Path:
    """Write ``root/manifest.json`` (sorted keys, two-space indent, LF); return its path."""
    path = root / MANIFEST
    document = manifest(root, inputs, timestamps)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(root: Path) -> dict:
    """The manifest of the package in ``root``; ``InputError`` when absent or not one."""
    path = root / MANIFEST
    if not path.is_file():
        raise InputError(
            "no manifest.json: not a package written by cdisc build, or one made before "
            "builds wrote manifests",
            path=root,
            hint="rebuild the package with cdisc build",
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        location = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(f"not readable JSON ({exc})", path=path, location=location) from None
    if not isinstance(document, dict) or document.get("manifest_version") != MANIFEST_VERSION:
        raise InputError(
            f"not a manifest of version {MANIFEST_VERSION}",
            path=path,
            hint="verify it with the toolkit version that wrote it",
        )
    return document


def verify_manifest(root: Path) -> list[str]:
    """What differs between the package in ``root`` and its manifest; [] when nothing.

    Each problem names the file: changed (SHA-256 or size), missing, or not listed.
    """
    listed = {e["path"]: e for e in read_manifest(root)["files"]}
    present = {p.relative_to(root).as_posix(): p for p in package_files(root)}
    both = sorted(listed.keys() & present.keys())
    found = dict(zip(both, digests([present[name] for name in both]), strict=True))
    problems = []
    for name in sorted(listed.keys() | present.keys()):
        if name not in present:
            problems.append(f"{name}: listed in the manifest but missing")
        elif name not in listed:
            problems.append(f"{name}: not listed in the manifest (added after the build)")
        else:
            sha, size = found[name]
            if sha != listed[name]["sha256"]:
                problems.append(
                    f"{name}: SHA-256 differs from the manifest (the file changed after the build)"
                )
            elif size != listed[name]["bytes"]:
                problems.append(f"{name}: size differs from the manifest")
    return problems
