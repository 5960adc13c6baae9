"""Measure depigmented patches: areas in px, mm², cm² and hand units, shape, totals.

Two hand-unit methods (SPEC.md section 1), both reported when possible:

* **relative** -- ``area_hu = assessed_hu * area_px / roi_px`` (no scale needed; a face is
  3 HU by default);
* **physical** -- ``area_hu_physical = area_cm2 / hand_unit_cm2`` (needs ``mm_per_px`` and the
  patient's hand unit, ``BSA_m2 * 10000 * 1 %``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from ._cv import components_with_stats
from ._validate import check_mask, check_positive
from .errors import InputError
from .reference import BoxMap, region_box

__all__ = ["patches", "summary", "Summary"]

_COLUMNS = ["patch_id", "area_px", "centroid_row", "centroid_col", "perimeter_px",
            "equivalent_diameter_px", "bbox_row0", "bbox_col0", "bbox_row1", "bbox_col1",
            "fraction_of_region"]


def _labels(mask, roi=None):
    """8-connected labels of a bool mask (inside ``roi`` when given: depigmentation outside
    the assessed region is not the site's), computed inside the mask's bounding box only.

    Returns the mask's shape, its box (row, col slices), the mask in the box (inside
    ``roi``) and the labels, stats and centroids of
    :func:`cv2.connectedComponentsWithStats` for that box (background is label 0)."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise InputError(f"mask must be a 2-D (H, W) array of bool; got shape {m.shape}.")
    m = check_mask(m, m.shape, "mask")
    box = region_box(m, margin=0.0, min_margin=1)
    crop = m[box]
    if roi is not None:  # (in the box only: no full-frame copy of a 24-MP mask)
        crop = crop & check_mask(roi, m.shape, "roi")[box]
    n, labels, stats, cents = components_with_stats(crop.view(np.uint8))
    return m.shape, box, crop, labels, stats[1:], cents[1:]


def _perimeters(labels, stats) -> np.ndarray:
    """Boundary length of each labelled component, px: the 8-connected outline through the
    centres of its border pixels (holes included), as :func:`cv2.arcLength` measures it."""
    out = np.empty(len(stats))
    for i, (x, y, w, h, _) in enumerate(stats):
        crop = (labels[y:y + h, x:x + w] == i + 1).view(np.uint8)
        contours, _ = cv2.findContours(crop, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        out[i] = sum(cv2.arcLength(c, True) for c in contours)
    return out


def patches(
    mask,
    *,
    roi=None,
    mm_per_px: float | None = None,
    assessed_hu: float | None = None,
    hand_unit_cm2: float | None = None,
    score=None,
) -> pd.DataFrame:
    """Table of connected (8-connected) depigmented patches.

    Parameters
    ----------
    mask : ndarray of bool, shape (H, W)
        Depigmented pixels.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region; needed for ``fraction_of_region`` and the relative HU column.
    mm_per_px : float, optional
        Pixel size; adds ``area_mm2``, ``area_cm2``, ``perimeter_mm``.
    assessed_hu : float, optional
        Hand units of the whole ``roi`` (3 for a face); adds ``area_hu`` (relative method).
    hand_unit_cm2 : float, optional
        The patient's hand unit in cm²; with ``mm_per_px`` adds ``area_hu_physical``.
    score : ndarray of float, shape (H, W), optional
        Per-pixel depigmentation score (e.g. ``Segmentation.score``); adds ``mean_score``.

    Returns
    -------
    pandas.DataFrame
        One row per patch, largest first: ``patch_id``, ``area_px``, ``centroid_row``,
        ``centroid_col``, ``perimeter_px``, ``equivalent_diameter_px``, bounding box
        (``bbox_row0`` .. ``bbox_col1``, end exclusive), ``fraction_of_region`` and the
        optional columns above.

    Examples
    --------
    >>> m = np.zeros((20, 20), bool); m[2:6, 2:6] = True; m[10:12, 10:15] = True
    >>> patches(m, mm_per_px=0.5)["area_mm2"].tolist()
    [4.0, 2.5]
    """
    shape, box, inside, labels, stats, cents = _labels(mask, roi)
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    assessed_hu = check_positive(assessed_hu, "assessed_hu", allow_none=True)
    roi_px = None
    if roi is not None:
        roi_px = int(np.count_nonzero(roi))
    r0, c0 = box[0].start, box[1].start
    area = stats[:, cv2.CC_STAT_AREA].astype(int)
    # columns are built as arrays and the table once (pandas column inserts and sorts cost
    # more than the measurements on a typical photo)
    cols = {
        "patch_id": np.arange(1, len(stats) + 1),
        "area_px": area,
        "centroid_row": cents[:, 1] + r0,
        "centroid_col": cents[:, 0] + c0,
        "perimeter_px": _perimeters(labels, stats),
        "equivalent_diameter_px": np.sqrt(4.0 * area / np.pi),
        "bbox_row0": stats[:, cv2.CC_STAT_TOP] + r0,
        "bbox_col0": stats[:, cv2.CC_STAT_LEFT] + c0,
        "bbox_row1": stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT] + r0,
        "bbox_col1": stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] + c0,
        "fraction_of_region": area / roi_px if roi_px else np.full(len(area), np.nan),
    }
    if mm_per_px is not None:
        cols["area_mm2"] = area * mm_per_px**2
        cols["area_cm2"] = cols["area_mm2"] / 100.0
        cols["perimeter_mm"] = cols["perimeter_px"] * mm_per_px
        if hand_unit_cm2 is not None:
            cols["area_hu_physical"] = cols["area_cm2"] / check_positive(hand_unit_cm2, "hand_unit_cm2")
    if assessed_hu is not None and roi is not None:
        cols["area_hu"] = assessed_hu * area / roi_px if roi_px else np.full(len(area), np.nan)
    if score is not None and len(area):
        # a lazy full-resolution map (vasi.reference.BoxMap) is read over the patches' box only
        sc = score if isinstance(score, BoxMap) else np.asarray(score)
        if tuple(sc.shape) != shape:
            raise InputError(f"score must have shape {shape}; got {tuple(sc.shape)}.")
        lab_in = labels[inside]  # only the patch pixels: fast on 12-MP masks
        sc_box = sc.crop(box) if isinstance(sc, BoxMap) else sc[box]
        sums = np.bincount(lab_in, weights=sc_box[inside].astype(np.float64), minlength=len(area) + 1)
        cols["mean_score"] = sums[1:] / np.maximum(area, 1)
    order = np.argsort(-area, kind="stable")  # largest first, ties in label order
    return pd.DataFrame({k: v[order] for k, v in cols.items()})


@dataclass(frozen=True)
class Summary:
    """Totals of a depigmentation mask in its assessed region (the names of
    :class:`vasi.PhotoScore` and the batch's visits table).

    Attributes
    ----------
    n_patches : int
    depigmented_area_px, assessed_area_px : int
        Pixel counts (full resolution).
    depigmented_fraction : float
        ``depigmented_area_px / assessed_area_px`` (NaN for an empty region).
    depigmented_area_mm2, depigmented_area_cm2, assessed_area_cm2 : float or None
        Physical areas when ``mm_per_px`` is known.
    depigmented_area_hu : float or None
        Relative method: ``assessed_hu * fraction``.
    depigmented_area_hu_physical : float or None
        Physical method: ``depigmented_area_cm2 / hand_unit_cm2``.
    """

    n_patches: int
    depigmented_area_px: int
    assessed_area_px: int
    depigmented_fraction: float
    depigmented_area_mm2: float | None = None
    depigmented_area_cm2: float | None = None
    assessed_area_cm2: float | None = None
    depigmented_area_hu: float | None = None
    depigmented_area_hu_physical: float | None = None

    def __getattr__(self, name):  # the names before the seventeenth session, deprecated
        new = _OLD_SUMMARY_NAMES.get(name)
        if new is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        import warnings

        warnings.warn(f"Summary.{name} is now Summary.{new} (as in PhotoScore and the visits "
                      "table); the old name will be removed in a later version.",
                      DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    def to_dict(self) -> dict:
        """Fields as a flat dict."""
        return dict(self.__dict__)


_OLD_SUMMARY_NAMES = {"depigmented_px": "depigmented_area_px", "assessed_px": "assessed_area_px",
                      "depigmented_mm2": "depigmented_area_mm2",
                      "depigmented_cm2": "depigmented_area_cm2", "assessed_cm2": "assessed_area_cm2",
                      "depigmented_hu": "depigmented_area_hu",
                      "depigmented_hu_physical": "depigmented_area_hu_physical"}


def summary(
    mask,
    *,
    roi=None,
    mm_per_px: float | None = None,
    assessed_hu: float | None = None,
    hand_unit_cm2: float | None = None,
) -> Summary:
    """Totals of a depigmentation mask: count, area, fraction of the assessed region, HU.

    Parameters are as for :func:`patches`; ``roi`` defaults to the whole image.

    Examples
    --------
    >>> m = np.zeros((10, 10), bool); m[:5, :2] = True
    >>> s = summary(m, mm_per_px=1.0, assessed_hu=3.0)
    >>> s.n_patches, s.depigmented_fraction, s.depigmented_area_cm2, s.depigmented_area_hu
    (1, 0.1, 0.1, 0.3)
    """
    shape, _, inside, _, stats, _ = _labels(mask, roi)
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    assessed_hu = check_positive(assessed_hu, "assessed_hu", allow_none=True)
    dep = int(np.count_nonzero(inside))
    tot = shape[0] * shape[1] if roi is None else int(np.count_nonzero(roi))
    frac = dep / tot if tot else float("nan")
    mm2 = cm2 = a_cm2 = hu_phys = None
    if mm_per_px is not None:
        mm2 = dep * mm_per_px**2
        cm2 = mm2 / 100.0
        a_cm2 = tot * mm_per_px**2 / 100.0
        if hand_unit_cm2 is not None:
            hu_phys = cm2 / check_positive(hand_unit_cm2, "hand_unit_cm2")
    hu = assessed_hu * frac if (assessed_hu is not None and tot) else None
    return Summary(len(stats), dep, tot, frac, mm2, cm2, a_cm2, hu, hu_phys)
