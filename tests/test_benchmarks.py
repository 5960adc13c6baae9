"""The benchmarks' case designs (the numbers themselves are measured by running them)."""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest


def _accuracy():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("quick,seed0", [(False, None), (True, None), (False, 1400000)])
def test_accuracy_photos_cover_every_type_site_and_modality_evenly(quick, seed0):
    """Every skin type has faces and both body sites, and so has each modality (the body site
    once alternated in step with the modality: no visible trunks, no Wood's lamp forearms; then
    in step with the type)."""
    acc = _accuracy()
    cases = acc.photo_cases(quick, seed0)
    by_site = Counter((c["modality"], c["site"]) for c in cases)
    n = len(cases) // (2 * len(acc.MODALITIES))  # faces per modality
    for mod in acc.MODALITIES:
        assert by_site[(mod, "face")] == n
        assert by_site[(mod, "forearm")] + by_site[(mod, "trunk")] == n
        assert abs(by_site[(mod, "forearm")] - by_site[(mod, "trunk")]) <= 1
    assert Counter(c["skin_type"] for c in cases) == dict.fromkeys(acc.TYPES, len(cases) // len(acc.TYPES))
    # ... and every type has both body sites (they once fell to types I / III / V and II / IV / VI)
    body = {(c["skin_type"], c["site"]) for c in cases if c["site"] != "face"}
    assert body == {(t, s) for t in acc.TYPES for s in ("forearm", "trunk")}
    assert len({c["seed"] for c in cases}) == len(cases)
