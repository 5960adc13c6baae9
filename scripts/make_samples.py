"""Regenerate ``sample_images/``: three synthetic patients with exact ground truth.

Usage (from the repository root)::

    .venv/bin/python scripts/make_samples.py [--out sample_images]

* ``P001``: face, visible light, weeks 0/12/24/36/52, good responder (reaches F-VASI75 by
  truth), ArUco marker and colour chart in frame.
* ``P002``: forearm, visible light, weeks 0/12/24/36/52, poor responder (never F-VASI75-like
  75 % repigmentation), ArUco marker.
* ``P003``: face, Wood's lamp, weeks 0/24/52.

Fixed seeds; the first seed (from ``SEEDS``) meeting the patient's response criterion is used,
so the output is deterministic.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vasi import synth  # noqa: E402

SHAPE = (900, 1200)
WEEKS = (0, 12, 24, 36, 52)

PATIENTS = {
    "P001": dict(seed=20260001, site="face", modality="visible", skin_type="IV", weeks=WEEKS, response=0.97,
                 pattern="mixed", marker=True, chart=True, background="dark", n_patches=5, extent=1.5),
    "P002": dict(seed=20260101, site="forearm", modality="visible", skin_type="II", weeks=WEEKS, response=0.35,
                 pattern="marginal", marker=True, chart=False, background="dark"),
    "P003": dict(seed=20260201, site="face", modality="woods", skin_type="V", weeks=(0, 24, 52), response=0.7,
                 pattern="perifollicular", marker=True, chart=False, background="dark"),
}


def _criterion(pid: str, s) -> bool:
    f = [v.truth.f_vasi for v in s.visits]
    rep = [v.truth.repigmentation_pct for v in s.visits]
    base = s.baseline.truth
    H, W = s.baseline.image.shape[:2]
    for v in s.visits:  # the whole marker in frame at every visit
        c = v.truth.marker["corners_px"] if v.truth.marker else None
        if c is not None and (c.min() < 25 or c[:, 0].max() > W - 25 or c[:, 1].max() > H - 25):
            return False
    if base.depig_fraction < 0.08 or base.depig_fraction > 0.45:
        return False
    if pid == "P001":
        return f[0] >= 0.6 and f[-1] <= 0.25 * f[0] and f[2] > 0.25 * f[0]  # F-VASI75 at week 52, not yet at 24
    if pid == "P002":
        return max(rep) < 60.0
    return True


def make_patient(pid: str, *, tries: int = 20):
    """The series of one sample patient (deterministic)."""
    spec = dict(PATIENTS[pid])
    seed0 = spec.pop("seed")
    for k in range(tries):
        s = synth.make_series(rng=seed0 + k, shape=SHAPE, jpeg_quality=92, **spec)
        if _criterion(pid, s):
            return s, seed0 + k
    raise RuntimeError(f"no seed in {seed0}..{seed0 + tries - 1} meets the criterion of {pid}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "sample_images")
    args = ap.parse_args(argv)
    out: Path = args.out
    for sub in ("photos", "truth"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    manifest, truth_rows, patch_rows = [], [], []
    for pid, _spec in PATIENTS.items():
        s, seed = make_patient(pid)
        for v in s.visits:
            t = v.truth
            rel = Path("photos") / pid / f"week{t.week:02d}" / f"{t.site}_{t.modality}.jpg"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(v.jpeg_bytes)
            tdir = out / "truth" / pid / f"week{t.week:02d}"
            tdir.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(tdir / "depig_mask.png"), t.depig_mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
            cv2.imwrite(str(tdir / "roi_mask.png"), t.roi_mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
            manifest.append(dict(patient_id=pid, week=t.week, site=t.site, modality=t.modality, photo=rel.as_posix(),
                                 marker_mm=f'{t.marker["side_mm"]:g}' if t.marker else None))
            row = dict(patient_id=pid, photo=rel.as_posix(), seed=seed, response=s.response, pattern=s.pattern)
            row.update(t.scalars())
            row["transform"] = ";".join(f"{x:.6g}" for x in t.transform.ravel())
            truth_rows.append(row)
            for _, p in t.patches.iterrows():
                patch_rows.append(dict(patient_id=pid, week=t.week, **p.to_dict()))
    pd.DataFrame(manifest).to_csv(out / "manifest.csv", index=False)
    pd.DataFrame(truth_rows).to_csv(out / "truth.csv", index=False, float_format="%.6g")
    pd.DataFrame(patch_rows).to_csv(out / "truth_patches.csv", index=False, float_format="%.6g")


if __name__ == "__main__":
    main()
