"""Render a scene into linear RGB: skin texture, depigmentation, features, hair, highlights.

Skin is modelled multiplicatively in linear RGB. Normal skin is
``normal * exp(-A_mel * m(x)) * exp(-A_hb * h(x)) * lum(x)`` where ``m`` is the melanin
texture (multi-scale noise, freckles, naevi), ``h`` the haemoglobin (redness) map and ``lum``
shading x micro-relief x pores. Depigmented skin replaces ``normal * exp(-A_mel m)`` by the
depigmented colour (no melanin, so freckles and naevi vanish inside patches). The
depigmentation strength ``d`` in [0, 1] blends the two; the ground truth is ``d >= 0.5``.

Wood's lamp (~365 nm) rendering of the same scene (model choices, not measured): normal skin
reflects the lamp's violet light, dimmed by melanin (``(0.022, 0.015, 0.080)`` linear RGB
times ``(L*/70)**2.5``); depigmented skin fluoresces blue-white ``(0.30, 0.40, 0.85)``;
patch borders are rendered ~3x sharper than in visible light; hair, iris and lips are dark,
white clothing, paper and nails fluoresce; strong vignetting and more sensor noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .scene import Scene, hex_lin, soften
from .shapes import smooth_noise, spots
from .skin import lab_to_linear

__all__ = ["SkinTextures", "Background", "make_textures", "make_background", "compose"]

A_MEL = np.array([0.55, 0.85, 1.20], np.float32)  # relative melanin absorbance R, G, B
A_HB = np.array([0.02, 0.60, 0.38], np.float32)  # relative haemoglobin absorbance R, G, B
WOODS_DEPIG = np.array([0.30, 0.40, 0.85], np.float32)  # blue-white fluorescence
WOODS_NORMAL = np.array([0.022, 0.015, 0.080], np.float32)  # violet reflectance of light skin


@dataclass(eq=False)
class SkinTextures:
    """Static (visit-independent) skin appearance maps, (H, W) float32 each."""

    mel: np.ndarray
    hb: np.ndarray
    lum: np.ndarray
    spec: np.ndarray
    hair_dark: np.ndarray | None
    hair_white: np.ndarray | None
    hair_lin: np.ndarray
    normal_lin: np.ndarray
    depig_lin: np.ndarray
    woods_scale: float
    background: Background


def make_textures(scene: Scene, *, rng, normal_lab, depig_lab, skin_type, background, hair_lin, white_hair_where=None):
    """Draw the static skin textures of a scene (see module docstring).

    Returns
    -------
    SkinTextures
    """
    H, W = scene.shape
    mmpx = scene.mm_per_px
    fair = skin_type in ("I", "II")
    fine = smooth_noise((H, W), 0.4 / mmpx, rng)  # shared fine-scale field (speed)
    mel = (0.05 * smooth_noise((H, W), 30.0 / mmpx, rng) + 0.05 * smooth_noise((H, W), 8.0 / mmpx, rng)
           + 0.035 * smooth_noise((H, W), 2.0 / mmpx, rng) + 0.02 * fine)
    skin = scene.skin_alpha > 0.5
    area_cm2 = float(skin.sum()) * mmpx * mmpx / 100.0
    if fair or rng.random() < 0.25:
        n_fr = int(area_cm2 * (rng.uniform(0.5, 3.0) if fair else rng.uniform(0.05, 0.3)))
        mel += (0.35 if fair else 0.2) * spots((H, W), n_fr, (0.5 / mmpx, 1.6 / mmpx), rng=rng, where=skin)
    n_nv = int(rng.integers(0, 4 + int(area_cm2 / 150)))
    mel += 1.2 * np.minimum(spots((H, W), n_nv, (0.8 / mmpx, 2.2 / mmpx), rng=rng, where=skin) * 2.5, 1.0)
    hb = scene.redness * (1.6 if fair else 1.0) + 0.035 * smooth_noise((H, W), 6.0 / mmpx, rng)
    n_pores = int(area_cm2 * 100 * 0.6)
    pore = spots((H, W), n_pores, (0.08 / mmpx, 0.16 / mmpx), rng=rng, where=skin)
    micro = 0.022 * fine + 0.012 * smooth_noise((H, W), 0.12 / mmpx, rng)
    lum = scene.shading * (1.0 + micro) * (1.0 - 0.10 * np.minimum(pore, 1.0) * scene.pore_density)
    sp = np.clip(0.8 + 0.35 * smooth_noise((H, W), 2.0 / mmpx, rng) - 0.15 * fine, 0, None)
    spec = scene.spec_map * sp * sp * (1.0 - 0.5 * np.minimum(pore, 1.0))
    # body hair: dark strokes; white ones inside leukotrichia patches
    hair_dark = hair_white = None
    if scene.hair_density_cm2 > 0 and scene.hair_where is not None:
        where = scene.hair_where
        n = int(float(where.sum()) * mmpx * mmpx / 100.0 * scene.hair_density_cm2)
        ys, xs = np.nonzero(where)
        if n > 0 and ys.size:
            pick = rng.integers(0, ys.size, n)
            st = np.stack([xs[pick], ys[pick]], 1).astype(np.float64)
            ang = np.radians(scene.hair_angle_deg + rng.normal(0, 22, n))
            ln = rng.uniform(*scene.hair_len_mm, n) / mmpx
            white = np.zeros(n, bool)
            if white_hair_where is not None:
                white = white_hair_where[ys[pick], xs[pick]]
            thick = max(int(round(0.06 / mmpx)), 1)
            val = int(np.clip(0.08 / mmpx, 0.15, 0.85) * 255)
            canv = [np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint8)]
            ends = st + np.stack([np.cos(ang), np.sin(ang)], 1) * ln[:, None]
            for i in range(n):
                cv2.line(canv[int(white[i])], (int(st[i, 0] * 16), int(st[i, 1] * 16)),
                         (int(ends[i, 0] * 16), int(ends[i, 1] * 16)), val, thick, cv2.LINE_AA, 4)
            hair_dark, hair_white = (soften(c, 0.35) for c in canv)
    normal_lin = lab_to_linear(normal_lab).astype(np.float32)
    depig_lin = lab_to_linear(depig_lab).astype(np.float32)
    # calibrate: the median rendered colour in the reference region equals the nominal colour
    ref = scene.ref_region
    if ref.sum() >= 20:
        mel_r, hb_r, lum_r = mel[ref], hb[ref], lum[ref]
        for c in range(3):
            hbm = np.exp(-A_HB[c] * hb_r) * lum_r
            normal_lin[c] *= normal_lin[c] / float(np.median(normal_lin[c] * np.exp(-A_MEL[c] * mel_r) * hbm))
            depig_lin[c] *= depig_lin[c] / float(np.median(depig_lin[c] * np.exp(-0.3 * A_HB[c] * hb_r) * hbm))
    woods_scale = float(np.clip(normal_lab[0] / 70.0, 0.2, 1.2) ** 2.5)
    bg = make_background((H, W), background, rng=rng, mm_per_px=mmpx)
    return SkinTextures(mel.astype(np.float32), hb.astype(np.float32), lum.astype(np.float32), spec.astype(np.float32),
                        hair_dark, hair_white, np.asarray(hair_lin, np.float32), normal_lin, depig_lin, woods_scale, bg)


class Background:
    """Background radiance: ``map (H, W) x colour (3,)`` (drapes, walls) or a full image.

    ``channel(c, woods)`` returns channel ``c`` as (H, W) float32 without building an
    (H, W, 3) array for the plain backgrounds (speed at 12+ MP).
    """

    def __init__(self, vis_map=None, vis_col=None, woods_col=None, vis_img=None, woods_img=None):
        self.vis_map, self.vis_col, self.woods_col = vis_map, vis_col, woods_col
        self.vis_img, self.woods_img = vis_img, woods_img

    def channel(self, c: int, woods: bool) -> np.ndarray:
        if self.vis_img is not None:
            return (self.woods_img if woods else self.vis_img)[..., c]
        return self.vis_map * np.float32((self.woods_col if woods else self.vis_col)[c])

    def image(self, woods: bool) -> np.ndarray:
        """The full (H, W, 3) background."""
        return np.stack([self.channel(c, woods) for c in range(3)], axis=-1)


def make_background(shape, kind: str, *, rng, mm_per_px: float) -> Background:
    """Background in linear RGB for visible light and Wood's lamp.

    ``"dark"``: dark non-reflective drape (clinical standard); ``"light"``: pale wall or
    sheet; ``"busy"``: an out-of-focus clinic room.

    Examples
    --------
    >>> bg = make_background((40, 60), "busy", rng=np.random.default_rng(0), mm_per_px=1.0)
    >>> bg.image(False).shape, bg.channel(2, True).shape
    ((40, 60, 3), (40, 60))
    """
    H, W = int(shape[0]), int(shape[1])
    hl, wl = max(H // 8, 8), max(W // 8, 8)
    folds = cv2.resize(np.exp(0.25 * smooth_noise((hl, wl), 60 / mm_per_px / 8, rng)), (W, H), interpolation=cv2.INTER_LINEAR)
    if kind == "dark":
        col = hex_lin([(22, 24, 30), (18, 18, 20), (20, 26, 40), (28, 22, 22)][int(rng.integers(4))])
        return Background(folds.astype(np.float32), col, np.array([0.003, 0.002, 0.009], np.float32))
    if kind == "light":
        col = hex_lin([(200, 198, 190), (186, 192, 198), (214, 206, 192)][int(rng.integers(3))])
        yy = np.linspace(1.05, 0.9, hl, dtype=np.float32)[:, None]
        low = yy * np.exp(0.05 * smooth_noise((hl, wl), 80 / mm_per_px / 8, rng))
        m = cv2.resize(low.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
        return Background(m, col, np.array([0.012, 0.011, 0.035], np.float32))
    vis = np.empty((H, W, 3), np.float32)
    vis[:] = hex_lin([(170, 160, 140), (150, 165, 170)][int(rng.integers(2))])
    for _ in range(int(rng.integers(6, 12))):
        c = hex_lin(rng.integers(20, 235, 3))
        x0, y0 = int(rng.integers(-W // 4, W)), int(rng.integers(-H // 4, H))
        w, h = int(rng.integers(W // 12, W // 2)), int(rng.integers(H // 10, H // 1.5))
        if rng.random() < 0.3:
            cv2.ellipse(vis, (x0, y0), (w // 2, h // 3), 0, 0, 360, c.tolist(), -1)
        else:
            cv2.rectangle(vis, (x0, y0), (x0 + w, y0 + h), c.tolist(), -1)
    for _ in range(int(rng.integers(2, 5))):
        c = hex_lin(rng.integers(10, 90, 3))
        x = int(rng.integers(0, W))
        cv2.line(vis, (x, 0), (x + int(rng.integers(-W // 8, W // 8)), H), c.tolist(), max(W // 150, 1))
    vis = cv2.GaussianBlur(vis, (0, 0), max(3.0 / mm_per_px, 1.0)) * folds[..., None]
    wds = 0.08 * vis * np.array([0.3, 0.3, 1.0], np.float32)
    return Background(vis_img=np.ascontiguousarray(vis, np.float32), woods_img=np.ascontiguousarray(wds, np.float32))


def compose(scene: Scene, tex: SkinTextures, d: np.ndarray, *, modality: str, spec_strength: float = 0.06) -> np.ndarray:
    """Linear RGB (H, W, 3) float32 of the scene with depigmentation strength ``d``.

    Parameters
    ----------
    scene : Scene
    tex : SkinTextures
    d : numpy.ndarray, float32 (H, W)
        Depigmentation strength 0 (normal) .. 1 (no melanin).
    modality : {"visible", "woods"}
    spec_strength : float
        Peak specular reflection (linear, relative to a white reflector).

    Returns
    -------
    numpy.ndarray
    """
    H, W = scene.shape
    sa = scene.skin_alpha
    out = np.empty((H, W, 3), np.float32)
    woods = modality == "woods"
    one_d = 1.0 - d
    if woods:
        mel = cv2.exp(tex.mel * np.float32(-0.7))
        lum = tex.lum * (0.85 + 0.15 * cv2.exp(tex.hb * np.float32(-3.0)))
        for c in range(3):
            skin = (WOODS_DEPIG[c] * d + (WOODS_NORMAL[c] * tex.woods_scale) * mel * one_d) * lum
            out[..., c] = tex.background.channel(c, True) * (1 - sa) + skin * sa
    else:
        for c in range(3):
            ahb = float(A_HB[c])
            # exp(-a h) to second order (|a h| < 0.2 here): cheaper than exp at 12+ MP
            x = tex.hb * np.float32(ahb)
            hbm = 1.0 - x + 0.5 * x * x
            x *= np.float32(0.3)
            hbd = 1.0 - x + 0.5 * x * x
            skin = (np.float32(tex.depig_lin[c]) * hbd) * d
            skin += np.float32(tex.normal_lin[c]) * cv2.exp(tex.mel * np.float32(-A_MEL[c])) * one_d
            skin *= hbm
            skin *= tex.lum
            skin *= sa
            skin += tex.background.channel(c, False) * (1 - sa)
            out[..., c] = skin

    for lay in scene.layers:
        ys, xs = lay.slices
        a = lay.alpha[..., None]
        col = lay.woods if woods else lay.colour
        val = np.broadcast_to(col, (a.shape[0], a.shape[1], 3)).astype(np.float32)
        if lay.texture > 0:
            val = val * (scene.shading[ys, xs] ** lay.texture)[..., None]
        if lay.pattern is not None:
            val = val * lay.pattern[..., None]
        out[ys, xs] = out[ys, xs] * (1 - a) + val * a
    for hm, col_vis, col_w in ((tex.hair_dark, tex.hair_lin, np.array([0.004, 0.003, 0.01], np.float32)),
                               (tex.hair_white, np.array([0.62, 0.60, 0.56], np.float32), np.array([0.35, 0.40, 0.85], np.float32))):
        if hm is not None:
            a = hm[..., None]
            col = (col_w if woods else col_vis) * scene.shading[..., None]
            out *= 1 - a
            out += col * a
    s = (tex.spec * sa * spec_strength)[..., None]
    tint = np.array([0.5, 0.25, 1.0], np.float32) * 0.35 if woods else np.array([1.0, 0.98, 0.95], np.float32)
    out += s * tint
    return out
