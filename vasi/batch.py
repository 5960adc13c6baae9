"""Batch scoring for clinics and studies: :func:`run_batch`.

``INPUT`` (a photo folder or CSV manifest, see :mod:`vasi.manifest`) is validated first; then
every series (patient x site x modality) is scored -- serially, in a process pool
(``jobs > 1``) or on a Dask cluster (``dask="local"`` or a scheduler address) -- and ``OUT``
receives::

    OUT/vasi-run.json                  run manifest: version, input, options, fingerprint,
                                       status (running, complete or interrupted)
    OUT/tables/{visits,patches,scores,endpoints,errors}.csv (+ .parquet with pyarrow)
    OUT/tables/data_dictionary.csv     every column's unit and meaning, and the endpoint rules
    OUT/overlays/PATIENT/SITE-MODALITY/weekN.png (+ weekN_repigmentation.png)
    OUT/reports/PATIENT.html           self-contained (images inlined, no network)
    OUT/index.html                     cohort summary and links (several patients)
    OUT/.vasi/series/...               one result file per finished series (resume cache)

Nothing is lost: every file is written atomically; a photo that fails is a row of the errors
table; a worker process that dies (out of memory, a crash in a native library) costs only the
series it held (error rows, retried by a re-run); a finished series is committed to its own
result file, so an interrupted run re-run with the same arguments skips it (``force=True``
redoes everything). ``OUT`` written for another input, another vasi version or other options
is refused, never mixed. Tables are sorted by patient, site, modality and week, so the bytes
do not depend on how the run was executed.

Cache files are pickles written by this library: only point ``OUT`` at folders you trust.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import errno
import hashlib
import json
import logging
import os
import pickle
import platform
import shutil
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import _atomic
from ._validate import check_choice, check_positive
from ._version import __version__, library_versions
from .batch_series import ERROR_COLUMNS, SeriesTask, has_score, score_series, worker_died
from .batch_summary import endpoints_table, scores_table
from .dictionary import data_dictionary
from .errors import InputError, VasiError
from .manifest import RUN_FILE, Manifest, load_input, safe_slug, unlisted_sites
from .pipeline import COLOUR_CAST_CHOICES
from .tables import write_table

__all__ = ["run_batch", "BatchResult", "OutputConflictError", "RUN_FILE"]

log = logging.getLogger("vasi")

_CACHE = Path(".vasi") / "series"
_OURS = ("tables", "overlays", "reports", ".vasi", "index.html", RUN_FILE)
_FORMAT = 1


class OutputConflictError(InputError):
    """The output folder holds results of another input, version or options, or is no vasi
    results folder: a bad ``out`` argument (``vasi batch`` exits with 2, nothing scored)."""


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` produced.

    Attributes
    ----------
    out : pathlib.Path
        Output folder.
    visits, patches, scores, endpoints, errors : pandas.DataFrame
        The tables written to ``out/tables``.
    reports : tuple of pathlib.Path
        Per-patient HTML reports.
    index : pathlib.Path or None
        Cohort summary page.
    n_series, n_cached, n_scored : int
        Series in the input, reused from a previous run, scored now.
    seconds : float
        Wall time.
    """

    out: Path
    visits: pd.DataFrame
    patches: pd.DataFrame
    scores: pd.DataFrame
    endpoints: pd.DataFrame
    errors: pd.DataFrame
    reports: tuple = ()
    index: Path | None = None
    n_series: int = 0
    n_cached: int = 0
    n_scored: int = 0
    seconds: float = 0.0
    files: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no photo failed."""
        return self.errors.empty


# ----------------------------------------------------------------------------- fingerprints
def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _file_state(path: str, digests: dict | None = None):
    """``[size, sha256 of the content]`` of a file (None when it cannot be read): a photo
    replaced by another of the same size and time stamp is still noticed, and each number
    of the tables can be traced to the exact file content (visits' ``photo_sha256``).
    ``digests`` (kept in the output folder) remembers each digest by the file's identity,
    size and modification and change times, so a re-run reads only new or changed files
    (a change time cannot be set back, as a modification time can)."""
    try:
        st = os.stat(path)
        key = f"{os.path.abspath(path)}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"
        if digests is not None and key in digests:
            return [st.st_size, digests[key]]
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    if digests is not None:
        digests[key] = h.hexdigest()
    return [st.st_size, h.hexdigest()]


def _code_fingerprint(package: Path | None = None) -> dict:
    """What the numbers depend on besides the input: vasi's own source (its version string
    alone is not bumped by every change; the ``.py`` files of the package, hidden files and
    folders left out) and the libraries' versions. A series scored by other code is scored
    again, never mixed into a resumed run."""
    h = hashlib.sha256()
    pkg = package or Path(__file__).resolve().parent
    for f in sorted(pkg.rglob("*.py")):
        rel = f.relative_to(pkg)
        if any(part.startswith(".") for part in rel.parts) or "__pycache__" in rel.parts:
            continue  # (editor lock files, checkpoints)
        try:
            h.update(rel.as_posix().encode() + b"\0" + f.read_bytes())
        except OSError:
            continue  # (a dangling link)
    return {"vasi_source_sha256": h.hexdigest(), "library_versions": library_versions()}


def _tasks(manifest: Manifest, options: dict, overlays: bool, use_track: bool,
           code: dict, digests: dict | None = None) -> list:
    tasks = []
    for key, g in manifest.series():
        rows, state = [], []
        for r in g.to_dict("records"):
            r = {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            if r.get("marker_mm") is None:
                r["marker_mm"] = options["marker_mm"]
            photo = _file_state(r["photo"], digests)
            r["photo_sha256"] = photo[1] if photo else None
            rows.append(r)
            state.append([r["photo_rel"], r["visit"], r["week"], r["date"], r["roi"],
                          r["mm_per_px"], r["marker_mm"], r["height_cm"], r["weight_kg"],
                          r["arm"], photo, _file_state(r["roi"], digests) if r["roi"] else None])
        fp = _hash({"v": __version__, "code": code, "options": options, "key": key,
                    "rows": state})
        tasks.append(SeriesTask(key, tuple(rows), fp, overlays, use_track,
                                {k: options[k] for k in ("colour_cast",) if k in options}))
    return tasks


# ----------------------------------------------------------------------------- output folder
def _prepare_out(out: Path, run: dict, force: bool) -> None:
    run_file = out / RUN_FILE
    if out.exists() and not out.is_dir():
        raise OutputConflictError(f"output {out} is a file; the output must be a folder (new or "
                                  "empty, or one with earlier vasi results).")
    if force:
        for name in _OURS:
            p = out / name
            try:
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.exists():
                    p.unlink()
            except OSError as exc:
                raise VasiError(f"--force cannot remove the earlier results {p} ({exc.strerror or exc}); "
                                "make the output folder writable, or choose a new one.") from None
    if run_file.exists():
        try:
            old = json.loads(run_file.read_text())
        except (OSError, ValueError):
            old = {}
        why = []
        if old.get("vasi_version") != run["vasi_version"]:
            why.append(f"it was written by vasi {old.get('vasi_version')!r}, this is "
                       f"{run['vasi_version']!r}")
        if old.get("input") != run["input"]:
            why.append(f"it holds results for input {old.get('input')!r}, not {run['input']!r}")
        if old.get("options") != run["options"]:
            was, now = old.get("options") or {}, run["options"]
            why.append("it was run with other options (" + ", ".join(
                f"{k} {was.get(k)!r} then, {now.get(k)!r} now" for k in sorted(set(was) | set(now))
                if was.get(k) != now.get(k)) + ")")
        if why:
            raise OutputConflictError(
                f"output folder {out} is not from this run: {'; '.join(why)}. Use another "
                "output folder, or --force (force=True) to discard it and score everything again.")
        if old.get("input_fingerprint") != run["input_fingerprint"]:
            log.info("input changed since the last run into %s: changed series are re-scored",
                     out)
    elif out.exists() and any(p.name not in _OURS for p in out.iterdir()):
        raise OutputConflictError(
            f"output folder {out} exists, is not empty and is not a vasi results folder (no "
            f"{RUN_FILE}); choose a new or empty folder so nothing of yours is overwritten.")
    try:
        _atomic.write_text(run_file, json.dumps({**run, "status": "running"}, indent=2) + "\n")
    except OSError as exc:
        raise VasiError(f"cannot write to the output folder {out} ({exc.strerror or exc}); "
                        "choose a folder you can create and write to.") from None


_DIGESTS = Path(".vasi") / "digests.json"


def _load_digests(out: Path) -> dict:
    """The photo digests an earlier run into ``out`` computed (see :func:`_file_state`)."""
    try:
        d = json.loads((out / _DIGESTS).read_text())
        return d if isinstance(d, dict) else {}
    except (OSError, ValueError):
        return {}


def _cache_path(out: Path, key: str) -> Path:
    return out / _CACHE / f"{key}.pkl"


def _load_cached(out: Path, task: SeriesTask):
    path = _cache_path(out, task.key)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            res = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a damaged cache file is simply redone
        log.warning("cache file %s is damaged; re-scoring that series", path)
        return None
    if res.get("fingerprint") != task.fingerprint or res.get("format") != _FORMAT:
        return None
    if any(not (out / rel).is_file() for rel in res.get("file_names", ())):
        return None
    return res


def _commit(out: Path, res: dict) -> dict:
    """Write a series' images, then its result file (the commit marker)."""
    for rel, data in sorted(res.pop("files", {}).items()):
        _atomic.write_bytes(out / rel, data)
        res.setdefault("file_names", []).append(rel)
    res["format"] = _FORMAT
    _atomic.write_bytes(_cache_path(out, res["key"]), pickle.dumps(res, protocol=4))
    return res


# ----------------------------------------------------------------------------- executors
def _init_worker():  # pragma: no cover - runs in worker processes
    import signal

    import cv2
    from threadpoolctl import threadpool_limits

    # one process per core: no oversubscription (OpenCV's and the BLAS's own thread pools
    # would otherwise fight over the cores; OpenBLAS threads spin while they wait)
    cv2.setNumThreads(1)
    threadpool_limits(1)
    # Ctrl-C is handled by the parent (it stops submitting and keeps what is committed)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_serial(tasks, on_result):
    for t in tasks:
        on_result(score_series(t))


#: Why a run stops when its worker processes die before scoring anything.
WORKERS_DIED = (
    "the worker processes died before scoring any series. If vasi.run_batch(..., jobs > 1) is "
    "called from a script, the call must be under `if __name__ == \"__main__\":` (Python "
    "starts each worker by importing the script); otherwise run with jobs=1 (--jobs 1) to see "
    "what stops them. Series finished so far are kept: the same command resumes.")


def _pool_results(tasks, jobs, fn):
    """``fn(task)`` of each task, as they finish, from a fresh pool of ``jobs`` processes;
    raises ``BrokenProcessPool`` when a worker dies."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # never fork: a parent whose OpenCV / BLAS thread pools are running would deadlock
    # the children; forkserver (POSIX) or spawn start clean interpreters.
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["vasi.batch_series"])
    ex = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, mp_context=ctx)
    try:
        futs = [ex.submit(fn, t) for t in tasks]
        for f in as_completed(futs):
            yield f.result()
    except BaseException:
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


def _workers_start() -> bool:
    """Whether a worker process can start and run a trivial job."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        with closing(_pool_results([0], 1, abs)) as results:
            return list(results) == [0]
    except BrokenProcessPool:
        return False


def _score_alone(task, on_result) -> bool:
    """Score ``task`` in a worker process of its own; False when that worker dies."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        with closing(_pool_results([task], 1, score_series)) as results:
            for res in results:
                on_result(res)
        return True
    except BrokenProcessPool:
        return False


def _run_processes(tasks, jobs, on_result, on_lost):
    """Score ``tasks`` with :func:`score_series` in ``jobs`` worker processes.

    A worker that dies (out of memory, a crash in a native library) breaks the pool, and
    the series it held cannot be told from the others then in flight (the first ``jobs + 1``
    unfinished ones). Those are scored again one per pool: a series whose worker dies alone
    goes to ``on_lost``; the rest of the run goes on in a full pool. When every worker dies
    before any series is scored and even a trivial job's worker dies,
    :class:`VasiError` (:data:`WORKERS_DIED`)."""
    from concurrent.futures.process import BrokenProcessPool

    left, scored = list(tasks), False
    while left:
        done: set = set()
        try:
            with closing(_pool_results(left, min(jobs, len(left)), score_series)) as results:
                for res in results:
                    done.add(res["key"])
                    on_result(res)
                    scored = True
            return
        except BrokenProcessPool:
            left = [t for t in left if t.key not in done]
        suspects, left = left[:jobs + 1], left[jobs + 1:]
        died = [t for t in suspects if not _score_alone(t, on_result)]
        scored = scored or len(died) < len(suspects)
        if died and not scored and not _workers_start():
            raise VasiError(WORKERS_DIED)
        for t in died:
            log.warning("series %s: its worker process died; recorded as an error", t.key)
            on_lost(t)


def _has_distributed() -> bool:
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


def _run_dask(tasks, dask, jobs, on_result, on_lost):
    """Score ``tasks`` on Dask; a series whose workers keep dying (Dask's ``KilledWorker``,
    after its own retries) goes to ``on_lost``."""
    try:
        from distributed import Client, KilledWorker, LocalCluster, as_completed
    except ImportError:
        raise VasiError("running on Dask needs the optional dependency: "
                        "pip install 'vasi[dask]'") from None
    own = []
    if isinstance(dask, Client):
        client = dask
    elif dask == "local":
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        own = [client, cluster]
    else:
        try:
            client = Client(str(dask), timeout="20s")
        except OSError as exc:
            raise VasiError(f"cannot reach the Dask scheduler at {dask!r} ({exc}); check the "
                            "address (tcp://host:8786) or use --dask local") from None
        own = [client]
    try:
        futs = {client.submit(score_series, t, key=f"vasi-series-{t.fingerprint[:24]}",
                              pure=False): t for t in tasks}
        for f in as_completed(list(futs)):
            try:
                res = f.result()
            except KilledWorker:
                log.warning("series %s: its Dask workers died; recorded as an error", futs[f].key)
                on_lost(futs[f])
            else:
                on_result(res)
            f.release()
    finally:
        for obj in own:
            obj.close()


# ----------------------------------------------------------------------------- run
def _sorted(df: pd.DataFrame, keys) -> pd.DataFrame:
    keys = [k for k in keys if k in df.columns]
    if df.empty or not keys:
        return df.reset_index(drop=True)
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def _concat(frames) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_batch(input, out, *, jobs: int = 1, dask=None, force: bool = False, root=None,
              default_site: str = "face", overlays: bool = True, reports: bool = True,
              use_track: bool = True, marker_mm: float | None = None, blind: bool = False,
              colour_cast: str = "correct",
              progress: Callable[[int, int, dict], None] | None = None) -> BatchResult:
    """Score every photo series of ``input`` into the folder ``out``; resumable.

    Parameters
    ----------
    input : str or os.PathLike
        Photo folder (``PATIENT/VISIT/PHOTO``), folder with ``manifest.csv``, or CSV manifest.
    out : str or os.PathLike
        Output folder (created). See the module docstring for its layout.
    jobs : int, keyword-only
        Worker processes (1 = in this process); workers of a local Dask cluster.
    dask : None, "local", str or distributed.Client, keyword-only
        Run the series on Dask: a local cluster, a scheduler address (``tcp://host:8786``) or
        an existing client. Workers must be able to read the input photos.
    force : bool
        Discard previous results in ``out`` and score everything again.
    root : path, optional
        Folder manifest photo paths are relative to (default: the manifest's folder).
    default_site : str
        Site for photos whose name or row gives none.
    overlays : bool
        Write full-resolution overlay PNGs.
    reports : bool
        Write the HTML reports (when False, those an earlier run wrote into ``out`` are
        removed: they would contradict the new tables).
    use_track : bool
        Register and track series with :func:`vasi.track_series` (else photos one by one).
    marker_mm : float, optional
        Printed side (mm) of the ArUco marker -- or diameter of the round sticker -- in the
        photos: the pixel size is measured on it (:func:`vasi.find_scale`) for photos with no
        ``mm_per_px`` (manifest or metadata) and no ``marker_mm`` of their own. The visits
        table's ``scale_source`` says where each photo's scale came from.
    blind : bool, keyword-only
        For blinded readers: the input's treatment arms are left out of every table and
        report (the cohort page then counts responders over all patients). Run unblinded
        into another folder for the analysis.
    colour_cast : {"correct", "flag"}, keyword-only
        A visible-light photo whose normal skin has a colour no skin has is white-balanced
        from that skin and scored again, flagged for review (``"correct"``), or only flagged
        (``"flag"``); see :func:`vasi.score_photo`.
    progress : callable, optional
        ``progress(done, total, info)`` after each series; ``info`` has ``key``, ``photos``
        (visits with a score), ``unscored`` (visits without one, e.g. registration failed),
        ``errors`` and ``cached``.

    Returns
    -------
    BatchResult

    Raises
    ------
    vasi.manifest.ManifestError
        The input has problems (all listed); nothing was written.
    OutputConflictError
        ``out`` belongs to another input / version / options, or to something else.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> from vasi import synth, write_image
    >>> _ = write_image(d / "face.png", synth.make_photo(rng=0, shape=(120, 160)).image)
    >>> _ = (d / "m.csv").write_text("patient_id,week,photo\\nP1,0,face.png\\nP1,12,missing.jpg\\n")
    >>> res = run_batch(d / "m.csv", d / "out", reports=False)
    >>> res.errors[["patient_id", "week", "stage"]].values.tolist()
    [['P1', 12.0, 'validate']]
    """
    t0 = time.perf_counter()
    if dask is not None and not _has_distributed():  # before anything is written
        raise VasiError("running on Dask needs the optional dependency: pip install 'vasi[dask]'")
    manifest = load_input(input, root=root, default_site=default_site)
    if blind:  # (a frozen Manifest: a copy with the arms emptied)
        manifest = dataclasses.replace(manifest, table=manifest.table.assign(arm=""))
    out = Path(out)
    options = {"default_site": default_site, "overlays": bool(overlays),
               "use_track": bool(use_track), "root": str(Path(root).resolve()) if root else None,
               "marker_mm": check_positive(marker_mm, "marker_mm", allow_none=True)}
    if blind:  # (only when set: folders written before the option existed still resume)
        options["blind"] = True
    if check_choice(colour_cast, COLOUR_CAST_CHOICES, "colour_cast") != "correct":  # (the same)
        options["colour_cast"] = colour_cast
    code = _code_fingerprint()
    digests = _load_digests(out)
    tasks = _tasks(manifest, options, overlays, use_track, code, digests)
    run = {"format": _FORMAT, "vasi_version": __version__, **code,
           "python": platform.python_version(),
           "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
           "input": str(Path(manifest.source).resolve()), "options": options,
           "input_fingerprint": _hash([t.fingerprint for t in tasks]
                                      + [str(p) for p in manifest.problems]),
           "series": len(tasks), "photos": int(len(manifest.table)),
           "unlisted_sites": unlisted_sites(manifest.table),
           "skipped_files": list(manifest.skipped)}
    if manifest.skipped:
        log.warning("%d file(s) of the photo folder are not photos by their suffix (or folders "
                    "holding none) and were not scored (listed in %s): %s", len(manifest.skipped), RUN_FILE,
                    ", ".join(manifest.skipped[:5]) + (" ..." if len(manifest.skipped) > 5 else ""))
    if run["unlisted_sites"]:
        log.warning("site name(s) outside vasi's site vocabulary, scored as body sites: %s; "
                    "if a photo name holds something else (a person's name), rename the photos "
                    "(face_visible.jpg, left_forearm_uv.jpg) or give sites in a manifest",
                    ", ".join(f"{k!r} ({n} photo{'s' * (n != 1)})"
                              for k, n in run["unlisted_sites"].items()))
    _prepare_out(out, run, force)
    inputs = {os.path.abspath(r[k]) for t in tasks for r in t.rows for k in ("photo", "roi") if r[k]}
    _atomic.write_text(out / _DIGESTS, json.dumps(  # (only this input's files)
        {k: v for k, v in sorted(digests.items()) if k.rsplit("|", 4)[0] in inputs}) + "\n")
    results: dict = {}
    todo = []
    for t in tasks:
        cached = None if force else _load_cached(out, t)
        if cached is not None:
            results[t.key] = cached
        else:
            todo.append(t)
    n_cached = len(results)
    total = len(tasks)
    done = [n_cached]

    def record(res):
        results[res["key"]] = res
        done[0] += 1
        if progress:
            scored = int(has_score(res["visits"]).sum())
            progress(done[0], total, {"key": res["key"], "photos": scored,
                                      "unscored": len(res["visits"]) - scored,
                                      "errors": len(res["errors"]), "cached": False})

    def on_result(res):
        record(_commit(out, res))

    def on_lost(task):  # its worker died: error rows, not committed (a re-run retries it)
        record(worker_died(task))

    if progress and n_cached:
        progress(n_cached, total, {"key": "", "photos": 0, "errors": 0, "cached": True})
    try:
        if todo:
            if dask is not None:
                _run_dask(todo, dask, jobs, on_result, on_lost)
            elif jobs > 1 and len(todo) > 1:
                _run_processes(todo, min(jobs, len(todo)), on_result, on_lost)
            else:
                _run_serial(todo, on_result)
        series = _input_series(manifest)
        res = _finish(out, manifest, series, [results[t.key] for t in tasks], run, reports,
                      n_cached, len(todo), t0)
        _prune(out, series, [results[t.key] for t in tasks], wrote_reports=reports)
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)  # (a write() error names no file)
        denied = exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and _inside(exc.filename, out)
        if not (full or denied):
            raise
        raise VasiError(f"cannot write the results to {out} ({exc.strerror or exc}): free some "
                        "space or make it writable, then run the same command again -- the "
                        "series already written are kept and resumed.") from None
    except KeyboardInterrupt:  # (the tables may be part old, part new: the record says so)
        _atomic.write_text(out / RUN_FILE, json.dumps({**run, "status": "interrupted"},
                                                      indent=2) + "\n")
        raise
    return res


def _inside(path, folder: Path) -> bool:
    """Whether ``path`` (an OSError's file name; None when it has none) lies in ``folder``."""
    if path is None:
        return False
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
        return True
    except ValueError:
        return False


def _prune(out: Path, series: pd.DataFrame, results=(), *, wrote_reports: bool) -> None:
    """Remove what earlier runs wrote for series no longer in the input (a corrected
    patient ID, a withdrawn consent): their cached results, overlays and reports, and
    temporary ``.part`` files an interrupted run left; and in the overlay folder of each
    series committed in ``results`` (scored now or resumed), the files its result does not
    list (a visit removed or renamed, a photo that no longer scores). ``series``: every
    series of the input (:func:`_input_series`, also those whose photos all failed
    validation: they are kept).
    Names are compared case-insensitively, so a case-insensitive file system never loses
    what this run wrote. When reports were not written this run, those of earlier runs (the
    patients' pages and the cohort page) go: they would contradict the new tables."""
    keys = {series_slug(r.patient_id, r.site, r.modality).casefold() for r in series.itertuples()}
    patients = {f"{safe_slug(p)}.html".casefold() for p in series["patient_id"]}
    cache = out / _CACHE
    for p in sorted(cache.rglob("*.pkl")) if cache.exists() else ():
        if p.relative_to(cache).as_posix()[:-4].casefold() not in keys:
            p.unlink()
    overlays = out / "overlays"
    for d in sorted(overlays.glob("*/*")) if overlays.exists() else ():
        if d.is_dir() and d.relative_to(overlays).as_posix().casefold() not in keys:
            shutil.rmtree(d)
    for r in results:
        if "format" not in r:
            continue  # (not committed: its worker died; the next run retries it)
        listed = {rel.casefold() for rel in r.get("file_names", ())}
        d = overlays / r["key"]
        for p in sorted(d.iterdir()) if d.is_dir() else ():
            if p.is_file() and p.relative_to(out).as_posix().casefold() not in listed:
                p.unlink()
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    for d in sorted(overlays.glob("*")) if overlays.exists() else ():
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    pages = sorted((out / "reports").glob("*.html"))
    if wrote_reports:
        gone = [p for p in pages if p.name.casefold() not in patients]
    else:
        gone = [p for p in [*pages, out / "index.html"] if p.is_file()]
        if gone:
            log.warning("%d report page(s) of an earlier run removed: they would contradict "
                        "the tables of this run, written without reports; run again without "
                        "--no-reports (reports=False) to write them", len(gone))
    for p in gone:
        p.unlink()
    if (out / "reports").is_dir() and not any((out / "reports").iterdir()):
        (out / "reports").rmdir()
    for p in sorted(out.rglob(".*.part")):
        p.unlink()


def _input_series(manifest: Manifest) -> pd.DataFrame:
    """Every series of the input (``patient_id``, ``arm``, ``site``, ``modality``), also
    those whose photos all failed validation (they are not in the manifest's table)."""
    cols = ["patient_id", "arm", "site", "modality"]
    table = manifest.table.reindex(columns=cols).fillna("")
    failed = pd.DataFrame([{"patient_id": p.patient_id, "arm": "", "site": p.site,
                            "modality": p.modality}
                           for p in manifest.problems if p.patient_id and p.site and p.modality],
                          columns=cols)
    return pd.concat([table, failed], ignore_index=True).drop_duplicates(
        ["patient_id", "site", "modality"])


def _finish(out, manifest, series, results, run, reports, n_cached, n_scored, t0) -> BatchResult:
    order = ["patient_id", "site", "modality", "week"]
    visits = _sorted(_concat(r["visits"] for r in results), order)
    patches = _sorted(_concat(r["patches"] for r in results), order + ["patch_id"])
    val = pd.DataFrame([{"patient_id": p.patient_id, "site": p.site, "modality": p.modality,
                         "visit": p.visit, "week": p.week, "photo": p.photo, "stage": "validate",
                         "error_type": "InputError", "message": str(p)}
                        for p in manifest.problems], columns=ERROR_COLUMNS)
    errors = _concat([val] + [r["errors"] for r in results])
    errors = _sorted(errors if len(errors) else pd.DataFrame(columns=ERROR_COLUMNS),
                     ["patient_id", "site", "modality", "week", "photo", "stage", "message"])
    scores = scores_table(visits)
    endpoints = endpoints_table(visits, series=series, errors=errors)
    tables = {"visits": visits, "patches": patches, "scores": scores, "endpoints": endpoints,
              "errors": errors}
    files = {}
    for name, df in tables.items():
        files[name] = write_table(df, out / "tables" / name)
    files["data_dictionary"] = write_table(data_dictionary(tables), out / "tables" /
                                           "data_dictionary", parquet=False)
    report_paths, index = [], None
    if reports:
        from .report import write_reports

        report_paths, index = write_reports(out, tables, results, run)
    elapsed = time.perf_counter() - t0
    _atomic.write_text(out / RUN_FILE, json.dumps(
        {**run, "status": "complete", "errors": int(len(errors)), "resumed_series": n_cached,
         "scored_series": n_scored,
         "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
        indent=2) + "\n")
    return BatchResult(out, visits, patches, scores, endpoints, errors, tuple(report_paths),
                       index, len(results), n_cached, n_scored, elapsed, files)


def series_slug(patient_id, site, modality) -> str:
    """The folder name used for a series under ``overlays/``.

    >>> series_slug("P 1", "face", "woods")
    'P_1-6b9061/face-woods'
    """
    return f"{safe_slug(patient_id)}/{site}-{modality}"
