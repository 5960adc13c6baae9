"""Self-contained HTML reports: one per patient and a cohort summary page.

Every image is inlined as a base64 ``data:`` URI and a Content-Security-Policy forbids any
network access, so a report opens in any browser, offline, and can be e-mailed as one file.
Every string from the input (patient ids, visit names, file names, error messages) is
escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import _atomic
from ._version import __version__
from .batch_series import has_score
from .batch_summary import to_check
from .errors import InputError
from .manifest import safe_slug

__all__ = ["patient_report", "cohort_report", "write_reports", "timeline_figure",
           "cohort_visits"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;
max-width:1400px}
h1{margin-bottom:0}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:32px}
.sub{color:#666;margin-top:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}
td.l,th.l{text-align:left}
.visit{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start;margin:14px 0;padding:10px;
background:#fafafa;border:1px solid #eee;border-radius:6px}
.visit figure{margin:0;text-align:center;font-size:12px;color:#555}
.visit img{max-width:320px;max-height:260px;display:block;border-radius:3px}
.meta{font-size:13px;width:250px;flex:none}.meta b{display:inline-block;min-width:130px}
.flag{color:#a05a00}.bad{color:#b00020}.ok{color:#1a7f37}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;
vertical-align:middle}
"""
_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'")


def _e(value) -> str:
    """Escape anything for HTML text or attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def input_name(path) -> str:
    """How a report names the input (a folder or a manifest) and the ``root`` option: the
    last two parts of the path, so a manifest is told by its study folder, without this
    machine's folders above them (often a user's and a study's); the absolute path stays in
    the output folder's run record.

    >>> input_name("/home/ana/trials/VIT-204/photos")
    'VIT-204/photos'
    >>> input_name("/home/ana/trials/VIT-204/manifest.csv")
    'VIT-204/manifest.csv'
    """
    parts = Path(str(path or "")).parts
    return "/".join(p for p in parts[-2:] if p not in ("/", "\\"))


def _fmt(value, digits=3) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"  # (pd.NA: an undefined nullable-boolean endpoint flag)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}"
    return _e(value)


def _img(data: bytes | None, mime="image/jpeg", alt="") -> str:
    if not data:
        return '<div class="sub">(no image)</div>'
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:{mime};base64,{b64}">'


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n{body}\n"
            f'<p class="sub">vasi {_e(__version__)} -- research software, not a medical '
            "device; results need clinical review.</p></body></html>\n")


def _digits(col: str) -> int:
    if col == "week" or col.endswith("_week") or "week_" in col:
        return 0
    return 1 if ("pct" in col or "change" in col) else 3


def _table(df: pd.DataFrame, cols, *, labels=None, left=(), empty: str = "none") -> str:
    if df is None or df.empty:
        return f'<p class="sub">{_e(empty)}</p>'
    cols = [c for c in cols if c in df.columns]
    labels = labels or {}
    head = "".join(f'<th class="{"l" if c in left else ""}">{_e(labels.get(c, c))}</th>'
                   for c in cols)
    body = []
    for r in df[cols].to_dict("records"):
        cells = [f'<td class="{"l" if c in left else ""}">{_fmt(r[c], _digits(c))}</td>'
                 for c in cols]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


# ----------------------------------------------------------------------------- figures
def _check_visits(visits) -> None:
    """A visits table (of :func:`vasi.run_batch`) with the columns a report draws from."""
    if not isinstance(visits, pd.DataFrame):
        raise InputError(f"visits must be a visits table (a DataFrame, as vasi.run_batch "
                         f"writes it); got {type(visits).__name__}.")
    missing = [c for c in ("site", "modality", "week") if c not in visits.columns]
    if missing and len(visits):  # (a patient with no photo scored has an empty table)
        raise InputError(f"visits needs the columns {missing}; it has {list(visits.columns)}.")


def timeline_figure(visits: pd.DataFrame, *, title: str = "", score: bool = True):
    """Score timeline of one patient: F-VASI (faces) and % repigmentation against week.

    Returns a :class:`matplotlib.figure.Figure` (no pyplot state is touched). With
    ``score=False`` only the repigmentation panel is drawn.

    Examples
    --------
    >>> v = pd.DataFrame({"site": ["face"] * 2, "modality": ["visible"] * 2,
    ...                   "week": [0.0, 24.0], "f_vasi": [1.0, 0.4],
    ...                   "repigmentation_pct": [0.0, 55.0]})
    >>> len(timeline_figure(v).axes)
    2
    """
    from matplotlib.figure import Figure

    _check_visits(visits)
    if visits.empty:
        raise InputError("visits is empty: no visit to draw.")
    if score:
        fig = Figure(figsize=(9, 3.4), dpi=100)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.88, wspace=0.25)
        ax1, ax2 = fig.subplots(1, 2)
    else:
        from matplotlib.axes import Axes

        fig = Figure(figsize=(5.5, 3.4), dpi=100)
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.88)
        ax2 = fig.subplots()
        ax1 = Axes(Figure(), (0, 0, 1, 1))  # drawn nowhere
    for (site, mod), g in visits.groupby(["site", "modality"], sort=True):
        g = g.sort_values("week")
        lab = f"{site} / {mod}"
        fv = pd.to_numeric(g.get("f_vasi"), errors="coerce") if "f_vasi" in g else None
        if fv is not None and fv.notna().any():
            ax1.plot(g["week"], fv, "o-", label=lab)
            f0 = fv[g["week"] == 0.0]
            if len(f0) and np.isfinite(f0.iloc[0]) and f0.iloc[0] > 0:
                for k, ls in ((50, ":"), (75, "--")):
                    ax1.axhline(f0.iloc[0] * (1 - k / 100), color="grey", ls=ls, lw=0.8)
        if "repigmentation_pct" in g:
            rp = pd.to_numeric(g["repigmentation_pct"], errors="coerce")
            if rp.notna().any():
                ax2.plot(g["week"], rp, "s-", label=lab)
    ax1.set(xlabel="week", ylabel="F-VASI (0-3)", title="F-VASI (dotted 50 %, dashed 75 % "
            "improvement)")
    ax1.title.set_fontsize(9)
    ax2.set(xlabel="week", ylabel="% repigmented (baseline patches)", ylim=(-2, 102),
            title="repigmentation of baseline patches")
    ax2.title.set_fontsize(9)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _score_figures(visits: pd.DataFrame):
    """``[(figure, alt)]``: :func:`vasi.plot.patient_timeline` per face series (score and %
    change with the F-VASI50/75/90 lines), then :func:`timeline_figure`."""
    from .errors import VasiError

    figs = []
    try:
        from .plot import patient_timeline
        from .timeline import endpoints
    except ImportError:  # pragma: no cover - older installs
        patient_timeline = None
    for (site, mod), g in visits.groupby(["site", "modality"], sort=True):
        fv = pd.to_numeric(g.get("f_vasi"), errors="coerce") if "f_vasi" in g else None
        if patient_timeline is None or site != "face" or fv is None or not fv.notna().any():
            continue
        data = pd.DataFrame({"week": g["week"].astype(float).to_numpy(),
                             "f_vasi": fv.astype(float).to_numpy()})
        if "f_vasi_clinical" in g:
            data["f_vasi_clinical"] = pd.to_numeric(g["f_vasi_clinical"],
                                                    errors="coerce").astype(float).to_numpy()
        if not (data["week"] == 0.0).any() or not np.isfinite(
                data.loc[data["week"] == 0.0, "f_vasi"].iloc[0]):
            continue
        try:
            e = endpoints(data, kind="f_vasi", baseline_week=0.0)
            figs.append((patient_timeline(e, title=f"F-VASI, {site} / {mod}",
                                          figsize=(8.0, 5.0)), "score timeline"))
        except VasiError:
            continue
    # the combined figure's F-VASI panel only where no F-VASI figure came before and some
    # F-VASI exists (a patient with body sites only got an empty F-VASI panel)
    has_fvasi = "f_vasi" in visits and pd.to_numeric(visits["f_vasi"], errors="coerce").notna().any()
    figs.append((timeline_figure(visits, score=not figs and bool(has_fvasi)),
                 "score timeline" if not figs else "repigmentation"))
    return figs


def _cohort_figure(visits: pd.DataFrame):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9)
    ax = fig.subplots()
    face = visits[visits["site"] == "face"]
    curves = []
    for _key, g in face.groupby(["patient_id", "modality"], sort=True):
        g = g.sort_values("week")
        pc = pd.to_numeric(g["f_vasi_pct_change"], errors="coerce")
        if pc.notna().any():
            ax.plot(g["week"], pc, "-", color="tab:blue", alpha=0.25, lw=1)
            curves.append(pd.Series(pc.to_numpy(), index=g["week"].to_numpy()))
    if curves:
        med = pd.concat(curves, axis=1).median(axis=1).sort_index()
        ax.plot(med.index, med.to_numpy(), "o-", color="black", lw=2, label="median")
        ax.legend(fontsize=8)
    for k in (50, 75):
        ax.axhline(-k, color="grey", ls="--" if k == 75 else ":", lw=0.8)
    ax.set(xlabel="week", ylabel="F-VASI % change from baseline",
           title="F-VASI change per patient (dashed: F-VASI75, dotted: F-VASI50)")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    return fig


# ----------------------------------------------------------------------------- pages
_VISIT_FIELDS = (("visit", "visit"), ("date", "date"), ("method", "method"),
                 ("f_vasi", "F-VASI"), ("f_vasi_clinical", "F-VASI (ladder)"),
                 ("f_vasi_pct_change", "% change"), ("f_vasi75", "F-VASI75"),
                 ("depigmented_area_hu", "depigmented HU"),
                 ("depigmented_area_cm2", "depigmented cm²"),
                 ("repigmentation_pct", "% repigmented"), ("registered", "registered"),
                 ("reg_residual_px", "reg. residual px"), ("quality_flags", "flags"))


def patient_report(patient_id, visits: pd.DataFrame, *, endpoints=None, errors=None,
                   images=None, provenance=None) -> str:
    """One patient's self-contained HTML report.

    Parameters
    ----------
    patient_id : str
    visits : pandas.DataFrame
        The patient's rows of the batch visits table.
    endpoints, errors : pandas.DataFrame, optional
        The patient's rows of the endpoints and errors tables.
    images : dict, optional
        ``{(site, modality): {week: {"photo"|"overlay"|"repigmentation": JPEG bytes}}}``.
    provenance : dict, optional
        Run and method provenance, shown at the end.

    Returns
    -------
    str
        HTML.

    Examples
    --------
    >>> v = pd.DataFrame({"patient_id": ["<P1>"], "site": ["face"], "modality": ["visible"],
    ...                   "week": [0.0], "visit": ["week0"], "f_vasi": [0.5]})
    >>> page = patient_report("<P1>", v)
    >>> "&lt;P1&gt;" in page and "<P1>" not in page
    True
    """
    _check_visits(visits)
    images = images or {}
    parts = [f"<h1>Patient {_e(patient_id)}</h1>"]
    arm = visits["arm"].iloc[0] if "arm" in visits and len(visits) else ""
    n_err = 0 if errors is None else len(errors)
    n_check = _n_to_check(visits)
    parts.append(f'<p class="sub">{_n_scored(visits, "scored photo(s)")}'
                 f'{", arm " + _e(arm) if arm else ""}; '
                 f'<span class="{"bad" if n_err else "ok"}">{n_err} problem(s)</span>; '
                 f'<span class="{"bad" if n_check else "ok"}">{n_check} photo(s) to check '
                 f'before use</span></p>')
    if len(visits):
        parts.append("<h2>Score timeline</h2>")
        for fig, alt in _score_figures(visits):
            parts.append(_img(_png(fig), "image/png", alt))
    if endpoints is not None and len(endpoints):
        parts.append("<h2>Endpoints</h2>")
        parts.append(_table(endpoints, ["site", "modality", "baseline_score", "last_week",
                                        "last_score", "last_pct_change", "week24_pct_change",
                                        "f_vasi50_week24", "f_vasi75_week24", "f_vasi90_week24",
                                        "first_week_f_vasi75", "best_pct_change", "relapse",
                                        "reason"],
                            labels={"baseline_score": "baseline F-VASI", "last_week": "last week",
                                    "last_score": "last F-VASI", "last_pct_change": "last % chg",
                                    "week24_pct_change": "wk24 % chg",
                                    "f_vasi50_week24": "F-VASI50 wk24",
                                    "f_vasi75_week24": "F-VASI75 wk24",
                                    "f_vasi90_week24": "F-VASI90 wk24",
                                    "first_week_f_vasi75": "first wk F-VASI75",
                                    "best_pct_change": "best % chg"},
                            left=("site", "modality", "reason")))
    series = visits.groupby(["site", "modality"], sort=True) if len(visits) else ()
    for (site, mod), g in series:
        parts.append(f"<h2>{_e(site)} / {_e(mod)}</h2>")
        parts.append('<p class="legend sub">Overlay: <span style="background:#ff00c8"></span>'
                     'depigmented <span style="background:#00dcff"></span>assessed region. '
                     'Map (baseline coordinates): <span style="background:#e628c8"></span>'
                     'still depigmented <span style="background:#28c850"></span>repigmented '
                     '<span style="background:#ff9600"></span>new depigmentation</p>')
        ims = images.get((site, mod), {})
        cards = []
        for r in g.sort_values("week").to_dict("records"):
            im = ims.get(float(r["week"]), {})
            meta = "".join(f"<div><b>{_e(lab)}</b>{_fmt(r.get(k), _digits(k))}</div>"
                           for k, lab in _VISIT_FIELDS if k in r)
            via = pd.to_numeric(r.get("reg_via_week"), errors="coerce")
            if np.isfinite(via) and r.get("registered", True):  # through another (register_via)
                meta += f"<div><b>aligned via</b>week {via:g}</div>"
            profile = r.get("colour_profile")
            if r.get("colour_converted") == True or profile == "unreadable":  # noqa: E712 (np.bool_)
                # (the photo's colours are not as its file's bytes say: an auditor sees why)
                meta += ("<div><b>colour profile</b>" + (
                    f"{_e(profile)} (converted to sRGB)" if profile != "unreadable"
                    else "unreadable (used as sRGB)") + "</div>")
            reason = r.get("registration_reason")
            if isinstance(reason, str) and reason:
                meta += f'<div class="flag">registration: {_e(reason)}</div>'
            figs = [f"<figure>{_img(im.get('photo'), alt='photo')}photo</figure>",
                    f"<figure>{_img(im.get('overlay'), alt='overlay')}overlay</figure>"]
            if im.get("repigmentation"):
                figs.append(f"<figure>{_img(im['repigmentation'], alt='map')}"
                            "repigmentation map</figure>")
            cards.append((float(r["week"]), f'<div class="visit"><div class="meta"><h3>week '
                          f'{_fmt(r["week"], 0)}</h3>{meta}</div>{"".join(figs)}</div>'))
        scored = {w for w, _ in cards}
        if errors is not None and len(errors):
            mine = errors[(errors["site"] == site) & (errors["modality"] == mod)]
            for r in mine.to_dict("records"):
                w = pd.to_numeric(r.get("week"), errors="coerce")
                if np.isfinite(w) and float(w) in scored:
                    continue
                label = f"week {w:g}" if np.isfinite(w) else f"visit {r.get('visit', '')}"
                cards.append((float(w) if np.isfinite(w) else np.inf,
                              f'<div class="visit"><div class="meta"><h3>{_e(label)}</h3>'
                              f'<div class="bad">not scored ({_e(r.get("stage"))}): '
                              f'{_e(r.get("message"))}</div></div></div>'))
        parts.extend(c for _, c in sorted(cards, key=lambda c: c[0]))
    parts.append("<h2>Quality flags and problems</h2>")
    shown = np.zeros(len(visits), bool)
    for col in ("quality_flags", "needs_review"):
        if col in visits:
            shown |= to_check(visits[col])
    flagged = visits[shown]
    if len(flagged):
        # each flag once: those that put the numbers in doubt, then the others (notes)
        review = [_split_flags(r) for r in flagged.get("needs_review", [""] * len(flagged))]
        notes = flagged.get("quality_flags", [""] * len(flagged))
        flagged = flagged.assign(needs_review=["; ".join(r) for r in review], quality_flags=[
            "; ".join(f for f in _split_flags(q) if f not in r)
            for q, r in zip(notes, review, strict=True)])
    parts.append(_table(flagged, ["site", "modality", "week", "needs_review", "quality_flags",
                                  "registration_reason"],
                        labels={"needs_review": "check before use",
                                "quality_flags": "other flags (notes)"},
                        left=("site", "modality", "needs_review", "quality_flags",
                              "registration_reason"),
                        empty="no quality flags"))
    if n_check:
        parts.append('<p class="sub">A photo to check before use: look at its overlay above. '
                     "If the outlined skin or patches are wrong, retake the photo (the flag "
                     "says what to change) or score it with a drawn region "
                     "(<code>vasi score PHOTO --roi MASK</code>); until then leave its numbers "
                     "out of endpoint decisions. What each flag means: notebook "
                     "<code>04_calibration_and_quality</code>, section 3.</p>")
    parts.append(_table(errors, ["site", "modality", "visit", "photo", "stage", "message"],
                        left=("site", "modality", "visit", "photo", "stage", "message"),
                        empty="no problems"))
    if provenance:
        parts.append("<h2>Provenance</h2><pre style='font-size:12px;white-space:pre-wrap'>"
                     f"{_e(json.dumps(provenance, indent=1, sort_keys=True, default=str))}"
                     "</pre>")
    return _page(f"vasi report {patient_id}", "\n".join(parts))


def _split_flags(value) -> list:
    """A table cell of ``;``-joined flags as a list (empty for NaN or "")."""
    return [f.strip() for f in value.split(";") if f.strip()] if isinstance(value, str) else []


def _n_scored(visits: pd.DataFrame, what: str = "") -> str:
    """``"3"`` / ``"3 scored photo(s)"`` (``what``), with ``", 1 not scored"`` when visits have
    no score (:func:`vasi.batch_series.has_score`: registration failed)."""
    scored = int(has_score(visits).sum())
    failed = len(visits) - scored
    return (f"{scored}{' ' + what if what else ''}"
            + (f", {failed} not scored (no number: see the flags)" if failed else ""))


def _n_to_check(visits: pd.DataFrame) -> int:
    """Photos whose numbers need a check before use (a non-empty ``needs_review``)."""
    return int(to_check(visits["needs_review"]).sum()) if "needs_review" in visits else 0


def cohort_report(tables: dict, links: dict, run: dict | None = None) -> str:
    """Cohort summary page: responders at week 24, per-patient table with report links.

    Parameters
    ----------
    tables : dict
        ``visits``, ``endpoints``, ``errors`` DataFrames of the batch.
    links : dict
        ``{patient_id: relative link to the report}``.
    run : dict, optional
        Run manifest (input, version, options).

    Examples
    --------
    >>> t = {"visits": pd.DataFrame(columns=["patient_id", "site", "week"]),
    ...      "endpoints": pd.DataFrame(), "errors": pd.DataFrame()}
    >>> "<h1>" in cohort_report(t, {"a&b": "reports/a_b.html"})
    True
    """
    visits, ends, errors = tables["visits"], tables["endpoints"], tables["errors"]
    parts = ["<h1>vasi batch: cohort summary</h1>"]
    if run:
        parts.append(f'<p class="sub">input {_e(input_name(run.get("input")))} &middot; '
                     f'{_e(run.get("series"))} series, {_e(run.get("photos"))} photos found</p>')
    if ends is not None and len(ends) and "f_vasi75_week24" in ends:
        rows = []
        pp = _one_series_per_patient(ends)
        groups = [("all", pp)]
        if "arm" in pp and any(isinstance(a, str) and a for a in pp["arm"]):
            groups += [(f"arm {a}", g) for a, g in pp.groupby("arm", sort=True)]
        for name, g in groups:
            n = len(g)
            row = {"group": name, "n": n}
            for k in (50, 75, 90):
                hit = int(sum(v is True or v == True for v in g[f"f_vasi{k}_week24"]))  # noqa: E712
                row[f"F-VASI{k} wk24"] = f"{hit}/{n} ({100.0 * hit / n:.0f} %)" if n else "–"
            rows.append(row)
        parts.append("<h2>Responders at week 24 (non-responder imputation)</h2>")
        parts.append(_table(pd.DataFrame(rows), list(rows[0]), left=("group",)))
        check = (sorted(pp.loc[pp["week24_needs_review"].eq(True), "patient_id"])
                 if "week24_needs_review" in pp else [])
        if check:
            parts.append(f'<p class="flag">Counted as computed, but resting on a photo to check '
                         f'before use (the baseline or the week-24 visit; see their reports): '
                         f'{_e(", ".join(map(str, check)))}</p>')
    parts.extend(_responder_section(visits, ends))
    if visits is not None and len(visits) and "f_vasi_pct_change" in visits:
        parts.append("<h2>F-VASI change over time</h2>"
                     + _img(_png(_cohort_figure(visits)), "image/png", "cohort"))
    parts.append("<h2>Patients</h2>")
    rows = []
    pp = _one_series_per_patient(ends) if ends is not None and len(ends) else None
    for pid in sorted(links):
        v = visits[visits["patient_id"] == pid] if len(visits) else visits
        e = pp[pp["patient_id"] == pid] if pp is not None else None
        n_err = int((errors["patient_id"] == pid).sum()) if len(errors) else 0
        n_check = _n_to_check(v)
        last = e["last_pct_change"].iloc[0] if e is not None and len(e) else None
        rows.append(f'<tr><td class="l"><a href="{_e(links[pid])}">{_e(pid)}</a></td>'
                    f"<td>{_n_scored(v)}</td><td>{_fmt(last, 1)}</td>"
                    f'<td class="{"bad" if n_check else ""}">{n_check}</td>'
                    f'<td class="{"bad" if n_err else ""}">{n_err}</td></tr>')
    parts.append('<table><tr><th class="l">patient</th><th>photos scored</th>'
                 "<th>last F-VASI % change</th><th>photos to check</th><th>problems</th></tr>"
                 f"{''.join(rows)}</table>")
    parts.append("<h2>Problems</h2>")
    parts.append(_table(errors, ["patient_id", "site", "modality", "visit", "photo", "stage",
                                 "message"],
                        left=("patient_id", "site", "modality", "visit", "photo", "stage",
                              "message")))
    return _page("vasi cohort summary", "\n".join(parts))


def _preferred_modality(face: pd.DataFrame, has_data=None) -> pd.Series:
    """Per patient (index), the modality of the face series the cohort statistics read: one
    with scored visits first (``has_data``, a bool Series over the rows), then the
    visible-light one, then the first by name."""
    nodata = 0 if has_data is None else (~has_data.astype(bool)).astype(int)
    key = face.assign(_nodata=nodata, _pref=(face["modality"] != "visible").astype(int))
    return key.sort_values(["patient_id", "_nodata", "_pref", "modality"],
                           kind="stable").groupby("patient_id")["modality"].first()


def _one_series_per_patient(ends: pd.DataFrame) -> pd.DataFrame:
    """The endpoints rows of the series :func:`cohort_visits` reads, one per patient."""
    if "modality" not in ends:
        return ends.drop_duplicates("patient_id")
    keep = _preferred_modality(ends, ends["n_visits"] > 0 if "n_visits" in ends else None)
    return ends[ends["modality"] == ends["patient_id"].map(keep)].drop_duplicates("patient_id")


def _arm_labels(df: pd.DataFrame) -> list:
    """Each row's arm for cohort statistics: its ``arm``, or ``"all"`` where it has none."""
    arms = df["arm"] if "arm" in df else [""] * len(df)
    return [a if isinstance(a, str) and a else "all" for a in arms]


def cohort_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """One face F-VASI per (patient, week) for cohort statistics: the visible-light series
    when a patient has several face series, else the first modality (sorted).

    >>> v = pd.DataFrame({"patient_id": ["a", "a"], "arm": ["x", "x"], "site": ["face"] * 2,
    ...                   "modality": ["woods", "visible"], "week": [0.0, 0.0],
    ...                   "f_vasi": [1.0, 0.9]})
    >>> cohort_visits(v)["f_vasi"].tolist()
    [0.9]
    """
    if visits is None or not len(visits) or "f_vasi" not in visits:
        return pd.DataFrame(columns=["patient_id", "arm", "week", "f_vasi"])
    face = visits[visits["site"] == "face"]
    face = face[face["modality"] == face["patient_id"].map(_preferred_modality(face))]
    out = pd.DataFrame({"patient_id": face["patient_id"].to_numpy(),
                        "arm": _arm_labels(face),
                        "week": face["week"].astype(float).to_numpy(),
                        "f_vasi": pd.to_numeric(face["f_vasi"], errors="coerce")
                        .astype(float).to_numpy()})
    return out.sort_values(["patient_id", "week"]).reset_index(drop=True)


def _responder_section(visits, ends=None) -> list:
    try:
        from .cohort import responders
        from .plot import responder_curves
    except ImportError:  # pragma: no cover
        return []
    from .errors import VasiError

    data = cohort_visits(visits)
    if ends is not None and len(ends):
        # a face series (the endpoints table has only those) none of whose photos was
        # scored: its patient stays in the denominator (non-responder imputation)
        lost = ends[~ends["patient_id"].isin(data["patient_id"])].drop_duplicates("patient_id")
        if len(lost):
            data = pd.concat([data, pd.DataFrame({
                "patient_id": lost["patient_id"].to_numpy(),
                "arm": _arm_labels(lost),
                "week": 0.0, "f_vasi": np.nan})], ignore_index=True)
    if data["patient_id"].nunique() < 2:
        return []
    try:
        tab = responders(data, kind="f_vasi", missing="nri")
    except VasiError as exc:
        return [f'<p class="flag">responder table not computed: {_e(exc)}</p>']
    if tab.empty:
        return []
    tab = tab.copy()
    tab["responders / n"] = [f"{r}/{n}" for r, n in zip(tab["responders"], tab["n"],
                                                           strict=True)]
    tab["% (95 % CI)"] = [f"{100 * p:.0f} % ({100 * lo:.0f}-{100 * hi:.0f})"
                          if np.isfinite(p) else "–"
                          for p, lo, hi in zip(tab["proportion"], tab["ci_low"],
                                               tab["ci_high"], strict=True)]
    parts = ["<h2>Responders by arm and week (non-responder imputation, Wilson 95 % CI)</h2>",
             _table(tab.assign(endpoint=tab["endpoint"].str.replace("f_vasi", "F-VASI")),
                    ["arm", "week", "endpoint", "responders / n", "% (95 % CI)"],
                    left=("arm", "endpoint"))]
    try:
        fig = responder_curves(tab, endpoint="f_vasi75", figsize=(8.0, 4.0))
        parts.append(_img(_png(fig), "image/png", "responder curves"))
    except (VasiError, KeyError, ValueError):
        pass
    return parts


def write_reports(out, tables: dict, results, run: dict):
    """Write ``reports/PATIENT.html`` for every patient and ``index.html``; return the paths."""
    out = Path(out)
    visits, ends, errors = tables["visits"], tables["endpoints"], tables["errors"]
    images: dict = {}
    prov: dict = {}
    for res in results:
        v = res["visits"]
        if len(v):
            k = (v["patient_id"].iloc[0], v["site"].iloc[0], v["modality"].iloc[0])
            images.setdefault(k[0], {})[k[1:]] = res["thumbs"]
            prov.setdefault(k[0], {})[f"{k[1]}/{k[2]}"] = res.get("provenance", {})
    # every patient with a visit or an error (one whose every photo failed has a page too)
    patients = sorted((set(visits["patient_id"]) if len(visits) else set())
                      | (set(errors["patient_id"].dropna()) if len(errors) else set()))
    paths, links = [], {}
    for pid in patients:
        def sel(df, p=pid):
            return df[df["patient_id"] == p] if df is not None and len(df) else df

        options = dict(run.get("options") or {})
        if options.get("root"):  # (a folder of this machine, as the input)
            options["root"] = input_name(options["root"])
        run_prov = {"run": {"input": input_name(run.get("input")), "options": options,
                            **{k: run.get(k) for k in ("vasi_version", "input_fingerprint")}},
                    "series": prov.get(pid, {})}
        page = patient_report(pid, sel(visits) if len(visits) else visits,
                              endpoints=sel(ends), errors=sel(errors),
                              images=images.get(pid), provenance=run_prov)
        rel = f"reports/{safe_slug(pid)}.html"
        paths.append(_atomic.write_text(out / rel, page))
        links[pid] = rel
    index = _atomic.write_text(out / "index.html", cohort_report(tables, links, run))
    return paths, index
