"""Atomic file writes: write to a temporary file in the same folder, then rename.

A reader never sees a half-written file, and an interrupted run leaves either the old
file or the new one, never a truncated mix.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # created like any new file (mode 0666 less the umask: readable by colleagues where the
    # umask allows), not tempfile's private 0600
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.part"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(path, data: bytes) -> Path:
    """Atomically write ``data`` to ``path`` and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path, text: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path`` and return the path."""
    return write_bytes(path, text.encode("utf-8"))
