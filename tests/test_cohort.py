"""Cohort endpoints: Wilson / Newcombe / risk-ratio intervals, NRI vs observed, KM, simulator."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vasi import cohort
from vasi.cohort import patient_visits, responders
from vasi.errors import InputError


def test_wilson_known_values():
    lo, hi = cohort.wilson_interval(30, 100)
    assert (round(lo, 4), round(hi, 4)) == (0.2189, 0.3958)
    assert cohort.wilson_interval(0, 10)[0] == 0.0
    assert cohort.wilson_interval(10, 10)[1] == 1.0
    assert all(math.isnan(v) for v in cohort.wilson_interval(0, 0))
    lo, hi = cohort.wilson_interval(np.array([1, 5]), np.array([10, 10]))
    assert lo.shape == (2,) and np.all(lo < hi)
    with pytest.raises(InputError, match="k <= n"):
        cohort.wilson_interval(11, 10)


def test_wilson_matches_scipy():
    r = stats.binomtest(23, 77).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = cohort.wilson_interval(23, 77)
    assert lo == pytest.approx(r.low) and hi == pytest.approx(r.high)


def test_newcombe_and_risk_ratio():
    d, lo, hi = cohort.newcombe_difference(30, 100, 10, 100)
    assert d == pytest.approx(0.2) and lo == pytest.approx(0.0900, abs=1e-4)
    assert hi == pytest.approx(0.3058, abs=1e-4)
    # Newcombe (1998) Table II example: 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    d, lo, hi = cohort.newcombe_difference(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    rr, lo, hi = cohort.risk_ratio(30, 100, 10, 100)
    assert rr == pytest.approx(3.0)
    se = math.sqrt(1 / 30 - 1 / 100 + 1 / 10 - 1 / 100)
    assert lo == pytest.approx(3 * math.exp(-1.959964 * se), rel=1e-5)
    rr, lo, hi = cohort.risk_ratio(5, 50, 0, 50)  # zero cell: Haldane correction, finite
    assert np.isfinite([rr, lo, hi]).all() and rr == pytest.approx((5.5 / 51) / (0.5 / 51))
    assert all(math.isnan(v) for v in cohort.risk_ratio(0, 10, 0, 10))


def _toy():
    # arm a: p1 responds at 24 (F-VASI 1.0 -> 0.25 exactly), p2 not, p3 misses week 24,
    # p4 has baseline 0; arm b: one non-responder
    return pd.DataFrame({
        "patient_id": ["p1", "p1", "p2", "p2", "p3", "p4", "p4", "q1", "q1"],
        "arm": ["a"] * 7 + ["b"] * 2,
        "week": [0, 24, 0, 24, 0, 0, 24, 0, 24],
        "f_vasi": [1.0, 0.25, 1.0, 0.26, 0.8, 0.0, 0.0, 2.0, 1.5],
    })


def test_nri_vs_observed():
    d = _toy()
    nri = cohort.responders(d, thresholds=[75])
    a = nri[nri.arm == "a"].iloc[0]
    assert (a.responders, a.n, a.n_missing) == (1, 4, 2)
    obs = cohort.responders(d, thresholds=[75], missing="observed")
    a = obs[obs.arm == "a"].iloc[0]
    assert (a.responders, a.n) == (1, 2) and a.proportion == 0.5
    with pytest.raises(InputError, match="LOCF"):
        cohort.responders(d, missing="locf")


def test_no_locf():
    # a responder at week 12 who misses week 24 is NOT carried forward
    d = pd.DataFrame({"patient_id": ["p"] * 2 + ["q"] * 3, "arm": "a",
                      "week": [0, 12, 0, 12, 24], "f_vasi": [1.0, 0.1, 1.0, 0.9, 0.9]})
    r = cohort.responders(d, thresholds=[75], weeks=[24])
    assert r.responders.tolist() == [0] and r.n.tolist() == [2]


def test_responders_table_shape():
    d = cohort.simulate_cohort(rng=0, n_per_arm=20)
    r = cohort.responders(d)
    assert set(r.endpoint) == {"f_vasi50", "f_vasi75", "f_vasi90"}
    assert (r.ci_low <= r.proportion).all() and (r.proportion <= r.ci_high).all()
    assert r.attrs["provenance"]["missing"] == "nri"


def test_kaplan_meier_matches_scipy():
    d = cohort.simulate_cohort(rng=5, n_per_arm=60, dropout_per_visit=0.05)
    km = cohort.kaplan_meier(d)
    for arm, sub in km.groupby("arm"):
        pv = cohort.patient_visits(d[d.arm == arm], thresholds=[75])
        ev, cens = [], []
        for _, p in pv.groupby("patient_id"):
            obs = p[p.week > 0]
            hit = obs[obs.f_vasi75]
            if len(hit):
                ev.append(hit.week.min())
            elif len(obs):  # no follow-up at all: censored at 0, irrelevant for t > 0
                cens.append(obs.week.max())
        res = stats.ecdf(stats.CensoredData(uncensored=ev, right=cens))
        s = sub[sub.week > 0]
        np.testing.assert_allclose(1 - s.cum_response, res.sf.evaluate(s.week.to_numpy()))
        with warnings.catch_warnings():  # scipy warns where its log-log CI is undefined
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = res.sf.confidence_interval(method="log-log")
        evw = s[(s.n_events > 0) & (s.cum_response < 1)]
        np.testing.assert_allclose(1 - evw.ci_high, ci.low.evaluate(evw.week.to_numpy()),
                                   rtol=1e-6)


def test_kaplan_meier_censoring_toy():
    d = _toy()
    km = cohort.kaplan_meier(d)
    a = km[km.arm == "a"]
    assert km.attrs["excluded"] == 1  # p4, baseline 0
    assert a.n_at_risk.iloc[0] == 3
    row = a[a.week == 24].iloc[0]
    assert (row.n_events, row.n_censored) == (1, 1)  # p3 censored at week 0 (no follow-up)
    assert row.cum_response == pytest.approx(0.5)


def test_compare_arms_and_table():
    d = cohort.simulate_cohort(rng=2, n_per_arm=150)
    c = cohort.compare_arms(d, treatment="cream", control="vehicle")
    assert c.endpoint.tolist() == ["f_vasi50", "f_vasi75", "f_vasi90"]
    row = c.set_index("endpoint").loc["f_vasi75"]
    assert row.diff_low < row.difference < row.diff_high
    assert row.rr_low < row.risk_ratio < row.rr_high
    with pytest.raises(InputError, match="treatment"):
        cohort.compare_arms(d, treatment="drug", control="vehicle")
    t = cohort.endpoint_table(d, treatment="cream", control="vehicle")
    assert t.endpoint.tolist()[:3] == ["F-VASI50", "F-VASI75", "F-VASI90"]
    assert t.week.tolist() == [24.0] * 3 + [52.0] * 3
    assert " % vs " in t.result[0]
    assert {"difference_ci", "risk_ratio_ci", "difference", "risk_ratio"} <= set(t.columns)
    assert t.columns.is_unique
    assert t.difference_ci[0].endswith(")") and " pp (" in t.difference_ci[0]
    # one endpoint given as a string is that endpoint (it was split into 'f', '_', ...)
    one = cohort.compare_arms(d, treatment="cream", control="vehicle", endpoints="f_vasi75")
    assert one.reset_index(drop=True).equals(c[c.endpoint == "f_vasi75"].reset_index(drop=True))
    with pytest.raises(InputError, match="endpoint must be a name such as 'f_vasi75'"):
        cohort.kaplan_meier(d, endpoint=75)  # (an AttributeError)
    with pytest.raises(InputError, match="data needs a 'week' column"):
        cohort.endpoint_table(d.drop(columns="week"), treatment="cream", control="vehicle")
    for f in (cohort.responders, cohort.kaplan_meier, cohort.patient_visits):
        with pytest.raises(InputError, match="baseline_week must be one number of weeks"):
            f(d, baseline_week="0")  # (numpy's DTypePromotionError)


def test_unequal_arms():
    d = cohort.simulate_cohort(rng=0, n_per_arm={"cream": 20, "vehicle": 10})
    assert d.groupby("arm").patient_id.nunique().to_dict() == {"cream": 20, "vehicle": 10}
    with pytest.raises(InputError, match="n_per_arm"):
        cohort.simulate_cohort(rng=0, n_per_arm={"cream": 20})


def test_simulator_is_seeded_and_recovers_truth():
    a = cohort.simulate_cohort(rng=11, n_per_arm=400)
    b = cohort.simulate_cohort(rng=np.random.default_rng(11), n_per_arm=400)
    pd.testing.assert_frame_equal(a, b)
    r = cohort.responders(a, thresholds=[75], weeks=[24]).set_index("arm")
    for arm, p in a.attrs["true_rates"].items():
        assert r.loc[arm, "ci_low"] <= p <= r.loc[arm, "ci_high"]
    with pytest.raises(InputError, match="rng"):
        cohort.simulate_cohort(rng=None)


def test_wilson_coverage_simulated():
    # 95 % Wilson intervals cover a true 30 % / 10 % rate in ~95 % of 200 simulated trials
    g = np.random.default_rng(7)
    cover = []
    for p in (0.3, 0.1):
        k = g.binomial(150, p, size=400)
        lo, hi = cohort.wilson_interval(k, np.full(400, 150))
        cover.append(np.mean((lo <= p) & (p <= hi)))
    assert all(0.92 <= c <= 0.98 for c in cover)


def test_dropout_nri_lower_than_observed():
    d = cohort.simulate_cohort(rng=4, n_per_arm=200, dropout_per_visit=0.05)
    nri = cohort.responders(d, thresholds=[75], weeks=[24]).set_index("arm")
    obs = cohort.responders(d, thresholds=[75], weeks=[24], missing="observed").set_index("arm")
    assert (nri.proportion <= obs.proportion).all()
    assert (nri.n_missing > 0).all()


def test_visits_near_the_reported_week_count_and_a_week_nobody_reached_is_an_error():
    # weeks from dates fall a day either side of 24: they used to count as missing, so as
    # non-responders under NRI (1/3 instead of 3/3)
    d = pd.DataFrame({"patient_id": [1, 1, 2, 2, 3, 3], "arm": "a",
                      "week": [0, 24.0, 0, 23.86, 0, 24.14], "f_vasi": [1.0, 0.2] * 3})
    r = responders(d, thresholds=[75], weeks=[24])
    assert r[["responders", "n"]].values.tolist() == [[3, 3]]
    with pytest.raises(InputError, match="no visit within 2 weeks of week"):
        responders(d, thresholds=[75], weeks=[30])
    with pytest.raises(InputError, match="no visit at baseline_week=-2"):
        responders(d, thresholds=[75], weeks=[24], baseline_week=-2)
    with pytest.raises(InputError, match="window_weeks must be a number of weeks >= 0"):
        responders(d, thresholds=[75], weeks=[24], window_weeks=-1)
    # the comparison and its table count the same visits (the table kept only weeks present
    # exactly, and came back empty for week 24 here)
    d2 = d.assign(week=d.week.replace(24.0, 24.5))  # no visit exactly at week 24
    d2 = pd.concat([d2, d2.assign(patient_id=d.patient_id + 3, arm="b", f_vasi=[1.0, 0.9] * 3)])
    c = cohort.compare_arms(d2, treatment="a", control="b", weeks=[24], endpoints=["f_vasi75"])
    t = cohort.endpoint_table(d2, treatment="a", control="b", weeks=[24, 52])
    assert t.week.tolist() == [24.0] * 3  # week 52: no visit within 2 weeks, left out
    row = t.set_index("endpoint").loc["F-VASI75"]
    assert (row.responders_t, row.n_t, row.responders_c) == (3, 3, 0) == tuple(
        c.loc[0, ["responders_t", "n_t", "responders_c"]])
    exact = cohort.compare_arms(d2, treatment="a", control="b", weeks=[24.14],
                                endpoints=["f_vasi75"], window_weeks=0)
    assert exact.loc[0, ["responders_t", "n_t"]].tolist() == [1, 3]  # NRI: 2 not seen then


def test_cohort_scores_and_thresholds_are_checked():
    d = pd.DataFrame({"patient_id": [1, 1], "week": [0, 24], "f_vasi": [1.0, -0.5]})
    with pytest.raises(InputError, match=r"must lie in \[0, 3\]"):
        patient_visits(d)  # -0.5 was a 150 % improvement, a responder
    d["f_vasi"] = ["1,0", "0,25"]  # a decimal comma is a number, not a missing visit
    assert patient_visits(d)["f_vasi75"].tolist() == [False, True]
    d["f_vasi"] = [1.0, "n/a"]
    with pytest.raises(InputError, match=r"data\['f_vasi'\] must be numbers"):
        patient_visits(d)
    with pytest.raises(InputError, match="not 0.75"):
        responders(d.assign(f_vasi=[1.0, 0.25]), thresholds=[0.75])
    twice = pd.DataFrame({"patient_id": [1, 1, 1], "week": [0, 24, 24], "f_vasi": [1.0, 0.2, 0.3]})
    with pytest.raises(InputError, match=r"same \(patient_id, week\): \[\(1, 24\.0\)\]"):
        patient_visits(twice)  # (the message named no visit)
    with pytest.raises(InputError, match=r"k=\[5\.0\], n=\[3\.0\]"):
        cohort.wilson_interval([5], [3])  # (it printed array(...))
    # the two-arm statistics check their counts too (12 of 10 gave a risk ratio of 4)
    for args in ((12, 10, 3, 10), (-3, 10, 1, 10), (3, 10, float("nan"), 10)):
        for f in (cohort.risk_ratio, cohort.newcombe_difference):
            with pytest.raises(InputError, match="need 0 <= k <= n"):
                f(*args)
    with pytest.raises(InputError, match="one number each"):
        cohort.newcombe_difference(np.array([1, 2]), 10, 1, 10)


def test_a_patient_without_an_arm_is_refused_not_dropped():
    # groupby dropped them: out of every denominator, even under non-responder imputation
    d = pd.DataFrame({"patient_id": [1, 1, 2, 2], "arm": ["a", "a", None, None],
                      "week": [0, 24] * 2, "f_vasi": [1.0, 0.2, 1.0, 0.9]})
    with pytest.raises(InputError, match=r"patients \[2\] have visits without an arm"):
        responders(d, thresholds=[75], weeks=[24])
    assert responders(d.drop(columns="arm"), thresholds=[75], weeks=[24])["n"].tolist() == [2]


def test_a_patient_in_two_arms_is_refused():
    d = pd.DataFrame({"patient_id": [1, 1, 2, 2], "arm": ["a", "b", "a", "a"], "week": [0, 24] * 2,
                      "f_vasi": [1.0, 0.2, 1.0, 0.9]})
    with pytest.raises(InputError, match=r"patients \[1\] are in more than one arm"):
        responders(d, thresholds=[75], weeks=[24])


def test_weeks_from_visit_dates_are_one_row_per_visit_window():
    # weeks from date-named visit folders differ by a few days between patients: each week
    # of each patient was its own row (13 and 24 twice each in the report, shown rounded)
    weeks = [[0, 86 / 7, 170 / 7], [0, 93 / 7, 176 / 7], [0, 89 / 7, 168 / 7]]
    scores = [[1.0, 0.5, 0.2], [1.0, 0.9, 0.8], [1.0, 0.4, 0.1]]
    d = pd.DataFrame({"patient_id": np.repeat([1, 2, 3], 3), "arm": "a",
                      "week": np.ravel(weeks), "f_vasi": np.ravel(scores)})
    r = responders(d, thresholds=[75])
    assert len(r) == 2 and r["n"].tolist() == [3, 3]
    assert r["responders"].tolist() == [0, 2]  # week 24: patients 1 and 3
    # nominal (whole) weeks are kept as they are, weekly visits too
    d["week"] = np.tile([0.0, 1.0, 2.0], 3)
    assert responders(d, thresholds=[75])["week"].tolist() == [1.0, 2.0]


def test_default_weeks_gather_one_visit_of_each_patient_into_one_row():
    # weeks 51, 52 and 53 of three patients are one visit: three rows of 2/3 each before
    d = pd.DataFrame(dict(patient_id=[1, 1, 2, 2, 3, 3], arm="a", week=[0, 51, 0, 52, 0, 53],
                          f_vasi=[1, .2, 1, .2, 1, .9]))
    r = responders(d, thresholds=[75])
    assert r[["week", "responders", "n", "n_missing"]].values.tolist() == [[52.0, 2, 3, 0]]
    # a patient's own visits stay apart (weekly visits)
    w = d.assign(patient_id=[1, 1, 1, 2, 2, 2], week=[0, 1, 2, 0, 1, 2])
    assert responders(w, thresholds=[75])["week"].tolist() == [1.0, 2.0]


def test_a_missing_score_nearer_the_week_does_not_hide_an_observed_visit():
    # week 24 NaN (missing visit), week 23 observed: endpoints() takes week 23, and so must
    # the cohort (it took the NaN row and counted the patient missing: a non-responder)
    from vasi import endpoints

    d = pd.DataFrame({"patient_id": [1, 1, 1], "arm": "a", "week": [0, 23, 24],
                      "f_vasi": [1.0, 0.2, np.nan]})
    assert endpoints(d.drop(columns=["patient_id", "arm"])).check_visit_week == 23.0
    r = responders(d, thresholds=[75], weeks=[24])
    assert r[["responders", "n", "n_missing"]].values.tolist() == [[1, 1, 0]]
    assert responders(d, thresholds=[75], weeks=[24], missing="observed")["n"].tolist() == [1]


def test_patient_visit_flags_are_na_where_undefined_not_false():
    d = pd.DataFrame({"patient_id": [1, 1, 2, 2, 3, 3], "week": [0, 24] * 3,
                      "f_vasi": [1.0, 0.2, 0.0, 0.0, 1.0, np.nan]})
    f = patient_visits(d, thresholds=[75]).set_index(["patient_id", "week"])["f_vasi75"]
    assert f.dtype == "boolean"
    assert f.tolist() == [False, True, pd.NA, pd.NA, False, pd.NA]
