"""Read a third-party Define-XML 2.0 or 2.1 file into the metadata model, for ``cdisc validate``.

The reader is not the schema: it keeps what the model can carry, and lists what it met that
is broken (dangling or unused OIDs, duplicate OIDs, unreadable numbers) or that the model
cannot carry, instead of stopping at the first problem. Only input that is not a define at
all (not XML, not ODM, a DOCTYPE) raises :class:`~cdisc.errors.InputError`.

What is kept, per element (see :mod:`cdisc.metadata` for the model):

* ItemGroupDef -> :class:`DatasetDef`, variables in OrderNumber order (document order where
  OrderNumber is missing or repeated, renumbered 1..n then). A shared ItemDef (``IT.STUDYID``)
  becomes one :class:`VariableDef` in each dataset that refers to it.
* def:Origin: Type, Source; for Predecessor the Description text is ``Origin.source``. An
  ItemDef with no def:Origin gets ``Origin("")`` (no origin). Define-XML 2.0 types are mapped to
  2.1: ``CRF`` -> Collected/Investigator, ``eDT`` -> Collected/Vendor.
* MethodDef and def:CommentDef: their Description text (the model holds texts, not OIDs).
* Define-XML 2.0: one IG :class:`StandardDef` ``STD.<name>`` from def:StandardName /
  def:StandardVersion, with the 2.0 spellings ``SDTM-IG``, ``ADaM-IG``, ``SEND-IG`` mapped to the
  2.1 names; ItemGroupDef/@def:Class as the class.
* CodeList: terms, decodes, NCI aliases, def:ExtendedValue; ``extensible`` is set when a term is
  extended (Define-XML does not say whether a codelist is extensible otherwise).
* ARM 1.0: displays and results with the first analysis dataset, its where clause and
  variables, the parameter, documentation text and programming code.

Not kept (the model has no place for them): def:DocumentRef / PDFPageRef links (aCRF pages,
method, comment and display documents), FormalExpression, MethodDef Name/Type, def:HasNoData,
ItemRef def:IsNonStandard, Domain, SASFieldName, SASFormatName, Alias other than NCI codes,
Standard comments; and, listed as ``not_kept`` problems because they change meaning: a
def:Origin Description other than a predecessor's, def:Origins after the first, OR-ed where
clauses after the first, ARM analysis datasets after the first, and a dataset file (def:leaf
href) other than ``<name lower>.xpt``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from lxml import etree

from cdisc.errors import InputError
from cdisc.metadata import (
    AnalysisResult,
    CodeListDef,
    CodeListTerm,
    DatasetDef,
    DefineDocument,
    DocumentLeaf,
    Origin,
    RangeCheck,
    ResultDisplay,
    StandardDef,
    ValueDef,
    ValueListDef,
    VariableDef,
    WhereClause,
)
from define.safexml import parse_odm

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NAMESPACES = {
    "2.0": "http://www.cdisc.org/ns/def/v2.0",
    "2.1": "http://www.cdisc.org/ns/def/v2.1",
}
ARM = "http://www.cdisc.org/ns/arm/v1.0"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Define-XML 2.0 origin types that 2.1 splits into Type and Source (Define-XML 2.1 §4.3.2).
_ORIGIN_20 = {"CRF": ("Collected", "Investigator"), "eDT": ("Collected", "Vendor")}
_STANDARD_NAMES_20 = {"SDTM-IG": "SDTMIG", "ADaM-IG": "ADaMIG", "SEND-IG": "SENDIG"}

# Default of _Reader._problem's ``owner``: the OID of the element or its nearest ancestor.
_OWNER = object()


def read_define(path: Path) -> DefineDocument:
    """The Define-XML 2.0 or 2.1 file at ``path`` as a :class:`DefineDocument`.

    Broken references are left out of the document; use :func:`read_define_with_problems` to
    see them. Raises :class:`InputError` (with file, line and column where known, and a hint)
    for a file that is missing, not XML, not an ODM define, or carries a DOCTYPE.

    Example::

        doc = read_define(Path("m5/datasets/study/tabulations/sdtm/define.xml"))
        doc.dataset("DM").label  # 'Demographics'
    """
    return read_define_with_problems(path)[0]


def read_define_with_problems(path: Path) -> tuple[DefineDocument, list[dict]]:
    """The define at ``path`` and the problems met while reading it.

    Each problem is a dict with ``kind`` (one of :data:`PROBLEM_KINDS`), ``oid`` (the OID that
    dangles, is unused or duplicated), ``referenced_from`` (OID of the element holding the
    reference, or None), ``line`` (source line) and ``detail`` (the attribute or value, in
    words). Example::

        doc, problems = read_define_with_problems(Path("define.xml"))
        [p for p in problems if p["kind"] == "dangling_method"]
        # [{'kind': 'dangling_method', 'oid': 'MT.AGE', 'referenced_from': 'IG.DM', 'line': 40,
        #   'detail': 'MethodOID'}]
    """
    path = Path(path)
    root = parse_odm(path)
    reader = _Reader(root, path)
    return reader.document(), reader.problems


# --- parsing -------------------------------------------------------------------------------


# --- the reader ----------------------------------------------------------------------------

# Reference attributes anywhere in a define, and the kind of definition each points to.
_REFERENCES = (
    ("ItemOID", "item"),
    ("{def}ItemOID", "item"),
    ("ParameterOID", "item"),
    ("ItemGroupOID", "item_group"),
    ("MethodOID", "method"),
    ("{def}CommentOID", "comment"),
    ("CodeListOID", "codelist"),
    ("ValueListOID", "value_list"),
    ("WhereClauseOID", "where_clause"),
    ("leafID", "leaf"),
    ("{def}ArchiveLocationID", "leaf"),
    ("{def}StandardOID", "standard"),
)
# Definition elements of each kind: (namespace key, local name, id attribute).
_DEFINITIONS = {
    "item": ("odm", "ItemDef", "OID"),
    "item_group": ("odm", "ItemGroupDef", "OID"),
    "method": ("odm", "MethodDef", "OID"),
    "comment": ("def", "CommentDef", "OID"),
    "codelist": ("odm", "CodeList", "OID"),
    "value_list": ("def", "ValueListDef", "OID"),
    "where_clause": ("def", "WhereClauseDef", "OID"),
    "leaf": ("def", "leaf", "ID"),
    "standard": ("def", "Standard", "OID"),
}
# Kinds whose unused definitions are reported (item groups and standards are used by being there).
_UNUSED = ("item", "method", "comment", "codelist", "value_list", "where_clause", "leaf")

#: ``kind`` values of the problems :func:`read_define_with_problems` returns. ``dangling_<x>``:
#: a reference to an OID that nothing defines; ``unused_<x>``: a definition that nothing refers
#: to; ``duplicate_oid``: a second definition with one OID (the first is kept);
#: ``duplicate_variable``: two ItemRefs of a dataset naming one variable (the first is kept);
#: ``bad_value``: a number that is not one (left out); ``not_kept``: content the model cannot
#: carry (see the module docstring).
PROBLEM_KINDS = (
    *(f"dangling_{kind}" for kind in _DEFINITIONS),
    *(f"unused_{kind}" for kind in _UNUSED),
    "duplicate_oid",
    "duplicate_variable",
    "bad_value",
    "not_kept",
)


class _Reader:
    """Indexes one parsed define by OID and builds the model from it, collecting problems."""

    def __init__(self, root: etree._Element, path: Path) -> None:
        self.root = root
        self.path = path
        self.problems: list[dict] = []
        self.version = self._version()
        self.ns = {"odm": ODM, "def": DEF_NAMESPACES[self.version], "arm": ARM}
        self.study = self._child(root, "odm", "Study", required=True)
        self.mdv = self._child(self.study, "odm", "MetaDataVersion", required=True)
        self.defs = {kind: self._index(kind) for kind in _DEFINITIONS}
        self._check_references()
        self.where_clauses: dict[str, WhereClause | None] = {}
        self.item_datasets: dict[str, list[str]] = defaultdict(list)
        self.value_list_parent: dict[str, tuple[str, str]] = {}

    # helpers

    def q(self, ns: str, name: str) -> str:
        """Clark name ``{uri}name`` of ``ns:name``."""
        return f"{{{self.ns[ns]}}}{name}"

    def _child(self, el, ns: str, name: str, required: bool = False):
        child = el.find(self.q(ns, name))
        if child is None and required:
            raise InputError(
                f"not a define: {etree.QName(el).localname} has no {name}",
                path=self.path,
                location=f"line {el.sourceline}",
                hint="a define.xml holds ODM/Study/MetaDataVersion",
            )
        return child

    def _version(self) -> str:
        elements = list(self.root.iter(tag=etree.Element))
        used = {etree.QName(el).namespace for el in elements}
        used |= {etree.QName(a).namespace for el in elements for a in el.attrib}
        for version in ("2.1", "2.0"):
            if DEF_NAMESPACES[version] in used:
                return version
        raise InputError(
            "not a Define-XML document: no element or attribute in the Define-XML 2.0 or 2.1 "
            "namespace",
            path=self.path,
            location=f"line {self.root.sourceline}",
            hint=f'a define.xml declares xmlns:def="{DEF_NAMESPACES["2.1"]}" (or v2.0)',
        )

    def _attr(self, name: str) -> str:
        """``{def}X`` -> the Clark name in this define's def namespace."""
        return name.replace("{def}", f"{{{self.ns['def']}}}")

    def _problem(self, kind: str, oid: str | None, el, detail: str, owner: object = _OWNER):
        self.problems.append(
            {
                "kind": kind,
                "oid": oid,
                "referenced_from": _owner(el) if owner is _OWNER else owner,
                "line": el.sourceline if el is not None else None,
                "detail": detail,
            }
        )

    def _index(self, kind: str) -> dict[str, etree._Element]:
        ns, name, id_attr = _DEFINITIONS[kind]
        found: dict[str, etree._Element] = {}
        for el in self.root.iter(self.q(ns, name)):
            oid = el.get(id_attr, "")
            if oid in found:
                self._problem("duplicate_oid", oid, el, f"a second {name}; the first is kept")
            else:
                found[oid] = el
        return found

    def _check_references(self) -> None:
        used: dict[str, set[str]] = defaultdict(set)
        for el in self.root.iter(tag=etree.Element):
            for attr, kind in _REFERENCES:
                oid = el.get(self._attr(attr))
                if oid is None:
                    continue
                used[kind].add(oid)
                if oid not in self.defs[kind]:
                    self._problem(f"dangling_{kind}", oid, el, etree.QName(attr).localname)
        for kind in _UNUSED:
            for oid, el in self.defs[kind].items():
                # A dataset's own leaf is used through def:ArchiveLocationID, checked above.
                if oid not in used[kind]:
                    self._problem(f"unused_{kind}", oid, el, _DEFINITIONS[kind][1], owner=None)

    def _text(self, el) -> str | None:
        """The English (or only) TranslatedText of a Description or Decode element."""
        if el is None:
            return None
        texts = el.findall(self.q("odm", "TranslatedText"))
        if not texts:
            return None
        chosen = next((t for t in texts if t.get(XML_LANG) in (None, "en")), texts[0])
        return chosen.text or ""

    def _description(self, el) -> str | None:
        return self._text(el.find(self.q("odm", "Description")))

    def _int(self, el, attr: str) -> int | None:
        value = el.get(self._attr(attr))
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            self._problem("bad_value", el.get("OID"), el, f"{attr} {value!r} is not an integer")
            return None

    def _ref_text(self, kind: str, oid: str | None) -> str | None:
        """Description of the MethodDef or CommentDef ``oid``; None when absent or dangling."""
        el = self.defs[kind].get(oid) if oid else None
        return None if el is None else (self._description(el) or "")

    def _resolved(self, kind: str, oid: str | None) -> str | None:
        return oid if oid in self.defs[kind] else None

    def _nci(self, el) -> str | None:
        for alias in el.findall(self.q("odm", "Alias")):
            if alias.get("Context") == "nci:ExtCodeID":
                return alias.get("Name")
        return None

    def _ordered(self, refs: list) -> list[tuple[int, etree._Element]]:
        """ItemRefs with their order: OrderNumber when all are distinct integers, else rank."""
        numbers = [self._int(ref, "OrderNumber") for ref in refs]
        if None not in numbers and len(set(numbers)) == len(numbers):
            return sorted(zip(numbers, refs, strict=True), key=lambda pair: pair[0])
        ranked = sorted(
            range(len(refs)),
            key=lambda i: (numbers[i] is None, numbers[i] or 0, i),
        )
        return [(rank, refs[i]) for rank, i in enumerate(ranked, start=1)]

    # the model

    def document(self) -> DefineDocument:
        standards = self._standards()
        datasets = self._datasets({s.oid: s for s in standards})
        globals_ = self._child(self.study, "odm", "GlobalVariables")

        def global_text(name: str) -> str:
            el = None if globals_ is None else globals_.find(self.q("odm", name))
            return "" if el is None else (el.text or "")

        # The most frequent dataset Purpose (the first met on a tie): a define has one.
        purposes = [ds.purpose for ds in datasets]
        return DefineDocument(
            study_oid=self.study.get("OID", ""),
            study_name=global_text("StudyName"),
            study_description=global_text("StudyDescription"),
            protocol_name=global_text("ProtocolName"),
            purpose=Counter(purposes).most_common(1)[0][0] if purposes else "",
            mdv_oid=self.mdv.get("OID", ""),
            mdv_name=self.mdv.get("Name", ""),
            created=self.root.get("CreationDateTime", ""),
            standards=standards,
            datasets=datasets,
            value_lists=self._value_lists(),
            codelists=self._codelists(),
            leaves=self._leaves(),
            annotated_crf=next(iter(self._document_refs("AnnotatedCRF")), None),
            supplemental=self._document_refs("SupplementalDoc"),
            results=self._results(),
            define_version=self.mdv.get(self._attr("{def}DefineVersion"), f"{self.version}.0"),
            context=self.root.get(self._attr("{def}Context"), "Submission"),
            comment=self._ref_text("comment", self.mdv.get(self._attr("{def}CommentOID"))),
        )

    def _standards(self) -> tuple[StandardDef, ...]:
        if self.version == "2.0":
            name = self.mdv.get(self._attr("{def}StandardName"))
            version = self.mdv.get(self._attr("{def}StandardVersion"), "")
            if not name:
                return ()
            name = _STANDARD_NAMES_20.get(name, name)
            return (StandardDef(f"STD.{name}", name, "IG", version),)
        return tuple(
            StandardDef(
                oid=el.get("OID", ""),
                name=el.get("Name", ""),
                type=el.get("Type", ""),
                version=el.get("Version", ""),
                publishing_set=el.get("PublishingSet"),
                status=el.get("Status", "Final"),
            )
            for el in self.mdv.iter(self.q("def", "Standard"))
        )

    def _datasets(self, standards: dict[str, StandardDef]) -> tuple[DatasetDef, ...]:
        groups = self.mdv.findall(self.q("odm", "ItemGroupDef"))
        for ig in groups:
            for ref in ig.findall(self.q("odm", "ItemRef")):
                self.item_datasets[ref.get("ItemOID", "")].append(ig.get("Name", ""))
        return tuple(self._dataset(ig, standards) for ig in groups)

    def _dataset(self, ig, standards: dict[str, StandardDef]) -> DatasetDef:
        name = ig.get("Name", "")
        if self.version == "2.0":
            standard = next(iter(standards.values()), None)
            cls_name, subclass = ig.get(self._attr("{def}Class"), ""), ""
        else:
            standard = standards.get(ig.get(self._attr("{def}StandardOID"), ""))
            cls = self._child(ig, "def", "Class")
            cls_name = "" if cls is None else cls.get("Name", "")
            subs = [] if cls is None else cls.findall(self.q("def", "SubClass"))
            subclass = subs[0].get("Name", "") if subs else ""
        leaf = self._child(ig, "def", "leaf")
        expected = f"{name.lower()}.xpt"
        if leaf is not None and leaf.get(XLINK_HREF) != expected:
            self._problem(
                "not_kept",
                leaf.get("ID"),
                leaf,
                f"dataset file {leaf.get(XLINK_HREF)!r}; the model assumes {expected!r}",
                owner=ig.get("OID"),
            )
        variables: list[VariableDef] = []
        names: set[str] = set()
        for order, ref in self._ordered(ig.findall(self.q("odm", "ItemRef"))):
            item = self.defs["item"].get(ref.get("ItemOID", ""))
            if item is None:
                continue
            var = self._variable(item, ref, order, name)
            if var.name in names:
                self._problem(
                    "duplicate_variable",
                    ref.get("ItemOID"),
                    ref,
                    f"{name}.{var.name} listed twice; the first is kept",
                )
                continue
            names.add(var.name)
            variables.append(var)
        keyed = sorted((v.key_sequence, v.name) for v in variables if v.key_sequence is not None)
        return DatasetDef(
            name=name,
            label=self._description(ig) or "",
            purpose=ig.get("Purpose", ""),
            standard=f"{standard.name} {standard.version}" if standard else "",
            cdisc_class=cls_name,
            structure=ig.get(self._attr("{def}Structure"), ""),
            variables=tuple(variables),
            keys=tuple(n for _, n in keyed),
            subclass=subclass,
            repeating=ig.get("Repeating") == "Yes",
            reference_data=ig.get("IsReferenceData") == "Yes",
            comment=self._ref_text("comment", ig.get(self._attr("{def}CommentOID"))),
        )

    def _variable(self, item, ref, order: int, dataset: str) -> VariableDef:
        codelist_ref = self._child(item, "odm", "CodeListRef")
        vl_ref = self._child(item, "def", "ValueListRef")
        value_list = self._resolved(
            "value_list", None if vl_ref is None else vl_ref.get("ValueListOID")
        )
        if value_list:
            self.value_list_parent.setdefault(value_list, (dataset, item.get("Name", "")))
        return VariableDef(
            name=item.get("Name", ""),
            label=self._description(item) or "",
            data_type=item.get("DataType", ""),
            order=order,
            length=self._int(item, "Length"),
            mandatory=ref.get("Mandatory") == "Yes",
            role=ref.get("Role", ""),
            codelist=self._resolved(
                "codelist", None if codelist_ref is None else codelist_ref.get("CodeListOID")
            ),
            origin=self._origin(item),
            method=self._ref_text("method", ref.get("MethodOID")),
            comment=self._ref_text("comment", item.get(self._attr("{def}CommentOID"))),
            display_format=item.get(self._attr("{def}DisplayFormat")),
            significant_digits=self._int(item, "SignificantDigits"),
            key_sequence=self._int(ref, "KeySequence"),
            value_list=value_list,
        )

    def _origin(self, item) -> Origin:
        origins = item.findall(self.q("def", "Origin"))
        if not origins:
            return Origin("")
        if len(origins) > 1:
            self._problem("not_kept", item.get("OID"), origins[1], "def:Origin after the first")
        el = origins[0]
        kind, source = el.get("Type", ""), el.get("Source", "")
        if self.version == "2.0" and kind in _ORIGIN_20:
            kind, source = _ORIGIN_20[kind]
        text = self._description(el)
        if kind == "Predecessor":
            return Origin(kind, text or source)
        if text:
            self._problem(
                "not_kept", item.get("OID"), el, f"def:Origin Description {text!r} ({kind})"
            )
        return Origin(kind, source)

    def _where(self, oid: str | None, dataset: str) -> WhereClause | None:
        """The WhereClauseDef ``oid``; a RangeCheck's dataset is one holding its item,
        ``dataset`` (the value list's or analysis dataset) when it is one of them."""
        if oid in self.where_clauses:
            return self.where_clauses[oid]
        el = self.defs["where_clause"].get(oid or "")
        clause = None
        if el is not None:
            checks = []
            for rc in el.findall(self.q("odm", "RangeCheck")):
                item_oid = rc.get(self._attr("{def}ItemOID"), "")
                item = self.defs["item"].get(item_oid)
                if item is None:
                    continue
                holders = self.item_datasets.get(item_oid, [])
                on = dataset if dataset in holders or not holders else holders[0]
                values = tuple(cv.text or "" for cv in rc.findall(self.q("odm", "CheckValue")))
                checks.append(
                    RangeCheck(on, item.get("Name", ""), rc.get("Comparator", ""), values)
                )
            comment = self._ref_text("comment", el.get(self._attr("{def}CommentOID")))
            clause = WhereClause(oid or "", tuple(checks), comment)
        self.where_clauses[oid or ""] = clause
        return clause

    def _value_lists(self) -> tuple[ValueListDef, ...]:
        lists = []
        for vl in self.mdv.findall(self.q("def", "ValueListDef")):
            oid = vl.get("OID", "")
            if oid not in self.value_list_parent or self.defs["value_list"].get(oid) is not vl:
                continue  # unused or a duplicate: already a problem
            dataset, variable = self.value_list_parent[oid]
            values = []
            for order, ref in self._ordered(vl.findall(self.q("odm", "ItemRef"))):
                value = self._value(ref, order, dataset)
                if value is not None:
                    values.append(value)
            lists.append(ValueListDef(oid, dataset, variable, tuple(values)))
        return tuple(lists)

    def _value(self, ref, order: int, dataset: str) -> ValueDef | None:
        item = self.defs["item"].get(ref.get("ItemOID", ""))
        wheres = ref.findall(self.q("def", "WhereClauseRef"))
        if item is None:
            return None
        if not wheres:
            self._problem(
                "not_kept", ref.get("ItemOID"), ref, "value ItemRef without a where clause"
            )
            return None
        if len(wheres) > 1:
            self._problem(
                "not_kept", ref.get("ItemOID"), wheres[1], "where clauses after the first"
            )
        where = self._where(wheres[0].get("WhereClauseOID"), dataset)
        if where is None:
            return None
        codelist_ref = self._child(item, "odm", "CodeListRef")
        return ValueDef(
            oid=item.get("OID", ""),
            name=item.get("Name", ""),
            label=self._description(item) or "",
            data_type=item.get("DataType", ""),
            where=where,
            order=order,
            length=self._int(item, "Length"),
            significant_digits=self._int(item, "SignificantDigits"),
            display_format=item.get(self._attr("{def}DisplayFormat")),
            mandatory=ref.get("Mandatory") == "Yes",
            codelist=self._resolved(
                "codelist", None if codelist_ref is None else codelist_ref.get("CodeListOID")
            ),
            origin=self._origin(item),
            method=self._ref_text("method", ref.get("MethodOID")),
            comment=self._ref_text("comment", item.get(self._attr("{def}CommentOID"))),
        )

    def _codelists(self) -> tuple[CodeListDef, ...]:
        lists = []
        item_tags = {self.q("odm", "CodeListItem"), self.q("odm", "EnumeratedItem")}
        for cl in self.defs["codelist"].values():
            terms = tuple(
                CodeListTerm(
                    coded_value=el.get("CodedValue", ""),
                    decode=self._text(self._child(el, "odm", "Decode"))
                    if el.tag == self.q("odm", "CodeListItem")
                    else None,
                    nci_code=self._nci(el),
                    extended=el.get(self._attr("{def}ExtendedValue")) == "Yes",
                )
                for el in cl
                if el.tag in item_tags
            )
            external = self._child(cl, "odm", "ExternalCodeList")
            lists.append(
                CodeListDef(
                    oid=cl.get("OID", ""),
                    name=cl.get("Name", ""),
                    data_type=cl.get("DataType", ""),
                    terms=terms,
                    nci_code=self._nci(cl),
                    standard=self._resolved("standard", cl.get(self._attr("{def}StandardOID"))),
                    extensible=any(t.extended for t in terms),
                    external=None
                    if external is None
                    else (external.get("Dictionary", ""), external.get("Version", "")),
                    comment=self._ref_text("comment", cl.get(self._attr("{def}CommentOID"))),
                )
            )
        return tuple(lists)

    def _leaves(self) -> tuple[DocumentLeaf, ...]:
        return tuple(
            DocumentLeaf(
                el.get("ID", ""), el.get(XLINK_HREF, ""), _title(el, self.q("def", "title"))
            )
            for el in self.mdv.findall(self.q("def", "leaf"))
            if self.defs["leaf"].get(el.get("ID", "")) is el
        )

    def _document_refs(self, name: str) -> tuple[str, ...]:
        holder = self._child(self.mdv, "def", name)
        if holder is None:
            return ()
        refs = (el.get("leafID") for el in holder.findall(self.q("def", "DocumentRef")))
        return tuple(oid for oid in refs if oid in self.defs["leaf"])

    def _results(self) -> tuple[ResultDisplay, ...]:
        displays = []
        for rd in self.mdv.iter(self.q("arm", "ResultDisplay")):
            results = tuple(self._result(ar) for ar in rd.findall(self.q("arm", "AnalysisResult")))
            displays.append(
                ResultDisplay(
                    rd.get("OID", ""), rd.get("Name", ""), self._description(rd) or "", results
                )
            )
        return tuple(displays)

    def _result(self, ar) -> AnalysisResult:
        datasets = ar.findall(
            f"{self.q('arm', 'AnalysisDatasets')}/{self.q('arm', 'AnalysisDataset')}"
        )
        for extra in datasets[1:]:
            self._problem(
                "not_kept",
                extra.get("ItemGroupOID"),
                extra,
                "analysis dataset after the first",
                owner=ar.get("OID"),
            )
        dataset, where, variables = "", None, ()
        if datasets:
            ig = self.defs["item_group"].get(datasets[0].get("ItemGroupOID", ""))
            dataset = "" if ig is None else ig.get("Name", "")
            where_ref = self._child(datasets[0], "def", "WhereClauseRef")
            if where_ref is not None:
                where = self._where(where_ref.get("WhereClauseOID"), dataset)
            variables = tuple(
                self._item_name(el.get("ItemOID"))
                for el in datasets[0].findall(self.q("arm", "AnalysisVariable"))
                if el.get("ItemOID") in self.defs["item"]
            )
        documentation = self._child(ar, "arm", "Documentation")
        code = self._child(ar, "arm", "ProgrammingCode")
        parameter = ar.get("ParameterOID")
        return AnalysisResult(
            oid=ar.get("OID", ""),
            description=self._description(ar) or "",
            reason=ar.get("AnalysisReason", ""),
            purpose=ar.get("AnalysisPurpose", ""),
            dataset=dataset,
            where=where,
            variables=variables,
            parameter=self._item_name(parameter) if parameter in self.defs["item"] else None,
            documentation=None if documentation is None else self._description(documentation),
            code_context=None if code is None else code.get("Context"),
            code=None if code is None else code.findtext(self.q("arm", "Code")),
        )

    def _item_name(self, oid: str | None) -> str:
        return self.defs["item"][oid or ""].get("Name", "")


def _owner(el) -> str | None:
    """OID (or ID) of ``el`` or its nearest ancestor that has one."""
    while el is not None:
        oid = el.get("OID") or el.get("ID")
        if oid:
            return oid
        el = el.getparent()
    return None


def _title(leaf, tag: str) -> str:
    title = leaf.find(tag)
    return "" if title is None else (title.text or "")
