"""score_photo end to end on a drawn photo whose answer is known exactly."""

import numpy as np
import pytest

import vasi


def _drawn_face(depig_box=(40, 60, 40, 70)):
    """Dark background, a skin-coloured rectangle (the region), one white patch."""
    img = np.full((120, 140, 3), 20, np.uint8)
    img[10:110, 20:120] = (180, 130, 100)
    r0, r1, c0, c1 = depig_box
    img[r0:r1, c0:c1] = (240, 220, 215)
    return img


def test_known_area_and_relative_f_vasi():
    img = _drawn_face()
    res = vasi.score_photo(img, site="face")
    assert res.assessed_area_px == 100 * 100
    assert res.depigmented_area_px == 20 * 30
    assert res.f_vasi == pytest.approx(3.0 * 600 / 10000)
    assert res.depigmented_area_hu == pytest.approx(3.0 * 600 / 10000)
    assert res.provenance["hu_method"] == "relative"
    assert res.provenance["vasi_version"] == vasi.__version__


def test_user_roi_takes_precedence():
    img = _drawn_face()
    roi = np.zeros(img.shape[:2], bool)
    roi[30:90, 30:110] = True
    res = vasi.score_photo(img, site="face", roi=roi)
    assert res.assessed_area_px == int(roi.sum())
    assert res.provenance["roi_source"] == "user"
    assert not (res.mask & ~roi).any()


def test_body_site_has_no_f_vasi_and_physical_area():
    res = vasi.score_photo(_drawn_face(), site="body", mm_per_px=0.5)
    assert res.f_vasi is None
    assert res.depigmented_area_cm2 == pytest.approx(600 * 0.25 / 100)


def test_input_untouched_and_dtypes_agree():
    img = _drawn_face()
    before = img.copy()
    a = vasi.score_photo(img)
    b = vasi.score_photo(img.astype(np.float64) / 255.0)
    np.testing.assert_array_equal(img, before)
    assert a.depigmented_area_px == b.depigmented_area_px


def test_a_region_of_the_wrong_shape_is_named_as_passed():
    img = np.zeros((60, 80, 3), np.uint8)
    with pytest.raises(vasi.InputError, match=r"^roi must have shape \(60, 80\)"):
        vasi.score_photo(img, roi=np.ones((10, 10), bool))


def test_site_names_as_manifests_use_them_and_a_typo_of_face_refused():
    # one site vocabulary (vasi.sites) for the library, manifests, folders and the CLI: a
    # body site's own name is scored as 'body' (it was refused: only 'face' / 'body')
    body = vasi.score_photo(_drawn_face(), site="body")
    leg = vasi.score_photo(_drawn_face(), site="Left-Leg")
    assert leg.provenance["site"] == "body" and leg.provenance["site_name"] == "left-leg"
    assert leg.depigmented_area_px == body.depigmented_area_px and leg.f_vasi is None
    assert vasi.score_photo(_drawn_face(), site="cheek").provenance["site"] == "face"
    with pytest.raises(vasi.InputError, match="did you mean 'face'"):
        vasi.score_photo(_drawn_face(), site="fcae")
    with pytest.raises(vasi.InputError, match="not a simple name"):
        vasi.find_region(_drawn_face(), site="left leg?")
    with pytest.raises(vasi.InputError, match="assessed_hu must be a positive number"):
        vasi.score_photo(_drawn_face(), assessed_hu="x")  # (a numpy TypeError deep inside)
    # a site that is no name (None, a number) and a flag for a size were read as a body
    # site 'none' / '3' and as 1 mm per pixel
    for site in (None, 3):
        with pytest.raises(vasi.InputError, match=f"site must be a name .*; got {site}"):
            vasi.score_photo(_drawn_face(), site=site)
    for flag in (True, np.True_):
        with pytest.raises(vasi.InputError, match="mm_per_px must be a positive number; got "
                                                  "(np.)?True"):
            vasi.score_photo(_drawn_face(), mm_per_px=flag)


def test_face_not_found_is_flagged():
    # a face photo with no face in it: the region falls back to the central skin and the
    # result says so (F-VASI of an unknown facial area is unreliable)
    img = np.zeros((90, 120, 3), np.uint8)
    img[20:70, 30:90] = (170, 120, 90)
    res = vasi.score_photo(img, site="face")
    assert res.provenance["region_method"] == "skin (no face outline)"
    assert "face outline not found" in res.to_dict()["flags"]
    body = vasi.score_photo(img, site="body")
    assert body.provenance["region_method"] == "skin"
    assert "face outline not found" not in body.flags


@pytest.mark.parametrize("modality", ["visible", "woods"])
@pytest.mark.parametrize("site", ["face", "body"])
def test_blank_photos_are_scored_not_crashed(site, modality):
    # a black frame (lens cap), a blown-out white one, flat grey: no skin colour to model
    # (NaN features once crashed OpenCV's k-means and killed the process)
    for value in (0, 255, 128):
        res = vasi.score_photo(np.full((120, 160, 3), value, np.uint8), site=site,
                               modality=modality)
        assert res.depigmented_area_px == 0
        if value == 0:
            assert res.assessed_area_px == 0 and "empty region" in res.flags
            # nothing was assessed: a falsy result with the reason, as the README promises
            assert not res and "empty region" in res.reason


def test_an_implausible_scale_is_flagged_and_does_not_move_f_vasi():
    # F-VASI is a ratio of areas: a wrong mm_per_px (a typo, the wrong marker size) changed
    # it through the segmentation's millimetre-based smoothing and minimum patch size
    ph = vasi.synth.make_photo(rng=21, site="face", shape=(450, 600))
    right = vasi.score_photo(ph.image, site="face", mm_per_px=ph.truth.mm_per_px)
    free = vasi.score_photo(ph.image, site="face")
    assert not any(f.startswith("implausible scale") for f in right.flags)
    for wrong in (0.01, 40.0):
        res = vasi.score_photo(ph.image, site="face", mm_per_px=wrong)
        assert any(f.startswith("implausible scale") for f in res.flags)
        assert res.f_vasi == pytest.approx(free.f_vasi, abs=1e-9)
        assert res.depigmented_area_cm2 is None  # the scale is not used
        assert res.provenance["mm_per_px"] is None
        assert res.provenance["scale_source"] == "none: implausible given scale, not used"
    # a region the user drew may be one lesion: a small region is not judged implausible
    small = np.zeros(ph.image.shape[:2], bool)
    small[200:230, 300:330] = True
    res = vasi.score_photo(ph.image, site="face", roi=small, mm_per_px=ph.truth.mm_per_px)
    assert not any(f.startswith("implausible scale") for f in res.flags)


def test_a_photo_file_or_photo_object_scores_like_its_array(tmp_path):
    # score_photo(read_photo(...)) and score_photo("x.jpg") used to fail with "image must
    # be an RGB array of shape (H, W, 3); got shape ()"
    import dataclasses

    ph = vasi.synth.make_photo(rng=5, site="forearm", shape=(240, 320))
    path = tmp_path / "forearm.jpg"
    path.write_bytes(ph.jpeg_bytes)
    photo = vasi.read_photo(path)
    want = vasi.score_photo(photo.image, site="body")
    for given in (path, str(path), photo):
        got = vasi.score_photo(given, site="body")
        assert got.depigmented_area_px == want.depigmented_area_px and got.depigmented_area_cm2 is None
    # the pixel size of the photo's metadata is used unless one is given
    sized = dataclasses.replace(photo, meta=dataclasses.replace(photo.meta, mm_per_px=0.25))
    scaled = vasi.score_photo(photo.image, site="body", mm_per_px=0.25)
    assert vasi.score_photo(sized, site="body").depigmented_area_cm2 == scaled.depigmented_area_cm2
    assert vasi.score_photo(sized, site="body", mm_per_px=0.5).provenance["mm_per_px"] == 0.5


def test_a_photo_too_small_to_assess_has_no_f_vasi():
    # a 1x1 photo used to score F-VASI 0.0, which reads as "no vitiligo"
    res = vasi.score_photo(np.full((1, 1, 3), (190, 140, 110), np.uint8), site="face")
    assert not res and np.isnan(res.f_vasi) and "region too small" in res.reason


def test_a_scored_photo_is_truthy():
    ph = vasi.synth.make_photo(rng=3, site="forearm", shape=(240, 320))
    res = vasi.score_photo(ph.image, site="body")
    assert res and res.reason == ""


def test_little_skin_in_the_photo_is_flagged():
    # a frame with a small skin-coloured object in it (a photo without the site, or a site
    # the skin model missed): scored, but flagged -- and a user's own small mask is not
    img = np.full((400, 500, 3), 20, np.uint8)
    img[190:210, 240:262] = (180, 130, 100)   # 440 px: 0.2 % of the frame
    res = vasi.score_photo(img, site="body")
    assert 0 < res.assessed_area_px < 0.02 * 400 * 500
    assert "little skin in the photo" in res.flags
    assert "little skin in the photo" not in vasi.score_photo(_drawn_face(), site="body").flags
    roi = np.zeros(img.shape[:2], bool)
    roi[190:210, 240:262] = True
    assert "little skin in the photo" not in vasi.score_photo(img, site="body", roi=roi).flags


def test_needs_review_names_a_doubtful_region_and_a_clean_face_has_none():
    # an app that records scores unattended must tell "no vitiligo" from "no face here":
    # both used to be truthy with F-VASI 0.0, only free-text flags differing
    noise = np.random.default_rng(0).integers(0, 256, (300, 400, 3)).astype(np.uint8)
    blank = np.full((300, 400, 3), 128, np.uint8)
    for img in (noise, blank):
        r = vasi.score_photo(img, site="face")
        assert "face outline not found" in r.needs_review
        assert set(r.needs_review) <= set(r.flags)
    face = vasi.synth.make_photo(rng=4, skin_type="III", site="face", shape=(300, 400))
    r = vasi.score_photo(face.image, site="face")
    assert r and r.needs_review == ()
    assert "little skin in the photo" in vasi.score_photo(noise, site="body").needs_review
    grey = np.dstack([face.image.mean(axis=2).astype(np.uint8)] * 3)
    assert "greyscale photo" in vasi.score_photo(grey, site="face", modality="woods").needs_review


def test_normal_skin_darker_than_skin_needs_review():
    # a BGR photo read as RGB took the dark background for the normal skin and scored
    # F-VASI 0.0 with nothing to check; an underexposed photo is doubtful the same way
    from vasi.segment import DARK_REFERENCE_FLAG

    img = vasi.synth.make_photo(rng=2, site="face", shape=(240, 320)).image
    assert vasi.score_photo(img).needs_review == ()
    for dark in (img[..., ::-1].copy(), (img * 0.2).astype(np.uint8)):
        assert DARK_REFERENCE_FLAG in vasi.score_photo(dark).needs_review
    # the darkest skin, exposed for it or a stop under (x 0.73 in sRGB), is no such photo
    darkest = vasi.synth.make_photo(rng=21, ita=-60, site="face", shape=(240, 320)).image
    for exposure in (1.0, 0.73):
        under = (darkest * exposure).astype(np.uint8)
        assert DARK_REFERENCE_FLAG not in vasi.score_photo(under).flags


def test_to_json_is_strict_and_complete():
    import json

    unscored = vasi.score_photo(np.zeros((64, 64, 3), np.uint8), site="face")
    scored = vasi.score_photo(_drawn_face(), site="body", mm_per_px=0.5)
    for r in (unscored, scored):
        d = json.loads(r.to_json())  # json.loads accepts NaN: check for it explicitly
        assert "NaN" not in r.to_json()
        assert d["scored"] is bool(r) and d["reason"] == r.reason
        assert d["provenance"]["site"] == r.provenance["site"]
        assert set(d["provenance"]["library_versions"]) >= {"vasi", "numpy", "opencv"}
        assert len(d["patches"]) == len(r.patches)
    assert json.loads(unscored.to_json())["f_vasi"] is None
    assert json.loads(scored.to_json())["depigmented_area_cm2"] == pytest.approx(scored.depigmented_area_cm2)
    seg = json.loads(json.dumps(scored.segmentation.to_dict(), allow_nan=False))
    assert seg["area_px"] == scored.depigmented_area_px and seg["flags"] == list(scored.segmentation.flags)


def test_marker_scale_and_segment_options_as_the_cli_and_track_series_take_them():
    ph = vasi.synth.make_photo(rng=11, skin_type="IV", site="forearm", marker=True, shape=(450, 600))
    side = ph.truth.marker["side_mm"]
    r = vasi.score_photo(ph.image, site="forearm", marker_mm=side)
    assert r.provenance["scale_source"] == "aruco"
    assert r.provenance["mm_per_px"] == pytest.approx(ph.truth.mm_per_px, rel=0.03)
    assert r.depigmented_area_cm2 is not None
    given = vasi.score_photo(ph.image, site="forearm", mm_per_px=0.3, marker_mm=side)
    assert given.provenance["scale_source"] == "given"  # the user's pixel size wins
    assert vasi.score_photo(ph.image, site="forearm").provenance["scale_source"].startswith("none")
    low = vasi.score_photo(ph.image, site="forearm", segment_kwargs={"sensitivity": 0.2})
    high = vasi.score_photo(ph.image, site="forearm", segment_kwargs={"sensitivity": 0.8})
    assert low.depigmented_area_px < high.depigmented_area_px
    with pytest.raises(vasi.InputError, match=r"segment_kwargs .*\['roi'\]"):
        vasi.score_photo(ph.image, site="forearm", segment_kwargs={"roi": None})


def _dice(a, b) -> float:
    return 2.0 * int((a & b).sum()) / max(int(a.sum()) + int(b.sum()), 1)


def test_a_colour_cast_is_removed_from_the_skin_and_the_photo_scored_again(gained):
    # a camera set for warmer light than the scene's (linear gains 0.75 / 0.95 / 1.25)
    # leaves fair skin grey-blue: the pink-to-yellow hue that tells depigmented from normal
    # skin is lost (Dice 0.85 -> 0.42 on this forearm). The skin's colour is the probe of
    # the light: the photo is white-balanced from it and scored again, and says so
    from vasi.pipeline import COLOUR_CAST_CORRECTED_FLAG
    from vasi.segment import COLOUR_CAST_FLAG

    ph = vasi.synth.make_photo(rng=5, skin_type="I", site="forearm", shape=(300, 400))
    truth = ph.truth.depig_mask
    cool = gained(ph.image, (0.75, 0.95, 1.25))
    flagged = vasi.score_photo(cool, site="body", colour_cast="flag")
    assert COLOUR_CAST_FLAG in flagged.needs_review and "colour_cast" not in flagged.provenance
    fixed = vasi.score_photo(cool, site="body")
    assert _dice(fixed.mask, truth) > _dice(flagged.mask, truth) + 0.2
    assert _dice(fixed.mask, truth) > 0.9 * _dice(vasi.score_photo(ph.image, site="body").mask, truth)
    cast = fixed.provenance["colour_cast"]
    assert cast["corrected"] and cast["gains"][0] > 1.0 > cast["gains"][2]
    assert COLOUR_CAST_FLAG not in fixed.flags
    (note,) = [f for f in fixed.needs_review if f.startswith(COLOUR_CAST_CORRECTED_FLAG)]
    assert "gains" in note and ";" not in note
    assert fixed.to_json()  # the record stays strict JSON
    # a photo without a cast is scored once, the same either way
    a = vasi.score_photo(ph.image, site="body")
    b = vasi.score_photo(ph.image, site="body", colour_cast="flag")
    assert np.array_equal(a.mask, b.mask) and "colour_cast" not in a.provenance
    with pytest.raises(vasi.InputError, match="colour_cast"):
        vasi.score_photo(ph.image, site="body", colour_cast="fix")
