"""docs/indicators.md: the generated catalogue overview is current; the format is documented."""

from __future__ import annotations

from pathlib import Path

from bimo.indicators import load_catalog
from bimo.indicators.catalog import Indicator
from bimo.indicators.docs import DOC_PATH, REGENERATE, catalogue_markdown, current_section, rewrite
from tests.indicators.builder import WDH, indicator_yaml, write


def test_generated_overview_is_current() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    expected = catalogue_markdown(load_catalog())
    assert current_section(text) == expected, (
        f"Der Katalogüberblick in {DOC_PATH.name} ist veraltet. Neu erzeugen mit: {REGENERATE}"
    )


def test_every_catalogue_key_is_documented() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    for key in Indicator.model_fields:
        assert f"`{key}`" in text, key
    for key in ("quelle", "filter", "summe", "faktor", "funktion", "parameter", "additiv"):
        assert f"`{key}`" in text, key
    for op in ("in", "nicht_in", "zwischen", "gleich", "leer"):
        assert f"`{op}`" in text, op


def test_rewrite_replaces_only_the_section(tmp_path: Path) -> None:
    write(tmp_path / "k", "D90", indicator_yaml("D90", WDH))
    doc = tmp_path / "doc.md"
    doc.write_text("vorher\n<!-- katalog:start -->\nalt\n<!-- katalog:end -->\nnachher\n")
    from bimo.indicators import load_catalog as load

    catalog = load(tmp_path / "k")
    assert rewrite(doc, catalog)
    text = doc.read_text()
    assert text.startswith("vorher\n") and text.endswith("nachher\n")
    assert "| D90 | Test D90 |" in text and "alt" not in text
    assert not rewrite(doc, catalog)
