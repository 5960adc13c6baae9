"""Depigmentation segmentation.

Baseline version (foundation issue): depigmented skin is lighter than the patient's own
normal skin, so the per-pixel score is the lightness excess over the region's median and the
threshold is Otsu's on that score inside the region. The segmentation issue replaces this
with the full method (reference skin away from borders, b*/ITA contrast, hair/specular
handling, Wood's lamp).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from skimage import filters

from ._validate import MODALITIES, check_choice, check_image, check_mask, check_positive
from .color import rgb_to_lab

__all__ = ["Segmentation", "segment"]


@dataclass(frozen=True)
class Segmentation:
    """Result of :func:`segment`.

    Attributes
    ----------
    mask : ndarray of bool, shape (H, W)
        Depigmented pixels, at the input's resolution, inside ``roi``.
    roi : ndarray of bool, shape (H, W)
        Assessed region the segmentation was restricted to.
    score : ndarray of float32, shape (H, W)
        Per-pixel depigmentation score (higher = more depigmented); ``mask`` is
        ``score > thresholds["score"]`` inside ``roi`` after clean-up.
    reference_lab : tuple of float
        L*, a*, b* of the patient's normal reference skin.
    thresholds : dict
        Thresholds used, by name.
    flags : tuple of str
        Quality warnings (e.g. ``"low contrast"``); empty when none.
    modality, method : str
        What was segmented and how.
    """

    mask: np.ndarray
    roi: np.ndarray
    score: np.ndarray
    reference_lab: tuple
    thresholds: dict = field(default_factory=dict)
    flags: tuple = ()
    modality: str = "visible"
    method: str = "lightness-otsu"
    mm_per_px: float | None = None

    @property
    def depigmented_fraction(self) -> float:
        """Depigmented area / assessed area (0 when the region is empty)."""
        n = int(self.roi.sum())
        return float(self.mask.sum()) / n if n else 0.0


def segment(
    image,
    *,
    modality: str = "visible",
    roi=None,
    mm_per_px: float | None = None,
) -> Segmentation:
    """Segment depigmented skin relative to the patient's own skin.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo (uint8, uint16 or float in [0, 1]).
    modality : {"visible", "woods"}, keyword-only
        Visible-light or Wood's lamp photo.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region; the whole image when None.
    mm_per_px : float, optional
        Pixel size in mm (recorded; used for minimum patch sizes by later methods).

    Returns
    -------
    Segmentation

    Examples
    --------
    >>> img = np.full((40, 40, 3), (150, 110, 80), np.uint8); img[10:20, 10:20] = 235
    >>> int(segment(img).mask.sum())
    100
    """
    arr = check_image(image)
    check_choice(modality, MODALITIES, "modality")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    roi = np.ones(arr.shape[:2], bool) if roi is None else check_mask(roi, arr.shape[:2], "roi")
    lab = rgb_to_lab(arr)
    light = lab[..., 0]
    inside = light[roi]
    flags = []
    if inside.size == 0:
        return Segmentation(
            np.zeros_like(roi), roi, np.zeros(roi.shape, np.float32), (np.nan,) * 3,
            {}, ("empty region",), modality, "lightness-otsu", mm_per_px,
        )
    ref = np.median(lab[roi], axis=0)
    score = (light - ref[0]).astype(np.float32)
    values = score[roi]
    t = float(filters.threshold_otsu(values)) if np.ptp(values) > 0 else float(values.max())
    t = max(t, 5.0)  # at least 5 L* units lighter than the median skin
    mask = (score > t) & roi
    if not mask.any():
        flags.append("no depigmentation found")
    return Segmentation(
        mask, roi, score, tuple(float(v) for v in ref), {"score": t}, tuple(flags),
        modality, "lightness-otsu", mm_per_px,
    )
