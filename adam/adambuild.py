"""The ADaM stage of ``cdisc build``: ADSL, ADTTE and the efficacy dataset from the SDTM
datasets as written, each written as XPT, with the censoring table and Kaplan-Meier
estimates for the build report.

Files, under the study's output folder:
``m5/datasets/<studyid>/analysis/adam/datasets/<dataset>.xpt`` (and ``.json`` with
Dataset-JSON); ``lineage/<dataset>.csv`` (each ADaM record's SDTM source records);
``adam/censoring.csv`` (one row per subject and time-to-event parameter: event or
censored, the date, the source that decided it); ``adam/km_estimates.csv`` and
``adam/km_<paramcd>.svg`` (Kaplan-Meier by planned treatment); ``adam/report.html``
(the plots and tables on one page). The build report names each file relative to the
package root.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from adam.adsl import derive_adsl
from adam.efficacy import derive_efficacy
from adam.km import km_estimate, km_summary, km_svg
from adam.output import dataset_def, output_frame
from adam.specs import AdamSpecs
from adam.tte import censoring_table, derive_param_tte
from cdisc.metadata import DatasetDef
from cdisc.standards import Standards
from cdisc.writers import to_ascii, write_dataset_json
from cdisc.writers.cells import excel_safe
from sdtm.distinct import by_value
from sdtm.engine import ISSUE_COLUMNS
from sdtm.sdtmbuild import severity_of, write_started


@dataclass
class AdamResult:
    """What the ADaM stage wrote and found."""

    datasets: list[dict] = field(default_factory=list)  # dataset, records, path
    issues: list[pd.DataFrame] = field(default_factory=list)
    readback: list[str] = field(default_factory=list)
    defs: dict[str, DatasetDef] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    adsl_sponsor: dict = field(default_factory=dict)


def run_adam(
    sdtm: dict[str, pd.DataFrame],
    specs: AdamSpecs,
    standards: Standards,
    target: Path,
    studyid: str,
    created: dt.datetime,
    dataset_json: bool = False,
    progress: Callable | None = None,
) -> AdamResult:
    """Derive and write ADSL, ADTTE (when specified) and the efficacy dataset."""
    result = AdamResult()
    steps = 1 + (specs.tte is not None) + (specs.efficacy is not None)
    if progress:
        progress("derive ADaM datasets", 0, steps)
    adsl, found, adsl_lineage = derive_adsl(sdtm, specs.adsl)
    result.issues.append(found)
    derived = [("ADSL", "ADSL", adsl, specs.adsl)]
    result.adsl_sponsor = dict(specs.adsl.sponsor)
    adtte = None
    if specs.tte is not None:
        if progress:
            progress("derive ADaM datasets", 1, steps)
        adtte, found = derive_param_tte(adsl, sdtm, specs.tte)
        result.issues.append(found)
        derived.append((specs.tte.dataset, "TTE", adtte, specs.tte))
    if specs.efficacy is not None:
        if progress:
            progress("derive ADaM datasets", steps - 1, steps)
        adeff, found = derive_efficacy(adsl, sdtm, adtte, specs.efficacy)
        result.issues.append(found)
        derived.append((specs.efficacy.dataset, "BDS", adeff, specs.efficacy))
    folder = target / "m5" / "datasets" / studyid.lower() / "analysis" / "adam" / "datasets"
    lineage_dir = target / "lineage"
    for path in (folder, lineage_dir):
        path.mkdir(parents=True, exist_ok=True)
    started = []
    for i, (name, structure, frame, spec) in enumerate(derived):
        if progress:
            progress("write ADaM XPT", i, len(derived))
        started.append(
            _write(result, name, structure, frame, spec, standards, folder, created, target)
        )
        if dataset_json and name in result.defs:
            write_dataset_json(
                result.frames[name],
                result.defs[name],
                folder,
                created=created,
                study_oid=studyid,
                metadata_version_oid="MDV.ADAM",
            )
    _write_lineage(lineage_dir, adsl_lineage, result.frames)
    if adtte is not None and len(adtte):
        result.report = _tte_report(adtte, target, "adam")
    # pyreadstat's read-backs (worker process): each dataset's findings take its place
    for slot, check in reversed(started):
        result.issues[slot : slot + 1] = check.result()[0]
    for _, check in started:
        result.readback += check.result()[1]
    return result


def _write(result, name, structure, frame, spec, standards, folder, created, root):
    """Write one ADaM dataset, recording what happened in ``result`` (its path relative to
    the package ``root``). Returns where its read-back findings go in ``result.issues`` (a
    place held by an empty frame) and the read-back started."""
    dates = {c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    numeric = {
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and c not in dates
    }
    if name == "ADSL":
        sponsor = dict(spec.sponsor)
        predecessors = {c: f"DM.{c}" for c in spec.copy}
    else:  # copies of ADSL variables keep ADSL's metadata
        copies = dict(getattr(spec, "adsl", ()))
        sponsor = {t: result.adsl_sponsor[s] for t, s in copies.items() if s in result.adsl_sponsor}
        predecessors = {t: f"ADSL.{s}" for t, s in copies.items()}
    out = output_frame(frame)
    out, ascii_found = to_ascii(out, name)
    if len(ascii_found):
        result.issues.append(
            pd.DataFrame(
                {
                    "domain": name,
                    "file": "",
                    "form": "",
                    "record": ascii_found["record"].astype(str),
                    "subject": "",
                    "variable": ascii_found["variable"],
                    "code": "ascii-" + ascii_found["kind"].astype(str),
                    "message": ascii_found["original"].map(repr)
                    + " written as "
                    + ascii_found["value"].map(repr),
                    "value": ascii_found["original"].astype(str),
                }
            )
        )
    ds = dataset_def(
        out,
        name,
        structure,
        standards,
        label=_label(spec, standards, structure),
        sponsor=sponsor,
        methods=_methods(spec, out.columns),
        predecessors=predecessors,
        numeric=numeric,
        dates=dates,
    )
    ds, path, check = write_started(out, ds, folder, created)
    slot = len(result.issues)
    result.issues.append(pd.DataFrame(columns=list(ISSUE_COLUMNS)))
    if path is None:
        return slot, check
    result.defs[name], result.frames[name] = ds, out
    result.datasets.append(
        {"dataset": name, "records": len(out), "path": path.relative_to(root).as_posix()}
    )
    return slot, check


def _write_lineage(folder: Path, adsl_lineage: pd.DataFrame, frames: dict) -> None:
    """``lineage/<dataset>.csv``: each ADaM record's SDTM source records.

    ADSL: one row per subject and variable taken from a record (SRCDOM, SRCVAR, SRCSEQ).
    Other datasets: one row per record (its position, USUBJID, PARAMCD, AVISITN and the
    SRCDOM/SRCVAR/SRCSEQ it carries).
    """
    # Subject IDs and codes come from the data: none may run as a spreadsheet formula.
    excel_safe(adsl_lineage).to_csv(folder / "adsl.csv", index=False)
    for name, out in frames.items():
        if name == "ADSL":
            continue
        columns = ("USUBJID", "PARAMCD", "AVISITN", "SRCDOM", "SRCVAR", "SRCSEQ")
        lineage = out[[c for c in columns if c in out]].copy()
        lineage.insert(0, "RECORD", range(1, len(out) + 1))
        excel_safe(lineage).to_csv(folder / f"{name.lower()}.csv", index=False)


def _label(spec, standards: Standards, structure: str) -> str:
    return str(getattr(spec, "label", None) or standards.adam_structure(structure).label)


def _methods(spec, columns) -> dict[str, str]:
    method = getattr(spec, "method", None)
    if method is None:
        return {}
    return {c: m for c in columns if (m := method(c))}


def _tte_report(adtte: pd.DataFrame, root: Path, subfolder: str) -> dict:
    """Censoring table, Kaplan-Meier estimates and plots in ``root/subfolder``; the build
    report's ``adam`` part, naming each file relative to the package ``root``."""
    folder = root / subfolder
    folder.mkdir(parents=True, exist_ok=True)
    table = censoring_table(adtte)
    excel_safe(table).to_csv(folder / "censoring.csv", index=False, date_format="%Y-%m-%d")
    by = ["PARAMCD", "TRTP"] if "TRTP" in adtte else ["PARAMCD"]
    estimates = km_estimate(adtte, by=by)
    excel_safe(estimates).to_csv(folder / "km_estimates.csv", index=False, float_format="%.6g")
    summary = km_summary(adtte, by=by)
    plots = []
    for paramcd, part in estimates.groupby("PARAMCD", sort=True):
        param = adtte.loc[adtte["PARAMCD"] == paramcd, "PARAM"].iloc[0]
        svg = km_svg(part, group=by[-1], title=f"{paramcd}: {param}")
        path = folder / f"km_{str(paramcd).lower()}.svg"
        path.write_text(svg, encoding="utf-8")
        plots.append((paramcd, param, svg, path))
    _html(folder / "report.html", summary, table, plots)
    return {
        "censoring_table": f"{subfolder}/censoring.csv",
        "censoring": json_records(table),
        "km_estimates": f"{subfolder}/km_estimates.csv",
        "km_summary": json_records(summary),
        "km_plots": [p.relative_to(root).as_posix() for *_, p in plots],
        "html": f"{subfolder}/report.html",
    }


def json_records(frame: pd.DataFrame) -> list[dict]:
    """``frame`` as JSON-ready records: dates as ISO text, whole numbers as int, NaN as null.

    >>> json_records(pd.DataFrame({"ADT": pd.to_datetime(["2021-03-04", None]),
    ...                            "CNSR": [1.0, None], "surv": [0.5, 1.0]}))
    [{'ADT': '2021-03-04', 'CNSR': 1, 'surv': 0.5}, {'ADT': None, 'CNSR': None, 'surv': 1.0}]
    """
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d")
            columns[name] = text.astype(object).where(values.notna(), None)
        elif pd.api.types.is_float_dtype(values):
            whole = values.notna() & (values == values.round())
            if bool(whole[values.notna()].all()):
                columns[name] = values.astype("Int64").astype(object).where(values.notna(), None)
            else:
                columns[name] = values.astype(object).where(values.notna(), None)
        else:
            columns[name] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(columns, index=frame.index).to_dict(orient="records")


def _html(path: Path, summary: pd.DataFrame, table: pd.DataFrame, plots) -> None:
    """One page with every Kaplan-Meier plot, the estimates and the censoring table."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>Time-to-event analyses</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;font-size:12px}</style></head><body>",
        "<h1>Time-to-event analyses</h1>",
        "<h2>Kaplan-Meier estimates by planned treatment</h2>",
        html_table(summary),
    ]
    for paramcd, param, svg, _ in plots:
        inline = svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg
        parts += [f"<h2>{html.escape(str(paramcd))}: {html.escape(str(param))}</h2>", inline]
    parts += [
        "<h2>Censoring, per subject and parameter</h2>",
        html_table(table),
        "</body></html>",
    ]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def html_table(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table, every value escaped, missing as empty: dates as
    YYYY-MM-DD, whole numbers without decimals, other numbers to 6 significant digits.

    Each column is formatted once per distinct value and the rows are joined column by
    column (``DataFrame.to_html`` formats cell by cell: 20 s for the censoring table of
    10,000 subjects).

    >>> print(html_table(pd.DataFrame({"A": ["<b>", None], "N": [1.0, 0.25]})))
    <table class="dataframe">
    <thead><tr><th>A</th><th>N</th></tr></thead>
    <tbody>
    <tr><td>&lt;b&gt;</td><td>1</td></tr>
    <tr><td></td><td>0.25</td></tr>
    </tbody>
    </table>
    """
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in frame.columns)
    rows = np.full(len(frame), "<tr>", dtype=object)
    for name in frame.columns:  # a loop over columns, not records
        rows = rows + "<td>" + _cell_texts(frame[name]) + "</td>"
    body = "".join((rows + "</tr>\n").tolist())
    return f'<table class="dataframe">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>'


def _cell_texts(values: pd.Series) -> np.ndarray:
    """Escaped cell text of each value (see :func:`html_table`), worked per distinct value."""
    return by_value(values, _cell_text).to_numpy(dtype=object)


def _cell_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        texts = values.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(values):
        texts = values.map(_number_text, na_action="ignore")
    else:
        texts = values.astype(object).map(str, na_action="ignore")
    return texts.astype(object).where(values.notna(), "").map(html.escape)


def _number_text(value: float) -> str:
    """A whole number without decimals, any other to 6 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def add_adam_report(report: dict, issues: pd.DataFrame, result: AdamResult) -> pd.DataFrame:
    """Add the ADaM stage to the build report (``build_report.json``'s content, written once
    by the caller); return the build's problems with ADaM's.

    The report gains ``adam`` (datasets written, censoring table, Kaplan-Meier summary and
    the files of the estimates and plots); its error and warning counts and ``problems``
    then cover both stages.
    """
    parts = [issues, *(i for i in result.issues if len(i))]
    combined = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else issues
    )
    combined["severity"] = severity_of(combined["code"])
    report["adam"] = {"datasets": result.datasets, **result.report}
    report["errors"] = int((combined["severity"] == "error").sum())
    report["warnings"] = int((combined["severity"] == "warning").sum())
    report["problems"] = combined
    report["readback"] = report.get("readback", []) + result.readback
    return combined
