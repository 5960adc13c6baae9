"""vasi.io: formats, orientation, metadata, and every bad-input case of read_photo."""

from __future__ import annotations

import datetime as dt
import os

import cv2
import numpy as np
import pytest
from PIL import Image

import vasi
from vasi.io import _apply_orientation


def _save_pil(path, arr, **kw):
    Image.fromarray(arr).save(path, **kw)
    return path


@pytest.mark.parametrize("ext", ["png", "tif", "bmp"])
def test_lossless_roundtrip(tmp_path, rgb, ext):
    p = _save_pil(tmp_path / f"a.{ext}", rgb)
    photo = vasi.read_photo(p)
    assert photo.image.dtype == np.uint8
    np.testing.assert_array_equal(photo.image, rgb)
    assert photo.meta.path == str(p)


def test_jpeg_close_to_source(tmp_path, rgb):
    smooth = cv2.GaussianBlur(rgb, (0, 0), 3)
    p = _save_pil(tmp_path / "a.jpg", smooth, quality=95)
    photo = vasi.read_photo(p)
    assert photo.meta.format == "JPEG"
    assert np.abs(photo.image.astype(int) - smooth).mean() < 3


@pytest.mark.parametrize("ext", ["png", "tif"])
def test_16bit_rgb_rounds_to_8bit(tmp_path, rgb, ext):
    img16 = rgb.astype(np.uint16) * 257 + np.where(rgb < 255, 100, 0).astype(np.uint16)  # within rounding of v/257
    p = tmp_path / f"a16.{ext}"
    cv2.imwrite(str(p), cv2.cvtColor(img16, cv2.COLOR_RGB2BGR))
    photo = vasi.read_photo(p)
    assert photo.meta.source_dtype == "uint16"
    np.testing.assert_array_equal(photo.image, rgb)


def test_rgba_drops_alpha(tmp_path, rgb):
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    p = _save_pil(tmp_path / "a.png", rgba)
    photo = vasi.read_photo(p)
    assert photo.meta.source_channels == 4
    np.testing.assert_array_equal(photo.image, rgb)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(tmp_path, rgb, orientation):
    """Store the pixels as a camera would for each orientation; reading must undo it."""
    inverse = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}[orientation]
    stored = np.ascontiguousarray(_apply_orientation(rgb, inverse))
    exif = Image.Exif()
    exif[0x0112] = orientation
    p = _save_pil(tmp_path / "o.png", stored, exif=exif.tobytes())
    photo = vasi.read_photo(p)
    assert photo.meta.orientation == orientation
    np.testing.assert_array_equal(photo.image, rgb)


@pytest.mark.parametrize("orientation", [1, 6])
def test_photo_in_memory_read_as_its_file(tmp_path, rgb, orientation):
    # an upload's bytes or a file object: same pixels, EXIF orientation and checks as the file
    inverse = {1: 1, 6: 8}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    p = _save_pil(tmp_path / "o.png", np.ascontiguousarray(_apply_orientation(rgb, inverse)),
                  exif=exif.tobytes())
    import io

    with open(p, "rb") as stream:
        for src in (p.read_bytes(), bytearray(p.read_bytes()), io.BytesIO(p.read_bytes()), stream):
            photo = vasi.read_photo(src)
            np.testing.assert_array_equal(photo.image, rgb)
            assert photo.meta.orientation == orientation and photo.meta.path is None
    r = vasi.score_photo(p.read_bytes(), site="body")
    assert r.segmentation.mask.shape == rgb.shape[:2]
    with pytest.raises(vasi.PhotoError, match="<bytes>.*not an image"):
        vasi.read_photo(b"hello, not a photo")
    with pytest.raises(vasi.PhotoError, match="<bytes>.*0 bytes"):
        vasi.read_photo(b"")
    with pytest.raises(vasi.PhotoError, match="max_pixels"):
        vasi.read_photo(p.read_bytes(), max_pixels=100)
    with open(p, encoding="latin-1") as text, pytest.raises(vasi.InputError, match="binary mode"):
        vasi.read_photo(text)


def test_exif_capture_date(tmp_path, rgb):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:14 09:26:53"
    p = _save_pil(tmp_path / "d.jpg", rgb, exif=exif.tobytes())
    assert vasi.read_photo(p).meta.capture_date == dt.datetime(2026, 3, 14, 9, 26, 53)


def test_no_exif_gives_no_date(tmp_path, rgb):
    p = _save_pil(tmp_path / "n.png", rgb)
    assert vasi.read_photo(p).meta.capture_date is None


def test_tiff_resolution_in_cm_gives_mm_per_px(tmp_path, rgb):
    p = tmp_path / "r.tif"
    Image.fromarray(rgb).save(p, resolution=50.0, resolution_unit=3)  # 50 px/cm -> 0.2 mm/px
    # Pillow names unit 3 'cm'; check the tag really was written
    assert vasi.read_photo(p).meta.mm_per_px == pytest.approx(0.2)


def test_camera_dpi_is_ignored(tmp_path, rgb):
    p = _save_pil(tmp_path / "dpi.jpg", rgb, dpi=(300, 300))
    assert vasi.read_photo(p).meta.mm_per_px is None


# ---- bad input: one error type, naming the file and the problem -------------------------


def _expect_photo_error(path, words):
    with pytest.raises(vasi.PhotoError) as info:
        vasi.read_photo(path)
    msg = str(info.value)
    assert str(path) in msg
    assert any(w in msg for w in words), msg
    assert isinstance(info.value, vasi.VasiError)
    return info.value


def test_missing_file(tmp_path):
    _expect_photo_error(tmp_path / "nope.jpg", ["does not exist"])


def test_directory(tmp_path):
    _expect_photo_error(tmp_path, ["not a regular file"])


def test_empty_file(tmp_path):
    p = tmp_path / "e.jpg"
    p.write_bytes(b"")
    _expect_photo_error(p, ["empty"])


def test_non_image(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("patient notes, not a photo\n" * 20)
    _expect_photo_error(p, ["not an image"])


@pytest.mark.parametrize("ext", ["jpg", "png", "tif"])
def test_truncated(tmp_path, rgb, ext):
    p = _save_pil(tmp_path / f"t.{ext}", rgb)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    _expect_photo_error(p, ["corrupt", "truncated"])


def test_corrupt_body(tmp_path, rgb):
    p = _save_pil(tmp_path / "c.png", rgb)
    data = bytearray(p.read_bytes())
    data[60:400] = b"\x00" * 340
    p.write_bytes(bytes(data))
    _expect_photo_error(p, ["corrupt", "truncated"])


@pytest.mark.parametrize("mode", ["L", "LA", "I;16"])
def test_greyscale_file_is_read_as_equal_channels(tmp_path, rgb, mode):
    # a black-and-white file (a Wood's lamp photo often is one) is read; segment() decides
    # whether it can be scored (tests/test_segment.py)
    g = rgb[..., 0]
    im = Image.fromarray(g)
    if mode == "LA":
        im = im.convert("LA")
    elif mode == "I;16":
        im = Image.fromarray(g.astype(np.uint16) * 257)
    p = tmp_path / "g.png"
    im.save(p)
    photo = vasi.read_photo(p)
    assert photo.image.shape == (*g.shape, 3) and photo.image.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(photo.image[..., c], g)
    assert photo.meta.source_channels in (1, 2, 4)  # OpenCV may give grey + alpha as BGRA


def test_decompression_bomb_refused_before_decoding(tmp_path):
    # a tiny PNG whose header claims 100000 x 100000 pixels
    import struct
    import zlib

    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(
            ">I", zlib.crc32(tag + payload) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")
    p = tmp_path / "bomb.png"
    p.write_bytes(png)
    _expect_photo_error(p, ["too large", "MP"])


def test_max_pixels_parameter(tmp_path, rgb):
    p = _save_pil(tmp_path / "small.png", rgb)
    with pytest.raises(vasi.PhotoError, match="max_pixels"):
        vasi.read_photo(p, max_pixels=100)


def test_dicom_rgb(tmp_path, rgb):
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.4"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = FileDataset(str(tmp_path / "x.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.Rows, ds.Columns = rgb.shape[:2]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 3, "RGB"
    ds.PlanarConfiguration, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 0, 8, 8, 7
    ds.PixelRepresentation = 0
    ds.PixelSpacing = [0.25, 0.25]
    ds.AcquisitionDate = "20260314"
    ds.PixelData = rgb.tobytes()
    ds.save_as(tmp_path / "x.dcm", enforce_file_format=True)
    assert pydicom is not None
    photo = vasi.read_photo(tmp_path / "x.dcm")
    np.testing.assert_array_equal(photo.image, rgb)
    assert photo.meta.mm_per_px == 0.25
    assert photo.meta.capture_date == dt.datetime(2026, 3, 14)
    # from memory too (it was refused), with the same metadata
    mem = vasi.read_photo((tmp_path / "x.dcm").read_bytes())
    np.testing.assert_array_equal(mem.image, rgb)
    assert mem.meta.mm_per_px == 0.25 and mem.meta.path is None
    # a greyscale DICOM is refused: its rescaling and display LUT are not applied here
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    del ds.PlanarConfiguration
    ds.PixelData = (rgb[..., 0].astype(np.uint16) * 16).tobytes()
    ds.save_as(tmp_path / "g.dcm", enforce_file_format=True)
    _expect_photo_error(tmp_path / "g.dcm", ["greyscale DICOM"])


def test_a_stream_not_at_its_start_says_so(tmp_path, rgb):
    import io

    stream = io.BytesIO(_save_pil(tmp_path / "a.png", rgb).read_bytes())
    stream.seek(10)
    with pytest.raises(vasi.PhotoError, match=r"position 10: seek\(0\)"):
        vasi.read_photo(stream)
    stream.seek(0, 2)
    with pytest.raises(vasi.PhotoError, match=r"0 bytes.*seek\(0\)"):
        vasi.read_photo(stream)
    stream.seek(0)
    np.testing.assert_array_equal(vasi.read_photo(stream).image, rgb)


def test_avif_is_not_taken_for_heic():
    from vasi.io import _is_heif

    def ftyp(major, *compatible):
        body = major + b"\0\0\0\0" + b"".join(compatible)
        return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\0" * 16

    assert _is_heif(ftyp(b"heic", b"mif1", b"heic"))
    assert _is_heif(ftyp(b"mif1", b"mif1", b"heic"))
    assert not _is_heif(ftyp(b"mif1", b"mif1", b"avif"))  # an AVIF with the generic brand
    assert not _is_heif(ftyp(b"avif", b"mif1"))
    assert not _is_heif(ftyp(b"isom", b"mp42"))  # an MP4 video


def test_write_image_is_atomic_and_roundtrips(tmp_path, rgb):
    p = vasi.write_image(tmp_path / "sub" / "o.png", rgb)
    np.testing.assert_array_equal(vasi.read_photo(p).image, rgb)
    assert not any(x.name.endswith(".part") for x in p.parent.iterdir())


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_written_files_follow_the_umask_like_any_new_file(tmp_path, rgb):
    # results in a shared study folder must be readable by colleagues: the atomic writes
    # used tempfile's private mode 0600 whatever the umask
    from vasi._atomic import write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "t.csv", "a,b\n")
        vasi.write_image(tmp_path / "o.png", rgb)
    finally:
        os.umask(old)
    for name in ("t.csv", "o.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.glob(".*.part"))


def test_write_image_errors_name_the_file_and_the_fix(tmp_path, rgb):
    with pytest.raises(vasi.InputError, match=r"suffix '\.xyz'; use \.png"):
        vasi.write_image(tmp_path / "o.xyz", rgb)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(vasi.VasiError, match="cannot write image .*a_file.*folder you can write"):
        vasi.write_image(blocker / "o.png", rgb)


def test_read_photo_of_a_non_path_says_what_to_pass(rgb):
    with pytest.raises(vasi.InputError, match="file path .*got ndarray.*score_photo"):
        vasi.read_photo(rgb)


def test_photo_error_pickles():
    import pickle

    err = pickle.loads(pickle.dumps(vasi.PhotoError("/x.jpg", "empty")))
    assert err.path == "/x.jpg" and "empty" in str(err)
    err = pickle.loads(pickle.dumps(vasi.PhotoError("/m.png", "empty", kind="region mask")))
    assert str(err).startswith("cannot read region mask '/m.png'")


def test_a_region_mask_of_another_size_says_both_sizes(tmp_path):
    from vasi.batch_series import read_mask

    cv2.imwrite(str(tmp_path / "m.png"), np.full((10, 20), 255, np.uint8))
    with pytest.raises(vasi.PhotoError, match=r"region mask .*20 x 10 px, the photo 64 x 48"):
        read_mask(tmp_path / "m.png", (48, 64))


def test_concurrent_reads_leave_the_applications_warning_filters_alone(tmp_path):
    # warnings.catch_warnings is not thread-safe: photos read from several threads at once
    # left Pillow's DecompressionBombWarning 'ignore' filter in the app's filter list
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    p = _save_pil(tmp_path / "tiny.png", np.zeros((8, 8, 3), np.uint8))
    before = list(warnings.filters)

    def app():  # one thread of the application, with its own warnings context
        for _ in range(1000):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)

    with ThreadPoolExecutor(4) as ex:
        done = ex.submit(app)
        list(ex.map(lambda _: vasi.read_photo(p), range(3000)))
        done.result()
    assert warnings.filters == before


def _heic(path, arr, orientation=1):
    pillow_heif = pytest.importorskip("pillow_heif")  # the 'heif' extra (installed by 'dev')
    exif = Image.Exif()
    exif[0x0112] = orientation
    heif = pillow_heif.from_bytes(mode="RGB", size=(arr.shape[1], arr.shape[0]), data=arr.tobytes())
    heif.save(path, quality=-1, exif=exif.tobytes())  # quality -1: lossless
    return path


@pytest.mark.parametrize("orientation", [1, 6])
def test_heic_photo_read_with_its_orientation(tmp_path, orientation):
    # an iPhone's default format; libheif turns the pixels, the EXIF tag must not turn them again
    img = np.zeros((48, 64, 3), np.uint8)
    img[:8, :16] = (255, 0, 0)
    img[40:, 50:] = (0, 0, 255)
    p = _heic(tmp_path / "face_visible.heic", img, orientation)
    photo = vasi.read_photo(p)
    assert photo.meta.format == "HEIF" and photo.meta.orientation == orientation
    want = img if orientation == 1 else np.rot90(img, -1)  # 6: turned 90 degrees clockwise
    assert photo.image.shape == want.shape
    assert np.abs(photo.image.astype(int) - want).mean() < 12  # (HEVC's chroma subsampling)
    np.testing.assert_array_equal(vasi.read_photo(p.read_bytes()).image, photo.image)


def test_heic_without_the_decoder_names_the_extra(tmp_path, monkeypatch):
    p = _heic(tmp_path / "a.heic", np.zeros((16, 16, 3), np.uint8))
    monkeypatch.setitem(__import__("sys").modules, "pillow_heif", None)  # not installed
    _expect_photo_error(p, ["vasi[heif]"])


def test_write_image_checks_its_quality_and_argument_order(tmp_path):
    # quality=0.9 wrote a quality-0 JPEG; write_image(img, path) raised a pathlib TypeError
    img = np.zeros((8, 8, 3), np.uint8)
    for q in (0.9, 0, 101, "high"):
        with pytest.raises(vasi.InputError, match="quality must be a whole number in 1-100"):
            vasi.write_image(tmp_path / "a.jpg", img, quality=q)
    with pytest.raises(vasi.InputError, match=r"write_image\(path, image\)"):
        vasi.write_image(img, tmp_path / "a.png")
    r = vasi.score_photo(img, site="face")
    with pytest.raises(vasi.InputError, match="strict JSON"):
        r.to_json(allow_nan=True)


def test_a_float_tiff_is_named_by_its_samples_with_what_to_convert_to(tmp_path):
    # a float32 RGB TIFF (a scientific camera's, an export) was 'not an image file'
    import cv2

    p = tmp_path / "float.tif"
    assert cv2.imwrite(str(p), np.full((8, 8, 3), 0.5, np.float32))
    err = _expect_photo_error(p, ["float32"])
    assert "not an image file" not in str(err) and "uint8 or uint16" in str(err)


# ----------------------------------------------------------------------- ICC colour profiles
def _icc_rgb_profile(primaries=((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)),
                     white=(0.3127, 0.3290), name="Test Display P3", trc=None, extra_tags=()):
    """A minimal ICC v2 RGB matrix/TRC display profile as bytes (default: Display P3's
    primaries and D65 white, Bradford-adapted to the D50 connection space, sRGB's tone
    curve as a 1024-entry table; ``trc``: another tone-curve tag, see :func:`_curv` and
    :func:`_para`; ``extra_tags``: more ``(signature, data)`` tags), and its RGB-linear ->
    XYZ(D50) matrix: a real non-sRGB profile without a download (ImageCms.createProfile
    makes only sRGB, Lab and XYZ)."""
    import struct

    def s15(v):
        return struct.pack(">i", int(round(v * 65536)))

    def xyz_tag(v):
        return b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)

    def xyz(xy):
        return np.array([xy[0] / xy[1], 1.0, (1 - xy[0] - xy[1]) / xy[1]])

    prim = np.stack([xyz(p) for p in primaries], 1)
    m = prim * np.linalg.solve(prim, xyz(white))  # columns: XYZ of each primary at full scale
    brad = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367],
                     [0.0389, -0.0685, 1.0296]])
    d50 = np.array([0.9642, 1.0, 0.8249])
    m50 = np.linalg.inv(brad) @ np.diag((brad @ d50) / (brad @ xyz(white))) @ brad @ m
    curv = trc or _curv(_srgb_to_linear(np.linspace(0, 1, 1024)))
    text = name.encode() + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0public domain\0"), (b"wtpt", xyz_tag(d50)),
            (b"rXYZ", xyz_tag(m50[:, 0])), (b"gXYZ", xyz_tag(m50[:, 1])),
            (b"bXYZ", xyz_tag(m50[:, 2])), (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv),
            *extra_tags]
    offset = 128 + 4 + 12 * len(tags)
    table = body = b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    header = (struct.pack(">I", offset + len(body)) + bytes(4) + bytes([2, 0x10, 0, 0])
              + b"mntrRGB XYZ " + bytes(12) + b"acsp" + bytes(28)
              + b"".join(s15(c) for c in d50) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + body, m50


def _curv(table=None, gamma=None):
    """An ICC ``curv`` tone-curve tag: a table of linear values (0-1) sampled evenly over
    the levels, or a gamma (u8.8 fixed point: 2.2 is stored as 563/256)."""
    import struct

    if gamma is not None:
        return b"curv\0\0\0\0" + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    return (b"curv\0\0\0\0" + struct.pack(">I", len(table))
            + np.round(np.asarray(table) * 65535).astype(">u2").tobytes())


def _para(ftype, *params):
    """An ICC ``para`` tone-curve tag of function type 0-4 with parameters g, a, b, c, d, e,
    f (as many as the type takes)."""
    import struct

    return (b"para\0\0\0\0" + struct.pack(">HH", ftype, 0)
            + b"".join(struct.pack(">i", int(round(p * 65536))) for p in params))


def _srgb_to_linear(v):
    v = np.asarray(v, float)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _expected_srgb(rgb_p3, m50):
    """What a P3 colour is in sRGB, by the matrices (no littleCMS): P3 linear -> XYZ(D50)
    -> sRGB linear (sRGB's own D50-adapted matrix), clipped, encoded."""
    srgb50 = np.array([[0.4360747, 0.3850649, 0.1430804], [0.2225045, 0.7168786, 0.0606169],
                       [0.0139322, 0.0971045, 0.7141733]])
    lin = np.linalg.solve(srgb50, m50 @ _srgb_to_linear(np.asarray(rgb_p3) / 255.0))
    lin = np.clip(lin, 0, 1)
    enc = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    return np.round(enc * 255)


def _patches(colours, size=32):
    """Flat square patches side by side (flat: JPEG keeps them to a level)."""
    return np.concatenate([np.full((size, size, 3), c, np.uint8) for c in colours], axis=1)


_P3_COLOURS = [(200, 60, 50), (128, 128, 128), (224, 172, 150), (40, 160, 90)]


def test_the_test_icc_profile_is_a_valid_display_p3():
    from io import BytesIO

    from PIL import ImageCms

    icc, m50 = _icc_rgb_profile()
    prof = ImageCms.ImageCmsProfile(BytesIO(icc))
    assert prof.profile.profile_description == "Test Display P3"
    # Apple's Display P3 profile's colorants (D50), to 4 decimals
    np.testing.assert_allclose(m50, [[0.5151, 0.2920, 0.1571], [0.2412, 0.6922, 0.0666],
                                     [-0.0011, 0.0419, 0.7841]], atol=2e-4)


def test_a_display_p3_jpeg_is_converted_to_srgb(tmp_path):
    # an iPhone JPEG: the same bytes mean more saturated colours in P3 than in sRGB
    icc, m50 = _icc_rgb_profile()
    img = _patches(_P3_COLOURS)
    p = _save_pil(tmp_path / "p3.jpg", img, quality=100, subsampling=0, icc_profile=icc)
    raw = cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_COLOR_RGB).astype(int)
    photo = vasi.read_photo(p)
    assert photo.meta.colour_profile == "Test Display P3" and photo.meta.colour_converted
    assert photo.meta.to_dict()["colour_profile"] == "Test Display P3"
    got = photo.image.astype(int)
    red, grey = (slice(None), slice(0, 32)), (slice(None), slice(32, 64))
    # the red: more red, less green and blue than the raw bytes -- by the matrices' amount
    assert got[red][..., 0].mean() > raw[red][..., 0].mean() + 10
    assert got[red][..., 1].mean() < raw[red][..., 1].mean() - 10
    assert got[red][..., 2].mean() < raw[red][..., 2].mean() - 5
    for i, colour in enumerate(_P3_COLOURS):
        patch = got[4:28, 32 * i + 4:32 * i + 28]
        np.testing.assert_allclose(patch.reshape(-1, 3).mean(0), _expected_srgb(colour, m50), atol=2)
    # grey stays grey (equal channels, same level within 2)
    g = got[grey].reshape(-1, 3).mean(0)
    assert np.ptp(g) <= 1 and abs(g.mean() - 128) <= 2
    # from memory too
    np.testing.assert_array_equal(vasi.read_photo(p.read_bytes()).image, photo.image)


def _png_with_icc(png: bytes, icc: bytes) -> bytes:
    """A PNG file's bytes with an iCCP chunk (the embedded profile) after its IHDR."""
    import struct
    import zlib

    body = b"iCCP" + b"test\0\0" + zlib.compress(icc)
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return png[:33] + chunk + png[33:]  # (8-byte signature + 25-byte IHDR chunk)


def test_a_display_p3_png_8_and_16_bit_is_converted_after_the_reduction_to_8_bit(tmp_path):
    icc, m50 = _icc_rgb_profile()
    img = _patches(_P3_COLOURS[:2])
    want = [_expected_srgb(c, m50) for c in _P3_COLOURS[:2]]
    for dtype in (np.uint8, np.uint16):
        arr = img.astype(dtype) * (257 if dtype == np.uint16 else 1)
        ok, buf = cv2.imencode(".png", cv2.cvtColor(arr, cv2.COLOR_RGB2BGR))
        p = tmp_path / f"p3_{np.dtype(dtype).name}.png"
        p.write_bytes(_png_with_icc(buf.tobytes(), icc))
        photo = vasi.read_photo(p)
        assert photo.meta.source_dtype == np.dtype(dtype).name
        assert photo.meta.colour_profile == "Test Display P3" and photo.meta.colour_converted
        for i in range(2):  # lossless source: every pixel of a patch is the expected colour
            np.testing.assert_allclose(photo.image[:, 32 * i:32 * i + 32].reshape(-1, 3),
                                       np.broadcast_to(want[i], (32 * 32, 3)), atol=1)


def test_srgb_tagged_and_untagged_photos_are_untouched(tmp_path, rgb, monkeypatch):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    img = np.ascontiguousarray(rgb[:48, :64])
    for name, kw in [("tagged.jpg", {"icc_profile": srgb}), ("plain.jpg", {}),
                     ("tagged.png", {"icc_profile": srgb}), ("plain.png", {})]:
        p = _save_pil(tmp_path / name, img, quality=90, **kw) if name.endswith("jpg") else \
            _save_pil(tmp_path / name, img, **kw)
        raw = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        photo = vasi.read_photo(p)
        np.testing.assert_array_equal(photo.image, raw)  # byte for byte
        assert not photo.meta.colour_converted
        assert photo.meta.colour_profile == ("sRGB built-in" if "icc_profile" in kw else None)
    # an untagged photo never reaches the colour-management code
    monkeypatch.setattr(vasi.icc, "_srgb_transform", lambda icc: pytest.fail("profile parsed"))
    vasi.read_photo(tmp_path / "plain.jpg")


def test_a_damaged_profile_warns_and_the_pixels_are_used_as_srgb(tmp_path):
    icc, _ = _icc_rgb_profile()
    img = _patches(_P3_COLOURS)
    for name, bad in [("garbage.jpg", b"this is no ICC profile" * 8),
                      ("truncated.png", icc[:200])]:
        p = _save_pil(tmp_path / name, img, quality=100, subsampling=0, icc_profile=bad)
        raw = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        with pytest.warns(UserWarning, match=rf"{name}.*ICC colour profile cannot be read.*as sRGB"):
            photo = vasi.read_photo(p)
        np.testing.assert_array_equal(photo.image, raw)
        assert photo.meta.colour_profile == "unreadable" and not photo.meta.colour_converted


def test_a_display_p3_heic_is_converted_to_srgb(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif", reason="HEIC needs the 'heif' extra")
    icc, m50 = _icc_rgb_profile()
    img = _patches(_P3_COLOURS[:2], size=64)
    heif = pillow_heif.from_bytes(mode="RGB", size=(img.shape[1], img.shape[0]), data=img.tobytes())
    heif.info["icc_profile"] = icc
    p = tmp_path / "p3.heic"
    heif.save(p, quality=-1)
    assert pillow_heif.open_heif(p).info.get("icc_profile") == icc
    photo = vasi.read_photo(p)
    assert photo.meta.colour_profile == "Test Display P3" and photo.meta.colour_converted
    red = photo.image[8:56, 8:56].reshape(-1, 3).mean(0)
    np.testing.assert_allclose(red, _expected_srgb(_P3_COLOURS[0], m50), atol=4)  # (HEVC)
    grey = photo.image[8:56, 72:120].reshape(-1, 3).mean(0)
    assert np.ptp(grey) <= 2 and abs(grey.mean() - 128) <= 3


# ---- the fast matrix/TRC conversion: littleCMS's result within a level, else littleCMS itself
_ADOBE_RGB = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))
_PROPHOTO = ((0.7347, 0.2653), (0.1596, 0.8404), (0.0366, 0.0001))
_D50 = (0.3457, 0.3585)
_SRGB_PARA = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)  # (Apple's Display P3 curve)


def _littlecms(icc):
    """littleCMS's conversion of (h, w, 3) uint8 images from the profile to sRGB."""
    from io import BytesIO

    from PIL import ImageCms

    t = ImageCms.buildTransform(ImageCms.ImageCmsProfile(BytesIO(icc)), ImageCms.createProfile("sRGB"),
                                "RGB", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
    return lambda a: np.asarray(t.apply(Image.fromarray(a)))


def _grid(n):
    v = np.linspace(0, 255, n).round().astype(np.uint8)
    return np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(n, -1, 3)


@pytest.mark.parametrize("kw", [
    {},  # Display P3, sRGB's curve as a 1024-entry table
    {"trc": _para(3, *_SRGB_PARA)},  # Display P3 as Apple writes it
    {"primaries": _ADOBE_RGB, "trc": _curv(gamma=2.2)},  # Adobe RGB (1998)
    {"primaries": _PROPHOTO, "white": _D50, "trc": _curv(gamma=1.8)},  # ProPhoto
    {"primaries": _ADOBE_RGB, "trc": _para(4, *_SRGB_PARA, 0.002, 0.001)},
    {"trc": _para(0, 2.2)}, {"trc": _para(1, 2.0, 0.9, 0.1)}, {"trc": _para(2, 1.8, 0.95, 0.05, 0.0)},
    {"trc": _curv(table=[])},  # identity
], ids=["p3-table", "p3-para3", "adobe-gamma", "prophoto-gamma", "para4", "para0", "para1",
        "para2", "identity"])
def test_the_fast_conversion_is_littlecms_within_a_level_on_a_dense_grid(kw):
    from vasi.icc import _MatrixShaper, _srgb_transform

    icc, _ = _icc_rgb_profile(name="fast", **kw)
    fast = _MatrixShaper.of(icc)
    assert isinstance(_srgb_transform(icc)[1], _MatrixShaper)  # (it passed its own check)
    grid = _grid(32)  # 32768 colours
    got = grid.copy()
    fast(got)
    diff = np.abs(got.astype(int) - _littlecms(icc)(grid))
    # within a level everywhere, and a level apart only where both round a value near a
    # half level (~1% of samples): a bias of half a level would part them on ~half
    assert diff.max() <= 1 and (diff > 0).mean() < 0.03
    # and a read photo is the littleCMS conversion within a level
    img = np.ascontiguousarray(np.tile(grid[:, :64], (6, 1, 1)))  # 192 rows: two bands
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    photo = vasi.read_photo(_png_with_icc(buf.tobytes(), icc))
    assert photo.meta.colour_converted
    assert np.abs(photo.image.astype(int) - _littlecms(icc)(img)).max() <= 1


def _a2b0_linear(m50):
    """An ICC ``mft2`` (lut16) A2B0 tag: RGB taken as linear light through the colorant
    matrix ``m50`` -- unlike the profile's tone curves, which littleCMS then ignores."""
    import struct

    corners = np.stack(np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij"), -1).reshape(-1, 3)
    clut = np.clip(np.round(corners @ m50.T * 32768), 0, 65535).astype(">u2")  # (XYZ 1.15)
    eye = b"".join(struct.pack(">i", 65536 if i == j else 0) for i in range(3) for j in range(3))
    ramp = np.array([0, 65535], ">u2").tobytes()
    return (b"mft2\0\0\0\0" + bytes([3, 3, 2, 0]) + eye + struct.pack(">HH", 2, 2)
            + ramp * 3 + clut.tobytes() + ramp * 3)


def test_a_lut_profile_is_converted_by_littlecms(tmp_path):
    # an A2B0 table takes precedence over the matrix and curves: the fast path would be wrong
    from vasi.icc import _MatrixShaper, _srgb_transform

    plain, m50 = _icc_rgb_profile()
    icc, _ = _icc_rgb_profile(extra_tags=[(b"A2B0", _a2b0_linear(m50))])
    grid = _grid(17)
    want = _littlecms(icc)(grid)
    assert np.abs(want.astype(int) - _littlecms(plain)(grid)).max() > 20  # (the table is used)
    assert _MatrixShaper.of(icc) is None
    assert _MatrixShaper.of(plain) is not None
    got = grid.copy()
    transform = _srgb_transform(icc)[1]
    assert transform is not None and not isinstance(transform, _MatrixShaper)
    transform(got)
    np.testing.assert_array_equal(got, want)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(vasi.read_photo(_png_with_icc(buf.tobytes(), icc)).image, want)


def test_a_curve_littlecms_reads_otherwise_is_left_to_littlecms():
    # ICC para type 2 is (aX + b)^g + c from X = -b/a: c at that point by the spec, but 0 by
    # littleCMS 2.19 (black stays black). The fast path follows the spec, differs from
    # littleCMS at black by ~25 levels, and the check on first use hands the profile back
    from vasi.icc import _MatrixShaper, _srgb_transform

    icc, _ = _icc_rgb_profile(name="para2 offset", trc=_para(2, 1.8, 1.0, 0.0, 0.01))
    grid = _grid(17)
    fast = grid.copy()
    _MatrixShaper.of(icc)(fast)
    want = _littlecms(icc)(grid)
    assert np.abs(fast.astype(int) - want).max() > 1
    transform = _srgb_transform(icc)[1]
    assert transform is not None and not isinstance(transform, _MatrixShaper)
    got = grid.copy()
    transform(got)
    np.testing.assert_array_equal(got, want)


def test_a_fast_conversion_that_misses_littlecms_is_not_used(monkeypatch):
    # the check against littleCMS when the profile is first met: a misread tone curve (here:
    # every curve taken as linear) must leave the conversion to littleCMS
    import vasi.icc as vio

    icc, _ = _icc_rgb_profile(name="misread")
    monkeypatch.setattr(vio, "_tone_curve", lambda tag, x: x)
    vio._srgb_transform.cache_clear()
    try:
        transform = vio._srgb_transform(icc)[1]
        assert transform is not None and not isinstance(transform, vio._MatrixShaper)
        grid = _grid(17)
        ok, buf = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
        photo = vasi.read_photo(_png_with_icc(buf.tobytes(), icc))
        np.testing.assert_array_equal(photo.image, _littlecms(icc)(grid))
    finally:
        vio._srgb_transform.cache_clear()


def _with_colorants(icc, colorants):
    """``icc`` with its rXYZ/gXYZ/bXYZ tags replaced by the columns of ``colorants``."""
    import struct

    b = bytearray(icc)
    for i in range(int.from_bytes(b[128:132], "big")):
        sig, offset, _ = struct.unpack_from(">4sII", b, 132 + 12 * i)
        if sig in (b"rXYZ", b"gXYZ", b"bXYZ"):
            col = np.asarray(colorants)[:, (b"rXYZ", b"gXYZ", b"bXYZ").index(sig)]
            b[offset + 8:offset + 20] = b"".join(struct.pack(">i", int(round(v * 65536))) for v in col)
    return bytes(b)


@pytest.mark.parametrize("kind", ["zero", "two-equal"])
def test_a_profile_with_a_singular_colorant_matrix_warns_and_the_pixels_are_used_as_srgb(kind):
    # a damaged matrix/TRC profile whose colorants span no colour space (all zero, or two
    # primaries the same): littleCMS converts through it anyway -- every pixel black, or
    # colours collapsed onto a plane -- so the photo was silently ruined and called converted
    icc, m50 = _icc_rgb_profile(name=kind)
    bad = np.zeros((3, 3)) if kind == "zero" else m50[:, [0, 0, 2]]
    img = _patches(_P3_COLOURS)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    with pytest.warns(UserWarning, match="ICC colour profile cannot be read.*singular.*as sRGB"):
        photo = vasi.read_photo(_png_with_icc(buf.tobytes(), _with_colorants(icc, bad)))
    np.testing.assert_array_equal(photo.image, img)
    assert photo.meta.colour_profile == "unreadable" and not photo.meta.colour_converted


def test_to_srgb_of_an_image_without_pixels_returns_it():
    # (the conversion works in bands of rows: a band with no columns made OpenCV assert)
    from vasi.icc import to_srgb

    icc, _ = _icc_rgb_profile()
    for shape in [(0, 5, 3), (5, 0, 3)]:
        out, profile, _ = to_srgb(np.zeros(shape, np.uint8), icc, "empty")
        assert out.shape == shape and profile == "Test Display P3"
