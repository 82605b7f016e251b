"""ADaM traceability rules (ADR060-ADR062): SRCDOM, SRCVAR and SRCSEQ point at a dataset,
a variable and a record of the study.

Each rule is a pure function from a :class:`~cdisc.validation.package.Package` to a frame of
findings, registered with :func:`cdisc.validation.engine.rule`. P21 IDs and the CDISC
"Publisher ID" come from ``standards/rules/p21_adam_rules.csv`` and are cited only where the
catalogue text describes what the rule checks; severity follows the catalogue's wording
("must" -> error, "should" -> warning). Rules that need the SDTM read ``package.related``
(the SDTM package beside the analysis package) and are reported as not checked when it is
absent.
"""

from __future__ import annotations

import pandas as pd

from adam.rules._common import (
    _sdtm,
    _with,
)
from cdisc.validation import columns
from cdisc.validation.engine import (
    concat_findings,
    findings,
    rule,
    value_text,
)
from cdisc.validation.package import Package, columns_of, part_of

# --- traceability and imputation ----------------------------------------------------------


def _sources(package: Package) -> tuple[Package, list[tuple[str, pd.DataFrame]]]:
    sdtm = _sdtm(package)
    with_src = [(n, f) for n, f in package.datasets.items() if "SRCDOM" in f]
    return sdtm, with_src


def _source_columns(package: Package, sdtm: Package, domain: str) -> list[str] | None:
    """The variables of the SDTM domain (else the ADaM dataset) ``domain``, or None; a
    related SDTM package not read yet answers from the file header (a 2-million-record QS is
    not read to list its variables)."""
    if domain in sdtm.datasets:
        return columns_of(sdtm, domain)
    if domain in package.datasets:
        return list(package.datasets[domain].columns)
    return None


@rule("ADR060", severity="error", scope="ADaM", message="SRCDOM names no dataset of the study")
def srcdom_unknown(package: Package) -> pd.DataFrame:
    """SRCDOM is neither an SDTM domain beside the package nor an ADaM dataset of it."""
    sdtm, with_src = _sources(package)
    known = set(sdtm.datasets) | set(package.datasets)
    parts = []
    for name, frame in with_src:
        rows = frame[frame["SRCDOM"].notna() & ~frame["SRCDOM"].isin(known)]
        parts.append(
            findings(
                rows,
                name,
                variable="SRCDOM",
                message=f"{name}: SRCDOM "
                + value_text(rows["SRCDOM"])
                + " is not a dataset of the study",
            )
        )
    return concat_findings(parts)


@rule("ADR061", severity="error", scope="ADaM", message="SRCVAR is not a variable of SRCDOM")
def srcvar_unknown(package: Package) -> pd.DataFrame:
    """SRCVAR names a variable that the SRCDOM dataset does not have."""
    sdtm, with_src = _sources(package)
    parts = []
    for name, frame in with_src:
        if "SRCVAR" not in frame:
            continue
        for domain in frame["SRCDOM"].dropna().unique():
            source = _source_columns(package, sdtm, domain)
            if source is None:
                continue
            rows = frame[
                (frame["SRCDOM"] == domain)
                & frame["SRCVAR"].notna()
                & ~frame["SRCVAR"].isin(source)
            ]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="SRCVAR",
                    message=f"{name}: SRCVAR "
                    + value_text(rows["SRCVAR"])
                    + f" is not a variable of {domain}",
                )
            )
    return concat_findings(parts)


@rule(
    "ADR062",
    severity="error",
    scope="ADaM",
    message="SRCSEQ points at no record of SRCDOM for the subject",
)
def srcseq_unknown(package: Package) -> pd.DataFrame:
    """SRCSEQ with no SDTM record of SRCDOM having that --SEQ for the same USUBJID."""
    sdtm, with_src = _sources(package)
    parts = []
    for name, frame in with_src:
        if not _with(frame, "SRCSEQ", "USUBJID"):
            continue
        for domain in frame["SRCDOM"].dropna().unique():
            seq = f"{domain}SEQ"
            mine = frame[(frame["SRCDOM"] == domain) & frame["SRCSEQ"].notna()]
            if domain not in sdtm.datasets or mine.empty:
                continue
            if seq not in columns_of(sdtm, domain):
                parts.append(
                    findings(
                        mine,
                        name,
                        variable="SRCSEQ",
                        message=f"{name}: SRCSEQ given but {domain} has no {seq}",
                    )
                )
                continue
            # only the two variables the check needs (a lazy SDTM package reads no more)
            source = part_of(
                sdtm, domain, [c for c in ("USUBJID", seq) if c in columns_of(sdtm, domain)]
            )
            # membership on the columns' integer codes, not a tuple per record (LB: a million)
            keys = pd.DataFrame(
                {"USUBJID": source["USUBJID"].astype(object), "SEQ": source[seq].astype(float)}
            )
            there = pd.DataFrame(
                {"USUBJID": mine["USUBJID"].astype(object), "SEQ": mine["SRCSEQ"].astype(float)}
            )
            rows = mine[~columns.found_in(there, keys, ["USUBJID", "SEQ"])]
            parts.append(
                findings(
                    rows,
                    name,
                    variable="SRCSEQ",
                    message=f"{name}: no {domain} record with {seq} "
                    + value_text(rows["SRCSEQ"])
                    + " for USUBJID "
                    + value_text(rows["USUBJID"]),
                )
            )
    return concat_findings(parts)
