"""A responder endpoint as a BDS dataset: trial B's 6-month "therapy success" (ADEFF).

Declared in ``mappings/<study>/adam/adeff.yaml``::

    dataset: ADEFF
    structure: BDS
    label: Efficacy Analysis Dataset
    adsl: {TRTP: TRT01P, TRTPN: TRT01PN, ITTFL: ITTFL}  # ADEFF variable: ADSL variable
    population: {field: ITTFL, equals: Y}              # condition on ADSL; all subjects if absent
    start: RANDDT                                      # ADSL date that ADY counts from
    measures:
      - paramcd: VASREST
        param: Rest Pain VAS (mm)
        source: {dataset: QS, where: {field: QSTESTCD, equals: VASREST},
                 value: QSSTRESN, date: QSDTC}         # see adam.sources (pattern, impute, ...)
        range: [0, 100]                                # values outside: reported, not used
        baseline: {field: QSLOBXFL, equals: Y}         # condition on the source records
        visit: {avisit: MONTH 6, avisitn: 6, where: {field: VISITNUM, equals: "60"}}
    composite:
      paramcd: TSUCCESS
      param: Therapy Success at Month 6
      avisit: MONTH 6
      avisitn: 6
      missing: failure                                 # failure | exclude
      components:                                      # CRIT1, CRIT2, ... in this order
        - crit: Alive at month 6
          no_event: {dataset: ADTTE, paramcd: TTDEATH, by_day: 183}
        - crit: Not worsened in Rutherford category or VAS
          none_of: [{paramcd: RUTHCAT, chg_at_least: 1}, {paramcd: VASREST, chg_at_least: 10}]
        - crit: Improved in Rutherford category or VAS
          any_of: [{paramcd: RUTHCAT, chg_at_most: -1}, {paramcd: VASREST, chg_at_most: -10}]

Records, for each subject of the population (:func:`derive_efficacy`):

* per measure, a baseline record (AVISIT ``BASELINE``, AVISITN 0, ABLFL ``Y``) from the last
  source record meeting ``baseline``, and an analysis-visit record from the last source
  record meeting ``visit.where`` (by date, then --SEQ); each with ADT, ADY, AVAL, BASE,
  CHG (analysis visit only) and SRCDOM/SRCVAR/SRCSEQ of the record used. A value that is
  not a number, does not match the source ``pattern`` or lies outside ``range`` is reported
  and not used. A subject without such a record has no record for that visit.
* one composite record: CRITy (the component's text) and CRITyFL for every component, and
  AVAL 1/0 with AVALC ``Y``/``N``.

Component flags (three-valued: ``Y``, ``N``, or blank when it cannot be evaluated):

* ``no_event``: ``N`` when the subject has an ADTTE record of ``paramcd`` with CNSR 0 and
  AVAL <= ``by_day``; ``Y`` when the subject has a record of ``paramcd`` otherwise (censored
  before ``by_day`` counts as no event: the visit components catch lost follow-up); blank
  when the subject has no record of ``paramcd`` (reported).
* ``none_of``: ``N`` when a listed test holds, ``Y`` when all are evaluable and none holds.
* ``any_of``: ``Y`` when a listed test holds, ``N`` when all are evaluable and none holds.
  A test is ``chg_at_least: x`` (CHG >= x) or ``chg_at_most: x`` (CHG <= x) on the
  measure's analysis-visit record; without CHG it cannot be evaluated.

The composite is the "and" of the components: any ``N`` makes a failure (so a dead or
amputated subject fails whatever is missing), all ``Y`` a success. Otherwise ``missing``
decides: ``failure`` gives AVAL 0 with DTYPE ``WC`` (CDISC CT C81224 "Worst Case
Imputation Technique", C81203); ``exclude`` leaves AVAL and AVALC blank. Either way the
blank CRITyFL show which components could not be evaluated, and the problem table lists
the subject (``efficacy-missing-rule``) with what was missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adam.sources import RecordSource, check_source
from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, did_you_mean
from sdtm.conditions import Condition, check_condition

TOP_KEYS = ("dataset", "structure", "label", "adsl", "population", "start", "measures")
TOP_KEYS += ("composite",)
MEASURE_KEYS = ("paramcd", "param", "source", "baseline", "visit", "range")
VISIT_KEYS = ("avisit", "avisitn", "where")
COMPOSITE_KEYS = ("paramcd", "param", "avisit", "avisitn", "components", "missing")
KINDS = ("no_event", "none_of", "any_of")
TESTS = ("chg_at_least", "chg_at_most")
MISSING_RULES = ("failure", "exclude")
_NAME = re.compile(r"[A-Z][A-Z0-9]{0,7}")


@dataclass(frozen=True)
class Measure:
    """A parameter read at baseline and at one analysis visit (see the module docstring)."""

    paramcd: str
    param: str
    source: RecordSource
    baseline: Condition
    avisit: str
    avisitn: float
    visit: Condition
    range: tuple[float, float] | None = None


@dataclass(frozen=True)
class ChangeTest:
    """``CHG >= threshold`` (``chg_at_least``) or ``CHG <= threshold`` (``chg_at_most``)."""

    paramcd: str
    test: str
    threshold: float

    def describe(self) -> str:
        """The test in words."""
        return (
            f"{self.paramcd} CHG {'>=' if self.test == 'chg_at_least' else '<='} {self.threshold:g}"
        )


@dataclass(frozen=True)
class Component:
    """One criterion of the composite: ``no_event`` (ADTTE) or ``none_of``/``any_of`` tests."""

    crit: str
    kind: str
    tests: tuple[ChangeTest, ...] = ()
    tte_paramcd: str | None = None
    by_day: float | None = None


@dataclass(frozen=True)
class Composite:
    """The responder parameter built from the components."""

    paramcd: str
    param: str
    avisit: str
    avisitn: float | None
    components: tuple[Component, ...]
    missing: str


@dataclass(frozen=True)
class EfficacySpec:
    """A checked efficacy spec; :func:`derive_efficacy` executes it."""

    dataset: str
    label: str
    adsl: tuple[tuple[str, str], ...]
    population: Condition | None
    start: str
    measures: tuple[Measure, ...]
    composite: Composite


def check_efficacy(
    doc: SpecDocument, standards: Standards, adsl_vars: set[str], tte_params: set[str]
) -> tuple[EfficacySpec | None, list[SpecProblem]]:
    """Check an efficacy spec; every problem is returned, the spec only when there are none.

    ``adsl_vars``: the ADSL variables the build derives; ``tte_params``: the PARAMCD values of
    the build's ADTTE (``no_event`` components may name only these).

    >>> spec, problems = check_efficacy(load_spec(path), Standards.load(),  # doctest: +SKIP
    ...                                 {"USUBJID", "ITTFL", "RANDDT"}, {"TTDEATH"})
    >>> [str(p) for p in problems]                                          # doctest: +SKIP
    ['adeff.yaml:3 start: ADSL has no variable 'RANDT' (did you mean 'RANDDT'?)']
    """
    problems: list[SpecProblem] = []
    data = doc.data
    problems += check_keys(doc, (), data, required=TOP_KEYS[:3] + TOP_KEYS[5:], optional=TOP_KEYS)
    if not isinstance(data, dict):
        return None, problems
    dataset = _name(doc, ("dataset",), data.get("dataset"), problems)
    if dataset and not dataset.startswith("AD"):
        problems.append(doc.problem(("dataset",), f"ADaM dataset names start with AD: {dataset!r}"))
    if "structure" in data and data["structure"] != "BDS":
        problems.append(
            doc.problem(("structure",), f"unknown structure {data['structure']!r}", "only BDS")
        )
    label = _text(doc, ("label",), data.get("label"), 40, problems)
    adsl = _check_adsl(doc, data.get("adsl", {}), standards, adsl_vars, problems)
    population = None
    if "population" in data:
        population = check_condition(doc, ("population",), data["population"], adsl_vars, problems)
    start = data.get("start")
    if "start" in data and start not in adsl_vars:
        problems.append(
            doc.problem(
                ("start",), f"ADSL has no variable {start!r}", did_you_mean(str(start), adsl_vars)
            )
        )
    measures = _check_measures(doc, data.get("measures"), standards, adsl_vars, problems)
    # Every declared paramcd, so a component naming a measure with its own problem is not
    # reported a second time.
    raw_measures = data.get("measures") if isinstance(data.get("measures"), list) else []
    codes = {m["paramcd"] for m in raw_measures if isinstance(m, dict) and "paramcd" in m}
    composite = _check_composite(doc, data.get("composite"), codes, tte_params, problems)
    if problems:
        return None, problems
    return (
        EfficacySpec(dataset, label, adsl, population, start, tuple(measures), composite),
        problems,
    )


def _name(doc, keypath, value, problems) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        problems.append(
            doc.problem(keypath, f"not a SAS name: {value!r}", "1-8 capitals and digits")
        )
        return ""
    return value


def _text(doc, keypath, value, limit, problems) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(doc.problem(keypath, "expected text"))
        return ""
    if len(value) > limit:
        problems.append(doc.problem(keypath, f"longer than {limit} characters ({len(value)})"))
    return value


def _number(doc, keypath, value, problems) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(doc.problem(keypath, f"expected a number, found {value!r}"))
        return None
    return float(value)


def _check_adsl(doc, raw, standards, adsl_vars, problems) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        problems.append(
            doc.problem(("adsl",), "expected a mapping of ADaM variable: ADSL variable")
        )
        return ()
    pairs = []
    for target, name in raw.items():
        here = ("adsl", target)
        known = standards.adam_variable("BDS", target) or standards.adam_variable("ADSL", target)
        if known is None:
            problems.append(doc.problem(here, f"{target!r} is not an ADaMIG BDS or ADSL variable"))
        if name not in adsl_vars:
            problems.append(
                doc.problem(
                    here, f"ADSL has no variable {name!r}", did_you_mean(str(name), adsl_vars)
                )
            )
        pairs.append((target, name))
    return tuple(pairs)


def _check_measures(doc, raw, standards, adsl_vars, problems) -> list[Measure]:
    if not isinstance(raw, list) or not raw:
        problems.append(doc.problem(("measures",), "expected a list of measures"))
        return []
    measures, seen = [], set()
    for i, item in enumerate(raw):
        here = ("measures", i)
        before = len(problems)
        problems += check_keys(
            doc,
            here,
            item,
            required=("paramcd", "param", "source", "baseline", "visit"),
            optional=MEASURE_KEYS,
        )
        if not isinstance(item, dict):
            continue
        paramcd = _name(doc, (*here, "paramcd"), item.get("paramcd"), problems)
        if paramcd in seen:
            problems.append(doc.problem((*here, "paramcd"), f"paramcd {paramcd!r} declared twice"))
        seen.add(paramcd)
        param = _text(doc, (*here, "param"), item.get("param"), 200, problems)
        source = None
        if "source" in item:
            source = check_source(
                doc,
                (*here, "source"),
                item["source"],
                standards,
                adsl_vars,
                problems,
                needs="value",
            )
        raw_source = item.get("source") if isinstance(item.get("source"), dict) else {}
        if "source" in item and raw_source.get("date") is None:
            problems.append(doc.problem((*here, "source"), "missing required key 'date'"))
        columns = _source_columns(raw_source.get("dataset"), standards, adsl_vars)
        baseline = None
        if "baseline" in item:
            baseline = check_condition(
                doc, (*here, "baseline"), item["baseline"], columns, problems
            )
        visit = item.get("visit")
        problems += check_keys(doc, (*here, "visit"), visit, required=VISIT_KEYS)
        avisit, avisitn, where = "", None, None
        if isinstance(visit, dict):
            avisit = _text(doc, (*here, "visit", "avisit"), visit.get("avisit"), 200, problems)
            if "avisitn" in visit:
                avisitn = _number(doc, (*here, "visit", "avisitn"), visit["avisitn"], problems)
            if "where" in visit:
                where = check_condition(
                    doc, (*here, "visit", "where"), visit["where"], columns, problems
                )
        bounds = None
        if "range" in item:
            bounds = _check_range(doc, (*here, "range"), item["range"], problems)
        if len(problems) == before:
            measures.append(
                Measure(paramcd, param, source, baseline, avisit, avisitn, where, bounds)
            )
    return measures


def _source_columns(dataset, standards, adsl_vars) -> set[str] | None:
    """The variables a condition on the source may test (None: unknown dataset, no check)."""
    name = str(dataset).upper()
    if name == "ADSL":
        return set(adsl_vars)
    if name in standards.sdtm_domains:
        return {v.name for v in standards.sdtm_variables(name)} | set(adsl_vars)
    return None


def _check_range(doc, keypath, raw, problems) -> tuple[float, float] | None:
    if not isinstance(raw, list) or len(raw) != 2:
        problems.append(doc.problem(keypath, "expected [lowest, highest]", "for example [0, 100]"))
        return None
    low = _number(doc, (*keypath, 0), raw[0], problems)
    high = _number(doc, (*keypath, 1), raw[1], problems)
    if low is None or high is None:
        return None
    if low > high:
        problems.append(doc.problem(keypath, f"lowest {low:g} is above highest {high:g}"))
        return None
    return low, high


def _check_composite(doc, raw, codes, tte_params, problems) -> Composite | None:
    here = ("composite",)
    problems += check_keys(
        doc,
        here,
        raw,
        required=("paramcd", "param", "avisit", "components", "missing"),
        optional=COMPOSITE_KEYS,
    )
    if not isinstance(raw, dict):
        return None
    paramcd = _name(doc, (*here, "paramcd"), raw.get("paramcd"), problems)
    if paramcd in codes:
        problems.append(doc.problem((*here, "paramcd"), f"paramcd {paramcd!r} is also a measure"))
    param = _text(doc, (*here, "param"), raw.get("param"), 200, problems)
    avisit = _text(doc, (*here, "avisit"), raw.get("avisit"), 200, problems)
    avisitn = None
    if "avisitn" in raw:
        avisitn = _number(doc, (*here, "avisitn"), raw["avisitn"], problems)
    missing = raw.get("missing")
    if "missing" in raw and missing not in MISSING_RULES:
        problems.append(
            doc.problem(
                (*here, "missing"),
                f"unknown missing rule {missing!r}",
                did_you_mean(str(missing), MISSING_RULES) or "failure or exclude",
            )
        )
    items = raw.get("components")
    if "components" in raw and (not isinstance(items, list) or not items):
        problems.append(doc.problem((*here, "components"), "expected a list of components"))
        items = []
    components = [
        _check_component(doc, (*here, "components", i), item, codes, tte_params, problems)
        for i, item in enumerate(items or [])
    ]
    return Composite(paramcd, param, avisit, avisitn, tuple(components), missing)


def _check_component(doc, here, raw, codes, tte_params, problems) -> Component | None:
    problems += check_keys(doc, here, raw, required=("crit",), optional=("crit", *KINDS))
    if not isinstance(raw, dict):
        return None
    crit = _text(doc, (*here, "crit"), raw.get("crit"), 200, problems)
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        problems.append(doc.problem(here, "a component needs exactly one of " + ", ".join(KINDS)))
        return None
    kind = kinds[0]
    body = raw[kind]
    if kind == "no_event":
        problems += check_keys(doc, (*here, kind), body, required=("dataset", "paramcd", "by_day"))
        if not isinstance(body, dict):
            return None
        if "dataset" in body and body["dataset"] != "ADTTE":
            problems.append(doc.problem((*here, kind, "dataset"), "only ADTTE is supported"))
        paramcd = body.get("paramcd")
        if "paramcd" in body and paramcd not in tte_params:
            problems.append(
                doc.problem(
                    (*here, kind, "paramcd"),
                    f"ADTTE has no parameter {paramcd!r}",
                    did_you_mean(str(paramcd), tte_params)
                    or f"known: {', '.join(sorted(tte_params))}",
                )
            )
        by_day = None
        if "by_day" in body:
            by_day = _number(doc, (*here, kind, "by_day"), body["by_day"], problems)
        return Component(crit, kind, tte_paramcd=paramcd, by_day=by_day)
    if not isinstance(body, list) or not body:
        problems.append(doc.problem((*here, kind), "expected a list of tests"))
        return None
    tests = []
    for j, test in enumerate(body):
        at = (*here, kind, j)
        problems += check_keys(doc, at, test, required=("paramcd",), optional=("paramcd", *TESTS))
        if not isinstance(test, dict):
            continue
        paramcd = test.get("paramcd")
        if "paramcd" in test and paramcd not in codes:
            problems.append(
                doc.problem(
                    (*at, "paramcd"),
                    f"no measure has paramcd {paramcd!r}",
                    did_you_mean(str(paramcd), codes) or f"measures: {', '.join(sorted(codes))}",
                )
            )
        named = [t for t in TESTS if t in test]
        if len(named) != 1:
            problems.append(
                doc.problem(at, "a test needs exactly one threshold: " + " or ".join(TESTS))
            )
            continue
        threshold = _number(doc, (*at, named[0]), test[named[0]], problems)
        if threshold is not None:
            tests.append(ChangeTest(paramcd, named[0], threshold))
    return Component(crit, kind, tests=tuple(tests))
