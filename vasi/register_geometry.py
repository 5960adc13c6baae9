"""Homography helpers for :mod:`vasi.register`: warping images and masks between photos,
working-resolution scaling of photos and transforms, mapping points, a homography's
decomposition (scale, rotation, anisotropy, perspective), the error between two
homographies (:func:`transform_error_px`) and the seeded USAC-MAGSAC parameters.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._validate import check_choice
from .errors import InputError

#: ``interpolation`` of :meth:`vasi.register.Registration.warp`.
INTERPOLATIONS = ("auto", "linear", "cubic", "nearest")


def _warp(data, H, src_shape, dst_shape, *, inverse, interpolation, fill):
    arr = np.asarray(data)
    if arr.shape[:2] != tuple(src_shape):
        raise InputError(
            f"data has shape {arr.shape}; expected height/width {tuple(src_shape)} "
            f"({'follow-up' if inverse else 'baseline'} photo). Pass an array of that photo's size."
        )
    check_choice(interpolation, INTERPOLATIONS, "interpolation")
    flags = cv2.WARP_INVERSE_MAP if inverse else 0
    size = (int(dst_shape[1]), int(dst_shape[0]))
    M = np.asarray(H, np.float64)
    if arr.dtype == bool:
        if interpolation == "nearest":
            out = cv2.warpPerspective(arr.astype(np.uint8), M, size, flags=flags | cv2.INTER_NEAREST,
                                      borderValue=int(bool(fill)))
            return out > 0
        u = arr.astype(np.float32)
        out = cv2.warpPerspective(u, M, size, flags=flags | cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=float(bool(fill)))
        return out > 0.5
    # a 2-D integer array is labels or a 0/255 mask (vasi's photos are (H, W, 3)), uint8 too:
    # bilinear blending invented labels between neighbours (1 next to 3 became 2)
    nearest = interpolation == "nearest" or (interpolation == "auto" and arr.dtype.kind in "iu"
                                             and arr.ndim == 2)
    work = arr
    if arr.dtype.kind in "iu" and arr.dtype not in (np.uint8, np.uint16, np.int16):
        work = arr.astype(np.float32)  # (cv2's types; labels < 2**24 are exact in float32)
    elif arr.dtype == np.float16:
        work = arr.astype(np.float32)
    interp = (cv2.INTER_NEAREST if nearest else
              cv2.INTER_CUBIC if interpolation == "cubic" else cv2.INTER_LINEAR)
    bval = fill if np.isscalar(fill) else tuple(fill)
    if np.isscalar(bval):
        bval = (float(bval),) * 4
    channels = work.shape[2] if work.ndim == 3 else 1
    if channels > 4:
        out = np.stack([cv2.warpPerspective(np.ascontiguousarray(work[..., c]), M, size,
                                            flags=flags | interp, borderValue=bval)
                        for c in range(channels)], axis=-1)
    else:
        out = cv2.warpPerspective(np.ascontiguousarray(work), M, size, flags=flags | interp,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=bval)
    if work.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    if interp == cv2.INTER_CUBIC and out.dtype.kind == "f":
        # the cubic's lobes overshoot at sharp edges: no new extremes (integers saturate)
        fills = np.asarray(bval[:channels], np.float64)
        np.clip(out, min(np.min(work), fills.min()), max(np.max(work), fills.max()), out=out)
    if out.dtype != arr.dtype:
        out = np.rint(out).astype(arr.dtype) if arr.dtype.kind in "iu" else out.astype(arr.dtype)
    return out


# ---------------------------------------------------------------------- helpers
def _shrink(image, max_side):
    """Image at working resolution (long side <= ``max_side``) and its (x, y) scale factors.

    Large photos are first reduced by an integer factor (cv2's fast box-filter path: a
    12 MP photo in ~10 ms), then resized to ``max_side`` (a cheap step on the small image).
    Both steps keep cv2's pixel-centre convention, so the composite map is
    ``x_small = (x + 0.5) * s - 0.5`` per axis (see :func:`_scale_matrix`).
    """
    h, w = image.shape[:2]
    target = min(1.0, float(max_side) / max(h, w))
    sx = sy = 1.0
    out = image
    k = int(np.floor(1.0 / target + 1e-9))
    if k >= 2:
        hk, wk = h // k, w // k
        out = cv2.resize(np.ascontiguousarray(out[:hk * k, :wk * k]), (wk, hk),
                         interpolation=cv2.INTER_AREA)
        sx, sy = 1.0 / k, 1.0 / k
    hh, ww = out.shape[:2]
    if max(hh, ww) > max_side:
        nw, nh = max(1, round(w * target)), max(1, round(h * target))
        sx, sy = sx * nw / ww, sy * nh / hh
        out = cv2.resize(out, (nw, nh), interpolation=cv2.INTER_AREA)
    return out, (sx, sy)


def _resize_mask(mask, shape):
    if mask is None:
        return None
    m = np.ascontiguousarray(mask)
    m = m.view(np.uint8) if m.dtype == bool else m.astype(np.uint8)
    if m.shape[:2] == tuple(shape):
        return m > 0
    h, w = m.shape[:2]
    if h % shape[0] == 0 and w % shape[1] == 0 and h // shape[0] == w // shape[1] > 1:
        # integer factor: majority of each block (smoother than picking one pixel)
        frac = cv2.resize(m, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
        return frac > 0
    m = cv2.resize(m, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return m > 0


def _scale_matrix(s):
    """Full-res px -> resized px, pixel-centre convention of cv2.resize; ``s`` or (sx, sy)."""
    sx, sy = (s, s) if np.isscalar(s) else (float(s[0]), float(s[1]))
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])


def _mean_scale(s):
    return float(s) if np.isscalar(s) else 0.5 * (float(s[0]) + float(s[1]))


def _to_full(Hw, sb, sf):
    """Working-resolution homography to full resolution: x_f = S_f^-1 H_w S_b x_b."""
    H = np.linalg.inv(_scale_matrix(sf)) @ Hw @ _scale_matrix(sb)
    return H / H[2, 2]


def _to_work(H, sb, sf):
    Hw = _scale_matrix(sf) @ H @ np.linalg.inv(_scale_matrix(sb))
    return Hw / Hw[2, 2]


def _apply(H, pts):
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    p = np.c_[pts, np.ones(len(pts))] @ np.asarray(H, np.float64).T
    return p[:, :2] / p[:, 2:3]


def transform_error_px(H_est, H_true, shape, *, mask=None, step: int = 8) -> np.ndarray:
    """Distances (follow-up px) between two baseline -> follow-up homographies on a grid.

    Parameters
    ----------
    H_est, H_true : ndarray, shape (3, 3)
        Estimated and true homographies (baseline px -> follow-up px).
    shape : tuple of int
        Baseline ``(H, W)``.
    mask : ndarray of bool, shape (H, W), optional
        Evaluate only here (e.g. the assessed skin).
    step : int, keyword-only
        Grid spacing in px.

    Returns
    -------
    ndarray of float
        One distance per grid point.

    Examples
    --------
    >>> H = np.eye(3); H2 = np.eye(3); H2[0, 2] = 2.0
    >>> float(np.median(transform_error_px(H, H2, (20, 20))))
    2.0
    """
    hh, ww = shape
    ys, xs = np.mgrid[0:hh:step, 0:ww:step]
    if mask is not None:
        keep = np.asarray(mask, bool)[ys, xs]
        ys, xs = ys[keep], xs[keep]
    pts = np.c_[xs.ravel(), ys.ravel()].astype(np.float64)
    if len(pts) == 0:
        return np.array([np.nan])
    return np.linalg.norm(_apply(H_est, pts) - _apply(H_true, pts), axis=1)


def _decompose(H, shape):
    """Scale, rotation (deg), anisotropy and perspective of H around the baseline centre."""
    hh, ww = shape
    c = np.array([ww / 2.0, hh / 2.0])
    # local Jacobian at the centre
    eps = 1.0
    p0 = _apply(H, c)[0]
    jx = (_apply(H, c + [eps, 0])[0] - p0) / eps
    jy = (_apply(H, c + [0, eps])[0] - p0) / eps
    J = np.c_[jx, jy]
    sv = np.linalg.svd(J, compute_uv=False)
    det = float(np.linalg.det(J))
    scale = float(np.sqrt(abs(det)))
    aniso = float(sv[0] / max(sv[1], 1e-12))
    rot = float(np.degrees(np.arctan2(J[1, 0] - J[0, 1], J[0, 0] + J[1, 1])))
    corners = np.array([[0, 0], [ww, 0], [ww, hh], [0, hh]], np.float64)
    den = np.c_[corners, np.ones(4)] @ (H[2] / H[2, 2])
    persp = float(np.max(np.abs(den - 1.0))) if np.all(den > 0) else float("inf")
    return scale, rot, aniso, persp, det


def _convex_cover(pts, area):
    if len(pts) < 3 or area <= 0:
        return 0.0
    hull = cv2.convexHull(np.asarray(pts, np.float32))
    return float(cv2.contourArea(hull)) / float(area)


def _usac_params(threshold):
    p = cv2.UsacParams()
    p.confidence = 0.9995
    p.maxIterations = 5000
    p.threshold = float(threshold)
    p.randomGeneratorState = 12345
    p.sampler = cv2.SAMPLING_UNIFORM
    p.score = cv2.SCORE_METHOD_MAGSAC
    p.loMethod = cv2.LOCAL_OPTIM_SIGMA
    p.loIterations = 10
    p.loSampleSize = 14
    p.final_polisher = cv2.MAGSAC
    p.final_polisher_iterations = 10
    p.isParallel = False
    return p
