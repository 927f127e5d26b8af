"""``bimo privacy protect`` and ``bimo privacy audit``: disclosure control for count tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bimo.core.errors import BimoError, InputFileError, Location

if TYPE_CHECKING:
    import polars as pl

# Polars, SciPy and HiGHS are imported by the commands: every `bimo` call registers them.

_METHODS = ("suppress", "round5", "cellkey")


def _dims(text: str) -> list[str]:
    dims = [d.strip() for d in text.split(",") if d.strip()]
    if not 1 <= len(dims) <= 3 or len(set(dims)) != len(dims):
        raise BimoError(f"--dims erwartet 1 bis 3 verschiedene Spaltennamen, nicht '{text}'.")
    return dims


def _read(path: Path, dims: list[str], *, published: bool) -> pl.DataFrame:
    import polars as pl

    from bimo.privacy.table import TOTAL

    name = str(path)
    if not path.is_file():
        raise InputFileError(Location(name), "Datei nicht gefunden.")
    try:
        df = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise InputFileError(Location(name), f"keine lesbare CSV-Datei ({exc}).") from exc
    needed = [*dims, "value", *(["flag"] if published else [])]
    for column in needed:
        if column not in df.columns:
            raise InputFileError(Location(name, column=column), "Spalte fehlt.")
    values = df["value"].str.strip_chars()
    parsed = values.cast(pl.Int64, strict=False)
    for row, (raw, num) in enumerate(zip(values.to_list(), parsed.to_list(), strict=True)):
        if published and (raw is None or raw == ""):
            continue
        if num is None:
            raise InputFileError(Location(name, row + 1, "value"), f"'{raw}' ist keine ganze Zahl.")
        if num < 0:
            raise InputFileError(
                Location(name, row + 1, "value"), f"negative Anzahl {num} ist nicht zulässig."
            )
    for d in dims:
        missing = df[d].is_null()
        if missing.any():
            row = int(missing.arg_true()[0]) + 1
            raise InputFileError(Location(name, row, d), "Ausprägung fehlt.")
    df = df.with_columns(parsed.alias("value"))
    if not published:
        for d in dims:
            hit = df[d] == TOTAL
            if hit.any():
                row = int(hit.arg_true()[0]) + 1
                raise InputFileError(
                    Location(name, row, d),
                    f"enthält bereits Randsummen ('{TOTAL}'); bitte nur innere Zellen "
                    "übergeben — die Randsummen werden berechnet.",
                )
    dup = df.select(dims).is_duplicated()
    if dup.any():
        row = int(dup.arg_true()[0]) + 1
        raise InputFileError(
            Location(name, row), f"Zelle {df.row(row - 1, named=True)} ist mehrfach vorhanden."
        )
    return df


def add_commands(app: typer.Typer) -> None:
    """Add ``protect`` and ``audit`` to the ``bimo privacy`` app."""

    @app.command("protect")
    def protect_command(
        infile: Annotated[Path, typer.Argument(help="Innere Zellen als CSV (Merkmale + value)")],
        dims: Annotated[
            str, typer.Option("--dims", help="Merkmalsspalten, z. B. schule,abschluss")
        ],
        out: Annotated[Path, typer.Option("--out", help="Ausgabe-CSV (+ .parquet + .json)")],
        min_cell: Annotated[
            int | None, typer.Option("--min", help="Mindestfallzahl (≥ 5; Standard: BIMO_MIN_CELL)")
        ] = None,
        method: Annotated[
            str, typer.Option("--method", help="suppress (Sperrung), round5 oder cellkey")
        ] = "suppress",
    ) -> None:
        """Randsummen ergänzen, Tabelle schützen und im Veröffentlichungsformat schreiben."""
        from bimo.privacy.protect import ProtectionConfig, protect

        if method not in _METHODS:
            raise BimoError(f"Unbekanntes Verfahren '{method}' (erlaubt: {', '.join(_METHODS)}).")
        config = ProtectionConfig(method=method, min_cell=min_cell)  # type: ignore[arg-type]
        config.resolved_min()  # reject a minimum below 5 before any work
        dim_list = _dims(dims)
        cells = _read(infile, dim_list, published=False).select([*dim_list, "value"])
        console = Console(stderr=True)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("Sekundärsperrung und Prüfung", total=None)

            def report(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            table = protect(
                cells,
                dim_list,
                config,
                progress=report,
            )
            bar.update(task, completed=1, total=1)
        path = table.write(out, {"source": infile.name})
        info = table.protection
        if method == "suppress":
            verdict = "bestanden" if info["audit"]["passed"] else "NICHT bestanden"
            console.print(
                f"{info['primary_suppressions']} primäre, {info['secondary_suppressions']} "
                f"sekundäre Sperrungen; Prüfung {verdict}."
            )
        console.print(f"Geschrieben: {path} (+ .parquet, .json)")

    @app.command("audit")
    def audit_command(
        infile: Annotated[Path, typer.Argument(help="Veröffentlichte Tabelle (CSV mit flag)")],
        dims: Annotated[str, typer.Option("--dims", help="Merkmalsspalten")],
        min_cell: Annotated[int, typer.Option("--min", help="Mindestfallzahl (≥ 5)")] = 5,
    ) -> None:
        """Angreiferintervalle aller gesperrten Zellen per LP nachrechnen (Exit 1 bei Lücken)."""
        from bimo.privacy.protect import ProtectionConfig, audit_published

        limit = ProtectionConfig(min_cell=min_cell).resolved_min()
        dim_list = _dims(dims)
        df = _read(infile, dim_list, published=True)
        report = audit_published(df, dim_list, limit)
        typer.echo(report.describe())
        if not report.passed:
            raise typer.Exit(1)
