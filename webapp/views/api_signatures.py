"""The JSON API of the signature queue: the items waiting for my signature, sign one or several with my key
password, or return one with a reason; the same engine services and roles as the signatures page."""

from __future__ import annotations

from typing import Any

from flask import g

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.expedients.expedients import require_role
from engine.process.definition.validation import SIGNER_ROLES
from engine.signatures.circuits import BatchResult, my_step, pending_for, return_for_changes, sign, sign_batch
from engine.signatures.models import SignatureStep
from webapp.api.answers import json_body, ok
from webapp.api.auth import api_blueprint
from webapp.inputs import id_value

bp = api_blueprint("api_signatures")


def _item(step: SignatureStep) -> dict[str, Any]:
    return {"step_id": step.id, "position": step.position, "role": step.role, "request": step.request.summary()}


def _step_ids(body: dict[str, Any]) -> list[int]:
    """``step_ids`` of a batch: a non-empty list of the queue's step ids, or a readable 422."""
    values = body.get("step_ids")
    if not isinstance(values, list):
        raise ValidationFailed(_l("Send the items to sign as a list of step ids."), field="step_ids")
    if not values:
        raise ValidationFailed(_l("Choose at least one item to sign."), field="step_ids")
    return [id_value(value, "step_ids") or 0 for value in values]


def _batch_answer(result: BatchResult) -> dict[str, Any]:
    """What a batch did: the steps signed and already signed, each refusal with its reason, and the number
    each decree signed has (the alcalde's signature gives it), in number order."""
    return {
        "signed": result.signed,
        "already": result.already,
        "failed": [{"step_id": step_id, "message": message} for step_id, message in result.failed],
        "decrees": [{"number": number, "title": title} for number, title in result.decrees],
    }


@bp.get("/signatures")
def my_queue() -> Any:
    require_role(g.ctx, SIGNER_ROLES)
    return ok([_item(step) for step in pending_for(g.ctx)])


@bp.post("/signatures/<int:step_id>/sign")
def sign_step(step_id: int) -> Any:
    require_role(g.ctx, SIGNER_ROLES)
    password = str(json_body().get("password") or "")
    return ok(sign(g.ctx, my_step(g.ctx, step_id).id, password).summary())


@bp.post("/signatures/batch")
def sign_several() -> Any:
    """Sign several of my steps with one password: a wrong password signs nothing (422); otherwise an item
    that cannot be signed is reported in ``failed`` and the others are signed."""
    require_role(g.ctx, SIGNER_ROLES)
    body = json_body()
    return ok(_batch_answer(sign_batch(g.ctx, _step_ids(body), str(body.get("password") or ""))))


@bp.post("/signatures/<int:step_id>/return")
def return_step(step_id: int) -> Any:
    require_role(g.ctx, SIGNER_ROLES)
    reason = str(json_body().get("reason") or "")
    return ok(return_for_changes(g.ctx, my_step(g.ctx, step_id).id, reason).summary())
