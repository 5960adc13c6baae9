"""Simulated two-arm trials: are the true F-VASI75 rates recovered and covered by the intervals?

Draws ``--reps`` seeded trials from :func:`vasi.cohort.simulate_cohort` (true week-24
F-VASI75 rates 30 % cream vs 10 % vehicle by default, about TRuE-V1/V2) and reports, per
scenario, the mean recovered rate per arm, the coverage of the 95 % Wilson intervals, of the
Newcombe interval for the difference and of the Katz interval for the risk ratio, and how
often the difference is detected (lower bound > 0). Scenarios:

* ``complete`` -- no dropout; non-responder imputation (= observed cases here);
* ``dropout/observed`` -- 2 % per-visit MCAR dropout, observed cases (unbiased under MCAR);
* ``dropout/nri`` -- the same trials with non-responder imputation, which estimates
  ``rate x P(still in the trial at week 24)`` and so *should* under-cover the true rate.

Prints a table and writes JSON (``--out``, default ``benchmarks/results/cohort_sim.json``).

    .venv/bin/python benchmarks/cohort_sim.py --reps 400
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from vasi import __version__
from vasi.cohort import compare_arms, endpoint_table, simulate_cohort


def run(reps: int, n_per_arm: int, rates: dict, seed: int) -> dict:
    p_t, p_c = rates["cream"], rates["vehicle"]
    true_diff, true_rr = p_t - p_c, p_t / p_c
    scenarios = {"complete": (0.0, "nri"), "dropout/observed": (0.02, "observed"),
                 "dropout/nri": (0.02, "nri")}
    out = {}
    for name, (drop, missing) in scenarios.items():
        ss = np.random.SeedSequence(seed)
        acc = {k: [] for k in ("rate_t", "rate_c", "cov_t", "cov_c", "cov_diff", "cov_rr",
                               "detected", "width_diff")}
        for child in ss.spawn(reps):
            d = simulate_cohort(rng=np.random.default_rng(child), n_per_arm=n_per_arm,
                                true_rates=rates, dropout_per_visit=drop)
            c = compare_arms(d, treatment="cream", control="vehicle", weeks=[24],
                             endpoints=["f_vasi75"], missing=missing).iloc[0]
            acc["rate_t"].append(c.rate_t)
            acc["rate_c"].append(c.rate_c)
            acc["cov_t"].append(c.rate_t_low <= p_t <= c.rate_t_high)
            acc["cov_c"].append(c.rate_c_low <= p_c <= c.rate_c_high)
            acc["cov_diff"].append(c.diff_low <= true_diff <= c.diff_high)
            acc["cov_rr"].append(c.rr_low <= true_rr <= c.rr_high)
            acc["detected"].append(c.diff_low > 0)
            acc["width_diff"].append(c.diff_high - c.diff_low)
        out[name] = {k: float(np.mean(v)) for k, v in acc.items()}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--n-per-arm", type=int, default=150)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cohort_sim.json")
    a = ap.parse_args(argv)
    rates = {"cream": 0.30, "vehicle": 0.10}
    t0 = time.perf_counter()
    one = simulate_cohort(rng=a.seed, n_per_arm=a.n_per_arm, true_rates=rates)
    table = endpoint_table(one, treatment="cream", control="vehicle")
    res = run(a.reps, a.n_per_arm, rates, a.seed)
    secs = time.perf_counter() - t0

    print(f"One simulated trial (seed {a.seed}, {a.n_per_arm} per arm; true F-VASI75 at week 24: "
          f"cream 30 %, vehicle 10 %):")
    print(table[["endpoint", "week", "result", "difference_ci", "risk_ratio_ci"]].to_string(index=False))
    print(f"\n{a.reps} replicate trials, {a.n_per_arm} per arm; true diff 20 pp, true RR 3.0")
    hdr = (f"{'scenario':<18}{'cream':>8}{'vehicle':>9}{'cov cream':>11}{'cov veh':>9}"
           f"{'cov diff':>10}{'cov RR':>8}{'power':>7}{'CI width':>10}")
    print(hdr)
    print("-" * len(hdr))
    for name, r in res.items():
        print(f"{name:<18}{r['rate_t']:>8.3f}{r['rate_c']:>9.3f}{r['cov_t']:>11.3f}"
              f"{r['cov_c']:>9.3f}{r['cov_diff']:>10.3f}{r['cov_rr']:>8.3f}{r['detected']:>7.3f}"
              f"{r['width_diff']:>10.3f}")
    print(f"\n({secs:.1f} s)")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"vasi_version": __version__, "reps": a.reps, "n_per_arm": a.n_per_arm,
               "seed": a.seed, "true_rates": rates, "scenarios": res,
               "one_trial": table.to_dict(orient="records"), "seconds": secs}
    a.out.write_text(json.dumps(payload, indent=2, default=float))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
