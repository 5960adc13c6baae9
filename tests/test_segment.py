"""Depigmentation segmentation: exact drawn answers, skin types, Wood's lamp, options, speed."""


import cv2
import numpy as np
import pytest

from vasi.errors import InputError
from vasi.segment import SEGMENT_METHODS, VERY_LIGHT_FLAG, Segmentation, segment
from vasi.synth import make_photo


def _dice(a, b):
    s = a.sum() + b.sum()
    return 1.0 if s == 0 else 2 * (a & b).sum() / s


def _drawn(skin=(150, 105, 75), patch=(235, 215, 205), noise=3.0, seed=0):
    rng = np.random.default_rng(seed)
    img = np.empty((200, 260, 3), np.float64)
    img[...] = skin
    img[60:120, 80:160] = patch
    img += rng.normal(0, noise, img.shape)
    truth = np.zeros((200, 260), bool)
    truth[60:120, 80:160] = True
    return np.clip(img, 0, 255).astype(np.uint8), truth


def test_exact_on_noiseless_drawing():
    img, truth = _drawn(noise=0.0)
    seg = segment(img)
    assert isinstance(seg, Segmentation)
    assert (seg.mask == truth).all()
    assert seg.flags == ()
    assert seg.score.shape == truth.shape and seg.score.dtype == np.float32


@pytest.mark.parametrize("skin", [(225, 190, 170), (150, 105, 75), (70, 45, 30)])
def test_drawn_patch_all_skin_tones(skin):
    patch = tuple(min(255, int(c * 1.15 + 40)) for c in skin)
    img, truth = _drawn(skin=skin, patch=patch)
    seg = segment(img)
    assert _dice(seg.mask, truth) > 0.95
    assert seg.reference_lab[0] < seg.depigmented_lab[0]  # patch is lighter than reference


def test_mostly_depigmented_region_keeps_normal_skin_as_reference():
    img = np.full((120, 160, 3), (235, 215, 205), np.uint8)  # depigmented majority
    img[:, :50] = (150, 105, 75)
    seg = segment(img)
    assert seg.mask[:, 60:].all() and not seg.mask[:, :45].any()
    assert seg.reference_lab[0] < 60


@pytest.mark.parametrize("seed,skin_type", [(21, "IV"), (25, "IV")])
def test_extensive_vitiligo_on_a_photo(seed, skin_type):
    # more than half the face depigmented: normal skin is the minority colour mode
    ph = make_photo(rng=seed, skin_type=skin_type, site="face", shape=(450, 600), extent=2.5 if seed == 21 else 2.0)
    t = ph.truth
    assert t.depig_mask.sum() > 0.5 * t.roi_mask.sum()
    seg = segment(ph.image, roi=t.roi_mask)
    assert _dice(seg.mask, t.depig_mask) > 0.9


@pytest.mark.parametrize("seed,skin_type", [(7400008, "I"), (7400008, "II"), (7400010, "III")])
def test_extensive_vitiligo_on_light_skin_is_found(seed, skin_type):
    # 57-81 % of the face depigmented. Light skin loses little melanin and turns mostly pink:
    # its melanin axis alone was not clearly bimodal, so the whole (mostly depigmented) region
    # became the first reference; and normal skin's mode, looked for among the index's values
    # below half-way, fell on the depigmented mode's flank at the cut. Nothing was found
    # (Dice 0.00, 0.38, 0.00)
    ph = make_photo(rng=seed, skin_type=skin_type, site="face", shape=(450, 600), extent=2.2)
    t = ph.truth
    assert t.depig_mask.sum() > 0.5 * t.roi_mask.sum()
    seg = segment(ph.image, roi=t.roi_mask)
    assert _dice(seg.mask, t.depig_mask) > 0.8


@pytest.mark.parametrize("seed,skin_type,site", [(7300002, "III", "trunk"), (7300004, "V", "forearm"),
                                                (7300006, "I", "face"), (7300007, "II", "forearm")])
def test_skin_without_vitiligo_has_no_depigmented_class(seed, skin_type, site):
    # the lighter side of the skin's own mottle was cut off the reference, which then looked
    # narrower than the skin is: 8-18 % of these regions called depigmented (class d' 4-7).
    # (Of seeds 7300000-7300011, 7300000 and 7300001 still exceed 1 %: region contrast >= 3.5)
    ph = make_photo(rng=seed, skin_type=skin_type, site=site, shape=(450, 600), n_patches=0)
    seg = segment(ph.image, roi=ph.truth.roi_mask)
    assert seg.mask.sum() < 0.01 * ph.truth.roi_mask.sum()
    assert "no depigmentation found" in seg.flags


@pytest.mark.parametrize("seed,skin_type", [(1000, "V"), (1002, "VI")])
def test_extensive_vitiligo_under_a_woods_lamp(seed, skin_type):
    # half a face glowing: the fluorescence shows in brightness, not in the colour axis, whose
    # one mode made the whole region the first reference (nothing, or 5 %, found of 45-50 %)
    ph = make_photo(rng=seed, skin_type=skin_type, modality="woods", shape=(450, 600), extent=2.0)
    seg = segment(ph.image, roi=ph.truth.roi_mask, modality="woods")
    assert _dice(seg.mask, ph.truth.depig_mask) > 0.85


def test_a_low_sensitivity_keeps_extensive_vitiligo():
    # the region's normal skin is its mode below the index's half-way (0.5), not below the
    # sensitivity's border: at 0.2 the border (~0.85) lay above the depigmented mode of a
    # 60 %-depigmented face, which was then taken for normal skin (nothing found)
    ph = make_photo(rng=1002, skin_type="III", shape=(450, 600), extent=2.5)
    seg = segment(ph.image, roi=ph.truth.roi_mask, sensitivity=0.2)
    assert _dice(seg.mask, ph.truth.depig_mask) > 0.4


def test_no_depigmentation_is_empty_and_flagged():
    rng = np.random.default_rng(3)
    img = np.clip(np.full((120, 160, 3), (150, 105, 75)) + rng.normal(0, 3, (120, 160, 3)), 0, 255).astype(np.uint8)
    seg = segment(img)
    assert seg.mask.sum() < 0.002 * seg.mask.size
    assert "no depigmentation found" in seg.flags or seg.mask.sum() == 0


def test_illumination_gradient_does_not_create_patches():
    img, truth = _drawn()
    ramp = np.linspace(0.6, 1.1, img.shape[1])[None, :, None]
    lit = np.clip(img * ramp, 0, 255).astype(np.uint8)
    seg = segment(lit)
    assert _dice(seg.mask, truth) > 0.9


@pytest.mark.parametrize("skin_type,modality", [("VI", "visible"), ("IV", "visible"), ("III", "woods")])
def test_synthetic_photo_with_true_region(skin_type, modality):
    ph = make_photo(rng=31, skin_type=skin_type, site="forearm", modality=modality, shape=(300, 400))
    t = ph.truth
    seg = segment(ph.image, modality=modality, roi=t.roi_mask, mm_per_px=t.mm_per_px)
    assert _dice(seg.mask, t.depig_mask) > 0.75
    assert not (seg.mask & ~t.roi_mask).any()


def test_user_reference_and_sensitivity():
    img, truth = _drawn()
    ref_pt = segment(img, reference=(10, 10))
    assert _dice(ref_pt.mask, truth) > 0.95
    ref_mask = np.zeros(truth.shape, bool)
    ref_mask[150:190, 10:60] = True
    assert _dice(segment(img, reference=ref_mask).mask, truth) > 0.95
    lo, hi = segment(img, sensitivity=0.2), segment(img, sensitivity=0.8)
    assert lo.thresholds["score"] > hi.thresholds["score"]
    assert lo.mask.sum() <= hi.mask.sum()


def test_min_area_mm2_removes_specks():
    img, truth = _drawn()
    img[10:13, 10:13] = (235, 215, 205)  # 9 px speck
    assert segment(img, mm_per_px=0.5, min_area_mm2=5.0).mask[10:13, 10:13].sum() == 0


def test_twelve_megapixel_works_at_reduced_resolution_and_answers_at_full():
    """Speed is measured in benchmarks/speed.py; here the structural guarantee behind it:
    the model runs at a working resolution and the mask comes back at full resolution."""
    img, truth = _drawn()
    import cv2

    big = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_LINEAR)
    seg = segment(big)
    assert seg.mask.shape == (3000, 4000)
    assert seg.working_shape[1] <= 1024
    big_truth = cv2.resize(truth.astype(np.uint8), (4000, 3000), interpolation=cv2.INTER_NEAREST) > 0
    dice = 2 * (seg.mask & big_truth).sum() / (seg.mask.sum() + big_truth.sum())
    assert dice > 0.95


def test_errors():
    img, _ = _drawn()
    with pytest.raises(InputError, match="relative"):
        segment(img, method="unet")
    with pytest.raises(InputError, match="one value"):  # (was 'unhashable type')
        segment(img, method=np.array(["relative"]))
    with pytest.raises(InputError, match="sensitivity"):
        segment(img, sensitivity=1.5)
    with pytest.raises(InputError, match="roi"):
        segment(img, roi=np.ones((3, 3), bool))
    with pytest.raises(InputError, match="outside"):
        segment(img, reference=(999, 5))
    assert "relative" in SEGMENT_METHODS


def test_greyscale_photo_scored_under_woods_lamp_only():
    ph = make_photo(rng=32, skin_type="III", site="forearm", modality="woods", shape=(300, 400))
    t = ph.truth
    grey = np.dstack([ph.image.mean(axis=2).round().astype(np.uint8)] * 3)
    seg = segment(grey, modality="woods", roi=t.roi_mask, mm_per_px=t.mm_per_px)
    assert _dice(seg.mask, t.depig_mask) > 0.75
    assert "greyscale photo" in seg.flags
    assert "greyscale photo" not in segment(ph.image, modality="woods", roi=t.roi_mask).flags
    # in visible light the colour is what is measured: a black-and-white photo is refused,
    # also when it is stored as RGB (with JPEG's rounding) or as 16-bit or float
    img, _ = _drawn()
    bw = np.dstack([img.mean(axis=2)] * 3)
    bw[::2, ::3, 0] += 2.0
    for arr in (bw.astype(np.uint8), (bw * 257).astype(np.uint16), bw / 255.0):
        with pytest.raises(InputError, match="greyscale.*modality='woods'"):
            segment(arr, modality="visible")
    segment(img, modality="visible")  # the colour original is scored


def test_empty_region():
    img, _ = _drawn()
    seg = segment(img, roi=np.zeros(img.shape[:2], bool))
    assert seg.flags == ("empty region",) and not seg.mask.any()


def test_min_contrast_rejects_faint_classes():
    img, truth = _drawn(skin=(200, 170, 150), patch=(206, 178, 162), noise=3.0)
    loose = segment(img, min_contrast=0.5)
    strict = segment(img, min_contrast=50.0)
    assert strict.mask.sum() == 0 and "no depigmentation found" in strict.flags
    assert loose.mask.sum() >= strict.mask.sum()
    with pytest.raises(InputError, match="min_contrast"):
        segment(img, min_contrast=-1)


def test_full_resolution_outputs_built_on_demand_match_the_box():
    """score / reference are stored as a box map and built on first read: the frame is 0
    (score) / False (reference) outside the region's box, the mask is the thresholded score
    inside the region, and a pickled result rebuilds the same arrays."""
    import pickle

    from vasi.reference import BoxMap

    img = np.full((900, 1200, 3), (150, 105, 75), np.uint8)
    img[300:420, 500:640] = (235, 215, 205)
    img = np.clip(img + np.random.default_rng(3).normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    roi = np.zeros((900, 1200), bool)
    roi[200:600, 400:800] = True
    seg = segment(img, roi=roi, max_side=128)
    assert isinstance(seg.score_map, BoxMap)  # not built yet
    copy = pickle.loads(pickle.dumps(seg))
    score, ref = seg.score, seg.reference
    assert isinstance(seg.score_map, np.ndarray) and seg.score is score  # built once
    assert score.shape == roi.shape and score.dtype == np.float32
    assert ref.shape == roi.shape and ref.dtype == bool and not (ref & ~roi).any()
    assert not score[:100].any() and not score[:, :300].any()  # outside the box
    assert np.array_equal(seg.mask, (score > seg.thresholds["score"]) & roi)
    assert np.array_equal(copy.score, score) and np.array_equal(copy.reference, ref)
    assert _dice(seg.mask, np.pad(np.ones((120, 140), bool), ((300, 480), (500, 560)))) > 0.95
    # a result built from plain arrays keeps them
    plain = Segmentation(seg.mask, roi, score, seg.reference_lab)
    assert plain.score is score and plain.reference is None


def test_light_background_does_not_leak_into_the_region_border():
    # a skin block on a light wall, region = the block exactly, analysed at 1/4 resolution:
    # the border pixels must not inherit the wall's "depigmented" look through upsampling
    rng = np.random.default_rng(3)
    img = np.empty((1202, 1602, 3), np.float64)
    img[...] = (238, 236, 230)
    roi = np.zeros(img.shape[:2], bool)
    roi[201:1003, 199:1401] = True
    img[roi] = (170, 120, 90)
    truth = np.zeros_like(roi)
    truth[500:700, 600:900] = True
    img[truth] = (240, 222, 212)
    img += rng.normal(0, 3.0, img.shape)
    seg = segment(np.clip(img, 0, 255).astype(np.uint8), roi=roi)
    assert seg.working_shape[0] < 400
    inner = np.zeros_like(roi)
    inner[205:999, 203:1397] = True
    assert not (seg.mask & ~inner).any()  # no band along the region's edge
    assert _dice(seg.mask, truth) > 0.97


def test_depigmentation_direction_never_rests_on_texture_alone():
    # a block far smoother than normal skin but barely lighter: the learnt direction may use
    # smoothness, but never more than lightness and colour together
    from vasi.levels import _upper_mode

    rng = np.random.default_rng(5)
    X = rng.normal(0.0, 1.0, (120, 160, 3)).astype(np.float32)
    block = np.zeros((120, 160), bool)
    block[40:80, 60:110] = True
    X[block] += np.array([1.5, 1.5, 8.0], np.float32)
    roi = np.ones_like(block)
    model = _upper_mode(X, roi, ~block, roi, np.array([1.0, 1.0, 0.5]), 16, 0.5)
    assert model is not None and model["core"][block].mean() > 0.5
    w = model["w"].astype(float)
    assert w[2] <= np.linalg.norm(w[:2]) + 1e-6


def test_a_partly_repigmented_face_keeps_its_lace_with_the_pixel_size_known():
    # the sample patient's week 24: residual patches are lace around pigmented islands. With
    # the marker's pixel size the local statistics were taken over 1 mm (2.2 working px here,
    # against 1.2 without it), the learnt direction took smoothness at that scale, which lace
    # lacks, and most of it was lost (Dice 0.69; 0.90 without the pixel size)
    from pathlib import Path

    from vasi.io import read_photo

    root = Path(__file__).resolve().parents[1] / "sample_images"
    truth = {k: cv2.imread(str(root / "truth" / "P001" / "week24" / f"{k}_mask.png"), cv2.IMREAD_GRAYSCALE) > 0
             for k in ("depig", "roi")}
    image = read_photo(root / "photos" / "P001" / "week24" / "face_visible.jpg").image
    seg = segment(image, roi=truth["roi"], mm_per_px=0.451)  # (the marker's: 0.441-0.451)
    assert _dice(seg.mask, truth["depig"]) > 0.85
    assert seg.thresholds["min_area_px"] == pytest.approx(2.0 / 0.451**2)  # (the scale's use)


def test_woods_patch_far_from_the_lamp_is_found_whole():
    # Under a Wood's lamp normal dark skin is nearly black, so the lamp's fall-off shows only
    # on the fluorescent patches: a patch at 30 % of the light is still fully depigmented.
    # (Without the local depigmented level 40 % of the far patch was found.)
    rng = np.random.default_rng(7)
    h, w = 240, 360
    lin = np.empty((h, w, 3), np.float32)
    lin[:] = (0.006, 0.004, 0.012)
    truth = np.zeros((h, w), bool)
    truth[60:180, 30:130] = True   # near the lamp
    truth[80:160, 240:320] = True  # far from it
    lin[truth] = (0.30, 0.40, 0.85)
    lin *= np.linspace(1.0, 0.3, w, dtype=np.float32)[None, :, None]
    lin *= rng.normal(1.0, 0.08, (h, w, 1)).astype(np.float32)
    srgb = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.clip(lin, 0, None) ** (1 / 2.4) - 0.055)
    img = np.clip(srgb * 255 + rng.normal(0, 1.5, srgb.shape), 0, 255).astype(np.uint8)
    seg = segment(img, modality="woods")
    far = truth.copy()
    far[:, :200] = False
    assert (seg.mask & far).sum() / far.sum() > 0.95
    assert (seg.mask & ~truth).sum() < 0.01 * truth.sum()


@pytest.mark.parametrize("order,tol", [(0, None), (1, 0.04)])
def test_illumination_field_continues_the_light_through_left_out_skin(order, tol):
    # the normal skin's field is fitted where the reference is (weights) and read where it
    # is not: inside patches and beyond the reference's edge. A light gradient must carry
    # on there (a local plane); a local mean flattens it towards the nearer side.
    from vasi.reference import smooth_field

    ramp = np.tile(np.linspace(0.0, 1.0, 200), (100, 1)) + np.linspace(0.0, 0.5, 100)[:, None]
    weights = np.ones_like(ramp)
    weights[30:70, 60:140] = 0  # a patch left out of the reference
    weights[:, 185:] = 0  # and skin past the reference's edge
    field = smooth_field(ramp, weights, 10.0, fallback=0.5, order=order)
    err = np.abs(field - ramp)
    worst = max(err[30:70, 60:140].max(), err[:, 185:190].max())
    if tol is None:  # the local mean (order 0) is the comparison: it cannot follow the light
        assert worst > 0.06
    else:
        assert worst < tol
        assert err[weights > 0].max() < tol


@pytest.mark.parametrize("sigma", [3.0, 40.0, 90.0])
def test_illumination_field_on_a_grid_that_follows_sigma_is_the_fine_grid_field(sigma, monkeypatch):
    # a wide field is computed on a coarser grid (a few points per sigma, for speed); it
    # must stay the field of the fine (long side ``grid``) one
    import cv2

    from vasi import reference

    rng = np.random.default_rng(0)
    values = cv2.GaussianBlur(rng.standard_normal((390, 360)).astype(np.float32), (0, 0), 25.0) * 20
    weights = (rng.random(values.shape) < 0.7).astype(np.float32)
    weights[100:220, 80:260] = 0  # a patch left out of the reference
    field = reference.smooth_field(values, weights, sigma, fallback=0.0, order=1)
    monkeypatch.setattr(reference, "GRID_PER_SIGMA", np.inf)
    fine = reference.smooth_field(values, weights, sigma, fallback=0.0, order=1)
    assert np.abs(field - fine).max() < 0.05 * float(fine.max() - fine.min())


@pytest.mark.parametrize("order", [0, 1])
def test_illumination_fields_through_shared_weights_are_each_planes_own(order):
    # smooth_fields computes the weights' terms once for several planes: the same values,
    # bit for bit, as one smooth_field per plane
    from vasi.reference import smooth_field, smooth_fields

    rng = np.random.default_rng(1)
    planes = [rng.standard_normal((120, 150)).astype(np.float32) for _ in range(2)]
    weights = (rng.random((120, 150)) < 0.6).astype(np.float32)
    together = smooth_fields(planes, weights, 30.0, fallbacks=[0.1, -0.2], order=order)
    alone = [smooth_field(p, weights, 30.0, fallback=f, order=order) for p, f in zip(planes, [0.1, -0.2], strict=True)]
    assert all(np.array_equal(a, b) for a, b in zip(together, alone, strict=True))
    assert not np.array_equal(*together)


def test_illumination_field_order_is_checked():
    from vasi.reference import smooth_field

    with pytest.raises(InputError, match="order"):
        smooth_field(np.zeros((10, 10)), np.ones((10, 10)), 2.0, fallback=0.0, order=2)


def test_very_light_skin_in_visible_light_is_flagged():
    # ITA > 55 degrees ("very light", Fitzpatrick I): depigmentation barely shows without a
    # Wood's lamp; the flag says so. Light-brown skin and Wood's lamp photos are not flagged.
    from vasi.color import ita_degrees
    from vasi.segment import VERY_LIGHT_FLAG

    fair, _ = _drawn(skin=(236, 205, 188), patch=(244, 232, 226))
    tan, _ = _drawn()
    seg_fair = segment(fair, modality="visible")
    assert ita_degrees(np.array(seg_fair.reference_lab)) > 55
    assert VERY_LIGHT_FLAG in seg_fair.flags
    assert VERY_LIGHT_FLAG not in segment(tan, modality="visible").flags
    assert VERY_LIGHT_FLAG not in segment(fair, modality="woods").flags
    # a washed-out photo of darker skin is flagged overexposed, not very light
    washed = np.clip(tan.astype(float) * 1.9, 0, 255).astype(np.uint8)
    flags = segment(washed, modality="visible").flags
    assert "overexposed" in flags and VERY_LIGHT_FLAG not in flags


@pytest.mark.parametrize("skin", [(225, 190, 170), (200, 160, 140)])
def test_a_colour_cast_is_flagged_and_a_warm_one_or_a_balanced_photo_is_not(skin, gained):
    # a camera set for warmer light than the scene's (a blue cast: linear gains 0.75 /
    # 0.95 / 1.25) leaves light skin grey-blue (b* 0-3 at L* 66-76), which no skin type
    # is; the flag says so (and not "very light skin", which only the cast's low b*
    # suggests), and it is a review flag
    from vasi.color import CAST_MIN_B
    from vasi.pipeline import review_flags
    from vasi.segment import COLOUR_CAST_FLAG, VERY_LIGHT_FLAG

    img, _ = _drawn(skin=skin, patch=(240, 224, 214))  # a patch the cast does not clip
    cool = segment(gained(img, (0.75, 0.95, 1.25)))
    assert "overexposed" not in cool.flags  # (which would keep "very light" out too)
    assert COLOUR_CAST_FLAG in cool.flags and VERY_LIGHT_FLAG not in cool.flags
    L, _, b = cool.reference_lab
    assert b / (L + 16.0) < CAST_MIN_B
    assert review_flags(cool.flags) == (COLOUR_CAST_FLAG,)
    for ok in (img, gained(img, (1.2, 1.0, 0.65))):
        assert COLOUR_CAST_FLAG not in segment(ok).flags
    assert COLOUR_CAST_FLAG not in segment(gained(img, (0.75, 0.95, 1.25)), modality="woods").flags


@pytest.mark.parametrize("skin", [(225, 190, 170), (80, 58, 45)])
def test_exposure_alone_never_raises_the_colour_cast_flag(skin, gained):
    # the test reads a* and b* per unit of L* + 16, which exposure leaves unchanged: dark
    # skin photographed 2 stops under (b* 12 -> 7) is not "cast"; and normal skin
    # clipped at the sensor's ceiling is grey because its colour is lost, not because the
    # light was blue: "overexposed" says so, the cast flag does not
    from vasi.segment import COLOUR_CAST_FLAG

    patch = tuple(min(255, int(c * 1.15 + 40)) for c in skin)
    img, _ = _drawn(skin=skin, patch=patch)
    assert COLOUR_CAST_FLAG not in segment(gained(img, (0.25, 0.25, 0.25))).flags
    washed = segment(np.clip(img.astype(float) * (1.9 if skin[0] > 200 else 4.0), 0, 255).astype(np.uint8))
    assert "overexposed" in washed.flags and COLOUR_CAST_FLAG not in washed.flags


def test_no_flag_holds_the_separator_of_flag_lists():
    # tables and PhotoScore.to_dict() join flags with ";" (the data dictionary's
    # "quality_flags"): a flag holding one would read back as two
    import importlib

    import vasi.pipeline as pipeline
    import vasi.roi as roi

    seg = importlib.import_module("vasi.segment")  # (the package's "segment" is the function)

    texts = [getattr(m, k) for m in (seg, pipeline) for k in dir(m) if k.endswith("_FLAG")]
    texts += list(pipeline.REVIEW_FLAGS) + list(pipeline.UNSCORED_FLAGS) + [roi.LITTLE_SKIN]
    texts += [f for fl in roi._METHOD_FLAGS.values() for f in fl]
    assert seg.COLOUR_CAST_FLAG in texts and len(texts) > 10
    assert not [t for t in texts if ";" in t]


def test_working_image_keeps_the_full_working_resolution_of_a_small_photo():
    # an integer decimation factor is OpenCV's fast path, but for a box of 1025-1536 px it
    # cost up to a third of the working resolution (1200 px -> 400, not 512): lace-like
    # residual patches on a forearm vanished (development forearm: Dice 0.49 -> 0.82)
    from vasi.reference import working_image

    s, _, _, k = working_image(np.zeros((900, 1200, 3), np.uint8), max_side=512)
    assert s.shape == (384, 512, 3) and k == pytest.approx(0.4267, abs=1e-3)
    s, _, _, k = working_image(np.zeros((3000, 4000, 3), np.uint8), max_side=512)
    assert s.shape == (375, 500, 3) and k == 0.125  # large photos keep the fast path


@pytest.mark.parametrize("seed,background", [(600002, "busy"), (500050, "dark")])
def test_faint_depigmentation_is_analysed_at_the_scale_where_it_stands_out(seed, background, monkeypatch):
    # fair (type I) forearms in visible light: depigmented and normal skin separate by
    # ~9 s.d. (Dice 0.88; before the pink feature ~3 s.d., Dice 0.44 and 0.18 at one
    # working scale). Treated as low contrast, the photo is analysed again on a coarser
    # working image, where more of the skin's texture averages out, and the scale with the
    # larger separation is kept
    import importlib

    seg_mod = importlib.import_module("vasi.segment")  # the module (vasi.segment is the function)
    ph = make_photo(rng=seed, skin_type="I", site="forearm", modality="visible",
                    background=background, shape=(900, 1200))
    t = ph.truth.depig_mask
    fine = segment(ph.image, roi=ph.truth.roi_mask)
    assert _dice(fine.mask, t) > 0.8
    assert max(fine.working_shape) == 512 and fine.contrast > seg_mod.LOW_CONTRAST
    coarse = segment(ph.image, roi=ph.truth.roi_mask, max_side=round(seg_mod.COARSE * 512))
    monkeypatch.setattr(seg_mod, "LOW_CONTRAST", 1e3)
    kept = segment(ph.image, roi=ph.truth.roi_mask)
    assert coarse.contrast > fine.contrast
    assert kept.working_shape == coarse.working_shape and kept.contrast == coarse.contrast
    assert _dice(kept.mask, t) > 0.8


def test_pixel_sized_pigmented_dots_survive_when_the_noise_allows():
    # perifollicular islands of 2 x 2 px inside a fluorescent patch: the fine index's 3 x 3
    # median filled every one of them (and so the mask counted them as depigmented); the
    # median is now skipped when the unfiltered index is itself quiet enough for a
    # pixel-level decision
    import cv2

    rng = np.random.default_rng(1)
    img = np.empty((300, 400, 3), np.float32)
    img[:] = (40, 38, 80)
    patch = np.zeros((300, 400), np.uint8)
    cv2.ellipse(patch, (200, 150), (120, 90), 0, 0, 360, 1, -1)
    patch = patch.astype(bool)
    img[patch] = (150, 165, 235)
    dots = np.zeros_like(patch)
    for y in range(90, 212, 8):
        for x in range(110, 292, 8):
            if patch[y, x] and patch[y + 1, x + 1]:
                dots[y:y + 2, x:x + 2] = True
    img[dots] = (40, 38, 80)
    img = np.clip(img + rng.normal(0, 5, img.shape), 0, 255).astype(np.uint8)
    seg = segment(img, modality="woods")
    assert (dots & ~seg.mask).sum() > 0.9 * dots.sum()  # before: 0
    truth = patch & ~dots
    assert 2 * (seg.mask & truth).sum() / (seg.mask.sum() + truth.sum()) > 0.99


def _srgb8(lin):
    from vasi.color import linear_to_srgb

    return (linear_to_srgb(lin) * 255 + 0.5).astype(np.uint8)


def _textured_skin_with_patch(rng):
    """Melanin-textured skin (linear RGB, 240 x 320) with a depigmented (pink) disc:
    ``(lin, yy, xx, patch)``."""
    import cv2

    yy, xx = np.mgrid[0:240, 0:320]
    mel = cv2.GaussianBlur(rng.standard_normal((240, 320)).astype(np.float32), (0, 0), 1.5) * 0.6
    lin = np.array([0.42, 0.27, 0.18], np.float32) * np.exp(-mel[..., None] * np.float32([0.55, 0.85, 1.2]))
    patch = (yy - 120) ** 2 + (xx - 90) ** 2 < 35**2
    lin[patch] = np.float32([0.66, 0.47, 0.42]) * (1 + 0.02 * rng.standard_normal((patch.sum(), 1)))
    return lin, yy, xx, patch


@pytest.mark.parametrize("seed", [3, 4])
def test_specular_shine_is_not_depigmentation(seed):
    # melanin-textured skin with a depigmented (pink) patch and a shine spot: white light
    # added to the skin, as light and as far along the melanin colour axis as the patch,
    # but with the skin's own hue
    rng = np.random.default_rng(seed)
    lin, yy, xx, patch = _textured_skin_with_patch(rng)
    shine = np.exp(-(((yy - 120) / 14.0) ** 2 + ((xx - 230) / 22.0) ** 2))
    lin += 0.22 * shine[..., None]
    seg = segment(_srgb8(lin + 0.004 * rng.standard_normal(lin.shape)))
    assert seg.mask[patch].mean() > 0.95
    assert seg.mask[shine > 0.5].mean() < 0.05  # 0.85 without the pink feature


def test_very_light_skin_depigmentation_is_seen_in_its_hue():
    # Fitzpatrick I in visible light: little melanin to lose, so light and the blue/red ratio
    # barely change; the hue turns from yellowish to pink (mean Dice 0.59 without the pink
    # feature on these photos)
    dice = []
    for site in ("forearm", "face"):
        for seed in range(910001, 910005):
            p = make_photo(rng=seed, skin_type="I", modality="visible", site=site, shape=(480, 640))
            dice.append(_dice(segment(p.image, roi=p.truth.roi_mask).mask, p.truth.depig_mask))
    assert np.mean(dice) > 0.68


def test_a_real_face_without_vitiligo_shows_little_depigmentation():
    # skimage's astronaut: fair skin, shine on the forehead, no vitiligo. Shine keeps the
    # skin's hue, so it is not taken for depigmentation (7.9 % of the face before the pink
    # feature, 2.2 % with it: a small spot and the lighter skin under one eye)
    from skimage.data import astronaut

    from vasi import score_photo

    r = score_photo(astronaut(), site="face")
    assert r.assessed_area_px > 4000
    assert r.depigmented_fraction < 0.04


def test_pink_supports_the_depigmentation_direction_but_does_not_lead_it():
    # standardised features (lum, mel, pink, texture): a depigmented patch is lighter, has
    # less melanin and is pinker still; a flushed area is only pinker. Left free, the learnt
    # direction turns to pink and takes the flush for depigmentation (as the ears and
    # flushed cheeks of development face 1100005 were: Dice 0.51); with the pink weight
    # capped at that of lightness and melanin together (skin with melanin to lose) it does
    # not. Very light skin keeps the pink free: see the type I forearm tests above
    from vasi.levels import PINK_MAX_WEIGHT, _upper_mode

    rng = np.random.default_rng(3)
    X = rng.normal(0, 1, (120, 160, 4)).astype(np.float32)
    yy, xx = np.mgrid[:120, :160]
    patch = (yy - 60) ** 2 + (xx - 40) ** 2 < 22 ** 2
    flush = (yy - 60) ** 2 + (xx - 115) ** 2 < 25 ** 2
    X[patch] += np.float32([2.0, 2.0, 3.0, 0.0])
    X[flush] += np.float32([0.0, 0.0, 3.0, 0.0])
    everywhere = np.ones((120, 160), bool)
    found = {}
    for cap in (None, PINK_MAX_WEIGHT):
        m = _upper_mode(X, everywhere, everywhere, everywhere, np.array([1.0, 1.0, 1.0, 0.5]), 16, 0.5,
                        pink_cap=cap)
        above = X @ m["w"] > 0.5 * (m["p0"] + m["p1"])
        found[cap] = (above[patch].mean(), above[flush].mean(), m["w"])
    assert found[None][1] > 0.6  # free: the flush is taken
    patch_frac, flush_frac, w = found[PINK_MAX_WEIGHT]
    assert patch_frac > 0.9 and flush_frac < 0.3
    assert w[2] <= PINK_MAX_WEIGHT * np.linalg.norm(w[:2]) + 1e-6


@pytest.mark.parametrize("seed", [3, 4])
def test_dark_background_inside_the_region_is_not_depigmentation(seed):
    # a region's outline at working resolution bridges the gap between two fingers: the
    # dark background seen there is inside the region. Near grey, its hue (the pink
    # feature) is meaningless and huge, and it was called depigmented (a benchmark
    # forearm series: 1100 px of finger gaps that never "repigment", so the % repigmentation
    # was underestimated); depigmented skin is never that much darker than normal skin
    rng = np.random.default_rng(seed)
    lin, yy, xx, patch = _textured_skin_with_patch(rng)
    gap = (np.abs(yy - 120) < 4) & (xx > 220)
    lin[gap] = np.float32([0.05, 0.05, 0.07])
    seg = segment(_srgb8(lin + 0.004 * rng.standard_normal(lin.shape)))
    assert seg.mask[patch].mean() > 0.95
    assert seg.mask[gap].mean() < 0.05


def test_result_masks_are_read_only():
    # a result cannot contradict itself: writing into seg.mask changed depigmented_fraction
    # (computed when read) but not the areas stored from it
    img, _ = _drawn()
    seg = segment(img)
    for a in (seg.mask, seg.roi):
        with pytest.raises(ValueError, match="read-only"):
            a[0, 0] = True
    edited = seg.mask & ~seg.mask  # a copy is edited instead
    assert edited.flags.writeable and not edited.any()
    import copy
    import pickle

    for back in (pickle.loads(pickle.dumps(seg)), copy.deepcopy(seg)):
        assert not back.mask.flags.writeable and not back.roi.flags.writeable
        np.testing.assert_array_equal(back.mask, seg.mask)
    # the arrays a result is built from stay the caller's to write
    m, r = np.zeros((4, 4), bool), np.ones((4, 4), bool)
    Segmentation(m, r, np.zeros((4, 4), np.float32), (0.0, 0.0, 0.0))
    m[0, 0] = r[0, 0] = True


def test_working_size_is_max_side_as_in_register_and_the_old_name_warns():
    img, _ = _drawn()
    small = segment(img, max_side=128)
    assert max(small.working_shape) <= 128
    with pytest.warns(DeprecationWarning, match="work_side= is now called max_side="):
        old = segment(img, work_side=128)
    np.testing.assert_array_equal(old.mask, small.mask)


def test_old_and_new_option_names_together_are_refused_even_at_the_default():
    img, _ = _drawn()
    with pytest.raises(InputError, match="give max_side= only"):
        segment(img, max_side=512, work_side=128)  # (512 is the default: it was dropped)


def test_cores_that_differ_in_pink_alone_give_no_direction():
    # visible light: the pink weight is capped by the lightness and melanin weights; cores
    # that differ from the reference skin in pink alone leave no new direction (the
    # weights were all zero and the direction 0 / 0): the direction so far stands, and
    # before any was learnt there is none
    from vasi.levels import _upper_mode

    rng = np.random.default_rng(0)
    X = np.zeros((80, 80, 4), np.float32)
    X[..., 2] = rng.normal(0.0, 1.0, (80, 80))
    patch = np.zeros((80, 80), bool)
    patch[25:55, 25:55] = True
    X[patch, 2] += 8.0
    everywhere = np.ones((80, 80), bool)
    out = _upper_mode(X, everywhere, ~patch, everywhere, np.array([1.0, 1.0, 1.0, 0.2]), 10, 1.0,
                      pink_cap=0.5)
    assert out is None


def test_half_way_border_does_not_depend_on_where_the_light_falls():
    """The border (a linear-light blend half-way between normal and depigmented skin) is
    found from the two colours under the same light: a patch in shade is not a darker one.
    Before, the threshold followed the light's fall-off across the photo (0.638-0.661)."""
    rng = np.random.default_rng(0)
    normal, depig = np.float32([0.55, 0.30, 0.19]), np.float32([0.80, 0.61, 0.52])
    d = np.zeros((300, 400), np.float32)
    d[50:125, 50:150] = 1.0
    d[175:250, 225:325] = 1.0
    lin = depig * d[..., None] + normal * (1 - d[..., None])
    lin *= 1 + 0.04 * rng.standard_normal((300, 400, 1)).astype(np.float32)
    roi = np.zeros((300, 400), bool)
    roi[25:275, 25:375] = True
    thr = {}
    for fall in (-0.3, 0.0, 0.3):  # log light across the width: 0.74-1.35x
        lit = lin * np.exp(np.float32(fall) * np.linspace(-1, 1, 400, dtype=np.float32))[None, :, None]
        seg = segment(_srgb8(np.clip(lit, 0, 1)), roi=roi)
        assert _dice(seg.mask, d > 0.5) > 0.97
        thr[fall] = seg.thresholds["score"]
    assert max(thr.values()) - min(thr.values()) < 0.005, thr


def test_a_faint_patch_in_shade_is_still_seen():
    """The "could anyone see it" check (CIEDE2000 >= 2 between the patch and normal skin)
    compares the two under the same light: a patch of Delta E 6 where the light is 0.8x
    that on the skin around it was taken for one of Delta E 1.9 and dropped (Dice 0)."""
    rng = np.random.default_rng(0)
    normal, depig = np.float32([0.55, 0.30, 0.19]), np.float32([0.68, 0.40, 0.27])
    d = np.zeros((300, 400), np.float32)
    d[100:200, 35:115] = 1.0
    lin = depig * d[..., None] + normal * (1 - d[..., None])
    lin *= 1 + 0.02 * rng.standard_normal((300, 400, 1)).astype(np.float32)
    lin *= np.exp(np.float32(0.4) * np.linspace(-1, 1, 400, dtype=np.float32))[None, :, None]
    roi = np.zeros((300, 400), bool)
    roi[25:275, 25:375] = True
    seg = segment(_srgb8(np.clip(lin, 0, 1)), roi=roi)
    assert _dice(seg.mask, d > 0.5) > 0.97, seg.flags


def test_a_working_size_or_options_that_would_do_nothing_are_refused():
    # max_side=20 found nothing (F-VASI 0.0, unflagged); lightness-otsu ignored the options
    ph = make_photo(rng=1, site="face", shape=(240, 320))
    for side in (20, 0, float("nan"), "512"):
        with pytest.raises(InputError, match="max_side must be at least 64 px"):
            segment(ph.image, roi=ph.truth.roi_mask, max_side=side)
    with pytest.raises(InputError, match=r"does not use \['sensitivity', 'reference'\]"):
        segment(ph.image, method="lightness-otsu", sensitivity=0.9, reference=ph.truth.depig_mask)
    with pytest.raises(InputError, match="sensitivity must be a number"):
        segment(ph.image, method="lightness-otsu", sensitivity=np.array([0.5, 0.6]))
    assert segment(ph.image, method="lightness-otsu").mask.shape == ph.image.shape[:2]


@pytest.mark.parametrize("seed,site,modality", [(4, "face", "visible"), (7, "face", "visible"),
                                                (8, "face", "woods"), (4, "forearm", "visible"),
                                                (6, "forearm", "visible"), (4, "forearm", "woods")])
def test_a_given_reference_recovers_mostly_depigmented_skin(seed, site, modality):
    # 79-98 % of a type IV face / forearm depigmented, the normal skin given: the region
    # contrast test took its normal skin from the index below half-way, mostly partly
    # depigmented skin (d' 1.0-2.1 < 3.5), and dropped everything ("no depigmentation
    # found"); the user's normal skin is its baseline now
    ph = make_photo(rng=seed, shape=(450, 600), site=site, skin_type="IV", modality=modality,
                    extent=3.5 if site == "face" else 3.0, n_patches=8)
    t = ph.truth
    assert t.depig_mask.sum() > 0.75 * t.roi_mask.sum()
    seg = segment(ph.image, roi=t.roi_mask, modality=modality, reference=t.reference_mask & t.roi_mask)
    assert _dice(seg.mask, t.depig_mask) > 0.8
    assert "no depigmentation found" not in seg.flags and VERY_LIGHT_FLAG not in seg.flags


def test_a_reference_point_recovers_a_mostly_depigmented_forearm():
    ph = make_photo(rng=4, shape=(450, 600), site="forearm", skin_type="IV", extent=3.0, n_patches=8)
    t = ph.truth
    depth = cv2.distanceTransform((t.reference_mask & t.roi_mask).astype(np.uint8), cv2.DIST_L2, 5)
    point = np.unravel_index(np.argmax(depth), depth.shape)  # the middle of its normal skin
    seg = segment(ph.image, roi=t.roi_mask, reference=point)
    assert _dice(seg.mask, t.depig_mask) > 0.8
    assert "reference skin too small" not in seg.flags  # (a point is small by design)


def test_reference_skin_too_small_is_about_the_automatic_reference():
    # a review flag: raised when the automatic reference finds little normal skin, not
    # for the small disk around a point the user gave (it was raised on every point)
    # (the whole frame, no region: this face's automatic reference is ~2 % of it, well
    # under the flag's 5 %; seed 5's, at 4.8 %, moved across with the border's placement)
    ph = make_photo(rng=1, shape=(450, 600), site="face", skin_type="IV")
    t = ph.truth
    auto = segment(ph.image)
    assert np.asarray(auto.reference, bool).mean() < 0.04
    assert "reference skin too small" in auto.flags
    depth = cv2.distanceTransform((t.reference_mask & t.roi_mask).astype(np.uint8), cv2.DIST_L2, 5)
    point = np.unravel_index(np.argmax(depth), depth.shape)
    assert "reference skin too small" not in segment(ph.image, reference=point).flags


def test_reference_median_is_numpys_median_bit_for_bit():
    # segmentation takes its many medians with reference.median (faster); the values must
    # stay np.median's: odd and even sizes, ties, NaN and inf, strided samples, both floats
    from vasi.reference import median

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for n in (1, 2, 3, 4, 7, 200, 5000, 5001):
            for kind in ("normal", "ties", "nan", "inf"):
                a = rng.normal(size=(n, 3)).astype(dtype)
                if kind == "ties":
                    a = np.round(a * 2)
                elif n > 2:
                    a[rng.integers(n), rng.integers(3)] = np.nan if kind == "nan" else np.inf
                for v in (a, a[::2], a[:, 1], a[min(1, n - 1):, 2]):
                    expected = np.median(v, axis=0)
                    got = median(v)
                    assert type(got) is type(expected) and np.asarray(got).dtype == np.asarray(expected).dtype
                    assert np.array_equal(got, expected, equal_nan=True)


def test_a_hypochromic_rim_around_a_patch_is_not_called_depigmented():
    # A trichrome patch under a Wood's lamp: a 6-px rim at 42 % of the way (in linear light)
    # from normal skin to the patch, just under the half-way border. Against the global
    # half-way its noise carried 15-19 % of it across (seeds 5-7); the border between the
    # rim and the patch is placed half-way between those two levels. A patch without a rim
    # keeps its border.
    rng = np.random.default_rng(6)
    h, w = 300, 420
    yy, xx = np.mgrid[0:h, 0:w]
    normal, depig = np.float32([0.006, 0.004, 0.012]), np.float32([0.30, 0.40, 0.85])
    r1, r2 = np.hypot(yy - 150, xx - 110), np.hypot(yy - 150, xx - 310)
    rimmed, plain, rim = r1 < 60, r2 < 60, (r1 >= 60) & (r1 < 66)
    lin = np.empty((h, w, 3), np.float32)
    lin[:] = normal
    lin[rimmed | plain] = depig
    lin[rim] = 0.58 * normal + 0.42 * depig
    lin *= rng.normal(1.0, 0.15, (h, w, 1)).astype(np.float32)
    img = np.clip(_srgb8(np.clip(lin, 0, 1)) + rng.normal(0, 1.5, lin.shape), 0, 255).astype(np.uint8)
    seg = segment(img, modality="woods")
    assert (seg.mask & rim).sum() < 0.1 * rim.sum()  # before: 0.145
    assert _dice(seg.mask & (xx < 210), rimmed) > 0.99  # before: 0.985
    assert _dice(seg.mask & (xx >= 210), plain) > 0.98


def test_the_local_border_on_the_masks_rows_equals_the_whole_frames(monkeypatch):
    # _local_border works on the rows its bands can reach (levels._border_rows): bit for
    # bit what the whole frame gives, with the mask in the middle or at a frame edge (in
    # visible light the cores' index is read on the whole frame: the skin's spread there)
    from vasi import levels

    rng = np.random.default_rng(3)
    h, w = 160, 90
    cols = np.float64([[0.1, 0.08, 0.06], [0.4, 0.38, 0.36]])
    for rows in (slice(60, 90), slice(0, 25), slice(140, 160)):
        sd = np.where(np.arange(h) < 100, 0.15, 0.05)[:, None]  # less noisy skin below, out of some cuts
        index = rng.normal(0.0, sd, (h, w)).astype(np.float32)
        index[rows, 20:70] += rng.uniform(0.5, 1.2, (rows.stop - rows.start, 50)).astype(np.float32)
        roi = np.ones((h, w), bool)
        roi[:, :3] = False
        model = {"core": index > 0.8, "w": np.float32([1, 0, 0, 0]), "core_z": np.zeros(4)}
        args = (cols, model, np.ones(4), "visible", 0.5)
        cut = levels._local_border(index, 0.6, roi, *args)
        with monkeypatch.context() as m:
            m.setattr(levels, "_border_rows", lambda mask: slice(0, mask.shape[0]))
            whole = levels._local_border(index, 0.6, roi, *args)
        assert levels._border_rows((index > 0.6) & roi) != slice(0, h)  # (rows were cut)
        assert not np.array_equal(whole, index)
        assert np.array_equal(cut, whole)


def test_untreated_patches_in_visible_light_keep_their_area():
    # Untreated patches in visible light came out inside their true edge: the half-way
    # level was taken against the patch cores' median colour, but the index's 1 is their
    # 90th percentile, so the border stood above the edge ramp's middle (and a band just
    # outside the border read the ramp, not the skin beyond). Twelve untreated photos, the
    # true region given: median signed area error -0.069 before, -0.030 after.
    from vasi import score_photo

    errors = []
    for seed, skin_type in zip(range(31, 37), ("I", "II", "III", "IV", "V", "VI"), strict=True):
        for site in ("face", "forearm"):
            ph = make_photo(rng=seed, skin_type=skin_type, modality="visible", site=site, repigmented=0.0,
                            shape=(600, 800))
            res = score_photo(ph.image, site="face" if site == "face" else "body", modality="visible",
                              roi=ph.truth.roi_mask)
            errors.append(res.depigmented_area_px / ph.truth.depig_area_px - 1)
    assert abs(float(np.median(errors))) < 0.05, np.round(errors, 3)
