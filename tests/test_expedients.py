"""Expedients: gapless numbers per tenant and year, ENI identifiers, states, search, concurrency."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from engine.audit.trail import AuditEvent, verify_chain
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.documents.closing import close_expedient
from engine.expedients.expedients import (
    ExpedientReopening,
    eni_identifier,
    find_by_number,
    get_expedient,
    link_party,
    mark_index_closed_for_remission,
    open_expedient,
    relate,
    reopen_expedient,
)
from engine.expedients.listing import expedients_page
from engine.expedients.parties import find_or_create_party
from tests.conftest import ctx_for, make_tenant, make_user
from tests.services import postgres_app


@pytest.fixture
def tenant_a():
    tenant = make_tenant("ajt-a", dir3="L01250001")
    db.session.commit()
    return tenant


@pytest.fixture
def clerk(tenant_a):
    user = make_user("clerk", tenant_a, ("tramitador",))
    db.session.commit()
    return ctx_for(user, tenant_a)


@pytest.fixture
def secretary(tenant_a):
    user = make_user("secretaria", tenant_a, ("secretari",))
    db.session.commit()
    return ctx_for(user, tenant_a)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_numbers_follow_each_other_per_tenant_and_year(clerk, tenant_a):
    first = open_expedient(clerk, "Instància genèrica", opened_at=at(2026, 3, 2, 9))
    second = open_expedient(clerk, "Llicència d'obres menors", opened_at=at(2026, 3, 2, 10))
    db.session.commit()
    assert (first.number, second.number) == ("2026/000001", "2026/000002")
    assert first.eni_id == "ES_L01250001_2026_EXP_000001"
    assert first.state == "E01" and first.year == 2026
    other_tenant = make_tenant("ajt-b", dir3="L01250002")
    other_user = make_user("other", other_tenant, ("tramitador",))
    db.session.commit()
    elsewhere = open_expedient(ctx_for(other_user, other_tenant), "Instància", opened_at=at(2026, 3, 2, 11))
    db.session.commit()
    assert elsewhere.number == "2026/000001"
    assert elsewhere.eni_id == "ES_L01250002_2026_EXP_000001"


def test_the_year_is_the_catalan_date_of_opening(clerk):
    # 31 December 2026 at 23:30 UTC is already 1 January 2027 at 00:30 in Catalonia.
    late = open_expedient(clerk, "Cap d'any", opened_at=at(2026, 12, 31, 23, 30))
    before = open_expedient(clerk, "Abans", opened_at=at(2026, 12, 31, 22, 30))
    db.session.commit()
    assert late.number == "2027/000001" and late.eni_id.endswith("_2027_EXP_000001")
    assert before.number == "2026/000001"


def test_opening_is_audited(clerk, tenant_a):
    party = find_or_create_party(clerk, "12345678Z", "Maria Puig")
    expedient = open_expedient(clerk, "Llicència d'obres", party_ids=[party.id], classification="2004327",
                               opened_at=at(2026, 3, 2, 9))  # fmt: skip
    db.session.commit()
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "expedient.opened")).scalar_one()
    assert event.expedient_id == expedient.id and event.actor == "clerk"
    assert event.after["number"] == "2026/000001"
    assert event.after["parties"] == ["12345678Z"]
    assert verify_chain(tenant_a.id) is None


def test_bad_input_loses_nothing_and_keeps_numbers_gapless(clerk):
    with pytest.raises(ValidationFailed) as err:
        open_expedient(clerk, "   ")
    assert err.value.field == "subject"
    db.session.rollback()
    with pytest.raises(ValidationFailed) as err:
        open_expedient(clerk, "Llicència", classification="not a code")
    assert err.value.field == "classification"
    db.session.rollback()
    with pytest.raises(NotFound):
        open_expedient(clerk, "Llicència", party_ids=[999])
    db.session.rollback()
    opened = open_expedient(clerk, "Llicència", opened_at=at(2026, 5, 4, 9))
    db.session.rollback()  # e.g. a later step of the same transaction failed
    again = open_expedient(clerk, "Llicència", opened_at=at(2026, 5, 4, 9))
    db.session.commit()
    assert opened.number == again.number == "2026/000001"


def test_only_clerks_secretaries_mayors_and_admins_open_expedients(tenant_a):
    tecnic = make_user("arquitecte", tenant_a, ("tecnic",))
    db.session.commit()
    with pytest.raises(Forbidden):
        open_expedient(ctx_for(tecnic, tenant_a), "Informe")


@pytest.mark.parametrize("classification", ["2004327", "L01250001_PRO_LLICOBRES", "L01250001_PRO_instancia_generica"])
def test_valid_classifications(clerk, classification):
    assert open_expedient(clerk, "X", classification=classification).classification == classification


def test_eni_identifier_shape_and_length():
    assert eni_identifier("L01250001", 2026, 123) == "ES_L01250001_2026_EXP_000123"
    longest_organ = "E" + "0" * 20  # DIR3 codes have at most 21 characters
    assert len(eni_identifier(longest_organ, 2026, 999_999)) <= 52
    for bad in ("l01 250001", "", "L0125_0001"):
        with pytest.raises(ValidationFailed):
            eni_identifier(bad, 2026, 1)


def test_find_by_number_and_search(clerk):
    company = find_or_create_party(clerk, "B12345674", "Construccions Segre SL")
    person = find_or_create_party(clerk, "12345678Z", "Maria Puig")
    obres = open_expedient(clerk, "Llicència d'obres majors al carrer Major", party_ids=[company.id],
                           opened_at=at(2026, 2, 2, 9))
    padro = open_expedient(clerk, "Certificat d'empadronament", party_ids=[person.id], opened_at=at(2026, 2, 3, 9))
    db.session.commit()
    assert find_by_number(clerk, "2026/000002").id == padro.id
    assert find_by_number(clerk, "2026/2").id == padro.id
    for missing in ("2026/000003", "2025/000001", "garbage"):
        with pytest.raises(NotFound):
            find_by_number(clerk, missing)
    assert [e.id for e in expedients_page(clerk, q="obres").rows] == [obres.id]
    assert [e.id for e in expedients_page(clerk, q="B-12345674").rows] == [obres.id]
    assert [e.id for e in expedients_page(clerk, q="puig").rows] == [padro.id]
    assert [e.id for e in expedients_page(clerk, q="2026/00000").rows] == [padro.id, obres.id]  # newest first
    assert expedients_page(clerk, q="%").rows == []


def test_search_finds_any_part_of_a_nif_a_number_or_a_name(clerk):
    """A term is looked up among NIFs and numbers only when one could contain it: every fragment
    of them is still found, and so are names and subjects."""
    company = find_or_create_party(clerk, "B12345674", "Construccions Segre SL")
    person = find_or_create_party(clerk, "X1234567L", "Maria Puig 2026")
    obres = open_expedient(clerk, "Llicència d'obres", party_ids=[company.id], opened_at=at(2026, 2, 2, 9))
    padro = open_expedient(clerk, "Padró", party_ids=[person.id], opened_at=at(2026, 2, 3, 9))
    db.session.commit()
    found = {term: sorted(e.id for e in expedients_page(clerk, q=term).rows) for term in (
        "b1234", "2345674", "B-12345674", "x 1234567 l", "567L", "segre sl", "PUIG", "2026", "/000002", "6/0")}
    assert found == {"b1234": [obres.id], "2345674": [obres.id], "B-12345674": [obres.id],
                     "x 1234567 l": [padro.id], "567L": [padro.id], "segre sl": [obres.id], "PUIG": [padro.id],
                     "2026": sorted([obres.id, padro.id]), "/000002": [padro.id], "6/0": sorted([obres.id, padro.id])}


def test_related_expedients(clerk):
    a = open_expedient(clerk, "Llicència d'obres")
    b = open_expedient(clerk, "Liquidació ICIO")
    db.session.commit()
    relate(clerk, a.id, b.id)
    relate(clerk, b.id, a.id)  # already related: nothing changes
    db.session.commit()
    assert [e.id for e in get_expedient(clerk, a.id).related] == [b.id]
    assert [e.id for e in get_expedient(clerk, b.id).related] == [a.id]
    with pytest.raises(ValidationFailed):
        relate(clerk, a.id, a.id)


def test_close_freezes_computes_the_index_and_reopening_needs_a_reason(clerk, secretary):
    from engine.documents.documents import store_document

    expedient = open_expedient(clerk, "Llicència d'obres")
    contents = [b"%PDF-1.4 sollicitud", b"%PDF-1.4 informe tecnic"]
    docs = [
        store_document(clerk, expedient.id, f"doc{i}.pdf", content, title=f"Document {i}", tipo_documental="TD14",
                       from_administration=False)
        for i, content in enumerate(contents, start=1)
    ]
    db.session.commit()
    closed = close_expedient(clerk, expedient.id)
    db.session.commit()
    assert closed.state == "E02" and closed.closed_at is not None
    assert [(e["order"], e["document_id"], e["digest"]) for e in closed.closing_index] == [
        (1, docs[0].id, hashlib.sha512(contents[0]).hexdigest()),
        (2, docs[1].id, hashlib.sha512(contents[1]).hexdigest()),
    ]
    party = find_or_create_party(clerk, "12345678Z", "Maria Puig")
    db.session.commit()
    with pytest.raises(Conflict):
        link_party(clerk, expedient.id, party.id)
    with pytest.raises(Conflict):
        store_document(clerk, expedient.id, "late.pdf", b"late", title="Tard", tipo_documental="TD99",
                       from_administration=True)
    db.session.rollback()
    with pytest.raises(Conflict):
        close_expedient(clerk, expedient.id)
    with pytest.raises(Forbidden):
        reopen_expedient(clerk, expedient.id, "Cal afegir un informe")
    with pytest.raises(ValidationFailed) as err:
        reopen_expedient(secretary, expedient.id, "  ")
    assert err.value.field == "reason"
    db.session.rollback()
    reopened = reopen_expedient(secretary, expedient.id, "Cal afegir l'informe jurídic")
    db.session.commit()
    assert reopened.state == "E01" and reopened.closed_at is None and reopened.closing_index is None
    history = db.session.execute(select(ExpedientReopening)).scalars().all()
    assert [(h.reason, h.previous_state, len(h.previous_index)) for h in history] == [
        ("Cal afegir l'informe jurídic", "E02", 2)
    ]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "expedient.reopened")).scalar_one()
    assert event.note == "Cal afegir l'informe jurídic" and event.actor == "secretaria"
    link_party(clerk, expedient.id, party.id)  # open again: changes are accepted
    db.session.commit()


def test_index_closed_for_remission_only_after_closing(clerk, secretary):
    expedient = open_expedient(clerk, "Remissió al jutjat")
    db.session.commit()
    with pytest.raises(Conflict):
        mark_index_closed_for_remission(secretary, expedient.id)
    close_expedient(clerk, expedient.id)
    assert mark_index_closed_for_remission(secretary, expedient.id).state == "E03"
    db.session.commit()
    assert reopen_expedient(secretary, expedient.id, "Retornat pel jutjat").state == "E01"


# -- concurrency on PostgreSQL -------------------------------------------------------------------


def test_twenty_concurrent_openings_get_twenty_consecutive_numbers():
    with postgres_app(pool_size=25) as pg_app:
        with pg_app.app_context():
            tenant = make_tenant("ajt-concurrent", dir3="L01250003")
            user = make_user("clerk", tenant, ("tramitador",))
            db.session.commit()
            ctx = ctx_for(user, tenant)
        barrier = threading.Barrier(20)
        numbers: list[str] = []
        errors: list[BaseException] = []

        def open_one(i: int, roll_back: bool) -> None:
            with pg_app.app_context():
                try:
                    barrier.wait()
                    expedient = open_expedient(ctx, f"Sol·licitud {i}", opened_at=at(2026, 6, 1, 9))
                    if roll_back:
                        db.session.rollback()
                    else:
                        numbers.append(expedient.number)
                        db.session.commit()
                except BaseException as exc:
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=open_one, args=(i, i % 5 == 0)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(numbers) == 16
        with pg_app.app_context():
            stored = db.session.execute(
                sa.text("SELECT number FROM expedients ORDER BY seq")
            ).scalars().all()
            # 4 openings rolled back: their numbers went back, so 16 numbers follow without a gap.
            assert stored == [f"2026/{n:06d}" for n in range(1, 17)]
            assert sorted(numbers) == stored
            assert verify_chain(tenant.id) is None
            db.session.remove()



def test_process_model_gives_its_classification_and_other_tenants_models_are_not_found(clerk, tenant_a):
    from engine.process.models import ProcessModel

    other = make_tenant("ajt-b", dir3="L01250002")
    shared = ProcessModel(tenant_id=None, key="llicencia_obres", name="Llicència d'obres",
                          classification="L01250001_PRO_OBRES")
    foreign = ProcessModel(tenant_id=other.id, key="secret", name="Secret")
    db.session.add_all([shared, foreign])
    db.session.commit()
    expedient = open_expedient(clerk, "Obres", process_model_id=shared.id)
    assert (expedient.process_model_id, expedient.classification) == (shared.id, "L01250001_PRO_OBRES")
    assert open_expedient(clerk, "Obres", process_model_id=shared.id, classification="2004327").classification \
        == "2004327"
    with pytest.raises(NotFound):
        open_expedient(clerk, "Secret", process_model_id=foreign.id)
