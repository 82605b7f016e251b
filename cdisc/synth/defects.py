"""Injected messiness: the closed list of defect kinds and the injector.

Every injected defect becomes one row of ``ground_truth/defects.csv``. Kinds (closed list;
``KINDS`` maps each to its one-line description):

Record and visit level: ``missing_visit``, ``unscheduled_visit``, ``out_of_window``,
``visit_label_mismatch``, ``duplicate_record``, ``perf_not_done``, ``death_only_as_ae``.
Value level: ``partial_date``, ``date_format``, ``time_format``, ``unit_variant``,
``alt_unit``, ``embedded_unit``, ``decimal_comma``, ``implausible_value``, ``noncompressible``,
``vas_0_10``, ``censored_value``, ``sentinel``, ``whitespace_only``, ``padded_text``,
``case_variant``, ``misspelling``, ``non_ascii``, ``laterality_swap``,
``amputation_level_text``, ``code_decode_clash``, ``missing_value``, ``multiline_text``.
Value history (:mod:`cdisc.synth.revisions`): ``audit_update``, ``checkbox_blank`` (REDCap only;
the same blank item is a ``missing_value`` in ODM and Rave).
Identifiers (:mod:`cdisc.synth.identity`): ``subject_id_variant``, ``site_renumbered`` (ODM and
Rave only: REDCap names sites by data access group).
CRF versions (:mod:`cdisc.synth.versions`): ``crf_version_change`` (every record after the
version date, not drawn at random).
File level (added by the writers): ``file_bom``, ``file_crlf``.

Injection works on the canonical form frames of one chunk, identically for every export format,
so the ODM, REDCap and Rave exports of a study and seed carry the same (messy) data. Each value
is altered at most once. Rates are a few per cent per eligible value; in the first chunk a kind
that drew nothing but has an eligible value is forced once, so the default exports contain every
kind that applies to the trial (trial A has no deaths, so no ``death_only_as_ae``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc.synth.design import Design
from cdisc.synth.records import set_column
from cdisc.synth.streams import stream
from cdisc.synth.subjects import Cohort

KINDS: dict[str, str] = {
    "missing_visit": "a scheduled visit did not take place although the subject was on study",
    "unscheduled_visit": "an unscheduled visit (vital signs and labs) between scheduled ones",
    "out_of_window": "a visit date outside the protocol window of its visit",
    "visit_label_mismatch": "records filed under the wrong visit (swapped with another visit)",
    "duplicate_record": "a record entered twice (the same AE, the same lab panel)",
    "perf_not_done": "an assessment marked not done (--PERF = No) with all results blank",
    "death_only_as_ae": "a death recorded only as an AE with outcome Fatal (no DD or DS record)",
    "partial_date": "a date with unknown parts ('UN UNK 2021', '2021-06', '20 UNK 2019')",
    "date_format": "a full date in a non-ISO format, by site ('11/04/2021', '16-May-15')",
    "time_format": "a time without leading zero or with seconds ('7:25', '07:25:00.000')",
    "unit_variant": "a unit written as a synonym ('gm/dL', 'x10^9/L', 'pg/ml')",
    "alt_unit": "a result and its unit in another unit system (mg/dL for mmol/L, lb, F)",
    "embedded_unit": "the unit typed into the value ('72 kg', '35 Years ')",
    "decimal_comma": "a decimal comma instead of a point ('7,2')",
    "implausible_value": "a physiologically implausible value (temperature 29.45, VAS 105)",
    "noncompressible": "an ankle pressure written 'NC'/'non-compressible' or giving ABI > 1.4",
    "vas_0_10": "a 0-100 mm pain VAS recorded on a 0-10 scale",
    "censored_value": "a result below LLOQ or above ULOQ written with a comparator ('<1.5')",
    "sentinel": "a not-done marker or sentinel code in a result ('ND', 'N/A', '99')",
    "whitespace_only": "a single space where a value belongs",
    "padded_text": "leading or trailing blanks around a text value",
    "case_variant": "a text value in another case ('WOUND INFECTION')",
    "misspelling": "a misspelled verbatim term ('Pnuemonia')",
    "non_ascii": "non-ASCII characters (\u00b5, \u00b0C, \u00d710\u2079, \u00e6, en dash, no-break space)",
    "laterality_swap": "LEFT/RIGHT recorded against the index limb (sides swapped)",
    "amputation_level_text": "an amputation level as free text ('BKA', 'teen amputatie')",
    "code_decode_clash": "a coded item holding its decode or another code ('Male', 'M')",
    "missing_value": "an item left blank (REDCap checkboxes then export all 0)",
    "multiline_text": "free text with an embedded line break and commas",
    "audit_update": "a date corrected after first entry (ODM AuditRecord; old value in detail)",
    "checkbox_blank": "an unanswered REDCap checkbox exported all blank instead of all 0",
    "subject_id_variant": "a subject's records of one form under another id format ('3-1')",
    "site_renumbered": "a subject's later records under the site number without its zero (3)",
    "crf_version_change": "a field in its CRF v2 format after the version date ('150 m')",
    "file_bom": "the file starts with a UTF-8 byte-order mark",
    "file_crlf": "the file uses CRLF line endings",
}

#: Probability per eligible value (or record, visit, subject) of each kind.
RATES: dict[str, float] = {
    "missing_visit": 0.02,
    "unscheduled_visit": 0.08,
    "out_of_window": 0.02,
    "visit_label_mismatch": 0.02,
    "duplicate_record": 0.012,
    "perf_not_done": 0.012,
    "death_only_as_ae": 0.25,
    "partial_date": 0.04,
    "date_format": 0.02,
    "time_format": 0.03,
    "unit_variant": 0.015,
    "alt_unit": 0.01,
    "embedded_unit": 0.006,
    "decimal_comma": 0.01,
    "implausible_value": 0.004,
    "noncompressible": 0.03,
    "vas_0_10": 0.03,
    "censored_value": 0.5,
    "sentinel": 0.004,
    "whitespace_only": 0.001,
    "padded_text": 0.02,
    "case_variant": 0.03,
    "misspelling": 0.02,
    "non_ascii": 0.01,
    "laterality_swap": 0.02,
    "amputation_level_text": 0.5,
    "code_decode_clash": 0.01,
    "missing_value": 0.01,
    "multiline_text": 0.2,
    "audit_update": 0.003,
    "checkbox_blank": 0.02,
    "subject_id_variant": 0.04,
    "site_renumbered": 0.03,
}

#: Items that identify a record rather than report a result: kept when a record is not done.
KEEP_WHEN_NOT_DONE = ("VSTPT", "ABILAT", "WTREASND")

DEFECT_COLUMNS = ("kind", "sid", "form", "field", "rid", "orig_rid", "value", "clean", "detail")
#: ``field`` value used for defects on the event (visit) a record is filed under.
EVENT_FIELD = "<event>"
#: ``field`` value used for defects on the subject id a record is filed under.
SUBJECT_FIELD = "<subject>"
#: ``field`` value used for defects on the site number a record is filed under.
SITE_FIELD = "<site>"


def values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as an object array of ``str`` with ``None`` for missing (a writable copy)."""
    return np.array(frame[name].to_numpy(), dtype=object, copy=True)


class Injector:
    """Applies every kind to the forms of one chunk and records what it did."""

    def __init__(
        self, design: Design, coh: Cohort, forms: dict[str, pd.DataFrame], seed: int, chunk: int
    ) -> None:
        self.design = design
        self.coh = coh
        # Shallow copies: columns are replaced, never written in place, so the caller's
        # frames stay as they were.
        self.forms = {oid: frame.copy(deep=False) for oid, frame in forms.items()}
        self.seed = seed
        self.chunk = chunk
        self.force = chunk == 0
        self.cols: dict[str, list[np.ndarray]] = {c: [] for c in DEFECT_COLUMNS}
        self.touched: dict[tuple[str, str], np.ndarray] = {}
        self.first_sid = int(coh.subjects["sid"].iloc[0])
        self.removed = np.empty(0, dtype=np.int64)
        # Columns being altered value by value, kept as arrays until written back (pandas
        # column access costs more than the alterations themselves).
        self.cache: dict[tuple[str, str], np.ndarray] = {}
        self.dirty: set[tuple[str, str]] = set()
        for frame in self.forms.values():
            frame["_rid"] = np.arange(len(frame), dtype=np.int64)

    # -- bookkeeping ---------------------------------------------------------------------------
    def rng(self, kind: str) -> np.random.Generator:
        """The random stream of one defect kind in this chunk."""
        return stream(self.seed, self.chunk, "defect:" + kind)

    def add(
        self,
        kind: str,
        sid: object,
        form: object,
        field: object,
        rid: object,
        value: object,
        clean: object,
        detail: object,
        orig_rid: object = -1,
    ) -> None:
        """Record defects (array arguments are per defect, scalars are shared)."""
        n = len(np.atleast_1d(sid))
        row = (kind, sid, form, field, rid, orig_rid, value, clean, detail)
        for name, v in zip(DEFECT_COLUMNS, row, strict=True):
            self.cols[name].append(np.broadcast_to(np.asarray(v, dtype=object), (n,)))

    def select(
        self, kind: str, eligible: np.ndarray, rng: np.random.Generator, rate: float | None = None
    ) -> np.ndarray:
        """Indices drawn from the boolean mask ``eligible`` (forced once in the first chunk)."""
        idx = np.flatnonzero(eligible)
        pick = idx[rng.random(len(idx)) < (RATES[kind] if rate is None else rate)]
        if len(pick) == 0 and self.force and len(idx):
            pick = idx[[int(rng.integers(0, len(idx)))]]
        return pick

    def col(self, form: str, name: str, *, write: bool = False) -> np.ndarray:
        """The array of column ``name`` of ``form`` (cached; ``write`` marks it to write back)."""
        key = (form, name)
        if key not in self.cache:
            self.cache[key] = np.array(self.forms[form][name].to_numpy(), copy=True)
        if write:
            self.dirty.add(key)
        return self.cache[key]

    def flush(self) -> None:
        """Write altered cached columns back to the frames and empty the cache."""
        for form, name in sorted(self.dirty):
            set_column(self.forms[form], name, self.cache[(form, name)])
        self.cache.clear()
        self.dirty.clear()

    def touch(self, form: str, field: str) -> np.ndarray:
        """Mask of the values of ``form.field`` already altered (grows with appended rows)."""
        key = (form, field)
        n = len(self.forms[form])
        mask = self.touched.get(key, np.zeros(0, dtype=bool))
        if len(mask) < n:
            mask = np.r_[mask, np.zeros(n - len(mask), dtype=bool)]
            self.touched[key] = mask
        return mask

    def result(self) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        """The altered forms and one defect row per injected defect."""
        self.flush()
        out = pd.DataFrame(
            {
                c: pd.Series(np.concatenate(v) if v else np.empty(0, object), dtype=object)
                for c, v in self.cols.items()
            }
        )
        for c in ("sid", "rid", "orig_rid"):
            out[c] = out[c].astype(np.int64)
        return self.forms, out

    # -- record and visit level ------------------------------------------------------------------
    def visit_key(self, sid: np.ndarray, ev: np.ndarray) -> np.ndarray:
        """One integer per (subject, event), for matching visits across forms."""
        order = self.design.event_order
        ev_i = pd.Series(ev, dtype=object).map(order).to_numpy(np.int64)
        return np.asarray(sid, np.int64) * 64 + ev_i

    def append_rows(self, oid: str, new: pd.DataFrame) -> np.ndarray:
        """Append records to form ``oid`` with new row ids; return those ids."""
        self.flush()
        frame = self.forms[oid]
        start = int(frame["_rid"].max()) + 1 if len(frame) else 0
        new = new.copy()
        new["_rid"] = np.arange(start, start + len(new), dtype=np.int64)
        self.forms[oid] = pd.concat([frame, new], ignore_index=True)
        return new["_rid"].to_numpy()

    def drop_rows(self, keep: dict[str, np.ndarray]) -> None:
        """Remove rows (``keep`` masks per form), keeping the altered-value masks aligned."""
        self.flush()
        for oid, mask in keep.items():
            for key in [k for k in self.touched if k[0] == oid]:
                self.touched[key] = self.touch(oid, key[1])[mask]
            self.forms[oid] = self.forms[oid][mask].reset_index(drop=True)


def inject(
    design: Design, coh: Cohort, forms: dict[str, pd.DataFrame], seed: int, chunk: int
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Inject every defect kind into one chunk's forms; return the forms and the defect rows.

    The defect frame has :data:`DEFECT_COLUMNS`; ``rid`` (and ``orig_rid`` for duplicates)
    point at a form row's ``_rid`` (-1 when nothing is left to point at). Example:
    ``forms, defects = inject(design, cohort, forms, seed=1, chunk=0)``.
    """
    from cdisc.synth import structure
    from cdisc.synth.cells import inject_values
    from cdisc.synth.identity import site_renumbering, subject_id_variants
    from cdisc.synth.revisions import audit_updates, checkbox_blanks
    from cdisc.synth.versions import version_changes

    inj = Injector(design, coh, forms, seed, chunk)
    structure.missing_visits(inj)
    structure.deaths_only_as_ae(inj)
    structure.unscheduled_visits(inj)
    structure.duplicates(inj)
    structure.out_of_window(inj)
    structure.label_swaps(inj)
    structure.not_done(inj)
    # Before the value kinds, so they leave the rewritten values alone.
    version_changes(inj)
    inject_values(inj)
    checkbox_blanks(inj)
    audit_updates(inj)
    # Last: they file whole records elsewhere; a subject gets one of the two at most, and a
    # variant id only goes to records no other kind touched.
    subject_id_variants(inj, exclude=site_renumbering(inj))
    return inj.result()
