"""Settings of the account system (``BIMO_ACCOUNTS_*``), separate from the core settings.

The core :class:`bimo.core.config.Settings` is a shared contract; account-specific knobs live
here so that the web layer and the ``bimo users`` commands read the same values.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AccountSettings(BaseSettings):
    """Password hashing and lockout parameters (documented in ``docs/security.md``)."""

    model_config = SettingsConfigDict(env_prefix="BIMO_ACCOUNTS_", env_file=".env", extra="ignore")

    lockout_attempts: int = Field(5, ge=1, description="Fehlversuche bis zur Sperre")
    lockout_minutes: int = Field(15, ge=1, description="Dauer der Sperre in Minuten")
    # RFC 9106, section 4, second recommended option (memory-constrained): Argon2id, t=3,
    # 64 MiB, p=4. Raising these rehashes every password at its next successful login.
    argon2_time_cost: int = Field(3, ge=1, description="Argon2id: Iterationen")
    argon2_memory_kib: int = Field(65536, ge=8, description="Argon2id: Speicher in KiB")
    argon2_parallelism: int = Field(4, ge=1, description="Argon2id: Parallelität")
    password_min_length: int = Field(12, ge=8, description="Mindestlänge von Passwörtern")


@lru_cache(maxsize=1)
def get_account_settings() -> AccountSettings:
    return AccountSettings()
