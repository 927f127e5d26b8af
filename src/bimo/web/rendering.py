"""Template rendering with the context every page needs (principal, CSRF token, site name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from jinja2_fragments.fastapi import Jinja2Blocks

from bimo.accounts.config import get_account_settings
from bimo.core.config import get_settings
from bimo.web.deps import current_principal, web_context
from bimo.web.session import browser_session

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")

# Jinja2Blocks renders whole pages or, with block_name=…, one block (htmx partial updates).
templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block_name: str | None = None,
) -> Response:
    session = browser_session(request)
    accounts = get_account_settings()
    base: dict[str, Any] = {
        "principal": current_principal(request),
        # Root-relative links: correct behind any proxy, never mixed content.
        "path_for": lambda name, **params: str(request.app.url_path_for(name, **params)),
        "csrf_token": session.csrf_token,
        "site_name": web_context(request).settings.site_name,
        "min_cell": get_settings().min_cell,
        "lockout_attempts": accounts.lockout_attempts,
        "lockout_minutes": accounts.lockout_minutes,
        "title": "",
        "active": "",
    }
    base.update(context or {})
    response: Response = templates.TemplateResponse(
        request, template, base, status_code=status_code, block_name=block_name
    )
    return response
