"""Embedded ICC colour profiles: photos tagged with another RGB profile than sRGB (an
iPhone's Display P3, a camera's Adobe RGB) converted to sRGB, as :mod:`vasi.color`
assumes (for :func:`vasi.read_photo`).

Matrix/TRC profiles go through OpenCV lookups and a 3x3 matrix (:class:`_MatrixShaper`),
used only when it agrees with littleCMS (``PIL.ImageCms``) within ``_FAST_TOLERANCE``
levels on probe colours; other profiles through littleCMS itself.
"""

from __future__ import annotations

import functools
import warnings

import cv2
import numpy as np
from PIL import Image

__all__ = ["to_srgb"]


#: Rows converted at a time: ImageCms works on PIL images (4 bytes a pixel), so a photo is
#: converted through one band of this many rows (~4 MB for a 6000-px-wide 24-MP photo)
#: instead of a whole-image copy (~100 MB).
_ICC_ROWS = 160


def to_srgb(rgb: np.ndarray, icc: bytes | None, path) -> tuple[np.ndarray, str | None, bool]:
    """``rgb`` (H, W, 3) uint8 converted to sRGB from the embedded ICC profile ``icc``, in
    place when it is writable, with the profile's description and whether it was converted.

    No profile costs nothing; an sRGB one (by what it does to colours, whatever its name)
    leaves the pixels as decoded. A profile that cannot be read or used warns (naming the
    file) and the pixels are used as sRGB.
    """
    if not icc:
        return rgb, None, False
    try:
        description, transform = _srgb_transform(bytes(icc))
    except Exception as exc:  # noqa: BLE001 - littleCMS raises OSError/PyCMSError/...
        warnings.warn(f"{str(path)!r}: the embedded ICC colour profile cannot be read "
                      f"({type(exc).__name__}: {exc}); the pixels are used as sRGB as they are",
                      UserWarning, stacklevel=2)
        return rgb, "unreadable", False
    if transform is None:
        return rgb, description, False
    if not (rgb.flags.writeable and rgb.flags.c_contiguous):
        rgb = np.array(rgb, order="C")
    for y in range(0, rgb.shape[0] if rgb.size else 0, _ICC_ROWS):
        transform(rgb[y:y + _ICC_ROWS])
    return rgb, description, True


@functools.lru_cache(maxsize=16)
def _srgb_transform(icc: bytes):
    """``(description, transform)`` for an embedded ICC profile: a callable converting an
    (h, w, 3) uint8 RGB band from it to sRGB in place, or None when there is nothing to
    convert (the profile is sRGB -- it maps every colour of a 6x6x6 grid to itself within one
    level -- or it is not an RGB profile: a greyscale photo's profile, a CMYK JPEG's, which
    OpenCV decodes its own way). The transform is littleCMS's, or :class:`_MatrixShaper`
    (~3x faster) when the profile is a matrix/TRC one that it reproduces within one level.
    Cached: a series from one phone carries one profile. Raises on a damaged profile, and on
    a matrix/TRC one whose colorants span no colour space (a singular matrix)."""
    import io as _io

    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(_io.BytesIO(icc))
    core = profile.profile
    description = " ".join(str(core.profile_description or core.model or "").split())
    description = description or "unnamed ICC profile"
    if core.xcolor_space.strip() != "RGB":
        return description, None
    # Relative colorimetric: colours inside sRGB (skin, a colour chart's patches) keep their
    # measured values -- what Lab, ITA and Delta E need -- with the source white mapped to
    # sRGB's white; colours outside sRGB are clipped. Perceptual would compress the whole
    # gamut (shifting in-gamut skin tones), and matrix/TRC profiles such as Display P3 and
    # Adobe RGB carry no perceptual table anyway (littleCMS falls back to colorimetric).
    lcms = ImageCms.buildTransform(profile, ImageCms.createProfile("sRGB"), "RGB", "RGB",
                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)

    def transform(band):
        im = Image.frombuffer("RGB", (band.shape[1], band.shape[0]), band, "raw", "RGB", 0, 1)
        lcms.apply(im, im)
        band[...] = np.frombuffer(im.tobytes(), np.uint8).reshape(band.shape)

    probe = _probe_colours(6)
    if np.abs(_converted(transform, probe).astype(np.int16) - probe).max() <= 1:
        return description, None
    shaper = _matrix_trc(icc)
    if shaper is not None and np.linalg.svd(shaper[0], compute_uv=False)[-1] < _MIN_COLORANT_SV:
        # littleCMS converts through it (all black, or colours flattened onto a plane)
        raise ValueError("its colorant matrix (rXYZ/gXYZ/bXYZ) is singular")
    fast = _MatrixShaper.of(icc)
    if fast is not None and _max_difference(fast, transform, _probe_colours(17, ramps=True)) \
            <= _FAST_TOLERANCE:
        return description, fast
    return description, transform


#: Smallest singular value of a matrix/TRC profile's colorant matrix (XYZ, full scale ~1;
#: s15.16 steps are 1.5e-5) for it to be used: real RGB profiles have 0.25-0.55 (sRGB 0.25).
_MIN_COLORANT_SV = 1e-4

#: Largest difference (levels, 0-255) from littleCMS on the probe colours for the fast
#: matrix/TRC conversion to be used. Both round: over all 256^3 colours the fast one is
#: within 0.6 level of the exact (float64) conversion, littleCMS's 8-bit fixed-point one
#: within 0.9, so they differ by 1 level on ~1% of colours (Display P3, Adobe RGB,
#: ProPhoto). A misread tone curve or matrix differs by far more. (With primaries as wide
#: as Rec. 2020's, littleCMS is off by up to 2.5 levels on a few colours far outside sRGB,
#: 3 in a million, which the probe misses: there the fast one is the closer of the two.)
_FAST_TOLERANCE = 1


def _probe_colours(n: int, ramps: bool = False) -> np.ndarray:
    """An n x n x n grid of RGB colours (0-255), with ``ramps`` the 256 levels of each
    primary and of grey too (every entry of a tone curve), as a (1, N, 3) uint8 image."""
    grid = np.linspace(0, 255, n).round().astype(np.uint8)
    cube = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), -1).reshape(-1, 3)
    if not ramps:
        return cube[None]
    ramp = np.arange(256, dtype=np.uint8)[:, None]
    lines = [ramp * np.array(c, np.uint8) for c in ((1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1))]
    return np.concatenate([cube, *lines])[None]


def _converted(transform, colours: np.ndarray) -> np.ndarray:
    """A copy of the (h, w, 3) uint8 image ``colours`` converted by ``transform``."""
    out = colours.copy()
    transform(out)
    return out


def _max_difference(a, b, colours: np.ndarray) -> int:
    """Largest difference (levels) between two transforms on the (1, N, 3) uint8 colours."""
    return int(np.abs(_converted(a, colours).astype(np.int16) - _converted(b, colours)).max())


class _MatrixShaper:
    """Conversion to sRGB of a matrix/TRC RGB profile (Display P3, Adobe RGB, ProPhoto: a
    tone curve per channel and a 3x3 colorant matrix, no LUT), as littleCMS computes it with
    the relative colorimetric intent, in three OpenCV/NumPy passes (~3x faster): the tone
    curves as one uint8 -> uint16 lookup (linear light x 65535), the matrix (sRGB-linear
    from source-linear via the D50 connection space, ``inv(sRGB colorants) @ source
    colorants``; OpenCV's saturation clips colours outside sRGB to 0-65535, as relative
    colorimetric clips them), and sRGB's encoding as a 65536-entry lookup (within 0.05 level
    of the exact curve)."""

    def __init__(self, linear: np.ndarray, matrix: np.ndarray):
        """``linear``: (3, 256) linear light (0-1) of each channel's levels 0-255;
        ``matrix``: (3, 3) sRGB-linear from source-linear."""
        self.lut = np.round(np.clip(linear, 0, 1) * 65535).astype(np.uint16).T[None].copy()
        self.matrix = matrix.astype(np.float32)
        self.encode = _srgb_encoding()

    @classmethod
    def of(cls, icc: bytes):
        """The fast conversion of the profile ``icc``, or None when it is not a matrix/TRC
        RGB profile to an XYZ connection space (a LUT-based one: littleCMS then)."""
        from PIL import ImageCms

        source = _matrix_trc(icc)
        srgb = _matrix_trc(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
        if source is None or srgb is None:
            return None
        matrix = np.linalg.solve(srgb[0], source[0])
        return cls(source[1], matrix) if np.isfinite(matrix).all() else None

    def __call__(self, band: np.ndarray) -> None:
        """Convert the (h, w, 3) uint8 RGB ``band`` (C-contiguous) to sRGB in place."""
        linear = cv2.LUT(band, self.lut)
        cv2.transform(linear, self.matrix, dst=linear)
        np.take(self.encode, linear, out=band, mode="wrap")  # (uint16: never wraps)


@functools.cache
def _srgb_encoding() -> np.ndarray:
    """sRGB's (IEC 61966-2-1) encoding of linear light k / 65535 (k = 0-65535) as 0-255
    levels: a (65536,) uint8 lookup table."""
    x = np.arange(65536) / 65535
    return np.round(np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
                    * 255).astype(np.uint8)


#: Tags of a matrix/TRC RGB profile, and the LUT tags littleCMS would use instead of them.
_MATRIX_TRC_TAGS = (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")
_LUT_TAGS = (b"A2B0", b"A2B1", b"A2B2", b"D2B0", b"D2B1", b"D2B2")


def _matrix_trc(icc: bytes):
    """``(colorants, linear)`` of a matrix/TRC RGB ICC profile: the (3, 3) matrix whose
    columns are the XYZ (D50 connection space) of full red, green and blue, and the (3, 256)
    linear light (0-1) of each channel's levels 0-255 by its tone curve; None for any other
    profile (LUT-based, Lab connection space, a tone curve that cannot be read)."""
    import struct

    try:
        if icc[16:20] != b"RGB " or icc[20:24] != b"XYZ ":
            return None
        tags = {}
        for i in range(int.from_bytes(icc[128:132], "big")):
            sig, offset, size = struct.unpack_from(">4sII", icc, 132 + 12 * i)
            tags[sig] = icc[offset:offset + size]
        if any(t in tags for t in _LUT_TAGS) or not all(t in tags for t in _MATRIX_TRC_TAGS):
            return None
        colorants = np.array([[v / 65536 for v in struct.unpack_from(">3i", tags[t], 8)]
                              for t in _MATRIX_TRC_TAGS[:3]]).T
        linear = np.stack([_tone_curve(tags[t], np.arange(256) / 255)
                           for t in _MATRIX_TRC_TAGS[3:]])
    except (struct.error, ValueError):
        return None
    if any(tags[t][:4] != b"XYZ " for t in _MATRIX_TRC_TAGS[:3]) or not np.isfinite(linear).all():
        return None
    return colorants, linear


def _tone_curve(tag: bytes, x: np.ndarray) -> np.ndarray:
    """An ICC tone-curve tag evaluated at ``x`` (0-1), clipped to 0-1 (ICC.1:2010 10.5,
    10.16): ``curv`` -- identity (no entries), a gamma (one u8.8 entry) or a table sampled
    evenly over 0-1 and linearly interpolated -- or ``para``, function types 0-4 with
    parameters g, a, b, c, d, e, f (s15.16). Raises ValueError for any other tag."""
    import struct

    kind = tag[:4]
    if kind == b"curv":
        n = int.from_bytes(tag[8:12], "big")
        table = np.frombuffer(tag, ">u2", n, 12) / 65535.0
        if n == 0:
            y = x
        elif n == 1:
            y = x ** (int.from_bytes(tag[12:14], "big") / 256)
        else:
            y = np.interp(x * (n - 1), np.arange(n), table)
    elif kind == b"para":
        ftype = int.from_bytes(tag[8:10], "big")
        if ftype > 4:
            raise ValueError(f"parametric curve type {ftype}")
        count = (1, 3, 4, 5, 7)[ftype]
        g, a, b, c, d, e, f = [v / 65536 for v in struct.unpack_from(f">{count}i", tag, 12)] \
            + [0.0] * (7 - count)
        with np.errstate(all="ignore"):
            power = np.maximum(a * x + b, 0) ** g if ftype else x ** g
            if ftype in (1, 2):  # (aX + b)^g [+ c] from X = -b/a, else 0 [or c]
                y = np.where(a * x + b >= 0, power + (c if ftype == 2 else 0), c if ftype == 2 else 0)
            elif ftype in (3, 4):  # (aX + b)^g [+ e] from X = d, else cX [+ f]
                y = np.where(x >= d, power + e, c * x + f)
            else:
                y = power
    else:
        raise ValueError(f"tone curve of type {kind!r}")
    return np.clip(y, 0, 1)
