"""Accounts, roles and the authorisation policy (operational store).

A domain package: the web layer (:mod:`bimo.web`) and the ``bimo users`` commands are thin
layers over it; it never imports :mod:`bimo.web`.

Exports are imported on first use (PEP 562 ``__getattr__``), so that importing a submodule
(``bimo --help`` imports every domain's ``cli``) does not pay for SQLAlchemy, Argon2 and the
models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bimo.core.lazy import lazy_exports

if TYPE_CHECKING:
    from bimo.accounts.config import AccountSettings, get_account_settings
    from bimo.accounts.hierarchy import load_hierarchy
    from bimo.accounts.models import LoginSession, OidcIdentity, RoleGrant, User
    from bimo.accounts.passwords import (
        HashParameters,
        PasswordRejected,
        check_password,
        hash_password,
        needs_rehash,
        verify_password,
    )
    from bimo.accounts.policy import (
        ANONYMOUS,
        Action,
        ClassRef,
        Grant,
        Hierarchy,
        IndicatorRows,
        Level,
        OfferRef,
        Principal,
        ResolvedGrant,
        SchoolRef,
        can,
        principal_for,
        resolve_grants,
    )
    from bimo.accounts.roles import (
        ROLE_LABELS,
        SCOPE_LABELS,
        AccountError,
        Role,
        ScopeType,
        parse_role,
        parse_scope_type,
        validate_scope,
    )
    from bimo.accounts.service import (
        LoginOutcome,
        LoginResult,
        authenticate,
        create_user,
        get_user,
        grant_role,
        grants_of,
        link_oidc_identity,
        list_users,
        revoke_role,
        set_active,
        set_password,
        unlock,
        user_for_oidc,
    )
    from bimo.accounts.sessions import (
        end_session,
        end_user_sessions,
        resolve_session,
        start_session,
    )

__all__ = [
    "ANONYMOUS",
    "ROLE_LABELS",
    "SCOPE_LABELS",
    "AccountError",
    "AccountSettings",
    "Action",
    "ClassRef",
    "Grant",
    "HashParameters",
    "Hierarchy",
    "IndicatorRows",
    "Level",
    "LoginOutcome",
    "LoginResult",
    "LoginSession",
    "OfferRef",
    "OidcIdentity",
    "PasswordRejected",
    "Principal",
    "ResolvedGrant",
    "Role",
    "RoleGrant",
    "SchoolRef",
    "ScopeType",
    "User",
    "authenticate",
    "can",
    "check_password",
    "create_user",
    "end_session",
    "end_user_sessions",
    "get_account_settings",
    "get_user",
    "grant_role",
    "grants_of",
    "hash_password",
    "link_oidc_identity",
    "list_users",
    "load_hierarchy",
    "needs_rehash",
    "parse_role",
    "parse_scope_type",
    "principal_for",
    "resolve_grants",
    "resolve_session",
    "revoke_role",
    "set_active",
    "set_password",
    "start_session",
    "unlock",
    "user_for_oidc",
    "validate_scope",
    "verify_password",
]

_EXPORTS: dict[str, str] = {
    "ANONYMOUS": "bimo.accounts.policy",
    "ROLE_LABELS": "bimo.accounts.roles",
    "SCOPE_LABELS": "bimo.accounts.roles",
    "AccountError": "bimo.accounts.roles",
    "AccountSettings": "bimo.accounts.config",
    "Action": "bimo.accounts.policy",
    "ClassRef": "bimo.accounts.policy",
    "Grant": "bimo.accounts.policy",
    "HashParameters": "bimo.accounts.passwords",
    "Hierarchy": "bimo.accounts.policy",
    "IndicatorRows": "bimo.accounts.policy",
    "Level": "bimo.accounts.policy",
    "LoginOutcome": "bimo.accounts.service",
    "LoginResult": "bimo.accounts.service",
    "LoginSession": "bimo.accounts.models",
    "OfferRef": "bimo.accounts.policy",
    "OidcIdentity": "bimo.accounts.models",
    "PasswordRejected": "bimo.accounts.passwords",
    "Principal": "bimo.accounts.policy",
    "ResolvedGrant": "bimo.accounts.policy",
    "Role": "bimo.accounts.roles",
    "RoleGrant": "bimo.accounts.models",
    "SchoolRef": "bimo.accounts.policy",
    "ScopeType": "bimo.accounts.roles",
    "User": "bimo.accounts.models",
    "authenticate": "bimo.accounts.service",
    "can": "bimo.accounts.policy",
    "check_password": "bimo.accounts.passwords",
    "create_user": "bimo.accounts.service",
    "end_session": "bimo.accounts.sessions",
    "end_user_sessions": "bimo.accounts.sessions",
    "get_account_settings": "bimo.accounts.config",
    "get_user": "bimo.accounts.service",
    "grant_role": "bimo.accounts.service",
    "grants_of": "bimo.accounts.service",
    "hash_password": "bimo.accounts.passwords",
    "link_oidc_identity": "bimo.accounts.service",
    "list_users": "bimo.accounts.service",
    "load_hierarchy": "bimo.accounts.hierarchy",
    "needs_rehash": "bimo.accounts.passwords",
    "parse_role": "bimo.accounts.roles",
    "parse_scope_type": "bimo.accounts.roles",
    "principal_for": "bimo.accounts.policy",
    "resolve_grants": "bimo.accounts.policy",
    "resolve_session": "bimo.accounts.sessions",
    "revoke_role": "bimo.accounts.service",
    "set_active": "bimo.accounts.service",
    "set_password": "bimo.accounts.service",
    "start_session": "bimo.accounts.sessions",
    "unlock": "bimo.accounts.service",
    "user_for_oidc": "bimo.accounts.service",
    "validate_scope": "bimo.accounts.roles",
    "verify_password": "bimo.accounts.passwords",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
