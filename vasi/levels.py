"""The two-level model behind :func:`vasi.segment`: normal skin vs depigmented skin.

Local standardised features relative to the reference skin, the depigmented level found
from the patch cores (spatial isodata), the linear-light half-way index, and the small
image operations the segmentation needs (denoising that keeps corners, filling clipped
highlights, component size filters).
"""

from __future__ import annotations

from statistics import NormalDist

import cv2
import numpy as np
from skimage import filters

from . import reference as _ref
from ._cv import components_with_stats
from .color import delta_e, linear_to_srgb, rgb_to_lab

#: Minimum separation (in normal-skin standard deviations along the depigmentation axis)
#: of the patch cores from normal skin for a depigmented class to exist.
MIN_DPRIME = 2.5
#: Use the local smoothness (melanin texture) as a third feature.
USE_TEXTURE = True
#: Order of the normal skin's illumination field (:func:`vasi.reference.smooth_field`): 1
#: fits a local plane, so the field continues the light's gradient into the patches left
#: out of the reference and over the region's edge (a lit forehead, a flash hot spot),
#: where a local mean (0) stays at the darker neighbours' level.
FIELD_ORDER = 1
#: The depigmented level is this percentile of the patch cores along the depigmentation
#: axis: soft-edged patches have partially depigmented cores, the fully depigmented skin
#: is their upper part.
CORE_PERCENTILE = 90.0
#: Separation of the two colour modes (in pooled robust standard deviations) above which
#: the region is taken to hold both normal and depigmented skin from the start.
BIMODAL_SEPARATION = 4.0
#: Scale of the local means (Gaussian sigma, as a fraction of the region's characteristic
#: size) on which :func:`_initial_reference` tests melanin and pink together: pores, mottle
#: and sensor noise average out (a few mm on a face) while areas of skin keep their colour.
#: Without vitiligo the colour stays one mode at any scale (synthetic photos without
#: patches: at most 3.2 pooled s.d., against 4.1 unsmoothed on a dark forearm, where the
#: hue of single pixels is noisy).
BIMODAL_SCALE = 0.02
#: ... and that joint split is taken only when its lighter mode holds more than this share of
#: the region (a smaller one leaves the region's own mode normal skin) and has less melanin
#: than the other by at least ``BIMODAL_MELANIN_LOSS`` pooled robust s.d. (a yellowish
#: clipped patch is only less pink, flushed skin only pinker).
BIMODAL_MAJORITY = 0.5
BIMODAL_MELANIN_LOSS = 1.0
#: In visible light the pink feature's weight in the depigmentation direction is at most
#: this multiple of the norm of the lightness and melanin weights, on skin with melanin to
#: lose: depigmentation is the loss of melanin, and the pink of blood showing through only
#: supports it (flushed cheeks, the nose and the ears are pink without being depigmented).
#: Very light skin has little melanin to lose and changes mostly in hue: there (reference
#: skin's ITA above ``vasi.segment.VERY_LIGHT_ITA``) the pink may lead.
PINK_MAX_WEIGHT = 1.0
#: Minimum separation of the depigmented level from the region's own normal skin, in
#: standard deviations of that skin (:func:`_region_contrast`) for a depigmented class to
#: exist: a half-way border then stands at least 1.75 of them above normal skin, where about
#: 4 % of its pixels cross it before the clean-up keeps the significant patches. The class's
#: own d' (``MIN_DPRIME``) cannot tell this: its spread comes from the reference skin, which
#: leaves out the candidates, so on a photo without vitiligo the lighter side of the skin's
#: own mottle, shine or flush is cut off the reference, which then looks narrower than the
#: skin is (synthetic photos without patches, visible light: 11 % of the skin called
#: depigmented at a class d' of 4-7; 1.4 % with this test). 4.0 left 1.0 % but lost a type I
#: face with its patches (3.89; Dice 0.74).
MIN_REGION_DPRIME = 3.5
#: Weight density of the overall depigmented level in :func:`_local_level` (0.05: as much as
#: 5 % of a neighbourhood being patch cores).
LEVEL_PRIOR = 0.05
#: Scale (Gaussian sigma, working px) of the levels on either side of a border
#: (:func:`_local_border`), read in a band ``LOCAL_BORDER_BAND`` px wide just outside /
#: inside the half-way mask: about the width of a trichrome rim (2-5 mm) at a face's
#: ~1 mm working pixels. Where the band is thin, the levels are pulled back to normal skin
#: (outside) and the depigmented level (inside) with the weight density
#: ``LOCAL_BORDER_PRIOR``.
LOCAL_BORDER_SIGMA = 3.0
LOCAL_BORDER_BAND = 4
LOCAL_BORDER_PRIOR = 0.03
#: The outside level is taken at most this far (linear-light degree) towards the
#: depigmented level, and the inside at least ``LOCAL_BORDER_GAP`` above the outside.
LOCAL_BORDER_MAX_OUTSIDE = 0.8
LOCAL_BORDER_GAP = 0.2
#: In visible light the outside band starts this many working px beyond the half-way mask
#: (else 1 px) and is as wide as ``LOCAL_BORDER_BAND``: the border sits inside the edge's
#: ramp (the blur, widened by JPEG's halved chroma resolution), and a band just outside it
#: reads the ramp, not the skin beyond (untreated development photos in visible light, the
#: true region given, along their found borders: the outside level's median 0.26 of the way to
#: depigmented, 0.14-0.41 by photo, in the band 2-4 px out; 0.08, 0.00-0.21, 4-7 px out).
LOCAL_BORDER_RAMP = 3
#: The standard normal quantile of ``CORE_PERCENTILE`` (1.28 for the 90th).
_Z_CORE = NormalDist().inv_cdf(CORE_PERCENTILE / 100.0)
#: Rows beyond the half-way mask on which :func:`_local_border` works (:func:`_border_rows`):
#: the outside band's outer radius (visible light's, the wider) plus the reach of its blur
#: (OpenCV cuts a float image's Gaussian kernel at 4 sigma), plus one: the bands' weights
#: are nonzero only within ``LOCAL_BORDER_RAMP`` + ``LOCAL_BORDER_BAND`` + reach of the
#: mask, and the band's last row then lies more than the reach inside the cut.
_BORDER_ROW_PAD = LOCAL_BORDER_RAMP + LOCAL_BORDER_BAND + int(np.ceil(4 * LOCAL_BORDER_SIGMA)) + 1


def _components_below(mask: np.ndarray, min_px: float) -> np.ndarray:
    """Bool mask of the 8-connected components of ``mask`` smaller than ``min_px``."""
    n, lab, stats, _ = components_with_stats(mask.astype(np.uint8))
    if n <= 1:
        return np.zeros_like(mask)
    small = stats[:, cv2.CC_STAT_AREA] < min_px
    small[0] = False
    return small[lab] if small.any() else np.zeros(mask.shape, bool)


def _same_light(lin_s, X, scales, ref, *masks) -> np.ndarray:
    """Median linear RGB (1 + len(masks), 3) float64 of the reference skin ``ref`` and of each
    of ``masks`` (bool (h, w), none empty), every pixel seen under the reference skin's light.

    ``X`` (h, w, n + 1) and ``scales`` (n + 1,) are :func:`_local_features`' standardised
    features of the smoothed linear RGB ``lin_s`` (h, w, 3): ``X[..., 0] * scales[0]`` is a
    pixel's log luminance, ``log(lum + _EPS)``, less the illumination field fitted through
    the reference skin and less the reference's median of that difference. Each pixel is
    divided by its light (``lum + _EPS`` over the exponential of that residual), and all the
    medians are then scaled to the reference's median luminance, where the features'
    ``_EPS`` floor sits. So a patch in shade (a chin under the jaw) is not taken for one
    darker than normal skin. Where the field is flat (the first pass of
    :func:`vasi.segment`) nothing is corrected.

    >>> lin = np.full((4, 8, 3), 0.5, np.float32); lin[:, 4:] *= 0.5  # the right half in shade
    >>> X = np.zeros((4, 8, 1), np.float32)  # the field follows the shade: no residual
    >>> shade = np.zeros((4, 8), bool); shade[:, 4:] = True
    >>> _same_light(lin, X, np.ones(1), ~shade, shade).round(3).tolist()  # (0.498: _EPS)
    [[0.5, 0.5, 0.5], [0.498, 0.498, 0.498]]
    """

    def unlit(m):
        at = _ref.sample_index(m)
        c = _ref.take(lin_s, at).astype(np.float64)
        lum = c @ _ref._LUM_WEIGHTS
        light = (lum + _ref._EPS) * np.exp(-_ref.take(X, at)[:, 0].astype(np.float64) * scales[0])
        return _ref.median(c / light[:, None]), float(_ref.median(lum))

    (c0, lum0), *rest = [unlit(m) for m in (ref, *masks)]
    cols = np.stack([c0, *(c for c, _ in rest)])
    return cols * (lum0 / max(float(c0 @ _ref._LUM_WEIGHTS), 1e-12))


def _blend_index(cols, model, scales, modality, d_star):
    """Depigmentation index (0 = normal skin, 1 = the depigmented level of ``model``; clipped
    to 0.05-0.95) of a linear-light blend ``(1 - d*) normal + d* depigmented``.

    The features are logs, so half-depigmented skin (half-way in light) is not half-way in
    the index; this evaluates the features of the blended colour exactly (texture assumed
    linear in the blend). ``cols``: linear RGB (2, 3) of normal skin and of the patch cores
    under the same light (:func:`_same_light` of the reference skin and ``model["core"]``);
    ``scales``: the standardised features' scales; ``d_star``: ``1 - sensitivity``.

    Twice as light, along luminance alone: about ``log(1.5) / log(2)`` = 0.585 (the
    ``_EPS`` floor of the log features takes a little off):

    >>> lin = np.full((20, 20, 3), 0.2, np.float32)
    >>> core = np.zeros((20, 20), bool); core[5:15, 5:15] = True
    >>> lin[core] = 0.4
    >>> X = np.dstack([_ref.features(lin, "visible"), np.zeros((20, 20))])
    >>> model = {"core": core, "w": np.float32([1, 0, 0, 0]), "core_z": np.zeros(4)}
    >>> cols = _same_light(lin, X, np.ones(4), ~core, core)
    >>> round(_blend_index(cols, model, np.ones(4), "visible", 0.5), 3)
    0.584
    """
    return float(_blend_indices(cols, model, scales, modality, (d_star,))[0])


def _blend_indices(cols, model, scales, modality, d_stars) -> np.ndarray:
    """:func:`_blend_index` at each degree of ``d_stars`` (float64, one value each), with one
    feature evaluation for all the blends."""
    c0, c1 = cols
    rows = np.stack([c0, *((1 - d) * c0 + d * c1 for d in d_stars), c1])[None].astype(np.float32)
    f = _ref.features(rows, modality)[0]
    w = model["w"].astype(np.float64)
    nf = f.shape[1]
    dz_full = (f[-1] - f[0]) / scales[:nf]
    tex = (model["core_z"][nf:] * w[nf:]).sum()
    den = float(dz_full @ w[:nf] + tex)
    out = np.empty(len(d_stars))
    for i, d in enumerate(d_stars):
        dz_half = (f[1 + i] - f[0]) / scales[:nf]
        ratio = float(dz_half @ w[:nf] + d * tex) / den
        out[i] = float(np.clip(ratio, 0.05, 0.95)) if np.isfinite(ratio) and den > 0 else float(d)
    return out


def _degree_curve(cols, model, scales, modality) -> tuple[np.ndarray, np.ndarray]:
    """The index of a linear-light blend of normal and depigmented skin (:func:`_blend_index`)
    at degrees 0, 0.05, ..., 0.95, 1: (degrees, indices) float64 (21,), the indices made
    non-decreasing, so either can be interpolated from the other."""
    ds = np.linspace(0.05, 0.95, 19)
    ix = _blend_indices(cols, model, scales, modality, [float(d) for d in ds])
    return np.concatenate([[0.0], ds, [1.0]]), np.maximum.accumulate(np.concatenate([[0.0], ix, [1.0]]))


def _band_level(index, band, prior_value, sigma) -> tuple[np.ndarray, np.ndarray]:
    """Local (Gaussian, ``sigma`` px) mean (h, w) float32 of ``index`` over the ``band`` (bool),
    pulled to ``prior_value`` with the weight density ``LOCAL_BORDER_PRIOR``; and the band's
    local weight (h, w) float32 (0 far from it, where the mean is ``prior_value``)."""
    w = band.astype(np.float32)
    num = cv2.GaussianBlur(np.where(band, index, np.float32(0)).astype(np.float32), (0, 0), sigma)
    den = cv2.GaussianBlur(w, (0, 0), sigma)
    return (num + np.float32(LOCAL_BORDER_PRIOR * prior_value)) / (den + np.float32(LOCAL_BORDER_PRIOR)), den


def _border_rows(m: np.ndarray) -> slice:
    """The rows (a slice) of a frame on which :func:`_local_border` can change anything, given
    its half-way mask ``m`` (bool (h, w), not empty): ``_BORDER_ROW_PAD`` rows beyond the
    mask's first and last rows, clipped to the frame.

    Beyond them the bands' blurred weights are exactly 0 (every input in the blur's reach
    is 0), so the index is left as it is; and within them the blurs of those rows alone
    equal the whole frame's bit for bit: the band lies more than the blur's reach inside
    the cut (the rows mirrored there are zeros, as the frame's beyond it are), a frame edge
    stays a frame edge, and a row's arithmetic does not depend on the other rows (its
    columns, which decide SIMD lanes or scalar tails, are not cut).

    >>> m = np.zeros((100, 8), bool); m[50:52, 2] = True
    >>> _border_rows(m), _border_rows(m[:60])
    (slice(30, 72, None), slice(30, 60, None))
    """
    r = np.flatnonzero(m.any(axis=1))
    return slice(max(0, int(r[0]) - _BORDER_ROW_PAD), min(m.shape[0], int(r[-1]) + 1 + _BORDER_ROW_PAD))


def _local_border(index, thr, roi, cols, model, scales, modality, d_star, core_index=None) -> np.ndarray:
    """``index`` (h, w) float32 remapped so that its border ``thr`` falls half-way (``d_star``
    in linear light) between the two levels that meet there: the skin just outside the
    half-way mask and the patch just inside it, read locally (:func:`_band_level`), never
    below the global half-way between normal and depigmented skin.

    A patch's surroundings are not always normal skin: a hypochromic (trichrome) rim, or
    the partly repigmented skin around what is left of a repigmenting patch, is a third,
    intermediate level. The global half-way border stands just above it, and its noise
    carries much of it across (synthetic development photos, the true region given: the
    over-called pixels of the worst type IV photos lie at a true degree of 0.3-0.5, the
    generator's 0.42 rims). Where the outside is normal skin, or the inside as light as the
    depigmented level, the border stays at the global half-way. Index 0 and 1 stay where
    they are (piecewise linear through the local border); pixels away from any border (the
    bands' weight below 1e-4) are left as they are.

    Under a Wood's lamp that global half-way is ``thr`` and the border is only ever raised.
    In visible light the levels are read in the index's own units (:func:`_core_index`,
    or ``core_index`` when given: it samples the whole frame) and the outside beyond the
    edge's ramp (``LOCAL_BORDER_RAMP``), so the global half-way is ``thr`` x the cores'
    median index, below ``thr``: ``thr`` is the half-way to the cores' median colour, but
    the index's 1 is their ``CORE_PERCENTILE``, which the noise of the pixel-level index
    lifts above the patch's interior (development photos: the cores' median at 0.64-0.96 of
    the index, 0.81 on 900005, whose true edge reads 0.39 against ``thr`` 0.51), and a
    border above the ramp's middle sits inside the true edge."""
    m = (index > thr) & roi
    if not m.any():
        return index
    visible = modality == "visible"
    if visible and core_index is None:
        core_index = _core_index(index, model["core"], roi)
    rows = _border_rows(m)
    if rows.stop - rows.start < m.shape[0]:  # the same values, computed on those rows only
        out = index.copy()
        out[rows] = _local_border(index[rows], thr, roi[rows], cols, model, scales, modality, d_star, core_index)
        return out
    m8 = m.astype(np.uint8)
    r0, r1 = (LOCAL_BORDER_RAMP, LOCAL_BORDER_RAMP + LOCAL_BORDER_BAND) if visible else (1, LOCAL_BORDER_BAND)
    ring = cv2.dilate(m8, _ref.disk(r1)).astype(bool) & ~cv2.dilate(m8, _ref.disk(r0)).astype(bool) & roi
    inside = cv2.erode(m8, _ref.disk(1)).astype(bool)
    out_lvl, w_out = _band_level(index, ring, 0.0, LOCAL_BORDER_SIGMA)
    in_lvl, w_in = _band_level(np.minimum(index, np.float32(1.5)), inside, 1.0, LOCAL_BORDER_SIGMA)
    near = (w_out > 1e-4) | (w_in > 1e-4)
    dg, ig = _degree_curve(cols, model, scales, modality)
    floor = thr
    if visible:
        ig = ig * core_index
        floor = float(np.interp(d_star, dg, ig))
    a = np.minimum(np.interp(np.clip(out_lvl[near], 0.0, None), ig, dg), LOCAL_BORDER_MAX_OUTSIDE)
    b = np.maximum(np.interp(in_lvl[near], ig, dg), a + LOCAL_BORDER_GAP)
    t = np.maximum(np.interp(np.maximum(a + (b - a) * d_star, d_star), dg, ig), floor).astype(np.float32)
    v = index[near]
    thr32 = np.float32(thr)
    out = index.copy()
    out[near] = np.where(v <= t, v * (thr32 / t),
                         thr32 + (v - t) * (np.float32(1.0 - thr) / np.maximum(1.0 - t, np.float32(1e-3))))
    return out


def _core_index(index, core, roi) -> float:
    """The index (in (0, 1]) of the patch cores' (``core``, bool) interior, against which
    :func:`_degree_curve` is scaled (1 at their median colour), while the index's 1 is their
    ``CORE_PERCENTILE``: their median ``index``, but not below 1 less the ``CORE_PERCENTILE``
    quantile of a normal spread of normal skin's s.d. (the lower side's, over the region
    ``roi``, bool; :func:`vasi.reference.lower_mode_stats`). Noise that wide lifts the
    percentile of a uniform interior that far above its median; a wider spread of the cores
    is their structure (partly repigmented lace, a class of lighter normal skin), and then
    their upper part is the depigmented level. 1 when the median is not positive.

    >>> rng = np.random.default_rng(0)
    >>> index = rng.normal(0.0, 0.05, (100, 100)).astype(np.float32)  # normal skin: s.d. 0.05
    >>> core = np.zeros((100, 100), bool); core[:40, :40] = True
    >>> index[core] = rng.normal(0.95, 0.05, 1600)  # a uniform interior, as noisy as the skin
    >>> round(_core_index(index, core, np.ones((100, 100), bool)), 2)
    0.95
    >>> index[core] = rng.uniform(0.3, 1.1, 1600)  # lace: median 0.7, but 1 - 1.28 x 0.05
    >>> round(_core_index(index, core, np.ones((100, 100), bool)), 2)
    0.94
    """
    s = float(_ref.median(_ref.sample(index, core)))
    if not s > 0:
        return 1.0
    spread = _ref.lower_mode_stats(_ref.sample(index, roi, 20_000))[1]
    if np.isfinite(spread):
        s = max(s, 1.0 - _Z_CORE * spread)
    return min(s, 1.0)


def _median_labs(srgb, *masks) -> np.ndarray:
    """CIELAB (n, 3) float32 of the median sRGB colour of each set of pixels in ``masks``."""
    c = np.stack([_ref.median(_ref.sample(srgb, m)) for m in masks]).astype(np.float32)
    return rgb_to_lab(c[None])[0]


def _core_delta_e(cols) -> float:
    """CIEDE2000 between the reference skin's and the patch cores' median colours, both under
    the same light (``cols``: linear RGB (2, 3), :func:`_same_light`)."""
    lab = rgb_to_lab(linear_to_srgb(cols)[None])[0]
    return float(delta_e(lab[0], lab[1]))


def _initial_reference(F, lin, core, size, woods: bool = False):
    """Normal-skin guess: the whole ``core`` (bool), or its more pigmented mode when the
    colour is clearly bimodal (extensive vitiligo: most of the region may be depigmented).

    Which mode is normal skin follows what depigmentation is, the loss of melanin, not
    which mode is larger: normal skin is the mode with more melanin. The test uses the
    colour axis of the features ``F`` (melanin or fluorescence), which shading does not
    change, and asks the two Otsu modes to stand ``BIMODAL_SEPARATION`` pooled robust
    standard deviations apart (a single normal distribution split by Otsu gives ~2.7).
    Under a Wood's lamp (``woods``) the fluorescence shows in brightness more than in hue
    (a glowing half face's colour axis: one mode): when the colour axis is not bimodal, the
    luminance is tested the same way and its darker mode taken.

    In visible light very light skin has little melanin to lose and turns mostly pink, so
    its melanin axis alone may not show the two modes: then the melanin axis and the pink
    hue of the linear RGB ``lin`` are tested together, along the direction that separates
    them best (:func:`vasi.reference.bimodal_projection`), on local means over
    ``BIMODAL_SCALE`` x ``size`` (the region's characteristic size, px): whether the region
    holds two kinds of skin is a question about areas, not pixels. That split is taken when
    its lighter mode has lost melanin (less of it by at least one pooled s.d.: a yellowish
    clipped patch is only less pink, flushed skin only pinker) and holds most of the region:
    a smaller lighter mode leaves the region's own mode normal skin, where the candidate
    search finds the patches, and cutting the smoothed colour there also cut lighter normal
    skin (shine looks like lost melanin on this axis) out of the first reference."""
    for i in (1, 0) if woods else (1,):
        t = _ref.bimodal_split(_ref.sample(F, core)[:, i], BIMODAL_SEPARATION)
        if t is not None:
            return core & (F[..., i] <= t)
    if not woods:
        Fb = _ref.features(cv2.GaussianBlur(lin, (0, 0), max(BIMODAL_SCALE * size, 0.5)), "visible")[..., 1:]
        v = _ref.sample(Fb, core)
        split = _ref.bimodal_projection(v, BIMODAL_SEPARATION)
        if split is not None:
            w, t = split
            upper = v @ w > t
            if (upper.mean() > BIMODAL_MAJORITY
                    and _ref.mode_separation(v[~upper, 0], v[upper, 0]) >= BIMODAL_MELANIN_LOSS):
                return core & (Fb @ w.astype(np.float32) <= t)
    return core.copy()


def _illumination_fields(Fs, ref, medians, size) -> list:
    """The smooth fields (h, w) float32 through the reference skin ``ref`` (bool (h, w)) of
    each feature plane of ``Fs`` (h, w, n), falling back to ``medians`` (n,): luminance's
    over 0.15 x ``size`` (the region's characteristic size, px), the colour planes' over
    0.3 x ``size`` (:func:`vasi.reference.smooth_fields`: one set of weight terms for
    them)."""
    wts = ref.astype(np.float32)
    lum = _ref.smooth_field(Fs[..., 0], wts, 0.15 * size, fallback=medians[0], order=FIELD_ORDER)
    colour = _ref.smooth_fields([Fs[..., i] for i in range(1, Fs.shape[2])], wts, 0.3 * size,
                                fallbacks=medians[1:], order=FIELD_ORDER)
    return [lum, *colour]


def _local_features(F, Fs, ref, user, size, sig, flat=False, fine=False):
    """Standardised local features (h, w, n + 1): the residuals of the ``n`` features of
    ``F`` (luminance, colour axis, in visible light pink; local means over ``sig``) and,
    last, smoothness (-log local s.d. of the colour axis' residual).

    With ``fine=True`` also returns the same features with the unsmoothed ``F`` in place of
    the local means (same fields, centres and scales, so the same linear map applies to
    both; only their noise differs), else None."""
    Fr = _ref.sample(Fs, ref)
    medians = [float(_ref.median(Fr[:, i])) for i in range(F.shape[2])]
    fields = [np.float32(m) for m in medians] if flat else _illumination_fields(Fs, ref, medians, size)
    out, out_fine = [], []
    for i, fld in enumerate(fields):
        out.append(np.ascontiguousarray(Fs[..., i] - fld, np.float32))
        if fine or i == 1:  # the unsmoothed residual
            r = np.ascontiguousarray(F[..., i] - fld, np.float32)
            if fine:
                out_fine.append(r)
        if i == 1:  # texture of the colour axis (melanin or fluorescence), appended last
            g = max(sig, 0.8)
            var = cv2.GaussianBlur(r * r, (0, 0), g) - cv2.GaussianBlur(r, (0, 0), g) ** 2
            texture = -0.5 * np.log(np.maximum(var, 1e-6))
    out.append(texture)
    if fine:
        out_fine.append(texture)
    n = len(out)
    scales = np.empty(n)
    centres = np.empty(n)
    at_ref = _ref.sample_index(ref)
    at_user = None if user is None else _ref.sample_index(user)
    for i in range(n):
        centres[i], s = _ref.robust_stats(_ref.take(out[i], at_ref))
        if at_user is not None:  # centred on the user's skin, scaled by the reference's
            centres[i] = _ref.robust_stats(_ref.take(out[i], at_user))[0]
        scales[i] = max(s, 1e-4)
    c32, s32 = centres.astype(np.float32), scales.astype(np.float32)
    # the planes are this function's own float32 arrays: standardised in place, each once
    # (the texture plane is shared by both sets), then interleaved (faster than broadcasting)
    for i, q in enumerate(out + out_fine[:-1]):
        j = i % n
        q -= c32[j]
        q /= s32[j]
    return cv2.merge(out), scales, (cv2.merge(out_fine) if fine else None)


def _upper_mode(X, valid, ref, roi, prior, min_px, sensitivity, start=None, iters=6, min_dprime=MIN_DPRIME,
                pink_cap=None):
    """Levels of normal and depigmented skin along the depigmentation direction.

    Normal skin's level and spread come from the reference skin. The depigmented level is
    found by an isodata-style iteration with a spatial twist: threshold half-way, keep
    components above the minimum size, erode them to their cores (away from borders) and
    take the median of the cores; the direction is re-learnt from the cores (Fisher
    direction against the reference covariance, clipped to the physically expected
    signs; in visible light, with ``pink_cap``, the pink weight at most ``pink_cap`` x the
    norm of the lightness and melanin weights). Returns None when no core separates from
    normal skin; else a dict with the direction ``w`` (float32), the levels ``p0`` and
    ``p1``, ``pi1``, ``dprime``, the cores' median features ``core_z``, the cores ``core``
    and ``proj``, the denoised projection ``_denoise(X @ w)`` the levels were read on.
    """
    d = X.shape[2]
    at_ref = _ref.sample_index(ref)
    if at_ref.size < 20:
        return None
    w = prior[:d] / np.linalg.norm(prior[:d]) if start is None else start["w"].astype(np.float64)
    if not USE_TEXTURE:
        w[-1] = 0.0
        w /= np.linalg.norm(w)
    p = _denoise(X @ w.astype(np.float32))
    m0, s0 = _ref.robust_stats(_ref.take(p, at_ref))
    t = m0 + 3.0 * s0
    pv = _ref.sample(p, valid)
    if np.ptp(pv) > 0:  # a large patch inflates the first spread estimate: Otsu seeds it
        t = min(t, max(float(filters.threshold_otsu(pv)), m0 + 1.0 * s0))
    p1 = None
    n_roi = np.count_nonzero(roi)  # (pixel counts of bool masks: count_nonzero, ~10x faster than sum)
    seed_px = max(min_px, 4, 5e-4 * n_roi)
    er = _ref.disk(2)
    for _ in range(iters):
        cand = (p > t) & valid
        cand &= ~_components_below(cand, seed_px if p1 is None else max(min_px, 4))
        core = cv2.erode(cand.astype(np.uint8), er).astype(bool)
        if np.count_nonzero(core) < 8:
            core = cand
        if np.count_nonzero(core) < 4:
            return None
        # normal skin away from the candidates (the first reference may include patches,
        # which would inflate its spread and hide them)
        away = ref & ~cv2.dilate(cand.astype(np.uint8), _ref.disk(3)).astype(bool)
        ref_l = away if np.count_nonzero(away) >= max(20, 0.2 * np.count_nonzero(ref)) else ref
        at_l, at_core = _ref.sample_index(ref_l), _ref.sample_index(core)
        refp = _ref.take(X, at_l).astype(np.float64)
        c0 = np.cov(refp.T) + 1e-3 * np.eye(d)
        zc = _ref.median(_ref.take(X, at_core)).astype(np.float64)
        diff = zc - _ref.median(refp)
        w_new = np.linalg.solve(c0, diff)
        # expected signs: lighter, less melanin colour, pinker (visible light), smoother
        # (no melanin texture)
        w_new = np.clip(w_new, 0, None)
        if not USE_TEXTURE:
            w_new[-1] = 0.0
        if w_new[:-1].sum() <= 0:
            return None
        # texture (the last feature) supports the decision but cannot make it alone:
        # depigmentation is seen in lightness and colour, so smoothness weighs at most as
        # much as they do
        w_new[-1] = min(w_new[-1], np.linalg.norm(w_new[:-1]))
        if pink_cap is not None and d == 4:  # visible light: lum, mel, pink, texture
            w_new[2] = min(w_new[2], pink_cap * float(np.linalg.norm(w_new[:2])))
            if not w_new[:-1].any():  # the cores differ in pink alone: keep the last direction
                break
        w = w_new / np.linalg.norm(w_new)
        p = _denoise(X @ w.astype(np.float32))
        m0, s0 = _ref.robust_stats(_ref.take(p, at_l))
        p1 = float(np.percentile(_ref.take(p, at_core), CORE_PERCENTILE))
        t_new = m0 + max(0.5 * (p1 - m0), 2.0 * s0)
        if abs(t_new - t) < 1e-3 * max(s0, 1e-6):
            t = t_new
            break
        t = t_new
    if p1 is None or p1 <= m0:
        return None
    dprime = (p1 - m0) / max(s0, 1e-9)
    if dprime < min_dprime:
        return None
    return {"w": w.astype(np.float32), "p0": float(m0), "p1": p1, "pi1": float(np.count_nonzero(core) / max(n_roi, 1)),
            "dprime": float(dprime), "core_z": zc, "core": core, "proj": p}


def _inner(mask: np.ndarray, depth: float, min_px: int = 20) -> np.ndarray:
    """The pixels of ``mask`` at least ``depth`` px inside it (chessboard distance to its
    edge), or, where fewer than ``min_px`` are, its ``min_px`` or so deepest pixels (all of it
    when it is smaller).

    >>> m = np.zeros((20, 20), bool); m[2:12, 2:12] = True
    >>> int(_inner(m, 3).sum()), int(_inner(m, 9).sum()), int(_inner(m[:, :3], 3).sum())
    (36, 36, 10)
    """
    if not mask.any():
        return mask.copy()
    dist = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_C, 3)[1:-1, 1:-1]
    d = np.sort(dist[mask])
    return mask & (dist >= min(float(depth), float(d[max(d.size - min_px, 0)])))


def _region_contrast(index: np.ndarray, valid: np.ndarray, normal: np.ndarray | None = None,
                     found: np.ndarray | None = None) -> float:
    """Separation of the depigmented level (index 1) from the region's normal skin, in
    standard deviations of that skin: ``(1 - mode) / s``, with the mode of the index over
    the ``valid`` pixels and ``s`` from the values below it
    (:func:`vasi.reference.lower_mode_stats`), which no patch widens and no exclusion of
    candidates narrows. Normal skin is the region's mode unless most of the region is
    depigmented (the mode above the index's half-way, 0.5, whatever the border's
    sensitivity): then the region's mode is depigmented skin, and normal skin's mode and
    lower spread are taken over the ``found`` skin (bool, like ``valid``: the normal
    skin the segmentation found, away from the candidates, which lie above its mode and so
    do not narrow its lower side). The values below half-way would not do: there the
    depigmented mode's flank, rising to the cut, outweighs a small normal mode (85 % of a
    synthetic face depigmented: "mode" 0.37, at the cut's side, s 0.45, so 1.4 s.d.; 7 on
    the reference). Without ``found`` they are all there is.

    ``normal`` (bool, like ``valid``): normal skin the user marked (``segment(reference=)``).
    It says what normal skin looks like, so normal skin's level and spread are its median
    and MAD-based s.d. (:func:`vasi.reference.robust_stats`; over its ``valid`` pixels, all
    of it when fewer than 20 are) instead of a mode guessed from the region's density: on a
    region mostly depigmented the values below half-way are mostly partly depigmented skin
    and patch borders (a 90 % depigmented synthetic face: mode 0.43, s 0.27, so 2.1 s.d.,
    and the patches were dropped). All of the marked skin counts, none is left out as a
    candidate, so its spread is not narrowed. Fewer than 20 marked pixels give no estimate
    and the region's is used.

    >>> rng = np.random.default_rng(0)
    >>> index = rng.normal(0.0, 0.2, (100, 100)).astype(np.float32)  # normal skin: s.d. 0.2
    >>> index[:30, :30] += 1.0  # a patch at the depigmented level
    >>> round(_region_contrast(index, np.ones((100, 100), bool)))
    5
    >>> index = rng.normal(1.0, 0.2, (200, 200)).astype(np.float32)  # mostly depigmented,
    >>> index[:, :10] = rng.normal(0.0, 0.2, (200, 10))  # 5 % normal skin (s.d. 0.2 again)
    >>> index[:, 10:30] = rng.uniform(0.2, 0.8, (200, 20))  # and partly depigmented borders
    >>> normal = np.zeros((200, 200), bool); normal[:, :8] = True  # the skin the user marked
    >>> everywhere = np.ones((200, 200), bool)
    >>> round(_region_contrast(index, everywhere))  # guessed below half-way: the borders
    2
    >>> found = np.zeros((200, 200), bool); found[:, 2:8] = True  # the reference skin found
    >>> round(_region_contrast(index, everywhere, found=found))  # (its lower side: 0.2)
    6
    >>> _region_contrast(index, everywhere, normal) > MIN_REGION_DPRIME  # (5 for s.d. 0.2)
    True
    """
    if normal is not None:
        ok = normal & valid
        v = _ref.sample(index, ok if np.count_nonzero(ok) >= 20 else normal, 20_000)
        level, s = _ref.robust_stats(v) if v.size >= 20 else (float("nan"),) * 2
        if np.isfinite(level) and s > 0:
            return float((1.0 - level) / s)
    v = _ref.sample(index, valid, 20_000)
    mode, s = _ref.lower_mode_stats(v)
    if mode > 0.5:
        ok = None if found is None else found & valid
        if ok is not None and np.count_nonzero(ok) >= 20:
            mode, s = _ref.lower_mode_stats(_ref.sample(index, ok, 20_000))
        else:
            mode, s = _ref.lower_mode_stats(v[v < 0.5])
    if not np.isfinite(mode) or not s > 0:
        return float("inf")
    return float((1.0 - mode) / s)


def _local_level(p: np.ndarray, model: dict, sigma_px: float) -> np.ndarray:
    """The depigmented level ``model["p1"]`` followed across the region (h, w) float32: the
    local mean of the patch cores' projections ``p`` (a smooth field of ``sigma_px``) minus
    their overall median, added to ``p1``. Where there are few cores (less than
    ``LEVEL_PRIOR`` of a neighbourhood) the level is pulled back to ``p1``. It never falls
    below a quarter of the way from normal skin (``model["p0"]``) to ``p1``."""
    core = model["core"]
    mc = float(_ref.median(_ref.sample(p, core)))
    shift = _ref.smooth_field(p - np.float32(mc), core.astype(np.float32), sigma_px, fallback=0.0,
                              prior=LEVEL_PRIOR)
    p0, p1 = model["p0"], model["p1"]
    return np.maximum(shift + np.float32(p1), np.float32(p0 + 0.25 * (p1 - p0)))


def _denoise(p: np.ndarray, ksize: int = 5) -> np.ndarray:
    """``ksize`` x ``ksize`` median (removes hairs, pores and specks) that keeps the corners of
    real shapes: a pixel the median lowered keeps its own value where a 3x3 neighbour
    survived the median."""
    p = np.ascontiguousarray(p, np.float32)
    med = cv2.medianBlur(p, ksize)
    return np.maximum(med, np.minimum(p, cv2.dilate(med, np.ones((3, 3), np.uint8))))


def _fill_from_neighbours(p: np.ndarray, holes: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """Replace values under ``holes`` (clipped highlights, the background next to the region)
    by the Gaussian-weighted mean of their surroundings (``sigma`` px); holes farther than
    about ``2.5 sigma`` from any surrounding pixel keep their values."""
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
