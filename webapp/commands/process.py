"""``gee process publish`` and ``gee process test-run``: the command-line side of upload →
preview → test-run → publish (``gee deploy --draft`` uploads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from engine.process.models import ProcessVersion
    from engine.simulation.report import Report
    from engine.simulation.runner import Plan

from webapp.commands.output import fail, print_json, transactional


def tenant_id_of(tenant_code: str | None, shared: bool) -> int | None:
    """The tenant a model belongs to (``--tenant CODE``), or None for a shared model (``--shared``)."""
    from sqlalchemy import select

    from engine.base.db import db
    from engine.tenancy.models import Tenant

    if shared == bool(tenant_code):
        raise click.UsageError("Give either --tenant CODE or --shared.")
    if shared:
        return None
    tenant = db.session.execute(select(Tenant).where(Tenant.code == tenant_code)).scalar_one_or_none()
    if tenant is None:
        fail(f"no tenant with code {tenant_code!r}")
    return tenant.id


@click.group("process")
def process_group() -> None:
    """Draft process versions: test-run and publish them."""


@process_group.command("publish")
@click.argument("key")
@click.option("--version", "number", type=int, required=True, help="The version number to publish.")
@click.option("--tenant", "tenant_code", metavar="CODE", help="The municipality's model (tenant code).")
@click.option("--shared", is_flag=True, help="The shared model of the provincial service.")
@transactional
def publish_command(key: str, number: int, tenant_code: str | None, shared: bool) -> None:
    """Make draft version N of KEY the current version: new expedients start on it."""
    from engine.process.definition.drafts import find_version, publish_version

    version = publish_version(None, find_version(tenant_id_of(tenant_code, shared), key, number))
    click.echo(f"Published {key} version {version.number}")


def _version_for(tenant_id: int, key: str, number: int) -> ProcessVersion:
    """The municipality's own model ``key``, else the shared one."""
    from engine.base.errors import NotFound
    from engine.process.definition.drafts import find_version

    try:
        return find_version(tenant_id, key, number)
    except NotFound:
        return find_version(None, key, number)


def read_plan(path: Path | None) -> Plan:
    """A plan from a JSON file (see :func:`engine.simulation.runner.plan_from_json`)."""
    from engine.base.errors import GeeError
    from engine.simulation.runner import Plan, plan_from_json

    if path is None:
        return Plan()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        fail(f"--data: cannot read {path}: {err}")
    try:
        return plan_from_json(raw)
    except GeeError as err:
        fail(f"--data: {err}")


def _print_report(report: Report) -> None:
    click.echo(f"Outcome: {report.outcome}")
    if report.stopped_at or report.message:
        click.echo(f"Stopped at: {report.stopped_at or '-'} {report.message or ''}".rstrip())
    click.echo("Steps:")
    for step in report.steps:
        click.echo(f"  {step.element_id} ({step.kind}) {step.name}".rstrip())
    click.echo("Actions:")
    for action in report.actions:
        click.echo(f"  {action.element_id}: {action.what} {json.dumps(action.detail, ensure_ascii=False)}")
    click.echo("Produced:")
    for item in report.produced:
        click.echo(f"  {item.kind}: {item.title} [{item.detail}]")


@process_group.command("test-run")
@click.argument("key")
@click.option("--version", "number", type=int, required=True, help="The version number to run (a draft or not).")
@click.option("--tenant", "tenant_code", metavar="CODE", required=True,
              help="Run as this municipality (its own model KEY, else the shared one; its calendar).")
@click.option("--data", "data_file", type=click.Path(dir_okay=False, path_type=Path),
              help='JSON file: {"start": {...}, "tasks": {"T_id": {...}}, "outcomes": {"T_id": "returned"}}.')
@click.option("--every-path", is_flag=True, help="Try each choice of each branching point; list the paths.")
@click.option("--max-runs", type=click.IntRange(1, 100), default=12, show_default=True,
              help="With --every-path: how many runs at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def test_run_command(key: str, number: int, tenant_code: str, data_file: Path | None, every_path: bool,
                     max_runs: int, as_json: bool) -> None:  # fmt: skip
    """Test-run version N of KEY with sample data: nothing of the run is kept.

    Prints the steps reached, what was done at each wait, the documents, decrees, notifications and
    registry entries it would produce, and where it stopped. Exits 1 unless it reached an end.
    """
    from engine.base.context import Context
    from engine.simulation.paths import describe, run_every_path
    from engine.simulation.runner import simulate

    tenant_id = tenant_id_of(tenant_code, False)
    assert tenant_id is not None
    version = _version_for(tenant_id, key, number)
    ctx = Context.system(tenant_id, "gee process test-run")
    plan = read_plan(data_file)
    if every_path:
        found = run_every_path(ctx, version, plan, max_runs=max_runs)
        if as_json:
            print_json({"runs": found.runs, "truncated": found.truncated,
                        "ends": [{"choices": describe(p), **r.to_dict()} for p, r in found.ends],
                        "stops": [{"choices": describe(p), **r.to_dict()} for p, r in found.stops]})  # fmt: skip
        else:
            click.echo(f"{found.runs} runs, {len(found.ends)} distinct paths reach an end"
                       + (" (stopped at --max-runs)" if found.truncated else ""))  # fmt: skip
            for index, (chosen, report) in enumerate(found.ends, 1):
                click.echo(f"Path {index}: {json.dumps(describe(chosen), ensure_ascii=False)}")
                click.echo("  " + " > ".join(report.path()))
            for chosen, report in found.stops:
                click.echo(f"Stops ({report.outcome}) at {report.stopped_at or '-'}: {report.message or ''} "
                           f"with {json.dumps(describe(chosen), ensure_ascii=False)}")  # fmt: skip
        if not found.ends:
            raise SystemExit(1)
        return
    report = simulate(ctx, version, plan)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    if not report.reached_end:
        raise SystemExit(1)


commands: list[click.Command] = [process_group]
