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


# German reasons for the validation errors a setting can raise (pydantic error types).
_REASONS = {
    "int_parsing": "keine ganze Zahl",
    "int_from_float": "keine ganze Zahl",
    "float_parsing": "keine Zahl",
    "bool_parsing": "kein Wahrheitswert (1/0, true/false, yes/no, on/off)",
    "greater_than_equal": "zu klein (mindestens {ge})",
    "greater_than": "zu klein (größer als {gt})",
    "less_than_equal": "zu groß (höchstens {le})",
    "less_than": "zu groß (kleiner als {lt})",
    "missing": "fehlt",
}


def _settings_classes(base: type[BaseSettings] = BaseSettings) -> dict[str, type[BaseSettings]]:
    found: dict[str, type[BaseSettings]] = {}
    for cls in base.__subclasses__():
        found[cls.__name__] = cls
        found.update(_settings_classes(cls))
    return found


def describe_settings_error(exc: Exception) -> str | None:
    """A German message naming each bad environment variable, for a pydantic ``ValidationError``
    raised by a settings class (``None`` for anything else: a real fault stays a traceback)."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return None
    cls = _settings_classes().get(exc.title)
    if cls is None:
        return None
    prefix = str(cls.model_config.get("env_prefix", ""))
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        reason = _REASONS.get(error["type"], error["msg"]).format(**(error.get("ctx") or {}))
        value = error.get("input")
        shown = f" = {value!r}" if isinstance(value, str | int | float) else ""
        lines.append(f"{(prefix + field).upper()}{shown}: {reason}")
    return "Ungültige Einstellung: " + "; ".join(lines)
