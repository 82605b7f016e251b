"""Domain mapping specs (``mappings/<study>/sdtm/<domain>.yaml``): schema check and typed objects.

The stages follow dbt: :func:`cdisc.yamlspec.load_spec` loads (duplicate keys rejected), this
module checks the schema and builds frozen objects, :mod:`sdtm.engine` plans and executes.
Every problem of every file is collected, never only the first.

A domain spec::

    domain: AE
    sources:
      - form: ae
        filter: {field: AETERM, present: true}
    variables:
      AETERM: {algorithm: assign_no_ct, field: AETERM}
      AESEV: {algorithm: assign_ct, field: AESEV_DECODE, codelist: AESEV}
      AESTDTC: {algorithm: assign_datetime, field: AESTDAT}
    supplemental:
      - {qnam: AECOM, qlabel: Comment, qorig: CRF, field: AECOM}
    sequence: [AESTDTC, AETERM]
    derivations: {study_day: [AESTDTC, AEENDTC], epoch: AESTDTC}

A variable holds one step or a list of steps; each later step only fills rows the earlier
ones left missing (``when:`` is a condition object, see :mod:`sdtm.conditions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cdisc.errors import SpecError
from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, did_you_mean
from sdtm.algorithms import ALGORITHMS
from sdtm.conditions import Condition, check_condition, name_hint

DOMAIN_KEYS = ("domain", "sources", "variables", "supplemental", "tests", "not_done", "sequence")
DOMAIN_KEYS += ("derivations", "not_done_results")
DERIVATION_KEYS = ("study_day", "epoch", "visit", "baseline", "death_from", "by_arm")
TEST_KEYS = ("testcd", "test", "result", "unit", "unit_field", "reason_field")
TEST_KEYS += ("position", "location", "laterality", "laterality_field", "target_unit")
TEST_KEYS += ("category", "subcategory", "specimen", "standard_field", "ratio", "decimals")
TEST_KEYS += ("range", "standard_values")
RATIO_KEYS = ("numerator", "denominator", "across", "unit")
SUPP_KEYS = ("qnam", "qlabel", "qorig", "qeval", "field", "when", "multiple")
#: The variables the engine itself sets, so a spec need not (and cannot usefully) map them.
ENGINE_VARIABLES = {"STUDYID", "DOMAIN", "USUBJID", "RDOMAIN", "EPOCH", "VISITNUM", "VISIT"}


@dataclass(frozen=True)
class Step:
    """One mapping step of one target variable: the algorithm and its arguments."""

    target: str
    algorithm: str
    args: dict[str, Any]
    when: Condition | None = None


@dataclass(frozen=True)
class Ratio:
    """A result derived as a ratio of collected values (ABI, TBI), flagged --DRVFL = Y.

    Numerator: the highest number among ``numerator`` fields of the record. Denominator: the
    highest number among ``denominator`` fields over all of the subject's records of the form
    that share the values of ``across`` (ABI: the higher brachial pressure of either arm, when
    each leg's record holds the arm on its side). ``across`` empty: the record alone.
    ``unit``: the unit every operand is collected in (a CDISC UNIT value); a value typed with
    it (``81mmHg``) is read as its number and reported as ``unit-in-result``.
    """

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    across: tuple[str, ...] = ()
    unit: str | None = None


@dataclass(frozen=True)
class Test:
    """One test of a findings panel read wide-to-long: ``result`` field -> --ORRES.

    ``ratio`` instead of ``result`` derives the result (see :class:`Ratio`); ``decimals``
    rounds it. ``standard_field`` holds --STRESC/--STRESN as collected (a questionnaire's
    coded score when --ORRES is the response text). ``specimen`` is a fixed --SPEC.
    ``range: [low, high]``: the plausible limits of the standard numeric result (--STRESN, in
    ``target_unit``); a result outside them is kept and reported (``out-of-range``).
    ``standard_values``: (collected --ORRES, --STRESC) pairs, matched ignoring case and
    surrounding blanks: the standardised category of a scale whose --ORRES is the collected
    text (Rutherford ``II-4 - Ischemic rest pain`` -> ``4``); --STRESN when it is a number.
    """

    testcd: str
    result: str | None = None
    test: str | None = None
    unit: str | None = None
    unit_field: str | None = None
    reason_field: str | None = None
    position: str | None = None
    location: str | None = None
    laterality: str | None = None
    laterality_field: str | None = None
    target_unit: str | None = None
    category: str | None = None
    subcategory: str | None = None
    specimen: str | None = None
    standard_field: str | None = None
    ratio: Ratio | None = None
    decimals: int | None = None
    range: tuple[float, float] | None = None
    standard_values: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """The raw fields holding this test's result: ``result``, or a ratio's numerator."""
        if self.ratio is not None:
            return self.ratio.numerator
        return (self.result,) if self.result else ()


@dataclass(frozen=True)
class Supplemental:
    """One SUPP-- qualifier: QNAM/QLABEL/QORIG and the raw field holding QVAL."""

    qnam: str
    qlabel: str
    field: str
    qorig: str = "CRF"
    qeval: str | None = None
    when: Condition | None = None
    #: ``{codelist, separator}``: a multiple-response item, one record per answer
    #: (QNAM RACE1, RACE2, ...) for the records with more than one answer.
    multiple: dict | None = None


@dataclass(frozen=True)
class Source:
    """A raw form a domain reads, with an optional row filter."""

    form: str
    filter: Condition | None = None
    #: CRF items that must be filled: a blank one is reported (``required-item-blank``).
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainSpec:
    """A checked domain spec. ``path`` and ``line`` are for messages only."""

    domain: str
    path: str
    sources: tuple[Source, ...]
    steps: tuple[Step, ...]
    supplemental: tuple[Supplemental, ...] = ()
    tests: tuple[Test, ...] = ()
    sequence: tuple[str, ...] = ()
    derivations: dict[str, Any] = field(default_factory=dict)
    not_done: Condition | None = None
    #: Result texts that say the test has no result (``ND``, ``not done``): the record becomes
    #: --STAT = NOT DONE with --ORRES empty (SDTMIG 3.4 4.5.1.1), each one reported.
    not_done_results: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """Mapped variables, in spec order, each once."""
        return tuple(dict.fromkeys(s.target for s in self.steps))


def check_domain(
    doc: SpecDocument,
    standards: Standards,
    fields: dict[str, set[str]] | None = None,
) -> tuple[DomainSpec | None, list[SpecProblem]]:
    """Check one domain spec; return the typed spec (None when it has problems) and them all.

    ``fields`` maps each form the source declares to its field names (with ``_DECODE``
    twins and lineage columns); without it, form and field references are not checked.
    """
    data = doc.data
    problems = check_keys(doc, (), data, required=["domain", "sources"], optional=DOMAIN_KEYS)
    if not isinstance(data, dict):
        return None, problems
    domain = str(data.get("domain", "")).upper()
    if domain not in standards.sdtm_domains:
        problems.append(
            doc.problem(
                ("domain",),
                f"unknown SDTM domain {data.get('domain')!r}",
                name_hint(domain, standards.sdtm_domains, "SDTMIG 3.4 domains"),
            )
        )
        return None, problems
    known = {v.name for v in standards.sdtm_variables(domain)}
    sources, forms = _sources(doc, data.get("sources"), fields, problems)
    columns = _columns(forms, fields)
    tests = _tests(doc, data.get("tests"), columns, problems)
    if tests:
        columns = None if columns is None else columns | {"_TESTCD"}
    steps = _variables(
        doc, data.get("variables") or {}, domain, known, standards, columns, problems
    )
    supp = _supplemental(doc, data.get("supplemental") or [], columns, problems)
    for i, q in enumerate(supp):
        if q.multiple is not None:
            try:
                standards.codelist(q.multiple["codelist"])
            except Exception as exc:  # SpecError from Standards; reported, not raised
                here = ("supplemental", i, "multiple", "codelist")
                problems.append(
                    doc.problem(here, getattr(exc, "message", str(exc)), getattr(exc, "hint", None))
                )
    not_done = None
    if "not_done" in data:
        not_done = check_condition(doc, ("not_done",), data["not_done"], columns, problems)
    not_done_results = _result_texts(doc, data.get("not_done_results"), tests, problems)
    sequence = _names(doc, ("sequence",), data.get("sequence") or [], problems)
    derivations = data.get("derivations") or {}
    problems += check_keys(doc, ("derivations",), derivations, optional=DERIVATION_KEYS)
    if isinstance(derivations, dict) and isinstance(derivations.get("baseline"), dict):
        problems += check_keys(
            doc,
            ("derivations", "baseline"),
            derivations["baseline"],
            optional=["by", "dtc", "new_var", "order"],
        )
    if isinstance(derivations, dict) and "by_arm" in derivations:
        problems += _check_by_arm(doc, derivations["by_arm"], known)
    mapped = {s.target for s in steps} | ENGINE_VARIABLES | _derived(domain, data, tests)
    for var in standards.sdtm_variables(domain):
        if var.core == "Req" and var.name not in mapped:
            problems.append(
                doc.problem(
                    ("variables",),
                    f"Required variable {var.name} is not mapped",
                    f"map {var.name} under variables:",
                )
            )
    if problems:
        return None, problems
    spec = DomainSpec(
        domain=domain,
        path=doc.display,
        sources=tuple(sources),
        steps=tuple(steps),
        supplemental=tuple(supp),
        tests=tuple(tests),
        sequence=tuple(sequence),
        derivations=dict(derivations),
        not_done=not_done,
        not_done_results=not_done_results,
    )
    # The death_from rule is checked here too, so cdisc check finds what build would refuse.
    from sdtm.disposition import death_from_rule  # imports this module: a local import

    try:
        death_from_rule(spec)
    except SpecError as exc:
        return None, [doc.problem(("derivations", "death_from"), exc.message, exc.hint)]
    return spec, problems


def _check_by_arm(doc, raw, known: set[str]) -> list[SpecProblem]:
    """``by_arm: {EXTRT: {BMMSC: BM-MSC, PLACEBO: PLACEBO}}``: a variable's value per ARMCD."""
    here = ("derivations", "by_arm")
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        return [
            doc.problem(
                here,
                "expected {VARIABLE: {ARMCD: value, ...}}",
                "for example by_arm: {EXTRT: {A: DRUG A, P: PLACEBO}}",
            )
        ]
    return [
        doc.problem(
            (*here, name),
            f"{name} is not a variable of this domain",
            name_hint(str(name), known, "variables"),
        )
        for name in raw
        if name not in known
    ]


def _derived(domain: str, data: dict, tests: list[Test]) -> set[str]:
    """Variables the engine derives for this spec (SEQ, test code and name, standard results)."""
    names = {f"{domain}SEQ"} if domain != "DM" else set()
    if tests:
        names |= {f"{domain}{s}" for s in ("TESTCD", "TEST", "ORRES", "ORRESU", "STRESC")}
        names |= {f"{domain}{s}" for s in ("STRESN", "STRESU", "STAT", "REASND")}
        # fixed or per-record qualifiers only when every test sets them (QSCAT is Required)
        fixed = {"category": "CAT", "subcategory": "SCAT", "specimen": "SPEC"}
        fixed |= {"position": "POS", "location": "LOC", "laterality": "LAT"}
        for key, var in fixed.items():
            if all(getattr(t, key) for t in tests):
                names.add(f"{domain}{var}")
        if any(t.ratio is not None for t in tests):
            names.add(f"{domain}DRVFL")
    derivations = data.get("derivations") or {}
    if isinstance(derivations, dict):
        for dtc in derivations.get("study_day") or []:
            if isinstance(dtc, str) and dtc.endswith("DTC"):
                names.add(dtc[:-3] + "DY")
        baseline = derivations.get("baseline")
        if isinstance(baseline, dict):
            names.add(str(baseline.get("new_var", f"{domain}LOBXFL")))
    if domain == "DM":
        names |= {"SUBJID", "SITEID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC"}
        names |= {"RFPENDTC", "DTHDTC", "DTHFL", "ARMCD", "ARM", "ACTARMCD", "ACTARM", "COUNTRY"}
    return names


def _sources(doc, raw, fields, problems) -> tuple[list[Source], list[str]]:
    if not isinstance(raw, list) or not raw:
        if raw is not None:
            problems.append(
                doc.problem(("sources",), "expected a list of forms", "write `- form: NAME`")
            )
        return [], []
    sources, forms = [], []
    for i, item in enumerate(raw):
        here = ("sources", i)
        found = check_keys(doc, here, item, required=["form"], optional=["filter", "required"])
        problems += found
        if not isinstance(item, dict) or "form" not in item:
            continue
        form = str(item["form"])
        if fields is not None and form not in fields:
            problems.append(
                doc.problem(
                    (*here, "form"),
                    f"the source declares no form {form!r}",
                    did_you_mean(form, fields) or f"forms: {', '.join(sorted(fields))}",
                )
            )
            continue
        cond = None
        if "filter" in item:
            cond = check_condition(
                doc, (*here, "filter"), item["filter"], _set(fields, form), problems
            )
        required = _required_fields(doc, here, item.get("required"), _set(fields, form), problems)
        forms.append(form)
        sources.append(Source(form, cond, required))
    return sources, forms


def _required_fields(doc, here, raw, declared, problems) -> tuple[str, ...]:
    """The ``required:`` list of a source: CRF items that must not be blank."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        problems.append(
            doc.problem(
                (*here, "required"),
                "expected a list of field names",
                "for example required: [AETERM, AESTDAT]",
            )
        )
        return ()
    for i, name in enumerate(raw):
        if declared is not None and name not in declared:
            problems.append(
                doc.problem(
                    (*here, "required", i),
                    f"the form declares no field {name!r}",
                    name_hint(name, declared, "fields"),
                )
            )
    return tuple(raw)


def _set(fields, form):
    return None if fields is None else fields.get(form, set())


def _columns(forms: list[str], fields) -> set[str] | None:
    if fields is None:
        return None
    out: set[str] = set()
    for form in forms:
        out |= fields.get(form, set())
    return out


def check_field(doc, keypath, name, columns, problems) -> None:
    """Report ``name`` when the source forms declare no such field."""
    if columns is None or name in columns:
        return
    problems.append(
        doc.problem(
            keypath,
            f"the source forms declare no field {name!r}",
            name_hint(name, columns, "fields"),
        )
    )


def _tests(doc, raw, columns, problems) -> list[Test]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(
            doc.problem(
                ("tests",),
                "expected a list of tests",
                "for example tests: [{testcd: SYSBP, result: SYSBP, unit: mmHg}]",
            )
        )
        return []
    tests = []
    for i, item in enumerate(raw):
        here = ("tests", i)
        found = check_keys(doc, here, item, required=["testcd"], optional=TEST_KEYS)
        problems += found
        if found:
            continue
        if ("result" in item) == ("ratio" in item):
            problems.append(
                doc.problem(
                    here,
                    "a test needs exactly one of 'result' and 'ratio'",
                    "give result: FIELD, or ratio: {numerator: [..], denominator: [..]}",
                )
            )
            continue
        keys = ("result", "unit_field", "reason_field", "laterality_field", "standard_field")
        for key in keys:
            if item.get(key) is not None:
                check_field(doc, (*here, key), str(item[key]), columns, problems)
        ratio = _ratio(doc, (*here, "ratio"), item.get("ratio"), columns, problems)
        decimals = item.get("decimals")
        if decimals is not None and (
            isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 12
        ):
            problems.append(
                doc.problem(
                    (*here, "decimals"), "expected a whole number 0-12", "for example decimals: 1"
                )
            )
            continue
        if "ratio" in item and ratio is None:
            continue
        limits = item.get("range")
        if limits is not None:
            numbers = isinstance(limits, list) and len(limits) == 2
            numbers = numbers and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in limits
            )
            if not numbers or limits[0] > limits[1]:
                problems.append(
                    doc.problem(
                        (*here, "range"),
                        "expected [low, high], two numbers, low <= high",
                        "for example range: [0, 300]",
                    )
                )
                continue
            limits = (float(limits[0]), float(limits[1]))
        standard = _standard_values(doc, (*here, "standard_values"), item, problems)
        if standard is None:
            continue
        plain = {
            k: (None if v is None else str(v))
            for k, v in item.items()
            if k not in ("ratio", "decimals", "range", "standard_values")
        }
        tests.append(
            Test(**plain, ratio=ratio, decimals=decimals, range=limits, standard_values=standard)
        )
    return tests


def _standard_values(doc, here, item, problems) -> tuple[tuple[str, str], ...] | None:
    """A test's ``standard_values: {collected text: standard value}``, checked: text keys
    that differ in more than case and blanks, a text or number each; None on a problem."""
    raw = item.get("standard_values")
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        problems.append(
            doc.problem(
                here,
                "expected a mapping of collected text: standard value",
                "for example standard_values: {Mild: 1, Severe: 3}",
            )
        )
        return None
    if "standard_field" in item or "ratio" in item:
        problems.append(
            doc.problem(
                here,
                "standard_values cannot be combined with standard_field or ratio",
                "keep one of them",
            )
        )
        return None
    pairs, seen, bad = [], {}, False
    for key, value in raw.items():
        text = str(key).strip()
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not text:
            problems.append(
                doc.problem(
                    (*here, key),
                    "expected a text or number for a non-blank text",
                    "write collected text: standard value, e.g. Mild: 1",
                )
            )
            bad = True
            continue
        if text.casefold() in seen:
            problems.append(
                doc.problem(
                    (*here, key),
                    f"{text!r} is {seen[text.casefold()]!r} again, ignoring case",
                    "keep one of the two keys",
                )
            )
            bad = True
            continue
        seen[text.casefold()] = text
        pairs.append((text, str(value).strip()))
    return None if bad else tuple(pairs)


def _result_texts(doc, raw, tests, problems) -> tuple[str, ...]:
    """``not_done_results: [ND, not done, ...]``, checked: a list of non-blank texts, only in a
    spec with ``tests``."""
    if raw is None:
        return ()
    here = ("not_done_results",)
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(v, str) and v.strip() for v in raw)
    ):
        problems.append(
            doc.problem(
                here,
                "expected a list of result texts",
                "for example not_done_results: [ND, not done]",
            )
        )
        return ()
    if not tests:
        problems.append(
            doc.problem(
                here,
                "not_done_results applies to the results of tests",
                "declare tests: or remove not_done_results",
            )
        )
        return ()
    return tuple(dict.fromkeys(v.strip() for v in raw))


def _ratio(doc, here, raw, columns, problems) -> Ratio | None:
    """A test's ``ratio: {numerator: [..], denominator: [..], across: [..]}``, checked."""
    if raw is None:
        return None
    found = check_keys(doc, here, raw, required=["numerator", "denominator"], optional=RATIO_KEYS)
    problems += found
    if found or not isinstance(raw, dict):
        return None
    parts = {}
    if raw.get("unit") is not None:
        parts["unit"] = str(raw["unit"])
    for key in ("numerator", "denominator", "across"):
        names = raw.get(key) or []
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or (key != "across" and not names):
            problems.append(
                doc.problem(
                    (*here, key),
                    "expected a list of field names",
                    f"for example {key}: [FIELD1, FIELD2]",
                )
            )
            return None
        for name in names:
            check_field(doc, (*here, key), str(name), columns, problems)
        parts[key] = tuple(str(n) for n in names)
    return Ratio(**parts)


def _variables(doc, raw, domain, known, standards, columns, problems) -> list[Step]:
    if not isinstance(raw, dict):
        problems.append(
            doc.problem(
                ("variables",),
                "expected a mapping of variable: step",
                "for example variables: {AETERM: {algorithm: assign_no_ct, field: AETERM}}",
            )
        )
        return []
    steps = []
    for target, value in raw.items():
        here = ("variables", target)
        if target not in known:
            problems.append(
                doc.problem(
                    here,
                    f"{target} is not a {domain} variable in SDTMIG 3.4",
                    name_hint(target, known, f"{domain} variables"),
                )
            )
            continue
        items = value if isinstance(value, list) else [value]
        for j, item in enumerate(items):
            where = (*here, j) if isinstance(value, list) else here
            step = _step(doc, where, target, item, standards, columns, problems)
            if step is not None:
                steps.append(step)
    return steps


def _step(doc, here, target, item, standards, columns, problems) -> Step | None:
    if not isinstance(item, dict) or "algorithm" not in item:
        problems += check_keys(doc, here, item, required=["algorithm"])
        return None
    name = str(item["algorithm"])
    algorithm = ALGORITHMS.get(name)
    if algorithm is None:
        problems.append(
            doc.problem(
                (*here, "algorithm"),
                f"unknown algorithm {name!r}",
                did_you_mean(name, ALGORITHMS) or f"algorithms: {', '.join(sorted(ALGORITHMS))}",
            )
        )
        return None
    args = {k: v for k, v in item.items() if k not in ("algorithm", "when")}
    found = check_keys(
        doc,
        here,
        item,
        required=["algorithm", *algorithm.required],
        optional=["when", *algorithm.optional],
    )
    problems += found
    if found:
        return None
    for key in algorithm.field_args:
        if isinstance(args.get(key), str):
            check_field(doc, (*here, key), args[key], columns, problems)
    if "codelist" in args:
        try:
            standards.codelist(str(args["codelist"]))
        except Exception as exc:  # SpecError from Standards; reported, not raised
            problems.append(
                doc.problem(
                    (*here, "codelist"),
                    getattr(exc, "message", str(exc)),
                    getattr(exc, "hint", None),
                )
            )
            return None
    if "synonyms" in args:
        found = _synonym_problems(doc, (*here, "synonyms"), name, args["synonyms"], standards)
        if found:
            problems += found
            return None
    when = None
    if "when" in item:
        when = check_condition(doc, (*here, "when"), item["when"], columns, problems)
    return Step(target, name, args, when)


def _synonym_problems(doc, here, name, synonyms, standards) -> list[SpecProblem]:
    """A step's ``synonyms``: a mapping of collected text to term; for ``assign_unit`` every
    term must be a CDISC UNIT submission value (a typo would otherwise pass as a sponsor
    unit)."""
    if not isinstance(synonyms, dict):
        return [
            doc.problem(
                here,
                "expected a mapping of collected text: term",
                "for example synonyms: {mm Hg: mmHg}",
            )
        ]
    if name != "assign_unit":
        return []
    unit = standards.codelist("UNIT")
    return [
        doc.problem(
            (*here, typed),
            f"{term!r} is not a term of codelist UNIT",
            name_hint(str(term), unit.values, "UNIT terms"),
        )
        for typed, term in synonyms.items()
        if unit.term(str(term)) is None
    ]


def _multiple(doc, here, raw, problems) -> dict | None:
    if raw is None:
        return None
    found = check_keys(doc, (*here, "multiple"), raw, required=["codelist"], optional=["separator"])
    problems += found
    return (
        None
        if found
        else {"codelist": str(raw["codelist"]), "separator": str(raw.get("separator", ","))}
    )


def _supplemental(doc, raw, columns, problems) -> list[Supplemental]:
    if not isinstance(raw, list):
        problems.append(
            doc.problem(
                ("supplemental",),
                "expected a list of qualifiers",
                "for example supplemental: [{qnam: AECOM, qlabel: Comment, field: AECOM}]",
            )
        )
        return []
    out = []
    for i, item in enumerate(raw):
        here = ("supplemental", i)
        found = check_keys(
            doc, here, item, required=["qnam", "qlabel", "field"], optional=SUPP_KEYS
        )
        problems += found
        if found:
            continue
        qnam = str(item["qnam"])
        if len(qnam) > 8 or not qnam.replace("_", "A").isalnum() or not qnam[0].isalpha():
            problems.append(
                doc.problem(
                    (*here, "qnam"),
                    f"QNAM {qnam!r} must be 1-8 letters/digits",
                    "start with a letter, e.g. AECOM",
                )
            )
        if len(str(item["qlabel"])) > 40:
            problems.append(
                doc.problem(
                    (*here, "qlabel"),
                    "QLABEL is longer than 40 characters",
                    "shorten it to 40 characters",
                )
            )
        check_field(doc, (*here, "field"), str(item["field"]), columns, problems)
        when = None
        if "when" in item:
            when = check_condition(doc, (*here, "when"), item["when"], columns, problems)
        out.append(
            Supplemental(
                qnam=qnam,
                qlabel=str(item["qlabel"]),
                field=str(item["field"]),
                qorig=str(item.get("qorig", "CRF")),
                qeval=item.get("qeval"),
                multiple=_multiple(doc, here, item.get("multiple"), problems),
                when=when,
            )
        )
    return out


def _names(doc, keypath, raw, problems) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.append(
            doc.problem(
                keypath,
                "expected a list of variable names",
                f"for example {keypath[-1]}: [AESTDTC, AETERM]",
            )
        )
        return []
    return list(raw)
