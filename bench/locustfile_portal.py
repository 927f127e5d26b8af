"""Locust users for the portal benchmark (``bench/bench_portal.py``): anonymous visitors.

Weights follow a public portal's likely mix: the start page, an indicator page (chart + table)
and the values API used by the charts and by external clients.
"""

from __future__ import annotations

import os

from locust import HttpUser, between, task

INDICATOR = os.environ.get("BIMO_BENCH_INDICATOR", "D01")


class Visitor(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(2)
    def start_page(self) -> None:
        self.client.get("/", name="start /")

    @task(3)
    def indicator_page(self) -> None:
        self.client.get(f"/indikatoren/{INDICATOR}", name="indikator /indikatoren/{id}")

    @task(3)
    def values_api(self) -> None:
        self.client.get(
            f"/api/v1/indikatoren/{INDICATOR}/werte",
            params={"ebene": "KREIS"},
            name="api /api/v1/indikatoren/{id}/werte",
        )
