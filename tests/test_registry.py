"""The registry: numbering per direction and year, art. 31.2.b effective time, receipts, corrections."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from engine.audit import AuditEvent
from engine.base.clock import MADRID, as_utc
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.calendar import TenantCalendar
from engine.documents.documents import list_documents, read_content, verify_by_csv
from engine.expedients.expedients import get_expedient, parties_of
from engine.expedients.parties import find_or_create_party
from engine.registry import entries as registry
from engine.registry.book import search_entries
from engine.registry.entries import (
    Upload,
    effective_moment,
    get_entry,
    register_incoming,
    register_outgoing,
)
from tests.conftest import ctx_for, make_tenant, make_user
from tests.records_helpers import close_expedient, new_expedient


@pytest.fixture
def clerk():
    tenant = make_tenant(local_holidays={"2025": ["2025-11-24"]})
    user = make_user("clerk", tenant, ("tramitador",), full_name="Anna Clerk")
    db.session.commit()
    return ctx_for(user, tenant)


@pytest.fixture
def citizen(clerk):
    party = find_or_create_party(clerk, "12345678Z", "Maria Puig i Soler", email="maria@example.org")
    db.session.commit()
    return party


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)


def _incoming(ctx, **kwargs):
    fields = {"subject": "Instància genèrica", "channel": "electronic"} | kwargs
    if "party_id" not in kwargs:
        fields.setdefault("sender", "Joan Veí Garcia")
    entry = register_incoming(ctx, **fields)
    db.session.commit()
    return entry


def _text(pdf: bytes) -> str:
    """The PDF's text as a reader sees it, with line breaks inside table cells undone."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


# -- effective time (art. 31.2.b) -------------------------------------------------------------


def test_saturday_filing_takes_effect_on_monday_at_midnight_madrid():
    calendar = TenantCalendar()
    presented = madrid(2026, 11, 21, 10, 15)  # Saturday
    assert effective_moment(calendar, presented) == madrid(2026, 11, 23, 0, 0)
    assert effective_moment(calendar, presented) == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


def test_holiday_filing_takes_effect_on_the_next_working_day():
    calendar = TenantCalendar()
    # 8 December 2026 (Immaculada, Tuesday) -> Wednesday 9 December.
    assert effective_moment(calendar, madrid(2026, 12, 8, 18, 0)) == madrid(2026, 12, 9, 0, 0)
    # Christmas Friday 25, Sant Esteve Saturday 26, Sunday 27 -> Monday 28 December.
    assert effective_moment(calendar, madrid(2026, 12, 25, 9, 0)) == madrid(2026, 12, 28, 0, 0)


def test_working_day_filing_takes_effect_when_presented():
    presented = madrid(2026, 11, 20, 23, 59, 30)  # Friday, late evening
    assert effective_moment(TenantCalendar(), presented) == presented


def test_the_local_date_decides_not_the_utc_date():
    # 00:30 on Saturday in Madrid is still Friday 23:30 in UTC: it is a Saturday filing.
    presented = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert effective_moment(TenantCalendar(), presented) == madrid(2026, 11, 23, 0, 0)


def test_registering_on_a_saturday_records_both_times(clerk):
    entry = _incoming(clerk, presented_at=madrid(2026, 11, 21, 10, 15, 42))
    assert as_utc(entry.presented_at) == madrid(2026, 11, 21, 10, 15, 42)
    assert as_utc(entry.effective_at) == madrid(2026, 11, 23, 0, 0)


def test_registering_on_a_local_holiday_uses_the_tenant_calendar(clerk):
    # The tenant's local holiday (Monday 24 November 2025) after a weekend -> Tuesday 25.
    entry = _incoming(clerk, presented_at=madrid(2025, 11, 22, 12, 0))
    assert as_utc(entry.effective_at) == madrid(2025, 11, 25, 0, 0)


# -- numbering and order ----------------------------------------------------------------------


def test_numbers_per_direction_and_year(clerk):
    first = _incoming(clerk, presented_at=madrid(2025, 12, 31, 23, 59))
    outgoing = register_outgoing(clerk, subject="Tramesa", channel="postal", recipient="Consell Comarcal",
                                 presented_at=madrid(2026, 1, 2, 9, 0))
    db.session.commit()
    second = _incoming(clerk, presented_at=madrid(2026, 1, 1, 0, 0, 1))
    third = _incoming(clerk, presented_at=madrid(2026, 1, 2, 10, 0))
    assert [first.number, second.number, third.number] == ["E/2025/000001", "E/2026/000001", "E/2026/000002"]
    assert outgoing.number == "S/2026/000001"
    assert [e.number for e in search_entries(clerk, "E", 2026)] == ["E/2026/000002", "E/2026/000001"]


def test_entries_follow_temporal_order(clerk):
    _incoming(clerk, presented_at=madrid(2026, 3, 2, 10, 0))
    with pytest.raises(ValidationFailed) as err:
        _incoming(clerk, presented_at=madrid(2026, 3, 2, 9, 59))
    assert "temporal order" in str(err.value)
    db.session.rollback()
    # The refused filing gave its number back.
    assert _incoming(clerk, presented_at=madrid(2026, 3, 2, 10, 1)).number == "E/2026/000002"


def test_presentation_in_the_future_is_refused(clerk):
    with pytest.raises(ValidationFailed):
        _incoming(clerk, presented_at=datetime(2999, 1, 1, tzinfo=UTC))


def test_default_presentation_time_is_now(clerk):
    before = datetime.now(UTC)
    entry = _incoming(clerk)
    assert before <= as_utc(entry.presented_at) <= datetime.now(UTC)


def test_an_entry_names_who_files_it(clerk):
    with pytest.raises(ValidationFailed) as err:
        register_incoming(clerk, subject="Anònima", channel="electronic")
    assert err.value.field == "sender"


def test_unknown_channel_is_refused(clerk):
    with pytest.raises(ValidationFailed) as err:
        _incoming(clerk, channel="fax")
    assert err.value.field == "channel"


# -- expedients, documents, receipts ----------------------------------------------------------


def test_incoming_entry_opens_an_expedient_with_documents_and_receipt(clerk, citizen):
    application = b"Sol\xc2\xb7licito llic\xc3\xa8ncia per canviar les rajoles de la cuina.\n"
    plan = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    entry = _incoming(
        clerk,
        subject="Sol·licitud de llicència d'obres menors",
        party_id=citizen.id,
        open_expedient_subject="Llicència d'obres menors - Carrer Major 1",
        uploads=[Upload("sollicitud.txt", application, "Sol·licitud", "TD14"),
                 Upload("plànol.pdf", plan, "Plànol")],
        presented_at=madrid(2026, 11, 21, 10, 15, 42),
    )
    expedient = get_expedient(clerk, entry.expedient_id)
    assert expedient.subject == "Llicència d'obres menors - Carrer Major 1"
    assert [link.party_id for link in parties_of(clerk, expedient.id)] == [citizen.id]
    docs = list_documents(clerk, expedient.id)
    assert [d.title for d in docs] == ["Sol·licitud", "Plànol", f"Justificant de presentació {entry.number}"]
    assert [a.sha256 for a in entry.attachments] == [hashlib.sha256(application).hexdigest(),
                                                     hashlib.sha256(plan).hexdigest()]
    assert docs[0].from_administration is False and docs[0].tipo_documental == "TD14"

    receipt, pdf = read_content(clerk, entry.receipt_document_id)
    assert receipt.content_type == "application/pdf" and receipt.tipo_documental == "TD09"
    assert receipt.from_administration is True and receipt.issued and receipt.csv
    text = _text(pdf)
    for expected in (
        "Justificant de presentació",
        "E/2026/000001",
        "21 de novembre del 2026, 10:15:42",  # Catalan: the month in words, a four-digit year
        "23 de novembre del 2026, 00:00:00",  # effects on Monday (art. 31.2.b)
        "Ajuntament de Proves",
        "L01259999",
        "Maria Puig i Soler",
        "12345678Z",
        "Sol·licitud de llicència d'obres menors",
        expedient.number,
        "sollicitud.txt",
        receipt.csv,
    ):
        assert expected in text, expected
    compact = text.replace(" ", "")
    assert hashlib.sha256(application).hexdigest() in compact
    assert hashlib.sha256(plan).hexdigest() in compact
    # Anyone holding the receipt can check it with its CSV.
    assert verify_by_csv(receipt.csv).intact is True


def test_receipt_in_spanish(clerk, citizen):
    entry = _incoming(clerk, party_id=citizen.id, locale="es", presented_at=madrid(2026, 11, 18, 12, 0))
    text = _text(read_content(clerk, entry.receipt_document_id)[1])
    assert "Justificante de presentación" in text and "Fecha y hora de presentación" in text
    assert "18 de noviembre de 2026, 12:00:00" in text
    assert "cómputo de plazos" not in text  # a working day: no separate effective time


def test_incoming_entry_joins_an_existing_expedient(clerk, citizen):
    expedient = new_expedient(clerk)
    entry = _incoming(clerk, party_id=citizen.id, expedient_id=expedient.id, subject="Aportació de documentació",
                      uploads=[Upload("annex.txt", b"annex", "Annex")])
    assert entry.expedient_id == expedient.id
    titles = [d.title for d in list_documents(clerk, expedient.id)]
    assert titles == ["Annex", f"Justificant de presentació {entry.number}"]
    assert [link.party_id for link in parties_of(clerk, expedient.id)] == [citizen.id]


def test_filing_into_a_closed_expedient_is_refused(clerk):
    expedient = new_expedient(clerk)
    close_expedient(clerk, expedient)
    with pytest.raises(Conflict):
        _incoming(clerk, expedient_id=expedient.id)
    db.session.rollback()
    assert search_entries(clerk, "E", datetime.now(UTC).year) == []


def test_open_and_join_at_once_is_refused(clerk):
    expedient = new_expedient(clerk)
    with pytest.raises(ValidationFailed):
        _incoming(clerk, expedient_id=expedient.id, open_expedient_subject="Un altre")


def test_a_refused_attachment_loses_nothing_and_takes_no_number(clerk):
    exe = b"MZ\x90\x00" + b"\x00" * 200
    with pytest.raises(ValidationFailed):
        _incoming(clerk, open_expedient_subject="Amb virus", uploads=[Upload("factura.pdf", exe)])
    db.session.rollback()
    assert _incoming(clerk).number.endswith("/000001")


def test_outgoing_entry_links_existing_documents_with_digests(clerk, citizen):
    incoming = _incoming(clerk, party_id=citizen.id, open_expedient_subject="Certificat",
                         presented_at=madrid(2026, 11, 16, 9, 0))
    receipt = incoming.receipt_document_id
    outgoing = register_outgoing(clerk, subject="Notificació de resolució", channel="electronic",
                                 party_id=citizen.id, document_ids=[receipt], expedient_id=incoming.expedient_id)
    db.session.commit()
    assert outgoing.recipient == "Maria Puig i Soler" and outgoing.sender == "Ajuntament de Proves"
    assert [(a.document_id, a.sha256) for a in outgoing.attachments] == [
        (receipt, read_content(clerk, receipt)[0].sha256)
    ]
    assert outgoing.receipt_document_id is None
    with pytest.raises(ValidationFailed):
        register_outgoing(clerk, subject="Sense destinatari", channel="postal")


def test_a_correction_is_a_new_entry_naming_the_corrected_one(clerk, citizen):
    wrong = _incoming(clerk, subject="Instància (NIF erroni)", presented_at=madrid(2026, 11, 16, 9, 0))
    fixed = _incoming(clerk, subject="Instància", party_id=citizen.id, corrects_entry_id=wrong.id,
                      presented_at=madrid(2026, 11, 16, 9, 30))  # fmt: skip
    assert fixed.number == "E/2026/000002" and fixed.corrects_entry_id == wrong.id
    assert get_entry(clerk, wrong.id).subject == "Instància (NIF erroni)"
    text = _text(read_content(clerk, fixed.receipt_document_id)[1])
    assert "Corregeix l'assentament" in text and wrong.number in text


def test_there_is_no_service_to_edit_or_delete_entries():
    public = {name for name in dir(registry) if not name.startswith("_")}
    assert not {n for n in public if n.startswith(("delete", "update", "edit", "remove"))}


def test_registering_is_audited(clerk):
    entry = _incoming(clerk)
    event = db.session.query(AuditEvent).filter_by(action="registry.incoming").one()
    assert event.object_id == str(entry.id) and event.after["number"] == entry.number


def test_other_tenants_entries_are_not_found(clerk, citizen):
    entry = _incoming(clerk, party_id=citizen.id, open_expedient_subject="Privat")
    other = make_tenant("ajt-altre", "Ajuntament Altre", dir3="L01258888")
    intruder = ctx_for(make_user("intrus", other, ("tramitador",)), other)
    db.session.commit()
    attempts = (
        lambda: get_entry(intruder, entry.id),
        lambda: register_incoming(intruder, subject="x", channel="electronic", party_id=citizen.id),
        lambda: register_incoming(intruder, subject="x", channel="electronic", sender="x",
                                  expedient_id=entry.expedient_id),
        lambda: register_incoming(intruder, subject="x", channel="electronic", sender="x",
                                  corrects_entry_id=entry.id),
        lambda: register_outgoing(intruder, subject="x", channel="postal", recipient="x",
                                  document_ids=[entry.receipt_document_id]),
        lambda: register_outgoing(intruder, subject="x", channel="postal", recipient="x",
                                  expedient_id=entry.expedient_id),
    )
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
        db.session.rollback()
    assert search_entries(intruder, "E", entry.year) == [] and search_entries(intruder, "S", entry.year) == []
