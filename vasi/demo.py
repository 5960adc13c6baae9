"""``vasi demo`` (the batch run on ``sample_images/``) and :func:`make_study`, a synthetic
study on disk for tests, benchmarks and trying the batch runner.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import _atomic
from ._validate import check_rng, is_number
from .errors import InputError

__all__ = ["run_demo", "make_study", "demo_table"]


def make_study(folder, *, n_patients: int = 4, weeks=(0, 12, 24, 36, 52),
               shape=(240, 320), rng=0, modality: str = "visible",
               plant: bool = False) -> Path:
    """Write a synthetic study: photos ``photos/PATIENT/weekNN/face_MODALITY.jpg`` and a
    ``manifest.csv``; return the manifest path.

    Patients alternate between arms ``cream`` (good response) and ``vehicle`` (little
    response) and cycle through skin types II-V; everything is seeded.

    Parameters
    ----------
    folder : path
        Created if needed.
    n_patients : int
    weeks : sequence of int
        Visit weeks (the first is the baseline, 0).
    shape : (int, int)
        Photo size ``(H, W)`` in px.
    rng : int or numpy.random.Generator
    modality : {"visible", "woods"}
    plant : bool
        Plant problems: a truncated JPEG, a file of random bytes, an empty file and a photo
        listed in the manifest but missing (in patients 2, 3, 4 and 5 when present).

    Examples
    --------
    >>> import tempfile
    >>> m = make_study(tempfile.mkdtemp(), n_patients=1, weeks=(0, 12), shape=(64, 80))
    >>> pd.read_csv(m)[["patient_id", "week", "photo"]].values.tolist()
    [['P001', 0, 'photos/P001/week00/face_visible.jpg'], ['P001', 12, 'photos/P001/week12/face_visible.jpg']]
    """
    from .synth import make_series

    folder = Path(folder)
    rng = check_rng(rng)  # (None was unseeded)
    if not (is_number(n_patients, whole=True) and n_patients >= 1):
        raise InputError(f"n_patients must be a whole number >= 1; got {n_patients!r}.")
    n_patients = int(n_patients)
    skin = ("II", "III", "IV", "V")
    rows = []
    for i in range(n_patients):
        pid = f"P{i + 1:03d}"
        arm = "cream" if i % 2 == 0 else "vehicle"
        response = float(rng.uniform(0.6, 1.0) if arm == "cream" else rng.uniform(0.0, 0.35))
        s = make_series(rng=rng, weeks=tuple(weeks), response=response, skin_type=skin[i % 4],
                        site="face", modality=modality, shape=tuple(shape))
        for w, v in zip(s.weeks, s.visits, strict=True):
            rel = f"photos/{pid}/week{w:02d}/face_{modality}.jpg"
            _atomic.write_bytes(folder / rel, v.jpeg_bytes)
            rows.append({"patient_id": pid, "week": w, "site": "face", "modality": modality,
                         "photo": rel, "arm": arm})
    table = pd.DataFrame(rows)
    if plant:
        def pick(k, j):  # k-th patient's j-th visit (not the baseline)
            hit = table[table["patient_id"] == f"P{k:03d}"]
            return folder / hit["photo"].iloc[min(j, len(hit) - 1)] if len(hit) else None

        p = pick(2, 2)
        if p:
            data = p.read_bytes()
            p.write_bytes(data[: len(data) // 3])  # truncated JPEG
        p = pick(3, 1)
        if p:
            p.write_bytes(np.random.default_rng(1).bytes(5000))  # not an image
        p = pick(4, 3)
        if p:
            p.write_bytes(b"")  # empty file
        p = pick(5, 4)
        if p:
            p.unlink()  # listed but missing
    _atomic.write_text(folder / "manifest.csv", table.to_csv(index=False, lineterminator="\n"))
    return folder / "manifest.csv"


#: What the columns of :func:`demo_table` mean, printed under it.
DEMO_LEGEND = ("depig. % of skin: of the skin assessed at that visit (a follow-up photo that "
               "shows less of it assesses less)\n"
               "change %: from baseline, of the F-VASI (faces) or of the depigmented area "
               "(body sites)")


def demo_table(visits: pd.DataFrame) -> pd.DataFrame:
    """The readable per-visit table ``vasi demo`` prints (:data:`DEMO_LEGEND` explains it).

    ``depig. % of skin`` is the depigmented share of the skin assessed at that visit;
    ``change %`` is the F-VASI change from baseline for faces and the change of the
    depigmented area (in baseline coordinates) for body sites, whose share of the skin
    can move the other way when a follow-up photo shows less of the skin.

    Examples
    --------
    >>> v = pd.DataFrame({"patient_id": ["P1"], "site": ["face"], "modality": ["visible"],
    ...                   "week": [0.0], "f_vasi": [0.3],
    ...                   "f_vasi_pct_change": [0.0], "f_vasi75": [False],
    ...                   "depigmented_fraction": [0.1], "repigmentation_pct": [0.0]})
    >>> demo_table(v).values.tolist()
    [['P1', 'face', 'visible', '0', '10.0', '0.300', '+0.0', 'no', '0.0']]
    """
    if visits.empty:
        return pd.DataFrame()

    def num(col):
        return pd.to_numeric(visits[col], errors="coerce") if col in visits else \
            pd.Series(np.nan, index=visits.index)

    frac, fv = num("depigmented_fraction"), num("f_vasi")
    change = num("f_vasi_pct_change")
    area = num("depigmented_area_px")
    base = visits.assign(_a=area).groupby(["patient_id", "site", "modality"])["_a"] \
        .transform("first")
    body_change = 100.0 * (area - base) / base.where(base > 0)
    change = change.where(visits["site"] == "face", body_change)
    f75 = visits["f_vasi75"] if "f_vasi75" in visits else pd.Series(None, index=visits.index)
    return pd.DataFrame({
        "patient": visits["patient_id"], "site": visits["site"], "modality": visits["modality"],
        "week": visits["week"].map(lambda w: f"{w:g}"),
        "depig. % of skin": [f"{100 * x:.1f}" if np.isfinite(x) else "-" for x in frac],
        "F-VASI": [f"{x:.3f}" if np.isfinite(x) else "-" for x in fv],
        "change %": [f"{x:+.1f}" if np.isfinite(x) else "-" for x in change],
        "F-VASI75": ["-" if pd.isna(x) else ("yes" if bool(x) else "no") for x in f75],
        "% repigmented": [f"{x:.1f}" if np.isfinite(x) else "-"
                          for x in num("repigmentation_pct")],
    })


def run_demo(samples, output, *, jobs: int = 1, quiet: bool = False, echo=print,
             progress=None) -> int:
    """Run the batch on ``samples`` (its ``manifest.csv``) into ``output``; print a table.
    With ``samples`` None (an installed package has no ``sample_images/``) a synthetic study
    (:func:`make_study`) is written to ``output/samples`` and scored into ``output/results``.

    Returns the process exit code: 0 when every photo was scored, 1 otherwise.
    """
    from .batch import run_batch
    from .errors import VasiError

    samples = Path(samples) if samples is not None else None
    if samples is None:
        # an installed package carries no sample_images/: a small synthetic study instead
        manifest = make_study(Path(output) / "samples", n_patients=3, rng=0)
        echo(f"no sample_images/ beside the package: a synthetic study was written to "
             f"{manifest.parent}")
        output = Path(output) / "results"
    else:
        manifest = samples / "manifest.csv"
        if not manifest.is_file():
            raise VasiError(f"no sample manifest at {manifest}; run `make samples` to regenerate "
                            "sample_images/, or leave --samples out to use a synthetic study")
    res = run_batch(manifest, output, jobs=jobs, progress=progress)
    table = demo_table(res.visits)
    echo(table.to_string(index=False))
    echo(DEMO_LEGEND)
    echo("")
    if len(res.errors):
        echo(f"{len(res.errors)} photo(s) could not be scored; see {output}/tables/errors.csv")
    idx = Path(output) / "index.html"
    echo(f"tables:  {Path(output) / 'tables'}/ (visits, patches, scores, endpoints, errors; data_dictionary.csv explains them)")
    if res.reports:
        echo(f"reports: {res.reports[0]}" + (f" ... ({len(res.reports)} patients)"
                                             if len(res.reports) > 1 else ""))
    echo(f"summary: {idx}  (open in a browser)")
    return 0 if res.ok else 1
