"""Command line: ``vasi score PHOTO``, ``vasi batch INPUT -o OUT`` and ``vasi demo``.

Each sub-command is a small function ``_cmd_<name>(args) -> int`` registered in
:func:`build_parser`; the process exit code is its return value: 0 ok, 1 some photos could
not be scored (``batch``: the others were; see the errors table) or a file could not be read or
written (the message says which), 2 bad usage, input or output folder (nothing was scored; the
message lists every problem), 130 interrupted (re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from ._json import plain
from ._version import __version__
from .errors import InputError, VasiError

log = logging.getLogger("vasi")


def build_parser() -> argparse.ArgumentParser:
    """The ``vasi`` argument parser with all sub-commands.

    >>> build_parser().parse_args(["batch", "photos", "-o", "out", "--jobs", "2"]).jobs
    2
    """
    p = argparse.ArgumentParser(prog="vasi", description="Measure vitiligo from photographs.")
    p.add_argument("--version", action="version", version=f"vasi {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    # -v also after the command (vasi score x.jpg -v); SUPPRESS keeps the one given before it
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "score", help="score one photo and write an overlay PNG",
        description="Score one photo: the depigmented share of the assessed skin, F-VASI for a "
        "face, and flags that put the numbers in doubt (needs_review); write an overlay PNG "
        "(assessed region and patches outlined) to check them.", parents=[verbose])
    s.add_argument("photo", type=Path, help="the photo (JPEG, PNG, TIFF, ...)")
    s.add_argument("--site", default=None,
                   help="face (or a word of it: cheek, forehead, ...), or a body site (forearm, "
                   "hands, body, ...: scored as a body site); default: from the file name as in "
                   "a batch, else face")
    s.add_argument("--modality", choices=("visible", "woods"), default=None,
                   help="default: from the file name as in a batch (woods or uv -> woods), "
                   "else visible")
    scale = s.add_mutually_exclusive_group()
    scale.add_argument("--mm-per-px", type=float, default=None, help="pixel size in mm, if known")
    scale.add_argument("--marker-mm", type=float, default=None,
                       help="printed side of the ArUco marker (or sticker diameter) in the photo, "
                       "in mm: the pixel size is measured on it")
    s.add_argument("--roi", type=Path, default=None, help="PNG mask of the assessed region")
    _colour_cast_option(s)
    s.add_argument("-o", "--overlay", type=Path, default=None,
                   help="overlay PNG path (default: PHOTO_overlay.png beside the photo)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(func=_cmd_score)

    b = sub.add_parser(
        "batch", help="score a study: folder PATIENT/VISIT/PHOTO or CSV manifest",
        description="Score every photo series of INPUT into OUT: tables (CSV/Parquet), "
        "overlays, one HTML report per patient and a cohort page. Re-run the same command "
        "after an interruption to resume.", parents=[verbose])
    b.add_argument("input", type=Path, help="photo folder (PATIENT/VISIT/PHOTO), a folder with "
                   "manifest.csv, or a CSV manifest")
    b.add_argument("-o", "--output", type=Path, required=True, help="results folder")
    _run_options(b)
    b.add_argument("--root", type=Path, default=None,
                   help="folder manifest photo paths are relative to (default: its folder)")
    b.add_argument("--default-site", "--site", dest="default_site", default="face",
                   help="site for photos whose name gives none (default face; in 'vasi score' "
                        "--site overrides the name, here it only fills in)")
    b.add_argument("--blind", action="store_true",
                   help="leave the treatment arms out of every table and report (blinded reading)")
    b.add_argument("--no-overlays", action="store_true", help="skip full-size overlay PNGs")
    b.add_argument("--no-reports", action="store_true",
                   help="skip the HTML reports (an earlier run's are removed)")
    b.add_argument("--no-track", action="store_true",
                   help="score photos one by one (no registration to baseline)")
    b.add_argument("--marker-mm", type=float, default=None,
                   help="printed side of the ArUco marker (or sticker diameter) in the photos, "
                   "in mm, for photos whose manifest row gives no mm_per_px or marker_mm")
    _colour_cast_option(b)
    b.add_argument("--force", action="store_true",
                   help="discard previous results in OUT and score everything again")
    b.set_defaults(func=_cmd_batch)

    d = sub.add_parser("demo", help="batch-score the bundled sample series into vasi-demo/",
                       description="Batch-score the bundled sample series (sample_images/) as "
                       "'vasi batch' would, print a per-visit table and write tables, overlays "
                       "and HTML reports.", parents=[verbose])
    d.add_argument("--output", "-o", type=Path, default=Path("vasi-demo"),
                   help="results folder (default: vasi-demo)")
    d.add_argument("--samples", type=Path, default=None,
                   help="sample folder (default: the repository's sample_images/)")
    _run_options(d, dask=False, jobs=max(1, min(2, os.cpu_count() or 1)))
    d.set_defaults(func=_cmd_demo)
    return p


def _colour_cast_option(p) -> None:
    p.add_argument("--colour-cast", choices=("correct", "flag"), default="correct",
                   help="a visible-light photo whose normal skin has a colour no skin has (a blue, "
                   "green or grey cast): white-balance it from that skin and score it again, "
                   "flagged for review (correct, the default), or only flag it")


def _run_options(p, dask: bool = True, jobs: int = 1) -> None:
    p.add_argument("-j", "--jobs", type=int, default=jobs,
                   help=f"worker processes (series run in parallel); default {jobs}")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    if dask:
        g = p.add_mutually_exclusive_group()
        g.add_argument("--dask-scheduler", metavar="ADDRESS", default=None,
                       help="run on a Dask cluster (tcp://host:8786); workers must see INPUT")
        g.add_argument("--dask", choices=("local",), default=None,
                       help="run on a local Dask cluster with --jobs workers")


def main(argv=None) -> int:
    """Entry point of the ``vasi`` console script."""
    args = build_parser().parse_args(argv)
    restore = _stop_on_sigterm() if args.command in ("batch", "demo") else (lambda: None)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"vasi: error: {exc}", file=sys.stderr)
        return 2
    except VasiError as exc:
        print(f"vasi: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nvasi: interrupted; finished series are kept -- re-run the same command to "
              "resume", file=sys.stderr)
        return 130
    finally:
        restore()


def _stop_on_sigterm():
    """Treat SIGTERM (kill, a job scheduler's time limit) like Ctrl-C: stop cleanly, keep
    what is committed. Returns a function restoring the previous handlers."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise KeyboardInterrupt

    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        signal.signal(signal.SIGTERM, handler)
        if old[signal.SIGINT] is signal.SIG_IGN:  # started in the background by a shell
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):  # pragma: no cover - platform without these signals
        return lambda: None

    def restore():
        for sig, h in old.items():
            signal.signal(sig, h)

    return restore


# ----------------------------------------------------------------------------- progress
class Progress:
    """Progress on a stream: a redrawn bar on a terminal, plain lines otherwise.

    >>> import io
    >>> buf = io.StringIO()
    >>> p = Progress(buf, tty=False)
    >>> p(1, 2, {"key": "P1/face-visible", "photos": 5, "errors": 1, "cached": False})
    >>> p(2, 2, {"key": "P2/face-visible", "photos": 2, "unscored": 1, "errors": 0})
    >>> [line.split("] ")[1] for line in buf.getvalue().splitlines()]
    ['P1/face-visible: 5 photos scored, 1 problem', 'P2/face-visible: 2 photos scored, 1 not scored']
    """

    def __init__(self, stream=None, *, tty: bool | None = None, width: int = 28):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.width = width
        self.t0 = time.monotonic()
        self.first = None
        self.photos = self.errors = 0

    def __call__(self, done: int, total: int, info: dict) -> None:
        el = time.monotonic() - self.t0
        if info.get("cached"):
            self.first = done
            self.stream.write(f"vasi: resuming: {done}/{total} series already done\n")
            self.stream.flush()
            return
        self.photos += info.get("photos", 0)
        self.errors += info.get("errors", 0)
        new = done - (self.first or 0)
        left = (total - done) * el / new if new else 0.0
        stamp = f"{_clock(el)} elapsed, ~{_clock(left)} left"
        if self.tty:
            fill = int(self.width * done / max(total, 1))
            bar = "#" * fill + "." * (self.width - fill)
            self.stream.write(f"\r[{bar}] {done}/{total} series, {self.photos} photos, "
                              f"{self.errors} problems, {stamp} ")
            if done >= total:
                self.stream.write("\n")
        else:
            n, u = info.get("errors", 0), info.get("unscored", 0)
            self.stream.write(f"vasi: [{done}/{total}] {info.get('key', '')}: "
                              f"{info.get('photos', 0)} photos scored"
                              f"{f', {u} not scored' if u else ''}"
                              f"{f', {n} problem' + 's' * (n != 1) if n else ''}\n")
        self.stream.flush()


def _clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# ----------------------------------------------------------------------------- commands
def _cmd_score(args) -> int:
    from .batch_series import read_mask
    from .calibrate import resolve_scale
    from .io import read_photo, write_image
    from .manifest import listed_site, name_site_modality
    from .overlay import overlay
    from .pipeline import score_photo
    from .sites import scored_site

    out = _overlay_path(args.photo, args.overlay)
    photo = read_photo(args.photo)
    roi = read_mask(args.roi, photo.shape) if args.roi else None
    mm, source = resolve_scale(photo, mm_per_px=args.mm_per_px, marker_mm=args.marker_mm)
    site, modality = name_site_modality(args.photo.stem)
    review = []
    if args.site is None and not listed_site(site):
        # (a word of the name that is no site vasi knows: a person's name, a description)
        review.append(f"site '{site}' guessed from the file name")
        print(f"vasi: warning: {args.photo.name}: the word '{site}' of the file name is taken "
              "for a body site (no F-VASI); if the photo is of the face pass --site face, "
              "else name its body site, e.g. --site forearm", file=sys.stderr)
    site = scored_site(args.site or site)
    modality = args.modality or modality
    result = score_photo(photo.image, site=site, modality=modality, roi=roi, mm_per_px=mm,
                         colour_cast=args.colour_cast)
    row = {"photo": str(args.photo), "site": site, "modality": modality, **result.to_dict(),
           "mm_per_px": mm, "scale_source": source,
           "colour_profile": photo.meta.colour_profile,
           "colour_converted": photo.meta.colour_converted, "overlay": str(out),
           "scored": bool(result),
           "needs_review": [*result.needs_review, *review]}
    if args.json:
        # strict JSON: a value that could not be measured is null, not NaN; the flags are
        # lists, as in PhotoScore.to_json
        row["flags"] = list(result.flags)
        print(json.dumps(plain(row), indent=2, allow_nan=False))
    else:
        width = max(len(k) for k in row)
        for k, v in row.items():
            v = (f"{v:.4f}" if isinstance(v, float) else "-" if v is None or v in ("", [])
                 else "; ".join(v) if isinstance(v, list) else v)
            print(f"{k:<{width}}  {v}")
    sys.stdout.flush()  # the numbers are out before the overlay is written
    try:
        write_image(out, overlay(photo.image, result.mask, roi=result.roi))
    except VasiError as exc:
        raise VasiError(f"{str(exc).rstrip('.')}; or choose where the overlay goes with "
                        "-o PATH") from None
    if not result:
        print(f"vasi: {args.photo}: not scored: {result.reason}", file=sys.stderr)
        return 1
    return 0


def _overlay_path(photo: Path, overlay: Path | None) -> Path:
    """Where ``vasi score`` writes the overlay of ``photo`` (``-o``; by default
    ``PHOTO_overlay.png`` beside it), refused before the photo is scored when it cannot hold
    an image or is the photo itself."""
    from .io import image_suffix
    from .manifest import OVERLAY_SUFFIX

    default = photo.with_name(photo.stem + OVERLAY_SUFFIX + ".png")
    out = overlay or default
    if out.is_dir():
        raise InputError(f"-o {out}: is a folder; give the overlay's file name, e.g. "
                         f"-o {out / default.name}")
    if out.exists() and photo.exists() and out.samefile(photo):
        raise InputError(f"-o {out}: is the photo itself, which the overlay would overwrite; "
                         f"give another file name, e.g. -o {default}")
    image_suffix(out)
    return out


def read_photo_mask(path: Path, shape):
    """Read a mask image (any non-zero pixel is inside) and check it matches ``shape``.

    Kept for compatibility; see :func:`vasi.batch_series.read_mask`.
    """
    from .batch_series import read_mask

    return read_mask(path, shape)


def _cmd_batch(args) -> int:
    from .batch import run_batch
    from .batch_series import has_score

    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1; got {args.jobs}.")
    dask = args.dask_scheduler or args.dask
    progress = None if args.quiet else Progress()
    res = run_batch(args.input, args.output, jobs=args.jobs, dask=dask, force=args.force,
                    root=args.root, default_site=args.default_site, overlays=not args.no_overlays,
                    reports=not args.no_reports, use_track=not args.no_track,
                    marker_mm=args.marker_mm, blind=args.blind, colour_cast=args.colour_cast,
                    progress=progress)
    scored = has_score(res.visits)
    unscored = int((~scored).sum())
    if not args.quiet:
        print(f"vasi: {res.n_series} series ({res.n_cached} resumed, {res.n_scored} scored), "
              f"{int(scored.sum())} photos scored"
              + (f", {unscored} not scored (no number: see needs_review in visits.csv)"
                 if unscored else "")
              + f", {len(res.errors)} problems in {res.seconds:.1f} s", file=sys.stderr)
    print(f"tables:  {res.out / 'tables'}")
    if res.index:
        print(f"summary: {res.index}")
    if len(res.errors):
        # a problem is not always a lost photo (a follow-up scored on its own when its
        # baseline could not be read or was left out is listed too, and a patient id
        # respelled)
        lost = set(res.errors["photo"].dropna()) - set(res.visits.get("photo", ()))
        print(f"{len(lost)} photo(s) not scored, {len(res.errors)} problem(s): see "
              f"{res.out / 'tables' / 'errors.csv'}")
        return 1
    return 0


def _default_samples() -> Path | None:
    """The repository's ``sample_images/`` beside the package (an editable install or a
    checkout), else None."""
    path = Path(__file__).resolve().parent.parent / "sample_images"
    return path if (path / "manifest.csv").is_file() else None


def _cmd_demo(args) -> int:
    from .demo import run_demo

    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1; got {args.jobs}.")
    samples = args.samples or _default_samples()
    return run_demo(samples, args.output, jobs=args.jobs,
                    progress=None if args.quiet else Progress())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
