"""Record- and visit-level defect kinds: visits removed, added, moved or relabelled, records
duplicated or marked not done, deaths left only in the AE log.

Each function applies one kind to the injector's forms and records what it did; they run
before the value-level kinds (:mod:`cdisc.synth.cells`) in the order :func:`inject` uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth import fmt, records
from cdisc.synth.defects import EVENT_FIELD, KEEP_WHEN_NOT_DONE, Injector, values
from cdisc.synth.records import set_column
from cdisc.synth.streams import stream
from cdisc.synth.subjects import day_to_date


def missing_visits(inj: Injector) -> None:
    """Remove every record of a few scheduled visits (not screening, dosing or the last)."""
    d = inj.design
    visits = inj.coh.visits
    final = [e for e in d.events if e.kind == "scheduled"][-1].oid
    banned = {"SCR", final} | {e.oid for e in d.events if {"EX", "RAND"} & set(e.forms)}
    ok = ~visits["ev"].isin(banned).to_numpy()
    pick = inj.select("missing_visit", ok, inj.rng("missing_visit"))
    gone = visits.iloc[pick]
    keys = inj.visit_key(gone["sid"].to_numpy(), gone["ev"].to_numpy())
    inj.removed = keys
    keep = {}
    for oid, frame in inj.forms.items():
        k = inj.visit_key(frame["_sid"].to_numpy(), frame["_ev"].to_numpy())
        keep[oid] = ~np.isin(k, keys) | (frame["_evrep"].to_numpy() != 0)
    inj.drop_rows(keep)
    listing = {e.oid: ", ".join(e.forms) for e in d.events}
    labels = {e.oid: e.label for e in d.events}
    ev = gone["ev"].to_numpy(object)
    date = fmt.iso_dates(gone["date"].to_numpy("datetime64[D]"))
    detail = (
        "scheduled visit "
        + ev
        + " ("
        + pd.Series(ev).map(labels).to_numpy(object)
        + ") planned around "
        + date
        + " did not take place; no "
        + pd.Series(ev).map(listing).to_numpy(object)
        + " records"
    )
    inj.add("missing_visit", gone["sid"].to_numpy(), "", "", -1, "", date, detail)


def deaths_only_as_ae(inj: Injector) -> None:
    """Drop the DD and DS records of some deaths, leaving only the fatal AE."""
    s = inj.coh.subjects
    died = s["died"].to_numpy(bool)
    pick = inj.select("death_only_as_ae", died, inj.rng("death_only_as_ae"))
    sids = s["sid"].to_numpy(np.int64)[pick]
    inj.drop_rows({o: ~inj.forms[o]["_sid"].isin(sids).to_numpy() for o in ("DD", "DS")})
    death = day_to_date(s["d1"].to_numpy()[pick], s["death_day"].to_numpy()[pick].astype(np.int64))
    date = fmt.iso_dates(death)
    inj.add(
        "death_only_as_ae",
        sids,
        "DD",
        "",
        -1,
        "",
        date,
        "death on " + date + " recorded only as an AE with outcome Fatal; no DD or DS record",
    )


def unscheduled_visits(inj: Injector) -> None:
    """Add an unscheduled visit (VS, HEMA, CHEM) for a few subjects."""
    d = inj.design
    s = inj.coh.subjects
    end = s["end_day"].to_numpy(np.int64)
    rng = inj.rng("unscheduled_visit")
    pick = inj.select("unscheduled_visit", end > 3, rng)
    day = 2 + np.floor(rng.random(len(pick)) * (end[pick] - 3)).astype(np.int64)
    rows = pd.DataFrame(
        {
            "sid": s["sid"].to_numpy(np.int64)[pick],
            "ev": "UNS",
            "evrep": 1,
            "day": day,
            "date": day_to_date(s["d1"].to_numpy()[pick], day),
        }
    )
    builders = {"VS": lambda r, g: records.vital_signs(d, inj.coh, r, g)}
    for oid in ("HEMA", "CHEM"):
        builders[oid] = lambda r, g, oid=oid: records.labs(d, inj.coh, r, g, oid)
    rids = {}
    for oid in d.event("UNS").forms:
        g = stream(inj.seed, inj.chunk, "unscheduled:" + oid)
        rids[oid] = inj.append_rows(oid, builders[oid](rows, g))
    # The visit date is what the defect points at: later kinds leave it alone.
    vs = inj.forms["VS"]
    inj.touch("VS", "VSDAT")[np.isin(vs["_rid"].to_numpy(), rids["VS"])] = True
    date = fmt.iso_dates(rows["date"].to_numpy("datetime64[D]"))
    inj.add(
        "unscheduled_visit",
        rows["sid"].to_numpy(),
        "VS",
        "VSDAT",
        rids["VS"],
        date,
        "",
        "unscheduled visit on study day "
        + fmt.integers(day)
        + " with "
        + ", ".join(d.event("UNS").forms)
        + " records",
    )


def duplicates(inj: Injector) -> None:
    """Enter some AE and lab records a second time (next record position)."""
    rng = inj.rng("duplicate_record")
    for oid in ("AE", "HEMA", "CHEM", "CYTO", "LYMPH"):
        if oid not in inj.forms:
            continue
        frame = inj.forms[oid]
        ok = (frame["_ev"] != "UNS").to_numpy()
        pick = inj.select("duplicate_record", ok, rng)
        if not len(pick):
            continue
        dup = frame.iloc[pick].copy()
        top = frame.groupby(["_sid", "_ev", "_evrep"])["_pos"].max()
        base = top.reindex(pd.MultiIndex.from_frame(dup[["_sid", "_ev", "_evrep"]])).to_numpy()
        dup["_pos"] = base + dup.groupby(["_sid", "_ev", "_evrep"]).cumcount().to_numpy() + 1
        orig = dup["_rid"].to_numpy()
        new = inj.append_rows(oid, dup.drop(columns="_rid"))
        inj.add(
            "duplicate_record",
            dup["_sid"].to_numpy(),
            oid,
            "",
            new,
            "",
            "",
            "duplicate of another record of this form",
            orig_rid=orig,
        )


def label_swaps(inj: Injector) -> None:
    """Swap the event labels of two visits with the same forms for a few subjects."""
    rng = inj.rng("visit_label_mismatch")
    for a, b in inj.design.swap_pairs:
        frames = {o: f for o, f in inj.forms.items() if o in inj.design.event(a).forms}
        vs = inj.forms["VS"]
        has_a = set(vs.loc[(vs["_ev"] == a) & (vs["_evrep"] == 0), "_sid"])
        has_b = set(vs.loc[(vs["_ev"] == b) & (vs["_evrep"] == 0), "_sid"])
        both = np.array(sorted(has_a & has_b), dtype=np.int64)
        pick = both[inj.select("visit_label_mismatch", np.ones(len(both), bool), rng)]
        for oid, frame in frames.items():
            ev = values(frame, "_ev")
            hit = (
                np.isin(frame["_sid"].to_numpy(), pick)
                & np.isin(ev, [a, b])
                & (frame["_evrep"].to_numpy() == 0)
            )
            new = np.where(ev == a, b, a)
            set_column(frame, "_ev", np.where(hit, new, ev))
            inj.add(
                "visit_label_mismatch",
                frame["_sid"].to_numpy()[hit],
                oid,
                EVENT_FIELD,
                frame["_rid"].to_numpy()[hit],
                new[hit],
                ev[hit],
                "visit " + ev[hit] + " filed under " + new[hit],
            )


def out_of_window(inj: Injector) -> None:
    """Move a few visits outside their window (all their visit dates move)."""
    d = inj.design
    rng = inj.rng("out_of_window")
    v = inj.coh.visits.sort_values(["sid", "day"], kind="stable").reset_index(drop=True)
    v = v.assign(prev=v.groupby("sid")["day"].shift(1), next=v.groupby("sid")["day"].shift(-1))
    ev = {e.oid: e for e in d.events}
    banned = {"SCR"} | {e.oid for e in d.events if {"EX", "RAND"} & set(e.forms)}
    lo_of = {o: e.lo for o, e in ev.items()}
    hi_of = {o: e.hi for o, e in ev.items()}
    lo = v["ev"].map(lo_of).to_numpy(float)
    hi = v["ev"].map(hi_of).to_numpy(float)
    late = hi + rng.integers(5, 26, len(v))
    early = lo - rng.integers(5, 26, len(v))
    end = (
        pd.Series(inj.coh.subjects["end_day"].to_numpy(), index=inj.coh.subjects["sid"])
        .reindex(v["sid"])
        .to_numpy()
    )
    nxt = np.fmin(v["next"].to_numpy(float), end)
    prv = np.nan_to_num(v["prev"].to_numpy(float), nan=1.0)
    late_ok = (late < nxt) & (late > 1)
    early_ok = (early > prv) & (early > 1)
    new_day = np.where(late_ok & ((rng.random(len(v)) < 0.5) | ~early_ok), late, early)
    ok = (late_ok | early_ok) & ~v["ev"].isin(banned).to_numpy()
    ok &= ~np.isin(inj.visit_key(v["sid"].to_numpy(), v["ev"].to_numpy()), inj.removed)
    pick = inj.select("out_of_window", ok, rng)
    chosen = v.iloc[pick]
    shift = pd.DataFrame(
        {
            "sid": chosen["sid"].to_numpy(),
            "ev": chosen["ev"].to_numpy(),
            "day": new_day[pick].astype(np.int64),
        }
    )
    d1 = pd.Series(inj.coh.subjects["d1"].to_numpy(), index=inj.coh.subjects["sid"])
    shift["date"] = fmt.iso_dates(
        day_to_date(d1.reindex(shift["sid"]).to_numpy(), shift["day"].to_numpy())
    )
    keys = inj.visit_key(shift["sid"].to_numpy(), shift["ev"].to_numpy())
    for oid, frame in inj.forms.items():
        field = d.form(oid).date_field
        if field is None:
            continue
        k = inj.visit_key(frame["_sid"].to_numpy(), values(frame, "_ev"))
        hit = np.isin(k, keys) & (frame["_evrep"].to_numpy() == 0)
        hit &= pd.notna(frame[field]).to_numpy()
        if not hit.any():
            continue
        where = pd.Series(np.arange(len(keys)), index=keys).reindex(k[hit]).to_numpy()
        old = values(frame, field)
        new = old.copy()
        new[hit] = shift["date"].to_numpy(object)[where]
        set_column(frame, field, new)
        inj.touch(oid, field)[hit] = True
        wlo = pd.Series(values(frame, "_ev")[hit]).map(lo_of).to_numpy(np.int64)
        whi = pd.Series(values(frame, "_ev")[hit]).map(hi_of).to_numpy(np.int64)
        inj.add(
            "out_of_window",
            frame["_sid"].to_numpy()[hit],
            oid,
            field,
            frame["_rid"].to_numpy()[hit],
            new[hit],
            old[hit],
            "visit "
            + values(frame, "_ev")[hit]
            + " on study day "
            + fmt.integers(shift["day"].to_numpy()[where])
            + ", window "
            + fmt.integers(wlo)
            + ".."
            + fmt.integers(whi),
        )


def not_done(inj: Injector) -> None:
    """Mark a few records not done (--PERF = No) and blank their results."""
    rng = inj.rng("perf_not_done")
    for form in inj.design.forms:
        if form.perf_field is None or form.oid not in inj.forms:
            continue
        frame = inj.forms[form.oid]
        ok = values(frame, form.perf_field) == "1"
        pick = inj.select("perf_not_done", ok, rng)
        if not len(pick):
            continue
        kept = {form.perf_field, form.date_field, *KEEP_WHEN_NOT_DONE}
        blanked = [f.name for f in form.fields if f.name not in kept]
        for name in blanked:
            col = values(frame, name)
            col[pick] = None
            set_column(frame, name, col)
            inj.touch(form.oid, name)[pick] = True
        perf = values(frame, form.perf_field)
        perf[pick] = "0"
        set_column(frame, form.perf_field, perf)
        inj.touch(form.oid, form.perf_field)[pick] = True
        inj.add(
            "perf_not_done",
            frame["_sid"].to_numpy()[pick],
            form.oid,
            form.perf_field,
            frame["_rid"].to_numpy()[pick],
            "0",
            "1",
            "marked not done; " + ", ".join(blanked) + " blank",
        )
