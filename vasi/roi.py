"""The assessed region: which pixels of a photo are the skin being scored.

Baseline version: a user-supplied mask always wins; otherwise the skin is separated from a
dark or light background by Otsu thresholding of chroma-weighted lightness. The segmentation
issue replaces the automatic part with face/body-site detection.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, morphology

from ._validate import check_choice, check_image, check_mask, to_uint8
from .color import rgb_to_lab

SITES = ("face", "body")


def find_region(image, *, site: str = "face", mask=None) -> np.ndarray:
    """Boolean mask of the assessed skin in ``image``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo (uint8, uint16 or float in [0, 1]).
    site : {"face", "body"}, keyword-only
        What is being assessed.
    mask : ndarray, shape (H, W), optional
        A user-drawn region; when given it is returned as-is (validated).

    Returns
    -------
    ndarray of bool, shape (H, W)

    Examples
    --------
    >>> img = np.zeros((40, 40, 3), np.uint8); img[10:30, 10:30] = (200, 150, 120)
    >>> int(find_region(img, site="body").sum())
    400
    """
    arr = check_image(image)
    check_choice(site, SITES, "site")
    if mask is not None:
        return check_mask(mask, arr.shape[:2], "mask").copy()
    lab = rgb_to_lab(to_uint8(arr))
    # skin has chroma; backgrounds in clinical photos are dark/neutral
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    feature = np.clip(lab[..., 0], 0, 100) * 0.3 + chroma
    t = filters.threshold_otsu(feature)
    skin = feature > t
    skin = morphology.remove_small_objects(skin, max_size=max(64, skin.size // 500))
    labels, n = ndi.label(skin)
    if n > 1:
        sizes = ndi.sum_labels(skin, labels, index=np.arange(1, n + 1))
        skin = labels == (1 + int(np.argmax(sizes)))
    return ndi.binary_fill_holes(skin)
