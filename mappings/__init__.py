"""Bundled study mapping folders: one folder per study, each with ``study.yaml``.

Data, not code. A study folder may also hold ``raw/``, the bundled raw EDC export.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
