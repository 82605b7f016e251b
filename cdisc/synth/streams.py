"""Independent, reproducible random streams per (seed, chunk, stage).

Subjects are generated in chunks of :data:`CHUNK` consecutive subjects; the chunk boundaries
depend on nothing but the subject index, and every stage of a chunk (demographics, visits, labs,
each defect kind ...) draws from its own stream, derived with ``numpy.random.SeedSequence`` from
the seed, the chunk number and a stable stage number (CRC-32 of the stage name, never Python's
salted ``hash``). Adding a stage therefore leaves the draws of the others unchanged, and the
same arguments give the same bytes on every machine.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Subjects per generation chunk. Part of the output definition: changing it changes the data.
CHUNK = 1000


def stream(seed: int, chunk: int, stage: str) -> np.random.Generator:
    """The generator for one stage of one chunk.

    Example: ``stream(1, 0, "labs").normal()`` is the same number in every run.
    """
    key = zlib.crc32(stage.encode("utf-8"))
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk, key)))
    )


def chunks(n: int) -> list[tuple[int, int, int]]:
    """``(chunk number, first subject index, end index)`` for ``n`` subjects."""
    return [(k, lo, min(lo + CHUNK, n)) for k, lo in enumerate(range(0, n, CHUNK))]
