"""Depigmentation segmentation relative to the patient's own normal skin.

Method ``"relative"`` (default, visible light and Wood's lamp):

1. Reduce the photo to the working resolution (long side ~1000 px) and compute
   illumination-robust features in log linear RGB (see :mod:`vasi.reference`): luminance and
   the melanin colour axis ``log B - log R`` (visible) or a fluorescence axis (Wood's lamp).
2. Find the normal reference skin: inside the region, away from its edge, away from
   depigmentation candidates and their borders (skin next to a patch is often lighter),
   without dark outliers (hair, nostrils, shadows) or clipped highlights. When the region's
   colours are clearly bimodal the darker mode is taken as normal skin, so a mostly
   depigmented region still gets the right reference.
3. Fit smooth fields through the reference skin's features (normalised convolution) and
   work on the residuals: this removes shading and illumination gradients.
4. Standardise the residuals by the reference skin's robust spread (MAD), project them on
   the depigmentation direction learnt from the photo (clipped to "lighter and less
   melanin"), and express the result as a *depigmentation index*: 0 at the normal skin's
   level, 1 at the level of the patch cores. The mask is ``index > 1 - sensitivity``
   (default 0.5: half-way between normal and fully depigmented skin, the visible border),
   never below a noise floor of 3 standard deviations of normal skin.
5. The index map is median-filtered (removes hairs and pores), small patches are removed
   (``min_area_mm2`` when the scale is known), and the smooth index is upsampled to the full
   resolution and thresholded there, so areas are counted at full resolution.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np
from skimage import filters

from . import reference as _ref
from ._validate import MODALITIES, check_choice, check_image, check_mask, check_positive
from .color import rgb_to_lab
from .errors import InputError

__all__ = ["Segmentation", "segment", "SEGMENT_METHODS"]

log = logging.getLogger("vasi")


@dataclass(frozen=True)
class Segmentation:
    """Result of :func:`segment`.

    Attributes
    ----------
    mask : ndarray of bool, shape (H, W)
        Depigmented pixels, at the input's resolution, inside ``roi``.
    roi : ndarray of bool, shape (H, W)
        Assessed region the segmentation was restricted to.
    score : ndarray of float32, shape (H, W)
        Per-pixel depigmentation index (0 = the patient's normal skin, 1 = the level of
        the depigmented patch cores); ``mask`` is ``score > thresholds["score"]`` inside
        ``roi`` after clean-up.
    reference_lab : tuple of float
        L*, a*, b* (D65) of the patient's normal reference skin.
    thresholds : dict
        Thresholds and levels used, by name.
    flags : tuple of str
        Quality warnings (e.g. ``"low contrast"``); empty when none.
    modality, method : str
        What was segmented and how.
    mm_per_px : float or None
        Pixel size used for the minimum patch size.
    reference : ndarray of bool, shape (H, W) or None
        The normal reference skin the colours were compared with.
    depigmented_lab : tuple of float
        L*, a*, b* of the depigmented patch cores (NaN when none were found).
    contrast : float
        Separation of depigmented from normal skin in standard deviations of normal skin.
    working_shape : tuple of int
        Shape of the reduced image the analysis ran at.
    """

    mask: np.ndarray
    roi: np.ndarray
    score: np.ndarray
    reference_lab: tuple
    thresholds: dict = field(default_factory=dict)
    flags: tuple = ()
    modality: str = "visible"
    method: str = "relative"
    mm_per_px: float | None = None
    reference: np.ndarray | None = None
    depigmented_lab: tuple = (float("nan"),) * 3
    contrast: float = float("nan")
    working_shape: tuple = ()

    @property
    def depigmented_fraction(self) -> float:
        """Depigmented area / assessed area (0 when the region is empty)."""
        n = int(self.roi.sum())
        return float(self.mask.sum()) / n if n else 0.0

    @property
    def area_px(self) -> int:
        """Depigmented area in full-resolution pixels."""
        return int(self.mask.sum())


# ----------------------------------------------------------------------------- helpers
def _resize(a: np.ndarray, shape, interp=cv2.INTER_LINEAR) -> np.ndarray:
    return cv2.resize(a, (int(shape[1]), int(shape[0])), interpolation=interp)


def _user_reference(reference, shape, roi):
    """User reference as a bool mask at full resolution (point -> small disk)."""
    if reference is None:
        return None
    arr = np.asarray(reference)
    if arr.ndim == 1 and arr.size == 2:
        r, c = (int(round(float(v))) for v in arr)
        if not (0 <= r < shape[0] and 0 <= c < shape[1]):
            raise InputError(f"reference point {tuple(arr.tolist())} is outside the image of shape {shape}; pass (row, col).")
        rad = max(3, int(0.03 * np.sqrt(max(int(roi.sum()), 1))))
        m = np.zeros(shape, np.uint8)
        cv2.circle(m, (c, r), rad, 1, -1)
        return m.astype(bool)
    m = check_mask(arr, shape, "reference")
    if not m.any():
        raise InputError("reference mask is empty; mark some normal skin or pass reference=None.")
    return m


def _components_below(mask: np.ndarray, min_px: float) -> np.ndarray:
    """Bool mask of the 8-connected components of ``mask`` smaller than ``min_px``."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask)
    small = stats[:, cv2.CC_STAT_AREA] < min_px
    small[0] = False
    return small[lab]


def _empty(arr_shape, roi, modality, method, mm_per_px, flags):
    z = np.zeros(arr_shape, bool)
    nan3 = (float("nan"),) * 3
    return Segmentation(z, roi, np.zeros(arr_shape, np.float32), nan3, {}, tuple(flags), modality,
                        method, mm_per_px, z.copy(), nan3, float("nan"), ())


# ----------------------------------------------------------------------------- method: relative
def _relative(image, roi, *, modality, mm_per_px, sensitivity, reference, min_area_mm2, work_side):
    H, W = image.shape[:2]
    srgb, lin, roi_s, k = _ref.working_image(image, roi, max_side=work_side)
    h, w = roi_s.shape
    flags: list[str] = []
    n_roi = int(roi_s.sum())
    if n_roi < 16:
        return None, ["region too small"]
    size = float(np.sqrt(n_roi))  # characteristic size of the region, working px
    F = _ref.features(lin, modality)
    clipped_all = srgb.max(axis=2) >= 0.985
    # specular highlights are small clipped spots; a large clipped area is overexposed skin
    # (possibly a whole depigmented patch) and is kept for analysis
    clipped = clipped_all & _components_below(clipped_all & roi_s, max(0.002 * n_roi, 16))
    # spatial scale of the local statistics: ~1 mm, or 0.4 % of the region's size
    if mm_per_px is not None:
        sig = float(np.clip(1.0 / (mm_per_px / k), 0.7, 0.02 * size))
    else:
        sig = max(0.7, 0.004 * size)
    # smooth only as much as the noise needs: noiseless (drawn) images keep sharp corners
    hp = F[..., 0] - cv2.GaussianBlur(F[..., 0], (0, 0), 1.0)
    if _ref.robust_stats(hp[roi_s])[1] < 0.005:
        sig = 0.0
    # local means are taken in linear light (so a blurred border still crosses half-way
    # where a half-depigmented pixel would), texture from the unsmoothed features
    lin_s = cv2.GaussianBlur(lin, (0, 0), sig) if sig >= 0.8 else lin
    Fs = _ref.features(lin_s, modality) if sig >= 0.8 else F
    user = None
    if reference is not None:
        u8 = _resize(reference.astype(np.uint8) * 255, (h, w), cv2.INTER_AREA)
        user = (u8 >= 128) & ~clipped
        if user.sum() < 4:
            user = u8 > 0
    core = cv2.erode(roi_s.astype(np.uint8), _ref.disk(0.03 * size)).astype(bool)
    if core.sum() < 0.25 * n_roi:
        core = roi_s.copy()
    core &= ~clipped
    if core.sum() < 16:
        core = roi_s.copy()

    # 1. initial reference: the darker / more pigmented mode when the region is bimodal
    ref = user.copy() if user is not None else _initial_reference(F, core)
    margin = _ref.disk(0.04 * size)
    min_px_s = _min_area_px(mm_per_px, n_roi / (k * k), min_area_mm2) * k * k
    prior = np.array([1.0, 1.0, 0.5])
    rim_r = int(round(2 * sig)) + 2
    rim_k = np.ones((2 * rim_r + 1, 2 * rim_r + 1), np.uint8)
    rim = roi_s & ~cv2.erode(roi_s.astype(np.uint8), rim_k, borderType=cv2.BORDER_REPLICATE).astype(bool)
    model = None
    mask_s = np.zeros((h, w), bool)
    for it in range(N_PASSES):
        if ref.sum() < 16:
            ref = core.copy()
        # first pass without illumination field: a field through unknown patches absorbs them
        X, scales = _local_features(F, Fs, ref, user, size, sig, flat=(it == 0))
        valid = roi_s & (X[..., 0] > -4.0) & ~clipped  # drop dark outliers: hair, nostrils, shadow
        model = _upper_mode(X, valid, ref, roi_s, prior, min_px_s, sensitivity,
                            start=model, iters=5 if model is None else 2)
        if model is not None and _core_delta_e(srgb, ref, model["core"]) < MIN_DELTA_E:
            model = None  # a "patch" nobody could see: texture or noise, not depigmentation
        if model is None:
            mask_s[:] = False
        else:
            index = (_denoise(X @ model["w"]) - model["p0"]) / (model["p1"] - model["p0"])
            if clipped.any():
                index = _fill_from_neighbours(index, clipped & roi_s)
            thr = _blend_index(lin_s, ref, model, scales, modality, 1.0 - sensitivity)
            mask_s = (index > thr) & roi_s
            # the region's rim (and the rims of its holes: eyes, nostrils) mixes skin with
            # whatever lies outside; a rim pixel is depigmented only next to a depigmented
            # pixel further in
            inner = mask_s & ~rim
            mask_s &= ~rim | cv2.dilate(inner.astype(np.uint8), rim_k).astype(bool)
            # a patch must be significant, not only large enough: with n independent
            # samples of contrast d' its mean stands z = d' sqrt(n) above normal skin, so
            # low-contrast photos need larger patches (n counted in smoothing footprints)
            footprint = np.pi * max(2.0 * sig, 1.0) ** 2
            sig_px = (SIGNIFICANCE_Z / max(model["dprime"], 1e-3)) ** 2 * footprint
            mask_s &= ~_components_below(mask_s, max(min_px_s, sig_px, 1))
        if user is None:
            dark = X[..., 0] < -3.0
            grown = cv2.dilate(mask_s.astype(np.uint8), margin).astype(bool)
            new_ref = core & ~grown & ~dark
            if new_ref.sum() < max(16, 0.02 * n_roi):
                new_ref = core & ~mask_s
            ref = new_ref

    if model is None:
        flags.append("no depigmentation found")
        p = X @ (prior / np.linalg.norm(prior))
        index = (p / 8.0).astype(np.float32)
        thr = np.inf
        contrast = 0.0
    else:
        contrast = float(model["dprime"])
        removed = (index > thr) & roi_s & ~mask_s
        if removed.any():  # small patches dropped by the clean-up stay below threshold
            index = np.where(removed, np.minimum(index, thr - 1e-3), index)
        if not mask_s.any():
            flags.append("no depigmentation found")
    if model is not None and contrast < 4.0:
        flags.append("low contrast")
    if ref.sum() < max(64, 0.05 * n_roi):
        flags.append("reference skin too small")
    if mask_s.sum() > 0.75 * n_roi:
        flags.append("mostly depigmented: reference skin uncertain")
    if (clipped_all & roi_s).sum() > 0.02 * n_roi:
        flags.append("overexposed")
    nan3 = (float("nan"),) * 3

    def _lab_of(m):  # Lab of the median colour of a set of pixels
        c = np.median(srgb[m], axis=0).astype(np.float32)[None, None]
        return tuple(float(v) for v in rgb_to_lab(c)[0, 0])

    ref_lab = _lab_of(ref) if ref.any() else nan3
    core_dep = cv2.erode(mask_s.astype(np.uint8), _ref.disk(2)).astype(bool)
    if not core_dep.any():
        core_dep = mask_s
    dep_lab = _lab_of(core_dep) if core_dep.any() else nan3
    thresholds = {
        "score": float(thr),
        "sensitivity": float(sensitivity),
        "direction": tuple(float(v) for v in model["w"]) if model else (),
        "depigmented_prior": float(model["pi1"]) if model else 0.0,
        "smoothing_px": float(sig),
        "min_area_px": float(min_px_s / (k * k)),
    }
    # full-resolution decision: the smooth index is upsampled, then thresholded
    index = index.astype(np.float32)
    if k < 1.0:
        score = _resize(index, (H, W), cv2.INTER_LINEAR)
        ref_full = _resize(ref.astype(np.uint8), (H, W), cv2.INTER_NEAREST).astype(bool)
    else:
        score, ref_full = index, ref
    mask = (score > thr) & roi if np.isfinite(thr) else np.zeros((H, W), bool)
    return dict(mask=mask, score=score, reference_lab=ref_lab, thresholds=thresholds, flags=flags,
                reference=ref_full & roi, depigmented_lab=dep_lab, contrast=contrast,
                working_shape=(h, w)), flags


def _blend_index(lin_s, ref, model, scales, modality, d_star):
    """Depigmentation index of a linear-light blend ``(1 - d*) normal + d* depigmented``.

    The features are logs, so half-depigmented skin (half-way in light) is not half-way in
    the index; this evaluates the features of the blended colour exactly (texture assumed
    linear in the blend).
    """
    core = model["core"]
    c0 = np.median(lin_s[ref], axis=0)
    c1 = np.median(lin_s[core], axis=0)
    cols = np.stack([c0, (1 - d_star) * c0 + d_star * c1, c1])[None].astype(np.float32)
    f = _ref.features(cols, modality)[0]
    w = model["w"].astype(np.float64)
    nf = f.shape[1]
    dz_half = (f[1] - f[0]) / scales[:nf]
    dz_full = (f[2] - f[0]) / scales[:nf]
    tex = model["core_z"][nf:] * w[nf:]
    num = float(dz_half @ w[:nf] + d_star * tex.sum())
    den = float(dz_full @ w[:nf] + tex.sum())
    if not np.isfinite(num / den) or den <= 0:
        return float(d_star)
    return float(np.clip(num / den, 0.05, 0.95))


def _blend_threshold(delta_log: float, d_star: float) -> float:
    """Index (0 = normal, 1 = depigmented level, linear in the log features) of a linear-light
    blend ``(1 - d_star) * normal + d_star * depigmented``, given the log-luminance step
    ``delta_log`` between the two: ``log(1 - d* + d* e^delta) / delta``. Half-depigmented
    skin is half-way in light, not in log light (the latter would overestimate areas).

    >>> round(_blend_threshold(1e-9, 0.5), 3), round(_blend_threshold(np.log(10), 0.5), 3)
    (0.5, 0.74)
    """
    if not np.isfinite(delta_log) or delta_log < 1e-6:
        return float(d_star)
    return float(np.log(1.0 - d_star + d_star * np.exp(delta_log)) / delta_log)


def _core_delta_e(srgb, ref, core) -> float:
    """CIEDE2000 between the median colours of the reference skin and the patch cores."""
    from .color import delta_e

    if not ref.any() or not core.any():
        return 0.0
    c = np.stack([np.median(srgb[ref], axis=0), np.median(srgb[core], axis=0)]).astype(np.float32)
    lab = rgb_to_lab(c[None])[0]
    return float(delta_e(lab[0], lab[1]))


def _initial_reference(F, core):
    """Normal-skin guess: the whole core, or its darker mode when clearly bimodal."""
    nf = F.shape[2]
    med = np.empty(nf)
    sd = np.empty(nf)
    for i in range(nf):
        med[i], sd[i] = _ref.robust_stats(F[..., i][core])
    s0 = ((F - med) / np.maximum(sd, 1e-3)).sum(axis=2) / np.sqrt(nf)
    vals = s0[core]
    vals = vals[:: max(1, vals.size // 200_000)]
    if np.ptp(vals) > 0:
        t = filters.threshold_otsu(vals)
        lo, hi = vals[vals <= t], vals[vals > t]
        if lo.size > 50 and hi.size > 50:
            m_lo, s_lo = _ref.robust_stats(lo)
            m_hi, _ = _ref.robust_stats(hi)
            if m_hi - m_lo > 6.0 * max(s_lo, 1e-3):
                return core & (s0 <= t)
    return core.copy()


def _local_features(F, Fs, ref, user, size, sig, flat=False):
    """Standardised local features (h, w, 3): luminance residual, colour residual (both
    local means over ``sig``) and smoothness (-log local s.d. of the colour residual)."""
    wts = ref.astype(np.float32)
    out = []
    for i in range(F.shape[2]):
        m_i = float(np.median(Fs[..., i][ref]))
        if flat:
            fld = np.float32(m_i)
        else:
            fld = _ref.smooth_field(Fs[..., i], wts, (0.15 if i == 0 else 0.3) * size, fallback=m_i)
        out.append(np.ascontiguousarray(Fs[..., i] - fld, np.float32))
        if i == F.shape[2] - 1:
            r = np.ascontiguousarray(F[..., i] - fld, np.float32)
            g = max(sig, 0.8)
            var = cv2.GaussianBlur(r * r, (0, 0), g) - cv2.GaussianBlur(r, (0, 0), g) ** 2
            out.append(-0.5 * np.log(np.maximum(var, 1e-6)))
    X = np.dstack(out).astype(np.float32)
    anchor = user if user is not None else ref
    scales = np.empty(X.shape[2])
    for i in range(X.shape[2]):
        c_i, _ = _ref.robust_stats(X[..., i][anchor])
        _, s_i = _ref.robust_stats(X[..., i][ref])
        scales[i] = max(s_i, 1e-4)
        X[..., i] = (X[..., i] - c_i) / scales[i]
    return X, scales


def _upper_mode(X, valid, ref, roi, prior, min_px, sensitivity, start=None, iters=6):
    """Levels of normal and depigmented skin along the depigmentation direction.

    Normal skin's level and spread come from the reference skin. The depigmented level is
    found by an isodata-style iteration with a spatial twist: threshold half-way, keep
    components above the minimum size, erode them to their cores (away from borders) and
    take the median of the cores; the direction is re-learnt from the cores (Fisher
    direction against the reference covariance, clipped to the physically expected
    signs). Returns None when no core separates from normal skin.
    """
    d = X.shape[2]
    refp = X[ref]
    refp = refp[:: max(1, refp.shape[0] // 60_000)].astype(np.float64)
    if refp.shape[0] < 20:
        return None
    c0 = np.cov(refp.T) + 1e-3 * np.eye(d)
    w = prior[:d] / np.linalg.norm(prior[:d]) if start is None else start["w"].astype(np.float64)
    if not USE_TEXTURE:
        w[2:] = 0.0
        w /= np.linalg.norm(w)
    p = _denoise(X @ w.astype(np.float32))
    m0, s0 = _ref.robust_stats(p[ref])
    t = m0 + 3.0 * s0
    pv = p[valid]
    pv = pv[:: max(1, pv.size // 200_000)]
    if np.ptp(pv) > 0:  # a large patch inflates the first spread estimate: Otsu seeds it
        t = min(t, max(float(filters.threshold_otsu(pv)), m0 + 1.0 * s0))
    p1 = None
    seed_px = max(min_px, 4, 5e-4 * roi.sum())
    er = _ref.disk(2)
    for _ in range(iters):
        cand = (p > t) & valid
        cand &= ~_components_below(cand, seed_px if p1 is None else max(min_px, 4))
        core = cv2.erode(cand.astype(np.uint8), er).astype(bool)
        if core.sum() < 8:
            core = cand
        if core.sum() < 4:
            return None
        zc = np.median(X[core], axis=0).astype(np.float64)
        diff = zc - np.median(refp, axis=0)
        w_new = np.linalg.solve(c0, diff)
        w_new[:2] = np.clip(w_new[:2], 0, None)
        if not USE_TEXTURE:
            w_new[2:] = 0.0
        if w_new[:2].sum() <= 0:
            return None
        w = w_new / np.linalg.norm(w_new)
        p = _denoise(X @ w.astype(np.float32))
        m0, s0 = _ref.robust_stats(p[ref])
        p1 = float(np.percentile(p[core], CORE_PERCENTILE))
        t_new = m0 + max(0.5 * (p1 - m0), 2.0 * s0)
        if abs(t_new - t) < 1e-3 * max(s0, 1e-6):
            t = t_new
            break
        t = t_new
    if p1 is None or p1 <= m0:
        return None
    dprime = (p1 - m0) / max(s0, 1e-9)
    if dprime < 2.5:
        return None
    return {"w": w.astype(np.float32), "p0": float(m0), "p1": p1, "pi1": float(core.sum() / max(roi.sum(), 1)),
            "dprime": float(dprime), "core_z": zc, "core": core}


def _denoise(p: np.ndarray) -> np.ndarray:
    """5x5 median (removes hairs, pores and specks) that keeps the corners of real shapes:
    a pixel the median lowered keeps its own value where a 3x3 neighbour survived the median."""
    p = np.ascontiguousarray(p, np.float32)
    med = cv2.medianBlur(p, 5)
    return np.maximum(med, np.minimum(p, cv2.dilate(med, np.ones((3, 3), np.uint8))))


def _fill_from_neighbours(p: np.ndarray, holes: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """Replace values under ``holes`` (clipped highlights) by the mean of their surroundings."""
    w = (~holes).astype(np.float32)
    num = cv2.GaussianBlur(p * w, (0, 0), sigma)
    den = cv2.GaussianBlur(w, (0, 0), sigma)
    ok = holes & (den > 0.05)
    out = p.copy()
    out[ok] = num[ok] / den[ok]
    return out


def _min_area_px(mm_per_px, roi_px_full: float, min_area_mm2: float | None) -> float:
    """Minimum patch area in full-resolution pixels."""
    if mm_per_px is not None and min_area_mm2 is not None:
        return max(min_area_mm2 / mm_per_px**2, 4.0)
    return max(2e-5 * roi_px_full, 16.0)


def _lightness_otsu(image, roi, *, modality, **_):
    """Baseline comparator: L* excess over the region's median, Otsu threshold (>= 5 L*)."""
    lab = rgb_to_lab(image)
    light = lab[..., 0]
    ref = np.median(lab[roi], axis=0)
    score = (light - ref[0]).astype(np.float32)
    values = score[roi]
    t = float(filters.threshold_otsu(values)) if np.ptp(values) > 0 else float(values.max())
    t = max(t, 5.0)
    mask = (score > t) & roi
    flags = [] if mask.any() else ["no depigmentation found"]
    return dict(mask=mask, score=score, reference_lab=tuple(float(v) for v in ref),
                thresholds={"score": t}, flags=flags, reference=roi & (score <= t)), flags


USE_TEXTURE = True
#: Minimum colour difference (CIEDE2000) between patch cores and normal skin for a
#: depigmented class to be accepted: about twice the just-noticeable difference.
MIN_DELTA_E = 2.0
#: The depigmented level is this percentile of the patch cores along the depigmentation
#: axis: soft-edged patches have partially depigmented cores, the fully depigmented skin
#: is their upper part.
CORE_PERCENTILE = 80.0
#: Required significance of a patch (see ``_relative``): z = d' * sqrt(n footprints).
SIGNIFICANCE_Z = 5.0
N_PASSES = 2

_METHODS = {"relative": _relative, "lightness-otsu": _lightness_otsu}
#: Names accepted by ``segment(method=...)``.
SEGMENT_METHODS = tuple(_METHODS)


def segment(
    image,
    *,
    modality: str = "visible",
    roi=None,
    mm_per_px: float | None = None,
    method: str = "relative",
    sensitivity: float = 0.5,
    reference=None,
    min_area_mm2: float | None = 2.0,
    work_side: int = _ref.WORK_SIDE,
) -> Segmentation:
    """Segment depigmented skin relative to the patient's own normal skin.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo (uint8, uint16 or float in [0, 1]).
    modality : {"visible", "woods"}, keyword-only
        Visible-light or Wood's lamp photo.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region; the whole image when None.
    mm_per_px : float, optional
        Pixel size in mm; enables ``min_area_mm2``.
    method : {"relative", "lightness-otsu"}, keyword-only
        Segmentation method (see the module docstring; ``"lightness-otsu"`` is a simple
        baseline kept for comparison).
    sensitivity : float in (0, 1), keyword-only
        Where between normal (0) and fully depigmented (1) skin the border is drawn:
        the mask is ``score > 1 - sensitivity``. Higher finds fainter depigmentation.
    reference : ndarray of bool (H, W) or (row, col), optional
        The user's normal reference skin: a mask, or a point (a small disk around it).
    min_area_mm2 : float or None, keyword-only
        Patches smaller than this are dropped (when ``mm_per_px`` is known; otherwise a
        small fraction of the region, 2e-5, is used).
    work_side : int, keyword-only
        Long side of the working image in pixels.

    Returns
    -------
    Segmentation

    Examples
    --------
    >>> img = np.full((40, 40, 3), (150, 110, 80), np.uint8); img[10:20, 10:20] = 235
    >>> seg = segment(img)
    >>> int(seg.mask.sum()), seg.flags
    (100, ())
    """
    arr = check_image(image)
    check_choice(modality, MODALITIES, "modality")
    if method not in _METHODS:
        raise InputError(f"method must be one of {list(_METHODS)}; got {method!r}.")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    try:
        sensitivity = float(sensitivity)
    except (TypeError, ValueError):
        raise InputError(f"sensitivity must be a number in (0, 1); got {sensitivity!r}.") from None
    if not 0.0 < sensitivity < 1.0:
        raise InputError(f"sensitivity must be in (0, 1) (0.5 = half-way border); got {sensitivity!r}.")
    if min_area_mm2 is not None:
        min_area_mm2 = check_positive(min_area_mm2, "min_area_mm2")
    roi = np.ones(arr.shape[:2], bool) if roi is None else check_mask(roi, arr.shape[:2], "roi").copy()
    user_ref = _user_reference(reference, arr.shape[:2], roi)
    if not roi.any():
        return _empty(arr.shape[:2], roi, modality, method, mm_per_px, ["empty region"])
    out, flags = _METHODS[method](arr, roi, modality=modality, mm_per_px=mm_per_px,
                                  sensitivity=sensitivity, reference=user_ref,
                                  min_area_mm2=min_area_mm2, work_side=int(work_side))
    if out is None:
        return _empty(arr.shape[:2], roi, modality, method, mm_per_px, flags)
    for f in flags:
        log.info("segment: %s", f)
    return Segmentation(modality=modality, method=method, mm_per_px=mm_per_px, roi=roi,
                        flags=tuple(out.pop("flags")), **out)
