"""The site vocabulary: how a site's name is scored.

F-VASI is scored for the face (site ``face``, and the face's words such as ``cheek``); any
other name is a body site, scored as ``body`` (T-VASI) and kept by name in the tables. One
rule for the library's functions, manifests, photo folders and the command line.
"""

from __future__ import annotations

import re

from .errors import InputError

__all__ = ["FACE_WORDS", "site_name", "scored_site"]

#: Site names that mean the face (F-VASI is scored for site ``face``; they become ``face``).
FACE_WORDS = frozenset({"face", "facial", "cheek", "cheeks", "forehead", "chin", "perioral",
                        "periorbital", "periocular", "nose", "temple", "temples", "jaw"})


def site_name(site) -> str:
    """A site as the tables name it: lower case; the face's words (``FACE_WORDS``: cheek,
    forehead, ...) are ``face``, other names are body sites. A name that is a near miss of
    ``face`` (a typo would score a face as a body site) or not a simple name is an
    :class:`~vasi.errors.InputError`.

    >>> site_name("Cheek"), site_name("left-forearm"), site_name("sacrum")
    ('face', 'left-forearm', 'sacrum')
    >>> site_name("fcae")
    Traceback (most recent call last):
    ...
    vasi.errors.InputError: site 'fcae' is not a known site; did you mean 'face'? (only the face's names are scored as a face; other names are body sites)
    """
    import difflib

    if not isinstance(site, str):
        raise InputError(f"site must be a name such as 'face', 'hands' or 'left-forearm'; got "
                         f"{site!r}.")
    word = site.strip().lower()
    if not re.fullmatch(r"[^\W_][\w-]{0,47}", word):  # (letters of any alphabet)
        raise InputError(f"site {site!r} is not a simple name (letters, digits, _ or -; e.g. "
                         "face, hands, trunk)")
    if word in FACE_WORDS:
        return "face"
    if difflib.get_close_matches(word, ["face", "facial"], n=1, cutoff=0.75):
        raise InputError(f"site {site!r} is not a known site; did you mean 'face'? (only the "
                         "face's names are scored as a face; other names are body sites)")
    return word


def scored_site(site) -> str:
    """How a site is scored: ``"face"`` (F-VASI) for the face's names, else ``"body"``.

    >>> scored_site("cheek"), scored_site("forearm")
    ('face', 'body')
    """
    return "face" if site_name(site) == "face" else "body"
