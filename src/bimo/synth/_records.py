"""Turn one simulated school year into Arrow tables: analytic records, delivery, identities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bimo.core.schemas import IDENTITIES, STUDENT_YEARS, ColumnSpec, TableSpec
from bimo.synth import _names
from bimo.synth._geography import SCHULFORM_CODES, Geography
from bimo.synth._people import FSP_CODES, People
from bimo.synth._simulate import YearRecords

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}
ZUG_CODES = (None, "EIN", "WECHSEL", "ZUZUG")
EIN_CODES = (None, "FRIST", "VORZ", "ZURUECK")
ABG_CODES = (None, "ENTL", "WECHSEL", "FORTZUG")
ABS_CODES = (None, "OHNE", "FOES", "ESA", "MSA", "FHR", "AHR")
WDH_CODES = (None, "NV", "FW")
SEX_CODES = ("m", "w", "d")
CONTENT_COLUMNS = tuple(
    c for c in STUDENT_YEARS.column_names if c not in ("pseudonym", "record_key")
)
UNLINKED_SHARE = 0.005  # student-year records whose pseudonymisation failed
VARIANT_SHARE = 0.005  # delivery rows with a spelling variant of the person's identity


def arrow_schema(spec: TableSpec, extra: tuple[ColumnSpec, ...] = ()) -> pa.Schema:
    """The Arrow schema of a table spec (column order as in the spec)."""
    cols = (*extra, *spec.columns)
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.dtype]) for c in cols])


ArrowSchemaSource = Callable[[], pa.Schema]


def delivery_schema() -> pa.Schema:
    """``lieferung``: lieferung_id, then the student_years content columns."""
    base = arrow_schema(STUDENT_YEARS)
    fields = [pa.field("lieferung_id", pa.string())]
    fields += [base.field(c) for c in CONTENT_COLUMNS]
    return pa.schema(fields)


def identities_schema() -> pa.Schema:
    return arrow_schema(IDENTITIES)


def unlinked_schema() -> pa.Schema:
    base = arrow_schema(STUDENT_YEARS)
    return pa.schema([pa.field("record_id", pa.string()), *base])


def truth_schema() -> pa.Schema:
    return pa.schema([pa.field("record_id", pa.string()), pa.field("true_pseudonym", pa.string())])


def coded(idx: np.ndarray, labels: tuple[str | None, ...] | list[str]) -> pa.Array:
    """Map small integer codes to strings through a dictionary (index 0 may mean null)."""
    idx32 = idx.astype(np.int32)
    mask = idx32 == 0 if labels[0] is None else None
    dictionary = pa.array(list(labels), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(idx32, mask=mask), dictionary).cast(pa.string())


def hex_strings(values: np.ndarray) -> pa.Array:
    """Fixed-width ``S64`` bytes to an Arrow string array without a Python loop."""
    n = values.shape[0]
    offsets = np.arange(0, 64 * (n + 1), 64, dtype=np.int32)
    data = np.ascontiguousarray(values).view(np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


@dataclass(frozen=True)
class YearTables:
    """The tables of one school year, row-aligned: ``delivery`` and ``identities`` describe the
    rows of ``student_years``; ``unlinked`` holds the withheld records."""

    student_years: pa.Table
    delivery: pa.Table
    identities: pa.Table
    unlinked: pa.Table
    truth: pa.Table


class RecordBuilder:
    """Builds :class:`YearTables`; keeps the running numbers for IDs across years."""

    def __init__(self, rng: np.random.Generator, geo: Geography) -> None:
        self.rng = rng
        self.geo = geo
        self.unlinked_count = 0
        self.school_nr = pa.array(geo.school_nr, pa.string())
        self.school_form = coded(geo.school_form.astype(np.int32), list(SCHULFORM_CODES))
        self.klasse_labels = [f"{g}{chr(97 + c)}" for g in range(14) for c in range(26)]
        self.address_place = [
            f"{plz} {name}" for plz, name in zip(geo.gem_plz, geo.gem_name, strict=True)
        ]

    def build(self, rec: YearRecords) -> YearTables:
        # Sort by school, grade and class: the order a school office would deliver.
        order = np.lexsort((rec.klasse, rec.people.school))
        withheld = self.rng.random(order.size) < UNLINKED_SHARE
        # Split before building Arrow columns: gathering whole string tables is slow.
        keep, held = order[~withheld], order[withheld]
        kept = rec.people.take(keep)
        student_years = self._table(rec, keep, kept)
        unlinked, truth = self._unlinked(self._table(rec, held, rec.people.take(held)))
        delivery, identities = self._delivery(rec.year, student_years, kept)
        return YearTables(student_years, delivery, identities, unlinked, truth)

    def _table(self, rec: YearRecords, rows: np.ndarray, p: People) -> pa.Table:
        """student_years rows ``rows`` of ``rec`` (``p`` = the people of those rows)."""
        n = rows.size
        school = pa.array(p.school)
        cols: dict[str, pa.Array] = {
            "pseudonym": hex_strings(p.pseud),
            "schuljahr": pa.array(np.full(n, rec.year, dtype=np.int64)),
            "schulnummer": self.school_nr.take(school),
            "schulform": self.school_form.take(school),
            "jahrgangsstufe": pa.array(p.grade.astype(np.int64)),
            "klasse": coded(rec.klasse[rows], self.klasse_labels),
            "geburtsjahr": pa.array(p.by.astype(np.int64)),
            "geburtsmonat": pa.array(p.bm.astype(np.int64)),
            "geschlecht": coded(p.sex, list(SEX_CODES)),
            "foerderschwerpunkt": coded(rec.fsp_visible[rows], FSP_CODES),
            "ndh": pa.array(p.ndh),
            "ganztag": pa.array(rec.ganztag[rows]),
            "wiederholung": coded(p.wdh, WDH_CODES),
            "zugangsart": coded(p.zug, ZUG_CODES),
            "einschulungsart": coded(np.where(p.zug == 1, p.ein, 0), EIN_CODES),
            "abgangsart": coded(rec.abg[rows], ABG_CODES),
            "abschlussart": coded(rec.abs[rows], ABS_CODES),
            "record_key": pa.nulls(n, pa.float64()),
        }
        return pa.table(cols, schema=arrow_schema(STUDENT_YEARS))

    def _unlinked(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Withheld records: the pseudonym is missing or broken; the truth file keeps it."""
        m = table.num_rows
        ids = [f"U{self.unlinked_count + i + 1:08d}" for i in range(m)]
        self.unlinked_count += m
        true = table.column("pseudonym").to_pylist()
        kind = self.rng.integers(0, 3, size=m)
        cut = self.rng.integers(8, 60, size=m)
        broken: list[str | None] = []
        for value, k, c in zip(true, kind, cut, strict=True):
            if k == 0:
                broken.append(None)
            elif k == 1:
                broken.append(value[:c])  # truncated in transmission
            else:
                broken.append(value[:c].upper() + "x" + value[c + 1 :])  # wrong characters
        record_id = pa.array(ids, pa.string())
        unlinked = table.set_column(0, "pseudonym", pa.array(broken, pa.string()))
        unlinked = unlinked.add_column(0, "record_id", record_id)
        truth = pa.table([record_id, pa.array(true, pa.string())], schema=truth_schema())
        return unlinked, truth

    def _delivery(self, year: int, table: pa.Table, p: People) -> tuple[pa.Table, pa.Table]:
        n = table.num_rows
        rng = self.rng
        seq = pc.cast(pa.array(np.arange(1, n + 1)), pa.string())
        lieferung_id = pc.binary_join_element_wise(
            f"L{year}-", pc.utf8_lpad(seq, width=7, padding="0"), ""
        )
        delivery = table.select(list(CONTENT_COLUMNS)).add_column(0, "lieferung_id", lieferung_id)

        # Spelling variants in a small share of rows (see docs/musterland.md).
        variant = np.where(rng.random(n) < VARIANT_SHARE, rng.integers(1, 5, size=n), 0)
        m_pool, w_pool = _names.FIRST_M, _names.FIRST_W
        w_off = len(m_pool.strings)
        first_size = np.where(p.name_female, w_pool.size, m_pool.size)
        first_base = np.where(p.name_female, w_off, 0)
        first_var = np.where(variant == 4, _names.VARIANT_TRANSLIT, 0)
        first_idx = first_base + p.first + first_var * first_size
        first_dict = pa.array(list(m_pool.strings + w_pool.strings), pa.string())
        first = pa.DictionaryArray.from_arrays(pa.array(first_idx.astype(np.int32)), first_dict)
        drop2 = (p.first2 < 0) | (variant == 3)
        second = pa.DictionaryArray.from_arrays(
            pa.array((first_base + np.maximum(p.first2, 0)).astype(np.int32), mask=drop2),
            first_dict,
        )
        sep = coded(p.first2_hyphen.astype(np.int32), [" ", "-"])
        vorname = pc.binary_join_element_wise(
            first.cast(pa.string()), second.cast(pa.string()), sep, null_handling="skip"
        )
        last_var = np.select([variant == 1, variant == 2], [1, 2], 0)
        last_dict = pa.array(list(_names.LAST.strings), pa.string())
        last1 = pa.DictionaryArray.from_arrays(
            pa.array((p.last + last_var * _names.LAST.size).astype(np.int32)), last_dict
        )
        last2 = pa.DictionaryArray.from_arrays(
            pa.array(np.maximum(p.last2, 0).astype(np.int32), mask=p.last2 < 0), last_dict
        )
        nachname = pc.binary_join_element_wise(
            last1.cast(pa.string()), last2.cast(pa.string()), "-", null_handling="skip"
        )
        months = (p.by.astype(np.int64) - 1970) * 12 + p.bm.astype(np.int64) - 1
        days = months.astype("datetime64[M]").astype("datetime64[D]") + (p.bd - 1)
        street = coded(p.street.astype(np.int32), list(_names.STREETS))
        place = coded(p.gem.astype(np.int32), self.address_place)
        house = pc.cast(pa.array(p.house.astype(np.int64)), pa.string())
        street_no = pc.binary_join_element_wise(street, house, " ")
        address = pc.binary_join_element_wise(street_no, place, ", ")
        sid = pc.binary_join_element_wise("S", pc.cast(pa.array(p.sid), pa.string()), "")
        identities = pa.table(
            [
                lieferung_id,
                sid,
                vorname,
                nachname,
                # Days since 1970 viewed as date32 (pa.array on datetime64 would import pandas).
                pa.array(days.astype(np.int32)).view(pa.date32()),
                coded(p.sex, list(SEX_CODES)),
                address,
            ],
            schema=arrow_schema(IDENTITIES),
        )
        return delivery, identities
