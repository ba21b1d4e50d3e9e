"""Public information from the citizen's side and the end of its exposure: a citizen identified in
the e-office files an allegation (text and a document) on an edict while it is on the board; when its
last day has passed the scheduler takes it off the board, issues the certificate of exposure, and the
procedure resumes with the allegations received; once over, the e-office refuses new ones."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.base.clock import MADRID
from engine.base.db import db
from engine.documents.documents import Document
from engine.expedients.expedients import parties_of
from engine.noticeboard.models import Edict
from engine.process.definition.deploy import deploy_process
from engine.registry.entries import RegistryEntry
from engine.worker.scheduler import sweep_all
from tests.bodies_helpers import sign_all
from tests.procedures_helpers import ready_ids, spiff_clock, town  # noqa: F401 (fixture)
from tests.services import run_queued_jobs
from tests.test_seu import EXE, PDF, citizen_login, refused_form, summary_lines, token_of

FIXTURE = Path(__file__).parent / "fixtures" / "bpmn" / "informacio_publica.bpmn"


def _entries() -> int:
    return db.session.query(RegistryEntry).count()


def _diligences(expedient_id: int) -> list[Document]:
    stmt = select(Document).where(Document.expedient_id == expedient_id, Document.tipo_documental == "TD12")
    return list(db.session.execute(stmt).scalars())


def _public_information() -> tuple[Any, int, int, Edict]:
    """A town whose procedure put an edict of public information on the board: (town, expedient id,
    instance id, edict)."""
    t = town("instancia_generica.bpmn")
    assert deploy_process(None, FIXTURE, shared=True, created_by="tests").ok
    db.session.commit()
    expedient_id = t.open_case("Projecte d'obres de la piscina municipal")
    instance_id = t.start("informacio_publica", expedient_id, {"text_edicte": "Es sotmet a informació pública."})
    db.session.commit()
    return t, expedient_id, instance_id, db.session.query(Edict).one()


def test_a_citizen_files_an_allegation_online_and_the_procedure_takes_it_when_the_exposure_ends(
        client, spiff_clock) -> None:  # noqa: F811
    t, expedient_id, instance_id, edict = _public_information()

    # the public edict offers the e-office form
    page = client.get(f"/tauler/sant-proves/{edict.id}").get_data(as_text=True)
    # its text keeps its line breaks by a class (the CSP refuses a style attribute)
    assert 'class="gee-as-typed" id="edict-text"' in page and " style=" not in page
    form_path = f"/seu/sant-proves/tauler/{edict.id}/al-legacions"
    assert f'id="file-allegation" href="{form_path}"' in page
    assert client.get(form_path).status_code == 302  # identify first
    citizen_login(client, "sant-proves", nif="87654321X", name="Jordi Vidal Roca")
    token = token_of(client.get(form_path).get_data(as_text=True))

    before = _entries()
    empty = client.post(form_path, data={"csrf_token": token, "text": "  "})
    # said once, in the form's own summary and beside the text (no flash to outlive the correction)
    form, summary = refused_form(empty, "allegation-form", "allegation-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("text-error", "#text")]
    assert form.get_element_by_id("text-error").text_content() == "Aquest camp és obligatori."
    assert form.get_element_by_id("text").get("aria-describedby") == "text-error"
    wrong_file = client.post(form_path, data={"csrf_token": token, "text": "La piscina ha de ser accessible.",
                                              "documents": [(io.BytesIO(EXE), "accessibilitat.exe")]},
                             content_type="multipart/form-data")
    form, summary = refused_form(wrong_file, "allegation-form", "allegation-errors")
    assert [line[:2] for line in summary_lines(summary)] == [("documents-error", "#documents")]
    assert form.get_element_by_id("text").text == "La piscina ha de ser accessible."  # what he wrote is kept
    assert _entries() == before  # nothing half-written

    filed = client.post(form_path, data={"csrf_token": token, "text": "La piscina ha de ser accessible.",
                                         "documents": [(io.BytesIO(PDF), "accessibilitat.pdf")]},
                        content_type="multipart/form-data")
    assert filed.status_code == 302
    run_queued_jobs()  # the receipt job (with Redis; in-process it ran with the filing)
    entry = db.session.execute(select(RegistryEntry).order_by(RegistryEntry.id.desc())).scalars().first()
    assert entry is not None and entry.direction == "E" and entry.expedient_id == expedient_id
    assert entry.summary == "La piscina ha de ser accessible." and entry.receipt_document_id is not None
    attached = [a.document_id for a in entry.attachments]
    assert len(attached) == 1
    receipt_page = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert entry.number in receipt_page and 'id="filed-receipt"' in receipt_page
    # art. 83.3: filing an allegation does not make him an interessat; he sees what he filed, as its presenter
    assert 'id="presented-only"' in receipt_page and 'id="unaccredited"' not in receipt_page
    assert [link.party.nif for link in parties_of(t.people["tramitador"], expedient_id)] == ["12345678Z"]
    assert f"/seu/sant-proves/documents/{entry.receipt_document_id}" in receipt_page

    # The sweep at the first moment after the last day (Europe/Madrid): off the board, certified, resumed.
    after_end = datetime.combine(edict.ends_on + timedelta(days=1), time(0, 0, 5), tzinfo=MADRID)
    spiff_clock.moment = after_end
    assert sweep_all(after_end).exposures == 1
    run_queued_jobs()
    db.session.expire_all()
    edict = db.session.get(Edict, edict.id)
    assert edict is not None and edict.closed_at is not None
    assert [d.id for d in _diligences(expedient_id)] == [edict.diligence_document_id]
    assert sign_all(t.people["secretari"]) == 1  # the secretary signs the certificate
    assert ready_ids(instance_id) == ["Task_resoldre"]
    taken = t.show(instance_id)["data"]["al_legacions"]
    assert (taken["count"], taken["on_time"]) == (1, 1)
    assert taken["allegations"] == [{"registry_number": entry.number, "name": "Jordi Vidal Roca", "late": False,
                                     "text": "La piscina ha de ser accessible.", "document_ids": attached}]
    assert client.get(f"/tauler/sant-proves/{edict.id}").status_code == 404

    # swept again: nothing more to do, no second certificate
    certificates = len(_diligences(expedient_id))  # the one issued and its signed version
    assert sweep_all(after_end + timedelta(minutes=1)).exposures == 0
    run_queued_jobs()
    assert len(_diligences(expedient_id)) == certificates

    # the e-office now refuses, with the reason, and writes nothing
    closed = client.get(form_path).get_data(as_text=True)
    assert 'id="allegations-closed"' in closed and 'id="allegation-form"' not in closed
    before = _entries()
    late = client.post(form_path, data={"csrf_token": token, "text": "Fora de termini."})
    assert late.status_code == 409
    # said once, in place of the form (no flash repeating it)
    assert html.unescape(late.get_data(as_text=True)).count("El període d'informació pública d'aquest edicte ha "
                                                            "acabat") == 1
    assert 'id="allegations-closed"' in late.get_data(as_text=True)
    assert _entries() == before


def test_the_allegations_receipt_follows_from_the_worker(client, with_redis) -> None:
    _t, _expedient_id, _instance_id, edict = _public_information()
    form_path = f"/seu/sant-proves/tauler/{edict.id}/al-legacions"
    citizen_login(client, "sant-proves", nif="87654321X", name="Jordi Vidal Roca")
    token = token_of(client.get(form_path).get_data(as_text=True))
    filed = client.post(form_path, data={"csrf_token": token, "text": "La piscina ha de ser accessible."})
    assert filed.status_code == 302
    entry = db.session.execute(select(RegistryEntry).order_by(RegistryEntry.id.desc())).scalars().first()
    assert entry is not None and entry.receipt_document_id is None  # numbered at once; the receipt follows
    page = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert entry.number in page and 'data-receipt="pending"' in page and 'hx-trigger="load delay:1s"' in page
    status_url = re.search(r'hx-get="([^"]+/justificant)"', page)
    assert status_url is not None

    run_queued_jobs()

    db.session.expire_all()
    entry = db.session.get(RegistryEntry, entry.id)
    assert entry is not None and entry.receipt_document_id is not None
    ready = client.get(status_url.group(1)).get_data(as_text=True)
    assert 'data-receipt="ready"' in ready and f"/seu/sant-proves/documents/{entry.receipt_document_id}" in ready
