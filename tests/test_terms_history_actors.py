"""A citizen who acted on an expedient through the e-office without being one of its parties (e.g.
the applicant of another expedient, who related hers to this one) shows in its history by the name
the municipality knows her by, as in the audit trail, read in one query for the whole page."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from engine.audit.browse import TrailFilters
from engine.audit.trail import record
from engine.base.db import db
from engine.base.statement_count import counting
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.dossier.audit_trail import page as trail_page
from engine.dossier.page import dossier
from engine.expedients.parties import Party
from engine.tenancy.models import Tenant
from tests.conftest import ctx_for, make_user
from tests.test_history_actors import _filed_and_reviewed, _history, _user, town
from tests.web_clerk import login_en

__all__ = ["town"]  # the fixture, used by name
JORDI = CitizenIdentity("39847512N", "Jordi Farré Pons")


def _jordi_acts_on(town: Tenant, expedient_id: int) -> None:
    """Jordi is a party of the municipality (of another expedient), not of this one."""
    db.session.add(Party(tenant_id=town.id, nif=JORDI.nif, kind="person", name=JORDI.name,
                         preferred_channel="electronic"))
    record(citizen_context(town, JORDI), "expedient.related", "expedient", expedient_id, expedient_id=expedient_id)
    db.session.commit()


def test_a_citizen_of_the_municipality_who_is_no_party_of_the_expedient_shows_by_name(
        client: FlaskClient, town: Tenant) -> None:
    expedient_id = _filed_and_reviewed(town)
    _jordi_acts_on(town, expedient_id)
    login_en(client, "anna")
    shown = _history(client, expedient_id)

    assert ("Jordi Farré Pons (e-office)", "seu:39847512N") in shown
    assert ("Maria Puig i Serra (e-office)", "seu:12345678Z") in shown  # the applicant, a party


def test_the_history_and_the_audit_trail_name_the_citizen_alike_with_one_query(town: Tenant) -> None:
    expedient_id = _filed_and_reviewed(town)
    _jordi_acts_on(town, expedient_id)
    ctx = ctx_for(_user("anna"), town)
    db.session.expunge_all()

    with counting(db.engine) as count:
        page = dossier(ctx, expedient_id)

    on_parties = [sql for sql in count.statements
                  if re.search(r"\bFROM parties\b", sql) and re.search(r"\bparties\.nif IN\b", sql)]
    assert len(on_parties) == 1, count.report()
    assert page.actor_labels["seu:39847512N"].startswith("Jordi Farré Pons (")
    secretary = make_user("secretaria", town, ("secretari",), full_name="Rosa Serra")
    db.session.commit()
    shown = trail_page(ctx_for(secretary, town), TrailFilters())
    assert shown.actors["seu:39847512N"] == page.actor_labels["seu:39847512N"]
