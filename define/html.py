"""define.html: a reviewer's page for a define, rendered by the toolkit from the metadata model.

One self-contained HTML5 file (inline CSS, no script, no external stylesheet or font), so it
opens from a submission folder on any machine: a table of contents, then standards, documents,
datasets with their variables, value-level metadata, codelists, methods, comments and, for an
analysis define, the ARM result displays.

Ids are derived from OIDs with a prefix per kind (``var-IT.DM.AGE``, ``cl-CL.SEX``), so objects
of different kinds that share an OID in a third-party define still get distinct ids. Method and
comment OIDs follow the writer's convention (``MT.<dataset>.<variable>``, ``COM.<dataset>``...).
A reference to an OID the document does not define is shown as text marked "not defined", never
as a broken link: reporting it is the rules' job, not the page's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote, urlsplit

from cdisc.errors import UsageError
from cdisc.metadata import (
    CodeListTerm,
    DatasetDef,
    DefineDocument,
    Origin,
    StandardDef,
    ValueDef,
    ValueListDef,
    VariableDef,
    WhereClause,
)
from cdisc.writers.files import atomic

__all__ = ["anchor", "define_html", "where_text", "write_define_html"]

#: How each def:RangeCheck comparator reads in words.
_COMPARATOR_WORDS = {"EQ": "=", "NE": "≠", "LT": "<", "LE": "≤", "GT": ">", "GE": "≥"}
_COMPARATOR_WORDS |= {"IN": "in", "NOTIN": "not in"}

# Only these characters pass into an id unchanged; any other (including '_', the escape
# character itself) becomes _<hex>_, so distinct OIDs always give distinct ids.
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.\-]")

# Document links may be relative paths or web addresses; any other scheme (javascript:, data:)
# in a third-party define is shown as text, never made clickable.
_SAFE_SCHEMES = ("", "http", "https")

#: Section ids, in page order (the analysis results exist only for an analysis define).
_SECTIONS = {
    "sec-standards": "Standards",
    "sec-documents": "Documents",
    "sec-datasets": "Datasets",
    "sec-vlm": "Value-level metadata",
    "sec-codelists": "Codelists",
    "sec-methods": "Methods",
    "sec-comments": "Comments",
    "sec-results": "Analysis results",
}

#: Columns shared by the variable and the value-level tables, in order.
_ITEM_COLUMNS = (
    "Name", "Label", "Type", "Length / digits", "Display format", "Controlled terms", "Origin",
    "Method", "Comment",
)  # fmt: skip

_TOP = '<p class="top"><a href="#toc">Back to contents</a></p>'

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 2rem 3rem;
color:#1b1f24;font-size:14px;line-height:1.4}
h1{font-size:1.6rem;margin:1.2rem 0 .3rem}h2{font-size:1.3rem;margin:2rem 0 .5rem;
border-bottom:2px solid #2f5f8a;padding-bottom:.2rem}h3{font-size:1.1rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}
th,td{border:1px solid #c6ccd2;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#e8eef4}tbody tr:nth-child(even){background:#f6f8fa}
:target{background:#fff3b0}table.facts{width:auto}table.facts th{width:11rem}
a{color:#1d5d99}.missing{color:#a40000}nav ol{margin:.2rem 0}
.oid{color:#57606a;font-size:.85em;font-weight:normal}
pre{background:#f6f8fa;padding:.4rem;white-space:pre-wrap;margin:0}.top{font-size:.85em}
"""


def define_html(doc: DefineDocument) -> str:
    """The define.html page of ``doc`` as text (HTML5, no script, inline CSS).

    What it adds: a table of contents; per dataset its label, class/subclass, structure, keys,
    purpose, a link to ``<name lower>.xpt`` and its variables; value-level metadata with the
    where clauses in words (``VSTESTCD = "ABI"``); codelists with NCI codes, extended values and
    external dictionaries; methods and comments linked both ways; ARM displays for analysis.
    Every ``href="#..."`` has its id on the page; the same document always gives the same text.

    >>> page = define_html(doc)  # doctest: +SKIP
    >>> '<a href="dm.xpt">dm.xpt</a>' in page, 'href="#cl-CL.SEX"' in page  # doctest: +SKIP
    (True, True)
    """
    if not isinstance(doc, DefineDocument):
        raise UsageError(
            f"define_html needs a DefineDocument, not {type(doc).__name__}",
            hint="build one with cdisc.metadata.DefineDocument or define.reader.read_define",
        )
    return _Page(doc).render()


def write_define_html(doc: DefineDocument, folder: Path) -> Path:
    """Write ``define.html`` for ``doc`` into ``folder`` (created if needed); return its path.

    Written atomically (a temporary file renamed into place), UTF-8 with LF line ends. A folder
    that is a file or cannot be written is a UsageError naming it.

    >>> write_define_html(doc, Path("out/sdtm"))  # doctest: +SKIP
    PosixPath('out/sdtm/define.html')
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            "the output folder for define.html is a file",
            path=folder,
            hint="pass a folder; define.html is written inside it",
        )
    text = define_html(doc)
    target = folder / "define.html"
    try:
        with atomic(target) as temporary:
            temporary.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(
            f"cannot write define.html: {exc.strerror or exc}",
            path=target,
            hint="choose a folder you can write to",
        ) from exc
    return target


def where_text(where: WhereClause, dataset: str, numeric: Iterable[str] = ()) -> str:
    """A where clause in words: its range checks (all of which must hold) joined by "and".

    ``dataset`` is the dataset the clause is read in; a check on another dataset's variable
    names it (``ADSL.SAFFL = "Y"``). Values are quoted, except for the ``DATASET.VARIABLE``
    names in ``numeric``. Comparators: EQ =, NE ≠, LT <, LE ≤, GT >, GE ≥, IN in, NOTIN not in.

    >>> from cdisc.metadata import RangeCheck, WhereClause
    >>> where_text(WhereClause("WC.1", (RangeCheck("VS", "VSTESTCD", "IN", ("ABI", "TBI")),)), "VS")
    'VSTESTCD in ("ABI", "TBI")'
    """
    numbers = set(numeric)
    parts = []
    for check in where.checks:
        qualified = f"{check.dataset}.{check.variable}"
        name = check.variable if check.dataset == dataset else qualified
        values = ", ".join(v if qualified in numbers else f'"{v}"' for v in check.values)
        if check.comparator in ("IN", "NOTIN"):
            values = f"({values})"
        parts.append(f"{name} {_COMPARATOR_WORDS.get(check.comparator, check.comparator)} {values}")
    return " and ".join(parts)


def anchor(kind: str, oid: str) -> str:
    """The page id of the object of ``kind`` with OID ``oid``.

    ``kind`` is ``std``, ``doc``, ``ds``, ``var``, ``vl``, ``val``, ``cl``, ``mt``, ``com``,
    ``rd`` or ``ar``. Letters, digits, '.' and '-' are kept; any other character (and '_')
    becomes ``_<hex code>_``, so distinct OIDs give distinct ids.

    >>> anchor("var", "IT.DM.AGE"), anchor("cl", "CL.A B")
    ('var-IT.DM.AGE', 'cl-CL.A_20_B')
    """
    return f"{kind}-" + _UNSAFE_ID.sub(lambda m: f"_{ord(m.group()):x}_", oid)


@dataclass
class _Entry:
    """A method or comment: its OID, its text and where it is used (page id, label)."""

    oid: str
    text: str
    used_by: list[tuple[str, str]] = field(default_factory=list)


class _Page:
    """One render of one document: first what the page will hold (so that links are made only
    to ids that exist), then the sections in page order."""

    def __init__(self, doc: DefineDocument) -> None:
        self.doc = doc
        self.targets: set[str] = {"toc", "sec-study", *_SECTIONS}
        self.claimed: set[str] = set()
        self.methods: dict[str, _Entry] = {}
        self.comments: dict[str, _Entry] = {}
        self.codelist_users: dict[str, list[tuple[str, str]]] = {}
        self.numeric = {
            f"{ds.name}.{v.name}"
            for ds in doc.datasets
            for v in ds.variables
            if v.xpt_type == "Num"
        }
        self.standards = {f"{s.name} {s.version}": s.oid for s in doc.standards if s.type == "IG"}
        self.names = {anchor("cl", cl.oid): cl.name for cl in doc.codelists}
        self.names |= {anchor("std", s.oid): _standard_text(s) for s in doc.standards}
        self._collect()

    def _collect(self) -> None:
        doc = self.doc
        self.targets.update(anchor("std", s.oid) for s in doc.standards)
        self.targets.update(anchor("doc", leaf.oid) for leaf in doc.leaves)
        self.targets.update(anchor("ds", ds.oid) for ds in doc.datasets)
        self.targets.update(anchor("vl", vl.oid) for vl in doc.value_lists)
        self.targets.update(anchor("cl", cl.oid) for cl in doc.codelists)
        self.targets.update(anchor("rd", rd.oid) for rd in doc.results)
        self.targets.update(anchor("ar", r.oid) for rd in doc.results for r in rd.results)
        if doc.comment:
            _note(self.comments, f"COM.{doc.mdv_oid}", doc.comment, "sec-study", "Study")
        for ds in doc.datasets:
            if ds.comment:
                _note(self.comments, f"COM.{ds.name}", ds.comment, anchor("ds", ds.oid), ds.name)
            for var in _ordered(ds.variables):
                place = anchor("var", ds.item_oid(var.name))
                self._uses(var, place, f"{ds.name}.{var.name}", f"{ds.name}.{var.name}")
        wheres = []
        for vl in doc.value_lists:
            for value in _ordered(vl.values):
                place = anchor("val", value.oid)
                label = f"{vl.dataset}.{vl.variable} where {self.where(value.where, vl.dataset)}"
                self._uses(value, place, label, value.oid[3:])
                wheres.append((value.where, vl.dataset, place))
        for cl in doc.codelists:
            if cl.comment:
                _note(self.comments, f"COM.{cl.oid}", cl.comment, anchor("cl", cl.oid), cl.name)
        for rd in doc.results:
            wheres += [(r.where, r.dataset, anchor("ar", r.oid)) for r in rd.results if r.where]
        for where, dataset, place in wheres:
            if where.comment:
                label = f"where {self.where(where, dataset)}"
                _note(self.comments, f"COM.{where.oid}", where.comment, place, label)
        self.targets.update(anchor("mt", oid) for oid in self.methods)
        self.targets.update(anchor("com", oid) for oid in self.comments)

    def _uses(self, item: VariableDef | ValueDef, place: str, label: str, suffix: str) -> None:
        self.targets.add(place)
        if item.method:
            _note(self.methods, f"MT.{suffix}", item.method, place, label)
        if item.comment:
            _note(self.comments, f"COM.{suffix}", item.comment, place, label)
        if item.codelist:
            self.codelist_users.setdefault(item.codelist, []).append((place, label))

    # --- small builders ----------------------------------------------------------------------

    def where(self, where: WhereClause, dataset: str) -> str:
        return where_text(where, dataset, self.numeric)

    def id_attr(self, page_id: str | None) -> str:
        """`` id="..."`` the first time an id is placed; nothing for a duplicate OID."""
        if page_id is None or page_id in self.claimed:
            return ""
        self.claimed.add(page_id)
        return f' id="{_e(page_id)}"'

    def row(self, page_id: str | None, cells: Iterable[str]) -> str:
        return f"<tr{self.id_attr(page_id)}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def link(self, page_id: str, text: str) -> str:
        if page_id in self.targets:
            return f'<a href="#{_e(page_id)}">{_e(text)}</a>'
        return f'{_e(text)} <span class="missing">(not defined)</span>'

    def links(self, places: Iterable[tuple[str, str]]) -> str:
        return ", ".join(self.link(place, label) for place, label in places)

    def ref(self, kind: str, oid: str | None, text: str | None = None) -> str:
        """A link to the ``kind`` object ``oid``, shown as ``text``, its name, or its OID."""
        if not oid:
            return ""
        page_id = anchor(kind, oid)
        return self.link(page_id, text or self.names.get(page_id, oid))

    def variable_link(self, dataset: str, variable: str | None, text: str | None = None) -> str:
        return self.ref("var", f"IT.{dataset}.{variable}", text or variable) if variable else ""

    def origin(self, origin: Origin) -> str:
        if origin.type == "Predecessor" and origin.source:
            dataset, _, variable = origin.source.partition(".")
            known = anchor("var", f"IT.{dataset}.{variable}") in self.targets
            shown = self.variable_link(dataset, variable, origin.source) if known else None
            return f"Predecessor: {shown or _e(origin.source)}"
        return _e(f"{origin.type} ({origin.source})" if origin.source else origin.type)

    def item_cells(self, item: VariableDef | ValueDef, suffix: str) -> list[str]:
        """The cells of :data:`_ITEM_COLUMNS`, shared by variables and value-level items."""
        return [
            f"<strong>{_e(item.name)}</strong>",
            _e(item.label),
            _e(item.data_type),
            _e(_length_text(item.length, item.significant_digits)),
            _e(item.display_format),
            self.ref("cl", item.codelist),
            self.origin(item.origin),
            self.ref("mt", f"MT.{suffix}", item.method) if item.method else "",
            self.ref("com", f"COM.{suffix}", item.comment) if item.comment else "",
        ]

    def section(self, page_id: str, title: str, lines: list[str], level: int) -> list[str]:
        heading = f"<h{level}>{title}</h{level}>"
        return [f"<section{self.id_attr(page_id)}>{heading}", *lines, "</section>"]

    # --- sections ----------------------------------------------------------------------------

    def render(self) -> str:
        doc = self.doc
        datasets = self.dataset_overview()
        for ds in doc.datasets:
            datasets += self.dataset(ds)
        parts = {
            "sec-standards": [*self.standards_table(), _TOP],
            "sec-documents": [*self.documents(), _TOP],
            "sec-datasets": datasets,
            "sec-vlm": self.value_level(),
            "sec-codelists": self.codelists(),
            "sec-methods": [*self.book("mt", self.methods), _TOP],
            "sec-comments": [*self.book("com", self.comments), _TOP],
            "sec-results": self.results() if doc.results else None,
        }
        body = [*self.study(), *self.contents()]
        for page_id, lines in parts.items():
            if lines is not None:
                body += self.section(page_id, _SECTIONS[page_id], lines, 2)
        title = f"{doc.study_name} {doc.purpose} define ({doc.mdv_name})"
        head = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS.strip()}</style>",
            "</head>",
            "<body>",
        ]
        return "\n".join([*head, *body, "</body>", "</html>", ""])

    def study(self) -> list[str]:
        doc = self.doc
        facts = [
            ("Study", _e(doc.study_name)),
            ("Description", _e(doc.study_description)),
            ("Protocol", _e(doc.protocol_name)),
            ("Purpose", _e(doc.purpose)),
            ("Metadata version", _e(f"{doc.mdv_name} ({doc.mdv_oid})")),
            ("Define-XML version", _e(doc.define_version)),
            ("Context", _e(doc.context)),
            ("Created", _e(doc.created)),
            ("Comment", self.ref("com", f"COM.{doc.mdv_oid}", doc.comment) if doc.comment else ""),
        ]
        title = f"{_e(doc.study_name)}: {_e(doc.purpose)} data definition"
        return [f'<header id="sec-study"><h1>{title}</h1>', *_facts(facts), "</header>"]

    def contents(self) -> list[str]:
        doc = self.doc
        children = {
            "sec-datasets": [self.ref("ds", ds.oid, ds.name) for ds in doc.datasets],
            "sec-vlm": [
                self.ref("vl", vl.oid, f"{vl.dataset}.{vl.variable}") for vl in doc.value_lists
            ],
            "sec-codelists": [self.ref("cl", cl.oid, cl.name) for cl in doc.codelists],
            "sec-results": [self.ref("rd", rd.oid, rd.name) for rd in doc.results],
        }
        lines = ['<nav id="toc"><h2>Contents</h2><ol>']
        for page_id, text in _SECTIONS.items():
            if page_id == "sec-results" and not doc.results:
                continue
            sub = "".join(f"<li>{child}</li>" for child in children.get(page_id, []))
            lines.append(f"<li>{self.link(page_id, text)}{f'<ol>{sub}</ol>' if sub else ''}</li>")
        return [*lines, "</ol></nav>"]

    def standards_table(self) -> list[str]:
        rows = [
            self.row(
                anchor("std", s.oid),
                [
                    _e(s.name),
                    _e(s.type),
                    _e(s.version),
                    _e(s.publishing_set),
                    _e(s.status),
                    _oid(s.oid),
                ],
            )
            for s in self.doc.standards
        ]
        return _table(_head("Name", "Type", "Version", "Publishing set", "Status", "OID"), rows)

    def documents(self) -> list[str]:
        doc = self.doc
        roles = dict.fromkeys(doc.supplemental, "Supplemental document")
        if doc.annotated_crf:
            roles[doc.annotated_crf] = "Annotated CRF"
        rows = []
        for leaf in doc.leaves:
            href = _external_href(leaf.href)
            title = f'<a href="{_e(href)}">{_e(leaf.title)}</a>' if href else _e(leaf.title)
            cells = [title, _e(leaf.href), _e(roles.get(leaf.oid, "Document")), _oid(leaf.oid)]
            rows.append(self.row(anchor("doc", leaf.oid), cells))
        return _table(_head("Title", "File", "Role", "OID"), rows)

    def dataset_overview(self) -> list[str]:
        rows = [
            self.row(
                None,
                [
                    self.ref("ds", ds.oid, ds.name),
                    _e(ds.label),
                    _e(_class_text(ds)),
                    _e(ds.structure),
                    _e(", ".join(ds.keys)),
                    _file_link(ds),
                ],
            )
            for ds in self.doc.datasets
        ]
        return _table(_head("Dataset", "Label", "Class", "Structure", "Keys", "File"), rows)

    def dataset(self, ds: DatasetDef) -> list[str]:
        standard = self.standards.get(ds.standard)
        facts = [
            ("Label", _e(ds.label)),
            ("Class", _e(_class_text(ds))),
            ("Structure", _e(ds.structure)),
            ("Keys", ", ".join(self.variable_link(ds.name, k) for k in ds.keys)),
            ("Purpose", _e(ds.purpose)),
            ("Standard", self.ref("std", standard, ds.standard) if standard else _e(ds.standard)),
            ("Repeating", _yes(ds.repeating)),
            ("Reference data", _yes(ds.reference_data)),
            ("File", _file_link(ds)),
            ("Comment", self.ref("com", f"COM.{ds.name}", ds.comment) if ds.comment else ""),
        ]
        # Role is SDTM only: Define-XML 2.1 does not use ItemRef/@Role for ADaM.
        tabulation = ds.purpose == "Tabulation"
        columns = [*_ITEM_COLUMNS, *(["Role"] if tabulation else []), "Mandatory", "Value list"]
        rows = []
        for var in _ordered(ds.variables):
            cells = self.item_cells(var, f"{ds.name}.{var.name}")
            cells += [_e(var.role)] if tabulation else []
            cells += [_yes(var.mandatory), self.ref("vl", var.value_list)]
            rows.append(self.row(anchor("var", ds.item_oid(var.name)), cells))
        lines = [*_facts(facts), *_table(_head("Variable", *columns[1:]), rows), _TOP]
        return self.section(anchor("ds", ds.oid), f"{_e(ds.name)}: {_e(ds.label)}", lines, 3)

    def value_level(self) -> list[str]:
        lines = []
        head = _head("Where", *_ITEM_COLUMNS, "Mandatory")
        for vl in self.doc.value_lists:
            rows = [self.value_row(vl, value) for value in _ordered(vl.values)]
            parent = self.variable_link(vl.dataset, vl.variable, f"{vl.dataset}.{vl.variable}")
            title = f"{parent} {_oid(vl.oid)}"
            lines += self.section(anchor("vl", vl.oid), title, _table(head, rows), 3)
        return [*lines, _TOP]

    def value_row(self, vl: ValueListDef, value: ValueDef) -> str:
        where = _e(self.where(value.where, vl.dataset))
        if value.where.comment:
            where += f" ({self.ref('com', f'COM.{value.where.oid}', 'comment')})"
        cells = [where, *self.item_cells(value, value.oid[3:]), _yes(value.mandatory)]
        return self.row(anchor("val", value.oid), cells)

    def codelists(self) -> list[str]:
        lines = []
        for cl in self.doc.codelists:
            facts = [
                ("Data type", _e(cl.data_type)),
                ("NCI code", _e(cl.nci_code)),
                ("Standard", self.ref("std", cl.standard)),
                ("Extensible", _yes(cl.extensible)),
                ("Used by", self.links(self.codelist_users.get(cl.oid, []))),
                ("Comment", self.ref("com", f"COM.{cl.oid}", cl.comment) if cl.comment else ""),
            ]
            if cl.external:
                head = _head("External dictionary", "Version")
                terms = _table(head, [self.row(None, [_e(part) for part in cl.external])])
            else:
                head = _head("Coded value", "Decode", "NCI code", "Extended value")
                terms = _table(head, [self.term_row(term) for term in cl.terms])
            title = f"{_e(cl.name)} {_oid(cl.oid)}"
            lines += self.section(anchor("cl", cl.oid), title, [*_facts(facts), *terms], 3)
        return [*lines, _TOP]

    def term_row(self, term: CodeListTerm) -> str:
        extended = "Yes" if term.extended else ""
        return self.row(None, [_e(term.coded_value), _e(term.decode), _e(term.nci_code), extended])

    def book(self, kind: str, book: dict[str, _Entry]) -> list[str]:
        rows = [
            self.row(
                anchor(kind, entry.oid),
                [_oid(entry.oid), _e(entry.text), self.links(entry.used_by)],
            )
            for entry in book.values()
        ]
        return _table(_head("OID", "Description", "Used by"), rows)

    def results(self) -> list[str]:
        lines = []
        for rd in self.doc.results:
            inner = [f"<p>{_e(rd.description)}</p>"]
            for result in rd.results:
                ds = result.dataset
                facts = [
                    ("Reason", _e(result.reason)),
                    ("Purpose", _e(result.purpose)),
                    ("Dataset", self.ref("ds", f"IG.{ds}", ds)),
                    ("Selection", _e(self.where(result.where, ds)) if result.where else ""),
                    ("Parameter", self.variable_link(ds, result.parameter)),
                    ("Variables", ", ".join(self.variable_link(ds, v) for v in result.variables)),
                    ("Documentation", _e(result.documentation)),
                    ("Code context", _e(result.code_context)),
                    ("Code", f"<pre>{_e(result.code)}</pre>" if result.code else ""),
                ]
                title = f"{_e(result.description)} {_oid(result.oid)}"
                inner += self.section(anchor("ar", result.oid), title, _facts(facts), 4)
            lines += self.section(anchor("rd", rd.oid), f"{_e(rd.name)} {_oid(rd.oid)}", inner, 3)
        return [*lines, _TOP]


def _note(book: dict[str, _Entry], oid: str, text: str, place: str, label: str) -> None:
    # The first text given for an OID wins; later uses only add a back link.
    entry = book.setdefault(oid, _Entry(oid, text))
    if (place, label) not in entry.used_by:
        entry.used_by.append((place, label))


def _e(text: object) -> str:
    """``text`` escaped for HTML text and attribute values; None is empty."""
    return escape("" if text is None else str(text), quote=True)


def _oid(oid: str) -> str:
    return f'<span class="oid">{_e(oid)}</span>'


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _external_href(href: str) -> str | None:
    """``href`` percent-encoded, or None when its scheme is not one of :data:`_SAFE_SCHEMES`."""
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    return quote(href, safe="/:#?&=%@+~!$,;'()*[]") if scheme in _SAFE_SCHEMES else None


def _ordered(items: Iterable[VariableDef] | Iterable[ValueDef]) -> list:
    # A stable sort: equal order numbers keep the document's order, so output is deterministic.
    return sorted(items, key=lambda item: item.order)


def _class_text(ds: DatasetDef) -> str:
    # As def:Class/@Name shows it: SDTMIG's "Special-Purpose" is "SPECIAL PURPOSE" in a define.
    shown = ds.cdisc_class.upper().replace("-", " ")
    return f"{shown} / {ds.subclass}" if ds.subclass else shown


def _standard_text(standard: StandardDef) -> str:
    parts = (standard.name, standard.publishing_set, standard.version)
    return " ".join(part for part in parts if part)


def _length_text(length: int | None, digits: int | None) -> str:
    shown = "" if length is None else str(length)
    return f"{shown} / {digits}" if digits is not None else shown


def _file_link(ds: DatasetDef) -> str:
    name = f"{ds.name.lower()}.xpt"
    return f'<a href="{_e(quote(name))}">{_e(name)}</a>'


def _facts(facts: list[tuple[str, str]]) -> list[str]:
    """A two-column table of the facts whose (already escaped) value is not empty."""
    rows = [f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in facts if v]
    return ['<table class="facts">', *rows, "</table>"]


def _head(*names: str) -> str:
    return "<tr>" + "".join(f"<th>{_e(n)}</th>" for n in names) + "</tr>"


def _table(head: str, rows: list[str]) -> list[str]:
    if not rows:
        return ["<p>None.</p>"]
    return ["<table>", f"<thead>{head}</thead>", "<tbody>", *rows, "</tbody>", "</table>"]
