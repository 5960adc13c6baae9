"""Work computed ahead in background threads, or on demand: the same results either way."""

from __future__ import annotations


class Ahead:
    """``fn(key)`` for every key: computed ahead, in order, by ``threads`` background threads
    (named ``name``) when ``background`` (the caller meanwhile does other work), else on
    demand in the caller's thread. Results (and exceptions, raised by :meth:`get`) are the
    same either way (``fn`` of one key must not depend on another's). Call :meth:`close`
    when done (after an error it drops what has not started).

    >>> ahead = Ahead(lambda k: k * k, [2, 3], background=True)
    >>> ahead.get(3), ahead.get(2)
    (9, 4)
    >>> ahead.close()
    """

    threads = 1
    name = "vasi"

    def __init__(self, fn, keys, *, background, threads=None, name=None):
        self._fn = fn
        self._pool = None
        self._futures = {}
        if background and keys:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(threads or self.threads,
                                            thread_name_prefix=name or self.name)
            self._futures = {k: self._pool.submit(fn, k) for k in keys}

    def get(self, key):
        return self._fn(key) if self._pool is None else self._futures[key].result()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
