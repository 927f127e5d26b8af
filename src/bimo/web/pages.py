"""The pages of the foundation: start page, Mein Bereich and the legal pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Grant, Hierarchy, Principal
from bimo.accounts.roles import ROLE_LABELS, SCOPE_LABELS, Role, ScopeType, split_class_scope
from bimo.web.auth import login_redirect
from bimo.web.data import portal_data
from bimo.web.deps import current_principal, web_context
from bimo.web.portal.keyfigures import key_figures
from bimo.web.rendering import render

router = APIRouter()

# What each role may do, in the words of the policy (bimo.accounts.policy).
ROLE_RIGHTS: dict[Role, str] = {
    Role.LAND: "alle Indikatoren des Landes einschließlich interner Ebenen und "
    "Kreistyp-Vergleiche; Schulen des Landes",
    Role.KREIS: "interne Indikatoren des Kreises, seiner Gemeinden und seiner Schulen; "
    "Schulen des Kreises",
    Role.SCHULAUFSICHT: "Auswertungen der zugeordneten Schulen",
    Role.SCHULLEITUNG: "Auswertungen der eigenen Schule und ihrer Klassen",
    Role.LEHRKRAFT: "Auswertungen der eigenen Klasse",
    Role.FORSCHUNG: "veröffentlichte, geheimhaltungsgeprüfte Tabellen; Mikrodaten beantragen",
    Role.REDAKTION: "Bildungsangebote und Akteure pflegen",
    Role.ADMIN: "Benutzerkonten und Rollen verwalten, Protokoll einsehen (keine Datenrechte)",
}


def describe_scope(grant: Grant, hierarchy: Hierarchy) -> str:
    if grant.scope_type is ScopeType.GLOBAL:
        return "ohne Einschränkung auf Regionen oder Schulen"
    if grant.scope_type is ScopeType.KLASSE:
        schulnummer, klasse = split_class_scope(grant.scope_id)
        school = hierarchy.names.get(schulnummer)
        where = f"{school} ({schulnummer})" if school else f"Schule {schulnummer}"
        return f"Klasse {klasse}, {where}"
    label = SCOPE_LABELS[grant.scope_type]
    if grant.role is Role.SCHULAUFSICHT and grant.scope_type is ScopeType.KREIS:
        label = "alle Schulen im Kreis"
    name = hierarchy.names.get(grant.scope_id)
    return f"{label} {name} ({grant.scope_id})" if name else f"{label} {grant.scope_id}"


@router.get("/", response_class=HTMLResponse, name="startseite")
def start(request: Request) -> Response:
    data = portal_data(request)
    context = {
        "title": "Startseite",
        "active": "start",
        "kennzahlen": key_figures(data),
        "land_name": data.region_name(data.land_ags) if data.land_ags else None,
    }
    return render(request, "start.html", context)


@router.get("/mein-bereich", response_class=HTMLResponse, name="mein_bereich")
def my_area(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    if not principal.authenticated:
        return login_redirect(request)
    hierarchy = web_context(request).hierarchy.get()
    roles = [
        {
            "rolle": ROLE_LABELS[grant.role],
            "bereich": describe_scope(grant, hierarchy),
            "rechte": ROLE_RIGHTS[grant.role],
        }
        for grant in principal.raw_grants
    ]
    return render(
        request,
        "mein_bereich.html",
        {"title": "Mein Bereich", "active": "mein-bereich", "rollen": roles},
    )


def _static_page(name: str, title: str) -> None:
    def page(request: Request) -> Response:
        return render(request, f"seiten/{name}.html", {"title": title})

    router.add_api_route(f"/{name}", page, methods=["GET"], name=name, response_class=HTMLResponse)


_static_page("impressum", "Impressum")
_static_page("datenschutz", "Datenschutz")
_static_page("barrierefreiheit", "Erklärung zur Barrierefreiheit")
