"""Form fields that hold documents of the expedient, and the check that they really are its own.

A form asks for one document with ``{"type": "integer", "format": "document"}`` and for several
with an array whose items are that. JSON Schema only sees numbers, so when a task is completed
(web, API or CLI alike) every such id must name a document of the task's own expedient in this
tenant: an id of another expedient or municipality is refused, naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.events import Event, subscribe
from engine.base.i18n import _, _l
from engine.documents.documents import Document
from engine.process.forms.errors import FieldError
from engine.process.forms.filled import filled_fields

DOCUMENT_FORMAT = "document"


def is_document(prop: Mapping[str, Any]) -> bool:
    """The property holds one document id."""
    return prop.get("format") == DOCUMENT_FORMAT


def is_document_list(prop: Mapping[str, Any]) -> bool:
    """The property is an array of document ids."""
    items = prop.get("items")
    return prop.get("type") == "array" and isinstance(items, Mapping) and is_document(items)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _document_ids(schema: Mapping[str, Any], data: Any) -> Iterator[tuple[str, list[int]]]:
    """(field path, ids) of every document field filled in ``data``, rows of arrays included."""
    for path, prop, value in filled_fields(schema, data, lambda prop: is_document(prop) or is_document_list(prop)):
        values = [value] if is_document(prop) else value if isinstance(value, list) else []
        found = [i for i in map(_as_id, values) if i is not None]
        if found:
            yield path, found


def _own_ids(ctx: Context, expedient_id: int | None, ids: set[int]) -> set[int]:
    if expedient_id is None or not ids:
        return set()
    stmt = select(Document.id).where(
        Document.tenant_id == ctx.tenant_id, Document.expedient_id == expedient_id, Document.id.in_(sorted(ids))
    )
    return set(db.session.execute(stmt).scalars())


@subscribe(Event.TASK_SUBMITTED)
def check_document_fields(
    ctx: Context, schema: Mapping[str, Any] | None, data: Mapping[str, Any], expedient_id: int | None
) -> None:
    """Refuse document ids that are not documents of ``expedient_id`` in this tenant.

    Earlier versions of the expedient's documents are accepted (they still belong to it).
    Raises ValidationFailed with one FieldError per field that names a foreign document.
    """
    if not schema:
        return
    fields = list(_document_ids(schema, data))
    own = _own_ids(ctx, expedient_id, {i for _path, ids in fields for i in ids})
    details = []
    for path, ids in fields:
        foreign = [str(i) for i in ids if i not in own]
        if foreign:
            details.append(FieldError(path, _(
                "Choose documents of this expedient: no. %(ids)s is not one of them.", ids=", ".join(foreign)
            )))
    if details:
        raise ValidationFailed(_l("Some fields are not valid."), field=details[0].field, details=details)


__all__ = ["DOCUMENT_FORMAT", "check_document_fields", "is_document", "is_document_list"]
