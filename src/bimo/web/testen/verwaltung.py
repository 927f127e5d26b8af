"""The Land's test administration (:data:`Action.MANAGE_TESTS`): tests from the item bank."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Action, Principal
from bimo.assessment.delivery.design import design_balance
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.tests import (
    booklet_design,
    cluster_refs,
    create_test,
    list_tests,
)
from bimo.web.deps import authorize, current_principal, web_context
from bimo.web.intern.common import need_login
from bimo.web.rendering import render
from bimo.web.testen.common import bank_for

router = APIRouter()
PrincipalDep = Annotated[Principal, Depends(current_principal)]

_SPLIT = re.compile(r"[\s,;]+")


def parse_clusters(text: str) -> list[list[str]]:
    """One cluster per line; item references separated by blanks, commas or semicolons."""
    return [
        [ref for ref in _SPLIT.split(line.strip()) if ref]
        for line in text.splitlines()
        if line.strip()
    ]


def _page(
    request: Request,
    *,
    fehler: str = "",
    meldung: str = "",
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    bank = bank_for(request)
    with web_context(request).store.session() as db:
        tests = []
        for t in list_tests(db):
            design = booklet_design(t)
            balance = design_balance(design)
            tests.append(
                {
                    "key": t.key,
                    "titel": t.title,
                    "bereich": t.domain,
                    "jahrgang": t.grade,
                    "cluster": len(cluster_refs(t)),
                    "hefte": len(design),
                    "bloecke": len(design[0]) if design else 0,
                    "minuten": t.block_minutes,
                    "paarbalanciert": balance.pairs_balanced,
                }
            )
    items = [
        {
            "ref": f"{i.item_id}@v{i.version}",
            "titel": i.title,
            "art": ", ".join(i.interactions),
            "status": i.metadata.status,
            "offen": i.processing is None,
        }
        for i in bank.list_items()
    ]
    return render(
        request,
        "testen/verwaltung.html",
        {
            "title": "Tests verwalten",
            "active": "intern",
            "tests": tests,
            "aufgaben": items,
            "fehler": fehler,
            "meldung": meldung,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/intern/tests/verwaltung", name="intern_tests_verwaltung", response_class=HTMLResponse)
def administration(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.MANAGE_TESTS)
    return _page(request)


@router.post(
    "/intern/tests/verwaltung", name="intern_tests_test_anlegen", response_class=HTMLResponse
)
def create(
    request: Request,
    principal: PrincipalDep,
    kennung: Annotated[str, Form(max_length=64)],
    titel: Annotated[str, Form(max_length=200)],
    bereich: Annotated[str, Form(max_length=64)],
    jahrgang: Annotated[int, Form(ge=1, le=13)],
    cluster: Annotated[str, Form(max_length=20_000)],
    bloecke: Annotated[int, Form(ge=1, le=20)],
    minuten: Annotated[int, Form(ge=1, le=180)],
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.MANAGE_TESTS)
    assert principal.login is not None
    form = {
        "kennung": kennung,
        "titel": titel,
        "bereich": bereich,
        "jahrgang": str(jahrgang),
        "cluster": cluster,
        "bloecke": str(bloecke),
        "minuten": str(minuten),
    }
    try:
        with web_context(request).store.session() as db:
            test = create_test(
                db,
                key=kennung,
                title=titel,
                domain=bereich,
                grade=jahrgang,
                clusters=parse_clusters(cluster),
                positions=bloecke,
                block_minutes=minuten,
                bank=bank_for(request),
                actor=principal.login,
            )
            key = test.key
    except DeliveryError as exc:
        return _page(request, fehler=str(exc), form=form, status_code=400)
    return _page(request, meldung=f"Der Test {key} ist angelegt.")
