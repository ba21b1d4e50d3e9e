"""``gee deploy``: validate a BPMN model and store it as a process version."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from webapp.commands.output import transactional


@click.command("deploy")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tenant", "tenant_code", metavar="CODE", help="Deploy for this municipality (tenant code).")
@click.option("--shared", is_flag=True, help="Deploy as a shared model the provincial service offers to all.")
@click.option("--forms-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the JSON Schema forms (default: forms/).")
@click.option("--templates-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the document templates (default: processes/templates/).")
@click.option("--as", "created_by", default="gee deploy", show_default=True, help="Name recorded as the deployer.")
@click.option("--draft", is_flag=True, help="Store a draft to test-run; `gee process publish` makes it current.")
@transactional
def deploy_command(
    path: Path,
    tenant_code: str | None,
    shared: bool,
    forms_dir: Path | None,
    templates_dir: Path | None,
    created_by: str,
    draft: bool,
) -> None:
    """Validate PATH (a .bpmn file) with its forms, templates and DMN files, and deploy it.

    Prints "Deployed <key> version <n> (<hash>)" or "<key> unchanged", then a "warning: " line for
    each user task without a name in some language and each form text (title, field title or
    description) without one, and exits 0; when the model has problems,
    prints each as "<element id>: <message>" and exits 1, storing nothing.
    DMN files are taken from the folder of PATH. With --draft the version is stored as a draft:
    nothing starts on it until `gee process publish KEY --version N`.
    """
    from sqlalchemy import select

    from engine.base.db import db
    from engine.base.errors import GeeError
    from engine.process.definition.deploy import deploy_process
    from engine.process.definition.form_label_warnings import missing_form_labels
    from engine.process.definition.task_labels import missing_task_labels
    from engine.tenancy.models import Tenant

    if shared == bool(tenant_code):
        raise click.UsageError("Give either --tenant CODE or --shared.")
    tenant_id = None
    if tenant_code:
        tenant = db.session.execute(select(Tenant).where(Tenant.code == tenant_code)).scalar_one_or_none()
        if tenant is None:
            raise click.UsageError(f"No municipality with code {tenant_code!r}.")
        tenant_id = tenant.id
    try:
        result = deploy_process(None, path, tenant_id=tenant_id, shared=shared, forms_dir=forms_dir,
                                templates_dir=templates_dir, created_by=created_by, draft=draft)  # fmt: skip
    except GeeError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    if result.version is None:
        for problem in result.problems:
            click.echo(str(problem))
        sys.exit(1)
    version = result.version
    if result.created and version.is_draft:
        click.echo(f"Deployed {version.model.key} version {version.number} as a draft ({version.content_hash[:12]})")
    elif result.created:
        click.echo(f"Deployed {version.model.key} version {version.number} ({version.content_hash[:12]})")
    else:
        click.echo(f"{version.model.key} unchanged: version {version.number} ({version.content_hash[:12]})")
    for warning in [*missing_task_labels(version), *missing_form_labels(version)]:
        click.echo(f"warning: {warning}")


commands = [deploy_command]
