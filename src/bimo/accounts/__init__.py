"""Accounts, roles and the authorisation policy (operational store).

A domain package: the web layer (:mod:`bimo.web`) and the ``bimo users`` commands are thin
layers over it; it never imports :mod:`bimo.web`.
"""

from __future__ import annotations

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
from bimo.accounts.sessions import end_session, end_user_sessions, resolve_session, start_session

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
