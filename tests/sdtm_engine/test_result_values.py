"""Issue 6: the SDTM values the validator flagged, one defect per input record.

Each test maps a small raw form through an inline spec (``map_domain`` then ``derive_domain``)
and compares the SDTM values with values worked by hand from the spec, SDTMIG 3.4 and CT
2025-03-28 (codes quoted in the comments); none is copied from the program's output.
"""

from __future__ import annotations

import math

import pandas as pd

from cdisc.readers.base import RawExport
from cdisc.standards import Standards
from sdtm import spec as specs
from sdtm.algorithms import Context, assign_unit
from sdtm.design import Design
from sdtm.engine import derive_domain, map_domain, supplemental
from sdtm.spec import DomainSpec, Source, Step, Supplemental

CONTEXT = Context(Standards.load())
TOKENS = ("ND", "not done", "N/A", "NA", "UNK", ".")


def _raw(form: str, **fields: list) -> pd.DataFrame:
    """One raw record per value, each of its own subject (no duplicate keys between them)."""
    n = len(next(iter(fields.values())))
    base = {"_file": "x.xml", "_form": form, "_record": [str(i + 1) for i in range(n)]}
    base |= {"_subject": [f"{i + 1:02d}" for i in range(n)], "_site": "S1", "_event": "BL"}
    return pd.DataFrame(base | {"_repeat": None} | fields)


def _build(spec: DomainSpec, raw: pd.DataFrame):
    mapped = map_domain(
        spec, RawExport("odm", "x", {raw["_form"].iloc[0]: raw}), CONTEXT, Design(), "ST"
    )
    return derive_domain(mapped, spec, None, Design())


def _codes(issues: pd.DataFrame, code: str) -> pd.DataFrame:
    return issues[issues["code"] == code].reset_index(drop=True)


def _text(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


# --- items 1, 2 and 8: --ORRESU as the CT term; a unit typed into the result ---------------


def test_collected_unit_spellings_are_written_as_their_ct_term_and_reported_per_spelling():
    # HGB in g/dL (UNIT C64783) or g/L (C42576), standard g/L: g/dL x 10 (1 dL = 0.1 L).
    raw = _raw(
        "hema",
        HGB=["12.2", "13.0", "12.2g/dL", "12.2 mg/dL", "128", "121"],
        HGBU=["G/DL", "G/DL", "g/dL", "g/dL", " gm/L ", "furlongs"],
    )
    spec = DomainSpec(
        domain="LB",
        path="lb.yaml",
        sources=(Source("hema"),),
        steps=(),
        tests=(specs.Test("HGB", "HGB", unit_field="HGBU", target_unit="g/L"),),
    )
    out = _build(spec, raw)
    lb = out.data.set_index("_record")
    assert _text(lb["LBORRES"]) == ["12.2", "13.0", "12.2", "12.2 mg/dL", "128", "121"]
    # G/DL -> g/dL; gm/L -> g/L; "furlongs" is no unit: kept as collected (trimmed).
    assert _text(lb["LBORRESU"]) == ["g/dL", "g/dL", "g/dL", "g/dL", "g/L", "furlongs"]
    # 12.2 g/dL = 122 g/L, 13.0 g/dL = 130 g/L; "12.2 mg/dL" names another unit than the
    # unit field: not guessed; 121 furlongs: unknown unit, not converted.
    assert _text(lb["LBSTRESC"]) == ["122", "130", "122", None, "128", None]
    assert lb.loc["3", "LBSTRESN"] == 122.0
    mapped = _codes(out.issues, "unit-term-mapped")
    assert list(zip(mapped["value"], mapped["variable"], strict=True)) == [
        ("G/DL", "LBORRESU"),
        ("gm/L", "LBORRESU"),
    ]
    assert "'g/dL' (C64783)" in mapped["message"][0] and "[2 records;" in mapped["message"][0]
    assert "'g/L' (C42576)" in mapped["message"][1] and "[1 record;" in mapped["message"][1]
    typed = _codes(out.issues, "unit-in-result")
    # record 3 read as its number; record 4 (a unit that contradicts the field) left as is
    assert sorted(typed["record"]) == ["3", "4"]
    assert set(typed.loc[typed["record"] == "3", "message"].str.contains("read as the number"))


def test_temperature_typed_c_or_with_its_unit_is_celsius():
    # VS TEMP, standard C (UNIT C42559). "c" is a site's lower-case C; "36.4 C" with the unit
    # field blank is the number and its unit; 98.6 F = (98.6 - 32) / 1.8 = 37 C.
    raw = _raw("vs", TEMP=["36.9", "36.4 C", "98.6", "37.1"], TEMPU=["c", None, "F", "\u00b0C"])
    spec = DomainSpec(
        domain="VS",
        path="vs.yaml",
        sources=(Source("vs"),),
        steps=(),
        tests=(specs.Test("TEMP", "TEMP", unit_field="TEMPU", target_unit="C"),),
    )
    vs = _build(spec, raw).data.set_index("_record")
    assert _text(vs["VSORRES"]) == ["36.9", "36.4", "98.6", "37.1"]
    assert _text(vs["VSORRESU"]) == ["C", "C", "F", "C"]
    assert _text(vs["VSSTRESC"]) == ["36.9", "36.4", "37", "37.1"]
    assert _text(vs["VSSTRESU"]) == ["C", "C", "C", "C"]


# --- item 3: results that are not results ---------------------------------------------------


def test_result_texts_meaning_no_result_become_not_done_records():
    # SDTMIG 3.4 4.5.1.1: a test not done has --STAT = NOT DONE and --ORRES null. Matching
    # ignores case and blanks ("na", " ND "). Comparisons and numbers are results; a blank
    # result makes no record at all (blank-result).
    results = ["ND", " not done", "N/A", "na", "UNK", ".", "<1.5", ">100", "99", " "]
    raw = _raw("chem", CRP=results)
    spec = DomainSpec(
        domain="LB",
        path="lb.yaml",
        sources=(Source("chem"),),
        steps=(),
        tests=(specs.Test("CRP", "CRP", unit="mg/L", target_unit="mg/L"),),
        not_done_results=TOKENS,
    )
    out = _build(spec, raw)
    lb = out.data.set_index("_record").sort_index(key=lambda i: i.astype(int))
    assert list(lb.index) == [str(i) for i in range(1, 10)]  # record 10 (blank): no record
    assert _text(lb["LBSTAT"]) == ["NOT DONE"] * 6 + [None] * 3
    assert _text(lb["LBORRES"]) == [None] * 6 + ["<1.5", ">100", "99"]
    assert _text(lb["LBORRESU"]) == [None] * 6 + ["mg/L"] * 3
    assert _text(lb["LBSTRESC"]) == [None] * 6 + ["<1.5", ">100", "99"]
    assert math.isnan(lb.loc["7", "LBSTRESN"]) and lb.loc["9", "LBSTRESN"] == 99.0
    said = _codes(out.issues, "result-not-done")
    assert list(zip(said["record"], said["value"], strict=True)) == [
        ("1", "ND"),
        ("2", " not done"),
        ("3", "N/A"),
        ("4", "na"),
        ("5", "UNK"),
        ("6", "."),
    ]
    assert _codes(out.issues, "not-a-number").empty


def test_without_not_done_results_a_text_result_is_kept_and_reported():
    raw = _raw("chem", CRP=["ND", "3.1"])
    spec = DomainSpec(
        domain="LB",
        path="lb.yaml",
        sources=(Source("chem"),),
        steps=(),
        tests=(specs.Test("CRP", "CRP", unit="mg/L", target_unit="mg/L"),),
    )
    out = _build(spec, raw)
    assert _text(out.data["LBORRES"]) == ["ND", "3.1"]
    assert _codes(out.issues, "not-a-number")["value"].tolist() == ["ND"]


# --- item 4: line breaks ----------------------------------------------------------------------


def test_line_breaks_in_mapped_text_and_supp_qualifiers_are_replaced_and_reported():
    raw = _raw(
        "ae",
        AETERM=["Rash\r\nitchy", "Headache"],
        AECOM=["Treated with antibiotics\r\nreported by daughter, by phone", "Resolved.\nNo GP"],
    )
    spec = DomainSpec(
        domain="AE",
        path="ae.yaml",
        sources=(Source("ae"),),
        steps=(Step("AETERM", "assign_no_ct", {"field": "AETERM"}),),
        supplemental=(Supplemental("AECOM", "Adverse Event Comment", "AECOM"),),
    )
    out = _build(spec, raw)
    assert out.data["AETERM"].tolist() == ["Rash; itchy", "Headache"]
    supp = supplemental(out.data, spec, "ST", CONTEXT)
    assert supp["QVAL"].tolist() == [
        "Treated with antibiotics; reported by daughter, by phone",
        "Resolved. No GP",
    ]
    found = _codes(out.issues, "line-break-replaced")
    assert list(zip(found["domain"], found["record"], found["variable"], strict=True)) == [
        ("AE", "1", "AETERM"),
        ("SUPPAE", "1", "QVAL"),
        ("SUPPAE", "2", "QVAL"),
    ]
    assert found["message"][1].startswith("QVAL of QNAM AECOM: a line break")
    assert found["value"].tolist()[0] == "Rash\r\nitchy"  # the value as collected
    assert (found["form"] == "ae").all() and (found["file"] == "x.xml").all()


# --- item 5: a scale's standardised category -------------------------------------------------

RUTHERFORD = (
    ("0 - Asymptomatic", "0"),
    ("I-3 - Severe claudication", "3"),
    ("II-4 - Ischemic rest pain", "4"),
    ("III-5 - Minor tissue loss", "5"),
)
FONTAINE = (("I", "I"), ("IIa", "IIa"), ("IIb", "IIb"), ("III", "III"), ("IV", "IV"))


def test_standard_values_give_one_category_whatever_the_spelling():
    raw = _raw(
        "limb",
        RUTH=[
            "II-4 - ISCHEMIC REST PAIN",
            "III-5 - Minor tissue loss",
            " 0 - asymptomatic ",
            "II-9",
        ],
        FONT=["iib", "IV", "III", None],
    )
    spec = DomainSpec(
        domain="RS",
        path="rs.yaml",
        sources=(Source("limb"),),
        steps=(),
        tests=(
            specs.Test(
                "RUTH0101", "RUTH", test="RUTH01-Rutherford Category", standard_values=RUTHERFORD
            ),
            specs.Test("FONT0101", "FONT", test="FONT01-Fontaine Stage", standard_values=FONTAINE),
        ),
    )
    out = _build(spec, raw)
    rs = out.data.set_index(["RSTESTCD", "_record"]).sort_index()
    ruth, font = rs.loc["RUTH0101"], rs.loc["FONT0101"]
    # RSORRES as collected (trimmed, its own case); RSSTRESC the category of the table.
    assert _text(ruth["RSORRES"]) == [
        "II-4 - ISCHEMIC REST PAIN",
        "III-5 - Minor tissue loss",
        "0 - asymptomatic",
        "II-9",
    ]
    assert _text(ruth["RSSTRESC"]) == ["4", "5", "0", "II-9"]
    assert ruth["RSSTRESN"].tolist()[:3] == [4.0, 5.0, 0.0] and pd.isna(ruth["RSSTRESN"].iloc[3])
    assert _text(font["RSSTRESC"]) == ["IIb", "IV", "III"]
    assert font["RSSTRESN"].isna().all()  # a stage, not a number
    unknown = _codes(out.issues, "no-standard-value")
    assert list(zip(unknown["record"], unknown["value"], strict=True)) == [("4", "II-9")]


# --- item 7: the same event twice ---------------------------------------------------------------


def test_an_event_entered_twice_with_another_end_date_is_a_duplicate_key():
    raw = _raw(
        "ae",
        AETERM=["Dizziness", "Dizziness", "Diarrhoea", "Diarrhoea", "Rash"],
        AESTDAT=["2020-07-13", "2020-07-13", "2021-06-02", "2021-06-02", "2020-07-13"],
        AEENDAT=["2020-07", "2020-07-21", "2021-08-07", "2021-08-07", "2020-07-21"],
    )
    raw["_subject"] = "01"
    spec = DomainSpec(
        domain="AE",
        path="ae.yaml",
        sources=(Source("ae"),),
        steps=(
            Step("AETERM", "assign_no_ct", {"field": "AETERM"}),
            Step("AESTDTC", "assign_datetime", {"field": "AESTDAT"}),
            Step("AEENDTC", "assign_datetime", {"field": "AEENDAT"}),
        ),
    )
    out = _build(spec, raw)
    # 1 and 2: same term and start, other end (P21 SD1201 keys); 3 and 4 identical.
    assert sorted(_codes(out.issues, "duplicate-key")["record"]) == ["1", "2"]
    assert sorted(_codes(out.issues, "duplicate-record")["record"]) == ["3", "4"]
    assert len(out.data) == 5  # all kept


def test_assign_unit_keeps_and_reports_a_unit_ct_lacks():
    # "10^6 cells" is no UNIT term (C71620) without a study synonym; "MG" is mg (C28253).
    raw = pd.DataFrame({"U": ["10^6 cells", " MG ", None]})
    out = assign_unit(raw, "U", context=CONTEXT)
    assert _text(out.values) == ["10^6 cells", "mg", None]
    assert out.problems[["row", "code", "value"]].values.tolist() == [
        [0, "sponsor-extension", "10^6 cells"]
    ]
