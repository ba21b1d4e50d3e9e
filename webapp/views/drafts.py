"""Preview, test-run and publish a process version: the three steps after an upload.

The preview shows the diagram, the validation report, each user task with its form (filled with
the sample data a test-run would use) and the bundled templates. A test-run runs the version with
that sample data and the designer's choices (:mod:`engine.simulation`) in a transaction that is
thrown away; "every path" tries each choice. Publishing makes a draft the current version.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.base.clock import local_date, utcnow
from engine.base.errors import ValidationFailed
from engine.base.i18n import _, _l
from engine.process.definition import catalogue
from engine.process.definition.drafts import publish_version
from engine.process.definition.form_label_warnings import missing_form_labels
from engine.process.definition.outline import outline
from engine.process.definition.task_labels import missing_task_labels
from engine.process.instances.tasks import form_schema
from engine.process.models import ProcessVersion
from engine.simulation.paths import PathsReport, describe, run_every_path
from engine.simulation.report import Report
from engine.simulation.runner import MESSAGE_OUTCOMES, NOTIFICATION_OUTCOMES, SIGN_OUTCOMES, plan_from_json, simulate
from engine.simulation.sample_data import sample_data
from webapp.auth import roles_required
from webapp.forms_render import build_fields
from webapp.views.catalogue import has_diagram

bp = Blueprint("drafts", __name__, url_prefix="/catalogue/versions")

DESIGNERS = catalogue.DESIGNER_ROLES
#: Runs of "every path" from the web page (each run renders real PDFs: keep the answer quick).
WEB_MAX_RUNS = 8
PLAN_MAX_CHARS = 50_000


def _version(version_id: int) -> ProcessVersion:
    version = catalogue.get_version(g.ctx, version_id)
    catalogue.require_designer(g.ctx, version.model)
    return version


def _skeleton(version: ProcessVersion) -> str:
    """The test data box as first shown: every form task, with no data of its own yet."""
    tasks: dict[str, dict[str, Any]] = {t.element_id: {} for t in outline(version).tasks if t.kind == "form"}
    return json.dumps({"tasks": tasks, "outcomes": {}}, ensure_ascii=False, indent=2)


def _render(version: ProcessVersion, *, plan_text: str | None = None, report: Report | None = None,
            paths: PathsReport | None = None, error: str | None = None, status: int = 200) -> Any:  # fmt: skip
    shape = outline(version)
    today = local_date(utcnow())
    forms = {}
    for task in shape.tasks:
        schema = form_schema(version, task.form_key) if task.form_key else None
        forms[task.element_id] = build_fields(schema, sample_data(schema, today=today, document_id=None),
                                              name_prefix=f"preview-{task.element_id}")  # fmt: skip
    return render_template(
        "catalogue/preview.html", version=version, model=version.model, outline=shape, forms=forms,
        has_diagram=has_diagram(version.bpmn_xml), plan_text=plan_text or _skeleton(version), report=report,
        paths=paths, describe=describe, error=error, label_warnings=missing_task_labels(version),
        form_label_warnings=missing_form_labels(version),
        outcomes={"sign": SIGN_OUTCOMES, "notification": NOTIFICATION_OUTCOMES, "message": MESSAGE_OUTCOMES},
    ), status  # fmt: skip


@bp.get("/<int:version_id>/preview")
@roles_required(*DESIGNERS)
def preview(version_id: int) -> Any:
    return _render(_version(version_id))


@bp.post("/<int:version_id>/test-run")
@roles_required(*DESIGNERS)
def test_run(version_id: int) -> Any:
    version = _version(version_id)
    plan_text = (request.form.get("plan") or "").strip() or "{}"
    try:
        if len(plan_text) > PLAN_MAX_CHARS:
            raise ValidationFailed(_l("The test data is too long."))
        try:
            raw = json.loads(plan_text)
        except json.JSONDecodeError as err:
            raise ValidationFailed(_l("The test data is not valid JSON (line %(line)s: %(detail)s).",
                                      line=err.lineno, detail=err.msg)) from None  # fmt: skip
        plan = plan_from_json(raw)
    except ValidationFailed as err:
        return _render(version, plan_text=plan_text, error=str(err), status=422)
    if request.form.get("mode") == "every":
        return _render(version, plan_text=plan_text, paths=run_every_path(g.ctx, version, plan, max_runs=WEB_MAX_RUNS))
    return _render(version, plan_text=plan_text, report=simulate(g.ctx, version, plan))


@bp.post("/<int:version_id>/publish")
@roles_required(*DESIGNERS)
def publish(version_id: int) -> Any:
    version = publish_version(g.ctx, _version(version_id))
    flash(_("Version %(number)s of %(name)s is published: new expedients start on it.", number=version.number,
            name=version.model.name), "success")  # fmt: skip
    return redirect(url_for("catalogue.model", model_id=version.model_id, version=version.number))
