"""track_series end to end on a small constructed series with known poses and truth."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
from skimage.draw import disk, ellipse

import vasi
from vasi.errors import InputError
from vasi.register import Registration
from vasi.series import SeriesResult, track_series

SKIN = np.array([120.0, 78.0, 52.0])  # type V skin, high contrast
DEPIG = np.array([236.0, 214.0, 204.0])
SHAPE = (360, 420)


def _texture(rng, shape):
    n = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), 1.2)
    n2 = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), 6)
    t = 0.07 * n / n.std() + 0.06 * n2 / n2.std()
    pores = rng.random(shape) < 0.004
    t[cv2.dilate(pores.astype(np.uint8), np.ones((2, 2))) > 0] -= 0.25
    return t


def _render(depig, rng_tex, face):
    tex = _texture(rng_tex, SHAPE)
    img = np.where(depig[..., None], DEPIG, SKIN) * (1 + tex[..., None])
    img[~face] = 25
    return np.clip(img, 0, 255).astype(np.uint8)


def _pose(rot, scale, shift):
    h, w = SHAPE
    c = np.array([w / 2, h / 2])
    a = np.radians(rot)
    R = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    H = np.eye(3)
    H[:2, :2] = R
    H[:2, 2] = c - R @ c + shift
    return H


def make_series(seed=0):
    """Baseline + 2 follow-ups: patch 1 marginal, patch 2 perifollicular, a new macule."""
    rng = np.random.default_rng(seed)
    face = np.zeros(SHAPE, bool)
    rr, cc = ellipse(180, 210, 165, 190, shape=SHAPE)
    face[rr, cc] = True
    base = np.zeros(SHAPE, bool)
    rr, cc = disk((120, 140), 45, shape=SHAPE)
    base[rr, cc] = True
    rr, cc = disk((230, 290), 40, shape=SHAPE)
    base[rr, cc] = True
    tex_seed = int(rng.integers(1 << 30))
    images, truths, Hs, rois = [], [], [], []
    for k, (rot, sc, sh) in enumerate([(0, 1, (0, 0)), (9, 1.08, (8, -6)), (-7, 0.93, (-5, 9))]):
        m = base.copy()
        if k:
            rr, cc = disk((120, 140), 45 - 12 * k, shape=SHAPE)  # marginal
            m[(np.hypot(*np.mgrid[:SHAPE[0], :SHAPE[1]] - np.array([120, 140])[:, None, None])
               < 46)] = False
            m[rr, cc] = True
            for dy in range(-30, 31, 15):  # perifollicular islands growing with time
                for dx in range(-30, 31, 15):
                    if dy * dy + dx * dx < 30**2:
                        rr, cc = disk((230 + dy, 290 + dx), 2.5 + 1.5 * k, shape=SHAPE)
                        m[rr, cc] = False
            if k == 2:
                rr, cc = disk((60, 300), 8, shape=SHAPE)  # new macule
                m[rr, cc] = True
        img = _render(m, np.random.default_rng(tex_seed), face)  # same skin texture
        H = _pose(rot, sc, np.array(sh, float))
        images.append(cv2.warpPerspective(img, H, SHAPE[::-1], borderValue=(25, 25, 25)))
        rois.append(cv2.warpPerspective(face.astype(np.uint8), H, SHAPE[::-1]) > 0)
        truths.append(m)
        Hs.append(H)
    return images, truths, Hs, rois, base


def _own_masks(truths, Hs):
    """The true masks in each photo's own coordinates (isolates tracking from segmentation)."""
    return [cv2.warpPerspective(m.astype(np.uint8), H, SHAPE[::-1], flags=cv2.INTER_NEAREST) > 0
            for m, H in zip(truths, Hs, strict=True)]


@pytest.fixture(scope="module")
def series():
    return make_series()


@pytest.fixture(scope="module")
def result(series):
    images, truths, Hs, rois, _ = series
    return track_series(images, weeks=[0, 12, 24], rois=rois, mm_per_px=0.25,
                        masks=_own_masks(truths, Hs))


def test_automatic_segmentation_path(series):
    images, truths, _, rois, base = series
    res = track_series(images[:2], weeks=[0, 12], rois=rois[:2], mm_per_px=0.25,
                       with_patterns=False)
    true_pct = 100 * (1 - (truths[1] & base).sum() / base.sum())
    assert res.visits.loc[1, "registered"]
    assert res.visits.loc[1, "repigmentation_pct"] == pytest.approx(true_pct, abs=10.0)


def test_visits_table(result, series):
    _, truths, _, _, base = series
    v = result.visits
    assert isinstance(result, SeriesResult) and len(result) == 3
    for col in ("week", "depigmented_area_hu", "repigmentation_pct", "new_depigmentation_hu",
                "f_vasi", "f_vasi_clinical", "f_vasi75", "reg_residual_mm", "registered"):
        assert col in v
    assert v["registered"].all()
    for k in (1, 2):
        true_pct = 100 * (1 - (truths[k] & base).sum() / base.sum())
        assert v.loc[k, "repigmentation_pct"] == pytest.approx(true_pct, abs=3.0)
    assert v.loc[0, "repigmentation_pct"] == pytest.approx(0.0, abs=0.5)
    assert v.loc[2, "new_depigmentation_px"] == pytest.approx((truths[2] & ~base).sum(), rel=0.3)
    assert v["f_vasi"].is_monotonic_decreasing
    assert (v["reg_residual_mm"].iloc[1:] < 0.5).all()


def test_patches_keep_identity_and_pattern(result):
    p = result.patches
    assert set(p["week"]) == {0.0, 12.0, 24.0}
    last = p[p["week"] == 24].set_index("patch_id")
    assert len(last) == 2
    # patch 1 (largest, 45 px radius) shrank from its border, patch 2 has islands
    assert last.loc[1, "pattern"] == "marginal"
    assert last.loc[1, "border_advance_mm"] == pytest.approx(24 * 0.25, abs=1.0)
    assert last.loc[2, "pattern"] == "perifollicular"
    assert last.loc[2, "island_count"] == 9
    assert result.masks[1].shape == SHAPE and result.labels.max() == 2


def test_nearly_repigmented_patch_keeps_the_pattern_its_course_showed(result):
    # patch 1 repigments from its border: 46 % at week 12, 78 % at week 24, where little is
    # left to show how; its pattern is then the one week 12 showed
    from vasi.series import PATTERN_READABLE_MAX

    p = result.patches[result.patches["week"] > 0].set_index(["patch_id", "week"])
    assert p.loc[(1, 24.0), "repigmentation_pct"] >= PATTERN_READABLE_MAX
    assert p.loc[(1, 24.0), "pattern"] == p.loc[(1, 12.0), "pattern_visit"] == "marginal"
    below = p["repigmentation_pct"] < PATTERN_READABLE_MAX
    assert (p.loc[below, "pattern"] == p.loc[below, "pattern_visit"]).all()


def test_failed_registration_is_kept_unscored(series):
    images, truths, Hs, rois, _ = series
    stranger = _render(np.zeros(SHAPE, bool), np.random.default_rng(99), rois[0])
    own = _own_masks(truths, Hs)
    res = track_series([images[0], stranger, images[1]], weeks=[0, 4, 12],
                       rois=[rois[0], rois[0], rois[1]], with_patterns=False,
                       masks=[own[0], np.zeros(SHAPE, bool), own[1]])
    v = res.visits.set_index("week")
    assert not v.loc[4, "registered"] and v.loc[4, "registration_reason"]
    assert np.isnan(v.loc[4, "repigmentation_pct"]) and np.isnan(v.loc[4, "f_vasi"])
    # the endpoint flags are nullable booleans, <NA> where undefined (as vasi.endpoints)
    for k in (50, 75, 90):
        assert str(v[f"f_vasi{k}"].dtype) == "boolean"
        assert v.loc[4, f"f_vasi{k}"] is pd.NA and not v.loc[0, f"f_vasi{k}"]
    assert np.isfinite(v.loc[4, "f_vasi_unregistered"])
    assert res.masks[1] is None and not res.registrations[1]
    assert list(res.failed["week"]) == [4.0]
    assert v.loc[12, "registered"]


def test_baseline_index_and_to_frame(series):
    images, truths, Hs, rois, _ = series
    own = _own_masks(truths, Hs)
    res = track_series(images[1::-1], weeks=[12, 0], rois=rois[1::-1], baseline_index=1,
                       with_patterns=False, masks=own[1::-1])
    v = res.to_frame()
    assert list(v["week"]) == [0.0, 12.0] and v.loc[0, "is_baseline"]
    assert isinstance(res.to_frame(patches=True), pd.DataFrame)


def test_photos_in_any_order_take_the_earliest_visit_as_baseline(series, result):
    # photos listed as a folder listing gives them (week 12 first): the baseline is the
    # earliest week, not the first photo, so the series is scored as when sorted
    images, truths, Hs, rois, _ = series
    own = _own_masks(truths, Hs)
    order = [1, 2, 0]
    res = track_series([images[i] for i in order], weeks=[[0, 12, 24][i] for i in order],
                       rois=[rois[i] for i in order], mm_per_px=0.25, masks=[own[i] for i in order])
    assert res.baseline_index == 2
    got = res.to_frame().set_index("week")
    want = result.to_frame().set_index("week")
    assert got.loc[0.0, "is_baseline"] and not got.loc[12.0, "is_baseline"]
    for col in ("repigmentation_pct", "depigmented_area_px", "new_depigmentation_px"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), nan_ok=True, abs=1e-6)


def test_an_implausible_scale_does_not_move_the_series_f_vasi():
    # at 0.01 mm per px the face would be a few cm wide: the segmentation's millimetre-based
    # smoothing and minimum patch size followed it and every visit scored F-VASI 0.0
    from vasi import synth

    s = synth.make_series(rng=41, site="face", skin_type="IV", shape=(450, 600), weeks=(0, 24))
    images = [v.image for v in s.visits]
    free = track_series(images, weeks=[0, 24], with_patterns=False)
    wrong = track_series(images, weeks=[0, 24], with_patterns=False, mm_per_px=0.01)
    assert free.visits["f_vasi"].min() > 0.05
    np.testing.assert_allclose(wrong.visits["f_vasi"], free.visits["f_vasi"])
    assert wrong.provenance["mm_per_px"] is None


def test_bad_arguments(series):
    images = series[0]
    with pytest.raises(InputError, match="weeks"):
        track_series(images, weeks=[0, 1])
    with pytest.raises(InputError, match=r"weeks\[1\] must be a finite number"):
        track_series(images, weeks=[0, "twelve", 24])
    with pytest.raises(InputError, match="distinct.*images 0 and 2"):
        track_series(images, weeks=[0, 12, 0])
    with pytest.raises(InputError, match=r"^rois\[1\] must have shape"):
        track_series(images, weeks=[0, 12, 24], rois=[None, np.ones((3, 3), bool), None])
    with pytest.raises(InputError, match="baseline_index"):
        track_series(images, weeks=[0, 1, 2], baseline_index=5)
    with pytest.raises(InputError, match="empty"):
        track_series([], weeks=[])
    # options passed on are checked up front, by name (a typo was a bare TypeError)
    with pytest.raises(InputError, match=r"segment_kwargs has unknown option\(s\) \['sensitivty'\]"):
        track_series(images, weeks=[0, 12, 24], segment_kwargs={"sensitivty": 0.6})
    with pytest.raises(InputError, match=r"segment_kwargs .*\['roi'\]"):  # the series sets it
        track_series(images, weeks=[0, 12, 24], segment_kwargs={"roi": None})
    with pytest.raises(InputError, match="envelope_kwargs .*ring_mm"):
        track_series(images, weeks=[0, 12, 24], envelope_kwargs={"ring": (3, 8)})
    with pytest.raises(InputError, match=r"envelope_kwargs .*\['linear'\]"):  # the series gives sRGB
        track_series(images, weeks=[0, 12, 24], envelope_kwargs={"linear": True})
    with pytest.raises(InputError, match="assessed_hu"):
        track_series(images, weeks=[0, 12, 24], assessed_hu="three")
    # one photo or one mask where a list is meant (said "one week per image (240)"), a
    # working size of 0 (ZeroDivisionError) and a 0-d pixel size (a TypeError)
    for one in (images[0], "baseline.jpg"):
        with pytest.raises(InputError, match="images is one photo; pass .* as a list"):
            track_series(one, weeks=[0])
    with pytest.raises(InputError, match=r"rois is one mask; pass one per image \(3\)"):
        track_series(images, weeks=[0, 12, 24], rois=np.ones(images[0].shape[:2], bool))
    for side in (0, float("inf")):  # (a ZeroDivisionError, an OverflowError)
        with pytest.raises(InputError, match=f"max_side must be at least 64 px; got {side}"):
            track_series(images, weeks=[0, 12, 24], max_side=side)
    a = track_series(images[:2], weeks=[0, 12], mm_per_px=np.array(0.3), with_patterns=False)
    b = track_series(images[:2], weeks=[0, 12], mm_per_px=0.3, with_patterns=False)
    assert a.visits.equals(b.visits)


def test_public_names():
    assert vasi.track_series is track_series and vasi.SeriesResult is SeriesResult


def test_normal_level_is_recorded_and_either_measures(series, result):
    """The follow-ups' normal-skin level (baseline ring carried over in visible light) is in
    the provenance; re-measuring each visit's ring measures this series as well."""
    images, truths, Hs, rois, base = series
    assert result.provenance["normal_level"] == "baseline"
    res = track_series(images, weeks=[0, 12, 24], rois=rois, mm_per_px=0.25,
                       masks=_own_masks(truths, Hs), with_patterns=False,
                       envelope_kwargs={"normal_level": "visit"})
    assert res.provenance["normal_level"] == "visit"
    for k in (1, 2):
        true_pct = 100 * (1 - (truths[k] & base).sum() / base.sum())
        assert res.visits.loc[k, "repigmentation_pct"] == pytest.approx(true_pct, abs=4.0)
        assert result.visits.loc[k, "repigmentation_pct"] == pytest.approx(true_pct, abs=4.0)


@pytest.mark.parametrize("max_side", [210, 300])  # both reduce 420 px by 2 (integer factor)
def test_reduced_working_resolution_matches_full(series, result, max_side):
    """Tracking at a working resolution below the photo's: same percentages, counts in
    full-resolution baseline pixels, full-resolution masks and labels."""
    images, truths, Hs, rois, base = series
    res = track_series(images, weeks=[0, 12, 24], rois=rois, mm_per_px=0.25,
                       masks=_own_masks(truths, Hs), with_patterns=False,
                       register_kwargs={"max_side": max_side})
    v, full = res.visits, result.visits
    assert v["registered"].all()
    assert max(res.provenance["working_shape"]) <= max_side
    for k in (1, 2):
        true_pct = 100 * (1 - (truths[k] & base).sum() / base.sum())
        assert v.loc[k, "repigmentation_pct"] == pytest.approx(true_pct, abs=4.0)
        assert v.loc[k, "depigmented_area_px"] == pytest.approx(
            full.loc[k, "depigmented_area_px"], rel=0.08)
        assert v.loc[k, "depigmented_area_cm2"] == pytest.approx(
            full.loc[k, "depigmented_area_cm2"], rel=0.08)
    assert res.labels.shape == SHAPE and res.labels.max() == 2
    for m in (*res.masks, *res.new_masks, *res.valid_masks):
        assert m.shape == SHAPE and m.dtype == bool
    # the returned full-resolution masks hold the counted areas
    assert int(res.masks[1].sum()) == pytest.approx(v.loc[1, "depigmented_area_px"], rel=0.03)
    import pickle

    again = pickle.loads(pickle.dumps(res.masks))  # batch workers send results across
    assert len(again) == 3
    np.testing.assert_array_equal(again[1], res.masks[1])
    p = res.patches[res.patches["week"] == 24].set_index("patch_id")
    q = result.patches[result.patches["week"] == 24].set_index("patch_id")
    assert p["baseline_area_px"].to_numpy() == pytest.approx(q["baseline_area_px"].to_numpy(),
                                                             rel=0.08)


def test_series_registers_each_visit_once_against_prepared_baseline(series, monkeypatch):
    """The baseline is prepared once per series and reused for every follow-up."""
    from vasi.register import PreparedPhoto

    images, truths, Hs, rois, _ = series
    calls = []
    orig = PreparedPhoto.features

    def spy(self, detector):
        calls.append((id(self), detector, detector not in self._features))  # computed here?
        return orig(self, detector)

    monkeypatch.setattr(PreparedPhoto, "features", spy)
    res = track_series(images, weeks=[0, 12, 24], rois=rois, mm_per_px=0.25,
                       masks=_own_masks(truths, Hs), with_patterns=False)
    assert res.visits["registered"].all()
    photos = {c[0] for c in calls}
    assert len(photos) == 3  # baseline + two follow-ups, each prepared once
    base_id = calls[0][0]
    assert sum(c[0] == base_id for c in calls) >= sum(c[0] != base_id for c in calls)
    base = [c for c in calls if c[0] == base_id]
    # the baseline's keypoints are computed once per detector, then reused by every visit
    assert sum(c[2] for c in base) == len({c[1] for c in base})


def test_woods_series_uses_the_woods_region():
    # the baseline's own (unregistered) score must be the single-photo score of that photo:
    # the assessed region of a Wood's lamp photo is found with the Wood's lamp rules.
    # (a follow-up is assessed on the baseline region mapped into it, so only the baseline
    # is expected to match score_photo exactly)
    ser = vasi.synth.make_series(rng=41, skin_type="IV", site="face", modality="woods",
                                 shape=(450, 600), weeks=(0, 24), response=0.5)
    res = track_series([v.image for v in ser.visits], weeks=list(ser.weeks), site="face",
                       modality="woods")
    single = vasi.score_photo(ser.visits[0].image, site="face", modality="woods").f_vasi
    assert res.visits["f_vasi_unregistered"].iloc[0] == pytest.approx(single, abs=1e-9)
    # the follow-ups' normal level is the baseline's, as in visible light (a glow around a
    # patch fades as it repigments: test_track's halo test)
    assert res.provenance["normal_level"] == "baseline"


def test_a_woods_follow_up_is_read_with_the_baseline_normal_level():
    # re-measuring the ring at the follow-up (the glow around the patch has faded) read this
    # 75 %-repigmented face as 66 %
    ser = vasi.synth.make_series(rng=2_600_002, site="face", skin_type="III", modality="woods",
                                 response=0.9, pattern="diffuse", shape=(900, 1200),
                                 weeks=(0, 52))
    images, true_pct = [v.image for v in ser.visits], ser.visits[1].truth.repigmentation_pct
    res = track_series(images, weeks=[0, 52], site="face", modality="woods", with_patterns=False)
    assert res.visits["repigmentation_pct"].iloc[1] == pytest.approx(true_pct, abs=3.0)
    visit = track_series(images, weeks=[0, 52], site="face", modality="woods",
                         with_patterns=False, envelope_kwargs={"normal_level": "visit"})
    assert visit.visits["repigmentation_pct"].iloc[1] < true_pct - 6.0
    # a registered follow-up is assessed on the baseline's region: it reports its method
    v = res.visits[res.visits["registered"]]
    assert (v["region_method"] == v["region_method"].iloc[0]).all()


def test_a_late_visit_too_changed_for_the_baseline_is_aligned_through_an_earlier_one():
    # Wood's lamp, strong repigmentation: weeks 24 and 36 share too few features with the
    # baseline (they were left unregistered) but many with the visit before them
    from vasi.register import transform_error_px

    ser = vasi.synth.make_series(rng=710_007, site="forearm", skin_type="IV", modality="woods",
                                 response=0.8, pattern="mixed", shape=(450, 600),
                                 weeks=(0, 12, 24, 36))
    res = track_series([v.image for v in ser.visits], weeks=list(ser.weeks), site="forearm",
                       modality="woods", with_patterns=False)
    v = res.visits
    assert v["registered"].all(), v["registration_reason"].tolist()
    assert v["reg_method"].tolist() == ["baseline", "features", "guided", "guided"]
    np.testing.assert_array_equal(v["reg_via_week"], [np.nan, np.nan, 12, 24])
    roi = ser.baseline.truth.roi_mask
    for reg, visit in zip(res.registrations[2:], ser.visits[2:], strict=True):
        err = transform_error_px(reg.transform, visit.truth.transform, roi.shape, mask=roi)
        assert np.median(err) * visit.truth.mm_per_px < 1.5
    assert v["repigmentation_pct"].iloc[1:].notna().all()
    # whatever order the photos come in (the chain grows out from the baseline)
    images = [v.image for v in ser.visits]
    for order in ([3, 2, 1, 0], [2, 3, 0, 1]):
        shuffled = track_series([images[k] for k in order], weeks=[ser.weeks[k] for k in order],
                                site="forearm", modality="woods", with_patterns=False)
        pd.testing.assert_frame_equal(shuffled.visits.drop(columns="visit_index"),
                                      v.drop(columns="visit_index"))
    with pytest.raises(InputError, match="already align a visit"):
        track_series(images, weeks=list(ser.weeks), site="forearm", register_method="guided")


def test_only_auto_and_features_go_through_another_visit(monkeypatch):
    import vasi.series as series

    # (week 12 within ECC's reach: it registers it here, as it does 10 of seeds 710000-710011)
    ser = vasi.synth.make_series(rng=710_008, site="forearm", skin_type="IV", modality="woods",
                                 response=0.8, pattern="mixed", shape=(450, 600),
                                 weeks=(0, 12, 24))
    images = [v.image for v in ser.visits]
    images[2] = cv2.resize(images[2], (560, 420))  # (sizes may differ) to know it below
    real, calls = series.register, []

    def week24_fails(pb, pf, **kw):  # whatever the method
        reg = real(pb, pf, **kw)
        return reg if pf.shape != (420, 560) else Registration(None, pb.shape, pf.shape, False,
                                                                "refused here", reg.method)

    monkeypatch.setattr(series, "register", week24_fails)
    monkeypatch.setattr(series, "register_via", lambda *a, **k: calls.append(k) or
                        Registration(None, (1, 1), (1, 1), False, "not this time", "guided"))
    for method in ("ecc", "features"):
        res = track_series(images, weeks=[0, 12, 24], site="forearm", modality="woods",
                           with_patterns=False, register_method=method)
        assert res.visits["registered"].tolist() == [True, True, False]
        assert bool(calls) == (method == "features")
    assert calls[0]["method"] == "features"
    # a visit that fails through the others too says what was tried
    assert res.visits["registration_reason"].iloc[2] == (
        "refused here; through week 12: not this time")


def test_followup_marker_card_on_the_skin_is_not_assessed():
    # the marker stuck on the skin at a follow-up, where the baseline had none: the
    # baseline region mapped into the follow-up must still leave the card out
    import cv2

    ser = vasi.synth.make_series(rng=3, site="forearm", skin_type="IV", shape=(450, 600),
                                 weeks=(0, 12), response=0.5)
    follow = ser.visits[1].image.copy()
    ys, xs = np.nonzero(ser.visits[1].truth.roi_mask & ~ser.visits[1].truth.depig_mask)
    y, x = int(np.median(ys)), int(np.median(xs))
    paper = np.array((235, 232, 228), np.uint8)
    card = np.s_[y - 30:y + 30, x - 30:x + 30]
    follow[card] = paper
    bits = cv2.aruco.generateImageMarker(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), 7, 48) > 0
    follow[y - 24:y + 24, x - 24:x + 24] = np.where(bits[..., None], paper, np.uint8(15))
    res = track_series([ser.visits[0].image, follow], weeks=[0, 12], site="body")
    assert res.visits["registered"].all()
    assert res.segmentations[1].roi[card].sum() == 0


def test_region_and_marker_cards_found_once_per_photo(monkeypatch):
    # track_series looks for each photo's marker cards once (find_region's own steps, the
    # cards kept for the mapped region): the region must be exactly find_region's
    import importlib

    from vasi import calibrate
    from vasi import series as series_mod

    ph = vasi.synth.make_photo(rng=500_201, site="face", skin_type="III", shape=(360, 480),
                               marker=True)
    ref, ref_method = vasi.find_region(ph.image, site="face", return_method=True)
    calls = []
    orig = calibrate.marker_boxes

    def spy(img, **kw):
        calls.append(1)
        return orig(img, **kw)

    monkeypatch.setattr(importlib.import_module("vasi.roi"), "marker_boxes", spy)
    region, method, cards, _ = series_mod._find_region(ph.image, site="face", mask=None,
                                                       modality="visible")
    assert np.array_equal(region, ref) and method == ref_method
    assert len(calls) == 1 and len(cards) >= 1
    assert not any(region[r, c][card].any() for r, c, card in cards)
    user = np.zeros(ph.image.shape[:2], bool)
    user[10:50, 10:50] = True
    region, method, cards, nails = series_mod._find_region(ph.image, site="face", mask=user,
                                                           modality="visible")
    assert np.array_equal(region, user) and method == "user" and cards is None and not nails


def test_followups_ahead_in_a_thread_give_the_same_result(monkeypatch):
    # with more than one OpenCV thread the follow-ups' regions and registrations run in a
    # background thread: the same numbers as computed on demand in this thread, and errors
    # still surface
    import vasi.series as series_mod

    class OnDemand(series_mod._Ahead):
        def __init__(self, fn, keys, *, background):
            super().__init__(fn, keys, background=False)

    ser = vasi.synth.make_series(rng=500_202, site="forearm", skin_type="IV", shape=(300, 400),
                                 weeks=(0, 12, 24), response=0.6)
    imgs = [v.image for v in ser.visits]
    n_threads = cv2.getNumThreads()
    out = {}
    try:
        for k, how in ((2, "ahead"), (2, "on demand"), (1, "one thread")):
            cv2.setNumThreads(k)
            with monkeypatch.context() as m:
                if how == "on demand":
                    m.setattr(series_mod, "_Ahead", OnDemand)
                out[how] = track_series(imgs, weeks=list(ser.weeks), site="body")
                bad_roi = [None, np.ones((5, 5), bool), None]
                with pytest.raises(InputError):
                    track_series(imgs, weeks=list(ser.weeks), site="body", rois=bad_roi)
    finally:
        cv2.setNumThreads(n_threads)
    a, b = out["ahead"], out["on demand"]
    assert a.visits["registered"].all()
    pd.testing.assert_frame_equal(a.visits, b.visits, check_exact=True)
    pd.testing.assert_frame_equal(a.patches, b.patches, check_exact=True)
    assert all(np.array_equal(x.transform, y.transform)
               for x, y in zip(a.registrations[1:], b.registrations[1:], strict=True))
    # OpenCV's own thread count changes float32 rounding in the last bit only (degree maps
    # within 1e-6): the percentages agree to well under a thousandth of a point
    c = out["one thread"]
    pd.testing.assert_frame_equal(a.visits, c.visits, check_exact=False, atol=1e-3, rtol=0)
    pd.testing.assert_frame_equal(a.patches, c.patches, check_exact=False, atol=1e-3, rtol=0)


def test_photo_files_give_the_same_result_as_arrays(tmp_path):
    # follow-ups given as paths are decoded in the threads that register them: the same
    # tables as from the decoded arrays (also mixed with arrays), the given pixel size is
    # used, and a missing follow-up file still fails with the photo error
    ser = vasi.synth.make_series(rng=500_203, site="forearm", skin_type="III", shape=(300, 400),
                                 weeks=(0, 12, 24), response=0.6)
    paths = []
    for i, v in enumerate(ser.visits):
        paths.append(tmp_path / f"visit{i}.png")
        cv2.imwrite(str(paths[-1]), cv2.cvtColor(v.image, cv2.COLOR_RGB2BGR))
    weeks = list(ser.weeks)
    a = track_series([v.image for v in ser.visits], weeks=weeks, site="body", mm_per_px=0.3)
    b = track_series(paths, weeks=weeks, site="body", mm_per_px=0.3)
    c = track_series([paths[0], ser.visits[1].image, str(paths[2])], weeks=weeks, site="body",
                     mm_per_px=0.3)
    for r in (b, c):
        pd.testing.assert_frame_equal(a.visits, r.visits, check_exact=True)
        pd.testing.assert_frame_equal(a.patches, r.patches, check_exact=True)
    assert b.visits["depigmented_area_cm2"].notna().all()
    with pytest.raises(vasi.PhotoError, match="visit9"):
        track_series([paths[0], tmp_path / "visit9.png"], weeks=[0, 12], site="body")


def test_to_dict_is_strict_json(result):
    import json

    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["weeks"] == list(result.weeks) and len(d["visits"]) == len(result.visits)
    assert d["registrations"][result.baseline_index] is None
    assert d["registrations"][1]["ok"] is bool(result.registrations[1])
    assert len(d["patches"]) == len(result.patches)


def test_a_baseline_with_a_colour_cast_is_white_balanced_from_its_skin_and_tracked_again(gained):
    # the baseline defines the region and the patches every visit is measured against: a
    # blue cast on it (linear gains 0.75 / 0.95 / 1.25) halved the repigmentation read at
    # weeks 24 and 52 on this fair forearm. As in score_photo, the cast photo is balanced
    # from its normal skin and the series tracked again, the visit flagged for review
    from vasi.pipeline import COLOUR_CAST_CORRECTED_FLAG
    from vasi.segment import COLOUR_CAST_FLAG

    s = vasi.synth.make_series(rng=5, weeks=(0, 24, 52), skin_type="I", site="forearm", shape=(450, 600))
    imgs = [v.image for v in s.visits]
    cast = [gained(imgs[0], (0.75, 0.95, 1.25)), *imgs[1:]]
    clean = track_series(imgs, weeks=[0, 24, 52], site="forearm")
    flagged = track_series(cast, weeks=[0, 24, 52], site="forearm", colour_cast="flag")
    fixed = track_series(cast, weeks=[0, 24, 52], site="forearm")
    pct = [r.visits["repigmentation_pct"].to_numpy()[1:] for r in (clean, flagged, fixed)]
    assert np.all(np.abs(pct[1] - pct[0]) > 10) and np.all(np.abs(pct[2] - pct[0]) < 3)
    assert COLOUR_CAST_FLAG in flagged.segmentations[0].flags
    assert COLOUR_CAST_FLAG not in fixed.segmentations[0].flags
    assert any(f.startswith(COLOUR_CAST_CORRECTED_FLAG) for f in fixed.segmentations[0].flags)
    (visit,) = fixed.provenance["colour_cast"]["visits"]
    assert fixed.provenance["colour_cast"]["corrected"] and visit["week"] == 0 and visit["visit_index"] == 0
    assert visit["gains"][0] > 1.0 > visit["gains"][2]
    # per-visit arguments may be iterators: the second run gets them as lists
    again = track_series(iter(cast), weeks=[0, 24, 52], site="forearm", rois=iter([None] * 3),
                         mm_per_px=(v for v in [None] * 3))
    assert np.allclose(again.visits["repigmentation_pct"], fixed.visits["repigmentation_pct"])
    assert "colour_cast" not in clean.provenance and not any(
        f.startswith(COLOUR_CAST_CORRECTED_FLAG) for seg in clean.segmentations for f in seg.flags)
    with pytest.raises(InputError, match="colour_cast"):
        track_series(imgs, weeks=[0, 24, 52], colour_cast="fix")


def test_a_follow_up_from_a_camera_with_more_pixels_is_registered():
    # the same framing at twice the pixels: its pose's scale is 1.8 in pixels, refused as
    # implausible (0.6-1.6) and the visit left unscored, although sizes may differ
    ser = vasi.synth.make_series(rng=1, weeks=(0, 24), shape=(300, 400), site="forearm",
                                 jpeg_quality=None)
    images = [v.image for v in ser.visits]
    big = cv2.resize(images[1], (800, 600), interpolation=cv2.INTER_CUBIC)
    native = track_series(images, weeks=[0, 24], site="forearm", with_patterns=False).visits
    res = track_series([images[0], big], weeks=[0, 24], site="forearm", with_patterns=False)
    v = res.visits
    assert v["registered"].all(), v["registration_reason"].tolist()
    assert v["reg_scale"].iloc[1] == pytest.approx(2 * native["reg_scale"].iloc[1], rel=0.05)
    assert v["repigmentation_pct"].iloc[1] == pytest.approx(native["repigmentation_pct"].iloc[1],
                                                            abs=4.0)
    # a pose 1.8 x larger in a frame of the same size is still implausible, in one of twice
    # the size it is not
    from vasi.register import DEFAULT_LIMITS, _Ctx, prepare

    pb = prepare(images[0])
    for pf, why in ((prepare(images[1]), "implausible scale 1.80"), (prepare(big), "")):
        ctx = _Ctx(pb, pf, None, DEFAULT_LIMITS, True, None, None)
        Hw = np.diag([1.8 * pf.scale[0] / pb.scale[0], 1.8 * pf.scale[1] / pb.scale[1], 1.0])
        assert ctx.plausible(Hw).startswith(why) and bool(ctx.plausible(Hw)) == bool(why)


def test_series_options_that_would_measure_nothing_are_refused():
    # an empty drawn region ran on to "too few keypoints"; min_contrast_ratio=5 dropped
    # every patch (NaN repigmentation, no message); baseline_index=True was visit 1
    ser = vasi.synth.make_series(rng=1, weeks=(0, 24), shape=(150, 200), site="forearm")
    images = [v.image for v in ser.visits]
    bad = [({"rois": [np.zeros((150, 200), bool), None]}, r"rois\[0\] has no pixels"),
           ({"min_contrast_ratio": 5}, r"min_contrast_ratio must be a number in \[0, 1\]"),
           ({"min_contrast_ratio": "x"}, "min_contrast_ratio must be a number"),
           ({"baseline_index": True}, "baseline_index must be an integer"),
           ({"tolerance_mm": -1}, "tolerance_mm must be a finite positive number"),
           ({"min_patch_area_mm2": float("nan")}, "min_patch_area_mm2 must be a finite")]
    for kw, msg in bad:
        with pytest.raises(InputError, match=msg):
            track_series(images, weeks=[0, 24], site="forearm", **kw)


def test_unconfirmed_depigmentation_outside_the_baseline_patches_is_not_scored(series):
    # a light spot of skin shows in every photo; the baseline's segmentation leaves it out
    # and the follow-ups' find it. The photos show it did not change (not confirmed as new),
    # so it must not enter the follow-ups' F-VASI: the baseline's score has no counterpart
    # of it and it would hide the improvement (F-VASI75 responders missed)
    images, truths, Hs, rois, _ = series
    spot = np.zeros(SHAPE, bool)
    spot[disk((300, 150), 14, shape=SHAPE)] = True
    spots = [cv2.warpPerspective(spot.view(np.uint8), H, SHAPE[::-1],
                                 flags=cv2.INTER_NEAREST) > 0 for H in Hs]
    painted = [np.where(s[..., None], (DEPIG + SKIN) / 2, im).astype(np.uint8)
               for im, s in zip(images, spots, strict=True)]
    own = _own_masks(truths, Hs)
    found = [m | (s if k else False) for k, (m, s) in enumerate(zip(own, spots, strict=True))]
    kw = dict(weeks=[0, 12, 24], rois=rois, mm_per_px=0.25, with_patterns=False)
    ref = track_series(painted, masks=own, **kw).visits
    v = track_series(painted, masks=found, **kw).visits
    assert (v["depigmented_area_px"] > ref["depigmented_area_px"] + 300).iloc[1:].all()
    extra_new = v["new_depigmentation_px"] - ref["new_depigmentation_px"]  # (the spot's rim)
    assert extra_new.between(0, 10).all()
    np.testing.assert_allclose(v["f_vasi"], ref["f_vasi"], atol=3.0 * 10 / v["assessed_area_px"].min())
    np.testing.assert_allclose(v["f_vasi_pct_change"], ref["f_vasi_pct_change"], atol=0.5)
    # baseline and follow-ups scored alike: what is left of the baseline's depigmentation
    # plus confirmed new depigmentation (this series has no untracked specks)
    scored = v["residual_area_px"] + v["new_depigmentation_px"]
    np.testing.assert_allclose(v["f_vasi"], 3.0 * scored / v["assessed_area_px"], rtol=1e-9)


def test_new_depigmentation_below_the_minimum_patch_area_is_not_counted(series, result):
    # a follow-up's segmentation has specks of a few pixels outside the baseline patches
    # (noise: the photos did not change there). Under 5 px no reference ring can check them
    # and they were all kept as new depigmentation (the sample series P001, which has none:
    # 195 px at week 52, 60 specks); new depigmentation is held to the minimum size of a
    # patch (min_patch_area_mm2, the segmentation's rule), the new macule is kept
    images, truths, Hs, rois, _ = series
    own = _own_masks(truths, Hs)
    rng = np.random.default_rng(3)
    speckled = [own[0]]
    for m, roi in zip(own[1:], rois[1:], strict=True):
        m = m.copy()
        free = roi & ~cv2.dilate(m.view(np.uint8), np.ones((15, 15), np.uint8)).view(bool)
        ys, xs = np.nonzero(free)
        for j in rng.choice(len(ys), 40, replace=False):
            m[ys[j]:ys[j] + 2, xs[j]:xs[j] + 2] = True  # 2 x 2 px = 0.25 mm2
        speckled.append(m)
    kw = dict(weeks=[0, 12, 24], rois=rois, with_patterns=False)
    v = track_series(images, masks=speckled, mm_per_px=0.25, **kw)
    np.testing.assert_array_equal(v.visits["new_depigmentation_px"],
                                  result.visits["new_depigmentation_px"])
    assert v.visits.loc[2, "new_depigmentation_px"] > 150  # the new macule (201 px)
    assert v.provenance["min_new_area_px"] == 32.0  # 2 mm2 at 0.25 mm/px
    # without a scale: the segmentation's pixel fallback (16 px at least)
    v = track_series(images, masks=speckled, **kw)
    assert v.visits.loc[1, "new_depigmentation_px"] == 0
    assert v.visits.loc[2, "new_depigmentation_px"] > 150
    assert v.provenance["min_new_area_px"] == 16.0


def test_f_vasi_unregistered_is_the_visits_own_segmentation_on_its_assessed_region():
    # a registered follow-up is assessed on the baseline region mapped into it, so its
    # f_vasi_unregistered is score_photo of the photo *on that region* (not on the photo's
    # own face region), and the data dictionary must say so (it said "the photo on its own")
    from vasi.dictionary import COLUMNS

    ser = vasi.synth.make_series(rng=41, skin_type="IV", site="face", modality="visible",
                                 shape=(450, 600), weeks=(0, 24), response=0.5)
    images = [v.image for v in ser.visits]
    res = track_series(images, weeks=list(ser.weeks), site="face", mm_per_px=0.3)
    assert res.visits["registered"].iloc[1]
    roi1 = res.segmentations[1].roi
    own = vasi.find_region(images[1], site="face")
    assert not np.array_equal(roi1, own)  # the mapped baseline region, not its own
    on_region = vasi.score_photo(images[1], site="face", roi=roi1, mm_per_px=0.3).f_vasi
    assert res.visits["f_vasi_unregistered"].iloc[1] == pytest.approx(on_region, abs=1e-9)
    text = COLUMNS["visits"]["f_vasi_unregistered"][1]
    assert "baseline's region mapped into it" in text
    assert "photo on its own" not in text

