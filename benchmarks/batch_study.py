"""Batch benchmark: a synthetic study with planted bad files, scored every way the batch runs.

1. writes a study (default 20 patients x 5 visits, face, visible) with a truncated JPEG, a
   file of random bytes, an empty file and a missing file planted in it;
2. ``vasi batch`` with ``--jobs 1`` and ``--jobs 2`` (wall time, tables compared with ``cmp``);
3. an interrupted run (SIGINT after a few series are committed, or SIGKILL with ``--kill``)
   re-run with the same command: resumes, and its tables are compared with ``cmp``;
4. the same run on a local Dask cluster (``--dask local --jobs 2``), compared with ``cmp``;
5. prints a table and the errors table, and writes JSON.

Usage::

    python benchmarks/batch_study.py [--patients 20] [--weeks 0,4,12,24,52]
        [--size 360x480] [--work /tmp/vasi-batch-study] [--json benchmarks/results/batch_study.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

TABLES = ("visits", "patches", "scores", "endpoints", "errors")


def vasi_cmd(*args) -> list:
    return [sys.executable, "-m", "vasi.cli", *map(str, args)]


def run(cmd, **kw) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return time.perf_counter() - t0, proc


def cmp_tables(a: Path, b: Path) -> dict:
    """``cmp`` every table file of two output folders; {file: identical}."""
    out = {}
    for name in TABLES:
        for ext in ("csv", "parquet"):
            fa, fb = a / "tables" / f"{name}.{ext}", b / "tables" / f"{name}.{ext}"
            if not fa.exists() and not fb.exists():
                continue
            out[f"{name}.{ext}"] = subprocess.run(["cmp", "-s", str(fa), str(fb)]).returncode == 0
    return out


def interrupted(manifest: Path, out: Path, *, after: int, kill: bool, jobs: int) -> dict:
    """Start a run, stop it once ``after`` series are committed, then re-run it."""
    cache = out / ".vasi" / "series"
    t0 = time.perf_counter()
    def default_sigint():  # a background shell starts us with SIGINT ignored; undo that
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen(vasi_cmd("batch", manifest, "-o", out, "--jobs", jobs),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=default_sigint)
    while proc.poll() is None:
        n = len(list(cache.rglob("*.pkl"))) if cache.exists() else 0
        if n >= after:
            break
        time.sleep(0.2)
    committed = len(list(cache.rglob("*.pkl"))) if cache.exists() else 0
    if proc.poll() is None:
        # SIGINT to the parent only (as Ctrl-C would, workers ignore it); SIGKILL: all
        if kill:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    first = time.perf_counter() - t0
    secs, again = run(vasi_cmd("batch", manifest, "-o", out, "--jobs", jobs))
    return {"stopped_with": "SIGKILL" if kill else "SIGINT", "first_exit": proc.returncode,
            "first_seconds": round(first, 2), "committed_before_stop": committed,
            "first_stderr_tail": err.strip().splitlines()[-1:] if err.strip() else [],
            "resume_seconds": round(secs, 2), "resume_exit": again.returncode,
            "resume_stderr": [ln for ln in again.stderr.splitlines() if "resum" in ln]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=20)
    ap.add_argument("--weeks", default="0,4,12,24,52")
    ap.add_argument("--size", default="360x480", help="photo HxW in px")
    ap.add_argument("--work", type=Path, default=None,
                    help="scratch folder (default: a new temporary folder)")
    ap.add_argument("--json", type=Path, default=Path("benchmarks/results/batch_study.json"))
    ap.add_argument("--kill", action="store_true", help="interrupt with SIGKILL, not SIGINT")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args(argv)

    from vasi import __version__
    from vasi.demo import make_study

    if args.work is None:
        import tempfile

        args.work = Path(tempfile.mkdtemp(prefix="vasi-batch-study-"))
    weeks = tuple(int(w) for w in args.weeks.split(","))
    shape = tuple(int(v) for v in args.size.lower().split("x"))
    if args.work.exists():
        shutil.rmtree(args.work)
    t0 = time.perf_counter()
    manifest = make_study(args.work / "study", n_patients=args.patients, weeks=weeks,
                          shape=shape, rng=2026, plant=True)
    gen = time.perf_counter() - t0
    n_photos = args.patients * len(weeks)
    results: dict = {"vasi_version": __version__, "python": platform.python_version(),
                     "cpus": os.cpu_count(), "patients": args.patients, "weeks": weeks,
                     "photo_size": shape, "photos_in_manifest": n_photos,
                     "generate_seconds": round(gen, 2), "runs": {}}
    runs = results["runs"]
    ref = args.work / "out-jobs1"
    for jobs in (1, 2):
        out = args.work / f"out-jobs{jobs}"
        secs, proc = run(vasi_cmd("batch", manifest, "-o", out, "--jobs", jobs, "-q"))
        runs[f"jobs{jobs}"] = {"seconds": round(secs, 2), "exit": proc.returncode,
                               "identical_to_jobs1": all(cmp_tables(ref, out).values())}
        if proc.returncode not in (0, 1):
            print(proc.stderr, file=sys.stderr)
            return 2
    runs["interrupted"] = interrupted(manifest, args.work / "out-resumed",
                                      after=max(2, args.patients // 3), kill=args.kill, jobs=2)
    runs["interrupted"]["identical_to_jobs1"] = cmp_tables(ref, args.work / "out-resumed")
    if not args.skip_dask:
        out = args.work / "out-dask"
        secs, proc = run(vasi_cmd("batch", manifest, "-o", out, "--dask", "local", "--jobs", 2,
                                  "-q"))
        runs["dask_local"] = {"seconds": round(secs, 2), "exit": proc.returncode,
                              "identical_to_jobs1": cmp_tables(ref, out)}
        if proc.returncode not in (0, 1):
            runs["dask_local"]["stderr"] = proc.stderr[-2000:]
    # resumed run with nothing to do: cost of validation + tables + reports alone
    secs, _ = run(vasi_cmd("batch", manifest, "-o", ref, "-q"))
    runs["rerun_all_cached"] = {"seconds": round(secs, 2)}

    import pandas as pd

    errors = pd.read_csv(ref / "tables" / "errors.csv")
    visits = pd.read_csv(ref / "tables" / "visits.csv")
    results["photos_scored"] = int(len(visits))
    results["errors"] = errors[["patient_id", "week", "stage", "error_type", "message"]] \
        .to_dict("records")
    results["methods"] = visits["method"].value_counts().to_dict()
    j1, j2 = runs["jobs1"]["seconds"], runs["jobs2"]["seconds"]
    results["speedup_jobs2"] = round(j1 / j2, 2) if j2 else None

    print(f"study: {args.patients} patients x {len(weeks)} visits = {n_photos} photos "
          f"({shape[0]}x{shape[1]} px), {len(errors)} problems planted/found, "
          f"vasi {__version__}, {os.cpu_count()} CPUs")
    print(f"{'run':<22}{'seconds':>9}{'s/photo':>9}  identical tables (cmp)")
    for name, r in runs.items():
        s = r.get("seconds", r.get("resume_seconds"))
        ident = r.get("identical_to_jobs1")
        ident = (all(ident.values()) if isinstance(ident, dict) else ident)
        ident = "-" if ident is None else ("yes" if ident else "NO")
        print(f"{name:<22}{s:>9.1f}{s / n_photos:>9.3f}  {ident}")
    it = runs["interrupted"]
    print(f"interrupted with {it['stopped_with']} after {it['committed_before_stop']} series "
          f"committed (exit {it['first_exit']}); re-run: {it['resume_stderr']}")
    print(f"speed-up --jobs 2 vs 1: {results['speedup_jobs2']}x")
    print("\nerrors table:")
    print(errors[["patient_id", "week", "stage", "message"]].to_string(
        index=False, max_colwidth=110))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {args.json}; outputs in {args.work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
