"""One photo end to end: assessed region -> depigmentation mask -> areas -> score.

:func:`score_photo` is the convenience path that chains the stages with their defaults;
every stage is also public on its own (:func:`vasi.find_region`, :func:`vasi.segment`,
:func:`vasi.measure.patches`, :func:`vasi.f_vasi`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import measure
from ._validate import check_choice, check_mask, to_uint8
from ._version import __version__, library_versions
from .calibrate import resolve_scale, usable_scale
from .color import normalize
from .errors import InputError
from .hand_units import assessed_hu_of
from .io import Photo, PhotoMeta, image_and_scale
from .roi import find_region, region_flags
from .segment import COLOUR_CAST_FLAG, DARK_REFERENCE_FLAG, Segmentation, segment, segment_options
from .sites import scored_site, site_name

__all__ = ["PhotoScore", "score_photo", "review_flags", "REVIEW_FLAGS", "UNSCORED_FLAGS", "COLOUR_CAST_CHOICES",
           "COLOUR_CAST_CORRECTED_FLAG"]


#: Segmentation flags of a photo with nothing to assess (its :class:`PhotoScore` is falsy).
UNSCORED_FLAGS = ("empty region", "region too small")
#: What :func:`score_photo` and :func:`vasi.track_series` do when a visible-light photo's
#: normal skin has a colour no skin has (``vasi.segment.COLOUR_CAST_FLAG``): ``"correct"``
#: -- white-balance the photo from that skin (:func:`vasi.normalize` ``method="skin"``: it
#: is moved to the nearest normal skin colour) and score it again, keeping the second score
#: when it is scored and its skin has a skin colour (its segmentation flagged
#: ``COLOUR_CAST_CORRECTED_FLAG``) -- or ``"flag"`` only. (Either way the assessed region
#: samples a cast face's skin colour in a wider hue window, :mod:`vasi.roi_skin`.)
COLOUR_CAST_CHOICES = ("correct", "flag")
#: Start of the flag of a photo scored after its colour cast was removed (the gains follow).
COLOUR_CAST_CORRECTED_FLAG = "colour cast corrected from the normal skin"
#: Flags (or flag prefixes) after which a score must be checked by eye before it is used:
#: the assessed region or the reference skin is in doubt, a visible-light photo has a
#: colour cast (``vasi.segment.COLOUR_CAST_FLAG``: the skin colours the region assumes are
#: not there; ``COLOUR_CAST_CORRECTED_FLAG``: the cast was removed with the skin's colour
#: as the probe, which a region taken on the wrong pixels would mislead), a Wood's lamp
#: photo came in greyscale (one development trunk: Dice 0.97 in colour, 0.25 in grey), its
#: normal skin is darker than skin (``vasi.segment.DARK_REFERENCE_FLAG``), or a series'
#: follow-up could not be registered to its baseline (a wrong patient's photo: no F-VASI;
#: see :attr:`PhotoScore.needs_review`).
#: Not among them: ``"low contrast"``, ``"no depigmentation found"`` and very light skin,
#: which describe the skin, not a failure, and ``"overexposed"`` (under a Wood's lamp the
#: fluorescent patches often clip: 3 of 36 development Wood's photos, Dice 0.90-0.99).
REVIEW_FLAGS = ("face outline not found", "face outline from the detector's box",
                "face found with the photo turned", "little skin in the photo",
                "reference skin too small", "mostly depigmented: reference skin uncertain",
                "implausible scale", "greyscale photo", "registration failed", COLOUR_CAST_FLAG,
                COLOUR_CAST_CORRECTED_FLAG, DARK_REFERENCE_FLAG)


def review_flags(flags) -> tuple:
    """The flags among ``flags`` that put a score in doubt (``REVIEW_FLAGS``), in order.

    >>> review_flags(("low contrast", "face outline not found"))
    ('face outline not found',)
    """
    return tuple(f for f in flags if f.startswith(REVIEW_FLAGS))


def _unscored(flags) -> list:
    """The flags among ``flags`` that mean nothing could be assessed."""
    return [f for f in flags if f in UNSCORED_FLAGS]


@dataclass(frozen=True)
class PhotoScore:
    """Everything measured on one photo.

    Attributes
    ----------
    segmentation : Segmentation
        Mask, region, score map, reference colour, flags.
    patches : pandas.DataFrame
        One row per depigmented patch (see :func:`vasi.measure.patches`).
    depigmented_area_px, assessed_area_px : int
        Pixel counts at full resolution.
    depigmented_area_cm2 : float or None
        Physical area when ``mm_per_px`` is known.
    depigmented_area_hu : float or None
        Hand units by the relative method (``assessed_hu`` x fraction).
    f_vasi, f_vasi_clinical : float or None
        Continuous and ladder-snapped F-VASI (faces only, 0-3).
    provenance : dict
        Library version, methods and parameters.

    A photo with nothing to assess (an empty or tiny region: flags in ``UNSCORED_FLAGS``)
    gives a *falsy* result whose :attr:`reason` says why; its F-VASI is NaN, not 0. A
    scored result whose region or reference skin is in doubt lists why in
    :attr:`needs_review` (a photo without the face in it, a blank frame): its numbers should
    be checked on the overlay before they are used.
    """

    segmentation: Segmentation
    patches: pd.DataFrame
    depigmented_area_px: int
    assessed_area_px: int
    depigmented_area_cm2: float | None
    depigmented_area_hu: float | None
    f_vasi: float | None
    f_vasi_clinical: float | None
    provenance: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return not self.reason

    @property
    def reason(self) -> str:
        """Why the photo could not be scored (empty when it was)."""
        bad = _unscored(self.segmentation.flags)
        return (f"nothing to assess ({'; '.join(bad)}): check the region (overlay) or pass a mask"
                if bad else "")

    @property
    def needs_review(self) -> tuple:
        """The flags (among ``REVIEW_FLAGS``) that put this score in doubt; empty when the
        region and the reference skin were found as expected. An application that records
        scores unattended should hold back those with a non-empty ``needs_review`` (and
        the falsy ones) for a look at the overlay."""
        return review_flags(self.flags)

    @property
    def roi(self) -> np.ndarray:
        """Assessed region, (H, W) bool."""
        return self.segmentation.roi

    @property
    def mask(self) -> np.ndarray:
        """Depigmentation mask, (H, W) bool."""
        return self.segmentation.mask

    @property
    def flags(self) -> tuple:
        """Quality flags: the segmentation's (:attr:`Segmentation.flags`) and the region's
        (:func:`vasi.roi.region_flags`: e.g. ``"face outline not found"`` when a face photo's
        region is only its central skin, F-VASI unreliable) and the scale's
        (:func:`vasi.calibrate.scale_flags`: ``"implausible scale: ..."``, the scale then not
        used: no physical areas)."""
        fraction = self.assessed_area_px / max(self.mask.size, 1)
        return (tuple(self.segmentation.flags) + region_flags(self.provenance.get("region_method"), fraction)
                + tuple(self.provenance.get("scale_flags", ())))

    @property
    def depigmented_fraction(self) -> float:
        """Depigmented / assessed area."""
        return self.segmentation.depigmented_fraction

    def to_dict(self) -> dict:
        """Scalar results as a flat dict (for tables and JSON)."""
        return {
            "depigmented_area_px": self.depigmented_area_px,
            "assessed_area_px": self.assessed_area_px,
            "depigmented_fraction": self.depigmented_fraction,
            "depigmented_area_cm2": self.depigmented_area_cm2,
            "depigmented_area_hu": self.depigmented_area_hu,
            "f_vasi": self.f_vasi,
            "f_vasi_clinical": self.f_vasi_clinical,
            "n_patches": len(self.patches),
            "flags": ";".join(self.flags),
        }

    def to_json(self, **dumps_kwargs) -> str:
        """The whole record as strict JSON (NaN as ``null``), for an application to store or
        send: :meth:`to_dict`'s numbers, whether it was ``scored`` and the ``reason`` if not,
        ``needs_review``, ``flags`` as a list, the ``patches`` table and the ``provenance``
        (site, modality, methods, parameters, library versions). ``dumps_kwargs`` go to
        :func:`json.dumps` (e.g. ``indent=2``).

        >>> import json, numpy as np
        >>> r = score_photo(np.zeros((64, 64, 3), np.uint8), site="face")
        >>> d = json.loads(r.to_json())
        >>> d["scored"], d["f_vasi"], d["reason"][:18]
        (False, None, 'nothing to assess ')
        """
        import json

        from ._json import plain

        record = {**self.to_dict(), "scored": bool(self), "reason": self.reason,
                  "needs_review": list(self.needs_review), "flags": list(self.flags),
                  "patches": self.patches, "provenance": self.provenance}
        if "allow_nan" in dumps_kwargs:  # (a duplicate keyword: a TypeError)
            raise InputError("to_json writes strict JSON (NaN as null) always; leave allow_nan "
                             "out, or use to_dict() for the numbers as they are.")
        return json.dumps(plain(record), allow_nan=False, **dumps_kwargs)


def score_photo(
    image,
    *,
    site: str = "face",
    modality: str = "visible",
    roi=None,
    mm_per_px: float | None = None,
    assessed_hu: float | None = None,
    marker_mm: float | None = None,
    segment_kwargs: dict | None = None,
    colour_cast: str = "correct",
) -> PhotoScore:
    """Score one photo: find the assessed region, segment, measure, F-VASI.

    Parameters
    ----------
    image : ndarray (H, W, 3), :class:`vasi.Photo` or path
        RGB photo (uint8, uint16 or float in [0, 1]; RGB order, not OpenCV's BGR), or a
        photo file (read with :func:`vasi.read_photo`).
    site : str, keyword-only
        ``"face"`` (or a word of it: cheek, forehead, ...; see :mod:`vasi.sites`) for the
        F-VASI facial area, any other name (``"body"``, ``"forearm"``, ``"hands"``, ...) for
        the skin of a body site.
        F-VASI is computed for faces only.
    modality : {"visible", "woods"}, keyword-only
    roi : ndarray of bool, shape (H, W), optional
        User-drawn assessed region; takes precedence over automatic detection.
    mm_per_px : float, optional
        Pixel size, for physical areas; default the photo's metadata (a :class:`vasi.Photo`
        or a file with a known pixel size).
    assessed_hu : float, optional
        Hand units of the assessed region for the relative method (default 3 for a face).
    marker_mm : float, optional, keyword-only
        Printed side (mm) of an ArUco marker, or a round sticker's diameter, in the frame:
        the pixel size is measured on it when neither ``mm_per_px`` nor the file gives one
        (:func:`vasi.calibrate.resolve_scale`; ``provenance["scale_source"]`` says which).
    segment_kwargs : dict, optional, keyword-only
        Options for :func:`vasi.segment` (e.g. ``{"sensitivity": 0.6}``), as in
        :func:`vasi.track_series`.
    colour_cast : {"correct", "flag"}, keyword-only
        A visible-light photo whose normal skin has a colour no skin has (a blue, green or
        grey cast; ``vasi.segment.COLOUR_CAST_FLAG``) is white-balanced from that skin and
        scored again (``"correct"``; flagged ``COLOUR_CAST_CORRECTED_FLAG`` with the gains,
        ``provenance["colour_cast"]`` has them), or only flagged (``"flag"``); see
        ``COLOUR_CAST_CHOICES``. A photo without a cast is scored once, the same either way.

    Returns
    -------
    PhotoScore
        Falsy, with ``.reason``, when there was nothing to assess; ``.needs_review`` names
        what to check when the region or the reference skin is in doubt.

    Raises
    ------
    vasi.InputError
        A bad argument (shape, dtype, range, option name), or a greyscale photo in visible
        light; the message names the argument and the fix.
    vasi.PhotoError
        A photo given as a file that cannot be read.

    Examples
    --------
    >>> img = np.zeros((60, 60, 3), np.uint8); img[10:50, 10:50] = (170, 120, 90)
    >>> img[20:30, 20:30] = (240, 225, 220)
    >>> s = score_photo(img, site="face")
    >>> s.depigmented_area_px, s.assessed_area_px, round(s.f_vasi, 4)
    (100, 1600, 0.1875)
    """
    arr, meta_mm = image_and_scale(image)
    site_label, site = site_name(site), scored_site(site)
    segment_kwargs = segment_options(segment_kwargs)
    colour_cast = check_choice(colour_cast, COLOUR_CAST_CHOICES, "colour_cast")
    mm_per_px, scale_source = resolve_scale(Photo(arr, PhotoMeta(mm_per_px=meta_mm)),
                                            mm_per_px=mm_per_px, marker_mm=marker_mm)
    if roi is not None:
        roi = check_mask(roi, arr.shape[:2], "roi")
    assessed_hu = assessed_hu_of(site, assessed_hu)
    kw = dict(site=site, site_label=site_label, modality=modality, roi=roi, mm_per_px=mm_per_px,
              scale_source=scale_source, assessed_hu=assessed_hu, segment_kwargs=segment_kwargs)
    res = _score(arr, **kw)
    if colour_cast == "correct" and COLOUR_CAST_FLAG in res.segmentation.flags:
        res = _without_cast(arr, res, kw)
    return res


def _without_cast(arr, res: PhotoScore, kw: dict) -> PhotoScore:
    """``res`` scored again on the photo white-balanced from its normal skin, when that
    score is scored and its skin has a skin colour (else ``res``, flagged as it was)."""
    removed = _cast_removed(arr, res.segmentation)
    if removed is None:
        return res
    again = _score(removed[0], **kw)
    if not _cast_gone(again.segmentation):
        return dataclasses.replace(res, provenance={
            **res.provenance, "colour_cast": _cast_record(res.segmentation, removed[1], False)})
    seg = again.segmentation.with_flags(_cast_corrected_flag(removed[1]))
    provenance = {**again.provenance, "segmentation_flags": list(seg.flags),
                  "colour_cast": _cast_record(res.segmentation, removed[1], True)}
    return dataclasses.replace(again, segmentation=seg, provenance=provenance)


def _cast_removed(image: np.ndarray, seg: Segmentation):
    """``image`` white-balanced from the normal skin of its segmentation ``seg``
    (:func:`vasi.normalize` ``method="skin"``: a cast skin moved to the nearest normal skin
    colour; uint8 stays uint8) and the linear gains (R, G, B), or None when the skin has no
    cast (or is too dark to balance from)."""
    norm = normalize(image, method="skin", reference=seg.reference)
    if not norm:
        return None
    out = to_uint8(norm.image) if image.dtype == np.uint8 else norm.image
    return out, [round(float(g), 3) for g in np.diag(norm.matrix)]


def _cast_gone(seg: Segmentation) -> bool:
    """Whether the score of a photo white-balanced by :func:`_cast_removed` is kept: it was
    scored and its normal skin has a skin colour."""
    return not _unscored(seg.flags) and COLOUR_CAST_FLAG not in seg.flags


def _cast_record(seg: Segmentation, gains, corrected: bool) -> dict:
    """``provenance["colour_cast"]`` of a photo whose cast was (or was not) removed."""
    return {"corrected": corrected, "gains": list(gains), "reference_lab_before": list(seg.reference_lab)}


def _cast_corrected_flag(gains) -> str:
    """The review flag of a photo scored after :func:`_cast_removed` with ``gains``.

    >>> _cast_corrected_flag([1.2, 0.97, 0.75]).split(": ")[0]
    'colour cast corrected from the normal skin (linear gains R 1.20, G 0.97, B 0.75)'
    """
    return (f"{COLOUR_CAST_CORRECTED_FLAG} (linear gains R {gains[0]:.2f}, G {gains[1]:.2f}, B {gains[2]:.2f}): "
            "check the region and the reference")


def _score(arr, *, site, site_label, modality, roi, mm_per_px, scale_source, assessed_hu,
           segment_kwargs) -> PhotoScore:
    """:func:`score_photo` on a validated photo with its scale resolved."""
    from .scores import f_vasi

    region, region_method = find_region(arr, site=site, roi=roi, modality=modality,
                                        return_method=True)
    roi_px = int(np.count_nonzero(region))
    # a scale that makes the region a metre wide (or a few mm) is wrong: not used, flagged
    mm_per_px, bad_scale = usable_scale(site, mm_per_px, roi_px, user_region=roi is not None)
    if bad_scale:
        scale_source = f"none: implausible {scale_source} scale, not used"
    seg = segment(arr, modality=modality, roi=region, mm_per_px=mm_per_px, **segment_kwargs)
    # the score is read over the patches only: the 12-MP score map is not built here
    table = measure.patches(seg.mask, roi=region, mm_per_px=mm_per_px, assessed_hu=assessed_hu,
                           score=seg.score_map)
    depig_px = int(table["area_px"].sum())  # the patches partition the mask's pixels
    area_cm2 = depig_px * mm_per_px**2 / 100.0 if mm_per_px else None
    area_hu = assessed_hu * depig_px / roi_px if (assessed_hu and roi_px) else None
    fv = fv_clin = None
    if site == "face":
        score = f_vasi(depigmented_px=depig_px, assessed_px=roi_px, assessed_hu=assessed_hu)
        fv, fv_clin = score.continuous, score.clinical
        if _unscored(seg.flags):  # nothing measured is not "no vitiligo"
            fv = fv_clin = float("nan")
    provenance = {
        "vasi_version": __version__,
        "library_versions": library_versions(),
        "segmentation_method": seg.method,
        "modality": modality,
        "site": site,
        "site_name": site_label,
        "roi_source": "user" if roi is not None else "automatic",
        "region_method": region_method,
        "hu_method": "relative",
        "assessed_hu": assessed_hu,
        "mm_per_px": mm_per_px,
        "scale_source": scale_source,
        "segmentation_thresholds": dict(seg.thresholds),
        "segmentation_flags": list(seg.flags),
        "scale_flags": list(bad_scale),
        "reference_lab": list(seg.reference_lab),
    }
    return PhotoScore(seg, table, depig_px, roi_px, area_cm2, area_hu, fv, fv_clin, provenance)
