"""Batch input: CSV manifests, PATIENT/VISIT/PHOTO folders, validation, safe slugs."""

from __future__ import annotations

import datetime as _dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vasi.manifest import (
    ManifestError,
    load_input,
    parse_visit,
    read_manifest,
    safe_slug,
    scan_folder,
    unlisted_sites,
)


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _csv(tmp_path, text, name="m.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_basic_aliases_and_dates(tmp_path):
    for rel in ("a/0.jpg", "a/1.jpg", "b/0.jpg", "b/1.jpg"):
        _touch(tmp_path / rel)
    m = read_manifest(_csv(tmp_path, (
        "Subject,Visit_Date,Region,Modality,File,Arm,x_note\n"
        "S1,2026-01-05,face,UV,a/0.jpg,cream,hello\n"
        "S1,2026-03-30,face,uv,a/1.jpg,cream,\n"
        "S2,20260105,face,visible,b/0.jpg,vehicle,\n"
        "S2,2026-01-19,face,vis,b/1.jpg,vehicle,\n")))
    t = m.table
    assert t["series"].tolist() == ["S1/face-woods"] * 2 + ["S2/face-visible"] * 2
    assert t["week"].tolist() == [0.0, 12.0, 0.0, 2.0]
    assert t["date"].iloc[1] == "2026-03-30"
    assert t["arm"].tolist() == ["cream", "cream", "vehicle", "vehicle"]
    assert [k for k, _ in m.series()] == ["S1/face-woods", "S2/face-visible"]
    assert m.patients == ["S1", "S2"]
    assert m.problems == ()


def test_every_problem_reported_at_once(tmp_path):
    _touch(tmp_path / "ok.jpg")
    text = ("patient_id,week,site,modality,photo,colour\n"       # unknown column
            "P1,0,face,visible,ok.jpg,\n"
            "P1,0,face,visible,ok.jpg,\n"                  # duplicate visit (not fatal)
            "P2,4,face,visible,ok.jpg,\n"               # no baseline (not fatal)
            "P3,zz,face,visible,ok.jpg,\n"                           # unparseable week
            "P4,0,face,infrared,ok.jpg,\n"                           # unknown modality
            "P5,0,face,visible,/etc/passwd,\n"                       # absolute, outside
            "P6,0,face,visible,../../secret.jpg,\n")                 # escapes root
    with pytest.raises(ManifestError) as info:
        read_manifest(_csv(tmp_path, text))
    msgs = [p.message for p in info.value.problems]
    text = str(info.value)
    for needle in ("unknown column 'colour'",
                   "cannot read visit 'zz'", "modality 'infrared'", "'/etc/passwd' is outside",
                   "contains '..'"):
        assert any(needle in m for m in msgs), (needle, msgs)
        assert needle in text
    assert "line 5" in text and "line 8" in text
    assert "duplicate" not in text and "no baseline" not in text


def test_a_duplicate_visit_leaves_its_photos_unscored_not_the_whole_run(tmp_path):
    # two photos of one visit (a copy, a thumbnail) stopped the whole run: "duplicate visit"
    # was fatal; now those photos are problems of their own and the rest is scored
    for rel in ("P1/week0/face.jpg", "P1/week12/face.jpg", "P1/week12/face thumb.jpg",
                "P2/week0/face.jpg", "P2/week0/IMG_0001.jpg", "P2/week12/face.jpg"):
        _touch(tmp_path / rel)
    m = scan_folder(tmp_path)
    assert m.table["photo_rel"].tolist() == ["P1/week0/face.jpg", "P2/week12/face.jpg"]
    got = {p.where: p for p in m.problems}
    assert sorted(got) == ["P1/week12/face thumb.jpg", "P1/week12/face.jpg",
                           "P2/week0/IMG_0001.jpg", "P2/week0/face.jpg", "P2/week12/face.jpg"]
    p = got["P1/week12/face.jpg"]
    assert not p.fatal and (p.patient_id, p.visit, p.week, p.photo) == (
        "P1", "week12", 12.0, "P1/week12/face.jpg")
    assert p.message == ("not scored: duplicate visit in series P1 face/visible: 2 photos for "
                         "week 12 (P1/week12/face thumb.jpg, P1/week12/face.jpg); keep one "
                         "photo per patient, site, modality and visit")


def test_absolute_photo_paths_inside_the_root_are_read(tmp_path):
    # manifests exported from a database hold absolute paths: accepted where they lie
    # inside the root (the manifest's folder, or --root)
    photos = tmp_path / "data" / "photos"
    _touch(photos / "a.jpg")
    _touch(photos / "b.jpg")
    text = f"patient_id,week,photo\nP1,0,{photos / 'a.jpg'}\nP1,12,{photos / 'b.jpg'}\n"
    m = read_manifest(_csv(tmp_path / "data", text))
    assert m.table["photo"].tolist() == [str(photos / "a.jpg"), str(photos / "b.jpg")]
    elsewhere = tmp_path / "manifests"
    elsewhere.mkdir()
    with pytest.raises(ManifestError, match="is outside .*pass --root with a folder that holds it"):
        read_manifest(_csv(elsewhere, text))
    assert len(read_manifest(_csv(elsewhere, text), root=tmp_path).table) == 2


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_semicolon_or_tab_separated_manifest_is_read(tmp_path, sep):
    # a spreadsheet's "CSV" in many locales: it gave six problems and no hint
    _touch(tmp_path / "a.jpg")
    _touch(tmp_path / "b.jpg")
    rows = [["patient_id", "week", "site", "photo", "mm_per_px"], ["P1", "0", "face", "a.jpg", "0,25"],
            ["P1", "12", "face", "b.jpg", "0.25"]]
    m = read_manifest(_csv(tmp_path, "".join(sep.join(r) + "\n" for r in rows)))
    assert m.table[["patient_id", "week", "photo_rel"]].values.tolist() == [["P1", 0.0, "a.jpg"], ["P1", 12.0, "b.jpg"]]
    assert m.table["mm_per_px"].tolist() == [0.25, 0.25]  # the decimal comma of those locales


def test_bad_dates_and_mixed_visits(tmp_path):
    _touch(tmp_path / "a.jpg")
    with pytest.raises(ManifestError, match="not a valid one"):
        read_manifest(_csv(tmp_path, "patient_id,date,photo\nP1,2026-02-31,a.jpg\n"))
    with pytest.raises(ManifestError, match="no visit column"):
        read_manifest(_csv(tmp_path, "patient_id,photo\nP1,a.jpg\n"))
    with pytest.raises(ManifestError, match="missing required column"):
        read_manifest(_csv(tmp_path, "patient_id,week\nP1,0\n"))


def test_missing_file_is_not_fatal(tmp_path):
    _touch(tmp_path / "a.jpg")
    m = read_manifest(_csv(tmp_path, "patient_id,week,photo\nP1,0,a.jpg\nP1,12,gone.jpg\n"))
    assert len(m.table) == 1
    (p,) = m.problems
    assert not p.fatal and "does not exist" in p.message and p.patient_id == "P1"
    # named as the manifest writes it, not by this machine's absolute path
    assert "photo file gone.jpg does not exist" in p.message and str(tmp_path) not in p.message


@pytest.mark.parametrize("text, match", [
    ("", "empty"),
    ("patient_id,week,photo\n", "no photo rows"),
    ("a\x00b\n", "NUL"),
    ('patient_id,week,photo\nP1,0,"unclosed\n', "not a valid CSV"),
    ("patient_id,week,photo\nP1,0\n", "has 2 fields"),
])
def test_malformed_manifests(tmp_path, text, match):
    with pytest.raises(ManifestError, match=match):
        read_manifest(_csv(tmp_path, text))


def test_folder_layout(tmp_path):
    root = tmp_path / "study"
    _touch(root / "P1" / "week0" / "face_visible.jpg")
    _touch(root / "P1" / "w12" / "face_visible.jpg")
    _touch(root / "P1" / "24" / "face_visible.jpg")
    _touch(root / "P1" / "week0" / "hands-uv.png")
    _touch(root / "P1" / "week0" / "notes.txt")
    _touch(root / "P2" / "2026-03-14" / "IMG_0001.jpg")
    _touch(root / "P2" / "2026-04-11" / "IMG_0002.HEIC")  # an iPhone photo
    t = scan_folder(root).table
    assert t[["patient_id", "week", "site", "modality"]].values.tolist() == [
        ["P1", 0.0, "face", "visible"], ["P1", 12.0, "face", "visible"],
        ["P1", 24.0, "face", "visible"], ["P1", 0.0, "hands", "woods"],
        ["P2", 0.0, "face", "visible"], ["P2", 4.0, "face", "visible"]]
    assert load_input(root).table.equals(t)


def test_folder_site_comes_from_a_site_word_of_the_name(tmp_path):
    # a camera's file name (PXL_...) or a description used to become the site ("pxl",
    # "with"), which scored a face as a body site and split one patient's visits
    root = tmp_path / "study"
    _touch(root / "P1" / "week0" / "PXL_20240101_101010.jpg")
    _touch(root / "P1" / "week12" / "IMG 20240312 ü.jpg")
    for week in ("week0", "week12"):
        _touch(root / "P1" / week / "left_cheek_woods.jpg")
        _touch(root / "P1" / week / "Right Forearm 2.jpg")
        # a body site the vocabulary does not know stays a body site of its own, and
        # upper / lower keep two sites of one limb apart
        _touch(root / "P1" / week / "sacrum_uv.jpg")
        _touch(root / "P1" / week / "upper_leg.jpg")
        _touch(root / "P1" / week / "lower_leg.jpg")
    t = scan_folder(root, default_site="face").table
    sites = sorted(map(tuple, t[["week", "site", "modality"]].values.tolist()))
    assert sites == [(w, s, m) for w in (0.0, 12.0) for s, m in (
        ("face", "visible"), ("face", "woods"), ("lower-leg", "visible"), ("right-forearm", "visible"),
        ("sacrum", "woods"), ("upper-leg", "visible"))]


def test_folder_site_words_in_other_alphabets_are_body_sites_of_their_own(tmp_path):
    # such a word was refused as "not a simple name", which stopped the whole batch (and
    # dropping it instead would score a forearm as a face without a word)
    root = tmp_path / "study"
    for week in ("week0", "week12"):
        _touch(root / "P1" / week / "P1_antebraço_uv.jpg")
        _touch(root / "P1" / week / "前腕.jpg")
    m = scan_folder(root, default_site="face")
    assert sorted(set(map(tuple, m.table[["site", "modality"]].values.tolist()))) == [
        ("antebraço", "woods"), ("前腕", "visible")]
    assert unlisted_sites(m.table) == {"antebraço": 2, "前腕": 2}
    # their output folders are named in plain letters
    assert all(re.fullmatch(r"[A-Za-z0-9._/-]+", k) for k in m.table["series"])


def test_folder_skips_the_overlays_vasi_score_wrote_beside_the_photos(tmp_path):
    root = tmp_path / "study"
    for week in ("week0", "week12"):
        _touch(root / "P1" / week / "face_woods.jpg")
        _touch(root / "P1" / week / "face_woods_overlay.png")
        _touch(root / "P1" / week / "hands_overlay.jpg")  # a user's photo, not our overlay
    t = scan_folder(root).table
    assert sorted(p.rsplit("/", 1)[1] for p in t["photo_rel"]) == ["face_woods.jpg", "face_woods.jpg",
                                                                   "hands_overlay.jpg", "hands_overlay.jpg"]


def test_a_series_without_baseline_names_where_the_baseline_went(tmp_path):
    root = tmp_path / "study"
    _touch(root / "P1" / "week0" / "cheek_visible.jpg")
    _touch(root / "P1" / "week12" / "forearm_visible.jpg")
    [p] = scan_folder(root).problems
    assert re.search(r"week-0 photos are in series face/visible \(P1/week0/cheek", p.message)


def test_manifest_site_typo_of_face_is_a_problem_other_names_are_body_sites(tmp_path):
    # a near miss of 'face' would score a face as a body site; any other name is a body site
    # of its own (the typo check once refused upper-arm, perianal, genitalia, ...)
    rows = ["P1,0,fcae,a.jpg"] + [f"P{i},{w},{site},x{i}{w}.jpg" for i, site in enumerate(
        ("sacrum", "upper-arm", "perianal", "genitalia", "ears", "Cheek"), start=2) for w in (0, 12)]
    text = "patient_id,week,site,photo\n" + "\n".join(rows) + "\n"
    with pytest.raises(ManifestError, match="did you mean 'face'") as info:
        read_manifest(_csv(tmp_path, text), check_files=False)
    assert len(info.value.problems) == 1
    ok = read_manifest(_csv(tmp_path, "patient_id,week,site,photo\n" + "\n".join(rows[1:]) + "\n"),
                       check_files=False)
    assert sorted(set(ok.table["site"])) == ["ears", "face", "genitalia", "perianal", "sacrum", "upper-arm"]


def test_folder_problems(tmp_path):
    root = tmp_path / "study"
    _touch(root / "P1" / "someday" / "face.jpg")
    _touch(root / "P1" / "stray.jpg")
    with pytest.raises(ManifestError) as info:
        scan_folder(root)
    assert len(info.value.problems) == 2
    with pytest.raises(ManifestError, match="no photos found"):
        scan_folder(tmp_path / "study" / "P1" / "someday")


def test_folder_with_manifest_uses_it(tmp_path):
    _touch(tmp_path / "x.jpg")
    _csv(tmp_path, "patient_id,week,photo\nQ,0,x.jpg\n", name="manifest.csv")
    assert load_input(tmp_path).table["patient_id"].tolist() == ["Q"]


def test_a_manifest_excel_saved_in_the_windows_code_page_is_refused_with_the_fix(tmp_path):
    p = tmp_path / "m.csv"
    p.write_bytes("patient_id,week,photo,notes\nP1,0,a.jpg,Ren\u00e9e\n".encode("cp1252"))
    with pytest.raises(ManifestError, match=r"not UTF-8 text \(byte 0xe9 at 42\); save it as "
                                            r"'CSV UTF-8'"):
        read_manifest(p, check_files=False)


def test_parse_visit():
    assert parse_visit("baseline") == (0.0, None)
    assert parse_visit("Week_52")[0] == 52.0
    assert parse_visit("wk8")[0] == 8.0
    with pytest.raises(ValueError):
        parse_visit("next tuesday")
    # a separator after the word ("week-4" folders are week 4); a bare minus is before
    # baseline, refused with the fix, not read as week 4
    assert parse_visit("week-04")[0] == parse_visit("w_4")[0] == 4.0
    for text in ("-4", "week -4", " - 2.5"):
        with pytest.raises(ValueError, match="before baseline.*leave pre-baseline"):
            parse_visit(text)


def test_an_excel_sep_line_before_the_header_names_the_separator(tmp_path):
    # Excel's "sep=;" line was read as the header: seven problems, starting "unknown column
    # 'sep='"
    for n in range(2):
        _touch(tmp_path / f"{n}.jpg")
    p = tmp_path / "m.csv"
    p.write_bytes("\ufeffsep=;\r\npatient_id;week;photo;marker_mm\r\nP1;0;0.jpg;30,5\r\n"
                  "P1;x;1.jpg;30\r\n".encode())
    with pytest.raises(ManifestError, match="m.csv line 4: cannot read visit 'x'"):
        read_manifest(p)
    p.write_text("SEP=,\npatient_id,week,photo\nP1,0,0.jpg\nP1,12,1.jpg\n")
    assert read_manifest(p).table["week"].tolist() == [0.0, 12.0]
    p.write_text("sep=;\n")
    with pytest.raises(ManifestError, match="manifest is empty"):
        read_manifest(p)
    # blank lines before it count in the rows' line numbers (each one was a line short)
    p.write_text("\n\nsep=;\npatient_id;week;photo\nP1;0;0.jpg\nP1;x;1.jpg\n")
    with pytest.raises(ManifestError, match="m.csv line 6: cannot read visit 'x'"):
        read_manifest(p)


def test_dates_as_spreadsheets_and_databases_export_them(tmp_path):
    # a European export's 14.03.2026, a database's 2026-03-14 10:22:00 and 2026/03/14 were
    # "cannot read visit"; 14/03/2026 said only "use a date (2026-03-14)"
    d = _dt.date(2026, 3, 14)
    for text in ("14.03.2026", "2026/03/14", "2026-03-14 10:22", "2026-03-14T10:22:00",
                 "2026-03-14 00:00:00", "2026-3-14", "14.03.2026 10:22"):
        assert parse_visit(text) == (None, d), text
    assert parse_visit("01.02.2026") == (None, _dt.date(2026, 2, 1))
    for text in ("14/03/2026", "03/14/2026", "3/4/26"):
        with pytest.raises(ValueError, match="may be day/month or month/day: write it year "
                                             "first, YYYY-MM-DD"):
            parse_visit(text)
    for n in range(2):
        _touch(tmp_path / f"{n}.jpg")
    m = read_manifest(_csv(tmp_path, "patient_id;date;photo\nP1;14.03.2026;0.jpg\n"
                                     "P1;06.06.2026;1.jpg\n"))
    assert m.table["week"].tolist() == [0.0, 12.0]


@pytest.mark.parametrize("text", ["../x", "/etc/passwd", "a/b", "..", ".", "", "CON",
                                  "x" * 300, "é\u202e\x00", "C:\\Windows"])
def test_safe_slug_is_safe(text):
    s = safe_slug(text)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", s) and len(s) <= 72
    assert s not in (".", "..") and not s.startswith(".")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_safe_slug_distinct_ids_distinct_slugs(a, b):
    s = safe_slug(a)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", s) and not s.startswith(".")
    if a != b:
        assert s != safe_slug(b)


def test_missing_baseline_file_is_not_fatal(tmp_path):
    _touch(tmp_path / "b.jpg")
    m = read_manifest(_csv(tmp_path, "patient_id,week,photo\nP1,0,gone.jpg\nP1,12,b.jpg\n"))
    assert m.table["week"].tolist() == [12.0]
    assert [p.fatal for p in m.problems] == [False, False]
    assert m.problems[1].message.endswith("the baseline (week 0) of series P1 face/visible is "
                                          "not scored: its photo gone.jpg is missing")


def test_a_patient_in_two_arms_is_a_problem_and_a_row_without_an_arm_takes_its_patients(
        tmp_path):
    # rows for P1 in arms A, A, B were accepted and the endpoints took the first one
    for n in range(3):
        _touch(tmp_path / f"{n}.jpg")
    with pytest.raises(ManifestError, match="patient P1 has arms 'A', 'B'; give each patient "
                                            "one arm") as err:
        read_manifest(_csv(tmp_path, "patient_id,week,photo,arm\nP1,0,0.jpg,A\n"
                                     "P1,12,1.jpg,A\nP1,24,2.jpg,B\n"))
    assert err.value.problems[0].where == "m.csv line 2, m.csv line 3, m.csv line 4"
    m = read_manifest(_csv(tmp_path, "patient_id,week,photo,arm\nP1,0,0.jpg,\nP1,12,1.jpg,A\n"))
    assert m.table["arm"].tolist() == ["A", "A"]


def test_arms_differing_only_in_case_or_spacing_are_one_arm_spelled_as_first_named(tmp_path):
    # P1's rows naming 'A' and 'a ' were refused ("patient P1 has arms 'A', 'a'"), and P2's
    # 'arm  b' was an arm of its own beside P3's 'Arm B' in the cohort tables
    for n in range(6):
        _touch(tmp_path / f"{n}.jpg")
    m = read_manifest(_csv(tmp_path, "patient_id,week,photo,arm\nP1,0,0.jpg,A\nP1,12,1.jpg,a \n"
                                     "P2,0,2.jpg,Arm B\nP2,12,3.jpg,arm  b\nP3,0,4.jpg, ARM B\n"
                                     "P3,12,5.jpg,\n"))
    assert m.table["arm"].tolist() == ["A", "A", "Arm B", "Arm B", "Arm B", "Arm B"]
    with pytest.raises(ManifestError, match="patient P1 has arms 'A', 'b'; give"):
        read_manifest(_csv(tmp_path, "patient_id,week,photo,arm\nP1,0,0.jpg,A\nP1,12,1.jpg,b\n"
                                     "P2,0,2.jpg,B\n"))


def test_photos_where_no_photo_goes_are_problems_not_files_left_out(tmp_path):
    # a photo in a folder inside a visit folder, or at the top level, was dropped with the
    # warning that it is not a photo by its suffix; then it stopped the whole run (exit 2,
    # nothing scored): now it is a problem of its own (the errors table), the rest is scored
    for rel in ("P1/week0/face.jpg", "P1/week12/face.jpg", "P1/week12/raw/face_raw.jpg",
                "P1/week12/raw/deep/x.png", "stray.jpg", "P1/week12/notes/n.txt", "readme.txt",
                "P1/week12/raw/.hidden.jpg", "P1/cover.jpg", "P1/misc/face.jpg",
                "P1/screening/face.jpg", "P1/empty/n.txt"):
        _touch(tmp_path / rel)
    m = scan_folder(tmp_path)
    assert m.table["photo_rel"].tolist() == ["P1/week0/face.jpg", "P1/week12/face.jpg"]
    got = {p.where: p for p in m.problems}
    assert sorted(got) == ["P1/cover.jpg", "P1/misc/face.jpg", "P1/screening/face.jpg",
                           "P1/week12/raw/deep/x.png", "P1/week12/raw/face_raw.jpg", "stray.jpg"]
    assert not any(p.fatal for p in m.problems)
    assert [got[w].photo for w in sorted(got)] == sorted(got)
    assert (got["P1/week12/raw/face_raw.jpg"].patient_id, got["P1/week12/raw/face_raw.jpg"].visit,
            got["stray.jpg"].patient_id) == ("P1", "week12", "")
    assert "not scored: photo in a folder inside the visit folder week12; put it in a visit " \
           "folder" in got["P1/week12/raw/face_raw.jpg"].message
    assert got["stray.jpg"].message.startswith("not scored: photo directly in the input folder")
    assert "cannot read visit 'misc'" in got["P1/misc/face.jpg"].message
    assert "use a date (2026-03-14) or a week" in got["P1/screening/face.jpg"].message
    assert m.skipped == ("P1/empty/", "P1/week12/notes/", "readme.txt")
    # with no photo in place, nothing would be scored: the input is refused, naming them
    for rel in ("P1/week0/face.jpg", "P1/week12/face.jpg"):
        (tmp_path / rel).unlink()
    with pytest.raises(ManifestError) as err:
        scan_folder(tmp_path)
    assert sorted(p.where for p in err.value.problems) == sorted(got)


@pytest.mark.parametrize("baseline", ["week00", "baseline"])
def test_a_baseline_by_week_beside_dated_follow_ups_says_to_date_it(tmp_path, baseline):
    # the first follow-up became week 0 too, then 'duplicate visit' sent the user astray
    for visit in (baseline, "2026-04-01", "2026-06-24"):
        _touch(tmp_path / "P1" / visit / "face.jpg")
    with pytest.raises(ManifestError, match=f"P1 face/visible mixes dates and weeks "
                                            rf"\({baseline} has no date\): name the baseline "
                                            "folder by its date") as err:
        scan_folder(tmp_path)
    assert "duplicate" not in str(err.value)
    (tmp_path / "P1" / baseline).rename(tmp_path / "P1" / "2026-01-07")
    assert scan_folder(tmp_path).table["week"].tolist() == [0.0, 12.0, 24.0]


def test_a_path_leading_outside_names_the_folder_and_where_it_leads(tmp_path, monkeypatch):
    # with the manifest given relative to the working folder the message said 'outside .'
    _touch(tmp_path / "elsewhere" / "real.jpg")
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "link.jpg").symlink_to(tmp_path / "elsewhere" / "real.jpg")
    _csv(tmp_path / "study", "patient_id,week,photo\nP1,0,link.jpg\n")
    monkeypatch.chdir(tmp_path / "study")
    with pytest.raises(ManifestError) as err:
        read_manifest("m.csv")
    msg = err.value.problems[0].message
    assert f"leads outside {tmp_path / 'study'} (a link to {tmp_path / 'elsewhere'}" in msg
    assert "outside ." not in msg and "--root" in msg


def test_an_arm_holding_the_letters_nan_keeps_them(tmp_path):
    # "nanoemulsion" became "oemulsion" (every "nan" in an arm was taken out as a missing value)
    for n in range(2):
        _touch(tmp_path / f"{n}.jpg")
    m = read_manifest(_csv(tmp_path, "patient_id,week,photo,arm\nP1,0,0.jpg,nanoemulsion\n"
                                     "P1,12,1.jpg,nan\n"))
    assert m.table["arm"].tolist() == ["nanoemulsion", "nanoemulsion"]


def test_a_series_without_baseline_or_mixing_dates_and_weeks_is_left_out_not_the_run(tmp_path):
    # either stopped the whole run (exit 2, nothing scored); now that series' photos are
    # problems of their own and the rest is scored
    for rel in ("P1/0.jpg", "P1/12.jpg", "P2/4.jpg", "P2/12.jpg", "P3/0.jpg", "P3/d.jpg"):
        _touch(tmp_path / rel)
    m = read_manifest(_csv(tmp_path, "patient_id,visit,photo\nP1,0,P1/0.jpg\nP1,12,P1/12.jpg\n"
                                     "P2,4,P2/4.jpg\nP2,week12,P2/12.jpg\n"
                                     "P3,baseline,P3/0.jpg\nP3,2026-04-01,P3/d.jpg\n"))
    assert m.table["photo_rel"].tolist() == ["P1/0.jpg", "P1/12.jpg"]
    got = {p.photo: p for p in m.problems}
    assert sorted(got) == ["P2/12.jpg", "P2/4.jpg", "P3/0.jpg", "P3/d.jpg"]
    assert not any(p.fatal for p in m.problems)
    p = got["P2/12.jpg"]
    assert (p.where, p.patient_id, p.visit, p.week, p.site, p.modality) == (
        "m.csv line 5", "P2", "week12", 12.0, "face", "visible")
    assert p.message == ("not scored: series P2 face/visible has no baseline: the earliest "
                         "visit is week 4; add the week-0 photo or number weeks from baseline")
    assert got["P3/d.jpg"].message.startswith(
        "not scored: series P3 face/visible mixes dates and weeks (baseline has no date)")
    assert (got["P3/0.jpg"].week, got["P3/d.jpg"].week) == (0.0, None)
    # with no series left to score, the input is refused, naming every photo
    with pytest.raises(ManifestError) as err:
        read_manifest(_csv(tmp_path, "patient_id,week,photo\nP2,4,P2/4.jpg\nP2,12,P2/12.jpg\n"))
    assert [p.where for p in err.value.problems] == ["m.csv line 2", "m.csv line 3"]
    assert "no baseline" in str(err.value)


def test_a_folder_series_without_baseline_is_left_out_not_the_run(tmp_path):
    for rel in ("P1/week0/face.jpg", "P1/week12/face.jpg", "P1/week12/hands.jpg"):
        _touch(tmp_path / rel)
    m = scan_folder(tmp_path)
    assert m.table["photo_rel"].tolist() == ["P1/week0/face.jpg", "P1/week12/face.jpg"]
    [p] = m.problems
    assert (p.where, p.site, p.week) == ("P1/week12/hands.jpg", "hands", 12.0)
    assert "has no baseline" in p.message and "week-0 photos are in series face/visible" \
        in p.message


def test_a_refused_folder_lists_its_misplaced_photos_too(tmp_path):
    # every problem at once: when the photos in place cannot be used (no baseline), the
    # photo in the input folder itself was left out of the refusal
    for rel in ("P1/week12/face.jpg", "cover.jpg"):
        _touch(tmp_path / rel)
    with pytest.raises(ManifestError) as err:
        scan_folder(tmp_path)
    assert sorted(p.where for p in err.value.problems) == ["P1/week12/face.jpg", "cover.jpg"]


def test_follow_ups_of_a_duplicated_baseline_say_why_they_have_no_baseline(tmp_path):
    # they said 'baseline photo of this series could not be read' (it was never read: two
    # photos for week 0, neither scored)
    for rel in ("P1/week0/face.jpg", "P1/week0/face copy.jpg", "P1/week12/face.jpg"):
        _touch(tmp_path / rel)
    m = scan_folder(tmp_path)
    assert m.table["photo_rel"].tolist() == ["P1/week12/face.jpg"]
    got = {p.where: p for p in m.problems}
    p = got["P1/week12/face.jpg"]
    assert not p.fatal and (p.patient_id, p.week, p.site) == ("P1", 12.0, "face")
    assert p.message == ("scored on its own, no change from baseline: the baseline (week 0) of "
                         "series P1 face/visible is not scored: duplicate visit (2 photos: "
                         "P1/week0/face copy.jpg, P1/week0/face.jpg); keep one of them")
    assert "duplicate visit" in got["P1/week0/face.jpg"].message


def test_patient_ids_differing_only_in_case_or_spacing_are_one_patient_and_a_problem(tmp_path):
    # 'P001' and 'p001 ' were two patients, unseen: the typo's photos a series (and a
    # non-responder) of their own
    for rel in ("0.jpg", "12.jpg", "h0.jpg", "h12.jpg"):
        _touch(tmp_path / rel)
    m = read_manifest(_csv(tmp_path, "patient_id,week,site,photo\nP001,0,face,0.jpg\n"
                                     "p001 ,12,face,12.jpg\nP 001,0,hands,h0.jpg\n"
                                     "P  001,12,hands,h12.jpg\n"))
    assert m.table["patient_id"].tolist() == ["P001", "P001", "P 001", "P 001"]
    assert m.patients == ["P 001", "P001"]
    p = m.problems[0]
    assert not p.fatal and (p.where, p.patient_id, p.week, p.photo) == (
        "m.csv line 3", "P001", 12.0, "12.jpg")
    assert p.message == ("patient id 'p001' differs from 'P001' (m.csv line 2) only in case or "
                         "spacing: taken as 'P001'; write it alike in every row, or give "
                         "another patient an id that differs otherwise")
    assert [p.photo for p in m.problems] == ["12.jpg", "h12.jpg"]
    assert "'P  001' differs from 'P 001' (m.csv line 4)" in m.problems[1].message


def test_a_week_with_a_decimal_comma_is_read(tmp_path):
    # '12,0' was 'cannot read visit' although number columns read a decimal comma
    assert parse_visit("12,5") == (12.5, None)
    assert parse_visit("week 12,0") == (12.0, None)
    for rel in ("0.jpg", "12.jpg"):
        _touch(tmp_path / rel)
    m = read_manifest(_csv(tmp_path, "patient_id;week;photo;mm_per_px\nP1;0;0.jpg;0,2\n"
                                     "P1;12,0;12.jpg;0,2\n"))
    assert m.table["week"].tolist() == [0.0, 12.0]


def test_windows_system_files_are_passed_over_silently(tmp_path):
    # Thumbs.db and desktop.ini were 'not photos' and warned about; .DS_Store was not
    for rel in ("P1/week0/face.jpg", "P1/week12/face.jpg"):
        _touch(tmp_path / rel)
    for rel in ("Thumbs.db", "desktop.ini", "P1/desktop.ini", "P1/week0/Thumbs.db",
                "P1/week12/DESKTOP.INI", "P1/week12/notes.txt"):
        _touch(tmp_path / rel)
    assert scan_folder(tmp_path).skipped == ("P1/week12/notes.txt",)


def test_a_missing_photo_of_a_respelled_patient_id_is_listed_under_the_patient(tmp_path):
    # the missing file's row of the errors table kept the id as typed ('p001'), a patient
    # found nowhere else in the results
    _touch(tmp_path / "0.jpg")
    m = read_manifest(_csv(tmp_path, "patient_id,week,photo\nP001,0,0.jpg\np001,12,gone.jpg\n"))
    assert [(p.patient_id, p.message[:24]) for p in m.problems] == [
        ("P001", "photo file gone.jpg does"), ("P001", "patient id 'p001' differ")]


@pytest.mark.parametrize("text", [
    "patient_id,week,photo\nP1,0,a.jpg\nP1,0,b.jpg\n",  # every photo a duplicate
    "patient_id,week,photo\nP1,0,gone.jpg\nP1,12,gone2.jpg\n",  # every photo missing
    "patient_id,week,photo\nP1,0,a.jpg\nP1,0,b.jpg\nP1,12,gone.jpg\n",  # both at once
])
def test_an_input_with_no_photo_left_to_score_is_refused(tmp_path, text):
    # such a manifest was accepted with nothing to score (the run exited with 1, "some photos
    # not scored"); an input with nothing left to score is refused, with every problem
    for name in ("a.jpg", "b.jpg"):
        _touch(tmp_path / name)
    with pytest.raises(ManifestError) as info:
        read_manifest(_csv(tmp_path, text))
    lines = text.strip().splitlines()[1:]
    assert len(info.value.problems) == len(lines) and all(p.fatal for p in info.value.problems)
