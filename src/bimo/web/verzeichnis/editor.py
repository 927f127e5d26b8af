"""Editor pages ``/redaktion/angebote/…``: create, change and delete offers (EDIT_OFFER)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bimo.accounts.policy import Principal
from bimo.directory import (
    DirectoryOffer,
    OfferInput,
    ValidationFailed,
    create_offer,
    delete_offer,
    get_offer,
    list_actors,
    update_offer,
)
from bimo.web.deps import current_principal, web_context
from bimo.web.rendering import render
from bimo.web.verzeichnis.common import code_context, editor_guard

router = APIRouter(prefix="/redaktion/angebote")

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Field = Annotated[str, Form(max_length=5000)]


def _form_values(offer: DirectoryOffer | None) -> dict[str, str]:
    keys = ("actor_id", "titel", "beschreibung", "kategorie", "altersgruppe", "thema")
    values = {k: (getattr(offer, k) or "") if offer else "" for k in keys}
    values["gemeinde_ags"] = offer.gemeinde_ags if offer else ""
    return values


def _form_page(
    request: Request,
    offer_id: str | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    ctx = web_context(request)
    with ctx.store.session() as db:
        context = {
            "title": "Angebot bearbeiten" if offer_id else "Neues Angebot",
            "active": "verzeichnis",
            "offer_id": offer_id,
            "werte": values,
            "fehler": errors or {},
            "akteure": list_actors(db),
            **code_context(db, ctx),
        }
    return render(request, "verzeichnis/editor.html", context, status_code=422 if errors else 200)


@router.get("/neu", name="angebot_neu", response_class=HTMLResponse)
def new_form(request: Request, principal: CurrentPrincipal) -> Response:
    return editor_guard(request, principal) or _form_page(request, None, _form_values(None))


@router.post("/neu", name="angebot_anlegen", response_class=HTMLResponse)
def create(
    request: Request,
    principal: CurrentPrincipal,
    actor_id: Field = "",
    titel: Field = "",
    beschreibung: Field = "",
    kategorie: Field = "",
    altersgruppe: Field = "",
    thema: Field = "",
    gemeinde_ags: Field = "",
) -> Response:
    if (redirect := editor_guard(request, principal)) is not None:
        return redirect
    data = OfferInput(actor_id, titel, kategorie, altersgruppe, thema, gemeinde_ags, beschreibung)
    try:
        with web_context(request).store.session() as db:
            offer = create_offer(db, data, actor=principal.login or "unbekannt")
            offer_id = offer.id
    except ValidationFailed as exc:
        return _form_page(request, None, vars_of(data), exc.errors)
    return RedirectResponse(request.url_for("angebot", offer_id=offer_id).path, status_code=303)


@router.get("/{offer_id}/bearbeiten", name="angebot_bearbeiten", response_class=HTMLResponse)
def edit_form(request: Request, principal: CurrentPrincipal, offer_id: str) -> Response:
    if (redirect := editor_guard(request, principal, offer_id)) is not None:
        return redirect
    with web_context(request).store.session() as db:
        offer = get_offer(db, offer_id)
        if offer is None:
            raise HTTPException(404, "Dieses Angebot gibt es nicht (mehr).")
        values = _form_values(offer)
    return _form_page(request, offer_id, values)


@router.post("/{offer_id}/bearbeiten", name="angebot_speichern", response_class=HTMLResponse)
def save(
    request: Request,
    principal: CurrentPrincipal,
    offer_id: str,
    actor_id: Field = "",
    titel: Field = "",
    beschreibung: Field = "",
    kategorie: Field = "",
    altersgruppe: Field = "",
    thema: Field = "",
    gemeinde_ags: Field = "",
) -> Response:
    if (redirect := editor_guard(request, principal, offer_id)) is not None:
        return redirect
    data = OfferInput(actor_id, titel, kategorie, altersgruppe, thema, gemeinde_ags, beschreibung)
    with web_context(request).store.session() as db:
        if get_offer(db, offer_id) is None:
            raise HTTPException(404, "Dieses Angebot gibt es nicht (mehr).")
    try:
        with web_context(request).store.session() as db:
            update_offer(db, offer_id, data, actor=principal.login or "unbekannt")
    except ValidationFailed as exc:
        return _form_page(request, offer_id, vars_of(data), exc.errors)
    return RedirectResponse(request.url_for("angebot", offer_id=offer_id).path, status_code=303)


@router.get("/{offer_id}/loeschen", name="angebot_loeschen_frage", response_class=HTMLResponse)
def delete_confirm(request: Request, principal: CurrentPrincipal, offer_id: str) -> Response:
    if (redirect := editor_guard(request, principal, offer_id)) is not None:
        return redirect
    with web_context(request).store.session() as db:
        offer = get_offer(db, offer_id)
        if offer is None:
            raise HTTPException(404, "Dieses Angebot gibt es nicht (mehr).")
        context = {"title": "Angebot löschen", "active": "verzeichnis", "angebot": offer}
        return render(request, "verzeichnis/loeschen.html", context)


@router.post("/{offer_id}/loeschen", name="angebot_loeschen", response_class=HTMLResponse)
def delete(request: Request, principal: CurrentPrincipal, offer_id: str) -> Response:
    if (redirect := editor_guard(request, principal, offer_id)) is not None:
        return redirect
    with web_context(request).store.session() as db:
        if get_offer(db, offer_id) is None:
            raise HTTPException(404, "Dieses Angebot gibt es nicht (mehr).")
        delete_offer(db, offer_id, actor=principal.login or "unbekannt")
    return RedirectResponse(request.url_for("verzeichnis").path, status_code=303)


def vars_of(data: OfferInput) -> dict[str, str]:
    """The submitted values, to show them again next to the error messages."""
    return {k: v or "" for k, v in vars(data).items()}
