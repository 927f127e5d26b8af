"""The indicator catalogue: one YAML file per indicator in ``bimo/indicators/catalog/``.

The pydantic models below are the format (documented in ``docs/indicators.md``). Loading checks
the structure (unknown keys, enum values) and the semantics against the data model: columns in
filters, sums and disaggregations must exist in the source table, codes must be in the column's
code list, a ``funktion`` must be importable, Kreis-based data allows only LAND and KREIS. Every
defect raises :class:`CatalogError` with a German message naming file, field path and YAML line.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bimo.core.codes import ALL_CODE_LISTS
from bimo.core.errors import BimoError
from bimo.core.schemas import ANALYTIC_TABLES, SCHOOLS, ColumnSpec
from bimo.core.yamlsource import YamlLocator, german_validation_message, line_index

AREAS: dict[str, str] = {
    "A": "Rahmenbedingungen",
    "B": "Grundinformationen zur Bildung",
    "C": "Frühkindliche Bildung, Betreuung und Erziehung",
    "D": "Allgemeinbildende Schulen",
    "E": "Berufliche Bildung",
    "F": "Hochschule",
    "G": "Weiterbildung",
    "H": "Non-formale und informelle Bildung",
    "I": "Querschnittsthemen",
}

Area = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I"]
Einheit = Literal["prozent", "anzahl", "je_1000", "verhaeltnis", "punkte"]
Art = Literal["anteil", "quote", "anzahl", "mittel", "schaetzung"]
Ebene = Literal["LAND", "KREIS", "GEMEINDE", "SCHULE"]
Richtung = Literal["hoeher_besser", "niedriger_besser", "neutral"]
Zeitbezug = Literal["schuljahr", "jahr"]

LEVEL_ORDER: tuple[str, ...] = ("LAND", "KREISTYP", "KREIS", "GEMEINDE", "SCHULE")
KREIS_LEVELS = frozenset({"LAND", "KREIS"})
# Columns the engine adds to every school-based source by joining ``schools`` (and regions).
SCHOOL_JOIN_COLUMNS: tuple[str, ...] = ("traeger", "ganztag_form", "gemeinde_ags", "kreis_ags")
DERIVED_COLUMNS: dict[str, ColumnSpec] = {
    "jahr": ColumnSpec("jahr", "int", "Jahr"),
    "land_ags": ColumnSpec("land_ags", "string", "AGS des Landes"),
    "kreistyp_ags": ColumnSpec("kreistyp_ags", "string", "Kreistyp-Vergleichsgruppe"),
}
ID_PATTERN = r"^[A-I][0-9]{2}[a-z]?$"

Scalar = str | int | float | bool


class CatalogError(BimoError):
    """The catalogue (or one of its files) is malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Strict):
    """Filter condition on one column; several operators in one condition are ANDed."""

    in_: list[Scalar] | None = Field(None, alias="in")
    nicht_in: list[Scalar] | None = None
    zwischen: tuple[float, float] | None = None
    gleich: Scalar | None = None
    leer: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        if all(v is None for v in (self.in_, self.nicht_in, self.zwischen, self.gleich, self.leer)):
            raise ValueError(
                "Bedingung ohne Operator (erlaubt: in, nicht_in, zwischen, gleich, leer)"
            )
        return self


class Measure(_Strict):
    """Zähler or Nenner: rows of ``quelle`` that pass ``filter``, counted or summed."""

    quelle: str | None = None
    filter: dict[str, Condition] = Field(default_factory=dict)
    summe: str | None = None


class Declarative(_Strict):
    zaehler: Measure
    nenner: Measure | None = None
    faktor: float | None = None


class FunctionForm(_Strict):
    funktion: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    parameter: dict[str, Any] = Field(default_factory=dict)
    additiv: bool = True


class Referenz(_Strict):
    wert: float
    jahr: int
    gebiet: str
    quelle: str


class Indicator(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    bereich: Area
    titel: str = Field(min_length=1)
    kurztitel: str | None = Field(None, max_length=40)
    beschreibung: str = Field(min_length=1)
    zaehler: str = Field(min_length=1)
    nenner: str | None = None
    einheit: Einheit
    nachkommastellen: int = Field(ge=0, le=4)
    stichtag: str
    zeitbezug: Zeitbezug
    quelle: str
    art: Art
    ebenen: list[Ebene] = Field(min_length=1)
    aufgliederungen: list[str] = Field(default_factory=list)
    richtung: Richtung
    interpretation: str = Field(min_length=1)
    referenz: Referenz | None = None
    berechnung: Declarative | FunctionForm

    @property
    def short_title(self) -> str:
        return self.kurztitel or self.titel

    @property
    def faktor(self) -> float:
        """Scale of ``wert`` = faktor · zaehler / nenner."""
        if isinstance(self.berechnung, Declarative) and self.berechnung.faktor is not None:
            return self.berechnung.faktor
        return {"prozent": 100.0, "je_1000": 1000.0}.get(self.einheit, 1.0)

    @property
    def additive(self) -> bool:
        return isinstance(self.berechnung, Declarative) or self.berechnung.additiv

    def output_levels(self) -> list[str]:
        """Levels the engine produces: the allowed ones plus KREISTYP whenever KREIS is."""
        levels: set[str] = set(self.ebenen)
        if "KREIS" in levels:
            levels.add("KREISTYP")
        return [lv for lv in LEVEL_ORDER if lv in levels]


class Catalog:
    """Indicators in id order; ``catalog["D05"]``, iteration, ``len``, :meth:`by_area`."""

    def __init__(self, indicators: list[Indicator], directory: Path | None = None) -> None:
        self._items = {ind.id: ind for ind in sorted(indicators, key=lambda i: i.id)}
        self.directory = directory

    def __getitem__(self, key: str) -> Indicator:
        try:
            return self._items[key]
        except KeyError:
            raise CatalogError(
                f"Indikator „{key}“ ist nicht im Katalog (vorhanden: {', '.join(self._items)})"
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    @property
    def ids(self) -> list[str]:
        return list(self._items)

    def by_area(self) -> dict[str, list[Indicator]]:
        """Indicators grouped by area letter (areas in A–I order, only non-empty ones)."""
        out: dict[str, list[Indicator]] = {}
        for ind in self:
            out.setdefault(ind.bereich, []).append(ind)
        return {k: out[k] for k in AREAS if k in out}

    def select(self, ids: list[str] | None) -> list[Indicator]:
        return list(self) if ids is None else [self[i] for i in ids]


def default_directory() -> Path:
    return Path(__file__).parent / "catalog"


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load and check every ``*.yaml`` file of ``directory`` (default: the shipped catalogue)."""
    folder = Path(directory) if directory is not None else default_directory()
    if not folder.is_dir():
        raise CatalogError(f"Katalogverzeichnis {folder} existiert nicht.")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise CatalogError(f"Katalogverzeichnis {folder} enthält keine Indikatordatei (*.yaml).")
    indicators: list[Indicator] = []
    seen: dict[str, str] = {}
    for path in files:
        ind = load_indicator_file(path)
        if ind.id in seen:
            raise CatalogError(
                f"Datei {path.name}: Indikator-ID {ind.id} ist doppelt (bereits in {seen[ind.id]})."
            )
        seen[ind.id] = path.name
        indicators.append(ind)
    return Catalog(indicators, folder)


def load_indicator_file(path: Path) -> Indicator:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"Datei {path.name}: die Datei ist nicht UTF-8-kodiert.") from None
    return parse_indicator(text, path.name)


def parse_indicator(text: str, source: str) -> Indicator:
    """Parse and check one indicator definition; ``source`` is the file name for messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (Zeile {mark.line + 1})" if mark is not None else ""
        raise CatalogError(f"Datei {source}: kein gültiges YAML{where}.") from None
    lines = line_index(node)
    fail = _Failer(source, lines)
    if not isinstance(data, dict):
        raise fail(
            (), "erwartet wird eine Zuordnung mit den Schlüsseln id, bereich, titel, berechnung …"
        )
    try:
        ind = Indicator.model_validate(data)
    except ValidationError as exc:
        raise fail.from_validation(exc, data) from None
    _check_semantics(ind, source, fail)
    return ind


# --- line numbers --------------------------------------------------------------------------


class _Failer(YamlLocator):
    """Builds CatalogErrors naming file, field path and line."""

    def __call__(self, path: tuple[str | int, ...], reason: str) -> CatalogError:
        return CatalogError(f"{self.where(path)}: {reason}")

    def from_validation(self, exc: ValidationError, data: dict[str, Any]) -> CatalogError:
        err = _best_error(exc.errors(), data)
        path = tuple(p for p in err["loc"] if p not in ("Declarative", "FunctionForm"))
        return self(path, german_validation_message(err))


def _best_error(errors: list[Any], data: dict[str, Any]) -> Any:
    # A union (declarative | function form) reports errors for both branches; the branch that
    # matches the keys actually written is the helpful one.
    berechnung = data.get("berechnung")
    wrong = "Declarative"
    if not (isinstance(berechnung, dict) and "funktion" in berechnung):
        wrong = "FunctionForm"
    for err in errors:
        if wrong not in tuple(err["loc"]):
            return err
    return errors[0]


# --- semantic checks -----------------------------------------------------------------------


def source_columns(table: str) -> dict[str, ColumnSpec]:
    """Columns usable in filters/disaggregations of ``table`` (school-based: joined schools)."""
    spec = ANALYTIC_TABLES[table]
    cols = {c.name: c for c in spec.columns}
    if "schulnummer" in cols:
        for name in (*SCHOOL_JOIN_COLUMNS, "schulform"):
            cols.setdefault(name, SCHOOLS.column(name))
    cols.update({k: v for k, v in DERIVED_COLUMNS.items() if k not in cols})
    return cols


def is_source(table: str) -> bool:
    spec = ANALYTIC_TABLES.get(table)
    if spec is None:
        return False
    names = set(spec.column_names)
    return bool(names & {"schuljahr", "jahr"}) and bool(names & {"schulnummer", "kreis_ags"})


def is_school_based(table: str) -> bool:
    return "schulnummer" in ANALYTIC_TABLES[table].column_names


def measure_sources(ind: Indicator) -> list[str]:
    """Source tables of a declarative indicator (zaehler, nenner)."""
    b = ind.berechnung
    if not isinstance(b, Declarative):
        return []
    base = b.nenner.quelle if b.nenner is not None else None
    z = b.zaehler.quelle or base
    return [s for s in (z, base) if s is not None]


def _check_semantics(ind: Indicator, source: str, fail: _Failer) -> None:
    stem = Path(source).stem
    if not (stem == ind.id or stem.startswith(ind.id + "_")):
        raise fail(("id",), f"Dateiname muss mit der ID beginnen: „{ind.id}_<kurzname>.yaml“")
    if ind.id[0] != ind.bereich:
        raise fail(
            ("bereich",), f"Bereich {ind.bereich} passt nicht zur ID {ind.id} (erster Buchstabe)"
        )
    if len(set(ind.ebenen)) != len(ind.ebenen):
        raise fail(("ebenen",), "Ebenen sind doppelt angegeben")
    if len(set(ind.aufgliederungen)) != len(ind.aufgliederungen):
        raise fail(("aufgliederungen",), "Aufgliederungen sind doppelt angegeben")
    if ind.art == "anzahl" and ind.einheit != "anzahl":
        raise fail(("einheit",), "Art „anzahl“ verlangt die Einheit „anzahl“")
    b = ind.berechnung
    if isinstance(b, FunctionForm):
        _check_function(b, fail)
        return
    _check_declarative(ind, b, fail)


def _check_function(b: FunctionForm, fail: _Failer) -> None:
    module_name, _, attr = b.funktion.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is a catalogue defect
        raise fail(
            ("berechnung", "funktion"),
            f"Modul {module_name} kann nicht importiert werden ({type(exc).__name__}: {exc})",
        ) from None
    func = getattr(module, attr, None)
    if func is None or not callable(func):
        raise fail(
            ("berechnung", "funktion"), f"{attr} ist keine aufrufbare Funktion in {module_name}"
        )


def _check_declarative(ind: Indicator, b: Declarative, fail: _Failer) -> None:
    if b.nenner is None:
        if ind.art not in ("anzahl",):
            raise fail(("berechnung", "nenner"), f"Art „{ind.art}“ braucht einen Nenner")
        if b.zaehler.quelle is None:
            raise fail(("berechnung", "zaehler", "quelle"), "Pflichtfeld fehlt (kein Nenner)")
    elif b.nenner.quelle is None:
        raise fail(("berechnung", "nenner", "quelle"), "Pflichtfeld fehlt")
    if ind.art == "anzahl" and b.nenner is not None:
        raise fail(("berechnung", "nenner"), "Art „anzahl“ hat keinen Nenner")
    for role, measure in (("nenner", b.nenner), ("zaehler", b.zaehler)):
        if measure is not None and measure.quelle is not None and not is_source(measure.quelle):
            usable = sorted(t for t in ANALYTIC_TABLES if is_source(t))
            raise fail(
                ("berechnung", role, "quelle"),
                f"„{measure.quelle}“ ist keine verwendbare Quelle (erlaubt: {', '.join(usable)})",
            )
    kreis_based = False
    for role, measure in (("zaehler", b.zaehler), ("nenner", b.nenner)):
        if measure is None:
            continue
        base_path: tuple[str | int, ...] = ("berechnung", role)
        table = measure.quelle
        if table is None:
            assert b.nenner is not None and b.nenner.quelle is not None
            table = b.nenner.quelle
        kreis_based |= not is_school_based(table)
        cols = source_columns(table)
        if measure.summe is not None:
            spec = cols.get(measure.summe)
            if spec is None or spec.dtype not in ("int", "float"):
                raise fail(
                    (*base_path, "summe"),
                    f"Spalte „{measure.summe}“ gibt es in {table} nicht als Zahlenspalte",
                )
        for column, cond in measure.filter.items():
            _check_condition(table, cols, column, cond, (*base_path, "filter", column), fail)
        for i, column in enumerate(ind.aufgliederungen):
            if column not in cols or column in ("jahr", "schulnummer", "pseudonym"):
                raise fail(
                    ("aufgliederungen", i),
                    f"Spalte „{column}“ gibt es in der Quelle {table} nicht",
                )
    if kreis_based:
        bad = [lv for lv in ind.ebenen if lv not in KREIS_LEVELS]
        if bad:
            raise fail(
                ("ebenen",),
                f"Ebene(n) {', '.join(bad)} nicht möglich: Daten auf Kreisebene erlauben nur "
                "LAND und KREIS",
            )


def _check_condition(
    table: str,
    cols: dict[str, ColumnSpec],
    column: str,
    cond: Condition,
    path: tuple[str | int, ...],
    fail: _Failer,
) -> None:
    spec = cols.get(column)
    if spec is None:
        raise fail(path, f"Spalte „{column}“ gibt es in der Quelle {table} nicht")
    if cond.zwischen is not None:
        if spec.dtype not in ("int", "float"):
            raise fail((*path, "zwischen"), f"„zwischen“ braucht eine Zahlenspalte ({column})")
        if cond.zwischen[0] > cond.zwischen[1]:
            raise fail((*path, "zwischen"), "untere Grenze ist größer als die obere")
    if cond.leer is not None and spec.required and cond.leer:
        raise fail((*path, "leer"), f"Spalte „{column}“ ist Pflichtspalte und nie leer")
    for op, values in (("in", cond.in_), ("nicht_in", cond.nicht_in)):
        if values is not None:
            if not values:
                raise fail((*path, op), "die Liste darf nicht leer sein")
            for i, value in enumerate(values):
                _check_value(spec, value, (*path, op, i), fail)
    if cond.gleich is not None:
        _check_value(spec, cond.gleich, (*path, "gleich"), fail)


def _check_value(
    spec: ColumnSpec, value: Scalar, path: tuple[str | int, ...], fail: _Failer
) -> None:
    kind = {bool: "bool", int: "int", float: "float", str: "string"}[type(value)]
    if spec.dtype == "bool" and kind != "bool":
        raise fail(path, f"Spalte „{spec.name}“ ist ja/nein: Wert muss true oder false sein")
    if spec.dtype in ("int", "float") and kind not in ("int", "float"):
        raise fail(path, f"Spalte „{spec.name}“ ist eine Zahlenspalte: „{value}“ ist keine Zahl")
    if spec.dtype == "string" and kind != "string":
        raise fail(
            path, f"Spalte „{spec.name}“ ist eine Textspalte: „{value}“ in Anführungszeichen"
        )
    if spec.codelist is not None:
        codes = ALL_CODE_LISTS[spec.codelist].codes
        if value not in codes:
            raise fail(
                path,
                f"Code „{value}“ ist nicht in der Codeliste {spec.codelist} "
                f"(erlaubt: {', '.join(sorted(codes))})",
            )
    elif (
        spec.pattern is not None
        and isinstance(value, str)
        and not re.fullmatch(spec.pattern, value)
    ):
        raise fail(path, f"Wert „{value}“ passt nicht zur Spalte „{spec.name}“")
