"""The study design the generator serialises: events (visits), forms, fields and codelists.

One :class:`Design` per trial (see :mod:`cdisc.synth.studies`) drives every export format, so
ODM, REDCap and Rave-style exports of the same study and seed carry the same clinical data.

Naming, identical in every format except for case:

- a form has an upper-case ``oid`` (ODM FormOID, e.g. ``VS``) and a lower-case ``name`` (ODM
  FormDef Name, REDCap instrument, Rave file stem ``vs.csv``);
- a field has a CDASH-style upper-case ``name`` (ODM ItemDef Name and Rave column, e.g.
  ``VSDAT``); its ODM ItemOID is ``<FORM>.<NAME>`` and its REDCap variable the lower-case name;
- an event has an ``oid`` (ODM StudyEventOID and Rave Folder, e.g. ``M6``) and a ``label``
  (ODM StudyEventDef Name, REDCap event_name, Rave FolderName).

Field ``tags`` name the roles a defect kind may target (see :mod:`cdisc.synth.defects`); a field
with any tag may carry messy text, so ODM declares it ``DataType="text"`` and REDCap gives it no
validation, as real EDC builds do for fields migrated from paper or free entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Field kinds. ``coded`` uses a codelist (single choice), ``checkbox`` a multi-choice codelist.
FIELD_KINDS = ("text", "notes", "date", "time", "integer", "float", "coded", "checkbox")


@dataclass(frozen=True)
class Field:
    """One collected item.

    ``kind`` is one of :data:`FIELD_KINDS`; ``codelist`` names an entry of
    :attr:`Design.codelists` for ``coded`` and ``checkbox`` fields; ``decimals`` is the
    precision numbers are written with; ``unit_field`` names the sibling field holding this
    result's unit (for unit defects); ``tags`` are the defect roles (see module docstring).
    """

    name: str
    label: str
    kind: str = "text"
    codelist: str | None = None
    decimals: int = 0
    unit_field: str | None = None
    tags: frozenset[str] = frozenset()
    identifier: bool = False

    @property
    def messy(self) -> bool:
        """True when defect injection may write arbitrary text into this field."""
        return bool(self.tags)


@dataclass(frozen=True)
class Form:
    """A CRF page. ``repeating`` forms hold several records per event (log lines).

    ``date_field`` is the item that carries the visit date on visit forms (moved by the
    out-of-window and unscheduled-visit defects); ``perf_field`` is the ``--PERF`` item.
    """

    oid: str
    title: str
    fields: tuple[Field, ...]
    repeating: bool = False
    date_field: str | None = None
    perf_field: str | None = None

    @property
    def name(self) -> str:
        """Lower-case form name shared by every format."""
        return self.oid.lower()

    def field(self, name: str) -> Field:
        """The field called ``name``; KeyError if the form has none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.oid}.{name}")


@dataclass(frozen=True)
class Event:
    """A study event. ``kind``: ``scheduled``, ``unscheduled`` (repeating), ``eos`` or ``log``.

    ``day`` is the protocol target study day (Day 1 = first dose, no Day 0) with window
    ``lo``..``hi`` days (inclusive); ``num`` is the proposed VISITNUM.
    """

    oid: str
    label: str
    num: int
    forms: tuple[str, ...]
    kind: str = "scheduled"
    day: int | None = None
    lo: int | None = None
    hi: int | None = None


@dataclass(frozen=True)
class Arm:
    """A treatment arm: ``armcd`` is the coded value written in the export."""

    armcd: str
    arm: str


@dataclass(frozen=True)
class Site:
    """A site (REDCap data access group, ODM Location, Rave Site)."""

    number: str
    name: str
    dag: str


@dataclass(frozen=True)
class Design:
    """Everything the serialisers need to know about one study."""

    study: str
    title: str
    protocol: str
    sponsor: str
    arms: tuple[Arm, ...]
    sites: tuple[Site, ...]
    events: tuple[Event, ...]
    forms: tuple[Form, ...]
    codelists: dict[str, tuple[tuple[str, str], ...]]
    default_subjects: int
    default_format: str
    #: Pairs of events with the same forms whose labels may be swapped (visit label defect).
    swap_pairs: tuple[tuple[str, str], ...] = ()
    #: Whether REDCap models the arms as REDCap arms (open-label cohorts) or as one arm.
    redcap_arms: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def form(self, oid: str) -> Form:
        """The form with this OID; KeyError if unknown."""
        for f in self.forms:
            if f.oid == oid:
                return f
        raise KeyError(oid)

    def event(self, oid: str) -> Event:
        """The event with this OID; KeyError if unknown."""
        for e in self.events:
            if e.oid == oid:
                return e
        raise KeyError(oid)

    @property
    def event_order(self) -> dict[str, int]:
        """Event OID -> position in the schedule (the order exports list events in)."""
        return {e.oid: i for i, e in enumerate(self.events)}

    @property
    def form_order(self) -> dict[str, int]:
        """Form OID -> position in the design (the order exports list forms in)."""
        return {f.oid: i for i, f in enumerate(self.forms)}

    def decode(self, codelist: str) -> dict[str, str]:
        """Coded value -> decode for one codelist."""
        return dict(self.codelists[codelist])


# ---------------------------------------------------------------------------------------------
# Field helpers used by the study definitions.


def tags(*names: str) -> frozenset[str]:
    """Shorthand for a frozen set of defect tags."""
    return frozenset(names)


def date(name: str, label: str, *extra: str) -> Field:
    """A date item typed by the site: it may be written in another format (tags ``pdate``
    in ``extra`` also allow partial dates)."""
    return Field(name, label, "date", tags=tags("date", *extra))


def checked_date(name: str, label: str) -> Field:
    """A date the EDC validates on entry (REDCap ``date_ymd``, ODM ``date``): never messy."""
    return Field(name, label, "date")


def checked_time(name: str, label: str) -> Field:
    """A time the EDC validates on entry (REDCap ``time``, ``HH:MM``): never messy."""
    return Field(name, label, "time")


def time(name: str, label: str) -> Field:
    """A time item (24 h clock), target of the time-format and missing-value defects."""
    return Field(name, label, "time", tags=tags("time"))


def coded(name: str, label: str, codelist: str, *extra: str) -> Field:
    """A single-choice coded item (REDCap radio/dropdown/yesno)."""
    return Field(name, label, "coded", codelist=codelist, tags=tags(*extra))


def num(
    name: str,
    label: str,
    decimals: int = 0,
    *extra: str,
    unit_field: str | None = None,
) -> Field:
    """A numeric result written as text by the site (so it can be messy)."""
    kind = "float" if decimals else "integer"
    return Field(name, label, kind, decimals=decimals, unit_field=unit_field, tags=tags(*extra))


def text(name: str, label: str, *extra: str) -> Field:
    """A free-text item."""
    return Field(name, label, "text", tags=tags(*extra))


#: Codelists shared by both trials: coded value -> decode, in display order. Numeric codes
#: follow the usual EDC habit (REDCap radio buttons); NY uses REDCap's yesno coding 1/0.
COMMON_CODELISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "NY": (("1", "Yes"), ("0", "No")),
    "SEX": (("1", "Male"), ("2", "Female")),
    "RACE": (
        ("1", "American Indian or Alaska Native"),
        ("2", "Asian"),
        ("3", "Black or African American"),
        ("4", "Native Hawaiian or Other Pacific Islander"),
        ("5", "White"),
        ("6", "Other"),
        ("7", "Not reported"),
    ),
    "ETHNIC": (("1", "Hispanic or Latino"), ("2", "Not Hispanic or Latino"), ("3", "Not reported")),
    "LAT": (("1", "Left"), ("2", "Right")),
    "AESEV": (("1", "Mild"), ("2", "Moderate"), ("3", "Severe")),
    "AEREL": (
        ("1", "Not related"),
        ("2", "Unlikely related"),
        ("3", "Possibly related"),
        ("4", "Probably related"),
        ("5", "Definitely related"),
    ),
    "AEACN": (
        ("1", "Dose not changed"),
        ("2", "Drug withdrawn"),
        ("3", "Not applicable"),
        ("4", "Unknown"),
    ),
    "AEOUT": (
        ("1", "Recovered/resolved"),
        ("2", "Recovering/resolving"),
        ("3", "Not recovered/not resolved"),
        ("4", "Recovered/resolved with sequelae"),
        ("5", "Fatal"),
        ("6", "Unknown"),
    ),
    "ROUTE": (("1", "Intramuscular"), ("2", "Intravenous"), ("3", "Subcutaneous")),
    "DSDECOD": (
        ("1", "Completed"),
        ("2", "Death"),
        ("3", "Lost to follow-up"),
        ("4", "Withdrawal by subject"),
        ("5", "Adverse event"),
        ("6", "Physician decision"),
    ),
    # Rutherford 1997 categories (trials.md 3.1); trial A writes them as grade-category.
    "RUTH": (
        ("0", "0 - Asymptomatic"),
        ("1", "I-1 - Mild claudication"),
        ("2", "I-2 - Moderate claudication"),
        ("3", "I-3 - Severe claudication"),
        ("4", "II-4 - Ischemic rest pain"),
        ("5", "III-5 - Minor tissue loss"),
        ("6", "III-6 - Major tissue loss"),
    ),
    # Fontaine stages with the 200 m claudication threshold (trials.md 3.2).
    "FONT": (("1", "I"), ("2", "IIa"), ("3", "IIb"), ("4", "III"), ("5", "IV")),
    "SMOKE": (("1", "Current smoker"), ("2", "Former smoker"), ("3", "Never smoked")),
    "FUMETH": (("1", "Clinic visit"), ("2", "Telephone"), ("3", "Medical records")),
}
