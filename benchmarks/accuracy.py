"""Accuracy benchmark: the public pipeline on a fresh seeded set of synthetic clinical photos.

Usage::

    .venv/bin/python benchmarks/accuracy.py [--quick] [--json PATH] [--overlays DIR]

Generates cases with :mod:`vasi.synth` (seeds 900000+, disjoint from the tests and from
``sample_images``): every Fitzpatrick type x visible / Wood's lamp x face / body site, with
camera and light variation, dark / light / busy backgrounds, some partially repigmented
patches; plus a few serial series. Runs ``vasi.score_photo`` on each photo (and
``vasi.track_series`` on the series when it exists), prints a table and writes JSON with at
least ``dice_mean, iou_mean, dice_by_type, dice_by_modality, dice_by_site,
area_rel_err_median, fvasi_abs_err_median, repig_abs_err_median, n_cases, seconds_per_mp``.

Each metric group is one function ``<group>_metrics(...) -> dict``; ``main`` merges their
dicts. Add a group by writing a function and listing it in ``main``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vasi  # noqa: E402
from vasi import synth  # noqa: E402

TYPES = ("I", "II", "III", "IV", "V", "VI")
MODALITIES = ("visible", "woods")
SEED0 = 900_000


# --------------------------------------------------------------------------- cases
def photo_cases(quick: bool) -> list[dict]:
    """Specs of single-photo cases (deterministic)."""
    rng = np.random.default_rng(SEED0)
    reps = 1 if quick else 3
    shape = (600, 800) if quick else (900, 1200)
    cases = []
    i = nb = 0
    for _rep in range(reps):
        for st in TYPES:
            for mod in MODALITIES:
                for group in ("face", "body"):
                    site = "face"
                    if group == "body":
                        site = ("forearm", "trunk")[nb % 2]
                        nb += 1
                    cases.append(dict(
                        seed=SEED0 + 1 + i, skin_type=st, modality=mod, site=site, shape=shape,
                        background=str(rng.choice(["dark", "light", "busy"], p=[0.6, 0.2, 0.2])),
                        marker=bool(rng.random() < 0.5), chart=bool(rng.random() < 0.3),
                        repigmented=float(rng.choice([0.0, 0.0, 0.3, 0.6])),
                    ))
                    i += 1
    return cases


def series_cases(quick: bool) -> list[dict]:
    """Specs of serial cases (deterministic)."""
    shape = (600, 800) if quick else (900, 1200)
    base = [
        dict(seed=SEED0 + 5001, site="face", skin_type="IV", modality="visible", response=0.9, pattern="perifollicular"),
        dict(seed=SEED0 + 5002, site="forearm", skin_type="II", modality="visible", response=0.4, pattern="marginal"),
        dict(seed=SEED0 + 5003, site="face", skin_type="VI", modality="woods", response=0.7, pattern="mixed"),
        dict(seed=SEED0 + 5004, site="trunk", skin_type="III", modality="visible", response=0.6, pattern="diffuse", relapse=True),
    ]
    weeks = (0, 24, 52) if quick else (0, 12, 24, 36, 52)
    out = base[:1] if quick else base
    return [dict(c, shape=shape, weeks=weeks, marker=True) for c in out]


# --------------------------------------------------------------------------- helpers
def _dice(a, b):
    s = int(a.sum()) + int(b.sum())
    return 1.0 if s == 0 else 2.0 * int((a & b).sum()) / s


def _iou(a, b):
    u = int((a | b).sum())
    return 1.0 if u == 0 else int((a & b).sum()) / u


def _pipeline_site(site):
    return "face" if site == "face" else "body"


def _median(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return float(np.median(xs)) if xs else None


def _mean(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return float(np.mean(xs)) if xs else None


def save_overlay(path, image, truth_mask, pred_mask, roi=None):
    """PNG with the true border in green, the predicted one in red (and the ROI in blue)."""
    import cv2

    img = image[..., ::-1].copy()
    for m, col in ((roi, (255, 128, 0)), (truth_mask, (0, 220, 0)), (pred_mask, (0, 0, 255))):
        if m is None:
            continue
        cnt, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(img, cnt, -1, col, 1)
    cv2.imwrite(str(path), img)


# --------------------------------------------------------------------------- metric groups
def run_photos(cases):
    """Generate and score each photo; one row per case (kept for the groups below)."""
    rows = []
    for c in cases:
        spec = {k: v for k, v in c.items() if k != "seed"}
        ph = synth.make_photo(rng=c["seed"], **spec)
        t0 = time.perf_counter()
        res = vasi.score_photo(ph.image, site=_pipeline_site(c["site"]), modality=c["modality"])
        dt = time.perf_counter() - t0
        pred = np.asarray(res.segmentation.mask, bool)
        tr = ph.truth
        true_a = tr.depig_area_px
        pred_a = int(res.depigmented_area_px)
        rows.append(dict(
            case=c, photo=ph, pred=pred, pred_roi=np.asarray(res.roi, bool),
            dice=_dice(pred, tr.depig_mask), iou=_iou(pred, tr.depig_mask),
            dice_in_roi=_dice(pred & tr.roi_mask, tr.depig_mask),
            roi_iou=_iou(np.asarray(res.roi, bool), tr.roi_mask),
            area_rel_err=abs(pred_a - true_a) / true_a if true_a else None,
            fvasi_abs_err=(abs(float(res.f_vasi) - tr.f_vasi) if (tr.f_vasi is not None and res.f_vasi is not None) else None),
            seconds=dt, mp=ph.image.shape[0] * ph.image.shape[1] / 1e6,
        ))
    return rows


def segmentation_metrics(rows) -> dict:
    """Dice / IoU of the depigmentation mask, overall and by type, modality and site."""
    out = {
        "dice_mean": _mean([r["dice"] for r in rows]),
        "iou_mean": _mean([r["iou"] for r in rows]),
        "dice_in_roi_mean": _mean([r["dice_in_roi"] for r in rows]),
        "roi_iou_mean": _mean([r["roi_iou"] for r in rows]),
        "dice_by_type": {t: _mean([r["dice"] for r in rows if r["case"]["skin_type"] == t]) for t in TYPES},
        "dice_by_modality": {m: _mean([r["dice"] for r in rows if r["case"]["modality"] == m]) for m in MODALITIES},
        "dice_by_site": {s: _mean([r["dice"] for r in rows if r["case"]["site"] == s]) for s in ("face", "forearm", "trunk")},
        "dice_by_background": {b: _mean([r["dice"] for r in rows if r["case"]["background"] == b]) for b in ("dark", "light", "busy")},
    }
    return out


def area_metrics(rows) -> dict:
    """Relative depigmented-area error and absolute F-VASI error."""
    return {
        "area_rel_err_median": _median([r["area_rel_err"] for r in rows]),
        "area_rel_err_by_type": {t: _median([r["area_rel_err"] for r in rows if r["case"]["skin_type"] == t]) for t in TYPES},
        "fvasi_abs_err_median": _median([r["fvasi_abs_err"] for r in rows]),
        "fvasi_abs_err_by_modality": {m: _median([r["fvasi_abs_err"] for r in rows if r["case"]["modality"] == m]) for m in MODALITIES},
    }


def speed_metrics(rows) -> dict:
    """Pipeline seconds per megapixel (score_photo only, generation excluded)."""
    secs = sum(r["seconds"] for r in rows)
    mp = sum(r["mp"] for r in rows)
    return {"seconds_per_mp": secs / mp if mp else None}


def series_metrics(cases) -> dict:
    """Serial metrics: absolute error of % repigmentation (per visit after baseline) and
    registration corner error, when ``vasi.track_series`` exists; ``None`` otherwise."""
    out = {"repig_abs_err_median": None, "registration_err_px_median": None, "n_series": len(cases)}
    if not hasattr(vasi, "track_series"):
        return out
    rep_err, reg_err = [], []
    for c in cases:
        spec = {k: v for k, v in c.items() if k != "seed"}
        s = synth.make_series(rng=c["seed"], **spec)
        res = vasi.track_series([v.image for v in s.visits], weeks=list(s.weeks), site=_pipeline_site(c["site"]),
                                modality=c["modality"])
        vis = res.visits.set_index("week")
        H, W = s.baseline.image.shape[:2]
        corners = np.array([[0, 0, 1], [W, 0, 1], [W, H, 1], [0, H, 1]], float)
        for i, v in enumerate(s.visits[1:], start=1):
            wk = float(v.truth.week)
            if wk in vis.index and "repigmentation_pct" in vis.columns:
                est = vis.loc[wk, "repigmentation_pct"]
                est = float(est.iloc[0]) if hasattr(est, "iloc") else float(est)
                if not math.isnan(est):
                    rep_err.append(abs(est - v.truth.repigmentation_pct))
            regs = getattr(res, "registrations", None)
            if regs is not None and i < len(regs) and regs[i] is not None and getattr(regs[i], "transform", None) is not None and bool(regs[i]):
                Te, Tt = np.asarray(regs[i].transform), v.truth.transform
                pe, pt = corners @ Te.T, corners @ Tt.T
                reg_err.append(float(np.median(np.linalg.norm(pe[:, :2] / pe[:, 2:] - pt[:, :2] / pt[:, 2:], axis=1))))
    out["repig_abs_err_median"] = _median(rep_err)
    out["registration_err_px_median"] = _median(reg_err)
    return out


# --------------------------------------------------------------------------- output
def print_table(rows, res) -> None:
    def f(x, p=3):
        return "  -  " if x is None else f"{x:.{p}f}"

    print(f"vasi {vasi.__version__} accuracy benchmark: {res['n_cases']} photos, {res.get('n_series', 0)} series")
    print(f"{'group':<14}{'n':>4}{'dice':>8}{'iou':>8}{'area_err':>10}{'fvasi_err':>11}")
    groups = [("all", rows)]
    groups += [(f"type {t}", [r for r in rows if r['case']['skin_type'] == t]) for t in TYPES]
    groups += [(m, [r for r in rows if r['case']['modality'] == m]) for m in MODALITIES]
    groups += [(s, [r for r in rows if r['case']['site'] == s]) for s in ("face", "forearm", "trunk")]
    for name, rs in groups:
        if not rs:
            continue
        print(f"{name:<14}{len(rs):>4}{f(_mean([r['dice'] for r in rs])):>8}{f(_mean([r['iou'] for r in rs])):>8}"
              f"{f(_median([r['area_rel_err'] for r in rs])):>10}{f(_median([r['fvasi_abs_err'] for r in rs])):>11}")
    print(f"seconds per MP (score_photo): {f(res['seconds_per_mp'])}")
    print(f"% repigmentation abs error (median, points): {f(res['repig_abs_err_median'], 2)}")
    print(f"registration corner error (median, px): {f(res['registration_err_px_median'], 2)}")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller set (< 2 minutes)")
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    ap.add_argument("--overlays", type=Path, default=Path(__file__).parent / "results",
                    help="directory for worst-case overlay PNGs (default benchmarks/results)")
    ap.add_argument("--n-worst", type=int, default=4)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = run_photos(photo_cases(args.quick))
    res = {"n_cases": len(rows), "quick": bool(args.quick)}
    for group in (segmentation_metrics, area_metrics, speed_metrics):
        res.update(group(rows))
    res.update(series_metrics(series_cases(args.quick)))
    res["wall_seconds"] = time.perf_counter() - t0
    res["vasi_version"] = vasi.__version__
    print_table(rows, res)
    if args.overlays and args.n_worst > 0:
        os.makedirs(args.overlays, exist_ok=True)
        for old in Path(args.overlays).glob("worst[0-9]*_*.png"):  # previous run's overlays
            old.unlink()
        for k, r in enumerate(sorted(rows, key=lambda r: r["dice"])[: args.n_worst]):
            c = r["case"]
            name = f"worst{k + 1}_{c['site']}_{c['modality']}_type{c['skin_type']}_seed{c['seed']}.png"
            save_overlay(args.overlays / name, r["photo"].image, r["photo"].truth.depig_mask, r["pred"], r["pred_roi"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2, sort_keys=True))
    return res


if __name__ == "__main__":
    main()
