"""Users, lockout, rehash, grants, sessions and their audit events on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bimo.accounts import passwords, service
from bimo.accounts.config import AccountSettings
from bimo.accounts.models import LoginSession, User
from bimo.accounts.passwords import HashParameters, PasswordRejected
from bimo.accounts.roles import AccountError, Role, ScopeType
from bimo.accounts.service import LoginOutcome, authenticate
from bimo.accounts.sessions import (
    end_session,
    purge_expired,
    resolve_session,
    start_session,
)
from bimo.core.operational import OperationalStore, list_events

PW = "korrekt pferd batterie"
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
CHEAP = HashParameters(time_cost=1, memory_kib=1024, parallelism=1)
SETTINGS = AccountSettings(
    lockout_attempts=5,
    lockout_minutes=15,
    argon2_time_cost=1,
    argon2_memory_kib=1024,
    argon2_parallelism=1,
)


@pytest.fixture
def store(operational_url: str) -> Iterator[OperationalStore]:
    with OperationalStore(operational_url, migrate=True) as s:
        with s.session() as session:
            service.create_user(session, "erika.k", "Erika Mustermann", PW, actor="admin")
        yield s


def _login(store: OperationalStore, password: str, now: datetime, login: str = "erika.k"):  # type: ignore[no-untyped-def]
    with store.session() as session:
        return authenticate(session, login, password, now=now, settings=SETTINGS)


def test_create_user_and_login(store: OperationalStore) -> None:
    result = _login(store, PW, T0)
    assert result.outcome is LoginOutcome.OK
    with store.session() as session:
        user = service.get_user(session, "ERIKA.K ")
        assert user.last_login_at == T0 and user.active and user.failed_attempts == 0
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert PW not in repr(user)
    actions = [e.action for e in list_events(db=store)]
    assert actions == ["users.create", "auth.login"]
    create = list_events(action="users.create", db=store)[0]
    assert create.actor == "admin" and create.object_id == "erika.k"


def test_duplicate_and_invalid_accounts_are_refused(store: OperationalStore) -> None:
    with store.session() as session:
        with pytest.raises(AccountError, match="gibt es bereits"):
            service.create_user(session, "Erika.K", "Erika", PW)
        with pytest.raises(AccountError, match="Ungültiger Anmeldename"):
            service.create_user(session, "1erika", "Erika", PW)
        with pytest.raises(PasswordRejected, match="Anmeldenamen"):
            service.create_user(session, "max.m", "Max", "max.m-sicheres-wort")
        oidc_only = service.create_user(session, "oidc.nutzer", "OIDC", None)
        assert oidc_only.password_hash is None
    # An OIDC-only account cannot log in with a password.
    assert _login(store, "", T0, "oidc.nutzer").outcome is LoginOutcome.INVALID


def test_lockout_after_five_failures_for_fifteen_minutes(store: OperationalStore) -> None:
    for attempt in range(1, 5):
        result = _login(store, "falsch falsch falsch", T0 + timedelta(seconds=attempt))
        assert result.outcome is LoginOutcome.INVALID
    fifth = _login(store, "falsch falsch falsch", T0 + timedelta(seconds=5))
    assert fifth.outcome is LoginOutcome.LOCKED
    assert fifth.locked_until == T0 + timedelta(seconds=5, minutes=15)
    # Even the right password is refused while locked.
    assert _login(store, PW, T0 + timedelta(minutes=10)).outcome is LoginOutcome.LOCKED
    # After the lock expires the right password works and resets the counter.
    assert _login(store, PW, T0 + timedelta(minutes=16)).outcome is LoginOutcome.OK
    with store.session() as session:
        user = service.get_user(session, "erika.k")
        assert user.failed_attempts == 0 and user.locked_until is None
    events = list_events(db=store)
    # Five wrong passwords plus the attempt while locked.
    assert [e.action for e in events].count("auth.login_failed") == 6
    lockout = list_events(action="auth.lockout", db=store)
    assert len(lockout) == 1 and lockout[0].details == {"minuten": 15}
    assert list_events(action="auth.login_failed", db=store)[-1].details == {"grund": "gesperrt"}


def test_expired_lock_starts_a_fresh_count(store: OperationalStore) -> None:
    for second in range(5):
        _login(store, "falsch falsch falsch", T0 + timedelta(seconds=second))
    later = T0 + timedelta(minutes=20)
    assert _login(store, "falsch falsch falsch", later).outcome is LoginOutcome.INVALID
    with store.session() as session:
        assert service.get_user(session, "erika.k").failed_attempts == 1


def test_unlock_resets_the_lock(store: OperationalStore) -> None:
    for second in range(5):
        _login(store, "falsch falsch falsch", T0 + timedelta(seconds=second))
    with store.session() as session:
        service.unlock(session, "erika.k", actor="admin")
    assert _login(store, PW, T0 + timedelta(minutes=1)).outcome is LoginOutcome.OK
    assert list_events(action="users.unlock", db=store)[0].actor == "admin"


def test_unknown_user_costs_a_hash_verification(
    store: OperationalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = passwords.verify_dummy

    def spy(password: str, params: HashParameters | None = None) -> None:
        calls.append(password)
        real(password, params)

    monkeypatch.setattr(service, "verify_dummy", spy)
    result = _login(store, "irgendwas", T0, login="niemand")
    assert result.outcome is LoginOutcome.INVALID and result.user_id is None
    assert calls == ["irgendwas"]
    failed = list_events(action="auth.login_failed", db=store)[0]
    # The attempted login name is not recorded (it may be a mistyped password).
    assert failed.object_id is None and failed.details == {"grund": "unbekannt"}


def test_inactive_user_cannot_log_in(store: OperationalStore) -> None:
    with store.session() as session:
        service.set_active(session, "erika.k", False, actor="admin")
    assert _login(store, PW, T0).outcome is LoginOutcome.INACTIVE


def test_password_is_rehashed_when_parameters_change(store: OperationalStore) -> None:
    with store.session() as session:
        old_hash = service.get_user(session, "erika.k").password_hash
    stronger = SETTINGS.model_copy(update={"argon2_time_cost": 2})
    with store.session() as session:
        assert authenticate(session, "erika.k", PW, now=T0, settings=stronger).outcome == "ok"
    with store.session() as session:
        new_hash = service.get_user(session, "erika.k").password_hash
    assert new_hash != old_hash and new_hash is not None and ",t=2," in new_hash
    assert len(list_events(action="auth.rehash", db=store)) == 1
    # No second rehash with unchanged parameters.
    with store.session() as session:
        authenticate(session, "erika.k", PW, now=T0, settings=stronger)
    assert len(list_events(action="auth.rehash", db=store)) == 1


def test_grants_and_revokes_are_validated_and_audited(store: OperationalStore) -> None:
    with store.session() as session:
        service.grant_role(
            session, "erika.k", Role.SCHULAUFSICHT, ScopeType.KREIS, "09161", actor="admin"
        )
        service.grant_role(
            session, "erika.k", Role.SCHULAUFSICHT, ScopeType.SCHULE, "100001", actor="admin"
        )
        service.grant_role(session, "erika.k", Role.LEHRKRAFT, ScopeType.KLASSE, "100001/5a")
        with pytest.raises(AccountError, match="bereits"):
            service.grant_role(session, "erika.k", Role.SCHULAUFSICHT, ScopeType.KREIS, "09161")
        with pytest.raises(AccountError, match="kann nicht mit Geltungsbereich"):
            service.grant_role(session, "erika.k", Role.KREIS, ScopeType.SCHULE, "100001")
        with pytest.raises(AccountError, match="Ungültige Angabe"):
            service.grant_role(session, "erika.k", Role.KREIS, ScopeType.KREIS, "0916")
        with pytest.raises(AccountError, match="einer anderen Schule"):
            service.grant_role(session, "erika.k", Role.LEHRKRAFT, ScopeType.KLASSE, "200001/5a")
        service.grant_role(session, "erika.k", Role.SCHULLEITUNG, ScopeType.SCHULE, "100001")
        with pytest.raises(AccountError, match="genau eine Schule"):
            service.grant_role(session, "erika.k", Role.SCHULLEITUNG, ScopeType.SCHULE, "200001")
    with store.session() as session:
        user = service.get_user(session, "erika.k")
        assert [(g.role, g.scope_id) for g in service.grants_of(user)] == [
            (Role.SCHULAUFSICHT, "09161"),
            (Role.SCHULAUFSICHT, "100001"),
            (Role.LEHRKRAFT, "100001/5a"),
            (Role.SCHULLEITUNG, "100001"),
        ]
        assert service.revoke_role(session, "erika.k", Role.SCHULAUFSICHT, actor="admin") == 2
        with pytest.raises(AccountError, match="keine passende Rolle"):
            service.revoke_role(session, "erika.k", Role.ADMIN)
    grants = list_events(action="users.grant", db=store)
    assert len(grants) == 4
    assert grants[0].details == {
        "rolle": "schulaufsicht",
        "bereich": "kreis",
        "bereich_id": "09161",
    }
    assert len(list_events(action="users.revoke", db=store)) == 2


def test_sessions_expire_and_end(store: OperationalStore) -> None:
    idle = timedelta(minutes=30)
    with store.session() as session:
        user_id = service.get_user(session, "erika.k").id
        token = start_session(
            session, user_id, method="passwort", lifetime=timedelta(hours=8), now=T0
        )
        stored = session.scalars(select(LoginSession.token_digest)).all()
        assert token not in stored and len(stored) == 1  # only the digest is kept
    with store.session() as session:
        user = resolve_session(session, token, idle=idle, now=T0 + timedelta(minutes=20))
        assert isinstance(user, User) and user.login == "erika.k"
        # Still alive 20 minutes after the last activity (the touch above moved it on).
        assert resolve_session(session, token, idle=idle, now=T0 + timedelta(minutes=40))
        assert resolve_session(session, "erfunden", idle=idle, now=T0) is None
    with store.session() as session:
        # Idle for longer than 30 minutes: gone for good.
        assert resolve_session(session, token, idle=idle, now=T0 + timedelta(minutes=90)) is None
    with store.session() as session:
        assert resolve_session(session, token, idle=idle, now=T0 + timedelta(minutes=41)) is None
        second = start_session(
            session, user_id, method="passwort", lifetime=timedelta(hours=8), now=T0
        )
        assert end_session(session, second)
        assert resolve_session(session, second, idle=idle, now=T0) is None
        start_session(session, user_id, method="passwort", lifetime=timedelta(hours=1), now=T0)
        assert purge_expired(session, now=T0 + timedelta(hours=2)) == 1


def test_absolute_lifetime_and_password_change_end_sessions(store: OperationalStore) -> None:
    idle = timedelta(hours=10)
    with store.session() as session:
        user_id = service.get_user(session, "erika.k").id
        token = start_session(
            session, user_id, method="passwort", lifetime=timedelta(hours=8), now=T0
        )
        assert resolve_session(session, token, idle=idle, now=T0 + timedelta(hours=9)) is None
        token = start_session(
            session, user_id, method="passwort", lifetime=timedelta(hours=8), now=T0
        )
        service.set_password(session, "erika.k", "ein ganz neues passwort", actor="admin")
        assert resolve_session(session, token, idle=idle, now=T0) is None
    event = list_events(action="users.password_set", db=store)[0]
    assert event.details == {"beendete_sitzungen": 1}
    assert _login(store, "ein ganz neues passwort", T0).outcome is LoginOutcome.OK
    assert _login(store, PW, T0).outcome is LoginOutcome.INVALID


def test_oidc_identity_maps_to_user(store: OperationalStore) -> None:
    with store.session() as session:
        service.link_oidc_identity(session, "erika.k", "https://idp.example", "sub-1")
        found = service.user_for_oidc(session, "https://idp.example", "sub-1")
        assert found is not None and found.login == "erika.k"
        assert service.user_for_oidc(session, "https://andere.example", "sub-1") is None
