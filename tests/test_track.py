"""Tracking against baseline patches: exact areas on constructed masks."""

from __future__ import annotations

import re

import cv2
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


def test_untracked_baseline_depigmentation_is_not_new():
    # a 9 px speck below the tracked size is depigmented at baseline: when it is still there
    # at a follow-up it is not new depigmentation (nor at the baseline visit itself)
    base, follow = _masks()
    base[30:33, 30:33] = True
    labels = label_patches(base, min_area_px=50)
    assert labels.max() == 2 and not labels[30:33, 30:33].any()
    assert track(base, base, labels=labels).new_area_px == 0
    t = track(base, follow, labels=labels)
    assert t.new_area_px == 0 and t.repigmentation_pct == pytest.approx(100 * (1 - 200 / 500))
    follow[50:53, 10:13] = True  # a macule where the baseline had nothing is new
    assert track(base, follow, labels=labels).new_area_px == 9


def test_confirm_new_keeps_only_what_changed_between_the_photos():
    from vasi.track import confirm_new

    rng = np.random.default_rng(5)
    skin = np.array([150, 100, 70], float)
    base = np.tile(skin, (120, 160, 1))
    base[20:40, 20:40] = (185, 145, 120)   # a faint patch (a segmentation may miss it)
    follow = base * 0.9                     # the follow-up is darker overall
    follow[70:90, 100:120] = (205, 175, 155)  # a new patch
    base = np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)
    follow = np.clip(follow + rng.normal(0, 2, follow.shape), 0, 255).astype(np.uint8)
    cand = np.zeros((120, 160), bool)
    cand[20:40, 20:40] = True  # found at the follow-up only: not new, the skin did not change
    cand[70:90, 100:120] = True
    kept = confirm_new(base, follow, cand, mm_per_px=0.5)
    assert not kept[20:40, 20:40].any()
    assert kept[70:90, 100:120].mean() > 0.95
    # a candidate with no normal skin around it to compare with stays new
    assert confirm_new(base, follow, np.ones((120, 160), bool)).all()
    with pytest.raises(InputError, match="warped into baseline coordinates"):
        confirm_new(base[:100], follow, cand)
    with pytest.raises(InputError, match="linear=True"):
        confirm_new(base, follow, cand, linear=True)


def test_confirm_new_needs_a_change_towards_the_patients_own_lesion_colour():
    # issue 5, sample series P001: shine on the nose and the hair of a brow enclosed by a
    # patch (no normal skin around it to compare with) were reported as new depigmentation
    from vasi.color import linear_to_srgb, srgb_to_linear
    from vasi.track import EnvelopeModel, change_degree, confirm_new

    rng = np.random.default_rng(11)
    base = np.tile(np.array([150, 100, 70], float), (140, 200, 1))
    base[10:70, 10:70] = (220, 190, 170)     # a patch
    base[35:45, 35:45] = (60, 45, 35)        # brow hair inside it, at both visits
    lin = srgb_to_linear(base.astype(np.uint8)) * 0.9   # the follow-up's light is dimmer
    lin[100:120, 140:160] = srgb_to_linear(np.uint8([[[220, 190, 170]]]))[0, 0] * 0.9  # new
    lin[100:120, 40:60] += 0.08              # shine: white light added to normal skin
    follow = np.clip(linear_to_srgb(lin) * 255 + rng.normal(0, 2, lin.shape), 0, 255).astype(np.uint8)
    base = np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)
    patch = np.zeros((140, 200), bool)
    patch[10:70, 10:70] = True
    cand = np.zeros((140, 200), bool)
    cand[35:45, 35:45] = cand[100:120, 140:160] = cand[100:120, 40:60] = True
    known = patch & ~cand
    lesion = EnvelopeModel(base, label_patches(known)).lesion_contrast()
    args = dict(exclude=known, mm_per_px=0.5, min_area_px=16)
    before = confirm_new(base, follow, cand, **args)
    assert before[35:45, 35:45].all() and before[100:120, 40:60].all()  # unchecked; lighter
    kept = confirm_new(base, follow, cand, lesion=lesion, **args)
    assert kept[100:120, 140:160].mean() > 0.95
    assert not kept[35:45, 35:45].any() and not kept[100:120, 40:60].any()
    # the degree of change: ~1 for normal skin turned lesion, ~0 for the unchanged brow
    comp = cand.astype(np.int32) * (1 + (np.arange(200) > 100))[None, :]
    comp[35:45, 35:45] = 3
    t = change_degree(base, follow, comp, ~cand & ~patch, lesion, light_px=50)
    assert np.median(t[comp == 2]) == pytest.approx(1.0, abs=0.15)
    assert abs(np.median(t[comp == 3])) < 0.15 and np.median(t[comp == 1]) < 0.5
    with pytest.raises(InputError, match="lesion contrast"):
        change_degree(base, follow, comp, ~cand, [0, 0, 0])


def test_confirm_new_in_its_box_is_the_whole_frames_result():
    from vasi.track import confirm_box, confirm_new

    rng = np.random.default_rng(7)
    base = np.clip(rng.normal(120, 20, (150, 200, 3)), 0, 255).astype(np.uint8)
    follow = base.copy()
    follow[60:75, 120:140] = (220, 190, 170)  # a new patch
    cand = np.zeros((150, 200), bool)
    cand[60:75, 120:140] = cand[62:64, 100:103] = True
    roi = np.ones((150, 200), bool)
    roi[:, :20] = False
    for mm, ring in ((None, None), (0.5, (1.0, 4.0))):
        box = confirm_box(cand, mm_per_px=mm, ring_mm=ring)
        assert box != (slice(0, 150), slice(0, 200))  # (a box smaller than the frame)
        whole = confirm_new(base, follow, cand, roi=roi, mm_per_px=mm, ring_mm=ring,
                            min_area_px=4)
        cut = confirm_new(base[box], follow[box], cand[box], roi=roi[box], mm_per_px=mm,
                          ring_mm=ring, min_area_px=4)
        assert whole.any() and np.array_equal(whole[box], cut) and whole.sum() == cut.sum()


def test_confirm_new_holds_new_depigmentation_to_the_minimum_patch_area():
    from vasi.track import confirm_new

    skin = np.array([150, 100, 70], np.uint8)
    base = np.tile(skin, (120, 160, 1))
    follow = base.copy()
    follow[70:90, 100:120] = (220, 190, 170)  # a new patch, 400 px
    follow[30:33, 30:33] = (220, 190, 170)    # a new macule, 9 px
    cand = np.zeros((120, 160), bool)
    cand[70:90, 100:120] = cand[30:33, 30:33] = True
    cand[[10, 50, 100], [140, 60, 20]] = True  # 1-px specks (the photos did not change)
    cand[60:62, 10:12] = True                  # a 4-px clump
    # under 5 px no ring can check a candidate: without a minimum size the specks stay new
    assert confirm_new(base, follow, cand).sum() == 400 + 9 + 3 + 4
    kept = confirm_new(base, follow, cand, min_area_px=16)
    assert kept.sum() == 400 and kept[70:90, 100:120].all()
    assert confirm_new(base, follow, cand, min_area_px=9).sum() == 409
    # the size applies to what is confirmed: the uncheckable whole frame stays new
    assert confirm_new(base, follow, np.ones((120, 160), bool), min_area_px=16).all()
    for bad in (-1, float("nan"), "16"):
        with pytest.raises(InputError, match="min_area_px"):
            confirm_new(base, follow, cand, min_area_px=bad)


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


def _limb(shape=(140, 200), top=20, bottom=120, radius=30.0):
    """A horizontal limb (rows top..bottom) lit from the front: it darkens to 45 % at its
    outline like a cylinder (the synthetic generator's profile), on a dark drape."""
    y = np.arange(shape[0], dtype=np.float64)[:, None]
    n = np.clip(np.minimum(y - top, bottom - 1 - y) / radius, 0, 1)
    shade = (0.45 + 0.55 * np.sqrt(1 - (1 - n) ** 2)) * np.ones((1, shape[1]))
    roi = (y >= top) & (y < bottom) & np.ones((1, shape[1]), bool)
    return roi, shade


def _srgb(lin):
    lin = np.clip(lin, 0, 1)
    return np.round(255 * np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)).astype(np.uint8)


def test_envelope_measures_a_patch_whole_down_to_a_shaded_outline():
    """Skin darkens towards a limb's outline at every visit; a patch reaching the outline is
    still measured whole (one ring median per patch cannot follow the shading)."""
    from vasi.track import EnvelopeModel

    rng = np.random.default_rng(7)
    roi, shade = _limb()
    patch = np.zeros_like(roi)
    patch[85:120, 60:150] = True  # reaches the lower outline
    normal, lesion = np.array([0.30, 0.20, 0.13]), np.array([0.46, 0.36, 0.30])

    def photo(lesion_mask):
        lin = np.where(lesion_mask[..., None], lesion, normal) * shade[..., None]
        lin = lin * (1 + rng.normal(0, 0.02, lin.shape[:2]))[..., None]
        return np.where(roi[..., None], _srgb(lin), 20).astype(np.uint8)

    model = EnvelopeModel(photo(patch), label_patches(patch), roi=roi, margin_px=0)
    bmask, _, _ = model.baseline()
    found = bmask[patch].mean()
    assert found > 0.99, f"only {found:.0%} of the patch found"
    half = patch & (np.arange(200) >= 105)  # the left half repigments, outline rows too
    fmask, _ = model.apply(photo(half))
    assert abs(fmask[patch].mean() - 0.5) < 0.02
    assert fmask[patch & ~half].mean() < 0.01


def test_shading_follows_the_outline_but_not_the_frame_or_holes():
    """The outline is where the skin turns away: not where it leaves the frame, nor around a
    hole cut out of the region (a marker card); without an outline only the smooth field."""
    from vasi.reference import outline_distance, shading

    roi, shade = _limb()
    lin = np.repeat((0.3 * shade)[..., None], 3, axis=2)
    flat = (lin[..., 0] / shading(lin, roi, roi))[roi]
    assert np.ptp(flat) < 0.2 * np.ptp(lin[..., 0][roi])
    holed = roi.copy()
    holed[55:85, 85:115] = False  # a card in the middle of the limb
    assert np.isinf(outline_distance(np.ones((20, 30), bool))).all()
    assert outline_distance(holed)[50, 100] == outline_distance(roi)[50, 100]
    flat_holed = (lin[..., 0] / shading(lin, holed, holed))[holed]
    assert np.ptp(flat_holed) < 0.2 * np.ptp(lin[..., 0][roi])
    even = np.full((40, 60, 3), 0.25)
    np.testing.assert_allclose(shading(even, np.ones((40, 60), bool), np.ones((40, 60), bool)), 1.0,
                               atol=1e-5)


def test_envelope_degree_is_quiet_on_textured_skin():
    """Brightness texture of the skin (relief, shading, pores: all channels together) does
    not speckle the envelope's decision; the lesion differs in colour as well."""
    from vasi.track import EnvelopeModel

    rng = np.random.default_rng(8)
    h, w = 90, 120
    patch = np.zeros((h, w), bool)
    patch[30:60, 40:80] = True
    normal, lesion = np.array([0.30, 0.20, 0.13]), np.array([0.36, 0.25, 0.18])  # faint
    tex = np.exp(rng.normal(0, 0.12, (h, w)))[..., None]  # +-12 % brightness per pixel
    img = _srgb(np.where(patch[..., None], lesion, normal) * tex)
    model = EnvelopeModel(img, label_patches(patch), margin_px=3)
    bmask, _, _ = model.baseline()
    wrong = (bmask ^ patch)[model.env > 0].mean()
    assert wrong < 0.02, f"{wrong:.1%} of the envelope decided wrongly"



def test_envelope_takes_a_linear_follow_up():
    """A follow-up resampled in linear light is read as such (the same result as its sRGB);
    an 8-bit image passed as linear is refused."""
    from vasi.color import srgb_to_linear
    from vasi.track import EnvelopeModel

    roi, shade = _limb()
    patch = np.zeros_like(roi)
    patch[50:80, 60:120] = True
    lin = np.where(patch[..., None], [0.46, 0.36, 0.30], [0.30, 0.20, 0.13]) * shade[..., None]
    img = np.where(roi[..., None], _srgb(lin), 20).astype(np.uint8)
    model = EnvelopeModel(img, label_patches(patch), roi=roi)
    m8, d8 = model.apply(img)
    ml, dl = model.apply(srgb_to_linear(img), linear=True)
    np.testing.assert_array_equal(m8, ml)
    np.testing.assert_allclose(d8, dl, atol=1e-6)
    with pytest.raises(InputError, match="linear=True"):
        model.apply(img, linear=True)


@pytest.mark.parametrize("normal, lesion, flatten", [
    ((0.30, 0.20, 0.14), (0.60, 0.50, 0.45), True),  # visible light
    # Wood's lamp: a glow on nearly black skin, 20 x as bright as the skin, which the
    # shading model would take for light (no shading here to take out)
    ((0.004, 0.003, 0.010), (0.30, 0.40, 0.70), False),
])
def test_follow_up_keeps_the_baseline_normal_level_when_the_halo_moves(normal, lesion, flatten):
    """A lighter zone around a patch (halo, trichrome rim, a Wood's lamp glow) that is gone
    at the follow-up does not rescale the follow-up: skin 40 % of the way to the lesion
    colour is repigmented with the baseline's normal level carried over by the change of
    light (measured far from the patch), while re-measuring the ring at the follow-up calls
    it depigmented."""
    from vasi.track import EnvelopeModel

    h, w = 200, 200
    patch = np.zeros((h, w), bool)
    patch[80:120, 80:120] = True
    normal, lesion = np.array(normal), np.array(lesion)
    near = np.zeros_like(patch)
    near[55:145, 55:145] = True  # the reference ring (10-25 px) lies in the halo
    base = np.where(patch[..., None], lesion, np.where(near[..., None], 0.75 * normal + 0.25 * lesion, normal))
    follow = np.where(patch[..., None], lesion, normal)  # halo gone
    half = patch & (np.arange(w) < 100)[None]
    follow[half] = 0.6 * normal + 0.4 * lesion  # left half 40 % depigmented: repigmented
    follow = 0.8 * follow  # darker photo
    lab = label_patches(patch)
    kw = {"margin_px": 0, "linear": True, "flatten": flatten}
    kept, _ = EnvelopeModel(base, lab, **kw).apply(follow, linear=True)
    assert not kept[half].any() and kept[patch & ~half].all()
    visit, _ = EnvelopeModel(base, lab, normal_level="visit", **kw).apply(follow, linear=True)
    assert visit[half].all()  # the follow-up's darker ring moved the scale
    with pytest.raises(InputError, match="normal_level"):
        EnvelopeModel(base, lab, normal_level="ring")


def test_baseline_parts_within_twice_the_tolerance_are_one_patch():
    # a patch the segmentation broke at a 2-px neck keeps one identity (and one pattern)
    base = np.zeros((30, 40), bool)
    base[5:25, 5:18] = True
    base[5:25, 20:33] = True  # 2 px of "normal" skin between the halves
    follow = base.copy()
    follow[5:25, 5:10] = False  # the left half repigments from its edge
    assert len(track(base, follow).patches) == 2
    t = track(base, follow, tolerance_px=1)
    assert len(t.patches) == 1
    assert t.patches["repigmentation_pct"].iloc[0] == pytest.approx(100 * 100 / 520)


def test_distances_are_exact_with_any_number_of_opencv_threads():
    # cv2's precise distance transform differs in the last float32 places between one and
    # two OpenCV threads (batch workers run one): the envelopes' rings and the shading then
    # differed, and a batch run with --jobs 2 wrote other digits than with --jobs 1
    from scipy import ndimage as ndi

    from vasi.reference import edt, edt2

    rng = np.random.default_rng(7)
    mask = np.ones((300, 400), bool)
    mask[rng.random(mask.shape) < 0.0005] = False
    exact2 = np.rint(ndi.distance_transform_edt(mask) ** 2)
    n_threads = cv2.getNumThreads()
    try:
        out = {}
        for k in (1, 2):
            cv2.setNumThreads(k)
            out[k] = edt2(mask), edt(mask)
    finally:
        cv2.setNumThreads(n_threads)
    np.testing.assert_array_equal(out[1][0], exact2)
    np.testing.assert_array_equal(out[2][0], exact2)
    np.testing.assert_array_equal(out[1][1], out[2][1])
    assert edt2(np.ones((3, 3), bool)).min() == np.inf and edt2(np.zeros((0, 4), bool)).size == 0


def test_negative_labels_and_meaningless_envelope_options_are_refused():
    # -1 as background gave numpy's bincount error (track) or no depigmentation at all
    # (envelope_masks); an inverted ring or a level of 2 silently measured nothing
    from vasi.track import EnvelopeModel, envelope_masks

    m = np.zeros((40, 40), bool)
    m[10:30, 10:30] = True
    lab = label_patches(m)
    img = np.full((40, 40, 3), 120, np.uint8)
    img[m] = 230
    bg = np.where(lab > 0, lab, -1)
    with pytest.raises(InputError, match="labels must be >= 0, with 0 for no patch"):
        track(m, m, labels=bg)
    with pytest.raises(InputError, match="labels must be >= 0"):
        envelope_masks(img, img, bg)
    for ring in ((8, 3), "3", (3, float("nan")), (-1, 5)):
        with pytest.raises(InputError, match=r"ring_mm must be the ring's \(inner, outer\)"):
            EnvelopeModel(img, lab, ring_mm=ring)
    for level in (2, 0, "half"):
        with pytest.raises(InputError, match=r"level must be a number in \(0, 1\)"):
            EnvelopeModel(img, lab, level=level)
    _, b, _ = envelope_masks(img, img, lab, level=0.5, ring_mm=(3, 8), mm_per_px=0.5)
    assert b[m].all()


def test_ring_mm_without_a_scale_warns_that_it_is_not_used():
    """An explicit ring_mm cannot be honoured without a pixel size: the RING_PX ring is used
    and a warning says so (it used to be dropped silently); the default ring does not warn."""
    import warnings

    from vasi.track import RING_PX, EnvelopeModel, confirm_new, envelope_masks

    m = np.zeros((80, 80), bool)
    m[30:50, 30:50] = True
    lab = label_patches(m)
    img = np.full((80, 80, 3), 120, np.uint8)
    img[m] = 230
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none by default, with or without a scale
        default = envelope_masks(img, img, lab)
        EnvelopeModel(img, lab, mm_per_px=0.5, ring_mm=(2, 6))
    msg = (f"ring_mm=(2, 6) is ignored: without a scale (mm_per_px) the reference ring is "
           f"RING_PX = {RING_PX} px")
    with pytest.warns(UserWarning, match=re.escape(msg)):
        given = envelope_masks(img, img, lab, ring_mm=(2, 6))
    for a, b in zip(default, given, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="ring_mm=.* is ignored") as rec:
        confirm_new(img, img, m, ring_mm=(2, 6))
    assert len(rec) == 1  # once per call, not again by the model it builds
    with pytest.raises(InputError, match="ring_mm must be"):  # still checked without a scale
        EnvelopeModel(img, lab, ring_mm=(6, 2))


def test_pixel_distances_must_be_whole():
    m = np.zeros((20, 20), bool)
    m[5:15, 5:15] = True
    for bad in (1.5, float("nan"), -1, True):
        with pytest.raises(InputError, match="must be a whole number of pixels >= 0"):
            label_patches(m, join_px=bad)
        with pytest.raises(InputError, match="tolerance_px must be a whole number"):
            track(m, m, tolerance_px=bad)
    assert label_patches(m, join_px=2.0).max() == 1
