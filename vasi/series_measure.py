"""The measuring half of :func:`vasi.series.track_series`: every visit against the baseline.

:class:`BaselinePatches` holds what the baseline gives at the series' working resolution
(its patches, their envelopes and depigmentation degree, the envelope model the follow-ups
are read with); :meth:`BaselinePatches.followup` brings a registered follow-up into
baseline coordinates, and :meth:`BaselinePatches.measure_visit` fills a visit's row and patch
table (tracking, new depigmentation, F-VASI, degree-mass repigmentation, pattern). The
per-visit and per-patch tables are finished by :func:`visit_table` and
:func:`patch_table`.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pandas as pd

from .color import srgb_to_linear
from .levels import _components_below
from .patterns import patterns as _patterns
from .register_geometry import _warp
from .track import EnvelopeModel, Tracking, confirm_box, confirm_new, label_patches, track

#: Repigmentation (%) from which a patch's remaining specks no longer show how it
#: repigmented (islands have merged, the border band has reached the centre): its
#: ``pattern`` is then the last one its course showed below this.
PATTERN_READABLE_MAX = 75.0

#: Visit-table columns that are always present and float (NaN where not measured).
FLOAT_COLUMNS = ("depigmented_area_hu", "new_depigmentation_hu", "depigmented_area_cm2",
                 "new_depigmentation_cm2", "f_vasi", "f_vasi_clinical", "repigmentation_pct",
                 "reg_residual_px", "reg_residual_mm", "reg_via_week")


class WorkingGrid:
    """The series' working resolution against the baseline photo's full resolution.

    Parameters
    ----------
    scale : (float, float)
        Working px per full-resolution px (x, y), as :func:`vasi.register.prepare` gives.
    shape : (int, int)
        Working shape (H, W).
    mm_per_px : float or None
        The baseline photo's full-resolution pixel size.

    Examples
    --------
    >>> g = WorkingGrid((0.25, 0.25), (300, 400), 0.1)
    >>> g.full_px(10), g.mm_per_px, g.px(2.0)
    (160, 0.4, 1)
    """

    def __init__(self, scale, shape, mm_per_px):
        self.shape = tuple(shape)
        self.s_mean = 0.5 * (scale[0] + scale[1])
        self.fa = 1.0 / (scale[0] * scale[1])  # full px per working px
        self.mm_per_px = mm_per_px / self.s_mean if mm_per_px else None

    def full_px(self, n_work) -> int:
        """A working-resolution pixel count in full-resolution baseline pixels."""
        return int(round(n_work * self.fa))

    def px(self, full_px) -> int:
        """A full-resolution length (px) in working px, at least 1."""
        return max(1, int(round(full_px * self.s_mean)))

    def area_px(self, full_area_px) -> int:
        """A full-resolution area (px) in working px, at least 1."""
        return max(1, int(round(full_area_px / self.fa)))

    def to_full(self, tab: pd.DataFrame) -> None:
        """Per-patch pixel columns (areas ``*_area_px``, lengths other ``*_px``) from working
        to full-resolution baseline pixels, in place. (Without a scale the island density
        stays per 1000 working px, the unit the pattern's threshold is in.)"""
        if self.fa == 1.0:
            return
        for col in tab.columns:
            if not col.endswith("_px"):
                continue
            v = tab[col].to_numpy(float)
            if col.endswith("area_px"):
                scaled = v * self.fa
                tab[col] = np.rint(scaled).astype(int) if tab[col].dtype.kind in "iu" else scaled
            else:
                tab[col] = v / self.s_mean


class BaselinePatches:
    """The baseline's tracked patches at the working resolution, and each visit read
    against them.

    Parameters
    ----------
    rgb : ndarray (h, w, 3) uint8
        The baseline photo at working resolution.
    mask, roi : ndarray of bool (h, w)
        The baseline's depigmentation and assessed region at working resolution.
    grid : WorkingGrid
    min_area_px, tolerance_px : int
        Smallest tracked patch and the new-depigmentation tolerance, in full-resolution px.
    min_new_area_px : float, keyword-only
        Smallest component of new depigmentation counted, in full-resolution px (0: all).
    measure : {"envelope", "segmentation"}
        As :func:`vasi.series.track_series`.
    envelope_kwargs : dict
        :class:`vasi.track.EnvelopeModel` arguments (``normal_level`` included).
    min_contrast_ratio : float
        Baseline candidates with less than this fraction of the main patches' contrast are
        not tracked (envelope measure only).

    Attributes
    ----------
    labels : ndarray of int32
        Tracked patch ids.
    mask : ndarray of bool
        The baseline's depigmentation (inside the envelopes: the envelope rule's).
    env, degree : ndarray or None
        Envelope labels and the baseline's depigmentation degree (envelope measure).

    Examples
    --------
    >>> base = np.full((60, 60, 3), (150, 100, 70), np.uint8); base[20:40, 20:40] = (235, 215, 200)
    >>> mask = np.all(base == (235, 215, 200), axis=-1)
    >>> bp = BaselinePatches(base, mask, np.ones((60, 60), bool), grid=WorkingGrid((1, 1), (60, 60), None),
    ...                      min_area_px=20, tolerance_px=3, measure="envelope",
    ...                      envelope_kwargs={}, min_contrast_ratio=0.4)
    >>> follow = base.copy(); follow[20:40, 20:30] = (150, 100, 70)   # half repigmented
    >>> own = (mask * 255).astype(np.uint8)   # its own segmentation (missed the change)
    >>> fmask, valid, linear, degree = bp.followup(follow, np.eye(3), own)
    >>> row = {}
    >>> _ = bp.measure_visit(row, fmask, valid, linear=linear, degree=degree, week=24.0,
    ...                      site="body", assessed_hu=None, baseline_week=0.0, with_patterns=False)
    >>> round(row["repigmentation_pct"], 1), row["residual_area_px"]
    (50.0, 200)
    """

    def __init__(self, rgb, mask, roi, *, grid: WorkingGrid, min_area_px, tolerance_px,
                 measure, envelope_kwargs, min_contrast_ratio, min_new_area_px=0.0):
        self.rgb, self.roi, self.grid, self.measure = rgb, roi, grid, measure
        self.min_new_px = float(min_new_area_px) / grid.fa  # (working px)
        self.tol = grid.px(tolerance_px)
        labels = label_patches(mask, min_area_px=grid.area_px(min_area_px), join_px=self.tol)
        self.env = self.degree = self._model = None
        # (without a scale the first model warns that ring_mm is not used: once, not per visit)
        self._ring_mm = envelope_kwargs.get("ring_mm") if grid.mm_per_px else None
        if measure == "envelope":
            # one colour rule for baseline and follow-ups inside each patch envelope
            first = EnvelopeModel(rgb, labels, roi=roi, mm_per_px=grid.mm_per_px,
                                  **envelope_kwargs)
            env = first.env
            env_base, self.degree, contrast = first.baseline()
            faint = _faint(contrast, labels, min_contrast_ratio)
            if faint.size:
                drop = np.isin(env, faint)
                env = np.where(drop, 0, env)
                env_base &= ~drop
            labels = np.where(env_base, env, 0).astype(np.int32)
            mask = (mask & (env == 0)) | env_base
            self.env = env
            # the follow-ups are measured inside these envelopes (baseline half computed once)
            self._model = EnvelopeModel(rgb, env, roi=roi, mm_per_px=grid.mm_per_px,
                                        **{**envelope_kwargs, "margin_px": 0,
                                           "ring_mm": self._ring_mm})
        self.labels, self.mask = labels, mask
        # the baseline's depigmentation left untracked (specks below the minimum size, faint
        # candidates) and the tolerance around it: a follow-up's depigmentation there is
        # what is left of it (scored like the baseline's, :func:`f_vasi_tracked`)
        tracked = labels > 0 if self.env is None else self.env > 0
        untracked = (mask & ~tracked).view(np.uint8)
        self.untracked = cv2.dilate(untracked, np.ones((3, 3), np.uint8),
                                    iterations=self.tol).view(bool) & ~tracked
        self._pattern_cache: dict = {}  # the baseline's share of the pattern work, once per patch
        # for confirming new depigmentation (computed once)
        self._linear = self._known = self._lesion = None

    def followup(self, rgb, Hw, own):
        """A registered follow-up in baseline coordinates (working resolution).

        Parameters
        ----------
        rgb : ndarray (hf, wf, 3) uint8
            The follow-up at its working resolution.
        Hw : ndarray (3, 3)
            Baseline -> follow-up homography at working resolution.
        own : ndarray (hf, wf) uint8
            The follow-up's own segmentation as coverage 0-255.

        Returns
        -------
        mask, valid : ndarray of bool
            Its depigmentation (inside the envelopes: the envelope rule's) and the baseline
            pixels it covers.
        linear : ndarray (h, w, 3) float32 or None
            The follow-up in linear light (envelope measure).
        degree : ndarray float32 or None
            Its depigmentation degree inside the envelopes (envelope measure).
        """
        h, w = self.grid.shape
        inv = cv2.WARP_INVERSE_MAP
        ones = np.ones(rgb.shape[:2], np.uint8)
        valid = cv2.warpPerspective(ones, Hw, (w, h), flags=inv | cv2.INTER_NEAREST) > 0
        mask = (cv2.warpPerspective(own, Hw, (w, h), flags=inv | cv2.INTER_LINEAR) > 127) & self.roi
        if self.measure != "envelope":
            return mask, valid, None, None
        # resampled in linear light: a pixel on a border is then the physical blend of the
        # two sides that the envelope's degree reads; bicubic: bilinear blurs islands of
        # 2-3 px above the half-way level (development series: island count error
        # 0.33-0.40 -> 0.28-0.33)
        linear = _warp(srgb_to_linear(rgb), Hw, rgb.shape[:2], (h, w), inverse=True,
                       interpolation="cubic", fill=0.0)
        inside, degree = self._model.apply(linear, valid=valid, linear=True)
        return (mask & (self.env == 0)) | inside, valid, linear, degree

    def measure_visit(self, row, mask, valid, *, linear=None, degree=None, is_baseline=False,
                      week, site, assessed_hu, baseline_week, with_patterns):
        """Track one visit against the baseline patches: fills ``row`` (areas, tracking,
        F-VASI) in place and returns its :class:`vasi.track.Tracking` and patch table
        (``week`` first, pixel columns in full-resolution baseline px)."""
        g = self.grid
        t: Tracking = track(self.mask, mask, labels=self.labels, valid=valid, roi=self.roi,
                            mm_per_px=g.mm_per_px, tolerance_px=self.tol)
        if t.new_area_px and (linear is not None or self.min_new_px > 0):
            if linear is not None:  # (confirm_new drops what is below the minimum size)
                new = self._confirmed(linear, t.new_mask, valid)
            else:
                new = t.new_mask & ~_components_below(t.new_mask, self.min_new_px)
            t = replace(t, new_mask=new, new_area_px=int(np.count_nonzero(new)))
        assessed = int(np.count_nonzero(self.roi & valid))
        depig = int(np.count_nonzero(mask & valid))
        frac = depig / assessed if assessed else np.nan
        row.update(assessed_area_px=g.full_px(assessed),
                   depigmented_area_px=g.full_px(depig),
                   depigmented_fraction=frac,
                   baseline_patch_area_px=g.full_px(t.baseline_area_px),
                   residual_area_px=g.full_px(t.residual_area_px),
                   repigmented_area_px=g.full_px(t.baseline_area_px)
                   - g.full_px(t.residual_area_px),
                   repigmentation_pct=t.repigmentation_pct,
                   new_depigmentation_px=g.full_px(t.new_area_px))
        if assessed_hu and assessed:
            row["depigmented_area_hu"] = assessed_hu * frac
            row["new_depigmentation_hu"] = assessed_hu * t.new_area_px / assessed
        if g.mm_per_px:
            row["depigmented_area_cm2"] = depig * g.mm_per_px**2 / 100.0
            row["new_depigmentation_cm2"] = t.new_area_px * g.mm_per_px**2 / 100.0
        if site == "face" and assessed:
            left = int(np.count_nonzero(mask & valid & self.untracked))
            row["f_vasi"], row["f_vasi_clinical"] = f_vasi_tracked(
                t, left + t.new_area_px, assessed, assessed_hu, baseline_week)
        ptab = t.patches.copy()
        envelope = self.measure == "envelope"
        if envelope and len(ptab):
            # second estimate from the degree mass (blur / partial darkening conserve it)
            pct, overall = degree_repig(self.env, self.degree, degree, valid, len(ptab))
            ptab["repigmentation_pct_degree"] = pct
            row["repigmentation_pct_degree"] = overall
        if with_patterns and len(ptab):
            pat = _patterns(self.labels, t.residual_mask, valid=valid, mm_per_px=g.mm_per_px,
                            baseline_degree=self.degree if envelope else None,
                            followup_degree=degree if envelope else None,
                            cache=self._pattern_cache)
            if is_baseline:
                pat["pattern"] = "none"
            ptab = ptab.merge(pat, on="patch_id", how="left")
        g.to_full(ptab)
        ptab.insert(0, "week", week)
        return t, ptab

    def _confirmed(self, linear, new, valid):
        """New depigmentation only where the skin changed between the two photos
        (:func:`vasi.track.confirm_new`)."""
        if self._linear is None:  # once per series: the baseline and what it already had
            self._linear = srgb_to_linear(self.rgb)
            self._known = cv2.dilate(((self.env > 0) | self.mask).view(np.uint8),
                                     np.ones((3, 3), np.uint8), iterations=self.tol).view(bool)
            # the patient's own vitiligo colour: new depigmentation must have turned towards it
            self._lesion = self._model.lesion_contrast()
        # confirm_new works only in this box: cut to it here, the whole frames (the same
        # baseline at every visit) are not checked and combined again at every visit
        mm, ring = self.grid.mm_per_px, self._ring_mm
        box = confirm_box(new, mm_per_px=mm, ring_mm=ring, lesion=self._lesion)
        out = np.zeros_like(new)
        out[box] = confirm_new(self._linear[box], linear[box], new[box],
                               roi=self.roi[box] & valid[box], exclude=self._known[box],
                               mm_per_px=mm, ring_mm=ring, linear=True,
                               min_area_px=self.min_new_px, lesion=self._lesion)
        return out


def _faint(contrast: dict, labels, min_contrast_ratio) -> np.ndarray:
    """Ids of the candidates whose contrast is below ``min_contrast_ratio`` of the patient's
    main patches' (their area-weighted median contrast): shading, slightly lighter skin."""
    if not contrast or min_contrast_ratio <= 0:
        return np.array([], int)
    ids = np.array(sorted(contrast))
    c = np.array([contrast[i] for i in ids])
    area = np.bincount(labels.ravel(), minlength=int(ids.max()) + 1)[ids]
    order = np.argsort(-c)
    cum = np.cumsum(area[order]) / max(area.sum(), 1)
    ref_c = c[order][np.searchsorted(cum, 0.5)]  # area-weighted median contrast
    return ids[c < min_contrast_ratio * ref_c]


def f_vasi_single(depig_px, assessed_px, assessed_hu):
    """Continuous F-VASI of one photo by the relative method (:func:`vasi.f_vasi`)."""
    from .scores import f_vasi

    return float(f_vasi(depigmented_px=int(depig_px), assessed_px=int(assessed_px),
                        assessed_hu=assessed_hu).continuous)


def f_vasi_tracked(t: Tracking, other_px, assessed_px, assessed_hu, week0):
    """Per-patch F-VASI of one visit (:func:`vasi.f_vasi` with a patches table).

    Extents are the baseline patch envelopes (relative hand units); each patch's level is its
    residual depigmentation. ``other_px`` -- what is left of the baseline's untracked
    depigmentation (specks below the minimum size, faint candidates) and the *confirmed* new
    depigmentation (:func:`vasi.track.confirm_new`) -- is an extra row at level 1.
    ``continuous`` is therefore ``assessed_hu x (residual + other_px) / assessed_px``, for
    the baseline and every follow-up alike. The rest of a follow-up's own segmentation
    outside the baseline patches (skin that did not change: a faint spot the baseline's
    segmentation left out, the envelopes' rims) is not scored: the baseline's score has no
    counterpart of it, and counting it at level 1 hid part of the improvement (a week-52
    F-VASI change of -70.8 % for a true -83.8 %: F-VASI75 missed).

    >>> from vasi.track import track
    >>> base = np.zeros((10, 10), bool); base[:4, :5] = True
    >>> follow = base.copy(); follow[:4, :2] = False; follow[8:, 8:] = True  # + 4 px elsewhere
    >>> t = track(base, follow)
    >>> f_vasi_tracked(t, 0, 100, 3.0, 0.0)[0], f_vasi_tracked(t, 4, 100, 3.0, 0.0)[0]
    (0.36, 0.48)
    """
    from .scores import f_vasi

    hu_px = assessed_hu / assessed_px
    p = t.patches[t.patches["baseline_area_px"] > 0]
    area = p["baseline_area_px"].to_numpy(float)
    rows = [pd.DataFrame({"area_hu": area * hu_px,
                          "residual_fraction": p["residual_area_px"].to_numpy(float) / area})]
    if other_px > 0:  # untracked specks' remainder and confirmed new, fully depigmented
        rows.append(pd.DataFrame({"area_hu": [int(other_px) * hu_px],
                                  "residual_fraction": [1.0]}))
    tab = pd.concat(rows, ignore_index=True)
    if not len(tab):
        tab = pd.DataFrame({"area_hu": [0.0], "residual_fraction": [0.0]})
    s = f_vasi(tab, baseline=week0)
    return float(s.continuous), float(s.clinical)


def degree_repig(env, deg_base, deg_f, valid, n, lo=-0.25, hi=1.25):
    """Per-patch and overall % repigmentation from the depigmentation *degree* mass.

    .. math:: 100 \\left(1 - \\frac{\\sum_E t_{visit}}{\\sum_E t_{baseline}}\\right)

    over each envelope ``E`` (covered pixels). Blur, JPEG and partial (diffuse) darkening
    conserve this mass, so tiny perifollicular islands that no pixel threshold can see still
    count. ``t`` is clipped to [lo, hi] against outliers (hair, glare).

    >>> env = np.array([[1, 1, 0]]); base = np.array([[1.0, 1.0, 0.0]])
    >>> pct, overall = degree_repig(env, base, np.array([[0.5, 0.0, 0.0]]), np.ones((1, 3), bool), 1)
    >>> pct.round(1).tolist(), round(overall, 1)
    ([75.0], 75.0)
    """
    ok = (env > 0) & valid & np.isfinite(deg_base) & np.isfinite(deg_f)
    lab = env[ok]
    mb = np.bincount(lab, weights=np.clip(deg_base[ok], lo, hi), minlength=n + 1)[1:n + 1]
    mf = np.bincount(lab, weights=np.clip(deg_f[ok], lo, hi), minlength=n + 1)[1:n + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(mb > 0, 100.0 * (1.0 - mf / np.where(mb > 0, mb, 1.0)), np.nan)
    tot_b = float(mb[mb > 0].sum())
    overall = 100.0 * (1.0 - float(mf[mb > 0].sum()) / tot_b) if tot_b > 0 else float("nan")
    return pct, overall


def visit_table(rows: list) -> pd.DataFrame:
    """The per-visit table: ``FLOAT_COLUMNS`` always there, F-VASI endpoints against the
    baseline row, sorted by week (the rows are, first, so the columns come in the same
    order whatever order the visits were measured in)."""
    visits = pd.DataFrame(sorted(rows, key=lambda r: (r["week"], r["visit_index"])))
    for col in FLOAT_COLUMNS:
        if col not in visits:
            visits[col] = np.nan
        visits[col] = visits[col].astype(float)
    add_endpoints(visits)
    return visits.sort_values(["week", "visit_index"], kind="stable").reset_index(drop=True)


def patch_table(tables: list) -> pd.DataFrame:
    """The per-(visit, patch) table, sorted by week and patch, with the patterns' course."""
    if not tables:
        return pd.DataFrame(columns=["week", "patch_id", "baseline_area_px",
                                     "repigmentation_pct"])
    patches = pd.concat(tables, ignore_index=True)
    if len(patches):
        patches = patches.sort_values(["week", "patch_id"], kind="stable").reset_index(drop=True)
        if "pattern" in patches:
            patches = _course_patterns(patches)
    return patches


def _course_patterns(patches: pd.DataFrame) -> pd.DataFrame:
    """``patches`` (sorted by week) with ``pattern_visit`` = each visit's own pattern and
    ``pattern`` carried forward from the patch's last visit below ``PATTERN_READABLE_MAX`` %
    repigmented (with a pattern other than ``"none"``) over its visits at or above it.

    >>> p = pd.DataFrame({"week": [12, 24, 52], "patch_id": 1,
    ...                   "repigmentation_pct": [30.0, 60.0, 95.0],
    ...                   "pattern": ["perifollicular", "perifollicular", "diffuse"]})
    >>> _course_patterns(p)[["pattern_visit", "pattern"]].values.tolist()[-1]
    ['diffuse', 'perifollicular']
    """
    p = patches.copy()
    p["pattern_visit"] = p["pattern"]
    shown = {}  # patch id -> last readable pattern
    for ix, pid, pct, pat in zip(p.index, p["patch_id"], p["repigmentation_pct"],
                                 p["pattern_visit"], strict=True):
        if pct >= PATTERN_READABLE_MAX:
            if pid in shown:
                p.at[ix, "pattern"] = shown[pid]
        elif isinstance(pat, str) and pat != "none":
            shown[pid] = pat
    return p


def add_endpoints(visits: pd.DataFrame) -> None:
    """Percent change and F-VASI50/75/90 of every visit against the (first) ``is_baseline``
    row's ``f_vasi``, in place, by :func:`vasi.timeline.percent_change` /
    :func:`vasi.timeline.endpoint_flags`: the flags are pandas' nullable ``"boolean"``,
    ``<NA>`` where undefined (failed registration, baseline F-VASI 0 or NaN, no baseline
    row), as in :func:`vasi.endpoints`.

    >>> v = pd.DataFrame({"is_baseline": [True, False, False], "f_vasi": [0.8, 0.2, np.nan]})
    >>> add_endpoints(v); v[["f_vasi_pct_change", "f_vasi75", "f_vasi90"]].values.tolist()
    [[0.0, False, False], [-75.0, True, False], [nan, <NA>, <NA>]]
    >>> str(v["f_vasi75"].dtype)
    'boolean'
    """
    from .timeline import endpoint_flags, percent_change

    fv = pd.to_numeric(visits["f_vasi"], errors="coerce")  # (None for a body site: NaN)
    f0 = fv[visits["is_baseline"].astype(bool)]
    f0 = float(f0.iloc[0]) if len(f0) else np.nan
    f = fv.to_numpy(float)
    change = np.asarray(percent_change(f, f0), float).reshape(-1)
    visits["f_vasi_pct_change"] = change
    for k in (50, 75, 90):
        visits[f"f_vasi{k}"] = pd.Series(endpoint_flags(-change, k), index=visits.index)
