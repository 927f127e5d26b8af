"""Public pages of the directory: search with filters, offer and actor details."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Action, OfferRef, can
from bimo.directory import OfferFilter, get_actor, get_offer, list_themes, search_offers
from bimo.web.deps import current_principal, web_context
from bimo.web.rendering import render
from bimo.web.verzeichnis.common import code_context, ensure_directory

router = APIRouter()
PER_PAGE = 20

Text = Annotated[str, Query(max_length=200)]


@router.get("/angebote", name="verzeichnis", response_class=HTMLResponse)
def verzeichnis(
    request: Request,
    text: Text = "",
    kategorie: Text = "",
    altersgruppe: Text = "",
    thema: Text = "",
    gemeinde: Text = "",
    kreis: Text = "",
    seite: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    ctx = web_context(request)
    ensure_directory(ctx)
    chosen = {
        "text": text.strip(),
        "kategorie": kategorie,
        "altersgruppe": altersgruppe,
        "thema": thema,
        "gemeinde": gemeinde,
        "kreis": kreis,
    }
    filters = OfferFilter(
        text=chosen["text"] or None,
        kategorie=kategorie or None,
        altersgruppe=altersgruppe or None,
        thema=thema or None,
        gemeinde_ags=gemeinde or None,
        kreis_ags=kreis or None,
    )
    with ctx.store.session() as db:
        result = search_offers(db, filters, page=seite, per_page=PER_PAGE)
        context = {
            "title": "Bildungsangebote",
            "active": "verzeichnis",
            "ergebnis": result,
            "gewaehlt": chosen,
            "themen": list_themes(db),
            # Links to other pages keep every filter (GET form: shareable, bookmarkable).
            "seiten_query": urlencode({k: v for k, v in chosen.items() if v}),
            "darf_bearbeiten": can(current_principal(request), Action.EDIT_OFFER, OfferRef()),
            **code_context(db, ctx),
        }
        block = "ergebnisse" if request.headers.get("HX-Request") else None
        return render(request, "verzeichnis/suche.html", context, block_name=block)


@router.get("/angebote/{offer_id}", name="angebot", response_class=HTMLResponse)
def angebot(request: Request, offer_id: str) -> Response:
    ctx = web_context(request)
    with ctx.store.session() as db:
        offer = get_offer(db, offer_id)
        if offer is None:
            raise HTTPException(404, "Dieses Angebot gibt es nicht (mehr).")
        context = {
            "title": offer.titel,
            "active": "verzeichnis",
            "angebot": offer,
            "darf_bearbeiten": can(
                current_principal(request), Action.EDIT_OFFER, OfferRef(offer.id)
            ),
            **code_context(db, ctx),
        }
        return render(request, "verzeichnis/angebot.html", context)


@router.get("/akteure/{actor_id}", name="akteur", response_class=HTMLResponse)
def akteur(request: Request, actor_id: str) -> Response:
    ctx = web_context(request)
    with ctx.store.session() as db:
        actor = get_actor(db, actor_id)
        if actor is None:
            raise HTTPException(404, "Diesen Akteur gibt es nicht (mehr).")
        context = {
            "title": actor.name,
            "active": "verzeichnis",
            "akteur": actor,
            "angebote": sorted(actor.offers, key=lambda o: o.titel),
            **code_context(db, ctx),
        }
        return render(request, "verzeichnis/akteur.html", context)
