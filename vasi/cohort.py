"""Cohort endpoints: responder proportions by week, time to response, two-arm comparison.

Input is one long table, one row per (patient, visit): ``patient_id``, ``arm``, ``week`` and a
score column (``f_vasi`` / ``t_vasi`` / ``score``). Each patient's baseline is the visit at
``baseline_week`` (default 0). Everything returned is a pandas DataFrame.

Missing visits are handled explicitly, never by last-observation-carried-forward:

* ``missing="nri"`` -- non-responder imputation: every patient of the arm is in the
  denominator; a missing visit, or an undefined baseline (missing or 0), counts as a
  non-response (the trials' primary analysis);
* ``missing="observed"`` -- observed cases: only patients with a defined baseline and an
  observed score at that week.

Intervals: Wilson score interval for a proportion; Newcombe's hybrid score interval
(method 10) for a difference of proportions; the Katz log interval for a risk ratio;
Kaplan-Meier with Greenwood variance and a log(-log) interval for time to response.
:func:`simulate_cohort` draws a seeded two-arm trial with known true response rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import ndtri  # the normal quantile (scipy.stats costs ~1 s of import)

from ._validate import check_rng
from ._version import __version__
from .errors import InputError
from .timeline import (
    THRESHOLDS,
    WINDOW_WEEKS,
    as_week,
    check_scores,
    check_window_weeks,
    endpoint_flags,
    endpoint_thresholds,
    improvement_pct,
    near_week,
    nearest_visits,
    visit_weeks,
)

__all__ = [
    "wilson_interval",
    "newcombe_difference",
    "risk_ratio",
    "patient_visits",
    "responders",
    "kaplan_meier",
    "compare_arms",
    "endpoint_table",
    "simulate_cohort",
]

MISSING = ("nri", "observed")


def _z(confidence: float) -> float:
    c = float(confidence)
    if not 0 < c < 1:
        raise InputError(f"confidence must be in (0, 1), e.g. 0.95; got {confidence!r}.")
    return float(ndtri(0.5 + c / 2))


def wilson_interval(k, n, *, confidence: float = 0.95):
    """Wilson score interval for a proportion ``k / n``.

    .. math::

        \\frac{\\hat p + z^2/2n \\pm z \\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Parameters
    ----------
    k, n : int or array_like
        Responders and patients. ``n == 0`` gives NaN (undefined) bounds.
    confidence : float, keyword-only
        Default 0.95.

    Returns
    -------
    (low, high) : tuple of float or ndarray

    Examples
    --------
    >>> lo, hi = wilson_interval(30, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.2189, 0.3958)
    """
    z = _z(confidence)
    k, n = _counts(k, n)
    ok = n > 0
    nn = np.where(ok, n, 1.0)
    p = k / nn
    den = 1 + z**2 / nn
    centre = (p + z**2 / (2 * nn)) / den
    half = z * np.sqrt(p * (1 - p) / nn + z**2 / (4 * nn**2)) / den
    lo = np.where(ok, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(ok, np.clip(centre + half, 0, 1), np.nan)
    # exact at the edges (avoid 1e-17 rounding)
    lo = np.where(ok & (k == 0), 0.0, lo)
    hi = np.where(ok & (k == n), 1.0, hi)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def _counts(k, n, *, one: bool = False) -> tuple:
    """Responders ``k`` and patients ``n`` as float arrays (floats with ``one``), checked:
    finite, ``0 <= k <= n``."""
    if one and (np.ndim(k) or np.ndim(n)):
        raise InputError("responders and patients must be one number each (k1, n1, k2, n2); "
                         f"got k={k!r}, n={n!r}: call once per comparison.")
    try:
        kf, nf = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"responders and patients must be counts; got k={k!r}, n={n!r}.") from None
    if not (np.isfinite(kf).all() and np.isfinite(nf).all()) or np.any(kf < 0) or np.any(kf > nf):
        raise InputError(f"need 0 <= k <= n (responders, patients); got k={kf.tolist()}, "
                         f"n={nf.tolist()}.")
    return (float(kf), float(nf)) if one else (kf, nf)


def newcombe_difference(k1, n1, k2, n2, *, confidence: float = 0.95) -> tuple:
    """Difference of two proportions ``p1 - p2`` with Newcombe's hybrid score interval.

    .. math::

        L = \\hat d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2}, \\quad
        U = \\hat d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}

    with ``(l_i, u_i)`` the Wilson intervals (Newcombe 1998, method 10).

    Returns
    -------
    (difference, low, high) : tuple of float
        NaN when either ``n`` is 0.

    Examples
    --------
    >>> d, lo, hi = newcombe_difference(30, 100, 10, 100)
    >>> round(d, 2), round(lo, 4), round(hi, 4)
    (0.2, 0.09, 0.3058)
    """
    (k1, n1), (k2, n2) = _counts(k1, n1, one=True), _counts(k2, n2, one=True)
    if n1 == 0 or n2 == 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence=confidence)
    l2, u2 = wilson_interval(k2, n2, confidence=confidence)
    d = p1 - p2
    return (float(d), float(d - math.hypot(p1 - l1, u2 - p2)),
            float(d + math.hypot(u1 - p1, p2 - l2)))


def risk_ratio(k1, n1, k2, n2, *, confidence: float = 0.95) -> tuple:
    """Risk ratio ``p1 / p2`` with the Katz log-scale interval.

    .. math::

        \\log RR \\pm z \\sqrt{1/k_1 - 1/n_1 + 1/k_2 - 1/n_2}

    When ``k1`` or ``k2`` is 0, 0.5 is added to each responder count and 1 to each ``n``
    (Haldane-Anscombe) so the interval is finite. Both zero -> NaN.

    Returns
    -------
    (ratio, low, high) : tuple of float

    Examples
    --------
    >>> rr, lo, hi = risk_ratio(30, 100, 10, 100)
    >>> round(rr, 2), round(lo, 3), round(hi, 3)
    (3.0, 1.551, 5.803)
    """
    (a, b), (c, d) = _counts(k1, n1, one=True), _counts(k2, n2, one=True)
    if b == 0 or d == 0 or (a == 0 and c == 0):
        return (math.nan, math.nan, math.nan)
    if a == 0 or c == 0:
        a, b, c, d = a + 0.5, b + 1, c + 0.5, d + 1
    rr = (a / b) / (c / d)
    se = math.sqrt(1 / a - 1 / b + 1 / c - 1 / d)
    z = _z(confidence)
    return (float(rr), float(rr * math.exp(-z * se)), float(rr * math.exp(z * se)))


# ----------------------------------------------------------------------------- per-patient


def _score_col(df: pd.DataFrame, kind: str, score_col: str | None) -> str:
    if score_col is not None:
        if score_col not in df.columns:
            raise InputError(f"score_col={score_col!r} is not a column; columns are "
                             f"{list(df.columns)}.")
        return score_col
    for c in (kind, "score"):
        if c in df.columns:
            return c
    raise InputError(f"the cohort table needs a {kind!r} or 'score' column (or score_col=...); "
                     f"got {list(df.columns)}.")


def _kind(kind: str) -> str:
    k = str(kind).lower().replace("-", "_")
    if k not in THRESHOLDS:
        raise InputError(f"kind must be one of {list(THRESHOLDS)}; got {kind!r}.")
    return k


def patient_visits(
    data: pd.DataFrame,
    *,
    kind: str = "f_vasi",
    score_col: str | None = None,
    thresholds=None,
    baseline_week: float = 0.0,
    arm_col: str = "arm",
) -> pd.DataFrame:
    """Per (patient, visit) improvement and endpoint flags for a cohort table.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table: ``patient_id``, ``arm`` (optional), ``week``, score column.
    kind : {"f_vasi", "t_vasi"}, keyword-only
        Default thresholds (50/75/90 or 50/75) and score column name.
    score_col : str, keyword-only
        Score column (default ``kind`` or ``"score"``).
    thresholds : sequence of float, keyword-only
        Endpoint thresholds in %.
    baseline_week : float, keyword-only
        Week of the baseline visit (default 0).
    arm_col : str, keyword-only
        Arm column; absent -> every patient in arm ``"all"``.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``arm``, ``week``, ``score``, ``baseline_score``, ``improvement_pct``,
        one nullable-boolean column per endpoint (``<NA>`` where undefined: missing score,
        baseline 0 or missing; :func:`vasi.timeline.endpoint_flags`), ``baseline_defined``.

    Examples
    --------
    >>> d = pd.DataFrame({"patient_id": [1, 1, 2, 2], "week": [0, 24, 0, 24],
    ...                   "f_vasi": [1.0, 0.25, 0.0, 0.0]})
    >>> patient_visits(d)["f_vasi75"].tolist()
    [False, True, <NA>, <NA>]
    """
    k = _kind(kind)
    baseline_week = as_week(baseline_week, "baseline_week")
    _need_columns(data, ("patient_id", "week"))
    col = _score_col(data, k, score_col)
    ths = endpoint_thresholds(thresholds, k)
    df = pd.DataFrame({
        "patient_id": data["patient_id"].to_numpy(),
        "arm": data[arm_col].to_numpy() if arm_col in data.columns else "all",
        "week": pd.to_numeric(data["week"], errors="coerce").astype(float).to_numpy(),
        "score": check_scores(data[col].to_numpy(), k, f"data[{col!r}]"),  # (a typo: an error)
    })
    if df["week"].isna().any():
        bad = data["week"][df["week"].isna().to_numpy()].tolist()[:5]
        raise InputError(f"data has rows without a numeric week ({bad}); every visit needs one, "
                         "e.g. data.week.str.extract(r'(\\d+)').astype(float).")
    dup = df.duplicated(["patient_id", "week"], keep=False)
    if dup.any():
        pairs = list(dict.fromkeys(zip(df["patient_id"][dup], df["week"][dup], strict=True)))[:5]
        raise InputError(f"data has several rows for the same (patient_id, week): {pairs}; give "
                         "one score per visit.")
    no_arm = df["arm"].isna() | (df["arm"].astype(str).str.strip() == "")
    if no_arm.any():  # (groupby would drop them: out of every denominator, even under NRI)
        raise InputError(f"patients {list(dict.fromkeys(df['patient_id'][no_arm]))[:5]} have "
                         f"visits without an arm ({arm_col!r} empty); give every visit its "
                         f"patient's arm, or drop the {arm_col!r} column to pool all patients.")
    arms = df.groupby("patient_id")["arm"].nunique(dropna=False)
    if (arms > 1).any():
        raise InputError(f"patients {arms[arms > 1].index.tolist()[:5]} are in more than one arm; "
                         "give each patient one arm (randomisation is per patient).")
    at_base = np.isclose(df["week"], baseline_week)
    if not at_base.any():
        raise InputError(f"no visit at baseline_week={baseline_week:g}; the weeks in data are "
                         f"{sorted(df['week'].unique().tolist())[:8]}.")
    base = df[at_base].set_index("patient_id")["score"]
    df["baseline_score"] = df["patient_id"].map(base).astype(float)
    df["baseline_defined"] = df["baseline_score"].gt(0).to_numpy()
    df["improvement_pct"] = improvement_pct(df["score"].to_numpy(), df["baseline_score"].to_numpy())
    for t in ths:
        df[f"{k}{t:g}"] = endpoint_flags(df["improvement_pct"], t)
    return df.sort_values(["arm", "patient_id", "week"]).reset_index(drop=True)


def _need_columns(data, columns) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, one row per visit; got "
                         f"{type(data).__name__}.")
    for c in columns:
        if c not in data.columns:
            raise InputError(f"data needs a {c!r} column; got {list(data.columns)}.")


def _endpoint_name(endpoint) -> str:
    if not isinstance(endpoint, str):
        raise InputError(f"endpoint must be a name such as 'f_vasi75' or 't_vasi50'; got "
                         f"{endpoint!r}.")
    return endpoint


def _endpoint_threshold(endpoint: str, kind: str) -> float:
    if not _endpoint_name(endpoint).startswith(kind):
        raise InputError(f"endpoint={endpoint!r} does not match kind={kind!r}; use e.g. "
                         f"'{kind}75'.")
    try:
        return float(endpoint[len(kind):])
    except ValueError:
        raise InputError(f"endpoint must look like '{kind}75'; got {endpoint!r}.") from None


def responders(
    data: pd.DataFrame,
    *,
    kind: str = "f_vasi",
    score_col: str | None = None,
    thresholds=None,
    weeks=None,
    missing: str = "nri",
    baseline_week: float = 0.0,
    confidence: float = 0.95,
    arm_col: str = "arm",
    window_weeks: float = WINDOW_WEEKS,
) -> pd.DataFrame:
    """Proportion of patients reaching each endpoint by arm and week, with Wilson intervals.

    .. math:: \\hat p = k / n, \\quad \\text{95 % Wilson interval}

    Parameters
    ----------
    data : pandas.DataFrame
        Long table (see :func:`patient_visits`).
    kind, score_col, thresholds, baseline_week, arm_col : keyword-only
        As in :func:`patient_visits`.
    weeks : sequence of float, keyword-only
        Weeks to report (default: the visits after baseline in the data gathered into visit
        windows of at most ``window_weeks`` with one visit of each patient, each reported at
        its median week -- weeks 51, 52 and 53 of three patients are one row, week 52:
        :func:`vasi.timeline.visit_weeks`).
    window_weeks : float, keyword-only
        Each patient's visit nearest to a reported week within this many weeks that has a
        score counts for it (default :data:`vasi.timeline.WINDOW_WEEKS`, 2, chosen as
        :func:`vasi.endpoints`' week-24 check is: :func:`vasi.timeline.nearest_visits`; a
        NaN score is a missing visit); a week with no visit of any patient in its window is
        an error, not 0 %.
    missing : {"nri", "observed"}, keyword-only
        Non-responder imputation (denominator = every patient of the arm) or observed cases.
    confidence : float, keyword-only
        Interval level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        ``arm``, ``week``, ``endpoint``, ``threshold``, ``responders``, ``n``,
        ``n_missing``, ``proportion``, ``ci_low``, ``ci_high``, ``missing``.

    Examples
    --------
    >>> d = pd.DataFrame({"patient_id": [1, 1, 2, 2, 3], "arm": "a", "week": [0, 24, 0, 24, 0],
    ...                   "f_vasi": [1.0, 0.2, 1.0, 0.9, 1.0]})
    >>> r = responders(d, thresholds=[75])
    >>> r[["week", "responders", "n", "proportion"]].round(3).values.tolist()
    [[24.0, 1.0, 3.0, 0.333]]
    >>> responders(d, thresholds=[75], missing="observed")["n"].tolist()
    [2]
    """
    if missing not in MISSING:
        raise InputError(f"missing must be one of {list(MISSING)} (never LOCF); got {missing!r}.")
    window_weeks = check_window_weeks(window_weeks)
    k = _kind(kind)
    baseline_week = as_week(baseline_week, "baseline_week")
    pv = patient_visits(data, kind=k, score_col=score_col, thresholds=thresholds,
                        baseline_week=baseline_week, arm_col=arm_col)
    ths = endpoint_thresholds(thresholds, k)
    if weeks is None:
        later = pv[pv["week"] > baseline_week]
        weeks = visit_weeks(later["week"], window_weeks, patients=later["patient_id"])
    weeks = [float(w) for w in np.atleast_1d(weeks)]
    near = {w: pv[near_week(pv["week"], w, window_weeks)] for w in weeks}
    empty = [w for w in weeks if near[w].empty]
    if empty:
        raise InputError(f"no visit within {window_weeks:g} weeks of week(s) {empty}; the weeks in "
                         f"data are {sorted(pv['week'].unique().tolist())[:8]}.")
    rows = []
    for arm, sub in pv.groupby("arm", sort=True):
        patients = sub["patient_id"].unique()
        n_all = len(patients)
        for w in weeks:
            # each patient's observed visit nearest to week w within the window
            at = nearest_visits(near[w][near[w]["arm"] == arm], w, window_weeks,
                                by="patient_id")
            obs = at[at["baseline_defined"]]
            for t in ths:
                name = f"{k}{t:g}"
                kk = int(obs[name].sum())
                n = n_all if missing == "nri" else len(obs)
                lo, hi = wilson_interval(kk, n, confidence=confidence)
                rows.append({"arm": arm, "week": float(w), "endpoint": name, "threshold": float(t),
                             "responders": kk, "n": n, "n_missing": n_all - len(obs),
                             "proportion": kk / n if n else math.nan, "ci_low": lo,
                             "ci_high": hi, "missing": missing})
    out = pd.DataFrame(rows, columns=["arm", "week", "endpoint", "threshold", "responders", "n",
                                      "n_missing", "proportion", "ci_low", "ci_high", "missing"])
    out.attrs["provenance"] = {"vasi_version": __version__, "kind": k, "missing": missing,
                               "confidence": confidence, "interval": "wilson",
                               "baseline_week": float(baseline_week)}
    return out


def kaplan_meier(
    data: pd.DataFrame,
    *,
    endpoint: str = "f_vasi75",
    kind: str | None = None,
    score_col: str | None = None,
    baseline_week: float = 0.0,
    confidence: float = 0.95,
    arm_col: str = "arm",
) -> pd.DataFrame:
    """Kaplan-Meier estimate of time to first reaching an endpoint, by arm.

    The event time is the first visit week at which the endpoint is reached; patients who
    never reach it are censored at their last observed visit (a defined score). Patients
    without a defined baseline are left out (counted in ``attrs["excluded"]``).

    .. math::

        \\hat S(t) = \\prod_{t_i \\le t} \\left(1 - \\frac{d_i}{n_i}\\right), \\quad
        \\widehat{\\mathrm{Var}}[\\log \\hat S] = \\sum_{t_i \\le t} \\frac{d_i}{n_i (n_i - d_i)}

    The interval is the log(-log) (exponential Greenwood) interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table (see :func:`patient_visits`).
    endpoint : str, keyword-only
        E.g. ``"f_vasi75"`` (default) or ``"t_vasi50"``.
    kind : str, keyword-only
        Score kind; default taken from ``endpoint``.
    score_col, baseline_week, arm_col : keyword-only
        As in :func:`patient_visits`.
    confidence : float, keyword-only

    Returns
    -------
    pandas.DataFrame
        Per arm and distinct time (week 0 first): ``arm``, ``week``, ``n_at_risk``,
        ``n_events``, ``n_censored``, ``survival`` (not yet responded), ``cum_response``
        (1 - survival), ``ci_low``, ``ci_high`` (of ``cum_response``).

    Examples
    --------
    >>> d = pd.DataFrame({"patient_id": [1, 1, 2, 2, 3, 3], "week": [0, 12, 0, 12, 0, 24],
    ...                   "f_vasi": [1.0, 0.2, 1.0, 0.9, 1.0, 0.1]})
    >>> km = kaplan_meier(d)
    >>> km[["week", "n_at_risk", "n_events", "cum_response"]].round(3).values.tolist()
    [[0.0, 3.0, 0.0, 0.0], [12.0, 3.0, 1.0, 0.333], [24.0, 1.0, 1.0, 1.0]]
    """
    k = _kind(kind if kind is not None else _endpoint_name(endpoint).rstrip("0123456789"))
    t = _endpoint_threshold(endpoint, k)
    baseline_week = as_week(baseline_week, "baseline_week")
    pv = patient_visits(data, kind=k, score_col=score_col, thresholds=[t],
                        baseline_week=baseline_week, arm_col=arm_col)
    name = f"{k}{t:g}"
    z = _z(confidence)
    rows = []
    excluded = 0
    for arm, sub in pv.groupby("arm", sort=True):
        times, events = [], []
        for _, p in sub.groupby("patient_id", sort=False):
            if not p["baseline_defined"].any():
                excluded += 1
                continue
            obs = p[p["score"].notna() & (p["week"] > baseline_week)]
            hit = obs[obs[name]]
            if len(hit):
                times.append(float(hit["week"].min()) - baseline_week)
                events.append(True)
            else:
                last = float(obs["week"].max()) - baseline_week if len(obs) else 0.0
                times.append(last)
                events.append(False)
        times_a = np.asarray(times, float)
        ev = np.asarray(events, bool)
        rows.append({"arm": arm, "week": 0.0, "n_at_risk": len(times_a), "n_events": 0,
                     "n_censored": int(((times_a == 0) & ~ev).sum()), "survival": 1.0,
                     "var_log": 0.0})
        s, var = 1.0, 0.0
        for tt in np.unique(times_a[times_a > 0]):
            n_risk = int((times_a >= tt).sum())
            d = int(((times_a == tt) & ev).sum())
            c = int(((times_a == tt) & ~ev).sum())
            if d:
                s *= 1.0 - d / n_risk
                var = var + d / (n_risk * (n_risk - d)) if n_risk > d else math.inf
            rows.append({"arm": arm, "week": float(tt) + baseline_week, "n_at_risk": n_risk,
                         "n_events": d, "n_censored": c, "survival": s, "var_log": var})
    out = pd.DataFrame(rows, columns=["arm", "week", "n_at_risk", "n_events", "n_censored",
                                      "survival", "var_log"])
    s = out["survival"].to_numpy(float)
    v = out["var_log"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (s > 0) & (s < 1) & np.isfinite(v) & (v > 0)
        ls = np.log(np.where(ok, s, 0.5))
        se = np.sqrt(np.where(ok, v, 0.0)) / np.abs(ls)
        s_lo = np.where(ok, np.exp(-np.exp(np.log(-ls) + z * se)), s)
        s_hi = np.where(ok, np.exp(-np.exp(np.log(-ls) - z * se)), s)
    out["cum_response"] = 1.0 - s
    out["ci_low"] = 1.0 - s_hi
    out["ci_high"] = 1.0 - s_lo
    out = out.drop(columns="var_log")
    out.attrs["excluded"] = excluded
    out.attrs["provenance"] = {"vasi_version": __version__, "endpoint": name,
                               "interval": "log(-log) Greenwood", "confidence": confidence,
                               "censoring": "last observed visit"}
    return out


def compare_arms(
    data: pd.DataFrame,
    *,
    treatment,
    control,
    weeks=(24.0,),
    endpoints=None,
    kind: str = "f_vasi",
    score_col: str | None = None,
    missing: str = "nri",
    baseline_week: float = 0.0,
    confidence: float = 0.95,
    arm_col: str = "arm",
    window_weeks: float = WINDOW_WEEKS,
) -> pd.DataFrame:
    """Compare two arms: responder rates, difference (Newcombe) and risk ratio (Katz).

    Parameters
    ----------
    data : pandas.DataFrame
        Long table (see :func:`patient_visits`).
    treatment, control : keyword-only
        Arm labels.
    weeks : sequence of float, keyword-only
        Weeks to compare (default ``(24,)``).
    endpoints : sequence of str, keyword-only
        Default every endpoint of ``kind`` (e.g. f_vasi50, f_vasi75, f_vasi90).
    kind, score_col, missing, baseline_week, confidence, arm_col, window_weeks : keyword-only
        As in :func:`responders`.

    Returns
    -------
    pandas.DataFrame
        One row per (endpoint, week): ``responders_t``, ``n_t``, ``rate_t`` (+ Wilson
        ``rate_t_low``/``rate_t_high``), the same with ``_c`` for control, ``difference``,
        ``diff_low``, ``diff_high``, ``risk_ratio``, ``rr_low``, ``rr_high``, ``missing``.

    Examples
    --------
    >>> d = simulate_cohort(rng=1, n_per_arm=200)
    >>> c = compare_arms(d, treatment="cream", control="vehicle", endpoints=["f_vasi75"])
    >>> bool(c.loc[0, "diff_low"] > 0)
    True
    """
    k = _kind(kind)
    if endpoints is None:
        endpoints = [f"{k}{t:g}" for t in THRESHOLDS[k]]
    elif isinstance(endpoints, str):  # one endpoint (not its characters)
        endpoints = [endpoints]
    ths = [_endpoint_threshold(e, k) for e in endpoints]
    arms = set(data[arm_col]) if arm_col in data.columns else set()
    for lab, name in ((treatment, "treatment"), (control, "control")):
        if lab not in arms:
            raise InputError(f"{name}={lab!r} is not an arm of the data; arms are "
                             f"{sorted(map(str, arms))}.")
    r = responders(data, kind=k, score_col=score_col, thresholds=ths, weeks=weeks,
                   missing=missing, baseline_week=baseline_week, confidence=confidence,
                   arm_col=arm_col, window_weeks=window_weeks)
    rows = []
    for (ep, w), sub in r.groupby(["endpoint", "week"], sort=False):
        t = sub[sub["arm"] == treatment].iloc[0]
        c = sub[sub["arm"] == control].iloc[0]
        d, dlo, dhi = newcombe_difference(t.responders, t.n, c.responders, c.n,
                                          confidence=confidence)
        rr, rlo, rhi = risk_ratio(t.responders, t.n, c.responders, c.n, confidence=confidence)
        rows.append({"endpoint": ep, "week": w, "treatment": treatment, "control": control,
                     "responders_t": int(t.responders), "n_t": int(t.n), "rate_t": t.proportion,
                     "rate_t_low": t.ci_low, "rate_t_high": t.ci_high,
                     "responders_c": int(c.responders), "n_c": int(c.n), "rate_c": c.proportion,
                     "rate_c_low": c.ci_low, "rate_c_high": c.ci_high,
                     "difference": d, "diff_low": dlo, "diff_high": dhi,
                     "risk_ratio": rr, "rr_low": rlo, "rr_high": rhi, "missing": missing})
    out = pd.DataFrame(rows)
    out.attrs["provenance"] = {**r.attrs["provenance"],
                               "difference_interval": "Newcombe hybrid score (method 10)",
                               "ratio_interval": "Katz log (0.5 added when a count is 0)"}
    return out


def endpoint_table(
    data: pd.DataFrame,
    *,
    treatment,
    control,
    weeks=(24.0, 52.0),
    kind: str = "f_vasi",
    missing: str = "nri",
    window_weeks: float = WINDOW_WEEKS,
    **kwargs,
) -> pd.DataFrame:
    """A SPEC.md §3-style table: ``endpoint, week`` rows with "x % vs y %" and intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table (see :func:`patient_visits`).
    treatment, control : keyword-only
        Arm labels.
    weeks : sequence of float, keyword-only
        Default (24, 52); a week no visit in the table comes within ``window_weeks`` of is
        left out.
    kind, missing, window_weeks : keyword-only
        As in :func:`responders` (each patient's visit nearest to a week, within
        ``window_weeks``, counts for it); other keywords go to :func:`compare_arms`.

    Returns
    -------
    pandas.DataFrame
        ``endpoint`` (e.g. "F-VASI75"), ``week``, ``result`` ("29.8 % vs 7.4 %"),
        ``difference_ci`` ("22.4 pp (14.1 to 30.2)"), ``risk_ratio_ci`` ("4.03 (2.21 to
        7.35)"), plus the numeric columns of :func:`compare_arms`.

    Examples
    --------
    >>> d = simulate_cohort(rng=3, n_per_arm=100)
    >>> endpoint_table(d, treatment="cream", control="vehicle", weeks=[24]).columns[:3].tolist()
    ['endpoint', 'week', 'result']
    """
    _need_columns(data, ("patient_id", "week"))
    visited = pd.to_numeric(data["week"], errors="coerce").astype(float).to_numpy()
    window_weeks = check_window_weeks(window_weeks)
    weeks = [float(w) for w in weeks if near_week(visited, w, window_weeks).any()]
    c = compare_arms(data, treatment=treatment, control=control, weeks=weeks, kind=kind,
                     missing=missing, window_weeks=window_weeks, **kwargs)
    if c.empty:
        return c
    label = c["endpoint"].str.replace(r"^(f|t)_vasi", lambda m: m.group(1).upper() + "-VASI",
                                      regex=True)
    out = pd.DataFrame({
        "endpoint": label,
        "week": c["week"],
        "result": [f"{a:.1%} vs {b:.1%}".replace("%", " %") for a, b in zip(c.rate_t, c.rate_c, strict=True)],
        "difference_ci": [f"{100 * d:.1f} pp ({100 * lo:.1f} to {100 * hi:.1f})"
                       for d, lo, hi in zip(c.difference, c.diff_low, c.diff_high, strict=True)],
        "risk_ratio_ci": [f"{r:.2f} ({lo:.2f} to {hi:.2f})" if np.isfinite(r) else "n/a"
                       for r, lo, hi in zip(c.risk_ratio, c.rr_low, c.rr_high, strict=True)],
    })
    out = pd.concat([out, c.drop(columns=["endpoint", "week"])], axis=1)
    out = out.sort_values(["week", "endpoint"], key=lambda s: s if s.name == "week" else
                          s.str.extract(r"(\d+)$")[0].astype(float)).reset_index(drop=True)
    out.attrs["provenance"] = c.attrs.get("provenance", {})
    return out


# ----------------------------------------------------------------------------- simulator


def simulate_cohort(
    *,
    rng,
    n_per_arm: int | Mapping = 150,
    true_rates: Mapping | None = None,
    at_week: float = 24.0,
    threshold: float = 75.0,
    weeks=(0, 4, 8, 12, 16, 20, 24, 28, 40, 52),
    spread: float = 0.3,
    tau_weeks: float = 20.0,
    baseline_mean: float = 1.0,
    baseline_cv: float = 0.5,
    noise_sd: float = 0.0,
    dropout_per_visit: float = 0.0,
) -> pd.DataFrame:
    """Simulate a seeded multi-arm F-VASI trial with known true response rates.

    Each patient has a latent improvement at ``at_week``,

    .. math:: I = 0.75 + \\sigma (Z + \\Phi^{-1}(p_{arm})), \\quad Z \\sim N(0, 1)

    (with 0.75 replaced by ``threshold / 100``) so that ``P(I >= threshold) = p_arm`` exactly.
    Improvement grows as :math:`I(t) = I \\, (1 - e^{-t/\\tau}) / (1 - e^{-t_{at}/\\tau})`,
    capped at 1 (and at -0.5 for worsening); ``F-VASI_t = F-VASI_0 (1 - I(t))``. Baseline
    F-VASI is gamma-distributed (mean ``baseline_mean``, CV ``baseline_cv``) and clipped to
    [0.05, 3]. Optional multiplicative noise is applied to follow-up visits except
    ``at_week`` (so the true rate at ``at_week`` stays exact), and monotone dropout removes
    all later visits with probability ``dropout_per_visit`` at each follow-up.

    Parameters
    ----------
    rng : numpy.random.Generator or int, keyword-only
        Seed or generator.
    n_per_arm : int or mapping arm -> int, keyword-only
        Patients per arm (a mapping gives unequal arms, e.g. 2:1 randomisation).
    true_rates : mapping arm -> float, keyword-only
        True proportion reaching the endpoint at ``at_week``; default
        ``{"cream": 0.30, "vehicle": 0.10}`` (about TRuE-V F-VASI75 at week 24).
    at_week, threshold : float, keyword-only
        Where the true rate holds (week 24, F-VASI75).
    weeks : sequence of float, keyword-only
        Visit schedule; must include 0 and ``at_week``.
    spread, tau_weeks, baseline_mean, baseline_cv, noise_sd, dropout_per_visit : keyword-only
        Model parameters (see above).

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``arm``, ``week``, ``f_vasi``; the true rates are in
        ``attrs["true_rates"]``.

    Examples
    --------
    >>> d = simulate_cohort(rng=0, n_per_arm=10)
    >>> sorted(d["arm"].unique()), len(d)
    (['cream', 'vehicle'], 200)
    """
    g = check_rng(rng)
    rates = dict({"cream": 0.30, "vehicle": 0.10} if true_rates is None else true_rates)
    sizes = dict(n_per_arm) if isinstance(n_per_arm, Mapping) else dict.fromkeys(rates, n_per_arm)
    for arm in rates:
        n = sizes.get(arm)
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise InputError(f"n_per_arm must be a positive integer (or a mapping arm -> int "
                             f"covering every arm); got {n_per_arm!r}.")
    for arm, p in rates.items():
        if not 0 < float(p) < 1:
            raise InputError(f"true_rates[{arm!r}] must be in (0, 1); got {p!r}.")
    wk = sorted(float(w) for w in weeks)
    if 0.0 not in wk or float(at_week) not in wk:
        raise InputError(f"weeks must include 0 and at_week={at_week!r}; got {list(weeks)}.")
    if not 0 <= dropout_per_visit < 1:
        raise InputError(f"dropout_per_visit must be in [0, 1); got {dropout_per_visit!r}.")
    wk_a = np.asarray(wk)
    growth = (1 - np.exp(-wk_a / tau_weeks)) / (1 - math.exp(-float(at_week) / tau_weeks))
    shape = 1.0 / baseline_cv**2
    recs = []
    pid = 0
    for arm, p in rates.items():
        n_arm = int(sizes[arm])
        imp = threshold / 100.0 + spread * (g.standard_normal(n_arm) + ndtri(p))
        base = np.clip(g.gamma(shape, baseline_mean / shape, n_arm), 0.05, 3.0)
        for i in range(n_arm):
            pid += 1
            it = np.clip(imp[i] * growth, -0.5, 1.0)
            score = base[i] * (1 - it)
            if noise_sd > 0:
                noisy = score * np.exp(noise_sd * g.standard_normal(len(wk)))
                keep = (wk_a == 0) | (wk_a == float(at_week))
                score = np.where(keep, score, np.clip(noisy, 0, 3.0))
            score = np.minimum(score, 3.0)
            last = len(wk)
            if dropout_per_visit > 0:
                drop = g.random(len(wk) - 1) < dropout_per_visit
                if drop.any():
                    last = 1 + int(np.argmax(drop))
            for j in range(last):
                recs.append((f"P{pid:04d}", arm, wk[j], float(score[j])))
    out = pd.DataFrame(recs, columns=["patient_id", "arm", "week", "f_vasi"])
    out.attrs["true_rates"] = {a: float(p) for a, p in rates.items()}
    out.attrs["at_week"] = float(at_week)
    out.attrs["threshold"] = float(threshold)
    return out
