"""The assessed region: which pixels of a photo are the skin being scored.

A user-supplied mask always wins. Otherwise:

* **Skin** is found relative to the photo's own dominant skin colour, not with fixed colour
  boxes: a loose prior (skin-like hue, some chroma) seeds the estimate, the dominant skin
  colour is the robust centre of the seeds nearest the image centre, and a pixel is skin
  when its chromaticity lies within a few robust standard deviations of it. Depigmented
  skin is skin: pixels lighter and less yellow than the skin but still skin-hued (pink,
  not neutral white) and touching it are added, so patches stay inside the region even
  on a white background. Under a Wood's lamp skin is separated from the darker
  background by its (log) luminance.
* **Body sites**: the largest skin component (holes filled), with a shape prior: large
  appendages much thinner than the site itself (arms and neck beside a trunk, skin-coloured
  background joined through a narrow bridge) are cut off; small ones (fingers) stay.
  Wood's lamp faces without a fittable oval take the skin blob's convex hull, so a
  fluorescent patch at the face border is not cut out.
* **Faces** (F-VASI area, SPEC.md section 1): the face oval is fitted to the head's skin
  blob -- from the top of the skin (the hairline) down to the chin, where the blob narrows
  into the neck, and across the cheeks below the ears -- so ears, neck and hair fall
  outside. Inside the oval, non-skin features (eyes, brows, nostrils, lips) stay holes.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from scipy import ndimage as ndi

from ._validate import MODALITIES, check_choice, check_image, check_mask
from .reference import robust_stats, working_image

__all__ = ["find_region", "skin_mask", "SITES"]

log = logging.getLogger("vasi")

SITES = ("face", "body")
_WORK = 512


def _lab(srgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(srgb, np.float32), cv2.COLOR_RGB2Lab)


def _centre_weight(shape) -> np.ndarray:
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    return np.exp(-(((yy - h / 2) / (0.35 * h)) ** 2 + ((xx - w / 2) / (0.35 * w)) ** 2))


def _largest(mask: np.ndarray, prefer=None) -> np.ndarray:
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(mask, bool)
    score = stats[1:, cv2.CC_STAT_AREA].astype(float)
    if prefer is not None:
        score = score * (0.25 + ndi.mean(prefer, lab, np.arange(1, n)))
    return lab == (1 + int(np.argmax(score)))


def _detect_face(srgb: np.ndarray):
    """Largest frontal face ``(row, col, size)`` found by scikit-image's LBP cascade (the
    OpenCV frontal-face LBP model shipped with scikit-image, so no download), or None."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    g = cv2.cvtColor(np.ascontiguousarray((srgb * 255).astype(np.uint8)), cv2.COLOR_RGB2GRAY)
    g = cv2.equalizeHist(g).astype(np.float64) / 255.0
    side = min(g.shape)
    try:
        det = Cascade(lbp_frontal_face_cascade_filename()).detect_multi_scale(
            img=g, scale_factor=1.2, step_ratio=1, min_size=(max(24, side // 10),) * 2,
            max_size=(side, side), min_neighbor_number=3)
    except Exception as exc:  # pragma: no cover - detector is optional help only
        log.info("face detector failed: %s", exc)
        return None
    if not det:
        return None
    d = max(det, key=lambda d: d["width"] * d["height"])
    return d["r"] + d["height"] / 2.0, d["c"] + d["width"] / 2.0, float(d["width"])


def _seed_weight(shape, face) -> np.ndarray:
    """Where the skin colour is sampled: around a detected face, else the image centre."""
    if face is None:
        return _centre_weight(shape)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    r, c, size = face
    return np.exp(-(((yy - r) / (0.35 * size)) ** 2 + ((xx - c) / (0.35 * size)) ** 2))


def _skin_small(srgb: np.ndarray, lin: np.ndarray, modality: str, cw=None, small_subject=False) -> np.ndarray:
    """Skin (incl. depigmented skin) at working resolution, before geometry."""
    h, w = srgb.shape[:2]
    if cw is None:
        cw = _centre_weight((h, w))
    lum_skin = _woods_skin(lin, cw, small_subject) if modality == "woods" else None
    lab = _lab(srgb)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a))
    if modality == "woods":  # skin's colour under UV is whatever the lamp makes it
        prior = (L > 2) & (L < 97)
    else:
        prior = (chroma > 6) & (hue > 5) & (hue < 85) & (L > 12) & (L < 97)
    if prior.sum() < 50:
        prior = L > 2
    # dominant skin colour: robust centre of the central prior pixels
    wts = cw * prior
    sel = wts > SEED_CENTRE * wts.max() if wts.max() > 0 else prior
    if sel.sum() < 50:
        sel = prior
    if lum_skin is not None and (sel & lum_skin).sum() >= 50:  # not the background's colour
        sel = sel & lum_skin
    if modality == "woods":  # fluorescent patches are not the skin's colour: seed below them
        lo = sel & (L <= np.percentile(L[sel], 60))
        if sel.sum() > 100 and np.ptp(L[sel]) > 0:  # the darker mode when bimodal (skin vs patches)
            lo = sel & (L <= min(_otsu(L[sel]), float(np.percentile(L[sel], 60))))
        sel = lo if lo.sum() >= 50 else sel
    feats = np.dstack([a, b, np.log(np.maximum(L, 1.0))])
    centre = np.empty(3)
    spread = np.empty(3)
    for i in range(3):
        centre[i], spread[i] = robust_stats(feats[..., i][sel])
    spread = np.maximum(spread, [2.5, 2.5, 0.08])
    # iterate once on the pixels close to the centre (drops background in the seed)
    dist = np.sqrt((((feats - centre) / spread) ** 2).sum(axis=2))
    near = sel & (dist < 2.5)
    if near.sum() > 50:
        for i in range(3):
            centre[i], spread[i] = robust_stats(feats[..., i][near])
        spread = np.maximum(spread, [2.5, 2.5, 0.08])
    dab = np.sqrt(((a - centre[0]) / spread[0]) ** 2 + ((b - centre[1]) / spread[1]) ** 2)
    dl = (np.log(np.maximum(L, 1.0)) - centre[2]) / spread[2]
    skin = (dab < 4.0) & (dl > -4.5) & (dl < 4.5)
    if lum_skin is not None:  # under UV: skin-coloured *and* brighter than the background
        skin &= lum_skin
    # depigmented skin: lighter, less yellow, still skin-hued (pink-white, not neutral)
    L0 = np.exp(centre[2])
    if modality == "woods":  # fluorescent: clearly brighter than the skin
        depig = (dl > 3.0) & (L > L0 + 5)
    else:
        depig = (L > L0 - 3) & (b < centre[1] + spread[1]) & (a > 1.5) & (hue > -20) & (hue < 90) \
            & (chroma > 3.0) & (chroma < np.hypot(centre[0], centre[1]) + 4 * spread[0])
    skin = _open_close(skin, max(h, w))
    # thin bands of mixed skin/background pixels along the outline are not patches
    r = max(1, int(round(max(h, w) / 200)))
    depig = cv2.morphologyEx(depig.astype(np.uint8), cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))).astype(bool)
    # "touching" bridges a thin gap: a soft patch border (halo) may be neither skin nor patch
    g = max(1, int(round(max(h, w) / 150)))
    grown = cv2.dilate(skin.astype(np.uint8), np.ones((2 * g + 1, 2 * g + 1), np.uint8)).astype(bool)
    lab_d, n = ndi.label(depig)
    if n:
        touch = np.unique(lab_d[grown & depig])
        touch = touch[touch > 0]
        skin |= np.isin(lab_d, touch)
    return _open_close(skin, max(h, w))


WOODS_LUM = True
SEED_CENTRE = 0.8


def _woods_skin(lin, cw, small_subject=False):
    """Skin under a Wood's lamp by luminance: on the skin's side of half-way (in log light)
    between the skin level (image centre) and the background level (image border).
    All True when the two are too close to tell apart. With ``small_subject`` (a face: it
    need not fill the centre of the frame) the skin level is sampled off the background's."""
    h, w = cw.shape
    y = np.log(lin @ np.array([0.2126, 0.7152, 0.0722], np.float32) + 2e-3)
    yb = cv2.GaussianBlur(y, (0, 0), 1.0)
    centre = cw > SEED_CENTRE
    vals = yb[centre] if centre.any() else yb.ravel()
    e = max(2, int(0.04 * min(h, w)))
    border = np.concatenate([yb[:e].ravel(), yb[-e:].ravel(), yb[:, :e].ravel(), yb[:, -e:].ravel()])
    m_b = float(np.median(border))
    off = vals[np.abs(vals - m_b) > 0.3]
    if small_subject and off.size >= max(100, 0.2 * vals.size):
        vals = off
    if vals.size > 100 and np.ptp(vals) > 0:  # skin is the darker mode: patches fluoresce
        vals = vals[vals <= min(_otsu(vals), float(np.percentile(vals, 60)))]
    m_s = float(np.median(vals))
    if abs(m_s - m_b) < 0.3:
        return np.ones((h, w), bool)
    t = 0.5 * (m_s + m_b)
    skin = yb > t if m_s > m_b else yb < t
    return _open_close(skin, max(h, w))


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
    srgb, lin, _, k = working_image(arr, max_side=_WORK)
    skin = _largest(_skin_small(srgb, lin, modality), _centre_weight(srgb.shape[:2]))
    skin = ndi.binary_fill_holes(skin)
    return _upsample_mask(skin, arr.shape[:2], k)


def _upsample_mask(m: np.ndarray, shape, k: float) -> np.ndarray:
    if k >= 1.0:
        return m.copy()
    f = cv2.GaussianBlur(m.astype(np.float32), (0, 0), 0.7)
    return cv2.resize(f, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR) > 0.5


#: Body sites: an appendage (a limb or the neck attached to a trunk, or skin-coloured
#: background leaking in through a narrow bridge) is narrower than ``LIMB_WIDTH`` x the
#: site's own thickness and carries more than ``LIMB_AREA`` of the core's area.
LIMB_WIDTH = 0.35
LIMB_AREA = 0.08


def _drop_limbs(blob: np.ndarray) -> np.ndarray:
    """The body site's core with large thin appendages removed (shape prior).

    The core is the blob opened with a disc of ``LIMB_WIDTH`` x its largest inscribed
    radius; what the opening removes splits into appendages (components outside a
    slightly grown core). Small ones (fingers, boundary detail) stay; large ones -- limbs
    or the neck beside a trunk, background blobs joined through a thin bridge -- go.
    """
    if blob.sum() < 100:
        return blob
    dt = cv2.distanceTransform(np.pad(blob, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    r = int(round(LIMB_WIDTH * float(dt.max())))
    if r < 3:
        return blob
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    core = cv2.morphologyEx(blob.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)
    core = _largest(core, _centre_weight(blob.shape))
    if core.sum() < 0.3 * blob.sum():
        return blob
    g = max(1, r // 3)  # the opening rounds the core's corners: they are not appendages
    grown = cv2.dilate(core.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))).astype(bool)
    rest = blob & ~(grown & blob)
    lab, n = ndi.label(rest)
    out = blob & grown
    if n:
        area = ndi.sum_labels(rest, lab, np.arange(1, n + 1))
        out |= np.isin(lab, 1 + np.nonzero(area <= LIMB_AREA * core.sum())[0])
    return _largest(out)


#: F-VASI face proportions (frontal view): height hairline-to-chin / width across the
#: cheeks, and the eye line's position from the hairline as a fraction of the height.
FACE_ASPECT = 1.32
EYE_LINE = 0.42


def _hull(m: np.ndarray) -> np.ndarray:
    pts = cv2.findNonZero(m.astype(np.uint8))
    out = np.zeros(m.shape, np.uint8)
    cv2.fillConvexPoly(out, cv2.convexHull(pts), 1)
    return out.astype(bool) | m


def _face_oval(blob: np.ndarray):
    """Face ellipse ``(cx, cy, ax, ay)`` from the head's skin blob, or None.

    The face width is the widest row of the blob after an opening that removes the ears;
    the eye line comes from the pair of symmetric holes (eyes) inside the blob, or the
    top of the skin is taken as the hairline; the height follows from ``FACE_ASPECT``.
    """
    ys, xs = np.nonzero(blob)
    if ys.size < 100:
        return None
    filled = ndi.binary_fill_holes(blob)
    w0 = float(filled.sum(axis=1).max())
    r = max(1, int(0.12 * w0))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    opened = cv2.morphologyEx(filled.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)
    if opened.sum() < 0.3 * filled.sum():
        opened = filled
    top = int(np.nonzero(opened.any(axis=1))[0][0])
    bottom = int(np.nonzero(opened.any(axis=1))[0][-1])
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
    height = FACE_ASPECT * face_w
    eye = _eye_line(blob, filled, cx, face_w, top)
    if eye is None:  # no facial geometry to anchor an F-VASI oval on
        return None
    cx = eye[1]
    top_face = eye[0] - EYE_LINE * height
    return cx, top_face + 0.5 * height, 0.5 * face_w, 0.5 * height


def _eye_line(blob, filled, cx, face_w, top):
    """(row, centre col) of the eyes: the most symmetric pair of holes of similar size."""
    holes = filled & ~blob
    lab, n = ndi.label(holes)
    if n < 2:
        return None
    idx = np.arange(1, n + 1)
    area = ndi.sum_labels(holes, lab, idx)
    com = np.array(ndi.center_of_mass(holes, lab, idx))
    keep = (area > (0.015 * face_w) ** 2) & (area < (0.25 * face_w) ** 2) & (com[:, 0] < top + 1.1 * face_w)
    cand = np.nonzero(keep)[0]
    best = None
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
            cost = abs(mid - cx) / face_w + dy / face_w + (1 - ratio) * 0.3
            if ratio < 0.3:
                continue
            # eyes lie below brows: prefer the lower of two similar pairs
            row = 0.5 * (com[i, 0] + com[j, 0])
            if best is None or cost < best[0] - 0.05 or (abs(cost - best[0]) <= 0.05 and row > best[1]):
                best = (cost, row, mid)
    if best is None:
        return None
    return best[1], best[2]


def find_region(image, *, site: str = "face", mask=None, modality: str = "visible") -> np.ndarray:
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

    Returns
    -------
    ndarray of bool, shape (H, W)

    Examples
    --------
    >>> img = np.zeros((40, 40, 3), np.uint8); img[10:30, 10:30] = (200, 150, 120)
    >>> int(find_region(img, site="body").sum())
    400
    """
    arr = check_image(image)
    check_choice(site, SITES, "site")
    check_choice(modality, MODALITIES, "modality")
    if mask is not None:
        return check_mask(mask, arr.shape[:2], "mask").copy()
    srgb, lin, _, k = working_image(arr, max_side=_WORK)
    if site == "body":
        cw = _centre_weight(srgb.shape[:2])
        blob = ndi.binary_fill_holes(_largest(_skin_small(srgb, lin, modality, cw), cw))
        return _upsample_mask(_drop_limbs(blob), arr.shape[:2], k)
    # faces: seed the skin colour at the image centre; when that blob has no facial
    # geometry (eye pair), retry seeded on a detected face (e.g. a portrait whose centre
    # is clothing)
    tries = []
    for attempt in ("centre", "detector"):
        if attempt == "centre":
            cw = _centre_weight(srgb.shape[:2])
        else:
            face = _detect_face(srgb)
            if face is None:
                break
            cw = _seed_weight(srgb.shape[:2], face)
        blob = _largest(_skin_small(srgb, lin, modality, cw, small_subject=True), cw)
        oval = _face_oval(blob) if blob.sum() >= 100 else None
        tries.append((blob, oval))
        if oval is not None:
            break
    blob, oval = tries[-1]
    if oval is None:
        region = ndi.binary_fill_holes(blob)
        if modality == "woods" and region.any():
            # under UV the skin is barely brighter than the background and the face's edges
            # fall into shade: the blob's outline is unreliable there, and a fluorescent
            # (depigmented) patch at the border may be cut. A face is convex: take the hull.
            region = _hull(region)
        return _upsample_mask(region, arr.shape[:2], k)
    cx, cy, ax, ay = oval
    ell = np.zeros(blob.shape, np.uint8)
    cv2.ellipse(ell, (int(round(cx)), int(round(cy))), (max(1, int(round(ax))), max(1, int(round(ay)))),
                0, 0, 360, 1, -1)
    region = blob & ell.astype(bool)
    # fill only tiny holes (pores, specks); eyes, brows, nostrils and lips stay out
    holes = ndi.binary_fill_holes(region) & ~region
    lab_h, n = ndi.label(holes)
    if n:
        sizes = ndi.sum_labels(holes, lab_h, np.arange(1, n + 1))
        small = np.isin(lab_h, 1 + np.nonzero(sizes < 2e-4 * region.sum())[0])
        region |= small
        # the features' own rims (sclera, lip and nostril edges) blend into the skin:
        # keep a small margin around them (~1 % of the face width)
        big = holes & ~small
        r = max(1, int(round(0.01 * 2 * ax)))
        ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        region &= ~cv2.dilate(big.astype(np.uint8), ker).astype(bool)
    region = _largest(region)
    return _upsample_mask(region, arr.shape[:2], k)
