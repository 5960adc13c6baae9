"""Scale and colour references in the frame: an ArUco marker sticker and a colour chart.

The chart is a 24-patch Macbeth-like chart (4 rows x 6 columns, 10 mm patches with 2.5 mm
gaps on a black card) with the sRGB values commonly published for the ColorChecker Classic
(e.g. the "Color Checker" table on Wikipedia); they are nominal sRGB under D65 and are
recorded in the truth so that colour normalisation can be checked against them.
"""

from __future__ import annotations

import cv2
import numpy as np

from .skin import srgb_to_linear

__all__ = ["CHART_SRGB", "ARUCO_DICT", "draw_marker", "draw_chart"]

ARUCO_DICT = "DICT_4X4_50"

#: sRGB (0-255) of the 24 chart patches, row by row (dark skin ... black).
CHART_SRGB = np.array(
    [
        (115, 82, 68), (194, 150, 130), (98, 122, 157), (87, 108, 67), (133, 128, 177), (103, 189, 170),
        (214, 126, 44), (80, 91, 166), (193, 90, 99), (94, 60, 108), (157, 188, 64), (224, 163, 46),
        (56, 61, 150), (70, 148, 73), (175, 54, 60), (231, 199, 31), (187, 86, 149), (8, 133, 161),
        (243, 243, 242), (200, 200, 200), (160, 160, 160), (122, 122, 121), (85, 85, 85), (52, 52, 52),
    ],
    np.uint8,
)


def _paste(canvas, img, y0, x0, alpha=None):
    H, W = canvas.shape[:2]
    h, w = img.shape[:2]
    ya, xa = max(y0, 0), max(x0, 0)
    yb, xb = min(y0 + h, H), min(x0 + w, W)
    if ya >= yb or xa >= xb:
        return
    sub = img[ya - y0 : yb - y0, xa - x0 : xb - x0]
    if alpha is None:
        canvas[ya:yb, xa:xb] = sub
    else:
        a = alpha[ya - y0 : yb - y0, xa - x0 : xb - x0, None]
        canvas[ya:yb, xa:xb] = canvas[ya:yb, xa:xb] * (1 - a) + sub * a


def draw_marker(canvas, *, modality="visible", top_left_yx, side_mm, mm_per_px, marker_id=7, shading=1.0):
    """Draw an ArUco marker sticker (white card, 3 mm margin) into a linear canvas in place.

    Returns the marker's corner coordinates ``(4, 2)`` as ``(x, y)`` px, clockwise from
    top-left (the order ``cv2.aruco`` reports), on the outer black border.

    Examples
    --------
    >>> v = np.zeros((200, 200, 3), np.float32)
    >>> draw_marker(v, top_left_yx=(10, 10), side_mm=20, mm_per_px=0.25)[0].tolist()
    [21.83..., 21.83...]
    """
    side_px = side_mm / mm_per_px
    dic = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICT))
    big = 6 * 40
    small = cv2.aruco.generateImageMarker(dic, int(marker_id), big, borderBits=1).astype(np.float32) / 255.0
    scale = side_px / big
    if scale < 1:
        small = cv2.GaussianBlur(small, (0, 0), 0.45 / scale)
    margin = int(round(3.0 / mm_per_px))
    size = int(np.ceil(side_px)) + 2 * margin + 1
    M = np.array([[scale, 0, margin], [0, scale, margin]], np.float64)
    # exact (subpixel) marker size: the outer black square spans [margin, margin + side_px)
    card = cv2.warpAffine(small, M, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=1.0)
    paper, ink = 0.80 * shading, 0.015 * shading
    vis_card = (ink + (paper - ink) * card)[..., None] * np.array([1.0, 1.0, 0.97], np.float32)
    woods_card = (card * 0.9 + 0.01)[..., None] * np.array([0.35, 0.42, 0.95], np.float32)
    y0, x0 = int(top_left_yx[0]), int(top_left_yx[1])
    card_lin = woods_card if modality == "woods" else vis_card
    _paste(canvas, card_lin.astype(np.float32), y0, x0)
    a = np.array([x0 + margin, y0 + margin], np.float64) - 0.5 * scale  # pixel-centre convention
    n = side_px
    return np.array([a, a + [n, 0], a + [n, n], a + [0, n]], np.float64)


def draw_chart(canvas, *, modality="visible", top_left_yx, mm_per_px, patch_mm=10.0, gap_mm=2.5, shading=1.0):
    """Draw the 24-patch colour chart into a linear canvas in place.

    Returns the patch centres ``(24, 2)`` as ``(x, y)`` px, row by row.

    Examples
    --------
    >>> v = np.zeros((200, 300, 3), np.float32)
    >>> draw_chart(v, top_left_yx=(5, 5), mm_per_px=0.5).shape
    (24, 2)
    """
    p = patch_mm / mm_per_px
    g = gap_mm / mm_per_px
    Hc, Wc = int(round(4 * p + 5 * g)), int(round(6 * p + 7 * g))
    card = np.full((Hc, Wc, 3), 0.012, np.float32)
    cw = np.full((Hc, Wc, 3), 0.002, np.float32)
    lin = srgb_to_linear(CHART_SRGB / 255.0).astype(np.float32) * shading
    centres = []
    for i in range(24):
        r, c = divmod(i, 6)
        ya, xa = g + r * (p + g), g + c * (p + g)
        card[int(round(ya)) : int(round(ya + p)), int(round(xa)) : int(round(xa + p))] = lin[i]
        wv = 0.06 * lin[i] * np.array([0.3, 0.3, 1.0]) + (0.3 * np.array([0.35, 0.42, 0.95]) if i == 18 else 0.0)
        cw[int(round(ya)) : int(round(ya + p)), int(round(xa)) : int(round(xa + p))] = wv
        centres.append((top_left_yx[1] + xa + p / 2, top_left_yx[0] + ya + p / 2))
    _paste(canvas, cw if modality == "woods" else card, int(top_left_yx[0]), int(top_left_yx[1]))
    return np.array(centres, np.float64)
