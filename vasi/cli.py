"""Command line: ``vasi score PHOTO`` and ``vasi demo``.

Each sub-command is a small function ``_cmd_<name>(args) -> int`` registered in
:func:`build_parser`; the process exit code is its return value (0 ok, 1 failures in the
data, 2 bad usage).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ._version import __version__
from .errors import VasiError

log = logging.getLogger("vasi")


def build_parser() -> argparse.ArgumentParser:
    """The ``vasi`` argument parser with all sub-commands."""
    p = argparse.ArgumentParser(prog="vasi", description="Measure vitiligo from photographs.")
    p.add_argument("--version", action="version", version=f"vasi {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score one photo and write an overlay PNG")
    s.add_argument("photo", type=Path)
    s.add_argument("--site", choices=("face", "body"), default="face")
    s.add_argument("--modality", choices=("visible", "woods"), default="visible")
    s.add_argument("--mm-per-px", type=float, default=None, help="pixel size in mm, if known")
    s.add_argument("--roi", type=Path, default=None, help="PNG mask of the assessed region")
    s.add_argument("-o", "--overlay", type=Path, default=None,
                   help="overlay PNG path (default: PHOTO_overlay.png beside the photo)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.set_defaults(func=_cmd_score)

    d = sub.add_parser("demo", help="score the bundled sample series")
    d.add_argument("--output", "-o", type=Path, default=Path("vasi-demo"))
    d.add_argument("--samples", type=Path, default=None,
                   help="sample folder (default: the repository's sample_images/)")
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv=None) -> int:
    """Entry point of the ``vasi`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except VasiError as exc:
        print(f"vasi: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vasi: interrupted", file=sys.stderr)
        return 130


def _cmd_score(args) -> int:
    from .io import read_photo, write_image
    from .overlay import overlay
    from .pipeline import score_photo

    photo = read_photo(args.photo)
    roi = read_photo_mask(args.roi, photo.shape) if args.roi else None
    mm = args.mm_per_px if args.mm_per_px is not None else photo.meta.mm_per_px
    result = score_photo(photo.image, site=args.site, modality=args.modality, roi=roi,
                         mm_per_px=mm)
    out = args.overlay or args.photo.with_name(args.photo.stem + "_overlay.png")
    write_image(out, overlay(photo.image, result.mask, roi=result.roi))
    row = {"photo": str(args.photo), **result.to_dict(), "overlay": str(out)}
    if args.json:
        print(json.dumps(row, indent=2, default=str))
    else:
        width = max(len(k) for k in row)
        for k, v in row.items():
            v = f"{v:.4f}" if isinstance(v, float) else v
            print(f"{k:<{width}}  {v}")
    return 0


def read_photo_mask(path: Path, shape) -> "object":
    """Read a mask image (any non-zero pixel is inside) and check it matches ``shape``."""
    import cv2
    import numpy as np

    from ._validate import check_mask
    from .errors import PhotoError

    m = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_GRAYSCALE) if path.exists() else None
    if m is None:
        raise PhotoError(path, "mask file is missing or not an image")
    return check_mask(m > 0, shape, f"mask {path}")


def _default_samples() -> Path:
    return Path(__file__).resolve().parent.parent / "sample_images"


def _cmd_demo(args) -> int:
    from .demo import run_demo

    samples = args.samples or _default_samples()
    return run_demo(samples, args.output)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
