"""The study metadata model: one description of every output dataset.

ARCHITECTURE.md's single source of truth. A :class:`DatasetDef` is resolved once, from
``specs/`` (labels, types, core, roles, codelists), the study's mapping spec (origins,
methods, comments, keys) and facts observed in the data (lengths actually needed). The XPT
and Dataset-JSON writers, the pandera schemas, the conformance rules and the Define-XML
writer all read it; none of them keeps its own copy of a label or a length.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

#: Define-XML DataType values, and the XPT type each is stored as.
DATA_TYPES: dict[str, str] = {
    "text": "Char",
    "integer": "Num",
    "float": "Num",
    "date": "Char",
    "datetime": "Char",
    "time": "Char",
    "partialDate": "Char",
    "partialTime": "Char",
    "partialDatetime": "Char",
    "incompleteDatetime": "Char",
    "durationDatetime": "Char",
    "intervalDatetime": "Char",
}

#: Define-XML 2.1 def:Origin Type values.
ORIGIN_TYPES = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")


@dataclass(frozen=True)
class Origin:
    """Where a variable's values come from (Define-XML ``def:Origin``).

    ``type`` is one of :data:`ORIGIN_TYPES`; ``source`` is ``Investigator``, ``Sponsor``,
    ``Subject`` or ``Vendor`` for collected data, or the predecessor (``DM.AGE``) for
    ``Predecessor``.
    """

    type: str
    source: str = ""


@dataclass(frozen=True)
class VariableDef:
    """One variable of one output dataset, fully resolved.

    ``data_type`` is a Define-XML DataType (see :data:`DATA_TYPES`); ``length`` is the
    byte length for Char variables (the longest value present, at least 1) and 8 for Num.
    ``method`` is the derivation in words a reviewer can follow; ``key_sequence`` the
    position among the dataset's keys, or None.
    """

    name: str
    label: str
    data_type: str
    order: int
    length: int | None = None
    mandatory: bool = False
    core: str = ""
    role: str = ""
    codelist: str | None = None
    origin: Origin = field(default_factory=lambda: Origin("Collected"))
    method: str | None = None
    comment: str | None = None
    display_format: str | None = None
    significant_digits: int | None = None
    key_sequence: int | None = None

    @property
    def xpt_type(self) -> str:
        """``Char`` or ``Num``: how the variable is stored in SAS XPORT."""
        return DATA_TYPES[self.data_type]


@dataclass(frozen=True)
class DatasetDef:
    """One output dataset: its Define-XML ItemGroupDef facts and its variables in order.

    ``purpose`` is ``Tabulation`` (SDTM) or ``Analysis`` (ADaM); ``standard`` names the IG
    (``SDTMIG 3.4``); ``keys`` are the natural keys in KeySequence order.
    """

    name: str
    label: str
    purpose: str
    standard: str
    cdisc_class: str
    structure: str
    variables: tuple[VariableDef, ...]
    keys: tuple[str, ...] = ()
    subclass: str = ""
    repeating: bool = True
    reference_data: bool = False
    comment: str | None = None

    def __post_init__(self) -> None:
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"{self.name}: variables defined twice: {', '.join(duplicated)}")

    @property
    def names(self) -> tuple[str, ...]:
        """Variable names in dataset order."""
        return tuple(v.name for v in sorted(self.variables, key=lambda v: v.order))

    def variable(self, name: str) -> VariableDef:
        """The variable called ``name``; KeyError naming the dataset when absent."""
        for var in self.variables:
            if var.name == name:
                return var
        raise KeyError(f"{self.name} has no variable {name}")

    @property
    def oid(self) -> str:
        """``IG.<name>``: the ItemGroupDef OID that define.xml and Dataset-JSON both use."""
        return f"IG.{self.name}"

    def item_oid(self, name: str) -> str:
        """``IT.<dataset>.<variable>``: the ItemDef OID of variable ``name`` in this dataset,
        shared by define.xml and Dataset-JSON (``itemOID``); KeyError when absent."""
        return f"IT.{self.name}.{self.variable(name).name}"

    def with_lengths(self, lengths: dict[str, int]) -> DatasetDef:
        """A copy whose Char variables take the observed byte ``lengths`` (at least 1)."""
        variables = tuple(
            replace(v, length=max(1, lengths.get(v.name, 1)))
            if v.xpt_type == "Char"
            else replace(v, length=8)
            for v in self.variables
        )
        return replace(self, variables=variables)
