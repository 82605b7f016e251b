"""Defect kinds about who and where a record belongs to: identifiers written differently.

- ``subject_id_variant``: for a few subjects, the records of one repeating form (a lab panel,
  vital signs, AE lines: data often keyed in or transferred from another system) carry the
  subject id in another format (``SAIL-03-001``, ``3-1`` or ``03001`` for ``03-001``). The
  hidden column ``_subj_key`` holds the variant; the ODM writer puts those records in a
  separate ``SubjectData`` with the variant ``SubjectKey``, REDCap in ``record_id`` and Rave in
  ``Subject``. Demographics, consent, randomisation and disposition are never affected, so the
  subject keeps exactly one DM record under its canonical id.

- ``site_renumbered``: for a few subjects, the site number loses its leading zero from one
  scheduled visit on (``SITE03`` -> ``SITE3`` in ODM, ``03`` -> ``3`` in Rave's
  ``SiteNumber``), as when a site is re-created in the EDC mid-study. The hidden column
  ``_site_key`` holds the new number; the ODM writer puts those records in a second
  ``SubjectData`` of the same subject whose ``SiteRef`` names the new number (declared as a
  ``Location`` of the messy export). REDCap names sites by data access group, not by number,
  so its export and ground truth do not carry this kind. Identity forms keep the original site.

Only records that carry no other defect are given a variant subject id, so every other
ground-truth row still names the record under the subject's canonical id; a subject is never
given both kinds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth.defects import SITE_FIELD, SUBJECT_FIELD, Injector
from cdisc.synth.records import set_column

#: Hidden column added by :func:`subject_id_variants` (``None``: the canonical subject id).
SUBJECT_KEY = "_subj_key"
#: Hidden column added by :func:`site_renumbering` (``None``: the subject's own site number).
SITE_KEY = "_site_key"
#: Forms that define who the subject is (never written under a variant id).
PROTECTED = frozenset({"IC", "DM", "RAND", "COHORT", "DS", "DD", "UNBLIND"})
#: Variant styles: study prefix, leading zeros dropped, separator dropped.
STYLES = ("prefixed", "unpadded", "joined")


def id_variant(subjid: np.ndarray, study: str, style: np.ndarray) -> np.ndarray:
    """Another format of ``SS-NNN`` subject ids, by style index into :data:`STYLES`.

    Example: ``id_variant(np.array(['03-001'] * 3, object), 'sail', np.array([0, 1, 2]))`` ->
    ``['SAIL-03-001', '3-1', '03001']``.
    """
    ids = pd.Series(np.asarray(subjid, dtype=object), dtype=object)
    parts = ids.str.split("-", n=1, expand=True)
    site, num = parts[0], parts[1]

    def unpad(s: pd.Series) -> pd.Series:
        # Keep one zero when the part is all zeros.
        return s.str.lstrip("0").where(s.str.lstrip("0") != "", "0")

    prefixed = study.upper() + "-" + ids
    unpadded = unpad(site) + "-" + unpad(num)
    joined = site + num
    style = np.asarray(style, dtype=np.int64)
    out = np.select(
        [style == 0, style == 1], [prefixed.to_numpy(object), unpadded.to_numpy(object)]
    )
    return np.where(style == 2, joined.to_numpy(object), out).astype(object)


def site_variant(site_no: np.ndarray) -> np.ndarray:
    """A site number without its leading zeros (``'03'`` -> ``'3'``; ``'00'`` -> ``'0'``).

    Example: ``site_variant(np.array(['03', '12'], object))`` -> ``['3', '12']``.
    """
    s = pd.Series(np.asarray(site_no, dtype=object), dtype=object).str.lstrip("0")
    return s.where(s != "", "0").to_numpy(object)


def site_renumbering(inj: Injector) -> np.ndarray:
    """Renumber the site of a few subjects from a scheduled visit on; return their ``sid``.

    Eligible: subjects whose site number has a leading zero and who have records at a
    scheduled visit after treatment starts (the fourth scheduled visit or later); the visit
    from which the new number applies is drawn among those.
    """
    kind = "site_renumbered"
    rng = inj.rng(kind)
    inj.flush()
    d = inj.design
    scheduled = [e.oid for e in d.events if e.kind == "scheduled"]
    later = scheduled[3:]
    order = d.event_order
    subjects = inj.coh.subjects
    sids = subjects["sid"].to_numpy(np.int64)
    site_no = subjects["site_no"].to_numpy(object)
    visits = pd.concat(
        [
            inj.forms[f.oid][["_sid", "_ev"]]
            for f in d.forms
            if f.oid in inj.forms and f.oid not in PROTECTED
        ],
        ignore_index=True,
    )
    visits = visits[visits["_ev"].isin(later)].drop_duplicates()
    renumbers = site_variant(site_no) != site_no
    eligible = renumbers & np.isin(sids, visits["_sid"].to_numpy())
    pick = sids[inj.select(kind, eligible, rng)]
    if not len(pick):
        return pick
    # The first visit under the new number: one of the subject's later visits, at random.
    visits = visits[visits["_sid"].isin(pick)]
    visits = visits.assign(key=rng.random(len(visits))).sort_values(["_sid", "key"])
    start_ev = visits.drop_duplicates("_sid").set_index("_sid")["_ev"]
    start = start_ev.map(order)
    new_no = site_variant(site_no[pick - inj.first_sid])
    for form in d.forms:
        if form.oid not in inj.forms or form.oid in PROTECTED:
            continue
        frame = inj.forms[form.oid]
        sid = frame["_sid"].to_numpy(np.int64)
        ev = pd.Series(frame["_ev"].to_numpy(object), dtype=object).map(order).to_numpy()
        cut = start.reindex(sid).to_numpy(float)
        r = np.flatnonzero(~np.isnan(cut) & (ev >= cut))
        if not len(r):
            continue
        col = np.full(len(frame), None, dtype=object)
        col[r] = new_no[np.searchsorted(pick, sid[r])]
        set_column(frame, SITE_KEY, col)
        inj.add(
            kind,
            sid[r],
            form.oid,
            SITE_FIELD,
            frame["_rid"].to_numpy(np.int64)[r],
            col[r],
            site_no[sid[r] - inj.first_sid],
            "site number written without its leading zero from visit "
            + start_ev.reindex(sid[r]).to_numpy(object)
            + " on",
        )
    return pick


def _defective(inj: Injector, oid: str) -> np.ndarray:
    """Row ids of form ``oid`` that some defect already names (as record or original)."""
    if not inj.cols["form"]:
        return np.empty(0, np.int64)
    form = np.concatenate(inj.cols["form"])
    rid = np.concatenate(inj.cols["rid"]).astype(np.int64)
    orig = np.concatenate(inj.cols["orig_rid"]).astype(np.int64)
    at = form == oid
    return np.unique(np.r_[rid[at], orig[at]])


def subject_id_variants(inj: Injector, exclude: np.ndarray | None = None) -> None:
    """Write the records of one repeating form of a few subjects under a variant subject id.

    ``exclude``: subject ``sid`` values that must keep their canonical id everywhere (e.g.
    subjects whose site was renumbered, so every ODM ``SubjectData`` split has one cause).
    """
    kind = "subject_id_variant"
    rng = inj.rng(kind)
    inj.flush()
    # Candidate records: repeating forms outside the identity forms, not in the repeating
    # UNSCHEDULED event (REDCap shares one row there), carrying no other defect.
    forms, sids, rows = [], [], []
    for fi, form in enumerate(inj.design.forms):
        if not form.repeating or form.oid in PROTECTED or form.oid not in inj.forms:
            continue
        frame = inj.forms[form.oid]
        ok = frame["_ev"].to_numpy(object) != "UNS"
        ok &= ~np.isin(frame["_rid"].to_numpy(np.int64), _defective(inj, form.oid))
        r = np.flatnonzero(ok)
        forms.append(np.full(len(r), fi, dtype=np.int64))
        sids.append(frame["_sid"].to_numpy(np.int64)[r])
        rows.append(r)
    if not forms:
        return
    form_i, sid, row = np.concatenate(forms), np.concatenate(sids), np.concatenate(rows)
    subjects = inj.coh.subjects["sid"].to_numpy(np.int64)
    eligible = np.isin(subjects, sid)
    if exclude is not None:
        eligible &= ~np.isin(subjects, exclude)
    pick = subjects[inj.select(kind, eligible, rng)]
    if not len(pick):
        return
    style = rng.integers(0, len(STYLES), len(pick))
    # One form per picked subject: the (subject, form) pair with the smallest random key.
    pairs = pd.DataFrame({"sid": sid, "form": form_i}).drop_duplicates()
    pairs = pairs[np.isin(pairs["sid"].to_numpy(), pick)]
    pairs = pairs.assign(key=rng.random(len(pairs))).sort_values(["sid", "key"], kind="stable")
    chosen = pairs.drop_duplicates("sid")
    canonical = inj.coh.subjects["subjid"].to_numpy(object)
    variant = pd.Series(
        id_variant(canonical[pick - inj.first_sid], inj.design.study, style), index=pick
    )
    for fi in np.unique(chosen["form"].to_numpy()):
        form = inj.design.forms[int(fi)]
        who = chosen.loc[chosen["form"].to_numpy() == fi, "sid"].to_numpy()
        at = (form_i == fi) & np.isin(sid, who)
        r = row[at]
        frame = inj.forms[form.oid]
        col = (
            np.array(frame[SUBJECT_KEY].to_numpy(), dtype=object)
            if SUBJECT_KEY in frame
            else np.full(len(frame), None, dtype=object)
        )
        new = variant.reindex(sid[at]).to_numpy(object)
        col[r] = new
        set_column(frame, SUBJECT_KEY, col)
        inj.add(
            kind,
            sid[at],
            form.oid,
            SUBJECT_FIELD,
            frame["_rid"].to_numpy(np.int64)[r],
            new,
            canonical[sid[at] - inj.first_sid],
            "subject id written in another format in this record (" + form.name + " form)",
        )
