"""DCAT-AP.de 2.0 metadata (RDF): a catalogue, one dataset per indicator, CSV and Parquet.

The properties follow the DCAT-AP.de 2.0 specification and its Konventionen (what GovData's
harvester checks): title, description, publisher, contact point with e-mail or URL (K01),
``dcatde:contributorID`` (K12), EU data theme EDUC, licence from the DCAT-AP.de licence list on
every distribution (K31), file type from the EU vocabulary (K32), ``dct:spatial`` mirrored by
``dcatde:politicalGeocodingURI`` (K08/K11) and its level (K09), temporal coverage, dates.
:func:`check_required` tests these without a SHACL engine; ``dcat_ap_de_pflicht.ttl`` states the
same rules as SHACL shapes (used with pyshacl in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from bimo.opendata.options import ExportOptions
from bimo.opendata.tables import IndicatorMeta

__all__ = [
    "DCATDE",
    "SHAPES_FILE",
    "Distribution",
    "build_dcat",
    "check_required",
    "geocoding",
]

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
GEO = "http://dcat-ap.de/def/politicalGeocoding/"
IANA = "https://www.iana.org/assignments/media-types/"
SHAPES_FILE = Path(__file__).with_name("dcat_ap_de_pflicht.ttl")

_AREA_KEYWORD = {
    "A": "Rahmenbedingungen",
    "B": "Grundinformationen zur Bildung",
    "C": "Frühkindliche Bildung",
    "D": "Allgemeinbildende Schulen",
    "E": "Berufliche Bildung",
    "F": "Hochschule",
    "G": "Weiterbildung",
    "H": "Non-formale Bildung",
    "I": "Querschnittsthemen",
}


@dataclass(frozen=True)
class Distribution:
    """One file of a dataset."""

    file_name: str
    kind: str  # CSV | PARQUET
    byte_size: int


_MEDIA = {"CSV": "text/csv", "PARQUET": "application/vnd.apache.parquet"}


def geocoding(ags: str) -> tuple[str, str]:
    """(politicalGeocodingURI, politicalGeocodingLevelURI) for an AGS of a Land, Kreis, Gemeinde."""
    if len(ags) == 2:
        return f"{GEO}stateKey/{ags}", f"{GEO}Level/state"
    if len(ags) == 5:
        return f"{GEO}districtKey/{ags}", f"{GEO}Level/administrativeDistrict"
    if len(ags) == 8:
        return f"{GEO}municipalityKey/{ags}", f"{GEO}Level/municipality"
    raise ValueError(f"no political geocoding for AGS {ags!r}")


def _period(g: Graph, first: int, last: int, zeitbezug: str) -> BNode:
    node = BNode()
    g.add((node, RDF.type, DCTERMS.PeriodOfTime))
    if zeitbezug == "schuljahr":  # school years run 1 August – 31 July
        start, end = date(first, 8, 1), date(last + 1, 7, 31)
    else:
        start, end = date(first, 1, 1), date(last, 12, 31)
    g.add((node, DCAT.startDate, Literal(start.isoformat(), datatype=XSD.date)))
    g.add((node, DCAT.endDate, Literal(end.isoformat(), datatype=XSD.date)))
    return node


def build_dcat(
    indicators: Sequence[IndicatorMeta],
    distributions: Mapping[str, Sequence[Distribution]],
    years: Mapping[str, tuple[int, int]],
    lands: Sequence[str],
    options: ExportOptions,
) -> Graph:
    """The DCAT-AP.de graph: catalogue, datasets (one per indicator), distributions."""
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("vcard", VCARD)
    g.bind("dcatde", DCATDE)
    base = options.base
    lic = options.licence_info
    issued = Literal(options.issued.isoformat(), datatype=XSD.date)
    catalog = URIRef(f"{base}/katalog")
    publisher = URIRef(f"{base}/herausgeber")
    contact = URIRef(f"{base}/kontakt")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(options.publisher, lang="de")))
    if options.publisher_url:
        g.add((publisher, FOAF.homepage, URIRef(options.publisher_url)))
    # vcard:Organization is a vcard:Kind, but validators do not load the vCard ontology: the
    # DCAT-AP.de shapes test sh:class vcard:Kind, so both types are stated.
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(options.publisher, lang="de")))
    if options.contact_email:
        g.add((contact, VCARD.hasEmail, URIRef("mailto:" + options.contact_email)))
    else:
        g.add((contact, VCARD.hasURL, URIRef(options.contact)))

    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add(
        (catalog, DCTERMS.title, Literal(f"Bildungsindikatoren – {options.publisher}", lang="de"))
    )
    g.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                "Offene Daten des kommunalen Bildungsmonitorings: Indikatoren nach Gebiet und "
                "Jahr, geheimhaltungsgeprüft.",
                lang="de",
            ),
        )
    )
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, FOAF.homepage, URIRef(options.publisher_url or base)))
    g.add((catalog, DCTERMS.language, URIRef(EU + "language/DEU")))
    g.add((catalog, DCTERMS.license, URIRef(lic.uri)))
    g.add((catalog, DCTERMS.issued, issued))
    g.add((catalog, DCTERMS.modified, issued))
    g.add((catalog, DCAT.themeTaxonomy, URIRef(EU + "data-theme")))

    geo = [geocoding(a) for a in lands]
    for ind in indicators:
        ds = URIRef(f"{base}/datensatz/{ind.id.lower()}")
        g.add((catalog, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(str(ds))))
        g.add((ds, DCTERMS.title, Literal(f"{ind.titel} ({ind.id})", lang="de")))
        text = f"{ind.beschreibung.strip()} Quelle: {ind.quelle}. Stichtag: {ind.stichtag}."
        g.add((ds, DCTERMS.description, Literal(text, lang="de")))
        for word in ("Bildung", "Bildungsmonitoring", _AREA_KEYWORD.get(ind.bereich, "")):
            if word:
                g.add((ds, DCAT.keyword, Literal(word, lang="de")))
        g.add((ds, DCAT.theme, URIRef(EU + "data-theme/EDUC")))
        g.add((ds, DCTERMS.publisher, publisher))
        g.add((ds, DCAT.contactPoint, contact))
        g.add((ds, DCATDE.contributorID, URIRef(options.contributor_id)))
        g.add((ds, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC")))
        g.add((ds, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/ANNUAL")))
        g.add((ds, DCTERMS.language, URIRef(EU + "language/DEU")))
        g.add((ds, DCTERMS.issued, issued))
        g.add((ds, DCTERMS.modified, issued))
        g.add((ds, DCAT.landingPage, URIRef(f"{base}/#{ind.id}")))
        for uri, level in geo:
            g.add((ds, DCTERMS.spatial, URIRef(uri)))
            g.add((ds, DCATDE.politicalGeocodingURI, URIRef(uri)))
            g.add((ds, DCATDE.politicalGeocodingLevelURI, URIRef(level)))
        if ind.id in years:
            first, last = years[ind.id]
            g.add((ds, DCTERMS.temporal, _period(g, first, last, ind.zeitbezug)))
        for dist in distributions.get(ind.id, ()):
            node = URIRef(f"{ds}/{dist.kind.lower()}")
            url = URIRef(f"{base}/{dist.file_name}")
            g.add((ds, DCAT.distribution, node))
            g.add((node, RDF.type, DCAT.Distribution))
            g.add((node, DCTERMS.title, Literal(f"{ind.titel} ({dist.kind})", lang="de")))
            g.add((node, DCAT.accessURL, url))
            g.add((node, DCAT.downloadURL, url))
            g.add((node, DCTERMS.format, URIRef(EU + "file-type/" + dist.kind)))
            g.add((node, DCAT.mediaType, URIRef(IANA + _MEDIA[dist.kind])))
            g.add((node, DCTERMS.license, URIRef(lic.uri)))
            if lic.attribution:
                attribution = f"{options.publisher}, {ind.titel}, {options.issued.year}"
                g.add((node, DCATDE.licenseAttributionByText, Literal(attribution, lang="de")))
            g.add((node, DCAT.byteSize, Literal(dist.byte_size, datatype=XSD.decimal)))
            g.add((node, DCTERMS.issued, issued))
            g.add((node, DCTERMS.modified, issued))
    return g


# --- required properties (without SHACL) ---------------------------------------------------

_CATALOG_REQUIRED = (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.dataset)
_DATASET_REQUIRED = (
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.publisher,
    DCAT.contactPoint,
    DCATDE.contributorID,
    DCAT.theme,
    DCAT.distribution,
)
_DIST_REQUIRED = (DCAT.accessURL, DCTERMS.license, DCTERMS.format)
_IRI_IN = {
    DCATDE.contributorID: "http://dcat-ap.de/def/contributors/",
    DCAT.theme: EU + "data-theme/",
    DCTERMS.license: "http://dcat-ap.de/def/licenses/",
    DCTERMS.format: EU + "file-type/",
    DCATDE.politicalGeocodingURI: GEO,
    DCATDE.politicalGeocodingLevelURI: GEO + "Level/",
    DCTERMS.accessRights: EU + "access-right/",
}


def _short(g: Graph, term: URIRef) -> str:
    return g.namespace_manager.normalizeUri(term)


def check_required(g: Graph) -> list[str]:
    """German descriptions of every violated mandatory rule (empty list: all present)."""
    problems: list[str] = []

    def need(subject: URIRef | BNode, kind: str, props: Sequence[URIRef]) -> None:
        for prop in props:
            if (subject, prop, None) not in g:
                problems.append(f"{kind} {subject}: Pflichteigenschaft {_short(g, prop)} fehlt.")

    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    if not catalogs:
        problems.append("Kein dcat:Catalog vorhanden.")
    for c in catalogs:
        assert isinstance(c, URIRef | BNode)
        need(c, "dcat:Catalog", _CATALOG_REQUIRED)
    for ds in g.subjects(RDF.type, DCAT.Dataset):
        assert isinstance(ds, URIRef | BNode)
        need(ds, "dcat:Dataset", _DATASET_REQUIRED)
        if len(set(g.objects(ds, DCTERMS.publisher))) > 1:
            problems.append(f"dcat:Dataset {ds}: höchstens ein dct:publisher erlaubt.")
        for cp in g.objects(ds, DCAT.contactPoint):
            if (cp, VCARD.hasEmail, None) not in g and (cp, VCARD.hasURL, None) not in g:
                problems.append(
                    f"dcat:Dataset {ds}: Kontakt braucht vcard:hasEmail oder vcard:hasURL."
                )
        for pub in g.objects(ds, DCTERMS.publisher):
            if (pub, FOAF.name, None) not in g:
                problems.append(f"dcat:Dataset {ds}: Herausgeber ohne foaf:name.")
        if (ds, DCTERMS.spatial, None) in g and (ds, DCATDE.politicalGeocodingURI, None) not in g:
            problems.append(f"dcat:Dataset {ds}: dct:spatial ohne dcatde:politicalGeocodingURI.")
    for dist in g.subjects(RDF.type, DCAT.Distribution):
        assert isinstance(dist, URIRef | BNode)
        need(dist, "dcat:Distribution", _DIST_REQUIRED)
    for prop, prefix in _IRI_IN.items():
        for s, o in g.subject_objects(prop):
            if not isinstance(o, URIRef) or not str(o).startswith(prefix):
                problems.append(
                    f"{s}: {_short(g, prop)} muss eine IRI aus {prefix} sein, nicht {o}."
                )
    return problems
