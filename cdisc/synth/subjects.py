"""Subject-level truth: who is enrolled where and when, the arm, and what happens to them.

Everything here is clean fact; the exports and ``ground_truth/subjects.csv`` are derived from it.
Event times come from a hazard model (days after Day 1):

- trial B (``sail``): index-limb major amputation ~ Weibull (shape 0.6, i.e. most amputations
  early; 20 % by 5 years on placebo, hazard ratio 0.70 on BM-MSC); death ~ exponential (17 % by 5
  years on placebo, HR 0.85) whose hazard rises 2.5-fold after a major amputation; rare
  contralateral major amputations (2 %); loss to follow-up (6 %) and withdrawal (4 %). These
  are **[proposal]** rates for no-option CLI in the ranges the brief asks for.
- trial A (``pmsc-cli``): no major amputation and no death (as reported), minor amputations
  only, rare withdrawal, 6-month follow-up.

Minor amputations (toe, ray, transmetatarsal) follow a Poisson process in both trials. Trial A's
dose cohorts are assigned in enrolment order, 4/9 of subjects to 20x10^6 (LOW) first and the rest
to 60x10^6 (HIGH): the 4/5 split of the paper was not retrievable, so it is a proposal.
Trial B uses permuted blocks of 4 within site (within each generation chunk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc.synth.design import Design, Event
from cdisc.synth.streams import stream

DAY = np.timedelta64(1, "D")

#: Study start and accrual period (days) per study.
_ACCRUAL = {"sail": ("2019-01-14", 900), "pmsc-cli": ("2021-05-01", 365)}

#: Major amputation levels (canonical CRF text) and their probabilities.
MAJOR_LEVELS = (
    ("Below-knee amputation", 0.62),
    ("Above-knee amputation", 0.32),
    ("Knee disarticulation", 0.06),
)
#: Minor amputation levels (distal to the ankle) and their probabilities.
MINOR_LEVELS = (
    ("Toe amputation", 0.55),
    ("Ray amputation", 0.25),
    ("Transmetatarsal amputation", 0.20),
)
AMP_REASONS = ("Gangrene", "Non-healing ulcer", "Infection", "Intractable rest pain")
DEATH_CAUSES = (
    ("Myocardial infarction", 0.2),
    ("Heart failure", 0.18),
    ("Sudden cardiac death", 0.1),
    ("Stroke", 0.1),
    ("Sepsis", 0.16),
    ("Pneumonia", 0.12),
    ("Renal failure", 0.06),
    ("Malignancy", 0.04),
    ("Unknown", 0.04),
)


@dataclass
class Cohort:
    """Clean subject facts for one chunk.

    ``subjects``: one row per subject. ``visits``: one row per scheduled visit that took place
    (``sid, ev, day, date``). ``amps``: one row per amputation (``sid, day, date, lat, level,
    major, reason``).
    """

    subjects: pd.DataFrame
    visits: pd.DataFrame
    amps: pd.DataFrame


def final_event(design: Design) -> Event:
    """The last scheduled event (end of follow-up)."""
    return [e for e in design.events if e.kind == "scheduled"][-1]


def day_to_date(d1: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Calendar date of study day ``day`` (Day 1 = ``d1``, no Day 0)."""
    day = np.asarray(day, dtype=np.int64)
    return d1 + np.where(day >= 1, day - 1, day) * DAY


def age_at(birth: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Completed years between two ``datetime64[D]`` arrays."""
    by = birth.astype("datetime64[Y]").astype(np.int64)
    wy = when.astype("datetime64[Y]").astype(np.int64)
    bdoy = (birth - birth.astype("datetime64[Y]")).astype(np.int64)
    wdoy = (when - when.astype("datetime64[Y]")).astype(np.int64)
    return wy - by - (wdoy < bdoy)


def _choice(rng: np.random.Generator, items: tuple, n: int) -> np.ndarray:
    names = np.array([i[0] for i in items], dtype=object)
    p = np.array([i[1] for i in items], dtype=float)
    return names[rng.choice(len(items), size=n, p=p / p.sum())]


def _weibull_time(rng, n, shape, cum5y, hr):
    """Event times with P(T <= 1826 d) = cum5y (times hazard ratio ``hr`` on the hazard)."""
    lam = 1826.0 / (-np.log1p(-cum5y)) ** (1.0 / shape)
    return lam * (rng.exponential(size=n) / hr) ** (1.0 / shape)


def _arms(design: Design, sids: np.ndarray, n_total: int, site: np.ndarray, rng) -> np.ndarray:
    """Arm index per subject (0 = first arm of the design)."""
    if design.study == "pmsc-cli":
        n_low = round(n_total * 4 / 9)
        return (sids >= n_low).astype(np.int64)
    # Permuted blocks of 4 within site: rank of each subject within its site in this chunk.
    order = np.lexsort((sids, site))
    ranks = np.empty(len(sids), dtype=np.int64)
    s_sorted = site[order]
    starts = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(sids)]))
    ranks[order] = np.arange(len(sids)) - run_start
    block = site * 100_000 + ranks // 4
    ublocks, binv = np.unique(block, return_inverse=True)
    perm = np.argsort(rng.random((len(ublocks), 4)), axis=1)
    return (perm[binv, ranks % 4] >= 2).astype(np.int64)


def make_cohort(design: Design, seed: int, chunk: int, sids: np.ndarray, n_total: int) -> Cohort:
    """Draw the clean facts of subjects ``sids`` (global indices) of a study of ``n_total``.

    Example: ``make_cohort(studies.sail(), 1, 0, np.arange(60), 60).subjects`` has 60 rows.
    """
    rng = stream(seed, chunk, "subjects")
    n = len(sids)
    sail = design.study == "sail"
    weights = np.array([0.4, 0.25, 0.2, 0.15])[: len(design.sites)]
    site = rng.choice(len(design.sites), size=n, p=weights / weights.sum())
    arm = _arms(design, sids, n_total, site, stream(seed, chunk, "randomisation"))
    width = max(3, len(str(n_total)))
    site_no = np.array([s.number for s in design.sites], dtype=object)[site]
    subjid = site_no + "-" + np.char.zfill((sids + 1).astype(str), width).astype(object)

    start, accrual = _ACCRUAL[design.study]
    offset = np.floor((sids + rng.random(n)) / n_total * accrual).astype(np.int64)
    consent = np.datetime64(start, "D") + offset * DAY
    scr = design.event("SCR")
    scr_day = np.clip(np.rint(rng.triangular(scr.lo, scr.day, scr.hi, n)), scr.lo, scr.hi)
    d1 = consent - scr_day.astype(np.int64) * DAY

    male = rng.random(n) < (0.70 if sail else 0.75)
    age_mu, age_sd, age_lo, age_hi = (71, 10, 40, 95) if sail else (62, 11, 35, 85)
    age_draw = np.clip(rng.normal(age_mu, age_sd, n), age_lo, age_hi)
    birth = consent - np.floor(age_draw * 365.25 + rng.integers(0, 365, n)).astype(np.int64) * DAY
    age = age_at(birth, consent)
    if sail:
        race = _choice(rng, (("5", 0.91), ("3", 0.03), ("2", 0.03), ("6", 0.02), ("2,5", 0.01)), n)
    else:
        race = _choice(rng, (("5", 0.6), ("6", 0.3), ("7", 0.1)), n)
    ethnic = np.where(rng.random(n) < 0.97, "2", "3").astype(object)
    diab = rng.random(n) < (0.45 if sail else 0.5)
    h_mu = np.where(male, 178.0 if sail else 172.0, 165.0 if sail else 159.0)
    height = np.clip(rng.normal(h_mu, 7.0), 140, 205)
    weight = np.clip(rng.normal(26.5, 4.2, n), 17, 45) * (height / 100) ** 2

    ruth0 = (
        rng.choice([4, 5], n, p=[0.55, 0.45])
        if sail
        else rng.choice([4, 5, 6], n, p=[0.45, 0.45, 0.10])
    )
    msc = arm == 0 if sail else np.zeros(n, dtype=bool)

    final = final_event(design)
    final_day = final.day + np.clip(
        np.rint(rng.normal(0, (final.hi - final.lo) / 6, n)),
        final.lo - final.day,
        final.hi - final.day,
    ).astype(np.int64)
    if sail:
        amp_t = _weibull_time(rng, n, 0.6, 0.20, np.where(msc, 0.70, 1.0))
        e_death = rng.exponential(size=n)
        h_death = -np.log1p(-0.17) / 1826.0 * np.where(msc, 0.85, 1.0)
        t0 = e_death / h_death
        death_t = np.where(amp_t < t0, amp_t + (e_death - h_death * amp_t) / (2.5 * h_death), t0)
        contra_t = _weibull_time(rng, n, 1.0, 0.02, 1.0)
        ltfu_t = _weibull_time(rng, n, 1.0, 0.06, 1.0)
        wd_t = _weibull_time(rng, n, 1.0, 0.04, 1.0)
    else:
        amp_t = death_t = contra_t = ltfu_t = np.full(n, np.inf)
        wd_t = _weibull_time(rng, n, 1.0, 0.15, 1.0)  # about 1.5 % within 6 months
    # Events happen on whole days after Day 1.
    amp_d, death_d, contra_d, ltfu_d, wd_d = (
        np.floor(t) + 2 for t in (amp_t, death_t, contra_t, ltfu_t, wd_t)
    )
    died = (death_d <= np.minimum(ltfu_d, wd_d)) & (death_d <= final_day)
    end_d = np.where(died, death_d, np.minimum.reduce([ltfu_d, wd_d, final_day + 1.0]))
    ds = np.select([died, ltfu_d == end_d, wd_d == end_d], ["2", "3", "4"], "1").astype(object)
    amp_obs = amp_d < end_d
    contra_obs = contra_d < end_d

    cause = np.where(died, _choice(rng, DEATH_CAUSES, n), None).astype(object)
    subjects = pd.DataFrame(
        {
            "sid": sids,
            "subjid": subjid,
            "site": site,
            "site_no": site_no,
            "arm": arm,
            "armcd": np.array([a.armcd for a in design.arms], dtype=object)[arm],
            "sex": np.where(male, "1", "2").astype(object),
            "race": race,
            "ethnic": ethnic,
            "birth": birth,
            "age": age,
            "consent": consent,
            "d1": d1,
            "diab": diab,
            "htn": rng.random(n) < 0.75,
            "cad": rng.random(n) < 0.35,
            "smoke": rng.choice(["1", "2", "3"], n, p=[0.3, 0.5, 0.2]).astype(object),
            "height": height,
            "weight": weight,
            "idx_lat": np.where(rng.random(n) < 0.5, "1", "2").astype(object),
            "ruth0": ruth0,
            "vas0": np.clip(rng.normal(58, 17, n), 15, 98),
            "msc": msc,
            "final_day": final_day,
            "end_day": end_d.astype(np.int64),
            "ds": ds,
            "died": died,
            "death_day": np.where(died, death_d, np.nan),
            "death_cause": cause,
            "amp_day": np.where(amp_obs, amp_d, np.nan),
            "contra_day": np.where(contra_obs, contra_d, np.nan),
            "kit": (sids * 7919 + seed * 104729) % 1_000_000,
            # Start of the injection session, minutes after midnight (both doses in trial A).
            "dose_min": rng.integers(9 * 60, 12 * 60, n),
        }
    )
    visits = _visits(design, subjects, stream(seed, chunk, "visits"))
    # A subject lost to follow-up is last seen at the last visit: nothing after it is known.
    last = visits.groupby("sid")["day"].max().reindex(sids).to_numpy()
    lost = ds == "3"
    end_d = np.where(lost, last + 1, end_d)
    subjects["end_day"] = end_d.astype(np.int64)
    subjects["amp_day"] = np.where(amp_d < end_d, amp_d, np.nan)
    subjects["contra_day"] = np.where(contra_d < end_d, contra_d, np.nan)
    amps = _amputations(design, subjects, stream(seed, chunk, "amputations"))
    return Cohort(subjects, visits, amps)


def _visits(design: Design, subj: pd.DataFrame, rng) -> pd.DataFrame:
    """Scheduled visits that took place: before the subject's end of study day."""
    rows = []
    n = len(subj)
    d1 = subj["d1"].to_numpy()
    consent = subj["consent"].to_numpy()
    end = subj["end_day"].to_numpy()
    final = subj["final_day"].to_numpy()
    last = final_event(design).oid
    prev = np.full(n, -10_000, dtype=np.int64)
    for i, ev in enumerate(design.events):
        if ev.kind != "scheduled":
            continue
        if ev.oid == "SCR":
            dates = consent
            day = ((consent - d1) / DAY).astype(np.int64)
        else:
            jitter = np.rint(rng.normal(0, max(ev.hi - ev.lo, 1) / 6, n)).astype(np.int64)
            day = np.clip(ev.day + jitter, ev.lo, ev.hi)
            if ev.oid == last:
                day = final
            if ev.lo != ev.hi:
                # Visits keep their order (baseline after screening, day 2 after day 1).
                day = np.maximum(day, prev + 1)
            day = np.where(day == 0, 1, day)
            dates = day_to_date(d1, day)
        prev = day
        took_place = (day < end) | (day <= 1)
        rows.append(
            pd.DataFrame(
                {
                    "sid": subj["sid"].to_numpy()[took_place],
                    "ev": ev.oid,
                    "ev_i": i,
                    "day": day[took_place],
                    "date": dates[took_place],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _amputations(design: Design, subj: pd.DataFrame, rng) -> pd.DataFrame:
    """Major (index or contralateral) and minor amputations observed before end of study."""
    n = len(subj)
    sid = subj["sid"].to_numpy()
    idx = subj["idx_lat"].to_numpy()
    other = np.where(idx == "1", "2", "1").astype(object)
    end = subj["end_day"].to_numpy().astype(float)
    amp = subj["amp_day"].to_numpy()
    contra = subj["contra_day"].to_numpy()
    parts = []
    has = ~np.isnan(amp)
    parts.append(
        pd.DataFrame(
            {
                "sid": sid[has],
                "day": amp[has],
                "lat": idx[has],
                "level": _choice(rng, MAJOR_LEVELS, int(has.sum())),
                "major": True,
            }
        )
    )
    has = ~np.isnan(contra)
    parts.append(
        pd.DataFrame(
            {
                "sid": sid[has],
                "day": contra[has],
                "lat": other[has],
                "level": _choice(rng, MAJOR_LEVELS, int(has.sum())),
                "major": True,
            }
        )
    )
    # Minor amputations: Poisson count, uniform times before the end of study (and before an
    # index major amputation, after which the foot no longer exists).
    horizon = np.minimum(np.minimum(end - 1, np.nan_to_num(amp, nan=np.inf) - 1), 730.0)
    # Expected minor amputations: 0.35 per subject over two years (B), 0.4 over six months (A).
    per_day = 0.35 / 730.0 if design.study == "sail" else 0.4 / 181.0
    count = rng.poisson(per_day * np.clip(horizon, 0, None))
    count = np.where(horizon > 2, count, 0)
    rep = np.repeat(np.arange(n), count)
    days = np.floor(2 + rng.random(len(rep)) * (horizon[rep] - 2))
    lat = np.where(rng.random(len(rep)) < 0.85, idx[rep], other[rep]).astype(object)
    # No minor amputation on a limb that already lost its foot.
    lost = (lat == other[rep]) & (days >= np.nan_to_num(contra[rep], nan=np.inf))
    parts.append(
        pd.DataFrame(
            {
                "sid": sid[rep][~lost],
                "day": days[~lost],
                "lat": lat[~lost],
                "level": _choice(rng, MINOR_LEVELS, len(rep))[~lost],
                "major": False,
            }
        )
    )
    amps = pd.concat(parts, ignore_index=True)
    amps["day"] = amps["day"].astype(np.int64)
    amps["reason"] = np.array(AMP_REASONS, dtype=object)[
        rng.choice(len(AMP_REASONS), len(amps), p=[0.45, 0.3, 0.2, 0.05])
    ]
    d1 = subj.set_index("sid")["d1"].reindex(amps["sid"]).to_numpy()
    amps["date"] = day_to_date(d1, amps["day"].to_numpy())
    return amps.sort_values(["sid", "day", "major"], kind="stable").reset_index(drop=True)
