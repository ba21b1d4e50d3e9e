"""PAdES signing with imported certificates, signing circuits, verification of signed PDFs."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from engine.audit import AuditEvent
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, ValidationFailed
from engine.decrees.book import create_draft, get_decree
from engine.demo import ca as test_ca
from engine.documents.documents import get_document, read_content, verify_by_csv
from engine.documents.signature_check import verify_pdf
from engine.signatures.circuits import (
    StepSpec,
    current_pdf,
    pending_count,
    pending_for,
    request_signatures,
    return_for_changes,
    sign,
    sign_batch,
)
from engine.signatures.credentials import credential_of, unlock_personal
from engine.signatures.models import SigningCredential
from engine.signatures.pades import Stamp, sign_pdf
from tests.records_helpers import new_expedient
from tests.services import run_queued_jobs
from tests.test_signatures_helpers import (
    KEY_PASSWORD,
    flip_byte_in_signed_range,
    pdf_document,
    report_pdf,
    stamp_texts,
    town,
)


@pytest.fixture
def people():
    return town()


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _stamp(csv="ABCDE-FGHJK-MNPQR-STVWX"):
    return Stamp(signer="Joan Batlle", role="Alcalde", date="21/11/2026 10:00:00", csv=csv,
                 verify_url=f"http://gee.test/verify?csv={csv}",
                 labels={"signed_by": "Signed by", "role": "Role", "date": "Date"})


# -- credentials ----------------------------------------------------------------------------


def test_private_key_is_encrypted_at_rest_and_needs_the_holders_password(people):
    row = db.session.query(SigningCredential).filter_by(user_id=people["mayor"].user_id).one()
    assert b"PRIVATE KEY" not in row.encrypted_key  # neither PEM nor readable
    assert "Joan Batlle" in row.subject and row.not_after is not None
    with pytest.raises(ValidationFailed) as err:
        unlock_personal(people["mayor"].user_id, "not my password")
    assert err.value.field == "password"
    assert unlock_personal(people["mayor"].user_id, KEY_PASSWORD).certificate.serial_number == int(row.serial, 16)


def test_a_wrong_pkcs12_password_imports_nothing(people):
    from engine.signatures.credentials import import_personal

    ca_key, ca_cert = test_ca.load_or_create_ca()
    key, cert = test_ca.issue_certificate(ca_key, ca_cert, "Anna")
    p12 = test_ca.pkcs12_file(key, cert, ca_cert, "right")
    with pytest.raises(ValidationFailed) as err:
        import_personal(people["clerk"], people["clerk"].user_id, p12, "wrong")
    assert "wrong password" in str(err.value)
    assert credential_of(people["clerk"].user_id) is None


# -- PAdES sign + verify --------------------------------------------------------------------


def test_signed_pdf_verifies_and_shows_the_stamp(people):
    credential = unlock_personal(people["mayor"].user_id, KEY_PASSWORD)
    signed = sign_pdf(report_pdf(), credential, _stamp(), reason="Decret")
    result = verify_pdf(signed)
    assert result.valid, result.reason
    [check] = result.signatures
    assert check.signer == "Joan Batlle" and check.signing_time is not None
    assert stamp_texts(signed) == ["Signed by: Joan Batlle", "Role: Alcalde", "Date: 21/11/2026 10:00:00",
                                   "CSV: ABCDE-FGHJK-MNPQR-STVWX",
                                   "http://gee.test/verify?csv=ABCDE-FGHJK-MNPQR-STVWX"]


def test_a_changed_byte_after_signing_fails_verification(people):
    credential = unlock_personal(people["mayor"].user_id, KEY_PASSWORD)
    signed = sign_pdf(report_pdf(), credential, _stamp(), reason="Decret")
    result = verify_pdf(flip_byte_in_signed_range(signed))
    assert not result.valid
    assert "changed after it was signed" in result.reason or "damaged" in result.reason


def test_a_certificate_from_an_untrusted_root_fails(people):
    other_key, other_ca = test_ca.make_ca("Some other CA")
    key, cert = test_ca.issue_certificate(other_key, other_ca, "Impostor")
    from engine.signatures.credentials import UnlockedCredential

    signed = sign_pdf(report_pdf(), UnlockedCredential(key, cert, [other_ca]), _stamp(), reason="x")
    result = verify_pdf(signed)
    assert not result.valid and "trusted authority" in result.reason
    assert verify_pdf(signed, roots=[other_ca]).valid  # the same PDF, trusting that root


def test_an_unsigned_pdf_is_not_valid():
    result = verify_pdf(report_pdf())
    assert not result.valid and "no electronic signature" in result.reason


def test_an_uploaded_signed_pdf_is_verified_and_its_signatures_recorded(people):
    expedient = new_expedient(people["clerk"])
    credential = unlock_personal(people["mayor"].user_id, KEY_PASSWORD)
    signed = sign_pdf(report_pdf(), credential, _stamp(), reason="x")
    doc = pdf_document(people["clerk"], expedient.id)
    from engine.documents.documents import store_document

    outside = store_document(people["clerk"], expedient.id, "signat.pdf", signed, title="Signat fora",
                             tipo_documental="TD13", from_administration=False)
    tampered = store_document(people["clerk"], expedient.id, "alterat.pdf", flip_byte_in_signed_range(signed),
                              title="Alterat", tipo_documental="TD13", from_administration=False)
    db.session.commit()
    run_queued_jobs()  # with Redis a worker checks the signatures (tests/test_signature_verification_job.py)
    db.session.expire_all()
    assert doc.signatures == []
    [entry] = outside.signatures
    assert entry["type"] == "TF06" and entry["signer"] == "Joan Batlle" and entry["verified"] is True
    assert tampered.signatures == [] or tampered.signatures[0]["verified"] is False


# -- circuits -------------------------------------------------------------------------------


def _decree_request(people):
    expedient = new_expedient(people["clerk"])
    decree = create_draft(people["clerk"], title="Concessió de llicència d'obres menors",
                          text="RESOLC:\nPrimer. Concedir la llicència.", expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    return decree, request


def test_decree_circuit_mayor_numbers_then_secretary_attests(people):
    decree, request = _decree_request(people)
    mayor_step, secretary_step = request.steps
    assert [s.id for s in pending_for(people["mayor"])] == [mayor_step.id]
    assert pending_for(people["secretary"]) == [] and pending_count(people["secretary"]) == 0
    assert "RESOLC" in _text(current_pdf(people["mayor"], request.id))  # the proposal can be read

    with pytest.raises(Conflict):  # the secretary cannot attest before the mayor signs
        sign(people["secretary"], secretary_step.id, KEY_PASSWORD)
    db.session.rollback()
    assert get_decree(people["clerk"], decree.id).number is None

    sign(people["mayor"], mayor_step.id, KEY_PASSWORD)
    db.session.commit()
    decree = get_decree(people["clerk"], decree.id)
    assert decree.number is not None and decree.number.startswith("DEC/") and decree.attested_at is None
    assert pending_for(people["mayor"]) == [] and pending_count(people["secretary"]) == 1
    assert decree.number in _text(current_pdf(people["secretary"], request.id))

    sign(people["secretary"], secretary_step.id, KEY_PASSWORD)
    db.session.commit()
    run_queued_jobs()  # with Redis a worker checks the signed PDF's signatures
    assert get_decree(people["clerk"], decree.id).attested_at is not None
    assert request.state == "signed" and pending_count(people["secretary"]) == 0
    doc, content = read_content(people["clerk"], request.result_document_id)
    assert doc.tipo_documental == "TD01" and doc.csv == request.csv and doc.expedient_id == decree.expedient_id
    assert [s["signer"] for s in doc.signatures if s["type"] == "TF06"] == ["Joan Batlle", "Marta Secretària"]
    result = verify_pdf(content)
    assert result.valid and len(result.signatures) == 2
    assert verify_by_csv(request.csv).intact


def test_a_decree_circuit_must_be_mayor_then_secretary(people):
    decree = create_draft(people["clerk"], title="Decret", text="Text")
    with pytest.raises(ValidationFailed):
        request_signatures(people["clerk"], None, ["secretari", "alcalde"], decree_id=decree.id)


def test_document_circuit_signs_a_new_version_with_the_csv(people):
    expedient = new_expedient(people["clerk"])
    doc = pdf_document(people["clerk"], expedient.id)
    request = request_signatures(people["clerk"], doc.id, [StepSpec(user_id=people["secretary"].user_id)])
    db.session.commit()
    with pytest.raises(Forbidden):
        sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.rollback()
    sign(people["secretary"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    signed = get_document(people["clerk"], request.result_document_id)
    assert signed.previous_version_id == doc.id and signed.issued and signed.csv == request.csv
    content = read_content(people["clerk"], signed.id)[1]
    assert verify_pdf(content).valid
    stamp = stamp_texts(content)
    assert "Signat per: Marta Secretària" in stamp and f"CSV: {request.csv}" in stamp
    assert stamp[-1].endswith(f"/verify?csv={request.csv}")


def test_wrong_key_password_signs_nothing(people):
    _, request = _decree_request(people)
    with pytest.raises(ValidationFailed):
        sign(people["mayor"], request.steps[0].id, "guess")
    db.session.rollback()
    assert pending_count(people["mayor"]) == 1


def test_batch_signing(people):
    expedient = new_expedient(people["clerk"])
    requests = [request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id, f"Informe {i}").id,
                                   ["alcalde"]) for i in range(3)]
    db.session.commit()
    ids = [r.steps[0].id for r in requests]
    with pytest.raises(ValidationFailed):
        sign_batch(people["mayor"], ids, "wrong")
    assert pending_count(people["mayor"]) == 3
    result = sign_batch(people["mayor"], ids, KEY_PASSWORD)
    assert result.signed == ids and result.failed == []
    assert pending_count(people["mayor"]) == 0
    assert all(db.session.get(type(r), r.id).state == "signed" for r in requests)


def test_return_with_reason(people):
    decree, request = _decree_request(people)
    with pytest.raises(ValidationFailed):
        return_for_changes(people["mayor"], request.steps[0].id, "")
    return_for_changes(people["mayor"], request.steps[0].id, "Falta motivar la resolució")
    db.session.commit()
    assert request.state == "returned" and request.return_reason == "Falta motivar la resolució"
    assert pending_count(people["mayor"]) == 0 and pending_count(people["secretary"]) == 0
    assert get_decree(people["clerk"], decree.id).number is None
    events = db.session.query(AuditEvent).filter_by(action="signature.returned").all()
    assert len(events) == 1
    # a new circuit can be started once the first was returned
    request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)


def test_a_decree_returned_at_attestation_can_be_sent_for_attestation_again(people):
    # The alcalde signs (the decree is numbered); the secretary returns it at the attestation.
    decree, request = _decree_request(people)
    sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    number = get_decree(people["clerk"], decree.id).number
    printed_csv = request.csv
    return_for_changes(people["secretary"], request.steps[1].id, "Cal adjuntar l'informe jurídic")
    db.session.commit()
    decree = get_decree(people["clerk"], decree.id)
    assert (decree.status, decree.number, decree.attested_at) == ("signed", number, None)
    # Sent again: only the secretary has to act; the alcalde is not asked to sign twice.
    again = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    assert [s.role for s in again.steps] == ["secretari"]
    assert pending_count(people["mayor"]) == 0 and pending_count(people["secretary"]) == 1
    assert number in _text(current_pdf(people["secretary"], again.id))
    sign(people["secretary"], again.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    run_queued_jobs()  # with Redis a worker checks the signed PDF's signatures
    decree = get_decree(people["clerk"], decree.id)
    assert decree.attested_at is not None and decree.number == number  # attested, same number
    doc, content = read_content(people["clerk"], again.result_document_id)
    assert [s["signer"] for s in doc.signatures if s["type"] == "TF06"] == ["Joan Batlle", "Marta Secretària"]
    # The CSV the alcalde's stamp printed is the one the issued decree answers to.
    assert doc.csv == printed_csv and verify_by_csv(printed_csv).intact
    assert verify_pdf(content).valid


SIGN_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://gee.example/bpmn">
  <bpmn:collaboration id="collab"><bpmn:participant id="p" processRef="sign_report" /></bpmn:collaboration>
  <bpmn:process id="sign_report" name="Sign a report" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_secretari" name="secretari">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>sign</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="sign" name="Sign the report"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign" />
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_signing_completes_the_process_task(people):
    from engine.process.definition.deploy import deploy_process
    from engine.process.instances import tasks as instances
    from engine.process.models import HumanTask

    result = deploy_process(None, SIGN_PROCESS, tenant_id=people["secretary"].tenant_id)
    assert result.ok, result.problems
    db.session.commit()
    expedient = new_expedient(people["clerk"])
    started = instances.start_instance(people["clerk"], "sign_report", expedient_id=expedient.id, data={})
    task = db.session.query(HumanTask).filter_by(instance_id=started["instance_id"], state="ready").one()
    doc = pdf_document(people["clerk"], expedient.id)
    request = request_signatures(people["clerk"], doc.id, ["alcalde", "secretari"], human_task_id=task.id)
    db.session.commit()
    sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    assert db.session.get(HumanTask, task.id).state == "ready"  # one signature to go
    sign(people["secretary"], request.steps[1].id, KEY_PASSWORD)
    db.session.commit()
    assert db.session.get(HumanTask, task.id).state == "completed"
    assert instances.show_instance(people["clerk"], started["instance_id"])["status"] == "completed"
