"""Track depigmented patches across visits, in baseline coordinates.

The baseline patches are labelled **once** (:func:`label_patches`); every follow-up mask,
already warped into baseline coordinates (:meth:`vasi.Registration.warp`), is measured inside
each baseline patch envelope, so patch identity is kept across visits by construction:

* residual depigmentation = follow-up depigmented & baseline patch;
* repigmented area        = baseline patch & not follow-up depigmented;
* new depigmentation      = follow-up depigmented outside the baseline patches (grown by
  ``tolerance_px`` so a sub-pixel border wobble is not counted): spreading or new patches,
  a sign of activity.

Pixels the follow-up photo does not cover (``valid`` False) are left out of every ratio.

.. math:: \\text{repigmentation\\%} = 100 \\left(1 - \\frac{\\text{residual}}{\\text{baseline}}\\right)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from ._validate import check_mask, check_positive
from .errors import InputError

__all__ = ["Tracking", "label_patches", "track"]


def label_patches(baseline_mask, *, min_area_px: int = 0) -> np.ndarray:
    """Label the baseline depigmented patches once (8-connectivity), largest first.

    Parameters
    ----------
    baseline_mask : ndarray of bool, shape (H, W)
        Baseline depigmentation mask.
    min_area_px : int, keyword-only
        Patches smaller than this are dropped (label 0).

    Returns
    -------
    ndarray of int32, shape (H, W)
        0 = not a patch; patch ids ``1..n`` ordered by decreasing area (ties: top-left first).

    Examples
    --------
    >>> m = np.zeros((10, 10), bool); m[0:2, 0:2] = True; m[5:9, 5:9] = True
    >>> lab = label_patches(m)
    >>> int(lab[6, 6]), int(lab[0, 0])
    (1, 2)
    """
    m = np.asarray(baseline_mask)
    m = check_mask(m, m.shape, "baseline_mask")
    lab, n = ndi.label(m, structure=np.ones((3, 3), bool))
    if n == 0:
        return lab.astype(np.int32)
    areas = np.bincount(lab.ravel(), minlength=n + 1)[1:]
    order = np.argsort(-areas, kind="stable")  # ndi.label numbers in raster order
    keep = areas[order] >= int(min_area_px)
    remap = np.zeros(n + 1, np.int32)
    remap[order[keep] + 1] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return remap[lab]


@dataclass(frozen=True)
class Tracking:
    """One follow-up visit measured against the baseline patches (baseline coordinates).

    Attributes
    ----------
    patches : pandas.DataFrame
        One row per baseline patch: ``patch_id``, ``baseline_area_px``, ``residual_area_px``,
        ``repigmented_area_px``, ``repigmentation_pct``, ``covered_fraction`` (share of the
        patch the follow-up photo covers) and, with ``mm_per_px``, ``baseline_area_mm2``,
        ``residual_area_mm2``.
    residual_mask, repigmented_mask, new_mask : ndarray of bool, shape (H, W)
        Residual depigmentation in baseline patches, repigmented baseline patch pixels, new
        depigmentation outside the (grown) baseline patches.
    valid : ndarray of bool, shape (H, W)
        Pixels the follow-up covers.
    baseline_area_px, residual_area_px, repigmented_area_px, new_area_px : int
        Totals over the covered patch pixels (``new_area_px`` over covered pixels in the roi).
    repigmentation_pct : float
        Overall percent repigmentation of the baseline patches (NaN without baseline patches).
    mm_per_px : float or None
    """

    patches: pd.DataFrame
    residual_mask: np.ndarray
    repigmented_mask: np.ndarray
    new_mask: np.ndarray
    valid: np.ndarray
    baseline_area_px: int
    residual_area_px: int
    repigmented_area_px: int
    new_area_px: int
    repigmentation_pct: float
    mm_per_px: float | None = None

    def to_dict(self) -> dict:
        """Visit-level numbers as a flat dict.

        >>> m = np.zeros((6, 6), bool); m[1:5, 1:5] = True
        >>> track(m, m).to_dict()["repigmentation_pct"]
        0.0
        """
        d = {
            "baseline_area_px": self.baseline_area_px,
            "residual_area_px": self.residual_area_px,
            "repigmented_area_px": self.repigmented_area_px,
            "new_depigmentation_px": self.new_area_px,
            "repigmentation_pct": self.repigmentation_pct,
        }
        if self.mm_per_px:
            a = self.mm_per_px**2 / 100.0
            d.update(residual_area_cm2=self.residual_area_px * a,
                     new_depigmentation_cm2=self.new_area_px * a)
        return d


def track(
    baseline_mask,
    followup_mask,
    *,
    labels=None,
    valid=None,
    roi=None,
    mm_per_px: float | None = None,
    tolerance_px: int = 0,
) -> Tracking:
    """Measure one follow-up against the baseline patches, in baseline coordinates.

    Parameters
    ----------
    baseline_mask : ndarray of bool, shape (H, W)
        Baseline depigmentation.
    followup_mask : ndarray of bool, shape (H, W)
        Follow-up depigmentation already warped into baseline coordinates.
    labels : ndarray of int, shape (H, W), keyword-only, optional
        Baseline patch labels from :func:`label_patches` (computed when None). Pass the same
        labels for every visit to keep patch ids.
    valid : ndarray of bool, shape (H, W), optional
        Pixels the follow-up covers (:meth:`vasi.Registration.valid_mask`); all when None.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region in baseline coordinates; new depigmentation is counted inside it.
    mm_per_px : float, optional
        Baseline pixel size; adds mm² / cm² columns.
    tolerance_px : int, keyword-only
        Grow the baseline patches by this many px before counting new depigmentation.

    Returns
    -------
    Tracking

    Examples
    --------
    >>> base = np.zeros((20, 20), bool); base[2:12, 2:12] = True
    >>> follow = np.zeros((20, 20), bool); follow[2:12, 2:7] = True; follow[15:18, 15:18] = True
    >>> t = track(base, follow)
    >>> t.repigmentation_pct, t.new_area_px, t.patches["repigmentation_pct"].tolist()
    (50.0, 9, [50.0])
    """
    b = np.asarray(baseline_mask)
    b = check_mask(b, b.shape, "baseline_mask")
    shape = b.shape
    f = check_mask(followup_mask, shape, "followup_mask")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    if labels is None:
        labels = label_patches(b)
    else:
        labels = np.asarray(labels)
        if labels.shape != shape or labels.dtype.kind not in "iu":
            raise InputError(f"labels must be an integer array of shape {shape} (from "
                             f"label_patches); got {labels.dtype} {labels.shape}.")
    valid = np.ones(shape, bool) if valid is None else check_mask(valid, shape, "valid")
    roi = np.ones(shape, bool) if roi is None else check_mask(roi, shape, "roi")
    if int(tolerance_px) < 0:
        raise InputError(f"tolerance_px must be >= 0; got {tolerance_px!r}.")

    patch = (labels > 0) & valid
    residual = f & patch
    repig = patch & ~f
    grown = labels > 0
    if tolerance_px > 0:
        grown = ndi.binary_dilation(grown, structure=np.ones((3, 3), bool),
                                    iterations=int(tolerance_px))
    new = f & ~grown & valid & roi

    n = int(labels.max()) if labels.size else 0
    lab_valid = np.where(valid, labels, 0).ravel()
    base_all = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    base_cov = np.bincount(lab_valid, minlength=n + 1)[1:]
    res = np.bincount(lab_valid, weights=f.ravel(), minlength=n + 1)[1:].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(base_cov > 0, 100.0 * (1.0 - res / np.maximum(base_cov, 1)), np.nan)
        cov = np.where(base_all > 0, base_cov / np.maximum(base_all, 1), np.nan)
    table = pd.DataFrame({
        "patch_id": np.arange(1, n + 1, dtype=int),
        "baseline_area_px": base_cov.astype(int),
        "residual_area_px": res.astype(int),
        "repigmented_area_px": (base_cov - res).astype(int),
        "repigmentation_pct": pct,
        "covered_fraction": cov,
    })
    if mm_per_px:
        table["baseline_area_mm2"] = table["baseline_area_px"] * mm_per_px**2
        table["residual_area_mm2"] = table["residual_area_px"] * mm_per_px**2
    tot_b, tot_r = int(base_cov.sum()), int(res.sum())
    overall = 100.0 * (1.0 - tot_r / tot_b) if tot_b else float("nan")
    return Tracking(table, residual, repig, new, valid, tot_b, tot_r, tot_b - tot_r,
                    int(new.sum()), float(overall), mm_per_px)
