"""Roles, scope types and which scope each role takes."""

from __future__ import annotations

import re
from enum import StrEnum

from bimo.core.errors import BimoError


class AccountError(BimoError):
    """A user-management request that cannot be carried out (German message)."""


class Role(StrEnum):
    LAND = "land"
    KREIS = "kreis"
    SCHULAUFSICHT = "schulaufsicht"
    SCHULLEITUNG = "schulleitung"
    LEHRKRAFT = "lehrkraft"
    FORSCHUNG = "forschung"
    REDAKTION = "redaktion"
    ADMIN = "admin"


class ScopeType(StrEnum):
    GLOBAL = "global"  # no object scope (Forschung, Redaktion, Admin)
    LAND = "land"  # 2-digit Land AGS
    KREIS = "kreis"  # 5-digit Kreis AGS
    SCHULE = "schule"  # 6-digit Schulnummer
    KLASSE = "klasse"  # "<schulnummer>/<klasse>"


ROLE_LABELS: dict[Role, str] = {
    Role.LAND: "Bildungsmonitoring Land",
    Role.KREIS: "Bildungsmonitoring Kreis",
    Role.SCHULAUFSICHT: "Schulaufsicht",
    Role.SCHULLEITUNG: "Schulleitung",
    Role.LEHRKRAFT: "Lehrkraft",
    Role.FORSCHUNG: "Forschung",
    Role.REDAKTION: "Redaktion Bildungsangebote",
    Role.ADMIN: "Administration",
}

SCOPE_LABELS: dict[ScopeType, str] = {
    ScopeType.GLOBAL: "ohne Objektbezug",
    ScopeType.LAND: "Land",
    ScopeType.KREIS: "Kreis",
    ScopeType.SCHULE: "Schule",
    ScopeType.KLASSE: "Klasse",
}

# Which scope types a role may be granted with. Schulaufsicht covers a set of schools: all
# schools of a Kreis, or single schools (several grants make an explicit list).
ALLOWED_SCOPES: dict[Role, frozenset[ScopeType]] = {
    Role.LAND: frozenset({ScopeType.LAND}),
    Role.KREIS: frozenset({ScopeType.KREIS}),
    Role.SCHULAUFSICHT: frozenset({ScopeType.KREIS, ScopeType.SCHULE}),
    Role.SCHULLEITUNG: frozenset({ScopeType.SCHULE}),
    Role.LEHRKRAFT: frozenset({ScopeType.KLASSE}),
    Role.FORSCHUNG: frozenset({ScopeType.GLOBAL}),
    Role.REDAKTION: frozenset({ScopeType.GLOBAL}),
    Role.ADMIN: frozenset({ScopeType.GLOBAL}),
}

_SCOPE_ID: dict[ScopeType, re.Pattern[str]] = {
    ScopeType.GLOBAL: re.compile(r""),
    ScopeType.LAND: re.compile(r"\d{2}"),
    ScopeType.KREIS: re.compile(r"\d{5}"),
    ScopeType.SCHULE: re.compile(r"\d{6}"),
    # Class names as schools write them: "5a", "10 b", "Q1", "E-Phase".
    ScopeType.KLASSE: re.compile(r"\d{6}/[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß .\-]{0,19}"),
}

_SCOPE_HINT: dict[ScopeType, str] = {
    ScopeType.GLOBAL: "keine Angabe",
    ScopeType.LAND: "2-stelliger Landesschlüssel, z. B. 09",
    ScopeType.KREIS: "5-stelliger Kreisschlüssel (AGS), z. B. 09162",
    ScopeType.SCHULE: "6-stellige Schulnummer, z. B. 123456",
    ScopeType.KLASSE: "Schulnummer/Klasse, z. B. 123456/5a",
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise AccountError(
            f"Unbekannte Rolle {value!r}; erlaubt: {', '.join(r.value for r in Role)}."
        ) from None


def parse_scope_type(value: str) -> ScopeType:
    try:
        return ScopeType(value.strip().lower())
    except ValueError:
        raise AccountError(
            f"Unbekannter Geltungsbereich {value!r}; erlaubt: "
            f"{', '.join(s.value for s in ScopeType)}."
        ) from None


def validate_scope(role: Role, scope_type: ScopeType, scope_id: str) -> str:
    """Check that ``role`` may be granted on ``scope_type``/``scope_id``; the normalised id."""
    if scope_type not in ALLOWED_SCOPES[role]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_SCOPES[role]))
        raise AccountError(
            f"Die Rolle {role.value} kann nicht mit Geltungsbereich {scope_type.value} "
            f"vergeben werden (erlaubt: {allowed})."
        )
    scope_id = scope_id.strip()
    if not _SCOPE_ID[scope_type].fullmatch(scope_id):
        raise AccountError(
            f"Ungültige Angabe {scope_id!r} für Geltungsbereich {scope_type.value} "
            f"(erwartet: {_SCOPE_HINT[scope_type]})."
        )
    return scope_id


def split_class_scope(scope_id: str) -> tuple[str, str]:
    """``"123456/5a"`` → ``("123456", "5a")``."""
    schulnummer, klasse = scope_id.split("/", 1)
    return schulnummer, klasse
