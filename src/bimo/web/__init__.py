"""The BiMo web application (FastAPI, server-rendered Jinja2 + htmx).

Thin over the domain packages: authorisation decisions come from
:mod:`bimo.accounts.policy`; no domain package imports this one.
"""

from __future__ import annotations

from bimo.web.app import create_app
from bimo.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
