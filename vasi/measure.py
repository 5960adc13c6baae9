"""Measure depigmented patches: areas in px, mm², cm² and hand units.

Baseline version; the segmentation issue extends the table (perimeter, centroid, ...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from skimage import measure as _skmeasure

from ._validate import check_mask, check_positive

__all__ = ["patches"]


def patches(mask, *, roi=None, mm_per_px: float | None = None, assessed_hu: float | None = None):
    """Table of connected depigmented patches.

    Parameters
    ----------
    mask : ndarray of bool, shape (H, W)
        Depigmented pixels.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region; needed for the relative hand-unit column.
    mm_per_px : float, optional
        Pixel size; adds ``area_mm2`` and ``area_cm2``.
    assessed_hu : float, optional
        Hand units of the whole ``roi`` (3 for a face); adds ``area_hu`` by the relative
        method: ``area_hu = assessed_hu * area_px / roi_px``.

    Returns
    -------
    pandas.DataFrame
        One row per patch: ``patch_id``, ``area_px``, ``centroid_row``, ``centroid_col``
        and, when available, ``area_mm2``, ``area_cm2``, ``area_hu``.

    Examples
    --------
    >>> m = np.zeros((20, 20), bool); m[2:6, 2:6] = True; m[10:12, 10:15] = True
    >>> patches(m, mm_per_px=0.5)["area_mm2"].tolist()
    [4.0, 2.5]
    """
    m = np.asarray(mask)
    m = check_mask(m, m.shape, "mask")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    labels = _skmeasure.label(m, connectivity=2)
    props = _skmeasure.regionprops_table(labels, properties=("label", "area", "centroid"))
    df = pd.DataFrame(
        {
            "patch_id": props["label"].astype(int),
            "area_px": props["area"].astype(int),
            "centroid_row": props["centroid-0"],
            "centroid_col": props["centroid-1"],
        }
    )
    if mm_per_px is not None:
        df["area_mm2"] = df["area_px"] * mm_per_px**2
        df["area_cm2"] = df["area_mm2"] / 100.0
    if assessed_hu is not None and roi is not None:
        roi_px = int(check_mask(roi, m.shape, "roi").sum())
        df["area_hu"] = assessed_hu * df["area_px"] / roi_px if roi_px else np.nan
    return df
