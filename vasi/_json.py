"""Results as plain JSON values: what an application stores or sends.

:func:`plain` turns the values inside ``vasi`` results (numpy scalars and small arrays,
pandas tables, tuples, dates, NaN) into JSON types, NaN and infinities as ``null`` -- so
``json.dumps(plain(x), allow_nan=False)`` always works and other languages can read it.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math

import numpy as np
import pandas as pd

__all__ = ["plain"]


def plain(value):
    """``value`` with every part a JSON type: dict (str keys), list, str, int, float, bool
    or None. NaN, NaT and infinities become None; dates ISO strings, durations seconds,
    decimals floats; a DataFrame becomes a list of row dicts; numpy arrays become nested
    lists (keep them small).

    >>> plain({"a": np.float32(0.5), "b": (1, float("nan")), "c": np.bool_(True)})
    {'a': 0.5, 'b': [1, None], 'c': True}
    >>> plain(pd.DataFrame({"week": [0, 12], "pct": [float("nan"), 40.0]}))
    [{'week': 0, 'pct': None}, {'week': 12, 'pct': 40.0}]
    >>> plain([np.datetime64("2026-03-14T00:00:00.000000000"), np.datetime64("NaT"), decimal.Decimal("NaN")])
    ['2026-03-14T00:00:00.000000000', None, None]
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [plain(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return plain(value.to_dict())
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value] if value.dtype.kind in "mMO" or value.ndim > 1 \
            else plain(value.tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value)
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else value / np.timedelta64(1, "s")  # seconds
    if isinstance(value, decimal.Decimal):
        return plain(float(value))
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, (_dt.datetime, _dt.date, pd.Timestamp)):
        return value.isoformat()
    return str(value)
