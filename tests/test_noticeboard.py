"""The notice board: an edict's exposure period on the tenant's calendar, a public page per town that
shows only what is exposed and unaltered, and the certificate of exposure (diligència) at the end."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.documents.documents import Document, issue_document, read_content, store_document
from engine.documents.signature_check import verify_pdf
from engine.noticeboard import diligence, edicts
from engine.noticeboard.models import Edict
from tests.bodies_helpers import sign_all
from tests.conftest import make_tenant
from tests.procedures_helpers import ROLE_PEOPLE, town
from tests.public_pages import municipality_frame
from webapp.views import noticeboard as board_views

TEXT = "Es sotmet a informació pública el projecte de la piscina municipal durant vint dies hàbils."


@pytest.fixture(autouse=True)
def _the_day_before_the_exposure(monkeypatch):  # type: ignore[no-untyped-def]
    """Edicts are published, withdrawn and asked for their certificate on Thursday 3 December 2026, the
    day before their exposure starts, whatever the day the tests run (publishing refuses a first day
    already past; the certificate waits for the last day to be over)."""
    day_before = lambda: datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # noqa: E731
    monkeypatch.setattr(edicts, "utcnow", day_before)
    monkeypatch.setattr(diligence, "utcnow", day_before)


def _published(t, **extra):  # type: ignore[no-untyped-def]
    expedient_id = t.open_case("Projecte d'obres de la piscina")
    doc_id = t.attach(expedient_id, "Projecte bàsic")
    edict = edicts.publish(t.people["secretari"], expedient_id, title="Informació pública: piscina municipal",
                           text=TEXT, starts_on=date(2026, 12, 4), document_ids=[doc_id],
                           **(extra or {"working_days": 20}))
    db.session.commit()
    return edict


def test_twenty_working_days_of_exposure_skip_the_christmas_holidays() -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t)
    # Ley 39/2015 art. 30.2 and art. 83: from Friday 4 December 2026, counted from the next day, without
    # weekends, 8 Dec (Immaculada), 25 and 26 Dec (Nadal, Sant Esteve), 1 Jan and 6 Jan (Reis): 7 January 2027.
    assert edict.ends_on == date(2027, 1, 7)


def test_the_public_board_shows_only_what_is_exposed_today_and_unaltered() -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t)
    tenant_id = t.tenant.id
    assert edicts.exposed(tenant_id, date(2026, 12, 3)) == []  # not yet
    assert [e.id for e in edicts.exposed(tenant_id, date(2026, 12, 10))] == [edict.id]
    assert [e.id for e in edicts.exposed(tenant_id, date(2026, 12, 10), "piscina")] == [edict.id]
    assert edicts.exposed(tenant_id, date(2026, 12, 10), "cementiri") == []
    assert edicts.exposed(tenant_id, date(2027, 1, 8)) == []  # over
    other = make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    db.session.commit()
    assert edicts.exposed(other.id, date(2026, 12, 10)) == []
    # nothing is edited once published: a change behind GEE's back takes the edict off the public board
    db.session.execute(db.update(Edict).where(Edict.id == edict.id).values(text=TEXT + " Modificat."))
    db.session.commit()
    db.session.expire_all()
    assert not edicts.intact(db.session.get(Edict, edict.id))  # type: ignore[arg-type]
    assert edicts.exposed(tenant_id, date(2026, 12, 10)) == []


def test_refuses_a_period_that_ends_before_it_starts_or_documents_of_another_expedient() -> None:
    t = town("instancia_generica.bpmn")
    expedient_id = t.open_case("Un altre expedient")
    other_doc = t.attach(t.open_case("Expedient aliè"), "Plànol")
    with pytest.raises(ValidationFailed, match="end on or after"):
        edicts.publish(t.people["secretari"], expedient_id, title="Edicte", text=TEXT, starts_on=date(2026, 12, 10),
                       ends_on=date(2026, 12, 9))
    with pytest.raises(ValidationFailed, match="does not belong"):
        edicts.publish(t.people["secretari"], expedient_id, title="Edicte", text=TEXT, starts_on=date(2026, 12, 10),
                       working_days=20, document_ids=[other_doc])


def test_the_certificate_of_exposure_states_the_exact_days_and_is_signed_by_the_secretary(monkeypatch) -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t)
    secretary = t.people["secretari"]
    with pytest.raises(Conflict, match="not over"):
        diligence.issue_diligence(secretary, edict.id)
    db.session.rollback()
    monkeypatch.setattr(diligence, "utcnow", lambda: datetime(2027, 1, 8, 9, 0, tzinfo=UTC))
    diligence.issue_diligence(secretary, edict.id)
    db.session.commit()
    assert sign_all(secretary) == 1
    doc = db.session.execute(db.select(Document).where(Document.tipo_documental == "TD12")
                             .order_by(Document.id.desc())).scalars().first()
    assert doc is not None and doc.expedient_id == edict.expedient_id
    content = read_content(secretary, doc.id)[1]
    assert [s.signer for s in verify_pdf(content).signatures] == [ROLE_PEOPLE["secretari"]]
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    # 4 December 2026 to 7 January 2027, both included: 35 days, 21 of them working (the first day and 20 more)
    assert "Des del 4 de desembre del 2026 fins al 7 de gener del 2027: 35 (dels quals hàbils 21)" in text
    assert edict.digest[:40] in "".join(text.split())
    with pytest.raises(Conflict, match="already issued"):
        diligence.issue_diligence(secretary, edict.id)


def test_a_citizen_reads_the_board_in_the_towns_e_office_with_each_document_by_title_and_csv(
        client, monkeypatch) -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t)
    decree = store_document(t.people["secretari"], edict.expedient_id, "decret.pdf", b"%PDF-1.4 decret",
                            title="Decret d'aprovació inicial", tipo_documental="TD01", from_administration=True)
    issue_document(t.people["secretari"], decree.id)
    edict = edicts.publish(t.people["secretari"], edict.expedient_id, title="Aprovació inicial del projecte",
                           text=TEXT, starts_on=date(2026, 12, 4), working_days=20,
                           document_ids=[decree.id, edict.document_ids[0]])
    db.session.commit()
    monkeypatch.setattr(board_views, "utcnow", lambda: datetime(2026, 12, 10, 9, 0, tzinfo=UTC))

    # the board: the town's name in the e-office header, its nav (procedures, board, portal), no staff login
    _, nav = municipality_frame(client.get("/tauler/sant-proves/").get_data(as_text=True),
                                "sant-proves", "Ajuntament de Sant Proves")
    assert nav["/tauler/sant-proves/"] == "Tauler d'anuncis" and nav["/seu/sant-proves/"] == "Tràmits"
    assert nav["/transparencia/sant-proves/"] == "Portal de transparència"

    # an edict: each document by its title, the issued one with its CSV leading to its verification
    page, _ = municipality_frame(client.get(f"/tauler/sant-proves/{edict.id}").get_data(as_text=True),
                                 "sant-proves", "Ajuntament de Sant Proves")
    items = page.xpath('//ul[@id="edict-documents"]/li')
    assert [" ".join(li.text_content().split()) for li in items] == [
        f"Decret d'aprovació inicial · CSV {decree.csv}", "Projecte bàsic"]
    assert items[0].xpath(".//a/@href") == [f"/tauler/sant-proves/{edict.id}/documents/{decree.id}",
                                         f"/verify?csv={decree.csv}"]
    assert client.get(items[0].xpath("a/@href")[0]).data == b"%PDF-1.4 decret"

    # an edict not on the board: said in the same frame, with the way back to the town's e-office
    missing = client.get("/tauler/sant-proves/999999")
    assert missing.status_code == 404
    page, _ = municipality_frame(missing.get_data(as_text=True), "sant-proves", "Ajuntament de Sant Proves")
    assert page.xpath('//main//a[@href="/seu/sant-proves/"]')


def test_a_withdrawn_edict_leaves_the_board_and_counts_its_days_until_the_withdrawal(client) -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t, ends_on=date(2026, 12, 31))
    page = client.get("/tauler/sant-proves/")
    assert page.status_code == 200  # public: no login
    edicts.withdraw(t.people["secretari"], edict.id, "Error en el projecte publicat.")
    db.session.commit()
    assert edicts.exposed(t.tenant.id, date(2026, 12, 10)) == []
    assert client.get(f"/tauler/sant-proves/{edict.id}").status_code == 404
    assert client.get("/tauler/no-such-town/").status_code == 404


def test_an_edict_withdrawn_before_its_first_day_gets_no_certificate_of_exposure() -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t, ends_on=date(2026, 12, 31))  # from Friday 4 December
    edicts.withdraw(t.people["secretari"], edict.id, "Error en el projecte publicat.")  # on Thursday 3rd
    db.session.commit()
    assert diligence.exposure_of(edict) is None  # it was never on the board: nothing to certify
    with pytest.raises(Conflict, match="never on the board"):
        diligence.issue_diligence(t.people["secretari"], edict.id)
    db.session.rollback()
    assert db.session.get(Edict, edict.id).diligence_document_id is None  # type: ignore[union-attr]
    assert db.session.execute(db.select(Document).where(Document.tipo_documental == "TD12")).first() is None


def test_the_certificate_of_an_edict_withdrawn_mid_exposure_says_the_day_it_was_withdrawn(monkeypatch) -> None:
    t = town("instancia_generica.bpmn")
    edict = _published(t)  # 4 December 2026 to 7 January 2027
    secretary = t.people["secretari"]
    monkeypatch.setattr(edicts, "utcnow", lambda: datetime(2026, 12, 10, 11, 0, tzinfo=UTC))  # Thursday 10th
    edicts.withdraw(secretary, edict.id, "Error en el projecte publicat.")
    db.session.commit()
    diligence.issue_diligence(secretary, edict.id)  # withdrawn: no need to wait for the planned end
    db.session.commit()
    doc = db.session.get(Document, edict.diligence_document_id)
    assert doc is not None
    text = " ".join(PdfReader(io.BytesIO(read_content(secretary, doc.id)[1])).pages[0].extract_text().split())
    # 4 to 10 December 2026, both included: 7 days; working 4, 7, 9 and 10 (5-6 a weekend, 8 the Immaculada)
    assert "Des del 4 de desembre del 2026 fins al 10 de desembre del 2026: 7 (dels quals hàbils 4)" in text
    assert "Retirat del tauler el 10 de desembre del 2026" in text
    assert "havia d'acabar el 7 de gener del 2027" in text and "Motiu: Error en el projecte publicat." in text
