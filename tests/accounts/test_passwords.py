"""Password rules (BSI/NIST: length, common passwords, context words) and Argon2id hashing."""

from __future__ import annotations

import pytest

from bimo.accounts.passwords import (
    HashParameters,
    PasswordRejected,
    check_password,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)

CHEAP = HashParameters(time_cost=1, memory_kib=1024, parallelism=1)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kurz", "mindestens 12 Zeichen"),
        ("elfZeichen!", "mindestens 12 Zeichen"),
        ("passwort1234", "häufig verwendeter"),
        ("Passwort1234", "häufig verwendeter"),
        ("123456789012", "häufig verwendeter"),
        ("Sommer2024!!", "Abwandlung"),
        ("!!Schalke04!!", "Abwandlung"),
        ("hallohallohallo", "häufig verwendeter"),
        ("abcabcabcabc", "häufig verwendeter"),
        ("aaaaaaaaaaaaaa", "einem oder zwei Zeichen"),
        ("ababababababab", "einem oder zwei Zeichen"),
        ("xyz-erika.k-2024", "Anmeldenamen"),
        ("Mustermann-im-Garten", "Anmeldenamen"),
        ("Mein BiMo-Zugang 7", "Namen der Anwendung"),
        ("x" * 1025, "höchstens 1024"),
    ],
)
def test_weak_passwords_are_rejected(password: str, reason: str) -> None:
    with pytest.raises(PasswordRejected, match=reason):
        check_password(password, login="erika.k", display_name="Erika Mustermann")


@pytest.mark.parametrize(
    "password",
    [
        "korrekt pferd batterie heftklammer",  # a passphrase: no composition rules
        "nurkleinbuchstabenhier",
        "840291653712",  # digits only, but not a common sequence
    ],
)
def test_long_passwords_need_no_composition(password: str) -> None:
    check_password(password, login="erika.k", display_name="Erika Mustermann")


def test_minimum_length_is_configurable() -> None:
    check_password("zwölfzeichen", login="erika.k")
    with pytest.raises(PasswordRejected, match="mindestens 16"):
        check_password("zwölfzeichen", login="erika.k", min_length=16)


def test_bundled_list_is_loaded() -> None:
    common = common_passwords()
    assert len(common) > 300
    assert {"123456", "passwort", "qwertz"} <= common
    assert not any(entry.startswith("#") for entry in common)


def test_hash_is_argon2id_with_explicit_parameters() -> None:
    stored = hash_password("korrekt pferd batterie", CHEAP)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert verify_password(stored, "korrekt pferd batterie")
    assert not verify_password(stored, "korrekt pferd batteriE")
    assert not verify_password("kein-hash", "korrekt pferd batterie")
    # Salted: the same password hashes differently each time.
    assert stored != hash_password("korrekt pferd batterie", CHEAP)


def test_rehash_needed_when_parameters_change() -> None:
    stored = hash_password("korrekt pferd batterie", CHEAP)
    assert not needs_rehash(stored, CHEAP)
    assert needs_rehash(stored, HashParameters(time_cost=2, memory_kib=1024, parallelism=1))
    assert needs_rehash(stored, HashParameters(time_cost=1, memory_kib=2048, parallelism=1))
    assert needs_rehash("kein-hash", CHEAP)


def test_default_parameters_follow_rfc_9106() -> None:
    from bimo.accounts.config import AccountSettings

    defaults = AccountSettings.model_fields
    assert defaults["argon2_time_cost"].default == 3
    assert defaults["argon2_memory_kib"].default == 65536
    assert defaults["argon2_parallelism"].default == 4
    assert defaults["lockout_attempts"].default == 5
    assert defaults["lockout_minutes"].default == 15
