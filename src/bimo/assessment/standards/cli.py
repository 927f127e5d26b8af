"""``bimo scale link|standards|dif|fair``: linking, Kompetenzstufen, DIF, fairer Vergleich."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from bimo.core.config import get_settings
from bimo.core.errors import BimoError, InputFileError, Location

_err = Console(stderr=True)


class Method(StrEnum):
    mean_mean = "mean-mean"
    mean_sigma = "mean-sigma"
    haebara = "haebara"
    stocking_lord = "stocking-lord"


class DriftRuleChoice(StrEnum):
    threshold = "threshold"
    robust_z = "robust-z"


class Scheme(StrEnum):
    jk1 = "jk1"
    jk2 = "jk2"


class MatchingChoice(StrEnum):
    total = "total"
    rest = "rest"


@contextmanager
def _german_errors() -> Iterator[None]:
    """Expected failures: German message on stderr, exit code 2, no traceback."""
    try:
        yield
    except BimoError as exc:
        _err.print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _clean(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def link_command(
    new_items: Annotated[Path, typer.Argument(help="Itemparameter der neuen Kalibrierung (CSV)")],
    reference: Annotated[
        Path, typer.Option("--reference", help="Itemparameter der Referenzkalibrierung (CSV)")
    ],
    out: Annotated[Path, typer.Option("--out", help="Ausgabe: verlinkte Itemparameter (CSV)")],
    method: Annotated[Method, typer.Option("--method", help="Linking-Verfahren")] = Method.haebara,
    drift_threshold: Annotated[
        float,
        typer.Option(
            "--drift-threshold",
            min=0.0,
            help="Ankeritems mit |Verschiebung| über diesem Wert (Logits) werden schrittweise "
            "entfernt; 0 schaltet die Prüfung ab",
        ),
    ] = 0.5,
    drift_rule: Annotated[
        DriftRuleChoice,
        typer.Option(
            "--drift-rule",
            help="threshold: |Verschiebung| > Schwelle; robust-z: |z| > 2,7 mit Median/MAD "
            "(zusätzlich |Verschiebung| > Schwelle, falls diese > 0)",
        ),
    ] = DriftRuleChoice.threshold,
    as_json: Annotated[bool, typer.Option("--json", help="Ergebnis als JSON ausgeben")] = False,
) -> None:
    """Neue Kalibrierung über gemeinsame Ankeritems auf die Referenzskala linken."""
    from bimo.assessment.standards.linking import link
    from bimo.assessment.standards.tables import (
        read_csv,
        read_items,
        transformed_standard_errors,
        write_items,
    )

    with _german_errors():
        ref = read_items(reference)
        new = read_items(new_items)
        with _err.status("Linking wird berechnet …"):
            result = link(
                ref,
                new,
                method.value,
                drift_threshold=drift_threshold or None,
                drift_rule=drift_rule.value,
            )
        se = transformed_standard_errors(read_csv(new_items), new, result.big_a, result.big_b)
        write_items(out, result.linked_items, se)
        summary = result.summary()
        if as_json:
            typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        else:
            removed = ", ".join(r.item for r in result.removed) or "keine"
            typer.echo(
                f"A = {result.big_a:.4f}, B = {result.big_b:.4f} ({method.value}, "
                f"{len(result.anchors)} Anker); entfernte Anker: {removed}; "
                f"Linkingfehler (Jackknife, B): {result.se_b_jackknife:.4f}"
            )


def standards_command(
    pv_file: Annotated[Path, typer.Argument(help="Plausible Values (CSV: id, pv1, …, pvM)")],
    levels: Annotated[
        str,
        typer.Option(
            "--levels", help="Kompetenzstufenmodell: Name (z. B. primar_deutsch_lesen) oder YAML"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Ausgabe: Anteile je Stufe und Gruppe (CSV)")],
    groups: Annotated[
        Path | None, typer.Option("--groups", help="Hintergrunddaten (CSV mit Spalte id)")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Gruppierungsspalten, kommagetrennt")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Klumpenspalte (z. B. Schule) für Jackknife")
    ] = None,
    weight: Annotated[str | None, typer.Option("--weight", help="Gewichtsspalte")] = None,
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
            help="PVs der Referenzkohorte (CSV: id, pv1, …; optional Spalte weight), aus denen "
            "μ und σ geschätzt werden",
        ),
    ] = None,
    transform_from_pvs: Annotated[
        bool,
        typer.Option(
            "--transform-from-pvs",
            help="μ und σ aus diesen PVs schätzen (die Stichprobe ist selbst die Referenz)",
        ),
    ] = False,
    jackknife: Annotated[
        Scheme, typer.Option("--jackknife", help="Jackknife-Variante bei --cluster")
    ] = Scheme.jk1,
    as_json: Annotated[bool, typer.Option("--json", help="Ergebnis als JSON ausgeben")] = False,
) -> None:
    """Anteile je Kompetenzstufe, Mindest-/Regel-/Optimalstandard, Mittelwerte und SD."""
    import numpy as np  # in the commands: `bimo --help` does not need NumPy

    from bimo.assessment.standards.inputs import parse_columns, read_background, read_pvs
    from bimo.assessment.standards.levels import load_level_model
    from bimo.assessment.standards.metric import ReferenceMetric, reference_from_pvs
    from bimo.assessment.standards.shares import standards_table
    from bimo.assessment.standards.tables import read_csv, write_rows

    with _german_errors():
        model = load_level_model(levels)
        pvs = read_pvs(pv_file)
        by_cols = parse_columns(by)
        needs_bg = bool(by_cols) or cluster is not None or weight is not None
        if needs_bg and groups is None:
            raise BimoError("--by, --cluster und --weight brauchen eine Datei mit --groups")
        bg = read_background(groups, pvs.ids, pv_file.name) if groups is not None else None
        n = len(pvs.ids)
        w = bg.numbers(weight) if bg is not None and weight else np.ones(n)
        if (w <= 0).any():
            row = int(bg.order[int(np.argmax(w <= 0))]) + 1 if bg is not None else None
            raise InputFileError(
                Location(groups.name if groups else pv_file.name, row=row, column=weight),
                "Gewichte müssen positiv sein",
            )
        if reference_pvs is not None:
            ref_pvs = read_pvs(reference_pvs)
            ref_table = read_csv(reference_pvs)
            ref_w = ref_table.numbers("weight") if "weight" in ref_table.header else None
            metric = reference_from_pvs(ref_pvs.values, ref_w)
        elif transform_from_pvs:
            metric = reference_from_pvs(pvs.values, w)
        elif reference_mean is not None and reference_sd is not None:
            metric = ReferenceMetric(reference_mean, reference_sd)
        else:
            raise BimoError(
                "Referenzmetrik fehlt: --reference-mean und --reference-sd, --reference-pvs "
                "oder --transform-from-pvs angeben"
            )
        clusters = np.array(bg.text(cluster)) if bg is not None and cluster else None
        group_keys = (
            list(zip(*(bg.text(c) for c in by_cols), strict=True))
            if bg is not None and by_cols
            else None
        )
        min_cell = get_settings().min_cell
        with Progress(console=_err, transient=True) as bar:
            task = bar.add_task("Gruppen werden ausgewertet", total=None)
            rows = standards_table(
                metric.to_reporting(pvs.values),
                w,
                group_keys,
                clusters,
                model,
                min_cell=min_cell,
                scheme=jackknife.value,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        header = [
            *(by_cols or ["group"]),
            "statistic",
            "level",
            "estimate",
            "se",
            "n",
            "suppressed",
        ]
        table = [
            [*r.group, r.statistic, r.level, r.estimate, r.se, r.n, r.suppressed] for r in rows
        ]
        write_rows(out, header, table)
        if as_json:
            payload = {
                "levels": model.name,
                "reference_mean": metric.mean,
                "reference_sd": metric.sd,
                "min_cell": min_cell,
                "rows": [
                    {
                        "group": list(r.group),
                        "statistic": r.statistic,
                        "level": r.level,
                        "estimate": _clean(r.estimate),
                        "se": _clean(r.se),
                        "n": r.n,
                        "suppressed": r.suppressed,
                    }
                    for r in rows
                ],
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            n_groups = len({r.group for r in rows})
            n_supp = len({r.group for r in rows if r.suppressed})
            typer.echo(
                f"{n_groups} Gruppen ausgewertet, {n_supp} wegen n < {min_cell} gesperrt; "
                f"Ergebnis in {out}"
            )


def dif_command(
    responses: Annotated[Path, typer.Argument(help="Antworten (CSV: id, Items mit 0/1, leer)")],
    groups: Annotated[Path, typer.Option("--groups", help="Hintergrunddaten (CSV mit Spalte id)")],
    focal: Annotated[str, typer.Option("--focal", help="Fokalgruppe als SPALTE=WERT, z. B. ndh=1")],
    out: Annotated[Path, typer.Option("--out", help="Ausgabe: DIF-Statistiken je Item (CSV)")],
    matching: Annotated[
        MatchingChoice,
        typer.Option("--matching", help="Matching-Score: Gesamt- oder Restscore je Testheft"),
    ] = MatchingChoice.total,
    theta: Annotated[
        Path | None,
        typer.Option("--theta", help="Statt Summenscore: θ-Schätzer (CSV mit id, eap)"),
    ] = None,
    theta_strata: Annotated[
        int, typer.Option("--theta-strata", help="Anzahl Quantilsschichten für --theta")
    ] = 10,
) -> None:
    """Mantel-Haenszel-DIF mit ETS-Klassifikation (A/B/C) für dichotome Items."""
    import numpy as np  # in the commands: `bimo --help` does not need NumPy

    from bimo.assessment.dif import mantel_haenszel
    from bimo.assessment.standards.inputs import check_ids, read_background
    from bimo.assessment.standards.tables import read_csv, write_rows

    with _german_errors():
        if "=" not in focal:
            raise BimoError(f"--focal erwartet SPALTE=WERT, nicht „{focal}“")
        column, value = (s.strip() for s in focal.split("=", 1))
        table = read_csv(responses, required=("id",))
        items = [c for c in table.header if c != "id"]
        if not items:
            raise InputFileError(Location(responses.name), "keine Itemspalten neben id")
        resp = np.column_stack([table.numbers(c, allow_missing=True) for c in items])
        for j, item in enumerate(items):
            bad = ~np.isnan(resp[:, j]) & ~np.isin(resp[:, j], (0.0, 1.0))
            if bad.any():
                raise InputFileError(
                    Location(responses.name, row=int(np.argmax(bad)) + 1, column=item),
                    "nur 0, 1 oder leer (nicht bearbeitet) sind erlaubt",
                )
        ids = table.text("id")
        check_ids(table, ids)
        bg = read_background(groups, ids, responses.name)
        is_focal = np.array([v == value for v in bg.text(column)])
        strata = None
        if theta is not None:
            theta_bg = read_background(theta, ids, responses.name)
            eap = theta_bg.numbers("eap")
            edges = np.quantile(eap, np.linspace(0, 1, theta_strata + 1)[1:-1])
            strata = np.searchsorted(edges, eap, side="right")
        results = mantel_haenszel(resp, is_focal, items, matching=matching.value, strata=strata)
        min_cell = get_settings().min_cell
        header = [
            "item",
            "n_reference",
            "n_focal",
            "strata",
            "alpha_mh",
            "chi2_mh",
            "p_value",
            "mh_d_dif",
            "se_mh_d_dif",
            "ets_class",
            "suppressed",
        ]
        rows: list[list[object]] = []
        for r in results:
            if min(r.n_reference, r.n_focal) < min_cell:
                rows.append([r.item, None, None, None, None, None, None, None, None, "", True])
                continue
            rows.append(
                [
                    r.item,
                    r.n_reference,
                    r.n_focal,
                    r.strata_used,
                    r.alpha_mh,
                    r.chi2,
                    r.p_value,
                    r.delta,
                    r.se_delta,
                    r.ets_class,
                    False,
                ]
            )
        write_rows(out, header, rows)
        flagged = [r.item for r in results if r.ets_class.startswith("C")]
        typer.echo(
            f"{len(results)} Items geprüft; C-DIF: {', '.join(flagged) or 'keines'}; "
            f"Ergebnis in {out}"
        )


def fair_command(
    pv_file: Annotated[Path, typer.Argument(help="Plausible Values (CSV: id, pv1, …, pvM)")],
    background: Annotated[
        Path, typer.Option("--background", help="Hintergrunddaten (CSV mit Spalte id)")
    ],
    school: Annotated[str, typer.Option("--school", help="Spalte mit der Schule (oder Klasse)")],
    out: Annotated[Path, typer.Option("--out", help="Ausgabe: fairer Vergleich je Schule (CSV)")],
    covariates: Annotated[
        str | None,
        typer.Option(
            "--covariates",
            help="Individuelle Merkmale, kommagetrennt (Standard: alle übrigen Spalten); "
            "Textspalten werden dummy-kodiert",
        ),
    ] = None,
    composition: Annotated[
        str | None,
        typer.Option(
            "--composition",
            help="Merkmale, deren Schulmittel (bzw. Anteile) als Komposition eingehen "
            "(Standard: die numerischen Kovariaten)",
        ),
    ] = None,
    weight: Annotated[str | None, typer.Option("--weight", help="Gewichtsspalte")] = None,
    level: Annotated[
        float, typer.Option("--level", help="Niveau des Erwartungsbereichs (0.90 oder 0.95)")
    ] = 0.95,
    between_schools: Annotated[
        bool,
        typer.Option(
            "--between-schools",
            help="Erwartungsbereich um die Streuung der Schuleffekte erweitern (Vergleich mit "
            "Schulen ähnlicher Zusammensetzung statt Test auf Schuleffekt null)",
        ),
    ] = False,
    reference_mean: Annotated[
        float | None, typer.Option("--reference-mean", help="μ der Referenzkohorte (θ-Metrik)")
    ] = None,
    reference_sd: Annotated[
        float | None, typer.Option("--reference-sd", help="σ der Referenzkohorte (θ-Metrik)")
    ] = None,
) -> None:
    """Fairer Vergleich: beobachteter vs. erwarteter Schulmittelwert bei gegebener Komposition."""
    from bimo.assessment.standards.fair import fair_comparison
    from bimo.assessment.standards.inputs import (
        covariate_matrix,
        is_numeric_column,
        parse_columns,
        read_background,
        read_pvs,
    )
    from bimo.assessment.standards.metric import ReferenceMetric
    from bimo.assessment.standards.tables import write_rows

    with _german_errors():
        if not 0.5 < level < 1:
            raise BimoError(f"--level muss zwischen 0.5 und 1 liegen, nicht {level}")
        pvs = read_pvs(pv_file)
        bg = read_background(background, pvs.ids, pv_file.name)
        bg.table.index(school)
        excluded = {"id", school, *([weight] if weight else [])}
        cov_cols = parse_columns(covariates) or [c for c in bg.table.header if c not in excluded]
        comp_cols = parse_columns(composition) or [
            c for c in cov_cols if is_numeric_column(bg.table, c)
        ]
        individual, _ = covariate_matrix(bg, cov_cols)
        comp, _ = covariate_matrix(bg, comp_cols)
        w = bg.numbers(weight) if weight else None
        scores = pvs.values
        metric_label = "theta"
        if reference_mean is not None and reference_sd is not None:
            scores = ReferenceMetric(reference_mean, reference_sd).to_reporting(scores)
            metric_label = "500/100"
        rows = fair_comparison(
            scores,
            individual,
            comp,
            bg.text(school),
            w,
            level=level,
            min_cell=get_settings().min_cell,
            between_schools=between_schools,
        )
        header = [
            "school",
            "n",
            "observed",
            "expected",
            "difference",
            "se",
            "lower",
            "upper",
            "classification",
            "suppressed",
            "metric",
        ]
        write_rows(
            out,
            header,
            [
                [
                    r.school,
                    r.n,
                    r.observed,
                    r.expected,
                    r.difference,
                    r.se,
                    r.lower,
                    r.upper,
                    r.classification,
                    r.suppressed,
                    metric_label,
                ]
                for r in rows
            ],
        )
        counts = {k: sum(r.classification == k for r in rows) for k in ("above", "within", "below")}
        typer.echo(
            f"{len(rows)} Schulen: {counts['above']} über, {counts['within']} im, "
            f"{counts['below']} unter dem Erwartungsbereich; Ergebnis in {out}"
        )


COMMANDS: dict[str, Callable[..., None]] = {
    "link": link_command,
    "standards": standards_command,
    "dif": dif_command,
    "fair": fair_command,
}


def add_commands(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    for name, function in COMMANDS.items():
        app.command(name)(function)
