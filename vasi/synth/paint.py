"""Paint vitiligo onto a real photo of normal skin, with exact ground truth.

The synthetic photos of :func:`~vasi.synth.make_photo` are drawn by this package's own
renderer, so an algorithm tuned on them may learn the renderer's habits. Painting patches
onto a *real* photo keeps the real skin's texture, pores, shine, shadows, hair and camera
processing, and changes only the colour where the patches are -- a check on real skin
statistics with a known answer (``benchmarks/real_face.py`` does it on two real portraits
for every skin type).

The colour model is the one of :mod:`vasi.synth.skin`, applied as per-channel gains in
linear RGB (melanin absorbs; removing it multiplies each channel's reflectance, so the
photo's own shading and texture are kept):

* **skin type** (optional): the skin inside ``skin`` is recoloured from its measured median
  CIELAB to :func:`~vasi.synth.skin.normal_skin_lab` of the requested ITA (its variations
  -- redder cheeks, a darker brow -- keep their ratios to it);
* **patches**: irregular patches (:func:`~vasi.synth.shapes.make_patch`) with soft borders
  0.4-2.5 mm wide take the gain from normal skin to
  :func:`~vasi.synth.skin.depigmented_lab`; the truth is where the depigmentation strength
  is at least one half, inside ``where``.

What it cannot do: hair and freckles keep their relative contrast inside a patch (real
vitiligo loses freckles; its hairs may turn white), and the specular part of shine is
scaled with the skin instead of staying white.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_image, check_mask, check_positive, check_rng
from ..errors import InputError
from .shapes import make_patch, soft_step
from .skin import (
    depigmented_lab,
    lab_to_linear,
    linear_to_lab,
    linear_to_srgb8_float,
    normal_skin_lab,
    srgb_to_linear,
)

__all__ = ["paint_vitiligo"]


def _median_lab(lin: np.ndarray) -> np.ndarray:
    """CIELAB of the median linear RGB of pixels ``lin`` (n, 3)."""
    return linear_to_lab(np.median(lin, axis=0))


def paint_vitiligo(
    image,
    where,
    *,
    rng,
    mm_per_px: float,
    n_patches: int = 4,
    radius_mm=(4.0, 12.0),
    skin=None,
    ita: float | None = None,
):
    """Paint depigmented patches (and optionally another skin colour) onto a real photo.

    Parameters
    ----------
    image : ndarray, uint8 (H, W, 3)
        sRGB photo of skin without vitiligo.
    where : ndarray of bool (H, W)
        Skin where patches may lie (patch centres are drawn here, and the truth is cut to
        it); its median colour is the patient's normal skin.
    rng : int or numpy.random.Generator
        Seed or generator for the patches.
    mm_per_px : float
        Scale of the photo (mm per px) for patch sizes and border widths.
    n_patches : int
        Patches to draw (a patch falling outside the photo is dropped).
    radius_mm : (float, float)
        Range of the patches' mean radii (mm), drawn uniformly.
    skin : ndarray of bool or float (H, W), optional
        With ``ita``: all the skin to recolour (float weights in [0, 1] blend softly);
        default ``where``.
    ita : float, optional
        Individual typology angle (degrees) to give the skin before painting, e.g.
        ``FITZPATRICK_ITA["VI"]``; default: keep the photo's own skin colour.

    Returns
    -------
    painted : ndarray, uint8 (H, W, 3)
        The photo with the patches.
    truth : ndarray of bool (H, W)
        Depigmented skin, inside ``where``.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> img = astronaut()
    >>> cheek = np.zeros(img.shape[:2], bool); cheek[105:135, 185:215] = True
    >>> out, truth = paint_vitiligo(img, cheek, rng=1, mm_per_px=0.7, n_patches=1,
    ...                             radius_mm=(6, 6))
    >>> bool(truth.any()), bool((out[truth] >= img[truth]).all(axis=1).mean() > 0.9)
    (True, True)
    """
    image = check_image(image)
    if image.dtype != np.uint8:
        raise InputError(f"image must be 8-bit (uint8) sRGB; got {image.dtype}. Convert it, e.g. "
                         "with skimage.util.img_as_ubyte.")
    shape = image.shape[:2]
    where = check_mask(where, shape, "where")
    if not where.any():
        raise InputError("where is empty: mark the skin where patches may be painted.")
    rng = check_rng(rng)
    mm_per_px = check_positive(mm_per_px, "mm_per_px")
    if isinstance(n_patches, bool) or not isinstance(n_patches, (int, np.integer)) or n_patches < 0:
        raise InputError(f"n_patches must be a whole number >= 0; got {n_patches!r}.")
    try:
        lo, hi = (float(v) for v in radius_mm)
    except (TypeError, ValueError):
        raise InputError(f"radius_mm must be two numbers (smallest, largest) in mm; got {radius_mm!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise InputError(f"radius_mm must satisfy 0 < smallest <= largest (mm); got {radius_mm!r}.")
    w = None
    if ita is not None:
        try:
            ita = float(ita)
        except (TypeError, ValueError):
            raise InputError(f"ita must be a number of degrees, e.g. FITZPATRICK_ITA['VI']; got {ita!r}.") from None
        if not np.isfinite(ita):
            raise InputError(f"ita must be finite; got {ita!r}.")
        w = where.astype(np.float64) if skin is None else _skin_weight(skin, shape)
    elif skin is not None:
        raise InputError("skin is the skin recoloured to ita: pass ita as well, or leave skin out.")

    # the patches' depigmentation strength (>= 0.5 exactly on the truth), cut to `where`
    d = np.zeros(shape, np.float32)
    truth = np.zeros(shape, bool)
    ys, xs = np.nonzero(where)
    for _ in range(int(n_patches)):
        i = int(rng.integers(ys.size))
        radius = float(rng.uniform(lo, hi)) / mm_per_px
        p = make_patch(shape, (ys[i], xs[i]), radius, rng=rng, mm_per_px=mm_per_px,
                       elongation=float(rng.uniform(1.0, 1.6)), angle_deg=float(rng.uniform(0, 180)))
        if p is None:
            continue
        sl = p.slices
        d[sl] = np.maximum(d[sl], soft_step(p.sd, p.border_px))
        truth[sl] |= p.inside
    d[~where] = 0.0
    # gains in linear RGB, from the median colour of `where` (after the recolouring)
    lin_where = srgb_to_linear(image[where] / 255.0)
    normal = _median_lab(lin_where)
    type_gain = None
    if w is not None:
        type_gain = lab_to_linear(normal_skin_lab(ita)) / np.maximum(lab_to_linear(normal), 1e-6)
        normal = _median_lab(lin_where * (1.0 + w[where][:, None] * (type_gain - 1.0)))
    gain = lab_to_linear(depigmented_lab(normal)) / np.maximum(lab_to_linear(normal), 1e-6)
    # only the pixels that change are converted; the others keep their exact bytes
    changed = d > 0 if w is None else (d > 0) | (w > 0)
    lin = srgb_to_linear(image[changed] / 255.0)
    if type_gain is not None:
        lin *= 1.0 + w[changed][:, None] * (type_gain - 1.0)
    lin *= 1.0 + d[changed][:, None] * (gain - 1.0)
    painted = image.copy()
    painted[changed] = linear_to_srgb8_float(lin.astype(np.float32)).astype(np.uint8)  # LUT: whole 0..255
    return painted, truth & where


def _skin_weight(skin, shape) -> np.ndarray:
    """``skin`` as float64 weights in [0, 1] of the image's shape (a bool or 0/1 mask, or
    soft weights)."""
    arr = np.asarray(skin)
    if arr.dtype == bool or arr.dtype.kind in "iu":
        return check_mask(arr, shape, "skin").astype(np.float64)
    if arr.shape != tuple(shape):
        raise InputError(f"skin must have shape {tuple(shape)} (the image's height and width); got {arr.shape}.")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all() or arr.min() < 0.0 or arr.max() > 1.0:
        raise InputError("skin must hold weights within [0, 1] (1: recoloured fully); scale it, e.g. mask / 255.")
    return arr
