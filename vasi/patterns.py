"""Repigmentation pattern of each baseline patch: perifollicular, marginal, diffuse, mixed.

Measured in baseline coordinates from the baseline patch labels, the follow-up residual
depigmentation (warped) and, for the diffuse pattern, the colours of both visits:

* **perifollicular** -- pigmented islands *inside* the patch (repigmented components that do
  not touch the patch border): count, density per cm², total and mean area.
* **marginal** -- repigmentation connected to the patch border (the border moves inward):
  area, and the inward border advance (median over the baseline border of the distance to
  the remaining depigmentation, in px and mm).
* **diffuse** -- the still-depigmented part of the patch darkens evenly: the fraction of the
  baseline colour contrast (lesion vs the visit's own normal skin, in CIELAB, projected on the
  baseline contrast direction) that is lost, with its spatial spread.

Each signal is expressed as a fraction of the patch (islands and border area over patch area,
contrast loss x residual share); the largest names the pattern, a second one at least
``mixed_ratio`` times as large makes it ``"mixed"``, and a total below ``min_signal`` is
``"none"`` (no repigmentation to classify).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from ._validate import check_mask, check_positive
from .errors import InputError

__all__ = ["PATTERNS", "patterns"]

#: Pattern names (values of the ``pattern`` column).
PATTERNS = ("perifollicular", "marginal", "diffuse", "mixed", "none")

_EIGHT = np.ones((3, 3), bool)


def _contrast_loss(lab_b, lab_f, ref_b, ref_f, where_b, where_f):
    """Fraction of the baseline lesion contrast lost at follow-up, and its spatial spread."""
    if lab_b is None or lab_f is None or where_b.sum() < 5 or where_f.sum() < 5:
        return np.nan, np.nan
    d_b = np.median(lab_b[where_b], axis=0) - np.asarray(ref_b, float)
    norm2 = float(d_b @ d_b)
    if norm2 < 1.0:  # < 1 Lab unit of contrast: nothing to measure
        return np.nan, np.nan
    proj = (lab_f[where_f] - np.asarray(ref_f, float)) @ d_b / norm2  # 1 = baseline colour
    keep = float(np.median(proj))
    spread = float(np.subtract(*np.percentile(proj, [75, 25])))
    return float(np.clip(1.0 - keep, 0.0, 1.0)), spread


def patterns(
    labels,
    residual_mask,
    *,
    valid=None,
    mm_per_px: float | None = None,
    baseline_lab=None,
    followup_lab=None,
    baseline_ref_lab=None,
    followup_ref_lab=None,
    edge_px: int | None = None,
    min_island_px: int | None = None,
    min_signal: float = 0.05,
    mixed_ratio: float = 0.4,
    diffuse_min_loss: float = 0.2,
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
    baseline_lab, followup_lab : ndarray, shape (H, W, 3), optional
        CIELAB of the baseline and of the *warped* follow-up, for the diffuse pattern.
    baseline_ref_lab, followup_ref_lab : sequence of 3 floats, optional
        Normal-skin colour of each visit (e.g. ``Segmentation.reference_lab``).
    edge_px : int, optional
        Border band (px) ignored when deciding island vs border repigmentation (absorbs
        registration and segmentation wobble); default 0.75 mm (at least 2 px), or 2 px
        without a scale.
    min_island_px : int, optional
        Smallest island counted; default 0.1 mm², or 3 px without a scale.
    min_signal, mixed_ratio, diffuse_min_loss : float
        Decision thresholds (see the module docstring).

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
    use_colour = all(v is not None for v in (baseline_lab, followup_lab, baseline_ref_lab,
                                             followup_ref_lab))
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
        core = (depth > edge_px) & P
        comp, nc = ndi.label(G, structure=_EIGHT)
        isl_n = isl_a = marg_a = 0
        if nc:
            idx = np.arange(1, nc + 1)
            sizes = ndi.sum_labels(np.ones_like(comp), comp, idx)
            touches = ndi.maximum(~core & P, comp, idx).astype(bool)  # reaches the border band
            in_core = ndi.sum_labels(core, comp, idx)
            for s, t, k in zip(sizes, touches, in_core, strict=True):
                if t:
                    marg_a += int(k)  # only what moved beyond the wobble band
                elif s >= min_island_px:
                    isl_n += 1
                    isl_a += int(s)
        # border advance: median distance from the baseline border to remaining depigmentation
        border = (depth > 0) & (depth < 1.5) & P & V
        if R.any():
            dist = ndi.distance_transform_edt(~R)
            adv = float(np.median(dist[border])) if border.any() else 0.0
        else:
            adv = float(depth.max())
        loss = spread = np.nan
        if use_colour:
            loss, spread = _contrast_loss(baseline_lab[box], followup_lab[box], baseline_ref_lab,
                                          followup_ref_lab, P & V & core, R & V & core)
        res_share = float((R & V).sum()) / area
        f_isl = isl_a / area
        f_marg = marg_a / area
        f_diff = (loss * res_share) if (np.isfinite(loss) and loss >= diffuse_min_loss) else 0.0
        sig = {"perifollicular": f_isl, "marginal": f_marg, "diffuse": f_diff}
        ranked = sorted(sig.items(), key=lambda kv: -kv[1])
        if sum(sig.values()) < min_signal:
            pattern = "none"
        elif ranked[1][1] >= mixed_ratio * ranked[0][1]:
            pattern = "mixed"
        else:
            pattern = ranked[0][0]
        row.update(
            pattern=pattern, island_count=isl_n, island_area_px=isl_a,
            island_mean_area_px=(isl_a / isl_n) if isl_n else np.nan,
            marginal_area_px=marg_a, border_advance_px=adv, contrast_loss=loss,
            contrast_spread=spread, island_fraction=f_isl, marginal_fraction=f_marg,
            diffuse_fraction=f_diff,
        )
        if mm_per_px:
            cm2 = area * mm_per_px**2 / 100.0
            row.update(island_density_per_cm2=isl_n / cm2,
                       island_mean_area_mm2=(isl_a / isl_n * mm_per_px**2) if isl_n else np.nan,
                       border_advance_mm=adv * mm_per_px)
        rows.append(row)
    cols = ["patch_id", "pattern", "island_count", "island_area_px", "island_mean_area_px",
            "marginal_area_px", "border_advance_px", "contrast_loss", "contrast_spread",
            "island_fraction", "marginal_fraction", "diffuse_fraction"]
    if mm_per_px:
        cols += ["island_density_per_cm2", "island_mean_area_mm2", "border_advance_mm"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("island_count", "island_area_px", "marginal_area_px"):
        df[c] = df[c].fillna(0).astype(int)
    return df
