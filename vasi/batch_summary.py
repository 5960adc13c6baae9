"""Derived batch tables: scores (long format) and endpoints (one row per series).

Both are computed from the visits table only, so they are identical however the batch ran.
When :func:`vasi.endpoints` exists it is used for the endpoint definitions; otherwise the
SPEC.md §2 rules are applied here (improvement ``(s0 - s) / s0 >= N %``, exactly N counts;
baseline 0 -> NaN with a reason; relapse = losing F-VASI75 after reaching it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["scores_table", "endpoints_table"]

SCORE_COLUMNS = ["patient_id", "arm", "site", "modality", "week", "score", "continuous",
                 "clinical", "hu_method", "method", "registered"]
ENDPOINT_COLUMNS = [
    "patient_id", "arm", "site", "modality", "score", "n_visits", "baseline_week",
    "baseline_score", "last_week", "last_score", "last_pct_change", "week24_pct_change",
    "f_vasi50_week24", "f_vasi75_week24", "f_vasi90_week24", "first_week_f_vasi50",
    "first_week_f_vasi75", "first_week_f_vasi90", "best_pct_change", "relapse", "reason",
]


def scores_table(visits: pd.DataFrame) -> pd.DataFrame:
    """One row per (visit, score): F-VASI for faces, regional hand units for body sites.

    Examples
    --------
    >>> v = pd.DataFrame({"patient_id": ["P1"], "arm": [""], "site": ["face"],
    ...                   "modality": ["visible"], "week": [0.0], "f_vasi": [0.6],
    ...                   "f_vasi_clinical": [0.75], "method": ["track_series"],
    ...                   "registered": [True]})
    >>> scores_table(v)[["score", "continuous", "clinical"]].values.tolist()
    [['F-VASI', 0.6, 0.75]]
    """
    rows = []
    for r in visits.to_dict("records") if len(visits) else ():
        base = {k: r.get(k) for k in ("patient_id", "arm", "site", "modality", "week",
                                      "method", "registered")}
        if r.get("site") == "face":
            fv = r.get("f_vasi")
            if fv is None or (isinstance(fv, float) and np.isnan(fv)):
                fv = r.get("f_vasi_unregistered")
                note = "unregistered"
            else:
                note = "relative"
            rows.append({**base, "score": "F-VASI", "continuous": fv,
                         "clinical": r.get("f_vasi_clinical"), "hu_method": note})
        else:
            hu = r.get("depigmented_area_hu_physical")
            if hu is not None and not (isinstance(hu, float) and np.isnan(hu)):
                rows.append({**base, "score": f"VASI-{r.get('site')}", "continuous": hu,
                             "clinical": None, "hu_method": "physical"})
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def _first_week(weeks, ok):
    hit = [w for w, o in zip(weeks, ok, strict=True) if o]
    return min(hit) if hit else np.nan


def endpoints_table(visits: pd.DataFrame) -> pd.DataFrame:
    """Endpoints per face series: % change, F-VASI50/75/90 at week 24, first week reached,
    best change and relapse.

    Examples
    --------
    >>> v = pd.DataFrame({"patient_id": ["P1"] * 3, "arm": [""] * 3, "site": ["face"] * 3,
    ...                   "modality": ["visible"] * 3, "week": [0.0, 24.0, 52.0],
    ...                   "f_vasi": [1.0, 0.25, 0.5]})
    >>> e = endpoints_table(v).iloc[0]
    >>> bool(e["f_vasi75_week24"]), float(e["first_week_f_vasi75"]), bool(e["relapse"])
    (True, 24.0, True)
    """
    rows = []
    if not len(visits):
        return pd.DataFrame(columns=ENDPOINT_COLUMNS)
    face = visits[visits["site"] == "face"]
    for (pid, site, mod), g in face.groupby(["patient_id", "site", "modality"], sort=True):
        g = g.sort_values("week")
        weeks = g["week"].astype(float).tolist()
        f = pd.to_numeric(g["f_vasi"], errors="coerce").astype(float).to_numpy()
        row = {"patient_id": pid, "arm": g["arm"].iloc[0] if "arm" in g else "", "site": site,
               "modality": mod, "score": "F-VASI", "n_visits": len(g), "reason": ""}
        base = [x for w, x in zip(weeks, f, strict=True) if w == 0.0]
        f0 = base[0] if base else np.nan
        row.update(baseline_week=0.0, baseline_score=f0)
        obs = [(w, x) for w, x in zip(weeks, f, strict=True) if np.isfinite(x)]
        if obs:
            row.update(last_week=obs[-1][0], last_score=obs[-1][1])
        if not np.isfinite(f0):
            row["reason"] = "baseline F-VASI not available (photo unreadable or unscored)"
        elif f0 <= 0:
            row["reason"] = "baseline F-VASI is 0: percent change undefined"
        if row["reason"]:
            rows.append(row)
            continue
        change = 100.0 * (f - f0) / f0
        improvement = -change
        finite = np.isfinite(change)
        if obs:
            row["last_pct_change"] = 100.0 * (obs[-1][1] - f0) / f0
        row["best_pct_change"] = float(np.nanmin(change)) if finite.any() else np.nan
        w24 = [c for w, c in zip(weeks, change, strict=True) if w == 24.0 and np.isfinite(c)]
        row["week24_pct_change"] = w24[0] if w24 else np.nan
        for k in (50, 75, 90):
            ok = [bool(np.isfinite(i) and i >= k - 1e-9) for i in improvement]
            # non-responder imputation: a missing week-24 visit is not a response
            row[f"f_vasi{k}_week24"] = bool(w24 and -w24[0] >= k - 1e-9)
            row[f"first_week_f_vasi{k}"] = _first_week(weeks, ok)
        ok75 = [bool(np.isfinite(i) and i >= 75 - 1e-9) for i in improvement]
        reached = False
        relapse = False
        for o, fin in zip(ok75, finite, strict=True):
            if o:
                reached = True
            elif reached and fin:
                relapse = True
        row["relapse"] = relapse
        rows.append(row)
    return pd.DataFrame(rows, columns=ENDPOINT_COLUMNS)
