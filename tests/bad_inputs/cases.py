"""The bad-input corpus: what each case must give.

Each row of :data:`CASES` names a builder (:mod:`builders`), the case's category, the exit
code and fragments of the message: what it says, where (line, column, byte, record or
element) and what to do. ``README.md`` beside this file lists the same cases.

Cases in one run: the "reported, not fatal" data cases share one build of a small messy
study (``messy_study``), each checking its own warning at its own record; the two fatal
text cases share another (``bad_text``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import builders as b
from .builders import Setup


@dataclass(frozen=True)
class Reported:
    """Where an exit-0 case's warning is: a ``build_report.json`` problem or a summary note."""

    code: str | None = None  # build_report.json problems[].code
    record: str | None = None  # ... and its record
    file: str | None = None  # ... and its file
    note: tuple[str, ...] = ()  # raw_summary.json notes[]: fragments of one note


@dataclass(frozen=True)
class Case:
    id: str
    category: str  # spec | raw | data | xml | cli
    build: Callable[[Path], Setup]  # a function of builders.py
    exit: int
    says: str  # what the message says
    where: str | None  # its location; None only for command-line cases (no file position)
    hint: str | None  # what to do; None for "reported, not fatal" cases
    reported: Reported | None = None
    leaks: tuple[str, ...] = ()  # text that must not appear anywhere in the output
    needs_non_root: bool = False
    file: str | None = None  # the file named, when not the one the builder names


# -- the table ---------------------------------------------------------------------------

# fmt: off
CASES: list[Case] = [
    # spec
    Case("spec-yaml-syntax", "spec", b.yaml_syntax, 2, "YAML syntax error", ":3 ", "fix the YAML at that line"),
    Case("spec-yaml-tab-indent", "spec", b.yaml_tab, 2, "YAML syntax error", ":3 ", "fix the YAML at that line"),
    Case("spec-duplicate-key", "spec", b.duplicate_key, 2, "studyid: duplicate key (first defined on line 1)", ":5 ", "keep one of them"),
    Case("spec-duplicate-variable", "spec", b.duplicate_variable, 2, "variables.SEX: duplicate key (first defined on line 6)", ":7 ", "keep one of them"),
    Case("spec-unknown-key", "spec", b.unknown_key, 2, "titel: unknown key", ":5 ", "did you mean 'title'?"),
    Case("spec-unknown-step-key", "spec", b.unknown_step_key, 2, "variables.SEX.colour: unknown key", ":6 ", "allowed keys"),
    Case("spec-wrong-type", "spec", b.wrong_type, 2, "studyid: must be a non-empty text value", ":1 ", "write the study identifier as text"),
    Case("spec-wrong-type-options", "spec", b.wrong_type_options, 2, "source.options: expected a mapping of reader options", ":5 ", "{option: value, ...}"),
    Case("spec-unknown-reader-option", "spec", b.unknown_reader_option, 2, "source.options.encodng: option 'encodng' does not apply to rave exports", ":5 ", "did you mean 'encoding'?"),
    Case("spec-unknown-variable", "spec", b.unknown_variable, 2, "variables.AESTDTX: AESTDTX is not a AE variable", ":7 ", "did you mean 'AESTDTC'?"),
    Case("spec-unknown-algorithm", "spec", b.unknown_algorithm, 2, "unknown algorithm 'asign_no_ct'", ":6 ", "did you mean 'assign_no_ct'?"),
    Case("spec-unknown-codelist", "spec", b.unknown_codelist, 2, "unknown codelist 'SEXX'", ":6 ", "did you mean 'SEX'"),
    Case("spec-circular-derivation", "spec", b.circular_like, 2, "circular like: TTMAJAMP -> TTMAJAMR -> TTMAJAMP", ":14 ", "remove one of the 'like' keys in the cycle"),
    Case("spec-source-escapes", "spec", b.source_escapes, 2, "path '../../etc/passwd' leaves the study folder", ":4 ", "keep data files inside the study folder"),
    Case("spec-source-absolute", "spec", b.source_absolute, 2, "path '/etc/passwd' is absolute", ":4 ", "give a path relative to the study folder"),
    Case("spec-source-symlink", "spec", b.source_symlink, 2, "path 'raw/export' leaves the study folder", ":4 ", "keep data files inside the study folder"),
    Case("spec-linked-spec-file", "spec", b.spec_symlink, 2, "spec file leaves the study folder", "links to", "copy the spec into the study folder", leaks=("TOP-SECRET-VALUE",)),
    Case("spec-python-object-tag", "spec", b.python_object, 2, "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'", ":5 ", "remove the tag"),
    Case("spec-yaml-alias-bomb", "spec", b.yaml_bomb, 2, "YAML aliases (*name) are not allowed", ":6 ", "write the value out in full"),
    Case("spec-not-utf8", "spec", b.spec_not_utf8, 2, "spec is not UTF-8", ":5:", "save the file as UTF-8"),
    Case("spec-unknown-format", "spec", b.unknown_format, 2, "unknown format 'odn'", ":3 ", "did you mean 'odm'?"),
    Case("spec-missing-source", "spec", b.missing_source, 2, "missing required key 'source'", ":1 ", "add 'source:' here"),
    Case("spec-empty-study-yaml", "spec", b.empty_study_yaml, 2, "missing required key 'studyid'", ":1 ", "add 'studyid:' here"),
    # raw
    Case("raw-missing-subject-column", "raw", b.missing_subject_column, 1, "no subject column", "line 1", "system_columns"),
    Case("raw-redcap-field-not-in-dictionary", "raw", b.redcap_dictionary_lacking_field, 1, "column 'bmi' (column 13) is not declared", "line 1, column 13", "dictionary"),
    Case("raw-redcap-duplicate-subject", "raw", b.redcap_duplicate_subject, 0, "", None, None, reported=Reported(note=("data.csv: 1 data row(s) repeat the key (record_id)", "first data row 3 (as data row 1, record_id '1')"))),
    Case("raw-redcap-no-dictionary", "raw", b.redcap_no_dictionary, 1, "no REDCap data dictionary", "/raw: ", "download the data dictionary"),
    Case("raw-empty-csv", "raw", b.empty_csv, 1, "empty file", "line 1", "re-export the data"),
    Case("raw-header-only-csv", "raw", b.header_only_csv, 1, "header only, no data rows", "line 2", "check the export filters"),
    Case("raw-html-named-xpt", "raw", b.html_as_xpt, 1, "not a SAS transport (XPT) file: the file holds an HTML page", "line 1", "export the form again"),
    Case("raw-html-named-sas7bdat", "raw", b.html_as_sas7bdat, 1, "not a SAS7BDAT dataset: the file holds an HTML page", "line 1", "export the form again"),
    Case("raw-csv-named-xlsx", "raw", b.csv_as_xlsx, 1, "not an Excel workbook (.xlsx): the file holds text (a CSV file?)", "line 1", "name the file after what it holds"),
    Case("raw-wrong-encoding", "raw", b.forced_encoding_wrong, 1, "not valid utf-8 (byte 0xe9)", "line 2, byte offset 54", "source options"),
    Case("raw-not-utf8-fallback", "raw", b.cp1252_fallback, 0, "", None, None, reported=Reported(note=("ae.csv: not UTF-8", "line 2, byte offset 54", "read as windows-1252"))),
    Case("raw-utf8-bom", "raw", b.utf8_bom, 0, "", None, None, reported=Reported(note=("vs.csv: UTF-8 byte-order mark removed",))),
    Case("raw-utf8-bom-ragged-row", "raw", b.utf8_bom_ragged_row, 1, "data row 3 has 6 fields but the header has 5", "line 4", "must be quoted"),
    Case("raw-crlf-ragged-row", "raw", b.crlf_ragged_row, 1, "data row 3 has 6 fields but the header has 5", "line 4", "must be quoted"),
    Case("raw-embedded-newline-ragged-row", "raw", b.embedded_newline_ragged_row, 1, "data row 3 has 6 fields but the header has 5", "line 6", "must be quoted"),
    # data
    Case("data-impossible-date", "data", b.messy_study, 0, "", None, None, reported=Reported("invalid-calendar-date", "1", "dm.csv")),
    Case("data-two-digit-year", "data", b.messy_study, 0, "", None, None, reported=Reported("two-digit-year", "2", "dm.csv")),
    Case("data-date-all-unknown", "data", b.messy_study, 0, "", None, None, reported=Reported("date-unknown", "3", "dm.csv")),
    Case("data-non-numeric-result", "data", b.messy_study, 0, "", None, None, reported=Reported("not-a-number", "1", "vs.csv")),
    Case("data-non-ascii-transliterated", "data", b.messy_study, 0, "", None, None, reported=Reported("ascii-transliterated", "2", "ae.csv")),
    # the same messy data at database lock (--fail-on warning): each one fails the build
    Case("data-impossible-date-strict", "data", b.messy_study_strict, 1, "invalid-calendar-date", "form dm, record 1, BRTHDTC", "waive (or explain)", file="dm.csv"),
    Case("data-two-digit-year-strict", "data", b.messy_study_strict, 1, "two-digit-year", "form dm, record 2, BRTHDTC", "waive (or explain)", file="dm.csv"),
    Case("data-date-all-unknown-strict", "data", b.messy_study_strict, 1, "date-unknown", "form dm, record 3, BRTHDTC", "waive (or explain)", file="dm.csv"),
    Case("data-non-numeric-result-strict", "data", b.messy_study_strict, 1, "not-a-number", "form vs, record 1, SYSBP", "waive (or explain)", file="vs.csv"),
    Case("data-non-ascii-transliterated-strict", "data", b.messy_study_strict, 1, "ascii-transliterated", "form ae, record 2, AETERM", "waive (or explain)", file="ae.csv"),
    Case("data-non-ascii-no-ascii-form", "data", b.bad_text, 1, "ascii-not-representable '头痛' written as '??'", "form ae, record 2, AETERM", "fix the data or the spec"),
    Case("data-value-over-200-bytes", "data", b.bad_text, 1, "value-over-200-bytes value of 245 bytes exceeds the SAS V5 limit of 200", "form ae, record 3, AETERM", "split it (SDTMIG 4.5.3)"),
    Case("data-duplicate-subject", "data", b.duplicate_subject, 1, "subject '01-003' already has a DM record (record 3)", "form dm, record 4", "keep one record per subject"),
    # xml
    Case("xml-truncated", "xml", b.truncated_odm, 1, "not well-formed XML", ", line ", "truncated or not well-formed"),
    Case("xml-external-entity", "xml", b.odm_xxe, 1, "refused: a DOCTYPE declares entities", "line 2", "remove the <!DOCTYPE", leaks=("root:",)),
    Case("xml-billion-laughs", "xml", b.odm_laughs, 1, "refused: a DOCTYPE declares entities", "line 2", "remove the <!DOCTYPE"),
    Case("xml-wrong-namespace", "xml", b.odm_wrong_namespace, 1, "unsupported ODM: namespace http://www.cdisc.org/ns/odm/v1.2", "line 2", "supported: namespace http://www.cdisc.org/ns/odm/v1.3"),
    Case("xml-unsupported-version", "xml", b.odm_unsupported_version, 1, "ODMVersion 2.0", "line 2", "ODMVersion 1.3, 1.3.1, 1.3.2"),
    Case("xml-too-deep", "xml", b.odm_too_deep, 1, "Excessive depth in document: 256", "line 3, column", "nesting deeper than 256"),
    Case("xml-over-size-cap", "xml", b.odm_over_size_cap, 1, "exceeds the XML size cap of 1,000 bytes", "line 1", "set CDISC_XML_MAX_BYTES"),
    Case("xml-empty", "xml", b.odm_empty, 1, "empty file", "line 1, column 1", "export it again"),
    Case("define-external-entity", "xml", b.define_xxe, 1, "refused: a DOCTYPE declares entities", "line 2", "remove the <!DOCTYPE", leaks=("root:",)),
    Case("define-truncated", "xml", b.define_truncated, 1, "not well-formed XML", "line 4, column", "truncated"),
    # cli
    Case("cli-unknown-study", "cli", b.unknown_study, 2, "unknown study 'sial'", None, "did you mean 'sail'?"),
    Case("cli-unknown-study-synth", "cli", b.unknown_study_synth, 2, "unknown study 'sial'", None, "sail"),
    Case("cli-out-is-a-file", "cli", b.out_is_a_file, 2, "is a file, not a folder", None, "choose another --out folder"),
    Case("cli-out-read-only", "cli", b.out_read_only, 2, "is not writable", None, "choose a writable --out folder", needs_non_root=True),
    Case("cli-disk-full", "cli", b.disk_full, 2, "cannot write into the output folder: File too large", None, "the file size limit was reached"),
    Case("cli-raw-missing", "cli", b.raw_missing, 2, "does not exist", None, "check the --raw path"),
    Case("cli-bad-size-cap", "cli", b.bad_size_cap, 2, "is not a positive number of bytes", None, "unset it for the default"),
]
# fmt: on

#: Inputs the toolkit accepts and reports (exit 0), checked beside the corpus: messy data a
#: default build maps and reports (the same data fails with --fail-on warning, in CASES),
#: and files the readers read correctly with a located note. README.md says why.
REPORTED: list[Case] = [case for case in CASES if case.exit == 0]
#: The corpus proper: every case ends with exit 1 or 2.
CASES = [case for case in CASES if case.exit != 0]


def by_id() -> dict[str, Case]:
    """The corpus cases and the reported ones, by id (ids are unique)."""
    table = {case.id: case for case in [*CASES, *REPORTED]}
    assert len(table) == len(CASES) + len(REPORTED), "duplicate case id"
    return table


def run_env(setup: Setup) -> dict[str, str]:
    """The environment of a run: this one, without debug tracebacks, plus the case's own."""
    env = {k: v for k, v in os.environ.items() if k != "CDISC_DEBUG"}
    env.pop("SOURCE_DATE_EPOCH", None)
    return env | setup.env
