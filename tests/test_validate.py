"""The input contract: dtypes, shapes and ranges accepted or refused with a clear message."""

import numpy as np
import pytest

from vasi import InputError
from vasi._validate import check_image, check_mask, check_rng, to_float, to_uint8


@pytest.mark.parametrize("dtype,scale", [(np.uint8, 255), (np.uint16, 65535), (np.float32, 1.0), (np.float64, 1.0)])
def test_accepted_dtypes_map_to_same_float(dtype, scale):
    img = (np.linspace(0, 1, 8 * 8 * 3).reshape(8, 8, 3) * scale).astype(dtype)
    f = to_float(img)
    assert f.dtype == np.float32 and f.min() >= 0 and f.max() <= 1
    assert abs(float(f.max()) - 1.0) < 1e-6


@pytest.mark.parametrize(
    "bad,words",
    [
        (np.zeros((8, 8)), "greyscale photo can be scored only under a Wood's lamp"),
        # OpenCV has no float16 or long double: they failed deep inside with cv2.error
        (np.zeros((8, 8, 3), np.float16), "float32 or float64"),
        (np.zeros((8, 8, 4), np.uint8), "alpha"),
        (np.zeros((8, 8, 3), np.int32), "dtype int32"),
        (np.full((8, 8, 3), 2.0), "outside [0, 1]"),
        (np.full((8, 8, 3), np.nan), "NaN"),
        (np.zeros((0, 5, 3), np.uint8), "empty"),
        # 8-bit values in a 16-bit array read as nearly black (an empty region, F-VASI NaN)
        (np.full((8, 8, 3), 200, np.uint16), "8-bit data in a 16-bit array"),
        ([[[200, 150, 120]] * 4] * 4, "np.asarray(image, dtype=np.uint8)"),
    ],
)
def test_refused_with_reason(bad, words):
    with pytest.raises(InputError, match=None) as info:
        check_image(bad, "image")
    assert words in str(info.value) and "image" in str(info.value)


def test_no_silent_rescale_and_inputs_untouched():
    img = np.full((8, 8, 3), 0.5, np.float64)
    before = img.copy()
    to_uint8(img)
    np.testing.assert_array_equal(img, before)


def test_mask_shape_mismatch_names_shapes():
    with pytest.raises(InputError, match=r"\(4, 4\)"):
        check_mask(np.ones((3, 3), bool), (4, 4), "roi")


def test_rng_refuses_none():
    with pytest.raises(InputError, match="default_rng"):
        check_rng(None)


def test_one_number_expected_says_so_for_a_column():
    # vasi.bsa(df.height_cm, df.weight_kg) said "must be a positive number; got <Series>"
    import pandas as pd

    import vasi

    with pytest.raises(InputError, match="height_cm must be one number; got 2 values"):
        vasi.bsa(pd.Series([170.0, 160.0]), pd.Series([70.0, 60.0]))


def test_a_modality_word_of_file_names_is_named_in_the_api_message():
    # file names and manifests read "uv" as a Wood's lamp photo; the API refused it without
    # saying what to pass
    from vasi._validate import MODALITIES, check_choice

    with pytest.raises(InputError, match=r"got 'UV' \(pass 'woods' for 'UV'\)"):
        check_choice("UV", MODALITIES, "modality")
    with pytest.raises(InputError, match=r"got 'x'\.$"):
        check_choice("x", MODALITIES, "modality")
