"""Frontal face scene: face oval, hair and hairline, eyebrows, eyes, nose, lips, ears, neck.

Geometry is laid out in millimetres in a face frame (origin between the eyes, x to the
subject's left on the image right, y down) and drawn in pixels. Typical adult dimensions:
face width ~150 mm, eye centres 62 mm apart, eye to chin ~115 mm, mouth 50 mm wide.

Assessed region (F-VASI facial area, SPEC.md §1): facial skin from the hairline down to the
jawline and laterally to the tragus, nose and eyelids included; excluded are the eye
openings, lips (vermilion), nostrils, **eyebrows** (hair-bearing: the skin under brow hair
cannot be graded in a photo), scalp hair, ears, neck and background.
"""

from __future__ import annotations

import cv2
import numpy as np

from .scene import Layer, Scene, hex_lin, low_shape, poly_mask, soften, upsample
from .shapes import smooth_noise
from .skin import lab_to_linear

__all__ = ["face_scene"]

HAIR_SRGB = {
    "I": [(176, 138, 92), (128, 86, 54), (150, 80, 45)],
    "II": [(112, 78, 48), (86, 60, 38), (150, 116, 72)],
    "III": [(62, 44, 31), (48, 34, 26)],
    "IV": [(34, 27, 22), (28, 22, 19)],
    "V": [(26, 21, 18), (22, 18, 16)],
    "VI": [(22, 18, 16), (18, 15, 14)],
}
IRIS_SRGB = {
    "I": [(92, 122, 150), (104, 124, 108), (112, 96, 70)],
    "II": [(96, 112, 124), (102, 80, 56), (82, 62, 42)],
    "III": [(76, 52, 34), (58, 40, 26)],
    "IV": [(56, 38, 25), (44, 30, 21)],
    "V": [(42, 29, 20), (36, 25, 18)],
    "VI": [(36, 25, 18), (30, 22, 16)],
}
CLOTH_SRGB = [(42, 52, 82), (118, 120, 126), (206, 210, 214), (70, 112, 122), (36, 36, 40)]


class _Frame:
    """mm (face frame) <-> px mapping."""

    def __init__(self, cx, cy, px_per_mm, angle_deg):
        self.cx, self.cy, self.k = cx, cy, px_per_mm
        t = np.radians(angle_deg)
        self.c, self.s = np.cos(t), np.sin(t)

    def px(self, pts):
        p = np.asarray(pts, np.float64).reshape(-1, 2)
        x = self.cx + self.k * (p[:, 0] * self.c - p[:, 1] * self.s)
        y = self.cy + self.k * (p[:, 0] * self.s + p[:, 1] * self.c)
        return np.stack([x, y], 1)

    def mm_grid(self, shape_low, scale):
        h, w = shape_low
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        X = (xx + 0.5) / scale - 0.5 - self.cx
        Y = (yy + 0.5) / scale - 0.5 - self.cy
        return (X * self.c + Y * self.s) / self.k, (-X * self.s + Y * self.c) / self.k


def _g(x, y, cx, cy, sx, sy):
    return np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def _ellipse_pts(cx, cy, a, b, n=72, rot_deg=0.0):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.radians(rot_deg)
    x, y = a * np.cos(t), b * np.sin(t)
    return np.stack([cx + x * np.cos(r) - y * np.sin(r), cy + x * np.sin(r) + y * np.cos(r)], 1)


def _head_outline(jaw=1.0, n=160):
    t = np.linspace(np.pi, 2 * np.pi, n // 2)  # upper half (y < 0), left to right over the top
    upper = np.stack([76 * np.cos(t), -10 + 118 * np.sin(t)], 1)
    ys = np.linspace(-10, 115, n // 2)
    yy = np.clip(ys, 0, None)
    half = 75.7 * np.sqrt(np.clip(1 - (yy / 115) ** 2.4, 0, 1)) * (1 - 0.15 * jaw * (yy / 115) ** 1.5)
    half = np.where(ys < 0, 76.0, half)
    right = np.stack([half, ys], 1)
    left = np.stack([-half[::-1], ys[::-1]], 1)
    return np.concatenate([upper, right, left], 0)


def _layer(name, mask, sigma, colour, woods, texture=1.0, pattern_fn=None):
    """Crop a full-frame mask to its box and soften it."""
    a = np.asarray(mask)
    bx, by, bw, bh = cv2.boundingRect((a > 0).astype(np.uint8))
    if bw == 0 or bh == 0:
        return None
    pad = int(3 * sigma + 2)
    y0, y1 = max(by - pad, 0), min(by + bh + pad, a.shape[0])
    x0, x1 = max(bx - pad, 0), min(bx + bw + pad, a.shape[1])
    alpha = soften(a[y0:y1, x0:x1], sigma)
    pat = pattern_fn(alpha.shape) if pattern_fn is not None else None
    return Layer(name, int(y0), int(x0), alpha, np.asarray(colour, np.float32), np.asarray(woods, np.float32), texture, pat)


def _strokes(shape, starts, angles, lengths, thickness=1):
    m = np.zeros(shape, np.uint8)
    ends = starts + np.stack([np.cos(angles), np.sin(angles)], 1) * lengths[:, None]
    s16 = np.round(starts * 16).astype(np.int64)
    e16 = np.round(ends * 16).astype(np.int64)
    for (x0, y0), (x1, y1) in zip(s16, e16, strict=False):
        cv2.line(m, (int(x0), int(y0)), (int(x1), int(y1)), 255, thickness, cv2.LINE_AA, 4)
    return m


def face_scene(shape, mm_per_px, *, rng, skin_lab, skin_type) -> Scene:
    """Build a frontal face scene.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` in px.
    mm_per_px : float
        Scale at the face plane.
    rng : numpy.random.Generator
        Source of randomness (face proportions, hair and eye colour, clothing).
    skin_lab : array_like (3,)
        Normal skin CIELAB (for lips and nostrils).
    skin_type : str
        Fitzpatrick type (hair and iris colour).

    Returns
    -------
    Scene

    Examples
    --------
    >>> sc = face_scene((90, 120), 3.3, rng=np.random.default_rng(0), skin_lab=(60, 10, 17), skin_type="III")
    >>> bool(sc.roi.any()) and bool((sc.roi <= (sc.skin_alpha > 0.5)).all())
    True
    """
    H, W = int(shape[0]), int(shape[1])
    k = 1.0 / mm_per_px * rng.uniform(0.94, 1.06)
    fr = _Frame(W / 2 + rng.uniform(-0.03, 0.03) * W, 0.50 * H + rng.uniform(-0.015, 0.015) * H, k, rng.uniform(-4, 4))
    mmpx = 1.0 / k
    jaw = rng.uniform(0.6, 1.4)

    head = poly_mask((H, W), fr.px(_head_outline(jaw)))
    ears = np.maximum(poly_mask((H, W), fr.px(_ellipse_pts(-73, 18, 12, 30, rot_deg=8))),
                      poly_mask((H, W), fr.px(_ellipse_pts(73, 18, 12, 30, rot_deg=-8))))
    # neck and shoulders (skin, mostly covered by clothing at the bottom)
    neck_pts = [(-50, 60), (50, 60), (53, 120), (60, 140), (100, 158), (175, 178), (230, 200), (260, 240), (260, 400), (-260, 400), (-260, 240), (-230, 200), (-175, 178), (-100, 158), (-60, 140), (-53, 120)]
    neck = poly_mask((H, W), fr.px(neck_pts))
    skin_u8 = np.maximum(np.maximum(head, ears), neck)
    # hair
    xs_mm = np.linspace(-96, 96, 193)
    wig = rng.uniform(-1, 1) * 4
    hl = -70 + wig + 9.0 * np.abs(xs_mm / 50.0) ** 6 + 1.5 * np.sin(xs_mm / 6.0 + rng.uniform(0, 6))
    hl = np.minimum(hl, 25.0)
    vol = 90.0 * rng.uniform(0.97, 1.06)
    top = -20 - 135 * np.sqrt(np.clip(1 - (xs_mm / vol) ** 2, 0, 1))
    bottom = -20 + 135 * np.sqrt(np.clip(1 - (xs_mm / vol) ** 2, 0, 1))
    low = np.minimum(hl, bottom)
    ok = low > top
    hair_pts = np.concatenate([np.stack([xs_mm[ok], low[ok]], 1), np.stack([xs_mm[ok][::-1], top[ok][::-1]], 1)])
    hair_u8 = poly_mask((H, W), fr.px(hair_pts))
    # eyes (openings), brows, nose, lips
    ex = 31.0 + rng.uniform(-1.5, 1.5)
    eye_open = np.zeros((H, W), np.uint8)
    eye_polys = []
    for sgn in (-1, 1):
        xe = np.linspace(-14, 14, 40)
        up = -6.0 * (1 - (xe / 14) ** 2) ** 0.9 - 0.8 * sgn * xe / 14 * (1 - (xe / 14) ** 2)
        lo = 4.2 * (1 - (xe / 14) ** 2) ** 1.1
        pts = np.concatenate([np.stack([sgn * ex + xe, up], 1), np.stack([sgn * ex + xe[::-1], lo[::-1]], 1)])
        eye_polys.append(pts)
        eye_open = np.maximum(eye_open, poly_mask((H, W), fr.px(pts)))
    brow_u8 = np.zeros((H, W), np.uint8)
    brow_y = -21 + rng.uniform(-2, 2)
    for sgn in (-1, 1):
        t = np.linspace(0, 1, 30)
        bx = sgn * (12 + 40 * t)
        by = brow_y - 5 * np.sin(np.pi * np.clip(t * 1.1, 0, 1)) ** 1.2 + 2 * t
        th = 7.0 * (1 - 0.6 * t) + 1.0
        pts = np.concatenate([np.stack([bx, by - th / 2], 1), np.stack([bx[::-1], (by + th / 2)[::-1]], 1)])
        brow_u8 = np.maximum(brow_u8, poly_mask((H, W), fr.px(pts)))
    nostrils = np.maximum(poly_mask((H, W), fr.px(_ellipse_pts(-7.5, 46.0, 5.0, 2.6, rot_deg=18))),
                          poly_mask((H, W), fr.px(_ellipse_pts(7.5, 46.0, 5.0, 2.6, rot_deg=-18))))
    mw = 25.0 * rng.uniform(0.9, 1.1)
    my = 68.0 + rng.uniform(-2, 2)
    xl = np.linspace(-mw, mw, 60)
    u = xl / mw
    upper_top = my - 6.5 * (1 - u**2) ** 0.7 + 1.6 * np.exp(-((xl / 3.0) ** 2)) - 1.0 * np.exp(-(((np.abs(xl) - 7) / 3) ** 2))
    mid = my + 0.8 * (1 - u**2)
    lower_bot = my + 10.5 * (1 - u**2) ** 0.8
    lip_pts = np.concatenate([np.stack([xl, upper_top], 1), np.stack([xl[::-1], lower_bot[::-1]], 1)])
    lips_u8 = poly_mask((H, W), fr.px(lip_pts))

    face_skin = (head > 127) & ~(hair_u8 > 127)
    roi = face_skin & ~(eye_open > 127) & ~(brow_u8 > 127) & ~(lips_u8 > 127) & ~(nostrils > 127)

    # ---- smooth maps on a low-res grid ----
    sl, sc = low_shape((H, W))
    X, Y = fr.mm_grid(sl, sc)
    nx, ny = X / 76.0, (Y + 5) / 122.0
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0.0, 1.0))
    lx, ly, lz = rng.uniform(-0.35, 0.35), -0.25, 1.0
    ln = np.sqrt(lx * lx + ly * ly + lz * lz)
    lamb = np.clip((nx * lx + ny * ly + nz * lz) / ln, 0, 1)
    sh_head = 0.22 + 0.78 * lamb**1.1
    # features carved into the shading
    side = np.sign(lx) if lx != 0 else 1.0
    sh_head *= 1 - 0.16 * (_g(X, Y, -ex, -1, 16, 11) + _g(X, Y, ex, -1, 16, 11))  # eye sockets
    sh_head *= 1 - 0.10 * (_g(X, Y, -ex, -9, 12, 2.5) + _g(X, Y, ex, -9, 12, 2.5))  # lid crease
    for sgn in (-1, 1):
        shade = 0.30 if sgn == side else 0.14
        sh_head *= 1 - shade * _g(X, Y, sgn * 9.5, 22, 3.5, 16)  # nose sides
        sh_head *= 1 - 0.25 * _g(X, Y, sgn * 15.5, 41, 3.0, 5)  # alar crease
        sh_head *= 1 - 0.12 * _g(X, Y, sgn * 13, 46, 5, 2.5)  # under the alae
        yy = np.clip((Y - 44) / 28, 0, 1)
        sh_head *= 1 - 0.12 * np.exp(-0.5 * ((X - sgn * (17 + 12 * yy)) / 2.8) ** 2) * ((Y > 42) & (Y < 74))  # nasolabial
    sh_head *= 1 + 0.08 * _g(X, Y, 0, 15, 3.5, 20)  # nose bridge
    sh_head *= 1 - 0.15 * _g(X, Y, 0, 51, 7, 2.5)  # under-nose
    sh_head *= 1 - 0.22 * _g(X, Y, 0, my + 14, 14, 3.0)  # under lower lip
    sh_head *= 1 - 0.18 * _g(X, Y, 0, my + 1, mw, 1.0)  # mouth line shading
    # neck: cylinder, shadow under the jaw
    nn = np.clip(X / 60.0, -1, 1)
    jaw_y = 115 * np.sqrt(np.clip(1 - (np.abs(X) / 76) ** 2, 0, 1))
    sh_neck = (0.45 + 0.4 * np.sqrt(1 - nn**2)) * (1 - 0.45 * np.exp(-np.clip(Y - jaw_y, 0, None) / 18.0))
    head_low = cv2.resize(np.maximum(head, ears), (sl[1], sl[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    head_low = cv2.GaussianBlur(head_low, (0, 0), max(2.0 / mmpx * sc, 0.5))
    shading_low = sh_head * head_low + sh_neck * (1 - head_low)
    ear_w = _g(np.abs(X), Y, 73, 18, 9, 22)
    shading_low *= 1 - 0.25 * ear_w * (np.abs(X) > 75)
    # normalise: 1.0 at the cheek / forehead reference
    ref_low = (_g(X, Y, -38, 28, 10, 8) + _g(X, Y, 38, 28, 10, 8) + _g(X, Y, 0, -48, 18, 5)) > 0.5
    shading_low /= float(np.median(shading_low[ref_low])) if ref_low.any() else 1.0
    shading = upsample(shading_low, (H, W))

    spec_low = (0.55 * _g(X, Y, 0, -45, 26, 11) + 0.9 * _g(X, Y, 0, 20, 3.2, 18) + 1.0 * _g(X, Y, 0, 39, 5, 4)
                + 0.4 * (_g(X, Y, -40, 12, 9, 7) + _g(X, Y, 40, 12, 9, 7)) + 0.3 * _g(X, Y, 0, 103, 10, 6))
    spec_low += 0.5 * _g(X, Y, 0, my + 6, mw * 0.5, 2.0) + 0.35 * _g(X, Y, 0, my - 3, mw * 0.5, 1.5)
    red_low = (0.10 * (_g(X, Y, -42, 30, 17, 14) + _g(X, Y, 42, 30, 17, 14)) + 0.12 * _g(X, Y, 0, 38, 9, 9)
               + 0.04 * _g(X, Y, 0, 100, 15, 10))
    pore_low = 0.35 + 0.65 * np.clip(_g(X, Y, 0, 32, 12, 14) + _g(X, Y, -38, 28, 20, 16) + _g(X, Y, 38, 28, 20, 16)
                                     + 0.5 * _g(X, Y, 0, -45, 35, 14), 0, 1)
    spec_map = upsample(spec_low.astype(np.float32), (H, W))
    redness = upsample(red_low.astype(np.float32), (H, W))
    pores = upsample(pore_low.astype(np.float32), (H, W))

    # patch centres: the assessed region, eroded, favouring periocular / perioral skin
    core = cv2.distanceTransform(roi.astype(np.uint8), cv2.DIST_L2, 3) > 4.0 / mmpx
    w_low = (1.0 + 2.0 * (_g(X, Y, 0, 75, 30, 16)) + 1.5 * (_g(X, Y, -ex, 0, 20, 14) + _g(X, Y, ex, 0, 20, 14))
             + 0.8 * _g(X, Y, 0, -45, 40, 15))
    patch_prob = upsample(w_low.astype(np.float32), (H, W)) * core
    ref_region = (upsample(ref_low.astype(np.float32), (H, W)) > 0.5) & (spec_map < 0.08)
    ref_region &= roi

    # ---- layers ----
    skin_lin = lab_to_linear(skin_lab)
    hair_srgb = HAIR_SRGB[skin_type][int(rng.integers(len(HAIR_SRGB[skin_type])))]
    hair_lin = hex_lin(hair_srgb)
    iris_lin = hex_lin(IRIS_SRGB[skin_type][int(rng.integers(len(IRIS_SRGB[skin_type])))])
    L, a, b = (float(v) for v in skin_lab)
    lip_lin = lab_to_linear([L - 7.0 - 0.06 * max(L - 45, 0), a + 6.0 + 0.12 * max(L - 40, 0), b - 1.5])
    cloth_lin = hex_lin(CLOTH_SRGB[int(rng.integers(len(CLOTH_SRGB)))])
    cloth_woods = (np.array([0.30, 0.34, 0.85], np.float32) if cloth_lin.mean() > 0.45
                   else np.array([0.012, 0.008, 0.03], np.float32))
    layers = []

    def hair_pattern(shp, strand_mm=0.5, along=25.0):
        gh = max(int(shp[0] / max(along / mmpx, 1)), 2)
        gw = max(int(shp[1] / max(strand_mm / mmpx, 1)), 2)
        n = rng.standard_normal((gh, gw)).astype(np.float32)
        n = cv2.resize(n, (shp[1], shp[0]), interpolation=cv2.INTER_LINEAR)
        coarse = smooth_noise(shp, 12.0 / mmpx, rng)
        return np.exp(0.28 * n + 0.15 * coarse).astype(np.float32)

    # scalp hair: strands, ellipsoid shading, sheen, wispy hairline
    lay = _layer("hair", hair_u8, max(0.7 / mmpx, 0.6), hair_lin, [0.010, 0.008, 0.028], 0.0)
    if lay is not None:
        hh, ww = lay.alpha.shape
        strands = np.log(hair_pattern((hh, ww)))
        strands = strands / max(float(strands.std()), 1e-6)
        yy, xx = np.mgrid[0:hh, 0:ww].astype(np.float32)
        Xp, Yp = xx + lay.x0 - fr.cx, yy + lay.y0 - fr.cy
        Xh, Yh = (Xp * fr.c + Yp * fr.s) / k, (-Xp * fr.s + Yp * fr.c) / k
        hx, hy = Xh / 92.0, (Yh + 20.0) / 130.0
        hz = np.sqrt(np.clip(1 - hx * hx - hy * hy, 0.0, 1.0))
        hl_lamb = np.clip((hx * lx + hy * ly + hz * lz) / ln, 0, 1)
        sheen = np.exp(-0.5 * ((Yh - (-98 + 0.006 * Xh * Xh)) / 9.0) ** 2) * np.clip(0.6 + 0.4 * strands, 0, None)
        lay.pattern = (np.exp(0.22 * strands) * (0.3 + 0.7 * hl_lamb**1.3) * (1 + 1.2 * sheen)).astype(np.float32)
        edge = lay.alpha < 0.98
        lay.alpha = np.where(edge, lay.alpha * np.clip(0.55 + 0.45 * strands, 0, 1), lay.alpha).astype(np.float32)
        layers.append(lay)
    # eyes: sclera, iris, pupil, catch light
    for i, sgn in enumerate((-1, 1)):
        eo = poly_mask((H, W), fr.px(eye_polys[i]))
        layers.append(_layer("sclera", eo, 0.5, hex_lin((214, 204, 196)) * 0.62, [0.10, 0.12, 0.38], 0.8))
        gx = rng.uniform(-1.5, 1.5)
        ic = (sgn * ex + gx, -0.5)
        iris = cv2.bitwise_and(poly_mask((H, W), fr.px(_ellipse_pts(*ic, 5.9, 5.9))), eo)
        layers.append(_layer("iris", iris, 0.6, iris_lin, [0.008, 0.008, 0.02], 0.5,
                             lambda s: np.exp(0.25 * smooth_noise(s, 0.6 / mmpx, rng)).astype(np.float32)))
        pupil = cv2.bitwise_and(poly_mask((H, W), fr.px(_ellipse_pts(*ic, 2.3, 2.3))), eo)
        layers.append(_layer("pupil", pupil, 0.5, [0.004, 0.0035, 0.0035], [0.0, 0.0, 0.004], 0.0))
        catch = cv2.bitwise_and(poly_mask((H, W), fr.px(_ellipse_pts(ic[0] + 1.6, ic[1] - 1.8, 0.6, 0.55))), eo)
        layers.append(_layer("catchlight", catch, 0.5, [0.85, 0.85, 0.85], [0.3, 0.2, 0.6], 0.0))
        # lid shadow at the top of the opening
        lidsh = poly_mask((H, W), fr.px(np.concatenate([eye_polys[i][:40], (eye_polys[i][:40] + [0, 1.4])[::-1]])))
        layers.append(_layer("lid_shadow", cv2.bitwise_and(lidsh, eo), 0.8, hex_lin(hair_srgb) * 0.5, [0.004, 0.003, 0.01], 0.0))
        # lash line and lashes
        upper = fr.px(eye_polys[i][:40])
        lash = np.zeros((H, W), np.uint8)
        cv2.polylines(lash, [np.round(upper * 16).astype(np.int32).reshape(-1, 1, 2)], False, 255,
                      max(int(round(0.9 / mmpx)), 1), cv2.LINE_AA, 4)
        idx = rng.integers(3, 37, 70)
        ang_out = np.radians(-90 + sgn * np.linspace(-50, 50, 40)[idx] * 0.8 + rng.normal(0, 8, idx.size) + np.degrees(np.arctan2(fr.s, fr.c)))
        lash = np.maximum(lash, _strokes((H, W), upper[idx], ang_out, rng.uniform(2, 4.5, idx.size) / mmpx, thickness=1))
        lower = fr.px(eye_polys[i][40:])
        cv2.polylines(lash, [np.round(lower * 16).astype(np.int32).reshape(-1, 1, 2)], False, 150, 1, cv2.LINE_AA, 4)
        layers.append(_layer("lashes", lash, 0.4, hex_lin(hair_srgb) * 0.35, [0.004, 0.003, 0.01], 0.0))
    # eyebrows: tinted skin plus hair strokes along the brow
    ys, xs = np.nonzero(brow_u8 > 127)
    if ys.size:
        n = int(ys.size * mmpx * mmpx / 0.35)
        pick = rng.integers(0, ys.size, max(n, 1))
        st = np.stack([xs[pick], ys[pick]], 1).astype(np.float64)
        xmm = ((st[:, 0] - fr.cx) * fr.c + (st[:, 1] - fr.cy) * fr.s) / k
        ang = np.where(xmm < 0, np.pi + 0.25, -0.25) + np.where(np.abs(xmm) < 20, -np.sign(xmm) * 0.9, 0) + rng.normal(0, 0.15, xmm.size) + np.arctan2(fr.s, fr.c)
        strokes = _strokes((H, W), st, ang, rng.uniform(3, 7, xmm.size) / mmpx)
        brow = np.maximum((brow_u8.astype(np.float32) * 0.3).astype(np.uint8), (strokes * 0.8).astype(np.uint8))
        layers.append(_layer("eyebrows", brow, 0.35, hair_lin * 0.8, [0.008, 0.006, 0.02], 0.2))
    layers.append(_layer("nostrils", nostrils, max(0.7 / mmpx, 0.6), skin_lin * 0.22, [0.002, 0.002, 0.006], 0.2))
    layers.append(_layer("lips", lips_u8, max(0.5 / mmpx, 0.6), lip_lin, [0.02, 0.012, 0.05], 1.0,
                         lambda s: np.exp(0.06 * smooth_noise(s, 0.5 / mmpx, rng)).astype(np.float32)))
    # alar creases and inner ears
    crease = np.zeros((H, W), np.uint8)
    for sgn in (-1, 1):
        t = np.radians(np.linspace(-70, 160, 30))
        arc = np.stack([sgn * (14.0 + 6.5 * np.cos(t)), 41.5 - 6.5 * np.sin(t)], 1)
        cv2.polylines(crease, [np.round(fr.px(arc) * 16).astype(np.int32).reshape(-1, 1, 2)], False, 120,
                      max(int(round(0.6 / mmpx)), 1), cv2.LINE_AA, 4)
    layers.append(_layer("alar_crease", crease, max(0.5 / mmpx, 0.5), skin_lin * 0.35, [0.004, 0.003, 0.012], 0.5))
    inner = np.maximum(poly_mask((H, W), fr.px(_ellipse_pts(-77, 20, 5.5, 17, rot_deg=8))),
                       poly_mask((H, W), fr.px(_ellipse_pts(77, 20, 5.5, 17, rot_deg=-8))))
    inner = cv2.bitwise_and(inner, cv2.bitwise_not(head))
    layers.append(_layer("ear_inner", (inner * 0.5).astype(np.uint8), max(1.2 / mmpx, 0.6), skin_lin * 0.45, [0.006, 0.004, 0.02], 0.5))
    mouth = np.zeros((H, W), np.uint8)
    cv2.polylines(mouth, [np.round(fr.px(np.stack([xl, mid], 1)) * 16).astype(np.int32).reshape(-1, 1, 2)], False, 255,
                  max(int(round(0.8 / mmpx)), 1), cv2.LINE_AA, 4)
    layers.append(_layer("mouth_line", mouth, max(0.4 / mmpx, 0.5), lip_lin * 0.25, [0.004, 0.003, 0.01], 0.0))
    # clothing over the shoulders
    xc = np.linspace(-300, 300, 80)
    neckline = 150 + rng.uniform(-8, 12) + 0.0022 * xc**2 - 30 * np.exp(-((xc / 45) ** 2)) * rng.uniform(0, 1)
    shoulder = 150 + 0.15 * np.clip(np.abs(xc) - 60, 0, None)
    neckline = -4.0 * np.logaddexp(-neckline / 4.0, -shoulder / 4.0)  # smooth minimum
    neckline = np.convolve(np.pad(neckline, 3, mode="edge"), np.ones(7) / 7, mode="valid")
    cloth_pts = np.concatenate([np.stack([xc, neckline], 1), [[300, 600], [-300, 600]]])
    cloth = poly_mask((H, W), fr.px(cloth_pts))
    layers.append(_layer("clothing", cloth, max(0.8 / mmpx, 0.6), cloth_lin, cloth_woods, 0.5,
                         lambda s: np.exp(0.12 * smooth_noise(s, 25 / mmpx, rng) + 0.03 * smooth_noise(s, 1 / mmpx, rng)).astype(np.float32)))
    layers = [lay for lay in layers if lay is not None]

    skin_alpha = soften(skin_u8, max(0.6 / mmpx, 0.5))
    return Scene(
        shape=(H, W), mm_per_px=float(mm_per_px), site="face", skin_alpha=skin_alpha, roi=roi,
        shading=shading, patch_prob=patch_prob.astype(np.float32), ref_region=ref_region,
        spec_map=spec_map, redness=redness, pore_density=pores, layers=layers,
        hair_density_cm2=0.0, hair_len_mm=(1.0, 2.5), hair_angle_deg=90.0,
        hair_where=None, patch_radius_mm=(4.0, 22.0), n_patches=(2, 6),
        references_at={"marker": (0.55, 0.16), "chart": (0.12, 0.78)},
    )
