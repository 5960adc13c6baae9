"""Assessed region: user mask wins, body skin on dark/white backgrounds, face oval."""

import numpy as np
import pytest

from vasi.errors import InputError
from vasi.roi import find_region, skin_mask
from vasi.synth import make_photo


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_user_mask_wins():
    img = np.zeros((20, 30, 3), np.uint8)
    m = np.zeros((20, 30), bool)
    m[2:5, 3:9] = True
    out = find_region(img, site="face", mask=m)
    assert (out == m).all() and out is not m


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
    with pytest.raises(InputError, match="site"):
        find_region(img, site="leg")


def test_trunk_region_leaves_out_the_arms_and_keeps_patches():
    ph = make_photo(rng=303, skin_type="III", site="trunk", background="dark", shape=(300, 400))
    r = find_region(ph.image, site="body")
    assert _iou(r, ph.truth.roi_mask) > 0.78
    assert (ph.truth.depig_mask & r).sum() >= 0.95 * ph.truth.depig_mask.sum()


def test_shape_prior_drops_limbs_keeps_fingers():
    from vasi.roi import _drop_limbs

    torso = np.zeros((200, 300), bool)
    torso[40:190, 90:210] = True
    torso[50:190, 60:80] = torso[50:190, 220:240] = True  # arms
    torso[45:60, 80:90] = torso[45:60, 210:220] = True  # shoulders joining them
    out = _drop_limbs(torso)
    assert out[40:190, 90:210].all() and not out[:, :80].any() and not out[:, 220:].any()
    hand = np.zeros((200, 300), bool)
    hand[80:140, :200] = True
    for y in (82, 97, 112, 127):
        hand[y:y + 8, 200:250] = True  # fingers: small appendages stay
    assert (_drop_limbs(hand) == hand).all()
