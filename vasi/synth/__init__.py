"""Synthetic clinical photos of vitiligo with exact ground truth (the accuracy yardstick).

Public API
----------
make_photo(*, rng, skin_type="III", site="face", modality="visible", ...) -> SynthPhoto
make_series(*, rng, weeks=(0, 12, 24, 36, 52), response=0.8, pattern="mixed", ...) -> SynthSeries
paint_vitiligo(image, where, *, rng, mm_per_px, ...) -> (painted, truth)  -- onto a real photo
SynthPhoto, SynthSeries, Truth
FITZPATRICK_ITA, ITA_BANDS, normal_skin_lab, depigmented_lab, ita_deg

Modules: :mod:`.skin` (colour by ITA, sources), :mod:`.shapes` (noise, patches),
:mod:`.face` / :mod:`.body` (sites), :mod:`.disease` (patches and depigmentation field),
:mod:`.series` (time course), :mod:`.render` (skin appearance, Wood's lamp),
:mod:`.camera` (pose, light, noise, JPEG), :mod:`.references` (ArUco marker, colour chart),
:mod:`.truth` (result types), :mod:`.paint` (patches painted onto a real photo).
"""

from .paint import paint_vitiligo
from .photo import BACKGROUNDS, HAND_UNIT_CM2, SITES, make_photo
from .references import CHART_SRGB
from .series import make_series, repigmented_fraction
from .skin import FITZPATRICK_ITA, ITA_BANDS, depigmented_lab, ita_deg, normal_skin_lab
from .truth import LADDER, SynthPhoto, SynthSeries, Truth

__all__ = [
    "make_photo",
    "make_series",
    "paint_vitiligo",
    "repigmented_fraction",
    "SynthPhoto",
    "SynthSeries",
    "Truth",
    "FITZPATRICK_ITA",
    "ITA_BANDS",
    "LADDER",
    "CHART_SRGB",
    "SITES",
    "BACKGROUNDS",
    "HAND_UNIT_CM2",
    "normal_skin_lab",
    "depigmented_lab",
    "ita_deg",
]
