"""Load YAML specs safely, keeping the line of every key so problems can point at it.

Specs are written by people, so every problem is reported as
``mappings/sail/study.yaml:12 source.format: unknown value 'odn' (did you mean 'odm'?)``
and all problems of a run are reported together. Loading composes YAML nodes with
PyYAML's safe loader and builds plain Python values from them itself: no object is ever
constructed from a tag, duplicate keys are rejected, and aliases are refused (they add
nothing to a spec and are the vehicle of "billion laughs" expansion).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cdisc.errors import SpecError

KeyPath = tuple[str | int, ...]

#: Refuse spec files beyond this size: no hand-written spec comes near it.
MAX_SPEC_BYTES = 5_000_000


@dataclass(frozen=True)
class SpecProblem:
    """One problem in one spec file, at a line and key path."""

    path: str
    line: int | None
    keypath: str
    problem: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f" {self.keypath}:" if self.keypath else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{key} {self.problem}{hint}"


class SpecProblems(SpecError):
    """Several spec problems reported at once; ``str()`` gives one per line."""

    def __init__(self, problems: Iterable[SpecProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0, p.keypath))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return self.message


@dataclass
class SpecDocument:
    """A loaded spec: plain data plus the line of every key path."""

    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    display: str = ""

    def line(self, keypath: KeyPath) -> int | None:
        """The line of ``keypath``, or of its nearest ancestor that has one."""
        while keypath:
            if keypath in self.lines:
                return self.lines[keypath]
            keypath = keypath[:-1]
        return self.lines.get((), 1)

    def problem(self, keypath: KeyPath, problem: str, hint: str | None = None) -> SpecProblem:
        """A problem located at ``keypath`` in this document."""
        return SpecProblem(
            self.display or str(self.path),
            self.line(keypath),
            ".".join(str(k) for k in keypath),
            problem,
            hint,
        )


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """A ``did you mean 'x'?`` hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def load_spec(path: Path, *, display: str | None = None) -> SpecDocument:
    """Read one YAML spec file into a :class:`SpecDocument`.

    Raises :class:`SpecProblems` listing every duplicate key, alias or unsupported tag,
    or the syntax error with its line and column.

    >>> doc = load_spec(Path("mappings/sail/study.yaml"))  # doctest: +SKIP
    >>> doc.data["studyid"], doc.line(("studyid",))         # doctest: +SKIP
    ('SAIL', 1)
    """
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(
            f"cannot read spec: {exc.strerror or exc}",
            path=shown,
            hint="check that the spec file exists and is readable",
        ) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(
            f"spec is {len(raw):,} bytes; specs over {MAX_SPEC_BYTES:,} are refused",
            path=shown,
            location="1",
            hint="check that this is the right file; a hand-written spec is far smaller",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(
            "spec is not UTF-8", path=shown, location=str(line), hint="save the file as UTF-8"
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        problem = f"YAML syntax error: {exc.problem or exc.context}{column}"
        raise SpecProblems([SpecProblem(shown, line, "", problem, _SYNTAX_HINT)]) from None
    except yaml.YAMLError as exc:
        raise SpecProblems(
            [SpecProblem(shown, 1, "", f"YAML error: {exc}", _SYNTAX_HINT)]
        ) from None
    doc = SpecDocument(path=path, data=None, display=shown)
    builder = _Builder(doc)
    doc.data = builder.build(node, ()) if node is not None else {}
    if builder.problems:
        raise SpecProblems(builder.problems)
    return doc


_SAFE_SCALARS = {"str", "int", "float", "bool", "null"}
#: The tags a plain (untagged) mapping or sequence gets; any other is refused.
_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_SYNTAX_HINT = (
    "fix the YAML at that line (or just before it): indentation, a missing ':' or closing "
    "bracket or quote; quote values holding ': ' or starting with '{', '[', '*', '&' or '!'"
)
_TAG_HINT = "remove the tag; specs hold plain values only"


class _Builder:
    """Turns composed YAML nodes into plain values, recording key lines and problems."""

    def __init__(self, doc: SpecDocument) -> None:
        self.doc = doc
        self.problems: list[SpecProblem] = []
        self.seen: set[int] = set()
        self.loader = yaml.SafeLoader("")

    def build(self, node: yaml.Node, keypath: KeyPath) -> Any:
        doc = self.doc
        if id(node) in self.seen:
            self.problems.append(
                doc.problem(
                    keypath,
                    "YAML aliases (*name) are not allowed in specs",
                    "write the value out in full",
                )
            )
            return None
        self.seen.add(id(node))
        doc.lines.setdefault(keypath, node.start_mark.line + 1)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_COLLECTIONS:
            # An explicit tag (!!python/object/apply:..., !!set, !!omap) asks for an object
            # to be constructed; nothing is built from it.
            self.problems.append(
                doc.problem(keypath, f"unsupported YAML tag {node.tag!r}", _TAG_HINT)
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, keypath)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*keypath, i)) for i, item in enumerate(node.value)]
        tag = node.tag.rsplit(":", 1)[-1]
        if node.tag.startswith("tag:yaml.org,2002:") and tag in _SAFE_SCALARS:
            # The safe loader's own scalar rules: int, float, bool, null, str.
            return self.loader.construct_object(node)
        if node.tag == "tag:yaml.org,2002:timestamp" and node.style is None:
            # An unquoted date (2025-01-01) stays the text it is, as a quoted one would.
            return node.value
        self.problems.append(doc.problem(keypath, f"unsupported YAML tag {node.tag!r}", _TAG_HINT))
        return None

    def _mapping(self, node: yaml.MappingNode, keypath: KeyPath) -> dict[str, Any]:
        doc, result = self.doc, {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    doc.problem(
                        keypath,
                        "mapping keys must be plain names",
                        "write the key as a plain word, not a list, mapping or '? ' key",
                    )
                )
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            here = (*keypath, key)
            if key == "<<":
                self.problems.append(
                    doc.problem(
                        keypath,
                        "YAML merge keys (<<) are not allowed",
                        "write the merged keys out in full",
                    )
                )
                continue
            if key in result:
                first = doc.lines.get(here)
                self.problems.append(
                    SpecProblem(
                        doc.display,
                        line,
                        ".".join(map(str, here)),
                        f"duplicate key (first defined on line {first})",
                        "keep one of them",
                    )
                )
                continue
            doc.lines[here] = line
            result[key] = self.build(value_node, here)
        return result


def check_keys(
    doc: SpecDocument,
    keypath: KeyPath,
    value: Any,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> list[SpecProblem]:
    """Problems for a mapping at ``keypath``: not a mapping, missing or unknown keys."""
    if not isinstance(value, Mapping):
        kind = type(value).__name__ if value is not None else "nothing"
        return [
            doc.problem(
                keypath,
                f"expected a mapping of keys, found {kind}",
                "write it as indented 'key: value' lines or {key: value, ...}",
            )
        ]
    required, optional = list(required), list(optional)
    allowed = required + optional
    problems = [
        doc.problem(keypath, f"missing required key '{key}'", f"add '{key}:' here")
        for key in required
        if key not in value
    ]
    problems += [
        doc.problem(
            (*keypath, key),
            "unknown key",
            did_you_mean(key, allowed) or f"allowed keys: {', '.join(allowed)}",
        )
        for key in value
        if key not in allowed
    ]
    return problems
