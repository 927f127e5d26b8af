"""Settings of an Open Data export: licence, publisher, contact, URLs, date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bimo.core.errors import BimoError

__all__ = ["LICENCES", "ExportOptions", "Licence", "OpenDataError"]


class OpenDataError(BimoError):
    """The Open Data export cannot be produced as requested."""


@dataclass(frozen=True)
class Licence:
    """A licence as the three vocabularies want it: DCAT-AP.de URI, SPDX id, legal text URL."""

    key: str
    uri: str  # http://dcat-ap.de/def/licenses/… (DCAT-AP.de Konvention 31)
    spdx: str  # Frictionless/Data Package licence name
    title: str
    url: str
    attribution: bool  # the licence requires naming the source (dcatde:licenseAttributionByText)


LICENCES: dict[str, Licence] = {
    lic.key: lic
    for lic in (
        Licence(
            "dl-de/by-2-0",
            "http://dcat-ap.de/def/licenses/dl-by-de/2.0",
            "DL-DE-BY-2.0",
            "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "https://www.govdata.de/dl-de/by-2-0",
            True,
        ),
        Licence(
            "dl-de/zero-2-0",
            "http://dcat-ap.de/def/licenses/dl-zero-de/2.0",
            "DL-DE-ZERO-2.0",
            "Datenlizenz Deutschland – Zero – Version 2.0",
            "https://www.govdata.de/dl-de/zero-2-0",
            False,
        ),
        Licence(
            "cc-by/4.0",
            "http://dcat-ap.de/def/licenses/cc-by/4.0",
            "CC-BY-4.0",
            "Creative Commons Namensnennung – 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/",
            True,
        ),
        Licence(
            "cc-zero",
            "http://dcat-ap.de/def/licenses/cc-zero",
            "CC0-1.0",
            "Creative Commons Zero 1.0 Universell",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            False,
        ),
    )
}

_CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s]+")


@dataclass(frozen=True)
class ExportOptions:
    """What the export needs besides the data. Defaults are for a local trial run.

    ``contributor_id`` must be the ``dcatde:contributorID`` GovData assigned to the publisher
    (DCAT-AP.de Konvention 12); the default only has the right form. ``base_url`` is where the
    files will be published (download URLs are ``base_url/<Datei>``).
    """

    licence: str = "dl-de/by-2-0"
    publisher: str = "BiMo Bildungsmonitoring"
    publisher_url: str | None = None
    contact_email: str | None = None
    contact_url: str | None = None
    base_url: str = "https://daten.example.org/bildungsmonitoring"
    contributor_id: str = _CONTRIBUTORS + "bimo"
    stand: date | None = None  # dct:issued/modified; default: today

    def checked(self) -> ExportOptions:
        """Validate; raises :class:`OpenDataError` with a German message."""
        if self.licence not in LICENCES:
            raise OpenDataError(
                f"Unbekannte Lizenz „{self.licence}“ (erlaubt: {', '.join(LICENCES)})."
            )
        if not self.publisher.strip():
            raise OpenDataError("Die veröffentlichende Stelle (--publisher) darf nicht leer sein.")
        for name, url in (
            ("--base-url", self.base_url),
            ("--publisher-url", self.publisher_url),
            ("--contact-url", self.contact_url),
        ):
            if url is not None and not _URL.fullmatch(url):
                raise OpenDataError(f"{name} „{url}“ ist keine http(s)-Adresse.")
        if self.contact_email is not None and not _EMAIL.fullmatch(self.contact_email):
            raise OpenDataError(f"--contact-email „{self.contact_email}“ ist keine E-Mail-Adresse.")
        if not self.contributor_id.startswith(_CONTRIBUTORS) or len(self.contributor_id) <= len(
            _CONTRIBUTORS
        ):
            raise OpenDataError(
                f"--contributor-id muss mit {_CONTRIBUTORS} beginnen (DCAT-AP.de Konvention 12)."
            )
        return self

    @property
    def licence_info(self) -> Licence:
        return LICENCES[self.licence]

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def issued(self) -> date:
        return self.stand or date.today()

    @property
    def contact(self) -> str:
        """Where to ask: the e-mail address or, failing that, a contact page (Konvention 1)."""
        if self.contact_email:
            return "mailto:" + self.contact_email
        return self.contact_url or self.publisher_url or self.base
