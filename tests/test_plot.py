"""Charts: return Figures, leak no pyplot state, draw the endpoint lines and intervals."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from vasi import cohort, endpoints, plot  # noqa: E402
from vasi.errors import InputError  # noqa: E402


@pytest.fixture(scope="module")
def trial():
    return cohort.simulate_cohort(rng=3, n_per_arm=60, dropout_per_visit=0.02)


def _hlines(ax):
    return sorted(round(line.get_ydata()[0], 6) for line in ax.get_lines()
                  if len(set(np.asarray(line.get_ydata(), float))) == 1
                  and len(line.get_xdata()) == 2 and tuple(line.get_xdata()) == (0, 1))


def test_patient_timeline(tmp_path):
    before = plt.get_fignums()
    df = pd.DataFrame({"week": [0, 12, 24, 36, 52], "f_vasi": [1.0, 0.6, 0.25, 0.3, 0.1],
                       "f_vasi_clinical": [1.0, 0.5, 0.25, 0.3, 0.1]})
    fig = plot.patient_timeline(df)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert plt.get_fignums() == before  # no pyplot state
    top, bottom = fig.axes
    assert len(top.get_lines()) == 2  # continuous + clinical
    assert _hlines(bottom) == [-90.0, -75.0, -50.0, 0.0]
    texts = [t.get_text() for t in bottom.texts]
    assert "F-VASI75" in texts and "relapse" in texts
    assert any("week 24" in t for t in texts)
    fig.savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 5000


def test_patient_timeline_from_result_and_t_vasi():
    e = endpoints({0: 6.5, 12: 5.0, 24: 3.0}, kind="t_vasi")
    fig = plot.patient_timeline(e)
    assert _hlines(fig.axes[1]) == [-75.0, -50.0, 0.0]
    assert fig.axes[0].get_ylabel() == "T-VASI"


def test_patient_timeline_baseline_zero_shows_reason():
    fig = plot.patient_timeline({0: 0.0, 24: 0.0})
    assert any("baseline score is 0" in t.get_text() for t in fig.axes[1].texts)


def test_responder_curves(trial):
    before = plt.get_fignums()
    fig = plot.responder_curves(trial)
    assert plt.get_fignums() == before
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["cream (n=60)", "vehicle (n=60)"]
    assert "Wilson" in ax.get_title() and "non-responder" in ax.get_title()
    r = cohort.responders(trial, missing="observed")
    fig = plot.responder_curves(r, endpoint="f_vasi50")
    assert "observed" in fig.axes[0].get_title()
    with pytest.raises(InputError, match=r"endpoint.*it has \['f_vasi50', 'f_vasi75', 'f_vasi90'\]"):
        plot.responder_curves(r, endpoint="f_vasi60")
    # the title gives the intervals' own level (it said 95 % whatever was computed)
    assert "95 % Wilson" in ax.get_title()
    assert "80 % Wilson" in plot.responder_curves(trial, confidence=0.8).axes[0].get_title()


def test_km_curves(trial):
    fig = plot.km_curves(trial)
    ax, tab = fig.axes
    assert ax.get_ylim() == (0.0, 100.0)
    assert [t.get_text() for t in tab.get_yticklabels()] == ["cream", "vehicle"]
    nums = [int(t.get_text()) for t in tab.texts]
    assert nums[0] == 60  # everyone at risk at week 0
    fig = plot.km_curves(cohort.kaplan_meier(trial), at_risk=False)
    assert len(fig.axes) == 1
    assert "90 % CI" in plot.km_curves(cohort.kaplan_meier(trial, confidence=0.9)).axes[0].get_title()
    # a ready table is labelled with its own endpoint (it was titled F-VASI75 whatever it was)
    km50 = cohort.kaplan_meier(trial, endpoint="f_vasi50")
    assert "F-VASI50" in plot.km_curves(km50, at_risk=False).axes[0].get_title()
    with pytest.raises(InputError, match="the table is the Kaplan-Meier estimate of 'f_vasi50'"):
        plot.km_curves(km50, endpoint="f_vasi75")
    with pytest.raises(InputError, match="endpoint must be a name such as 'f_vasi75'"):
        plot.responder_curves(trial, endpoint=75)  # (an AttributeError)
    # a table read back from a file has lost the endpoint it was (it was titled F-VASI75)
    bare = pd.DataFrame(km50)
    bare.attrs = {}
    with pytest.raises(InputError, match="does not say its endpoint"):
        plot.km_curves(bare)
    assert "F-VASI50" in plot.km_curves(bare, endpoint="f_vasi50", at_risk=False).axes[0].get_title()
    with pytest.raises(InputError, match="endpoint must be a name"):
        plot.km_curves(bare, endpoint=75)
    plt.close("all")
