"""Colour: CIE Lab / ITA helpers, colour-chart detection and colour normalisation.

:func:`normalize` makes white balance and exposure consistent between photos. The best
anchor is a colour chart in the frame (``method="chart"``: an X-Rite/Calibrite
ColorChecker Classic found with OpenCV's ``cv2.mcc``: a 3x3 matrix in linear RGB fitted
to the chart's published sRGB values, or per-channel gains from its neutral patches,
whichever corrects the chart's patches best out of sample -- or nothing, when neither would
lower the chart's mean CIEDE2000; the error before and after is reported). Without
a chart, robust estimates are available: ``"grey-world"``, ``"white-patch"`` (a high
percentile, not the maximum), and ``"skin"`` (the patient's own normal skin is mapped to a
target colour, e.g. the baseline visit's reference skin -- the most useful anchor between
visits of one patient -- or, without a target and when that skin has a colour cast
(:func:`colour_cast`), to the nearest colour normal skin has (:func:`skin_colour`): the
cast removed with the skin as the probe of the light, as faces are in Bianco & Schettini,
"Color constancy using faces", CVPR 2012). ``"auto"`` uses the chart when one is found and
otherwise leaves the image unchanged (saying so), because on a clinical photo grey-world
and white-patch assume things about the scene that often do not hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np
from skimage import color as _skcolor

from ._validate import check_choice, check_mask, to_float, to_uint8
from .errors import InputError
from .io import image_and_scale

__all__ = [
    "rgb_to_lab",
    "lab_to_rgb",
    "ita_degrees",
    "delta_e",
    "srgb_to_linear",
    "linear_to_srgb",
    "find_chart",
    "Chart",
    "normalize",
    "Normalization",
    "skin_colour",
    "colour_cast",
    "COLORCHECKER_SRGB",
    "NORMALIZE_METHODS",
]

log = logging.getLogger("vasi")

#: ColorChecker Classic 24 patches, sRGB (D65) 8-bit, row by row from "dark skin" to "black"
#: (X-Rite's published values for the post-2014 formulation, as commonly tabulated).
COLORCHECKER_SRGB = np.array(
    [
        [115, 82, 68], [194, 150, 130], [98, 122, 157], [87, 108, 67], [133, 128, 177],
        [103, 189, 170], [214, 126, 44], [80, 91, 166], [193, 90, 99], [94, 60, 108],
        [157, 188, 64], [224, 163, 46], [56, 61, 150], [70, 148, 73], [175, 54, 60],
        [231, 199, 31], [187, 86, 149], [8, 133, 161], [243, 243, 242], [200, 200, 200],
        [160, 160, 160], [122, 122, 121], [85, 85, 85], [52, 52, 52],
    ],
    np.uint8,
)


# --------------------------------------------------------------------------- basics
def _srgb_decode(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


#: Linear value of each 8-bit sRGB code (computed in double precision): a table lookup is
#: ~10x faster than the power law on full-resolution photos.
_LINEAR_FROM_UINT8 = _srgb_decode(np.arange(256, dtype=np.float64) / 255.0)


def srgb_to_linear(rgb) -> np.ndarray:
    """sRGB to linear light (IEC 61966-2-1), float32.

    Floats are sRGB values in [0, 1]; uint8 arrays are 8-bit codes (0-255), converted by
    table lookup (same result as ``srgb_to_linear(rgb / 255)``, much faster).

    >>> srgb_to_linear(np.array([0.0, 0.5, 1.0])).round(3).tolist()
    [0.0, 0.214, 1.0]
    >>> srgb_to_linear(np.array([0, 128, 255], np.uint8)).round(3).tolist()
    [0.0, 0.216, 1.0]
    """
    x = np.asarray(rgb)
    if x.dtype == np.uint8:
        # OpenCV's LUT (~8x numpy's indexing) for images: 2-D, or 2-4 channels (it would
        # drop a single channel's axis)
        if x.size and (x.ndim == 2 or (x.ndim == 3 and 2 <= x.shape[2] <= 4)):
            return cv2.LUT(x, _LINEAR_FROM_UINT8)
        return _LINEAR_FROM_UINT8[x]
    return _srgb_decode(x.astype(np.float32, copy=False))


def linear_to_srgb(lin) -> np.ndarray:
    """Linear light to sRGB in [0, 1] (clipped).

    >>> linear_to_srgb(np.array([0.0, 0.214041, 1.0])).round(3).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.clip(np.asarray(lin, dtype=np.float32), 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055).astype(np.float32)


def rgb_to_lab(image) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB image.

    Returns
    -------
    ndarray, shape (H, W, 3), float32
        L* in [0, 100], a* and b* roughly in [-128, 127].

    Examples
    --------
    >>> lab = rgb_to_lab(np.full((8, 8, 3), 255, np.uint8))
    >>> round(float(lab[0, 0, 0]), 1)
    100.0
    """
    f = np.ascontiguousarray(to_float(image))
    return cv2.cvtColor(f, cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab) -> np.ndarray:
    """sRGB in [0, 1] (float32, clipped) of CIE L*a*b* (D65) values, any shape (..., 3).

    >>> lab_to_rgb(np.array([100.0, 0.0, 0.0])).round(3)
    array([1., 1., 1.], dtype=float32)
    """
    lab = np.asarray(lab, dtype=np.float64)
    out = _skcolor.lab2rgb(lab.reshape(-1, 1, 3)).reshape(lab.shape)
    return np.clip(out, 0, 1).astype(np.float32)


def ita_degrees(lab) -> np.ndarray:
    """Individual typology angle ``ITA = atan2(L* - 50, b*)`` in degrees.

    .. math:: ITA = \\arctan\\left(\\frac{L^* - 50}{b^*}\\right) \\cdot \\frac{180}{\\pi}

    Examples
    --------
    >>> float(ita_degrees(np.array([70.0, 10.0, 20.0])))
    45.0
    """
    lab = np.asarray(lab, dtype=np.float64)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))


def delta_e(lab1, lab2) -> np.ndarray:
    """CIEDE2000 colour difference between Lab arrays of the same shape (..., 3).

    >>> float(delta_e(np.array([50.0, 0, 0]), np.array([50.0, 0, 0])))
    0.0
    """
    return _skcolor.deltaE_ciede2000(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64))


# --------------------------------------------------------------------------- chart
@dataclass(frozen=True)
class Chart:
    """A colour chart found in a photo (falsy when none was found).

    Attributes
    ----------
    rgb : ndarray, shape (24, 3) float32 or None
        Measured mean sRGB in [0, 1] of each patch, in the chart's reference order.
    box : ndarray, shape (4, 2) or None
        x/y corners of the chart in pixels.
    cost : float or None
        Detector's fit cost (lower is better).
    reason : str
        Why nothing was found.
    """

    rgb: np.ndarray | None
    box: np.ndarray | None = None
    cost: float | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.rgb is not None


def find_chart(image) -> Chart:
    """Find a ColorChecker Classic (24 patches) with ``cv2.mcc``.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), :class:`vasi.Photo` or path
        RGB photo.

    Returns
    -------
    Chart
        Falsy with a reason when no chart is found.

    Examples
    --------
    >>> bool(find_chart(np.zeros((60, 80, 3), np.uint8)))
    False
    """
    rgb8 = to_uint8(image_and_scale(image)[0])
    if not hasattr(cv2, "mcc"):
        return Chart(None, reason="cv2.mcc is not available in this OpenCV build")
    k = min(1.0, 1600.0 / max(rgb8.shape[:2]))
    small = rgb8 if k == 1.0 else cv2.resize(rgb8, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    det = cv2.mcc.CCheckerDetector_create()
    try:
        det.setColorChartType(cv2.mcc.MCC24)
        found = det.process(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), 1)
    except cv2.error as exc:  # pragma: no cover - depends on the OpenCV build
        return Chart(None, reason=f"chart detector failed: {exc}")
    if not found:
        return Chart(None, reason="no ColorChecker chart detected")
    charts = det.getListColorChecker()
    if not charts:
        return Chart(None, reason="no ColorChecker chart detected")
    best = min(charts, key=lambda c: c.getCost())
    stats = np.asarray(best.getChartsRGB(), np.float64)  # (72, 5): count, mean, sd, max, min
    if stats.shape[0] != 72:
        return Chart(None, reason="chart detector returned an unexpected patch table")
    means = stats[:, 1].reshape(24, 3) / 255.0  # RGB order, chart reference order
    box = (np.asarray(best.getBox(), np.float64) + 0.5) / k - 0.5
    return Chart(means.astype(np.float32), box.astype(np.float32), float(best.getCost()))


# --------------------------------------------------------------------------- normalize
@dataclass(frozen=True)
class Normalization:
    """Result of :func:`normalize`.

    Attributes
    ----------
    image : ndarray, shape (H, W, 3), float32 in [0, 1]
        The normalised photo (the input, as float, when nothing was applied).
    method : str
        Method used.
    matrix : ndarray, shape (3, 3)
        Applied transform in linear RGB: ``out_lin = in_lin @ matrix.T``.
    delta_e : float or None
        Mean CIEDE2000 of the chart's 24 patches after correction (chart only; clipped
        patches included, as in ``delta_e_before``; in sample: the matrix is fitted to the
        unclipped patches, the gains to the unclipped neutral ones).
    delta_e_before : float or None
        The same before correction.
    reason : str
        What was done, or why nothing was (then the object is falsy).
    applied : bool
        Whether the image was changed (the object's truth value).
    correction : str or None
        Chart only: the correction applied -- ``"matrix"`` (3x3 in linear RGB), ``"gains"``
        (a diagonal, von Kries white balance from the chart's neutral patches) or ``"none"``
        (the photo left unchanged: no fit lowered the chart's error).
    delta_e_loo : dict or None
        Chart only: mean CIEDE2000 of the unclipped patches under each candidate,
        ``{"none": ..., "gains": ..., "matrix": ...}`` (no ``"gains"`` when fewer than two
        neutral patches are unclipped), each patch corrected by a fit to the *other* patches
        (leave-one-out; ``"none"`` fits nothing). The lowest chooses the
        correction (ties: the simpler one): a fit's error on its own patches flatters it --
        nine numbers fitted to two dozen patches follow their noise too.
    """

    image: np.ndarray
    method: str
    matrix: np.ndarray
    delta_e: float | None = None
    delta_e_before: float | None = None
    reason: str = ""
    applied: bool = True
    correction: str | None = None
    delta_e_loo: dict | None = None

    def __bool__(self) -> bool:
        return self.applied


def _apply(lin: np.ndarray, m: np.ndarray) -> np.ndarray:
    out = lin.reshape(-1, 3) @ m.T.astype(np.float32)
    return linear_to_srgb(out.reshape(lin.shape))


#: Indices of the chart's neutral patches (white to black) in ``COLORCHECKER_SRGB``.
CHART_NEUTRALS = tuple(range(18, 24))


def _fit_matrix(meas, ref):
    """3x3 ``M`` with ``ref ~= meas @ M.T`` (least squares in linear RGB)."""
    m, *_ = np.linalg.lstsq(meas, ref, rcond=None)
    return m.T


def _fit_gains(meas, ref):
    """Diagonal ``M``: per-channel gains, least squares through the origin (neutral patches)."""
    return np.diag((meas * ref).sum(axis=0) / np.maximum((meas * meas).sum(axis=0), 1e-12))


def _chart_delta_e(lin, ref_lab):
    """Mean CIEDE2000 of patches in linear RGB (clipped to [0, 1]) against ``ref_lab``."""
    lab = _skcolor.rgb2lab(linear_to_srgb(lin)[None].astype(np.float64))[0]
    return float(np.mean(delta_e(lab, ref_lab)))


def _loo_delta_e(fit, meas, ref, ref_lab, ok, train):
    """Mean CIEDE2000 over the patches ``ok``, each corrected by ``fit`` to the patches of
    ``train`` other than itself (leave-one-out)."""
    errs = []
    for i in ok:
        rest = train[train != i]
        m = fit(meas[rest], ref[rest])
        errs.append(_chart_delta_e(meas[[i]] @ m.T, ref_lab[[i]]))
    return float(np.mean(errs))


def _chart(image, *, chart=None, **_):
    f = to_float(image)
    ch = chart if chart is not None else find_chart(f)
    if not ch:
        return Normalization(f, "chart", np.eye(3), reason=ch.reason, applied=False)
    meas = srgb_to_linear(ch.rgb).astype(np.float64)
    ref = srgb_to_linear(COLORCHECKER_SRGB / 255.0).astype(np.float64)
    # drop clipped patches
    ok = np.flatnonzero((ch.rgb.max(axis=1) < 0.98) & (ch.rgb.min(axis=1) > 0.01))
    if len(ok) < 6:
        return Normalization(f, "chart", np.eye(3), reason="too few unclipped chart patches", applied=False)
    ref_lab = _skcolor.rgb2lab((COLORCHECKER_SRGB / 255.0)[None])[0]
    before = float(np.mean(delta_e(_skcolor.rgb2lab(ch.rgb[None].astype(np.float64))[0], ref_lab)))
    # the candidates judged out of sample: each unclipped patch corrected by a fit to the
    # others. A fit's residual on its own patches flatters it, the more so the more numbers
    # it fits; and a least-squares fit in linear RGB is led by the light patches, so it can
    # raise the chart's CIEDE2000 (a balanced photo whose dark patches it moves)
    loo = {"none": _chart_delta_e(meas[ok], ref_lab[ok])}
    fits = {}
    neutral = ok[np.isin(ok, CHART_NEUTRALS)]
    if len(neutral) >= 2:
        fits["gains"] = _fit_gains(meas[neutral], ref[neutral])
        loo["gains"] = _loo_delta_e(_fit_gains, meas, ref, ref_lab, ok, neutral)
    fits["matrix"] = _fit_matrix(meas[ok], ref[ok])
    loo["matrix"] = _loo_delta_e(_fit_matrix, meas, ref, ref_lab, ok, ok)
    best = min(loo, key=loo.get)  # (ties: the first, the simpler)
    shown = ", ".join(f"{k} {v:.2f}" for k, v in loo.items())
    if best == "none":
        log.info("chart normalisation: no fit lowers the chart's error (leave-one-out mean "
                 "dE2000 %s); image unchanged", shown)
        return Normalization(f, "chart", np.eye(3), before, before, applied=False,
                             correction="none", delta_e_loo=loo,
                             reason=f"ColorChecker, {len(ok)} patches: no fit lowers the chart's "
                                    f"error (leave-one-out mean dE2000 {shown}); image unchanged")
    matrix = fits[best]
    after = _chart_delta_e(meas @ matrix.T, ref_lab)
    out = _apply(srgb_to_linear(f), matrix)
    what = "3x3 matrix" if best == "matrix" else f"gains from its {len(neutral)} neutral patches"
    log.info("chart normalisation (%s): mean dE2000 %.2f -> %.2f (leave-one-out %s)",
             best, before, after, shown)
    return Normalization(out, "chart", matrix, after, before,
                         f"ColorChecker, {len(ok)} patches: {what} (leave-one-out mean dE2000 "
                         f"{shown})", correction=best, delta_e_loo=loo)


def _gains(f: np.ndarray, src_lin, dst_lin, method: str, reason: str) -> Normalization:
    src = np.asarray(src_lin, np.float64)
    if not np.isfinite(src).all() or src.min() < MIN_CHANNEL:  # (gains of NaN or 1e5)
        return _nothing_to_balance(f, method)
    g = np.asarray(dst_lin, np.float64) / src
    m = np.diag(g)
    return Normalization(_apply(srgb_to_linear(f), m), method, m, reason=reason)


#: A channel's mean (linear RGB) below this in the pixels a white balance is taken from is
#: black there (a one-channel or black photo): no gain can be measured.
MIN_CHANNEL = 1e-4


def _nothing_to_balance(f, method: str) -> Normalization:
    return Normalization(f, method, np.eye(3), applied=False, reason=(
        "nothing to balance from: the region is empty or a colour channel is black there"))


def _region(f, roi):
    return np.ones(f.shape[:2], bool) if roi is None else check_mask(roi, f.shape[:2], "roi")


def _grey_world(image, *, roi=None, **_):
    f = to_float(image)
    lin = srgb_to_linear(f)[_region(f, roi)]
    if not len(lin):
        return _nothing_to_balance(f, "grey-world")
    mean = lin.mean(axis=0)
    grey = float(mean.mean())
    return _gains(f, mean, [grey] * 3, "grey-world", "channel means equalised")


def _white_patch(image, *, roi=None, percentile: float = 99.0, **_):
    f = to_float(image)
    lin = srgb_to_linear(f)[_region(f, roi)]
    if not len(lin):
        return _nothing_to_balance(f, "white-patch")
    top = np.percentile(lin, percentile, axis=0)
    return _gains(f, top, [float(top.max())] * 3, "white-patch", f"{percentile:g}th percentile made neutral")


#: A channel at or above this (sRGB, 0-1) is clipped: the sensor's ceiling.
CLIPPED = 0.985
#: Normal skin's colour in a white-balanced photo: blood and melanin keep its a* and b*
#: well above grey on every skin type (the chromameter surveys behind the ITA classes,
#: Chardon et al. 1991, Del Bino et al. 2006). Measured per unit of ``L* + 16`` -- which
#: leaves a colour's a* and b* unchanged by exposure (CIELAB's cube roots) -- normal skin's
#: a* is above ~0.045 and its b* above ~0.13 (the synthetic types I-VI under any exposure
#: of the robustness benchmark, the real faces' recoloured skin; light skin has the lowest
#: b*, dark skin about 0.2 and more). Normal skin found below ``CAST_MIN_A`` or
#: ``CAST_MIN_B`` is grey, bluish or greenish: the photo has a colour cast (a camera white
#: balance set for a warmer light, a blue shade), which the region's skin colours and the
#: depigmentation's hue assume away, or the reference is not skin. A cast on dark skin
#: leaves b* near light skin's and is not told from it by colour. Not judged when the
#: normal skin itself is clipped (its colour washed out by overexposure); the segmentation
#: raises ``vasi.segment.COLOUR_CAST_FLAG`` in visible light only.
CAST_MIN_A = 0.02
CAST_MIN_B = 0.11
#: Skin darker than this L* shows too little colour to white-balance a photo from (a
#: "reference" that dark is more likely background than skin).
SKIN_MIN_L = 15.0


def colour_cast(rgb) -> bool:
    """Whether normal skin of sRGB colour ``rgb`` (3 floats in [0, 1]) is greyer or bluer
    than any skin in a white-balanced photo: CIELAB a* or b* per unit of L* + 16 below
    ``CAST_MIN_A`` / ``CAST_MIN_B`` -- unless a channel is clipped (``CLIPPED``: washed out
    by overexposure, not cast).

    >>> colour_cast((0.80, 0.62, 0.52)), colour_cast((0.62, 0.62, 0.70))
    (False, True)
    """
    rgb = np.asarray(rgb, np.float32)
    if float(rgb.max()) >= CLIPPED:
        return False
    L, a, b = (float(v) for v in rgb_to_lab(rgb[None, None])[0, 0])
    return a < CAST_MIN_A * (L + 16.0) or b < CAST_MIN_B * (L + 16.0)


#: Where :func:`skin_colour` takes skin with a colour cast: CIELAB a* (the red of blood)
#: and b* (the yellow-brown of melanin and carotenoids) per unit of L* + 16 raised to at
#: least these -- about the palest normal skin (fair skin of ITA 60 degrees is about 0.09 /
#: 0.15), well clear of ``CAST_MIN_A`` / ``CAST_MIN_B``. (Robustness benchmark, blue-cast
#: photos of two seed sets: 0.06 / 0.14 left 7 and 6 of 18 failing, 0.07 / 0.16 to 0.10 /
#: 0.22 five and four, before the region's seed window asked for one coherent colour.)
SKIN_MIN_A = 0.07
SKIN_MIN_B = 0.16


def skin_colour(lab) -> tuple:
    """The colour of normal skin nearest to ``lab`` (L*, a*, b*) at the same lightness:
    a* and b* raised to at least ``SKIN_MIN_A`` / ``SKIN_MIN_B`` x (L* + 16), never lowered.
    The target :func:`normalize` ``(method="skin")`` maps a photo's normal skin to when it
    has a colour cast (:func:`colour_cast`) and no ``target_lab`` is given.

    >>> skin_colour((60.0, 1.0, 5.0))  # a blue-grey cast on skin
    (60.0, 5.32, 12.16)
    >>> skin_colour((60.0, 12.0, 18.0))  # skin colour already
    (60.0, 12.0, 18.0)
    """
    L, a, b = (float(v) for v in lab)
    return (L, round(max(a, SKIN_MIN_A * (L + 16.0)), 4), round(max(b, SKIN_MIN_B * (L + 16.0)), 4))


def _skin(image, *, roi=None, reference=None, target_lab=None, **_):
    f = to_float(image)
    if reference is not None:
        ref = check_mask(reference, f.shape[:2], "reference")
    else:
        from .reference import reference_skin  # local: reference imports color

        ref = reference_skin(f, roi=_region(f, roi))
    if ref.sum() < 16:
        return Normalization(f, "skin", np.eye(3), reason="too little reference skin", applied=False)
    src = np.median(srgb_to_linear(f)[ref], axis=0)
    reason = "normal skin mapped to target_lab"
    if target_lab is None:
        src_rgb = linear_to_srgb(src.astype(np.float32))
        src_lab = rgb_to_lab(src_rgb[None, None])[0, 0]
        if not colour_cast(src_rgb):
            return Normalization(f, "skin", np.eye(3), reason="normal skin has a skin colour; unchanged",
                                 applied=False)
        if src_lab[0] < SKIN_MIN_L:
            return Normalization(f, "skin", np.eye(3), applied=False,
                                 reason=f"normal skin too dark (L* {src_lab[0]:.0f}) to balance the photo from")
        target_lab = skin_colour(src_lab)
        reason = "normal skin moved to the nearest normal skin colour (a colour cast removed)"
    dst = srgb_to_linear(lab_to_rgb(np.asarray(target_lab, np.float64)))
    return _gains(f, src, dst, "skin", reason)


def _none(image, **_):
    return Normalization(to_float(image), "none", np.eye(3), reason="unchanged", applied=False)


def _auto(image, **kw):
    res = _chart(image, **kw)
    if res or res.correction is not None:  # (a chart found: its result says what was done)
        return res
    f = to_float(image)
    return Normalization(f, "none", np.eye(3), reason=f"{res.reason}; image unchanged", applied=False)


_METHODS = {
    "auto": _auto,
    "chart": _chart,
    "grey-world": _grey_world,
    "white-patch": _white_patch,
    "skin": _skin,
    "none": _none,
}
#: Names accepted by ``normalize(method=...)``.
NORMALIZE_METHODS = tuple(_METHODS)


def normalize(
    image,
    *,
    method: str = "auto",
    roi=None,
    reference=None,
    target_lab=None,
    chart: Chart | None = None,
) -> Normalization:
    """White balance and exposure normalisation.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), :class:`vasi.Photo` or path
        RGB photo (uint8, uint16 or float in [0, 1]).
    method : {"auto", "chart", "grey-world", "white-patch", "skin", "none"}, keyword-only
        See the module docstring.
    roi : ndarray of bool, shape (H, W), optional
        Pixels the grey-world / white-patch / skin statistics are taken from.
    reference : ndarray of bool, shape (H, W), optional
        Normal-skin pixels for ``"skin"`` (default: estimated inside ``roi``).
    target_lab : sequence of 3 floats, optional
        L*, a*, b* the normal skin is mapped to (``"skin"``). Default: when the normal skin
        has a colour cast (:func:`colour_cast`), the nearest normal skin colour
        (:func:`skin_colour`); else (or when the skin is darker than ``SKIN_MIN_L``) the
        image is left as it is.
    chart : Chart, optional
        A chart already found with :func:`find_chart`.

    Returns
    -------
    Normalization
        ``.image`` float32 RGB in [0, 1]; falsy (image unchanged) when the method could
        not be applied, e.g. no chart found, or a chart found but no correction of it
        lowers its error out of sample (``correction == "none"``; ``delta_e_loo`` has
        the numbers).

    Examples
    --------
    >>> img = np.zeros((10, 10, 3), np.float32); img[...] = (0.5, 0.4, 0.3)
    >>> out = normalize(img, method="grey-world").image
    >>> bool(np.ptp(out[0, 0]) < 1e-3)
    True
    >>> normalize(img).reason
    'no ColorChecker chart detected; image unchanged'
    """
    image = image_and_scale(image)[0]  # (an array, a Photo or a path)
    method = check_choice(method, tuple(_METHODS), "method")
    if target_lab is not None:
        lab = np.asarray(target_lab, dtype=object).ravel()
        try:
            lab = lab.astype(float) if lab.size == 3 else None
        except (TypeError, ValueError):
            lab = None
        if lab is None or not np.isfinite(lab).all() or not 0 <= lab[0] <= 100:
            raise InputError(f"target_lab must be 3 numbers L*, a*, b* with L* in [0, 100] (e.g. "
                             f"(60, 12, 18)); got {target_lab!r}.")
        target_lab = tuple(lab)
    if chart is not None and not isinstance(chart, Chart):
        raise InputError(f"chart must be a Chart from vasi.find_chart; got {type(chart).__name__}.")
    return _METHODS[method](image, roi=roi, reference=reference, target_lab=target_lab, chart=chart)
