"""Draft versions: uploaded to be previewed and test-run, published when the designer is sure.

A draft (``ProcessVersion.status == "draft"``) is stored and validated like any version, but no
instance starts on it, the catalogue's current version and the e-office ignore it
(:func:`engine.process.definition.catalogue.latest_version` returns the latest *published*
version). :func:`publish_version` makes it the current version.
"""

from __future__ import annotations

from sqlalchemy import select

from engine import audit
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound
from engine.base.i18n import _l
from engine.process.definition.catalogue import audit_context_for, latest_version, require_designer
from engine.process.models import DRAFT, PUBLISHED, ProcessModel, ProcessVersion


def find_version(tenant_id: int | None, key: str, number: int) -> ProcessVersion:
    """Version ``number`` of the model ``key`` of the tenant (``None``: the shared model), or NotFound."""
    owner = ProcessModel.tenant_id.is_(None) if tenant_id is None else ProcessModel.tenant_id == tenant_id
    version = db.session.execute(
        select(ProcessVersion).join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .where(owner, ProcessModel.key == key, ProcessVersion.number == number)
    ).scalar_one_or_none()  # fmt: skip
    if version is None:
        raise NotFound(_l("There is no version %(number)s of the process %(key)s.", number=number, key=key))
    return version


def publish_version(ctx: Context | None, version: ProcessVersion) -> ProcessVersion:
    """Make a draft the model's current version (``ctx=None``: the operator at the command line).

    Publishing an already published version changes nothing; a draft older than the current
    version is refused (it would never become current)."""
    model = version.model
    if ctx is not None:
        require_designer(ctx, model)
        if model.tenant_id not in (None, ctx.tenant_id):
            raise NotFound(_l("Not found."))
    if version.status == PUBLISHED:
        return version
    current = latest_version(model)
    if current is not None and current.number > version.number:
        raise Conflict(_l("Version %(number)s cannot be published: version %(current)s, which is newer, is "
                          "already the current one. Upload the draft again to make it a new version.",
                          number=version.number, current=current.number))  # fmt: skip
    version.status = PUBLISHED
    db.session.flush()
    audit_ctx = audit_context_for(ctx, model.tenant_id, "gee process publish")
    if audit_ctx is not None:
        audit.record(audit_ctx, "process.publish_version", "process_version", version.id,
                     before={"status": DRAFT}, after={"status": PUBLISHED, "key": model.key,
                                                      "number": version.number})  # fmt: skip
    return version


__all__ = ["find_version", "publish_version"]
