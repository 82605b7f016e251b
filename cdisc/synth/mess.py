"""Value transforms that turn a clean value into the messy text a site typed.

Each transform takes the clean values to alter (object array of ``str``), context arrays where
needed, and a random generator, and returns the messy values; every output differs from its
input (callers only pass values a transform can change). Text transforms work per distinct
value and map back, so their cost does not grow with the number of records.

Sources for the variants: trials.md sections 4 and 5 (real exports: ``UN UNK 2019``,
``16-May-15``, ``7:25``, ``gm/dL``, ``35 Years``, ``29.45``, ``N/A``, ``PARCETEMOL``) and, for
the unit conversions, the usual clinical factors (creatinine 88.42 umol/L per mg/dL, glucose
18.016 mg/dL per mmol/L, HbA1c IFCC = (NGSP - 2.152) / 0.09148, haemoglobin 0.6206 mmol/L per
g/dL).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisc.synth import fmt

NBSP = "\u00a0"


def by_value(
    values: np.ndarray, fn: Callable[[str, int], str], rng: np.random.Generator
) -> np.ndarray:
    """Apply ``fn(value, draw)`` once per distinct value (``draw`` is a random int per value)."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    draws = rng.integers(0, 1 << 30, len(uniq))
    mapped = np.array([fn(str(u), int(d)) for u, d in zip(uniq, draws, strict=True)], dtype=object)
    return mapped[codes]


def _parse_dates(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


_UPPER_MONTHS = np.array([m.upper() for m in fmt.month_abbr(np.arange(1, 13))], dtype=object)


def partial_date(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``UN UNK 2021``, ``UN Apr 2021``, ``2021-06``, ``UNK-JAN-2020``, ``20 UNK 2019``, ``2019``."""
    y, m, d = fmt.date_parts(_parse_dates(values))
    ys = fmt.integers(y)
    variants = np.stack(
        [
            "UN UNK " + ys,
            "UN " + fmt.month_abbr(m) + " " + ys,
            ys + "-" + fmt.zpad(m, 2),
            "UNK-" + _UPPER_MONTHS[m - 1] + "-" + ys,
            fmt.zpad(d, 2) + " UNK " + ys,
            ys,
        ]
    )
    pick = rng.choice(len(variants), len(ys), p=[0.35, 0.15, 0.2, 0.1, 0.05, 0.15])
    return variants[pick, np.arange(len(ys))]


#: Date variants by site: each site writes mostly one non-ISO style (index into the list
#: built in :func:`date_format`).
SITE_DATE_STYLE = (1, 0, 3, 2)


def date_format(values: np.ndarray, site: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A complete date in another format: ``11/04/2021`` (D/M/Y), ``11-Apr-2021``,
    ``04/11/2021`` (M/D/Y), ``6-May-18``, ``2013 Feb 01``, ``11-Apr-2021 11:58:00``,
    ``2021-04-11T00:00:00.000``, ``11 Apr 2021``. Site ``k`` mostly uses style
    ``SITE_DATE_STYLE[k % 4]``."""
    y, m, d = fmt.date_parts(_parse_dates(values))
    ys, mm, dd, mon = fmt.integers(y), fmt.zpad(m, 2), fmt.zpad(d, 2), fmt.month_abbr(m)
    n = len(ys)
    clock = fmt.hhmm(rng.integers(8 * 60, 18 * 60, n)) + ":00"
    variants = np.stack(
        [
            dd + "-" + mon + "-" + ys,
            dd + "/" + mm + "/" + ys,
            mm + "/" + dd + "/" + ys,
            fmt.integers(d) + "-" + mon + "-" + fmt.zpad(y % 100, 2),
            ys + " " + mon + " " + dd,
            dd + "-" + mon + "-" + ys + " " + clock,
            ys + "-" + mm + "-" + dd + "T00:00:00.000",
            dd + " " + mon + " " + ys,
        ]
    )
    primary = np.array(SITE_DATE_STYLE)[np.asarray(site, dtype=np.int64) % 4]
    pick = np.where(rng.random(n) < 0.7, primary, rng.integers(0, len(variants), n))
    return variants[pick, np.arange(n)]


def time_format(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``7:25`` (no leading zero, as in the Rave vitals export), ``07:25:00``, ``07:25:00.000``
    or ``7.25``."""
    v = np.asarray(values, dtype=object)
    hours = pd.to_numeric(pd.Series(v).str.slice(0, 2), errors="coerce").to_numpy()
    minutes = pd.to_numeric(pd.Series(v).str.slice(3, 5), errors="coerce").to_numpy()
    total = (np.nan_to_num(hours) * 60 + np.nan_to_num(minutes)).astype(np.int64)
    short = fmt.hhmm(total, leading_zero=False)
    variants = np.stack(
        [
            short,
            v + ":00",
            v + ":00.000",
            np.char.replace(short.astype(str), ":", ".").astype(object),
        ]
    )
    pick = np.where(
        hours < 10,
        rng.choice([0, 3], len(v), p=[0.8, 0.2]),
        rng.choice([1, 2, 3], len(v), p=[0.5, 0.2, 0.3]),
    )
    return variants[pick, np.arange(len(v))]


UNIT_VARIANTS: dict[str, tuple[str, ...]] = {
    "g/dL": ("g/dl", "gm/dL", "G/DL", "g/100mL"),
    "%": ("percent", "pct"),
    "10^9/L": ("x10^9/L", "10*9/L", "G/L", "10E9/L", "billion cells/L"),
    "umol/L": ("umol/l", "micromol/L", "uM"),
    "mg/dL": ("mg/dl", "MG/DL", "mg%"),
    "mmol/L": ("mmol/l", "mM", "MMOL/L"),
    "mg/L": ("mg/l", "MG/L"),
    "U/L": ("IU/L", "U/l", "iu/l"),
    "g/L": ("g/l", "gm/L"),
    "pg/mL": ("pg/ml", "PG/ML", "ng/L"),
    "cells/uL": ("cells/ul", "/uL", "cells/mm3", "10^6/L"),
    "C": ("Celsius", "degC", "c"),
    "kg": ("KG", "kgs", "Kg"),
    "cm": ("CM", "cms"),
    "10^6 cells": ("x10^6 cells", "million cells", "10E6 cells", "x 10^6"),
}


def unit_variant(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A synonym of the unit as typed by another site (``gm/dL``, ``x10^9/L``, ``pg/ml``)."""

    def pick(u: str, draw: int) -> str:
        options = UNIT_VARIANTS[u]
        return options[draw % len(options)]

    return by_value(values, pick, rng)


#: (field, clean unit) -> (other unit, conversion, decimals).
ALT_UNITS: dict[tuple[str, str], tuple[str, Callable[[np.ndarray], np.ndarray], int]] = {
    ("HGB_ORRES", "g/dL"): ("g/L", lambda x: x * 10.0, 0),
    ("HCT_ORRES", "%"): ("L/L", lambda x: x / 100.0, 2),
    ("CREAT_ORRES", "umol/L"): ("mg/dL", lambda x: x / 88.42, 2),
    ("CREAT_ORRES", "mg/dL"): ("umol/L", lambda x: x * 88.42, 0),
    ("GLUC_ORRES", "mmol/L"): ("mg/dL", lambda x: x * 18.016, 0),
    ("GLUC_ORRES", "mg/dL"): ("mmol/L", lambda x: x / 18.016, 1),
    ("HBA1C_ORRES", "%"): ("mmol/mol", lambda x: (x - 2.152) / 0.09148, 0),
    ("CRP_ORRES", "mg/L"): ("mg/dL", lambda x: x / 10.0, 2),
    ("WEIGHT", "kg"): ("lb", lambda x: x * 2.20462, 1),
    ("TEMP", "C"): ("F", lambda x: x * 1.8 + 32.0, 1),
    ("HEIGHT", "cm"): ("in", lambda x: x / 2.54, 0),
}

#: Unit written into values of fields that have no unit item.
FIXED_UNITS = {
    "AGE": "Years",
    "VASREST": "mm",
    "PFWD": "m",
    "MWD": "m",
    "SYSBP": "mmHg",
    "DIABP": "mmHg",
    "PULSE": "bpm",
    "BRACHSYS": "mmHg",
    "TOESYS": "mmHg",
    "PTSYS": "mmHg",
    "DPSYS": "mmHg",
    "EQ5D0206": "/100",
}


def embedded_unit(values: np.ndarray, units: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The unit typed into the value: ``72 kg``, ``35 Years `` (trailing space), ``10mg``."""
    sep = np.array([" ", "", " "], dtype=object)[rng.integers(0, 3, len(values))]
    tail = np.where(rng.random(len(values)) < 0.2, " ", "")
    return values + sep + units + tail


def decimal_comma(values: np.ndarray) -> np.ndarray:
    """``7.2`` -> ``7,2``."""
    return np.asarray(pd.Series(values, dtype=object).str.replace(".", ",", regex=False), object)


def implausible(values: np.ndarray, field: str, rng: np.random.Generator) -> np.ndarray:
    """Out-of-range value: a slipped decimal point, or the classic ``29.45`` temperature, a VAS
    of ``105`` or ``-3``."""
    x = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy()
    n = len(x)
    if field in ("VASREST", "EQ5D0206"):
        return np.array(["105", "-3", "110", "101"], dtype=object)[rng.integers(0, 4, n)]
    if field == "TEMP":
        return np.where(rng.random(n) < 0.5, "29.45", fmt.fixed(x * 10, 0))
    shifted = np.where(rng.random(n) < 0.5, x * 10, x / 10)
    out = fmt.fixed(shifted, 1 if field in ("HEIGHT", "WEIGHT") else 0)
    return np.where(out == values, fmt.fixed(x * 10, 0), out)


def noncompressible(
    values: np.ndarray, brachial: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Calcified ankle arteries: ``NC``/``non-compressible`` text, or a pressure giving ABI > 1.4."""
    b = pd.to_numeric(pd.Series(brachial, dtype=object), errors="coerce").to_numpy()
    b = np.where(np.isnan(b), 150.0, b)
    high = fmt.fixed(np.maximum(b * rng.uniform(1.6, 2.0, len(b)), 230.0))
    text = np.array(["NC", "non-compressible", "NC (>250)", "Non compressible"], dtype=object)
    return np.where(rng.random(len(b)) < 0.5, text[rng.integers(0, 4, len(b))], high)


def vas_0_10(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 0-100 mm VAS written on a 0-10 scale (``63`` -> ``6`` or ``6.3``)."""
    x = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy() / 10
    return np.where(rng.random(len(x)) < 0.6, fmt.fixed(x, 0), fmt.fixed(x, 1))


SENTINELS = np.array(["ND", "N/A", "NA", "99", "999", "-99", "UNK", "not done", "."], dtype=object)


def sentinel(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Not-done marker or sentinel code in place of a result (``ND``, ``N/A``, ``99``)."""
    pick = SENTINELS[rng.integers(0, len(SENTINELS), len(values))]
    return np.where(pick == values, "ND", pick)


def padded(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Leading and/or trailing blanks around a text value."""
    lead = np.array(["", " ", "  "], dtype=object)[rng.integers(0, 3, len(values))]
    trail = np.where(
        lead == "", " ", np.array(["", " "], dtype=object)[rng.integers(0, 2, len(values))]
    )
    return lead + values + trail


def case_variant(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Same text in another case: ``WOUND INFECTION``, ``wound infection``, ``Wound Infection``."""

    def change(v: str, draw: int) -> str:
        options = (v.upper(), v.lower(), v.title())
        for cand in (*options[draw % 3 :], *options):
            if cand != v:
                return cand
        return v + "."

    return by_value(values, change, rng)


def misspell(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A typo in a verbatim term: two letters swapped, one dropped or doubled (``PNUEMONIA``)."""

    def typo(v: str, draw: int) -> str:
        letters = [i for i, c in enumerate(v) if c.isalpha()]
        if len(letters) < 3:
            return v + v[-1:]
        i = letters[1 + draw % (len(letters) - 2)]
        kind = (draw >> 8) % 3
        if kind == 0 and v[i] != v[i + 1 if i + 1 < len(v) else i]:
            return v[:i] + v[i + 1] + v[i] + v[i + 2 :]
        if kind == 1:
            return v[:i] + v[i + 1 :]
        return v[:i] + v[i] + v[i:]

    return by_value(values, typo, rng)


_NON_ASCII_UNITS = {
    "umol/L": "\u00b5mol/L",
    "cells/uL": "cells/\u00b5L",
    "C": "\u00b0C",
    "10^9/L": "\u00d710\u2079/L",
    "10^6 cells": "\u00d710\u2076 cells",
}


def non_ascii(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Non-ASCII characters as typed or pasted: micro sign (umol/L), degree sign (C),
    multiplication sign and superscripts (x10^9/L), the ae ligature (Anaemia), an en dash, a
    no-break space."""

    def change(v: str, draw: int) -> str:
        if v in _NON_ASCII_UNITS:
            return _NON_ASCII_UNITS[v]
        if "-" in v:
            return v.replace("-", "\u2013", 1)
        if "ae" in v:
            return v.replace("ae", "\u00e6", 1)
        if "oe" in v:
            return v.replace("oe", "\u0153", 1)
        if " " in v and draw % 2:
            return v.replace(" ", NBSP, 1)
        return v + NBSP

    return by_value(values, change, rng)


def swap_laterality(values: np.ndarray) -> np.ndarray:
    """Left (1) <-> Right (2)."""
    return np.where(np.asarray(values, dtype=object) == "1", "2", "1").astype(object)


AMPUTATION_TEXT: dict[str, tuple[str, ...]] = {
    "Below-knee amputation": (
        "BKA",
        "below knee",
        "transtibial",
        "onderbeenamputatie",
        "Below knee amp.",
        "TTA",
    ),
    "Above-knee amputation": (
        "AKA",
        "above knee",
        "transfemoral",
        "bovenbeenamputatie",
        "Above knee amp.",
    ),
    "Knee disarticulation": ("knee disartic.", "through-knee", "knie-exarticulatie"),
    "Toe amputation": (
        "toe",
        "teen amputatie",
        "hallux amputation",
        "dig 2 amp",
        "digit amputation",
    ),
    "Ray amputation": ("ray resection", "straalamputatie", "ray amp 2nd toe"),
    "Transmetatarsal amputation": (
        "TMA",
        "transmetatarsal",
        "forefoot amputation",
        "voorvoetamputatie",
    ),
}


def amputation_text(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Free-text amputation level (``BKA``, ``transtibial``, ``teen amputatie``)."""
    v = np.asarray(values, dtype=object)
    out = v.copy()
    for level, options in AMPUTATION_TEXT.items():
        at = v == level
        out[at] = np.array(options, dtype=object)[rng.integers(0, len(options), int(at.sum()))]
    return out


#: Another system's code for a coded value, tried before the decode itself.
OTHER_CODES = {"SEX": {"1": "M", "2": "F"}, "NY": {"1": "Y", "0": "N"}}


def code_clash(
    values: np.ndarray, codelist: str, decodes: dict[str, str], rng: np.random.Generator
) -> np.ndarray:
    """The decode (or another system's code) stored instead of the code: ``SEX = Male``/``M``."""
    v = np.asarray(values, dtype=object)
    decoded = pd.Series(v).map(decodes).to_numpy(object)
    upper = pd.Series(decoded, dtype=object).str.upper().to_numpy(object)
    other = pd.Series(v).map(OTHER_CODES.get(codelist, {})).to_numpy(object)
    pick = rng.random(len(v))
    out = np.where(pick < 0.5, decoded, upper)
    return np.where(pd.notna(other) & (pick < 0.3), other, out)


def multiline(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Free text with an embedded line break and commas, as pasted from a letter."""
    tails = np.array(
        [
            "\nFollow-up by GP, see letter",
            ",\ncontrol visit planned, 2 weeks",
            "\r\nreported by daughter, by phone",
        ],
        dtype=object,
    )
    return values + tails[rng.integers(0, len(tails), len(values))]


def censored(values: np.ndarray, lloq: float, uloq: float, rng: np.random.Generator) -> np.ndarray:
    """``<LLOQ`` for results below the lower limit of quantification, ``>ULOQ`` for those above
    the upper one (the clean export keeps the measured number). A quarter use the signs
    less-than-or-equal and greater-than-or-equal instead, as some lab systems print them."""
    x = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy()
    fancy = rng.random(len(x)) < 0.25
    lo = np.where(fancy, "\u2264", "<") + fmt.fixed(np.array([lloq]), 1)[0]
    hi = np.where(fancy, "\u2265", ">") + fmt.fixed(np.array([uloq]), 0)[0]
    return np.where(x < lloq, lo, hi).astype(object)
