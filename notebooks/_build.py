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
eyelids included; lips, scalp, ears and neck excluded (docs/SPEC.md §1). The sample's true region
also leaves out the eye openings, eyebrows and nostrils. `vasi.find_region(image, site="face")`
returns the region as a boolean mask. Look at it before trusting a score: on this photo it
leaves out the eyes and lips but keeps the **eyebrows and nostrils** inside, and it reaches a
little below the jawline (compare with the true region in section 8). If the automatic
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
  the mask is the index above `thresholds["score"]`. With the default `sensitivity=0.5` the border
  is drawn where the skin would be *half* depigmented (a 50/50 mix of the two colours in linear
  light); the index is measured on a log scale, so that threshold is not 0.5 on the index
  (0.65 on this photo): read it from `thresholds["score"]`,
* `.reference_lab` / `.depigmented_lab` — CIELAB colour of normal and depigmented skin,
* `.contrast` — how well they separate (in standard deviations of normal skin),
* `.flags` — quality warnings, empty when all is well (notebook 04 explains them).
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
cbar = fig.colorbar(im, ax=axes[0], shrink=0.8, label="depigmentation index (0 = normal skin)")
cbar.ax.axhline(seg.thresholds["score"], color="cyan", lw=2)  # the mask's threshold
axes[0].set_title("depigmentation index inside the region\\n(cyan tick on the bar: mask threshold)")
axes[1].imshow(seg.mask[face], cmap="gray")
axes[1].contour(roi[face], levels=[0.5], colors="yellow", linewidths=1)
axes[1].set_title(f"mask (white): {int(seg.mask.sum())} px\\nregion outline in yellow")
for ax in axes:
    ax.axis("off")
fig.tight_layout()
'''),
md("""
## 5. Measure the patches

`vasi.measure.patches` turns a mask into a table, one row per connected patch, largest first.
With the pixel size it adds mm² / cm²; with `assessed_hu=3` (a whole face is 3 hand units, the
*relative* method) it adds each patch's area in hand units. The smallest entries can be specks
where the index just touches the threshold; filter them (e.g. `table[table.area_mm2 >= 10]`)
before reporting patch counts.
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

Which residual is snapped matters. From one photo with pixel counts, `f_vasi` takes the whole
assessed area (3 HU) as the extent and the depigmented fraction of it as the residual, so the
clinical score is `3 × snap(fraction)`: here 28 % of the face snaps to 25 %, giving 0.75 (this is
also how the sample's `truth.csv` computes `f_vasi_clinical`). A clinician scoring each patch
(extent in HU × its own residual) would give about the continuous value, since every patch is
fully white at baseline. `vasi.track_series` (notebook 02) scores per baseline patch that way, so
its week-0 clinical F-VASI of this same photo is 0.82, not 0.75. To score per patch from one
photo, give `f_vasi` a patch table (`area_hu` and `residual_fraction` columns) or `extent_hu=`.

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
## 9. A Wood's lamp photo

Under a Wood's lamp (UV, about 365 nm) depigmented skin fluoresces bright blue-white, which helps
on fair skin and for faint patches. The same call scores it with `modality="woods"`
(sample P003, Fitzpatrick V).

Expect the `overexposed` flag on many Wood's lamp photos: the fluorescing patches saturate the
camera's blue channel (a channel at 252 of 255 or more on over 2 % of the region raises it). Here it is only the
blue channel of the patches, and the score is close to the truth; it is not one of the flags
that put a score in doubt (`PhotoScore.needs_review`, empty below). If the patches are clipped
in all three channels, lower the exposure.
"""),
code('''
uv = vasi.read_photo(SAMPLES / "photos/P003/week00/face_woods.jpg").image
uv_score = vasi.score_photo(uv, site="face", modality="woods")
t3 = truth[(truth.patient_id == "P003") & (truth.week == 0)].iloc[0]
print(f"F-VASI {uv_score.f_vasi:.3f} (truth {t3.f_vasi:.3f}), flags: {uv_score.flags or 'none'}, "
      f"needs review: {uv_score.needs_review or 'no'}")
near_white = uv[uv_score.roi] >= 252  # what the flag counts as clipped (vasi.color.CLIPPED = 0.985)
print("share of the region clipped, by channel (R, G, B):", np.round(100 * near_white.mean(0), 1), "%")

seg_uv = uv_score.segmentation
rows_uv, cols_uv = np.nonzero(seg_uv.roi)
face_uv = np.s_[max(rows_uv.min() - 40, 0):rows_uv.max() + 40, max(cols_uv.min() - 60, 0):cols_uv.max() + 60]
fig, axes = plt.subplots(1, 2, figsize=(9, 5))
axes[0].imshow(uv[face_uv])
axes[0].set_title("P003 under a Wood's lamp")
axes[1].imshow(vasi.overlay(uv, seg_uv.mask, roi=seg_uv.roi)[face_uv])
axes[1].set_title("depigmentation found (magenta), region (cyan)")
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
md("""
# 02 · Serial repigmentation: one face over 52 weeks

Patient **P001** (synthetic, Fitzpatrick IV, a good responder with mixed repigmentation
patterns) was photographed at weeks 0, 12, 24, 36 and 52. Each visit has its own camera pose
(rotation, scale, shift, slight perspective), light, white balance and exposure, as real
follow-up photos do. This notebook

1. **registers** every follow-up photo to the baseline, so the same skin is compared at every visit,
2. tracks each baseline patch: **residual** depigmentation, **repigmented** skin, **new** depigmentation,
3. classifies the repigmentation **pattern** per patch (perifollicular / marginal / diffuse),
4. draws the **F-VASI timeline** and finds the week **F-VASI75** is reached,

and checks each step against the sample's ground truth (`sample_images/truth.csv`).
"""),
code('''
weeks = [0, 12, 24, 36, 52]
photos = [vasi.read_photo(SAMPLES / f"photos/P001/week{w:02d}/face_visible.jpg") for w in weeks]
truth = pd.read_csv(SAMPLES / "truth.csv").query("patient_id == 'P001'").set_index("week")

fig, axes = plt.subplots(1, 5, figsize=(15, 2.8))
for ax, w, ph in zip(axes, weeks, photos, strict=True):
    ax.imshow(ph.image)
    ax.set_title(f"week {w}")
    ax.axis("off")
fig.suptitle("the photos as taken: every visit has its own pose and light", y=1.02);
'''),
md("""
## 1. Registration

`vasi.register(baseline, followup)` estimates the homography that maps baseline pixels to the
follow-up photo (features + RANSAC, refined by ECC; the ArUco marker is a fallback) and checks that
the result is plausible. It returns a `Registration` that is **falsy** when the pair cannot be
aligned trustworthily (`.reason` says why), so a bad pair is never scored silently.
`.warp(...)` maps a follow-up image or mask into baseline coordinates.
"""),
code('''
baseline = photos[0].image
reg = vasi.register(baseline, photos[2].image)
print(f"ok={bool(reg)} method={reg.method} inliers={reg.n_inliers}/{reg.n_matches} "
      f"residual={reg.residual_px:.2f} px scale={reg.scale:.3f} rotation={reg.rotation_deg:.1f} deg")

true_H = np.array(truth.loc[24, "transform"].split(";"), float).reshape(3, 3)
corners = np.array([[0, 0, 1], [1199, 0, 1], [1199, 899, 1], [0, 899, 1]], float).T
def project(H):
    p = H @ corners
    return p[:2] / p[2]
print(f"corner error vs the true transform: {np.abs(project(reg.transform) - project(true_H)).max():.1f} px (max)")

warped = reg.warp(photos[2].image)
checker = (np.indices(baseline.shape[:2]) // 60).sum(0) % 2 == 0
fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
axes[0].imshow(photos[2].image)
axes[0].set_title("week 24 as taken")
axes[1].imshow(warped)
axes[1].set_title("week 24 warped to baseline")
axes[2].imshow(np.where(checker[..., None], baseline, warped)[120:780, 300:900])
axes[2].set_title("checkerboard: baseline / warped week 24")
for ax in axes:
    ax.axis("off")
'''),
md("""
## 2. Track the series

`vasi.track_series` does it all for a list of photos (or paths): registers each visit to the
baseline, assesses each follow-up on the baseline's region mapped into it (the same skin at every
visit), decides inside every baseline patch which pixels are still depigmented (one local colour
rule for baseline and follow-up, so exposure and white-balance drift cancel), finds new
depigmentation outside the patches, classifies the pattern and scores F-VASI.
Everything is returned in **baseline coordinates**: `.visits` (one row per visit), `.patches`
(one row per visit and baseline patch), `.labels`, `.masks`, `.new_masks`.

`f_vasi_clinical` here is scored **per baseline patch**: each patch's baseline extent in hand
units times its residual depigmentation snapped to the ladder. At week 0 every patch is fully
depigmented, so the clinical score equals the continuous one (0.82); notebook 01 scored the same
photo with the whole face as the extent and got 0.75 (see its section 6).
"""),
code('''
scale = vasi.find_scale(baseline, method="aruco", marker_mm=float(truth.loc[0, "marker_side_mm"]))
series = vasi.track_series(photos, weeks=weeks, site="face", modality="visible",
                           mm_per_px=scale.mm_per_px)
visits = series.visits
print(f"new depigmentation counts from {series.provenance['min_new_area_px']:.1f} px per blob "
      f"(min_patch_area_mm2 at {scale.mm_per_px:.3f} mm/px)")
visits[["week", "registered", "reg_method", "reg_residual_px", "depigmented_area_hu",
        "repigmentation_pct", "new_depigmentation_px", "f_vasi", "f_vasi_clinical",
        "f_vasi_pct_change", "f_vasi75"]]
'''),
md("""
### Repigmentation maps

Each panel is the baseline face: skin that was depigmented at baseline and is still depigmented
(magenta), that has repigmented since (green), and new depigmentation outside the baseline
patches (yellow). This patient has no new depigmentation in the truth. New depigmentation is
held to the smallest patch the segmentation keeps (`min_patch_area_mm2`, here 11.2 px, printed
above from `series.provenance["min_new_area_px"]`), so specks of a few pixels no longer count,
and a candidate counts only where the skin has turned towards the patient's own vitiligo colour at
the same place (`vasi.track.change_degree`): the eyebrow's hair in a pocket of the forehead patch
and the shine on the tip of the nose, brighter at one visit than at baseline, used to pass for new
depigmentation here (up to 179 px) and no longer do (`new_depigmentation_px` is 0 at every visit).
Look at the maps when that number is not 0.
"""),
code('''
patches0 = series.labels > 0
rows, cols = np.nonzero(series.roi)
face = np.s_[rows.min() - 20:rows.max() + 20, cols.min() - 20:cols.max() + 20]
COLOURS = {"still depigmented": (230, 0, 200), "repigmented": (0, 200, 60), "new depigmentation": (255, 220, 0)}

fig, axes = plt.subplots(1, len(weeks), figsize=(15, 3.9))
for ax, i in zip(axes, np.argsort(series.weeks), strict=True):
    w, residual = series.weeks[i], series.masks[i]
    layers = {"still depigmented": patches0 & residual,
              "repigmented": patches0 & ~residual & series.valid_masks[i],
              "new depigmentation": series.new_masks[i]}
    rgb = (0.55 * baseline).astype(np.uint8)
    for name, m in layers.items():
        rgb[m] = COLOURS[name]
    ax.imshow(rgb[face])
    v = visits.set_index("week").loc[w]
    ax.set_title(f"week {w:g}\\n{v.repigmentation_pct:.0f} % repigmented, {v.new_depigmentation_px:.0f} px new",
                 fontsize=10)
    ax.axis("off")
handles = [plt.Rectangle((0, 0), 1, 1, color=np.array(c) / 255) for c in COLOURS.values()]
fig.legend(handles, COLOURS.keys(), loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0))
fig.subplots_adjust(bottom=0.12, wspace=0.05);
'''),
md("""
How close is the tracked repigmentation to the truth? The sample's truth counts the residual
depigmentation of the baseline patches in baseline coordinates, the same quantity.
"""),
code('''
check = pd.DataFrame({
    "repigmentation % measured": visits.set_index("week").repigmentation_pct,
    "repigmentation % truth": truth.repigmentation_pct,
    "F-VASI measured": visits.set_index("week").f_vasi,
    "F-VASI truth": truth.f_vasi,
})
check
'''),
md("""
## 3. Patterns of repigmentation

Per baseline patch and visit, `series.patches` gives the repigmented percentage, the number of
pigment islands (perifollicular repigmentation starts as small dots around hair follicles), how far
the border has advanced (marginal repigmentation creeps in from the edge) and the pattern that best
describes the change (`diffuse` = the whole patch darkens evenly). A patch 75 % or more
repigmented has no islands or border band left to show how it got there: its `pattern` is the
one its course showed before (`pattern_visit` is what that visit alone shows). Patches smaller
than `min_patch_area_mm2` are not tracked.
"""),
code('''
pt = series.patches
big = pt.groupby("patch_id").baseline_area_px.first().sort_values(ascending=False).index[:3]
cols = ["week", "patch_id", "baseline_area_mm2", "repigmentation_pct", "pattern", "island_count",
        "border_advance_mm"]
pt[pt.patch_id.isin(big) & (pt.week > 0)][cols].sort_values(["patch_id", "week"])
'''),
code('''
fig, ax = plt.subplots(figsize=(7, 3.8))
for pid in big:
    p = pt[pt.patch_id == pid]
    ax.plot(p.week, p.repigmentation_pct, "o-", label=f"patch {pid} ({p.baseline_area_mm2.iloc[0]:.0f} mm²)")
ax.plot(visits.week, visits.repigmentation_pct, "k-", lw=2, alpha=0.5, label="all patches, measured")
ax.plot(truth.index, truth.repigmentation_pct, "k--", label="all patches, truth")
ax.set(xlabel="week", ylabel="% of the baseline patch repigmented", ylim=(-5, 105),
       title="repigmentation per patch")
ax.legend(loc="upper left", fontsize=8)
plt.show()

# the pattern of each large patch at each follow-up visit
pt[pt.patch_id.isin(big) & (pt.week > 0)].pivot(index="patch_id", columns="week", values="pattern")
'''),
md("""
## 4. F-VASI timeline and F-VASI75

`vasi.endpoints` turns the visits into the clinical endpoints: percent change from baseline,
the first week F-VASI50 / 75 / 90 is reached, the week-24 early-response check, plateau and
relapse. `vasi.plot.patient_timeline` draws it.

There are two ways to read "75 % better" from this series, and both are shown:

* the **F-VASI change** (`f_vasi_pct_change`): the whole facial score, including any new
  depigmentation elsewhere on the face — the trials' endpoint;
* the **repigmentation of the baseline patches** (`repigmentation_pct`): how much of what was
  depigmented at baseline has come back.
"""),
code('''
e = vasi.endpoints(visits[["week", "f_vasi", "f_vasi_clinical", "depigmented_area_hu"]], kind="f_vasi")
e_truth = vasi.endpoints(truth.reset_index()[["week", "f_vasi"]], kind="f_vasi")

print("first week reached (measured):", e.first_week)
print("first week reached (truth):   ", e_truth.first_week)
print(f"week-24 check: {e.check_improvement_pct:.0f} % better -> meaningful (>= 50 %)? {e.meaningful_at_check}")
first75 = visits.loc[visits.repigmentation_pct >= 75, "week"].min()
print(f"baseline patches >= 75 % repigmented from week {first75:g} "
      f"(truth: week {truth.index[truth.repigmentation_pct >= 75].min()})")
'''),
code('''
fig = vasi.plot.patient_timeline(e, title="P001 - F-VASI over 52 weeks (measured)")
ax_change = fig.axes[1]
ax_change.plot(truth.index, -100 * (1 - truth.f_vasi / truth.f_vasi.iloc[0]), "k:", marker="x",
               label="truth")
ax_change.legend(fontsize=8, loc="lower left")
fig  # vasi.plot returns the figure (no pyplot state): show it
'''),
md("""
**Reading the result.** The repigmentation of the baseline patches is the direct measurement:
compare it with the truth in the table of section 2. The F-VASI change is the trial-style
reading: it also counts any new depigmentation found elsewhere on the face and depends on how
completely the baseline patches were found, so near a threshold it can disagree with the truth
by a visit. Here the "measured" and "truth" lines printed above agree (F-VASI50 at week 36,
F-VASI75 at week 52), and so does the baseline patches' 75 % (week 52); at week 24 both sit just
under the 50 % check (46 %). When a patient sits close to
an endpoint, look at the maps and at the per-patch table before trusting the yes/no — that is
what they are for.
"""),
md("""
## 5. A Wood's lamp series: a visit aligned through another

Under a Wood's lamp the patches are most of what the photo shows, and they change as they
repigment: a late visit can share too few features with the baseline to be aligned, while it
still shares many with the visit before it. `track_series` then aligns it through the nearest
visit that did align (`vasi.register_via`): the composed transform is only a prior, and the
features matched near where it puts them must pass every check against the baseline itself
(`reg_method` "guided", `reg_via_week` the visit it went through). A visit that fails that way
too stays unscored, with the reasons of every attempt.

The fingernails glow under the lamp like depigmented skin. They are not skin and stay out of
the assessed region: each finger is read at a finer resolution than the region, where the
nail's rim of skin shows, while a fingertip depigmented to its outline stays in. Nails are
still used to align the visits (they stay the same from visit to visit).
"""),
code('''
w = vasi.synth.make_series(rng=710_007, site="forearm", skin_type="IV", modality="woods",
                           response=0.8, pattern="mixed", shape=(450, 600), weeks=(0, 12, 24, 36))
wr = vasi.track_series([v.image for v in w.visits], weeks=list(w.weeks), site="forearm",
                       modality="woods")
wv = wr.visits[["week", "registered", "reg_method", "reg_via_week", "reg_inliers",
                "repigmentation_pct"]].copy()
wv["repigmentation_pct_truth"] = [v.truth.repigmentation_pct for v in w.visits]
wv.round(1)
'''),
]

# ----------------------------------------------------------------------------------------------
# 03 cohort endpoints
# ----------------------------------------------------------------------------------------------
NB03 = [
md("""
# 03 · Cohort endpoints: a simulated two-arm study

A trial does not ask "how much did this patient repigment" but "what proportion of patients
reached F-VASI75 by week 24, on cream versus vehicle". This notebook runs that analysis on a
**simulated** study with known true response rates, so you can see both the machinery and whether
it recovers the truth:

1. simulate a seeded two-arm study (2:1 randomisation, visit noise, dropout),
2. responder rates by week with 95 % Wilson intervals, with missing visits handled explicitly
   (non-responder imputation vs observed cases),
3. Kaplan–Meier time to first F-VASI75,
4. a results table in the style of the TRuE-V trials (SPEC.md §3).

The input is one long table, one row per patient visit: `patient_id`, `arm`, `week`, `f_vasi` —
exactly what you get by stacking the `.visits` of `vasi.track_series` (notebook 02) or the
per-visit CSV of `vasi batch`, with an `arm` column added.
"""),
md("""
## 1. Simulate the study

`vasi.cohort.simulate_cohort` draws each patient's improvement so that the **true** proportion
reaching F-VASI75 at week 24 is exactly `true_rates` (here 30 % on cream, 10 % on vehicle, about
what TRuE-V found), with a gradual time course, noisy follow-up visits and monotone dropout
(3 % at each visit). The vehicle arm stays on vehicle to week 52 here (no cross-over).
"""),
code('''
from vasi import cohort

data = cohort.simulate_cohort(rng=2026, n_per_arm={"cream": 220, "vehicle": 110},
                              true_rates={"cream": 0.30, "vehicle": 0.10},
                              noise_sd=0.08, dropout_per_visit=0.03)
print("true F-VASI75 rates at week 24:", data.attrs["true_rates"])
print(data.groupby("arm").patient_id.nunique().rename("patients").to_dict())
data.head(12)
'''),
code('''
baseline = data[data.week == 0].groupby("arm").f_vasi.describe()[["mean", "50%", "min", "max"]]
observed = data.pivot_table(index="week", columns="arm", values="f_vasi", aggfunc="count")
print("baseline F-VASI by arm:")
print(baseline.round(2), end="\\n\\n")
print("patients still observed at each visit (dropout):")
print(observed.T)
'''),
md("""
Individual courses: percent change of F-VASI from baseline for 25 random patients per arm.
Below zero is improvement; the dashed line is the F-VASI75 threshold (−75 %), and −100 % is
complete repigmentation. A few patients get worse (the simulation allows up to +50 %, plus visit
noise).
"""),
code('''
wide = data.pivot_table(index=["arm", "patient_id"], columns="week", values="f_vasi")
change = 100 * (wide.div(wide[0.0], axis=0) - 1)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
rng = np.random.default_rng(0)
top = 0
for ax, arm in zip(axes, ["cream", "vehicle"], strict=True):
    sub = change.loc[arm]
    for pid in rng.choice(sub.index, 25, replace=False):
        row = sub.loc[pid].dropna()
        ax.plot(row.index, row.values, color="C0" if arm == "cream" else "C1", alpha=0.45, lw=1)
        top = max(top, row.max())
    ax.axhline(-75, ls="--", color="k", lw=1, label="F-VASI75 (−75 %)")
    ax.set(title=f"{arm}: 25 random patients", xlabel="week")
axes[0].set_ylim(-105, max(60, 10 * np.ceil(top / 10) + 5))  # room for every course (shared y)
axes[0].set_ylabel("% change in F-VASI from baseline")
axes[0].legend(loc="upper right", fontsize=8);
'''),
md("""
## 2. Responders by week

`cohort.responders` gives, per arm, week and endpoint, the number and proportion of responders
with a 95 % **Wilson** interval. Missing visits are never carried forward:

* `missing="nri"` (default, the trials' primary analysis): every randomised patient is in the
  denominator; a missing visit counts as no response;
* `missing="observed"`: only patients seen at that visit.
"""),
code('''
nri = cohort.responders(data, missing="nri")
obs = cohort.responders(data, missing="observed")
cols = ["arm", "week", "endpoint", "responders", "n", "proportion", "ci_low", "ci_high"]
for arm, true_rate in data.attrs["true_rates"].items():
    r = nri.query("arm == @arm and week == 24 and endpoint == 'f_vasi75'").iloc[0]
    inside = r.ci_low <= true_rate <= r.ci_high
    print(f"{arm}: week-24 F-VASI75 {r.proportion:.1%} ({r.ci_low:.1%} to {r.ci_high:.1%}); "
          f"true {true_rate:.0%} inside the interval: {inside}")
nri[(nri.week == 24)][cols]
'''),
code('''
fig = vasi.plot.responder_curves(nri, endpoint="f_vasi75",
                                 title="F-VASI75 responders by week (NRI, 95 % Wilson CI)")
ax = fig.axes[0]
ax.plot([24], [100 * 0.30], "k*", ms=12, label="true rate, cream")
ax.plot([24], [100 * 0.10], "kx", ms=10, mew=2, label="true rate, vehicle")
ax.legend(fontsize=8, loc="upper left")
fig
'''),
md("""
With dropout the two ways of handling missing visits drift apart: observed cases drop the
patients who left (often the ones doing badly in real trials), NRI counts them as failures.
"""),
code('''
key = ["arm", "week", "endpoint"]
both = nri.merge(obs, on=key, suffixes=("_nri", "_observed"))
both = both[(both.endpoint == "f_vasi75") & both.week.isin([24, 52])]
both[key + ["responders_nri", "n_nri", "proportion_nri", "responders_observed", "n_observed",
            "proportion_observed"]]
'''),
md("""
## 3. Time to F-VASI75 (Kaplan–Meier)

The event is the first visit at which F-VASI75 is reached; patients who drop out or never reach
it are censored at their last visit. `cohort.kaplan_meier` returns the curve with Greenwood
log(−log) intervals; `vasi.plot.km_curves` draws it with a number-at-risk table.
"""),
code('''
km = cohort.kaplan_meier(data, endpoint="f_vasi75")
fig = vasi.plot.km_curves(km, endpoint="f_vasi75", title="time to first F-VASI75")
fig
'''),
code('''
# cumulative proportion that has reached F-VASI75 at least once, by week 24 and week 52
at = km[km.week.isin([24, 52])][["arm", "week", "n_at_risk", "cum_response", "ci_low", "ci_high"]]
at
'''),
md("""
Note the difference with section 2: Kaplan–Meier counts patients who reached F-VASI75 **at any
visit so far**, the responder table counts those **at that visit** (a patient may reach it at
week 20 and be just above the threshold at week 24, mostly because of visit-to-visit noise).

## 4. A results table in the style of SPEC.md §3

`cohort.endpoint_table` compares the arms at weeks 24 and 52 for F-VASI50/75/90: rates,
difference with Newcombe's interval, risk ratio with the Katz interval.
"""),
code('''
table = cohort.endpoint_table(data, treatment="cream", control="vehicle", weeks=[24, 52])
table[["endpoint", "week", "result", "difference_ci", "risk_ratio_ci"]]
'''),
code('''
from IPython.display import Markdown

lines = ["| endpoint | cream vs vehicle (NRI) | difference (95 % CI) | risk ratio (95 % CI) |",
         "|---|---|---|---|"]
for r in table.itertuples():
    lines.append(f"| {r.endpoint}, week {r.week:g} | {r.result} | {r.difference_ci} | {r.risk_ratio_ci} |")
Markdown("\\n".join(lines))
'''),
md("""
The simulated week-24 F-VASI75 rates should land close to the true 30 % and 10 % (the check
printed in section 2 says whether the truth is inside each Wilson interval), and the layout matches the TRuE-V summary in SPEC.md §3
(29.8 % vs 7.4 % and 30.9 % vs 11.4 %). To analyse a real study, replace `data` with your own
long table.
"""),
]

# ----------------------------------------------------------------------------------------------
# 04 calibration and quality
# ----------------------------------------------------------------------------------------------
NB04 = [
md("""
# 04 · Calibration and quality

Scores are only as good as the photo. This notebook covers the five things to check before
trusting a number:

1. **scale** — the pixel size from an ArUco marker, needed for areas in cm² and physical hand units;
2. **colour** — white balance and exposure normalised with a colour chart;
3. **quality flags** — what each warning on a `Segmentation` means and what to do about it;
4. **hand corrections** — erase or add to a mask with numpy, draw your own assessed region, point
   at normal skin, and rescore;
5. **your own photos** — paint patches with a known answer onto a real photo of normal skin taken
   under your conditions, and see how well the automatic mask finds them.

It uses the bundled samples and a few small synthetic photos made with `vasi.synth` (whose exact
ground truth lets us see what each correction buys).
"""),
md("""
## 1. Scale from an ArUco marker

`vasi.find_scale(image, method="aruco", marker_mm=...)` detects the marker (OpenCV's `cv2.aruco`,
dictionary `DICT_4X4_50` by default) and returns a `Scale`: `mm_per_px`, a `residual` (how unequal
the four sides are: large when the marker is strongly tilted or badly detected), an estimated
`tilt_deg` and the `corners`. **`marker_mm` must be the printed side of the outer black square**:
the pixel size scales with it, and areas with its square. The sample markers are 30 mm (faces) and
25 mm (forearm).
"""),
code('''
truth = pd.read_csv(SAMPLES / "truth.csv").set_index(["patient_id", "week"])
cases = {"P001": "photos/P001/week00/face_visible.jpg", "P002": "photos/P002/week00/forearm_visible.jpg"}

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
rows = []
for ax, (pid, rel) in zip(axes, cases.items(), strict=True):
    img = vasi.read_photo(SAMPLES / rel).image
    t = truth.loc[(pid, 0)]
    sc = vasi.find_scale(img, method="aruco", marker_mm=float(t.marker_side_mm))
    rows.append({"photo": rel, "marker mm": t.marker_side_mm, "found": bool(sc), "mm/px": sc.mm_per_px,
                 "truth mm/px": t.mm_per_px, "side CV": sc.residual, "tilt deg": sc.tilt_deg})
    ax.imshow(img)
    ax.plot(*np.vstack([sc.corners, sc.corners[:1]]).T, "y-", lw=2)
    (x0, y0), (x1, y1) = sc.corners.min(0) - 60, sc.corners.max(0) + 60
    ax.set(xlim=(x0, x1), ylim=(y1, y0), title=f"{pid}: {sc.reason}, {sc.mm_per_px:.4f} mm/px")
    ax.axis("off")
pd.DataFrame(rows)
'''),
code('''
img = vasi.read_photo(SAMPLES / cases["P001"]).image
print("no marker in view:", vasi.find_scale(img[:, 400:], method="aruco", marker_mm=30.0).reason or "falsy")
wrong = vasi.find_scale(img, method="aruco", marker_mm=25.0)   # the wrong printed size
right = vasi.find_scale(img, method="aruco", marker_mm=30.0)
print(f"marker_mm 25 instead of 30: areas off by {(wrong.mm_per_px / right.mm_per_px) ** 2 - 1:+.0%}")
print("a known pixel size can be given instead:", vasi.find_scale(img, method="given", mm_per_px=0.42))
'''),
md("""
With the scale, areas come out in cm² and, for body sites, in **physical hand units**
(`area_cm2 / hand_unit_cm2`, the patient's hand unit being 1 % of body surface area, e.g. from
height and weight with `vasi.hand_unit_cm2`). A synthetic forearm (Fitzpatrick IV) with a marker:
"""),
code('''
from vasi import synth

arm = synth.make_photo(rng=6, shape=(600, 800), site="forearm", skin_type="IV", marker=True)
arm_scale = vasi.find_scale(arm.image, method="aruco", marker_mm=arm.truth.marker["side_mm"])
arm_score = vasi.score_photo(arm.image, site="body", mm_per_px=arm_scale.mm_per_px)
hu_cm2 = vasi.hand_unit_cm2(height_cm=175, weight_kg=70)
print(f"pixel size {arm_scale.mm_per_px:.3f} mm/px (truth at the marker {arm.truth.marker['mm_per_px']:.3f})")
print(f"depigmented {arm_score.depigmented_area_cm2:.1f} cm² (truth {arm.truth.depig_area_cm2:.1f} cm²)")
print(f"hand unit for 175 cm / 70 kg: {hu_cm2:.0f} cm² -> "
      f"{vasi.physical_hu(arm_score.depigmented_area_cm2, hand_unit_cm2=hu_cm2):.3f} HU "
      f"(truth {vasi.physical_hu(arm.truth.depig_area_cm2, hand_unit_cm2=hu_cm2):.3f} HU)")
'''),
md("""
## 2. Colour normalisation with a chart

Follow-up photos differ in exposure and white balance. `vasi.find_chart` finds a 24-patch
ColorChecker (`cv2.mcc`); `vasi.normalize(image, method="chart")` corrects the photo so the measured
patches come closer to their reference values. It weighs three corrections: a 3×3 matrix in
linear RGB, per-channel gains from the chart's six neutral patches (a von Kries white balance)
and none. Each is judged by the **leave-one-out** mean CIEDE2000 of the unclipped patches (every
patch corrected by a fit to the *other* patches: a fit's error on its own patches flatters it),
and the lowest is applied (a tie goes to the simpler one). When no fit beats the photo as taken,
the photo is left unchanged and the result is falsy. The `Normalization` holds the float image in
[0, 1], the applied 3×3 `matrix` (diagonal for gains), `correction` (`"matrix"`, `"gains"` or
`"none"`), `delta_e_loo` (the three leave-one-out errors), and `delta_e_before` / `delta_e`, the
mean CIEDE2000 of the patches before and after (after: on the patches the fit was made from).
Without a chart, `method="grey-world"`, `"white-patch"` or `"skin"` are available; `"auto"` uses the chart
when there is one.

Segmentation itself compares each pixel with the same photo's normal skin, so it does not need
normalised colour; normalisation matters when you compare **colours** across visits or patients
(e.g. the L\\*a\\*b\\* of normal skin below).
"""),
code('''
week_imgs = {w: vasi.read_photo(SAMPLES / f"photos/P001/week{w:02d}/face_visible.jpg").image for w in (0, 24, 52)}
norms = {}
for w, im in week_imgs.items():
    chart = vasi.find_chart(im)
    norms[w] = vasi.normalize(im, method="chart", chart=chart)
    n = norms[w]
    print(f"week {w}: {n.reason}\\n   -> correction {n.correction!r}, linear gains (R, G, B) "
          f"{np.round(np.diag(n.matrix), 3).tolist()}; patch error ΔE00 {n.delta_e_before:.2f} -> {n.delta_e:.2f}")

fig, axes = plt.subplots(2, 3, figsize=(12, 6))
for j, w in enumerate(week_imgs):
    axes[0, j].imshow(week_imgs[w][80:820, 300:1180])
    axes[0, j].set_title(f"week {w} as taken")
    axes[1, j].imshow(norms[w].image[80:820, 300:1180])
    axes[1, j].set_title(f"week {w} normalised")
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()
'''),
code('''
rows = []
for w, im in week_imgs.items():
    roi_w = vasi.find_region(im, site="face")
    raw = vasi.segment(im, roi=roi_w).reference_lab
    fixed = vasi.segment(norms[w].image, roi=roi_w).reference_lab
    rows.append({"week": w, "L* raw": raw[0], "a* raw": raw[1], "b* raw": raw[2],
                 "L* normalised": fixed[0], "a* normalised": fixed[1], "b* normalised": fixed[2]})
lab = pd.DataFrame(rows).set_index("week")
print("truth (nominal normal skin):", [round(float(truth.loc[("P001", 0)][c]), 1) for c in ("reference_L", "reference_a", "reference_b")])
lab.loc["spread (max - min)"] = lab.max() - lab.min()
lab
'''),
md("""
Read the numbers rather than the pictures (the photos look alike). **The chart:** at all three
visits the per-channel gains win. Their leave-one-out error (0.83, 0.40, 0.91) is below the photo
as taken (1.05, 0.93, 2.99). The full matrix is never better: at week 0 it is worse than no
correction at all (1.68 against 1.05; nine numbers fitted to two dozen patches follow their
noise), and at week 24 it ties the gains to two decimals (0.40), where the gains are the lower
and the simpler. The chart error falls at every visit (1.05 → 0.81, 0.93 → 0.36, 2.99 → 0.89);
the leave-one-out numbers are the fairer check, since `delta_e` is measured on the patches the
gains were fitted to.

**The skin** benefits less. a\\* of normal skin becomes more stable across the visits (spread
2.4 → 0.2), b\\* stays as it was (0.7 → 0.7), and L\\* spreads more (0.6 → 3.2). The gains undo the
exposure *the chart* saw: they brighten week 52 by 7-13 % (gains 1.07-1.13) and darken week 0 by
2-3 % (0.97-0.98). But the normal skin's L\\* as taken was already level across the visits
(53.3-53.9), so the correction pulls the visits apart (52.6 at week 0, 55.8 at week 52): the light
on the face is not exactly the light on the chart. The truth is the nominal colour before the
camera. The lesson: a chart corrects the light where the chart is. Check `correction` and
`delta_e_loo` to see whether any fit helped the chart at all (a falsy result with
`correction == "none"` means none did, and the photo is left as taken). Compare colours only
between photos treated the same way, and check that the skin you compare got the chart's light.

## 3. Quality flags

`Segmentation.flags` (and `PhotoScore.flags`, which adds the region's own warning) is a tuple
of warnings, empty when all is well. None of them stops the analysis; they tell you which
numbers to look at twice:

| flag | meaning | what to do |
|---|---|---|
| `low contrast` | depigmented and normal skin separate by < 4 SD of normal skin (fair skin, soft light) | check the overlay; consider a Wood's lamp photo |
| `very light skin: a Wood's lamp photo shows depigmentation better` | visible light, normal skin with ITA > 55° (Fitzpatrick I; not raised with `overexposed`): depigmentation barely shows (Dice about 0.63 there on development photos, 0.94 under the lamp) | take a Wood's lamp photo; treat the visible-light number as a rough guide |
| `colour cast: the normal skin is greyer or bluer than skin ...` (a review flag) | visible light, normal skin with a* < 0.02 (L* + 16) or b* < 0.11 (L* + 16) in CIELAB (so exposure alone never raises it): grey, bluish or greenish, which no skin type is -- the camera's white balance was set for a warmer light than the scene's (or the reference is not skin). The region's skin colours and the depigmentation's hue assume a balanced photo: in `benchmarks/robustness.py` a blue cast takes the visible-light Dice from 0.87 to 0.42 (on dark skin a cast is not told from light skin by colour; a warm cast does no harm). `vasi.score_photo` and `vasi.track_series` (and so `vasi batch`) then remove the cast itself (below); the flag stays where that did not give the skin a skin colour, with `colour_cast="flag"`, and from `vasi.segment` alone | white-balance the photo -- a colour chart in the frame and `vasi.normalize(image, method="chart")`, else `method="skin"` -- and score it again |
| `colour cast corrected from the normal skin (linear gains R ..., G ..., B ...): check the region and the reference` (a review flag) | `vasi.score_photo` or `vasi.track_series` found the cast above, white-balanced the photo with the skin as the probe of the light (its normal skin moved to the nearest normal skin colour, `vasi.color.skin_colour`; `provenance["colour_cast"]` has the gains) and scored it again: with the region's colour tests relative to the skin's, blue-cast photos of the robustness benchmark from Dice 0.42 to 0.85 (fresh seeds 0.40 to 0.87) | check the overlay: a region on the wrong pixels would mislead the correction; with a chart in the frame `method="chart"` is the better anchor |
| `no depigmentation found` | nothing passed the threshold | true for clear skin — but also what extensive disease can look like: check, and point at normal skin (`reference=`) |
| `reference skin too small` | little normal skin to compare with | give `reference=` (a mask or a point) |
| `mostly depigmented: reference skin uncertain` | more than 75 % of the region is depigmented | check the reference; give one if needed |
| `overexposed` | more than 2 % of the region is clipped white | retake the photo; clipped skin cannot be scored |
| `empty region` | the assessed region is empty | pass a `roi=` |
| `face outline not found` (`PhotoScore.flags`, batch `quality_flags`) | a face photo in which neither the eyes and mouth nor the face detector found the face: the region is the central skin, so the F-VASI area is a guess | check the overlay; pass a `roi=` drawn on the face |
| `face outline from the detector's box` (`PhotoScore.flags`, batch `quality_flags`) | the face detector found the face but its eyes and mouth did not show (mostly dark skin under a Wood's lamp): the outline follows the box's proportions (development Wood's faces: region IoU 0.54 against 0.79-0.81 otherwise, 29 % of the depigmentation left outside) | check the overlay; pass a `roi=` drawn on the face |
| `little skin in the photo` (`PhotoScore.flags`, batch `quality_flags`) | the automatic region covers less than 2 % of the frame (`vasi.roi.MIN_REGION_FRACTION`; a clinical photo frames the site): a photo without the site in it, or a site the skin model missed | check the photo and its overlay; pass a `roi=` |

Examples, on the forearm sample (Fitzpatrick II) and on small synthetic faces:
"""),
code('''
def frac(mask, roi):
    return mask.sum() / max(roi.sum(), 1)

examples = {}
p2 = vasi.read_photo(SAMPLES / cases["P002"]).image
p2_roi = vasi.find_region(p2, site="body")
p2_truth = truth.loc[("P002", 0)].depig_fraction
examples["P002 forearm, Fitzpatrick II (sample)"] = (p2, p2_roi, p2_truth)
fair = synth.make_photo(rng=3, shape=(450, 600), site="face", skin_type="II")
examples["face, Fitzpatrick II"] = (fair.image, fair.truth.roi_mask, fair.truth.depig_fraction)
ok = synth.make_photo(rng=3, shape=(450, 600), site="face", skin_type="IV")
examples["face, Fitzpatrick IV, well exposed"] = (ok.image, ok.truth.roi_mask, ok.truth.depig_fraction)
bright = np.clip(ok.image * 1.9, 0, 255).astype(np.uint8)
examples["same face, about 1 stop overexposed"] = (bright, ok.truth.roi_mask, ok.truth.depig_fraction)
wide = synth.make_photo(rng=5, shape=(450, 600), site="face", skin_type="IV", extent=2.5, n_patches=8)
examples["face with extensive depigmentation"] = (wide.image, wide.truth.roi_mask, wide.truth.depig_fraction)
examples["empty region"] = (ok.image, np.zeros(ok.truth.roi_mask.shape, bool), None)

rows, segs = [], {}
for name, (im, r, true_frac) in examples.items():
    segs[name] = sg = vasi.segment(im, roi=r)
    rows.append({"case": name, "flags": ", ".join(sg.flags) or "-", "contrast SD": sg.contrast,
                 "depigmented fraction": frac(sg.mask, r), "truth": true_frac})
pd.DataFrame(rows).set_index("case")
'''),
code('''
fig, axes = plt.subplots(1, 5, figsize=(16, 3.2))
for ax, name in zip(axes, [n for n in examples if n != "empty region"], strict=True):
    im, r, _ = examples[name]
    ax.imshow(vasi.overlay(im, segs[name].mask, roi=r))
    ax.set_title(f"{name}\\n{', '.join(segs[name].flags) or 'no flags'}", fontsize=9)
    ax.axis("off")
fig.tight_layout()
'''),
md("""
Three lessons. **Overexposure** is the costly one here: the clipped face loses most of its
patches (depigmented fraction 0.04 against 0.13) and is flagged `overexposed` — retake such a
photo. **Fair skin**: on these photos the type II face and forearm come out as well as type IV,
but depigmented and normal skin differ less on fair skin, so when a photo is flagged
`low contrast` do not trust the number blindly; check the overlay, and prefer a Wood's lamp
photo (sample P003 is one, of a face). **Extensive depigmentation**: most of the face is
depigmented, so the automatic search for *normal* skin has little to go on; here it is flagged
`reference skin too small` and undercounts (0.56 against 0.73) — always compare the measured
fraction with what you see. Section 4c shows the fix.
"""),
md("""
## 4. Correct by hand and rescore

Every stage takes your input instead of its own guess, and the scoring functions work on any
mask, so a correction is a few lines of numpy:

* **erase or add** pixels in `seg.mask`, then `vasi.measure.patches` and `vasi.f_vasi` again;
* **your own assessed region**: `roi=` in `vasi.segment` / `vasi.score_photo` / `vasi.track_series`;
* **your own normal skin**: `reference=` in `vasi.segment` (a mask, or a `(row, col)` point).

### 4a. Erase a region from the mask

Say the clinician decides one of the patches of P001 is not vitiligo (a scar, a reflection):
erase it with a disk and rescore.
"""),
code('''
image = vasi.read_photo(SAMPLES / cases["P001"]).image
mm_per_px = right.mm_per_px
roi = vasi.find_region(image, site="face")
seg = vasi.segment(image, roi=roi, mm_per_px=mm_per_px)
before = vasi.measure.patches(seg.mask, roi=roi, mm_per_px=mm_per_px, assessed_hu=3)

# the patch to erase: here the third largest; in practice, the one you point at
target = before.iloc[min(2, len(before) - 1)]
rr, cc = np.ogrid[:image.shape[0], :image.shape[1]]
eraser = (rr - target.centroid_row) ** 2 + (cc - target.centroid_col) ** 2 <= 45 ** 2
edited = seg.mask & ~eraser                      # never modify seg.mask in place

after = vasi.measure.patches(edited, roi=roi, mm_per_px=mm_per_px, assessed_hu=3)
f_before = vasi.f_vasi(depigmented_px=int(seg.mask.sum()), assessed_px=int(roi.sum()))
f_after = vasi.f_vasi(depigmented_px=int(edited.sum()), assessed_px=int(roi.sum()))
print(f"erased {int((seg.mask & eraser).sum())} px ({(seg.mask & eraser).sum() * mm_per_px**2 / 100:.2f} cm²)")
print(f"F-VASI {f_before.continuous:.3f} -> {f_after.continuous:.3f}; "
      f"depigmented {before.area_cm2.sum():.1f} -> {after.area_cm2.sum():.1f} cm²; "
      f"patches >= 10 mm²: {(before.area_mm2 >= 10).sum()} -> {(after.area_mm2 >= 10).sum()}")
'''),
code('''
rows_, cols_ = np.nonzero(roi)
face = np.s_[rows_.min() - 30:rows_.max() + 30, cols_.min() - 30:cols_.max() + 30]
fig, axes = plt.subplots(1, 2, figsize=(9, 5))
axes[0].imshow(vasi.overlay(image, seg.mask, roi=roi)[face])
axes[0].contour(eraser[face], levels=[0.5], colors="yellow", linewidths=2)
axes[0].set_title(f"automatic (yellow: eraser) - F-VASI {f_before.continuous:.2f}")
axes[1].imshow(vasi.overlay(image, edited, roi=roi)[face])
axes[1].set_title(f"edited - F-VASI {f_after.continuous:.2f}")
for ax in axes:
    ax.axis("off")
'''),
md("""
### 4b. Your own assessed region

To score only part of the face (for instance when the forehead is covered by hair in some visits,
and you want the same skin at every visit), draw the region yourself — here: the automatic region
below a horizontal line — and pass it as `roi=`. The relative hand units then refer to that part:
set `assessed_hu` to the hand units it represents (here, say, 2 of the face's 3).
"""),
code('''
line = int(rows_.min() + 0.3 * (rows_.max() - rows_.min()))
lower = roi.copy()
lower[:line] = False
part = vasi.score_photo(image, site="face", roi=lower, mm_per_px=mm_per_px, assessed_hu=2.0)
print(f"lower face only: {part.depigmented_area_cm2:.1f} cm² depigmented of "
      f"{part.assessed_area_px * mm_per_px**2 / 100:.0f} cm², {part.depigmented_area_hu:.3f} HU")
'''),
md("""
### 4c. Point at normal skin

For the face with extensive depigmentation (section 3), give the segmentation normal skin to
compare with: here a `(row, col)` point (the segmentation takes a small disk around it) in the
middle of the widest piece of normal skin, chosen from the synthetic truth; in practice the skin
you would point at on the screen. A boolean mask also works. The point must sit well inside
normal skin: a disk that reaches into a patch teaches the segmentation that depigmented skin
is normal.
"""),
code('''
import cv2


def dice_of(a, b):
    return 2 * (a & b).sum() / (a.sum() + b.sum())


im, r, true_frac = examples["face with extensive depigmentation"]
normal = (wide.truth.reference_mask & r).astype(np.uint8)   # stands in for the user's eye
depth = cv2.distanceTransform(normal, cv2.DIST_L2, 5)
point = tuple(int(v) for v in np.unravel_index(np.argmax(depth), depth.shape))

auto = segs["face with extensive depigmentation"]
guided = vasi.segment(im, roi=r, reference=point)
for name, sg in (("automatic", auto), ("with a reference", guided)):
    fv = vasi.f_vasi(depigmented_px=int(sg.mask.sum()), assessed_px=int(r.sum()))
    print(f"{name:>17}: flags {sg.flags or '-'}, depigmented {frac(sg.mask, r):.0%} "
          f"(truth {true_frac:.0%}), Dice {dice_of(sg.mask, wide.truth.depig_mask):.2f}, "
          f"F-VASI {fv.continuous:.2f} (truth {wide.truth.f_vasi:.2f})")

rows_, cols_ = np.nonzero(r)
crop = np.s_[rows_.min() - 20:rows_.max() + 20, cols_.min() - 20:cols_.max() + 20]
fig, axes = plt.subplots(1, 2, figsize=(9, 5))
for ax, (name, sg) in zip(axes, (("automatic", auto), ("with a reference point (yellow)", guided)), strict=True):
    ax.imshow(vasi.overlay(im, sg.mask, roi=r)[crop])
    ax.set_title(f"{name}: {frac(sg.mask, r):.0%} (truth {true_frac:.0%})")
    ax.axis("off")
axes[1].plot(point[1] - crop[1].start, point[0] - crop[0].start, "o", ms=9, mfc="yellow", mec="k");
'''),
md("""
The point's disk is a small sample of skin, but it is the skin you vouched for: the guided
result is not flagged `reference skin too small` (that flag is about the automatic reference).
The overlay and the numbers above are the check.

The same three handles exist for a series: `vasi.track_series(..., rois=[...], masks=[...],
segment_kwargs={"reference": ...})` takes per-visit regions, corrected masks (each in its own
photo's coordinates) and segmentation options, so a corrected visit is rescored with everything
else unchanged.
"""),
md("""
## 5. How well does it work on *your* photos?

The synthetic benchmark is drawn by this package's own renderer; real photos are harder (shine,
redness, wrinkles, glasses). `vasi.synth.paint_vitiligo(image, where, rng=, mm_per_px=)` paints
depigmented patches with an exact answer onto a real photo of normal skin: the skin colour changes
as the loss of melanin would change it (per-channel gains in linear light), while the photo's own
texture, shine and shading stay. With `ita=` it first recolours the skin (`skin=`: which pixels)
to another skin type. Take a few photos of normal skin under your own camera, light and framing,
mark where patches may go (`where`), and compare the automatic mask with the painted truth.

Here: scikit-image's astronaut (a real photo), her cheeks and forehead as `where`, recoloured to
type IV. `benchmarks/real_face.py` does this for two real portraits and every skin type
(Dice 0.28 on average, against 0.85 on the synthetic set: check automatic masks of real photos).
"""),
code('''
import cv2
from skimage.data import astronaut

from vasi.synth import FITZPATRICK_ITA, paint_vitiligo

photo = cv2.resize(astronaut()[0:300, 100:350], None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
where = np.zeros(photo.shape[:2], bool)
where[235:280, 320:450] = True        # forehead, below the fringe (rows, cols of this 900 x 750 crop)
where[335:400, 265:330] = True        # her right cheek, below the eye
where[335:400, 430:495] = True        # her left cheek
# the skin to recolour: the face region found on the unpainted photo, with a soft edge
skin = cv2.GaussianBlur(vasi.find_region(photo, site="face").astype(np.float32), (0, 0), 8)
painted, truth = paint_vitiligo(photo, where, rng=7, mm_per_px=0.55, n_patches=3, radius_mm=(6, 12),
                                skin=skin, ita=FITZPATRICK_ITA["IV"])
found = vasi.score_photo(painted, site="face")
dice = 2 * (found.mask & truth).sum() / (found.mask.sum() + truth.sum())
print(f"painted {truth.sum()} px, found {found.mask.sum()} px, Dice {dice:.2f}, flags {found.flags or '-'}")

fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
view = np.s_[170:620, 190:590]
axes[0].imshow(painted[view])
axes[0].contour(truth[view], levels=[0.5], colors="lime")
axes[0].set_title("painted (green: the truth)")
axes[1].imshow(vasi.overlay(painted, found.mask, roi=found.roi)[view])
axes[1].set_title(f"found automatically - Dice {dice:.2f}")
for ax in axes:
    ax.axis("off")
'''),
md("""
One photo and one seed say little: paint several seeds on several photos, and keep the painted area
on skin the region includes (`found.roi`), or the region's misses count against the segmentation.
"""),
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
        print(f"{name}.ipynb  " + (f"executed in {dt:.1f} s" if execute else "written"))


if __name__ == "__main__":
    main(sys.argv[1:])
