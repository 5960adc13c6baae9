"""Hostile files: read_photo and the manifest reader raise only vasi's own clear errors.

Corrupt, truncated, empty and huge-dimension inputs must give :class:`vasi.PhotoError` /
:class:`vasi.manifest.ManifestError` -- no other exception, no hang, no memory blow-up.
"""

from __future__ import annotations

import io
import resource
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vasi import PhotoError, read_photo
from vasi.io import DEFAULT_MAX_PIXELS
from vasi.manifest import ManifestError, read_manifest

FUZZ = settings(max_examples=60, deadline=2000,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _valid(fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    img = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt)
    return buf.getvalue()


VALID = {fmt: _valid(fmt) for fmt in ("JPEG", "PNG", "TIFF")}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def huge_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` with a tiny (bogus) IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def huge_jpeg(width: int, height: int) -> bytes:
    """The valid JPEG with its SOF0 frame size patched to ``width`` x ``height``."""
    data = bytearray(VALID["JPEG"])
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _read(tmp_path, data: bytes, name="x.jpg"):
    p = tmp_path / name
    p.write_bytes(data)
    try:
        read_photo(p)
    except PhotoError as exc:
        assert str(p) in str(exc) and exc.problem
        return exc
    return None


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes(tmp_path, data):
    _read(tmp_path, data)


@FUZZ
@given(fmt=st.sampled_from(sorted(VALID)), cut=st.floats(0.0, 0.999))
def test_truncated(tmp_path, fmt, cut):
    data = VALID[fmt]
    _read(tmp_path, data[: int(len(data) * cut)], name=f"t.{fmt.lower()}")


@FUZZ
@given(fmt=st.sampled_from(sorted(VALID)), flips=st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=12))
def test_corrupted_bytes(tmp_path, fmt, flips):
    data = bytearray(VALID[fmt])
    for pos, val in flips:
        data[pos % len(data)] = val
    _read(tmp_path, bytes(data), name=f"c.{fmt.lower()}")


@settings(max_examples=25, deadline=3000,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=st.integers(1, 2**31 - 1), h=st.integers(1, 2**31 - 1),
       kind=st.sampled_from(["png", "jpeg"]))
def test_huge_dimensions_refused_without_allocation(tmp_path, w, h, kind):
    if kind == "jpeg":
        w, h = min(w, 65535), min(h, 65535)
    data = huge_png(w, h) if kind == "png" else huge_jpeg(w, h)
    if w * h <= DEFAULT_MAX_PIXELS:  # within the pixel budget: decoding may allocate
        w, h = 65535, 65535
        data = huge_png(w, h) if kind == "png" else huge_jpeg(w, h)
    before = _rss_mb()
    exc = _read(tmp_path, data, name=f"h.{kind}")
    assert _rss_mb() - before < 100, "memory blow-up: pixels allocated before the size check"
    assert exc is not None and ("too large" in str(exc) or "max_pixels" in str(exc))


def test_width_above_opencv_limit_is_a_photo_error(tmp_path):
    """Found by hypothesis: a TIFF width > 2**20 px made cv2.error escape."""
    data = bytearray(VALID["TIFF"])
    data[20] = 16  # ImageWidth becomes > 2**20 px while height stays 24
    with pytest.raises(PhotoError):
        read_photo(_write(tmp_path, bytes(data)))


def _write(tmp_path, data, name="bug.tif"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_empty_and_folder(tmp_path):
    assert "empty" in str(_read(tmp_path, b""))
    with pytest.raises(PhotoError, match="not a regular file"):
        read_photo(tmp_path)
    with pytest.raises(PhotoError, match="does not exist"):
        read_photo(tmp_path / "nope.jpg")


_CSV_CHARS = st.sampled_from(list("abcPW0129,;\"'\n\r\t ./\\-_é\x00") + ["week", "photo",
                                                                       "patient_id", ".."])


@FUZZ
@given(text=st.lists(_CSV_CHARS, max_size=200).map("".join))
def test_manifest_garbage_text(tmp_path, text):
    p = tmp_path / "m.csv"
    p.write_bytes(text.encode("utf-8"))
    try:
        read_manifest(p)
    except ManifestError as exc:
        assert exc.problems and str(exc)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_manifest_random_bytes(tmp_path, data):
    p = tmp_path / "m.csv"
    p.write_bytes(data)
    try:
        read_manifest(p)
    except ManifestError as exc:
        assert exc.problems


@FUZZ
@given(cells=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12),
                                st.text(max_size=24)), min_size=1, max_size=8))
def test_manifest_hostile_cells(tmp_path, cells):
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["patient_id", "week", "photo"])
    w.writerows(cells)
    p = tmp_path / "m.csv"
    p.write_bytes(buf.getvalue().encode("utf-8", "replace"))
    try:
        m = read_manifest(p)
    except ManifestError as exc:
        assert exc.problems
        return
    for photo in m.table["photo"]:  # anything accepted stays inside the manifest folder
        assert str(photo).startswith(str(tmp_path))


def test_tiny_jpeg_claiming_huge_size_is_refused_without_decoding(tmp_path):
    """A 12000 x 12000 header on a few hundred bytes is within max_pixels but cannot be a
    whole photo; it must be refused before the decoder allocates ~430 MB of grey."""
    before = _rss_mb()
    exc = _read(tmp_path, huge_jpeg(12000, 12000), name="tiny.jpg")
    assert _rss_mb() - before < 100
    assert exc is not None and "truncated" in str(exc)
