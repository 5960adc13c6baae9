"""Working-image and mask operations shared by the region finder (:mod:`vasi.roi`,
:mod:`vasi.roi_skin`, :mod:`vasi.roi_body`, :mod:`vasi.roi_face`): the photo reduced to
``WORK_SIDE`` px, smoothing, Lab, the centre weight, largest component, hole filling,
morphology with discs, Otsu's threshold and upsampling a working mask.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._cv import components_with_stats
from ._validate import _unit_float
from .color import srgb_to_linear
from .reference import _LUM_WEIGHTS, edt2, region_box

#: Long side (px) of the working image the region is found on.
WORK_SIDE = 320
#: Offset (linear light) added to the working image's colours before taking logs.
_EPS = 2e-3
_LUMA = _LUM_WEIGHTS[None, :]  # Rec. 709 luminance weights, one row for cv2.transform


def _small(arr: np.ndarray):
    """The photo reduced to the working resolution: sRGB and linear RGB, float32 in
    [0, 1], and the scale factor ``k = h / H``. A large photo is first decimated (nearest
    pixel) to about three times the working size and then box-averaged, which is ~10x
    faster than one box average over the full photo and still averages 9 samples per
    working pixel."""
    H, W = arr.shape[:2]
    k = min(1.0, WORK_SIDE / max(H, W))
    src = arr if arr.dtype != np.float64 else arr.astype(np.float32)
    if k < 1.0:
        size = (max(1, int(round(W * k))), max(1, int(round(H * k))))
        if k < 1.0 / 4.0:
            mid = (size[0] * 2, size[1] * 2)
            src = cv2.resize(src, mid, interpolation=cv2.INTER_NEAREST)
        small = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
    else:
        small = src
    if small.dtype == np.uint8:
        srgb = small.astype(np.float32) * np.float32(1.0 / 255.0)
    else:
        srgb = _unit_float(small)
    lin = srgb_to_linear(small if small.dtype == np.uint8 else srgb)  # 8-bit: a table lookup
    return srgb, lin, small.shape[0] / H


def _log_luma(lin: np.ndarray) -> np.ndarray:
    """Natural log of the luminance of linear RGB ``lin`` (plus ``_EPS``), float32 (h, w)."""
    return cv2.log(cv2.transform(lin, _LUMA) + np.float32(_EPS))


def _smooth(img: np.ndarray) -> np.ndarray:
    """``img`` smoothed like the skin features: over ``max(h, w) / 500`` px (noise, hairs,
    pores; none on small, clean images)."""
    sigma = max(img.shape[:2]) / 500.0
    return cv2.GaussianBlur(img, (0, 0), sigma) if sigma >= 0.5 else img


def _lab(srgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(srgb, np.float32), cv2.COLOR_RGB2Lab)


def _centre_weight(shape) -> np.ndarray:
    h, w = shape
    yy = ((np.arange(h, dtype=np.float32) - h / 2) / (0.35 * h)) ** 2
    xx = ((np.arange(w, dtype=np.float32) - w / 2) / (0.35 * w)) ** 2
    return np.exp(-(yy[:, None] + xx[None, :]))


def _largest(mask: np.ndarray, prefer=None) -> np.ndarray:
    n, lab, stats, _ = components_with_stats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask, bool)
    score = stats[1:, cv2.CC_STAT_AREA].astype(float)
    if prefer is not None:
        tot = np.bincount(lab.ravel(), weights=prefer.ravel(), minlength=n)[1:]
        score = score * (0.25 + tot / np.maximum(score, 1))
    return lab == (1 + int(np.argmax(score)))


def _fill_holes(m: np.ndarray) -> np.ndarray:
    """``m`` with its holes filled (4-connected background not reachable from the frame)."""
    h, w = m.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = m
    ff = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(pad, ff, (0, 0), 2, flags=4)
    return pad[1:-1, 1:-1] != 2


def _otsu(v: np.ndarray) -> float:
    from skimage.filters import threshold_otsu

    v = v[:: max(1, v.size // 200_000)]
    return float(threshold_otsu(v)) if np.ptp(v) > 0 else float(v.max())


def _open_close(m: np.ndarray, side: int) -> np.ndarray:
    r = max(1, int(round(side / 300)))
    shape = cv2.MORPH_RECT if r == 1 else cv2.MORPH_ELLIPSE
    k = cv2.getStructuringElement(shape, (2 * r + 1, 2 * r + 1))
    m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, k)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, k).astype(bool)


def _upsample_mask(m: np.ndarray, shape, k: float, sigma: float = 0.7) -> np.ndarray:
    """Full-resolution bool mask from a working-resolution one (``k`` x its size): a uint8
    mask blurred over ``sigma`` working px, upsampled bilinearly and cut at half (smooth
    outline, no float full-res array)."""
    if k >= 1.0 and m.shape == tuple(shape):
        return m.copy()
    f = m.astype(np.uint8) * np.uint8(255)
    if sigma > 0:
        f = cv2.GaussianBlur(f, (0, 0), sigma)
    up = cv2.resize(f, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    up = cv2.threshold(up, 127, 1, cv2.THRESH_BINARY, dst=up)[1]  # >= 128 as 0/1, in place
    return up.view(bool)


def _boxed_edt2(m: np.ndarray) -> np.ndarray:
    """``edt2(m)`` computed over the box of ``m``'s pixels and one pixel around it (0
    beyond, where ``m`` is False): the same values, as a pixel's nearest False pixel is
    never farther than that ring (a small mask's transform costs its box, not the frame).

    >>> m = np.zeros((9, 12), bool); m[2:5, 3:9] = True
    >>> bool(np.array_equal(_boxed_edt2(m), edt2(m)))
    True
    """
    box = region_box(m, margin=0.0, min_margin=1)  # (the whole frame when m is empty)
    out = np.zeros(m.shape, np.float32)
    out[box] = edt2(m[box])
    return out


def _open_disk(m: np.ndarray, r: float, d2: np.ndarray | None = None) -> np.ndarray:
    """Morphological opening by a disc of radius ``r`` px, by two distance transforms
    (fast for large discs), each over the box of the pixels it can reach. ``d2``:
    ``edt2(m)`` when already computed (openings of one mask by several discs share it)."""
    r2 = float(r) * float(r)
    ero = (_boxed_edt2(m) if d2 is None else d2) > r2
    if not ero.any():  # nothing survives the erosion: nothing to dilate
        return np.zeros(m.shape, bool)
    # the dilation reaches r px beyond the eroded pixels: their box widened by that
    box = region_box(ero, margin=0.0, min_margin=int(np.ceil(r)) + 1)
    dil = np.zeros(m.shape, bool)
    dil[box] = edt2(~ero[box]) <= r2
    return dil & m.astype(bool)


def _close_disk(m: np.ndarray, r: float) -> np.ndarray:
    """Morphological closing by a disc of radius ``r`` px, by two distance transforms (the
    frame is not part of ``m``: nothing is closed against it).

    >>> m = np.zeros((20, 30), bool); m[5:15, 2:12] = m[5:15, 18:28] = m[5:7, 12:18] = True
    >>> c = _close_disk(m, 4.0)   # the 6-px notch below the bridge is filled but for its mouth
    >>> bool(c[10, 15]), bool(c[14, 15])
    (True, False)
    """
    p = int(np.ceil(r)) + 1
    return ~_open_disk(~np.pad(m.astype(bool), p), r)[p:-p, p:-p]  # closing: the dual


def _hull(m: np.ndarray) -> np.ndarray:
    pts = cv2.findNonZero(m.astype(np.uint8))
    out = np.zeros(m.shape, np.uint8)
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out.astype(bool) | m
