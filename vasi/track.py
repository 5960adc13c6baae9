"""Track depigmented patches across visits, in baseline coordinates.

The baseline patches are labelled **once** (:func:`label_patches`); every follow-up mask,
already warped into baseline coordinates (:meth:`vasi.Registration.warp`), is measured inside
each baseline patch envelope, so patch identity is kept across visits by construction:

* residual depigmentation = follow-up depigmented & baseline patch;
* repigmented area        = baseline patch & not follow-up depigmented;
* new depigmentation      = follow-up depigmented where the baseline was not (outside the
  baseline patches and any other baseline depigmentation, e.g. specks too small to track,
  grown by ``tolerance_px`` so a sub-pixel border wobble is not counted): spreading or new
  patches, a sign of activity. :func:`confirm_new` keeps only what the two photos confirm
  (a faint patch that one segmentation missed is not new) and, given the patient's lesion
  colour, only skin that turned towards it at the same place (:func:`change_degree`: shine
  is not new depigmentation).

Pixels the follow-up photo does not cover (``valid`` False) are left out of every ratio.

.. math:: \\text{repigmentation\\%} = 100 \\left(1 - \\frac{\\text{residual}}{\\text{baseline}}\\right)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from ._validate import (
    check_choice,
    check_fraction,
    check_image,
    check_mask,
    check_positive,
    is_number,
    to_float,
)
from .color import srgb_to_linear
from .errors import InputError
from .levels import _components_below
from .reference import edt, region_box, sample_index, shading, take

__all__ = ["Tracking", "label_patches", "track", "envelope_masks", "EnvelopeModel", "confirm_new",
           "change_degree"]


def _check_px(value, name: str) -> int:
    """A distance in whole pixels >= 0, checked."""
    if not (is_number(value, whole=True) and value >= 0):
        raise InputError(f"{name} must be a whole number of pixels >= 0; got {value!r}.")
    return int(value)


def _check_labels(labels, shape) -> np.ndarray:
    """Patch labels checked: a non-negative integer array of ``shape`` (0: no patch)."""
    labels = np.asarray(labels)
    if labels.shape != tuple(shape) or labels.dtype.kind not in "iu":
        raise InputError(f"labels must be an integer array of shape {tuple(shape)} (from "
                         f"label_patches); got {labels.dtype} {labels.shape}.")
    if labels.dtype.kind == "i" and labels.size and labels.min() < 0:
        raise InputError(f"labels must be >= 0, with 0 for no patch; got {labels.min()}. "
                         "Pass np.maximum(labels, 0) if -1 marks the background.")
    return labels


def label_patches(baseline_mask, *, min_area_px: int = 0, join_px: int = 0) -> np.ndarray:
    """Label the baseline depigmented patches once (8-connectivity), largest first.

    Parameters
    ----------
    baseline_mask : ndarray of bool, shape (H, W)
        Baseline depigmentation mask.
    min_area_px : int, keyword-only
        Patches smaller than this are dropped (label 0).
    join_px : int, keyword-only
        Parts of the mask at most about ``2 * join_px`` pixels apart are one patch (a
        patch the segmentation broke at a narrow neck, or a fragment beside it, keeps one
        identity, area and pattern). 0: connected components only.

    Returns
    -------
    ndarray of int32, shape (H, W)
        0 = not a patch; patch ids ``1..n`` ordered by decreasing area (ties: top-left first).

    Examples
    --------
    >>> m = np.zeros((10, 10), bool); m[0:2, 0:2] = True; m[5:9, 5:9] = True
    >>> lab = label_patches(m)
    >>> int(lab[6, 6]), int(lab[0, 0])
    (1, 2)
    >>> m[5:9, 3:4] = True  # a fragment 1 px from the patch
    >>> int(label_patches(m).max()), int(label_patches(m, join_px=1).max())
    (3, 2)
    """
    m = np.asarray(baseline_mask)
    m = check_mask(m, m.shape, "baseline_mask")
    join_px = _check_px(join_px, "join_px")
    if join_px > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * join_px + 1, 2 * join_px + 1))
        groups = cv2.dilate(m.view(np.uint8), k).view(bool)
        lab, n = ndi.label(groups, structure=np.ones((3, 3), bool))
        lab[~m] = 0
    else:
        lab, n = ndi.label(m, structure=np.ones((3, 3), bool))
    if n == 0:
        return lab.astype(np.int32)
    areas = np.bincount(lab.ravel(), minlength=n + 1)[1:]
    order = np.argsort(-areas, kind="stable")  # ndi.label numbers in raster order
    keep = areas[order] >= int(min_area_px)
    remap = np.zeros(n + 1, np.int32)
    remap[order[keep] + 1] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return remap[lab]


@dataclass(frozen=True)
class Tracking:
    """One follow-up visit measured against the baseline patches (baseline coordinates).

    Attributes
    ----------
    patches : pandas.DataFrame
        One row per baseline patch: ``patch_id``, ``baseline_area_px``, ``residual_area_px``,
        ``repigmented_area_px``, ``repigmentation_pct``, ``covered_fraction`` (share of the
        patch the follow-up photo covers) and, with ``mm_per_px``, ``baseline_area_mm2``,
        ``residual_area_mm2``.
    residual_mask, repigmented_mask, new_mask : ndarray of bool, shape (H, W)
        Residual depigmentation in baseline patches, repigmented baseline patch pixels, new
        depigmentation outside the (grown) baseline patches and baseline depigmentation.
    valid : ndarray of bool, shape (H, W)
        Pixels the follow-up covers.
    baseline_area_px, residual_area_px, repigmented_area_px, new_area_px : int
        Totals over the covered patch pixels (``new_area_px`` over covered pixels in the roi).
    repigmentation_pct : float
        Overall percent repigmentation of the baseline patches (NaN without baseline patches).
    mm_per_px : float or None
    """

    patches: pd.DataFrame
    residual_mask: np.ndarray
    repigmented_mask: np.ndarray
    new_mask: np.ndarray
    valid: np.ndarray
    baseline_area_px: int
    residual_area_px: int
    repigmented_area_px: int
    new_area_px: int
    repigmentation_pct: float
    mm_per_px: float | None = None

    def to_dict(self) -> dict:
        """Visit-level numbers as a flat dict.

        >>> m = np.zeros((6, 6), bool); m[1:5, 1:5] = True
        >>> track(m, m).to_dict()["repigmentation_pct"]
        0.0
        """
        d = {
            "baseline_area_px": self.baseline_area_px,
            "residual_area_px": self.residual_area_px,
            "repigmented_area_px": self.repigmented_area_px,
            "new_depigmentation_px": self.new_area_px,
            "repigmentation_pct": self.repigmentation_pct,
        }
        if self.mm_per_px:
            a = self.mm_per_px**2 / 100.0
            d.update(residual_area_cm2=self.residual_area_px * a,
                     new_depigmentation_cm2=self.new_area_px * a)
        return d


def track(
    baseline_mask,
    followup_mask,
    *,
    labels=None,
    valid=None,
    roi=None,
    mm_per_px: float | None = None,
    tolerance_px: int = 0,
) -> Tracking:
    """Measure one follow-up against the baseline patches, in baseline coordinates.

    Parameters
    ----------
    baseline_mask : ndarray of bool, shape (H, W)
        Baseline depigmentation.
    followup_mask : ndarray of bool, shape (H, W)
        Follow-up depigmentation already warped into baseline coordinates.
    labels : ndarray of int, shape (H, W), keyword-only, optional
        Baseline patch labels from :func:`label_patches` (computed when None). Pass the same
        labels for every visit to keep patch ids.
    valid : ndarray of bool, shape (H, W), optional
        Pixels the follow-up covers (:meth:`vasi.Registration.valid_mask`); all when None.
    roi : ndarray of bool, shape (H, W), optional
        Assessed region in baseline coordinates; new depigmentation is counted inside it.
    mm_per_px : float, optional
        Baseline pixel size; adds mm² / cm² columns.
    tolerance_px : int, keyword-only
        Grow the baseline patches (and the rest of ``baseline_mask``) by this many px before
        counting new depigmentation; labels computed here join baseline parts at most twice
        this apart into one patch (as :func:`vasi.track_series` does).

    Returns
    -------
    Tracking

    Examples
    --------
    >>> base = np.zeros((20, 20), bool); base[2:12, 2:12] = True
    >>> follow = np.zeros((20, 20), bool); follow[2:12, 2:7] = True; follow[15:18, 15:18] = True
    >>> t = track(base, follow)
    >>> t.repigmentation_pct, t.new_area_px, t.patches["repigmentation_pct"].tolist()
    (50.0, 9, [50.0])
    """
    b = np.asarray(baseline_mask)
    b = check_mask(b, b.shape, "baseline_mask")
    shape = b.shape
    f = check_mask(followup_mask, shape, "followup_mask")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    tolerance_px = _check_px(tolerance_px, "tolerance_px")
    if labels is None:
        labels = label_patches(b, join_px=tolerance_px)
    else:
        labels = _check_labels(labels, shape)
    valid = np.ones(shape, bool) if valid is None else check_mask(valid, shape, "valid")
    roi = np.ones(shape, bool) if roi is None else check_mask(roi, shape, "roi")

    tracked = labels > 0
    patch = tracked & valid
    residual = f & patch
    repig = patch & ~f
    # new = not depigmented at baseline: neither a tracked patch nor baseline depigmentation
    # left untracked (specks below the minimum size, faint candidates), which would
    # otherwise be reported as new at every visit, baseline included
    grown = tracked | b
    if tolerance_px > 0:
        # = ndi.binary_dilation(3x3, iterations), several times faster
        grown = cv2.dilate(grown.view(np.uint8), np.ones((3, 3), np.uint8),
                           iterations=tolerance_px).view(bool)
    new = f & ~grown & valid & roi

    n = int(labels.max()) if labels.size else 0
    # per-patch counts over the patch pixels only (a small part of the frame)
    at = np.flatnonzero(tracked)
    lab, on = labels.ravel()[at], valid.ravel()[at]
    base_all = np.bincount(lab, minlength=n + 1)[1:]
    base_cov = np.bincount(lab[on], minlength=n + 1)[1:]
    res = np.bincount(lab[on & f.ravel()[at]], minlength=n + 1)[1:].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(base_cov > 0, 100.0 * (1.0 - res / np.maximum(base_cov, 1)), np.nan)
        cov = np.where(base_all > 0, base_cov / np.maximum(base_all, 1), np.nan)
    table = pd.DataFrame({
        "patch_id": np.arange(1, n + 1, dtype=int),
        "baseline_area_px": base_cov.astype(int),
        "residual_area_px": res.astype(int),
        "repigmented_area_px": (base_cov - res).astype(int),
        "repigmentation_pct": pct,
        "covered_fraction": cov,
    })
    if mm_per_px:
        table["baseline_area_mm2"] = table["baseline_area_px"] * mm_per_px**2
        table["residual_area_mm2"] = table["residual_area_px"] * mm_per_px**2
    tot_b, tot_r = int(base_cov.sum()), int(res.sum())
    overall = 100.0 * (1.0 - tot_r / tot_b) if tot_b else float("nan")
    return Tracking(table, residual, repig, new, valid, tot_b, tot_r, tot_b - tot_r,
                    int(np.count_nonzero(new)), float(overall), mm_per_px)


#: Reference ring of a patch envelope: inner and outer distance from the patch (mm), and
#: in px when the photo has no scale.
RING_MM = (3.0, 8.0)
RING_PX = (10, 25)
#: With ``normal_level="baseline"`` the change of light between two photos is measured on
#: skin far from all patches within this distance of a patch's box (mm; px without a scale).
LIGHT_MM = 25.0
LIGHT_PX = 80
#: How each follow-up's normal-skin level is set (see :class:`EnvelopeModel`).
NORMAL_LEVELS = ("baseline", "visit")
DEFAULT_NORMAL_LEVEL = "baseline"


def _ring_px(ring_mm, mm_per_px):
    """Inner and outer ring distance in px: ``ring_mm`` (``RING_MM`` when None) at the pixel
    size, or ``RING_PX`` without a scale -- with a warning if ``ring_mm`` was given, which
    mm cannot then be honoured (a scale is often known only at run time: a marker found or
    not, so this is not an error)."""
    if ring_mm is None:
        if not mm_per_px:
            return RING_PX
        ring_mm = RING_MM
    r = np.asarray(ring_mm, dtype=object)
    if r.shape != (2,) or not all(is_number(x) for x in r) or not 0 <= r[0] < r[1] < np.inf:
        raise InputError(f"ring_mm must be the ring's (inner, outer) distance from the patch in "
                         f"mm, 0 <= inner < outer, e.g. {RING_MM}; got {ring_mm!r}.")
    if not mm_per_px:
        warnings.warn(f"ring_mm={tuple(ring_mm)!r} is ignored: without a scale (mm_per_px) the "
                      f"reference ring is RING_PX = {RING_PX} px from the patch. Pass mm_per_px "
                      "(or a photo with a scale marker) to use ring_mm, or leave ring_mm out.",
                      UserWarning, stacklevel=3)
        return RING_PX
    return max(2, int(round(ring_mm[0] / mm_per_px))), max(4, int(round(ring_mm[1] / mm_per_px)))


def _photo_pair(baseline, followup):
    """The two photos validated, the follow-up already in baseline coordinates (same shape)."""
    b = check_image(baseline, "baseline")
    f = check_image(followup, "followup")
    if f.shape[:2] != b.shape[:2]:
        raise InputError(f"followup must be warped into baseline coordinates (shape {b.shape[:2]}); "
                         f"got {f.shape[:2]}. Use Registration.warp(followup).")
    return b, f


def _check_linear(image, name):
    """``linear=True`` inputs are float linear RGB."""
    if image.dtype.kind != "f":
        raise InputError(f"linear=True needs {name} as float linear RGB in [0, 1]; got {image.dtype}. "
                         f"Pass linear=False for an sRGB photo.")


def confirm_new(baseline, followup, new_mask, *, roi=None, exclude=None, mm_per_px=None,
                ring_mm=None, level: float = 0.5, linear: bool = False,
                min_area_px: float = 0, lesion=None) -> np.ndarray:
    """New depigmentation that the two photos themselves confirm: the skin changed there.

    ``new_mask`` comes from comparing two segmentations, and a faint patch that the baseline
    segmentation missed but the follow-up's found looks new. Each component of
    ``new_mask`` is measured like a patch envelope (:class:`EnvelopeModel`) on the
    *follow-up*: its contrast direction against the follow-up's local normal skin (a ring
    ``ring_mm`` around it, outside ``exclude``), scaled so that 1 is the component's median
    contrast. The baseline photo is projected on the same direction against its own ring; a
    pixel stays new only where the baseline's degree is at most ``level`` (half-way).
    Components that cannot be checked stay new: without a reference ring, under 5 px, or
    without contrast against their ring in the follow-up.
    With ``lesion`` (the patient's own vitiligo colour relative to normal skin, e.g.
    :meth:`EnvelopeModel.lesion_contrast`), a component also has to have changed *towards
    it*, at the same place: the follow-up divided by the baseline there, against the same
    ratio on normal skin around the component (the change of light), projected on ``lesion``
    (:func:`change_degree`), must exceed ``level`` at the component's median pixel (its
    soft border keeps the pixels the first rule kept). Anything else that makes skin look
    lighter than its ring in one photo only -- shine (white light added: a lighter skin of
    much the same hue), brow hair in a pocket of a patch that one segmentation took for
    depigmented, a patch border a pixel out -- has not moved the skin towards the patient's
    vitiligo by half of it. This check needs no ring of normal skin right around the
    component (the light change is measured on the normal skin within ``LIGHT_MM`` of it),
    so it also checks a candidate enclosed by baseline patches. Last, what is left smaller than
    ``min_area_px`` (8-connected, checked or not) is dropped: new depigmentation is held
    to the minimum size of a patch, as the segmentation holds its patches
    (:func:`vasi.track_series` passes its ``min_patch_area_mm2`` in px, or the
    segmentation's pixel fallback without a scale). The default 0 keeps every size: then
    specks of 1-4 px, which no ring can check, stay new.

    Parameters
    ----------
    baseline, followup : ndarray, shape (H, W, 3)
        The two photos in baseline coordinates (sRGB, or linear RGB floats in [0, 1] with
        ``linear=True``).
    new_mask : ndarray of bool, shape (H, W)
        Candidate new depigmentation.
    roi : ndarray of bool, shape (H, W), optional
        Where the rings may lie (the assessed region the follow-up covers).
    exclude : ndarray of bool, shape (H, W), optional
        Depigmentation known at baseline (patch envelopes), kept out of the rings.
    mm_per_px : float, optional
        Pixel size (ring distances in mm).
    ring_mm : (float, float), optional
        Inner and outer distance of the reference ring from each component (mm; ``RING_MM``
        when None). Needs ``mm_per_px``: without it the ring is ``RING_PX`` px, with a
        warning if ``ring_mm`` was given.
    level : float
        Degree (share of the follow-up component's contrast) the baseline must exceed for a
        pixel not to be new.
    min_area_px : float, keyword-only
        Smallest confirmed component kept (px, 8-connected); 0 keeps all.
    lesion : array-like (3,), keyword-only, optional
        The patient's lesion contrast ``d`` (relative linear RGB: lesion / normal skin - 1),
        e.g. :meth:`EnvelopeModel.lesion_contrast`; adds the same-place change test
        (per component).

    Returns
    -------
    ndarray of bool, shape (H, W)
        The confirmed part of ``new_mask``, components of at least ``min_area_px``.

    Examples
    --------
    >>> base = np.full((80, 80, 3), (150, 100, 70), np.uint8); base[10:20, 10:20] = (220, 190, 170)
    >>> follow = base.copy(); follow[50:60, 50:60] = (220, 190, 170)   # one spot really new
    >>> cand = np.zeros((80, 80), bool); cand[10:20, 10:20] = cand[50:60, 50:60] = True
    >>> int(confirm_new(base, follow, cand).sum())
    100
    >>> cand[30, 30] = True   # a 1-px speck: no ring can check it
    >>> kept = confirm_new(base, follow, cand), confirm_new(base, follow, cand, min_area_px=16)
    >>> [int(k.sum()) for k in kept]
    [101, 100]
    >>> follow[30:40, 60:70] = (165, 115, 85)   # lighter, not the colour of the patient's patch
    >>> cand[30:40, 60:70] = True
    >>> d = [1.3, 3.0, 5.6]   # the patch's contrast (lesion_contrast: 220, 190, 170 on 150, 100, 70)
    >>> [int(confirm_new(base, follow, cand, lesion=x, min_area_px=16).sum()) for x in (None, d)]
    [200, 100]
    """
    b, f = _photo_pair(baseline, followup)
    shape = f.shape[:2]
    if linear:
        _check_linear(b, "baseline")
        _check_linear(f, "followup")
    new = check_mask(new_mask, shape, "new_mask")
    if not (is_number(min_area_px) and 0 <= min_area_px < np.inf):
        raise InputError(f"min_area_px must be a number of pixels >= 0; got {min_area_px!r}.")
    if not new.any():
        return new.copy()
    roi = np.ones(shape, bool) if roi is None else check_mask(roi, shape, "roi")
    if exclude is not None:
        roi = roi & ~check_mask(exclude, shape, "exclude")
    # only the candidates and their rings take part (the rings are close: no shading model)
    box = confirm_box(new, mm_per_px=mm_per_px, ring_mm=ring_mm)
    cand = new[box]
    _, comp = cv2.connectedComponents(cand.view(np.uint8), connectivity=8)
    model = EnvelopeModel(f[box], comp.astype(np.int32), roi=roi[box] | cand, mm_per_px=mm_per_px,
                          margin_px=0, ring_mm=ring_mm if mm_per_px else None,  # (warned once)
                          level=level, linear=linear, flatten=False, normal_level="visit")
    _, then = model.apply(b[box], linear=linear)
    out = np.zeros(shape, bool)
    kept = cand & ~(np.nan_to_num(then, nan=0.0) > level)
    if lesion is not None:
        kept &= _changed_towards(b, f, new, roi & ~new, lesion, mm_per_px=mm_per_px,
                                 ring_mm=ring_mm, level=level, linear=linear,
                                 min_area_px=min_area_px)[box]
    out[box] = kept & ~_components_below(kept, min_area_px) if min_area_px > 0 else kept
    return out


def _changed_towards(b, f, new, normal, lesion, *, mm_per_px, ring_mm, level, linear,
                     min_area_px):
    """The pixels of ``new`` whose component moved towards ``lesion`` by more than ``level``
    at its median pixel (:func:`change_degree`; a blend at its soft border keeps its
    pixels), or could not be checked: the light change measured within ``LIGHT_MM``.
    Components under ``min_area_px`` are left out (none of their pixels could be kept)."""
    r_out = _ring_px(ring_mm if mm_per_px else None, mm_per_px)[1]
    box = confirm_box(new, mm_per_px=mm_per_px, ring_mm=ring_mm if mm_per_px else None,
                      lesion=lesion)
    n, comp = cv2.connectedComponents(new[box].view(np.uint8), connectivity=8)
    comp[(np.bincount(comp.ravel(), minlength=n) < min_area_px)[comp]] = 0
    t = change_degree(b[box], f[box], comp, normal[box], lesion,
                      light_px=_light_px(mm_per_px, r_out), linear=linear)
    out = np.zeros(new.shape, bool)
    inside = out[box]
    for k, sl in enumerate(ndi.find_objects(comp), 1):
        if sl is None:
            continue
        C = comp[sl] == k
        tk = t[sl][C]
        if np.isfinite(tk).all() and np.median(tk) <= level:
            continue  # checked, and not turned towards the lesion colour (NaN: unchecked)
        inside[sl] |= C
    return out


def change_degree(baseline, followup, comp, normal, lesion, *, light_px: int = LIGHT_PX,
                  linear: bool = False) -> np.ndarray:
    r"""How far each component's skin moved from the baseline towards the patient's lesion
    colour, at the same place: 0 unchanged, 1 normal skin turned lesion.

    .. math:: t(x) = c(x) \cdot p, \quad c = \frac{u_f / u_b}{g} - 1, \quad
              p = \Sigma_c^{-1} d \,/\, (d \cdot \Sigma_c^{-1} d)

    with ``u`` linear RGB, ``g`` the per-channel median of ``u_f / u_b`` -- the change of
    light between the photos -- over the ``normal`` skin within ``light_px`` of the
    component's bounding box (as :class:`EnvelopeModel` measures it; not a ring right
    around the component, which a component enclosed by patches may lack or find in a pocket
    of brow hair), ``d`` = ``lesion`` and ``Sigma_c`` the covariance of ``c`` on that skin
    (:func:`_matched_projection`: registration, texture and shine move the brightness of all
    channels together, depigmentation the colour too). Normal skin that loses its melanin
    has ``c = d``, so ``t`` is the share of the patient's own lesion contrast gained.

    Parameters
    ----------
    baseline, followup : ndarray, shape (H, W, 3)
        The two photos in the same coordinates (sRGB, or linear RGB with ``linear=True``).
    comp : ndarray of int32, shape (H, W)
        Components to measure (0: none).
    normal : ndarray of bool, shape (H, W)
        Normal skin at both visits (the light change is measured there).
    lesion : array-like (3,)
        The patient's lesion contrast ``d`` (lesion / normal skin - 1, linear RGB).
    light_px : int
        Reach of the light-change measurement around a component (px).

    Returns
    -------
    ndarray of float32, shape (H, W)
        ``t`` on the components; NaN elsewhere and on a component with fewer than 100 px of
        normal skin within ``light_px``.

    Examples
    --------
    >>> base = np.full((60, 60, 3), (150, 100, 70), np.uint8)
    >>> follow = (base * 0.8).astype(np.uint8)   # darker photo
    >>> follow[10:20, 10:20] = (176, 152, 136)   # turned lesion-coloured (in this light)
    >>> follow[40:50, 40:50] = (150, 100, 70)    # lighter, as bright as before: no new colour
    >>> comp = np.zeros((60, 60), np.int32); comp[10:20, 10:20] = 1; comp[40:50, 40:50] = 2
    >>> t = change_degree(base, follow, comp, comp == 0, [1.3, 3.0, 5.6])
    >>> round(float(np.median(t[comp == 1])), 1), round(float(np.median(t[comp == 2])), 1)
    (0.8, 0.1)
    """
    d = np.asarray(lesion, np.float64)
    if d.shape != (3,) or not np.all(np.isfinite(d)) or float(d @ d) <= 0:
        raise InputError(f"lesion must be the lesion contrast (3 finite numbers, not all 0); "
                         f"got {lesion!r}.")
    ub, uf = _lin(baseline, 0.0, linear), _lin(followup, 0.0, linear)
    ratio = np.divide(uf, np.maximum(ub, 1e-4, out=ub), out=uf)
    normal = np.ascontiguousarray(normal)
    out = np.full(comp.shape, np.nan, np.float32)
    for k, sl in enumerate(ndi.find_objects(comp), 1):
        if sl is None:
            continue
        near = tuple(slice(max(s.start - light_px, 0), s.stop + light_px) for s in sl)
        if np.count_nonzero(normal[near]) < 100:
            continue  # no normal skin to measure the light by: unchecked
        ref = take(ratio, _box_index(normal, near))
        g = np.maximum(np.median(ref, axis=0), 1e-4)
        p = _matched_projection(d, ref / g - 1.0)
        C = comp[sl] == k
        out[sl][C] = (ratio[sl][C] / g - 1.0) @ p
    return out


def _light_px(mm_per_px, r_out) -> int:
    """Reach of the light-change measurement around a patch or candidate (px): ``LIGHT_MM``
    at the pixel size, at least the reference ring's outer distance ``r_out``, or
    ``LIGHT_PX`` without a scale."""
    return max(r_out, int(round(LIGHT_MM / mm_per_px))) if mm_per_px else LIGHT_PX


def confirm_box(new_mask, *, mm_per_px=None, ring_mm=None, lesion=None) -> tuple[slice, slice]:
    """The part of the frame :func:`confirm_new` works in: the candidates' bounding box grown
    by their reference rings (``ring_mm`` / ``mm_per_px`` as there) -- with ``lesion``, by
    the reach of the light-change measurement (:func:`change_degree`) -- and 2 px, clipped
    to the frame (the whole frame when ``new_mask`` is empty). ``confirm_new`` of the arrays
    cut to this box is ``confirm_new`` of the whole frames cut to it, and all False outside
    it.

    >>> m = np.zeros((100, 100), bool); m[40:50, 60:70] = True
    >>> confirm_box(m), confirm_box(m, lesion=[1.3, 3.0, 5.6])
    ((slice(13, 77, None), slice(33, 97, None)), (slice(0, 100, None), slice(0, 100, None)))
    """
    reach = _ring_px(ring_mm, mm_per_px)[1]
    if lesion is not None:
        reach = _light_px(mm_per_px, reach)
    return region_box(new_mask, margin=0.0, min_margin=reach + 2)


def _expand_labels(labels, distance):
    """``skimage.segmentation.expand_labels`` on the labels' bounding box grown by
    ``distance + 1`` only (the same result: every pixel that can change lies there, and every
    label pixel it can take its label from)."""
    from skimage.segmentation import expand_labels

    box = region_box(labels > 0, margin=0.0, min_margin=int(np.ceil(distance)) + 1)
    out = np.zeros_like(labels)
    out[box] = expand_labels(labels[box], distance)
    return out


def _matched_projection(d, normal):
    """Projection ``p`` with ``d . p = 1`` that weighs the colour channels by how little they
    vary on normal skin (the matched filter ``Sigma^-1 d``, ridge ``RIDGE`` of the mean
    variance): shading, relief and hair change mostly the brightness of all channels
    together, depigmentation also the colour. Any such ``p`` maps a linear-light blend
    ``(1 - a) normal + a lesion`` to ``a``, so the half-way border does not move; only the
    noise about it falls. Falls back to ``d / d.d`` when ``normal`` is too small.

    >>> d = np.array([0.3, 0.4, 0.6]); rng = np.random.default_rng(0)
    >>> normal = rng.normal(size=(500, 1)) * [0.2, 0.2, 0.2] + rng.normal(size=(500, 3)) * 0.01
    >>> p = _matched_projection(d, normal)
    >>> round(float(d @ p), 6), bool(np.std(normal @ p) < 0.5 * np.std(normal @ (d / (d @ d))))
    (1.0, True)
    """
    d = np.asarray(d, np.float64)
    plain = d / (d @ d)
    if len(normal) < 20:
        return plain
    cov = np.cov(np.asarray(normal, np.float64).T)
    cov += RIDGE * max(np.trace(cov) / len(d), 1e-12) * np.eye(len(d))
    w = np.linalg.solve(cov, d)
    wd = float(w @ d)
    return w / wd if wd > 0 else plain


#: Ridge of the normal-skin colour covariance in :func:`_matched_projection`, as a
#: fraction of its mean variance.
RIDGE = 0.01


class _Patch(NamedTuple):
    """What :class:`EnvelopeModel` keeps of one baseline patch."""

    pid: int
    box: tuple  # (rows, cols) slices around the envelope and its ring
    envelope: np.ndarray  # bool, in ``box``
    ring: np.ndarray  # bool, in ``box``: the local normal skin
    ring_level: np.ndarray  # (3,) the ring's median linear RGB at baseline
    projection: np.ndarray | None  # matched filter; None when the patch has no contrast
    contrast2: float  # d . d
    degree: np.ndarray | None  # baseline degree t in ``box``
    contrast: np.ndarray  # (3,) d: the patch's median colour relative to its ring, less 1
    area: int  # the patch's px


def _median_ratio(u1, u0, mask, box=None):
    """Per-channel median of ``u1 / u0`` over ``mask`` (an even sample of its pixels), or
    over ``mask[box]`` (the sample :func:`vasi.reference.sample` takes there) when a box is
    given: taken from the whole frames, which (contiguous) need no copy of the box to be
    indexed."""
    at = sample_index(mask) if box is None else _box_index(mask, box)
    return np.median(take(u1, at) / np.maximum(take(u0, at), 1e-4), axis=0)


def _box_index(mask, box):
    """Flat indices (in the whole frame) of the even sample :func:`vasi.reference.sample`
    takes of ``mask[box]``: a box of a contiguous frame is then indexed without a copy."""
    m = mask[box]
    r, c = np.divmod(sample_index(m), m.shape[1])
    return (r + box[0].start) * mask.shape[1] + (c + box[1].start)


def _weighted_median(x, w) -> float:
    """The median of ``x`` with weights ``w`` (the smallest value with half the weight at
    or below it).

    >>> _weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 5.0]))
    2.0
    """
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _lin(image, sigma, linear=False):
    """Linear RGB (float32, a new array) of an sRGB image, or of a linear one with
    ``linear=True``, denoised by a Gaussian of ``sigma`` px."""
    arr = np.asarray(image)
    if linear:
        out = arr.astype(np.float32)
    else:
        out = srgb_to_linear(arr if arr.dtype == np.uint8 else to_float(arr))
    if sigma > 0:
        out = ndi.gaussian_filter(out, (sigma, sigma, 0))
    return out


def envelope_masks(
    baseline,
    followup,
    labels,
    *,
    valid=None,
    roi=None,
    mm_per_px: float | None = None,
    margin_px: int | None = None,
    ring_mm=None,
    level: float = 0.5,
    sigma_px: float = 0.0,
    normal_level: str = DEFAULT_NORMAL_LEVEL,
    return_degree: bool = False,
):
    r"""Depigmented pixels inside each baseline patch envelope, at baseline and follow-up.

    One rule for both visits, patch by patch, in baseline coordinates: the colour of every
    pixel relative to the *local* normal skin (a ring 3-8 mm around the patch, away from all
    patches), as per-channel ratios in linear RGB -- so exposure and white-balance changes
    between visits cancel -- projected on the patch's baseline contrast direction:

    .. math:: t(x) = \frac{v(x) \cdot p}{d \cdot p}, \quad v = \frac{u}{u_{ring}} - 1, \quad
              d = \operatorname{median}_{patch}(v_0), \quad p = \Sigma_{ring}^{-1} d

    where ``u`` is linear RGB divided by the photo's shading (:func:`vasi.reference.shading`:
    a limb darkens towards its outline, which one ring median cannot follow) and
    ``Sigma_ring`` the covariance of ``v`` on the ring, with a ridge of 1 % of its mean
    variance (the matched filter: brightness texture and hair count less than colour).
    At a follow-up ``u_ring`` is the baseline ring's level times the change of light between
    the two photos, measured on skin far from all patches near the patch
    (``normal_level="baseline"``): the skin next to a patch (a lighter halo, the hypochromic
    zone of trichrome vitiligo) moves with the border as the patch repigments, and a ring
    re-measured at every visit would move the scale with it -- under a Wood's lamp too, where
    the glowing halo around a patch fades as it repigments. ``normal_level="visit"`` takes
    the ring's own median at every visit.
    ``t`` is 0 on normal skin and 1 at the baseline lesion colour, and a linear-light blend
    of the two maps to its fraction, so a pixel is depigmented where ``t > level`` (half-way
    by default, as the segmentation draws borders). Fine detail (perifollicular islands of
    1-2 mm) is kept, because nothing is median-filtered.

    Parameters
    ----------
    baseline : ndarray, shape (H, W, 3)
        Baseline photo.
    followup : ndarray, shape (H, W, 3)
        Follow-up photo already warped into baseline coordinates.
    labels : ndarray of int, shape (H, W)
        Baseline patch labels (:func:`label_patches`), e.g. from the baseline segmentation.
    valid, roi : ndarray of bool, shape (H, W), optional
        Pixels the follow-up covers; assessed region (the ring is taken inside it).
    mm_per_px : float, optional
        Pixel size (ring and margin in mm); without it 10/25 px rings and a 2 px margin.
    margin_px : int, optional
        Envelope = patch grown by this many px (without touching other patches), so a
        segmentation border drawn a little inside the lesion does not cut it.
    ring_mm : (float, float), optional
        Inner and outer distance of the reference ring from the patch (mm; ``RING_MM`` =
        3-8 mm when None). Needs ``mm_per_px``: without it the ring is ``RING_PX`` px, with
        a warning if ``ring_mm`` was given.
    level : float
        Decision level on ``t``.
    sigma_px : float
        Gaussian denoising of the linear image (px); 0 (default) keeps the smallest islands
        (any blur lowers their contrast below the half-way level).
    normal_level : {"baseline", "visit"}
        The follow-up's normal-skin level: the baseline ring carried over by the change of
        light (default), or the ring re-measured at the follow-up (see above).
    return_degree : bool
        Also return the depigmentation degree maps ``t`` (float32, NaN outside envelopes).

    Returns
    -------
    labels_env : ndarray of int32, shape (H, W)
        Envelope labels (patch ids kept).
    baseline_mask, followup_mask : ndarray of bool, shape (H, W)
        Depigmented pixels inside the envelopes at baseline / follow-up.
    baseline_degree, followup_degree : ndarray of float32, shape (H, W)
        Only with ``return_degree``: ``t`` at baseline / follow-up (0 normal .. 1 lesion).
    contrast : dict
        Only with ``return_degree``: patch id -> norm of its baseline contrast vector ``d``
        (relative linear RGB; 0.5 = the lesion reflects 50 % more than its surroundings).

    Examples
    --------
    >>> base = np.full((60, 60, 3), (150, 100, 70), np.uint8); base[20:40, 20:40] = (235, 215, 200)
    >>> follow = (base * 0.8).astype(np.uint8); follow[20:40, 20:30] = (120, 80, 56)  # darker photo
    >>> lab = label_patches(np.all(base == (235, 215, 200), axis=-1))
    >>> env, b, f = envelope_masks(base, follow, lab, sigma_px=0)
    >>> int(b.sum()), int(f.sum())
    (400, 200)
    """
    b, f = _photo_pair(baseline, followup)
    model = EnvelopeModel(b, labels, roi=roi, mm_per_px=mm_per_px, margin_px=margin_px,
                          ring_mm=ring_mm, level=level, sigma_px=sigma_px, normal_level=normal_level)
    fmask, deg_f = model.apply(f, valid=valid, return_degree=return_degree)
    bmask, deg_b, contrast = model.baseline(valid=valid)
    if return_degree:
        return model.env, bmask, fmask, deg_b, deg_f, contrast
    return model.env, bmask, fmask


class EnvelopeModel:
    """The baseline half of :func:`envelope_masks`, computed once for a whole series.

    Everything that depends only on the baseline (envelopes, reference rings, cores, the
    per-patch contrast direction ``d``, the baseline degree ``t``) is computed here; each
    follow-up then costs one median (of the change of light near the patch, or of its ring)
    and one projection per patch (:meth:`apply`). Parameters as :func:`envelope_masks`
    (``normal_level`` too); with ``linear=True`` the baseline is linear RGB in [0, 1] (as
    :meth:`apply`'s); ``flatten=False`` leaves out the shading correction (small patches,
    whose rings are close enough to share their shading).

    Attributes
    ----------
    env : ndarray of int32, shape (H, W)
        Envelope labels (patch ids kept).

    Examples
    --------
    >>> base = np.full((60, 60, 3), (150, 100, 70), np.uint8); base[20:40, 20:40] = (235, 215, 200)
    >>> lab = label_patches(np.all(base == (235, 215, 200), axis=-1))
    >>> model = EnvelopeModel(base, lab)
    >>> follow = base.copy(); follow[20:40, 20:30] = (150, 100, 70)   # half repigmented
    >>> bmask, _, _ = model.baseline()
    >>> fmask, _ = model.apply(follow)
    >>> int(bmask.sum()), int(fmask.sum())
    (400, 200)
    """

    def __init__(self, baseline, labels, *, roi=None, mm_per_px=None, margin_px=None,
                 ring_mm=None, level=0.5, sigma_px=0.0, linear=False, flatten=True,
                 normal_level=DEFAULT_NORMAL_LEVEL):
        b = check_image(baseline, "baseline")
        shape = b.shape[:2]
        if linear:
            _check_linear(b, "baseline")
        labels = _check_labels(labels, shape)
        roi = np.ones(shape, bool) if roi is None else check_mask(roi, shape, "roi")
        mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
        if margin_px is None:
            margin_px = max(2, int(round(0.75 / mm_per_px))) if mm_per_px else 2
        check_choice(normal_level, NORMAL_LEVELS, "normal_level")
        r_in, r_out = _ring_px(ring_mm, mm_per_px)
        env = (_expand_labels(labels.astype(np.int32), margin_px) if margin_px > 0
               else labels.astype(np.int32))
        env[~roi] = 0
        level = check_fraction(level, "level", fix="the decision level on the degree t; 0.5 "
                                                    "is half-way")
        self.shape, self.level, self.sigma_px = shape, level, float(sigma_px)
        self._flatten = bool(flatten)
        self.env = env
        dist = edt(labels == 0)
        near_any = dist <= r_in
        self._skin = roi & ~near_any  # normal skin: the shading is learnt there
        self._roi = roi
        ub = self._flat(_lin(b, sigma_px, linear), self._skin)
        # skin beyond every ring (no halo, no trichrome rim) shows the change of light
        self._far = roi & (dist > r_out) if normal_level == "baseline" else None
        self._ub = ub if normal_level == "baseline" else None
        self._light_pad = _light_px(mm_per_px, r_out)
        self._patches: list[_Patch] = []
        n = int(env.max()) if env.size else 0
        slices = ndi.find_objects(env)
        pad = r_out + 2
        for pid in range(1, n + 1):
            sl = slices[pid - 1]
            if sl is None:
                continue
            r0, r1 = max(sl[0].start - pad, 0), min(sl[0].stop + pad, shape[0])
            c0, c1 = max(sl[1].start - pad, 0), min(sl[1].stop + pad, shape[1])
            box = (slice(r0, r1), slice(c0, c1))
            E = env[box] == pid
            P = labels[box] == pid
            dist = edt(~P)
            ring = (dist > r_in) & (dist <= r_out) & ~near_any[box] & roi[box]
            if ring.sum() < 20 or P.sum() < 5:
                continue  # no local reference: leave the patch unmeasured (counted as no lesion)
            ref_b = np.maximum(np.median(ub[box][ring], axis=0), 1e-4)
            core = P & (edt(P) > 1) if P.sum() > 30 else P
            if core.sum() < 5:  # thin patch: use all of it
                core = P
            vb = ub[box] / ref_b - 1.0  # relative to the local normal skin: gains cancel
            d = np.median(vb[core], axis=0)
            dd = float(d @ d)
            proj = _matched_projection(d, vb[ring]) if dd >= 1e-4 else None
            self._patches.append(_Patch(pid, box, E, ring, ref_b, proj, dd,
                                        vb @ proj if proj is not None else None, d,
                                        int(np.count_nonzero(P))))

    def _light_change(self, uf, far, box, everywhere):
        """Per-channel ratio follow-up / baseline over the skin ``far`` from all patches
        within ``LIGHT_MM`` of ``box``, else over all of it (``everywhere``: a memo dict
        for the whole photo's ratio); None when fewer than 100 such pixels."""
        p = self._light_pad
        near = (slice(max(box[0].start - p, 0), box[0].stop + p),
                slice(max(box[1].start - p, 0), box[1].stop + p))
        if np.count_nonzero(far[near]) >= 100:
            return _median_ratio(uf, self._ub, far, near)
        if "all" not in everywhere:
            everywhere["all"] = (_median_ratio(uf, self._ub, far)
                                 if np.count_nonzero(far) >= 100 else None)
        return everywhere["all"]

    def _flat(self, lin, skin):
        """Linear RGB without its shading (:func:`vasi.reference.shading`): the skin near a
        limb's outline is darker at every visit, and a ring median cannot follow that."""
        if self._flatten:
            lin /= shading(lin, skin, self._roi)[..., None]
        return lin

    def apply(self, followup, *, valid=None, return_degree: bool = True, linear: bool = False):
        """Depigmented pixels of a (warped) follow-up inside the envelopes, and its degree.

        Parameters
        ----------
        followup : ndarray, shape (H, W, 3)
            Follow-up photo in baseline coordinates (same shape as the baseline): sRGB, or
            linear RGB in [0, 1] with ``linear=True`` (best resampled in linear light, so a
            border pixel is the physical blend of its two sides).
        valid : ndarray of bool, shape (H, W), optional
            Pixels the follow-up covers.
        return_degree : bool
            Compute the degree map (else ``None`` is returned for it).

        Returns
        -------
        mask : ndarray of bool, shape (H, W)
        degree : ndarray of float32, shape (H, W), or None
            ``t`` at the follow-up (NaN outside measured, covered envelopes).

        Patches whose reference ring the follow-up does not cover are left unmeasured.
        """
        f = check_image(followup, "followup")
        shape = self.shape
        if f.shape[:2] != shape:
            raise InputError(f"followup must be warped into baseline coordinates (shape "
                             f"{shape}); got {f.shape[:2]}. Use Registration.warp(followup).")
        valid = np.ones(shape, bool) if valid is None else check_mask(valid, shape, "valid")
        if linear:
            _check_linear(f, "followup")
        # the follow-up's covered skin, less its 1-px rim (blended with the warp's border)
        covered = cv2.erode(np.ascontiguousarray(valid).view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        uf = self._flat(_lin(f, self.sigma_px, linear), self._skin & covered)
        fmask = np.zeros(shape, bool)
        deg_f = np.full(shape, np.nan, np.float32) if return_degree else None
        far = None if self._far is None else self._far & covered
        everywhere: dict = {}
        for p in self._patches:
            box, E = p.box, p.envelope
            vb_ok = valid[box]
            ring_f = p.ring & vb_ok
            if p.degree is None or ring_f.sum() < 20:
                continue
            gain = None if far is None else self._light_change(uf, far, box, everywhere)
            if gain is not None:  # the baseline ring's level in this photo's light
                ref_f = np.maximum(p.ring_level * gain, 1e-4)
            else:
                ref_f = np.maximum(np.median(uf[box][ring_f], axis=0), 1e-4)
            tf = (uf[box] / ref_f - 1.0) @ p.projection
            fmask[box] |= E & (tf > self.level) & vb_ok
            if return_degree:
                deg_f[box][E & vb_ok] = tf[E & vb_ok]
        return fmask, deg_f

    def lesion_contrast(self) -> np.ndarray | None:
        """The patient's lesion colour relative to normal skin: the per-channel median of the
        patches' contrast ``d`` (relative linear RGB, lesion / ring - 1), each patch weighed
        by its area; None without a measured patch.

        >>> base = np.full((60, 60, 3), (150, 100, 70), np.uint8); base[20:40, 20:40] = (220, 190, 170)
        >>> model = EnvelopeModel(base, label_patches(base[..., 0] > 200))
        >>> np.round(model.lesion_contrast(), 1).tolist()
        [1.3, 3.0, 5.6]
        """
        done = [p for p in self._patches if p.projection is not None]
        if not done:
            return None
        d = np.array([p.contrast for p in done])
        w = np.array([p.area for p in done], np.float64)
        return np.array([_weighted_median(d[:, c], w) for c in range(d.shape[1])])

    def baseline(self, *, valid=None):
        """Baseline mask, degree (float32, NaN outside) and contrast dict (patch id -> norm
        of ``d``), over the patches whose reference ring ``valid`` covers (all when None)."""
        shape = self.shape
        valid = None if valid is None else check_mask(valid, shape, "valid")
        bmask = np.zeros(shape, bool)
        deg_b = np.full(shape, np.nan, np.float32)
        contrast = {}
        for p in self._patches:
            box, E = p.box, p.envelope
            if valid is not None and (p.ring & valid[box]).sum() < 20:
                continue
            contrast[p.pid] = float(np.sqrt(p.contrast2))
            if p.degree is None:
                continue
            bmask[box] |= E & (p.degree > self.level)
            deg_b[box][E] = p.degree[E]
        return bmask, deg_b, contrast
