"""HTML reports: self-contained, escaped, showing what was measured."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from vasi.report import cohort_report, patient_report, timeline_figure

EVIL = '<img src=x onerror="alert(1)">&"\''


def _visits(pid="P1"):
    return pd.DataFrame({
        "patient_id": [pid] * 3, "arm": ["cream"] * 3, "site": ["face"] * 3,
        "modality": ["visible"] * 3, "visit": ["week0", "week12", EVIL], "week": [0.0, 12.0, 24.0],
        "date": [""] * 3, "method": ["track_series"] * 3, "f_vasi": [1.2, 0.8, 0.3],
        "f_vasi_clinical": [0.75, 0.75, 0.3], "f_vasi_pct_change": [0.0, -33.3, -75.0],
        "f_vasi75": [False, False, True], "repigmentation_pct": [0.0, 30.0, 74.0],
        "registered": [True, True, False], "registration_reason": ["", "", "too few matches"],
        "quality_flags": ["", "low contrast", "registration failed"]})


def _jpeg():
    import cv2

    ok, buf = cv2.imencode(".jpg", np.full((8, 8, 3), 200, np.uint8))
    return buf.tobytes()


def test_patient_report_self_contained_and_escaped():
    ims = {("face", "visible"): {0.0: {"photo": _jpeg(), "overlay": _jpeg()},
                                 24.0: {"photo": _jpeg(), "overlay": _jpeg(),
                                        "repigmentation": _jpeg()}}}
    errors = pd.DataFrame({"patient_id": ["P1"], "site": ["face"], "modality": ["visible"],
                           "visit": ["week36"], "photo": [EVIL], "stage": ["read"],
                           "message": ["cannot read photo: corrupt"]})
    page = patient_report(EVIL, _visits(EVIL), errors=errors, images=ims,
                          provenance={"note": EVIL})
    assert EVIL not in page and "onerror=\"alert" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    # no network: every src is a data URI and a CSP forbids the rest
    srcs = re.findall(r'src="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/") for s in srcs)
    assert "default-src 'none'" in page and "http://" not in page and "https://" not in page
    # photo + overlay per visit, a repigmentation map, the timeline, the flags and errors
    assert page.count('alt="photo"') == 2 and page.count('alt="map"') == 1
    assert 'alt="score timeline"' in page
    assert "too few matches" in page and "low contrast" in page
    assert "cannot read photo: corrupt" in page


def test_patient_report_says_through_which_visit_a_follow_up_was_aligned():
    v = _visits().assign(reg_via_week=[np.nan, 0.0, 12.0])  # (the last is unregistered)
    page = patient_report("P1", v, errors=None)
    assert page.count("aligned via") == 1 and "week 0</div>" in page


def test_patient_report_says_when_there_is_nothing_to_flag():
    v = _visits().iloc[:2].assign(quality_flags="", registration_reason="")
    page = patient_report("P1", v, errors=None)
    assert "no quality flags" in page and "no problems" in page


def test_cohort_report_rates_and_links():
    ends = pd.DataFrame({"patient_id": ["a&b", "c"], "arm": ["cream", "vehicle"],
                         "f_vasi50_week24": [True, False], "f_vasi75_week24": [True, np.nan],
                         "f_vasi90_week24": [False, False], "last_pct_change": [-80.0, -5.0]})
    visits = pd.concat([_visits("a&b"), _visits("c")], ignore_index=True)
    tables = {"visits": visits, "endpoints": ends, "errors": pd.DataFrame(
        columns=["patient_id", "site", "modality", "visit", "photo", "stage", "message"])}
    page = cohort_report(tables, {"a&b": "reports/a_b-1.html", "c": "reports/c.html"},
                         {"input": "/study/<m>.csv", "series": 2, "photos": 6})
    assert "1/2 (50 %)" in page and "arm cream" in page
    assert 'href="reports/a_b-1.html">a&amp;b<' in page
    assert "input study/&lt;m&gt;.csv" in page and "/study/" not in page  # escaped, no folders
    # a patient with a visible-light and a Wood's-lamp face series counts once (visible)
    woods = ends.iloc[:1].assign(modality="woods", f_vasi50_week24=False)
    two = pd.concat([ends.assign(modality="visible"), woods], ignore_index=True)
    page = cohort_report({**tables, "endpoints": two}, {"a&b": "reports/a_b-1.html"})
    assert "1/2 (50 %)" in page and "/3 (" not in page
    # ... and when its visible-light series has no scored photo, the Wood's one is read
    lost = ends.iloc[:1].assign(modality="visible", n_visits=0, f_vasi50_week24=False,
                                f_vasi75_week24=False)
    read = pd.concat([lost, ends.iloc[:1].assign(modality="woods", n_visits=3),
                      ends.iloc[1:].assign(modality="visible", n_visits=3)], ignore_index=True)
    page = cohort_report({**tables, "endpoints": read}, {"a&b": "reports/a_b-1.html"})
    assert "1/2 (50 %)" in page and "0/2 (0 %)</td><td>0/2" not in page


@pytest.mark.parametrize("with_f", [True, False])
def test_timeline_figure(with_f):
    v = _visits()
    if not with_f:
        v["f_vasi"] = np.nan
    fig = timeline_figure(v, title="P1")
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 1


def test_a_patient_with_body_sites_only_gets_no_empty_f_vasi_panel():
    from vasi.report import _score_figures

    v = pd.DataFrame({"site": ["forearm"] * 2, "modality": ["visible"] * 2, "week": [0.0, 24.0],
                      "f_vasi": [np.nan, np.nan], "repigmentation_pct": [0.0, 30.0]})
    (fig, _), = _score_figures(v)
    assert len(fig.axes) == 1 and "repigmentation" in fig.axes[0].get_title()


def test_a_table_that_is_no_visits_table_is_named():
    # "too many values to unpack" / KeyError / AttributeError from inside
    from vasi.errors import InputError

    v = pd.DataFrame({"patient_id": ["P1"], "week": [0.0], "f_vasi": [0.5]})
    for f in (lambda t: patient_report("P1", t), timeline_figure):
        with pytest.raises(InputError, match=r"visits needs the columns \['site', 'modality'\]"):
            f(v)
        with pytest.raises(InputError, match="visits must be a visits table"):
            f(v.to_dict())
    with pytest.raises(InputError, match="visits is empty"):
        timeline_figure(pd.DataFrame())  # (a KeyError)


def test_the_flags_table_shows_each_flag_once_and_says_what_to_do():
    # "check before use" repeated the flags of the column beside it, and nothing said what a
    # flag asks of the reader
    v = _visits().assign(needs_review=["", "", "registration failed"])
    v.loc[2, "quality_flags"] = "registration failed; low contrast"
    page = patient_report("P1", v)
    table = page[page.index("Quality flags and problems"):]
    assert table.count("registration failed") == 1 and "low contrast" in table
    assert "other flags (notes)" in table and "retake the photo" in table
    # ... and where each flag is explained (a notebook section that exists)
    from pathlib import Path

    assert "<code>04_calibration_and_quality</code>, section 3" in table
    nb = Path(__file__).resolve().parents[1] / "notebooks" / "04_calibration_and_quality.ipynb"
    assert "## 3. Quality flags" in nb.read_text()
    assert "retake the photo" not in patient_report("P1", v.assign(needs_review=""))


def test_a_photo_to_check_is_in_the_flags_table_even_without_other_flags():
    # a user's table with needs_review alone: counted, but missing from the table
    v = _visits().assign(quality_flags="", needs_review=["", "", "normal skin too dark"])
    page = patient_report("P1", v)
    table = page[page.index("Quality flags and problems"):]
    assert "1 photo(s) to check before use" in page and "normal skin too dark" in table


def test_a_visit_whose_registration_failed_is_not_counted_as_scored():
    # 'photos scored' counted the week-24 visit that has no number (registration failed)
    v = _visits().assign(depigmented_fraction=[0.3, 0.2, np.nan])
    assert "2 scored photo(s), 1 not scored (no number" in patient_report("P1", v)
    page = cohort_report({"visits": v, "endpoints": pd.DataFrame(), "errors": pd.DataFrame(
        columns=["patient_id"])}, {"P1": "P1.html"})
    assert "<td>2, 1 not scored (no number: see the flags)</td>" in page
