"""Server-side login sessions: a random token in the browser, its digest in the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bimo.accounts.models import LoginSession, User
from bimo.core.operational import utcnow

# Writing last_seen_at on every request would turn every page view into a database write.
_TOUCH_INTERVAL = timedelta(seconds=60)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(
    session: Session,
    user_id: int,
    *,
    method: str,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """Create a login session; returns the token for the cookie (never stored in clear)."""
    now = now or utcnow()
    token = new_token()
    session.add(
        LoginSession(
            token_digest=token_digest(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            method=method,
        )
    )
    session.flush()
    return token


def resolve_session(
    session: Session, token: str, *, idle: timedelta, now: datetime | None = None
) -> User | None:
    """The active user of a valid session, else ``None`` (an expired session is deleted)."""
    now = now or utcnow()
    row = session.scalar(
        select(LoginSession).where(LoginSession.token_digest == token_digest(token))
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if row.expires_at <= now or row.last_seen_at + idle <= now or user is None or not user.active:
        session.delete(row)
        return None
    if now - row.last_seen_at >= _TOUCH_INTERVAL:
        row.last_seen_at = now
    return user


def end_session(session: Session, token: str) -> bool:
    result = session.execute(
        delete(LoginSession).where(LoginSession.token_digest == token_digest(token))
    )
    return bool(getattr(result, "rowcount", 0))


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (password change, deactivation); the number ended."""
    result = session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    result = session.execute(
        delete(LoginSession).where(LoginSession.expires_at <= (now or utcnow()))
    )
    return int(getattr(result, "rowcount", 0) or 0)
