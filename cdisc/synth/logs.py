"""Subject-level and log forms of one chunk: consent, demographics, history, allocation,
exposure, adverse events, amputations, death and end of study.

Coherence rules kept here: the fatal AE of a subject who died ends on the death date with
outcome Fatal; every amputation has a serious AE that led to it; no AE starts after the end of
study; AEs still open at the end of study are ongoing (no end date); every subject has exactly
one end-of-study record, whose date is the death date, the last visit, or the withdrawal date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.design import Design
from cdisc.synth.records import complete, form_frame
from cdisc.synth.subjects import DAY, Cohort, day_to_date

#: Background adverse events: term, probability of being serious, weight.
AE_TERMS = (
    ("Wound infection", 0.3, 8),
    ("Cellulitis", 0.4, 6),
    ("Pain in extremity", 0.05, 8),
    ("Peripheral oedema", 0.02, 5),
    ("Anaemia", 0.1, 4),
    ("Urinary tract infection", 0.1, 4),
    ("Pneumonia", 0.7, 3),
    ("Atrial fibrillation", 0.3, 3),
    ("Cardiac failure", 0.7, 3),
    ("Hypoglycaemia", 0.1, 3),
    ("Fall", 0.1, 4),
    ("Acute kidney injury", 0.5, 2),
    ("Nausea", 0.0, 4),
    ("Dizziness", 0.0, 4),
    ("Osteomyelitis", 0.8, 2),
    ("Hypertension", 0.0, 3),
    ("Constipation", 0.0, 3),
    ("Headache", 0.0, 3),
    ("Skin ulcer", 0.2, 4),
    ("Diarrhoea", 0.0, 3),
    ("Gout", 0.0, 2),
    ("COVID-19", 0.2, 2),
)
#: Serious AE leading to an amputation, by indication.
AMP_AE = {
    "Gangrene": "Gangrene",
    "Non-healing ulcer": "Skin ulcer",
    "Infection": "Diabetic foot infection",
    "Intractable rest pain": "Critical limb ischaemia",
}
AE_COMMENTS = np.array(
    [
        "Treated with antibiotics",
        "Hospitalised, IV antibiotics given",
        "Resolved without treatment",
        "See discharge letter; wound care by home nurse",
        "Seen by vascular surgeon, no change to study follow-up",
        # Free text as Dutch sites type it, accented names included (non-ASCII in clean data).
        "Patiënt verwezen naar de wondpoli",
        "Seen by Dr. Özdemir (dermatology), topical treatment",
    ],
    dtype=object,
)


def _iso(d: np.ndarray) -> np.ndarray:
    return fmt.iso_dates(np.asarray(d, dtype="datetime64[D]"))


def _subject_rows(coh: Cohort, ev: str | np.ndarray) -> pd.DataFrame:
    s = coh.subjects
    return pd.DataFrame({"sid": s["sid"].to_numpy(np.int64), "ev": ev, "evrep": 0})


def consent(design: Design, coh: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """IC: consent obtained on the screening date."""
    s = coh.subjects
    fields = {"ICYN": "1", "ICDAT": _iso(s["consent"].to_numpy())}
    return complete(design.form("IC"), form_frame(_subject_rows(coh, "SCR"), 0, fields))


def demographics(design: Design, coh: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """DM: birth date, age at consent, sex, race (multi-choice codes joined by ','), ethnicity."""
    s = coh.subjects
    fields = {
        "BRTHDAT": _iso(s["birth"].to_numpy()),
        "AGE": fmt.integers(s["age"].to_numpy()),
        "SEX": s["sex"].to_numpy(object),
        "RACE": s["race"].to_numpy(object),
        "ETHNIC": s["ethnic"].to_numpy(object),
    }
    return complete(design.form("DM"), form_frame(_subject_rows(coh, "SCR"), 0, fields))


def history(design: Design, coh: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """MH: diabetes, hypertension, coronary disease, smoking."""
    s = coh.subjects

    def yn(col: str) -> np.ndarray:
        return np.where(s[col].to_numpy(bool), "1", "0")

    fields = {
        "DIABYN": yn("diab"),
        "HTNYN": yn("htn"),
        "CADYN": yn("cad"),
        "SMOKE": s["smoke"].to_numpy(object),
    }
    return complete(design.form("MH"), form_frame(_subject_rows(coh, "SCR"), 0, fields))


def allocation(design: Design, coh: Cohort, visits: pd.DataFrame, n_total: int) -> dict:
    """RAND + UNBLIND (trial B, blinded kit numbers) or COHORT (trial A, open label)."""
    s = coh.subjects
    sid = s["sid"].to_numpy(np.int64)
    kit = "K" + fmt.zpad(s["kit"].to_numpy(np.int64), 6)
    if design.study == "sail":
        bl = visits[visits["ev"] == "BL"].set_index("sid")["date"].reindex(sid).to_numpy()
        width = max(4, len(str(n_total)))
        randno = "R" + np.char.zfill((sid + 1).astype(str), width).astype(object)
        rand = form_frame(
            _subject_rows(coh, "BL"), 0, {"RANDDAT": _iso(bl), "RANDNO": randno, "KITNO": kit}
        )
        unbl = form_frame(
            _subject_rows(coh, "EOS"), 0, {"KITNO": kit, "ARMCD": s["armcd"].to_numpy(object)}
        )
        return {
            "RAND": complete(design.form("RAND"), rand),
            "UNBLIND": complete(design.form("UNBLIND"), unbl),
        }
    scr = s["consent"].to_numpy() + np.minimum(2, (s["d1"] - s["consent"]).dt.days - 1) * DAY
    coh_frame = form_frame(
        _subject_rows(coh, "SCR"), 0, {"ENRLDAT": _iso(scr), "ARMCD": s["armcd"].to_numpy(object)}
    )
    return {"COHORT": complete(design.form("COHORT"), coh_frame)}


def exposure(
    design: Design, coh: Cohort, visits: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """EX: one record per administration session (B: one session of 30 injections)."""
    events = [e.oid for e in design.events if "EX" in e.forms]
    rows = visits[visits["ev"].isin(events)].reset_index(drop=True).assign(evrep=0)
    n = len(rows)
    first = int(coh.subjects["sid"].iloc[0])
    s = rows["sid"].to_numpy(np.int64) - first
    start = coh.subjects["dose_min"].to_numpy(np.int64)[s] + np.where(
        rows["ev"].to_numpy() == "M2", 15, 0
    )
    if design.study == "sail":
        dose, sites, volume = np.full(n, 150.0), 30, 30.0
    else:
        dose, sites, volume = np.where(coh.subjects["arm"].to_numpy()[s] == 0, 20.0, 60.0), 20, 20.0
    fields = {
        "ECYN": "1",
        "ECSTDAT": _iso(rows["date"].to_numpy()),
        "ECSTTIM": fmt.hhmm(start),
        "ECENTIM": fmt.hhmm(start + rng.integers(20, 46, n)),
        "ECDOSE": fmt.fixed(dose),
        "ECDOSU": "10^6 cells",
        "ECINJN": str(sites),
        "ECVOL": fmt.fixed(np.full(n, volume), 1),
        "ECROUTE": "1",
        "ECLOC": "Lower leg (calf muscles)",
        "ECLAT": coh.subjects["idx_lat"].to_numpy(object)[s],
    }
    return complete(design.form("EX"), form_frame(rows, 0, fields))


def _pick(rng: np.random.Generator, items, n):
    w = np.array([i[2] for i in items], float)
    return rng.choice(len(items), n, p=w / w.sum())


def adverse_events(
    design: Design, coh: Cohort, visits: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """AE log: background AEs, injection-site reactions, amputation SAEs and fatal AEs."""
    s = coh.subjects
    first = int(s["sid"].iloc[0])
    end = s["end_day"].to_numpy(np.int64)
    sid = s["sid"].to_numpy(np.int64)
    sail = design.study == "sail"
    # Background AEs: 1.2/year in the first year, 0.4/year after (B); 2 per 6 months (A).
    horizon = np.maximum(end - 2, 0)
    if sail:
        y1 = np.minimum(horizon, 364)
        n1 = rng.poisson(1.2 * y1 / 365)
        n2 = rng.poisson(0.4 * np.maximum(horizon - 364, 0) / 365)
        r1 = np.repeat(np.arange(len(s)), n1)
        r2 = np.repeat(np.arange(len(s)), n2)
        d1 = 2 + np.floor(rng.random(len(r1)) * y1[r1])
        d2 = 366 + np.floor(rng.random(len(r2)) * (horizon[r2] - 364))
        rows_i = np.r_[r1, r2]
        start = np.r_[d1, d2]
    else:
        nn = rng.poisson(2.0 * horizon / 181)
        rows_i = np.repeat(np.arange(len(s)), nn)
        start = 2 + np.floor(rng.random(len(rows_i)) * horizon[rows_i])
    term_i = _pick(rng, AE_TERMS, len(rows_i))
    bg = pd.DataFrame(
        {
            "i": rows_i,
            "start": start,
            "term": np.array([t[0] for t in AE_TERMS], dtype=object)[term_i],
            "serious": rng.random(len(rows_i)) < np.array([t[1] for t in AE_TERMS])[term_i],
            "dur": np.ceil(np.exp(rng.normal(np.log(10), 0.9, len(rows_i)))),
            "kind": "bg",
        }
    )
    # Injection-site reactions on the day of (each) administration.
    ex_days = visits[visits["ev"].isin([e.oid for e in design.events if "EX" in e.forms])]
    ex_i = ex_days["sid"].to_numpy(np.int64) - first
    pain = rng.random(len(ex_i)) < 0.3
    haem = rng.random(len(ex_i)) < 0.12
    inj_i = np.r_[ex_i[pain], ex_i[haem]]
    inj = pd.DataFrame(
        {
            "i": inj_i,
            "start": np.r_[ex_days["day"].to_numpy()[pain], ex_days["day"].to_numpy()[haem]]
            + rng.integers(0, 2, len(inj_i)),
            "term": np.r_[
                np.full(pain.sum(), "Injection site pain", object),
                np.full(haem.sum(), "Injection site haematoma", object),
            ],
            "serious": False,
            "dur": rng.integers(1, 8, len(inj_i)).astype(float),
            "kind": "inj",
        }
    )
    # Serious AE that led to each amputation.
    a = coh.amps
    amp = pd.DataFrame(
        {
            "i": a["sid"].to_numpy(np.int64) - first,
            "start": np.maximum(2, a["day"].to_numpy() - rng.integers(1, 22, len(a))),
            "term": a["reason"].map(AMP_AE).to_numpy(object),
            "serious": True,
            "dur": rng.integers(25, 50, len(a)).astype(float),
            "kind": "amp",
        }
    )
    # Fatal AE: the cause of death, ending on the death date.
    died = s["died"].to_numpy(bool)
    death = s["death_day"].to_numpy()
    dterm = s["death_cause"].to_numpy(object)[died]
    dterm = np.where(dterm == "Unknown", "Death (cause unknown)", dterm)
    fstart = np.maximum(2, death[died] - rng.integers(0, 15, died.sum()))
    fatal = pd.DataFrame(
        {
            "i": np.flatnonzero(died),
            "start": fstart,
            "term": dterm,
            "serious": True,
            "dur": death[died] - fstart,
            "kind": "fatal",
        }
    )
    ae = pd.concat([bg, inj, amp, fatal], ignore_index=True)
    ae = ae[ae["start"] < np.where(ae["kind"] == "fatal", np.inf, end[ae["i"]])]
    ae = ae.sort_values(["i", "start", "kind"], kind="stable").reset_index(drop=True)
    n = len(ae)
    i = ae["i"].to_numpy(np.int64)
    st = ae["start"].to_numpy(np.int64)
    en = st + ae["dur"].to_numpy(np.int64)
    is_fatal = (ae["kind"] == "fatal").to_numpy()
    ongoing = (en >= end[i]) & ~is_fatal
    en = np.where(is_fatal, death[i], en)
    d1 = s["d1"].to_numpy()[i]
    serious = ae["serious"].to_numpy(bool)
    sev = np.where(
        is_fatal | (ae["kind"] == "amp").to_numpy(),
        "3",
        np.where(
            serious,
            rng.choice(["2", "3"], n, p=[0.6, 0.4]),
            rng.choice(["1", "2"], n, p=[0.7, 0.3]),
        ),
    )
    inj_mask = (ae["kind"] == "inj").to_numpy()
    rel = np.where(
        inj_mask,
        rng.choice(["3", "4", "5"], n, p=[0.4, 0.4, 0.2]),
        rng.choice(["1", "2", "3"], n, p=[0.6, 0.3, 0.1]),
    )
    # One session (B): only AEs of Day 1 can have "dose not changed"; later ones have no dose
    # to act on. Two doses (A): AEs before the second dose did not stop it (every subject on
    # study at month 2 gets it), later ones are "not applicable".
    last_dose = ex_days.groupby("sid")["day"].max().reindex(sid).to_numpy()[i]
    acn = np.where(st <= np.nan_to_num(last_dose, nan=1), "1", "3")
    outcome = np.select(
        [is_fatal, ongoing, (ae["kind"] == "amp").to_numpy()],
        ["5", "3", "4"],
        np.where(rng.random(n) < 0.95, "1", "2"),
    )

    def crit(flag: np.ndarray) -> np.ndarray:
        return np.where(serious, np.where(flag, "1", "0"), None)

    hosp = ~is_fatal | (rng.random(n) < 0.5)
    fields = {
        "AETERM": ae["term"].to_numpy(object),
        "AESTDAT": _iso(day_to_date(d1, st)),
        "AEENDAT": np.where(ongoing, None, _iso(day_to_date(d1, en))),
        "AEONGO": np.where(ongoing, "1", "0"),
        "AESEV": sev,
        "AESER": np.where(serious, "1", "0"),
        "AESDTH": crit(is_fatal),
        "AESLIFE": crit(rng.random(n) < 0.1),
        "AESHOSP": crit(hosp),
        "AESDISAB": crit((ae["kind"] == "amp").to_numpy()),
        "AESCONG": crit(np.zeros(n, bool)),
        "AESMIE": crit(rng.random(n) < 0.1),
        "AEREL": rel,
        "AEACN": acn,
        "AEOUT": outcome,
        "AECOM": np.where(
            rng.random(n) < 0.15, AE_COMMENTS[rng.integers(0, len(AE_COMMENTS), n)], None
        ),
    }
    rows = pd.DataFrame({"sid": sid[i], "ev": "LOG", "evrep": 0})
    pos = ae.groupby("i").cumcount().to_numpy() + 1
    return complete(design.form("AE"), form_frame(rows, pos, fields))


def amputations(design: Design, coh: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """AMP log: date, side, level (canonical free text) and indication of every amputation."""
    a = coh.amps
    rows = pd.DataFrame({"sid": a["sid"].to_numpy(np.int64), "ev": "LOG", "evrep": 0})
    fields = {
        "AMPDAT": _iso(a["date"].to_numpy()),
        "AMPLAT": a["lat"].to_numpy(object),
        "AMPLEV": a["level"].to_numpy(object),
        "AMPREAS": a["reason"].to_numpy(object),
    }
    pos = a.groupby("sid").cumcount().to_numpy() + 1
    return complete(design.form("AMP"), form_frame(rows, pos, fields))


def end_of_study(
    design: Design, coh: Cohort, visits: pd.DataFrame, rng: np.random.Generator
) -> dict:
    """DS for every subject, DD for those who died."""
    s = coh.subjects
    sid = s["sid"].to_numpy(np.int64)
    d1 = s["d1"].to_numpy()
    last = visits.groupby("sid")["date"].max().reindex(sid).to_numpy()
    ds = s["ds"].to_numpy(object)
    died = s["died"].to_numpy(bool)
    death_date = day_to_date(d1, np.nan_to_num(s["death_day"].to_numpy(), nan=1).astype(np.int64))
    wd_date = day_to_date(d1, s["end_day"].to_numpy(np.int64))
    date = np.where(ds == "2", death_date, np.where(ds == "4", wd_date, last))
    reason = np.select(
        [ds == "3", ds == "4"],
        [
            "No contact after repeated attempts by phone and letter",
            "Withdrew consent for further visits",
        ],
        None,
    )
    dsf = form_frame(
        _subject_rows(coh, "EOS"), 0, {"DSSTDAT": _iso(date), "DSDECOD": ds, "DSREAS": reason}
    )
    dd_rows = pd.DataFrame({"sid": sid[died], "ev": "EOS", "evrep": 0})
    dd = form_frame(
        dd_rows,
        0,
        {"DTHDAT": _iso(death_date[died]), "DTHCAUS": s["death_cause"].to_numpy(object)[died]},
    )
    return {"DS": complete(design.form("DS"), dsf), "DD": complete(design.form("DD"), dd)}
