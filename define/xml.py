"""Define-XML 2.1 (ODM 1.3.2) from a :class:`~cdisc.metadata.DefineDocument`, and its XSD check.

The writer puts into the XML exactly what the model holds, in the element order the official
schema enforces (``define2-1-0.xsd``; ARM 1.0 ``arm1-0-0.xsd`` when the document has analysis
results). OIDs follow the project convention shared with the reader, define.html and the rules:

=====================  ====================================================================
ItemGroupDef           ``IG.<dataset>`` (``DatasetDef.oid``), its file leaf ``LF.<dataset>``
ItemDef                ``IT.<dataset>.<variable>``; value level: ``ValueDef.oid``
MethodDef              ``MT.<dataset>.<variable>``; value level: ``MT.`` + ``ValueDef.oid[3:]``
def:CommentDef         ``COM.<dataset>``, ``COM.<dataset>.<variable>``, ``COM.`` +
                       ``ValueDef.oid[3:]``, ``COM.`` + codelist / where-clause / MDV OID
=====================  ====================================================================

Choices where the model does not say everything a submission define may carry:

* every method text gets its own MethodDef (identical texts are not merged), so a MethodOID
  always names the variable or value it belongs to; a method is referenced whenever the model
  gives one, whatever the origin;
* MethodDef ``Type`` is ``Imputation`` when the text speaks of imputing (a word starting with
  ``imput``, any case: "imputed", "imputation"), else ``Computation``; its ``Name`` is
  ``Algorithm to derive <dataset>.<variable>`` (or the value's OID without ``IT.``);
* ``Domain`` is written for Tabulation datasets only: the parent domain for ``SUPP--``
  (``SUPPDM`` -> ``DM``, as the CDISC examples do), none for ``RELREC`` and ``POOLDEF``,
  otherwise the dataset name; a ``SUPP--`` dataset's ``Alias Context="DomainDescription"`` is
  the parent dataset's label when the parent is in the same document, and absent otherwise;
* a codelist in which some terms have a decode is written as ``CodeListItem``s, and a term
  without a decode then gets its coded value as its decode (the schema requires one);
* no ``def:DocumentRef``/``def:PDFPageRef`` is written on collected origins: the model holds
  no aCRF page numbers;
* ``FileOID`` is ``<study_oid>.<mdv_oid>``; a document comment is ``COM.<mdv_oid>``.

References (CodeListOID, ValueListOID, leafID, ItemOID) are written as the model gives them,
even when they point nowhere: finding those is :func:`define.rules.check_define`'s job. What the
writer cannot write faithfully is refused with one :class:`~cdisc.errors.SpecError` listing every
problem: an OID used twice, one where-clause OID with two different contents, a dataset whose
``standard`` names no IG standard of the document, and a codelist with both terms and an
external dictionary, or with neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from lxml import etree

from cdisc.errors import InputError, SpecError, UsageError
from cdisc.metadata import (
    AnalysisResult,
    CodeListDef,
    DatasetDef,
    DefineDocument,
    Origin,
    ResultDisplay,
    ValueDef,
    ValueListDef,
    WhereClause,
)
from cdisc.writers.files import atomic
from define.safexml import parse_define

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
ARM_NS = "http://www.cdisc.org/ns/arm/v1.0"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: The stylesheet processing instruction; the XSL has to sit beside define.xml to be used.
STYLESHEET = 'type="text/xsl" href="define2-1.xsl"'
ORIGINATOR = "cdisc toolkit"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: Define-XML DataTypes that carry ``Length`` (spec 2.1 §5.3.12: text, integer, float only).
_LENGTH_TYPES = frozenset({"text", "integer", "float"})
#: SDTM datasets that describe more than one domain and so have no ``Domain`` (spec §5.3.11).
_NO_DOMAIN = frozenset({"RELREC", "POOLDEF"})
_IMPUTATION = re.compile(r"\bimput", re.IGNORECASE)

# Schema files, relative to the folder that holds the CDISC package layout.
_DEFINE_XSD = Path("cdisc-define-2.1") / "define2-1-0.xsd"
_ARM_XSD = Path("cdisc-arm-1.0") / "arm1-0-0.xsd"


def _odm(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _def(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _arm(tag: str) -> str:
    return f"{{{ARM_NS}}}{tag}"


def _add(parent: etree._Element, tag: str, **attributes: str | int | None) -> etree._Element:
    """A child ``tag`` of ``parent`` with the attributes that are not None, in the given order;
    a ``def_`` or ``xlink_`` keyword prefix puts the attribute in that namespace."""
    child = etree.SubElement(parent, tag)
    for key, value in attributes.items():
        if value is None:
            continue
        if key.startswith("def_"):
            key = _def(key[4:])
        elif key.startswith("xlink_"):
            key = f"{{{XLINK_NS}}}{key[6:]}"
        child.set(key, str(value))
    return child


def _text(parent: etree._Element, tag: str, text: str, **attributes: str | None) -> None:
    """``<tag><TranslatedText xml:lang="en">text</TranslatedText></tag>`` under ``parent``."""
    holder = _add(parent, tag, **attributes)
    translated = etree.SubElement(holder, _odm("TranslatedText"))
    translated.set(_XML_LANG, "en")
    translated.text = text


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _comment_oid(text: str | None, oid: str) -> str | None:
    return f"COM.{oid}" if text else None


def _method_type(text: str) -> str:
    return "Imputation" if _IMPUTATION.search(text) else "Computation"


def _domain(dataset: DatasetDef) -> str | None:
    if dataset.purpose != "Tabulation" or dataset.name in _NO_DOMAIN:
        return None
    if dataset.name.startswith("SUPP") and len(dataset.name) > 4:
        return dataset.name[4:]
    return dataset.name


def _class_name(cdisc_class: str) -> str:
    """def:Class/@Name from the model's spelling: ``Special-Purpose`` -> ``SPECIAL PURPOSE``."""
    return cdisc_class.upper().replace("-", " ")


def _ig_standards(doc: DefineDocument) -> dict[str, str]:
    """``"<Name> <Version>"`` of each IG standard -> its OID."""
    return {f"{s.name} {s.version}": s.oid for s in doc.standards if s.type == "IG"}


def _where_clauses(doc: DefineDocument) -> tuple[list[WhereClause], list[str]]:
    """Every where clause the document uses (value lists first, then ARM results), each once in
    order of first use, and the problems found (one OID with two different contents)."""
    seen: dict[str, WhereClause] = {}
    problems: list[str] = []
    used = [value.where for vl in doc.value_lists for value in vl.values]
    used += [r.where for d in doc.results for r in d.results if r.where is not None]
    for clause in used:
        known = seen.setdefault(clause.oid, clause)
        if known != clause:
            problems.append(f"where clause {clause.oid} is defined twice with different checks")
    return list(seen.values()), problems


def _model_problems(doc: DefineDocument) -> list[str]:
    """What the writer cannot write faithfully (see the module docstring)."""
    problems: list[str] = []
    standards = _ig_standards(doc)
    for dataset in doc.datasets:
        if dataset.standard and dataset.standard not in standards:
            known = ", ".join(sorted(standards)) or "none"
            problems.append(
                f"dataset {dataset.name}: standard {dataset.standard!r} is not an IG standard "
                f"of the document (IG standards: {known})"
            )
    for codelist in doc.codelists:
        if codelist.external is not None and codelist.terms:
            problems.append(f"codelist {codelist.oid} has both terms and an external dictionary")
        if codelist.external is None and not codelist.terms:
            problems.append(f"codelist {codelist.oid} has neither terms nor an external dictionary")
    problems += _where_clauses(doc)[1]
    return problems


def _duplicate_ids(root: etree._Element) -> list[str]:
    """Every OID or ID attribute value that occurs on more than one element of the output."""
    owners: dict[str, list[str]] = {}
    for element in root.iter(etree.Element):
        for attribute in ("OID", "ID"):
            value = element.get(attribute)
            if value is not None:
                owners.setdefault(value, []).append(etree.QName(element).localname)
    return [
        f"OID {oid} is used by {len(kinds)} elements ({', '.join(kinds)})"
        for oid, kinds in owners.items()
        if len(kinds) > 1
    ]


#: A SAS V5 variable name: SASFieldName is written only for one (a value-level item may be
#: named beyond it, e.g. VSSTRESC1 in a third-party define).
_SAS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,7}")


def _origin(parent: etree._Element, origin: Origin) -> None:
    # A predecessor is described in words ("DM.AGE"), not through @Source (spec §4.3.2).
    # No type (a third-party define that gives none, read back): no def:Origin at all.
    if not origin.type:
        return
    if origin.type == "Predecessor":
        element = _add(parent, _def("Origin"), Type=origin.type)
        if origin.source:
            _text(element, _odm("Description"), origin.source)
    else:
        _add(parent, _def("Origin"), Type=origin.type, Source=origin.source or None)


def _item_def(
    parent: etree._Element,
    *,
    oid: str,
    name: str,
    label: str,
    data_type: str,
    length: int | None,
    significant_digits: int | None,
    display_format: str | None,
    comment_oid: str | None,
    codelist: str | None,
    origin: Origin,
    value_list: str | None = None,
) -> None:
    item = _add(
        parent,
        _odm("ItemDef"),
        OID=oid,
        Name=name,
        DataType=data_type,
        Length=length if data_type in _LENGTH_TYPES else None,
        SignificantDigits=significant_digits if data_type == "float" else None,
        SASFieldName=name if _SAS_NAME.fullmatch(name) else None,
        def_DisplayFormat=display_format,
        def_CommentOID=comment_oid,
    )
    # XSD order: Description, CodeListRef, Alias, def:Origin, def:ValueListRef.
    if label:
        _text(item, _odm("Description"), label)
    if codelist:
        _add(item, _odm("CodeListRef"), CodeListOID=codelist)
    _origin(item, origin)
    if value_list:
        _add(item, _def("ValueListRef"), ValueListOID=value_list)


def _value_oid(value: ValueDef) -> str:
    """The value's OID without its ``IT.`` prefix, the stem of its MethodDef and CommentDef."""
    return value.oid[3:] if value.oid.startswith("IT.") else value.oid


def _value_list(parent: etree._Element, value_list: ValueListDef) -> None:
    element = _add(parent, _def("ValueListDef"), OID=value_list.oid)
    for value in sorted(value_list.values, key=lambda v: v.order):
        ref = _add(
            element,
            _odm("ItemRef"),
            ItemOID=value.oid,
            OrderNumber=value.order,
            Mandatory=_yes(value.mandatory),
            MethodOID=f"MT.{_value_oid(value)}" if value.method else None,
        )
        _add(ref, _def("WhereClauseRef"), WhereClauseOID=value.where.oid)


def _where_clause(parent: etree._Element, clause: WhereClause) -> None:
    element = _add(
        parent,
        _def("WhereClauseDef"),
        OID=clause.oid,
        def_CommentOID=_comment_oid(clause.comment, clause.oid),
    )
    for check in clause.checks:
        range_check = _add(
            element,
            _odm("RangeCheck"),
            Comparator=check.comparator,
            # Required by ODM, meaningless in Define-XML (spec §5.3.10.1).
            SoftHard="Soft",
            def_ItemOID=f"IT.{check.dataset}.{check.variable}",
        )
        for value in check.values:
            etree.SubElement(range_check, _odm("CheckValue")).text = value


def _item_group(
    parent: etree._Element, dataset: DatasetDef, doc: DefineDocument, standards: dict[str, str]
) -> None:
    tabulation = dataset.purpose == "Tabulation"
    leaf_id = f"LF.{dataset.name}"
    group = _add(
        parent,
        _odm("ItemGroupDef"),
        OID=dataset.oid,
        Domain=_domain(dataset),
        Name=dataset.name,
        Repeating=_yes(dataset.repeating),
        IsReferenceData=_yes(dataset.reference_data),
        SASDatasetName=dataset.name,
        def_Structure=dataset.structure,
        Purpose=dataset.purpose,
        def_StandardOID=standards.get(dataset.standard),
        def_IsNonStandard=None if dataset.standard else "Yes",
        def_CommentOID=_comment_oid(dataset.comment, dataset.name),
        def_ArchiveLocationID=leaf_id,
    )
    if dataset.label:
        _text(group, _odm("Description"), dataset.label)
    for variable in sorted(dataset.variables, key=lambda v: v.order):
        _add(
            group,
            _odm("ItemRef"),
            ItemOID=dataset.item_oid(variable.name),
            OrderNumber=variable.order,
            Mandatory=_yes(variable.mandatory),
            KeySequence=variable.key_sequence,
            MethodOID=f"MT.{dataset.name}.{variable.name}" if variable.method else None,
            Role=variable.role if tabulation and variable.role else None,
        )
    parent_domain = _domain(dataset)
    if tabulation and parent_domain and parent_domain != dataset.name:
        parent_label = next((d.label for d in doc.datasets if d.name == parent_domain), "")
        if parent_label:
            _add(group, _odm("Alias"), Context="DomainDescription", Name=parent_label)
    if dataset.cdisc_class:
        klass = _add(group, _def("Class"), Name=_class_name(dataset.cdisc_class))
        if dataset.subclass:
            _add(klass, _def("SubClass"), Name=dataset.subclass)
    _leaf(group, leaf_id, f"{dataset.name.lower()}.xpt", f"{dataset.name.lower()}.xpt")


def _leaf(parent: etree._Element, leaf_id: str, href: str, title: str) -> None:
    leaf = _add(parent, _def("leaf"), ID=leaf_id, xlink_href=href)
    etree.SubElement(leaf, _def("title")).text = title


def _codelist(parent: etree._Element, codelist: CodeListDef) -> None:
    element = _add(
        parent,
        _odm("CodeList"),
        OID=codelist.oid,
        Name=codelist.name,
        DataType=codelist.data_type,
        def_StandardOID=codelist.standard,
        # A sponsor list is non-standard; an external dictionary needs neither (spec §4.4).
        def_IsNonStandard="Yes" if not codelist.standard and codelist.external is None else None,
        def_CommentOID=_comment_oid(codelist.comment, codelist.oid),
    )
    decoded = any(term.decode is not None for term in codelist.terms)
    for term in codelist.terms:
        item = _add(
            element,
            _odm("CodeListItem" if decoded else "EnumeratedItem"),
            CodedValue=term.coded_value,
            def_ExtendedValue="Yes" if term.extended else None,
        )
        if decoded:
            decode = term.decode if term.decode is not None else term.coded_value
            _text(item, _odm("Decode"), decode)
        if term.nci_code:
            _add(item, _odm("Alias"), Context="nci:ExtCodeID", Name=term.nci_code)
    if codelist.external is not None:
        dictionary, version = codelist.external
        _add(element, _odm("ExternalCodeList"), Dictionary=dictionary, Version=version)
    if codelist.nci_code:
        _add(element, _odm("Alias"), Context="nci:ExtCodeID", Name=codelist.nci_code)


def _methods(doc: DefineDocument) -> Iterable[tuple[str, str, str]]:
    """(OID, name, text) of every method: variables in dataset order, then values."""
    for dataset in doc.datasets:
        for variable in sorted(dataset.variables, key=lambda v: v.order):
            if variable.method:
                stem = f"{dataset.name}.{variable.name}"
                yield f"MT.{stem}", f"Algorithm to derive {stem}", variable.method
    for value_list in doc.value_lists:
        for value in sorted(value_list.values, key=lambda v: v.order):
            if value.method:
                stem = _value_oid(value)
                yield f"MT.{stem}", f"Algorithm to derive {stem}", value.method


def _comments(doc: DefineDocument, clauses: list[WhereClause]) -> Iterable[tuple[str, str]]:
    """(OID, text) of every comment, in the order the commented objects are written."""
    if doc.comment:
        yield f"COM.{doc.mdv_oid}", doc.comment
    for value_list in doc.value_lists:
        for value in sorted(value_list.values, key=lambda v: v.order):
            if value.comment:
                yield f"COM.{_value_oid(value)}", value.comment
    for clause in clauses:
        if clause.comment:
            yield f"COM.{clause.oid}", clause.comment
    for dataset in doc.datasets:
        if dataset.comment:
            yield f"COM.{dataset.name}", dataset.comment
        for variable in sorted(dataset.variables, key=lambda v: v.order):
            if variable.comment:
                yield f"COM.{dataset.name}.{variable.name}", variable.comment
    for codelist in doc.codelists:
        if codelist.comment:
            yield f"COM.{codelist.oid}", codelist.comment


def _analysis_result(parent: etree._Element, result: AnalysisResult) -> None:
    element = _add(
        parent,
        _arm("AnalysisResult"),
        OID=result.oid,
        ParameterOID=f"IT.{result.dataset}.{result.parameter}" if result.parameter else None,
        AnalysisReason=result.reason,
        AnalysisPurpose=result.purpose,
    )
    _text(element, _odm("Description"), result.description)
    datasets = _add(element, _arm("AnalysisDatasets"))
    dataset = _add(datasets, _arm("AnalysisDataset"), ItemGroupOID=f"IG.{result.dataset}")
    if result.where is not None:
        _add(dataset, _def("WhereClauseRef"), WhereClauseOID=result.where.oid)
    for variable in result.variables:
        _add(dataset, _arm("AnalysisVariable"), ItemOID=f"IT.{result.dataset}.{variable}")
    if result.documentation:
        documentation = _add(element, _arm("Documentation"))
        _text(documentation, _odm("Description"), result.documentation)
    if result.code or result.code_context:
        code = _add(element, _arm("ProgrammingCode"), Context=result.code_context or None)
        if result.code:
            etree.SubElement(code, _arm("Code")).text = result.code


def _result_display(parent: etree._Element, display: ResultDisplay) -> None:
    element = _add(parent, _arm("ResultDisplay"), OID=display.oid, Name=display.name)
    _text(element, _odm("Description"), display.description)
    for result in display.results:
        _analysis_result(element, result)


def _metadata_version(study: etree._Element, doc: DefineDocument) -> None:
    clauses, _ = _where_clauses(doc)
    mdv = _add(
        study,
        _odm("MetaDataVersion"),
        OID=doc.mdv_oid,
        Name=doc.mdv_name,
        # This writer writes 2.1; a 2.0 define read in is written as 2.1.0.
        def_DefineVersion=doc.define_version if doc.define_version.startswith("2.1.") else "2.1.0",
        def_CommentOID=_comment_oid(doc.comment, doc.mdv_oid),
    )
    standards = _add(mdv, _def("Standards"))
    for standard in doc.standards:
        _add(
            standards,
            _def("Standard"),
            OID=standard.oid,
            Name=standard.name,
            Type=standard.type,
            PublishingSet=standard.publishing_set,
            Version=standard.version,
            Status=standard.status,
        )
    if doc.annotated_crf:
        _add(_add(mdv, _def("AnnotatedCRF")), _def("DocumentRef"), leafID=doc.annotated_crf)
    if doc.supplemental:
        supplemental = _add(mdv, _def("SupplementalDoc"))
        for leaf_id in doc.supplemental:
            _add(supplemental, _def("DocumentRef"), leafID=leaf_id)
    for value_list in doc.value_lists:
        _value_list(mdv, value_list)
    for clause in clauses:
        _where_clause(mdv, clause)
    ig_standards = _ig_standards(doc)
    for dataset in doc.datasets:
        _item_group(mdv, dataset, doc, ig_standards)
    for dataset in doc.datasets:
        for variable in sorted(dataset.variables, key=lambda v: v.order):
            _item_def(
                mdv,
                oid=dataset.item_oid(variable.name),
                name=variable.name,
                label=variable.label,
                data_type=variable.data_type,
                length=variable.length,
                significant_digits=variable.significant_digits,
                display_format=variable.display_format,
                comment_oid=_comment_oid(variable.comment, f"{dataset.name}.{variable.name}"),
                codelist=variable.codelist,
                origin=variable.origin,
                value_list=variable.value_list,
            )
    for value_list in doc.value_lists:
        for value in sorted(value_list.values, key=lambda v: v.order):
            _item_def(
                mdv,
                oid=value.oid,
                name=value.name,
                label=value.label,
                data_type=value.data_type,
                length=value.length,
                significant_digits=value.significant_digits,
                display_format=value.display_format,
                comment_oid=_comment_oid(value.comment, _value_oid(value)),
                codelist=value.codelist,
                origin=value.origin,
            )
    for codelist in doc.codelists:
        _codelist(mdv, codelist)
    for oid, name, text in _methods(doc):
        method = _add(mdv, _odm("MethodDef"), OID=oid, Name=name, Type=_method_type(text))
        _text(method, _odm("Description"), text)
    for oid, text in _comments(doc, clauses):
        _text(_add(mdv, _def("CommentDef"), OID=oid), _odm("Description"), text)
    for leaf in doc.leaves:
        _leaf(mdv, leaf.oid, leaf.href, leaf.title)
    if doc.results:
        displays = _add(mdv, _arm("AnalysisResultDisplays"))
        for display in doc.results:
            _result_display(displays, display)


def define_xml(doc: DefineDocument) -> bytes:
    """The define.xml (Define-XML 2.1, ODM 1.3.2) of ``doc``, as pretty-printed UTF-8 bytes.

    Adds the ODM root (``ODMVersion`` 1.3.2, ``FileType`` Snapshot, ``CreationDateTime`` =
    ``doc.created``, ``def:Context`` = ``doc.context``, ``Originator`` "cdisc toolkit"), the
    ``define2-1.xsl`` stylesheet instruction, and every standard, document, value list, where
    clause, dataset, variable, codelist, method, comment and (when ``doc.results`` is not
    empty) ARM 1.0 result display of the model, in schema order. Identical documents give
    identical bytes: nothing depends on the clock.

    Raises SpecError listing every problem when the document cannot be written faithfully
    (duplicate OIDs, a where-clause OID with two contents, an unknown IG standard, a codelist
    that is both or neither enumerated and external).

    >>> from tests.define.sample import tabulation  # doctest: +SKIP
    >>> define_xml(tabulation()).splitlines()[1]  # doctest: +SKIP
    b'<?xml-stylesheet type="text/xsl" href="define2-1.xsl"?>'
    """
    problems = _model_problems(doc)
    nsmap = {None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}
    if doc.results:
        nsmap["arm"] = ARM_NS
    root = etree.Element(_odm("ODM"), nsmap=nsmap)
    for key, value in (
        ("FileOID", f"{doc.study_oid}.{doc.mdv_oid}"),
        ("ODMVersion", "1.3.2"),
        ("FileType", "Snapshot"),
        ("CreationDateTime", doc.created),
        ("Originator", ORIGINATOR),
        (_def("Context"), doc.context),
    ):
        root.set(key, value)
    study = _add(root, _odm("Study"), OID=doc.study_oid)
    global_variables = _add(study, _odm("GlobalVariables"))
    for tag, text in (
        ("StudyName", doc.study_name),
        ("StudyDescription", doc.study_description),
        ("ProtocolName", doc.protocol_name),
    ):
        etree.SubElement(global_variables, _odm(tag)).text = text
    if not problems:
        _metadata_version(study, doc)
        problems = _duplicate_ids(root)
    if problems:
        raise SpecError(
            f"define {doc.mdv_oid} cannot be written: " + "; ".join(problems),
            location=f"MetaDataVersion {doc.mdv_oid}",
            hint="fix the metadata the define is built from (each OID once, every dataset's "
            "standard among the document's IG standards)",
        )
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet", STYLESHEET))
    # The declaration by hand: lxml's own uses single quotes, unlike every CDISC example.
    body = etree.tostring(root.getroottree(), encoding="UTF-8", pretty_print=True)
    return _DECLARATION + body


def write_define(doc: DefineDocument, folder: Path, name: str = "define.xml") -> Path:
    """Write :func:`define_xml` of ``doc`` to ``folder``/``name`` atomically; return the path.

    ``name`` is a bare file name ending in ``.xml``; the folder is created when missing. A
    failed write leaves no partial file. Raises UsageError for a bad name or a folder that is
    a file, SpecError as :func:`define_xml`.

    >>> write_define(tabulation(), Path("out/sdtm"))  # doctest: +SKIP
    PosixPath('out/sdtm/define.xml')
    """
    if Path(name).name != name or not name.lower().endswith(".xml"):
        raise UsageError(
            f"define file name {name!r} is not a bare file name ending in .xml",
            hint="pass the folder separately, e.g. name='define.xml'",
        )
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            "the define's output folder is a file",
            path=folder,
            hint="pass the folder that holds the datasets",
        )
    content = define_xml(doc)
    target = folder / name
    with atomic(target) as temporary:
        temporary.write_bytes(content)
    return target


@lru_cache(maxsize=4)
def _schema(xsd: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd)))


def schema_problems(xml: bytes | Path, schema_dir: Path) -> list[str]:
    """Every XSD error of a define, each as ``line <n>: <message>``; empty when valid.

    ``schema_dir`` is the folder holding the CDISC schema package layout
    (``cdisc-define-2.1/define2-1-0.xsd``, ``cdisc-arm-1.0/arm1-0-0.xsd`` and their
    neighbours). A define with ``arm:`` elements is checked against ``arm1-0-0.xsd``, any other
    against ``define2-1-0.xsd``. The XML is parsed without DTDs, entities or network access.
    Raises InputError when ``xml`` is not well-formed XML (or cannot be read) and UsageError
    when the schema files are missing.

    >>> schema_problems(define_xml(doc), Path("../shared/standards/xsd"))  # doctest: +SKIP
    []
    """
    if not isinstance(xml, bytes | Path):
        raise UsageError(
            f"schema_problems takes the define as bytes or a Path, not {type(xml).__name__}",
            hint="wrap a file name in pathlib.Path",
        )
    tree = parse_define(xml)
    has_arm = any(etree.QName(element).namespace == ARM_NS for element in tree.iter(etree.Element))
    xsd = Path(schema_dir) / (_ARM_XSD if has_arm else _DEFINE_XSD)
    if not xsd.is_file():
        raise UsageError(
            "schema file not found",
            path=xsd,
            hint="pass the folder that holds cdisc-define-2.1/ and cdisc-arm-1.0/",
        )
    schema = _schema(xsd.resolve())
    try:
        valid = schema.validate(tree)
    except etree.XMLSchemaValidateError as error:
        raise InputError(
            f"the schema validator gave up on the define: {error}",
            path=xml if isinstance(xml, Path) else None,
            hint="check that the file is a define.xml",
        ) from error
    if valid:
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
