"""Body surface area, hand units and cream dosing geometry (SPEC.md §1 and §4).

A **hand unit** (HU) is the patient's own palm plus the volar surface of all five digits,
taken by the VASI convention as exactly 1 % of body surface area (BSA). Two ways to get hand
units from a photo:

* **relative** -- the assessed area is a known number of hand units (a whole face = 3 HU) and
  ``area_hu = assessed_hu * depigmented / assessed`` (:func:`relative_hu`);
* **physical** -- ``area_hu = area_cm2 / hand_unit_cm2`` (:func:`physical_hu`), with the
  patient's hand unit from BSA (:func:`bsa`, Mosteller or DuBois) or a measured palm photo
  (:func:`hand_unit_cm2`).

The measured palm sizes of Rossiter (Burns 1996) are available as :data:`ROSSITER_FRACTIONS`
for an *optional* calibration only; the score itself always uses the 1 % convention unless
the caller passes another ``hu_fraction`` on purpose.

Also here: the body-region shares used as *plausibility caps* (rule of nines, Lund-Browder)
and the fingertip-unit cream rule (:func:`cream_g`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import check_choice, check_positive, matching
from .errors import InputError

__all__ = [
    "HU_FRACTION",
    "ROSSITER_FRACTIONS",
    "RULE_OF_NINES",
    "LUND_BROWDER_ADULT",
    "FACE_HU",
    "assessed_hu_of",
    "REGION_SETS",
    "REGION_CAPS_PCT",
    "bsa",
    "bsa_mosteller",
    "bsa_dubois",
    "hand_unit_cm2",
    "relative_hu",
    "physical_hu",
    "cream_g",
    "Dosing",
    "dosing",
]

#: Fraction of BSA that one hand unit is by the VASI convention (SPEC.md §1): exactly 1 %.
HU_FRACTION = 0.01

#: Measured palm(+digits) area as a fraction of BSA (Rossiter, Burns 1996). Calibration only.
ROSSITER_FRACTIONS = {
    ("male", "palm_digits"): 0.008,
    ("female", "palm_digits"): 0.007,
    ("male", "palm"): 0.005,
    ("female", "palm"): 0.004,
}

#: Adult rule of nines, % BSA (SPEC.md §4). Sums to 100.
RULE_OF_NINES = {
    "head_neck": 9.0,
    "left_arm": 9.0,
    "right_arm": 9.0,
    "trunk_front": 18.0,
    "trunk_back": 18.0,
    "left_leg": 18.0,
    "right_leg": 18.0,
    "perineum": 1.0,
}

#: Lund-Browder adult shares used here, % BSA (SPEC.md §4; the face is "about 3-3.5").
LUND_BROWDER_ADULT = {"both_hands": 5.0, "both_feet": 7.0, "face": 3.5, "buttocks": 5.0}

#: Hand units of a whole face by convention (face ~3 % BSA; a fully depigmented face = F-VASI 3).
FACE_HU = 3.0


def assessed_hu_of(site: str, assessed_hu=None) -> float | None:
    """Hand units of a photo's assessed region: ``assessed_hu`` when given (checked), else
    ``FACE_HU`` for a face (``site`` as scored: ``"face"`` / ``"body"``), else None.

    >>> assessed_hu_of("face"), assessed_hu_of("body"), assessed_hu_of("body", 2)
    (3.0, None, 2.0)
    """
    assessed_hu = check_positive(assessed_hu, "assessed_hu", allow_none=True)
    return FACE_HU if assessed_hu is None and site == "face" else assessed_hu

#: Mutually exclusive T-VASI regions of each region set (SPEC.md §1).
REGION_SETS = {
    "hamzavi2004": ("hands", "upper_extremities", "trunk", "lower_extremities", "feet"),
    "six_region": ("head_neck", "hands", "upper_extremities", "trunk", "lower_extremities", "feet"),
}

#: Plausibility caps, % BSA (= HU) per T-VASI region, derived from the rule of nines and
#: Lund-Browder. Published VASI has no per-region caps: these only flag impossible inputs.
#: hands 5 (LB); upper extremities = 2 arms 18 - hands 5 = 13; trunk = 36 - buttocks 5 = 31;
#: lower extremities = 2 legs 36 + perineum 1 + buttocks 5 - feet 7 = 35; feet 7 (LB);
#: head/neck 9. The six caps sum to 100.
REGION_CAPS_PCT = {
    "head_neck": 9.0,
    "hands": 5.0,
    "upper_extremities": 13.0,
    "trunk": 31.0,
    "lower_extremities": 35.0,
    "feet": 7.0,
}


def _positive(value, name: str, fix: str) -> float:
    return check_positive(value, name, fix=fix)


def _nonneg(value, name: str, fix: str = "") -> float:
    if isinstance(value, (bool, np.bool_)):  # (True is 1 to float())
        raise InputError(f"{name} must be a number >= 0; got {value!r}. {fix}".rstrip())
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number >= 0; got {value!r}. {fix}") from None
    if math.isnan(v):
        return v
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{name} must be a finite number >= 0; got {value!r}. {fix}")
    return v


def _hw(height_cm, weight_kg) -> tuple[float, float]:
    h = _positive(height_cm, "height_cm", "Pass the height in centimetres, e.g. height_cm=170.")
    w = _positive(weight_kg, "weight_kg", "Pass the weight in kilograms, e.g. weight_kg=70.")
    if h < 3.0:
        raise InputError(
            f"height_cm={h!r} looks like metres; pass centimetres (e.g. 170, not 1.70)."
        )
    if h > 300.0:  # the tallest recorded person: 272 cm
        raise InputError(
            f"height_cm={h!r} is no human height in centimetres (millimetres?); pass e.g. 170."
        )
    if w > 700.0:  # the heaviest recorded person: ~635 kg
        raise InputError(
            f"weight_kg={w!r} is no human weight in kilograms (grams?); pass e.g. 70."
        )
    return h, w


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Body surface area by Mosteller (1987).

    .. math:: \\mathrm{BSA}\\,[\\mathrm{m^2}] = \\sqrt{h\\,[\\mathrm{cm}] \\cdot w\\,[\\mathrm{kg}] / 3600}

    Examples
    --------
    >>> round(bsa_mosteller(170, 70), 3)
    1.818
    """
    h, w = _hw(height_cm, weight_kg)
    return math.sqrt(h * w / 3600.0)


def bsa_dubois(height_cm: float, weight_kg: float) -> float:
    """Body surface area by DuBois & DuBois (1916).

    .. math:: \\mathrm{BSA}\\,[\\mathrm{m^2}] = 0.007184 \\, h^{0.725} \\, w^{0.425}

    with ``h`` in cm and ``w`` in kg.

    Examples
    --------
    >>> round(bsa_dubois(175, 70), 3)
    1.848
    """
    h, w = _hw(height_cm, weight_kg)
    return 0.007184 * h**0.725 * w**0.425


_BSA_METHODS = {"mosteller": bsa_mosteller, "dubois": bsa_dubois}


def bsa(height_cm: float, weight_kg: float, *, method: str = "mosteller") -> float:
    """Body surface area in m² from height and weight.

    Parameters
    ----------
    height_cm, weight_kg : float
        Height in centimetres, weight in kilograms.
    method : {"mosteller", "dubois"}, keyword-only
        Formula (see :func:`bsa_mosteller`, :func:`bsa_dubois`).

    Returns
    -------
    float
        BSA in m².

    Examples
    --------
    >>> round(bsa(170, 70, method="dubois"), 3)
    1.81
    """
    return _BSA_METHODS[check_choice(method, tuple(_BSA_METHODS), "method")](height_cm, weight_kg)


def hand_unit_cm2(
    *,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    bsa_m2: float | None = None,
    palm_cm2: float | None = None,
    method: str = "mosteller",
    hu_fraction: float = HU_FRACTION,
) -> float:
    """Area of the patient's hand unit in cm².

    Give exactly one of: ``height_cm`` and ``weight_kg``; ``bsa_m2``; or ``palm_cm2`` (the
    measured palm + volar digits area from a palm photo, returned unchanged).

    .. math:: \\mathrm{HU}\\,[\\mathrm{cm^2}] = \\mathrm{BSA}\\,[\\mathrm{m^2}] \\times 10^4 \\times f

    Parameters
    ----------
    height_cm, weight_kg : float, keyword-only
        Patient height (cm) and weight (kg) for the BSA formula ``method``.
    bsa_m2 : float, keyword-only
        Known body surface area in m².
    palm_cm2 : float, keyword-only
        Measured palm + five digits (volar) area in cm².
    method : {"mosteller", "dubois"}, keyword-only
        BSA formula when height and weight are given.
    hu_fraction : float, keyword-only
        ``f``, fraction of BSA one hand unit is. Default 0.01 (the VASI convention). Rossiter's
        measured values (:data:`ROSSITER_FRACTIONS`, 0.008 men / 0.007 women) are an optional
        calibration only -- scores comparable with the literature use 0.01.

    Returns
    -------
    float
        Hand-unit area in cm².

    Examples
    --------
    >>> round(hand_unit_cm2(height_cm=170, weight_kg=70), 1)
    181.8
    >>> hand_unit_cm2(palm_cm2=150.0)
    150.0
    """
    given = [height_cm is not None or weight_kg is not None, bsa_m2 is not None, palm_cm2 is not None]
    if sum(given) != 1:
        raise InputError(
            "hand_unit_cm2 needs exactly one of (height_cm and weight_kg), bsa_m2 or palm_cm2; "
            f"got height_cm={height_cm!r}, weight_kg={weight_kg!r}, bsa_m2={bsa_m2!r}, "
            f"palm_cm2={palm_cm2!r}."
        )
    if palm_cm2 is not None:
        p = _positive(palm_cm2, "palm_cm2", "Pass the measured palm+digits area in cm².")
        if not 10.0 <= p <= 1000.0:  # an infant's hand to a large adult's, with room
            raise InputError(f"palm_cm2={p!r} is no hand's palm + digits area in cm² (an adult's "
                             "is ~100-250); dm² or mm²? Pass e.g. palm_cm2=150.")
        return p
    f = _positive(hu_fraction, "hu_fraction", "Use 0.01 (the VASI convention).")
    if f > 0.05:
        raise InputError(
            f"hu_fraction={f!r} is a fraction of BSA, not a percentage; pass 0.01 for 1 %."
        )
    if bsa_m2 is None:
        if height_cm is None or weight_kg is None:
            raise InputError(
                "hand_unit_cm2 needs both height_cm and weight_kg; "
                f"got height_cm={height_cm!r}, weight_kg={weight_kg!r}."
            )
        bsa_m2 = bsa(height_cm, weight_kg, method=method)
    b = _positive(bsa_m2, "bsa_m2", "Pass the body surface area in m², e.g. 1.8.")
    if not 0.1 <= b <= 5.0:  # a newborn's ~0.2 m² to the largest adults'
        raise InputError(f"bsa_m2={b!r} is no body surface area in m² (cm²?); pass e.g. "
                         "bsa_m2=1.8.")
    return b * 1e4 * f


def relative_hu(depigmented, assessed, *, assessed_hu: float = FACE_HU):
    """Hand units by the relative method (no scale needed).

    .. math:: \\mathrm{HU} = \\mathrm{HU}_{assessed} \\times \\frac{A_{depigmented}}{A_{assessed}}

    Parameters
    ----------
    depigmented, assessed : float or array_like
        Depigmented and assessed areas in the same unit (pixels, mm², ...).
    assessed_hu : float, keyword-only
        Hand units of the assessed area; default 3 (a whole face).

    Returns
    -------
    float or ndarray
        Depigmented hand units; NaN where ``assessed`` is 0 (undefined, no exception).

    Examples
    --------
    >>> relative_hu(100, 1600)
    0.1875
    """
    a_hu = _positive(assessed_hu, "assessed_hu", "A whole face is 3 hand units.")
    d, a = matching(depigmented=np.asarray(depigmented, dtype=float),
                    assessed=np.asarray(assessed, dtype=float))
    if np.any(d < 0) or np.any(a < 0):
        raise InputError("depigmented and assessed areas must be >= 0; got negative values.")
    if np.any(d > a):
        raise InputError("the depigmented area exceeds the assessed area it lies in; pass both "
                         "in the same unit (pixels of the same photo, mm², ...).")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a > 0, a_hu * d / np.where(a > 0, a, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def physical_hu(area_cm2, *, hand_unit_cm2: float):
    """Hand units by the physical method (needs a scale).

    .. math:: \\mathrm{HU} = A\\,[\\mathrm{cm^2}] / \\mathrm{HU}\\,[\\mathrm{cm^2}]

    Parameters
    ----------
    area_cm2 : float or array_like
        Depigmented area in cm² (``area_px * mm_per_px**2 / 100``).
    hand_unit_cm2 : float, keyword-only
        The patient's hand unit in cm² (see :func:`hand_unit_cm2`).

    Examples
    --------
    >>> physical_hu(90.0, hand_unit_cm2=180.0)
    0.5
    """
    hu = _positive(hand_unit_cm2, "hand_unit_cm2",
                   "Compute it with vasi.hand_unit_cm2(height_cm=..., weight_kg=...).")
    if not 10.0 <= hu <= 1000.0:  # 1 % of a newborn's ~0.2 m² to the largest adults' 5 m²
        raise InputError(f"hand_unit_cm2={hand_unit_cm2!r} is no hand unit in cm² (an adult's "
                         "is ~150-200: 1 % of the body surface); the BSA in m²? Compute it "
                         "with vasi.hand_unit_cm2(bsa_m2=...).")
    a = np.asarray(area_cm2, dtype=float)
    if np.any(a < 0):
        raise InputError(f"area_cm2 must be >= 0; got {area_cm2!r}.")
    out = a / hu
    return float(out) if out.ndim == 0 else out


def cream_g(
    treated_hu: float,
    *,
    days: float = 1.0,
    g_per_ftu: float = 0.5,
    hu_per_ftu: float = 2.0,
    applications_per_day: float = 2.0,
) -> float:
    """Cream needed by the fingertip-unit rule (SPEC.md §4).

    One fingertip unit (0.5 g, adult male) covers 2 hand units, i.e. 0.25 g per HU per
    application; twice daily that is 0.5 g per HU per day.

    .. math:: g = \\mathrm{HU} \\times \\frac{g_{FTU}}{\\mathrm{HU}_{FTU}} \\times n_{day} \\times days

    Parameters
    ----------
    treated_hu : float
        Treated area in hand units.
    days : float, keyword-only
        Number of days (1 = per day; 30 = per month).
    g_per_ftu, hu_per_ftu : float, keyword-only
        Grams in one fingertip unit and hand units it covers (0.5 g, 2 HU).
    applications_per_day : float, keyword-only
        Default 2 (twice daily, as labelled for ruxolitinib cream).

    Examples
    --------
    >>> cream_g(10)
    5.0
    >>> cream_g(10, days=30)
    150.0
    """
    hu = _treated_hu(treated_hu)
    days, g_per_ftu, hu_per_ftu, applications_per_day = (
        _positive(v, name, "") for name, v in (
            ("days", days), ("g_per_ftu", g_per_ftu), ("hu_per_ftu", hu_per_ftu),
            ("applications_per_day", applications_per_day)))
    return hu * g_per_ftu / hu_per_ftu * applications_per_day * days


def _treated_hu(value) -> float:
    """A treated area in hand units, checked: >= 0 and at most the whole body (100 HU)."""
    hu = _nonneg(value, "treated_hu")
    if hu > 100.0:
        raise InputError(f"treated_hu={value!r} is more than the whole body (1 hand unit is 1 % "
                         "of the body surface, so at most 100); pass hand units, not cm².")
    return hu


@dataclass(frozen=True)
class Dosing:
    """Treated area against the label limit, and the cream it implies.

    Attributes
    ----------
    treated_hu : float
        Treated area in hand units (1 HU = 1 % BSA).
    label_limit_hu : float
        Label limit (ruxolitinib cream: 10 % BSA = 10 HU).
    above_label_limit : bool
        ``treated_hu > label_limit_hu``.
    g_per_day, g_per_month : float
        Cream by the fingertip-unit rule; a month is ``days_per_month`` days.
    """

    treated_hu: float
    label_limit_hu: float
    above_label_limit: bool
    g_per_day: float
    g_per_month: float
    days_per_month: float

    def to_dict(self) -> dict:
        """Fields as a dict."""
        return dict(self.__dict__)


def dosing(
    treated_hu: float,
    *,
    label_limit_hu: float = 10.0,
    days_per_month: float = 30.0,
    g_per_ftu: float = 0.5,
    hu_per_ftu: float = 2.0,
    applications_per_day: float = 2.0,
) -> Dosing:
    """Treated area vs the 10-HU label limit and the cream per day and month.

    Parameters
    ----------
    treated_hu : float
        Treated area in hand units.
    label_limit_hu : float, keyword-only
        Flag above this many HU (default 10: ruxolitinib cream, at most 10 % BSA).
    days_per_month : float, keyword-only
        Days in the "month" of ``g_per_month`` (default 30).
    g_per_ftu, hu_per_ftu, applications_per_day : float, keyword-only
        Fingertip-unit rule, see :func:`cream_g`.

    Examples
    --------
    >>> d = dosing(10)
    >>> d.g_per_day, d.g_per_month, d.above_label_limit
    (5.0, 150.0, False)
    >>> dosing(12).above_label_limit
    True
    """
    hu = _treated_hu(treated_hu)
    lim = _positive(label_limit_hu, "label_limit_hu", "The ruxolitinib cream label is 10 HU.")
    kw = dict(g_per_ftu=g_per_ftu, hu_per_ftu=hu_per_ftu, applications_per_day=applications_per_day)
    if math.isnan(hu):
        return Dosing(hu, lim, False, math.nan, math.nan, float(days_per_month))
    return Dosing(hu, lim, bool(hu > lim), cream_g(hu, **kw),
                  cream_g(hu, days=days_per_month, **kw), float(days_per_month))
