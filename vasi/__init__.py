"""vasi -- measure vitiligo from photographs.

Segment depigmented skin in visible-light and Wood's lamp photos, register follow-up
photos to baseline, measure repigmentation, and compute F-VASI / T-VASI scores and trial
endpoints (F-VASI50/75/90, T-VASI50/75) for one patient or a cohort.

Importing ``vasi`` has no side effects: no printing, no global state, logging only via
``logging.getLogger("vasi")``.

``vasi.register``, ``vasi.segment`` and ``vasi.overlay`` are the functions (their modules'
other public names are exported here too: ``vasi.prepare``, ``vasi.PreparedPhoto``,
``vasi.SEGMENT_METHODS``).
"""

import logging as _logging

from . import calibrate, cohort, color, hand_units, measure, plot, scores, synth, timeline
from ._version import __version__
from .batch import BatchResult, OutputConflictError, run_batch
from .calibrate import Scale, find_scale
from .color import Chart, Normalization, find_chart, normalize
from .errors import InputError, PhotoError, VasiError
from .hand_units import Dosing, bsa, cream_g, dosing, hand_unit_cm2, physical_hu, relative_hu
from .io import Photo, PhotoMeta, read_photo, write_image
from .manifest import load_input
from .overlay import overlay
from .pipeline import PhotoScore, score_photo
from .reference import reference_skin
from .register import PreparedPhoto, Registration, prepare, register, register_via
from .roi import find_region, skin_mask
from .scores import VasiScore, f_vasi, snap_to_ladder, t_vasi
from .segment import SEGMENT_METHODS, Segmentation, segment
from .series import SeriesResult, track_series
from .timeline import Endpoints, endpoints

_logging.getLogger("vasi").addHandler(_logging.NullHandler())

__all__ = [
    "synth",
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
    "SEGMENT_METHODS",
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
    "register_via",
    "Registration",
    "prepare",
    "PreparedPhoto",
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
    "Dosing",
    "timeline",
    "cohort",
    "endpoints",
    "Endpoints",
    "plot",
    "run_batch",
    "BatchResult",
    "OutputConflictError",
    "load_input",
]
