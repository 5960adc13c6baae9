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


def die_at_start():
    """A worker initializer that dies: workers that cannot start (e.g. a script without the
    ``__main__`` guard, which each worker re-runs on import)."""
    os._exit(3)


def crash_on_first_three(task):
    """A worker that dies on patients P000-P002 (every series first in flight)."""
    if task.key < "P003":
        os._exit(3)
    return score_series(task)
