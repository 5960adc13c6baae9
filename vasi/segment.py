"""Depigmentation segmentation relative to the patient's own normal skin.

Method ``"relative"`` (default, visible light and Wood's lamp):

1. Crop the photo to the region's bounding box, reduce the box to the working resolution
   (long side <= ``WORK_SIDE`` = 512 px, whatever the camera's resolution; when the
   result is "low contrast", once more at ``COARSE`` x that side, keeping the scale at
   which depigmented and normal skin separate more) and compute
   illumination-robust features in log linear RGB (see :mod:`vasi.reference`): luminance and
   the melanin colour axis ``log B - log R`` plus the hue that shading and shine leave alone
   (visible; melanin loss turns it from yellow-brown to pink), or a fluorescence axis (Wood's
   lamp); local means over 0.4 % of the region's size (~0.7 mm on a face; taken in linear
   light) plus local smoothness (melanin texture).
2. Normal reference skin: inside the region, away from its edge, away from depigmentation
   candidates and their borders (skin next to a patch is often lighter), without dark
   outliers (hair, nostrils, shadows) or specular highlights. When the region's colours are
   clearly bimodal on the colour axis (modes ``BIMODAL_SEPARATION`` = 4 pooled robust s.d.
   apart; under a Wood's lamp, else on luminance) the more pigmented mode is taken, so a
   mostly depigmented region (extensive vitiligo) still gets the right reference; a user
   point or mask overrides it. Medians and
   spreads are taken on an even sample of at most 5 000 pixels.
3. Smooth fields through the reference skin's features remove shading and illumination
   gradients: local planes (first-order normalised convolution, ``FIELD_ORDER``), which
   carry the light's gradient on into the patches left out of the reference and past its
   edge; residuals are standardised by the reference skin's robust spread (MAD).
4. Two levels (:mod:`vasi.levels`): the depigmented level comes from the cores of
   candidate patches (a spatial isodata iteration, Otsu- or 3-sigma-seeded), the direction
   in feature space is the Fisher direction of cores against normal skin (signs clipped to
   "lighter, less melanin, pinker, smoother"). A class is accepted only when it separates
   (d' >= 2.5), is visible (CIEDE2000 >= 2 between cores and reference) and stands out
   from the whole region's own normal skin (``MIN_REGION_DPRIME`` = 3.5 s.d. of the
   index's mode, spread from its lower side: the reference leaves out the candidates, so
   its spread alone made the lighter side of skin without vitiligo a class; a user's
   reference is what normal skin looks like, and then the level and spread are its own,
   away from its edge). Under a Wood's lamp normal skin is nearly black and cannot show the
   lamp's fall-off, so the depigmented level is followed across the region by a smooth
   field through the patch cores (``LEVEL_FIELD``).
5. Depigmentation index: 0 at normal skin, 1 at the depigmented level. The border is where a
   linear-light blend ``(1 - d*) normal + d* depigmented`` would lie, ``d* = 1 - sensitivity``
   (0.5: half-depigmented skin), evaluated exactly through the log features, with both
   colours taken under the same light (their luminance residuals from the illumination
   field), so a patch in shade is not taken for a darker one.
6. Clean-up: a corner-preserving 5x5 median (hairs, pores) -- or, when the unsmoothed
   features are quiet enough for a pixel-level decision (the border stands ``FINE_Z`` noise
   s.d. above normal skin), the same index from them with a 3x3 median, which keeps
   perifollicular islands, or with none when even the unfiltered index is that quiet
   (islands of a pixel or two); the region's rim follows its interior (mixed skin/background
   pixels); patches below ``min_area_mm2`` or not
   statistically significant (``z = d' sqrt(n) >= 5``) are dropped. The smooth index is
   upsampled to full resolution and thresholded there, so areas are counted at full
   resolution.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import cv2
import numpy as np
from skimage import filters

from . import reference as _ref
from ._validate import (
    MODALITIES,
    check_choice,
    check_colour,
    check_fraction,
    check_mask,
    check_max_side,
    check_options,
    check_positive,
    renamed,
)
from .color import CLIPPED, colour_cast, ita_degrees, rgb_to_lab
from .errors import InputError
from .io import image_and_scale
from .levels import (
    MIN_REGION_DPRIME,
    PINK_MAX_WEIGHT,
    _blend_index,
    _components_below,
    _core_delta_e,
    _denoise,
    _fill_from_neighbours,
    _initial_reference,
    _inner,
    _local_border,
    _local_features,
    _local_level,
    _median_labs,
    _min_area_px,
    _region_contrast,
    _same_light,
    _upper_mode,
)

__all__ = ["Segmentation", "segment", "SEGMENT_METHODS"]

log = logging.getLogger("vasi")


class _FullFrame:
    """Dataclass field descriptor: a full-resolution array that may be stored as a
    :class:`vasi.reference.BoxMap` and is then built on first access (and kept)."""

    def __init__(self, default=dataclasses.MISSING):
        self.default = default

    def __set_name__(self, owner, name):
        self.name = name
        self.slot = "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            if self.default is dataclasses.MISSING:
                raise AttributeError(self.name)  # no default for the dataclass
            return self.default
        v = obj.__dict__[self.slot]
        if isinstance(v, _ref.BoxMap):
            v = v.full()
            obj.__dict__[self.slot] = v
        return v

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class Segmentation:
    """Result of :func:`segment`.

    Attributes
    ----------
    mask : ndarray of bool, shape (H, W)
        Depigmented pixels, at the input's resolution, inside ``roi`` (read-only: edit a
        copy, e.g. ``seg.mask & ~eraser``).
    roi : ndarray of bool, shape (H, W)
        Assessed region the segmentation was restricted to (read-only).
    score : ndarray of float32, shape (H, W)
        Per-pixel depigmentation index (0 = the patient's normal skin, 1 = the level of
        the depigmented patch cores); ``mask`` is ``score > thresholds["score"]`` inside
        ``roi`` after clean-up. Outside the region's bounding box it is 0. Built from the
        working-resolution index on first access (then kept): scoring a photo does not
        allocate a full-frame float map unless it is read.
    reference_lab : tuple of float
        L*, a*, b* (D65) of the patient's normal reference skin.
    thresholds : dict
        Thresholds and levels used, by name.
    flags : tuple of str
        Quality warnings (e.g. ``"low contrast"``, ``VERY_LIGHT_FLAG`` for very light skin
        in visible light, ``COLOUR_CAST_FLAG`` for normal skin that no white-balanced photo
        shows, ``"reference skin too small"`` when the automatic reference found little
        normal skin -- not for a ``reference`` the user gave); empty when none.
    modality, method : str
        What was segmented and how.
    mm_per_px : float or None
        Pixel size used for the minimum patch size.
    reference : ndarray of bool, shape (H, W) or None
        The normal reference skin the colours were compared with (built on first access).
    depigmented_lab : tuple of float
        L*, a*, b* of the depigmented patch cores (NaN when none were found).
    contrast : float
        Separation of depigmented from normal skin in standard deviations of normal skin.
    working_shape : tuple of int
        Shape of the reduced image the analysis ran at.
    """

    mask: np.ndarray
    roi: np.ndarray
    score: np.ndarray = _FullFrame()  # full-resolution maps are built when first read
    reference_lab: tuple
    thresholds: dict = field(default_factory=dict)
    flags: tuple = ()
    modality: str = "visible"
    method: str = "relative"
    mm_per_px: float | None = None
    reference: np.ndarray | None = _FullFrame(None)
    depigmented_lab: tuple = (float("nan"),) * 3
    contrast: float = float("nan")
    working_shape: tuple = ()

    def __post_init__(self):
        # a result cannot contradict itself: its masks are read-only views (edit a copy, e.g.
        # ``seg.mask & ~eraser``, and measure that); the arrays it was built from stay as they
        # were, and a pickled or copied result keeps the rule (__setstate__)
        for name in ("mask", "roi"):
            a = getattr(self, name)
            if isinstance(a, np.ndarray) and a.flags.writeable:
                a = a.view()
                a.flags.writeable = False
                object.__setattr__(self, name, a)

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__post_init__()

    def with_flags(self, *flags: str) -> Segmentation:
        """The same segmentation with ``flags`` added (its full-resolution maps are not
        built: they stay as stored).

        >>> seg = segment(np.full((20, 20, 3), 150, np.uint8), modality="woods")
        >>> seg.with_flags("checked").flags[-1]
        'checked'
        """
        return dataclasses.replace(self, flags=(*self.flags, *flags), score=self.__dict__["_score"],
                                   reference=self.__dict__["_reference"])

    @property
    def depigmented_fraction(self) -> float:
        """Depigmented area / assessed area (0 when the region is empty)."""
        n = np.count_nonzero(self.roi)
        return np.count_nonzero(self.mask) / n if n else 0.0

    @property
    def area_px(self) -> int:
        """Depigmented area in full-resolution pixels."""
        return int(np.count_nonzero(self.mask))

    def to_dict(self) -> dict:
        """The segmentation's numbers as JSON values (no images; NaN as None): areas,
        reference and depigmented colours, contrast, thresholds, flags, how it was made.

        >>> img = np.full((40, 40, 3), (150, 110, 80), np.uint8); img[10:20, 10:20] = 235
        >>> d = segment(img).to_dict()
        >>> d["area_px"], d["assessed_area_px"], d["flags"]
        (100, 1600, [])
        """
        from ._json import plain

        return plain({
            "area_px": self.area_px, "assessed_area_px": int(np.count_nonzero(self.roi)),
            "depigmented_fraction": self.depigmented_fraction,
            "reference_lab": self.reference_lab, "depigmented_lab": self.depigmented_lab,
            "contrast": self.contrast, "thresholds": self.thresholds, "flags": self.flags,
            "modality": self.modality, "method": self.method, "mm_per_px": self.mm_per_px,
            "working_shape": self.working_shape,
        })

    @property
    def score_map(self):
        """``score`` as stored, without building the full-resolution frame: an ndarray or a
        lazy :class:`vasi.reference.BoxMap` (the working-resolution map and its box), which
        :func:`vasi.measure.patches` reads over the patches only (``score=seg.score_map``)."""
        return self.__dict__["_score"]


# ----------------------------------------------------------------------------- helpers
def segment_options(options) -> dict:
    """``segment_kwargs`` of :func:`vasi.score_photo` / :func:`vasi.track_series` checked:
    options of :func:`segment` other than those the caller sets (image, modality, roi,
    mm_per_px).

    >>> segment_options({"sensitivity": 0.6})
    {'sensitivity': 0.6}
    """
    return check_options(options, segment, "segment_kwargs",
                         reserved=("image", "modality", "roi", "mm_per_px"))


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


def _empty(arr_shape, roi, modality, method, mm_per_px, flags):
    z = np.zeros(arr_shape, bool)
    nan3 = (float("nan"),) * 3
    return Segmentation(z, roi, np.zeros(arr_shape, np.float32), nan3, {}, tuple(flags), modality,
                        method, mm_per_px, z.copy(), nan3, float("nan"), ())


# ----------------------------------------------------------------------------- method: relative
def _relative(image, roi, *, modality, mm_per_px, sensitivity, reference, min_area_mm2, max_side,
              min_contrast=2.5):
    H, W = image.shape[:2]
    # only the region's box (and a little context) is analysed
    box = _ref.region_box(roi if reference is None else roi | reference)
    roi_box = roi[box]
    srgb, lin, roi_s, k = _ref.working_image(image[box], roi_box, max_side=max_side)
    h, w = roi_s.shape
    flags: list[str] = []
    n_roi = int(np.count_nonzero(roi_s))
    if n_roi < 16:
        return None, ["region too small"]
    size = float(np.sqrt(n_roi))  # characteristic size of the region, working px
    F = _ref.features(lin, modality)
    clipped_all = np.maximum(np.maximum(srgb[..., 0], srgb[..., 1]), srgb[..., 2]) >= CLIPPED
    # specular highlights are small clipped spots; a large clipped area is overexposed skin
    # (possibly a whole depigmented patch) and is kept for analysis
    clipped = clipped_all & _components_below(clipped_all & roi_s, max(0.002 * n_roi, 16))
    # spatial scale of the local statistics: 0.4 % of the region's size (about 0.7 mm on a
    # face), in working px, whether or not the pixel size is known -- which only sets the
    # minimum patch area. A known scale's 1 mm lost 0.005 Dice (given the true region,
    # seeds 900000 / 500000: 0.886 / 0.883 -> 0.881 / 0.877), and the learnt direction
    # took smoothness at that scale, which the lace of a partly repigmented patch lacks
    # (sample P001 week 24: Dice 0.90 without the scale, 0.69 with it)
    sig = max(0.7, 0.004 * size)
    # smooth only as much as the noise needs: noiseless (drawn) images keep sharp corners
    hp = F[..., 0] - cv2.GaussianBlur(F[..., 0], (0, 0), 1.0)
    if _ref.robust_stats(_ref.sample(hp, roi_s))[1] < 0.005:
        sig = 0.0
    # local means are taken in linear light (so a blurred border still crosses half-way
    # where a half-depigmented pixel would), texture from the unsmoothed features
    lin_s = cv2.GaussianBlur(lin, (0, 0), sig) if sig >= 0.8 else lin
    Fs = _ref.features(lin_s, modality) if sig >= 0.8 else F
    user = None
    if reference is not None:
        u8 = _resize(reference[box].astype(np.uint8) * 255, (h, w), cv2.INTER_AREA)
        user = (u8 >= 128) & ~clipped
        if np.count_nonzero(user) < 4:
            user = u8 > 0
    core = cv2.erode(roi_s.astype(np.uint8), _ref.disk(0.03 * size)).astype(bool)
    if np.count_nonzero(core) < 0.25 * n_roi:
        core = roi_s.copy()
    core &= ~clipped
    if np.count_nonzero(core) < 16:
        core = roi_s.copy()

    # 1. initial reference: the darker / more pigmented mode when the region is bimodal
    ref = user.copy() if user is not None else _initial_reference(F, lin, core, size, modality == "woods")
    # skin with melanin to lose: the pink of blood may support the depigmentation
    # direction but not lead it (PINK_MAX_WEIGHT); very light skin changes mostly in hue
    pink_cap = None
    if modality == "visible" and ref.any() and _ita(_median_labs(srgb, ref)[0]) <= VERY_LIGHT_ITA:
        pink_cap = PINK_MAX_WEIGHT
    margin = _ref.disk(0.04 * size)
    min_px_s = _min_area_px(mm_per_px, n_roi / (k * k), min_area_mm2) * k * k
    # first direction: lighter, less melanin (and pinker), smoother
    prior = np.array([1.0] * F.shape[2] + [0.5])
    rim_r = int(round(2 * sig)) + 2
    rim_k = np.ones((2 * rim_r + 1, 2 * rim_r + 1), np.uint8)
    rim = roi_s & ~cv2.erode(roi_s.astype(np.uint8), rim_k, borderType=cv2.BORDER_REPLICATE).astype(bool)
    model = None
    fine = False
    mask_s = np.zeros((h, w), bool)
    for it in range(N_PASSES):
        if np.count_nonzero(ref) < 16:
            ref = core.copy()
        # first pass without illumination field: a field through unknown patches absorbs them
        last = it == N_PASSES - 1
        model_ref = ref  # the normal skin this pass's model is measured against
        X, scales, Xf = _local_features(F, Fs, ref, user, size, sig, flat=(it == 0),
                                        fine=last and Fs is not F)
        valid = roi_s & (X[..., 0] > -4.0) & ~clipped  # drop dark outliers: hair, nostrils, shadow
        model = _upper_mode(X, valid, ref, roi_s, prior, min_px_s, sensitivity, min_dprime=min_contrast,
                            start=model, iters=5 if model is None else 2, pink_cap=pink_cap)
        # normal skin and the patch cores under the same light: for the visibility check
        # and the half-way border
        cols = _same_light(lin_s, X, scales, ref, model["core"]) if model is not None else None
        if cols is not None and _core_delta_e(cols) < MIN_DELTA_E:
            model = None  # a "patch" nobody could see: texture or noise, not depigmentation
        if model is None:
            mask_s[:] = False
        else:
            proj = model["proj"]  # _denoise(X @ w): the projection its levels were read on
            # under a Wood's lamp normal skin is nearly black and cannot show the lamp's
            # fall-off or flare; the fluorescent patches do: their level is followed locally
            p1 = _local_level(proj, model, LEVEL_FIELD * size) if modality == "woods" else model["p1"]
            index = (proj - model["p0"]) / (p1 - model["p0"])
            if Xf is not None:
                # the same index from the unsmoothed features keeps fine structure
                # (perifollicular islands, lace-like residual patches) where its noise
                # allows a pixel-level decision
                pf = Xf @ model["w"]
                for med in (FINE_MEDIAN, 0):  # 0: no median at all when the noise allows
                    cand = ((_denoise(pf, med) if med else pf) - model["p0"]) / (p1 - model["p0"])
                    noise = _ref.robust_stats(_ref.sample(cand, ref))[1]
                    if not 0.5 >= FINE_Z * noise:
                        break
                    fine = True
                    index = cand
            if clipped.any():
                index = _fill_from_neighbours(index, clipped & roi_s)
            thr = _blend_index(cols, model, scales, modality, 1.0 - sensitivity)
            # whether a class exists is judged on the index against normal skin (below);
            # where its border lies, half-way between the levels that meet there
            index_normal = index
            if last:
                index = _local_border(index, thr, roi_s, cols, model, scales, modality, 1.0 - sensitivity)
            mask_s = (index > thr) & roi_s & (X[..., 0] > -MAX_DEPIG_DARKER)
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
            if np.count_nonzero(new_ref) < max(16, 0.02 * n_roi):
                new_ref = core & ~mask_s
            ref = new_ref

    # against normal skin: the user's reference when given (it says what normal skin looks
    # like; on a mostly depigmented region the region's own estimate is partly depigmented
    # skin), else the region's mode. Away from the reference's edge (the rim's depth): the
    # local means there mix in the skin beyond it, which the user did not vouch for
    marked = None if user is None else _inner(user, rim_r)
    if (model is not None
            and _region_contrast(index_normal, valid, marked, found=model_ref) < MIN_REGION_DPRIME):
        model = None  # the "patches" are the lighter side of normal skin (mottle, shine, flush)
        flags.append("low contrast")  # (what there is does not stand out from the skin's own)
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
    if model is not None and contrast < LOW_CONTRAST:
        flags.append("low contrast")
    if user is None and np.count_nonzero(ref) < max(64, 0.05 * n_roi):  # (a user's point is small by design)
        flags.append("reference skin too small")
    if np.count_nonzero(mask_s) > 0.75 * n_roi:
        flags.append("mostly depigmented: reference skin uncertain")
    if np.count_nonzero(clipped_all & roi_s) > 0.02 * n_roi:
        flags.append("overexposed")
    nan3 = (float("nan"),) * 3

    ref_rgb = _median_rgb(srgb, ref) if ref.any() else None
    ref_lab = _rgb_lab(ref_rgb) if ref_rgb is not None else nan3
    if modality == "visible" and ref_lab[0] < DARKEST_SKIN_L:
        flags.append(DARK_REFERENCE_FLAG)
    if modality == "visible" and ref_rgb is not None and colour_cast(ref_rgb):
        flags.append(COLOUR_CAST_FLAG)  # (its ITA means nothing: not "very light")
    elif (modality == "visible" and "overexposed" not in flags  # (washed out, not light skin)
            and _ita(ref_lab) > VERY_LIGHT_ITA):
        flags.append(VERY_LIGHT_FLAG)
    core_dep = cv2.erode(mask_s.astype(np.uint8), _ref.disk(2)).astype(bool)
    if not core_dep.any():
        core_dep = mask_s
    dep_lab = _lab_tuple(srgb, core_dep) if core_dep.any() else nan3
    thresholds = {
        "score": float(thr),
        "sensitivity": float(sensitivity),
        "direction": tuple(float(v) for v in model["w"]) if model else (),
        "depigmented_prior": float(model["pi1"]) if model else 0.0,
        "smoothing_px": 0.0 if fine else float(sig),
        "min_area_px": float(min_px_s / (k * k)),
    }
    # outside the region the index describes the background (a light wall looks
    # "depigmented"): the region's own values are continued a few pixels outward, so the
    # upsampling below does not blend the background into the region's border pixels
    index = _fill_from_neighbours(index, ~roi_s, sigma=1.0)
    # full-resolution decision: the smooth index is upsampled over the region's box only,
    # then thresholded there; the full-frame score (0, the normal-skin level, outside the
    # box) and reference are built only if a caller reads them
    index = index.astype(np.float32)
    score = _ref.BoxMap(index, box, (H, W), cv2.INTER_LINEAR)
    mask = np.zeros((H, W), bool)
    if np.isfinite(thr):
        # straight into the mask's box (no 12-MP temporaries): 0/255, then 0/1 with the region
        dst = mask[box].view(np.uint8)
        out = cv2.compare(score.box_values(), float(thr), cv2.CMP_GT, dst=dst)
        if out is not dst:  # OpenCV did not write in place
            dst[...] = out
        out = cv2.bitwise_and(dst, roi_box.view(np.uint8), dst=dst)
        if out is not dst:
            dst[...] = out
    reference_full = _ref.BoxMap(ref, box, (H, W), cv2.INTER_NEAREST, within=roi_box, fill=False)
    return dict(mask=mask, score=score, reference_lab=ref_lab, thresholds=thresholds, flags=flags,
                reference=reference_full, depigmented_lab=dep_lab, contrast=contrast,
                working_shape=(h, w)), flags


def _lab_tuple(srgb, m) -> tuple:
    """CIELAB of the median sRGB colour of the pixels ``m``, as floats."""
    return _rgb_lab(_median_rgb(srgb, m))


def _median_rgb(srgb, m) -> np.ndarray:
    """Median sRGB colour (3,) float32 of the pixels ``m``."""
    return _ref.median(_ref.sample(srgb, m)).astype(np.float32)


def _rgb_lab(rgb) -> tuple:
    """CIELAB of one sRGB colour (3,), as floats."""
    return tuple(float(v) for v in rgb_to_lab(np.asarray(rgb, np.float32)[None, None])[0, 0])


def _ita(lab) -> float:
    """Individual typology angle (degrees) of one CIELAB colour."""
    return float(ita_degrees(np.array(lab)))


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


#: Depigmented skin is lighter than the normal skin around it. The illumination field is
#: least sure at the region's edge, where shade puts a depigmented cheek that turns from
#: the light a few normal-skin s.d. below it; a pixel darker by more than this many s.d.
#: (log luminance) is never depigmented: background that the region's outline bridges
#: (between fingers), a nostril, hair -- whose hue, near grey, means nothing.
MAX_DEPIG_DARKER = 10.0
#: Minimum colour difference (CIEDE2000) between patch cores and normal skin for a
#: depigmented class to be accepted: about twice the just-noticeable difference.
MIN_DELTA_E = 2.0
#: Normal skin lighter than this individual typology angle (degrees; "very light", Chardon
#: et al. 1991, Fitzpatrick I) is flagged in visible light: depigmentation shows mostly as
#: a change of hue there (development photos, 3 x 72: mean Dice 0.63 for type I in visible
#: light against 0.88 for the rest and 0.94 for type I under a Wood's lamp).
VERY_LIGHT_ITA = 55.0
VERY_LIGHT_FLAG = "very light skin: a Wood's lamp photo shows depigmentation better"
#: Visible light: the normal skin has a colour no skin has in a white-balanced photo
#: (:func:`vasi.color.colour_cast`).
COLOUR_CAST_FLAG = ("colour cast: the normal skin is greyer or bluer than skin (a colour cast, or a "
                    "reference that is not normal skin): white-balance the photo (a colour chart in "
                    "the frame and vasi.normalize) and check the region and the reference")
#: Visible light: normal skin darker than this CIELAB L* is darker than any skin in a
#: photo exposed for it (the development photos' Fitzpatrick VI skin: L* 32-40; the
#: generator's darkest, ITA -60: L* 25-29, and 17-21 a stop under), so the photo is
#: underexposed by well over a stop or the reference is not skin (a BGR photo read as RGB
#: took the dark background: L* 11).
DARKEST_SKIN_L = 15.0
DARK_REFERENCE_FLAG = ("normal skin too dark: the photo is underexposed or the reference is not "
                       "skin (check the exposure, the region and the reference)")
#: Flag of a greyscale Wood's lamp photo (scored from its brightness; the fluorescence's
#: colour, which tells it from a white reflection, is not there to use).
GREYSCALE_FLAG = "greyscale photo"
#: A class separating from normal skin by less than this (d', normal skin's SDs) is flagged
#: "low contrast", and the photo is analysed again on a working image ``COARSE`` x as
#: large (the result with the larger separation is kept).
LOW_CONTRAST = 4.0
COARSE = 2.0 / 3.0
#: Required significance of a patch (see ``_relative``): z = d' * sqrt(n footprints).
SIGNIFICANCE_Z = 5.0
N_PASSES = 2
#: The unsmoothed index is used when the half-way border stands this many of its own
#: noise standard deviations (on normal skin) above normal skin.
FINE_Z = 3.0
#: Median size (working px) of the unsmoothed index: 3 removes hairs and pores (about a
#: pixel wide) but keeps perifollicular islands (1-3 mm, several pixels). When the index
#: without any median passes the ``FINE_Z`` test too, it is used as is.
FINE_MEDIAN = 3
#: Under a Wood's lamp, the depigmented level is followed across the region by a smooth
#: field through the patch cores of this width (fraction of the region's size, the
#: square root of its area), as the normal skin's illumination field is.
LEVEL_FIELD = 0.15
#: Long side, in pixels, of the working image of the region's bounding box: the region is
#: analysed at about 0.3-0.5 mm per pixel on a face, whatever the camera's resolution.
WORK_SIDE = 512

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
    max_side: int | None = None,
    min_contrast: float = 2.5,
    work_side: int | None = None,
) -> Segmentation:
    """Segment depigmented skin relative to the patient's own normal skin.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), vasi.Photo, path or bytes
        RGB photo (uint8, uint16 or float in [0, 1]), or a photo file (see
        :func:`vasi.read_photo`); a greyscale one (R = G = B) only under a Wood's lamp.
    modality : {"visible", "woods"}, keyword-only
        Visible-light or Wood's lamp photo.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region; the whole image when None.
    mm_per_px : float, optional
        Pixel size in mm (default: the photo file's own, if it states one); enables
        ``min_area_mm2``.
    method : {"relative", "lightness-otsu"}, keyword-only
        Segmentation method (see the module docstring; ``"lightness-otsu"`` is a simple
        baseline kept for comparison).
    sensitivity : float in (0, 1), keyword-only
        How little depigmentation the border asks for: it is drawn at the colour of skin
        ``1 - sensitivity`` depigmented, the linear-light blend ``sensitivity x normal +
        (1 - sensitivity) x depigmented`` of this photo's normal skin and patch cores seen
        under the same light (0.5: half-depigmented skin). The mask is ``score >
        thresholds["score"]`` inside ``roi``, that threshold being the blend's score
        (dimensionless: 0 = normal skin, 1 = the patch cores' level; clipped to
        0.05-0.95). It is not ``1 - sensitivity``: the score is built from log features,
        on which the blend lies above its linear share (thresholds 0.871, 0.647, 0.319 at
        sensitivity 0.2, 0.5, 0.8 on ``sample_images/photos/P001/week00/face_visible.jpg``
        in its :func:`vasi.find_region` face). Higher finds fainter depigmentation.
    reference : ndarray of bool (H, W) or (row, col), optional
        The user's normal reference skin: a mask, or a point (a small disk around it). For
        when the automatic reference fails (mostly depigmented skin: synthetic forearms
        87 % depigmented, Dice 0.10-0.25 automatic, 0.93-0.98 from a point; type IV faces
        and forearms 65-98 % depigmented, seeds 1-12 visible and Wood's, from the normal
        skin's mask: mean Dice 0.88, 1 of 48 empty); on other photos a point is a small
        sample of the skin's light and noise and usually does worse than the automatic
        reference (faces: 0.04-0.95 against 0.74-0.94). A drawn mask of normal skin across
        the region is the dependable choice. It is taken as normal skin throughout,
        including the ``MIN_REGION_DPRIME`` test below.
    min_area_mm2 : float or None, keyword-only
        Patches smaller than this are dropped (when ``mm_per_px`` is known; otherwise a
        small fraction of the region, 2e-5, is used).
    max_side : int, keyword-only
        Long side in pixels (default ``WORK_SIDE``, 512) of the working image of the
        region's bounding box (the
        analysis runs there; the score is upsampled and thresholded at full resolution).
        A low-contrast result (d' < ``LOW_CONTRAST``) is computed again at ``COARSE`` x
        this side and the one with the larger d' is kept (``working_shape`` tells which).
    min_contrast : float, keyword-only
        Minimum separation d' (in standard deviations of normal skin) of depigmented from
        normal skin for any patch to be reported, normal skin's spread taken from the
        reference skin. 2.5 finds low-contrast vitiligo on very fair skin (flagged "low
        contrast"). The depigmented level must also stand ``MIN_REGION_DPRIME`` (3.5)
        standard deviations above the mode of the whole region, measured on its lower side
        (:func:`vasi.levels._region_contrast`; when that mode is depigmented skin, the mode
        of the normal skin the segmentation found instead; with ``reference``, that skin's
        median and spread instead, away from its edge: on a mostly depigmented region the
        index below half-way is mostly partly depigmented skin, whose spread hid the
        patches): skin without vitiligo -- its own mottle, shine, a flush -- then has no
        depigmented class (synthetic photos without patches, visible light: 11 % of the
        skin called depigmented before this test, 1.4 % after).
    work_side : int, keyword-only
        Deprecated: the old name of ``max_side``.

    Returns
    -------
    Segmentation

    Raises
    ------
    vasi.InputError
        A bad argument (shape, dtype, range, option name), or a greyscale photo in visible
        light; the message names the argument and the fix.
    vasi.PhotoError
        A photo given as a file that cannot be read.

    Examples
    --------
    >>> img = np.full((40, 40, 3), (150, 110, 80), np.uint8); img[10:20, 10:20] = 235
    >>> seg = segment(img)
    >>> int(seg.mask.sum()), seg.flags
    (100, ())
    >>> t = seg.thresholds["score"]  # the border: half-depigmented skin's score, not 0.5
    >>> round(t, 3), bool(np.array_equal(seg.mask, seg.score > t))
    (0.723, True)
    """
    arr, meta_mm = image_and_scale(image)
    check_choice(modality, MODALITIES, "modality")
    grey = check_colour(arr, modality)
    check_choice(method, SEGMENT_METHODS, "method")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True) or meta_mm
    max_side = check_max_side(renamed(max_side, work_side, old="work_side", new="max_side",
                                      default=WORK_SIDE))
    sensitivity = check_fraction(sensitivity, "sensitivity", fix="0.5 = half-way border")
    if min_area_mm2 is not None:
        min_area_mm2 = check_positive(min_area_mm2, "min_area_mm2")
    min_contrast = check_positive(min_contrast, "min_contrast")
    if method == "lightness-otsu":  # (its threshold is Otsu's: these options would do nothing)
        given = dict(sensitivity=sensitivity, min_area_mm2=min_area_mm2,
                     min_contrast=min_contrast)
        unused = ([name for name, v in given.items() if v != segment.__kwdefaults__[name]]
                  + ["reference"] * (reference is not None))
        if unused:
            raise InputError(f"method='lightness-otsu' does not use {unused}; leave them out, or "
                             "use method='relative'.")
    roi = np.ones(arr.shape[:2], bool) if roi is None else check_mask(roi, arr.shape[:2], "roi").copy()
    user_ref = _user_reference(reference, arr.shape[:2], roi)
    if not roi.any():
        return _empty(arr.shape[:2], roi, modality, method, mm_per_px, ["empty region"])
    kw = dict(modality=modality, mm_per_px=mm_per_px, sensitivity=sensitivity,
              reference=user_ref, min_area_mm2=min_area_mm2,
              **({"min_contrast": float(min_contrast)} if method == "relative" else {}))
    out, flags = _METHODS[method](arr, roi, max_side=int(max_side), **kw)
    coarse_side = int(round(COARSE * max_side))
    if (method == "relative" and out is not None and out["contrast"] < LOW_CONTRAST
            and max(out["working_shape"]) > coarse_side):
        # faint depigmentation: a coarser working image averages more noise away, and the
        # scale at which the patches stand out more is kept
        coarse, c_flags = _METHODS[method](arr, roi, max_side=coarse_side, **kw)
        if coarse is not None and coarse["contrast"] > out["contrast"]:
            out, flags = coarse, c_flags
    if grey:  # (under a Wood's lamp: scored from the brightness alone)
        flags = [*flags, GREYSCALE_FLAG]
        if out is not None:
            out["flags"] = flags
    if out is None:
        return _empty(arr.shape[:2], roi, modality, method, mm_per_px, flags)
    for f in flags:
        log.info("segment: %s", f)
    return Segmentation(modality=modality, method=method, mm_per_px=mm_per_px, roi=roi,
                        flags=tuple(out.pop("flags")), **out)
