"""What the mayor and the secretary notice while signing: what each item of the queue is about (a body's
session and agenda item), who each step is for, a return refused with what was typed, the decree number
just given, a form sent twice, and the decree book found whatever the accents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import event

from engine.base.db import db
from engine.base.formats import format_moment
from engine.bodies import certificates, sessions
from engine.bodies.models import BodySession
from engine.bodies.proposals import pending_proposals
from engine.decrees import book as decrees
from engine.expedients.expedients import open_expedient
from engine.signatures import circuits
from engine.signatures.circuits import AlreadySigned, StepSpec, request_signatures
from engine.signatures.models import SignatureRequest
from tests.bodies_helpers import convened_session, hold, ple_town, propose, sign_all, working_days_ahead
from tests.conftest import ctx_for
from tests.records_helpers import new_expedient
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document, town
from tests.web_clerk import field_error, login_en, make_world, token


def _alerts(html: str) -> list[tuple[str, str]]:
    """The flashed messages of a page: (category, text)."""
    return [(c, m.strip()) for c, m in re.findall(r'<div class="alert alert-(\w+)" role="\w+">([^<]*)</div>', html)]


def _row(html: str, step_id: int) -> str:
    row = html[html.index(f'data-step-id="{step_id}"'):]
    return row[:row.index("</tr>")]


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# -- what each item is about ------------------------------------------------------------------


def _convene_three(t, ple) -> list[BodySession]:  # type: ignore[no-untyped-def]
    """Three sessions of the Ple on three days, each convened and waiting for the mayor's signature."""
    secretary = t.people["secretari"]
    for n in range(3):
        propose(t, f"Aprovació del projecte {n}")
    found = []
    for n, proposal in enumerate(pending_proposals(secretary, ple.id)):
        session = sessions.create_session(secretary, ple.id, kind="ordinary",
                                          starts_at=working_days_ahead(t, 3 + n), place="Sala de plens")
        sessions.add_proposal(secretary, session.id, proposal.id)
        sessions.convene(secretary, session.id)
        found.append(session)
    db.session.commit()
    return found


def test_three_convocations_of_the_ple_read_apart_by_their_sessions(client: FlaskClient) -> None:
    t, ple = ple_town(7)
    convened = _convene_three(t, ple)
    mayor = t.people["alcalde"]
    steps = {step.request.document_id: step for step in circuits.pending_for(mayor)}
    login_en(client, "alcalde.proves")
    html = client.get("/signatures").get_data(as_text=True)
    days = set()
    for session in convened:
        step = steps[session.convocation_document_id]
        row = _row(html, step.id)
        day = format_moment(session.starts_at, "en")
        assert f'<a href="/sessions/{session.id}">Session of {day}</a>' in row
        days.add(day)
        page = client.get(f"/signatures/{step.id}").get_data(as_text=True)
        assert f'<a href="/sessions/{session.id}">Session of {day}</a>' in page
        assert "1. Mayor — pending" in page and "1. alcalde" not in page  # the role in words
    assert len(days) == 3
    # the sessions are read for the whole page at once: a longer queue costs no more queries
    with _statements() as three:
        client.get("/signatures")
    circuits.sign(mayor, steps[convened[0].convocation_document_id].id, KEY_PASSWORD)
    circuits.sign(mayor, steps[convened[1].convocation_document_id].id, KEY_PASSWORD)
    db.session.commit()
    with _statements() as one:
        page = client.get("/signatures").get_data(as_text=True)
    assert page.count("Session of ") == 1 and len(three) == len(one)


def test_minutes_and_a_certificate_say_their_session_and_item(client: FlaskClient) -> None:
    t, ple = ple_town(7)
    propose(t, "Aprovació del projecte d'obres de la piscina")
    secretary, mayor = t.people["secretari"], t.people["alcalde"]
    session = hold(t, convened_session(t, ple), (3, 1, 0), "Pere Font", "Laia Serra", "Joan Riera")
    day = format_moment(session.starts_at, "en")
    link = f'<a href="/sessions/{session.id}">Session of {day}</a>'
    login_en(client, "secretari.proves")
    [minutes_step] = circuits.pending_for(secretary)
    assert link in _row(client.get("/signatures").get_data(as_text=True), minutes_step.id)
    page = client.get(f"/signatures/{minutes_step.id}").get_data(as_text=True)
    assert link in page and "1. Secretary — pending" in page and "2. Mayor — pending" in page
    assert sign_all(secretary) == 1 and sign_all(mayor) == 1
    item = session.items[0]
    certificates.issue_certificate(secretary, item.id)
    db.session.commit()
    [certificate_step] = circuits.pending_for(secretary)
    row = _row(client.get("/signatures").get_data(as_text=True), certificate_step.id)
    assert link in row and str(escape(f"Item 1: {item.title}")) in row
    # the mayor, second, reads who signed first by name
    sign_all(secretary)
    client.post("/logout", data={"csrf_token": token(client, "/")})
    login_en(client, "alcalde.proves")
    [mayors] = circuits.pending_for(mayor)
    page = client.get(f"/signatures/{mayors.id}").get_data(as_text=True)
    assert "1. Sandra Roig — signed" in page and "2. Mayor — pending" in page


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    return town()


def test_a_step_for_a_named_person_shows_their_name(client: FlaskClient, people) -> None:  # type: ignore[no-untyped-def]
    expedient = new_expedient(people["clerk"])
    request = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id).id,
                                 [StepSpec(user_id=people["mayor"].user_id), "secretari"])
    db.session.commit()
    login_en(client, "mayor.ajt-proves")
    page = client.get(f"/signatures/{request.steps[0].id}").get_data(as_text=True)
    assert "1. Joan Batlle — pending" in page and "2. Secretary — pending" in page


# -- returning --------------------------------------------------------------------------------


def test_a_short_reason_comes_back_as_typed_with_the_minimum(client: FlaskClient, people) -> None:  # type: ignore[no-untyped-def]
    expedient = new_expedient(people["clerk"])
    request = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id).id, ["alcalde"])
    db.session.commit()
    step_id = request.steps[0].id
    login_en(client, "mayor.ajt-proves")
    short = client.post(f"/signatures/{step_id}/return",
                        data={"csrf_token": token(client, "/signatures"), "reason": "Mal"})
    html = short.get_data(as_text=True)
    assert short.status_code == 422
    assert field_error(html, "reason") == "Say why it is returned (at least 5 characters)."
    assert re.search(r'<textarea class="[^"]*is-invalid"[^>]*aria-describedby="reason-error"[^>]*>Mal</textarea>',
                     html)
    db.session.expire_all()
    assert db.session.get(SignatureRequest, request.id).state == "pending"
    # from a sign task's page, the refusal goes back to that task
    from_task = client.post(f"/signatures/{step_id}/return",
                            data={"csrf_token": token(client, "/signatures"), "reason": "no", "task_id": "77"})
    assert from_task.status_code == 302 and from_task.headers["Location"].endswith("/tasks/77")


# -- signing ----------------------------------------------------------------------------------


def test_the_mayor_reads_the_number_the_decree_just_took(client: FlaskClient, people) -> None:  # type: ignore[no-untyped-def]
    expedient = new_expedient(people["clerk"])
    decree = decrees.create_draft(people["clerk"], title="Atorgament de llicència d'obres", text="RESOLC: atorgar.",
                                  expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    login_en(client, "mayor.ajt-proves")
    done = client.post(f"/signatures/{request.steps[0].id}/sign",
                       data={"csrf_token": token(client, "/signatures"), "password": KEY_PASSWORD})
    db.session.expire_all()
    number = decrees.get_decree(people["clerk"], decree.id).number
    assert number and number.startswith("DEC/")
    alerts = _alerts(client.get(done.headers["Location"]).get_data(as_text=True))
    assert ("success", str(escape(f"Decree {number} signed: Atorgament de llicència d'obres."))) in alerts


def test_signing_twice_says_it_is_signed_not_an_error(client: FlaskClient, people) -> None:  # type: ignore[no-untyped-def]
    expedient = new_expedient(people["clerk"])
    docs = [pdf_document(people["clerk"], expedient.id, title=f"Informe {n}") for n in range(2)]
    requests = [request_signatures(people["clerk"], doc.id, ["alcalde"]) for doc in docs]
    db.session.commit()
    first = requests[0].steps[0].id
    login_en(client, "mayor.ajt-proves")
    form = {"csrf_token": token(client, "/signatures"), "password": KEY_PASSWORD}
    assert client.post(f"/signatures/{first}/sign", data=form).status_code == 302
    again = client.post(f"/signatures/{first}/sign", data=form)
    assert again.status_code == 302 and again.headers["Location"].endswith("/signatures")
    alerts = _alerts(client.get("/signatures").get_data(as_text=True))
    assert alerts == [("success", "Signed: Informe 0."), ("info", "Already signed: Informe 0.")]
    db.session.expire_all()
    assert db.session.get(SignatureRequest, requests[0].id).result_document_id is not None
    # in a batch, the one signed already is said apart from the one signed now
    batch = client.post("/signatures/batch", data={**form, "step_id": [str(first), str(requests[1].steps[0].id)]})
    alerts = _alerts(client.get(batch.headers["Location"]).get_data(as_text=True))
    assert alerts == [("success", "1 item signed."), ("info", "1 item was already signed.")]
    # and the engine itself tells a repeat of my own signature from a step someone else signed
    with pytest.raises(AlreadySigned, match=r"Already signed: Informe 0\."):
        circuits.sign(people["mayor"], first, KEY_PASSWORD)


def test_three_sign_forms_sent_at_once_sign_once_and_all_say_signed() -> None:
    """The mayor's three tabs (or a triple click) post the same signature together, on PostgreSQL:
    one signature; the two others answer that it is signed, not that the document changed."""
    import threading

    from engine.tenancy.models import User as UserRow
    from tests.services import postgres_app

    with postgres_app(pool_size=8) as app:
        with app.app_context():
            people = town()
            expedient = new_expedient(people["clerk"])
            request = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id,
                                                                       title="Convocatòria del Ple").id, ["alcalde"])
            db.session.commit()
            request_id, step_id = request.id, request.steps[0].id
            mayor_name = db.session.get(UserRow, people["mayor"].user_id).full_name
        clients = [app.test_client() for _ in range(3)]
        forms = []
        for each in clients:
            login_en(each, "mayor.ajt-proves")
            forms.append({"csrf_token": token(each, "/signatures"), "password": KEY_PASSWORD})
        barrier = threading.Barrier(3)
        answers: list[object] = [None] * 3

        def post(i: int) -> None:
            try:
                barrier.wait()
                answers[i] = clients[i].post(f"/signatures/{step_id}/sign", data=forms[i])
            except Exception as exc:  # reported below
                answers[i] = exc

        threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(getattr(a, "status_code", None) == 302 for a in answers), answers
        said = [_alerts(each.get("/signatures").get_data(as_text=True)) for each in clients]
        assert sorted(alert for alerts in said for alert in alerts) == [
            ("info", "Already signed: Convocatòria del Ple."), ("info", "Already signed: Convocatòria del Ple."),
            ("success", "Signed: Convocatòria del Ple.")], said
        with app.app_context():
            done = db.session.get(SignatureRequest, request_id)
            assert done.state == "signed" and [s.signer_name for s in done.steps] == [mayor_name]


def test_someone_elses_signature_is_still_refused(people) -> None:  # type: ignore[no-untyped-def]
    expedient = new_expedient(people["clerk"])
    request = request_signatures(people["clerk"], pdf_document(people["clerk"], expedient.id).id, ["alcalde"])
    db.session.commit()
    circuits.sign(people["mayor"], request.steps[0].id, KEY_PASSWORD)
    db.session.commit()
    other = make_user_like_mayor(people)
    with pytest.raises(Exception, match="no longer pending") as refused:
        circuits.sign(other, request.steps[0].id, KEY_PASSWORD)
    assert not isinstance(refused.value, AlreadySigned)


def make_user_like_mayor(people):  # type: ignore[no-untyped-def]
    """A second alcalde of the town (an acting mayor) with a certificate."""
    from engine.tenancy.models import Tenant
    from tests.conftest import make_user
    from tests.test_signatures_helpers import give_certificate

    tenant = db.session.get(Tenant, people["mayor"].tenant_id)
    user = make_user("acting.ajt-proves", tenant, ("alcalde",), full_name="Rosa Accidental")
    give_certificate(user, tenant)
    db.session.commit()
    return ctx_for(user, tenant)


# -- the decree book ---------------------------------------------------------------------------


def test_the_book_finds_words_whatever_their_accents(client: FlaskClient) -> None:
    world = make_world()
    clerk = ctx_for(world.clerk, world.tenant)
    expedient = open_expedient(clerk, "Subvenció a l’Escola de Ceràmica")
    draft = decrees.create_draft(clerk, title="Concessió d'una subvenció per al taller de CERÀMICA",
                                 text="RESOLC: concedir.", expedient_id=expedient.id)
    other = decrees.create_draft(clerk, title="Llicència de gual", text="RESOLC: concedir.")
    db.session.commit()
    mayor = ctx_for(world.mayor, world.tenant)
    signed = decrees.sign_decree(mayor, draft.id)
    decrees.sign_decree(mayor, other.id)
    db.session.commit()
    login_en(client, "sergi")
    for q in ("ceramica", "Cerámica", "CERAMICA", "l'escola", "subvencio  per"):
        html = client.get("/decrees/book", query_string={"year": signed.year, "q": q}).get_data(as_text=True)
        assert f'<td class="text-nowrap">{signed.number}</td>' in html, q
        assert "Llicència de gual" not in html, q
    assert [d.id for d in decrees.book(clerk, signed.year, "ceràmica")] == [signed.id]
    assert len(decrees.book(clerk, signed.year)) == 2
