"""Shared helpers of the directory pages: lazy first import, code-list labels, guards."""

from __future__ import annotations

import logging
from threading import Lock

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.accounts.policy import Action, OfferRef, Principal
from bimo.core.codes import ALTERSGRUPPE, ANGEBOT_KATEGORIE
from bimo.directory import DirectoryError, DirectoryOffer, directory_imported, import_from_store
from bimo.web.auth import login_redirect
from bimo.web.deps import WebContext, authorize

_LOG = logging.getLogger("bimo.web")
_IMPORT_LOCK = Lock()


def ensure_directory(ctx: WebContext) -> None:
    """Fill an empty directory once from the analytic store (first visit after installation).

    The audit log remembers that the import ran, so entries editors deleted later do not come
    back; ``bimo verzeichnis import`` repeats it on purpose.
    """
    with _IMPORT_LOCK, ctx.store.session() as db:
        if directory_imported(db) or not ctx.duckdb_path.exists():
            return
        try:
            import_from_store(ctx.duckdb_path, db, actor="system")
        except DirectoryError as exc:
            # Not fatal for the page: the directory simply stays empty until the next try.
            _LOG.warning("Verzeichnis-Import nicht möglich: %s", exc)


def code_context(db: Session, ctx: WebContext) -> dict[str, object]:
    """Select options for the filters and the editor form."""
    names = ctx.hierarchy.get().names
    places = db.scalars(select(DirectoryOffer.gemeinde_ags).distinct()).all()
    gemeinden = sorted(((ags, names.get(ags, ags)) for ags in places), key=lambda p: p[1])
    kreise = sorted({(ags[:5], names.get(ags[:5], ags[:5])) for ags in places}, key=lambda p: p[1])
    return {
        "kategorien": ANGEBOT_KATEGORIE.labels,
        "altersgruppen": ALTERSGRUPPE.labels,
        "gemeinden": gemeinden,
        "kreise": kreise,
        "ortsnamen": names,
    }


def editor_guard(
    request: Request, principal: Principal, offer_id: str | None = None
) -> RedirectResponse | None:
    """Anonymous visitors go to the login page; logged-in users without the right get 403."""
    if not principal.authenticated:
        return login_redirect(request)
    authorize(principal, Action.EDIT_OFFER, OfferRef(offer_id))
    return None
