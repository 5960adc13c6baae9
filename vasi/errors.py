"""Exception types raised by :mod:`vasi`.

Every error that ``vasi`` raises on purpose is a :class:`VasiError`, so an application
can catch one type. :class:`VasiError` subclasses :class:`ValueError` because nearly all
of them are about bad input values.

Expected failures on real photos (no scale marker found, registration failed) are *not*
exceptions: they are falsy result objects carrying a reason (see ``DESIGN.md``).
"""

from __future__ import annotations

__all__ = ["VasiError", "PhotoError", "InputError"]


class VasiError(ValueError):
    """Base class of all errors raised deliberately by ``vasi``."""


class InputError(VasiError):
    """An argument has the wrong shape, dtype, range or value.

    The message names the parameter, what was received and how to fix it.
    """


class PhotoError(VasiError):
    """A photo file (or a region mask drawn for one) could not be read: missing, empty,
    corrupt, truncated, not an image, too large, or not the photo's size.

    Attributes
    ----------
    path : str
        The file that failed.
    problem : str
        A short description of what is wrong with it.
    kind : str
        What the file is: ``"photo"`` or ``"region mask"``.
    """

    def __init__(self, path, problem: str, kind: str = "photo"):
        self.path = str(path)
        self.problem = problem
        self.kind = kind
        super().__init__(f"cannot read {kind} {self.path!r}: {problem}")

    def __reduce__(self):  # keep picklable across processes (batch, dask)
        return (type(self), (self.path, self.problem, self.kind))
