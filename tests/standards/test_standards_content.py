"""The shipped standards agree with the official SDTMIG 3.4, ADaMIG 1.3 and CT 2025-03-28 files.

Expected values are read from ../shared with the csv module (specs_official) or, for the trial
terms, taken from ../shared/reference/trials.md, the sections named in each test.
"""

from __future__ import annotations

import pytest
from specs_official import SDTMIG, read_csv

from cdisc.errors import SpecError

#: The brief: the datasets the issue requires plus those the two trials need.
DOMAINS = [
    "DM",
    "EX",
    "AE",
    "LB",
    "VS",
    "DS",
    "PR",
    "QS",
    "RS",
    "SV",
    "SE",
    "TS",
    "TA",
    "TE",
    "TV",
    "TI",
    "SUPPQUAL",
    "CP",
    "EC",
    "CM",
    "MH",
    "IE",
    "FT",
]
ADAM = {"ADSL": "Subject-Level Analysis Dataset", "BDS": "Basic Data Structure"}


def codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(";") if c.strip())


def test_shipped_domains_are_the_required_ones(std):
    assert sorted(std.sdtm_domains) == sorted(DOMAINS)


@pytest.mark.parametrize("domain", DOMAINS)
def test_sdtm_variables_match_sdtmig(std, sdtmig, domain):
    expected = [
        (
            r["Variable Name"],
            r["Variable Label"],
            r["Type"],
            r["Core"],
            r["Role"],
            codes(r["CDISC CT Codelist Code(s)"]),
            r["Described Value Domain(s)"],
            int(r["Variable Order"]),
        )
        for r in sdtmig[domain]
    ]
    shipped = [
        (v.name, v.label, v.type, v.core, v.role, v.codelist, v.value_domain, v.order)
        for v in std.sdtm_variables(domain)
    ]
    assert shipped == expected


def test_sdtm_dataset_facts_match_sdtmig(std):
    rows = {r["Dataset Name"]: r for r in read_csv(SDTMIG / "Datasets.csv")}
    for domain in DOMAINS:
        dataset = std.sdtm_dataset(domain)
        row = rows[domain]
        assert (dataset.label, dataset.cdisc_class, dataset.structure) == (
            row["Dataset Label"],
            row["Class"],
            row["Structure"],
        )


def test_ae_spot_checks(std):
    aesev = std.sdtm_variable("AE", "AESEV")
    assert aesev.codelist == ("C66769",)
    assert aesev.codelist_values == ("AESEV",)
    assert std.codelist("C66769").extensible is False
    assert std.sdtm_variable("AE", "AESTDTC").value_domain == "ISO 8601 datetime or interval"
    assert std.sdtm_variable("AE", "AEDECOD").value_domain == "MedDRA"
    assert std.sdtm_variable("AE", "DOMAIN").value_list == "AE"
    assert std.sdtm_variable("AE", "NOPE") is None


def test_dsdecod_has_its_three_codelists_in_order(std):
    dsdecod = std.sdtm_variable("DS", "DSDECOD")
    assert dsdecod.codelist == ("C66727", "C114118", "C150811")
    assert dsdecod.codelist_values == ("NCOMPLT", "PROTMLST", "OTHEVENT")


def test_supp_domains_resolve_to_suppqual(std, sdtmig):
    names = [r["Variable Name"] for r in sdtmig["SUPPQUAL"]]
    supp = std.sdtm_variables("suppae")
    assert [v.name for v in supp] == names
    assert {v.dataset for v in supp} == {"SUPPAE"}
    assert std.sdtm_dataset("SUPPDM").label == "Supplemental Qualifiers for DM"
    assert std.sdtm_dataset("SUPPDM").cdisc_class == "Relationship"


def test_unknown_domain_gives_did_you_mean(std):
    with pytest.raises(SpecError) as caught:
        std.sdtm_variables("AX")
    assert "unknown SDTM domain 'AX'" in str(caught.value)
    assert "did you mean" in str(caught.value) and "'AE'" in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("structure", ["ADSL", "BDS"])
def test_adam_variables_match_adamig(std, adamig, structure):
    expected = [
        (
            r["Variable Name"],
            r["Variable Label"],
            r["Type"],
            r["Core"],
            r["Variable Set"],
            codes(r["CDISC CT Codelist Code(s)"]),
            codes(r["CDISC CT Codelist Submission Value(s)"]),
            "ADaMIG v1.3",
        )
        for r in adamig[ADAM[structure]]
    ]
    shipped = [
        (v.name, v.label, v.type, v.core, v.variable_set, v.codelist, v.codelist_values, v.source)
        for v in std.adam_variables(structure)
    ]
    assert shipped == expected
    assert [v.order for v in std.adam_variables(structure)] == list(range(1, len(expected) + 1))


TTE_NAMES = [
    "STARTDT",
    "ADT",
    "AVAL",
    "CNSR",
    "EVNTDESC",
    "CNSDTDSC",
    "SRCDOM",
    "SRCVAR",
    "SRCSEQ",
    "PARAM",
    "PARAMCD",
]


def test_tte_structure_and_variables(std):
    tte = std.adam_structure("tte")
    assert (tte.cdisc_class, tte.subclass, tte.base) == (
        "BASIC DATA STRUCTURE",
        "TIME-TO-EVENT",
        "BDS",
    )
    for name in TTE_NAMES:
        variable = std.adam_variable("TTE", name)
        assert variable is not None and variable.name == name, name
    cnsr = std.adam_variable("TTE", "CNSR")
    assert (cnsr.type, cnsr.core, cnsr.variable_set) == ("Num", "Cond", "Time-to-Event")
    assert std.adam_variable("TTE", "STARTDTF").codelist_values == ("DATEFL",)
    assert [v.name for v in std.adam_variables("TTE")] == [
        v.name for v in std.adam_variables("BDS")
    ]


@pytest.mark.parametrize(
    ("structure", "name", "expected"),
    [
        ("ADSL", "TRT01P", "TRTxxP"),
        ("ADSL", "TRT02A", "TRTxxA"),
        ("ADSL", "TRT01PN", "TRTxxPN"),
        ("ADSL", "AGEGR1", "AGEGRy"),
        ("ADSL", "AGEGR1N", "AGEGRyN"),
        ("ADSL", "SAFFL", "SAFFL"),
        ("ADSL", "TRTSDT", "TRTSDT"),
        ("ADSL", "P01S2", "PxxSw"),
        ("BDS", "ANL01FL", "ANLzzFL"),
        ("BDS", "CRIT12FL", "CRITyFL"),
        ("BDS", "ADT", "ADT"),
        ("BDS", "LSTALVDT", "*DT"),
        ("TTE", "ASTDTF", "ASTDTF"),
        ("TTE", "RANDSDTF", "*SDTF"),
        # xx is two digits 01-99 (ADaMIG 1.3 section 3.1.1): TRT1P and TRT00P are not TRTxxP
        ("ADSL", "TRT1P", None),
        ("ADSL", "TRT00P", None),
        # ADaMIG 1.3 lists no "*FL" row, so a flag BDS does not define is not matched
        ("BDS", "SAFFL", None),
    ],
)
def test_adam_name_patterns(std, structure, name, expected):
    found = std.adam_variable(structure, name)
    assert (found.name if found else None) == expected


def test_pattern_variable_keeps_ig_label(std, adamig):
    label = next(
        r["Variable Label"] for r in adamig[ADAM["ADSL"]] if r["Variable Name"] == "TRTxxP"
    )
    assert std.adam_variable("ADSL", "TRT01P").label == label
    assert std.adam_variable("ADSL", "TRT01P").is_pattern
    assert not std.adam_variable("ADSL", "SAFFL").is_pattern


def test_unknown_structure_gives_did_you_mean(std):
    with pytest.raises(SpecError, match=r"unknown ADaM structure 'ADTTE' \(did you mean 'TTE'\?\)"):
        std.adam_variables("ADTTE")


def test_every_referenced_codelist_ships_with_the_official_terms(std, official_ct):
    referenced = {c for d in DOMAINS for v in std.sdtm_variables(d) for c in v.codelist} | {
        c for s in ("ADSL", "BDS") for v in std.adam_variables(s) for c in v.codelist
    }
    assert len(referenced) > 60
    for code in sorted(referenced):
        codelist = std.codelist(code)
        official = official_ct[code]
        assert codelist.submission_value == official["value"]
        assert codelist.extensible is (official["extensible"] == "Yes")
        terms = {
            (t.code, t.submission_value, "; ".join(t.synonyms), t.nci_preferred_term)
            for t in codelist.terms
        }
        assert terms == official["terms"], code


def test_every_shipped_codelist_matches_the_official_files(std, official_ct):
    for code in std.codelist_codes:
        codelist = std.codelist(code)
        assert codelist.submission_value == official_ct[code]["value"], code
        assert len(codelist.terms) == len(official_ct[code]["terms"]), code


# Named in the brief and trials.md 3.3-3.9 (submission value -> NCI code, extensible).
TRIAL_CODELISTS = {
    "UNIT": ("C71620", True),
    "LBTESTCD": ("C65047", True),
    "LBTEST": ("C67154", True),
    "VSTESTCD": ("C66741", True),
    "VSTEST": ("C67153", True),
    "VSRESU": ("C66770", True),
    "CPTESTCD": ("C181173", True),
    "EQ5D02TC": ("C101817", False),
    "EQ5D02TN": ("C101818", False),
    "SF363TC": ("C101826", False),
    "TSPARMCD": ("C66738", True),
    "TSPARM": ("C67152", True),
    "ROUTE": ("C66729", True),
    "FRM": ("C66726", True),
    "NY": ("C66742", False),
    "SEX": ("C66731", False),
    "RACE": ("C74457", False),
    "ETHNIC": ("C66790", False),
    "AGEU": ("C66781", False),
    "EPOCH": ("C99079", True),
    "NCOMPLT": ("C66727", True),
    "DSCAT": ("C74558", False),
    "ARMNULRS": ("C142179", True),
    "LOC": ("C74456", True),
    "LAT": ("C99073", True),
    "POSITION": ("C71148", True),
    "SPECTYPE": ("C78734", True),
    "DATEFL": ("C81223", False),
    "TIMEFL": ("C81226", False),
    "PARAMTYP": ("C81225", False),
    "ORIGINT": ("C170449", False),
}


@pytest.mark.parametrize("value", sorted(TRIAL_CODELISTS))
def test_trial_codelists_ship(std, value):
    codelist = std.codelist(value)
    assert (codelist.code, codelist.extensible) == TRIAL_CODELISTS[value]


def test_trial_terms_from_trials_md(std):
    # 3.4 / 3.9: ABI is a VSTESTCD term
    assert std.codelist("VSTESTCD").term("ABI").code == "C87304"
    # 3.8: CD4 and CD8 T cells exist only in CPTESTCD; no TNFA, TNF is C74751
    assert std.codelist("CPTESTCD").term("TLYH").code == "C181302"
    assert std.codelist("CPTESTCD").term("TLC").code == "C181186"
    assert "TNFA" not in std.codelist("LBTESTCD")
    assert std.codelist("LBTESTCD").term("TNF").code == "C74751"
    # 3.8: pg/mL is a synonym of ng/L (C67327); 3.9: 10^6 Therapeutic Cells is a UNIT term
    assert std.codelist("UNIT").lookup("pg/mL").code == "C67327"
    assert "10^6 Therapeutic Cells" in std.codelist("UNIT")
    # 3.5 / 3.6: QSCAT values and item codes
    assert std.codelist("QSCAT").term("EQ-5D-5L").code == "C102117"
    assert std.codelist("QSCAT").term("SF36 V2.0 STANDARD").code == "C102122"
    assert std.codelist("EQ5D02TC").values == tuple(f"EQ5D020{i}" for i in range(1, 7))
    assert len(std.codelist("SF363TC").terms) == 62


def test_codelist_lookups(std):
    ny = std.codelist("ny")
    assert ny is std.codelist("C66742")
    assert ny.values == ("N", "NA", "U", "Y")
    assert ny.term("y") is None
    assert ny.lookup("y").submission_value == "Y"
    assert ny.lookup("No").submission_value == "N"
    assert std.codelist("LBTESTCD").lookup("SGPT").submission_value == "ALT"
    assert std.codelist("LBTESTCD").by_synonym("sgpt")[0].submission_value == "ALT"
    assert std.codelist("LBTESTCD").lookup("no such test") is None


def test_unknown_codelist_gives_did_you_mean(std):
    with pytest.raises(SpecError) as caught:
        std.codelist("AESEVX")
    assert str(caught.value).startswith(
        "unknown codelist 'AESEVX' in CT 2025-03-28 (did you mean 'AESEV'"
    )


def test_ct_version(std):
    assert std.ct_version == "2025-03-28"
    assert std.codelist("NY").package_date == "2025-03-28"
    assert std.codelist("DATEFL").package == "ADaM CT"
    assert std.codelist("DICTNAM").package == "SDTM CT"


def test_docstring_examples_hold():
    import doctest

    import cdisc.standards

    assert doctest.testmod(cdisc.standards).failed == 0


def test_lookup_is_not_ambiguous_when_value_and_preferred_term_differ_only_in_case():
    # RACE's term C41261 has submission value "WHITE" and NCI preferred term "White":
    # the same term twice must not make the lookup ambiguous.
    from cdisc.standards import Standards

    race = Standards.load().codelist("RACE")
    assert race.lookup("White").submission_value == "WHITE"
    assert race.lookup("white").code == "C41261"
