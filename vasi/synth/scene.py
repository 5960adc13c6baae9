"""The scene a synthetic photo is rendered from (baseline pixel coordinates).

A site builder (:mod:`vasi.synth.face`, :mod:`vasi.synth.body`) returns a :class:`Scene`:
where the skin is, the assessed region, geometric shading, and the non-skin features
drawn over the skin (eyes, lips, hair, clothing) as :class:`Layer` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = ["Layer", "Scene", "poly_mask", "soften", "upsample", "hex_lin"]


@dataclass(eq=False)
class Layer:
    """A feature drawn over the skin: ``canvas = canvas * (1 - a) + colour * a`` in a box.

    ``colour`` is linear RGB ``(3,)``; ``woods`` its colour under a Wood's lamp;
    ``texture`` how much skin micro-texture and shading modulate it (0..1).
    ``pattern`` is an optional (h, w) multiplicative brightness texture.
    """

    name: str
    y0: int
    x0: int
    alpha: np.ndarray
    colour: np.ndarray
    woods: np.ndarray
    texture: float = 1.0
    pattern: np.ndarray | None = None

    @property
    def slices(self):
        h, w = self.alpha.shape
        return slice(self.y0, self.y0 + h), slice(self.x0, self.x0 + w)


@dataclass(eq=False)
class Scene:
    """Everything about one site that does not change between visits.

    All arrays are (H, W) in scene (= baseline) pixel coordinates.
    """

    shape: tuple
    mm_per_px: float
    site: str
    skin_alpha: np.ndarray  # float32 0..1, skin coverage (incl. ears, neck)
    roi: np.ndarray  # bool, assessed region
    shading: np.ndarray  # float32, geometric shading of the subject (~1 at the reference)
    patch_prob: np.ndarray  # bool, where patch centres may be placed
    ref_region: np.ndarray  # bool, well-lit central skin for the reference colour
    spec_map: np.ndarray  # float32 0..1, shininess (forehead, nose, cheekbones)
    redness: np.ndarray  # float32, base haemoglobin excess (cheeks, nose)
    pore_density: np.ndarray  # float32 0..1 relative
    layers: list = field(default_factory=list)  # drawn under hairs, over skin
    top_layers: list = field(default_factory=list)  # drawn over hairs (e.g. clothing edge)
    hair_density_cm2: float = 5.0  # visible body/vellus hairs per cm^2 of skin
    hair_len_mm: tuple = (2.0, 6.0)
    hair_angle_deg: float = 90.0  # dominant hair direction
    hair_where: np.ndarray | None = None  # bool, skin where body hairs grow
    patch_radius_mm: tuple = (5.0, 30.0)
    n_patches: tuple = (2, 5)
    references_at: dict = field(default_factory=dict)  # {"marker": (y, x), "chart": (y, x)} px


def poly_mask(shape, pts_xy, *, value: int = 255) -> np.ndarray:
    """Filled polygon as a uint8 mask (subpixel vertices).

    >>> poly_mask((10, 10), [(1, 1), (8, 1), (8, 8), (1, 8)]).max()
    np.uint8(255)
    """
    m = np.zeros(shape[:2], np.uint8)
    pts = np.round(np.asarray(pts_xy, np.float64) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(m, [pts], value, lineType=cv2.LINE_AA, shift=4)
    return m


def soften(mask, sigma_px: float) -> np.ndarray:
    """uint8/bool mask -> float32 alpha blurred by ``sigma_px``.

    >>> soften(np.ones((5, 5), bool), 1.0).max()
    np.float32(1.0)
    """
    a = np.asarray(mask, np.float32)
    if a.max() > 1.0:
        a = a / 255.0
    if sigma_px >= 0.3:
        a = cv2.GaussianBlur(a, (0, 0), sigma_px)
    return a


def upsample(low: np.ndarray, shape) -> np.ndarray:
    """Resize a smooth low-resolution map to ``shape`` (H, W), bilinear.

    >>> upsample(np.ones((3, 4), np.float32), (6, 8)).shape
    (6, 8)
    """
    return cv2.resize(
        np.ascontiguousarray(low, np.float32), (int(shape[1]), int(shape[0])), interpolation=cv2.INTER_LINEAR
    )


def hex_lin(srgb255) -> np.ndarray:
    """sRGB 0..255 triple to linear RGB (3,) float32.

    >>> hex_lin((255, 255, 255)).round(3)
    array([1., 1., 1.], dtype=float32)
    """
    from .skin import srgb_to_linear

    return srgb_to_linear(np.asarray(srgb255, np.float64) / 255.0).astype(np.float32)


def low_shape(shape, max_side: int = 480):
    """Shape of a low-resolution grid for smooth maps, and its scale factor."""
    h, w = int(shape[0]), int(shape[1])
    k = min(1.0, max_side / max(h, w))
    return (max(int(round(h * k)), 8), max(int(round(w * k)), 8)), k
