"""The data dictionary of the batch tables: every column's unit and meaning, and the
endpoint rules, written beside the tables (``tables/data_dictionary.csv``) so a
statistician can reproduce the endpoints from the visits table without the code.

Examples
--------
>>> d = data_dictionary({"visits": pd.DataFrame(columns=["week", "f_vasi"])})
>>> d[["table", "column", "unit"]].values.tolist()
[['visits', 'week', 'weeks'], ['visits', 'f_vasi', 'F-VASI (0-3)']]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["COLUMNS", "ENDPOINT_RULES", "data_dictionary"]

_ID = {
    "patient_id": ("", "patient identifier, as in the input"),
    "arm": ("", "treatment arm from the input manifest (empty when none, or with --blind)"),
    "site": ("", "site as scored: 'face' (F-VASI) or a body site's name"),
    "modality": ("", "'visible' light or 'woods' (Wood's lamp, UV)"),
    "visit": ("", "visit label from the input (folder name or manifest)"),
    "week": ("weeks", "weeks since baseline (week 0); from dates: days since the series' "
                      "earliest photo date (patient x site x modality) / 7"),
}

_FLAG = ("; nullable boolean, empty where undefined (where f_vasi_pct_change is: a body "
         "site, a failed registration, baseline F-VASI 0 or missing)")

#: ``{table: {column: (unit, description)}}``; columns of several tables share entries.
COLUMNS = {
    "visits": {
        **_ID,
        "date": ("ISO date", "visit date when the input gives one"),
        "photo": ("", "photo file, relative to the input folder or manifest"),
        "photo_sha256": ("hex", "SHA-256 of the photo file's content: what was scored"),
        "colour_profile": ("", "description of the ICC colour profile embedded in the photo "
                               "(e.g. 'Display P3', 'sRGB built-in'; 'unreadable' for a damaged "
                               "one, whose pixels are used as sRGB as they are); empty when the "
                               "photo carries none (taken as sRGB)"),
        "colour_converted": ("bool", "the photo's pixels were converted from that profile to "
                                     "sRGB before scoring (false for an sRGB, untagged, "
                                     "unreadable or non-RGB profile)"),
        "is_baseline": ("bool", "the series' baseline visit (week 0)"),
        "method": ("", "'track_series' (registered to the baseline) or 'score_photo' (the "
                       "photo on its own, when the series could not be tracked)"),
        "registered": ("bool", "the follow-up was aligned to the baseline photo"),
        "registration_reason": ("", "why the registration failed (empty when it did not)"),
        "reg_method": ("", "how it was aligned: features, ecc, marker, or guided (features "
                           "matched near the alignment through another visit, see reg_via_week; "
                           "'baseline' for the baseline)"),
        "reg_via_week": ("weeks", "for a 'guided' alignment, the week of the visit it went "
                                  "through (blank when aligned directly)"),
        "reg_inliers": ("count", "feature matches consistent with the alignment"),
        "reg_inlier_ratio": ("0-1", "inliers / putative matches"),
        "reg_residual_px": ("px", "median alignment residual of the inliers, photo pixels"),
        "reg_residual_mm": ("mm", "the same in millimetres (when the scale is known)"),
        "reg_scale": ("ratio", "scale of the follow-up relative to the baseline"),
        "reg_rotation_deg": ("degrees", "rotation of the follow-up relative to the baseline"),
        "region_method": ("", "how the assessed region was found: 'face outline', 'face "
                              "detector', 'face detector box', 'face outline (photo turned)', "
                              "'skin (no face outline)', 'skin' or 'skin (close-up)' (body "
                              "sites) or 'user'"),
        "assessed_area_px": ("px", "assessed region (the F-VASI face area or the site's skin)"),
        "depigmented_area_px": ("px", "depigmented skin inside the assessed region (a "
                                      "tracked follow-up: in baseline pixels, as are its "
                                      "other areas, and cm² at the baseline's scale)"),
        "depigmented_fraction": ("0-1", "depigmented_area_px / assessed_area_px"),
        "depigmented_area_cm2": ("cm²", "depigmented area (needs a scale)"),
        "depigmented_area_hu": ("hand units", "relative hand units: the face is 3 HU, so "
                                              "3 x depigmented_fraction on faces"),
        "depigmented_area_hu_physical": ("hand units", "depigmented_area_cm2 / the patient's "
                                                       "hand unit from height and weight"),
        "baseline_patch_area_px": ("px", "baseline depigmentation (patch envelopes), in "
                                         "baseline pixels"),
        "residual_area_px": ("px", "depigmentation still inside the baseline patches"),
        "repigmented_area_px": ("px", "baseline patch pixels repigmented by this visit"),
        "repigmentation_pct": ("%", "100 x repigmented / baseline patch area (0 = none, "
                                    "100 = complete)"),
        "repigmentation_pct_degree": ("%", "the same from the depigmentation-degree mass "
                                           "(a second estimate, for comparison)"),
        "new_depigmentation_px": ("px", "depigmentation where the baseline had none (new "
                                        "patches, spreading: activity)"),
        "new_depigmentation_cm2": ("cm²", "the same in cm² (needs a scale)"),
        "new_depigmentation_hu": ("hand units", "the same in relative hand units"),
        "f_vasi": ("F-VASI (0-3)", "continuous F-VASI: sum over patches of extent (HU) x "
                                   "residual depigmentation level, plus confirmed new "
                                   "depigmentation at level 1 (a tracked follow-up's other "
                                   "depigmentation outside the baseline patches, not confirmed "
                                   "as new, is in depigmented_area_px only); face series only"),
        "f_vasi_clinical": ("F-VASI (0-3)", "the same with each level snapped to the VASI "
                                            "ladder (0, 10, 25, 50, 75, 90, 100 %)"),
        "f_vasi_unregistered": ("F-VASI (0-3)", "F-VASI of the visit's own segmentation, not "
                                                "tracked against the baseline patches (kept "
                                                "when registration failed): 3 x depigmented / "
                                                "assessed px over the region the visit is "
                                                "assessed on -- for a registered follow-up the "
                                                "baseline's region mapped into it (see "
                                                "region_method), not the photo's own face "
                                                "region, so it can differ from vasi score of "
                                                "the photo alone; the segmentation uses the "
                                                "row's mm_per_px. A single-photo threshold: "
                                                "partly repigmented patches make it unstable "
                                                "(region, scale, small pixel changes); follow "
                                                "change with f_vasi"),
        "f_vasi_pct_change": ("%", "100 x (f_vasi - baseline f_vasi) / baseline f_vasi; "
                                   "negative = improvement"),
        "f_vasi50": ("bool", "improvement of at least 50 % from baseline at this visit" + _FLAG),
        "f_vasi75": ("bool", "improvement of at least 75 % from baseline at this visit" + _FLAG),
        "f_vasi90": ("bool", "improvement of at least 90 % from baseline at this visit" + _FLAG),
        "mm_per_px": ("mm/px", "pixel size used (empty: no scale)"),
        "scale_source": ("", "where the scale came from: given, metadata, aruco, sticker, or "
                             "'none: <why>'"),
        "quality_flags": ("", "everything noticed about the photo, ';'-separated (what each "
                              "means and what to do: notebooks/04_calibration_and_quality, "
                              "section 3)"),
        "needs_review": ("", "the quality flags that put this visit's numbers in doubt: check "
                             "the overlay before using them"),
        "overlay": ("", "overlay image, relative to the output folder"),
        "repigmentation_map": ("", "repigmentation map image, relative to the output folder"),
    },
    "patches": {
        **_ID,
        "patch_id": ("", "baseline patch number (tracked series), or patch number of the photo"),
        "baseline_area_px": ("px", "the patch's area at baseline (its envelope), over the "
                                   "part this visit's photo covers"),
        "baseline_area_mm2": ("mm²", "the same in mm² (needs a scale)"),
        "residual_area_px": ("px", "still depigmented at this visit"),
        "residual_area_mm2": ("mm²", "the same in mm² (needs a scale)"),
        "repigmented_area_px": ("px", "repigmented by this visit"),
        "repigmentation_pct": ("%", "100 x repigmented / baseline area"),
        "repigmentation_pct_degree": ("%", "the same from the depigmentation-degree mass"),
        "covered_fraction": ("0-1", "share of the patch the follow-up photo covers"),
        "pattern": ("", "repigmentation pattern: perifollicular, marginal, diffuse, mixed "
                        "or none; the visit's own (pattern_visit), carried forward once the "
                        "patch is almost fully repigmented and no longer shows one"),
        "pattern_visit": ("", "the pattern this visit alone shows"),
        "island_count": ("count", "repigmented islands inside the patch"),
        "island_area_px": ("px", "their total area"),
        "island_mean_area_px": ("px", "their mean area"),
        "marginal_area_px": ("px", "repigmentation connected to the patch border"),
        "border_advance_px": ("px", "median inward advance of the border"),
        "border_advance_mm": ("mm", "the same in mm (needs a scale)"),
        "island_density_per_cm2": ("per cm²", "repigmented islands per cm² of the patch "
                                              "(needs a scale)"),
        "island_mean_area_mm2": ("mm²", "their mean area (needs a scale)"),
        "depth_auc": ("0-1", "P(a still-depigmented pixel lies deeper in the patch than a "
                             "repigmented one); 0.5 = no order, 1 = marginal"),
        "border_excess": ("<= 1", "concentration of repigmentation in the outer band (0 = "
                                  "uniform, 1 = all at the border, negative = less there than "
                                  "uniform)"),
        "degree_border_excess": ("<= 1", "the same on the depigmentation degree"),
        "interior_island_count": ("count", "islands not connected to the border"),
        "interior_island_density": ("per cm²", "their density (without a scale: per 1000 px "
                                               "of the series' working resolution, long "
                                               "side 1200 px, whatever the camera)"),
        "interior_island_share": ("0-1", "their share of the repigmented area"),
        "repigmented_radius_px": ("px", "mean half-width of the repigmented parts"),
        "residual_radius_px": ("px", "mean half-width of the residual depigmentation"),
        "repigmented_fraction": ("0-1", "repigmented share of the patch, from the masks"),
        "degree_repigmented_fraction": ("0-1", "mean drop of the depigmentation degree"),
        "residual_darkening": ("0-1", "median drop of the degree over the residual far from "
                                      "repigmented pixels (diffuse repigmentation)"),
        "fine_scale_ratio": ("0-1", "share of the new texture at follicular-dot scale "
                                    "(0.7-2 mm) rather than broad areas (2-6 mm)"),
        "island_depth_k": ("noise SD", "dip depth used to count islands"),
        "area_px": ("px", "patch area (photo scored on its own)"),
        "area_mm2": ("mm²", "patch area in mm² (needs a scale)"),
        "area_cm2": ("cm²", "patch area in cm² (needs a scale)"),
        "perimeter_mm": ("mm", "patch perimeter in mm (needs a scale)"),
        "area_hu": ("hand units", "patch area in relative hand units"),
        "fraction_of_region": ("0-1", "patch area / assessed region"),
        "centroid_row": ("px", "patch centroid, row"),
        "centroid_col": ("px", "patch centroid, column"),
        "perimeter_px": ("px", "patch perimeter"),
        "equivalent_diameter_px": ("px", "diameter of the disc of the same area"),
        "bbox_row0": ("px", "bounding box, first row"),
        "bbox_row1": ("px", "bounding box, last row + 1"),
        "bbox_col0": ("px", "bounding box, first column"),
        "bbox_col1": ("px", "bounding box, last column + 1"),
        "mean_score": ("index", "mean depigmentation index over the patch (0 = normal skin, "
                                "1 = the patch cores' level)"),
    },
    "scores": {
        **_ID,
        "score": ("", "'F-VASI' (faces) or 'VASI-<site>' (a body site: its depigmented "
                      "hand units from the patient's height and weight)"),
        "continuous": ("F-VASI (0-3) or hand units", "the score, continuous"),
        "clinical": ("F-VASI (0-3)", "F-VASI with levels snapped to the VASI ladder (empty "
                                     "for body sites)"),
        "hu_method": ("", "'relative' (the face's 3 HU), 'unregistered' (the photo on its "
                          "own, registration failed) or 'physical' (cm² / hand unit)"),
        "method": ("", "as in the visits table"),
        "registered": ("bool", "as in the visits table"),
    },
    "endpoints": {
        **{k: v for k, v in _ID.items() if k not in ("visit", "week")},
        "score": ("", "which score: F-VASI"),
        "n_visits": ("count", "visits of the series with a photo scored"),
        "baseline_week": ("weeks", "the baseline visit's week (0)"),
        "baseline_score": ("F-VASI (0-3)", "baseline F-VASI"),
        "last_week": ("weeks", "the last visit with a score"),
        "last_score": ("F-VASI (0-3)", "its F-VASI"),
        "last_pct_change": ("%", "its change from baseline; negative = improvement"),
        "week24_pct_change": ("%", "change at the week-24 check visit (see the rules)"),
        "f_vasi50_week24": ("bool", "F-VASI50 reached at the week-24 check (see the rules)"),
        "f_vasi75_week24": ("bool", "F-VASI75 reached at the week-24 check (see the rules)"),
        "f_vasi90_week24": ("bool", "F-VASI90 reached at the week-24 check (see the rules)"),
        "first_week_f_vasi50": ("weeks", "first visit reaching F-VASI50 (empty: never)"),
        "first_week_f_vasi75": ("weeks", "first visit reaching F-VASI75 (empty: never)"),
        "first_week_f_vasi90": ("weeks", "first visit reaching F-VASI90 (empty: never)"),
        "best_pct_change": ("%", "the best change at any follow-up visit (most negative; "
                                 "the baseline left out: positive when the patient only "
                                 "worsened, empty without a follow-up)"),
        "relapse": ("bool", "F-VASI75 lost at a later visit after being reached"),
        "relapse_week": ("weeks", "the visit where it was lost"),
        "reason": ("", "why an endpoint is undefined or imputed, or rests on a photo to check "
                       "(empty when none is)"),
        "review_weeks": ("weeks", "the weeks whose photos need a check before use "
                                  "(needs_review), '; '-separated"),
        "week24_needs_review": ("bool", "the week-24 endpoints rest on such a photo (the "
                                        "baseline or the week-24 visit): check it before "
                                        "counting the patient"),
        "check_week": ("weeks", "the early-response check's week (24)"),
        "check_visit_week": ("weeks", "the visit used for it (nearest within 2 weeks)"),
        "check_improvement_pct": ("%", "improvement at that visit; positive = improvement "
                                       "(the opposite sign of week24_pct_change)"),
        "meaningful_at_check": ("bool", "improvement >= 50 % at the check (F-VASI; SPEC §2)"),
        "plateau": ("bool", "no further gain of 5 points over 12 weeks after some response"),
        "plateau_week": ("weeks", "the visit the plateau starts from"),
        "treated_hu": ("hand units", "treated area for the cream estimate: the baseline "
                                     "depigmented_area_hu (else the baseline F-VASI, a lower "
                                     "bound)"),
        "label_limit_hu": ("hand units", "the cream label's limit (10 HU, ruxolitinib)"),
        "above_label_limit": ("bool", "treated_hu above the label limit"),
        "cream_g_per_day": ("g/day", "cream for treated_hu, twice daily (1 fingertip unit "
                                     "= 0.5 g covers 2 hand units)"),
        "cream_g_per_month": ("g/month", "the same per month (30 days)"),
    },
    "errors": {
        **_ID,
        "photo": ("", "photo file, relative to the input"),
        "stage": ("", "where it failed: validate (the input), read, read_roi, baseline, "
                      "track_series or series (tracking; the photos then scored on their "
                      "own), score, worker (a worker process died)"),
        "error_type": ("", "the error's type"),
        "message": ("", "what is wrong and how to fix it"),
    },
}

#: How the endpoints table is derived from the visits table (rows of the dictionary).
ENDPOINT_RULES = (
    ("baseline", "the series' visit at week 0; no scored baseline -> every endpoint "
                 "undefined, with a reason"),
    ("improvement", "100 x (baseline F-VASI - F-VASI) / baseline F-VASI, in %; a baseline "
                    "F-VASI of 0 -> undefined, with a reason"),
    ("F-VASI50 / 75 / 90", "improvement >= 50 / 75 / 90 % (to 1e-9)"),
    ("week-24 check", "each patient's visit nearest to week 24 within 2 weeks (the earlier "
                      "on a tie), among visits with a score"),
    ("missing week 24", "no scored visit within 2 weeks of week 24 (none, unreadable, or "
                        "not registered) -> not reached: non-responder imputation, said in "
                        "'reason'"),
    ("weeks from dates", "(visit date - the series' earliest photo date) / 7 days, per "
                         "patient x site x modality"),
    ("relapse", "F-VASI75 reached, then lost at a later visit"),
)


def data_dictionary(tables: dict) -> pd.DataFrame:
    """One row per column of ``tables`` (``{name: DataFrame}``, in their order): ``table``,
    ``column``, ``unit``, ``description``; then the endpoint rules (table ``rules``). A
    column the dictionary does not know is listed with an empty description (the tests keep
    that from happening)."""
    rows = []
    for name, df in tables.items():
        known = COLUMNS.get(name, {})
        for col in df.columns:
            unit, text = known.get(col, ("", ""))
            rows.append({"table": name, "column": col, "unit": unit, "description": text})
    if "endpoints" in tables:
        rows += [{"table": "rules", "column": k, "unit": "", "description": v}
                 for k, v in ENDPOINT_RULES]
    return pd.DataFrame(rows, columns=["table", "column", "unit", "description"])
