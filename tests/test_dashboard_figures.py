"""The dashboard's maintained figures (engine.expedients.figures): opening, closing and reopening an
expedient move them in the same transaction, and they always equal a recount from the expedients."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from engine.base.db import db
from engine.documents.closing import close_expedient
from engine.expedients import figures
from engine.expedients.expedients import Expedient, open_expedient, reopen_expedient
from engine.expedients.statistics import dashboard, monthly_flow
from engine.process.models import ProcessModel
from tests.conftest import ctx_for, make_tenant, make_user
from webapp.cli import main

TODAY = date(2026, 6, 15)


def _world():
    tenant = make_tenant()
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01250002", ine_code="250002")
    ctx = ctx_for(make_user("secretaria", tenant, roles=("secretari",)), tenant)
    other_ctx = ctx_for(make_user("estrany", other, roles=("secretari",)), other)
    model = ProcessModel(tenant_id=tenant.id, key="generica", name="Instància genèrica")
    db.session.add(model)
    db.session.flush()
    return ctx, other_ctx, model


def _june(ctx):
    return next(row for row in monthly_flow(ctx, TODAY) if row.month == date(2026, 6, 1))


def _states(ctx):
    return {row.procedure: row.counts for row in dashboard(ctx).states}


def _consistent(*tenant_ids):
    connection = db.session.connection()
    return figures.stored(connection, tenant_ids) == figures.recount(connection, tenant_ids)


def test_opening_closing_and_reopening_move_the_figures(app):
    ctx, other_ctx, model = _world()
    opened = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    expedient = open_expedient(ctx, "Instància", process_model_id=model.id, opened_at=opened)
    open_expedient(other_ctx, "D'un altre municipi", opened_at=opened)
    db.session.commit()
    assert (_june(ctx).opened, _june(ctx).resolved) == (1, 0)
    assert _states(ctx) == {"Instància genèrica": {"E01": 1}}
    assert dashboard(ctx).resolution == []

    close_expedient(ctx, expedient.id)
    expedient.closed_at = opened + timedelta(days=7, hours=5)  # closed on 9 June: 7 whole days
    db.session.commit()
    assert (_june(ctx).opened, _june(ctx).resolved) == (1, 1)
    [row] = dashboard(ctx).resolution
    assert (row.procedure, row.resolved, row.median_days) == ("Instància genèrica", 1, 7)
    assert _states(ctx) == {"Instància genèrica": {"E02": 1}}

    reopen_expedient(ctx, expedient.id, "Recurs de reposició estimat")
    db.session.commit()
    assert (_june(ctx).opened, _june(ctx).resolved) == (1, 0)
    assert _states(ctx) == {"Instància genèrica": {"E01": 1}}
    assert dashboard(ctx).resolution == []
    assert _consistent(ctx.tenant_id, other_ctx.tenant_id)


def test_a_rolled_back_opening_leaves_the_figures_as_they_were(app):
    ctx, _other_ctx, model = _world()
    db.session.commit()
    open_expedient(ctx, "Desistit", process_model_id=model.id, opened_at=datetime(2026, 6, 3, tzinfo=UTC))
    db.session.rollback()
    assert _june(ctx).opened == 0
    assert _consistent(ctx.tenant_id)


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_ones(app):
    ctx, _other_ctx, model = _world()
    for days in (3, 10, 20, 40):
        opened = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        expedient = open_expedient(ctx, f"{days} dies", process_model_id=model.id, opened_at=opened)
        expedient.closed_at = opened + timedelta(days=days)
        expedient.state = "E02"
    db.session.commit()
    [row] = dashboard(ctx).resolution
    assert (row.resolved, row.median_days) == (4, 15)
    assert _consistent(ctx.tenant_id)


def test_rebuild_puts_back_figures_written_around_the_orm(app):
    """A bulk load that writes expedients with plain SQL leaves the figures behind until rebuilt."""
    ctx, _other_ctx, model = _world()
    opened = datetime(2026, 6, 4, tzinfo=UTC)
    expedient = open_expedient(ctx, "Carregat", process_model_id=model.id, opened_at=opened)
    open_expedient(ctx, "Obert al maig", process_model_id=model.id, opened_at=datetime(2026, 5, 4, tzinfo=UTC))
    db.session.commit()
    db.session.execute(
        update(Expedient).where(Expedient.id == expedient.id)
        .values(closed_at=opened + timedelta(days=2), state="E02")
    )  # fmt: skip
    db.session.commit()
    assert not _consistent(ctx.tenant_id)
    checked = app.test_cli_runner().invoke(main, ["figures", "check"])
    assert checked.exit_code == 1 and "gee figures rebuild" in checked.output
    rebuilt = app.test_cli_runner().invoke(main, ["figures", "rebuild", "--tenant", "ajt-proves"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert app.test_cli_runner().invoke(main, ["figures", "check"]).exit_code == 0
    assert _june(ctx).resolved == 1
