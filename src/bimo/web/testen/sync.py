"""The player's sync API: answer changes in, acknowledgements and the resume state out.

Not part of the public API (``include_in_schema=False``): only the player script of the same
origin calls it. The attempt is identified by the ``bimo_test`` cookie (the raw token, set by
the code entry in :mod:`bimo.web.testen.spielen`), the write by the session's CSRF token in
``X-CSRF-Token`` (checked by the app-wide :func:`bimo.web.csrf.csrf_protect`).

* ``POST /test/api/antworten`` ``{"events": [{"seq": 1, "item": "id@v1", "value": …}, …]}``
  (at most :data:`~bimo.assessment.delivery.responses.MAX_EVENTS`) → ``{"bestaetigt_bis",
  "gespeichert", "doppelt", "abgelehnt": [{"seq", "grund"}], "status", "block", "restzeit_s"}``.
  The answer is sent only after the commit: the player may drop every queued change with
  ``seq ≤ bestaetigt_bis`` (refused ones included: they can never be stored).
* ``GET /test/api/stand`` → ``{"antworten": {item: value}, "letzte_seq", "bestaetigt_bis",
  "block", "restzeit_s", "status", "abgelaufen"}``; a resuming player continues numbering above
  ``letzte_seq`` (the highest stored seq) and re-sends its own queue.

``block`` is 0-based (the attempt's cluster position), ``restzeit_s`` the server clock.
Errors are JSON ``{"detail": "<German text>"}``: 401 no running attempt, 403 attempt locked,
409 conflicting or not yet open answers (the player keeps them queued), 503 database busy.

The hot path does no database work in the request: it hands the batch (with the hash of the
token) to the process's answer writer (:mod:`bimo.assessment.delivery.answer_writer`), where
all requests that arrive during a commit share the next transaction and its ``fsync`` (group
commit), and answers after that commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bimo.assessment.delivery.answer_writer import write_answers
from bimo.assessment.delivery.codes import hash_secret
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.models import Attempt, TestDefinition, TestSession
from bimo.assessment.delivery.responses import (
    MAX_EVENTS,
    AnswerEvent,
    AnswerWrite,
    AttemptLockedError,
    UnknownAttemptError,
    final_answers,
    last_stored_seq,
)
from bimo.assessment.delivery.sessions import attempt_for_token, timer
from bimo.web.deps import web_context
from bimo.web.testen.common import TOKEN_COOKIE

__all__ = ["Reply", "router", "store_answers"]

router = APIRouter(prefix="/test/api", include_in_schema=False)
_LOG = logging.getLogger("bimo.web.testen")

NO_ATTEMPT = "Kein laufender Test auf diesem Gerät: bitte den Zugangscode neu eingeben."
BUSY = (
    "Der Server ist gerade ausgelastet. Die Antworten bleiben auf diesem Gerät gespeichert und "
    "werden gleich erneut gesendet."
)
INVALID = "Die Eingaben sind unvollständig oder ungültig."
_NO_STORE = {"Cache-Control": "no-store"}
MAX_TOKEN = 200  # tokens have 43 characters; anything far longer is not worth hashing


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, le=2**31 - 1, strict=True)
    item: str = Field(min_length=1, max_length=120)
    value: JsonValue = None


class AnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(max_length=MAX_EVENTS)


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=_NO_STORE)


def _clock(db: Session, attempt: Attempt) -> dict[str, Any]:
    session = db.get(TestSession, attempt.session_id)
    test = db.get(TestDefinition, session.test_id) if session is not None else None
    if session is None or test is None:  # pragma: no cover - foreign keys
        return {"status": attempt.status, "block": attempt.block, "restzeit_s": 0}
    clock = timer(session, test, attempt)
    return {
        "status": attempt.status,
        "block": clock.block,
        "restzeit_s": clock.remaining_seconds,
        "abgelaufen": clock.expired,
    }


def _attempt(request: Request, db: Session) -> Attempt | None:
    token = request.cookies.get(TOKEN_COOKIE, "")
    return attempt_for_token(db, token) if token and len(token) <= MAX_TOKEN else None


@dataclass(frozen=True)
class Reply:
    """Status and JSON body of an answer post: the same for the route and the fast lane."""

    status: int
    payload: dict[str, Any]
    headers: dict[str, str]


def _reply(status: int, detail: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"detail": detail}, {**_NO_STORE, **(headers or {})})


async def store_answers(engine: Engine, token: str, body: bytes) -> Reply:
    """Validate, store and acknowledge one batch of answer changes (after the commit).

    ``token`` is the ``bimo_test`` cookie, ``body`` the raw JSON. The CSRF check is the
    caller's (the app-wide dependency, resp. :mod:`bimo.web.testen.fastlane`).
    """
    try:
        batch = AnswersIn.model_validate_json(body)
    except ValidationError:
        return _reply(422, INVALID)
    if not token or len(token) > MAX_TOKEN:
        return _reply(401, NO_ATTEMPT)
    write = AnswerWrite(
        [AnswerEvent(e.seq, e.item, e.value) for e in batch.events], token_hash=hash_secret(token)
    )
    try:
        recorded = await write_answers(engine, write)
    except UnknownAttemptError:
        return _reply(401, NO_ATTEMPT)
    except AttemptLockedError as exc:
        return _reply(403, str(exc))
    except DeliveryError as exc:
        return _reply(409, str(exc))
    except OperationalError as exc:
        # Lock wait timed out or the database is briefly unreachable: nothing was
        # acknowledged, so the player keeps the changes and retries.
        _LOG.warning("Antworten nicht gespeichert: %s", type(exc.orig).__name__)
        return _reply(503, BUSY, {"Retry-After": "1"})
    result, clock = recorded.result, recorded.clock
    payload = {
        "bestaetigt_bis": result.acked_seq,
        "gespeichert": result.stored,
        "doppelt": result.duplicates,
        "abgelehnt": [{"seq": r.seq, "grund": r.reason} for r in result.rejected],
        "status": recorded.status,
        "block": clock.block,
        "restzeit_s": clock.remaining_seconds,
        "abgelaufen": clock.expired,
    }
    return Reply(200, payload, dict(_NO_STORE))


@router.post("/antworten", name="test_api_antworten")
async def post_answers(request: Request) -> JSONResponse:
    """Store a batch of answer changes and acknowledge it after the commit.

    In the running app :class:`~bimo.web.testen.fastlane.AnswerFastLane` answers this path
    before the framework sees it; this route is the reference it is tested against (and
    serves when the lane is switched off). ``async``: the request waits for the process's
    answer writer without occupying a thread, so thousands of waiting players cost no threads
    and all join the next group commit.
    """
    token = request.cookies.get(TOKEN_COOKIE, "")
    reply = await store_answers(web_context(request).store.engine, token, await request.body())
    return JSONResponse(reply.payload, status_code=reply.status, headers=reply.headers)


@router.get("/stand", name="test_api_stand")
def get_state(request: Request) -> JSONResponse:
    """Everything a (re)starting player needs: stored answers, numbering, clock."""
    with web_context(request).store.session() as db:
        attempt = _attempt(request, db)
        if attempt is None:
            return _error(401, NO_ATTEMPT)
        payload = {
            "antworten": final_answers(db, attempt.id),
            "letzte_seq": last_stored_seq(db, attempt.id),
            "bestaetigt_bis": attempt.last_seq,
            **_clock(db, attempt),
        }
    return JSONResponse(payload, headers=_NO_STORE)
