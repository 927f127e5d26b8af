"""JSON API of the directory: offers (read by anyone, written by the Redaktion) and actors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from bimo.accounts.policy import Action, OfferRef, Principal, can
from bimo.directory import (
    DirectoryActor,
    DirectoryOffer,
    OfferFilter,
    OfferInput,
    ValidationFailed,
    create_offer,
    delete_offer,
    get_actor,
    get_offer,
    list_actors,
    search_offers,
    update_offer,
)
from bimo.web.deps import current_principal, web_context
from bimo.web.verzeichnis.common import ensure_directory

router = APIRouter(tags=["Verzeichnis"])

_ID = r"^[A-Za-z0-9_-]{1,40}$"
_NOT_FOUND_OFFER = "Dieses Angebot gibt es nicht."
_NOT_FOUND_ACTOR = "Diesen Akteur gibt es nicht."


class Angebot(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    offer_id: str = Field(description="Kennung des Angebots")
    actor_id: str = Field(description="Kennung des anbietenden Akteurs")
    akteur_name: str = Field(description="Name des Akteurs")
    titel: str
    beschreibung: str | None
    kategorie: str = Field(description="Code der Liste angebot_kategorie")
    altersgruppe: str = Field(description="Code der Liste altersgruppe")
    thema: str
    gemeinde_ags: str

    @classmethod
    def of(cls, offer: DirectoryOffer) -> Angebot:
        return cls(
            offer_id=offer.id,
            actor_id=offer.actor_id,
            akteur_name=offer.actor.name,
            titel=offer.titel,
            beschreibung=offer.beschreibung,
            kategorie=offer.kategorie,
            altersgruppe=offer.altersgruppe,
            thema=offer.thema,
            gemeinde_ags=offer.gemeinde_ags,
        )


class AngebotEingabe(BaseModel):
    """Fields of a new or changed offer (validated by the service, errors in German)."""

    model_config = ConfigDict(extra="forbid")

    offer_id: str | None = Field(
        default=None, pattern=_ID, description="Nur beim Anlegen; ohne Angabe vergeben"
    )
    actor_id: str = Field(max_length=40)
    titel: str = Field(max_length=200)
    beschreibung: str | None = Field(default=None, max_length=5000)
    kategorie: str = Field(max_length=16)
    altersgruppe: str = Field(max_length=16)
    thema: str = Field(max_length=100)
    gemeinde_ags: str = Field(max_length=8)

    def to_input(self) -> OfferInput:
        return OfferInput(
            self.actor_id,
            self.titel,
            self.kategorie,
            self.altersgruppe,
            self.thema,
            self.gemeinde_ags,
            self.beschreibung,
        )


class AngebotSeite(BaseModel):
    gesamt: int = Field(description="Zahl aller passenden Angebote")
    seite: int
    pro_seite: int
    angebote: list[Angebot]


class Akteur(BaseModel):
    actor_id: str
    name: str
    kategorie: str
    gemeinde_ags: str
    adresse: str | None
    url: str | None

    @classmethod
    def of(cls, actor: DirectoryActor) -> Akteur:
        return cls(
            actor_id=actor.id,
            name=actor.name,
            kategorie=actor.kategorie,
            gemeinde_ags=actor.gemeinde_ags,
            adresse=actor.adresse,
            url=actor.url,
        )


class AkteurMitAngeboten(Akteur):
    angebote: list[str] = Field(description="Kennungen der Angebote des Akteurs")


class Fehler(BaseModel):
    detail: str


class Validierungsfehler(BaseModel):
    detail: str
    fehler: dict[str, str] = Field(description="Feld → Meldung")


def _error(status: int, detail: str) -> JSONResponse:
    # Returned, not raised: the app's error handler would replace the text of a 401/404
    # with a generic one, and API clients should learn which object is missing.
    return JSONResponse({"detail": detail}, status_code=status)


def _writer(principal: Principal, offer_id: str | None) -> str | JSONResponse:
    """401 for anonymous callers, 403 without EDIT_OFFER; else the login for the audit log."""
    if not principal.authenticated:
        return _error(401, "Bitte melden Sie sich an.")
    if not can(principal, Action.EDIT_OFFER, OfferRef(offer_id)):
        return _error(403, "Sie dürfen das Verzeichnis nicht bearbeiten.")
    return principal.login or "unbekannt"


def _invalid(exc: ValidationFailed) -> Response:
    body = Validierungsfehler(detail=str(exc), fehler=exc.errors)
    return Response(body.model_dump_json(), status_code=422, media_type="application/json")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
_WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": Fehler},
    403: {"model": Fehler},
    404: {"model": Fehler},
    422: {"model": Validierungsfehler},
}
Filter = Annotated[str | None, Query(max_length=200)]


@router.get("/angebote", response_model=AngebotSeite, name="api_angebote")
def angebote(
    request: Request,
    text: Filter = None,
    kategorie: Filter = None,
    altersgruppe: Filter = None,
    thema: Filter = None,
    gemeinde_ags: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    kreis_ags: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    seite: Annotated[int, Query(ge=1, le=100_000)] = 1,
    pro_seite: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AngebotSeite:
    """Angebote suchen (alle Filter zusammen; Text ohne Groß-/Kleinschreibung)."""
    ctx = web_context(request)
    ensure_directory(ctx)
    filters = OfferFilter(text, kategorie, altersgruppe, thema, gemeinde_ags, kreis_ags)
    with ctx.store.session() as db:
        result = search_offers(db, filters, page=seite, per_page=pro_seite)
        return AngebotSeite(
            gesamt=result.total,
            seite=result.page,
            pro_seite=result.per_page,
            angebote=[Angebot.of(o) for o in result.items],
        )


@router.get(
    "/angebote/{offer_id}",
    response_model=Angebot,
    responses={404: {"model": Fehler}},
    name="api_angebot",
)
def angebot(request: Request, offer_id: str) -> Angebot | Response:
    with web_context(request).store.session() as db:
        offer = get_offer(db, offer_id)
        if offer is None:
            return _error(404, _NOT_FOUND_OFFER)
        return Angebot.of(offer)


@router.post(
    "/angebote",
    response_model=Angebot,
    status_code=201,
    responses=_WRITE_RESPONSES,
    name="api_angebot_anlegen",
)
def angebot_anlegen(
    request: Request, principal: CurrentPrincipal, eingabe: AngebotEingabe
) -> Angebot | Response:
    login = _writer(principal, None)
    if isinstance(login, Response):
        return login
    try:
        with web_context(request).store.session() as db:
            offer = create_offer(db, eingabe.to_input(), actor=login, offer_id=eingabe.offer_id)
            return Angebot.of(offer)
    except ValidationFailed as exc:
        return _invalid(exc)


@router.put(
    "/angebote/{offer_id}",
    response_model=Angebot,
    responses=_WRITE_RESPONSES,
    name="api_angebot_aendern",
)
def angebot_aendern(
    request: Request, principal: CurrentPrincipal, offer_id: str, eingabe: AngebotEingabe
) -> Angebot | Response:
    login = _writer(principal, offer_id)
    if isinstance(login, Response):
        return login
    try:
        with web_context(request).store.session() as db:
            if get_offer(db, offer_id) is None:
                return _error(404, _NOT_FOUND_OFFER)
            offer = update_offer(db, offer_id, eingabe.to_input(), actor=login)
            return Angebot.of(offer)
    except ValidationFailed as exc:
        return _invalid(exc)


@router.delete(
    "/angebote/{offer_id}",
    status_code=204,
    response_class=Response,
    responses=_WRITE_RESPONSES,
    name="api_angebot_loeschen",
)
def angebot_loeschen(request: Request, principal: CurrentPrincipal, offer_id: str) -> Response:
    login = _writer(principal, offer_id)
    if isinstance(login, Response):
        return login
    with web_context(request).store.session() as db:
        if get_offer(db, offer_id) is None:
            return _error(404, _NOT_FOUND_OFFER)
        delete_offer(db, offer_id, actor=login)
    return Response(status_code=204)


@router.get("/akteure", response_model=list[Akteur], name="api_akteure")
def akteure(
    request: Request,
    gemeinde_ags: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    kategorie: Filter = None,
) -> list[Akteur]:
    ctx = web_context(request)
    ensure_directory(ctx)
    with ctx.store.session() as db:
        return [
            Akteur.of(a) for a in list_actors(db, gemeinde_ags=gemeinde_ags, kategorie=kategorie)
        ]


@router.get(
    "/akteure/{actor_id}",
    response_model=AkteurMitAngeboten,
    responses={404: {"model": Fehler}},
    name="api_akteur",
)
def akteur(request: Request, actor_id: str) -> AkteurMitAngeboten | Response:
    with web_context(request).store.session() as db:
        actor = get_actor(db, actor_id)
        if actor is None:
            return _error(404, _NOT_FOUND_ACTOR)
        return AkteurMitAngeboten(
            **Akteur.of(actor).model_dump(), angebote=sorted(o.id for o in actor.offers)
        )
