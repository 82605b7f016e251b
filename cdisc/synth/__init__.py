"""Synthetic raw EDC exports of the two reference trials, with machine-readable ground truth.

``synthesize(study, out, ...)`` writes a realistic, messy export of trial B (``sail``, ODM by
default) or trial A (``pmsc-cli``, REDCap by default) in ODM 1.3.2, REDCap or Rave-style CSV,
plus ``ground_truth/`` (clean subject facts, every injected defect, a manifest). It is the demo
study, the test fixture and the benchmark load of the toolkit.
"""

from cdisc.synth.defects import KINDS
from cdisc.synth.engine import FORMATS, SynthResult, synthesize
from cdisc.synth.studies import STUDIES

__all__ = ["FORMATS", "KINDS", "STUDIES", "SynthResult", "synthesize"]
