"""The BiMo web application (FastAPI, server-rendered Jinja2 + htmx).

Thin over the domain packages: authorisation decisions come from
:mod:`bimo.accounts.policy`; no domain package imports this one.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for FastAPI and the whole app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.web.app import create_app
    from bimo.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]

_EXPORTS: dict[str, str] = {
    "WebSettings": "bimo.web.settings",
    "create_app": "bimo.web.app",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
