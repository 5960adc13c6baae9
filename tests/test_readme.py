"""The README's Python examples run as written (from the repository root layout)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_ten_line_example_runs(tmp_path, monkeypatch, capsys):
    block = _python_blocks()[0]
    assert len([ln for ln in block.splitlines() if ln.strip()]) <= 10
    (tmp_path / "sample_images").symlink_to(ROOT / "sample_images")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "F-VASI:" in out and "depigmented:" in out
    assert (tmp_path / "overlay.png").stat().st_size > 0


def test_series_example_runs(tmp_path, monkeypatch):
    block = _python_blocks()[1]
    monkeypatch.chdir(ROOT)
    photos = sorted((ROOT / "sample_images" / "photos" / "P001").glob("week*/face_visible.jpg"))
    ns = {"paths": photos, "vasi": __import__("vasi")}
    exec(compile(block, "README.md", "exec"), ns)
    visits = ns["series"].visits
    assert list(visits["week"]) == [0, 12, 24, 36, 52]
    assert np.isfinite(visits["f_vasi"]).all()


def test_application_example_runs():
    import json

    import vasi

    block = _python_blocks()[2]
    assert "upload_bytes" in block
    photo = ROOT / "sample_images" / "photos" / "P001" / "week00" / "face_visible.jpg"
    ns = {"upload_bytes": photo.read_bytes(), "vasi": vasi}
    exec(compile(block, "README.md", "exec"), ns)
    record = json.loads(ns["record"])
    assert record["scored"] and record["needs_review"] == []
    assert record["f_vasi"] == vasi.score_photo(photo, site="face").f_vasi


def test_the_ladder_numbers_quoted_for_sample_p001_are_current():
    import vasi
    from vasi.calibrate import resolve_scale

    text = " ".join((ROOT / "README.md").read_text().split())
    m = re.search(r"the two give ([\d.]+) and ([\d.]+), while the continuous F-VASI is "
                  r"([\d.]+) and ([\d.]+)", text)
    photos = [vasi.read_photo(ROOT / "sample_images" / "photos" / "P001" / f"week{w}" /
                              "face_visible.jpg") for w in ("00", "12")]
    mm = [resolve_scale(p, marker_mm=30)[0] for p in photos]
    one = vasi.score_photo(photos[0], site="face", mm_per_px=mm[0])
    base = vasi.track_series(photos, weeks=[0, 12], site="face", mm_per_px=mm,
                             with_patterns=False).visits.iloc[0]
    assert (f"{one.f_vasi_clinical:.2f}", f"{base.f_vasi_clinical:.2f}") == (m[1], m[2])
    assert (f"{one.f_vasi:.3f}", f"{base.f_vasi:.3f}") == (m[3], m[4])
