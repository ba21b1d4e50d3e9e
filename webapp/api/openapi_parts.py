"""Building blocks of the OpenAPI document (:mod:`webapp.api.openapi` and the modules of its areas)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def id_param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1}}


def operation(summary: str, op_id: str, responses: dict[str, Any], *, tag: str, **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "operationId": op_id, "tags": [tag], "responses": responses, **extra}


def errors(*codes: int) -> dict[str, Any]:
    """The documented error answers ``codes`` (401 always: every operation needs a token)."""
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in (401, *codes)}
