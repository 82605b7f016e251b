"""Benchmark the synthetic EDC generator at scale (a script, not a test).

Runs ``cdisc synth --study sail --subjects 100000 --out <tmp>`` in a subprocess (or, while the
``cdisc`` command has no ``synth`` yet, ``python -m cdisc.synth`` with the same options) and
prints wall time, CPU time and peak RSS of the child processes, and the size of the output.

    python bench/synth.py                                  # sail, ODM, 100,000 subjects
    python bench/synth.py --study pmsc-cli --format rave --subjects 20000

Two memory figures are printed (see ``bench/_measure.py``): the peak RSS of the largest single
child process and the peak of the summed memory (PSS) of the whole process tree (the generator renders
chunks in up to two worker processes), sampled from ``/proc``. The budget applies to the tree
total.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# bench/ is sys.path[0] when a script of it runs: the measuring code is shared from there.
from _measure import run_measured

BUDGET_SECONDS = 300
BUDGET_MB = 4096


def command(args: argparse.Namespace, out: Path) -> list[str]:
    """The ``cdisc synth`` command when the CLI has it, else the module's own entry point."""
    options = [
        "--study",
        args.study,
        "--subjects",
        str(args.subjects),
        "--seed",
        str(args.seed),
        "--out",
        str(out),
    ]
    if args.format:
        options += ["--format", args.format]
    cli = shutil.which("cdisc")
    if (
        cli
        and subprocess.run([cli, "synth", "--help"], capture_output=True, check=False).returncode
        == 0
    ):
        return [cli, "synth", *options]
    return [sys.executable, "-m", "cdisc.synth", "--quiet", *options]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="sail")
    parser.add_argument("--format", default=None)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="keep the output here (default: a temp dir)")
    args = parser.parse_args(argv)

    tmp = None if args.out else tempfile.mkdtemp(prefix="synth-bench-")
    out = args.out or Path(tmp) / "out"
    cmd = command(args, out)
    print("command:", " ".join(cmd), flush=True)
    run = run_measured(cmd)
    try:
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return run.returncode
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        print(run.stdout.strip())
        print(f"wall time      {run.wall:8.1f} s   (budget {BUDGET_SECONDS} s)")
        print(f"CPU time       {run.cpu:8.1f} s   (user + system, all child processes)")
        print(f"peak RSS       {run.peak_mb:8.0f} MB  (largest single child process)")
        print(
            f"peak tree      {run.tree_peak_mb:8.0f} MB  (all processes together, PSS; budget {BUDGET_MB} MB)"
        )
        print(f"output         {size / 1e6:8.1f} MB in {len(files)} files")
        ok = run.wall < BUDGET_SECONDS and run.peak < BUDGET_MB
        print("within budget" if ok else "OVER BUDGET")
        return 0 if ok else 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
