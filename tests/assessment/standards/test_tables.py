"""CSV input: item tables, German error messages with file/row/column, semicolon files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from bimo.assessment.standards.inputs import covariate_matrix, read_background, read_pvs
from bimo.assessment.standards.tables import read_csv, read_items
from bimo.core.errors import InputFileError

HEADER = "item,model,a,d1,d2,d3\n"


def _file(tmp_path: Path, text: str, name: str = "items.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_mixed_item_table(tmp_path: Path) -> None:
    items = read_items(
        _file(tmp_path, HEADER + "i1,2pl,1.2,0.3,,\ng1,grm,0.9,1.5,0.2,-1.1\np1,PCM,1,0.5,0.1,\n")
    )
    assert [(it.item, it.model, len(it.d)) for it in items] == [
        ("i1", "2pl", 1),
        ("g1", "grm", 3),
        ("p1", "pcm", 2),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("i1,3pl,1,0,,\n", "Zeile 1, Spalte model: unbekanntes Modell „3pl“"),
        ("i1,2pl,-1,0,,\n", "Zeile 1, Spalte a: die Trennschärfe a muss positiv sein"),
        ("i1,2pl,1,0,,\ni1,2pl,1,0,,\n", "Zeile 2, Spalte item: Item „i1“ kommt doppelt vor"),
        ("g1,grm,1,0.1,0.5,\n", "GRM-Intercepts d1 > d2 > … müssen streng fallen"),
        ("i1,2pl,1,abc,,\n", "Zeile 1, Spalte d1: „abc“ ist keine Zahl"),
        ("i1,2pl,1\n", "Zeile 1: 3 Felder statt 6"),
    ],
)
def test_item_table_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputFileError, match=re.escape(message)) as info:
        read_items(_file(tmp_path, HEADER + body))
    assert str(info.value).startswith("Datei items.csv")


def test_missing_column_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="Spalte model: die Spalte fehlt"):
        read_items(_file(tmp_path, "item,a,d1\ni1,1,0\n"))
    with pytest.raises(InputFileError, match="keine Datenzeilen"):
        read_items(_file(tmp_path, HEADER))
    with pytest.raises(InputFileError, match="existiert nicht"):
        read_csv(tmp_path / "gibtsnicht.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"id,pv1\n\x00\x01")
    with pytest.raises(InputFileError, match="keine Textdatei"):
        read_csv(binary)


def test_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    pvs = read_pvs(_file(tmp_path, "id;pv2;pv1;pv10\na;0,5;-1,25;2\nb;1;2;3\n", "pv.csv"))
    # PV columns are ordered numerically: pv1, pv2, pv10.
    np.testing.assert_allclose(pvs.values, [[-1.25, 0.5, 2.0], [2.0, 1.0, 3.0]])


def test_background_alignment_and_dummies(tmp_path: Path) -> None:
    bg_path = _file(tmp_path, "id,ses,foerder\nb,1.5,LE\na,-0.5,keiner\nc,0,SE\n", "bg.csv")
    bg = read_background(bg_path, ["a", "b"], "pv.csv")
    matrix, names = covariate_matrix(bg, ["ses", "foerder"])
    # Only categories present among the analysed persons (SE belongs to "c" only); the first
    # category in sort order (LE) is the reference.
    assert names == ["ses", "foerder=keiner"]
    np.testing.assert_allclose(matrix, [[-0.5, 1], [1.5, 0]])
    with pytest.raises(InputFileError, match=re.escape("Datei pv.csv, Zeile 3, Spalte id")):
        read_background(bg_path, ["a", "b", "z"], "pv.csv")


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="Zeile 2, Spalte id: die ID kommt mehrfach vor"):
        read_pvs(_file(tmp_path, "id,pv1\na,1\na,2\n", "pv.csv"))
