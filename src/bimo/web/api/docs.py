"""The API reference ``/api/docs``: rendered on the server from the OpenAPI description.

FastAPI's interactive docs load Swagger UI from a CDN with an inline script (forbidden by the
CSP), and Swagger UI itself fails WCAG 2.1 AA (nested interactive controls, low-contrast method
badges; axe-checked). So the reference is plain, accessible HTML generated from the same
OpenAPI document that ``/api/openapi.json`` serves; tools that want interactivity load that JSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bimo.web.rendering import render

router = APIRouter()

_METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any]) -> str:
    """A short human-readable type of a parameter or body schema."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " oder ".join(_schema_name(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        return f"Liste von {_schema_name(schema.get('items', {}))}"
    kind = str(schema.get("type", "beliebig"))
    if "enum" in schema:
        kind += " (" + ", ".join(str(v) for v in schema["enum"]) + ")"
    return kind


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON API operations of an OpenAPI document, as data for the template.

    The HTML pages are in the OpenAPI document too (schemathesis checks them for 5xx as
    well), but the reference lists only the machine-readable API under ``/api/``.
    """
    result: list[dict[str, Any]] = []
    for path, item in spec.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                {
                    "name": p["name"],
                    "in": {"path": "Pfad", "query": "Abfrage", "header": "Kopf"}.get(
                        p["in"], p["in"]
                    ),
                    "required": bool(p.get("required")),
                    "type": _schema_name(p.get("schema", {})),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            result.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["Allgemein"])[0],
                    "params": params,
                    "body": _schema_name(body["schema"]) if body else None,
                    "responses": sorted(op.get("responses", {}).items()),
                    "writes": method != "get",
                }
            )
    return sorted(result, key=lambda o: (o["tag"], o["path"], o["method"]))


@router.get("/api/docs", name="api_docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> Response:
    openapi_url = request.app.openapi_url or "/api/openapi.json"
    ops = operations(request.app.openapi())
    tags = sorted({o["tag"] for o in ops})
    return render(
        request,
        "api/docs.html",
        {
            "title": "Programmierschnittstelle (API)",
            "active": "api",
            "openapi_url": openapi_url,
            "tags": tags,
            "operations": ops,
        },
    )
