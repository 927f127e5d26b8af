"""``bimo serve``: run the web application with uvicorn (registered by :mod:`bimo.cli`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

APP_FACTORY = "bimo.web.app:create_served_app"
WORKER_HEALTHCHECK_SECONDS = 60
KEEP_ALIVE_SECONDS = 30


def log_config() -> dict[str, Any]:
    """uvicorn's logging as JSON lines on stdout: our access log carries the request details."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"format": "%(message)s"},
            "plain": {
                "format": '{"zeit": "%(asctime)s", "ebene": "%(levelname)s", '
                '"quelle": "%(name)s", "meldung": "%(message)s"}'
            },
        },
        "handlers": {
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "bimo.web.zugriff": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
        },
    }


def serve(
    host: Annotated[str, typer.Option("--host", help="Adresse, an der gelauscht wird")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP-Port")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Anzahl der Arbeitsprozesse")
    ] = 1,
) -> None:
    """Die Weboberfläche starten (hinter einem TLS-Reverse-Proxy betreiben)."""
    import uvicorn

    from bimo.core.config import get_settings
    from bimo.core.operational import OperationalStore
    from bimo.web.app import resolve_secret
    from bimo.web.settings import WebSettings

    settings = WebSettings()
    # Fail here, with a German message, rather than in every worker: the signing key exists
    # (created once, before the workers share it) and the database is usable.
    resolve_secret(settings, get_settings())
    OperationalStore.from_settings().close()
    typer.echo(f"BiMo-Weboberfläche auf http://{host}:{port}/ ({workers} Arbeitsprozess(e))")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-Proto/-For are believed only from these addresses, so "https" (and with
        # it HSTS and Secure cookies) cannot be faked by a client.
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        access_log=False,
        log_config=log_config(),
        server_header=False,
        # A worker process starts by importing BiMo (several seconds on a busy machine) before
        # it can answer uvicorn's liveness ping; with the default 5 s uvicorn kills it and starts
        # the next one, for ever. A hung worker is still replaced, only after a minute.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        # The test player sends an answer every few seconds; keeping its connection open saves
        # a TCP handshake per answer (uvicorn's default closes idle connections after 5 s).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def register(app: typer.Typer) -> None:
    """Add ``bimo serve`` to the main ``bimo`` app."""
    app.command("serve")(serve)
