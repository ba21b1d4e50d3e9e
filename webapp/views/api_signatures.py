"""The JSON API of the signature queue: the items waiting for my signature, sign one with my key
password, or return it with a reason; the same engine services and roles as the signatures page."""

from __future__ import annotations

from typing import Any

from flask import g

from engine.expedients.expedients import require_role
from engine.process.definition.validation import SIGNER_ROLES
from engine.signatures.circuits import my_step, pending_for, return_for_changes, sign
from engine.signatures.models import SignatureStep
from webapp.api.answers import json_body, ok
from webapp.api.auth import api_blueprint

bp = api_blueprint("api_signatures")


def _item(step: SignatureStep) -> dict[str, Any]:
    return {"step_id": step.id, "position": step.position, "role": step.role, "request": step.request.summary()}


@bp.get("/signatures")
def my_queue() -> Any:
    require_role(g.ctx, SIGNER_ROLES)
    return ok([_item(step) for step in pending_for(g.ctx)])


@bp.post("/signatures/<int:step_id>/sign")
def sign_step(step_id: int) -> Any:
    require_role(g.ctx, SIGNER_ROLES)
    password = str(json_body().get("password") or "")
    return ok(sign(g.ctx, my_step(g.ctx, step_id).id, password).summary())


@bp.post("/signatures/<int:step_id>/return")
def return_step(step_id: int) -> Any:
    require_role(g.ctx, SIGNER_ROLES)
    reason = str(json_body().get("reason") or "")
    return ok(return_for_changes(g.ctx, my_step(g.ctx, step_id).id, reason).summary())
