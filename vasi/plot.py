"""Charts of scores and endpoints: one patient's timeline, cohort responder curves, Kaplan-Meier.

Every function returns a :class:`matplotlib.figure.Figure` built with the object-oriented API
(no pyplot, so no global figure state and no window): save it with ``fig.savefig(path)``,
or show it in a notebook by leaving it as a cell's last value (or ``display(fig)``);
``fig.show()`` needs a pyplot figure and does not apply. Image overlays (masks on photos)
live in :mod:`vasi.overlay`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["patient_timeline", "responder_curves", "km_curves"]

_ENDPOINT_STYLE = {50: ("#8c8c8c", ":"), 75: ("#d62728", "--"), 90: ("#2ca02c", "-.")}
_ARM_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def _figure(figsize, nrows=1, height_ratios=None, sharex=True):
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, 1, sharex=sharex, squeeze=False,
                        gridspec_kw={"height_ratios": height_ratios} if height_ratios else None)
    return fig, axes[:, 0]


def _ci(table: pd.DataFrame) -> str:
    """The confidence level of a cohort table's intervals, as "95 %" (its provenance)."""
    level = table.attrs.get("provenance", {}).get("confidence", 0.95)
    return f"{100 * float(level):g} %"


def _label(kind: str) -> str:
    return kind.replace("_", "-").upper()


def patient_timeline(
    visits,
    *,
    kind: str = "f_vasi",
    title: str | None = None,
    show_clinical: bool = True,
    figsize=(7.0, 5.5),
    **endpoint_kwargs,
):
    """One patient's score and percent change over time with endpoint lines.

    Top panel: the score per visit (continuous; the ladder-snapped clinical score too when a
    ``<kind>_clinical`` column is present). Bottom panel: percent change from baseline with
    horizontal lines at -50 / -75 / -90 % (the VASI50/75/90 endpoints), the first week each
    was reached, the week-24 check and any relapse.

    Parameters
    ----------
    visits : vasi.timeline.Endpoints, pandas.DataFrame or mapping
        An :func:`vasi.endpoints` result, or anything it accepts (then computed here with
        ``kind`` and ``endpoint_kwargs``).
    kind : {"f_vasi", "t_vasi"}, keyword-only
    title : str, keyword-only
    show_clinical : bool, keyword-only
        Plot the clinical score too when available.
    figsize : (float, float), keyword-only
        Inches.
    **endpoint_kwargs
        Passed to :func:`vasi.endpoints` when ``visits`` is not already a result.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = patient_timeline({0: 1.0, 12: 0.6, 24: 0.25, 52: 0.1})
    >>> len(fig.axes)
    2
    """
    from .timeline import Endpoints, endpoints

    e = visits if isinstance(visits, Endpoints) else endpoints(visits, kind=kind, **endpoint_kwargs)
    k = e.kind
    v = e.visits
    fig, (ax1, ax2) = _figure(figsize, 2, height_ratios=(1, 1.2))
    obs = v[v["score"].notna()]
    ax1.plot(obs["week"], obs["score"], "o-", color="#1f77b4", label=f"{_label(k)} (continuous)")
    clin_col = f"{k}_clinical"
    if show_clinical and clin_col in v.columns and v[clin_col].notna().any():
        c = v[v[clin_col].notna()]
        ax1.plot(c["week"], c[clin_col], "s--", color="#7f7f7f", ms=5, alpha=0.8,
                 label=f"{_label(k)} (clinical ladder)")
    ax1.set_ylabel(_label(k))
    ymax = float(np.nanmax(obs["score"])) if len(obs) else 1.0
    ax1.set_ylim(0, max(ymax * 1.15, 1e-3))
    ax1.grid(alpha=0.3)
    ax1.legend(loc="upper right", fontsize=8, frameon=False)

    pc = v[v["pct_change"].notna()]
    ax2.plot(pc["week"], pc["pct_change"], "o-", color="#1f77b4", label="% change")
    for t in e.provenance.get("thresholds", ()):
        col, ls = _ENDPOINT_STYLE.get(int(t), ("#555555", ":"))
        name = f"{k}{t:g}"
        ax2.axhline(-float(t), color=col, ls=ls, lw=1)
        ax2.annotate(f"{_label(k)}{t:g}", xy=(1.0, -float(t)), xycoords=("axes fraction", "data"),
                     xytext=(3, 0), textcoords="offset points", va="center", fontsize=8,
                     color=col)
        fw = e.first_week.get(name, math.nan)
        if np.isfinite(fw):
            ax2.plot([fw], [float(v.loc[v["week"] == fw, "pct_change"].iloc[0])], marker="*",
                     ms=13, color=col, ls="none", zorder=5, label=f"first {_label(k)}{t:g}")
    if np.isfinite(e.check_visit_week):
        ax2.axvline(e.check_week, color="#9467bd", lw=1, alpha=0.6)
        verdict = "meaningful" if e.meaningful_at_check else "not meaningful"
        thr = e.provenance.get("meaningful_pct", math.nan)
        wmin, wmax = float(v["week"].min()), float(v["week"].max())
        right = e.check_week > (wmin + wmax) / 2  # keep the label inside the axes
        ax2.annotate(f"week {e.check_week:g}: {e.check_improvement_pct:.0f} % better "
                     f"({verdict}; threshold {thr:g} %)", xy=(e.check_week, 1.0),
                     xycoords=("data", "axes fraction"), xytext=(-3 if right else 3, -12),
                     textcoords="offset points", fontsize=8, color="#9467bd",
                     ha="right" if right else "left")
    if e.relapse:
        ax2.axvline(e.relapse_week, color="#d62728", lw=1, alpha=0.6)
        ax2.annotate("relapse", xy=(e.relapse_week, 0.0), xycoords=("data", "axes fraction"),
                     xytext=(3, 4), textcoords="offset points", fontsize=8, color="#d62728")
    if e.plateau:
        ax2.axvspan(e.plateau_week, float(v["week"].max()), color="#bcbd22", alpha=0.12,
                    label="plateau")
    lo = min(-100.0, float(pc["pct_change"].min()) - 5 if len(pc) else -100.0)
    hi = max(10.0, float(pc["pct_change"].max()) + 10 if len(pc) else 10.0)
    ax2.set_ylim(lo, hi)
    ax2.axhline(0, color="black", lw=0.6)
    ax2.set_ylabel("% change from baseline")
    ax2.set_xlabel("week")
    ax2.grid(alpha=0.3)
    ax2.legend(loc="best", fontsize=8, frameon=True, framealpha=0.85)
    if e.reason:
        ax2.text(0.5, 0.5, e.reason, transform=ax2.transAxes, ha="center", va="center",
                 fontsize=9, color="#d62728")
    fig.suptitle(title or f"{_label(k)} timeline (baseline week {e.baseline_week:g}, "
                 f"score {e.baseline_score:.2f})", fontsize=11)
    return fig


def responder_curves(
    data: pd.DataFrame,
    *,
    endpoint: str = "f_vasi75",
    missing: str = "nri",
    title: str | None = None,
    figsize=(7.0, 4.5),
    **responder_kwargs,
):
    """Proportion of responders by week and arm with Wilson intervals (95 % unless
    ``confidence`` is passed on to :func:`vasi.cohort.responders`).

    Parameters
    ----------
    data : pandas.DataFrame
        Either a :func:`vasi.cohort.responders` table (has ``proportion``) or the long cohort
        table it takes (then computed here with ``missing`` and ``responder_kwargs``).
    endpoint : str, keyword-only
        Which endpoint to draw, e.g. ``"f_vasi75"``.
    missing : {"nri", "observed"}, keyword-only
    title : str, keyword-only
    figsize : (float, float), keyword-only
        Figure size in inches.
    **responder_kwargs
        Passed on to :func:`vasi.cohort.responders` (e.g. ``confidence``, ``weeks``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from vasi.cohort import simulate_cohort
    >>> fig = responder_curves(simulate_cohort(rng=0, n_per_arm=30))
    >>> fig.axes[0].get_ylabel()
    '% of patients reaching F-VASI75'
    """
    from .cohort import _endpoint_name, responders

    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a DataFrame; got {type(data).__name__}.")
    endpoint = _endpoint_name(endpoint)
    if "proportion" in data.columns:
        r = data
    else:
        kind = endpoint.rstrip("0123456789")
        r = responders(data, kind=kind, missing=missing, **responder_kwargs)
    have = sorted(set(r["endpoint"]))
    r = r[r["endpoint"] == endpoint]
    if r.empty:
        raise InputError(f"endpoint={endpoint!r} is not in the table; it has {have}.")
    fig, (ax,) = _figure(figsize)
    arms = list(dict.fromkeys(r["arm"]))
    offsets = np.linspace(-0.4, 0.4, len(arms)) if len(arms) > 1 else [0.0]
    for i, arm in enumerate(arms):
        s = r[r["arm"] == arm].sort_values("week")
        col = _ARM_COLORS[i % len(_ARM_COLORS)]
        x = s["week"].to_numpy() + offsets[i]
        y = 100 * s["proportion"].to_numpy()
        err = np.vstack([y - 100 * s["ci_low"].to_numpy(), 100 * s["ci_high"].to_numpy() - y])
        n = int(s["n"].max()) if len(s) else 0
        ax.errorbar(x, y, yerr=err, fmt="o-", color=col, capsize=3, lw=1.5, ms=5,
                    label=f"{arm} (n={n})")
        ax.fill_between(x, 100 * s["ci_low"], 100 * s["ci_high"], color=col, alpha=0.10, lw=0)
    ax.axvline(24, color="#9467bd", lw=1, alpha=0.5)
    label = _label(endpoint.rstrip("0123456789")) + endpoint[len(endpoint.rstrip("0123456789")):]
    ax.set_ylabel(f"% of patients reaching {label}")
    ax.set_xlabel("week")
    ax.set_ylim(0, min(100, max(10.0, 100 * float(r["ci_high"].max()) * 1.1)))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    miss = r["missing"].iloc[0] if "missing" in r.columns else missing
    how = {"nri": "non-responder imputation", "observed": "observed cases"}.get(miss, miss)
    ax.set_title(title or f"{label} responders by arm ({how}; {_ci(r)} Wilson CI)", fontsize=11)
    return fig


def km_curves(
    data: pd.DataFrame,
    *,
    endpoint: str | None = None,
    title: str | None = None,
    at_risk: bool = True,
    figsize=(7.0, 5.0),
    **km_kwargs,
):
    """Kaplan-Meier curves of the cumulative proportion reaching an endpoint, by arm.

    Step curves of ``1 - S(t)`` with shaded log(-log) intervals (95 % unless ``confidence``
    is passed on to :func:`vasi.cohort.kaplan_meier`), ``+`` ticks where
    patients are censored, and a number-at-risk table under the plot.

    Parameters
    ----------
    data : pandas.DataFrame
        A :func:`vasi.cohort.kaplan_meier` table (has ``cum_response``) or the long cohort
        table it takes.
    endpoint : str, keyword-only
        E.g. ``"f_vasi50"``; default the table's own endpoint, or ``"f_vasi75"`` for a cohort
        table.
    title : str, keyword-only
    at_risk : bool, keyword-only
        Draw the number-at-risk table.
    figsize : (float, float), keyword-only
        Figure size in inches.
    **km_kwargs
        Passed on to :func:`vasi.cohort.kaplan_meier` (e.g. ``confidence``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from vasi.cohort import simulate_cohort
    >>> fig = km_curves(simulate_cohort(rng=0, n_per_arm=30))
    >>> len(fig.axes)  # curves + number-at-risk table
    2
    """
    from .cohort import _endpoint_name, kaplan_meier

    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a DataFrame; got {type(data).__name__}.")
    if endpoint is not None:
        endpoint = _endpoint_name(endpoint)
    if "cum_response" in data.columns:  # a kaplan_meier table: its own endpoint
        km = data
        own = km.attrs.get("provenance", {}).get("endpoint")
        if endpoint is not None and own is not None and endpoint != own:
            raise InputError(f"endpoint={endpoint!r}, but the table is the Kaplan-Meier estimate "
                             f"of {own!r}; leave endpoint out, or pass the cohort table.")
        if endpoint is None and own is None:  # (read back from a file: its attrs are gone)
            raise InputError("this Kaplan-Meier table does not say its endpoint; pass "
                             "endpoint=..., e.g. 'f_vasi75'.")
        endpoint = endpoint or own
    else:
        endpoint = endpoint or "f_vasi75"
        km = kaplan_meier(data, endpoint=endpoint, **km_kwargs)
    arms = list(dict.fromkeys(km["arm"]))
    if at_risk:
        fig, (ax, tab) = _figure(figsize, 2, height_ratios=(4, 0.35 + 0.25 * len(arms)))
    else:
        fig, (ax,) = _figure(figsize)
    tmax = float(km["week"].max())
    for i, arm in enumerate(arms):
        s = km[km["arm"] == arm].sort_values("week")
        col = _ARM_COLORS[i % len(_ARM_COLORS)]
        x = np.append(s["week"].to_numpy(), tmax)
        y = 100 * np.append(s["cum_response"].to_numpy(), s["cum_response"].iloc[-1])
        lo = 100 * np.append(s["ci_low"].to_numpy(), s["ci_low"].iloc[-1])
        hi = 100 * np.append(s["ci_high"].to_numpy(), s["ci_high"].iloc[-1])
        ax.step(x, y, where="post", color=col, lw=1.8, label=f"{arm} (n={int(s['n_at_risk'].iloc[0])})")
        ax.fill_between(x, lo, hi, step="post", color=col, alpha=0.15, lw=0)
        cens = s[s["n_censored"] > 0]
        ax.plot(cens["week"], 100 * cens["cum_response"], "+", color=col, ms=8, mew=1.5)
    label = _label(endpoint.rstrip("0123456789")) + endpoint[len(endpoint.rstrip("0123456789")):]
    ax.set_ylabel(f"% reached {label} (cumulative)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, tmax * 1.02 if tmax > 0 else 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.set_title(title or f"Time to {label} (Kaplan-Meier, {_ci(km)} CI; + censored)", fontsize=11)
    if at_risk:
        ticks = [t for t in ax.get_xticks() if 0 <= t <= tmax]
        tab.set_xlim(ax.get_xlim())
        tab.set_ylim(-0.5, len(arms) - 0.5)
        tab.set_yticks(range(len(arms)), arms, fontsize=8)
        tab.invert_yaxis()
        for i, arm in enumerate(arms):
            s = km[km["arm"] == arm].sort_values("week")
            for t in ticks:
                # at risk at t = first row at or after t (rows cover every event/censor time)
                later = s.loc[s["week"] >= t - 1e-9, "n_at_risk"]
                n = int(later.iloc[0]) if len(later) else 0
                tab.text(t, i, str(n), ha="center", va="center", fontsize=8,
                         color=_ARM_COLORS[i % len(_ARM_COLORS)])
        tab.tick_params(axis="x", length=0, labelbottom=False)
        tab.tick_params(axis="y", length=0, pad=16)
        tab.set_title("number at risk", fontsize=8, loc="left")
        for sp in tab.spines.values():
            sp.set_visible(False)
        ax.tick_params(labelbottom=True)
    ax.set_xlabel("week")
    return fig

