"""Derived batch tables: scores (long format) and endpoints (one row per series).

Both are computed from the visits table only, so they are identical however the batch ran.
When :func:`vasi.endpoints` exists it is used for the endpoint definitions; otherwise the
SPEC.md §2 rules are applied here (improvement ``(s0 - s) / s0 >= N %``, exactly N counts;
baseline 0 -> NaN with a reason; relapse = losing F-VASI75 after reaching it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timeline import near_week

__all__ = ["scores_table", "endpoints_table", "to_check"]

SCORE_COLUMNS = ["patient_id", "arm", "site", "modality", "week", "score", "continuous",
                 "clinical", "hu_method", "method", "registered"]
ENDPOINT_COLUMNS = [
    "patient_id", "arm", "site", "modality", "score", "n_visits", "baseline_week",
    "baseline_score", "last_week", "last_score", "last_pct_change", "week24_pct_change",
    "f_vasi50_week24", "f_vasi75_week24", "f_vasi90_week24", "first_week_f_vasi50",
    "first_week_f_vasi75", "first_week_f_vasi90", "best_pct_change", "relapse", "reason",
    "review_weeks", "week24_needs_review",
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


def _week24_reason(g: pd.DataFrame, e, lost: pd.DataFrame) -> str:
    """Why a series' week-24 endpoints could not be evaluated (``e``: its
    :class:`vasi.Endpoints`, for the check's week and window; ``lost``: the series' rows of
    the errors table). They count as not reached: non-responder imputation."""
    week, window = e.check_week, e.provenance.get("window_weeks", 2.0)
    tail = f"week-{week:g} endpoints not reached (imputed)"
    weeks = g["week"].astype(float)
    near = g[near_week(weeks, week, window)]
    if len(lost) and near_week(lost["week"], week, window).any():
        return f"the week-{week:g} photo could not be scored (see the errors table): {tail}"
    if not len(near) and weeks.max() < week - window:
        return (f"follow-up ends at week {weeks.max():g}, before the week-{week:g} window "
                f"(+-{window:g}): not yet evaluable; {tail}")
    if not len(near):
        return f"no visit within {window:g} weeks of week {week:g}: {tail}"
    why = [str(r) for r in near.get("registration_reason", pd.Series(dtype=object)).dropna()
           if str(r)] or ["not scored"]
    return f"week-{week:g} visit not evaluable ({'; '.join(why)}): {tail}"


def to_check(values) -> np.ndarray:
    """Which ``needs_review`` values name a flag: a non-empty text (``;``-joined, as in the
    tables) or list; NaN, None, False and ``""`` do not.

    >>> to_check(["", "too dark", np.nan, [], ["too dark"], None]).tolist()
    [False, True, False, False, True, False]
    """
    return np.array([bool(v.strip()) if isinstance(v, str) else
                     isinstance(v, (list, tuple)) and len(v) > 0 for v in values], bool)


def _review(g: pd.DataFrame, e) -> tuple[str, str]:
    """The weeks of a series' photos whose numbers need a check (``needs_review``), as
    ``"0; 24"``, and a note when the week-24 endpoints rest on one of them (the baseline or
    the check visit; ``e``: the series' :class:`vasi.Endpoints`), else ``""``."""
    if "needs_review" not in g:
        return "", ""
    flags = g["needs_review"].map(lambda v: "; ".join(v) if isinstance(v, (list, tuple))
                                  else v)
    flagged = g.loc[to_check(g["needs_review"]), "week"].astype(float)
    weeks = "; ".join(f"{w:g}" for w in flagged)
    used = [w for w in (e.baseline_week, e.check_visit_week) if np.isfinite(w) and
            (flagged == w).any()]
    if not used:
        return weeks, ""
    what = "; ".join(f"week {w:g}: {flags[g['week'].astype(float) == w].iloc[0]}" for w in used)
    return weeks, (f"the week-{e.check_week:g} endpoints rest on a photo to check before use "
                   f"({what})")


def endpoints_table(visits: pd.DataFrame, series: pd.DataFrame | None = None,
                    errors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Endpoints per face series via :func:`vasi.endpoints` (SPEC.md §2).

    One row per (patient, face site, modality): baseline and last F-VASI, last % change,
    the week-24 check (nearest visit within +-2 weeks) with F-VASI50/75/90 there
    (non-responder imputation: no week-24 visit = not reached), first week each endpoint
    was reached, plateau, relapse (losing F-VASI75 after reaching it) and treated hand units
    vs the 10 HU label limit. Undefined results carry a ``reason``; ``review_weeks`` lists
    the weeks whose photos need a check (``needs_review``), and when the week-24 endpoints
    rest on one (the baseline or the week-24 visit) ``week24_needs_review`` is true and the
    ``reason`` says which.

    ``series`` (``patient_id``, ``arm``, ``site``, ``modality``: every series of the input)
    adds a row for each face series with no visit in ``visits`` (none of its photos could be
    scored), so that responder counts keep its patient, as a non-responder.
    ``errors`` (the batch's errors table) tells a week-24 photo that could not be scored
    from one that is missing, in the ``reason``.

    Examples
    --------
    >>> v = pd.DataFrame({"patient_id": ["P1"] * 3, "arm": [""] * 3, "site": ["face"] * 3,
    ...                   "modality": ["visible"] * 3, "week": [0.0, 24.0, 52.0],
    ...                   "f_vasi": [1.0, 0.25, 0.5]})
    >>> e = endpoints_table(v).iloc[0]
    >>> bool(e["f_vasi75_week24"]), float(e["first_week_f_vasi75"]), bool(e["relapse"])
    (True, 24.0, True)
    """
    from .errors import VasiError
    from .timeline import endpoints

    rows = []
    if series is not None and len(series):
        seen = (set(zip(visits["patient_id"], visits["site"], visits["modality"], strict=True))
                if len(visits) else set())
        face_series = series[series["site"] == "face"].drop_duplicates(
            ["patient_id", "site", "modality"])
        for r in face_series.to_dict("records"):
            if (r["patient_id"], r["site"], r["modality"]) not in seen:
                arm = r.get("arm", "")
                rows.append({"patient_id": r["patient_id"],
                             "arm": arm if isinstance(arm, str) else "", "site": r["site"],
                             "modality": r["modality"], "score": "F-VASI", "n_visits": 0,
                             "baseline_week": 0.0, "baseline_score": np.nan,
                             "reason": "no photo of the series was scored (see the errors "
                                       "table)", "review_weeks": "",
                             "week24_needs_review": False})
    by_series = ()
    if len(visits):
        face = visits[visits["site"] == "face"]
        by_series = face.groupby(["patient_id", "site", "modality"], sort=True)
    for (pid, site, mod), g in by_series:
        g = g.sort_values("week")
        arm = g["arm"].iloc[0] if "arm" in g else ""
        row = {"patient_id": pid, "arm": arm if isinstance(arm, str) else "", "site": site,
               "modality": mod, "score": "F-VASI", "n_visits": len(g), "reason": "",
               "review_weeks": "", "week24_needs_review": False}
        data = pd.DataFrame({"week": g["week"].astype(float).to_numpy(),
                             "f_vasi": pd.to_numeric(g["f_vasi"], errors="coerce")
                             .astype(float).to_numpy()})
        if "depigmented_area_hu" in g:
            data["depigmented_area_hu"] = pd.to_numeric(g["depigmented_area_hu"],
                                                        errors="coerce").astype(float).to_numpy()
        obs = data.dropna(subset=["f_vasi"])
        if len(obs):
            row.update(last_week=float(obs["week"].iloc[-1]),
                       last_score=float(obs["f_vasi"].iloc[-1]))
        base = data.loc[data["week"] == 0.0, "f_vasi"]
        if not len(base) or not np.isfinite(base.iloc[0]):
            row.update(baseline_week=0.0, baseline_score=np.nan,
                       reason="baseline F-VASI not available (photo unreadable or unscored)")
            rows.append(row)
            continue
        try:
            e = endpoints(data, kind="f_vasi", baseline_week=0.0)
        except VasiError as exc:
            row["reason"] = f"endpoints undefined: {exc}"
            rows.append(row)
            continue
        d = e.to_dict()
        d.pop("kind", None)
        row.update(d)
        f0 = e.baseline_score
        if len(obs) and np.isfinite(f0) and f0 > 0:
            row["last_pct_change"] = 100.0 * (row["last_score"] - f0) / f0
            follow = obs.loc[obs["week"] > e.baseline_week, "f_vasi"]  # (not the baseline)
            row["best_pct_change"] = (float(100.0 * (follow.min() - f0) / f0) if len(follow)
                                      else np.nan)
        imp = e.check_improvement_pct
        row["week24_pct_change"] = -imp if np.isfinite(imp) else np.nan
        if not np.isfinite(imp) and not row["reason"]:
            lost = (errors[(errors["patient_id"] == pid) & (errors["site"] == site)
                           & (errors["modality"] == mod) & errors["week"].notna()]
                    if errors is not None and len(errors) else pd.DataFrame(columns=["week"]))
            row["reason"] = _week24_reason(g, e, lost)
        for k in (50, 75, 90):
            row[f"f_vasi{k}_week24"] = bool(np.isfinite(imp) and imp >= k - 1e-9)
        row["review_weeks"], note = _review(g, e)
        row["week24_needs_review"] = bool(note)
        if note:
            row["reason"] = f"{row['reason']}; {note}" if row["reason"] else note
        rows.append(row)
    cols = ENDPOINT_COLUMNS + sorted({k for r in rows for k in r} - set(ENDPOINT_COLUMNS))
    return (pd.DataFrame(rows, columns=cols)
            .sort_values(["patient_id", "site", "modality"], kind="stable")
            .reset_index(drop=True))
