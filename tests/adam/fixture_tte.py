"""A hand-made SDTM study of 11 subjects and the ADSL each should get, for the ADTTE tests.

Frames have the shape of SDTM read back from XPT: Char columns hold ``str`` or ``None``,
Num columns float64. ADSL is written by hand (dates ``datetime64[ns]``), by these rules:

- TRTSDT/TRTEDT: date part of the first EX.EXSTDTC / last EX.EXENDTC; RANDDT: DS RANDOMIZED.
- SAFFL: Y when the subject has an EX record; ITTFL: Y when randomized; FASFL = SAFFL;
  PPROTFL: Y when EOSSTT is COMPLETED.
- DTHDT from DM.DTHDTC, imputed with highest_imputation M, date_imputation first and
  min_dates [TRTSDT] (not before treatment start; the clamp does not bite here): subject 007's
  '2021-07' gives 2021-07-01 with DTHDTF 'D'.
- LSTALVDT: the latest complete date of RS.RSDTC (any test), EX.EXSTDTC and DS.DSSTDTC of
  disposition events other than LOST TO FOLLOW-UP (the day a subject is declared lost is not a
  day the subject was seen alive).
- INDEXLAT: EX.EXLAT, else (never treated) the side of the screening assessment (here LEFT).
- RUTHBL: the digit after the first '-' of the baseline (RSLOBXFL = Y) RUTH0101 RSSTRESC.

Every treated subject starts on 2021-01-01 and every subject is randomized on 2020-12-28, so
that AVAL from TRTSDT is the day of the year of ADT and AVAL from RANDDT that plus 4.

Subjects, one story each:

===  =====================================================================================
001  event: major amputation of the index limb (LEFT) on 2021-03-01; a second one later
002  plain censor: nothing happens; a Fontaine assessment after the last Rutherford one
003  death on 2021-05-10 before any amputation (competing event)
004  major amputation of the contralateral limb only (index RIGHT, amputated LEFT)
005  minor amputation of the index limb only; last assessment on the last day known alive
006  major amputation of the index limb on 2020-12-30: after RANDDT, before TRTSDT
007  death known only to the month: DM.DTHDTC '2021-07'
008  minor amputation, then major amputation of the index limb and death on one day
009  lost to follow-up (DS LOST TO FOLLOW-UP on 2021-05-01, last seen 2021-04-15)
010  randomized, never treated (no EX): SAFFL N, ITTFL Y; withdrew
011  major amputation of the index limb dated only '2021-05' (not imputed by the spec)
===  =====================================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STUDYID = "FIXTTE"
NUM = {"AGE", "EXDOSE", "TRT01PN", "TRT01AN", "RUTHBL"}


def usubjid(n: str) -> str:
    """``"001"`` -> ``"FIXTTE-001"``."""
    return f"{STUDYID}-{n}"


def _frame(domain: str | None, columns: str, rows: list[tuple]) -> pd.DataFrame:
    """A frame in XPT read-back shape: --SEQ and NUM columns float64, the rest str/None."""
    names = columns.split()
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    for name in names:
        if name.endswith("SEQ") or name in NUM:
            frame[name] = pd.to_numeric(frame[name]).astype(float)
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    frame.insert(0, "USUBJID", [usubjid(n) for n in frame.pop("SUBJ")])
    if domain is not None:
        frame.insert(0, "DOMAIN", domain)
    frame.insert(0, "STUDYID", STUDYID)
    return frame


def dm() -> pd.DataFrame:
    """DM: reference dates, death, demography and arms."""
    cols = "SUBJ SUBJID RFSTDTC RFENDTC RFICDTC DTHDTC DTHFL SITEID AGE AGEU SEX RACE"
    cols += " ARMCD ARM ACTARMCD ACTARM"
    bm, pl = ("BMMSC", "BM-MSC"), ("PLACEBO", "PLACEBO")
    rows = [
        ("001", "01-001", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "01", 71, "YEARS", "M", "WHITE", *bm, *bm),
        ("002", "01-002", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "01", 64, "YEARS", "F", "WHITE", *pl, *pl),
        ("003", "02-003", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", "2021-05-10", "Y", "02", 80, "YEARS", "M", "ASIAN", *bm, *bm),
        ("004", "02-004", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "02", 58, "YEARS", "M", "WHITE", *pl, *pl),
        ("005", "01-005", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "01", 66, "YEARS", "F", "WHITE", *bm, *bm),
        ("006", "02-006", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "02", 75, "YEARS", "M", "BLACK OR AFRICAN AMERICAN", *pl, *pl),
        ("007", "01-007", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", "2021-07", "Y", "01", 83, "YEARS", "F", "WHITE", *bm, *bm),
        ("008", "02-008", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", "2021-04-10", "Y", "02", 69, "YEARS", "M", "WHITE", *pl, *pl),
        ("009", "01-009", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "01", 52, "YEARS", "M", "WHITE", *bm, *bm),
        ("010", "02-010", None, None, "2020-12-15", None, None, "02", 77, "YEARS", "F", "WHITE", *bm, "NOTTRT", "Not Treated"),
        ("011", "01-011", "2021-01-01T09:30", "2021-01-01T10:00", "2020-12-15", None, None, "01", 61, "YEARS", "M", "WHITE", *pl, *pl),
    ]  # fmt: skip
    return _frame("DM", cols, rows)


def ex() -> pd.DataFrame:
    """EX: one administration per treated subject, into the index limb (EXLAT)."""
    cols = "SUBJ EXSEQ EXTRT EXDOSE EXLAT EXSTDTC EXENDTC"
    arms = {"001": "BM-MSC", "002": "PLACEBO", "003": "BM-MSC", "004": "PLACEBO"}
    arms |= {"005": "BM-MSC", "006": "PLACEBO", "007": "BM-MSC", "008": "PLACEBO"}
    arms |= {"009": "BM-MSC", "011": "PLACEBO"}
    sides = {"002": "RIGHT", "004": "RIGHT", "007": "RIGHT", "009": "RIGHT"}
    rows = [
        (n, 1, trt, 150, sides.get(n, "LEFT"), "2021-01-01T09:30", "2021-01-01T10:00")
        for n, trt in arms.items()
    ]
    return _frame("EX", cols, rows)


def ds() -> pd.DataFrame:
    """DS: consent and randomization milestones, then one disposition event each."""
    cols = "SUBJ DSSEQ DSTERM DSDECOD DSCAT DSSTDTC"
    ends = {
        "001": ("COMPLETED", "2021-06-30"),
        "002": ("COMPLETED", "2021-12-31"),
        "003": ("DEATH", "2021-05-10"),
        "004": ("COMPLETED", "2021-10-15"),
        "005": ("COMPLETED", "2021-06-15"),
        "006": ("COMPLETED", "2021-08-01"),
        "007": ("DEATH", "2021-07"),
        "008": ("DEATH", "2021-04-10"),
        "009": ("LOST TO FOLLOW-UP", "2021-05-01"),
        "010": ("WITHDRAWAL BY SUBJECT", "2021-02-01"),
        "011": ("COMPLETED", "2021-09-30"),
    }
    rows = []
    for n, (decod, date) in ends.items():
        rows += [
            (n, 1, "Informed consent obtained", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", "2020-12-15"),
            (n, 2, "Randomized", "RANDOMIZED", "PROTOCOL MILESTONE", "2020-12-28"),
            (n, 3, decod.capitalize(), decod, "DISPOSITION EVENT", date),
        ]  # fmt: skip
    return _frame("DS", cols, rows)


def pr() -> pd.DataFrame:
    """PR: amputations, major and minor, with their side."""
    cols = "SUBJ PRSEQ PRTRT PRCAT PRLAT PRSTDTC"
    major, minor = "MAJOR AMPUTATION", "MINOR AMPUTATION"
    rows = [
        ("001", 1, "BELOW-KNEE AMPUTATION", major, "LEFT", "2021-03-01"),
        ("001", 2, "ABOVE-KNEE AMPUTATION", major, "LEFT", "2021-05-01"),
        ("004", 1, "ABOVE-KNEE AMPUTATION", major, "LEFT", "2021-02-15"),
        ("005", 1, "TOE AMPUTATION", minor, "LEFT", "2021-03-20"),
        ("006", 1, "BELOW-KNEE AMPUTATION", major, "LEFT", "2020-12-30"),
        ("008", 1, "TRANSMETATARSAL AMPUTATION", minor, "LEFT", "2021-02-01"),
        ("008", 2, "ABOVE-KNEE AMPUTATION", major, "LEFT", "2021-04-10"),
        ("011", 1, "BELOW-KNEE AMPUTATION", major, "LEFT", "2021-05"),
    ]
    return _frame("PR", cols, rows)


def rs() -> pd.DataFrame:
    """RS: Rutherford (RUTH0101) at screening and later; a few Fontaine (FONT0101) ones."""
    cols = "SUBJ RSSEQ RSTESTCD RSSTRESC RSLOBXFL VISITNUM RSDTC"
    ii4, iii5 = "II-4 - Ischemic rest pain", "III-5 - Minor tissue loss"
    later = {
        "001": ["2021-02-01"],
        "002": ["2021-04-01", "2021-07-01"],
        "003": ["2021-04-01"],
        "004": ["2021-04-01", "2021-09-01"],
        "005": ["2021-06-15"],
        "006": ["2021-03-01"],
        "007": ["2021-06-20"],
        "008": ["2021-03-01"],
        "009": ["2021-03-15"],
        "010": [],
        "011": ["2021-08-01"],
    }
    rows = []
    for n, dates in later.items():
        baseline = iii5 if n in ("003", "007", "011") else ii4
        rows.append((n, 1, "RUTH0101", baseline, "Y", 10, "2020-12-20"))
        rows += [(n, i + 2, "RUTH0101", ii4, None, 20 + 10 * i, d) for i, d in enumerate(dates)]
    rows.append(("002", 4, "FONT0101", "III", None, 50, "2021-11-01"))
    rows.append(("009", 3, "FONT0101", "III", None, 30, "2021-04-15"))
    return _frame("RS", cols, rows)


def ae() -> pd.DataFrame:
    """AE: a few adverse events, some serious, one dated only to the month."""
    cols = "SUBJ AESEQ AETERM AEDECOD AESER AESTDTC"
    rows = [
        ("001", 1, "Injection site pain", "Injection site pain", "N", "2021-01-01"),
        ("001", 2, "Wound infection", "Wound infection", "Y", "2021-02-20"),
        ("002", 1, "Pneumonia", "Pneumonia", "Y", "2021-03"),
        ("003", 1, "Fall", "Fall", "Y", "2020-12-30"),
        ("003", 2, "Myocardial infarction", "Myocardial infarction", "Y", "2021-04-01"),
        ("010", 1, "Syncope", "Syncope", "Y", "2021-01-10"),
    ]
    return _frame("AE", cols, rows)


def sdtm() -> dict[str, pd.DataFrame]:
    """Every SDTM dataset of the fixture, by name."""
    return {"DM": dm(), "EX": ex(), "DS": ds(), "PR": pr(), "RS": rs(), "AE": ae()}


def adsl() -> pd.DataFrame:
    """The ADSL the fixture's SDTM should give, written by hand (rules in the module docstring).

    DTHFL is DM's, copied: ``Y`` or empty, never ``N``.
    """
    cols = "SUBJ SUBJID SITEID AGE SEX RACE ARM ACTARM TRT01P TRT01PN TRT01A TRT01AN"
    cols += " TRTSDT TRTEDT RANDDT SAFFL ITTFL FASFL PPROTFL DTHFL DTHDT DTHDTF LSTALVDT"
    cols += " EOSSTT DCSREAS INDEXLAT RUTHBL"
    bm, pl = ("BM-MSC", "BM-MSC", "BM-MSC", 1, "BM-MSC", 1), ("PLACEBO",) * 3 + (2, "PLACEBO", 2)
    t0, r0 = "2021-01-01", "2020-12-28"
    done, treated = ("COMPLETED", None), ("Y", "Y", "Y")
    rows = [
        ("001", "01-001", "01", 71, "M", "WHITE", *bm, t0, t0, r0, *treated, "Y", None, None, None, "2021-06-30", *done, "LEFT", 4),
        ("002", "01-002", "01", 64, "F", "WHITE", *pl, t0, t0, r0, *treated, "Y", None, None, None, "2021-12-31", *done, "RIGHT", 4),
        ("003", "02-003", "02", 80, "M", "ASIAN", *bm, t0, t0, r0, *treated, "N", "Y", "2021-05-10", None, "2021-05-10", "DISCONTINUED", "DEATH", "LEFT", 5),
        ("004", "02-004", "02", 58, "M", "WHITE", *pl, t0, t0, r0, *treated, "Y", None, None, None, "2021-10-15", *done, "RIGHT", 4),
        ("005", "01-005", "01", 66, "F", "WHITE", *bm, t0, t0, r0, *treated, "Y", None, None, None, "2021-06-15", *done, "LEFT", 4),
        ("006", "02-006", "02", 75, "M", "BLACK OR AFRICAN AMERICAN", *pl, t0, t0, r0, *treated, "Y", None, None, None, "2021-08-01", *done, "LEFT", 4),
        ("007", "01-007", "01", 83, "F", "WHITE", *bm, t0, t0, r0, *treated, "N", "Y", "2021-07-01", "D", "2021-06-20", "DISCONTINUED", "DEATH", "RIGHT", 5),
        ("008", "02-008", "02", 69, "M", "WHITE", *pl, t0, t0, r0, *treated, "N", "Y", "2021-04-10", None, "2021-04-10", "DISCONTINUED", "DEATH", "LEFT", 4),
        ("009", "01-009", "01", 52, "M", "WHITE", *bm, t0, t0, r0, *treated, "N", None, None, None, "2021-04-15", "DISCONTINUED", "LOST TO FOLLOW-UP", "RIGHT", 4),
        ("010", "02-010", "02", 77, "F", "WHITE", "BM-MSC", "Not Treated", "BM-MSC", 1, None, np.nan, None, None, r0, "N", "Y", "N", "N", None, None, None, "2021-02-01", "DISCONTINUED", "WITHDRAWAL BY SUBJECT", "LEFT", 4),
        ("011", "01-011", "01", 61, "M", "WHITE", *pl, t0, t0, r0, *treated, "Y", None, None, None, "2021-09-30", *done, "LEFT", 5),
    ]  # fmt: skip
    frame = _frame(None, cols, rows)
    for name in ("TRTSDT", "TRTEDT", "RANDDT", "DTHDT", "LSTALVDT"):
        frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
    return frame
