"""The assessed region: which pixels of a photo are the skin being scored.

A user-supplied mask always wins. Otherwise everything is decided on a small working
image (long side ``roi_ops.WORK_SIDE`` = 320 px) and the result is upsampled to full
resolution. This module holds the API and the orchestration; the skin colour model is in
:mod:`vasi.roi_skin`, the shape of body sites in :mod:`vasi.roi_body`, the facial area in
:mod:`vasi.roi_face` and the shared working-image operations in :mod:`vasi.roi_ops`.

* **Skin** is a two-class decision relative to the photo itself, with no fixed colour
  boxes: the *skin colour* is the robust centre and spread of the skin-hued pixels near
  the image centre (or a detected face); the *background colours* are clusters of the
  frame's border (minus the ones that are the subject reaching the frame). Features are
  log colour ratios R/G and B/G in linear light -- unchanged by shading and light
  intensity -- and log luminance, with a wider tolerance on the dark (shaded) side. A
  pixel is skin when it is near the skin colour and the skin explains it better than
  every background colour, so a skin-coloured but distinct background does not leak in.
* **Depigmented skin is skin**: pixels bluer relative to red (less melanin) than the skin
  yet still pink, not neutral (visible light), or fluorescing brighter than both the skin
  and the background (Wood's lamp), join the skin when skin borders enough of their
  outline (about half in visible light, ``roi_skin.DEPIG_CONTACT_VISIBLE``: a patch at a
  limb's outline borders skin on half of its own or more, a pale object hanging from the
  outline less; less for a patch that borders skin on two sides, a band across a limb, and
  under a Wood's lamp, where dark skin beside a patch can look like the background) -- so
  patches at the border of a limb or face stay inside, even on a white background, while a
  bright garment at the frame's edge does not come in. A patch merged
  with such a garment along a front as wide as itself keeps its part inside the skin's
  outline (``roi_skin._notch_parts``).
* **Body sites**: the skin component connected to the subject (centre-weighted), holes
  filled, with a shape prior: large appendages much thinner than the site itself (arms
  and neck beside a trunk, background joined through a narrow bridge) are cut off;
  small ones (fingers) stay. Nails are not skin: a compact blob at a finger's distal
  end, unlike the finger's own skin and set inside its outline (skin around it, not the
  background), is left out (``roi_body._nails``; each finger read at
  ``roi_body.NAIL_FINGER_PX`` px per finger radius, finer than the working resolution,
  where a nail's rim of skin is about a pixel); a fingertip depigmented to its outline is
  not taken for a nail. A patch at the frame stays only when the site's own skin (arms
  dropped) encloses it.
* **Faces** (F-VASI area, SPEC.md section 1): two half-ellipses joined at the eye line --
  up to the hairline and down to the chin (from the mouth's position, facial thirds) --
  across the cheeks, so ears, neck and hair fall outside; inside, the non-skin features
  (eyes, brows, nostrils, lips) stay holes with a small margin, and each eye opening
  (white sclera included) is left out by anatomy (``roi_face.EYE_SIZE``), centred on
  that eye's own hole and tilted with the eye line -- the skin around the eyes
  (periocular vitiligo) stays in. In visible light an eye whose iris (dark between the
  brighter sclera) lies outside both that ellipse and the hole it was placed on is moved
  onto the iris (``roi_face._on_pupils``): an eye ringed by depigmentation can join the
  skin with it, and a gap at the patch's border then passes for the eye. In visible
  light, holes lighter than the face's skin
  (white or repigmenting spots that failed the colour tests) are skin and are filled,
  except at the eyes and mouth, and hair reaching into the upper face is cut by its
  colour relative to the face's own skin: much darker than the forehead
  (``roi_face.HAIR_DY``) and reaching the region's outer edge. The eyes are the most
  symmetric pair of holes with a mouth below; the outline is accepted only when skin
  covers it and is left-right symmetric (and, in visible light, when no mouth shows below
  the eyes, only if the face detector does not find the face elsewhere: holes in hair of
  the skin's colour can pass for eyes). Otherwise a face detector (scikit-image's LBP
  frontal-face cascade, offline) finds the face: when it agrees with the outline, skin
  covering it only below the hairline is enough (a fringe hides the top of the
  forehead); else the same is done on a crop around each detected face, largest first
  (down to 0.6 of its width), until one's features show (a background pattern can pass the
  cascade too).
  Under a Wood's lamp, light from one side leaves the far side in shade indistinguishable
  from the background: the face's skin is taken on both sides of its axis. A dark face's
  skin there is barely brighter than its features and the background, so inside the
  outline a hole centred away from every feature's anatomical place (brows and eyes, nose,
  mouth: ``roi_face.BROW_EYE_ZONE``, ``NOSE_ZONE``, ``MOUTH_ZONE``) is shaded skin and is
  filled, and below the eye line the skin's concavities at the outline (cheeks, jaw, chin
  turned from the lamp) are filled too (``roi_face._shaded_edge``): a face is convex there.
  Lips that pass the skin test (a Wood's lamp can light them like the skin) leave no
  mouth's hole; they are then found by anatomy (``roi_face._lips``): on the face's axis
  ~1.1 eye distances below the eye line, lighter or darker than the skin around and
  redder, lip-shaped and inside a tight window there -- a depigmented patch around the
  mouth (perioral vitiligo) reaches beyond it, is not lip-shaped or is not redder, and
  stays.
* **Turned face photos** (an orientation tag lost): when no outline is trusted upright, the
  working image is tried turned by a quarter turn each way, then upside down; a turned
  outline counts only when the face detector confirms it there (``FACE_TURNED``).
* **Calibration markers** (ArUco) and the white card around them are never assessed
  (:func:`vasi.calibrate.marker_boxes`): on the skin beside a lesion the card would be
  taken for depigmentation.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from ._ahead import Ahead
from ._validate import MODALITIES, check_choice, check_colour, check_image, check_mask, renamed
from .calibrate import marker_boxes
from .io import image_and_scale
from .roi_body import _drop_limbs, _frame_patches_enclosed, _nails, _without_shoulders
from .roi_face import (
    HAIR_MODALITIES,
    _box_eyes,
    _detect_faces,
    _disowned,
    _face_mask,
    _face_small,
    _fringe_oval,
    _same_face,
    _seed_weight,
)
from .roi_ops import _centre_weight, _fill_holes, _largest, _small, _upsample_mask
from .roi_skin import _skin_small
from .sites import scored_site

__all__ = ["find_region", "region_flags", "skin_mask", "SITES", "REGION_METHODS",
           "NO_FACE_OUTLINE", "FACE_BOX", "FACE_TURNED", "CLOSE_UP"]

#: How a site is scored (any site name maps to one of these: :func:`vasi.sites.scored_site`).
SITES = ("face", "body")
#: How ``find_region`` found a region (``return_method=True``); ``NO_FACE_OUTLINE``: a face
#: photo in which neither the facial features nor the face detector found the face;
#: ``FACE_BOX``: the detector found the face but not its features, so the outline is drawn
#: from the box's proportions (development Wood's-lamp faces: region IoU 0.53 on average,
#: against 0.81 with the features' outline).
NO_FACE_OUTLINE = "skin (no face outline)"
FACE_BOX = "face detector box"
#: ``FACE_TURNED``: the face's outline found with the photo turned by a quarter or half turn
#: (a photo whose orientation tag was lost); the region is returned in the photo's own
#: orientation.
FACE_TURNED = "face outline (photo turned)"
#: ``CLOSE_UP``: a body site's skin fills the frame (a patch photographed from near), and the
#: frame's border was taken for the skin itself, not background (check the region when the
#: photo also shows something else).
CLOSE_UP = "skin (close-up)"
REGION_METHODS = ("user", "skin", "face outline", "face detector", FACE_BOX, NO_FACE_OUTLINE, FACE_TURNED,
                  CLOSE_UP)
_METHOD_FLAGS = {NO_FACE_OUTLINE: ("face outline not found",),
                 FACE_BOX: ("face outline from the detector's box",),
                 FACE_TURNED: ("face found with the photo turned: check its orientation",),
                 CLOSE_UP: ("close-up: the frame's border taken for skin",)}
#: An automatic region smaller than this fraction of the photo is flagged: a clinical
#: photo frames the site (the synthetic photos' true regions cover 7-46 % of the frame), so
#: a region this small is a photo without the site in it, or a site the skin model missed.
MIN_REGION_FRACTION = 0.02
#: The flag :func:`region_flags` raises for such a region.
LITTLE_SKIN = "little skin in the photo"


def region_flags(method: str, fraction: float | None = None) -> tuple[str, ...]:
    """Quality flags of a region found by ``method`` (``find_region(return_method=True)``):
    ``("face outline not found",)`` for ``NO_FACE_OUTLINE``, ``("face outline from the
    detector's box",)`` for ``FACE_BOX`` (check the region, or pass a mask), ``("close-up:
    the frame's border taken for skin",)`` for ``CLOSE_UP``; and ``"little
    skin in the photo"`` when an automatic region covers less than ``MIN_REGION_FRACTION``
    of the photo (``fraction``: region pixels / photo pixels; user masks are never flagged).

    >>> region_flags(NO_FACE_OUTLINE), region_flags(FACE_BOX), region_flags("face outline")
    (('face outline not found',), ("face outline from the detector's box",), ())
    >>> region_flags("skin", 0.004), region_flags("user", 0.004)
    (('little skin in the photo',), ())
    """
    flags = _METHOD_FLAGS.get(method, ())
    if fraction is not None and method != "user" and fraction < MIN_REGION_FRACTION:
        flags += (LITTLE_SKIN,)
    return flags


def skin_mask(image, *, modality: str = "visible") -> np.ndarray:
    """All skin in the photo (largest skin component, holes filled), shape (H, W) bool.

    Examples
    --------
    >>> img = np.full((60, 80, 3), 235, np.uint8); img[10:50, 20:60] = (190, 140, 110)
    >>> int(skin_mask(img).sum())
    1600
    """
    arr = check_image(image)
    check_choice(modality, MODALITIES, "modality")
    check_colour(arr, modality)
    srgb, lin, k = _small(arr)
    cw = _centre_weight(srgb.shape[:2])
    skin = _fill_holes(_largest(_skin_small(srgb, lin, modality, cw), cw))
    return _upsample_mask(skin, arr.shape[:2], k)


def find_region(image, *, site: str = "face", roi=None, modality: str = "visible",
                return_method: bool = False, mask=None):
    """Boolean mask of the assessed skin in ``image``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), vasi.Photo, path or bytes
        RGB photo (uint8, uint16 or float in [0, 1]), or a photo file (see
        :func:`vasi.read_photo`).
    site : str, keyword-only
        ``"face"`` (or a word of it: cheek, forehead, ...; see :mod:`vasi.sites`) for the
        F-VASI facial area, any other name (``"body"``, ``"forearm"``, ``"hands"``, ...) for
        the skin of a body site.
    roi : ndarray, shape (H, W), optional
        A user-drawn region; when given it is returned as-is (validated).
    modality : {"visible", "woods"}, keyword-only
        Visible-light or Wood's lamp photo.
    return_method : bool, keyword-only
        Also return how the region was found (one of ``REGION_METHODS``): ``"user"``,
        ``"skin"`` or ``CLOSE_UP`` (body sites; the latter when the frame's border was
        taken for the skin itself), ``"face outline"`` (from the eyes and mouth), ``"face
        detector"`` (the same on a crop around a detected face), ``FACE_BOX`` (a detected
        face whose features do not show: the outline follows the box's proportions), or
        ``NO_FACE_OUTLINE`` -- a face photo whose face was found neither way, so the
        region is the central skin blob and the F-VASI area is unreliable -- or
        ``FACE_TURNED`` (the face found only with the photo turned).
    mask : ndarray, keyword-only
        Deprecated: the old name of ``roi``.

    Returns
    -------
    ndarray of bool, shape (H, W)
        At the photo's full resolution (px). The region is found on a working image whose
        long side is ``roi_ops.WORK_SIDE`` px and upsampled (bilinear, cut at half), so its
        outline is smooth to about one working pixel (``max(H, W) / roi_ops.WORK_SIDE`` px).
        With ``return_method``, the tuple ``(mask, method)``.

    Raises
    ------
    vasi.InputError
        A bad argument (shape, dtype, range, option name), or a greyscale photo in visible
        light; the message names the argument and the fix.
    vasi.PhotoError
        A photo given as a file that cannot be read.

    Examples
    --------
    >>> img = np.zeros((40, 40, 3), np.uint8); img[10:30, 10:30] = (200, 150, 120)
    >>> int(find_region(img, site="body").sum())
    400

    A depigmented (pink-white) patch at the skin's edge stays in, on a white background:

    >>> img = np.full((60, 80, 3), 245, np.uint8); img[10:50, 10:70] = (150, 105, 75)
    >>> img[20:40, 50:70] = (240, 215, 205)
    >>> r = find_region(img, site="body")
    >>> bool(r[20:40, 50:70].all()), int(r.sum())
    (True, 2400)
    >>> find_region(img, site="face", return_method=True)[1]   # no eyes in a rectangle
    'skin (no face outline)'
    """
    arr = image_and_scale(image)[0]
    site = scored_site(site)
    check_choice(modality, MODALITIES, "modality")
    roi = renamed(roi, mask, old="mask", new="roi")
    if roi is not None:
        region, method = check_mask(roi, arr.shape[:2], "roi").copy(), "user"
    else:
        check_colour(arr, modality)
        region, method = _auto_region_without_cards(arr, site, modality)[:2]
    return (region, method) if return_method else region


def _cut_cards(region: np.ndarray, cards) -> np.ndarray:
    """``region`` (modified in place and returned) without the marker cards ``cards`` of
    :func:`vasi.calibrate.marker_boxes`: a calibration marker's white card looks like
    depigmented skin and is never assessed."""
    for rows, cols, card in cards:
        region[rows, cols] &= ~card
    return region


class _Found(NamedTuple):
    """A photo's assessed region as a series needs it: the region (bool, full resolution),
    how it was found, the photo's marker cards (:func:`vasi.calibrate.marker_boxes`; None
    for a user region) and the site's skin left out of it (nails, a trunk's shoulders;
    ``(window, mask)`` pairs)."""

    region: np.ndarray
    method: str
    cards: list | None
    left_out: list

    def evidence(self) -> np.ndarray:
        """The region registration takes its keypoints from: with the skin left out of it
        (:func:`_with_left_out`)."""
        return _with_left_out(self.region, self.left_out)


def _auto_region_without_cards(arr, site, modality) -> _Found:
    """:func:`find_region`'s automatic region, its method, the photo's marker cards and the
    skin left out of it (a series keeps the cards for the baseline region mapped into this
    photo, and registers on the region with that skin)."""
    # the marker search (a 1000-px copy and OpenCV's detector) is independent of the skin
    # model: with more than one thread allowed it runs in another thread meanwhile
    markers = Ahead(lambda _: marker_boxes(arr), (0,), background=cv2.getNumThreads() > 1,
                    name="vasi-markers")
    try:
        region, method, left_out = _auto_region(arr, site, modality)
        cards = markers.get(0)
    finally:
        markers.close()
    return _Found(_cut_cards(region, cards), method, cards, left_out)


def _with_left_out(region: np.ndarray, left_out) -> np.ndarray:
    """``region`` with the skin ``left_out`` of a body site's automatic region put back (a
    copy when there is any; ``(window, mask)`` pairs at full resolution): nails
    (``roi_body._nails``) are not assessed, but they are fixed to the bones and, under a
    Wood's lamp, the brightest features that stay the same from visit to visit; a trunk's
    shoulders (``roi_body._without_shoulders``) are the arms', but move with the trunk --
    evidence for registration."""
    if not left_out:
        return region
    out = region.copy()
    for win, piece in left_out:
        out[win] |= piece
    return out


def _pieces(small: np.ndarray, shape, k: float) -> list:
    """A working-resolution mask (``k`` x the full resolution ``shape``) as ``(window,
    mask)`` pairs at full resolution: one window, its bounding box (to within a pixel:
    registration evidence), upsampled alone; none when it is empty."""
    ys, xs = np.nonzero(small.any(axis=1))[0], np.nonzero(small.any(axis=0))[0]
    if ys.size == 0:
        return []
    h, w = small.shape
    y0, y1, x0, x1 = max(0, ys[0] - 2), min(h, ys[-1] + 3), max(0, xs[0] - 2), min(w, xs[-1] + 3)
    win = (slice(int(round(y0 / k)), min(shape[0], int(round(y1 / k)))),
           slice(int(round(x0 / k)), min(shape[1], int(round(x1 / k)))))
    size = (win[0].stop - win[0].start, win[1].stop - win[1].start)
    return [(win, _upsample_mask(small[y0:y1, x0:x1], size, k))]


def _detected_face(arr, face, k, modality):
    """The outline of a detected ``face`` (row, col, size at working scale ``k``), found on
    a crop around it where the face is large enough for its features to show: whether that
    outline is only the box's proportions (the features did not show), a function returning
    the face's region at full resolution, and whether the features showed a mouth."""
    r, c, size = (v / k for v in face)  # full-resolution px
    H, W = arr.shape[:2]
    y0, y1 = int(max(0, r - 1.6 * size)), int(min(H, r + 1.8 * size))
    x0, x1 = int(max(0, c - 1.7 * size)), int(min(W, c + 1.7 * size))
    crop = arr[y0:y1, x0:x1]
    srgb_c, lin_c, kc = _small(crop)
    face_c = ((r - y0) * kc, (c - x0) * kc, size * kc)
    blob_c, oval_c, boxed = _face_small(srgb_c, lin_c, modality, _seed_weight(srgb_c.shape[:2], face_c), face_c)

    def region():
        out = np.zeros((H, W), bool)
        out[y0:y1, x0:x1] = _upsample_mask(_face_mask(blob_c, oval_c, modality, lin_c), crop.shape[:2], kc)
        return out

    return boxed, region, oval_c.mouth


def _auto_region(arr, site, modality):
    """The region of ``find_region`` without a user mask, before markers are removed, how
    it was found (one of ``REGION_METHODS``) and the site's skin left out of it (body
    sites: nails, a trunk's shoulders; ``(window, mask)`` pairs at full resolution)."""
    srgb, lin, k = _small(arr)
    if site == "body":
        cw = _centre_weight(srgb.shape[:2])
        skin, frame_p, close_up = _skin_small(srgb, lin, modality, cw, at_frame=True, body=True)
        blob, limbs = _drop_limbs(_fill_holes(_largest(skin, cw)), return_limbs=True)
        with_shoulders = _frame_patches_enclosed(blob, frame_p, max(blob.shape))
        blob = _without_shoulders(with_shoulders, limbs)
        region = _upsample_mask(blob, arr.shape[:2], k)
        nails = _nails(blob, arr)
        for win, nail in nails:
            region[win] &= ~nail
        return (region, CLOSE_UP if close_up else "skin",
                nails + _pieces(with_shoulders & ~blob, arr.shape[:2], k))
    region, method, trust = _face_region(arr, srgb, lin, k, modality)
    if trust != UPRIGHT:
        turned = _turned_face(srgb, lin, modality, need_mouth=trust == EYES)
        if turned is not None:
            return _upsample_mask(turned, arr.shape[:2], k), FACE_TURNED, []
    return region(), method, []


def _face_region(arr, srgb, lin, k, modality):
    """The facial region of an upright photo: a function returning it at full resolution,
    how it was found (one of ``REGION_METHODS``) and how far its outline is trusted upright:
    ``UPRIGHT`` (eyes with a mouth below them; under a Wood's lamp eyes alone), ``EYES``
    (eyes without a mouth: an upside-down face can show that, even to the detector) or
    ``NOT_FOUND``."""
    # seed the skin colour at the image centre; when that blob has no facial geometry (eye
    # pair), find the face with a detector (e.g. a portrait whose centre is clothing, or a
    # small face) and work on a crop around it, where the face is large enough for its
    # features to show
    blob, oval, _ = _face_small(srgb, lin, modality, _centre_weight(srgb.shape[:2]))
    # the detector runs when the features found no outline, or one without a mouth (in
    # visible light: which holes in hair can pass for, and which it must then confirm)
    faces = _detect_faces(srgb) if oval is None or (not oval.mouth and modality in HAIR_MODALITIES) else []
    if _disowned(oval, faces, modality):
        oval = None
    if oval is None:
        oval = _fringe_oval(blob, faces, modality)  # confirmed by the detector
    if oval is None:
        # each detected face, largest first, until one's features give its outline; else
        # the largest box's proportions
        first = None
        for face in faces:
            from_box, region, mouth = _detected_face(arr, face, k, modality)
            if not from_box:
                return region, "face detector", UPRIGHT if mouth else EYES
            first = first or region
        if first is not None:
            return first, FACE_BOX, NOT_FOUND

    def region():
        return _upsample_mask(_face_mask(blob, oval, modality, lin), arr.shape[:2], k)

    # under a Wood's lamp hair does not fake eyes: eyes alone are trusted there
    trust = (NOT_FOUND if oval is None else
             UPRIGHT if oval.mouth or modality not in HAIR_MODALITIES else EYES)
    return region, "face outline" if oval is not None else NO_FACE_OUTLINE, trust


#: Quarter turns tried, in this order, for a face photo whose features do not show upright
#: (a photo whose orientation tag was lost: on its side, then upside down).
TURNS = (1, 3, 2)
#: How far :func:`_face_region`'s outline is trusted upright.
UPRIGHT, EYES, NOT_FOUND = "upright", "eyes", "not found"


def _turned_face(srgb, lin, modality, need_mouth: bool = False):
    """The facial region (working resolution, the photo's own orientation) of a face photo
    turned by a quarter or half turn, or None. In a turned orientation the features must
    give an outline (in the frame, or below a hairline) that the face detector confirms (a
    frontal-face detector answers mostly for an upright face); an outline with a mouth
    below its eyes wins over one without (an upside-down face can pass the detector, its
    mouth above the eyes), and with ``need_mouth`` (the upright photo already showed eyes)
    only such an outline counts."""
    found = None
    for turns in TURNS:
        srgb_t, lin_t = (np.ascontiguousarray(np.rot90(a, turns)) for a in (srgb, lin))
        blob, oval, _ = _face_small(srgb_t, lin_t, modality, _centre_weight(srgb_t.shape[:2]))
        if need_mouth and (oval is None or not oval.mouth):
            continue  # (no detector run: only an outline with a mouth could win)
        faces = _detect_faces(srgb_t)
        oval = oval or _fringe_oval(blob, faces, modality)
        if oval is None or not any(_same_face(oval, _box_eyes(f)) for f in faces):
            continue
        if found is None or oval.mouth:
            found = np.ascontiguousarray(np.rot90(_face_mask(blob, oval, modality, lin_t), -turns))
        if oval.mouth:
            break
    return found
