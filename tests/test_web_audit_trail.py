"""Administració → Registre d'auditoria: the municipality's secretary and administrators read its
audit trail — who did what in words, filtered by user, actor, action, days and expedient, 50 a
page — and download it as CSV; a clerk cannot, and no municipality ever sees another's events."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import UTC, datetime

import pytest

from engine.audit import trail
from engine.audit.browse import TrailFilters
from engine.audit.trail import AuditEvent, record
from engine.base.context import Context
from engine.base.db import db
from engine.base.statement_count import counting
from engine.citizens.identity import CitizenIdentity, citizen_context
from engine.dossier import audit_trail
from engine.expedients.expedients import open_expedient
from engine.expedients.parties import find_or_create_party
from tests.conftest import ctx_for, make_user
from tests.web_clerk import login_en, make_world

PAGE = "/admin/audit/"
CSV = "/admin/audit/events.csv"


@pytest.fixture
def world():
    return make_world()


def _rows(html: str) -> list[dict[str, str]]:
    """The events a page shows: seq, who (in words and as recorded), what, expedient and note."""
    rows = []
    for seq, body in re.findall(r'<tr data-seq="(\d+)">(.*?)</tr>', html, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, flags=re.S)
        actor = re.search(r'<span class="actor" title="([^"]*)">([^<]*)</span>', cells[1])
        text = [html_lib.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in cells]
        rows.append({"seq": seq, "who": html_lib.unescape(actor[2]), "actor": html_lib.unescape(actor[1]),
                     "what": " ".join(text[2]), "expedient": " ".join(text[3]), "note": " ".join(text[4])})
    return rows


def _notes(html: str) -> list[str]:
    return [row["note"] for row in _rows(html)]


def _at(monkeypatch, moment: str) -> None:
    """Events recorded from now on happen at ``moment`` (UTC)."""
    when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    monkeypatch.setattr(trail, "utcnow", lambda: when)


def test_the_secretary_reads_who_did_what_in_words(client, world):
    clerk = ctx_for(world.clerk, world.tenant)
    expedient = open_expedient(clerk, "Llicència de gual")
    find_or_create_party(clerk, "12345678Z", "Maria Garcia")  # the municipality knows her by her name
    citizen = citizen_context(world.tenant, CitizenIdentity("12345678Z", "Maria Garcia"))
    record(citizen, "notification.accessed", "notification", 7, expedient_id=expedient.id, note="opened online")
    stranger = citizen_context(world.tenant, CitizenIdentity("87654321X", "Jordi Vidal"))
    record(stranger, "edict.allegation_filed", "edict", 2)  # not a party here: shown by the NIF they gave
    record(Context.system(world.tenant.id, "timer-sweeper"), "timer.fired", "timer", 3, expedient_id=expedient.id,
           before={"due": "2026-03-02"}, after={"fired": True})
    db.session.commit()
    login_en(client, "sergi")
    # In the Administration menu, which shows the secretary this one item.
    assert 'href="/admin/audit/"' in client.get("/").get_data(as_text=True)

    page = client.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    rows = _rows(html)
    assert [(r["who"], r["actor"], r["what"]) for r in rows] == [
        ("GEE (timers)", "timer-sweeper", "deadline reached"),
        ("87654321X (e-office)", "seu:87654321X", "allegation filed on an edict"),
        ("Maria Garcia (e-office)", "seu:12345678Z",
         "notification opened by the interested party"),
        ("Anna Puig", "anna", "interested party registered"),
        ("Anna Puig", "anna", "case file opened"),
    ]  # newest first, in words only; the raw code is a tooltip for auditors
    assert '<span class="action" title="timer.fired">deadline reached</span>' in html
    assert "(timer.fired)" not in html
    assert {r["expedient"] for r in rows} == {expedient.number, "—"}
    assert f'<a href="/expedients/{expedient.id}">{expedient.number}</a>' in html
    assert rows[2]["note"] == "opened online"
    assert "&#34;fired&#34;: true" in html or '"fired": true' in html  # the data before and after, for auditors
    # Filters: the users of the municipality by name, the actions in words.
    assert f'<option value="{world.clerk.id}" >Anna Puig</option>' in html
    assert '<option value="expedient.opened" >case file opened</option>' in html


def test_filters_by_user_actor_action_days_and_expedient(client, world, monkeypatch):
    clerk, secretary = ctx_for(world.clerk, world.tenant), ctx_for(world.secretary, world.tenant)
    _at(monkeypatch, "2026-02-27T10:00:00")
    gual = open_expedient(clerk, "Llicència de gual")
    other = open_expedient(clerk, "Certificat")
    _at(monkeypatch, "2026-03-01T22:30:00")  # 23:30 on 1 March in Catalonia
    record(clerk, "decree.drafted", "decree", 1, expedient_id=gual.id, note="late on the 1st")
    _at(monkeypatch, "2026-03-01T23:30:00")  # 00:30 on 2 March
    record(secretary, "decree.attested", "decree", 1, expedient_id=gual.id, note="early on the 2nd")
    _at(monkeypatch, "2026-03-02T22:59:00")  # 23:59 on 2 March
    record(clerk, "decree.drafted", "decree", 2, expedient_id=other.id, note="late on the 2nd")
    _at(monkeypatch, "2026-03-02T23:00:00")  # midnight: 3 March
    record(citizen_context(world.tenant, CitizenIdentity("12345678Z", "Maria Garcia")), "notification.accessed",
           "notification", 1, expedient_id=other.id, note="on the 3rd")
    db.session.commit()
    login_en(client, "sergi")

    by_user = client.get(f"{PAGE}?user={world.secretary.id}").get_data(as_text=True)
    assert _notes(by_user) == ["early on the 2nd"]
    assert f'<option value="{world.secretary.id}" selected>Sergi Roca</option>' in by_user
    assert _notes(client.get(f"{PAGE}?actor=SEU:1234").get_data(as_text=True)) == ["on the 3rd"]
    by_action = client.get(f"{PAGE}?action=decree.drafted").get_data(as_text=True)
    assert _notes(by_action) == ["late on the 2nd", "late on the 1st"]
    assert '<option value="decree.drafted" selected>decree drafted</option>' in by_action
    # Days are Catalan calendar days, both ends included.
    assert _notes(client.get(f"{PAGE}?since=2026-03-02&until=2026-03-02").get_data(as_text=True)) == [
        "late on the 2nd", "early on the 2nd"]
    assert _notes(client.get(f"{PAGE}?since=2026-03-01&until=2026-03-01").get_data(as_text=True)) == [
        "late on the 1st"]
    assert _notes(client.get(f"{PAGE}?since=2026-03-03").get_data(as_text=True)) == ["on the 3rd"]
    # The expedient by its number, as people write it (leading zeros may go); filters add up.
    by_number = client.get(f"{PAGE}?number={gual.number.split('/')[0]}/{int(gual.number.split('/')[1])}")
    assert _notes(by_number.get_data(as_text=True)) == ["early on the 2nd", "late on the 1st", ""]
    both = client.get(f"{PAGE}?number={other.number}&action=decree.drafted&since=2026-03-02").get_data(as_text=True)
    assert _notes(both) == ["late on the 2nd"]
    nothing = client.get(f"{PAGE}?number={other.number}&user={world.secretary.id}").get_data(as_text=True)
    assert _rows(nothing) == [] and "No event matches." in nothing
    # htmx swaps the form and the events.
    partial = client.get(f"{PAGE}?action=decree.attested", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and 'id="audit-trail"' in partial and _notes(partial) == ["early on the 2nd"]


def test_bad_filters_are_explained_beside_their_fields(client, world):
    login_en(client, "sergi")

    unknown = client.get(f"{PAGE}?number=2026/999999")
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and 'id="audit-events"' not in html
    assert re.search(r'id="number-error">No case file numbered 2026/999999.<', html)
    assert 'value="2026/999999"' in html  # what was typed stays
    assert client.get(f"{PAGE}?number=gual").status_code == 422
    wrong_day = client.get(f"{PAGE}?since=2026-02-30").get_data(as_text=True)
    assert re.search(r'id="since-error">Enter a valid date \(day, month and year\).<', wrong_day)
    backwards = client.get(f"{PAGE}?since=2026-03-02&until=2026-03-01")
    assert backwards.status_code == 422
    assert 'id="until-error">The last day is before the first day.<' in backwards.get_data(as_text=True)
    bogus_page = client.get(f"{PAGE}?after=soon")
    assert bogus_page.status_code == 422 and "Enter a whole number between 1 and" in bogus_page.get_data(as_text=True)
    assert client.get(f"{PAGE}?user=x").status_code == 422
    assert client.get(f"{CSV}?since=yesterday").status_code == 422
    # To htmx, which swaps only successful answers, the same form with the same message.
    swapped = client.get(f"{PAGE}?number=2026/999999", headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and 'id="number-error">' in swapped.get_data(as_text=True)


def test_fifty_a_page_newest_first_and_filters_kept_in_the_links(client, world):
    clerk = ctx_for(world.clerk, world.tenant)
    for n in range(55):
        record(clerk, "task.claimed", "task", n, note=f"claim {n}")
    record(clerk, "task.released", "task", 99, note="released")
    db.session.commit()
    login_en(client, "sergi")

    first = client.get(f"{PAGE}?action=task.claimed").get_data(as_text=True)
    assert _notes(first) == [f"claim {n}" for n in range(54, 4, -1)]
    assert 'id="newest-page"' not in first
    older = re.search(r'id="older-page" href="([^"]+)"', first)[1]
    assert "action=task.claimed" in html_lib.unescape(older)
    second = client.get(html_lib.unescape(older)).get_data(as_text=True)
    assert _notes(second) == [f"claim {n}" for n in range(4, -1, -1)]
    assert 'id="older-page"' not in second
    newest = html_lib.unescape(re.search(r'id="newest-page" href="([^"]+)"', second)[1])
    assert newest == "/admin/audit/?action=task.claimed"
    assert len(_rows(client.get(PAGE).get_data(as_text=True))) == 50


def test_the_csv_has_every_matching_event_in_the_chains_order(client, world, monkeypatch):
    clerk = ctx_for(world.clerk, world.tenant)
    _at(monkeypatch, "2026-03-02T09:15:00")
    gual = open_expedient(clerk, "Llicència de gual")
    record(clerk, "decree.drafted", "decree", 4, expedient_id=gual.id, note='Decret "gual", 1r')
    record(Context.system(world.tenant.id, "timer-sweeper"), "timer.fired", "timer", 3)
    record(clerk, "task.claimed", "task", 1, note='=HYPERLINK("http://example.org","obriu")')
    for n in range(600):  # more than one batch of the export
        record(clerk, "task.claimed", "task", n)
    db.session.commit()
    login_en(client, "sergi")

    response = client.get(CSV)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and re.search(r"audit-ajt-proves-\d{4}-\d{2}-\d{2}\.csv", disposition)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["seq", "at", "actor", "actor_name", "action", "object_type", "object_id", "expedient", "note",
                       "hash"]
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.tenant_id == world.tenant.id)
                                .order_by(AuditEvent.seq)).scalars().all()
    assert [int(r[0]) for r in rows[1:]] == [e.seq for e in events] and len(rows) == 1 + 604
    assert [r[9] for r in rows[1:]] == [e.hash for e in events]
    assert rows[1][1:] == ["2026-03-02T09:15:00+00:00", "anna", "Anna Puig", "expedient.opened", "expedient",
                           str(gual.id), gual.number, "", events[0].hash]
    assert rows[2][2:] == ["anna", "Anna Puig", "decree.drafted", "decree", "4", gual.number, 'Decret "gual", 1r',
                           events[1].hash]
    assert rows[3][2:9] == ["timer-sweeper", "GEE (timers)", "timer.fired", "timer", "3", "", ""]
    # A note a spreadsheet would run as a formula is written as text (OWASP's CSV injection).
    assert rows[4][8] == "'=HYPERLINK(\"http://example.org\",\"obriu\")"

    filtered = client.get(f"{CSV}?number={gual.number}&action=decree.drafted").get_data(as_text=True)
    assert [r[4] for r in csv.reader(io.StringIO(filtered))] == ["action", "decree.drafted"]


def test_a_municipality_never_sees_another_ones_events(client, world):
    open_expedient(ctx_for(world.clerk, world.tenant), "Llicència de gual")
    outsider = ctx_for(world.outsider, world.other_tenant)
    open_expedient(outsider, "Primer d'Altre")
    foreign = open_expedient(outsider, "Segon d'Altre")
    record(outsider, "decree.drafted", "decree", 1, expedient_id=foreign.id, note="only in Altre")
    db.session.commit()
    login_en(client, "sergi")

    html = client.get(PAGE).get_data(as_text=True)
    assert [r["who"] for r in _rows(html)] == ["Anna Puig"]
    assert "Oriol Altre" not in html and "only in Altre" not in html  # not among the events nor the users
    assert _rows(client.get(f"{PAGE}?user={world.outsider.id}").get_data(as_text=True)) == []
    assert _rows(client.get(f"{PAGE}?actor=oriol").get_data(as_text=True)) == []
    exported = client.get(CSV).get_data(as_text=True)
    assert "oriol" not in exported and "only in Altre" not in exported
    assert len(list(csv.reader(io.StringIO(exported)))) == 2
    # The other municipality's expedient number is no expedient here.
    assert client.get(f"{PAGE}?number={foreign.number}").status_code == 422
    theirs = client.application.test_client()
    login_en(theirs, "oriol")  # the other municipality's administrator reads its own trail only
    their_page = theirs.get(PAGE).get_data(as_text=True)
    assert _notes(their_page) == ["only in Altre", "", ""] and "Anna Puig" not in their_page


def test_an_administrator_may_and_a_clerk_may_not(client, world):
    make_user("ada", world.tenant, ("admin",), full_name="Ada Admin")
    db.session.commit()
    login_en(client, "anna")
    assert client.get(PAGE).status_code == 403
    assert client.get(CSV).status_code == 403
    assert 'href="/admin/audit/"' not in client.get("/").get_data(as_text=True)
    admin = client.application.test_client()
    login_en(admin, "ada")
    assert admin.get(PAGE).status_code == 200 and admin.get(CSV).status_code == 200


def test_a_page_reads_its_users_and_expedient_numbers_in_one_query_each(world):
    for user in (world.clerk, world.secretary, world.mayor):
        ctx = ctx_for(user, world.tenant)
        for n in range(3):
            open_expedient(ctx, f"Expedient {n}")
    db.session.commit()
    reader = Context(tenant_id=world.tenant.id, user_id=world.secretary.id, username="sergi",
                     roles=frozenset({"secretari"}))
    db.session.expunge_all()

    with counting(db.engine) as count:
        page = audit_trail.page(reader, TrailFilters())

    assert len(page.events) == 9 and set(page.actors.values()) == {"Anna Puig", "Sergi Roca", "Alba Mas"}
    assert len(set(page.numbers.values())) == 9
    assert len(count.statements) == 3 and count.commits == 0, count.report()  # events, users, numbers
