"""User management and authentication on the operational store.

Every function takes an open :class:`~sqlalchemy.orm.Session` and joins its transaction, so the
audit events it writes commit or roll back together with the change they describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bimo.accounts.config import AccountSettings, get_account_settings
from bimo.accounts.models import OidcIdentity, RoleGrant, User
from bimo.accounts.passwords import (
    HashParameters,
    check_password,
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from bimo.accounts.policy import Grant
from bimo.accounts.roles import (
    AccountError,
    Role,
    ScopeType,
    split_class_scope,
    validate_scope,
)
from bimo.core.operational import record_event, utcnow

_LOGIN = re.compile(r"[a-z][a-z0-9._-]{1,63}")
SYSTEM_ACTOR = "system"


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "ungueltig"  # unknown login name or wrong password
    LOCKED = "gesperrt"  # too many failures: locked until ``locked_until``
    INACTIVE = "deaktiviert"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user_id: int | None = None
    locked_until: datetime | None = None


def normalise_login(login: str) -> str:
    value = login.strip().lower()
    if not _LOGIN.fullmatch(value):
        raise AccountError(
            f"Ungültiger Anmeldename {login!r}: 2–64 Zeichen, Kleinbuchstaben, Ziffern, "
            "Punkt, Binde- oder Unterstrich, beginnend mit einem Buchstaben."
        )
    return value


def get_user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise AccountError(f"Es gibt kein Benutzerkonto {login!r}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.login)))


def create_user(
    session: Session,
    login: str,
    display_name: str,
    password: str | None,
    *,
    actor: str = SYSTEM_ACTOR,
    params: HashParameters | None = None,
) -> User:
    """Create an active account; ``password=None`` for OIDC-only accounts."""
    login = normalise_login(login)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        raise AccountError("Der Anzeigename muss 1–200 Zeichen lang sein.")
    if session.scalar(select(func.count()).select_from(User).where(User.login == login)):
        raise AccountError(f"Das Benutzerkonto {login!r} gibt es bereits.")
    password_hash = None
    if password is not None:
        check_password(password, login=login, display_name=display_name)
        password_hash = hash_password(password, params)
    user = User(login=login, display_name=display_name, password_hash=password_hash, active=True)
    session.add(user)
    session.flush()
    record_event(
        "users.create",
        "user",
        login,
        actor=actor,
        db=session,
        details={"passwort": password is not None},
    )
    return user


def set_password(
    session: Session,
    login: str,
    password: str,
    *,
    actor: str = SYSTEM_ACTOR,
    params: HashParameters | None = None,
) -> User:
    """Replace the password, clear a lockout and end every login session of the user."""
    from bimo.accounts.sessions import end_user_sessions

    user = get_user(session, login)
    check_password(password, login=user.login, display_name=user.display_name)
    user.password_hash = hash_password(password, params)
    user.failed_attempts = 0
    user.locked_until = None
    ended = end_user_sessions(session, user.id)
    record_event(
        "users.password_set",
        "user",
        user.login,
        actor=actor,
        db=session,
        details={"beendete_sitzungen": ended},
    )
    return user


def set_active(session: Session, login: str, active: bool, *, actor: str = SYSTEM_ACTOR) -> User:
    from bimo.accounts.sessions import end_user_sessions

    user = get_user(session, login)
    user.active = active
    if not active:
        end_user_sessions(session, user.id)
    record_event(
        "users.activate" if active else "users.deactivate",
        "user",
        user.login,
        actor=actor,
        db=session,
    )
    return user


def unlock(session: Session, login: str, *, actor: str = SYSTEM_ACTOR) -> User:
    user = get_user(session, login)
    user.failed_attempts = 0
    user.locked_until = None
    record_event("users.unlock", "user", user.login, actor=actor, db=session)
    return user


def grant_role(
    session: Session,
    login: str,
    role: Role,
    scope_type: ScopeType,
    scope_id: str = "",
    *,
    actor: str = SYSTEM_ACTOR,
) -> RoleGrant:
    user = get_user(session, login)
    scope_id = validate_scope(role, scope_type, scope_id)
    existing = [g for g in user.grants if g.role == role.value]
    if any(g.scope_type == scope_type.value and g.scope_id == scope_id for g in existing):
        raise AccountError(
            f"{user.login} hat die Rolle {role.value} für {scope_type.value} {scope_id} bereits."
        )
    # A Schulleitung leads one school; a Lehrkraft's classes belong to one school.
    if role is Role.SCHULLEITUNG and existing:
        raise AccountError(
            f"{user.login} ist bereits Schulleitung der Schule {existing[0].scope_id}; "
            "eine Schulleitung hat genau eine Schule."
        )
    if role is Role.LEHRKRAFT and existing:
        school = split_class_scope(existing[0].scope_id)[0]
        if split_class_scope(scope_id)[0] != school:
            raise AccountError(
                f"Die Klassen einer Lehrkraft gehören zu einer Schule ({school}); "
                f"{scope_id} liegt an einer anderen Schule."
            )
    grant = RoleGrant(
        user=user,
        role=role.value,
        scope_type=scope_type.value,
        scope_id=scope_id,
        granted_by=actor,
    )
    session.add(grant)
    session.flush()
    record_event(
        "users.grant",
        "user",
        user.login,
        actor=actor,
        db=session,
        details={"rolle": role.value, "bereich": scope_type.value, "bereich_id": scope_id},
    )
    return grant


def revoke_role(
    session: Session,
    login: str,
    role: Role,
    scope_type: ScopeType | None = None,
    scope_id: str | None = None,
    *,
    actor: str = SYSTEM_ACTOR,
) -> int:
    """Remove matching grants (all of ``role`` when no scope is given); the number removed."""
    user = get_user(session, login)
    matching = [
        g
        for g in user.grants
        if g.role == role.value
        and (scope_type is None or g.scope_type == scope_type.value)
        and (scope_id is None or g.scope_id == scope_id.strip())
    ]
    if not matching:
        raise AccountError(f"{user.login} hat keine passende Rolle {role.value}.")
    for grant in matching:
        user.grants.remove(grant)
        record_event(
            "users.revoke",
            "user",
            user.login,
            actor=actor,
            db=session,
            details={
                "rolle": grant.role,
                "bereich": grant.scope_type,
                "bereich_id": grant.scope_id,
            },
        )
    session.flush()
    return len(matching)


def grants_of(user: User) -> tuple[Grant, ...]:
    return tuple(Grant(Role(g.role), ScopeType(g.scope_type), g.scope_id) for g in user.grants)


def link_oidc_identity(
    session: Session, login: str, issuer: str, subject: str, *, actor: str = SYSTEM_ACTOR
) -> OidcIdentity:
    user = get_user(session, login)
    issuer, subject = issuer.strip(), subject.strip()
    if not issuer.startswith(("https://", "http://")) or not subject:
        raise AccountError("Aussteller muss eine URL sein, Subjekt darf nicht leer sein.")
    if user_for_oidc(session, issuer, subject) is not None:
        raise AccountError(f"Die Identität {subject!r} bei {issuer} ist bereits verknüpft.")
    identity = OidcIdentity(user=user, issuer=issuer, subject=subject)
    session.add(identity)
    session.flush()
    record_event(
        "users.link_oidc",
        "user",
        user.login,
        actor=actor,
        db=session,
        details={"aussteller": identity.issuer},
    )
    return identity


def user_for_oidc(session: Session, issuer: str, subject: str) -> User | None:
    return session.scalar(
        select(User)
        .join(OidcIdentity)
        .where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
    )


def authenticate(
    session: Session,
    login: str,
    password: str,
    *,
    now: datetime | None = None,
    settings: AccountSettings | None = None,
    params: HashParameters | None = None,
) -> LoginResult:
    """Check a password login, count failures, lock after too many, rehash when needed.

    Unknown login names cost one (dummy) hash verification like known ones, and produce the
    same outcome as a wrong password, so timing and answers do not reveal which accounts exist.
    """
    settings = settings or get_account_settings()
    params = params or HashParameters.from_settings(settings)
    now = now or utcnow()
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None or user.password_hash is None:
        verify_dummy(password, params)
        record_event(
            "auth.login_failed",
            "user",
            None,
            actor="anonym",
            db=session,
            details={"grund": "unbekannt"},
        )
        return LoginResult(LoginOutcome.INVALID)
    if user.locked_until is not None and user.locked_until > now:
        # No verification while locked: guessing goes on being useless until the lock ends.
        verify_dummy(password, params)
        record_event(
            "auth.login_failed",
            "user",
            user.login,
            actor=user.login,
            db=session,
            details={"grund": "gesperrt"},
        )
        return LoginResult(LoginOutcome.LOCKED, user.id, user.locked_until)
    if not verify_password(user.password_hash, password):
        if user.locked_until is not None:  # an expired lock starts a fresh count
            user.locked_until = None
            user.failed_attempts = 0
        user.failed_attempts += 1
        record_event(
            "auth.login_failed",
            "user",
            user.login,
            actor=user.login,
            db=session,
            details={"grund": "passwort", "fehlversuche": user.failed_attempts},
        )
        if user.failed_attempts >= settings.lockout_attempts:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            record_event(
                "auth.lockout",
                "user",
                user.login,
                actor=user.login,
                db=session,
                details={"minuten": settings.lockout_minutes},
            )
            return LoginResult(LoginOutcome.LOCKED, user.id, user.locked_until)
        return LoginResult(LoginOutcome.INVALID, user.id)
    if not user.active:
        record_event(
            "auth.login_failed",
            "user",
            user.login,
            actor=user.login,
            db=session,
            details={"grund": "deaktiviert"},
        )
        return LoginResult(LoginOutcome.INACTIVE, user.id)
    if needs_rehash(user.password_hash, params):
        user.password_hash = hash_password(password, params)
        record_event("auth.rehash", "user", user.login, actor=user.login, db=session)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    record_event(
        "auth.login",
        "user",
        user.login,
        actor=user.login,
        db=session,
        details={"methode": "passwort"},
    )
    return LoginResult(LoginOutcome.OK, user.id)
