"""ADTTE: time-to-event parameters from declared event and censor sources.

Every parameter of an ADTTE spec (``mappings/<study>/adam/adtte.yaml``) names its population,
its origin date and, as data, the records that end a subject's time: events (the earliest
dated record wins, ties broken by the order they are listed) and, for subjects without an
event, censoring dates. Nothing about amputations or deaths is known to this module: a new
parameter (time to first serious adverse event, say) is new YAML only. The algorithm follows
pharmaverse admiral's ``derive_param_tte`` with ``event_source`` / ``censor_source``.

A spec::

    dataset: ADTTE
    structure: TTE
    label: Time-to-Event Analysis Dataset
    adsl: {TRTP: TRT01P, TRTPN: TRT01PN, SAFFL: SAFFL, ITTFL: ITTFL, SITEID: SITEID}
    cnsr_codes:
      0: event
      1: censored at the last limb assessment or the last date known alive
      2: death before major amputation (competing event)
    parameters:
      - paramcd: TTMAJAMP
        param: Time to First Major Amputation of the Index Limb (days)
        paramn: 1
        population: {field: SAFFL, equals: Y}
        start: TRTSDT
        before_start: exclude
        events:
          - {dataset: PR, where: {all: [{field: PRCAT, equals: MAJOR AMPUTATION},
                                        {field: PRLAT, same_as: INDEXLAT}]},
             date: PRSTDTC, evntdesc: MAJOR AMPUTATION OF INDEX LIMB}
          - {dataset: ADSL, where: {field: DTHFL, equals: Y}, date: DTHDT, cnsr: 2,
             evntdesc: DEATH BEFORE MAJOR AMPUTATION}
        censors:
          - {dataset: RS, where: {field: RSTESTCD, equals: RUTH0101}, date: RSDTC, cnsr: 1,
             cnsdtdsc: LAST LIMB ASSESSMENT}
          - {dataset: ADSL, date: LSTALVDT, cnsr: 1, cnsdtdsc: LAST DATE KNOWN ALIVE}
        censor_choice: latest
      - paramcd: TTMAJAMR
        like: TTMAJAMP
        param: Time to First Major Amputation of the Index Limb from Randomization (days)
        paramn: 2
        start: RANDDT
        population: {field: ITTFL, equals: Y}

Top-level keys: ``dataset`` (the dataset name, ``AD`` plus up to six letters or digits),
``structure`` (``TTE``, the default), ``label`` (at most 40 characters), ``adsl`` (ADSL
variables copied onto every record, ``target: ADSL name``), ``cnsr_codes`` (every CNSR value
a source gives, with its meaning, for Define-XML and the build report) and ``parameters``.

A parameter:

``paramcd``
    PARAMCD: upper case, at most 8 characters, starting with a letter; unique.
``param``
    PARAM: at most 200 bytes, naming the unit of AVAL (``days``); unique.
``paramn``
    PARAMN, an integer; unique. Default: the parameter's position in the list (1, 2, ...).
``like``
    the PARAMCD of another parameter whose keys this one copies (``paramcd``, ``param``
    and ``paramn`` are never copied); keys given here win. Chains are followed; a cycle is
    an error.
``population``
    a condition (:mod:`sdtm.conditions`) on ADSL: which subjects get a record. Default:
    every ADSL subject.
``start``
    the ADSL date (a name ending in ``DT``) giving STARTDT; STARTDTF is the ADSL variable
    of the same name plus ``F`` (``TRTSDTF``) when ADSL has it.
``before_start``
    ``exclude`` (the default: records dated before STARTDT are neither events nor
    censoring dates) or ``keep``.
``events``
    record sources (:mod:`adam.sources`, with ``date`` required) plus ``evntdesc``
    (required), ``cnsr`` (default 0; a competing event such as death before amputation takes
    a code of 1 or more) and ``srcvar`` (SRCVAR, when the date variable is not the one to
    show). Each source's record is picked by its ``mode`` (default ``first``); over all
    sources the earliest date wins, and on one date the source listed first.
``censors``
    at least one; used only for subjects without an event: record sources plus ``cnsdtdsc`` (required),
    ``cnsr`` (default 1, at least 1), optional ``evntdesc`` and ``srcvar``. Each source's
    record is picked by its ``mode`` (default ``last``).
``censor_choice``
    ``latest`` (the default, as admiral: the latest censoring date over the sources, and on
    one date the source listed first) or ``first_listed`` (the first source, in listed
    order, that has a date for the subject).

The output (:func:`derive_param_tte`): one record per subject of each parameter's
population, sorted by USUBJID and PARAMN. AVAL is ADT - STARTDT in days, plus one when not
negative (admiral ``derive_vars_duration`` / ``compute_duration`` default ``add_one = TRUE``:
"If the duration is non-negative, one input unit is added", pharmaverse/admiral
R/derive_vars_duration.R), so an event on the day of STARTDT has AVAL 1. ADTF is the
source's imputation flag; for an ADSL date with a flag variable (DTHDT and DTHDTF) it is
that flag. Subjects without STARTDT (``tte-no-start``) or without any event or censoring
date (``tte-no-date``) get no record and a problem each; an event record whose date is
partial and not imputed by its ``impute`` rule is ignored and reported
(``tte-date-not-imputable``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from adam.sources import RecordSource, check_source
from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, did_you_mean
from sdtm.conditions import Condition, check_condition

SPEC_KEYS = ("dataset", "structure", "label", "adsl", "cnsr_codes", "parameters")
PARAMETER_KEYS = ("paramcd", "param", "paramn", "like", "population", "start")
PARAMETER_KEYS += ("before_start", "events", "censors", "censor_choice")
#: Keys a parameter never takes over through ``like``: they identify the parameter.
OWN_KEYS = ("paramcd", "param", "paramn", "like")
SOURCE_EXTRA_KEYS = ("cnsr", "evntdesc", "cnsdtdsc", "srcvar")
BEFORE_START = ("exclude", "keep")
CENSOR_CHOICES = ("latest", "first_listed")
#: The variables every ADTTE record gets, around the ``adsl`` copies.
KEY_COLUMNS = ["STUDYID", "USUBJID"]
TTE_COLUMNS = ["PARAMCD", "PARAM", "PARAMN", "STARTDT", "STARTDTF", "ADT", "ADTF", "AVAL"]
TTE_COLUMNS += ["CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ"]

_PARAMCD = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
_DATASET = re.compile(r"AD[A-Z0-9]{0,6}")
_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")
# AVAL is always in days, so PARAM must say so (ADaMIG: the unit belongs in PARAM).
_UNIT = re.compile(r"\bdays?\b", re.IGNORECASE)


@dataclass(frozen=True)
class TteSource:
    """One event or censor source: the records, the CNSR they give and their descriptions."""

    kind: str  # "event" | "censor"
    source: RecordSource
    cnsr: int
    evntdesc: str | None = None
    cnsdtdsc: str | None = None
    srcvar: str | None = None


@dataclass(frozen=True)
class TteParameter:
    """One time-to-event parameter (see the module docstring for each field)."""

    paramcd: str
    param: str
    paramn: int
    start: str
    events: tuple[TteSource, ...]
    censors: tuple[TteSource, ...]
    population: Condition | None = None
    before_start: str = "exclude"
    censor_choice: str = "latest"


@dataclass(frozen=True)
class TteSpec:
    """A checked ADTTE spec: dataset name and label, ADSL copies, CNSR codes, parameters."""

    dataset: str
    label: str
    adsl: tuple[tuple[str, str], ...]  # (ADTTE variable, ADSL variable)
    cnsr_codes: tuple[tuple[int, str], ...]
    parameters: tuple[TteParameter, ...]


def check_tte(
    doc: SpecDocument, standards: Standards, adsl_vars: set[str]
) -> tuple[TteSpec | None, list[SpecProblem]]:
    """Check an ADTTE spec; return the spec (None when there are problems) and every problem.

    ``adsl_vars`` are the variables the ADSL of the same build has (the ADSL spec's
    variables): they may be copied, tested in ``population`` and ``where``, and named by
    ``start`` and by ``ADSL`` sources. Problems carry the key path and line, for example
    ``adtte.yaml:14 parameters.0.paramcd: 'TTMAJAMPX' is longer than 8 characters``.

    >>> spec, problems = check_tte(load_spec(Path("adtte.yaml")), Standards.load(),
    ...                            {"USUBJID", "TRTSDT", "LSTALVDT"})  # doctest: +SKIP
    """
    problems: list[SpecProblem] = []
    data = doc.data
    problems += check_keys(
        doc, (), data, required=("dataset", "cnsr_codes", "parameters"), optional=SPEC_KEYS
    )
    if not isinstance(data, dict):
        return None, problems
    dataset = data.get("dataset")
    if dataset is not None and not (isinstance(dataset, str) and _DATASET.fullmatch(dataset)):
        problems.append(
            doc.problem(
                ("dataset",),
                f"not an ADaM dataset name: {dataset!r}",
                "AD plus at most 6 upper-case letters or digits, e.g. ADTTE",
            )
        )
    structure = data.get("structure", "TTE")
    if structure != "TTE":
        problems.append(
            doc.problem(("structure",), f"unknown structure {structure!r}", "this spec derives TTE")
        )
    label = data.get("label", "Time-to-Event Analysis Dataset")
    if not isinstance(label, str) or not label.strip() or len(label) > 40:
        problems.append(doc.problem(("label",), "the label must be 1 to 40 characters"))
    copies = _check_copies(doc, data.get("adsl", {}), adsl_vars, problems)
    codes = _check_codes(doc, data.get("cnsr_codes"), problems)
    parameters = _check_parameters(doc, data.get("parameters"), standards, adsl_vars, codes)
    problems += parameters[1]
    problems = list(dict.fromkeys(problems))  # a source shared through `like` reports once
    if problems:
        return None, problems
    return (
        TteSpec(
            dataset=dataset,
            label=label,
            adsl=copies,
            cnsr_codes=tuple(sorted(codes.items())),
            parameters=parameters[0],
        ),
        [],
    )


def _check_copies(doc, raw, adsl_vars, problems) -> tuple[tuple[str, str], ...]:
    """The ``adsl`` mapping: ADTTE target -> ADSL variable."""
    if not isinstance(raw, dict):
        problems.append(doc.problem(("adsl",), "expected a mapping of target: ADSL variable"))
        return ()
    reserved = set(KEY_COLUMNS + TTE_COLUMNS)
    copies = []
    for target, name in raw.items():
        here = ("adsl", target)
        if not _NAME.fullmatch(str(target)) or target in reserved:
            problems.append(
                doc.problem(
                    here,
                    f"cannot copy into {target!r}",
                    "an upper-case name of at most 8 characters that ADTTE does not set itself",
                )
            )
        if name not in adsl_vars:
            problems.append(
                doc.problem(
                    here, f"ADSL has no variable {name!r}", did_you_mean(str(name), adsl_vars)
                )
            )
        copies.append((str(target), str(name)))
    return tuple(copies)


def _check_codes(doc, raw, problems) -> dict[int, str]:
    """The ``cnsr_codes`` mapping: integer code -> its meaning."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        problems.append(doc.problem(("cnsr_codes",), "expected a mapping of CNSR code: meaning"))
        return {}
    codes = {}
    for code, text in raw.items():
        here = ("cnsr_codes", code)
        # YAML mapping keys arrive as text ("0"); a code is a whole number 0 or more.
        if isinstance(code, bool) or not str(code).isdigit():
            problems.append(doc.problem(here, f"a CNSR code is an integer 0 or more, not {code!r}"))
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(doc.problem(here, "say what the code means"))
            continue
        codes[int(code)] = text
    return codes


def _check_parameters(doc, raw, standards, adsl_vars, codes):
    """Every parameter, with ``like`` resolved; returns (parameters, problems)."""
    problems: list[SpecProblem] = []
    if not isinstance(raw, list) or not raw:
        problems.append(doc.problem(("parameters",), "expected a list of parameters"))
        return (), problems
    index: dict[str, int] = {}
    for i, item in enumerate(raw):
        code = item.get("paramcd") if isinstance(item, dict) else None
        if isinstance(code, str) and code in index:
            problems.append(
                doc.problem(
                    ("parameters", i, "paramcd"),
                    f"duplicate paramcd {code!r} (first in parameters.{index[code]})",
                )
            )
        elif isinstance(code, str):
            index[code] = i
    parameters = []
    for i, item in enumerate(raw):
        problems += check_keys(
            doc, ("parameters", i), item, required=("paramcd", "param"), optional=PARAMETER_KEYS
        )
        if not isinstance(item, dict):
            continue
        merged = _resolve_like(doc, raw, i, index, problems)
        if merged is None:
            continue
        parameter = _check_parameter(doc, i, merged, standards, adsl_vars, codes, problems)
        if parameter is not None:
            parameters.append(parameter)
    for attribute in ("paramn", "param"):
        seen: dict[object, str] = {}
        for parameter in parameters:
            value = getattr(parameter, attribute)
            if value in seen:
                problems.append(
                    doc.problem(
                        ("parameters", index[parameter.paramcd], attribute),
                        f"{parameter.paramcd} has the same {attribute} as {seen[value]}",
                        f"{attribute.upper()} must identify one parameter",
                    )
                )
            seen.setdefault(value, parameter.paramcd)
    return tuple(parameters), problems


def _resolve_like(doc, raw, i, index, problems) -> dict[str, tuple[object, tuple]] | None:
    """The keys of parameter ``i`` after ``like``: key -> (value, key path it comes from)."""
    chain = [i]
    while "like" in raw[chain[-1]]:
        at = chain[-1]
        name = raw[at]["like"]
        if name not in index or not isinstance(raw[index[name]], dict):
            problems.append(
                doc.problem(
                    ("parameters", at, "like"),
                    f"no parameter {name!r} to copy",
                    did_you_mean(str(name), index),
                )
            )
            return None
        if index[name] in chain:
            cycle = " -> ".join(str(raw[j].get("paramcd")) for j in [*chain, index[name]])
            problems.append(
                doc.problem(
                    ("parameters", i, "like"),
                    f"circular like: {cycle}",
                    "remove one of the 'like' keys in the cycle",
                )
            )
            return None
        chain.append(index[name])
    merged: dict[str, tuple[object, tuple]] = {}
    for j in reversed(chain):
        for key, value in raw[j].items():
            if j == i or key not in OWN_KEYS:
                merged[key] = (value, ("parameters", j, key))
    return merged


def _check_parameter(doc, i, merged, standards, adsl_vars, codes, problems):
    """One parameter from its resolved keys; None when it has problems."""
    before = len(problems)

    def value(key, default=None):
        return merged[key][0] if key in merged else default

    def where(key):
        return merged[key][1] if key in merged else ("parameters", i)

    paramcd, param = value("paramcd"), value("param")
    if paramcd is not None and not (isinstance(paramcd, str) and _PARAMCD.fullmatch(paramcd)):
        problems.append(
            doc.problem(
                where("paramcd"),
                f"not a PARAMCD: {paramcd!r}",
                "upper-case letters, digits or _, at most 8 characters, starting with a letter",
            )
        )
    if param is not None:
        if not isinstance(param, str) or not param.strip():
            problems.append(doc.problem(where("param"), "expected the parameter's text"))
        elif len(param.encode("utf-8")) > 200:
            problems.append(doc.problem(where("param"), "PARAM is longer than 200 bytes"))
        elif not _UNIT.search(param):
            problems.append(
                doc.problem(
                    where("param"),
                    "PARAM must name the unit of AVAL",
                    'AVAL is in days: end PARAM with "(days)"',
                )
            )
    paramn = value("paramn", i + 1)
    if isinstance(paramn, bool) or not isinstance(paramn, int):
        problems.append(doc.problem(where("paramn"), f"PARAMN must be an integer, not {paramn!r}"))
    population = None
    if "population" in merged:
        population = check_condition(
            doc, where("population"), value("population"), adsl_vars, problems
        )
    start = value("start")
    if start is None:
        problems.append(
            doc.problem(("parameters", i), "missing required key 'start' (here or through like)")
        )
    elif start not in adsl_vars or not str(start).endswith("DT"):
        dates = sorted(v for v in adsl_vars if v.endswith("DT"))
        problems.append(
            doc.problem(
                where("start"),
                f"start {start!r} is not an ADSL date variable",
                did_you_mean(str(start), dates) or "one of " + ", ".join(dates),
            )
        )
    choices = {"before_start": BEFORE_START, "censor_choice": CENSOR_CHOICES}
    for key, allowed in choices.items():
        if value(key, allowed[0]) not in allowed:
            problems.append(
                doc.problem(where(key), f"unknown {key} {value(key)!r}", " or ".join(allowed))
            )
    sources = {}
    for kind, key in (("event", "events"), ("censor", "censors")):
        items = value(key)
        if not isinstance(items, list) or not items:
            problems.append(
                doc.problem(
                    where(key),
                    f"expected a list of {kind} sources",
                    "every subject without an event needs a censoring date"
                    if kind == "censor"
                    else None,
                )
            )
            continue
        sources[key] = tuple(
            _check_tte_source(
                doc, (*where(key), n), item, kind, standards, adsl_vars, codes, problems
            )
            for n, item in enumerate(items)
        )
    if len(problems) > before:
        return None
    return TteParameter(
        paramcd=paramcd,
        param=param,
        paramn=paramn,
        start=start,
        events=sources["events"],
        censors=sources["censors"],
        population=population,
        before_start=value("before_start", BEFORE_START[0]),
        censor_choice=value("censor_choice", CENSOR_CHOICES[0]),
    )


def _check_tte_source(doc, keypath, raw, kind, standards, adsl_vars, codes, problems):
    """One event or censor source; None when it has problems."""
    before = len(problems)
    source = check_source(
        doc,
        keypath,
        raw,
        standards,
        adsl_vars,
        problems,
        extra_keys=SOURCE_EXTRA_KEYS,
        needs="date",
    )
    if not isinstance(raw, dict):
        return None
    lowest, a_kind = (0, "an event") if kind == "event" else (1, "a censor")
    cnsr = raw.get("cnsr", lowest)
    if isinstance(cnsr, bool) or not isinstance(cnsr, int) or cnsr < lowest:
        hint = "0 for an event, 1 or more for a competing event" if kind == "event" else None
        problems.append(
            doc.problem(
                (*keypath, "cnsr"),
                f"{a_kind} CNSR is an integer {lowest} or more, not {cnsr!r}",
                hint,
            )
        )
    elif cnsr not in codes:
        problems.append(
            doc.problem(
                (*keypath, "cnsr"),
                f"CNSR {cnsr} is not documented in cnsr_codes",
                f"add '{cnsr}: <what it means>' to cnsr_codes",
            )
        )
    described = "evntdesc" if kind == "event" else "cnsdtdsc"
    if not isinstance(raw.get(described), str) or not raw[described].strip():
        problems.append(doc.problem(keypath, f"{a_kind} source needs {described}"))
    if kind == "event" and "cnsdtdsc" in raw:
        problems.append(
            doc.problem(
                (*keypath, "cnsdtdsc"),
                "an event has no censoring date description",
                "use evntdesc",
            )
        )
    for key in ("evntdesc", "cnsdtdsc", "srcvar"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(doc.problem((*keypath, key), "expected text"))
    if source is None or len(problems) > before:
        return None
    if kind == "censor" and "mode" not in raw:
        source = replace(source, mode="last")  # the last assessment, as admiral's censor_source
    return TteSource(
        kind=kind,
        source=source,
        cnsr=cnsr,
        evntdesc=raw.get("evntdesc"),
        cnsdtdsc=raw.get("cnsdtdsc"),
        srcvar=raw.get("srcvar"),
    )
