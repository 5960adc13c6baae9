"""Physical scale: millimetres per pixel from a reference object in the frame.

Three finders behind one dispatcher, :func:`find_scale`:

* ``"aruco"`` -- an ArUco marker of known side length (``marker_mm``). The scale is taken
  from the *area* of the quadrilateral spanned by the marker's four sub-pixel corners,
  ``mm_per_px = marker_mm / sqrt(area_px)``, so it is the area-equivalent pixel size on the
  marker's plane and stays right when the marker is rotated or tilted (foreshortening
  shrinks the projected area exactly as it shrinks the skin around it).
* ``"sticker"`` -- a round sticker of known diameter (``marker_mm``): the most circular
  high-contrast blob is fitted with an ellipse and ``mm_per_px = marker_mm / sqrt(a * b)``
  (``a``, ``b`` the full axis lengths; again area-equivalent under tilt). The blob must
  follow its ellipse all round (a colour chart's patch does not), stand out from the ring
  around it (a blob of background noise does not) and be at least ``STICKER_MIN_PX`` across.
* ``"given"`` -- the user's own ``mm_per_px`` (e.g. from a fixed camera rig).

``"auto"`` tries the ArUco marker, then the sticker. A finder that finds nothing returns a
*falsy* :class:`Scale` carrying the reason; it never raises for a photo without a marker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from ._validate import check_choice, check_positive, is_number, to_uint8
from .errors import InputError
from .io import image_and_scale, stored_scale

__all__ = ["Scale", "find_scale", "resolve_scale", "marker_boxes", "scale_flags", "usable_scale",
           "SCALE_METHODS"]

log = logging.getLogger("vasi")


@dataclass(frozen=True)
class Scale:
    """Pixel size found in a photo.

    Attributes
    ----------
    mm_per_px : float or None
        Area-equivalent pixel size in millimetres on the reference object's plane;
        None when nothing was found (then the object is falsy).
    method : str
        Finder used (``"aruco"``, ``"sticker"``, ``"given"``).
    residual : float or None
        Relative inconsistency of the measurement (0 = perfect): for a marker the
        coefficient of variation of its four side lengths (large under strong tilt or a
        bad detection), for a sticker the relative misfit between blob and ellipse.
    reason : str
        Why nothing was found, or a short note on what was.
    corners : ndarray, shape (N, 2), or None
        x/y pixel coordinates of the marker corners or of points on the sticker's ellipse.
    tilt_deg : float or None
        Estimated tilt of the reference object from the camera axis.
    """

    mm_per_px: float | None
    method: str
    residual: float | None = None
    reason: str = ""
    corners: np.ndarray | None = None
    tilt_deg: float | None = None

    def __bool__(self) -> bool:
        return self.mm_per_px is not None

    def to_dict(self) -> dict:
        """Scalar fields as a dict (for provenance tables)."""
        return {
            "mm_per_px": self.mm_per_px,
            "scale_method": self.method,
            "scale_residual": self.residual,
            "scale_reason": self.reason,
            "scale_tilt_deg": self.tilt_deg,
        }


def _not_found(method: str, reason: str) -> Scale:
    log.info("scale not found (%s): %s", method, reason)
    return Scale(None, method, None, reason)


def _gray(image) -> np.ndarray:
    return cv2.cvtColor(to_uint8(image), cv2.COLOR_RGB2GRAY)


# --------------------------------------------------------------------------- ArUco
_DICTS = {
    name: getattr(cv2.aruco, name) for name in dir(cv2.aruco) if name.startswith("DICT_")
}


def _check_dictionary(dictionary) -> None:
    """Refuse anything but the name of one of cv2.aruco's predefined dictionaries."""
    if not isinstance(dictionary, str) or dictionary not in _DICTS:
        raise InputError(f"dictionary must be one of cv2.aruco's names, e.g. 'DICT_4X4_50'; got {dictionary!r}.")


def _aruco_detect(gray: np.ndarray, dictionary: str, refine: int, windows=None):
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = refine
    if windows is not None:  # adaptive-threshold window sizes (min, max, step), px
        (params.adaptiveThreshWinSizeMin, params.adaptiveThreshWinSizeMax,
         params.adaptiveThreshWinSizeStep) = windows
    det = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(_DICTS[dictionary]), params)
    corners, ids, _ = det.detectMarkers(gray)
    return corners, ids


def _find_aruco(image, *, marker_mm=None, dictionary="DICT_4X4_50", marker_id=None, **_):
    if marker_mm is None:
        raise InputError("marker_mm is required for method='aruco': pass the marker's printed side length in mm, e.g. marker_mm=20.")
    marker_mm = check_positive(marker_mm, "marker_mm")
    _check_dictionary(dictionary)
    gray = _gray(image)
    # Detect on a reduced copy for speed, then refine the corners at full resolution.
    k = min(1.0, 2000.0 / max(gray.shape))
    small = gray if k == 1.0 else cv2.resize(gray, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    corners, ids = _aruco_detect(small, dictionary, cv2.aruco.CORNER_REFINE_NONE)
    if ids is None or len(ids) == 0:
        return _not_found("aruco", f"no {dictionary} ArUco marker detected")
    ids = ids.ravel()
    order = np.arange(len(ids))
    if marker_id is not None:
        order = order[ids == int(marker_id)]
        if order.size == 0:
            return _not_found("aruco", f"marker id {marker_id} not found (found ids {sorted(ids.tolist())})")
    # largest marker wins
    areas = [abs(cv2.contourArea(corners[i].reshape(4, 2).astype(np.float32))) for i in order]
    i = int(order[int(np.argmax(areas))])
    quad = (corners[i].reshape(4, 2).astype(np.float64) + 0.5) / k - 0.5
    quad = _refine_quad(gray, quad)
    sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    area = _poly_area(quad)
    if area < 16:
        return _not_found("aruco", "marker too small to measure (under 4x4 px)")
    mm_per_px = marker_mm / np.sqrt(area)
    cv = float(np.std(sides) / np.mean(sides))
    # tilt from the aspect of opposite-side means (foreshortening)
    a = (sides[0] + sides[2]) / 2
    b = (sides[1] + sides[3]) / 2
    tilt = float(np.degrees(np.arccos(np.clip(min(a, b) / max(a, b), 0, 1))))
    return Scale(float(mm_per_px), "aruco", cv, f"ArUco id {int(ids[i])}", quad.astype(np.float32), tilt)


def _poly_area(q: np.ndarray) -> float:
    x, y = q[:, 0], q[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def _refine_quad(gray: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Refine the four outer corners by fitting a line to each side's edge (sub-pixel).

    Each side is sampled across its middle 70 %; along the normal the strongest intensity
    step is located with sub-pixel (parabolic) precision, a line is fitted through those
    edge points, and the corners are the intersections of adjacent lines. Falls back to
    the input corners when a side has too few edge points.
    """
    g = gray.astype(np.float32)
    g = cv2.GaussianBlur(g, (0, 0), 0.7)
    centre = quad.mean(axis=0)
    lines = []
    for j in range(4):
        p0, p1 = quad[j], quad[(j + 1) % 4]
        d = p1 - p0
        length = float(np.linalg.norm(d))
        if length < 8:
            return quad
        t = d / length
        n = np.array([-t[1], t[0]])
        if np.dot(centre - (p0 + p1) / 2, n) > 0:  # normal points outward
            n = -n
        half = max(3.0, 0.12 * length)
        s = np.linspace(-half, half, int(4 * half) + 1)
        pts = []
        for u in np.linspace(0.15, 0.85, max(8, int(length * 0.7))):
            c = p0 + u * d
            xy = c[None, :] + s[:, None] * n[None, :]
            prof = cv2.remap(g, xy[:, 0:1].astype(np.float32), xy[:, 1:2].astype(np.float32),
                             cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).ravel()
            grad = np.gradient(prof)  # inside (dark) -> outside (light): positive step
            m = int(np.argmax(grad))
            if 0 < m < len(grad) - 1 and grad[m] > 5:
                y0, y1, y2 = grad[m - 1], grad[m], grad[m + 1]
                den = y0 - 2 * y1 + y2
                off = 0.5 * (y0 - y2) / den if den != 0 else 0.0
                pts.append(c + (s[m] + off * (s[1] - s[0])) * n)
        if len(pts) < 5:
            return quad
        pts = np.asarray(pts, np.float32)
        vx, vy, x0, y0 = cv2.fitLine(pts, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0], float), np.array([vx, vy], float)))
    out = []
    for j in range(4):
        (pa, da), (pb, db) = lines[j - 1], lines[j]
        A = np.array([da, -db]).T
        if abs(np.linalg.det(A)) < 1e-6:
            return quad
        tt = np.linalg.solve(A, pb - pa)
        out.append(pa + tt[0] * da)
    out = np.asarray(out)
    if np.max(np.linalg.norm(out - quad, axis=1)) > 3.0:  # refinement went astray
        return quad
    return out


# --------------------------------------------------------------------------- sticker
#: A sticker's outline may stray from its fitted ellipse by this fraction of the radius
#: (90th percentile of the contour's points), plus 0.6 px of quantisation: a drawn disc of
#: radius 5 / 8 / 15 px strays 12 / 6 / 3 %, a square 15 % (its corners), a square with
#: corners rounded by blur 11-13 %.
STICKER_ROUNDNESS = 0.03


#: A sticker's mean (in the channel it was found in) must stand this many pooled standard
#: deviations from the ring around it.
STICKER_CONTRAST = 4.0
#: Smallest sticker diameter (full-resolution px): below it a pixel of the outline is more
#: than 5 % of the scale, and noise blobs pass for discs.
STICKER_MIN_PX = 20.0


def _blob_contrast(chan, contour, diameter) -> float:
    """``|mean inside - mean around| / pooled s.d.`` of ``chan`` for the blob ``contour``
    (around: a ring from 2 px to 0.3 diameters + 3 px outside it, never empty)."""
    x, y, w, h = cv2.boundingRect(contour)
    pad = int(round(0.3 * diameter)) + 3
    y0, x0 = max(y - pad, 0), max(x - pad, 0)
    box = chan[y0:y + h + pad, x0:x + w + pad].astype(np.float32)
    inside = np.zeros(box.shape, np.uint8)
    cv2.drawContours(inside, [contour - [x0, y0]], -1, 1, -1)
    near = cv2.dilate(inside, np.ones((5, 5), np.uint8)).astype(bool)
    ring = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pad + 1,) * 2)).astype(bool) & ~near
    a, b = box[inside.astype(bool)], box[ring]
    if a.size < 4 or b.size < 4:
        return 0.0
    return float(abs(a.mean() - b.mean()) / max(np.sqrt(0.5 * (a.var() + b.var())), 1.0))


def _ellipse_deviation(contour, centre, axes, angle_deg) -> float:
    """90th percentile of ``|r - 1|`` over the points of ``contour``, ``r`` their radius in
    the frame of the ellipse ``(centre, axes, angle_deg)`` of ``cv2.fitEllipse`` (1 on it).

    >>> t = np.linspace(0, 2 * np.pi, 200)
    >>> c = np.stack([50 + 20 * np.cos(t), 40 + 10 * np.sin(t)], 1)
    >>> round(_ellipse_deviation(c, (50, 40), (40, 20), 0.0), 6)
    0.0
    """
    p = np.asarray(contour, np.float64).reshape(-1, 2) - np.asarray(centre, np.float64)
    a = np.radians(angle_deg)
    u = p[:, 0] * np.cos(a) + p[:, 1] * np.sin(a)
    v = -p[:, 0] * np.sin(a) + p[:, 1] * np.cos(a)
    r = np.hypot(u / (0.5 * axes[0]), v / (0.5 * axes[1]))
    return float(np.percentile(np.abs(r - 1.0), 90))


def _find_sticker(image, *, marker_mm=None, **_):
    if marker_mm is None:
        raise InputError("marker_mm is required for method='sticker': pass the sticker's diameter in mm, e.g. marker_mm=10.")
    marker_mm = check_positive(marker_mm, "marker_mm")
    rgb = to_uint8(image)
    k = min(1.0, 1600.0 / max(rgb.shape[:2]))
    small = rgb if k == 1.0 else cv2.resize(rgb, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    short = min(small.shape[:2])
    min_d, max_d = max(STICKER_MIN_PX * k, 0.01 * short), 0.35 * short
    best = None
    for chan in (lab[..., 0], hsv[..., 1], lab[..., 1], lab[..., 2]):
        t, _ = cv2.threshold(chan, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        for binary in (chan > t, chan <= t):
            b = binary.astype(np.uint8)
            b = cv2.morphologyEx(b, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
            contours, _ = cv2.findContours(b, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
            for c in contours:
                if len(c) < 20:
                    continue
                area = cv2.contourArea(c)
                if area < np.pi * (min_d / 2) ** 2 or area > np.pi * (max_d / 2) ** 2:
                    continue
                (cx, cy), (ma, mi), ang = cv2.fitEllipse(c)
                if min(ma, mi) <= 0 or min(ma, mi) / max(ma, mi) < 0.5:
                    continue
                ell = np.pi * ma * mi / 4
                hull = cv2.contourArea(cv2.convexHull(c))
                misfit = abs(area - ell) / ell + (1 - area / max(hull, 1e-9))
                # a square (a colour chart's patch) has nearly an ellipse's area: its
                # outline must also follow the ellipse, within a pixel of quantisation
                if _ellipse_deviation(c, (cx, cy), (ma, mi), ang) > STICKER_ROUNDNESS + 0.6 / (0.5 * min(ma, mi)):
                    continue
                # a printed sticker stands out from what surrounds it; a blob of noise in
                # a dark background or a shadow does not
                if _blob_contrast(chan, c, 0.5 * (ma + mi)) < STICKER_CONTRAST:
                    continue
                if best is None or misfit < best[0]:
                    best = (misfit, (cx, cy), (ma, mi), ang, c)
    if best is None or best[0] > 0.06:
        return _not_found("sticker", "no round sticker-like blob found")
    misfit, (cx, cy), (ma, mi), ang, c = best
    # refine at full resolution: sub-pixel ellipse from edge points of the full image
    ma_f, mi_f = ma / k, mi / k
    mm_per_px = marker_mm / np.sqrt(ma_f * mi_f)
    tilt = float(np.degrees(np.arccos(np.clip(min(ma, mi) / max(ma, mi), 0, 1))))
    pts = ((c.reshape(-1, 2).astype(np.float64) + 0.5) / k - 0.5).astype(np.float32)
    return Scale(float(mm_per_px), "sticker", float(misfit), "round sticker (ellipse fit)", pts, tilt)


def _given(image, *, mm_per_px=None, **_):
    if mm_per_px is None:
        raise InputError("mm_per_px is required for method='given', e.g. mm_per_px=0.1.")
    return Scale(check_positive(mm_per_px, "mm_per_px"), "given", 0.0, "given by the user")


def _auto(image, **kw):
    if kw.get("mm_per_px") is not None:
        return _given(image, **kw)
    reasons = []
    for name in ("aruco", "sticker"):
        if kw.get("marker_mm") is None:
            return _not_found("auto", "marker_mm is needed to use a marker or sticker")
        s = _FINDERS[name](image, **kw)
        if s:
            return s
        reasons.append(s.reason)
    return _not_found("auto", "; ".join(reasons))


_FINDERS = {"aruco": _find_aruco, "sticker": _find_sticker, "given": _given, "auto": _auto}
#: Names accepted by ``find_scale(method=...)``.
SCALE_METHODS = tuple(_FINDERS)


def find_scale(
    image,
    *,
    method: str = "aruco",
    marker_mm: float | None = None,
    mm_per_px: float | None = None,
    dictionary: str = "DICT_4X4_50",
    marker_id: int | None = None,
) -> Scale:
    """Millimetres per pixel from a reference object in the photo.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), :class:`vasi.Photo` or path
        RGB photo (uint8, uint16 or float in [0, 1]).
    method : {"aruco", "sticker", "given", "auto"}, keyword-only
        Which reference to look for (see the module docstring).
    marker_mm : float, optional
        Printed side length of the ArUco marker (outer black square) or diameter of the
        sticker, in mm. Required for ``"aruco"`` and ``"sticker"``.
    mm_per_px : float, optional
        The pixel size for ``method="given"``.
    dictionary : str, keyword-only
        ArUco dictionary name (``cv2.aruco.DICT_*``).
    marker_id : int, optional
        Use only this marker id (default: the largest marker found).

    Returns
    -------
    Scale
        Falsy (``mm_per_px`` None, with ``reason``) when nothing was found.

    Examples
    --------
    >>> import cv2
    >>> d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    >>> img = np.full((300, 300, 3), 255, np.uint8)
    >>> img[50:150, 100:200] = cv2.aruco.generateImageMarker(d, 7, 100)[..., None]
    >>> s = find_scale(img, method="aruco", marker_mm=20.0)
    >>> round(s.mm_per_px, 3), bool(find_scale(np.zeros((50, 50, 3), np.uint8), marker_mm=20))
    (0.2, False)
    """
    image = image_and_scale(image)[0]  # (an array, a Photo or a path)
    method = check_choice(method, tuple(_FINDERS), "method")
    if marker_id is not None and not (is_number(marker_id, whole=True) and marker_id >= 0):
        raise InputError(f"marker_id must be a whole number >= 0 (the ArUco id printed on the "
                         f"marker); got {marker_id!r}.")
    marker_id = None if marker_id is None else int(marker_id)
    return _FINDERS[method](
        image, marker_mm=marker_mm, mm_per_px=mm_per_px, dictionary=dictionary, marker_id=marker_id
    )


def resolve_scale(photo, *, mm_per_px: float | None = None,
                  marker_mm: float | None = None) -> tuple[float | None, str]:
    """Pixel size of a photo and where it came from, in order of precedence: the user's
    ``mm_per_px``, the photo's metadata (:class:`vasi.io.Photo`), or measured on the marker
    of printed size ``marker_mm`` in the frame (ArUco marker, else round sticker:
    ``find_scale(method="auto")``).

    Parameters
    ----------
    photo : vasi.io.Photo or ndarray, shape (H, W, 3)
        The photo (an array has no metadata).
    mm_per_px, marker_mm : float, optional, keyword-only
        Known pixel size (mm); printed marker side or sticker diameter (mm).

    Returns
    -------
    (float or None, str)
        ``mm_per_px`` and its source: ``"given"``, ``"metadata"``, ``"aruco"``,
        ``"sticker"``, or ``"none: <why>"`` with mm_per_px None.

    Examples
    --------
    >>> resolve_scale(np.zeros((50, 50, 3), np.uint8), mm_per_px=0.1)
    (0.1, 'given')
    >>> resolve_scale(np.zeros((50, 50, 3), np.uint8))
    (None, 'none: no mm_per_px or marker_mm given')
    """
    if mm_per_px is not None:
        return check_positive(mm_per_px, "mm_per_px"), "given"
    if (stored := stored_scale(photo)) is not None:
        return stored, "metadata"
    meta = getattr(getattr(photo, "meta", None), "mm_per_px", None)
    why = ("no mm_per_px or marker_mm given" if meta is None else
           f"the photo's stored pixel size ({meta!r}) is not usable")
    if marker_mm is None:
        return None, f"none: {why}"
    s = find_scale(getattr(photo, "image", photo), method="auto", marker_mm=marker_mm)
    return (s.mm_per_px, s.method) if s else (None, f"none: {s.reason}")


# --------------------------------------------------------------------------- plausibility
#: Plausible size of an assessed region, ``sqrt(area)`` in mm: a face's F-VASI area (a
#: child's to an adult's, ~70-180 mm) and a body site (a finger to a whole trunk), with room.
#: A region the user drew may be as small as one lesion: only its upper bound applies.
PLAUSIBLE_REGION_MM = {"face": (40.0, 400.0), "body": (10.0, 2500.0)}


def scale_flags(site: str, mm_per_px: float | None, assessed_px: int, *,
                user_region: bool = False) -> tuple[str, ...]:
    """``("implausible scale: ...",)`` when at ``mm_per_px`` the assessed region of
    ``assessed_px`` pixels would be implausibly large or small for ``site`` (``"face"``,
    else a body site; ``PLAUSIBLE_REGION_MM``; a ``user_region`` is only checked for being
    too large): a wrong ``mm_per_px`` or marker size. Else ``()``.

    >>> scale_flags("face", 0.1, 1_500_000), scale_flags("face", None, 1_500_000)
    ((), ())
    >>> scale_flags("face", 40.0, 60_000)
    ('implausible scale: at 40 mm per px the face region would be 980 cm across; check mm_per_px or the marker size',)
    >>> scale_flags("face", 0.01, 100_000, user_region=True)
    ()
    """
    if not mm_per_px or assessed_px <= 0:
        return ()
    what = "face" if site == "face" else "body"
    lo, hi = PLAUSIBLE_REGION_MM[what]
    size_mm = float(np.sqrt(assessed_px)) * mm_per_px
    if (user_region or lo <= size_mm) and size_mm <= hi:
        return ()
    cm = size_mm / 10.0
    across = f"{cm:.0f}" if cm >= 10 else f"{cm:.2g}"
    return (f"implausible scale: at {mm_per_px:g} mm per px the {what} region would be {across} cm "
            "across; check mm_per_px or the marker size",)


def usable_scale(site: str, mm_per_px: float | None, assessed_px: int, *,
                 user_region: bool = False) -> tuple[float | None, tuple[str, ...]]:
    """``(mm_per_px, ())``, or ``(None, flags)`` when :func:`scale_flags` finds the scale
    implausible: the analysis then runs without it (the segmentation's millimetre-based
    smoothing and minimum patch size would follow a wrong scale; F-VASI needs none).

    >>> usable_scale("face", 0.1, 1_500_000), usable_scale("face", 40.0, 60_000)[0]
    ((0.1, ()), None)
    """
    flags = scale_flags(site, mm_per_px, assessed_px, user_region=user_region)
    return (None if flags else mm_per_px), flags


# --------------------------------------------------------------------------- marker cards
#: Markers are looked for on a copy whose long side is at most this many px (a 20-mm
#: marker in a face photo is then ~50 px wide, well above ArUco's ~20 px floor).
MARKER_SEARCH_SIDE = 1000
#: Adaptive-threshold windows of that search (min, max, step px): two (5 and 21 px, for
#: small and large markers) rather than OpenCV's three; every marker of the development
#: photos is still found, at ~70 % of the time.
MARKER_WINDOWS = (5, 21, 16)
#: The white card around a marker is looked for up to this many marker sides beyond its
#: outer black border (printed cards leave a margin of ~0.1-0.5 side).
CARD_REACH = 0.6
#: A card pixel is within this many robust SDs of the paper colour (the median of the
#: marker's own white modules) in each channel of OpenCV's 8-bit CIELAB (L* x 2.55, a*, b*),
#: and at least within ``CARD_MIN_DE / sqrt(3)`` per channel.
CARD_DIST = 4.0
CARD_MIN_DE = 10.0


def marker_boxes(image, *, dictionary: str = "DICT_4X4_50") -> list[tuple[slice, slice, np.ndarray]]:
    """Where the ArUco marker cards in a photo are: one ``(rows, cols, mask)`` per marker.

    A calibration marker is not skin, and its white card looks exactly like depigmented
    skin; every marker found is returned with the card around it, so the assessed region
    can leave them out. The card is the paper-coloured skin-free area connected to the
    marker (within ``CARD_REACH`` marker sides of its border), the paper colour being the
    marker's own white modules: any card width, lighting and Wood's lamp tint.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        RGB photo (uint8, uint16 or float in [0, 1]).
    dictionary : str, keyword-only
        ArUco dictionary name (``cv2.aruco.DICT_*``).

    Returns
    -------
    list of (slice, slice, ndarray of bool)
        Full-resolution row and column slices of each card's bounding box and the card's
        mask inside it (px). Empty when there is no marker.

    Examples
    --------
    >>> import cv2
    >>> d = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    >>> img = np.full((300, 300, 3), (190, 140, 110), np.uint8)          # skin
    >>> img[40:160, 90:210] = 250                                          # white card
    >>> img[50:150, 100:200] = cv2.aruco.generateImageMarker(d, 7, 100)[..., None]
    >>> (rows, cols, card), = marker_boxes(img)
    >>> ys, xs = np.nonzero(card)           # the 120 x 120 card and one pixel of blur
    >>> ys.min() + rows.start, ys.max() + rows.start, xs.min() + cols.start, xs.max() + cols.start
    (np.int64(39), np.int64(160), np.int64(89), np.int64(210))
    """
    _check_dictionary(dictionary)
    arr = to_uint8(image)
    H, W = arr.shape[:2]
    s = max(1, int(np.ceil(max(H, W) / MARKER_SEARCH_SIDE)))
    if min(H, W) < 6 * s:  # (a strip: no room for a marker's 6 cells; cv2.resize failed on it)
        return []
    # decimation (every s-th pixel): a marker is crisp, and this is ~10x cheaper than a
    # strided copy or an area average of a 12-MP photo
    small = arr if s == 1 else cv2.resize(arr, None, fx=1.0 / s, fy=1.0 / s,
                                          interpolation=cv2.INTER_NEAREST)
    corners, ids = _aruco_detect(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), dictionary,
                                 cv2.aruco.CORNER_REFINE_NONE, MARKER_WINDOWS)
    if ids is None or len(ids) == 0:
        return []
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = small.shape[:2]
    out = []
    for quad in corners:
        q = quad.reshape(4, 2).astype(np.float32)
        side = float(np.sqrt(max(_poly_area(q), 1.0)))
        reach = CARD_REACH * side + 2
        x0, y0 = np.maximum(np.floor(q.min(0) - reach), 0).astype(int)
        x1, y1 = np.minimum(np.ceil(q.max(0) + reach) + 1, (w, h)).astype(int)
        inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(inside, np.round(q - (x0, y0)).astype(np.int32), 1)
        sub = lab[y0:y1, x0:x1]
        L = sub[..., 0][inside > 0]
        white = inside.astype(bool) & (sub[..., 0] > 0.5 * (L.min() + L.max()))
        paper = np.median(sub[white], axis=0)
        sd = 1.4826 * np.median(np.abs(sub[white] - paper), axis=0)
        tol = np.maximum(CARD_DIST * sd, CARD_MIN_DE / np.sqrt(3))
        near = (np.abs(sub - paper) <= tol).all(axis=2) | (inside > 0)
        # the card: paper-coloured pixels connected to the marker, one pixel of blur added
        n, cc = cv2.connectedComponents(near.astype(np.uint8), connectivity=8)
        ids_in = np.unique(cc[inside > 0])
        card = np.isin(cc, ids_in[ids_in > 0]).astype(np.uint8)
        card = cv2.dilate(card, np.ones((3, 3), np.uint8))
        # small pixel j covers full pixels [j s, (j + 1) s); the last row / column of the
        # small image also covers the photo's remainder (H, W not multiples of s)
        rows = slice(int(y0) * s, H if y1 == h else min(H, int(y1) * s))
        cols = slice(int(x0) * s, W if x1 == w else min(W, int(x1) * s))
        full = cv2.resize(card, ((x1 - x0) * s, (y1 - y0) * s), interpolation=cv2.INTER_NEAREST)
        nh, nw = rows.stop - rows.start, cols.stop - cols.start
        full = np.pad(full, ((0, max(0, nh - full.shape[0])), (0, max(0, nw - full.shape[1]))),
                      mode="edge")
        out.append((rows, cols, full[:nh, :nw] > 0))
    return out
