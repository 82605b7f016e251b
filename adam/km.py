"""Kaplan-Meier estimates of ADTTE parameters, and a self-drawn SVG plot of them.

The build report shows, for each time-to-event parameter (TTMAJAMP, TTDEATH, ...), the
product-limit estimate by treatment arm as a table and as a picture. The figures follow
SAS PROC LIFETEST's defaults so that a statistician can reproduce them there:

* ``CNSR = 0`` is an event; every ``CNSR >= 1`` (censored, or a competing event, which a
  Kaplan-Meier estimate cannot tell apart) counts as censored.
* Ties: at one time, events happen before censorings, so a subject censored at ``t`` is
  still at risk for the events at ``t`` (the convention of PROC LIFETEST and R survival).
* Standard error by Greenwood's formula; 95% pointwise confidence limits on the
  log(-log) scale (``CONFTYPE=LOGLOG``, PROC LIFETEST's default).
* Median as PROC LIFETEST: the first event time with survival below 0.5; when the curve
  sits exactly on 0.5 between two event times, their midpoint. Its 95% confidence interval
  by Brookmeyer and Crowley (1982) with the same log(-log) transform: the event times whose
  pointwise limits contain 0.5, from the first of them up to the event time that follows
  the last of them (missing when the set runs to the last event time: not reached).

Sources of the formulas (facts only): SAS/STAT User's Guide, "The LIFETEST Procedure",
section "Computational Formulas"; Klein and Moeschberger, *Survival Analysis*, 2nd ed.,
chapter 4.

No plotting library is used: :func:`km_svg` writes SVG 1.1 text itself, byte-identical for
identical input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from cdisc.errors import UsageError

__all__ = ["km_estimate", "km_summary", "km_svg"]

#: Two-sided 95% normal quantile (1.959963984540054).
_Z95 = NormalDist().inv_cdf(0.975)

#: Survival values closer than this to 0.5 count as exactly 0.5 (the cumulative product
#: of fractions such as 10/11 * 11/20 is 0.5 only up to rounding).
_TIE_TOLERANCE = 1e-12

_ESTIMATE_COLUMNS = ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper")

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies; the
# yellow is left out because it is unreadable on white.
_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _columns(by: Sequence[str]) -> list[str]:
    """``by`` as a list, refusing a bare string (which would be read letter by letter)."""
    if isinstance(by, str) or not all(isinstance(b, str) for b in by):
        raise UsageError(
            f"by must be a list of column names, got {by!r}",
            hint='for example by=["PARAMCD", "TRTP"]',
        )
    return list(by)


def _check_frame(
    adtte: pd.DataFrame, by: Sequence[str], time: str, cnsr: str
) -> tuple[pd.Series, pd.Series]:
    """Return numeric time and CNSR, or raise one UsageError naming every problem."""
    if not isinstance(adtte, pd.DataFrame):
        raise UsageError(
            f"expected a DataFrame of ADTTE records, got {type(adtte).__name__}",
            hint="pass the ADTTE frame",
        )
    wanted = [*by, time, cnsr]
    if len(set(wanted)) != len(wanted):
        raise UsageError(
            f"by, time and cnsr name the same column more than once: {wanted}",
            hint="name each column once",
        )
    if "time" in by or any(b in _ESTIMATE_COLUMNS[1:] for b in by):
        raise UsageError(
            f"a by column may not be called one of {list(_ESTIMATE_COLUMNS)}: {list(by)}",
            hint="rename the column before estimating",
        )
    missing = [c for c in wanted if c not in adtte.columns]
    if missing:
        raise UsageError(
            f"ADTTE frame has no column {', '.join(missing)}",
            hint=f"columns present: {', '.join(map(str, adtte.columns))}",
        )

    problems: list[str] = []
    values: dict[str, pd.Series] = {}
    for column in (time, cnsr):
        raw = adtte[column]
        number = pd.to_numeric(raw, errors="coerce")
        absent = int(raw.isna().sum())
        if absent:
            problems.append(f"{absent} record(s) with missing {column}")
        unreadable = int((number.isna() & raw.notna()).sum())
        if unreadable:
            problems.append(f"{unreadable} record(s) with non-numeric {column}")
        values[column] = number.astype("float64")
    t, c = values[time], values[cnsr]
    negative = int((t < 0).sum())
    if negative:
        problems.append(f"{negative} record(s) with negative {time}")
    bad_cnsr = int((c.notna() & ((c < 0) | (c != np.floor(c)))).sum())
    if bad_cnsr:
        problems.append(f"{bad_cnsr} record(s) with {cnsr} not a whole number >= 0")
    if problems:
        first = (t.isna() | c.isna() | (t < 0) | (c < 0) | (c != np.floor(c))).to_numpy()
        where = f"record {int(np.flatnonzero(first)[0]) + 1}" if first.any() else None
        raise UsageError(
            "cannot estimate Kaplan-Meier: " + "; ".join(problems),
            location=where,
            hint=f"{time} must be a time >= 0 and {cnsr} 0 (event) or a censoring code >= 1; "
            "fix or drop those records first",
        )
    return t, c


def km_estimate(
    adtte: pd.DataFrame,
    *,
    by: Sequence[str] = ("PARAMCD", "TRTP"),
    time: str = "AVAL",
    cnsr: str = "CNSR",
) -> pd.DataFrame:
    """Kaplan-Meier estimate per group, one row per group and distinct time.

    Adds nothing to ``adtte``; returns a new frame with the ``by`` columns, then
    ``time`` (the distinct values of the ``time`` column, event or censoring), ``n_risk``
    (at risk just before ``time``), ``n_event`` (``CNSR == 0``), ``n_censor``
    (``CNSR >= 1``), ``surv`` (product-limit estimate just after ``time``), ``std_err``
    (Greenwood; 0 once ``surv`` is 0), ``lower`` and ``upper`` (95% log(-log) limits,
    NaN where ``surv`` is 1 or 0, where the transform is undefined). Sorted by the ``by``
    columns (missing group values last) and ``time``. Events precede censorings at a
    tied time. Records with a missing, non-numeric or negative time, or a CNSR that is not
    a whole number >= 0, are refused with a :class:`UsageError` saying how many.

    Example::

        >>> adtte = pd.DataFrame({"PARAMCD": "TTDEATH", "TRTP": "A",
        ...                       "AVAL": [3.0, 5.0, 5.0, 8.0], "CNSR": [0, 0, 1, 1]})
        >>> km_estimate(adtte)[["time", "n_risk", "surv"]].to_numpy().tolist()
        [[3.0, 4.0, 0.75], [5.0, 3.0, 0.5], [8.0, 1.0, 0.5]]
    """
    by = _columns(by)
    t, c = _check_frame(adtte, by, time, cnsr)
    keys = by or ["__km_all__"]
    work = pd.DataFrame(
        {
            **{k: adtte[k].to_numpy() for k in by},
            "__km_all__": 0,
            "time": t.to_numpy(),
            "n_event": (c == 0).to_numpy().astype("int64"),
            "n_censor": (c >= 1).to_numpy().astype("int64"),
        }
    )
    table = (
        work.groupby([*keys, "time"], dropna=False, sort=True)[["n_event", "n_censor"]]
        .sum()
        .reset_index()
    )
    grouping = [table[k] for k in keys]
    leaving = table["n_event"] + table["n_censor"]
    # At risk at t: everyone whose time is >= t, i.e. the group total less those who left
    # strictly before t.
    total = leaving.groupby(grouping, dropna=False).transform("sum")
    before = leaving.groupby(grouping, dropna=False).cumsum() - leaving
    n_risk = (total - before).astype("int64")
    d = table["n_event"].astype("float64")
    n = n_risk.astype("float64")
    table["n_risk"] = n_risk
    table["surv"] = (1.0 - d / n).groupby(grouping, dropna=False).cumprod()
    # Greenwood's sum; a time where everyone at risk has the event sends surv to 0, and
    # PROC LIFETEST then shows a standard error of 0, so that term is taken as 0.
    term = pd.Series(np.where(n > d, d / (n * (n - d)), 0.0), index=table.index)
    greenwood = term.groupby(grouping, dropna=False).cumsum()
    surv = table["surv"].to_numpy()
    table["std_err"] = surv * np.sqrt(greenwood.to_numpy())
    inside = (surv > 0.0) & (surv < 1.0)
    safe = np.where(inside, surv, 0.5)
    spread = np.exp(_Z95 * np.sqrt(greenwood.to_numpy()) / np.abs(np.log(safe)))
    table["lower"] = np.where(inside, safe**spread, np.nan)
    table["upper"] = np.where(inside, safe ** (1.0 / spread), np.nan)
    return table[[*by, *_ESTIMATE_COLUMNS]].reset_index(drop=True)


def _median_ci(
    times: np.ndarray, surv: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, float, float]:
    """Median and its Brookmeyer-Crowley limits from one group's event rows (time order)."""
    median = lower_limit = upper_limit = math.nan
    below = np.flatnonzero(surv < 0.5 - _TIE_TOLERANCE)
    if below.size:
        first = below[0]
        median = float(times[first])
        if first > 0 and abs(surv[first - 1] - 0.5) <= _TIE_TOLERANCE:
            median = float(times[first - 1] + times[first]) / 2.0
    covering = np.flatnonzero((lower <= 0.5) & (upper >= 0.5))
    if covering.size:
        lower_limit = float(times[covering[0]])
        if covering[-1] + 1 < times.size:
            upper_limit = float(times[covering[-1] + 1])
    return median, lower_limit, upper_limit


def km_summary(
    adtte: pd.DataFrame,
    *,
    by: Sequence[str] = ("PARAMCD", "TRTP"),
    time: str = "AVAL",
    cnsr: str = "CNSR",
    landmarks: Sequence[float] = (),
) -> pd.DataFrame:
    """One row per group: counts, median with its 95% confidence interval, landmark survival.

    Returns the ``by`` columns, ``subjects`` (records in the group; ADTTE holds one per
    subject and parameter), ``events``, ``censored``, ``median``, ``median_lower`` and
    ``median_upper`` (NaN when not reached: see the module docstring for the rules), and
    for each time ``L`` in ``landmarks`` a column ``surv_L`` (``surv_365`` for 365) with the
    estimate at ``L`` (NaN when ``L`` lies beyond the group's last observed time). The same
    input checks as :func:`km_estimate` apply; a negative landmark is a UsageError.

    Example::

        >>> adtte = pd.DataFrame({"PARAMCD": "TTDEATH", "TRTP": "A",
        ...                       "AVAL": [3.0, 5.0, 5.0, 8.0], "CNSR": [0, 0, 1, 0]})
        >>> row = km_summary(adtte, landmarks=[4]).iloc[0]
        >>> int(row["events"]), float(row["median"]), float(row["surv_4"])
        (3, 6.5, 0.75)
    """
    marks = [float(m) for m in landmarks]
    if any(not math.isfinite(m) or m < 0 for m in marks):
        raise UsageError(
            f"landmarks must be finite times >= 0, got {list(landmarks)}",
            hint="for example landmarks=[365, 730]",
        )
    by = _columns(by)
    estimates = km_estimate(adtte, by=by, time=time, cnsr=cnsr)
    keys = by or None
    rows: list[dict[str, object]] = []
    # A loop over groups (arms x parameters), never over records.
    chunks = estimates.groupby(keys, dropna=False, sort=False) if keys else [((), estimates)]
    for key, chunk in chunks:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, object] = dict(zip(by, key, strict=True))
        row["subjects"] = int(chunk["n_risk"].iloc[0])
        row["events"] = int(chunk["n_event"].sum())
        row["censored"] = int(chunk["n_censor"].sum())
        hit = chunk[chunk["n_event"] > 0]
        row["median"], row["median_lower"], row["median_upper"] = _median_ci(
            hit["time"].to_numpy(),
            hit["surv"].to_numpy(),
            hit["lower"].to_numpy(),
            hit["upper"].to_numpy(),
        )
        times = chunk["time"].to_numpy()
        surv = chunk["surv"].to_numpy()
        for mark in marks:
            at = np.searchsorted(times, mark, side="right") - 1
            value = np.nan if mark > times[-1] else (1.0 if at < 0 else float(surv[at]))
            row[f"surv_{mark:g}"] = value
        rows.append(row)
    columns = [
        *by,
        "subjects",
        "events",
        "censored",
        "median",
        "median_lower",
        "median_upper",
        *(f"surv_{m:g}" for m in marks),
    ]
    out = pd.DataFrame(rows, columns=columns)
    for column in ("subjects", "events", "censored"):
        out[column] = out[column].astype("int64")
    for column in columns[len(by) + 3 :]:
        out[column] = out[column].astype("float64")
    return out


def _fmt(value: float) -> str:
    """Fixed two-decimal coordinates, so output bytes never depend on float repr."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _nice_step(span: float) -> float:
    """A 1-2-5 step giving about five ticks over ``span``."""
    raw = span / 5.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10.0 * magnitude


def _label(value: object) -> str:
    return "(missing)" if pd.isna(value) else str(value)


def km_svg(
    estimates: pd.DataFrame,
    *,
    group: str = "TRTP",
    title: str,
    x_label: str = "Days",
    y_label: str = "Probability without event",
) -> str:
    """Draw :func:`km_estimate` output for one parameter as a standalone SVG 1.1 document.

    One ``<path class="km-curve">`` per value of ``group`` (a step function from survival
    1.0 at time 0), ``+`` marks (``<line>`` pairs in ``<g class="km-censor">``) at
    times with censorings, axes with ticks and labels, a legend ``<text>`` per group
    reading ``name (n=N)``, and the title. Text is XML-escaped; coordinates are written
    with two decimals and there is no timestamp, so equal input gives equal bytes.
    ``estimates`` must hold one parameter: every column before ``time`` other than
    ``group`` must have a single value, or a UsageError is raised.

    Example::

        >>> adtte = pd.DataFrame({"PARAMCD": "TTDEATH", "TRTP": ["A", "B"],
        ...                       "AVAL": [3.0, 5.0], "CNSR": [0, 1]})
        >>> km_svg(km_estimate(adtte), title="Time to death").startswith("<?xml")
        True
    """
    if not isinstance(estimates, pd.DataFrame):
        raise UsageError(
            f"expected km_estimate output, got {type(estimates).__name__}",
            hint="pass the frame km_estimate returned",
        )
    absent = [c for c in (group, *_ESTIMATE_COLUMNS) if c not in estimates.columns]
    if absent:
        raise UsageError(
            f"estimates lack column(s) {', '.join(absent)}",
            hint=f"pass km_estimate output grouped by {group!r}",
        )
    if estimates.empty:
        raise UsageError("estimates are empty: nothing to plot", hint="check the ADTTE filter")
    position = list(estimates.columns).index("time")
    others = [c for c in estimates.columns[:position] if c != group]
    mixed = [c for c in others if estimates[c].nunique(dropna=False) > 1]
    if mixed:
        raise UsageError(
            f"estimates hold more than one value of {', '.join(mixed)}; a plot shows one parameter",
            hint=f"filter to one {mixed[0]} value, e.g. estimates[estimates.{mixed[0]} == ...]",
        )

    # The legend sits right of the plot: wide enough for the longest "name (n=NNN)" at
    # about 7 px a character in the 12 px font.
    longest = max(len(_label(v)) for v in estimates[group]) + len(" (n=000)")
    left, right, top, bottom = 80.0, max(200.0, 60.0 + 7.0 * longest), 50.0, 70.0
    width, height = left + 480.0 + right, 480.0
    plot_w, plot_h = width - left - right, height - top - bottom
    t_max = float(estimates["time"].max())
    step = _nice_step(t_max if t_max > 0 else 1.0)
    x_max = step * max(1, math.ceil(t_max / step - 1e-9))

    def x(value: np.ndarray | float) -> np.ndarray | float:
        return left + np.asarray(value, dtype="float64") / x_max * plot_w

    def y(value: np.ndarray | float) -> np.ndarray | float:
        return top + (1.0 - np.asarray(value, dtype="float64")) * plot_h

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text class="km-title" x="{_fmt(left + plot_w / 2)}" y="28" text-anchor="middle" '
        f'font-size="15" font-weight="bold">{escape(title)}</text>',
        '<g class="km-axes" stroke="#000000" stroke-width="1">',
        f'<line x1="{_fmt(left)}" y1="{_fmt(top + plot_h)}" x2="{_fmt(left + plot_w)}" '
        f'y2="{_fmt(top + plot_h)}"/>',
        f'<line x1="{_fmt(left)}" y1="{_fmt(top)}" x2="{_fmt(left)}" y2="{_fmt(top + plot_h)}"/>',
    ]
    labels = []
    ticks = round(x_max / step)
    for i in range(ticks + 1):
        tick = i * step
        px = _fmt(x(tick))
        out.append(
            f'<line x1="{px}" y1="{_fmt(top + plot_h)}" x2="{px}" y2="{_fmt(top + plot_h + 5)}"/>'
        )
        labels.append(
            f'<text x="{px}" y="{_fmt(top + plot_h + 19)}" text-anchor="middle">{tick:g}</text>'
        )
    for i in range(6):
        tick = i / 5
        py = _fmt(y(tick))
        out.append(f'<line x1="{_fmt(left - 5)}" y1="{py}" x2="{_fmt(left)}" y2="{py}"/>')
        labels.append(
            f'<text x="{_fmt(left - 8)}" y="{_fmt(y(tick) + 4)}" text-anchor="end">{tick:.1f}</text>'
        )
    out.append("</g>")
    out.append('<g class="km-tick-labels">')
    out.extend(labels)
    out.append("</g>")
    out.append(
        f'<text class="km-x-label" x="{_fmt(left + plot_w / 2)}" y="{_fmt(height - 22)}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    yl_x, yl_y = _fmt(left - 52), _fmt(top + plot_h / 2)
    out.append(
        f'<text class="km-y-label" x="{yl_x}" y="{yl_y}" text-anchor="middle" '
        f'transform="rotate(-90 {yl_x} {yl_y})">{escape(y_label)}</text>'
    )

    legend = []
    keys = estimates[group]
    # Groups in the order km_estimate sorted them; missing last.
    order = list(dict.fromkeys(_label(v) for v in keys))
    labelled = keys.map(_label)
    for i, name in enumerate(order):
        colour = _PALETTE[i % len(_PALETTE)]
        chunk = estimates[labelled == name].sort_values("time", kind="stable")
        times = chunk["time"].to_numpy(dtype="float64")
        surv = chunk["surv"].to_numpy(dtype="float64")
        xs, ys = x(times), y(surv)
        # Step path: run level to each time, then drop to the survival after it where
        # there were events (a censoring-only time just extends the step).
        dropped = chunk["n_event"].to_numpy() > 0
        moves = "".join(
            f" H{_fmt(a)}" + (f" V{_fmt(b)}" if drop else "")
            for a, b, drop in zip(xs, ys, dropped, strict=True)
        )
        out.append(
            f'<path class="km-curve" data-group={quoteattr(name)} fill="none" '
            f'stroke="{colour}" stroke-width="2" d="M{_fmt(x(0.0))} {_fmt(y(1.0))}{moves}"/>'
        )
        censored = chunk["n_censor"].to_numpy() > 0
        marks = [
            f'<line x1="{_fmt(a - 4)}" y1="{_fmt(b)}" x2="{_fmt(a + 4)}" y2="{_fmt(b)}"/>'
            f'<line x1="{_fmt(a)}" y1="{_fmt(b - 4)}" x2="{_fmt(a)}" y2="{_fmt(b + 4)}"/>'
            for a, b in zip(xs[censored], ys[censored], strict=True)
        ]
        out.append(
            f'<g class="km-censor" data-group={quoteattr(name)} stroke="{colour}" '
            f'stroke-width="1.5">{"".join(marks)}</g>'
        )
        n = int(chunk["n_risk"].iloc[0])
        ly = top + 10 + 22 * i
        lx = left + plot_w + 20
        legend.append(
            f'<line x1="{_fmt(lx)}" y1="{_fmt(ly)}" x2="{_fmt(lx + 24)}" y2="{_fmt(ly)}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text class="km-legend" x="{_fmt(lx + 30)}" y="{_fmt(ly + 4)}">'
            f"{escape(name)} (n={n})</text>"
        )
    out.append('<g class="km-legend-box">')
    out.extend(legend)
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
