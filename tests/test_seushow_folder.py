"""What the citizen's folder says the town hall waits for: what she must do, about which notified
document, and by when, in her words, never the name of a step of the diagram ("Resposta o termini",
"Justificació o termini"); and nothing at all for waits that are not hers to answer."""

from __future__ import annotations

import io

import pytest
from lxml import html as lxml_html
from sqlalchemy import select

from engine.base.db import db
from engine.base.formats import format_day
from engine.documents.documents import issue_document, store_document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party
from engine.notifications.notifications import notify
from engine.process.instances import tasks as instances
from engine.process.instances.messages import AwaitedMessage, deliver_message
from engine.process.models import HumanTask
from tests.conftest import ctx_for, make_user
from tests.engine_helpers import make_version
from tests.test_seu import PDF, _file, citizen_login, esmena_version, token_of

STEP_NAMES = (
    "Resposta o termini",
    "Justificació o termini",
    "Resposta, ampliació o termini",
    "Resolució de la convocatòria",
    "Justificació presentada",
)


@pytest.fixture
def clerk(tenant):
    user = make_user("clerk", tenant, ("tramitador", "admin", "secretari"))
    db.session.commit()
    return ctx_for(user, tenant)


def _page(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _no_step_names(tree) -> None:
    main = _text(tree.find(".//main"))
    assert not [name for name in STEP_NAMES if name in main], main


def _ready(expedient_id: int) -> HumanTask:
    return db.session.execute(select(HumanTask).where(HumanTask.expedient_id == expedient_id,
                                                      HumanTask.state == "ready")).scalar_one()  # fmt: skip


def _notify_requeriment(ctx, expedient_id: int) -> tuple[int, int]:
    """The town hall notifies Maria the requeriment d'esmena: (the notification's id, its document's id)."""
    doc = store_document(ctx, expedient_id, "requeriment.pdf", PDF, title="Requeriment d'esmena",
                         tipo_documental="TD01", from_administration=True)  # fmt: skip
    issue_document(ctx, doc.id)
    party = db.session.execute(select(Party).where(Party.nif == "12345678Z")).scalar_one()
    note = notify(ctx, expedient_id, party.id, doc.id, "electronic")
    db.session.commit()
    return note.id, doc.id


def _waiting() -> AwaitedMessage:
    return db.session.execute(select(AwaitedMessage).where(AwaitedMessage.state == "waiting")).scalar_one()


def test_the_requeriment_is_named_by_its_document_with_the_date_and_the_answer_page_links_it(client, tenant, clerk):
    esmena_version(tenant.id)
    citizen_login(client, tenant.code)
    _file(client, tenant)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    instances.complete_task(clerk, _ready(expedient.id).id, {"completa": False})
    note_id, doc_id = _notify_requeriment(clerk, expedient.id)
    instances.complete_task(clerk, _ready(expedient.id).id, {"documents_requerits": "Plànol de situació signat"})
    db.session.commit()
    awaited = _waiting()
    due = format_day(awaited.due_at, "ca")
    notification_link = f"/seu/{tenant.code}/notificacions/{note_id}"

    folder = _page(client, f"/seu/{tenant.code}/carpeta")
    _no_step_names(folder)
    line = folder.find_class("mb-1")[0]
    assert "Requeriment d'esmena" in _text(line) and due in _text(line)
    # not opened yet: the title leads to the notification, where she opens it
    assert line.xpath(".//a[@data-asked-document]/@href") == [notification_link]

    page = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}")
    _no_step_names(page)
    asked = page.xpath(f'//*[@data-asked="{awaited.id}"]')[0]
    assert "Requeriment d'esmena" in _text(asked) and due in _text(asked)

    # once she opened the notification, the title downloads the document itself
    token = token_of(client.get(notification_link).get_data(as_text=True))
    client.post(f"{notification_link}/obrir", data={"csrf_token": token})
    answer = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}/requeriments/{awaited.id}")
    _no_step_names(answer)
    asked = answer.get_element_by_id("asked")
    assert "Requeriment d'esmena" in _text(asked) and due in _text(asked)
    assert asked.xpath(".//a/@href") == [f"/seu/{tenant.code}/documents/{doc_id}"]
    assert client.get(f"/seu/{tenant.code}/documents/{doc_id}").data == PDF

    # in English, the words of the msgids
    client.post("/locale", data={"locale": "en", "csrf_token": token})
    page = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}")
    due_en = format_day(awaited.due_at, "en")
    assert _text(page.xpath(f'//*[@data-asked="{awaited.id}"]')[0]) == (
        f"Answer the document “Requeriment d'esmena” by {due_en}."
    )


def test_asking_for_more_time_keeps_the_requeriment_it_is_about(client, tenant, clerk):
    esmena_version(tenant.id)
    citizen_login(client, tenant.code)
    _file(client, tenant)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    instances.complete_task(clerk, _ready(expedient.id).id, {"completa": False})
    _notify_requeriment(clerk, expedient.id)
    instances.complete_task(clerk, _ready(expedient.id).id, {"documents_requerits": "Plànol de situació signat"})
    db.session.commit()
    first = _waiting()
    page = client.get(f"/seu/{tenant.code}/carpeta/{expedient.id}").get_data(as_text=True)
    extended = client.post(f"/seu/{tenant.code}/carpeta/{expedient.id}/requeriments/{first.id}/extension",
                           data={"csrf_token": token_of(page)})  # fmt: skip
    assert extended.status_code == 302, extended.get_data(as_text=True)
    db.session.expire_all()
    second = _waiting()
    assert second.id != first.id
    page = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}")
    asked = page.xpath(f'//*[@data-asked="{second.id}"]')[0]
    assert "Requeriment d'esmena" in _text(asked) and format_day(second.due_at, "ca") in _text(asked)


def test_waits_that_are_not_hers_are_not_shown_and_an_answered_requeriment_is_not_asked_again(client, tenant, clerk):
    make_version(tenant.id, "seushow_call_requeriment_justification", "instancia_generica")
    db.session.commit()
    citizen_login(client, tenant.code)
    _file(client, tenant)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    instance_id = _waiting().instance_id

    # The procedure waits for the resolution of a grant call: nothing for her to do.
    folder = _page(client, f"/seu/{tenant.code}/carpeta")
    _no_step_names(folder)
    assert not folder.xpath("//*[@data-asked]") and "/requeriments/" not in _text(folder)
    page = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}")
    assert page.find(".//*[@id='answer-requeriment']") is None
    assert not page.xpath("//*[@data-asked]")

    deliver_message(clerk, instance_id, "resolucio_convocatoria", {"sentit": "concedir"})
    _notify_requeriment(clerk, expedient.id)
    instances.complete_task(clerk, _ready(expedient.id).id, {})
    db.session.commit()
    requeriment = _waiting()
    page = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}")
    _no_step_names(page)
    assert "Requeriment d'esmena" in _text(page.xpath(f'//*[@data-asked="{requeriment.id}"]')[0])

    path = f"/seu/{tenant.code}/carpeta/{expedient.id}/requeriments/{requeriment.id}"
    token = token_of(client.get(path).get_data(as_text=True))
    answered = client.post(path, data={"csrf_token": token, "text": "Adjunto el plànol",
                                       "documents": [(io.BytesIO(PDF), "planol.pdf")]},
                           content_type="multipart/form-data")  # fmt: skip
    assert answered.status_code == 302, answered.get_data(as_text=True)
    instances.complete_task(clerk, _ready(expedient.id).id, {})
    db.session.commit()

    # Now it waits for the justification: the requeriment she answered is not what it asks.
    justification = _waiting()
    page = _page(client, f"/seu/{tenant.code}/carpeta/{expedient.id}")
    _no_step_names(page)
    asked = page.xpath(f'//*[@data-asked="{justification.id}"]')[0]
    assert "Requeriment d'esmena" not in _text(asked) and not asked.xpath(".//a")
    assert format_day(justification.due_at, "ca") in _text(asked)
    client.post("/locale", data={"locale": "en", "csrf_token": token})
    page = _page(client, f"/seu/{tenant.code}/carpeta")
    assert _text(page.xpath(f'//*[@data-asked="{justification.id}"]')[0]) == (
        f"Send the town hall what it asked you for by {format_day(justification.due_at, 'en')}."
    )
