"""``bimo umfrage pruefen|simulieren|auswerten`` (German help and messages).

Answer files are CSV (UTF-8, comma-separated): one column per closed item of the questionnaire
(header = item IDs in any order), one row per answer sheet, codes 1..k, empty = no answer.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from bimo.core.config import Settings
from bimo.core.errors import InputFileError, Location
from bimo.surveys.instrument import Instrument, InstrumentError, load_instrument, load_instruments

if TYPE_CHECKING:
    from bimo.surveys.reliability import Matrix

# Analysis and simulation (SciPy) are imported inside the commands: `bimo --help` imports every
# command module and should start quickly.

InstrumentArg = Annotated[
    str, typer.Argument(help="ID eines mitgelieferten Fragebogens oder Pfad zu einer YAML-Datei.")
]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="umfrage",
        help="Schülerbefragungen: Fragebögen prüfen, Antworten simulieren und auswerten.",
        no_args_is_help=True,
    )
    group.command("pruefen", help="Fragebögen (YAML) prüfen.")(check_command)
    group.command("simulieren", help="Eine Befragungsrunde simulieren (synthetische Daten).")(
        simulate_command
    )
    group.command("auswerten", help="Antworten (CSV) auswerten: Skalenwerte, α, ω, Hinweise.")(
        analyze_command
    )
    app.add_typer(group, name="umfrage")


def _instrument(ref: str) -> Instrument:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml"):
        return load_instrument(path)
    shipped = load_instruments()
    if ref not in shipped:
        raise InstrumentError(
            f"Fragebogen „{ref}“ ist nicht mitgeliefert (vorhanden: {', '.join(shipped)})."
        )
    return shipped[ref]


def check_command(
    pfad: Annotated[
        Path | None, typer.Argument(help="YAML-Datei oder Verzeichnis (Standard: mitgeliefert).")
    ] = None,
) -> None:
    if pfad is not None and pfad.is_file():
        found = {"": load_instrument(pfad)}
    else:
        found = load_instruments(pfad)
    for inst in found.values():
        n_scales, n_items = len(inst.skalen), len(inst.item_ids)
        typer.echo(f"{inst.id} ({inst.version}): {n_scales} Skalen, {n_items} Items – in Ordnung")


def simulate_command(
    fragebogen: InstrumentArg,
    ausgabe: Annotated[Path, typer.Option("--ausgabe", help="Ziel-CSV-Datei.")],
    schulen: Annotated[int, typer.Option(min=1, help="Zahl der Schulen.")] = 10,
    klassen: Annotated[int, typer.Option(min=1, help="Klassen je Schule.")] = 4,
    schueler: Annotated[int, typer.Option(min=1, help="Schülerinnen und Schüler je Klasse.")] = 22,
    unaufmerksam: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Anteil unaufmerksam Antwortender.")
    ] = 0.08,
    seed: Annotated[int, typer.Option(help="Startwert des Zufallsgenerators.")] = 1,
) -> None:
    from bimo.surveys.simulate import model_for, simulate_round

    inst = _instrument(fragebogen)
    model = model_for(inst, careless_share=unaufmerksam, seed=seed)
    sim = simulate_round(model, schulen, klassen, schueler, seed=seed)
    with ausgabe.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(inst.item_ids)
        for row in sim.responses:
            writer.writerow([int(v) for v in row])
    typer.echo(f"{len(sim.responses)} simulierte Antwortbögen nach {ausgabe} geschrieben.")


def read_answers(path: Path, inst: Instrument) -> Matrix:
    """Read an answer CSV into a matrix in ``inst.item_ids`` order (errors name row/column)."""
    from bimo.surveys.analysis import check_matrix

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError):
        raise InputFileError(
            Location(path.name), "Datei fehlt oder ist nicht UTF-8-kodiert."
        ) from None
    if not rows:
        raise InputFileError(Location(path.name), "die Datei ist leer.")
    header = [h.strip() for h in rows[0]]
    missing = [i for i in inst.item_ids if i not in header]
    if missing:
        raise InputFileError(Location(path.name), f"Spalten fehlen: {', '.join(missing)}.")
    index = [header.index(i) for i in inst.item_ids]
    out = np.full((len(rows) - 1, len(index)), np.nan)
    for r, row in enumerate(rows[1:]):
        for c, src in enumerate(index):
            cell = row[src].strip() if src < len(row) else ""
            if not cell:
                continue
            try:
                out[r, c] = int(cell)
            except ValueError:
                raise InputFileError(
                    Location(path.name, r + 1, inst.item_ids[c]), f"„{cell}“ ist keine Antwortzahl."
                ) from None
    return check_matrix(inst, out)


def analyze_command(
    fragebogen: InstrumentArg,
    antworten: Annotated[Path, typer.Argument(help="Antworten als CSV (Kopfzeile: Item-IDs).")],
) -> None:
    from bimo.surveys.analysis import analyze_scale
    from bimo.surveys.careless import flag_careless
    from bimo.surveys.reliability import ReliabilityError

    inst = _instrument(fragebogen)
    data = read_answers(antworten, inst)
    minimum = Settings().min_cell
    console = Console()
    if data.shape[0] < minimum:
        console.print(
            f"Ergebnisse werden erst ab {minimum} Antwortbögen gezeigt "
            f"(vorhanden: {data.shape[0]}), damit niemand erkennbar wird."
        )
        return
    table = Table(title=f"{inst.titel} – {data.shape[0]} Antwortbögen")
    for col in ("Skala", "n", "Mittelwert [95-%-KI]", "α [95-%-KI]", "ω"):
        table.add_column(col)
    for scale in inst.skalen:
        try:
            res = analyze_scale(inst, data, scale.id)
        except (ReliabilityError, InstrumentError) as exc:
            table.add_row(scale.titel, "–", str(exc), "", "")
            continue
        if res.n_scores < minimum:
            table.add_row(scale.titel, f"< {minimum}", "zurückgehalten", "", "")
            continue
        m = res.mean
        table.add_row(
            scale.titel,
            str(res.n_scores),
            f"{m.mean:.2f} [{m.lower:.2f}; {m.upper:.2f}]",
            f"{res.alpha:.2f} [{res.alpha_ci[0]:.2f}; {res.alpha_ci[1]:.2f}]",
            f"{res.omega:.2f}",
        )
    console.print(table)
    flags = flag_careless(inst, data)
    console.print(
        f"Hinweis auf unaufmerksames Antworten: {int(flags.flagged.sum())} von "
        f"{data.shape[0]} Antwortbögen (nicht ausgeschlossen)."
    )
