"""``bimo users`` on a fresh Typer app (the lead wires it into ``bimo``)."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from bimo.accounts import cli as users_cli
from bimo.accounts.roles import AccountError
from bimo.accounts.service import LoginOutcome, authenticate, get_user
from bimo.core.i18n import germanise_cli
from bimo.core.operational import OperationalStore, list_events

germanise_cli()
app = typer.Typer()
users_cli.register(app)
runner = CliRunner()
PW = "korrekt pferd batterie"


def test_add_with_hidden_prompt_and_list() -> None:
    result = runner.invoke(
        app, ["users", "add", "erika.k", "--name", "Erika Mustermann"], input=f"{PW}\n{PW}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Benutzerkonto erika.k (Erika Mustermann) angelegt." in result.output
    assert PW not in result.output  # the prompt does not echo
    listing = runner.invoke(app, ["users", "list"])
    assert listing.exit_code == 0
    assert "erika.k" in listing.output and "aktiv" in listing.output and "nie" in listing.output
    with OperationalStore.from_settings() as store, store.session() as session:
        assert authenticate(session, "erika.k", PW).outcome is LoginOutcome.OK
    with OperationalStore.from_settings() as store:
        event = list_events(action="users.create", db=store)[0]
        assert event.actor  # the operating-system account


def test_password_from_stdin_and_rules() -> None:
    weak = runner.invoke(
        app, ["users", "add", "max.m", "--name", "Max", "--passwort-stdin"], input="passwort1234\n"
    )
    assert weak.exit_code != 0 and isinstance(weak.exception, AccountError)
    assert "häufig verwendeter" in str(weak.exception)
    ok = runner.invoke(
        app, ["users", "add", "max.m", "--name", "Max", "--passwort-stdin"], input=f"{PW}\n"
    )
    assert ok.exit_code == 0, ok.output
    empty = runner.invoke(app, ["users", "set-password", "max.m", "--passwort-stdin"], input="")
    assert isinstance(empty.exception, AccountError)


def test_password_is_never_an_argument() -> None:
    result = runner.invoke(app, ["users", "add", "x.y", "--name", "X", "--passwort", PW])
    assert result.exit_code == 2  # unknown option
    help_text = runner.invoke(app, ["users", "add", "--help"]).output
    assert "--passwort-stdin" in help_text and "Anzeigename" in help_text


def test_grant_revoke_unlock_set_password() -> None:
    runner.invoke(
        app, ["users", "add", "erika.k", "--name", "Erika", "--passwort-stdin"], input=f"{PW}\n"
    )
    steps = [
        (["grant", "erika.k", "schulaufsicht", "09161"], "für kreis 09161"),
        (["grant", "erika.k", "schulaufsicht", "100001"], "für schule 100001"),
        (["grant", "erika.k", "lehrkraft", "100001/5a"], "für klasse 100001/5a"),
        (["grant", "erika.k", "redaktion"], "die Rolle redaktion."),
        (["revoke", "erika.k", "schulaufsicht", "09161"], "1 Zuweisung(en)"),
    ]
    for args, expected in steps:
        result = runner.invoke(app, ["users", *args])
        assert result.exit_code == 0, result.output
        assert expected in result.output
    bad = runner.invoke(app, ["users", "grant", "erika.k", "kreis", "100001"])
    assert isinstance(bad.exception, AccountError) and "Ungültige Angabe" in str(bad.exception)
    unknown = runner.invoke(app, ["users", "grant", "erika.k", "chef"])
    assert isinstance(unknown.exception, AccountError) and "Unbekannte Rolle" in str(
        unknown.exception
    )
    listing = runner.invoke(app, ["users", "list"]).output
    assert "schulaufsicht (schule 100001)" in listing and "redaktion" in listing

    with OperationalStore.from_settings() as store, store.session() as session:
        for _ in range(5):
            authenticate(session, "erika.k", "falsch falsch falsch")
    assert "gesperrt bis" in runner.invoke(app, ["users", "list"]).output
    assert (
        "Sperre für erika.k aufgehoben."
        in runner.invoke(app, ["users", "unlock", "erika.k"]).output
    )
    new = "ein anderes langes passwort"
    result = runner.invoke(app, ["users", "set-password", "erika.k"], input=f"{new}\n{new}\n")
    assert result.exit_code == 0 and "alle Sitzungen wurden beendet" in result.output
    with OperationalStore.from_settings() as store, store.session() as session:
        assert authenticate(session, "erika.k", new).outcome is LoginOutcome.OK
        assert get_user(session, "erika.k").failed_attempts == 0
    with OperationalStore.from_settings() as store:
        actions = [e.action for e in list_events(db=store) if e.action.startswith("users.")]
    assert actions.count("users.grant") == 4 and "users.revoke" in actions
    assert "users.unlock" in actions and "users.password_set" in actions


def test_link_oidc() -> None:
    runner.invoke(app, ["users", "add", "lena.s", "--name", "Lena", "--ohne-passwort"])
    args = [
        "users",
        "link-oidc",
        "lena.s",
        "--aussteller",
        "https://idp.example/realms/schule",
        "--subjekt",
        "f81d4fae",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "über https://idp.example/realms/schule anmelden" in result.output
    again = runner.invoke(app, args)
    assert isinstance(again.exception, AccountError) and "bereits verknüpft" in str(again.exception)
    with OperationalStore.from_settings() as store:
        assert list_events(action="users.link_oidc", db=store)[0].object_id == "lena.s"


def test_empty_list_and_help_are_german() -> None:
    assert "noch keine Benutzerkonten" in runner.invoke(app, ["users", "list"]).output
    help_text = runner.invoke(app, ["users", "--help"]).output
    assert "Benutzerkonten und Rollen verwalten" in help_text
    for command in ("add", "list", "grant", "revoke", "set-password", "unlock", "link-oidc"):
        assert command in help_text
