"""The JSON API of ENI import: bring in an ENI expedient (one XML, or a zip of the remission) from
another system, as the *Import ENI* page does, for the same roles."""

from __future__ import annotations

from typing import Any

from flask import g, request

from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.eni.access import require_eni_role
from engine.eni.importer import import_expedient
from webapp.api.answers import ok
from webapp.api.auth import api_blueprint

bp = api_blueprint("api_eni")


@bp.post("/eni/imports")
def import_eni() -> Any:
    require_eni_role(g.ctx)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(_l("Choose a file to upload."), field="file")
    result = import_expedient(g.ctx, upload.read(), upload.filename)
    expedient = result.expedient
    assert expedient is not None  # None only after a dry run
    return ok({"expedient": {**expedient.summary(), "opened_at": expedient.opened_at}, "documents": result.documents,
               "index_signature_intact": result.index_signature_intact,
               "index_signature_finding": result.index_signature_finding}, 201)  # fmt: skip
