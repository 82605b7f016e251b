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
      visits: [{visitnum: 10, visit: SCREENING, events: [SCR], day: -42, epoch: SCREENING}, ...]
      unscheduled: {events: [UNS]}
      epochs: {before: SCREENING, during: TREATMENT, after: FOLLOW-UP}
    reference_dates:
      informed_consent: {form: ic, field: ICDAT}
      death: {form: dd, field: DTHDAT}
      last_contact: [{form: fu, field: FUDAT}]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys

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
    date_formats: tuple[str, ...] | None = None
    formats_by_site: dict[str, list[str]] = field(default_factory=dict)
    two_digit_year_pivot: int | None = None
    arms: dict[str, str] = field(default_factory=dict)
    arm_source: FieldRef | None = None
    visits: tuple[Visit, ...] = ()
    unscheduled: tuple[str, ...] = ()
    epochs: dict[str, str] = field(default_factory=dict)
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
    problems += check_keys(doc, ("subjects",), subjects, optional=["usubjid", "siteid", "sites"])
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
                    doc.problem(("dates", "two_digit_year_pivot"), "expected a year such as 1950")
                )
            else:
                args["two_digit_year_pivot"] = dates["two_digit_year_pivot"]
    arms = data.get("arms", [])
    if not isinstance(arms, list):
        problems.append(doc.problem(("arms",), "expected a list of {armcd, arm}"))
        arms = []
    for i, arm in enumerate(arms):
        found = check_keys(doc, ("arms", i), arm, required=["armcd", "arm"])
        problems += found
        if not found:
            args.setdefault("arms", {})[str(arm["armcd"])] = str(arm["arm"])
    if "arm_source" in data:
        args["arm_source"] = _ref(doc, ("arm_source",), data["arm_source"], problems)
    design = data.get("design", {})
    problems += check_keys(doc, ("design",), design, optional=["visits", "unscheduled", "epochs"])
    if isinstance(design, dict):
        args["visits"] = tuple(_visits(doc, design.get("visits", []), problems))
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
        problems.append(doc.problem(("design", "visits"), "expected a list of visits"))
        return []
    visits, seen = [], {}
    for i, item in enumerate(raw):
        here = ("design", "visits", i)
        found = check_keys(
            doc,
            here,
            item,
            required=["visitnum", "visit", "events"],
            optional=["day", "window", "epoch"],
        )
        problems += found
        if found:
            continue
        if not isinstance(item["visitnum"], int | float):
            problems.append(doc.problem((*here, "visitnum"), "VISITNUM must be a number"))
            continue
        events = item["events"] if isinstance(item["events"], list) else [item["events"]]
        for event in events:
            if str(event) in seen:
                problems.append(
                    doc.problem(
                        (*here, "events"),
                        f"event {event!r} already maps to visit {seen[str(event)]}",
                    )
                )
            seen[str(event)] = item["visitnum"]
        visits.append(
            Visit(
                float(item["visitnum"]),
                str(item["visit"]),
                tuple(str(e) for e in events),
                item.get("day"),
                item.get("epoch"),
            )
        )
    return visits


def subject_ids(raw: pd.DataFrame, studyid: str, design: Design) -> tuple[pd.Series, pd.Series]:
    """USUBJID and SITEID of each raw row, from the declared templates.

    >>> frame = pd.DataFrame({"_subject": ["01-001"], "_site": ["SITE01"]})
    >>> [s.tolist() for s in subject_ids(frame, "S", Design(sites={"SITE01": "01"}))]
    [['S-01-001'], ['01']]
    """
    subject = raw["_subject"].astype("string").str.strip()
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
            order["_dtc"].astype("string").str[:10]
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


def derive_epoch(dtc: pd.Series, start: pd.Series, end: pd.Series, design: Design) -> pd.Series:
    """EPOCH from a --DTC against RFXSTDTC/RFXENDTC (dates compared to the day): before the
    first dose ``before``, up to the last dose ``during``, later ``after`` (design.epochs).

    >>> d = Design(epochs={"before": "SCREENING", "during": "TREATMENT", "after": "FOLLOW-UP"})
    >>> s = pd.Series(["2021-01-10"] * 3)
    >>> derive_epoch(pd.Series(["2021-01-01", "2021-01-10", "2021-02"]), s, s, d).tolist()
    ['SCREENING', 'TREATMENT', <NA>]
    """
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
