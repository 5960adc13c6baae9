"""Close-ups: body-site photos whose skin fills the frame.

A clinician often photographs a patch from near, and the skin then reaches the frame on
every side: there is no background, and the frame's border is the skin itself. For
synthetic trunk and forearm photos (types I-VI, visible light and Wood's lamp, one of each
per seed) this crops the largest 4:3 box around the site's centre that is at least
``SKIN_SHARE`` skin, finds the region in the crop alone (``vasi.find_region(site="body")``)
and compares it with the true skin there (IoU); ``vasi.score_photo`` on the crop gives the
depigmented fraction of its region, compared with the true share of the skin that is
depigmented (absolute error). Seeds start at ``SEED0`` (disjoint from
the tests, the samples and the accuracy benchmark).

    python benchmarks/close_ups.py [--seed0 3000000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from vasi import score_photo, synth
from vasi._atomic import write_text
from vasi.roi import find_region

SEED0 = 3_000_000
TYPES = ("I", "II", "III", "IV", "V", "VI")
MODALITIES = ("visible", "woods")
SITES = ("trunk", "forearm")
#: Half-heights (px of the 900 x 1200 photo) of the boxes tried, largest first.
HALF_HEIGHTS = (150, 120, 90, 60, 45)
#: A crop is a close-up when at least this share of it is skin.
SKIN_SHARE = 0.97


def _iou(a, b) -> float:
    u = int((a | b).sum())
    return 1.0 if u == 0 else int((a & b).sum()) / u


def crop_close_up(photo):
    """The largest 4:3 crop around the site's centre that is ``SKIN_SHARE`` skin: (image,
    true skin, true depigmented skin), or None."""
    skin = photo.truth.roi_mask | photo.truth.depig_mask
    ys, xs = np.nonzero(photo.truth.roi_mask)
    cy, cx = int(np.median(ys)), int(np.median(xs))
    for hh in HALF_HEIGHTS:
        hw = 4 * hh // 3
        if cy < hh or cx < hw:
            continue
        box = (slice(cy - hh, cy + hh), slice(cx - hw, cx + hw))
        if skin[box].shape == (2 * hh, 2 * hw) and skin[box].mean() >= SKIN_SHARE:
            return np.ascontiguousarray(photo.image[box]), skin[box], photo.truth.depig_mask[box]
    return None


def run(seed0: int = SEED0) -> list[dict]:
    """One row per (modality, skin type, site)."""
    rows = []
    for m, modality in enumerate(MODALITIES):
        for t, skin_type in enumerate(TYPES):
            for s, site in enumerate(SITES):
                seed = seed0 + 100 * t + 10 * m + s
                ph = synth.make_photo(rng=seed, site=site, skin_type=skin_type, modality=modality,
                                      shape=(900, 1200), background="dark")
                crop = crop_close_up(ph)
                if crop is None:
                    continue
                image, truth, depig = crop
                region = find_region(image, site="body", modality=modality)
                fraction = float(score_photo(image, site="body", modality=modality).depigmented_fraction)
                share = float(depig.sum() / truth.sum())
                rows.append(dict(seed=seed, modality=modality, skin_type=skin_type, site=site,
                                 shape=list(image.shape[:2]), iou=_iou(region, truth),
                                 depig_share=share, fraction_abs_err=abs(fraction - share)))
    return rows


def metrics(rows) -> dict:
    """Mean region IoU, how many close-ups reach IoU 0.9 and the median absolute error of
    the depigmented fraction, per modality and site."""
    out = {}
    for modality in MODALITIES:
        for site in SITES:
            sel = [r for r in rows if r["modality"] == modality and r["site"] == site]
            out[f"{modality}_{site}"] = {
                "n": len(sel),
                "region_iou_mean": float(np.mean([r["iou"] for r in sel])) if sel else None,
                "iou_at_least_0.9": int(sum(r["iou"] >= 0.9 for r in sel)),
                "fraction_abs_err_median": float(np.median([r["fraction_abs_err"] for r in sel])) if sel else None,
            }
    out["cases"] = rows
    out["settings"] = {"half_heights": list(HALF_HEIGHTS), "skin_share": SKIN_SHARE}
    return out


def print_table(res: dict) -> None:
    print("close-ups (the skin fills the frame): body region IoU against the true skin, "
          "depigmented fraction's absolute error")
    print(f"{'modality':9s} {'site':8s} {'n':>3s} {'IoU':>6s} {'>=0.9':>6s} {'frac err':>9s}")
    for key, m in res.items():
        if key in ("cases", "settings"):
            continue
        modality, site = key.split("_")
        if not m["n"]:
            print(f"{modality:9s} {site:8s}   0      -      -         -")
            continue
        print(f"{modality:9s} {site:8s} {m['n']:3d} {m['region_iou_mean']:6.3f} {m['iou_at_least_0.9']:6d} "
              f"{m['fraction_abs_err_median']:9.3f}")
    print("per photo: " + ", ".join(f"{r['modality'][0]}{r['skin_type']}{r['site'][0]} {r['iou']:.2f}"
                                    for r in res["cases"]))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed0", type=int, default=SEED0)
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    args = ap.parse_args(argv)
    res = metrics(run(args.seed0))
    res["settings"]["seed0"] = args.seed0
    print_table(res)
    if args.json:
        write_text(args.json, json.dumps(res, indent=2, sort_keys=True))  # (atomic; makes the folder)
    return res


if __name__ == "__main__":
    main()
