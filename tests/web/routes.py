"""Every route of an app, flattened: FastAPI ≥ 0.165 keeps included routers as branches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


def _flatten(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            yield from contexts()
        else:
            yield route


def route_keys(app: FastAPI) -> set[tuple[str, str]]:
    """``(method, path)`` for every endpoint; a mount counts as ``("MOUNT", path)``."""
    keys: set[tuple[str, str]] = set()
    for route in _flatten(app.routes):
        path = getattr(route, "path", None)
        assert isinstance(path, str), f"Route ohne Pfad: {route!r}"
        if isinstance(route, Mount):
            keys.add(("MOUNT", path))
            continue
        methods = getattr(route, "methods", None) or set()
        keys.update((method, path) for method in methods if method not in IGNORED_METHODS)
    return keys
