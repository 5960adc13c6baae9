"""Random fields and organic shapes: smooth noise, vitiligo patches, follicles, spots.

Patches are irregular blobs: a radial field perturbed by smooth noise at two scales and
thresholded, described by a signed distance (px, positive inside) so that borders of any
softness can be rendered while the ground-truth border (the 0.5 level) stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["smooth_noise", "Patch", "make_patch", "spots", "soft_step"]


def smooth_noise(shape, scale_px: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian-correlated noise with feature size ``scale_px``.

    Generated on a coarse grid and upsampled, so it is fast at any image size.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` in px.
    scale_px : float
        Correlation length in px (at least 1).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, float32, shape (H, W)

    Examples
    --------
    >>> n = smooth_noise((64, 80), 8.0, np.random.default_rng(0))
    >>> n.shape, abs(float(n.mean())) < 0.5
    ((64, 80), True)
    """
    h, w = int(shape[0]), int(shape[1])
    s = max(float(scale_px), 1.0)
    step = max(s / 2.0, 1.0)
    gh, gw = int(np.ceil(h / step)) + 4, int(np.ceil(w / step)) + 4
    low = rng.standard_normal((gh, gw)).astype(np.float32)
    low = cv2.GaussianBlur(low, (0, 0), 1.2, borderType=cv2.BORDER_REFLECT)
    # normalise on the coarse grid (cheap; the upsampled field keeps mean ~0, std ~1)
    sd = float(low.std())
    low = (low - float(low.mean())) / (sd if sd > 1e-8 else 1.0)
    up = cv2.resize(low, (int(gw * step), int(gh * step)), interpolation=cv2.INTER_CUBIC)
    oy = (up.shape[0] - h) // 2
    ox = (up.shape[1] - w) // 2
    out = up[oy : oy + h, ox : ox + w]
    return np.ascontiguousarray(out, dtype=np.float32)


def soft_step(x: np.ndarray, width) -> np.ndarray:
    """Smooth 0..1 step of the signed distance ``x`` (px), 0.5 exactly at ``x == 0``.

    >>> soft_step(np.array([-10.0, 0.0, 10.0]), 2.0).round(2).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.clip(np.asarray(x, np.float32), -1e4, 1e4)
    return (0.5 + 0.5 * np.tanh(np.clip(x / np.maximum(width, 1e-3), -30, 30))).astype(np.float32)


@dataclass(frozen=True)
class Patch:
    """One depigmented patch in scene (baseline) pixel coordinates.

    Attributes
    ----------
    y0, x0 : int
        Top-left corner of the patch box in the scene.
    sd : numpy.ndarray, float32 (h, w)
        Signed distance to the border in px (positive inside).
    border_px : numpy.ndarray, float32 (h, w)
        Local border softness in px (varies along the border).
    follicles : numpy.ndarray, (n, 2)
        Follicle sites ``(y, x)`` in box coordinates.
    pattern : str
        Dominant repigmentation pattern.
    response : float
        Fraction of the patch that repigments by week 52 (before relapse).
    rim_px : float
        Width of a hypochromic (trichrome) rim outside the border; 0 for none.
    leukotrichia : bool
        White hairs inside the patch.
    order : numpy.ndarray, float32 (h, w)
        Repigmentation order in [0, 1]: pixels with ``order < f`` are repigmented once a
        fraction ``f`` of the patch has repigmented.
    """

    y0: int
    x0: int
    sd: np.ndarray
    border_px: np.ndarray
    follicles: np.ndarray
    pattern: str
    response: float
    rim_px: float
    leukotrichia: bool
    order: np.ndarray

    @property
    def slices(self):
        h, w = self.sd.shape
        return slice(self.y0, self.y0 + h), slice(self.x0, self.x0 + w)

    @property
    def inside(self) -> np.ndarray:
        return self.sd > 0


def _signed_distance(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    din = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    dout = cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)
    return (din - dout + np.where(mask, -0.5, 0.5)).astype(np.float32)


def _rank01(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.size, np.float32)
    ranks[order] = (np.arange(values.size, dtype=np.float32) + 0.5) / max(values.size, 1)
    return ranks


def make_patch(
    scene_shape,
    center_yx,
    radius_px: float,
    *,
    rng: np.random.Generator,
    mm_per_px: float,
    pattern: str = "perifollicular",
    response: float = 0.0,
    irregularity: float = 0.45,
    elongation: float = 1.0,
    angle_deg: float = 0.0,
    border_mm=(0.4, 2.5),
    rim_mm: float = 0.0,
    leukotrichia: bool = False,
    follicle_spacing_mm: float = 3.5,
) -> Patch | None:
    """Draw one irregular patch; ``None`` if it falls outside the scene.

    Parameters
    ----------
    scene_shape : tuple of int
        ``(H, W)`` of the scene in px.
    center_yx : tuple of float
        Patch centre in px.
    radius_px : float
        Mean radius in px.
    rng : numpy.random.Generator
        Source of randomness.
    mm_per_px : float
        Scene scale, used for border widths and follicle spacing (given in mm).
    pattern : str
        "perifollicular", "marginal" or "diffuse".
    response : float
        Fraction of the patch area that repigments by week 52.

    Returns
    -------
    Patch or None

    Examples
    --------
    >>> p = make_patch((200, 200), (100, 100), 30, rng=np.random.default_rng(1), mm_per_px=0.3)
    >>> bool(p.inside.sum() > 1000)
    True
    """
    H, W = int(scene_shape[0]), int(scene_shape[1])
    r = float(radius_px)
    half = int(np.ceil(r * (1.0 + 1.6 * irregularity) * max(elongation, 1.0) + 4 * border_mm[1] / mm_per_px + rim_mm / mm_per_px + 6))
    cy, cx = float(center_yx[0]), float(center_yx[1])
    y0, x0 = max(int(cy) - half, 0), max(int(cx) - half, 0)
    y1, x1 = min(int(cy) + half + 1, H), min(int(cx) + half + 1, W)
    if y1 - y0 < 4 or x1 - x0 < 4:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dy, dx = yy - cy, xx - cx
    t = np.radians(angle_deg)
    u = (dx * np.cos(t) + dy * np.sin(t)) / elongation
    v = -dx * np.sin(t) + dy * np.cos(t)
    rad = np.sqrt(u * u + v * v) / r
    shp = (y1 - y0, x1 - x0)
    n1 = smooth_noise(shp, r * 0.6, rng)
    n2 = smooth_noise(shp, max(r * 0.18, 2.0), rng)
    field = 1.0 - rad + irregularity * (0.75 * n1 + 0.35 * n2) * np.clip(rad, 0.3, 1.5)
    mask = field > 0
    # keep the component containing the centre (or the largest one)
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return None
    iy, ix = int(cy) - y0, int(cx) - x0
    keep = lab[min(max(iy, 0), shp[0] - 1), min(max(ix, 0), shp[1] - 1)]
    if keep == 0:
        counts = np.bincount(lab.ravel())
        counts[0] = 0
        keep = int(np.argmax(counts))
    mask = lab == keep
    # fill holes
    inv = (~mask).astype(np.uint8)
    nh, hl = cv2.connectedComponents(inv, connectivity=4)
    border_labels = np.unique(np.concatenate([hl[0], hl[-1], hl[:, 0], hl[:, -1]]))
    holes = (hl > 0) & ~np.isin(hl, border_labels)
    mask = mask | holes
    if mask.sum() < 6:
        return None
    sd = _signed_distance(mask)
    bmin, bmax = border_mm
    bw = smooth_noise(shp, max(r * 0.5, 2.0), rng)
    border_px = ((bmin + (bmax - bmin) * (0.5 + 0.5 * np.tanh(bw))) / mm_per_px).astype(np.float32)
    # follicle sites inside the patch (Poisson disc-ish via jittered grid)
    sp = follicle_spacing_mm / mm_per_px
    gy = np.arange(sp / 2, shp[0], sp)
    gx = np.arange(sp / 2, shp[1], sp)
    fy, fx = np.meshgrid(gy, gx, indexing="ij")
    fol = np.stack([fy.ravel(), fx.ravel()], 1) + rng.uniform(-0.45, 0.45, (fy.size, 2)) * sp
    fol = fol[(fol[:, 0] >= 0) & (fol[:, 0] < shp[0]) & (fol[:, 1] >= 0) & (fol[:, 1] < shp[1])]
    fi = fol.astype(int)
    fol = fol[sd[fi[:, 0], fi[:, 1]] > 0.6 / mm_per_px]
    order = _order_field(sd, mask, fol, pattern, rng, r)
    return Patch(
        y0=y0,
        x0=x0,
        sd=sd,
        border_px=border_px,
        follicles=fol.astype(np.float32),
        pattern=pattern,
        response=float(response),
        rim_px=float(rim_mm / mm_per_px),
        leukotrichia=bool(leukotrichia),
        order=order,
    )


def _order_field(sd, mask, follicles, pattern, rng, r):
    """Repigmentation order (0 = first) of each patch pixel for a pattern."""
    shp = sd.shape
    inside = mask
    if pattern == "marginal":
        key = sd * (1.0 + 0.35 * smooth_noise(shp, max(r * 0.3, 2.0), rng))
    elif pattern == "diffuse":
        key = smooth_noise(shp, max(r * 0.25, 3.0), rng) + 0.15 * smooth_noise(shp, 2.0, rng)
    else:  # perifollicular (also the basis of "mixed")
        if len(follicles) == 0:
            key = sd.copy()
        else:
            # multiplicatively weighted distance to the follicles: min_i |x - f_i| / speed_i,
            # with speeds in a few buckets (one distance transform per bucket)
            fi = follicles.astype(int)
            speeds = np.array([0.5, 0.8, 1.15, 1.6], np.float32)
            bucket = rng.integers(0, speeds.size, len(fi))
            key = np.full(shp, np.inf, np.float32)
            for b, sp in enumerate(speeds):
                sel = fi[bucket == b]
                if len(sel) == 0:
                    continue
                seeds = np.ones(shp, np.uint8)
                seeds[sel[:, 0], sel[:, 1]] = 0
                dist = cv2.distanceTransform(seeds, cv2.DIST_L2, 5)
                np.minimum(key, dist / sp, out=key)
            key = key + 0.05 * sd
    ranks = np.ones(shp, np.float32)
    ranks[inside] = _rank01(key[inside].astype(np.float64))
    return ranks


def spots(shape, n: int, radius_px, *, rng: np.random.Generator, where=None) -> np.ndarray:
    """Sum of ``n`` soft round spots (peak 1) at random places, e.g. pores or freckles.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` in px.
    n : int
        Number of spots.
    radius_px : float or (float, float)
        Spot radius in px, or a range to draw from.
    rng : numpy.random.Generator
        Source of randomness.
    where : numpy.ndarray of bool, optional
        Restrict spot centres to this mask.

    Returns
    -------
    numpy.ndarray, float32, shape (H, W)

    Examples
    --------
    >>> s = spots((50, 50), 5, 2.0, rng=np.random.default_rng(0))
    >>> bool(s.max() > 0.5)
    True
    """
    h, w = int(shape[0]), int(shape[1])
    out = np.zeros((h, w), np.float32)
    if n <= 0:
        return out
    if where is not None:
        ys, xs = np.nonzero(where)
        if ys.size == 0:
            return out
        idx = rng.integers(0, ys.size, n)
        py, px = ys[idx], xs[idx]
    else:
        py, px = rng.integers(0, h, n), rng.integers(0, w, n)
    lo, hi = (radius_px, radius_px) if np.isscalar(radius_px) else radius_px
    rad = rng.uniform(lo, hi, n)
    # bucket radii into a few blur levels (fast: one blur per level)
    levels = np.unique(np.clip(np.round(np.log2(np.maximum(rad, 0.35)) * 2) / 2, -1.5, 8))
    for lv in levels:
        sel = np.isclose(np.clip(np.round(np.log2(np.maximum(rad, 0.35)) * 2) / 2, -1.5, 8), lv)
        sigma = float(2.0**lv) / 1.2
        imp = np.zeros((h, w), np.float32)
        np.add.at(imp, (py[sel], px[sel]), 1.0)
        if sigma < 0.6:
            out += imp
            continue
        g = cv2.GaussianBlur(imp, (0, 0), sigma)
        out += g * (2 * np.pi * sigma * sigma)
    return np.minimum(out, 1.5)
