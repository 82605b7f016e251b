"""Defect kinds about how a value came to be: corrected after entry, or a checkbox never answered.

- ``audit_update``: a date corrected after its first entry. The export holds the final (clean)
  value, as every EDC export does; the form frame carries hidden columns ``_audit_field``,
  ``_audit_old``, ``_audit_when`` and ``_audit_reason`` that the ODM writer turns into an ``AuditRecord`` on the
  ``ItemData`` (REDCap and Rave exports carry only the final value, so there the old value lives
  only in the ground truth ``detail``).
- ``checkbox_blank``: a checkbox question left unanswered. Its value is removed in every format
  and the hidden column ``_cb_blank`` tells the REDCap writer to export the boxes all blank
  rather than all ``0`` (REDCap's usual export of an unanswered checkbox). In ODM and Rave the
  same change is an ordinary blank item, so their ground truth names it ``missing_value``.

Both run after every other value kind and only take values no other kind altered, so each value
is still altered at most once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.defects import Injector
from cdisc.synth.records import set_column

#: Hidden columns added by :func:`audit_updates` (one corrected item per record at most).
AUDIT_COLUMNS = ("_audit_field", "_audit_old", "_audit_when", "_audit_reason")
#: Hidden column added by :func:`checkbox_blanks` (True: export the boxes all blank).
CB_BLANK = "_cb_blank"
#: Reasons for change as EDC systems list them (free text in ODM ``ReasonForChange``).
REASONS = ("Data entry error", "Transcription error", "Source document corrected")


def audit_reason(reason: np.ndarray, old: np.ndarray) -> np.ndarray:
    """``ReasonForChange`` text that keeps the first-entered value recoverable.

    Example: ``audit_reason(np.array(['Data entry error'], object), np.array(['2021-04-11'],
    object))`` -> ``['Data entry error; previous value 2021-04-11']``.
    """
    return np.asarray(reason, dtype=object) + "; previous value " + np.asarray(old, dtype=object)


def audit_user(site_no: np.ndarray) -> np.ndarray:
    """OID of the data-entry user of a site (declared as a ``User`` in the ODM AdminData)."""
    return "USR.SITE" + np.asarray(site_no, dtype=object)


def _full_dates(v: np.ndarray) -> np.ndarray:
    """Mask of complete ISO dates (``YYYY-MM-DD``)."""
    parsed = pd.to_datetime(pd.Series(v, dtype=object), format="%Y-%m-%d", errors="coerce")
    return parsed.notna().to_numpy()


def _pool(inj: Injector, pred, valid=None) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """(form, field) targets and, concatenated, the target index and row of every untouched
    present value (that ``valid`` accepts, when given)."""
    targets, which, rows = [], [], []
    for form in inj.design.forms:
        if form.oid not in inj.forms:
            continue
        for f in form.fields:
            if not pred(f):
                continue
            v = inj.col(form.oid, f.name)
            ok = np.flatnonzero(pd.notna(v) & ~inj.touch(form.oid, f.name))
            if valid is not None:
                ok = ok[valid(v[ok])]
            which.append(np.full(len(ok), len(targets), dtype=np.int64))
            rows.append(ok)
            targets.append((form.oid, f.name))
    if not targets:
        return targets, np.empty(0, np.int64), np.empty(0, np.int64)
    return targets, np.concatenate(which), np.concatenate(rows)


def audit_updates(inj: Injector) -> None:
    """Correct a few complete dates after first entry (an ``AuditRecord`` in ODM).

    The first-entered value is the clean date shifted by 1 to 40 days either way (a mistyped
    day or month); the correction is stamped 2 to 60 days after the later of the two dates.
    """
    kind = "audit_update"
    rng = inj.rng(kind)
    targets, which, rows = _pool(
        inj, lambda f: "date" in f.tags and f.kind == "date" and not f.identifier, _full_dates
    )
    pick = inj.select(kind, np.ones(len(rows), dtype=bool), rng)
    if not len(pick):
        return
    shift = rng.integers(1, 41, len(pick)) * np.where(rng.random(len(pick)) < 0.5, -1, 1)
    later = rng.integers(2, 61, len(pick))
    minute = rng.integers(8 * 60, 18 * 60, len(pick))
    reason = np.array(REASONS, dtype=object)[rng.integers(0, len(REASONS), len(pick))]
    for t in np.unique(which[pick]):
        oid, name = targets[t]
        at = which[pick] == t
        r = rows[pick][at]
        frame = inj.forms[oid]
        for c in AUDIT_COLUMNS:
            if c not in frame:
                set_column(frame, c, np.full(len(frame), None, dtype=object))
        free = pd.isna(frame["_audit_field"].to_numpy()[r])
        r, sel = r[free], np.flatnonzero(at)[free]
        if not len(r):
            continue
        clean = inj.col(oid, name)[r]
        day = np.asarray(clean, dtype="datetime64[D]")
        old_day = day + shift[sel].astype("timedelta64[D]")
        old = fmt.iso_dates(old_day)
        stamp_day = np.maximum(day, old_day) + later[sel].astype("timedelta64[D]")
        when = fmt.iso_dates(stamp_day) + "T" + fmt.hhmm(minute[sel]) + ":00"
        for c, v in zip(AUDIT_COLUMNS, (name, old, when, reason[sel]), strict=True):
            col = np.array(frame[c].to_numpy(), dtype=object)
            col[r] = v
            set_column(frame, c, col)
        inj.touch(oid, name)[r] = True
        sid = inj.col(oid, "_sid")[r]
        site_no = inj.coh.subjects["site_no"].to_numpy(object)[sid - inj.first_sid]
        detail = (
            "value changed after first entry: first entered as "
            + old
            + ", corrected on "
            + when
            + " by "
            + audit_user(site_no)
            + " ("
            + reason[sel]
            + ")"
        )
        inj.add(kind, sid, oid, name, inj.col(oid, "_rid")[r], clean, clean, detail)


def checkbox_blanks(inj: Injector) -> None:
    """Leave a few checkbox questions unanswered, exported by REDCap as all-blank boxes."""
    kind = "checkbox_blank"
    rng = inj.rng(kind)
    targets, which, rows = _pool(inj, lambda f: f.kind == "checkbox")
    pick = inj.select(kind, np.ones(len(rows), dtype=bool), rng)
    for t in np.unique(which[pick]):
        oid, name = targets[t]
        r = rows[pick][which[pick] == t]
        frame = inj.forms[oid]
        old = inj.col(oid, name)[r].copy()
        inj.col(oid, name, write=True)[r] = None
        inj.touch(oid, name)[r] = True
        if CB_BLANK not in frame:
            frame[CB_BLANK] = np.zeros(len(frame), dtype=bool)
        flag = frame[CB_BLANK].to_numpy(bool).copy()
        flag[r] = True
        frame[CB_BLANK] = flag
        sid = inj.col(oid, "_sid")[r]
        inj.add(
            kind,
            sid,
            oid,
            name,
            inj.col(oid, "_rid")[r],
            "",
            old,
            "checkbox question not answered; REDCap exports its boxes all blank, not all 0",
        )
