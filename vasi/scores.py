"""VASI scores: the residual-depigmentation ladder, F-VASI (face) and T-VASI (total body).

.. math:: \\mathrm{VASI} = \\sum_k \\mathrm{HU}_k \\times d_k

where ``HU_k`` is the extent in hand units of region or patch ``k`` and ``d_k`` its residual
depigmentation (SPEC.md §1, Hamzavi et al. 2004). Summing over regions or over
(region, patch) pairs is the same thing. Every score is reported twice, side by side:

* ``continuous`` -- ``d_k`` is the measured fraction, unchanged;
* ``clinical`` -- ``d_k`` snapped to the nearest ladder value (:data:`LADDER`), as an
  assessor would score it.

Per-patch clinical scoring: the extent of a patch is its *baseline envelope* in hand units and
its level is the residual depigmentation inside that envelope snapped to the ladder -- pass a
table with ``area_hu`` (envelope) and ``residual_fraction`` columns.

Every result carries provenance (library version, score, hand-unit method, region set, ladder,
parameters and baseline). Undefined results (e.g. an empty assessed area) are NaN with a
``reason``, never exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validate import check_positive, matching
from ._version import __version__
from .errors import InputError
from .hand_units import FACE_HU, REGION_CAPS_PCT, REGION_SETS

__all__ = [
    "LADDER",
    "LADDER_DESCRIPTIONS",
    "VasiScore",
    "snap_to_ladder",
    "f_vasi",
    "t_vasi",
]

#: Residual-depigmentation ladder an assessor snaps to (SPEC.md §1).
LADDER = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)

#: Clinical description of each ladder value.
LADDER_DESCRIPTIONS = {
    1.0: "no pigment present",
    0.9: "specks of pigment present",
    0.75: "depigmented area exceeds pigmented area",
    0.5: "depigmented and pigmented areas equal",
    0.25: "pigmented area exceeds depigmented area",
    0.1: "only specks of depigmentation present",
    0.0: "no depigmentation",
}

_TIE_TOL = 1e-9  # values within this of a midpoint count as the tie


def _check_ladder(ladder) -> np.ndarray:
    lad = np.asarray(ladder, dtype=float)
    if lad.ndim != 1 or lad.size < 2 or not np.all(np.diff(lad) > 0) or lad[0] < 0 or lad[-1] > 1:
        raise InputError(
            f"ladder must be a strictly increasing sequence of fractions in [0, 1]; got {ladder!r}. "
            "Use vasi.scores.LADDER."
        )
    return lad


def snap_to_ladder(fraction, *, ladder=LADDER):
    """Snap a residual-depigmentation fraction to the nearest ladder value.

    Ties (a fraction exactly half-way between two ladder values, within 1e-9, e.g. 0.175
    between 0.10 and 0.25) go to the **higher** value, i.e. the more depigmented reading.
    NaN stays NaN.

    Parameters
    ----------
    fraction : float or array_like
        Residual depigmentation in [0, 1].
    ladder : sequence of float, keyword-only
        Increasing ladder values; default :data:`LADDER` ``(0, .1, .25, .5, .75, .9, 1)``.

    Returns
    -------
    float or ndarray
        Ladder value(s), same shape as ``fraction``.

    Examples
    --------
    >>> snap_to_ladder(0.3)
    0.25
    >>> snap_to_ladder([0.04, 0.175, 0.95, 1.0]).tolist()
    [0.0, 0.25, 1.0, 1.0]
    """
    lad = _check_ladder(ladder)
    f = np.asarray(fraction, dtype=float)
    finite = f[np.isfinite(f)]
    if finite.size and (finite.min() < -_TIE_TOL or finite.max() > 1 + _TIE_TOL):
        raise InputError(
            f"fraction must lie in [0, 1]; got values in [{finite.min():.6g}, {finite.max():.6g}]. "
            "Pass a fraction (e.g. 0.3), not a percentage."
        )
    if np.any(np.isinf(f)):
        raise InputError(f"fraction must be finite or NaN; got {fraction!r}.")
    mids = (lad[:-1] + lad[1:]) / 2.0
    idx = np.searchsorted(mids - _TIE_TOL, np.where(np.isnan(f), 0.0, f), side="right")
    out = np.where(np.isnan(f), np.nan, lad[idx])
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, eq=False)
class VasiScore:
    """A VASI score (F-VASI or T-VASI) with its parts and provenance.

    Attributes
    ----------
    continuous : float
        :math:`\\sum_k HU_k d_k` with measured fractions ``d_k``.
    clinical : float
        Same with each ``d_k`` snapped to the ladder.
    score : str
        ``"F-VASI"`` (0-3) or ``"T-VASI"`` (0-100).
    extent_hu : float
        Total extent :math:`\\sum_k HU_k` after caps (hand units).
    hu_method : str
        ``"relative"``, ``"physical"``, ``"given"`` (area_hu passed in) or a ``+``-joined mix.
    region_set : str
        ``"face"`` for F-VASI, ``"hamzavi2004"`` or ``"six_region"`` for T-VASI.
    flags : tuple of str
        Plausibility flags (e.g. ``"capped_total"``, ``"trunk_exceeds_cap"``).
    reason : str
        Why the score is NaN (empty string when defined).
    components : pandas.DataFrame
        One row per input row (photo, region or patch): ``region``, ``extent_hu``,
        ``residual_fraction``, ``level`` (snapped), ``continuous``, ``clinical``.
    by_region : pandas.DataFrame
        One row per region: ``region``, ``extent_hu``, ``cap_hu``, ``capped``, ``continuous``,
        ``clinical``.
    provenance : dict
        ``vasi_version``, ``score``, ``hu_method``, ``region_set``, ``ladder``, ``tie_rule``,
        parameters and ``baseline``.
    """

    continuous: float
    clinical: float
    score: str
    extent_hu: float
    hu_method: str
    region_set: str
    flags: tuple = ()
    reason: str = ""
    components: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    by_region: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    provenance: dict = field(default_factory=dict, repr=False)

    def __float__(self) -> float:
        return float(self.continuous)

    def __bool__(self) -> bool:
        """False when the score is undefined (NaN)."""
        return not math.isnan(self.continuous)

    def to_dict(self) -> dict:
        """Scalar results as a flat dict (for tables and JSON); provenance prefixed ``prov_``."""
        out = {
            "score": self.score,
            "continuous": self.continuous,
            "clinical": self.clinical,
            "extent_hu": self.extent_hu,
            "hu_method": self.hu_method,
            "region_set": self.region_set,
            "flags": ";".join(self.flags),
            "reason": self.reason,
        }
        out.update({f"prov_{k}": v for k, v in self.provenance.items()
                    if k not in ("score", "hu_method", "region_set")})
        return out

    def to_frame(self) -> pd.DataFrame:
        """Per-region table (one row per region; see :attr:`by_region`)."""
        return self.by_region.copy()


# ----------------------------------------------------------------------------- internals


def _num(value, name: str, *, lo: float = 0.0, hi: float = math.inf, fix: str = "") -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numeric; got {value!r}. {fix}".rstrip()) from None
    fin = arr[~np.isnan(arr)]
    if np.any(np.isinf(fin)) or (fin.size and (fin.min() < lo or fin.max() > hi)):
        rng = f"[{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
        raise InputError(f"{name} must be finite and {rng}; got {value!r}. {fix}".rstrip())
    return arr


def _assemble(rows, *, score: str, region_set: str, regions: tuple,
              caps_hu: dict, total_cap: float, ladder, flags: list, reason: str,
              prov: dict) -> VasiScore:
    """rows (a DataFrame, or a dict of equally long arrays): region, extent_hu,
    residual_fraction, hu_method. Apply caps; sum."""
    lad = _check_ladder(ladder)
    reg = np.asarray(rows["region"], dtype=object)
    ext_k = np.asarray(rows["extent_hu"], dtype=float).copy()
    res_k = np.minimum(np.asarray(rows["residual_fraction"], dtype=float), 1.0)
    by = []
    for r in regions:
        sub = reg == r
        ext = float(ext_k[sub].sum())
        cap = caps_hu.get(r, math.inf)
        capped = bool(ext > cap * (1 + 1e-12))
        if capped:
            ext_k[sub] *= cap / ext
            flags.append(f"{r}_exceeds_cap")
        by.append((r, sub, cap, capped))
    lev_k = snap_to_ladder(res_k, ladder=lad) if len(res_k) else np.zeros(0)
    cont_k = ext_k * res_k
    clin_k = ext_k * lev_k
    rows = pd.DataFrame({"region": reg, "extent_hu": ext_k, "residual_fraction": res_k,
                         "level": lev_k, "continuous": cont_k, "clinical": clin_k,
                         "hu_method": np.asarray(rows["hu_method"], dtype=object)})
    table = pd.DataFrame(
        {
            "region": [b[0] for b in by],
            "extent_hu": [float(ext_k[b[1]].sum()) for b in by],
            "cap_hu": [b[2] for b in by],
            "capped": [b[3] for b in by],
            "continuous": [float(cont_k[b[1]].sum()) for b in by],
            "clinical": [float(clin_k[b[1]].sum()) for b in by],
        }
    )
    if reason or bool(np.isnan(ext_k).any() or np.isnan(res_k).any()):
        reason = reason or "an input area or fraction is NaN"
        cont = clin = ext = math.nan
    else:
        cont = float(cont_k.sum())
        clin = float(clin_k.sum())
        ext = float(ext_k.sum())
        if ext > total_cap * (1 + 1e-12):
            scale = total_cap / ext
            cont, clin, ext = cont * scale, clin * scale, total_cap
            flags.append("capped_total")
        cont, clin = min(cont, total_cap), min(clin, total_cap)
    methods = sorted(set(rows["hu_method"])) if len(rows) else [prov.get("hu_method", "given")]
    hu_method = "+".join(methods)
    prov = {
        "vasi_version": __version__,
        "score": score,
        "hu_method": hu_method,
        "region_set": region_set,
        "ladder": tuple(float(v) for v in lad),
        "tie_rule": "nearest ladder value; exact midpoints go to the higher value",
        **prov,
    }
    prov.pop("hu_method_hint", None)
    return VasiScore(cont, clin, score, ext, hu_method, region_set, tuple(flags), reason,
                     rows, table, prov)


def _table_rows(table: pd.DataFrame, *, name: str, residual_col: str | None,
                hand_unit_cm2, default_region: str | None, prov: dict) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        hint = (" For one number, use a keyword: f_vasi(depigmented_fraction=...) for a share of "
                "the face, or area_hu= / area_cm2= for an area." if name == "patches"
                and isinstance(table, (int, float, np.number)) else "")
        raise InputError(f"{name} must be a pandas DataFrame; got {type(table).__name__}.{hint}")
    if "area_hu" in table.columns:
        ext = _num(table["area_hu"].to_numpy(), f"{name}['area_hu']", fix="Hand units are >= 0.")
        method = "given"
    elif "area_cm2" in table.columns and hand_unit_cm2 is not None:
        from .hand_units import physical_hu

        ext = _num(table["area_cm2"].to_numpy(), f"{name}['area_cm2']")
        ext = np.atleast_1d(physical_hu(ext, hand_unit_cm2=hand_unit_cm2))
        method = "physical"
        prov["hand_unit_cm2"] = float(hand_unit_cm2)
    else:
        raise InputError(
            f"{name} needs an 'area_hu' column (extent in hand units), or 'area_cm2' together "
            f"with hand_unit_cm2=...; got columns {list(table.columns)}."
        )
    if residual_col is not None and residual_col in table.columns:
        res = _num(table[residual_col].to_numpy(), f"{name}[{residual_col!r}]", hi=1.0,
                   fix="Residual depigmentation is a fraction (0.3, not 30).")
        prov["residual"] = f"column {residual_col!r}"
    elif residual_col is not None and residual_col != "residual_fraction":
        raise InputError(
            f"residual_col={residual_col!r} is not a column of {name}; columns are "
            f"{list(table.columns)}. Pass residual_col=None to treat every row as fully "
            "depigmented (d = 1)."
        )
    else:
        res = np.ones(len(table))
        prov["residual"] = "assumed 1.0 (rows are fully depigmented areas)"
    if "region" in table.columns:
        region = table["region"].astype(str).to_numpy()
    elif default_region is not None:
        region = np.full(len(table), default_region, dtype=object)
    else:
        raise InputError(f"{name} needs a 'region' column for T-VASI; got {list(table.columns)}.")
    return pd.DataFrame({"region": region, "extent_hu": ext, "residual_fraction": res,
                         "hu_method": method})


# ----------------------------------------------------------------------------- F-VASI


def f_vasi(
    patches: pd.DataFrame | None = None,
    *,
    depigmented_fraction=None,
    depigmented_px=None,
    assessed_px=None,
    area_hu=None,
    area_cm2=None,
    hand_unit_cm2: float | None = None,
    assessed_hu=FACE_HU,
    extent_hu=None,
    face_hu: float = FACE_HU,
    residual_col: str | None = "residual_fraction",
    ladder=LADDER,
    baseline=None,
) -> VasiScore:
    """Facial VASI (F-VASI, range 0-3).

    .. math:: \\mathrm{F\\text{-}VASI} = \\sum_k \\mathrm{HU}_k \\, d_k \\le 3

    Give the data in **one** of four ways (the hand-unit method used is returned in
    ``hu_method`` and the provenance):

    1. ``depigmented_fraction`` -- fraction of the assessed area that is depigmented;
       **relative** hand units: ``HU = assessed_hu * fraction`` (whole face = 3 HU).
    2. ``depigmented_px`` and ``assessed_px`` -- pixel counts; fraction = their ratio
       (**relative**). ``assessed_px == 0`` gives NaN with a reason.
    3. ``area_cm2`` and ``hand_unit_cm2`` -- **physical** hand units ``area_cm2 / hand_unit_cm2``
       (see :func:`vasi.hand_unit_cm2`); or ``area_hu`` directly (``"given"``).
    4. ``patches`` -- a per-patch table: ``area_hu`` (extent, e.g. the baseline patch envelope)
       or ``area_cm2`` with ``hand_unit_cm2``, and ``residual_fraction`` (residual depigmentation
       inside it, 0-1). This is the clinical per-patch scoring: level = residual snapped to the
       ladder.

    Forms 1-3 accept arrays (several photos of one face, e.g. two profiles of 1.5 HU each);
    the photos are summed.

    For forms 1-3 the depigmented hand units are scored as residual ``d`` within an extent:
    the extent is ``extent_hu`` if given (e.g. the baseline depigmented area), otherwise the
    whole assessed area (``assessed_hu``), so ``clinical = extent * snap(HU / extent)``.

    Parameters
    ----------
    patches : pandas.DataFrame, optional
        Per-patch table (form 4).
    depigmented_fraction : float or array_like, keyword-only
        Form 1, in [0, 1].
    depigmented_px, assessed_px : int or array_like, keyword-only
        Form 2.
    area_hu : float or array_like, keyword-only
        Depigmented area already in hand units.
    area_cm2 : float or array_like, keyword-only
        Depigmented area in cm² (form 3, needs ``hand_unit_cm2``).
    hand_unit_cm2 : float, keyword-only
        The patient's hand unit in cm² (physical method).
    assessed_hu : float or array_like, keyword-only
        Hand units of the assessed area for the relative method; default 3 (a whole face,
        SPEC.md §1; *unconfirmed* facial area definition, so configurable).
    extent_hu : float or array_like, keyword-only
        Extent to score the residual against (forms 1-3). Default: ``assessed_hu``.
    face_hu : float, keyword-only
        Cap on the total (default 3). A larger total is scaled down and flagged ``capped_total``.
        ``float("inf")`` disables the cap (to score a body photo for :func:`t_vasi`).
    residual_col : str or None, keyword-only
        Column of ``patches`` with the residual fraction. ``None``: every row fully depigmented.
    ladder : sequence of float, keyword-only
        Clinical ladder (default :data:`LADDER`).
    baseline : optional, keyword-only
        Label of the baseline visit the extents come from (week, date); stored in provenance.

    Returns
    -------
    VasiScore
        ``continuous`` and ``clinical`` F-VASI, ``hu_method``, ``flags``, ``provenance``.

    Examples
    --------
    >>> s = f_vasi(depigmented_fraction=0.2)
    >>> round(s.continuous, 6), s.clinical, s.hu_method
    (0.6, 0.75, 'relative')
    >>> f_vasi(depigmented_px=1600, assessed_px=1600).continuous
    3.0
    >>> f_vasi(area_cm2=90.0, hand_unit_cm2=180.0).continuous
    0.5
    >>> import pandas as pd
    >>> tab = pd.DataFrame({"area_hu": [0.4, 0.2], "residual_fraction": [0.8, 0.3]})
    >>> s = f_vasi(tab)
    >>> round(s.continuous, 6), round(s.clinical, 6)
    (0.38, 0.35)
    """
    prov: dict = {"face_hu": face_hu, "baseline": baseline}
    forms = {
        "patches": patches is not None,
        "depigmented_fraction": depigmented_fraction is not None,
        "depigmented_px/assessed_px": depigmented_px is not None or assessed_px is not None,
        "area_hu": area_hu is not None,
        "area_cm2": area_cm2 is not None,
    }
    chosen = [k for k, v in forms.items() if v]
    if len(chosen) != 1:
        raise InputError(
            "f_vasi needs exactly one of: a patches table, depigmented_fraction=, "
            "depigmented_px= with assessed_px=, area_hu=, or area_cm2= with hand_unit_cm2=; "
            f"got {chosen or 'none'}."
        )
    try:
        cap = float(face_hu)
    except (TypeError, ValueError):
        cap = math.nan
    if not cap > 0:  # NaN, 0 or negative; +inf is allowed (no cap, e.g. body photos)
        raise InputError(f"face_hu must be a positive number (or inf for no cap); got "
                         f"{face_hu!r}. A whole face is 3 hand units.")
    reason = ""
    flags: list = []
    if patches is not None:
        rows = _table_rows(patches, name="patches", residual_col=residual_col,
                           hand_unit_cm2=hand_unit_cm2, default_region="face", prov=prov)
        rows["region"] = "face"
    else:
        a_hu = _num(assessed_hu, "assessed_hu", fix="A whole face is 3 hand units.")
        if np.any(a_hu <= 0):
            raise InputError(f"assessed_hu must be > 0; got {assessed_hu!r}. A whole face is 3.")
        if depigmented_fraction is not None:
            frac = _num(depigmented_fraction, "depigmented_fraction", hi=1.0 + 1e-12,
                        fix="Pass a fraction (0.2), not a percentage (20).")
            frac, a_hu = matching(depigmented_fraction=frac, assessed_hu=a_hu)
            depig = a_hu * np.minimum(frac, 1.0)
            method = "relative"
        elif area_hu is not None or area_cm2 is not None:
            if area_cm2 is not None:
                if hand_unit_cm2 is None:
                    raise InputError(
                        "area_cm2 needs hand_unit_cm2= (the patient's hand unit in cm²); compute "
                        "it with vasi.hand_unit_cm2(height_cm=..., weight_kg=...) or use the "
                        "relative method (depigmented_fraction=...)."
                    )
                from .hand_units import physical_hu

                depig = np.atleast_1d(physical_hu(_num(area_cm2, "area_cm2"),
                                                  hand_unit_cm2=hand_unit_cm2))
                method = "physical"
                prov["hand_unit_cm2"] = float(hand_unit_cm2)
            else:
                depig = _num(area_hu, "area_hu", fix="Hand units are >= 0.")
                method = "given"
        else:
            if depigmented_px is None or assessed_px is None:
                raise InputError(
                    "depigmented_px and assessed_px must be given together; got "
                    f"depigmented_px={depigmented_px!r}, assessed_px={assessed_px!r}."
                )
            for name, v in (("depigmented_px", depigmented_px), ("assessed_px", assessed_px)):
                if np.ndim(v) > 1:  # a mask, not its pixel count
                    raise InputError(f"{name} is a number of pixels (one per photo); got an "
                                     f"array of shape {np.shape(v)}: pass mask.sum().")
            d_px = _num(depigmented_px, "depigmented_px")
            a_px = _num(assessed_px, "assessed_px")
            d_px, a_px = matching(depigmented_px=d_px, assessed_px=a_px)
            if np.any(d_px > a_px):
                raise InputError(
                    f"depigmented_px ({depigmented_px!r}) exceeds assessed_px ({assessed_px!r}); "
                    "the depigmented pixels must lie inside the assessed area."
                )
            if np.any(a_px == 0):
                reason = "assessed_px is 0: no assessed area, F-VASI undefined"
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.where(a_px > 0, d_px / np.where(a_px > 0, a_px, 1.0), np.nan)
            depig = a_hu * frac
            method = "relative"
            prov["depigmented_px"] = d_px.tolist()
            prov["assessed_px"] = a_px.tolist()
        ext = a_hu if extent_hu is None else _num(extent_hu, "extent_hu")
        try:
            depig, ext = np.broadcast_arrays(depig, ext)
        except ValueError:
            raise InputError(
                f"the per-photo inputs must have matching lengths; got {depig.size} areas and "
                f"{np.size(ext)} extents/assessed_hu values."
            ) from None
        if np.any(ext <= 0) and extent_hu is not None:
            raise InputError(f"extent_hu must be > 0; got {extent_hu!r}.")
        with np.errstate(divide="ignore", invalid="ignore"):
            res = depig / ext
        if np.any(res > 1 + 1e-9):
            flags.append("depigmented_exceeds_extent")
        # (the columns as arrays: _assemble builds the tables once)
        rows = {"region": np.full(ext.size, "face", object), "extent_hu": ext.astype(float),
                "residual_fraction": np.minimum(res, 1.0), "hu_method": np.full(ext.size, method, object)}
        prov["assessed_hu"] = a_hu.tolist() if a_hu.size > 1 else float(a_hu[0])
        prov["extent"] = "assessed area" if extent_hu is None else "extent_hu"
        prov["hu_method_hint"] = method
    return _assemble(rows, score="F-VASI", region_set="face", regions=("face",),
                     caps_hu={}, total_cap=cap, ladder=ladder, flags=flags,
                     reason=reason, prov=prov)


# ----------------------------------------------------------------------------- T-VASI


def t_vasi(
    regions,
    *,
    region_set: str = "hamzavi2004",
    hand_unit_cm2: float | None = None,
    caps_pct: Mapping | None = None,
    total_cap: float = 100.0,
    residual_col: str | None = "residual_fraction",
    ladder=LADDER,
    baseline=None,
) -> VasiScore:
    """Total-body VASI (T-VASI, range 0-100) over a region set.

    .. math:: \\mathrm{T\\text{-}VASI} = \\sum_{r \\in R} \\sum_{k \\in r} \\mathrm{HU}_k \\, d_k

    Several rows per region (photos or patches) are summed. A region whose extent exceeds its
    plausibility cap (:data:`vasi.hand_units.REGION_CAPS_PCT`, from the rule of nines and
    Lund-Browder; 1 % BSA = 1 HU) is scaled down to the cap and flagged
    ``"<region>_exceeds_cap"``; the total is capped at ``total_cap`` and flagged. Published
    VASI has no per-region caps: they only catch impossible inputs. Regions of the set that
    are not given count as 0 and are flagged ``"regions_not_given:..."``.

    Parameters
    ----------
    regions : pandas.DataFrame, mapping or pandas.Series
        DataFrame with ``region``, ``area_hu`` (or ``area_cm2`` with ``hand_unit_cm2``) and
        optionally ``residual_fraction``; or a mapping ``region -> area_hu`` (float or a list
        of floats, one per photo) of fully depigmented hand units; or ``region ->``
        :class:`VasiScore` (or a list of them, one per photo), whose extents and residual
        fractions are kept (score a body photo with :func:`f_vasi` and
        ``assessed_hu=<HU in the photo>, face_hu=float("inf")``).
    region_set : {"hamzavi2004", "six_region"}, keyword-only
        ``hamzavi2004``: hands, upper_extremities, trunk, lower_extremities, feet.
        ``six_region``: the same plus head_neck.
    hand_unit_cm2 : float, keyword-only
        The patient's hand unit in cm², for ``area_cm2`` rows (physical method).
    caps_pct : mapping, keyword-only
        Per-region caps in % BSA, in place of those of
        :data:`vasi.hand_units.REGION_CAPS_PCT` for the regions it names (100: no cap).
    total_cap : float, keyword-only
        Cap on the total (default 100).
    residual_col : str or None, keyword-only
        Column with the residual fraction; ``None``/absent: rows fully depigmented.
    ladder : sequence of float, keyword-only
        Clinical ladder.
    baseline : optional, keyword-only
        Label of the baseline visit; stored in provenance.

    Returns
    -------
    VasiScore

    Examples
    --------
    >>> s = t_vasi({"hands": 1.0, "trunk": [2.0, 1.5], "feet": 0.5, "upper_extremities": 0,
    ...             "lower_extremities": 1.0})
    >>> s.continuous, s.region_set
    (6.0, 'hamzavi2004')
    >>> t_vasi({"hands": 8.0}).flags
    ('hands_exceeds_cap', 'regions_not_given:upper_extremities,trunk,lower_extremities,feet')
    """
    if region_set not in REGION_SETS:
        raise InputError(f"region_set must be one of {list(REGION_SETS)}; got {region_set!r}.")
    names = REGION_SETS[region_set]
    caps = {**REGION_CAPS_PCT, **({} if caps_pct is None else dict(caps_pct))}
    for r, cap in caps.items():  # (a cap given for one region keeps the others' defaults)
        caps[r] = check_positive(cap, f"caps_pct[{r!r}]", fix="Caps are % of the body "
                                 "surface, e.g. {'hands': 5}; 100 is no cap.")
    tcap = float(_num(total_cap, "total_cap")[0])
    prov: dict = {"caps_pct": {r: caps.get(r) for r in names}, "total_cap": tcap,
                  "baseline": baseline}
    if isinstance(regions, pd.Series):  # region -> area_hu, as a mapping
        regions = regions.to_dict()
    if isinstance(regions, pd.DataFrame):
        rows = _table_rows(regions, name="regions", residual_col=residual_col,
                           hand_unit_cm2=hand_unit_cm2, default_region=None, prov=prov)
    elif isinstance(regions, Mapping):
        recs = []
        for reg, val in regions.items():
            items = val if isinstance(val, (list, tuple)) else [val]
            for item in items:
                if isinstance(item, VasiScore):  # a scored photo: keep its extents/residuals
                    c = item.components
                    recs.extend({"region": str(reg), "extent_hu": e, "residual_fraction": f,
                                 "hu_method": m} for e, f, m in
                                zip(c["extent_hu"], c["residual_fraction"], c["hu_method"],
                                    strict=True))
                    continue
                vals = _num(item, f"regions[{reg!r}]",
                            fix="Values are depigmented hand units (or VasiScore results).")
                recs.extend({"region": str(reg), "extent_hu": v, "residual_fraction": 1.0,
                             "hu_method": "given"} for v in vals)
        rows = pd.DataFrame(recs, columns=["region", "extent_hu", "residual_fraction", "hu_method"])
        prov["residual"] = "assumed 1.0 (mapping of depigmented hand units)"
    else:
        raise InputError(
            "regions must be a DataFrame (region, area_hu[, residual_fraction]) or a mapping "
            f"region -> area_hu; got {type(regions).__name__}."
        )
    unknown = sorted(set(rows["region"]) - set(names))
    if unknown:
        raise InputError(
            f"regions contains {unknown}, not in region_set={region_set!r}; valid regions are "
            f"{list(names)}" + (" (use region_set='six_region' for head_neck)"
                                if "head_neck" in unknown else "") + "."
        )
    flags: list = []
    missing = [r for r in names if r not in set(rows["region"])]
    out = _assemble(rows, score="T-VASI", region_set=region_set, regions=names,
                    caps_hu={r: float(caps[r]) for r in names if r in caps}, total_cap=tcap,
                    ladder=ladder, flags=flags, reason="", prov=prov)
    if missing:
        fl = out.flags + ("regions_not_given:" + ",".join(missing),)
        # no region measured at all is no score (NaN with the reason), not a T-VASI of 0
        none = len(rows) == 0
        out = VasiScore(math.nan if none else out.continuous, math.nan if none else out.clinical,
                        out.score, out.extent_hu, out.hu_method, out.region_set, fl,
                        "no region given" if none else out.reason, out.components,
                        out.by_region, out.provenance)
    return out
