"""``bimo scale …``: IRT calibration (irt), linking/standards (standards), storing results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from bimo.assessment.irt import cli as irt_cli
from bimo.assessment.standards import cli as standards_cli
from bimo.core.errors import BimoError

if TYPE_CHECKING:
    from bimo.assessment.results import StoredResults

scale_app = typer.Typer(
    help="IRT-Skalierung für Lernstandserhebungen: kalibrieren, Plausible Values, Linking, "
    "Kompetenzstufen.",
    no_args_is_help=True,
)
irt_cli.add_commands(scale_app)
standards_cli.add_commands(scale_app)


def store_command(
    erhebung: Annotated[
        str, typer.Option("--erhebung", help="Kennung der Erhebung, z. B. LS4-2024")
    ],
    pv: Annotated[
        Path,
        typer.Option("--pv", help="Plausible Values (CSV: id, pv1, …, pvM wie von bimo scale pv)"),
    ],
    hintergrund: Annotated[
        Path,
        typer.Option(
            "--hintergrund",
            help="Hintergrunddaten (CSV: id, pseudonym, schulnummer, klasse, optional gewicht)",
        ),
    ],
    schuljahr: Annotated[int, typer.Option("--schuljahr", help="Schuljahr (2024 = 2024/25)")],
    jahrgangsstufe: Annotated[
        int, typer.Option("--jahrgangsstufe", help="Jahrgangsstufe der Getesteten")
    ],
    kompetenzbereich: Annotated[
        str, typer.Option("--kompetenzbereich", help="Kompetenzbereich, z. B. DEUTSCH_LESEN")
    ],
    stufenmodell: Annotated[
        str,
        typer.Option("--stufenmodell", help="Kompetenzstufenmodell, z. B. primar_deutsch_lesen"),
    ],
    antworten: Annotated[
        Path | None,
        typer.Option("--antworten", help="Bewertete Antworten (CSV: id, dann je Item eine Spalte)"),
    ] = None,
    items: Annotated[
        Path | None,
        typer.Option(
            "--items",
            help="Itemparameter (ITEMS.csv von bimo scale fit) für die Höchstpunktzahl je Item "
            "(Standard: 1)",
        ),
    ] = None,
    reference_mean: Annotated[
        float | None, typer.Option("--reference-mean", help="μ der Referenzkohorte (θ-Metrik)")
    ] = None,
    reference_sd: Annotated[
        float | None, typer.Option("--reference-sd", help="σ der Referenzkohorte (θ-Metrik)")
    ] = None,
    reference_pvs: Annotated[
        Path | None,
        typer.Option(
            "--reference-pvs",
            help="PVs der Referenzkohorte (CSV), aus denen μ und σ geschätzt werden",
        ),
    ] = None,
    transform_from_pvs: Annotated[
        bool,
        typer.Option(
            "--transform-from-pvs",
            help="μ und σ aus diesen PVs schätzen (die Erhebung ist selbst die Referenz)",
        ),
    ] = False,
    berichtsmetrik: Annotated[
        bool,
        typer.Option(
            "--berichtsmetrik",
            help="Die PVs liegen bereits auf der Berichtsmetrik (500/100) vor",
        ),
    ] = False,
    store_path: Annotated[
        Path | None,
        typer.Option("--store", help="DuckDB-Datei des Analysebestands (Standard: BIMO_DATA_DIR)"),
    ] = None,
    quarantine_dir: Annotated[
        Path | None,
        typer.Option("--quarantaene", help="Verzeichnis für Quarantänedateien"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Zusammenfassung als JSON")] = False,
) -> None:
    """Ergebnisse einer Erhebung (PVs, optional Antworten) geprüft in den Analysebestand
    schreiben; eine schon gespeicherte Erhebung gleicher Kennung wird ersetzt."""
    console = Console(stderr=True)
    try:
        summary = _store(
            erhebung,
            pv,
            hintergrund,
            antworten,
            items,
            (schuljahr, jahrgangsstufe, kompetenzbereich, stufenmodell),
            (reference_mean, reference_sd, reference_pvs, transform_from_pvs, berichtsmetrik),
            store_path,
            quarantine_dir,
            console,
        )
    except BimoError as exc:
        console.print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    res, ans = summary.results, summary.responses
    text = (
        f"Erhebung {erhebung}: {res.stored} Ergebniszeilen gespeichert, "
        f"{res.quarantined} in Quarantäne"
    )
    if ans is not None:
        text += f"; {ans.stored} Antwortzeilen gespeichert, {ans.quarantined} in Quarantäne"
    typer.echo(text + ".")
    for part in (res, ans):
        if part is not None and part.quarantine_file is not None:
            typer.echo(f"Quarantänedatei: {part.quarantine_file}")


def _store(
    erhebung: str,
    pv: Path,
    hintergrund: Path,
    antworten: Path | None,
    items: Path | None,
    meta: tuple[int, int, str, str],
    reference: tuple[float | None, float | None, Path | None, bool, bool],
    store_path: Path | None,
    quarantine_dir: Path | None,
    console: Console,
) -> StoredResults:
    import polars as pl

    from bimo.assessment.results import max_points_from_items, store_results
    from bimo.assessment.standards.inputs import read_pvs
    from bimo.assessment.standards.metric import ReferenceMetric, reference_from_pvs
    from bimo.core.errors import InputFileError, Location
    from bimo.core.store import AnalyticStore
    from bimo.ingest import ImportOptions

    mean, sd, ref_pvs, from_pvs, already = reference
    values = read_pvs(pv)
    if already:
        scores = values.values
    else:
        if ref_pvs is not None:
            metric = reference_from_pvs(read_pvs(ref_pvs).values)
        elif from_pvs:
            metric = reference_from_pvs(values.values)
        elif mean is not None and sd is not None:
            metric = ReferenceMetric(mean, sd)
        else:
            raise BimoError(
                "Referenzmetrik fehlt: --reference-mean und --reference-sd, --reference-pvs, "
                "--transform-from-pvs oder --berichtsmetrik angeben"
            )
        scores = metric.to_reporting(values.values)
    pvs = pl.DataFrame(
        {"id": list(values.ids)} | {f"pv{m + 1}": scores[:, m] for m in range(scores.shape[1])}
    )

    def read(path: Path) -> pl.DataFrame:
        # All columns as text: the import validates types and reports bad cells by row.
        try:
            return pl.read_csv(path, infer_schema_length=0)
        except FileNotFoundError as exc:
            raise InputFileError(Location(path.name), "die Datei existiert nicht.") from exc
        except Exception as exc:  # polars raises several error types for unreadable files
            raise InputFileError(
                Location(path.name), f"keine lesbare CSV-Datei ({type(exc).__name__})."
            ) from exc

    background = read(hintergrund)
    responses = read(antworten) if antworten is not None else None
    maxima = max_points_from_items(items) if items is not None else None
    schuljahr, jahrgangsstufe, kompetenzbereich, stufenmodell = meta
    options = ImportOptions(quarantine_dir=quarantine_dir)
    store = AnalyticStore(store_path) if store_path else AnalyticStore.from_settings()
    try:
        with console.status("Ergebnisse werden geprüft und gespeichert …"):
            result = store_results(
                store,
                erhebung,
                schuljahr=schuljahr,
                jahrgangsstufe=jahrgangsstufe,
                kompetenzbereich=kompetenzbereich,
                stufenmodell=stufenmodell,
                pvs=pvs,
                background=background,
                responses=responses,
                max_punkte=maxima,
                options=options,
            )
    finally:
        store.close()
    return result


scale_app.command("store")(store_command)


def register(app: typer.Typer) -> None:
    app.add_typer(scale_app, name="scale")
