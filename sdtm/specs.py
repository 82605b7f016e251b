"""Load and check every SDTM spec of a study at once: ``study.yaml`` design keys and each
``sdtm/*.yaml``, against SDTMIG 3.4, the CT and the forms and fields the source declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdisc.readers.base import DECODE_SUFFIX, LINEAGE_COLUMNS, RawExport
from cdisc.standards import Standards
from cdisc.study import Study, _display
from cdisc.yamlspec import SpecProblem, SpecProblems, did_you_mean, load_spec
from sdtm.conditions import condition_fields
from sdtm.design import Design, check_design
from sdtm.spec import DomainSpec, check_domain
from sdtm.trialdesign import check_summary


@dataclass(frozen=True)
class StudySpecs:
    """A study's checked SDTM specs: the design and one spec per domain, in file-name order."""

    design: Design
    domains: dict[str, DomainSpec]


def declared_fields(export: RawExport) -> dict[str, set[str]]:
    """Form -> field names the export declares, with decode twins and lineage columns.

    ``cdisc.readers.read_declared`` returns the same from the export's metadata alone,
    without reading its records (what ``cdisc check`` uses).
    """
    out = {}
    for form, frame in export.forms.items():
        names = {f.name for f in export.fields.get(form, [])} | set(frame.columns)
        names |= {f"{f.name}{DECODE_SUFFIX}" for f in export.fields.get(form, []) if f.codelist}
        out[form] = names | set(LINEAGE_COLUMNS)
    return out


def spec_files(study: Study) -> list[Path]:
    """The study's domain spec files, sorted by name."""
    return sorted((study.folder / "sdtm").glob("*.yaml"))


def load_study_specs(
    study: Study, standards: Standards, fields: dict[str, set[str]] | None = None
) -> StudySpecs:
    """Check every spec file; raise :class:`SpecProblems` listing all problems of all files."""
    design, problems = check_design(study.document)
    problems = [*problems, *check_summary(study.document, design, standards)]
    if fields is not None:
        problems += _ref_problems(study, design, fields)
    domains: dict[str, DomainSpec] = {}
    for path in spec_files(study):
        try:
            doc = load_spec(path, display=_display(path))
        except SpecProblems as exc:
            problems += exc.problems
            continue
        spec, found = check_domain(doc, standards, fields)
        problems += found
        if spec is None:
            continue
        if spec.domain in domains:
            problems.append(
                doc.problem(
                    ("domain",),
                    f"domain {spec.domain} is also mapped in {domains[spec.domain].path}",
                )
            )
            continue
        domains[spec.domain] = spec
    if problems:
        raise SpecProblems(problems)
    return StudySpecs(design, domains)


def _ref_problems(study: Study, design: Design, fields: dict[str, set[str]]) -> list[SpecProblem]:
    doc, problems = study.document, []
    for keypath, ref in design.refs():
        if ref.form not in fields:
            problems.append(
                doc.problem(
                    (*keypath, "form"),
                    f"the source declares no form {ref.form!r}",
                    did_you_mean(ref.form, fields),
                )
            )
        elif ref.field not in fields[ref.form]:
            problems.append(
                doc.problem(
                    (*keypath, "field"),
                    f"form {ref.form!r} declares no field {ref.field!r}",
                    did_you_mean(ref.field, fields[ref.form]),
                )
            )
    return problems


def referenced_fields(specs: StudySpecs) -> dict[str, set[str]]:
    """Form -> the raw fields some spec reads (decode twins folded onto their item).

    A field of a read form that no spec names is reported in ``build_report.json``
    (``fields_not_used``), so an item left out of SDTM is a visible decision.
    """
    out: dict[str, set[str]] = {}

    def add(forms, *names) -> None:
        for form in forms:
            out.setdefault(form, set()).update(
                n.removesuffix(DECODE_SUFFIX) for n in names if isinstance(n, str)
            )

    for ref in (r for _, r in specs.design.refs()):
        add([ref.form], ref.field)
    for form, name in specs.design.visit_dates.items():
        add([form], name)
    for spec in specs.domains.values():
        forms = [s.form for s in spec.sources]
        for source in spec.sources:
            add([source.form], *condition_fields(source.filter), *source.required)
        for step in spec.steps:
            add(forms, step.args.get("field"), step.args.get("time"))
            add(forms, *condition_fields(step.when))
        for test in spec.tests:
            add(forms, *test.fields, test.unit_field, test.reason_field, test.laterality_field)
            add(forms, test.standard_field)
            if test.ratio is not None:
                add(forms, *test.ratio.denominator, *test.ratio.across)
        for q in spec.supplemental:
            add(forms, q.field, *condition_fields(q.when))
        add(forms, *condition_fields(spec.not_done))
    return out
