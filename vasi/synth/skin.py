"""Skin colour by individual typology angle (ITA) and the colour of depigmented skin.

The colour model
----------------
Normal skin is placed on a curve in the CIELAB ``(L*, b*)`` plane parameterised by the
individual typology angle

.. math:: \\mathrm{ITA} = \\arctan\\left(\\frac{L^* - 50}{b^*}\\right) \\cdot \\frac{180}{\\pi}

with the Chardon / Del Bino skin-colour categories (very light > 55 deg, light 41-55,
intermediate 28-41, tan 10-28, brown -30-10, dark < -30), which ``vasi.synth`` maps to
Fitzpatrick types I-VI. ``b*`` peaks for intermediate/tan skin (about 19) and falls to about
12-14 for very light and very dark skin; ``L*`` then follows from the ITA::

    type  ITA(deg)  normal L*, a*, b*    depigmented L*, a*, b*   Delta L*
    I       61      74.9,  8.5, 13.8     77.9, 10.7,  9.1           3.0
    II      48      67.4,  9.0, 15.7     71.9, 10.4, 10.1           4.4
    III     34.5    62.3,  9.7, 17.9     71.1, 10.1, 11.3           8.8
    IV      19      56.5, 10.5, 19.0     70.2, 10.0, 11.9          13.7
    V      -10      47.3, 10.9, 15.4     68.8, 10.0,  9.9          21.6
    VI     -44      38.2,  9.2, 12.2     67.5, 10.0,  8.2          29.3

(each photo draws its ITA uniformly within +-2 to +-6 deg of the nominal value, inside the band)

Depigmented (vitiligo) skin has no epidermal melanin, so its colour depends little on the
constitutive type: ``L*`` about 67-76, ``b*`` lower than the patient's normal skin (about
0.55 x normal + 1.5, i.e. 8-11), ``a*`` about 10-11 (pink-white: haemoglobin is no longer
masked by melanin). Consequences, as in SPEC.md §5: contrast ``Delta L*`` is about 3 on
type I and about 30 on type VI; the lesion always has a higher ITA and lower ``b*``.

Sources (qualitative facts the numbers were chosen to respect; the exact values above are
this module's model choices, not measured data):

* ITA definition and category thresholds: Chardon, Cretois & Hourseau, Int J Cosmet Sci
  1991;13:191-208; Del Bino & Bernerd, Br J Dermatol 2013;169 Suppl 3:33-40 (thresholds as
  listed e.g. by dermatest.de, "Colorimetry - pigmentation of the skin").
* Lesional vs perilesional vs distant normal skin: Brazzelli et al., Photodermatol
  Photoimmunol Photomed 2008;24:314-7 (chromameter, 25 patients): ``L*`` highest in the
  lesion, perilesional skin lighter than normal skin 5 cm away, ``b*`` increasing from lesion
  to perilesional to normal skin. ``vasi.synth`` reproduces this with a lighter perilesional
  halo (see :mod:`vasi.synth.shapes`).
* Melanin index in patches vs healthy skin by site (mexametry, 47 patients): Deeva et al.,
  Open Dermatol J 2017;11:53-58 -- no melanin in cheek patches, residual melanin in
  perioral patches; hence the depigmented colour is modelled as melanin-free.
* Vitiligo macules are described as uniformly milk-white or ivory (Italian phototherapy
  patient information, fototerapia.it), i.e. high ``L*`` and low chroma.

The numbers were checked against renders: the median CIELAB of the rendered normal skin in
``truth.reference_mask`` falls in the type's ITA band (``tests/test_synth.py``).
"""

from __future__ import annotations

import numpy as np
from skimage.color import lab2rgb, rgb2lab

__all__ = [
    "FITZPATRICK_ITA",
    "ITA_BANDS",
    "ita_deg",
    "normal_skin_lab",
    "depigmented_lab",
    "srgb_to_linear",
    "linear_to_srgb",
    "lab_to_linear",
    "linear_to_lab",
]

#: Nominal ITA (degrees) used for each Fitzpatrick type (inside its band, away from edges).
FITZPATRICK_ITA = {"I": 61.0, "II": 48.0, "III": 34.5, "IV": 19.0, "V": -10.0, "VI": -44.0}

#: ITA bands (degrees, lower, upper) of the six skin-colour categories mapped to types I-VI.
ITA_BANDS = {
    "I": (55.0, 90.0),
    "II": (41.0, 55.0),
    "III": (28.0, 41.0),
    "IV": (10.0, 28.0),
    "V": (-30.0, 10.0),
    "VI": (-90.0, -30.0),
}


def ita_deg(lab) -> np.ndarray:
    """Individual typology angle of CIELAB colours, in degrees.

    Parameters
    ----------
    lab : array_like, shape (..., 3)
        ``L*, a*, b*`` values.

    Returns
    -------
    numpy.ndarray
        ``atan2(L* - 50, b*)`` in degrees, shape ``lab.shape[:-1]``.

    Examples
    --------
    >>> float(ita_deg([60.0, 10.0, 10.0]))
    45.0
    """
    lab = np.asarray(lab, dtype=float)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))


def type_of_ita(ita: float) -> str:
    """Fitzpatrick type (``"I"``..``"VI"``) whose ITA band contains ``ita`` (degrees).

    >>> type_of_ita(30.0)
    'III'
    """
    for name, (lo, hi) in ITA_BANDS.items():
        if lo < ita <= hi or (name == "I" and ita > lo):
            return name
    return "VI"


def normal_skin_lab(ita: float) -> np.ndarray:
    """CIELAB colour of normal skin with the given ITA (degrees).

    Parameters
    ----------
    ita : float
        Individual typology angle in degrees, about -55 to +65.

    Returns
    -------
    numpy.ndarray, shape (3,)
        ``(L*, a*, b*)``.

    Examples
    --------
    >>> lab = normal_skin_lab(34.5)
    >>> round(float(ita_deg(lab)), 1)
    34.5
    """
    ita = float(np.clip(ita, -60.0, 70.0))
    b = 12.0 + 7.0 * np.exp(-(((ita - 20.0) / 35.0) ** 2))
    L = 50.0 + b * np.tan(np.radians(ita))
    a = 8.0 + 3.0 * np.exp(-(((ita - 0.0) / 45.0) ** 2))
    return np.array([L, a, b])


def depigmented_lab(normal_lab) -> np.ndarray:
    """CIELAB colour of fully depigmented (vitiligo) skin of a patient.

    Parameters
    ----------
    normal_lab : array_like, shape (3,)
        The patient's normal skin colour.

    Returns
    -------
    numpy.ndarray, shape (3,)
        Lighter (``L*`` 67-77), less yellow, slightly pink.

    Examples
    --------
    >>> dep = depigmented_lab(normal_skin_lab(-44.0))
    >>> bool(dep[0] > 65)
    True
    """
    L, a, b = (float(v) for v in normal_lab)
    L_dep = max(L + 3.0, 70.0 + 0.15 * (L - 55.0))
    b_dep = 0.55 * b + 1.5
    a_dep = 10.0 + 0.5 * max(0.0, (L - 60.0) / 10.0)
    return np.array([L_dep, a_dep, b_dep])


def srgb_to_linear(rgb) -> np.ndarray:
    """sRGB in [0, 1] to linear RGB (IEC 61966-2-1).

    >>> round(float(srgb_to_linear(0.5)), 4)
    0.214
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(lin) -> np.ndarray:
    """Linear RGB to sRGB in [0, 1] (clipped).

    >>> round(float(linear_to_srgb(0.214)), 3)
    0.5
    """
    lin = np.clip(np.asarray(lin, dtype=np.float64), 0.0, 1.0)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)


def lab_to_linear(lab) -> np.ndarray:
    """CIELAB (D65) colour(s) to linear RGB.

    >>> lab_to_linear([100.0, 0.0, 0.0]).round(3)
    array([1., 1., 1.])
    """
    lab = np.asarray(lab, dtype=np.float64)
    srgb = lab2rgb(lab.reshape(-1, 1, 3)).reshape(lab.shape)
    return srgb_to_linear(srgb)


def linear_to_lab(lin) -> np.ndarray:
    """Linear RGB colour(s) to CIELAB (D65).

    >>> linear_to_lab([1.0, 1.0, 1.0]).round(1)
    array([100.,   0.,   0.])
    """
    lin = np.asarray(lin, dtype=np.float64)
    return rgb2lab(linear_to_srgb(lin).reshape(-1, 1, 3)).reshape(lin.shape) + 0.0


_LUT_N = 16384
_SRGB_LUT = np.clip(np.rint(linear_to_srgb(np.linspace(0, 1, _LUT_N)) * 255.0), 0, 255).astype(
    np.float32
)


def linear_to_srgb8_float(lin: np.ndarray) -> np.ndarray:
    """Fast linear -> sRGB 0..255 (float32) for whole images through a lookup table.

    >>> float(linear_to_srgb8_float(np.array([1.0], np.float32))[0])
    255.0
    """
    idx = np.clip(lin * (_LUT_N - 1) + 0.5, 0, _LUT_N - 1).astype(np.int32)
    return _SRGB_LUT[idx]
