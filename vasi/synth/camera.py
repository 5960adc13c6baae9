"""Camera and light per photo: pose (homography), illumination, white balance, blur, noise, JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from .skin import linear_to_srgb8_float

__all__ = ["random_pose", "warp", "warp_mask", "shoot", "local_scale"]


def random_pose(rng, shape, *, rotation_deg=15.0, scale=0.15, shift=0.05, perspective=0.04) -> np.ndarray:
    """A random homography (3, 3) about the image centre: rotation, scale, shift, tilt.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : tuple of int
        ``(H, W)`` in px.
    rotation_deg, scale, shift, perspective : float
        Maximum rotation (degrees), relative scale change, translation (fraction of the
        image size) and perspective tilt (fraction of the size by which a corner moves).

    Examples
    --------
    >>> T = random_pose(np.random.default_rng(0), (100, 120))
    >>> T.shape
    (3, 3)
    """
    H, W = shape
    cx, cy = W / 2.0, H / 2.0
    a = np.radians(rng.uniform(-rotation_deg, rotation_deg))
    s = 1.0 + rng.uniform(-scale, scale)
    tx, ty = rng.uniform(-shift, shift) * W, rng.uniform(-shift, shift) * H
    A = np.array([[s * np.cos(a), -s * np.sin(a), 0], [s * np.sin(a), s * np.cos(a), 0], [0, 0, 1]])
    C = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
    Ci = np.array([[1, 0, cx + tx], [0, 1, cy + ty], [0, 0, 1.0]])
    P = np.eye(3)
    P[2, 0] = rng.uniform(-perspective, perspective) / (W / 2)
    P[2, 1] = rng.uniform(-perspective, perspective) / (H / 2)
    T = Ci @ A @ P @ C
    return T / T[2, 2]


def local_scale(T, xy) -> float:
    """Linear magnification of homography ``T`` at point ``xy`` (sqrt of the Jacobian det).

    >>> local_scale(np.diag([2.0, 2.0, 1.0]), (5, 5))
    2.0
    """
    x, y = xy
    p = T @ np.array([x, y, 1.0])
    w = p[2]
    J = np.array([[T[0, 0] * w - p[0] * T[2, 0], T[0, 1] * w - p[0] * T[2, 1]],
                  [T[1, 0] * w - p[1] * T[2, 0], T[1, 1] * w - p[1] * T[2, 1]]]) / (w * w)
    return float(np.sqrt(abs(np.linalg.det(J))))


def warp(img, T, *, border=cv2.BORDER_REFLECT_101, interp=cv2.INTER_LINEAR):
    """Warp an image or float map from scene to photo coordinates with homography ``T``.

    >>> warp(np.ones((4, 5), np.float32), np.eye(3)).shape
    (4, 5)
    """
    if np.allclose(T, np.eye(3)):
        return img
    H, W = img.shape[:2]
    return cv2.warpPerspective(img, T, (W, H), flags=interp, borderMode=border)


def warp_mask(mask, T, *, border=cv2.BORDER_REFLECT_101) -> np.ndarray:
    """Warp a bool mask (or 0..1 float map thresholded at 0.5) with ``T``.

    >>> warp_mask(np.ones((4, 5), bool), np.eye(3)).all()
    np.True_
    """
    m = np.asarray(mask)
    if np.allclose(T, np.eye(3)):
        return m.astype(bool) if m.dtype == bool else m >= 0.5
    if m.dtype == bool:  # uint8 warps are 4x lighter than float32; threshold at half
        return warp(m.astype(np.uint8) * np.uint8(254), T, border=border) >= 127
    return warp(np.asarray(m, np.float32), T, border=border) >= 0.5


def shoot(lin, rng, *, modality="visible", camera=True, jpeg_quality=92, params=None):
    """Expose, blur, add noise, tone-map and JPEG-encode a linear RGB image (already posed).

    Parameters
    ----------
    lin : numpy.ndarray, float32 (H, W, 3)
        Linear scene radiance (1.0 = white reflector under the reference light).
    rng : numpy.random.Generator
    modality : {"visible", "woods"}
    camera : bool
        If False: no light variation, blur or noise (JPEG still applied if requested).
    jpeg_quality : int or None

    Returns
    -------
    image : numpy.ndarray, uint8 (H, W, 3)
    jpeg : bytes or None
    params : dict
        The exposure, white balance, gradient, vignetting, blur and noise used.

    Examples
    --------
    >>> img, jpg, p = shoot(np.full((16, 16, 3), 0.2, np.float32), np.random.default_rng(0))
    >>> img.dtype, jpg[:2]
    (dtype('uint8'), b'\\xff\\xd8')
    """
    H, W = lin.shape[:2]
    woods = modality == "woods"
    p = dict(params or {})
    if camera:
        p.setdefault("exposure", float(rng.uniform(0.95, 1.05) * (1.0 if not woods else rng.uniform(0.8, 1.3))))
        p.setdefault("white_balance", [float(v) for v in rng.uniform(0.97, 1.03, 3)])
        p.setdefault("gradient", [float(v) for v in rng.uniform(-0.08, 0.08, 2)])
        p.setdefault("vignetting", float(rng.uniform(0.25, 0.45) if woods else rng.uniform(0.0, 0.12)))
        p.setdefault("blur_px", float(rng.uniform(0.0, 1.0) * max(W / 1200.0, 0.3)))
        p.setdefault("noise", float(rng.uniform(0.004, 0.010) if woods else rng.uniform(0.0015, 0.004)))
    else:
        p.update(exposure=1.0, white_balance=[1.0, 1.0, 1.0], gradient=[0.0, 0.0], vignetting=0.0, blur_px=0.0, noise=0.0)
    # smooth illumination on a coarse grid
    gh, gw = 32, max(int(32 * W / H), 2)
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32)
    u, v = (xx + 0.5) / gw - 0.5, (yy + 0.5) / gh - 0.5
    illum = (1.0 + 2 * p["gradient"][0] * u + 2 * p["gradient"][1] * v) * (1.0 - p["vignetting"] * 2.0 * (u * u + v * v))
    illum = cv2.resize(illum.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR) * np.float32(p["exposure"])
    gains = np.asarray(p["white_balance"], np.float32)
    out = np.empty_like(lin)
    for c in range(3):
        out[..., c] = lin[..., c] * illum * gains[c]
    if p["blur_px"] >= 0.3:
        out = cv2.GaussianBlur(out, (0, 0), p["blur_px"])
    if p["noise"] > 0:
        sig = np.sqrt(p["noise"] * np.clip(out, 0, None) * 0.5 + (p["noise"] * 0.5) ** 2)
        out += sig * rng.standard_normal(out.shape, dtype=np.float32)
    srgb = linear_to_srgb8_float(out)
    img = srgb.astype(np.uint8)
    jpeg = None
    if jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        jpeg = buf.tobytes()
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()
    return np.ascontiguousarray(img), jpeg, p
