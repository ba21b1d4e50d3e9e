"""Processos: the process designers' catalogue — upload and validate models, preview them, edit
them in the modeler, publish or unpublish them, adopt shared ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import ValidationFailed
from engine.base.i18n import _, _l
from engine.expedients.statistics import running_instances_by_version
from engine.process.definition import catalogue
from engine.process.definition.deploy import DeployResult, deploy_uploaded
from engine.process.definition.validation import Problem
from engine.process.models import ProcessModel, ProcessVersion
from webapp.actions import field_errors
from webapp.api.uploads import model_upload
from webapp.auth import roles_required
from webapp.inputs import int_arg
from webapp.modeler_panel import panel_config
from webapp.navigation import NavItem

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

DESIGNERS = catalogue.DESIGNER_ROLES
NAV = [NavItem("catalogue.index", _l("Processes"), roles=DESIGNERS, order=70)]


def has_diagram(bpmn_xml: str) -> bool:
    """Whether the BPMN carries diagram interchange (shapes to draw); models written by hand
    often have none, and then there is nothing to preview."""
    return "BPMNShape" in bpmn_xml


def _report(result: DeployResult, status: int = 422, model: ProcessModel | None = None) -> Any:
    unit_of_work.discard()
    return render_template("catalogue/report.html", problems=result.problems, model=model, errors={}), status


def _deployed(result: DeployResult) -> Any:
    """An upload is a draft: show its preview, where it is test-run and published."""
    version = result.version
    assert version is not None
    if result.created:
        flash(_("Version %(number)s of %(name)s is stored as a draft: preview it, test-run it, then publish it.",
                number=version.number, name=version.model.name), "success")  # fmt: skip
    else:
        flash(_("This content was already deployed as version %(number)s.", number=version.number), "info")
    return redirect(url_for("drafts.preview", version_id=version.id))


@dataclass(frozen=True)
class StartStatus:
    """What happens when a new expedient of a model's key is opened, worded for the designer."""

    #: New expedients start on this model (the list's "Published: yes").
    in_use: bool
    sentence: str
    #: Worth saying in the list too: something else than this model is used, or it has only drafts.
    notable: bool


def start_status(model: ProcessModel, picked: ProcessVersion | None) -> StartStatus:
    """Derived from ``picked``, the version :func:`catalogue.starts_on` (so ``resolve_version``)
    gives for the model's key, so the words say what the e-office and the clerks really do."""
    only_drafts = model.published and catalogue.latest_version(model) is None
    if picked is None:
        if only_drafts:
            return StartStatus(False, _("Only drafts so far: no new expedient can use it until a version is "
                                        "published."), True)  # fmt: skip
        return StartStatus(False, _("Not published: no new expedient can use it."), False)
    if picked.model_id == model.id:
        return StartStatus(True, _("Published: new expedients use version %(number)s.", number=picked.number), False)
    if picked.model.shared:  # the municipality's own model gives way to the shared one
        if only_drafts:
            return StartStatus(False, _("Only drafts so far: new expedients use the shared version %(number)s.",
                                        number=picked.number), True)  # fmt: skip
        return StartStatus(False, _("Not published here: new expedients use the shared version %(number)s.",
                                    number=picked.number), True)  # fmt: skip
    return StartStatus(False, _("This municipality has its own model with this key: new expedients use its "
                                "version %(number)s.", number=picked.number), True)  # fmt: skip


@dataclass(frozen=True)
class Counterpart:
    """The municipality's own model with a shared model's key, as the shared list names it."""

    model: ProcessModel
    #: e.g. "adopted — version 2 in use", "adopted — draft, not published yet".
    label: str


def counterpart(own: ProcessModel, shared: ProcessModel, current: ProcessVersion | None) -> Counterpart:
    """How the municipality's copy ``own`` of ``shared`` stands (``current``: its latest published
    version): whether it is the one new expedients use, only a draft, or withdrawn."""
    kind = _("adopted") if own.adopted_from_id == shared.id else _("own model with this key")
    if not own.published:
        state = _("not published: the shared version is used")
    elif current is None:
        state = _("draft, not published yet")
    else:
        state = _("version %(number)s in use", number=current.number)
    return Counterpart(own, f"{kind} — {state}")


@bp.get("/")
@roles_required(*DESIGNERS)
def index() -> Any:
    return _index_page()


def _index_page(errors: dict[str, str] | None = None) -> str:
    """The catalogue; after a refused upload, the reason beside the file it is about."""
    models = catalogue.list_models(g.ctx)
    own = [m for m in models if not m.shared]
    shared = [m for m in models if m.shared]
    latest = {m.id: catalogue.latest_version(m) for m in models}
    own_by_key = {m.key: m for m in own}
    adopted = {s.id: counterpart(own_by_key[s.key], s, latest[own_by_key[s.key].id])
               for s in shared if s.key in own_by_key}  # fmt: skip
    status = {m.id: start_status(m, catalogue.starts_on(g.ctx, m)) for m in own}
    return render_template("catalogue/index.html", own=own, shared=shared, latest=latest, adopted=adopted,
                           status=status, errors=errors or {})  # fmt: skip


@bp.post("/deploy")
@roles_required(*DESIGNERS)
def deploy() -> Any:
    try:
        upload = model_upload(request.files)
    except ValidationFailed as err:
        return _index_page(field_errors(err, {"bpmn": "up-bpmn"}, "up-bpmn")), err.status
    result = deploy_uploaded(g.ctx, upload.bpmn, forms=upload.forms, templates=upload.templates, dmn_files=upload.dmn,
                             draft=True)  # fmt: skip
    return _deployed(result) if result.ok else _report(result)


@bp.get("/<int:model_id>")
@roles_required(*DESIGNERS)
def model(model_id: int) -> Any:
    found = catalogue.get_model(g.ctx, model_id)
    versions = list(reversed(found.versions))
    running = running_instances_by_version(g.ctx, [v.id for v in versions])
    shown = _version_of(found, _version_arg())
    return render_template("catalogue/model.html", model=found, versions=versions, running=running, shown=shown,
                           has_diagram=bool(shown and has_diagram(shown.bpmn_xml)),
                           status=start_status(found, catalogue.starts_on(g.ctx, found)))  # fmt: skip


def _version_arg() -> int | None:
    try:
        return int_arg(request.args.get("version"), field="version", low=1)
    except ValidationFailed:
        return None


def _version_of(model: ProcessModel, number: int | None) -> ProcessVersion | None:
    """The version asked for, else the current one, else the newest draft."""
    current = catalogue.latest_version(model) or catalogue.newest_version(model)
    if number is None:
        return current
    return next((v for v in model.versions if v.number == number), current)


@bp.get("/versions/<int:version_id>.bpmn")
@roles_required(*DESIGNERS)
def version_xml(version_id: int) -> Any:
    version = catalogue.get_version(g.ctx, version_id)
    return Response(version.bpmn_xml, mimetype="application/xml")


def _changed(found: ProcessModel, message: str) -> Any:
    """Say ``message`` and show the model (the request's unit of work commits the change)."""
    flash(message, "success")
    return redirect(url_for("catalogue.model", model_id=found.id))


@bp.post("/<int:model_id>/publish")
@roles_required(*DESIGNERS)
def publish(model_id: int) -> Any:
    found = catalogue.publish(g.ctx, model_id)
    return _changed(found, _("%(name)s is published: new expedients can use it.", name=found.name))


@bp.post("/<int:model_id>/unpublish")
@roles_required(*DESIGNERS)
def unpublish(model_id: int) -> Any:
    found = catalogue.unpublish(g.ctx, model_id)
    return _changed(found, _("%(name)s is no longer published; running instances go on.", name=found.name))


@bp.post("/<int:model_id>/adopt")
@roles_required(*DESIGNERS)
def adopt(model_id: int) -> Any:
    adopted = catalogue.adopt_shared(g.ctx, model_id)
    return _changed(adopted, _("%(name)s is now a model of this municipality.", name=adopted.name))


@bp.route("/<int:model_id>/modeler", methods=["GET", "POST"])
@roles_required(*DESIGNERS)
def modeler(model_id: int) -> Any:
    found = catalogue.get_model(g.ctx, model_id)
    catalogue.require_designer(g.ctx, found)
    previous = catalogue.newest_version(found)
    if previous is None:
        raise ValidationFailed(_l("The model has no version to edit."))
    if request.method == "GET":
        return _modeler_page(found, previous, previous.bpmn_xml, [])
    xml = request.form.get("bpmn_xml", "")
    # The new version keeps the forms, templates and decision tables of the one it edits.
    result = deploy_uploaded(g.ctx, xml, forms=previous.forms, templates=previous.templates,
                             dmn_files=previous.dmn_files, shared=found.shared, draft=True)  # fmt: skip
    if result.ok:
        return _deployed(result)
    unit_of_work.discard()
    return _modeler_page(found, previous, xml, result.problems), 422


def _modeler_page(found: ProcessModel, previous: ProcessVersion, xml: str, problems: list[Problem]) -> str:
    """The modeler on ``xml``; refused problems are listed and marked on their elements."""
    tenant_id = None if found.shared else g.ctx.tenant_id
    return render_template("catalogue/modeler.html", model=found, version=previous, xml=xml, problems=problems,
                           panel=panel_config(previous, tenant_id, problems))  # fmt: skip
