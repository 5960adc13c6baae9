"""Serial registration under strong repigmentation: every follow-up against its baseline.

The accuracy benchmark tracks four series; this one asks, over many, how often
:func:`vasi.track_series` registers a true follow-up and how far off an accepted alignment
is -- in visible light and under a Wood's lamp, where the lesions are most of what the
feature matcher sees and they change the most. Series: Fitzpatrick types I-VI x visible /
Wood's lamp x without / with an ArUco marker, the site cycling face / forearm / trunk and
the pattern perifollicular / marginal / diffuse / mixed, every patch 80 % repigmented by
week 52 (visits at weeks 0, 12, 24, 36, 52). Seeds start at ``SEED0`` (disjoint from the
tests, the samples and the other benchmarks).

Per follow-up: registered or not (the reason), the method, and for an accepted one the
median distance (mm) between the estimated and the true baseline -> follow-up homography
over the true assessed region. An accepted alignment more than 2 mm off is counted as
*silently wrong* (a 10 mm patch would be measured on the wrong skin). Reported by modality
and by site: failed fraction, median and 90th-percentile error, silently wrong count. And
the other side: another patient's photos of the same site (same design, weeks 12 and 52)
tracked against each baseline, which must all be refused.

    python benchmarks/serial_registration.py [--quick] [--seed0 4000000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vasi  # noqa: E402
from vasi import synth  # noqa: E402
from vasi._atomic import write_text  # noqa: E402
from vasi.register import transform_error_px  # noqa: E402

SEED0 = 4_000_000
TYPES = ("I", "II", "III", "IV", "V", "VI")
SITES = ("face", "forearm", "trunk")
PATTERNS = ("perifollicular", "marginal", "diffuse", "mixed")
WRONG_MM = 2.0
WRONG_SEED = 50_000


def cases(quick: bool = False, seed0: int = SEED0) -> list[dict]:
    """Series specs (deterministic): 24 series, 12 with ``quick`` (no markers)."""
    out, k = [], 0
    for marker in ((False,) if quick else (False, True)):
        for st in TYPES:
            for modality in ("visible", "woods"):
                out.append(dict(seed=seed0 + k, skin_type=st, modality=modality, marker=marker,
                                site=SITES[k % 3], pattern=PATTERNS[(k // 2 + marker) % 4],
                                response=0.8, weeks=(0, 12, 24, 36, 52),
                                shape=(600, 800) if quick else (900, 1200)))
                k += 1
    return out


def _track(c, images, weeks):
    return vasi.track_series(images, weeks=weeks, site="face" if c["site"] == "face" else "body",
                             modality=c["modality"])


def run(specs) -> tuple[list[dict], list[dict]]:
    """One row per true follow-up, and one per wrong one: another patient's photos of the
    same site (same design, seed + ``WRONG_SEED``) at weeks 12 and 52 tracked against this
    baseline, which must not register."""
    rows, wrong = [], []
    for c in specs:
        spec = {k: v for k, v in c.items() if k != "seed"}
        s = synth.make_series(rng=c["seed"], **spec)
        res = _track(c, [v.image for v in s.visits], list(s.weeks))
        o = synth.make_series(rng=c["seed"] + WRONG_SEED, **spec)
        bad = _track(c, [s.baseline.image, o.visits[1].image, o.visits[-1].image],
                     [0, o.weeks[1], o.weeks[-1]])
        wrong += [dict(seed=c["seed"], modality=c["modality"], site=c["site"],
                       marker=c["marker"], registered=bool(r), method=r.method)
                  for r in bad.registrations[1:]]
        roi0 = s.baseline.truth.roi_mask
        for i, v in enumerate(s.visits[1:], start=1):
            reg = res.registrations[i]
            err = None
            if reg:
                d = transform_error_px(reg.transform, v.truth.transform, roi0.shape, mask=roi0)
                err = float(np.median(d)) * v.truth.mm_per_px
            rows.append(dict(seed=c["seed"], skin_type=c["skin_type"], modality=c["modality"],
                             site=c["site"], pattern=c["pattern"], marker=c["marker"],
                             week=int(v.truth.week), registered=bool(reg), method=reg.method,
                             reason=reg.reason, inliers=int(reg.n_inliers), error_mm=err))
    return rows, wrong


def _summary(rows) -> dict:
    errs = np.array([r["error_mm"] for r in rows if r["registered"]], float)
    methods = sorted({r["method"] for r in rows if r["registered"]})
    return {
        "n": len(rows),
        "failed": int(sum(not r["registered"] for r in rows)),
        "failed_fraction": float(np.mean([not r["registered"] for r in rows])) if rows else None,
        "error_mm_median": float(np.median(errs)) if errs.size else None,
        "error_mm_p90": float(np.percentile(errs, 90)) if errs.size else None,
        "silently_wrong": int((errs > WRONG_MM).sum()),
        "methods": {m: int(sum(r["registered"] and r["method"] == m for r in rows))
                    for m in methods},
    }


def metrics(rows, wrong) -> dict:
    """Summaries overall, by modality, by site within modality, and with / without marker;
    wrong pairs registered (must be 0)."""
    out = {"all": _summary(rows), "wrong_pairs": len(wrong),
           "wrong_pairs_registered": int(sum(r["registered"] for r in wrong)),
           "wrong_pairs_registered_by_site": {
               site: int(sum(r["registered"] for r in wrong if r["site"] == site))
               for site in SITES}}
    for mod in ("visible", "woods"):
        sel = [r for r in rows if r["modality"] == mod]
        out[mod] = _summary(sel)
        for site in SITES:
            out[f"{mod}_{site}"] = _summary([r for r in sel if r["site"] == site])
        for marker in (False, True):
            sub = [r for r in sel if r["marker"] == marker]
            if sub:
                out[f"{mod}_{'marker' if marker else 'no_marker'}"] = _summary(sub)
    return out


def print_table(res: dict) -> None:
    print(f"serial registration: true follow-ups; silently wrong = accepted, > {WRONG_MM} mm off")
    print(f"{'group':20s} {'n':>4s} {'failed':>7s} {'median mm':>10s} {'p90 mm':>7s} "
          f"{'wrong':>6s}  methods")
    for key, m in res.items():
        if not isinstance(m, dict) or "n" not in m or not m["n"]:
            continue
        med = "-" if m["error_mm_median"] is None else f"{m['error_mm_median']:.2f}"
        p90 = "-" if m["error_mm_p90"] is None else f"{m['error_mm_p90']:.2f}"
        meth = ", ".join(f"{k} {v}" for k, v in m["methods"].items())
        print(f"{key:20s} {m['n']:4d} {m['failed']:3d} ({100 * m['failed_fraction']:3.0f}%) "
              f"{med:>9s} {p90:>7s} {m['silently_wrong']:6d}  {meth}")
    by_site = ", ".join(f"{k} {v}" for k, v in res["wrong_pairs_registered_by_site"].items())
    print(f"wrong pairs (another patient's photos of the site): {res['wrong_pairs_registered']} "
          f"of {res['wrong_pairs']} registered ({by_site})")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="12 series at 600 x 800, no markers")
    ap.add_argument("--seed0", type=int, default=SEED0)
    ap.add_argument("--json", type=Path, help="write the numbers (and the rows) to this JSON")
    ap.add_argument("--rows", action="store_true", help="print every follow-up")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows, wrong = run(cases(args.quick, args.seed0))
    res = metrics(rows, wrong)
    res.update(seed0=args.seed0, quick=bool(args.quick), vasi_version=vasi.__version__,
               wall_seconds=time.perf_counter() - t0)
    if args.rows:
        for r in rows:
            e = "-" if r["error_mm"] is None else f"{r['error_mm']:.2f}"
            print(f"{r['seed']} {r['skin_type']:3s} {r['modality']:7s} {r['site']:7s} "
                  f"{r['pattern']:14s} {'M' if r['marker'] else ' '} w{r['week']:2d} "
                  f"{'ok' if r['registered'] else '--'} {r['method']:8s} {e:>6s} mm "
                  f"{r['reason'][:60]}")
    print_table(res)
    if args.json:
        write_text(args.json, json.dumps({**res, "rows": rows, "wrong_rows": wrong}, indent=2,
                                         sort_keys=True))
    return res


if __name__ == "__main__":
    main()
