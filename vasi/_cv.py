"""OpenCV helpers shared by several modules."""

from __future__ import annotations

import cv2
import numpy as np

#: OpenCV raises (instead of corrupting memory) when 16-bit labels overflow only from 5.0
#: on (opencv/opencv#23490, fixed after 4.12); older versions always use 32-bit labels.
_CC16_SAFE = int(cv2.__version__.split(".")[0]) >= 5


def components_with_stats(mask_u8: np.ndarray, connectivity: int = 8):
    """:func:`cv2.connectedComponentsWithStats` of a uint8 mask with 16-bit labels where that
    is safe -- OpenCV's sequential labelling, 1.5-3x faster than the 32-bit path -- and
    32-bit labels when a mask has more than 65 535 components (or OpenCV is older).

    >>> n, labels, stats, _ = components_with_stats(np.eye(4, dtype=np.uint8))
    >>> n, labels.dtype.itemsize in (2, 4), int(stats[1, cv2.CC_STAT_AREA])
    (2, True, 4)
    """
    if _CC16_SAFE:
        try:
            return cv2.connectedComponentsWithStats(mask_u8, connectivity=connectivity,
                                                    ltype=cv2.CV_16U)
        except cv2.error:
            pass
    return cv2.connectedComponentsWithStats(mask_u8, connectivity=connectivity,
                                            ltype=cv2.CV_32S)
