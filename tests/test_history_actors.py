"""Who acted, in an expedient's history, in words a clerk reads: the citizen who filed through the
e-office by name, the clerk by their full name, GEE and what it was doing; the raw actor of the
audit trail stays in a ``title`` for auditors, and the users' names cost one query for the page."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from engine.audit.actors import actor_label
from engine.audit.trail import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.statement_count import counting
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.dossier.page import dossier
from engine.process.instances import tasks as instances
from engine.process.models import HumanTask
from engine.tenancy.models import Tenant, User
from tests.conftest import ctx_for, make_user
from tests.services import run_queued_jobs
from tests.test_seu import MARIA, esmena_version
from tests.web_clerk import login, login_en

REQUEST = {"assumpte": "Gual", "exposo": "Tinc un garatge.", "sollicito": "Una placa de gual."}


@pytest.fixture
def town(tenant: Tenant) -> Tenant:
    esmena_version(tenant.id)
    make_user("anna", tenant, ("tramitador",), full_name="Anna Puig")
    db.session.commit()
    return tenant


def _filed_and_reviewed(town: Tenant) -> int:
    """Maria files in the e-office (her receipt is issued by a job), Anna reviews the request."""
    done = filing.file_request(town, MARIA, "instancia_generica", REQUEST)
    db.session.commit()
    run_queued_jobs()
    review = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    instances.complete_task(ctx_for(_user("anna"), town), review.id, {"completa": True})
    db.session.commit()
    return done.expedient_id


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _history(client: FlaskClient, expedient_id: int) -> list[tuple[str, str]]:
    """Each event of the page's history: (who it shows, the raw actor in its title)."""
    page = client.get(f"/expedients/{expedient_id}").get_data(as_text=True)
    section = page[page.index('id="history-title"'):]
    section = section[:section.index("</ol>")]
    return [(html_lib.unescape(who), html_lib.unescape(raw))
            for raw, who in re.findall(r'<strong class="actor" title="([^"]*)">([^<]*)</strong>', section)]


def test_the_history_names_the_citizen_the_clerk_and_what_gee_did(client, town):
    expedient_id = _filed_and_reviewed(town)
    login_en(client, "anna")
    shown = _history(client, expedient_id)

    assert ("Maria Puig i Serra (e-office)", "seu:12345678Z") in shown  # a party of the expedient
    assert ("Anna Puig", "anna") in shown
    assert ("GEE (registry receipt)", "registry-receipt") in shown  # the receipt, issued by a job
    assert all(who != raw for who, raw in shown if raw.startswith("seu:") or raw == "anna")


def test_in_catalan_too_the_names_replace_the_raw_actors(client, town):
    expedient_id = _filed_and_reviewed(town)
    login(client, "anna")  # Catalan, the default
    shown = dict(_history(client, expedient_id))
    assert "Anna Puig" in shown and "seu:12345678Z" not in shown
    assert any(who.startswith("Maria Puig i Serra (") for who in shown)
    assert not any(who in {"engine-steps", "registry-receipt", "anna"} for who in shown)


def test_a_citizen_who_is_no_party_shows_as_their_nif_and_system_reasons_in_words(client, town):
    expedient_id = _filed_and_reviewed(town)
    stranger = citizen_context(town, CitizenIdentity("87654321X", "Jordi Vidal Roca"))
    record(stranger, "notification.accessed", "notification", 1, expedient_id=expedient_id)
    record(Context.system(town.id, "registry-receipt"), "registry.receipt_issued", "registry_entry", 1,
           expedient_id=expedient_id)
    record(Context.system(town.id, "registre/ajt-altre"), "registry.incoming", "registry_entry", 2,
           expedient_id=expedient_id)
    record(Context.system(town.id, "something-new"), "timer.fired", "timer", 1, expedient_id=expedient_id)
    db.session.commit()
    login_en(client, "anna")
    shown = _history(client, expedient_id)

    assert ("87654321X (e-office)", "seu:87654321X") in shown
    assert ("GEE (registry receipt)", "registry-receipt") in shown
    assert ("GEE (entry from another administration)", "registre/ajt-altre") in shown
    assert ("GEE (something-new)", "something-new") in shown


def test_the_labels_in_every_language_the_catalogue_knows():
    with force_locale("en"):
        assert actor_label("timer-sweeper", None) == "GEE (timers)"
        assert actor_label("migration:12", None) == "GEE (migration)"
        assert actor_label("procediment/seu:12345678Z", None) == "GEE (procedure)"
        assert actor_label("system", None) == "GEE"
        assert actor_label("seu:12345678Z", None, citizens={"12345678Z": "Maria"}) == "Maria (e-office)"
    assert actor_label("anna", 7, users={7: "Anna Puig"}) == "Anna Puig"
    assert actor_label("anna", 7, users={7: ""}) == "anna"  # no full name: the username
    assert actor_label("anna", 8, users={7: "Anna Puig"}) == "anna"


def test_the_users_names_are_one_query_however_many_acted(town):
    expedient_id = _filed_and_reviewed(town)
    for n in range(3):
        user = make_user(f"clerk{n}", town, ("tramitador",), full_name=f"Clerk {n}")
        db.session.commit()
        record(ctx_for(user, town), "task.claimed", "task", n, expedient_id=expedient_id)
    db.session.commit()
    ctx = ctx_for(_user("anna"), town)
    db.session.expunge_all()

    with counting(db.engine) as count:
        page = dossier(ctx, expedient_id)

    assert {page.actor_labels[f"clerk{n}"] for n in range(3)} == {"Clerk 0", "Clerk 1", "Clerk 2"}
    on_users = [sql for sql in count.statements if re.search(r"\bFROM users\b", sql)]
    assert len(on_users) == 1, count.report()

