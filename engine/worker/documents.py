"""Document generation job: a procedure's Jinja2 template -> PDF (WeasyPrint) -> expedient.

Templates come with the process version (``ProcessVersion.templates``, deployed with the BPMN),
so they are written by process designers: they are rendered in Jinja2's sandbox, autoescaped,
with ``data`` (the task data the caller passes), ``expedient``, ``tenant``, ``locale`` and
``_`` (gettext in the expedient's language, ``ca`` or ``es``). The PDF is made by WeasyPrint
with the same no-network fetcher as :mod:`engine.records.pdf`, and stored with
:func:`engine.records.documents.store_document` (an administration document, TD99 unless told).
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from engine.context import Context
from engine.db import db
from engine.errors import NotFound, ValidationFailed
from engine.i18n import _l
from engine.records import pdf
from engine.records.documents import store_document
from engine.records.expedients import Expedient
from engine.runtime.models import ProcessInstance, ProcessVersion
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned

DOCUMENT_LOCALES = ("ca", "es")
_sandbox = SandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_sandbox.filters["local_time"] = pdf.local_time


def _template_source(ctx: Context, expedient: Expedient, template: str, process_version_id: int | None) -> str:
    if process_version_id is None:
        process_version_id = db.session.execute(
            select(ProcessInstance.process_version_id)
            .where(ProcessInstance.tenant_id == ctx.tenant_id, ProcessInstance.expedient_id == expedient.id)
            .order_by(ProcessInstance.id.desc()).limit(1)
        ).scalar()
    version = db.session.get(ProcessVersion, process_version_id) if process_version_id else None
    source = (version.templates or {}).get(template) if version else None
    if not isinstance(source, str):
        raise NotFound(_l("The template %(name)s is not part of this procedure.", name=template))
    return source


def render_document_pdf(source: str, locale: str, **context: Any) -> bytes:
    from weasyprint import HTML

    with force_locale(locale):
        html = _sandbox.from_string(source).render(locale=locale, _=gettext, **context)
    content: bytes = HTML(string=html, url_fetcher=pdf._no_fetch).write_pdf()
    return content


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
    expedient = get_owned(Expedient, ctx, expedient_id)
    source = _template_source(ctx, expedient, template, process_version_id)
    content = render_document_pdf(source, locale, data=data, expedient=expedient,
                                  tenant=db.session.get(Tenant, tenant_id))
    stem = template.rsplit(".", 1)[0]
    doc = store_document(ctx, expedient.id, f"{stem}.pdf", content, title=title or stem,
                         tipo_documental=tipo_documental, from_administration=True)
    db.session.commit()
    return doc.id


__all__ = ["generate_document", "render_document_pdf"]
