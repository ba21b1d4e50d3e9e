"""What the register of powers tells each side (Ley 39/2015 arts. 5-6): the grantor is asked before
revoking and gets a confirmation of what she granted; the representative is told, before filing on
someone's behalf, whether a power in force accredits him or the one he held was revoked (art. 5.6);
the clerk sees both on the expedient; the register names a party as the municipality knows them; the
staff form says every field's error at once."""

from __future__ import annotations

import io

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select

from engine.audit.trail import AuditEvent
from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.formats import format_day
from engine.expedients.expedients import Expedient
from engine.powers.models import Power, PowerExpedient
from engine.process.models import ProcessModel
from tests.conftest import csrf_token, login, make_user
from tests.test_powers import JORDI, MARIA, _file, _grant
from tests.test_seu import PDF, REQUEST, citizen_login, esmena_version, token_of

FILE_PATH = "/seu/{code}/tramits/instancia_generica/sollicitud"


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


def _page(response):
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(page, element_id: str) -> str:
    return " ".join(page.get_element_by_id(element_id).text_content().split())


def _file_for_maria(jordi, town, **extra):
    path = FILE_PATH.format(code=town.code)
    data = {"csrf_token": token_of(jordi.get(path).get_data(as_text=True)), **REQUEST,
            "documents": [(io.BytesIO(PDF), "plànol.pdf")], "on_behalf": "1", "represented_nif": MARIA[0],
            "represented_name": MARIA[1], **extra}  # fmt: skip
    return jordi.post(path, data=data, content_type="multipart/form-data")


def _expedients() -> int:
    return db.session.execute(select(func.count(Expedient.id))).scalar_one()


def _revoke(maria, town, power_id):
    listing = f"/seu/{town.code}/apoderaments"
    token = token_of(maria.get(listing).get_data(as_text=True))
    assert maria.post(f"{listing}/{power_id}/revocar", data={"csrf_token": token}).status_code == 302


def test_revoking_asks_first_and_says_what_it_means(app, town):
    maria = app.test_client()
    citizen_login(maria, town.code, *MARIA)
    assert _grant(maria, town, *JORDI).status_code == 302
    power = db.session.execute(select(Power)).scalar_one()
    page = _page(maria.get(f"/seu/{town.code}/apoderaments"))
    row = page.xpath(f'//table[@id="granted-powers"]//tr[@data-power="{power.id}"]')[0]
    # The revoking button is inside a closed disclosure, beside what revoking means for her representative.
    confirm = row.xpath('.//details[contains(@class, "revoke-power")]')[0]
    assert confirm.get("open") is None and confirm.xpath("./summary")
    button = confirm.xpath('.//form//button[@type="submit"]')[0]
    assert JORDI[1] in button.text_content()
    what = page.get_element_by_id(f"revoke-{power.id}-what").text_content()
    assert JORDI[1] in what and button.get("aria-describedby") == f"revoke-{power.id}-what"
    assert not row.xpath('./td/form[contains(@action, "/revocar")]')  # no one-click form outside it


def test_a_revoked_power_is_said_to_the_representative_before_filing_and_to_the_clerk(app, town, clerk):
    maria, jordi, staff = app.test_client(), app.test_client(), app.test_client()
    citizen_login(maria, town.code, *MARIA)
    assert _grant(maria, town, *JORDI).status_code == 302
    power = db.session.execute(select(Power)).scalar_one()
    _revoke(maria, town, power.id)
    revoked_on = format_day(local_date(utcnow()), "ca")

    citizen_login(jordi, town.code, *JORDI)
    form = _page(jordi.get(FILE_PATH.format(code=town.code)))
    notice = form.xpath('//ul[@id="power-notices"]/li[@data-notice="revoked"]')[0]
    assert notice.get("data-grantor") == MARIA[0]
    assert MARIA[1] in notice.text_content() and revoked_on in notice.text_content()
    assert "5.6" in notice.text_content()
    # Filing for her without saying he knows it is refused (nothing filed), the reason beside the box.
    before = _expedients()
    refused = _file_for_maria(jordi, town)
    assert refused.status_code == 422 and _expedients() == before
    page = _page(refused)
    assert MARIA[1] in _text(page, "without_power-error")
    assert page.get_element_by_id("without_power").get("aria-invalid") == "true"
    assert page.get_element_by_id("on_behalf").get("checked") is not None  # what he typed is kept
    # Knowing it, he files: admissible, to be remedied (art. 5.6); he sees only what he presented.
    filed = _file_for_maria(jordi, town, without_power="1")
    assert filed.status_code == 302, filed.get_data(as_text=True)
    expedient = db.session.execute(select(Expedient).order_by(Expedient.id.desc())).scalars().first()
    assert 'id="unaccredited"' in jordi.get(f"/seu/{town.code}/carpeta/{expedient.id}").get_data(as_text=True)
    assert db.session.execute(select(PowerExpedient)).first() is None

    # The clerk sees that Maria revoked Jordi's power, and when, on the representation and expedient pages.
    login(staff, "clerk")
    representation = _page(staff.get(f"/expedients/{expedient.id}/representation"))
    said = _text(representation, "revoked")
    assert MARIA[1] in said and JORDI[1] in said and revoked_on in said
    assert representation.xpath(f'//*[@id="revoked"]/p[@data-power="{power.id}"]')
    assert not representation.xpath('//*[@id="candidates"]')
    shown = _page(staff.get(f"/expedients/{expedient.id}"))
    said = _text(shown, "representation-revoked")
    assert MARIA[1] in said and JORDI[1] in said and revoked_on in said

    # Once she grants him a new power, the old revocation is no longer news.
    assert _grant(maria, town, *JORDI).status_code == 302
    assert 'id="representation-revoked"' not in staff.get(f"/expedients/{expedient.id}").get_data(as_text=True)
    form = _page(jordi.get(FILE_PATH.format(code=town.code)))
    assert form.xpath('//ul[@id="power-notices"]/li/@data-notice') == ["in_force"]
    assert not form.xpath('//*[@id="without_power"]')


def test_filing_under_a_power_in_force_accredits_the_representation_from_the_filing(app, town, clerk):
    maria, jordi, staff = app.test_client(), app.test_client(), app.test_client()
    citizen_login(maria, town.code, *MARIA)
    assert _grant(maria, town, *JORDI, scope="procedures", procedures=["instancia_generica"]).status_code == 302
    power = db.session.execute(select(Power)).scalar_one()
    citizen_login(jordi, town.code, *JORDI)
    form = _page(jordi.get(FILE_PATH.format(code=town.code)))
    notice = form.xpath('//ul[@id="power-notices"]/li')[0]
    assert notice.get("data-notice") == "in_force" and MARIA[1] in notice.text_content()
    assert not form.xpath('//*[@id="without_power"]')  # nothing to confirm

    filed = _file(jordi, town, on_behalf=MARIA)
    assert 'id="acting-for"' in jordi.get(f"/seu/{town.code}/carpeta/{filed.id}").get_data(as_text=True)
    link = db.session.execute(select(PowerExpedient)).scalar_one()
    assert (link.power_id, link.expedient_id) == (power.id, filed.id)
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.action == "powers.accredited")).scalar_one()
    assert audit.expedient_id == filed.id and audit.after["on_filing"] is True
    assert audit.after["registry_entry"]

    # The clerk finds it accredited, by the register, and is not asked to do it again.
    login(staff, "clerk")
    page = _page(staff.get(f"/expedients/{filed.id}/representation"))
    accredited = page.xpath(f'//ul[@id="accredited"]/li[@data-power="{power.id}"]')[0]
    assert JORDI[1] in accredited.text_content() and MARIA[1] in accredited.text_content()
    assert accredited.xpath('.//*[contains(@class, "accredited-how")]')
    assert not page.xpath('//*[@id="candidates"]') and not page.xpath('//*[@id="revoked"]')
    # Maria's own filing, with nobody acting for her, accredits nothing.
    _file(maria, town)
    assert db.session.execute(select(func.count(PowerExpedient.id))).scalar_one() == 1


def test_the_register_names_a_known_party_as_on_record_and_confirms_the_grant(app, town, clerk):
    maria, jordi, staff, other = app.test_client(), app.test_client(), app.test_client(), app.test_client()
    citizen_login(jordi, town.code, *JORDI)
    _file(jordi, town)  # Jordi Vidal Roca is now a party on record
    citizen_login(maria, town.code, *MARIA)
    granted = _grant(maria, town, "87654321-x", "jordi VIDAL")
    assert granted.status_code == 302
    power = db.session.execute(select(Power)).scalar_one()
    assert power.representative_name == JORDI[1]
    # The grant is confirmed with the power's data and the moment it was recorded.
    assert granted.headers["Location"].endswith(f"/seu/{town.code}/apoderaments/{power.id}")
    confirmation = _page(maria.get(granted.headers["Location"]))
    data = _text(confirmation, "power-data")
    assert JORDI[1] in data and MARIA[1] in data and format_day(power.valid_until, "ca") in data
    assert format_day(local_date(utcnow()), "ca") in _text(confirmation, "power-recorded")
    assert "apud acta" in _text(confirmation, "power-recorded")
    assert jordi.get(granted.headers["Location"]).status_code == 200  # the representative may see it too
    citizen_login(other, town.code, "11111111H", "Algú Altre")
    assert other.get(granted.headers["Location"]).status_code == 404
    # Another name for that NIF is kept as typed (a NIF typed never reveals whose it is), and staff are warned.
    assert _grant(maria, town, JORDI[0], "Pere Roca").status_code == 302
    second = db.session.execute(select(Power).order_by(Power.id.desc())).scalars().first()
    assert second.representative_name == "Pere Roca"
    login(staff, "clerk")
    row = _page(staff.get("/powers")).xpath(f'//tr[@data-power="{second.id}"]')[0]
    assert JORDI[1] in row.xpath('.//*[contains(@class, "name-on-record")]')[0].text_content()
    first_row = _page(staff.get("/powers")).xpath(f'//tr[@data-power="{power.id}"]')[0]
    assert not first_row.xpath('.//*[contains(@class, "name-on-record")]')


def test_the_staff_form_says_every_fields_error_at_once(app, town, clerk):
    staff = app.test_client()
    login(staff, "clerk")
    empty = staff.post("/powers/new", data={"csrf_token": csrf_token(staff, "/powers/new"), "scope": "all"},
                       content_type="multipart/form-data")  # fmt: skip
    assert empty.status_code == 422
    page = _page(empty)
    for field in ("grantor_nif", "grantor_name", "representative_nif", "representative_name", "document"):
        assert _text(page, f"{field}-error"), field
        assert page.get_element_by_id(field).get("aria-invalid") == "true", field
    assert not page.xpath('//*[@id="valid_until-error"]')
    typed = staff.post("/powers/new", data={
        "csrf_token": csrf_token(staff, "/powers/new"), "grantor_nif": MARIA[0], "grantor_name": MARIA[1],
        "representative_nif": MARIA[0], "representative_name": "Ella mateixa", "scope": "procedures",
        "valid_until": "2001-01-01"}, content_type="multipart/form-data")  # fmt: skip
    page = _page(typed)
    assert {e.get("id") for e in page.xpath('//*[contains(@class, "invalid-feedback")]')} == {
        "representative_nif-error", "procedures-error", "valid_until-error", "document-error"}
    assert page.get_element_by_id("grantor_name").get("value") == MARIA[1]  # kept as typed
    assert db.session.execute(select(Power)).first() is None


def test_the_staff_form_fills_in_the_name_on_record_of_a_nif(app, town, clerk):
    maria, staff = app.test_client(), app.test_client()
    citizen_login(maria, town.code, *MARIA)
    _file(maria, town)  # Maria is a party on record
    login(staff, "clerk")
    form = _page(staff.get("/powers/new"))
    nif = form.get_element_by_id("grantor_nif")
    assert nif.get("hx-get").startswith("/powers/name") and nif.get("hx-target") == "#grantor_name-field"
    answer = _page(staff.get("/powers/name?side=grantor&grantor_nif=12345678-z&grantor_name="))
    assert answer.get_element_by_id("grantor_name").get("value") == MARIA[1]
    assert answer.xpath('//*[@id="grantor_name-known"]')
    unknown = _page(staff.get("/powers/name?side=representative&representative_nif=87654321X"
                              "&representative_name=Jordi"))  # fmt: skip
    assert unknown.get_element_by_id("representative_name").get("value") == "Jordi"
    assert not unknown.xpath('//*[@id="representative_name-known"]')
