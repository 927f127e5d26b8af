"""Settings, read from environment variables ``BIMO_*`` (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The floor below which no published number may describe people. Configuration may raise
# the minimum, never lower it.
ABSOLUTE_MIN_CELL = 5


class Settings(BaseSettings):
    """BiMo configuration. Every field is documented in ``docs/configuration.md``."""

    model_config = SettingsConfigDict(env_prefix="BIMO_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("bimo-data"), description="Arbeitsverzeichnis für Datenbestände")
    duckdb_path: Path | None = Field(
        None, description="Pfad der DuckDB-Datei (Standard: DATA_DIR/bimo.duckdb)"
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy-URL der operativen Datenbank "
        "(Standard: SQLite in DATA_DIR/bimo.sqlite; Produktion: postgresql+psycopg://…)",
    )
    min_cell: int = Field(
        ABSOLUTE_MIN_CELL, description="Mindestfallzahl für veröffentlichte Zahlen (≥ 5)"
    )
    pseudonym_key_env: str = Field(
        "BIMO_PSEUDONYM_KEY",
        description="Name der Umgebungsvariablen, aus der der Pseudonymisierungsschlüssel "
        "gelesen wird, wenn keine Schlüsseldatei angegeben ist",
    )

    @field_validator("min_cell")
    @classmethod
    def _min_cell_floor(cls, value: int) -> int:
        if value < ABSOLUTE_MIN_CELL:
            raise ValueError(
                f"BIMO_MIN_CELL={value} ist nicht zulässig: die Mindestfallzahl darf "
                f"{ABSOLUTE_MIN_CELL} nicht unterschreiten."
            )
        return value

    @property
    def resolved_duckdb_path(self) -> Path:
        return self.duckdb_path or self.data_dir / "bimo.duckdb"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bimo.sqlite'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
