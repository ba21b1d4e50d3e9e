"""ENI exchange from the web: an expedient's ENI XML and foliated index, and importing an ENI
expedient from another system."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _l, ngettext
from engine.documents.documents import read_content
from engine.eni.access import ENI_ROLES
from engine.eni.export import export_expedient
from engine.eni.importer import import_expedient
from engine.eni.index_pdf import foliated_index
from engine.expedients.expedients import get_expedient
from webapp.auth import roles_required

bp = Blueprint("eni", __name__)



@bp.get("/expedients/<int:expedient_id>/eni.xml")
@roles_required(*ENI_ROLES)
def export(expedient_id: int) -> Any:
    expedient = get_expedient(g.ctx, expedient_id)
    xml = export_expedient(g.ctx, expedient.id)
    response = Response(xml, mimetype="application/xml")
    response.headers.set("Content-Disposition", "attachment", filename=f"{expedient.eni_id}.xml")
    return response


@bp.get("/expedients/<int:expedient_id>/foliated-index.pdf")
@roles_required(*ENI_ROLES)
def foliated(expedient_id: int) -> Any:
    doc = foliated_index(g.ctx, expedient_id)
    _, content = read_content(g.ctx, doc.id)
    response = Response(content, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=doc.file_name)
    return response


@bp.route("/eni/import", methods=["GET", "POST"])
@roles_required(*ENI_ROLES)
def upload() -> Any:
    if request.method == "GET":
        return render_template("eni/import.html", error=None)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose a file to upload."), field="file")
        result = import_expedient(g.ctx, upload.read(), upload.filename)
    except GeeError as err:
        unit_of_work.discard()
        return render_template("eni/import.html", error=str(err)), err.status
    assert result.expedient is not None
    flash(ngettext("Expedient %(id)s imported with %(num)s document.",
                   "Expedient %(id)s imported with %(num)s documents.", result.documents,
                   id=result.expedient.eni_id), "success")
    return redirect(url_for("expedients.show", expedient_id=result.expedient.id))
