"""Settings of the web application (``BIMO_WEB_*``), separate from the shared core settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """Documented in ``docs/web.md``."""

    model_config = SettingsConfigDict(env_prefix="BIMO_WEB_", env_file=".env", extra="ignore")

    secret_key: SecretStr | None = Field(
        None,
        description="Schlüssel zum Signieren der Sitzungs-Cookies (mind. 32 Zeichen); ohne "
        "Angabe wird einer erzeugt und in DATA_DIR/web-secret.key gespeichert",
    )
    session_idle_minutes: int = Field(30, ge=1, description="Abmeldung nach Inaktivität")
    session_max_hours: int = Field(8, ge=1, description="Höchstdauer einer Sitzung")
    trusted_proxies: str = Field(
        "127.0.0.1",
        description="Adressen von Reverse-Proxys, deren X-Forwarded-Proto/-For geglaubt wird "
        "(kommagetrennt; '*' für alle)",
    )
    site_name: str = Field("BiMo Bildungsmonitoring", description="Name im Seitenkopf")
    publication_dir: Path | None = Field(
        None,
        description="Verzeichnis der veröffentlichten Dateien (Bildungsbericht, Open Data), die "
        "das Portal zum Herunterladen anbietet; ohne Angabe DATA_DIR/veroeffentlichung",
    )
    response_cache: bool = Field(
        True,
        description="Antworten öffentlicher Seiten und API-Abfragen an nicht angemeldete "
        "Besucher je Datenstand zwischenspeichern (0 schaltet den Zwischenspeicher ab)",
    )
    response_cache_mb: int = Field(
        32, ge=1, le=4096, description="Höchstgröße des Antwort-Zwischenspeichers je Prozess in MB"
    )
    gc_threshold: int = Field(
        20_000,
        ge=0,
        le=10_000_000,
        description="Speicherbereinigung der Arbeitsprozesse von bimo serve: Schwelle der "
        "jüngsten Generation (Python: 700); 0 lässt Pythons Voreinstellung",
    )
    answer_fast_lane: bool = Field(
        True,
        description="Antworten des Testspielers (POST /test/api/antworten) ohne den Umweg über "
        "das Routing des Frameworks annehmen (0: über die gewöhnliche Route; gleiches Verhalten, "
        "mehr CPU je Anfrage)",
    )


class OidcSettings(BaseSettings):
    """OpenID Connect login (e.g. VIDIS/Keycloak); off unless issuer and client id are set."""

    model_config = SettingsConfigDict(env_prefix="BIMO_OIDC_", env_file=".env", extra="ignore")

    issuer: str | None = Field(None, description="Issuer-URL des Identitätsdienstes")
    client_id: str | None = Field(None, description="Client-ID von BiMo beim Dienst")
    client_secret: SecretStr | None = Field(
        None, description="Client-Secret (vertraulicher Client); ohne: öffentlicher Client"
    )
    scopes: str = Field("openid", description="Angeforderte Scopes (Leerzeichen-getrennt)")
    display_name: str = Field("Identitätsdienst", description="Name auf der Anmeldeseite")
    students: bool = Field(
        False,
        description="Schülerinnen und Schüler können sich im Testspieler mit dem Schulkonto "
        "anmelden statt einen Zugangscode einzugeben (nur mit Issuer und Client-ID)",
    )
    claim_schule: str = Field(
        "schulnummer", description="Claim des Identitätsdienstes mit der Schulnummer"
    )
    claim_klasse: str = Field("klasse", description="Claim des Identitätsdienstes mit der Klasse")

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def students_enabled(self) -> bool:
        """Student login in the test player: switched on and OIDC configured."""
        return self.students and self.enabled

    @property
    def metadata_url(self) -> str:
        return f"{(self.issuer or '').rstrip('/')}/.well-known/openid-configuration"
