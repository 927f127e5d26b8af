"""Rules of the route authorisation matrix, shared by the rows of each area
(``matrix_umfragen.py``, ``matrix_testen.py``) and :mod:`tests.web.test_route_matrix`."""

from __future__ import annotations

from dataclasses import dataclass

from bimo.accounts.roles import Role

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, *(role.value for role in Role))
EVERYONE: frozenset[str] = frozenset(ROLES)
LOGGED_IN: frozenset[str] = frozenset(role.value for role in Role)
# Roles whose grant is bounded to one Kreis/school/class: they have an out-of-scope object.
SCOPED = frozenset({"kreis", "schulaufsicht", "schulleitung", "lehrkraft"})
KLASSE = "1a"


@dataclass(frozen=True)
class Rule:
    """Who may use a route. ``url`` may contain ``{school}``, ``{kreis}``, ``{land}``,
    ``{klasse}``, ``{indicator}``, ``{download}``; ``scoped`` routes are requested a second
    time with an object outside the role's scope."""

    url: str
    allowed: frozenset[str]
    api: bool = False
    scoped: bool = False
    # Unsafe methods: the matrix checks that roles without the right are refused even with a
    # valid CSRF token; the owners' tests cover the allowed writes (they change data).
    unsafe: bool = False
    # The object may be absent from the test data (directory entries live in the fresh
    # operational store): then 404 is the right answer for permitted roles, too.
    absent_ok: bool = False
    # Logged-in users asking for the login form are sent on (303) instead.
    redirect_ok: bool = False
    # The credential is not the login but an attempt cookie (the test player's sync API):
    # without it every role, logged in or not, is refused with 401.
    cookie_credential: bool = False


EDITORS: frozenset[str] = frozenset({"redaktion"})
ADMINS: frozenset[str] = frozenset({"admin"})
RESEARCHERS: frozenset[str] = frozenset({"forschung"})
SCHOOL_VIEWERS: frozenset[str] = frozenset({"land", "kreis", "schulaufsicht", "schulleitung"})
# Class results are for the school itself only (privacy of small groups): bimo.accounts.policy.
CLASS_VIEWERS: frozenset[str] = frozenset({"schulleitung", "lehrkraft"})
