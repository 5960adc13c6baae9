"""SPEC.md §1: the ladder, F-VASI and T-VASI, hand-unit methods, provenance, algebra."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vasi
from vasi.errors import InputError
from vasi.scores import LADDER, LADDER_DESCRIPTIONS, f_vasi, snap_to_ladder, t_vasi


def test_ladder_values_and_descriptions():
    assert LADDER == (0, 0.1, 0.25, 0.5, 0.75, 0.9, 1)
    assert set(LADDER_DESCRIPTIONS) == set(LADDER)
    assert LADDER_DESCRIPTIONS[1.0] == "no pigment present"
    assert LADDER_DESCRIPTIONS[0.5] == "depigmented and pigmented areas equal"


@pytest.mark.parametrize("v", LADDER)
def test_ladder_values_snap_to_themselves(v):
    assert snap_to_ladder(v) == v


@pytest.mark.parametrize(
    ("f", "want"),
    [(0.04, 0.0), (0.05, 0.1), (0.06, 0.1), (0.17, 0.1), (0.175, 0.25), (0.3, 0.25),
     (0.375, 0.5), (0.6, 0.5), (0.625, 0.75), (0.8, 0.75), (0.825, 0.9), (0.94, 0.9),
     (0.95, 1.0), (0.1 + 0.075, 0.25)],
)
def test_snap_nearest_with_ties_up(f, want):
    assert snap_to_ladder(f) == want


def test_snap_arrays_nan_and_errors():
    out = snap_to_ladder(np.array([[0.2, np.nan]]))
    assert out.shape == (1, 2) and out[0, 0] == 0.25 and np.isnan(out[0, 1])
    with pytest.raises(InputError, match="fraction"):
        snap_to_ladder(30)
    with pytest.raises(InputError, match="ladder"):
        snap_to_ladder(0.2, ladder=(0.5, 0.1))
    assert snap_to_ladder(0.3, ladder=(0, 0.5, 1)) == 0.5


def test_full_face_is_three():
    assert f_vasi(depigmented_fraction=1.0).continuous == 3.0
    assert f_vasi(depigmented_fraction=1.0).clinical == 3.0
    assert f_vasi(depigmented_px=500, assessed_px=500).continuous == 3.0
    assert f_vasi(depigmented_fraction=0.0).continuous == 0.0


def test_relative_method_and_pipeline_contract():
    s = f_vasi(depigmented_px=100, assessed_px=1600, assessed_hu=3)
    assert s.continuous == pytest.approx(0.1875)
    assert s.clinical == pytest.approx(3 * 0.1)
    assert s.hu_method == "relative" and s.provenance["hu_method"] == "relative"
    assert s.provenance["vasi_version"] == vasi.__version__
    assert s.region_set == "face" and s.score == "F-VASI"


def test_empty_assessed_area_is_nan_with_reason():
    s = f_vasi(depigmented_px=0, assessed_px=0)
    assert math.isnan(s.continuous) and math.isnan(s.clinical)
    assert "assessed_px" in s.reason
    assert not s


def test_physical_method():
    unit = vasi.hand_unit_cm2(height_cm=170, weight_kg=70)
    s = f_vasi(area_cm2=unit, hand_unit_cm2=unit)
    assert s.continuous == pytest.approx(1.0)
    assert s.hu_method == "physical"
    assert s.provenance["hand_unit_cm2"] == pytest.approx(unit)
    with pytest.raises(InputError, match="hand_unit_cm2"):
        f_vasi(area_cm2=10.0)


def test_physical_total_capped_and_flagged():
    s = f_vasi(area_cm2=800.0, hand_unit_cm2=180.0)  # 4.4 HU > face
    assert s.continuous == 3.0 and s.clinical == 3.0
    assert "depigmented_exceeds_extent" in s.flags
    s = f_vasi(pd.DataFrame({"area_hu": [2.0, 2.0], "residual_fraction": [1.0, 0.5]}))
    assert s.continuous == pytest.approx(3.0 * 3.0 / 4.0) and s.extent_hu == 3.0
    assert "capped_total" in s.flags and s.clinical <= 3.0


def test_exactly_one_form():
    with pytest.raises(InputError, match="exactly one"):
        f_vasi()
    with pytest.raises(InputError, match="exactly one"):
        f_vasi(depigmented_fraction=0.1, area_hu=0.3)
    with pytest.raises(InputError, match="assessed_px"):
        f_vasi(depigmented_px=10)
    with pytest.raises(InputError, match="depigmented_fraction"):
        f_vasi(depigmented_fraction=20)
    with pytest.raises(InputError, match="exceeds assessed_px"):
        f_vasi(depigmented_px=20, assessed_px=10)
    # per-photo values of different lengths, and masks for pixel counts, are named (numpy's
    # broadcast error, pandas' "must each be 1-dimensional")
    with pytest.raises(InputError, match="got 3 depigmented_px, 2 assessed_px"):
        f_vasi(depigmented_px=[1, 2, 3], assessed_px=[10, 20])
    with pytest.raises(InputError, match="got 3 depigmented_fraction, 2 assessed_hu"):
        f_vasi(depigmented_fraction=[0.1, 0.2, 0.3], assessed_hu=[1.5, 1.5])
    mask = np.zeros((4, 4), bool)
    with pytest.raises(InputError, match=r"array of shape \(4, 4\): pass mask.sum\(\)"):
        f_vasi(depigmented_px=mask, assessed_px=~mask)
    with pytest.raises(InputError, match="got 3 score, 2 baseline"):
        vasi.timeline.percent_change([1.0, 2.0, 3.0], [1.0, 2.0])


def test_several_photos_summed():
    s = f_vasi(depigmented_fraction=[0.5, 0.2], assessed_hu=[1.5, 1.5])
    assert s.continuous == pytest.approx(0.75 + 0.3)
    assert s.clinical == pytest.approx(1.5 * 0.5 + 1.5 * 0.25)
    assert len(s.components) == 2


def test_per_patch_clinical_scoring():
    # extent = baseline envelope; level = residual snapped to the ladder
    tab = pd.DataFrame({"patch_id": [1, 2, 3], "area_hu": [0.5, 0.3, 0.2],
                        "residual_fraction": [1.0, 0.55, 0.05]})
    s = f_vasi(tab, baseline=0)
    assert s.continuous == pytest.approx(0.5 + 0.165 + 0.01)
    assert s.clinical == pytest.approx(0.5 * 1.0 + 0.3 * 0.5 + 0.2 * 0.1)
    assert s.components["level"].tolist() == [1.0, 0.5, 0.1]
    assert s.provenance["baseline"] == 0
    assert s.extent_hu == pytest.approx(1.0)


def test_patch_table_errors_and_assumed_residual():
    with pytest.raises(InputError, match="area_hu"):
        f_vasi(pd.DataFrame({"x": [1]}))
    with pytest.raises(InputError, match="residual_col"):
        f_vasi(pd.DataFrame({"area_hu": [1.0]}), residual_col="resid")
    s = f_vasi(pd.DataFrame({"area_hu": [0.4, 0.1]}))
    assert s.continuous == pytest.approx(0.5) and "assumed" in s.provenance["residual"]
    s = f_vasi(pd.DataFrame({"area_cm2": [90.0]}), hand_unit_cm2=180.0)
    assert s.continuous == 0.5 and s.hu_method == "physical"


def test_extent_hu_scores_residual_within_envelope():
    s = f_vasi(area_hu=0.3, extent_hu=0.5)  # residual 0.6 of the envelope -> 0.5 level
    assert s.continuous == pytest.approx(0.3)
    assert s.clinical == pytest.approx(0.25)


def test_t_vasi_region_sets():
    regs = {"hands": 1.0, "upper_extremities": 2.0, "trunk": 1.5, "lower_extremities": 1.5,
            "feet": 0.5}
    s = t_vasi(regs)
    assert s.continuous == 6.5 and s.region_set == "hamzavi2004" and not s.flags
    assert s.provenance["region_set"] == "hamzavi2004"
    assert list(s.to_frame()["region"]) == list(vasi.hand_units.REGION_SETS["hamzavi2004"])
    with pytest.raises(InputError, match="six_region"):
        t_vasi({**regs, "head_neck": 1.0})
    s6 = t_vasi({**regs, "head_neck": 1.0}, region_set="six_region")
    assert s6.continuous == 7.5 and s6.region_set == "six_region"
    with pytest.raises(InputError, match="region_set"):
        t_vasi(regs, region_set="seven")


def test_t_vasi_dataframe_several_rows_per_region():
    df = pd.DataFrame({"region": ["trunk", "trunk", "hands"], "area_hu": [2.0, 1.0, 0.5],
                       "residual_fraction": [0.5, 1.0, 0.3]})
    s = t_vasi(df)
    assert s.continuous == pytest.approx(1.0 + 1.0 + 0.15)
    assert s.clinical == pytest.approx(1.0 + 1.0 + 0.125)
    trunk = s.by_region.set_index("region").loc["trunk"]
    assert trunk["extent_hu"] == 3.0


def test_t_vasi_from_photo_scores():
    # two photos of the trunk (4 HU each in frame) and one of the hands, scored per photo
    trunk = [f_vasi(depigmented_fraction=0.25, assessed_hu=4.0, face_hu=math.inf),
             f_vasi(depigmented_fraction=0.5, assessed_hu=4.0, face_hu=math.inf)]
    hands = f_vasi(depigmented_fraction=0.1, assessed_hu=2.0, face_hu=math.inf)
    s = t_vasi({"trunk": trunk, "hands": hands})
    assert s.continuous == pytest.approx(1.0 + 2.0 + 0.2)
    assert s.clinical == pytest.approx(4 * 0.25 + 4 * 0.5 + 2 * 0.1)
    assert s.hu_method == "relative"


def test_t_vasi_caps_and_flags():
    s = t_vasi({"hands": 8.0})
    assert s.continuous == 5.0
    assert "hands_exceeds_cap" in s.flags
    full = {r: c for r, c in vasi.hand_units.REGION_CAPS_PCT.items()}
    s = t_vasi(full, region_set="six_region")
    assert s.continuous == pytest.approx(100.0) and not s.flags
    s = t_vasi(full, region_set="six_region", caps_pct={r: 100 for r in full})
    assert s.continuous == pytest.approx(100.0)
    # a cap given for one region keeps the others' (it dropped them: 61 instead of 32)
    assert t_vasi({"hands": 1.0, "trunk": 60.0}, caps_pct={"hands": 5}).continuous == 32.0
    with pytest.raises(InputError, match=r"caps_pct\['hands'\] must be a finite positive"):
        t_vasi({"hands": 1.0}, caps_pct={"hands": -1})
    s = t_vasi({"trunk": 30.0, "lower_extremities": 30.0, "upper_extremities": 13,
                "hands": 5, "feet": 7, "head_neck": 9}, region_set="six_region", total_cap=50)
    assert s.continuous == 50.0 and "capped_total" in s.flags


def test_to_dict_and_frame():
    s = f_vasi(depigmented_fraction=0.2)
    d = s.to_dict()
    assert d["continuous"] == pytest.approx(0.6) and d["clinical"] == 0.75
    assert d["prov_vasi_version"] == vasi.__version__
    assert isinstance(s.to_frame(), pd.DataFrame)
    assert float(s) == pytest.approx(0.6)


def test_inputs_not_modified():
    tab = pd.DataFrame({"area_hu": [0.5, 2.0], "residual_fraction": [1.5 - 0.5, 0.5]})
    before = tab.copy()
    f_vasi(tab)
    pd.testing.assert_frame_equal(tab, before)


# ----------------------------------------------------------------------------- properties

fracs = st.floats(0, 1, allow_nan=False)
hus = st.floats(0, 1, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(hus, fracs), min_size=1, max_size=8))
def test_f_vasi_bounds(rows):
    tab = pd.DataFrame(rows, columns=["area_hu", "residual_fraction"])
    s = f_vasi(tab)
    assert 0 <= s.continuous <= 3 + 1e-9
    assert 0 <= s.clinical <= 3 + 1e-9
    if tab["area_hu"].sum() <= 3:
        assert s.continuous <= tab["area_hu"].sum() + 1e-9
        assert abs(s.clinical - s.continuous) <= 0.125 * tab["area_hu"].sum() + 1e-9


@settings(max_examples=40, deadline=None)
@given(fracs, fracs)
def test_monotone_in_fraction(a, b):
    lo, hi = sorted((a, b))
    assert f_vasi(depigmented_fraction=lo).continuous <= f_vasi(depigmented_fraction=hi).continuous
    assert f_vasi(depigmented_fraction=lo).clinical <= f_vasi(depigmented_fraction=hi).clinical
    assert snap_to_ladder(lo) <= snap_to_ladder(hi)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(["hands", "upper_extremities", "trunk",
                                        "lower_extremities", "feet"]),
                       st.lists(st.tuples(st.floats(0, 1), fracs), min_size=1, max_size=3),
                       min_size=1))
def test_t_vasi_additive_over_regions(d):
    df = pd.DataFrame([(r, a, f) for r, v in d.items() for a, f in v],
                      columns=["region", "area_hu", "residual_fraction"])
    total = t_vasi(df)
    parts = [t_vasi(df[df["region"] == r]) for r in d]
    assert total.continuous == pytest.approx(sum(p.continuous for p in parts), abs=1e-9)
    assert total.clinical == pytest.approx(sum(p.clinical for p in parts), abs=1e-9)
    assert 0 <= total.continuous <= 100
    # summing over regions == summing over (region, patch) pairs
    assert total.continuous == pytest.approx(float((df.area_hu * df.residual_fraction).sum()))


def test_top_level_names():
    assert vasi.f_vasi is f_vasi and vasi.t_vasi is t_vasi
    assert vasi.snap_to_ladder is snap_to_ladder


def test_t_vasi_of_no_region_is_undefined_not_zero():
    s = vasi.t_vasi({})
    assert math.isnan(s.continuous) and s.reason == "no region given"
    assert vasi.t_vasi({"trunk": 2.0}).continuous == 2.0


def test_one_number_passed_as_the_patch_table_names_the_keyword():
    with pytest.raises(InputError, match=r"got float\. For one number.*depigmented_fraction="):
        f_vasi(0.2)
