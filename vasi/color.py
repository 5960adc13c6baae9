"""Colour-space helpers: CIE Lab and the individual typology angle (ITA).

Baseline version; the segmentation issue adds white balance / exposure normalisation.
"""

from __future__ import annotations

import numpy as np
from skimage import color as _skcolor

from ._validate import to_float


def rgb_to_lab(image) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB image.

    Returns
    -------
    ndarray, shape (H, W, 3), float32
        L* in [0, 100], a* and b* roughly in [-128, 127].

    Examples
    --------
    >>> lab = rgb_to_lab(np.full((8, 8, 3), 255, np.uint8))
    >>> round(float(lab[0, 0, 0]), 1)
    100.0
    """
    return _skcolor.rgb2lab(to_float(image)).astype(np.float32)


def ita_degrees(lab) -> np.ndarray:
    """Individual typology angle ``ITA = atan2(L* - 50, b*)`` in degrees.

    .. math:: ITA = \\arctan\\left(\\frac{L^* - 50}{b^*}\\right) \\cdot \\frac{180}{\\pi}

    Examples
    --------
    >>> float(ita_degrees(np.array([70.0, 10.0, 20.0])))
    45.0
    """
    lab = np.asarray(lab, dtype=np.float64)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))
