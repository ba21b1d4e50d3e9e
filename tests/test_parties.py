"""Interested parties: NIF/NIE/CIF validation, one row per NIF and tenant, channels, representatives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit.trail import AuditEvent
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.expedients.expedients import open_expedient, parties_of
from engine.expedients.parties import (
    find_or_create_party,
    find_party_by_nif,
    normalise_nif,
    update_party,
)
from tests.conftest import ctx_for, make_tenant, make_user


@pytest.fixture
def ctx():
    tenant = make_tenant()
    user = make_user("clerk", tenant, ("tramitador",))
    db.session.commit()
    return ctx_for(user, tenant)


# Check letters computed by hand: DNI letter = "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]
# (12345678 % 23 = 14 -> Z); NIE X -> 0 (01234567 % 23 = 19 -> L); CIF B1234567: even digits
# 2+4+6 = 12, odd digits doubled 2, 6, 1+0, 1+4 = 14, total 26 -> control (10 - 6) = 4.
@pytest.mark.parametrize(("raw", "expected"), [
    ("12345678Z", "12345678Z"),
    ("12.345.678-z", "12345678Z"),
    (" x-1234567-l ", "X1234567L"),
    ("b-12345674", "B12345674"),
    ("ES B12345674", "B12345674"),
])
def test_nif_nie_cif_are_normalised(raw, expected):
    assert normalise_nif(raw) == expected


@pytest.mark.parametrize("raw", ["12345678A", "X1234567Z", "B12345675"])
def test_a_wrong_check_letter_is_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as err:
        normalise_nif(raw)
    assert err.value.field == "nif"
    assert raw in str(err.value) and "check" in str(err.value)
    assert "NIF" in str(err.value)


@pytest.mark.parametrize("raw", ["", "1234", "hello world", "123456789012"])
def test_garbage_is_not_a_nif(raw):
    with pytest.raises(ValidationFailed) as err:
        normalise_nif(raw)
    assert err.value.field == "nif"


def test_the_same_nif_finds_the_same_party_across_expedients(ctx):
    party = find_or_create_party(ctx, "12345678Z", "Maria Puig", email="maria@example.cat")
    again = find_or_create_party(ctx, "12.345.678-z", "M. Puig i Soler")
    assert again.id == party.id and again.name == "Maria Puig"  # not overwritten by a later filing
    first = open_expedient(ctx, "Llicència d'obres", party_ids=[party.id])
    second = open_expedient(ctx, "Instància genèrica", party_ids=[again.id])
    db.session.commit()
    assert [link.party.nif for link in parties_of(ctx, first.id)] == ["12345678Z"]
    assert [link.party.id for link in parties_of(ctx, second.id)] == [party.id]
    assert find_party_by_nif(ctx, "12345678-Z").id == party.id
    assert find_party_by_nif(ctx, "00000000T") is None


def test_parties_are_per_tenant(ctx):
    other_tenant = make_tenant("ajt-altre", dir3="L01259998")
    other_user = make_user("altre", other_tenant, ("tramitador",))
    db.session.commit()
    other = ctx_for(other_user, other_tenant)
    mine = find_or_create_party(ctx, "12345678Z", "Maria Puig")
    theirs = find_or_create_party(other, "12345678Z", "Maria Puig")
    db.session.commit()
    assert mine.id != theirs.id
    assert find_party_by_nif(other, "12345678Z").id == theirs.id


def test_legal_persons_must_use_the_electronic_channel(ctx):
    with pytest.raises(ValidationFailed) as err:
        find_or_create_party(ctx, "B12345674", "Construccions Segre SL", preferred_channel="postal")
    assert err.value.field == "preferred_channel"
    company = find_or_create_party(ctx, "B12345674", "Construccions Segre SL")
    assert company.kind == "entity" and company.preferred_channel == "electronic"
    with pytest.raises(ValidationFailed):
        update_party(ctx, company.id, preferred_channel="postal")


def test_people_may_choose_postal_or_electronic(ctx):
    by_post = find_or_create_party(ctx, "12345678Z", "Maria Puig", address="Carrer Major 1",
                                   preferred_channel="postal")
    assert by_post.kind == "person" and by_post.preferred_channel == "postal"
    # An e-mail is where the notice of a notification goes (art. 41.6), not a choice of the
    # electronic channel: a natural person is notified on paper unless they choose it (art. 14.1).
    with_email = find_or_create_party(ctx, "X1234567L", "John Smith", email="john@example.com")
    assert with_email.preferred_channel == "postal"
    online = find_or_create_party(ctx, "Y1234567X", "Anna Smith", email="anna@example.com",
                                  preferred_channel="electronic")
    assert online.preferred_channel == "electronic"
    with pytest.raises(ValidationFailed):
        find_or_create_party(ctx, "00000000T", "Pere", preferred_channel="pigeon")


def test_bad_contact_data_is_refused(ctx):
    with pytest.raises(ValidationFailed) as err:
        find_or_create_party(ctx, "12345678Z", "Maria Puig", email="not-an-email")
    assert err.value.field == "email"
    with pytest.raises(ValidationFailed) as err:
        find_or_create_party(ctx, "12345678Z", "  ")
    assert err.value.field == "name"


def test_representatives(ctx):
    lawyer = find_or_create_party(ctx, "X1234567L", "Advocada Gestora", email="a@example.cat")
    company = find_or_create_party(ctx, "B12345674", "Construccions Segre SL", representative_id=lawyer.id)
    assert company.representative.id == lawyer.id
    with pytest.raises(ValidationFailed):
        update_party(ctx, company.id, representative_id=company.id)
    expedient = open_expedient(ctx, "Llicència d'obres majors", party_ids=[company.id])
    db.session.commit()
    roles = [(link.party.nif, link.role) for link in parties_of(ctx, expedient.id)]
    assert roles == [("B12345674", "interessat"), ("X1234567L", "representant")]


def test_a_representative_of_another_tenant_is_not_found(ctx):
    other_tenant = make_tenant("ajt-altre", dir3="L01259998")
    other_user = make_user("altre", other_tenant, ("tramitador",))
    db.session.commit()
    foreign = find_or_create_party(ctx_for(other_user, other_tenant), "X1234567L", "Foreign")
    db.session.commit()
    with pytest.raises(NotFound):
        find_or_create_party(ctx, "12345678Z", "Maria Puig", representative_id=foreign.id)



def test_update_is_audited_with_before_and_after(ctx):
    party = find_or_create_party(ctx, "12345678Z", "Maria Puig", address="Carrer Major 1")
    update_party(ctx, party.id, address="Plaça de l'Església 3")
    db.session.commit()
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "party.updated")
    ).scalar_one()
    assert event.before["address"] == "Carrer Major 1"
    assert event.after["address"] == "Plaça de l'Església 3"
    with pytest.raises(ValidationFailed):
        update_party(ctx, party.id, nif="00000000T")
