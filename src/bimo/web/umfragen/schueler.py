"""The anonymous student pages: enter the code, answer, thank-you page.

Privacy by construction: the code travels only in POST bodies (never in a URL, so it reaches
no access log, history or Referer); nothing here reads the client address, the user agent or
the time; the answers go to :func:`bimo.surveys.rounds.submit_answers`, which stores them
without any link to the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from bimo.surveys.instrument import LABELS, Instrument
from bimo.surveys.rounds import MAX_OPEN_TEXT, SurveyError, round_for_code, submit_answers
from bimo.web.deps import web_context
from bimo.web.rendering import render
from bimo.web.umfragen.common import band_for, instrument

router = APIRouter()

# Generous upper bound for the code field (10 characters; people add spaces and dashes).
CODE_MAX = 64


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    number: int
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]


def _sections(inst: Instrument, jahrgang: int) -> tuple[list[Section], list[Question]]:
    wording = inst.wording(band_for(inst, jahrgang))
    sections: list[Section] = []
    number = 0
    for scale in inst.skalen:
        options = tuple(Option(i + 1, label) for i, label in enumerate(LABELS[scale.antwortformat]))
        questions = []
        for item in scale.items:
            number += 1
            questions.append(Question(item.id, number, wording[item.id], options))
        sections.append(Section(scale.titel, tuple(questions)))
    open_questions = []
    for q in inst.offene_fragen:
        number += 1
        open_questions.append(Question(q.id, number, wording[q.id], ()))
    return sections, open_questions


def _code_page(
    request: Request, *, fehler: str = "", code: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "umfragen/code.html",
        {"title": "Umfrage", "fehler": fehler, "code": code, "code_max": CODE_MAX},
        status_code=status_code,
    )


def _questionnaire(
    request: Request,
    code: str,
    instrument_id: str,
    jahrgang: int,
    *,
    answers: Mapping[str, int | str | None] | None = None,
    fehler: str = "",
    status_code: int = 200,
) -> Response:
    inst = instrument(instrument_id)
    sections, open_questions = _sections(inst, jahrgang)
    response = render(
        request,
        "umfragen/fragebogen.html",
        {
            "title": inst.titel,
            "fragebogen": inst,
            "abschnitte": sections,
            "offene": open_questions,
            "anzahl": sum(len(s.questions) for s in sections) + len(open_questions),
            "code": code,
            "antworten": dict(answers or {}),
            "fehler": fehler,
            "text_max": MAX_OPEN_TEXT,
        },
        status_code=status_code,
    )
    # The page carries the code (and maybe answers): a shared device must not keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/umfrage", name="umfrage_start", response_class=HTMLResponse)
def survey_start(request: Request) -> Response:
    return _code_page(request)


@router.post("/umfrage", name="umfrage_code", response_class=HTMLResponse)
def survey_code(request: Request, code: Annotated[str, Form(max_length=CODE_MAX)] = "") -> Response:
    code = code.strip()
    if not code:
        return _code_page(request, fehler="Bitte gib deinen Code ein.", status_code=422)
    try:
        with web_context(request).store.session() as db:
            survey_round = round_for_code(db, code)
            instrument_id, jahrgang = survey_round.instrument_id, survey_round.jahrgang
    except SurveyError as exc:
        return _code_page(request, fehler=str(exc), code=code, status_code=422)
    return _questionnaire(request, code, instrument_id, jahrgang)


def _answers(form: FormData, inst: Instrument) -> dict[str, int | str | None]:
    """The answers of the instrument's questions as :func:`submit_answers` takes them
    (unanswered: ``None``). Values are passed on as sent: ``submit_answers`` is the one place
    that validates them against the instrument, with messages a student understands."""
    answers: dict[str, int | str | None] = {}
    for question_id in [*inst.item_ids, *(q.id for q in inst.offene_fragen)]:
        raw = form.get(question_id)
        answers[question_id] = raw.strip() or None if isinstance(raw, str) else None
    return answers


@router.post("/umfrage/antworten", name="umfrage_antworten", response_class=HTMLResponse)
async def survey_answers(request: Request) -> Response:
    form = await request.form(max_fields=200)
    raw_code = form.get("code")
    code = raw_code.strip() if isinstance(raw_code, str) else ""
    if not code or len(code) > CODE_MAX:
        return _code_page(request, fehler="Bitte gib deinen Code ein.", status_code=422)
    # The database work is synchronous: off the event loop like every sync route.
    return await run_in_threadpool(_submit, request, form, code)


def _submit(request: Request, form: FormData, code: str) -> Response:
    store = web_context(request).store
    try:
        with store.session() as db:
            survey_round = round_for_code(db, code)
            instrument_id, jahrgang = survey_round.instrument_id, survey_round.jahrgang
    except SurveyError as exc:
        return _code_page(request, fehler=str(exc), status_code=422)
    answers = _answers(form, instrument(instrument_id))
    try:
        with store.session() as db:
            submit_answers(db, code, answers)
    except SurveyError as exc:
        return _questionnaire(
            request,
            code,
            instrument_id,
            jahrgang,
            answers=answers,
            fehler=str(exc),
            status_code=422,
        )
    return render(request, "umfragen/danke.html", {"title": "Danke"})
