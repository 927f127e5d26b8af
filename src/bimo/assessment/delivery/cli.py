"""``bimo tests …``: tests, sessions and codes, export and coder agreement (German texts)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bimo.core.config import Settings

from .errors import DeliveryError

if TYPE_CHECKING:
    from bimo.assessment.itembank.bank import ItemBank

# Domain modules (SciPy, SQLAlchemy models) are imported inside the commands: `bimo --help`
# imports every command module and should start quickly.

__all__ = ["register"]

BankOpt = Annotated[
    Path | None,
    typer.Option(
        "--bank", help="Verzeichnis der Aufgabenbank (Standard: <data_dir>/aufgabenbank)."
    ),
]


def _bank(path: Path | None) -> ItemBank:
    from bimo.assessment.itembank.bank import ItemBank

    return ItemBank(path if path is not None else Settings().data_dir / "aufgabenbank")


def _balance_text(design: list[list[int]]) -> str:
    from .design import design_balance

    balance = design_balance(design)
    low, high = balance.pair_range
    kind = (
        "balanciert (Youden-Quadrat / BIBD)"
        if balance.balanced
        else f"positionsbalanciert, Clusterpaare {low}–{high}-mal gemeinsam"
    )
    return f"{balance.n_booklets} Testhefte à {balance.positions} Blöcke, {kind}"


def _design_table(design: list[list[int]]) -> Table:
    positions = len(design[0])
    table = Table("Testheft", *(f"Block {p + 1}" for p in range(positions)))
    for b, booklet in enumerate(design):
        table.add_row(str(b), *(f"C{c + 1}" for c in booklet))
    return table


def create_command(
    kennung: Annotated[str, typer.Argument(help="Kennung des Tests, z. B. M8-2027")],
    titel: Annotated[str, typer.Option("--titel", help="Titel des Tests")],
    fachbereich: Annotated[str, typer.Option("--fachbereich", help="z. B. Mathematik")],
    jahrgangsstufe: Annotated[int, typer.Option("--jahrgangsstufe", help="Jahrgangsstufe")],
    cluster: Annotated[
        list[str],
        typer.Option(
            "--cluster",
            help="Aufgaben eines Clusters, durch Komma getrennt (ID oder ID@vN); einmal je Cluster",
        ),
    ],
    bloecke: Annotated[int, typer.Option("--bloecke", help="Blöcke (Cluster) je Testheft")],
    minuten: Annotated[int, typer.Option("--minuten", help="Bearbeitungszeit je Block")] = 20,
    bank: BankOpt = None,
) -> None:
    """Einen Test aus Aufgaben der Bank anlegen; die Testhefte folgen einem Rotationsdesign."""
    from bimo.core.operational import OperationalStore, default_actor

    from .tests import booklet_design, create_test

    clusters = [[r.strip() for r in c.split(",") if r.strip()] for c in cluster]
    with OperationalStore.from_settings() as store, store.session() as db:
        test = create_test(
            db,
            key=kennung,
            title=titel,
            domain=fachbereich,
            grade=jahrgangsstufe,
            clusters=clusters,
            positions=bloecke,
            block_minutes=minuten,
            bank=_bank(bank),
            actor=default_actor(),
        )
        design = booklet_design(test)
    console = Console()
    console.print(f"Test {kennung} angelegt: {_balance_text(design)}.")
    console.print(_design_table(design))


def design_command(
    cluster: Annotated[int, typer.Argument(help="Anzahl der Cluster")],
    bloecke: Annotated[int, typer.Argument(help="Blöcke je Testheft")],
) -> None:
    """Ein Rotationsdesign anzeigen (zur Planung, ohne etwas anzulegen)."""
    from .design import rotation_design

    design = rotation_design(cluster, bloecke)
    console = Console()
    console.print(_balance_text(design))
    console.print(_design_table(design))


def list_command() -> None:
    """Angelegte Tests auflisten."""
    from bimo.core.operational import OperationalStore

    from .tests import booklet_design, cluster_refs, list_tests

    with OperationalStore.from_settings() as store, store.session() as db:
        tests = list_tests(db)
        table = Table("Kennung", "Titel", "Fach", "Jg.", "Cluster", "Testhefte", "Min./Block")
        for t in tests:
            table.add_row(
                t.key,
                t.title,
                t.domain,
                str(t.grade),
                str(len(cluster_refs(t))),
                str(len(booklet_design(t))),
                str(t.block_minutes),
            )
    Console().print(table)


def session_command(
    test: Annotated[str, typer.Argument(help="Kennung des Tests")],
    schulnummer: Annotated[str, typer.Option("--schulnummer", help="Schulnummer (6 Ziffern)")],
    klasse: Annotated[str, typer.Option("--klasse", help="Klasse, z. B. 8b")],
    codes: Annotated[int, typer.Option("--codes", help="Anzahl der Zugangscodes")],
    ausgabe: Annotated[
        Path,
        typer.Option(
            "--ausgabe",
            help="Codeliste (CSV: Platz, Code, Testheft) – die Codes sind nur hier zu sehen",
        ),
    ],
    gueltig: Annotated[int, typer.Option("--gueltig", help="Gültigkeit der Codes in Stunden")] = 72,
    oeffnen: Annotated[bool, typer.Option("--oeffnen", help="Sitzung sofort öffnen")] = False,
) -> None:
    """Eine Testsitzung für eine Klasse anlegen und die Codeliste schreiben."""
    from bimo.core.operational import OperationalStore, default_actor

    from .sessions import create_session, open_session

    if ausgabe.exists():
        raise DeliveryError(f"{ausgabe} existiert bereits; Codelisten werden nie überschrieben.")
    actor = default_actor()
    with OperationalStore.from_settings() as store, store.session() as db:
        created = create_session(
            db,
            test_key=test,
            schulnummer=schulnummer,
            klasse=klasse,
            n_codes=codes,
            actor=actor,
            valid_hours=gueltig,
        )
        if oeffnen:
            open_session(db, created.session.id, actor)
        ausgabe.parent.mkdir(parents=True, exist_ok=True)
        # Written inside the transaction: if the file cannot be written, no session exists
        # whose codes nobody has.
        with ausgabe.open("x", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["platz", "code", "testheft"])
            writer.writerows((c.label, c.code, c.booklet) for c in created.codes)
        session_id = created.session.id
    state = "geöffnet" if oeffnen else "vorbereitet (öffnen mit `bimo tests oeffnen`)"
    Console().print(
        f"Sitzung Nr. {session_id} für {schulnummer}/{klasse}: {codes} Codes in {ausgabe}; {state}."
    )


def open_command(sitzung: Annotated[int, typer.Argument(help="Nummer der Sitzung")]) -> None:
    """Eine vorbereitete Sitzung öffnen (die Codes werden gültig)."""
    from bimo.core.operational import OperationalStore, default_actor

    from .sessions import open_session

    with OperationalStore.from_settings() as store, store.session() as db:
        open_session(db, sitzung, default_actor())
    Console().print(f"Sitzung Nr. {sitzung} ist geöffnet.")


def end_command(sitzung: Annotated[int, typer.Argument(help="Nummer der Sitzung")]) -> None:
    """Eine Sitzung beenden; laufende Testdurchgänge werden abgegeben."""
    from bimo.core.operational import OperationalStore, default_actor

    from .sessions import end_session, session_progress

    with OperationalStore.from_settings() as store, store.session() as db:
        open_session_count = len(
            [p for p in session_progress(db, sitzung) if p.status in ("laufend", "pausiert")]
        )
        end_session(db, sitzung, default_actor())
    Console().print(
        f"Sitzung Nr. {sitzung} ist beendet ({open_session_count} laufende Durchgänge abgegeben)."
    )


def sessions_command(
    test: Annotated[str | None, typer.Option("--test", help="nur dieser Test")] = None,
    schulnummer: Annotated[str | None, typer.Option("--schulnummer")] = None,
) -> None:
    """Testsitzungen auflisten."""
    from bimo.core.operational import OperationalStore

    from .sessions import list_sessions

    with OperationalStore.from_settings() as store, store.session() as db:
        table = Table("Nr.", "Schule", "Klasse", "Status", "Angelegt", "Codes gültig bis")
        for s in list_sessions(db, schulnummer=schulnummer, test_key=test):
            table.add_row(
                str(s.id),
                s.schulnummer,
                s.klasse,
                s.status,
                f"{s.created_at:%d.%m.%Y %H:%M}",
                f"{s.codes_expire_at:%d.%m.%Y %H:%M}",
            )
    Console().print(table)


def progress_command(sitzung: Annotated[int, typer.Argument(help="Nummer der Sitzung")]) -> None:
    """Fortschritt je Platz (wie die Ansicht der Testleitung)."""
    from bimo.core.operational import OperationalStore

    from .sessions import session_progress

    with OperationalStore.from_settings() as store, store.session() as db:
        rows = session_progress(db, sitzung)
    table = Table("Platz", "Status", "Block", "Beantwortet", "Restzeit")
    for r in rows:
        rest = "–" if r.remaining_seconds is None else f"{r.remaining_seconds // 60} min"
        table.add_row(r.label, r.status, str(r.block + 1), f"{r.answered}/{r.total}", rest)
    Console().print(table)


def export_command(
    test: Annotated[str, typer.Argument(help="Kennung des Tests")],
    ausgabe: Annotated[
        Path, typer.Option("--ausgabe", help="Antwortdatei für bimo scale fit (CSV)")
    ],
    bank: BankOpt = None,
) -> None:
    """Bewertete Antworten exportieren (breit für `bimo scale fit`, dazu eine Positionsdatei)."""
    from bimo.core.operational import OperationalStore

    from .export import export_wide

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), console=console, transient=True) as bar:
        bar.add_task(f"Exportiere {test} …", total=None)
        with OperationalStore.from_settings() as store, store.session() as db:
            result = export_wide(db, test, _bank(bank), ausgabe)
    Console().print(
        f"{result.persons} Personen × {result.items} Aufgaben nach {result.wide}, "
        f"Positionen nach {result.long}."
    )
    if result.uncoded:
        console.print(
            f"[yellow]Hinweis:[/] {result.uncoded} offene Antworten sind noch nicht kodiert "
            "(leer gelassen)."
        )
    if result.invalid:
        console.print(
            f"[yellow]Hinweis:[/] {result.invalid} Antworten passten nicht zur Aufgabe "
            "(mit 0 bewertet)."
        )
    if result.items_without_scores:
        console.print(
            "[yellow]Hinweis:[/] ohne jede Bewertung (für die Skalierung ausschließen): "
            + ", ".join(result.items_without_scores)
        )


def agreement_command(
    test: Annotated[str, typer.Argument(help="Kennung des Tests")],
    quadratisch: Annotated[
        bool, typer.Option("--quadratisch", help="quadratisch gewichtetes Kappa")
    ] = False,
) -> None:
    """Übereinstimmung von Erst- und Zweitkodierung (Cohens Kappa) je offener Aufgabe."""
    from bimo.core.operational import OperationalStore

    from .coding import agreement

    with OperationalStore.from_settings() as store, store.session() as db:
        rows = agreement(db, test, weights="quadratic" if quadratisch else None)
    table = Table("Aufgabe", "n", "Kappa", "95 %-KI", "Übereinstimmung", "Hinweis")
    for r in rows:
        kappa = "–" if r.kappa is None else f"{r.kappa:.2f}"
        ci = "–" if r.ci_low is None or r.ci_high is None else f"{r.ci_low:.2f}–{r.ci_high:.2f}"
        observed = "–" if r.observed_agreement is None else f"{r.observed_agreement:.0%}"
        table.add_row(r.item_ref, str(r.n), kappa, ci, observed, r.note)
    Console().print(table if rows else "Noch keine Doppelkodierungen.")


def demo_command(
    ausgabe: Annotated[Path, typer.Option("--ausgabe", help="Verzeichnis für die Exporte")],
    klassen: Annotated[int, typer.Option("--klassen", help="Anzahl der Klassen")] = 6,
    schueler: Annotated[
        int, typer.Option("--schueler", help="Schülerinnen und Schüler je Klasse")
    ] = 25,
    bank: BankOpt = None,
) -> None:
    """Eine simulierte Erhebung durch den Testbetrieb laufen lassen (synthetische Daten)."""
    from bimo.core.operational import OperationalStore

    from .demo import DemoClass, run_demo_wave

    classes = [DemoClass(f"9{i + 1:05d}", "8a", schueler) for i in range(klassen)]
    console = Console(stderr=True)
    with (
        OperationalStore.from_settings() as store,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("Testdurchgänge", total=klassen * schueler)
        result = run_demo_wave(
            store,
            bank if bank is not None else Settings().data_dir / "aufgabenbank",
            ausgabe,
            classes,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    for key, value in result.summary().items():
        Console().print(f"{key}: {value}")


def register(app: typer.Typer) -> None:
    """Add the ``tests`` group to ``app``."""
    group = typer.Typer(
        name="tests",
        help="Testbetrieb: Tests anlegen, Sitzungen und Zugangscodes, Export, Kodierung.",
        no_args_is_help=True,
    )
    group.command("anlegen")(create_command)
    group.command("liste")(list_command)
    group.command("design")(design_command)
    group.command("sitzung")(session_command)
    group.command("sitzungen")(sessions_command)
    group.command("oeffnen")(open_command)
    group.command("beenden")(end_command)
    group.command("fortschritt")(progress_command)
    group.command("export")(export_command)
    group.command("kodierung-uebereinstimmung")(agreement_command)
    group.command("demo")(demo_command)
    app.add_typer(group, name="tests")
