"""The study metadata model: one description of every output dataset, and of a define.

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
    value_list: str | None = None  # OID of the ValueListDef describing it by value

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


# --- Define-XML: what a define.xml says beyond the datasets ---------------------------------
#
# A :class:`DefineDocument` is the whole content of one define.xml (tabulation or analysis):
# the DatasetDefs plus the codelists, value-level metadata, documents, standards and analysis
# results they refer to. Methods and comments are the text on VariableDef / ValueDef /
# DatasetDef (``method``, ``comment``); a writer gives each its OID (``MT.<dataset>.<name>``,
# ``COM.<dataset>.<name>``). A VariableDef's ``codelist`` is the OID of a CodeListDef of the
# same document, and its ``value_list`` the OID of a ValueListDef.


@dataclass(frozen=True)
class CodeListTerm:
    """One term of a codelist as the study uses it.

    ``nci_code`` is the term's C-code for a CDISC term (None for a sponsor term);
    ``extended`` marks a sponsor term added to an extensible CDISC codelist
    (``def:ExtendedValue="Yes"``); ``decode`` makes the codelist a CodeListItem list.
    """

    coded_value: str
    decode: str | None = None
    nci_code: str | None = None
    extended: bool = False


@dataclass(frozen=True)
class CodeListDef:
    """A codelist of a define: a subset of a CDISC codelist (``nci_code`` set, ``standard``
    the OID of its CT StandardDef), a sponsor list (both None), or an external dictionary
    (``external`` = (dictionary, version), no terms)."""

    oid: str
    name: str
    data_type: str  # text | integer | float
    terms: tuple[CodeListTerm, ...] = ()
    nci_code: str | None = None
    standard: str | None = None
    extensible: bool = False
    external: tuple[str, str] | None = None
    comment: str | None = None


#: def:WhereClauseDef RangeCheck comparators.
COMPARATORS = ("LT", "LE", "GT", "GE", "EQ", "NE", "IN", "NOTIN")


@dataclass(frozen=True)
class RangeCheck:
    """One condition of a where clause: ``<dataset>.<variable> <comparator> <values>``."""

    dataset: str
    variable: str
    comparator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class WhereClause:
    """A def:WhereClauseDef: its range checks, all of which must hold (AND)."""

    oid: str
    checks: tuple[RangeCheck, ...]
    comment: str | None = None


@dataclass(frozen=True)
class ValueDef:
    """One value-level ItemDef (and its ItemRef in the ValueListDef): the variable's
    metadata where ``where`` holds (``VSORRES`` where ``VSTESTCD EQ ABI``)."""

    oid: str
    name: str
    label: str
    data_type: str
    where: WhereClause
    order: int
    length: int | None = None
    significant_digits: int | None = None
    display_format: str | None = None
    mandatory: bool = False
    codelist: str | None = None
    origin: Origin = field(default_factory=lambda: Origin("Collected"))
    method: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class ValueListDef:
    """A def:ValueListDef: the value-level metadata of ``dataset``.``variable``."""

    oid: str
    dataset: str
    variable: str
    values: tuple[ValueDef, ...]


@dataclass(frozen=True)
class StandardDef:
    """A def:Standard: ``SDTMIG`` 3.4 (type IG) or ``CDISC/NCI`` 2025-03-28 (type CT, with its
    publishing set ``SDTM`` / ``ADaM``)."""

    oid: str
    name: str
    type: str  # IG | CT
    version: str
    publishing_set: str | None = None
    status: str = "Final"


@dataclass(frozen=True)
class DocumentLeaf:
    """A def:leaf for a document (annotated CRF, reviewer's guide, program): ``href`` is
    relative to the define's folder."""

    oid: str
    href: str
    title: str


@dataclass(frozen=True)
class AnalysisResult:
    """One ARM 1.0 analysis result of a display: the dataset it reads, the records it selects
    (``where``), the variables it analyses, and why (ANLREAS / ANLPURP terms)."""

    oid: str
    description: str
    reason: str  # SPECIFIED IN PROTOCOL | SPECIFIED IN SAP | DATA DRIVEN | ...
    purpose: str  # PRIMARY OUTCOME MEASURE | SECONDARY OUTCOME MEASURE | ...
    dataset: str
    where: WhereClause | None
    variables: tuple[str, ...]
    parameter: str | None = None  # the PARAMCD variable, when the result is by parameter
    documentation: str | None = None
    code_context: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class ResultDisplay:
    """An ARM 1.0 result display (a table or figure) and its analysis results."""

    oid: str
    name: str
    description: str
    results: tuple[AnalysisResult, ...]


@dataclass(frozen=True)
class DefineDocument:
    """Everything one define.xml says: study, standards, datasets, value-level metadata,
    codelists, documents and (analysis only) ARM result displays.

    ``purpose`` is ``Tabulation`` or ``Analysis``; ``created`` the CreationDateTime (ISO
    8601 text); ``annotated_crf`` and ``supplemental`` are ids of ``leaves``; each dataset's
    file is ``<name lower>.xpt`` beside the define.
    """

    study_oid: str
    study_name: str
    study_description: str
    protocol_name: str
    purpose: str
    mdv_oid: str
    mdv_name: str
    created: str
    standards: tuple[StandardDef, ...]
    datasets: tuple[DatasetDef, ...]
    value_lists: tuple[ValueListDef, ...] = ()
    codelists: tuple[CodeListDef, ...] = ()
    leaves: tuple[DocumentLeaf, ...] = ()
    annotated_crf: str | None = None
    supplemental: tuple[str, ...] = ()
    results: tuple[ResultDisplay, ...] = ()
    define_version: str = "2.1.0"
    context: str = "Submission"
    comment: str | None = None

    def dataset(self, name: str) -> DatasetDef:
        """The dataset called ``name``; KeyError when absent."""
        for ds in self.datasets:
            if ds.name == name:
                return ds
        raise KeyError(f"the define has no dataset {name}")
