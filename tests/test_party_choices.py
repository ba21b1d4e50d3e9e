"""What a party chooses and what it presented: the notification channel is the person's choice
(art. 14.1 Ley 39/2015; entities are obliged, art. 14.2), an e-mail is only where notices go
(art. 41.6) and can be changed from the e-office, a rejection of a notification is confirmed
knowing its effect (art. 41.5), and a document the interested party presented is kept as it was."""

from __future__ import annotations

import io

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party, find_or_create_party
from engine.notifications.notifications import Notification, NotificationEvidence
from engine.registry.entries import RegistryEntry
from tests.test_seu import _clerk, _file, _notify_resolution, citizen_login, token_of, town  # noqa: F401
from tests.test_web_registry import WHERE_TO_NOTIFY
from tests.web_clerk import field_error, login_en, make_world, open_case, token


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _party(nif: str) -> Party:
    return db.session.execute(select(Party).where(Party.nif == nif)).scalar_one()


# -- the registry desk: how the interested party wants to be notified --------------------------------


@pytest.fixture
def world():
    return make_world()


def _desk_entry(client, nif, name, **extra):
    data = {"csrf_token": token(client), "nif": nif, "party_name": name, "subject": "Sol·licitud de gual",
            "channel": "in_person", "tipo_documental": "TD14", **WHERE_TO_NOTIFY}
    data.update(extra)
    return client.post("/registry/new", content_type="multipart/form-data", data=data)


def test_a_new_person_on_paper_is_asked_where_to_be_notified(client, world):
    login_en(client, "anna")
    refused = _desk_entry(client, "12345678Z", "Pere Soler", preferred_channel="postal", address="",
                          postal_code="", municipality="")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert field_error(html, "address") == "Required for paper notifications."
    assert _count(RegistryEntry) == 0 and _count(Party) == 0  # nothing registered, nobody added


def test_a_person_filing_on_paper_with_an_e_mail_is_notified_on_paper(client, world):
    login_en(client, "anna")
    form = lxml_html.fromstring(client.get("/registry/new").get_data(as_text=True))
    ticked = form.xpath('//input[@name="preferred_channel"][@checked]')
    assert [box.get("value") for box in ticked] == ["postal"]  # paper unless the person asks otherwise
    assert _desk_entry(client, "12345678Z", "Pere Soler", email="pere@example.cat",
                       preferred_channel="postal").status_code == 302
    pere = _party("12345678Z")
    assert pere.preferred_channel == "postal" and pere.email == "pere@example.cat"


def test_a_person_who_chooses_the_e_office_is_notified_electronically(client, world):
    login_en(client, "anna")
    assert _desk_entry(client, "X1234567L", "John Smith", email="john@example.com",
                       preferred_channel="electronic").status_code == 302
    assert _party("X1234567L").preferred_channel == "electronic"


def test_an_entity_is_notified_electronically_whatever_is_ticked(client, world):
    login_en(client, "anna")
    assert _desk_entry(client, "B12345674", "Construccions Segre SL", preferred_channel="postal").status_code == 302
    assert _party("B12345674").preferred_channel == "electronic"  # obliged (art. 14.2)


def test_a_refused_entry_keeps_the_channel_chosen(client, world):
    login_en(client, "anna")
    refused = _desk_entry(client, "12345678Z", "Pere Soler", email="pere@", preferred_channel="electronic")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_error(html, "email") == "The e-mail address pere@ is not valid."
    page = lxml_html.fromstring(html)
    assert [b.get("value") for b in page.xpath('//input[@name="preferred_channel"][@checked]')] == ["electronic"]
    assert _count(RegistryEntry) == 0 and _count(Party) == 0


# -- the e-office: the e-mail for notices of a party already known -------------------------------------


def test_the_e_mail_typed_in_the_e_office_replaces_the_one_on_record(client, town):  # noqa: F811
    ctx = _clerk(town)
    known = find_or_create_party(ctx, "12345678Z", "Maria Puig i Serra", email="antic@example.cat")
    db.session.commit()
    citizen_login(client, town.code)
    assert _file(client, town, {"email": "maria.nova@example.cat"}).status_code == 302
    db.session.expire_all()
    assert _party("12345678Z").id == known.id and _party("12345678Z").email == "maria.nova@example.cat"
    change = db.session.execute(select(AuditEvent).where(AuditEvent.action == "party.updated")).scalar_one()
    assert (change.before["email"], change.after["email"]) == ("antic@example.cat", "maria.nova@example.cat")


#: What an instància genèrica's start form takes (the e-office form's fields without their "f_" prefix).
FILED = {"assumpte": "Gual", "exposo": "Tinc un garatge.", "sollicito": "Una placa de gual."}


def test_the_identity_providers_e_mail_does_not_replace_the_one_on_record(town):  # noqa: F811
    """Only what the citizen types changes the e-mail on record; the provider's starts a new party's."""
    from engine.citizens import filing
    from engine.citizens.identity import CitizenIdentity

    find_or_create_party(_clerk(town), "12345678Z", "Maria Puig i Serra", email="antic@example.cat")
    db.session.commit()
    maria = CitizenIdentity(nif="12345678Z", name="Maria Puig i Serra", email="maria@proveidor.example")
    filing.file_request(town, maria, "instancia_generica", dict(FILED))
    jordi = CitizenIdentity(nif="87654321X", name="Jordi Pons", email="jordi@proveidor.example")
    filing.file_request(town, jordi, "instancia_generica", dict(FILED))
    db.session.commit()
    assert _party("12345678Z").email == "antic@example.cat"
    assert _party("87654321X").email == "jordi@proveidor.example"


def test_an_invalid_e_mail_in_the_e_office_is_refused_beside_its_field(client, town):  # noqa: F811
    ctx = _clerk(town)
    find_or_create_party(ctx, "12345678Z", "Maria Puig i Serra", email="antic@example.cat")
    db.session.commit()
    citizen_login(client, town.code)
    refused = _file(client, town, {"email": "maria@"})
    assert refused.status_code == 422
    page = lxml_html.fromstring(refused.get_data(as_text=True))
    assert "maria@" in page.get_element_by_id("email-error").text_content()
    assert page.get_element_by_id("email").get("value") == "maria@"
    db.session.expire_all()
    assert _party("12345678Z").email == "antic@example.cat" and _count(RegistryEntry) == 0


# -- the e-office: rejecting a notification -----------------------------------------------------------


def test_rejecting_a_notification_needs_the_citizen_to_confirm_its_effect(client, town):  # noqa: F811
    ctx = _clerk(town)
    citizen_login(client, town.code)
    _file(client, town)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    note, _doc = _notify_resolution(ctx, expedient.id)
    path = f"/seu/{town.code}/notificacions/{note.id}"
    page = lxml_html.fromstring(client.get(path).get_data(as_text=True))
    box = page.get_element_by_id("understood")
    assert box.get("type") == "checkbox" and box.get("required") is not None
    assert "41.5" in page.get_element_by_id("reject-consequence").text_content()
    evidence = _count(NotificationEvidence)

    token = token_of(client.get(path).get_data(as_text=True))
    unconfirmed = client.post(f"{path}/rebutjar", data={"csrf_token": token})
    assert unconfirmed.status_code == 422
    page = lxml_html.fromstring(unconfirmed.get_data(as_text=True))
    assert page.get_element_by_id("understood-error").text_content().strip()
    assert "understood-error" in page.get_element_by_id("understood").get("aria-describedby")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).state == "pending" and _count(NotificationEvidence) == evidence

    confirmed = client.post(f"{path}/rebutjar", data={"csrf_token": token, "understood": "1"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, note.id).state == "rejected"


# -- what the interested party presented is kept as presented -----------------------------------------


def _upload(client, eid, origin, name):
    return client.post(f"/expedients/{eid}/documents", content_type="multipart/form-data",
                       data={"csrf_token": token(client), "file": (io.BytesIO(b"%PDF-1.4\n" + name.encode()), name),
                             "title": name, "tipo_documental": "TD14", "origin": origin})


def test_a_document_the_citizen_presented_has_no_new_version(client, world):
    eid = open_case(world).expedient.id
    login_en(client, "anna")
    assert _upload(client, eid, "citizen", "plànol.pdf").status_code == 302
    assert _upload(client, eid, "administration", "informe.pdf").status_code == 302
    presented = db.session.execute(select(Document).where(Document.file_name == "plànol.pdf")).scalar_one()
    own = db.session.execute(select(Document).where(Document.file_name == "informe.pdf")).scalar_one()
    page = lxml_html.fromstring(client.get(f"/expedients/{eid}").get_data(as_text=True))
    assert not page.xpath(f'//tr[@data-document-id="{presented.id}"]//details[contains(@class, "new-version")]')
    assert page.xpath(f'//tr[@data-document-id="{own.id}"]//details[contains(@class, "new-version")]')

    refused = client.post(f"/expedients/{eid}/documents/{presented.id}/versions", content_type="multipart/form-data",
                          data={"csrf_token": token(client), "file": (io.BytesIO(b"%PDF-1.4 altered"), "x.pdf")})
    assert refused.status_code == 409
    message = field_error(refused.get_data(as_text=True), f"version-{presented.id}") or ""
    assert "kept as presented" in message and "own document" in message
    assert _count(Document) == 2
