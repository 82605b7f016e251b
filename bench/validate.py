"""Benchmark ``cdisc validate`` on a trial B package of 10,000 subjects (a script, not a test).

Issue 6 asks that validating the 10,000-subject package takes under 30 s on 2 cores with a
peak under 4 GB. Make the package once (the build is the slow part, see BENCHMARKS.md):

    cdisc synth --study sail --format rave --subjects 10000 --out /tmp/bench/raw
    cdisc build sail-rave --raw /tmp/bench/raw --out /tmp/bench/out

then measure:

    python bench/validate.py /tmp/bench/out/sail-rave
    python bench/validate.py /tmp/bench/out/sail-rave --pythonpath /tmp/old-checkout  # before

PACKAGE is the study's output folder (or its ``m5/datasets/<study>``); both submission
folders under it are validated, the SDTM tabulations and the ADaM datasets (whose SDTM
cross-checks read the tabulations beside them), each by ``cdisc validate FOLDER`` in a
subprocess (``python -m cdisc.cli``, so ``--pythonpath`` can put another checkout's code
first). For each it prints wall time, CPU time, peak resident memory (``bench/_measure.py``)
and records per second, then the totals against the budget. A second run per folder, in a
subprocess of its own, loads the package and runs the rules alone to time each rule
(``run_rules`` reports the seconds of each): the time per rule family (the module that
registers the rule) and the ten slowest rules. ``--keep DIR`` also writes the JSON reports
there (``--json``, in runs of their own, timed apart), to compare the findings of two
versions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

# bench/ is sys.path[0] when a script of it runs: the measuring code is shared from there.
from _measure import Measurement, reference_loop_seconds, run_measured

BUDGET_SECONDS = 30
BUDGET_MB = 4096
FOLDERS = (("SDTM", ("tabulations", "sdtm")), ("ADaM", ("analysis", "adam", "datasets")))


def package_folders(package: Path) -> list[tuple[str, Path]]:
    """(standard, folder) of the submission folders under ``package``: the study output
    folder (``out/<study>``) or its ``m5/datasets/<study>``."""
    roots = [package, *sorted((package / "m5" / "datasets").glob("*"))]
    for root in roots:
        found = [(kind, root.joinpath(*parts)) for kind, parts in FOLDERS]
        found = [(kind, folder) for kind, folder in found if folder.is_dir()]
        if found:
            return found
    raise SystemExit(f"{package}: no tabulations/sdtm or analysis/adam/datasets folder below it")


def records_of(stdout: str) -> int:
    """Records read, from the dataset table ``cdisc validate`` prints first."""
    total = 0
    for line in stdout.splitlines():
        match = re.fullmatch(r"\S+\.(?:xpt|json)\s+([\d,]+)\s+[\d,]+", line.strip(), re.I)
        if match:
            total += int(match.group(1).replace(",", ""))
    return total


def environment(pythonpath: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    return env


def validate(folder: Path, env: dict[str, str], report: Path | None = None) -> Measurement:
    """``cdisc validate FOLDER`` (with ``--json REPORT`` when given) measured; findings do
    not fail the run."""
    command = [sys.executable, "-m", "cdisc.cli", "validate", str(folder), "--fail-on", "never"]
    if report is not None:
        command += ["--json", str(report)]
    # Run from bench/: ``python -m`` puts the working directory first on sys.path, and the
    # checkout's root would shadow the code --pythonpath names.
    run = run_measured(command, env=env, cwd=Path(__file__).resolve().parent)
    if run.returncode != 0:
        print(run.stdout[-2000:], run.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"cdisc validate {folder} failed (exit {run.returncode})")
    return run


def rule_times(folder: Path, env: dict[str, str]) -> list[dict]:
    """Seconds of each rule on ``folder``, from a run of the rules in a subprocess."""
    done = subprocess.run(
        [sys.executable, __file__, "--rule-times", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"timing the rules on {folder} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def _rule_times_here(folder: Path) -> None:
    """Load the package, run every rule, print each rule's seconds as JSON (subprocess)."""
    from cdisc.validation.engine import REGISTRY, run_rules
    from cdisc.validation.package import load_package

    status = run_rules(load_package(folder)).status
    if "seconds" not in status:
        print("[]")  # an engine that does not time its rules (an older checkout)
        return
    rows = [
        {
            "rule": row.rule,
            "family": REGISTRY[row.rule].check.__module__,
            "status": row.status,
            "findings": int(row.findings),
            "seconds": float(row.seconds),
        }
        for row in status.itertuples()
    ]
    print(json.dumps(rows))


def machine() -> str:
    cores = os.cpu_count()
    with open("/proc/meminfo", encoding="ascii") as handle:
        total_kb = int(handle.readline().split()[1])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    speed = reference_loop_seconds()
    return (
        f"{cores} cores, {total_kb / 2**20:.0f} GB; load average now {load}; "
        f"reference loop {speed:.2f} s CPU (bench/_measure.py; lower is faster)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the study output folder (out/<study>)")
    parser.add_argument("--pythonpath", type=Path, help="put this checkout's code first")
    parser.add_argument(
        "--keep", type=Path, help="also write the JSON reports here (a run of their own)"
    )
    parser.add_argument("--no-rule-times", action="store_true", help="skip the per-rule run")
    parser.add_argument("--rule-times", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rule_times:
        _rule_times_here(args.package)
        return 0

    env = environment(args.pythonpath)
    print("machine:", machine())
    runs = []
    for kind, folder in package_folders(args.package):
        run = validate(folder, env)
        records = records_of(run.stdout)
        runs.append((kind, folder, run, records))
        print(_line(kind, records, run) + f"   {folder}", flush=True)
    wall = sum(r[2].wall for r in runs)
    peak = max(r[2].peak for r in runs)
    records = sum(r[3] for r in runs)
    print(
        f"total {records:>10,} records  wall {wall:6.1f} s  CPU {sum(r[2].cpu for r in runs):6.1f} s"
        f"  peak {peak:6.0f} MB  {records / wall:>10,.0f} records/s"
        f"   (budget {BUDGET_SECONDS} s, {BUDGET_MB} MB)"
    )
    if args.keep is not None:
        # The JSON report is written by its own run, timed apart: with a million findings,
        # writing it costs more than validating.
        args.keep.mkdir(parents=True, exist_ok=True)
        for kind, folder, _run, records in runs:
            report = args.keep / f"{kind.lower()}.json"
            print(_line(kind, records, validate(folder, env, report)) + f"   with --json {report}")
    if not args.no_rule_times:
        _print_rule_times([(kind, rule_times(folder, env)) for kind, folder, *_ in runs])
    print("machine:", machine())
    ok = wall < BUDGET_SECONDS and peak < BUDGET_MB
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


def _line(kind: str, records: int, run: Measurement) -> str:
    return (
        f"{kind:5} {records:>10,} records  wall {run.wall:6.1f} s  CPU {run.cpu:6.1f} s  "
        f"peak {run.peak:6.0f} MB  {records / run.wall:>10,.0f} records/s"
    )


def _print_rule_times(timed: list[tuple[str, list[dict]]]) -> None:
    rows = [dict(row, package=kind) for kind, rows in timed for row in rows]
    if not rows:
        print("rule times: not reported by this version of the engine")
        return
    families: dict[str, float] = {}
    for row in rows:
        families[row["family"]] = families.get(row["family"], 0.0) + row["seconds"]
    total = sum(families.values())
    print(
        f"rule seconds (load excluded; the schema rules run in a forked process beside the "
        f"others on a large package, so these add up to more than the wall time): {total:.1f} s"
    )
    print("by family (module):")
    for family, seconds in sorted(families.items(), key=lambda item: -item[1]):
        print(f"  {family:34} {seconds:6.2f} s")
    print("slowest rules:")
    for row in sorted(rows, key=lambda r: -r["seconds"])[:10]:
        print(
            f"  {row['rule']:8} {row['package']:5} {row['seconds']:6.2f} s  "
            f"{row['findings']:>9,} findings  {row['family']}"
        )


if __name__ == "__main__":
    sys.exit(main())
