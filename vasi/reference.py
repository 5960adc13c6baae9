"""Building blocks of relative segmentation: working resolution, skin features, robust
statistics and smooth illumination fields estimated from the patient's own normal skin.

Everything here works on the reduced *working* image (large photos are reduced by an integer
block average); the decision is upsampled to full resolution by :mod:`vasi.segment`.

Features (all in log linear RGB, so multiplicative illumination becomes additive):

* ``lum = log Y`` -- luminance; depigmented skin is lighter. Shading and illumination
  gradients are removed by subtracting a smooth field fitted to normal skin only.
* ``mel = log B - log R`` -- the melanin colour axis. Melanin absorbs short wavelengths far
  more than long ones, so removing it raises blue much more than red; the ratio is
  unchanged by the intensity of the light, so it is immune to shading.
* (visible light) ``pink = -(G - B) / (R - B)`` -- the hue that neither shading nor added
  white light (shine) changes (:func:`white_invariant_hue`, negated). Melanin makes skin
  yellow-brown; without it the skin shows the pink of blood, so the hue moves from yellow
  towards red. On light skin, where there is little melanin to lose, this is often the
  clearer sign: light and the blue/red ratio change little, the hue more.
* (Wood's lamp) ``flu = log G - (log R + log B) / 2`` -- blue-white fluorescence has far more
  green than the violet reflection of normal skin under UV.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._validate import check_choice, check_image, check_mask, to_float
from .color import srgb_to_linear

__all__ = ["BoxMap", "edt", "edt2", "outline_distance", "reference_skin", "region_box",
           "median", "robust_stats", "bimodal_split", "bimodal_projection", "mode_separation", "sample",
           "shading", "smooth_field", "smooth_fields", "white_invariant_hue", "working_image"]

_EPS = 2e-3  # linear-light floor (about sRGB 10/255) so logs of black stay finite


def working_image(image, roi=None, *, max_side: int):
    """Reduce an image (and optional region) to the working resolution.

    Returns
    -------
    small_srgb : ndarray (h, w, 3) float32 in [0, 1]
    small_lin : ndarray (h, w, 3) float32, linear light
    roi_small : ndarray (h, w) bool or None
    k : float
        Scale factor ``h / H`` (1 when the image is already small).

    Examples
    --------
    >>> s, lin, r, k = working_image(np.zeros((2000, 1000, 3), np.uint8), max_side=500)
    >>> s.shape, k
    ((500, 250, 3), 0.25)
    """
    arr = check_image(image)
    H, W = arr.shape[:2]
    k = min(1.0, max_side / max(H, W))
    if k < 1.0:
        f = int(np.ceil(max(H, W) / max_side))
        if f >= 4:  # an integer factor takes OpenCV's fast block-average path
            k = 1.0 / f
        size = (max(1, int(round(W * k))), max(1, int(round(H * k))))
        src = arr if arr.dtype != np.float64 else arr.astype(np.float32)
        small = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
    else:
        small = arr
    if small.dtype == np.uint8:
        srgb = small.astype(np.float32)
        srgb /= 255.0
    else:
        srgb = to_float(small)
    lin = srgb_to_linear(small if small.dtype == np.uint8 else srgb)  # 8-bit: a table lookup
    roi_small = None
    if roi is not None:
        r = check_mask(roi, (H, W), "roi")
        if k < 1.0:
            # block average of the 0/1 mask, rounded: a working pixel is in the region when
            # at least half of its full-resolution pixels are
            # (a strided view of a larger mask is read in place: no copy of the box)
            r8 = cv2.resize(r.view(np.uint8), (srgb.shape[1], srgb.shape[0]),
                            interpolation=cv2.INTER_AREA)
            roi_small = r8 >= 1
        else:
            roi_small = r.copy()
    return srgb, lin, roi_small, (srgb.shape[0] / H)


class BoxMap:
    """A full-resolution map that is zero (``fill``) outside a box and, inside it, a
    working-resolution map resized to the box -- computed only when it is asked for.

    Segmentation runs on a reduced copy of the region's bounding box; its per-pixel outputs
    (score, reference skin) are needed at full resolution only by some callers. Resizing the
    box is cheap, allocating and filling a 12-MP frame is not, so :class:`vasi.Segmentation`
    keeps a ``BoxMap`` and builds the frame on first access; :meth:`crop` gives any part of
    the frame inside the box without building it.

    Parameters
    ----------
    small : ndarray, shape (h, w)
        The map at working resolution (or already at the box's size).
    box : (slice, slice)
        Where the map lies in the full frame.
    shape : (int, int)
        Full frame shape.
    interp : int
        OpenCV interpolation used to resize ``small`` to the box.
    within : ndarray of bool, shape of the box, optional
        Only these pixels of the box keep their value (the others get ``fill``).
    fill : scalar
        Value outside the box (and outside ``within``).
    box_values : ndarray, optional
        ``small`` already resized to the box (kept, not recomputed).

    Examples
    --------
    >>> m = BoxMap(np.ones((2, 2), np.float32), (slice(1, 5), slice(2, 6)), (6, 8), cv2.INTER_LINEAR)
    >>> full = np.asarray(m)
    >>> full.shape, full.dtype, float(full.sum()), float(m.crop((slice(1, 3), slice(2, 4))).sum())
    ((6, 8), dtype('float32'), 16.0, 4.0)
    """

    def __init__(self, small, box, shape, interp, *, within=None, fill=0, box_values=None):
        self.small = small
        self.box = (slice(*box[0].indices(shape[0])[:2]), slice(*box[1].indices(shape[1])[:2]))
        self.shape = (int(shape[0]), int(shape[1]))
        self.interp = int(interp)
        self.within = within
        self.fill = fill
        self.dtype = np.dtype(small.dtype)
        self._box_values = box_values

    @property
    def ndim(self) -> int:
        return 2

    def box_values(self) -> np.ndarray:
        """The map over its box, at full resolution (computed once)."""
        if self._box_values is None:
            bh = self.box[0].stop - self.box[0].start
            bw = self.box[1].stop - self.box[1].start
            v = self.small
            if v.shape != (bh, bw):
                v = cv2.resize(v.view(np.uint8) if v.dtype == bool else v, (bw, bh),
                               interpolation=self.interp)
                v = v.view(bool) if self.dtype == bool else v
            if self.within is not None:
                v = np.where(self.within, v, np.asarray(self.fill, self.dtype))
            self._box_values = v
        return self._box_values

    def crop(self, key) -> np.ndarray:
        """``np.asarray(self)[key]`` for a pair of unit-step slices, without building the frame."""
        rows, cols = (slice(*k.indices(n)) for k, n in zip(key, self.shape, strict=True))
        b0, b1 = self.box
        if (rows.step == 1 and cols.step == 1 and rows.start >= b0.start and rows.stop <= b0.stop
                and cols.start >= b1.start and cols.stop <= b1.stop):
            return self.box_values()[rows.start - b0.start:rows.stop - b0.start,
                                     cols.start - b1.start:cols.stop - b1.start]
        return self.full()[rows, cols]

    def full(self) -> np.ndarray:
        """The whole frame (a new array)."""
        out = np.full(self.shape, self.fill, self.dtype) if self.fill else np.zeros(self.shape, self.dtype)
        out[self.box] = self.box_values()
        return out

    def __array__(self, dtype=None, copy=None):
        out = self.full()
        return out if dtype is None else out.astype(dtype, copy=False)


def region_box(mask: np.ndarray, *, margin: float = 0.03, min_margin: int = 8) -> tuple[slice, slice]:
    """Bounding box of a region's pixels, widened by a margin and clipped to the image.

    The analysis only needs the region and a little context around it, so large photos
    in which the subject fills a small part are cropped before anything else is done.

    Parameters
    ----------
    mask : ndarray of bool, shape (H, W)
    margin : float
        Margin as a fraction of the box's long side.
    min_margin : int
        Minimum margin in pixels.

    Returns
    -------
    (slice, slice)
        Row and column slices (the whole image when ``mask`` is empty).

    Examples
    --------
    >>> m = np.zeros((100, 200), bool); m[40:60, 50:150] = True
    >>> region_box(m, margin=0.1)
    (slice(30, 70, None), slice(40, 160, None))
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return slice(0, mask.shape[0]), slice(0, mask.shape[1])
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(mask[r0:r1].any(axis=0))  # (the columns read on those rows only)
    c0, c1 = int(cols[0]), int(cols[-1]) + 1
    m = max(min_margin, int(round(margin * max(r1 - r0, c1 - c0))))
    H, W = mask.shape
    return slice(max(0, r0 - m), min(H, r1 + m)), slice(max(0, c0 - m), min(W, c1 + m))


_LUM_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 luminance


def white_invariant_hue(lin: np.ndarray) -> np.ndarray:
    """``(G - B) / (R - B)`` of linear RGB (h, w, 3) float32, with ``R - B`` floored at
    ``_EPS`` and the result clipped to [-1, 2]: unchanged when the pixel is shaded or white
    light is added (specular reflection, dichromatic model); melanin loss lowers it (skin
    turns from yellow-brown towards the pink of blood).

    >>> c = np.array([[[0.30, 0.18, 0.10]]], np.float32)
    >>> [round(float(white_invariant_hue(x)[0, 0]), 4) for x in (c, 0.5 * c + 0.2)]
    [0.4, 0.4]
    """
    r, g, b = lin[..., 0], lin[..., 1], lin[..., 2]
    hue = g - b
    hue /= np.maximum(r - b, np.float32(_EPS))
    return np.clip(hue, -1.0, 2.0, out=hue)


def features(lin: np.ndarray, modality: str) -> np.ndarray:
    """Per-pixel features (h, w, n) float32 (see the module docstring): ``lum``, the colour
    axis (``mel`` or ``flu``) and, in visible light, ``pink``."""
    woods = modality == "woods"
    out = np.empty(lin.shape[:-1] + (2 if woods else 3,), np.float32)
    lum = lin @ _LUM_WEIGHTS
    lum += _EPS
    np.log(lum, out=lum)
    out[..., 0] = lum
    # logs in place, of the channels needed only (visible light: blue and red, each taken
    # as its own plane: a (h, w, 2) view would make numpy loop over pairs)
    if woods:
        lg = lin + _EPS
        np.log(lg, out=lg)
        s = lg[..., 0] + lg[..., 2]
        s *= 0.5
        np.subtract(lg[..., 1], s, out=out[..., 1])
    else:
        log_r, log_b = lin[..., 0] + _EPS, lin[..., 2] + _EPS
        np.log(log_r, out=log_r)
        np.log(log_b, out=log_b)
        np.subtract(log_b, log_r, out=out[..., 1])
        np.negative(white_invariant_hue(lin), out=out[..., 2])
    return out


#: Pixels used for a robust statistic (median, MAD, covariance) of a set of pixels. An even
#: spread of 20 000 pixels puts the median within ~0.01 standard deviations of the full set's.
STATS_SAMPLE = 5_000


def sample(values: np.ndarray, mask: np.ndarray, max_n: int = STATS_SAMPLE) -> np.ndarray:
    """``values[mask]`` thinned to at most ``max_n`` pixels evenly spread in raster order.

    Parameters
    ----------
    values : ndarray, shape (h, w) or (h, w, c)
    mask : ndarray of bool, shape (h, w)
    max_n : int

    Returns
    -------
    ndarray, shape (n,) or (n, c), n <= max_n

    Examples
    --------
    >>> v = np.arange(100.0).reshape(10, 10); m = v >= 50
    >>> sample(v, m, max_n=10).tolist()
    [50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0]
    """
    return take(values, sample_index(mask, max_n))


def sample_index(mask: np.ndarray, max_n: int = STATS_SAMPLE) -> np.ndarray:
    """Flat indices of the pixels :func:`sample` takes from ``mask`` (compute once, then
    :func:`take` from several images)."""
    idx = np.flatnonzero(mask)
    if idx.size > max_n:
        idx = idx[:: int(np.ceil(idx.size / max_n))]
    return idx


def take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values`` (h, w) or (h, w, c) at flat pixel indices ``idx``: (n,) or (n, c)."""
    h, w = values.shape[:2]
    flat = values.reshape(h * w, -1) if values.ndim == 3 else values.reshape(-1)
    # np.take gathers whole rows: 5x faster than fancy indexing ``flat[idx]`` on (n, c)
    return np.take(flat, idx, axis=0)


def median(values: np.ndarray):
    """``np.median(values, axis=0)`` of a sample (n,) or (n, c), the same values bit for bit,
    faster on the small samples segmentation takes many medians of: each column is
    partitioned on its own, contiguous (numpy partitions an (n, c) sample along its first
    axis ~4x slower), and the middle one or two values are averaged as ``np.mean`` would,
    without ``np.median``'s per-call overhead. A NaN makes the median NaN, as in numpy (the
    partition also puts the largest value, or a NaN, last). Other than float samples go to
    ``np.median``.

    >>> v = np.random.default_rng(0).normal(size=(1001, 3)).astype(np.float32)
    >>> all(np.array_equal(median(a), np.median(a, axis=0)) for a in (v, v[1:], v[:, 0], v[1:, 0]))
    True
    """
    v = np.asarray(values)
    n = v.shape[0] if v.ndim else 0
    if v.dtype.kind != "f" or v.ndim not in (1, 2) or n == 0:
        return np.median(v, axis=0)
    k = n // 2
    kth = [k, n - 1] if n % 2 else [k - 1, k, n - 1]
    if v.ndim == 2:
        cols = np.array(v.T, order="C")  # (our own copy: partitioned in place)
        cols.partition(kth, axis=1)
        p = cols.T
    else:
        p = np.partition(v, kth)
    out = p[k] if n % 2 else (p[k - 1] + p[k]) / 2
    nan = np.isnan(p[n - 1])
    if v.ndim == 1:
        return p[n - 1] if nan else out
    out[nan] = np.nan
    return out


def robust_stats(values: np.ndarray, max_n: int = 200_000) -> tuple[float, float]:
    """Median and MAD-based standard deviation (``1.4826 * MAD``) of a 1-D sample.

    >>> m, s = robust_stats(np.random.default_rng(0).normal(5.0, 2.0, 10_000))
    >>> round(m, 1), round(s, 1)
    (5.0, 2.0)
    """
    v = np.asarray(values, np.float64).ravel()
    if v.size == 0:
        return float("nan"), float("nan")
    if v.size > max_n:
        v = v[:: int(np.ceil(v.size / max_n))]
    m = float(median(v))
    s = 1.4826 * float(median(np.abs(v - m)))
    return m, s


def lower_mode_stats(values: np.ndarray, max_n: int = 50_000) -> tuple[float, float]:
    """Mode of a 1-D sample and the standard deviation of its lower side (the median
    distance of the values below the mode to it, over 0.6745).

    The normal skin's spread along the depigmentation axis, measured where no patch can
    widen it (patches lie above the mode) and no exclusion of candidates can narrow it
    (all of the region's skin is used). The mode is the peak of the sample's density
    (a histogram smoothed by a quarter of the spread, found again with the lower side's
    spread), which values cut off above it do not move.

    >>> rng = np.random.default_rng(0)
    >>> v = np.r_[rng.normal(0.0, 1.0, 9_000), rng.normal(8.0, 1.0, 3_000)]  # skin, patches
    >>> m, s = lower_mode_stats(v)
    >>> round(m, 1), round(s, 1)
    (0.0, 1.0)
    >>> m, s = lower_mode_stats(v[v < 1.0])  # its upper side cut 1 s.d. above the mode
    >>> round(m, 1), round(s, 1)
    (0.0, 1.0)
    """
    v = np.asarray(values, np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size < 20:
        return float("nan"), float("nan")
    if v.size > max_n:
        v = v[:: int(np.ceil(v.size / max_n))]
    lo, hi = np.percentile(v, [0.5, 99.5])
    mode, spread = robust_stats(v)  # (the median to start from, and the MAD's spread)
    for _ in range(2):
        if not (hi > lo and spread > 0):
            break
        width = 0.0625 * spread  # 4 bins per bandwidth of a quarter of the spread
        n = int(min(max((hi - lo) / width, 8), 4096))
        h, edges = np.histogram(v, bins=n, range=(lo, hi))
        h = cv2.GaussianBlur(h.astype(np.float64)[None], (0, 0), 0.25 * spread / ((hi - lo) / n),
                             borderType=cv2.BORDER_CONSTANT)[0]
        i = int(np.argmax(h))
        mode = float(0.5 * (edges[i] + edges[i + 1]))
        spread = float(median(mode - v[v <= mode])) / 0.6745
    return mode, spread


def bimodal_split(values: np.ndarray, separation: float = 4.0, min_share: float = 0.05,
                  min_n: int = 50) -> float | None:
    """Otsu threshold of a 1-D sample when it is clearly bimodal, else None.

    Clearly bimodal: the two Otsu classes each hold more than ``max(min_n, min_share x n)``
    values and their medians stand ``separation`` pooled robust standard deviations
    (:func:`robust_stats`) apart -- a single normal distribution split by Otsu gives ~2.7.

    >>> rng = np.random.default_rng(0)
    >>> two = np.r_[rng.normal(0.0, 1.0, 800), rng.normal(8.0, 1.0, 200)]
    >>> 2.0 < bimodal_split(two) < 6.0, bimodal_split(rng.normal(0.0, 1.0, 1000))
    (True, None)
    """
    from skimage.filters import threshold_otsu

    v = np.asarray(values).ravel()
    if v.size < 2 * min_n or np.ptp(v) <= 0:
        return None
    t = float(threshold_otsu(v))
    lo, hi = v[v <= t], v[v > t]
    if min(lo.size, hi.size) <= max(min_n, min_share * v.size):
        return None
    return t if mode_separation(lo, hi) > separation else None


def mode_separation(lo: np.ndarray, hi: np.ndarray) -> float:
    """How far the median of ``hi`` stands above that of ``lo``, in pooled robust standard
    deviations (:func:`robust_stats`; the pooled one floored at 1e-3).

    >>> mode_separation(np.array([0.0, 1.0, 2.0]), np.array([4.0, 5.0, 6.0]))  # 4 / 1.48
    2.698...
    """
    m_lo, s_lo = robust_stats(lo)
    m_hi, s_hi = robust_stats(hi)
    return float((m_hi - m_lo) / max(np.sqrt(0.5 * (s_lo**2 + s_hi**2)), 1e-3))


def bimodal_projection(values: np.ndarray, separation: float = 4.0, iters: int = 10,
                       **kw) -> tuple[np.ndarray, float] | None:
    """Direction ``w`` (d,) and threshold ``t`` of a sample of ``d`` features (n, d) when its
    projection ``values @ w`` is clearly bimodal (:func:`bimodal_split`), else None.

    The caller orients each feature so that the mode sought lies at its high end (the
    weights are held non-negative; a feature pointing the other way gets weight 0). The
    direction starts as the features' equal mix (each scaled by its robust s.d.) and is
    re-learnt from the two Otsu classes of the projection -- the Fisher direction of the
    difference of their medians against their pooled covariance -- until it settles. Two
    features that each only half show two modes can show them together.
    ``kw`` goes to :func:`bimodal_split`.

    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(0.0, 1.0, (1000, 2)); a[:300] += 3.0  # 3 s.d. apart on each feature
    >>> bimodal_split(a[:, 0]) is None, bimodal_split(a[:, 1]) is None
    (True, True)
    >>> w, t = bimodal_projection(a)
    >>> w.round(1).tolist(), int(((a @ w > t) == (np.arange(1000) < 300)).sum())
    ([0.6, 0.8], 977)
    >>> bimodal_projection(rng.normal(0.0, 1.0, (1000, 2))) is None
    True
    """
    from skimage.filters import threshold_otsu

    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v).all(axis=1)]
    s = np.array([max(robust_stats(v[:, i])[1], 1e-9) for i in range(v.shape[1])])
    w = 1.0 / s
    for _ in range(iters):
        p = v @ w
        if p.size < 4 or np.ptp(p) <= 0:
            return None
        hi = p > threshold_otsu(p)
        if min(hi.sum(), (~hi).sum()) <= v.shape[1]:
            return None
        cov = 0.5 * (np.cov(v[hi].T) + np.cov(v[~hi].T)).reshape(v.shape[1], -1)
        diff = median(v[hi]) - median(v[~hi])
        w_new = np.clip(np.linalg.solve(cov + 1e-6 * np.diag(s**2), diff), 0, None)
        if not w_new.any():
            return None
        w_new /= np.linalg.norm(w_new)
        done = np.abs(w_new - w / np.linalg.norm(w)).max() < 1e-3
        w = w_new
        if done:
            break
    w = w / np.linalg.norm(w)
    t = bimodal_split(v @ w, separation, **kw)
    return None if t is None else (w, t)


#: Fewest grid points per sigma of :func:`smooth_field`'s coarse grid.
GRID_PER_SIGMA = 8.0


def smooth_field(values: np.ndarray, weights: np.ndarray, sigma_px: float, *, fallback: float,
                 grid: int = 96, prior: float = 1e-3, order: int = 0, ridge: float = 0.1) -> np.ndarray:
    """Smooth surface through ``values`` where ``weights`` > 0 (normalised convolution).

    Computed on a coarse grid (long side ``grid`` at most, :data:`GRID_PER_SIGMA` points
    per sigma) for speed and upsampled bilinearly.
    Far from any weighted pixel the field falls back to ``fallback``: it is the mean of the
    weighted values and ``fallback`` counted with the weight ``prior`` (a weight density:
    0.05 means as much as 5 % of the neighbourhood's pixels at full weight).

    ``order=0`` is that local (Gaussian-weighted) mean. ``order=1`` fits a local plane at
    every point instead (first-order normalised convolution, Knutsson & Westin 1993), so a
    gradient continues into gaps of the weights and past their edge (the slopes are
    shrunk towards 0 by ``ridge``, a fraction of the local weight, where the data barely
    constrain them).

    >>> v = np.tile(np.linspace(0, 1, 100, dtype=np.float32), (50, 1)); w = np.ones_like(v)
    >>> f = smooth_field(v, w, 5.0, fallback=0.5)
    >>> bool(abs(f[25, 50] - v[25, 50]) < 0.02)
    True
    >>> w[:, 30:70] = 0                                  # a gap: the local mean flattens it,
    >>> [round(float(smooth_field(v, w, 10.0, fallback=0.5, order=o)[25, 60] - v[25, 60]), 2)
    ...  for o in (0, 1)]                                # the local plane follows the ramp
    [0.15, 0.03]
    """
    return smooth_fields([values], weights, sigma_px, fallbacks=[fallback], grid=grid, prior=prior,
                         order=order, ridge=ridge)[0]


def smooth_fields(planes, weights: np.ndarray, sigma_px: float, *, fallbacks, grid: int = 96,
                  prior: float = 1e-3, order: int = 0, ridge: float = 0.1) -> list:
    """:func:`smooth_field` of each of ``planes`` (arrays (h, w), one ``fallbacks`` value each)
    through the same ``weights`` at the same ``sigma_px``: the weights' own terms (their
    coarse grid, its blurs and, for ``order=1``, the moments of the local planes) are
    computed once for all of them. Returns a list of (h, w) float32 fields."""
    check_choice(order, (0, 1), "order")
    h, w = weights.shape
    # at most ``grid`` points along the long side, and no finer than GRID_PER_SIGMA
    # points per sigma (a wide field needs few samples: blurring 96-point grids with
    # sigmas of ~20 points took ~8 of the ~90 ms that scoring a 12-MP photo takes)
    g = min(1.0, grid / max(h, w), GRID_PER_SIGMA / max(float(sigma_px), 1e-6))
    size = (max(2, int(round(w * g))), max(2, int(round(h * g))))
    ww = cv2.resize(weights.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    s = max(sigma_px * g, 0.5)

    def blur(a):
        return cv2.GaussianBlur(np.asarray(a, np.float32), (0, 0), s, borderType=cv2.BORDER_REPLICATE)

    den = blur(ww)
    if order == 1:
        den = den.astype(np.float64)
        # weighted moments about each grid point (x, y in units of sigma), then the 3 x 3
        # normal equations of the local plane v = a + b dx + c dy; the field is its a
        y, x = np.mgrid[0:size[1], 0:size[0]] / s
        sx, sy = blur(ww * x).astype(np.float64), blur(ww * y).astype(np.float64)
        sxx = blur(ww * x * x) - 2 * x * sx + x * x * den
        syy = blur(ww * y * y) - 2 * y * sy + y * y * den
        sxy = blur(ww * x * y) - x * sy - y * sx + x * y * den
        sx, sy = sx - x * den, sy - y * den
        s0 = den + prior
        sxx, syy = sxx + ridge * s0, syy + ridge * s0
        # Cramer's rule for the first unknown (the symmetric system is positive definite)
        m0, m1, m2 = sxx * syy - sxy * sxy, sx * syy - sxy * sy, sx * sxy - sxx * sy
        det = s0 * m0 - sx * m1 + sy * m2
    out = []
    for values, fallback in zip(planes, fallbacks, strict=True):
        wv = cv2.resize((values * weights).astype(np.float32), size, interpolation=cv2.INTER_AREA)
        num = blur(wv)
        if order == 0:
            field = (num + np.float32(prior * fallback)) / (den + np.float32(prior))
        else:
            num = num.astype(np.float64)
            svx, svy = blur(wv * x) - x * num, blur(wv * y) - y * num
            field = ((num + prior * fallback) * m0 - svx * m1 + svy * m2) / det
        out.append(cv2.resize(field.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR))
    return out


#: Width of the band along a region's outline whose shading is modelled on its own, as a
#: fraction of the region's size (square root of its area), and the number of distance
#: bands it is split into (narrower near the outline, where shading changes fastest).
OUTLINE_BAND = 0.1
OUTLINE_BINS = 8


def edt2(mask: np.ndarray) -> np.ndarray:
    """Exact squared Euclidean distance (px², float32, whole numbers) of each True pixel to
    the nearest False one; beyond the frame is not False, and a mask without False pixels
    is ``inf`` everywhere.

    cv2's Felzenszwalb transform (~5x faster than scipy's) returns the distance to within
    a few float32 units in the last place, and *which* few depends on OpenCV's thread
    count: a batch worker (one thread) and a lone process (two) then disagreed in the
    ninth digit. The square of an exact distance between pixel centres is a whole number,
    so rounding it recovers the exact value, the same with any number of threads (for
    distances up to about 1500 px, beyond any working resolution's thresholds).

    >>> m = np.ones((5, 7), bool); m[2, 0] = False
    >>> edt2(m)[2].tolist(), edt2(m)[0, 3]
    ([0.0, 1.0, 4.0, 9.0, 16.0, 25.0, 36.0], np.float32(13.0))
    """
    m = np.ascontiguousarray(mask, dtype=bool)
    if not m.size:
        return np.zeros(m.shape, np.float32)
    if m.all():
        return np.full(m.shape, np.inf, np.float32)
    d = cv2.distanceTransform(m.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.rint(cv2.multiply(d, d, dst=d), out=d)


def edt(mask: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance (px, float32) of each True pixel to the nearest False one,
    ``sqrt(edt2(mask))`` (the same with any number of OpenCV threads)."""
    d = edt2(mask)
    return np.sqrt(d, out=d)


def outline_distance(region: np.ndarray) -> np.ndarray:
    """Distance (px, float32) of each region pixel to the region's outer outline: where the
    region meets the frame is no outline (the skin goes on beyond the photo), nor are its
    holes (eyes, marker cards cut out); ``inf`` when the region has no outline."""
    from scipy.ndimage import binary_fill_holes

    return edt(binary_fill_holes(region))


def _outline_profile(r, support, outline, size):
    """The part of ``r`` that depends on the distance to the outline: ``r`` on ``support``
    averaged in bands of equal distance, locally (over 0.15 of the region's size, so a thin
    finger and a thick forearm in one photo each get their own), interpolated between the
    bands' centres and falling to 0 at ``OUTLINE_BAND`` of the region's size."""
    far = OUTLINE_BAND * size
    edges = far * (np.arange(OUTLINE_BINS + 1) / OUTLINE_BINS) ** 1.5
    centres = np.append(0.5 * (edges[:-1] + edges[1:]), far)
    band = np.searchsorted(edges, outline, side="right") - 1
    levels = np.zeros((OUTLINE_BINS + 1,) + r.shape, np.float32)  # beyond the band: 0
    known = np.zeros(OUTLINE_BINS + 1, bool)
    known[-1] = True
    for i in range(OUTLINE_BINS):
        w = support & (band == i)
        if np.count_nonzero(w) >= 16:
            levels[i] = smooth_field(r, w.astype(np.float32), 0.15 * size, fallback=float(median(r[w])))
            known[i] = True
    for i in range(OUTLINE_BINS - 1, -1, -1):  # a band without skin (the rim) takes the next
        if not known[i]:
            levels[i] = levels[i + 1]
    d = np.minimum(outline, far)
    j = np.clip(np.searchsorted(centres, d, side="right") - 1, 0, OUTLINE_BINS - 1)
    t = np.clip((d - centres[j]) / (centres[j + 1] - centres[j]), 0.0, 1.0).astype(np.float32)
    lo = np.take_along_axis(levels, j[None], 0)[0]
    hi = np.take_along_axis(levels, (j + 1)[None], 0)[0]
    return lo + t * (hi - lo)


def shading(lin: np.ndarray, support: np.ndarray, region: np.ndarray, *,
            max_side: int = 256) -> np.ndarray:
    """Multiplicative shading of the skin in a linear-light image (float32, about 1 on
    ``support``: relative to its median log luminance): a smooth surface through the log luminance of ``support`` (normal skin)
    over 0.15 of the region's size, plus the faster darkening near the region's outline
    where a limb or a face turns away from the camera, learnt from the skin at each
    distance from the outline. Dividing by it leaves colours and reflectance ratios.

    Parameters
    ----------
    lin : ndarray of float, shape (h, w, 3)
        Linear-light RGB.
    support : ndarray of bool, shape (h, w)
        Normal skin to learn from (no patches, inside ``region``).
    region : ndarray of bool, shape (h, w)
        The assessed region (its outline is where the shading falls).
    max_side : int
        Larger images are reduced by an integer factor to at most this long side, the
        shading is found there and enlarged (bilinear): it is smooth, and at 256 px a
        face or a forearm photo still has about a pixel per millimetre near the outline.

    Examples
    --------
    >>> region = np.zeros((60, 80), bool); region[10:50] = True
    >>> rows = np.abs(np.arange(60) - 29.5)[:, None] * np.ones((1, 80))
    >>> lin = np.repeat((0.3 * (1 - 0.5 * (rows / 20) ** 4))[..., None], 3, axis=2)
    >>> s = shading(lin, region, region)
    >>> bool(np.ptp((lin[..., 0] / s)[region]) < 0.3 * np.ptp(lin[..., 0][region]))
    True
    """
    h, w = support.shape
    f = int(np.ceil(max(h, w) / max_side))
    if f > 1:
        small = (int(np.ceil(w / f)), int(np.ceil(h / f)))
        down = [cv2.resize(np.asarray(a, np.float32), small, interpolation=cv2.INTER_AREA)
                for a in (lin, support, region)]
        s = shading(down[0], down[1] > 0.5, down[2] > 0.5, max_side=max_side)
        return cv2.resize(s, (w, h), interpolation=cv2.INTER_LINEAR)
    y = np.log(np.maximum(np.asarray(lin, np.float32) @ _LUM_WEIGHTS, _EPS))
    n = int(np.count_nonzero(support))
    if n < 16:
        return np.ones(y.shape, np.float32)
    size = float(np.sqrt(max(np.count_nonzero(region), 1)))
    m = float(median(sample(y, support)))
    fld = smooth_field(y, support.astype(np.float32), 0.15 * size, fallback=m)
    fld += _outline_profile(y - fld, support, outline_distance(region), size)
    return np.exp(fld - m).astype(np.float32)


def disk(radius: float) -> np.ndarray:
    """Elliptical structuring element of the given radius (uint8)."""
    r = max(int(round(radius)), 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def reference_skin(image, *, roi=None, modality: str = "visible") -> np.ndarray:
    """The patient's normal reference skin: the region's skin away from depigmented patches,
    their borders, hair, shadows and highlights (as used by :func:`vasi.segment`).

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region (whole image when None).
    modality : {"visible", "woods"}, keyword-only

    Returns
    -------
    ndarray of bool, shape (H, W)

    Examples
    --------
    >>> img = np.full((60, 60, 3), (150, 110, 80), np.uint8); img[20:40, 20:40] = 235
    >>> ref = reference_skin(img)
    >>> bool(ref[5, 5]), bool(ref[30, 30])
    (True, False)
    """
    from .segment import segment

    return segment(image, modality=modality, roi=roi).reference
