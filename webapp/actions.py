"""A form post that runs one service. A refusal keeps nothing the service wrote: with a page to show it
comes back as typed, the reason beside the field it names (422, 409); without, the reason is flashed."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from flask import flash, redirect

from engine.base import unit_of_work
from engine.base.errors import Conflict, GeeError, ValidationFailed
from engine.process.forms.errors import FieldError

#: What a service refuses a form with: shown to the person who sent it, never a trace.
REFUSALS = (ValidationFailed, Conflict)


def field_errors(error: GeeError | None, fields: Mapping[str, str] | Collection[str] = (),
                 general: str = "form") -> dict[str, str]:
    """``error`` as the ``errors`` of webapp/templates/_field_errors.html: its message under the DOM id of the
    field it names when the form shows that field (``fields``: the form's field names, or a map from a field
    name to its DOM id), else under ``general``, the form's own alert; and beside each other field of the form
    its ``details`` name (a person on paper missing address, postal code and municipality gets all three)."""
    if error is None:
        return {}
    ids = fields if isinstance(fields, Mapping) else {name: name for name in fields}
    errors = {ids.get(error.field or "", general): str(error)}
    for detail in error.details:
        if isinstance(detail, FieldError) and detail.field in ids:
            errors.setdefault(ids[detail.field], detail.message)
    return errors


def act(work: Callable[[], Any], done: str, back: str, page: Callable[[GeeError], Any] | None = None) -> Any:
    """Run ``work``; show ``done`` and go ``back``. A refusal is thrown away, then answered with ``page(refusal)``
    (the form again, as typed) and the refusal's status, or without a page flashed on the way ``back``."""
    try:
        work()
    except REFUSALS as exc:
        unit_of_work.discard()
        if page is not None:
            return page(exc), exc.status
        flash(str(exc), "danger")
        return redirect(back)
    flash(done, "success")
    return redirect(back)
