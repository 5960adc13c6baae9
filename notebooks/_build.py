"""Write the example notebooks from the Python cells below and execute them.

The notebooks in this folder are generated: edit the cells here, then run (from the
repository root)::

    .venv/bin/python notebooks/_build.py            # write and execute all four
    .venv/bin/python notebooks/_build.py 01 03      # only the ones whose name contains 01 / 03
    .venv/bin/python notebooks/_build.py --no-execute

Execution uses the ``python3`` kernel of the current environment, with the notebook folder as
the working directory. Everything is seeded, so re-running gives the same numbers and figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

# Every notebook starts with this cell: find the repository root (the notebook may be run from
# notebooks/ by Jupyter / nbmake / the test, or from the root), small inline figures.
SETUP = '''\
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import vasi

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "sample_images").is_dir())
SAMPLES = ROOT / "sample_images"
%config InlineBackend.figure_formats = ["jpeg"]
%config InlineBackend.print_figure_kwargs = {"pil_kwargs": {"quality": 85}, "bbox_inches": "tight"}
plt.rcParams.update({"figure.dpi": 72, "image.interpolation": "antialiased"})
pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 160)
print("vasi", vasi.__version__)'''


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text.strip("\n"))


# ----------------------------------------------------------------------------------------------
# 01 quickstart
# ----------------------------------------------------------------------------------------------
NB01 = [
md("""
# 01 · Quickstart: score one photo

This notebook takes one clinical photo from start to finish:

1. **read** the photo,
2. find the **assessed region** (the F-VASI facial area),
3. **segment** the depigmented skin relative to the patient's own normal skin,
4. **measure** the patches (pixels, mm², hand units),
5. compute the **F-VASI** (continuous and on the clinical ladder),
6. draw an **overlay** to check the result by eye,
7. compare everything with the **ground truth** that ships with the sample.

The photo is `sample_images/photos/P001/week00/face_visible.jpg`: a synthetic face (Fitzpatrick IV)
made with `vasi.synth`, so the exact depigmented area is known (`sample_images/truth.csv` and
`sample_images/truth/`). It carries an ArUco marker (id 7) and a colour chart;
notebook 04 covers those in detail.
"""),
md("""
## 1. Read the photo

`vasi.read_photo` returns a `Photo`: `.image` is an `(H, W, 3)` RGB `uint8` array with the EXIF
orientation applied, `.meta` what the file says about itself (capture date, pixel size if the
file records one, ...).
"""),
code('''
photo = vasi.read_photo(SAMPLES / "photos/P001/week00/face_visible.jpg")
image = photo.image
print(image.shape, image.dtype)
print(photo.meta.format, "| capture date:", photo.meta.capture_date, "| mm/px in file:", photo.meta.mm_per_px)

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.imshow(image)
ax.set_title("P001, week 0 (visible light)")
ax.axis("off");
'''),
md("""
## 2. Pixel size from the marker

Areas in mm² and cm² need the pixel size. `vasi.find_scale` finds the ArUco marker and
returns a `Scale` (falsy when nothing is found). The printed side of the marker must be given:
here 30 mm (the `marker_side_mm` column of `truth.csv`).
"""),
code('''
truth = pd.read_csv(SAMPLES / "truth.csv")
t0 = truth[(truth.patient_id == "P001") & (truth.week == 0)].iloc[0]

scale = vasi.find_scale(image, method="aruco", marker_mm=float(t0.marker_side_mm))
print(scale.reason, "->", round(scale.mm_per_px, 4), "mm/px", f"(tilt {scale.tilt_deg:.1f} deg)")
print("truth at the image centre:", t0.mm_per_px, "mm/px")
mm_per_px = scale.mm_per_px
'''),
md("""
## 3. The assessed region

F-VASI is scored on the facial area from the hairline to the jawline and to the tragus, nose and
eyelids included; eyes, lips, nostrils, eyebrows, hair, ears and neck excluded.
`vasi.find_region(image, site="face")` returns that region as a boolean mask. If the automatic
region is not right for your photo you can pass your own mask everywhere a `roi=` is accepted
(see notebook 04).
"""),
code('''
roi = vasi.find_region(image, site="face")
print("assessed region:", int(roi.sum()), "px =", round(roi.sum() * mm_per_px**2 / 100, 1), "cm²")

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.imshow(image)
ax.contour(roi, levels=[0.5], colors="yellow", linewidths=1.5)
ax.set_title("automatic F-VASI region (yellow)")
ax.axis("off");
'''),
md("""
## 4. Segment the depigmentation

`vasi.segment` compares every pixel with the patient's **own** normal skin (found automatically
inside the region), after removing shading and illumination gradients. It returns a
`Segmentation` with

* `.mask` — the depigmented pixels (at the photo's full resolution),
* `.score` — a per-pixel *depigmentation index*: 0 = normal skin, 1 = the level of the patch cores;
  the mask is the index above `thresholds["score"]` (half-way by default, see `sensitivity=`),
* `.reference_lab` / `.depigmented_lab` — CIELAB colour of normal and depigmented skin,
* `.contrast` — how well they separate (in standard deviations of normal skin),
* `.flags` — quality warnings; empty here (notebook 04 explains them).
"""),
code('''
seg = vasi.segment(image, modality="visible", roi=roi, mm_per_px=mm_per_px)
print("flags:", seg.flags or "none")
print("normal skin L*a*b*:", np.round(seg.reference_lab, 1), "| depigmented:", np.round(seg.depigmented_lab, 1))
print(f"contrast: {seg.contrast:.1f} SD | mask threshold on the index: {seg.thresholds['score']:.2f}")

rows, cols = np.nonzero(roi)  # crop the figures to the face
face = np.s_[max(rows.min() - 40, 0):rows.max() + 40, max(cols.min() - 40, 0):cols.max() + 40]
fig, axes = plt.subplots(1, 2, figsize=(9, 5))
im = axes[0].imshow(np.where(roi, seg.score, np.nan)[face], cmap="magma", vmin=0, vmax=1.2)
fig.colorbar(im, ax=axes[0], shrink=0.8, label="depigmentation index")
axes[0].set_title("depigmentation index inside the region")
axes[1].imshow(seg.mask[face], cmap="gray")
axes[1].set_title(f"mask: {int(seg.mask.sum())} px")
for ax in axes:
    ax.axis("off")
fig.tight_layout()
'''),
md("""
## 5. Measure the patches

`vasi.measure.patches` turns a mask into a table, one row per connected patch, largest first.
With the pixel size it adds mm² / cm²; with `assessed_hu=3` (a whole face is 3 hand units, the
*relative* method) it adds each patch's area in hand units. The last rows are specks of a few
pixels where the index just touches the threshold; filter them with e.g.
`table[table.area_mm2 >= 10]` if you report patch counts.
"""),
code('''
table = vasi.measure.patches(seg.mask, roi=roi, mm_per_px=mm_per_px, assessed_hu=3, score=seg.score)
cols = ["patch_id", "area_px", "area_cm2", "area_hu", "fraction_of_region", "mean_score",
        "centroid_row", "centroid_col"]
print(len(table), "patches;", int((table.area_mm2 >= 10).sum()), "of them 10 mm² or larger")
table[cols].head(8)
'''),
md("""
## 6. F-VASI

F-VASI = Σ hand units × residual depigmentation, 0–3 for the face. From one photo the simplest
form is the depigmented fraction of the assessed region (relative hand units). `vasi.f_vasi`
returns both the **continuous** score and the **clinical** one, where the residual is snapped to
the ladder 0, 10, 25, 50, 75, 90, 100 % that clinicians use.

`vasi.score_photo` does steps 3–6 in one call and returns a `PhotoScore`.
"""),
code('''
s = vasi.f_vasi(depigmented_px=int(seg.mask.sum()), assessed_px=int(roi.sum()))
print(f"F-VASI continuous {s.continuous:.3f}, clinical {s.clinical:.2f} ({s.hu_method} hand units)")
print("ladder:", vasi.scores.LADDER, "-> 28.5 % snaps to", vasi.snap_to_ladder(0.285))

score = vasi.score_photo(image, site="face", modality="visible", mm_per_px=mm_per_px)
print(f"score_photo: {score.depigmented_area_px} of {score.assessed_area_px} px, "
      f"{score.depigmented_area_cm2:.1f} cm², {score.depigmented_area_hu:.3f} HU, "
      f"F-VASI {score.f_vasi:.3f} (clinical {score.f_vasi_clinical:.2f})")
'''),
md("""
## 7. Overlay

`vasi.overlay` draws the mask (translucent fill and outline) and the region outline on the photo:
the quickest way to check a result by eye, and what goes into reports.
"""),
code('''
fig, ax = plt.subplots(figsize=(8, 6))
ax.imshow(vasi.overlay(image, seg.mask, roi=roi))
ax.set_title(f"depigmentation (magenta) in the assessed region - F-VASI {s.continuous:.2f}")
ax.axis("off");
'''),
md("""
## 8. Compare with the ground truth

The sample comes with the exact depigmentation mask and assessed region
(`sample_images/truth/P001/week00/`). Below: the numbers side by side, the Dice overlap of the
masks, and a map of where the segmentation agrees (white), misses (blue) or over-calls (red).
Remember that the automatic **region** also differs a little from the truth: F-VASI is a ratio
of the two areas, so errors partly cancel.
"""),
code('''
from PIL import Image

truth_dir = SAMPLES / "truth/P001/week00"
true_mask = np.asarray(Image.open(truth_dir / "depig_mask.png")) > 0
true_roi = np.asarray(Image.open(truth_dir / "roi_mask.png")) > 0


def dice(a, b):
    return 2 * (a & b).sum() / (a.sum() + b.sum())


comparison = pd.DataFrame({
    "measured": [seg.mask.sum(), roi.sum(), score.depigmented_area_cm2, score.f_vasi, score.f_vasi_clinical],
    "truth": [t0.depig_area_px, t0.assessed_area_px, t0.depig_area_cm2, t0.f_vasi, t0.f_vasi_clinical],
}, index=["depigmented px", "assessed px", "depigmented cm²", "F-VASI", "F-VASI clinical"])
comparison["measured / truth"] = comparison.measured / comparison.truth
print(f"Dice: depigmentation {dice(seg.mask, true_mask):.3f}, region {dice(roi, true_roi):.3f}")
comparison
'''),
code('''
agree = np.zeros(image.shape, np.uint8)
agree[seg.mask & true_mask] = (255, 255, 255)
agree[~seg.mask & true_mask] = (40, 120, 255)    # missed
agree[seg.mask & ~true_mask] = (255, 60, 60)     # over-called

fig, axes = plt.subplots(1, 2, figsize=(9, 5))
axes[0].imshow(vasi.overlay(image, true_mask, roi=true_roi)[face])
axes[0].set_title("ground truth")
axes[1].imshow(agree[face])
axes[1].set_title("agree (white) / missed (blue) / over-called (red)")
for ax in axes:
    ax.axis("off")
fig.tight_layout()
'''),
md("""
## Where next

* **02 — serial repigmentation**: the same patient over 52 weeks, registered to baseline.
* **03 — cohort endpoints**: responder rates and time to F-VASI75 in a simulated trial.
* **04 — calibration and quality**: markers, colour charts, quality flags, hand corrections.
"""),
]

# ----------------------------------------------------------------------------------------------
# 02 serial repigmentation
# ----------------------------------------------------------------------------------------------
NB02 = [
#@@NB02
]

# ----------------------------------------------------------------------------------------------
# 03 cohort endpoints
# ----------------------------------------------------------------------------------------------
NB03 = [
#@@NB03
]

# ----------------------------------------------------------------------------------------------
# 04 calibration and quality
# ----------------------------------------------------------------------------------------------
NB04 = [
#@@NB04
]

NOTEBOOKS = {
    "01_quickstart": NB01,
    "02_serial_repigmentation": NB02,
    "03_cohort_endpoints": NB03,
    "04_calibration_and_quality": NB04,
}


def build(name: str, cells, *, execute: bool = True, timeout: int = 300) -> float:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [code(SETUP)] + list(cells)
    # stable cell ids (nbformat >= 4.5 draws random ones): deterministic files, small diffs
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name[:2]}-{i:02d}"
    t0 = time.perf_counter()
    if execute:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(HERE)}}).execute()
    dt = time.perf_counter() - t0
    nbformat.validate(nb)
    nbformat.write(nb, HERE / f"{name}.ipynb")
    return dt


def main(argv: list[str]) -> None:
    execute = "--no-execute" not in argv
    wanted = [a for a in argv if not a.startswith("--")]
    for name, cells in NOTEBOOKS.items():
        if wanted and not any(w in name for w in wanted):
            continue
        dt = build(name, cells, execute=execute)
        print(f"{name}.ipynb  {'executed in %.1f s' % dt if execute else 'written'}")


if __name__ == "__main__":
    main(sys.argv[1:])
