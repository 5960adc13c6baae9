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
def rgb(rng):
    """A 48x64 RGB uint8 test image with structure (so orientation errors are visible)."""
    img = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    img[:8, :16] = (255, 0, 0)  # red block in the top-left corner
    return img
