"""SPEC.md §2 and §4: percent change, endpoints, baseline 0, relapse, plateau, dosing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vasi
from vasi.errors import InputError
from vasi.timeline import endpoints, improvement_pct, percent_change, reached, weeks_from_dates


def test_percent_change_formula_and_sign():
    assert percent_change(0.25, 1.0) == -75.0
    assert percent_change(1.5, 1.0) == 50.0
    assert improvement_pct(0.25, 1.0) == 75.0
    np.testing.assert_allclose(percent_change([1.0, 0.5], [2.0, 2.0]), [-50.0, -75.0])


def test_exactly_75_counts_and_026_does_not():
    assert reached(0.25, 1.0, 75)
    assert not reached(0.26, 1.0, 75)
    e = endpoints({0: 1.0, 24: 0.25})
    assert bool(e.visits.loc[1, "f_vasi75"])
    assert not bool(endpoints({0: 1.0, 24: 0.26}).visits.loc[1, "f_vasi75"])


@pytest.mark.parametrize(("b", "t", "n"), [(0.4, 0.1, 75), (0.3, 0.15, 50), (3.0, 0.3, 90),
                                           (0.7, 0.07, 90), (1.1, 0.275, 75), (0.6, 0.3, 50),
                                           (6.5, 3.25, 50), (6.5, 1.625, 75)])
def test_exact_thresholds_survive_floating_point(b, t, n):
    assert reached(t, b, n)
    assert not reached(t * 1.001, b, n)


def test_baseline_zero_is_nan_with_reason():
    assert math.isnan(percent_change(0.3, 0.0))
    assert not reached(0.0, 0.0, 50)
    e = endpoints({0: 0.0, 12: 0.2, 24: 0.0})
    assert e.visits["pct_change"].isna().all()
    assert e.visits["f_vasi75"].isna().all()
    assert "baseline score is 0" in e.reason
    assert not e and endpoints({0: 1.0, 24: 0.2})  # falsy with a reason, as other results
    assert e.meaningful_at_check is None
    assert all(math.isnan(v) for v in e.first_week.values())


def test_endpoints_per_visit_and_first_week():
    e = endpoints({0: 1.0, 4: 0.9, 12: 0.5, 24: 0.2, 52: 0.08})
    v = e.visits
    assert v["week"].tolist() == [0, 4, 12, 24, 52]
    assert v["f_vasi50"].tolist() == [False, False, True, True, True]
    assert v["f_vasi75"].tolist() == [False, False, False, True, True]
    assert v["f_vasi90"].tolist() == [False, False, False, False, True]
    assert e.first_week == {"f_vasi50": 12.0, "f_vasi75": 24.0, "f_vasi90": 52.0}
    assert e.check_visit_week == 24.0 and e.check_improvement_pct == pytest.approx(80.0)
    assert e.meaningful_at_check is True
    assert not e.relapse
    assert e.provenance["baseline"] == {"week": 0.0, "score": 1.0}


def test_t_vasi_endpoints_and_meaningful_30():
    e = endpoints({0: 6.5, 12: 5.0, 24: 4.5}, kind="t_vasi")
    assert [c for c in e.visits.columns if c.startswith("t_vasi")] == ["t_vasi50", "t_vasi75"]
    assert e.check_improvement_pct == pytest.approx(100 * 2 / 6.5)
    assert e.meaningful_at_check is True  # 30.8 % >= 30 %
    assert endpoints({0: 6.5, 24: 4.6}, kind="t_vasi").meaningful_at_check is False
    assert endpoints({0: 1.0, 24: 0.55}).meaningful_at_check is False  # F-VASI: 45 % < 50 %
    assert endpoints({0: 1.0, 24: 0.55}, meaningful_pct=40).meaningful_at_check is True


def test_week24_check_window():
    assert endpoints({0: 1.0, 23: 0.4}).check_visit_week == 23.0
    e = endpoints({0: 1.0, 12: 0.4, 36: 0.3})
    assert e.meaningful_at_check is None and math.isnan(e.check_improvement_pct)
    assert endpoints({0: 1.0, 12: 0.4}, check_week=12).meaningful_at_check is True


def test_relapse_lost_f_vasi75():
    e = endpoints({0: 1.0, 24: 0.2, 36: 0.3, 52: 0.2})
    assert e.relapse and e.relapse_week == 36.0
    assert not endpoints({0: 1.0, 24: 0.6, 36: 0.7}).relapse  # never reached
    # a missing visit is not a relapse
    assert not endpoints({0: 1.0, 24: 0.2, 36: float("nan"), 52: 0.2}).relapse


def test_plateau_detection():
    e = endpoints({0: 1.0, 12: 0.6, 24: 0.4, 36: 0.39, 48: 0.38})
    assert e.plateau and e.plateau_week == 24.0
    assert not endpoints({0: 1.0, 12: 0.8, 24: 0.6, 36: 0.4, 48: 0.2}).plateau
    e = endpoints({0: 1.0, 12: 0.8, 24: 0.6, 36: 0.4, 48: 0.2}, plateau_min_gain_pct=25)
    assert e.plateau and e.plateau_week == 36.0  # 60 % -> 80 %: gain 20 < 25 over 12 weeks
    # a late gain cancels an earlier pause
    assert not endpoints({0: 1.0, 12: 0.3, 24: 0.3, 36: 0.1}).plateau
    # window not covered by later visits -> no plateau claimed
    assert not endpoints({0: 1.0, 12: 0.5, 16: 0.5}).plateau
    # no response at all is not a plateau of response
    assert not endpoints({0: 1.0, 4: 1.0, 8: 1.0, 24: 1.0}).plateau
    assert not endpoints({0: 1.0, 4: 1.1, 8: 1.1, 24: 1.1}).plateau


def test_dates_to_weeks():
    assert weeks_from_dates(["2025-01-06", "2025-01-20"]).tolist() == [0.0, 2.0]
    assert weeks_from_dates(["2025-01-20"], baseline_date="2025-01-06").tolist() == [2.0]
    df = pd.DataFrame({"date": ["2025-06-23", "2025-01-06", "2025-03-31"],
                       "f_vasi": [0.25, 1.0, 0.5]})
    e = endpoints(df)
    assert e.visits["week"].tolist() == [0.0, 12.0, 24.0]
    e2 = endpoints(df, baseline_date="2025-03-31")  # screening visit before baseline
    assert e2.baseline_week == 0.0 and e2.baseline_score == 0.5
    assert math.isnan(e2.visits.loc[0, "pct_change"])
    assert e.first_week["f_vasi75"] == 24.0


def test_treated_area_label_limit_and_cream():
    # SPEC §4: 10 HU -> 5 g/day -> ~150 g / 30 days; above 10 HU is flagged
    df = pd.DataFrame({"week": [0, 24], "t_vasi": [9.0, 4.0], "area_hu": [10.0, 10.0]})
    e = endpoints(df, kind="t_vasi")
    assert e.dosing.treated_hu == 10.0
    assert e.dosing.g_per_day == 5.0 and e.dosing.g_per_month == 150.0
    assert not e.dosing.above_label_limit
    assert e.provenance["treated_hu_source"] == "baseline area_hu"
    e = endpoints({0: 12.0, 24: 6.0}, kind="t_vasi")
    assert e.dosing.above_label_limit and e.dosing.treated_hu == 12.0
    assert endpoints({0: 1.0, 24: 0.5}, treated_hu=2.0).dosing.g_per_month == 30.0
    d = e.to_dict()
    assert d["above_label_limit"] and d["cream_g_per_day"] == 6.0


def test_inputs_and_errors():
    with pytest.raises(InputError, match="kind"):
        endpoints({0: 1.0}, kind="vasi")
    with pytest.raises(InputError, match="'f_vasi' or 'score'"):
        endpoints(pd.DataFrame({"week": [0], "x": [1.0]}))
    with pytest.raises(InputError, match="duplicate weeks"):
        endpoints(pd.DataFrame({"week": [0, 0], "score": [1.0, 0.5]}))
    with pytest.raises(InputError, match="baseline_week"):
        endpoints({0: 1.0, 24: 0.5}, baseline_week=4)
    with pytest.raises(InputError, match=r"must lie in \[0, 3\]"):
        endpoints({0: 1.0, 24: -0.5})
    # out of range above too (an F-VASI of 5), and a threshold given as a fraction (0.75
    # would be an endpoint of 0.75 % improvement)
    with pytest.raises(InputError, match=r"f_vasi scores must lie in \[0, 3\].*got \[4.0, 5.0\]"):
        endpoints({0: 5.0, 24: 4.0})
    with pytest.raises(InputError, match="pass 75 for f_vasi75, not 0.75"):
        endpoints({0: 1.0, 24: 0.25}, thresholds=[0.75])
    # so are the other thresholds in percent (a 10 % improvement was F-VASI "0.75"), and a
    # window that is no number of weeks (the week-24 check was silently None)
    with pytest.raises(InputError, match="threshold is a percentage: pass 75"):
        reached(0.9, 1.0, 0.75)
    assert reached(0.1, 0.4, np.array(75.0))  # (a 0-d array is its number)
    assert endpoints({0: 0.8, 24: 0.1}, check_week=np.array(24.0)).check_week == 24.0
    with pytest.raises(InputError, match="relapse_threshold is a percentage"):
        endpoints({0: 1.0, 24: 0.2, 36: 0.9}, relapse_threshold=0.75)
    with pytest.raises(InputError, match="meaningful_pct is a percentage"):
        endpoints({0: 1.0, 24: 0.95}, meaningful_pct=0.5)
    for bad in (-1, float("nan"), "two"):
        with pytest.raises(InputError, match="window_weeks must be a number of weeks >= 0"):
            endpoints({0: 1.0, 24: 0.25}, window_weeks=bad)
    # a table's column is indexed by row number, not by week (it scored weeks 0, 1, 2)
    table = pd.DataFrame({"week": [0, 12, 24], "f_vasi": [1.0, 0.5, 0.2]})
    with pytest.raises(InputError, match=r"df.set_index\('week'\)\['f_vasi'\]"):
        endpoints(table["f_vasi"])
    assert endpoints(table.set_index("week")["f_vasi"]).first_week["f_vasi75"] == 24.0
    with pytest.raises(InputError, match="baseline_week must be one number of weeks, e.g. 0 or "
                                         "24; got a Series of 1 values"):
        endpoints({0: 1.0, 24: 0.25}, baseline_week=pd.Series([0]))
    e = endpoints({-4: 1.2, 0: 1.0, 24: 0.25}, baseline_week=0)
    assert math.isnan(e.visits.loc[0, "pct_change"]) and e.first_week["f_vasi75"] == 24.0
    df = pd.DataFrame({"week": [24, 0], "f_vasi": [0.3, 1.0]})
    before = df.copy()
    endpoints(df)
    pd.testing.assert_frame_equal(df, before)


def test_accepts_vasi_scores_and_series_table():
    e = endpoints({0: vasi.f_vasi(depigmented_fraction=0.4), 24: vasi.f_vasi(depigmented_fraction=0.1)})
    assert e.first_week["f_vasi75"] == 24.0
    assert vasi.endpoints is endpoints


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 3), st.floats(0, 1))
def test_endpoint_algebra(b, frac):
    t = b * frac
    imp = improvement_pct(t, b)
    assert imp == pytest.approx(100 * (1 - frac), abs=1e-9)
    # reaching a higher endpoint implies the lower ones
    r = [reached(t, b, n) for n in (50, 75, 90)]
    assert r == sorted(r, reverse=True)
    assert reached(b * 0.25, b, 75)


def test_scores_and_weeks_that_are_not_numbers_are_named():
    with pytest.raises(InputError, match=r"visits\['score'\] must be numbers.*'x'"):
        endpoints({0: 1.0, 24: "x"})
    with pytest.raises(InputError, match=r"keys are the weeks .*\['y'\]"):
        endpoints({0: 1.0, "y": 0.5})
    # pandas' missing value marks a missing visit, as None and NaN do
    assert endpoints({0: 1.0, 12: pd.NA, 24: 0.2}).first_week["f_vasi75"] == 24.0


def test_dates_that_read_either_way_need_dayfirst():
    # 01/02/2025 -> 01/08/2025 was read month-first (0.86 weeks) where a UK/EU clinic means
    # 1 February -> 1 August (26 weeks)
    from vasi.timeline import weeks_from_dates

    with pytest.raises(InputError, match="pass dayfirst=True"):
        weeks_from_dates(["01/02/2025", "01/08/2025"])
    assert weeks_from_dates(["01/02/2025", "01/08/2025"], dayfirst=True).round(1).tolist() == [0.0, 25.9]
    assert weeks_from_dates(["01/02/2025", "01/08/2025"], dayfirst=False).round(2).tolist() == [0.0, 0.86]
    assert weeks_from_dates(["2025-02-01", "2025-08-01"]).round(1).tolist() == [0.0, 25.9]


def test_empty_visits_are_named():
    with pytest.raises(InputError, match="visits is empty"):
        endpoints({})
    with pytest.raises(InputError, match="visits is empty"):
        endpoints(pd.DataFrame({"week": [], "f_vasi": []}))


def test_a_series_of_scores_by_week_is_a_mapping():
    e = endpoints(pd.Series({0: 1.0, 24: 0.25}))
    assert e.first_week["f_vasi75"] == 24.0
    assert vasi.t_vasi(pd.Series({"trunk": 2.0})).continuous == 2.0


def test_check_window_has_the_cohorts_name_and_the_old_one_warns():
    visits = {0: 1.0, 21: 0.3}  # the check visit 3 weeks from week 24
    assert endpoints(visits).meaningful_at_check is None  # outside the default 2 weeks
    e = endpoints(visits, window_weeks=3)
    assert e.check_visit_week == 21.0 and e.meaningful_at_check is True
    assert e.provenance["window_weeks"] == 3.0
    with pytest.warns(DeprecationWarning, match="check_tolerance_weeks= is now called window_weeks="):
        assert endpoints(visits, check_tolerance_weeks=3).check_visit_week == 21.0


def test_endpoints_take_dayfirst_for_dates_that_read_either_way():
    # the error told the user to pass dayfirst=True, which endpoints() did not accept
    d = pd.DataFrame({"date": ["01/02/2025", "02/08/2025"], "f_vasi": [1.0, 0.2]})
    with pytest.raises(InputError, match="pass dayfirst=True"):
        endpoints(d)
    assert endpoints(d, dayfirst=True).visits["week"].round(1).tolist() == [0.0, 26.0]
    assert endpoints(d, dayfirst=False).visits["week"].round(2).tolist() == [0.0, 5.29]
