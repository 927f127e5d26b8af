"""The authorisation matrix: every role × every action × in-scope and out-of-scope objects.

Each role lists exactly the probes it may pass; every other (action, object) pair must be
denied. Adding a probe or an action without deciding it for every role fails the table check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.accounts.hierarchy import load_hierarchy
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
    SchoolRef,
    can,
    principal_for,
)
from bimo.accounts.roles import Role, ScopeType
from bimo.core.store import AnalyticStore

# Land 09 with Kreise 09161 and 09162; a second Land 10 for out-of-Land probes.
REGIONS = [
    ("09", None),
    ("09161", "09"),
    ("09162", "09"),
    ("09161000", "09161"),
    ("09162000", "09162"),
    ("10", None),
    ("10041", "10"),
    ("10041100", "10041"),
]
SCHOOLS = [
    ("100001", "09161", "09161000"),
    ("100002", "09161", "09161000"),
    ("200001", "09162", "09162000"),
    ("300001", "10041", "10041100"),
]
HIERARCHY = Hierarchy.from_rows(REGIONS, SCHOOLS)

L, K, G, T, S = Level.LAND, Level.KREIS, Level.GEMEINDE, Level.KREISTYP, Level.SCHULE
V, VS, VC, E = Action.VIEW_INDICATOR, Action.VIEW_SCHOOL, Action.VIEW_CLASS, Action.EXPORT

ROWS: dict[str, IndicatorRows] = {
    "pub_land": IndicatorRows(L, "09"),
    "pub_gemeinde_otherland": IndicatorRows(G, "10041100"),
    "pub_school": IndicatorRows(S, "200001"),
    "int_land": IndicatorRows(L, "09", intern=True),
    "int_land_other": IndicatorRows(L, "10", intern=True),
    "int_kreis": IndicatorRows(K, "09161", intern=True),
    "draft_kreis": IndicatorRows(K, "09161", published=False),
    "int_kreis_other": IndicatorRows(K, "09162", intern=True),
    "int_kreis_otherland": IndicatorRows(K, "10041", intern=True),
    "int_gemeinde": IndicatorRows(G, "09161000", intern=True),
    "int_gemeinde_other": IndicatorRows(G, "09162000", intern=True),
    "int_kreistyp": IndicatorRows(T, "1", intern=True),
    "int_school": IndicatorRows(S, "100001", intern=True),
    "int_school_sibling": IndicatorRows(S, "100002", intern=True),
    "int_school_other": IndicatorRows(S, "200001", intern=True),
    "int_school_otherland": IndicatorRows(S, "300001", intern=True),
}
SCHOOL_REFS = {
    "school": SchoolRef("100001"),
    "school_sibling": SchoolRef("100002"),
    "school_other": SchoolRef("200001"),
    "school_otherland": SchoolRef("300001"),
}
CLASS_REFS = {
    "class": ClassRef("100001", "5a"),
    "class_sibling": ClassRef("100001", "5b"),
    "class_other": ClassRef("200001", "5a"),
}
OFFERS = {"offer": OfferRef("kita-17"), "offer_new": OfferRef()}

PROBES: list[tuple[Action, str, object]] = [
    *((V, k, o) for k, o in ROWS.items()),
    *((E, k, o) for k, o in (ROWS | SCHOOL_REFS | CLASS_REFS).items()),
    *((VS, k, o) for k, o in SCHOOL_REFS.items()),
    *((VC, k, o) for k, o in CLASS_REFS.items()),
    *((Action.EDIT_OFFER, k, o) for k, o in OFFERS.items()),
    (Action.MANAGE_USERS, "-", None),
    (Action.VIEW_AUDIT_LOG, "-", None),
    (Action.REQUEST_MICRODATA, "-", None),
    *((Action.RUN_SURVEY, k, o) for k, o in CLASS_REFS.items()),
    *((Action.VIEW_SURVEY_CLASS, k, o) for k, o in CLASS_REFS.items()),
    *((Action.VIEW_SURVEY_SCHOOL, k, o) for k, o in SCHOOL_REFS.items()),
    (Action.VIEW_SURVEY_LAND, "-", None),
    (Action.MANAGE_TESTS, "-", None),
    *((Action.PROCTOR_TEST, k, o) for k, o in CLASS_REFS.items()),
    *((Action.CODE_RESPONSES, k, o) for k, o in CLASS_REFS.items()),
]
assert {a for a, _, _ in PROBES} == set(Action), "every action needs probes"

PUBLIC = {(a, k) for a in (V, E) for k in ("pub_land", "pub_gemeinde_otherland", "pub_school")}


def _views(*keys: str) -> set[tuple[Action, str]]:
    """Viewing a probe also allows exporting it (export = download of what one may view)."""
    out: set[tuple[Action, str]] = set()
    for key in keys:
        if key in ROWS:
            out |= {(V, key), (E, key)}
        elif key in SCHOOL_REFS:
            out |= {(VS, key), (E, key)}
        else:
            out |= {(VC, key), (E, key)}
    return out


GRANTS: dict[str, tuple[Grant, ...]] = {
    "anonym": (),
    "land": (Grant(Role.LAND, ScopeType.LAND, "09"),),
    "kreis": (Grant(Role.KREIS, ScopeType.KREIS, "09161"),),
    "schulaufsicht_kreis": (Grant(Role.SCHULAUFSICHT, ScopeType.KREIS, "09161"),),
    "schulaufsicht_liste": (
        Grant(Role.SCHULAUFSICHT, ScopeType.SCHULE, "100001"),
        Grant(Role.SCHULAUFSICHT, ScopeType.SCHULE, "100002"),
    ),
    "schulleitung": (Grant(Role.SCHULLEITUNG, ScopeType.SCHULE, "100001"),),
    "lehrkraft": (Grant(Role.LEHRKRAFT, ScopeType.KLASSE, "100001/5a"),),
    "forschung": (Grant(Role.FORSCHUNG, ScopeType.GLOBAL),),
    "redaktion": (Grant(Role.REDAKTION, ScopeType.GLOBAL),),
    "admin": (Grant(Role.ADMIN, ScopeType.GLOBAL),),
    # Combinations that validation refuses grant nothing even if they reach the database.
    "ungueltig": (
        Grant(Role.KREIS, ScopeType.SCHULE, "100001"),
        Grant(Role.ADMIN, ScopeType.KREIS, "09161"),
        Grant(Role.LEHRKRAFT, ScopeType.SCHULE, "100001"),
    ),
}

SCHULAUFSICHT = PUBLIC | _views(
    "int_school", "int_school_sibling", "school", "school_sibling"
)  # both variants cover the two schools of Kreis 09161
ALLOWED: dict[str, set[tuple[Action, str]]] = {
    "anonym": PUBLIC,
    "land": PUBLIC
    | {(Action.VIEW_SURVEY_LAND, "-"), (Action.MANAGE_TESTS, "-")}
    # The Land institute codes open answers of its schools (not of Land 10).
    | {(Action.CODE_RESPONSES, k) for k in ("class", "class_sibling", "class_other")}
    | _views(
        "int_land",
        "int_kreis",
        "draft_kreis",
        "int_kreis_other",
        "int_gemeinde",
        "int_gemeinde_other",
        "int_kreistyp",
        "int_school",
        "int_school_sibling",
        "int_school_other",
        "school",
        "school_sibling",
        "school_other",
    ),
    "kreis": PUBLIC
    | _views(
        "int_kreis",
        "draft_kreis",
        "int_gemeinde",
        "int_school",
        "int_school_sibling",
        "school",
        "school_sibling",
    ),
    "schulaufsicht_kreis": SCHULAUFSICHT,
    "schulaufsicht_liste": SCHULAUFSICHT,
    # Survey results of a class are the teacher's; the Schulleitung reads released school
    # aggregates only (VIEW_SURVEY_SCHOOL), never a class report.
    "schulleitung": PUBLIC
    | _views("int_school", "school", "class", "class_sibling")
    | {(Action.VIEW_SURVEY_SCHOOL, "school")}
    | {
        (a, k)
        for a in (Action.PROCTOR_TEST, Action.CODE_RESPONSES)
        for k in ("class", "class_sibling")
    },
    "lehrkraft": PUBLIC
    | _views("class")
    | {
        (a, "class")
        for a in (
            Action.RUN_SURVEY,
            Action.VIEW_SURVEY_CLASS,
            Action.PROCTOR_TEST,
            Action.CODE_RESPONSES,
        )
    },
    "forschung": PUBLIC | {(Action.REQUEST_MICRODATA, "-")},
    "redaktion": PUBLIC | {(Action.EDIT_OFFER, "offer"), (Action.EDIT_OFFER, "offer_new")},
    "admin": PUBLIC | {(Action.MANAGE_USERS, "-"), (Action.VIEW_AUDIT_LOG, "-")},
    "ungueltig": PUBLIC,
}


def _principal(name: str) -> Principal:
    if name == "anonym":
        return ANONYMOUS
    return principal_for(1, name, name.title(), GRANTS[name], HIERARCHY)


def test_every_role_is_in_the_matrix() -> None:
    covered = {g.role for grants in GRANTS.values() for g in grants}
    assert covered == set(Role)
    assert set(ALLOWED) == set(GRANTS)
    probe_keys = {(a, k) for a, k, _ in PROBES}
    for name, allowed in ALLOWED.items():
        assert allowed <= probe_keys, f"{name}: allowed entries without a probe"


@pytest.mark.parametrize("who", list(GRANTS))
@pytest.mark.parametrize(("action", "key", "obj"), PROBES, ids=[f"{a}-{k}" for a, k, _ in PROBES])
def test_matrix(who: str, action: Action, key: str, obj: object) -> None:
    expected = (action, key) in ALLOWED[who]
    assert can(_principal(who), action, obj) is expected
    if who == "anonym":
        assert can(None, action, obj) is expected


def test_string_actions_and_wrong_objects() -> None:
    land = _principal("land")
    assert can(land, "view_school", SchoolRef("100001"))
    with pytest.raises(TypeError):
        can(land, Action.VIEW_SCHOOL, ClassRef("100001", "5a"))
    with pytest.raises(TypeError):
        can(land, Action.MANAGE_USERS, SchoolRef("100001"))
    with pytest.raises(TypeError):
        can(land, Action.EDIT_OFFER, None)
    with pytest.raises(ValueError):
        can(land, "alles_duerfen", None)


def test_union_of_grants() -> None:
    both = principal_for(
        2,
        "x",
        "X",
        (
            Grant(Role.LEHRKRAFT, ScopeType.KLASSE, "200001/7c"),
            Grant(Role.REDAKTION, ScopeType.GLOBAL),
        ),
        HIERARCHY,
    )
    assert both.roles == {Role.LEHRKRAFT, Role.REDAKTION}
    assert can(both, Action.VIEW_CLASS, ClassRef("200001", "7c"))
    assert can(both, Action.EDIT_OFFER, OfferRef())
    assert not can(both, Action.VIEW_SCHOOL, SchoolRef("200001"))


def test_hierarchy_from_the_analytic_store(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    assert load_hierarchy(path) == Hierarchy()
    with AnalyticStore(path) as store, store.transaction() as con:
        for ags, parent in REGIONS:
            ebene = {2: "LAND", 5: "KREIS", 8: "GEMEINDE"}[len(ags)]
            con.execute(
                "INSERT INTO regions (ags, name, ebene, parent_ags) VALUES (?, ?, ?, ?)",
                [ags, f"Region {ags}", ebene, parent],
            )
        for nr, kreis, gemeinde in SCHOOLS:
            con.execute(
                "INSERT INTO schools VALUES (?, ?, 'GS', 'OEFFENTLICH', ?, ?, 'OFFEN')",
                [nr, f"Schule {nr}", gemeinde, kreis],
            )
    loaded = load_hierarchy(path)
    assert loaded.region_parent == HIERARCHY.region_parent
    assert loaded.school_location == HIERARCHY.school_location
    assert loaded.names["100001"] == "Schule 100001" and loaded.names["09161"] == "Region 09161"
    assert loaded.schools_under("09161") == {"100001", "100002"}
    assert loaded.regions_under("09162") == {"09162", "09162000"}
