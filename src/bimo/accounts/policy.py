"""The authorisation policy: the ONE place that decides who may do what with which object.

:func:`can` is a pure function over small frozen dataclasses. A :class:`Principal` carries the
user's grants already *resolved* against the region/school hierarchy of the analytic store
(:func:`resolve_grants`), so checking needs no database and every route asks the same question
the same way: ``can(principal, Action.VIEW_SCHOOL, SchoolRef("123456"))``.

Rules in short (``docs/security.md`` has the full table):

* everybody, also anonymous visitors, sees published non-internal indicator rows;
* internal or unpublished rows: ``land`` in its Land (all levels incl. Kreistyp comparisons),
  ``kreis`` for its Kreis, the Kreis' Gemeinden and schools, ``schulaufsicht`` and
  ``schulleitung`` for school-level rows of their schools;
* school dashboards: ``land``/``kreis`` (schools in their region), ``schulaufsicht`` (its
  schools), ``schulleitung`` (its school); class level: ``schulleitung`` of the school and the
  ``lehrkraft`` of the class only;
* ``redaktion`` edits offers/actors, ``forschung`` requests microdata, ``admin`` manages users
  and reads the audit log. Administration grants no data access (least privilege);
* surveys: the class's ``lehrkraft`` runs rounds and reads its class report, the
  ``schulleitung`` reads released school aggregates, ``land`` aggregates across schools;
* tests: ``land`` manages tests and waves; ``lehrkraft``/``schulleitung`` proctor sessions of
  their classes; open answers are coded by the school or the ``land`` institute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bimo.accounts.roles import Role, ScopeType, split_class_scope

__all__ = [
    "ANONYMOUS",
    "Action",
    "ClassRef",
    "Grant",
    "Hierarchy",
    "IndicatorRows",
    "Level",
    "OfferRef",
    "Principal",
    "ResolvedGrant",
    "SchoolRef",
    "can",
    "principal_for",
    "resolve_grants",
]


class Level(StrEnum):
    LAND = "LAND"
    KREIS = "KREIS"
    GEMEINDE = "GEMEINDE"
    KREISTYP = "KREISTYP"
    SCHULE = "SCHULE"


class Action(StrEnum):
    VIEW_INDICATOR = "view_indicator"
    VIEW_SCHOOL = "view_school"
    VIEW_CLASS = "view_class"
    EXPORT = "export"
    EDIT_OFFER = "edit_offer"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT_LOG = "view_audit_log"
    REQUEST_MICRODATA = "request_microdata"
    # Surveys (Schülerfeedback): a class's results belong to its teacher; the Schulleitung sees
    # only school aggregates the teachers released (a data question for bimo.surveys, asked
    # after this check); the Land only aggregates across schools.
    RUN_SURVEY = "run_survey"
    VIEW_SURVEY_CLASS = "view_survey_class"
    VIEW_SURVEY_SCHOOL = "view_survey_school"
    VIEW_SURVEY_LAND = "view_survey_land"
    # Test delivery (Lernstandserhebungen): the Land designs tests and waves; teachers and the
    # Schulleitung run sessions for their classes and code open answers of their school.
    MANAGE_TESTS = "manage_tests"
    PROCTOR_TEST = "proctor_test"
    CODE_RESPONSES = "code_responses"


# --- objects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRows:
    """Indicator values of one unit: ``ags`` is the region AGS, the Schulnummer (level SCHULE)
    or the Kreistyp code (level KREISTYP)."""

    level: Level
    ags: str
    intern: bool = False
    published: bool = True

    @property
    def public(self) -> bool:
        return self.published and not self.intern


@dataclass(frozen=True)
class SchoolRef:
    schulnummer: str


@dataclass(frozen=True)
class ClassRef:
    schulnummer: str
    klasse: str


@dataclass(frozen=True)
class OfferRef:
    """An entry of the Angebote/Akteure directory (``None``: a new entry)."""

    offer_id: str | None = None


# --- subjects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    role: Role
    scope_type: ScopeType
    scope_id: str = ""


@dataclass(frozen=True)
class Hierarchy:
    """Regions and schools of the analytic store, reduced to what scoping needs."""

    # ags -> parent ags (None for the Land)
    region_parent: Mapping[str, str | None] = field(default_factory=dict)
    # schulnummer -> (kreis_ags, gemeinde_ags)
    school_location: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # ags / schulnummer -> name, for display only (never used in decisions)
    names: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        regions: Iterable[tuple[str, str | None]],
        schools: Iterable[tuple[str, str, str]],
    ) -> Hierarchy:
        """From ``(ags, parent_ags)`` and ``(schulnummer, kreis_ags, gemeinde_ags)`` rows."""
        return cls(
            {ags: parent for ags, parent in regions},
            {nr: (kreis, gemeinde) for nr, kreis, gemeinde in schools},
        )

    def regions_under(self, ags: str) -> frozenset[str]:
        """``ags`` and every region below it (AGS prefixes nest: Land 2, Kreis 5, Gemeinde 8)."""
        return frozenset({ags, *(r for r in self.region_parent if r.startswith(ags))})

    def schools_under(self, ags: str) -> frozenset[str]:
        return frozenset(
            nr
            for nr, (kreis, gemeinde) in self.school_location.items()
            if kreis.startswith(ags) or gemeinde.startswith(ags)
        )


@dataclass(frozen=True)
class ResolvedGrant:
    """A grant with its scope expanded into the objects it covers."""

    role: Role
    regions: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()
    classes: frozenset[tuple[str, str]] = frozenset()
    land: bool = False  # covers Kreistyp comparison rows (Land staff only)


@dataclass(frozen=True)
class Principal:
    """Who is asking: an authenticated, active user with resolved grants, or anonymous."""

    user_id: int | None = None
    login: str | None = None
    display_name: str = ""
    grants: tuple[ResolvedGrant, ...] = ()
    raw_grants: tuple[Grant, ...] = ()

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)


ANONYMOUS = Principal()


def resolve_grants(grants: Iterable[Grant], hierarchy: Hierarchy) -> tuple[ResolvedGrant, ...]:
    resolved: list[ResolvedGrant] = []
    for grant in grants:
        role, kind, scope = grant.role, grant.scope_type, grant.scope_id
        if role is Role.LAND and kind is ScopeType.LAND:
            resolved.append(
                ResolvedGrant(
                    role, hierarchy.regions_under(scope), hierarchy.schools_under(scope), land=True
                )
            )
        elif role is Role.KREIS and kind is ScopeType.KREIS:
            resolved.append(
                ResolvedGrant(role, hierarchy.regions_under(scope), hierarchy.schools_under(scope))
            )
        elif role is Role.SCHULAUFSICHT and kind is ScopeType.KREIS:
            resolved.append(ResolvedGrant(role, schools=hierarchy.schools_under(scope)))
        elif role in (Role.SCHULAUFSICHT, Role.SCHULLEITUNG) and kind is ScopeType.SCHULE:
            resolved.append(ResolvedGrant(role, schools=frozenset({scope})))
        elif role is Role.LEHRKRAFT and kind is ScopeType.KLASSE:
            resolved.append(ResolvedGrant(role, classes=frozenset({split_class_scope(scope)})))
        elif kind is ScopeType.GLOBAL and role in (Role.FORSCHUNG, Role.REDAKTION, Role.ADMIN):
            resolved.append(ResolvedGrant(role))
        # Any other combination is invalid (roles.validate_scope refuses to store it) and
        # grants nothing.
    return tuple(resolved)


def principal_for(
    user_id: int, login: str, display_name: str, grants: Iterable[Grant], hierarchy: Hierarchy
) -> Principal:
    raw = tuple(grants)
    return Principal(user_id, login, display_name, resolve_grants(raw, hierarchy), raw)


# --- the decision ----------------------------------------------------------------------------

_REGION_STAFF = frozenset({Role.LAND, Role.KREIS})
_SCHOOL_VIEWERS = frozenset({Role.LAND, Role.KREIS, Role.SCHULAUFSICHT, Role.SCHULLEITUNG})
_GLOBAL_ACTIONS: dict[Action, Role] = {
    Action.EDIT_OFFER: Role.REDAKTION,
    Action.MANAGE_USERS: Role.ADMIN,
    Action.VIEW_AUDIT_LOG: Role.ADMIN,
    Action.REQUEST_MICRODATA: Role.FORSCHUNG,
    Action.VIEW_SURVEY_LAND: Role.LAND,
    Action.MANAGE_TESTS: Role.LAND,
}


def _view_rows(grants: tuple[ResolvedGrant, ...], rows: IndicatorRows) -> bool:
    if rows.public:
        return True
    for g in grants:
        if rows.level is Level.SCHULE:
            if g.role in _SCHOOL_VIEWERS and rows.ags in g.schools:
                return True
        elif rows.level is Level.KREISTYP:
            if g.role is Role.LAND and g.land:
                return True
        elif g.role in _REGION_STAFF and rows.ags in g.regions:
            return True
    return False


def _view_school(grants: tuple[ResolvedGrant, ...], school: SchoolRef) -> bool:
    return any(g.role in _SCHOOL_VIEWERS and school.schulnummer in g.schools for g in grants)


def _view_class(grants: tuple[ResolvedGrant, ...], ref: ClassRef) -> bool:
    for g in grants:
        if g.role is Role.SCHULLEITUNG and ref.schulnummer in g.schools:
            return True
        if g.role is Role.LEHRKRAFT and (ref.schulnummer, ref.klasse) in g.classes:
            return True
    return False


def _own_class(grants: tuple[ResolvedGrant, ...], ref: ClassRef) -> bool:
    return any(
        g.role is Role.LEHRKRAFT and (ref.schulnummer, ref.klasse) in g.classes for g in grants
    )


def _code_responses(grants: tuple[ResolvedGrant, ...], ref: ClassRef) -> bool:
    # Coders of open answers: the school itself, and the Land's institute for its schools.
    return _view_class(grants, ref) or any(
        g.role is Role.LAND and ref.schulnummer in g.schools for g in grants
    )


def _survey_school(grants: tuple[ResolvedGrant, ...], school: SchoolRef) -> bool:
    return any(g.role is Role.SCHULLEITUNG and school.schulnummer in g.schools for g in grants)


def _expect(obj: object, *types: type) -> None:
    if not isinstance(obj, types):
        names = " | ".join(t.__name__ for t in types)
        raise TypeError(f"expected {names}, got {type(obj).__name__}")


# Actions on one kind of object: (object type, decision over the resolved grants).
_OBJECT_ACTIONS: dict[Action, tuple[type, Callable[[tuple[ResolvedGrant, ...], Any], bool]]] = {
    Action.VIEW_INDICATOR: (IndicatorRows, _view_rows),
    Action.VIEW_SCHOOL: (SchoolRef, _view_school),
    Action.VIEW_CLASS: (ClassRef, _view_class),
    Action.RUN_SURVEY: (ClassRef, _own_class),
    Action.VIEW_SURVEY_CLASS: (ClassRef, _own_class),
    Action.VIEW_SURVEY_SCHOOL: (SchoolRef, _survey_school),
    Action.PROCTOR_TEST: (ClassRef, _view_class),
    Action.CODE_RESPONSES: (ClassRef, _code_responses),
}


def can(principal: Principal | None, action: Action | str, obj: object = None) -> bool:
    """May ``principal`` (``None``: anonymous) perform ``action`` on ``obj``?

    Denies by default. A wrong object type for the action is a programming error
    (:class:`TypeError`), not a silent denial, so a mistaken call fails in tests.
    """
    action = Action(action)
    grants = (principal or ANONYMOUS).grants
    if (rule := _OBJECT_ACTIONS.get(action)) is not None:
        kind, decide = rule
        _expect(obj, kind)
        return decide(grants, obj)
    if action is Action.EXPORT:
        # An export is a download of something the principal may view; it is a separate action
        # so that routes ask for it explicitly and every export is audited.
        _expect(obj, IndicatorRows, SchoolRef, ClassRef)
        if isinstance(obj, IndicatorRows):
            return _view_rows(grants, obj)
        if isinstance(obj, SchoolRef):
            return _view_school(grants, obj)
        assert isinstance(obj, ClassRef)
        return _view_class(grants, obj)
    if action is Action.EDIT_OFFER:
        _expect(obj, OfferRef)
    elif obj is not None:
        raise TypeError(f"{action.value} takes no object, got {type(obj).__name__}")
    required = _GLOBAL_ACTIONS[action]
    return any(g.role is required for g in grants)
