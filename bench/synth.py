"""Benchmark the synthetic EDC generator at scale (a script, not a test).

Runs ``cdisc synth --study sail --subjects 100000 --out <tmp>`` in a subprocess (or, while the
``cdisc`` command has no ``synth`` yet, ``python -m cdisc.synth`` with the same options) and
prints wall time, CPU time and peak RSS of the child processes, and the size of the output.

    python bench/synth.py                                  # sail, ODM, 100,000 subjects
    python bench/synth.py --study pmsc-cli --format rave --subjects 20000

Two memory figures are printed: the peak RSS of the largest single child process
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``) and the peak of the summed RSS of the
whole process tree (the generator renders chunks in up to two worker processes), sampled
from ``/proc`` every 0.1 s on Linux. The budget applies to the tree total.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def tree_rss_mb(root: int) -> float:
    """Summed resident memory of ``root`` and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry), int(fields[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 2**20


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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree_peak = 0.0
    while process.poll() is None:
        if os.path.isdir("/proc"):
            tree_peak = max(tree_peak, tree_rss_mb(process.pid))
        time.sleep(0.1)
    stdout, stderr = process.communicate()
    run = subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return run.returncode
        files = [p for p in out.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak_mb = after.ru_maxrss / 1024
        print(run.stdout.strip())
        print(f"wall time      {wall:8.1f} s   (budget {BUDGET_SECONDS} s)")
        print(f"CPU time       {cpu:8.1f} s   (user + system, all child processes)")
        print(f"peak RSS       {peak_mb:8.0f} MB  (largest single child process)")
        print(
            f"peak RSS tree  {tree_peak:8.0f} MB  (all processes together; budget {BUDGET_MB} MB)"
        )
        print(f"output         {size / 1e6:8.1f} MB in {len(files)} files")
        ok = wall < BUDGET_SECONDS and max(peak_mb, tree_peak) < BUDGET_MB
        print("within budget" if ok else "OVER BUDGET")
        return 0 if ok else 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
