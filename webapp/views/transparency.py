"""The transparency portal: the public page of each municipality at /transparencia/<tenant_code>/
(no login) with each section as CSV and JSON, and the staff page where the secretary or an
administrator publishes and withdraws documents and links (services in engine/transparency). Each
section's JSON is described by a JSON Schema at <section>.schema.json."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale

from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.formats import format_amount
from engine.base.i18n import _, _l
from engine.documents.documents import read_content
from engine.tenancy.models import Tenant
from engine.transparency import portal, publications
from engine.transparency.schemas import section_schema
from engine.transparency.sections import ALL, BY_KEY, UPLOADED
from webapp.actions import act, field_errors
from webapp.auth import roles_required
from webapp.navigation import NavItem
from webapp.seu.frame import municipality_pages

bp = Blueprint("transparency", __name__)
municipality_pages(bp)  # the public portal is in its municipality's e-office frame

KEEPERS = publications.KEEPERS
NAV = [NavItem("transparency.index", _l("Transparency portal"), roles=KEEPERS, order=47, menu="tools")]


def _rows(tenant: Tenant, key: str) -> tuple[tuple[str, ...], list[portal.Row]]:
    if key not in BY_KEY:
        abort(404)
    return portal.section_rows(
        tenant, key, today=local_date(utcnow()), locale=str(get_locale() or "ca"),
        procedure_link=lambda k: url_for("seu.procedure", tenant_code=tenant.code, key=k, _external=True),
        document_link=lambda p: p.url or url_for("transparency.public_document", tenant_code=tenant.code,
                                                  publication_id=p.id, _external=True))


# -- public ---------------------------------------------------------------------------------


def _money(value: object) -> str:
    """An amount in euros as the page's language writes it ("2.500,00 €"); anything else as it is."""
    try:
        return format_amount(value, str(get_locale() or "ca"))
    except ValueError:
        return str(value)


@bp.get("/transparencia/<tenant_code>/")
def public(tenant_code: str) -> Any:
    tenant = g.seu_tenant
    return render_template("transparency/public.html", tenant=tenant, money=_money,
                           sections=[(s, *_rows(tenant, s.key)) for s in ALL])


@bp.get("/transparencia/<tenant_code>/<section>.csv")
def section_csv(tenant_code: str, section: str) -> Any:
    tenant = g.seu_tenant
    columns, rows = _rows(tenant, section)
    response = Response(portal.to_csv(columns, rows), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=f"{tenant.code}-{section}.csv")
    return response


@bp.get("/transparencia/<tenant_code>/<section>.json")
def section_json(tenant_code: str, section: str) -> Any:
    tenant = g.seu_tenant
    columns, rows = _rows(tenant, section)
    return jsonify({"tenant": tenant.name, "section": section, "title": str(BY_KEY[section].title),
                    "law": BY_KEY[section].law, "columns": list(columns), "rows": rows})


@bp.get("/transparencia/<tenant_code>/<section>.schema.json")
def section_schema_json(tenant_code: str, section: str) -> Any:
    tenant = g.seu_tenant
    if section not in BY_KEY:
        abort(404)
    schema_id = url_for("transparency.section_schema_json", tenant_code=tenant.code, section=section, _external=True)
    response = jsonify(section_schema(section, schema_id))
    response.mimetype = "application/schema+json"
    return response


@bp.get("/transparencia/<tenant_code>/documents/<int:publication_id>")
def public_document(tenant_code: str, publication_id: int) -> Any:
    tenant = g.seu_tenant
    found = publications.public_publication(tenant.id, publication_id, local_date(utcnow()))
    if found is None:
        abort(404)
    if found.document_id is None:
        return redirect(found.url or "/")
    doc, content = read_content(Context.system(tenant.id, "transparency"), found.document_id)
    response = Response(content, mimetype=doc.content_type)
    response.headers.set("Content-Disposition", "inline", filename=doc.file_name)
    return response


# -- staff ----------------------------------------------------------------------------------


@bp.get("/transparency")
@roles_required(*KEEPERS)
def index() -> Any:
    return _index_page()


def _index_page(errors: dict[str, str] | None = None) -> str:
    """The staff page; after a refused publication or withdrawal, what was typed with the reason beside it."""
    return render_template("transparency/index.html", entries=publications.all_publications(g.ctx),
                           sections=UPLOADED, by_key=BY_KEY, today=local_date(utcnow()),
                           tenant=db.session.get(Tenant, g.ctx.tenant_id), errors=errors or {}, form=request.form)


#: The fields of the publish form (their DOM ids are their names).
_PUBLISH_FIELDS = ("section", "title", "file", "url", "published_on")


def _published_on() -> date | None:
    raw = request.form.get("published_on", "")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationFailed(_l("Give a date like 2026-03-02."), field="published_on") from None


@bp.post("/transparency")
@roles_required(*KEEPERS)
def publish() -> Any:
    upload = request.files.get("file")
    return act(lambda: publications.publish(
        g.ctx, section=request.form.get("section", ""), title=request.form.get("title", ""),
        published_on=_published_on(), url=request.form.get("url"), filename=upload.filename if upload else None,
        content=upload.read() if upload and upload.filename else None),
        _("Published on the transparency portal."), url_for("transparency.index"),
        page=lambda err: _index_page(field_errors(err, _PUBLISH_FIELDS, "publish")))


@bp.post("/transparency/<int:publication_id>/withdraw")
@roles_required(*KEEPERS)
def withdraw(publication_id: int) -> Any:
    reason = f"reason-{publication_id}"
    return act(lambda: publications.withdraw(g.ctx, publication_id, request.form.get("reason", "")),
               _("Withdrawn from the transparency portal."), url_for("transparency.index"),
               page=lambda err: _index_page(field_errors(err, {"reason": reason}, "withdraw")))
