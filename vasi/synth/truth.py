"""Result types of :mod:`vasi.synth`: the ground truth of a synthetic photo and series."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Truth", "SynthPhoto", "SynthSeries", "LADDER"]

#: The VASI residual-depigmentation ladder (SPEC.md §1).
LADDER = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)

#: Hand units of the whole assessed facial area (SPEC.md §1, relative method).
FACE_HU = 3.0


def _snap_ladder(fraction: float) -> float:
    """Snap a depigmented fraction to the nearest VASI ladder value (ties go up).

    >>> _snap_ladder(0.33), _snap_ladder(0.0), _snap_ladder(0.05)
    (0.25, 0.0, 0.1)
    """
    f = float(fraction)
    dist = [abs(f - v) for v in LADDER]
    best = min(dist)
    return max(v for v, d in zip(LADDER, dist, strict=False) if abs(d - best) < 1e-12)


@dataclass(frozen=True, eq=False)
class Truth:
    """Exact ground truth of one synthetic photo.

    All masks are ``(H, W)`` bool in this photo's pixel coordinates unless the name says
    ``_baseline`` (baseline-visit pixel coordinates). ``depig_mask`` is restricted to the
    assessed region (``depig_mask <= roi_mask``); ``depig_mask_all`` also holds depigmented
    skin outside it (neck, ears, ...).

    Attributes
    ----------
    depig_mask, roi_mask : numpy.ndarray of bool
        Depigmented assessed skin; assessed region (F-VASI facial area for faces, the skin of
        the site for body sites). Eyebrows are *excluded* from the facial area (hair-bearing
        skin whose colour cannot be assessed in a photo), as are eyes, lips, nostrils, scalp
        hair, ears, neck and background; eyelids and nose are included.
    reference_mask : numpy.ndarray of bool
        Normal skin far (> 8 mm) from any patch and well lit: where to sample reference skin.
    mm_per_px : float
        Scale of this photo at the skin plane (mm per px, at the image centre).
    depig_area_px, assessed_area_px : int
        ``depig_mask.sum()``, ``roi_mask.sum()``.
    depig_area_cm2 : float
        ``depig_area_px * mm_per_px**2 / 100``.
    area_hu : float or None
        Relative hand units: ``3 x depig / assessed`` for faces; ``None`` for body sites.
    f_vasi, f_vasi_clinical : float or None
        Continuous ``3 x fraction`` and ``3 x`` the fraction snapped to the ladder (faces).
    depig_fraction : float
        ``depig_area_px / assessed_area_px``.
    skin_type, ita_deg, modality, site, week
        Scene description; ``ita_deg`` is the normal skin's nominal ITA (degrees).
    transform : numpy.ndarray, (3, 3)
        Homography mapping baseline (scene) pixel coords ``(x, y, 1)`` to this photo's.
    reference_lab : numpy.ndarray, (3,)
        Nominal CIELAB of the normal skin (under the reference light, before camera).
    depig_lab : numpy.ndarray, (3,)
        Nominal CIELAB of fully depigmented skin.
    patches : pandas.DataFrame
        One row per baseline patch: ``patch_id, baseline_area_px, residual_area_px``
        (baseline coords), ``repigmentation_pct, pattern, island_count, leukotrichia``.
    depig_mask_baseline, new_depig_mask_baseline : numpy.ndarray of bool
        This visit's depigmentation (assessed region) and its new depigmentation (outside all
        baseline patches), both in baseline coordinates.
    marker : dict or None
        ``{"dictionary": "DICT_4X4_50", "id", "side_mm", "corners_px" (4, 2) x/y, "mm_per_px"}``
        (``mm_per_px`` at the marker, which differs from the image-centre value under tilt).
    chart : dict or None
        ``{"name", "patch_size_mm", "srgb" (24, 3) uint8, "centers_px" (24, 2) x/y}``.
    camera : dict
        Camera and light parameters of this photo (exposure, white balance, blur, ...).
    """

    depig_mask: np.ndarray
    roi_mask: np.ndarray
    reference_mask: np.ndarray
    depig_mask_all: np.ndarray
    mm_per_px: float
    depig_area_px: int
    depig_area_cm2: float
    assessed_area_px: int
    depig_fraction: float
    area_hu: float | None
    f_vasi: float | None
    f_vasi_clinical: float | None
    skin_type: str
    ita_deg: float
    modality: str
    site: str
    week: int
    transform: np.ndarray
    reference_lab: np.ndarray
    depig_lab: np.ndarray
    patches: pd.DataFrame
    depig_mask_baseline: np.ndarray
    new_depig_mask_baseline: np.ndarray
    marker: dict | None = None
    chart: dict | None = None
    camera: dict = field(default_factory=dict)

    def scalars(self) -> dict:
        """The scalar fields as a dict (for a truth CSV row)."""
        return {
            "week": self.week,
            "site": self.site,
            "modality": self.modality,
            "skin_type": self.skin_type,
            "ita_deg": round(self.ita_deg, 3),
            "mm_per_px": self.mm_per_px,
            "depig_area_px": self.depig_area_px,
            "depig_area_cm2": self.depig_area_cm2,
            "assessed_area_px": self.assessed_area_px,
            "depig_fraction": self.depig_fraction,
            "area_hu": self.area_hu,
            "f_vasi": self.f_vasi,
            "f_vasi_clinical": self.f_vasi_clinical,
            "baseline_depig_area_px": int(self.patches["baseline_area_px"].sum())
            if len(self.patches)
            else 0,
            "residual_area_px_baseline": int(self.depig_mask_baseline.sum()),
            "new_depig_area_px_baseline": int(self.new_depig_mask_baseline.sum()),
            "repigmentation_pct": self.repigmentation_pct,
            "reference_L": float(self.reference_lab[0]),
            "reference_a": float(self.reference_lab[1]),
            "reference_b": float(self.reference_lab[2]),
            "marker_side_mm": None if self.marker is None else self.marker["side_mm"],
        }

    @property
    def repigmentation_pct(self) -> float:
        """Percent of the baseline patch area repigmented at this visit (baseline coords).

        ``100 x (1 - residual / baseline)`` summed over baseline patches; NaN without patches.
        """
        if len(self.patches) == 0:
            return float("nan")
        base = float(self.patches["baseline_area_px"].sum())
        res = float(self.patches["residual_area_px"].sum())
        return 100.0 * (1.0 - res / base) if base > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class SynthPhoto:
    """A synthetic clinical photo and its ground truth.

    Attributes
    ----------
    image : numpy.ndarray, uint8 (H, W, 3)
        RGB as a camera gives it (JPEG-compressed and decoded when ``jpeg_bytes`` is set).
    truth : Truth
        Exact ground truth in this photo's pixel coordinates.
    jpeg_bytes : bytes or None
        The encoded JPEG (``None`` when ``jpeg_quality=None``).
    """

    image: np.ndarray
    truth: Truth
    jpeg_bytes: bytes | None = None


@dataclass(frozen=True, eq=False)
class SynthSeries:
    """A serial visit series of one synthetic patient site.

    Attributes
    ----------
    visits : tuple of SynthPhoto
        One photo per week, each with its own camera pose and light.
    weeks : tuple of int
        Visit weeks.
    response : float
        Patient response parameter (0 = non-responder .. 1 = complete).
    pattern : str
        Requested repigmentation pattern.
    relapse : bool
        Whether pigment is lost again after week 36.
    """

    visits: tuple
    weeks: tuple
    response: float
    pattern: str
    relapse: bool

    @property
    def baseline(self) -> SynthPhoto:
        """The first visit."""
        return self.visits[0]

    def to_frame(self) -> pd.DataFrame:
        """One row of scalar truth per visit.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame([v.truth.scalars() for v in self.visits])
