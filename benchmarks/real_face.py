"""Real-face check: vitiligo painted onto a real photo, for every skin type.

Usage::

    .venv/bin/python benchmarks/real_face.py [--quick] [--json PATH] [--png PATH]

The synthetic photos of ``vasi.synth`` are drawn by the package's own renderer. This check
uses a real photo instead -- scikit-image's astronaut (Eileen Collins, NASA; public
domain), framed on her head as a clinical F-VASI photo would be (the crop upscaled 4x to
1200 x 1000 px) -- and paints patches onto it with :func:`vasi.synth.paint.paint_vitiligo`,
after recolouring her skin and hair to each Fitzpatrick type's ITA. The skin's real
texture, shine, shading, hair and camera processing stay; only the colour changes where
the patches are, so the answer is known exactly.

* **Painted area**: a hand-drawn outline of her facial skin (forehead below the hairline,
  cheeks, chin), minus eyes and brows, nostrils and mouth -- drawn once on the photo, not
  found by the library.
* **Recoloured skin**: chromatic pixels (CIELAB chroma > 7) inside a hand-drawn outline of
  her head and neck: skin and hair; the grey background, the whites of the eyes, the
  teeth and the black collar keep their colour.

Per skin type: ``n`` photos with 3 patches each (4 to 12 mm mean radius) and one photo
without any (its depigmented fraction is a false alarm). Reported: Dice of the
depigmentation mask, the relative area error, the false-alarm fraction, and the share of
the painted area that the automatic region covers (region recall). ``benchmarks/accuracy.py``
runs it as one of its metric groups (keys ``real_face_*``).
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
from vasi.synth import FITZPATRICK_ITA, paint_vitiligo  # noqa: E402

#: Crop of the astronaut (rows, cols of the 512 x 512 photo) and its upscaling factor.
CROP = (slice(0, 300), slice(100, 350))
UP = 4
#: Her face is ~140 mm across the cheeks and ~85 px wide in the 512-px photo.
MM_PER_PX = 140.0 / 85.0 / UP
#: Hand-drawn outlines in the 512-px photo's (x, y) coordinates.
FACE = [(189, 98), (196, 86), (207, 79), (225, 76), (245, 78), (258, 84), (265, 96), (268, 112),
        (266, 128), (260, 145), (250, 162), (238, 174), (225, 178), (212, 175), (200, 165),
        (190, 148), (184, 128), (183, 112)]
#: Eyes, brows, nostrils, mouth: (centre x, centre y, half axes, angle in degrees).
FEATURES = [((207, 101), (13, 6), 0), ((244, 101), (13, 6), 0), ((205, 90), (15, 5), -5),
            ((246, 90), (15, 5), 5), ((225, 130), (9, 4), 0), ((227, 147), (22, 10), 0)]
HEAD = [(150, 60), (175, 25), (230, 12), (285, 28), (302, 70), (302, 125), (278, 138),
        (266, 150), (264, 188), (188, 188), (184, 150), (172, 138), (148, 110)]
TYPES = tuple(FITZPATRICK_ITA)
SEED0 = 3_000_000


def _to_crop(pts):
    """(x, y) in the 512-px photo -> int32 points in the upscaled crop."""
    p = (np.asarray(pts, np.float64) - [CROP[1].start, CROP[0].start]) * UP
    return np.round(p).astype(np.int32)


def photo():
    """The framed photo (uint8 RGB), the painted area and the recoloured skin (float mask)."""
    from skimage.color import rgb2lab
    from skimage.data import astronaut

    small = astronaut()[CROP]
    img = cv2.resize(small, None, fx=UP, fy=UP, interpolation=cv2.INTER_CUBIC)
    face = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(face, [_to_crop(FACE)], 1)
    for c, axes, angle in FEATURES:
        cv2.ellipse(face, tuple(int(v) for v in _to_crop([c])[0]), (axes[0] * UP, axes[1] * UP), angle, 0, 360, 0, -1)
    head = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(head, [_to_crop(HEAD)], 1)
    lab = rgb2lab(img)
    chromatic = (head > 0) & (np.hypot(lab[..., 1], lab[..., 2]) > 7.0)
    chromatic = cv2.morphologyEx(chromatic.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5 * UP, 5 * UP), np.uint8))
    skin = cv2.GaussianBlur(chromatic.astype(np.float32), (0, 0), float(UP))
    return img, face.astype(bool), skin


def cases(quick: bool, seed0: int = SEED0) -> list[dict]:
    """Per type: photos with patches (seeded) and one without (``seed`` None)."""
    n = 2 if quick else 4
    return [dict(skin_type=t, seed=None if k == n else seed0 + 100 * i + k)
            for i, t in enumerate(TYPES) for k in range(n + 1)]


def run(cases_):
    """Paint and score each case; one row per case (with the images, for the montage)."""
    img, face, skin = photo()
    rows = []
    for c in cases_:
        n = 0 if c["seed"] is None else 3
        painted, truth = paint_vitiligo(img, face, rng=c["seed"] or 0, mm_per_px=MM_PER_PX, n_patches=n,
                                        radius_mm=(4.0, 12.0), skin=skin, ita=FITZPATRICK_ITA[c["skin_type"]])
        res = vasi.score_photo(painted, site="face")
        pred = np.asarray(res.segmentation.mask, bool)
        region = np.asarray(res.roi, bool)
        s = int(pred.sum()) + int(truth.sum())
        rows.append(dict(
            case=c, image=painted, truth=truth, pred=pred, region=region,
            dice=None if n == 0 else 2.0 * int((pred & truth).sum()) / max(s, 1),
            area_rel_err=None if n == 0 else abs(int(pred.sum()) - int(truth.sum())) / int(truth.sum()),
            false_fraction=float(pred.sum()) / max(int(region.sum()), 1) if n == 0 else None,
            region_recall=float((region & face).sum()) / float(face.sum()),
        ))
    return rows


def metrics(rows) -> dict:
    """``real_face_*`` keys: Dice (mean, by type), area error (median), false-alarm
    fraction on the photos without patches (by type), region recall (mean)."""
    def mean(xs):
        xs = [x for x in xs if x is not None]
        return float(np.mean(xs)) if xs else None

    painted = [r for r in rows if r["dice"] is not None]
    return {
        "real_face_dice_mean": mean([r["dice"] for r in painted]),
        "real_face_dice_by_type": {t: mean([r["dice"] for r in painted if r["case"]["skin_type"] == t]) for t in TYPES},
        "real_face_area_rel_err_median": float(np.median([r["area_rel_err"] for r in painted])),
        "real_face_false_fraction_by_type": {t: mean([r["false_fraction"] for r in rows if r["case"]["skin_type"] == t])
                                             for t in TYPES},
        "real_face_region_recall_mean": mean([r["region_recall"] for r in rows]),
        "n_real_face": len(rows),
    }


def print_table(res) -> None:
    print(f"real face (skimage astronaut, painted patches, {res['n_real_face']} photos)")
    print(f"{'type':<6}{'dice':>7}{'false alarm':>13}")
    for t in TYPES:
        d, f = res["real_face_dice_by_type"][t], res["real_face_false_fraction_by_type"][t]
        print(f"{t:<6}{d:>7.3f}{f:>12.1%}")
    print(f"all   {res['real_face_dice_mean']:>7.3f}   area err (median) {res['real_face_area_rel_err_median']:.3f}, "
          f"region recall {res['real_face_region_recall_mean']:.3f}")


def montage(rows, path) -> None:
    """One tile per type (its first painted photo): truth only green, found only red,
    both yellow; the automatic region's outline blue."""
    tiles = []
    for t in TYPES:
        r = next(r for r in rows if r["case"]["skin_type"] == t and r["dice"] is not None)
        ov = r["image"].copy()
        ov[r["truth"] & ~r["pred"]] = (0, 230, 0)
        ov[r["pred"] & ~r["truth"]] = (230, 0, 0)
        ov[r["pred"] & r["truth"]] = (240, 220, 0)
        cnt, _ = cv2.findContours(r["region"].astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(ov, cnt, -1, (0, 90, 255), 2)
        box = (slice(200, 800), slice(250, 750))
        both = np.ascontiguousarray(np.concatenate([r["image"][box], ov[box]], 0)[::2, ::2])
        cv2.putText(both, f"type {t}  Dice {r['dice']:.2f}", (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        tiles.append(both)
    cv2.imwrite(str(path), np.concatenate(tiles, 1)[..., ::-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 painted photos per type instead of 4")
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    ap.add_argument("--png", type=Path, help="write a montage (one painted photo per type) here")
    ap.add_argument("--seed0", type=int, default=SEED0)
    args = ap.parse_args(argv)
    rows = run(cases(args.quick, args.seed0))
    res = metrics(rows)
    print_table(res)
    if args.png:
        montage(rows, args.png)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, sort_keys=True))
    return res


if __name__ == "__main__":
    main()
