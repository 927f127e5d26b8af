"""Access codes and tokens: generation, normalisation, hashing.

A code is 10 characters from a 31-character alphabet without the look-alikes 0/O, 1/I/L
(10 · log2 31 ≈ 49.5 bits), printed in two groups ``ABCDE-FGHJK``. Only its SHA-256 is
stored: a guessed code can only be checked online, where 2^49 possibilities against a few
thousand live codes leave no practical chance, and the codes expire after days.
"""

from __future__ import annotations

import hashlib
import math
import secrets

from .errors import DeliveryError

__all__ = [
    "CODE_ALPHABET",
    "CODE_BITS",
    "CODE_LENGTH",
    "check_code_shape",
    "format_code",
    "generate_code",
    "hash_secret",
    "new_token",
    "normalise_code",
]

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_BITS = CODE_LENGTH * math.log2(len(CODE_ALPHABET))
_ALPHABET = frozenset(CODE_ALPHABET)


def generate_code() -> str:
    """A fresh code (ungrouped), from the operating system's CSPRNG."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCDEFGHJK`` → ``ABCDE-FGHJK`` (the printed form)."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(text: str) -> str:
    """What a student typed → the code: blanks and dashes removed, upper case."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-‐‑–—").upper()


def check_code_shape(code: str) -> None:
    """Refuse input that cannot be a code, with a hint for the usual typing mistakes."""
    if len(code) != CODE_LENGTH:
        raise DeliveryError(
            f"Ein Zugangscode hat {CODE_LENGTH} Zeichen (z. B. ABCDE-FGHJK); bitte die Eingabe "
            "prüfen."
        )
    bad = sorted({ch for ch in code if ch not in _ALPHABET})
    if bad:
        hint = ""
        if set(bad) & set("0O1IL"):
            hint = " Die Zeichen 0, O, 1, I und L kommen in Zugangscodes nicht vor."
        raise DeliveryError("Der Zugangscode enthält ungültige Zeichen." + hint)


def hash_secret(value: str) -> str:
    """SHA-256 hex digest: how codes, attempt tokens and device tokens are stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A random attempt token for the player's cookie (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)
