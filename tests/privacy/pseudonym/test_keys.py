"""Key loading, strength heuristic, generation and per-purpose derivation."""

from __future__ import annotations

import base64
import os
import random
import secrets
import stat
from pathlib import Path

import pytest

from bimo.core.config import get_settings
from bimo.core.errors import ConfigError
from bimo.privacy.keys import (
    MasterKey,
    PseudonymKeyError,
    check_key_strength,
    decode_key,
    generate_key_file,
    hkdf_sha256,
    load_master_key,
)


def test_hkdf_matches_rfc5869_test_case_1() -> None:
    ikm = bytes.fromhex("0b" * 22)
    salt = bytes.fromhex("000102030405060708090a0b0c")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = hkdf_sha256(ikm, info=info, length=42, salt=salt)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


# Deterministic "random" bytes: parametrisation must be identical across xdist workers.
_RNG = random.Random(20261121)


@pytest.mark.parametrize(
    ("material", "fragment"),
    [
        (_RNG.randbytes(31), "zu kurz"),
        (b"\x00" * 32, "gleichförmig"),
        (bytes(range(16)) * 2, "Muster"),
        (_RNG.randbytes(8) * 4, "gleichförmig"),
        (_RNG.randbytes(20) * 2, "Muster"),
        (bytes(range(10, 42)), "gleichmäßige"),
        (bytes((200 - 3 * i) % 256 for i in range(40)), "gleichmäßige"),
    ],
    ids=["kurz", "nullen", "periode16", "wenige-werte", "periode20", "aufsteigend", "absteigend"],
)
def test_weak_keys_are_refused_without_echoing_them(material: bytes, fragment: str) -> None:
    with pytest.raises(PseudonymKeyError) as info:
        check_key_strength(material, "Test")
    message = str(info.value)
    assert fragment in message
    assert material.hex() not in message
    assert base64.b64encode(material).decode() not in message


def test_random_keys_pass_the_heuristic() -> None:
    for _ in range(200):
        check_key_strength(secrets.token_bytes(32), "Test")


def test_decode_hex_and_base64() -> None:
    raw = secrets.token_bytes(32)
    assert decode_key(raw.hex().upper() + "\n", "Test") == raw
    assert decode_key(base64.b64encode(raw).decode(), "Test") == raw
    assert decode_key(base64.urlsafe_b64encode(raw).decode().rstrip("="), "Test") == raw


def test_plain_text_passphrase_is_refused() -> None:
    with pytest.raises(PseudonymKeyError, match="weder hexadezimal noch Base64"):
        decode_key("mein geheimes Passwort für die Schule!!", "Test")


def test_key_from_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = secrets.token_bytes(32)
    monkeypatch.setenv("BIMO_PSEUDONYM_KEY", raw.hex())
    assert load_master_key().material == raw
    monkeypatch.setenv("BIMO_PSEUDONYM_KEY_ENV", "ANDERER_SCHLUESSEL")
    monkeypatch.setenv("ANDERER_SCHLUESSEL", base64.b64encode(raw).decode())
    get_settings.cache_clear()
    assert load_master_key().material == raw


def test_missing_key_is_a_german_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIMO_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="Kein Pseudonymisierungsschlüssel"):
        load_master_key()
    with pytest.raises(ConfigError, match="existiert nicht"):
        load_master_key(Path("/nicht/vorhanden.key"))


def test_generate_writes_32_random_bytes_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    old_umask = os.umask(0)  # even with a permissive umask the file must be 0600
    try:
        generate_key_file(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_master_key(path)
    assert len(key.material) == 32
    with pytest.raises(PseudonymKeyError, match="existiert bereits"):
        generate_key_file(path)
    generate_key_file(path, overwrite=True)
    assert load_master_key(path).material != key.material


def test_master_key_repr_hides_material() -> None:
    raw = secrets.token_bytes(32)
    key = MasterKey(raw, "Test")
    for text in (repr(key), str(key)):
        assert raw.hex() not in text
        assert str(raw) not in text


def test_purposes_derive_different_keys() -> None:
    key = MasterKey(secrets.token_bytes(32), "Test")
    assert key.derive("projekt-a") == key.derive("projekt-a")
    assert key.derive("projekt-a") != key.derive("projekt-b")
    assert key.derive("projekt-a") != key.material
    with pytest.raises(ConfigError, match="Verwendungszweck"):
        key.derive("Projekt A")
