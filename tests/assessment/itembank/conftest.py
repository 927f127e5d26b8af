"""Builders for QTI content packages from the hand-written item files in ``packages/``."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

PACKAGES = Path(__file__).parent / "packages"
INTERACTIONS = ("choice", "multiple", "textentry", "extended", "inline", "order", "match")
RESOURCE_TYPE = {"qti21": "imsqti_item_xmlv2p1", "qti30": "imsqti_item_xmlv3p0"}


def manifest(resources: list[tuple[str, str]]) -> bytes:
    body = "\n".join(
        f'    <resource identifier="R{i}" type="{rtype}" href="{href}">'
        f'<file href="{href}"/></resource>'
        for i, (rtype, href) in enumerate(resources)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="MANIFEST">\n'
        "  <organizations/>\n  <resources>\n" + body + "\n  </resources>\n</manifest>\n"
    ).encode()


PackageBuilder = Callable[..., Path]


@pytest.fixture
def make_package(tmp_path: Path) -> PackageBuilder:
    def build(
        name: str,
        items: dict[str, bytes],
        rtype: str = "imsqti_item_xmlv2p1",
        manifest_bytes: bytes | None = None,
    ) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as zf:
            if manifest_bytes is not None:
                zf.writestr("imsmanifest.xml", manifest_bytes)
            elif manifest_bytes is None:
                zf.writestr("imsmanifest.xml", manifest([(rtype, h) for h in items]))
            for href, data in items.items():
                zf.writestr(href, data)
        return path

    return build


def fixture_item(version: str, kind: str) -> bytes:
    return (PACKAGES / version / f"{kind}.xml").read_bytes()


@pytest.fixture
def full_package(make_package: PackageBuilder) -> Callable[[str], Path]:
    def build(version: str) -> Path:
        items = {f"items/{k}.xml": fixture_item(version, k) for k in INTERACTIONS}
        return make_package(f"{version}.zip", items, RESOURCE_TYPE[version])

    return build
