"""ODM 1.3.x MetaDataVersion: the definitions the ClinicalData reader names and decodes with.

Only what a raw reader needs is kept: study events, forms and their item groups, item
definitions (name, datatype, question text, codelist) and codelists, plus ``Include``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
_N = "{" + ODM_NS + "}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: ODM DataType -> the FieldInfo datatypes of base.py (anything else is "text").
DATATYPES = {
    "integer": "integer",
    "float": "float",
    "double": "float",
    "hexFloat": "float",
    "base64Float": "float",
    "date": "date",
    "partialDate": "date",
    "incompleteDate": "date",
    "time": "time",
    "partialTime": "time",
    "incompleteTime": "time",
    "datetime": "datetime",
    "partialDatetime": "datetime",
    "incompleteDatetime": "datetime",
    "boolean": "boolean",
}


def translated(element) -> str:
    """Text of an element's TranslatedText, English when several languages are given."""
    if element is None:
        return ""
    texts = element.findall(_N + "TranslatedText")
    for text in texts:
        if (text.get(_XML_LANG) or "").lower().startswith("en"):
            return text.text or ""
    return (texts[0].text or "") if texts else ""


@dataclass
class ItemDef:
    """An ItemDef: column name, FieldInfo datatype, question text and CodeListOID."""

    name: str
    datatype: str
    label: str
    codelist: str | None


@dataclass
class MetaDataVersion:
    """One MetaDataVersion: the parts the reader uses, in document order."""

    study: str
    oid: str
    include: tuple[str, str] | None = None
    events: dict[str, str] = field(default_factory=dict)
    forms: dict[str, tuple[str | None, list[str]]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    items: dict[str, ItemDef] = field(default_factory=dict)
    codelists: dict[str, dict[str, str]] = field(default_factory=dict)
    _names: dict[str, str] | None = field(default=None, repr=False)

    def merged_over(self, base: MetaDataVersion) -> MetaDataVersion:
        """This version's definitions on top of an included (earlier) version's."""
        return MetaDataVersion(
            study=self.study,
            oid=self.oid,
            events={**base.events, **self.events},
            forms={**base.forms, **self.forms},
            groups={**base.groups, **self.groups},
            items={**base.items, **self.items},
            codelists={**base.codelists, **self.codelists},
        )

    def form_names(self) -> dict[str, str]:
        """FormOID -> frame name: the FormDef Name, or the OID when unnamed or not unique."""
        if self._names is not None:
            return self._names
        counts: dict[str, int] = {}
        for name, _ in self.forms.values():
            if name:
                counts[name] = counts.get(name, 0) + 1
        self._names = {
            oid: name if name and counts[name] == 1 else oid
            for oid, (name, _) in self.forms.items()
        }
        return self._names


def parse_metadata_version(element) -> MetaDataVersion:
    """Read a parsed ``<MetaDataVersion>`` element (vendor extensions ignored).

    >>> meta = parse_metadata_version(etree.fromstring(xml))  # doctest: +SKIP
    >>> meta.form_names()  # doctest: +SKIP
    {'F_DM': 'Demographics'}
    """
    study = element.getparent()
    meta = MetaDataVersion(
        study=study.get("OID", "") if study is not None else "", oid=element.get("OID", "")
    )
    for child in element:
        tag = child.tag
        if tag == _N + "Include":
            meta.include = (child.get("StudyOID", ""), child.get("MetaDataVersionOID", ""))
        elif tag == _N + "StudyEventDef":
            meta.events[child.get("OID", "")] = child.get("Name") or child.get("OID", "")
        elif tag == _N + "FormDef":
            refs = [ref.get("ItemGroupOID", "") for ref in child.iterchildren(_N + "ItemGroupRef")]
            meta.forms[child.get("OID", "")] = (child.get("Name") or None, refs)
        elif tag == _N + "ItemGroupDef":
            meta.groups[child.get("OID", "")] = [
                ref.get("ItemOID", "") for ref in child.iterchildren(_N + "ItemRef")
            ]
        elif tag == _N + "ItemDef":
            ref = child.find(_N + "CodeListRef")
            meta.items[child.get("OID", "")] = ItemDef(
                name=child.get("Name") or child.get("OID", ""),
                datatype=DATATYPES.get(child.get("DataType", ""), "text"),
                label=translated(child.find(_N + "Question")),
                codelist=ref.get("CodeListOID") if ref is not None else None,
            )
        elif tag == _N + "CodeList":
            codes: dict[str, str] = {}
            for entry in child:
                if entry.tag == _N + "CodeListItem":
                    codes[entry.get("CodedValue", "")] = translated(entry.find(_N + "Decode"))
                elif entry.tag == _N + "EnumeratedItem":
                    # An enumerated item is its own decode.
                    codes[entry.get("CodedValue", "")] = entry.get("CodedValue", "")
            meta.codelists[child.get("OID", "")] = codes
    return meta
