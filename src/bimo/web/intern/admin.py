"""Administration: user accounts and roles, and the audit log (no data access)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts import service
from bimo.accounts.policy import Action, Principal
from bimo.accounts.roles import (
    ROLE_LABELS,
    SCOPE_LABELS,
    AccountError,
    Role,
    parse_role,
    parse_scope_type,
)
from bimo.core.operational import list_events
from bimo.web.deps import authorize, current_principal, web_context
from bimo.web.intern.common import authorized, need_login
from bimo.web.rendering import render

router = APIRouter()
PrincipalDep = Annotated[Principal, Depends(current_principal)]
PAGE_SIZE = 50
ACTIONS = ("anlegen", "vergeben", "entziehen", "entsperren", "deaktivieren", "aktivieren")


def _users_page(
    request: Request, *, meldung: str = "", fehler: str = "", status_code: int = 200
) -> Response:
    with web_context(request).store.session() as db:
        users = [
            {
                "login": u.login,
                "name": u.display_name,
                "aktiv": u.active,
                "gesperrt": u.locked_until is not None,
                "rollen": [(g.role, g.scope_type, g.scope_id) for g in u.grants],
            }
            for u in service.list_users(db)
        ]
    return render(
        request,
        "intern/benutzer.html",
        {
            "title": "Benutzerverwaltung",
            "active": "intern",
            "benutzer": users,
            "rollen": [(r.value, ROLE_LABELS[r]) for r in Role],
            "bereiche": [(s.value, label) for s, label in SCOPE_LABELS.items()],
            "meldung": meldung,
            "fehler": fehler,
        },
        status_code=status_code,
    )


@router.get("/admin/benutzer", name="admin_benutzer", response_class=HTMLResponse)
def users(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.MANAGE_USERS)
    return _users_page(request)


def _apply(
    request: Request, actor: str, aktion: str, login: str, name: str, passwort: str,
    rolle: str, bereich: str, bereich_id: str,
) -> str:  # fmt: skip
    with web_context(request).store.session() as db:
        if aktion == "anlegen":
            service.create_user(db, login, name, passwort or None, actor=actor)
            return f"Benutzerkonto {login.strip().lower()} angelegt."
        if aktion == "vergeben":
            service.grant_role(
                db, login, parse_role(rolle), parse_scope_type(bereich), bereich_id, actor=actor
            )
            return f"Rolle {rolle} an {login} vergeben."
        if aktion == "entziehen":
            n = service.revoke_role(
                db, login, parse_role(rolle), parse_scope_type(bereich), bereich_id, actor=actor
            )
            return f"{n} Rolle(n) von {login} entzogen."
        if aktion == "entsperren":
            service.unlock(db, login, actor=actor)
            return f"Benutzerkonto {login} entsperrt."
        if aktion in ("deaktivieren", "aktivieren"):
            if aktion == "deaktivieren" and login.strip().lower() == actor:
                raise AccountError("Sie können Ihr eigenes Konto nicht deaktivieren.")
            service.set_active(db, login, aktion == "aktivieren", actor=actor)
            return f"Benutzerkonto {login} {aktion.removesuffix('en')}t."
    raise AccountError(f"Unbekannte Aktion {aktion!r}.")


@router.post("/admin/benutzer", name="admin_benutzer_aendern", response_class=HTMLResponse)
def change_user(
    request: Request,
    principal: Annotated[Principal, Depends(authorized(Action.MANAGE_USERS))],
    aktion: Annotated[str, Form(max_length=20)],
    login: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)] = "",
    passwort: Annotated[str, Form(max_length=1024)] = "",
    rolle: Annotated[str, Form(max_length=32)] = "",
    bereich: Annotated[str, Form(max_length=16)] = "",
    bereich_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    actor = principal.login or "unbekannt"
    try:
        message = _apply(request, actor, aktion, login, name, passwort, rolle, bereich, bereich_id)
    except AccountError as exc:
        return _users_page(request, fehler=str(exc), status_code=400)
    return _users_page(request, meldung=message)


@router.get("/admin/protokoll", name="admin_protokoll", response_class=HTMLResponse)
def audit_log(
    request: Request,
    principal: PrincipalDep,
    aktion: Annotated[str | None, Query(max_length=100)] = None,
    seite: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_AUDIT_LOG)
    aktion = (aktion or "").strip() or None
    with web_context(request).store.session() as db:
        # list_events returns the newest `limit` events oldest first: take one page more than
        # needed to know whether a next page exists.
        events = list_events(action=aktion, limit=seite * PAGE_SIZE + 1, db=db)
        events.reverse()
        page = [
            {
                "zeit": e.occurred_at.strftime("%d.%m.%Y %H:%M:%S"),
                "wer": e.actor,
                "aktion": e.action,
                "objekt": f"{e.object_type} {e.object_id or ''}".strip(),
                "details": ", ".join(f"{k}: {v}" for k, v in sorted(e.details.items())),
            }
            for e in events[(seite - 1) * PAGE_SIZE : seite * PAGE_SIZE]
        ]
    return render(
        request,
        "intern/protokoll.html",
        {
            "title": "Protokoll",
            "active": "intern",
            "ereignisse": page,
            "aktion": aktion or "",
            "seite": seite,
            "weiter": len(events) > seite * PAGE_SIZE,
        },
    )
