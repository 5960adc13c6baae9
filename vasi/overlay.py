"""Image overlays: depigmentation masks and assessed regions drawn on the photo."""

from __future__ import annotations

import cv2
import numpy as np

from ._validate import check_mask, is_number, to_uint8
from .errors import InputError

__all__ = ["overlay"]

#: Default colours (RGB): depigmentation outline/fill and assessed-region outline.
DEPIG_RGB = (255, 0, 200)
ROI_RGB = (0, 220, 255)


def overlay(image, mask, *, roi=None, alpha: float = 0.35, color=DEPIG_RGB) -> np.ndarray:
    """Draw ``mask`` (filled, translucent, outlined) and ``roi`` (outline) on ``image``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo.
    mask : ndarray of bool, shape (H, W)
        Depigmented pixels.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region, drawn as an outline.
    alpha : float, keyword-only
        Fill opacity in [0, 1].
    color : (int, int, int), keyword-only
        RGB (0-255) of the mask's fill and outline (default ``DEPIG_RGB``).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8

    Examples
    --------
    >>> img = np.zeros((10, 10, 3), np.uint8); m = np.zeros((10, 10), bool); m[2:5, 2:5] = True
    >>> overlay(img, m).shape
    (10, 10, 3)
    """
    out = to_uint8(image).copy()
    m = check_mask(mask, out.shape[:2], "mask")
    thickness = max(1, round(max(out.shape[:2]) / 500))
    if not (is_number(alpha) and 0 <= alpha <= 1):
        raise InputError(f"alpha must be an opacity in [0, 1]; got {alpha!r}.")
    fill = np.asarray(color, dtype=object).ravel()
    if fill.size != 3 or not all(is_number(c, whole=True) and 0 <= c <= 255 for c in fill):
        raise InputError(f"color must be 3 integers R, G, B in 0-255, e.g. (255, 0, 0); got "
                         f"{color!r}.")
    fill = fill.astype(np.float32)
    out[m] = (out[m] * (1 - alpha) + fill * alpha).astype(np.uint8)
    _outline(out, m, color, thickness)
    if roi is not None:
        _outline(out, check_mask(roi, out.shape[:2], "roi"), ROI_RGB, thickness)
    return out


def _outline(out: np.ndarray, mask: np.ndarray, color, thickness: int) -> None:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, contours, -1, tuple(int(c) for c in color), thickness)
