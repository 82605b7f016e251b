"""Builders of the bad-input corpus: each writes one broken input and says how to run it.

A builder takes a fresh folder and returns a :class:`Setup`: the arguments of the real
command, the file its message must name, and what else the run needs (environment, a file
size limit, the report to read). The expectations are in :mod:`cases`.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "edc-exports" / "redcap"
ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"


@dataclass
class Setup:
    """How to run one case: the arguments after ``cdisc`` and the file the message must name."""

    args: list[str]
    file: str
    env: dict[str, str] = field(default_factory=dict)
    #: RLIMIT_FSIZE for the run, in bytes: writes beyond it fail with EFBIG (a full disk).
    fsize: int | None = None
    #: The JSON report a "reported, not fatal" case is checked in.
    report: Path | None = None
    #: Files that must not exist after the run (e.g. one a hostile input tried to create).
    absent: tuple[Path, ...] = ()


# -- helpers ------------------------------------------------------------------------------


def write(path: Path, text: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding, newline="")
    return path


def study(
    tmp: Path, fmt: str = "rave", raw: str = "raw", extra: str = "", name: str = "study"
) -> Path:
    """A study folder whose study.yaml names only the source: the build reads the export."""
    folder = tmp / name
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    write(folder / "study.yaml", f"studyid: T\nsource:\n  format: {fmt}\n  path: {raw}\n{extra}")
    return folder


def build(folder: Path, tmp: Path, *more: str) -> list[str]:
    return ["build", str(folder), "--out", str(tmp / "out"), *more]


VS_CSV = "Subject,SiteNumber,FolderName,VSTESTCD,VSORRES\n01-001,01,SCR,SYSBP,120\n"


def rave_build(tmp: Path, files: dict[str, str | bytes], extra: str = "") -> Setup:
    """A Rave-style export of ``files`` (name -> content), built; the first file is named."""
    folder = study(tmp, extra=extra)
    for name, content in files.items():
        write(folder / "raw" / name, content)
    return Setup(build(folder, tmp), str(folder / "raw" / next(iter(files))))


def _summary() -> dict:
    """The trial summary parameters of the bundled Rave study, so TS passes conformance."""
    text = (REPO / "mappings" / "sail-rave" / "study.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["design"]["summary"]


DM_SPEC = """domain: DM
sources:
  - form: dm
variables:
  BRTHDTC: {algorithm: assign_datetime, field: BRTHDAT}
  SEX: {algorithm: assign_ct, field: SEX, codelist: SEX}
"""
VS_SPEC = """domain: VS
sources:
  - form: vs
tests:
  - {testcd: SYSBP, result: SYSBP, unit: mmHg, target_unit: mmHg}
variables:
  VSDTC: {algorithm: assign_datetime, field: VSDAT}
"""
AE_SPEC = """domain: AE
sources:
  - form: ae
variables:
  AETERM: {algorithm: assign_no_ct, field: AETERM}
  AEDECOD: {algorithm: assign_no_ct, field: AETERM}
  AESTDTC: {algorithm: assign_datetime, field: AESTDAT}
"""
DM_ROWS = ["01-001,01,SCR,1960-03-04,M", "01-002,01,SCR,1971-11-20,F", "01-003,01,SCR,1955-06-30,F"]
VS_ROWS = [
    "01-001,01,SCR,2021-01-05,120",
    "01-002,01,SCR,2021-01-06,130",
    "01-003,01,SCR,2021-01-07,125",
]
AE_ROWS = [
    "01-001,01,LOG,Headache,2021-02-01",
    "01-002,01,LOG,Rash,2021-02-02",
    "01-003,01,LOG,Nausea,2021-02-03",
]


def data_study(
    tmp: Path,
    dm: list[str] = DM_ROWS,
    vs: list[str] = VS_ROWS,
    ae: list[str] = AE_ROWS,
    **options,
) -> Setup:
    """A three-subject study with DM, VS and AE specs that builds clean (exit 0) as given;
    a case changes some rows. The AE file is the one named."""
    folder = tmp / "mini"
    document = {
        "studyid": "MINI",
        "title": "A three-subject study for the bad-input corpus",
        "source": {"format": "rave", "path": "raw"},
        "output_date": "2025-01-01T00:00:00",
        "country": "NLD",
        "design": {"summary": _summary()},
    }
    write(folder / "study.yaml", yaml.safe_dump(document, sort_keys=False))
    for name, text in (("dm", DM_SPEC), ("vs", VS_SPEC), ("ae", AE_SPEC)):
        write(folder / "sdtm" / f"{name}.yaml", text)
    headers = {
        "dm": "Subject,SiteNumber,FolderName,BRTHDAT,SEX",
        "vs": "Subject,SiteNumber,FolderName,VSDAT,SYSBP",
        "ae": "Subject,SiteNumber,FolderName,AETERM,AESTDAT",
    }
    for form, rows in (("dm", dm), ("vs", vs), ("ae", ae)):
        write(folder / "raw" / f"{form}.csv", "\n".join([headers[form], *rows]) + "\n")
    out = tmp / "out"
    return Setup(
        build(folder, tmp),
        str(folder / "raw" / "ae.csv"),
        report=out / "mini" / "build_report.json",
        **options,
    )


def odm(body: str, *, ns: str = ODM_NS, version: str = "1.3.2", doctype: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + doctype
        + f'<ODM xmlns="{ns}" ODMVersion="{version}" FileOID="F" FileType="Snapshot" '
        'CreationDateTime="2021-01-01T00:00:00">\n' + body + "</ODM>\n"
    )


def odm_build(tmp: Path, text: str | bytes, **options) -> Setup:
    folder = study(tmp, fmt="odm", raw="raw/export.xml")
    path = write(folder / "raw" / "export.xml", text)
    return Setup(build(folder, tmp), str(path), **options)


XXE = '<!DOCTYPE ODM [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = (
    '<!DOCTYPE ODM [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {n} "{f"&{p};" * 10}">' for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>\n"
)


def package(tmp: Path, define: str | bytes) -> Setup:
    """A package folder with one small XPT and the given define.xml, for ``cdisc validate``."""
    folder = tmp / "package"
    folder.mkdir(parents=True)
    frame = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["DM", "DM"], "USUBJID": ["S-1", "S-2"]})
    pyreadstat.write_xport(frame, str(folder / "dm.xpt"), table_name="DM")
    path = write(folder / "define.xml", define)
    return Setup(["validate", str(folder)], str(path))


DEFINE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "{doctype}"
    f'<ODM xmlns="{ODM_NS}" xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2" '
    'FileType="Snapshot" FileOID="D" def:Context="Submission">\n'
    '<Study OID="S"><GlobalVariables><StudyName>S</StudyName></GlobalVariables>\n'
    '<MetaDataVersion OID="MDV" Name="M" def:DefineVersion="2.1.0">{body}</MetaDataVersion>\n'
    "</Study></ODM>\n"
)


# -- specs -------------------------------------------------------------------------------


def spec_check(tmp: Path, study_yaml: str | bytes, specs: dict[str, str] | None = None) -> Setup:
    """``cdisc check`` on a study whose study.yaml (and sdtm specs) are as given; the file
    named is the last spec given, or study.yaml."""
    folder = tmp / "study"
    # No raw export: check reports forms and fields as not checked and reads no data.
    path = write(folder / "study.yaml", study_yaml)
    for name, text in (specs or {}).items():
        path = write(folder / "sdtm" / name, text)
    return Setup(["check", str(folder)], str(path))


GOOD_STUDY = "studyid: T\nsource:\n  format: rave\n  path: raw\n"


def yaml_syntax(tmp: Path) -> Setup:
    return spec_check(tmp, "studyid: T\nsource: {format: rave, path: raw\ntitle: x\n")


def yaml_tab(tmp: Path) -> Setup:
    return spec_check(tmp, "studyid: T\nsource:\n\tformat: rave\n\tpath: raw\n")


def duplicate_key(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY + "studyid: U\n")


def duplicate_variable(tmp: Path) -> Setup:
    spec = DM_SPEC + "  SEX: {algorithm: assign_ct, field: SEX, codelist: SEX}\n"
    return spec_check(tmp, GOOD_STUDY, {"dm.yaml": spec})


def unknown_key(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY + "titel: A study\n")


def unknown_step_key(tmp: Path) -> Setup:
    spec = DM_SPEC.replace("codelist: SEX}", "codelist: SEX, colour: red}")
    return spec_check(tmp, GOOD_STUDY, {"dm.yaml": spec})


def wrong_type(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY.replace("studyid: T", "studyid: [T, U]"))


def wrong_type_options(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY + "  options: [encoding, cp1252]\n")


def unknown_reader_option(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY + "  options: {encodng: cp1252}\n")


def unknown_variable(tmp: Path) -> Setup:
    spec = AE_SPEC.replace("AESTDTC:", "AESTDTX:")
    return spec_check(tmp, GOOD_STUDY, {"ae.yaml": spec})


def unknown_algorithm(tmp: Path) -> Setup:
    spec = AE_SPEC.replace("AEDECOD: {algorithm: assign_no_ct", "AEDECOD: {algorithm: asign_no_ct")
    return spec_check(tmp, GOOD_STUDY, {"ae.yaml": spec})


def unknown_codelist(tmp: Path) -> Setup:
    return spec_check(
        tmp, GOOD_STUDY, {"dm.yaml": DM_SPEC.replace("codelist: SEX}", "codelist: SEXX}")}
    )


def circular_like(tmp: Path) -> Setup:
    """Trial B's specs with two ADTTE parameters each copied from the other."""
    folder = tmp / "study"
    bundled = REPO / "mappings" / "sail"
    for sub in ("sdtm", "adam"):
        for spec in sorted((bundled / sub).glob("*.yaml")):
            write(folder / sub / spec.name, spec.read_text(encoding="utf-8"))
    write(folder / "study.yaml", (bundled / "study.yaml").read_text(encoding="utf-8"))
    adtte = folder / "adam" / "adtte.yaml"
    text = adtte.read_text(encoding="utf-8")
    assert "  - paramcd: TTMAJAMP\n" in text and "    like: TTMAJAMP\n" in text
    write(
        adtte,
        text.replace("  - paramcd: TTMAJAMP\n", "  - paramcd: TTMAJAMP\n    like: TTMAJAMR\n", 1),
    )
    return Setup(["check", str(folder)], str(adtte))


def source_escapes(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY.replace("path: raw", "path: ../../etc/passwd"))


def source_absolute(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY.replace("path: raw", "path: /etc/passwd"))


def source_symlink(tmp: Path) -> Setup:
    setup = spec_check(tmp, GOOD_STUDY.replace("path: raw", "path: raw/export"))
    outside = write(tmp / "elsewhere" / "vs.csv", VS_CSV).parent
    (tmp / "study" / "raw").mkdir()
    (tmp / "study" / "raw" / "export").symlink_to(outside, target_is_directory=True)
    return setup


def spec_symlink(tmp: Path) -> Setup:
    setup = spec_check(tmp, GOOD_STUDY)
    secret = write(tmp / "elsewhere" / "secret.yaml", "domain: DM\nsecret: TOP-SECRET-VALUE\n")
    link = tmp / "study" / "sdtm" / "dm.yaml"
    link.parent.mkdir()
    link.symlink_to(secret)
    setup.file = str(link)
    return setup


def python_object(tmp: Path) -> Setup:
    marker = tmp / "owned"
    text = GOOD_STUDY + f"title: !!python/object/apply:os.system ['touch {marker}']\n"
    setup = spec_check(tmp, text)
    setup.absent = (marker,)
    return setup


def yaml_bomb(tmp: Path) -> Setup:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    return spec_check(tmp, GOOD_STUDY + "\n".join(lines) + "\n")


def spec_not_utf8(tmp: Path) -> Setup:
    return spec_check(tmp, (GOOD_STUDY + "title: Caf\xe9 study\n").encode("latin-1"))


def unknown_format(tmp: Path) -> Setup:
    return spec_check(tmp, GOOD_STUDY.replace("format: rave", "format: odn"))


def missing_source(tmp: Path) -> Setup:
    return spec_check(tmp, "studyid: T\ntitle: no source\n")


def empty_study_yaml(tmp: Path) -> Setup:
    return spec_check(tmp, "")


# -- raw data ----------------------------------------------------------------------------


def missing_subject_column(tmp: Path) -> Setup:
    return rave_build(
        tmp, {"vs.csv": "SiteNumber,FolderName,VSTESTCD,VSORRES\n01,SCREEN,SYSBP,120\n"}
    )


def redcap_dictionary_lacking_field(tmp: Path) -> Setup:
    folder = study(tmp, fmt="redcap")
    data = (SHARED / "simple" / "data.csv").read_bytes()
    write(folder / "raw" / "data.csv", data)
    with (SHARED / "simple" / "dictionary.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row[0] != "bmi"]
    with (folder / "raw" / "dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return Setup(build(folder, tmp), str(folder / "raw" / "data.csv"))


def redcap_duplicate_subject(tmp: Path) -> Setup:
    """REDCap's classic "simple" project with its first record entered again as data row 3."""
    folder = study(tmp, fmt="redcap")
    write(folder / "raw" / "dictionary.csv", (SHARED / "simple" / "dictionary.csv").read_bytes())
    text = (SHARED / "simple" / "data.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO(newline="")
    csv.writer(out).writerows([*rows[:3], rows[1], *rows[3:]])
    write(folder / "raw" / "data.csv", out.getvalue())
    return Setup(
        build(folder, tmp),
        str(folder / "raw" / "data.csv"),
        report=tmp / "out" / "study" / "raw_summary.json",
    )


def redcap_no_dictionary(tmp: Path) -> Setup:
    folder = study(tmp, fmt="redcap")
    write(folder / "raw" / "data.csv", (SHARED / "simple" / "data.csv").read_bytes())
    return Setup(build(folder, tmp), str(folder / "raw"))


def empty_csv(tmp: Path) -> Setup:
    return rave_build(tmp, {"vs.csv": b""})


def header_only_csv(tmp: Path) -> Setup:
    return rave_build(tmp, {"vs.csv": "Subject,SiteNumber,FolderName,VSTESTCD,VSORRES\n"})


HTML = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>502</body></html>\n"


def html_as_xpt(tmp: Path) -> Setup:
    return rave_build(tmp, {"vs.xpt": HTML})


def html_as_sas7bdat(tmp: Path) -> Setup:
    return rave_build(tmp, {"vs.sas7bdat": HTML})


def csv_as_xlsx(tmp: Path) -> Setup:
    return rave_build(tmp, {"vs.xlsx": VS_CSV})


def forced_encoding_wrong(tmp: Path) -> Setup:
    text = "Subject,SiteNumber,FolderName,AETERM\n01-001,01,SCR,Caf\xe9 au lait spots\n"
    return rave_build(
        tmp, {"ae.csv": text.encode("cp1252")}, extra="  options: {encoding: utf-8}\n"
    )


def cp1252_fallback(tmp: Path) -> Setup:
    text = "Subject,SiteNumber,FolderName,AETERM\n01-001,01,SCR,Caf\xe9 au lait spots\n"
    setup = rave_build(tmp, {"ae.csv": text.encode("cp1252")})
    setup.report = tmp / "out" / "study" / "raw_summary.json"
    return setup


def utf8_bom(tmp: Path) -> Setup:
    setup = rave_build(tmp, {"vs.csv": codecs.BOM_UTF8 + VS_CSV.encode()})
    setup.report = tmp / "out" / "study" / "raw_summary.json"
    return setup


def utf8_bom_ragged_row(tmp: Path) -> Setup:
    """A BOM does not shift the located line or the field count of a broken row."""
    rows = [
        VS_CSV.splitlines()[0],
        "01-001,01,SCR,SYSBP,120",
        "01-002,01,SCR,SYSBP,130",
        "01-003,01,SCR,SYSBP,1,25",
    ]
    return rave_build(tmp, {"vs.csv": codecs.BOM_UTF8 + ("\n".join(rows) + "\n").encode()})


def crlf_ragged_row(tmp: Path) -> Setup:
    rows = [
        VS_CSV.splitlines()[0],
        "01-001,01,SCR,SYSBP,120",
        "01-002,01,SCR,SYSBP,130",
        "01-003,01,SCR,SYSBP,1,25",
    ]
    return rave_build(tmp, {"vs.csv": "\r\n".join(rows) + "\r\n"})


def embedded_newline_ragged_row(tmp: Path) -> Setup:
    # Record 1 spans lines 2-4 (a quoted comment with two line breaks); the bad row is on
    # physical line 6, which is data row 3.
    rows = [
        "Subject,SiteNumber,FolderName,AETERM,COMMENT",
        '01-001,01,LOG,Headache,"first line\nsecond line\nthird line"',
        "01-002,01,LOG,Rash,none",
        "01-003,01,LOG,Nausea,mild, then severe",
    ]
    return rave_build(tmp, {"ae.csv": "\n".join(rows) + "\n"})


def messy_study(tmp: Path) -> Setup:
    """One build holding every "reported, not fatal" data problem, each at its own record."""
    return data_study(
        tmp,
        dm=["01-001,01,SCR,2021-02-30,M", "01-002,01,SCR,25/12/60,F", "01-003,01,SCR,UN UNK UNK,F"],
        vs=[
            "01-001,01,SCR,2021-01-05,abc",
            "01-002,01,SCR,2021-01-06,130",
            "01-003,01,SCR,2021-01-07,125",
        ],
        ae=[
            "01-001,01,LOG,Headache,2021-02-01",
            "01-002,01,LOG,Café au lait spots,2021-02-02",
            '01-003,01,LOG,"Nausea\nand vomiting",2021-02-03',
        ],
    )


def messy_study_strict(tmp: Path) -> Setup:
    """The messy study built with ``--fail-on warning`` (as at database lock): every
    problem that is only a warning by default now fails the build, each on its own line."""
    setup = messy_study(tmp)
    setup.args = [*setup.args, "--fail-on", "warning"]
    setup.report = None
    return setup


def bad_text(tmp: Path) -> Setup:
    """One build with both fatal text problems: a term with no ASCII form (record 2) and
    one of 245 bytes (record 3). Each case finds its own line on stderr."""
    long = ("Pain in the left lower leg after walking " * 6).strip()
    assert len(long.encode()) == 245
    return data_study(
        tmp,
        ae=[
            "01-001,01,LOG,Headache,2021-02-01",
            "01-002,01,LOG,头痛,2021-02-02",
            f"01-003,01,LOG,{long},2021-02-03",
        ],
    )


def duplicate_subject(tmp: Path) -> Setup:
    setup = data_study(tmp, dm=[*DM_ROWS, "01-003,01,SCR,1955-06-30,F"])
    setup.file = setup.file.replace("ae.csv", "dm.csv")
    return setup


# -- XML ---------------------------------------------------------------------------------


def truncated_odm(tmp: Path) -> Setup:
    text = (SHARED / "longitudinal" / "project.xml").read_text(encoding="utf-8")
    return odm_build(tmp, text[: len(text) // 2])


def odm_xxe(tmp: Path) -> Setup:
    return odm_build(tmp, odm('<Study OID="&x;"/>\n', doctype=XXE))


def odm_laughs(tmp: Path) -> Setup:
    return odm_build(tmp, odm('<Study OID="S">&i;</Study>\n', doctype=LAUGHS))


def odm_wrong_namespace(tmp: Path) -> Setup:
    return odm_build(
        tmp, odm('<Study OID="S"/>\n', ns="http://www.cdisc.org/ns/odm/v1.2", version="1.2.1")
    )


def odm_unsupported_version(tmp: Path) -> Setup:
    return odm_build(tmp, odm('<Study OID="S"/>\n', version="2.0"))


def odm_too_deep(tmp: Path) -> Setup:
    return odm_build(tmp, odm("<Study>" + "<x>" * 300 + "</x>" * 300 + "</Study>\n"))


def odm_over_size_cap(tmp: Path) -> Setup:
    return odm_build(tmp, odm('<Study OID="S"/>\n' * 100), env={"CDISC_XML_MAX_BYTES": "1000"})


def odm_empty(tmp: Path) -> Setup:
    return odm_build(tmp, b"")


def define_xxe(tmp: Path) -> Setup:
    return package(tmp, DEFINE.format(doctype=XXE, body="&x;"))


def define_truncated(tmp: Path) -> Setup:
    text = DEFINE.format(doctype="", body="")
    return package(tmp, text[: text.index("<MetaDataVersion") + 30])


# -- command line ------------------------------------------------------------------------


def unknown_study(tmp: Path) -> Setup:
    return Setup(["build", "sial", "--out", str(tmp / "out")], "sial")


def unknown_study_synth(tmp: Path) -> Setup:
    return Setup(["synth", "--study", "sial", "--out", str(tmp / "x")], "sial", absent=(tmp / "x",))


def out_is_a_file(tmp: Path) -> Setup:
    setup = rave_build(tmp, {"vs.csv": VS_CSV})
    write(tmp / "out", "not a folder")
    setup.file = str(tmp / "out")
    return setup


def out_read_only(tmp: Path) -> Setup:
    setup = rave_build(tmp, {"vs.csv": VS_CSV})
    (tmp / "out").mkdir()
    (tmp / "out").chmod(0o555)
    setup.file = str(tmp / "out")
    return setup


def disk_full(tmp: Path) -> Setup:
    """The clean small study with writes capped at 20,000 bytes: the first larger output
    file fails with EFBIG, as on a full disk (setrlimit(RLIMIT_FSIZE) in the child)."""
    setup = data_study(tmp, fsize=20_000)
    setup.file = str(tmp / "out")
    return setup


def raw_missing(tmp: Path) -> Setup:
    folder = study(tmp)
    return Setup([*build(folder, tmp), "--raw", str(tmp / "nowhere")], str(tmp / "nowhere"))


def bad_size_cap(tmp: Path) -> Setup:
    setup = odm_build(tmp, odm('<Study OID="S"/>\n'), env={"CDISC_XML_MAX_BYTES": "lots"})
    setup.file = "CDISC_XML_MAX_BYTES"
    return setup
