"""Document generation job: a procedure's Jinja2 template -> PDF (WeasyPrint) -> expedient.

Templates come with the process version (``ProcessVersion.templates``, deployed with the BPMN)
and are rendered by :func:`engine.documents.procedure_templates.render_version_template` (sandboxed,
autoescaped) with ``data`` (the task data the caller passes), ``expedient``, ``tenant``,
``locale`` and ``_`` (gettext in the expedient's language, ``ca`` or ``es``). The PDF is stored
with :func:`engine.documents.documents.store_document` (an administration document, TD99 unless told).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.documents.documents import store_document
from engine.documents.procedure_templates import DOCUMENT_LOCALES, render_version_template
from engine.documents.verification_codes import new_csv, verify_url
from engine.expedients.expedients import Expedient
from engine.process.models import ProcessInstance, ProcessVersion
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned


def _version(ctx: Context, expedient: Expedient, template: str, process_version_id: int | None) -> ProcessVersion:
    """The given version, else the one of the expedient's latest procedure instance."""
    if process_version_id is None:
        process_version_id = db.session.execute(
            select(ProcessInstance.process_version_id)
            .where(ProcessInstance.tenant_id == ctx.tenant_id, ProcessInstance.expedient_id == expedient.id)
            .order_by(ProcessInstance.id.desc())
            .limit(1)
        ).scalar()
    version = db.session.get(ProcessVersion, process_version_id) if process_version_id else None
    if version is None:
        raise NotFound(_l("The template %(name)s is not part of this procedure.", name=template))
    return version


def generate_document(
    tenant_id: int,
    expedient_id: int,
    template: str,
    data: dict[str, Any],
    locale: str,
    *,
    title: str | None = None,
    tipo_documental: str = "TD99",
    process_version_id: int | None = None,
) -> int:
    """Job: render ``template`` of the expedient's procedure to PDF and store it; returns the document id."""
    if locale not in DOCUMENT_LOCALES:
        raise ValidationFailed(_l("Documents are written in Catalan or Spanish."), field="locale")
    ctx = Context.system(tenant_id, "document-generation")

    def work() -> int:
        expedient = get_owned(Expedient, ctx, expedient_id)
        version = _version(ctx, expedient, template, process_version_id)
        csv = new_csv()  # drawn first: the template prints it, the stored document carries it
        context = {"data": data, "expedient": expedient, "tenant": db.session.get(Tenant, tenant_id),
                   "csv": csv, "verify_url": verify_url(csv)}  # fmt: skip
        rendered = render_version_template(version, template, locale, context)
        doc = store_document(ctx, expedient.id, rendered.pdf_filename, rendered.pdf(), title=title or rendered.stem,
                             tipo_documental=tipo_documental, from_administration=True, csv=csv)  # fmt: skip
        db.session.flush()
        return int(doc.id)

    return run_in_transaction(work)


__all__ = ["generate_document"]
