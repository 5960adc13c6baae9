"""Serial visit series: a repigmentation time course over weeks 0-52 with exact truth.

Time course of patch ``k`` (repigmented fraction of its baseline area):

.. math:: f_k(t) = r_k \\, g(t), \\quad
          g(t) = \\frac{1 - e^{-(t - t_0)/\\tau}}{1 - e^{-(52 - t_0)/\\tau}} \\; (t > t_0)

with onset ``t0`` ~ U(4, 8) weeks (perifollicular dots from weeks 4-8, SPEC.md §3),
``tau`` ~ U(18, 30) weeks, and per-patch response ``r_k`` around the patient's ``response``
(lower with leukotrichia). With ``relapse`` pigment is lost again after week 36:
``f(t) = f(36) (1 - 0.6 (t - 36) / 16)``. New patches (``new_patches``) grow from their
onset week, and confetti macules appear.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import check_choice, check_positive, check_rng
from ..errors import InputError
from .camera import random_pose
from .disease import PATTERNS
from .photo import _build_patient, _check_common, _check_drawing, _fraction, _render_visit
from .truth import SynthSeries

__all__ = ["make_series", "repigmented_fraction"]


def repigmented_fraction(week, response, *, onset=6.0, tau=24.0, relapse=False, horizon=52.0) -> float:
    """Repigmented fraction of a patch at ``week`` for a response ``response`` (0..1).

    Examples
    --------
    >>> repigmented_fraction(52, 0.8)
    0.8
    >>> repigmented_fraction(4, 0.8)
    0.0
    """
    t = float(week)
    tau = check_positive(tau, "tau", fix="The response's time constant in weeks, e.g. 24.")
    if t <= onset:
        g = 0.0
    else:
        g = (1 - np.exp(-(min(t, 36.0 if relapse else t) - onset) / tau)) / (1 - np.exp(-(horizon - onset) / tau))
    f = float(np.clip(response * g, 0.0, 1.0))
    if relapse and t > 36.0:
        f *= max(0.0, 1.0 - 0.6 * (t - 36.0) / 16.0)
    return round(f, 12)


def make_series(*, rng, weeks=(0, 12, 24, 36, 52), response=0.8, pattern="mixed", relapse=False, new_patches=False,
                skin_type="III", ita=None, site="face", modality="visible", shape=(900, 1200), mm_per_px=None,
                background="dark", marker=False, chart=False, camera=True, jpeg_quality=92,
                n_patches=None, extent=1.0) -> SynthSeries:
    """A serial photo series of one patient site with a repigmentation time course.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Seeded source of randomness.
    weeks : sequence of int
        Visit weeks; the first one is the baseline (identity transform).
    response : float
        0 = non-responder .. 1 = complete repigmentation by week 52.
    pattern : {"perifollicular", "marginal", "diffuse", "mixed"}
        Repigmentation pattern ("mixed": a dominant pattern drawn per patch, recorded in
        ``truth.patches["pattern"]``).
    relapse : bool
        Pigment is lost again after week 36.
    new_patches : bool
        Progressing disease: new patches and confetti macules appear.
    skin_type, ita, site, modality, shape, mm_per_px, background, marker, chart, jpeg_quality, n_patches, extent
        As :func:`vasi.synth.make_photo`.
    camera : bool
        Per-visit pose (rotation <= 15 deg, scale <= 15 %, shift, tilt), light and camera
        changes. The baseline keeps the identity pose.

    Returns
    -------
    SynthSeries

    Examples
    --------
    >>> s = make_series(rng=0, weeks=(0, 52), response=1.0, shape=(120, 160), jpeg_quality=None)
    >>> s.visits[1].truth.depig_area_px <= s.baseline.truth.depig_area_px
    True
    """
    rng = check_rng(rng)
    H, W = _check_common(skin_type, ita, site, modality, shape, mm_per_px, background)
    check_choice(pattern, PATTERNS, "pattern")
    try:
        whole = [float(w) for w in weeks]
    except (TypeError, ValueError):
        whole = [math.nan]
    if not all(math.isfinite(w) and w == int(w) for w in whole):  # (12.5 was drawn as 12)
        raise InputError(f"weeks must be whole numbers of weeks; got {weeks!r}.")
    weeks = tuple(int(w) for w in whole)
    if not weeks or any(b <= a for a, b in zip(weeks, weeks[1:], strict=False)):
        raise InputError(f"weeks must be a non-empty increasing sequence; got {weeks!r}.")
    response = _fraction(response, "response")
    n_patches, extent, jpeg_quality = _check_drawing(n_patches, extent, jpeg_quality)
    pt = _build_patient(rng, skin_type=skin_type, ita=ita, site=site, shape=(H, W), mm_per_px=mm_per_px,
                        background=background, pattern=pattern, response=float(response), new_patches=new_patches,
                        marker=marker, chart=chart, n_patches=n_patches, extent=extent)
    kinetics = [(float(rng.uniform(4, 8)), float(rng.uniform(18, 30))) for _ in pt.disease.patches]
    seeds = rng.integers(0, 2**63 - 1, len(weeks))
    visits = []
    for i, (wk, sd) in enumerate(zip(weeks, seeds, strict=False)):
        vr = np.random.default_rng(int(sd))
        T = np.eye(3) if (i == 0 or not camera) else random_pose(vr, (H, W))
        fr = [repigmented_fraction(wk - weeks[0], p.response, onset=on, tau=tau, relapse=relapse)
              for p, (on, tau) in zip(pt.disease.patches, kinetics, strict=False)]
        visits.append(_render_visit(pt, vr, week=wk, fractions=fr, modality=modality, T=T, camera=camera,
                                    jpeg_quality=jpeg_quality))
    return SynthSeries(visits=tuple(visits), weeks=weeks, response=float(response), pattern=pattern, relapse=bool(relapse))
