"""One patient's timeline: percent change, F-VASI50/75/90 and T-VASI50/75 endpoints (SPEC.md §2).

.. math::

    \\%\\Delta_t = 100 \\, \\frac{s_t - s_0}{s_0} \\qquad
    \\text{VASI}N \\text{ reached at } t \\iff \\frac{s_0 - s_t}{s_0} \\ge \\frac{N}{100}

Negative percent change is improvement. Exactly N % counts (F-VASI 1.0 -> 0.25 is F-VASI75,
0.26 is not); the comparison allows 1e-9 percentage points of floating-point error so that
exact thresholds are never lost to rounding. A baseline score of 0 makes every ratio
undefined: NaN (and ``<NA>`` endpoints) with a reason, never a division error.

:func:`endpoints` adds the summary a clinician reads: first week each endpoint was reached,
the week-24 check, plateau, relapse (lost F-VASI75 after reaching it) and the treated area
against the 10-hand-unit label limit with the cream it implies (fingertip-unit rule).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validate import decimal_point, is_number, matching, one_value, renamed
from ._version import __version__
from .errors import InputError
from .hand_units import Dosing, dosing

__all__ = [
    "THRESHOLDS",
    "MEANINGFUL_PCT",
    "Endpoints",
    "percent_change",
    "improvement_pct",
    "reached",
    "weeks_from_dates",
    "visit_weeks",
    "nearest_visits",
    "WINDOW_WEEKS",
    "endpoints",
]

#: Endpoint thresholds (% improvement) per score kind (SPEC.md §2).
THRESHOLDS = {"f_vasi": (50, 75, 90), "t_vasi": (50, 75)}

#: Meaningful improvement reported in the literature (SPEC.md §2): ~50 % F-VASI, ~30 % T-VASI.
MEANINGFUL_PCT = {"f_vasi": 50.0, "t_vasi": 30.0}

#: Tolerance (percentage points) in threshold comparisons, against floating-point error only.
PCT_TOL = 1e-9

#: Visit window (weeks): a visit this close to a reported week (the week-24 check,
#: :func:`vasi.cohort.responders`' weeks) counts for it, and the visits gathered into one
#: reported week span at most this (:func:`visit_weeks`).
WINDOW_WEEKS = 2.0


def near_week(weeks, week: float, window_weeks: float) -> np.ndarray:
    """Which of ``weeks`` lie within ``window_weeks`` of ``week`` (1e-9 weeks of floating-point
    slack): the visits that may count for a reported week.

    >>> near_week([22.0, 23.86, 26.5], 24, 2).tolist()
    [True, True, False]
    """
    return np.abs(np.asarray(weeks, dtype=float) - float(week)) <= float(window_weeks) + 1e-9


def visit_weeks(weeks, window_weeks: float = WINDOW_WEEKS, patients=None) -> list:
    """The weeks to report for a set of visits (NaN left out): the visits gathered into visit
    windows, each reported at its median week, so that one visit (weeks 51, 52 and 53 of
    three patients; 12.29, 12.71 and 13.29 from their visit dates) is not split over rows.

    With ``patients`` (one id per week, as a cohort table has): sorted visits are gathered
    while the window spans at most ``window_weeks`` and holds at most one visit of each
    patient -- a patient's own visits are distinct visits, so weekly visits stay apart.
    Without: whole weeks only (a protocol's nominal weeks, ``week12`` folders) are reported
    as they are; other weeks (from dates) are gathered when less than ``window_weeks / 2``
    apart, spanning at most ``window_weeks``.

    >>> visit_weeks([24.0, 12.0, 12.0, np.nan], 2)
    [12.0, 24.0]
    >>> visit_weeks([51, 52, 53, 24, 24], 2, patients=[1, 2, 3, 1, 2])
    [24.0, 52.0]
    >>> visit_weeks([1, 2, 1, 2], 2, patients=[1, 1, 2, 2])  # weekly visits
    [1.0, 2.0]
    >>> [round(w, 2) for w in visit_weeks([86 / 7, 89 / 7, 93 / 7, 170 / 7, 176 / 7], 2)]
    [12.71, 24.71]
    >>> [round(w, 2) for w in visit_weeks([84 / 7, 86 / 7, 91 / 7], 2)]  # 84 days: week 12
    [12.29]
    """
    w = np.asarray(weeks, dtype=float).ravel()
    ok = np.isfinite(w)
    if patients is None:
        w = np.unique(w[ok])
        if np.allclose(w, np.round(w), rtol=0.0, atol=1e-9):
            return [float(x) for x in np.unique(np.round(w))]
        who = None
    else:
        who = np.asarray(patients, dtype=object).ravel()
        if len(who) != len(ok):
            raise InputError(f"patients must give one id per week ({len(ok)}); got {len(who)}.")
        order = np.argsort(w[ok], kind="stable")
        w, who = w[ok][order], who[ok][order]
    out, group, seen = [], [], set()
    for i, x in enumerate(w):
        apart = (who[i] in seen) if who is not None else (x - group[-1] >= 0.5 * window_weeks
                                                           if group else False)
        if group and (apart or x - group[0] > window_weeks + 1e-9):
            out.append(float(np.median(group)))
            group, seen = [], set()
        group.append(float(x))
        if who is not None:
            seen.add(who[i])
    if group:
        out.append(float(np.median(group)))
    return out


def nearest_visits(frame: pd.DataFrame, week: float, window_weeks: float, *, score: str = "score",
                   by: str | None = None) -> pd.DataFrame:
    """The rows of ``frame`` (``week`` and ``score`` columns) that count for ``week``: the
    visit nearest to it within ``window_weeks`` that has a score -- a NaN score is a missing
    visit, never taken over an observed one -- one per ``by`` group (one in all without);
    ties go to the earlier visit. :func:`endpoints`' week-24 check and
    :func:`vasi.cohort.responders` choose their visits with it.

    >>> d = pd.DataFrame({"week": [22.0, 23.0, 24.0, 26.0], "score": [0.5, 0.4, np.nan, 0.1]})
    >>> nearest_visits(d, 24, 2)["week"].tolist()
    [23.0]
    """
    f = frame[frame[score].notna().to_numpy() & near_week(frame["week"], week, window_weeks)]
    wk = f["week"].to_numpy(dtype=float)
    f = f.iloc[np.lexsort((wk, np.abs(wk - float(week))))]
    return f.drop_duplicates(by) if by is not None else f.head(1)


#: Range of each score (SPEC.md §1): F-VASI 0-3 (a whole face is 3 HU), T-VASI 0-100.
SCORE_RANGE = {"f_vasi": (0.0, 3.0), "t_vasi": (0.0, 100.0)}


def endpoint_thresholds(thresholds, kind: str) -> tuple:
    """The endpoint thresholds (% improvement) of ``kind`` (default :data:`THRESHOLDS`),
    checked: numbers in [1, 100] -- a fraction (0.75) is refused, it would make an endpoint of
    0.75 % improvement.

    >>> endpoint_thresholds(None, "t_vasi"), endpoint_thresholds([75], "f_vasi")
    ((50, 75), (75,))
    """
    ths = tuple(THRESHOLDS[kind] if thresholds is None else np.atleast_1d(thresholds).tolist())
    for t in ths:
        check_pct(t, "thresholds", example=f"75 for {kind}75")
    return ths


def check_pct(value, name: str, *, example: str = "75 for 75 %") -> float:
    """An improvement threshold in percent (an endpoint's N, a meaningful response) as a
    float, checked: a number in [1, 100] -- a fraction (0.75) is refused, it would be read as
    0.75 % improvement.

    >>> check_pct(75, "relapse_threshold")
    75.0
    >>> check_pct(0.75, "relapse_threshold")
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: relapse_threshold is a percentage: pass 75 for 75 %, not 0.75.
    """
    value = one_value(value)
    if not (is_number(value) and 0 < value <= 100):
        raise InputError(f"{name} must be a percentage in (0, 100]; got {value!r}.")
    if value < 1:
        raise InputError(f"{name} is a percentage: pass {example}, not {value!r}.")
    return float(value)


def as_week(value, name: str) -> float:
    """A week (``baseline_week``, ``check_week``) as a float, checked: one finite number.

    >>> as_week(24, "check_week")
    24.0
    """
    value = one_value(value)
    if not (is_number(value) and math.isfinite(value)):
        got = (repr(value) if np.ndim(value) == 0 else
               f"a {type(value).__name__} of {np.size(value)} values")
        raise InputError(f"{name} must be one number of weeks, e.g. 0 or 24; got {got}.")
    return float(value)


def check_window_weeks(window_weeks) -> float:
    """``window_weeks`` (how far a visit may be from a check week) as a float, checked: a
    number of weeks >= 0 (0 = the exact week only).

    >>> check_window_weeks(2)
    2.0
    """
    try:
        w = float(window_weeks)
    except (TypeError, ValueError):
        w = float("nan")
    if not w >= 0:
        raise InputError(f"window_weeks must be a number of weeks >= 0 (0 = the exact week); "
                         f"got {window_weeks!r}.")
    return w


def check_scores(scores, kind: str, name: str = "scores") -> np.ndarray:
    """``scores`` as float (NaN = a missing visit), checked against :data:`SCORE_RANGE`: a
    value that is not a number, or out of the score's range (an F-VASI of 5, or -0.5) is an
    :class:`~vasi.errors.InputError` naming the values.

    >>> check_scores([1.0, None, "0,25"], "f_vasi").tolist()
    [1.0, nan, 0.25]
    """
    def number(v):  # a number, a VasiScore (its float), a decimal comma, or None / NaN / NA
        if v is None or v is pd.NA:
            return math.nan
        if isinstance(v, str):
            v = decimal_point(v)
        try:
            return float(v)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be numbers (NaN or None marks a missing visit); "
                             f"got {v!r}.") from None

    out = np.array([number(v) for v in np.asarray(scores, dtype=object).ravel()], float)
    lo, hi = SCORE_RANGE[kind]
    bad = out[np.isfinite(out) & ((out < lo) | (out > hi))].tolist() + out[np.isinf(out)].tolist()
    if bad:
        raise InputError(f"{kind} scores must lie in [{lo:g}, {hi:g}] (NaN marks a missing visit); "
                         f"got {sorted(bad)[:5]}.")
    return out


def _kind(kind: str) -> str:
    k = str(kind).lower().replace("-", "_")
    if k not in THRESHOLDS:
        raise InputError(f"kind must be one of {list(THRESHOLDS)}; got {kind!r}.")
    return k


def percent_change(score, baseline):
    """Percent change from baseline, ``100 (s_t - s_0) / s_0`` (negative = improvement).

    .. math:: \\%\\Delta = 100 \\, (s_t - s_0) / s_0

    Parameters
    ----------
    score : float or array_like
        Score(s) at follow-up.
    baseline : float or array_like
        Baseline score(s). 0 or NaN gives NaN (undefined), without a warning.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> percent_change(0.25, 1.0)
    -75.0
    >>> percent_change(0.5, 0.0)
    nan
    """
    s, b = matching(score=np.asarray(score, dtype=float), baseline=np.asarray(baseline, dtype=float))
    ok = np.isfinite(b) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok, 100.0 * (s - b) / np.where(ok, b, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def improvement_pct(score, baseline):
    """Improvement from baseline in percent, ``100 (s_0 - s_t) / s_0`` (NaN when undefined).

    Examples
    --------
    >>> improvement_pct(0.26, 1.0)
    74.0
    """
    out = -np.asarray(percent_change(score, baseline))
    out = out + 0.0  # no negative zero
    return float(out) if out.ndim == 0 else out


def reached(score, baseline, threshold: float):
    """Whether an N % improvement endpoint (e.g. F-VASI75) is reached.

    .. math:: (s_0 - s_t) / s_0 \\ge N / 100

    Exactly ``N`` % counts (floating-point error up to 1e-9 percentage points is tolerated).

    Parameters
    ----------
    score, baseline : float or array_like
        Follow-up and baseline scores.
    threshold : float
        ``N`` in percent (50, 75, 90).

    Returns
    -------
    bool or ndarray of bool
        False where undefined (baseline 0 / NaN, missing score); use :func:`endpoints` for
        a ``<NA>``-aware table.

    Examples
    --------
    >>> reached(0.25, 1.0, 75), reached(0.26, 1.0, 75)
    (True, False)
    >>> bool(reached(0.1, 0.4, 75))
    True
    """
    threshold = check_pct(threshold, "threshold")
    imp = np.asarray(improvement_pct(score, baseline))
    with np.errstate(invalid="ignore"):
        out = np.where(np.isnan(imp), False, imp >= threshold - PCT_TOL)
    return bool(out) if out.ndim == 0 else out


def endpoint_flags(improvement, threshold: float) -> pd.arrays.BooleanArray:
    """Whether each visit reached an N % improvement endpoint, as pandas' nullable
    ``"boolean"``: ``<NA>`` where the improvement is undefined (NaN: missing score, baseline
    0 or missing), never a silent False. The endpoint columns of :func:`endpoints` and
    :func:`vasi.cohort.patient_visits`.

    >>> endpoint_flags([80.0, 74.0, np.nan], 75).tolist()
    [True, False, <NA>]
    """
    imp = np.asarray(improvement, dtype=float)
    out = pd.array(imp >= float(threshold) - PCT_TOL, dtype="boolean")
    out[np.isnan(imp)] = pd.NA
    return out


_SLASHED = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\s*$")


def weeks_from_dates(dates, *, baseline_date=None, dayfirst: bool | None = None) -> np.ndarray:
    """Weeks since the baseline date (days / 7).

    Parameters
    ----------
    dates : array_like of date-like
        Visit dates (strings, ``datetime``, ``numpy.datetime64``...).
    baseline_date : date-like, keyword-only
        Default: the earliest of ``dates``.
    dayfirst : bool, keyword-only
        How to read dates like ``01/02/2025``: day first (True: 1 February) or month first
        (False: 2 January). Required when such a date could be read either way (both numbers
        up to 12); ISO dates (``2025-02-01``) never need it.

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> weeks_from_dates(["2025-01-06", "2025-03-31", "2025-06-23"]).tolist()
    [0.0, 12.0, 24.0]
    >>> weeks_from_dates(["01/02/2025", "02/08/2025"], dayfirst=True).round(2).tolist()
    [0.0, 26.0]
    """
    dates = list(dates)
    if dayfirst is None:
        ambiguous = [v for v in dates if isinstance(v, str) and (m := _SLASHED.match(v))
                     and int(m.group(1)) <= 12 and int(m.group(2)) <= 12 and m.group(1) != m.group(2)]
        if ambiguous:
            raise InputError(f"dates {ambiguous[:3]} read as day/month or month/day give different "
                             "weeks: pass dayfirst=True (01/02/2025 = 1 February) or False, or "
                             "ISO dates (2025-02-01).")
    try:
        d = pd.to_datetime(pd.Series(dates), dayfirst=bool(dayfirst))
        b = d.min() if baseline_date is None else pd.to_datetime(baseline_date, dayfirst=bool(dayfirst))
    except (ValueError, TypeError) as exc:
        raise InputError(f"dates must be parseable dates (e.g. '2025-01-06'); {exc}") from None
    return ((d - b).dt.total_seconds() / (7 * 86400.0)).to_numpy(dtype=float)


@dataclass(frozen=True, eq=False)
class Endpoints:
    """One patient's endpoints: per-visit table and summary.

    Attributes
    ----------
    visits : pandas.DataFrame
        One row per visit sorted by week: ``week``, ``score``, ``pct_change``,
        ``improvement_pct``, one nullable-boolean column per endpoint (e.g. ``f_vasi75``),
        ``is_baseline``, ``reason``, plus any other input columns.
    kind : str
        ``"f_vasi"`` or ``"t_vasi"``.
    baseline_week, baseline_score : float
    first_week : dict
        Endpoint name -> first week reached (NaN if never).
    check_week : float
        The week of the early-response check (default 24).
    check_visit_week, check_improvement_pct : float
        Visit used for the check and its improvement (NaN when no visit is near enough).
    meaningful_at_check : bool or None
        Improvement >= ``meaningful_pct`` at the check visit (None when undefined).
    plateau, plateau_week :
        Whether, and from which visit, there was no further gain over the plateau window.
    relapse, relapse_week :
        Lost the relapse endpoint (F-VASI75) at a later visit after having reached it.
    dosing : vasi.hand_units.Dosing
        Treated hand units vs the label limit and cream per day / month.
    reason : str
        Why percent changes are undefined (empty when defined); the object is then falsy,
        as other results that could not be computed are.
    provenance : dict
    """

    visits: pd.DataFrame = field(repr=False)
    kind: str
    baseline_week: float
    baseline_score: float
    first_week: dict
    check_week: float
    check_visit_week: float
    check_improvement_pct: float
    meaningful_at_check: bool | None
    plateau: bool
    plateau_week: float
    relapse: bool
    relapse_week: float
    dosing: Dosing
    reason: str = ""
    provenance: dict = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return not self.reason

    def to_frame(self) -> pd.DataFrame:
        """The per-visit table."""
        return self.visits.copy()

    def to_dict(self) -> dict:
        """The summary as a flat dict (no per-visit table)."""
        out = {
            "kind": self.kind,
            "baseline_week": self.baseline_week,
            "baseline_score": self.baseline_score,
            **{f"first_week_{k}": v for k, v in self.first_week.items()},
            "check_week": self.check_week,
            "check_visit_week": self.check_visit_week,
            "check_improvement_pct": self.check_improvement_pct,
            "meaningful_at_check": self.meaningful_at_check,
            "plateau": self.plateau,
            "plateau_week": self.plateau_week,
            "relapse": self.relapse,
            "relapse_week": self.relapse_week,
            "treated_hu": self.dosing.treated_hu,
            "label_limit_hu": self.dosing.label_limit_hu,
            "above_label_limit": self.dosing.above_label_limit,
            "cream_g_per_day": self.dosing.g_per_day,
            "cream_g_per_month": self.dosing.g_per_month,
            "reason": self.reason,
        }
        return out


def _visits_frame(visits, *, kind, score_col, week_col, date_col, baseline_date,
                  dayfirst=None) -> tuple:
    if isinstance(visits, pd.Series):  # week -> score, as a mapping
        idx = visits.index
        if (visits.name is not None and idx.name is None and isinstance(idx, pd.RangeIndex)
                and idx.start == 0 and idx.step == 1 and len(idx) > 1):
            # a table's column (df["f_vasi"]): its index counts rows, not weeks
            raise InputError(f"visits is the column {visits.name!r} of a table, indexed by row "
                             "number (0, 1, 2, ...), not by week: pass the table itself, or "
                             f"week -> score, e.g. df.set_index('week')[{visits.name!r}].")
        visits = visits.to_dict()
    if isinstance(visits, Mapping):
        keys = pd.Series(list(visits.keys()), dtype=object)
        weeks = pd.to_numeric(keys, errors="coerce").astype(float)
        bad = ~np.isfinite(weeks)
        if bad.any():
            raise InputError("visits' keys are the weeks and must be finite numbers; got "
                             f"{keys[bad].tolist()}.")
        df = pd.DataFrame({"week": weeks, "score": list(visits.values())})
        col = "score"
        if df.empty:
            raise InputError("visits is empty: pass one score per visit, e.g. {0: 1.2, 24: 0.3}.")
    elif isinstance(visits, pd.DataFrame):
        df = visits.copy()
        if score_col is not None:
            if score_col not in df.columns:
                raise InputError(f"score_col={score_col!r} is not a column of visits; columns are "
                                 f"{list(df.columns)}.")
            col = score_col
        else:
            cands = [c for c in (kind, "score") if c in df.columns]
            if not cands:
                raise InputError(
                    f"visits needs a {kind!r} or 'score' column (or pass score_col=...); got "
                    f"columns {list(df.columns)}."
                )
            col = cands[0]
        if week_col in df.columns:
            df["week"] = pd.to_numeric(df[week_col], errors="coerce").astype(float)
        elif date_col in df.columns:
            df["week"] = weeks_from_dates(df[date_col], baseline_date=baseline_date,
                                          dayfirst=dayfirst)
        else:
            raise InputError(
                f"visits needs a {week_col!r} or {date_col!r} column; got {list(df.columns)}."
            )
    else:
        raise InputError("visits must be a DataFrame (week or date, score) or a mapping "
                         f"week -> score; got {type(visits).__name__}.")
    if df.empty:
        raise InputError("visits is empty: pass one row per visit (week or date, score).")
    sc = check_scores(df[col].to_numpy(), kind, f"visits[{col!r}]")
    df = df.drop(columns=[c for c in ("score",) if c in df.columns and c != col])
    df["score"] = sc
    if df["week"].isna().any():
        raise InputError("visits has visits without a numeric week or date; every visit needs "
                         "one (e.g. visits.week.str.extract(r'(\\d+)').astype(float) for 'week 24').")
    if df["week"].duplicated().any():
        dup = sorted(df.loc[df["week"].duplicated(), "week"].tolist())
        raise InputError(f"visits has duplicate weeks {dup}; give one score per visit "
                         "(aggregate photos of the same visit first).")
    return df.sort_values("week").reset_index(drop=True), col


def endpoints(
    visits,
    *,
    kind: str = "f_vasi",
    score_col: str | None = None,
    week_col: str = "week",
    date_col: str = "date",
    baseline_date=None,
    dayfirst: bool | None = None,
    baseline_week: float | None = None,
    thresholds=None,
    meaningful_pct: float | None = None,
    check_week: float = 24.0,
    window_weeks: float | None = None,
    plateau_weeks: float = 12.0,
    plateau_min_gain_pct: float = 5.0,
    relapse_threshold: float = 75.0,
    treated_hu: float | None = None,
    label_limit_hu: float = 10.0,
    days_per_month: float = 30.0,
    check_tolerance_weeks: float | None = None,
) -> Endpoints:
    """Endpoints of one patient's visits: percent change, VASI50/75/90, checks and dosing.

    Parameters
    ----------
    visits : pandas.DataFrame, mapping or pandas.Series
        One row per visit with a ``week`` (or ``date``) column and the score column
        (``f_vasi`` / ``t_vasi`` / ``score`` or ``score_col``); NaN score = missing visit.
        Or a mapping (or a Series) ``week -> score``.
    kind : {"f_vasi", "t_vasi"}, keyword-only
        Sets the default endpoints (F-VASI50/75/90 or T-VASI50/75) and the meaningful change.
    score_col, week_col, date_col : str, keyword-only
        Column names.
    baseline_date : date-like, keyword-only
        Date of week 0 when visits are given by date (default: the first visit).
    dayfirst : bool, keyword-only
        How to read dates like ``01/02/2025`` (:func:`weeks_from_dates`): day first (True)
        or month first (False); needed when a date reads either way.
    baseline_week : float, keyword-only
        Which visit is the baseline (default: the earliest; with ``baseline_date``, the first
        visit on or after that date). Visits before the baseline get NaN changes.
    thresholds : sequence of float, keyword-only
        Endpoint thresholds in % (default :data:`THRESHOLDS` of ``kind``).
    meaningful_pct : float, keyword-only
        Meaningful improvement for the check (default 50 for F-VASI, 30 for T-VASI; SPEC §2).
    check_week, window_weeks : float, keyword-only
        Early-response check at week ``check_week`` (24) using the nearest visit within
        ``window_weeks`` (default :data:`WINDOW_WEEKS`, 2; the same window as
        :func:`vasi.cohort.responders`) that has a score (:func:`nearest_visits`).
    plateau_weeks, plateau_min_gain_pct : float, keyword-only
        Plateau from visit ``w`` (the first such visit after baseline, with some improvement:
        no response at all is not a plateau): no later visit improves by
        ``plateau_min_gain_pct`` percentage points (default 5) or more over ``w``, and
        follow-up continues at least ``plateau_weeks`` (default 12) beyond ``w``.
    relapse_threshold : float, keyword-only
        Relapse = losing this endpoint after reaching it (75: the trials' definition).
    treated_hu : float, keyword-only
        Treated area in hand units. Default: the baseline ``area_hu`` (or
        ``depigmented_area_hu``) column when present, else the baseline score (a lower
        bound of the depigmented area, equal to it when fully depigmented).
    label_limit_hu : float, keyword-only
        Flag treated areas above this (default 10 HU = 10 % BSA, ruxolitinib cream label).
    days_per_month : float, keyword-only
        Days in a month for the cream estimate (default 30).
    check_tolerance_weeks : float, keyword-only
        Deprecated: the old name of ``window_weeks``.

    Returns
    -------
    Endpoints

    Examples
    --------
    >>> e = endpoints({0: 1.0, 12: 0.6, 24: 0.25, 36: 0.26, 52: 0.1})
    >>> e.visits["f_vasi75"].tolist()
    [False, False, True, False, True]
    >>> e.first_week["f_vasi75"], e.meaningful_at_check, e.relapse, e.relapse_week
    (24.0, True, True, 36.0)
    >>> e.dosing.g_per_month
    15.0
    """
    check_week = as_week(check_week, "check_week")
    baseline_week = None if baseline_week is None else as_week(baseline_week, "baseline_week")
    window_weeks = check_window_weeks(renamed(
        window_weeks, check_tolerance_weeks, old="check_tolerance_weeks", new="window_weeks",
        default=WINDOW_WEEKS))
    k = _kind(kind)
    ths = endpoint_thresholds(thresholds, k)
    mean_pct = MEANINGFUL_PCT[k] if meaningful_pct is None else check_pct(meaningful_pct,
                                                                          "meaningful_pct")
    relapse_threshold = check_pct(relapse_threshold, "relapse_threshold",
                                  example=f"75 for {k}75")
    df, col = _visits_frame(visits, kind=k, score_col=score_col, week_col=week_col,
                            date_col=date_col, baseline_date=baseline_date, dayfirst=dayfirst)
    if baseline_week is None and baseline_date is not None and (df["week"] >= -1e-9).any():
        bi = int(np.flatnonzero(df["week"].to_numpy() >= -1e-9)[0])  # first visit on/after it
    elif baseline_week is None:
        bi = 0
    else:
        hits = np.flatnonzero(np.isclose(df["week"].to_numpy(), float(baseline_week)))
        if not hits.size:
            raise InputError(f"baseline_week={baseline_week!r} is not a visit week; weeks are "
                             f"{df['week'].tolist()}.")
        bi = int(hits[0])
    b_week = float(df.loc[bi, "week"])
    b_score = float(df.loc[bi, "score"])
    reason = ""
    if math.isnan(b_score):
        reason = "baseline score is missing: percent change undefined"
    elif b_score == 0:
        reason = "baseline score is 0: percent change undefined"
    df["is_baseline"] = df.index == bi
    df["pct_change"] = percent_change(df["score"].to_numpy(), b_score)
    df["improvement_pct"] = improvement_pct(df["score"].to_numpy(), b_score)
    before = df["week"] < b_week
    df.loc[before, ["pct_change", "improvement_pct"]] = np.nan
    defined = df["improvement_pct"].notna()
    names = []
    for t in ths:
        name = f"{k}{t:g}"
        names.append(name)
        df[name] = endpoint_flags(df["improvement_pct"], t)
    df["reason"] = ""
    df.loc[df["score"].isna(), "reason"] = "missing visit"
    if reason:
        df.loc[df["score"].notna(), "reason"] = reason
    after = df[(df["week"] > b_week) & defined]
    first = {n: (float(after.loc[after[n].astype(bool), "week"].min())
                 if after[n].astype(bool).any() else math.nan) for n in names}

    # week-24 check
    chk_week, chk_imp, meaningful = math.nan, math.nan, None
    at = nearest_visits(after, check_week, window_weeks, score="improvement_pct")
    if not reason and len(at):
        chk_week, chk_imp = float(at["week"].iloc[0]), float(at["improvement_pct"].iloc[0])
        meaningful = bool(chk_imp >= mean_pct - PCT_TOL)

    # plateau
    plateau, plateau_week = False, math.nan
    w = after["week"].to_numpy()
    imp = after["improvement_pct"].to_numpy()
    for i in range(len(w)):
        later = w > w[i]
        if not later.any() or w.max() < w[i] + plateau_weeks - 1e-9:
            continue
        if not imp[i] > PCT_TOL:  # a plateau of response: a flat course at 0 % is no response
            continue
        if imp[later].max() - imp[i] < plateau_min_gain_pct:
            plateau, plateau_week = True, float(w[i])
            break

    # relapse
    relapse, relapse_week = False, math.nan
    rel = f"{k}{relapse_threshold:g}"
    if len(after):
        hit = (after["improvement_pct"] >= float(relapse_threshold) - PCT_TOL).to_numpy()
        if hit.any():
            lost = np.flatnonzero(~hit[np.argmax(hit):])
            if lost.size:
                relapse, relapse_week = True, float(w[np.argmax(hit) + lost[0]])

    # treated area and cream
    source = "treated_hu"
    t_hu = treated_hu
    if t_hu is None:
        for c in ("area_hu", "depigmented_area_hu"):
            if isinstance(visits, pd.DataFrame) and c in df.columns and pd.notna(df.loc[bi, c]):
                t_hu, source = float(df.loc[bi, c]), f"baseline {c}"
                break
        else:
            t_hu, source = b_score, "baseline score (lower bound of depigmented HU)"
    dose = dosing(t_hu, label_limit_hu=label_limit_hu, days_per_month=days_per_month)

    prov = {
        "vasi_version": __version__,
        "kind": k,
        "score_column": col,
        "baseline": {"week": b_week, "score": b_score},
        "thresholds": ths,
        "meaningful_pct": mean_pct,
        "check_week": float(check_week),
        "window_weeks": float(window_weeks),
        "plateau_weeks": float(plateau_weeks),
        "plateau_min_gain_pct": float(plateau_min_gain_pct),
        "relapse_endpoint": rel,
        "treated_hu_source": source,
        "label_limit_hu": float(label_limit_hu),
        "fingertip_unit_rule": "0.5 g per 2 HU per application, twice daily",
        "pct_tolerance": PCT_TOL,
    }
    front = ["week", "score", "pct_change", "improvement_pct", *names, "is_baseline", "reason"]
    df = df[front + [c for c in df.columns if c not in front]]
    return Endpoints(df, k, b_week, b_score, first, float(check_week), chk_week, chk_imp,
                     meaningful, plateau, plateau_week, relapse, relapse_week, dose, reason, prov)
