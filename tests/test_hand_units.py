"""SPEC.md §1 and §4 facts: BSA formulas, hand units, rule of nines, fingertip units."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vasi
from vasi import hand_units as hu
from vasi.errors import InputError


@pytest.mark.parametrize(
    ("h", "w", "mosteller", "dubois"),
    [(170, 70, 1.818, 1.810), (175, 70, 1.845, 1.848)],
)
def test_bsa_spec_values(h, w, mosteller, dubois):
    assert round(hu.bsa_mosteller(h, w), 3) == mosteller
    assert round(hu.bsa_dubois(h, w), 3) == dubois
    assert hu.bsa(h, w) == hu.bsa_mosteller(h, w)
    assert hu.bsa(h, w, method="dubois") == hu.bsa_dubois(h, w)


def test_bsa_errors_name_parameter():
    with pytest.raises(InputError, match="height_cm"):
        hu.bsa(1.70, 70)
    with pytest.raises(InputError, match="weight_kg"):
        hu.bsa(170, -1)
    with pytest.raises(InputError, match="method"):
        hu.bsa(170, 70, method="haycock")


def test_hand_unit_is_one_percent_bsa():
    b = hu.bsa_mosteller(170, 70)
    assert hu.HU_FRACTION == 0.01
    assert hu.hand_unit_cm2(height_cm=170, weight_kg=70) == pytest.approx(b * 100.0)
    assert hu.hand_unit_cm2(bsa_m2=1.8) == pytest.approx(180.0)
    assert hu.hand_unit_cm2(height_cm=175, weight_kg=70, method="dubois") == pytest.approx(
        hu.bsa_dubois(175, 70) * 100
    )
    assert hu.hand_unit_cm2(palm_cm2=150.0) == 150.0


def test_rossiter_calibration_optional():
    assert hu.ROSSITER_FRACTIONS[("male", "palm_digits")] == 0.008
    assert hu.ROSSITER_FRACTIONS[("female", "palm_digits")] == 0.007
    assert hu.ROSSITER_FRACTIONS[("male", "palm")] == 0.005
    assert hu.ROSSITER_FRACTIONS[("female", "palm")] == 0.004
    cal = hu.hand_unit_cm2(bsa_m2=2.0, hu_fraction=hu.ROSSITER_FRACTIONS[("male", "palm_digits")])
    assert cal == pytest.approx(160.0)
    with pytest.raises(InputError, match="hu_fraction"):
        hu.hand_unit_cm2(bsa_m2=2.0, hu_fraction=1.0)  # a percentage passed as fraction


def test_hand_unit_needs_exactly_one_source():
    with pytest.raises(InputError, match="exactly one"):
        hu.hand_unit_cm2()
    with pytest.raises(InputError, match="exactly one"):
        hu.hand_unit_cm2(bsa_m2=1.8, palm_cm2=150)
    with pytest.raises(InputError, match="weight_kg"):
        hu.hand_unit_cm2(height_cm=170)


@pytest.mark.parametrize("height_cm,weight_kg,unit", [(1700, 70, "millimetres"),
                                                      (170, 70000, "grams")])
def test_implausible_body_sizes_name_the_likely_unit(height_cm, weight_kg, unit):
    with pytest.raises(InputError, match=unit):
        hu.hand_unit_cm2(height_cm=height_cm, weight_kg=weight_kg)


def test_rule_of_nines_and_caps():
    assert sum(hu.RULE_OF_NINES.values()) == 100
    assert hu.RULE_OF_NINES["head_neck"] == 9
    assert hu.RULE_OF_NINES["trunk_front"] == hu.RULE_OF_NINES["trunk_back"] == 18
    assert hu.RULE_OF_NINES["perineum"] == 1
    assert hu.LUND_BROWDER_ADULT["both_hands"] == 5
    assert hu.LUND_BROWDER_ADULT["both_feet"] == 7
    assert 3.0 <= hu.LUND_BROWDER_ADULT["face"] <= 3.5
    assert sum(hu.REGION_CAPS_PCT.values()) == 100
    assert hu.REGION_CAPS_PCT["hands"] == 5 and hu.REGION_CAPS_PCT["feet"] == 7
    assert hu.FACE_HU == 3.0
    assert len(hu.REGION_SETS["hamzavi2004"]) == 5
    assert set(hu.REGION_SETS["six_region"]) == set(hu.REGION_SETS["hamzavi2004"]) | {"head_neck"}


def test_relative_and_physical_hu():
    assert hu.relative_hu(1600, 1600) == 3.0  # whole face
    assert hu.relative_hu(50, 100, assessed_hu=2.0) == 1.0
    assert math.isnan(hu.relative_hu(0, 0))
    np.testing.assert_allclose(hu.relative_hu([0, 100], [100, 100]), [0.0, 3.0])
    assert hu.physical_hu(181.8, hand_unit_cm2=181.8) == pytest.approx(1.0)
    with pytest.raises(InputError, match="hand_unit_cm2"):
        hu.physical_hu(10, hand_unit_cm2=0)


def test_fingertip_unit_rule():
    # 0.5 g covers 2 HU -> 0.25 g per HU per application; twice daily -> 0.5 g/HU/day
    assert hu.cream_g(1, applications_per_day=1) == 0.25
    assert hu.cream_g(2, applications_per_day=1) == 0.5
    assert hu.cream_g(1) == 0.5
    assert hu.cream_g(10) == 5.0
    assert hu.cream_g(10, days=30) == 150.0


def test_dosing_label_limit():
    d = hu.dosing(10.0)
    assert (d.g_per_day, d.g_per_month, d.above_label_limit) == (5.0, 150.0, False)
    assert hu.dosing(10.5).above_label_limit
    assert hu.dosing(3, label_limit_hu=2).above_label_limit
    assert set(d.to_dict()) >= {"treated_hu", "g_per_month", "above_label_limit"}
    assert math.isnan(hu.dosing(float("nan")).g_per_day)


@settings(max_examples=50, deadline=None)
@given(st.floats(150, 200), st.floats(45, 110))
def test_bsa_properties(h, w):
    m, d = hu.bsa_mosteller(h, w), hu.bsa_dubois(h, w)
    assert 0.3 < m < 3.5 and 0.3 < d < 3.5
    assert abs(m - d) / m < 0.1  # the two formulas agree within 10 % for adults
    assert hu.bsa_mosteller(h + 1, w) > m and hu.bsa_dubois(h, w + 1) > d


def test_top_level_names():
    for name in ("bsa", "hand_unit_cm2", "relative_hu", "physical_hu", "cream_g", "dosing"):
        assert callable(getattr(vasi, name))


@pytest.mark.parametrize("kw,words", [(dict(bsa_m2=18000), r"\(cm²\?\)"), (dict(palm_cm2=1.5), r"dm² or mm²\?")])
def test_hand_unit_in_the_wrong_unit_is_refused(kw, words):
    # a BSA in cm² made the hand unit 10^4 too large, so F-VASI ~0, without a word
    with pytest.raises(InputError, match=words):
        hu.hand_unit_cm2(**kw)


def test_relative_hu_refuses_more_depigmented_than_assessed():
    with pytest.raises(InputError, match="exceeds the assessed area"):
        hu.relative_hu(2000, 1600)


def test_sizes_out_of_any_body_are_refused():
    # a BSA in m² for the hand unit gave 50 HU; 250 HU is more than a body; True was 1 HU;
    # a number of days as text raised "can't multiply sequence"
    with pytest.raises(InputError, match="hand_unit_cm2=1.8 is no hand unit in cm²"):
        hu.physical_hu(90.0, hand_unit_cm2=1.8)
    with pytest.raises(InputError, match="more than the whole body"):
        hu.dosing(250.0)
    with pytest.raises(InputError, match="treated_hu must be a number >= 0; got True"):
        hu.dosing(True)
    assert hu.cream_g(10, days="30") == hu.cream_g(10, days=30) == 150.0
    with pytest.raises(InputError, match="method must be one of"):
        hu.bsa(170, 70, method=["dubois"])  # ("unhashable type")
