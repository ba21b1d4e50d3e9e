"""The notice board (tauler d'anuncis): staff publish edicts from expedients and issue the certificate
of exposure; the public board of each municipality at /tauler/<tenant_code>/ with search, a JSON feed and an
RSS 2.0 feed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale

from engine.base import unit_of_work
from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.errors import ValidationFailed
from engine.base.i18n import _, _l
from engine.documents.documents import read_content
from engine.expedients.expedients import numbers_of, typed_number
from engine.noticeboard import diligence, edicts
from engine.noticeboard.public_information import allegation_counts
from engine.noticeboard.rss import rss_feed
from webapp.actions import REFUSALS, field_errors
from webapp.auth import roles_required
from webapp.inputs import int_arg, is_id, search_text
from webapp.navigation import NavItem
from webapp.seu.frame import municipality_pages

bp = Blueprint("noticeboard", __name__)
municipality_pages(bp)  # the public board is in its municipality's e-office frame

STAFF = edicts.PUBLISHERS
NAV = [NavItem("noticeboard.index", _l("Notice board"), roles=STAFF, order=46, menu="tools")]


def _date(name: str) -> date | None:
    raw = request.form.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_l("Give a date like 2026-03-02."), field=name) from None


@bp.get("/noticeboard")
@roles_required(*STAFF)
def index() -> Any:
    """The board's edicts and the form to publish one (``?number=`` starts it on that expedient)."""
    return _page({"number": request.args.get("number", "")})


#: The fields of the publish form (their DOM ids are their names); a refusal naming none is the form's alert.
_PUBLISH_FIELDS = ("number", "title", "text", "document_ids", "starts_on", "ends_on", "working_days")


def _page(form: Mapping[str, Any], errors: dict[str, str] | None = None) -> str:
    """The page; after a refused publication or withdrawal, with what was typed and the reason beside its field."""
    items = edicts.edicts_of(g.ctx)
    return render_template(
        "noticeboard/index.html", edicts=items, today=local_date(utcnow()), intact=edicts.intact, form=form,
        never_exposed=diligence.never_exposed,
        numbers=numbers_of(g.ctx, [edict.expedient_id for edict in items]), errors=errors or {},
        allegations=allegation_counts(g.ctx, [edict.id for edict in items if edict.public_information]),
        documents=_documents_of(form.get("number", "")), chosen=set(request.form.getlist("document_ids")),
    )  # fmt: skip


def _documents_of(number: str) -> list[Any] | None:
    """The documents an edict of the expedient numbered ``number`` may carry; None for no such expedient."""
    try:
        return edicts.publishable_documents(g.ctx, typed_number(g.ctx, number).id)
    except ValidationFailed:
        return None


@bp.get("/noticeboard/documents")
@roles_required(*STAFF)
def documents() -> Any:
    """htmx: the documents to choose from once the expedient's number is typed."""
    number = request.args.get("number", "")
    return render_template("noticeboard/_documents.html", documents=_documents_of(number), chosen=set(),
                           number=" ".join(number.split()))


@bp.post("/noticeboard")
@roles_required(*STAFF)
def publish() -> Any:
    form = request.form
    try:
        expedient = typed_number(g.ctx, form.get("number", ""))
        starts_on = _date("starts_on") or local_date(utcnow())
        days = int_arg(form.get("working_days") or None, field="working_days", low=1, high=365)
        doc_ids = [int(v) for v in form.getlist("document_ids") if is_id(v)]
        edicts.publish(g.ctx, expedient.id, title=form.get("title", ""), text=form.get("text", ""),
                       starts_on=starts_on, ends_on=_date("ends_on"), working_days=days, document_ids=doc_ids)
    except REFUSALS as exc:
        unit_of_work.discard()
        return _page(form, field_errors(exc, _PUBLISH_FIELDS)), exc.status
    flash(_("Edict published."), "success")
    return redirect(url_for("noticeboard.index"))


@bp.post("/noticeboard/<int:edict_id>/withdraw")
@roles_required(*STAFF)
def withdraw(edict_id: int) -> Any:
    try:
        edicts.withdraw(g.ctx, edict_id, request.form.get("reason", ""))
    except REFUSALS as exc:
        unit_of_work.discard()
        return _page(request.form, field_errors(exc, {"reason": f"reason-{edict_id}"}, "withdraw")), exc.status
    flash(_("Edict withdrawn."), "success")
    return redirect(url_for("noticeboard.index"))


@bp.post("/noticeboard/<int:edict_id>/diligence")
@roles_required(*STAFF)
def issue_diligence(edict_id: int) -> Any:
    try:
        diligence.issue_diligence(g.ctx, edict_id)
    except REFUSALS as exc:
        unit_of_work.discard()
        flash(str(exc), "danger")
        return redirect(url_for("noticeboard.index"))
    flash(_("The certificate of exposure waits for the secretary's signature."), "success")
    return redirect(url_for("noticeboard.index"))


# -- public ---------------------------------------------------------------------------------


@bp.get("/tauler/<tenant_code>/")
def public(tenant_code: str) -> Any:
    tenant = g.seu_tenant
    query = search_text(request.args.get("q"), 200)
    return render_template("noticeboard/public.html", tenant=tenant, query=query,
                           edicts=edicts.exposed(tenant.id, local_date(utcnow()), query))


@bp.get("/tauler/<tenant_code>/feed.json")
def feed(tenant_code: str) -> Any:
    tenant = g.seu_tenant
    items = [{**edicts.feed_entry(e), "url": url_for("noticeboard.public_edict", tenant_code=tenant.code,
                                                      edict_id=e.id, _external=True)}
             for e in edicts.exposed(tenant.id, local_date(utcnow()))]
    return jsonify({"tenant": tenant.name, "edicts": items})


@bp.get("/tauler/<tenant_code>/rss.xml")
def rss(tenant_code: str) -> Any:
    tenant = g.seu_tenant
    xml = rss_feed(title=f"{_('Notice board')} — {tenant.name}", language=str(get_locale() or "ca"),
                   board_url=url_for("noticeboard.public", tenant_code=tenant.code, _external=True),
                   feed_url=url_for("noticeboard.rss", tenant_code=tenant.code, _external=True),
                   items=edicts.exposed(tenant.id, local_date(utcnow())),
                   url_of=lambda e: url_for("noticeboard.public_edict", tenant_code=tenant.code, edict_id=e.id,
                                            _external=True))
    return Response(xml, mimetype="application/rss+xml")


@bp.get("/tauler/<tenant_code>/<int:edict_id>")
def public_edict(tenant_code: str, edict_id: int) -> Any:
    tenant = g.seu_tenant
    edict = edicts.public_edict(tenant.id, edict_id, local_date(utcnow()))
    if edict is None:
        abort(404)
    return render_template("noticeboard/edict.html", tenant=tenant, edict=edict,
                           documents=edicts.published_documents(edict))


@bp.get("/tauler/<tenant_code>/<int:edict_id>/documents/<int:document_id>")
def public_document(tenant_code: str, edict_id: int, document_id: int) -> Any:
    tenant = g.seu_tenant
    edict = edicts.public_edict(tenant.id, edict_id, local_date(utcnow()))
    if edict is None or document_id not in edict.document_ids:
        abort(404)
    doc, content = read_content(Context.system(tenant.id, "noticeboard"), document_id)
    response = Response(content, mimetype=doc.content_type)
    response.headers.set("Content-Disposition", "inline", filename=doc.file_name)
    return response
