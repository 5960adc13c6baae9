"""Repigmentation pattern of each baseline patch: perifollicular, marginal, diffuse, mixed.

Measured in baseline coordinates from the baseline patch labels, the follow-up residual
depigmentation (warped) and, for the diffuse pattern, the depigmentation degree of both
visits (:func:`vasi.track.envelope_masks`):

* **islands** -- repigmented connected components inside the patch: count, density per cm²,
  total and mean area (as :mod:`vasi.synth` counts them; the border band of a marginal patch
  is one of them).
* **marginal** -- repigmentation spreads inward from the border: ``depth_auc``, the
  probability that a still-depigmented pixel lies deeper in the patch (distance to its outer
  border) than a repigmented one (0.5 = no relation, 1 = strictly from the border), and the
  inward border advance (median over the baseline border of the distance to the remaining
  depigmentation, px and mm).
* **diffuse** -- the still-depigmented part darkens evenly: ``residual_darkening``, the median
  drop of the degree ``t`` (baseline minus follow-up) over residual pixels far from any
  repigmented pixel (0 for perifollicular / marginal, where the residual is untouched).
* **perifollicular** -- repigmentation scattered through the patch (islands around follicles
  that grow and merge): neither marginal nor diffuse.

Decision: repigmented fraction below ``min_signal`` (and no darkening) -> ``"none"``;
darkening >= ``diffuse_darkening`` -> ``"diffuse"``; ``depth_auc >= marginal_auc`` ->
``"marginal"``, or ``"mixed"`` when at least 3 interior islands also cover >= 5 % of the
patch; otherwise ``"perifollicular"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from scipy.stats import rankdata

from ._validate import check_mask, check_positive
from .errors import InputError

__all__ = ["PATTERNS", "patterns"]

#: Pattern names (values of the ``pattern`` column).
PATTERNS = ("perifollicular", "marginal", "diffuse", "mixed", "none")

_EIGHT = np.ones((3, 3), bool)


def _depth_auc(depth, residual, repig):
    """P(a residual pixel lies deeper in the patch than a repigmented one); 0.5 = no order."""
    dr, dg = depth[residual], depth[repig]
    if dr.size < 5 or dg.size < 5:
        return np.nan
    ranks = rankdata(np.concatenate([dr, dg]))
    return float((ranks[: dr.size].sum() - dr.size * (dr.size + 1) / 2) / (dr.size * dg.size))


def patterns(
    labels,
    residual_mask,
    *,
    valid=None,
    mm_per_px: float | None = None,
    baseline_degree=None,
    followup_degree=None,
    edge_px: int | None = None,
    min_island_px: int | None = None,
    min_signal: float = 0.05,
    marginal_auc: float = 0.75,
    diffuse_darkening: float = 0.15,
    far_px: int = 3,
) -> pd.DataFrame:
    """Classify the repigmentation pattern of every baseline patch at one visit.

    Parameters
    ----------
    labels : ndarray of int, shape (H, W)
        Baseline patch labels (:func:`vasi.track.label_patches`).
    residual_mask : ndarray of bool, shape (H, W)
        Follow-up depigmentation in baseline coordinates.
    valid : ndarray of bool, shape (H, W), keyword-only, optional
        Pixels the follow-up covers.
    mm_per_px : float, optional
        Baseline pixel size (adds densities per cm² and mm columns).
    baseline_degree, followup_degree : ndarray of float, shape (H, W), optional
        Depigmentation degree ``t`` (0 normal skin .. 1 baseline lesion colour) at baseline and
        follow-up, e.g. from :func:`vasi.track.envelope_masks` (``return_degree=True``);
        needed to see diffuse repigmentation.
    edge_px : int, optional
        Border band (px) ignored when deciding island vs border repigmentation (absorbs
        registration and segmentation wobble); default 0.75 mm (at least 2 px), or 2 px
        without a scale.
    min_island_px : int, optional
        Smallest island counted; default 0.1 mm², or 3 px without a scale.
    min_signal : float
        Repigmented fraction below which the pattern is ``"none"``.
    marginal_auc : float
        ``depth_auc`` at or above which repigmentation is marginal.
    diffuse_darkening : float
        Median darkening of the residual (``t`` drop, far from repigmented pixels) at or
        above which the patch repigments diffusely.
    far_px : int
        Distance from repigmented pixels for the darkening measurement.

    Returns
    -------
    pandas.DataFrame
        One row per patch: ``patch_id``, ``pattern``, ``island_count``, ``island_area_px``,
        ``island_mean_area_px``, ``marginal_area_px``, ``border_advance_px``,
        ``contrast_loss`` (0-1, NaN without colours), ``contrast_spread``,
        ``island_fraction``, ``marginal_fraction``, ``diffuse_fraction``; with ``mm_per_px``
        also ``island_density_per_cm2``, ``island_mean_area_mm2``, ``border_advance_mm``.

    Examples
    --------
    >>> lab = np.zeros((40, 40), np.int32); lab[5:35, 5:35] = 1
    >>> res = lab > 0
    >>> for r, c in [(12, 12), (12, 25), (25, 12), (25, 25)]:
    ...     res[r:r + 3, c:c + 3] = False          # four pigmented dots inside
    >>> row = patterns(lab, res).iloc[0]
    >>> row["pattern"], int(row["island_count"])
    ('none', 4)
    >>> res2 = np.zeros_like(res); res2[12:28, 12:28] = True   # border moved in by 7 px
    >>> row = patterns(lab, res2).iloc[0]
    >>> row["pattern"], float(row["border_advance_px"])
    ('marginal', 7.0)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise InputError(f"labels must be a 2-D integer array; got {labels.dtype} {labels.shape}.")
    shape = labels.shape
    res = check_mask(residual_mask, shape, "residual_mask")
    valid = np.ones(shape, bool) if valid is None else check_mask(valid, shape, "valid")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    if edge_px is None:
        edge_px = max(2, int(round(0.75 / mm_per_px))) if mm_per_px else 2
    if min_island_px is None:
        min_island_px = max(2, int(round(0.1 / mm_per_px**2))) if mm_per_px else 3
    use_degree = baseline_degree is not None and followup_degree is not None
    if use_degree:
        baseline_degree = np.asarray(baseline_degree, float)
        followup_degree = np.asarray(followup_degree, float)
        if baseline_degree.shape != shape or followup_degree.shape != shape:
            raise InputError(f"baseline_degree and followup_degree must have shape {shape}.")
    rows = []
    n = int(labels.max()) if labels.size else 0
    slices = ndi.find_objects(labels)
    for pid in range(1, n + 1):
        sl = slices[pid - 1]
        if sl is None:
            continue
        # pad the box so the patch border is inside it
        r0, r1 = max(sl[0].start - 2, 0), min(sl[0].stop + 2, shape[0])
        c0, c1 = max(sl[1].start - 2, 0), min(sl[1].stop + 2, shape[1])
        box = (slice(r0, r1), slice(c0, c1))
        P = labels[box] == pid
        V = valid[box]
        R = res[box] & P
        area = int((P & V).sum())
        row = {"patch_id": pid}
        if area == 0:
            rows.append({**row, "pattern": "none"})
            continue
        G = P & ~R & V  # repigmented
        # distance to the patch's *outer* border (holes = pigment at baseline, not border)
        depth = ndi.distance_transform_edt(ndi.binary_fill_holes(P))
        core = (depth > edge_px) & P & V
        # islands: repigmented components (as the truth of vasi.synth counts them)
        comp, nc = ndi.label(G, structure=_EIGHT)
        isl_n = isl_a = marg_a = 0
        if nc:
            idx = np.arange(1, nc + 1)
            sizes = ndi.sum_labels(np.ones_like(comp), comp, idx)
            touches = ndi.maximum(~core & P, comp, idx).astype(bool)  # reaches the border band
            in_core = ndi.sum_labels(core, comp, idx)
            for sz, t, k in zip(sizes, touches, in_core, strict=True):
                if sz >= min_island_px and k > 0:
                    isl_n += 1
                    isl_a += int(sz)
                if t:
                    marg_a += int(k)  # border-connected, beyond the wobble band
        # border advance: median distance from the baseline border to remaining depigmentation
        border = (depth > 0) & (depth < 1.5) & P & V
        if R.any():
            dist = ndi.distance_transform_edt(~R)
            adv = float(np.median(dist[border])) if border.any() else 0.0
        else:
            adv = float(depth.max())
        auc = _depth_auc(depth, R & core, G & core)
        f_area = float(G.sum()) / area
        dark = np.nan
        if use_degree:
            tb, tf = baseline_degree[box], followup_degree[box]
            far = R & core & (ndi.distance_transform_edt(~G) > far_px) if G.any() else R & core
            far &= np.isfinite(tb) & np.isfinite(tf)
            if far.sum() >= 10:
                dark = float(np.median(tb[far] - tf[far]))
        interior = isl_n - int(marg_a > 0)
        if f_area < min_signal and not (np.isfinite(dark) and dark >= diffuse_darkening):
            pattern = "none"
        elif np.isfinite(dark) and dark >= diffuse_darkening:
            pattern = "diffuse"
        elif np.isfinite(auc) and auc >= marginal_auc:
            pattern = "mixed" if (interior >= 3 and isl_a - marg_a >= 0.05 * area) else "marginal"
        elif not np.isfinite(auc):
            pattern = "marginal" if marg_a > 0 else "perifollicular"
        else:
            pattern = "perifollicular"
        row.update(
            pattern=pattern, island_count=isl_n, island_area_px=isl_a,
            island_mean_area_px=(isl_a / isl_n) if isl_n else np.nan,
            marginal_area_px=marg_a, border_advance_px=adv, depth_auc=auc,
            repigmented_fraction=f_area, residual_darkening=dark,
        )
        if mm_per_px:
            cm2 = area * mm_per_px**2 / 100.0
            row.update(island_density_per_cm2=isl_n / cm2,
                       island_mean_area_mm2=(isl_a / isl_n * mm_per_px**2) if isl_n else np.nan,
                       border_advance_mm=adv * mm_per_px)
        rows.append(row)
    cols = ["patch_id", "pattern", "island_count", "island_area_px", "island_mean_area_px",
            "marginal_area_px", "border_advance_px", "depth_auc", "repigmented_fraction",
            "residual_darkening"]
    if mm_per_px:
        cols += ["island_density_per_cm2", "island_mean_area_mm2", "border_advance_mm"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("island_count", "island_area_px", "marginal_area_px"):
        df[c] = df[c].fillna(0).astype(int)
    return df
