"""Vitiligo on a scene: baseline patches, confetti, new patches, and the depigmentation field.

The depigmentation strength ``d`` (0 normal .. 1 no melanin) is what is rendered; ground truth
is exactly ``d >= 0.5``. Each baseline patch repigments in an *order* (see
:func:`vasi.synth.shapes.make_patch`): perifollicular (islands around follicles that grow and
merge), marginal (the border moves inward) or diffuse (the whole patch darkens evenly); a
fraction ``f`` of the patch is repigmented when the pixels with ``order < f`` are.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .scene import Scene
from .shapes import _signed_distance, make_patch, soft_step

__all__ = ["Disease", "make_disease", "depig_field", "PATTERNS"]

PATTERNS = ("perifollicular", "marginal", "diffuse", "mixed")


@dataclass(eq=False)
class Disease:
    """Patches of one patient site (scene coordinates)."""

    patches: list  # baseline Patch objects
    new_patches: list  # (Patch, onset_week)
    confetti: np.ndarray  # (n, 4): y, x, radius_px, onset_week
    labels: np.ndarray  # int16 (H, W): baseline patch id (1..n) where the patch is, else 0
    halo_mm: float


def _sample_center(prob, rng, taken, min_dist):
    # sample on a coarse grid (fast at any resolution), then jitter inside the cell
    H, W = prob.shape
    f = max(1, int(max(H, W) // 400))
    low = prob[::f, ::f]
    ys, xs = np.nonzero(low > 0)
    if ys.size == 0:
        return None
    w = low[ys, xs].astype(np.float64)
    w /= w.sum()
    for _ in range(30):
        i = rng.choice(ys.size, p=w)
        c = (float(min(ys[i] * f + rng.integers(0, f), H - 1)), float(min(xs[i] * f + rng.integers(0, f), W - 1)))
        if all((c[0] - t[0]) ** 2 + (c[1] - t[1]) ** 2 > (min_dist + t[2]) ** 2 for t in taken):
            return c
    return None


def make_disease(scene: Scene, *, rng, pattern="mixed", response=0.0, n_patches=None, new_patches=False,
                 extent=1.0, trichrome=None) -> Disease:
    """Place baseline patches (and optionally future new patches) on a scene.

    Parameters
    ----------
    scene : Scene
    rng : numpy.random.Generator
    pattern : {"perifollicular", "marginal", "diffuse", "mixed"}
        Repigmentation pattern; "mixed" draws a dominant pattern per patch.
    response : float
        Patient response 0 (none) .. 1 (complete) by week 52; per-patch values vary
        around it and are lower for patches with leukotrichia.
    n_patches : int, optional
        Number of baseline patches (default: from the scene's site range).
    new_patches : bool
        Add patches that appear later (progressing disease) plus confetti macules.
    extent : float
        Multiplier of patch radii.

    Returns
    -------
    Disease
    """
    H, W = scene.shape
    mmpx = scene.mm_per_px
    prob = scene.patch_prob.astype(np.float64)
    if n_patches is None:
        n_patches = int(rng.integers(scene.n_patches[0], scene.n_patches[1] + 1))
    patches, taken = [], []
    rlo, rhi = scene.patch_radius_mm
    for _ in range(n_patches):
        r_mm = float(np.exp(rng.uniform(np.log(rlo), np.log(rhi)))) * extent
        c = _sample_center(prob, rng, taken, 0.6 * r_mm / mmpx)
        if c is None:
            continue
        pat = pattern if pattern != "mixed" else str(rng.choice(["perifollicular", "marginal", "diffuse"], p=[0.5, 0.3, 0.2]))
        leuko = bool(rng.random() < 0.2)
        resp = float(np.clip(response * rng.uniform(0.85, 1.12) * (0.7 if leuko else 1.0), 0, 1))
        rim = float(rng.uniform(2.0, 5.0)) if (trichrome if trichrome is not None else rng.random() < 0.2) else 0.0
        p = make_patch((H, W), c, r_mm / mmpx, rng=rng, mm_per_px=mmpx, pattern=pat, response=resp,
                       irregularity=float(rng.uniform(0.3, 0.6)), elongation=float(rng.uniform(1.0, 1.8)),
                       angle_deg=float(rng.uniform(0, 180)), rim_mm=rim, leukotrichia=leuko)
        if p is None:
            continue
        patches.append(p)
        taken.append((c[0], c[1], r_mm / mmpx))
    labels = np.zeros((H, W), np.int16)
    for i, p in enumerate(patches, start=1):
        ys, xs = p.slices
        sub = labels[ys, xs]
        sub[(p.sd > 0) & (sub == 0)] = i
    news = []
    conf = np.zeros((0, 4))
    if new_patches:
        for _ in range(int(rng.integers(1, 3))):
            r_mm = float(rng.uniform(rlo, max(rlo * 1.5, rhi * 0.4)))
            c = _sample_center(prob * (labels == 0), rng, taken, 0.5 * r_mm / mmpx)
            if c is None:
                continue
            p = make_patch((H, W), c, r_mm / mmpx, rng=rng, mm_per_px=mmpx, pattern="marginal", response=0.0)
            if p is not None:
                news.append((p, float(rng.uniform(6, 30))))
                taken.append((c[0], c[1], r_mm / mmpx))
        ncf = int(rng.integers(6, 20))
        ys, xs = np.nonzero((prob > 0) & (labels == 0))
        if ys.size:
            idx = rng.integers(0, ys.size, ncf)
            conf = np.stack([ys[idx], xs[idx], rng.uniform(0.6, 1.6, ncf) / mmpx, rng.uniform(4, 40, ncf)], 1)
    return Disease(patches, news, conf, labels, float(rng.uniform(3.0, 6.0)))


def depig_field(disease: Disease, shape, fractions, *, week=0.0, mm_per_px, border_scale=1.0):
    """Depigmentation strength and its exact truth at a visit.

    Parameters
    ----------
    disease : Disease
    shape : tuple of int
    fractions : sequence of float
        Repigmented fraction of each baseline patch at this visit.
    week : float
        Visit week (new patches and confetti appear after their onset week).
    mm_per_px : float
    border_scale : float
        Border softness multiplier (Wood's lamp borders look sharper: < 1). The truth does
        not depend on it.

    Returns
    -------
    d : numpy.ndarray, float32 (H, W)
        Rendered depigmentation strength; ``d >= 0.5`` exactly where ``truth``.
    truth : numpy.ndarray, bool (H, W)
        Depigmented skin (all of the scene, not only the assessed region).
    """
    H, W = shape
    d = np.zeros((H, W), np.float32)
    truth = np.zeros((H, W), bool)
    halo = disease.halo_mm / mm_per_px
    for p, f in zip(disease.patches, fractions, strict=False):
        ys, xs = p.slices
        a0 = soft_step(p.sd, p.border_px * border_scale)
        inside = p.sd > 0
        f = float(np.clip(f, 0.0, 1.0))
        if p.pattern == "diffuse":
            m = (np.clip(0.5 + (f - p.order) * 1.4, 0, 1) * min(1.0, f / 0.12) * inside).astype(np.float32)
            tk = inside & (m < 0.5)
            if f > 0:  # carry the darkening out over the soft border (no ghost ring)
                sig = float(np.max(p.border_px)) * border_scale
                bi = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), sig)
                ext = cv2.GaussianBlur(m, (0, 0), sig) / np.maximum(bi, 1e-3)
                m = np.where(inside, m, np.where(bi > 0.01, np.minimum(ext, 1.0), 0.0))
            dk = a0 * (1.0 - m)
        else:
            tk = inside & ~(p.order < f)
            if f > 0:
                # soft border of the *current* residual: the patch's border width along the
                # baseline border, a sharper edge around repigmented islands inside
                sdc = _signed_distance(tk)
                isl = np.float32(max(0.35 / mm_per_px, 0.6))
                w = np.where(p.sd < 1.5 * p.border_px, p.border_px, isl) * border_scale
                dk = soft_step(sdc, w)
            else:
                dk = a0
        # lighter perilesional skin and the optional hypochromic (trichrome) rim follow the
        # current border of the residual depigmentation, not the baseline one
        if tk.any():
            outside = cv2.distanceTransform((~tk).astype(np.uint8), cv2.DIST_L2, 3)
            dk = np.maximum(dk, 0.13 * np.exp(-outside / halo) * ~tk)
            if p.rim_px > 0:
                dk = np.maximum(dk, 0.42 * soft_step(p.rim_px - outside, p.border_px * border_scale) * ~tk)
        d[ys, xs] = np.maximum(d[ys, xs], dk)
        truth[ys, xs] |= tk
    for p, onset in disease.new_patches:
        g = float(np.clip((week - onset) / 20.0, 0.0, 1.0))
        if g <= 0:
            continue
        ys, xs = p.slices
        s = p.sd - float(p.sd.max()) * (1.0 - g) + 0.5
        d[ys, xs] = np.maximum(d[ys, xs], soft_step(s, p.border_px * border_scale))
        truth[ys, xs] |= s > 0
    for y, x, r, onset in disease.confetti:
        if week < onset:
            continue
        rr = int(np.ceil(r * 2 + 3))
        y0, x0 = max(int(y) - rr, 0), max(int(x) - rr, 0)
        y1, x1 = min(int(y) + rr + 1, H), min(int(x) + rr + 1, W)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        sd = (r - np.sqrt((yy - y) ** 2 + (xx - x) ** 2)).astype(np.float32)
        d[y0:y1, x0:x1] = np.maximum(d[y0:y1, x0:x1], soft_step(sd, max(0.3 / mm_per_px * border_scale, 0.5)))
        truth[y0:y1, x0:x1] |= sd > 0
    # make the rendered 0.5 level coincide exactly with the truth
    d = np.where(truth, np.maximum(d, 0.5), np.minimum(d, 0.4995)).astype(np.float32)
    return d, truth
