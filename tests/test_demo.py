"""``gee demo`` gives a working platform: tenants, a user per role, the shipped procedures."""

from __future__ import annotations

from click.testing import CliRunner
from flask_babel import force_locale
from sqlalchemy import func, select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.bodies.models import BodySession
from engine.noticeboard.edicts import calendar_of
from engine.noticeboard.models import Edict
from engine.process.models import ProcessModel
from engine.tenancy.models import ROLES, Tenant, User
from tests.conftest import login
from webapp.cli import main


def test_demo_loads_everything_and_is_idempotent(client):
    runner = CliRunner()
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "instancia_generica" in first.output
    with force_locale("ca"):  # the operator's language (GEE_DEFAULT_LOCALE), Catalan by default
        second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0, second.output
    assert "versió 1: sense canvis" in second.output and "Dades de demostració a punt" in second.output
    assert "alcalde.sant" in second.output and "secretaria compartida pels dos municipis" in second.output

    tenants = {t.code: t for t in db.session.scalars(select(Tenant))}
    assert {t.kind for t in tenants.values()} == {"provincial", "ajuntament"}
    municipalities = [t for t in tenants.values() if t.kind == "ajuntament"]
    assert len(municipalities) == 2
    for tenant in municipalities:
        for role in ROLES:
            assert any(role in u.roles_in(tenant.id) for u in db.session.scalars(select(User)))
    assert any(t.aran for t in municipalities)
    shared = db.session.scalars(select(ProcessModel).where(ProcessModel.tenant_id.is_(None))).all()
    assert "instancia_generica" in {m.key for m in shared}
    assert db.session.scalar(select(func.count()).select_from(User)) == 14
    # each municipality's Ple: a held session with signed minutes, and an upcoming one to convene
    for tenant in municipalities:
        held, upcoming = sorted(db.session.scalars(select(BodySession).where(BodySession.tenant_id == tenant.id)),
                                key=lambda s: s.id)
        assert held.status == "held" and held.minutes_number == f"1/{held.minutes_year}" and held.minutes_signed
        assert upcoming.status == "convening" and upcoming.items[0].approves_minutes_of_id == held.id
        # The budget it approved initially is on the public board for 15 working days, taking claims (TRLRHL 169.1).
        edict = db.session.scalars(select(Edict).where(Edict.tenant_id == tenant.id)).one()
        assert edict.expedient_id == held.items[0].expedient_id and edict.public_information
        assert edict.ends_on == calendar_of(tenant.id).add_working_days(local_date(utcnow()), 15)
        board = client.get(f"/tauler/{tenant.code}/").get_data(as_text=True)
        title = f"Aprovació inicial del pressupost general per a l&#39;exercici {local_date(utcnow()).year + 1}"
        assert title in board
        assert 'id="file-allegation"' in client.get(f"/tauler/{tenant.code}/{edict.id}").get_data(as_text=True)

    # The README's logins work.
    login(client, "tramitador.sant", "demo-gee-2026")
    assert "Ajuntament de Sant Demo de Segre" in client.get("/").get_data(as_text=True)
