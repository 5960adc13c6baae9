"""Shared fixtures: small synthetic photos written to disk in every supported format."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator; every test gets the same stream."""
    return np.random.default_rng(20261125)


@pytest.fixture
def gained():
    """``gained(img, gains)``: ``img`` (uint8 sRGB) with linear-light ``gains`` per channel,
    clipped -- a colour cast (e.g. ``(0.75, 0.95, 1.25)``, blue) or an exposure change."""
    from vasi.color import linear_to_srgb, srgb_to_linear

    def apply(img, gains):
        lin = srgb_to_linear(img.astype(np.float32) / 255.0) * np.asarray(gains, np.float32)
        return np.round(255.0 * linear_to_srgb(np.clip(lin, 0.0, 1.0))).astype(np.uint8)

    return apply


@pytest.fixture
def rgb(rng):
    """A 48x64 RGB uint8 test image with structure (so orientation errors are visible)."""
    img = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    img[:8, :16] = (255, 0, 0)  # red block in the top-left corner
    return img
