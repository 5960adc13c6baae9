"""The command line: vasi batch / demo / score, exit codes, progress output."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

import vasi
from vasi.cli import Progress, main
from vasi.demo import make_study

SHAPE = (96, 128)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("clistudy")
    return make_study(root, n_patients=2, weeks=(0, 12), shape=SHAPE, rng=11)


def test_batch_ok_then_resume(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(study), "-o", str(out), "--no-reports"]) == 0
    cap = capsys.readouterr()
    assert "tables:" in cap.out
    assert "[2/2]" in cap.err and "2 series (0 resumed, 2 scored)" in cap.err
    assert main(["batch", str(study.parent), "-o", str(out), "--no-reports"]) == 0
    assert "resuming: 2/2 series already done" in capsys.readouterr().err
    assert main(["batch", str(study), "-o", str(out), "--no-reports", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_batch_bad_input_lists_every_problem(tmp_path, capsys):
    m = tmp_path / "m.csv"
    m.write_text("patient_id,week,photo,bogus\nP1,x,a.jpg,\nP2,3,/abs.jpg,\n")
    assert main(["batch", str(m), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "4 problems" in err
    for needle in ("unknown column 'bogus'", "cannot read visit 'x'", "'/abs.jpg' is outside",
                   "no baseline"):
        assert needle in err
    assert not (tmp_path / "out").exists()


def test_batch_failed_photos_exit_1_and_conflict_exit_2(study, tmp_path, capsys):
    src = make_study(tmp_path / "s", n_patients=3, weeks=(0, 12, 24), shape=SHAPE, rng=2,
                     plant=True)
    out = tmp_path / "out"
    assert main(["batch", str(src), "-o", str(out), "--no-reports", "--no-overlays"]) == 1
    assert "2 photo(s) not scored" in capsys.readouterr().out
    # (another input into the same output folder: a usage error, nothing scored -- was 1,
    # which says some photos could not be scored)
    assert main(["batch", str(study), "-o", str(out)]) == 2
    assert "not from this run" in capsys.readouterr().err
    assert main(["batch", str(study), "-o", str(out), "-j", "0"]) == 2


def test_batch_counts_lost_photos_apart_from_problems(tmp_path, capsys):
    # an unreadable baseline: the follow-ups are scored on their own, yet listed as problems
    # too (registration to the baseline was impossible); only the baseline is lost
    import pandas as pd

    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12, 24), shape=SHAPE, rng=2)
    table = pd.read_csv(src)
    (src.parent / table.loc[table["week"] == 0, "photo"].iloc[0]).write_bytes(b"not a photo")
    assert main(["batch", str(src), "-o", str(tmp_path / "out"), "--no-reports", "-q"]) == 1
    out = capsys.readouterr().out
    assert "1 photo(s) not scored" in out and "problem(s)" in out


def test_batch_scores_a_folder_with_stray_files_and_lists_misplaced_photos(tmp_path, capsys):
    # a stray photo (a cover shot in the input folder, a visit folder named 'misc') stopped
    # the whole run (exit 2, nothing scored); notes and system files are passed over
    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=2)
    photos = src.parent / "photos"
    face = next(photos.rglob("*.jpg")).read_bytes()
    for rel in ("cover.jpg", "P001/misc/face.jpg"):
        (photos / rel).parent.mkdir(parents=True, exist_ok=True)
        (photos / rel).write_bytes(face)
    for rel in ("notes.txt", "P001/week12/.DS_Store", "P001/week00/notes.txt"):
        (photos / rel).write_text("x")
    out = tmp_path / "out"
    assert main(["batch", str(photos), "-o", str(out), "--no-reports", "-q"]) == 1
    assert "2 photo(s) not scored, 2 problem(s)" in capsys.readouterr().out
    assert pd.read_csv(out / "tables" / "visits.csv")["week"].tolist() == [0, 12]
    errors = pd.read_csv(out / "tables" / "errors.csv")
    assert errors["photo"].tolist() == ["cover.jpg", "P001/misc/face.jpg"]
    assert errors["message"].str.contains("not scored: photo").all()
    run = json.loads((out / "vasi-run.json").read_text())
    assert run["skipped_files"] == ["P001/week00/notes.txt", "notes.txt"]


def test_batch_scores_the_rest_when_a_series_has_no_baseline_or_a_duplicated_one(tmp_path, capsys):
    # a series without its week-0 photo stopped the whole run (exit 2, nothing scored); the
    # follow-up of a duplicated baseline said its baseline 'could not be read'
    src = make_study(tmp_path / "s", n_patients=3, weeks=(0, 12), shape=SHAPE, rng=2)
    table = pd.read_csv(src)
    table = table[(table["patient_id"] != "P002") | (table["week"] != 0)]
    dup = table[(table["patient_id"] == "P003") & (table["week"] == 0)].assign(
        photo="photos/P003/week00/face_visible copy.jpg")
    (src.parent / dup["photo"].iloc[0]).write_bytes(
        (src.parent / "photos/P003/week00/face_visible.jpg").read_bytes())
    pd.concat([table, dup]).to_csv(src, index=False)
    out = tmp_path / "out"
    assert main(["batch", str(src), "-o", str(out), "--no-reports", "-q"]) == 1
    assert "3 photo(s) not scored, 4 problem(s)" in capsys.readouterr().out
    visits = pd.read_csv(out / "tables" / "visits.csv")
    assert visits[["patient_id", "week"]].values.tolist() == [["P001", 0], ["P001", 12],
                                                              ["P003", 12]]
    errors = pd.read_csv(out / "tables" / "errors.csv").set_index("photo")["message"]
    assert "series P002 face/visible has no baseline" in errors["photos/P002/week12/face_visible.jpg"]
    p3 = errors["photos/P003/week12/face_visible.jpg"]
    assert "is not scored: duplicate visit" in p3 and "could not be read" not in p3


def test_progress_bar_on_terminal():
    buf = io.StringIO()
    p = Progress(buf, tty=True, width=10)
    p(1, 2, {"key": "a", "photos": 3, "errors": 0})
    p(2, 2, {"key": "b", "photos": 2, "errors": 1})
    text = buf.getvalue()
    assert text.startswith("\r[#####.....] 1/2 series") and text.endswith("\n")
    assert "5 photos, 1 problems" in text


def test_progress_lines_count_visits_without_a_score_apart():
    # a series whose week-24 photo failed registration was '3 photos scored'
    from vasi import batch_series

    visits = pd.DataFrame({"depigmented_fraction": [0.3, 0.2, np.nan]})
    scored = int(batch_series.has_score(visits).sum())
    buf = io.StringIO()
    Progress(buf, tty=False)(1, 1, {"key": "P1/face-visible", "photos": scored,
                                    "unscored": len(visits) - scored, "errors": 0})
    assert buf.getvalue().endswith("P1/face-visible: 2 photos scored, 1 not scored\n")


def test_demo_prints_table_and_report(study, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--samples", str(study.parent), "-o", str(out), "-q", "-j", "1"]) == 0
    text = capsys.readouterr().out
    assert "F-VASI" in text and "change %" in text and "P002" in text
    assert "depig. % of skin: of the skin assessed at that visit" in text
    assert "index.html" in text and (out / "index.html").is_file()
    assert main(["demo", "--samples", str(tmp_path / "none"), "-o", str(out)]) == 1


def test_demo_of_an_installed_package_scores_a_synthetic_study(tmp_path, capsys, monkeypatch):
    # a wheel carries no sample_images/: the demo used to fail pointing at site-packages
    import vasi.cli

    monkeypatch.setattr(vasi.cli, "_default_samples", lambda: None)
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "-q", "-j", "1"]) == 0
    assert "a synthetic study was written to" in capsys.readouterr().out
    assert (out / "samples" / "manifest.csv").is_file() and (out / "results" / "index.html").is_file()


def test_score_options_as_a_user_types_them(study, tmp_path, capsys):
    photo = study.parent / "photos" / "P001" / "week00" / "face_visible.jpg"
    ov = str(tmp_path / "o.png")
    # -v after the command, a body site's own name (as in a manifest) for --site
    assert main(["score", str(photo), "-o", ov, "--site", "forearm", "-v", "--json"]) == 0
    assert '"site": "body"' in capsys.readouterr().out
    # a face's word is the face; a near miss of 'face' is refused, not scored as a body site
    assert main(["score", str(photo), "-o", ov, "--site", "cheek", "--json"]) == 0
    assert '"site": "face"' in capsys.readouterr().out
    # the text output prints "-" for nothing (no scale; an empty flag list was a blank)
    arm = tmp_path / "arm_forearm.png"
    vasi.write_image(arm, vasi.synth.make_photo(rng=2, site="forearm", shape=(240, 320)).image)
    assert main(["score", str(arm), "-o", ov]) == 0
    lines = dict(ln.split(None, 1) for ln in capsys.readouterr().out.splitlines() if " " in ln)
    assert lines["needs_review"].strip() == "-" and lines["mm_per_px"].strip() == "-"
    assert main(["score", str(photo), "-o", ov, "--site", "fcae"]) == 2
    assert "did you mean 'face'" in capsys.readouterr().err
    # a pixel size and a marker to measure it on contradict each other
    with pytest.raises(SystemExit):
        main(["score", str(photo), "-o", ov, "--mm-per-px", "0.2", "--marker-mm", "30"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_score_refuses_an_overlay_path_that_is_the_photo_a_folder_or_no_image(
        study, tmp_path, capsys):
    src = study.parent / "photos" / "P001" / "week00" / "face_visible.jpg"
    photo = tmp_path / "face_visible.jpg"
    photo.write_bytes(src.read_bytes())
    before = photo.read_bytes()
    for out, says in ((photo, "is the photo itself"), (tmp_path, "is a folder"),
                      (tmp_path / "r.json", "no image format for the suffix '.json'")):
        assert main(["score", str(photo), "-o", str(out)]) == 2
        captured = capsys.readouterr()
        # refused before anything is scored or printed; the photo is untouched
        assert says in captured.err and captured.out == ""
    assert photo.read_bytes() == before


def test_score_warns_when_the_site_is_a_guess_from_an_unknown_word_of_the_name(
        study, tmp_path, capsys):
    import json

    src = study.parent / "photos" / "P001" / "week00" / "face_visible.jpg"
    photo = tmp_path / "smith_john.jpg"
    photo.write_bytes(src.read_bytes())
    assert main(["score", str(photo), "-o", str(tmp_path / "o.png"), "--json"]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)
    assert row["site"] == "body" and "site 'smith' guessed from the file name" in row["needs_review"]
    assert "pass --site face" in captured.err and "e.g. --site forearm" in captured.err
    # lists, as PhotoScore.to_json gives them (they were ';'-joined strings)
    assert isinstance(row["flags"], list) and isinstance(row["needs_review"], list)
    # a site vasi knows, or one given with --site, is no guess
    for name, extra in (("left_forearm.jpg", []), ("smith_john.jpg", ["--site", "sacrum"])):
        photo = tmp_path / name
        photo.write_bytes(src.read_bytes())
        assert main(["score", str(photo), "-o", str(tmp_path / "o.png"), "--json", *extra]) == 0
        captured = capsys.readouterr()
        assert not any("guessed" in f for f in json.loads(captured.out)["needs_review"])
        assert not captured.err


def test_score_one_photo(study, tmp_path, capsys):
    photo = study.parent / "photos" / "P001" / "week00" / "face_visible.jpg"
    ov = tmp_path / "o.png"
    assert main(["score", str(photo), "-o", str(ov), "--json"]) == 0
    assert '"f_vasi"' in capsys.readouterr().out and ov.is_file()


def test_score_reads_site_and_modality_from_the_name_and_prints_before_the_overlay(
        study, tmp_path, capsys, monkeypatch):
    import json

    import vasi.io

    src = study.parent / "photos" / "P001" / "week00" / "face_visible.jpg"
    photo = tmp_path / "left_forearm_uv.jpg"
    photo.write_bytes(src.read_bytes())
    assert main(["score", str(photo), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["site"], row["modality"]) == ("body", "woods")
    assert (tmp_path / "left_forearm_uv_overlay.png").is_file()

    # a folder the overlay cannot be written to: the numbers are printed first, and the
    # error says how to put the overlay elsewhere
    def refuse(path, image, **kw):
        raise vasi.VasiError(f"cannot write image {str(path)!r} (Permission denied)")

    monkeypatch.setattr(vasi.io, "write_image", refuse)
    assert main(["score", str(src), "--site", "face", "--modality", "visible", "--json"]) != 0
    out, err = capsys.readouterr()
    assert json.loads(out)["site"] == "face" and "with -o PATH" in err


def test_score_of_a_photo_with_nothing_to_assess_is_strict_json_and_fails(tmp_path, capsys):
    import json

    import cv2

    photo = tmp_path / "black.jpg"
    cv2.imwrite(str(photo), np.zeros((120, 160, 3), np.uint8))
    assert main(["score", str(photo), "-o", str(tmp_path / "o.png"), "--json"]) == 1
    captured = capsys.readouterr()
    row = json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert row["f_vasi"] is None and row["scored"] is False
    assert "not scored: nothing to assess (empty region)" in captured.err
    # a grey frame: scored, but its numbers are to be checked (no face in it)
    grey = tmp_path / "face_grey.jpg"
    cv2.imwrite(str(grey), np.full((120, 160, 3), 128, np.uint8))
    assert main(["score", str(grey), "-o", str(tmp_path / "o.png"), "--json"]) == 0
    assert "face outline not found" in json.loads(capsys.readouterr().out)["needs_review"]


def test_score_measures_scale_on_the_marker(tmp_path, capsys):
    import json

    import vasi

    # (a pose with mild perspective: the marker's local scale is then the frame's)
    sp = vasi.synth.make_photo(rng=11, site="face", shape=(450, 600), marker=True)
    photo = tmp_path / "face.jpg"
    photo.write_bytes(sp.jpeg_bytes)
    side = str(sp.truth.marker["side_mm"])
    assert main(["score", str(photo), "--marker-mm", side, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["scale_source"] == "aruco"
    assert row["mm_per_px"] == pytest.approx(sp.truth.mm_per_px, rel=0.03)
    assert row["depigmented_area_cm2"] is not None


def test_score_names_the_colour_profile_the_photo_was_converted_from(tmp_path, capsys):
    # as the batch's visits table does (colour_profile, colour_converted)
    import json

    from PIL import Image
    from test_io import _icc_rgb_profile

    import vasi

    icc, _ = _icc_rgb_profile(name="Display P3")
    img = vasi.synth.make_photo(rng=6, site="forearm", shape=(120, 160)).image
    tagged, plain = tmp_path / "forearm_p3.jpg", tmp_path / "forearm.jpg"
    Image.fromarray(img).save(tagged, quality=95, icc_profile=icc)
    Image.fromarray(img).save(plain, quality=95)
    assert main(["score", str(tagged), "-o", str(tmp_path / "a.png"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["colour_profile"], row["colour_converted"]) == ("Display P3", True)
    assert main(["score", str(plain), "-o", str(tmp_path / "b.png")]) == 0
    text = capsys.readouterr().out
    assert ["colour_profile", "-"] in [line.split() for line in text.splitlines()]


@pytest.mark.parametrize("flag", ["--default-site", "--site"])
def test_batch_default_site_fills_in_names_without_a_site(tmp_path, flag):
    # in 'vasi batch' the site option only fills in for photo names that give none (in
    # 'vasi score' --site overrides the name): its name says so, the old one still works
    from vasi.synth import make_photo

    ph = make_photo(rng=6, site="forearm", shape=(120, 160))
    for w in (0, 12):
        d = tmp_path / "in" / "P1" / f"week{w:02d}"
        d.mkdir(parents=True)
        vasi.write_image(d / "IMG_0001.png", ph.image)
        vasi.write_image(d / "face_visible.png", ph.image)
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), "-o", str(out), "--no-reports", "--no-overlays",
                 flag, "forearm", "-q"]) == 0
    v = pd.read_csv(out / "tables" / "visits.csv")
    assert sorted(set(v["site"])) == ["face", "forearm"]


def test_colour_cast_correction_can_be_switched_off_in_score_and_batch(tmp_path, capsys, gained):
    # the automatic white balance of a cast photo (from its normal skin) is the default of
    # both commands; --colour-cast flag only flags it, and the batch records the option
    from vasi.pipeline import COLOUR_CAST_CORRECTED_FLAG
    from vasi.segment import COLOUR_CAST_FLAG
    from vasi.synth import make_photo

    ph = make_photo(rng=5, skin_type="I", site="forearm", shape=(300, 400))
    photo = tmp_path / "in" / "P1" / "week00" / "forearm_visible.png"
    photo.parent.mkdir(parents=True)
    vasi.write_image(photo, gained(ph.image, (0.75, 0.95, 1.25)))
    flags = {}
    for mode in ("correct", "flag"):
        capsys.readouterr()
        assert main(["score", str(photo), "--json", "--colour-cast", mode, "-o", str(tmp_path / "o.png")]) == 0
        flags[mode] = ";".join(json.loads(capsys.readouterr().out)["needs_review"])
        out = tmp_path / f"out-{mode}"
        assert main(["batch", str(tmp_path / "in"), "-o", str(out), "--no-reports", "--no-overlays", "-q",
                     "--colour-cast", mode]) == 0
        review = pd.read_csv(out / "tables" / "visits.csv")["needs_review"].iloc[0]
        assert (COLOUR_CAST_CORRECTED_FLAG in review) == (mode == "correct")
        assert (COLOUR_CAST_FLAG in review) == (mode == "flag")
        options = json.loads((out / "vasi-run.json").read_text())["options"]
        assert options.get("colour_cast", "correct") == mode
    assert COLOUR_CAST_CORRECTED_FLAG in flags["correct"] and COLOUR_CAST_FLAG in flags["flag"]
