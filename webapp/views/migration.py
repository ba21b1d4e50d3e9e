"""Migration from another tool (tenant admin): upload the old tool's ENI export as a zip, follow
the background job's progress, download its report, run it again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from engine.base import unit_of_work
from engine.base.errors import GeeError, ValidationFailed
from engine.base.i18n import _l
from engine.eni.migration_runs import get_run, list_runs, rerun_migration, retry_migration, start_migration
from webapp.actions import field_errors
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("migration", __name__, url_prefix="/admin/migration")

NAV = [NavItem("migration.index", _l("Migration from another tool"), roles=("admin",), order=85, menu="admin")]


def _mapping_text() -> str | None:
    upload = request.files.get("mapping")
    if upload is None or not upload.filename:
        return None
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(_l("The classification map must be a CSV file in UTF-8."),
                               field="mapping") from None


#: The DOM ids of the form's fields, by the names the services give them.
_FIELDS = {"file": "file", "mapping": "mapping", "classification-map": "mapping"}


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def index() -> Any:
    if request.method == "GET":
        return render_template("migration/index.html", runs=list_runs(g.ctx), errors={}, form=request.form)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose a file to upload."), field="file")
        run = start_migration(g.ctx, upload.read(), upload.filename, _mapping_text(),
                              dry_run=request.form.get("dry_run") == "1")
    except GeeError as err:
        unit_of_work.discard()
        return render_template("migration/index.html", runs=list_runs(g.ctx), form=request.form,
                               errors=field_errors(err, _FIELDS, "migration")), err.status
    return redirect(url_for("migration.show", run_id=run.id))


@bp.get("/<int:run_id>")
@roles_required("admin")
def show(run_id: int) -> Any:
    return render_template("migration/show.html", run=get_run(g.ctx, run_id))


@bp.get("/<int:run_id>/status")
@roles_required("admin")
def status(run_id: int) -> Any:
    return render_template("migration/_status.html", run=get_run(g.ctx, run_id))


@bp.get("/<int:run_id>/report.csv")
@roles_required("admin")
def report(run_id: int) -> Any:
    run = get_run(g.ctx, run_id)
    response = Response(run.report_csv, mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=f"migration-{run.id}-report.csv")
    return response


@bp.post("/<int:run_id>/rerun")
@roles_required("admin")
def rerun(run_id: int) -> Any:
    run = rerun_migration(g.ctx, run_id, dry_run=request.form.get("dry_run") == "1")
    return redirect(url_for("migration.show", run_id=run.id))


@bp.post("/<int:run_id>/retry")
@roles_required("admin")
def retry(run_id: int) -> Any:
    run = retry_migration(g.ctx, run_id)
    return redirect(url_for("migration.show", run_id=run.id))
