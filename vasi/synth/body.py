"""Body-site scenes: forearm with hand (dorsal view) and front trunk.

The assessed region of a body site is the skin of the site visible in the photo (forearm +
hand without nails; trunk without arms, neck, areolae kept, underwear excluded).
"""

from __future__ import annotations

import cv2
import numpy as np

from .face import CLOTH_SRGB, HAIR_SRGB, _ellipse_pts, _layer
from .scene import Scene, hex_lin, low_shape, poly_mask, soften, upsample
from .shapes import smooth_noise
from .skin import lab_to_linear

__all__ = ["forearm_scene", "trunk_scene"]


def _rot(pts, c, ang_deg, k):
    t = np.radians(ang_deg)
    p = np.asarray(pts, np.float64)
    x = c[0] + k * (p[:, 0] * np.cos(t) - p[:, 1] * np.sin(t))
    y = c[1] + k * (p[:, 0] * np.sin(t) + p[:, 1] * np.cos(t))
    return np.stack([x, y], 1)


def _capsule(x0, y0, x1, y1, r, n=24):
    ang = np.arctan2(y1 - y0, x1 - x0)
    t1 = np.linspace(ang + np.pi / 2, ang + 3 * np.pi / 2, n)
    t2 = np.linspace(ang - np.pi / 2, ang + np.pi / 2, n)
    return np.concatenate([np.stack([x0 + r * np.cos(t1), y0 + r * np.sin(t1)], 1),
                           np.stack([x1 + r * np.cos(t2), y1 + r * np.sin(t2)], 1)])


def _smooth_u8(mask_u8, sigma_px):
    """Round off polygon corners: blur and re-threshold."""
    if sigma_px < 0.5:
        return mask_u8
    b = cv2.GaussianBlur(mask_u8, (0, 0), sigma_px)
    return np.where(b > 127, 255, 0).astype(np.uint8)


def _inflate_shading(mask_u8, radius_px, shape, ambient=0.45):
    sl, sc = low_shape(shape)
    low = cv2.resize(mask_u8, (sl[1], sl[0]), interpolation=cv2.INTER_AREA)
    dist = cv2.distanceTransform((low > 127).astype(np.uint8), cv2.DIST_L2, 5) / max(radius_px * sc, 1e-3)
    n = np.clip(dist, 0, 1)
    z = np.sqrt(np.clip(1 - (1 - n) ** 2, 0, 1))
    return ambient + (1 - ambient) * z, sl, sc


def forearm_scene(shape, mm_per_px, *, rng, skin_lab, skin_type) -> Scene:
    """Forearm and hand (dorsal view) lying across the frame on a drape.

    Examples
    --------
    >>> sc = forearm_scene((90, 120), 4.0, rng=np.random.default_rng(0), skin_lab=(60, 10, 17), skin_type="III")
    >>> bool(sc.roi.any())
    True
    """
    H, W = int(shape[0]), int(shape[1])
    k = 1.0 / mm_per_px * rng.uniform(0.95, 1.05)
    mmpx = 1.0 / k
    c = (W * 0.50 + rng.uniform(-0.03, 0.03) * W, H * 0.5 + rng.uniform(-0.05, 0.05) * H)
    ang = rng.uniform(-10, 10)
    # arm axis along +x, wrist at x=0, elbow side off-frame at x<0 (mm)
    wr = 26.0 * rng.uniform(0.95, 1.08)
    el = 38.0 * rng.uniform(0.95, 1.1)
    xs = np.linspace(-400, 0, 40)
    half = wr + (el - wr) * (np.clip(-xs / 260, 0, 1) ** 0.8)
    bulge = 4 * np.exp(-(((xs + 200) / 70) ** 2))
    arm = np.concatenate([np.stack([xs, -half - bulge], 1), np.stack([xs[::-1], (half + 0.5 * bulge)[::-1]], 1)])
    off = np.array([40.0, 0.0])
    hand = [(-5, -29), (25, -36), (75, -40), (92, -36), (95, 34), (70, 40), (25, 34), (-5, 29)]
    arm_u8 = poly_mask((H, W), _rot(arm - off, c, ang, k))
    hand_u8 = poly_mask((H, W), _rot(np.asarray(hand, float) - off, c, ang, k))
    fingers = np.zeros((H, W), np.uint8)
    nails = np.zeros((H, W), np.uint8)
    spread = rng.uniform(3, 9)
    tips = []
    for i, (yb, ln, r) in enumerate([(-30, 72, 8.0), (-10, 82, 8.6), (10, 78, 8.4), (28, 62, 7.4)]):
        a = np.radians((i - 1.5) * spread)
        x0, y0 = 88.0, yb * 0.95
        x1, y1 = x0 + ln * np.cos(a), y0 + ln * np.sin(a)
        fingers = np.maximum(fingers, poly_mask((H, W), _rot(_capsule(x0, y0, x1, y1, r) - off, c, ang, k)))
        nx0, ny0 = x1 - 10 * np.cos(a), y1 - 10 * np.sin(a)
        nails = np.maximum(nails, poly_mask((H, W), _rot(_capsule(nx0 + 1.5 * np.cos(a), ny0 + 1.5 * np.sin(a), x1 - 2.5 * np.cos(a), y1 - 2.5 * np.sin(a), r * 0.52) - off, c, ang, k)))
        tips.append((x1, y1))
    # thumb along the upper side
    ta = np.radians(-38 - rng.uniform(0, 15))
    tx0, ty0 = 20.0, -30.0
    tx1, ty1 = tx0 + 62 * np.cos(ta), ty0 + 62 * np.sin(ta)
    fingers = np.maximum(fingers, poly_mask((H, W), _rot(_capsule(tx0, ty0, tx1, ty1, 11.0) - off, c, ang, k)))
    nails = np.maximum(nails, poly_mask((H, W), _rot(_capsule(tx1 - 11 * np.cos(ta), ty1 - 11 * np.sin(ta), tx1 - 2 * np.cos(ta), ty1 - 2 * np.sin(ta), 7.0) - off, c, ang, k)))
    skin_u8 = np.maximum(_smooth_u8(np.maximum(arm_u8, hand_u8), 6.0 / mmpx), _smooth_u8(fingers, 1.0 / mmpx))
    skin_u8 = _smooth_u8(skin_u8, 1.5 / mmpx)
    roi = (skin_u8 > 127) & ~(nails > 127)
    sh, sl, sc = _inflate_shading(skin_u8, 24.0 / mmpx, (H, W))
    # fingers are thin cylinders: their own, tighter shading profile
    shf, _, _ = _inflate_shading(_smooth_u8(fingers, 1.0 / mmpx), 6.0 / mmpx, (H, W), ambient=0.5)
    fl = cv2.resize(cv2.GaussianBlur(fingers, (0, 0), max(1.5 / mmpx, 0.5)), (sl[1], sl[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    hand_low = cv2.resize(hand_u8, (sl[1], sl[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    fl = cv2.GaussianBlur(fl * (1 - hand_low), (0, 0), max(4.0 / mmpx * sc, 0.5))
    sh = sh * (1 - fl) + np.minimum(shf, 0.97) * fl
    sh = sh / float(np.median(sh[sh > 0.9])) if (sh > 0.9).any() else sh
    # knuckle creases: subtle darker bands
    shading = upsample(sh.astype(np.float32), (H, W))
    spec_map = np.clip(shading - 0.95, 0, None).astype(np.float32) * 2.0
    redness = (0.03 + 0.02 * smooth_noise((H, W), 30 / mmpx, rng)).astype(np.float32)
    hand_region = cv2.dilate(np.maximum(hand_u8, fingers), np.ones((3, 3), np.uint8)) > 127
    redness += 0.05 * soften(hand_region, 8.0 / mmpx)
    pores = np.full((H, W), 0.3, np.float32)
    core = cv2.distanceTransform(roi.astype(np.uint8), cv2.DIST_L2, 3) > 5.0 / mmpx
    margin = np.zeros((H, W), bool)
    my, mx = int(0.06 * H), int(0.06 * W)
    margin[my:H - my, mx:W - mx] = True
    patch_prob = (core & margin).astype(np.float32)
    ref_region = (shading > 0.97) & core & margin & ~hand_region
    hair_where = (arm_u8 > 127) | ((hand_u8 > 127) & (rng.random() < 0.7))
    layers = []
    nail_lin = lab_to_linear([min(0.6 * skin_lab[0] + 32, 78), skin_lab[1] + 2, skin_lab[2] * 0.55])
    layers.append(_layer("nails", (nails * 0.85).astype(np.uint8), max(0.5 / mmpx, 0.5), nail_lin, [0.2, 0.2, 0.45], 1.0))
    # knuckle wrinkles (darker short arcs)
    wr_u8 = np.zeros((H, W), np.uint8)
    for (x1, y1) in tips:
        for fx in (0.45, 0.75):
            px, py = 88 + (x1 - 88) * fx, y1 * fx + 0.0
            pts = _rot(np.array([[px - 1.5, py - 5], [px + 1.0, py], [px - 1.5, py + 5]]) - off, c, ang, k)
            cv2.polylines(wr_u8, [np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)], False, 150, max(int(round(0.4 / mmpx)), 1), cv2.LINE_AA, 4)
    layers.append(_layer("creases", wr_u8, 0.6, lab_to_linear([skin_lab[0] - 15, skin_lab[1] + 2, skin_lab[2]]), [0.01, 0.01, 0.03], 1.0))
    # a sleeve at the elbow end
    sl_pts = _rot(np.array([[-420, -90], [-330 + rng.uniform(-20, 20), -80], [-320, 90], [-420, 95]]) - off, c, ang, k)
    cloth = hex_lin(CLOTH_SRGB[int(rng.integers(len(CLOTH_SRGB)))])
    layers.append(_layer("sleeve", poly_mask((H, W), sl_pts), 1.0, cloth, [0.012, 0.008, 0.03], 0.3,
                         lambda s: np.exp(0.15 * smooth_noise(s, 20 / mmpx, rng)).astype(np.float32)))
    layers = [lay for lay in layers if lay is not None]
    dens = {"I": 2, "II": 3, "III": 4, "IV": 5, "V": 4, "VI": 3}[skin_type] * rng.uniform(0.2, 1.5)
    return Scene(
        shape=(H, W), mm_per_px=float(mm_per_px), site="forearm", skin_alpha=soften(skin_u8, max(0.6 / mmpx, 0.5)),
        roi=roi, shading=shading, patch_prob=patch_prob, ref_region=ref_region, spec_map=spec_map,
        redness=redness, pore_density=pores, layers=layers, hair_density_cm2=float(dens),
        hair_len_mm=(3.0, 8.0), hair_angle_deg=float(ang + 180 + rng.uniform(-15, 15)), hair_where=hair_where,
        patch_radius_mm=(5.0, 28.0), n_patches=(2, 5),
        references_at={"marker": (0.70, 0.14), "chart": (0.08, 0.06)},
    )


def trunk_scene(shape, mm_per_px, *, rng, skin_lab, skin_type) -> Scene:
    """Front trunk (chest and abdomen) with arms at the sides and underwear at the bottom.

    Examples
    --------
    >>> sc = trunk_scene((90, 120), 6.0, rng=np.random.default_rng(0), skin_lab=(60, 10, 17), skin_type="III")
    >>> bool(sc.roi.any())
    True
    """
    H, W = int(shape[0]), int(shape[1])
    k = 1.0 / mm_per_px * rng.uniform(0.95, 1.05)
    mmpx = 1.0 / k
    c = (W * 0.5 + rng.uniform(-0.03, 0.03) * W, 0.0 + rng.uniform(-0.02, 0.02) * H)
    ang = rng.uniform(-3, 3)
    sw = rng.uniform(0.92, 1.08)
    torso = np.array([(-60, 0), (-60, 15), (-170, 55), (-195, 90), (-185, 200), (-160, 330), (-168, 420), (-175, 600),
                      (175, 600), (168, 420), (160, 330), (185, 200), (195, 90), (170, 55), (60, 15), (60, 0), (60, -50), (-60, -50)]) * [sw, 1]
    torso_u8 = poly_mask((H, W), _rot(torso, c, ang, k))
    arms = np.zeros((H, W), np.uint8)
    for s in (-1, 1):
        arm = np.array([(170, 55), (215, 70), (250, 100), (262, 250), (258, 420), (250, 700), (200, 700), (182, 420), (180, 330), (184, 200), (188, 110)]) * [s * sw, 1]
        arms = np.maximum(arms, poly_mask((H, W), _rot(arm, c, ang, k)))
    torso_u8 = _smooth_u8(torso_u8, 12.0 / mmpx)
    arms = _smooth_u8(arms, 8.0 / mmpx)
    skin_u8 = np.maximum(torso_u8, arms)
    shorts_y = 455 + rng.uniform(-25, 25)
    shorts = poly_mask((H, W), _rot(np.array([(-300, shorts_y + 8), (0, shorts_y - 4), (300, shorts_y + 8), (300, 700), (-300, 700)]), c, ang, k))
    shorts = np.minimum(shorts, cv2.dilate(torso_u8, np.ones((5, 5), np.uint8), iterations=max(int(2.0 / mmpx), 1)))
    neck = poly_mask((H, W), _rot(np.array([(-62, -60), (62, -60), (62, 18), (0, 22), (-62, 18)]), c, ang, k))
    areolae = np.zeros((H, W), np.uint8)
    sl, sc = low_shape((H, W))
    yy, xx = np.mgrid[0:sl[0], 0:sl[1]].astype(np.float32)
    X = ((xx + 0.5) / sc - c[0]) / k
    Y = ((yy + 0.5) / sc - c[1]) / k
    t = np.radians(-ang)
    X, Y = X * np.cos(t) - Y * np.sin(t), X * np.sin(t) + Y * np.cos(t)
    sh_t, _, _ = _inflate_shading(torso_u8, 110.0 / mmpx, (H, W), ambient=0.55)
    sh_a, _, _ = _inflate_shading(arms, 30.0 / mmpx, (H, W), ambient=0.4)
    tl = cv2.resize(torso_u8, (sl[1], sl[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    sh = sh_t * tl + sh_a * (1 - tl)
    g = lambda cx, cy, sx, sy: np.exp(-0.5 * (((X - cx) / sx) ** 2 + ((Y - cy) / sy) ** 2))  # noqa: E731
    sh *= 1 - 0.12 * (g(-95, 200, 60, 14) + g(95, 200, 60, 14))  # under pectorals
    sh *= 1 - 0.08 * g(0, 230, 8, 120)  # linea alba
    sh *= 1 - 0.1 * (g(-80, 40, 55, 6) + g(80, 40, 55, 6))  # clavicles
    sh *= 1 - 0.45 * g(0, 360, 5, 4)  # navel
    ref = (g(0, 280, 60, 40) > 0.5)
    sh = sh / float(np.median(sh[ref])) if ref.any() else sh
    shading = upsample(sh.astype(np.float32), (H, W))
    for s in (-1, 1):
        ar = 14 * rng.uniform(0.85, 1.2)
        areolae = np.maximum(areolae, poly_mask((H, W), _rot(_ellipse_pts(s * 95 * sw, 175, ar, ar * 0.95), c, ang, k)))
    navel = poly_mask((H, W), _rot(_ellipse_pts(0, 360, 4.5, 6), c, ang, k))
    roi = (torso_u8 > 127) & ~(shorts > 127) & ~(neck > 127) & ~(navel > 127)
    core = cv2.distanceTransform(roi.astype(np.uint8), cv2.DIST_L2, 3) > 8.0 / mmpx
    patch_prob = core.astype(np.float32)
    ref_region = upsample(ref.astype(np.float32), (H, W)) > 0.5
    ref_region &= core
    spec_map = (0.25 * np.clip(shading - 0.95, 0, None) * 5).astype(np.float32)
    redness = (0.03 + 0.02 * smooth_noise((H, W), 40 / mmpx, rng)).astype(np.float32)
    layers = []
    L, a, b = (float(v) for v in skin_lab)
    layers.append(_layer("areolae", areolae, 1.5 / mmpx, lab_to_linear([L - 14 - 0.1 * max(L - 40, 0), a + 5, b + 1]), [0.01, 0.007, 0.03], 1.0,
                         lambda s: np.exp(0.08 * smooth_noise(s, 1.0 / mmpx, rng)).astype(np.float32)))
    layers.append(_layer("navel", navel, 1.0 / mmpx, lab_to_linear([L * 0.5, a + 4, b * 0.8]), [0.003, 0.002, 0.008], 0.5))
    cloth = hex_lin(CLOTH_SRGB[int(rng.integers(len(CLOTH_SRGB)))])
    layers.append(_layer("underwear", shorts, 1.0 / mmpx, cloth, [0.3, 0.34, 0.85] if cloth.mean() > 0.45 else [0.012, 0.008, 0.03], 0.4,
                         lambda s: np.exp(0.1 * smooth_noise(s, 20 / mmpx, rng)).astype(np.float32)))
    hair_lin = hex_lin(HAIR_SRGB[skin_type][0])
    layers.append(_layer("neck_shadow", neck, 4.0 / mmpx, lab_to_linear([L * 0.8, a, b]), [0.01, 0.008, 0.03], 1.0))
    layers = [lay for lay in layers if lay is not None]
    del hair_lin
    dens = float(rng.choice([0.0, 0.3, 1.2], p=[0.5, 0.3, 0.2]))
    return Scene(
        shape=(H, W), mm_per_px=float(mm_per_px), site="trunk", skin_alpha=soften(skin_u8, max(0.8 / mmpx, 0.5)),
        roi=roi, shading=shading, patch_prob=patch_prob, ref_region=ref_region, spec_map=spec_map,
        redness=redness, pore_density=np.full((H, W), 0.3, np.float32), layers=layers,
        hair_density_cm2=dens, hair_len_mm=(4.0, 12.0), hair_angle_deg=float(rng.uniform(60, 120)),
        hair_where=(torso_u8 > 127) & ~(shorts > 127), patch_radius_mm=(10.0, 60.0), n_patches=(2, 5),
        references_at={"marker": (0.14, 0.12), "chart": (0.08, 0.87)},
    )
