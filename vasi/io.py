"""Reading and writing photos.

:func:`read_photo` is the one entry point for photo files, from a path or from their bytes
in memory: JPEG, PNG and TIFF (8 or 16 bit, RGB or RGBA, or greyscale read as equal
channels), HEIC with the ``heif`` extra and RGB DICOM with the ``dicom`` extra. It applies the
EXIF orientation, converts the pixels to sRGB when the file embeds another ICC colour
profile (an iPhone's Display P3, a camera's Adobe RGB: :mod:`vasi.color` assumes sRGB),
returns an RGB uint8 image and the metadata it could find, and raises
:class:`vasi.PhotoError` -- naming the file and the problem -- for anything it cannot turn
into such an image. Whether a greyscale photo can be scored is :func:`vasi.segment`'s call
(under a Wood's lamp only).
"""

from __future__ import annotations

import datetime as _dt
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from . import _atomic
from . import icc as _icc
from ._validate import check_image, is_number, to_uint8
from .errors import InputError, PhotoError, VasiError

__all__ = ["Photo", "PhotoMeta", "read_photo", "write_image", "image_suffix", "image_and_scale",
           "stored_scale", "DEFAULT_MAX_PIXELS"]

#: Largest photo accepted, in pixels (width x height). 150 MP is above any clinical camera
#: (a 100 MP medium-format back is 11656 x 8742) yet stops decompression bombs before any
#: pixel memory is allocated. (Pillow, which reads the header, independently refuses
#: anything above ~179 MP, so larger ``max_pixels`` values do not raise that ceiling.)
DEFAULT_MAX_PIXELS = 150_000_000

#: A JPEG smaller than this many bytes per pixel cannot be a whole photo: even a perfectly
#: flat 8x8-block image needs a few bits per block (~0.005 bytes/px). Catches truncated
#: files and bombs whose header claims a huge size that the decoder would fill with grey.
_MIN_JPEG_BYTES_PER_PX = 0.001

_EXIF_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_DATETIME = 0x0132


@dataclass(frozen=True)
class PhotoMeta:
    """What is known about a photo besides its pixels.

    Attributes
    ----------
    path : str or None
        Source file.
    capture_date : datetime.datetime or None
        EXIF ``DateTimeOriginal`` (else ``DateTime``), or the DICOM acquisition date.
    mm_per_px : float or None
        Physical pixel size in millimetres when the file states it (DICOM ``PixelSpacing``,
        TIFF/PNG resolution given in centimetres or metres), else None.
    orientation : int
        EXIF orientation tag that was applied (1 = none).
    source_dtype : str
        Sample type in the file (``"uint8"`` or ``"uint16"``).
    source_channels : int
        Channels in the file (3 = RGB, 4 = RGBA with alpha dropped; 1 = greyscale, 2 = with
        alpha, read as R = G = B).
    format : str
        File format as detected from content (``"JPEG"``, ``"PNG"``, ``"TIFF"``, ``"HEIF"``,
        ``"DICOM"``).
    colour_profile : str or None
        Description of the ICC colour profile embedded in the file (``"Display P3"``,
        ``"sRGB IEC61966-2.1"``, ``"unreadable"`` for a damaged one), None when there is none.
    colour_converted : bool
        Whether the pixels were converted from that profile to sRGB (False for an sRGB or
        untagged file, a damaged profile, or a non-RGB one such as a greyscale profile).
    """

    path: str | None = None
    capture_date: _dt.datetime | None = None
    mm_per_px: float | None = None
    orientation: int = 1
    source_dtype: str = "uint8"
    source_channels: int = 3
    format: str = ""
    colour_profile: str | None = None
    colour_converted: bool = False
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain dict (dates as ISO strings) for tables and JSON."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        d["capture_date"] = self.capture_date.isoformat() if self.capture_date else None
        return d


@dataclass(frozen=True)
class Photo:
    """A photo ready for analysis.

    Attributes
    ----------
    image : ndarray, shape (H, W, 3), uint8
        RGB pixels, EXIF orientation applied.
    meta : PhotoMeta
        Capture date, pixel size and provenance.
    """

    image: np.ndarray
    meta: PhotoMeta

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` in pixels."""
        return self.image.shape[:2]


def read_photo(path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Read a photo file as RGB uint8 with its EXIF orientation applied.

    Parameters
    ----------
    path : str, os.PathLike, bytes or binary file object
        JPEG, PNG or TIFF (8- or 16-bit; RGBA has its alpha dropped), HEIC/HEIF with the
        ``heif`` extra, or DICOM with the ``dicom`` extra: a file, or its content already
        in memory (an upload's bytes, ``io.BytesIO``, an open file) with the same checks and
        EXIF orientation.
    max_pixels : int, keyword-only
        Refuse images with more pixels than this (decompression-bomb guard), checked from
        the header before decoding.

    Returns
    -------
    Photo
        ``.image`` (H, W, 3) uint8 RGB and ``.meta`` (:class:`PhotoMeta`). 16-bit files are
        rounded to 8 bit (``v16 / 257``). A JPEG, PNG, TIFF or HEIC that embeds an RGB ICC
        colour profile other than sRGB (Display P3, Adobe RGB) is converted to sRGB as
        littleCMS converts it (``PIL.ImageCms``, relative colorimetric: colours outside sRGB
        are clipped; a matrix/TRC profile such as those by a faster equivalent, checked to
        be within one level of it; :mod:`vasi.icc`), after the rounding to 8 bit;
        sRGB-tagged and untagged files are returned as decoded. ``meta.colour_profile`` /
        ``meta.colour_converted`` say which happened.

    Warns
    -----
    UserWarning
        The embedded colour profile cannot be read: the pixels are used as sRGB.

    Raises
    ------
    vasi.PhotoError
        Missing, empty, corrupt, truncated, non-image or oversized files; the message
        names the file and the problem. A greyscale file is read (as R = G = B): it can be
        scored under a Wood's lamp, and :func:`vasi.segment` refuses it in visible light.
    vasi.InputError
        ``path`` is neither a path nor bytes (e.g. an image array: pass that to
        :func:`vasi.score_photo`).

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from PIL import Image
    >>> p = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(p)
    >>> read_photo(p).image.shape
    (20, 30, 3)
    >>> with open(p, "rb") as f:
    ...     read_photo(f.read()).meta.path is None   # bytes in memory
    True
    """
    if _in_memory(path):
        return _read_memory(path, max_pixels)
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"path must be a file path (str or os.PathLike) or the file's bytes; "
                         f"got {type(path).__name__}. For an image array already decoded, pass "
                         "it to vasi.score_photo directly.")
    path, data = _file_bytes(path)
    return _decode_bytes(data, path, max_pixels)


def _file_bytes(path) -> tuple[Path, bytes]:
    """A photo file's path and whole content (possibly empty: :func:`_decode_bytes` refuses
    it, after a batch has recorded the content's digest), or the :class:`PhotoError` naming
    the problem."""
    path = Path(path)
    if not path.exists():
        raise PhotoError(path, "file does not exist")
    if not path.is_file():
        raise PhotoError(path, "not a regular file (is it a folder?)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PhotoError(path, f"cannot open file ({exc.strerror or exc})") from exc
    return path, data


def _in_memory(source) -> bool:
    """Whether ``source`` is a file's content in memory: bytes or a binary file object."""
    return isinstance(source, (bytes, bytearray, memoryview)) or callable(getattr(source, "read", None))


def _read_memory(source, max_pixels: int) -> Photo:
    """:func:`read_photo` of a file's content in memory: bytes, or a binary file object
    (named in errors by its ``name``, else ``<bytes>`` / ``<stream>``) read from where it
    stands."""
    hint = ""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "<bytes>"
    else:
        name = str(getattr(source, "name", "<stream>"))
        try:
            pos = source.tell() if callable(getattr(source, "tell", None)) else 0
            data = source.read()
        except OSError as exc:
            raise PhotoError(name, f"cannot read the stream ({exc})") from None
        if not isinstance(data, (bytes, bytearray)):
            raise InputError(f"the file object {name!r} gave {type(data).__name__}, not bytes: "
                             "open it in binary mode ('rb').")
        data = bytes(data)
        if pos:
            hint = f" (the stream was read from position {pos}: seek(0) before passing it)"
    if len(data) == 0:
        raise PhotoError(name, f"no data (0 bytes){hint}")
    try:
        photo = _decode_bytes(data, name, max_pixels)
    except PhotoError as exc:
        if not hint:
            raise
        raise PhotoError(name, exc.problem + hint) from None
    return Photo(photo.image, replace(photo.meta, path=None))


#: ISO base-media brands of HEIF still images (HEIC is the iPhone camera's default).
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def _is_heif(data: bytes) -> bool:
    """An ISO base-media file whose major brand is a HEIF still image's and that does not
    declare itself AVIF (AVIF files may use the generic 'mif1' brand too)."""
    if len(data) < 16 or data[4:8] != b"ftyp" or data[8:12] not in _HEIF_BRANDS:
        return False
    size = int.from_bytes(data[0:4], "big")
    brands = data[16:min(max(size, 16), len(data), 256)]
    return not any(brands[i:i + 4] in (b"avif", b"avis") for i in range(0, len(brands) - 3, 4))


def _is_dicom(data: bytes) -> bool:
    return len(data) > 132 and data[128:132] == b"DICM"


def _as_rgb(arr: np.ndarray, *, bgr: bool) -> tuple[np.ndarray, int]:
    """A decoded image as RGB uint8 and its channel count in the file: greyscale (with
    alpha) to equal channels, OpenCV's BGR(A) or RGB(A) to RGB, 16 bits rounded to 8."""
    if arr.ndim == 2:
        arr = arr[..., None]
    channels = int(arr.shape[2])
    if channels <= 2:  # greyscale (with alpha): scored under a Wood's lamp only (segment)
        rgb = cv2.cvtColor(np.ascontiguousarray(arr[..., 0]), cv2.COLOR_GRAY2RGB)
    elif bgr:
        rgb = cv2.cvtColor(arr, cv2.COLOR_BGRA2RGB if channels == 4 else cv2.COLOR_BGR2RGB)
    else:
        rgb = arr[..., :3]
    return np.ascontiguousarray(to_uint8(rgb)), channels


def _decode_heif(data: bytes, path, max_pixels: int) -> Photo:
    """A HEIF/HEIC photo, decoded by the optional ``pillow-heif`` (``vasi[heif]``); libheif
    applies the container's rotation and mirroring, so the EXIF orientation is not applied
    again (it is recorded as applied)."""
    import io as _io

    try:
        import pillow_heif
    except ImportError:
        raise PhotoError(path, "HEIC/HEIF photo (an iPhone's default format) needs the optional "
                         "decoder: pip install 'vasi[heif]', or export the photo as JPEG") from None
    try:
        heif = pillow_heif.open_heif(_io.BytesIO(data))
        width, height = heif.size
        if width * height > max_pixels:
            raise PhotoError(path, f"image is {width}x{height}, more than max_pixels={max_pixels}")
        arr = np.asarray(heif)
    except PhotoError:
        raise
    except Exception as exc:  # libheif's errors on damaged files
        raise PhotoError(path, f"corrupt HEIF data ({type(exc).__name__}: {exc})") from None
    exif = Image.Exif()
    if heif.info.get("exif"):
        try:
            exif.load(heif.info["exif"])
        except Exception:  # damaged EXIF: the date and orientation are optional
            exif = Image.Exif()
    rgb, channels = _as_rgb(arr, bgr=False)
    rgb, profile, converted = _icc.to_srgb(rgb, heif.info.get("icc_profile"), path)
    meta = PhotoMeta(
        path=str(path),
        capture_date=_exif_date(exif),
        orientation=int(exif.get(_EXIF_ORIENTATION, 1) or 1),
        source_dtype=str(arr.dtype),
        source_channels=channels,
        format="HEIF",
        colour_profile=profile,
        colour_converted=converted,
    )
    return Photo(image=rgb, meta=meta)


def _decode_bytes(data: bytes, path, max_pixels: int) -> Photo:
    """A photo file's content decoded (``path`` names it in errors), by its format."""
    if len(data) == 0:
        raise PhotoError(path, "file is empty (0 bytes)")
    if _is_dicom(data):
        return _read_dicom(data, path, max_pixels)
    if _is_heif(data):
        return _decode_heif(data, path, max_pixels)
    header = _read_header(data, path, max_pixels)
    if header["format"] == "JPEG" and len(data) < header["pixels"] * _MIN_JPEG_BYTES_PER_PX:
        raise PhotoError(
            path,
            f"truncated JPEG: {len(data)} bytes cannot hold a {header['size']} image "
            "(even a flat JPEG needs ~0.005 bytes per pixel)",
        )
    # 8-bit colour JPEGs are decoded straight to RGB (no extra channel swap on 12-MP
    # photos); everything else keeps its own depth and channels for the checks below
    rgb_jpeg = header["format"] == "JPEG" and header["mode"] in ("RGB", "YCbCr")
    flags = (cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION) if rgb_jpeg else cv2.IMREAD_UNCHANGED
    try:
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error as exc:  # e.g. a header width above OpenCV's 2**20 px limit
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise PhotoError(path, f"corrupt or unsupported {header['format']} data ({msg})") from None
    if arr is None:
        raise PhotoError(path, f"corrupt or truncated {header['format']} data (decoder failed)")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4))):
        raise PhotoError(path, f"unsupported pixel layout {arr.shape}")
    source_dtype = str(arr.dtype)
    if arr.dtype not in (np.uint8, np.uint16):
        raise PhotoError(path, f"unsupported sample type {arr.dtype}; save as 8- or 16-bit")
    if rgb_jpeg:
        rgb, channels = arr, 3
    else:
        rgb, channels = _as_rgb(arr, bgr=True)
    rgb, profile, converted = _icc.to_srgb(rgb, header["icc"], path)  # (before turning: in place)
    rgb = np.ascontiguousarray(_apply_orientation(rgb, header["orientation"]))
    meta = PhotoMeta(
        path=str(path),
        capture_date=header["capture_date"],
        mm_per_px=header["mm_per_px"],
        orientation=header["orientation"],
        source_dtype=source_dtype,
        source_channels=channels,
        format=header["format"],
        colour_profile=profile,
        colour_converted=converted,
    )
    return Photo(image=rgb, meta=meta)


def _unless_bomb_warning(call):
    """``call()``; when Pillow's DecompressionBombWarning (a photo over ~89 MP) is raised as
    an error because the process turns warnings into errors, ``call()`` again with that
    warning silenced: ``max_pixels`` is the guard here. The usual path leaves the
    process-wide warning filters alone (changing them is not thread-safe)."""
    try:
        return call()
    except Image.DecompressionBombWarning:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return call()


#: TIFF SampleFormat codes and the NumPy kind each is (1 unsigned, 2 signed, 3 float).
_TIFF_SAMPLES = {1: "uint", 2: "int", 3: "float", 6: "complex"}


def _tiff_sample_problem(data: bytes) -> str | None:
    """For a TIFF file Pillow cannot open, what its samples are (``float32``) and what to
    convert them to; None for anything else (then it is not an image file).

    >>> _tiff_sample_problem(b"not a tiff") is None
    True
    """
    import io as _io

    from PIL import TiffImagePlugin

    if data[:4] not in (b"II*\0", b"MM\0*"):
        return None
    try:
        ifd = TiffImagePlugin.ImageFileDirectory_v2(data[:8])
        fh = _io.BytesIO(data)
        fh.seek(ifd.next)
        ifd.load(fh)
        kinds = {_TIFF_SAMPLES.get(int(k), f"format {k}") for k in ifd.get(339, (1,))}
        bits = {int(b) for b in ifd.get(258, (8,))}
    except Exception:  # noqa: BLE001 - a damaged header: the generic message
        return None
    dtype = "/".join(f"{k}{b}" for k in sorted(kinds) for b in sorted(bits))
    return (f"TIFF with {dtype} samples ({int(ifd.get(277, 1))} per pixel) is not supported; "
            "convert it to 8- or 16-bit integer RGB (uint8 or uint16, scaled to 0-255 or "
            "0-65535) and save it as TIFF or PNG")


def _read_header(data: bytes, path: Path, max_pixels: int) -> dict:
    """Identify the format and read size, EXIF orientation/date and resolution, without
    decoding pixels."""
    import io as _io

    try:
        im = _unless_bomb_warning(lambda: Image.open(_io.BytesIO(data)))
        fmt = im.format or "unknown"
        width, height = im.size
        mode = im.mode
        icc = im.info.get("icc_profile") or None  # (JPEG APP2, PNG iCCP, TIFF tag: header only)
    except UnidentifiedImageError:
        raise PhotoError(path, _tiff_sample_problem(data)
                         or "not an image file (unrecognised format)") from None
    except Image.DecompressionBombError as exc:
        raise PhotoError(path, f"image too large ({exc})") from None
    except Exception as exc:  # Pillow raises many types on damaged headers
        raise PhotoError(path, f"corrupt image header ({type(exc).__name__}: {exc})") from None
    if fmt not in ("JPEG", "PNG", "TIFF", "MPO", "BMP", "WEBP"):
        raise PhotoError(path, f"unsupported format {fmt}; use JPEG, PNG, TIFF or DICOM")
    if width <= 0 or height <= 0:
        raise PhotoError(path, f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:  # before anything (even EXIF lookup) reads pixel data
        raise PhotoError(
            path,
            f"image is {width}x{height} = {width * height / 1e6:.0f} MP, more than the "
            f"max_pixels={max_pixels / 1e6:.0f} MP limit (possible decompression bomb); "
            "pass a larger max_pixels if the photo is genuine",
        )
    try:
        exif = _unless_bomb_warning(im.getexif)  # PNG may scan past IDAT to find eXIf
        tags = getattr(im, "tag_v2", None)
    except Exception as exc:
        raise PhotoError(path, f"corrupt or truncated {fmt} data ({type(exc).__name__}: {exc})") from None
    orientation = int(exif.get(_EXIF_ORIENTATION, 1) or 1)
    if orientation not in range(1, 9):
        orientation = 1
    return {
        "format": "JPEG" if fmt == "MPO" else fmt,
        "mode": mode,
        "pixels": width * height,
        "size": f"{width}x{height}",
        "orientation": orientation,
        "capture_date": _exif_date(exif),
        "mm_per_px": _resolution_mm_per_px(fmt, tags),
        "icc": icc,
    }


def _exif_date(exif) -> _dt.datetime | None:
    raw = None
    try:
        raw = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
    except Exception:  # damaged sub-IFD: the date is optional
        raw = None
    raw = raw or exif.get(_EXIF_DATETIME)
    if not raw:
        return None
    try:
        return _dt.datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _resolution_mm_per_px(fmt: str, tags) -> float | None:
    """Pixel size from a TIFF's own resolution, only when stated in centimetres.

    DPI values (72, 300, ...) written by cameras describe printing, not the scene, so
    they are ignored; a TIFF with ``ResolutionUnit = centimetre`` was set on purpose
    (scanners, microscopes, calibrated rigs) and is kept.
    """
    if fmt != "TIFF" or tags is None:
        return None
    try:
        if int(tags.get(296, 2)) == 3 and 282 in tags:
            xres = float(tags[282])
            return 10.0 / xres if xres > 0 else None
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return None


def _apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Rotate/flip ``image`` so that EXIF orientation ``orientation`` becomes 1 (upright)."""
    ops = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 1)[::-1],
        8: lambda a: np.rot90(a, 1),
    }
    return ops[orientation](image)


def _read_dicom(data: bytes, path, max_pixels: int) -> Photo:
    import io as _io

    try:
        import pydicom
    except ImportError:
        raise PhotoError(
            path, "DICOM files need the optional dependency: pip install 'vasi[dicom]'"
        ) from None
    try:
        ds = pydicom.dcmread(_io.BytesIO(data))
        rows, cols = int(ds.Rows), int(ds.Columns)
        if rows * cols > max_pixels:
            raise PhotoError(path, f"image is {cols}x{rows}, more than max_pixels={max_pixels}")
        arr = ds.pixel_array
    except PhotoError:
        raise
    except Exception as exc:
        raise PhotoError(path, f"corrupt DICOM ({type(exc).__name__}: {exc})") from None
    if arr.ndim == 2:  # (its rescaling, display LUT and MONOCHROME1 inversion not applied)
        raise PhotoError(path, "greyscale DICOM: export it as a PNG or JPEG (a greyscale photo "
                         "can be scored under a Wood's lamp)")
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise PhotoError(path, f"unsupported DICOM pixel layout {arr.shape} (a multi-frame "
                         "series?); export one frame as an RGB photo")
    channels = int(arr.shape[-1])
    if str(getattr(ds, "PhotometricInterpretation", "RGB")).startswith("YBR"):
        from pydicom.pixels import convert_color_space

        arr = convert_color_space(arr, ds.PhotometricInterpretation, "RGB")
    rgb = to_uint8(np.ascontiguousarray(arr[..., :3]))
    spacing = getattr(ds, "PixelSpacing", None) or getattr(ds, "ImagerPixelSpacing", None)
    date = None
    raw = getattr(ds, "AcquisitionDate", None) or getattr(ds, "StudyDate", None)
    if raw:
        try:
            date = _dt.datetime.strptime(str(raw), "%Y%m%d")
        except ValueError:
            date = None
    meta = PhotoMeta(
        path=str(path),
        capture_date=date,
        mm_per_px=float(spacing[0]) if spacing else None,
        source_dtype=str(arr.dtype),
        source_channels=channels,
        format="DICOM",
    )
    return Photo(image=rgb, meta=meta)


def write_image(path, image, *, quality: int = 95) -> Path:
    """Write an RGB image atomically (PNG, JPEG or TIFF chosen by the suffix).

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its suffix picks the format. Parent folders are created.
    image : ndarray, shape (H, W, 3)
        uint8, uint16 or float in [0, 1] RGB (see the input contract); written as 8-bit.
    quality : int, keyword-only
        JPEG quality 1-100.

    Raises
    ------
    vasi.InputError
        A suffix with no image format.
    vasi.VasiError
        The file cannot be written (folder not writable, disk full).

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> p = write_image(os.path.join(tempfile.mkdtemp(), "o.png"), np.zeros((9, 9, 3), np.uint8))
    >>> read_photo(p).image.shape
    (9, 9, 3)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"path must be a file name (str or Path); got {type(path).__name__} "
                         "(the arguments are write_image(path, image)).")
    if not (is_number(quality, whole=True) and 1 <= quality <= 100):  # (0.9 was quality 0)
        raise InputError(f"quality must be a whole number in 1-100 (JPEG); got {quality!r}.")
    path = Path(path)
    ext = image_suffix(path)
    bgr = cv2.cvtColor(to_uint8(image), cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if ext in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:
        raise VasiError(f"cannot write image {str(path)!r}: the {ext} encoder failed for an "
                        f"image of shape {bgr.shape}; try .png.")
    try:
        return _atomic.write_bytes(path, buf.tobytes())
    except OSError as exc:
        raise VasiError(f"cannot write image {str(path)!r} ({exc.strerror or exc}); choose a "
                        "folder you can write to.") from None


def image_suffix(path) -> str:
    """The image format :func:`write_image` writes to ``path``, by its suffix (``.png`` when
    it has none), checked before anything is computed for it.

    Raises
    ------
    vasi.InputError
        A suffix with no image format (``.json``, ``.csv``).

    Examples
    --------
    >>> image_suffix("overlay.PNG"), image_suffix("overlay")
    ('.png', '.png')
    """
    ext = Path(path).suffix.lower() or ".png"
    if not cv2.haveImageWriter("x" + ext):
        raise InputError(f"cannot write image {str(path)!r}: no image format for the suffix "
                         f"{ext!r}; use .png, .jpg or .tif.")
    return ext


def image_and_scale(item, name: str = "image"):
    """A photo given as an array, a :class:`Photo`, a path or a file's bytes (see
    :func:`read_photo`), as ``(image, mm_per_px)``: the
    checked RGB array and the pixel size from the photo's metadata (None for an array,
    without one, or with one that is no size: a DICOM PixelSpacing of 0).

    >>> img, mm = image_and_scale(np.zeros((4, 6, 3), np.uint8))
    >>> img.shape, mm
    ((4, 6, 3), None)
    """
    if isinstance(item, (str, os.PathLike)) or _in_memory(item):
        item = read_photo(item)
    if hasattr(item, "image") and hasattr(item, "meta"):
        return check_image(item.image, name), stored_scale(item)
    return check_image(item, name), None


def stored_scale(photo) -> float | None:
    """The pixel size (mm) a photo's metadata gives, when it is one: a finite positive
    number; None for an array, a photo without one, or one that is no size (a DICOM
    PixelSpacing of 0: a marker in the frame may measure it instead).

    >>> stored_scale(Photo(np.zeros((4, 6, 3), np.uint8), PhotoMeta(mm_per_px=0.0))) is None
    True
    """
    mm = getattr(getattr(photo, "meta", None), "mm_per_px", None)
    return float(mm) if is_number(mm) and 0 < mm < np.inf else None
