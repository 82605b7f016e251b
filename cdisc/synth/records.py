"""Visit-based assessments of one chunk: vital signs, labs, limb pressures, limb status, pain,
walking, EQ-5D-5L, SF-36 and follow-up contacts.

Every builder takes the visit rows it should fill (``sid, ev, evrep, day, date``), the cohort and
a random generator, and returns a canonical form frame: key columns ``_sid, _ev, _evrep, _pos``
then one text column per field (missing = NA). Numbers are drawn on the clinical scale and
formatted once, with :mod:`cdisc.synth.fmt`.

Time courses (days after Day 1, ``t``; effects ramp up linearly to month 6):

- rest-pain VAS falls by 45 % on BM-MSC and 30 % on placebo (B), 50 % in both cohorts (A);
- Rutherford improves by ~0.6 category on BM-MSC, 0.3 on placebo, and worsens before a
  major amputation; ankle pressures of the index limb rise slightly on MSC;
- trial A: IL-1 and IFN-gamma fall by ~60 % over 6 months, TNF and IL-6 by ~30 %, IL-10 rises
  (trials.md 1A and its Fig. 1); lymphocyte subsets stay flat. Trial B: IL-6 and TNF fall ~20 %
  on MSC only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth import fmt
from cdisc.synth.design import Design, Form
from cdisc.synth.forms import HEMA_TESTS, LYMPH_TESTS, LabTest
from cdisc.synth.subjects import Cohort

KEYS = ("_sid", "_ev", "_evrep", "_pos")


def form_frame(
    rows: pd.DataFrame, pos: np.ndarray | int, fields: dict[str, object]
) -> pd.DataFrame:
    """Canonical frame: keys from ``rows`` (``sid, ev, evrep``) plus field columns."""
    n = len(rows)
    data: dict[str, object] = {
        "_sid": rows["sid"].to_numpy(np.int64),
        "_ev": pd.Series(rows["ev"].to_numpy(object), dtype=object),
        "_evrep": rows["evrep"].to_numpy(np.int64) if "evrep" in rows else np.zeros(n, np.int64),
        "_pos": np.broadcast_to(np.asarray(pos, dtype=np.int64), (n,)).copy(),
    }
    for name, v in fields.items():
        arr = (
            np.broadcast_to(np.asarray(v, dtype=object), (n,)).copy() if n else np.empty(0, object)
        )
        data[name] = pd.Series(arr, dtype=object)
    return pd.DataFrame(data)


def set_column(frame: pd.DataFrame, name: str, column: np.ndarray) -> None:
    """Store a text column as ``object`` (``None`` = missing), avoiding pandas' str inference."""
    frame[name] = pd.Series(np.asarray(column, dtype=object), dtype=object, index=frame.index)


def complete(form: Form, frame: pd.DataFrame) -> pd.DataFrame:
    """Add the form's fields the builder left out (always missing), in design order.

    Field columns are ``object`` arrays of ``str`` with ``None`` for missing.
    """
    for f in form.fields:
        if f.name not in frame:
            set_column(frame, f.name, np.full(len(frame), None, dtype=object))
    return frame[[*KEYS, *(f.name for f in form.fields)]]


def rows_for(design: Design, visits: pd.DataFrame, form: str) -> pd.DataFrame:
    """Visits at which ``form`` is scheduled."""
    events = [e.oid for e in design.events if form in e.forms and e.kind == "scheduled"]
    out = visits[visits["ev"].isin(events)].reset_index(drop=True)
    if "evrep" not in out:
        out["evrep"] = 0
    return out


def _subj(coh: Cohort, rows: pd.DataFrame, col: str) -> np.ndarray:
    """Subject attribute ``col`` aligned to ``rows`` (subjects of a chunk are contiguous)."""
    first = int(coh.subjects["sid"].iloc[0])
    return coh.subjects[col].to_numpy()[rows["sid"].to_numpy(np.int64) - first]


def _ramp(day: np.ndarray, full: float = 183.0) -> np.ndarray:
    """0 before treatment, rising linearly to 1 at ``full`` days."""
    return np.clip((np.asarray(day, float) - 1.0) / full, 0.0, 1.0)


def _minutes(rng: np.random.Generator, n, lo=8 * 60, hi=16 * 60) -> np.ndarray:
    return rng.integers(lo, hi, n)


def vital_signs(
    design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """VS: one record per visit, or one per planned time point around a dose."""
    form = design.form("VS")
    tpts: dict[str, tuple[str, ...]] = design.extra.get("vs_tpt", {})  # type: ignore[assignment]
    counts = rows["ev"].map({e: len(ts) for e, ts in tpts.items()}).fillna(1)
    counts = counts.to_numpy(np.int64)
    rep = np.repeat(np.arange(len(rows)), counts)
    r = rows.iloc[rep].reset_index(drop=True)
    pos = np.arange(len(r)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    tpt = np.full(len(r), None, dtype=object)
    ev = r["ev"].to_numpy(object)
    for e, ts in tpts.items():
        at = ev == e
        tpt[at] = np.array(ts, dtype=object)[pos[at] - 1]
    n = len(r)
    ns = len(coh.subjects)
    sbp0 = rng.normal(142, 16, ns)
    dbp0 = rng.normal(76, 9, ns)
    pul0 = rng.normal(74, 10, ns)
    tmp0 = rng.normal(36.7, 0.15, ns)
    first = int(coh.subjects["sid"].iloc[0])
    s = r["sid"].to_numpy(np.int64) - first
    post = np.isin(tpt, ["POST-DOSE", "30 MIN POST", "2 H POST"])
    # Time points around a dose follow the injection session (which lasts 20-45 min); other
    # visits are measured some time during clinic hours.
    dose = _subj(coh, r, "dose_min") + np.where(r["ev"].to_numpy() == "M2", 15, 0)
    offset = np.select(
        [tpt == "PRE-DOSE", tpt == "30 MIN POST", tpt == "2 H POST", tpt == "POST-DOSE"],
        [-25, 75, 165, 90],
        0,
    )
    clock = np.where(pd.notna(tpt), dose + offset, _minutes(rng, n, 8 * 60, 16 * 60))
    screening = (r["ev"] == "SCR").to_numpy()
    height = np.where(screening, _subj(coh, r, "height"), np.nan)
    weight = np.where(screening, _subj(coh, r, "weight"), np.nan)
    fields = {
        "VSPERF": "1",
        "VSDAT": fmt.iso_dates(r["date"].to_numpy("datetime64[D]")),
        "VSTIM": fmt.hhmm(clock),
        "VSTPT": tpt,
        "SYSBP": fmt.fixed(sbp0[s] + rng.normal(0, 9, n) - 4 * post),
        "DIABP": fmt.fixed(dbp0[s] + rng.normal(0, 6, n) - 2 * post),
        "PULSE": fmt.fixed(np.clip(pul0[s] + rng.normal(0, 7, n), 40, 140)),
        "TEMP": fmt.fixed(tmp0[s] + rng.normal(0, 0.25, n), 1),
        "TEMPU": "C",
        "WEIGHT": fmt.fixed(weight, 1),
        "WEIGHTU": np.where(screening, "kg", None),
        "HEIGHT": fmt.fixed(height),
        "HEIGHTU": np.where(screening, "cm", None),
    }
    return complete(form, form_frame(r, pos, fields))


def _cyto_trend(study: str, code: str, day: np.ndarray, msc: np.ndarray) -> np.ndarray:
    ramp = _ramp(day, 180.0)
    if study == "pmsc-cli":
        slope = {"INTLK1": -0.9, "IFNG": -0.9, "TNF": -0.35, "INTLK6": -0.35, "INTLK10": 0.3}
        return np.exp(slope.get(code, 0.0) * ramp)
    slope = {"TNF": -0.22, "INTLK6": -0.22, "INTLK10": 0.1}
    return np.exp(slope.get(code, 0.0) * ramp * msc)


def labs(
    design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator, form_oid: str
) -> pd.DataFrame:
    """A lab panel (HEMA, CHEM, CYTO or LYMPH): one record per draw, one result per analyte."""
    form = design.form(form_oid)
    tests: tuple[LabTest, ...] = {
        "HEMA": HEMA_TESTS,
        "LYMPH": LYMPH_TESTS,
        "CHEM": design.extra["chem"],
        "CYTO": design.extra["cyto"],
    }[form_oid]  # type: ignore[assignment]
    n = len(rows)
    ns = len(coh.subjects)
    first = int(coh.subjects["sid"].iloc[0])
    s = rows["sid"].to_numpy(np.int64) - first
    day = rows["day"].to_numpy(np.int64)
    diab = coh.subjects["diab"].to_numpy()
    msc = _subj(coh, rows, "msc")
    fields: dict[str, object] = {
        "LBPERF": "1",
        "LBDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]")),
        "LBTIM": fmt.hhmm(_minutes(rng, n, 7 * 60 + 30, 12 * 60)),
    }
    for t in tests:
        median = np.full(ns, t.median)
        if t.code in ("HBA1C", "GLUC"):
            # Diabetic subjects run higher; trial A excluded HbA1c > 7 % at screening.
            median = median * np.where(diab, 1.12, 0.9)
        subject = median * np.exp(t.between * rng.standard_normal(ns))
        value = subject[s] * np.exp(t.within * rng.standard_normal(n))
        if form_oid == "CYTO":
            value = value * _cyto_trend(design.study, t.code, day, msc)
        value = np.clip(value, t.lo, t.hi)
        if t.code == "HBA1C" and design.study == "pmsc-cli":
            value = np.where(rows["ev"].to_numpy() == "SCR", np.minimum(value, 7.0), value)
        fields[f"{t.code}_ORRES"] = fmt.fixed(value, t.decimals)
        fields[f"{t.code}_ORRESU"] = t.unit
    return complete(form, form_frame(rows, 1, fields))


def pressures(
    design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """ABI form: one record per leg (brachial, ankle PT/DP and great-toe systolic pressures).

    ABI and TBI are not collected; they derive from these pressures (trials.md 3.4). A leg that
    has lost its foot to a major amputation has no record from then on.
    """
    form = design.form("ABI")
    ns = len(coh.subjects)
    first = int(coh.subjects["sid"].iloc[0])
    br_l = rng.normal(145, 18, ns)
    br_r = br_l + rng.normal(0, 7, ns)
    abi_i = np.clip(rng.normal(0.38, 0.12, ns), 0.05, 0.58)
    tbi_i = np.clip(rng.normal(0.17, 0.07, ns), 0.0, 0.40)
    # The index limb is the more ischaemic leg: the other one is clearly better perfused.
    abi_c = np.maximum(np.clip(rng.normal(0.78, 0.17, ns), 0.35, 1.25), abi_i + 0.15)
    tbi_c = np.maximum(np.clip(rng.normal(0.45, 0.15, ns), 0.10, 0.90), tbi_i + 0.1)
    r = rows.loc[rows.index.repeat(2)].reset_index(drop=True)
    n = len(r)
    s = r["sid"].to_numpy(np.int64) - first
    left = np.tile([True, False], len(rows))
    idx_lat = _subj(coh, r, "idx_lat")
    lat = np.where(left, "1", "2").astype(object)
    index_leg = lat == idx_lat
    day = r["day"].to_numpy(np.int64)
    gone = np.where(index_leg, _subj(coh, r, "amp_day"), _subj(coh, r, "contra_day"))
    keep = ~(day >= np.nan_to_num(gone, nan=np.inf))
    gain = np.where(design.study == "sail", np.where(_subj(coh, r, "msc"), 0.06, 0.02), 0.05)
    abi = np.where(index_leg, abi_i[s] + gain * _ramp(day), abi_c[s])
    tbi = np.where(index_leg, tbi_i[s] + gain * 0.5 * _ramp(day), tbi_c[s])
    bl = br_l[s] + rng.normal(0, 6, n)
    br = br_r[s] + rng.normal(0, 6, n)
    top = np.maximum(bl, br)
    # SAIL enrolled index limbs with ABI < 0.6 (trials.md 1B): keep pre-treatment ratios below.
    ceiling = np.where(index_leg & (day <= 1) & (design.study == "sail"), 0.59, 1.35)
    pt = np.clip(abi + rng.normal(0, 0.05, n), 0.0, ceiling) * top
    dp = np.clip(abi + rng.normal(0, 0.05, n), 0.0, ceiling) * top
    toe = np.clip(tbi * top + rng.normal(0, 4, n), 0.0, None)
    fields = {
        "ABIPERF": "1",
        "ABIDAT": fmt.iso_dates(r["date"].to_numpy("datetime64[D]")),
        "ABILAT": lat,
        "BRACHSYS": fmt.fixed(np.where(left, bl, br)),
        "PTSYS": fmt.fixed(pt),
        "DPSYS": fmt.fixed(dp),
        "TOESYS": fmt.fixed(toe),
    }
    frame = form_frame(r, np.where(left, 1, 2), fields)[keep].reset_index(drop=True)
    # Renumber record positions after dropping amputated legs.
    frame["_pos"] = frame.groupby(["_sid", "_ev", "_evrep"]).cumcount().to_numpy() + 1
    return complete(form, frame)


def rutherford(
    design: Design, coh: Cohort, day: np.ndarray, rows: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Rutherford category of the index limb at each row's study day."""
    base = _subj(coh, rows, "ruth0").astype(float)
    msc = _subj(coh, rows, "msc")
    eff = np.where(design.study == "sail", np.where(msc, 0.6, 0.3), 0.5) * _ramp(day)
    latent = base - eff + rng.normal(0, 0.45, len(rows)) * (day > 1)
    amp = _subj(coh, rows, "amp_day")
    soon = (amp - day) < 120
    latent = np.where(soon, np.maximum(latent, 5.3), latent)
    return np.clip(np.rint(latent), 1, 6).astype(np.int64)


_FONTAINE = np.array(["1", "2", "2", "3", "4", "5", "5"], dtype=object)


def limb_status(
    design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """LIMB: Rutherford and Fontaine of the index limb, until it is amputated."""
    form = design.form("LIMB")
    day = rows["day"].to_numpy(np.int64)
    keep = ~(day >= np.nan_to_num(_subj(coh, rows, "amp_day"), nan=np.inf))
    rows = rows[keep].reset_index(drop=True)
    day = day[keep]
    ruth = rutherford(design, coh, day, rows, rng)
    fields = {
        "LIMBDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]")),
        "LIMBLAT": _subj(coh, rows, "idx_lat"),
        "RUTHCAT": fmt.integers(ruth),
        "FONTSTG": _FONTAINE[ruth],
    }
    return complete(form, form_frame(rows, 0, fields))


def vas_at(design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Rest-pain VAS (0-100 mm) at each row."""
    day = rows["day"].to_numpy(np.int64)
    msc = _subj(coh, rows, "msc")
    eff = np.where(design.study == "sail", np.where(msc, 0.45, 0.30), 0.5)
    v = _subj(coh, rows, "vas0") * (1 - eff * _ramp(day)) + rng.normal(0, 8, len(rows))
    return np.clip(v, 0, 100)


def pain(design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """PAIN: rest-pain VAS in mm."""
    fields = {
        "VASDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]")),
        "VASREST": fmt.fixed(vas_at(design, coh, rows, rng)),
    }
    return complete(design.form("PAIN"), form_frame(rows, 0, fields))


_NOT_WALKING = np.array(
    ["Unable to walk due to rest pain", "Ulcer on the foot", "Wheelchair bound", "Patient refused"],
    dtype=object,
)


def walking(
    design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """WALK: treadmill pain-free and maximum walking distance (capped at 1000 m)."""
    n = len(rows)
    ns = len(coh.subjects)
    first = int(coh.subjects["sid"].iloc[0])
    s = rows["sid"].to_numpy(np.int64) - first
    day = rows["day"].to_numpy(np.int64)
    ruth = rutherford(design, coh, day, rows, rng)
    able = rng.random(n) < np.select([ruth <= 4, ruth == 5], [0.75, 0.35], 0.1)
    amputated = (day >= np.nan_to_num(_subj(coh, rows, "amp_day"), nan=np.inf)) | (
        day >= np.nan_to_num(_subj(coh, rows, "contra_day"), nan=np.inf)
    )
    able &= ~amputated
    pf0 = np.exp(rng.normal(np.log(60), 0.6, ns))
    ratio = rng.uniform(1.4, 3.0, ns)
    gain = 1 + 0.35 * _ramp(day) * (_subj(coh, rows, "msc") | (design.study != "sail"))
    pfwd = np.minimum(pf0[s] * gain * np.exp(rng.normal(0, 0.2, n)), 1000)
    mwd = np.minimum(pfwd * ratio[s], 1000)
    reason = np.where(
        amputated,
        "Status after major amputation",
        _NOT_WALKING[rng.integers(0, len(_NOT_WALKING), n)],
    )
    fields = {
        "WTPERF": np.where(able, "1", "0"),
        "WTREASND": np.where(able, None, reason),
        "WTDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]")),
        "PFWD": np.where(able, fmt.fixed(pfwd), None),
        "MWD": np.where(able, fmt.fixed(mwd), None),
    }
    return complete(design.form("WALK"), form_frame(rows, 0, fields))


def eq5d(design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """EQ5D: the five EQ-5D-5L dimensions (levels 1-5) and the EQ VAS (0-100)."""
    n = len(rows)
    day = rows["day"].to_numpy(np.int64)
    ruth = rutherford(design, coh, day, rows, rng)
    vas = vas_at(design, coh, rows, rng)
    centre = (
        2.8 + 0.4 * (ruth - 4),
        np.full(n, 1.8),
        np.full(n, 2.6),
        1 + vas / 25,
        np.full(n, 1.7),
    )
    fields: dict[str, object] = {"QSDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]"))}
    for i, c in enumerate(centre):
        lvl = np.clip(np.rint(c + rng.normal(0, 0.7, n)), 1, 5)
        fields[f"EQ5D020{i + 1}"] = fmt.fixed(lvl)
    fields["EQ5D0206"] = fmt.fixed(np.clip(70 - 0.35 * vas + rng.normal(0, 12, n), 5, 100))
    return complete(design.form("EQ5D"), form_frame(rows, 0, fields))


def sf36(design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """SF36: 36 item responses driven by one latent health score per questionnaire."""
    form = design.form("SF36")
    n = len(rows)
    items = [f for f in form.fields if f.kind == "coded"]
    k = np.array([len(design.codelists[f.codelist]) for f in items], dtype=float)
    health = rng.normal(0, 1, n) + 0.5 * _ramp(rows["day"].to_numpy(np.int64))
    # +1 where a higher code means better health, -1 where it means worse (SF-36 v2 item
    # keying: items 1, 2, 6, 7, 8, 9a, 9d, 9e, 9h, 11b and 11d are reverse-scored).
    direction = np.array(
        [-1, -1] + [1] * 17 + [-1, -1, -1, -1, 1, 1, -1, -1, 1, 1, -1, 1, 1] + [1, -1, 1, -1],
        dtype=float,
    )
    mid = (k + 1) / 2
    latent = mid + direction * health[:, None] * (k / 4) + rng.normal(0, 0.6, (n, len(items)))
    resp = np.clip(np.rint(latent), 1, k)
    fields: dict[str, object] = {"QSDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]"))}
    for j, f in enumerate(items):
        fields[f.name] = fmt.fixed(resp[:, j])
    return complete(form, form_frame(rows, 0, fields))


def follow_up(
    design: Design, coh: Cohort, rows: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """FU: contact status; NEWAMP says whether an amputation happened since the last contact."""
    n = len(rows)
    rows = rows.sort_values(["sid", "day"], kind="stable").reset_index(drop=True)
    prev = rows.groupby("sid")["day"].shift(1).fillna(1).to_numpy()
    amps = coh.amps[["sid", "day"]].rename(columns={"day": "aday"})
    j = rows[["sid", "day"]].assign(prev=prev, row=np.arange(n)).merge(amps, on="sid")
    hit = j[(j["aday"] > j["prev"]) & (j["aday"] <= j["day"])]["row"].unique()
    newamp = np.zeros(n, dtype=bool)
    newamp[hit] = True
    last = rows["ev"].to_numpy() == "M60"
    method = np.where(last, np.where(rng.random(n) < 0.7, "2", "3"), "1")
    fields = {
        "FUDAT": fmt.iso_dates(rows["date"].to_numpy("datetime64[D]")),
        "FUMETH": method,
        "ALIVE": "1",
        "NEWAMP": np.where(newamp, "1", "0"),
    }
    return complete(design.form("FU"), form_frame(rows, 0, fields))
