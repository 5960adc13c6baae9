"""Register a follow-up photo to the baseline photo of the same site.

A :class:`Registration` holds the 3x3 homography that maps **baseline pixels to follow-up
pixels** (full resolution, ``(x, y, 1)`` column vectors, ``x`` = column), its quality
(matches, inliers, inlier ratio, residual in px and mm, ECC correlation, the decomposed
scale / rotation / shear), and warps images and masks both ways:

* :meth:`Registration.warp` -- a follow-up image or mask into baseline coordinates;
* :meth:`Registration.warp_to_followup` -- a baseline image or mask into follow-up coordinates.

Failure is a value (``DESIGN.md``): a failed registration is **falsy** and carries
``.reason`` (too few inliers, inliers bunched in one corner, implausible scale or shear,
too much perspective, high residual, no common marker ...). It never raises on a bad pair and
its ``warp`` refuses to run, so a series is never scored on a wrong alignment.

Methods (``method=``):

``"features"``
    Keypoints (ORB or SIFT, see below) on a contrast-normalised (CLAHE) grey image at a
    working resolution of about 1000 px on the long side, Lowe ratio test, USAC-MAGSAC homography (seeded, so the
    same inputs give the same numbers), plausibility checks, then ECC refinement that is kept
    only when it improves the correlation and stays close to the feature estimate.
    Keypoints are ORB (~10x cheaper than SIFT) when ORB finds a strongly supported
    homography, SIFT otherwise (``detector=``). For a series, :func:`prepare` the baseline
    once: its working images and keypoints are then reused for every follow-up.
``"ecc"``
    Coarse-to-fine intensity alignment (ECC) from the identity; small motions only.
``"marker"``
    ArUco markers found in both photos (matched by id); their corners give the homography
    (a similarity when only one marker is shared). A marker's pose is exact at the marker
    only, so it is the prior of a guided alignment (below; keypoints on the marker cards left
    out) when that passes the checks, else refined by ECC; one shared marker that neither
    confirms is refused (its four corners put skin a hand-width away 1-12 mm off).
``"guided"``
    Needs ``initial=``, a prior baseline -> follow-up homography (e.g. through an
    intermediate visit, :func:`register_via`): SIFT keypoints of the baseline are matched
    among the follow-up keypoints within ``guided_radius`` (3 % of the follow-up's working
    long side) of where the prior puts them -- a keypoint with at least two candidates
    there and passing the ratio test among them, each follow-up keypoint matched once --
    then the homography and every check of ``"features"``. Repeated look-alikes far away
    (other islands, other patches) no longer hide the true match.
``"auto"`` (default)
    ``"features"``; when that fails and both photos show a common ArUco marker, ``"marker"``.

The homography arithmetic and warps are in :mod:`vasi.register_geometry`, the ECC
refinement and the correlations that accept or reject an alignment in
:mod:`vasi.register_quality`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from scipy.spatial import cKDTree
from skimage.transform import SimilarityTransform

from ._validate import check_choice, check_mask, check_max_side, check_positive, to_uint8
from .errors import InputError, VasiError
from .io import image_and_scale
from .register_geometry import (
    _apply,
    _convex_cover,
    _decompose,
    _mean_scale,
    _resize_mask,
    _scale_matrix,
    _shrink,
    _to_full,
    _to_work,
    _usac_params,
    _warp,
    transform_error_px,
)
from .register_quality import _corr, _ecc, _texture_corr

__all__ = ["Registration", "register", "register_via", "prepare", "PreparedPhoto",
           "REGISTRATION_METHODS", "transform_error_px"]

log = logging.getLogger("vasi")

#: Plausibility limits of a follow-up pose relative to baseline (defaults of :func:`register`).
DEFAULT_LIMITS = {
    "min_inliers": 25,
    "min_inlier_ratio": 0.10,
    "min_coverage": 0.04,
    "scale_range": (0.6, 1.6),
    "max_anisotropy": 1.25,
    "max_perspective": 0.25,
    "max_residual_px": 3.0,
    "min_marker_corr": 0.3,
    "min_content_corr": 0.3,
    "guided_radius": 0.03,
}


@dataclass(frozen=True)
class Registration:
    """Result of :func:`register`: a baseline -> follow-up homography and its quality.

    Falsy when registration failed (then ``reason`` says why and :meth:`warp` refuses).

    Attributes
    ----------
    transform : ndarray, shape (3, 3), float64, or None
        Homography mapping baseline pixel ``(x, y, 1)`` to follow-up pixel coordinates, at
        full resolution. Present (the rejected estimate) even on some failures, for debugging.
    baseline_shape, followup_shape : tuple of int
        ``(H, W)`` of the two photos.
    ok : bool
        Whether the registration is trusted.
    reason : str
        Why it failed ("" when ``ok``).
    method : str
        Method that produced the transform (``"features"``, ``"ecc"``, ``"marker"``,
        ``"guided"``).
    n_matches, n_inliers : int
        Putative correspondences and RANSAC inliers (marker corners for an alignment on
        markers alone).
    inlier_ratio : float
        ``n_inliers / n_matches``.
    residual_px : float
        Median reprojection error of the inliers, in full-resolution pixels.
    residual_mm : float or None
        ``residual_px * mm_per_px`` when the pixel size is known.
    coverage : float
        Area of the inliers' convex hull over the assessed area (0-1): well-spread evidence.
    ecc : float or None
        ECC correlation coefficient after refinement (1 = identical up to gain/offset).
    scale, rotation_deg, anisotropy, perspective : float
        Decomposition of the transform around the baseline centre: mean scale, rotation in
        degrees, ratio of the two singular values (1 = no shear), and the largest change of
        the projective denominator over the image (0 = affine).
    mm_per_px : float or None
        Baseline pixel size used for ``residual_mm``.
    details : dict
        Extra method-specific numbers (e.g. whether ECC was kept).
    """

    transform: np.ndarray | None
    baseline_shape: tuple
    followup_shape: tuple
    ok: bool
    reason: str = ""
    method: str = "features"
    n_matches: int = 0
    n_inliers: int = 0
    inlier_ratio: float = 0.0
    residual_px: float = float("nan")
    residual_mm: float | None = None
    coverage: float = 0.0
    ecc: float | None = None
    scale: float = float("nan")
    rotation_deg: float = float("nan")
    anisotropy: float = float("nan")
    perspective: float = float("nan")
    mm_per_px: float | None = None
    details: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.ok)

    def __repr__(self) -> str:
        if not self.ok:
            return f"Registration(failed: {self.reason!r}, method={self.method!r})"
        mm = f", residual_mm={self.residual_mm:.3f}" if self.residual_mm is not None else ""
        return (
            f"Registration(ok, method={self.method!r}, inliers={self.n_inliers}/"
            f"{self.n_matches}, residual_px={self.residual_px:.3f}{mm}, scale={self.scale:.3f}, "
            f"rotation_deg={self.rotation_deg:.2f})"
        )

    # ------------------------------------------------------------------ warping
    def _require(self):
        if not self.ok or self.transform is None:
            raise VasiError(
                f"registration failed ({self.reason}); refusing to warp on a wrong alignment. "
                "Check `if reg:` before warping, or register with another method=."
            )

    def warp(self, data, *, interpolation: str = "auto", fill=0) -> np.ndarray:
        """Map a follow-up image, mask or label image into baseline coordinates.

        Parameters
        ----------
        data : ndarray, shape (Hf, Wf) or (Hf, Wf, C)
            Follow-up image (any dtype cv2 can warp), bool mask, or integer labels.
        interpolation : {"auto", "linear", "cubic", "nearest"}, keyword-only
            ``"auto"``: bilinear for images and bool masks (re-thresholded at 0.5, so
            borders stay sub-pixel accurate), nearest for 2-D integer arrays (label images
            and 0/255 masks, uint8 included: no label is blended with its neighbours; a
            single-channel photo as a 2-D array needs ``"linear"``).
            ``"cubic"``: bicubic for images (bilinear for bool masks), clipped to the
            input's range; bilinear resampling at a fractional shift averages neighbours
            and blurs details of 1-3 px (a 2-px pigmented island, already softened by the
            optics, can rise above the half-way level), so measure a warped photo warped
            with ``"cubic"`` (``track_series`` does, in linear light).
        fill : scalar, keyword-only
            Value outside the follow-up frame (``False`` for masks).

        Returns
        -------
        ndarray, shape (Hb, Wb[, C])
            Same dtype as ``data``.

        Examples
        --------
        >>> H = np.array([[1.0, 0, 3], [0, 1, 0], [0, 0, 1]])  # follow-up = baseline shifted 3 px right
        >>> reg = Registration(H, (8, 8), (8, 8), True)
        >>> m = np.zeros((8, 8), bool); m[2:4, 5:7] = True
        >>> np.argwhere(reg.warp(m))[:, 1].tolist()
        [2, 3, 2, 3]
        """
        self._require()
        return _warp(data, self.transform, self.followup_shape, self.baseline_shape,
                     inverse=True, interpolation=interpolation, fill=fill)

    def warp_to_followup(self, data, *, interpolation: str = "auto", fill=0) -> np.ndarray:
        """Map a baseline image, mask or label image into follow-up coordinates.

        Same parameters as :meth:`warp`; ``data`` has the baseline's ``(Hb, Wb)`` and the
        result the follow-up's ``(Hf, Wf)``.

        Examples
        --------
        >>> H = np.array([[1.0, 0, 3], [0, 1, 0], [0, 0, 1]])
        >>> reg = Registration(H, (8, 8), (8, 8), True)
        >>> m = np.zeros((8, 8), bool); m[2, 1] = True
        >>> np.argwhere(reg.warp_to_followup(m)).tolist()
        [[2, 4]]
        """
        self._require()
        return _warp(data, self.transform, self.baseline_shape, self.followup_shape,
                     inverse=False, interpolation=interpolation, fill=fill)

    def valid_mask(self) -> np.ndarray:
        """Baseline pixels that the follow-up photo covers, ``(Hb, Wb)`` bool.

        Examples
        --------
        >>> H = np.array([[1.0, 0, 3], [0, 1, 0], [0, 0, 1]])
        >>> int(Registration(H, (8, 8), (8, 8), True).valid_mask().sum())
        40
        """
        self._require()
        ones = np.ones(self.followup_shape, np.uint8)
        out = _warp(ones, self.transform, self.followup_shape, self.baseline_shape,
                    inverse=True, interpolation="nearest", fill=0)
        return out > 0

    def to_dict(self) -> dict:
        """Quality numbers as a flat dict (prefix-free; for tables and JSON).

        >>> Registration(None, (4, 4), (4, 4), False, "too few inliers").to_dict()["ok"]
        False
        """
        return {
            "ok": bool(self.ok),
            "reason": self.reason,
            "method": self.method,
            "n_matches": int(self.n_matches),
            "n_inliers": int(self.n_inliers),
            "inlier_ratio": float(self.inlier_ratio),
            "residual_px": float(self.residual_px),
            "residual_mm": None if self.residual_mm is None else float(self.residual_mm),
            "coverage": float(self.coverage),
            "ecc": None if self.ecc is None else float(self.ecc),
            "scale": float(self.scale),
            "rotation_deg": float(self.rotation_deg),
            "anisotropy": float(self.anisotropy),
            "perspective": float(self.perspective),
        }


# ---------------------------------------------------------------------- prepared photos
#: Feature detectors by name (``detector=`` of :func:`register`): keypoints per photo and the
#: descriptor norm. ORB (binary) costs ~1/10 of SIFT; SIFT is the fallback of ``"auto"``.
_ORB_N = 1500
#: ECC refinement stages: (resolution divisor of the working image, iterations, blur px).
_ECC_STAGES = ((1, 10, 5),)
_DETECTORS = {
    "orb": (lambda: cv2.ORB_create(nfeatures=_ORB_N, scaleFactor=1.2, nlevels=8, edgeThreshold=21,
                                   patchSize=21, fastThreshold=5), cv2.NORM_HAMMING),
    "sift": (lambda: cv2.SIFT_create(nfeatures=3000, contrastThreshold=0.01), cv2.NORM_L2),
}


class PreparedPhoto:
    """A photo prepared for registration, so its work is done once per series.

    Build it with :func:`prepare`; pass it to :func:`register` as ``baseline`` (or
    ``followup``) as often as needed: the working-resolution grey images, the region and the
    keypoints/descriptors (per detector, computed on first use) are reused. The full
    photo is not kept.

    Attributes
    ----------
    shape : tuple of int
        Full-resolution ``(H, W)`` of the photo.
    rgb : ndarray, shape (h, w, 3), uint8
        The photo at working resolution.
    grey, raw : ndarray, shape (h, w), uint8
        Contrast-normalised (CLAHE) grey for features; plain grey for ECC and the checks.
    scale : (float, float)
        Working px per full-resolution px along x and y (``x_w = (x + 0.5) * s - 0.5``).
    roi : ndarray of bool, shape (h, w), or None
        Where evidence is looked for, at working resolution.
    max_side : int
        Working resolution (long side, px).
    """

    def __init__(self, shape, rgb, scale, roi, max_side):
        self.shape = tuple(int(v) for v in shape)
        self.rgb = rgb
        self.raw = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        self.grey = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8)).apply(self.raw)
        self.scale = (float(scale[0]), float(scale[1]))
        self.roi = roi
        self.max_side = int(max_side)
        self._features = {}
        self._half = None
        self._dog = {}  # band-passed working images (texture check), by band

    def __repr__(self) -> str:
        return (f"PreparedPhoto(shape={self.shape}, working={self.raw.shape}, "
                f"roi={'yes' if self.roi is not None else 'no'})")

    def features(self, detector: str):
        """Keypoint positions (n, 2) float32 at working resolution and their descriptors."""
        if detector not in self._features:
            make, _ = _DETECTORS[detector]
            mask = None if self.roi is None else cv2.dilate(self.roi.astype(np.uint8),
                                                            np.ones((15, 15), np.uint8))
            kp, desc = make().detectAndCompute(self.grey, mask)
            pts = np.float32([k.pt for k in kp]).reshape(-1, 2)
            self._features[detector] = (pts, desc)
        return self._features[detector]

    def half(self):
        """Plain grey and region at half the working resolution (for ECC), cached."""
        if self._half is None:
            h, w = self.raw.shape
            g = cv2.resize(self.raw[:h // 2 * 2, :w // 2 * 2], (w // 2, h // 2),
                           interpolation=cv2.INTER_AREA)
            r = None if self.roi is None else _resize_mask(self.roi[:h // 2 * 2, :w // 2 * 2],
                                                           g.shape)
            self._half = (g, r)
        return self._half


def prepare(image, *, roi=None, max_side: int = 1000) -> PreparedPhoto:
    """Prepare a photo once for many :func:`register` calls (e.g. the baseline of a series).

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), vasi.Photo, path or bytes
        RGB photo (uint8, uint16 or float in [0, 1]) or a photo file (see
        :func:`vasi.read_photo`).
    roi : ndarray of bool, shape (H, W), keyword-only, optional
        Where to look for evidence (the assessed skin); ``None`` = everywhere.
    max_side : int, keyword-only
        Working resolution (long side, px); must match ``max_side`` of :func:`register`.

    Returns
    -------
    PreparedPhoto

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = cv2.GaussianBlur((rng.random((240, 320, 3)) * 255).astype(np.uint8), (5, 5), 0)
    >>> ref = prepare(base)
    >>> H = np.array([[1.0, 0, 6.0], [0, 1.0, -4.0], [0, 0, 1]])
    >>> regs = [register(ref, cv2.warpPerspective(base, H, (320, 240))) for _ in range(2)]
    >>> [np.round(r.transform[:2, 2]).tolist() for r in regs]
    [[6.0, -4.0], [6.0, -4.0]]
    """
    max_side = check_max_side(max_side)
    if isinstance(image, PreparedPhoto):
        if roi is not None or max_side != image.max_side:  # (they were silently ignored)
            raise InputError(f"image is already prepared (max_side {image.max_side}, its region "
                             "set then); prepare the photo itself to change them.")
        return image
    img = image_and_scale(image)[0]
    rgb = img if img.dtype == np.uint8 else to_uint8(img)
    small, s = _shrink(rgb, int(max_side))
    r = None if roi is None else _resize_mask(check_mask(roi, img.shape[:2], "roi"),
                                              small.shape[:2])
    return PreparedPhoto(img.shape[:2], np.ascontiguousarray(small), s, r, int(max_side))


# ---------------------------------------------------------------------- methods
class _Ctx:
    """Everything a method needs, prepared once."""

    def __init__(self, pb: PreparedPhoto, pf: PreparedPhoto, mm_per_px, limits, refine,
                 aruco_dictionary, detector):
        self.pb, self.pf = pb, pf
        self.shape_b, self.shape_f = pb.shape, pf.shape
        # CLAHE grey for features; plain grey for ECC (global gain/offset model)
        self.grey_b, self.raw_b, self.sb = pb.grey, pb.raw, pb.scale
        self.grey_f, self.raw_f, self.sf = pf.grey, pf.raw, pf.scale
        self.roi_b, self.roi_f = pb.roi, pf.roi
        self.mm_per_px = mm_per_px
        self.limits = limits
        self.refine = refine
        self.aruco_dictionary = aruco_dictionary
        self.detector = detector
        self.area_b = float(self.roi_b.sum()) if self.roi_b is not None else float(self.grey_b.size)
        self.warps = {}  # follow-up warps of this pair (see _warp_valid)
        self.initial = None  # prior working homography of method "guided"

    def result(self, ok, reason, method, Hw=None, **kw):
        H = None if Hw is None else _to_full(Hw, self.sb, self.sf)
        extra = {}
        if H is not None:
            scale, rot, aniso, persp, _ = _decompose(H, self.shape_b)
            extra = {"scale": scale, "rotation_deg": rot, "anisotropy": aniso, "perspective": persp}
        res_px = kw.pop("residual_px", float("nan"))
        res_mm = res_px * self.mm_per_px if (self.mm_per_px and np.isfinite(res_px)) else None
        return Registration(H, tuple(self.shape_b), tuple(self.shape_f), ok, reason, method,
                            residual_px=res_px, residual_mm=res_mm, mm_per_px=self.mm_per_px,
                            **extra, **kw)

    def plausible(self, Hw):
        """Reason the working-resolution homography is implausible, or ''."""
        lim = self.limits
        if Hw is None or not np.all(np.isfinite(Hw)):
            return "no transform could be estimated"
        H = _to_full(Hw, self.sb, self.sf)
        scale, rot, aniso, persp, det = _decompose(H, self.shape_b)
        lo, hi = lim["scale_range"]
        if det <= 0:
            return "transform mirrors the image (degenerate)"
        # the pose's scale in pixels, or relative to the frames' sizes: a follow-up from a
        # camera with more pixels frames the site alike at another pixel scale
        frame = max(self.shape_f) / max(self.shape_b)
        if not (lo <= scale <= hi or lo <= scale / frame <= hi):
            ratio = f", or that times the photos' size ratio {frame:.2f}" if frame != 1 else ""
            return f"implausible scale {scale:.2f} (allowed {lo}-{hi}{ratio})"
        if aniso > lim["max_anisotropy"]:
            return f"implausible shear/anisotropy {aniso:.2f} (max {lim['max_anisotropy']})"
        if persp > lim["max_perspective"]:
            return f"implausible perspective {persp:.2f} (max {lim['max_perspective']})"
        return ""

    def refine_ecc(self, Hw):
        """ECC refinement kept only when it improves correlation and stays near Hw.

        Runs the stages of ``_ECC_STAGES`` (resolution divisor, iterations, blur); the
        default is one stage at the working resolution, at most 10 iterations, on the
        template's region box only (a divisor 2 stage, 4x cheaper, left the ECC unkept on
        half of the benchmark pairs and the median residual at 0.15 mm instead of 0.05 mm).
        The correlations that decide whether to keep it are measured at the first stage's
        resolution.
        """
        if not self.refine:
            return Hw, None, {"ecc_kept": False}
        big = max(self.raw_b.shape) >= 700 and max(self.raw_f.shape) >= 700
        stages = [st for st in _ECC_STAGES if st[0] == 1 or big]
        H1 = Hw
        rho0 = rho1 = None
        for k, (lev, iters, blur) in enumerate(stages):
            if lev == 2:
                (gb, mb), (gf, mf) = self.pb.half(), self.pf.half()
            else:
                gb, mb, gf, mf = self.raw_b, self.roi_b, self.raw_f, self.roi_f
            S = _scale_matrix(1.0 / lev)
            Si = np.linalg.inv(S)
            Hl = S @ H1 @ Si
            Hl /= Hl[2, 2]
            if k == 0:
                # ECC on a mildly smoothed grey image, restricted to the baseline region
                rho0 = _corr(gb, gf, Hl, mb, cache=self.pb._dog, memo=self.warps)
                g0 = (gb, gf, mb, S)
            H1l, _ = _ecc(gb, gf, Hl, mb, mf, iterations=iters, blur=blur)
            if H1l is None:
                if k == 0:
                    return Hw, rho0, {"ecc_kept": False, "ecc_reason": "did not converge"}
                break
            H1 = Si @ H1l @ S
            H1 /= H1[2, 2]
        gb, gf, mb, S = g0
        H1l = S @ H1 @ np.linalg.inv(S)
        rho1 = _corr(gb, gf, H1l / H1l[2, 2], mb, cache=self.pb._dog, memo=self.warps)
        hh, ww = self.grey_b.shape
        move = transform_error_px(H1, Hw, (hh, ww), mask=self.roi_b,
                                  step=max(8, max(hh, ww) // 40))
        shift = float(np.nanmax(move)) if move.size else 0.0
        if np.isfinite(rho1) and (not np.isfinite(rho0) or rho1 >= rho0) and shift <= 4.0 \
                and not self.plausible(H1):
            return H1, rho1, {"ecc_kept": True, "ecc_shift_px": shift}
        return Hw, rho0, {"ecc_kept": False, "ecc_shift_px": shift}


def _match(ctx: _Ctx, detector: str):
    """Ratio-test matches between baseline and follow-up: (src, dst) working px, or None."""
    pb, db = ctx.pb.features(detector)
    pf, df = ctx.pf.features(detector)
    if db is None or df is None or len(pb) < 8 or len(pf) < 8:
        return None, (len(pb), len(pf))
    knn = cv2.BFMatcher(_DETECTORS[detector][1]).knnMatch(db, df, k=2)
    good = [m[0] for m in knn if len(m) == 2 and m[0].distance < 0.8 * m[1].distance]
    q = np.array([m.queryIdx for m in good], int)
    t = np.array([m.trainIdx for m in good], int)
    return (pb[q].reshape(-1, 2), pf[t].reshape(-1, 2)), (len(pb), len(pf))


def _guided_match(ctx: _Ctx, Hw0, radius: float, exclude=(None, None)):
    """Matches of baseline SIFT keypoints among the follow-up ones within ``radius`` working
    px of where the working homography ``Hw0`` puts them: (src, dst) working px, or None.

    A prior removes the far-away look-alikes (other islands, other patches) that fail the
    global ratio test; but it also makes any pair look matched, so the evidence is kept as
    strict as the global matching's: a keypoint counts only when it has at least two
    candidates and passes the ratio test among them (a lone candidate says nothing), each
    follow-up keypoint is matched at most once (its best match), and keypoints inside the
    ``exclude`` masks (baseline, follow-up; e.g. marker cards, identical in every photo)
    are left out."""
    pb, db = ctx.pb.features("sift")
    pf, df = ctx.pf.features("sift")
    if db is None or df is None or len(pb) < 8 or len(pf) < 8:
        return None, (len(pb), len(pf))
    keep_b, keep_f = (_outside(pts, m) for pts, m in zip((pb, pf), exclude, strict=True))
    near = cKDTree(pf).query_ball_point(_apply(Hw0, pb), float(radius))
    best = {}  # follow-up keypoint -> (descriptor distance, baseline keypoint)
    for a, cand in enumerate(near):
        cand = [c for c in cand if keep_f[c]]
        if len(cand) < 2 or not keep_b[a]:
            continue
        d = np.linalg.norm(df[cand] - db[a], axis=1)
        o = np.argsort(d, kind="stable")
        if d[o[0]] >= 0.8 * d[o[1]]:
            continue
        t = cand[o[0]]
        if t not in best or d[o[0]] < best[t][0]:
            best[t] = (float(d[o[0]]), a)
    if not best:
        return None, (len(pb), len(pf))
    pairs = sorted((a, t) for t, (_, a) in best.items())
    src = np.float32([pb[a] for a, _ in pairs]).reshape(-1, 2)
    dst = np.float32([pf[t] for _, t in pairs]).reshape(-1, 2)
    return (src, dst), (len(pb), len(pf))


def _outside(pts, mask) -> np.ndarray:
    """Which of the (n, 2) working-px points lie outside ``mask`` (all when it is None)."""
    if mask is None:
        return np.ones(len(pts), bool)
    h, w = mask.shape
    x = np.clip(np.round(pts[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(pts[:, 1]).astype(int), 0, h - 1)
    return ~mask[y, x]


#: ``detector="auto"`` trusts an ORB alignment only with this much support (inliers, inlier
#: ratio); weaker ones are redone with SIFT. True pairs of skin photos give ORB 100-1000
#: inliers at ratios 0.5-0.95; look-alike photos of *different* people (same synthetic
#: face, same site) reach ~40 inliers at ratios ~0.2, which SIFT then refuses.
_ORB_TRUST = (60, 0.35)


def _features(ctx: _Ctx) -> Registration:
    """ORB first (fast); SIFT when ORB fails or is weakly supported (``detector="auto"``)."""
    if ctx.detector != "auto":
        return _features_with(ctx, ctx.detector)
    reg = _features_with(ctx, "orb")
    if reg and reg.n_inliers >= _ORB_TRUST[0] and reg.inlier_ratio >= _ORB_TRUST[1]:
        return reg
    return _features_with(ctx, "sift")


def _features_with(ctx: _Ctx, detector: str) -> Registration:
    pairs, (nb, nf) = _match(ctx, detector)
    return _verified(ctx, pairs, nb, nf, "features")


def _guided(ctx: _Ctx, Hw0, method: str, details=None, exclude=(None, None)) -> Registration:
    """SIFT matches near the prior ``Hw0`` (working px; the radius is ``guided_radius`` of
    the follow-up's working long side), then the checks of ``"features"``."""
    radius = ctx.limits["guided_radius"] * max(ctx.grey_f.shape)
    pairs, (nb, nf) = _guided_match(ctx, Hw0, radius, exclude)
    return _verified(ctx, pairs, nb, nf, method, {**(details or {}), "guided_radius_px": radius})


def _cards(shape, quads) -> np.ndarray:
    """Mask of marker quads (working px) grown to twice their size about their centres:
    the marker and the card around it."""
    out = np.zeros(shape, np.uint8)
    for q in quads:
        c = q.mean(0)
        cv2.fillConvexPoly(out, np.round(c + 2.0 * (q - c)).astype(np.int32), 1)
    return out.astype(bool)


def _verified(ctx: _Ctx, pairs, nb: int, nf: int, method: str, extra=None) -> Registration:
    """Homography from putative matches and every check a feature alignment must pass."""
    lim = ctx.limits
    if pairs is None:
        return ctx.result(False, f"too few keypoints ({nb} baseline, {nf} follow-up): "
                          "photo too smooth, blurred or dark", method)
    src, dst = pairs
    n = len(src)
    if n < lim["min_inliers"]:
        return ctx.result(False, f"too few feature matches ({n} < {lim['min_inliers']}): "
                          "not the same site, or too different", method, n_matches=n)
    Hw, inl = cv2.findHomography(src, dst, _usac_params(lim["max_residual_px"]))
    if Hw is None or inl is None:
        return ctx.result(False, "no consistent homography among the matches", method,
                          n_matches=n)
    inl = inl.ravel().astype(bool)
    n_in = int(inl.sum())
    ratio = n_in / n
    cover = _convex_cover(src[inl], ctx.area_b)
    common = {"n_matches": n, "n_inliers": n_in, "inlier_ratio": ratio, "coverage": cover}
    if n_in < lim["min_inliers"]:
        return ctx.result(False, f"too few inliers ({n_in} < {lim['min_inliers']}): not the same "
                          "site, or too different", method, Hw, **common)
    if ratio < lim["min_inlier_ratio"]:
        return ctx.result(False, f"inlier ratio {ratio:.2f} below {lim['min_inlier_ratio']}",
                          method, Hw, **common)
    if cover < lim["min_coverage"]:
        return ctx.result(False, f"inliers cover only {100 * cover:.1f} % of the region "
                          f"(min {100 * lim['min_coverage']:.0f} %): alignment unsupported",
                          method, Hw, **common)
    why = ctx.plausible(Hw)
    if why:
        return ctx.result(False, why, method, Hw, **common)
    Hr, rho, info = ctx.refine_ecc(Hw)
    tex = _texture_corr(ctx, Hr, ctx.roi_b)
    info = {**info, "texture_corr": tex, **(extra or {})}
    if np.isfinite(tex) and tex < lim["min_content_corr"]:
        return ctx.result(False, f"features agree but the aligned photos do not (texture "
                          f"correlation {tex:.2f} < {lim['min_content_corr']}): not the same site",
                          method, Hr, ecc=rho, details=info, **common)
    err_w = np.linalg.norm(_apply(Hr, src[inl]) - dst[inl], axis=1)
    res_w = float(np.median(err_w))
    res_px = res_w / _mean_scale(ctx.sf)
    if res_w > lim["max_residual_px"]:
        return ctx.result(False, f"residual {res_w:.2f} working px too high (max_residual_px "
                          f"{lim['max_residual_px']}, at the working resolution; {res_px:.2f} "
                          "px in the photo)",
                          method, Hr, residual_px=res_px, ecc=rho, details=info, **common)
    return ctx.result(True, "", method, Hr, residual_px=res_px, ecc=rho, details=info,
                      **common)


def _ecc_only(ctx: _Ctx) -> Registration:
    """Coarse-to-fine ECC from identity (scale-corrected for different sizes)."""
    Hw = np.eye(3)
    levels = [4, 2, 1]
    rho = float("nan")
    for lev in levels:
        gb = cv2.resize(ctx.raw_b, None, fx=1 / lev, fy=1 / lev, interpolation=cv2.INTER_AREA)
        gf = cv2.resize(ctx.raw_f, None, fx=1 / lev, fy=1 / lev, interpolation=cv2.INTER_AREA)
        m = None if ctx.roi_b is None else _resize_mask(ctx.roi_b, gb.shape)
        mf = None if ctx.roi_f is None else _resize_mask(ctx.roi_f, gf.shape)
        S = _scale_matrix(1 / lev)
        Hl = S @ Hw @ np.linalg.inv(S)
        motion = "affine" if lev > 1 else "homography"
        H1, rho = _ecc(gb, gf, Hl / Hl[2, 2], m, mf, iterations=100, motion=motion)
        if H1 is None:
            return ctx.result(False, "ECC did not converge (motion too large for method='ecc'; "
                              "use method='features')", "ecc")
        Hw = np.linalg.inv(S) @ H1 @ S
        Hw /= Hw[2, 2]
    why = ctx.plausible(Hw)
    if why:
        return ctx.result(False, why, "ecc", Hw, ecc=rho)
    if not np.isfinite(rho) or rho < 0.6:
        return ctx.result(False, f"ECC correlation {rho:.2f} too low (min 0.6)", "ecc", Hw, ecc=rho)
    return ctx.result(True, "", "ecc", Hw, ecc=rho, residual_px=float("nan"), coverage=1.0)


def _detect_markers(grey, dictionary):
    d = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary))
    det = cv2.aruco.ArucoDetector(d, cv2.aruco.DetectorParameters())
    corners, ids, _ = det.detectMarkers(grey)
    if ids is None:
        return {}
    return {int(i): c.reshape(4, 2) for i, c in zip(ids.ravel(), corners, strict=True)}


def _marker(ctx: _Ctx) -> Registration:
    if not hasattr(cv2.aruco, str(ctx.aruco_dictionary)):
        raise InputError(f"aruco_dictionary must name a cv2.aruco dictionary such as "
                         f"'DICT_4X4_50'; got {ctx.aruco_dictionary!r}.")
    mb = _detect_markers(ctx.grey_b, ctx.aruco_dictionary)
    mf = _detect_markers(ctx.grey_f, ctx.aruco_dictionary)
    common = sorted(set(mb) & set(mf))
    if not common:
        return ctx.result(False, f"no common ArUco marker ({len(mb)} in baseline, {len(mf)} in "
                          "follow-up)", "marker")
    src = np.concatenate([mb[i] for i in common]).astype(np.float32)
    dst = np.concatenate([mf[i] for i in common]).astype(np.float32)
    if len(common) == 1:
        Hw = _similarity(src, dst)
    else:
        Hw, _ = cv2.findHomography(src, dst, 0)
    why = ctx.plausible(Hw)
    n = len(src)
    if why:
        return ctx.result(False, why, "marker", Hw, n_matches=n, n_inliers=n, inlier_ratio=1.0)
    # the marker is exact at the marker only (its pose from four close corners tilts the
    # plane far from it by millimetres): features matched near where it puts them refine it
    guided = _guided(ctx, Hw, "marker", {"markers": common},
                     exclude=(_cards(ctx.grey_b.shape, [mb[i] for i in common]),
                              _cards(ctx.grey_f.shape, [mf[i] for i in common])))
    if guided:
        return guided
    Hr, rho, info = ctx.refine_ecc(Hw)
    err = np.linalg.norm(_apply(Hr, src) - dst, axis=1)
    res_px = float(np.median(err)) / _mean_scale(ctx.sf)
    cover = _convex_cover(src, ctx.area_b)
    # a marker says where the *marker* is, not whose skin this is: verify the content
    content = ctx.roi_b.copy() if ctx.roi_b is not None else np.ones(ctx.grey_b.shape, bool)
    for i in common:
        cv2.fillConvexPoly(content.view(np.uint8), np.round(mb[i]).astype(np.int32), 0)
    rho_c = _texture_corr(ctx, Hr, content)
    if not np.isfinite(rho_c) or rho_c < ctx.limits["min_marker_corr"]:
        return ctx.result(False, f"markers align but the photos do not (texture correlation "
                          f"{rho_c:.2f} < "
                          f"{ctx.limits['min_marker_corr']}): not the same site", "marker", Hr,
                          n_matches=n, n_inliers=n, inlier_ratio=1.0, ecc=rho_c)
    if len(common) == 1 and not info["ecc_kept"]:
        # four corners a few mm apart fix the skin a hand-width away only roughly: 1.1-11.5
        # (median 3.1) mm error over the region on 24 development pairs (seeds 720000-720011)
        return ctx.result(False, f"one marker aligns but neither features ({guided.reason}) "
                          "nor ECC confirm it over the skin: a single marker's pose is exact "
                          "at the marker only", "marker", Hr, n_matches=n, n_inliers=n,
                          inlier_ratio=1.0, ecc=rho, details={**info, "markers": common})
    return ctx.result(True, "", "marker", Hr, n_matches=n, n_inliers=n, inlier_ratio=1.0,
                      residual_px=res_px, ecc=rho, coverage=cover,
                      details={**info, "markers": common})


def _auto(ctx: _Ctx) -> Registration:
    reg = _features(ctx)
    if reg:
        return reg
    mk = _marker(ctx)
    if mk:
        return mk
    return reg


#: Smallest side (px, at working resolution) of a photo that can be registered.
MIN_SIDE = 16
#: Registration methods by name (``method=`` of :func:`register`).
REGISTRATION_METHODS = {"auto": _auto, "features": _features, "ecc": _ecc_only, "marker": _marker,
                        "guided": lambda ctx: _guided(ctx, ctx.initial, "guided")}


def _roi_pair(roi, shape_b, shape_f):
    if roi is None:
        return None, None
    if isinstance(roi, (tuple, list)):
        if len(roi) != 2:
            raise InputError("roi must be a mask or a (baseline_roi, followup_roi) pair; got a "
                             f"sequence of length {len(roi)}.")
        rb = None if roi[0] is None else check_mask(roi[0], shape_b, "roi[0]")
        rf = None if roi[1] is None else check_mask(roi[1], shape_f, "roi[1]")
        return rb, rf
    return check_mask(roi, shape_b, "roi"), None


def _prepared(item, roi, max_side, name):
    if isinstance(item, PreparedPhoto):
        if roi is not None:
            raise InputError(f"{name} is a PreparedPhoto with its own region; pass its roi to "
                             "prepare() and None here.")
        if item.max_side != max_side:
            raise InputError(f"{name} was prepared with max_side={item.max_side} but is used "
                             f"with max_side={max_side}. Use the same value.")
        return item
    return prepare(item, roi=roi, max_side=max_side)


def _check_homography(H, name: str) -> np.ndarray:
    """``H`` as a 3 x 3 float homography (scaled to ``H[2, 2] == 1`` when it can be), or the
    InputError that names what is wrong with it."""
    H = np.asarray(H, dtype=float)
    fix = "pass the .transform of a successful Registration (baseline px -> follow-up px)"
    if H.shape != (3, 3):
        raise InputError(f"{name} must be a 3 x 3 homography; got shape {H.shape}: {fix}.")
    if not np.all(np.isfinite(H)):
        raise InputError(f"{name} has NaN or infinite entries: {fix}.")
    n = float(np.linalg.norm(H))
    if n == 0 or abs(np.linalg.det(H / n)) < 1e-12:
        raise InputError(f"{name} is singular (it maps the image onto a line or a point): "
                         f"{fix}.")
    return H / H[2, 2] if abs(H[2, 2]) > 1e-12 * n else H / n


def _similarity(src, dst):
    """Least-squares similarity (Umeyama, no random sampling) mapping ``src`` to ``dst``
    points (e.g. one marker's four corners), as a 3 x 3 matrix; None when the points do not
    determine one (all in one place)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if hasattr(SimilarityTransform, "from_estimate"):  # scikit-image >= 0.26
        fit = SimilarityTransform.from_estimate(src, dst)
        return np.asarray(fit.params, np.float64) if fit else None
    fit = SimilarityTransform()
    return np.asarray(fit.params, np.float64) if fit.estimate(src, dst) else None


def register(
    baseline,
    followup,
    *,
    method: str = "auto",
    roi=None,
    mm_per_px: float | None = None,
    max_side: int = 1000,
    refine: bool = True,
    aruco_dictionary: str = "DICT_4X4_50",
    detector: str = "auto",
    initial=None,
    **limits,
) -> Registration:
    """Align a follow-up photo to the baseline photo of the same site.

    Parameters
    ----------
    baseline, followup : ndarray, shape (H, W, 3), vasi.Photo, path, bytes or PreparedPhoto
        RGB photos (uint8, uint16 or float in [0, 1]) or photo files (see
        :func:`vasi.read_photo`); sizes may differ. A
        :class:`PreparedPhoto` from :func:`prepare` (with its region) is reused as is: prepare
        the baseline once to register many follow-ups to it.
    method : {"auto", "features", "ecc", "marker", "guided"}, keyword-only
        See the module docstring.
    roi : ndarray of bool, or (baseline_roi, followup_roi), keyword-only, optional
        Where to look for evidence (the assessed skin plus a margin); ``None`` = everywhere.
        A single mask applies to the baseline. The coverage check is relative to it. A
        prepared photo already carries its region (give ``None`` for its side).
    mm_per_px : float, optional
        Baseline pixel size, for ``residual_mm`` (default: the baseline photo file's own,
        if it states one).
    max_side : int, keyword-only
        Working resolution (long side, px) for feature detection and ECC.
    refine : bool, keyword-only
        Refine the feature/marker homography by ECC (kept only if it improves). Without
        it one shared marker is confirmed by guided features or not at all.
    aruco_dictionary : str, keyword-only
        ``cv2.aruco`` dictionary name for ``method="marker"`` / ``"auto"``.
    detector : {"auto", "orb", "sift"}, keyword-only
        Keypoints for ``method="features"`` / ``"auto"``: ``"auto"`` trusts ORB (fast) when
        it is strongly supported (>= 60 inliers at an inlier ratio >= 0.35) and otherwise
        decides with SIFT (slower, better localised, the reference method).
    initial : ndarray, shape (3, 3), keyword-only, optional
        Prior baseline -> follow-up homography (full-resolution px) for ``method="guided"``
        (and only for it).
    **limits
        Override plausibility limits: ``min_inliers`` (25), ``min_inlier_ratio`` (0.10),
        ``min_coverage`` (0.04, fraction of the region spanned by the inliers' hull),
        ``scale_range`` ((0.6, 1.6): the pose's scale in pixels, or relative to the ratio
        of the photos' long sides -- a camera with more pixels frames the site alike),
        ``max_anisotropy`` (1.25), ``max_perspective`` (0.25),
        ``max_residual_px`` (3.0, at working resolution; also the RANSAC threshold),
        ``min_marker_corr`` (0.3: median tile correlation of band-passed texture that a
        marker alignment must reach outside the markers, so a marker seen in two different
        patients' photos is not trusted; true pairs score 0.6-1, other skin about 0),
        ``min_content_corr`` (0.3: the same check for feature alignments -- look-alike
        photos of different people can share a few consistent features), ``guided_radius``
        (0.03: search radius of ``"guided"`` matching, a fraction of the follow-up's
        working long side).

    Returns
    -------
    Registration
        Truthy with the homography (baseline px -> follow-up px) and quality; falsy with
        ``.reason`` when the pair cannot be aligned trustworthily (a photo under ``MIN_SIDE``
        = 16 px a side at working resolution too). Never raises for a bad pair.

    Raises
    ------
    vasi.InputError
        A bad argument (shape, dtype, option name).
    vasi.PhotoError
        A photo given as a file that cannot be read.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> import cv2
    >>> base = cv2.GaussianBlur((rng.random((240, 320, 3)) * 255).astype(np.uint8), (5, 5), 0)
    >>> H = np.array([[1.0, 0, 6.0], [0, 1.0, -4.0], [0, 0, 1]])
    >>> follow = cv2.warpPerspective(base, H, (320, 240))
    >>> reg = register(base, follow)
    >>> bool(reg), np.round(reg.transform[:2, 2]).tolist()
    (True, [6.0, -4.0])
    >>> other = cv2.GaussianBlur((rng.random((240, 320, 3)) * 255).astype(np.uint8), (5, 5), 0)
    >>> bool(register(base, other))
    False
    """
    check_choice(method, tuple(sorted(REGISTRATION_METHODS)), "method")
    check_choice(detector, ("auto", *_DETECTORS), "detector")
    mm_per_px = check_positive(mm_per_px, "mm_per_px", allow_none=True)
    unknown = set(limits) - set(DEFAULT_LIMITS)
    if unknown:
        raise InputError(f"unknown registration option(s) {sorted(unknown)}; valid: "
                         f"{sorted(DEFAULT_LIMITS)}.")
    lim = {**DEFAULT_LIMITS, **limits}
    if method == "guided" and initial is None:
        raise InputError("method='guided' needs initial=, a prior baseline -> follow-up "
                         "homography (e.g. through an intermediate visit: register_via).")
    if initial is not None and method != "guided":
        raise InputError(f"initial= is used by method='guided' only; got method={method!r}.")
    if initial is not None:
        initial = _check_homography(initial, "initial")
    max_side = check_max_side(max_side)
    if not isinstance(baseline, PreparedPhoto):
        baseline, meta_mm = image_and_scale(baseline, "baseline")
        mm_per_px = mm_per_px or meta_mm  # the file's own, as segment and score_photo do
    if not isinstance(followup, PreparedPhoto):
        followup = image_and_scale(followup, "followup")[0]
    shape_b, shape_f = baseline.shape[:2], followup.shape[:2]
    rb, rf = _roi_pair(roi, shape_b[:2], shape_f[:2])
    pb = _prepared(baseline, rb, int(max_side), "baseline")
    pf = _prepared(followup, rf, int(max_side), "followup")
    ctx = _Ctx(pb, pf, mm_per_px, lim, bool(refine), aruco_dictionary, detector)
    if initial is not None:
        ctx.initial = _to_work(initial, pb.scale, pf.scale)
    small = [f"{name} {p.raw.shape[0]}x{p.raw.shape[1]} px" for name, p in
             (("baseline", pb), ("follow-up", pf)) if min(p.raw.shape) < MIN_SIDE]
    # (a strip or a thumbnail: cv2.resize failed on its half or quarter size)
    reg = (ctx.result(False, f"photo too small to register ({', '.join(small)} at working "
                             f"resolution; at least {MIN_SIDE} px a side)", method) if small
           else REGISTRATION_METHODS[method](ctx))
    if not reg:
        log.info("registration failed: %s", reg.reason)
    return reg


def register_via(
    baseline,
    intermediate,
    followup,
    to_intermediate: Registration,
    *,
    method: str = "auto",
    mm_per_px: float | None = None,
    max_side: int = 1000,
    refine: bool = True,
    detector: str = "auto",
    **limits,
) -> Registration:
    """Align a follow-up to the baseline through a visit already aligned to it.

    When the lesions change a lot between the baseline and a late follow-up (strong
    repigmentation, a Wood's lamp photo where the lesions are most of what is seen), the two
    share too few features, but visits close in time still share many. The follow-up is
    registered to the ``intermediate`` photo, that transform is composed with
    ``to_intermediate`` (baseline -> intermediate), and the composition serves only as a prior:
    baseline features are matched among the follow-up features near where it puts them, and
    the alignment passes every check of a direct one against the *baseline* (method
    ``"guided"``): that check bounds, but does not remove, an error carried along a chain
    of visits (one development trunk at 1 mm per pixel, aligned through a visit that was
    itself aligned through another, came out 2.1 mm off).

    Parameters
    ----------
    baseline, intermediate, followup : ndarray, vasi.Photo, path, bytes or PreparedPhoto
        The three photos (see :func:`register`). To look for evidence in the assessed skin
        only, pass them through :func:`prepare` with their regions.
    to_intermediate : Registration
        A successful registration of ``baseline`` to ``intermediate`` (their sizes).
    method : {"auto", "features", "ecc", "marker"}, keyword-only
        How the follow-up is registered to the intermediate photo (the step against the
        baseline is always ``"guided"``).
    mm_per_px, max_side, refine, detector, **limits
        As for :func:`register` (``detector`` applies to the link; guided matching uses
        SIFT).

    Returns
    -------
    Registration
        Method ``"guided"`` (``details["link_inliers"]``: inliers of the intermediate ->
        follow-up link); falsy with the reason when the link or the verification fails.

    Raises
    ------
    vasi.InputError
        ``to_intermediate`` is not a successful registration of photos of these sizes, or
        a bad argument.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> import cv2
    >>> base = cv2.GaussianBlur((rng.random((240, 320, 3)) * 255).astype(np.uint8), (5, 5), 0)
    >>> move = lambda dx: np.array([[1.0, 0, dx], [0, 1.0, 0], [0, 0, 1]])
    >>> mid, late = (cv2.warpPerspective(base, move(d), (320, 240)) for d in (2.0, 5.0))
    >>> reg = register_via(base, mid, late, register(base, mid))
    >>> reg.method, np.round(reg.transform[:2, 2]).tolist()
    ('guided', [5.0, 0.0])
    """
    if not isinstance(to_intermediate, Registration) or not to_intermediate:
        raise InputError("to_intermediate must be a successful Registration of the baseline "
                         "to the intermediate photo (register(baseline, intermediate)); got "
                         f"{to_intermediate!r}.")
    for name in ("roi", "initial"):
        if name in limits:
            raise InputError(f"register_via takes no {name}=: pass the photos through "
                             "prepare(photo, roi=region) to look for evidence in a region; "
                             "the prior is made from the two registrations.")
    if not isinstance(method, str) or method == "guided" or method not in REGISTRATION_METHODS:
        raise InputError(f"method (the intermediate -> follow-up link) must be one of "
                         f"{sorted(set(REGISTRATION_METHODS) - {'guided'})}; got {method!r}.")
    if not isinstance(baseline, PreparedPhoto):
        baseline, meta_mm = image_and_scale(baseline, "baseline")
        mm_per_px = mm_per_px or meta_mm  # the file's own, as register does
    kw = dict(max_side=int(max_side), refine=refine, detector=detector, **limits)
    pb = _prepared(baseline, None, int(max_side), "baseline")
    pm = _prepared(intermediate, None, int(max_side), "intermediate")
    pf = _prepared(followup, None, int(max_side), "followup")
    if (tuple(to_intermediate.baseline_shape), tuple(to_intermediate.followup_shape)) != \
            (pb.shape, pm.shape):
        raise InputError(f"to_intermediate registers a {to_intermediate.baseline_shape} photo "
                         f"to a {to_intermediate.followup_shape} one, but the baseline is "
                         f"{pb.shape} and the intermediate {pm.shape}: pass the registration "
                         "of these two photos.")
    link = register(pm, pf, method=method, **kw)
    if not link:
        return Registration(None, pb.shape, pf.shape, False,
                            f"the follow-up does not align to the intermediate photo "
                            f"({link.reason})", "guided")
    reg = register(pb, pf, method="guided", initial=link.transform @ to_intermediate.transform,
                   mm_per_px=mm_per_px, **kw)
    return replace(reg, details={**reg.details, "link_inliers": int(link.n_inliers)})
