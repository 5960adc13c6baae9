"""Overlays: the depigmentation filled and outlined on the photo."""

from __future__ import annotations

import numpy as np
import pytest

import vasi
from vasi.overlay import overlay


def test_overlay_colours_and_opacity_are_checked():
    # alpha=-1 wrapped uint8 colours round, color="red" raised a numpy error
    img = np.full((20, 20, 3), 128, np.uint8)
    m = np.zeros((20, 20), bool)
    m[5:10, 5:10] = True
    for alpha in (-1, 2, float("nan"), True):
        with pytest.raises(vasi.InputError, match="alpha must be an opacity in \\[0, 1\\]"):
            overlay(img, m, alpha=alpha)
    for color in ("red", (255, 0), (300, 0, 0), (0.5, 0.2, 0.1)):
        with pytest.raises(vasi.InputError, match="color must be 3 integers R, G, B"):
            overlay(img, m, color=color)
    assert overlay(img, m, alpha=0.5, color=(255, 0, 0))[7, 7].tolist() == [191, 64, 64]


def test_numbers_as_numpy_and_numpy_arrays_give_it_are_taken():
    # the new checks refused a 0-d array and whole floats that worked before
    img = np.full((20, 20, 3), 128, np.uint8)
    m = np.zeros((20, 20), bool)
    m[5:10, 5:10] = True
    want = overlay(img, m, alpha=0.5, color=(255, 0, 0))
    assert np.array_equal(overlay(img, m, alpha=np.array(0.5), color=(255.0, 0.0, 0.0)), want)
    assert np.array_equal(overlay(img, m, alpha=0.5, color=np.array([255, 0, 0])), want)
    assert vasi.synth.make_photo(rng=1, shape=(80, 100), repigmented=np.array(0.3),
                                 jpeg_quality=90.0, n_patches=3.0).image.shape == (80, 100, 3)
