"""Assessed region: user mask wins, body skin on dark/white backgrounds, face oval."""

import cv2
import numpy as np
import pytest

from vasi.errors import InputError
from vasi.roi import CLOSE_UP, find_region, region_flags, skin_mask
from vasi.synth import make_photo


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_user_mask_wins():
    img = np.zeros((20, 30, 3), np.uint8)
    m = np.zeros((20, 30), bool)
    m[2:5, 3:9] = True
    out = find_region(img, site="face", roi=m)
    assert (out == m).all() and out is not m
    # roi= as in segment and score_photo; the old name still works, with a warning
    with pytest.warns(DeprecationWarning, match="mask= is now called roi="):
        np.testing.assert_array_equal(find_region(img, site="face", mask=m), m)
    with pytest.raises(InputError, match="give roi= only"):
        find_region(img, roi=m, mask=m)


def test_depigmented_skin_stays_inside_on_white_background():
    img = np.full((120, 160, 3), 245, np.uint8)  # white background
    img[20:100, 30:130] = (150, 105, 75)  # skin
    img[40:70, 100:130] = (240, 215, 205)  # patch touching the skin's edge
    r = find_region(img, site="body")
    assert r[40:70, 100:130].all()
    assert not r[:15].any()
    assert r.sum() == pytest.approx(80 * 100, rel=0.02)


@pytest.mark.parametrize("skin_type,background", [("II", "light"), ("VI", "dark")])
def test_body_site_against_truth(skin_type, background):
    ph = make_photo(rng=101, skin_type=skin_type, site="forearm", background=background, shape=(300, 400))
    r = find_region(ph.image, site="body")
    assert _iou(r, ph.truth.roi_mask) > 0.85
    assert (ph.truth.depig_mask & r).sum() >= 0.95 * ph.truth.depig_mask.sum()


def test_face_oval_excludes_neck_and_features():
    ph = make_photo(rng=202, skin_type="IV", site="face", shape=(450, 600))
    r = find_region(ph.image, site="face")
    assert _iou(r, ph.truth.roi_mask) > 0.75
    assert r.sum() / ph.truth.roi_mask.sum() == pytest.approx(1.0, abs=0.25)


def test_astronaut_face_region_is_on_the_face():
    from skimage.data import astronaut

    img = astronaut()
    r = find_region(img, site="face")
    ys, xs = np.nonzero(r)
    assert r.sum() > 2000
    assert 30 < np.median(ys) < 200 and 150 < np.median(xs) < 300  # the face, not the suit


def test_skin_mask_and_bad_site():
    img = np.full((40, 50, 3), 20, np.uint8)
    img[10:30, 10:40] = (190, 140, 110)
    assert skin_mask(img).sum() == 600
    with pytest.raises(InputError, match="site 'facee'.*did you mean 'face'"):
        find_region(img, site="facee")
    np.testing.assert_array_equal(find_region(img, site="leg"), find_region(img, site="body"))


def test_trunk_region_leaves_out_the_arms_and_keeps_patches():
    ph = make_photo(rng=303, skin_type="III", site="trunk", background="dark", shape=(300, 400))
    r = find_region(ph.image, site="body")
    assert _iou(r, ph.truth.roi_mask) > 0.78
    assert (ph.truth.depig_mask & r).sum() >= 0.95 * ph.truth.depig_mask.sum()


def test_shape_prior_drops_limbs_keeps_fingers():
    from vasi.roi_body import _drop_limbs

    torso = np.zeros((200, 300), bool)
    torso[40:190, 90:210] = True
    torso[50:190, 60:80] = torso[50:190, 220:240] = True  # arms
    torso[45:60, 80:90] = torso[45:60, 210:220] = True  # shoulders joining them
    out = _drop_limbs(torso)
    assert not out[:, :80].any() and not out[:, 220:].any()
    # the torso stays, but for a few px at its corners where the shoulders join: the
    # dropped arm's stub is cut from the core's band there
    assert out[70:190, 90:210].all() and out[40:190, 90:210].mean() > 0.99
    # an arm hanging 4 px from the trunk's side leaves no sliver of itself along it
    # (the core's band reaches across the gap; before, 3 px of each arm stayed)
    torso[:] = False
    torso[40:190, 90:210] = True
    torso[50:190, 60:86] = torso[50:190, 214:240] = True
    torso[45:60, 80:90] = torso[45:60, 210:220] = True
    out = _drop_limbs(torso)
    assert not out[:, :88].any() and not out[:, 212:].any()
    assert out[40:190, 90:210].mean() > 0.98
    hand = np.zeros((200, 300), bool)
    hand[80:140, :200] = True
    for y in (82, 97, 112, 127):
        hand[y:y + 8, 200:250] = True  # fingers: small appendages stay
    assert (_drop_limbs(hand) == hand).all()


def test_a_trunk_region_ends_at_its_flanks_beside_hanging_arms():
    from vasi.roi_body import _drop_limbs, _without_shoulders

    body = np.zeros((260, 300), bool)
    body[40:220, 90:210] = True  # trunk
    body[40:95, 54:246] = True  # shoulders: arms and trunk merged
    body[95:250, 54:84] = body[95:250, 216:246] = True  # arms, 6 px from the flanks
    body[10:40, 132:168] = True  # neck
    out, limbs = _drop_limbs(body, return_limbs=True)
    assert len(limbs) == 2 and out[:, :86].sum() > 1000  # the shape prior keeps the shoulders
    cut = _without_shoulders(out, limbs)
    assert not cut[:, :86].any() and not cut[:, 214:].any()  # the trunk ends at its flanks
    assert cut[40:220, 92:208].all() and cut[10:40, 132:168].all()  # the rest stays, the neck too
    assert (_without_shoulders(out, []) == out).all()


def _noisy(shape, colour, sd, rng):
    return np.clip(np.asarray(colour, float) + rng.normal(0.0, sd, shape + (3,)), 0, 255).astype(np.uint8)


def test_skin_coloured_background_does_not_leak_in():
    # beige wall close to the skin's colour (within a few SDs of it): the frame's own
    # background colour explains it better than the skin does
    rng = np.random.default_rng(5)
    img = _noisy((240, 320), (205, 170, 140), 3.0, rng)
    img[60:180, :200] = _noisy((120, 200), (200, 145, 115), 3.0, rng)  # an arm entering from the left
    truth = np.zeros((240, 320), bool)
    truth[60:180, :200] = True
    r = find_region(img, site="body")
    assert _iou(r, truth) > 0.9


def test_woods_patch_at_skin_edge_stays_and_garment_at_frame_stays_out():
    rng = np.random.default_rng(6)
    img = _noisy((240, 320), (14, 10, 24), 2.0, rng)  # dark room
    img[40:200, 60:260] = _noisy((160, 200), (58, 44, 92), 3.0, rng)  # skin under UV
    img[90:140, 220:260] = _noisy((50, 40), (175, 185, 235), 3.0, rng)  # fluorescent patch at the edge
    img[200:240, 40:280] = _noisy((40, 240), (185, 190, 240), 3.0, rng)  # fluorescent garment at the frame
    r = find_region(img, site="body", modality="woods")
    assert r[95:135, 225:258].all()
    assert r[200:240].mean() < 0.1
    assert r[45:195, 65:255].mean() > 0.97


def test_woods_patch_merged_with_a_garment_keeps_its_part_inside_the_outline():
    """A patch cut into the site's lower edge that touches a fluorescent garment along its
    whole width (no neck between them) stays in, but for its last rows; the garment stays
    out."""
    rng = np.random.default_rng(7)
    img = _noisy((240, 320), (14, 10, 24), 2.0, rng)  # dark room
    img[40:200, 60:260] = _noisy((160, 200), (58, 44, 92), 3.0, rng)  # skin under UV
    img[150:200, 150:190] = _noisy((50, 40), (175, 185, 235), 3.0, rng)  # patch at the lower edge
    img[200:240, 40:280] = _noisy((40, 240), (185, 190, 240), 3.0, rng)  # garment at the frame
    r = find_region(img, site="body", modality="woods")
    assert r[150:200, 150:190].mean() > 0.8  # all but the rows at the garment's edge
    assert r[152:188, 152:188].all()
    assert r[205:240].mean() < 0.05
    assert r[45:195, 65:255].mean() > 0.97


def test_a_close_up_with_moles_is_all_skin():
    """The skin fills the frame: its moles, some cut by the frame, are not the skin around
    a depigmented patch filling the centre (the region was the largest mole, 0.7 % of the
    frame)."""
    rng = np.random.default_rng(10)
    img = _noisy((240, 320), (196, 150, 122), 3.0, rng)
    yy, xx = np.mgrid[:240, :320]
    for cy, cx, r in ((60, 80, 14), (170, 250, 10), (120, 3, 5), (236, 150, 6)):  # two at the frame
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = (120, 78, 60)
    assert find_region(img, site="body").mean() > 0.97


@pytest.mark.parametrize("seed, skin_type", [(7101, "I"), (7102, "III"), (7105, "IV"), (7106, "VI")])
def test_a_woods_close_up_is_all_skin(seed, skin_type):
    """A Wood's lamp photo of a trunk from near: the skin fills the frame, so its border is
    the skin itself, not background (the region was 0.5-7 % of the frame: clusters of the
    skin's own border colours, seeded on its darker 60 %, were taken for background)."""
    ph = make_photo(rng=seed, skin_type=skin_type, site="trunk", modality="woods",
                    shape=(900, 1200), background="dark")
    ys, xs = np.nonzero(ph.truth.roi_mask)
    cy, cx = int(np.median(ys)), int(np.median(xs))
    box = (slice(cy - 120, cy + 120), slice(cx - 160, cx + 160))
    skin = (ph.truth.roi_mask | ph.truth.depig_mask)[box]
    assert skin.all()  # a close-up indeed
    region, method = find_region(np.ascontiguousarray(ph.image[box]), site="body", modality="woods",
                                 return_method=True)
    assert _iou(region, skin) > 0.95
    assert method == CLOSE_UP and region_flags(method) == ("close-up: the frame's border taken for skin",)
    assert find_region(ph.image, site="body", modality="woods", return_method=True)[1] == "skin"


@pytest.mark.parametrize("seed, skin_type", [(31, "I"), (32, "II"), (33, "III"), (35, "I")])
def test_a_woods_forearm_without_patches_is_not_taken_for_its_backdrop(seed, skin_type):
    """Under a Wood's lamp the skin seeds' two lightness modes were always read as skin
    (darker) and fluorescent patches (brighter). Without patches they are a dark backdrop
    and the skin: the backdrop became the region, a close-up (IoU 0.19-0.37)."""
    ph = make_photo(rng=seed, skin_type=skin_type, site="forearm", modality="woods",
                    shape=(450, 600), background="dark", n_patches=0)
    region, method = find_region(ph.image, site="body", modality="woods", return_method=True)
    assert _iou(region, ph.truth.roi_mask) > 0.85
    assert method == "skin"


@pytest.mark.parametrize("seed, skin_type, n_patches", [(42, "I", 0), (56, "III", None)])
def test_a_woods_backdrop_among_the_skin_seeds_is_left_out(seed, skin_type, n_patches):
    """A forearm under a Wood's lamp over a lighter backdrop: the backdrop between limb and
    fingers is among the skin seeds but not a lightness mode of its own, and the darker
    60 % of the seeds took it for the skin (region IoU 0.39 / 0.41). The seeds the frame's
    main colour explains are left out first (``_border_like``)."""
    kw = {} if n_patches is None else {"n_patches": n_patches}
    ph = make_photo(rng=seed, skin_type=skin_type, site="forearm", modality="woods",
                    shape=(450, 600), background="light", **kw)
    region = find_region(ph.image, site="body", modality="woods")
    assert _iou(region, ph.truth.roi_mask | ph.truth.depig_mask) > 0.75


@pytest.mark.parametrize("seed", [4, 7])
def test_a_busy_backdrop_around_the_skins_colour_is_not_a_close_up(seed):
    """Blocks of many colours scattered about the skin's: the border's median is near the
    skin colour, but it is far more varied than skin (RING_SKIN_SPREAD's upper bound; without
    it IoU 0.88 / 0.96)."""
    import cv2

    rng = np.random.default_rng(seed)
    skin = np.array((200, 145, 115), float)
    blocks = rng.integers(0, 8, (6, 8))
    colours = np.clip(skin + rng.normal(0, 45, (8, 3)), 0, 255)
    backdrop = cv2.resize(colours[blocks].astype(np.float32), (320, 240),
                          interpolation=cv2.INTER_NEAREST)
    img = np.clip(backdrop + rng.normal(0, 3, backdrop.shape), 0, 255).astype(np.uint8)
    img[70:170] = _noisy((100, 320), (200, 145, 115), 3.0, rng)  # a limb across
    truth = np.zeros((240, 320), bool)
    truth[70:170] = True
    assert _iou(find_region(img, site="body"), truth) > 0.98


@pytest.mark.parametrize("modality, skin, factor, blotch", [
    ("visible", (200, 145, 115), 0.7, 12.0), ("woods", (62, 48, 112), 0.8, 8.0)])
def test_a_textured_backdrop_darker_than_the_skin_is_not_a_close_up(modality, skin, factor, blotch):
    """A limb across a blotchy backdrop of the skin's hue, darker: the skin's shade
    tolerance is counted once (as for the background colours), so the border is not taken
    for shaded skin (found by review: region IoU 0.96-0.98 -> 0.41-0.53 with it counted twice)."""
    import cv2

    rng = np.random.default_rng(1)
    lo = rng.normal(0, blotch, (8, 10, 3)).astype(np.float32)
    lo[..., 1:] = lo[..., :1] * np.array([0.9, 0.8], np.float32) + 0.3 * lo[..., 1:]
    lo = cv2.resize(lo, (320, 240), interpolation=cv2.INTER_CUBIC)
    base = np.asarray(skin, np.float32) * factor
    img = np.clip(base + lo + rng.normal(0, 4, (240, 320, 3)), 0, 255).astype(np.uint8)
    img[72:168] = _noisy((96, 320), skin, 3.0, rng)
    truth = np.zeros((240, 320), bool)
    truth[72:168] = True
    region, method = find_region(img, site="body", modality=modality, return_method=True)
    assert method == "skin" and _iou(region, truth) > 0.85


@pytest.mark.parametrize("seed, site, background, box, floor", [
    (9200022, "trunk", "dark", (68, 668, 393, 1193), 0.7), (9200030, "trunk", "busy", (0, 840, 103, 1200), 0.9)])
def test_a_woods_crop_with_background_on_one_side_is_not_a_close_up(seed, site, background, box, floor):
    """A type VI trunk under a Wood's lamp cropped so that the skin fills half the frame
    and the background the rest: the border is mostly a varied backdrop, not the skin
    (RING_SPREAD_SLACK; without it IoU 0.59 / 0.83, before the close-up rule 0.76 / 0.93)."""
    import cv2

    ph = make_photo(rng=seed, skin_type="VI", site=site, modality="woods", background=background,
                    shape=(900, 1200))
    y0, y1, x0, x1 = box
    skin = (ph.truth.roi_mask | ph.truth.depig_mask)[y0:y1, x0:x1]
    img = cv2.resize(np.ascontiguousarray(ph.image[y0:y1, x0:x1]), (800, 600), interpolation=cv2.INTER_AREA)
    truth = cv2.resize(skin.astype(np.uint8), (800, 600), interpolation=cv2.INTER_NEAREST) > 0
    region, method = find_region(img, site="body", modality="woods", return_method=True)
    assert method == "skin" and _iou(region, truth) > floor


def test_a_wall_a_little_darker_than_the_skin_stays_out():
    """A beige wall a little darker than the skin explains most of the frame's border, as
    the skin of a close-up does: it is background all the same (BG_SHARE). Treating a
    border colour near the skin's as skin whenever the skin explained half the border
    (tried for close-ups) took it in (region IoU 0.33-0.67)."""
    rng = np.random.default_rng(11)
    for rows, wall in ((80, (185, 135, 110)), (160, (170, 125, 100))):
        img = _noisy((240, 320), wall, 3.0, rng)
        top = (240 - rows) // 2
        img[top:top + rows] = _noisy((rows, 320), (200, 145, 115), 3.0, rng)  # a limb across
        truth = np.zeros((240, 320), bool)
        truth[top:top + rows] = True
        assert _iou(find_region(img, site="body"), truth) > 0.95


def test_large_photo_gives_the_same_region_as_small():
    import cv2

    ph = make_photo(rng=404, skin_type="V", site="forearm", background="busy", shape=(300, 400))
    big = cv2.resize(ph.image, (1600, 1200), interpolation=cv2.INTER_LINEAR)
    r_small = find_region(ph.image, site="body")
    r_big = find_region(big, site="body")
    assert r_big.shape == (1200, 1600) and r_big.dtype == bool
    down = cv2.resize(r_big.astype(np.uint8), (400, 300), interpolation=cv2.INTER_AREA) > 0
    assert _iou(down, r_small) > 0.95
    assert _iou(r_small, ph.truth.roi_mask) > 0.85


def test_woods_face_keeps_border_patches():
    # sample patient P003 (Wood's lamp, type V): fluorescent patches reach the face border
    from pathlib import Path

    import cv2

    root = Path(__file__).resolve().parents[1] / "sample_images"
    img = cv2.imread(str(root / "photos/P003/week00/face_woods.jpg"))[..., ::-1]
    depig = cv2.imread(str(root / "truth/P003/week00/depig_mask.png"), cv2.IMREAD_GRAYSCALE) > 0
    roi = cv2.imread(str(root / "truth/P003/week00/roi_mask.png"), cv2.IMREAD_GRAYSCALE) > 0
    r = find_region(np.ascontiguousarray(img), site="face", modality="woods")
    assert (depig & r).sum() >= 0.95 * depig.sum()
    assert _iou(r, roi) > 0.72


def test_astronaut_face_region_leaves_out_eyes_teeth_hair_and_neck():
    from skimage.data import astronaut

    r = find_region(astronaut(), site="face")
    inside = {"forehead": (90, 225), "left cheek": (135, 200), "right cheek": (120, 252)}
    outside = {"left eye": (100, 203), "right eye": (102, 247), "teeth": (145, 230),
               "hair": (40, 225), "neck": (200, 225)}
    for name, (y, x) in inside.items():
        assert r[y - 2: y + 3, x - 2: x + 3].all(), name
    for name, (y, x) in outside.items():
        assert not r[y - 2: y + 3, x - 2: x + 3].any(), name


def test_face_region_keeps_skin_around_features_and_leaves_hair_out():
    # periocular (and peri-oral) depigmentation is assessed skin: only the eye openings,
    # lips and nostrils themselves are left out; the dark hair above the forehead is not
    # skin. Before the fix: 30 % of the depigmentation within ~10 px of the features fell
    # outside, 9.5 % of the region lay above the hairline, IoU 0.77.
    import cv2

    from vasi.roi_ops import _fill_holes

    ph = make_photo(rng=305, skin_type="IV", site="face", shape=(450, 600))
    roi, dep = ph.truth.roi_mask, ph.truth.depig_mask
    r = find_region(ph.image, site="face")
    holes = _fill_holes(roi) & ~roi  # eye openings, brows, nostrils, lips
    ring = cv2.dilate(holes.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))) > 0
    near = ring & roi & dep
    assert near.sum() > 300
    assert (near & ~r).sum() < 0.12 * near.sum()
    top = np.nonzero(roi.any(axis=1))[0][0]  # the hairline's highest point
    assert r[:top].sum() < 0.02 * roi.sum()
    assert _iou(r, roi) > 0.83


def test_marker_card_on_the_skin_is_not_assessed():
    # a calibration sticker on the skin beside a lesion: card and marker are not skin
    d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    img = np.full((400, 500, 3), (40, 40, 45), np.uint8)          # dark background
    img[40:360, 40:460] = (188, 138, 108)                           # forearm skin
    paper = np.array((236, 205, 192), np.uint8)                     # warm-lit white card
    img[100:220, 200:320] = paper
    bits = cv2.aruco.generateImageMarker(d, 3, 100) > 0
    img[110:210, 210:310] = np.where(bits[..., None], paper, np.uint8(20))
    region = find_region(img, site="body")
    assert not region[100:220, 200:320].any()
    assert region[40:360, 40:460].sum() == pytest.approx(320 * 420 - 120 * 120, rel=0.02)


#: Colours (RGB) of the drawn hand: drape, skin, nail, depigmented skin.
HAND_VISIBLE = dict(drape=(30, 30, 30), skin=(150, 105, 80), nail=(205, 160, 150), depig=(225, 190, 175))
#: Under a Wood's lamp: a dark drape, dark violet skin, nails and depigmented skin glowing.
HAND_WOODS = dict(drape=(14, 12, 26), skin=(62, 50, 98), nail=(150, 150, 205), depig=(170, 180, 235))


def _hand(nails=True, scale=1, colours=HAND_VISIBLE, tips=False, rng=None, canvas=(240, 320), at=(0, 0),
          tip_from=232):
    """Forearm (from the left edge) and hand on a dark drape, drawn ``scale`` x on a
    ``canvas`` (rows, cols) with the 240 x 320 drawing's corner ``at``; four fingers (tips
    at drawing column 256), each with a lighter nail inside its tip (``nails``) and/or
    depigmented from drawing column ``tip_from`` to its outline (``tips``, acral
    vitiligo); sensor noise of 3 levels with ``rng``. Returns the image, the nails and the
    depigmented tips (bool masks)."""
    f, (y0, x0) = scale, at
    img = np.zeros(canvas + (3,), np.uint8)
    img[:] = colours["drape"]
    hand = np.zeros(canvas, np.uint8)
    hand[y0 + 84 * f:y0 + 180 * f, 0:x0 + 170 * f] = 1
    nail_mask = np.zeros_like(hand)
    for y in (98, 122, 146, 170):
        hand[y0 + (y - 6) * f:y0 + (y + 7) * f, x0 + 170 * f:x0 + 250 * f] = 1
        cv2.ellipse(hand, (x0 + 250 * f, y0 + y * f), (6 * f, 6 * f), 0, 0, 360, 1, -1)
        cv2.ellipse(nail_mask, (x0 + 243 * f, y0 + y * f), (6 * f, 3 * f), 0, 0, 360, 1, -1)
    img[hand > 0] = colours["skin"]
    tip_mask = (hand > 0) & (np.arange(canvas[1]) >= x0 + tip_from * f)[None, :]
    if tips:
        img[tip_mask] = colours["depig"]
    if nails:
        img[nail_mask > 0] = colours["nail"]
    if rng is not None:
        img = np.clip(img + rng.normal(0.0, 3.0, img.shape), 0, 255).astype(np.uint8)
    return img, nail_mask > 0, tip_mask


def test_body_region_leaves_out_nails_keeps_fingers():
    img, nails, _ = _hand()
    r = find_region(img, site="body")
    assert (r & nails).sum() <= 0.1 * nails.sum()  # nails are not skin (SPEC)
    assert r[95:102, 185:225].mean() > 0.95 and r[119:126, 185:225].mean() > 0.95  # fingers stay
    plain, _, _ = _hand(nails=False)
    assert (find_region(plain, site="body") & nails).sum() == nails.sum()  # no nail, no hole


@pytest.mark.parametrize("modality", ["visible", "woods"])
def test_nails_out_at_every_resolution(modality):
    # thin fingers in a large photo: at the working resolution a nail's rim of skin is
    # under two pixels wide, so the nail test reads each finger at a finer resolution
    colours = HAND_WOODS if modality == "woods" else HAND_VISIBLE
    photo, nails, _ = _hand(scale=2, colours=colours, rng=np.random.default_rng(3), canvas=(480, 1280), at=(0, 640))
    r = find_region(photo, site="body", modality=modality)
    assert (r & nails).sum() <= 0.15 * nails.sum()
    assert r[190:200, 1000:1080].mean() > 0.95  # the fingers stay


@pytest.mark.parametrize("tip_from", [232, 242])
def test_depigmented_fingertips_under_a_woods_lamp_are_skin(tip_from):
    # acral vitiligo: a fingertip glowing to its outline is not a nail, however short
    # (from column 242 the glow is nail-sized; the skin around it decides)
    photo, _, tips = _hand(nails=False, scale=2, colours=HAND_WOODS, tips=True, rng=np.random.default_rng(4),
                           canvas=(480, 1280), at=(0, 640), tip_from=tip_from)
    r = find_region(photo, site="body", modality="woods")
    assert r[tips].mean() > 0.9


def test_registration_evidence_puts_the_nails_back():
    from vasi.roi import _with_left_out

    region = np.ones((6, 8), bool)
    region[2:4, 5:7] = False  # a nail left out
    assert _with_left_out(region, []) is region
    nail = np.zeros((3, 3), bool)
    nail[1:3, 1:3] = True
    ev = _with_left_out(region, [((slice(1, 4), slice(4, 7)), nail)])
    assert ev.all() and not region[2:4, 5:7].any()  # a copy; the region is untouched


def test_nails_of_a_synthetic_forearm_are_left_out():
    ph = make_photo(rng=505, skin_type="IV", site="forearm", background="dark", shape=(450, 600))
    r = find_region(ph.image, site="body")
    roi = ph.truth.roi_mask
    from vasi.roi_ops import _fill_holes

    nails = _fill_holes(roi) & ~roi
    assert nails.sum() > 100
    assert (r & nails).sum() < 0.7 * nails.sum()  # all of them before nails were looked for
    assert _iou(r, roi) > 0.85


def test_nails_of_a_synthetic_forearm_under_a_woods_lamp_are_left_out():
    # the nails glow like depigmented skin; at the working resolution their rim of skin
    # mixes with the finger's outline (39 % of them were kept with the test run there,
    # all of them before the test looked at the colours around a nail)
    ph = make_photo(rng=613, skin_type="V", site="forearm", modality="woods", background="dark", shape=(900, 1200))
    r = find_region(ph.image, site="body", modality="woods")
    from vasi.roi_ops import _fill_holes

    nails = _fill_holes(ph.truth.roi_mask) & ~ph.truth.roi_mask
    assert nails.sum() > 1000
    assert (r & nails).sum() < 0.2 * nails.sum()
    assert (r & ph.truth.depig_mask).sum() > 0.97 * ph.truth.depig_mask.sum()


@pytest.mark.parametrize("seed, skin_type", [(65, "IV"), (71, "VI")])
def test_woods_nails_do_not_hang_on_the_outline_to_a_pixel(seed, skin_type):
    """Under a Wood's lamp the region's outline hugs a glowing nail within a working pixel
    or so. A thumb's nail filled more than 70 % of its distal part (rejected), and with
    the outline a pixel in, a nail crossed by it (rejected: the glow "went on" past it) --
    the 0.06 Dice benchmark 900064 lost to a 1-px change. Every nail is found on the
    region's outline and on one a working pixel in."""
    from scipy import ndimage as ndi

    from vasi.roi import _auto_region, _small, _with_left_out
    from vasi.roi_body import _nails
    from vasi.roi_ops import _fill_holes

    ph = make_photo(rng=seed, skin_type=skin_type, site="forearm", modality="woods", background="dark",
                    shape=(900, 1200))
    roi = ph.truth.roi_mask
    nails, n = ndi.label(_fill_holes(roi) & ~roi)
    assert n == 5
    region, _, left_out = _auto_region(ph.image, "body", "woods")
    k = _small(ph.image)[2]
    blob = cv2.resize(_with_left_out(region, left_out).astype(np.uint8),
                      (round(1200 * k), round(900 * k)), interpolation=cv2.INTER_NEAREST)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for b in (blob, cv2.erode(blob, cross)):
        found = np.zeros(roi.shape, bool)
        for win, nail in _nails(b.astype(bool), ph.image):
            found[win] |= nail
        assert all(found[nails == j].mean() > 0.5 for j in range(1, n + 1))


def test_depigmented_patch_joined_to_a_pale_background_stays_in():
    # a patch at the edge of a forearm touches a background fold of the same pale colour:
    # together they are one component that the skin does not enclose; split at the neck,
    # the patch (enclosed by skin) joins and the fold does not
    img = np.full((150, 200, 3), (40, 90, 60), np.uint8)
    img[50:110, :] = (170, 120, 90)  # a forearm across the frame
    img[50:85, 20:70] = (235, 200, 190)  # depigmented patch at its upper edge
    img[:50, 40:50] = (235, 200, 190)  # a pale fold of the background touching it
    r = find_region(img, site="body")
    assert r[52:83, 22:68].mean() > 0.95
    assert r[50:110].mean() > 0.95
    assert r[:45, 40:50].mean() < 0.05


def test_pale_object_hanging_from_the_outline_stays_out_edge_patches_stay_in():
    # visible light: a pale pink object beyond a forearm's lower edge touches it along its
    # chord only (skin on 39 % of its outline; 38 % for the benchmark's photo 900010, where
    # the object was joined and learnt as the depigmented colour: Dice 0.001); patches on
    # the skin at the edge -- a disc straddling it, a thin strip along it -- border skin on
    # half their outline or more and stay in
    rng = np.random.default_rng(11)
    img = _noisy((240, 320), (60, 110, 70), 3.0, rng)  # green background
    arm = np.zeros((240, 320), bool)
    arm[60:150, :] = True
    img[arm] = _noisy((240, 320), (175, 125, 95), 3.0, rng)[arm]
    yy, xx = np.mgrid[:240, :320]
    pale = (235, 205, 205)
    obj = ((yy - 150) ** 2 + (xx - 90) ** 2 < 35 ** 2) & ~arm  # hangs from the lower edge
    disc = (yy - 60) ** 2 + (xx - 230) ** 2 < 22 ** 2          # straddles the upper edge
    strip = arm & (yy >= 143) & (xx >= 200) & (xx < 300)         # along the lower edge
    for m in (obj, disc & arm, strip):
        img[m] = _noisy((240, 320), pale, 3.0, rng)[m]
    r = find_region(img, site="body")
    assert r[obj].mean() < 0.1
    assert r[disc & arm].mean() > 0.95
    assert r[strip].mean() > 0.95
    assert r[arm].mean() > 0.97


def test_pale_magenta_object_along_the_outline_is_not_skin():
    # a pale object of a magenta-leaning pink (CIELAB hue -1.5 degrees; a development
    # face, 1100057, had a pink backdrop along its jaw, hue -0.4: it was joined and learnt
    # as the depigmented colour, Dice 0) lying along a forearm's edge borders the skin on
    # half its outline, as a patch along the edge does; depigmented skin is never that
    # hue (SKIN_HUE_MIN), the same object in the pink of depigmented skin (hue 20) joins
    from vasi.roi_skin import SKIN_HUE_MIN

    rng = np.random.default_rng(13)
    arm = np.zeros((240, 320), bool)
    arm[60:150, :] = True
    strip = np.zeros((240, 320), bool)
    strip[150:160, 60:260] = True  # along the arm's lower edge, outside it
    for colour, hue in (((230, 195, 205), -1.5), ((235, 205, 205), 20.2)):
        img = _noisy((240, 320), (60, 110, 70), 3.0, rng)  # green background
        img[arm] = _noisy((240, 320), (175, 125, 95), 3.0, rng)[arm]
        img[strip] = _noisy((240, 320), colour, 3.0, rng)[strip]
        r = find_region(img, site="body")
        assert r[arm].mean() > 0.97
        if hue < SKIN_HUE_MIN:
            assert r[strip].mean() < 0.1, colour
        else:
            assert r[strip].mean() > 0.9, colour


def test_face_outline_tries_the_next_eye_pair_when_the_first_is_not_face_like():
    # under a Wood's lamp hair can be as bright as the skin: the head is one blob, and a
    # perfectly symmetric pair of holes in the hair, with a gap below it, looks more like
    # eyes than the real eyes; its outline is not face-like, the real eyes' one is
    from vasi.roi_face import _face_oval

    blob = np.zeros((240, 320), np.uint8)
    cv2.ellipse(blob, (160, 120), (55, 100), 0, 0, 360, 1, -1)  # head: hair and face
    cv2.rectangle(blob, (135, 200), (185, 239), 1, -1)  # neck
    for c in (140, 180):
        cv2.circle(blob, (c, 45), 4, 0, -1)  # holes in the hair
    cv2.ellipse(blob, (160, 80), (12, 3), 0, 0, 360, 0, -1)  # a gap below them
    cv2.ellipse(blob, (139, 115), (7, 3), 0, 0, 360, 0, -1)  # the eyes
    cv2.ellipse(blob, (181, 116), (5, 2), 0, 0, 360, 0, -1)
    cv2.ellipse(blob, (160, 160), (16, 4), 0, 0, 360, 0, -1)  # mouth
    oval = _face_oval(blob.astype(bool))
    assert oval is not None and 110 < oval.eye_row < 120 and abs(oval.cx - 160) < 3


def test_band_across_a_limb_stays_in_however_long():
    # a patch wrapping a forearm (a wrist band) borders skin only where it crosses the limb
    # and the background along the limb's outline: 2 W / (2 W + 2 L) of its outline, under
    # DEPIG_CONTACT_VISIBLE once it is longer than about 1.2 limb widths; it joins two
    # pieces of skin, so it needs only DEPIG_CONTACT
    rng = np.random.default_rng(12)
    for length in (45, 135, 180):
        img = _noisy((240, 320), (225, 225, 230), 3.0, rng)  # light background
        arm = np.zeros((240, 320), bool)
        arm[75:165, :] = True  # 90 px wide
        img[arm] = _noisy((240, 320), (175, 125, 95), 3.0, rng)[arm]
        band = arm.copy()
        band[:, :120] = band[:, 120 + length:] = False
        img[band] = _noisy((240, 320), (235, 205, 205), 3.0, rng)[band]
        r = find_region(img, site="body")
        assert r[band].mean() > 0.97, length
        assert r[arm].mean() > 0.97 and r[~arm].mean() < 0.02


def test_chin_from_a_mouth_split_by_a_highlight():
    # under a Wood's lamp a highlight on the lips splits their hole in two, each too narrow
    # to be the mouth: the holes on one row are the mouth, and the chin follows from it
    # (CHIN_PER_MOUTH) instead of the generic face proportion (development Wood's faces:
    # region IoU 0.825 -> 0.833, 700011 0.38 -> 0.88, 900047 0.23 -> 0.62)
    from vasi.roi_face import CHIN_PER_MOUTH, _face_oval

    def face(split):
        blob = np.zeros((240, 320), np.uint8)
        cv2.ellipse(blob, (160, 110), (50, 70), 0, 0, 360, 1, -1)  # face
        cv2.rectangle(blob, (140, 170), (180, 239), 1, -1)  # neck
        for c in (140, 180):
            cv2.ellipse(blob, (c, 95), (7, 3), 0, 0, 360, 0, -1)  # eyes
        if split:
            for c in (151, 169):
                cv2.ellipse(blob, (c, 140), (6, 3), 0, 0, 360, 0, -1)  # lips, two halves
        else:
            cv2.ellipse(blob, (160, 140), (15, 3), 0, 0, 360, 0, -1)  # lips
        return _face_oval(blob.astype(bool))

    whole, split = face(False), face(True)
    assert whole is not None and split is not None
    assert whole.down == pytest.approx(CHIN_PER_MOUTH * (140 - whole.eye_row), abs=1.0)
    assert split.down == pytest.approx(whole.down, abs=1.0)


def test_shaded_limb_reaching_the_frame_is_skin_not_background():
    # a forearm across the frame on a dark background, in shade towards the left edge: the
    # shaded part at the frame is a border colour near the skin's shaded side (within the
    # skin test's SHADE tolerance), so it is the subject, not a background colour that
    # would take the limb's shaded side away
    img = np.full((150, 200, 3), (22, 20, 20), np.uint8)
    f = np.clip(0.78 + 0.22 * (np.arange(200) - 20) / 50.0, 0.78, 1.0)
    img[50:110, :] = (np.array((200.0, 150.0, 120.0))[None, :] * f[:, None]).astype(np.uint8)[None]
    r = find_region(img, site="body")
    assert r[52:108, :40].mean() > 0.95
    assert r[52:108].mean() > 0.95
    assert not r[:45].any() and not r[115:].any()


def test_pale_background_specks_between_fingers_stay_out():
    # a beige background whose noise passes the depigmentation test in specks: specks
    # beside the outline (between the fingers) border the skin all round but their colour
    # is the background's, so they stay out; the real patches stay in
    ph = make_photo(rng=700109, skin_type="I", site="forearm", background="light", shape=(300, 400))
    r = find_region(ph.image, site="body")
    t = ph.truth.roi_mask
    assert _iou(r, t) > 0.93
    assert (r & ~t).sum() < 0.05 * t.sum()
    assert (ph.truth.depig_mask & r).sum() >= 0.95 * ph.truth.depig_mask.sum()


def test_face_found_by_the_detector_keeps_its_outline_when_the_skin_leaks():
    # a dark face under a Wood's lamp in front of a fluorescent (light) wall: the skin blob
    # runs into the wall and its "face outline" is nowhere near the face the detector found;
    # the detected box's proportions are used instead of that outline
    from vasi.roi_face import FaceOval, _same_face

    ph = make_photo(rng=700071, skin_type="VI", modality="woods", site="face", shape=(900, 1200),
                    background="light", marker=True)
    r, method = find_region(ph.image, site="face", modality="woods", return_method=True)
    assert method == "face detector box"
    assert region_flags(method) == ("face outline from the detector's box",)
    assert _iou(r, ph.truth.roi_mask) > 0.5
    assert (r & ~ph.truth.roi_mask).sum() < 0.5 * ph.truth.roi_mask.sum()
    # the test itself: same centre, eye line and width within the tolerances
    box = (100.0, 80.0, 60.0)
    assert _same_face(FaceOval(105.0, 84.0, 0.5 * 1.04 * 66.0, 0, 0, 0, None), box)
    assert not _same_face(FaceOval(140.0, 84.0, 0.5 * 1.04 * 66.0, 0, 0, 0, None), box)  # off centre
    assert not _same_face(FaceOval(100.0, 80.0, 0.5 * 1.04 * 130.0, 0, 0, 0, None), box)  # twice as wide


def test_a_woods_face_on_the_detectors_box_is_placed_on_its_irises():
    # a dark face under a Wood's lamp whose skin blob shows no eye holes (brows, lips and
    # irises as dark as the skin): the outline falls back to the detector's box, which
    # sits too high and too large; the irises (dark between the bright sclera) near the
    # box's eyes place it instead, and the skin below the lips (cut off the blob by their
    # shade) joins the face down to the chin
    ph = make_photo(rng=710008, skin_type="V", modality="woods", site="face", shape=(900, 1200),
                    background="light")
    r, method = find_region(ph.image, site="face", modality="woods", return_method=True)
    t = ph.truth.roi_mask
    assert method == "face detector box"
    assert _iou(r, t) > 0.72  # the box's proportions: 0.60
    rows_r, rows_t = np.nonzero(r.any(axis=1))[0], np.nonzero(t.any(axis=1))[0]
    height = rows_t[-1] - rows_t[0]
    assert abs(rows_r[0] - rows_t[0]) < 0.08 * height and abs(rows_r[-1] - rows_t[-1]) < 0.08 * height


def test_a_face_with_a_fringe_gets_its_outline_from_its_features():
    # skimage's astronaut framed on her head: her fringe hides the top of the forehead, so
    # the skin covered too little of the outline's proportions and the detector's box was
    # used (a looser outline); the outline is now accepted below the hairline once the
    # detector agrees with it
    from skimage.data import astronaut

    up = 2
    img = cv2.resize(astronaut()[0:300, 100:350], None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
    r, method = find_region(img, site="face", return_method=True)
    assert method == "face outline"

    def at(x, y):  # (x, y) in the 512-px photo
        return r[y * up, (x - 100) * up]

    assert all(at(*p) for p in [(225, 88), (198, 125), (252, 125), (225, 168)])  # forehead, cheeks, chin
    assert not any(at(*p) for p in [(225, 50), (170, 100), (280, 100), (207, 101), (244, 101), (225, 195)])


def test_the_fringe_rule_needs_a_detected_face_that_agrees():
    # counting the outline's coverage below the hairline alone would let holes in hair of
    # the skin's colour pass for eyes: the outline is taken only when a detected face of the
    # same place and size vouches for it, and only in visible light
    from skimage.data import astronaut

    from vasi import roi
    from vasi.roi_face import _face_oval, _face_small, _fringe_oval

    img = cv2.resize(astronaut()[0:300, 100:350], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    srgb, lin, _ = roi._small(img)
    blob, strict, _ = _face_small(srgb, lin, "visible", roi._centre_weight(srgb.shape[:2]))
    assert strict is None and _face_oval(blob, hairline=True) is not None  # her fringe
    faces = roi._detect_faces(srgb)
    assert _fringe_oval(blob, faces, "visible") is not None
    assert _fringe_oval(blob, [], "visible") is None
    r, c, size = faces[0]
    assert _fringe_oval(blob, [(r + size, c, size)], "visible") is None  # a box a face lower
    assert _fringe_oval(blob, [(r, c, 2.5 * size)], "visible") is None  # a box far wider
    assert _fringe_oval(blob, faces, "woods") is None


def test_detected_faces_largest_first_without_small_ones(monkeypatch):
    # a smaller face in the background (a clinician, a mirror) is not the patient: only
    # detections at least MIN_FACE_SHARE of the largest one's width are returned, at most
    # MAX_FACES, largest first
    import skimage.feature

    from vasi import roi_face

    widths = [50, 100, 70, 30, 62]
    boxes = [{"r": 5 * i, "c": 7 * i, "width": w, "height": w} for i, w in enumerate(widths)]

    class FakeCascade:
        def __init__(self, *args, **kwargs):
            pass

        def detect_multi_scale(self, **kwargs):
            return list(boxes)

    monkeypatch.setattr(skimage.feature, "Cascade", FakeCascade)
    faces = roi_face._detect_faces(np.zeros((200, 200, 3), np.float32))
    got = [size for _, _, size in faces]
    assert got == [100.0, 70.0, 62.0]  # 50 and 30 are below 0.6 of 100
    assert faces[0] == (5 + 50.0, 7 + 50.0, 100.0)  # (row, col) of the box's centre
    boxes[:] = [{"r": i, "c": i, "width": 100 - i, "height": 100 - i} for i in range(8)]
    assert len(roi_face._detect_faces(np.zeros((200, 200, 3), np.float32))) == roi_face.MAX_FACES


def test_an_outline_without_a_mouth_must_not_be_contradicted_by_the_detector():
    # in visible light two holes in hair of the skin's colour can pass for eyes, with no
    # mouth below them (the full 512-px astronaut recoloured to type IV or V: a region twice
    # her face). An outline found without a mouth is kept unless the face detector finds
    # faces and none agrees with it
    from vasi import roi
    from vasi.roi_face import _box_eyes, _same_face

    ph = make_photo(rng=620010, site="face", shape=(360, 480))
    real_small = roi._face_small

    def mouthless(*args, **kwargs):
        blob, oval, boxed = real_small(*args, **kwargs)
        return blob, (None if oval is None else oval._replace(mouth=False)), boxed

    _, method0 = find_region(ph.image, site="face", return_method=True)
    assert method0 == "face outline"
    srgb, lin, _ = roi._small(ph.image)
    oval = real_small(srgb, lin, "visible", roi._centre_weight(srgb.shape[:2]))[1]
    here = (oval.eye_row + 0.12 * oval.face_w, oval.cx, oval.face_w)  # a box on the outline's face
    assert _same_face(oval, _box_eyes(here))
    elsewhere = (here[0], here[1] + 1.5 * here[2], here[2])
    found = {}
    for name, faces in (("none", []), ("agrees", [here]), ("elsewhere", [elsewhere])):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(roi, "_face_small", mouthless)
            mp.setattr(roi, "_detect_faces", lambda srgb, faces=faces: list(faces))
            found[name] = find_region(ph.image, site="face", return_method=True)[1]
    assert found["none"] == found["agrees"] == "face outline"
    assert found["elsewhere"] != "face outline"


def test_the_fringe_discount_never_reaches_below_the_brows():
    # coverage below the hairline: the cut is at most 0.15 face widths above the eye line,
    # and never a negative row (which would cut from the bottom of the outline instead)
    from vasi.roi_face import FaceOval, _face_like

    blob = np.zeros((40, 60), bool)
    blob[30:40, 10:50] = True  # skin only at the outline's bottom (the chin): not a face
    oval = FaceOval(30.0, 3.0, 0.5 * 1.04 * 40.0, 0.62 * 40.0, 36.0, 18.0,
                    (np.array([3.0, 21.0]), np.array([3.0, 39.0])))
    assert not _face_like(blob, oval, hairline=False)
    assert not _face_like(blob, oval, hairline=True)


def test_skin_that_a_dark_band_cuts_off_inside_the_face_outline_stays():
    # an old face's folds and wrinkles in shade, or a glasses rim, can cut the facial skin
    # in two inside the outline (the skin still joins around it, beyond the outline): both
    # pieces are the face, not only the larger one
    from vasi.roi_face import FACE_SIDE, FaceOval, _face_mask, _outline_mask

    fw = 100.0
    oval = FaceOval(100.0, 80.0, 0.5 * FACE_SIDE * fw, 0.6 * fw, 0.9 * fw, 45.0,
                    (np.array([80.0, 78.0]), np.array([80.0, 122.0])))
    blob = np.ones((200, 200), bool)
    blob[72:88, 68:88] = blob[72:88, 112:132] = False  # eyes
    blob[140:150, 80:120] = False  # mouth
    outline = _outline_mask(blob.shape, oval)
    rows = np.arange(200)[:, None]
    band = (rows >= 105) & (rows < 113)
    blob &= ~(band & outline)
    region = _face_mask(blob, oval, "visible")
    assert region[outline & (rows < 60)].mean() > 0.9  # forehead
    assert region[outline & (rows > 125)].mean() > 0.8  # cheeks, mouth, chin below the band


def test_a_brighter_exposure_keeps_the_woods_lamp_trunk_region():
    # +0.85 EV on a type-VI trunk under a Wood's lamp: a colour of the frame's border (the
    # neck with a fluorescent patch's halo) came out 3.02 skin SDs from the skin with a
    # spread of 3.8 SDs in luminance -- a mix of skin and halo, not background -- and took
    # a third of the trunk (region recall 0.67). A border colour is judged in its own
    # spread where that is the wider one.
    from vasi.color import linear_to_srgb, srgb_to_linear

    ph = make_photo(rng=2000036, site="trunk", skin_type="VI", modality="woods", shape=(900, 1200),
                    background="dark")
    lin = srgb_to_linear(ph.image.astype(np.float32) / 255.0)
    bright = np.round(255.0 * linear_to_srgb(np.clip(1.8 * lin, 0.0, 1.0))).astype(np.uint8)
    truth = ph.truth.roi_mask
    for img in (ph.image, bright):
        region = find_region(img, site="body", modality="woods")
        assert (region & truth).sum() > 0.9 * truth.sum()
        assert (region & ~truth).sum() < 0.15 * truth.sum()


def test_the_detector_tries_each_face_it_finds():
    # a face in the corner of a large frame: the centre has no face, so the detector finds
    # it. A background pattern that passes the cascade with the face's size used to win
    # when it came first; each detection is now tried until one's features show a face
    from vasi import roi

    ph = make_photo(rng=620000, site="face", shape=(360, 480))
    big = np.full((720, 960, 3), 90, np.uint8)
    big[:360, :480] = ph.image
    truth = np.zeros(big.shape[:2], bool)
    truth[:360, :480] = ph.truth.roi_mask
    real = roi._detect_faces(roi._small(big)[0])
    assert len(real) == 1
    r0, c0, size = real[0]
    bogus = (r0 + 60.0, c0 + 150.0, size)  # plain grey background, same size
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(roi, "_detect_faces", lambda srgb: [bogus] + real)
        r, method = find_region(big, site="face", return_method=True)
    assert method == "face detector"
    assert _iou(r, truth) > 0.85


def _limb_with_patch(skin_rgb, patch_axes, background=(22, 20, 24)):
    """A limb-like skin ellipse on a plain background with a depigmented patch at the centre
    of the frame (where the skin colour is seeded)."""
    rng = np.random.default_rng(5)
    img = np.empty((300, 400, 3), np.float32)
    img[:] = background
    skin = np.zeros((300, 400), np.uint8)
    cv2.ellipse(skin, (200, 150), (190, 80), 0, 0, 360, 1, -1)
    patch = np.zeros_like(skin)
    cv2.ellipse(patch, (200, 150), patch_axes, 20, 0, 360, 1, -1)
    skin, patch = skin.astype(bool), patch.astype(bool) & skin.astype(bool)
    img[skin] = skin_rgb
    img[patch] = (228, 184, 168)
    img = cv2.GaussianBlur(img + rng.normal(0, 3, img.shape).astype(np.float32), (0, 0), 1.0)
    return np.clip(img, 0, 255).astype(np.uint8), skin, patch


@pytest.mark.parametrize("skin_rgb,patch_axes,background", [
    ((118, 78, 58), (95, 60), (22, 20, 24)),     # a large patch: the centre is all patch
    ((118, 78, 58), (40, 40), (140, 100, 70)),   # a small one, on a skin-hued (wood) background
    ((70, 45, 35), (40, 40), (200, 200, 205)),   # darker skin, light background
])
def test_body_region_keeps_the_normal_skin_around_a_central_patch(skin_rgb, patch_axes, background):
    # the skin colour is seeded at the centre of the frame: a depigmented patch there was
    # taken for the skin, and the region was the patch alone (IoU 0.38 / 0.11 / 0.11)
    img, skin, patch = _limb_with_patch(skin_rgb, patch_axes, background)
    r = find_region(img, site="body")
    assert _iou(r, skin) > 0.9
    assert (r & patch).sum() > 0.98 * patch.sum()


def test_body_region_seeds_the_skin_on_the_pigmented_mode():
    # a type V forearm whose central seed pixels are half patch, half normal skin: the
    # skin model spanned both and the region was the patch (IoU 0.27); the seed is now the
    # more pigmented of two clearly separated modes
    ph = make_photo(rng=700066, skin_type="V", site="forearm", modality="visible",
                    background="dark", shape=(900, 1200), marker=False, chart=False, repigmented=0.0)
    r = find_region(ph.image, site="body")
    assert _iou(r, ph.truth.roi_mask) > 0.9
    assert (r & ph.truth.depig_mask).sum() > 0.95 * ph.truth.depig_mask.sum()


def test_marker_search_beside_the_skin_model_gives_the_same_region(monkeypatch):
    # with more than one OpenCV thread the marker search runs in another thread while the
    # skin model is built: the same region, method and cards as in one thread
    import threading

    import vasi.roi as roi_mod
    from vasi.calibrate import marker_boxes

    ph = make_photo(rng=500_301, site="face", skin_type="III", shape=(600, 800), marker=True)
    ran_in = []

    def recording(arr):
        ran_in.append(threading.current_thread().name)
        return marker_boxes(arr)

    monkeypatch.setattr(roi_mod, "marker_boxes", recording)
    n_threads = cv2.getNumThreads()
    out = {}
    try:
        for k in (2, 1):
            cv2.setNumThreads(k)
            out[k] = roi_mod._auto_region_without_cards(ph.image, "face", "visible")
    finally:
        cv2.setNumThreads(n_threads)
    assert ran_in[0].startswith("vasi-markers") and ran_in[1] == threading.current_thread().name
    (r2, m2, c2, _), (r1, m1, c1, _) = out[2], out[1]
    assert m2 == m1 and np.array_equal(r2, r1)
    assert len(c2) == len(c1) >= 1  # the marker's card was found and cut out
    for (rows2, cols2, card2), (rows1, cols1, card1) in zip(c2, c1, strict=True):
        assert (rows2, cols2) == (rows1, cols1) and np.array_equal(card2, card1)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_face_photo_gets_the_upright_photos_region(turns):
    # a face photo whose orientation tag was lost (on its side, or upside down): the
    # features and the frontal-face detector answer only for an upright face, so the photo
    # is tried turned, and the region comes back in the photo's own orientation
    from vasi.roi import FACE_TURNED

    ph = make_photo(rng=7001, skin_type="II", site="face", shape=(450, 600))
    upright, method = find_region(ph.image, site="face", return_method=True)
    assert method == "face outline"
    turned, method = find_region(np.ascontiguousarray(np.rot90(ph.image, turns)), site="face",
                                 return_method=True)
    assert method == FACE_TURNED
    assert _iou(turned, np.rot90(ph.truth.roi_mask, turns)) > 0.8
    assert _iou(turned, np.rot90(upright, turns)) > 0.9
    assert region_flags(FACE_TURNED) == ("face found with the photo turned: check its orientation",)


def test_a_turned_real_portrait_gets_its_upright_region():
    # matplotlib's Grace Hopper: upright, her outline comes from her features below a
    # hairline the detector vouches for; turned, from the same features in the turned photo
    import matplotlib.cbook as cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    img = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    upright = find_region(img, site="face")
    turned = find_region(np.ascontiguousarray(np.rot90(img)), site="face")
    assert _iou(turned, np.rot90(upright)) > 0.95


@pytest.mark.parametrize("seed", [3, 11])
def test_a_green_cast_does_not_send_the_face_region_to_the_hair(seed, gained):
    # fluorescent light under a daylight white balance (linear gains 0.92 / 1.08 / 0.95)
    # takes fair skin's a* below 0, out of the skin hue window, while brown hair stays in
    # it: the skin colour was sampled on the hair (region IoU with the balanced photo's
    # 0.05 and 0.00). Where the face's centre has no skin hue, the seeds' window widens
    ph = make_photo(rng=seed, skin_type="I", site="face", shape=(300, 400), background="light")
    clean = find_region(ph.image, site="face")
    green = find_region(gained(ph.image, (0.92, 1.08, 0.95)), site="face")
    assert (clean & green).sum() / (clean | green).sum() > 0.85


def test_a_lighter_redder_object_behind_the_hand_is_not_taken_for_its_skin():
    # a body site's skin-colour seeds are split when they hold two colours, and the more
    # pigmented one (lower log B/R) is taken as the skin around a large central patch. An
    # orange block of a busy background behind a type-VI hand is redder still, but lighter:
    # melanin darkens skin as it reddens it, so that mode is not the skin (region IoU 0.02)
    ph = make_photo(rng=2000023, skin_type="VI", site="forearm", shape=(900, 1200), background="busy")
    region = find_region(ph.image, site="body")
    truth = ph.truth.roi_mask
    assert (region & truth).sum() / (region | truth).sum() > 0.85


def test_a_green_cast_keeps_a_dark_faces_patch_in_the_region(gained):
    # depigmented skin keeps the blood's red (a* > 1.5); a green cast lowers every a*: on a
    # type-VI face the skin's to 3.0 and a forehead patch's to 0.5, and 73 % of the patch
    # fell outside the region. Where the skin itself is little red, a patch may be up to
    # DEPIG_A_BELOW less red than the skin
    ph = make_photo(rng=2000011, skin_type="VI", site="face", shape=(450, 600), background="busy")
    region = find_region(gained(ph.image, (0.92, 1.08, 0.95)), site="face")
    patch = ph.truth.depig_mask
    assert (region & patch).sum() / patch.sum() > 0.9


def test_a_blue_cast_keeps_dark_skins_patches_in_the_region(gained):
    # depigmented skin is not magenta (b* > tan 5 deg x a*); a blue cast takes every b*
    # down, a type-V trunk's patches below 0 (8 below the skin's): 95 % of them fell
    # outside the region. Where the skin's own b* is low, a patch's b* may be up to
    # DEPIG_B_BELOW below it
    ph = make_photo(rng=2000033, skin_type="V", site="trunk", shape=(450, 600), background="dark")
    region = find_region(gained(ph.image, (0.75, 0.95, 1.25)), site="body")
    patch = ph.truth.depig_mask
    assert (region & patch).sum() / patch.sum() > 0.9


@pytest.mark.parametrize("modality", ["visible", "woods"])
@pytest.mark.parametrize("seed", [21, 22])
def test_a_trunk_ends_at_its_flanks_not_at_the_shoulders(seed, modality):
    # arms hanging beside a trunk are cut off by the shape prior below the armpits, but
    # above them arm and trunk merge into the shoulders, which the opening kept: 11-14 %
    # of the trunk's region was the shoulders (VASI's upper extremities). The trunk ends
    # at its flank continued up to the shoulder
    ph = make_photo(rng=seed, skin_type="III", site="trunk", modality=modality, shape=(450, 600))
    region = find_region(ph.image, site="body", modality=modality)
    truth = ph.truth.roi_mask
    assert (region & ~truth).sum() / region.sum() < 0.05
    assert (region & truth).sum() / truth.sum() > 0.88


def test_a_trunks_shoulders_stay_registration_evidence():
    # the shoulders left out of a trunk's region are the arms', but they move with the
    # trunk: like nails, they stay in the evidence a series registers on (without them a
    # visible trunk's follow-up fell from 25 to 14 inliers and failed)
    from vasi.roi import _auto_region_without_cards

    ph = make_photo(rng=21, skin_type="III", site="trunk", shape=(450, 600))
    found = _auto_region_without_cards(ph.image, "body", "visible")
    evidence = found.evidence()
    assert not (found.region & ~evidence).any()
    assert (evidence & ~ph.truth.roi_mask).sum() > 0.08 * found.region.sum()


def test_a_flank_cut_never_takes_much_of_a_site():
    # the cut beyond a flank is meant for a trunk's shoulders (0.11-0.15 of it); a
    # background blob of a busy Wood's lamp photo dropped beside a forearm, tilted, took
    # 59 % of the forearm (region IoU 0.83 -> 0.29) before cuts were capped
    ph = make_photo(rng=26, skin_type="V", site="forearm", modality="woods", shape=(450, 600), background="busy")
    region = find_region(ph.image, site="body", modality="woods")
    assert _iou(region, ph.truth.roi_mask) > 0.8


def test_a_limb_filling_most_of_the_frame_keeps_its_lighter_side():
    """A forearm photographed from near (88 % of the frame, background in two corners):
    its lighter side covers a third of the frame's border, near the skin colour, and was
    taken for a backdrop of skin's colour (IoU 0.15). It mixes with the skin's own colours
    along the border, a backdrop does not (next test)."""
    ph = make_photo(rng=1, site="forearm", shape=(300, 400), mm_per_px=0.3)
    assert ph.truth.roi_mask.mean() > 0.85
    assert _iou(find_region(ph.image, site="body"), ph.truth.roi_mask) > 0.9


def test_a_backdrop_near_the_skins_colour_stays_background():
    rng = np.random.default_rng(3)
    img = _noisy((240, 320), (214, 166, 138), 3.0, rng)  # a wall a little lighter than skin
    img[70:170] = _noisy((100, 320), (200, 150, 120), 3.0, rng)  # a limb across the frame
    truth = np.zeros((240, 320), bool)
    truth[70:170] = True
    assert _iou(find_region(img, site="body"), truth) > 0.9


@pytest.mark.parametrize("seed, skin_type, background", [(3530, "III", "light"), (3515, "V", "dark")])
def test_a_woods_backdrop_split_by_noise_stays_background(seed, skin_type, background):
    """Under a Wood's lamp a dark backdrop is as dark as the skin; its noise splits it into
    border colours near the skin's that mix with the rest of it, and the border-mixing rule
    (visible light only, ``BG_MIX``) took the whole frame for skin (IoU 0.82 -> 0.20)."""
    ph = make_photo(rng=seed, site="forearm", background=background, modality="woods",
                    skin_type=skin_type, shape=(300, 400))
    region = find_region(ph.image, site="body", modality="woods")
    assert region.mean() < 0.9
    assert _iou(region, ph.truth.roi_mask) > 0.45


def test_eyes_ringed_by_depigmentation_stay_out_of_the_face_region():
    # periocular vitiligo: at the working resolution the sclera, blended with the pale skin
    # around it, passed for depigmented skin and joined the skin, so the eye left no hole;
    # a gap at the patch's border passed for it (the region kept 0.58 and 0.00 of the two
    # eye openings; the eye white was then scored as depigmented). The eye is found by its
    # iris, dark between the brighter sclera on either side (roi_face._on_pupils).
    from vasi.roi_ops import _fill_holes

    ph = make_photo(rng=7800018, skin_type="I", site="face", shape=(600, 800), background="dark", extent=1.5)
    truth = ph.truth.roi_mask
    holes = _fill_holes(truth) & ~truth
    n, lab, st, cen = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=8)
    big = sorted((i for i in range(1, n) if st[i, cv2.CC_STAT_AREA] > 30), key=lambda i: cen[i, 1])
    eyes = [lab == i for i in big[2:4]]  # below the two brows
    assert len(eyes) == 2 and abs(cen[big[2], 1] - cen[big[3], 1]) < 20
    region = find_region(ph.image, site="face")
    for eye in eyes:
        assert (eye & ~region).sum() >= 0.75 * eye.sum()
    assert (region & truth).sum() / (region | truth).sum() > 0.85


def test_woods_face_keeps_shaded_skin_away_from_its_features():
    # under a Wood's lamp a dark face's skin is barely brighter than the background and its
    # own features: shade leaves holes in the skin blob away from every feature (a cheek)
    # and bites out of its lower edge (the jaw turning away from the lamp). Inside a
    # trusted outline both are skin; the eyes, brows, nostrils and mouth stay out, and in
    # visible light (where colour finds shaded skin) nothing changes
    from vasi.roi_face import _face_mask, _face_oval

    blob = np.zeros((240, 320), np.uint8)
    cv2.ellipse(blob, (160, 110), (50, 70), 0, 0, 360, 1, -1)  # face
    for c in (140, 180):
        cv2.ellipse(blob, (c, 95), (7, 3), 0, 0, 360, 0, -1)  # eyes
        cv2.ellipse(blob, (c, 84), (9, 2), 0, 0, 360, 0, -1)  # brows
    cv2.ellipse(blob, (160, 140), (15, 3), 0, 0, 360, 0, -1)  # lips
    for c in (155, 165):
        cv2.circle(blob, (c, 124), 2, 0, -1)  # nostrils
    face = blob.astype(bool).copy()  # the features' holes, not the shade
    for c in (128, 192):  # both sides (one-sided shade is mirrored from the lit side)
        cv2.circle(blob, (c, 125), 6, 0, -1)  # shade on a cheek, away from the features
    for c in (114, 206):
        cv2.circle(blob, (c, 132), 8, 0, -1)  # the sides of the jaw in shade
    oval = _face_oval(face)
    assert oval is not None
    cheek = np.zeros_like(face)
    cv2.circle(cheek.view(np.uint8), (128, 125), 5, 1, -1)
    jaw = np.zeros_like(face)
    cv2.circle(jaw.view(np.uint8), (202, 132), 3, 1, -1)
    jaw &= face
    feats = ~face & (np.arange(320)[None, :] > 120) & (np.arange(320)[None, :] < 200)
    feats &= (np.arange(240)[:, None] > 80) & (np.arange(240)[:, None] < 145)
    woods = _face_mask(blob.astype(bool), oval, "woods")
    assert woods[cheek].mean() > 0.95 and woods[jaw].mean() > 0.95
    assert not woods[feats].any()
    visible = _face_mask(blob.astype(bool), oval, "visible")
    assert not visible[cheek].any() and not visible[jaw].any()


def test_dark_woods_face_region_takes_its_shaded_skin():
    # a type VI face under a Wood's lamp (fresh seed, not of the benchmark's sets): region
    # IoU 0.80 before shaded skin inside the outline was taken as skin, 0.83 after
    ph = make_photo(rng=7700012, skin_type="VI", site="face", modality="woods", background="busy",
                    marker=False, repigmented=0.0)
    r = find_region(ph.image, site="face", modality="woods")
    assert _iou(r, ph.truth.roi_mask) > 0.82
    assert r[ph.truth.depig_mask].mean() > 0.9
