"""Errors the engine raises on purpose; each carries a message a user can read.

Views and CLI turn these into a translated message with the right status code; anything
else that escapes is a bug and is logged, never shown.
"""

from __future__ import annotations

from typing import Any


class GeeError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: Any, *, field: str | None = None, details: list[Any] | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.details = details or []

    def __str__(self) -> str:
        return str(self.message)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": str(self.message)}
        if self.field:
            out["field"] = self.field
        if self.details:
            out["details"] = [d.to_dict() if hasattr(d, "to_dict") else str(d) for d in self.details]
        return out


class NotFound(GeeError):
    status = 404
    code = "not_found"


class Forbidden(GeeError):
    status = 403
    code = "forbidden"


class Conflict(GeeError):
    """Someone else changed the thing first (already completed, stale version...)."""

    status = 409
    code = "conflict"


class ValidationFailed(GeeError):
    status = 422
    code = "validation"
