"""``python -m cdisc.synth``: the generator's own command line, until ``cdisc synth`` wires it.

Same options as ``cdisc synth --study {sail,pmsc-cli} [--format {odm,redcap,rave}]
[--subjects N] [--seed N] [--clean] --out DIR``. Errors are printed without a traceback; exit
code 2 for bad usage (the toolkit's convention).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cdisc.errors import ToolkitError
from cdisc.synth import FORMATS, STUDIES, synthesize


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run :func:`cdisc.synth.synthesize`, print a summary; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m cdisc.synth", description="Write a synthetic raw EDC export."
    )
    parser.add_argument("--study", required=True, choices=sorted(STUDIES))
    parser.add_argument("--format", dest="fmt", choices=FORMATS)
    parser.add_argument("--subjects", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clean", action="store_true", help="inject no defects")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    def progress(stage: str, done: int, total: int) -> None:
        if not args.quiet:
            print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    try:
        result = synthesize(
            args.study,
            args.out,
            fmt=args.fmt,
            subjects=args.subjects,
            seed=args.seed,
            clean=args.clean,
            progress=progress,
        )
    except ToolkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(
        f"{result.study} ({result.format}): {result.subjects} subjects, "
        f"{result.defects} defects, {len(result.files)} files in {result.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
