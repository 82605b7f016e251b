"""Nothing from the input reaches eval, exec, a shell, unpickling or unsafe YAML.

The package sources are parsed (``ast``, so comments and docstrings do not count) and every
call that could run code named by data is a hit: ``eval``/``exec``/``compile``/
``__import__``, ``os.system``/``os.popen``/``os.exec*``/``os.spawn*``, any ``subprocess``
call with ``shell=True`` or a command given as one string, ``pickle``/``marshal``
loading, ``yaml.load`` without a safe loader (and ``unsafe_load``/``full_load``), pandas'
string expressions (``.eval()``, ``.query()``) and ``importlib.import_module``. A hit
fails the test unless :data:`ALLOWED` lists it with the reason it is safe.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("cdisc", "sdtm", "adam", "define")

#: (file, call) -> why it is safe. Keep it short: each entry is a claim a reviewer checks.
ALLOWED: dict[tuple[str, str], str] = {
    ("cdisc/validation/engine.py", "importlib.import_module"): (
        "imports the modules of the fixed RULE_MODULES list in that file; no input names one"
    ),
}

_BUILTINS = {"eval", "exec", "compile", "__import__"}
_OS = {"system", "popen", "startfile"}
_SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader"}


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for an attribute chain of names, else the last attribute (``.query``)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    else:
        parts.append("")
    return ".".join(reversed(parts))


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr | ast.BinOp) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def hits(source: str) -> list[tuple[int, str]]:
    """(line, call) of every dangerous call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        keywords = {k.arg: k.value for k in node.keywords}
        bad = False
        if isinstance(node.func, ast.Name):
            bad = name in _BUILTINS
        elif name.startswith("os.") and (last in _OS or last.startswith(("exec", "spawn"))):
            bad = True
        elif name.startswith(("subprocess.", "asyncio.create_subprocess_shell")):
            shell = keywords.get("shell")
            bad = (isinstance(shell, ast.Constant) and shell.value is not False) or (
                bool(node.args) and _is_text(node.args[0])
            )
            bad = bad or not (isinstance(shell, ast.Constant) or shell is None)
        elif name.startswith(("pickle.", "marshal.", "shelve.", "dill.")):
            bad = last.startswith(("load", "open"))
        elif name.startswith("yaml.") and last in ("unsafe_load", "full_load", "load", "load_all"):
            loader = keywords.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
            bad = loader is None or _dotted(loader).rsplit(".", 1)[-1] not in _SAFE_LOADERS
            bad = bad or last in ("unsafe_load", "full_load")
        elif last in ("eval", "query") and not name.startswith(("ast.", "self.")):
            bad = True  # pandas evaluates the expression string
        elif name.endswith("import_module"):
            bad = True
        if bad:
            found.append((node.lineno, name))
    return found


def test_no_package_source_runs_code_from_data() -> None:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            for line, call in hits(path.read_text(encoding="utf-8")):
                if (relative, call) not in ALLOWED:
                    found[f"{relative}:{line}"] = call
    assert found == {}


def test_every_allowance_is_still_needed() -> None:
    used = set()
    for relative, _ in ALLOWED:
        for _, call in hits((REPO / relative).read_text(encoding="utf-8")):
            used.add((relative, call))
    assert set(ALLOWED) <= used


@pytest.mark.parametrize(
    ("line", "call"),
    [
        ("eval(text)", "eval"),
        ("exec(code, {})", "exec"),
        ("os.system('rm ' + name)", "os.system"),
        ("os.execvp(prog, args)", "os.execvp"),
        ("subprocess.run(command, shell=True)", "subprocess.run"),
        ("subprocess.run(f'ls {folder}')", "subprocess.run"),
        ("subprocess.check_output('ls -l')", "subprocess.check_output"),
        ("subprocess.run(cmd, shell=flag)", "subprocess.run"),
        ("pickle.load(handle)", "pickle.load"),
        ("pickle.loads(blob)", "pickle.loads"),
        ("yaml.load(text)", "yaml.load"),
        ("yaml.load(text, Loader=yaml.Loader)", "yaml.load"),
        ("yaml.unsafe_load(text)", "yaml.unsafe_load"),
        ("frame.query(expression)", "frame.query"),
        ("pd.eval(expression)", "pd.eval"),
        ("importlib.import_module(name)", "importlib.import_module"),
    ],
)
def test_the_scanner_finds_each_kind(line: str, call: str) -> None:
    assert hits(line) == [(1, call)]


@pytest.mark.parametrize(
    "line",
    [
        "subprocess.run([sys.executable, '-m', 'cdisc', 'build'], check=False)",
        "yaml.load(text, Loader=yaml.SafeLoader)",
        "yaml.compose(text, Loader=yaml.SafeLoader)",
        "yaml.safe_load(text)",
        "re.compile(pattern)",
        "ast.literal_eval(text)",
        "'''eval(x) in a docstring'''",
    ],
)
def test_the_scanner_passes_safe_calls(line: str) -> None:
    assert hits(line) == []
