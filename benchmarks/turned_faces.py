"""Turned face photos: the facial region of a photo on its side or upside down.

A photo whose orientation tag was lost (an export, a scan, a messaging app) reaches the
library turned by a quarter or half turn. For synthetic face photos (types I-VI, visible
light and Wood's lamp) this compares the region found in each turned photo with the true
region turned alike (IoU), and counts how often the region came from the turned search
(``vasi.roi.FACE_TURNED``). Seeds start at ``SEED0`` (disjoint from the tests, the samples
and the accuracy benchmark).

    python benchmarks/turned_faces.py [--n 12] [--seed0 7000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from vasi import synth
from vasi._atomic import write_text
from vasi.roi import FACE_TURNED, find_region

SEED0 = 7_000
TYPES = ("I", "II", "III", "IV", "V", "VI")
TURNS = (0, 1, 2, 3)


def _iou(a, b) -> float:
    u = int((a | b).sum())
    return 1.0 if u == 0 else int((a & b).sum()) / u


def run(n: int, seed0: int = SEED0) -> list[dict]:
    """One row per (photo, modality, quarter turns)."""
    rows = []
    for seed in range(seed0, seed0 + n):
        for modality in ("visible", "woods"):
            ph = synth.make_photo(rng=seed, skin_type=TYPES[seed % len(TYPES)], site="face",
                                  modality=modality, shape=(600, 800))
            for turns in TURNS:
                image = np.ascontiguousarray(np.rot90(ph.image, turns))
                region, method = find_region(image, site="face", modality=modality, return_method=True)
                rows.append(dict(seed=seed, modality=modality, degrees=90 * turns, method=method,
                                 iou=_iou(region, np.rot90(ph.truth.roi_mask, turns))))
    return rows


def metrics(rows) -> dict:
    """Mean region IoU and share found by the turned search, per modality and angle."""
    out = {}
    for modality in ("visible", "woods"):
        for deg in (90 * t for t in TURNS):
            sel = [r for r in rows if r["modality"] == modality and r["degrees"] == deg]
            out[f"{modality}_{deg}"] = {
                "n": len(sel),
                "region_iou_mean": float(np.mean([r["iou"] for r in sel])),
                "iou_at_least_0.7": int(sum(r["iou"] >= 0.7 for r in sel)),
                "found_turned": int(sum(r["method"] == FACE_TURNED for r in sel)),
            }
    return out


def print_table(res: dict) -> None:
    print("turned face photos: facial region IoU against the truth turned alike")
    print(f"{'modality':9s} {'turn':>5s} {'n':>3s} {'IoU':>6s} {'>=0.7':>6s} {'turned':>7s}")
    for key, m in res.items():
        modality, deg = key.split("_")
        print(f"{modality:9s} {deg:>5s} {m['n']:3d} {m['region_iou_mean']:6.3f} "
              f"{m['iou_at_least_0.7']:6d} {m['found_turned']:7d}")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=12, help="photos per modality (default 12)")
    ap.add_argument("--seed0", type=int, default=SEED0)
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    args = ap.parse_args(argv)
    res = metrics(run(args.n, args.seed0))
    print_table(res)
    if args.json:
        write_text(args.json, json.dumps(res, indent=2, sort_keys=True))  # (atomic; makes the folder)
    return res


if __name__ == "__main__":
    main()
