"""The transparency portal as a citizen and as the secretary see it (Llei 19/2014 arts. 8-15): the
organisation, the agreements of approved minutes and the procedures catalogue come from GEE's records;
the budget, ordinances... are documents or links the secretary publishes and withdraws; every section
downloads as CSV and JSON; no login, and one town never shows another's."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.bodies import sessions
from engine.tenancy.admin import set_signing_officers
from engine.transparency.models import Publication
from tests.bodies_helpers import (
    approve_minutes,
    convened_session,
    hold,
    ple_town,
    propose,
    sign_all,
    working_days_ahead,
)
from tests.conftest import csrf_token, ctx_for, login, make_tenant, make_user
from tests.procedures_acts import PDF
from tests.procedures_helpers import Town
from tests.public_pages import municipality_frame
from tests.web_clerk import field_error, login_en, token

PORTAL = "/transparencia/sant-proves/"


def _town_with_an_approved_agreement() -> tuple[Town, int]:
    """Sant Proves: officers named, a Ple session voting 4-0-0, its minutes approved at the next session
    (whose own minutes are not approved yet). The year of the first session."""
    t, ple = ple_town(7)
    admin = ctx_for(make_user("admin.proves", t.tenant, ("admin",)), t.tenant)
    set_signing_officers(admin, alcalde=t.people["alcalde"].user_id, secretari=t.people["secretari"].user_id)
    secretary = t.people["secretari"]
    propose(t)
    first = convened_session(t, ple)
    hold(t, first, (4, 0, 0), "Pere Font", "Laia Serra", "Joan Riera")
    sign_all(secretary)
    sign_all(t.people["alcalde"])
    second = sessions.create_session(secretary, ple.id, kind="ordinary", starts_at=working_days_ahead(t, 4),
                                     place="Sala de plens")
    approve_minutes(t, second, first)
    return t, local_date(first.starts_at).year


def _post(client, path: str, data: dict, **extra):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/transparency"), **data},
                       follow_redirects=True, **extra)


def test_a_citizen_reads_the_organisation_agreements_and_procedures_from_gees_records(client) -> None:
    _town, year = _town_with_an_approved_agreement()
    page = client.get(PORTAL)
    assert page.status_code == 200  # public: no login
    html = page.get_data(as_text=True)
    assert "<h1" in html and "Portal de transparència" in html and "<caption>" in html
    assert 'href="/tauler/sant-proves/"' in html  # the notice board
    # in the town's e-office frame: its name in the header, the way to its procedures and notice board
    # and to verify a document; no link to the staff login
    _, nav = municipality_frame(html, "sant-proves", "Ajuntament de Sant Proves")
    assert nav["/transparencia/sant-proves/"] == "Portal de transparència"
    assert nav["/tauler/sant-proves/"] == "Tauler d'anuncis" and nav["/verify"] == "Verifica un document"

    organisation = client.get(f"{PORTAL}organisation.json").get_json()
    people = {(r["body"], r["name"], r["role"]) for r in organisation["rows"]}
    assert (None, "Jordi Mas", "alcalde") in people and (None, "Sandra Roig", "secretari") in people
    assert ("Ple de l'Ajuntament", "Jordi Mas", "president") in people
    assert ("Ple de l'Ajuntament", "Pere Font", "vocal") in people
    assert len([r for r in organisation["rows"] if r["body"]]) == 8  # 7 members and the secretary

    # only the session whose minutes were approved; the approving session's minutes are not yet
    agreements = client.get(f"{PORTAL}agreements.json").get_json()["rows"]
    assert [(a["title"], a["votes_for"], a["votes_against"], a["abstentions"], a["result"], a["minutes"])
            for a in agreements] == [("Aprovació del projecte d'obres de la piscina", 4, 0, 0, "approved",
                                      f"1/{year}")]
    assert "Sense debat." not in html  # the debate may name private people: left out

    procedures = {r["name"]: r for r in client.get(f"{PORTAL}procedures.json").get_json()["rows"]}
    generic = procedures["Instància genèrica"]
    # processes/instancia_generica.info.json: 3 months (art. 21.3 Ley 39/2015), negative (right of petition)
    assert (generic["max_term_months"], generic["silence"]) == (3, "negative")
    assert generic["url"].endswith("/seu/sant-proves/tramits/instancia_generica")

    table = list(csv.reader(io.StringIO(client.get(f"{PORTAL}agreements.csv").get_data(as_text=True))))
    assert table[0] == ["body", "session_date", "session_kind", "minutes", "position", "title", "majority",
                        "votes_for", "votes_against", "abstentions", "casting_vote", "result"]
    assert table[1][5:] == ["Aprovació del projecte d'obres de la piscina", "simple", "4", "0", "0", "",
                            "approved"]
    assert 'href="/transparencia/sant-proves/"' in client.get("/seu/sant-proves/").get_data(as_text=True)
    assert client.get(f"{PORTAL}nothing.json").status_code == 404
    assert client.get("/transparencia/no-such-town/").status_code == 404


def test_the_secretary_publishes_and_withdraws_documents_and_links(client) -> None:
    t, _year = _town_with_an_approved_agreement()
    make_user("tramitadora.proves", t.tenant, ("tramitador",))
    db.session.commit()
    tomorrow = (local_date(utcnow()) + timedelta(days=1)).isoformat()

    login(client, "secretari.proves")
    done = _post(client, "/transparency", {"section": "budget", "title": "Pressupost 2026",
                                           "file": (io.BytesIO(PDF), "pressupost-2026.pdf")},
                 content_type="multipart/form-data")
    assert "Publicat al portal de transparència." in done.get_data(as_text=True)
    _post(client, "/transparency", {"section": "ordinances", "title": "Ordenances fiscals",
                                    "url": "https://bop.diputaciolleida.cat/ordenances"})
    _post(client, "/transparency", {"section": "budget", "title": "Pressupost 2027", "url": "https://example.org/p",
                                    "published_on": tomorrow})
    # refusals: nothing written, the reason shown
    before = db.session.query(Publication).count()
    assert "Publiqueu o bé un document o bé un enllaç." in _post(
        client, "/transparency", {"section": "budget", "title": "Sense res"}).get_data(as_text=True)
    assert "https://" in _post(client, "/transparency", {"section": "contracts", "title": "Contractes",
                                                          "url": "javascript:alert(1)"}).get_data(as_text=True)
    assert "Trieu una secció del portal." in _post(
        client, "/transparency", {"section": "agreements", "title": "Acords", "url": "https://example.org/a"}
    ).get_data(as_text=True)
    assert db.session.query(Publication).count() == before == 3

    budget = client.get(f"{PORTAL}budget.json").get_json()["rows"]
    assert [r["title"] for r in budget] == ["Pressupost 2026"]  # 2027 is shown from tomorrow
    document = client.get(budget[0]["url"].split("localhost", 1)[-1])
    assert document.status_code == 200 and document.data == PDF
    ordinances = client.get(f"{PORTAL}ordinances.csv").get_data(as_text=True)
    assert "Ordenances fiscals" in ordinances and "https://bop.diputaciolleida.cat/ordenances" in ordinances

    published = db.session.query(Publication).filter_by(title="Pressupost 2026").one()
    withdrawn = _post(client, f"/transparency/{published.id}/withdraw", {"reason": "Substituït per la versió final."})
    assert "Retirat del portal de transparència." in withdrawn.get_data(as_text=True)
    assert client.get(f"{PORTAL}budget.json").get_json()["rows"] == []
    assert client.get(f"{PORTAL}documents/{published.id}").status_code == 404
    assert "Substituït per la versió final." in client.get("/transparency").get_data(as_text=True)  # kept

    client.get("/logout")
    login(client, "tramitadora.proves")
    assert client.get("/transparency").status_code == 403


def test_towns_never_see_each_others_portal(client) -> None:
    _town_with_an_approved_agreement()
    login(client, "secretari.proves")
    _post(client, "/transparency", {"section": "contracts", "title": "Contracte de neteja",
                                    "file": (io.BytesIO(PDF), "contracte.pdf")}, content_type="multipart/form-data")
    ours = db.session.query(Publication).one()
    other = make_tenant("altra-vila", "Ajuntament d'Altra Vila")
    make_user("secretari.altra", other, ("secretari",))
    db.session.commit()

    html = client.get("/transparencia/altra-vila/").get_data(as_text=True)
    municipality_frame(html, "altra-vila", "Ajuntament d'Altra Vila")  # signed in as staff: still the public frame
    for ours_only in ("Jordi Mas", "Pere Font", "piscina", "Contracte de neteja"):
        assert ours_only not in html
    assert client.get("/transparencia/altra-vila/contracts.json").get_json()["rows"] == []
    assert client.get(f"/transparencia/altra-vila/documents/{ours.id}").status_code == 404

    client.get("/logout")
    login(client, "secretari.altra")
    assert "Contracte de neteja" not in client.get("/transparency").get_data(as_text=True)
    _post(client, f"/transparency/{ours.id}/withdraw", {"reason": "Intent d'un altre ajuntament."})
    db.session.refresh(ours)
    assert ours.withdrawn_at is None


def test_a_refused_publication_or_withdrawal_keeps_what_was_typed(client, world) -> None:
    login_en(client, "sergi")  # the secretary
    typed = {"section": "budget", "title": "Pressupost 2026", "url": "javascript:alert(1)",
             "published_on": "2026-03-02"}
    answer = client.post("/transparency", data={"csrf_token": token(client), **typed})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and field_error(html, "url") == "Give a web address starting with https://."
    assert 'aria-describedby="url-error"' in html and 'value="javascript:alert(1)"' in html
    assert 'value="Pressupost 2026"' in html and 'value="budget" selected' in html and 'value="2026-03-02"' in html
    nothing = client.post("/transparency", data={"csrf_token": token(client), **typed, "url": ""})
    assert nothing.status_code == 422
    assert field_error(nothing.get_data(as_text=True), "file") == "Publish either a document or a link."
    assert db.session.query(Publication).count() == 0

    client.post("/transparency", data={"csrf_token": token(client), **typed, "url": "https://example.org/p"})
    published = db.session.query(Publication).one()
    reason = f"reason-{published.id}"
    long = "Substituït per la versió aprovada pel Ple. " * 20
    refused = client.post(f"/transparency/{published.id}/withdraw", data={"csrf_token": token(client), "reason": long})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_error(html, reason) == "Say why it is withdrawn (at most 500 characters)."
    assert f'id="{reason}" name="reason" required placeholder="Reason" value="{long}"' in html
    db.session.refresh(published)
    assert published.withdrawn_at is None
    client.post(f"/transparency/{published.id}/withdraw", data={"csrf_token": token(client), "reason": "Obsolet"})
    again = client.post(f"/transparency/{published.id}/withdraw", data={"csrf_token": token(client), "reason": "Bis"})
    assert again.status_code == 409
    assert field_error(again.get_data(as_text=True), "withdraw") == "This entry is already withdrawn."


def test_only_a_secure_link_a_real_pdf_and_a_plausible_date_are_published(client, world) -> None:
    login_en(client, "sergi")  # the secretary
    typed = {"section": "budget", "title": "Pressupost 2026"}

    plain = client.post("/transparency", data={"csrf_token": token(client), **typed, "url": "http://example.org/p"})
    assert plain.status_code == 422
    assert field_error(plain.get_data(as_text=True), "url") == "Give a web address starting with https://."

    # a text file named like a PDF, and an image: neither is the PDF the field asks for
    for content, name in ((b"Pressupost 2026: vegeu l'annex.\n", "pressupost.pdf"),
                          (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "pressupost.pdf")):
        fake = client.post("/transparency", data={"csrf_token": token(client), **typed,
                                                  "file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
        assert fake.status_code == 422
        assert field_error(fake.get_data(as_text=True), "file") == "The document must be a PDF file."

    today = local_date(utcnow())
    next_year = today.replace(year=today.year + 1, day=28 if (today.month, today.day) == (2, 29) else today.day)
    for day, message in (("1999-12-31", "The publication date cannot be before 1 January 2000."),
                         ((next_year + timedelta(days=1)).isoformat(),
                          "The publication date cannot be more than a year from today.")):
        refused = client.post("/transparency", data={"csrf_token": token(client), **typed,
                                                     "url": "https://example.org/p", "published_on": day})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and field_error(html, "published_on") == message
        assert f'value="{day}"' in html
    assert db.session.query(Publication).count() == 0

    # the limits themselves are accepted: an old document kept with its own date, one scheduled a year ahead
    for day in ("2000-01-01", next_year.isoformat()):
        done = client.post("/transparency", data={"csrf_token": token(client), **typed,
                                                  "url": "https://example.org/p", "published_on": day})
        assert done.status_code == 302
    assert client.post("/transparency", data={"csrf_token": token(client), **typed,
                                              "file": (io.BytesIO(PDF), "pressupost.pdf")},
                       content_type="multipart/form-data").status_code == 302
    assert db.session.query(Publication).count() == 3
