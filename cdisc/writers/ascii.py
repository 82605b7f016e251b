# The confusable characters below are the subject of this module, written on purpose.
# ruff: noqa: RUF002
"""ASCII transliteration of text values, reported value by value.

FDA asks for ASCII in submission datasets (TCG 3.3.5 as quoted by P21 rule SD1029; see
/work/shared/reference/define-xml-2.1.md section 14), and the XPT writer refuses anything
else. :func:`to_ascii` replaces each non-ASCII character by an ASCII form *only where that form
means the same thing*, and reports every value it touched, so nothing changes silently.

What is transliterated (kind ``transliterated``, code ASCII01, a warning):

* letters with diacritics lose the diacritic (é→e, ü→u, ñ→n, Å→A), through Unicode NFKD
  decomposition; letters without a decomposition by a fixed table (ß→ss, æ→ae, ø→o, ł→l,
  ı→i, þ→th); compatibility forms through NFKD (ﬁ→fi, fullwidth Ａ→A, fullwidth １→1);
* micro sign µ and Greek mu μ → ``u``, as in UCUM and CDISC unit terms (µmol/L → umol/L);
* spaces (no-break, thin, ideographic, ...) → a space; invisible characters (soft hyphen,
  zero-width space, byte order mark) are dropped;
* dashes and the minus sign → ``-``; curly quotes, primes and guillemets → ``'`` or ``"``;
  ellipsis → ``...``; ≥ → ``>=``, ≤ → ``<=``, ± → ``+/-``, × → ``x``, ÷ → ``/``;
  ½ ¼ ¾ → ``1/2 1/4 3/4``; ® © ™ → ``(R) (C) (TM)``;
* superscript digits → ``^`` and the digits (10⁹/L → 10^9/L, m² → m^2, 10⁻³ → 10^-3), the
  notation of CDISC unit terms; subscript digits → digits (CO₂ → CO2);
* the degree sign **only** directly before ``C`` or ``F`` (``°C`` → ``C``, ``38 ° F`` →
  ``38 F``), and ℃ ℉ → ``C`` ``F``: CDISC UNIT writes temperatures as ``C`` and ``F``.

What is not (kind ``not-representable``, code ASCII02, an error the build acts on): every
other character becomes ``?``. That includes the degree sign anywhere else (an angle, or the
Italian/Spanish ordinal in "2° ciclo": "deg" would be a guess), the ordinal indicators º ª,
≠, €, bullets, and all non-Latin scripts (Greek other than mu, Cyrillic, CJK, ...).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from cdisc.writers.findings import CODES

#: Columns of the findings frame :func:`to_ascii` returns, in order.
ASCII_FINDING_COLUMNS: tuple[str, ...] = (
    "code",
    "severity",
    "rule",
    "dataset",
    "variable",
    "record",
    "original",
    "value",
    "kind",
)

#: Stable code of each kind of finding.
KIND_CODES: dict[str, str] = {"transliterated": "ASCII01", "not-representable": "ASCII02"}

#: What a character without a faithful ASCII form becomes.
REPLACEMENT = "?"

# Characters whose ASCII form NFKD does not give (or gives wrongly); see the module docstring.
_TABLE: dict[str, str] = {
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008", " "),
    **dict.fromkeys("\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    "\u2026": "...",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u00b1": "+/-",
    "\u00d7": "x",
    "\u00f7": "/",
    "\u2044": "/",
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u00ae": "(R)",
    "\u00a9": "(C)",
    "\u2122": "(TM)",
    "\u00b5": "u",
    "\u03bc": "u",
    "\u2103": "C",
    "\u2109": "F",
    "\u00df": "ss",
    "\u1e9e": "SS",
    "\u00e6": "ae",
    "\u00c6": "AE",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00f8": "o",
    "\u00d8": "O",
    "\u0111": "d",
    "\u0110": "D",
    "\u00f0": "d",
    "\u00d0": "D",
    "\u0142": "l",
    "\u0141": "L",
    "\u00fe": "th",
    "\u00de": "Th",
    "\u0131": "i",
    "\u0127": "h",
    "\u0126": "H",
    "\u207a": "+",
    "\u207b": "-",
    **{chr(0x2080 + d): str(d) for d in range(10)},
}

# Ordinal indicators decompose to "a"/"o" under NFKD, which would turn "1º" into "1o".
_NOT_REPRESENTABLE = frozenset("\u00b0\u00ba\u00aa")

_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_SUPERSCRIPT_ASCII = str.maketrans({**{c: str(d) for d, c in enumerate(_SUPERSCRIPTS)}})
_SUPERSCRIPT_ASCII.update({0x207A: "+", 0x207B: "-"})
_SUPERSCRIPT_RUN = re.compile(f"[\u207a\u207b]?[{_SUPERSCRIPTS}]+")
# A degree sign (optionally followed by spaces) directly before a C or F that ends a word.
_DEGREE_UNIT = re.compile(r"\u00b0\s*(?=[CF](?![A-Za-z]))")


def to_ascii(frame: pd.DataFrame, dataset_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transliterate every non-ASCII character of the frame's text columns, and report it.

    Returns the new frame (same columns, index and dtypes; columns without non-ASCII text are
    the input's own) and one finding per changed value, with the columns of
    :data:`ASCII_FINDING_COLUMNS`: ``record`` is the frame's index label, ``original`` and
    ``value`` the text before and after, ``kind`` ``transliterated`` (code ASCII01, warning)
    or ``not-representable`` (ASCII02, error: at least one character became ``?``). Findings
    are ordered by column, then record. The module docstring lists what is transliterated.
    Text columns are those of object or string dtype; values that are not ``str`` are left
    alone. The work is done once per distinct non-ASCII value, not per record.

    >>> frame = pd.DataFrame({"LBORRESU": ["µmol/L", "g/L", "°C"]})
    >>> new, findings = to_ascii(frame, "LB")
    >>> new["LBORRESU"].tolist()
    ['umol/L', 'g/L', 'C']
    >>> findings[["record", "value", "kind"]].values.tolist()
    [[0, 'umol/L', 'transliterated'], [2, 'C', 'transliterated']]
    """
    out = frame.copy(deep=False)
    parts: list[pd.DataFrame] = []
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        positions = _non_ascii_positions(series)
        if not len(positions):
            continue
        originals = series.iloc[positions].to_numpy(dtype=object)
        uniques = pd.unique(originals)
        new_unique, kinds_unique = _transliterate(list(uniques))
        codes = pd.Index(uniques).get_indexer(originals)
        new_values = np.asarray(new_unique, dtype=object)[codes]
        kinds = np.asarray(kinds_unique, dtype=object)[codes]
        values = series.to_numpy(dtype=object, copy=True)
        values[positions] = new_values
        out.isetitem(position, pd.Series(values, index=series.index, dtype=series.dtype))
        parts.append(
            pd.DataFrame(
                {
                    "variable": column,
                    "record": series.index[positions].to_numpy(dtype=object),
                    "original": originals,
                    "value": new_values,
                    "kind": kinds,
                }
            )
        )
    return out, _findings(parts, dataset_name)


def transliterate(text: str) -> tuple[str, bool]:
    """The ASCII form of one text, and whether every character had a faithful form.

    Characters without one become ``?`` (see the module docstring for the rules).

    >>> transliterate("Crème brûlée – 10⁹/L")
    ('Creme brulee - 10^9/L', True)
    >>> transliterate("2° ciclo")
    ('2? ciclo', False)
    """
    new, kinds = _transliterate([text])
    return new[0], kinds[0] == "transliterated"


def _non_ascii_positions(series: pd.Series) -> np.ndarray:
    """Positions of the ``str`` values of a text column that hold a non-ASCII character."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return np.array([], dtype=np.intp)
    if pd.api.types.is_object_dtype(series) and _all_ascii(series.to_numpy(dtype=object)):
        return np.array([], dtype=np.intp)
    try:
        ascii_flags = series.str.isascii()
    except AttributeError:  # an object column holding no text at all
        return np.array([], dtype=np.intp)
    # Missing values and non-str values come back as NaN/None/False: only a real False on a
    # present value marks non-ASCII text.
    flagged = ascii_flags.astype(object).eq(False).to_numpy() & series.notna().to_numpy()
    return np.flatnonzero(flagged)


def _all_ascii(values: np.ndarray) -> bool:
    """Whether every present value is ``str`` and ASCII, decided without a Python call per
    record: the values joined (one C loop; ``filter`` drops None and "") make a str that is
    ASCII exactly when every part is, and ``str.isascii`` reads that from the str's header.
    False when a value is not text, NaN or pd.NA included (the caller then looks value by
    value)."""
    try:
        return "".join(filter(None, values.tolist())).isascii()
    except TypeError:  # a value that is not str, or pd.NA (which has no truth value)
        return False


def _transliterate(values: list[str]) -> tuple[list[str], list[str]]:
    """ASCII forms and kinds of distinct values (a loop over distinct values, not records)."""
    texts = [
        _SUPERSCRIPT_RUN.sub(
            lambda m: "^" + m.group(0).translate(_SUPERSCRIPT_ASCII), _DEGREE_UNIT.sub("", v)
        )
        for v in values
    ]
    characters = {c for text in texts for c in text if not c.isascii()}
    forms = {c: _ascii_form(c) for c in characters}
    table = str.maketrans({c: REPLACEMENT if f is None else f for c, f in forms.items()})
    lost = {c for c, f in forms.items() if f is None}
    new = [text.translate(table) for text in texts]
    kinds = ["not-representable" if lost.intersection(t) else "transliterated" for t in texts]
    return new, kinds


def _ascii_form(character: str) -> str | None:
    """The faithful ASCII form of one non-ASCII character, or None when there is none."""
    if character in _TABLE:
        return _TABLE[character]
    if character in _NOT_REPRESENTABLE:
        return None
    category = unicodedata.category(character)
    if category == "Mn":  # a combining diacritic stored after its base letter
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(character))
    if category[0] == "L" or category == "Zs":
        base = "".join(
            c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c)
        )
        if base and base.isascii() and base.isprintable():
            return base
    return None


def _findings(parts: list[pd.DataFrame], dataset_name: str) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ASCII_FINDING_COLUMNS})
    found = pd.concat(parts, ignore_index=True)
    found["code"] = found["kind"].map(KIND_CODES)
    found["severity"] = found["code"].map({code: CODES[code][0] for code in KIND_CODES.values()})
    found["rule"] = found["code"].map({code: CODES[code][1] for code in KIND_CODES.values()})
    found["dataset"] = dataset_name
    return found[list(ASCII_FINDING_COLUMNS)]
