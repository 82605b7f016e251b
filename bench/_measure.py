"""Run a command in a subprocess and measure it: wall time, CPU time, peak resident memory.

Shared by the benchmark scripts (``bench/synth.py``, ``bench/validate.py``). The CPU time and
the first memory figure come from ``os.wait4`` on the command's process: its user + system
time and the peak RSS of the largest process among it and the children it waited for. The
second is the peak of the summed memory of the whole process tree (proportional set sizes,
so pages a forked worker shares with its parent count once), sampled from ``/proc`` every
0.1 s on Linux: a command that runs worker processes side by side is judged on the total.

>>> m = run_measured(["python", "-c", "print(1)"])
>>> m.returncode, m.stdout.strip()
(0, '1')
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Seconds between two samples of the process tree's memory.
SAMPLE_SECONDS = 0.1


def reference_loop_seconds(steps: int = 5_000_000) -> float:
    """CPU seconds of a fixed pure-Python loop: how fast this machine is right now.

    A shared virtual machine's speed changes from minute to minute (the same validation took
    21 and 30 s within the hour on the 2-core benchmark machine), so each benchmark prints
    this figure before and after its runs, to tell a slow machine from slow code.

    >>> reference_loop_seconds(1000) >= 0
    True
    """
    start = time.process_time()
    total = 0
    for step in range(steps):  # the work measured: a loop of additions, nothing else
        total += step
    return time.process_time() - start


@dataclass(frozen=True)
class Measurement:
    """What :func:`run_measured` saw: the command's exit status and output, and its cost."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and the children it waited for
    peak_mb: float  # largest single process among them (ru_maxrss)
    tree_peak_mb: float  # all processes of the tree together (PSS), sampled

    @property
    def peak(self) -> float:
        """The memory figure a budget applies to: the larger of the two peaks, in MB."""
        return max(self.peak_mb, self.tree_peak_mb)


def tree_memory_mb(root: int) -> float:
    """Memory of ``root`` and all its descendants from /proc (Linux): the sum of their
    proportional set sizes (PSS: a page shared by n processes counts 1/n in each, so a
    forked worker's pages shared with its parent are counted once), or of their resident
    sizes where PSS cannot be read."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
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
        rss[pid] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss(pid, rss.get(pid, 0))
        todo.extend(children.get(pid, []))
    return total / 2**20


def _pss(pid: int, rss: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss


def run_measured(
    command: list[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Measurement:
    """Run ``command`` (in ``cwd`` when given) to completion, output captured, and measure
    it. ``env`` replaces the environment when given."""
    start = time.perf_counter()
    # Output goes to files, not pipes: a pipe that fills while this loop samples would stall
    # the command.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=err,
            text=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        tree_peak = 0.0
        sampling = os.path.isdir("/proc")
        while True:
            # wait4 gives this child's own resource usage (it and the children it waited for)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if sampling:
                tree_peak = max(tree_peak, tree_memory_mb(process.pid))
            time.sleep(SAMPLE_SECONDS)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(
        command=list(command),
        returncode=process.returncode,
        stdout=stdout,
        stderr=stderr,
        wall=wall,
        cpu=cpu,
        peak_mb=usage.ru_maxrss / 1024,
        tree_peak_mb=tree_peak,
    )
