"""Password rules, Argon2id hashing and the dummy verification for unknown accounts.

Rules follow BSI IT-Grundschutz ORP.4 and NIST SP 800-63B (sources in ``docs/security.md``):
a minimum length, no composition rules, a check against common passwords and against
context words (the login name). Hashes are Argon2id with explicit parameters; a stored hash
with other parameters is replaced at the next successful login (:func:`needs_rehash`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bimo.accounts.config import AccountSettings, get_account_settings
from bimo.accounts.roles import AccountError

__all__ = [
    "HashParameters",
    "PasswordRejected",
    "check_password",
    "hash_password",
    "needs_rehash",
    "verify_dummy",
    "verify_password",
]

# Passwords longer than this are refused: Argon2 hashes any length, but an unbounded form field
# lets one request cost arbitrary CPU.
MAX_LENGTH = 1024
_EDGE_NOISE = re.compile(r"^[\d\W_]+|[\d\W_]+$")
# Words of this deployment an attacker would try first.
_CONTEXT_WORDS = ("bimo", "bildungsmonitoring", "musterland")


class PasswordRejected(AccountError):
    """A new password does not satisfy the password rules (German reason)."""


@dataclass(frozen=True)
class HashParameters:
    """Argon2id cost parameters (memory in KiB)."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    @classmethod
    def from_settings(cls, settings: AccountSettings | None = None) -> HashParameters:
        s = settings or get_account_settings()
        return cls(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


@cache
def _hasher(params: HashParameters) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


@cache
def _dummy_hash(params: HashParameters) -> str:
    return _hasher(params).hash("bimo-dummy-passwort-fuer-unbekannte-konten")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case)."""
    text = files("bimo.accounts").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password(
    password: str, *, login: str, display_name: str = "", min_length: int | None = None
) -> None:
    """Raise :class:`PasswordRejected` if ``password`` breaks a rule; no composition rules."""
    minimum = min_length if min_length is not None else get_account_settings().password_min_length
    if len(password) < minimum:
        raise PasswordRejected(f"Das Passwort muss mindestens {minimum} Zeichen lang sein.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Das Passwort darf höchstens {MAX_LENGTH} Zeichen lang sein.")
    lowered = password.lower()
    if len(set(lowered)) <= 2:
        raise PasswordRejected("Das Passwort besteht nur aus einem oder zwei Zeichen.")
    stem = _EDGE_NOISE.sub("", lowered)
    common = common_passwords()
    if lowered in common or stem in common or _is_repetition(stem, common):
        raise PasswordRejected(
            "Das Passwort steht auf der Liste häufig verwendeter Passwörter oder ist nur "
            "eine Abwandlung davon."
        )
    names = [login.lower(), *(p for p in re.split(r"\W+", display_name.lower()) if len(p) >= 4)]
    if any(len(name) >= 3 and name in lowered for name in names):
        raise PasswordRejected("Das Passwort darf den Anmeldenamen oder Namen nicht enthalten.")
    if any(word in lowered for word in _CONTEXT_WORDS):
        raise PasswordRejected("Das Passwort darf den Namen der Anwendung nicht enthalten.")


def _is_repetition(stem: str, common: frozenset[str]) -> bool:
    """``"hallohallohallo"``: a common word repeated."""
    for size in range(3, len(stem) // 2 + 1):
        if len(stem) % size == 0 and stem == stem[:size] * (len(stem) // size):
            return True
    return stem[: len(stem) // 2] in common and stem == stem[: len(stem) // 2] * 2


def hash_password(password: str, params: HashParameters | None = None) -> str:
    return _hasher(params or HashParameters.from_settings()).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Constant-time check of ``password`` against ``stored_hash`` (its own parameters)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        # Verification reads the parameters from the hash itself.
        return _hasher(HashParameters()).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, params: HashParameters | None = None) -> bool:
    try:
        return _hasher(params or HashParameters.from_settings()).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def verify_dummy(password: str, params: HashParameters | None = None) -> None:
    """Spend the same time as a real verification (unknown login names are not revealed)."""
    verify_password(_dummy_hash(params or HashParameters.from_settings()), password)
