"""Which pixels of a photo are skin, depigmented skin included (for :mod:`vasi.roi`).

A two-class decision relative to the photo itself, with no fixed colour boxes: the skin
colour (robust centre and spread of the skin-hued pixels near the image centre) against
the background colours (clusters of the frame's border, less those that are the subject
reaching the frame: near the skin's colour on a small part of the border, or -- a body
site in visible light -- mixing with the skin's own colours along it); then depigmented
candidates -- less melanin but still pink (visible light) or fluorescent (Wood's lamp) --
join the skin when skin encloses them (``_join_patches``), and a patch merged with a bright
garment keeps its part inside the skin's outline (``_notch_parts``).
"""

from __future__ import annotations

import cv2
import numpy as np

from . import reference as _ref
from ._cv import components_with_stats
from .levels import BIMODAL_SEPARATION
from .roi_ops import (
    _EPS,
    _boxed_edt2,
    _centre_weight,
    _close_disk,
    _fill_holes,
    _lab,
    _log_luma,
    _open_close,
    _open_disk,
    _otsu,
    _smooth,
)

#: Floors of the skin colour model's robust spread (log R/G, log B/G, log Y in linear
#: light): below these the photo's own skin is more uniform than colour noise.
SPREAD_FLOOR = (0.06, 0.06, 0.10)
#: Shade: skin darker than its centre is judged with a ``SHADE`` x wider luminance spread
#: (the sides of a face or limb turn away from the light; the colour ratios do not change).
SHADE = 2.5
#: A pixel is skin within ``SKIN_DIST`` robust standard deviations of the skin colour and
#: when the skin model explains it better than every background colour.
SKIN_DIST = 4.0
#: Background colours closer than this (robust SDs: the skin's, or the colour's own where
#: wider) to the skin are the subject itself reaching the frame (an arm, the neck), not
#: background.
BG_MIN_DIST = 3.0
#: Skin's CIELAB hue angle (degrees) is above this on every skin type, depigmented or
#: not: carotenoids and blood keep its b* above 0.09 of its a* (tan 5 deg). Pale objects of
#: a pink that leans to magenta or lilac (b* <= 0) are not depigmented skin.
SKIN_HUE_MIN = 5.0
#: Skin's CIELAB chroma stays below this on every skin type (melanin and haemoglobin give
#: a* ~5-25, b* ~5-35); saturated orange or red objects are not skin seeds.
SKIN_CHROMA_MAX = 45.0
#: A colour cast can take the skin out of that hue window (a green cast: light skin's a*
#: below 0). When less than ``CAST_COVER`` of the pixels where the skin colour is sampled
#: (the centre, or around a detected face) is skin-hued, but at least ``1 - CAST_COVER`` of
#: them is within a hue window widened to ``CAST_HUE`` degrees with a chroma floor of
#: ``CAST_CHROMA`` -- still no blue, green or grey -- the wider window picks the seeds (the
#: seeds only: the skin model itself is relative to them). A subject under a cast fills
#: the wider window (0.93-1.0 of those pixels on fair faces under a green cast), a photo of
#: random colours does not (0.37).
CAST_COVER = 0.3
CAST_HUE = (-30.0, 120.0)
CAST_CHROMA = 3.0
#: ... unless they cover at least ``BG_SHARE`` of the border and are at least ``BG_NEAR``
#: SDs away: the subject reaches the frame on a small part of it, background fills most.
BG_NEAR = 1.5
BG_SHARE = 0.3
#: ... or, on a body site in visible light, when at least ``BG_MIX`` of their border pixels
#: lie within twice the ring's width of the skin's own border colours: the subject's sides
#: mix with it along the frame (a near close-up), a backdrop meets it only where the limb
#: crosses it.
BG_MIX = 0.5
#: A close-up: the frame's border ring (as wide as the one the background colours come
#: from) is the skin itself when its colours are distributed as the skin's -- their robust
#: centre within ``RING_SKIN_DIST`` of the skin colour (in the ring's own robust SDs where
#: wider than the skin's; a darker edge in ``max(its spread, SHADE)``, as the background
#: colours are judged: a lamp or flash lights the centre best) and their robust spread
#: between 0.8 and 4 x the skin's (``RING_SKIN_SPREAD``) on every axis: not a backdrop
#: more uniform than skin (a light wall under a Wood's lamp: 0.3-0.6), nor a busy scene
#: (7-25 on the benchmark's busy backgrounds). Then there are no background colours.
RING_SKIN_DIST = 1.0
RING_SKIN_SPREAD = (0.8, 4.0)
#: ... the ring's own spread counting for at most this many of the skin's SDs: a border
#: that is mostly a varied backdrop (a limb photographed from near, background on one side)
#: is wide too, and its centre may not stray farther for that (review: crops with 1-48 % of
#: the border skin took the backdrop in, region IoU 0.76 -> 0.59, 0.93 -> 0.83).
RING_SPREAD_SLACK = 1.5
#: Number of background colours (clusters of the frame's border).
BG_CLUSTERS = 6
#: A depigmented (or fluorescent) component joins the skin when at least this fraction
#: of its outline borders skin: a patch is enclosed by skin (at least on its inner side).
#: Under a Wood's lamp dark skin next to a patch is often as dark as the background and
#: not taken for skin, so the contact can be small.
DEPIG_CONTACT = 0.3
#: The same in visible light, where the skin around a patch is found reliably. A patch lies
#: on the skin, inside the limb's outline: one at the outline borders skin on at least about
#: half of its outline (a half-disc straddling the edge 61 %, a thin strip along it 50 %),
#: while a pale object beyond the outline that touches the skin along one side borders it
#: on less (a half-disc hanging from the outline by its chord 39 %). A patch that borders
#: two separate pieces of skin (a band across a limb, whatever its length) needs only
#: ``DEPIG_CONTACT``.
DEPIG_CONTACT_VISIBLE = 0.45
DEPIG_CONTACT_FRAME = 0.6
#: Depigmented skin is at least this many robust SDs bluer (log B/R) than the skin.
DEPIG_MEL = 2.0
#: ... and keeps the blood's red: its CIELAB a* is above ``DEPIG_A_MIN`` -- or, where the
#: normal skin is itself little red (fair skin; a green or blue cast lowers every a*), not
#: more than ``DEPIG_A_BELOW`` below the normal skin's (on balanced photos a patch's a* is
#: within 2 of its skin's; under a green cast a type-VI face's skin a* 3.0, its patch 0.5,
#: which left a forehead patch out of the region). Likewise it is not magenta: b* above
#: ``tan(SKIN_HUE_MIN)`` x a* -- or not more than ``DEPIG_B_BELOW`` below the skin's b*
#: where that is lower (on balanced photos a patch's b* is 3.5-5.5 below its skin's; a blue
#: cast takes both down, the patch's below 0: 7.6-8.5 below the skin's on dark skin, whose
#: patches were then left out of the region; at 12 a few balanced real faces changed).
DEPIG_A_MIN = 1.5
DEPIG_A_BELOW = 5.0
DEPIG_B_BELOW = 10.0
#: Under a Wood's lamp, when the skin seeds make one lightness mode (or the darker is not
#: a close-up's skin), the seeds a main colour of the frame's border explains within this
#: many robust SDs are a backdrop between limb and fingers and left out -- unless that
#: colour explains ``BORDER_SEED_SHARE`` of the seeds or more: then it is the subject
#: reaching the frame (``_border_like``).
BORDER_DIST = 3.0
BORDER_SEED_SHARE = 0.25
#: Body sites: the centre's skin colour was a patch when at least ``SURROUND_SHARE`` of
#: the band around its blob is clearly more pigmented skin-hued colour, and that colour
#: covers less than ``SURROUND_FRAME`` of the frame's border (it is not the background).
SURROUND_SHARE = 0.5
SURROUND_FRAME = 0.25
#: ... unless the blob covers at least this share of the frame's border ring (2 % of the
#: side wide): a close-up, whose skin fills the frame.
SURROUND_CLOSE_UP = 0.5


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


def _ring_clusters(ring: np.ndarray):
    """``(sample, centres, labels)``: the frame border's feature rows ``ring`` (N, 3), every
    ``N // 1200``-th and finite only (no skin colour, a black frame, gives NaN features,
    which cv2.kmeans crashes on), and their ``BG_CLUSTERS`` k-means clusters; centres and
    labels None when fewer than ``2 x BG_CLUSTERS`` rows are left."""
    ring = np.ascontiguousarray(ring[:: max(1, len(ring) // 1200)], np.float32)
    ring = ring[np.isfinite(ring).all(axis=1)]
    if len(ring) < 2 * BG_CLUSTERS:
        return ring, None, None
    return (ring, *_kmeans(ring, BG_CLUSTERS))


def _background_model(z, e, shade=False, mix=False):
    """Background colours: robust clusters of the frame's border ring (``e`` px wide) in
    the skin-normalised feature space ``z`` (h, w, 3), dropping the ones that are the skin
    itself (the skin colour closer than ``BG_MIN_DIST`` of the cluster's robust SDs, where
    wider than the skin's, and covering less than ``BG_SHARE`` of the ring; with ``shade``
    -- a body site -- darker ones are judged with the skin's ``SHADE`` tolerance; with
    ``mix`` -- a body site in visible light -- one covering more of the ring is the skin
    too when it mixes with the skin's own colours along it, ``BG_MIX``. Not under a Wood's
    lamp: there a dark backdrop is as dark as the skin, its noise splits it into colours
    near the skin's, and those mix with the rest of it).
    Returns ``(centres, spreads)``, possibly empty."""
    ring, c, lab = _ring_clusters(np.concatenate([
        z[:e].reshape(-1, 3), z[-e:].reshape(-1, 3),
        z[e:-e, :e].reshape(-1, 3), z[e:-e, -e:].reshape(-1, 3)]))
    if c is None:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)
    cs, ss, near_skin, subject = [], [], [], []
    for j in range(len(c)):
        zj = ring[lab == j]
        if len(zj) < 0.02 * len(ring):
            continue
        cj = _ref.median(zj)
        dj = float(np.sqrt((cj ** 2).sum()))
        # the subject reaching the frame covers a small part of it, background most of it;
        # the subject is near the skin colour as the skin test measures it: darker (shaded)
        # with a ``SHADE`` x wider luminance spread -- a limb reaches the frame with its
        # shaded side as often as not -- and measured in the colour's own spread where that
        # is wider than the skin's (a wide cluster that reaches the skin colour mixes skin
        # with something else, a neck in the halo of a fluorescent patch: not a background)
        sj = np.maximum(1.4826 * _ref.median(np.abs(zj - cj)), 1.0)
        dc = cj / sj
        if shade and cj[2] < 0:
            dc[2] = cj[2] / max(float(sj[2]), SHADE)
        ds = float(np.sqrt((dc ** 2).sum()))
        if dj < BG_NEAR:  # the skin's own colour
            subject.append(j)
            continue
        if ds < BG_MIN_DIST and len(zj) < BG_SHARE * len(ring):
            continue
        if mix and ds < BG_MIN_DIST:
            near_skin.append((j, len(cs)))
        cs.append(cj)
        ss.append(sj)
    if near_skin and subject:
        mixed = _mix_with(z, e, c, subject, [j for j, _ in near_skin])
        drop = {i for j, i in near_skin if mixed[j] >= BG_MIX}
        cs = [x for i, x in enumerate(cs) if i not in drop]
        ss = [x for i, x in enumerate(ss) if i not in drop]
    return np.array(cs, np.float32).reshape(-1, 3), np.array(ss, np.float32).reshape(-1, 3)


def _mix_with(z, e, centres, subject, clusters) -> dict:
    """For each of ``clusters`` (indices of the border colours ``centres``), the share of
    its pixels on the frame's border ring (``e`` px wide; each ring pixel taken by its
    nearest centre in the features ``z`` (h, w, 3)) within ``2 e`` px of a pixel of the
    ``subject`` colours: a near close-up's lit, shaded or depigmented side mixes with the
    skin's own colours along the frame, a backdrop of skin's colour meets them only where
    the limb crosses the frame."""
    h, w = z.shape[:2]
    ring = _frame_ring((h, w), e)
    zr = z[ring]
    ok = np.isfinite(zr).all(axis=1)
    d2 = ((np.nan_to_num(zr)[:, None, :] - centres[None]) ** 2).sum(-1)
    near = np.full((h, w), -1, np.int32)
    near[ring] = np.where(ok, d2.argmin(1), -1)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * e + 1, 4 * e + 1))
    by_subject = cv2.dilate(np.isin(near, subject).astype(np.uint8), k).astype(bool)
    return {j: float(by_subject[near == j].mean()) if (near == j).any() else 0.0
            for j in clusters}


def _skin_small(srgb: np.ndarray, lin: np.ndarray, modality: str, cw=None, at_frame=False,
                body=False):
    """Skin (incl. depigmented skin) at working resolution, before geometry.

    Two-class decision relative to the photo itself: the skin colour (robust centre and
    spread of the central skin-like pixels) against the background colours (clusters of
    the frame's border). A pixel is skin when it is near the skin colour and the skin
    explains it better (diagonal Gaussian log-likelihood) than every background colour.
    Features: log colour ratios R/G and B/G (unchanged by shading and light intensity)
    and log luminance; skin in shade is judged with a ``SHADE`` x wider luminance spread.
    With ``at_frame``, returns ``(skin, frame_patches, close_up)``: the second the joined
    depigmented components that touch the frame (included in the first), the third whether
    the frame's border was taken for the skin itself (``_ring_is_skin``).
    With ``body`` (a body site: limbs reach the frame in shade, backgrounds fill the gaps
    between fingers), a border colour near the skin's shaded side is the subject, not
    background, and depigmented candidates a background colour explains join only as
    holes in the skin (``_bg_like``). When the frame's border is the skin itself (a
    close-up, ``_ring_is_skin``), there are no background colours.
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
    logy = _log_luma(lin)
    feats = (r_g, b_g, logy)
    chroma2 = a * a + b * b
    # skin-hued: hue angle between SKIN_HUE_MIN and 90 - SKIN_HUE_MIN degrees
    tan_min = np.float32(np.tan(np.radians(SKIN_HUE_MIN)))
    hued = (b > tan_min * a) & (a > tan_min * b)
    if modality == "woods":  # skin's colour under UV is whatever the lamp makes it
        prior = (L > 2) & (L < 97)
    else:
        prior = (chroma2 > 36) & (chroma2 < SKIN_CHROMA_MAX ** 2) & hued & (L > 12) & (L < 97)
        seeds_at = cw > SEED_CENTRE * cw.max()
        if seeds_at.any() and prior[seeds_at].mean() < CAST_COVER:  # a cast moved the skin's hue?
            hue = cv2.phase(a, b, angleInDegrees=True)  # atan2(b*, a*), 0..360 degrees
            wide = ((chroma2 > CAST_CHROMA ** 2) & (chroma2 < SKIN_CHROMA_MAX ** 2)
                    & ((hue < CAST_HUE[1]) | (hue > 360.0 + CAST_HUE[0])) & (L > 12) & (L < 97))
            if wide[seeds_at].mean() >= 1.0 - CAST_COVER:  # one colour there: the cast skin
                prior = wide
    if prior.sum() < 50:
        prior = L > 2
    wts = cw * prior
    sel = wts > SEED_CENTRE * wts.max() if wts.max() > 0 else prior
    if sel.sum() < 50:
        sel = prior
    if not sel.any():  # no skin colour anywhere (a black frame): no skin
        none = np.zeros((h, w), bool)
        return (none, none, False) if at_frame else none

    def model(m):
        c = np.array([_ref.median(f[m]) for f in feats], np.float32)
        sp = np.array([1.4826 * _ref.median(np.abs(f[m] - ci)) for f, ci in zip(feats, c, strict=True)], np.float32)
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

    e = max(2, int(round(0.04 * min(h, w))))
    ring = _frame_ring((h, w), e)
    close_up, fitted = False, None
    if modality == "woods":  # fluorescent patches are not the skin's colour: seed below them
        # -- in the darker mode when there are two; a close-up is judged on that mode (or
        # on all seeds): cutting a single mode biases the skin colour dark and narrow,
        # and its own border then looks like background
        Ls = L[sel]
        t = _ref.bimodal_split(Ls[:: max(1, Ls.size // 20_000)], BIMODAL_SEPARATION)
        if t is not None and _backdrop_below_skin(L, a, b, sel, ring, t):
            sel, Ls, t = sel & (L > t), Ls[Ls > t], None  # the skin is the brighter mode
        mode = sel & (L <= t) if t is not None else sel
        if body and mode.sum() >= 50:
            fitted = fit(mode)
            close_up = _ring_is_skin(fitted[0], ring)
        if close_up:
            sel = mode
        else:  # the darker 60 % at most (a minority of patches need not make two modes)
            fitted = None
            back = _border_like(feats, ring, sel) if body else None  # a backdrop among them
            if back is not None and (sel & ~back).sum() >= 50:
                sel = sel & ~back
                Ls = L[sel]
            lo = sel & (L <= np.percentile(Ls, 60))
            if Ls.size > 100 and np.ptp(Ls) > 0:
                lo = sel & (L <= min(_otsu(Ls), float(np.percentile(Ls, 60))))
            sel = lo if lo.sum() >= 50 else sel
    mel = b_g - r_g  # melanin axis: up = less melanin
    if body and modality != "woods":  # a large patch in the centre (extensive vitiligo):
        # the skin is the more pigmented mode when the seeds are clearly bimodal (faces
        # are not split: lips and brows make their own mode) -- and darker: melanin takes
        # light as it takes blue, so a mode that is redder but lighter (an orange object
        # behind the hand) is not the skin around a patch
        seed_mel = mel[sel]
        t = _ref.bimodal_split(seed_mel[:: max(1, seed_mel.size // 20_000)], BIMODAL_SEPARATION)
        pig = sel & (mel <= t) if t is not None else None
        if pig is not None and pig.sum() >= 50 and np.median(logy[pig]) < np.median(logy[sel & ~pig]):
            sel = pig
    z, ref, dist2 = fitted if fitted is not None else fit(sel)  # (a close-up's: fitted once)
    skin = dist2 < SKIN_DIST ** 2
    if body and modality != "woods":
        around = _pigmented_surround(skin, sel, prior, mel, ref, side)
        if around is not None:  # the centre was a patch: the skin is what surrounds it
            z, ref, dist2 = fit(around)
            skin = dist2 < SKIN_DIST ** 2
        close_up = _ring_is_skin(z, ring)
    zy = z[2]
    if close_up:  # the frame's border is the skin itself: no background colours
        bc, bs = np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)
    else:
        bc, bs = _background_model(np.dstack(z), e, shade=body,
                                   mix=body and modality != "woods")
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
    # at any shading (ratios), not darker than shaded skin; and still skin-hued (pink to
    # yellowish: not neutral white or grey, nor magenta)
    if modality == "woods":  # fluorescent: clearly brighter than the skin and than the
        # (non-fluorescent) background colours
        zmin = 1.5
        for c, s in zip(bc, bs, strict=True):
            if c[2] < 3.0:
                zmin = max(zmin, float(c[2] + 2.0 * s[2]))
        depig = (zy > zmin) & (L > float(np.median(L[ref])) + 3)
    else:
        m0, ms = _mel_level(mel, ref)
        a_min = min(DEPIG_A_MIN, float(np.median(a[ref])) - DEPIG_A_BELOW)
        b_min = np.minimum(tan_min * a, float(np.median(b[ref])) - DEPIG_B_BELOW)
        hue_ok = (a > a_min) & (b > b_min)  # SKIN_HUE_MIN .. 90 degrees, or near the skin's
        depig = (mel > m0 + DEPIG_MEL * ms) & (zy > -SKIN_DIST * SHADE) & hue_ok & (chroma2 > 9.0)
    cand = depig
    skin = _open_close(skin, side)
    r = max(1, int(round(side / 200)))  # thin bands of mixed pixels along the outline
    depig = cv2.morphologyEx((depig & ~skin).astype(np.uint8), cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    depig = depig.astype(bool)
    bg_like = _bg_like(z, bc, bs, depig, cand, e) if body else None
    contact = DEPIG_CONTACT if modality == "woods" else DEPIG_CONTACT_VISIBLE
    joined = _join_patches(skin, depig, side, at_frame, bg_like, contact)
    return (*joined, bool(close_up)) if at_frame else joined


def _border_like(feats, ring, sel):
    """The backdrop among the skin seeds ``sel``: pixels whose colour is one of the frame
    border's main colours -- within ``BORDER_DIST`` robust SDs (floored at
    ``SPREAD_FLOOR``) of a cluster of the border ``ring``'s features (``feats``: the three
    skin-model features, (h, w) each) that covers at least ``BG_SHARE`` of it -- unless
    that colour explains ``BORDER_SEED_SHARE`` of the seeds or more (the subject reaching
    the frame: dark skin under the lamp is the backdrop's colour). None when none counts."""
    f, c, lab = _ring_clusters(np.stack([fi[ring] for fi in feats], 1))
    if c is None:
        return None
    out = np.zeros(ring.shape, bool)
    for j in range(len(c)):
        fj = f[lab == j]
        if len(fj) < BG_SHARE * len(f):
            continue
        cj = _ref.median(fj)
        sj = np.maximum(1.4826 * _ref.median(np.abs(fj - cj)),
                        np.asarray(SPREAD_FLOOR, np.float32))
        d2 = sum(((fi - ci) / si) ** 2 for fi, ci, si in zip(feats, cj, sj, strict=True))
        near = d2 < BORDER_DIST ** 2
        if (sel & near).sum() < BORDER_SEED_SHARE * sel.sum():
            out |= near
    return out if (out & sel).any() else None


def _backdrop_below_skin(L, a, b, sel, ring, t) -> bool:
    """Under a Wood's lamp, whether the darker of the two lightness modes of the skin
    seeds ``sel`` (split at CIELAB ``L`` = ``t``) is a backdrop and the brighter the skin,
    rather than skin and fluorescent depigmented skin. Melanin absorbs the short
    wavelengths most, so the skin reflects the lamp's violet light redder than a backdrop
    does, and its fluorescent patches are blue-white: the brighter mode is the skin when
    its CIELAB hue is not bluer than the darker mode's (on the synthetic set skin over a
    dark backdrop is 1.7-7.8 degrees redder, fluorescent patches over their skin 8.7-19.8
    degrees bluer) and it covers less than ``BG_SHARE`` of the frame's border ``ring``
    (else it is a light backdrop)."""
    lo, hi = sel & (L <= t), sel & (L > t)
    if (L[ring] > t).mean() >= BG_SHARE:
        return False
    z_lo, z_hi = (complex(np.median(a[m]), np.median(b[m])) for m in (lo, hi))
    return bool(np.angle(z_hi * z_lo.conjugate()) >= 0.0)  # hue turned towards red, or not at all


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
    of the blob. A blob on at least ``SURROUND_CLOSE_UP`` of the frame's border has none:
    it is the skin of a close-up, filling the frame (its moles and the specks cut by the
    frame, then its only surround, made the region a mole).
    """
    lab_n, lab = cv2.connectedComponents(skin.astype(np.uint8), connectivity=8)
    if lab_n <= 1:
        return None
    ids = np.bincount(lab[sel & skin], minlength=lab_n)
    ids[0] = 0
    if ids.max() == 0:
        return None
    blob = lab == int(np.argmax(ids))
    frame = _frame_ring(skin.shape, max(2, int(round(0.02 * side))))
    if blob[frame].mean() >= SURROUND_CLOSE_UP:
        return None
    m0, ms = _mel_level(mel, ref)
    pig = prior & ~skin & (mel < m0 - DEPIG_MEL * ms)
    k = max(3, int(round(side / 40)))
    band = (cv2.dilate(blob.astype(np.uint8), _ref.disk(k)) > 0) & ~blob
    if not band.any() or (pig & band).sum() < SURROUND_SHARE * band.sum():
        return None
    if (pig & frame).sum() >= SURROUND_FRAME * frame.sum():
        return None
    out = pig & (cv2.dilate(blob.astype(np.uint8), _ref.disk(max(k, side / 8))) > 0)
    return out if out.sum() >= 50 else None


def _mel_level(mel, ref):
    """Median and robust SD (floored at ``SPREAD_FLOOR[0]``) of the melanin axis ``mel``
    over the skin colour's seed pixels ``ref``."""
    mr = mel[ref]
    m0 = float(_ref.median(mr))
    return m0, max(1.4826 * float(_ref.median(np.abs(mr - m0))), SPREAD_FLOOR[0])


def _ring_is_skin(z, ring) -> bool:
    """Whether the frame's border ``ring`` (bool mask) is the skin itself, a close-up
    (``RING_SKIN_DIST``, ``RING_SKIN_SPREAD``); ``z``: the three features, (h, w) arrays
    in the skin's robust SDs. Body sites only: a face photo frames the head."""
    zr = np.stack([zi[ring] for zi in z], 1)
    zr = zr[:: max(1, len(zr) // 4000)]
    zr = zr[np.isfinite(zr).all(axis=1)]
    if len(zr) < 50:
        return False
    c = _ref.median(zr)
    s = 1.4826 * _ref.median(np.abs(zr - c))
    lo, hi = RING_SKIN_SPREAD
    u = np.clip(s, 1.0, RING_SPREAD_SLACK)
    d = c / u
    if c[2] < 0:  # the frame's edge in shade: the skin's shade tolerance (as _background_model)
        d[2] = c[2] / max(float(u[2]), SHADE)
    return bool(np.sqrt((d ** 2).sum()) < RING_SKIN_DIST and (s >= lo).all() and (s <= hi).all())


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


def _join_patches(skin, depig, side, frame_out=False, bg_like=None, contact=DEPIG_CONTACT):
    """Skin plus the depigmented components mostly enclosed by it (at least ``contact`` of
    their outline borders skin: ``DEPIG_CONTACT``, ``DEPIG_CONTACT_VISIBLE``).

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
    rest_d2 = None  # edt2(rest), shared by its openings until rest changes
    outside = ~_fill_holes(skin) if bg_like is not None else None
    for rad in (0.0, *DEPIG_NECK):
        if rad > 0 and rest_d2 is None:
            rest_d2 = _boxed_edt2(rest)
        part = _open_disk(rest, rad * side, rest_d2) if rad > 0 else rest
        if not part.any():
            break
        # a part split off a component the skin did not enclose must be enclosed like a
        # patch at the frame: background pieces beside the skin border it on one side
        n, lab_d, ok, at_frame = _enclosed(part, grown, strict=rad > 0, contact=contact)
        if bg_like is not None and ok.any():
            hole = np.bincount(lab_d.ravel(), weights=outside.ravel(), minlength=n) == 0
            ok &= _not_background(lab_d, n, bg_like) | hole
        acc = ok[lab_d]
        join |= acc
        join_frame |= (ok & at_frame)[lab_d]
        if ok.any():
            rest, rest_d2 = rest & ~acc, None  # the failing components, split at necks next
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
    part = np.zeros(depig.shape, bool)
    if depig.any():
        # the closing is needed on depig's pixels only, where it depends on the skin within
        # 2 r of them (a disc's centre within r, its pixels within r of that): it is taken
        # over their box widened by more than that, not over the frame (the same values)
        r = DEPIG_NOTCH * side
        win = _ref.region_box(depig, margin=0.0, min_margin=int(np.ceil(2 * r)) + 2)
        part[win] = depig[win] & _close_disk(skin[win], r)
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


def _enclosed(depig, grown, strict=False, contact=DEPIG_CONTACT):
    """Components of ``depig`` and which of them the (grown) skin encloses: ``(n, labels,
    ok, at_frame)``; ``ok[0]`` is False."""
    h, w = depig.shape
    n, lab_d, st, _ = components_with_stats(depig.astype(np.uint8), connectivity=8)
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
    need = np.full(n, float(contact))
    if contact > DEPIG_CONTACT and not strict:  # a patch across a limb joins its two sides
        need[_skin_sides(grown, ring, ring_lab, n) >= 2] = DEPIG_CONTACT
    ok = frac >= np.where(at_frame | strict, DEPIG_CONTACT_FRAME, need)
    ok[0] = False
    return n, lab_d, ok, at_frame


def _skin_sides(grown, ring, ring_lab, n):
    """Per component (``n`` labels; ``ring``: its outline ring's flat indices in the padded
    ``grown`` skin, ``ring_lab`` their component): how many separate pieces of skin it
    borders. A band of depigmentation across a forearm borders the skin on either side of
    it (two pieces) and the background along the limb's outline, however long it is."""
    _, skin_lab = cv2.connectedComponents(np.ascontiguousarray(grown, np.uint8), connectivity=8)
    on = skin_lab.ravel()[ring]
    pairs = np.unique(np.stack([ring_lab[on > 0], on[on > 0]]), axis=1)
    return np.bincount(pairs[0], minlength=n)


#: Skin colour seeds: prior pixels whose centre weight is above this fraction of the maximum.
SEED_CENTRE = 0.8
