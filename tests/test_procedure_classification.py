"""The ENI classification of a procedure's expedients (Clasificacion, NTI de Expediente Electrónico):
the same `<DIR3>_PRO_<code>` whether the citizen files in the e-office or a clerk opens the expedient
from an incoming registry entry, each municipality with its own DIR3, and in the ENI export."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from engine.base.db import db
from engine.eni.export import export_expedient
from engine.eni.namespaces import q
from engine.expedients.expedients import Expedient
from engine.expedients.parties import find_or_create_party
from engine.process.models import ProcessModel
from engine.registry.entries import Channel, register_incoming
from engine.registry.open_expedient import open_and_start
from tests.conftest import ctx_for, make_tenant, make_user
from tests.online_helpers import file_online
from tests.procedures_helpers import Town, spiff_clock, town
from tests.test_procedures_acces_informacio import KEY, REQUEST
from tests.test_signatures_helpers import give_seal

__all__ = ["spiff_clock"]  # the fixture, used by name
pytestmark = pytest.mark.usefixtures("spiff_clock")


@pytest.fixture
def t() -> Town:
    return town(f"{KEY}.bpmn")


def _model_id() -> int:
    return db.session.execute(select(ProcessModel.id).where(ProcessModel.key == KEY)).scalar_one()


def _opened_from_the_registry(ctx, nif: str, name: str) -> Expedient:
    """A request brought to the counter, registered, then opened as the procedure by the clerk."""
    party = find_or_create_party(ctx, nif, name)
    entry = register_incoming(ctx, subject="Sol·licitud d'accés a la informació", channel=Channel.IN_PERSON,
                              party_id=party.id)
    db.session.commit()
    opened = open_and_start(ctx, process_model_id=_model_id(), registry_entry_id=entry.id)
    db.session.commit()
    return opened.expedient


def _exported_classification(ctx, expedient_id: int) -> str:
    root = etree.fromstring(export_expedient(ctx, expedient_id))
    return root.findtext(f".//{q('eniexpmeta', 'Clasificacion')}")


def test_the_deploy_carries_the_procedure_code_of_the_sidecar_on_the_model(t: Town) -> None:
    model = db.session.get(ProcessModel, _model_id())
    assert model is not None and model.classification == "ACCES_INFORMACIO"  # processes/<key>.info.json


def test_a_clerk_opening_from_a_registry_entry_classifies_like_the_e_office_and_the_eni_export_says_so(
        t: Town) -> None:
    give_seal(t.tenant)
    db.session.commit()
    clerk = t.people["tramitador"]
    online_id, _ = file_online(t, KEY, REQUEST, "2026-03-02")
    from_counter = _opened_from_the_registry(clerk, "87654321X", "Pere Vila Puig")
    online = db.session.get(Expedient, online_id)
    assert online is not None
    assert from_counter.classification == online.classification == "L01259999_PRO_ACCES_INFORMACIO"
    assert _exported_classification(clerk, from_counter.id) == "L01259999_PRO_ACCES_INFORMACIO"
    assert _exported_classification(clerk, online_id) == "L01259999_PRO_ACCES_INFORMACIO"


def test_each_municipality_gets_its_own_organ_in_the_code_of_a_shared_procedure(t: Town) -> None:
    other = make_tenant("altre-poble", "Ajuntament d'Altre Poble", dir3="L01250002", ine_code="250002")
    clerk = ctx_for(make_user("clerk.altre", other, ("tramitador",)), other)
    db.session.commit()
    theirs = _opened_from_the_registry(clerk, "87654321X", "Pere Vila Puig")
    ours = _opened_from_the_registry(t.people["tramitador"], "87654321X", "Pere Vila Puig")
    assert theirs.classification == "L01250002_PRO_ACCES_INFORMACIO"
    assert ours.classification == "L01259999_PRO_ACCES_INFORMACIO"
