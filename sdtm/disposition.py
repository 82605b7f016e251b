"""Records one domain derives from another domain's records: a death known only from AE.

A death may be collected only as an adverse event with outcome FATAL (no Death form, no
end-of-study form). DM already takes DTHDTC from it (:mod:`sdtm.dm`); DS must show it too.
A domain spec declares the rule under ``derivations.death_from``::

    derivations:
      death_from:
        domain: AE                          # a mapped domain of the same build
        when: {field: AEOUT, equals: FATAL} # condition object on that domain's variables
        dtc: [AEENDTC, AESTDTC]             # the first with a value gives the date
        target: DSSTDTC                     # the date variable of the new record
        values: {DSTERM: DEATH, DSDECOD: DEATH, DSCAT: DISPOSITION EVENT}

Per subject with a matching record, one record is added (the latest matching date, as DM
takes for DTHDTC) unless the domain already has one with the same ``values[<domain>DECOD]``
(``DSDECOD = DEATH`` from the Death form): a death is shown once. The new record keeps the
raw lineage (file, form, record) of the source record, so the lineage sidecar and the build
report name the AE record it came from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cdisc.errors import SpecError
from cdisc.readers.base import LINEAGE_COLUMNS
from cdisc.yamlspec import SpecDocument
from sdtm.conditions import Condition, check_condition, condition_fields, condition_mask
from sdtm.engine import ACCOUNT_COLUMNS, DomainFrame
from sdtm.spec import DomainSpec

DEATH_FROM_KEYS = ("domain", "when", "dtc", "target", "values")


def death_from_rule(spec: DomainSpec) -> dict | None:
    """The checked ``derivations.death_from`` of ``spec`` (None when it declares none).

    Raises :class:`SpecError` (with the spec file as ``path``) for a malformed rule.

    >>> from sdtm.spec import DomainSpec
    >>> rule = {"domain": "AE", "when": {"field": "AEOUT", "equals": "FATAL"},
    ...         "dtc": ["AEENDTC"], "target": "DSSTDTC", "values": {"DSDECOD": "DEATH"}}
    >>> spec = DomainSpec("DS", "ds.yaml", (), (), derivations={"death_from": rule})
    >>> death_from_rule(spec)["when"].describe()
    "AEOUT equals 'FATAL'"
    """
    raw = spec.derivations.get("death_from")
    if raw is None:
        return None
    where = "derivations.death_from"
    hint = (
        "death_from: {domain: AE, when: {field: AEOUT, equals: FATAL}, dtc: [AEENDTC, AESTDTC],"
        " target: DSSTDTC, values: {DSTERM: DEATH, DSDECOD: DEATH}}"
    )
    if not isinstance(raw, dict) or set(raw) != set(DEATH_FROM_KEYS):
        raise SpecError(
            f"{where} needs exactly the keys {', '.join(DEATH_FROM_KEYS)}",
            path=spec.path,
            location=where,
            hint=hint,
        )
    dtc, values = raw["dtc"], raw["values"]
    if not isinstance(dtc, list) or not dtc or not all(isinstance(d, str) for d in dtc):
        raise SpecError(f"{where}.dtc: expected a list of variables", path=spec.path, hint=hint)
    decod = f"{spec.domain}DECOD"
    if not isinstance(values, dict) or decod not in values:
        raise SpecError(
            f"{where}.values: expected a mapping of variable: value naming {decod}",
            path=spec.path,
            hint=hint,
        )
    problems: list = []
    doc = SpecDocument(Path(spec.path), raw, display=spec.path)
    when = check_condition(doc, (*where.split("."), "when"), raw["when"], None, problems)
    if when is None:
        first = problems[0] if problems else None
        raise SpecError(
            f"{where}.when: {getattr(first, 'problem', 'not a condition')}",
            path=spec.path,
            hint=getattr(first, "hint", None) or hint,
        )
    return {
        "domain": str(raw["domain"]).upper(),
        "when": when,
        "dtc": [str(d) for d in dtc],
        "target": str(raw["target"]),
        "values": {str(k): str(v) for k, v in values.items()},
    }


def derive_death_records(
    frame: pd.DataFrame,
    source: pd.DataFrame,
    when: Condition,
    dtc: list[str],
    target: str,
    values: dict[str, str],
    decod: str,
) -> pd.DataFrame:
    """``frame`` plus one record per subject whose ``source`` records match ``when`` and who
    has no record with ``frame[decod] == values[decod]`` yet.

    The new record holds ``values``, ``target`` = the first of ``dtc`` with a value on the
    matching source record (the latest such date when a subject has several), and the
    source record's USUBJID, SITEID, STUDYID and raw lineage.

    >>> ds = pd.DataFrame({"USUBJID": ["S-1"], "DSDECOD": ["DEATH"], "_form": ["dd"]})
    >>> ae = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AEOUT": ["FATAL", "FATAL"],
    ...                    "AEENDTC": [None, "2021-03"], "AESTDTC": ["2021-01-01", "2021-02"],
    ...                    "_form": ["ae", "ae"]})
    >>> out = derive_death_records(ds, ae, Condition("equals", "AEOUT", "FATAL"),
    ...     ["AEENDTC", "AESTDTC"], "DSSTDTC", {"DSDECOD": "DEATH"}, "DSDECOD")
    >>> out[["USUBJID", "DSDECOD", "DSSTDTC", "_form"]].values.tolist()[1]
    ['S-2', 'DEATH', '2021-03', 'ae']
    """
    if source is None or not len(source):
        return frame
    if not condition_fields(when) <= set(source.columns):
        return frame  # the source domain maps no such variable: no record matches
    matched = source[condition_mask(source, when)].copy()
    date = pd.Series(pd.NA, index=matched.index, dtype="string")
    for name in dtc:
        if name in matched:
            text = matched[name].astype("string").str.strip()
            date = date.fillna(text.mask(text == ""))
    matched["_date"] = date
    known = set(frame.loc[frame[decod].astype("string") == values[decod], "USUBJID"].dropna())
    matched = matched[~matched["USUBJID"].isin(known) & matched["USUBJID"].notna()]
    if not len(matched):
        return frame
    # The latest date per subject (ISO 8601 text sorts in time order; missing first), as DM.
    matched = matched.sort_values(["USUBJID", "_date"], na_position="first", kind="stable")
    chosen = matched.drop_duplicates("USUBJID", keep="last")
    keep = [c for c in (*LINEAGE_COLUMNS, "STUDYID", "USUBJID", "SITEID") if c in chosen]
    added = chosen[keep].copy()
    if "DOMAIN" in frame:
        added["DOMAIN"] = frame["DOMAIN"].iloc[0] if len(frame) else decod[:2]
    for name, value in values.items():
        added[name] = value
    added[target] = chosen["_date"].to_numpy()
    added = added.astype({c: "string" for c in (*values, target)})
    return pd.concat([frame, added], ignore_index=True)


def add_derived_records(
    mapped: dict[str, DomainFrame], specs: dict[str, DomainSpec]
) -> dict[str, DomainFrame]:
    """Apply every spec's ``derivations.death_from`` to the mapped domains (first pass done).

    The source records used are accounted for as used by the deriving domain.
    """
    out = dict(mapped)
    for name, spec in specs.items():
        rule = death_from_rule(spec)
        if rule is None or name not in out:
            continue
        if rule["domain"] not in out:
            raise SpecError(
                f"derivations.death_from: domain {rule['domain']} is not built",
                path=spec.path,
                hint=f"add mappings for {rule['domain']} or remove death_from",
            )
        frame = out[name]
        before = len(frame.data)
        data = derive_death_records(
            frame.data,
            out[rule["domain"]].data,
            rule["when"],
            rule["dtc"],
            rule["target"],
            rule["values"],
            f"{name}DECOD",
        )
        added = data.iloc[before:]
        account = pd.DataFrame(
            {
                "domain": name,
                "form": added["_form"].astype(str).to_numpy(),
                "subject": added["_subject"].astype(str).to_numpy(),
                "record": added["_record"].astype(str).to_numpy(),
                "used": np.ones(len(added), dtype=bool),
                "reason": "",
            },
            columns=list(ACCOUNT_COLUMNS),
        )
        accounting = pd.concat(
            [a for a in (frame.accounting, account) if len(a)] or [frame.accounting],
            ignore_index=True,
        )
        out[name] = DomainFrame(name, data, frame.issues, accounting)
    return out


__all__ = ["DEATH_FROM_KEYS", "add_derived_records", "death_from_rule", "derive_death_records"]
