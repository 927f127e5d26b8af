"""The documentation keeps up with the code: data model, settings and CLI commands."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer._click import Command
from typer.core import TyperGroup

from bimo.cli import app
from bimo.core.codes import ALL_CODE_LISTS
from bimo.core.config import Settings
from bimo.core.schemas import ALL_TABLES, IDENTIFYING_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$", re.MULTILINE)


def _read(name: str) -> str:
    path = DOCS / name
    assert path.exists(), f"docs/{name} fehlt"
    return path.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """Heading text -> body up to the next heading of the same or a higher level."""
    matches = list(HEADING.finditer(text))
    sections: dict[str, str] = {}
    for i, match in enumerate(matches):
        level = len(match.group(1))
        end = len(text)
        for later in matches[i + 1 :]:
            if len(later.group(1)) <= level:
                end = later.start()
                break
        sections[match.group(2)] = text[match.end() : end]
    return sections


def _section_for(sections: dict[str, str], name: str) -> str | None:
    """The section whose heading starts with ``name`` in backticks ("### `student_years` – …")."""
    for heading, body in sections.items():
        if heading.startswith(f"`{name}`"):
            return body
    return None


def test_data_model_documents_every_table_and_column() -> None:
    sections = _sections(_read("data-model.md"))
    missing: list[str] = []
    for spec in ALL_TABLES.values():
        body = _section_for(sections, spec.name)
        if body is None:
            missing.append(f"Tabelle {spec.name} (Überschrift mit `{spec.name}`)")
            continue
        for column in spec.columns:
            # Each column is a row of the table's column table: "| `name` | …".
            if not re.search(rf"^\|\s*`{re.escape(column.name)}`\s*\|", body, re.MULTILINE):
                missing.append(f"{spec.name}.{column.name}")
            elif column.codelist and f"`{column.codelist}`" not in body:
                missing.append(f"{spec.name}.{column.name}: Codeliste {column.codelist}")
    assert not missing, "In docs/data-model.md fehlen: " + ", ".join(missing)


def test_data_model_documents_every_code_with_label() -> None:
    sections = _sections(_read("data-model.md"))
    missing: list[str] = []
    for codelist in ALL_CODE_LISTS.values():
        body = _section_for(sections, codelist.name)
        if body is None:
            missing.append(f"Codeliste {codelist.name}")
            continue
        for code, label in codelist.labels.items():
            row = rf"^\|\s*`{re.escape(code)}`\s*\|\s*{re.escape(label)}\s*\|"
            if not re.search(row, body, re.MULTILINE):
                missing.append(f"{codelist.name}.{code} ({label})")
    assert not missing, "In docs/data-model.md fehlen Codes: " + ", ".join(missing)


def test_data_model_names_the_identifying_columns() -> None:
    text = _read("data-model.md")
    assert "IDENTIFYING_COLUMNS" in text
    missing = sorted(c for c in IDENTIFYING_COLUMNS if f"`{c}`" not in text)
    assert not missing, f"In docs/data-model.md fehlen identifizierende Spalten: {missing}"


def test_configuration_documents_every_setting() -> None:
    sections = _sections(_read("configuration.md"))
    missing = [
        f"BIMO_{name.upper()}"
        for name in Settings.model_fields
        if _section_for(sections, f"BIMO_{name.upper()}") is None
    ]
    assert not missing, "In docs/configuration.md fehlen Abschnitte für: " + ", ".join(missing)


def _command_paths(command: Command, prefix: str) -> list[str]:
    paths = [prefix]
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            if not sub.hidden:
                paths.extend(_command_paths(sub, f"{prefix} {name}"))
    return paths


def test_cli_reference_documents_every_command() -> None:
    commands = _command_paths(typer.main.get_command(app), "bimo")[1:]
    headings = {h.strip("`") for h in (m.group(2) for m in HEADING.finditer(_read("cli.md")))}
    missing = [c for c in commands if c not in headings]
    assert not missing, (
        "In docs/cli.md fehlen Überschriften (z. B. '### bimo import') für: " + ", ".join(missing)
    )
    documented = {h for h in headings if h.startswith("bimo ")}
    stale = sorted(documented - set(commands))
    assert not stale, f"docs/cli.md beschreibt Befehle, die es nicht gibt: {stale}"


def _option_envvars(command: Command) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        envvar = getattr(param, "envvar", None)
        if isinstance(envvar, str):
            names.add(envvar)
        elif envvar:
            names.update(envvar)
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            names |= _option_envvars(sub)
    return names


def test_configuration_documents_option_environment_variables() -> None:
    """Options that read a ``BIMO_*`` variable (``envvar=``) are configuration, too."""
    text = _read("configuration.md")
    envvars = _option_envvars(typer.main.get_command(app))
    missing = sorted(v for v in envvars if f"`{v}`" not in text)
    assert not missing, "In docs/configuration.md fehlen Umgebungsvariablen: " + ", ".join(missing)


def test_configuration_documents_every_environment_variable_in_the_code() -> None:
    """Modules that read ``os.environ["BIMO_…"]`` themselves must not add hidden configuration."""
    text = _read("configuration.md")
    names = {
        name
        for path in (ROOT / "src" / "bimo").rglob("*.py")
        for name in re.findall(r"\bBIMO_[A-Z][A-Z0-9_]*\b", path.read_text(encoding="utf-8"))
    }
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert not missing, "In docs/configuration.md fehlen Umgebungsvariablen: " + ", ".join(missing)
