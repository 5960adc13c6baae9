"""The shape of a body site's region (for :mod:`vasi.roi`): appendages much thinner than
the site (arms beside a trunk, background joined through a narrow bridge) are cut off
(``_drop_limbs``), a patch at the frame stays only when the site's own skin encloses it
(``_frame_patches_enclosed``), the site ends at its flanks beside a dropped limb, not at
the shoulders (``_without_shoulders``), and nails are not skin (``_nails``).
"""

from __future__ import annotations

import cv2
import numpy as np

from ._cv import components_with_stats
from ._validate import _unit_float
from .reference import robust_stats
from .roi_ops import _centre_weight, _fill_holes, _lab, _largest, _open_disk, _upsample_mask
from .roi_skin import DEPIG_CONTACT_FRAME, _kmeans, _notch_parts

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


def _drop_limbs(blob: np.ndarray, return_limbs: bool = False):
    """The body site's core with large thin appendages removed (shape prior).

    The core is the blob opened with a disc of ``LIMB_WIDTH`` x its largest inscribed
    radius; what the opening removes splits into appendages (components outside a
    slightly grown core). Small ones (fingers, boundary detail) stay; large ones -- limbs
    or the neck beside a trunk, background blobs joined through a thin bridge -- go.
    With ``return_limbs``, also returns the dropped appendages as ``(mask, body)`` pairs
    (``body``: what each was cut from; for :func:`_without_shoulders`).
    """
    dt, core, grown = _site_core(blob)
    limbs: list = []
    if core is None or core.sum() < 0.3 * blob.sum():
        return (blob, limbs) if return_limbs else blob
    body = grown & blob
    n, lab, st, _ = components_with_stats((blob & ~body).astype(np.uint8), connectivity=8)
    out = body.copy()
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
            limbs = [(lab == i, body) for i in np.flatnonzero(drop)]
    out = _largest(out)
    return (out, limbs) if return_limbs else out


def _without_shoulders(site: np.ndarray, limbs) -> np.ndarray:
    """``site`` less what lies beyond its flanks beside the dropped ``limbs`` (as
    :func:`_drop_limbs` returns them; see :func:`_beyond_flank`), each cut at most
    ``FLANK_MAX_CUT`` of the site."""
    if not limbs:
        return site
    out = site.copy()
    n = float(site.sum())
    for limb, body in limbs:
        cut = _beyond_flank(out, limb, body)
        if cut.sum() <= FLANK_MAX_CUT * n:
            out &= ~cut
    return _largest(out, _centre_weight(out.shape))


#: A dropped limb hanging beside the site (an arm beside the trunk) faces the site's flank
#: across a gap -- edge pixels whose nearest limb pixel lies within ``FLANK_ANGLE``
#: degrees of square to the limb's axis -- on at least ``FLANK_MIN`` x the limb's width...
FLANK_MIN = 1.5
FLANK_ANGLE = 20.0
#: ... and that edge is a clean line: its robust spread about a straight line is at most
#: ``FLANK_ROUGH`` x the limb's width (under a Wood's lamp, dark skin's outline against a
#: dark background is ragged and does not show where the flank is).
FLANK_ROUGH = 0.15
#: A cut beyond a flank takes at most this share of the site: a trunk's shoulders are
#: 0.11-0.15 of it; a larger cut means the dropped piece was no arm beside a trunk (a
#: background blob or a finger beside a forearm: up to 0.6 of it went).
FLANK_MAX_CUT = 0.2


def _beyond_flank(site: np.ndarray, limb: np.ndarray, body: np.ndarray) -> np.ndarray:
    """Pixels of ``site`` beyond its flank, on the side of a ``limb`` that hangs beside it
    (``limb`` was cut from ``body`` by the shape prior: it is attached where it borders it).

    Below the armpit an arm hanging beside the trunk is parted from it by a gap; above
    the armpit they merge into the shoulder, which the shape prior keeps with the trunk
    (its opening is rounded there). The shoulder belongs to the arm (VASI's upper
    extremities): the trunk ends at its flank continued to the shoulder. The flank is
    where the site's edge faces the limb across the gap (the nearest limb pixel lies
    across the limb's axis, not along it), taken parallel to the limb's axis through the
    facing edge's quarter nearest the limb's attachment. Pixels more than 1.5 px beyond
    it on the limb's side are returned, from 1.5 limb widths past the limb's free end on,
    past its attachment, to the site's end (the shoulder's top); none when the limb does
    not face the site that way (``FLANK_MIN``, ``FLANK_ANGLE``: the neck above a trunk
    faces it across no gap) or the facing edge is ragged (``FLANK_ROUGH``).
    :func:`_without_shoulders` caps the cut (``FLANK_MAX_CUT``).
    """
    out = np.zeros_like(site)
    ly, lx = np.nonzero(limb)  # raster order: label k is the k-th limb pixel
    if ly.size < 10:
        return out
    width = 2.0 * float(cv2.distanceTransform(np.pad(limb, 1).astype(np.uint8), cv2.DIST_L2, 3).max())
    if width < 2.0:
        return out
    src = (~limb).astype(np.uint8)
    d_limb, near = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    _, vec = np.linalg.eigh(np.cov(np.stack([lx, ly]).astype(np.float64)))
    ax = vec[:, -1]  # the limb's long axis (x, y)
    edge = site & ~cv2.erode(site.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ys, xs = np.nonzero(edge & (d_limb > 1.5) & (d_limb < width))
    k = near[ys, xs] - 1
    dx, dy = lx[k] - xs, ly[k] - ys
    across = np.abs(dx * ax[0] + dy * ax[1]) < np.cos(np.radians(90.0 - FLANK_ANGLE)) * np.hypot(dx, dy)
    ys, xs = ys[across], xs[across]
    cy, cx = np.nonzero(limb & cv2.dilate(body.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))
    if ys.size < FLANK_MIN * width or cy.size == 0:
        return out
    u_att = float(np.mean(cx * ax[0] + cy * ax[1]))
    u = xs * ax[0] + ys * ax[1]
    v = xs * -ax[1] + ys * ax[0]
    if np.ptp(u) < 2.0:
        return out
    res = v - np.polyval(np.polyfit(u, v, 1), u)
    if robust_stats(res)[1] > FLANK_ROUGH * width:
        return out  # a ragged outline (dark skin against a dark background under UV)
    top = np.abs(u - u_att) <= np.percentile(np.abs(u - u_att), 25)
    v_flank = float(np.median(v[top]))
    sgn = np.sign(float(np.median(lx * -ax[1] + ly * ax[0])) - v_flank)
    H, W = site.shape
    yy, xx = np.mgrid[0:H, 0:W]
    uu = xx * ax[0] + yy * ax[1]
    u_limb = lx * ax[0] + ly * ax[1]
    # from 1.5 widths past the limb's free end on, past its attachment: the shoulder's top
    if u_att >= float(np.median(u_limb)):
        span = uu > u_limb.min() - 1.5 * width
    else:
        span = uu < u_limb.max() + 1.5 * width
    return site & (sgn * (xx * -ax[1] + yy * ax[0] - v_flank) > 1.5) & span


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
    n, lab_d, _, _ = components_with_stats(cand.astype(np.uint8), connectivity=8)
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
#: ``_drop_limbs``) at least ``NAIL_ELONG`` x its own radius long; its nail is the blob
#: that reaches into its distal ``NAIL_DISTAL`` radii (at most ``NAIL_DISTAL_MAX`` of its
#: length) with colour (CIELAB) that differs from the finger's own proximal skin by more
#: than ``NAIL_Z`` robust SDs (grown to ``NAIL_WEAK``), not darker than that skin, and set
#: inside the finger: at most ``NAIL_EDGE`` of the pixels around it are not the finger's
#: skin by colour (background, the outline's mix of skin and background, or the same pale
#: material going on) -- the nail folds are skin. A depigmented fingertip that reaches
#: the finger's outline stays skin. The blob and its surround are judged by colour, not
#: by the region's outline, which is a working pixel coarse (under a Wood's lamp it hugs
#: a glowing nail): the blob may run a working pixel past it where it is solid.
NAIL_ELONG = 2.0
NAIL_DISTAL = 3.5
#: ... and at most this fraction of the finger's length beyond the site's core.
NAIL_DISTAL_MAX = 0.7
NAIL_Z = 3.0
NAIL_WEAK = 2.0
NAIL_EDGE = 0.35
#: Floors of the finger skin's robust spread in CIELAB (L*, a*, b*).
NAIL_SPREAD_FLOOR = (2.0, 1.5, 1.5)
#: The nail test runs on each finger at a resolution where the finger's radius is at
#: least this many px (up to the photo's own): at the working resolution a nail's rim of
#: skin is a pixel wide and mixes with the outline.
NAIL_FINGER_PX = 12.0
#: The background beside a finger: up to this many colours (a busy background).
NAIL_BG_COLOURS = 3


def _nails(blob: np.ndarray, arr: np.ndarray) -> list:
    """Nails at the distal ends of the fingers of a body site's region, as a list of
    ``(window, mask)`` at full resolution (``window`` a pair of slices of the photo
    ``arr``); ``blob`` is the region at the working resolution. See ``NAIL_*``.

    Colour is judged relative to each finger's own skin: nails are lighter and
    pinker/more neutral than the skin on every skin type (and fluoresce under a Wood's
    lamp), but so is depigmented skin -- the position (the tip of a thin appendage) and
    the setting (skin all around it) tell them apart. Fingers are found at the working
    resolution; each one's colours are read at ``NAIL_FINGER_PX`` px per finger radius
    (:func:`_finger_nail`)."""
    h, w = blob.shape
    out = []
    dt, core, grown = _site_core(blob)
    if core is None or not core.any():
        return out
    n, lab_f, st, _ = components_with_stats((blob & ~grown).astype(np.uint8), connectivity=4)
    if n <= 1:
        return out
    dc = cv2.distanceTransform((~core).astype(np.uint8), cv2.DIST_L2, 5)  # distance from the core
    scale = (h / arr.shape[0], w / arr.shape[1])  # working px per photo px (rows, columns)
    for i in range(1, n):
        x, y, bw, bh = st[i, :4]
        if x == 0 or y == 0 or x + bw == w or y + bh == h:
            continue  # cut by the frame: no fingertip in view
        # the finger's window with a margin of a quarter of its length
        p = int(np.ceil(max(bw, bh) / 4))
        win = (slice(max(0, y - p), min(h, y + bh + p)), slice(max(0, x - p), min(w, x + bw + p)))
        F = lab_f[win] == i
        dtf, dcf = dt[win], dc[win]
        rf = float(dtf[F].max())
        dmax = float(dcf[F].max())
        if rf < 2 or dmax < NAIL_ELONG * rf:
            continue  # not a finger
        # a short finger (a thumb beside the hand) keeps some proximal skin to compare with
        distal = F & (dcf > dmax - min(NAIL_DISTAL * rf, NAIL_DISTAL_MAX * dmax))
        prox = F & ~distal & (dtf > 1.5)
        if prox.sum() >= 10:
            nail = _finger_nail(arr, scale, win, blob[win], F, distal, prox, rf)
            if nail is not None:
                out.append(nail)
    return out


def _finger_nail(arr, scale, win, around, F, distal, prox, rf):
    """The nail of one finger, ``(window, mask)`` at full resolution, or None. ``win`` is
    the finger's window at the working resolution (``scale`` = working px per photo px,
    rows and columns, of the photo ``arr``), ``around`` the region there, ``F``,
    ``distal`` and ``prox`` the finger, its distal part and its proximal skin, ``rf`` its
    radius (working px). The test runs on the window read at ``s`` = ``NAIL_FINGER_PX`` /
    ``rf`` fine px per working px (at most the photo's own resolution); ``g``, ``dom`` and
    the masks ending in ``_f`` are in fine px."""
    H, W = arr.shape[:2]
    (ky, kx), (y0, y1), (x0, x1) = scale, (win[0].start, win[0].stop), (win[1].start, win[1].stop)
    full = (slice(int(y0 / ky), min(H, int(np.ceil(y1 / ky)))), slice(int(x0 / kx), min(W, int(np.ceil(x1 / kx)))))
    s = float(np.clip(NAIL_FINGER_PX / rf, 1.0, 1.0 / max(ky, kx)))
    size = (max(1, int(round((y1 - y0) * s))), max(1, int(round((x1 - x0) * s))))
    lab = _fine_lab(arr[full], size, s)
    # (unblurred: a finger is a few working px wide)
    Ff, distal_f, prox_f, around_f = (_upsample_mask(m, size, 1.0 / s, sigma=0) for m in (F, distal, prox, around))
    if prox_f.sum() < 10:
        return None
    g = max(1, int(round(s)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1))
    dom = cv2.dilate(Ff.astype(np.uint8), disc).astype(bool)  # the finger, a working px wider
    bg = ~cv2.dilate(around_f.astype(np.uint8), disc).astype(bool)
    if bg.sum() < 20:
        return None  # nothing but skin around the finger: no outline to tell a nail by
    c0, s0 = _robust_colour(lab[prox_f])
    # the background's colours; one that takes in the skin's colour (by the skin's spread
    # or its own) is the outline's mix of skin and background
    bgc = [(c, sc) for c, sc in _colour_clusters(lab[bg], NAIL_BG_COLOURS)
           if min((((c - c0) / s0) ** 2).sum(), (((c - c0) / sc) ** 2).sum()) > NAIL_Z ** 2]
    if not bgc:
        return None  # the finger's skin is the colour of the background beside it
    zl = (lab - c0) / s0
    z2 = (zl ** 2).sum(-1)
    # nail, depigmented skin or a pale background: unlike the skin and not darker
    material = (z2 > NAIL_WEAK ** 2) & (zl[..., 0] > -1.0)
    # the background reaching into the (upsampled, approximate) finger: pixels of a
    # background colour connected to it
    bg_like = np.any([(((lab - c) / sc) ** 2).sum(-1) < NAIL_Z ** 2 for c, sc in bgc], axis=0)
    _, lab_b = cv2.connectedComponents(bg_like.astype(np.uint8), connectivity=8)
    reach = np.isin(lab_b, np.unique(lab_b[bg_like & ~Ff])) & bg_like
    # the material in the finger and, up to a working px past its outline (as coarse as
    # that), where it is solid: what an opening by a working px keeps (the outline's
    # pale mixes are a band thinner than that), grown back
    weak = dom & material & ~reach
    solid = cv2.dilate(cv2.morphologyEx(weak.astype(np.uint8), cv2.MORPH_OPEN, disc), disc).astype(bool)
    weak &= Ff | solid
    m, lab_c, _, _ = components_with_stats(weak.astype(np.uint8), connectivity=8)
    if m <= 1:
        return None
    # the nail: the blob most unlike the skin at the finger's tip, whole -- the distal
    # part only places it (its extent follows where the site's core ends, not the nail)
    at_tip = cv2.dilate(distal_f.astype(np.uint8), disc).astype(bool)
    strong = np.bincount(lab_c[at_tip & (z2 > NAIL_Z ** 2)], minlength=m)
    strong[0] = 0
    if strong.max() == 0:
        return None
    nail = lab_c == int(np.argmax(strong))
    ring = cv2.dilate(nail.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~nail
    # around a nail: skin (the nail folds). Background, and the outline's pixels that mix
    # skin and background, are nearer a background colour than the skin's (CIELAB); pale
    # pixels there are the same material going on to the outline
    d_bg = np.min([np.linalg.norm(lab - c, axis=-1) for c, _ in bgc], axis=0)
    toward_bg = d_bg < np.linalg.norm(lab - c0, axis=-1)
    not_skin = ring & (toward_bg | material)
    if not_skin.sum() > NAIL_EDGE * ring.sum():
        return None  # reaches the finger's outline: skin (e.g. a depigmented fingertip)
    return full, _upsample_mask(nail, (full[0].stop - full[0].start, full[1].stop - full[1].start), max(ky, kx) * s, sigma=0)


def _fine_lab(crop: np.ndarray, shape, s: float) -> np.ndarray:
    """CIELAB of a full-resolution ``crop`` resized to ``shape`` (rows, cols), ``s`` px
    per working pixel, smoothed over a quarter of a working pixel against noise."""
    srgb = _unit_float(cv2.resize(crop, (shape[1], shape[0]), interpolation=cv2.INTER_AREA))
    if s >= 2.0:
        srgb = cv2.GaussianBlur(srgb, (0, 0), 0.25 * s)
    return _lab(srgb)


def _colour_clusters(x: np.ndarray, k: int) -> list:
    """Robust centres and spreads (CIELAB, spreads floored at ``NAIL_SPREAD_FLOOR``) of up
    to ``k`` clusters of the colours ``x`` (n, 3); clusters of under 5 % are left out."""
    x = np.ascontiguousarray(x[:: max(1, len(x) // 2000)], np.float32)
    c, lab = _kmeans(x, min(k, len(x)))
    out = []
    for j in range(len(c)):
        xj = x[lab == j]
        if len(xj) < max(5, 0.05 * len(x)):
            continue
        out.append(_robust_colour(xj))
    return out


def _robust_colour(x: np.ndarray):
    """Median and robust spread (1.4826 x MAD, floored at ``NAIL_SPREAD_FLOOR``) of the
    CIELAB colours ``x`` (n, 3)."""
    c = np.median(x, 0)
    return c, np.maximum(1.4826 * np.median(np.abs(x - c), 0), np.asarray(NAIL_SPREAD_FLOOR, np.float32))
