"""Regenerate the command reference in docs/cli.md from the Typer app.

Usage: ``uv run python scripts/gen_cli_docs.py``. The hand-written introduction above
``## Commands`` is kept; everything below is rewritten. ``tests/core/test_docs.py`` fails when a
command has no heading, so run this after adding or renaming a command.
"""

from pathlib import Path

import typer
from typer.core import TyperArgument, TyperGroup

from bimo.cli import app

root = typer.main.get_command(app)
out: list[str] = []

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
INTRO = DOC.read_text(encoding="utf-8").split("\n## Commands\n")[0]


def esc(t: str) -> str:
    return " ".join(t.split()).replace("|", "\\|")


def default_of(p) -> str:
    if p.required:
        return "required"
    d = p.default
    if d is None or d is False or callable(d) or (isinstance(p.default, tuple) and not d):
        return ""
    return f"`{d}`"


def params_table(cmd) -> list[str]:
    rows = []
    for p in cmd.params:
        if getattr(p, "hidden", False) or p.name == "help":
            continue
        if isinstance(p, TyperArgument):
            name = f"`{(p.metavar or p.name).upper()}`"
            kind = "argument"
        else:
            name = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            kind = "option"
        rows.append(f"| {name} | {kind} | {esc(p.help or '')} | {default_of(p)} |")
    if not rows:
        return []
    return ["| Name | Kind | Meaning | Default |", "| --- | --- | --- | --- |", *rows, ""]


def walk(cmd, path: list[str]) -> None:
    if len(path) > 1:
        name = " ".join(path)
        out.append(f"### {name}\n")
        out.append((cmd.help or "").strip() + "\n")
        if isinstance(cmd, TyperGroup):
            subs = [n for n, c in cmd.commands.items() if not c.hidden]
            if subs:
                out.append(
                    "Subcommands: "
                    + ", ".join(
                        f"[`{name} {s}`](#{(name + ' ' + s).replace(' ', '-')})" for s in subs
                    )
                    + ".\n"
                )
            else:
                out.append("No subcommands yet.\n")
        else:
            args = " ".join(
                (p.metavar or p.name).upper() for p in cmd.params if isinstance(p, TyperArgument)
            )
            out.append(f"```text\n{name} [OPTIONS]{(' ' + args) if args else ''}\n```\n")
            out.extend(params_table(cmd))
    if isinstance(cmd, TyperGroup):
        for n, c in cmd.commands.items():
            if not c.hidden:
                walk(c, [*path, n])


walk(root, ["bimo"])
DOC.write_text(
    INTRO.rstrip() + "\n\n## Commands\n\n" + "\n".join(out).rstrip() + "\n", encoding="utf-8"
)
