"""Real-face check: vitiligo painted onto real photos, for every skin type.

Usage::

    .venv/bin/python benchmarks/real_face.py [--quick] [--json PATH] [--png PATH]

The synthetic photos of ``vasi.synth`` are drawn by the package's own renderer. This check
uses real photos instead -- the two public-domain portraits that ship with the project's
dependencies (``PHOTOS``: scikit-image's astronaut, matplotlib's Grace Hopper), each framed
on the head as a clinical F-VASI photo would be and upscaled to about 1 MP -- and paints
patches onto them with :func:`vasi.synth.paint_vitiligo`, after recolouring skin and hair
to each Fitzpatrick type's ITA. The skin's real texture, wrinkles, shine, shading, hair,
glasses and camera processing stay; only the colour changes where the patches are, so the
answer is known exactly.

* **Painted area**: a hand-drawn outline of the facial skin in view (forehead below the
  hairline, cheeks, nose, chin), minus eyes and brows, glasses, nostrils and mouth --
  drawn once on each photo, not found by the library.
* **Recoloured skin**: warm chromatic pixels (CIELAB chroma > 7, a* and b* > 0) inside a
  hand-drawn outline of the head and neck: skin and hair; the background, white hair,
  the whites of the eyes, the teeth and dark clothes keep their colour.

Per photo and skin type: 3 photos (1 with ``--quick``) with 3 patches each (4 to 12 mm mean
radius) and one without any (its depigmented fraction is a false alarm). Reported: Dice of the
depigmentation mask, the relative area error, the false-alarm fraction, and the share of
the painted area that the automatic region covers (region recall), by type and by photo;
and, to tell the region's errors from the segmentation's, Dice and false alarm of
``vasi.segment`` given the hand-drawn painted area as the region.
``benchmarks/accuracy.py`` runs it as one of its metric groups (keys ``real_face_*``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vasi  # noqa: E402
from vasi._atomic import write_text  # noqa: E402
from vasi.synth import FITZPATRICK_ITA, paint_vitiligo  # noqa: E402


@dataclass(frozen=True)
class RealPhoto:
    """A real frontal photo of normal skin and its hand-drawn outlines, in the source
    photo's (x, y) pixel coordinates."""

    name: str
    load: Callable[[], np.ndarray]  # the source photo, uint8 RGB
    crop: tuple  # (rows, cols) slices framing the head, as a clinical F-VASI photo would
    up: int  # upscaling of the crop (a camera's pixel count)
    mm_per_px: float  # in the source photo: ~140 mm across the cheeks
    face: list  # the painted area's outline: facial skin in view
    holes: list  # left out of it: ("ellipse", (x, y), (half axes), angle) or ("poly", [(x, y), ...])
    head: list  # outline of the head and neck: chromatic pixels inside are recoloured


def _astronaut():
    from skimage.data import astronaut

    return astronaut()


def _grace_hopper():
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


#: scikit-image's astronaut (Eileen Collins, NASA; public domain): young, light skin, a
#: fringe, shine on forehead and cheeks, smiling. matplotlib's Grace Hopper (US Navy;
#: public domain): old, wrinkled, glasses (the skin behind their lenses is not painted),
#: white hair, a cap.
PHOTOS = (
    RealPhoto(
        "astronaut", _astronaut, (slice(0, 300), slice(100, 350)), 4, 140.0 / 85.0,
        face=[(189, 98), (196, 86), (207, 79), (225, 76), (245, 78), (258, 84), (265, 96), (268, 112),
              (266, 128), (260, 145), (250, 162), (238, 174), (225, 178), (212, 175), (200, 165),
              (190, 148), (184, 128), (183, 112)],
        holes=[("ellipse", (207, 101), (13, 6), 0), ("ellipse", (244, 101), (13, 6), 0),  # eyes
               ("ellipse", (205, 90), (15, 5), -5), ("ellipse", (246, 90), (15, 5), 5),  # brows
               ("ellipse", (225, 130), (9, 4), 0), ("ellipse", (227, 147), (22, 10), 0)],  # nostrils, mouth
        head=[(150, 60), (175, 25), (230, 12), (285, 28), (302, 70), (302, 125), (278, 138),
              (266, 150), (264, 188), (188, 188), (184, 150), (172, 138), (148, 110)],
    ),
    RealPhoto(
        "grace_hopper", _grace_hopper, (slice(60, 400), slice(120, 420)), 3, 140.0 / 155.0,
        face=[(205, 140), (250, 130), (300, 130), (335, 140), (348, 160), (352, 200), (350, 240),
              (345, 270), (330, 300), (310, 322), (280, 332), (250, 330), (228, 318), (212, 295),
              (202, 265), (198, 235), (196, 200), (198, 160)],
        holes=[("poly", [(180, 170), (370, 170), (370, 194), (180, 194)]),  # the glasses' frame
               ("ellipse", (232, 208), (54, 30), 0), ("ellipse", (322, 206), (47, 29), 0),  # lenses
               ("ellipse", (276, 250), (22, 7), 0), ("ellipse", (275, 276), (38, 11), 0)],  # nostrils, mouth
        head=[(180, 125), (350, 125), (372, 170), (372, 300), (330, 345), (220, 345), (178, 300),
              (170, 170)],
    ),
)
TYPES = tuple(FITZPATRICK_ITA)
SEED0 = 3_000_000


def _to_crop(ph: RealPhoto, pts):
    """(x, y) in the source photo -> int32 points in the upscaled crop."""
    p = (np.asarray(pts, np.float64) - [ph.crop[1].start, ph.crop[0].start]) * ph.up
    return np.round(p).astype(np.int32)


def photo(ph: RealPhoto):
    """The framed photo (uint8 RGB), the painted area and the recoloured skin (float mask)."""
    from skimage.color import rgb2lab

    img = cv2.resize(ph.load()[ph.crop], None, fx=ph.up, fy=ph.up, interpolation=cv2.INTER_CUBIC)
    face = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(face, [_to_crop(ph, ph.face)], 1)
    for hole in ph.holes:
        if hole[0] == "poly":
            cv2.fillPoly(face, [_to_crop(ph, hole[1])], 0)
        else:
            _, c, axes, angle = hole
            centre = tuple(int(v) for v in _to_crop(ph, [c])[0])
            cv2.ellipse(face, centre, (axes[0] * ph.up, axes[1] * ph.up), angle, 0, 360, 0, -1)
    head = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(head, [_to_crop(ph, ph.head)], 1)
    lab = rgb2lab(img)
    # skin and hair: chromatic and warm (not the grey background, white hair, teeth, the
    # whites of the eyes, a black collar or a blue sky)
    warm = (np.hypot(lab[..., 1], lab[..., 2]) > 7.0) & (lab[..., 1] > 0) & (lab[..., 2] > 0)
    k = np.ones((5 * ph.up, 5 * ph.up), np.uint8)
    skin = cv2.morphologyEx(((head > 0) & warm).astype(np.uint8), cv2.MORPH_CLOSE, k)
    return img, face.astype(bool), cv2.GaussianBlur(skin.astype(np.float32), (0, 0), float(ph.up))


def cases(quick: bool, seed0: int = SEED0) -> list[dict]:
    """Per photo and type: photos with patches (seeded) and one without (``seed`` None)."""
    n = 1 if quick else 3
    return [dict(photo=j, skin_type=t, seed=None if k == n else seed0 + 10_000 * j + 100 * i + k)
            for j in range(len(PHOTOS)) for i, t in enumerate(TYPES) for k in range(n + 1)]


def run(cases_):
    """Paint and score each case; one row per case (with the images, for the montage)."""
    framed = {}
    rows = []
    for c in cases_:
        ph = PHOTOS[c["photo"]]
        if c["photo"] not in framed:
            framed[c["photo"]] = photo(ph)
        img, face, skin = framed[c["photo"]]
        n = 0 if c["seed"] is None else 3
        painted, truth = paint_vitiligo(img, face, rng=c["seed"] or 0, mm_per_px=ph.mm_per_px / ph.up,
                                        n_patches=n, radius_mm=(4.0, 12.0), skin=skin,
                                        ita=FITZPATRICK_ITA[c["skin_type"]])
        res = vasi.score_photo(painted, site="face")
        pred = np.asarray(res.segmentation.mask, bool)
        region = np.asarray(res.roi, bool)
        # the segmentation alone: the hand-drawn painted area given as the region
        alone = np.asarray(vasi.segment(painted, roi=face).mask, bool)
        rows.append(dict(
            case=c, image=painted, truth=truth, pred=pred, region=region,
            dice=None if n == 0 else _dice(pred, truth),
            dice_given_region=None if n == 0 else _dice(alone, truth),
            area_rel_err=None if n == 0 else abs(int(pred.sum()) - int(truth.sum())) / int(truth.sum()),
            false_fraction=float(pred.sum()) / max(int(region.sum()), 1) if n == 0 else None,
            false_fraction_given_region=float(alone.sum()) / float(face.sum()) if n == 0 else None,
            region_recall=float((region & face).sum()) / float(face.sum()),
        ))
    return rows


def _dice(a, b) -> float:
    s = int(a.sum()) + int(b.sum())
    return 2.0 * int((a & b).sum()) / max(s, 1)


def metrics(rows) -> dict:
    """``real_face_*`` keys: Dice (mean, by type, by photo), area error (median),
    false-alarm fraction on the photos without patches (by type), region recall (mean); and
    the segmentation alone, given the hand-drawn painted area as the region (Dice and false
    alarm, ``*_given_region``)."""
    def mean(xs):
        xs = [x for x in xs if x is not None]
        return float(np.mean(xs)) if xs else None

    painted = [r for r in rows if r["dice"] is not None]
    return {
        "real_face_dice_mean": mean([r["dice"] for r in painted]),
        "real_face_dice_by_type": {t: mean([r["dice"] for r in painted if r["case"]["skin_type"] == t]) for t in TYPES},
        "real_face_dice_by_photo": {ph.name: mean([r["dice"] for r in painted if r["case"]["photo"] == j])
                                    for j, ph in enumerate(PHOTOS)},
        "real_face_area_rel_err_median": float(np.median([r["area_rel_err"] for r in painted])),
        "real_face_false_fraction_by_type": {t: mean([r["false_fraction"] for r in rows if r["case"]["skin_type"] == t])
                                             for t in TYPES},
        "real_face_region_recall_mean": mean([r["region_recall"] for r in rows]),
        "real_face_dice_given_region_mean": mean([r["dice_given_region"] for r in painted]),
        "real_face_dice_given_region_by_type": {t: mean([r["dice_given_region"] for r in painted
                                                         if r["case"]["skin_type"] == t]) for t in TYPES},
        "real_face_false_fraction_given_region_by_type": {
            t: mean([r["false_fraction_given_region"] for r in rows if r["case"]["skin_type"] == t]) for t in TYPES},
        "n_real_face": len(rows),
    }


def print_table(res) -> None:
    names = ", ".join(PHOTOS[j].name for j in range(len(PHOTOS)))
    print(f"real faces ({names}; painted patches, {res['n_real_face']} photos)")
    print(f"{'type':<6}{'dice':>7}{'false alarm':>13}   given the region: {'dice':>5}{'false alarm':>13}")
    for t in TYPES:
        d, f = res["real_face_dice_by_type"][t], res["real_face_false_fraction_by_type"][t]
        dg, fg = res["real_face_dice_given_region_by_type"][t], res["real_face_false_fraction_given_region_by_type"][t]
        print(f"{t:<6}{d:>7.3f}{f:>12.1%}   {'':>17}{dg:>5.3f}{fg:>12.1%}")
    by_photo = ", ".join(f"{k} {v:.3f}" for k, v in res["real_face_dice_by_photo"].items())
    print(f"all   {res['real_face_dice_mean']:>7.3f}   ({by_photo}); area err (median) "
          f"{res['real_face_area_rel_err_median']:.3f}, region recall {res['real_face_region_recall_mean']:.3f}; "
          f"given the region: Dice {res['real_face_dice_given_region_mean']:.3f}")


def montage(rows, path) -> None:
    """One row per photo, one tile per type (its first painted photo, the face's box):
    truth only green, found only red, both yellow; the automatic region's outline blue."""
    lines = []
    for j, ph in enumerate(PHOTOS):
        x, y = np.asarray(ph.face).T
        box = tuple(slice(max(0, int((lo - 15 - c.start) * ph.up)), int((hi + 15 - c.start) * ph.up))
                    for lo, hi, c in ((y.min(), y.max(), ph.crop[0]), (x.min(), x.max(), ph.crop[1])))
        tiles = []
        for t in TYPES:
            r = next(r for r in rows if r["case"]["photo"] == j and r["case"]["skin_type"] == t and r["dice"] is not None)
            ov = r["image"].copy()
            ov[r["truth"] & ~r["pred"]] = (0, 230, 0)
            ov[r["pred"] & ~r["truth"]] = (230, 0, 0)
            ov[r["pred"] & r["truth"]] = (240, 220, 0)
            cnt, _ = cv2.findContours(r["region"].astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(ov, cnt, -1, (0, 90, 255), 2)
            both = np.concatenate([r["image"][box], ov[box]], 0)
            both = np.ascontiguousarray(cv2.resize(both, (250, round(250 * both.shape[0] / both.shape[1])),
                                                   interpolation=cv2.INTER_AREA))
            cv2.putText(both, f"type {t}  Dice {r['dice']:.2f}", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                        (255, 255, 255), 2)
            tiles.append(both)
        lines.append(np.concatenate(tiles, 1))
    width = max(a.shape[1] for a in lines)
    cv2.imwrite(str(path), np.concatenate([np.pad(a, ((0, 4), (0, width - a.shape[1]), (0, 0))) for a in lines], 0)[..., ::-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 painted photo per photo and type instead of 3")
    ap.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    ap.add_argument("--png", type=Path, help="write a montage (a painted photo per photo and type) here")
    ap.add_argument("--seed0", type=int, default=SEED0)
    args = ap.parse_args(argv)
    rows = run(cases(args.quick, args.seed0))
    res = metrics(rows)
    print_table(res)
    if args.png:
        montage(rows, args.png)
    if args.json:
        write_text(args.json, json.dumps(res, indent=2, sort_keys=True))  # (atomic; makes the folder)
    return res


if __name__ == "__main__":
    main()
