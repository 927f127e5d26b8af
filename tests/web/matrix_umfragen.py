"""Route authorisation matrix rows of the survey pages (bimo.web.umfragen)."""

from __future__ import annotations

from .matrix_rules import EVERYONE, LOGGED_IN, Rule

# Class surveys belong to the class's own teacher (not even the Schulleitung reads them);
# the school report is the Schulleitung's, the aggregate across schools the Land's.
TEACHERS: frozenset[str] = frozenset({"lehrkraft"})
PRINCIPALS: frozenset[str] = frozenset({"schulleitung"})
LAND: frozenset[str] = frozenset({"land"})

_CLASS = "/intern/umfragen/schulen/{school}/klassen/{klasse}"
_CLASS_PATH = "/intern/umfragen/schulen/{schulnummer}/klassen/{klasse}"
_ROUND = _CLASS + "/runden/1"
_ROUND_PATH = _CLASS_PATH + "/runden/{round_id}"

ROWS: dict[tuple[str, str], Rule] = {
    # Students: anonymous by design; the code travels in POST bodies only.
    ("GET", "/umfrage"): Rule("/umfrage", EVERYONE),
    ("POST", "/umfrage"): Rule("/umfrage", EVERYONE, unsafe=True),
    ("POST", "/umfrage/antworten"): Rule("/umfrage/antworten", EVERYONE, unsafe=True),
    # Every logged-in role gets its own overview (links only to what the policy allows).
    ("GET", "/intern/umfragen"): Rule("/intern/umfragen", LOGGED_IN),
    ("GET", _CLASS_PATH): Rule(_CLASS, TEACHERS, scoped=True),
    ("POST", _CLASS_PATH): Rule(_CLASS, TEACHERS, unsafe=True, scoped=True),
    # The test data has no survey round: the teacher gets 404, everybody else 403 first.
    ("GET", _ROUND_PATH): Rule(_ROUND, TEACHERS, scoped=True, absent_ok=True),
    ("GET", _ROUND_PATH + "/bericht.pdf"): Rule(
        _ROUND + "/bericht.pdf", TEACHERS, scoped=True, absent_ok=True
    ),
    ("POST", _ROUND_PATH + "/schliessen"): Rule(
        _ROUND + "/schliessen", TEACHERS, unsafe=True, scoped=True
    ),
    ("POST", _ROUND_PATH + "/freigabe"): Rule(
        _ROUND + "/freigabe", TEACHERS, unsafe=True, scoped=True
    ),
    ("POST", _ROUND_PATH + "/freigabe-zurueckziehen"): Rule(
        _ROUND + "/freigabe-zurueckziehen", TEACHERS, unsafe=True, scoped=True
    ),
    ("GET", "/intern/umfragen/schulen/{schulnummer}"): Rule(
        "/intern/umfragen/schulen/{school}", PRINCIPALS, scoped=True
    ),
    # Without released rounds there is no PDF: 404 with the reason.
    ("GET", "/intern/umfragen/schulen/{schulnummer}/bericht.pdf"): Rule(
        "/intern/umfragen/schulen/{school}/bericht.pdf", PRINCIPALS, scoped=True, absent_ok=True
    ),
    ("GET", "/intern/umfragen/land"): Rule("/intern/umfragen/land", LAND),
    ("GET", "/intern/umfragen/land/bericht.pdf"): Rule(
        "/intern/umfragen/land/bericht.pdf", LAND, absent_ok=True
    ),
}
