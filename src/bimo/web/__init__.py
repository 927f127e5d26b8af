"""The BiMo web application (FastAPI, server-rendered Jinja2 + htmx).

Thin over the domain packages: authorisation decisions come from
:mod:`bimo.accounts.policy`; no domain package imports this one.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for FastAPI and the whole app.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimo.web.app import create_app
    from bimo.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]

_EXPORTS: dict[str, str] = {
    "WebSettings": "bimo.web.settings",
    "create_app": "bimo.web.app",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if not name.startswith("__"):
            # Submodules stay reachable as attributes (``pkg.submodule``), as when the eager
            # imports had loaded them.
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
