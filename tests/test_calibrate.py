"""Physical scale: ArUco (tilt, rotation), sticker, given, falsy when nothing is found."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from vasi.calibrate import SCALE_METHODS, Scale, find_scale
from vasi.errors import InputError

DICT = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)


def _marker_photo(angle=0.0, tilt=0.0, side_big=480, down=8):
    big = np.full((2400, 2400), 255, np.uint8)
    o = (2400 - side_big) // 2
    big[o:o + side_big, o:o + side_big] = cv2.aruco.generateImageMarker(DICT, 7, side_big)
    src = np.float32([[o, o], [o + side_big, o], [o + side_big, o + side_big], [o, o + side_big]])
    c = np.cos(np.radians(tilt))
    dst = src.copy()
    dst[:, 0] = 1200 + (src[:, 0] - 1200) * c
    H = cv2.getPerspectiveTransform(src, dst)
    R = np.vstack([cv2.getRotationMatrix2D((1200, 1200), angle, 1.0), [0, 0, 1]])
    warped = cv2.warpPerspective(big, R @ H, (2400, 2400), borderValue=255)
    small = cv2.resize(warped, (2400 // down, 2400 // down), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 0.7)
    area_px = (side_big / down) ** 2 * c
    return np.dstack([small] * 3), area_px


@pytest.mark.parametrize("angle,tilt", [(0, 0), (23, 0), (45, 30), (10, 45)])
def test_aruco_scale_within_half_percent(angle, tilt):
    img, area_px = _marker_photo(angle, tilt)
    s = find_scale(img, method="aruco", marker_mm=30.0)
    assert s and s.method == "aruco"
    assert s.mm_per_px == pytest.approx(30.0 / np.sqrt(area_px), rel=5e-3)
    assert s.corners.shape == (4, 2)
    assert s.tilt_deg == pytest.approx(tilt, abs=3)


def test_no_marker_is_falsy_with_reason():
    s = find_scale(np.full((100, 120, 3), 128, np.uint8), method="aruco", marker_mm=20)
    assert not s and s.mm_per_px is None and "no" in s.reason


def test_wrong_marker_id_is_falsy():
    img, _ = _marker_photo()
    s = find_scale(img, marker_mm=30, marker_id=3)
    assert not s and "id 3" in s.reason


def test_sticker_ellipse_area_equivalent():
    img = np.full((600, 800, 3), (180, 130, 100), np.uint8)
    cv2.ellipse(img, (400, 300), (60, 40), 30, 0, 360, (40, 160, 230), -1, lineType=cv2.LINE_AA)
    s = find_scale(img, method="sticker", marker_mm=12.0)
    assert s.method == "sticker"
    assert s.mm_per_px == pytest.approx(12.0 / np.sqrt(120 * 80), rel=0.01)


def test_given_and_auto():
    assert find_scale(np.zeros((10, 10, 3), np.uint8), method="given", mm_per_px=0.2).mm_per_px == 0.2
    img, area_px = _marker_photo()
    assert find_scale(img, method="auto", marker_mm=30).method == "aruco"
    assert isinstance(find_scale(img, method="auto"), Scale)


def test_errors_name_parameter_and_choices():
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(InputError, match="marker_mm"):
        find_scale(img, method="aruco")
    with pytest.raises(InputError, match="sticker"):
        find_scale(img, method="ruler")
    assert set(SCALE_METHODS) >= {"aruco", "sticker", "given"}


def test_method_must_be_one_value_not_an_array():
    # np.array(["auto"]) passed the choice check (numpy's == is elementwise) and failed as
    # "TypeError: unhashable type: 'numpy.ndarray'"; two values as "truth value ambiguous"
    img = np.zeros((10, 10, 3), np.uint8)
    for bad, eg in ((np.array(["auto"]), "'auto'"), (np.array("sticker"), "'sticker'"),
                    (np.array(["auto", "aruco"]), "'aruco'"), (["given"], "'given'")):
        with pytest.raises(InputError, match=rf"method must be one of .*; got a (numpy array|list) "
                                             rf".*: pass one value, e.g. method={eg}\."):
            find_scale(img, method=bad, marker_mm=20)


def test_a_strip_of_a_photo_has_no_marker_and_is_scored():
    # a photo 2 px high and 5000 wide was decimated to 0 rows: cv2.resize's
    # "(-215:Assertion failed) !dsize.empty()" out of score_photo
    from vasi import score_photo
    from vasi.calibrate import marker_boxes

    for shape in ((2, 5000, 3), (5000, 2, 3)):
        strip = np.full(shape, 128, np.uint8)
        assert marker_boxes(strip) == []
        assert "face outline not found" in score_photo(strip).flags


def test_marker_card_found_at_full_resolution_up_to_the_frame_edge():
    # a photo searched on a decimated copy (side not a multiple of the decimation) with
    # the card flush against the bottom-right corner: every card pixel is covered
    from vasi.calibrate import marker_boxes

    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    img = np.full((1501, 2003, 3), (150, 105, 80), np.uint8)
    paper = np.array((240, 238, 232), np.uint8)
    img[1181:, 1683:] = paper                                   # 320 x 320 card
    bits = cv2.aruco.generateImageMarker(d, 5, 240) > 0
    img[1221:1461, 1723:1963] = np.where(bits[..., None], paper, np.uint8(15))
    (rows, cols, card), = marker_boxes(img)
    full = np.zeros(img.shape[:2], bool)
    full[rows, cols] = card
    true = np.zeros_like(full)
    true[1181:, 1683:] = True
    assert (true & ~full).sum() == 0                            # nothing of the card left
    assert (full & ~true).sum() < 0.05 * true.sum()             # and little else


@pytest.mark.parametrize("side", [14, 24, 30])
def test_a_square_with_soft_corners_is_not_a_round_sticker(side):
    # a colour chart's patch, its corners softened by the lens and JPEG, has nearly an
    # ellipse's area and no concavity: without the roundness test it passed for a sticker
    # and gave areas 5-25x too large
    m = np.zeros((600, 800), np.float32)
    cv2.rectangle(m, (300, 200), (300 + side, 200 + side), 1, -1)
    m = cv2.GaussianBlur(m, (0, 0), 1.5)[..., None]
    img = (np.float32([180, 130, 100]) * (1 - m) + np.float32([40, 160, 230]) * m).astype(np.uint8)
    s = find_scale(img, method="auto", marker_mm=30)
    assert not s and "sticker" in s.reason


def test_a_photo_whose_marker_left_the_frame_has_no_scale():
    # the bundled baseline photo cropped so that its ArUco marker is out of the frame: a
    # chart patch (or a blob of the dark background's noise) passed for a round sticker
    path = Path(__file__).resolve().parents[1] / "sample_images" / "photos" / "P001" / "week00" / "face_visible.jpg"
    img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert find_scale(img, method="auto", marker_mm=30).method == "aruco"
    s = find_scale(np.ascontiguousarray(img[:, 300:]), method="auto", marker_mm=30)
    assert not s and s.mm_per_px is None


def test_each_sticker_guard_on_its_own():
    from vasi.calibrate import STICKER_MIN_PX, _blob_contrast

    # size: a clean, round, high-contrast disc below STICKER_MIN_PX across is refused
    img = np.full((600, 800, 3), (180, 130, 100), np.uint8)
    cv2.circle(img, (400, 300), int(STICKER_MIN_PX / 2) - 2, (40, 160, 230), -1, lineType=cv2.LINE_AA)
    assert not find_scale(img, method="sticker", marker_mm=12.0)
    # contrast: the same outline drawn around a disc of ink, and around plain noise
    rng = np.random.default_rng(0)
    chan = np.clip(rng.normal(60, 12, (200, 200)), 0, 255).astype(np.uint8)
    contour = cv2.ellipse2Poly((100, 100), (20, 20), 0, 0, 360, 5).reshape(-1, 1, 2)
    assert _blob_contrast(chan, contour, 40.0) < 1.0
    cv2.circle(chan, (100, 100), 20, 200, -1)
    assert _blob_contrast(chan, contour, 40.0) > 4.0


@pytest.mark.parametrize("radius", [10, 15, 40])
def test_small_and_large_round_stickers_are_found(radius):
    img = np.full((600, 800, 3), (180, 130, 100), np.uint8)
    cv2.circle(img, (400, 300), radius, (40, 160, 230), -1, lineType=cv2.LINE_AA)
    s = find_scale(img, method="sticker", marker_mm=12.0)
    assert s.mm_per_px == pytest.approx(12.0 / (2 * radius), rel=0.1)



def test_a_photo_s_stored_pixel_size_is_checked_before_it_is_used():
    # a DICOM PixelSpacing of 0 was returned as the scale, and the marker never looked at
    from vasi.calibrate import resolve_scale
    from vasi.io import Photo, PhotoMeta

    img = np.full((60, 80, 3), 128, np.uint8)
    for bad in (0.0, -0.1, float("nan")):
        mm, source = resolve_scale(Photo(img, PhotoMeta(mm_per_px=bad)))
        assert mm is None and "stored pixel size" in source and "not usable" in source
        mm, source = resolve_scale(Photo(img, PhotoMeta(mm_per_px=bad)), marker_mm=20)
        assert mm is None and source.startswith("none: no DICT_4X4_50")  # (it looked)
    assert resolve_scale(Photo(img, PhotoMeta(mm_per_px=0.2))) == (0.2, "metadata")


def test_a_marker_id_that_is_no_id_is_named():
    # 7.9 was read as id 7, "abc" raised int()'s ValueError
    img = np.zeros((50, 50, 3), np.uint8)
    for bad in (7.9, "abc", -1, True):
        with pytest.raises(InputError, match="marker_id must be a whole number >= 0"):
            find_scale(img, marker_mm=20, marker_id=bad)
    assert not find_scale(img, marker_mm=20, marker_id=np.int64(7))  # (none in a black frame)


def test_a_photo_with_a_stored_pixel_size_of_0_is_scored_with_its_marker():
    # image_and_scale refused it before resolve_scale could measure the marker instead
    import vasi
    from vasi.io import Photo, PhotoMeta

    img = vasi.synth.make_photo(rng=1, site="face", shape=(480, 640), marker=True).image
    res = vasi.score_photo(Photo(img, PhotoMeta(mm_per_px=0.0)), site="face", marker_mm=20)
    assert res.provenance["scale_source"] == "aruco"
    assert find_scale(Photo(img, PhotoMeta(mm_per_px=float("nan"))), marker_mm=20,
                      marker_id=np.array(7)).method == "aruco"
