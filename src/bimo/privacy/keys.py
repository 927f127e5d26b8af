"""Key material of the Vertrauensstelle: loading, strength check, generation, derivation.

The master key never leaves this module in readable form: it is held in :class:`MasterKey`
(whose ``repr`` hides it), every error message is written so that it cannot contain the key,
and only *derived* per-purpose keys are handed to the hashing code.

Accepted encodings (file content or environment variable, surrounding whitespace ignored):

* hexadecimal (``0-9a-f``, even length) – the format ``bimo key generate`` writes;
* Base64 (standard or URL-safe alphabet, padding optional).

Raw text ("passwords") is refused: a typed phrase has far less than 8 bits of entropy per
character, and accepting it would invite weak keys.

Strength heuristic (:func:`check_key_strength`), applied to the decoded bytes:

1. at least :data:`MIN_KEY_BYTES` (32) bytes;
2. at least :data:`MIN_DISTINCT_BYTES` (16) distinct byte values – 32 uniformly random bytes
   have ~30 distinct values, fewer than 16 happens with probability < 1e-9;
3. not periodic with a period of at most half the key length (``abab…``, ``0000…``);
4. not an arithmetic progression (``00 01 02 …``, ``ff fe fd …``), a typical "test key".
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bimo.core.config import get_settings
from bimo.core.errors import ConfigError

MIN_KEY_BYTES = 32
MIN_DISTINCT_BYTES = 16
DEFAULT_PURPOSE = "bildungsverlauf"
# HKDF salt: fixed and public. Its job is domain separation from other uses of the same key.
_HKDF_SALT = b"bimo-pseudonym-v1"
_PURPOSE_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_B64_RE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


class PseudonymKeyError(ConfigError):
    """Missing, unreadable or weak key. The message never contains key material."""


@dataclass(frozen=True)
class MasterKey:
    """The decoded master key. ``repr``/``str`` never show the bytes."""

    material: bytes = field(repr=False)
    source: str  # human-readable origin ("Datei …", "Umgebungsvariable …"), no key bytes

    def __str__(self) -> str:
        return f"MasterKey(aus {self.source})"

    def derive(self, purpose: str) -> bytes:
        """The per-purpose key: HKDF-SHA-256 (RFC 5869), info = ``bimo-purpose:<purpose>``.

        Pseudonyms of different purposes (projects) are unlinkable without the master key,
        which only the Vertrauensstelle holds.
        """
        return hkdf_sha256(
            self.material, info=b"bimo-purpose:" + validate_purpose(purpose).encode()
        )


def validate_purpose(purpose: str) -> str:
    if not _PURPOSE_RE.fullmatch(purpose):
        raise ConfigError(
            f"Ungültiger Verwendungszweck {purpose!r}: erlaubt sind Kleinbuchstaben, Ziffern, "
            "'_', '.', '-' (1–64 Zeichen, beginnend mit Buchstabe oder Ziffer)."
        )
    return purpose


def hkdf_sha256(ikm: bytes, *, info: bytes, length: int = 32, salt: bytes = _HKDF_SALT) -> bytes:
    """HKDF-Extract-and-Expand with SHA-256 (RFC 5869)."""
    prk = hmac.digest(salt, ikm, "sha256")
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        out += block
        counter += 1
    return out[:length]


def decode_key(text: str, source: str) -> bytes:
    """Decode hex or Base64 key text. Errors name ``source`` and the problem, never the key."""
    stripped = "".join(text.split())
    if not stripped:
        raise PseudonymKeyError(f"Der Schlüssel aus {source} ist leer.")
    if _HEX_RE.fullmatch(stripped) and len(stripped) % 2 == 0:
        return bytes.fromhex(stripped)
    if _B64_RE.fullmatch(stripped):
        padded = stripped + "=" * (-len(stripped) % 4)
        try:
            if "-" in padded or "_" in padded:
                return base64.urlsafe_b64decode(padded)
            return base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise PseudonymKeyError(
        f"Der Schlüssel aus {source} ist weder hexadezimal noch Base64-kodiert. "
        "Bitte mit 'bimo key generate' einen Schlüssel erzeugen."
    )


def check_key_strength(material: bytes, source: str) -> None:
    """Refuse short or obviously low-entropy keys (heuristic: see module docstring)."""
    advice = " Bitte mit 'bimo key generate' einen zufälligen Schlüssel erzeugen."
    n = len(material)
    if n < MIN_KEY_BYTES:
        raise PseudonymKeyError(
            f"Der Schlüssel aus {source} ist zu kurz: {n} Byte, mindestens {MIN_KEY_BYTES} "
            f"Byte Schlüsselmaterial sind nötig.{advice}"
        )
    if len(set(material)) < MIN_DISTINCT_BYTES:
        raise PseudonymKeyError(
            f"Der Schlüssel aus {source} ist zu gleichförmig (weniger als "
            f"{MIN_DISTINCT_BYTES} verschiedene Byte-Werte).{advice}"
        )
    for period in range(1, n // 2 + 1):
        if all(material[i] == material[i - period] for i in range(period, n)):
            raise PseudonymKeyError(
                f"Der Schlüssel aus {source} besteht aus einem sich wiederholenden Muster "
                f"(Periode {period} Byte).{advice}"
            )
    steps = {(material[i] - material[i - 1]) % 256 for i in range(1, n)}
    if len(steps) == 1:
        raise PseudonymKeyError(
            f"Der Schlüssel aus {source} ist eine gleichmäßige Byte-Folge "
            f"(z. B. 00 01 02 …).{advice}"
        )


def load_master_key(key_file: Path | None = None, env_var: str | None = None) -> MasterKey:
    """Read the key from ``key_file`` or else from the environment variable.

    The variable's name comes from ``Settings.pseudonym_key_env`` unless given.
    """
    if key_file is not None:
        source = f"Schlüsseldatei {key_file}"
        try:
            text = key_file.read_text(encoding="ascii")
        except FileNotFoundError:
            raise PseudonymKeyError(f"Die {source} existiert nicht.") from None
        except (UnicodeDecodeError, ValueError):
            # The exception text could quote key bytes: do not chain it.
            raise PseudonymKeyError(
                f"Die {source} enthält keine ASCII-Zeichen (hex oder Base64 erwartet)."
            ) from None
        except OSError as exc:
            raise PseudonymKeyError(
                f"Die {source} kann nicht gelesen werden ({exc.strerror})."
            ) from None
    else:
        name = env_var or get_settings().pseudonym_key_env
        source = f"Umgebungsvariable {name}"
        value = os.environ.get(name)
        if value is None or not value.strip():
            raise PseudonymKeyError(
                f"Kein Pseudonymisierungsschlüssel: weder --key-file angegeben noch die "
                f"{source} gesetzt."
            )
        text = value
    material = decode_key(text, source)
    check_key_strength(material, source)
    return MasterKey(material, source)


def generate_key_file(path: Path, *, overwrite: bool = False) -> None:
    """Write 32 random bytes as hex to ``path`` with file mode 0600 (created that way)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise PseudonymKeyError(
            f"Die Schlüsseldatei {path} existiert bereits; ein vorhandener Schlüssel wird "
            "nicht überschrieben (--force zum Ersetzen)."
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        os.fchmod(fh.fileno(), 0o600)  # also when overwriting a file with laxer permissions
        fh.write(secrets.token_hex(MIN_KEY_BYTES) + "\n")
