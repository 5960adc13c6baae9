"""Single synthetic clinical photos: :func:`make_photo`, and the per-visit renderer."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd

from .._validate import check_choice, check_positive, check_rng, is_number
from ..errors import InputError
from .body import forearm_scene, trunk_scene
from .camera import local_scale, random_pose, shoot, warp, warp_mask
from .disease import PATTERNS, Disease, depig_field, make_disease
from .face import HAIR_SRGB, face_scene
from .references import ARUCO_DICT, CHART_SRGB, draw_chart, draw_marker
from .render import SkinTextures, compose, make_textures
from .scene import Scene, hex_lin
from .skin import FITZPATRICK_ITA, depigmented_lab, normal_skin_lab, type_of_ita
from .truth import FACE_HU, SynthPhoto, Truth, _snap_ladder

__all__ = ["make_photo", "SITES", "BACKGROUNDS", "HAND_UNIT_CM2"]

SITES = ("face", "forearm", "trunk")
BACKGROUNDS = ("dark", "light", "busy")
#: Hand unit used for body sites (1 % of a 1.8 m^2 body surface area), cm^2.
HAND_UNIT_CM2 = 180.0
#: Field of view defining the default scale: face 380 mm high, forearm 400 mm wide, trunk 560 mm high.
_FOV_MM = {"face": ("h", 380.0), "forearm": ("w", 400.0), "trunk": ("h", 560.0)}
#: Plausible ``mm_per_px``, as multiples of the default one (the site fills the frame): from a
#: close-up showing 1/20 of the site's field of view to the site filling 1/4 of the frame.
#: Outside it the drawing degenerates: a frame-filling patch that takes minutes to draw, or
#: a site of a few pixels with no patch (mm_per_px=1000 was a ValueError from max()).
SCALE_SPAN = (0.05, 4.0)
_ITA_JITTER = {"I": 2.0, "II": 3.0, "III": 2.5, "IV": 3.0, "V": 6.0, "VI": 5.0}
_REF_EXCLUDE_MM = 8.0


@dataclass(eq=False)
class _Patient:
    scene: Scene
    disease: Disease
    tex: SkinTextures
    skin_type: str
    ita: float
    normal_lab: np.ndarray
    depig_lab: np.ndarray
    baseline_truth: np.ndarray
    ref_occluder: np.ndarray
    marker: dict | None
    chart: dict | None


def _frame_filling_scale(site, H, W) -> float:
    """The default ``mm_per_px`` (mm/px): the site's field of view (``_FOV_MM``) fills the
    frame's height or width."""
    ax, fov = _FOV_MM[site]
    return fov / (H if ax == "h" else W)


def _check_common(skin_type, ita, site, modality, shape, mm_per_px, background):
    check_choice(site, SITES, "site")
    check_choice(modality, ("visible", "woods"), "modality")
    check_choice(background, BACKGROUNDS, "background")
    if ita is None:
        check_choice(skin_type, tuple(FITZPATRICK_ITA), "skin_type")
    elif not (is_number(ita) and -90 < ita < 90):
        raise InputError(f"ita must be an individual typology angle in degrees (about -55 .. 65); "
                         f"got {ita!r}.")
    try:
        H, W = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise InputError(f"shape must be (H, W) in px; got {shape!r}.") from None
    if H < 64 or W < 64:
        raise InputError(f"shape must be at least (64, 64) px; got {(H, W)}.")
    if check_positive(mm_per_px, "mm_per_px", allow_none=True) is not None:
        ax, fov = _FOV_MM[site]
        fill = _frame_filling_scale(site, H, W)
        lo, hi = SCALE_SPAN[0] * fill, SCALE_SPAN[1] * fill
        if not lo <= float(mm_per_px) <= hi:
            side = "height" if ax == "h" else "width"
            raise InputError(
                f"mm_per_px={mm_per_px!r} is implausible for a {site} ({fov:g} mm across the "
                f"frame's {side}) in a {H}x{W} px photo: it must be in [{lo:.3g}, {hi:.3g}] "
                f"mm/px (from a close-up of 1/20 of the {site} to the {site} filling 1/4 of the "
                f"frame). Leave mm_per_px out for {fill:.3g} (the {site} fills the frame), or "
                "change shape.")
    return H, W


def _check_drawing(n_patches, extent, jpeg_quality) -> tuple:
    """The patches' number and size and the JPEG quality, checked, as (int or None, float,
    int or None)."""
    if n_patches is not None and not (is_number(n_patches, whole=True) and n_patches >= 0):
        raise InputError(f"n_patches must be a whole number >= 0 (or None); got {n_patches!r}.")
    if jpeg_quality is not None and not (is_number(jpeg_quality, whole=True)
                                         and 1 <= jpeg_quality <= 100):
        raise InputError(f"jpeg_quality must be a whole number in 1-100 (or None for no JPEG); "
                         f"got {jpeg_quality!r}.")
    return (None if n_patches is None else int(n_patches),
            check_positive(extent, "extent", fix="It multiplies the patches' size; 1 is as drawn."),
            None if jpeg_quality is None else int(jpeg_quality))


def _fraction(value, name: str) -> float:
    """A fraction in [0, 1], checked (50 or 1.5 drew no patch at all)."""
    if not (is_number(value) and 0.0 <= value <= 1.0):
        raise InputError(f"{name} must be a fraction in [0, 1] (0.5, not 50); got {value!r}.")
    return float(value)


def _build_patient(rng, *, skin_type, ita, site, shape, mm_per_px, background, pattern, response,
                   new_patches, marker, chart, n_patches=None, extent=1.0) -> _Patient:
    H, W = shape
    if ita is None:
        j = _ITA_JITTER[skin_type]
        ita = FITZPATRICK_ITA[skin_type] + float(rng.uniform(-j, j))
    else:
        ita = float(ita)
        skin_type = type_of_ita(ita)
    if mm_per_px is None:
        mm_per_px = _frame_filling_scale(site, H, W)
    normal_lab = normal_skin_lab(ita)
    depig_lab = depigmented_lab(normal_lab)
    builder = {"face": face_scene, "forearm": forearm_scene, "trunk": trunk_scene}[site]
    scene = builder((H, W), mm_per_px, rng=rng, skin_lab=normal_lab, skin_type=skin_type)
    # references: keep them off the assessed region
    occ = np.zeros((H, W), bool)
    mk = ch = None
    if marker:
        side_mm = float(max(25.0, 5.0 * np.ceil(60.0 * mm_per_px / 5.0)))
        fy, fx = scene.references_at["marker"]
        y0, x0 = int(fy * H), int(fx * W)
        mk = {"dictionary": ARUCO_DICT, "id": 7, "side_mm": side_mm, "top_left_yx": (y0, x0)}
        m = int(round((side_mm + 6.0) / mm_per_px))
        occ[y0 : y0 + m, x0 : x0 + m] = True
    if chart:
        fy, fx = scene.references_at["chart"]
        y0, x0 = int(fy * H), int(fx * W)
        ch = {"name": "macbeth24", "patch_size_mm": 10.0, "gap_mm": 2.5, "top_left_yx": (y0, x0)}
        occ[y0 : y0 + int(round(52.5 / mm_per_px)) + 1, x0 : x0 + int(round(72.5 / mm_per_px)) + 1] = True
    scene.roi &= ~occ
    # the reference region is where the geometric shading is ~1 (well and evenly lit), so the
    # calibrated colour and the colour measured there agree
    for tol in (0.04, 0.08, 0.15):
        even = scene.ref_region & (np.abs(scene.shading - 1.0) < tol) & ~occ
        if even.sum() >= 40:
            scene.ref_region = even
            break
    scene.patch_prob = scene.patch_prob * ~occ
    disease = make_disease(scene, rng=rng, pattern=pattern, response=response, new_patches=new_patches,
                           n_patches=n_patches, extent=extent)
    leuko = np.zeros((H, W), bool)
    for p in disease.patches:
        if p.leukotrichia:
            ys, xs = p.slices
            leuko[ys, xs] |= p.sd > 0
    hair_lin = hex_lin(HAIR_SRGB[skin_type][0]) * 0.8
    tex = make_textures(scene, rng=rng, normal_lab=normal_lab, depig_lab=depig_lab, skin_type=skin_type,
                        background=background, hair_lin=hair_lin, white_hair_where=leuko)
    _, base_truth = depig_field(disease, (H, W), [0.0] * len(disease.patches), week=0.0, mm_per_px=mm_per_px)
    return _Patient(scene, disease, tex, skin_type, float(ita), normal_lab, depig_lab, base_truth, occ, mk, ch)


def _island_count(mask):
    if not mask.any():
        return 0
    n, _ = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    return int(n - 1)


def _render_visit(pt: _Patient, rng, *, week, fractions, modality, T, camera, jpeg_quality, light=None) -> SynthPhoto:
    sc = pt.scene
    H, W = sc.shape
    mmpx = sc.mm_per_px
    woods = modality == "woods"
    d, truth_all = depig_field(pt.disease, (H, W), fractions, week=float(week), mm_per_px=mmpx,
                               border_scale=0.35 if woods else 1.0)
    spec = float(rng.uniform(0.03, 0.12)) if camera else 0.06
    lin = compose(sc, pt.tex, d, modality=modality, spec_strength=spec)
    marker = chart = None
    if pt.marker is not None or pt.chart is not None:
        ref_lin = np.zeros_like(lin)
        ref_a = np.zeros(lin.shape[:2], np.float32)
        if pt.marker is not None:
            corners = draw_marker(ref_lin, modality=modality, top_left_yx=pt.marker["top_left_yx"],
                                  side_mm=pt.marker["side_mm"], mm_per_px=mmpx, marker_id=pt.marker["id"])
            marker = {k: v for k, v in pt.marker.items() if k != "top_left_yx"}
            marker["corners_px"] = _apply_h(T, corners)
            marker["mm_per_px"] = float(mmpx / local_scale(T, corners.mean(axis=0)))
        if pt.chart is not None:
            centres = draw_chart(ref_lin, modality=modality, top_left_yx=pt.chart["top_left_yx"], mm_per_px=mmpx)
            chart = {k: v for k, v in pt.chart.items() if k != "top_left_yx"}
            chart["srgb"] = CHART_SRGB.copy()
            chart["centers_px"] = _apply_h(T, centres)
        ref_a[pt.ref_occluder] = 1.0
        lin = warp(lin, T)
        ref_a = warp(ref_a, T, border=cv2.BORDER_CONSTANT)[..., None]
        ref_lin = warp(ref_lin, T, border=cv2.BORDER_CONSTANT)
        lin = lin * (1 - ref_a) + ref_lin * ref_a
    else:
        lin = warp(lin, T)
    image, jpeg, cam = shoot(lin, rng, modality=modality, camera=camera, jpeg_quality=jpeg_quality, params=light)
    # ---- truth ----
    roi_s = sc.roi
    depig_base = truth_all & roi_s
    new_base = depig_base & (pt.disease.labels == 0)
    roi = warp_mask(roi_s, T)
    depig_all = warp_mask(truth_all, T)
    depig = depig_all & roi
    # reference skin: normal assessed skin far from any depigmentation, in the well-lit region
    near = cv2.distanceTransform((~(truth_all | pt.baseline_truth)).astype(np.uint8), cv2.DIST_L2, 3) <= _REF_EXCLUDE_MM / mmpx
    any_depig = truth_all | pt.baseline_truth
    for ref_s in (sc.ref_region & ~near & roi_s, sc.ref_region & roi_s & ~any_depig, roi_s & ~near, roi_s & ~any_depig):
        if ref_s.sum() >= 12:
            break
    ref = warp_mask(ref_s, T) & roi & ~depig_all
    rows = []
    labels = pt.disease.labels
    for i, p in enumerate(pt.disease.patches, start=1):
        ys, xs = p.slices
        lab = (labels[ys, xs] == i) & roi_s[ys, xs]
        base_a = int((lab & pt.baseline_truth[ys, xs]).sum())
        res_a = int((lab & truth_all[ys, xs]).sum())
        isl = _island_count(lab & pt.baseline_truth[ys, xs] & ~truth_all[ys, xs]) if res_a < base_a else 0
        rows.append({"patch_id": i, "baseline_area_px": base_a, "residual_area_px": res_a,
                     "repigmentation_pct": 100.0 * (1 - res_a / base_a) if base_a else float("nan"),
                     "pattern": p.pattern, "island_count": isl, "leukotrichia": p.leukotrichia,
                     "response": p.response})
    patches = pd.DataFrame(rows, columns=["patch_id", "baseline_area_px", "residual_area_px", "repigmentation_pct",
                                          "pattern", "island_count", "leukotrichia", "response"])
    patches = patches[patches["baseline_area_px"] > 0].reset_index(drop=True)
    mm_photo = mmpx / local_scale(T, (W / 2.0, H / 2.0))
    n_d, n_a = int(depig.sum()), int(roi.sum())
    frac = n_d / n_a if n_a else float("nan")
    is_face = sc.site == "face"
    area_cm2 = n_d * mm_photo * mm_photo / 100.0
    cam = dict(cam, pose=T.tolist(), specular=spec)
    tr = Truth(
        depig_mask=depig, roi_mask=roi, reference_mask=ref, depig_mask_all=depig_all, mm_per_px=float(mm_photo),
        depig_area_px=n_d, depig_area_cm2=float(area_cm2), assessed_area_px=n_a, depig_fraction=float(frac),
        area_hu=float(FACE_HU * frac) if is_face else float(area_cm2 / HAND_UNIT_CM2),
        f_vasi=float(FACE_HU * frac) if is_face else None,
        f_vasi_clinical=float(FACE_HU * _snap_ladder(frac)) if is_face else None,
        skin_type=pt.skin_type, ita_deg=pt.ita, modality=modality, site=sc.site, week=int(week),
        transform=np.asarray(T, np.float64), reference_lab=np.asarray(pt.normal_lab, np.float64),
        depig_lab=np.asarray(pt.depig_lab, np.float64), patches=patches, depig_mask_baseline=depig_base,
        new_depig_mask_baseline=new_base, marker=marker, chart=chart, camera=cam,
    )
    return SynthPhoto(image=image, truth=tr, jpeg_bytes=jpeg)


def _apply_h(T, xy):
    p = np.c_[np.asarray(xy, np.float64), np.ones(len(xy))] @ np.asarray(T).T
    return p[:, :2] / p[:, 2:3]


def make_photo(*, rng, skin_type="III", ita=None, site="face", modality="visible", shape=(900, 1200),
               mm_per_px=None, background="dark", marker=False, chart=False, camera=True, jpeg_quality=92,
               pattern="mixed", repigmented=0.0, n_patches=None, extent=1.0) -> SynthPhoto:
    """A synthetic clinical photo of vitiligo with exact ground truth.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Seeded source of randomness (same seed, same bytes).
    skin_type : {"I", "II", "III", "IV", "V", "VI"}
        Fitzpatrick type; the normal skin's ITA is drawn inside the type's band.
    ita : float, optional
        Normal skin ITA in degrees (about -55 .. 65); overrides ``skin_type``.
    site : {"face", "forearm", "trunk"}
    modality : {"visible", "woods"}
        Visible light or Wood's lamp (UV, ~365 nm).
    shape : tuple of int
        ``(H, W)`` in px.
    mm_per_px : float, optional
        Scale at the skin plane; default: a face 380 mm high, a forearm 400 mm wide or a
        trunk 560 mm high fills the frame. Given, it must be within ``SCALE_SPAN`` (0.05-4)
        times that default: from a close-up of 1/20 of the site to the site filling 1/4 of
        the frame (an error names the range for the site and shape).
    background : {"dark", "light", "busy"}
    marker, chart : bool
        Put an ArUco marker (DICT_4X4_50, id 7, side in ``truth.marker["side_mm"]``) and a
        24-patch colour chart in the frame.
    camera : bool
        Pose change (rotation <= 8 deg, scale <= 10 %), light, white balance, blur, noise.
    jpeg_quality : int or None
        JPEG quality; ``None`` keeps the uncompressed image.
    pattern : str
        Repigmentation pattern of partially repigmented patches.
    repigmented : float
        Fraction (0..1) of each patch already repigmented (0 = untreated).
    n_patches : int, optional
        Number of patches.
    extent : float
        Patch size multiplier.

    Returns
    -------
    SynthPhoto

    Examples
    --------
    >>> ph = make_photo(rng=0, shape=(120, 160), jpeg_quality=None)
    >>> ph.image.shape, ph.truth.depig_area_px == int(ph.truth.depig_mask.sum())
    ((120, 160, 3), True)
    """
    rng = check_rng(rng)
    H, W = _check_common(skin_type, ita, site, modality, shape, mm_per_px, background)
    check_choice(pattern, PATTERNS, "pattern")
    repigmented = _fraction(repigmented, "repigmented")
    n_patches, extent, jpeg_quality = _check_drawing(n_patches, extent, jpeg_quality)
    pt = _build_patient(rng, skin_type=skin_type, ita=ita, site=site, shape=(H, W), mm_per_px=mm_per_px,
                        background=background, pattern=pattern, response=repigmented, new_patches=False,
                        marker=marker, chart=chart, n_patches=n_patches, extent=extent)
    T = random_pose(rng, (H, W), rotation_deg=8.0, scale=0.10, shift=0.03, perspective=0.03) if camera else np.eye(3)
    fr = [p.response if repigmented > 0 else 0.0 for p in pt.disease.patches]
    return _render_visit(pt, rng, week=0, fractions=fr, modality=modality, T=T, camera=camera, jpeg_quality=jpeg_quality)
