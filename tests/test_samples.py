"""The bundled ``sample_images/`` match their ground truth and regenerate from the script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"


@pytest.fixture(scope="module")
def manifest():
    return pd.read_csv(SAMPLES / "manifest.csv")


@pytest.fixture(scope="module")
def truth():
    return pd.read_csv(SAMPLES / "truth.csv")


def _mask(pid, week, name):
    m = cv2.imread(str(SAMPLES / "truth" / pid / f"week{week:02d}" / f"{name}.png"), cv2.IMREAD_GRAYSCALE)
    assert m is not None
    return m > 127


def test_manifest_lists_every_photo(manifest):
    assert list(manifest.columns) == ["patient_id", "week", "site", "modality", "photo", "marker_mm"]
    assert set(manifest["patient_id"]) == {"P001", "P002", "P003"}
    assert list(manifest.loc[manifest.patient_id == "P001", "week"]) == [0, 12, 24, 36, 52]
    assert set(manifest.loc[manifest.patient_id == "P003", "modality"]) == {"woods"}
    for rel in manifest["photo"]:
        img = cv2.imread(str(SAMPLES / rel))
        assert img is not None and img.shape == (900, 1200, 3), rel


def test_total_size_under_10_mb():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total <= 10 * 1024 * 1024


def test_masks_match_truth_csv(manifest, truth):
    assert len(truth) == len(manifest)
    for _, r in truth.iterrows():
        dep, roi = _mask(r.patient_id, int(r.week), "depig_mask"), _mask(r.patient_id, int(r.week), "roi_mask")
        assert int(dep.sum()) == int(r.depig_area_px)
        assert int(roi.sum()) == int(r.assessed_area_px)
        assert not (dep & ~roi).any()
        if r.site == "face":
            assert r.f_vasi == pytest.approx(3.0 * r.depig_area_px / r.assessed_area_px, rel=1e-5)


def test_response_of_each_patient(truth):
    p1 = truth[truth.patient_id == "P001"].sort_values("week")
    f = p1["f_vasi"].to_numpy()
    assert f[-1] <= 0.25 * f[0]  # F-VASI75 at week 52
    assert f[0] > 0.5
    p2 = truth[truth.patient_id == "P002"]
    assert (p2["repigmentation_pct"] < 75.0).all()


def test_marker_in_p001_photos(manifest, truth):
    det = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50))
    rows = manifest[manifest.patient_id == "P001"]
    for rel in rows["photo"]:
        grey = cv2.imread(str(SAMPLES / rel), cv2.IMREAD_GRAYSCALE)
        _, ids, _ = det.detectMarkers(grey)
        assert ids is not None and 7 in ids.ravel(), rel


def test_script_regenerates_the_truth():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "scripts" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    s, _ = mod.make_patient("P003")
    for v in s.visits:
        wk = v.truth.week
        assert np.array_equal(v.truth.depig_mask, _mask("P003", wk, "depig_mask"))
        assert np.array_equal(v.truth.roi_mask, _mask("P003", wk, "roi_mask"))
        img = cv2.imread(str(SAMPLES / "photos" / "P003" / f"week{wk:02d}" / "face_woods.jpg"))[..., ::-1]
        assert np.abs(img.astype(int) - v.image.astype(int)).mean() < 1.0


def test_p001_chart_normalisation_never_raises_the_charts_error():
    # week 0 is already balanced: the 3x3 least-squares fit took its chart from dE00 1.1
    # to 1.44, applied silently; the correction is now the one that does best out of sample
    import vasi

    for week in (0, 52):
        image = vasi.read_photo(SAMPLES / f"photos/P001/week{week:02d}/face_visible.jpg").image
        res = vasi.normalize(image, method="chart")
        assert res.delta_e_before is not None, week
        assert res.delta_e <= res.delta_e_before, week
        assert res.delta_e_loo[res.correction] <= res.delta_e_loo["none"], week


def test_p001_has_no_new_depigmentation_specks(truth):
    # P001 has no new depigmentation (truth); specks of 1-4 px that no reference ring can
    # check were all counted as new: 195 px in 60 specks at week 52. New depigmentation is
    # held to the minimum patch area (2 mm2 at the marker's scale)
    import vasi
    from vasi.levels import _components_below

    photos = [vasi.read_photo(SAMPLES / f"photos/P001/week{w:02d}/face_visible.jpg") for w in (0, 52)]
    p1 = truth[truth.patient_id == "P001"].set_index("week")
    assert (p1["new_depig_area_px_baseline"] == 0).all()
    scale = vasi.find_scale(photos[0].image, method="aruco", marker_mm=float(p1.loc[0, "marker_side_mm"]))
    res = vasi.track_series(photos, weeks=[0, 52], site="face", mm_per_px=scale.mm_per_px,
                            with_patterns=False)
    new = res.visits.set_index("week").loc[52.0, "new_depigmentation_px"]
    assert new < 60
    small = res.provenance["min_new_area_px"]
    assert 2.0 / scale.mm_per_px**2 == pytest.approx(small, abs=0.1)
    assert not _components_below(np.asarray(res.new_masks[1]), small).any()


def test_p001_reports_no_new_depigmentation_at_any_visit(manifest, truth):
    # P001's patches only repigment (truth), but `vasi demo` reported new depigmentation
    # -- disease activity -- at weeks 24 (166 px: the hair of a brow enclosed by a patch),
    # 36 (179 px: shine on the nose) and 52: new depigmentation must have turned the skin
    # towards the patient's own lesion colour at the same place (vasi.track.change_degree)
    import vasi
    from vasi.calibrate import resolve_scale

    rows = manifest[manifest.patient_id == "P001"]
    assert (truth[truth.patient_id == "P001"]["new_depig_area_px_baseline"] == 0).all()
    photos = [vasi.read_photo(SAMPLES / r.photo) for r in rows.itertuples()]
    scales = [resolve_scale(ph, marker_mm=r.marker_mm)[0] for ph, r in zip(photos, rows.itertuples(), strict=True)]
    res = vasi.track_series(photos, weeks=rows.week.tolist(), site="face", mm_per_px=scales,
                            with_patterns=False)
    assert res.visits["new_depigmentation_px"].tolist() == [0] * len(rows)
