"""Patch table and totals against exact drawn areas."""

import numpy as np
import pytest

from vasi.errors import InputError
from vasi.measure import patches, summary


def _mask():
    m = np.zeros((100, 120), bool)
    m[10:30, 10:40] = True  # 600 px
    m[60:70, 80:90] = True  # 100 px
    return m


def test_areas_units_and_order():
    roi = np.zeros((100, 120), bool)
    roi[:, :100] = True
    t = patches(_mask(), roi=roi, mm_per_px=0.5, assessed_hu=3.0, hand_unit_cm2=180.0)
    assert t["area_px"].tolist() == [600, 100]
    assert t["area_mm2"].tolist() == [150.0, 25.0]
    assert t["area_cm2"].tolist() == [1.5, 0.25]
    assert t["area_hu"].tolist() == pytest.approx([3.0 * 600 / 10000, 3.0 * 100 / 10000])
    assert t["area_hu_physical"].iloc[0] == pytest.approx(1.5 / 180.0)
    assert t["fraction_of_region"].iloc[0] == pytest.approx(0.06)
    assert t["centroid_row"].iloc[0] == pytest.approx(19.5)
    assert t["centroid_col"].iloc[0] == pytest.approx(24.5)
    assert 90 < t["perimeter_px"].iloc[0] < 100  # 2 * (20 + 30) minus the digital corners
    assert t["perimeter_mm"].iloc[0] == pytest.approx(t["perimeter_px"].iloc[0] * 0.5)
    assert (t["bbox_row0"].iloc[0], t["bbox_col1"].iloc[0]) == (10, 40)


def test_empty_mask_gives_empty_table_with_columns():
    t = patches(np.zeros((10, 10), bool), mm_per_px=1.0)
    assert len(t) == 0 and "area_mm2" in t.columns


def test_a_mask_without_pixels_is_refused():
    # a (0, 0) or (0, W) mask crashed the interpreter (segmentation fault in cv2's
    # connected components); the track's labels accept none either
    from vasi.track import track

    for shape in ((0, 0), (0, 5), (5, 0)):
        empty = np.zeros(shape, bool)
        for measure in (patches, summary):
            with pytest.raises(InputError, match=rf"mask is empty: shape \({shape[0]}, "
                                                 rf"{shape[1]}\); pass a mask with pixels"):
                measure(empty)
        with pytest.raises(InputError, match="baseline_mask is empty"):
            track(empty, empty)


def test_mean_score_column():
    m = _mask()
    sc = np.where(m, 0.8, 0.0).astype(np.float32)
    assert patches(m, score=sc)["mean_score"].tolist() == pytest.approx([0.8, 0.8])
    with pytest.raises(InputError, match="score"):
        patches(m, score=np.zeros((3, 3)))


def test_summary_totals():
    s = summary(_mask(), mm_per_px=0.1, assessed_hu=3.0, hand_unit_cm2=100.0)
    assert (s.n_patches, s.depigmented_area_px, s.assessed_area_px) == (2, 700, 12000)
    assert s.depigmented_fraction == pytest.approx(700 / 12000)
    assert s.depigmented_area_cm2 == pytest.approx(0.07)
    assert s.depigmented_area_hu == pytest.approx(3.0 * 700 / 12000)
    assert s.depigmented_area_hu_physical == pytest.approx(0.0007)
    # the names PhotoScore and the visits table use; the old ones warn
    with pytest.warns(DeprecationWarning, match="Summary.depigmented_cm2 is now Summary.depigmented_area_cm2"):
        assert s.depigmented_cm2 == s.depigmented_area_cm2
    with pytest.raises(AttributeError):
        s.depigmented_area  # noqa: B018
    empty = summary(_mask(), roi=np.zeros((100, 120), bool))  # nothing assessed: no fraction
    assert empty.assessed_area_px == 0 and empty.depigmented_area_px == 0
    assert np.isnan(empty.depigmented_fraction)


def test_lazy_score_map_and_many_patches():
    """A box map (Segmentation's lazy score) gives the same mean score as its full frame;
    more patches than 16-bit labels hold fall back to 32-bit labels."""
    import cv2

    from vasi.reference import BoxMap

    rng = np.random.default_rng(0)
    small = rng.random((20, 30)).astype(np.float32)
    sc = BoxMap(small, (slice(10, 90), slice(5, 125)), (100, 130), cv2.INTER_LINEAR)
    m = np.zeros((100, 130), bool)
    m[20:40, 10:50] = True
    m[60:80, 90:120] = True
    a, b = patches(m, score=sc), patches(m, score=np.asarray(sc))
    assert a["mean_score"].tolist() == b["mean_score"].tolist()
    assert 0.0 < a["mean_score"].iloc[0] < 1.0
    many = np.zeros((600, 600), bool)
    many[::2, ::2] = True  # 90 000 one-pixel patches
    t = patches(many)
    assert len(t) == 90_000 and t["patch_id"].max() == 90_000 and (t["area_px"] == 1).all()


def test_depigmentation_outside_the_region_is_not_measured():
    # an all-True mask gave 765 % of the region; a region with nothing in it 5 patches of 0 px
    mask = np.zeros((20, 20), bool)
    mask[2:6, 2:6] = mask[12:16, 12:16] = True
    roi = np.zeros((20, 20), bool)
    roi[:10, :10] = True
    t = patches(mask, roi=roi)
    assert len(t) == 1 and t["fraction_of_region"].tolist() == [0.16]
    assert patches(np.ones((20, 20), bool), roi=roi)["fraction_of_region"].tolist() == [1.0]
    s = summary(mask, roi=np.zeros((20, 20), bool))
    assert (s.n_patches, s.depigmented_area_px) == (0, 0)
    for bad in (-3, float("nan"), "three"):
        with pytest.raises(InputError, match="assessed_hu must be a"):
            summary(mask, roi=roi, assessed_hu=bad)
    with pytest.raises(InputError, match=r"mask must be a 2-D \(H, W\) array"):
        patches(np.dstack([mask] * 3))
