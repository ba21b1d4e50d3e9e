"""The citizen's notification page names the moment of its outcome for what it is: when she
accessed it, when she rejected it; never a "closing date"."""

from __future__ import annotations

from flask.testing import FlaskClient
from lxml import html as lxml_html

from engine.base.db import db
from engine.documents.documents import issue_document, store_document
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from engine.notifications.notifications import Notification, notify
from engine.tenancy.models import Tenant
from tests.conftest import csrf_token, ctx_for, make_user
from tests.test_seu import PDF, citizen_login, token_of


def _notified(tenant: Tenant) -> Notification:
    clerk = ctx_for(make_user("clerk", tenant, ("tramitador",)), tenant)
    party = find_or_create_party(clerk, "12345678Z", "Maria Puig i Serra", preferred_channel="electronic")
    expedient = open_expedient(clerk, "Gual permanent", party_ids=[party.id])
    doc = store_document(clerk, expedient.id, "resolucio.pdf", PDF, title="Resolució", tipo_documental="TD01",
                         from_administration=True)
    issue_document(clerk, doc.id)
    note = notify(clerk, expedient.id, party.id, doc.id, "electronic")
    db.session.commit()
    return note


def _settled_label(client: FlaskClient, path: str) -> str:
    page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
    return page.get_element_by_id("notification-settled").getprevious().text_content().strip()


def _english(client: FlaskClient, path: str) -> None:
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, path)})


def test_an_opened_notification_says_when_it_was_accessed(client: FlaskClient, tenant: Tenant) -> None:
    note = _notified(tenant)
    citizen_login(client, tenant.code)
    path = f"/seu/{tenant.code}/notificacions/{note.id}"
    assert not lxml_html.fromstring(client.get(path).get_data(as_text=True)).xpath('//*[@id="notification-settled"]')
    opened = client.post(f"{path}/obrir", data={"csrf_token": token_of(client.get(path).get_data(as_text=True))})
    assert opened.status_code == 302
    assert _settled_label(client, path) != "Data de tancament"
    _english(client, path)
    assert _settled_label(client, path) == "Accessed on"


def test_a_rejected_notification_says_when_it_was_rejected(client: FlaskClient, tenant: Tenant) -> None:
    note = _notified(tenant)
    citizen_login(client, tenant.code)
    path = f"/seu/{tenant.code}/notificacions/{note.id}"
    token = token_of(client.get(path).get_data(as_text=True))
    assert client.post(f"{path}/rebutjar", data={"csrf_token": token, "understood": "1"}).status_code == 302
    _english(client, path)
    assert _settled_label(client, path) == "Rejected on"
