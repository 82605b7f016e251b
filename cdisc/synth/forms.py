"""CRF building blocks shared by both trials: lab panels, the common forms, EQ-5D-5L and SF-36.

Lab panels are wide forms (one result and one unit item per analyte), as local-lab CRFs are
built; test codes follow CDISC CT (trials.md 3.8: ``INTLK1B``/``INTLK1``, ``IFNG``, ``TNF``,
``INTLK6``, ``INTLK10``; CD4 and CD8 have no LBTESTCD and keep their marker names). Result
distributions are **[proposal]** values typical of elderly CLI patients.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc.synth.design import (
    Field,
    Form,
    checked_date,
    checked_time,
    coded,
    date,
    num,
    tags,
    text,
    time,
)


@dataclass(frozen=True)
class LabTest:
    """A lab analyte and how the generator draws it.

    Values are log-normal: subject median ``median`` with between-subject log-sd ``between``
    and visit-to-visit log-sd ``within``, clipped to ``lo``..``hi``. ``lloq``/``uloq`` are the
    assay limits used by the censored-value defect (0 = none).
    """

    code: str
    label: str
    unit: str
    decimals: int
    median: float
    between: float
    within: float
    lo: float
    hi: float
    lloq: float = 0.0
    uloq: float = 0.0


def _lab_form(oid: str, title: str, tests: tuple[LabTest, ...], extra: tuple[str, ...]) -> Form:
    fields: list[Field] = [
        coded("LBPERF", "Sample taken?", "NY"),
        date("LBDAT", "Date sample taken"),
        time("LBTIM", "Time sample taken"),
    ]
    for t in tests:
        fields.append(
            num(
                f"{t.code}_ORRES",
                f"{t.label} result",
                t.decimals,
                "num",
                "lab",
                *extra,
                unit_field=f"{t.code}_ORRESU",
            )
        )
        fields.append(text(f"{t.code}_ORRESU", f"{t.label} unit", "unit"))
    return Form(oid, title, tuple(fields), repeating=True, date_field="LBDAT", perf_field="LBPERF")


HEMA_TESTS = (
    LabTest("HGB", "Hemoglobin", "g/dL", 1, 12.6, 0.11, 0.05, 6.0, 18.5),
    LabTest("HCT", "Hematocrit", "%", 1, 38.5, 0.09, 0.04, 20.0, 55.0),
    LabTest("WBC", "Leukocytes", "10^9/L", 1, 8.0, 0.22, 0.15, 2.0, 30.0),
    LabTest("PLAT", "Platelets", "10^9/L", 0, 265.0, 0.22, 0.10, 60.0, 800.0),
    LabTest("NEUT", "Neutrophils", "10^9/L", 1, 5.2, 0.28, 0.18, 0.8, 25.0),
    LabTest("LYM", "Lymphocytes", "10^9/L", 2, 1.8, 0.28, 0.12, 0.3, 5.0),
)


def chem_tests(si: bool) -> tuple[LabTest, ...]:
    """Chemistry panel; ``si`` (Dutch sites) reports creatinine/glucose in SI units."""
    creat = (
        LabTest("CREAT", "Creatinine", "umol/L", 0, 98.0, 0.30, 0.08, 40.0, 700.0)
        if si
        else LabTest("CREAT", "Creatinine", "mg/dL", 2, 1.11, 0.30, 0.08, 0.45, 7.9)
    )
    gluc = (
        LabTest("GLUC", "Glucose", "mmol/L", 1, 7.4, 0.25, 0.15, 3.0, 25.0)
        if si
        else LabTest("GLUC", "Glucose", "mg/dL", 0, 133.0, 0.25, 0.15, 54.0, 450.0)
    )
    return (
        creat,
        gluc,
        LabTest("HBA1C", "Hemoglobin A1C", "%", 1, 6.4, 0.12, 0.03, 4.5, 12.0),
        LabTest("CRP", "C Reactive Protein", "mg/L", 1, 8.0, 1.0, 0.5, 0.3, 300.0, 0.5, 100.0),
        LabTest("ALT", "Alanine Aminotransferase", "U/L", 0, 21.0, 0.35, 0.15, 5.0, 250.0),
        LabTest("K", "Potassium", "mmol/L", 1, 4.4, 0.08, 0.05, 2.8, 6.5),
        LabTest("SODIUM", "Sodium", "mmol/L", 0, 139.0, 0.02, 0.01, 122.0, 152.0),
        LabTest("ALB", "Albumin", "g/L", 0, 38.0, 0.10, 0.05, 18.0, 52.0),
    )


def cyto_tests(il1: str) -> tuple[LabTest, ...]:
    """Serum cytokines in pg/mL; trial A's assay is not beta-specific (``INTLK1``)."""
    label = "Interleukin 1 Beta" if il1 == "INTLK1B" else "Interleukin 1"
    return (
        LabTest(il1, label, "pg/mL", 1, 2.2, 0.6, 0.25, 0.1, 80.0, 0.5, 500.0),
        LabTest("IFNG", "Interferon Gamma", "pg/mL", 1, 9.0, 0.6, 0.25, 0.2, 200.0, 1.0, 500.0),
        LabTest("TNF", "Tumor Necrosis Factor", "pg/mL", 1, 8.5, 0.45, 0.2, 0.5, 120.0, 1.2, 500.0),
        LabTest("INTLK6", "Interleukin 6", "pg/mL", 1, 4.8, 0.75, 0.3, 0.2, 400.0, 1.5, 500.0),
        LabTest("INTLK10", "Interleukin 10", "pg/mL", 1, 3.6, 0.55, 0.25, 0.2, 90.0, 0.8, 500.0),
    )


#: Lymphocyte subsets (flow cytometry) in cells/uL; stable over time in both trials.
LYMPH_TESTS = (
    LabTest("CD3", "T-Lymphocytes (CD3+)", "cells/uL", 0, 1250.0, 0.30, 0.10, 200.0, 4000.0),
    LabTest("CD4", "Helper T Cells (CD4+)", "cells/uL", 0, 780.0, 0.33, 0.10, 100.0, 2500.0),
    LabTest("CD8", "Cytotoxic T Cells (CD8+)", "cells/uL", 0, 420.0, 0.38, 0.10, 50.0, 1800.0),
    LabTest("CD19", "B-Lymphocytes (CD19+)", "cells/uL", 0, 210.0, 0.45, 0.12, 20.0, 1000.0),
    LabTest("CD56", "Natural Killer Cells (CD56+)", "cells/uL", 0, 260.0, 0.45, 0.12, 20.0, 1200.0),
)


def common_forms(chem: tuple[LabTest, ...], cyto: tuple[LabTest, ...]) -> dict[str, Form]:
    """Forms both trials share, keyed by OID."""
    ny = "NY"
    forms = [
        Form(
            "IC",
            "Informed consent",
            (
                coded("ICYN", "Written informed consent obtained?", ny),
                checked_date("ICDAT", "Date informed consent signed"),
            ),
        ),
        Form(
            "DM",
            "Demographics",
            (
                Field(
                    "BRTHDAT", "Date of birth", "date", tags=tags("date", "pdate"), identifier=True
                ),
                num("AGE", "Age at consent (years)", 0, "num", "age"),
                coded("SEX", "Sex", "SEX", "clash"),
                Field(
                    "RACE",
                    "Race (check all that apply)",
                    "checkbox",
                    codelist="RACE",
                    tags=tags("blank"),
                ),
                coded("ETHNIC", "Ethnicity", "ETHNIC", "clash", "blank"),
            ),
        ),
        Form(
            "MH",
            "Medical history",
            (
                coded("DIABYN", "Diabetes mellitus?", ny),
                coded("HTNYN", "Hypertension?", ny),
                coded("CADYN", "Coronary artery disease?", ny),
                coded("SMOKE", "Smoking status", "SMOKE"),
            ),
        ),
        Form(
            "EX",
            "Study product administration",
            (
                coded("ECYN", "Was the study product administered?", ny),
                checked_date("ECSTDAT", "Administration date"),
                checked_time("ECSTTIM", "Time of first injection"),
                checked_time("ECENTIM", "Time of last injection"),
                num("ECDOSE", "Total dose (10^6 cells)", 0, "num", "dose", unit_field="ECDOSU"),
                text("ECDOSU", "Dose unit", "unit"),
                num("ECINJN", "Number of injection sites", 0),
                num("ECVOL", "Total volume injected (mL)", 1),
                coded("ECROUTE", "Route", "ROUTE"),
                text("ECLOC", "Injection location"),
                coded("ECLAT", "Treated limb", "LAT", "lat"),
            ),
            repeating=False,
            date_field="ECSTDAT",
        ),
        Form(
            "VS",
            "Vital signs",
            (
                coded("VSPERF", "Vital signs measured?", ny),
                date("VSDAT", "Date of measurement"),
                time("VSTIM", "Time of measurement"),
                text("VSTPT", "Planned time point"),
                num("SYSBP", "Systolic blood pressure (mmHg)", 0, "num", "vital"),
                num("DIABP", "Diastolic blood pressure (mmHg)", 0, "num", "vital"),
                num("PULSE", "Pulse rate (beats/min)", 0, "num", "vital"),
                num("TEMP", "Temperature", 1, "num", "vital", "temp", unit_field="TEMPU"),
                text("TEMPU", "Temperature unit", "unit"),
                num("WEIGHT", "Weight", 1, "num", "vital", unit_field="WEIGHTU"),
                text("WEIGHTU", "Weight unit", "unit"),
                num("HEIGHT", "Height", 0, "num", "vital", unit_field="HEIGHTU"),
                text("HEIGHTU", "Height unit", "unit"),
            ),
            repeating=True,
            date_field="VSDAT",
            perf_field="VSPERF",
        ),
        _lab_form("HEMA", "Hematology", HEMA_TESTS, ()),
        _lab_form("CHEM", "Clinical chemistry", chem, ()),
        _lab_form("CYTO", "Serum cytokines", cyto, ("cyto",)),
        _lab_form("LYMPH", "Lymphocyte subsets", LYMPH_TESTS, ()),
        Form(
            "ABI",
            "Limb pressures (per leg)",
            (
                coded("ABIPERF", "Pressures measured?", ny),
                date("ABIDAT", "Date of measurement"),
                coded("ABILAT", "Leg", "LAT", "lat"),
                num("BRACHSYS", "Brachial systolic pressure, arm on this side (mmHg)", 0, "num"),
                num(
                    "PTSYS",
                    "Ankle systolic pressure, posterior tibial artery (mmHg)",
                    0,
                    "num",
                    "ankle",
                ),
                num(
                    "DPSYS",
                    "Ankle systolic pressure, dorsalis pedis artery (mmHg)",
                    0,
                    "num",
                    "ankle",
                ),
                num("TOESYS", "Great toe systolic pressure (mmHg)", 0, "num"),
            ),
            repeating=True,
            date_field="ABIDAT",
            perf_field="ABIPERF",
        ),
        Form(
            "LIMB",
            "Index limb status",
            (
                date("LIMBDAT", "Date of assessment"),
                coded("LIMBLAT", "Index limb", "LAT", "lat"),
                coded("RUTHCAT", "Rutherford category", "RUTH", "clash"),
                coded("FONTSTG", "Fontaine stage", "FONT"),
            ),
            date_field="LIMBDAT",
        ),
        Form(
            "PAIN",
            "Rest pain (VAS)",
            (
                date("VASDAT", "Date of assessment"),
                num("VASREST", "Rest pain VAS, 0-100 mm", 0, "num", "vas"),
            ),
            date_field="VASDAT",
        ),
        Form(
            "WALK",
            "Treadmill walking test (3 km/h)",
            (
                coded("WTPERF", "Walking test performed?", ny),
                text("WTREASND", "Reason not performed", "verbatim"),
                date("WTDAT", "Date of test"),
                num("PFWD", "Pain-free walking distance (m)", 0, "num"),
                num("MWD", "Maximum walking distance (m)", 0, "num"),
            ),
            date_field="WTDAT",
            perf_field="WTPERF",
        ),
        Form(
            "AE",
            "Adverse events",
            (
                text("AETERM", "Adverse event (verbatim)", "verbatim"),
                date("AESTDAT", "Start date", "pdate"),
                date("AEENDAT", "End date", "pdate"),
                coded("AEONGO", "Ongoing?", ny),
                coded("AESEV", "Severity", "AESEV", "clash", "blank"),
                coded("AESER", "Serious?", ny, "clash"),
                coded("AESDTH", "Results in death", ny),
                coded("AESLIFE", "Life threatening", ny),
                coded("AESHOSP", "Requires or prolongs hospitalisation", ny),
                coded("AESDISAB", "Persistent or significant disability", ny),
                coded("AESCONG", "Congenital anomaly", ny),
                coded("AESMIE", "Other medically important event", ny),
                coded("AEREL", "Relationship to study product", "AEREL", "blank"),
                coded("AEACN", "Action taken with study product", "AEACN"),
                coded("AEOUT", "Outcome", "AEOUT", "clash"),
                Field("AECOM", "Comment", "notes", tags=tags("freetext")),
            ),
            repeating=True,
        ),
        Form(
            "AMP",
            "Amputations",
            (
                date("AMPDAT", "Date of amputation", "pdate"),
                coded("AMPLAT", "Side", "LAT", "lat"),
                text("AMPLEV", "Level of amputation", "amplev"),
                text("AMPREAS", "Indication", "verbatim"),
            ),
            repeating=True,
        ),
        Form(
            "FU",
            "Follow-up status",
            (
                date("FUDAT", "Date of contact"),
                coded("FUMETH", "Contact method", "FUMETH"),
                coded("ALIVE", "Subject alive?", ny),
                coded("NEWAMP", "Amputation since last contact?", ny),
            ),
            date_field="FUDAT",
        ),
        Form(
            "DD",
            "Death",
            (
                date("DTHDAT", "Date of death", "pdate"),
                text("DTHCAUS", "Cause of death", "verbatim"),
            ),
        ),
        Form(
            "DS",
            "End of study",
            (
                date("DSSTDAT", "Date of completion or discontinuation"),
                coded("DSDECOD", "Status at end of study", "DSDECOD", "clash"),
                Field("DSREAS", "Details", "notes", tags=tags("freetext")),
            ),
        ),
    ]
    return {f.oid: f for f in forms}


def eq5d_sf36() -> tuple[Form, Form, dict[str, tuple[tuple[str, str], ...]]]:
    """EQ-5D-5L and SF-36 v2 standard forms with their response codelists (trials.md 3.5, 3.6)."""
    dims = ("Mobility", "Self-care", "Usual activities", "Pain/discomfort", "Anxiety/depression")
    eq = Form(
        "EQ5D",
        "EQ-5D-5L",
        (
            date("QSDAT", "Date of questionnaire"),
            *(coded(f"EQ5D020{i + 1}", f"EQ-5D-5L {d}", "EQ5D") for i, d in enumerate(dims)),
            num("EQ5D0206", "EQ VAS (0-100)", 0, "num", "vas"),
        ),
        date_field="QSDAT",
    )
    # Item -> response set for SF-36 v2 (standard recall): 1 GH, 2 change, 3a-3j limitation,
    # 4a-5c role (time), 6 social extent, 7 pain, 8 interference, 9a-9i time, 10 social time,
    # 11a-11d true/false.
    sets = (
        ["SFGH", "SFCHG"]
        + ["SFLIM"] * 10
        + ["SFTIME"] * 7
        + ["SFDEG", "SFPAIN", "SFDEG"]
        + ["SFTIME"] * 10
        + ["SFTRUE"] * 4
    )
    sf = Form(
        "SF36",
        "SF-36 v2 (standard)",
        (
            date("QSDAT", "Date of questionnaire"),
            *(coded(f"SF363{i + 1:02d}", f"SF-36 item {i + 1}", s) for i, s in enumerate(sets)),
        ),
        date_field="QSDAT",
    )
    cls = {
        "EQ5D": (
            ("1", "No problems"),
            ("2", "Slight problems"),
            ("3", "Moderate problems"),
            ("4", "Severe problems"),
            ("5", "Extreme problems / unable"),
        ),
        "SFGH": (
            ("1", "Excellent"),
            ("2", "Very good"),
            ("3", "Good"),
            ("4", "Fair"),
            ("5", "Poor"),
        ),
        "SFCHG": (
            ("1", "Much better"),
            ("2", "Somewhat better"),
            ("3", "About the same"),
            ("4", "Somewhat worse"),
            ("5", "Much worse"),
        ),
        "SFLIM": (
            ("1", "Yes, limited a lot"),
            ("2", "Yes, limited a little"),
            ("3", "No, not limited at all"),
        ),
        "SFTIME": (
            ("1", "All of the time"),
            ("2", "Most of the time"),
            ("3", "Some of the time"),
            ("4", "A little of the time"),
            ("5", "None of the time"),
        ),
        "SFDEG": (
            ("1", "Not at all"),
            ("2", "Slightly"),
            ("3", "Moderately"),
            ("4", "Quite a bit"),
            ("5", "Extremely"),
        ),
        "SFPAIN": (
            ("1", "None"),
            ("2", "Very mild"),
            ("3", "Mild"),
            ("4", "Moderate"),
            ("5", "Severe"),
            ("6", "Very severe"),
        ),
        "SFTRUE": (
            ("1", "Definitely true"),
            ("2", "Mostly true"),
            ("3", "Don't know"),
            ("4", "Mostly false"),
            ("5", "Definitely false"),
        ),
    }
    return eq, sf, cls
