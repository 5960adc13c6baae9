"""The shape of a body site's region (for :mod:`vasi.roi`): appendages much thinner than
the site (arms beside a trunk, background joined through a narrow bridge) are cut off
(``_drop_limbs``), a patch at the frame stays only when the site's own skin encloses it
(``_frame_patches_enclosed``), and nails are not skin (``_nails``).
"""

from __future__ import annotations

import cv2
import numpy as np

from .roi_ops import _centre_weight, _fill_holes, _largest, _open_disk
from .roi_skin import DEPIG_CONTACT_FRAME, _notch_parts

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
