"""Repigmentation patterns on constructed patches with known islands / border advance."""

from __future__ import annotations

import numpy as np
import pytest
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
    assert row["island_count"] == 0


def test_diffuse_needs_colour():
    lab = _patch()
    res = lab > 0  # whole patch still segmented as depigmented
    ref = np.array([45.0, 12.0, 16.0])
    lesion = np.array([75.0, 10.0, 9.0])
    base_lab = np.broadcast_to(ref, lab.shape + (3,)).copy()
    base_lab[lab > 0] = lesion
    follow_lab = base_lab.copy()
    follow_lab[lab > 0] = ref + 0.5 * (lesion - ref)  # half of the contrast lost, evenly
    row = patterns(lab, res, baseline_lab=base_lab, followup_lab=follow_lab,
                   baseline_ref_lab=ref, followup_ref_lab=ref).iloc[0]
    assert row["pattern"] == "diffuse"
    assert row["contrast_loss"] == pytest.approx(0.5, abs=0.01)
    assert patterns(lab, res).iloc[0]["pattern"] == "none"  # without colour: nothing seen


def test_mixed_and_none():
    lab = _patch()
    res = np.zeros_like(lab, bool)
    rr, cc = disk((60, 60), 45, shape=lab.shape)
    res[rr, cc] = True
    for c in [(45, 45), (45, 75), (75, 45), (75, 75), (60, 60), (60, 40), (60, 80), (40, 60)]:
        rr, cc = disk(c, 5, shape=lab.shape)
        res[rr, cc] = False
    assert patterns(lab, res).iloc[0]["pattern"] == "mixed"
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
