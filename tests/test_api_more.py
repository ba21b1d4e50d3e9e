"""The API areas beyond expedients: parties, registry receipts, decrees, notifications, terms, ENI
import, collegiate bodies and edicts one by one, the platform's tenants. Each with its happy path,
the role the page refuses, and another municipality's ids answering 404 with nothing of them."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.bodies import bodies
from engine.control.legal_terms import record_term
from engine.decrees.book import create_draft
from engine.documents.documents import issue_document
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from engine.notifications.notifications import access, notify
from engine.signatures.circuits import request_signatures, sign
from engine.tenancy.models import Tenant
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for, make_tenant, make_user
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document, town

EN = {"Accept-Language": "en"}


def _token(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(ctx, 'script').secret}", **EN}


@pytest.fixture
def towns() -> dict[str, dict]:
    """Two municipalities, each with a clerk, a mayor, a secretary (with certificates) and a technician,
    and an API token for each of them."""
    out = {}
    for code, dir3 in (("ajt-a", "L01250001"), ("ajt-b", "L01250002")):
        people = town(code, dir3)
        tenant = db.session.get(Tenant, people["clerk"].tenant_id)
        people["tecnic"] = ctx_for(make_user(f"tecnic.{code}", tenant, ("tecnic",)), tenant)
        out[code] = {"ctx": people, "tenant": tenant, **{name: _token(ctx) for name, ctx in people.items()}}
    db.session.commit()
    return out


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# -- parties -----------------------------------------------------------------------------------


def test_parties_are_added_with_a_checked_nif_searched_and_read(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    added = client.post("/api/v1/parties", headers=a["clerk"],
                        json={"nif": "12345678-z", "name": "Maria Puig", "email": "maria@example.cat",
                              "preferred_channel": "electronic"})
    assert added.status_code == 201, added.get_json()
    party = added.get_json()
    assert (party["nif"], party["kind"], party["preferred_channel"]) == ("12345678Z", "person", "electronic")
    again = client.post("/api/v1/parties", headers=a["clerk"], json={"nif": "12345678Z", "name": "Una altra"})
    assert again.status_code == 200 and again.get_json()["id"] == party["id"]
    assert again.get_json()["name"] == "Maria Puig"  # an existing party is not overwritten
    company = client.post("/api/v1/parties", headers=a["clerk"], json={"nif": "B12345674", "name": "Obres SL"})
    assert company.status_code == 201
    assert company.get_json()["kind"] == "entity"  # a CIF: a legal person (Ley 39/2015 art. 14.2)

    wrong = client.post("/api/v1/parties", headers={**a["clerk"], "Accept-Language": "es"},
                        json={"nif": "12345678A", "name": "Pere"})
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "nif"
    assert wrong.get_json()["message"] == "NIF/NIE/CIF 12345678A: la letra o el dígito de control es incorrecto."

    by_name = client.get("/api/v1/parties?q=puig", headers=a["clerk"]).get_json()
    assert [p["id"] for p in by_name["items"]] == [party["id"]] and by_name["next_cursor"] is None
    by_nif = client.get("/api/v1/parties?q=12345678-Z", headers=a["tecnic"]).get_json()
    assert [p["name"] for p in by_nif["items"]] == ["Maria Puig"]
    first = client.get("/api/v1/parties?limit=1", headers=a["clerk"]).get_json()
    assert [p["name"] for p in first["items"]] == ["Obres SL"]
    second = client.get(f"/api/v1/parties?limit=1&cursor={first['next_cursor']}", headers=a["clerk"]).get_json()
    assert [p["name"] for p in second["items"]] == ["Maria Puig"] and second["next_cursor"] is None
    assert client.get(f"/api/v1/parties/{party['id']}", headers=a["clerk"]).get_json()["nif"] == "12345678Z"

    refused = client.post("/api/v1/parties", headers=a["tecnic"], json={"nif": "47110023C", "name": "Laia"})
    assert refused.status_code == 403
    assert client.get("/api/v1/parties?q=47110023C", headers=a["clerk"]).get_json()["items"] == []
    on_paper = client.post("/api/v1/parties", headers=a["clerk"],  # an e-mail is no choice of the e-office
                           json={"nif": "00000000T", "name": "Pere Vidal", "email": "pere@example.cat"})
    assert on_paper.get_json()["preferred_channel"] == "postal"

    hidden = client.get(f"/api/v1/parties/{party['id']}", headers=b["clerk"])
    assert hidden.status_code == 404 and "Puig" not in hidden.get_data(as_text=True)
    assert client.get("/api/v1/parties?q=puig", headers=b["clerk"]).get_json()["items"] == []


# -- registry receipts -------------------------------------------------------------------------


def test_the_receipt_of_an_entry_is_its_pdf(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    entry = client.post("/api/v1/registry/entries", headers=a["clerk"],
                        json={"subject": "Sol·licitud de gual", "party": {"nif": "12345678Z", "name": "Maria Puig"}})
    assert entry.status_code == 201
    number, entry_id = entry.get_json()["number"], entry.get_json()["id"]
    receipt = client.get(f"/api/v1/registry/entries/{entry_id}/receipt", headers=a["clerk"])
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    assert number in _pdf_text(receipt.data)
    assert f"justificant-{number.replace('/', '-')}.pdf" in receipt.headers["Content-Disposition"]
    assert client.get(f"/api/v1/registry/entries/{entry_id}/receipt", headers=a["tecnic"]).status_code == 403
    hidden = client.get(f"/api/v1/registry/entries/{entry_id}/receipt", headers=b["clerk"])
    assert hidden.status_code == 404 and hidden.mimetype == "application/json"


# -- decrees -----------------------------------------------------------------------------------


def signed_decree(people: dict[str, Context], title: str) -> int:
    expedient = open_expedient(people["clerk"], "Llicència d'obres menors")
    decree = create_draft(people["clerk"], title=title, text="RESOLC:\nPrimer. Concedir la llicència.",
                          expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    for signer, step in zip(("mayor", "secretary"), request.steps, strict=True):
        sign(people[signer], step.id, KEY_PASSWORD)
        db.session.commit()
    return decree.id


def test_the_decree_book_lists_reads_and_gives_the_signed_pdf(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    signed_id = signed_decree(a["ctx"], "Concessió de llicència d'obres menors")
    draft = create_draft(a["ctx"]["clerk"], title="Esborrany de decret", text="RESOLC: res.")
    db.session.commit()
    year = local_date(utcnow()).year  # the book numbers by the Catalan calendar year

    signed = client.get("/api/v1/decrees?status=signed", headers=a["secretary"]).get_json()
    assert [d["id"] for d in signed["items"]] == [signed_id]
    assert signed["items"][0]["number"] == f"DEC/{year}/0001"  # the first of the year's book
    assert signed["items"][0]["signed_by"] == "Joan Batlle"
    every = client.get("/api/v1/decrees?limit=1", headers=a["clerk"]).get_json()
    assert [d["id"] for d in every["items"]] == [draft.id] and every["next_cursor"]
    rest = client.get(f"/api/v1/decrees?limit=1&cursor={every['next_cursor']}", headers=a["clerk"]).get_json()
    assert [d["id"] for d in rest["items"]] == [signed_id] and rest["next_cursor"] is None
    assert [d["id"] for d in client.get(f"/api/v1/decrees?year={year}&q=llicència",
                                        headers=a["mayor"]).get_json()["items"]] == [signed_id]
    assert client.get(f"/api/v1/decrees?year={year - 1}", headers=a["mayor"]).get_json()["items"] == []

    one = client.get(f"/api/v1/decrees/{signed_id}", headers=a["secretary"]).get_json()
    assert one["text"].startswith("RESOLC:") and one["status"] == "signed"
    pdf = client.get(f"/api/v1/decrees/{signed_id}/pdf", headers=a["secretary"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert f"DEC/{year}/0001" in _pdf_text(pdf.data)
    unsigned = client.get(f"/api/v1/decrees/{draft.id}/pdf", headers=a["secretary"])
    assert unsigned.status_code == 409
    assert unsigned.get_json()["message"] == "This decree has no signed PDF yet: its signatures are not complete."

    bad = client.get("/api/v1/decrees?status=lost", headers={**a["clerk"], "Accept-Language": "ca"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "status"
    for path in ("/api/v1/decrees", f"/api/v1/decrees/{signed_id}", f"/api/v1/decrees/{signed_id}/pdf"):
        assert client.get(path, headers=a["tecnic"]).status_code == 403
    for path in (f"/api/v1/decrees/{signed_id}", f"/api/v1/decrees/{signed_id}/pdf"):
        hidden = client.get(path, headers=b["secretary"])
        assert hidden.status_code == 404 and "llicència" not in hidden.get_data(as_text=True)
    assert client.get("/api/v1/decrees", headers=b["secretary"]).get_json()["items"] == []


# -- notifications -----------------------------------------------------------------------------


def test_notifications_of_the_municipality_by_state_and_one_with_its_evidence(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    clerk = a["ctx"]["clerk"]
    party = find_or_create_party(clerk, "12345678Z", "Maria Puig", email="maria@example.cat",
                                 preferred_channel="electronic")
    expedient = open_expedient(clerk, "Llicència d'obres menors", party_ids=[party.id])
    db.session.commit()
    first = pdf_document(clerk, expedient.id, "Requeriment", title="Requeriment")
    second = pdf_document(clerk, expedient.id, "Resolució", title="Resolució")
    issue_document(clerk, first.id)
    issue_document(clerk, second.id)
    opened = notify(clerk, expedient.id, party.id, first.id)
    waiting = notify(clerk, expedient.id, party.id, second.id)
    db.session.commit()
    access(Context.system(a["tenant"].id, "citizen"), opened.id)
    db.session.commit()

    pending = client.get("/api/v1/notifications?state=pending", headers=a["tecnic"]).get_json()
    assert [n["id"] for n in pending["items"]] == [waiting.id]
    assert pending["items"][0]["channel"] == "electronic"  # the party chose the e-office
    every = client.get("/api/v1/notifications", headers=a["clerk"]).get_json()
    assert [n["id"] for n in every["items"]] == [waiting.id, opened.id]
    one = client.get(f"/api/v1/notifications/{opened.id}", headers=a["clerk"]).get_json()
    assert one["state"] == "accessed" and one["settled_at"]
    assert [e["kind"] for e in one["evidence"]] == ["made_available", "accessed"]

    bad = client.get("/api/v1/notifications?state=lost", headers={**a["clerk"], "Accept-Language": "es"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "state"
    assert bad.get_json()["message"] == "Estado de notificación desconocido: lost."
    hidden = client.get(f"/api/v1/notifications/{opened.id}", headers=b["clerk"])
    assert hidden.status_code == 404 and "made_available" not in hidden.get_data(as_text=True)
    assert client.get("/api/v1/notifications", headers=b["clerk"]).get_json()["items"] == []


# -- terms -------------------------------------------------------------------------------------


def test_the_deadline_calculator_counts_working_days_on_the_municipal_calendar(client, towns):
    a = towns["ajt-a"]
    # Notified on Friday 4 December 2026: 10 working days (art. 30.2 Ley 39/2015) count from Monday 7,
    # skipping weekends and 8 December (Immaculada): 7, 9, 10, 11, 14, 15, 16, 17, 18, 21.
    term = client.get("/api/v1/deadlines?start=2026-12-04&amount=10", headers=a["tecnic"]).get_json()
    assert (term["end"], term["counting_from"], term["unit"]) == ("2026-12-21", "2026-12-05", "working_days")
    assert [s["day"] for s in term["skipped"]] == ["2026-12-05", "2026-12-06", "2026-12-08", "2026-12-12",
                                                   "2026-12-13", "2026-12-19", "2026-12-20"]
    # A local holiday on Wednesday 9 December moves the end one working day on.
    extra = client.get("/api/v1/deadlines?start=2026-12-04&amount=10&extra=2026-12-09", headers=a["tecnic"])
    assert extra.get_json()["end"] == "2026-12-22"
    # One month from 31 January ends on the last day of February (art. 30.4), a Sunday: moved to Monday.
    month = client.get("/api/v1/deadlines?start=2027-01-31&amount=1&unit=months", headers=a["clerk"]).get_json()
    assert (month["moved_from"], month["end"]) == ("2027-02-28", "2027-03-01")

    bad = client.get("/api/v1/deadlines?start=4/12/2026&amount=10", headers={**a["clerk"], "Accept-Language": "es"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "start"
    assert bad.get_json()["message"] == "Introduzca una fecha válida (día, mes y año)."


def test_an_expedient_term_says_where_it_stands(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    clerk = a["ctx"]["clerk"]
    with_term = open_expedient(clerk, "Llicència d'obres menors")
    without = open_expedient(clerk, "Instància genèrica")
    # Started 15 January 2020 with a 3-month maximum term: due 15 April 2020 (art. 30.4), long past.
    record_term(clerk, with_term.id, date(2020, 1, 15), 3, [])
    db.session.commit()
    term = client.get(f"/api/v1/expedients/{with_term.id}/term", headers=a["tecnic"]).get_json()["term"]
    assert (term["start"], term["due"], term["months"]) == ("2020-01-15", "2020-04-15", 3)
    assert term["expired"] is True and term["at_risk"] is True and term["working_days_left"] == 0
    assert client.get(f"/api/v1/expedients/{without.id}/term", headers=a["clerk"]).get_json() == {"term": None}
    hidden = client.get(f"/api/v1/expedients/{with_term.id}/term", headers=b["clerk"])
    assert hidden.status_code == 404 and "2020" not in hidden.get_data(as_text=True)


# -- ENI import --------------------------------------------------------------------------------


def test_an_eni_expedient_exported_by_one_municipality_is_imported_by_another(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    clerk = a["ctx"]["clerk"]
    expedient = open_expedient(clerk, "Llicència d'obres menors")
    db.session.commit()
    pdf_document(clerk, expedient.id, "Sol·licitud", title="Sol·licitud", tipo_documental="TD14")
    assert client.post(f"/api/v1/expedients/{expedient.id}/close", headers=a["secretary"]).status_code == 200
    xml = client.get(f"/api/v1/expedients/{expedient.id}/eni", headers=a["clerk"]).data

    def upload(headers: dict[str, str], content: bytes):
        return client.post("/api/v1/eni/imports", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), "expedient.xml")})

    assert upload(b["tecnic"], xml).status_code == 403
    imported = upload(b["clerk"], xml)
    assert imported.status_code == 201, imported.get_json()
    body = imported.get_json()
    assert body["expedient"]["eni_id"] == expedient.eni_id and body["expedient"]["state"] == "E02"
    assert body["documents"] == 1 and body["index_signature_intact"] is True
    assert client.get(f"/api/v1/expedients/{body['expedient']['id']}", headers=b["clerk"]).status_code == 200
    assert client.get(f"/api/v1/expedients/{body['expedient']['id']}", headers=a["clerk"]).status_code == 404
    garbage = upload({**b["clerk"], "Accept-Language": "ca"}, b"not an expedient")
    assert garbage.status_code == 422 and garbage.get_json()["message"]
    assert client.post("/api/v1/eni/imports", headers=b["clerk"]).get_json()["field"] == "file"


# -- bodies and edicts -------------------------------------------------------------------------


def test_bodies_and_edicts_are_read_one_by_one_and_edicts_published(client, towns):
    a, b = towns["ajt-a"], towns["ajt-b"]
    ple = bodies.create_body(a["ctx"]["secretary"], code="ple", name="Ple de l'Ajuntament", kind="ple",
                             legal_members=7)
    expedient = open_expedient(a["ctx"]["clerk"], "Modificació de l'ordenança de guals")
    db.session.commit()
    assert client.get(f"/api/v1/bodies/{ple.id}", headers=a["tecnic"]).get_json()["name"] == "Ple de l'Ajuntament"
    assert client.get(f"/api/v1/bodies/{ple.id}", headers=b["clerk"]).status_code == 404

    # an exposure that starts in a month and lasts thirty days, whatever the day the test runs
    starts_on = local_date(utcnow()) + timedelta(days=30)
    ends_on = starts_on + timedelta(days=30)
    edict = {"expedient_id": expedient.id, "title": "Informació pública de l'ordenança de guals",
             "text": "Se sotmet a informació pública per trenta dies.", "starts_on": starts_on.isoformat(),
             "ends_on": ends_on.isoformat()}
    assert client.post("/api/v1/edicts", headers=a["tecnic"], json=edict).status_code == 403
    assert client.post("/api/v1/edicts", headers=b["clerk"], json=edict).status_code == 404
    published = client.post("/api/v1/edicts", headers=a["clerk"], json=edict)
    assert published.status_code == 201, published.get_json()
    edict_id = published.get_json()["id"]
    one = client.get(f"/api/v1/edicts/{edict_id}", headers=a["secretary"]).get_json()
    assert (one["starts_on"], one["ends_on"], one["intact"], one["withdrawn"]) == (
        starts_on.isoformat(), ends_on.isoformat(), True, False)
    assert [e["id"] for e in client.get("/api/v1/edicts", headers=a["mayor"]).get_json()] == [edict_id]
    past = client.post("/api/v1/edicts", headers=a["clerk"], json={**edict, "starts_on": "2020-01-01"})
    assert past.status_code == 422 and past.get_json()["field"] == "starts_on"
    assert client.get(f"/api/v1/edicts/{edict_id}", headers=a["tecnic"]).status_code == 403
    hidden = client.get(f"/api/v1/edicts/{edict_id}", headers=b["clerk"])
    assert hidden.status_code == 404 and "guals" not in hidden.get_data(as_text=True)


# -- the platform's tenants --------------------------------------------------------------------


def test_the_platform_admin_lists_reads_and_creates_tenants(client, towns):
    a = towns["ajt-a"]
    provincial = make_tenant("diputacio", "Diputació de Lleida", kind="provincial", dir3="L02000025", ine_code=None)
    admin = make_user("plataforma", provincial, ("admin",), platform_admin=True)
    open_expedient(a["ctx"]["clerk"], "Llicència d'obres menors")
    db.session.commit()
    platform = _token(ctx_for(admin, provincial))
    db.session.commit()

    listing = client.get("/api/v1/tenants", headers=platform).get_json()
    assert [t["code"] for t in listing["items"]] == ["ajt-a", "ajt-b", "diputacio"]  # by name
    assert listing["total"] == 3 and listing["pages"] == 1
    assert listing["items"][0]["opened_this_month"] == 1 and listing["items"][1]["opened_this_month"] == 0
    assert client.get(f"/api/v1/tenants/{a['tenant'].id}", headers=platform).get_json()["code"] == "ajt-a"

    new = {"code": "paeria", "name": "Ajuntament de Lleida", "dir3": "L01251207", "ine_code": "251207",
           "comarca": "Segrià", "admin": {"username": "admin.paeria", "full_name": "Maria Puig",
                                          "password": "una contrasenya llarga"}}
    created = client.post("/api/v1/tenants", headers=platform, json=new)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["kind"] == "ajuntament"
    assert [t["code"] for t in client.get("/api/v1/tenants?q=segri", headers=platform).get_json()["items"]] == [
        "paeria"]
    again = client.post("/api/v1/tenants", headers=platform, json=new)
    assert again.status_code == 409 and again.get_json()["field"] == "code"
    wrong_ine = client.post("/api/v1/tenants", headers=platform, json={**new, "code": "lleida", "ine_code": "251200"})
    assert wrong_ine.status_code == 422 and wrong_ine.get_json()["field"] == "ine_code"

    for call in (lambda h: client.get("/api/v1/tenants", headers=h),
                 lambda h: client.get(f"/api/v1/tenants/{a['tenant'].id}", headers=h),
                 lambda h: client.post("/api/v1/tenants", headers=h, json={**new, "code": "altre"})):
        assert call(a["clerk"]).status_code == 403
    assert client.get("/api/v1/tenants/999999", headers=platform).status_code == 404
