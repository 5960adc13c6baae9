"""vasi -- measure vitiligo from photographs.

Segment depigmented skin in visible-light and Wood's lamp photos, register follow-up
photos to baseline, measure repigmentation, and compute F-VASI / T-VASI scores and trial
endpoints (F-VASI50/75/90, T-VASI50/75) for one patient or a cohort.

Importing ``vasi`` has no side effects: no printing, no global state, logging only via
``logging.getLogger("vasi")``.
"""

import logging as _logging

from . import measure
from ._version import __version__
from .errors import InputError, PhotoError, VasiError
from .io import Photo, PhotoMeta, read_photo, write_image
from .overlay import overlay
from .pipeline import PhotoScore, score_photo
from .register import Registration, register
from .roi import find_region, skin_mask
from .segment import Segmentation, segment
from . import calibrate, color
from .calibrate import Scale, find_scale
from .color import Chart, Normalization, find_chart, normalize
from .reference import reference_skin
from . import hand_units, scores
from .hand_units import bsa, cream_g, dosing, hand_unit_cm2, physical_hu, relative_hu
from .scores import VasiScore, f_vasi, snap_to_ladder, t_vasi
from . import cohort, plot, timeline
from .timeline import Endpoints, endpoints
from .series import SeriesResult, track_series
from . import synth
from .batch import BatchResult, run_batch
from .manifest import load_input

_logging.getLogger("vasi").addHandler(_logging.NullHandler())

__all__ = [
    "__version__",
    "VasiError",
    "PhotoError",
    "InputError",
    "Photo",
    "PhotoMeta",
    "read_photo",
    "write_image",
    "find_region",
    "skin_mask",
    "segment",
    "Segmentation",
    "reference_skin",
    "calibrate",
    "find_scale",
    "Scale",
    "color",
    "normalize",
    "Normalization",
    "find_chart",
    "Chart",
    "measure",
    "overlay",
    "score_photo",
    "PhotoScore",
    "register",
    "Registration",
    "track_series",
    "SeriesResult",
    "scores",
    "hand_units",
    "VasiScore",
    "f_vasi",
    "t_vasi",
    "snap_to_ladder",
    "bsa",
    "hand_unit_cm2",
    "relative_hu",
    "physical_hu",
    "cream_g",
    "dosing",
    "timeline",
    "cohort",
    "endpoints",
    "Endpoints",
    "plot",
    "run_batch",
    "BatchResult",
    "load_input",
]
