"""``gee demo``: load demo tenants, users and the shipped procedures."""

from __future__ import annotations

import click

from webapp.commands.output import transactional


@click.command("demo")
@transactional
def demo_command() -> None:
    """Load demo data: a provincial service, two municipalities, a user per role, the shipped procedures
    and sample expedients of each procedure in Sant Demo de Segre (a couple in Vilaprova d'Aran).

    Safe to run again. Refused when GEE_ENV=production.
    """
    from engine.base.i18n import _l
    from engine.base.settings import current_settings
    from engine.demo.bodies import load_demo_bodies
    from engine.demo.data import (
        DEMO_PASSWORD,
        MUNICIPALITIES,
        demo_logins,
        deploy_shipped_procedures,
        load_demo_tenants,
    )
    from engine.showcase.expedients import NEIGHBOUR_STORIES, build_demo_expedients

    if current_settings().production:
        raise click.ClickException(str(_l("gee demo is refused in production: demo passwords are public.")))
    tenants = load_demo_tenants()
    for spec in MUNICIPALITIES:
        if load_demo_bodies(tenants[spec.code], DEMO_PASSWORD):
            held = _l("%(tenant)s: a Ple with a held session (signed minutes) and an upcoming one; the budget it "
                      "approved initially is on the notice board, open to claims", tenant=spec.name)
            click.echo(str(held))
    results = deploy_shipped_procedures()
    broken = {name: r.problems for name, r in results.items() if not r.ok}
    if broken:
        for name, problems in broken.items():
            for problem in problems:
                click.echo(f"{name}: {problem}", err=True)
        raise click.ClickException(str(_l("A shipped procedure does not validate; nothing was loaded.")))
    for name, result in results.items():
        assert result.version is not None
        state = _l("deployed") if result.created else _l("unchanged")
        click.echo(str(_l("Procedure %(key)s version %(n)s: %(state)s (%(file)s)", key=result.version.model.key,
                          n=result.version.number, state=state, file=name)))  # fmt: skip
    for spec, chosen in zip(MUNICIPALITIES, (None, NEIGHBOUR_STORIES), strict=True):
        click.echo(str(_l("Sample expedients of %(tenant)s:", tenant=spec.name)))
        for line in build_demo_expedients(tenants[spec.code], DEMO_PASSWORD, chosen):
            click.echo(f"  {line}")
    click.echo(str(_l("Demo data ready. Password for every demo user: %(password)s", password=DEMO_PASSWORD)))
    for username, what in demo_logins():
        click.echo(f"  {username:28} {what}")


commands = [demo_command]
