"""``bimo users``: manage accounts and roles (registered by :mod:`bimo.cli`).

Passwords are never command-line arguments (they would end up in the shell history and the
process list): they are read with a hidden prompt or, with ``--passwort-stdin``, from stdin.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bimo.accounts.roles import (
    ALLOWED_SCOPES,
    AccountError,
    Role,
    ScopeType,
    parse_role,
    parse_scope_type,
)

users_app = typer.Typer(
    name="users",
    help="Benutzerkonten und Rollen verwalten (Anmeldung an der Weboberfläche).",
    no_args_is_help=True,
)

STDIN_HELP = "Passwort aus der Standardeingabe lesen (erste Zeile) statt verdeckt abfragen"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise AccountError("Auf der Standardeingabe wurde kein Passwort übergeben.")
        return password
    entered: str = typer.prompt("Passwort", hide_input=True, confirmation_prompt="Wiederholen")
    return entered


def _actor() -> str:
    from bimo.core.operational import default_actor

    return default_actor()


def _scope_for(role: Role, scope_id: str, explicit: str | None) -> ScopeType:
    if explicit is not None:
        return parse_scope_type(explicit)
    allowed = ALLOWED_SCOPES[role]
    if len(allowed) == 1:
        return next(iter(allowed))
    # Schulaufsicht: a 5-digit Kreis AGS or a 6-digit Schulnummer.
    return ScopeType.KREIS if len(scope_id.strip()) == 5 else ScopeType.SCHULE


@users_app.command("add")
def add(
    login: Annotated[str, typer.Argument(help="Anmeldename (Kleinbuchstaben, z. B. erika.k)")],
    name: Annotated[str, typer.Option("--name", help="Anzeigename, z. B. 'Erika Mustermann'")],
    passwort_stdin: Annotated[bool, typer.Option("--passwort-stdin", help=STDIN_HELP)] = False,
    ohne_passwort: Annotated[
        bool,
        typer.Option("--ohne-passwort", help="Konto ohne Passwort (nur Anmeldung über OIDC)"),
    ] = False,
) -> None:
    """Ein Benutzerkonto anlegen."""
    from bimo.accounts.service import create_user
    from bimo.core.operational import OperationalStore

    password = None if ohne_passwort else _read_password(passwort_stdin)
    with OperationalStore.from_settings() as store, store.session() as session:
        user = create_user(session, login, name, password, actor=_actor())
        typer.echo(f"Benutzerkonto {user.login} ({user.display_name}) angelegt.")


@users_app.command("list")
def list_() -> None:
    """Alle Benutzerkonten mit Rollen anzeigen."""
    from rich.console import Console
    from rich.table import Table

    from bimo.accounts.service import list_users
    from bimo.core.operational import OperationalStore, utcnow

    table = Table(title="Benutzerkonten")
    for column in ("Anmeldename", "Name", "Status", "Letzte Anmeldung", "Rollen"):
        table.add_column(column)
    now = utcnow()
    with OperationalStore.from_settings() as store, store.session() as session:
        users = list_users(session)
        for user in users:
            if not user.active:
                status = "deaktiviert"
            elif user.locked_until is not None and user.locked_until > now:
                status = f"gesperrt bis {user.locked_until:%d.%m.%Y %H:%M} UTC"
            else:
                status = "aktiv"
            roles = ", ".join(
                g.role + (f" ({g.scope_type} {g.scope_id})" if g.scope_id else "")
                for g in user.grants
            )
            last = f"{user.last_login_at:%d.%m.%Y %H:%M} UTC" if user.last_login_at else "nie"
            table.add_row(user.login, user.display_name, status, last, roles or "–")
    if not users:
        typer.echo("Es gibt noch keine Benutzerkonten (anlegen mit `bimo users add`).")
        return
    Console(width=160).print(table)


@users_app.command("grant")
def grant(
    login: Annotated[str, typer.Argument(help="Anmeldename")],
    rolle: Annotated[str, typer.Argument(help=f"Rolle: {', '.join(r.value for r in Role)}")],
    bereich_id: Annotated[
        str,
        typer.Argument(
            help="Geltungsbereich: Landesschlüssel (land), Kreis-AGS (kreis), Schulnummer "
            "(schulleitung), Schulnummer/Klasse (lehrkraft), Kreis-AGS oder Schulnummer "
            "(schulaufsicht); leer für forschung, redaktion, admin"
        ),
    ] = "",
    bereich: Annotated[
        str | None,
        typer.Option("--bereich", help="Art des Geltungsbereichs, falls nicht eindeutig"),
    ] = None,
) -> None:
    """Einem Konto eine Rolle für einen Geltungsbereich geben."""
    from bimo.accounts.service import grant_role
    from bimo.core.operational import OperationalStore

    role = parse_role(rolle)
    scope_type = _scope_for(role, bereich_id, bereich)
    with OperationalStore.from_settings() as store, store.session() as session:
        result = grant_role(session, login, role, scope_type, bereich_id, actor=_actor())
        where = f" für {result.scope_type} {result.scope_id}" if result.scope_id else ""
        typer.echo(f"{result.user.login} hat jetzt die Rolle {result.role}{where}.")


@users_app.command("revoke")
def revoke(
    login: Annotated[str, typer.Argument(help="Anmeldename")],
    rolle: Annotated[str, typer.Argument(help="Rolle, die entzogen wird")],
    bereich_id: Annotated[
        str | None,
        typer.Argument(help="Nur diesen Geltungsbereich entziehen (ohne: alle der Rolle)"),
    ] = None,
) -> None:
    """Einem Konto eine Rolle entziehen."""
    from bimo.accounts.service import revoke_role
    from bimo.core.operational import OperationalStore

    role = parse_role(rolle)
    with OperationalStore.from_settings() as store, store.session() as session:
        count = revoke_role(session, login, role, None, bereich_id, actor=_actor())
    typer.echo(f"{count} Zuweisung(en) der Rolle {role.value} von {login} entfernt.")


@users_app.command("set-password")
def set_password(
    login: Annotated[str, typer.Argument(help="Anmeldename")],
    passwort_stdin: Annotated[bool, typer.Option("--passwort-stdin", help=STDIN_HELP)] = False,
) -> None:
    """Ein neues Passwort setzen (beendet alle Sitzungen und hebt eine Sperre auf)."""
    from bimo.accounts.service import set_password as set_password_
    from bimo.core.operational import OperationalStore

    password = _read_password(passwort_stdin)
    with OperationalStore.from_settings() as store, store.session() as session:
        user = set_password_(session, login, password, actor=_actor())
    typer.echo(f"Passwort für {user.login} geändert; alle Sitzungen wurden beendet.")


@users_app.command("unlock")
def unlock(login: Annotated[str, typer.Argument(help="Anmeldename")]) -> None:
    """Eine Sperre nach zu vielen Fehlversuchen aufheben."""
    from bimo.accounts.service import unlock as unlock_
    from bimo.core.operational import OperationalStore

    with OperationalStore.from_settings() as store, store.session() as session:
        user = unlock_(session, login, actor=_actor())
    typer.echo(f"Sperre für {user.login} aufgehoben.")


@users_app.command("link-oidc")
def link_oidc(
    login: Annotated[str, typer.Argument(help="Anmeldename")],
    aussteller: Annotated[
        str, typer.Option("--aussteller", help="Issuer-URL des Identitätsdienstes")
    ],
    subjekt: Annotated[
        str, typer.Option("--subjekt", help="Kennung (sub) der Person beim Identitätsdienst")
    ],
) -> None:
    """Eine OIDC-Identität (Aussteller + Subjekt) mit einem Konto verknüpfen."""
    from bimo.accounts.service import link_oidc_identity
    from bimo.core.operational import OperationalStore

    with OperationalStore.from_settings() as store, store.session() as session:
        identity = link_oidc_identity(session, login, aussteller, subjekt, actor=_actor())
        typer.echo(f"{identity.user.login} kann sich jetzt über {identity.issuer} anmelden.")


def register(app: typer.Typer) -> None:
    """Add ``bimo users`` to the main ``bimo`` app."""
    app.add_typer(users_app, name="users")
