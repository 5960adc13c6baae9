"""Robustness benchmark: how the photo pipeline degrades with the photo's quality.

Usage::

    .venv/bin/python benchmarks/robustness.py [--quick] [--json PATH] [--seed0 N]

Clinical photos are not all taken well. This benchmark scores one set of synthetic photos
(``vasi.synth.make_photo``: face, forearm, trunk x Fitzpatrick I-VI x visible light / Wood's
lamp, 900 x 1200 px, dark / light / busy backgrounds in turn, a fresh seed set) as
generated and after each of these changes, made to the finished 8-bit photo:

* ``jpeg50`` -- saved again as a JPEG of quality 50 (a messaging app, a web upload);
* ``noise`` -- Gaussian noise of 0.03 (sRGB, 0-1; a small sensor at high ISO);
* ``blur`` -- Gaussian blur of 2.5 px (out of focus or shaken: ~0.8 mm on a forearm);
* ``under`` / ``over`` -- exposure x 0.35 / x 1.8 in linear light (-1.5 / +0.85 EV; over
  clips the light parts);
* ``warm`` / ``cool`` -- a colour cast, linear gains (1.2, 1.0, 0.65) / (0.75, 0.95, 1.25):
  the camera's white balance set for a cooler / warmer light than the scene's (visible
  light only; under a Wood's lamp the colour is the lamp's);
* ``green`` -- a green cast, gains (0.92, 1.08, 0.95): fluorescent tubes under a daylight
  white balance (visible light only).

Per change: mean Dice of the depigmentation mask (``vasi.score_photo``, region found
automatically) over all photos and by modality; the photos scored below Dice 0.5
(failures, clean photos failing included) and how many of them no review flag warns of
(``PhotoScore.needs_review`` empty: *unflagged*); and the shares of visible-light photos
left flagged ``colour cast`` (``vasi.segment.COLOUR_CAST_FLAG``) and scored after the cast
was removed (``vasi.pipeline.COLOUR_CAST_CORRECTED_FLAG``; ``--colour-cast flag`` scores without
that correction, ``score_photo(colour_cast="flag")``). ``--json`` writes ``dice_by_change``,
``dice_by_change_modality``, ``failures_by_change``, ``silent_failures_by_change``,
``cast_flagged_by_change``, ``cast_corrected_by_change``, ``n_photos``, ``seed0``, ``quick``,
``colour_cast`` and ``vasi_version``. About a minute (``--quick``, 18 photos: 30 s).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vasi  # noqa: E402
from vasi import synth  # noqa: E402
from vasi._atomic import write_text  # noqa: E402
from vasi.color import linear_to_srgb, srgb_to_linear  # noqa: E402
from vasi.pipeline import COLOUR_CAST_CHOICES  # noqa: E402
from vasi.segment import COLOUR_CAST_FLAG  # noqa: E402

SEED0 = 2_000_000
SITES = ("face", "forearm", "trunk")
TYPES = ("I", "II", "III", "IV", "V", "VI")
MODALITIES = ("visible", "woods")
BACKGROUNDS = ("dark", "light", "busy")
#: Changes made to the finished photo, and the modalities they apply to.
CHANGES = {"clean": MODALITIES, "jpeg50": MODALITIES, "noise": MODALITIES, "blur": MODALITIES,
           "under": MODALITIES, "over": MODALITIES, "warm": ("visible",), "cool": ("visible",),
           "green": ("visible",)}
GAINS = {"under": (0.35,) * 3, "over": (1.8,) * 3, "warm": (1.2, 1.0, 0.65), "cool": (0.75, 0.95, 1.25),
         "green": (0.92, 1.08, 0.95)}


def change(image: np.ndarray, name: str, rng: np.random.Generator) -> np.ndarray:
    """``image`` (uint8 RGB) after the change ``name`` (one of ``CHANGES``)."""
    if name == "clean":
        return image
    if name == "jpeg50":
        ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 50])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]
    f = image.astype(np.float32) / 255.0
    if name == "noise":
        out = f + rng.normal(0.0, 0.03, f.shape).astype(np.float32)
    elif name == "blur":
        out = cv2.GaussianBlur(f, (0, 0), 2.5)
    else:
        out = linear_to_srgb(np.clip(srgb_to_linear(f) * np.asarray(GAINS[name], np.float32), 0.0, 1.0))
    return np.round(255.0 * np.clip(out, 0.0, 1.0)).astype(np.uint8)


def cases(quick: bool, seed0: int = SEED0) -> list[dict]:
    """One photo per site, skin type and modality, backgrounds in turn (``--quick``: the
    same photos of types I, IV and VI)."""
    out = []
    for site in SITES:
        for t in TYPES:
            for m in MODALITIES:
                i = len(out)
                out.append(dict(seed=seed0 + i + 1, site=site, skin_type=t, modality=m,
                                background=BACKGROUNDS[(i + 1) % 3]))
    return [c for c in out if c["skin_type"] in ("I", "IV", "VI")] if quick else out


def run(cases_, colour_cast: str = "correct") -> list[dict]:
    """Score each photo after each change; one row per (photo, change)."""
    rows = []
    for c in cases_:
        ph = synth.make_photo(rng=c["seed"], skin_type=c["skin_type"], site=c["site"], modality=c["modality"],
                              shape=(900, 1200), background=c["background"])
        truth = ph.truth.depig_mask
        for name, modalities in CHANGES.items():
            if c["modality"] not in modalities:
                continue
            img = change(ph.image, name, np.random.default_rng(c["seed"]))
            res = vasi.score_photo(img, site="face" if c["site"] == "face" else "body", modality=c["modality"],
                                   colour_cast=colour_cast)
            pred = np.asarray(res.segmentation.mask, bool)
            dice = 2.0 * int((pred & truth).sum()) / max(int(pred.sum()) + int(truth.sum()), 1)
            rows.append(dict(case=c, change=name, dice=dice, cast_flag=COLOUR_CAST_FLAG in res.flags,
                             corrected=res.provenance.get("colour_cast", {}).get("corrected", False),
                             review=bool(res.needs_review)))
    return rows


def metrics(rows) -> dict:
    def mean(xs):
        return float(np.mean(xs)) if xs else None

    out = {"dice_by_change": {}, "dice_by_change_modality": {}, "failures_by_change": {},
           "silent_failures_by_change": {}, "cast_flagged_by_change": {}, "cast_corrected_by_change": {}}
    for name in CHANGES:
        rs = [r for r in rows if r["change"] == name]
        out["dice_by_change"][name] = mean([r["dice"] for r in rs])
        out["dice_by_change_modality"][name] = {m: mean([r["dice"] for r in rs if r["case"]["modality"] == m])
                                                for m in MODALITIES if m in CHANGES[name]}
        out["failures_by_change"][name] = [f"{r['case']['site']} {r['case']['modality']} type "
                                           f"{r['case']['skin_type']} seed {r['case']['seed']}"
                                           for r in rs if r["dice"] < 0.5]
        out["silent_failures_by_change"][name] = sum(r["dice"] < 0.5 and not r["review"] for r in rs)
        vis = [r for r in rs if r["case"]["modality"] == "visible"]
        out["cast_flagged_by_change"][name] = mean([float(r["cast_flag"]) for r in vis])
        out["cast_corrected_by_change"][name] = mean([float(r["corrected"]) for r in vis])
    out["n_photos"] = len({r["case"]["seed"] for r in rows})
    return out


def print_table(res) -> None:
    print(f"vasi {vasi.__version__} robustness benchmark: {res['n_photos']} photos, each changed as below")
    print(f"{'change':<8}{'dice':>7}{'visible':>9}{'woods':>7}{'failures':>10}{'unflagged':>11}{'cast flag':>11}"
          f"{'corrected':>11}")
    for name in CHANGES:
        by_m = res["dice_by_change_modality"][name]
        wood = by_m.get("woods")
        print(f"{name:<8}{res['dice_by_change'][name]:>7.3f}{by_m['visible']:>9.3f}"
              f"{'-' if wood is None else f'{wood:.3f}':>7}{len(res['failures_by_change'][name]):>10}"
              f"{res['silent_failures_by_change'][name]:>11}"
              f"{res['cast_flagged_by_change'][name]:>11.2f}{res['cast_corrected_by_change'][name]:>11.2f}")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="types I, IV and VI only (18 photos)")
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    ap.add_argument("--seed0", type=int, default=SEED0)
    ap.add_argument("--colour-cast", choices=COLOUR_CAST_CHOICES, default="correct",
                    help="score_photo's colour_cast: remove a cast found on the skin (default) or only flag it")
    args = ap.parse_args(argv)
    res = metrics(run(cases(args.quick, args.seed0), args.colour_cast))
    res.update(seed0=args.seed0, quick=args.quick, colour_cast=args.colour_cast, vasi_version=vasi.__version__)
    print_table(res)
    if args.json:
        write_text(args.json, json.dumps(res, indent=1, sort_keys=True) + "\n")
    return res


if __name__ == "__main__":
    main()
