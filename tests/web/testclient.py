"""Starlette's TestClient, imported without its httpx deprecation warning.

Starlette 1.10 prefers the ``httpx2`` package and warns (an error under this project's
``filterwarnings``) when it falls back to ``httpx``, which is what is installed. The warning is
about the client library only; behaviour is the same.
"""

from __future__ import annotations

import warnings

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient"]
