"""A municipality's logo: kept in the document store, shown in the staff pages and the e-office."""

from __future__ import annotations

from sqlalchemy import select

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.documents.documents import read_content, store_document
from engine.documents.store import sniff_content_type
from engine.tenancy.admin import require_tenant_admin
from engine.tenancy.models import Tenant

LOGO_TYPES = ("image/png", "image/jpeg")
MAX_LOGO_BYTES = 512 * 1024


def set_logo(ctx: Context, filename: str, content: bytes) -> Tenant:
    """Store a PNG or JPEG (at most 512 KB) as the tenant's logo. The caller commits."""
    require_tenant_admin(ctx)
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationFailed(_l("The logo must be at most 512 KB."), field="logo")
    if sniff_content_type(content) not in LOGO_TYPES:
        raise ValidationFailed(_l("The logo must be a PNG or JPEG image."), field="logo")
    doc = store_document(ctx, None, filename or "logo", content, title=str(_l("Logo")), tipo_documental="TD99",
                         from_administration=True)  # fmt: skip
    tenant = db.session.get(Tenant, ctx.tenant_id)
    assert tenant is not None
    before = tenant.logo_document_id
    tenant.logo_document_id = doc.id
    record(ctx, "tenant.logo", "tenant", tenant.id, before={"logo_document_id": before},
           after={"logo_document_id": doc.id})  # fmt: skip
    return tenant


def logo_of(tenant_code: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of a tenant's logo, or None. Public: a logo is no secret."""
    tenant = db.session.execute(select(Tenant).where(Tenant.code == tenant_code)).scalar_one_or_none()
    if tenant is None or tenant.logo_document_id is None:
        return None
    doc, content = read_content(Context.system(tenant.id, "logo"), tenant.logo_document_id)
    return doc.content_type, content
