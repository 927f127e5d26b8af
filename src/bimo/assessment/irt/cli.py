"""``bimo scale fit`` and ``bimo scale pv``: calibration and plausible values."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bimo.core.errors import BimoError

# The numerical modules (numpy, polars) are imported inside the commands so that the
# start-up of every other ``bimo`` command stays cheap.


class ModelChoice(StrEnum):
    rasch = "rasch"
    onepl = "1pl"
    twopl = "2pl"
    pcm = "pcm"
    gpcm = "gpcm"
    grm = "grm"


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def fit_command(
    responses: Annotated[Path, typer.Argument(help="Antwortdatei (CSV): ID-Spalte, dann Items.")],
    model: Annotated[ModelChoice, typer.Option("--model", help="IRT-Modell.")],
    out: Annotated[Path, typer.Option("--out", help="Ausgabe der Itemparameter (ITEMS.csv).")],
    persons: Annotated[
        Path | None, typer.Option("--persons", help="Personenschätzer (WLE, EAP) als CSV.")
    ] = None,
    weights: Annotated[
        str | None, typer.Option("--weights", help="Spalte mit Fallgewichten.")
    ] = None,
    group: Annotated[
        str | None, typer.Option("--group", help="Spalte mit der Gruppe (Mehrgruppenmodell).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Zusammenfassung als JSON ausgeben.")
    ] = False,
) -> None:
    """Items kalibrieren (marginale ML, Bock–Aitkin-EM) und Itemparameter schreiben."""
    from bimo.assessment.irt.calibrate import FitSettings, fit
    from bimo.assessment.irt.data import read_responses
    from bimo.assessment.irt.io import write_items, write_persons

    console = Console(stderr=True)
    data = read_responses(responses, weights=weights, group=group)
    with _progress(console) as bar:
        task = bar.add_task(f"Kalibriere {model.value} ({data.n_persons} Personen)", total=None)

        def report(evals: int, loglik: float) -> None:
            bar.update(task, description=f"EM-Zyklus {evals}, logL = {loglik:.2f}")

        result = fit(data, model.value, FitSettings(persons=persons is not None), report)
    _write(out, lambda: write_items(out, result.items))
    if persons is not None and result.persons is not None:
        target = persons
        estimates = result.persons
        _write(target, lambda: write_persons(target, estimates, group is not None))
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    elif not result.converged:
        console.print("[yellow]Warnung:[/] der EM-Algorithmus ist nicht konvergiert.")


def pv_command(
    responses: Annotated[Path, typer.Argument(help="Antwortdatei (CSV): ID-Spalte, dann Items.")],
    items: Annotated[Path, typer.Option("--items", help="Itemparameter (ITEMS.csv), fixiert.")],
    background: Annotated[
        Path, typer.Option("--background", help="Hintergrundvariablen (CSV, ID-Spalte zuerst).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Ausgabe der Plausible Values (CSV).")],
    n: Annotated[int, typer.Option("--n", min=1, help="Anzahl Plausible Values.")] = 10,
    seed: Annotated[int | None, typer.Option("--seed", help="Zufallsstartwert.")] = None,
    weights: Annotated[
        str | None, typer.Option("--weights", help="Spalte mit Fallgewichten.")
    ] = None,
    group: Annotated[
        str | None, typer.Option("--group", help="Spalte mit der Gruppe (als Dummies).")
    ] = None,
) -> None:
    """Plausible Values aus einer latenten Regression mit fixierten Itemparametern ziehen."""
    from bimo.assessment.irt.data import read_responses
    from bimo.assessment.irt.io import read_background, read_items, write_pv
    from bimo.assessment.irt.pv import PVSettings, plausible_values

    console = Console(stderr=True)
    item_params = read_items(items)
    data = read_responses(responses, weights=weights, group=group, strict=False)
    matrix, names = read_background(background, data.ids)
    with _progress(console) as bar:
        bar.add_task(f"Latente Regression und {n} Plausible Values", total=None)
        result = plausible_values(item_params, data, matrix, names, PVSettings(n_pv=n, seed=seed))
    _write(out, lambda: write_pv(out, result.ids, result.pvs, result.eap, result.eap_sd))
    if not result.converged:
        console.print("[yellow]Warnung:[/] die latente Regression ist nicht konvergiert.")


def _write(path: Path, action: Callable[[], None]) -> None:
    try:
        action()
    except OSError as exc:
        raise BimoError(f"Datei {path} kann nicht geschrieben werden: {exc.strerror}.") from exc


def add_commands(app: typer.Typer) -> None:
    """Add ``fit`` and ``pv`` to the ``bimo scale`` app."""
    app.command("fit")(fit_command)
    app.command("pv")(pv_command)
