"""Batch runs: outputs, errors table, resume, parallel and Dask identity, conflicts."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vasi
from vasi.batch import RUN_FILE, OutputConflictError, run_batch
from vasi.demo import make_study

TABLES = ("visits", "patches", "scores", "endpoints", "errors")
SHAPE = (96, 128)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """3 patients x 3 visits; P002 week 24 truncated, P003 week 12 random bytes."""
    root = tmp_path_factory.mktemp("study")
    return make_study(root, n_patients=3, weeks=(0, 12, 24), shape=SHAPE, rng=3, plant=True)


@pytest.fixture(scope="module")
def reference(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "out"
    return run_batch(study, out, jobs=1)


def _same_tables(a, b):
    for name in TABLES:
        for ext in ("csv", "parquet"):
            pa, pb = a / "tables" / f"{name}.{ext}", b / "tables" / f"{name}.{ext}"
            assert filecmp.cmp(pa, pb, shallow=False), f"{name}.{ext} differs"


def test_outputs_and_errors_table(reference):
    res, out = reference, reference.out
    for name in TABLES:
        assert (out / "tables" / f"{name}.csv").is_file()
        assert (out / "tables" / f"{name}.parquet").is_file()
    assert len(res.visits) == 7 and res.n_series == 3 and res.n_scored == 3
    assert res.visits["patient_id"].tolist() == ["P001"] * 3 + ["P002"] * 2 + ["P003"] * 2
    errs = res.errors
    assert errs[["patient_id", "week", "stage"]].values.tolist() == [
        ["P002", 24.0, "read"], ["P003", 12.0, "read"]]
    assert "corrupt or truncated" in errs["message"].iloc[0]
    assert "not an image" in errs["message"].iloc[1]
    assert not res.ok
    # every overlay listed exists inside OUT
    for rel in res.visits["overlay"]:
        assert (out / rel).is_file()
    assert {p.name for p in res.reports} == {"P001.html", "P002.html", "P003.html"}
    assert (out / "index.html").is_file()
    # the pages name the input, not this machine's folders (the run record keeps the path)
    run = json.loads((out / RUN_FILE).read_text())
    parent = str(Path(run["input"]).parent)
    for page in [*res.reports, out / "index.html"]:
        text = page.read_text()
        assert parent not in text and Path(run["input"]).name in text, page
    assert run["status"] == "complete" and run["vasi_version"] == vasi.__version__
    assert set(res.endpoints["patient_id"]) == {"P001", "P002", "P003"}
    assert set(res.scores["score"]) == {"F-VASI"}
    back = pd.read_parquet(out / "tables" / "visits.parquet")
    assert back["patient_id"].tolist() == res.visits["patient_id"].tolist()


def test_process_pool_gives_identical_tables(study, reference, tmp_path):
    res = run_batch(study, tmp_path / "out", jobs=2, reports=False)
    assert res.n_scored == 3
    _same_tables(reference.out, res.out)


def test_a_worker_that_dies_costs_only_its_series(study, reference, tmp_path, monkeypatch):
    import _worker_crash

    from vasi import batch

    out = tmp_path / "out"
    monkeypatch.setattr(batch, "score_series", _worker_crash.crash_on_p002)
    res = run_batch(study, out, jobs=2)
    lost = res.errors[res.errors["stage"] == "worker"]
    assert lost["patient_id"].tolist() == ["P002"] * 3  # one row per photo of the series
    assert set(lost["error_type"]) == {"WorkerDied"} and "--jobs 1" in lost["message"].iloc[0]
    assert sorted(set(res.visits["patient_id"])) == ["P001", "P003"]
    # its patient still has a report page, which says what happened, and stays in the
    # endpoints and the responder counts (a non-responder under imputation, not dropped)
    assert "worker process scoring this series died" in (out / "reports" / "P002.html").read_text()
    lost_row = res.endpoints[res.endpoints["patient_id"] == "P002"].iloc[0]
    assert lost_row["n_visits"] == 0 and "no photo of the series" in lost_row["reason"]
    assert res.endpoints["patient_id"].tolist() == ["P001", "P002", "P003"]
    index = (out / "index.html").read_text()
    assert "0/3 (0 %)" in index  # responders at week 24: all three patients
    assert '<td class="l">vehicle</td>' in index  # P002's arm in the per-week responder table
    ref = reference.visits[reference.visits["patient_id"] != "P002"].reset_index(drop=True)
    pd.testing.assert_frame_equal(res.visits.drop(columns="overlay"),
                                  ref.drop(columns="overlay"))
    # the lost series is not committed: the same command retries it and completes the run
    monkeypatch.undo()
    again = run_batch(study, out, jobs=2, reports=False)
    assert (again.n_cached, again.n_scored) == (2, 1)
    _same_tables(reference.out, out)


@pytest.mark.parametrize("crash,lost", [("crash_on_p002", ["P002"]),
                                        ("crash_on_first_three", ["P000", "P001", "P002"])])
def test_after_dead_workers_the_rest_of_the_run_goes_on(monkeypatch, crash, lost):
    # 8 series, 2 workers: the series in flight when a worker dies are retried alone, the
    # others go on in a full pool; when every first series dies, a trivial job shows that
    # workers can start, so those series are lost, not the run
    import _worker_crash

    from vasi import batch
    from vasi.batch_series import SeriesTask

    tasks = [SeriesTask(f"P{i:03d}/face-visible", ()) for i in range(8)]
    monkeypatch.setattr(batch, "score_series", getattr(_worker_crash, crash))
    got, gone = [], []
    batch._run_processes(tasks, 2, lambda r: got.append(r["key"]), lambda t: gone.append(t.key))
    assert [k.split("/")[0] for k in sorted(gone)] == lost
    assert sorted(got + gone) == [t.key for t in tasks]


def test_workers_that_cannot_start_stop_the_run_with_the_fix(study, tmp_path, monkeypatch):
    # e.g. run_batch(jobs=2) called from a script without the __main__ guard
    import _worker_crash

    from vasi import batch

    monkeypatch.setattr(batch, "_init_worker", _worker_crash.die_at_start)
    with pytest.raises(vasi.VasiError, match="__name__ == .__main__.*jobs=1"):
        run_batch(study, tmp_path / "out", jobs=2, reports=False)


def test_interrupted_run_resumes_identically(study, reference, tmp_path):
    out = tmp_path / "out"

    def stop_after_first(done, total, info):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(study, out, progress=stop_after_first, reports=False)
    assert json.loads((out / RUN_FILE).read_text())["status"] == "interrupted"
    assert not (out / "tables").exists()
    seen = []
    res = run_batch(study, out, reports=False, progress=lambda d, t, i: seen.append(i))
    assert (res.n_cached, res.n_scored) == (1, 2)
    assert seen[0]["cached"] is True
    _same_tables(reference.out, out)
    # a third run scores nothing; --force scores everything again
    assert run_batch(study, out, reports=False).n_scored == 0
    assert run_batch(study, out, reports=False, force=True).n_scored == 3
    _same_tables(reference.out, out)


def test_changed_photo_rescored_damaged_cache_redone(study, reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference.out, out)
    cache = sorted((out / ".vasi" / "series").rglob("*.pkl"))
    cache[0].write_bytes(b"garbage")
    res = run_batch(study, out, reports=False)
    assert (res.n_cached, res.n_scored) == (2, 1)
    _same_tables(reference.out, out)


def test_foreign_output_refused(study, reference, tmp_path):
    other = make_study(tmp_path / "other", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=9)
    with pytest.raises(OutputConflictError, match="holds results for input"):
        run_batch(other, reference.out)
    junk = tmp_path / "mine"
    junk.mkdir()
    (junk / "thesis.docx").write_text("precious")
    with pytest.raises(OutputConflictError, match="not a vasi results folder"):
        run_batch(other, junk)
    assert (junk / "thesis.docx").read_text() == "precious"
    out = tmp_path / "v"
    shutil.copytree(reference.out, out)
    run = json.loads((out / RUN_FILE).read_text())
    (out / RUN_FILE).write_text(json.dumps({**run, "vasi_version": "0.0.1"}))
    with pytest.raises(OutputConflictError, match="written by vasi '0.0.1'"):
        run_batch(study, out)
    with pytest.raises(OutputConflictError, match=r"other options \(overlays True then, False now\)"):
        run_batch(study, reference.out, overlays=False)


def test_a_run_where_no_photo_can_be_scored_still_reports_every_patient(tmp_path):
    # P1: every photo unreadable; P2: every photo missing (fails validation); P3 scored
    src = make_study(tmp_path / "s", n_patients=3, weeks=(0, 12), shape=SHAPE, rng=5)
    table = pd.read_csv(src)
    for rel in table.loc[table["patient_id"] == "P001", "photo"]:
        (src.parent / rel).write_bytes(b"not a photo")
    for rel in table.loc[table["patient_id"] == "P002", "photo"]:
        (src.parent / rel).unlink()
    res = run_batch(src, tmp_path / "out")
    assert sorted(set(res.visits["patient_id"])) == ["P003"]
    assert res.endpoints["patient_id"].tolist() == ["P001", "P002", "P003"]
    # the errors table gives the week of a photo missing at validation too (it was empty)
    missing = res.errors[res.errors["stage"] == "validate"]
    assert missing["patient_id"].tolist() == ["P002", "P002"]
    assert missing["week"].tolist() == [0.0, 12.0]
    assert res.endpoints["n_visits"].tolist() == [0, 0, 2]
    assert {p.name for p in res.reports} == {"P001.html", "P002.html", "P003.html"}
    assert "0/3 (0 %)" in (tmp_path / "out" / "index.html").read_text()
    # endpoint flags with gaps stay booleans in Parquet (not the strings 'True' / 'False')
    back = pd.read_parquet(tmp_path / "out" / "tables" / "endpoints.parquet")
    assert str(back["f_vasi75_week24"].dtype) in ("bool", "boolean")
    # and when not a single photo of the input can be scored, the reports are still written
    for rel in table.loc[table["patient_id"] == "P003", "photo"]:
        (src.parent / rel).write_bytes(b"not a photo")
    res = run_batch(src, tmp_path / "out2")
    assert res.visits.empty and len(res.reports) == 3
    assert res.endpoints["n_visits"].tolist() == [0, 0, 0]


def test_unwritable_output_folder_is_a_clear_error(study, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(vasi.VasiError, match="cannot write to the output folder .*a_file"):
        run_batch(study, blocker / "out", reports=False)
    # the output given as an existing file, and --force that cannot remove earlier results:
    # clear errors, not a NotADirectoryError / PermissionError traceback
    with pytest.raises(OutputConflictError, match="a_file is a file; the output must be a folder"):
        run_batch(study, blocker, reports=False)


def test_a_patient_removed_from_the_input_leaves_no_outputs_behind(tmp_path):
    # a corrected patient ID or a withdrawn consent: the re-run's tables no longer list the
    # patient, and neither may its report, overlays and cached results stay in the folder
    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=SHAPE, rng=4)
    out = tmp_path / "out"
    run_batch(src, out)
    assert (out / "reports" / "P002.html").is_file() and (out / "overlays" / "P002").is_dir()
    (out / "overlays" / "P001" / ".week0.png.1a2b3c.part").write_bytes(b"half")  # a killed run
    table = pd.read_csv(src)
    table[table["patient_id"] != "P002"].to_csv(src, index=False)
    res = run_batch(src, out)
    assert res.n_cached == 1 and res.n_scored == 0
    assert not (out / "reports" / "P002.html").exists() and not (out / "overlays" / "P002").exists()
    assert not [p for p in (out / ".vasi").rglob("*.pkl") if "P002" in p.as_posix()]
    assert not list(out.rglob("*.part"))
    assert (out / "reports" / "P001.html").is_file() and any((out / "overlays" / "P001").rglob("*.png"))


def test_pruning_keeps_series_that_failed_validation_and_follows_no_reports(tmp_path):
    src = make_study(tmp_path / "s", n_patients=3, weeks=(0, 12), shape=SHAPE, rng=4)
    out = tmp_path / "out"
    run_batch(src, out)
    table = pd.read_csv(src)
    # P002's photos are away (a share not mounted): the series is still in the input, its
    # earlier outputs stay
    for rel in table.loc[table["patient_id"] == "P002", "photo"]:
        (src.parent / rel).unlink()
    res = run_batch(src, out)
    assert "P002" in set(res.errors["patient_id"]) and (out / "overlays" / "P002").is_dir()
    # P003 withdrawn, re-run without reports: the reports of the earlier run go (they would
    # contradict the new tables: they were kept, P003's listed on the cohort page)
    table[table["patient_id"] != "P003"].to_csv(src, index=False)
    run_batch(src, out, reports=False)
    assert not (out / "reports").exists() and not (out / "index.html").exists()
    assert not (out / "overlays" / "P003").exists() and (out / "overlays" / "P001").is_dir()


def test_dask_without_distributed_fails_before_writing_anything(study, tmp_path, monkeypatch):
    import vasi.batch as batch_mod

    monkeypatch.setattr(batch_mod, "_has_distributed", lambda: False)
    with pytest.raises(vasi.VasiError, match="pip install 'vasi\\[dask\\]'"):
        run_batch(study, tmp_path / "out", dask="local")
    assert not (tmp_path / "out").exists()


def test_force_that_cannot_remove_old_results_says_so(study, reference, tmp_path, monkeypatch):
    import vasi.batch as batch_mod

    out = tmp_path / "o"
    shutil.copytree(reference.out, out)

    def refuse(path, *a, **k):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(batch_mod.shutil, "rmtree", refuse)
    with pytest.raises(vasi.VasiError, match="--force cannot remove the earlier results .*Permission denied"):
        run_batch(study, out, force=True, reports=False)


def test_dask_local_cluster_identical(study, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        # by scheduler address, as `vasi batch --dask-scheduler tcp://...` does
        res = run_batch(study, tmp_path / "out", dask=cluster.scheduler_address,
                        reports=False)
    assert res.n_scored == 3
    _same_tables(reference.out, res.out)


def test_dask_worker_that_dies_costs_only_its_series(study, reference, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    import _worker_crash
    import dask

    from vasi import batch

    monkeypatch.setattr(batch, "score_series", _worker_crash.crash_on_p002)
    # Dask gives up on a task after this many dead workers (KilledWorker); 3 by default
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = run_batch(study, tmp_path / "out", dask=client, reports=False)
    assert res.errors.loc[res.errors["stage"] == "worker", "patient_id"].tolist() == ["P002"] * 3
    ref = reference.visits[reference.visits["patient_id"] != "P002"].reset_index(drop=True)
    pd.testing.assert_frame_equal(res.visits.drop(columns="overlay"),
                                  ref.drop(columns="overlay"))


def test_hostile_identifiers_stay_inside_out(tmp_path):
    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=5)
    table = pd.read_csv(src)
    evil = ["../../escape", "<script>alert(1)</script>"]
    rows = []
    for pid in evil:
        for r in table.to_dict("records"):
            rows.append({**r, "patient_id": pid})
    (tmp_path / "s" / "evil.csv").write_text(pd.DataFrame(rows).to_csv(index=False))
    out = tmp_path / "deep" / "out"
    res = run_batch(tmp_path / "s" / "evil.csv", out, use_track=False)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents or (tmp_path / "s") in p.parents for p in written)
    assert len(res.reports) == 2
    for page in res.reports:
        text = page.read_text()
        assert "<script>" not in text and "http://" not in text and "https://" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (out / "index.html").read_text()


def test_track_failure_falls_back_honestly(study, tmp_path, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("registration exploded")

    monkeypatch.setattr(vasi, "track_series", broken, raising=False)
    res = run_batch(study, tmp_path / "out", reports=False, overlays=False)
    assert set(res.visits["method"]) == {"score_photo"}
    fb = res.errors[res.errors["stage"] == "track_series"]
    assert len(fb) == 3 and fb["message"].str.contains("registration exploded").all()
    assert len(res.visits) == 7


@pytest.mark.parametrize("use_track", [False, True])
def test_scale_measured_on_the_marker(tmp_path, use_track):
    # the manifest's marker_mm, else run_batch's, is measured in each photo; mm_per_px wins
    ser = vasi.synth.make_series(rng=5, site="face", skin_type="III", shape=(450, 600),
                                 weeks=(0, 12, 24), marker=True)
    side = ser.baseline.truth.marker["side_mm"]
    for v in ser.visits:
        (tmp_path / f"w{v.truth.week}.jpg").write_bytes(v.jpeg_bytes)
    (tmp_path / "m.csv").write_text("patient_id,week,photo,marker_mm,mm_per_px\n"
                                    f"P1,0,w0.jpg,{side},\nP1,12,w12.jpg,,\nP1,24,w24.jpg,,0.3\n")
    res = run_batch(tmp_path / "m.csv", tmp_path / "out", marker_mm=side, reports=False,
                    use_track=use_track)
    assert set(res.visits["method"]) == {"track_series" if use_track else "score_photo"}
    vis = res.visits.set_index("week")
    assert list(vis["scale_source"]) == ["aruco", "aruco", "given"]
    for v in ser.visits[:2]:
        assert vis.loc[v.truth.week, "mm_per_px"] == pytest.approx(v.truth.mm_per_px, rel=0.03)
    assert vis.loc[24, "mm_per_px"] == 0.3
    assert vis["depigmented_area_cm2"].notna().all()
    # no marker size given: no scale, and the table says why
    res = run_batch(tmp_path / "m.csv", tmp_path / "out2", reports=False, use_track=use_track)
    assert res.visits.set_index("week").loc[12, "scale_source"].startswith("none:")


def test_series_repigmentation_maps_match_the_full_size_masks():
    # the batch draws the repigmentation map from the working-resolution masks: at full size
    # it must be the map of the full-size masks, pixel for pixel
    import vasi
    from vasi.batch_series import _series_maps

    ser = vasi.synth.make_series(rng=500_301, site="forearm", skin_type="III", shape=(300, 400),
                                 weeks=(0, 12), response=0.6)
    imgs = [v.image for v in ser.visits]
    res = vasi.track_series(imgs, weeks=list(ser.weeks), site="body", with_patterns=False,
                            max_side=200)
    assert res.visits["registered"].all() and res.masks.working(0).shape != imgs[0].shape[:2]
    full = _series_maps(res, imgs[0], full=True)[1]
    b, m, v, n = res.masks[0], res.masks[1], res.valid_masks[1], res.new_masks[1]
    ref = (imgs[0].astype(np.float32) * 0.55).astype(np.uint8)  # the former drawing
    ref[~v] = (60, 60, 60)
    ref[b & m & v] = (230, 40, 200)
    ref[b & ~m & v] = (40, 200, 80)
    ref[n & v] = (255, 150, 0)
    assert np.array_equal(full, ref) and (b & ~m & v).any()
    small = _series_maps(res, imgs[0], full=False)[1]
    assert small.shape[:2] == res.masks.working(1).shape


@pytest.mark.parametrize("use_track", [True, False])
def test_visits_table_says_which_scores_to_check(tmp_path, use_track, monkeypatch):
    # a clinician batch-scoring unattended needs one column saying which numbers to look at:
    # a follow-up that is a blank frame (no face: 'face outline not found') is named there
    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=5)
    table = pd.read_csv(src)
    vasi.write_image(src.parent / table.loc[1, "photo"], np.full((*SHAPE, 3), 128, np.uint8))
    if not use_track:  # each photo scored on its own
        monkeypatch.setattr(vasi, "track_series", lambda *a, **k: 1 / 0, raising=False)
    res = run_batch(src, tmp_path / "out", reports=False, overlays=False)
    assert set(res.visits["method"]) == {"track_series" if use_track else "score_photo"}
    v = res.visits.set_index("week")
    assert "face outline not found" in v.loc[12.0, "needs_review"]
    assert set(v.loc[12.0, "needs_review"].split(";")) <= set(v.loc[12.0, "quality_flags"].split(";"))
    assert v.loc[0.0, "needs_review"] in ("", None) or pd.isna(v.loc[0.0, "needs_review"])


def test_a_greyscale_visit_in_visible_light_costs_only_that_visit(tmp_path):
    # greyscale files are read (a Wood's lamp photo may be one); in visible light the batch
    # must refuse that one photo at reading, as before, not lose the series' tracking (and,
    # for a body site, every photo: the fallback crashed on F-VASI None)
    from PIL import Image

    s = vasi.synth.make_series(rng=3, weeks=(0, 12, 24), site="forearm", shape=(240, 320))
    for w, v in zip((0, 12, 24), s.visits, strict=True):
        d = tmp_path / "in" / "P1" / f"week{w:02d}"
        d.mkdir(parents=True)
        if w == 24:
            Image.fromarray(v.image.mean(axis=2).astype(np.uint8)).save(d / "forearm_visible.png")
        else:
            vasi.write_image(d / "forearm_visible.png", v.image)
    res = run_batch(tmp_path / "in", tmp_path / "out", reports=False, overlays=False)
    assert res.visits["week"].tolist() == [0.0, 12.0]
    assert set(res.visits["method"]) == {"track_series"}
    err = res.errors.set_index("week").loc[24.0]
    assert err["stage"] == "read" and "greyscale" in err["message"]


def test_a_body_site_scored_photo_by_photo_keeps_every_photo(tmp_path, monkeypatch):
    s = vasi.synth.make_series(rng=4, weeks=(0, 12), site="forearm", shape=(240, 320))
    for w, v in zip((0, 12), s.visits, strict=True):
        d = tmp_path / "in" / "P1" / f"week{w:02d}"
        d.mkdir(parents=True)
        vasi.write_image(d / "forearm_visible.png", v.image)
    monkeypatch.setattr(vasi, "track_series", lambda *a, **k: 1 / 0, raising=False)
    res = run_batch(tmp_path / "in", tmp_path / "out", reports=False, overlays=False)
    # (add_endpoints took float(None) for a body site's F-VASI: every photo was lost)
    assert res.visits["week"].tolist() == [0.0, 12.0]
    assert set(res.visits["method"]) == {"score_photo"}


def test_a_photo_replaced_by_another_of_the_same_size_and_time_is_rescored(tmp_path):
    # a core lab must trace each number to a file's content: size and modification time
    # alone let a swapped photo (a copy that keeps time stamps) keep the old results
    import os

    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=SHAPE, rng=5)
    table = pd.read_csv(src)
    out = tmp_path / "out"
    first = run_batch(src, out, reports=False, overlays=False)
    digests = dict(zip(first.visits["photo"], first.visits["photo_sha256"], strict=True))
    target = src.parent / table.loc[1, "photo"]  # P001 week 12
    donor = (src.parent / table.loc[3, "photo"]).read_bytes()  # P002's photo
    st = target.stat()
    data = donor[: st.st_size] + b"\0" * max(0, st.st_size - len(donor))
    target.write_bytes(data)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    again = run_batch(src, out, reports=False, overlays=False)
    assert (again.n_cached, again.n_scored) == (1, 1)
    changed = again.visits.set_index("photo")["photo_sha256"]
    assert changed[table.loc[1, "photo"]] != digests[table.loc[1, "photo"]]
    assert changed[table.loc[0, "photo"]] == digests[table.loc[0, "photo"]]


def test_pages_do_not_name_the_root_folder_either(tmp_path):
    src = make_study(tmp_path / "study_of_ana", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=5)
    res = run_batch(src, tmp_path / "out", root=src.parent, overlays=False)
    for page in [*res.reports, tmp_path / "out" / "index.html"]:
        text = page.read_text()
        assert str(tmp_path) not in text and src.name in text, page
    assert "study_of_ana" in res.reports[0].read_text()  # the root option, by its name only


def test_a_photo_replaced_while_the_run_goes_on_is_recorded_as_scored(tmp_path, monkeypatch):
    # a sync client swaps a photo after the run has listed and hashed the input: the tables
    # name the content that was scored, and the next run scores that series again
    import hashlib

    import vasi.batch as batch

    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=SHAPE, rng=5)
    table = pd.read_csv(src)
    target = src.parent / table.loc[1, "photo"]  # P001 week 12
    first_content = target.read_bytes()
    donor = (src.parent / table.loc[3, "photo"]).read_bytes()  # P002 week 12
    listed = batch._tasks

    def swap_after_listing(*args, **kwargs):
        tasks = listed(*args, **kwargs)
        target.write_bytes(donor)
        return tasks

    monkeypatch.setattr(batch, "_tasks", swap_after_listing)
    out = tmp_path / "out"
    first = run_batch(src, out, reports=False, overlays=False)
    monkeypatch.setattr(batch, "_tasks", listed)
    scored = first.visits.set_index("photo")["photo_sha256"]
    assert scored[table.loc[1, "photo"]] == hashlib.sha256(donor).hexdigest()
    again = run_batch(src, out, reports=False, overlays=False)
    assert (again.n_cached, again.n_scored) == (1, 1)
    assert again.visits.set_index("photo")["photo_sha256"].equals(scored)
    # and if the first content comes back, the results of the other are not taken for it
    monkeypatch.setattr(batch, "_tasks", swap_after_listing)
    target.write_bytes(first_content)
    run_batch(src, tmp_path / "out2", reports=False, overlays=False)  # (swapped again)
    monkeypatch.setattr(batch, "_tasks", listed)
    target.write_bytes(first_content)
    back = run_batch(src, tmp_path / "out2", reports=False, overlays=False)
    assert back.n_scored == 1
    assert (back.visits.set_index("photo")["photo_sha256"][table.loc[1, "photo"]]
            == hashlib.sha256(first_content).hexdigest())
    # a photo caught half-written (or gone) fails to read: that error is not kept for the
    # listed content either
    for k, damage in enumerate((lambda: target.write_bytes(first_content[:200]), target.unlink)):
        def damaged_after_listing(*args, damage=damage, **kwargs):
            tasks = listed(*args, **kwargs)
            damage()
            return tasks

        monkeypatch.setattr(batch, "_tasks", damaged_after_listing)
        out3 = tmp_path / f"out3_{k}"
        failed = run_batch(src, out3, reports=False, overlays=False)
        assert failed.errors["stage"].tolist() == ["read"]
        monkeypatch.setattr(batch, "_tasks", listed)
        target.write_bytes(first_content)
        fine = run_batch(src, out3, reports=False, overlays=False)
        assert fine.n_scored == 1 and fine.errors.empty


def test_other_code_rescores_everything_and_the_run_record_says_what_ran(tmp_path, monkeypatch):
    import vasi.batch as batch

    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=SHAPE, rng=5)
    out = tmp_path / "out"
    run_batch(src, out, reports=False, overlays=False)
    run = json.loads((out / RUN_FILE).read_text())
    assert len(run["vasi_source_sha256"]) == 64 and "opencv" in run["library_versions"]
    assert run["started"] <= run["finished"] and run["status"] == "complete"
    assert (run["resumed_series"], run["scored_series"]) == (0, 2)
    real = batch._code_fingerprint()
    monkeypatch.setattr(batch, "_code_fingerprint",
                        lambda: {**real, "vasi_source_sha256": "0" * 64})  # edited code
    res = run_batch(src, out, reports=False, overlays=False)
    assert (res.n_cached, res.n_scored) == (0, 2)  # nothing resumed from the other code


def test_a_wrong_patients_photo_at_week_24_is_held_for_review_and_its_endpoint_says_why(tmp_path):
    # P003's week-24 photo filed under P001: registration refuses it, so the visit has no
    # F-VASI; the data manager needs it in needs_review and the endpoint's reason (it was a
    # silent non-responder with an empty reason)
    import shutil as sh

    src = make_study(tmp_path / "s", n_patients=3, weeks=(0, 12, 24), shape=(240, 320), rng=1)
    t = pd.read_csv(src)
    p1 = t[(t.patient_id == "P001") & (t.week == 24)].photo.iloc[0]
    p2 = t[(t.patient_id == "P003") & (t.week == 24)].photo.iloc[0]
    sh.copyfile(src.parent / p2, src.parent / p1)
    res = run_batch(src, tmp_path / "out", reports=False, overlays=False)
    v = res.visits.set_index(["patient_id", "week"]).loc[("P001", 24.0)]
    assert not v["registered"] and "registration failed" in v["needs_review"]
    e = res.endpoints.set_index("patient_id").loc["P001"]
    assert not e["f_vasi75_week24"] and "week-24 visit not evaluable" in e["reason"]
    assert e["reason"].endswith("(imputed)")


def test_blind_run_shows_no_treatment_arm_anywhere(tmp_path):
    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=SHAPE, rng=5)
    assert set(pd.read_csv(src)["arm"]) == {"cream", "vehicle"}
    out = tmp_path / "out"
    res = run_batch(src, out, blind=True)
    for name in TABLES:
        path = out / "tables" / f"{name}.csv"
        if not path.read_text().strip():  # (an empty errors table)
            continue
        cells = pd.read_csv(path, dtype=str).fillna("").to_numpy()
        assert not ({"cream", "vehicle"} & set(cells.ravel())), name
    for page in [*res.reports, res.index]:
        text = page.read_text()
        assert "vehicle" not in text and "arm cream" not in text, page
    # an unblinded run into the same folder is refused (the two never mix)
    with pytest.raises(OutputConflictError, match="blind True then"):
        run_batch(src, out)


def test_a_site_word_outside_the_vocabulary_is_named(tmp_path, caplog):
    # a folder takes an unknown word of a file name as a body site (sacrum): a person's name
    # there made a face photo a body site without a word; now the run says so
    ph = vasi.synth.make_photo(rng=6, site="face", shape=(120, 160))
    for w in (0, 12):
        d = tmp_path / "in" / "S01-004" / f"week{w:02d}"
        d.mkdir(parents=True)
        vasi.write_image(d / "IMG_20240103_JaneDoe.png", ph.image)
    with caplog.at_level("WARNING", logger="vasi"):
        run_batch(tmp_path / "in", tmp_path / "out", reports=False, overlays=False)
    assert "'janedoe' (2 photos)" in caplog.text and "manifest" in caplog.text
    run = json.loads((tmp_path / "out" / RUN_FILE).read_text())
    assert run["unlisted_sites"] == {"janedoe": 2}


def test_files_left_out_are_listed_and_error_messages_name_the_photo_as_the_tables_do(
        tmp_path, reference):
    ph = vasi.synth.make_photo(rng=6, site="face", shape=(120, 160))
    d = tmp_path / "in" / "P1" / "week00"
    d.mkdir(parents=True)
    vasi.write_image(d / "face_visible.jpg", ph.image)
    (d / "face_visible.jpg").rename(d / "face_visible.jfif")  # a JPEG by another name
    (d / "notes.txt").write_text("seen by Dr X")
    res = run_batch(tmp_path / "in", tmp_path / "out", reports=False, overlays=False)
    assert res.visits["photo"].tolist() == ["P1/week00/face_visible.jfif"]
    run = json.loads((tmp_path / "out" / RUN_FILE).read_text())
    assert run["skipped_files"] == ["P1/week00/notes.txt"]
    # an output folder inside the input folder is not part of the input on the next run
    # (its tables and reports were listed as files left out, its overlays could be photos)
    res = run_batch(tmp_path / "in", tmp_path / "in" / "out", reports=False)
    again = run_batch(tmp_path / "in", tmp_path / "in" / "out", reports=False)
    assert again.n_cached == 1 and again.visits.equals(res.visits)
    run = json.loads((tmp_path / "in" / "out" / RUN_FILE).read_text())
    assert run["skipped_files"] == ["P1/week00/notes.txt"]
    # the errors table does not depend on where (or how) the input was given
    msgs = reference.errors["message"].tolist()
    assert msgs and not any(str(reference.out.parent.parent) in m for m in msgs)
    assert any("photos/P002/week24/face_visible.jpg" in m for m in msgs)


def test_a_full_disk_is_a_clear_error_and_the_run_resumes(tmp_path, monkeypatch):
    import errno

    import vasi._atomic as atomic

    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=SHAPE, rng=5)
    real, committed = atomic.write_bytes, []

    def fills_up(path, data, *a, **k):  # the disk fills up once the first series is committed
        if committed:
            raise OSError(errno.ENOSPC, "No space left on device")  # (as write() gives it)
        out = real(path, data, *a, **k)
        if str(path).endswith(".pkl"):
            committed.append(path)
        return out

    monkeypatch.setattr(atomic, "write_bytes", fills_up)
    with pytest.raises(vasi.VasiError, match="No space left on device.*run the same command again"):
        run_batch(src, tmp_path / "out", reports=False)
    monkeypatch.setattr(atomic, "write_bytes", real)
    res = run_batch(src, tmp_path / "out", reports=False)
    assert (res.n_cached, res.n_scored) == (1, 1) and len(res.visits) == 4


def test_every_column_of_the_tables_is_in_the_data_dictionary(study, reference, tmp_path):
    dd = pd.read_csv(reference.out / "tables" / "data_dictionary.csv", keep_default_na=False)
    loose = run_batch(study, tmp_path / "loose", reports=False, overlays=False, use_track=False)
    for res in (reference, loose):
        for name in TABLES:
            cols = set(getattr(res, name).columns)
            documented = set(dd.loc[(dd.table == name) & (dd.description != ""), "column"])
            if res is loose:
                from vasi.dictionary import COLUMNS

                documented = {c for c, (_, text) in COLUMNS[name].items() if text}
            assert cols <= documented, (name, sorted(cols - documented))
    # the values a column takes are the ones its description names
    text = {(t, c): d for t, c, d in zip(dd.table, dd.column, dd.description, strict=True)}
    for res in (reference, loose):
        for table, col in (("visits", "reg_method"), ("visits", "region_method"),
                           ("visits", "method"), ("scores", "hu_method"), ("errors", "stage")):
            df = getattr(res, table)
            for value in (set(df[col].dropna()) - {""}) if col in df else ():
                assert f"{value}" in text[(table, col)], (table, col, value)
    rules = dict(zip(dd.loc[dd.table == "rules", "column"], dd.loc[dd.table == "rules", "description"], strict=True))
    assert "within 2 weeks" in rules["week-24 check"] and "imputation" in rules["missing week 24"]


def test_the_code_fingerprint_follows_the_source_and_ignores_stray_files(tmp_path):
    import vasi.batch as batch

    pkg = tmp_path / "vasi"
    shutil.copytree(Path(batch.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    first = batch._code_fingerprint(pkg)["vasi_source_sha256"]
    (pkg / ".#batch.py").symlink_to(tmp_path / "nowhere")  # an editor's lock file
    (pkg / ".ipynb_checkpoints").mkdir()
    (pkg / ".ipynb_checkpoints" / "x.py").write_text("scratch")
    assert batch._code_fingerprint(pkg)["vasi_source_sha256"] == first
    (pkg / "scores.py").write_text((pkg / "scores.py").read_text() + "\n# edited\n")
    assert batch._code_fingerprint(pkg)["vasi_source_sha256"] != first


def test_week24_reason_tells_an_ongoing_series_and_an_unreadable_photo_apart():
    from vasi.batch_summary import endpoints_table

    v = pd.DataFrame({"patient_id": ["P1"] * 2, "arm": [""] * 2, "site": ["face"] * 2,
                      "modality": ["visible"] * 2, "week": [0.0, 12.0], "f_vasi": [1.0, 0.2]})
    assert "follow-up ends at week 12" in endpoints_table(v).loc[0, "reason"]
    lost = pd.DataFrame({"patient_id": ["P1"], "site": ["face"], "modality": ["visible"],
                         "week": [24.0]})
    assert "week-24 photo could not be scored" in endpoints_table(v, errors=lost).loc[0, "reason"]


def test_an_endpoint_resting_on_a_photo_to_check_says_so():
    # a week-24 photo flagged for review (here: too dark) made a responder with an empty
    # reason, counted in the cohort's responders like any other
    import re

    from vasi.batch_summary import endpoints_table
    from vasi.report import cohort_report, patient_report

    v = pd.DataFrame({"patient_id": ["P1"] * 3 + ["P2"] * 3, "arm": [""] * 6,
                      "site": ["face"] * 6, "modality": ["visible"] * 6,
                      "visit": ["week0", "week12", "week24"] * 2,
                      "week": [0.0, 12.0, 24.0] * 2, "f_vasi": [1.0, 0.6, 0.1, 1.0, 0.9, 0.8],
                      "needs_review": ["", "", "normal skin too dark", "", "colour cast", ""]})
    e = endpoints_table(v).set_index("patient_id")
    assert e.loc["P1", "f_vasi75_week24"] and e.loc["P1", "week24_needs_review"]
    assert e.loc["P1", "review_weeks"] == "24"
    assert "week 24: normal skin too dark" in e.loc["P1", "reason"]
    # a flagged week-12 photo does not decide the week-24 endpoint: listed, not noted
    assert not e.loc["P2", "week24_needs_review"] and e.loc["P2", "review_weeks"] == "12"
    assert e.loc["P2", "reason"] == ""
    page = cohort_report({"visits": v, "endpoints": e.reset_index(), "errors": pd.DataFrame(
        columns=["patient_id"])}, {"P1": "P1.html", "P2": "P2.html"})
    assert "resting on a photo to check before use" in page and "use (the baseline" in page
    assert re.search(r"check before use \(the baseline.*?\): P1</p>", page)
    assert ">F-VASI75<" in page and ">f_vasi75<" not in page  # (responders by arm and week)
    assert "1 photo(s) to check before use" in patient_report("P1", v[v.patient_id == "P1"])


def test_the_patch_columns_of_a_photo_with_a_scale_are_in_the_data_dictionary():
    # the batch tests' studies have no scale, so the mm columns never showed up there and
    # were missing from the dictionary
    from vasi.dictionary import COLUMNS
    from vasi.measure import patches
    from vasi.patterns import patterns
    from vasi.track import track

    base = np.zeros((60, 60), bool)
    base[10:50, 10:50] = True
    follow = base.copy()
    follow[20:24, 20:24] = follow[30:34, 36:40] = follow[10:50, 10:14] = False
    cols = set(track(base, follow, mm_per_px=0.5).patches.columns)
    cols |= set(patterns(base.astype(np.int32), follow, mm_per_px=0.5).columns)
    cols |= set(patches(base, mm_per_px=0.5).columns)
    documented = {c for c, (_, text) in COLUMNS["patches"].items() if text}
    assert cols <= documented, sorted(cols - documented)


def test_an_empty_photo_is_an_error_once_and_its_series_resumes(tmp_path, caplog):
    # the empty file was refused before its digest was recorded: the series was taken for
    # changed during the run, scored again on every run, with a false warning
    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=5)
    (src.parent / pd.read_csv(src)["photo"].iloc[1]).write_bytes(b"")
    first = run_batch(src, tmp_path / "out", reports=False, overlays=False)
    assert first.errors["message"].str.contains(r"file is empty \(0 bytes\)").all()
    with caplog.at_level("WARNING", logger="vasi"):
        again = run_batch(src, tmp_path / "out", reports=False, overlays=False)
    assert (again.n_cached, again.n_scored) == (1, 0)
    assert "changed after the run started" not in caplog.text


def test_the_overlays_of_a_visit_removed_from_the_input_go_too(tmp_path):
    # _prune removed only whole series: a removed (or renamed) visit's overlays stayed
    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12, 24), shape=SHAPE, rng=4)
    out = tmp_path / "out"
    run_batch(src, out, reports=False)
    folder = out / "overlays" / "P001" / "face-visible"
    assert {p.name for p in folder.iterdir()} >= {"week24.png", "week24_repigmentation.png"}
    table = pd.read_csv(src)
    table[table["week"] != 24].to_csv(src, index=False)
    res = run_batch(src, out, reports=False)
    assert sorted(p.relative_to(out).as_posix() for p in folder.iterdir()) == sorted(
        [*res.visits["overlay"], *res.visits["repigmentation_map"].dropna()])
    again = run_batch(src, out, reports=False)  # (what it keeps resumes)
    assert again.n_cached == 1


def test_a_run_without_reports_leaves_no_stale_report_and_an_interrupted_one_says_so(
        tmp_path, monkeypatch):
    # --no-reports kept the pages of the run before, contradicting the updated tables; a run
    # stopped while it wrote the tables left its record saying 'running'
    import vasi.batch as batch

    src = make_study(tmp_path / "s", n_patients=1, weeks=(0, 12), shape=SHAPE, rng=4)
    out = tmp_path / "out"
    run_batch(src, out, overlays=False)
    assert (out / "reports" / "P001.html").is_file()

    def stopped(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "data_dictionary", stopped)  # (after the first tables)
    with pytest.raises(KeyboardInterrupt):
        run_batch(src, out, overlays=False, reports=False)
    assert json.loads((out / RUN_FILE).read_text())["status"] == "interrupted"
    monkeypatch.undo()
    run_batch(src, out, overlays=False, reports=False)
    assert not (out / "reports").exists() and not (out / "index.html").exists()
    assert json.loads((out / RUN_FILE).read_text())["status"] == "complete"


def test_a_greyscale_photo_in_a_batch_is_told_how_a_batch_names_a_woods_photo(tmp_path):
    # the hint was vasi score's '--modality woods', an option vasi batch does not have
    from vasi.batch_series import _read

    photo = tmp_path / "P1" / "week00" / "face_visible.png"
    photo.parent.mkdir(parents=True)
    vasi.write_image(photo, np.dstack([np.arange(4800, dtype=np.uint8).reshape(60, 80)] * 3))
    row = dict(patient_id="P1", site="face", modality="visible", visit="week00", week=0.0,
               photo=str(photo), photo_rel="P1/week00/face_visible.png")
    errors = []
    assert _read(row, errors) is None
    msg = errors[0]["message"]
    assert "greyscale" in msg and "--modality" not in msg
    assert "face_woods.jpg" in msg and "modality 'woods' in the manifest" in msg


def test_a_failed_registration_is_logged_with_its_series(tmp_path, caplog):
    # the warning said 'week 24.0: registration failed', naming no patient
    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=(240, 320), rng=1)
    t = pd.read_csv(src)
    shutil.copyfile(src.parent / t.photo.iloc[3], src.parent / t.photo.iloc[1])  # P002's
    with caplog.at_level("WARNING", logger="vasi"):
        res = run_batch(src, tmp_path / "out", reports=False, overlays=False)
    assert not res.visits.set_index(["patient_id", "week"]).loc[("P001", 12.0), "registered"]
    assert "series P001/face-visible: week 12: registration failed" in caplog.text
    assert "series P002" not in caplog.text


def test_endpoint_flags_of_a_failed_registration_are_na_and_empty_in_the_outputs(tmp_path):
    # the visits' F-VASI50/75/90 are nullable booleans: <NA> where undefined, an empty CSV
    # field, a boolean Parquet column, and a dash (not '<NA>') in the patient's page
    from vasi.demo import demo_table

    src = make_study(tmp_path / "s", n_patients=2, weeks=(0, 12), shape=(240, 320), rng=1)
    t = pd.read_csv(src)
    shutil.copyfile(src.parent / t.photo.iloc[3], src.parent / t.photo.iloc[1])  # P002's
    res = run_batch(src, tmp_path / "out", overlays=False)
    v = res.visits.set_index(["patient_id", "week"])
    assert not v.loc[("P001", 12.0), "registered"]
    flags = ["f_vasi50", "f_vasi75", "f_vasi90"]
    for c in flags:
        assert str(res.visits[c].dtype) == "boolean"
        assert v.loc[("P001", 12.0), c] is pd.NA and not v.loc[("P001", 0.0), c]
    assert v.loc[("P002", 12.0), flags].notna().all()
    raw = pd.read_csv(tmp_path / "out" / "tables" / "visits.csv", dtype=str,
                      keep_default_na=False).set_index(["patient_id", "week"])
    assert raw.loc[("P001", "12.0"), flags].tolist() == ["", "", ""]
    assert raw.loc[("P001", "0.0"), flags].tolist() == ["False"] * 3
    back = pd.read_parquet(tmp_path / "out" / "tables" / "visits.parquet")
    assert all(str(back[c].dtype) in ("bool", "boolean") for c in flags)
    assert back[flags].isna().sum().tolist() == [1, 1, 1]
    page = (tmp_path / "out" / "reports" / "P001.html").read_text()
    assert "<b>F-VASI75</b>–</div>" in page and "NA&gt;" not in page and "<NA>" not in page
    assert demo_table(res.visits)["F-VASI75"].tolist()[:2] == ["no", "-"]


def test_best_change_is_over_the_follow_ups_only():
    # a patient who only worsened had a best change of 0.0 (the baseline against itself)
    from vasi.batch_summary import endpoints_table

    v = pd.DataFrame({"patient_id": ["P1"] * 3 + ["P2"], "arm": [""] * 4, "site": ["face"] * 4,
                      "modality": ["visible"] * 4, "week": [0.0, 12.0, 24.0, 0.0],
                      "f_vasi": [0.5, 0.6, 0.75, 0.5]})
    e = endpoints_table(v).set_index("patient_id")
    assert e.loc["P1", "best_pct_change"] == pytest.approx(20.0)
    assert np.isnan(e.loc["P2", "best_pct_change"])  # no follow-up yet


@pytest.mark.parametrize("use_track", [True, False])
def test_the_visits_table_and_report_say_which_photos_were_colour_converted(tmp_path, use_track):
    # an iPhone's photos carry a Display P3 profile, converted to sRGB on reading: an
    # auditor must see which photos were converted and from what, beside the photo's other
    # provenance (photo_sha256, scale_source); untagged and sRGB-tagged photos say so too
    from PIL import Image, ImageCms
    from test_io import _icc_rgb_profile

    manifest = make_study(tmp_path / "study", n_patients=1, weeks=(0, 12, 24), shape=SHAPE, rng=5)
    photos = pd.read_csv(manifest)["photo"].tolist()
    p3, _ = _icc_rgb_profile(name="Display P3")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for rel, icc in ((photos[0], p3), (photos[2], srgb)):
        path = manifest.parent / rel
        Image.open(path).convert("RGB").save(path, "JPEG", quality=95, icc_profile=icc)
    res = run_batch(manifest, tmp_path / "out", overlays=False, use_track=use_track)
    assert res.ok and len(res.visits) == 3
    v = res.visits.set_index("week")
    assert v["colour_profile"].tolist() == ["Display P3", "", "sRGB built-in"]
    assert v["colour_converted"].tolist() == [True, False, False]
    back = pd.read_csv(res.out / "tables" / "visits.csv", keep_default_na=False)
    assert back["colour_profile"].tolist() == ["Display P3", "", "sRGB built-in"]
    dd = pd.read_csv(res.out / "tables" / "data_dictionary.csv", keep_default_na=False)
    described = dd.loc[dd.table == "visits"].set_index("column")["description"]
    assert "converted from that profile to sRGB" in described["colour_converted"]
    # the report's visit card names a converted photo's source profile (only that one)
    html = (res.out / "reports" / "P001.html").read_text()
    assert html.count("Display P3 (converted to sRGB)") == 1 and "sRGB built-in" not in html
