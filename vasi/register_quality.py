"""How well an alignment makes two photos agree, for :mod:`vasi.register`: ECC refinement
(:func:`_ecc`) and the correlations that accept or reject a candidate transform -- over
the common region, per tile and band (:func:`_tile_corr`), and of the skin's texture
(:func:`_texture_corr`).
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from .reference import region_box
from .register_geometry import _resize_mask, _scale_matrix

log = logging.getLogger("vasi")


def _ecc(template, moving, H0, tmask, mmask=None, *, iterations=30, eps=1e-4, blur=5,
         motion="homography"):
    """ECC refinement (masks for both images). Returns (H, rho) or (None, nan)."""
    warp_mode = cv2.MOTION_HOMOGRAPHY if motion == "homography" else cv2.MOTION_AFFINE
    # only the template's masked box takes part: crop to it (ECC's cost is per template px)
    T = np.eye(3)
    if tmask is not None and tmask.any():
        rows, cols = region_box(tmask, margin=0.0, min_margin=0)
        if (rows.stop - rows.start) * (cols.stop - cols.start) < 0.9 * tmask.size:
            template, tmask = template[rows, cols], tmask[rows, cols]
            T[0, 2], T[1, 2] = cols.start, rows.start
    W = (np.asarray(H0, np.float64) @ T).astype(np.float32)
    if motion != "homography":
        W = W[:2]
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iterations, eps)
    tm = (np.ones(template.shape, np.uint8) if tmask is None else tmask.astype(np.uint8))
    mm = (np.ones(moving.shape, np.uint8) if mmask is None else mmask.astype(np.uint8))
    try:
        rho, W = cv2.findTransformECCWithMask(template.astype(np.float32),
                                              moving.astype(np.float32), tm, mm, W, warp_mode,
                                              crit, blur)
    except cv2.error as exc:  # did not converge / degenerate
        log.debug("ECC failed: %s", exc)
        return None, float("nan")
    if motion != "homography":
        W = np.vstack([W, [0, 0, 1]])
    W = W.astype(np.float64) @ np.linalg.inv(T)
    return W / W[2, 2], float(rho)


def _warp_valid(template, moving, H, mask, memo=None):
    """``moving`` warped onto ``template`` by H (float32) and the pixels it covers in ``mask``.

    ``memo`` (a dict kept for one pair) returns the same warp when the same images, mask and
    homography come again (the ECC check and the texture check both warp by the result).
    """
    H = np.asarray(H, np.float64)
    key = None
    if memo is not None:
        key = (id(template), id(moving), id(mask), H.tobytes())
        hit = memo.get(key)
        if hit is not None:
            return hit[:2]
    warped = cv2.warpPerspective(moving.astype(np.float32), H, template.shape[::-1],
                                 flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0)
    ok = warped >= 0
    if mask is not None:
        ok &= mask
    if memo is not None:  # the inputs are kept alive with their warp, so their ids stay unique
        memo[key] = (warped, ok, template, moving, mask)
    return warped, ok


def _corr(template, moving, H, mask, cache=None, memo=None):
    """Zero-mean normalised correlation of template and the moving image warped by H.

    ``cache`` (a dict kept with the template) saves the template's smoothed image between
    calls; ``memo`` is passed to :func:`_warp_valid`.
    """
    warped, ok = _warp_valid(template, moving, H, mask, memo)
    if ok.sum() < 100:
        return float("nan")
    key = (id(template), "corr")
    ta = None if cache is None else cache.get(key)
    if ta is None:
        ta = cv2.GaussianBlur(template.astype(np.float32), (5, 5), 0)
        if cache is not None:
            cache[key] = ta
    a = ta[ok]
    b = cv2.GaussianBlur(warped, (5, 5), 0)[ok]
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else float("nan")


def _tile_corr(template, moving, H, mask, grid=6, bands=((1.0, 4.0), (3.0, 12.0)), cache=None,
               memo=None):
    """Median over tiles of the correlation of band-passed texture after alignment.

    Texture (difference of Gaussians, 1-4 px) is what stays the same between visits; a
    median over tiles ignores the minority of tiles where lesions changed. ``cache`` (a
    dict kept with the template) saves the template's band-passed images between calls;
    ``memo`` is passed to :func:`_warp_valid`.
    """
    warped, ok = _warp_valid(template, moving, H, mask, memo)
    t = template.astype(np.float32)
    m_f = np.where(ok, warped, t)
    hh, ww = t.shape
    best = float("nan")
    for lo, hi in bands:
        key = (id(template), lo, hi)
        a = None if cache is None else cache.get(key)
        if a is None:
            a = cv2.GaussianBlur(t, (0, 0), lo) - cv2.GaussianBlur(t, (0, 0), hi)
            if cache is not None:
                cache[key] = a
        b = cv2.GaussianBlur(m_f, (0, 0), lo) - cv2.GaussianBlur(m_f, (0, 0), hi)
        vals = []
        for r in range(grid):
            for c in range(grid):
                sl = (slice(r * hh // grid, (r + 1) * hh // grid),
                      slice(c * ww // grid, (c + 1) * ww // grid))
                m = ok[sl]
                if 2 * np.count_nonzero(m) < m.size:  # less than half covered
                    continue
                x, y = a[sl][m], b[sl][m]
                x, y = x - x.mean(), y - y.mean()
                den = float(np.sqrt((x * x).sum() * (y * y).sum()))
                if den > 1e-6 and x.std() > 0.5:  # skip featureless tiles (background)
                    vals.append(float((x * y).sum() / den))
        if len(vals) >= 3:
            v = float(np.median(vals))
            best = v if not np.isfinite(best) else max(best, v)
    return best


def _texture_corr(ctx, Hw, mask):
    """:func:`_tile_corr` of the pair under the working homography ``Hw``: the fine band
    (1-4 px) at working resolution, the coarse band (3-12 px) at half of it (same band, a
    quarter of the pixels and kernel lengths), when the working images are large."""
    if max(ctx.raw_b.shape) < 700 or max(ctx.raw_f.shape) < 700:
        return _tile_corr(ctx.raw_b, ctx.raw_f, Hw, mask, cache=ctx.pb._dog, memo=ctx.warps)
    fine = _tile_corr(ctx.raw_b, ctx.raw_f, Hw, mask, bands=((1.0, 4.0),), cache=ctx.pb._dog,
                      memo=ctx.warps)
    (gb, _), (gf, _) = ctx.pb.half(), ctx.pf.half()
    S = _scale_matrix(0.5)
    Hl = S @ Hw @ np.linalg.inv(S)
    hm = None if mask is None else _resize_mask(mask[:gb.shape[0] * 2, :gb.shape[1] * 2], gb.shape)
    coarse = _tile_corr(gb, gf, Hl / Hl[2, 2], hm, bands=((1.5, 6.0),), cache=ctx.pb._dog)
    vals = [v for v in (fine, coarse) if np.isfinite(v)]
    return max(vals) if vals else float("nan")
