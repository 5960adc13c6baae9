"""Score one photo series (patient x site x modality) for a batch run.

:func:`score_series` is the unit of work that the batch runner sends to a process pool or a
Dask cluster: it takes a picklable :class:`SeriesTask`, never raises, writes nothing, and
returns a plain dict of tables and encoded images that the runner writes (so one process
owns the output folder and a remote worker needs only to read the photos).

Preferred path: :func:`vasi.track_series` (registration to baseline, repigmentation in
baseline coordinates). If it fails for a series, every photo is scored on its own with
:func:`vasi.score_photo` and the fallback is recorded in the errors table and the
``method`` column -- never silently.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from .calibrate import scale_flags
from .errors import VasiError
from .manifest import safe_slug
from .pipeline import review_flags
from .roi import region_flags
from .series_measure import add_endpoints
from .sites import scored_site

__all__ = ["SeriesTask", "score_series", "worker_died", "read_mask", "repigmentation_map",
           "has_score", "VISIT_COLUMNS", "ERROR_COLUMNS"]

log = logging.getLogger("vasi")
#: The series :func:`score_series` is scoring in this thread (or task), for :class:`_InSeries`.
_SERIES: contextvars.ContextVar = contextvars.ContextVar("vasi_series", default="")


class _InSeries(logging.Filter):
    """Names the series being scored in the messages of vasi's logger (``week 24:
    registration failed`` -> ``series P001/face-visible: week 24: ...``): the functions
    scoring one series do not know which patient it is."""

    def filter(self, record):
        key = _SERIES.get()
        if key:
            record.msg = f"series {key.replace('%', '%%') if record.args else key}: {record.msg}"
        return True


if not any(type(f).__name__ == "_InSeries" for f in log.filters):  # (once, also on reload)
    log.addFilter(_InSeries())

#: Columns of the visits table, in order (extra columns from the scorer follow, sorted).
VISIT_COLUMNS = [
    "patient_id", "arm", "site", "modality", "visit", "week", "date", "photo", "photo_sha256",
    "colour_profile", "colour_converted", "is_baseline",
    "method", "registered", "registration_reason", "reg_method", "reg_via_week", "reg_inliers",
    "reg_inlier_ratio", "reg_residual_px", "reg_residual_mm", "assessed_area_px",
    "depigmented_area_px", "depigmented_fraction", "depigmented_area_cm2",
    "depigmented_area_hu", "depigmented_area_hu_physical", "baseline_patch_area_px",
    "residual_area_px", "repigmented_area_px", "repigmentation_pct", "new_depigmentation_px",
    "f_vasi", "f_vasi_clinical", "f_vasi_unregistered", "f_vasi_pct_change", "f_vasi50",
    "f_vasi75", "f_vasi90", "mm_per_px", "scale_source", "quality_flags", "needs_review", "overlay",
    "repigmentation_map",
]
# the visits table's endpoint flags: pandas' nullable "boolean" (<NA>: undefined)
_FLAGS = ("f_vasi50", "f_vasi75", "f_vasi90")
ERROR_COLUMNS = ["patient_id", "site", "modality", "visit", "week", "photo", "stage",
                 "error_type", "message"]
#: How a batch is told a photo is a Wood's lamp photo (``vasi batch`` has no ``--modality``).
BATCH_WOODS_HINT = ("name it as one (face_woods.jpg, a word 'woods' or 'uv' in the file name) "
                    "or give modality 'woods' in the manifest")
#: Longest side of the images embedded in the HTML reports, in px.
THUMB_PX = 560


@dataclass(frozen=True)
class SeriesTask:
    """One series to score (picklable).

    Attributes
    ----------
    key : str
        Safe series key ``patient_slug/site-modality`` (also its folder under ``overlays/``).
    rows : tuple of dict
        Manifest rows (``patient_id``, ``visit``, ``week``, ``photo``, ``photo_rel``, ...)
        sorted by week.
    fingerprint : str
        Hash of the rows and photo file states; a cached result is reused only if it matches.
    overlays : bool
        Encode full-resolution overlay PNGs.
    use_track : bool
        Use :func:`vasi.track_series` when available.
    options : dict
        Keyword options of :func:`vasi.score_photo` and :func:`vasi.track_series` that the
        run sets (``colour_cast``); the functions' defaults otherwise.
    """

    key: str
    rows: tuple
    fingerprint: str = ""
    overlays: bool = True
    use_track: bool = True
    options: dict = field(default_factory=dict)


def has_score(visits: pd.DataFrame) -> pd.Series:
    """Which rows of a visits table have a score (a depigmented fraction): a follow-up
    whose registration to baseline failed is a row without one (flagged ``registration
    failed``). A table without the column counts every row.

    >>> has_score(pd.DataFrame({"depigmented_fraction": [0.2, float("nan")]})).tolist()
    [True, False]
    """
    if "depigmented_fraction" not in visits:
        return pd.Series(True, index=visits.index)
    return pd.to_numeric(visits["depigmented_fraction"], errors="coerce").notna()


def _encode(image, ext, max_side=None, quality=88) -> bytes:
    img = _thumb(image, max_side) if max_side else np.asarray(image)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == ".jpg" else []
    ok, buf = cv2.imencode(ext, cv2.cvtColor(img, cv2.COLOR_RGB2BGR), params)
    if not ok:  # pragma: no cover - cv2 encodes any uint8 RGB
        raise VasiError(f"cannot encode an image as {ext}")
    return buf.tobytes()


#: Colours of :func:`repigmentation_map` by class code (0 = baseline photo, dimmed).
_REPIG_RGB = np.array([(0, 0, 0), (60, 60, 60), (230, 40, 200), (40, 200, 80), (255, 150, 0)],
                      np.uint8)
#: ``uint8(float32(v) * 0.55)``: the dimmed baseline, by table.
_DIM = (np.arange(256, dtype=np.float32) * np.float32(0.55)).astype(np.uint8)


def _repig_codes(baseline_mask, mask, valid=None, new=None) -> np.ndarray:
    """Class of every pixel of :func:`repigmentation_map` (uint8): 0 baseline photo,
    1 not covered, 2 residual, 3 repigmented, 4 new (later classes win, as drawn)."""
    code = np.zeros(baseline_mask.shape, np.uint8)
    valid = np.ones(baseline_mask.shape, bool) if valid is None else valid
    code[~valid] = 1
    code[baseline_mask & mask & valid] = 2
    code[baseline_mask & ~mask & valid] = 3
    if new is not None:
        code[new & valid] = 4
    return code


def _paint(baseline, code) -> np.ndarray:
    """The dimmed baseline with the classes of ``code`` painted on it."""
    base = np.ascontiguousarray(baseline, dtype=np.uint8)
    out = cv2.LUT(base, _DIM)
    on = code > 0
    out[on] = _REPIG_RGB[code[on]]
    return out


def repigmentation_map(baseline, baseline_mask, mask, *, valid=None, new=None) -> np.ndarray:
    """Colour map in baseline coordinates: residual (magenta), repigmented (green), new (orange).

    Parameters
    ----------
    baseline : ndarray (H, W, 3) uint8
        Baseline photo (drawn dimmed underneath).
    baseline_mask, mask : ndarray of bool (H, W)
        Depigmentation at baseline and at the visit (warped to baseline).
    valid : ndarray of bool, optional
        Baseline pixels the visit's photo covers (others are greyed).
    new : ndarray of bool, optional
        New depigmentation, where the baseline had none.

    Examples
    --------
    >>> b = np.zeros((4, 4), bool); b[:2] = True
    >>> m = np.zeros((4, 4), bool); m[0] = True
    >>> out = repigmentation_map(np.full((4, 4, 3), 128, np.uint8), b, m)
    >>> out[0, 0].tolist(), out[1, 0].tolist(), out[3, 0].tolist()
    ([230, 40, 200], [40, 200, 80], [70, 70, 70])
    """
    return _paint(baseline, _repig_codes(baseline_mask, mask, valid, new))


def _series_maps(res, baseline, full: bool) -> dict:
    """:func:`repigmentation_map` of every registered follow-up of a
    :class:`vasi.series.SeriesResult`, from its working-resolution masks: at the baseline
    photo's full size when ``full`` (identical to the map of the full-size masks, which are
    the same nearest-neighbour upsampling of the same masks), else at the working resolution
    (for thumbnails)."""
    from .register import _shrink
    from .series import _upsample

    bi = res.baseline_index
    masks, valid, new = res.masks, res.valid_masks, res.new_masks
    base_w = masks.working(bi)
    small = None if full else _shrink(np.asarray(baseline, np.uint8),
                                      max(base_w.shape))[0]
    out = {}
    for i in range(len(masks)):
        if i == bi or masks.working(i) is None:
            continue
        code = _repig_codes(base_w, masks.working(i), valid.working(i), new.working(i))
        if full:
            code = _upsample(code, masks.scale, masks.shape, cv2.INTER_NEAREST)
            out[i] = _paint(baseline, code)
        else:
            if small.shape[:2] != code.shape:
                small = cv2.resize(small, code.shape[::-1], interpolation=cv2.INTER_AREA)
            out[i] = _paint(small, code)
    return out


def read_mask(path, shape) -> np.ndarray:
    """Read a region mask image (any non-zero pixel is inside) of the photo's ``shape``.

    Raises
    ------
    vasi.PhotoError
        Missing, unreadable, or not the photo's size.

    Examples
    --------
    >>> read_mask("/nonexistent.png", (4, 4))
    Traceback (most recent call last):
    ...
    vasi.errors.PhotoError: cannot read region mask '/nonexistent.png': missing or not an image
    """
    from pathlib import Path

    from .errors import PhotoError

    path = Path(path)
    m = None
    if path.is_file():
        m = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_GRAYSCALE)
    if m is None:
        raise PhotoError(path, "missing or not an image", kind="region mask")
    if m.shape != tuple(shape):
        raise PhotoError(path, f"it is {m.shape[1]} x {m.shape[0]} px, the photo "
                               f"{shape[1]} x {shape[0]}; draw the mask on the photo itself",
                         kind="region mask")
    return m > 0


def _error(row, stage, exc) -> dict:
    msg = str(exc) if isinstance(exc, VasiError) else f"unexpected {type(exc).__name__}: {exc}"
    # the photo as the tables name it (relative to the input), not as this machine's path:
    # the same input gives the same errors table wherever and however it is given
    for spelled in sorted({str(row["photo"]), str(Path(row["photo"]).resolve())}, key=len,
                          reverse=True):  # (the longer first: the other may be part of it)
        msg = msg.replace(spelled, row["photo_rel"])
    return {"patient_id": row["patient_id"], "site": row["site"], "modality": row["modality"],
            "visit": row["visit"], "week": float(row["week"]), "photo": row["photo_rel"],
            "stage": stage, "error_type": type(exc).__name__, "message": msg}


def _read(row, errors):
    """A visit's photo, region, scale and scale source, or None with the error recorded.
    ``row["photo_sha256"]`` becomes the digest of the bytes read (None when none could be):
    a photo replaced, truncated or removed after the run listed it is told from the listed
    one, whether or not it decodes; ``row["colour_profile"]`` / ``row["colour_converted"]``
    those of the photo's :class:`vasi.io.PhotoMeta` (its embedded ICC profile, and whether
    the pixels were converted from it to sRGB)."""
    from ._validate import check_colour
    from .io import DEFAULT_MAX_PIXELS, _decode_bytes, _file_bytes

    row["photo_sha256"] = None
    try:
        path, data = _file_bytes(row["photo"])
        row["photo_sha256"] = hashlib.sha256(data).hexdigest()
        photo = _decode_bytes(data, path, DEFAULT_MAX_PIXELS)
        row["colour_profile"] = photo.meta.colour_profile or ""  # (as "date": a string column)
        row["colour_converted"] = bool(photo.meta.colour_converted)
        check_colour(photo.image, row["modality"], woods_hint=BATCH_WOODS_HINT)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the run goes on
        errors.append(_error(row, "read", exc))
        return None
    roi = None
    if row.get("roi"):
        try:
            roi = read_mask(row["roi"], photo.shape)
        except Exception as exc:  # noqa: BLE001
            errors.append(_error(row, "read_roi", exc))
            return None
    from .calibrate import resolve_scale

    try:
        mm, source = resolve_scale(photo, mm_per_px=row.get("mm_per_px"),
                                   marker_mm=row.get("marker_mm"))
    except Exception as exc:  # noqa: BLE001 - the photo is still scored, without a scale
        log.warning("%s: scale not measured (%s)", row["photo_rel"], exc)
        mm, source = None, f"none: scale search failed: {type(exc).__name__}: {exc}"
    return photo.image, roi, mm, source


def _ident(row) -> dict:
    return {"patient_id": row["patient_id"], "arm": row.get("arm", ""), "site": row["site"],
            "modality": row["modality"], "visit": row["visit"], "week": float(row["week"]),
            "date": row.get("date", ""), "photo": row["photo_rel"],
            "photo_sha256": row.get("photo_sha256"),
            "colour_profile": row.get("colour_profile"),
            "colour_converted": row.get("colour_converted")}


def _hu_physical(row, area_cm2):
    h, w = row.get("height_cm"), row.get("weight_kg")
    if area_cm2 is None or h is None or w is None or any(
            isinstance(v, float) and math.isnan(v) for v in (h, w, area_cm2)):
        return np.nan
    from .hand_units import hand_unit_cm2

    return float(area_cm2) / hand_unit_cm2(height_cm=float(h), weight_kg=float(w))


def _score_each(task, loaded, site, errors, out_files, thumbs):
    """Fallback: every photo on its own with score_photo."""
    from .pipeline import score_photo

    rows = []
    for row, item in loaded:
        img, roi, mm, source = item
        try:
            res = score_photo(img, site=site, modality=row["modality"], roi=roi, mm_per_px=mm,
                              **task.options)
        except Exception as exc:  # noqa: BLE001
            errors.append(_error(row, "score", exc))
            continue
        d = res.to_dict()
        r = {**_ident(row), "method": "score_photo", "is_baseline": float(row["week"]) == 0.0,
             "registered": None, **{k: d[k] for k in d if k not in ("flags", "n_patches")},
             "mm_per_px": mm, "scale_source": source, "quality_flags": d["flags"],
             "needs_review": ";".join(res.needs_review)}
        r["depigmented_area_hu_physical"] = _hu_physical(row, d["depigmented_area_cm2"])
        _visit_images(task, row, img, res.mask, res.roi, r, out_files, thumbs)
        rows.append(r)
        p = res.patches.copy()
        p.insert(0, "week", float(row["week"]))
        thumbs.setdefault("_patches", []).append(p)
    visits = pd.DataFrame(rows)
    if len(visits):
        add_endpoints(visits)
    return visits


def _thumb(img, max_side=THUMB_PX) -> np.ndarray:
    """``img`` reduced (area average) to a long side of at most ``max_side`` px."""
    img = np.asarray(img)
    if max(img.shape[:2]) <= max_side:
        return img
    s = max_side / max(img.shape[:2])
    return cv2.resize(img, (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s))),
                      interpolation=cv2.INTER_AREA)


def _visit_images(task, row, img, mask, roi, r, out_files, thumbs, repig=None):
    """Overlay (PNG when ``task.overlays``) and thumbnails of one visit. Without overlay
    files the overlay is drawn on the thumbnail-size photo only (the full-size drawing would
    be thrown away)."""
    from .overlay import overlay

    vslug = safe_slug(f"week{float(row['week']):g}")
    rel = f"overlays/{task.key}/{vslug}.png"
    img_t = _thumb(img)
    if task.overlays:
        over = overlay(img, mask, roi=roi)
        out_files[rel] = _encode(over, ".png")
        r["overlay"] = rel
        over_t = _thumb(over)
    else:
        def small(m):
            cov = _thumb(np.ascontiguousarray(m, dtype=bool).view(np.uint8) * np.uint8(255))
            return cov[:img_t.shape[0], :img_t.shape[1]] > 127

        over_t = overlay(img_t, small(mask), roi=None if roi is None else small(roi))
    t = {"photo": _encode(img_t, ".jpg"), "overlay": _encode(over_t, ".jpg")}
    if repig is not None:
        rrel = f"overlays/{task.key}/{vslug}_repigmentation.png"
        if task.overlays:
            out_files[rrel] = _encode(repig, ".png")
            r["repigmentation_map"] = rrel
        t["repigmentation"] = _encode(repig, ".jpg", THUMB_PX)
    thumbs[float(row["week"])] = t


def _track(task, loaded, site, errors, out_files, thumbs):
    import vasi

    imgs = [it[0] for _, it in loaded]
    res = vasi.track_series(imgs, weeks=[float(r["week"]) for r, _ in loaded], site=site,
                            modality=loaded[0][0]["modality"], rois=[it[1] for _, it in loaded],
                            mm_per_px=[it[2] for _, it in loaded], **task.options)
    bi = res.baseline_index
    maps = _series_maps(res, imgs[bi], full=task.overlays)
    by_index = {int(v["visit_index"]): v for v in res.visits.to_dict("records")}
    rows = []
    for i, (row, (img, _, mm, source)) in enumerate(loaded):
        v = by_index[i]
        seg = res.segmentations[i]
        r = {**_ident(row), **{k: v[k] for k in v if k not in ("week", "visit_index")},
             "method": "track_series", "mm_per_px": mm, "scale_source": source}
        own = getattr(seg, "roi", None)
        fraction = np.count_nonzero(own) / own.size if own is not None and own.size else None
        flags = [*getattr(seg, "flags", ()), *region_flags(v.get("region_method"), fraction),
                 *scale_flags(site, mm, np.count_nonzero(own) if own is not None else 0,
                              user_region=bool(row.get("roi")))]
        if not v.get("registered", True):
            flags.append("registration failed")
        r["quality_flags"] = ";".join(flags)
        r["needs_review"] = ";".join(review_flags(flags))
        r["depigmented_area_hu_physical"] = _hu_physical(row, v.get("depigmented_area_cm2"))
        _visit_images(task, row, img, seg.mask, seg.roi, r, out_files, thumbs, maps.get(i))
        rows.append(r)
    if len(res.patches):
        thumbs.setdefault("_patches", []).append(res.patches.copy())
    return pd.DataFrame(rows), res.provenance


def worker_died(task: SeriesTask) -> dict:
    """The result of a series whose worker process died while scoring it: an error row per
    photo (stage ``"worker"``), nothing measured.

    >>> row = dict(patient_id="P1", site="face", modality="visible", visit="week0", week=0.0,
    ...            photo="/p.jpg", photo_rel="p.jpg")
    >>> worker_died(SeriesTask("P1/face-visible", (row,)))["errors"]["stage"].tolist()
    ['worker']
    """
    exc = VasiError("the worker process scoring this series died (out of memory, or a crash "
                    "in a native library); nothing of the series was measured. The same "
                    "command retries it; --jobs 1 shows what stops it")
    errors = [{**_error(r, "worker", exc), "error_type": "WorkerDied"} for r in task.rows]
    return {"key": task.key, "fingerprint": task.fingerprint, "visits": pd.DataFrame(),
            "patches": pd.DataFrame(), "errors": pd.DataFrame(errors, columns=ERROR_COLUMNS),
            "files": {}, "thumbs": {}, "provenance": {}}


def score_series(task: SeriesTask) -> dict:
    """Score one series; never raises (failures become error rows). What vasi logs while
    it scores names the series (``series P001/face-visible: week 24: registration failed``).

    Returns
    -------
    dict
        ``key``, ``fingerprint``, ``visits`` / ``patches`` / ``errors`` DataFrames,
        ``files`` (``{relative path: PNG bytes}``), ``thumbs`` (``{week: {name: JPEG bytes}}``),
        ``provenance``.

    Examples
    --------
    >>> row = dict(patient_id="P1", site="face", modality="visible", visit="week0", week=0.0,
    ...            photo="/nonexistent.jpg", photo_rel="nonexistent.jpg")
    >>> out = score_series(SeriesTask("P1/face-visible", (row,)))
    >>> out["errors"][["stage", "error_type"]].values.tolist()
    [['read', 'PhotoError']]
    """
    token = _SERIES.set(task.key)
    try:
        return _score_series(task)
    finally:
        _SERIES.reset(token)


def _score_series(task: SeriesTask) -> dict:
    import vasi

    errors: list = []
    out_files: dict = {}
    thumbs: dict = {}
    provenance: dict = {"vasi_version": vasi.__version__}
    visits = pd.DataFrame()
    rows = [dict(r) for r in task.rows]  # (a row learns its photo's digest as read)
    site = scored_site(rows[0]["site"]) if rows else "body"
    try:
        loaded = [(row, item) for row in rows if (item := _read(row, errors)) is not None]
        base_ok = any(float(r["week"]) == 0.0 for r, _ in loaded)
        # (a baseline the input check left out -- a duplicate, a missing file -- its
        # follow-ups' rows of the errors table already explain: vasi.manifest)
        if not base_ok and loaded and any(float(r["week"]) == 0.0 for r in rows):
            for r, _ in loaded:
                errors.append(_error(r, "baseline", VasiError(
                    "baseline photo of this series could not be read: photo scored on its own, "
                    "no change from baseline")))
        if loaded and base_ok and task.use_track and hasattr(vasi, "track_series"):
            try:
                visits, prov = _track(task, loaded, site, errors, out_files, thumbs)
                provenance.update(prov)
            except Exception as exc:  # noqa: BLE001 - fall back honestly, and say so
                log.warning("track_series failed (%s); scoring photos one by one", exc)
                errors.append(_error(loaded[0][0], "track_series", exc))
                out_files.clear()
                thumbs.clear()
                visits = pd.DataFrame()
        if loaded and visits.empty:
            visits = _score_each(task, loaded, site, errors, out_files, thumbs)
            provenance["method"] = "score_photo"
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the other series
        for r in rows:
            errors.append(_error(r, "series", exc))
        visits = pd.DataFrame()
    patches = thumbs.pop("_patches", [])
    patches = pd.concat(patches, ignore_index=True) if patches else pd.DataFrame()
    if len(patches):
        ident = rows[0]
        patches.insert(0, "modality", ident["modality"])
        patches.insert(0, "site", ident["site"])
        patches.insert(0, "patient_id", ident["patient_id"])
    if len(visits):
        for c in VISIT_COLUMNS:
            if c not in visits:
                visits[c] = None
        extra = sorted(c for c in visits.columns if c not in VISIT_COLUMNS)
        visits = visits[VISIT_COLUMNS + extra]
        for c in _FLAGS:  # nullable boolean (<NA>: undefined), as add_endpoints sets
            visits[c] = visits[c].astype("boolean")  # (a tracked series' rows lose the dtype)
    # a photo replaced after the run listed it: these results are not those of the listed
    # content, so no later run may take them for it (no fingerprint matches None)
    swapped = [r["photo_rel"] for t, r in zip(task.rows, rows, strict=True)
               if t.get("photo_sha256") is not None and r.get("photo_sha256") != t["photo_sha256"]]
    for rel in swapped:
        log.warning("%s changed after the run started; the tables record the content read "
                    "(the next run scores the series again)", rel)
    return {"key": task.key, "fingerprint": None if swapped else task.fingerprint,
            "visits": visits,
            "patches": patches, "errors": pd.DataFrame(errors, columns=ERROR_COLUMNS),
            "files": out_files, "thumbs": thumbs, "provenance": provenance}
