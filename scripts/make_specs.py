"""Regenerate ``specs/``: the SDTMIG 3.4 / ADaMIG 1.3 / controlled-terminology subset the toolkit ships.

The installed toolkit must not need ``../shared`` at run time, so this script copies the part of the
official files it needs into ``specs/`` as plain CSV (UTF-8, LF, deterministic row order). Running it
twice on the same inputs gives byte-identical files. It uses no network, only stdlib + pandas and
the toolkit's own NCI EVS reader (``cdisc.standards.read_nci_evs``).

Inputs (all read-only, under ``--shared``, default ``../shared`` beside the repository):

* ``standards/ig/sdtmig-3.4/{Datasets,Variables}.csv``     CDISC Library export of SDTMIG v3.4
* ``standards/ig/adamig-1.3/{DataStructures,Variables}.csv`` CDISC Library export of ADaMIG v1.3
* ``standards/ct/2025-03-28/SDTM_Terminology_2025-03-28.txt`` NCI EVS SDTM CT (tab-delimited),
  replaceable with ``--ct`` (another NCI EVS release), plus ``ADaM_CT_*.csv`` and
  ``Define-XML_CT_*.csv`` (``--adam-ct``, ``--define-ct``)

Outputs (under ``--out``, default ``specs/`` of this repository)::

    sdtm/datasets.csv      one row per shipped SDTM dataset: label, class, structure
    sdtm/variables.csv     one row per dataset variable, in SDTMIG order
    adam/structures.csv    ADSL, BDS and the BDS subclass TTE
    adam/variables.csv     ADSL and BDS variables as ADaMIG 1.3 lists them (names may be patterns)
    ct/codelists.csv       one row per shipped codelist, with why it is shipped
    ct/terms.csv           one row per term of a shipped codelist (definitions dropped)
    ct/metadata.json       CT package version and the files it came from
    metadata.json          every input file with its SHA-256, and row counts
    README.md              what is here and how to regenerate it

Usage, from the repository root::

    python scripts/make_specs.py                       # ../shared -> specs/
    python scripts/make_specs.py --shared ../shared --out specs
    python scripts/make_specs.py --ct "/data/SDTM Terminology 2025-06-27.txt"

Exit status: 0 on success, 1 when an input is missing or does not hold what it must (the message
names the file), 2 on bad command-line arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
# The toolkit's own NCI EVS reader (one parser for the shipped CT and a user's file); the path
# entry lets the script run from a checkout that was never pip-installed.
sys.path.insert(0, str(REPO))
from cdisc.errors import InputError  # noqa: E402
from cdisc.standards import (  # noqa: E402
    NCI_EVS_COLUMNS,
    NCI_EVS_FIELDS,
    package_date_of,
    read_nci_evs,
)

SDTMIG_DIR = Path("standards/ig/sdtmig-3.4")
ADAMIG_DIR = Path("standards/ig/adamig-1.3")
CT_DIR = Path("standards/ct/2025-03-28")
DEFAULT_SDTM_CT = CT_DIR / "SDTM_Terminology_2025-03-28.txt"
DEFAULT_ADAM_CT = CT_DIR / "ADaM_CT_2025-03-28.csv"
DEFAULT_DEFINE_CT = CT_DIR / "Define-XML_CT_2025-03-28.csv"

#: SDTM datasets shipped, each with why. The first 17 are the ones the project issue requires;
#: the last six are needed by the two trials (reference/trials.md sections 2, 3.7 and 3.8).
SDTM_DATASETS: tuple[tuple[str, str], ...] = (
    ("DM", "issue: demographics, one record per subject"),
    ("EX", "issue: exposure to the investigational product"),
    ("AE", "issue: adverse events (primary endpoint of trial A)"),
    ("LB", "issue: laboratory tests, cytokines (trials.md 3.8)"),
    ("VS", "issue: vital signs, ABI/TBI (trials.md 3.4, 3.9)"),
    ("DS", "issue: disposition, deaths for ADTTE"),
    ("PR", "issue: procedures, amputations for ADTTE (trials.md section 2)"),
    ("QS", "issue: questionnaires, EQ-5D-5L and SF-36 (trials.md 3.5, 3.6)"),
    ("RS", "issue: clinical classifications, Rutherford/Fontaine"),
    ("SV", "issue: subject visits"),
    ("SE", "issue: subject elements"),
    ("TS", "issue: trial summary (FDA-required parameters)"),
    ("TA", "issue: trial arms"),
    ("TE", "issue: trial elements"),
    ("TV", "issue: trial visits"),
    ("TI", "issue: trial inclusion/exclusion criteria"),
    ("SUPPQUAL", "issue: supplemental qualifiers, the model of every SUPP-- dataset"),
    ("CP", "trials: CD4/CD8 lymphocyte subsets exist only in CPTESTCD (trials.md 3.8)"),
    ("EC", "trials: exposure as collected, 30 IM injections per session (trials.md 1B)"),
    ("CM", "trials: analgesia and sedation given with the injections (trials.md section 2)"),
    ("MH", "trials: diabetes and PAD history at screening (trials.md section 2)"),
    ("IE", "trials: inclusion/exclusion criteria not met (trials.md 1A, 1B)"),
    ("FT", "trials: treadmill pain-free and maximum walking distance (trials.md 3.7)"),
)

#: Codelists shipped beyond those the shipped variables reference, or named here so that their
#: reason is written down: (NCI code, expected submission value, reason). A code the CT files
#: lack, or whose submission value differs, stops the script.
KEEP_CODELISTS: tuple[tuple[str, str, str], ...] = (
    # --- SDTM CT: subject-level and general
    ("C66742", "NY", "Y/N flags in every domain; TS indicator parameters ADDON, RANDOM, ADAPT …"),
    ("C66731", "SEX", "DM.SEX"),
    ("C74457", "RACE", "DM.RACE"),
    ("C66790", "ETHNIC", "DM.ETHNIC"),
    ("C66781", "AGEU", "DM.AGEU and ADSL.AGEU"),
    ("C99079", "EPOCH", "EPOCH in subject domains and TA (SCREENING/TREATMENT/FOLLOW-UP)"),
    ("C142179", "ARMNULRS", "DM.ARMNRS for screen failures and unassigned subjects"),
    (
        "C66789",
        "ND",
        "--STAT = NOT DONE, e.g. walking tests CLI patients cannot do (trials.md 3.7)",
    ),
    # --- disposition (DSDECOD depends on DSCAT)
    ("C74558", "DSCAT", "DS.DSCAT selects which DSDECOD codelist applies"),
    ("C66727", "NCOMPLT", "DS.DSDECOD for DISPOSITION EVENT (completion, death, withdrawal)"),
    ("C114118", "PROTMLST", "DS.DSDECOD for PROTOCOL MILESTONE (informed consent, randomized)"),
    ("C150811", "OTHEVENT", "DS.DSDECOD for OTHER EVENT"),
    ("C170443", "DSSCAT", "DS.DSSCAT"),
    # --- exposure
    ("C66729", "ROUTE", "EXROUTE/ECROUTE INTRAMUSCULAR (trials.md 3.9)"),
    ("C66726", "FRM", "EXDOSFRM SUSPENSION / INJECTION, SUSPENSION (trials.md 3.9)"),
    ("C71113", "FREQ", "EXDOSFRQ/CMDOSFRQ"),
    ("C71620", "UNIT", "EXDOSU 10^6 Therapeutic Cells, lab units, walking distance in m"),
    ("C74456", "LOC", "EXLOC/VSLOC/PRLOC: injection sites, amputation level"),
    ("C99073", "LAT", "VSLAT for ABI/TBI per leg, PRLAT for the index limb (trials.md 3.4)"),
    ("C71148", "POSITION", "VSPOS for blood pressure"),
    # --- findings
    ("C65047", "LBTESTCD", "hematology, chemistry, cytokines, lymphocyte subsets (trials.md 3.8)"),
    ("C67154", "LBTEST", "paired with LBTESTCD (same NCI codes)"),
    ("C78734", "SPECTYPE", "LBSPEC, e.g. SERUM OR PLASMA for cytokines (trials.md 3.8)"),
    ("C66741", "VSTESTCD", "SYSBP, DIABP, PULSE, TEMP, WEIGHT, HEIGHT, BMI, ABI (trials.md 3.9)"),
    ("C67153", "VSTEST", "paired with VSTESTCD"),
    ("C66770", "VSRESU", "vital-sign result units (trials.md 3.9)"),
    ("C181173", "CPTESTCD", "CD4/CD8 helper and cytotoxic T cells TLYH, TLC (trials.md 3.8)"),
    ("C181174", "CPTEST", "paired with CPTESTCD"),
    # FT test codes are published per instrument (SDTMIG 3.4 FTTESTCD note); CT 2025-03-28 has
    # none for a treadmill claudication test: SIXMW1TC (C115388) codes the distance at minutes
    # 1-6 of a 6-minute walk, another test, so PFWD/MWD are sponsor codes (trials.md 3.7).
    ("C115304", "FTCAT", "FT.FTCAT (extensible): sponsor TREADMILL WALKING TEST (trials.md 3.7)"),
    ("C100129", "QSCAT", "QSCAT EQ-5D-5L (C102117) and SF36 V2.0 STANDARD (C102122)"),
    ("C101817", "EQ5D02TC", "EQ-5D-5L item codes EQ5D0201-EQ5D0206 (trials.md 3.5)"),
    ("C101818", "EQ5D02TN", "EQ-5D-5L item names (trials.md 3.5)"),
    ("C101826", "SF363TC", "SF-36 v2 standard item codes SF36301… (trials.md 3.6)"),
    ("C101827", "SF363TN", "SF-36 v2 standard item names (trials.md 3.6)"),
    # --- adverse events
    ("C66769", "AESEV", "AESEV MILD/MODERATE/SEVERE (trials.md 3.9)"),
    ("C66768", "OUT", "AEOUT (trials.md 3.9)"),
    ("C66767", "ACN", "AEACN (trials.md 3.9)"),
    # --- trial summary: the parameters P21 SD2201-SD2235/SD2273-SD2287 require and their values
    ("C66738", "TSPARMCD", "TS parameter codes, incl. the FDA-required ones"),
    ("C67152", "TSPARM", "paired with TSPARMCD"),
    ("C66732", "SEXPOP", "TSVAL of SEXPOP (P21 SD2207)"),
    ("C66735", "TBLIND", "TSVAL of TBLIND (P21 SD2209)"),
    ("C66785", "TCNTRL", "TSVAL of TCNTRL (P21 SD2210)"),
    ("C66736", "TINDTP", "TSVAL of TINDTP (P21 SD2212)"),
    ("C66737", "TPHASE", "TSVAL of TPHASE (P21 SD2214)"),
    ("C66739", "TTYPE", "TSVAL of TTYPE (P21 SD2215)"),
    ("C99076", "INTMODEL", "TSVAL of INTMODEL (P21 SD2228)"),
    ("C99077", "STYPE", "TSVAL of STYPE (P21 SD2230)"),
    ("C99078", "INTTYPE", "TSVAL of INTTYPE (P21 SD2231)"),
    ("C160924", "SDTMIGRS", "TSVAL of SDTIGVER (P21 SD2280); Define-XML CT as well"),
    ("C160923", "SDTMVRS", "TSVAL of SDTMVER (P21 SD2281)"),
    ("C66788", "DICTNAM", "TS.TSVCDREF and define ExternalCodeList dictionaries; Define-XML CT"),
    # --- ADaM CT
    ("C81223", "DATEFL", "ADaM *DTF date imputation flags"),
    ("C81226", "TIMEFL", "ADaM *TMF time imputation flags"),
    ("C81224", "DTYPE", "BDS.DTYPE derivation type"),
    ("C81225", "PARAMTYP", "BDS PARAMTYP (ADaMIG 1.1 era) still published in ADaM CT"),
    ("C124296", "SBJTSTAT", "ADSL.EOSSTT/EOTSTT"),
    # --- Define-XML CT: every codelist of the package, the define writer uses them all
    ("C103329", "GNRLOBSC", "define def:Class of datasets"),
    ("C165635", "BDSSC", "define def:SubClass TIME-TO-EVENT of ADTTE"),
    ("C176227", "OCCSC", "define def:SubClass of OCCDS datasets"),
    ("C177903", "MDBDSSC", "define def:SubClass of medical-device BDS datasets"),
    ("C170449", "ORIGINT", "define def:Origin/@Type"),
    ("C170450", "ORIGINS", "define def:Origin/@Source"),
    ("C170452", "STDNAM", "define def:Standard/@Name"),
    ("C170451", "STDTYP", "define def:Standard/@Type"),
    ("C172331", "CTSTDTYP", "define def:Standard/@PublishingSet for CT"),
    ("C172332", "STDSTAT", "define def:Standard/@Status"),
    ("C170448", "ODMCNTX", "define ODM context"),
    ("C117744", "ANLREAS", "define ARM AnalysisReason"),
    ("C117745", "ANLPURP", "define ARM AnalysisPurpose"),
)

#: Time-to-event variables the ADaM engine needs in BDS. ADaMIG 1.3 Variables.csv holds them (its
#: "Time-to-Event" and "Datapoint Traceability" variable sets); if an ADaMIG export lacks any, the
#: row below is added, marked as coming from the ADaM BDS-TTE document. Source of the rows:
#: ../shared/reference/sdtm-adam-variables.md section 3.3 ("BDS for time-to-event (ADTTE)").
#: Columns: name, label, type, core, variable set, codelist code, codelist submission value.
TTE_SOURCE = "ADaM BDS-TTE v1.0 (reference/sdtm-adam-variables.md 3.3)"
TTE_VARIABLES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("PARAM", "Parameter", "Char", "Req", "Analysis Parameter", "", ""),
    ("PARAMCD", "Parameter Code", "Char", "Req", "Analysis Parameter", "", ""),
    ("AVAL", "Analysis Value", "Num", "Cond", "Analysis Parameter", "", ""),
    ("ADT", "Analysis Date", "Num", "Cond", "Timing", "", ""),
    ("STARTDT", "Time-to-Event Origin Date for Subject", "Num", "Perm", "Time-to-Event", "", ""),
    ("STARTDTM", "Time-to-Event Origin Datetime", "Num", "Perm", "Time-to-Event", "", ""),
    (
        "STARTDTF",
        "Origin Date Imputation Flag",
        "Char",
        "Cond",
        "Time-to-Event",
        "C81223",
        "DATEFL",
    ),
    (
        "STARTTMF",
        "Origin Time Imputation Flag",
        "Char",
        "Cond",
        "Time-to-Event",
        "C81226",
        "TIMEFL",
    ),
    ("CNSR", "Censor", "Num", "Cond", "Time-to-Event", "", ""),
    ("EVNTDESC", "Event or Censoring Description", "Char", "Perm", "Time-to-Event", "", ""),
    ("CNSDTDSC", "Censor Date Description", "Char", "Perm", "Time-to-Event", "", ""),
    ("SRCDOM", "Source Data", "Char", "Perm", "Datapoint Traceability", "", ""),
    ("SRCVAR", "Source Variable", "Char", "Perm", "Datapoint Traceability", "", ""),
    ("SRCSEQ", "Source Sequence Number", "Num", "Perm", "Datapoint Traceability", "", ""),
)

#: ADaMIG Variables.csv names structures by description; DataStructures.csv by short name.
ADAM_STRUCTURE_NAMES = {
    "Subject-Level Analysis Dataset": "ADSL",
    "Basic Data Structure": "BDS",
}
#: Define-XML CT BDSSC C165635 names the subclass; ADaMIG 1.3 DataStructures.csv carries it.
TTE_STRUCTURE = {
    "structure": "TTE",
    "label": "Basic Data Structure Time-to-Event",
    "class": "BASIC DATA STRUCTURE",
    "subclass": "TIME-TO-EVENT",
    "notes": "",
}

CT_RENAME = dict(zip(NCI_EVS_COLUMNS, NCI_EVS_FIELDS, strict=True))
DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


class MakeSpecsError(Exception):
    """An input is missing or does not hold what the specs need; the message names the file."""


# --------------------------------------------------------------------------------------------
# reading


def read_table(path: Path, required: Sequence[str]) -> pd.DataFrame:
    """Read a CSV as text, checking that ``required`` columns exist.

    Every cell stays a string exactly as written (no NA conversion, no trimming); a BOM is ignored.
    """
    if not path.is_file():
        raise MakeSpecsError(f"{path}: input file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise MakeSpecsError(f"{path}: cannot be read as CSV: {exc}") from exc
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise MakeSpecsError(f"{path}: missing column(s) {', '.join(missing)}")
    # A short record leaves NaN in its last fields; it means empty, like any other empty cell.
    return frame.fillna("")


def read_sdtm_ct(path: Path, version: str | None) -> pd.DataFrame:
    """NCI EVS SDTM terminology as one frame, in the shape of :func:`read_csv_ct`.

    The toolkit's own reader checks the layout, so a user's file and ours pass the same checks.
    ``version`` (``--ct-version``) overrides the package date found in the file's path.
    """
    if not path.is_file():
        raise MakeSpecsError(f"{path}: input file not found")
    date = version or package_date_of(path)
    if date is None:
        raise MakeSpecsError(
            f"{path}: cannot tell the CT package date from the file name; pass --ct-version"
        )
    try:
        frame = read_nci_evs(path)
    except InputError as exc:
        raise MakeSpecsError(str(exc)) from exc
    frame["package"] = "SDTM CT"
    frame["package_date"] = date
    frame["source_file"] = path.name
    return frame


def read_csv_ct(path: Path, package: str) -> pd.DataFrame:
    """ADaM or Define-XML CT (CSV with a ``Standard and Date`` column, e.g. ``ADaM CT 2025-03-28``)."""
    frame = read_table(path, [*NCI_EVS_COLUMNS, "Standard and Date"])
    dates = frame["Standard and Date"].str.extract(DATE, expand=False).dropna().unique()
    if len(dates) != 1:
        raise MakeSpecsError(
            f"{path}: expected one package date in 'Standard and Date', found {list(dates)}"
        )
    frame = frame[list(NCI_EVS_COLUMNS)].rename(columns=CT_RENAME)
    frame["package"] = package
    frame["package_date"] = str(dates[0])
    frame["source_file"] = path.name
    return frame


def combine_ct(packages: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack CT packages; a codelist already given by an earlier package is dropped from later ones.

    SDTM CT comes first, so DICTNAM and SDTMIGRS (published in both SDTM and Define-XML CT, with
    identical terms in 2025-03-28) are taken from SDTM CT.
    """
    kept: list[pd.DataFrame] = []
    seen: set[str] = set()
    for frame in packages:
        owner = frame["codelist"].where(frame["codelist"] != "", frame["code"])
        fresh = frame[~owner.isin(seen)]
        kept.append(fresh)
        seen.update(owner.unique())
    return pd.concat(kept, ignore_index=True)


# --------------------------------------------------------------------------------------------
# building


def split_codes(text: pd.Series) -> pd.Series:
    """``"C66727; C114118"`` -> ``["C66727", "C114118"]`` per cell (empty cell -> empty list)."""
    return text.str.split(";").map(lambda parts: [p.strip() for p in parts if p.strip()])


def resolve_codelists(
    variables: pd.DataFrame, codelists: pd.DataFrame, source: Path, ct_files: str
) -> pd.Series:
    """Submission values of each variable's codelist codes, ``"; "``-joined like the codes."""
    names = dict(zip(codelists["code"], codelists["submission_value"], strict=True))
    codes = split_codes(variables["codelist"])
    exploded = codes.explode().dropna()
    unknown = exploded[~exploded.isin(names.keys())]
    if not unknown.empty:
        row = variables.loc[unknown.index[0]]
        first = f"{row['dataset']}.{row['name']}"
        raise MakeSpecsError(
            f"{source}: codelist {unknown.iloc[0]} (variable {first}) is not in the CT files ({ct_files})"
        )
    return codes.map(lambda cs: "; ".join(names[c] for c in cs))


def build_sdtm(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Datasets and variables of the shipped SDTM datasets, as SDTMIG 3.4 gives them."""
    datasets_path = shared / SDTMIG_DIR / "Datasets.csv"
    variables_path = shared / SDTMIG_DIR / "Variables.csv"
    datasets = read_table(datasets_path, ["Class", "Dataset Name", "Dataset Label", "Structure"])
    variables = read_table(
        variables_path,
        [
            "Variable Order",
            "Dataset Name",
            "Variable Name",
            "Variable Label",
            "Type",
            "CDISC CT Codelist Code(s)",
            "Described Value Domain(s)",
            "Value List",
            "Role",
            "Core",
        ],
    )
    wanted = [name for name, _ in SDTM_DATASETS]
    for path, frame, column in (
        (datasets_path, datasets, "Dataset Name"),
        (variables_path, variables, "Dataset Name"),
    ):
        missing = sorted(set(wanted) - set(frame[column]))
        if missing:
            raise MakeSpecsError(f"{path}: no rows for dataset(s) {', '.join(missing)}")

    datasets = datasets[datasets["Dataset Name"].isin(wanted)]
    datasets = pd.DataFrame(
        {
            "dataset": datasets["Dataset Name"],
            "label": datasets["Dataset Label"],
            "class": datasets["Class"],
            "structure": datasets["Structure"],
            "reason": datasets["Dataset Name"].map(dict(SDTM_DATASETS)),
        }
    ).sort_values("dataset", kind="stable")

    variables = variables[variables["Dataset Name"].isin(wanted)]
    order = pd.to_numeric(variables["Variable Order"], errors="coerce")
    if order.isna().any():
        bad = variables.loc[order.isna(), "Variable Order"].iloc[0]
        raise MakeSpecsError(f"{variables_path}: Variable Order {bad!r} is not a number")
    variables = pd.DataFrame(
        {
            "dataset": variables["Dataset Name"],
            "order": order.astype(int),
            "name": variables["Variable Name"],
            "label": variables["Variable Label"],
            "type": variables["Type"],
            "core": variables["Core"],
            "role": variables["Role"],
            "codelist": variables["CDISC CT Codelist Code(s)"],
            "value_domain": variables["Described Value Domain(s)"],
            "value_list": variables["Value List"],
        }
    ).sort_values(["dataset", "order"], kind="stable")
    return datasets.reset_index(drop=True), variables.reset_index(drop=True)


def build_adam(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADaMIG 1.3 structures and the ADSL/BDS variables, with TTE variables guaranteed in BDS."""
    structures_path = shared / ADAMIG_DIR / "DataStructures.csv"
    variables_path = shared / ADAMIG_DIR / "Variables.csv"
    structures = read_table(
        structures_path,
        ["Data Structure Name", "Data Structure Description", "Class", "Subclass", "CDISC Notes"],
    )
    variables = read_table(
        variables_path,
        [
            "Version",
            "Data Structure Name",
            "Variable Set",
            "Variable Name",
            "Variable Label",
            "Type",
            "CDISC CT Codelist Code(s)",
            "CDISC CT Codelist Submission Value(s)",
            "Described Value Domain(s)",
            "Value List Value",
            "Core",
        ],
    )
    unknown = sorted(set(variables["Data Structure Name"]) - set(ADAM_STRUCTURE_NAMES))
    if unknown:
        raise MakeSpecsError(f"{variables_path}: unknown data structure(s) {', '.join(unknown)}")

    structures = pd.DataFrame(
        {
            "structure": structures["Data Structure Name"],
            "label": structures["Data Structure Description"],
            "class": structures["Class"],
            "subclass": structures["Subclass"],
            "notes": structures["CDISC Notes"],
        }
    )
    missing = sorted(set(ADAM_STRUCTURE_NAMES.values()) - set(structures["structure"]))
    if missing:
        raise MakeSpecsError(f"{structures_path}: no row for structure(s) {', '.join(missing)}")
    if "TTE" not in set(structures["structure"]):
        structures = pd.concat([structures, pd.DataFrame([TTE_STRUCTURE])], ignore_index=True)
    # A subclass row (TTE) builds on the structure of the same class without a subclass (BDS).
    parents = structures[structures["subclass"] == ""].set_index("class")["structure"]
    structures["base"] = structures["class"].map(parents).where(structures["subclass"] != "", "")
    structures = structures.fillna("").sort_values("structure", kind="stable")

    frame = pd.DataFrame(
        {
            "structure": variables["Data Structure Name"].map(ADAM_STRUCTURE_NAMES),
            "variable_set": variables["Variable Set"],
            "name": variables["Variable Name"],
            "label": variables["Variable Label"],
            "type": variables["Type"],
            "core": variables["Core"],
            "codelist": variables["CDISC CT Codelist Code(s)"],
            "codelist_values": variables["CDISC CT Codelist Submission Value(s)"],
            "value_domain": variables["Described Value Domain(s)"],
            "value_list": variables["Value List Value"],
            "source": variables["Version"],
        }
    )
    bds_names = set(frame.loc[frame["structure"] == "BDS", "name"])
    added = pd.DataFrame(
        [
            {
                "structure": "BDS",
                "variable_set": vset,
                "name": name,
                "label": label,
                "type": vtype,
                "core": core,
                "codelist": code,
                "codelist_values": value,
                "value_domain": "",
                "value_list": "",
                "source": TTE_SOURCE,
            }
            for name, label, vtype, core, vset, code, value in TTE_VARIABLES
            if name not in bds_names
        ],
        columns=frame.columns,
    )
    frame = pd.concat([frame, added], ignore_index=True)
    # ADaMIG has no order column: the order is the row order of the export within a structure.
    frame["order"] = frame.groupby("structure", sort=False).cumcount() + 1
    frame = frame.sort_values(["structure", "order"], kind="stable")
    columns = ["structure", "order", *[c for c in frame.columns if c not in ("structure", "order")]]
    return structures.reset_index(drop=True), frame[columns].reset_index(drop=True)


def select_ct(
    ct: pd.DataFrame, referenced: pd.DataFrame, ct_files: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Codelist rows and term rows of the shipped codelists, each codelist with why it ships."""
    codelists = ct[ct["codelist"] == ""]
    terms = ct[ct["codelist"] != ""]
    by_code = codelists.set_index("code")["submission_value"]

    for code, value, _ in KEEP_CODELISTS:
        if code not in by_code.index:
            raise MakeSpecsError(
                f"{ct_files}: codelist {code} ({value}) named in KEEP_CODELISTS is missing"
            )
        if by_code[code] != value:
            raise MakeSpecsError(
                f"{ct_files}: codelist {code} is {by_code[code]!r}, KEEP_CODELISTS expects {value!r}"
            )

    reasons = {code: reason for code, _, reason in KEEP_CODELISTS}
    users = (
        referenced.assign(code=split_codes(referenced["codelist"]))
        .explode("code")
        .dropna(subset=["code"])
    )
    users["user"] = users["dataset"] + "." + users["name"]
    grouped = users.groupby("code", sort=True)["user"].agg(list)
    for code, names in grouped.items():
        if code not in reasons:
            shown = ", ".join(names[:3]) + (f" (+{len(names) - 3} more)" if len(names) > 3 else "")
            reasons[code] = f"referenced by {shown}"

    codelists = codelists[codelists["code"].isin(reasons.keys())].copy()
    codelists["reason"] = codelists["code"].map(reasons)
    duplicated = codelists["submission_value"].duplicated(keep=False)
    if duplicated.any():
        clash = codelists.loc[duplicated, ["code", "submission_value"]].to_dict("records")
        raise MakeSpecsError(f"{ct_files}: codelist submission values are not unique: {clash}")
    codelists = codelists.sort_values("submission_value", kind="stable")
    codelists = codelists[
        [
            "code",
            "submission_value",
            "name",
            "extensible",
            "nci_preferred_term",
            "definition",
            "package",
            "package_date",
            "source_file",
            "reason",
        ]
    ]

    position = {code: i for i, code in enumerate(codelists["code"])}
    terms = terms[terms["codelist"].isin(position.keys())].copy()
    terms["_position"] = terms["codelist"].map(position)
    # Term definitions are dropped: they double the size of the files and nothing here uses them.
    terms = terms.sort_values(["_position", "submission_value"], kind="stable")[
        ["codelist", "code", "submission_value", "synonyms", "nci_preferred_term"]
    ]
    return codelists.reset_index(drop=True), terms.reset_index(drop=True)


def check_adam_codelists(adam: pd.DataFrame, codelists: pd.DataFrame, source: Path) -> None:
    """The ADaMIG export gives codelist codes and submission values; they must agree with the CT."""
    names = dict(zip(codelists["code"], codelists["submission_value"], strict=True))
    given = adam[adam["codelist"] != ""]
    resolved = split_codes(given["codelist"]).map(
        lambda cs: "; ".join(names.get(c, "?") for c in cs)
    )
    wrong = given[resolved != given["codelist_values"]]
    if not wrong.empty:
        row = wrong.iloc[0]
        raise MakeSpecsError(
            f"{source}: {row['structure']}.{row['name']} names codelist {row['codelist']} as "
            f"{row['codelist_values']!r}, the CT calls it {resolved[wrong.index[0]]!r}"
        )


# --------------------------------------------------------------------------------------------
# writing


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shown_path(path: Path, shared: Path) -> str:
    """A path as recorded in metadata: relative to the shared folder, else the bare file name.

    Absolute paths would make the output depend on where the inputs live.
    """
    try:
        return path.resolve().relative_to(shared.resolve()).as_posix()
    except ValueError:
        return path.name


def write_bytes(path: Path, data: bytes) -> None:
    """Write atomically (temporary file, then rename) so a failed run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """CSV, UTF-8, LF line endings, minimal quoting, no index."""
    write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def write_json(path: Path, data: dict) -> None:
    """Sorted-key, indented JSON with a final newline."""
    write_bytes(
        path,
        (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"),
    )


README = """\
# specs/: standards metadata shipped with the toolkit

Generated by `scripts/make_specs.py`; do not edit by hand. Regenerate from the repository root with

    python scripts/make_specs.py --shared ../shared --out specs

(`python scripts/make_specs.py` alone uses those defaults; `--ct PATH` builds the terminology from
another NCI EVS "SDTM Terminology" release). Running it twice gives byte-identical files, and
`tests/specs/` checks that the committed files are what the script writes.

Read these files through `cdisc.standards.Standards.load()`, not directly.

| File | What | Rows |
|---|---|---|
| `sdtm/datasets.csv` | SDTMIG 3.4 dataset label, class and structure of the shipped datasets, and why each ships | {n_sdtm_datasets} |
| `sdtm/variables.csv` | SDTMIG 3.4 variables of those datasets in IG order: label, type (Char/Num), core (Req/Exp/Perm), role, CT codelist code(s) and their submission value(s), described value domain (e.g. ISO 8601), value list | {n_sdtm_variables} |
| `adam/structures.csv` | ADaMIG 1.3 data structures ADSL, BDS and TTE (BDS subclass TIME-TO-EVENT; `base` = BDS) | {n_adam_structures} |
| `adam/variables.csv` | ADaMIG 1.3 ADSL and BDS variables, incl. the Time-to-Event variable set; names may be patterns | {n_adam_variables} |
| `ct/codelists.csv` | shipped codelists: NCI code, submission value, name, extensible, package and date, source file, why shipped | {n_codelists} |
| `ct/terms.csv` | their terms: codelist code, term code, submission value, synonyms, NCI preferred term | {n_terms} |
| `ct/metadata.json` | CT package version ({ct_version}) and the CT files used | |
| `metadata.json` | every input file with its SHA-256 | |

SDTM datasets: {sdtm_datasets}.

## Where it comes from

* SDTMIG v3.4: CDISC Library export `standards/ig/sdtmig-3.4/{{Datasets,Variables}}.csv`. The export
  leaves "Codelist Submission Values" empty; `codelist_values` is resolved here from the CT by code.
  CDISC Notes are not copied.
* ADaMIG v1.3: CDISC Library export `standards/ig/adamig-1.3/{{DataStructures,Variables}}.csv`.
  `order` is the row order of the export within a structure (ADaMIG has no order column; the
  export lists the BDS identifier variables last). Variable names keep the IG's placeholders:
  `xx` (01-99), `zz` (01-99), `y` (1-99), `w` (1-9) and a leading `*` (any prefix), e.g. `TRTxxP`,
  `ANLzzFL`, `*DTF`; the loader matches concrete names such as `TRT01P` against them.
  TTE is the BDS subclass TIME-TO-EVENT: the loader gives it the BDS variables. The time-to-event
  variables (STARTDT, CNSR, EVNTDESC, CNSDTDSC, SRCDOM/SRCVAR/SRCSEQ, ADT, AVAL, PARAM/PARAMCD) are in
  the ADaMIG 1.3 export itself; a row the export lacked would be added from the ADaM BDS-TTE notes
  and marked by `source` = "{tte_source}". Rows so added: {n_tte_added}.
* Controlled terminology {ct_version}, from {ct_files}.
  A codelist ships when a shipped variable references it or when `KEEP_CODELISTS` in the script
  names it (the `reason` column says which).
  A codelist published in several packages is taken from the first of SDTM, ADaM, Define-XML CT.
  Every term of a shipped codelist ships; term definitions are dropped (they would double the size),
  codelist definitions are kept.
"""


def build(
    shared: Path,
    out: Path,
    *,
    sdtm_ct: Path,
    adam_ct: Path,
    define_ct: Path,
    ct_version: str | None = None,
) -> dict[str, int]:
    """Read the official files under ``shared`` and write every specs file under ``out``.

    Returns the row counts written, e.g. ``{"sdtm_variables": 648, ...}``.
    """
    sdtm_datasets, sdtm_variables = build_sdtm(shared)
    adam_structures, adam_variables = build_adam(shared)
    ct = combine_ct(
        [
            read_sdtm_ct(sdtm_ct, ct_version),
            read_csv_ct(adam_ct, "ADaM CT"),
            read_csv_ct(define_ct, "Define-XML CT"),
        ]
    )
    # Errors name the files as given; the README names them without folders (stable bytes).
    ct_files = ", ".join(str(p) for p in (sdtm_ct, adam_ct, define_ct))
    ct_codelists = ct[ct["codelist"] == ""]

    sdtm_variables.insert(
        8,
        "codelist_values",
        resolve_codelists(
            sdtm_variables, ct_codelists, shared / SDTMIG_DIR / "Variables.csv", ct_files
        ),
    )
    check_adam_codelists(adam_variables, ct_codelists, shared / ADAMIG_DIR / "Variables.csv")
    referenced = pd.concat(
        [
            sdtm_variables[["dataset", "name", "codelist"]],
            adam_variables.rename(columns={"structure": "dataset"})[
                ["dataset", "name", "codelist"]
            ],
        ],
        ignore_index=True,
    )
    codelists, terms = select_ct(ct, referenced, ct_files)

    version = str(codelists.loc[codelists["package"] == "SDTM CT", "package_date"].iloc[0])
    inputs = [
        shared / SDTMIG_DIR / "Datasets.csv",
        shared / SDTMIG_DIR / "Variables.csv",
        shared / ADAMIG_DIR / "DataStructures.csv",
        shared / ADAMIG_DIR / "Variables.csv",
        sdtm_ct,
        adam_ct,
        define_ct,
    ]
    packages = codelists.groupby("package")[["package_date", "source_file"]].first().reset_index()
    ct_metadata = {
        "ct_version": version,
        "packages": {
            row.package: {"date": row.package_date, "file": row.source_file}
            for row in packages.itertuples()
        },
        "term_definitions": "dropped",
    }
    counts = {
        "sdtm_datasets": len(sdtm_datasets),
        "sdtm_variables": len(sdtm_variables),
        "adam_structures": len(adam_structures),
        "adam_variables": len(adam_variables),
        "codelists": len(codelists),
        "terms": len(terms),
    }
    metadata = {
        "generator": "scripts/make_specs.py",
        "sdtmig": "3.4",
        "adamig": "1.3",
        "ct_version": version,
        "inputs": {shown_path(p, shared): sha256(p) for p in inputs},
        "rows": counts,
    }

    write_csv(out / "sdtm" / "datasets.csv", sdtm_datasets)
    write_csv(out / "sdtm" / "variables.csv", sdtm_variables)
    write_csv(out / "adam" / "structures.csv", adam_structures)
    write_csv(out / "adam" / "variables.csv", adam_variables)
    write_csv(out / "ct" / "codelists.csv", codelists)
    write_csv(out / "ct" / "terms.csv", terms)
    write_json(out / "ct" / "metadata.json", ct_metadata)
    write_json(out / "metadata.json", metadata)
    readme = README.format(
        **{f"n_{key}": value for key, value in counts.items()},
        ct_version=version,
        ct_files=", ".join(p.name for p in (sdtm_ct, adam_ct, define_ct)),
        sdtm_datasets=", ".join(name for name, _ in SDTM_DATASETS),
        tte_source=TTE_SOURCE,
        n_tte_added=int((adam_variables["source"] == TTE_SOURCE).sum()),
    )
    write_bytes(out / "README.md", readme.encode("utf-8"))
    return counts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; paths default to ``../shared`` and ``specs/`` of this repository."""
    parser = argparse.ArgumentParser(
        prog="make_specs.py",
        description="Regenerate specs/ (SDTMIG 3.4, ADaMIG 1.3, CT subset) from the official files.",
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="shared folder (default: ../shared)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "specs", help="output folder (default: specs/)"
    )
    parser.add_argument(
        "--ct",
        type=Path,
        help=f"NCI EVS SDTM terminology .txt (default: <shared>/{DEFAULT_SDTM_CT})",
    )
    parser.add_argument(
        "--adam-ct", type=Path, help=f"ADaM CT .csv (default: <shared>/{DEFAULT_ADAM_CT})"
    )
    parser.add_argument(
        "--define-ct", type=Path, help=f"Define-XML CT .csv (default: <shared>/{DEFAULT_DEFINE_CT})"
    )
    parser.add_argument(
        "--ct-version", help="CT package date when the --ct file name holds none (YYYY-MM-DD)"
    )
    args = parser.parse_args(argv)
    if args.ct_version and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.ct_version):
        parser.error(f"--ct-version must look like 2025-03-28, not {args.ct_version!r}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the generator; print a one-line summary, or the error naming the file."""
    args = parse_args(argv)
    shared: Path = args.shared
    if not shared.is_dir():
        print(
            f"make_specs: error: {shared}: shared folder not found (use --shared)", file=sys.stderr
        )
        return 1
    try:
        counts = build(
            shared,
            args.out,
            sdtm_ct=args.ct or shared / DEFAULT_SDTM_CT,
            adam_ct=args.adam_ct or shared / DEFAULT_ADAM_CT,
            define_ct=args.define_ct or shared / DEFAULT_DEFINE_CT,
            ct_version=args.ct_version,
        )
    except MakeSpecsError as exc:
        print(f"make_specs: error: {exc}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
    print(f"make_specs: wrote {args.out}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
