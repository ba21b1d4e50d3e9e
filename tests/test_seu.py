"""The citizen e-office through the test client: catalogue, identification through the
development OpenID provider, filing (all or nothing), la meva carpeta, requeriments,
notifications, and that nobody sees anyone else's expedients."""


from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import holidays
import pytest
from flask.testing import FlaskClient
from lxml import html as lxml_html
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.base.clock import MADRID
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.citizens import filing
from engine.citizens.identity import CitizenIdentity
from engine.documents.documents import Document, issue_document, store_document
from engine.documents.tenant_logo import set_logo
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, Party
from engine.notifications.notifications import Notification, NotificationEvidence, notify
from engine.process.instances import tasks as instances
from engine.process.instances.messages import AwaitedMessage, deliver_in_transaction
from engine.process.models import HumanTask, ProcessInstance, ProcessVersion
from engine.registry.entries import RegistryEntry, Upload
from tests.conftest import ctx_for, make_tenant, make_user, settings_changed
from tests.engine_helpers import make_version
from tests.public_pages import municipality_frame
from tests.services import run_queued_jobs
from tests.test_branding import PNG

FORMS = {
    "seu_revisar.json": {
        "type": "object",
        "required": ["completa"],
        "properties": {"completa": {"type": "boolean"}, "observacions": {"type": "string"}},
    },
    "seu_requerir.json": {
        "type": "object",
        "required": ["documents_requerits"],
        "properties": {"documents_requerits": {"type": "string", "minLength": 3}},
    },
    "seu_resoldre.json": {"type": "object", "properties": {"resolucio": {"type": "string"}}},
}
REQUEST = {"f_assumpte": "Gual permanent", "f_exposo": "Tinc un garatge al carrer Major 3.",
           "f_sollicito": "Una placa de gual permanent."}  # fmt: skip


def esmena_version(tenant_id: int) -> ProcessVersion:
    """The fixture (an instància genèrica with a requeriment) as the tenant's own published model."""
    return make_version(tenant_id, "seu_instancia_esmena", "instancia_generica", forms=FORMS)


def token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def citizen_login(
    client: FlaskClient, tenant_code: str, nif: str = "12345678Z", name: str = "Maria Puig i Serra"
) -> None:
    """Through the real OIDC code path: e-office -> dev IdP authorize -> callback -> folder."""
    to_idp = client.get(f"/seu/{tenant_code}/entrar")
    assert to_idp.status_code == 302, to_idp.get_data(as_text=True)
    location = urlsplit(to_idp.headers["Location"])
    assert location.path == "/dev-idp/authorize"
    page = client.get(f"{location.path}?{location.query}")
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.get_data(as_text=True)))
    fields.update(nif=nif, name=name)
    back = client.post(f"{location.path}?{location.query}", data=fields)
    assert back.status_code == 302, back.get_data(as_text=True)
    callback = urlsplit(back.headers["Location"])
    landed = client.get(f"{callback.path}?{callback.query}")
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert landed.headers["Location"].endswith(f"/seu/{tenant_code}/carpeta")






MARIA = CitizenIdentity("12345678Z", "Maria Puig i Serra")
JORDI = CitizenIdentity("87654321X", "Jordi Vidal Roca")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00"
NOT_ACCEPTED = "{}: No s'accepta aquest tipus de fitxer."


@pytest.fixture
def town(tenant):
    esmena_version(tenant.id)
    return tenant


def _clerk(tenant):
    user = make_user("clerk", tenant, ("tramitador", "admin", "secretari"))
    db.session.commit()
    return ctx_for(user, tenant)


def _file(client, town, extra=None, files=None):
    path = f"/seu/{town.code}/tramits/instancia_generica/sollicitud"
    token = token_of(client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, **REQUEST, **(extra or {})}
    data["documents"] = files if files is not None else [(io.BytesIO(PDF), "plànol.pdf")]
    return client.post(path, data=data, content_type="multipart/form-data")


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _require_amendment(ctx, expedient_id):
    """The clerk finds the request incomplete and requires the applicant to amend it."""
    task = db.session.execute(select(HumanTask).where(HumanTask.expedient_id == expedient_id,
                                                      HumanTask.state == "ready")).scalar_one()  # fmt: skip
    assert task.element_id == "Task_revisar" and task.role == "tramitador"
    result = instances.complete_task(ctx, task.id, {"completa": False})
    task = db.session.get(HumanTask, result["ready_tasks"][0]["id"])
    assert task.name == "Requerir esmena"
    return instances.complete_task(ctx, task.id, {"documents_requerits": "Plànol de situació signat"})


# -- public pages ------------------------------------------------------------------------------


def test_municipalities_and_catalogue_are_public(client, town):
    provincial = make_tenant("diputacio", "Diputació de Proves", kind="provincial", dir3="L02000025", ine_code=None)
    db.session.commit()
    listing = client.get("/seu/").get_data(as_text=True)
    assert f'href="/seu/{town.code}/"' in listing and provincial.name not in listing
    assert client.get(f"/seu/{provincial.code}/").status_code == 404
    assert client.get("/seu/no-such-town/").status_code == 404
    home = client.get(f"/seu/{town.code}/")
    assert home.status_code == 200
    assert 'href="/seu/ajt-proves/tramits/instancia_generica"' in home.get_data(as_text=True)


def test_the_e_office_its_notice_board_and_its_portal_lead_to_each_other_under_its_name_and_logo(client, town):
    home, nav = municipality_frame(client.get(f"/seu/{town.code}/").get_data(as_text=True), town.code, town.name)
    assert nav[f"/tauler/{town.code}/"] == "Tauler d'anuncis"
    assert nav[f"/transparencia/{town.code}/"] == "Portal de transparència"
    assert not home.xpath("//header//img")  # no logo yet
    admin = ctx_for(make_user("admin", town, ("admin",)), town)
    set_logo(admin, "escut.png", PNG)
    db.session.commit()
    for path in (f"/tauler/{town.code}/", f"/transparencia/{town.code}/", f"/seu/{town.code}/"):
        page, nav = municipality_frame(client.get(path).get_data(as_text=True), town.code, town.name)
        assert page.xpath('//header//nav//a[@aria-current="page"]/@href') == [path]  # where the citizen is
        [logo] = page.xpath('//header//a[@class="seu-brand"]/img')
        assert logo.get("src") == f"/tenants/{town.code}/logo" and logo.get("alt") == ""  # the name says it
    assert client.get(f"/tenants/{town.code}/logo").data == PNG


def test_procedure_sheet_states_term_silence_and_documents(client, town):
    client.post("/locale", data={"locale": "en", "csrf_token": token_of(client.get("/seu/").get_data(as_text=True))})
    html = client.get(f"/seu/{town.code}/tramits/instancia_generica").get_data(as_text=True)
    assert "General request" in html  # the English citizen information
    assert "3 months" in html
    assert "Negative" in html  # a generic request is a petition: negative silence (art. 24.1)
    assert "Documents supporting what you state" in html
    assert 'id="start-filing"' in html
    assert client.get(f"/seu/{town.code}/tramits/no_such_procedure").status_code == 404


def test_seu_pages_have_no_inline_script_or_style(client, town):
    citizen_login(client, town.code)
    for path in (f"/seu/{town.code}/", f"/seu/{town.code}/tramits/instancia_generica",
                 f"/seu/{town.code}/tramits/instancia_generica/sollicitud", f"/seu/{town.code}/carpeta"):  # fmt: skip
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html, path
        assert 'href="#main"' in html and 'lang="' in html


# -- identity ----------------------------------------------------------------------------------


def test_filing_needs_identification_through_the_provider(client, town):
    response = client.get(f"/seu/{town.code}/tramits/instancia_generica/sollicitud")
    assert response.status_code == 302 and "/seu/ajt-proves/entrar" in response.headers["Location"]
    citizen_login(client, town.code)
    html = client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True)
    assert "Maria Puig i Serra" in html
    # The citizen session is not a staff session.
    assert client.get("/tasks").status_code == 302


def test_dev_provider_offers_the_demo_citizens_first(client, town):
    """Whoever tries `gee demo` enters as a citizen whose requests the demo filed with one click."""
    location = urlsplit(client.get(f"/seu/{town.code}/entrar").headers["Location"])
    html = client.get(f"{location.path}?{location.query}").get_data(as_text=True)
    offered = re.findall(r'data-nif="([^"]+)"', html)
    assert offered[:3] == ["47110023C", "39847512N", "52163478F"]  # Maria Soler Vidal, as README says
    assert "Maria Soler Vidal · 47110023C" in html and "12345678Z" in offered


def test_dev_provider_rejects_a_wrong_client_secret_and_forged_codes(client, town):
    answer = client.post("/dev-idp/token", data={"grant_type": "authorization_code", "code": "x",
                                                  "client_id": "gee-dev", "client_secret": "wrong"})  # fmt: skip
    assert answer.status_code == 401
    forged = {"grant_type": "authorization_code", "code": "forged", "client_id": "gee-dev",
              "client_secret": "gee-dev-secret"}  # fmt: skip
    answer = client.post("/dev-idp/token", data=forged)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"


def test_dev_provider_is_off_in_production(app, client, town):
    with settings_changed(app, env="production"):
        assert client.get("/dev-idp/.well-known/openid-configuration").status_code == 404
        assert client.get(f"/seu/{town.code}/entrar").status_code == 503  # no GEE_OIDC_ISSUER configured


def test_logout_leaves_the_citizen_session(client, town):
    citizen_login(client, town.code)
    token = token_of(client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True))
    assert client.post(f"/seu/{town.code}/sortir", data={"csrf_token": token}).status_code == 302
    assert client.get(f"/seu/{town.code}/carpeta").status_code == 302


# -- filing ------------------------------------------------------------------------------------


def test_filing_registers_opens_and_starts_in_one_go(client, town):
    citizen_login(client, town.code)
    response = _file(client, town)
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = db.session.execute(select(RegistryEntry)).scalar_one()
    expedient = db.session.execute(select(Expedient)).scalar_one()
    assert entry.channel == "electronic" and entry.expedient_id == expedient.id
    assert entry.number.startswith("E/") and entry.number.endswith("/000001")
    # The extract is what she wrote, in her words (art. 66.1.b: facts, reasons and request).
    assert entry.summary == "Gual permanent · Tinc un garatge al carrer Major 3. · Una placa de gual permanent."
    assert expedient.subject == "Instància genèrica: Gual permanent"
    party = db.session.execute(select(Party)).scalar_one()
    assert party.nif == "12345678Z" and party.preferred_channel == "electronic"
    instance = db.session.execute(select(ProcessInstance)).scalar_one()
    assert instance.expedient_id == expedient.id and instance.started_by == "seu:12345678Z"
    task = db.session.execute(select(HumanTask)).scalar_one()
    assert (task.name, task.role, task.state) == ("Revisar la sol·licitud", "tramitador", "ready")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="filed-receipt"' in page and entry.number in page
    run_queued_jobs()  # the receipt's job (in-process without Redis: already done)
    db.session.refresh(entry)
    receipt = client.get(f"/seu/{town.code}/documents/{entry.receipt_document_id}")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
    printed = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.data)).pages).split())
    assert "Extracte" in printed and "Una placa de gual permanent." in printed  # the citizen keeps what she asked
    # what she attached, not the request the e-office printed (TD14)
    presented = db.session.execute(select(Document).where(Document.from_administration.is_(False),
                                                          Document.tipo_documental != "TD14")).scalar_one()
    assert presented.file_name == "plànol.pdf"
    assert client.get(f"/seu/{town.code}/documents/{presented.id}").data == PDF


def test_filing_for_an_entity_links_the_representative(client, town):
    citizen_login(client, town.code)
    response = _file(client, town, {"on_behalf": "1", "represented_nif": "B12345674",
                                    "represented_name": "Fusteria Serra SL"})  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    links = {(link.party.nif, link.role) for link in db.session.execute(select(ExpedientParty)).scalars()}
    assert links == {("B12345674", "interessat"), ("12345678Z", "representant")}
    # The declaration accredits nothing lasting (art. 5.6): only a registered power does.
    entity = db.session.execute(select(Party).where(Party.nif == "B12345674")).scalar_one()
    assert entity.representative is None
    folder = client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True)
    assert 'data-role="presentador"' in folder


def refused_form(response, form_id: str = "filing-form", summary_id: str = "filing-errors",
                 status: int = 422) -> tuple[Any, Any]:
    """The form of a refused submit (the filing form unless named) and its error summary, which it
    carries itself: no alert outside it (a flash would stay on screen after the citizen corrects
    the fields)."""
    assert response.status_code == status, response.get_data(as_text=True)
    page = lxml_html.fromstring(response.get_data(as_text=True))
    assert not page.xpath('//main//*[@role="alert"][not(ancestor::form)]')
    form = page.get_element_by_id(form_id)
    assert form.get("data-live-errors") == summary_id
    summaries = form.xpath(f'.//*[@id="{summary_id}"]')
    assert len(summaries) == 1 and summaries[0].get("role") == "alert"
    return form, summaries[0]


def summary_lines(summary) -> list[tuple[str | None, str | None, str]]:
    """(the message it goes with, the field it links to, its text) of each line of a summary."""
    lines = []
    for li in summary.xpath(".//li"):
        link = li.find("a")
        lines.append((li.get("data-error-for"), link.get("href") if link is not None else None,
                      li.text_content()))  # fmt: skip
    return lines


def test_invalid_request_is_refused_and_saves_nothing(client, town):
    citizen_login(client, town.code)
    response = _file(client, town, {"f_sollicito": "", "f_exposo": ""})
    form, summary = refused_form(response)
    assert "Alguns camps no són vàlids. Reviseu els missatges" in summary.text_content()
    # a line per refused field, in the order of the form, each linking to its field and going with its message
    lines = summary_lines(summary)
    expected = [("f_exposo-error", "#f_exposo"), ("f_sollicito-error", "#f_sollicito")]
    assert [(error_id, href) for error_id, href, _text in lines] == expected
    for error_id, href, text in lines:
        field = form.get_element_by_id(href[1:])
        assert field.get("aria-invalid") == "true" and field.get("aria-describedby") == error_id
        assert form.get_element_by_id(error_id).text_content() in text
    assert _count(RegistryEntry) == _count(Expedient) == _count(Party) == _count(Document) == 0
    # A form not yet sent has no summary.
    fresh = client.get(f"/seu/{town.code}/tramits/instancia_generica/sollicitud").get_data(as_text=True)
    assert 'id="filing-errors"' not in fresh and 'data-live-errors="filing-errors"' in fresh


def test_refusals_found_after_the_form_check_are_in_the_summary_too(client, town, monkeypatch):
    citizen_login(client, town.code)
    # the e-mail is checked when the party is recorded; the message goes next to it, not in a flash
    form, summary = refused_form(_file(client, town, {"email": "maria-at-example"}))
    assert [line[:2] for line in summary_lines(summary)] == [("email-error", "#email")]
    assert "maria-at-example" in form.get_element_by_id("email-error").text_content()
    assert form.get_element_by_id("email").get("aria-invalid") == "true"
    # whose fields are checked only on behalf of someone, so unticking it clears them (gee.js)
    form, summary = refused_form(_file(client, town, {"on_behalf": "1", "represented_nif": "B12345674"}))
    assert [line[:2] for line in summary_lines(summary)] == [("represented_name-error", "#represented_name")]
    assert form.get_element_by_id("represented").get("data-depends-on") == "on_behalf"
    # too many files
    too_many = [(io.BytesIO(PDF), f"{n}.pdf") for n in range(filing.MAX_FILES + 1)]
    form, summary = refused_form(_file(client, town, files=too_many))
    assert [line[:2] for line in summary_lines(summary)] == [("documents-error", "#documents")]
    # a file of a type not accepted: beside the documents, naming the file, in words (not its MIME type)
    form, summary = refused_form(_file(client, town, files=[(io.BytesIO(EXE), "planol.exe")]))
    assert [line[:2] for line in summary_lines(summary)] == [("documents-error", "#documents")]
    assert form.get_element_by_id("documents-error").text_content() == NOT_ACCEPTED.format("planol.exe")
    # an empty file is refused by its name, not dropped in silence (she would believe it presented)
    form, summary = refused_form(_file(client, town, files=[(io.BytesIO(PDF), "dni.pdf"),
                                                            (io.BytesIO(b""), "planol.pdf")]))
    assert form.get_element_by_id("documents-error").text_content() == "planol.pdf: El fitxer és buit."

    # a refusal that names no field is still said, in the summary
    def refuse(*_args, **_kwargs):
        raise ValidationFailed("No es pot presentar ara.")

    monkeypatch.setattr(filing, "file_request", refuse)
    form, summary = refused_form(_file(client, town))
    assert summary_lines(summary) == [(None, None, "No es pot presentar ara.")]
    assert _count(RegistryEntry) == _count(Expedient) == 0


def test_failed_start_leaves_nothing_behind_and_gives_the_numbers_back(town):
    pinned = db.session.execute(select(ProcessVersion)).scalar_one()
    good_spec = pinned.spec_json
    pinned.spec_json = '{"spec": "damaged"}'  # a version whose stored spec cannot be loaded
    db.session.commit()
    request = {"assumpte": "Gual", "exposo": "Tinc un garatge.", "sollicito": "Una placa."}
    with pytest.raises(Exception):
        filing.file_request(town, MARIA, "instancia_generica", request, [Upload("a.pdf", PDF)])
    assert _count(RegistryEntry) == _count(Expedient) == _count(Party) == _count(Document) == 0
    assert _count(ProcessInstance) == 0
    pinned.spec_json = good_spec
    db.session.commit()
    done = filing.file_request(town, MARIA, "instancia_generica", request, [Upload("a.pdf", PDF)])
    assert done.entry_number.endswith("/000001") and done.expedient_number.endswith("/000001")


# -- la meva carpeta, requeriment --------------------------------------------------------------


def test_folder_says_where_it_stands_and_the_requeriment_to_answer(client, town):
    ctx = _clerk(town)
    citizen_login(client, town.code)
    _file(client, town)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    folder = client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True)
    # What the town hall does, in the citizen's words (not the name of an internal step), and by when.
    assert expedient.number in folder and "L'ajuntament l'està tramitant." in folder
    assert "Revisar la sol·licitud" not in folder
    assert "L'ha de resoldre i notificar-vos-ho com a molt tard" in folder
    _require_amendment(ctx, expedient.id)
    awaited = db.session.execute(select(AwaitedMessage)).scalar_one()
    assert awaited.state == "waiting" and awaited.due_at is not None  # 10 working days (art. 68)
    page = client.get(f"/seu/{town.code}/carpeta/{expedient.id}").get_data(as_text=True)
    assert 'id="answer-requeriment"' in page and "L'ajuntament espera la vostra resposta." in page
    # What she is asked, in her words, not the waiting step's name ("Resposta, ampliació o termini")
    assert f'data-asked="{awaited.id}"' in page and awaited.name not in page
    client.post("/locale", data={"locale": "es", "csrf_token": token_of(page)})
    page = client.get(f"/seu/{town.code}/carpeta/{expedient.id}").get_data(as_text=True)
    assert "Respuesta, ampliación o plazo" not in page and awaited.name not in page
    client.post("/locale", data={"locale": "ca", "csrf_token": token_of(page)})
    path = f"/seu/{town.code}/carpeta/{expedient.id}/requeriments/{awaited.id}"
    token = token_of(client.get(path).get_data(as_text=True))
    empty = client.post(path, data={"csrf_token": token}, content_type="multipart/form-data")
    # said once, in the form's own summary and beside the documents; no flash to outlive the correction
    form, summary = refused_form(empty, "answer-form", "answer-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("documents-error", "#documents")]
    message = form.get_element_by_id("documents-error").text_content()
    assert message == "Adjunteu els documents que se us han demanat o escriviu la vostra resposta."
    assert form.get_element_by_id("documents").get("aria-describedby") == "documents-error"
    # writing the answer answers it as much as attaching: typing clears the documents' message (gee.js)
    assert form.get_element_by_id("documents").getparent().get("data-depends-on") == "text"
    assert _count(RegistryEntry) == 1
    wrong_file = client.post(path, data={"csrf_token": token, "text": "Adjunto el plànol",
                                         "documents": [(io.BytesIO(EXE), "planol.exe")]},
                             content_type="multipart/form-data")  # fmt: skip
    form, summary = refused_form(wrong_file, "answer-form", "answer-errors")
    assert form.get_element_by_id("documents-error").text_content() == NOT_ACCEPTED.format("planol.exe")
    assert _count(RegistryEntry) == 1
    assert ">Adjunto el plànol</textarea>" in wrong_file.get_data(as_text=True)  # what she wrote is kept
    # nothing of the refusal is left on the next page she opens
    assert 'role="alert"' not in client.get(f"/seu/{town.code}/carpeta/{expedient.id}").get_data(as_text=True)
    answered = client.post(path, data={"csrf_token": token, "text": "Adjunto el plànol",
                                       "documents": [(io.BytesIO(PDF), "planol-signat.pdf")]},
                           content_type="multipart/form-data")  # fmt: skip
    assert answered.status_code == 302, answered.get_data(as_text=True)
    entries = list(db.session.execute(select(RegistryEntry).order_by(RegistryEntry.id)).scalars())
    assert [e.number[-6:] for e in entries] == ["000001", "000002"] and entries[1].expedient_id == expedient.id
    db.session.expire_all()
    assert db.session.get(AwaitedMessage, awaited.id).state == "received"
    ready = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    assert ready.element_id == "Task_resoldre"
    data = instances.show_instance(ctx, ready.instance_id)["data"]["resposta_requeriment"]
    assert data["late"] is False and data["registre_entrada"] == entries[1].number
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"registry.requeriment_answer", "message.delivered"} <= actions
    assert client.get(path).status_code == 404  # answered: nothing to answer any more


def _amendment_required(client, town) -> tuple[Any, Expedient, AwaitedMessage]:
    """Maria files through the e-office and the clerk requires her to amend it: (the clerk, the expedient,
    the wait for her answer)."""
    ctx = _clerk(town)
    citizen_login(client, town.code)
    _file(client, town)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    _require_amendment(ctx, expedient.id)
    return ctx, expedient, db.session.execute(select(AwaitedMessage)).scalar_one()


def _working_days_between(after: date, until: date) -> int:
    """Working days in (after, until] by the law's own reckoning (art. 30.2 Ley 39/2015: Saturdays,
    Sundays and holidays are not working days), with Catalonia's holidays from the holidays package."""
    catalan = holidays.country_holidays("ES", subdiv="CT", years=range(after.year, until.year + 1))
    days = (after + timedelta(days=n) for n in range(1, (until - after).days + 1))
    return sum(1 for d in days if d.weekday() < 5 and d not in catalan)


def test_the_applicant_asks_once_for_five_more_working_days(client, town):
    _ctx, expedient, first = _amendment_required(client, town)
    first_end = first.due_at.astimezone(MADRID).date()
    page_url = f"/seu/{town.code}/carpeta/{expedient.id}"
    page = client.get(page_url).get_data(as_text=True)
    assert 'id="extension-form"' in page and 'id="answer-requeriment"' in page
    asked = client.post(f"{page_url}/requeriments/{first.id}/extension", data={"csrf_token": token_of(page)})
    assert asked.status_code == 302
    entries = list(db.session.execute(select(RegistryEntry).order_by(RegistryEntry.id)).scalars())
    assert len(entries) == 2 and entries[1].expedient_id == expedient.id  # the request is a registry entry
    db.session.expire_all()
    waits = list(db.session.execute(select(AwaitedMessage).order_by(AwaitedMessage.id)).scalars())
    assert [w.state for w in waits] == ["received", "waiting"]
    second_end = waits[1].due_at.astimezone(MADRID).date()
    # art. 68.2: five more working days, counted after the last day of the original term
    assert _working_days_between(first_end, second_end) == 5 and second_end.weekday() < 5
    page = client.get(page_url).get_data(as_text=True)
    assert 'id="extension-form"' not in page and 'id="answer-requeriment"' in page  # only once
    again = client.post(f"{page_url}/requeriments/{first.id}/extension", data={"csrf_token": token_of(page)})
    assert again.status_code == 409 and _count(RegistryEntry) == 2
    # the page she was on, saying why, once (no flash besides)
    assert again.get_data(as_text=True).count("ja no es pot ampliar") == 1
    refusal = lxml_html.fromstring(again.get_data(as_text=True)).get_element_by_id("extension-error")
    assert refusal.get("role") == "alert" and 'id="answer-requeriment"' in again.get_data(as_text=True)
    done = filing.answer_requeriment(town, MARIA, expedient.id, waits[1].id, text="Adjunto el plànol signat")
    db.session.commit()
    assert done.late is False
    ready = db.session.execute(select(HumanTask).where(HumanTask.state == "ready")).scalar_one()
    assert ready.element_id == "Task_resoldre"


def test_no_extension_once_the_term_has_ended(town):
    ctx = _clerk(town)
    done = filing.file_request(town, MARIA, "instancia_generica",
                               {"assumpte": "Gual", "exposo": "Garatge.", "sollicito": "Placa."})  # fmt: skip
    _require_amendment(ctx, done.expedient_id)
    awaited = db.session.execute(select(AwaitedMessage)).scalar_one()
    # the term ended a second ago and the sweep has not fired its timer yet (art. 32.3: an extension
    # must be asked for, and granted, before the term ends)
    awaited.due_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Conflict, match="already ended"):
        filing.request_extension(town, MARIA, done.expedient_id, awaited.id)
    assert _count(RegistryEntry) == 1


def test_an_extension_asked_once_the_term_ended_is_refused_beside_its_button(client, town):
    _ctx, expedient, awaited = _amendment_required(client, town)
    awaited.due_at = datetime.now(UTC) - timedelta(seconds=1)  # the sweep has not fired its timer yet
    db.session.commit()
    page_url = f"/seu/{town.code}/carpeta/{expedient.id}"
    token = token_of(client.get(page_url).get_data(as_text=True))
    refused = client.post(f"{page_url}/requeriments/{awaited.id}/extension", data={"csrf_token": token})
    assert refused.status_code == 409 and _count(RegistryEntry) == 1
    page = lxml_html.fromstring(refused.get_data(as_text=True))
    section = page.xpath(f'//section[@aria-labelledby="awaited-{awaited.id}"]')[0]
    message = section.xpath('.//*[@id="extension-error"]')
    assert len(message) == 1 and message[0].get("role") == "alert"
    assert message[0].text_content() == "El termini ja ha acabat: l'ampliació s'ha de demanar abans que acabi."
    button = section.xpath('.//form[@id="extension-form"]//button')[0]
    assert button.get("aria-describedby").split() == [f"extension-help-{awaited.id}", "extension-error"]
    assert len(page.xpath('//*[@role="alert"]')) == 1  # no flash besides
    # what she can still do is still there: answer, late
    assert section.xpath('.//*[@id="answer-requeriment"]')


def test_an_answer_after_the_deadline_is_delivered_but_recorded_late(town):
    ctx = _clerk(town)
    done = filing.file_request(town, MARIA, "instancia_generica",
                               {"assumpte": "Gual", "exposo": "Garatge.", "sollicito": "Placa."})  # fmt: skip
    _require_amendment(ctx, done.expedient_id)
    awaited = db.session.execute(select(AwaitedMessage)).scalar_one()
    delivery = deliver_in_transaction(ctx, done.instance_id, "resposta_requeriment", {"document_ids": []},
                                      at=awaited.due_at + timedelta(seconds=1))  # fmt: skip
    db.session.commit()
    assert delivery.late is True  # still admitted while the process waits (art. 73.3)
    db.session.expire_all()
    assert db.session.get(AwaitedMessage, awaited.id).late is True
    data = instances.show_instance(ctx, done.instance_id)["data"]["resposta_requeriment"]
    assert data["late"] is True
    assert "message.delivered_late" in set(db.session.execute(select(AuditEvent.action)).scalars())


def test_deliver_message_refuses_when_nothing_waits(town):
    from engine.process.instances.messages import deliver_message

    ctx = _clerk(town)
    done = filing.file_request(town, MARIA, "instancia_generica",
                               {"assumpte": "Gual", "exposo": "Garatge.", "sollicito": "Placa."})  # fmt: skip
    with pytest.raises(Conflict):
        deliver_message(ctx, done.instance_id, "resposta_requeriment", {})


# -- notifications -----------------------------------------------------------------------------


def _notify_resolution(ctx, expedient_id, party_nif="12345678Z"):
    doc = store_document(ctx, expedient_id, "resolucio.pdf", PDF, title="Resolució", tipo_documental="TD01",
                         from_administration=True)
    issue_document(ctx, doc.id)
    party = db.session.execute(select(Party).where(Party.nif == party_nif)).scalar_one()
    note = notify(ctx, expedient_id, party.id, doc.id, "electronic")
    db.session.commit()
    return note, doc


def test_notification_opened_then_document_available(client, town):
    ctx = _clerk(town)
    citizen_login(client, town.code)
    _file(client, town)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    note, doc = _notify_resolution(ctx, expedient.id)
    folder = client.get(f"/seu/{town.code}/carpeta").get_data(as_text=True)
    assert f"/seu/{town.code}/notificacions" in folder
    # The list says which of her expedients it concerns (number and subject, a link), not what it says.
    listed = client.get(f"/seu/{town.code}/notificacions").get_data(as_text=True)
    row = re.search(r'<table class="table" id="notifications">.*?</table>', listed, re.S).group(0)
    assert f'href="/seu/{town.code}/carpeta/{expedient.id}">{expedient.number}</a>' in row
    assert expedient.subject in row and doc.title not in row
    assert client.get(f"/seu/{town.code}/documents/{doc.id}").status_code == 404  # not before access
    page = client.get(f"/seu/{town.code}/notificacions/{note.id}").get_data(as_text=True)
    assert 'id="open-notification"' in page
    opened = client.post(f"/seu/{town.code}/notificacions/{note.id}/obrir", data={"csrf_token": token_of(page)})
    assert opened.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, note.id).state == "accessed"
    evidence = select(NotificationEvidence).order_by(NotificationEvidence.id)
    kinds = [e.kind for e in db.session.execute(evidence).scalars()]
    assert kinds[-1] == "accessed" and len(kinds) == 2
    assert client.get(f"/seu/{town.code}/documents/{doc.id}").data == PDF


def test_notification_rejected(client, town):
    ctx = _clerk(town)
    citizen_login(client, town.code)
    _file(client, town)
    expedient = db.session.execute(select(Expedient)).scalar_one()
    note, doc = _notify_resolution(ctx, expedient.id)
    path = f"/seu/{town.code}/notificacions/{note.id}"
    token = token_of(client.get(path).get_data(as_text=True))
    client.get(client.post(f"{path}/rebutjar", data={"csrf_token": token, "understood": "1"}).headers["Location"])
    db.session.expire_all()
    assert db.session.get(Notification, note.id).state == "rejected"
    assert client.get(f"/seu/{town.code}/documents/{doc.id}").status_code == 404
    # Opened from a page still showing it pending (another tab): refused in words, nothing recorded.
    evidence = _count(NotificationEvidence)
    opened = client.post(f"{path}/obrir", data={"csrf_token": token})
    assert opened.status_code == 409
    page = lxml_html.fromstring(opened.get_data(as_text=True))
    assert page.get_element_by_id("settle-error").text_content() == "Aquesta notificació ja està tancada (rebutjada)."
    assert len(page.xpath('//*[@role="alert"]')) == 1 and not page.xpath('//*[@id="open-notification"]')
    db.session.expire_all()
    assert db.session.get(Notification, note.id).state == "rejected" and _count(NotificationEvidence) == evidence
    assert client.get(f"/seu/{town.code}/documents/{doc.id}").status_code == 404


def test_an_error_in_the_e_office_keeps_its_frame_and_the_way_back(client, town):
    citizen_login(client, town.code)
    missing = client.get(f"/seu/{town.code}/carpeta/999999")
    assert missing.status_code == 404
    page = lxml_html.fromstring(missing.get_data(as_text=True))
    assert page.body.get("class") == "seu" and "Maria Puig i Serra" in page.xpath("//header")[0].text_content()
    assert page.xpath(f'//main//a[@href="/seu/{town.code}/"]')  # back to the e-office, not the staff login
    assert "No s'ha trobat." in page.xpath("//main")[0].text_content()


# -- isolation ---------------------------------------------------------------------------------


def test_another_citizen_sees_none_of_it(app, town):
    ctx = _clerk(town)
    maria, jordi = app.test_client(), app.test_client()
    citizen_login(maria, town.code)
    _file(maria, town)
    run_queued_jobs()  # the receipt
    expedient = db.session.execute(select(Expedient)).scalar_one()
    entry = db.session.execute(select(RegistryEntry)).scalar_one()
    assert entry.receipt_document_id is not None
    _require_amendment(ctx, expedient.id)
    awaited = db.session.execute(select(AwaitedMessage)).scalar_one()
    note, doc = _notify_resolution(ctx, expedient.id)
    citizen_login(jordi, town.code, "87654321X", "Jordi Vidal Roca")
    base = f"/seu/{town.code}"
    urls = [f"{base}/carpeta/{expedient.id}", f"{base}/documents/{entry.receipt_document_id}",
            f"{base}/documents/{doc.id}", f"{base}/carpeta/{expedient.id}/requeriments/{awaited.id}",
            f"{base}/notificacions/{note.id}"]  # fmt: skip
    for url in urls:
        assert jordi.get(url).status_code == 404, url
    token = token_of(jordi.get(f"/seu/{town.code}/carpeta").get_data(as_text=True))
    assert jordi.post(f"/seu/{town.code}/notificacions/{note.id}/obrir", data={"csrf_token": token}).status_code == 404
    assert expedient.number not in jordi.get(f"/seu/{town.code}/carpeta").get_data(as_text=True)
    # Nor does the same citizen in another municipality.
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01259998", ine_code="259998")
    db.session.commit()
    assert maria.get(f"/seu/{other.code}/carpeta/{expedient.id}").status_code == 404
