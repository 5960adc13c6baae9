"""The F-VASI facial area (for :mod:`vasi.roi`, SPEC.md section 1).

The face's outline is two half-ellipses joined at the eye line, found from the skin blob's
eye holes, mouth and width (``_face_oval``) or, failing that, from a face detector's box
(``_detect_faces``, scikit-image's LBP cascade, offline; placed on the face's irises
when they show near the box's eyes, ``_box_irises``); inside it, eyes, brows, nostrils,
lips (where they pass the skin test, found by anatomy: ``_lips``) and (in visible light)
hair reaching into the forehead are left out (``_face_mask``);
under a Wood's lamp, shaded skin the colour test missed inside the outline is put back
(holes away from the features' places, concavities at the lower outline).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import cv2
import numpy as np

from ._cv import components_with_stats
from .levels import _components_below
from .roi_ops import _centre_weight, _fill_holes, _hull, _largest, _log_luma, _open_disk, _smooth
from .roi_skin import _skin_small

log = logging.getLogger("vasi")


def _detect_faces(srgb: np.ndarray) -> list:
    """Frontal faces ``(row, col, size)`` found by scikit-image's LBP cascade (the OpenCV
    frontal-face LBP model shipped with scikit-image, so no download), largest first (at
    most ``MAX_FACES``; boxes of one size keep the detector's order); empty when none."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    f = min(1.0, 200.0 / max(srgb.shape[:2]))  # the cascade is slow: run it on <= 200 px
    g = cv2.cvtColor(np.ascontiguousarray((srgb * 255).astype(np.uint8)), cv2.COLOR_RGB2GRAY)
    if f < 1.0:
        g = cv2.resize(g, (max(1, round(g.shape[1] * f)), max(1, round(g.shape[0] * f))), interpolation=cv2.INTER_AREA)
    side = min(g.shape)
    det = []
    # contrast stretched over the whole photo, then, when that finds no face, locally
    # (CLAHE): a dark face before a background of its own brightness (type VI skin under a
    # Wood's lamp) keeps its features' contrast only locally
    for norm in (cv2.equalizeHist, cv2.createCLAHE(2.0, (4, 4)).apply):
        try:
            det = Cascade(lbp_frontal_face_cascade_filename()).detect_multi_scale(
                img=norm(g).astype(np.float64) / 255.0, scale_factor=1.2, step_ratio=1,
                min_size=(max(24, side // 10),) * 2, max_size=(side, side), min_neighbor_number=3)
        except Exception as exc:  # pragma: no cover - detector is optional help only
            log.info("face detector failed: %s", exc)
            return []
        if det:
            break
    det = sorted(det, key=lambda d: -d["width"] * d["height"])
    det = [d for d in det if d["width"] >= MIN_FACE_SHARE * det[0]["width"]][:MAX_FACES]
    return [((d["r"] + d["height"] / 2.0) / f, (d["c"] + d["width"] / 2.0) / f, float(d["width"]) / f)
            for d in det]


#: Detected faces tried, largest first, for one whose features give the face's outline (a
#: background pattern can pass the cascade with the size of the real face): at most
#: ``MAX_FACES``, each at least ``MIN_FACE_SHARE`` of the largest one's width (a smaller face
#: in the background -- a clinician, a mirror -- is not the patient).
MAX_FACES = 4
MIN_FACE_SHARE = 0.6


def _seed_weight(shape, face) -> np.ndarray:
    """Where the skin colour is sampled: around a detected face, else the image centre."""
    if face is None:
        return _centre_weight(shape)
    h, w = shape
    r, c, size = face
    yy = ((np.arange(h, dtype=np.float32) - r) / (0.35 * size)) ** 2
    xx = ((np.arange(w, dtype=np.float32) - c) / (0.35 * size)) ** 2
    return np.exp(-(yy[:, None] + xx[None, :]))


#: F-VASI face proportions (frontal view), as fractions of the face width across the
#: cheeks (ears excluded): eye line to hairline ``FACE_UP``, eye line to chin ``FACE_DOWN``
#: (used when the mouth is not found); and the chin's distance from the eye line as a
#: multiple of the eye-to-mouth distance, ``CHIN_PER_MOUTH`` (facial thirds: eye-mouth
#: ~7 cm, mouth-chin ~5 cm). Under a Wood's lamp, where no colour tells hair from skin,
#: the hairline is at most ``FACE_UP_WOODS`` above the eye line (trichion to glabella is a
#: third of the face's height, ~0.5 face widths, from the eye line).
FACE_UP = 0.62
FACE_UP_WOODS = 0.53
FACE_DOWN = 0.80
CHIN_PER_MOUTH = 1.65
#: Lateral margin of the face outline beyond the measured cheek width (fraction).
FACE_SIDE = 1.04


class FaceOval(NamedTuple):
    """A face's outline at working resolution (px): two half-ellipses joined at the eye
    line, ``half_width`` wide, reaching ``up`` to the hairline and ``down`` to the chin."""

    cx: float  # the face's axis (column)
    eye_row: float
    half_width: float  # FACE_SIDE x half the face width
    up: float
    down: float
    eye_dx: float  # distance between the eyes
    eyes: tuple  # the two eyes' (row, col)
    mouth: bool = True  # the chin placed from the mouth's hole (False: from the proportions)

    @property
    def face_w(self) -> float:
        """The face's width across the cheeks (ears excluded)."""
        return 2.0 * self.half_width / FACE_SIDE


def _face_oval(blob: np.ndarray, hairline: bool = False):
    """Face outline (:class:`FaceOval`) from the head's skin blob (``eyes``: the two eye
    holes' centroids, row and col), or None. ``hairline``: the blob's top is the hairline
    (visible light, where hair differs from skin by colour), see :func:`_face_like`.

    The outline is two half-ellipses joined at the eye line (the widest part of a face):
    ``up`` to the hairline and ``down`` to the chin. The eye line comes from the pair of
    symmetric holes (eyes) inside the blob; the width from the widest row near the eyes
    after an opening that removes the ears; the chin from the mouth (the wide hole below
    the eyes) or from the face's proportions.
    """
    ys, xs = np.nonzero(blob)
    if ys.size < 100:
        return None
    filled = _fill_holes(blob)
    w0 = float(filled.sum(axis=1).max())
    r = max(1, int(0.12 * w0))
    opened = _open_disk(filled, r)
    if opened.sum() < 0.3 * filled.sum():
        opened = filled
    rows = np.nonzero(opened.any(axis=1))[0]
    top, bottom = int(rows[0]), int(rows[-1])
    ext = bottom - top + 1
    widths = opened.sum(axis=1).astype(float)
    upper = widths[top: top + max(2, int(0.6 * ext))]
    face_w = float(upper.max())
    if face_w < 8:
        return None
    y_wide = top + int(np.argmax(upper))
    cols = np.arange(blob.shape[1])
    row = cols[opened[y_wide]]
    cx = 0.5 * (row.min() + row.max())
    w_top = face_w
    hcc = _holes_cc(blob, filled)
    # the eye pair is the most plausible pair of holes whose outline is face-like: in a
    # ragged blob (hair under a Wood's lamp) the best-looking pair may be holes in the hair
    for eye in _eye_pairs(hcc, cx, w_top, top)[:EYE_TRIES]:
        eye_r, cx_e, eye_dx, eyes = eye
        # the face's width at the cheeks: widest opened row within a band around the eyes
        face_w = w_top
        band = widths[max(0, int(eye_r - 0.15 * w_top)): int(eye_r + 0.35 * w_top) + 1]
        if band.size and band.max() >= 8:
            face_w = float(band.max())
        mouth = _mouth_row(hcc, cx_e, face_w, eye_r)
        down = CHIN_PER_MOUTH * (mouth - eye_r) if mouth is not None else FACE_DOWN * face_w
        down = float(np.clip(down, 0.6 * face_w, 1.0 * face_w))
        oval = FaceOval(cx_e, eye_r, 0.5 * FACE_SIDE * face_w, FACE_UP * face_w, down, eye_dx, eyes,
                        mouth is not None)
        if _face_like(blob, oval, hairline):
            return oval
    return None  # no facial geometry to anchor an F-VASI outline on


#: Candidate eye pairs tried, most plausible first, until one gives a face-like outline.
EYE_TRIES = 6
#: Two eyes are a pair when they lie ``EYE_PAIR_DX`` (from, to) face widths apart across
#: (the eyes' centres ~0.45 face widths apart, ``EYE_DX``) and at most ``EYE_PAIR_DY`` face
#: widths apart vertically (the head tilted by up to ~12 degrees).
EYE_PAIR_DX = (0.25, 0.65)
EYE_PAIR_DY = 0.1
#: The distance between the eyes' centres as a fraction of the face width across the
#: cheeks (interpupillary ~63 mm on a ~140 mm face).
EYE_DX = 0.45


def _holes_cc(blob, filled):
    """Connected components of the holes in the skin blob: ``(n, stats, centroids)``."""
    n, _, st, cen = components_with_stats((filled & ~blob).astype(np.uint8), connectivity=8)
    return n, st, cen


def _mouth_row(hcc, cx, face_w, eye_r):
    """Row of the mouth: the widest hole (of ``hcc = _holes_cc(...)``) centred below the
    eyes, or None. When no single hole qualifies, holes side by side on one row
    (``MOUTH_ROW`` x the face width apart at most, vertically) are taken together: a
    highlight on the lips (under a Wood's lamp, or a gloss) can split their hole in two."""
    n, st, cen = hcc
    if n <= 1:
        return None
    left = st[1:, cv2.CC_STAT_LEFT].astype(float)
    right = left + st[1:, cv2.CC_STAT_WIDTH]
    area = st[1:, cv2.CC_STAT_AREA].astype(float)
    cx_h, cy = cen[1:, 0], cen[1:, 1]
    below = (cy - eye_r > 0.3 * face_w) & (cy - eye_r < 0.65 * face_w)
    for rows in (np.eye(n - 1, dtype=bool), np.abs(cy[:, None] - cy[None]) <= MOUTH_ROW * face_w):
        best = None
        for i in np.flatnonzero(below):
            row = rows[i]  # this hole alone, then the holes on its row
            wi = float(right[row].max() - left[row].min())
            if (abs(np.average(cx_h[row], weights=area[row]) - cx) > 0.12 * face_w
                    or not 0.18 * face_w <= wi <= 0.6 * face_w):
                continue
            if best is None or wi > best[0]:
                best = (wi, float(np.average(cy[row], weights=area[row])))
        if best is not None:
            return best[1]
    return None


#: Holes whose centroids are at most this fraction of the face width apart vertically are
#: one row of holes for :func:`_mouth_row` (lips ~15 mm tall on a ~150 mm face).
MOUTH_ROW = 0.03


#: Eye opening half-width and half-height as fractions of the face width: a little inside
#: the palpebral fissure (~30 x 10 mm on a ~150 mm face, i.e. 0.1 x 0.034); the eye's own
#: hole, with its margin, covers the rest, so periocular skin is not cut.
EYE_SIZE = (0.08, 0.027)
#: Under a Wood's lamp the sclera is bright, like fluorescent skin, and the eye's hole is
#: only the dark iris and lashes: the ellipse covers the whole fissure, centred lower.
EYE_SIZE_WOODS = (0.095, 0.035)
EYE_DROP_WOODS = 0.0
#: Eye opening centre below the eye hole's centroid (the lashes pull the centroid up),
#: as a fraction of the face width.
EYE_DROP = 0.005
#: The iris's radius as a fraction of the face width (~6 mm on a ~150 mm face): the eye is
#: found by its iris, dark between the brighter sclera on either side (:func:`_on_pupils`).
IRIS_R = 0.04
#: How far (face widths, vertically and horizontally) from its hole's centroid an eye's
#: iris is looked for: a hole at a patch's border between brow and eye (~0.14 face widths
#: apart) can pass for the eye when the eye itself joined the depigmented skin around it.
EYE_SEARCH = (0.15, 0.1)
#: Where eyes are moved onto their irises: visible light, where the sclera can pass for
#: depigmented skin. Under a Wood's lamp the eye's hole is the dark iris itself.
IRIS_MODALITIES = ("visible",)
#: A face outline is accepted when the skin covers at least ``FACE_COVER`` of it and is
#: left-right symmetric (IoU with its mirror image) at least ``FACE_SYM``.
FACE_COVER = 0.7
FACE_SYM = 0.7


def _mirror_window(blob, oval):
    """Column slice symmetric about the face axis, or None."""
    c0 = int(round(oval.cx))
    hw = int(np.ceil(oval.half_width)) + 1
    half = min(c0, blob.shape[1] - 1 - c0, hw)
    if half < 2:
        return None
    return slice(c0 - half, c0 + half + 1)


def _face_like(blob, oval, hairline: bool = False) -> bool:
    """Is the skin inside the outline face-like (coverage and left-right symmetry)?

    With ``hairline`` (visible light) coverage is counted below the hairline -- the top of
    the skin (holes filled) across the middle of the face -- so that hair low on the
    forehead (a fringe) does not count against a face: the outline's proportions assume a
    bare forehead. Under a Wood's lamp hair and skin look alike and the blob's top is not
    the hairline."""
    m = _outline_mask(blob.shape, oval)
    if hairline:
        half = max(1, int(round(0.25 * oval.face_w)))
        c0 = int(round(oval.cx))
        band = _fill_holes(blob)[:, max(0, c0 - half): c0 + half + 1].any(axis=1)
        if band.any():  # a fringe ends above the brows
            m[: max(0, min(int(np.argmax(band)), int(oval.eye_row - FRINGE_ABOVE_EYES * oval.face_w)))] = False
    inside = blob & m
    cover = float(inside.sum()) / max(int(m.sum()), 1)
    sl = _mirror_window(blob, oval)
    if sl is None:
        return False
    win = inside[:, sl]
    mir = win[:, ::-1]
    sym = float((win & mir).sum()) / max(int((win | mir).sum()), 1)
    return cover >= FACE_COVER and sym >= FACE_SYM


def _outline_mask(shape, oval) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    c = (int(round(oval.cx)), int(round(oval.eye_row)))
    hw = max(1, int(round(oval.half_width)))
    cv2.ellipse(m, c, (hw, max(1, int(round(oval.down)))), 0, 0, 180, 1, -1)  # chin half (image y down)
    cv2.ellipse(m, c, (hw, max(1, int(round(oval.up)))), 0, 180, 360, 1, -1)
    return m.astype(bool)


def _eye_pairs(hcc, cx, face_w, top):
    """Candidate eyes, most plausible first: ``(row, centre col, eye distance, (eye 1,
    eye 2))``, each eye its hole's centroid (row, col) -- symmetric pairs of holes
    (``hcc = _holes_cc(...)``) of similar size."""
    n, st, cen = hcc
    n -= 1
    if n < 2:
        return []
    area = st[1:, cv2.CC_STAT_AREA].astype(float)
    com = cen[1:, ::-1]  # (row, col)
    keep = (area > (0.015 * face_w) ** 2) & (area < (0.25 * face_w) ** 2) & (com[:, 0] < top + 1.1 * face_w)
    cand = np.nonzero(keep)[0]
    pairs = []
    for i in cand:
        for j in cand:
            if j <= i:
                continue
            dy = abs(com[i, 0] - com[j, 0])
            dx = abs(com[i, 1] - com[j, 1])
            if not (EYE_PAIR_DX[0] * face_w < dx < EYE_PAIR_DX[1] * face_w) or dy > EYE_PAIR_DY * face_w:
                continue
            mid = 0.5 * (com[i, 1] + com[j, 1])
            ratio = min(area[i], area[j]) / max(area[i], area[j])
            if ratio < 0.3:
                continue
            cost = abs(mid - cx) / face_w + dy / face_w + (1 - ratio) * 0.3
            pairs.append((cost, 0.5 * (com[i, 0] + com[j, 0]), mid, dx, (com[i], com[j])))
    # a pair with a mouth below it is a pair of eyes (brows, or holes in hair, have no
    # mouth at the right distance); among those, and then the others, the most symmetric
    # pair first, preferring the lower of two similar ones (eyes lie below brows)
    mouth = [_mouth_row(hcc, p[2], face_w, p[1]) is not None for p in pairs]
    out = []
    for group in ([p for p, m in zip(pairs, mouth, strict=True) if m],
                  [p for p, m in zip(pairs, mouth, strict=True) if not m]):
        group = list(group)
        while group:
            best = None
            for p in group:
                if best is None or p[0] < best[0] - 0.05 or (abs(p[0] - best[0]) <= 0.05 and p[1] > best[1]):
                    best = p
            out.append(best[1:])
            group = [p for p in group if p is not best]
    return out


def _face_small(srgb, lin, modality, cw, face=None):
    """Skin blob, face outline at working resolution (None when not found) and whether
    that outline is only a detector box's proportions.

    With a detected ``face`` box (row, col, size) the outline falls back to the box's
    proportions when the features do not show, or when they give a different face
    (:func:`_same_face`): placed on the face's irises when they show near the box's eyes
    (:func:`_box_irises`, under ``BOX_IRIS_MODALITIES``; the blob then takes in the skin
    inside that outline), else on the eyes the box predicts."""
    skin = _skin_small(srgb, lin, modality, cw)
    blob = _largest(skin, cw)
    # None: no face-like outline. With a detector's box to vouch for the face
    # (:func:`_same_face`), hair low on the forehead is discounted (see _fringe_oval)
    hairline = face is not None and modality in HAIR_MODALITIES
    oval = _face_oval(blob, hairline) if blob.sum() >= 100 else None
    if face is not None:
        box = _box_eyes(face)
        # no outline, or the blob's "face" is not the detected one (skin leaked to the background)
        if oval is None or not _same_face(oval, box):
            found = _box_irises(_logy(lin), box, blob) if modality in BOX_IRIS_MODALITIES else None
            if found is None:
                return blob, _eyes_oval(_box_eye_centres(box)), True
            # an outline on the face's own eyes holds the face: skin inside it that shade
            # (the lips, the jaw turning from the lamp) cut off the largest piece is the face's
            return blob | (skin & _outline_mask(blob.shape, found)), found, True
    return blob, oval, False


def _eyes_oval(eyes):
    """The outline (:class:`FaceOval`, chin from the proportions) of a face with these two
    eyes ``(row, col)``: its axis between them, its width ``1 / EYE_DX`` x their distance."""
    (r0, c0), (r1, c1) = sorted(eyes, key=lambda e: e[1])
    size = float(np.hypot(r1 - r0, c1 - c0)) / EYE_DX
    return FaceOval(0.5 * (c0 + c1), 0.5 * (r0 + r1), 0.5 * FACE_SIDE * size, FACE_UP * size, FACE_DOWN * size,
                    float(c1 - c0), (np.array([r0, c0], float), np.array([r1, c1], float)), mouth=False)


def _box_eye_centres(box):
    """Where a detected face's box (centre column, eye row, size) puts the two eyes."""
    c, ey, size = box
    return (ey, c - 0.5 * EYE_DX * size), (ey, c + 0.5 * EYE_DX * size)


def _box_irises(logy, box, blob):
    """The outline from the two irises of the face a detector's ``box`` (centre column, eye
    row, size) found, or None.

    The box alone misplaces a face by up to a quarter of its size (``SAME_FACE_SHIFT``),
    and the chin with it, but the eyes show by their own anatomy where the skin blob has
    no eye holes (a dark face under a Wood's lamp, its brows, lips and irises as dark as
    its skin): each iris is dark between the brighter sclera (:func:`_iris_score`, at the
    iris's scale for the box's size); the sclera is brighter than the face's skin (by
    ``SCLERA_OVER_SKIN`` over the median of the blob inside the box's outline: hair's
    strands are about as bright as the skin) and than the upper lid above the iris
    (``UPPER_LID``; a dark island in a fluorescent patch is bright all round). The irises
    are the level pair (``EYE_PAIR_DY``) of such local maxima inside the box's outline, at
    the spacing of a face of the box's size (``SAME_FACE_SCALE``), whose weaker iris is the
    darkest between its flanks -- taken only when the box vouches for the face they give
    (:func:`_same_face`): a better pair elsewhere means the box's eyes are not found."""
    c, ey, size = box
    r = IRIS_R * size
    score, y = _iris_score(logy, r)
    flank = score + y
    inside = _outline_mask(blob.shape, _eyes_oval(_box_eye_centres(box)))
    skin = logy[inside & blob] if (inside & blob).any() else logy[inside]
    if skin.size == 0:
        return None
    k = 2 * max(1, int(round(r))) + 1  # one peak per iris
    lid = np.full_like(y, np.inf)
    up = max(1, int(round(UPPER_LID * r)))
    lid[up:] = y[:-up]
    peak = ((score >= cv2.dilate(score, np.ones((k, k), np.uint8))) & (score > 0) & inside
            & (flank > np.median(skin) + SCLERA_OVER_SKIN) & (flank > lid))
    rows, cols = np.nonzero(peak)
    best, found = 0.0, None
    for i in range(rows.size):
        for j in range(rows.size):
            if cols[j] <= cols[i]:
                continue
            weaker = float(min(score[rows[i], cols[i]], score[rows[j], cols[j]]))
            if weaker <= best:  # (a pair's outline is built only when it could win)
                continue
            oval = _eyes_oval([(rows[i], cols[i]), (rows[j], cols[j])])
            if (abs(int(rows[j]) - int(rows[i])) <= EYE_PAIR_DY * oval.face_w
                    and 1.0 / SAME_FACE_SCALE <= oval.face_w / size <= SAME_FACE_SCALE):
                best, found = weaker, oval
    return found if found is not None and _same_face(found, box) else None


#: The upper lid (lashes, lid crease) lies ~2 iris radii above the iris's centre and is
#: darker than the sclera beside the iris (:func:`_box_irises`).
UPPER_LID = 2.0
#: The sclera (white) is at least 1.5 times as bright as the face's skin (log luminance
#: difference) where a face's eyes leave no holes in its skin: a dark face under a Wood's lamp.
SCLERA_OVER_SKIN = float(np.log(1.5))
#: Where a face outline that falls back to a detector's box is placed from the irises
#: found near the box's eyes (:func:`_box_irises`): under a Wood's lamp, where a dark
#: face's eyes leave no holes in its skin blob but its sclera shines.
BOX_IRIS_MODALITIES = ("woods",)


#: The lowest a fringe reaches, above the eye line (face widths): the brows are ~0.15 above it.
FRINGE_ABOVE_EYES = 0.15


def _fringe_oval(blob, faces, modality):
    """Face outline of a skin blob whose forehead is partly hidden by hair (a fringe), or
    None: coverage is counted below the hairline (:func:`_face_like`), and the outline is
    accepted only when one of the detected ``faces`` (row, col, size) agrees with it
    (:func:`_same_face`) -- without a detector's word, holes in hair of the skin's own
    colour could pass for the eyes of a face-like outline. Visible light only (under a
    Wood's lamp the blob's top is not the hairline)."""
    if not faces or modality not in HAIR_MODALITIES or blob.sum() < 100:
        return None
    oval = _face_oval(blob, hairline=True)
    if oval is not None and any(_same_face(oval, _box_eyes(f)) for f in faces):
        return oval
    return None


def _disowned(oval, faces, modality) -> bool:
    """Whether an outline found without a mouth (its chin from the proportions) is
    contradicted by the detected ``faces``: in visible light, hair of the skin's colour can
    hold two holes that pass for eyes, with no mouth below them; when the detector finds
    faces and none agrees (:func:`_same_face`), the outline is not the face."""
    return (oval is not None and not oval.mouth and modality in HAIR_MODALITIES and bool(faces)
            and not any(_same_face(oval, _box_eyes(f)) for f in faces))


def _box_eyes(face):
    """A detected frontal-face box (row, col, size) as (centre column, eye row, size): the
    eyes lie ~12 % of the box's size above its centre."""
    r, c, size = face
    return c, r - 0.12 * size, size


#: An outline found in the skin blob and a detector's face box describe the same face when
#: their centres (and eye lines) are within this fraction of the box's size and their
#: widths within this factor of each other.
SAME_FACE_SHIFT = 0.25
SAME_FACE_SCALE = 1.5


def _same_face(oval, box) -> bool:
    """Whether the outline ``oval`` (of :func:`_face_oval`) agrees with a detected face
    ``box`` given as (centre column, eye row, size), all in working px."""
    c, ey, size = box
    width = oval.half_width / (0.5 * FACE_SIDE)
    return (abs(oval.cx - c) <= SAME_FACE_SHIFT * size and abs(oval.eye_row - ey) <= SAME_FACE_SHIFT * size
            and 1.0 / SAME_FACE_SCALE <= width / size <= SAME_FACE_SCALE)


def _logy(lin):
    """Log luminance at working resolution, smoothed like the skin features."""
    return _log_luma(_smooth(lin))


def _hair(region, oval, logy):
    """Hair reaching into the upper face: pixels above the brows much darker (log
    luminance below ``HAIR_DY``) than the forehead's own skin, in components that touch
    the region's outer edge (a dark freckle inside the forehead stays)."""
    h, w = region.shape
    fw = oval.face_w
    cx, ey = oval.cx, oval.eye_row
    y0 = max(0, int(ey - HAIR_REF[1] * fw))
    y1 = max(y0 + 1, int(ey - HAIR_REF[0] * fw))
    x0, x1 = max(0, int(cx - 0.2 * fw)), min(w, int(cx + 0.2 * fw) + 1)
    ref = region[y0:y1, x0:x1]
    if ref.sum() < 10:
        return np.zeros_like(region)
    y_ref = float(np.median(logy[y0:y1, x0:x1][ref]))
    top = max(0, int(ey - HAIR_TOP * fw))
    cand = np.zeros_like(region)
    cand[:top] = region[:top] & (logy[:top] < np.float32(y_ref + HAIR_DY))
    n, lab, _, _ = components_with_stats(cand.astype(np.uint8), connectivity=8)
    if n <= 1:
        return cand
    ext = cv2.dilate((~_fill_holes(region)).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    touch = np.bincount(lab[ext & cand], minlength=n) > 0
    touch[0] = False
    return touch[lab]


#: Hair: darker than the forehead's skin by ``HAIR_DY`` (natural log of luminance),
#: above ``HAIR_TOP`` x face width over the eye line; forehead reference band (from, to)
#: face widths above the eye line.
HAIR_DY = -1.0
HAIR_TOP = 0.08
HAIR_REF = (0.15, 0.32)
HAIR_MODALITIES = ("visible",)
#: Holes in the face region lighter than the skin's median log luminance by more than
#: this are filled (depigmented spots, not features); None: never. Visible light only:
#: under a Wood's lamp the sclera and teeth are bright too (and fluorescent patches join
#: the skin by their own test).
HOLE_LIGHT = 0.0
HOLE_MODALITIES = ("visible",)
#: Pieces of skin inside the face's outline, cut off the largest one (by a fold's shadow,
#: deep wrinkles, a glasses rim), stay in the region when at least this fraction of the
#: largest piece's area; smaller ones (slivers at the ears and the hairline) are dropped.
FACE_PART_MIN = 0.1
#: Under a Wood's lamp the skin of a dark face is barely brighter than the background and
#: than its own features, so the skin blob inside a trusted outline is ragged: the cheeks,
#: jaw and chin turning away from the lamp fall into shade no colour test tells from the
#: background, and shaded skin leaves holes across the face (development type IV-VI
#: Wood's faces: 2-14 % of the true region missed inside the outline). The facial
#: features are where anatomy puts them, relative to the eyes (face widths, ``dy`` down
#: from the eye line): each brow and eye within ``BROW_EYE_ZONE`` = (half-width about the
#: eye, top, bottom) -- a brow ~0.3 face widths long, ~0.15 above the eye line
#: (``FRINGE_ABOVE_EYES``); the nose (bridge and nostrils) within ``NOSE_ZONE`` -- nostrils
#: ~0.3 below the eye line; the mouth within ``MOUTH_ZONE``, a little wider than the window
#: :func:`_mouth_row` finds it in. Under ``HOLE_PLACE_MODALITIES`` a hole in the region
#: centred outside them all (and clear of the eye openings) is skin the colour test
#: missed, and is filled.
BROW_EYE_ZONE = (0.18, -0.22, 0.08)
NOSE_ZONE = (0.15, -0.22, 0.4)
MOUTH_ZONE = (0.25, 0.25, 0.7)
HOLE_PLACE_MODALITIES = ("woods",)
#: ... and below the eye line (where the outline is the face's own edge -- cheeks, jaw,
#: chin -- not a hairline that no colour tells from skin under the lamp), the outline's
#: concavities in the skin are filled: a face is convex there (``_shaded_edge``).
SHADE_EDGE_MODALITIES = ("woods",)


def _tilt(centres) -> float:
    """Angle (degrees, within +-90) of the line through the two eyes ``(row, col)``."""
    (r0, c0), (r1, c1) = centres
    tilt = float(np.degrees(np.arctan2(r1 - r0, c1 - c0)))
    return tilt - 180.0 * np.sign(tilt) if abs(tilt) > 90 else tilt


def _eye_ellipses(shape, centres, face_w, size, tilt) -> np.ndarray:
    """uint8 mask of an ellipse at each eye centre ``(row, col)``, half-axes ``size`` x the
    face width, tilted with the eye line (sub-pixel drawing)."""
    out = np.zeros(shape, np.uint8)
    S = 16  # cv2 shift=4
    for rr, cc in centres:
        cv2.ellipse(out, (int(round(cc * S)), int(round(rr * S))),
                    (int(round(size[0] * face_w * S)), int(round(size[1] * face_w * S))),
                    tilt, 0, 360, 1, -1, cv2.LINE_8, 4)
    return out


def _iris_score(logy, r):
    """Where an iris of radius ``r`` px could be: the log luminance, smoothed at the iris's
    scale, below the brighter of each side's flank (1.25 to 2.5 radii away, along the
    row): positive where a dark disc lies between brighter sides (the iris between the
    sclera). Returns the score and the smoothed log luminance."""
    y = cv2.GaussianBlur(logy, (0, 0), max(0.5, 0.5 * r))
    d0, d1 = max(1, int(round(1.25 * r))), max(2, int(round(2.5 * r)))
    left, right = np.full_like(y, -np.inf), np.full_like(y, -np.inf)
    for d in range(d0, d1 + 1):
        left[:, d:] = np.maximum(left[:, d:], y[:, :-d])
        right[:, :-d] = np.maximum(right[:, :-d], y[:, d:])
    return np.minimum(left, right) - y, y


def _on_pupils(centres, logy, blob, oval, size, tilt):
    """Eye centres ``(row, col)`` moved onto their irises where the iris lies outside the
    eye's ellipse (``size``, ``tilt``) drawn at the hole's centroid.

    Periocular depigmentation can take the eye in with it: at the working resolution the
    sclera, blended with the pale skin around it, passes for depigmented skin and joins
    the skin, so the eye leaves no hole, and a gap at the patch's border (between brow
    and eye) passes for it. The eye shows by its own anatomy whatever the skin around
    it: the iris (with pupil and lash line) is a dark disc of ``IRIS_R`` x the face width
    between the brighter sclera on either side. Its centre is where the log luminance,
    smoothed at the iris's scale, lies furthest below the brighter of each side's flank
    (1.25 to 2.5 iris radii away) -- a brow or hair has its own dark on one side at least.
    It is looked for within ``EYE_SEARCH`` of the centroid; an iris inside the ellipse, or
    in the hole of ``blob`` whose centroid the eye is (``oval.eyes``), leaves the eye where
    it is (the lash line above the iris can be darkest: the eye's own hole holds it too).
    Eyes with the mouth's hole below them move only if it stays so (:func:`_mouth_row`):
    a dark fold between brighter skin (a nasolabial fold below eyes taken from a glasses
    rim) can pass the iris test too."""
    face_w = oval.face_w
    score, _ = _iris_score(logy, IRIS_R * face_w)
    h, w = score.shape
    n, lab, st, cen = components_with_stats((_fill_holes(blob) & ~blob).astype(np.uint8), connectivity=8)
    own = cv2.dilate(lab.astype(np.float32), np.ones((3, 3), np.uint8)).astype(int)
    out = []
    for (rr, cc), (hr, hc) in zip(centres, oval.eyes, strict=True):
        near = np.flatnonzero(np.hypot(cen[1:, 1] - hr, cen[1:, 0] - hc) <= 1.0) + 1
        y0, y1 = max(0, int(rr - EYE_SEARCH[0] * face_w)), min(h, int(rr + EYE_SEARCH[0] * face_w) + 1)
        x0, x1 = max(0, int(cc - EYE_SEARCH[1] * face_w)), min(w, int(cc + EYE_SEARCH[1] * face_w) + 1)
        win = score[y0:y1, x0:x1]
        if win.size == 0 or win.max() <= 0:  # nothing dark between brighter flanks
            out.append((rr, cc))
            continue
        i, j = np.unravel_index(int(np.argmax(win)), win.shape)
        pr, pc = float(y0 + i), float(x0 + j)
        inside = _eye_ellipses((h, w), [(rr, cc)], face_w, size, tilt)[int(pr), int(pc)] > 0
        inside |= bool(near.size) and own[int(pr), int(pc)] in near
        out.append((rr, cc) if inside else (pr, pc))

    def mouth(eyes):  # the mouth's hole below these eyes, at the face's proportions?
        row, col = np.mean(eyes, axis=0)
        return _mouth_row((n, st, cen), col, face_w, row) is not None

    return centres if out != centres and mouth(centres) and not mouth(out) else out


def _in_zone(cx, cy, x0, y0, zone, face_w) -> np.ndarray:
    """Whether points ``(cx, cy)`` (working px, arrays) lie in ``zone`` = (half-width, top,
    bottom) in face widths about the column ``x0`` and below the row ``y0``."""
    half, top, bottom = (v * face_w for v in zone)
    dy = cy - y0
    return (np.abs(cx - x0) < half) & (dy > top) & (dy < bottom)


def _at_features(cx, cy, oval) -> np.ndarray:
    """Whether points ``(cx, cy)`` (working px, arrays: hole centroids) lie where the
    face's features are (``BROW_EYE_ZONE`` about each eye of ``oval``, ``NOSE_ZONE`` and
    ``MOUTH_ZONE`` about its axis below the eye line)."""
    fw = oval.face_w
    out = (_in_zone(cx, cy, oval.cx, oval.eye_row, NOSE_ZONE, fw)
           | _in_zone(cx, cy, oval.cx, oval.eye_row, MOUTH_ZONE, fw))
    for er, ec in oval.eyes:
        out |= _in_zone(cx, cy, float(ec), float(er), BROW_EYE_ZONE, fw)
    return out


#: The lips where they passed the skin test (a Wood's lamp can light them like the skin
#: around, and no hole marks them then; :func:`_lips`). Anatomy, in eye distances (the
#: eyes' centres, ~63 mm apart): the mouth's centre lies on the face's axis ``MOUTH_BELOW``
#: below the eye line (pupils to the lips' meeting line ~65-70 mm); the lips are looked for
#: within ``LIP_WINDOW`` = (half-width across, half-height along the axis) of it, as runs
#: at least ``LIP_RUN`` long along the eye line (the lips' rows span most of the mouth's
#: width; the nose's tip, the philtrum and the folds beside the mouth are narrower), and
#: their piece must be centred within ``LIP_PLACE`` of it, ``LIP_WIDTH`` wide (mouth ~50
#: mm, 0.7-1.0 eye distances; the part of the lips that differs can be less),
#: ``LIP_HEIGHT`` tall (closed lips ~15-20 mm; the mouth line alone is thinner), at least
#: ``LIP_ASPECT`` times as wide as tall, and lie inside the window: a depigmented patch
#: around the mouth (perioral vitiligo) reaches beyond it, or is not lip-shaped, and stays.
MOUTH_BELOW = 1.1
LIP_WINDOW = (0.9, 0.5)
LIP_PLACE = (0.15, 0.2)
LIP_WIDTH = (0.45, 1.1)
LIP_HEIGHT = (0.05, 0.45)
LIP_ASPECT = 1.8
LIP_RUN = 0.4
#: The lips differ from the skin around them (its median log luminance) by ``LIP_DY`` =
#: (at least, at most) in natural log of luminance, in either direction, and by at least
#: ``LIP_NOISE`` x the skin's pixel noise there (robust SD of the log luminance less its
#: blur at 0.1 eye distances): lips are skin-like tissue, lighter or darker by a factor of
#: ~1.3-4; a fluorescent depigmented patch is brighter still and is not taken with them.
LIP_DY = (0.25, 1.5)
LIP_NOISE = 3.0
#: ... and are redder than the skin around them (the vermilion's blood under a thin
#: epidermis: lip segmentation's pseudo-hue): the piece's median log(R / G) (linear RGB)
#: at least ``LIP_RED`` above the rest of that skin's. Skin between the nose and the lips,
#: lit brighter than the lips and nostrils around it, is as red as the skin; a
#: fluorescent patch under a Wood's lamp is bluer.
LIP_RED = 0.08


def _lips(region, centres, logy, lin) -> np.ndarray:
    """The lips inside ``region`` (bool, working px; empty when not found), from the two
    eye ``centres`` (row, col), the log luminance ``logy`` and the linear RGB ``lin``: the
    piece of the region lighter (or darker) than the skin around the mouth's place
    (``LIP_DY``, ``LIP_NOISE``), closed over the mouth line and opened along the eye line
    (``LIP_RUN``), that is redder than that skin (``LIP_RED``), lip-shaped and where
    anatomy puts the lips (``MOUTH_BELOW``, ``LIP_WINDOW``, ``LIP_PLACE``, ``LIP_WIDTH``,
    ``LIP_HEIGHT``, ``LIP_ASPECT``), its holes filled. Lighter pieces are tried first."""
    out = np.zeros_like(region)
    (r0, c0), (r1, c1) = sorted(centres, key=lambda e: e[1])
    d = float(np.hypot(r1 - r0, c1 - c0))
    if d < 4:
        return out
    ex, ey = (c1 - c0) / d, (r1 - r0) / d  # along the eye line (col, row); down the axis: (-ey, ex)
    mr, mc = 0.5 * (r0 + r1) + MOUTH_BELOW * d * ex, 0.5 * (c0 + c1) - MOUTH_BELOW * d * ey
    reach = d * float(np.hypot(*LIP_WINDOW)) + 2
    h, w = region.shape
    y0, y1 = max(0, int(mr - reach)), min(h, int(mr + reach) + 1)
    x0, x1 = max(0, int(mc - reach)), min(w, int(mc + reach) + 1)
    if y1 <= y0 or x1 <= x0:
        return out
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    a = ((xx - mc) * ex + (yy - mr) * ey) / d  # across the face, eye distances from the mouth's place
    b = ((yy - mr) * ex - (xx - mc) * ey) / d  # down the face's axis
    win = (np.abs(a) < LIP_WINDOW[0]) & (np.abs(b) < LIP_WINDOW[1])
    skin = region[y0:y1, x0:x1] & win
    if np.count_nonzero(skin) < 20:
        return out
    y = logy[y0:y1, x0:x1]
    dy = y - np.float32(np.median(y[skin]))
    hp = (y - cv2.GaussianBlur(y, (0, 0), max(1.0, 0.1 * d)))[skin]
    lo = max(LIP_DY[0], LIP_NOISE * 1.4826 * float(np.median(np.abs(hp - np.median(hp)))))
    edge = win & ~cv2.erode(win.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    r = max(1, int(round(0.06 * d)))  # closes the mouth line between the lips
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    half = max(1, int(round(0.5 * LIP_RUN * d)))
    run = np.zeros((2 * half + 1, 2 * half + 1), np.uint8)  # a line along the eye line
    cv2.line(run, (int(round(half - half * ex)), int(round(half - half * ey))),
             (int(round(half + half * ex)), int(round(half + half * ey))), 1)
    lw = lin[y0:y1, x0:x1]
    red = cv2.log(lw[..., 0] + np.float32(1e-4)) - cv2.log(lw[..., 1] + np.float32(1e-4))
    for sign in (1.0, -1.0):
        cand = (skin & (sign * dy > lo) & (sign * dy < LIP_DY[1])).astype(np.uint8)
        cand = cv2.morphologyEx(cand, cv2.MORPH_CLOSE, ker) & skin
        cand = cv2.morphologyEx(cand, cv2.MORPH_OPEN, run).astype(bool)
        n, lab, _, _ = components_with_stats(cand.astype(np.uint8), connectivity=8)
        for i in range(1, n):
            m = lab == i
            aa, bb = a[m], b[m]
            wid, hei = float(aa.max() - aa.min()), float(bb.max() - bb.min())
            if (abs(float(aa.mean())) < LIP_PLACE[0] and abs(float(bb.mean())) < LIP_PLACE[1]
                    and LIP_WIDTH[0] <= wid <= LIP_WIDTH[1] and LIP_HEIGHT[0] <= hei <= LIP_HEIGHT[1]
                    and wid >= LIP_ASPECT * hei and not (m & edge).any()
                    and np.median(red[m]) >= np.median(red[skin & ~m]) + LIP_RED):
                out[y0:y1, x0:x1] = _fill_holes(m)
                return out
    return out


def _shaded_edge(blob, oval) -> np.ndarray:
    """Skin lost to shade at the face's lower edge (bool, working px): below the eye line,
    the concavities of the skin inside the outline ``oval`` (holes filled) that its convex
    hull fills. The outline is convex, so is the hull within it; holes inside the skin
    (the features) are not concavities and stay out."""
    inside = _fill_holes(blob & _outline_mask(blob.shape, oval))
    if not inside.any():
        return inside
    add = _hull(inside) & ~inside
    add[: max(0, int(np.ceil(oval.eye_row)))] = False
    return add


def _face_mask(blob, oval, modality, lin=None):
    """The F-VASI area at working resolution: skin inside the face outline (every piece of
    at least ``FACE_PART_MIN`` of the largest), facial features (eyes, brows, nostrils,
    lips) left out with a small margin."""
    if oval is None:
        region = _fill_holes(blob)
        if modality == "woods" and region.any():
            # under UV the skin is barely brighter than the background and the face's edges
            # fall into shade: the blob's outline is unreliable there, and a fluorescent
            # (depigmented) patch at the border may be cut. A face is convex: take the hull.
            region = _hull(region)
        return region
    if modality == "woods":
        # no colour tells hair from skin under UV: the forehead ends at the hairline's
        # typical height (facial thirds: ~0.5 face widths above the eye line)
        oval = oval._replace(up=min(oval.up, FACE_UP_WOODS * 2.0 * oval.half_width / FACE_SIDE))
        # a Wood's lamp lights the face from one side: the far side falls into shade that
        # no colour test tells from the dark background. A face is left-right symmetric:
        # take the skin on either side of its axis (features mirror onto features).
        sl = _mirror_window(blob, oval)
        if sl is not None:
            blob = blob.copy()
            blob[:, sl] |= blob[:, sl][:, ::-1]
    if modality in SHADE_EDGE_MODALITIES:
        blob = blob | _shaded_edge(blob, oval)
    region = blob & _outline_mask(blob.shape, oval)
    logy = _logy(lin) if lin is not None else None
    if logy is not None and modality in HAIR_MODALITIES:
        region &= ~_hair(region, oval, logy)
    # the eye openings (sclera included: white, but not skin), by anatomy (EYE_SIZE),
    # centred on each eye's own hole (or its iris, :func:`_on_pupils`) and tilted with the
    # eye line (a head tilted by a few degrees puts one eye well above the other)
    face_w = oval.face_w
    size, drop = (EYE_SIZE_WOODS, EYE_DROP_WOODS) if modality == "woods" else (EYE_SIZE, EYE_DROP)
    centres = [(float(rr) + drop * face_w, float(cc)) for rr, cc in oval.eyes]
    if logy is not None and modality in IRIS_MODALITIES:
        centres = _on_pupils(centres, logy, blob, oval, size, _tilt(centres))
    tilt = _tilt(centres)
    eyes = _eye_ellipses(blob.shape, centres, face_w, size, tilt)
    region &= eyes == 0
    if logy is not None and _mouth_row(
            _holes_cc(region, _fill_holes(region)), oval.cx, face_w, oval.eye_row) is None:
        # lips that passed the skin test leave no mouth's hole: cut them out, to be kept
        # out with the other features (a hole at the mouth's place, with its margin, below)
        region &= ~_lips(region, centres, logy, lin)
    # fill only tiny holes (pores, specks); eyes, brows, nostrils and lips stay out
    holes = _fill_holes(region) & ~region
    n, lab_h, st, cen = components_with_stats(holes.astype(np.uint8), connectivity=8)
    if n > 1:
        ok = st[:, cv2.CC_STAT_AREA] < 2e-4 * region.sum()
        at_eye = np.bincount(lab_h.ravel(), weights=(eyes.ravel() > 0), minlength=n) > 0
        if logy is not None and HOLE_LIGHT is not None and modality in HOLE_MODALITIES:
            # a hole lighter than the face's skin is skin that failed the colour tests (a
            # white, repigmenting or confetti spot), not a feature: features are darker
            # (brows, nostrils, lips); the eye openings and the mouth are kept out
            area = np.maximum(st[:, cv2.CC_STAT_AREA], 1)
            mean_y = np.bincount(lab_h.ravel(), weights=logy.ravel(), minlength=n) / area
            at_mouth = _in_zone(cen[:, 0], cen[:, 1], oval.cx, oval.eye_row, MOUTH_ZONE, face_w)
            ok |= (mean_y > float(np.median(logy[region])) + HOLE_LIGHT) & ~at_eye & ~at_mouth
        if modality in HOLE_PLACE_MODALITIES:
            # under a Wood's lamp no brightness tells a feature from shaded skin: a hole
            # away from every feature's place is skin (BROW_EYE_ZONE, NOSE_ZONE, MOUTH_ZONE)
            ok |= ~at_eye & ~_at_features(cen[:, 0], cen[:, 1], oval)
        ok[0] = False
        small = ok[lab_h]
        region |= small
        # the features' own rims (sclera, lip and nostril edges) blend into the skin:
        # keep a small margin around them (~1 % of the face width)
        big = holes & ~small
        r = max(1, int(round(0.01 * 2 * oval.half_width)))
        ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        region &= ~cv2.dilate(big.astype(np.uint8), ker).astype(bool)
    # the facial skin is one area, but a fold's shadow, deep wrinkles or a glasses rim can
    # cut it into pieces inside the outline: every piece of a fair size stays
    return region & ~_components_below(region, FACE_PART_MIN * float(_largest(region).sum()))
