"""Trial design datasets from ``study.yaml``: TE, TA, TV, TI (design alone) and TS (design
plus the built DM).

Every record carries the lineage columns ``_file`` (study.yaml), ``_form`` (the YAML key,
e.g. ``design.arms``) and ``_record`` (the key path of the line that declared it, with its
line number), so the lineage sidecar names the spec line each record came from.

TS follows SDTMIG 3.4 section 7.6: one record per value (TSSEQ 1, 2, ... per TSPARMCD),
TSPARM from CT (codelist TSPARM, matched to TSPARMCD by NCI code), a value governed by CT as
its submission value with TSVALCD (the NCI code), TSVCDREF ``CDISC CT`` and TSVCDVER (the CT
version); a value that is unknown or not applicable left empty with TSVALNF, an ISO 21090
null flavor. The derivable parameters are computed from the data, never typed:
SSTDTC (earliest informed consent, DM.RFICDTC), SENDTC (latest DM.RFPENDTC), ACTSUB (subjects
in DM), NARMS (arms of the design), TITLE (study.yaml ``title``), FCNTRY (DM.COUNTRY),
SDTIGVER 3.4 and SDTMVER 2.0 (the SDTM model version SDTMIG 3.4 implements).
"""

from __future__ import annotations

import pandas as pd

from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument, SpecProblem, did_you_mean
from sdtm.design import Design, subject_elements
from sdtm.subjectvisits import derive_se, derive_sv

#: The Trial Summary parameters the FDA expects, from the Pinnacle 21 rule catalogue
#: (/work/shared/standards/rules/p21_sdtm_rules.csv, "Missing <X> Trial Summary Parameter":
#: SD2201-SD2235 "required for all SDTMIG versions after 3.1.2", and SD2273-SD2287, "an FDA
#: Desired parameter listed in the Technical Conformance Guide").
FDA_TS_PARAMETERS = (
    "ADDON", "AGEMAX", "AGEMIN", "LENGTH", "PLANSUB", "RANDOM", "SEXPOP", "STOPRULE",
    "TBLIND", "TCNTRL", "TDIGRP", "TINDTP", "TITLE", "TPHASE", "TTYPE", "CURTRT", "OBJPRIM",
    "SPONSOR", "TRT", "REGID", "OUTMSPRI", "PCLAS", "FCNTRY", "ADAPT", "DCUTDTC", "DCUTDESC",
    "INTMODEL", "NARMS", "STYPE", "INTTYPE", "SSTDTC", "SENDTC", "ACTSUB", "HLTSUBJI",
    "EXTTIND", "NCOHORT", "OBJSEC", "PDPSTIND", "PDSTIND", "PIPIND", "RDIND", "SDTIGVER",
    "SDTMVER", "THERAREA", "ONGOSIND",
)  # fmt: skip

#: Parameters computed from the data and the design (typing them in study.yaml is an error).
DERIVED_TS = ("SSTDTC", "SENDTC", "ACTSUB", "NARMS", "TITLE", "FCNTRY", "SDTIGVER", "SDTMVER")

#: The CT codelist of each parameter whose value is controlled (SDTMIG 3.4 TS examples).
TS_CODELISTS = {
    "TPHASE": "TPHASE",
    "TTYPE": "TTYPE",
    "TBLIND": "TBLIND",
    "TCNTRL": "TCNTRL",
    "INTMODEL": "INTMODEL",
    "INTTYPE": "INTTYPE",
    "STYPE": "STYPE",
    "SEXPOP": "SEXPOP",
    "TINDTP": "TINDTP",
    **dict.fromkeys(
        ("RANDOM", "ADDON", "ADAPT", "HLTSUBJI", "EXTTIND", "ONGOSIND", "PDPSTIND", "PDSTIND"),
        "NY",
    ),
    **dict.fromkeys(("PIPIND", "RDIND"), "NY"),
}

#: ISO 21090 null flavors, the values TSVALNF may take (P21 SD2283).
NULL_FLAVORS = ("NI", "INV", "DER", "OTH", "PINF", "NINF", "UNC", "MSK", "NA", "UNK")
NULL_FLAVORS += ("ASKU", "NAV", "NASK", "QS", "TRC", "NP")

#: ISO 8601 parameters, referenced as such in TSVCDREF.
_ISO8601 = ("SSTDTC", "SENDTC", "DCUTDTC", "AGEMIN", "AGEMAX", "LENGTH")
_TS_COLUMNS = ["TSPARMCD", "TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF", "TSVCDVER"]


def _lineage(
    frame: pd.DataFrame, doc: SpecDocument | None, form: str, keys: list[tuple]
) -> pd.DataFrame:
    """Lineage columns naming the study.yaml key (and line) of each record."""
    where = [".".join(str(k) for k in key) for key in keys]
    if doc is not None:
        where = [f"{w} (line {doc.line(key)})" for w, key in zip(where, keys, strict=True)]
    return frame.assign(
        _file=str(doc.display or doc.path) if doc is not None else "study.yaml",
        _form=form,
        _record=where,
        _subject="",
    )


def _finish(
    rows: list[dict], domain: str, studyid: str, doc, form: str, keys: list[tuple]
) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if not len(frame):
        return frame
    frame.insert(0, "STUDYID", studyid)
    frame.insert(1, "DOMAIN", domain)
    return _lineage(frame, doc, form, keys)


def trial_elements(design: Design, studyid: str, doc: SpecDocument | None = None) -> pd.DataFrame:
    """TE: one record per declared element.

    >>> from sdtm.design import Element
    >>> d = Design(elements=(Element("SCRN", "SCREENING", "Informed consent", "Dose"),))
    >>> trial_elements(d, "S")[["ETCD", "ELEMENT", "TESTRL", "TEENRL"]].values.tolist()
    [['SCRN', 'SCREENING', 'Informed consent', 'Dose']]
    """
    rows = [
        {"ETCD": e.etcd, "ELEMENT": e.element, "TESTRL": e.testrl, "TEENRL": e.teenrl,
         "TEDUR": e.tedur}
        for e in design.elements
    ]  # fmt: skip
    keys = [("design", "elements", i) for i in range(len(rows))]
    return _finish(rows, "TE", studyid, doc, "design.elements", keys)


def trial_arms(design: Design, studyid: str, doc: SpecDocument | None = None) -> pd.DataFrame:
    """TA: one record per arm and element position (TAETORD 1, 2, ...), ARM from ``arms``.

    >>> from sdtm.design import ArmStep, Element
    >>> d = Design(arms={"A": "Arm A"}, elements=(Element("SCRN", "SCREENING", "x"),),
    ...            arm_paths={"A": (ArmStep("SCRN", "SCREENING", "Randomized to A"),)})
    >>> trial_arms(d, "S")[["ARMCD", "ARM", "TAETORD", "ETCD", "TABRANCH"]].values.tolist()
    [['A', 'Arm A', 1, 'SCRN', 'Randomized to A']]
    """
    names = {e.etcd: e.element for e in design.elements}
    rows, keys = [], []
    for armcd, path in design.arm_paths.items():
        for order, step in enumerate(path, start=1):
            rows.append(
                {"ARMCD": armcd, "ARM": design.arms.get(armcd), "TAETORD": order,
                 "ETCD": step.etcd, "ELEMENT": names.get(step.etcd), "TABRANCH": step.branch,
                 "TATRANS": step.transition, "EPOCH": step.epoch}
            )  # fmt: skip
            keys.append(("design", "arms", armcd, order - 1))
    return _finish(rows, "TA", studyid, doc, "design.arms", keys)


def trial_visits(design: Design, studyid: str, doc: SpecDocument | None = None) -> pd.DataFrame:
    """TV: one record per scheduled visit; the same schedule for every arm (ARMCD empty).

    TVSTRL is the visit's ``start_rule`` or, by default, its planned study day and window;
    TVENRL its ``end_rule`` when declared.

    >>> from sdtm.design import Visit
    >>> d = Design(visits=(Visit(40, "WEEK 1", ("W1",), 8, window=(3, 3)),))
    >>> trial_visits(d, "S")[["VISITNUM", "VISITDY", "TVSTRL"]].values.tolist()
    [[40, 8, 'Study day 8 (window day 5 to day 11)']]
    """
    rows = []
    for v in design.visits:
        rule = f"Study day {v.day}"
        if v.window is not None and v.window != (0, 0):
            rule += f" (window day {v.day - v.window[0]} to day {v.day + v.window[1]})"
        rows.append(
            {"VISITNUM": v.visitnum, "VISIT": v.visit, "VISITDY": v.day, "ARMCD": None,
             "TVSTRL": v.start_rule or rule, "TVENRL": v.end_rule}
        )  # fmt: skip
    keys = [("design", "visits", i) for i in range(len(rows))]
    return _finish(rows, "TV", studyid, doc, "design.visits", keys)


def trial_inclusion(design: Design, studyid: str, doc: SpecDocument | None = None) -> pd.DataFrame:
    """TI: one record per inclusion or exclusion criterion.

    >>> from sdtm.design import Criterion
    >>> d = Design(criteria=(Criterion("INCL01", "Age > 18", "INCLUSION"),))
    >>> trial_inclusion(d, "S")[["IETESTCD", "IECAT"]].values.tolist()
    [['INCL01', 'INCLUSION']]
    """
    rows = [
        {"IETESTCD": c.ietestcd, "IETEST": c.ietest, "IECAT": c.iecat, "IESCAT": c.iescat}
        for c in design.criteria
    ]
    keys = [("design", "criteria", i) for i in range(len(rows))]
    return _finish(rows, "TI", studyid, doc, "design.criteria", keys)


def derived_summary(design: Design, dm: pd.DataFrame, title: str | None) -> dict[str, list[str]]:
    """The derivable TS parameters from DM and the design (see the module docstring).

    >>> dm = pd.DataFrame({"USUBJID": ["1", "2"], "RFICDTC": ["2021-03-02", "2021-01-05T09:00"],
    ...                    "RFPENDTC": ["2022-01-01", "2021-12-31"], "COUNTRY": ["NLD", "NLD"]})
    >>> derived_summary(Design(arms={"A": "a", "B": "b"}), dm, "T")["SSTDTC"]
    ['2021-01-05']
    """

    def dates(name: str) -> pd.Series:
        text = dm[name].astype("string").str[:10] if name in dm else pd.Series(dtype="string")
        return text[text.str.len() == 10]

    consent, end = dates("RFICDTC"), dates("RFPENDTC")
    countries = dm["COUNTRY"].dropna().astype(str).unique() if "COUNTRY" in dm else []
    return {
        "SSTDTC": [consent.min()] if len(consent) else [],
        "SENDTC": [end.max()] if len(end) else [],
        "ACTSUB": [str(dm["USUBJID"].nunique())],
        "NARMS": [str(len(design.arm_paths or design.arms))],
        "TITLE": [title] if title else [],
        "FCNTRY": sorted(countries) or ([design.country] if design.country else []),
        "SDTIGVER": ["3.4"],
        "SDTMVER": ["2.0"],
    }


def trial_summary(
    design: Design,
    dm: pd.DataFrame,
    standards: Standards,
    studyid: str,
    title: str | None = None,
    doc: SpecDocument | None = None,
) -> pd.DataFrame:
    """TS: the declared parameters of ``design.summary`` plus the derived ones, in
    TSPARMCD order, one record per value (TSSEQ); a derived parameter with no value (e.g.
    SSTDTC without any consent date) gets TSVALNF ``NAV``.

    >>> from sdtm.design import TsParam
    >>> d = Design(summary=(TsParam("TBLIND", ("DOUBLE BLIND",)), TsParam("AGEMAX", nf="PINF")))
    >>> dm = pd.DataFrame({"USUBJID": ["1"], "RFICDTC": ["2021-01-05"]})
    >>> ts = trial_summary(d, dm, Standards.load(), "S").set_index("TSPARMCD")
    >>> ts.loc["TBLIND", ["TSVAL", "TSVALCD"]].tolist(), ts.loc["AGEMAX", "TSVALNF"]
    (['DOUBLE BLIND', 'C15228'], 'PINF')
    """
    parm = standards.codelist("TSPARMCD")
    names = {t.code: t.submission_value for t in standards.codelist("TSPARM").terms}
    rows, keys = [], []
    for p in design.summary:
        key = ("design", "summary", p.parmcd)
        for seq, value in enumerate(p.values or [None], start=1):
            rows.append((p.parmcd, seq, value, p.nf))
            keys.append(key)
    for code, values in derived_summary(design, dm, title).items():
        key = ("title",) if code == "TITLE" else ("design", "summary")
        for seq, value in enumerate(values or [None], start=1):
            rows.append((code, seq, value, None if value else "NAV"))
            keys.append(key)
    frame = pd.DataFrame(rows, columns=["TSPARMCD", "TSSEQ", "TSVAL", "TSVALNF"])
    term = frame["TSPARMCD"].map(lambda c: parm.term(c))
    frame["TSPARM"] = term.map(lambda t: names.get(t.code) if t is not None else None)
    cd, ref, ver = [], [], []
    for code, value in zip(frame["TSPARMCD"], frame["TSVAL"], strict=True):
        found = None
        value = value if pd.notna(value) else None
        if value is not None and code in TS_CODELISTS:
            found = standards.codelist(TS_CODELISTS[code]).term(value)
        if found is not None:
            cd.append(found.code), ref.append("CDISC CT"), ver.append(standards.ct_version)
        # TSVCDREF takes DICTNAM (C66788, extensible). "ISO 3166" is its term C209537; it has
        # none for ISO 8601 (the SDTMIG 3.4 TSVCDREF example) or ClinicalTrials.gov (the
        # registry of REGID), which stay sponsor terms.
        elif value is not None and code in _ISO8601:
            cd.append(None), ref.append("ISO 8601"), ver.append(None)
        elif value is not None and code == "FCNTRY":
            cd.append(value), ref.append("ISO 3166"), ver.append(None)
        elif value is not None and code == "REGID":
            registry = "ClinicalTrials.gov" if str(value).startswith("NCT") else None
            cd.append(value), ref.append(registry), ver.append(None)
        else:
            cd.append(None), ref.append(None), ver.append(None)
    frame["TSVALCD"], frame["TSVCDREF"], frame["TSVCDVER"] = cd, ref, ver
    frame = frame.assign(_key=keys).sort_values(["TSPARMCD", "TSSEQ"], kind="mergesort")
    keys = frame.pop("_key").tolist()
    frame.insert(0, "STUDYID", studyid)
    frame.insert(1, "DOMAIN", "TS")
    return _lineage(frame.reset_index(drop=True), doc, "design.summary", keys)


def check_summary(doc: SpecDocument, design: Design, standards: Standards) -> list[SpecProblem]:
    """Problems of ``design.summary`` against CT: an unknown TSPARMCD, a controlled value
    not in its codelist, a TSVALNF that is no ISO 21090 null flavor, a value over 200
    characters, a derived parameter typed by hand, and (when ``summary`` is declared at all)
    every FDA-expected parameter that is neither declared nor derived.
    """
    if not design.summary:
        return []
    problems, parm = [], standards.codelist("TSPARMCD")
    for p in design.summary:
        here = ("design", "summary", p.parmcd)
        if p.parmcd not in parm:
            problems.append(
                doc.problem(
                    here,
                    f"{p.parmcd!r} is not a TSPARMCD term",
                    did_you_mean(p.parmcd, parm.values),
                )
            )
            continue
        if p.parmcd in DERIVED_TS:
            problems.append(
                doc.problem(here, f"{p.parmcd} is derived from the data", "remove this key")
            )
        if p.nf is not None and p.nf not in NULL_FLAVORS:
            problems.append(
                doc.problem(
                    (*here, "nf"), f"{p.nf!r} is not an ISO 21090 null flavor", "e.g. NA, UNK"
                )
            )
        codelist = standards.codelist(TS_CODELISTS[p.parmcd]) if p.parmcd in TS_CODELISTS else None
        for value in p.values:
            if codelist is not None and value not in codelist:
                problems.append(
                    doc.problem(
                        here,
                        f"{value!r} is not in codelist {codelist.submission_value}",
                        did_you_mean(value, codelist.values),
                    )
                )
            if len(value) > 200:
                problems.append(doc.problem(here, "TSVAL longer than 200 characters"))
    declared = {p.parmcd for p in design.summary}
    missing = [c for c in FDA_TS_PARAMETERS if c not in declared and c not in DERIVED_TS]
    if missing:
        problems.append(
            doc.problem(
                ("design", "summary"),
                f"FDA-expected TS parameters missing: {', '.join(missing)}",
                "declare each, with {nf: NA} or {nf: UNK} when not applicable or unknown",
            )
        )
    return problems


def design_domains(
    design: Design,
    dm: pd.DataFrame,
    visits: pd.DataFrame,
    standards: Standards,
    studyid: str,
    title: str | None = None,
    doc: SpecDocument | None = None,
) -> tuple[list[tuple[str, pd.DataFrame]], pd.DataFrame]:
    """Every trial design and subject-design dataset the design supports, as
    ``[(name, frame), ...]`` (empty ones left out), and the problems found (visit windows).
    ``visits``: the raw records' visits (:func:`sdtm.subjectvisits.visit_numbers`).
    """
    elements = subject_elements(dm, design)  # SE and SV's EPOCH both stand on it
    sv, problems = derive_sv(visits, dm, design, studyid, elements)
    frames = [
        ("TA", trial_arms(design, studyid, doc)),
        ("TE", trial_elements(design, studyid, doc)),
        ("TV", trial_visits(design, studyid, doc)),
        ("TI", trial_inclusion(design, studyid, doc)),
        ("TS", trial_summary(design, dm, standards, studyid, title, doc)),
        ("SE", derive_se(dm, design, studyid, elements)),
        ("SV", sv),
    ]
    return [(name, frame) for name, frame in frames if len(frame)], problems
