"""Limit BLAS threads (the engine defaults to one).

Multi-threaded OpenBLAS on small matrices spends more time synchronising threads than
computing — on a busy machine a 3000 × 40 calibration ran 8× slower with two threads than
with one. numpy bundles OpenBLAS without a public switch, so the library's own
``set_num_threads`` is called through ctypes when it can be found; otherwise nothing happens.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import numpy as np


@cache
def _openblas() -> tuple[ctypes.CDLL, str, str] | None:
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs_dir, "libscipy_openblas*.so*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for setter, getter in (
            ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"),
        ):
            if hasattr(lib, setter) and hasattr(lib, getter):
                return lib, setter, getter
    return None


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` BLAS threads (``None``: leave unchanged)."""
    found = _openblas() if n is not None else None
    if found is None or n is None:
        yield
        return
    lib, setter, getter = found
    before = int(getattr(lib, getter)())
    getattr(lib, setter)(ctypes.c_int(n))
    try:
        yield
    finally:
        getattr(lib, setter)(ctypes.c_int(before))
