"""The SDTM stage of ``cdisc build``: run every domain spec, write XPT, the build report and
the lineage sidecars.

Order: every domain but DM is mapped first; DM then takes its reference dates from EX and
its death facts from AE; the second pass (study days, EPOCH, baseline, --SEQ) of every
domain runs against DM. Files: ``m5/datasets/<studyid>/tabulations/sdtm/<domain>.xpt``
(plus ``.json`` with Dataset-JSON), ``lineage/<domain>.csv`` (one row per output record:
``USUBJID``, ``--SEQ``, raw ``file``, ``form``, ``record``) and ``build_report.json``. Paths
in the report are relative to the package root (``target``), so they stay right when
``cdisc build`` moves the finished package into place, and identical builds write identical
reports wherever they write them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import ConformanceError, UsageError
from cdisc.metadata import DatasetDef
from cdisc.readers.base import DECODE_SUFFIX
from cdisc.standards import Standards
from cdisc.writers import to_ascii, write_dataset_json, write_xpt
from cdisc.writers.cells import excel_safe
from cdisc.writers.conform import MAX_CHAR_BYTES, present_variables, text_column
from cdisc.writers.csvfile import write_csv
from cdisc.writers.findings import CODES as WRITER_CODES
from cdisc.writers.jsontext import write_indented
from cdisc.writers.readback import PendingReadback, start_verify_xpt
from sdtm.algorithms import Context
from sdtm.disposition import add_derived_records
from sdtm.distinct import by_value
from sdtm.dm import derive_dm
from sdtm.engine import (
    ACCOUNT_COLUMNS,
    ISSUE_COLUMNS,
    derive_domain,
    issues_at,
    map_domain,
    supplemental,
)
from sdtm.output import dataset_def, output_frame
from sdtm.rawchecks import whitespace_only
from sdtm.referential import subjects_not_in_dm
from sdtm.specs import StudySpecs, referenced_fields
from sdtm.subjects import normalised_subjects
from sdtm.subjectvisits import visit_numbers
from sdtm.trialdesign import design_domains


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
    *,
    write_report: bool = True,
):
    """Map, derive and write every domain: :func:`write_sdtm`, then :meth:`SdtmWritten.finish`.

    Returns (datasets, accounting, issues, report path, readback, frames, defs, report):
    ``frames`` holds each dataset written, as written (what the ADaM stage reads), ``defs``
    its DatasetDef with the lengths written (what the define describes), ``report`` the
    build report, written to the report path unless ``write_report`` is False (``cdisc
    build`` adds the later stages to it and writes it once: at 10,000 subjects it is
    400 MB of text).
    """
    written = write_sdtm(summary, specs, standards, target, dataset_json, progress)
    return written.finish(write_report=write_report)


def write_sdtm(
    summary,
    specs: StudySpecs,
    standards: Standards,
    target: Path,
    dataset_json: bool,
    progress: Callable | None,
) -> SdtmWritten:
    """Map, derive and write every domain; the read-back of each file is still under way.

    The raw export's frames are let go (``summary.release_forms()``) once the domains are
    mapped: nothing reads them after that. :meth:`SdtmWritten.finish` waits for the
    read-back and makes the report: ``cdisc build`` calls it after the ADaM stage, so the
    worker reads the SDTM files back while ADaM is derived.
    """
    study, export, design = summary.study, summary.export, specs.design
    item_codes = {
        f.name: f.codelist for fields in export.fields.values() for f in fields if f.codelist
    }
    context = Context(
        standards,
        design.date_formats,
        design.formats_by_site,
        design.two_digit_year_pivot,
        item_codes,
    )
    studyid = study.studyid
    names = sorted(specs.domains, key=lambda d: (d == "DM", d))
    mapped = {}
    for i, name in enumerate(names):
        if progress:
            progress("map SDTM domains", i, len(names))
        mapped[name] = map_domain(specs.domains[name], export, context, design, studyid)
    # Records one domain derives from another's (a death known only as a fatal AE -> DS).
    mapped = add_derived_records(mapped, specs.domains)
    if "DM" in mapped:
        dm = mapped["DM"]
        ex = mapped["EX"].data if "EX" in mapped else None
        ae = mapped["AE"].data if "AE" in mapped else None
        dm.data = derive_dm(dm.data, ex, ae, export, design, context, studyid)
    dm_data = mapped["DM"].data if "DM" in mapped else None
    visits = visit_numbers(export, design, context, studyid)
    # The last reads of the raw export: the rest needs only each raw record's key (the
    # accounting) and the forms' columns, so the raw frames are let go before the domains
    # are derived and written (at 10,000 subjects they hold 600 MB; issue 7: memory).
    read_forms = [src.form for spec in specs.domains.values() for src in spec.sources]
    raw_blanks = whitespace_only(export, read_forms)
    by_dm = reference_records(export, design) if "DM" in mapped else None
    fields_not_used = _fields_not_used(export, specs)
    raw_keys = {form: _keys(raw) for form, raw in sorted(export.forms.items())}
    summary.release_forms()
    del export
    finished = {
        n: derive_domain(f, specs.domains[n], dm_data, design, visits) for n, f in mapped.items()
    }
    del mapped  # the first-pass frames: only the derived ones are written
    # The derived DM holds one record per subject (a duplicate subject is an error, not
    # written); trial design and the not-in-DM checks use it, not the first-pass frame.
    if "DM" in finished:
        dm_data = finished["DM"].data
    created = build_time(design.output_date)
    folder = target / "m5" / "datasets" / studyid.lower() / "tabulations" / "sdtm"
    lineage_dir = target / "lineage"
    for path in (folder, lineage_dir):
        path.mkdir(parents=True, exist_ok=True)
    rows, issues, accounts, pending = [], [], [], []
    outputs, frames, defs = [], {}, {}
    for name, frame in finished.items():
        outputs.append((name, frame.data))
        supp = supplemental(frame.data, specs.domains[name], studyid, context)
        if len(supp):
            outputs.append((f"SUPP{name}", supp))
        issues.append(frame.issues)
        accounts.append(frame.accounting)
    issues.append(raw_blanks)
    if dm_data is not None:
        # SD0064: a record (SUPP-- included) whose subject DM does not know is reported.
        issues += [
            subjects_not_in_dm(name, data, dm_data["USUBJID"])
            for name, data in outputs
            if name != "DM"
        ]
    # A raw subject key a subjects.normalise rule rewrote: once per raw record and domain.
    issues += [
        normalised_subjects(name, data, design.normalise)
        for name, data in outputs
        if not name.startswith("SUPP")
    ]
    if dm_data is not None:  # TA, TE, TV, TI, TS from study.yaml; SE, SV per subject
        extra, found = design_domains(
            design, dm_data, visits, standards, studyid, study.title, study.document
        )
        outputs, issues = outputs + extra, [*issues, found]
    # The accounting needs only each domain's raw record keys: it is made now, so that each
    # frame is let go once it is written (QS alone is millions of records).
    used_keys = {name: _keys(frame.data) for name, frame in finished.items()}
    del finished
    all_accounts = (
        pd.concat(accounts, ignore_index=True)
        if accounts
        else pd.DataFrame(columns=ACCOUNT_COLUMNS)
    )
    account = _accounting(raw_keys, used_keys, all_accounts, by_dm)
    not_used = _not_used(raw_keys, used_keys, accounts, by_dm)
    del raw_keys, used_keys  # before the largest frames are written
    for i, (name, data) in enumerate(outputs):
        if progress:
            progress("write XPT", i, len(outputs))
        outputs[i] = (name, None)
        written = _write_domain(
            name, data.reset_index(drop=True), standards, folder, lineage_dir, created
        )
        del data
        # pyreadstat reads the file back in the worker process meanwhile; the domain's
        # issues take this place in the list once it has answered (gathered below)
        pending.append((len(issues), written))
        issues.append(None)
        if written.path is not None:
            frames[name], defs[name] = written.frame, written.dataset
            if dataset_json:
                write_dataset_json(
                    written.frame,
                    written.dataset,
                    folder,
                    created=created,
                    study_oid=studyid,
                    metadata_version_oid="MDV.SDTM",
                )
            # Relative to the package root: the package is built elsewhere, then moved.
            path = written.path.relative_to(target).as_posix()
            rows.append({"dataset": name, "records": written.records, "path": path})
    return SdtmWritten(
        studyid,
        created,
        target,
        rows,
        issues,
        pending,
        frames,
        defs,
        account,
        not_used,
        fields_not_used,
    )


@dataclass
class SdtmWritten:
    """The SDTM datasets written by :func:`write_sdtm`, their read-back under way, and what
    the report is made of."""

    studyid: str
    created: dt.datetime
    target: Path
    rows: list[dict]  # dataset, records, path of each dataset written
    issues: list  # each part of the problems; a read-back's place holds None until finish
    pending: list[tuple[int, _Written]]  # (place in issues, dataset written)
    frames: dict[str, pd.DataFrame]
    defs: dict[str, DatasetDef]
    account: pd.DataFrame  # per form: records read, used (by which domain), not used
    not_used: list[dict]  # each raw record no domain used, with the reason
    fields_not_used: dict[str, list[str]]

    def finish(self, *, write_report: bool = True):
        """Wait for the read-back and make the build report (returned as :func:`run_sdtm`
        returns it)."""
        rows, issues, readback = self.rows, self.issues, []
        datasets = pd.DataFrame(rows, columns=["dataset", "records", "path"])
        # As late as the report allows, so the worker reads the files back meanwhile;
        # gathered in writing order: the same issues and console lines, in the same order.
        for slot, written in self.pending:
            issues[slot], lines = written.done()
            readback += lines
        issue_frame = (
            pd.concat([i for i in issues if len(i)], ignore_index=True)
            if any(len(i) for i in issues)
            else pd.DataFrame(columns=ISSUE_COLUMNS)
        )
        issue_frame["severity"] = severity_of(issue_frame["code"])
        report_path = self.target / "build_report.json"
        report = {
            "study": self.studyid,
            "created": self.created.isoformat(),
            "datasets": rows,
            "forms": self.account.to_dict(orient="records"),
            "not_used": self.not_used,
            "fields_not_used": self.fields_not_used,
            "policy": EXIT_POLICY,
            "errors": int((issue_frame["severity"] == "error").sum()),
            "warnings": int((issue_frame["severity"] == "warning").sum()),
            "problems": issue_frame,
            "readback": list(readback),
        }
        if write_report:
            write_indented(report_path, report)
        return (
            datasets,
            self.account,
            issue_frame,
            report_path,
            readback,
            self.frames,
            self.defs,
            report,
        )


#: Problem codes that fail a build (exit 1); every other code is a warning. Writer codes
#: (ASCII02, XPTRB01-08) keep the severity :mod:`cdisc.writers.findings` gives them.
ERROR_CODES = frozenset(
    {
        "ascii-not-representable",
        "required-empty",
        "not-writable",
        # SDTMIG 3.4 DM: one record per subject; a later one is left out, so data is lost.
        "duplicate-subject",
        # The XPT writer refuses the dataset; this locates each value (SDTMIG 4.5.3).
        "value-over-200-bytes",
        *(code for code, (severity, _) in WRITER_CODES.items() if severity == "error"),
    }
)

#: Problem codes that record what the build did to a value that was already right in
#: substance (a collected unit spelling written as its CT submission value): notices, listed
#: in the report for traceability but neither errors nor warnings.
NOTICE_CODES = frozenset({"unit-term-mapped"})

#: The exit-code policy, as written into ``build_report.json``.
EXIT_POLICY = (
    "errors (a value that did not read back, a character with no ASCII form, a Required "
    "variable left empty, a value the XPT writer refuses, a subject's second DM record) fail "
    "the build (exit 1); warnings "
    "(dates, codelists, units, duplicates, ...) are reported and the build succeeds (exit 0); "
    "notices record a collected spelling written as its CT term"
)


def severity_of(codes: pd.Series) -> pd.Series:
    """``"error"`` for a code in :data:`ERROR_CODES`, ``"notice"`` for one in
    :data:`NOTICE_CODES`, else ``"warning"``.

    >>> severity_of(pd.Series(["required-empty", "ambiguous-day-month", "unit-term-mapped"])).tolist()
    ['error', 'warning', 'notice']
    """
    severity = np.where(codes.isin(NOTICE_CODES), "notice", "warning")
    return pd.Series(
        np.where(codes.isin(ERROR_CODES), "error", severity), index=codes.index, dtype=object
    )


@dataclass
class _Written:
    """One dataset written (``path`` None when the writer refused it) and what it found:
    ``issues`` so far, the read-back's still to come (:meth:`done`)."""

    frame: pd.DataFrame
    dataset: DatasetDef | None
    path: Path | None
    records: int
    issues: list[pd.DataFrame]
    check: ReadBackStarted

    def done(self) -> tuple[pd.DataFrame, list[str]]:
        """Waits for the read-back: the dataset's issues (read-back findings last) and its
        read-back lines for the console."""
        found, readback = self.check.result()
        return _concat(self.issues + found), readback


def _located(name: str, data: pd.DataFrame, rows: np.ndarray, **columns) -> pd.DataFrame:
    """Issues for ``rows`` (positions in ``data``), located by their raw lineage."""
    return issues_at(name, data.iloc[rows], **columns)


def _required_empty(name: str, data: pd.DataFrame, out: pd.DataFrame, standards) -> pd.DataFrame:
    """An error per record whose Required variable is empty (the record is still written)."""
    parts = []
    for var in standards.sdtm_variables(name):
        if var.core != "Req" or var.name not in out:
            continue
        # missing or "", judged once per distinct value (QS: two million records)
        empty = by_value(out[var.name], _missing_or_blank).to_numpy(dtype=bool)
        rows = np.flatnonzero(empty)
        if len(rows):
            parts.append(
                _located(
                    name,
                    data,
                    rows,
                    variable=var.name,
                    code="required-empty",
                    message=f"Required variable {var.name} is empty",
                    value="",
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ISSUE_COLUMNS)


def _missing_or_blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(object).map(str).eq("")


def _over_200_bytes(
    name: str, data: pd.DataFrame, out: pd.DataFrame, ds: DatasetDef
) -> pd.DataFrame:
    """An error per value over the XPT (SAS V5) limit of 200 bytes, located by its raw file,
    form and record: the writer that refuses the dataset names only its first such record.
    Measured as the writer measures (:func:`cdisc.writers.conform.text_column`)."""
    parts = []
    for var in present_variables(out, ds):  # a loop over variables, not records
        if var.xpt_type != "Char":
            continue
        nbytes = text_column(out[var.name], var.name).nbytes
        rows = np.flatnonzero(nbytes > MAX_CHAR_BYTES)
        if not len(rows):
            continue
        size = pd.Series(nbytes[rows]).astype(str)
        parts.append(
            _located(
                name,
                data,
                rows,
                variable=var.name,
                code="value-over-200-bytes",
                message=(
                    "value of " + size + f" bytes exceeds the SAS V5 limit of {MAX_CHAR_BYTES}; "
                    "shorten it, or split it (SDTMIG 4.5.3)"
                ).to_numpy(),
                value=out[var.name].iloc[rows].astype(str).to_numpy(),
            )
        )
    return _concat(parts)


def _write_domain(
    name: str,
    data: pd.DataFrame,
    standards: Standards,
    folder: Path,
    lineage_dir: Path,
    created: dt.datetime,
) -> _Written:
    """Write one dataset as XPT, read it back, write its lineage; problems as issues."""
    out = output_frame(data, name, standards)
    out, ascii_found = to_ascii(out, name)
    rows = ascii_found["record"].to_numpy(dtype=int)
    issues = [
        _located(
            name,
            data,
            rows,
            variable=ascii_found["variable"].to_numpy(),
            code=("ascii-" + ascii_found["kind"].astype(str)).to_numpy(),
            message=(
                ascii_found["original"].map(repr) + " written as " + ascii_found["value"].map(repr)
            ).to_numpy(),
            value=ascii_found["original"].astype(str).to_numpy(),
        ),
        _required_empty(name, data, out, standards),
    ]
    ds = dataset_def(out, name, standards)
    ds, path, check = write_started(out, ds, folder, created)
    if path is None:
        issues.append(_over_200_bytes(name, data, out, ds))
        return _Written(out, None, None, 0, issues, check)
    seq = next((c for c in out.columns if c.endswith("SEQ")), None)
    lineage = pd.DataFrame(
        {
            "USUBJID": out.get("USUBJID"),
            "SEQ": out[seq] if seq else None,
            "file": data["_file"],
            "form": data["_form"],
            "subject": data["_subject"],
            "record": data["_record"].astype(str),
        }
    )
    # Subject IDs and file names come from the export: none may run as a spreadsheet formula.
    # write_csv: the bytes to_csv writes, formatted once per distinct value
    write_csv(excel_safe(lineage), lineage_dir / f"{name.lower()}.csv")
    return _Written(out, ds, path, len(out), issues, check)


def write_checked(
    out: pd.DataFrame, ds: DatasetDef, folder: Path, created: dt.datetime
) -> tuple[DatasetDef, Path | None, list[pd.DataFrame], list[str]]:
    """Write ``out`` as XPT with lengths from the data and read it back with both readers.

    Returns the DatasetDef with its lengths, the path (None when the writer refused the
    dataset: a ``not-writable`` error), the problems (read-back findings XPTRB--) and the
    read-back lines for the console. :func:`write_started` without the wait.
    """
    ds, path, check = write_started(out, ds, folder, created)
    found, readback = check.result()
    return ds, path, found, readback


@dataclass
class ReadBackStarted:
    """The read-back of one dataset (:func:`write_started`): ``result()`` waits for
    pyreadstat's verdict from the worker process and gives the problems and console lines."""

    name: str
    path: Path | None
    pending: PendingReadback | None
    refused: list[pd.DataFrame]
    lines: list[str]

    def result(self) -> tuple[list[pd.DataFrame], list[str]]:
        """The problems (read-back findings XPTRB--, or the refusal) and the console lines."""
        if self.pending is None or self.path is None:
            return self.refused, self.lines
        findings = self.pending.findings()
        readback = [f"{self.name}: {f.code} {f.message}" for f in findings]
        if not findings:
            return [], readback
        issues = pd.DataFrame(
            {
                "domain": self.name,
                "file": self.path.name,
                "form": "",
                "record": [str(f.record) if f.record is not None else "" for f in findings],
                "subject": "",
                "variable": [f.variable for f in findings],
                "code": [f.code for f in findings],
                "message": [f.message for f in findings],
                "value": "",
            }
        )
        return [issues], readback


def write_started(
    out: pd.DataFrame, ds: DatasetDef, folder: Path, created: dt.datetime
) -> tuple[DatasetDef, Path | None, ReadBackStarted]:
    """Write ``out`` as XPT with lengths from the data and start reading it back in the
    read-back worker process (:func:`cdisc.writers.readback.start_verify_xpt`). Shared by the SDTM and ADaM stages, which gather the
    results once their datasets are written (the files must still be there then).

    Returns the DatasetDef with its lengths, the path (None when the writer refused the
    dataset: a ``not-writable`` error, in the result) and the read-back started.
    """
    name = ds.name
    try:
        # Char lengths from the data, measured in the pass that prepares the values
        written = write_xpt(out, ds, folder, created=created, fit_lengths=True)
    except ConformanceError as exc:
        # The file name alone: the folder is the build's temporary one, gone once it ends.
        file = Path(exc.path).name if exc.path else ""
        refused = pd.DataFrame(
            [[name, file, "", "", "", "", "not-writable", exc.message, ""]],
            columns=list(ISSUE_COLUMNS),
        )
        shown = ConformanceError(
            exc.message, path=file or None, location=exc.location, hint=exc.hint
        )
        return (
            ds,
            None,
            ReadBackStarted(name, None, None, [refused], [f"{name}: not written: {shown}"]),
        )
    ds = written.dataset
    # what the writer prepared is what the file should hold: not derived a second time
    pending = start_verify_xpt(written.path, out, ds, prepared=written.prepared)
    return ds, written.path, ReadBackStarted(name, written.path, pending, [], [])


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ISSUE_COLUMNS)


_KEY = ["form", "subject", "record"]


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The raw record key (form, subject, record) of every row of a lineage-carrying frame."""
    return pd.DataFrame(
        {
            "form": frame["_form"].astype(str).to_numpy(),
            "subject": frame["_subject"].astype(str).to_numpy(),
            "record": frame["_record"].astype(str).to_numpy(),
        }
    )


def reference_records(export, design) -> pd.DataFrame:
    """Raw records DM reads through study.yaml (arm_source, reference_dates): each record
    whose referenced field has a value, as used by DM (the unblinding form gives ARMCD, the
    follow-up contacts RFPENDTC)."""
    parts = []
    for _, ref in design.refs():
        raw = export.forms.get(ref.form)
        if raw is None or ref.field not in raw:
            continue
        filled = raw[ref.field].astype("string").str.strip().fillna("") != ""
        parts.append(_keys(raw[filled.to_numpy(dtype=bool)]).assign(domain="DM"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*_KEY, "domain"])


def _usage(raw_keys, used_keys, extra=None) -> dict[str, object]:
    """The raw record keys and each domain's uses of them, as integer codes (the accounting
    compares millions of keys: strings are hashed once here, not in every merge).

    ``raw`` holds the raw keys' columns (forms in name order, rows in file order); ``key``
    codes each raw row, ``used``/``used_form``/``domain`` each (key, domain) use, with the
    form's code; ``forms`` and ``domains`` name the form and domain codes.
    """
    raw_parts = [keys for _, keys in sorted(raw_keys.items()) if len(keys)]
    used_parts = [keys.assign(domain=name) for name, keys in used_keys.items()]
    if extra is not None and len(extra):
        used_parts.append(extra)
    raw = pd.concat(raw_parts, ignore_index=True) if raw_parts else pd.DataFrame(columns=_KEY)
    used = (
        pd.concat(used_parts, ignore_index=True)
        if used_parts
        else pd.DataFrame(columns=[*_KEY, "domain"])
    )
    n = len(raw)
    key, forms = None, None
    for column in _KEY:  # one code per distinct (form, subject, record), missing included
        codes, uniques = _codes(
            np.concatenate(
                [raw[column].to_numpy(dtype=object), used[column].to_numpy(dtype=object)]
            )
        )
        if key is None:
            key, forms, form_codes = codes, uniques, codes
        else:
            key, _ = pd.factorize(key * len(uniques) + codes)
    domain, domains = _codes(used["domain"].to_numpy(dtype=object))
    return {
        "raw": raw,
        "key": key[:n],
        "used": key[n:],
        "used_form": form_codes[n:],
        "domain": domain,
        "forms": forms,
        "domains": domains,
    }


def _codes(values: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes of ``values`` (int64) and the value of each code; missing is the last code.

    (Factorising with missing as a value would first test every value for missing.)
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    return np.where(codes < 0, len(uniques), codes), [*uniques, None]


def _accounting(raw_keys, used_keys, accounts: pd.DataFrame, extra=None) -> pd.DataFrame:
    """Per form: raw records read, used by any domain (and by which), not used.

    ``raw_keys``: per form, the :func:`_keys` of its raw records, in file order."""
    usage = _usage(raw_keys, used_keys, extra)
    in_raw = pd.Series(usage["used"]).isin(pd.unique(usage["key"])).to_numpy()
    keys, form, domain = usage["used"][in_raw], usage["used_form"][in_raw], usage["domain"][in_raw]
    n_forms, n_domains = len(usage["forms"]), max(len(usage["domains"]), 1)
    # Records used by any domain, and by each: every distinct key (or key and domain) once.
    first = ~pd.Series(keys).duplicated().to_numpy()
    any_used = np.bincount(form[first], minlength=n_forms)
    pair = keys.astype(np.int64) * n_domains + domain
    first = ~pd.Series(pair).duplicated().to_numpy()
    by_pair = np.bincount(form[first] * n_domains + domain[first], minlength=n_forms * n_domains)
    by_pair = by_pair.reshape(n_forms, n_domains)
    code = {name: i for i, name in enumerate(usage["forms"])}
    forms = sorted(raw_keys)
    read = np.array([len(raw_keys[form]) for form in forms], dtype=int)
    used_n = np.array([any_used[code[f]] if f in code else 0 for f in forms], dtype=int)
    by_domain = []
    for name in forms:  # a loop over forms and their domains
        counts = by_pair[code[name]] if name in code else np.zeros(n_domains, dtype=int)
        found = sorted((usage["domains"][d], int(n)) for d, n in enumerate(counts) if n)
        by_domain.append(dict(found))
    return pd.DataFrame(
        {
            "form": forms,
            "records": read,
            "used": used_n,
            "not_used": read - used_n,
            "by_domain": by_domain,
        },
        columns=["form", "records", "used", "not_used", "by_domain"],
    )


def _not_used(raw_keys, used_keys, accounts, extra=None) -> list[dict]:
    """Every raw record no domain used, with the reason (a filter, no result, no spec reads it)."""
    usage = _usage(raw_keys, used_keys, extra)
    key = pd.Series(usage["key"])
    # Each raw key once (its first row), in raw order, when no domain used it.
    left = (~key.duplicated() & ~key.isin(pd.unique(usage["used"]))).to_numpy()
    unused = usage["raw"][left][_KEY]
    dropped = [a[~a["used"].astype(bool)] for a in accounts if len(a)]
    if dropped:
        why = pd.concat(dropped, ignore_index=True)
        why = why.assign(
            subject=why["subject"].astype(str),
            record=why["record"].astype(str),
            reason=why["domain"].astype(str) + ": " + why["reason"].astype(str),
        )
        # The first domain's reason wins, as each domain reports its own drop.
        why = why.drop_duplicates(_KEY)[[*_KEY, "reason"]]
        unused = unused.merge(why, on=_KEY, how="left")
    else:
        unused = unused.assign(reason=pd.NA)
    unused["reason"] = unused["reason"].fillna("no SDTM spec of this build reads this form")
    return unused.astype(str).to_dict(orient="records")


def _fields_not_used(export, specs: StudySpecs) -> dict[str, list[str]]:
    """Per form some spec reads: its collected fields that no spec names (left out of SDTM)."""
    used = referenced_fields(specs)
    out = {}
    for form in sorted(used):
        frame = export.forms.get(form)
        if frame is None:
            continue
        names = [
            c
            for c in frame.columns
            if not c.startswith("_") and not c.endswith(DECODE_SUFFIX) and c not in used[form]
        ]
        if names:
            out[form] = names
    return out
