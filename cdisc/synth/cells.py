"""Value-level defect kinds: which fields each kind targets and how it alters them.

A kind targets fields by their design tags (see :mod:`cdisc.synth.design`), draws values with
its rate from :data:`cdisc.synth.defects.RATES`, alters them with a transform from
:mod:`cdisc.synth.mess`, and records one defect row per altered value. A value is altered at most
once (the injector's ``touched`` masks), and a transform that would leave a value unchanged does
not count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisc.synth import fmt, mess
from cdisc.synth.defects import KINDS, RATES, Injector
from cdisc.synth.design import Field, Form
from cdisc.synth.forms import LabTest


class Rows:
    """The records a kind is looking at: other columns and the subjects' sites on demand
    (slicing whole frames per target would cost more than the injection itself)."""

    def __init__(self, inj: Injector, form: str, idx: np.ndarray) -> None:
        self.inj, self.form, self.idx = inj, form, idx

    def col(self, name: str) -> np.ndarray:
        """Values of column ``name`` at these rows."""
        return self.inj.col(self.form, name)[self.idx]

    def site(self) -> np.ndarray:
        """Site index of the subject of each row."""
        sid = self.inj.col(self.form, "_sid")[self.idx]
        return self.inj.coh.subjects["site"].to_numpy()[sid - self.inj.first_sid]


Target = tuple[Form, Field]
Eligible = Callable[[np.ndarray, Rows, Form, Field], np.ndarray]
Transform = Callable[[np.ndarray, Rows, Form, Field, np.random.Generator], np.ndarray]


def _numbers(v: np.ndarray) -> np.ndarray:
    """Numeric value of each text (NaN when not a plain number), parsed once per distinct text."""
    codes, uniq = pd.factorize(np.asarray(v, dtype=object))
    parsed = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce").to_numpy(float)
    return np.where(codes >= 0, parsed[np.maximum(codes, 0)] if len(parsed) else np.nan, np.nan)


def _per_value(v: np.ndarray, test: Callable[[str], bool]) -> np.ndarray:
    codes, uniq = pd.factorize(np.asarray(v, dtype=object))
    flags = np.array([test(str(u)) for u in uniq], dtype=bool)
    return flags[codes] if len(codes) else np.zeros(0, dtype=bool)


def _targets(inj: Injector, pred: Callable[[Field], bool]) -> list[Target]:
    return [
        (form, f)
        for form in inj.design.forms
        if form.oid in inj.forms
        for f in form.fields
        if pred(f)
    ]


def _tagged(*names: str) -> Callable[[Field], bool]:
    wanted = set(names)
    return lambda f: bool(wanted & f.tags)


def _eligible(
    inj: Injector, form: Form, f: Field, idx: np.ndarray, eligible: Eligible | None
) -> np.ndarray:
    """The subset of row indices ``idx`` whose value this kind may alter."""
    v = inj.col(form.oid, f.name)[idx]
    ok = pd.notna(v) & ~inj.touch(form.oid, f.name)[idx]
    if eligible is not None and ok.any():
        ok[ok] = eligible(v[ok], Rows(inj, form.oid, idx[ok]), form, f)
    return idx[ok]


def cells(
    inj: Injector,
    kind: str,
    targets: list[Target],
    transform: Transform,
    eligible: Eligible | None = None,
    detail: Callable[[np.ndarray, Rows, Form, Field], object] | None = None,
) -> None:
    """Draw, alter and record the values of ``targets`` for one kind.

    Rows are drawn first and tested for eligibility after, so the cost follows the few drawn
    values, not the size of the chunk. In the first chunk, a kind that drew nothing is forced
    on one eligible value, if there is any.
    """
    rng = inj.rng(kind)
    picks = []
    for form, f in targets:
        drawn = np.flatnonzero(rng.random(len(inj.forms[form.oid])) < RATES[kind])
        picks.append(_eligible(inj, form, f, drawn, eligible))
    if inj.force and not any(len(p) for p in picks):
        pool = [
            _eligible(inj, form, f, np.arange(len(inj.forms[form.oid])), eligible)
            for form, f in targets
        ]
        sizes = np.array([len(p) for p in pool], dtype=float)
        if sizes.sum():
            j = int(rng.choice(len(pool), p=sizes / sizes.sum()))
            picks[j] = pool[j][[int(rng.integers(0, len(pool[j])))]]
    for (form, f), pick in zip(targets, picks, strict=True):
        if not len(pick):
            continue
        v = inj.col(form.oid, f.name)
        old = v[pick]
        new = np.asarray(transform(old, Rows(inj, form.oid, pick), form, f, rng), dtype=object)
        changed = new != old
        pick, old, new = pick[changed], old[changed], new[changed]
        if not len(pick):
            continue
        inj.col(form.oid, f.name, write=True)[pick] = new
        inj.touch(form.oid, f.name)[pick] = True
        info = KINDS[kind] if detail is None else detail(old, Rows(inj, form.oid, pick), form, f)
        sid, rid = inj.col(form.oid, "_sid")[pick], inj.col(form.oid, "_rid")[pick]
        inj.add(kind, sid, form.oid, f.name, rid, new, old, info)


def _alt_units(inj: Injector) -> None:
    """Result and unit rewritten in another unit system (both cells change, one defect row)."""
    kind = "alt_unit"
    rng = inj.rng(kind)
    cands = []
    for form, f in _targets(inj, lambda f: f.unit_field is not None):
        if not len(inj.forms[form.oid]):
            continue
        units = inj.col(form.oid, f.unit_field)
        v = inj.col(form.oid, f.name)
        x = _numbers(v)
        for (name, unit), (alt, conv, dec) in mess.ALT_UNITS.items():
            if name != f.name:
                continue
            ok = (units == unit) & ~np.isnan(x) & ~inj.touch(form.oid, f.name)
            ok &= ~inj.touch(form.oid, f.unit_field)
            cands.append((form, f, v, x, units, unit, alt, conv, dec, np.flatnonzero(ok)))
    picks = [c[-1][rng.random(len(c[-1])) < RATES[kind]] for c in cands]
    sizes = np.array([len(c[-1]) for c in cands], dtype=float)
    if inj.force and not any(len(p) for p in picks) and sizes.sum():
        j = int(rng.choice(len(cands), p=sizes / sizes.sum()))
        picks[j] = cands[j][-1][[int(rng.integers(0, len(cands[j][-1])))]]
    for (form, f, v, x, _units, unit, alt, conv, dec, _), pick in zip(cands, picks, strict=True):
        if not len(pick):
            continue
        new = fmt.fixed(conv(x[pick]), dec)
        old = v[pick].copy()
        inj.col(form.oid, f.name, write=True)[pick] = new
        inj.col(form.oid, f.unit_field, write=True)[pick] = alt
        inj.touch(form.oid, f.name)[pick] = True
        inj.touch(form.oid, f.unit_field)[pick] = True
        sid, rid = inj.col(form.oid, "_sid")[pick], inj.col(form.oid, "_rid")[pick]
        inj.add(
            kind,
            sid,
            form.oid,
            f.name,
            rid,
            new,
            old,
            f"reported in {alt}: unit item {f.unit_field} = '{alt}' (clean '{unit}')",
        )


def _lab_limits(inj: Injector) -> dict[str, LabTest]:
    tests = (*inj.design.extra["chem"], *inj.design.extra["cyto"])  # type: ignore[misc]
    return {f"{t.code}_ORRES": t for t in tests if t.lloq}


def inject_values(inj: Injector) -> None:
    """Apply every value-level kind to the injector's forms, in a fixed order."""
    limits = _lab_limits(inj)

    def unit_of(rows: Rows, f: Field) -> np.ndarray:
        if f.unit_field is not None:
            return rows.col(f.unit_field)
        return np.full(len(rows.idx), mess.FIXED_UNITS.get(f.name), dtype=object)

    cells(
        inj,
        "noncompressible",
        _targets(inj, _tagged("ankle")),
        lambda v, r, fo, f, g: mess.noncompressible(v, r.col("BRACHSYS"), g),
        lambda v, r, fo, f: ~np.isnan(_numbers(v)),
    )
    cells(
        inj,
        "censored_value",
        _targets(inj, lambda f: f.name in limits),
        lambda v, r, fo, f, g: mess.censored(v, limits[f.name].lloq, limits[f.name].uloq, g),
        lambda v, r, fo, f: (
            (_numbers(v) < limits[f.name].lloq) | (_numbers(v) > limits[f.name].uloq)
        ),
    )
    cells(
        inj,
        "vas_0_10",
        _targets(inj, lambda f: f.name == "VASREST"),
        lambda v, r, fo, f, g: mess.vas_0_10(v, g),
        lambda v, r, fo, f: _numbers(v) >= 10,
    )
    _alt_units(inj)
    cells(
        inj,
        "amputation_level_text",
        _targets(inj, _tagged("amplev")),
        lambda v, r, fo, f, g: mess.amputation_text(v, g),
        lambda v, r, fo, f: np.isin(v, list(mess.AMPUTATION_TEXT)),
    )
    cells(
        inj,
        "laterality_swap",
        _targets(inj, _tagged("lat")),
        lambda v, r, fo, f, g: mess.swap_laterality(v),
        lambda v, r, fo, f: np.isin(v, ["1", "2"]),
        lambda o, r, fo, f: "side " + o + " recorded as " + mess.swap_laterality(o),
    )
    cells(
        inj,
        "code_decode_clash",
        _targets(inj, _tagged("clash")),
        lambda v, r, fo, f, g: mess.code_clash(v, f.codelist, inj.design.decode(f.codelist), g),
        lambda v, r, fo, f: np.isin(v, list(inj.design.decode(f.codelist))),
    )
    cells(
        inj,
        "partial_date",
        _targets(inj, _tagged("pdate")),
        lambda v, r, fo, f, g: mess.partial_date(v, g),
    )
    cells(
        inj,
        "date_format",
        _targets(inj, _tagged("date")),
        lambda v, r, fo, f, g: mess.date_format(v, r.site(), g),
    )
    cells(
        inj,
        "time_format",
        _targets(inj, _tagged("time")),
        lambda v, r, fo, f, g: mess.time_format(v, g),
    )
    cells(
        inj,
        "unit_variant",
        _targets(inj, _tagged("unit")),
        lambda v, r, fo, f, g: mess.unit_variant(v, g),
        lambda v, r, fo, f: np.isin(v, list(mess.UNIT_VARIANTS)),
    )
    cells(
        inj,
        "embedded_unit",
        _targets(
            inj,
            lambda f: "num" in f.tags and (f.unit_field is not None or f.name in mess.FIXED_UNITS),
        ),
        lambda v, r, fo, f, g: mess.embedded_unit(v, unit_of(r, f), g),
        lambda v, r, fo, f: ~np.isnan(_numbers(v)) & pd.notna(unit_of(r, f)),
    )
    cells(
        inj,
        "decimal_comma",
        _targets(inj, lambda f: "num" in f.tags and f.decimals > 0),
        lambda v, r, fo, f, g: mess.decimal_comma(v),
        lambda v, r, fo, f: _per_value(v, lambda s: "." in s),
    )
    cells(
        inj,
        "implausible_value",
        _targets(inj, _tagged("vital", "vas")),
        lambda v, r, fo, f, g: mess.implausible(v, f.name, g),
        lambda v, r, fo, f: ~np.isnan(_numbers(v)),
    )
    cells(
        inj,
        "sentinel",
        _targets(inj, _tagged("num")),
        lambda v, r, fo, f, g: mess.sentinel(v, g),
        lambda v, r, fo, f: ~np.isin(v, mess.SENTINELS),
    )
    cells(
        inj,
        "padded_text",
        _targets(inj, _tagged("verbatim", "unit", "amplev")),
        lambda v, r, fo, f, g: mess.padded(v, g),
    )
    cells(
        inj,
        "case_variant",
        _targets(inj, _tagged("verbatim", "amplev")),
        lambda v, r, fo, f, g: mess.case_variant(v, g),
        lambda v, r, fo, f: _per_value(v, lambda s: s.upper() != s.lower()),
    )
    cells(
        inj,
        "misspelling",
        _targets(inj, _tagged("verbatim")),
        lambda v, r, fo, f, g: mess.misspell(v, g),
        lambda v, r, fo, f: _per_value(v, lambda s: sum(c.isalpha() for c in s) >= 4),
    )
    cells(
        inj,
        "non_ascii",
        _targets(inj, _tagged("unit", "verbatim")),
        lambda v, r, fo, f, g: mess.non_ascii(v, g),
    )
    cells(
        inj,
        "missing_value",
        _targets(inj, _tagged("blank", "time")),
        lambda v, r, fo, f, g: np.full(len(v), None, dtype=object),
    )
    cells(
        inj,
        "multiline_text",
        _targets(inj, _tagged("freetext")),
        lambda v, r, fo, f, g: mess.multiline(v, g),
    )
    cells(
        inj,
        "whitespace_only",
        _targets(inj, _tagged("num", "verbatim", "time")),
        lambda v, r, fo, f, g: np.full(len(v), " ", dtype=object),
    )
