"""Repigmentation pattern of each baseline patch: perifollicular, marginal, diffuse, mixed.

Measured in baseline coordinates from the baseline patch labels, the follow-up residual
depigmentation (warped) and, for the diffuse pattern, the depigmentation degree of both
visits (:func:`vasi.track.envelope_masks`):

* **islands** -- repigmented connected components inside the patch: count, density per cm²,
  total and mean area (as :mod:`vasi.synth` counts them; the border band of a marginal patch
  is one of them; slivers only in the outermost pixel ring of the outline are
  registration wobble and not counted).
* **marginal** -- repigmentation concentrated in a band at the border: ``border_excess``, the
  share of repigmented pixels in the outer band (distance transform to the outer border) that
  holds as many pixels as were repigmented, rescaled so that 0 = uniform and 1 = all in that
  band (``degree_border_excess``: the same on the repigmentation degree
  ``t_baseline - t_followup``); also ``depth_auc`` (P(a still-depigmented pixel lies deeper
  than a repigmented one)) and the inward border advance (median over the baseline border of
  the distance to the remaining depigmentation, px and mm).
* **perifollicular** -- pigmented dots: ``fine_scale_ratio``, the share of the follow-up's
  spatial variance inside the patch that lies at the scale of follicular dots (band-pass
  between Gaussian means of 0.7 and 2 mm) rather than of broad areas (2-6 mm), after
  subtracting the baseline's own variance in each band (noise and skin texture of the
  unchanged lesion); without a scale the bands are 2-6 and 6-18 px. Also
  ``interior_island_count`` / ``interior_island_density`` (islands not connected to the
  border band).
* **diffuse** -- repigmentation neither concentrated at the border nor made of dots (broad
  areas, partial darkening), or no change of the mask but an even drop of contrast:
  ``residual_darkening``, the median drop of the degree ``t`` (baseline minus follow-up) over
  residual pixels far from any repigmented pixel.

Decision: repigmented fraction (of the masks) and mean degree drop both below ``min_signal``
-> ``"diffuse"`` if the residual darkened by ``diffuse_darkening`` or more, else ``"none"``;
``border_excess >= marginal_excess``, or ``border_excess >= marginal_excess_min`` with
``depth_auc >= marginal_auc`` (the border advancing along part of the outline: less
concentrated in the band, but strictly ordered by depth) and no interior island population ->
``"marginal"``, or ``"mixed"`` when there are also interior islands (at least 3, at
``island_density`` or more, covering >= 10 % of the repigmented area);
``fine_scale_ratio >= dot_ratio`` -> ``"perifollicular"``; otherwise ``"diffuse"``.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from skimage.morphology import h_minima

from ._validate import check_mask, check_positive, is_number
from .errors import InputError

__all__ = ["PATTERNS", "patterns"]

#: Pattern names (values of the ``pattern`` column).
PATTERNS = ("perifollicular", "marginal", "diffuse", "mixed", "none")

_EIGHT = np.ones((3, 3), bool)


def _gauss(x, sigma):
    """``ndi.gaussian_filter(x, sigma, mode="constant")`` (float64, same kernel: radius
    ``int(4 sigma + 0.5)``), by cv2's separable filter (several times faster)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    r = int(4.0 * float(sigma) + 0.5)
    if r == 0 or sigma <= 0:
        return x.copy()
    k = 2 * r + 1
    return cv2.GaussianBlur(x, (k, k), float(sigma), sigmaY=float(sigma),
                            borderType=cv2.BORDER_CONSTANT)


def _key(parts):
    """Hashable content key of arrays and scalars (equal keys <=> equal contents)."""
    return tuple((p.shape, p.dtype.str, p.tobytes()) if isinstance(p, np.ndarray) else p
                 for p in parts)


def _memo(cache, tag, parts, fn, *args):
    """``fn(*args)``, remembered in ``cache`` (a dict or None) under the *contents* of ``parts``.

    A series measures every visit against the same baseline patches: the baseline's share of
    the work (patch depth, noise calibration, band energies) is then computed once. Keys are
    the full input contents, so a result is only reused for identical inputs.
    """
    if cache is None:
        return fn(*args)
    k = (tag, *_key(parts))
    hit = cache.get(k)
    if hit is None:
        hit = fn(*args)
        cache[k] = hit
    return hit


def _nconv(x, w, sigma):
    """Gaussian mean of ``x`` over the pixels of weight ``w`` (normalised convolution)."""
    num = _gauss(x * w, sigma)
    den = _gauss(w, sigma)
    return num / np.maximum(den, 1e-3)


def _band_energies(images, inside, core, scales, cache=None):
    """Variance of each image in two spatial bands, fine ``(s0, s1)`` and coarse ``(s1, s2)``.

    Band-pass = difference of Gaussian means restricted to ``inside`` (the patch), so the
    patch border does not ring; the variance is taken over ``core`` (away from the border).
    Returns one ``(fine, coarse)`` pair per image (each remembered in ``cache``, see
    :func:`_memo`).
    """
    scales = tuple(float(s) for s in scales)
    w = inside.astype(float)
    dens = _memo(cache, "dens", (inside, scales),
                 lambda: [np.maximum(_gauss(w, s), 1e-3) for s in scales])

    def energies(t):
        x = np.where(inside, t, 0.0)
        g = [_gauss(x, s) / d for s, d in zip(scales, dens, strict=True)]
        return (float(np.var((g[0] - g[1])[core])), float(np.var((g[1] - g[2])[core])))

    return [_memo(cache, "band", (inside, core, t, scales), energies, t) for t in images]


def _depth_auc(depth, residual, repig):
    """P(a residual pixel lies deeper in the patch than a repigmented one); 0.5 = no order.

    The Mann-Whitney AUC (ties count one half), exactly as the rank-sum formula with average
    ranks, from the sorted repigmented depths (no rank table needed).
    """
    dr, dg = depth[residual], depth[repig]
    if dr.size < 5 or dg.size < 5:
        return np.nan
    sg = np.sort(dg)
    below = np.searchsorted(sg, dr, side="left")
    upto = np.searchsorted(sg, dr, side="right")
    u = float(below.sum()) + 0.5 * float((upto - below).sum())
    return u / (dr.size * dg.size)


def _any_per_label(flag, lab, n):
    """Per label ``1..n``: whether any of its pixels is flagged (``flag`` and ``lab`` are the
    labelled pixels, flattened alike); ``ndi.maximum(flag, labels, 1..n)`` without its sort."""
    return np.bincount(lab[flag], minlength=n + 1)[1:] > 0


def _depth(P):
    """Distance of every patch pixel to the patch's outer border (holes filled)."""
    return ndi.distance_transform_edt(ndi.binary_fill_holes(P))


def _calibrate(P, V, tb, core, island_h, island_smooth_px):
    """Dip depth calibration on the baseline lesion: ``(noise, k)`` with ``k`` the smallest of
    ``island_h`` at which the smoothed baseline degree shows at most one regional minimum of
    depth ``k x noise`` in the core (``k`` None when none qualifies or the noise is 0)."""
    w = (P & V).astype(float)
    tbs = _nconv(np.where(P & V, tb, 0.0), w, island_smooth_px)
    tbc = tbs[core]
    noise = 1.4826 * float(np.median(np.abs(tbc - np.median(tbc))))
    if noise > 0:
        img_b = np.where(P & V, tbs, tbs.max() + 1.0)
        for k in sorted(island_h):
            if ndi.label(h_minima(img_b, k * noise) & core, structure=_EIGHT)[1] <= 1:
                return noise, float(k)
    return noise, None


def _islands(G, R, P, V, core, depth, tb, tf, *, island_h, island_smooth_px, island_margin,
             min_island_px, cache):
    """Repigmented islands of one patch (box arrays; ``tf`` None without degree maps).

    Islands are the repigmented components ``G`` (as the truth of :mod:`vasi.synth`
    counts them), less slivers in the outermost pixel ring (registration wobble). With
    degree maps, pigmented dots are also the significant local minima of the follow-up
    degree: a dip deeper than ``h = k x`` the noise of the (uniform) baseline lesion,
    lightly smoothed, where ``k`` is the smallest of ``island_h`` at which the baseline lesion
    itself (same skin and camera, no islands yet) shows no dip but its deepest point in its
    core (a false-alarm calibration), plus ``island_margin`` for the follow-up being another
    draw of the noise. A component holding several such minima (dots merged by blur) counts
    once per minimum, and a significant dip outside all components (a faint dot) counts too.

    Returns a dict: ``n``, ``area`` (px of the counted components), ``interior_n``,
    ``interior_area`` (components not reaching the border band), ``marginal_area`` (core px
    of the border-connected ones), ``marginal_component_area`` (all their px) and
    ``depth_k`` (NaN when not calibrated).
    """
    minima = None
    island_k = noise = np.nan
    if tf is not None and len(island_h) and core.sum() >= 10:
        noise, k = _memo(cache, "calib", (P, V, tb, core, tuple(island_h),
                                          float(island_smooth_px)),
                         _calibrate, P, V, tb, core, island_h, island_smooth_px)
        if k is not None:
            island_k = k + island_margin
            w = (P & V).astype(float)
            tfs = _nconv(np.where(P & V, tf, 0.0), w, island_smooth_px)
            img_f = np.where(P & V, tfs, tfs.max() + 1.0)
            minima = h_minima(img_f, island_k * noise) & P & V
    comp, nc = ndi.label(G, structure=_EIGHT)
    out = dict(n=0, area=0, interior_n=0, interior_area=0, marginal_area=0,
               marginal_component_area=0, depth_k=island_k)
    per_comp = np.zeros(nc + 1, int)
    n_faint = 0
    if minima is not None:
        mlab, nm = ndi.label(minima, structure=_EIGHT)
        if nm:
            at = mlab > 0
            ml = mlab[at]
            owner = np.zeros(nm + 1, int)  # the component holding each minimum
            np.maximum.at(owner, ml, comp[at])
            owner = owner[1:]
            per_comp = np.bincount(owner, minlength=nc + 1)
            # a faint dot: away from all components, in the core, and below the residual
            # lesion's level by the same depth (the deepest noise point is not a dot)
            rc = R & core
            if rc.sum() >= 10:
                level = float(np.median(tfs[rc])) - island_k * noise
                near_g = ndi.binary_dilation(G, _EIGHT)
                lowest = np.full(nm + 1, np.inf)
                np.minimum.at(lowest, ml, tfs[at])
                n_faint = int(np.sum((owner == 0)
                                     & ~_any_per_label(near_g[at], ml, nm)
                                     & _any_per_label(core[at], ml, nm)
                                     & (lowest[1:] <= level)))
    if nc:
        at = comp > 0
        cl = comp[at]
        sizes = np.bincount(cl, minlength=nc + 1)[1:]
        touches = _any_per_label((~core & P)[at], cl, nc)  # reaches the border band
        on_edge = _any_per_label(depth[at] < 1.5, cl, nc)  # reaches the outline
        in_core = np.bincount(cl, core[at], minlength=nc + 1)[1:].astype(int)
        deep = _any_per_label(depth[at] > 1.0, cl, nc)
        for j, (sz, t, e, k, d) in enumerate(
                zip(sizes, touches, on_edge, in_core, deep, strict=True), start=1):
            # a sliver only in the outermost pixel ring is registration wobble
            if sz >= min_island_px and (d or not e):
                out["n"] += max(1, int(per_comp[j]))
                out["area"] += int(sz)
                if not t:  # interior island, not connected to the border
                    out["interior_n"] += 1
                    out["interior_area"] += int(sz)
            if t:
                out["marginal_area"] += int(k)  # border-connected, beyond the wobble band
                out["marginal_component_area"] += int(sz)
    out["n"] += n_faint
    return out


def _decide(signal, border, islands, dots, darkened) -> str:
    """The pattern from the tests of :func:`patterns`: too little repigmentation
    (``signal`` False) -> ``"diffuse"`` when the residual darkened evenly, else ``"none"``;
    repigmentation at the border -> ``"marginal"``, or ``"mixed"`` with an interior island
    population; fine-scale dots -> ``"perifollicular"``; else ``"diffuse"``.

    >>> _decide(True, True, True, False, False), _decide(True, False, False, True, False)
    ('mixed', 'perifollicular')
    """
    if not signal:
        return "diffuse" if darkened else "none"
    if border:
        return "mixed" if islands else "marginal"
    return "perifollicular" if dots else "diffuse"


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
    marginal_excess: float = 0.5,
    marginal_auc: float = 0.75,
    marginal_excess_min: float = 0.3,
    dot_ratio: float = 0.6,
    scales_mm=(0.7, 2.0, 6.0),
    scales_px=(2.0, 6.0, 18.0),
    island_density: float | None = None,
    diffuse_darkening: float = 0.15,
    far_px: int = 3,
    island_h=(2.0, 2.5, 3.0, 4.0, 5.0, 6.0),
    island_smooth_px: float = 0.5,
    island_margin: float = 0.5,
    cache: dict | None = None,
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
        Smallest island counted; default 0.1 mm², or 2 px without a scale.
    min_signal : float
        Repigmented fraction below which the pattern is ``"none"`` (both the masks' fraction
        and the mean drop of ``t`` must be below it).
    marginal_excess : float
        ``border_excess`` at or above which repigmentation is marginal: the share of the
        repigmented pixels lying in the outer band of the patch that holds as many pixels as
        were repigmented (distance transform to the outer border), rescaled so that 0 is what
        uniform repigmentation gives and 1 is repigmentation entirely in that band.
    marginal_auc, marginal_excess_min : float
        Weaker border evidence that is also marginal (an advance along part of the outline):
        ``depth_auc`` at or above ``marginal_auc`` (still-depigmented pixels lie deeper than
        repigmented ones) with ``border_excess`` at or above ``marginal_excess_min``, when the
        interior islands do not make a population (see ``island_density``).
    dot_ratio : float
        ``fine_scale_ratio`` (0-1) at or above which repigmentation without a border band is
        perifollicular (dots) rather than diffuse.
    scales_mm : (float, float, float)
        Gaussian scales (mm) bounding the fine (dots) and coarse (broad areas) bands of
        ``fine_scale_ratio``.
    scales_px : (float, float, float)
        The same in px, used without ``mm_per_px``.
    island_density : float, optional
        Interior islands (repigmented components not connected to the border band), per area
        of the patch not taken by border-connected repigmentation, at or above which (with at
        least 3 islands and 10 % of the repigmented area) a marginal patch is ``"mixed"``;
        default 2.5 per cm² with
        ``mm_per_px``, else 1.5 per 1000 px.
    diffuse_darkening : float
        Median darkening of the residual (``t`` drop, far from repigmented pixels) at or
        above which the patch repigments diffusely.
    far_px : int
        Distance from repigmented pixels for the darkening measurement.
    island_h : sequence of float
        With degree maps, a pigmented dot is a regional minimum of the follow-up degree at
        least ``k`` x the baseline lesion's noise (robust SD of ``t`` in the patch core) deep,
        ``k`` the smallest value in ``island_h`` at which the baseline lesion itself (no
        islands yet) shows no dip besides its deepest point in its core, plus
        ``island_margin`` (``island_depth_k``, NaN when none qualifies); repigmented components holding several such minima (dots merged by
        blur) count once per minimum, and such a dip away from all components (a faint dot)
        counts as an island too. Empty: connected components only.
    island_smooth_px : float
        Gaussian smoothing (px) of the degree maps before looking for minima.
    island_margin : float
        Added to the calibrated ``k`` (in noise SDs): the baseline shows the false-alarm
        level of one photo; the follow-up is another draw of the same noise.
    cache : dict, optional
        Pass one (initially empty) dict to every call of a series (same ``labels`` and
        baseline degree): the baseline's share of the work per patch (depth map, noise
        calibration, band energies) is then done once. Entries are keyed by the full input
        contents, so results are identical with or without it.

    Returns
    -------
    pandas.DataFrame
        One row per patch: ``patch_id``, ``pattern``, ``island_count`` (islands, see
        ``island_h``), ``island_area_px`` (repigmented area of the counted components, px),
        ``island_mean_area_px`` (that area per island), ``marginal_area_px``
        (border-connected repigmentation beyond the wobble band, px), ``border_advance_px``
        (inward border advance, px), ``depth_auc``, ``border_excess`` (0 uniform .. 1 all in
        the border band), ``interior_island_count``, ``interior_island_density`` (per cm², or
        per 1000 px without a scale), ``interior_island_share`` (of the repigmented area),
        ``repigmented_radius_px``, ``residual_radius_px`` (mean half-widths, px), ``repigmented_fraction`` (of the patch, 0-1, from the masks),
        ``residual_darkening`` (median drop of ``t``), ``degree_repigmented_fraction`` (mean
        ``t`` drop over the patch), ``degree_border_excess``, ``fine_scale_ratio`` (0-1),
        ``island_depth_k`` (dip depth used, in noise SDs); with ``mm_per_px`` also
        ``island_density_per_cm2``, ``island_mean_area_mm2``, ``border_advance_mm``.
        Without degree maps the masks stand in for ``t`` (``island_depth_k`` is NaN).

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
    if island_density is None:
        island_density = 2.5 if mm_per_px else 1.5
    if min_island_px is None:
        min_island_px = max(2, int(round(0.1 / mm_per_px**2))) if mm_per_px else 2
    name, given = ("scales_mm", scales_mm) if mm_per_px else ("scales_px", scales_px)
    sc = np.asarray(given, dtype=object)
    if sc.shape != (3,) or not all(is_number(x) and 0 < x < np.inf for x in sc) or \
            not sc[0] < sc[1] < sc[2]:
        raise InputError(f"{name} must be three increasing sizes (dots, broad areas, their "
                         f"limit); got {given!r}.")
    scales = tuple(float(x) / (mm_per_px or 1.0) for x in sc)
    hs = np.atleast_1d(np.asarray(island_h, dtype=object))
    if hs.ndim != 1 or not all(is_number(k) and k > 0 for k in hs):  # (empty: no dip count)
        raise InputError(f"island_h must be a sequence of positive depths (noise SDs), e.g. "
                         f"(2.5, 3.0); got {island_h!r}.")
    island_h = tuple(float(k) for k in hs)
    use_degree = baseline_degree is not None and followup_degree is not None
    if use_degree:
        # float64 per patch box below (not the whole frame)
        baseline_degree = np.asarray(baseline_degree)
        followup_degree = np.asarray(followup_degree)
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
        depth = _memo(cache, "depth", (P,), _depth, P)
        core = (depth > edge_px) & P & V
        # degree maps t (1 = baseline lesion colour, 0 = normal skin); without them (or where
        # they are missing) the masks themselves: t = 1 residual, 0 repigmented
        tb = np.where(P, 1.0, 0.0)
        tf = np.where(R, 1.0, 0.0)
        have_deg = False
        if use_degree:
            db = np.asarray(baseline_degree[box], float)
            df_ = np.asarray(followup_degree[box], float)
            ok = P & V & np.isfinite(db) & np.isfinite(df_)
            if ok.sum() >= 0.8 * area:
                tb = np.where(ok, db, tb)
                tf = np.where(ok, df_, tf)
                have_deg = True
        isl = _islands(G, R, P, V, core, depth, tb, tf if have_deg else None,
                       island_h=island_h, island_smooth_px=island_smooth_px,
                       island_margin=island_margin, min_island_px=min_island_px, cache=cache)
        isl_n, isl_a, int_n, int_a = isl["n"], isl["area"], isl["interior_n"], isl["interior_area"]
        # border advance: median distance from the baseline border to remaining depigmentation
        border = (depth > 0) & (depth < 1.5) & P & V
        if R.any():
            dist = ndi.distance_transform_edt(~R)
            adv = float(np.median(dist[border])) if border.any() else 0.0
        else:
            adv = float(depth.max())
        auc = _depth_auc(depth, R & core, G & core)
        n_g = int(G.sum())
        f_area = float(n_g) / area
        # border excess: share of the repigmented pixels in the outer band holding as many
        # pixels as were repigmented, rescaled so that 0 = uniform, 1 = all in that band
        excess = np.nan
        if n_g >= 5 and f_area < 1.0:
            d_in = depth[P & V]
            band = (depth <= np.quantile(d_in, f_area)) & P & V
            excess = (float((G & band).sum()) / n_g - f_area) / (1.0 - f_area)
        # interior island density, per area not taken by border-connected repigmentation
        free_px = max(area - isl["marginal_component_area"], 1)
        dens = int_n / free_px * (100.0 / mm_per_px**2 if mm_per_px else 1000.0)
        dark = np.nan
        if use_degree:
            tb, tf = db, df_
            far = R & core & (ndi.distance_transform_edt(~G) > far_px) if G.any() else R & core
            far &= np.isfinite(tb) & np.isfinite(tf)
            if far.sum() >= 10:
                dark = float(np.median(tb[far] - tf[far]))
        # mean half-width of the repigmented areas (2 area / perimeter; a disc's radius)
        perim = int((G & ~ndi.binary_erosion(G, _EIGHT, border_value=1)).sum())
        radius = 2.0 * n_g / perim if perim else 0.0
        Rv = R & V
        perim_r = int((Rv & ~ndi.binary_erosion(Rv, _EIGHT, border_value=1)).sum())
        res_radius = 2.0 * float(Rv.sum()) / perim_r if perim_r else 0.0
        inside = P & V
        rmap = np.where(inside, tb - tf, 0.0)
        f_deg = float(rmap[inside].mean())
        # border excess of the repigmentation mass: share of it in the outer band holding the
        # repigmented fraction of the patch, 0 = uniform, 1 = all in that band
        excess_deg = np.nan
        fb = float(np.clip(f_deg, 0.02, 0.98))
        mass = float(rmap[inside].sum())
        if mass > 0 and area >= 20:
            d_in = depth[inside]
            band = (depth <= np.quantile(d_in, fb)) & inside
            share_area = float(band.sum()) / area
            if share_area < 1.0:
                excess_deg = (float(rmap[band].sum()) / mass - share_area) / (1.0 - share_area)
        # fine-scale share of the follow-up's spatial variance (follicular dots, 0.7-2 mm)
        # vs coarse (2-6 mm: broad diffuse areas, a border band); the baseline's own variance
        # in the same bands (noise, texture) is subtracted
        ratio = np.nan
        core_s = inside & (depth > scales[0])
        if core_s.sum() >= 10:
            (ef, ec), (nf, nc_) = _band_energies((tf, tb), inside, core_s, scales, cache)
            fine, coarse = max(ef - nf, 0.0), max(ec - nc_, 0.0)
            if fine + coarse > 0:
                ratio = fine / (fine + coarse)
        # repigmentation at the border: concentrated in the border band, or less so but
        # strongly ordered by depth (the border band advancing inward along part of the
        # outline) and not mainly made of interior islands
        int_share = int_a / n_g if n_g else 0.0
        islands = int_n >= 3 and dens >= island_density and int_a >= 0.1 * n_g
        border_sig = np.isfinite(excess) and (
            excess >= marginal_excess
            or (excess >= marginal_excess_min and np.isfinite(auc) and auc >= marginal_auc
                and not islands))
        pattern = _decide(max(f_area, f_deg) >= min_signal, border_sig, islands,
                          np.isfinite(ratio) and ratio >= dot_ratio,
                          np.isfinite(dark) and dark >= diffuse_darkening)
        row.update(
            pattern=pattern, island_count=isl_n, island_area_px=isl_a,
            island_mean_area_px=(isl_a / isl_n) if isl_n else np.nan,
            marginal_area_px=isl["marginal_area"], border_advance_px=adv, depth_auc=auc,
            border_excess=excess, interior_island_count=int_n,
            interior_island_density=dens, interior_island_share=int_share,
            repigmented_radius_px=radius,
            residual_radius_px=res_radius,
            repigmented_fraction=f_area, residual_darkening=dark,
            degree_repigmented_fraction=f_deg, degree_border_excess=excess_deg,
            fine_scale_ratio=ratio, island_depth_k=isl["depth_k"],
        )
        if mm_per_px:
            cm2 = area * mm_per_px**2 / 100.0
            row.update(island_density_per_cm2=isl_n / cm2,
                       island_mean_area_mm2=(isl_a / isl_n * mm_per_px**2) if isl_n else np.nan,
                       border_advance_mm=adv * mm_per_px)
        rows.append(row)
    cols = ["patch_id", "pattern", "island_count", "island_area_px", "island_mean_area_px",
            "marginal_area_px", "border_advance_px", "depth_auc", "border_excess",
            "interior_island_count", "interior_island_density", "interior_island_share",
            "repigmented_radius_px",
            "residual_radius_px",
            "repigmented_fraction",
            "residual_darkening", "degree_repigmented_fraction", "degree_border_excess",
            "fine_scale_ratio", "island_depth_k"]
    if mm_per_px:
        cols += ["island_density_per_cm2", "island_mean_area_mm2", "border_advance_mm"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("island_count", "island_area_px", "marginal_area_px", "interior_island_count"):
        df[c] = df[c].fillna(0).astype(int)
    return df
