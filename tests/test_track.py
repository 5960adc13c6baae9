"""Tracking against baseline patches: exact areas on constructed masks."""

from __future__ import annotations

import numpy as np
import pytest

from vasi.errors import InputError
from vasi.track import label_patches, track


def _masks():
    base = np.zeros((60, 80), bool)
    base[5:25, 5:25] = True  # 400 px, patch 1 (largest)
    base[40:50, 60:70] = True  # 100 px, patch 2
    follow = base.copy()
    follow[5:25, 5:15] = False  # patch 1 half repigmented
    follow[40:50, 60:70] = False  # patch 2 fully repigmented
    follow[30:33, 30:33] = True  # a new 9 px macule
    return base, follow


def test_exact_numbers():
    base, follow = _masks()
    t = track(base, follow, mm_per_px=0.5)
    p = t.patches.set_index("patch_id")
    assert p.loc[1, "baseline_area_px"] == 400 and p.loc[2, "baseline_area_px"] == 100
    assert p.loc[1, "repigmentation_pct"] == 50.0 and p.loc[2, "repigmentation_pct"] == 100.0
    assert t.repigmentation_pct == pytest.approx(100 * (1 - 200 / 500))
    assert t.new_area_px == 9 and t.new_mask.sum() == 9
    assert t.residual_mask.sum() == 200 and t.repigmented_mask.sum() == 300
    assert p.loc[1, "residual_area_mm2"] == pytest.approx(200 * 0.25)
    assert t.to_dict()["new_depigmentation_cm2"] == pytest.approx(9 * 0.25 / 100)


def test_spreading_border_counts_as_new_unless_within_tolerance():
    base, _ = _masks()
    grown = base.copy()
    grown[4:26, 4:26] = True  # 1 px spread all around patch 1
    assert track(base, grown).new_area_px == 22 * 22 - 400
    assert track(base, grown, tolerance_px=1).new_area_px == 0


def test_uncovered_pixels_left_out():
    base, follow = _masks()
    valid = np.ones_like(base)
    valid[:, :10] = False  # left half of patch 1's repigmented part not photographed
    t = track(base, follow, valid=valid)
    p = t.patches.set_index("patch_id")
    assert p.loc[1, "baseline_area_px"] == 300
    assert p.loc[1, "repigmentation_pct"] == pytest.approx(100 * (1 - 200 / 300))
    assert p.loc[1, "covered_fraction"] == pytest.approx(0.75)


def test_labels_are_stable_and_sized():
    base, _ = _masks()
    lab = label_patches(base)
    assert lab.max() == 2 and (lab == 1).sum() == 400
    assert label_patches(base, min_area_px=101).max() == 1
    assert label_patches(np.zeros((5, 5), bool)).max() == 0


def test_no_patches_gives_nan():
    z = np.zeros((10, 10), bool)
    t = track(z, z)
    assert np.isnan(t.repigmentation_pct) and len(t.patches) == 0


def test_bad_inputs():
    base, follow = _masks()
    with pytest.raises(InputError, match="shape"):
        track(base, follow[:10])
    with pytest.raises(InputError, match="labels"):
        track(base, follow, labels=base.astype(float))


def test_envelope_model_matches_envelope_masks_per_followup():
    """The baseline half computed once gives what envelope_masks computes per call."""
    from vasi.track import EnvelopeModel, envelope_masks

    rng = np.random.default_rng(4)
    base = np.clip(rng.normal((150, 100, 70), 6, (80, 90, 3)), 0, 255).astype(np.uint8)
    base[20:45, 20:45] = (235, 215, 200)
    base[55:70, 60:80] = (230, 205, 190)
    lab = label_patches(np.all(base > (200, 180, 170), axis=-1))
    model = EnvelopeModel(base, lab, margin_px=2)
    for k in range(3):
        follow = (base * (0.8 + 0.1 * k)).astype(np.uint8)
        follow[20:45, 20:20 + 8 * k] = (150, 100, 70)
        valid = np.ones(base.shape[:2], bool)
        valid[:, 85 - 10 * k:] = False
        env, bmask, fmask, deg_b, deg_f, contrast = envelope_masks(
            base, follow, lab, valid=valid, margin_px=2, return_degree=True)
        m_f, m_deg = model.apply(follow, valid=valid)
        m_b, m_degb, m_c = model.baseline(valid=valid)
        np.testing.assert_array_equal(env, model.env)
        np.testing.assert_array_equal(fmask, m_f)
        np.testing.assert_array_equal(bmask, m_b)
        np.testing.assert_array_equal(deg_f, m_deg)
        np.testing.assert_array_equal(deg_b, m_degb)
        assert contrast == m_c
        assert 0 < fmask.sum() < bmask.sum() or k == 0


def test_expand_labels_on_the_bounding_box_is_skimages():
    from skimage.segmentation import expand_labels

    from vasi.track import _expand_labels

    rng = np.random.default_rng(500_401)
    for trial in range(60):
        h, w = rng.integers(20, 90, 2)
        lab = np.zeros((h, w), np.int32)
        for k in range(int(rng.integers(0, 6))):
            y, x = rng.integers(0, h), rng.integers(0, w)
            lab[y:y + int(rng.integers(1, 10)), x:x + int(rng.integers(1, 10))] = k + 1
        if trial % 2:
            lab[:, : w // 3] = 0  # labels away from the image border
        d = int(rng.integers(1, 8))
        assert np.array_equal(_expand_labels(lab, d), expand_labels(lab, d))
