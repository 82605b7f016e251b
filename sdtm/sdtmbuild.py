"""The SDTM stage of ``cdisc build``: run every domain spec, write XPT, the build report and
the lineage sidecars.

Order: every domain but DM is mapped first; DM then takes its reference dates from EX and
its death facts from AE; the second pass (study days, EPOCH, baseline, --SEQ) of every
domain runs against DM. Files: ``m5/datasets/<studyid>/tabulations/sdtm/<domain>.xpt``
(plus ``.json`` with Dataset-JSON), ``lineage/<domain>.csv`` (one row per output record:
``USUBJID``, ``--SEQ``, raw ``file``, ``form``, ``record``) and ``build_report.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cdisc.errors import UsageError
from cdisc.standards import Standards
from cdisc.writers import lengths, to_ascii, verify_xpt, write_dataset_json, write_xpt
from sdtm.algorithms import Context
from sdtm.dm import derive_dm
from sdtm.engine import ACCOUNT_COLUMNS, ISSUE_COLUMNS, derive_domain, map_domain, supplemental
from sdtm.output import dataset_def, output_frame
from sdtm.specs import StudySpecs


def build_time(default: dt.datetime) -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` (UTC wall clock) when set, else the study's declared date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return default
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time",
            hint="unset it or give seconds since 1970",
        ) from None


def run_sdtm(
    summary,
    specs: StudySpecs,
    standards: Standards,
    target: Path,
    dataset_json: bool,
    progress: Callable | None,
):
    """Map, derive and write every domain; returns (datasets, accounting, issues, report, readback)."""
    study, export, design = summary.study, summary.export, specs.design
    context = Context(
        standards, design.date_formats, design.formats_by_site, design.two_digit_year_pivot
    )
    studyid = study.studyid
    names = sorted(specs.domains, key=lambda d: (d == "DM", d))
    mapped = {}
    for i, name in enumerate(names):
        if progress:
            progress("map SDTM domains", i, len(names))
        mapped[name] = map_domain(specs.domains[name], export, context, design, studyid)
    if "DM" in mapped:
        dm = mapped["DM"]
        ex = mapped["EX"].data if "EX" in mapped else None
        ae = mapped["AE"].data if "AE" in mapped else None
        dm.data = derive_dm(dm.data, ex, ae, export, design, context, studyid)
    dm_data = mapped["DM"].data if "DM" in mapped else None
    finished = {n: derive_domain(f, specs.domains[n], dm_data, design) for n, f in mapped.items()}
    created = build_time(design.output_date)
    folder = target / "m5" / "datasets" / studyid.lower() / "tabulations" / "sdtm"
    lineage_dir = target / "lineage"
    for path in (folder, lineage_dir):
        path.mkdir(parents=True, exist_ok=True)
    rows, issues, accounts, readback = [], [], [], []
    outputs = []
    for name, frame in finished.items():
        outputs.append((name, frame.data))
        supp = supplemental(frame.data, specs.domains[name], studyid)
        if len(supp):
            outputs.append((f"SUPP{name}", supp))
        issues.append(frame.issues)
        accounts.append(frame.accounting)
    for i, (name, data) in enumerate(outputs):
        if progress:
            progress("write XPT", i, len(outputs))
        data = data.reset_index(drop=True)
        out = output_frame(data, name, standards)
        out, ascii_found = to_ascii(out, name)
        for row in ascii_found.itertuples(index=False):
            lin = data.loc[row.record]
            issues.append(
                pd.DataFrame(
                    [
                        [
                            name,
                            lin["_file"],
                            lin["_form"],
                            str(lin["_record"]),
                            lin.get("_subject", ""),
                            row.variable,
                            f"ascii-{row.kind}",
                            f"{row.original!r} written as {row.value!r}",
                            row.original,
                        ]
                    ],
                    columns=ISSUE_COLUMNS,
                )
            )
        ds = dataset_def(out, name, standards)
        ds = ds.with_lengths(lengths(out, ds))
        written = write_xpt(out, ds, folder, created=created)
        readback += [f"{name}: {f.code} {f.message}" for f in verify_xpt(written.path, out, ds)]
        if dataset_json:
            write_dataset_json(
                out, ds, folder, created=created, study_oid=studyid, metadata_version_oid="MDV.SDTM"
            )
        seq = next((c for c in out.columns if c.endswith("SEQ")), None)
        lineage = pd.DataFrame(
            {
                "USUBJID": out["USUBJID"],
                "SEQ": out[seq] if seq else None,
                "file": data["_file"],
                "form": data["_form"],
                "subject": data["_subject"],
                "record": data["_record"].astype(str),
            }
        )
        lineage.to_csv(lineage_dir / f"{name.lower()}.csv", index=False)
        rows.append({"dataset": name, "records": len(out), "path": str(written.path)})
    datasets = pd.DataFrame(rows, columns=["dataset", "records", "path"])
    issue_frame = (
        pd.concat([i for i in issues if len(i)], ignore_index=True)
        if any(len(i) for i in issues)
        else pd.DataFrame(columns=ISSUE_COLUMNS)
    )
    account = _accounting(
        export,
        finished,
        pd.concat(accounts, ignore_index=True)
        if accounts
        else pd.DataFrame(columns=ACCOUNT_COLUMNS),
    )
    report_path = target / "build_report.json"
    report = {
        "study": studyid,
        "created": created.isoformat(),
        "datasets": rows,
        "forms": account.to_dict(orient="records"),
        "not_used": _not_used(export, finished, accounts),
        "problems": issue_frame.astype(str).to_dict(orient="records"),
        "readback": readback,
    }
    report_path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return datasets, account, issue_frame, report_path, readback


def _used_keys(finished) -> dict[str, set[tuple[str, str]]]:
    used = {}
    for name, frame in finished.items():
        data = frame.data
        used[name] = set(
            zip(
                data["_form"],
                data["_subject"].astype(str),
                data["_record"].astype(str),
                strict=True,
            )
        )
    return used


def _accounting(export, finished, accounts: pd.DataFrame) -> pd.DataFrame:
    """Per form: raw records read, used by any domain (and by which), not used."""
    used = _used_keys(finished)
    rows = []
    for form, raw in sorted(export.forms.items()):
        keys = set(
            zip(raw["_form"], raw["_subject"].astype(str), raw["_record"].astype(str), strict=True)
        )
        by = {d: len(keys & k) for d, k in used.items() if keys & k}
        any_used = set().union(*(keys & k for k in used.values())) if used else set()
        rows.append(
            {
                "form": form,
                "records": len(raw),
                "used": len(any_used),
                "not_used": len(raw) - len(any_used),
                "by_domain": by,
            }
        )
    return pd.DataFrame(rows, columns=["form", "records", "used", "not_used", "by_domain"])


def _not_used(export, finished, accounts) -> list[dict]:
    """Every raw record no domain used, with the reason (a filter, no result, no spec reads it)."""
    used = set().union(*_used_keys(finished).values()) if finished else set()
    reasons: dict[tuple[str, str], str] = {}
    for frame in accounts:
        for r in frame[~frame["used"].astype(bool)].itertuples(index=False):
            reasons.setdefault((r.form, r.subject, r.record), f"{r.domain}: {r.reason}")
    out = []
    for form, raw in sorted(export.forms.items()):
        for subject, record in zip(
            raw["_subject"].astype(str), raw["_record"].astype(str), strict=True
        ):
            if (form, subject, record) in used:
                continue
            reason = reasons.get(
                (form, subject, record), "no SDTM spec of this build reads this form"
            )
            out.append({"form": form, "subject": subject, "record": record, "reason": reason})
    return out
