"""What a municipality's administrator reads on the audit trail page and the webhooks page: every action
has its own words (the "What" filter never names two actions alike), a row shows those words and not the
action's code, a party's change says what changed as the expedient's history does, and each webhook event
says when it is sent beside the name integrators configure their receivers by."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from lxml import html as lxml_html

from engine.audit.labels import ACTION_LABELS, action_label
from engine.audit.trail import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import force_locale
from engine.expedients.parties import Party, update_party
from engine.webhooks.events import EVENT_NAMES
from tests.conftest import csrf_token, ctx_for, login, make_user
from tests.web_clerk import login_en, make_world, open_case

AUDIT = "/admin/audit/"
WEBHOOKS = "/admin/webhooks/"
PERE_NIF = "12345678Z"
#: An action's code as the trail stores it ("document.stored").
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")


@pytest.fixture
def world():
    world = make_world()
    make_user("adela", world.tenant, ("admin",), full_name="Adela Admin")
    db.session.commit()
    return world


def _page(client, path: str) -> lxml_html.HtmlElement:
    response = client.get(path)
    assert response.status_code == 200
    return lxml_html.fromstring(response.get_data(as_text=True))


def _text(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _what(client, path: str = AUDIT) -> list[str]:
    """The "What" cell of each row of the trail, newest first, as the admin reads it."""
    return [_text(td) for td in _page(client, path).xpath('//table[@id="audit-events"]//tr[@data-seq]/td[3]')]


@pytest.mark.parametrize("locale", ["ca", "es", "en"])
def test_no_two_actions_share_their_words(locale):
    with force_locale(locale):
        codes_by_words: dict[str, list[str]] = defaultdict(list)
        for code in ACTION_LABELS:
            codes_by_words[action_label(code).casefold()].append(code)
    assert {words: codes for words, codes in codes_by_words.items() if len(codes) > 1} == {}


def test_the_what_filter_names_each_action_once(client, world):
    login(client, "adela")  # in Catalan, the default
    options = _page(client, AUDIT).xpath('//select[@id="action"]/option[@value!=""]')
    words = [_text(option) for option in options]
    assert len(words) == len(ACTION_LABELS) and len(set(words)) == len(words)
    assert words.count("ha fallat un pas automàtic") == 1
    assert {option.get("value") for option in options} >= {"incident.opened", "instance.incident"}
    assert not any(CODE.fullmatch(w) for w in words)


def test_a_row_shows_what_happened_in_words_and_keeps_the_code_for_the_csv(client, world):
    expedient = open_case(world).expedient
    record(Context.system(world.tenant.id, "timer-sweeper"), "timer.fired", "timer", 3, expedient_id=expedient.id)
    db.session.commit()
    login(client, "adela")
    html = client.get(AUDIT).get_data(as_text=True)
    what = _what(client)
    assert what[0] == "termini vençut" and "expedient obert" in what
    assert not any(CODE.search(cell) for cell in what)  # no "(timer.fired)" under the words
    assert "(timer.fired)" not in html and 'title="timer.fired"' in html  # a tooltip for whoever needs it
    exported = client.get("/admin/audit/events.csv").get_data(as_text=True)
    assert ",timer.fired," in exported and ",expedient.opened," in exported  # the export is for machines too


def test_a_party_change_row_says_what_changed_as_the_expedients_history_does(client, world):
    opened = open_case(world, nif=PERE_NIF, name="Pere Serra")
    party = db.session.execute(db.select(Party).where(Party.nif == PERE_NIF)).scalar_one()
    party.address, party.postal_code, party.municipality = "Carrer Vell 1", "25001", "Lleida"
    db.session.commit()
    update_party(ctx_for(world.clerk, world.tenant), party.id, expedient_id=opened.expedient.id,
                 preferred_channel="electronic", address="Plaça Major 7", postal_code="25002")
    db.session.commit()
    login(client, "adela")
    row = _what(client, f"{AUDIT}?action=party.updated")
    assert row == ["interessat modificat — Pere Serra: Canal de notificació: En paper → Electrònicament, a la seu "
                   "electrònica; canvis a: Adreça, Codi postal"]
    assert "Plaça Major" not in row[0]  # named, not copied, as on the expedient's page

    login(client, "anna")
    history = _page(client, f"/expedients/{opened.expedient.id}").xpath('//span[@class="party-change"]')
    assert [_text(span) for span in history] == [row[0].split(" — ", 1)[1]]


def test_each_webhook_event_says_when_it_is_sent_beside_its_name(client, world):
    login_en(client, "adela")
    page = _page(client, WEBHOOKS)
    labels = page.xpath('//fieldset//label[@class="form-check-label"]')
    described = [(_text(label.xpath('.//span[@class="event-description"]')[0]),
                  _text(label.xpath('.//code[@class="event-name"]')[0])) for label in labels]
    assert described[0][1] == "expedient.opened"  # its words name an expedient "case file" in English
    assert described[0][0].endswith(" is opened (its number is allocated)")
    assert described[1:] == [
        ("A task is completed (form, API, signature or notification outcome)", "task.completed"),
        ("The mayor signs a decree and it takes its number in the decree book", "decree.signed"),
        ("An electronic notification is opened, rejected or deemed rejected (after 10 days)",
         "notification.settled"),
    ]

    saved = client.post(WEBHOOKS, data={"url": "https://receiver.example.org/gee", "secret": "s" * 20,
                                        "events": ["decree.signed"], "csrf_token": csrf_token(client, WEBHOOKS)})
    assert saved.status_code == 302
    [cell] = _page(client, WEBHOOKS).xpath('//table[@id="webhooks"]//tr[@data-webhook-id]/td[2]')
    assert _text(cell) == "The mayor signs a decree and it takes its number in the decree book decree.signed"


def test_in_catalan_each_webhook_event_has_words_and_its_code(client, world):
    login(client, "adela")
    labels = _page(client, WEBHOOKS).xpath('//fieldset//label[@class="form-check-label"]')
    described = [(_text(label.xpath('.//span[@class="event-description"]')[0]),
                  _text(label.xpath('.//code[@class="event-name"]')[0])) for label in labels]
    assert [code for _words, code in described] == list(EVENT_NAMES)
    assert all(words and not CODE.search(words) for words, _code in described)
    assert len({words for words, _code in described}) == len(EVENT_NAMES)
