"""Reports of a validation run: an Excel workbook, a JSON file and a console summary.

The workbook has the four sheets reviewers know from Pinnacle 21 (Dataset Summary, Issue
Summary, Issue Details, Rules). Values that come from the data are always written as text:
one that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) gets a leading ``'``, so opening a third party's package can never
run anything. Both files depend only on the result: no clock time is written (the workbook's
created/modified properties come from ``SOURCE_DATE_EPOCH``, else a fixed date).

Example::

    result = run_rules(load_package(folder))
    write_xlsx(result, "validation.xlsx")
    write_json(result, "validation.json")
    print(console_summary(result))
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cdisc.errors import UsageError
from cdisc.validation import columns, engine
from cdisc.validation.engine import FINDING_COLUMNS, STATUS_COLUMNS, Result
from cdisc.validation.waivers import DEFINE_EXTENSION
from cdisc.writers.cells import excel_text

if TYPE_CHECKING:
    from openpyxl import Workbook

#: Used for the workbook's dates when SOURCE_DATE_EPOCH is not set (reproducible builds).
FIXED_DATE = datetime(2000, 1, 1)
#: Excel's limit is 1,048,576 rows; one is the header and one says what was left out.
MAX_DETAIL_ROWS = 1_048_574
SEVERITY_ORDER = {"error": 0, "warning": 1, "notice": 2, "waived": 3}
#: What a study said about a finding (cdisc.validation.waivers.settle): reason or "".
STATEMENT_COLUMNS = ("waived", "explanation")


# --- the tables every report is made of -----------------------------------------------------


def dataset_summary(result: Result) -> pd.DataFrame:
    """One row per dataset of the package (and per dataset named only by a finding, such as
    a required dataset that is missing): dataset, file, label, records, variables, errors,
    warnings, notices, waived. Sorted by dataset name.

    >>> dataset_summary(result)[["dataset", "records", "errors"]]  # doctest: +SKIP
    """
    package = result.package
    rows = pd.DataFrame(
        {
            "dataset": list(package.datasets),
            "file": [
                package.meta[n].file.name if package.meta[n].file is not None else ""
                for n in package.datasets
            ],
            "label": [package.meta[n].label for n in package.datasets],
            "records": [len(f) for f in package.datasets.values()],
            "variables": [len(f.columns) for f in package.datasets.values()],
        },
        columns=["dataset", "file", "label", "records", "variables"],
    )
    counts = _counts_by(result.findings, "dataset")
    table = rows.merge(counts, on="dataset", how="outer")
    for severity in SEVERITY_ORDER:
        table[_count_name(severity)] = table[_count_name(severity)].fillna(0).astype(int)
    table["records"] = table["records"].astype("Int64")
    table["variables"] = table["variables"].astype("Int64")
    table[["file", "label"]] = table[["file", "label"]].fillna("")
    return table.sort_values("dataset", kind="stable").reset_index(drop=True)


def issue_summary(result: Result) -> pd.DataFrame:
    """One row per rule and dataset with findings: rule, p21, cdisc, severity, message (the
    rule's registered message), dataset, count, explained (how many carry an explanation)
    and explanation (the distinct explanations and waiver reasons, at most three). Errors
    first, then by rule and dataset."""
    found = findings_with_statements(result)
    columns = ["rule", "p21", "cdisc", "severity", "message", "dataset", "count"]
    columns += ["explained", "explanation"]
    if found.empty:
        return pd.DataFrame(columns=columns)
    found = found.assign(
        _said=found["explanation"].where(found["explanation"].ne(""), found["waived"])
    )
    keys = ["rule", "p21", "cdisc", "severity", "dataset"]
    groups = found.groupby(keys, sort=False, dropna=False)
    table = groups.size().rename("count").reset_index()
    table["explained"] = groups["_said"].agg(lambda s: int(s.ne("").sum())).to_numpy()
    table["explanation"] = groups["_said"].agg(_distinct_texts).to_numpy()
    messages = _rule_messages(result)
    first = found.drop_duplicates("rule").set_index("rule")["message"]
    table["message"] = table["rule"].map(messages).fillna(table["rule"].map(first)).fillna("")
    table["_order"] = table["severity"].map(SEVERITY_ORDER).fillna(len(SEVERITY_ORDER))
    table = table.sort_values(["_order", "rule", "dataset"], kind="stable")
    return table[columns].reset_index(drop=True)


def findings_with_statements(result: Result) -> pd.DataFrame:
    """``result.findings`` with the ``waived`` and ``explanation`` columns (empty when the
    run was not settled against a study's statements)."""
    found = result.findings
    missing = [c for c in STATEMENT_COLUMNS if c not in found]
    return found.assign(**{c: "" for c in missing}) if missing else found


def _distinct_texts(texts: pd.Series, limit: int = 3) -> str:
    distinct = [t for t in dict.fromkeys(texts) if t]
    more = len(distinct) - limit
    return " | ".join(distinct[:limit]) + (f" | and {more} more" if more > 0 else "")


def rule_status(result: Result) -> pd.DataFrame:
    """Every rule of the run with what happened to it: rule, p21, cdisc, severity, scope,
    status (``findings``, ``checked, no findings`` or ``not checked``), findings (count),
    reason (why not checked) and message."""
    status = result.status.copy()
    status["message"] = status["rule"].map(_rule_messages(result)).fillna("")
    return status[[*STATUS_COLUMNS, "message"]].reset_index(drop=True)


def counts(result: Result) -> dict[str, int]:
    """Findings per severity, how many carry an explanation, and rules per status, e.g.
    ``{"error": 2, "warning": 0, "notice": 0, "waived": 0, "explained": 0, "rules": 120,
    "checked": 100, "not_checked": 20}``."""
    status = result.status["status"]
    found = findings_with_statements(result)
    out = {s: int((found["severity"] == s).sum()) for s in SEVERITY_ORDER}
    out["explained"] = int(found["explanation"].ne("").sum())
    out["rules"] = len(status)
    out["not_checked"] = int((status == "not checked").sum())
    out["checked"] = out["rules"] - out["not_checked"]
    return out


def with_define_findings(result: Result, define: pd.DataFrame | None) -> Result:
    """``result`` with the findings of :func:`define.rules.check_define` added, so every
    report shows them, and a status row for each define check (DEF001...): with ``define``
    None (no define.xml) each is ``not checked``. Checks the run already has (were they ever
    registered as rules) are not added twice.

    >>> merged = with_define_findings(result, check_define(folder / "define.xml", folder))  # doctest: +SKIP
    """
    from define.rules import RULES

    known = set(result.status["rule"])
    checks = {k: v for k, v in RULES.items() if k not in known}
    if not checks:
        return result
    rows = []
    found = define[define["rule"].isin(list(checks))] if define is not None else None
    for check in checks.values():
        row = {"rule": check.id, "p21": check.p21, "cdisc": "", "severity": check.severity}
        row["scope"] = "ANY"
        if found is None:
            row |= {"status": "not checked", "findings": 0, "reason": "no define.xml"}
        else:
            n = int((found["rule"] == check.id).sum())
            row |= {"status": "findings" if n else "checked, no findings", "findings": n}
            row["reason"] = ""
        rows.append(row)
    status = pd.concat(
        [result.status, pd.DataFrame(rows, columns=STATUS_COLUMNS)], ignore_index=True
    )
    table = result.findings
    if found is not None and len(found):
        # A define finding has no record; its line in define.xml is the place to look.
        extra = pd.DataFrame(
            {
                "rule": found["rule"],
                "p21": found["p21"],
                "cdisc": "",
                "severity": found["severity"],
                "dataset": found["dataset"],
                "record": pd.NA,
                "usubjid": "",
                "variable": found["variable"],
                "value": found["oid"],
                "message": found["message"]
                + found["line"].map(lambda n: f" (define.xml line {n})" if pd.notna(n) else ""),
            }
        )
        parts = [t for t in (table, extra) if len(t)]
        table = pd.concat(parts, ignore_index=True)[FINDING_COLUMNS]
    return Result(table, status, result.package)


# --- Excel -----------------------------------------------------------------------------------


def write_xlsx(result: Result, path: str | os.PathLike[str]) -> Path:
    """Write the workbook of ``result`` to ``path`` and return the path.

    Sheets: Dataset Summary (dataset, file, label, records, variables, errors, warnings),
    Issue Summary (rule, P21, CDISC IDs, severity, message, dataset, count), Issue Details
    (every finding: rule, P21, severity, dataset, record, USUBJID, variable, value, message)
    and Rules (every rule of the run: ID, P21, CDISC IDs, severity, scope, status, count,
    reason, message). Header rows are bold, frozen and filtered; text cells that a
    spreadsheet would take for a formula are prefixed with ``'``. The same result always
    gives the same bytes.

    Raises UsageError when the file cannot be written.

    >>> write_xlsx(run_rules(load_package(folder)), "validation.xlsx")  # doctest: +SKIP
    """
    path = Path(path)
    summary = dataset_summary(result)
    details = findings_with_statements(result)
    omitted = max(0, len(details) - MAX_DETAIL_ROWS)
    details = details.iloc[:MAX_DETAIL_ROWS]
    rules = rule_status(result)
    sheets = [
        (
            "Dataset Summary",
            summary,
            {
                "dataset": "Dataset",
                "file": "File",
                "label": "Label",
                "records": "Records",
                "variables": "Variables",
                "errors": "Errors",
                "warnings": "Warnings",
                "notices": "Notices",
                "waived": "Waived",
            },
        ),
        (
            "Issue Summary",
            issue_summary(result),
            {
                "rule": "Rule",
                "p21": "P21 ID",
                "cdisc": "CDISC/FDA IDs",
                "severity": "Severity",
                "message": "Message",
                "dataset": "Dataset",
                "count": "Count",
                "explained": "Explained",
                "explanation": "Explanation or waiver reason",
            },
        ),
        (
            "Issue Details",
            details,
            {
                "rule": "Rule",
                "p21": "P21 ID",
                "severity": "Severity",
                "dataset": "Dataset",
                "record": "Record",
                "usubjid": "USUBJID",
                "variable": "Variable",
                "value": "Value",
                "message": "Message",
                "explanation": "Explanation",
                "waived": "Waiver reason",
            },
        ),
        (
            "Rules",
            rules,
            {
                "rule": "Rule",
                "p21": "P21 ID",
                "cdisc": "CDISC/FDA IDs",
                "severity": "Severity",
                "scope": "Scope",
                "status": "Status",
                "findings": "Count",
                "reason": "Not checked because",
                "message": "Message",
            },
        ),
    ]
    # openpyxl is imported only for a workbook: half a second off every validation run
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook(write_only=True)
    stamp = _fixed_time()
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "cdisc toolkit"
    for title, frame, headers in sheets:
        tail = omitted if title == "Issue Details" else 0
        _add_sheet(book, title, frame[list(headers)], list(headers.values()), omitted=tail)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    try:
        path.write_bytes(_reproducible_zip(buffer.getvalue()))
    except OSError as exc:
        raise UsageError(
            f"cannot write the Excel report ({exc.strerror})", path=path, hint="choose another file"
        ) from None
    return path


def _add_sheet(
    book: Workbook, title: str, frame: pd.DataFrame, headers: list[str], *, omitted: int = 0
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    columns = [_cells(frame[name]) for name in frame.columns]
    widths = [
        min(60, max([len(h), *(len(str(v)) for v in c[:1000] if v is not None)]) + 2)
        for h, c in zip(headers, columns, strict=True)
    ]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    # openpyxl takes rows one at a time; the values are already plain Python objects.
    for row in zip(*columns, strict=True):
        sheet.append(row)
    if omitted:
        sheet.append([f"{omitted:,} more findings not shown (Excel's row limit); see the JSON"])


def _cells(values: pd.Series) -> list:
    """A column as plain Python values: whole numbers as int, other numbers as float, text
    through :func:`excel_text`, missing as None."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric or values.name == "record":
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        if bool((numbers.dropna() % 1 == 0).all()):
            numbers = numbers.astype("Int64")
        return numbers.astype(object).where(numbers.notna(), None).tolist()
    return excel_text(values).tolist()


def _fixed_time() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).replace(tzinfo=None)
    return FIXED_DATE


def _reproducible_zip(data: bytes) -> bytes:
    """The same archive with every member dated :func:`_fixed_time` (zip entries otherwise
    carry the wall-clock time they were written)."""
    stamp = _fixed_time()
    stamp = max(stamp, datetime(1980, 1, 1))  # zip dates start in 1980
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


# --- JSON and console -------------------------------------------------------------------------


def write_json(result: Result, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` as JSON to ``path`` and return the path: ``package`` (folder,
    standard, define), ``counts`` (see :func:`counts`), ``datasets`` (the Dataset Summary
    rows), ``rules`` (every rule's status), ``findings`` (every finding; ``record`` is
    null for a finding about a whole variable) and ``notes`` (how the package was read).

    Raises UsageError when the file cannot be written.

    >>> write_json(result, "validation.json")  # doctest: +SKIP
    """
    path = Path(path)
    package = result.package
    document = {
        "package": {
            "folder": str(package.folder) if package.folder is not None else None,
            "standard": package.standard,
            "define": package.define is not None,
        },
        "counts": counts(result),
        "datasets": _records(dataset_summary(result)),
        "rules": _records(rule_status(result)),
        "findings": _records(findings_with_statements(result)),
        "notes": list(package.notes),
    }
    try:
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write the JSON report ({exc.strerror})", path=path, hint="choose another file"
        ) from None
    return path


def console_summary(result: Result, *, top: int = 10) -> str:
    """A few lines for the terminal: counts by severity, the ``top`` rules with most
    findings, and ``NOT CHECKED: n rules (reasons)`` followed by one line per reason naming
    its rules, so nothing unchecked passes for checked.

    >>> print(console_summary(result))  # doctest: +SKIP
    conformance rules: 1 error, 0 warnings, 0 notices (120 rules: 100 checked, 20 not checked)
    top rules: SDM001 (SD0083, error) 1: Duplicate USUBJID in DM
    NOT CHECKED: 20 rules (no TS dataset: 12; applies to ADaM packages; this one is SDTM: 8)
      no TS dataset: SDT001, SDT002, ...
    """
    n = counts(result)
    if n["rules"] == 0:
        return "conformance rules: NOT CHECKED (no rules are registered)"
    lines = [
        "conformance rules: "
        + ", ".join(_plural(n[s], s) for s in SEVERITY_ORDER if s != "waived")
        + f" ({n['rules']} rules: {n['checked']} checked, {n['not_checked']} not checked)"
    ]
    busy = rule_status(result)
    busy = busy[busy["findings"] > 0].sort_values(
        ["findings", "rule"], ascending=[False, True], kind="stable"
    )
    for index, row in enumerate(busy.head(top).itertuples()):
        ids = ", ".join(i for i in (row.p21, row.cdisc) if i)
        ids = f"{ids}, " if ids else ""
        label = "top rules: " if index == 0 else "           "
        lines.append(f"{label}{row.rule} ({ids}{row.severity}) {row.findings:,}: {row.message}")
    if len(busy) > top:
        lines.append(f"           ... and {len(busy) - top} more rules with findings")
    lines += _statement_lines(result)
    skipped = result.status[result.status["status"] == "not checked"]
    reasons = skipped.groupby("reason", sort=True)["rule"].agg(list)
    summary = "; ".join(f"{reason}: {len(rules)}" for reason, rules in reasons.items())
    lines.append(f"NOT CHECKED: {len(skipped)} rules" + (f" ({summary})" if summary else ""))
    lines += [f"  {reason}: {', '.join(rules)}" for reason, rules in reasons.items()]
    for note in result.package.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _statement_lines(result: Result, top: int = 10) -> list[str]:
    """What the study said: waived findings, explained findings (by the study, by the
    define's sponsor extensions), and the rules whose errors or warnings nobody explained."""
    found = findings_with_statements(result)
    if found.empty:
        return []
    lines = []
    waived = int(found["waived"].ne("").sum())
    if waived:
        lines.append(f"waived: {_plural(waived, 'finding')} (reasons in the reports)")
    explained = found["explanation"].ne("")
    if explained.any():
        # judged once per distinct text: a large package has a million explained findings
        by_define = columns.flags(
            found["explanation"], "define-extension", lambda t: t.str.startswith(DEFINE_EXTENSION)
        )
        lines.append(
            f"explained: {_plural(int(explained.sum()), 'finding')} "
            f"({int(by_define.sum()):,} by define.xml sponsor extensions, "
            f"{int((explained & ~by_define).sum()):,} by the study's explanations)"
        )
    open_ = found[
        ~explained & found["waived"].eq("") & found["severity"].isin(["error", "warning"])
    ]
    if len(open_):
        table = open_.groupby(["severity", "rule", "dataset"]).size().sort_values(ascending=False)
        shown = ", ".join(f"{r} {d} ({n:,} {s})" for (s, r, d), n in table.head(top).items())
        more = f", and {len(table) - top} more" if len(table) > top else ""
        lines.append(f"not explained: {_plural(len(open_), 'finding')}: {shown}{more}")
    return lines


def failing(result: Result, fail_on: str) -> int:
    """Number of findings at or above ``fail_on`` (``error``, ``warning`` or ``never``):
    what makes ``cdisc validate`` exit 1.

    >>> failing(result, "warning")  # doctest: +SKIP
    3
    """
    if fail_on == "never":
        return 0
    if fail_on not in ("error", "warning", "notice"):
        raise UsageError(f"unknown severity {fail_on!r}", hint="use error, warning or never")
    rank = result.findings["severity"].map(SEVERITY_ORDER)
    return int((rank <= SEVERITY_ORDER[fail_on]).sum())


def _rule_messages(result: Result) -> pd.Series:
    ids = result.status["rule"]
    registry = engine.REGISTRY  # looked up now: the registry may be replaced (tests)
    return pd.Series(
        [registry[i].message if i in registry else _define_title(i) for i in ids],
        index=ids.to_numpy(),
        dtype=object,
    )


def _define_title(rule_id: str) -> str:
    from define.rules import RULES

    return RULES[rule_id].title if rule_id in RULES else ""


def _counts_by(found: pd.DataFrame, key: str) -> pd.DataFrame:
    columns = [_count_name(s) for s in SEVERITY_ORDER]
    if found.empty:
        return pd.DataFrame(columns=[key, *columns])
    table = pd.crosstab(found[key], found["severity"])
    table = table.reindex(columns=list(SEVERITY_ORDER), fill_value=0)
    table.columns = columns
    return table.reset_index()


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain JSON values (ints, floats, str, None)."""
    out = frame.copy()
    for name in out.columns:
        if name in ("record", "records", "variables"):
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("Int64")
    return json.loads(out.to_json(orient="records", force_ascii=False))


def _count_name(severity: str) -> str:
    """The count column of a severity: ``errors``, ``warnings``, ``notices``, ``waived``."""
    return severity if severity == "waived" else f"{severity}s"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' * (count != 1)}"
