"""``vasi demo``: score the bundled sample series and print a readable table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import _atomic
from .errors import VasiError

__all__ = ["run_demo"]


def run_demo(samples: Path, output: Path) -> int:
    """Score every photo of ``samples/manifest.csv``; write tables and overlays to ``output``.

    Returns the process exit code (0 when every photo was scored).
    """
    from .io import read_photo, write_image
    from .overlay import overlay
    from .pipeline import score_photo

    manifest = Path(samples) / "manifest.csv"
    if not manifest.exists():
        raise VasiError(f"no sample manifest at {manifest}; run `make samples` to regenerate it")
    table = pd.read_csv(manifest)
    rows, failed = [], 0
    for rec in table.itertuples(index=False):
        path = manifest.parent / rec.photo
        try:
            photo = read_photo(path)
            site = "face" if rec.site == "face" else "body"
            res = score_photo(photo.image, site=site, modality=rec.modality,
                              mm_per_px=photo.meta.mm_per_px)
        except VasiError as exc:
            failed += 1
            rows.append({"patient_id": rec.patient_id, "week": rec.week, "error": str(exc)})
            continue
        name = f"{rec.patient_id}_week{int(rec.week):02d}_{rec.site}_{rec.modality}.png"
        write_image(Path(output) / "overlays" / name, overlay(photo.image, res.mask, roi=res.roi))
        rows.append({"patient_id": rec.patient_id, "week": int(rec.week), "site": rec.site,
                     "modality": rec.modality, **res.to_dict()})
    visits = pd.DataFrame(rows)
    if "f_vasi" in visits:
        base = visits.sort_values("week").groupby(["patient_id", "modality"])["f_vasi"].transform("first")
        visits["pct_change"] = 100.0 * (visits["f_vasi"] - base) / base.where(base > 0)
        visits["f_vasi75"] = visits["pct_change"] <= -75.0
    _atomic.write_text(Path(output) / "visits.csv", visits.to_csv(index=False))
    cols = [c for c in ("patient_id", "week", "site", "modality", "depigmented_area_hu",
                        "f_vasi", "pct_change", "f_vasi75") if c in visits]
    print(visits[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nwrote {output}/visits.csv and {len(visits) - failed} overlays")
    return 1 if failed else 0
