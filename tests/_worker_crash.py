"""Batch functions whose worker process dies (imported by the pool's workers in
``test_batch.py``; module-level, so they pickle by reference)."""

from __future__ import annotations

import os

from vasi.batch_series import score_series


def crash_on_p002(task):
    """Score the series, except that the worker dies on patient P002's."""
    if task.key.startswith("P002"):
        os._exit(3)
    return score_series(task)


def always_crash(task):
    """A worker that dies on every series (as one that cannot start would)."""
    os._exit(3)
