"""Shared pieces of the test delivery pages: cookies, the item bank and item loading.

Two cookies identify a student's browser, neither names the student:

* ``bimo_test`` — the attempt's raw token (only its hash is stored). A *session* cookie,
  HttpOnly, SameSite=Strict, limited to ``/test``: on a shared school computer it ends with the
  browser; after a crash the student enters the printed code again and the attempt resumes.
* ``bimo_geraet`` — a random device token that outlives the browser session, so re-entering the
  code on the *same* device resumes the attempt while another device is stopped until the
  proctor unlocks it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from bimo.assessment.itembank import ItemBank, QtiItem
from bimo.core.config import get_settings

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_MAX_AGE",
    "STATUS_LABELS",
    "TOKEN_COOKIE",
    "bank_for",
    "device_token",
    "load_item",
    "local_time",
    "set_device_cookie",
    "set_token_cookie",
]

TOKEN_COOKIE = "bimo_test"
DEVICE_COOKIE = "bimo_geraet"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept
BANK_DIR = "aufgabenbank"
# German schools keep German time: the database stores UTC.
SCHOOL_TIME = ZoneInfo("Europe/Berlin")
STATUS_LABELS = {
    "vorbereitet": "vorbereitet",
    "offen": "offen",
    "laufend": "läuft",
    "pausiert": "pausiert",
    "gesperrt": "gesperrt",
    "abgegeben": "abgegeben",
    "beendet": "beendet",
    "nicht_begonnen": "nicht begonnen",
}


def local_time(moment: datetime, pattern: str = "%d.%m.%Y %H:%M") -> str:
    """A stored UTC time as German local time (naive values from SQLite are UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(SCHOOL_TIME).strftime(pattern)


def bank_for(request: Request) -> ItemBank:
    """The item bank: ``app.state.testen_bank`` if set (tests), else ``<data_dir>/aufgabenbank``."""
    bank = getattr(request.app.state, "testen_bank", None)
    if isinstance(bank, ItemBank):
        return bank
    return ItemBank(get_settings().data_dir / BANK_DIR)


@lru_cache(maxsize=2048)
def _load(root: Path, item_ref: str) -> QtiItem:
    item_id, _, version = item_ref.rpartition("@v")
    return ItemBank(root).get(item_id, int(version)).load()


def load_item(bank: ItemBank, item_ref: str) -> QtiItem:
    """A bank item by its reference ``"id@vN"``; versions are immutable, so parsed items are
    cached per process (a class of 30 loads the same booklets again and again)."""
    return _load(bank.root, item_ref)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def device_token(request: Request) -> tuple[str, bool]:
    """The device token from the cookie, or a new one (``True``: it must be set)."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    if 32 <= len(value) <= 100 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(32), True


def set_device_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_MAX_AGE,
        path="/test",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def set_token_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        TOKEN_COOKIE, token, path="/test", httponly=True, samesite="strict", secure=_secure(request)
    )
