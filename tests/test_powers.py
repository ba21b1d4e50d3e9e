"""The register of powers (Ley 39/2015 arts. 5-6) through the e-office and the staff pages: a
citizen who files "on behalf of" someone without an accredited power sees only what they filed;
a power valid today and covering the expedient's procedure lets the representative see the
represented person's expedient, documents and notifications, and every such access is shown to
the represented person."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from lxml import html as lxml_html
from sqlalchemy import select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.documents.documents import Document, issue_document, store_document
from engine.expedients.expedients import Expedient
from engine.expedients.parties import Party
from engine.notifications.notifications import Notification, notify
from engine.powers.models import Power
from engine.process.models import ProcessModel
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user
from tests.services import run_queued_jobs
from tests.test_seu import PDF, REQUEST, citizen_login, esmena_version, refused_form, summary_lines, token_of

MARIA = ("12345678Z", "Maria Puig i Serra")
JORDI = ("87654321X", "Jordi Vidal Roca")
SIGNED = b"%PDF-1.4\n% apoderament signat\n%%EOF\n"


@pytest.fixture
def town(tenant):
    esmena_version(tenant.id)
    db.session.add(ProcessModel(tenant_id=tenant.id, key="altre_tramit", name="Llicència d'obres"))
    db.session.commit()
    return tenant


@pytest.fixture
def clerk(town):
    user = make_user("clerk", town, ("tramitador",), full_name="Carles Puig")
    db.session.commit()
    return user


def _file(client, town, on_behalf=None):
    path = f"/seu/{town.code}/tramits/instancia_generica/sollicitud"
    data = {"csrf_token": token_of(client.get(path).get_data(as_text=True)), **REQUEST,
            "documents": [(io.BytesIO(PDF), "plànol.pdf")]}  # fmt: skip
    if on_behalf:
        data.update(on_behalf="1", represented_nif=on_behalf[0], represented_name=on_behalf[1])
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    run_queued_jobs()  # the receipt
    return db.session.execute(select(Expedient).order_by(Expedient.id.desc())).scalars().first()


def _notify(clerk, town, expedient_id, nif):
    ctx = ctx_for(clerk, town)
    doc = store_document(ctx, expedient_id, "resolucio.pdf", PDF, title="Resolució d'atorgament",
                         tipo_documental="TD01", from_administration=True)  # fmt: skip
    issue_document(ctx, doc.id)
    party = db.session.execute(select(Party).where(Party.nif == nif)).scalar_one()
    note = notify(ctx, expedient_id, party.id, doc.id, "electronic")
    db.session.commit()
    return note, doc


def _presented(expedient_id):
    """The document the filer attached (not the request the e-office printed, TD14)."""
    return db.session.execute(select(Document).where(Document.expedient_id == expedient_id,
                                                     Document.from_administration.is_(False),
                                                     Document.tipo_documental != "TD14")).scalar_one()  # fmt: skip


def _grant(client, town, nif, name, **extra):
    path = f"/seu/{town.code}/apoderaments/nou"
    token = token_of(client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, "representative_nif": nif, "representative_name": name, "scope": "all", **extra}
    return client.post(path, data=data)


def _state(note_id):
    db.session.expire_all()
    return db.session.get(Notification, note_id).state


def test_filing_on_behalf_of_an_unknown_nif_gives_no_access_to_that_persons_affairs(app, town, clerk):
    """The reproduced attack: Jordi files "on behalf of" Maria, whom GEE did not know yet."""
    jordi, maria = app.test_client(), app.test_client()
    citizen_login(jordi, town.code, *JORDI)
    filed_for = _file(jordi, town, on_behalf=MARIA)
    citizen_login(maria, town.code, *MARIA)
    own = _file(maria, town)
    note, resolution = _notify(clerk, town, own.id, MARIA[0])
    receipt = db.session.execute(select(Document).where(Document.expedient_id == own.id,
                                                        Document.from_administration.is_(True),
                                                        Document.id != resolution.id)).scalar_one()  # fmt: skip
    base = f"/seu/{town.code}"
    for url in (f"{base}/carpeta/{own.id}", f"{base}/documents/{_presented(own.id).id}",
                f"{base}/documents/{receipt.id}", f"{base}/documents/{resolution.id}",
                f"{base}/notificacions/{note.id}"):  # fmt: skip
        assert jordi.get(url).status_code == 404, url
    token = token_of(jordi.get(f"{base}/carpeta").get_data(as_text=True))
    assert jordi.post(f"{base}/notificacions/{note.id}/obrir", data={"csrf_token": token}).status_code == 404
    assert _state(note.id) == "pending"
    folder = jordi.get(f"{base}/carpeta").get_data(as_text=True)
    assert own.number not in folder and filed_for.number in folder
    assert 'data-role="presentador"' in folder
    assert own.number not in jordi.get(f"{base}/notificacions").get_data(as_text=True)
    # What he filed himself he still sees: the expedient, his document and his receipt...
    page = jordi.get(f"{base}/carpeta/{filed_for.id}").get_data(as_text=True)
    assert 'id="unaccredited"' in page
    assert jordi.get(f"{base}/documents/{_presented(filed_for.id).id}").data == PDF
    # ...but not a notification the town hall addresses to Maria in that very expedient.
    note2, resolution2 = _notify(clerk, town, filed_for.id, MARIA[0])
    assert jordi.get(f"{base}/notificacions/{note2.id}").status_code == 404
    assert jordi.get(f"{base}/documents/{resolution2.id}").status_code == 404
    assert str(note2.id) not in jordi.get(f"{base}/carpeta/{filed_for.id}").get_data(as_text=True).split(
        "/notificacions/")[-1][:5]  # fmt: skip
    assert _state(note2.id) == "pending"
    # Maria, the interessat, sees both expedients and both notifications.
    mine = maria.get(f"{base}/carpeta").get_data(as_text=True)
    assert own.number in mine and filed_for.number in mine
    assert maria.get(f"{base}/notificacions/{note2.id}").status_code == 200


def test_a_valid_power_lets_the_representative_act_and_the_grantor_sees_every_access(app, town, clerk):
    maria, jordi = app.test_client(), app.test_client()
    citizen_login(maria, town.code, *MARIA)
    own = _file(maria, town)
    note, resolution = _notify(clerk, town, own.id, MARIA[0])
    base = f"/seu/{town.code}"
    assert _grant(maria, town, "87654321-x", JORDI[1]).status_code == 302
    listing = maria.get(f"{base}/apoderaments").get_data(as_text=True)
    assert 'id="granted-powers"' in listing and "Jordi Vidal Roca (87654321X)" in listing
    assert 'data-state="valid"' in listing
    power = db.session.execute(select(Power)).scalar_one()
    # Art. 6.6: at most five years, counted from the registration.
    today = local_date(utcnow())
    assert power.valid_from == today and power.valid_until == today.replace(year=today.year + 5)
    assert power.origin == "apud_acta"

    citizen_login(jordi, town.code, *JORDI)
    assert "Maria Puig i Serra (12345678Z)" in jordi.get(f"{base}/apoderaments").get_data(as_text=True)
    assert own.number in jordi.get(f"{base}/carpeta").get_data(as_text=True)
    page = jordi.get(f"{base}/carpeta/{own.id}").get_data(as_text=True)
    assert 'id="acting-for"' in page
    assert jordi.get(f"{base}/documents/{resolution.id}").status_code == 404  # not before the notification is opened
    shown = jordi.get(f"{base}/notificacions/{note.id}")
    assert shown.status_code == 200
    token = token_of(shown.get_data(as_text=True))
    opened = jordi.post(f"{base}/notificacions/{note.id}/obrir", data={"csrf_token": token})
    assert opened.status_code == 302 and _state(note.id) == "accessed"
    assert jordi.get(f"{base}/documents/{resolution.id}").data == PDF

    powers_page = maria.get(f"{base}/apoderaments").get_data(as_text=True)
    assert f'id="accesses-link" href="{base}/accessos"' in powers_page  # reached from her powers
    accesses = maria.get(f"{base}/accessos")
    html = accesses.get_data(as_text=True)
    assert "Accessos en nom meu" in html  # Catalan, the default language
    assert re.search(r'class="nav-link active" aria-current="true"\s+href="[^"]*/apoderaments">Apoderaments<', html)
    assert html.count("Jordi Vidal Roca (87654321X)") >= 4
    assert f"Ha obert l'expedient {own.number}" in html
    assert "Ha descarregat el document Resolució d&#39;atorgament" in html
    assert "Ha obert la notificació Resolució d&#39;atorgament" in html
    for path in ("apoderaments", "apoderaments/nou", "accessos"):
        html = maria.get(f"{base}/{path}").get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html, path
    # Jordi's own page shows nobody acted for him.
    assert 'id="accesses"' not in jordi.get(f"{base}/accessos").get_data(as_text=True)


def test_revoked_expired_future_or_other_procedure_powers_give_no_access(app, town, clerk):
    maria, jordi = app.test_client(), app.test_client()
    citizen_login(maria, town.code, *MARIA)
    own = _file(maria, town)
    note, _doc = _notify(clerk, town, own.id, MARIA[0])
    citizen_login(jordi, town.code, *JORDI)
    base = f"/seu/{town.code}"
    expedient_url, note_url = f"{base}/carpeta/{own.id}", f"{base}/notificacions/{note.id}"

    # A power for another procedure only.
    assert _grant(maria, town, *JORDI, scope="procedures", procedures=["altre_tramit"]).status_code == 302
    assert jordi.get(expedient_url).status_code == 404 and jordi.get(note_url).status_code == 404
    # One that starts tomorrow.
    tomorrow = (local_date(utcnow()) + timedelta(days=1)).isoformat()
    assert _grant(maria, town, *JORDI, valid_from=tomorrow).status_code == 302
    assert jordi.get(expedient_url).status_code == 404
    # One for this procedure: access; revoked by Maria in the e-office: no access any more.
    assert _grant(maria, town, *JORDI, scope="procedures", procedures=["instancia_generica"]).status_code == 302
    assert jordi.get(expedient_url).status_code == 200 and jordi.get(note_url).status_code == 200
    power = db.session.execute(select(Power).order_by(Power.id.desc())).scalars().first()
    token = token_of(maria.get(f"{base}/apoderaments").get_data(as_text=True))
    assert maria.post(f"{base}/apoderaments/{power.id}/revocar", data={"csrf_token": token}).status_code == 302
    assert 'data-state="revoked"' in maria.get(f"{base}/apoderaments").get_data(as_text=True)
    assert jordi.get(expedient_url).status_code == 404 and jordi.get(note_url).status_code == 404
    # The representative cannot revoke what Maria granted (nor anything else).
    his_token = token_of(jordi.get(f"{base}/apoderaments").get_data(as_text=True))
    assert jordi.post(f"{base}/apoderaments/{power.id}/revocar", data={"csrf_token": his_token}).status_code == 404
    # A general power whose validity ended yesterday (time passed since it was granted).
    assert _grant(maria, town, *JORDI).status_code == 302
    assert jordi.get(expedient_url).status_code == 200
    general = db.session.execute(select(Power).order_by(Power.id.desc())).scalars().first()
    general.valid_from = date(2020, 1, 1)
    general.valid_until = local_date(utcnow()) - timedelta(days=1)
    db.session.commit()
    assert 'data-state="expired"' in maria.get(f"{base}/apoderaments").get_data(as_text=True)
    assert jordi.get(expedient_url).status_code == 404 and jordi.get(note_url).status_code == 404
    assert _state(note.id) == "pending"


def test_grant_refuses_bad_input_with_a_translated_error_and_saves_nothing(app, town):
    maria = app.test_client()
    citizen_login(maria, town.code, *MARIA)
    too_long = (local_date(utcnow()) + timedelta(days=5 * 366 + 1)).isoformat()
    answer = _grant(maria, town, *JORDI, valid_until=too_long)
    # said once, in the form's own summary and beside the field (tied to it with its hint); no flash
    form, summary = refused_form(answer, "power-form", "power-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("valid_until-error", "#valid_until")]
    assert "Un apoderament dura com a màxim cinc anys" in form.get_element_by_id("valid_until-error").text_content()
    assert form.get_element_by_id("valid_until").get("aria-describedby") == "valid_until-error valid_until-help"
    assert jordi_value_kept(answer)
    form, summary = refused_form(_grant(maria, town, MARIA[0], "Jo mateixa"), "power-form", "power-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("representative_nif-error", "#representative_nif")]
    # none chosen: choosing all of them answers it too, so the list's message goes with the scope (gee.js)
    form, summary = refused_form(_grant(maria, town, *JORDI, scope="procedures"), "power-form", "power-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("procedures-error", "#procedures")]
    assert form.get_element_by_id("procedures").getparent().get("data-depends-on") == "scope"
    assert form.get_element_by_id("scope-some").get("checked") is not None  # her choice is kept
    form, summary = refused_form(_grant(maria, town, *JORDI, valid_until="31/02/2027"), "power-form", "power-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("valid_until-error", "#valid_until")]
    # an untouched hint is tied to its field too
    fresh = lxml_html.fromstring(maria.get(f"/seu/{town.code}/apoderaments/nou").get_data(as_text=True))
    assert fresh.get_element_by_id("valid_until").get("aria-describedby") == "valid_until-help"
    assert not fresh.xpath('//*[@id="power-errors"]')
    assert db.session.execute(select(Power)).first() is None


def test_revoking_a_power_twice_says_so_in_its_row(app, town):
    maria = app.test_client()
    citizen_login(maria, town.code, *MARIA)
    assert _grant(maria, town, *JORDI).status_code == 302
    power = db.session.execute(select(Power)).scalar_one()
    listing = f"/seu/{town.code}/apoderaments"
    token = token_of(maria.get(listing).get_data(as_text=True))
    assert maria.post(f"{listing}/{power.id}/revocar", data={"csrf_token": token}).status_code == 302
    again = maria.post(f"{listing}/{power.id}/revocar", data={"csrf_token": token})  # from a page opened before
    assert again.status_code == 409
    page = lxml_html.fromstring(again.get_data(as_text=True))
    row = page.xpath(f'//table[@id="granted-powers"]//tr[@data-power="{power.id}"]')[0]
    assert row.xpath('.//*[@id="revocation-error"]')[0].text_content() == "Aquest apoderament ja estava revocat."
    assert row.xpath('.//*[@data-state="revoked"]') and len(page.xpath('//*[@role="alert"]')) == 1


def jordi_value_kept(answer) -> bool:
    return 'value="Jordi Vidal Roca"' in answer.get_data(as_text=True)


def _staff_register(client, path, **fields):
    data = {"csrf_token": csrf_token(client, path), "grantor_nif": MARIA[0], "grantor_name": MARIA[1],
            "representative_nif": JORDI[0], "representative_name": JORDI[1], "scope": "all",
            "document": (io.BytesIO(SIGNED), "apoderament-signat.pdf"), **fields}  # fmt: skip
    return client.post(path, data=data, content_type="multipart/form-data")


def test_staff_accredit_a_declared_representative_on_the_expedient(app, town, clerk):
    jordi, staff = app.test_client(), app.test_client()
    citizen_login(jordi, town.code, *JORDI)
    filed_for = _file(jordi, town, on_behalf=MARIA)
    note, _resolution = _notify(clerk, town, filed_for.id, MARIA[0])
    base = f"/seu/{town.code}"
    assert jordi.get(f"{base}/notificacions/{note.id}").status_code == 404
    login(staff, "clerk")
    assert 'id="representation-link"' in staff.get(f"/expedients/{filed_for.id}").get_data(as_text=True)
    # A power registered from a signed document, but for another procedure: still nothing.
    made = _staff_register(staff, "/powers/new", scope="procedures", procedures=["altre_tramit"])
    assert made.status_code == 302, made.get_data(as_text=True)
    power = db.session.execute(select(Power)).scalar_one()
    assert power.origin == "document"
    assert db.session.get(Document, power.document_id).file_name == "apoderament-signat.pdf"
    assert jordi.get(f"{base}/notificacions/{note.id}").status_code == 404
    listing = staff.get("/powers?q=puig").get_data(as_text=True)
    assert f'data-power="{power.id}"' in listing and "Document signat registrat pel personal" in listing
    assert f'data-power="{power.id}"' not in staff.get("/powers?q=Garcia").get_data(as_text=True)
    # The clerk accredits the representation in this expedient with that power.
    page = f"/expedients/{filed_for.id}/representation"
    html = staff.get(page).get_data(as_text=True)
    assert "Jordi Vidal Roca (87654321X)" in html and 'id="candidates"' in html
    linked = staff.post(page, data={"csrf_token": csrf_token(staff, page), "power_id": power.id})
    assert linked.status_code == 302
    assert jordi.get(f"{base}/carpeta/{filed_for.id}").status_code == 200
    assert jordi.get(f"{base}/notificacions/{note.id}").status_code == 200
    assert 'data-role="representant"' in jordi.get(f"{base}/carpeta").get_data(as_text=True)
    # A refused revocation (reason too long) revokes nothing, and says so beside the reason, kept as typed.
    too_long = staff.post(f"/powers/{power.id}/revoke", data={"csrf_token": csrf_token(staff, "/powers"),
                                                             "reason": "x" * 2001})  # fmt: skip
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and re.search(rf'id="reason-{power.id}-error">[^<]+<', html)
    assert f'value="{"x" * 2001}"' in html
    db.session.expire_all()
    assert db.session.get(Power, power.id).revoked_at is None
    # Revoked by the clerk: back to what he filed himself.
    revoke = staff.post(f"/powers/{power.id}/revoke", data={"csrf_token": csrf_token(staff, "/powers"),
                                                           "reason": "Revocació presentada en paper"})  # fmt: skip
    assert revoke.status_code == 302
    db.session.expire_all()
    assert db.session.get(Power, power.id).revoked_by == "clerk"
    assert "· Carles Puig</div>" in staff.get("/powers").get_data(as_text=True)  # who revoked it, by name
    assert jordi.get(f"{base}/notificacions/{note.id}").status_code == 404


def test_staff_accredit_with_a_new_signed_document(app, town, clerk):
    jordi, staff = app.test_client(), app.test_client()
    citizen_login(jordi, town.code, *JORDI)
    filed_for = _file(jordi, town, on_behalf=MARIA)
    note, _doc = _notify(clerk, town, filed_for.id, MARIA[0])
    login(staff, "clerk")
    page = f"/expedients/{filed_for.id}/representation"
    refused = _staff_register(staff, page, document=(io.BytesIO(b""), ""))
    assert refused.status_code == 422 and db.session.execute(select(Power)).first() is None
    html = refused.get_data(as_text=True)
    assert 'value="Jordi Vidal Roca"' in html and re.search(r'id="document-error">[^<]+<', html)
    assert 'class="alert alert-danger' not in html  # said once, beside the field: no flash over the page
    done = _staff_register(staff, page, scope="procedures", procedures=["altre_tramit"])
    assert done.status_code == 302
    assert "Jordi Vidal Roca (87654321X)" in staff.get(page).get_data(as_text=True).split('id="accredited"')[1]
    assert jordi.get(f"/seu/{town.code}/notificacions/{note.id}").status_code == 200


def test_another_tenants_ids_are_refused(app, town, clerk):
    maria, jordi, outsider = app.test_client(), app.test_client(), app.test_client()
    citizen_login(maria, town.code, *MARIA)
    own = _file(maria, town)
    assert _grant(maria, town, *JORDI).status_code == 302
    power = db.session.execute(select(Power)).scalar_one()
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01259998", ine_code="259998")
    make_user("forana", other, ("tramitador", "admin", "secretari"))
    db.session.commit()
    login(outsider, "forana")
    refused = outsider.post(f"/powers/{power.id}/revoke", data={"csrf_token": csrf_token(outsider, "/powers")})
    assert refused.status_code == 404
    assert outsider.get(f"/expedients/{own.id}/representation").status_code == 404
    assert f'data-power="{power.id}"' not in outsider.get("/powers").get_data(as_text=True)
    # The citizen's power in one municipality is worth nothing in another's e-office.
    token = token_of(maria.get(f"/seu/{other.code}/apoderaments").get_data(as_text=True))
    refused = maria.post(f"/seu/{other.code}/apoderaments/{power.id}/revocar", data={"csrf_token": token})
    assert refused.status_code == 404
    citizen_login(jordi, other.code, *JORDI)
    assert jordi.get(f"/seu/{other.code}/carpeta/{own.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Power, power.id).revoked_at is None
