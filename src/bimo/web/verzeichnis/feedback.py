"""The feedback form ``/rueckmeldung`` (anonymous) and its list for the Redaktion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Principal
from bimo.directory import FEEDBACK_ANLIEGEN, FeedbackInput, ValidationFailed, list_feedback
from bimo.directory import submit_feedback as store_feedback
from bimo.web.deps import current_principal, web_context
from bimo.web.rendering import render
from bimo.web.verzeichnis.common import editor_guard

router = APIRouter()


def _form(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    context = {
        "title": "Rückmeldung geben",
        "anliegen_liste": FEEDBACK_ANLIEGEN,
        "werte": values,
        "fehler": errors or {},
    }
    return render(
        request, "verzeichnis/rueckmeldung.html", context, status_code=422 if errors else 200
    )


@router.get("/rueckmeldung", name="rueckmeldung_formular", response_class=HTMLResponse)
def rueckmeldung_formular(request: Request, anliegen: str = "") -> Response:
    # ?anliegen=BARRIERE preselects the topic (link from the Barrierefreiheit page).
    return _form(request, {"anliegen": anliegen if anliegen in FEEDBACK_ANLIEGEN else ""})


@router.post("/rueckmeldung", name="rueckmeldung_senden", response_class=HTMLResponse)
def rueckmeldung_senden(
    request: Request,
    anliegen: Annotated[str, Form(max_length=32)] = "",
    nachricht: Annotated[str, Form(max_length=20_000)] = "",
    kontakt_email: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    data = FeedbackInput(anliegen, nachricht, kontakt_email or None)
    try:
        with web_context(request).store.session() as db:
            store_feedback(db, data)
    except ValidationFailed as exc:
        values = {"anliegen": anliegen, "nachricht": nachricht, "kontakt_email": kontakt_email}
        return _form(request, values, exc.errors)
    return render(request, "verzeichnis/rueckmeldung_danke.html", {"title": "Vielen Dank"})


@router.get("/redaktion/rueckmeldungen", name="rueckmeldungen", response_class=HTMLResponse)
def rueckmeldungen(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    if (redirect := editor_guard(request, principal)) is not None:
        return redirect
    with web_context(request).store.session() as db:
        context = {
            "title": "Rückmeldungen",
            "nachrichten": list_feedback(db),
            "anliegen_liste": FEEDBACK_ANLIEGEN,
        }
        return render(request, "verzeichnis/rueckmeldungen.html", context)
