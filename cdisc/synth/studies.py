"""The two trials as :class:`~cdisc.synth.design.Design` objects.

Schedules follow the proposed schedules of assessments in trials.md section 2 (VISITNUM 10..100
for trial A, 10..90 for trial B); study day 1 is the first injection (A) or the treatment session
(B), with no day 0. Forms follow CDASH naming (``AETERM``, ``AESTDAT``, ``VSDAT``, ``LBDAT``,
``BRTHDAT``). Lab panels are wide forms (one result and one unit item per analyte) because
local-lab CRFs are built that way; the SDTM mapping turns them into one record per test.

Trial B (``sail``) records the 30 intramuscular injections of one treatment session as ONE
exposure record with the number of injection sites (``ECINJN`` = 30) and the total volume, not
as 30 rows. The arm is blinded at collection (kit number on the RAND form) and recoverable from
the UNBLIND form (kit number and ARMCD, as merged from the unblinding list after database lock).

Trial A (``pmsc-cli``) is open label; the dose cohort is collected on the COHORT form and, in
REDCap, also modelled as two REDCap arms. The number of injection sites per administration was
not reported; the generator writes 20 sites (a proposal, like the 4/5 split, see
:mod:`cdisc.synth.subjects`).
"""

from __future__ import annotations

from cdisc.synth.design import (
    COMMON_CODELISTS,
    Arm,
    Design,
    Event,
    Form,
    Site,
    checked_date,
    coded,
    text,
)
from cdisc.synth.forms import chem_tests, common_forms, cyto_tests, eq5d_sf36


def _order(forms: dict[str, Form], oids: tuple[str, ...]) -> tuple[Form, ...]:
    return tuple(forms[o] for o in oids)


def sail() -> Design:
    """Trial B: SAIL, BM-MSC 150x10^6 vs placebo, 1:1, follow-up to month 60 (NCT03042572)."""
    chem = chem_tests(si=True)
    cyto = cyto_tests("INTLK1B")
    forms = common_forms(chem, cyto)
    eq, sf, qcl = eq5d_sf36()
    forms["EQ5D"] = eq
    forms["SF36"] = sf
    forms["RAND"] = Form(
        "RAND",
        "Randomisation",
        (
            checked_date("RANDDAT", "Date of randomisation"),
            text("RANDNO", "Randomisation number"),
            text("KITNO", "Kit number (blinded)"),
        ),
    )
    forms["UNBLIND"] = Form(
        "UNBLIND",
        "Unblinding list",
        (
            text("KITNO", "Kit number"),
            coded("ARMCD", "Treatment", "ARM"),
        ),
    )
    efficacy = (
        "VS",
        "HEMA",
        "CHEM",
        "CYTO",
        "LYMPH",
        "ABI",
        "LIMB",
        "PAIN",
        "WALK",
        "EQ5D",
        "SF36",
        "FU",
    )
    events = (
        Event(
            "SCR",
            "SCREENING",
            10,
            ("IC", "DM", "MH", "VS", "HEMA", "CHEM", "ABI", "LIMB"),
            day=-21,
            lo=-42,
            hi=-1,
        ),
        Event(
            "BL",
            "BASELINE / RANDOMIZATION",
            20,
            ("RAND", "ABI", "PAIN", "WALK", "EQ5D", "SF36", "CYTO", "LYMPH"),
            day=-3,
            lo=-7,
            hi=1,
        ),
        Event("TRT", "TREATMENT", 30, ("EX", "VS"), day=1, lo=1, hi=1),
        Event("W1", "WEEK 1 SAFETY", 40, ("VS",), day=8, lo=5, hi=11),
        Event("M2", "MONTH 2", 50, efficacy, day=61, lo=47, hi=75),
        Event("M6", "MONTH 6 (PRIMARY)", 60, efficacy, day=183, lo=169, hi=197),
        Event(
            "M12",
            "MONTH 12",
            70,
            ("VS", "HEMA", "CHEM", "ABI", "LIMB", "PAIN", "WALK", "EQ5D", "SF36", "FU"),
            day=365,
            lo=335,
            hi=395,
        ),
        Event(
            "M24", "MONTH 24", 80, ("LIMB", "PAIN", "EQ5D", "SF36", "FU"), day=730, lo=700, hi=760
        ),
        Event("M60", "MONTH 60 (LTFU)", 90, ("FU",), day=1826, lo=1766, hi=1886),
        Event("UNS", "UNSCHEDULED", 0, ("VS", "HEMA", "CHEM"), kind="unscheduled"),
        Event("EOS", "END OF STUDY", 0, ("DS", "DD", "UNBLIND"), kind="eos"),
        Event("LOG", "LOGS", 0, ("AE", "AMP"), kind="log"),
    )
    order = (
        "IC",
        "DM",
        "MH",
        "RAND",
        "EX",
        "VS",
        "HEMA",
        "CHEM",
        "CYTO",
        "LYMPH",
        "ABI",
        "LIMB",
        "PAIN",
        "WALK",
        "EQ5D",
        "SF36",
        "FU",
        "AE",
        "AMP",
        "DD",
        "DS",
        "UNBLIND",
    )
    codelists = dict(COMMON_CODELISTS)
    codelists.update(qcl)
    codelists["ARM"] = (("BMMSC", "BM-MSC 150x10^6"), ("PLACEBO", "PLACEBO"))
    return Design(
        study="sail",
        title=(
            "Allogeneic Mesenchymal Stromal Cells for Angiogenesis and Neovascularization in "
            "No-option Ischemic Limbs (SAIL)"
        ),
        protocol="NCT03042572",
        sponsor="UMC Utrecht",
        arms=(Arm("BMMSC", "BM-MSC 150x10^6"), Arm("PLACEBO", "PLACEBO")),
        sites=(
            Site("01", "Utrecht (coordinating site)", "utrecht"),
            Site("02", "Nieuwegein \u2013 regional hospital", "nieuwegein"),
            Site("03", "Arnhem", "arnhem"),
            Site("04", "'s-Hertogenbosch", "den_bosch"),
        ),
        events=events,
        forms=_order(forms, order),
        codelists=codelists,
        default_subjects=60,
        default_format="odm",
        swap_pairs=(("M2", "M6"),),
        redcap_arms=False,
        extra={"chem": chem, "cyto": cyto, "vs_tpt": {"TRT": ("PRE-DOSE", "POST-DOSE")}},
    )


def pmsc_cli() -> Design:
    """Trial A: placental MSC phase 1 in CLI (IRCT20210221050446N1), two dose cohorts."""
    chem = chem_tests(si=False)
    cyto = cyto_tests("INTLK1")
    forms = common_forms(chem, cyto)
    forms["COHORT"] = Form(
        "COHORT",
        "Dose cohort",
        (
            checked_date("ENRLDAT", "Date of enrolment in cohort"),
            coded("ARMCD", "Dose cohort", "ARM"),
        ),
    )
    pre = ("VS", "PAIN", "WALK", "CYTO", "LYMPH", "HEMA", "CHEM", "EX")
    events = (
        Event(
            "SCR",
            "SCREENING",
            10,
            ("IC", "DM", "MH", "COHORT", "VS", "HEMA", "CHEM", "ABI", "LIMB"),
            day=-14,
            lo=-28,
            hi=-1,
        ),
        Event("D1", "BASELINE / INJECTION 1", 20, pre, day=1, lo=1, hi=1),
        Event("D2", "DAY 2 SAFETY", 30, ("VS",), day=2, lo=1, hi=3),
        Event("W1", "WEEK 1", 40, ("VS", "HEMA", "CHEM"), day=8, lo=6, hi=10),
        Event(
            "M1",
            "MONTH 1",
            50,
            ("VS", "PAIN", "CYTO", "LYMPH", "HEMA", "CHEM"),
            day=29,
            lo=22,
            hi=36,
        ),
        Event("M2", "MONTH 2 / INJECTION 2", 60, pre, day=61, lo=54, hi=68),
        Event("W9", "WEEK 9", 70, ("VS", "HEMA", "CHEM"), day=68, lo=65, hi=71),
        Event(
            "M3",
            "MONTH 3",
            80,
            ("VS", "PAIN", "ABI", "WALK", "CYTO", "LYMPH", "HEMA", "CHEM"),
            day=91,
            lo=84,
            hi=98,
        ),
        Event("M4", "MONTH 4", 90, ("VS", "PAIN"), day=121, lo=107, hi=135),
        Event(
            "M6",
            "MONTH 6 / END OF STUDY",
            100,
            ("VS", "PAIN", "ABI", "WALK", "CYTO", "LYMPH", "HEMA", "CHEM", "LIMB"),
            day=181,
            lo=167,
            hi=195,
        ),
        Event("UNS", "UNSCHEDULED", 0, ("VS", "HEMA", "CHEM"), kind="unscheduled"),
        Event("EOS", "END OF STUDY", 0, ("DS", "DD"), kind="eos"),
        Event("LOG", "LOGS", 0, ("AE", "AMP"), kind="log"),
    )
    order = (
        "IC",
        "DM",
        "MH",
        "COHORT",
        "EX",
        "VS",
        "HEMA",
        "CHEM",
        "CYTO",
        "LYMPH",
        "ABI",
        "LIMB",
        "PAIN",
        "WALK",
        "AE",
        "AMP",
        "DD",
        "DS",
    )
    codelists = dict(COMMON_CODELISTS)
    codelists["ARM"] = (("LOW", "P-MSC 20x10^6"), ("HIGH", "P-MSC 60x10^6"))
    return Design(
        study="pmsc-cli",
        title=(
            "Phase 1 safety of human placental mesenchymal stem cells in critical limb ischemia"
        ),
        protocol="IRCT20210221050446N1",
        sponsor="Shirbaghaee et al., Stem Cell Res Ther 2023;14:174",
        arms=(Arm("LOW", "P-MSC 20x10^6"), Arm("HIGH", "P-MSC 60x10^6")),
        sites=(Site("01", "Tehran \u2013 Cell Therapy Clinic", "tehran"),),
        events=events,
        forms=_order(forms, order),
        codelists=codelists,
        default_subjects=9,
        default_format="redcap",
        swap_pairs=(("W1", "W9"),),
        redcap_arms=True,
        extra={
            "chem": chem,
            "cyto": cyto,
            "vs_tpt": {t: ("PRE-DOSE", "30 MIN POST", "2 H POST") for t in ("D1", "M2")},
        },
    )


#: Known studies: name -> design factory.
STUDIES = {"sail": sail, "pmsc-cli": pmsc_cli}
