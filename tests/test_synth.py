"""Tests of the synthetic photo generator :mod:`vasi.synth` (ground truth must be exact)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.color import rgb2lab

from vasi import synth
from vasi.errors import InputError

SMALL = (240, 320)
LADDER = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def _snap(f):
    d = [abs(f - v) for v in LADDER]
    return max(v for v, x in zip(LADDER, d, strict=False) if abs(x - min(d)) < 1e-12)


def _median_lab(image, mask):
    return np.median(rgb2lab(image)[mask], axis=0)


def test_same_seed_same_bytes():
    a = synth.make_photo(rng=123, shape=SMALL, marker=True, chart=True)
    b = synth.make_photo(rng=np.random.default_rng(123), shape=SMALL, marker=True, chart=True)
    c = synth.make_photo(rng=124, shape=SMALL, marker=True, chart=True)
    assert a.jpeg_bytes == b.jpeg_bytes
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.truth.depig_mask, b.truth.depig_mask)
    assert a.jpeg_bytes != c.jpeg_bytes


@pytest.mark.parametrize("site", ["face", "forearm", "trunk"])
@pytest.mark.parametrize("modality", ["visible", "woods"])
def test_truth_is_consistent(site, modality):
    ph = synth.make_photo(rng=7, site=site, modality=modality, shape=SMALL)
    t = ph.truth
    assert ph.image.shape == SMALL + (3,) and ph.image.dtype == np.uint8
    assert t.depig_mask.dtype == bool and t.depig_mask.shape == SMALL
    assert t.depig_area_px == int(t.depig_mask.sum()) > 0
    assert t.assessed_area_px == int(t.roi_mask.sum()) > 0
    assert not (t.depig_mask & ~t.roi_mask).any()
    assert t.depig_area_cm2 == pytest.approx(t.depig_area_px * t.mm_per_px**2 / 100.0)
    frac = t.depig_area_px / t.assessed_area_px
    assert t.depig_fraction == pytest.approx(frac)
    if site == "face":
        assert t.f_vasi == pytest.approx(3.0 * frac)
        assert t.area_hu == pytest.approx(3.0 * frac)
        assert t.f_vasi_clinical == pytest.approx(3.0 * _snap(frac))
    else:
        assert t.f_vasi is None and t.f_vasi_clinical is None
        assert t.area_hu == pytest.approx(t.depig_area_cm2 / synth.HAND_UNIT_CM2)
    assert t.reference_mask.sum() > 20
    assert not (t.reference_mask & t.depig_mask_all).any()
    # the patch table and the baseline-coordinate masks agree exactly
    res = int(t.patches["residual_area_px"].sum()) + int(t.new_depig_mask_baseline.sum())
    assert res == int(t.depig_mask_baseline.sum())
    assert set(t.patches["pattern"]) <= {"perifollicular", "marginal", "diffuse"}


@pytest.mark.parametrize("skin_type", ["I", "II", "III", "IV", "V", "VI"])
@pytest.mark.parametrize("site", ["face", "forearm"])
def test_normal_skin_in_ita_band(skin_type, site):
    ph = synth.make_photo(rng=11, skin_type=skin_type, site=site, shape=SMALL)
    lab = _median_lab(ph.image, ph.truth.reference_mask)
    lo, hi = synth.ITA_BANDS[skin_type]
    ita = float(synth.ita_deg(lab))
    assert lo < ita <= hi, (skin_type, ita, lab)
    assert lo < ph.truth.ita_deg <= hi


def test_ita_override():
    ph = synth.make_photo(rng=3, ita=-20.0, shape=SMALL)
    assert ph.truth.skin_type == "V" and ph.truth.ita_deg == -20.0


@pytest.mark.parametrize(("skin_type", "min_dl"), [("I", 1.0), ("III", 4.0), ("VI", 15.0)])
def test_depigmented_skin_is_lighter_and_less_yellow(skin_type, min_dl):
    ph = synth.make_photo(rng=5, skin_type=skin_type, shape=SMALL, extent=1.5, camera=False)
    t = ph.truth
    k = np.ones((5, 5), np.uint8)
    core = cv2.erode(t.depig_mask.astype(np.uint8), k) > 0
    normal = t.roi_mask & ~(cv2.dilate(t.depig_mask_all.astype(np.uint8), k, iterations=3) > 0)
    dep, nor = _median_lab(ph.image, core), _median_lab(ph.image, normal)
    assert dep[0] > nor[0] + min_dl and dep[2] < nor[2]
    assert dep[0] > 60


def test_contrast_grows_with_skin_type():
    dl = {}
    for st in ("I", "VI"):
        lab = synth.normal_skin_lab(synth.FITZPATRICK_ITA[st])
        dl[st] = synth.depigmented_lab(lab)[0] - lab[0]
    assert dl["I"] < 6 < 20 < dl["VI"]


@pytest.mark.parametrize("skin_type", ["I", "IV", "VI"])
def test_woods_patches_brighter_than_skin(skin_type):
    ph = synth.make_photo(rng=9, skin_type=skin_type, modality="woods", shape=SMALL)
    t = ph.truth
    grey = ph.image.astype(float).mean(axis=2)
    core = cv2.erode(t.depig_mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert np.median(grey[core]) > 1.8 * np.median(grey[t.reference_mask])
    # violet-blue: blue dominates in normal skin
    med = np.median(ph.image[t.reference_mask], axis=0)
    assert med[2] > med[0] and med[2] > med[1]


def test_same_scene_same_truth_in_both_modalities():
    v = synth.make_photo(rng=21, shape=SMALL, modality="visible", camera=False)
    w = synth.make_photo(rng=21, shape=SMALL, modality="woods", camera=False)
    assert np.array_equal(v.truth.depig_mask, w.truth.depig_mask)


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_series_transform_maps_baseline_masks():
    s = synth.make_series(rng=4, weeks=(0, 24, 52), shape=SMALL, response=0.6)
    assert np.allclose(s.baseline.truth.transform, np.eye(3))
    assert np.array_equal(s.baseline.truth.depig_mask_baseline, s.baseline.truth.depig_mask)
    H, W = SMALL
    for v in s.visits[1:]:
        T = v.truth.transform
        assert not np.allclose(T, np.eye(3))
        valid = cv2.warpPerspective(np.ones(SMALL, np.float32), T, (W, H)) > 0.99
        warped = cv2.warpPerspective(v.truth.depig_mask_baseline.astype(np.float32), T, (W, H)) >= 0.5
        assert _iou(warped & valid, v.truth.depig_mask & valid) > 0.85
        roi_w = cv2.warpPerspective(s.baseline.truth.roi_mask.astype(np.float32), T, (W, H)) >= 0.5
        assert _iou(roi_w & valid, v.truth.roi_mask & valid) > 0.95


def test_series_time_course_and_patterns():
    s = synth.make_series(rng=8, weeks=(0, 4, 24, 52), response=1.0, pattern="perifollicular", shape=SMALL, camera=False)
    rep = [v.truth.repigmentation_pct for v in s.visits]
    assert rep[0] == 0.0 and rep[1] == 0.0  # nothing before the onset (weeks 4-8)
    assert rep[1] < rep[2] < rep[3] and rep[3] > 75.0
    assert set(s.visits[-1].truth.patches["pattern"]) == {"perifollicular"}
    assert s.visits[2].truth.patches["island_count"].max() >= 2
    f = s.to_frame()["f_vasi"].to_numpy()
    assert f[-1] <= 0.25 * f[0] + 1e-9  # F-VASI75 reached
    none = synth.make_series(rng=8, weeks=(0, 52), response=0.0, shape=SMALL, camera=False)
    assert none.visits[1].truth.repigmentation_pct == 0.0


def test_relapse_and_new_patches():
    s = synth.make_series(rng=12, weeks=(0, 36, 52), response=0.9, relapse=True, new_patches=True, shape=SMALL, camera=False)
    r36, r52 = (v.truth.repigmentation_pct for v in s.visits[1:])
    assert r52 < r36
    assert s.visits[-1].truth.new_depig_mask_baseline.sum() > 0
    assert s.baseline.truth.new_depig_mask_baseline.sum() == 0


def test_mixed_pattern_recorded_per_patch():
    s = synth.make_series(rng=2, weeks=(0, 52), pattern="marginal", shape=SMALL, camera=False)
    assert set(s.baseline.truth.patches["pattern"]) == {"marginal"}


def test_marker_is_detectable_where_truth_says():
    ph = synth.make_photo(rng=31, shape=(900, 1200), marker=True, chart=True)
    det = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50))
    corners, ids, _ = det.detectMarkers(cv2.cvtColor(ph.image, cv2.COLOR_RGB2GRAY))
    assert ids is not None and 7 in ids.ravel()
    found = corners[list(ids.ravel()).index(7)].reshape(4, 2)
    assert np.abs(found - ph.truth.marker["corners_px"]).max() < 3.0
    side_px = np.sqrt(cv2.contourArea(found.astype(np.float32)))
    assert ph.truth.marker["side_mm"] / side_px == pytest.approx(ph.truth.marker["mm_per_px"], rel=0.05)
    true_side_px = np.sqrt(cv2.contourArea(ph.truth.marker["corners_px"].astype(np.float32)))
    assert ph.truth.marker["side_mm"] / true_side_px == pytest.approx(ph.truth.marker["mm_per_px"], rel=0.01)
    assert ph.truth.marker["mm_per_px"] == pytest.approx(ph.truth.mm_per_px, rel=0.15)
    # chart patch centres hold the chart colours (white patch brighter than black patch)
    c = ph.truth.chart["centers_px"].round().astype(int)
    assert ph.image[c[18, 1], c[18, 0]].mean() > ph.image[c[23, 1], c[23, 0]].mean() + 100


def test_jpeg_optional_and_bad_input():
    ph = synth.make_photo(rng=1, shape=(96, 128), jpeg_quality=None, camera=False)
    assert ph.jpeg_bytes is None
    with pytest.raises(InputError):
        synth.make_photo(rng=1, site="leg")
    with pytest.raises(InputError):
        synth.make_photo(rng=None)
    with pytest.raises(InputError):
        synth.make_series(rng=1, weeks=(0, 0))


# ------------------------------------------------------------ painting onto a real photo
def _astronaut_cheek():
    from skimage.data import astronaut

    img = astronaut()
    cheek = np.zeros(img.shape[:2], bool)
    cheek[104:136, 184:214] = True  # her right cheek, below the eye
    return img, cheek


def test_painted_patches_take_the_depigmented_colour_and_nothing_else_changes():
    img, cheek = _astronaut_cheek()
    out, truth = synth.paint_vitiligo(img, cheek, rng=5, mm_per_px=0.5, n_patches=2, radius_mm=(3.0, 5.0))
    assert truth.any() and not (truth & ~cheek).any()
    assert np.array_equal(out[~cheek], img[~cheek])  # outside the painted area: the same bytes
    core = cv2.erode(truth.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    # each pixel moves by about the model's step from normal to depigmented skin (CIELAB)
    normal = _median_lab(img, cheek)
    step = np.median(rgb2lab(out)[core] - rgb2lab(img)[core], axis=0)
    expected = synth.depigmented_lab(normal) - normal
    assert step[0] > 1.5 and step[2] < -3.0  # lighter, less yellow
    assert np.abs(step - expected).max() < 2.0
    again, truth2 = synth.paint_vitiligo(img, cheek, rng=5, mm_per_px=0.5, n_patches=2, radius_mm=(3.0, 5.0))
    assert np.array_equal(again, out) and np.array_equal(truth2, truth)


@pytest.mark.parametrize("skin_type", ["II", "IV", "VI"])
def test_painting_recolours_the_skin_to_the_requested_type(skin_type):
    img, cheek = _astronaut_cheek()
    out, truth = synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, n_patches=0, ita=synth.FITZPATRICK_ITA[skin_type])
    assert not truth.any()
    ita = float(synth.ita_deg(_median_lab(out, cheek)))
    assert abs(ita - synth.FITZPATRICK_ITA[skin_type]) < 2.0


def test_painting_a_recoloured_skin_takes_the_depigmented_colour_of_the_new_type():
    # recolour a soft area wider than where patches may go, then paint: outside `where` the
    # skin changes colour (the soft recolouring) but holds no patch; the patches step from
    # the recoloured skin by the model's normal -> depigmented difference of type VI
    img, cheek = _astronaut_cheek()
    soft = cv2.GaussianBlur(cv2.dilate(cheek.astype(np.uint8), np.ones((21, 21), np.uint8)).astype(np.float32),
                            (0, 0), 3.0)
    out, truth = synth.paint_vitiligo(img, cheek, rng=5, mm_per_px=0.5, n_patches=2, radius_mm=(3.0, 5.0),
                                      skin=soft, ita=synth.FITZPATRICK_ITA["VI"])
    ring = (soft > 0.5) & ~cheek
    assert ring.any() and not (truth & ring).any()
    assert np.abs(out[ring].astype(int) - img[ring]).mean() > 20  # recoloured, no patch
    recoloured, _ = synth.paint_vitiligo(img, cheek, rng=5, mm_per_px=0.5, n_patches=0, skin=soft,
                                         ita=synth.FITZPATRICK_ITA["VI"])
    core = cv2.erode(truth.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    normal = _median_lab(recoloured, cheek)
    step = np.median(rgb2lab(out)[core] - rgb2lab(recoloured)[core], axis=0)
    expected = synth.depigmented_lab(normal) - normal  # a large step on type VI: ~+29 L*
    assert step[0] > 15.0
    assert np.abs(step - expected).max() < 4.0


def test_painting_refuses_bad_input():
    img, cheek = _astronaut_cheek()
    with pytest.raises(InputError, match="uint8"):
        synth.paint_vitiligo(img / 255.0, cheek, rng=1, mm_per_px=0.5)
    with pytest.raises(InputError, match="where is empty"):
        synth.paint_vitiligo(img, np.zeros_like(cheek), rng=1, mm_per_px=0.5)
    with pytest.raises(InputError, match="mm_per_px"):
        synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.0)
    for bad in (-1, 2.5, True):
        with pytest.raises(InputError, match="n_patches"):
            synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, n_patches=bad)
    for bad in ((-5, -3), (0, 0), (6, 4), "big"):
        with pytest.raises(InputError, match="radius_mm"):
            synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, radius_mm=bad)
    for bad in (float("nan"), "VI"):
        with pytest.raises(InputError, match="ita"):
            synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, ita=bad)
    with pytest.raises(InputError, match="pass ita"):
        synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, skin=cheek)
    with pytest.raises(InputError, match="within"):
        synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, skin=cheek * 2.0, ita=40.0)
    with pytest.raises(InputError, match="skin must have shape"):
        synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, skin=np.ones((4, 4)), ita=40.0)
    # a 0/255 mask is a mask, not weights of 255
    a, _ = synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, n_patches=0, skin=cheek.astype(np.uint8) * 255,
                                ita=40.0)
    b, _ = synth.paint_vitiligo(img, cheek, rng=1, mm_per_px=0.5, n_patches=0, skin=cheek, ita=40.0)
    assert np.array_equal(a, b)


def test_generator_numbers_are_checked():
    # repigmented=50 drew no patch at all, n_patches=-3 none, week 12.5 was drawn as 12,
    # ita=nan an IndexError
    for kw, says in ((dict(repigmented=50), "repigmented must be a fraction in \\[0, 1\\]"),
                     (dict(n_patches=-3), "n_patches must be a whole number >= 0"),
                     (dict(extent=0), "extent must be a finite positive number"),
                     (dict(ita=float("nan")), "ita must be an individual typology angle")):
        with pytest.raises(InputError, match=says):
            synth.make_photo(rng=1, shape=(80, 100), **kw)
    with pytest.raises(InputError, match="weeks must be whole numbers of weeks"):
        synth.make_series(rng=1, shape=(80, 100), weeks=(0, 12.5, 24))
    with pytest.raises(InputError, match="response must be a fraction"):
        synth.make_series(rng=1, shape=(80, 100), response=80)
    with pytest.raises(InputError, match="tau must be a finite positive number"):
        synth.repigmented_fraction(24, 0.5, tau=0)  # (a ZeroDivisionError)
    for kw, says in ((dict(jpeg_quality=150), "jpeg_quality must be a whole number in 1-100"),
                     (dict(n_patches=2.7), "n_patches must be a whole number")):
        for make in (synth.make_photo, synth.make_series):
            with pytest.raises(InputError, match=says):
                make(rng=1, shape=(80, 100), **kw)


def test_implausible_scale_is_refused_with_the_range():
    # mm_per_px=1000 was "ValueError: max() arg is an empty sequence" from the F-VASI ladder;
    # 0.001 drew the whole frame as one patch for minutes
    for make in (synth.make_photo, synth.make_series):
        for bad in (1000, 0.001):
            with pytest.raises(InputError, match=r"mm_per_px=.* is implausible for a face "
                                                 r"\(380 mm across the frame's height\) in a "
                                                 r"80x100 px photo: it must be in \[0\.238, 19\] mm/px"):
                make(rng=1, shape=(80, 100), mm_per_px=bad)
    with pytest.raises(InputError, match=r"forearm .* must be in \[0\.2, 16\]"):
        synth.make_photo(rng=1, site="forearm", shape=(80, 100), mm_per_px=20)
    ph = synth.make_photo(rng=1, shape=(80, 100), mm_per_px=19.0, jpeg_quality=None)  # the edge
    assert ph.truth.mm_per_px == pytest.approx(19.0, rel=0.2)


def test_make_study_is_seeded_and_needs_a_patient(tmp_path):
    from vasi.demo import make_study

    with pytest.raises(InputError, match="rng must be"):
        make_study(tmp_path / "a", rng=None)  # (was unseeded)
    with pytest.raises(InputError, match="n_patients must be a whole number >= 1"):
        make_study(tmp_path / "b", n_patients=0)  # (wrote a manifest with no columns)
