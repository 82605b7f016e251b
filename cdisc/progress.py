"""Progress lines on a terminal; silence on a pipe or in CI.

Long work (generating 100,000 subjects, building a large study) reports through a
``progress(stage, done, total)`` callback so library code stays free of printing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    """A callable ``progress(stage, done, total)`` that redraws one status line on stderr.

    It is active only when the stream is a terminal and ``CI`` is not set, so logs and
    pipes stay clean. Updates are throttled to a few per second.

    >>> progress = Progress(enabled=False)
    >>> progress("subjects", 10, 100)  # prints nothing when disabled
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self._last = 0.0
        self._stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        finished = total > 0 and done >= total
        if stage == self._stage and not finished and now - self._last < 0.2:
            return
        self._stage, self._last = stage, now
        percent = f" {100 * done // total:3d}%" if total > 0 else ""
        self.stream.write(f"\r\033[K{stage}: {done:,}/{total:,}{percent}")
        if finished:
            self.stream.write("\n")
        self.stream.flush()
