"""Registration: known homographies recovered, wrong pairs refused, warps consistent."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

import vasi
from vasi.errors import InputError, VasiError
from vasi.register import Registration, register, transform_error_px


def _pose(shape, *, rot_deg, scale, shift, persp=(0.0, 0.0)):
    h, w = shape
    c = np.array([w / 2.0, h / 2.0])
    a = np.radians(rot_deg)
    R = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    H = np.eye(3)
    H[:2, :2] = R
    H[:2, 2] = c - R @ c + np.asarray(shift, float)
    H[2, :2] = persp
    return H


@pytest.fixture(scope="module")
def photo():
    return cv2.resize(data.astronaut(), (480, 480), interpolation=cv2.INTER_AREA)


def _follow(img, H, *, gain=(1.0, 1.0, 1.0), offset=0.0):
    f = cv2.warpPerspective(img, H, img.shape[1::-1]).astype(np.float32)
    return np.clip(f * np.asarray(gain, np.float32) + offset, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "rot, scale, shift, persp",
    [(0.0, 1.0, (5, -3), (0, 0)), (14.0, 1.12, (-12, 8), (0, 0)), (-13.0, 0.87, (10, 10), (0, 0)),
     (6.0, 1.05, (0, 0), (1.5e-4, -1e-4))],
)
def test_recovers_pose_under_lighting_change(photo, rot, scale, shift, persp):
    H = _pose(photo.shape[:2], rot_deg=rot, scale=scale, shift=shift, persp=persp)
    follow = _follow(photo, H, gain=(1.15, 0.95, 0.8), offset=10)
    reg = register(photo, follow, mm_per_px=0.2)
    assert reg, reg.reason
    err = transform_error_px(reg.transform, H, photo.shape[:2], step=16)
    assert np.median(err) < 0.5
    assert reg.residual_mm == pytest.approx(reg.residual_px * 0.2)
    if persp == (0, 0):  # with perspective the local scale/rotation at the centre differ
        assert abs(reg.scale - scale) < 0.02 and abs(reg.rotation_deg - rot) < 0.5


def test_wrong_pair_is_falsy_with_reason(photo):
    other = cv2.resize(data.coffee(), (480, 480))
    reg = register(photo, other)
    assert not reg and reg.reason
    with pytest.raises(VasiError, match="refusing to warp"):
        reg.warp(other)


def test_implausible_scale_is_refused(photo):
    # a pose 1.7 x larger in a frame of the same size (in one of twice the size, the same
    # framing at twice the pixels is plausible: test_series)
    H = _pose(photo.shape[:2], rot_deg=0, scale=1.7, shift=(0, 0))
    zoom = cv2.warpPerspective(photo, H, photo.shape[1::-1])
    reg = register(photo, zoom, scale_range=(0.6, 1.6))
    assert not reg and reg.reason == "implausible scale 1.70 (allowed 0.6-1.6)"
    assert register(photo, zoom, scale_range=(0.6, 1.8))


def test_warp_masks_both_ways_and_sizes(photo):
    H = _pose(photo.shape[:2], rot_deg=8, scale=1.1, shift=(6, -4))
    follow = _follow(photo, H)[:400, :440]  # different size from baseline
    reg = register(photo, follow)
    assert reg, reg.reason
    m = np.zeros(photo.shape[:2], bool)
    m[200:260, 180:260] = True
    in_f = reg.warp_to_followup(m)
    assert in_f.shape == follow.shape[:2]
    assert in_f.sum() == pytest.approx(m.sum() * 1.1**2, rel=0.05)
    back = reg.warp(in_f)
    assert back.shape == m.shape
    assert (back & m).sum() / (back | m).sum() > 0.95
    img_b = reg.warp(follow)
    assert img_b.shape == photo.shape and img_b.dtype == np.uint8
    valid = reg.valid_mask()
    diff = np.abs(img_b.astype(int) - photo.astype(int))[valid].mean()
    assert diff < 12


def test_labels_warp_nearest(photo):
    H = _pose(photo.shape[:2], rot_deg=0, scale=1.0, shift=(3, 0))
    reg = Registration(H, photo.shape[:2], photo.shape[:2], True)
    lab = np.zeros(photo.shape[:2], np.int32)
    lab[10:20, 10:20] = 7
    out = reg.warp_to_followup(lab)
    assert out.dtype == np.int32 and set(np.unique(out).tolist()) == {0, 7}


def test_uint8_labels_and_0_255_masks_warp_nearest():
    # a 2-D uint8 label image was warped bilinearly: at a sub-pixel shift labels 1 and 3
    # side by side made a 2, and a 0/255 mask came back with 38, 128, ...
    reg = Registration(np.array([[1.0, 0, 0.5], [0, 1, 0.3], [0, 0, 1]]), (20, 20), (20, 20), True)
    lab = np.zeros((20, 20), np.uint8)
    lab[5:10, 5:10], lab[5:10, 10:15], lab[12:18, 2:8] = 1, 3, 200
    for warp in (reg.warp, reg.warp_to_followup):
        out = warp(lab)
        assert out.dtype == np.uint8 and set(np.unique(out).tolist()) == {0, 1, 3, 200}
        assert set(np.unique(warp(np.where(lab > 0, 255, 0).astype(np.uint8))).tolist()) == {0, 255}
    # a single-channel picture is still blended on request
    assert len(np.unique(reg.warp(lab, interpolation="linear"))) > 4


def test_cubic_warp_keeps_small_islands_that_bilinear_blurs():
    # 2-px pigmented islands on depigmented skin, softened by the optics (Gaussian 0.8 px),
    # photographed again half a pixel away: the true shifted photo (integrated over the
    # pixels of an 8x finer scene) keeps each island's centre below the half-way level;
    # bicubic resampling reproduces it, bilinear lifts it above half-way (island lost)
    from scipy import ndimage as ndi

    fine, n = 8, 60
    scene = np.ones((n * fine, n * fine), np.float32)
    centres = [(y, x) for y in range(10, 50, 10) for x in range(10, 50, 10)]
    for y, x in centres:
        scene[y * fine:(y + 2) * fine, x * fine:(x + 2) * fine] = 0.0
    scene = ndi.gaussian_filter(scene, 0.8 * fine)

    def photo(shift_px):
        s = int(shift_px * fine)
        return np.roll(scene, (-s, -s), (0, 1)).reshape(n, fine, n, fine).mean(axis=(1, 3))

    reg = Registration(np.array([[1.0, 0, 0.5], [0, 1, 0.5], [0, 0, 1]]), (n, n), (n, n), True)
    truth = photo(0.5)

    def island_minima(img):
        return np.array([img[y - 2:y + 5, x - 2:x + 5].min() for y, x in centres])

    cubic = reg.warp(photo(0.0), interpolation="cubic")
    linear = reg.warp(photo(0.0), interpolation="linear")
    assert cubic.dtype == np.float32 and 0.0 <= cubic.min() and cubic.max() <= 1.0
    assert np.all(island_minima(truth) < 0.45)
    np.testing.assert_allclose(island_minima(cubic), island_minima(truth), atol=0.01)
    assert np.all(island_minima(linear) > 0.5)
    inner = (slice(5, -5), slice(5, -5))
    assert np.abs(cubic - truth)[inner].mean() < 0.5 * np.abs(linear - truth)[inner].mean()
    # masks are re-thresholded, as with "linear"
    m = photo(0.0) < 0.5
    np.testing.assert_array_equal(reg.warp(m, interpolation="cubic"), reg.warp(m))


def test_deterministic(photo):
    H = _pose(photo.shape[:2], rot_deg=5, scale=1.0, shift=(4, 4))
    follow = _follow(photo, H)
    a, b = register(photo, follow), register(photo, follow)
    np.testing.assert_array_equal(a.transform, b.transform)


def test_marker_method():
    rng = np.random.default_rng(3)
    img = np.full((400, 400, 3), 200, np.uint8)
    tex = cv2.GaussianBlur(rng.normal(0, 1, (400, 400, 3)).astype(np.float32), (0, 0), 4)
    img[:] = np.clip(150 + 40 * tex / tex.std(), 0, 255).astype(np.uint8)
    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    for i, (y, x) in enumerate([(20, 20), (20, 300), (300, 20), (300, 300)]):
        mk = cv2.aruco.generateImageMarker(d, i, 80)
        img[y:y + 80, x:x + 80] = np.pad(mk, 0)[..., None]
    H = _pose(img.shape[:2], rot_deg=4, scale=0.95, shift=(5, -6))
    follow = cv2.warpPerspective(img, H, (400, 400), borderValue=(255, 255, 255))
    reg = register(img, follow, method="marker")
    assert reg and reg.method == "marker", reg.reason
    assert np.median(transform_error_px(reg.transform, H, (400, 400))) < 1.0
    assert not register(img, np.full_like(img, 128), method="marker")


def test_one_marker_similarity_and_the_callers_opencv_rng_untouched(photo):
    # one marker in frame: a similarity from its four corners (least squares, no sampling);
    # registering must not reseed OpenCV's random generator under the caller (it did:
    # cv2.setRNGSeed(12345) on every call)
    img = photo.copy()
    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    img[110:250, 110:250] = 255  # with its white quiet zone
    img[130:230, 130:230] = cv2.aruco.generateImageMarker(d, 3, 100)[..., None]
    H = _pose(img.shape[:2], rot_deg=6, scale=1.08, shift=(7, -5))
    follow = cv2.warpPerspective(img, H, img.shape[1::-1], borderValue=(255, 255, 255))
    draws = []
    for call in (False, True):
        cv2.setRNGSeed(2024)
        first = cv2.randu(np.zeros(4), 0, 1).copy()
        if call:
            reg = register(img, follow, method="marker")
            assert reg and reg.method == "marker", reg.reason
            assert np.median(transform_error_px(reg.transform, H, img.shape[:2])) < 1.0
        draws.append(np.concatenate([first, cv2.randu(np.zeros(4), 0, 1)]))
    np.testing.assert_array_equal(draws[0], draws[1])


def test_photo_files_and_bytes_are_accepted_where_arrays_are(photo, tmp_path):
    # an embedding app holds a path, a vasi.Photo or an upload's bytes: every entry point
    # takes them as score_photo does (they failed with 'got shape ()')
    H = _pose(photo.shape[:2], rot_deg=5, scale=1.0, shift=(4, 4))
    follow = _follow(photo, H)
    pb, pf = tmp_path / "b.png", tmp_path / "f.png"
    vasi.write_image(pb, photo)
    vasi.write_image(pf, follow)
    ref = register(photo, follow).transform
    with open(pf, "rb") as stream:
        for b, f in ((pb, pf), (str(pb), vasi.read_photo(pf)), (pb.read_bytes(), stream)):
            np.testing.assert_array_equal(register(b, f).transform, ref)
    # a Photo's own pixel size gives residual_mm, as it gives segment and score_photo areas
    reg = register(vasi.Photo(photo, vasi.PhotoMeta(mm_per_px=0.2)), follow)
    assert reg.residual_mm == pytest.approx(0.2 * reg.residual_px)
    seg = vasi.segment(photo, modality="visible")
    np.testing.assert_array_equal(vasi.segment(pb).mask, seg.mask)
    np.testing.assert_array_equal(vasi.find_region(pb.read_bytes()), vasi.find_region(photo))


def test_bad_arguments(photo):
    with pytest.raises(InputError, match="features"):
        register(photo, photo, method="sift++")
    with pytest.raises(InputError, match="unknown registration option"):
        register(photo, photo, min_inlier=3)
    with pytest.raises(InputError):
        register(photo[..., 0], photo)


def test_an_option_given_as_an_array_is_refused(photo):
    # method=np.array(["auto"]) failed as "TypeError: unhashable type: 'numpy.ndarray'"
    # (register, register_via, find_scale's dictionary)
    from vasi.register import register_via

    one = np.array(["auto"])
    with pytest.raises(InputError, match=r"method must be one of .*got a numpy array"):
        register(photo, photo, method=one)
    reg = Registration(np.eye(3), photo.shape[:2], photo.shape[:2], True)
    with pytest.raises(InputError, match="the intermediate -> follow-up link"):
        register_via(photo, photo, photo, reg, method=one)
    with pytest.raises(InputError, match="dictionary must be one of cv2.aruco's names"):
        vasi.find_scale(photo, marker_mm=20, dictionary=np.array(["DICT_4X4_50"]))


def test_a_thumbnail_or_a_strip_is_a_failed_registration_with_a_reason():
    # a 1 x 1 or 2 x 500 px photo failed with cv2.resize's "(-215:Assertion failed)
    # inv_scale_x > 0" (ECC: "!dsize.empty()") out of register
    rng = np.random.default_rng(0)
    for shape in ((1, 1, 3), (2, 500, 3), (15, 500, 3)):
        img = (rng.random(shape) * 255).astype(np.uint8)
        for method in ("auto", "features", "ecc", "marker"):
            reg = register(img, img.copy(), method=method)
            assert not reg and reg.reason.startswith("photo too small to register (baseline "
                                                     f"{shape[0]}x{shape[1]} px, follow-up")
            assert "at least 16 px a side" in reg.reason


def test_public_name():
    from vasi.register import register_via

    assert vasi.register is register and vasi.register_via is register_via


def test_same_marker_different_content_is_refused():
    rng = np.random.default_rng(5)
    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)

    def scene(seed):
        r = np.random.default_rng(seed)
        tex = cv2.GaussianBlur(r.normal(0, 1, (300, 400, 3)).astype(np.float32), (0, 0), 3)
        im = np.clip(150 + 40 * tex / tex.std(), 0, 255).astype(np.uint8)
        im[20:100, 20:100] = cv2.aruco.generateImageMarker(d, 7, 80)[..., None]
        return im

    a, b = scene(int(rng.integers(1000))), scene(int(rng.integers(1000, 2000)))
    reg = register(a, b)  # auto: features fail, the shared marker must not rescue the pair
    assert not reg
    assert not register(a, b, method="marker")


def test_prepared_baseline_gives_the_same_result(photo):
    from vasi.register import prepare

    H = _pose(photo.shape[:2], rot_deg=7, scale=1.05, shift=(4, -6))
    follow = _follow(photo, H, gain=(1.1, 1.0, 0.9))
    ref = prepare(photo)
    a = register(photo, follow)
    b, c = register(ref, follow), register(ref, prepare(follow))
    assert a and b and c
    np.testing.assert_array_equal(a.transform, b.transform)
    np.testing.assert_array_equal(a.transform, c.transform)
    roi = np.ones(photo.shape[:2], bool)
    with pytest.raises(InputError, match="own region"):
        register(prepare(photo, roi=roi), follow, roi=roi)
    with pytest.raises(InputError, match="max_side"):
        register(ref, follow, max_side=300)


@pytest.mark.parametrize("detector", ["orb", "sift"])
def test_each_detector_recovers_pose(photo, detector):
    H = _pose(photo.shape[:2], rot_deg=-11, scale=0.92, shift=(-7, 5))
    reg = register(photo, _follow(photo, H, offset=8), detector=detector)
    assert reg, reg.reason
    assert np.median(transform_error_px(reg.transform, H, photo.shape[:2], step=16)) < 0.5


def test_working_resolution_pixel_map_is_exact():
    """_shrink (integer box reduction, then a fractional resize) keeps the pixel-centre map
    x_w = (x + 0.5) s - 0.5 that the homography conversions assume."""
    from vasi.register import _shrink

    for shape, side in [((1203, 1617), 400), ((900, 1200), 1000), ((3000, 4000), 1000)]:
        yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
        img = np.stack([xx, yy, xx], -1)
        small, (sx, sy) = _shrink(img, side)
        assert max(small.shape[:2]) <= side
        h, w = small.shape[:2]
        # interior pixels (away from the cropped border rows/columns)
        xs = (np.arange(w)[2:-2] + 0.5) / sx - 0.5
        ys = (np.arange(h)[2:-2] + 0.5) / sy - 0.5
        np.testing.assert_allclose(small[h // 2, 2:-2, 0], xs, atol=0.1)  # box weights: +-0.07
        np.testing.assert_allclose(small[2:-2, w // 2, 1], ys, atol=0.1)


def test_guided_needs_a_prior_and_finds_the_pose_near_it(photo):
    H = _pose(photo.shape[:2], rot_deg=5, scale=1.05, shift=(9, -7))
    follow = cv2.warpPerspective(photo, H, photo.shape[1::-1])
    near = H @ np.array([[1.0, 0, 4], [0, 1, -3], [0, 0, 1]])  # a prior a few px off
    reg = register(photo, follow, method="guided", initial=near)
    assert reg and reg.method == "guided", reg.reason
    assert np.median(transform_error_px(reg.transform, H, photo.shape[:2])) < 1.0
    assert register(photo, follow, method="guided", initial=near * 1e-5)  # any scale
    with pytest.raises(InputError, match="needs initial"):
        register(photo, follow, method="guided")
    with pytest.raises(InputError, match="initial= is used by method='guided' only"):
        register(photo, follow, initial=near)
    with pytest.raises(InputError, match="singular"):
        register(photo, follow, method="guided", initial=np.diag([1.0, 0.0, 1.0]))
    with pytest.raises(InputError, match="NaN"):
        register(photo, follow, method="guided", initial=np.full((3, 3), np.nan))
    with pytest.raises(InputError, match="3 x 3"):
        register(photo, follow, method="guided", initial=np.eye(2))


def test_register_via_refuses_a_failed_link_and_bad_arguments(photo):
    from vasi.register import register_via

    H = _pose(photo.shape[:2], rot_deg=3, scale=1.0, shift=(5, 2))
    mid = cv2.warpPerspective(photo, H, photo.shape[1::-1])
    flat = np.full_like(photo, 128)
    to_mid = register(photo, mid)
    reg = register_via(photo, mid, flat, to_mid)
    assert not reg and reg.method == "guided" and "intermediate photo" in reg.reason
    with pytest.raises(InputError, match="successful Registration"):
        register_via(photo, mid, mid, register(photo, flat))
    small = cv2.resize(mid, None, fx=0.5, fy=0.5)
    with pytest.raises(InputError, match="pass the registration of these two photos"):
        register_via(photo, small, mid, to_mid)
    with pytest.raises(InputError, match="the intermediate -> follow-up link"):
        register_via(photo, mid, mid, to_mid, method="guided")
    with pytest.raises(InputError, match="unknown registration option"):
        register_via(photo, mid, mid, to_mid, min_inlier=3)


def test_guided_matching_does_not_make_another_photo_match(photo):
    # a prior makes candidates near any pair: a keypoint needs two of them and the ratio
    # test, and each follow-up keypoint matches once, so another photo stays unmatched
    rng = np.random.default_rng(7)
    other = cv2.GaussianBlur((rng.random(photo.shape) * 255).astype(np.uint8), (5, 5), 0)
    for prior in (np.eye(3), _pose(photo.shape[:2], rot_deg=4, scale=1.0, shift=(3, 3))):
        reg = register(photo, other, method="guided", initial=prior)
        assert not reg, reg
    skin = vasi.synth.make_photo(rng=31, site="trunk", skin_type="III", shape=(450, 600))
    skin2 = vasi.synth.make_photo(rng=32, site="trunk", skin_type="III", shape=(450, 600))
    assert not register(skin.image, skin2.image, method="guided", initial=np.eye(3))
    with pytest.raises(InputError, match="takes no roi="):
        vasi.register_via(photo, photo, other, register(photo, photo), roi=np.ones(photo.shape[:2], bool))


def test_guided_match_needs_two_candidates_and_matches_each_keypoint_once():
    from types import SimpleNamespace

    from vasi.register import _guided_match

    def photo_with(pts, desc):
        return SimpleNamespace(features=lambda det: (np.float32(pts), np.float32(desc)))

    base = [[10, 10], [50, 50], [52, 50], [90, 90]] + [[200 + 9 * k, 200] for k in range(5)]
    bdesc = np.eye(9, 8)[:, :8] * 10.0
    # (10, 10): one candidate only; (50, 50) and (52, 50): the same best match; (90, 90):
    # two candidates, the first clearly nearer in descriptor space
    follow = [[10, 11], [50, 51], [58, 58], [90, 91], [93, 91]] + [[600, 600]] * 4
    fdesc = np.zeros((9, 8))
    fdesc[0], fdesc[1], fdesc[2] = bdesc[0], bdesc[1], 50.0
    fdesc[3], fdesc[4] = bdesc[3], 30.0
    bdesc[2] = bdesc[1] + 1.0  # a look-alike of (50, 50)
    ctx = SimpleNamespace(pb=photo_with(base, bdesc), pf=photo_with(follow, fdesc))
    (src, dst), _ = _guided_match(ctx, np.eye(3), 12.0)
    assert src.tolist() == [[50, 50], [90, 90]] and dst.tolist() == [[50, 51], [90, 91]]


def test_marker_cards_are_left_out_of_guided_matching():
    from vasi.register import _cards, _outside

    quad = np.float32([[40, 40], [60, 40], [60, 60], [40, 60]])
    cards = _cards((100, 100), [quad])
    pts = np.float32([[50, 50], [33, 50], [25, 50], [80, 80]])
    assert _outside(pts, cards).tolist() == [False, False, True, True]  # card: twice the quad
    assert _outside(pts, None).all()


@pytest.mark.parametrize("shape", [(450, 600), (600, 800)])
def test_one_marker_without_support_from_the_skin_is_refused(shape):
    # Wood's lamp, the lesions changed: features fail, and one marker's pose from its four
    # corners alone put the skin mm off (it was accepted: 5.1 mm / 2.5 mm here)
    s = vasi.synth.make_series(rng=(710_017, 710_019)[shape == (600, 800)],
                               site=("trunk", "forearm")[shape == (600, 800)],
                               skin_type=("III", "IV")[shape == (600, 800)], modality="woods",
                               response=0.8, pattern=("marginal", "diffuse")[shape == (600, 800)],
                               shape=shape, weeks=(0, 52), marker=True)
    a, b = s.baseline.image, s.visits[1].image
    rois = tuple(vasi.find_region(im, site="body", modality="woods") for im in (a, b))
    reg = register(a, b, method="marker", roi=rois)
    assert not reg and "single marker" in reg.reason, reg
    assert not register(a, b, method="marker", roi=rois, refine=False)  # nor without ECC


def test_preparing_a_prepared_photo_again_with_other_settings_is_named():
    # its roi and max_side were silently ignored
    img = vasi.synth.make_photo(rng=1, site="face", shape=(240, 320)).image
    ready = vasi.prepare(img, max_side=300)
    assert vasi.prepare(ready, max_side=300) is ready
    for kw in (dict(max_side=500), dict(max_side=300, roi=np.ones((240, 320), bool))):
        with pytest.raises(vasi.InputError, match="already prepared"):
            vasi.prepare(ready, **kw)
