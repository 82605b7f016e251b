"""Define-XML checks that the schema does not make, and define-versus-data checks.

The XSD checks element order, required attributes and enumerations; it does not check that
an OID reference resolves, that a derived item has a method, that descriptions and lengths
are there, that linked files exist, or that the define agrees with the datasets
(``/work/shared/reference/define-xml-2.1.md`` section 11 lists what it misses). These checks
work on the XML itself (lxml, parsed with no DTD, no entity expansion and no network), so a
third party's define is checked as it is written, not as a model would resolve it.

Each check has a stable ID (``DEF001``...) and, where the Pinnacle 21 catalogue
(``p21_sdtm_rules.csv`` / ``p21_adam_rules.csv``) has a rule with the same meaning, its P21
ID. The catalogue has no DD rule for the define-internal checks (its only DD rule is DD0101,
"Missing define.xml file"), so those carry no P21 ID; the define-versus-data checks cite the
SD rules of TCG 4.1.4.5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
from lxml import etree

from cdisc.errors import InputError, UsageError
from define.safexml import parse_odm

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF21_NS = "http://www.cdisc.org/ns/def/v2.1"
DEF20_NS = "http://www.cdisc.org/ns/def/v2.0"
ARM_NS = "http://www.cdisc.org/ns/arm/v1.0"
XLINK_NS = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class Rule:
    """One check: its ID, the Pinnacle 21 ID it corresponds to ("" when none), its default
    severity (``error`` or ``warning``) and what it finds."""

    id: str
    p21: str
    severity: str
    title: str


#: Every check this module makes. P21 IDs are cited only where the catalogue's text says
#: the same thing (SD rules from p21_sdtm_rules.csv / p21_adam_rules.csv, "TCG 4.1.4.5").
RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("DEF001", "", "error", "reference to an OID that is not defined"),
        Rule("DEF002", "", "warning", "definition that nothing references"),
        Rule("DEF003", "", "error", "Derived item without a MethodOID"),
        Rule("DEF004", "", "error", "missing Description"),
        Rule("DEF005", "", "error", "Length missing on a text, integer or float ItemDef"),
        Rule("DEF006", "", "error", "def:leaf file does not exist"),
        Rule("DEF007", "SD1063", "error", "dataset is not present in define.xml"),
        Rule("DEF008", "SD0061", "warning", "dataset in define.xml is missing from the data"),
        Rule("DEF009", "SD0060", "error", "variable in dataset is not present in define.xml"),
        Rule("DEF010", "SD0054", "warning", "variable in define.xml is not in the dataset"),
        Rule("DEF011", "SD0059", "error", "define.xml/dataset variable type mismatch"),
        Rule("DEF012", "", "error", "define.xml/dataset variable length mismatch"),
        Rule("DEF013", "SD1324", "error", "define.xml/dataset variable label mismatch"),
        Rule("DEF014", "SD1325", "error", "define.xml/dataset description mismatch"),
    )
}

#: Columns of the findings frame, in order.
FINDING_COLUMNS = ("rule", "p21", "severity", "dataset", "variable", "oid", "message", "line")

#: Define-XML DataTypes that need a Length (spec 2.1 section 5.3.12), and those stored as Num
#: (P21 SD0059: "integer and float match Num, all other match Char").
_LENGTH_TYPES = frozenset({"text", "integer", "float"})
_NUM_TYPES = frozenset({"integer", "float"})

#: Dataset-JSON 1.1 column types that are numbers (or numbers in the XPT: targetDataType).
_JSON_NUM_TYPES = frozenset({"integer", "float", "double", "decimal"})

#: (referencing tag or None for any element, attribute, kind of definition it points at).
#: Tags and attributes are Clark names with ``{def}`` standing for the define namespace.
_REFERENCES: tuple[tuple[str | None, str, str], ...] = (
    (f"{{{ODM_NS}}}ItemRef", "ItemOID", "ItemDef"),
    (f"{{{ODM_NS}}}ItemRef", "MethodOID", "MethodDef"),
    (f"{{{ODM_NS}}}ItemRef", "RoleCodeListOID", "CodeList"),
    (f"{{{ODM_NS}}}CodeListRef", "CodeListOID", "CodeList"),
    (f"{{{ODM_NS}}}RangeCheck", "{def}ItemOID", "ItemDef"),
    ("{def}ValueListRef", "ValueListOID", "ValueListDef"),
    ("{def}WhereClauseRef", "WhereClauseOID", "WhereClauseDef"),
    ("{def}DocumentRef", "leafID", "leaf"),
    (f"{{{ODM_NS}}}ItemGroupDef", "{def}ArchiveLocationID", "leaf"),
    (None, "{def}CommentOID", "CommentDef"),
    (None, "{def}StandardOID", "Standard"),
    (f"{{{ARM_NS}}}AnalysisDataset", "ItemGroupOID", "ItemGroupDef"),
    (f"{{{ARM_NS}}}AnalysisVariable", "ItemOID", "ItemDef"),
    (f"{{{ARM_NS}}}AnalysisResult", "ParameterOID", "ItemDef"),
)

#: Kind of definition -> (tag, id attribute). ``{def}`` as above.
_DEFINITIONS: dict[str, tuple[str, str]] = {
    "ItemGroupDef": (f"{{{ODM_NS}}}ItemGroupDef", "OID"),
    "ItemDef": (f"{{{ODM_NS}}}ItemDef", "OID"),
    "CodeList": (f"{{{ODM_NS}}}CodeList", "OID"),
    "MethodDef": (f"{{{ODM_NS}}}MethodDef", "OID"),
    "CommentDef": ("{def}CommentDef", "OID"),
    "WhereClauseDef": ("{def}WhereClauseDef", "OID"),
    "ValueListDef": ("{def}ValueListDef", "OID"),
    "leaf": ("{def}leaf", "ID"),
    "Standard": ("{def}Standard", "OID"),
}

#: Kinds reported when nothing references them (ItemGroupDefs and standards are roots).
_UNUSED_KINDS = (
    "ItemDef",
    "CodeList",
    "MethodDef",
    "CommentDef",
    "WhereClauseDef",
    "ValueListDef",
    "leaf",
)


def check_define(path: Path, data_folder: Path | None = None) -> pd.DataFrame:
    """Check the define.xml at ``path``; with ``data_folder``, also against its datasets.

    Returns one row per finding with the columns of :data:`FINDING_COLUMNS`: ``rule`` (an ID
    of :data:`RULES`), ``p21`` (the Pinnacle 21 ID, "" when none corresponds), ``severity``
    (``error`` or ``warning``), ``dataset``, ``variable``, ``oid`` ("" when not known),
    ``message`` (the element, the value and what to do) and ``line`` (XML line, nullable).
    Define-XML 2.0 and 2.1 are both read.

    The data folder's ``*.xpt`` files (read with ``pyreadstat``, metadata only) and
    Dataset-JSON ``*.json`` files (used for a dataset only when it has no XPT; other JSON
    files are ignored) are matched to ItemGroupDefs by file name. Lengths are compared for
    Char variables only: a define Length of a Num variable counts digits, not bytes.

    Raises InputError (with line and column) for a file that is not well-formed XML, has a
    DOCTYPE, or is not a Define-XML document, or for an unreadable dataset; UsageError when
    ``path`` or ``data_folder`` does not exist.

    >>> findings = check_define(Path("define.xml"), Path("."))  # doctest: +SKIP
    >>> findings.query("severity == 'error'")[["rule", "p21", "dataset", "variable"]]  # doctest: +SKIP
    """
    path = Path(path)
    root = _parse(path)
    doc = _Define(root, path)
    rows = (
        doc.reference_findings()
        + doc.derived_findings()
        + doc.description_findings()
        + doc.length_findings()
        + doc.leaf_findings()
    )
    if data_folder is not None:
        rows += _data_findings(doc, Path(data_folder))
    return _frame(rows)


def format_findings(findings: pd.DataFrame) -> str:
    """A plain-text table of ``findings`` (rule, P21, severity, dataset, variable, message)
    followed by a line of counts; ``"no findings"`` when there are none.

    >>> format_findings(pd.DataFrame(columns=list(FINDING_COLUMNS)))
    'define.xml: no findings (0 errors, 0 warnings)'
    """
    errors = int((findings["severity"] == "error").sum())
    warnings = int((findings["severity"] == "warning").sum())
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    if findings.empty:
        return f"define.xml: no findings ({counts})"
    shown = findings.rename(columns={"p21": "P21"})[
        ["rule", "P21", "severity", "dataset", "variable", "message"]
    ].astype(str)
    widths = {c: max(len(c), shown[c].str.len().max()) for c in shown.columns[:-1]}
    header = "  ".join(f"{c:<{widths[c]}}" for c in shown.columns[:-1]) + "  message"
    body = shown[list(widths)].apply(lambda col: col.str.ljust(widths[col.name])).agg(
        "  ".join, axis=1
    ) + ("  " + shown["message"])
    by_rule = findings.groupby("rule", sort=True).size()
    per_rule = ", ".join(f"{rule} {count}" for rule, count in by_rule.items())
    return "\n".join([header, *body.tolist(), f"define.xml: {counts} ({per_rule})"])


# --- parsing ---------------------------------------------------------------------------------


def _parse(path: Path) -> etree._Element:
    """The ODM root of the define at ``path``, parsed safely (:mod:`define.safexml`)."""
    if not path.is_file():
        raise UsageError(f"'{path}' is not a file", hint="give the path of a define.xml")
    root = parse_odm(path)
    if root.find(f"{{{ODM_NS}}}Study/{{{ODM_NS}}}MetaDataVersion") is None:
        raise InputError(
            "not a Define-XML document: no Study/MetaDataVersion",
            path=path,
            location=f"line {root.sourceline}",
            hint="a define.xml describes its datasets in ODM/Study/MetaDataVersion",
        )
    return root


def _text(element: etree._Element | None, def_ns: str) -> str:
    """The Description/TranslatedText of ``element`` (the first non-blank one), or ""."""
    if element is None:
        return ""
    texts = element.xpath(
        "o:Description/o:TranslatedText/text()", namespaces={"o": ODM_NS, "def": def_ns}
    )
    return next((t.strip() for t in texts if t.strip()), "")


class _Define:
    """The parsed define with the lookups the checks share (names and owners of OIDs)."""

    def __init__(self, root: etree._Element, path: Path) -> None:
        self.root = root
        self.path = path
        self.mdv = root.find(f"{{{ODM_NS}}}Study/{{{ODM_NS}}}MetaDataVersion")
        # Define-XML 2.0 and 2.1 differ in the def: namespace, not in any reference checked
        # here; MetaDataVersion's nsmap includes what the root declares.
        namespaces = set(self.mdv.nsmap.values())
        self.def_ns = (
            DEF20_NS if DEF20_NS in namespaces and DEF21_NS not in namespaces else DEF21_NS
        )
        self.groups = self.mdv.findall(f"{{{ODM_NS}}}ItemGroupDef")
        self.items = {el.get("OID"): el for el in self.mdv.findall(f"{{{ODM_NS}}}ItemDef")}
        # ItemDef OID -> (dataset, variable): from the datasets' ItemRefs first, then from the
        # value lists (a value-level ItemDef is shown under its parent variable).
        self.owner: dict[str, tuple[str, str]] = {}
        for group in self.groups:
            for ref in group.findall(f"{{{ODM_NS}}}ItemRef"):
                item = self.items.get(ref.get("ItemOID"))
                name = item.get("Name", "") if item is not None else ""
                self.owner.setdefault(ref.get("ItemOID"), (group.get("Name", ""), name))
        self.value_list_owner: dict[str, tuple[str, str]] = {}
        for oid, item in self.items.items():
            for vlr in item.findall(f"{{{self.def_ns}}}ValueListRef"):
                if oid in self.owner:
                    self.value_list_owner.setdefault(vlr.get("ValueListOID"), self.owner[oid])
        for vl in self.mdv.findall(f"{{{self.def_ns}}}ValueListDef"):
            parent = self.value_list_owner.get(vl.get("OID"), ("", ""))
            for ref in vl.findall(f"{{{ODM_NS}}}ItemRef"):
                self.owner.setdefault(ref.get("ItemOID"), parent)
        self.dataset_oids = {g.get("OID"): g.get("Name", "") for g in self.groups}

    def clark(self, name: str) -> str:
        return name.replace("{def}", f"{{{self.def_ns}}}")

    def where(self, element: etree._Element) -> tuple[str, str]:
        """(dataset, variable) an element belongs to, from its nearest owning ancestor."""
        for el in (element, *element.iterancestors()):
            tag = el.tag
            if tag == f"{{{ODM_NS}}}ItemRef" and el.get("ItemOID") in self.owner:
                parent = el.getparent()
                if parent is not None and parent.tag == f"{{{ODM_NS}}}ItemGroupDef":
                    return self.owner[el.get("ItemOID")]
            if tag == f"{{{ODM_NS}}}ItemGroupDef":
                return el.get("Name", ""), ""
            if tag == f"{{{ODM_NS}}}ItemDef":
                return self.owner.get(el.get("OID"), ("", el.get("Name", "")))
            if tag == f"{{{self.def_ns}}}ValueListDef":
                return self.value_list_owner.get(el.get("OID"), ("", ""))
            if tag == f"{{{ARM_NS}}}AnalysisDataset":
                return self.dataset_oids.get(el.get("ItemGroupOID"), ""), ""
        return "", ""

    # --- DEF001 / DEF002 --------------------------------------------------------------------

    def _definitions(self) -> pd.DataFrame:
        rows = []
        for kind, (tag, id_attr) in _DEFINITIONS.items():
            for el in self.mdv.iter(self.clark(tag)):
                dataset, variable = self.where(el)
                rows.append(
                    {
                        "kind": kind,
                        "oid": el.get(id_attr, ""),
                        "line": el.sourceline,
                        "dataset": dataset,
                        "variable": variable,
                    }
                )
        return pd.DataFrame(rows, columns=["kind", "oid", "line", "dataset", "variable"])

    def _references(self) -> pd.DataFrame:
        rows = []
        for tag, attr, kind in _REFERENCES:
            attr = self.clark(attr)
            elements = self.mdv.iter(self.clark(tag)) if tag else self.mdv.iter()
            for el in elements:
                oid = el.get(attr)
                if oid is None:
                    continue
                dataset, variable = self.where(el)
                rows.append(
                    {
                        "kind": kind,
                        "oid": oid,
                        "element": etree.QName(el).localname,
                        "attribute": etree.QName(attr).localname,
                        "line": el.sourceline,
                        "dataset": dataset,
                        "variable": variable,
                    }
                )
        columns = ["kind", "oid", "element", "attribute", "line", "dataset", "variable"]
        return pd.DataFrame(rows, columns=columns)

    def reference_findings(self) -> list[dict]:
        defs = self._definitions()
        refs = self._references()
        keys = defs[["kind", "oid"]].drop_duplicates()
        joined = refs.merge(keys, on=["kind", "oid"], how="left", indicator=True)
        dangling = joined[joined["_merge"] == "left_only"]
        rows = [
            _finding(
                "DEF001",
                f'{r.element} {r.attribute}="{r.oid}" refers to no {r.kind}: define the '
                f"{r.kind} with that OID or correct the reference",
                r.dataset,
                r.variable,
                r.oid,
                r.line,
            )
            for r in dangling.itertuples()
        ]
        used = refs[["kind", "oid"]].drop_duplicates()
        candidates = defs[defs["kind"].isin(_UNUSED_KINDS)]
        joined = candidates.merge(used, on=["kind", "oid"], how="left", indicator=True)
        unused = joined[joined["_merge"] == "left_only"]
        rows += [
            _finding(
                "DEF002",
                f'{r.kind} OID="{r.oid}" is never referenced: remove it or reference it '
                "where it applies",
                r.dataset,
                r.variable,
                r.oid,
                r.line,
            )
            for r in unused.itertuples()
        ]
        return rows

    # --- DEF003 -----------------------------------------------------------------------------

    def derived_findings(self) -> list[dict]:
        rows = []
        origin = f"{{{self.def_ns}}}Origin"
        for ref in self.mdv.iter(f"{{{ODM_NS}}}ItemRef"):
            if ref.get("MethodOID"):
                continue
            item = self.items.get(ref.get("ItemOID"))
            if item is None:
                continue
            if any(o.get("Type") == "Derived" for o in item.findall(origin)):
                dataset, variable = self.where(ref)
                rows.append(
                    _finding(
                        "DEF003",
                        f'ItemRef ItemOID="{ref.get("ItemOID")}" has def:Origin '
                        'Type="Derived" but no MethodOID: add a MethodDef that describes '
                        "the derivation and name it in the ItemRef's MethodOID",
                        dataset,
                        variable,
                        ref.get("ItemOID"),
                        ref.sourceline,
                    )
                )
        return rows

    # --- DEF004 -----------------------------------------------------------------------------

    def description_findings(self) -> list[dict]:
        rows = []
        in_datasets = {
            ref.get("ItemOID")
            for group in self.groups
            for ref in group.findall(f"{{{ODM_NS}}}ItemRef")
        }
        value_only = set(self.items) - in_datasets
        kinds = (
            (f"{{{ODM_NS}}}ItemGroupDef", "ItemGroupDef"),
            (f"{{{ODM_NS}}}ItemDef", "ItemDef"),
            (f"{{{ODM_NS}}}MethodDef", "MethodDef"),
            (f"{{{self.def_ns}}}CommentDef", "def:CommentDef"),
            (f"{{{ODM_NS}}}CodeList", "CodeList"),
        )
        for tag, label in kinds:
            for el in self.mdv.iter(tag):
                if _text(el, self.def_ns):
                    continue
                has_element = el.find(f"{{{ODM_NS}}}Description") is not None
                if label == "CodeList" and not has_element:
                    continue  # a CodeList Description is optional; an empty one is a slip
                severity = "error"
                if label == "CodeList" or (label == "ItemDef" and el.get("OID") in value_only):
                    severity = "warning"
                what = "an empty Description" if has_element else "no Description"
                dataset, variable = self.where(el)
                rows.append(
                    _finding(
                        "DEF004",
                        f'{label} OID="{el.get("OID")}" has {what}: add '
                        "Description/TranslatedText (the label or text a reviewer reads)",
                        dataset,
                        variable,
                        el.get("OID", ""),
                        el.sourceline,
                        severity=severity,
                    )
                )
        return rows

    # --- DEF005 -----------------------------------------------------------------------------

    def length_findings(self) -> list[dict]:
        rows = []
        for oid, item in self.items.items():
            data_type = item.get("DataType", "")
            if data_type in _LENGTH_TYPES and not item.get("Length"):
                dataset, variable = self.where(item)
                rows.append(
                    _finding(
                        "DEF005",
                        f'ItemDef OID="{oid}" DataType="{data_type}" has no Length: set '
                        "Length to the longest value the variable can hold",
                        dataset,
                        variable,
                        oid,
                        item.sourceline,
                    )
                )
        return rows

    # --- DEF006 -----------------------------------------------------------------------------

    def leaf_findings(self) -> list[dict]:
        rows = []
        folder = self.path.parent
        for leaf in self.mdv.iter(f"{{{self.def_ns}}}leaf"):
            href = leaf.get(f"{{{XLINK_NS}}}href", "")
            parts = urlsplit(href)
            if not parts.path or len(parts.scheme) > 1:  # a URL or an in-document anchor
                continue
            if (folder / unquote(parts.path)).exists():
                continue
            dataset, _ = self.where(leaf)
            rows.append(
                _finding(
                    "DEF006",
                    f'def:leaf ID="{leaf.get("ID")}" xlink:href="{href}": no such file '
                    f"beside the define ({folder}): add the file or correct the href",
                    dataset,
                    "",
                    leaf.get("ID", ""),
                    leaf.sourceline,
                )
            )
        return rows

    # --- the define's datasets as a frame, for the data checks ------------------------------

    def variables(self) -> pd.DataFrame:
        """One row per ItemRef of every ItemGroupDef: dataset, variable, DataType, Length,
        label, OID and line of the ItemDef."""
        rows = []
        for group in self.groups:
            dataset = group.get("SASDatasetName") or group.get("Name", "")
            for ref in group.findall(f"{{{ODM_NS}}}ItemRef"):
                item = self.items.get(ref.get("ItemOID"))
                if item is None:
                    continue  # already reported as DEF001
                length = item.get("Length")
                rows.append(
                    {
                        "dataset": dataset.upper(),
                        "variable": (item.get("SASFieldName") or item.get("Name", "")).upper(),
                        "data_type": item.get("DataType", ""),
                        "length": int(length) if length and length.isdigit() else None,
                        "label": _text(item, self.def_ns),
                        "oid": item.get("OID", ""),
                        "line": item.sourceline,
                    }
                )
        columns = ["dataset", "variable", "data_type", "length", "label", "oid", "line"]
        return pd.DataFrame(rows, columns=columns)

    def datasets(self) -> pd.DataFrame:
        """One row per ItemGroupDef: dataset, label, OID, line and whether it has no data."""
        rows = [
            {
                "dataset": (g.get("SASDatasetName") or g.get("Name", "")).upper(),
                "label": _text(g, self.def_ns),
                "oid": g.get("OID", ""),
                "line": g.sourceline,
                "no_data": g.get(f"{{{self.def_ns}}}HasNoData") == "Yes",
            }
            for g in self.groups
        ]
        return pd.DataFrame(rows, columns=["dataset", "label", "oid", "line", "no_data"])


# --- define versus data ----------------------------------------------------------------------


def _read_data(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(datasets, variables) of the XPT and Dataset-JSON files directly in ``folder``."""
    if not folder.is_dir():
        raise UsageError(
            f"'{folder}' is not a folder", hint="give the folder that holds the datasets"
        )
    files = sorted(p for p in folder.iterdir() if p.is_file())
    xpts = {p.stem.upper(): p for p in files if p.suffix.lower() == ".xpt"}
    jsons = {p.stem.upper(): p for p in files if p.suffix.lower() == ".json"}
    datasets, variables = [], []
    for name, file in sorted(xpts.items()):
        label, columns = _xpt_metadata(file)
        datasets.append({"dataset": name, "label": label, "file": file.name})
        variables += [{"dataset": name, "file": file.name, **c} for c in columns]
    for name, file in sorted(jsons.items()):
        if name in xpts:
            continue  # the XPT is the submission file; the JSON says the same
        described = _json_metadata(file)
        if described is None:
            continue  # not Dataset-JSON (a build report, for example)
        label, columns = described
        datasets.append({"dataset": name, "label": label, "file": file.name})
        variables += [{"dataset": name, "file": file.name, **c} for c in columns]
    return (
        pd.DataFrame(datasets, columns=["dataset", "label", "file"]),
        pd.DataFrame(variables, columns=["dataset", "file", "variable", "type", "length", "label"]),
    )


def _xpt_metadata(file: Path) -> tuple[str, list[dict]]:
    import pyreadstat

    try:
        _, meta = pyreadstat.read_xport(str(file), metadataonly=True)
    except Exception as exc:  # pyreadstat raises its own types for every unreadable file
        raise InputError(
            f"not a readable SAS XPORT file ({exc})",
            path=file,
            hint="check the file is a SAS transport (v5) dataset",
        ) from None
    types = meta.readstat_variable_types
    widths = meta.variable_storage_width
    columns = [
        {
            "variable": name.upper(),
            "type": "Char" if types[name] == "string" else "Num",
            "length": widths.get(name) if types[name] == "string" else None,
            "label": (label or "").rstrip(),
        }
        for name, label in zip(meta.column_names, meta.column_labels, strict=True)
    ]
    return (meta.file_label or "").rstrip(), columns


def _json_metadata(file: Path) -> tuple[str, list[dict]] | None:
    try:
        with file.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        location = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(
            f"not a readable Dataset-JSON file ({exc})", path=file, location=location
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
        return None
    columns = []
    for column in data["columns"]:
        if not isinstance(column, dict):
            continue
        numeric = column.get("dataType") in _JSON_NUM_TYPES or column.get("targetDataType") in {
            "integer",
            "decimal",
        }
        length = column.get("length")
        columns.append(
            {
                "variable": str(column.get("name", "")).upper(),
                "type": "Num" if numeric else "Char",
                "length": length if isinstance(length, int) and not numeric else None,
                "label": str(column.get("label") or "").rstrip(),
            }
        )
    return str(data.get("label") or "").rstrip(), columns


def _data_findings(doc: _Define, folder: Path) -> list[dict]:
    data_sets, data_vars = _read_data(folder)
    define_sets = doc.datasets()
    define_vars = doc.variables()
    rows = []

    sets = define_sets.merge(
        data_sets, on="dataset", how="outer", suffixes=("_define", "_data"), indicator=True
    )
    for r in sets[sets["_merge"] == "right_only"].itertuples():
        rows.append(
            _finding(
                "DEF007",
                f"dataset {r.dataset} ({r.file}) has no ItemGroupDef in the define: describe "
                "it in define.xml or remove the file",
                r.dataset,
            )
        )
    missing = sets[(sets["_merge"] == "left_only") & ~sets["no_data"].fillna(False).astype(bool)]
    for r in missing.itertuples():
        rows.append(
            _finding(
                "DEF008",
                f"ItemGroupDef {r.oid} describes dataset {r.dataset}, which is not in {folder}: "
                'add its file, or mark it def:HasNoData="Yes" with a comment',
                r.dataset,
                "",
                r.oid,
                r.line,
            )
        )
    both = sets[sets["_merge"] == "both"]
    differs = both[both["label_define"] != both["label_data"]]
    for r in differs.itertuples():
        rows.append(
            _finding(
                "DEF014",
                f'ItemGroupDef {r.oid} Description "{r.label_define}" differs from the label '
                f'"{r.label_data}" of {r.file}: make them the same',
                r.dataset,
                "",
                r.oid,
                r.line,
            )
        )

    shared = set(both["dataset"])
    left = define_vars[define_vars["dataset"].isin(shared)]
    right = data_vars[data_vars["dataset"].isin(shared)]
    joined = left.merge(
        right,
        on=["dataset", "variable"],
        how="outer",
        suffixes=("_define", "_data"),
        indicator=True,
    )
    for r in joined[joined["_merge"] == "right_only"].itertuples():
        rows.append(
            _finding(
                "DEF009",
                f"variable {r.variable} of {r.file} has no ItemRef in ItemGroupDef {r.dataset}: describe it in define.xml",
                r.dataset,
                r.variable,
            )
        )
    for r in joined[joined["_merge"] == "left_only"].itertuples():
        rows.append(
            _finding(
                "DEF010",
                f"ItemDef {r.oid} ({r.dataset}.{r.variable}) is not a variable of the "
                f"{r.dataset} data file: add the variable or remove its ItemRef",
                r.dataset,
                r.variable,
                r.oid,
                r.line,
            )
        )
    matched = joined[joined["_merge"] == "both"].copy()
    matched["define_type"] = matched["data_type"].map(
        lambda t: "Num" if t in _NUM_TYPES else "Char"
    )
    for r in matched[matched["define_type"] != matched["type"]].itertuples():
        rows.append(
            _finding(
                "DEF011",
                f'ItemDef {r.oid} DataType="{r.data_type}" ({r.define_type}) but '
                f"{r.file} stores {r.variable} as {r.type}: make the DataType match "
                "(integer/float for Num, any other type for Char)",
                r.dataset,
                r.variable,
                r.oid,
                r.line,
            )
        )
    char = matched[
        (matched["type"] == "Char")
        & (matched["define_type"] == "Char")
        & matched["length_define"].notna()
        & matched["length_data"].notna()
    ]
    for r in char[
        char["length_define"].astype(int) != char["length_data"].astype(int)
    ].itertuples():
        rows.append(
            _finding(
                "DEF012",
                f'ItemDef {r.oid} Length="{int(r.length_define)}" but {r.variable} in '
                f"{r.file} is {int(r.length_data)} bytes long: make them the same",
                r.dataset,
                r.variable,
                r.oid,
                r.line,
            )
        )
    for r in matched[matched["label_define"] != matched["label_data"]].itertuples():
        rows.append(
            _finding(
                "DEF013",
                f'ItemDef {r.oid} Description "{r.label_define}" differs from the label '
                f'"{r.label_data}" of {r.variable} in {r.file}: make them the same',
                r.dataset,
                r.variable,
                r.oid,
                r.line,
            )
        )
    return rows


# --- findings ----------------------------------------------------------------------------------


def _finding(
    rule: str,
    message: str,
    dataset: str = "",
    variable: str = "",
    oid: str = "",
    line: int | None = None,
    *,
    severity: str | None = None,
) -> dict:
    spec = RULES[rule]
    return {
        "rule": rule,
        "p21": spec.p21,
        "severity": severity or spec.severity,
        "dataset": dataset or "",
        "variable": variable or "",
        "oid": oid or "",
        "message": message,
        "line": line,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    return frame.sort_values(["rule", "dataset", "line", "oid"], kind="stable").reset_index(
        drop=True
    )
