"""The lips kept out of the F-VASI face region where they pass the skin test (roi_face._lips)."""

import cv2
import numpy as np
import pytest

from vasi._cv import components_with_stats
from vasi.roi import find_region
from vasi.roi_face import _lips
from vasi.roi_ops import _fill_holes, _log_luma
from vasi.synth import make_photo

EYES = ((60.0, 80.0), (60.0, 120.0))  # (row, col): 40 px apart, the mouth ~44 px below
SKIN = np.array([0.020, 0.012, 0.030], np.float32)  # dark skin under a Wood's lamp (linear RGB)


def _face(rng, spot=None, colour=None, ellipse=None):
    """A drawn face's skin (linear RGB, region): uniform skin with noise, one ellipse
    ``ellipse`` = ((col, row), (half-axes)) of ``colour``."""
    lin = np.repeat(SKIN[None, None], 200 * 200, 0).reshape(200, 200, 3).copy()
    lin *= np.exp(rng.normal(0.0, 0.04, (200, 200, 1))).astype(np.float32)
    if ellipse is not None:
        m = np.zeros((200, 200), np.uint8)
        cv2.ellipse(m, ellipse[0], ellipse[1], 0, 0, 360, 1, -1)
        lin[m > 0] = np.asarray(colour, np.float32)
    region = np.zeros((200, 200), np.uint8)
    cv2.ellipse(region, (100, 70), (70, 95), 0, 0, 360, 1, -1)
    return lin, region.astype(bool)


def _found(lin, region):
    return _lips(region, EYES, _log_luma(lin), lin)


LIPS = ((100, 104), (16, 6))  # 0.8 x 0.3 eye distances, 1.1 eye distances below the eyes


def test_lips_lighter_and_redder_than_the_skin_are_found():
    rng = np.random.default_rng(0)
    lin, region = _face(rng, colour=SKIN * np.array([2.4, 1.4, 1.3]), ellipse=LIPS)
    lips = np.zeros((200, 200), np.uint8)
    cv2.ellipse(lips, *LIPS, 0, 0, 360, 1, -1)
    got = _found(lin, region)
    assert (got & (lips > 0)).sum() > 0.8 * lips.sum()
    assert (got & ~(lips > 0)).sum() < 0.2 * lips.sum()


def test_darker_redder_lips_are_found_too():
    lin, region = _face(np.random.default_rng(1), colour=SKIN * np.array([0.8, 0.45, 0.5]), ellipse=LIPS)
    assert _found(lin, region).sum() > 200


@pytest.mark.parametrize("colour, ellipse", [
    # a fluorescent (bluish-white) patch of the lips' shape and place: not redder
    (SKIN * np.array([2.0, 2.4, 2.6]), LIPS),
    # redder skin around the mouth reaching beyond the lips' window (perioral)
    (SKIN * np.array([2.4, 1.4, 1.3]), ((100, 104), (40, 24))),
    # lip-shaped and red, but on the nose (0.6 eye distances below the eyes)
    (SKIN * np.array([2.4, 1.4, 1.3]), ((100, 84), (16, 6))),
    # red and at the mouth's place, but round, not lip-shaped
    (SKIN * np.array([2.4, 1.4, 1.3]), ((100, 104), (10, 10))),
])
def test_skin_at_the_mouth_that_is_not_lips_stays(colour, ellipse):
    lin, region = _face(np.random.default_rng(2), colour=colour, ellipse=ellipse)
    assert not _found(lin, region).any()


def test_the_lips_of_a_woods_face_are_kept_out_of_its_region():
    # a type V face under a Wood's lamp: its lips (lit like the skin, and lighter) pass the
    # skin test and leave no hole in the skin, so they were in the region (all 4 578 px)
    # and were then called depigmented; found by anatomy (below the eyes, lip-shaped,
    # redder than the skin around) they stay out
    ph = make_photo(rng=907011, skin_type="V", modality="woods", site="face", shape=(900, 1200),
                    background="light", n_patches=0)
    t = ph.truth.roi_mask
    n, lab, _, cen = components_with_stats((_fill_holes(t) & ~t).astype(np.uint8))
    lips = lab == 1 + int(np.argmax(cen[1:, 1]))  # the lowest of the face's features
    r = find_region(ph.image, site="face", modality="woods")
    assert (r & lips).sum() < 0.1 * lips.sum()
    assert (r & t).sum() / (r | t).sum() > 0.76  # 0.752 with the lips
