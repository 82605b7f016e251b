"""SDTM conformance rules, one module per family, registered with
:mod:`cdisc.validation.engine` on import.

========================  ===============================================================
``presence``              variables not in the model, datasets the IG does not cover (SDM)
``metadata``              DOMAIN, STUDYID, labels and names (SDM)
``submission``            XPT v5 limits: bytes, ASCII, lengths, file names (SDM)
``codes``                 --TESTCD, --PARMCD, QNAM, ARMCD... values (SDM030-SDM041)
``trialsummary``          TS parameters and their values (SDM028, SDM050-SDM067, SDM100...)
``crossref``              subjects, visits, RDOMAIN/IDVAR, arms against TA (SDC001-SDC009)
``duplicates``            --SEQ and other keys (SDC010-SDC016)
``dates``                 dates and study days (SDC017-SDC025)
``baseline``              baseline flags (SDC026-SDC028)
``consistency``           code/decode pairs, results, demographics (SDC029-SDC045)
========================  ===============================================================

Importing the package, or any module of it, registers every family, so a caller that
picks rules by ID prefix (``SDM``, ``SDC``) finds them all.
"""

from sdtm.rules import (  # noqa: F401  (each module registers its rules)
    baseline,
    codes,
    consistency,
    crossref,
    dates,
    duplicates,
    metadata,
    presence,
    submission,
    trialsummary,
)
