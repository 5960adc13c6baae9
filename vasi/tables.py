"""Tidy result tables written atomically as CSV and (when pyarrow is installed) Parquet.

Writing is deterministic: the same DataFrame always gives the same bytes, so two runs of a
batch -- serial, parallel, resumed or on Dask -- can be compared with ``cmp``.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from . import _atomic

__all__ = ["write_table", "have_parquet"]

log = logging.getLogger("vasi")


def have_parquet() -> bool:
    """True when pyarrow is importable (Parquet tables are written too).

    >>> isinstance(have_parquet(), bool)
    True
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns of booleans with gaps (NaN / None) become nullable booleans; other
    object columns holding mixed types become strings (Parquet needs one type).

    >>> t = _parquet_safe(pd.DataFrame({"a": [True, np.nan, False], "b": [1, "x", None]}))
    >>> str(t["a"].dtype), t["a"].tolist(), t["b"].tolist()[:2]
    ('boolean', [True, <NA>, False], ['1', 'x'])
    """
    def missing(v):
        return v is None or v is pd.NA or (isinstance(v, float) and v != v)

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            vals = out[col]
            kinds = {type(v) for v in vals if not missing(v)}
            if kinds and kinds <= {bool, np.bool_}:  # a filter on them must stay boolean
                out[col] = pd.array([None if missing(v) else bool(v) for v in vals],
                                    dtype="boolean")
            elif len(kinds) > 1 or (kinds and not kinds <= {str}):
                out[col] = [None if missing(v) else str(v) for v in vals]
    return out


def write_table(df: pd.DataFrame, path, *, parquet: bool | None = None) -> list[Path]:
    """Write ``df`` to ``path.csv`` (and ``path.parquet``) atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        Written without its index.
    path : str or os.PathLike
        Destination without suffix (``out/tables/visits``); parents are created.
    parquet : bool, optional
        Also write Parquet; default: when pyarrow is installed.

    Returns
    -------
    list of pathlib.Path
        Files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_table(pd.DataFrame({"a": [1, 2]}), d / "t", parquet=False)]
    ['t.csv']
    >>> (d / "t.csv").read_text()
    'a\\n1\\n2\\n'
    """
    path = Path(path)
    written = [_atomic.write_text(path.with_suffix(".csv"),
                                  df.to_csv(index=False, lineterminator="\n"))]
    if parquet is None:
        parquet = have_parquet()
    if parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError("Parquet output needs pyarrow: pip install 'vasi[parquet]'") from None
        buf = io.BytesIO()
        _parquet_safe(df).to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
        written.append(_atomic.write_bytes(path.with_suffix(".parquet"), buf.getvalue()))
    return written
