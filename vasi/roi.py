"""The assessed region: which pixels of a photo are the skin being scored.

A user-supplied mask always wins. Otherwise everything is decided on a small working
image (long side ``WORK_SIDE`` px) and the result is upsampled to full resolution.

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
  and the background (Wood's lamp), join the skin when their outline is mostly enclosed
  by skin -- so patches at the border of a limb or face stay inside, even on a white
  background, while a bright garment at the frame's edge does not come in. A patch merged
  with such a garment along a front as wide as itself keeps its part inside the skin's
  outline (``_notch_parts``).
* **Body sites**: the skin component connected to the subject (centre-weighted), holes
  filled, with a shape prior: large appendages much thinner than the site itself (arms
  and neck beside a trunk, background joined through a narrow bridge) are cut off;
  small ones (fingers) stay. Nails are not skin: a compact blob at a finger's distal
  end, unlike the finger's own skin and set inside its outline, is left out (``_nails``).
  A patch at the frame stays only when the site's own skin (arms dropped) encloses it.
* **Faces** (F-VASI area, SPEC.md section 1): two half-ellipses joined at the eye line --
  up to the hairline and down to the chin (from the mouth's position, facial thirds) --
  across the cheeks, so ears, neck and hair fall outside; inside, the non-skin features
  (eyes, brows, nostrils, lips) stay holes with a small margin, and each eye opening
  (white sclera included) is left out by anatomy (``EYE_SIZE``), centred on that eye's
  own hole and tilted with the eye line -- the skin around the eyes (periocular
  vitiligo) stays in. In visible light, holes lighter than the face's skin (white or
  repigmenting spots that failed the colour tests) are skin and are filled, except at
  the eyes and mouth.
  In visible light, hair reaching into the upper face is cut by its colour relative to
  the face's own skin: much darker than the forehead (``HAIR_DY``) and reaching the
  region's outer edge. The eyes are the most symmetric pair of holes with a mouth
  below; the outline is accepted only when skin covers it and is left-right symmetric. Otherwise a face detector (scikit-image's LBP
  frontal-face cascade, offline) finds the face and the same is done on a crop around it.
  Under a Wood's lamp, light from one side leaves the far side in shade indistinguishable
  from the background: the face's skin is taken on both sides of its axis.
* **Calibration markers** (ArUco) and the white card around them are never assessed
  (:func:`vasi.calibrate.marker_boxes`): on the skin beside a lesion the card would be
  taken for depigmentation.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from . import reference as _ref
from ._ahead import Ahead
from ._validate import MODALITIES, check_choice, check_image, check_mask, to_float
from .calibrate import marker_boxes
from .levels import BIMODAL_SEPARATION

__all__ = ["find_region", "region_flags", "skin_mask", "SITES", "REGION_METHODS",
           "NO_FACE_OUTLINE"]

log = logging.getLogger("vasi")

SITES = ("face", "body")
#: How ``find_region`` found a region (``return_method=True``); ``NO_FACE_OUTLINE``: a face
#: photo in which neither the facial features nor the face detector found the face.
NO_FACE_OUTLINE = "skin (no face outline)"
REGION_METHODS = ("user", "skin", "face outline", "face detector", NO_FACE_OUTLINE)


def region_flags(method: str) -> tuple[str, ...]:
    """Quality flags of a region found by ``method`` (``find_region(return_method=True)``):
    ``("face outline not found",)`` for ``NO_FACE_OUTLINE``, else none.

    >>> region_flags(NO_FACE_OUTLINE), region_flags("face outline")
    (('face outline not found',), ())
    """
    return ("face outline not found",) if method == NO_FACE_OUTLINE else ()
#: Long side (px) of the working image the region is found on.
WORK_SIDE = 320


def _small(arr: np.ndarray):
    """The photo reduced to the working resolution: sRGB and linear RGB, float32 in
    [0, 1], and the scale factor ``k = h / H``. A large photo is first decimated (nearest
    pixel) to about three times the working size and then box-averaged, which is ~10x
    faster than one box average over the full photo and still averages 9 samples per
    working pixel."""
    H, W = arr.shape[:2]
    k = min(1.0, WORK_SIDE / max(H, W))
    src = arr if arr.dtype != np.float64 else arr.astype(np.float32)
    if k < 1.0:
        size = (max(1, int(round(W * k))), max(1, int(round(H * k))))
        if k < 1.0 / 4.0:
            mid = (size[0] * 2, size[1] * 2)
            src = cv2.resize(src, mid, interpolation=cv2.INTER_NEAREST)
        small = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
    else:
        small = src
    if small.dtype == np.uint8:
        srgb = small.astype(np.float32) * np.float32(1.0 / 255.0)
        lin = cv2.LUT(small, _LUT8)
    else:
        srgb = to_float(small).astype(np.float32)
        lin = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).astype(np.float32)
    return srgb, lin, small.shape[0] / H


_x8 = np.arange(256) / 255.0
_LUT8 = np.where(_x8 <= 0.04045, _x8 / 12.92, ((_x8 + 0.055) / 1.055) ** 2.4).astype(np.float32).reshape(1, 256)


def _smooth(img: np.ndarray) -> np.ndarray:
    """``img`` smoothed like the skin features: over ``max(h, w) / 500`` px (noise, hairs,
    pores; none on small, clean images)."""
    sigma = max(img.shape[:2]) / 500.0
    return cv2.GaussianBlur(img, (0, 0), sigma) if sigma >= 0.5 else img


def _lab(srgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(srgb, np.float32), cv2.COLOR_RGB2Lab)


def _centre_weight(shape) -> np.ndarray:
    h, w = shape
    yy = ((np.arange(h, dtype=np.float32) - h / 2) / (0.35 * h)) ** 2
    xx = ((np.arange(w, dtype=np.float32) - w / 2) / (0.35 * w)) ** 2
    return np.exp(-(yy[:, None] + xx[None, :]))


def _largest(mask: np.ndarray, prefer=None) -> np.ndarray:
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask, bool)
    score = stats[1:, cv2.CC_STAT_AREA].astype(float)
    if prefer is not None:
        tot = np.bincount(lab.ravel(), weights=prefer.ravel(), minlength=n)[1:]
        score = score * (0.25 + tot / np.maximum(score, 1))
    return lab == (1 + int(np.argmax(score)))


def _fill_holes(m: np.ndarray) -> np.ndarray:
    """``m`` with its holes filled (4-connected background not reachable from the frame)."""
    h, w = m.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = m
    ff = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(pad, ff, (0, 0), 2, flags=4)
    return pad[1:-1, 1:-1] != 2



def _detect_face(srgb: np.ndarray):
    """Largest frontal face ``(row, col, size)`` found by scikit-image's LBP cascade (the
    OpenCV frontal-face LBP model shipped with scikit-image, so no download), or None."""
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
            return None
        if det:
            break
    if not det:
        return None
    d = max(det, key=lambda d: d["width"] * d["height"])
    return (d["r"] + d["height"] / 2.0) / f, (d["c"] + d["width"] / 2.0) / f, float(d["width"]) / f


def _seed_weight(shape, face) -> np.ndarray:
    """Where the skin colour is sampled: around a detected face, else the image centre."""
    if face is None:
        return _centre_weight(shape)
    h, w = shape
    r, c, size = face
    yy = ((np.arange(h, dtype=np.float32) - r) / (0.35 * size)) ** 2
    xx = ((np.arange(w, dtype=np.float32) - c) / (0.35 * size)) ** 2
    return np.exp(-(yy[:, None] + xx[None, :]))


#: Floors of the skin colour model's robust spread (log R/G, log B/G, log Y in linear
#: light): below these the photo's own skin is more uniform than colour noise.
SPREAD_FLOOR = (0.06, 0.06, 0.10)
#: Shade: skin darker than its centre is judged with a ``SHADE`` x wider luminance spread
#: (the sides of a face or limb turn away from the light; the colour ratios do not change).
SHADE = 2.5
_EPS = 2e-3
#: A pixel is skin within ``SKIN_DIST`` robust standard deviations of the skin colour and
#: when the skin model explains it better than every background colour.
SKIN_DIST = 4.0
#: Background colours closer than this (robust SDs) to the skin are the subject itself
#: reaching the frame (an arm, the neck), not background.
BG_MIN_DIST = 3.0
#: Skin's CIELAB chroma stays below this on every skin type (melanin and haemoglobin give
#: a* ~5-25, b* ~5-35); saturated orange or red objects are not skin seeds.
SKIN_CHROMA_MAX = 45.0
#: ... unless they cover at least ``BG_SHARE`` of the border and are at least ``BG_NEAR``
#: SDs away: the subject reaches the frame on a small part of it, background fills most.
BG_NEAR = 1.5
BG_SHARE = 0.3
#: Number of background colours (clusters of the frame's border).
BG_CLUSTERS = 6
#: A depigmented (or fluorescent) component joins the skin when at least this fraction
#: of its outline borders skin: a patch is enclosed by skin (at least on its inner side).
DEPIG_CONTACT = 0.3
DEPIG_CONTACT_FRAME = 0.6
#: Depigmented skin is at least this many robust SDs bluer (log B/R) than the skin.
DEPIG_MEL = 2.0
#: Body sites: the centre's skin colour was a patch when at least ``SURROUND_SHARE`` of
#: the band around its blob is clearly more pigmented skin-hued colour, and that colour
#: covers less than ``SURROUND_FRAME`` of the frame's border (it is not the background).
SURROUND_SHARE = 0.5
SURROUND_FRAME = 0.25


def _kmeans(x: np.ndarray, k: int, iters: int = 6):
    """k-means of the rows of ``x`` (float32) from a deterministic farthest-point start
    (OpenCV's k-means with initial labels): centres, labels."""
    c = [x[0]]
    d = ((x - x[0]) ** 2).sum(1)
    for _ in range(1, k):
        i = int(np.argmax(d))
        if d[i] <= 1e-9:
            break
        c.append(x[i])
        d = np.minimum(d, ((x - x[i]) ** 2).sum(1))
    c = np.array(c, np.float32)
    lab = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(2), axis=1).astype(np.int32).reshape(-1, 1)
    if len(c) < 2:
        return c, lab.ravel()
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, iters, 1e-3)
    _, lab, c = cv2.kmeans(x, len(c), lab, crit, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    return c, lab.ravel()


def _background_model(z, e, shade=False):
    """Background colours: robust clusters of the frame's border ring (``e`` px wide) in
    the skin-normalised feature space ``z`` (h, w, 3), dropping the ones that are the skin
    itself (closer than ``BG_MIN_DIST`` and covering less than ``BG_SHARE`` of the ring;
    with ``shade``, darker ones are judged with the skin's ``SHADE`` tolerance).
    Returns ``(centres, spreads)``, possibly empty."""
    ring = np.concatenate([z[:e].reshape(-1, 3), z[-e:].reshape(-1, 3),
                           z[e:-e, :e].reshape(-1, 3), z[e:-e, -e:].reshape(-1, 3)])
    ring = np.ascontiguousarray(ring[:: max(1, len(ring) // 1200)], np.float32)
    ring = ring[np.isfinite(ring).all(axis=1)]  # no skin colour (a black frame): NaN features
    if len(ring) < 2 * BG_CLUSTERS:  # (cv2.kmeans crashes on NaN)
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)
    c, lab = _kmeans(ring, BG_CLUSTERS)
    cs, ss = [], []
    for j in range(len(c)):
        zj = ring[lab == j]
        if len(zj) < 0.02 * len(ring):
            continue
        cj = np.median(zj, axis=0)
        dj = float(np.sqrt((cj ** 2).sum()))
        # the subject reaching the frame covers a small part of it, background most of it;
        # the subject is near the skin colour as the skin test measures it: darker (shaded)
        # with a ``SHADE`` x wider luminance spread -- a limb reaches the frame with its
        # shaded side as often as not
        ds = dj
        if shade and cj[2] < 0:
            ds = float(np.sqrt(cj[0] ** 2 + cj[1] ** 2 + (cj[2] / SHADE) ** 2))
        if dj < BG_NEAR or (ds < BG_MIN_DIST and len(zj) < BG_SHARE * len(ring)):
            continue
        sj = 1.4826 * np.median(np.abs(zj - cj), axis=0)
        cs.append(cj)
        ss.append(np.maximum(sj, 1.0))
    return np.array(cs, np.float32).reshape(-1, 3), np.array(ss, np.float32).reshape(-1, 3)


def _skin_small(srgb: np.ndarray, lin: np.ndarray, modality: str, cw=None, at_frame=False,
                body=False):
    """Skin (incl. depigmented skin) at working resolution, before geometry.

    Two-class decision relative to the photo itself: the skin colour (robust centre and
    spread of the central skin-like pixels) against the background colours (clusters of
    the frame's border). A pixel is skin when it is near the skin colour and the skin
    explains it better (diagonal Gaussian log-likelihood) than every background colour.
    Features: log colour ratios R/G and B/G (unchanged by shading and light intensity)
    and log luminance; skin in shade is judged with a ``SHADE`` x wider luminance spread.
    With ``at_frame``, returns ``(skin, frame_patches)``: the second the joined depigmented
    components that touch the frame (included in the first).
    With ``body`` (a body site: limbs reach the frame in shade, backgrounds fill the gaps
    between fingers), a border colour near the skin's shaded side is the subject, not
    background, and depigmented candidates a background colour explains join only as
    holes in the skin (``_bg_like``).
    """
    h, w = srgb.shape[:2]
    side = max(h, w)
    if cw is None:
        cw = _centre_weight((h, w))
    srgb, lin = _smooth(srgb), _smooth(lin)
    lab = _lab(srgb)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    lg = cv2.log(lin + np.float32(_EPS))
    r_g = lg[..., 0] - lg[..., 1]
    b_g = lg[..., 2] - lg[..., 1]
    logy = cv2.log(cv2.transform(lin, np.array([[0.2126, 0.7152, 0.0722]], np.float32)) + np.float32(_EPS))
    feats = (r_g, b_g, logy)
    chroma2 = a * a + b * b
    # skin-hued: hue angle between 5 and 85 degrees (a > 0, b > 0)
    hued = (b > np.float32(np.tan(np.radians(5))) * a) & (a > np.float32(np.tan(np.radians(5))) * b)
    if modality == "woods":  # skin's colour under UV is whatever the lamp makes it
        prior = (L > 2) & (L < 97)
    else:
        prior = (chroma2 > 36) & (chroma2 < SKIN_CHROMA_MAX ** 2) & hued & (L > 12) & (L < 97)
    if prior.sum() < 50:
        prior = L > 2
    wts = cw * prior
    sel = wts > SEED_CENTRE * wts.max() if wts.max() > 0 else prior
    if sel.sum() < 50:
        sel = prior
    if modality == "woods" and sel.any():  # fluorescent patches are not the skin's colour:
        Ls = L[sel]  # seed below them
        lo = sel & (L <= np.percentile(Ls, 60))
        if Ls.size > 100 and np.ptp(Ls) > 0:  # the darker mode when bimodal (skin vs patches)
            lo = sel & (L <= min(_otsu(Ls), float(np.percentile(Ls, 60))))
        sel = lo if lo.sum() >= 50 else sel
    if not sel.any():  # no skin colour anywhere (a black frame): no skin
        none = np.zeros((h, w), bool)
        return (none, none) if at_frame else none

    def model(m):
        c = np.array([np.median(f[m]) for f in feats], np.float32)
        sp = np.array([1.4826 * np.median(np.abs(f[m] - ci)) for f, ci in zip(feats, c, strict=True)], np.float32)
        return c, np.maximum(sp, np.asarray(SPREAD_FLOOR, np.float32))

    def zs(c, sp):
        return [(f - ci) * np.float32(1.0 / si) for f, ci, si in zip(feats, c, sp, strict=True)]

    def fit(sel):
        centre, spread = model(sel)
        z = zs(centre, spread)
        near = sel & (z[0] * z[0] + z[1] * z[1] + z[2] * z[2] < 2.5 ** 2)
        if near.sum() > 50:  # once more on the seeds close to the centre (drops background)
            centre, spread = model(near)
            z = zs(centre, spread)
        zl = np.where(z[2] < 0, z[2] * np.float32(1.0 / SHADE), z[2])
        dist2 = z[0] * z[0] + z[1] * z[1] + zl * zl
        return z, (near if near.sum() > 50 else sel), dist2

    mel = b_g - r_g  # melanin axis: up = less melanin
    if body and modality != "woods":  # a large patch in the centre (extensive vitiligo):
        # the skin is the more pigmented mode when the seeds are clearly bimodal (faces
        # are not split: lips and brows make their own mode)
        seed_mel = mel[sel]
        t = _ref.bimodal_split(seed_mel[:: max(1, seed_mel.size // 20_000)], BIMODAL_SEPARATION)
        if t is not None and (sel & (mel <= t)).sum() >= 50:
            sel = sel & (mel <= t)
    z, ref, dist2 = fit(sel)
    skin = dist2 < SKIN_DIST ** 2
    if body and modality != "woods":
        around = _pigmented_surround(skin, sel, prior, mel, ref, side)
        if around is not None:  # the centre was a patch: the skin is what surrounds it
            z, ref, dist2 = fit(around)
            skin = dist2 < SKIN_DIST ** 2
    zy = z[2]
    e = max(2, int(round(0.04 * min(h, w))))
    bc, bs = _background_model(np.dstack(z), e, shade=body)
    if len(bc):  # Gaussian log-likelihood ratio, skin vs each background colour
        idx = np.flatnonzero(skin)
        zz = np.stack([zi.ravel()[idx] for zi in z], 1)
        d_skin = dist2.ravel()[idx]
        keep = np.ones(idx.size, bool)
        for c, s in zip(bc, bs, strict=True):
            zb = (zz - c) / s
            keep &= d_skin < (zb * zb).sum(1) + 2.0 * float(np.log(s).sum())
        skin.ravel()[idx[~keep]] = False
    # depigmented skin: less melanin -- bluer relative to red (log B/R up) than the skin,
    # at any shading (ratios), not darker than shaded skin; and still skin-hued (pink,
    # not neutral white or grey)
    if modality == "woods":  # fluorescent: clearly brighter than the skin and than the
        # (non-fluorescent) background colours
        zmin = 1.5
        for c, s in zip(bc, bs, strict=True):
            if c[2] < 3.0:
                zmin = max(zmin, float(c[2] + 2.0 * s[2]))
        depig = (zy > zmin) & (L > float(np.median(L[ref])) + 3)
    else:
        m0, ms = _mel_level(mel, ref)
        hue_ok = (a > 1.5) & (b > np.float32(np.tan(np.radians(-20))) * a)  # -20 .. 90 degrees
        depig = (mel > m0 + DEPIG_MEL * ms) & (zy > -SKIN_DIST * SHADE) & hue_ok & (chroma2 > 9.0)
    cand = depig
    skin = _open_close(skin, side)
    r = max(1, int(round(side / 200)))  # thin bands of mixed pixels along the outline
    depig = cv2.morphologyEx((depig & ~skin).astype(np.uint8), cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    depig = depig.astype(bool)
    bg_like = _bg_like(z, bc, bs, depig, cand, e) if body else None
    return _join_patches(skin, depig, side, at_frame, bg_like)


def _pigmented_surround(skin, sel, prior, mel, ref, side):
    """Seed pixels of the normal skin around a depigmented patch that filled the centre of
    the frame, or None.

    The skin colour is seeded at the centre of the frame; on a limb with extensive
    vitiligo the centre may be one large patch, and the normal skin would then be taken
    for something else. The seed was a patch when the skin-hued pixels just outside its
    blob (a band ``side / 40`` px wide) are mostly clearly more pigmented than it (lower
    on the melanin axis ``mel`` by ``DEPIG_MEL`` robust SDs, the depigmentation test
    mirrored) and that colour is not the background (it covers less than
    ``SURROUND_FRAME`` of the frame's border). Returns those pixels within ``side / 8`` px
    of the blob.
    """
    lab_n, lab = cv2.connectedComponents(skin.astype(np.uint8), connectivity=8)
    if lab_n <= 1:
        return None
    ids = np.bincount(lab[sel & skin], minlength=lab_n)
    ids[0] = 0
    if ids.max() == 0:
        return None
    blob = lab == int(np.argmax(ids))
    m0, ms = _mel_level(mel, ref)
    pig = prior & ~skin & (mel < m0 - DEPIG_MEL * ms)
    k = max(3, int(round(side / 40)))
    band = (cv2.dilate(blob.astype(np.uint8), _ref.disk(k)) > 0) & ~blob
    if not band.any() or (pig & band).sum() < SURROUND_SHARE * band.sum():
        return None
    frame = _frame_ring(skin.shape, max(2, int(round(0.02 * side))))
    if (pig & frame).sum() >= SURROUND_FRAME * frame.sum():
        return None
    out = pig & (cv2.dilate(blob.astype(np.uint8), _ref.disk(max(k, side / 8))) > 0)
    return out if out.sum() >= 50 else None


def _mel_level(mel, ref):
    """Median and robust SD (floored at ``SPREAD_FLOOR[0]``) of the melanin axis ``mel``
    over the skin colour's seed pixels ``ref``."""
    mr = mel[ref]
    m0 = float(np.median(mr))
    return m0, max(1.4826 * float(np.median(np.abs(mr - m0))), SPREAD_FLOOR[0])


def _frame_ring(shape, e):
    """Bool mask of the frame's border ring, ``e`` px wide."""
    ring = np.ones(shape, bool)
    ring[e:-e, e:-e] = False
    return ring


def _bg_like(z, bc, bs, depig, cand, e):
    """Which depigmented candidates (``depig``) a background colour explains: within
    ``DEPIG_BG_DIST`` robust SDs of one of the colours ``bc`` (spreads ``bs``) of the
    frame's border ring (``e`` px wide). A patch crossing the frame is a border colour
    too: a colour mostly depigmented-like there (``cand``) on less than ``BG_SHARE`` of
    the ring does not count. None when no colour counts."""
    if not len(bc) or not depig.any():
        return None
    h, w = depig.shape
    ring = _frame_ring((h, w), e)
    zr = np.stack([zi[ring] for zi in z], 1)
    cr = cand[ring]
    keep = []
    for c, s in zip(bc, bs, strict=True):
        near = (((zr - c) / s) ** 2).sum(1) < DEPIG_BG_DIST ** 2
        # a patch crossing the frame: depigmented-like, on a small part of the border
        if near.any() and (cr[near].mean() < 0.5 or near.mean() >= BG_SHARE):
            keep.append((c, s))
    if not keep:
        return None
    idx = np.flatnonzero(depig)
    zz = np.stack([zi.ravel()[idx] for zi in z], 1)
    db2 = np.min([(((zz - c) / s) ** 2).sum(1) for c, s in keep], axis=0)
    out = np.zeros((h, w), bool)
    out.ravel()[idx] = db2 < DEPIG_BG_DIST ** 2
    return out


def _join_patches(skin, depig, side, frame_out=False, bg_like=None):
    """Skin plus the depigmented components mostly enclosed by it (see ``DEPIG_CONTACT``).

    A soft patch border (halo) may be neither skin nor patch, so contact is measured with
    the skin grown by a small gap. The frame counts as non-skin, and a component touching
    it must be enclosed by skin on most of its outline (``DEPIG_CONTACT_FRAME``): a bright
    garment at the edge of the photo borders the skin on one side only.

    A patch at the skin's edge may touch background of similar colour (a pale curtain
    beside a depigmented forearm) and merge with it into one component that the skin does
    not enclose. A component that fails is split at its necks (openings by discs of
    ``DEPIG_NECK`` x the working side, in turn) and each part is judged on its own: the
    patch, enclosed by skin, joins; the background beyond the neck does not.

    Contact is geometry only: specks of a pale background beside the skin's outline, or
    a pocket of it between two fingers, border the grown skin all round. A component (or
    part) whose colour is mostly explained by a background colour (``bg_like``: within
    ``DEPIG_BG_DIST`` robust SDs of one) is background, unless it is a hole in the skin
    (skin on every side: a patch inside a limb that happens to match the background)."""
    g = max(1, int(round(side / 60)))
    grown = cv2.dilate(np.pad(skin.astype(np.uint8), 1), np.ones((2 * g + 1, 2 * g + 1), np.uint8))
    grown[0, :] = grown[-1, :] = grown[:, 0] = grown[:, -1] = 0  # the frame is not skin
    join = np.zeros_like(skin)
    join_frame = np.zeros_like(skin)
    rest = depig
    outside = ~_fill_holes(skin) if bg_like is not None else None
    for rad in (0.0, *DEPIG_NECK):
        part = _open_disk(rest, rad * side) if rad > 0 else rest
        if not part.any():
            break
        # a part split off a component the skin did not enclose must be enclosed like a
        # patch at the frame: background pieces beside the skin border it on one side
        n, lab_d, ok, at_frame = _enclosed(part, grown, strict=rad > 0)
        if bg_like is not None and ok.any():
            hole = np.bincount(lab_d.ravel(), weights=outside.ravel(), minlength=n) == 0
            ok &= _not_background(lab_d, n, bg_like) | hole
        acc = ok[lab_d]
        join |= acc
        join_frame |= (ok & at_frame)[lab_d]
        rest = rest & ~acc  # the failing components, split at necks next
    notch, notch_frame = _notch_parts(rest, skin, grown, side, bg_like)
    join |= notch
    join_frame |= notch_frame
    out = _open_close(skin | join, side)
    return (out, out & join_frame) if frame_out else out


#: A depigmented candidate pixel within this many robust SDs of a background colour is
#: explained by the background (as the subject's own colours at the frame are by the
#: skin, ``BG_MIN_DIST``); a component mostly of such pixels joins only as a hole in the skin.
DEPIG_BG_DIST = 3.0
#: Necks (disc radii, fractions of the working image's long side) at which a depigmented
#: component that the skin does not enclose is split before its parts are judged again.
DEPIG_NECK = (0.01, 0.02, 0.04)
#: Radius (fraction of the working image's long side) of the disc that closes the skin's
#: outline over a patch cut into it (see ``_notch_parts``).
DEPIG_NOTCH = 0.09


def _notch_parts(depig, skin, grown, side, bg_like=None):
    """Parts of the components ``depig`` (which ``skin`` does not enclose) that lie inside the
    skin's outline and that the skin encloses: ``(mask, mask of those at the frame)``.

    A patch at the skin's edge can merge with a bright object beyond it (a fluorescent
    garment under a Wood's lamp, a pale curtain) along a front as wide as itself, with no
    neck to split them at. The skin closed by a disc of ``DEPIG_NOTCH`` x ``side`` fills the
    notch the patch cuts into the outline; the patch's part inside it is judged like a part
    split off at a neck (``grown``: the padded, grown skin of :func:`_enclosed`), and is not
    explained by a background colour (``bg_like``)."""
    part = depig & _close_disk(skin, DEPIG_NOTCH * side) if depig.any() else depig
    if not part.any():
        return part, part
    n, lab, ok, at_frame = _enclosed(part, grown, strict=True)
    if bg_like is not None and ok.any():
        ok &= _not_background(lab, n, bg_like)
    return ok[lab], (ok & at_frame)[lab]


def _not_background(lab, n, bg_like):
    """Per label of ``lab`` (``n`` labels): True unless most of its pixels are explained by a
    background colour (``bg_like``)."""
    area = np.maximum(np.bincount(lab.ravel(), minlength=n), 1)
    return np.bincount(lab.ravel(), weights=bg_like.ravel(), minlength=n) / area < 0.5


def _enclosed(depig, grown, strict=False):
    """Components of ``depig`` and which of them the (grown) skin encloses: ``(n, labels,
    ok, at_frame)``; ``ok[0]`` is False."""
    h, w = depig.shape
    n, lab_d, st, _ = cv2.connectedComponentsWithStats(depig.astype(np.uint8), connectivity=8)
    if n <= 1:
        return n, lab_d, np.zeros(n, bool), np.zeros(n, bool)
    d8 = np.pad(depig.astype(np.uint8), 1)
    ring = np.flatnonzero(cv2.dilate(d8, np.ones((3, 3), np.uint8)) > d8)  # the outline ring
    # label the outline ring by its component (max label nearby)
    lab_p = np.pad(lab_d.astype(np.float32), 1)
    ring_lab = cv2.dilate(lab_p, np.ones((3, 3), np.uint8)).ravel()[ring].astype(np.intp)
    tot = np.bincount(ring_lab, minlength=n)
    hit = np.bincount(ring_lab, weights=grown.ravel()[ring], minlength=n)
    frac = hit / np.maximum(tot, 1)
    x, y, bw, bh = (st[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    at_frame = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    ok = frac >= np.where(at_frame | strict, DEPIG_CONTACT_FRAME, DEPIG_CONTACT)
    ok[0] = False
    return n, lab_d, ok, at_frame


#: Skin colour seeds: prior pixels whose centre weight is above this fraction of the maximum.
SEED_CENTRE = 0.8


def _otsu(v: np.ndarray) -> float:
    from skimage.filters import threshold_otsu

    v = v[:: max(1, v.size // 200_000)]
    return float(threshold_otsu(v)) if np.ptp(v) > 0 else float(v.max())


def _open_close(m: np.ndarray, side: int) -> np.ndarray:
    r = max(1, int(round(side / 300)))
    shape = cv2.MORPH_RECT if r == 1 else cv2.MORPH_ELLIPSE
    k = cv2.getStructuringElement(shape, (2 * r + 1, 2 * r + 1))
    m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, k)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, k).astype(bool)


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
    srgb, lin, k = _small(arr)
    cw = _centre_weight(srgb.shape[:2])
    skin = _fill_holes(_largest(_skin_small(srgb, lin, modality, cw), cw))
    return _upsample_mask(skin, arr.shape[:2], k)


def _upsample_mask(m: np.ndarray, shape, k: float) -> np.ndarray:
    """Full-resolution bool mask from a working-resolution one: a slightly blurred uint8
    mask, upsampled bilinearly and cut at half (smooth outline, no float full-res array)."""
    if k >= 1.0 and m.shape == tuple(shape):
        return m.copy()
    f = cv2.GaussianBlur(m.astype(np.uint8) * np.uint8(255), (0, 0), 0.7)
    up = cv2.resize(f, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return up >= 128


#: Body sites: an appendage (a limb or the neck attached to a trunk, or skin-coloured
#: background leaking in through a narrow bridge) is narrower than ``LIMB_WIDTH`` x the
#: site's own thickness and carries more than ``LIMB_AREA`` of the core's area.
LIMB_WIDTH = 0.35
LIMB_AREA = 0.08


def _site_core(blob: np.ndarray):
    """``(dt, core, grown)`` of a body site's blob: its distance transform (px); the
    largest (centre-weighted) part left by an opening with a disc of ``LIMB_WIDTH`` x its
    largest inscribed radius -- the site without its appendages; and that core grown by a
    third of the disc (the opening rounds the core's corners: they are not appendages).
    Core and grown core are None when the blob is too small to have any."""
    if blob.sum() < 100:
        return None, None, None
    dt = cv2.distanceTransform(np.pad(blob, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    r = int(round(LIMB_WIDTH * float(dt.max())))
    if r < 3:
        return dt, None, None
    core = _largest(_open_disk(blob, r), _centre_weight(blob.shape))
    g = max(1, r // 3)
    grown = cv2.dilate(core.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))).astype(bool)
    return dt, core, grown


def _drop_limbs(blob: np.ndarray) -> np.ndarray:
    """The body site's core with large thin appendages removed (shape prior).

    The core is the blob opened with a disc of ``LIMB_WIDTH`` x its largest inscribed
    radius; what the opening removes splits into appendages (components outside a
    slightly grown core). Small ones (fingers, boundary detail) stay; large ones -- limbs
    or the neck beside a trunk, background blobs joined through a thin bridge -- go.
    """
    dt, core, grown = _site_core(blob)
    if core is None or core.sum() < 0.3 * blob.sum():
        return blob
    rest = blob & ~(grown & blob)
    n, lab, st, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    out = blob & grown
    if n > 1:
        ok = st[:, cv2.CC_STAT_AREA] <= LIMB_AREA * core.sum()
        ok[0] = False
        out |= ok[lab]
        drop = ~ok
        drop[0] = False
        if drop.any():
            # the grown core's band (kept for the core's rounded corners) also holds the
            # dropped limb's stub: an arm hanging against the trunk leaves a sliver of
            # itself along the trunk's side. Band pixels as near a dropped limb as the
            # band is wide go with it.
            g = max(1, int(round(LIMB_WIDTH * float(dt.max()))) // 3)  # as in _site_core
            near = cv2.dilate(drop[lab].astype(np.uint8), cv2.getStructuringElement(
                cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))).astype(bool)
            out &= ~(near & ~core)
    return _largest(out)


def _frame_patches_enclosed(blob, frame_p, side):
    """The body site's region without the depigmented (fluorescent) components at the
    frame that the *site's own* skin does not enclose on ``DEPIG_CONTACT_FRAME`` of their
    outline.

    ``_skin_small`` measures that contact against all skin, arms included: a garment at the
    frame (underwear under a Wood's lamp) borders the trunk on one side and the arms on
    two, so it passed. After the shape prior has dropped the arms, a garment below the
    trunk borders the site on one side only; a patch crossing the frame's edge is still
    enclosed by the site's skin.

    Of a dropped component, the part inside the site's outline stays when the site's skin
    encloses it (:func:`_notch_parts`)."""
    cand = frame_p & blob
    if not cand.any():
        return blob
    n, lab_d, _, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    g = max(1, int(round(side / 60)))
    grown = cv2.dilate(np.pad((blob & ~frame_p).astype(np.uint8), 1), np.ones((2 * g + 1, 2 * g + 1), np.uint8))
    grown[0, :] = grown[-1, :] = grown[:, 0] = grown[:, -1] = 0  # the frame is not skin
    d8 = np.pad(cand.astype(np.uint8), 1)
    ring = np.flatnonzero(cv2.dilate(d8, np.ones((3, 3), np.uint8)) > d8)
    lab_p = np.pad(lab_d.astype(np.float32), 1)
    ring_lab = cv2.dilate(lab_p, np.ones((3, 3), np.uint8)).ravel()[ring].astype(np.intp)
    tot = np.bincount(ring_lab, minlength=n)
    hit = np.bincount(ring_lab, weights=grown.ravel()[ring], minlength=n)
    drop = hit / np.maximum(tot, 1) < DEPIG_CONTACT_FRAME
    drop[0] = False
    if not drop.any():
        return blob
    dropped = drop[lab_d]
    dropped &= ~_notch_parts(dropped, blob & ~frame_p, grown, side)[0]
    return _fill_holes(_largest(blob & ~dropped, _centre_weight(blob.shape)))


#: Nails (not skin, SPEC.md): a finger is an appendage of the site's core (see
#: ``_drop_limbs``) at least ``NAIL_ELONG`` x its own radius long; its nail is the
#: compact blob in its distal ``NAIL_DISTAL`` radii (at most ``NAIL_DISTAL_MAX`` of its
#: length) whose colour (CIELAB) differs from the finger's own proximal skin by more than
#: ``NAIL_Z`` robust SDs (grown to ``NAIL_WEAK``), not darker than that skin, and set
#: inside the finger: skin (the nail folds) on its sides,
#: at most ``NAIL_EDGE`` of its outline on the finger's outline. A depigmented fingertip
#: that reaches across the finger's width stays skin.
NAIL_ELONG = 2.0
NAIL_DISTAL = 3.5
#: ... and at most this fraction of the finger's length beyond the site's core.
NAIL_DISTAL_MAX = 0.7
NAIL_Z = 3.0
NAIL_WEAK = 2.0
NAIL_EDGE = 0.35
#: Floors of the finger skin's robust spread in CIELAB (L*, a*, b*).
NAIL_SPREAD_FLOOR = (2.0, 1.5, 1.5)


def _nails(blob: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Nails at the distal ends of the fingers of a body site's region (working
    resolution); see ``NAIL_*``. Colour is judged relative to each finger's own skin:
    nails are lighter and pinker/more neutral than the skin on every skin type (and
    fluoresce under a Wood's lamp), but so is depigmented skin -- the position (the tip of
    a thin appendage) and the shape (inside the finger's outline) tell them apart."""
    h, w = blob.shape
    out = np.zeros_like(blob)
    dt, core, grown = _site_core(blob)
    if core is None or not core.any():
        return out
    n, lab_f, st, _ = cv2.connectedComponentsWithStats((blob & ~grown).astype(np.uint8), connectivity=4)
    if n <= 1:
        return out
    dc = cv2.distanceTransform((~core).astype(np.uint8), cv2.DIST_L2, 5)  # distance from the core
    edge = dt <= 1.5  # the outline's mixed pixels
    ker = np.ones((3, 3), np.uint8)
    for i in range(1, n):
        x, y, bw, bh = st[i, :4]
        if x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue  # cut by the frame: no fingertip in view
        win = (slice(y, y + bh), slice(x, x + bw))
        F = lab_f[win] == i
        dtf, dcf = dt[win], dc[win]
        rf = float(dtf[F].max())
        dmax = float(dcf[F].max())
        if rf < 2 or dmax < NAIL_ELONG * rf:
            continue  # not a finger
        # a short finger (a thumb beside the hand) keeps some proximal skin to compare with
        distal = F & (dcf > dmax - min(NAIL_DISTAL * rf, NAIL_DISTAL_MAX * dmax))
        prox = F & ~distal & (dtf > 1.5)
        if prox.sum() < 10:
            continue
        Lf = lab[win]
        ref = Lf[prox]
        c0 = np.median(ref, 0)
        s0 = np.maximum(1.4826 * np.median(np.abs(ref - c0), 0), np.asarray(NAIL_SPREAD_FLOOR, np.float32))
        z2 = (((Lf - c0) / s0) ** 2).sum(-1)
        weak = distal & (z2 > NAIL_WEAK ** 2) & (Lf[..., 0] > c0[0] - s0[0]) & ~edge[win]
        m, lab_c, _, _ = cv2.connectedComponentsWithStats(weak.astype(np.uint8), connectivity=8)
        if m <= 1:
            continue
        strong = np.bincount(lab_c[weak & (z2 > NAIL_Z ** 2)], minlength=m)
        strong[0] = 0
        if strong.max() == 0:
            continue
        nail = lab_c == int(np.argmax(strong))
        if nail.sum() > 0.7 * distal.sum():
            continue
        ring = cv2.dilate(nail.astype(np.uint8), ker).astype(bool) & ~nail
        if (ring & edge[win]).sum() > NAIL_EDGE * ring.sum():
            continue  # reaches across the finger: skin (e.g. a depigmented fingertip)
        out[win] |= nail
    return out


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


def _open_disk(m: np.ndarray, r: float) -> np.ndarray:
    """Morphological opening by a disc of radius ``r`` px, by two distance transforms
    (fast for large discs)."""
    ero = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > r
    dil = cv2.distanceTransform((~ero).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= r
    return dil & m.astype(bool)


def _close_disk(m: np.ndarray, r: float) -> np.ndarray:
    """Morphological closing by a disc of radius ``r`` px, by two distance transforms (the
    frame is not part of ``m``: nothing is closed against it).

    >>> m = np.zeros((20, 30), bool); m[5:15, 2:12] = m[5:15, 18:28] = m[5:7, 12:18] = True
    >>> c = _close_disk(m, 4.0)   # the 6-px notch below the bridge is filled but for its mouth
    >>> bool(c[10, 15]), bool(c[14, 15])
    (True, False)
    """
    p = int(np.ceil(r)) + 1
    return ~_open_disk(~np.pad(m.astype(bool), p), r)[p:-p, p:-p]  # closing: the dual


def _hull(m: np.ndarray) -> np.ndarray:
    pts = cv2.findNonZero(m.astype(np.uint8))
    out = np.zeros(m.shape, np.uint8)
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out.astype(bool) | m


def _face_oval(blob: np.ndarray):
    """Face outline ``(cx, eye_row, half_width, up, down, eye_dx, eyes)`` from the head's skin
    blob (``eyes``: the two eye holes' centroids, row and col), or None.

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
        oval = (cx_e, eye_r, 0.5 * FACE_SIDE * face_w, FACE_UP * face_w, down, eye_dx, eyes)
        if _face_like(blob, oval):
            return oval
    return None  # no facial geometry to anchor an F-VASI outline on


#: Candidate eye pairs tried, most plausible first, until one gives a face-like outline.
EYE_TRIES = 6


def _holes_cc(blob, filled):
    """Connected components of the holes in the skin blob: ``(n, stats, centroids)``."""
    n, _, st, cen = cv2.connectedComponentsWithStats((filled & ~blob).astype(np.uint8), connectivity=8)
    return n, st, cen


def _mouth_row(hcc, cx, face_w, eye_r):
    """Row of the mouth: the widest hole (of ``hcc = _holes_cc(...)``) centred below the
    eyes, or None."""
    n, st, cen = hcc
    best = None
    for i in range(1, n):
        wi = st[i, cv2.CC_STAT_WIDTH]
        dy = cen[i, 1] - eye_r
        if not (0.3 * face_w < dy < 0.65 * face_w) or abs(cen[i, 0] - cx) > 0.12 * face_w:
            continue
        if wi < 0.18 * face_w or wi > 0.6 * face_w:
            continue
        if best is None or wi > best[0]:
            best = (wi, cen[i, 1])
    return None if best is None else float(best[1])


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
#: A face outline is accepted when the skin covers at least ``FACE_COVER`` of it and is
#: left-right symmetric (IoU with its mirror image) at least ``FACE_SYM``.
FACE_COVER = 0.7
FACE_SYM = 0.7


def _mirror_window(blob, oval):
    """Column slice symmetric about the face axis, or None."""
    c0 = int(round(oval[0]))
    hw = int(np.ceil(oval[2])) + 1
    half = min(c0, blob.shape[1] - 1 - c0, hw)
    if half < 2:
        return None
    return slice(c0 - half, c0 + half + 1)


def _face_like(blob, oval) -> bool:
    """Is the skin inside the outline face-like (coverage and left-right symmetry)?"""
    m = _outline_mask(blob.shape, oval)
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
    cx, ey, hw, up, down = oval[:5]
    m = np.zeros(shape, np.uint8)
    c = (int(round(cx)), int(round(ey)))
    hw = max(1, int(round(hw)))
    cv2.ellipse(m, c, (hw, max(1, int(round(down)))), 0, 0, 180, 1, -1)  # chin half (image y down)
    cv2.ellipse(m, c, (hw, max(1, int(round(up)))), 0, 180, 360, 1, -1)
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
            if not (0.25 * face_w < dx < 0.65 * face_w) or dy > 0.1 * face_w:
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


def find_region(image, *, site: str = "face", mask=None, modality: str = "visible",
                return_method: bool = False):
    """Boolean mask of the assessed skin in ``image``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo (uint8, uint16 or float in [0, 1]).
    site : {"face", "body"}, keyword-only
        What is being assessed: the F-VASI facial area or the skin of a body site.
    mask : ndarray, shape (H, W), optional
        A user-drawn region; when given it is returned as-is (validated).
    modality : {"visible", "woods"}, keyword-only
        Visible-light or Wood's lamp photo.
    return_method : bool, keyword-only
        Also return how the region was found (one of ``REGION_METHODS``): ``"user"``,
        ``"skin"`` (body sites), ``"face outline"`` (from the eyes and mouth), ``"face
        detector"``, or ``NO_FACE_OUTLINE`` -- a face photo whose face was found neither
        way, so the region is the central skin blob and the F-VASI area is unreliable.

    Returns
    -------
    ndarray of bool, shape (H, W)
        At the photo's full resolution (px). The region is found on a working image whose
        long side is ``WORK_SIDE`` px and upsampled (bilinear, cut at half), so its outline
        is smooth to about one working pixel (``max(H, W) / WORK_SIDE`` px).
        With ``return_method``, the tuple ``(mask, method)``.

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
    arr = check_image(image)
    check_choice(site, SITES, "site")
    check_choice(modality, MODALITIES, "modality")
    if mask is not None:
        region, method = check_mask(mask, arr.shape[:2], "mask").copy(), "user"
    else:
        region, method, _ = _auto_region_without_cards(arr, site, modality)
    return (region, method) if return_method else region


def _cut_cards(region: np.ndarray, cards) -> np.ndarray:
    """``region`` (modified in place and returned) without the marker cards ``cards`` of
    :func:`vasi.calibrate.marker_boxes`: a calibration marker's white card looks like
    depigmented skin and is never assessed."""
    for rows, cols, card in cards:
        region[rows, cols] &= ~card
    return region


def _auto_region_without_cards(arr, site, modality):
    """:func:`find_region`'s automatic region, its method and the photo's marker cards
    (``(region, method, cards)``; a series keeps the cards for the baseline region mapped
    into this photo)."""
    # the marker search (a 1000-px copy and OpenCV's detector) is independent of the skin
    # model: with more than one thread allowed it runs in another thread meanwhile
    markers = Ahead(lambda _: marker_boxes(arr), (0,), background=cv2.getNumThreads() > 1,
                    name="vasi-markers")
    try:
        region, method = _auto_region(arr, site, modality)
        cards = markers.get(0)
    finally:
        markers.close()
    return _cut_cards(region, cards), method, cards


def _auto_region(arr, site, modality):
    """The region of ``find_region`` without a user mask, before markers are removed, and
    how it was found (one of ``REGION_METHODS``)."""
    srgb, lin, k = _small(arr)
    if site == "body":
        cw = _centre_weight(srgb.shape[:2])
        skin, frame_p = _skin_small(srgb, lin, modality, cw, at_frame=True, body=True)
        blob = _drop_limbs(_fill_holes(_largest(skin, cw)))
        blob = _frame_patches_enclosed(blob, frame_p, max(blob.shape))
        blob &= ~_nails(blob, _lab(_smooth(srgb)))
        return _upsample_mask(blob, arr.shape[:2], k), "skin"
    # faces: seed the skin colour at the image centre; when that blob has no facial
    # geometry (eye pair), find the face with a detector (e.g. a portrait whose centre is
    # clothing, or a small face) and work on a crop around it, where the face is large
    # enough for its features to show
    blob, oval = _face_small(srgb, lin, modality, _centre_weight(srgb.shape[:2]))
    if oval is None:
        face = _detect_face(srgb)
        if face is not None:
            r, c, size = (v / k for v in face)  # full-resolution px
            H, W = arr.shape[:2]
            y0, y1 = int(max(0, r - 1.6 * size)), int(min(H, r + 1.8 * size))
            x0, x1 = int(max(0, c - 1.7 * size)), int(min(W, c + 1.7 * size))
            crop = arr[y0:y1, x0:x1]
            srgb_c, lin_c, kc = _small(crop)
            face_c = ((r - y0) * kc, (c - x0) * kc, size * kc)
            blob_c, oval_c = _face_small(srgb_c, lin_c, modality, _seed_weight(srgb_c.shape[:2], face_c), face_c)
            out = np.zeros((H, W), bool)
            out[y0:y1, x0:x1] = _upsample_mask(_face_mask(blob_c, oval_c, modality, lin_c), crop.shape[:2], kc)
            return out, "face detector"
    return (_upsample_mask(_face_mask(blob, oval, modality, lin), arr.shape[:2], k),
            "face outline" if oval is not None else NO_FACE_OUTLINE)


def _face_small(srgb, lin, modality, cw, face=None):
    """Skin blob and face outline at working resolution (outline None when not found).
    With a detected ``face`` box (row, col, size) the outline falls back to the box's
    proportions when the features do not show, or when they give a different face
    (:func:`_same_face`)."""
    blob = _largest(_skin_small(srgb, lin, modality, cw), cw)
    oval = _face_oval(blob) if blob.sum() >= 100 else None  # None: no face-like outline
    if face is not None:
        r, c, size = face  # a frontal-face box: eyes ~12 % of its size above its centre
        ey = r - 0.12 * size
        # no outline, or the blob's "face" is not the detected one (skin leaked to the background)
        if oval is None or not _same_face(oval, (c, ey, size)):
            oval = (c, ey, 0.5 * FACE_SIDE * size, FACE_UP * size, FACE_DOWN * size, 0.45 * size,
                    (np.array([ey, c - 0.225 * size]), np.array([ey, c + 0.225 * size])))
    return blob, oval


#: An outline found in the skin blob and a detector's face box describe the same face when
#: their centres (and eye lines) are within this fraction of the box's size and their
#: widths within this factor of each other.
SAME_FACE_SHIFT = 0.25
SAME_FACE_SCALE = 1.5


def _same_face(oval, box) -> bool:
    """Whether the outline ``oval`` (of :func:`_face_oval`) agrees with a detected face
    ``box`` given as (centre column, eye row, size), all in working px."""
    c, ey, size = box
    width = oval[2] / (0.5 * FACE_SIDE)
    return (abs(oval[0] - c) <= SAME_FACE_SHIFT * size and abs(oval[1] - ey) <= SAME_FACE_SHIFT * size
            and 1.0 / SAME_FACE_SCALE <= width / size <= SAME_FACE_SCALE)


def _logy(lin):
    """Log luminance at working resolution, smoothed like the skin features."""
    lin = _smooth(lin)
    return cv2.log(cv2.transform(lin, np.array([[0.2126, 0.7152, 0.0722]], np.float32)) + np.float32(_EPS))


def _hair(region, oval, logy):
    """Hair reaching into the upper face: pixels above the brows much darker (log
    luminance below ``HAIR_DY``) than the forehead's own skin, in components that touch
    the region's outer edge (a dark freckle inside the forehead stays)."""
    h, w = region.shape
    fw = 2.0 * oval[2] / FACE_SIDE
    cx, ey = oval[0], oval[1]
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
    n, lab, _, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
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


def _face_mask(blob, oval, modality, lin=None):
    """The F-VASI area at working resolution: skin inside the face outline, facial
    features (eyes, brows, nostrils, lips) left out with a small margin."""
    if oval is None:
        region = _fill_holes(blob)
        if modality == "woods" and region.any():
            # under UV the skin is barely brighter than the background and the face's edges
            # fall into shade: the blob's outline is unreliable there, and a fluorescent
            # (depigmented) patch at the border may be cut. A face is convex: take the hull.
            region = _hull(region)
        return region
    ax = oval[2]
    if modality == "woods":
        # no colour tells hair from skin under UV: the forehead ends at the hairline's
        # typical height (facial thirds: ~0.5 face widths above the eye line)
        oval = (*oval[:3], min(oval[3], FACE_UP_WOODS * 2.0 * ax / FACE_SIDE), *oval[4:])
        # a Wood's lamp lights the face from one side: the far side falls into shade that
        # no colour test tells from the dark background. A face is left-right symmetric:
        # take the skin on either side of its axis (features mirror onto features).
        sl = _mirror_window(blob, oval)
        if sl is not None:
            blob = blob.copy()
            blob[:, sl] |= blob[:, sl][:, ::-1]
    region = blob & _outline_mask(blob.shape, oval)
    logy = _logy(lin) if lin is not None else None
    if logy is not None and modality in HAIR_MODALITIES:
        region &= ~_hair(region, oval, logy)
    # the eye openings (sclera included: white, but not skin), by anatomy (EYE_SIZE),
    # centred on each eye's own hole and tilted with the eye line (a head tilted by a few
    # degrees puts one eye well above the other)
    face_w = 2.0 * oval[2] / FACE_SIDE
    eyes = np.zeros(blob.shape, np.uint8)
    (r0, c0), (r1, c1) = oval[6]
    tilt = float(np.degrees(np.arctan2(r1 - r0, c1 - c0)))
    if abs(tilt) > 90:
        tilt -= 180.0 * np.sign(tilt)
    S = 16  # sub-pixel drawing (cv2 shift=4)
    size, drop = (EYE_SIZE_WOODS, EYE_DROP_WOODS) if modality == "woods" else (EYE_SIZE, EYE_DROP)
    for rr, cc in oval[6]:
        cv2.ellipse(eyes, (int(round(cc * S)), int(round((rr + drop * face_w) * S))),
                    (int(round(size[0] * face_w * S)), int(round(size[1] * face_w * S))),
                    tilt, 0, 360, 1, -1, cv2.LINE_8, 4)
    region &= eyes == 0
    # fill only tiny holes (pores, specks); eyes, brows, nostrils and lips stay out
    holes = _fill_holes(region) & ~region
    n, lab_h, st, cen = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=8)
    if n > 1:
        ok = st[:, cv2.CC_STAT_AREA] < 2e-4 * region.sum()
        if logy is not None and HOLE_LIGHT is not None and modality in HOLE_MODALITIES:
            # a hole lighter than the face's skin is skin that failed the colour tests (a
            # white, repigmenting or confetti spot), not a feature: features are darker
            # (brows, nostrils, lips); the eye openings and the mouth are kept out
            area = np.maximum(st[:, cv2.CC_STAT_AREA], 1)
            mean_y = np.bincount(lab_h.ravel(), weights=logy.ravel(), minlength=n) / area
            at_eye = np.bincount(lab_h.ravel(), weights=(eyes.ravel() > 0), minlength=n) > 0
            dx = np.abs(cen[:, 0] - oval[0])
            dy = cen[:, 1] - oval[1]
            at_mouth = (dx < 0.25 * face_w) & (dy > 0.25 * face_w) & (dy < 0.7 * face_w)
            ok |= (mean_y > float(np.median(logy[region])) + HOLE_LIGHT) & ~at_eye & ~at_mouth
        ok[0] = False
        small = ok[lab_h]
        region |= small
        # the features' own rims (sclera, lip and nostril edges) blend into the skin:
        # keep a small margin around them (~1 % of the face width)
        big = holes & ~small
        r = max(1, int(round(0.01 * 2 * ax)))
        ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        region &= ~cv2.dilate(big.astype(np.uint8), ker).astype(bool)
    return _largest(region)
