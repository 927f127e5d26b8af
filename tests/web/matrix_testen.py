"""Route authorisation matrix rows of the test delivery pages (bimo.web.testen)."""

from __future__ import annotations

from .matrix_rules import EVERYONE, Rule

# Students are anonymous: only the attempt cookie set by the code entry opens the player and
# the sync API; without it everybody is refused (no role grants access to an attempt).
NOBODY: frozenset[str] = frozenset()
PROCTORS: frozenset[str] = frozenset({"lehrkraft", "schulleitung"})
TEST_STAFF: frozenset[str] = frozenset({"lehrkraft", "schulleitung", "land"})
LAND: frozenset[str] = frozenset({"land"})

ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/test"): Rule("/test", EVERYONE),
    ("POST", "/test"): Rule("/test", EVERYONE, unsafe=True),
    ("GET", "/test/spielen"): Rule("/test/spielen", NOBODY),
    ("POST", "/test/weiter"): Rule("/test/weiter", NOBODY, unsafe=True),
    ("POST", "/test/abgeben"): Rule("/test/abgeben", NOBODY, unsafe=True),
    ("GET", "/test/api/stand"): Rule("/test/api/stand", NOBODY, api=True, cookie_credential=True),
    ("POST", "/test/api/antworten"): Rule(
        "/test/api/antworten", NOBODY, api=True, unsafe=True, cookie_credential=True
    ),
    ("GET", "/intern/tests"): Rule("/intern/tests", TEST_STAFF),
    ("POST", "/intern/tests/sitzungen"): Rule("/intern/tests/sitzungen", PROCTORS, unsafe=True),
    ("GET", "/intern/tests/sitzungen/{session_id}"): Rule(
        "/intern/tests/sitzungen/1", PROCTORS, absent_ok=True
    ),
    ("POST", "/intern/tests/sitzungen/{session_id}"): Rule(
        "/intern/tests/sitzungen/1", PROCTORS, unsafe=True
    ),
    ("GET", "/intern/tests/verwaltung"): Rule("/intern/tests/verwaltung", LAND),
    ("POST", "/intern/tests/verwaltung"): Rule("/intern/tests/verwaltung", LAND, unsafe=True),
    ("GET", "/intern/tests/kodierung"): Rule("/intern/tests/kodierung", TEST_STAFF),
    ("GET", "/intern/tests/kodierung/{session_id}"): Rule(
        "/intern/tests/kodierung/1", TEST_STAFF, absent_ok=True
    ),
    ("POST", "/intern/tests/kodierung/{session_id}"): Rule(
        "/intern/tests/kodierung/1", TEST_STAFF, unsafe=True
    ),
}

# The student login with a school account exists only when OIDC is configured and
# BIMO_OIDC_STUDENTS is on — not in the matrix app (like the staff OIDC routes). Its rows are
# checked against an app with the router in tests/web/oidc/test_oidc_student_login.py. Anyone
# may start a login (it leads to the provider); the callback and the choice act only on the
# flow state in the browser's own session.
OIDC_ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/test/anmelden"): Rule("/test/anmelden", EVERYONE),
    ("GET", "/test/anmelden/rueckruf"): Rule("/test/anmelden/rueckruf", EVERYONE),
    ("POST", "/test/anmelden/auswahl"): Rule("/test/anmelden/auswahl", EVERYONE, unsafe=True),
}
