"""The study-level part of ``study.yaml`` the SDTM engine uses: subjects, arms, visits, epochs,
date rules and reference-date sources; and the derivations that read it (VISITNUM/VISIT, EPOCH).

Keys (all optional for ``cdisc check`` of the study file alone)::

    output_date: "2025-01-01T00:00:00"      # XPT header date when SOURCE_DATE_EPOCH is unset
    country: NLD
    subjects: {usubjid: "{studyid}-{subject}", siteid: "{site}", sites: {SITE01: "01"}}
    dates: {formats: ["DD/MM/YYYY"], formats_by_site: {tehran: [...]}, two_digit_year_pivot: 1950}
    arms: [{armcd: BMMSC, arm: "BM-MSC 150x10^6"}, ...]
    arm_source: {form: unblind, field: ARMCD}
    design:
      elements:                      # TE; ``start`` = the SE start rule (a DM date + days)
        - {etcd: SCRN, element: SCREENING, testrl: Informed consent, start: RFICDTC}
        - {etcd: FU, element: FOLLOW-UP, testrl: ..., start: RFXENDTC+1}
      arms:                          # TA: per ARMCD the ordered element path with epochs
        BMMSC: [{etcd: SCRN, epoch: SCREENING, branch: Randomized to BM-MSC}, ...]
      visits: [{visitnum: 10, visit: SCREENING, events: [SCR], day: -42,
                window: {before: 0, after: 41}, epoch: SCREENING}, ...]
      visit_dates: {vs: VSDAT, ...}   # the date field of each form that dates its visit (SV)
      unscheduled: {events: [UNS]}
      epochs: {before: SCREENING, during: TREATMENT, after: FOLLOW-UP}   # no elements only
      criteria: [{ietestcd: INCL01, iecat: INCLUSION, ietest: ...}]      # TI
      summary: {TPHASE: PHASE II/III TRIAL, AGEMAX: {nf: PINF}, TTYPE: [SAFETY, EFFICACY]}
    reference_dates:
      informed_consent: {form: ic, field: ICDAT}
      death: {form: dd, field: DTHDAT}
      last_contact: [{form: fu, field: FUDAT}]
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, did_you_mean
from sdtm.distinct import by_value, distinct_rows, spread
from sdtm.subjects import SubjectRule, check_subject_rules, normalise_subjects

STUDY_KEYS = ("output_date", "country", "subjects", "dates", "arms", "arm_source", "design")
STUDY_KEYS += ("reference_dates",)
_TEMPLATE_FIELDS = ("studyid", "subject", "site")


@dataclass(frozen=True)
class Visit:
    """One scheduled visit and the raw event ids that map to it."""

    visitnum: float
    visit: str
    events: tuple[str, ...]
    day: int | None = None
    epoch: str | None = None
    window: tuple[int, int] | None = None
    start_rule: str | None = None
    end_rule: str | None = None


#: DM reference dates an element's ``start`` rule may name (SE start = that date + days).
ELEMENT_REFS = ("RFICDTC", "RFSTDTC", "RFXSTDTC", "RFXENDTC", "RFENDTC")


@dataclass(frozen=True)
class Element:
    """One trial element (TE) and its SE start rule: DM date ``start_ref`` plus ``start_days``."""

    etcd: str
    element: str
    testrl: str
    teenrl: str | None = None
    tedur: str | None = None
    start_ref: str | None = None
    start_days: int = 0


@dataclass(frozen=True)
class ArmStep:
    """One position of an arm's element path (TA)."""

    etcd: str
    epoch: str
    branch: str | None = None
    transition: str | None = None


@dataclass(frozen=True)
class Criterion:
    """One inclusion or exclusion criterion (TI)."""

    ietestcd: str
    ietest: str
    iecat: str
    iescat: str | None = None


@dataclass(frozen=True)
class TsParam:
    """One trial summary parameter (TS): its values (one TS record each) or a null flavor."""

    parmcd: str
    values: tuple[str, ...] = ()
    nf: str | None = None


@dataclass(frozen=True)
class FieldRef:
    """A raw form and field."""

    form: str
    field: str


@dataclass(frozen=True)
class Design:
    """The checked study-level SDTM facts."""

    output_date: dt.datetime = dt.datetime(2025, 1, 1)
    country: str | None = None
    usubjid: str = "{studyid}-{subject}"
    siteid: str = "{site}"
    sites: dict[str, str] = field(default_factory=dict)
    normalise: tuple[SubjectRule, ...] = ()  # subjects.normalise (sdtm/subjects.py)
    date_formats: tuple[str, ...] | None = None
    formats_by_site: dict[str, list[str]] = field(default_factory=dict)
    two_digit_year_pivot: int | None = None
    arms: dict[str, str] = field(default_factory=dict)
    arm_source: FieldRef | None = None
    visits: tuple[Visit, ...] = ()
    unscheduled: tuple[str, ...] = ()
    epochs: dict[str, str] = field(default_factory=dict)
    elements: tuple[Element, ...] = ()
    arm_paths: dict[str, tuple[ArmStep, ...]] = field(default_factory=dict)
    visit_dates: dict[str, str] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    summary: tuple[TsParam, ...] = ()
    informed_consent: FieldRef | None = None
    death: FieldRef | None = None
    last_contact: tuple[FieldRef, ...] = ()

    def refs(self) -> list[tuple[tuple, FieldRef]]:
        """Every form/field reference with the key path it was declared at."""
        out: list[tuple[tuple, FieldRef]] = []
        if self.arm_source:
            out.append((("arm_source",), self.arm_source))
        if self.informed_consent:
            out.append((("reference_dates", "informed_consent"), self.informed_consent))
        if self.death:
            out.append((("reference_dates", "death"), self.death))
        out += [
            (("reference_dates", "last_contact", i), r) for i, r in enumerate(self.last_contact)
        ]
        out += [
            (("design", "visit_dates", form), FieldRef(form, name))
            for form, name in self.visit_dates.items()
        ]
        return out


def check_design(doc: SpecDocument) -> tuple[Design, list[SpecProblem]]:
    """Check the SDTM keys of ``study.yaml``; returns the Design and every problem."""
    data, problems, args = doc.data, [], {}
    if "output_date" in data:
        try:
            args["output_date"] = dt.datetime.fromisoformat(str(data["output_date"]))
        except ValueError:
            problems.append(
                doc.problem(
                    ("output_date",), "not an ISO 8601 datetime", "e.g. 2025-01-01T00:00:00"
                )
            )
    if "country" in data:
        args["country"] = str(data["country"])
    subjects = data.get("subjects", {})
    problems += check_keys(
        doc, ("subjects",), subjects, optional=["usubjid", "siteid", "sites", "normalise"]
    )
    if isinstance(subjects, dict):
        for key in ("usubjid", "siteid"):
            if key in subjects:
                args[key] = str(subjects[key])
                try:
                    str(subjects[key]).format(**dict.fromkeys(_TEMPLATE_FIELDS, "x"))
                except (KeyError, IndexError, ValueError) as exc:
                    problems.append(
                        doc.problem(
                            ("subjects", key),
                            f"bad template: {exc}",
                            "use {studyid}, {subject}, {site}",
                        )
                    )
        if isinstance(subjects.get("sites"), dict):
            args["sites"] = {str(k): str(v) for k, v in subjects["sites"].items()}
        if "normalise" in subjects:
            args["normalise"], found = check_subject_rules(doc, subjects["normalise"])
            problems += found
    dates = data.get("dates", {})
    problems += check_keys(
        doc, ("dates",), dates, optional=["formats", "formats_by_site", "two_digit_year_pivot"]
    )
    if isinstance(dates, dict):
        if dates.get("formats"):
            args["date_formats"] = tuple(str(f) for f in dates["formats"])
        if isinstance(dates.get("formats_by_site"), dict):
            args["formats_by_site"] = {
                str(k): [str(f) for f in v] for k, v in dates["formats_by_site"].items()
            }
        if "two_digit_year_pivot" in dates:
            if not isinstance(dates["two_digit_year_pivot"], int):
                problems.append(
                    doc.problem(
                        ("dates", "two_digit_year_pivot"),
                        "expected a year such as 1950",
                        "write the first year of the 100-year window, e.g. two_digit_year_pivot: "
                        "1950 (then 49 is 2049 and 50 is 1950)",
                    )
                )
            else:
                args["two_digit_year_pivot"] = dates["two_digit_year_pivot"]
    arms = data.get("arms", [])
    if not isinstance(arms, list):
        problems.append(
            doc.problem(
                ("arms",),
                "expected a list of {armcd, arm}",
                "for example arms: [{armcd: A, arm: Drug A}, {armcd: P, arm: Placebo}]",
            )
        )
        arms = []
    for i, arm in enumerate(arms):
        found = check_keys(doc, ("arms", i), arm, required=["armcd", "arm"])
        problems += found
        if not found:
            args.setdefault("arms", {})[str(arm["armcd"])] = str(arm["arm"])
    if "arm_source" in data:
        args["arm_source"] = _ref(doc, ("arm_source",), data["arm_source"], problems)
    design = data.get("design", {})
    problems += check_keys(doc, ("design",), design, optional=DESIGN_KEYS)
    if isinstance(design, dict):
        args["visits"] = tuple(_visits(doc, design.get("visits", []), problems))
        args.update(check_trial_design(doc, design, set(args.get("arms", {})), problems))
        unscheduled = design.get("unscheduled", {})
        problems += check_keys(doc, ("design", "unscheduled"), unscheduled, optional=["events"])
        if isinstance(unscheduled, dict):
            args["unscheduled"] = tuple(str(e) for e in unscheduled.get("events", []))
        epochs = design.get("epochs", {})
        problems += check_keys(
            doc, ("design", "epochs"), epochs, optional=["before", "during", "after"]
        )
        if isinstance(epochs, dict):
            args["epochs"] = {str(k): str(v) for k, v in epochs.items()}
    refs = data.get("reference_dates", {})
    problems += check_keys(
        doc, ("reference_dates",), refs, optional=["informed_consent", "death", "last_contact"]
    )
    if isinstance(refs, dict):
        for key in ("informed_consent", "death"):
            if key in refs:
                args[key] = _ref(doc, ("reference_dates", key), refs[key], problems)
        contact = refs.get("last_contact", [])
        if isinstance(contact, list):
            found = [
                _ref(doc, ("reference_dates", "last_contact", i), r, problems)
                for i, r in enumerate(contact)
            ]
            args["last_contact"] = tuple(r for r in found if r is not None)
    return Design(**args), problems


def _ref(doc, keypath, raw, problems) -> FieldRef | None:
    found = check_keys(doc, keypath, raw, required=["form", "field"])
    problems += found
    return None if found else FieldRef(str(raw["form"]), str(raw["field"]))


def _visits(doc, raw, problems) -> list[Visit]:
    if not isinstance(raw, list):
        problems.append(
            doc.problem(
                ("design", "visits"),
                "expected a list of visits",
                "for example visits: [{visitnum: 1, visit: SCREENING, events: [SCR], day: -14}]",
            )
        )
        return []
    visits, seen = [], {}
    for i, item in enumerate(raw):
        here = ("design", "visits", i)
        found = check_keys(
            doc,
            here,
            item,
            required=["visitnum", "visit", "events", "day"],
            optional=["window", "epoch", "start_rule", "end_rule"],
        )
        problems += found
        if found:
            continue
        if not isinstance(item["visitnum"], int | float):
            problems.append(
                doc.problem(
                    (*here, "visitnum"), "VISITNUM must be a number", "for example visitnum: 1"
                )
            )
            continue
        if not isinstance(item["day"], int) or isinstance(item["day"], bool) or item["day"] == 0:
            problems.append(
                doc.problem((*here, "day"), "VISITDY must be a whole study day", "no day 0")
            )
            continue
        window = None
        if "window" in item:
            raw_window = item["window"]
            bad = check_keys(doc, (*here, "window"), raw_window, optional=["before", "after"])
            bounds = [raw_window.get(k, 0) for k in ("before", "after")] if not bad else []
            if bad or not all(isinstance(b, int) and b >= 0 for b in bounds):
                problems += bad or [
                    doc.problem(
                        (*here, "window"),
                        "window bounds must be days >= 0",
                        "for example window: {before: 3, after: 3}",
                    )
                ]
                continue
            window = (bounds[0], bounds[1])
        events = item["events"] if isinstance(item["events"], list) else [item["events"]]
        for event in events:
            if str(event) in seen:
                problems.append(
                    doc.problem(
                        (*here, "events"),
                        f"event {event!r} already maps to visit {seen[str(event)]}",
                        "list each event under one visit",
                    )
                )
            seen[str(event)] = item["visitnum"]
        visits.append(
            Visit(
                float(item["visitnum"]),
                str(item["visit"]),
                tuple(str(e) for e in events),
                item["day"],
                item.get("epoch"),
                window,
                _text(item.get("start_rule")),
                _text(item.get("end_rule")),
            )
        )
    return visits


DESIGN_KEYS = ("visits", "unscheduled", "epochs", "elements", "arms", "visit_dates")
DESIGN_KEYS += ("criteria", "summary")
_ELEMENT_KEYS = ("etcd", "element", "testrl")
_START_RULE = re.compile(r"^(?P<ref>[A-Z]+)\s*(?:(?P<sign>[+-])\s*(?P<days>\d+))?$")


def _text(value) -> str | None:
    return None if value is None else str(value)


def check_trial_design(doc: SpecDocument, design: dict, armcds: set[str], problems: list) -> dict:
    """Check the trial-design keys of ``design:`` (elements, arms, visit_dates, criteria,
    summary); append every problem to ``problems`` and return the Design fields they fill.

    An arm path naming an undeclared element, an arm not among the top-level ``arms``, an
    element ``start`` that is not ``<DM date>[+|-days]`` (dates: :data:`ELEMENT_REFS`) and
    duplicate ETCD/IETESTCD are problems. TS codes and values are checked against CT by
    :func:`sdtm.trialdesign.check_summary` (it needs the standards).
    """
    out: dict = {}
    elements: dict[str, Element] = {}
    raw_elements = design.get("elements", [])
    if not isinstance(raw_elements, list):
        problems.append(
            doc.problem(
                ("design", "elements"),
                "expected a list of elements",
                "for example elements: [{etcd: SCRN, element: Screening, testrl: Informed "
                "consent}]",
            )
        )
        raw_elements = []
    for i, item in enumerate(raw_elements):
        here = ("design", "elements", i)
        found = check_keys(
            doc, here, item, required=_ELEMENT_KEYS, optional=["teenrl", "tedur", "start"]
        )
        problems += found
        if found:
            continue
        etcd = str(item["etcd"])
        if etcd in elements or len(etcd) > 8:
            why = "ETCD declared twice" if etcd in elements else "ETCD is at most 8 characters"
            fix = "keep one of them" if etcd in elements else "shorten it, e.g. SCRN"
            problems.append(doc.problem((*here, "etcd"), why, fix))
            continue
        ref, days = None, 0
        if "start" in item:
            match = _START_RULE.match(str(item["start"]).strip())
            if not match or match["ref"] not in ELEMENT_REFS:
                problems.append(
                    doc.problem(
                        (*here, "start"),
                        f"bad element start rule {item['start']!r}",
                        f"a DM date ({', '.join(ELEMENT_REFS)}) with optional +N/-N days",
                    )
                )
                continue
            ref = match["ref"]
            days = int(match["days"] or 0) * (-1 if match["sign"] == "-" else 1)
        elements[etcd] = Element(
            etcd,
            str(item["element"]),
            str(item["testrl"]),
            _text(item.get("teenrl")),
            _text(item.get("tedur")),
            ref,
            days,
        )
    out["elements"] = tuple(elements.values())
    paths = design.get("arms", {})
    if not isinstance(paths, dict):
        problems.append(
            doc.problem(
                ("design", "arms"),
                "expected ARMCD: [element path]",
                "for example arms: {A: [{etcd: SCRN, epoch: SCREENING}, {etcd: TRT, epoch: "
                "TREATMENT}]}",
            )
        )
        paths = {}
    arm_paths = {}
    for armcd, steps in paths.items():
        here = ("design", "arms", armcd)
        if armcds and str(armcd) not in armcds:
            problems.append(
                doc.problem(
                    here,
                    f"arm {armcd!r} is not declared in arms",
                    did_you_mean(armcd, armcds) or "declare it under arms: (top level)",
                )
            )
        if not isinstance(steps, list) or not steps:
            problems.append(
                doc.problem(
                    here,
                    "expected a list of {etcd, epoch}",
                    "for example [{etcd: SCRN, epoch: SCREENING}, {etcd: TRT, epoch: TREATMENT}]",
                )
            )
            continue
        path = []
        for j, step in enumerate(steps):
            found = check_keys(
                doc,
                (*here, j),
                step,
                required=["etcd", "epoch"],
                optional=["branch", "transition"],
            )
            problems += found
            if found:
                continue
            if str(step["etcd"]) not in elements:
                problems.append(
                    doc.problem(
                        (*here, j, "etcd"),
                        f"arm path names unknown element {step['etcd']!r}",
                        did_you_mean(str(step["etcd"]), elements)
                        or "declare it under design.elements",
                    )
                )
                continue
            path.append(
                ArmStep(
                    str(step["etcd"]),
                    str(step["epoch"]),
                    _text(step.get("branch")),
                    _text(step.get("transition")),
                )
            )
        arm_paths[str(armcd)] = tuple(path)
    out["arm_paths"] = arm_paths
    dates = design.get("visit_dates", {})
    if not isinstance(dates, dict):
        problems.append(
            doc.problem(
                ("design", "visit_dates"),
                "expected form: date field",
                "for example visit_dates: {vs: VSDAT}",
            )
        )
        dates = {}
    out["visit_dates"] = {str(k): str(v) for k, v in dates.items()}
    out["criteria"] = tuple(_criteria(doc, design.get("criteria", []), problems))
    out["summary"] = tuple(_summary(doc, design.get("summary", {}), problems))
    return out


def _criteria(doc, raw, problems) -> list[Criterion]:
    if not isinstance(raw, list):
        problems.append(
            doc.problem(
                ("design", "criteria"),
                "expected a list of criteria",
                "for example criteria: [{ietestcd: IN01, ietest: Age 18 or over, iecat: "
                "INCLUSION}]",
            )
        )
        return []
    found_codes, out = set(), []
    for i, item in enumerate(raw):
        here = ("design", "criteria", i)
        found = check_keys(
            doc, here, item, required=["ietestcd", "ietest", "iecat"], optional=["iescat"]
        )
        problems += found
        if found:
            continue
        code = str(item["ietestcd"])
        if code in found_codes or str(item["iecat"]) not in ("INCLUSION", "EXCLUSION"):
            why = (
                "IETESTCD declared twice"
                if code in found_codes
                else "IECAT must be INCLUSION or EXCLUSION"
            )
            fix = (
                "keep one of them" if code in found_codes else "write iecat: INCLUSION or EXCLUSION"
            )
            problems.append(doc.problem(here, why, fix))
            continue
        found_codes.add(code)
        out.append(Criterion(code, str(item["ietest"]), str(item["iecat"]), item.get("iescat")))
    return out


def _summary(doc, raw, problems) -> list[TsParam]:
    if not isinstance(raw, dict):
        problems.append(
            doc.problem(
                ("design", "summary"),
                "expected TSPARMCD: value",
                "for example summary: {TITLE: A study of X, PLANSUB: 40}",
            )
        )
        return []
    out = []
    for code, value in raw.items():
        here = ("design", "summary", code)
        if isinstance(value, dict):
            found = check_keys(doc, here, value, required=["nf"])
            problems += found
            if not found:
                out.append(TsParam(str(code), (), str(value["nf"])))
            continue
        values = value if isinstance(value, list) else [value]
        if not values or any(v is None or isinstance(v, dict | list) for v in values):
            problems.append(
                doc.problem(
                    here,
                    "expected a value, a list of values or {nf: ..}",
                    f"for example {code}: VALUE, {code}: [A, B] or {code}: {{nf: NA}}",
                )
            )
            continue
        out.append(TsParam(str(code), tuple(_ts_text(v) for v in values)))
    return out


def _ts_text(value) -> str:
    """YAML scalars as TSVAL text; a YAML boolean (``yes``/``no``) becomes ``Y``/``N``."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def subject_ids(raw: pd.DataFrame, studyid: str, design: Design) -> tuple[pd.Series, pd.Series]:
    """USUBJID and SITEID of each raw row, from the declared templates.

    >>> frame = pd.DataFrame({"_subject": ["01-001"], "_site": ["SITE01"]})
    >>> [s.tolist() for s in subject_ids(frame, "S", Design(sites={"SITE01": "01"}))]
    [['S-01-001'], ['01']]
    """
    # Once per distinct (subject, site): every record of a subject repeats its keys.
    keys, codes = distinct_rows(raw[["_subject", "_site"]])
    usubjid, siteid = _subject_ids(keys, studyid, design)
    return spread(usubjid, codes, raw.index), spread(siteid, codes, raw.index)


def _subject_ids(raw: pd.DataFrame, studyid: str, design: Design) -> tuple[pd.Series, pd.Series]:
    subject = normalise_subjects(raw["_subject"], design.normalise)
    site_raw = raw["_site"].astype("string").str.strip().fillna("")
    site = site_raw.map(design.sites).astype("string").fillna(site_raw)

    def fill(template: str) -> pd.Series:
        parts = template.replace("{studyid}", studyid)
        out = pd.Series(parts, index=raw.index, dtype="string")
        out = _sub(out, "{subject}", subject)
        return _sub(out, "{site}", site)

    usubjid = fill(design.usubjid).where(subject.notna())
    return usubjid, fill(design.siteid).where(subject.notna())


def _sub(template: pd.Series, token: str, values: pd.Series) -> pd.Series:
    if not template.str.contains(token, regex=False).any():
        return template
    pieces = template.str.split(token, regex=False, n=1)
    return pieces.str[0] + values.fillna("") + pieces.str[1]


def derive_visit(raw: pd.DataFrame, design: Design) -> pd.DataFrame:
    """VISITNUM and VISIT from each row's raw event (``_event``).

    An unscheduled event takes the VISITNUM of the subject's previous scheduled visit (by
    date order in ``_dtc`` when present, else by raw order) plus 0.01, 0.02, ... and VISIT
    ``UNSCHEDULED x.01``. Events that are neither map to nothing (log forms).

    >>> d = Design(visits=(Visit(10, "SCREENING", ("SCR",)),), unscheduled=("UNS",))
    >>> f = pd.DataFrame({"_event": ["SCR", "UNS"], "USUBJID": ["1", "1"], "_dtc": ["2021-01-01", "2021-01-05"]})
    >>> derive_visit(f, d)[["VISITNUM", "VISIT"]].values.tolist()
    [[10.0, 'SCREENING'], [10.01, 'UNSCHEDULED 10.01']]
    """
    by_event = {e: v for v in design.visits for e in v.events}
    event = raw["_event"].astype("string")
    num = event.map({e: v.visitnum for e, v in by_event.items()}).astype(float)
    name = event.map({e: v.visit for e, v in by_event.items()}).astype("string")
    out = pd.DataFrame({"VISITNUM": num, "VISIT": name}, index=raw.index)
    unsched = event.isin(design.unscheduled).fillna(False).to_numpy(dtype=bool)
    if unsched.any():
        order = raw.assign(_pos=np.arange(len(raw)), _num=num.to_numpy())
        when = (
            by_value(order["_dtc"].astype("string"), lambda v: v.str[:10])
            if "_dtc" in raw
            else pd.Series("", index=raw.index)
        )
        # One unscheduled visit is one date (or, undated, one raw record): the rows of one
        # visit (the tests of a panel read wide-to-long) share its number.
        record = "~" + raw["_record"].astype("string") if "_record" in raw else "~"
        order = order.assign(_when=when.fillna(record).fillna("~"))
        order = order.sort_values(["USUBJID", "_when", "_pos"], kind="mergesort")
        previous = order.groupby("USUBJID", sort=False)["_num"].ffill().fillna(0)
        is_uns = pd.Series(unsched, index=raw.index).loc[order.index]
        block = (~is_uns).groupby(order["USUBJID"]).cumsum()
        same = (
            (order["USUBJID"] == order["USUBJID"].shift())
            & (order["_when"] == order["_when"].shift())
            & is_uns.shift(fill_value=False)
        ).fillna(False)
        starts = is_uns & ~same
        rank = starts.groupby([order["USUBJID"], block]).cumsum()
        value = (previous + rank * 0.01).round(2)
        out.loc[order.index[is_uns.to_numpy()], "VISITNUM"] = value[is_uns.to_numpy()].to_numpy()
        labels = np.char.add("UNSCHEDULED ", np.char.mod("%.2f", out.loc[unsched, "VISITNUM"]))
        out.loc[unsched, "VISIT"] = pd.Series(labels, index=out.index[unsched], dtype="string")
    return out


def _day(values: pd.Series) -> pd.Series:
    """The complete date part of ISO 8601 text as datetime64 (partial or missing: NaT)."""
    # Once per distinct text: a domain's dates repeat on every result of a visit.
    return by_value(values, _day_of_text)


def _day_of_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str[:10]
    return pd.to_datetime(text.where(text.str.len() == 10), format="%Y-%m-%d", errors="coerce")


def subject_elements(dm: pd.DataFrame, design: Design) -> pd.DataFrame:
    """The elements each subject traversed, with their dates (the core of SE).

    The path is the one declared for the subject's ACTARMCD (ARMCD when not treated; the
    path shared by every arm when the subject has no arm). Each element starts at the DM
    date of its ``start`` rule plus its days; the subject leaves the path at the first
    element whose start date is missing or after RFPENDTC. An element ends where the next
    one starts; the last one at RFPENDTC. Returns columns USUBJID, ETCD, ELEMENT, TAETORD,
    EPOCH, START, END (datetime64), LAST (bool), one row per traversed element.

    >>> d = Design(elements=(Element("SCRN", "SCREENING", "x", start_ref="RFICDTC"),
    ...                      Element("TRT", "TREATMENT", "x", start_ref="RFXSTDTC")),
    ...            arm_paths={"A": (ArmStep("SCRN", "SCREENING"), ArmStep("TRT", "TREATMENT"))})
    >>> dm = pd.DataFrame({"USUBJID": ["1"], "ARMCD": ["A"], "RFICDTC": ["2021-01-01"],
    ...                    "RFXSTDTC": ["2021-01-09"], "RFPENDTC": ["2021-03-01"]})
    >>> e = subject_elements(dm, d)
    >>> e["ETCD"].tolist(), e["END"].dt.strftime("%m-%d").tolist()
    (['SCRN', 'TRT'], ['01-09', '03-01'])
    """
    columns = ["USUBJID", "ETCD", "ELEMENT", "TAETORD", "EPOCH", "START", "END", "LAST"]
    if dm is None or not len(dm) or not design.elements or not design.arm_paths:
        return pd.DataFrame(columns=columns)
    by_code = {e.etcd: e for e in design.elements}
    paths = {arm: list(steps) for arm, steps in design.arm_paths.items()}
    shared = []
    for steps in zip(*paths.values(), strict=False):
        if len({s.etcd for s in steps}) > 1 or len({s.epoch for s in steps}) > 1:
            break
        shared.append(steps[0])
    paths[""] = shared
    ta = pd.DataFrame(
        [
            (arm, order, s.etcd, by_code[s.etcd].element, s.epoch)
            for arm, steps in paths.items()
            for order, s in enumerate(steps, start=1)
        ],
        columns=["_ARM", "TAETORD", "ETCD", "ELEMENT", "EPOCH"],
    )
    blank = pd.Series(pd.NA, index=dm.index, dtype="string")
    arm = dm.get("ACTARMCD", blank).astype("string")
    arm = arm.fillna(dm.get("ARMCD", blank).astype("string")).fillna("")
    arm = arm.where(arm.isin(list(paths)), "")
    subjects = pd.DataFrame({"USUBJID": dm["USUBJID"].astype("string"), "_ARM": arm})
    refs = {r: _day(dm.get(r, blank)) for r in ELEMENT_REFS}
    for ref, values in refs.items():
        subjects[ref] = values.to_numpy()
    subjects["_END"] = _day(dm.get("RFPENDTC", blank)).to_numpy()
    long = subjects.merge(ta, on="_ARM", how="inner").sort_values(["USUBJID", "TAETORD"])
    start = pd.Series(pd.NaT, index=long.index, dtype="datetime64[ns]")
    offset = long["ETCD"].map({e.etcd: e.start_days for e in design.elements})
    ref_of = long["ETCD"].map({e.etcd: e.start_ref for e in design.elements})
    for ref in ELEMENT_REFS:
        here = (ref_of == ref).to_numpy()
        start[here] = long.loc[here, ref] + pd.to_timedelta(offset[here], unit="D")
    ok = start.notna() & (long["_END"].isna() | (start <= long["_END"]))
    # A subject leaves the path at the first element it never reached.
    ok = ok.astype(int).groupby(long["USUBJID"]).cummin().astype(bool)
    long = long.assign(START=start)[ok.to_numpy()]
    following = long.groupby("USUBJID")["START"].shift(-1)
    last = following.isna()
    long = long.assign(END=following.fillna(long["_END"]), LAST=last)
    return long[columns].reset_index(drop=True)


def derive_epoch(
    dtc: pd.Series,
    usubjid: pd.Series,
    dm: pd.DataFrame,
    design: Design,
    elements: pd.DataFrame | None = None,
) -> pd.Series:
    """EPOCH of each record: the epoch of the subject's element (SE) whose [start, end)
    holds the record's date (the last element includes its end date). Dates compared to
    the day; a partial date, a date outside every element, or no element: missing.

    A study.yaml without ``design.elements`` keeps the older rule: before RFXSTDTC
    ``epochs.before``, up to RFXENDTC ``epochs.during``, later ``epochs.after``.

    ``elements``: :func:`subject_elements` of ``dm`` and ``design`` when the caller has it
    already (it is the same for every domain of a build); None works it out here.

    >>> d = Design(elements=(Element("SCRN", "SCREENING", "x", start_ref="RFICDTC"),
    ...                      Element("TRT", "TREATMENT", "x", start_ref="RFXSTDTC")),
    ...            arm_paths={"A": (ArmStep("SCRN", "SCREENING"), ArmStep("TRT", "TREATMENT"))})
    >>> dm = pd.DataFrame({"USUBJID": ["1"], "ARMCD": ["A"], "RFICDTC": ["2021-01-01"],
    ...                    "RFXSTDTC": ["2021-01-09"], "RFPENDTC": ["2021-03-01"]})
    >>> dtc = pd.Series(["2020-12-31", "2021-01-08", "2021-01-09T10:00", "2021-03-01", "2021-02"])
    >>> derive_epoch(dtc, pd.Series(["1"] * 5), dm, d).tolist()
    [<NA>, 'SCREENING', 'TREATMENT', 'TREATMENT', <NA>]
    """
    out = pd.Series(pd.NA, index=dtc.index, dtype="string")
    if dm is None or not len(dtc):
        return out
    if not design.elements:
        cols = dm.set_index("USUBJID")
        first = usubjid.map(cols["RFXSTDTC"]) if "RFXSTDTC" in cols else out
        last = usubjid.map(cols["RFXENDTC"]) if "RFXENDTC" in cols else out
        return _epoch_by_dose(dtc, first, last, design)
    spans = subject_elements(dm, design) if elements is None else elements
    if not len(spans):
        return out
    # Each date is matched to the subject's last element starting on or before it, as one
    # sorted search over (subject, day) keys: subjects as integer codes, days as integers.
    spans = spans.assign(_SUBJECT=spans["USUBJID"].astype(str))
    subjects = pd.Index(spans["_SUBJECT"].unique())
    spans = spans.assign(_CODE=subjects.get_indexer(spans["_SUBJECT"]))
    spans = spans.sort_values(["_CODE", "START", "TAETORD"], kind="mergesort")
    start = _day_number(spans["START"])
    starts = _subject_day(spans["_CODE"].to_numpy(), start)
    code = subjects.get_indexer(usubjid.astype("string").fillna("").astype(str))
    day = _day_number(_day(dtc))
    dated = np.flatnonzero((code >= 0) & (day != _NO_DAY))
    keys = _subject_day(code[dated], day[dated])
    found = np.searchsorted(starts, keys, side="right") - 1
    hit = found >= 0
    same_subject = np.zeros(len(found), dtype=bool)
    same_subject[hit] = spans["_CODE"].to_numpy()[found[hit]] == code[dated][hit]
    found, dated = found[same_subject], dated[same_subject]
    end = _day_number(spans["END"])[found]
    last = spans["LAST"].eq(True).to_numpy()[found]
    when = day[dated]
    inside = (end != _NO_DAY) & ((when < end) | (last & (when <= end)))
    values = out.array.copy()
    values[dated[inside]] = spans["EPOCH"].astype("string").array[found[inside]]
    return pd.Series(values, index=dtc.index, dtype="string")


#: The day number :func:`_day_number` gives a missing date.
_NO_DAY = np.iinfo(np.int64).min


def _day_number(values: pd.Series) -> np.ndarray:
    """Whole days since 1970 of datetime values (missing: ``_NO_DAY``)."""
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return np.where(np.isnat(days), _NO_DAY, days.astype(np.int64))


def _subject_day(code: np.ndarray, day: np.ndarray) -> np.ndarray:
    """One sortable int64 per (subject code, day): the code in the high 32 bits."""
    return (code.astype(np.int64) << 32) + (day + (1 << 31))


def _epoch_by_dose(dtc: pd.Series, start: pd.Series, end: pd.Series, design: Design) -> pd.Series:
    """The rule without declared elements: EPOCH from --DTC against RFXSTDTC/RFXENDTC."""
    day = dtc.astype("string").str[:10]
    complete = day.str.len() == 10
    first = start.astype("string").str[:10]
    last = end.astype("string").str[:10].fillna(first)
    out = pd.Series(pd.NA, index=dtc.index, dtype="string")
    known = complete & first.notna()
    ep = design.epochs
    out = out.mask(known & (day < first), ep.get("before"))
    out = out.mask(known & (day >= first) & (day <= last), ep.get("during"))
    out = out.mask(known & (day > last), ep.get("after"))
    return out.astype("string")
