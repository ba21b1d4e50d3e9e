"""The secretary runs a Ple session on the web: agenda, convocation (the mayor signs it in her queue),
attendance, votes, minutes and the certificate; a refused form comes back as typed with the reason beside
its field, nothing saved; other towns see nothing."""

from __future__ import annotations

import re

from engine.base.db import db
from engine.bodies.models import Body, BodySession
from tests.bodies_helpers import convened_session, during, ple_town, propose, sign_all, working_days_ahead
from tests.conftest import csrf_token, login, make_tenant, make_user
from tests.procedures_helpers import ready_ids
from tests.web_clerk import field_error, login_en


def _post(client, path: str, data: dict | None = None, page: str = "/bodies"):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})


def test_a_ple_session_on_the_web_from_agenda_to_certificate(client) -> None:
    t, ple = ple_town(7)
    instance_id = propose(t)
    login(client, "secretari.proves")
    body_page = client.get(f"/bodies/{ple.id}").get_data(as_text=True)
    assert "Aprovació del projecte d&#39;obres de la piscina" in body_page
    starts = working_days_ahead(t, 3).strftime("%Y-%m-%dT%H:%M")
    created = _post(client, f"/bodies/{ple.id}/sessions", {"kind": "ordinary", "starts_at": starts,
                                                          "place": "Sala de plens"})
    session_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = f"/sessions/{session_id}"
    html = client.get(page).get_data(as_text=True)
    proposal_id = re.search(r'<option value="(\d+)">Aprovació', html).group(1)  # type: ignore[union-attr]
    _post(client, f"{page}/items", {"proposal_id": proposal_id}, page)
    _post(client, f"{page}/convene", {}, page)
    assert "pendent de la signatura de l&#39;alcalde" in client.get(page).get_data(as_text=True)
    sign_all(t.people["alcalde"])

    session = db.session.get(BodySession, session_id)
    assert session is not None and session.status == "convened"
    members = {m.name: m.id for m in session.body.members}
    with during(session):  # the session's day has come
        # not enough people: the refusal is shown and nothing is recorded
        _post(client, f"{page}/attendance", {"present": [members["Jordi Mas"], members["Sandra Roig"]]}, page)
        item_id = session.items[0].id
        refused = _post(client, f"{page}/items/{item_id}/vote", {"votes_for": 1, "against": 0, "abstentions": 0,
                                                                 "debate": "Intervenció del grup B."}, page)
        assert refused.status_code == 409  # the vote form again, as typed, with the reason in it
        shown = refused.get_data(as_text=True)
        assert "No hi ha quòrum: 1 membres presents, en calen 3" in (field_error(shown, f"vote-{item_id}") or "")
        assert f'id="v{item_id}-for" name="votes_for" required value="1"' in shown
        assert ">Intervenció del grup B.</textarea>" in shown and "data-result=" not in shown
        _post(client, f"{page}/attendance", {"present": [members["Jordi Mas"], members["Sandra Roig"],
                                                         members["Pere Font"], members["Laia Serra"]],
                                             "remote": [members["Laia Serra"]]}, page)
        _post(client, f"{page}/items/{item_id}/vote", {"votes_for": 3, "against": 0, "abstentions": 0,
                                                       "debate": "Cap intervenció."}, page)
        _post(client, f"{page}/close", {}, page)
    _post(client, f"{page}/minutes", {}, page)
    _post(client, f"{page}/items/{item_id}/certificate", {}, page)
    sign_all(t.people["secretari"])
    sign_all(t.people["alcalde"])
    assert ready_ids(instance_id) == ["Task_atorgar"]
    db.session.expire_all()
    session = db.session.get(BodySession, session_id)
    assert session is not None and session.minutes_signed and session.items[0].certificate_signed
    html = client.get(page).get_data(as_text=True)
    minutes_link = re.search(rf'href="({page}/documents/\d+)">Acta', html).group(1)  # type: ignore[union-attr]
    assert client.get(minutes_link).data.startswith(b"%PDF")
    book = client.get(f"/bodies/{ple.id}/minutes/{session.minutes_year}.pdf")
    assert book.status_code == 200 and book.data.startswith(b"%PDF")


def test_another_town_cannot_reach_a_body_or_its_sessions(client) -> None:
    t, ple = ple_town(7)
    other = make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    make_user("secretari.altra", other, ("secretari",))
    db.session.commit()
    login(client, "secretari.altra")
    assert client.get(f"/bodies/{ple.id}").status_code == 404
    assert client.get(f"/bodies/{ple.id}/minutes/2026.pdf").status_code == 404
    assert "Ple de l" not in client.get("/bodies").get_data(as_text=True)
    assert t.tenant.id != other.id


def test_the_api_shows_a_session_with_its_quorum_and_results(client) -> None:
    from engine.tenancy.tokens import create_token
    from tests.bodies_helpers import convened_session, hold

    t, ple = ple_town(11)
    propose(t)
    session = convened_session(t, ple)
    hold(t, session, (3, 1, 0), "Pere Font", "Laia Serra", "Joan Riera")
    secret = create_token(t.people["secretari"], "script").secret
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/bodies", headers=headers).get_json()
    assert [(b["code"], b["legal_members"], len(b["members"])) for b in listed] == [("ple", 11, 12)]
    shown = client.get(f"/api/v1/sessions/{session.id}", headers=headers).get_json()
    # 11 members: the quorum is 4 (LBRL art. 46.2.c); the president and three councillors are present
    assert shown["quorum"] == {"required": 4, "present": 4, "constituted": True}
    assert shown["items"][0]["result"] == "approved" and shown["items"][0]["votes"] == {
        "for": 3, "against": 1, "abstentions": 0}
    assert client.get(f"/api/v1/sessions/{session.id}").status_code == 401


def test_a_refused_body_member_or_session_keeps_what_was_typed(client) -> None:
    _town, ple = ple_town(3)
    login_en(client, "secretari.proves")
    bodies_before = db.session.query(Body).count()
    taken = _post(client, "/bodies", {"name": "Junta de Govern Local", "code": "ple", "kind": "junta_govern",
                                      "legal_members": "5"})
    html = taken.get_data(as_text=True)
    assert taken.status_code == 409 and field_error(html, "code") == "There is already a body with the code ple."
    assert 'value="Junta de Govern Local"' in html and 'value="junta_govern" selected' in html
    assert 'id="legal_members" name="legal_members" required value="5"' in html
    too_many = _post(client, "/bodies", {"name": "Comissió", "code": "comissio", "kind": "comissio",
                                         "legal_members": "500"})
    assert too_many.status_code == 422
    assert field_error(too_many.get_data(as_text=True), "legal_members") == "Enter a whole number between 1 and 100."
    assert db.session.query(Body).count() == bodies_before

    members_before = len(ple.members)
    second = _post(client, f"/bodies/{ple.id}/members", {"name": "Anna Ribes", "role": "president",
                                                         "group": "Grup C"}, f"/bodies/{ple.id}")
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and field_error(html, "m-role") == "The body already has a president."
    assert 'aria-describedby="m-role-error"' in html
    assert 'value="Anna Ribes"' in html and 'value="Grup C"' in html and 'value="president" selected' in html
    full = _post(client, f"/bodies/{ple.id}/members", {"name": "Anna Ribes", "role": "vocal"}, f"/bodies/{ple.id}")
    assert full.status_code == 409
    assert field_error(full.get_data(as_text=True), "member") == "The body already has its legal number of members."

    past = _post(client, f"/bodies/{ple.id}/sessions", {"kind": "extraordinary", "starts_at": "2020-01-10T19:00",
                                                        "place": "Sala de plens"}, f"/bodies/{ple.id}")
    html = past.get_data(as_text=True)
    assert past.status_code == 422 and field_error(html, "s-starts") == "A session is convened for a future date."
    assert 'value="2020-01-10T19:00"' in html and 'value="Sala de plens"' in html
    assert 'value="extraordinary" selected' in html
    db.session.expire_all()
    assert len(db.session.get(Body, ple.id).members) == members_before  # type: ignore[union-attr]
    assert db.session.query(BodySession).count() == 0


def test_refused_attendance_keeps_the_ticks_and_a_refused_agenda_says_why(client) -> None:
    t, ple = ple_town(3)
    propose(t)
    session = convened_session(t, ple)
    page = f"/sessions/{session.id}"
    login_en(client, "secretari.proves")
    empty = _post(client, f"{page}/items", {"proposal_id": ""}, page)
    assert empty.status_code == 422 and field_error(empty.get_data(as_text=True), "proposal_id") == "Choose a proposal."

    with during(session):  # the session's day has come
        members = {m.name: m.id for m in session.body.members}
        stranger = _post(client, f"{page}/attendance", {"present": [members["Pere Font"], 999999]}, page)
        html = stranger.get_data(as_text=True)
        assert stranger.status_code == 422 and field_error(html, "attendance") == "Only members of the body attend."
        assert f'name="present" value="{members["Pere Font"]}" aria-label="Present: Pere Font" checked' in html
        assert f'name="present" value="{members["Laia Serra"]}" aria-label="Present: Laia Serra" >' in html
        db.session.expire_all()
        refreshed = db.session.get(BodySession, session.id)
        assert refreshed is not None and refreshed.attendance == [] and len(refreshed.items) == 1
