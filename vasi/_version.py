"""The package's version, and the versions of what its numbers depend on (provenance)."""

import functools

__version__ = "0.1.0"


def library_versions() -> dict:
    """Versions of ``vasi`` and of the libraries its numbers depend on, for provenance
    (decoders too: Pillow reads the metadata and orientation; the optional HEIC and DICOM
    decoders when installed).

    >>> {"vasi", "numpy", "opencv", "scikit-image", "scipy", "pandas", "pillow"} <= set(library_versions())
    True
    """
    return dict(_versions())  # (a copy: the caller may add to it)


@functools.lru_cache(maxsize=1)
def _versions() -> dict:
    import importlib.metadata as md

    import cv2
    import numpy as np
    import pandas as pd
    import PIL
    import scipy
    import skimage

    out = {"vasi": __version__, "numpy": np.__version__, "opencv": cv2.__version__,
           "scikit-image": skimage.__version__, "scipy": scipy.__version__,
           "pandas": pd.__version__, "pillow": PIL.__version__}
    for dist in ("pillow-heif", "pydicom"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out
