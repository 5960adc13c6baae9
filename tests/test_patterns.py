"""Repigmentation patterns on constructed patches with known islands / border advance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage as ndi
from skimage.draw import disk

from vasi.errors import InputError
from vasi.patterns import patterns


def _patch(shape=(120, 120), r=50):
    lab = np.zeros(shape, np.int32)
    rr, cc = disk((60, 60), r, shape=shape)
    lab[rr, cc] = 1
    return lab


def test_perifollicular_islands_counted():
    lab = _patch()
    res = lab > 0
    rng = np.random.default_rng(0)
    centres = []
    while len(centres) < 20:
        c = rng.uniform(25, 95, 2)
        if np.hypot(*(c - 60)) < 38 and all(np.hypot(*(c - d)) > 9 for d in centres):
            centres.append(c)
    for c in centres:
        rr, cc = disk(tuple(c), 3.0, shape=lab.shape)
        res[rr, cc] = False
    row = patterns(lab, res, mm_per_px=0.2).iloc[0]
    assert row["pattern"] == "perifollicular"
    assert row["island_count"] == 20
    assert row["marginal_area_px"] == 0
    area_cm2 = (lab > 0).sum() * 0.04 / 100
    assert row["island_density_per_cm2"] == pytest.approx(20 / area_cm2)


def test_marginal_advance_in_mm():
    lab = _patch()
    res = np.zeros_like(lab, bool)
    rr, cc = disk((60, 60), 40, shape=lab.shape)
    res[rr, cc] = True  # border moved inward by 10 px
    row = patterns(lab, res, mm_per_px=0.25).iloc[0]
    assert row["pattern"] == "marginal"
    assert row["border_advance_mm"] == pytest.approx(2.5, abs=0.3)
    assert row["island_count"] == 1  # the repigmented border band
    assert row["depth_auc"] > 0.95


def test_diffuse_needs_degree_maps():
    lab = _patch()
    res = lab > 0  # whole patch still classified as depigmented ...
    deg_b = np.where(lab > 0, 1.0, 0.0)
    deg_f = np.where(lab > 0, 0.5, 0.0)  # ... but half of the contrast is gone, evenly
    row = patterns(lab, res, baseline_degree=deg_b, followup_degree=deg_f).iloc[0]
    assert row["pattern"] == "diffuse"
    assert row["residual_darkening"] == pytest.approx(0.5)
    assert patterns(lab, res).iloc[0]["pattern"] == "none"  # without degrees: nothing seen


def test_mixed_and_none():
    lab = _patch()
    res = np.zeros_like(lab, bool)
    rr, cc = disk((60, 60), 40, shape=lab.shape)  # border moved in by 10 px ...
    res[rr, cc] = True
    for dy in (-12, 0, 12):  # ... and 9 islands inside
        for dx in (-12, 0, 12):
            rr, cc = disk((60 + dy, 60 + dx), 4, shape=lab.shape)
            res[rr, cc] = False
    row = patterns(lab, res).iloc[0]
    assert row["pattern"] == "mixed" and row["island_count"] == 10
    assert patterns(lab, lab > 0).iloc[0]["pattern"] == "none"


def test_border_wobble_is_not_marginal():
    lab = _patch()
    res = np.zeros_like(lab, bool)
    rr, cc = disk((60, 60), 49, shape=lab.shape)  # 1 px ring lost: registration wobble
    res[rr, cc] = True
    row = patterns(lab, res).iloc[0]
    assert row["pattern"] == "none" and row["marginal_area_px"] == 0


def test_bad_labels():
    with pytest.raises(InputError, match="labels"):
        patterns(np.zeros((4, 4)), np.zeros((4, 4), bool))


def test_broad_repigmentation_is_diffuse():
    lab = _patch()
    res = lab > 0
    rr, cc = disk((60, 60), 25, shape=lab.shape)  # one broad repigmented area, no border order
    res[rr, cc] = False
    row = patterns(lab, res).iloc[0]
    assert row["pattern"] == "diffuse"
    assert row["border_excess"] < 0.5 and row["interior_island_count"] == 1
    assert row["repigmented_radius_px"] > 10 and row["residual_radius_px"] > 10


def test_merged_islands_leave_a_thin_network():
    lab = _patch()
    res = np.zeros_like(lab, bool)
    res[::12, :] = True  # residual: 1 px lines left between merged follicular islands
    res[:, ::12] = True
    res &= lab > 0
    row = patterns(lab, res).iloc[0]
    assert row["pattern"] == "perifollicular"
    assert row["residual_radius_px"] <= 2.0


def test_marginal_border_excess():
    lab = _patch()
    res = np.zeros_like(lab, bool)
    rr, cc = disk((60, 60), 35, shape=lab.shape)
    res[rr, cc] = True
    row = patterns(lab, res).iloc[0]
    assert row["pattern"] == "marginal"
    assert row["border_excess"] == pytest.approx(1.0, abs=0.05)


def _noisy_lesion(seed, sigma=0.05, shape=(120, 120)):
    """Baseline and follow-up degree maps of an unchanged lesion (t = 1) with seeded noise."""
    rng = np.random.default_rng(seed)
    return 1.0 + rng.normal(0, sigma, shape), 1.0 + rng.normal(0, sigma, shape)


def _dip(shape, centre, sigma, depth):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return depth * np.exp(-((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2) / (2 * sigma**2))


def test_dots_merged_by_blur_count_once_per_dot():
    lab = _patch()
    tb, tf = _noisy_lesion(1)
    for c in ((60, 57), (60, 63)):  # two dots 6 px apart, blurred into one mask component
        tf = tf - _dip(lab.shape, c, 2.0, 1.0)
    res = (tf > 0.5) & (lab > 0)
    assert ndi.label(~res & (lab > 0))[1] == 1
    row = patterns(lab, res, baseline_degree=tb, followup_degree=tf).iloc[0]
    assert row["island_count"] == 2
    assert patterns(lab, res).iloc[0]["island_count"] == 1  # the mask alone sees one


def test_faint_dot_counted_noise_is_not():
    lab = _patch()
    tb, tf = _noisy_lesion(2)
    res = lab > 0
    row = patterns(lab, res, baseline_degree=tb, followup_degree=tf).iloc[0]
    assert row["island_count"] == 0 and np.isfinite(row["island_depth_k"])
    tf2 = tf - _dip(lab.shape, (50, 70), 2.0, 0.45)  # darkens to ~0.55: below the mask level
    row = patterns(lab, res, baseline_degree=tb, followup_degree=tf2).iloc[0]
    assert row["island_count"] == 1


def test_fine_scale_ratio_dots_vs_broad_darkening():
    lab = _patch()
    tb, tf = _noisy_lesion(3)
    rng = np.random.default_rng(4)
    dots = tf.copy()
    centres = []
    while len(centres) < 25:
        c = rng.uniform(20, 100, 2)
        if np.hypot(*(c - 60)) < 40 and all(np.hypot(*(c - d)) > 10 for d in centres):
            centres.append(c)
            dots -= _dip(lab.shape, c, 2.5, 1.5)
    broad = tf - _dip(lab.shape, (60, 60), 14.0, 0.9)
    rows = {}
    for name, t in (("dots", dots), ("broad", broad)):
        res = (t > 0.5) & (lab > 0)
        rows[name] = patterns(lab, res, baseline_degree=tb, followup_degree=t).iloc[0]
    assert rows["dots"]["pattern"] == "perifollicular"
    assert rows["broad"]["pattern"] == "diffuse"
    assert rows["dots"]["fine_scale_ratio"] > 0.65 > rows["broad"]["fine_scale_ratio"]
    assert rows["dots"]["island_count"] == pytest.approx(25, abs=2)


def test_advance_along_part_of_the_border_is_marginal():
    lab = _patch()
    depth = ndi.distance_transform_edt(lab > 0)
    yy = np.mgrid[:120, :120][0]
    res = (lab > 0) & ~((depth <= 8) & (yy < 60))  # border moved in by 8 px on the top half only
    row = patterns(lab, res).iloc[0]
    assert 0.3 <= row["border_excess"] < 0.5  # not enough for the band criterion alone ...
    assert row["depth_auc"] >= 0.75  # ... but repigmentation is strictly ordered by depth
    assert row["pattern"] == "marginal"
    assert patterns(lab, res, marginal_auc=1.01).iloc[0]["pattern"] != "marginal"


def test_partial_border_order_with_interior_islands_is_not_marginal():
    lab = _patch()
    depth = ndi.distance_transform_edt(lab > 0)
    yy = np.mgrid[:120, :120][0]
    res = (lab > 0) & ~((depth <= 8) & (yy < 60))
    for a in np.linspace(0, 2 * np.pi, 16, endpoint=False):  # 16 interior islands on a ring:
        rr, cc = disk((60 + 36 * np.sin(a), 60 + 36 * np.cos(a)), 3, shape=lab.shape)
        res[rr, cc] = False  # the weak border evidence does not hold
    row = patterns(lab, res).iloc[0]
    assert row["interior_island_count"] == 16 and row["border_excess"] < 0.5
    assert row["depth_auc"] >= 0.75
    assert row["pattern"] != "marginal"
    # the same patch without an island population (density threshold out of reach): marginal
    assert patterns(lab, res, island_density=1e9).iloc[0]["pattern"] == "marginal"


def test_depth_auc_matches_rank_sum_formula_with_ties():
    from scipy.stats import rankdata

    from vasi.patterns import _depth_auc

    rng = np.random.default_rng(500_101)
    for _ in range(20):
        depth = rng.integers(0, 5, (25, 25)).astype(float) * 0.5  # many ties
        res = rng.random((25, 25)) < 0.5
        rep = ~res & (rng.random((25, 25)) < 0.6)
        dr, dg = depth[res], depth[rep]
        ranks = rankdata(np.concatenate([dr, dg]))  # the former formula (average ranks)
        old = (ranks[: dr.size].sum() - dr.size * (dr.size + 1) / 2) / (dr.size * dg.size)
        assert _depth_auc(depth, res, rep) == pytest.approx(old, rel=1e-12, abs=1e-12)
    lab = _patch()
    assert np.isnan(_depth_auc(np.ones(lab.shape), lab > 0, np.zeros(lab.shape, bool)))


def test_cache_shared_by_visits_gives_the_same_rows():
    lab = _patch()
    lab[100:115, 5:20] = 2
    rng = np.random.default_rng(500_102)
    deg_b = np.where(lab > 0, 1.0 + 0.05 * rng.standard_normal(lab.shape), np.nan)
    cache = {}
    for visit in range(3):
        res = lab > 0
        rr, cc = disk((60, 60), 50 - 8 * visit, shape=lab.shape)
        ring = np.zeros_like(res)
        ring[rr, cc] = True
        res &= ring | (lab == 2)
        deg_f = np.where(res, deg_b, 0.1 + 0.05 * rng.standard_normal(lab.shape))
        deg_f[lab == 0] = np.nan
        kw = dict(baseline_degree=deg_b, followup_degree=deg_f, mm_per_px=0.2)
        plain = patterns(lab, res, **kw)
        shared = patterns(lab, res, cache=cache, **kw)
        pd.testing.assert_frame_equal(plain, shared)
    assert {k[0] for k in cache} >= {"depth", "calib", "dens", "band"}  # baseline work stored


def test_any_per_label_matches_the_labelled_maximum():
    from scipy import ndimage as ndi

    from vasi.patterns import _any_per_label

    rng = np.random.default_rng(500_103)
    for _ in range(10):
        lab, n = ndi.label(rng.random((40, 50)) < 0.45)
        flag = rng.random(lab.shape) < 0.05
        at = lab > 0
        ref = ndi.maximum(flag, lab, np.arange(1, n + 1)).astype(bool)
        np.testing.assert_array_equal(_any_per_label(flag[at], lab[at], n), ref)


def test_scales_and_depths_that_are_not_sizes_are_refused():
    # two scales gave an IndexError, one depth a TypeError
    lab = np.zeros((40, 40), np.int32)
    lab[10:30, 10:30] = 1
    res = lab > 0
    for kw in ({"scales_px": (2, 6)}, {"scales_px": (6, 2, 18)}, {"scales_mm": (0.7, 2, "6"),
                                                                  "mm_per_px": 0.2}):
        with pytest.raises(InputError, match="must be three increasing sizes"):
            patterns(lab, res, **kw)
    for h in (3.0, (2.5, -1), (2.5, "3")):
        if np.ndim(h) == 0:
            assert len(patterns(lab, res, island_h=h)) == 1  # one depth is a sequence of one
            continue
        with pytest.raises(InputError, match="island_h must be a sequence of positive depths"):
            patterns(lab, res, island_h=h)
