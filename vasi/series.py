"""One call for a photo series of one site: :func:`track_series`.

For every visit: assessed region (:func:`vasi.find_region`) and depigmentation
(:func:`vasi.segment`) in the visit's own photo; registration to the baseline photo
(:func:`vasi.register`); then, in baseline coordinates, tracking against the baseline patches
(:func:`vasi.track.track`), the repigmentation pattern of each patch
(:func:`vasi.patterns.patterns`) and the per-visit F-VASI (faces).

This module holds the API and the orchestration (regions, registrations and segmentations,
the follow-ups' ahead in background threads, the working resolution); each visit is measured
against the baseline's patches by :class:`vasi.series_measure.BaselinePatches`.

A visit whose registration failed is kept: its row carries the reason and NaN for every
measurement that needs the alignment (it is never scored on a wrong alignment). The F-VASI
of its own segmentation over its own region is still reported as ``f_vasi_unregistered``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ._ahead import Ahead
from ._validate import (
    MODALITIES,
    check_choice,
    check_fraction,
    check_mask,
    check_max_side,
    check_options,
    check_positive,
)
from ._version import __version__
from .calibrate import usable_scale
from .color import rgb_to_lab
from .errors import InputError
from .hand_units import assessed_hu_of
from .io import Photo, image_and_scale
from .levels import _min_area_px
from .pipeline import (
    COLOUR_CAST_CHOICES,
    _cast_corrected_flag,
    _cast_gone,
    _cast_record,
    _cast_removed,
)
from .register import REGISTRATION_METHODS, prepare, register, register_via
from .register_geometry import _shrink, _to_work
from .roi import _auto_region_without_cards, _cut_cards, _Found, find_region
from .segment import COLOUR_CAST_FLAG, Segmentation, segment, segment_options
from .series_measure import (
    PATTERN_READABLE_MAX,
    BaselinePatches,
    WorkingGrid,
    f_vasi_single,
    patch_table,
    visit_table,
)
from .sites import scored_site
from .track import DEFAULT_NORMAL_LEVEL, EnvelopeModel

__all__ = ["SeriesResult", "FullResMasks", "track_series", "PATTERN_READABLE_MAX"]

log = logging.getLogger("vasi")


@dataclass(frozen=True)
class SeriesResult:
    """Result of :func:`track_series`. Everything is in **baseline** coordinates.

    Attributes
    ----------
    visits : pandas.DataFrame
        One row per visit (baseline included), sorted by week: ``week``, ``is_baseline``,
        ``region_method`` (how the region the visit is assessed on was found, see
        :func:`vasi.find_region`; for a registered follow-up the baseline's, mapped into
        it), ``registered``, ``registration_reason``, registration quality (``reg_method``,
        ``reg_via_week`` -- the week of the visit a ``"guided"`` alignment went through, see
        :func:`track_series` ``register_method`` --,
        ``reg_inliers``, ``reg_inlier_ratio``, ``reg_residual_px``, ``reg_residual_mm``,
        ``reg_scale``, ``reg_rotation_deg``), areas (``assessed_area_px``,
        ``depigmented_area_px``, ``depigmented_fraction``, ``depigmented_area_hu``,
        ``depigmented_area_cm2``), tracking (``baseline_patch_area_px``,
        ``residual_area_px``, ``repigmented_area_px``, ``repigmentation_pct``,
        ``new_depigmentation_px``, ``new_depigmentation_hu``, ``new_depigmentation_cm2``,
        ``repigmentation_pct_degree`` -- the same from the depigmentation-degree mass),
        scores (``f_vasi``, ``f_vasi_clinical``, ``f_vasi_pct_change``, ``f_vasi50``,
        ``f_vasi75``, ``f_vasi90``, ``f_vasi_unregistered``) -- F-VASI columns are NaN for
        non-face sites, tracking columns NaN for failed registrations.
        ``f_vasi_unregistered`` is the visit's own segmentation (``segmentations[i]``, not
        tracked) scored as ``3 x mask / region`` over the region it was assessed on
        (``segmentations[i].roi``): for a registered follow-up the *baseline's* region mapped
        into it (``roi_from_baseline``), else the visit's own. It is therefore
        ``vasi.score_photo(photo, roi=segmentations[i].roi, mm_per_px=<that visit's>)``,
        not ``score_photo`` of the photo alone, which finds the photo's own face region (a few
        % of area apart, but a single-photo threshold on partly repigmented patches moves
        with it -- and with the scale -- so the two can differ by far more; follow change
        with ``f_vasi``). ``f_vasi`` is scored
        per patch with :func:`vasi.f_vasi` (extent = baseline patch envelope in relative
        hand units, level = its residual depigmentation; what is left of the baseline's
        untracked specks and the confirmed new depigmentation at level 1), so ``f_vasi`` =
        3 x (residual + those) / assessed area at every visit, baseline included; a
        follow-up's own depigmentation outside the baseline patches that the photos do not
        confirm as new is in ``depigmented_area_px`` but not in ``f_vasi``
        (:func:`vasi.series_measure.f_vasi_tracked`). ``f_vasi_clinical`` snaps each
        patch's level to the VASI ladder. Endpoints use :mod:`vasi.timeline`.
    patches : pandas.DataFrame
        One row per (visit, baseline patch): ``week``, ``patch_id``, ``baseline_area_px``,
        ``residual_area_px``, ``repigmented_area_px``, ``repigmentation_pct``,
        ``repigmentation_pct_degree``, ``covered_fraction``, ``pattern``, ``pattern_visit``,
        ``island_count``, ``island_density_per_cm2``, ``border_advance_px`` / ``_mm``,
        ``depth_auc``, ``residual_darkening``, ... (see :func:`vasi.patterns.patterns`).
        ``pattern_visit`` is what the visit alone shows; ``pattern`` is the patch's course:
        from ``PATTERN_READABLE_MAX`` % repigmented on, the pattern the patch showed before
        (a patch almost fully repigmented has no islands or border band left to show it).
    labels : ndarray of int32, shape (Hb, Wb)
        Baseline patch labels (``patch_id`` values).
    roi : ndarray of bool, shape (Hb, Wb)
        Baseline assessed region.
    masks : sequence of (ndarray of bool, shape (Hb, Wb), or None)
        Depigmentation of each visit in baseline coordinates (None when registration failed).
        A :class:`FullResMasks`: indexable like a tuple; each mask is brought from the
        working resolution to the baseline's full size on first access.
    new_masks : sequence of (ndarray of bool or None)
        New depigmentation, where the baseline had none, per visit (:class:`FullResMasks`);
        with ``measure="envelope"`` only where the two photos confirm the skin changed
        (:func:`vasi.track.confirm_new`).
    valid_masks : sequence of (ndarray of bool or None)
        Baseline pixels each visit's photo covers (:class:`FullResMasks`).
    registrations : tuple of (Registration or None)
        Per visit (None for the baseline itself).
    segmentations : tuple of Segmentation
        Per visit, in the visit's own coordinates.
    weeks : tuple of float
        Visit weeks, in input order.
    baseline_index : int
        Index (in input order) of the baseline visit.
    provenance : dict
        Library version, methods and parameters.
    """

    visits: pd.DataFrame
    patches: pd.DataFrame
    labels: np.ndarray
    roi: np.ndarray
    masks: tuple
    new_masks: tuple
    valid_masks: tuple
    registrations: tuple
    segmentations: tuple
    weeks: tuple
    baseline_index: int = 0
    provenance: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.weeks)

    @property
    def failed(self) -> pd.DataFrame:
        """Visits whose registration failed, with the reason."""
        v = self.visits
        return v.loc[~v["registered"], ["week", "registration_reason"]]

    def to_dict(self) -> dict:
        """The series' numbers as JSON values (no images; NaN as None): ``weeks``,
        ``baseline_index``, the ``visits`` and ``patches`` tables as lists of rows, each
        follow-up's ``registrations`` (None for the baseline) and the ``provenance``.

        >>> import json, numpy as np
        >>> r = SeriesResult(pd.DataFrame({"week": [0], "repigmentation_pct": [np.nan]}),
        ...                  pd.DataFrame(), np.zeros((8, 8), int), np.ones((8, 8), bool),
        ...                  (None,), (None,), (None,), (None,), (None,), (0.0,))
        >>> json.dumps(r.to_dict(), allow_nan=False)[:89]
        '{"weeks": [0.0], "baseline_index": 0, "visits": [{"week": 0, "repigmentation_pct": null}]'
        """
        from ._json import plain

        return plain({"weeks": self.weeks, "baseline_index": self.baseline_index,
                      "visits": self.visits, "patches": self.patches,
                      "registrations": [r.to_dict() if r is not None else None
                                        for r in self.registrations],
                      "provenance": self.provenance})

    def to_frame(self, *, patches: bool = False) -> pd.DataFrame:
        """Tidy table: the per-visit rows (or per-patch rows with ``patches=True``).

        >>> import numpy as np
        >>> img = np.zeros((8, 8, 3), np.uint8)
        >>> SeriesResult(pd.DataFrame({"week": [0]}), pd.DataFrame(), np.zeros((8, 8), int),
        ...              np.ones((8, 8), bool), (None,), (None,), (None,), (None,), (None,),
        ...              (0.0,)).to_frame().columns.tolist()
        ['week']
        """
        return (self.patches if patches else self.visits).copy()


class FullResMasks(Sequence):
    """Per-visit masks kept at the working resolution, given at full resolution on access.

    Indexing, ``len``, iteration and slicing work as for a tuple; element ``i`` is the
    working-resolution mask upsampled (nearest, exact pixel map) to ``shape`` the first time
    it is read, then cached. ``None`` entries stay ``None``.

    Examples
    --------
    >>> m = np.zeros((2, 3), bool); m[0, 1] = True
    >>> seq = FullResMasks([m, None], (0.5, 0.5), (4, 6))
    >>> len(seq), seq[1] is None, seq[0].shape, int(seq[0].sum())
    (2, True, (4, 6), 4)
    """

    def __init__(self, masks, scale, shape):
        self._work = list(masks)
        self._full = [None] * len(self._work)
        self.scale = (float(scale[0]), float(scale[1]))
        self.shape = tuple(int(v) for v in shape)

    def __len__(self) -> int:
        return len(self._work)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        w = self._work[i]
        if w is None:
            return None
        out = self._full[i]
        if out is None:
            out = _up_masks((w,), self.scale, self.shape)[0]
            self._full[i] = out
        return out

    def working(self, i):
        """Element ``i`` at the working resolution (as stored; ``None`` stays ``None``)."""
        return self._work[i]

    def __repr__(self) -> str:
        return f"FullResMasks({len(self)} visits, shape={self.shape})"

    def __reduce__(self):  # pickle the small masks only
        return (FullResMasks, (self._work, self.scale, self.shape))


# ------------------------------------------------------------------ helpers
def _per_visit(value, n, name):
    if value is None or np.isscalar(value) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return [value] * n
    if isinstance(value, np.ndarray) and value.ndim == 2:  # one mask; each visit needs its own
        raise InputError(f"{name} is one mask; pass one per image ({n}) as a list, in each "
                         "photo's own coordinates (None where it is to be found).")
    vals = list(value)
    if len(vals) != n:
        raise InputError(f"{name} must be a single value or one per image ({n}); got {len(vals)}.")
    return vals


def _visit_weeks(weeks, n) -> list[float]:
    """``weeks`` checked: one finite, distinct number per image (a series has one photo per
    visit).

    >>> _visit_weeks([0, 12.5], 2)
    [0.0, 12.5]
    >>> _visit_weeks([0, 12, 12], 3)
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: weeks must be distinct (one photo per visit); week 12 is given for images 1 and 2.
    """
    if weeks is None or np.ndim(weeks) == 0 or isinstance(weeks, str):
        raise InputError(f"weeks must be a sequence with one week per image; got {weeks!r}.")
    weeks = list(weeks)
    if len(weeks) != n:
        raise InputError(f"weeks must have one week per image ({n}); got {len(weeks)}.")
    out = []
    for i, w in enumerate(weeks):
        try:
            out.append(float(w))
        except (TypeError, ValueError):
            out.append(float("nan"))
        if not np.isfinite(out[-1]):
            raise InputError(f"weeks[{i}] must be a finite number of weeks; got {w!r}.")
    first: dict = {}
    for i, w in enumerate(out):
        if w in first:
            raise InputError(f"weeks must be distinct (one photo per visit); week {w:g} is given "
                             f"for images {first[w]} and {i}.")
        first[w] = i
    return out


def _find_region(img, *, site, mask, modality, name="mask") -> _Found:
    """:func:`vasi.find_region` (``return_method=True``) of one photo, the photo's marker
    cards (:func:`vasi.calibrate.marker_boxes`; None for a user region) and the site's skin
    left out of the region (nails, shoulders: registration's evidence includes them,
    ``_Found.evidence``):
    the series needs the cards again to keep them out of the baseline region mapped into a
    follow-up, and the marker search is then done once per photo."""
    if mask is not None:
        mask = check_mask(mask, img.shape[:2], name)
        if not mask.any():
            raise InputError(f"{name} has no pixels: draw the skin to assess, or pass None "
                             f"to find it automatically.")
        region, method = find_region(img, site=site, roi=mask, modality=modality,
                                     return_method=True)
        return _Found(region, method, None, [])
    return _auto_region_without_cards(img, site, modality)  # find_region's own steps


#: Background threads of :class:`_Ahead` (the follow-ups of a series, two at a time).
AHEAD_THREADS = 2


class _Ahead(Ahead):
    """:class:`vasi._ahead.Ahead` for the follow-ups of a series (``AHEAD_THREADS`` at a
    time)."""

    threads = AHEAD_THREADS
    name = "vasi-series"


def _series_without_cast(res: SeriesResult, params: dict) -> SeriesResult:
    """``res`` tracked again (``params`` of :func:`track_series`, per-visit ones as lists)
    with the visits whose normal skin has a colour no skin has white-balanced from that
    skin, when every such visit is then scored and its skin has a skin colour; else
    ``res``."""
    items, mpp = params["images"], list(params["mm_per_px"])
    fixed, gains = list(items), {}
    for i, seg in enumerate(res.segmentations):
        if COLOUR_CAST_FLAG not in seg.flags:
            continue
        img, meta = image_and_scale(items[i], f"images[{i}]")
        removed = _cast_removed(img, seg)
        if removed is not None:
            fixed[i], gains[i] = removed
            mpp[i] = meta if mpp[i] is None else mpp[i]  # (a path's pixel size from its metadata)
    if not gains:
        return res

    def record(corrected):
        return {"corrected": corrected, "visits": [
            {"visit_index": i, "week": res.weeks[i], **_cast_record(res.segmentations[i], g, corrected)}
            for i, g in gains.items()]}

    again = track_series(**{**params, "images": fixed, "mm_per_px": mpp, "colour_cast": "flag"})
    if not all(_cast_gone(again.segmentations[i]) for i in gains):
        return replace(res, provenance={**res.provenance, "colour_cast": record(False)})
    segs = list(again.segmentations)
    for i, g in gains.items():
        segs[i] = segs[i].with_flags(_cast_corrected_flag(g))
    return replace(again, segmentations=tuple(segs), provenance={**again.provenance, "colour_cast": record(True)})


def _segment(img, region, *, modality, mm_per_px, mask, segment_kwargs, name):
    """Segmentation of one visit in its own coordinates (or the given mask, ``name`` in
    messages)."""
    if mask is not None:
        m = check_mask(mask, img.shape[:2], name) & region
        lab = rgb_to_lab(img)
        ref = np.median(lab[region & ~m], axis=0) if (region & ~m).any() else (np.nan,) * 3
        return Segmentation(m, region, np.zeros(m.shape, np.float32),
                            tuple(float(v) for v in ref), {}, (), modality, "given",
                            mm_per_px), lab
    seg = segment(img, modality=modality, roi=region, mm_per_px=mm_per_px, **segment_kwargs)
    return seg, None


def _down_u8(mask, max_side, within=None):
    """A full-resolution mask (``& within`` when given) at working resolution as coverage
    0-255 (uint8); same grid as :func:`vasi.register.prepare` of a photo of that size. One
    full-size temporary (a fresh 12 MP array costs more in page faults than to compute)."""
    m = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    if within is None:
        m = m * np.uint8(255)
    else:
        m = cv2.bitwise_and(m, np.ascontiguousarray(within, dtype=bool).view(np.uint8))
        np.multiply(m, np.uint8(255), out=m)
    return _shrink(m, max_side)[0]


def _down(mask, max_side, within=None):
    """A full-resolution mask (``& within``) at working resolution: pixels at least half
    covered."""
    return _down_u8(mask, max_side, within) > 127


def _upsample(small, s, shape, interpolation):
    """Working-resolution image back onto the full-resolution grid ``shape`` (exact inverse
    of the working-resolution pixel map; cv2's fast integer path when possible)."""
    h, w = small.shape[:2]
    if abs(s[0] - s[1]) < 1e-12 and abs(1.0 / s[0] - round(1.0 / s[0])) < 1e-9:
        k = int(round(1.0 / s[0]))
        out = small if k == 1 else cv2.resize(small, (w * k, h * k), interpolation=interpolation)
        hh, ww = out.shape[:2]
        if (hh, ww) != tuple(shape):  # rows / columns the integer reduction cropped
            out = cv2.copyMakeBorder(out[:shape[0], :shape[1]], 0, max(0, shape[0] - hh), 0,
                                     max(0, shape[1] - ww), cv2.BORDER_REPLICATE)
        return out
    M = np.array([[s[0], 0.0, 0.5 * s[0] - 0.5], [0.0, s[1], 0.5 * s[1] - 0.5]])
    return cv2.warpAffine(small, M, (int(shape[1]), int(shape[0])),
                          flags=cv2.WARP_INVERSE_MAP | interpolation,
                          borderMode=cv2.BORDER_REPLICATE)


def _up_masks(masks, s, shape):
    """Working-resolution bool masks to full resolution (nearest; 0/1 bytes viewed as bool)."""
    return [_upsample(np.ascontiguousarray(m, dtype=bool).view(np.uint8), s, shape,
                      cv2.INTER_NEAREST).view(bool) for m in masks]


def _up_labels(labels, s, shape):
    return _upsample(np.ascontiguousarray(labels, dtype=np.int32), s, shape, cv2.INTER_NEAREST)


def _region_to_followup(roi_w, Hw, pf, shape_f):
    """The baseline region (working resolution) mapped into the full-resolution follow-up:
    warped at working resolution (coverage >= 1/2), then upsampled (nearest)."""
    hf, wf = pf.rgb.shape[:2]
    cov = cv2.warpPerspective(roi_w.view(np.uint8) * np.uint8(255), Hw, (wf, hf),
                              flags=cv2.INTER_LINEAR)
    return _upsample((cov > 127).view(np.uint8), pf.scale, shape_f, cv2.INTER_NEAREST).view(bool)


def track_series(
    images,
    *,
    weeks,
    site: str = "face",
    modality: str = "visible",
    rois=None,
    mm_per_px=None,
    baseline_index: int | None = None,
    masks=None,
    register_method: str = "auto",
    register_kwargs: dict | None = None,
    segment_kwargs: dict | None = None,
    assessed_hu: float | None = None,
    min_patch_area_mm2: float = 2.0,
    tolerance_mm: float = 1.0,
    with_patterns: bool = True,
    roi_from_baseline: bool = True,
    measure: str = "envelope",
    envelope_kwargs: dict | None = None,
    min_contrast_ratio: float = 0.4,
    max_side: int = 1200,
    colour_cast: str = "correct",
) -> SeriesResult:
    """Register, track and score a photo series of one site.

    Parameters
    ----------
    images : sequence of ndarray (H, W, 3), :class:`vasi.Photo` or paths
        The visits' photos (any order; sizes may differ). A follow-up given as a path is
        read in the thread that registers it, while the baseline is being analysed, and
        not kept afterwards.
    weeks : sequence of float, keyword-only
        Week of each visit (same length as ``images``).
    site : str, keyword-only
        ``"face"`` (or a word of it: cheek, forehead, ...; see :mod:`vasi.sites`) for the
        F-VASI facial area, any other name (``"body"``, ``"forearm"``, ``"hands"``, ...) for
        the skin of a body site.
        F-VASI columns are filled for faces.
    modality : {"visible", "woods"}
    rois : sequence of (ndarray of bool or None), optional
        User-drawn assessed region per visit (automatic detection where None).
    mm_per_px : float or sequence of float, optional
        Pixel size (one value, or one per visit); taken from :class:`vasi.Photo` metadata
        when available. The baseline's value is used for baseline-space areas.
    baseline_index : int, optional
        Which image (input order) is the baseline; default the earliest visit (smallest
        week), so the photos may come in any order (earlier versions took the first
        image: pass ``baseline_index=0`` for that).
    masks : sequence of (ndarray of bool or None), optional
        Precomputed depigmentation masks per visit (each in its own photo's coordinates);
        segmentation is skipped where given.
    register_method : str
        ``method=`` of :func:`vasi.register`. With ``"auto"`` or ``"features"``, a follow-up
        that does not align to the baseline is aligned through one of the two visits
        nearest to it in weeks that did, once every direct alignment is known
        (:func:`vasi.register_via`, method ``"guided"``; visits nearest to the
        baseline first, so a chain can grow outwards): the lesions can change too much
        between the baseline and a late visit, above all under a Wood's lamp. The
        registration reason of a visit that fails says what was tried.
    register_kwargs, segment_kwargs : dict, optional
        Extra keyword arguments for :func:`vasi.register` / :func:`vasi.segment`.
    assessed_hu : float, optional
        Hand units of the assessed region (relative method); 3 for a face by default.
    min_patch_area_mm2 : float
        Baseline patches smaller than this are not tracked (20 px without a scale), and new
        depigmentation smaller than this is not counted -- by the segmentation's rule for
        its patches (at least 4 px; without a scale its pixel fallback, 2e-5 of the
        baseline's region and at least 16 px).
    tolerance_mm : float
        Baseline depigmentation is grown by this much before counting new depigmentation
        (3 px without a scale); parts of the baseline mask at most twice this apart are one
        patch (:func:`vasi.track.label_patches` ``join_px``).
    with_patterns : bool
        Classify the repigmentation pattern per patch (needs colour; a little slower).
    measure : {"envelope", "segmentation"}
        How depigmentation inside the baseline patches is decided at every visit:
        ``"envelope"`` (default) applies one local colour rule to baseline and follow-up
        inside each patch envelope (:func:`vasi.track.envelope_masks`: exposure / white
        balance cancel, fine islands kept); ``"segmentation"`` uses each visit's own
        :func:`vasi.segment` mask. Outside the patches (new depigmentation) the follow-up's
        segmentation is always used.
    envelope_kwargs : dict, optional
        Options of the patch envelopes' colour rule, :class:`vasi.track.EnvelopeModel`
        (as :func:`vasi.track.envelope_masks`: ``level``, ``sigma_px``, ``ring_mm``,
        ``margin_px``, ``flatten``, ``normal_level``); an unknown name is an error.
    min_contrast_ratio : float
        With ``measure="envelope"``, baseline candidates whose colour contrast with their
        surroundings is below this fraction of the main patches' contrast are not tracked
        (shading or slightly lighter skin picked up by the segmentation).
    roi_from_baseline : bool
        Assess each registered follow-up on the baseline region mapped into it (the same
        skin at every visit) instead of re-detecting it; user ``rois`` always win.
    max_side : int
        Working resolution (long side, px) of registration and tracking: photos larger than
        this are reduced by the smallest integer factor that brings the baseline's long side
        to at most ``max_side`` (a 12 MP photo of 4000 px to 1000 px; ``max_side`` in
        ``register_kwargs`` wins) and are registered, warped and compared at that size;
        areas are reported in full-resolution baseline pixels and the returned masks and
        labels have the baseline photo's full size. Pixel-valued
        ``envelope_kwargs`` (``margin_px``, ``sigma_px``) are at the working resolution.
    colour_cast : {"correct", "flag"}
        As in :func:`vasi.score_photo`: when a visible-light visit's normal skin has a
        colour no skin has (``vasi.segment.COLOUR_CAST_FLAG``), that photo is white-balanced
        from its skin and the series tracked again with it (``"correct"``), kept when every
        such visit is then scored and its skin has a skin colour: its segmentation is
        flagged ``vasi.pipeline.COLOUR_CAST_CORRECTED_FLAG`` with the gains, and
        ``provenance["colour_cast"]["visits"]`` has them per visit (week, visit index).
        ``"flag"``: only flagged. A series without a cast is tracked once.

    Returns
    -------
    SeriesResult
        A follow-up that cannot be registered keeps its row, with the reason and NaN.

    Raises
    ------
    vasi.InputError
        A bad argument (shape, dtype, range, option name), or a greyscale photo in visible
        light; the message names the argument and the fix.
    vasi.PhotoError
        A photo given as a file that cannot be read.

    Notes
    -----
    When OpenCV may use more than one thread (``cv2.getNumThreads() > 1``; batch workers
    set it to 1), the follow-ups' regions, registrations and segmentations are computed in
    two background threads while this one analyses the baseline and measures the visits
    (a follow-up's decoding, region and working image start at once: they need nothing of
    the baseline); the results are the same as in one thread.

    Examples
    --------
    >>> import cv2
    >>> rng = np.random.default_rng(0)
    >>> skin = cv2.GaussianBlur((rng.random((200, 200)) * 70).astype(np.uint8), (5, 5), 0)
    >>> base = np.stack([skin + 150, skin + 100, skin + 70], -1).astype(np.uint8)
    >>> base[60:140, 60:140] = (240, 225, 220)                     # one depigmented patch
    >>> follow = base.copy(); follow[60:140, 60:100] = base[10:90, 10:50]  # half repigmented
    >>> roi = np.ones((200, 200), bool)
    >>> res = track_series([base, follow], weeks=[0, 24], rois=[roi, roi], with_patterns=False)
    >>> res.visits[["week", "registered", "repigmentation_pct"]].round(1).values.tolist()
    [[0.0, True, 0.0], [24.0, True, 50.0]]
    """
    params = dict(locals())  # (first statement: the arguments, for a run without a colour cast)
    if (isinstance(images, (str, bytes, os.PathLike, Photo))
            or (isinstance(images, np.ndarray) and images.ndim == 3
                and images.shape[-1] in (1, 3, 4))):  # ((n, H, W): n greyscale photos)
        raise InputError("images is one photo; pass the series' photos as a list, one per "
                         "visit, e.g. track_series([baseline, week24], weeks=[0, 24]).")
    items = list(images)
    n = len(items)
    if n == 0:
        raise InputError("images is empty; pass at least the baseline photo.")
    weeks = _visit_weeks(weeks, n)
    site = scored_site(site)
    check_choice(modality, MODALITIES, "modality")
    check_choice(measure, ("envelope", "segmentation"), "measure")
    if register_method == "guided":
        raise InputError("register_method='guided' needs a prior per visit; 'auto' and "
                         "'features' already align a visit that does not align directly "
                         "through another visit that did (register_via).")
    check_choice(register_method, tuple(m for m in REGISTRATION_METHODS if m != "guided"),
                 "register_method")
    if baseline_index is None:
        baseline_index = int(np.argmin(weeks))
    if isinstance(baseline_index, bool) or not (
            isinstance(baseline_index, (int, np.integer)) and -n <= baseline_index < n):
        raise InputError(f"baseline_index must be an integer in [0, {n - 1}]; got "
                         f"{baseline_index!r}.")
    bi = int(baseline_index) % n
    rois = _per_visit(rois, n, "rois") if rois is not None else [None] * n
    masks = _per_visit(masks, n, "masks") if masks is not None else [None] * n
    mpp = [check_positive(v, "mm_per_px", allow_none=True)
           for v in _per_visit(mm_per_px, n, "mm_per_px")]
    min_patch_area_mm2 = check_positive(min_patch_area_mm2, "min_patch_area_mm2")
    tolerance_mm = check_positive(tolerance_mm, "tolerance_mm")
    min_contrast_ratio = check_fraction(min_contrast_ratio, "min_contrast_ratio", closed=True,
                                        fix="of the main patches' contrast; 0.4 by default")
    if check_choice(colour_cast, COLOUR_CAST_CHOICES, "colour_cast") == "correct" and modality == "visible":
        # (per-visit arguments as lists: an iterator would be spent by the first run)
        params.update(images=items, weeks=list(weeks), rois=rois, masks=masks, mm_per_px=mpp)
        return _series_without_cast(track_series(**{**params, "colour_cast": "flag"}), params)

    def load(i):
        """Visit ``i``'s image and pixel size (given, else from the photo's metadata)."""
        img, meta = image_and_scale(items[i], f"images[{i}]")
        return img, mpp[i] if mpp[i] is not None else meta

    # a follow-up given as a path is decoded where it is used: in the thread that registers it
    # (below), alongside the baseline's work; arrays and photos are checked here, up front
    later = [isinstance(it, (str, Path)) and i != bi for i, it in enumerate(items)]
    loaded = [None if later[i] else load(i) for i in range(n)]
    assessed_hu = assessed_hu_of(site, assessed_hu)
    register_kwargs = dict(register_kwargs or {})
    max_side = check_max_side(register_kwargs.pop("max_side", max_side))
    segment_kwargs = segment_options(segment_kwargs)
    envelope_kwargs = check_options(envelope_kwargs, EnvelopeModel.__init__, "envelope_kwargs",
                                    reserved=("self", "baseline", "labels", "roi", "mm_per_px",
                                              "linear"))  # (the series passes sRGB)

    # the working resolution (long side `max_side`, 1200 px by default) of everything in
    # baseline coordinates (step 2 below), fixed by the baseline photo's size
    base_img, mm_b = loaded[bi]
    long_b = max(base_img.shape[:2])
    if long_b > max_side:  # an integer reduction (cv2's fast, exact box filter), <= max_side
        max_side = max(64, long_b // int(np.ceil(long_b / max_side)))
    register_kwargs.pop("roi", None)  # evidence comes from the regions found here
    # set once the baseline is prepared (steps 1-2): what a follow-up needs of it
    base_ready: Future = Future()

    def follow_up(i):
        """A follow-up's own region (and marker cards), prepared photo, registration, the
        region it is assessed on, its segmentation and that mask at working resolution."""
        img, mm_i = loaded[i] or load(i)
        found = _find_region(img, site=site, mask=rois[i], modality=modality, name=f"rois[{i}]")
        pf = prepare(img, roi=found.evidence(), max_side=max_side)
        base_ready.result()  # (the baseline's own work comes first: steps 1-2)
        reg = register(pb, pf, method=register_method, mm_per_px=mm_b, max_side=max_side,
                       **register_kwargs)
        return (found, pf, reg, *assess(img, mm_i, i, found, pf, reg))

    def assess(img, mm_i, i, found, pf, reg):
        """The region a follow-up is assessed on, its segmentation and that mask at working
        resolution, given its registration."""
        Hw = _to_work(reg.transform, sw, pf.scale) if reg else None
        # the follow-up is assessed on the *baseline* region mapped into it (the same skin
        # at every visit), unless the user drew one for this visit
        region, mapped = found.region, bool(reg) and rois[i] is None and roi_from_baseline
        if mapped:
            region = _region_to_followup(roi_w, Hw, pf, img.shape[:2])
            _cut_cards(region, found.cards)  # this visit's own marker cards
        mm_i = usable_scale(site, mm_i, np.count_nonzero(region), user_region=rois[i] is not None)[0]
        seg, _ = _segment(img, region, modality=modality, mm_per_px=mm_i, mask=masks[i],
                          segment_kwargs=segment_kwargs, name=f"masks[{i}]")
        own = _down_u8(seg.mask, max_side, seg.roi) if reg else None
        return Hw, mapped, seg, own

    def via_other(i, pf, done):
        """A follow-up that does not align to the baseline, aligned through one of the two
        visits nearest to it in weeks that did (:func:`vasi.register_via`): visits
        close in time share more than the baseline and a late one. ``done``: {visit:
        (prepared photo, registration)}. ``(registration or None, its week, why not)``."""
        why = []
        near = sorted(done, key=lambda j: (abs(weeks[j] - weeks[i]),
                                           abs(weeks[j] - weeks[bi]), weeks[j], j))
        for j in near[:2]:  # (ties: the visit nearer the baseline, then the earlier)
            reg = register_via(pb, done[j][0], pf, done[j][1], method=register_method,
                               mm_per_px=mm_b, max_side=max_side, **register_kwargs)
            if reg:
                return reg, weeks[j], ""
            why.append(f"through week {weeks[j]:g}: {reg.reason}")
        return None, np.nan, "; ".join(why) or "no other visit aligned to go through"

    # 3. the follow-ups' regions, registrations and segmentations need only the prepared
    # baseline: with more than one thread allowed they run ahead in two other threads while
    # this one prepares and segments the baseline and measures the visits (same results,
    # same order); a follow-up's decoding, region and prepared photo need nothing of the
    # baseline, so they start at once
    background = cv2.getNumThreads() > 1
    chain = register_method in ("auto", "features")  # (they align through other visits too)
    ahead = _Ahead(follow_up, [i for i in range(n) if i != bi], background=background)
    try:
        # 1. the baseline's assessed region (its own coordinates; evidence for registration)
        found_b = _find_region(base_img, site=site, mask=rois[bi], modality=modality,
                               name=f"rois[{bi}]")
        roi_b = found_b.region
        shape_b = roi_b.shape
        # a scale that makes the region implausible is not used (calibrate.usable_scale)
        mm_b = usable_scale(site, mm_b, np.count_nonzero(roi_b),
                            user_region=rois[bi] is not None)[0]
        min_px = max(1, int(round(min_patch_area_mm2 / mm_b**2))) if mm_b else 20
        # new depigmentation is held to the segmentation's minimum patch size (full-resolution px)
        min_new_px = _min_area_px(mm_b, np.count_nonzero(roi_b), min_patch_area_mm2)
        tol_px = max(1, int(round(tolerance_mm / mm_b))) if mm_b else 3

        # 2. everything in baseline coordinates happens at the working resolution: the
        # baseline is prepared once (grey images, region, keypoints reused for every
        # follow-up), follow-up photos and masks are warped at that size, and pixel counts
        # are scaled back to full-resolution baseline pixels (`fa` full px per working px).
        # Full-resolution work is left to find_region / segment, once per photo.
        pb = prepare(base_img, roi=found_b.evidence(), max_side=max_side)
        sw = pb.scale
        roi_w = _down(roi_b, max_side)
        if background and chain:
            # fill the baseline's caches first, or both threads would compute them
            pb.features("orb")
            pb.half()
        base_ready.set_result(None)
        base_seg, _ = _segment(base_img, roi_b, modality=modality, mm_per_px=mm_b,
                               mask=masks[bi], segment_kwargs=segment_kwargs,
                               name=f"masks[{bi}]")
        grid = WorkingGrid(sw, pb.rgb.shape[:2], mm_b)
        # each follow-up's normal level from the baseline's ring and the change of light, under
        # a Wood's lamp too (its glowing halo fades as a patch repigments; benchmarks/README)
        env_kw = {"normal_level": DEFAULT_NORMAL_LEVEL, **envelope_kwargs}
        base = BaselinePatches(pb.rgb, _down(base_seg.mask, max_side, roi_b) & roi_w, roi_w,
                               grid=grid, min_area_px=min_px, min_new_area_px=min_new_px,
                               tolerance_px=tol_px,
                               measure=measure, envelope_kwargs=env_kw,
                               min_contrast_ratio=min_contrast_ratio)
        rows, prow = [], []
        segs, out_regs, out_masks, out_new, out_valid = ([None] * n for _ in range(5))

        def record(i, found, pf, reg, Hw, mapped, seg, own, via_week=np.nan):
            """Visit ``i``'s row (and patch rows), masks and registration, in place."""
            row = {"week": weeks[i], "visit_index": i, "is_baseline": i == bi,
                   "region_method": found_b.method if i == bi or mapped else found.method}
            linear = None  # the follow-up in baseline coordinates, linear light (envelope)
            if i == bi:
                fmask, valid, degree = base.mask, np.ones(grid.shape, bool), base.degree
                row.update(registered=True, registration_reason="", reg_method="baseline")
            else:
                row.update(_registration_columns(reg), reg_via_week=via_week)
                fmask = valid = degree = None
                if reg:
                    fmask, valid, linear, degree = base.followup(pf.rgb, Hw, own)
            segs[i], out_regs[i] = seg, reg
            # the visit's own segmentation, untracked, over the region it was assessed on (a
            # registered follow-up: the baseline's region mapped into it, not score_photo's)
            own_px, own_roi = np.count_nonzero(seg.mask), np.count_nonzero(seg.roi)
            row["f_vasi_unregistered"] = (f_vasi_single(own_px, own_roi, assessed_hu)
                                          if site == "face" and own_roi else np.nan)
            rows.append(row)
            if fmask is None:
                log.warning("week %g: registration failed (%s); visit kept unscored",
                            weeks[i], row["registration_reason"])
                return
            t, ptab = base.measure_visit(row, fmask, valid, linear=linear, degree=degree,
                                         is_baseline=i == bi, week=weeks[i], site=site,
                                         assessed_hu=assessed_hu, baseline_week=weeks[bi],
                                         with_patterns=with_patterns)
            prow.append(ptab)
            out_masks[i], out_new[i], out_valid[i] = fmask, t.new_mask, valid

        # follow-ups that align directly are measured as they come; the others wait until
        # every direct alignment is known, then go through the aligned visits nearest to them
        # (nearest to the baseline first, so a chain can grow outwards)
        done, waiting = {}, []  # done: {visit: (prepared photo, registration)}
        for i in range(n):
            if i == bi:
                record(i, None, None, None, None, True, base_seg, None)
                continue
            got = ahead.get(i)
            if not got[2] and chain:
                waiting.append((i, got))
                continue
            if got[2]:
                done[i] = (got[1], got[2])
            record(i, *got)
        for i, (found, pf, reg, Hw, mapped, seg, own) in sorted(
                waiting, key=lambda w: (abs(weeks[w[0]] - weeks[bi]), weeks[w[0]], w[0])):
            via, via_week, why = via_other(i, pf, done)
            if via:
                img, mm_i = loaded[i] or load(i)
                reg, (Hw, mapped, seg, own) = via, assess(img, mm_i, i, found, pf, via)
                done[i] = (pf, reg)
            else:
                reg = replace(reg, reason=f"{reg.reason}; {why}")
            record(i, found, pf, reg, Hw, mapped, seg, own, via_week)
        prov = {
            "vasi_version": __version__,
            "site": site,
            "modality": modality,
            "baseline_week": weeks[bi],
            "baseline_index": bi,
            "segmentation_method": base_seg.method,
            "registration_method": register_method,
            "hu_method": "relative",
            "assessed_hu": assessed_hu,
            "mm_per_px": mm_b,
            "min_patch_area_px": min_px,
            "min_new_area_px": round(float(min_new_px), 1),
            "tolerance_px": tol_px,
            "roi_from_baseline": bool(roi_from_baseline),
            "measure": measure,
            "normal_level": env_kw["normal_level"] if measure == "envelope" else None,
            "f_vasi_method": "per-patch baseline envelopes (relative HU); untracked baseline "
                             "specks' remainder and confirmed new depigmentation at level 1",
            "coordinates": "baseline",
            "working_shape": tuple(int(v) for v in grid.shape),
            "working_max_side": max_side,
            "working_scale": (float(sw[0]), float(sw[1])),
        }
        return SeriesResult(visit_table(rows), patch_table(prow),
                            _up_labels(base.labels, sw, shape_b), roi_b,
                            FullResMasks(out_masks, sw, shape_b), FullResMasks(out_new, sw, shape_b),
                            FullResMasks(out_valid, sw, shape_b), tuple(out_regs), tuple(segs),
                            tuple(weeks), bi, prov)

    finally:
        base_ready.cancel()  # (when the baseline failed: the follow-ups stop waiting)
        ahead.close()


def _registration_columns(reg) -> dict:
    """A follow-up's registration outcome and quality as visit-table columns."""
    q = reg.to_dict()
    return dict(registered=bool(reg), registration_reason=reg.reason, reg_method=reg.method,
                reg_inliers=q["n_inliers"], reg_inlier_ratio=q["inlier_ratio"],
                reg_residual_px=q["residual_px"], reg_residual_mm=q["residual_mm"],
                reg_scale=q["scale"], reg_rotation_deg=q["rotation_deg"])
