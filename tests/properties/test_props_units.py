"""Properties of unit conversion (sdtm.unitconversions, sdtm.units): A -> B -> A gives the
value back within the precision the result is written with, and every chain of two
conversions agrees with the direct one.

Results go through ``standardize_units`` as text, as the build writes them: 12 significant
digits, so a round trip may move a value by a few units in the 12th digit of the largest
number involved; the tolerance below allows 1e-10 of it.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sdtm.unitconversions import default_conversions, find_conversion
from sdtm.units import standardize_units

FAST = settings(max_examples=40, deadline=None)
TABLE = default_conversions()
#: Every conversion the shipped table gives (its rows and their inverses), as (test, A, B);
#: "*" rows are drawn with a test code that has no row of its own.
PAIRS = sorted(
    ("ANYTEST" if t == "*" else t, a, b)
    for t, a, b in zip(TABLE["test"], TABLE["from_unit"], TABLE["to_unit"], strict=True)
)


@st.composite
def results(draw) -> tuple[float, str]:
    """A result as a lab writes it: up to 9 digits with 0 to 4 decimals, maybe negative."""
    places = draw(st.integers(0, 4))
    number = draw(st.integers(-(10**9), 10**9)) / 10**places
    return number, f"{number:.{places}f}"


def _close(back: float, value: float, *scale: float) -> bool:
    return math.isclose(
        back, value, rel_tol=0, abs_tol=1e-10 * max(1.0, abs(value), *map(abs, scale))
    )


@FAST
@given(st.sampled_from(PAIRS), st.lists(results(), min_size=1, max_size=40))
def test_a_result_converted_there_and_back_is_the_result(pair, drawn):
    test, unit, target = pair
    there, findings = standardize_units(
        pd.DataFrame({"LBTESTCD": test, "LBORRES": [t for _, t in drawn], "LBORRESU": unit}),
        target_units={test: target},
    )
    assert (there["LBSTRESU"] == target).all()
    assert findings.empty, findings
    back, findings = standardize_units(
        pd.DataFrame({"LBTESTCD": test, "LBORRES": there["LBSTRESC"], "LBORRESU": target}),
        target_units={test: unit},
    )
    assert findings.empty, findings
    factor, offset = find_conversion(test, target, unit)
    for (value, _), middle, result in zip(drawn, there["LBSTRESN"], back["LBSTRESN"], strict=True):
        assert _close(result, value, middle * factor, offset), (value, middle, result)


@FAST
@given(st.sampled_from(PAIRS), st.floats(-1e9, 1e9, allow_nan=False))
def test_every_conversion_has_an_inverse_that_undoes_it(pair, value):
    test, unit, target = pair
    factor, offset = find_conversion(test, unit, target)
    inverse = find_conversion(test, target, unit)
    assert inverse is not None
    middle = value * factor + offset
    assert _close(middle * inverse[0] + inverse[1], value, middle * inverse[0], inverse[1])


def test_two_conversions_in_a_row_agree_with_the_direct_one():
    # Every test code of the table (and one with only "*" rows), every chain A -> B -> C
    # whose three conversions exist: this is exhaustive, not sampled.
    units = sorted(set(TABLE["from_unit"]) | set(TABLE["to_unit"]))
    tests = sorted({t for t, _, _ in PAIRS})
    chains = 0
    for test in tests:
        for a, b, c in itertools.permutations(units, 3):
            ab, bc, ac = (find_conversion(test, *u) for u in ((a, b), (b, c), (a, c)))
            if ab and bc and ac:
                chains += 1
                for value in (0.0, 1.0, 37.5, 1234.5678):
                    chained = (value * ab[0] + ab[1]) * bc[0] + bc[1]
                    direct = value * ac[0] + ac[1]
                    assert _close(chained, direct, value * ab[0] * bc[0], ab[1] * bc[0], bc[1])
    assert chains > 0
