"""Load and check every ADaM spec of a study at once (``mappings/<study>/adam/*.yaml``).

Which checker reads a file follows its ``dataset`` and ``structure`` keys: ``ADSL``
(:mod:`adam.adsl`), ``structure: TTE`` (:mod:`adam.tte_spec`), ``structure: BDS``
(:mod:`adam.efficacy_spec`). ADSL is checked first, so the others may name its variables.
Every source must read a dataset the SDTM specs make; every problem of every file is
reported together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from adam.adsl import AdslSpec, check_adsl
from adam.efficacy_spec import EfficacySpec, check_efficacy
from adam.sources import RecordSource
from adam.tte_spec import TteSpec, check_tte
from cdisc.standards import Standards
from cdisc.study import Study, _display
from cdisc.yamlspec import SpecDocument, SpecProblem, SpecProblems, did_you_mean, load_spec

#: Datasets every SDTM build writes from study.yaml, whatever the domain specs.
DESIGN_DATASETS = {"TA", "TE", "TV", "TI", "TS", "SE", "SV"}


@dataclass(frozen=True)
class AdamSpecs:
    """A study's checked ADaM specs; ``tte`` and ``efficacy`` may be None."""

    adsl: AdslSpec
    tte: TteSpec | None = None
    efficacy: EfficacySpec | None = None

    @property
    def names(self) -> list[str]:
        """The datasets the specs make, in derivation order: ADSL, ADTTE, the efficacy one."""
        return ["ADSL"] + [s.dataset for s in (self.tte, self.efficacy) if s is not None]


def adam_spec_files(study: Study) -> list[Path]:
    """The study's ADaM spec files, sorted by name."""
    return sorted((study.folder / "adam").glob("*.yaml"))


def load_adam_specs(
    study: Study, standards: Standards, sdtm_datasets: set[str] | None = None
) -> AdamSpecs | None:
    """Check every ADaM spec file; None when the study has none.

    ``sdtm_datasets`` are the datasets the SDTM stage writes (the domain specs, their
    SUPP--, and the design datasets); a source reading any other is a problem. Raises
    :class:`SpecProblems` listing all problems of all files.
    """
    files = adam_spec_files(study)
    if not files:
        return None
    docs, problems = [], []
    for path in files:
        try:
            docs.append(load_spec(path, display=_display(path)))
        except SpecProblems as exc:
            problems += exc.problems
    if problems:
        raise SpecProblems(problems)
    kinds = {"ADSL": [], "TTE": [], "BDS": []}
    for doc in docs:
        kind = _kind(doc, problems)
        if kind is not None:
            kinds[kind].append(doc)
    for kind, found in kinds.items():
        for doc in found[1:]:
            problems.append(
                doc.problem((), f"a second {kind} spec (the first is {found[0].display})")
            )
    if not kinds["ADSL"]:
        raise SpecProblems(
            [*problems, SpecProblem(str(study.folder / "adam"), None, "", "no ADSL spec")]
        )
    adsl, found = check_adsl(kinds["ADSL"][0], standards)
    problems += found
    # With ADSL in error, the other specs are still checked, against the names it declares.
    adsl_vars = set(adsl.variables) if adsl is not None else _declared(kinds["ADSL"][0])
    tte = efficacy = None
    if kinds["TTE"]:
        tte, found = check_tte(kinds["TTE"][0], standards, adsl_vars)
        problems += found
    if kinds["BDS"]:
        params = {p.paramcd for p in tte.parameters} if tte is not None else set()
        efficacy, found = check_efficacy(kinds["BDS"][0], standards, adsl_vars, params)
        problems += found
    if sdtm_datasets is not None:
        for kind, spec in (("ADSL", adsl), ("TTE", tte), ("BDS", efficacy)):
            if kinds[kind]:
                problems += _unknown_datasets(kinds[kind][0], spec, sdtm_datasets)
    if problems:
        raise SpecProblems(problems)
    return AdamSpecs(adsl, tte, efficacy)


def sdtm_datasets(specs) -> set[str]:
    """The datasets an SDTM build of ``specs`` (a :class:`sdtm.specs.StudySpecs`) may write:
    every mapped domain, its SUPP--, and the design datasets."""
    domains = set(specs.domains)
    return domains | {f"SUPP{d}" for d in domains} | DESIGN_DATASETS


def _declared(doc: SpecDocument) -> set[str]:
    """The ADSL variables an ADSL spec names (copies, variables and imputation flags)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    names = {str(n) for n in data.get("copy") or [] if isinstance(data.get("copy"), list)}
    variables = data.get("variables") if isinstance(data.get("variables"), dict) else {}
    names |= set(variables)
    for raw in variables.values():
        for step in raw if isinstance(raw, list) else [raw]:
            impute = step.get("impute") if isinstance(step, dict) else None
            if isinstance(impute, dict) and isinstance(impute.get("flag"), str):
                names.add(impute["flag"])
    return names


def _kind(doc: SpecDocument, problems: list[SpecProblem]) -> str | None:
    data = doc.data if isinstance(doc.data, dict) else {}
    if str(data.get("dataset", "")).upper() == "ADSL":
        return "ADSL"
    structure = str(data.get("structure", "")).upper()
    if structure in ("TTE", "BDS"):
        return structure
    problems.append(
        doc.problem(
            ("structure",),
            f"unknown ADaM structure {data.get('structure')!r}",
            did_you_mean(structure, ["TTE", "BDS"]) or "dataset: ADSL, or structure TTE or BDS",
        )
    )
    return None


def _unknown_datasets(doc: SpecDocument, spec, datasets: set[str]) -> list[SpecProblem]:
    """A problem per source reading a dataset the SDTM build does not write."""
    if spec is None:
        return []
    allowed = datasets | {"ADSL", "ADTTE"}
    return [
        doc.problem(
            (),
            f"a source reads {source.dataset}, which the SDTM specs do not make",
            did_you_mean(source.dataset, allowed),
        )
        for source in _sources(spec)
        if source.dataset not in allowed
    ]


def _sources(value) -> list[RecordSource]:
    """Every RecordSource inside a spec object, however deeply nested."""
    if isinstance(value, RecordSource):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [s for f in dataclasses.fields(value) for s in _sources(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _sources(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _sources(v)]
    return []
