"""``bimo demo``: the whole pipeline end to end on Musterland, then serve the results.

Steps, in the one-way data flow of BiMo: generate Musterland → Vertrauensstelle pseudonymises
the schools' delivery → validated import (clean files, then the dirty variant with quarantine)
→ linkage checks and probabilistic matching → disclosure-controlled Bildungsverlauf tables →
a simulated Lernstandserhebung scaled with the IRT engine → four Lernstand waves in the analytic
store → the indicator catalogue for every region and year → the Bildungsbericht of the largest
Kreis (HTML + PDF/UA) → the Open Data export → an internal feedback report for one school → the
portal's directory and demo accounts → a simulated Schülerfeedback round → a simulated digital
test wave (sessions, codes, answers, double coding, export) → the Bildungsportal (``bimo serve``)
on loopback.

The demo's pseudonymisation key exists only in memory: it is never written anywhere.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from bimo.core.config import get_settings
from bimo.core.errors import BimoError

console = Console()


@dataclass(frozen=True)
class DemoConfig:
    """Size and place of a demo run."""

    out: Path = Path("bimo-demo")
    students: int = 60_000
    years: int = 10
    seed: int = 1


@dataclass
class DemoResult:
    """What each step produced (shown in the summary and on the overview page)."""

    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(self, title: str, seconds: float, **facts: Any) -> None:
        self.steps.append({"schritt": title, "sekunden": round(seconds, 1), **facts})


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k} {_compact(v)}" for k, v in value.items()) + ")"
    return str(value)


def _step(result: DemoResult, title: str, action: Callable[[], dict[str, Any]]) -> None:
    started = time.perf_counter()
    with console.status(f"[bold]{title}[/] …"):
        facts = action()
    seconds = time.perf_counter() - started
    result.add(title, seconds, **facts)
    shown = ", ".join(f"{k}: {_compact(v)}" for k, v in facts.items())
    console.print(f"[green]✓[/] {title} ({seconds:.1f} s) {shown}")


def run_demo(config: DemoConfig) -> DemoResult:
    """Run every step; returns the collected facts. Raises :class:`BimoError` on failure."""
    from bimo import demo_steps as steps
    from bimo.core.store import AnalyticStore

    out = config.out
    if out.exists() and any(out.iterdir()) and not (out / "demo.json").exists():
        raise BimoError(
            f"Das Verzeichnis {out} ist nicht leer und stammt nicht aus einem früheren Demo-Lauf; "
            "bitte ein leeres oder neues Verzeichnis angeben."
        )
    out.mkdir(parents=True, exist_ok=True)
    store_path = out / "bimo.duckdb"
    store_path.unlink(missing_ok=True)
    result = DemoResult()
    musterland = out / "musterland"

    _step(result, "Musterland erzeugen", lambda: steps.generate(config, musterland))
    _step(
        result,
        "Vertrauensstelle: Lieferung pseudonymisieren",
        lambda: steps.pseudonymise(musterland, out / "vertrauensstelle-ausgabe"),
    )
    with AnalyticStore(store_path) as store:
        _step(result, "Import (geprüft)", lambda: steps.import_clean(musterland, store, out))
        _step(
            result,
            "Import der fehlerhaften Variante",
            lambda: steps.import_dirty(musterland, store, out),
        )
        _step(result, "Verlaufsprüfung", lambda: steps.check_trajectories(store))
    _step(result, "Probabilistische Verknüpfung", lambda: steps.match(musterland, store_path))
    _step(
        result,
        "Bildungsverlauf: geschützte Tabellen",
        lambda: steps.publish_verlauf(store_path, out / "veroeffentlichung" / "verlauf"),
    )
    _step(
        result,
        "Lernstandserhebung: Skalierung und Kompetenzstufen",
        lambda: steps.lernstand(store_path, out / "lernstand", out / "veroeffentlichung"),
    )
    _step(
        result,
        "Lernstandserhebungen von vier Jahren in den Analysebestand",
        lambda: steps.lernstand_waves(store_path, out / "lernstand_wellen"),
    )
    _step(result, "Indikatoren berechnen und schützen", lambda: steps.indicators(store_path))
    published = out / "veroeffentlichung"
    _step(
        result,
        "Bildungsbericht (HTML und PDF)",
        lambda: steps.bildungsbericht(store_path, published / "bildungsbericht"),
    )
    _step(
        result,
        "Open Data (CSV, Parquet, DCAT-AP.de)",
        lambda: steps.open_data(store_path, published / "opendata"),
    )
    # The school feedback is internal to the school: written outside the published directory.
    _step(
        result,
        "Rückmeldung an eine Schule (intern)",
        lambda: steps.rueckmeldung(store_path, out / "intern" / "rueckmeldungen"),
    )
    _step(
        result,
        "Portal vorbereiten: Verzeichnis und Demo-Zugänge",
        lambda: steps.prepare_portal(out),
    )
    _step(result, "Schülerfeedback: simulierte Befragung", lambda: steps.surveys(out))
    _step(
        result,
        "Digitale Lernstandserhebung: simulierte Testwelle",
        lambda: steps.digital_test_wave(out),
    )
    (out / "demo.json").write_text(
        json.dumps(result.steps, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    steps.write_overview(out / "veroeffentlichung", result.steps)
    return result


def _summary(result: DemoResult) -> Table:
    table = Table(title="BiMo-Demo: Ergebnis")
    table.add_column("Schritt")
    table.add_column("Sekunden", justify="right")
    for step in result.steps:
        table.add_row(step["schritt"], f"{step['sekunden']:.1f}")
    return table


def serve(out: Path, port: int) -> None:
    """Serve the Bildungsportal on the demo's data on loopback until interrupted."""
    from bimo.web.cli import serve as serve_web

    # The web app reads its data directory from the settings: point them at the demo output.
    os.environ["BIMO_DATA_DIR"] = str(out.resolve())
    os.environ.pop("BIMO_DUCKDB_PATH", None)
    os.environ.pop("BIMO_DATABASE_URL", None)
    os.environ.pop("BIMO_WEB_PUBLICATION_DIR", None)
    get_settings.cache_clear()
    accounts = out / "intern" / "demo-zugaenge.txt"
    if accounts.exists():
        console.print(f"Demo-Zugänge (Anmeldung im Portal): {accounts}")
        console.print(accounts.read_text(encoding="utf-8"))
    console.print(f"Bildungsportal unter [bold]http://127.0.0.1:{port}/[/] (Beenden mit Strg+C)")
    serve_web(host="127.0.0.1", port=port, workers=2)


def demo_command(
    out: Path = typer.Option(Path("bimo-demo"), "--out", help="Arbeitsverzeichnis der Demo"),
    students: int = typer.Option(60_000, help="Schülerinnen und Schüler je Schuljahr"),
    years: int = typer.Option(10, help="Anzahl Schuljahre"),
    seed: int = typer.Option(1, help="Zufallsstartwert"),
    serve_results: bool = typer.Option(
        True, "--serve/--no-serve", help="Danach das Bildungsportal auf 127.0.0.1 starten"
    ),
    port: int = typer.Option(8000, help="Port für --serve"),
) -> None:
    """Alles Gebaute einmal durchlaufen: Musterland → Pseudonymisierung → Import →
    Verlaufsprüfung → geschützte Tabellen → Lernstandserhebungen → Indikatoren → Bildungsbericht →
    Open Data → Rückmeldung an eine Schule → Portal; danach das Bildungsportal starten."""
    get_settings()  # fail early on invalid BIMO_* settings
    result = run_demo(DemoConfig(out=out, students=students, years=years, seed=seed))
    console.print(_summary(result))
    if serve_results:
        serve(out, port)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
