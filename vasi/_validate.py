"""Input checks shared by every public function (the input contract of ``DESIGN.md``).

Images are ``(H, W, 3)`` RGB arrays of dtype uint8, uint16, or float in ``[0, 1]``.
Anything else raises :class:`vasi.errors.InputError` naming the parameter, what was
received, and the fix. Nothing is rescaled silently.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

import numpy as np

from .errors import InputError

MODALITIES = ("visible", "woods")
#: Words for the modalities (file names, manifests): a Wood's lamp photo is a UV photo.
MODALITY_ALIASES = {"visible": "visible", "vis": "visible", "white": "visible", "rgb": "visible",
                    "woods": "woods", "wood": "woods", "uv": "woods", "woods_lamp": "woods",
                    "wood's": "woods", "uva": "woods"}


def check_image(image, name: str = "image") -> np.ndarray:
    """Validate an RGB image and return it as a numpy array (never a copy if avoidable).

    Examples
    --------
    >>> check_image(np.zeros((4, 5, 3), np.uint8)).shape
    (4, 5, 3)
    >>> check_image(np.zeros((4, 5), np.uint8))
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: image must be an RGB array of shape (H, W, 3); got shape (4, 5). A greyscale photo can be scored only under a Wood's lamp: pass np.dstack([image] * 3) with modality='woods'; in visible light pass the colour photo.
    """
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3:
        hint = (
            " A greyscale photo can be scored only under a Wood's lamp: pass "
            "np.dstack([image] * 3) with modality='woods'; in visible light pass the colour photo."
            if arr.ndim == 2
            else " For RGBA drop the alpha channel: image[..., :3]."
            if arr.ndim == 3 and arr.shape[2] == 4
            else ""
        )
        raise InputError(
            f"{name} must be an RGB array of shape (H, W, 3); got shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{name} is empty: shape {arr.shape}; pass an image with pixels.")
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        if 0 < int(arr.max()) <= 255:
            raise InputError(f"{name} is uint16 with values only up to {int(arr.max())}: 8-bit data "
                             "in a 16-bit array reads as nearly black. Convert it with "
                             "image.astype(np.uint8) (or scale 16-bit data to the full 0-65535).")
        return arr
    if arr.dtype.kind == "f":
        if arr.dtype not in (np.float32, np.float64):
            raise InputError(f"{name} has dtype {arr.dtype}; float images must be float32 or "
                             "float64 in [0, 1]: convert with image.astype(np.float32).")
        if not np.isfinite(arr).all():
            raise InputError(f"{name} contains NaN or infinite values; replace them before scoring.")
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0.0 or hi > 1.0:
            raise InputError(
                f"{name} is float with values in [{lo:.4g}, {hi:.4g}], outside [0, 1]. "
                "Scale it to [0, 1] (e.g. image / 255 for 8-bit data) or pass uint8/uint16."
            )
        return arr
    raise InputError(
        f"{name} has dtype {arr.dtype}; expected uint8, uint16 or float in [0, 1]. "
        "Convert it, e.g. np.asarray(image, dtype=np.uint8) for 0-255 integers."
    )


def to_float(image, name: str = "image") -> np.ndarray:
    """Validated image as float32 in ``[0, 1]``.

    >>> to_float(np.full((8, 8, 3), 255, np.uint8)).max()
    np.float32(1.0)
    """
    return _unit_float(check_image(image, name))


def _unit_float(arr: np.ndarray) -> np.ndarray:
    """An already validated image (or a crop of one) as float32 in ``[0, 1]``: 8- and
    16-bit by their full ranges, floats as they are. No checks: a dim crop of a valid
    16-bit photo is not an error."""
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / np.float32(65535.0)
    return arr.astype(np.float32, copy=False)


def to_uint8(image, name: str = "image") -> np.ndarray:
    """Validated image as uint8 (rounded, not truncated).

    >>> to_uint8(np.full((8, 8, 3), 0.5)).max()
    np.uint8(128)
    """
    arr = check_image(image, name)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
    return np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)


#: A photo is greyscale when its channels differ by at most this many 8-bit levels (JPEG
#: rounding) in 99.9 % of the pixels sampled (a small coloured object makes it a colour
#: photo), and it is not flat (a blank frame is left to the region's own checks).
GREY_SPREAD = 3.0


def is_greyscale(image) -> bool:
    """Whether an RGB image carries no colour (R = G = B up to JPEG rounding): a
    black-and-white photo saved as RGB. Sampled on a grid of at most ~65 000 pixels.

    >>> g = np.random.default_rng(0).integers(0, 256, (50, 60), np.uint8)
    >>> is_greyscale(np.dstack([g] * 3)), is_greyscale(np.dstack([g, g // 2, g // 3]))
    (True, False)
    >>> is_greyscale(np.full((50, 60, 3), 128, np.uint8))   # flat: not a photo of anything
    False
    """
    arr = np.asarray(image)
    step = max(1, int(np.ceil(np.sqrt(arr.shape[0] * arr.shape[1] / 65_000))))
    s = arr[::step, ::step]
    if arr.dtype == np.uint8:
        s = s.astype(np.int16)
    else:
        s = s.astype(np.float32) * np.float32(1 / 257.0 if arr.dtype == np.uint16 else 255.0)
    r, g, b = s[..., 0], s[..., 1], s[..., 2]
    spread = np.maximum(np.abs(r - g), np.abs(g - b))  # (channel pairs: no axis reduction)
    coloured = np.count_nonzero(spread > GREY_SPREAD)
    return bool(coloured <= 0.001 * spread.size and g.std() > 1.0)


#: How to say a photo is a Wood's lamp photo, in :func:`check_colour`'s message, by default.
WOODS_HINT = "modality='woods' (--modality woods)"


def check_colour(image, modality: str, name: str = "image", woods_hint: str = WOODS_HINT) -> bool:
    """Refuse a greyscale photo (:func:`is_greyscale`) in visible light, where
    depigmentation is measured by its colour (melanin's brown, blood's pink); under a
    Wood's lamp the fluorescence's brightness carries it and a greyscale photo is scored.
    Returns whether the (Wood's lamp) photo is greyscale. ``woods_hint`` says how the
    caller's user gives the modality (a batch: the file name or the manifest).

    >>> g = np.dstack([np.arange(3000, dtype=np.uint8).reshape(50, 60)] * 3)
    >>> check_colour(g, "woods")
    True
    >>> check_colour(g, "visible")
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: image is greyscale (R = G = B): visible-light depigmentation is measured by its colour, so a black-and-white photo would give wrong numbers. Pass the colour original, or modality='woods' (--modality woods) if it is a Wood's lamp photo.
    """
    grey = is_greyscale(image)
    if modality == "visible" and grey:
        raise InputError(f"{name} is greyscale (R = G = B): visible-light depigmentation is "
                         "measured by its colour, so a black-and-white photo would give wrong "
                         f"numbers. Pass the colour original, or {woods_hint} if it is a "
                         "Wood's lamp photo.")
    return grey


def check_mask(mask, shape: tuple[int, int], name: str = "mask") -> np.ndarray:
    """Validate a boolean (H, W) mask matching ``shape``, not empty; 0/1 (and 0/255) integer
    masks are accepted.

    >>> check_mask(np.ones((4, 4), np.uint8), (4, 4)).dtype
    dtype('bool')
    """
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise InputError(
            f"{name} must have shape {tuple(shape)} (the image's height and width); got {arr.shape}."
        )
    if arr.size == 0:  # (cv2's connected components crashed the interpreter on one)
        raise InputError(f"{name} is empty: shape {arr.shape}; pass a mask with pixels.")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf":
        vals = np.unique(arr)
        if vals.size <= 2 and set(vals.tolist()) <= {0, 1, 255}:
            return arr > 0
    raise InputError(
        f"{name} must be boolean (or 0/1 / 0/255 integers); got dtype {arr.dtype}. "
        "Pass a boolean mask, e.g. labels > 0, or probabilities > 0.5."
    )


def check_choice(value, choices, name: str) -> str:
    """Validate a string option against its allowed values: one value (an array, even of
    one element, is refused: numpy's ``==`` let ``np.array(["auto"])`` through, to fail
    later as unhashable).

    >>> check_choice("woods", MODALITIES, "modality")
    'woods'
    >>> check_choice(np.array(["woods"]), MODALITIES, "modality")
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: modality must be one of ['visible', 'woods']; got a numpy array (array(['woods'], dtype='<U5')): pass one value, e.g. modality='woods'.
    """
    if not isinstance(value, Hashable):  # (arrays, lists: not one value)
        kind = "numpy array" if isinstance(value, np.ndarray) else type(value).__name__
        items = (np.ravel(np.asarray(value, dtype=object)).tolist()
                 if isinstance(value, (np.ndarray, list)) else [])
        eg = items[0] if len(items) == 1 and items[0] in choices else choices[0]
        raise InputError(f"{name} must be one of {list(choices)}; got a {kind} ({value!r}): "
                         f"pass one value, e.g. {name}={eg!r}.")
    if value not in choices:
        alias = MODALITY_ALIASES.get(str(value).strip().lower()) if choices == MODALITIES else None
        hint = f" (pass {alias!r} for {value!r})" if alias else ""
        raise InputError(f"{name} must be one of {list(choices)}; got {value!r}{hint}.")
    return value


def decimal_point(text: str) -> str:
    """``text`` stripped, with a decimal comma (``0,25``, as spreadsheets write in many
    locales) made a point; other text unchanged.

    >>> decimal_point(" 0,25 "), decimal_point("1.5"), decimal_point("1,5,3")
    ('0.25', '1.5', '1,5,3')
    """
    text = text.strip()
    return text.replace(",", ".") if re.fullmatch(r"[+-]?\d+,\d+", text) else text


def check_positive(value, name: str, *, allow_none: bool = False, fix: str = ""):
    """Validate a finite, strictly positive number (e.g. ``mm_per_px``).

    >>> check_positive(0.2, "mm_per_px")
    0.2
    """
    if value is None and allow_none:
        return None
    hint = f" {fix}" if fix else ""
    if isinstance(value, (bool, np.bool_)):  # (True is 1 to float(), not a size)
        raise InputError(f"{name} must be a positive number; got {value!r}.{hint}")
    if not isinstance(value, str) and np.ndim(value) > 0 and np.size(value) != 1:
        raise InputError(f"{name} must be one number; got {np.size(value)} values. Call once per "
                         "value, e.g. table.apply(lambda r: ..., axis=1).")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a positive number; got {value!r}.{hint}") from None
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a finite positive number; got {value!r}.{hint}")
    return v


def check_fraction(value, name: str, *, closed: bool = False, fix: str = "") -> float:
    """Validate a number in (0, 1), or in [0, 1] with ``closed=True`` (``fix``: what it
    means, for the message).

    >>> check_fraction(0.5, "level"), check_fraction(0, "ratio", closed=True)
    (0.5, 0.0)
    """
    span = "[0, 1]" if closed else "(0, 1)"
    hint = f" ({fix})" if fix else ""
    try:  # (a number as text, from a CSV file, is its number, as in check_positive)
        v = np.nan if isinstance(value, (bool, np.bool_)) else float(one_value(value))
    except (TypeError, ValueError):
        v = np.nan
    if not (0.0 <= v <= 1.0 if closed else 0.0 < v < 1.0):
        raise InputError(f"{name} must be a number in {span}{hint}; got {value!r}.")
    return v


def matching(**arrays) -> list:
    """The named arrays broadcast together (each one value, or one per item), or an
    :class:`~vasi.errors.InputError` naming their lengths (not numpy's shapes).

    >>> [a.tolist() for a in matching(score=[0.5, 0.25], baseline=1.0)]
    [[0.5, 0.25], [1.0, 1.0]]
    """
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        sizes = ", ".join(f"{np.size(v)} {k}" for k, v in arrays.items())
        raise InputError(f"{' and '.join(arrays)} must have matching lengths (or be one value "
                         f"each); got {sizes}.") from None


def is_number(value, *, whole: bool = False) -> bool:
    """Whether ``value`` is one real number (a whole number with ``whole``: 3 or 3.0): not a
    bool (``True`` is 1 to ``float()``), a string, an array of several values or None. A 0-d
    array is its number.

    >>> is_number(0.5), is_number(np.array(3.0), whole=True), is_number(True), is_number("2")
    (True, True, False, False)
    """
    value = one_value(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        return False
    return not whole or (np.isfinite(value) and float(value).is_integer())


def one_value(value):
    """A 0-d array as the number it holds (``np.array(24.0)`` -> ``24.0``); anything else as
    it is.

    >>> one_value(np.array(24.0)), one_value([1, 2])
    (24.0, [1, 2])
    """
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value


def check_max_side(max_side) -> int:
    """A working resolution (the long side, px) checked: a whole number of pixels >= 64.

    >>> check_max_side(1200)
    1200
    """
    max_side = one_value(max_side)
    if not is_number(max_side) or not 64 <= max_side < np.inf:
        raise InputError(f"max_side must be at least 64 px; got {max_side!r}.")
    return int(max_side)


def check_options(options, func, name: str, *, reserved=()) -> dict:
    """``options`` (a dict of keyword arguments passed on to ``func``) as a dict, every key
    one of ``func``'s keyword parameters other than ``reserved`` (those the caller sets).

    >>> def f(image, *, sensitivity=0.5, roi=None): ...
    >>> check_options({"sensitivity": 0.6}, f, "segment_kwargs", reserved=("image", "roi"))
    {'sensitivity': 0.6}
    >>> check_options({"sensitivty": 0.6}, f, "segment_kwargs", reserved=("image", "roi"))
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: segment_kwargs has unknown option(s) ['sensitivty']; valid: ['sensitivity'].
    """
    import inspect

    options = {} if options is None else options
    if not isinstance(options, dict):
        raise InputError(f"{name} must be a dict of options; got {type(options).__name__}.")
    params = inspect.signature(func).parameters.values()
    valid = sorted(p.name for p in params
                   if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in reserved)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise InputError(f"{name} has unknown option(s) {unknown}; valid: {valid}.")
    return dict(options)


def renamed(value, old_value, *, old: str, new: str, default=None):
    """The value of an option renamed from ``old`` to ``new`` (one vocabulary across the
    library). The new name's parameter defaults to None (given or not, without ambiguity);
    ``old_value`` still works, with a DeprecationWarning, unless both are given. Returns
    ``default`` when neither is.

    >>> renamed(None, None, old="work_side", new="max_side", default=512)
    512
    >>> renamed(3, None, old="work_side", new="max_side", default=512)
    3
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     renamed(None, 256, old="work_side", new="max_side", default=512), w[0].category.__name__
    (256, 'DeprecationWarning')
    """
    if old_value is None:
        return default if value is None else value
    if value is not None:
        raise InputError(f"give {new}= only ({old}= is its old name).")
    import warnings

    warnings.warn(f"{old}= is now called {new}= (as elsewhere in vasi); the old name will be "
                  "removed in a later version.", DeprecationWarning, stacklevel=3)
    return old_value


def check_rng(rng) -> np.random.Generator:
    """Accept a seeded ``numpy.random.Generator`` or an int seed; refuse ``None``/legacy state.

    >>> isinstance(check_rng(0), np.random.Generator)
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise InputError(
        f"rng must be a numpy.random.Generator or an int seed; got {type(rng).__name__}. "
        "Use rng=np.random.default_rng(seed) so results are reproducible."
    )
