"""Record sources: the records of one SDTM dataset (or of ADSL) that an ADaM derivation reads.

A source is declared in an ADaM spec as a mapping, after admiral's ``dataset_add`` /
``filter_add`` / ``order`` / ``mode`` arguments::

    dataset: PR                                  # an SDTM dataset of the build, or ADSL
    where: {all: [{field: PRCAT, equals: MAJOR AMPUTATION},
                  {field: PRLAT, same_as: INDEXLAT}]}   # ADSL variables may be tested too
    date: PRSTDTC                                # an SDTM --DTC (imputed) or an ADSL date
    impute: {highest_imputation: M, date_imputation: first, min_dates: [TRTSDT], flag: ADTF}
    value: PRTRT                                 # the value a derivation takes, if any
    pattern: '^[IV0]+-(\\d)'                     # keep the regex's first group of the value
    mode: first                                  # first or last record, by date then --SEQ

:func:`source_records` turns a source into one row per matching record, with the subject,
the analysis date, its imputation flag, the value and the record's lineage (SRCDOM, SRCVAR,
SRCSEQ); :func:`pick_records` keeps the first or last per subject. Nothing here reads files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adam.imputation import derive_vars_dt
from cdisc.standards import Standards
from cdisc.yamlspec import SpecDocument, SpecProblem, check_keys, did_you_mean
from sdtm.conditions import Condition, check_condition, condition_fields, condition_mask
from sdtm.distinct import distinct_rows, spread

SOURCE_KEYS = ("dataset", "where", "date", "impute", "value", "pattern", "mode")
IMPUTE_KEYS = ("highest_imputation", "date_imputation", "min_dates", "max_dates", "flag")
HIGHEST = ("Y", "M", "D", "n")
MODES = ("first", "last")
#: Columns of :func:`source_records`.
RECORD_COLUMNS = ["USUBJID", "ADT", "ADTF", "DTC", "VALUE", "SRCDOM", "SRCVAR", "SRCSEQ"]


@dataclass(frozen=True)
class Imputation:
    """How a partial --DTC becomes a date (admiral's ``derive_vars_dt`` arguments).

    ``min_dates`` / ``max_dates`` name ADSL date variables of the same subject; ``flag`` is
    the variable that receives the imputation flag (``DTHDTF``), or None.
    """

    highest_imputation: str = "n"
    date_imputation: str = "first"
    min_dates: tuple[str, ...] = ()
    max_dates: tuple[str, ...] = ()
    flag: str | None = None


@dataclass(frozen=True)
class RecordSource:
    """The records of one dataset that a derivation reads (see the module docstring)."""

    dataset: str
    where: Condition | None = None
    date: str | None = None
    impute: Imputation | None = None
    value: str | None = None
    pattern: str | None = None
    mode: str = "first"

    def describe(self) -> str:
        """The source in words, for methods and the build report."""
        what = self.value or self.date
        text = f"{self.dataset}.{what}" if what else f"{self.dataset} record"
        if self.where is not None:
            text += f" where {self.where.describe()}"
        return text


def check_source(
    doc: SpecDocument,
    keypath: tuple,
    raw: object,
    standards: Standards,
    adsl_vars: set[str],
    problems: list[SpecProblem],
    *,
    extra_keys: tuple[str, ...] = (),
    needs: str | None = None,
) -> RecordSource | None:
    """Check a source mapping; problems are appended, the RecordSource returned when sound.

    ``adsl_vars`` are the ADSL variables the spec can rely on (they may be tested in
    ``where`` and named in ``date``/``value`` of an ``ADSL`` source); ``extra_keys`` are keys
    the caller checks itself (``cnsr``, ``evntdesc``); ``needs`` is ``"date"`` or ``"value"``
    when the caller cannot work without it.
    """
    before = len(problems)
    problems += check_keys(
        doc, keypath, raw, required=["dataset"], optional=(*SOURCE_KEYS, *extra_keys)
    )
    if not isinstance(raw, dict) or "dataset" not in raw:
        return None
    dataset = str(raw["dataset"]).upper()
    if dataset == "ADSL":
        known = set(adsl_vars)
    elif dataset in standards.sdtm_domains or dataset.startswith("SUPP"):
        known = {v.name for v in standards.sdtm_variables(dataset)}
    else:
        problems.append(
            doc.problem(
                (*keypath, "dataset"),
                f"unknown dataset {raw['dataset']!r}",
                did_you_mean(dataset, [*standards.sdtm_domains, "ADSL"])
                or "name an SDTM dataset of the build, or ADSL",
            )
        )
        return None
    for key in ("date", "value"):
        name = raw.get(key)
        if name is not None and name not in known:
            problems.append(
                doc.problem(
                    (*keypath, key),
                    f"{dataset} has no variable {name!r}",
                    did_you_mean(str(name), known),
                )
            )
    if needs and raw.get(needs) is None:
        problems.append(doc.problem(keypath, f"missing required key '{needs}'"))
    where = None
    if "where" in raw:
        where = check_condition(doc, (*keypath, "where"), raw["where"], known | adsl_vars, problems)
    mode = raw.get("mode", "first")
    if mode not in MODES:
        problems.append(doc.problem((*keypath, "mode"), f"unknown mode {mode!r}", "first or last"))
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            if re.compile(str(pattern)).groups != 1:
                problems.append(
                    doc.problem((*keypath, "pattern"), "the pattern needs exactly one (group)")
                )
        except re.error as exc:
            problems.append(doc.problem((*keypath, "pattern"), f"not a regular expression: {exc}"))
    impute = None
    if "impute" in raw:
        impute = check_imputation(doc, (*keypath, "impute"), raw["impute"], adsl_vars, problems)
    if len(problems) > before:
        return None
    return RecordSource(
        dataset=dataset,
        where=where,
        date=raw.get("date"),
        impute=impute,
        value=raw.get("value"),
        pattern=None if pattern is None else str(pattern),
        mode=mode,
    )


def check_imputation(
    doc: SpecDocument, keypath: tuple, raw: object, adsl_vars: set[str], problems: list
) -> Imputation | None:
    """Check an ``impute:`` mapping (admiral's ``derive_vars_dt`` arguments)."""
    before = len(problems)
    problems += check_keys(doc, keypath, raw, optional=IMPUTE_KEYS)
    if not isinstance(raw, dict):
        return None
    highest = str(raw.get("highest_imputation", "n"))
    if highest not in HIGHEST:
        problems.append(
            doc.problem(
                (*keypath, "highest_imputation"),
                f"unknown level {highest!r}",
                "Y (year), M (month), D (day) or n (none)",
            )
        )
    date_imputation = str(raw.get("date_imputation", "first"))
    if date_imputation not in ("first", "mid", "last") and not re.fullmatch(
        r"(\d\d-)?\d\d", date_imputation
    ):
        problems.append(
            doc.problem(
                (*keypath, "date_imputation"),
                f"unknown date imputation {date_imputation!r}",
                "first, mid, last, or MM-DD",
            )
        )
    bounds = {}
    for key in ("min_dates", "max_dates"):
        names = raw.get(key) or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(doc.problem((*keypath, key), "expected a list of ADSL date variables"))
            continue
        for i, name in enumerate(names):
            if name not in adsl_vars:
                problems.append(
                    doc.problem(
                        (*keypath, key, i),
                        f"ADSL has no variable {name!r} (derive it before this one)",
                        did_you_mean(name, adsl_vars),
                    )
                )
        bounds[key] = tuple(names)
    if len(problems) > before:
        return None
    return Imputation(
        highest_imputation=highest,
        date_imputation=date_imputation,
        min_dates=bounds.get("min_dates", ()),
        max_dates=bounds.get("max_dates", ()),
        flag=raw.get("flag"),
    )


def source_records(
    source: RecordSource, sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame
) -> pd.DataFrame:
    """One row per record of ``source`` for the subjects of ``adsl``, in record order.

    Columns :data:`RECORD_COLUMNS`: USUBJID; ADT, the date (``datetime64``, NaT when the
    source has no date or the date cannot be imputed); ADTF, its imputation flag; DTC, the
    date as the dataset holds it (so a caller can report dates it could not impute); VALUE,
    the value (after ``pattern``); SRCDOM, SRCVAR (the date variable, else the value
    variable) and SRCSEQ (the record's --SEQ, when the dataset has one). ADSL variables not
    in the dataset are joined on first, so ``where`` may test them. A dataset the build
    did not write gives no records.

    >>> adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "INDEXLAT": ["LEFT", "RIGHT"]})
    >>> pr = pd.DataFrame({"USUBJID": ["S1", "S2"], "PRSEQ": [1.0, 1.0],
    ...                    "PRLAT": ["LEFT", "LEFT"], "PRSTDTC": ["2021-03-04", "2021-05"]})
    >>> where = Condition("same_as", "PRLAT", "INDEXLAT")
    >>> source_records(RecordSource("PR", where, "PRSTDTC"), {"PR": pr}, adsl)[
    ...     ["USUBJID", "ADT", "SRCSEQ"]].to_dict("records")
    [{'USUBJID': 'S1', 'ADT': Timestamp('2021-03-04 00:00:00'), 'SRCSEQ': 1.0}]
    """
    frame = adsl if source.dataset == "ADSL" else sdtm.get(source.dataset)
    if frame is None:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    seq = f"{source.dataset}SEQ"
    if source.dataset != "ADSL":
        read = (condition_fields(source.where) | {source.date, source.value}) - {None}
        bounds = set(source.impute.min_dates + source.impute.max_dates) if source.impute else set()
        # Only the variables read here are joined: the domain's other columns would be
        # copied through the join for nothing (QS is millions of records).
        own = ["USUBJID"] + [c for c in frame.columns if c in read | bounds | {seq}]
        joined = [c for c in adsl.columns if c == "USUBJID" or c in read | bounds]
        joined = [c for c in joined if c == "USUBJID" or c not in frame.columns]
        frame = frame[list(dict.fromkeys(own))]
        judged = condition_fields(source.where) <= set(frame.columns)
        if judged:
            # The condition reads the dataset's own variables only: the records it keeps
            # are the only ones joined (a row's verdict does not depend on the join).
            frame = frame[condition_mask(frame, source.where)]
        frame = _join_subjects(frame, adsl[joined])
        # A Permissible variable with no value in any record is not in the dataset (the
        # SDTM stage leaves it out): read as empty, so its conditions match nothing.
        frame = frame.assign(**{n: None for n in sorted(read - set(frame.columns))})
        if not judged:
            frame = frame[condition_mask(frame, source.where)]
    else:
        frame = frame[condition_mask(frame, source.where)]
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"USUBJID": frame["USUBJID"].astype("string")})
    out["ADT"], out["ADTF"] = _dates(frame, source)
    out["DTC"] = (
        frame[source.date].astype("string").to_numpy()
        if source.date is not None
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    if source.value is not None:
        value = frame[source.value]
        if source.pattern is not None:
            value = value.astype("string").str.extract(source.pattern, expand=False)
        out["VALUE"] = value.to_numpy()
    else:
        out["VALUE"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out["SRCDOM"] = source.dataset
    out["SRCVAR"] = source.date or source.value or ""
    out["SRCSEQ"] = (
        pd.to_numeric(frame[seq], errors="coerce").to_numpy(float)
        if seq in frame
        else np.full(len(frame), np.nan)
    )
    return out[RECORD_COLUMNS]


def _join_subjects(frame: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s records of the subjects of ``subjects`` (one row per USUBJID), in record
    order, with ``subjects``' other columns: an inner merge on USUBJID. The records are
    looked up in the subjects' index once, rather than both key columns factorised by a
    merge (QS is millions of records; ADSL is one row per subject)."""
    ids = pd.Index(subjects["USUBJID"])
    if not ids.is_unique:  # not one row per subject: the merge gives every pairing
        return frame.merge(subjects, on="USUBJID", how="inner", sort=False)
    where = ids.get_indexer(frame["USUBJID"])
    kept = where >= 0
    out = frame[kept].reset_index(drop=True)
    taken = where[kept]
    for name in subjects.columns.drop("USUBJID"):
        out[name] = subjects[name].iloc[taken].reset_index(drop=True)
    return out


def pick_records(records: pd.DataFrame, mode: str, *, dated: bool = True) -> pd.DataFrame:
    """The first (``mode="first"``) or last record per subject, by ADT then SRCSEQ.

    With ``dated`` (the default) records without a date are left out first.

    >>> records = pd.DataFrame({"USUBJID": ["A", "A", "B"], "SRCSEQ": [2.0, 1.0, 1.0],
    ...     "ADT": pd.to_datetime(["2021-01-02", "2021-01-02", None])})
    >>> pick_records(records, "last")["SRCSEQ"].tolist()
    [2.0]
    """
    if dated:
        records = records[records["ADT"].notna()]
    ordered = records.sort_values(["USUBJID", "ADT", "SRCSEQ"], kind="stable", na_position="last")
    keep = "first" if mode == "first" else "last"
    return ordered.drop_duplicates("USUBJID", keep=keep).reset_index(drop=True)


def _dates(frame: pd.DataFrame, source: RecordSource) -> tuple[pd.Series, pd.Series]:
    """The source's dates (datetime64) and imputation flags, aligned with ``frame``."""
    index = frame.index
    no_flag = pd.Series(pd.NA, index=index, dtype="string")
    if source.date is None:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]"), no_flag
    values = frame[source.date]
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]"), no_flag
    rule = source.impute or Imputation()
    # Imputed once per distinct (date, bounds): a date repeats on every result of a visit.
    bounds = [*rule.min_dates, *rule.max_dates]
    table = pd.DataFrame(
        {"_DTC": values.astype("string"), **{f"_{i}": frame[n] for i, n in enumerate(bounds)}}
    )
    if bounds:
        rows, codes = distinct_rows(table)
        # Each distinct row keeps the label of its first record, so that a bound refused
        # by derive_vars_dt is reported at a record of ``frame``, as before.
        rows.index = index[np.unique(codes, return_index=True)[1]]
    else:  # one column: its factorisation gives the distinct values, no sort needed
        # A text column is factorised as it is held, before it is made ``string``: the
        # conversion then runs on the distinct dates, not on every record (QS is millions
        # of records). Each distinct value is imputed on its own, so the dates are the same.
        held = values.to_numpy(dtype=object) if values.dtype == object else table["_DTC"]
        codes, uniq = pd.factorize(held, use_na_sentinel=False)
        rows = pd.DataFrame({"_DTC": pd.Series(uniq, dtype=object).astype("string")})
        codes = np.asarray(codes, dtype=np.intp)
    low = [rows[f"_{i}"] for i in range(len(rule.min_dates))]
    high = [rows[f"_{i}"] for i in range(len(rule.min_dates), len(bounds))]
    derived = derive_vars_dt(
        rows["_DTC"],
        highest_imputation=rule.highest_imputation,
        date_imputation=rule.date_imputation,
        min_dates=low or None,
        max_dates=high or None,
        flag_imputation=True,
    )
    return (
        spread(derived["DT"].astype("datetime64[ns]"), codes, index),
        spread(derived["DTF"].astype("string"), codes, index),
    )
