"""Benchmark the whole pipeline at scale: synth, build, validate, and the I/O floor (issue 7).

A script, not a test: speed is judged here and nowhere else.

    python bench/run.py                                   # 1,000, 10,000, 50,000 (Rave), ODM to 10,000
    python bench/run.py --sizes 1000 --formats rave       # a quick run
    python bench/run.py --sizes 10000 --work /tmp/bench --keep

For each format and size it runs, each in a subprocess measured by ``bench/_measure.py``
(wall time, CPU time, peak resident memory of the process tree):

1. ``cdisc synth --study sail --format FORMAT --subjects N --clean``;
2. the full ``cdisc build`` (``sail-rave --raw DIR`` for the Rave-style CSV export, ``sail
   --raw FILE`` for ODM): read raw, SDTM, ADaM, define, validation, outputs;
3. ``cdisc validate`` of the package's SDTM folder and of its ADaM folder (the two figures
   summed);
4. the I/O floor, in a subprocess of its own (``python bench/run.py --floor ...``): reading
   the same raw export with no transformation (``pandas.read_csv`` of every CSV as text, or
   every ItemData of the ODM file with lxml), then writing the same datasets (the build's
   XPT files, read first with pyreadstat, untimed) with the project's XPT writer.

It prints and writes into ``BENCHMARKS.md`` (between the markers of its section) a table
per stage, records per second of build wall time per domain, the ratio of build time to the
I/O floor, and each issue 7 target with its measured figure. ODM runs only up to 10,000
subjects (the issue's plan); 50,000 ODM is skipped even when asked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# bench/ is sys.path[0] when a script of it runs: the measuring code is shared from there.
from _measure import Measurement, reference_loop_seconds, run_measured

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- bench/run.py: begin -->"
END = "<!-- bench/run.py: end -->"
ODM_LIMIT = 10_000
FOLDERS = (("SDTM", ("tabulations", "sdtm")), ("ADaM", ("analysis", "adam", "datasets")))


@dataclass
class Run:
    """Every measurement of one format and size."""

    kind: str
    subjects: int
    synth: Measurement
    build: Measurement
    validate: list[Measurement]
    floor: Measurement
    floor_read: float  # seconds, timed inside the floor subprocess
    floor_write: float
    records: dict[str, int]  # dataset -> records written by the build

    @property
    def floor_seconds(self) -> float:
        return self.floor_read + self.floor_write

    @property
    def ratio(self) -> float:
        return self.build.wall / self.floor_seconds if self.floor_seconds else float("nan")

    @property
    def validate_wall(self) -> float:
        return sum(m.wall for m in self.validate)

    @property
    def validate_cpu(self) -> float:
        return sum(m.cpu for m in self.validate)

    @property
    def validate_peak(self) -> float:
        return max((m.peak for m in self.validate), default=0.0)


def cdisc(*args: str) -> list[str]:
    """The ``cdisc`` command of this checkout's interpreter."""
    return [sys.executable, "-m", "cdisc", *args]


def checked(measurement: Measurement, what: str, *, allowed: tuple[int, ...] = (0,)) -> Measurement:
    if measurement.returncode not in allowed:
        tail = (measurement.stderr or measurement.stdout).strip().splitlines()[-5:]
        raise SystemExit(f"{what} failed (exit {measurement.returncode}):\n" + "\n".join(tail))
    return measurement


def raw_input(kind: str, folder: Path) -> Path:
    """What ``cdisc build --raw`` takes: the Rave folder, or the ODM file in the folder."""
    if kind == "rave":
        return folder
    found = sorted(folder.glob("*.xml"))
    if not found:
        raise SystemExit(f"{folder}: no ODM .xml file written by cdisc synth")
    return found[0]


def package_folders(package: Path) -> list[Path]:
    """The SDTM and ADaM folders of a built study folder ``out/<study>``."""
    found = []
    for root in sorted((package / "m5" / "datasets").glob("*")):
        found += [root.joinpath(*parts) for _, parts in FOLDERS if root.joinpath(*parts).is_dir()]
    return found


def measure(kind: str, subjects: int, work: Path, seed: int) -> Run:
    """Synthesise, build, validate and measure the floor for one format and size."""
    tag = f"{kind}-{subjects}"
    raw = work / f"raw-{tag}"
    out = work / f"out-{tag}"
    for path in (raw, out):
        shutil.rmtree(path, ignore_errors=True)
    print(f"[{tag}] synth", flush=True)
    synth = checked(
        run_measured(
            cdisc(
                "synth",
                "--study",
                "sail",
                "--format",
                kind,
                "--subjects",
                str(subjects),
                "--seed",
                str(seed),
                "--clean",
                "--out",
                str(raw),
            )
        ),
        "cdisc synth",
    )
    study = "sail-rave" if kind == "rave" else "sail"
    print(f"[{tag}] build ({synth.wall:.1f} s synth)", flush=True)
    # Exit 1 is a build with error findings: still a full build, timed; the package is then
    # in OUT/<study>.failed.
    build = checked(
        run_measured(cdisc("build", study, "--raw", str(raw_input(kind, raw)), "--out", str(out))),
        "cdisc build",
        allowed=(0, 1),
    )
    package = out / study
    if build.returncode == 1 and (out / f"{study}.failed").is_dir():
        package = out / f"{study}.failed"
    records = written_records(package / "build_report.json")
    folders = package_folders(package)
    print(f"[{tag}] validate ({build.wall:.1f} s build)", flush=True)
    validate = [
        checked(run_measured(cdisc("validate", str(f), "--fail-on", "never")), "cdisc validate")
        for f in folders
    ]
    print(f"[{tag}] I/O floor", flush=True)
    floor = checked(
        run_measured(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--floor",
                kind,
                str(raw_input(kind, raw)),
                *map(str, folders),
            ]
        ),
        "I/O floor",
    )
    seconds = json.loads(floor.stdout.strip().splitlines()[-1])
    return Run(
        kind,
        subjects,
        synth,
        build,
        validate,
        floor,
        seconds["read"],
        seconds["write"],
        records,
    )


def written_records(report_path: Path) -> dict[str, int]:
    """Records per dataset from the build report, read in a subprocess of its own.

    The report is hundreds of MB at 10,000 subjects. Parsed here, it would grow this process
    by more than a gigabyte; every later command starts as a fork of this process, and Linux
    counts the parent's peak at fork time in the child's ``ru_maxrss``, so later stages'
    memory would read too high.
    """
    script = (
        "import json, sys\n"
        "report = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "records = {d['dataset']: int(d['records']) for d in report.get('datasets', [])}\n"
        "for d in report.get('adam', {}).get('datasets', []):\n"
        "    name, n = (d['dataset'], d['records']) if isinstance(d, dict) else (d[0], d[1])\n"
        "    records[name] = int(n)\n"
        "print(json.dumps(records))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(report_path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def floor_main(kind: str, raw: Path, folders: list[Path]) -> None:
    """Time reading ``raw`` and writing the datasets of ``folders``, with no transformation;
    print ``{"read": s, "write": s}`` as the last line."""
    import pandas as pd
    import pyreadstat

    from cdisc.metadata import DatasetDef, VariableDef
    from cdisc.writers import write_xpt

    start = time.perf_counter()
    if kind == "rave":
        frames = [
            pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(raw.glob("*.csv"))
        ]
        del frames
    else:
        from lxml import etree

        oids, values = [], []
        for _, element in etree.iterparse(str(raw), events=("end",), tag="{*}ItemData"):
            oids.append(element.get("ItemOID"))
            values.append(element.get("Value"))
            element.clear(keep_tail=False)
        pd.DataFrame({"item": oids, "value": values})
        del oids, values
    read = time.perf_counter() - start

    # The same datasets, same records and columns: read (untimed) from the build's own files.
    todo = []
    for folder in folders:
        for path in sorted(folder.glob("*.xpt")):
            frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
            widths = meta.variable_storage_width
            variables = tuple(
                VariableDef(
                    name,
                    label or name,
                    "text" if meta.readstat_variable_types[name] == "string" else "float",
                    order,
                    int(widths[name]) if meta.readstat_variable_types[name] == "string" else None,
                )
                for order, (name, label) in enumerate(
                    zip(meta.column_names, meta.column_labels, strict=True), start=1
                )
            )
            dataset = DatasetDef(
                meta.table_name or path.stem.upper(),
                meta.file_label or path.stem.upper(),
                "Tabulation",
                "SDTMIG 3.4",
                "",
                "",
                variables,
            )
            todo.append((frame, dataset))
    created = dt.datetime(2024, 1, 1)
    with tempfile.TemporaryDirectory() as target:
        start = time.perf_counter()
        for frame, dataset in todo:
            write_xpt(frame, dataset, target, created=created)
        write = time.perf_counter() - start
    print(json.dumps({"read": read, "write": write}))


def machine() -> str:
    cores = os.cpu_count() or 0
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = f" ({line.split(':', 1)[1].strip()})"
                break
    except OSError:
        pass
    import pandas as pd

    return (
        f"{cores} cores{cpu}, {memory:.0f} GB, Python {platform.python_version()}, "
        f"pandas {pd.__version__}"
    )


def table(runs: list[Run]) -> list[str]:
    """The stage table, the per-domain rates and the targets, as Markdown lines."""
    lines = [
        "| format | subjects | stage | wall | CPU | peak memory |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in runs:
        stages = (
            ("synth --clean", r.synth.wall, r.synth.cpu, r.synth.peak),
            ("build", r.build.wall, r.build.cpu, r.build.peak),
            ("validate (SDTM + ADaM)", r.validate_wall, r.validate_cpu, r.validate_peak),
            ("I/O floor (read + write)", r.floor_seconds, r.floor.cpu, r.floor.peak),
        )
        for stage, wall, cpu, peak in stages:
            lines.append(
                f"| {r.kind} | {r.subjects:,} | {stage} | {wall:,.1f} s | {cpu:,.1f} s "
                f"| {peak:,.0f} MB |"
            )
        lines.append(
            f"| {r.kind} | {r.subjects:,} | build / I/O floor | {r.ratio:,.1f} x "
            f"| (read {r.floor_read:.1f} s, write {r.floor_write:.1f} s) | |"
        )
    lines += ["", "Records per second of build wall time, per dataset:", ""]
    names = sorted(
        {n for r in runs for n in r.records},
        key=lambda n: (-max(r.records.get(n, 0) for r in runs), n),
    )
    lines.append("| dataset | " + " | ".join(f"{r.kind} {r.subjects:,}" for r in runs) + " |")
    lines.append("|---|" + "---:|" * len(runs))
    for name in names:
        cells = [
            f"{r.records[name]:,} rec, {r.records[name] / r.build.wall:,.0f}/s"
            if name in r.records
            else ""
            for r in runs
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", *targets(runs)]
    return lines


def targets(runs: list[Run]) -> list[str]:
    """Each issue 7 target that the runs measure: met or not, with the figure."""
    by = {(r.kind, r.subjects): r for r in runs}
    found = []

    def add(text: str, ok: bool, figure: str) -> None:
        found.append(f"- {'met' if ok else 'NOT met'}: {text}: {figure}")

    rave10, rave1, odm10, rave50 = (
        by.get(("rave", 10_000)),
        by.get(("rave", 1_000)),
        by.get(("odm", 10_000)),
        by.get(("rave", 50_000)),
    )
    if rave10:
        b = rave10.build
        add("10,000 Rave build <= 60 s", b.wall <= 60, f"{b.wall:,.1f} s")
        add("10,000 Rave build <= 4 GB", b.peak <= 4096, f"{b.peak:,.0f} MB")
        add("build <= 3 x I/O floor at 10,000", rave10.ratio <= 3, f"{rave10.ratio:,.1f} x")
        add(
            "validation of the 10,000 package <= 30 s",
            rave10.validate_wall <= 30,
            f"{rave10.validate_wall:,.1f} s",
        )
    if rave10 and odm10:
        ratio = odm10.build.wall / rave10.build.wall
        add("10,000 ODM build <= 2 x Rave", ratio <= 2, f"{ratio:,.2f} x")
    if rave10 and rave1:
        ratio = rave10.build.wall / rave1.build.wall
        add("time(10,000) <= 12 x time(1,000)", ratio <= 12, f"{ratio:,.1f} x")
    if rave50:
        b = rave50.build
        add("50,000 Rave build <= 6 min", b.wall <= 360, f"{b.wall:,.1f} s")
        add("50,000 Rave build <= 16 GB", b.peak <= 16384, f"{b.peak:,.0f} MB")
    return found


def write_benchmarks(lines: list[str]) -> None:
    section = "\n".join([BEGIN, *lines, END])
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="subjects, comma-separated")
    parser.add_argument("--formats", default="rave,odm", help="rave, odm or both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="folder for exports and packages (else temp)")
    parser.add_argument("--keep", action="store_true", help="keep --work's exports and packages")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md")
    parser.add_argument("--floor", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        kind, raw, *folders = args.floor
        floor_main(kind, Path(raw), [Path(f) for f in folders])
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if unknown := set(formats) - {"rave", "odm"}:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    work = args.work or Path(tempfile.mkdtemp(prefix="cdisc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    plan = [(k, n) for k in formats for n in sizes if k == "rave" or n <= ODM_LIMIT]
    runs = []
    speed_before = reference_loop_seconds()
    try:
        for kind, subjects in plan:
            runs.append(measure(kind, subjects, work, args.seed))
            if not args.keep:
                for name in (f"raw-{kind}-{subjects}", f"out-{kind}-{subjects}"):
                    shutil.rmtree(work / name, ignore_errors=True)
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    speed = f"{speed_before:.2f} s before, {reference_loop_seconds():.2f} s after"
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    lines = [
        "## Full pipeline: `python bench/run.py` (issue 7)",
        "",
        f"Machine: {machine()}; measured {dt.date.today().isoformat()} on commit "
        f"{commit or '?'} (plus uncommitted changes, if any), `--sizes {args.sizes} "
        f"--formats {args.formats}`. Peak memory is the process tree's. Other processes may "
        "have shared the machine: the reference loop of `bench/_measure.py` (CPU seconds of a "
        f"fixed Python loop; lower is faster) took {speed}.",
        "",
        *table(runs),
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_benchmarks(lines)
        print(f"written to {BENCHMARKS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
