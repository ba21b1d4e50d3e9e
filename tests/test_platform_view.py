"""The provincial service's platform view: every tenant with its adoption figures (checked
against hand-made rows), search, pages, and one tenant's figures without its documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import html as lxml_html
from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.documents.documents import store_document
from engine.expedients.expedients import Expedient
from engine.onboarding.adoption import platform_tenants
from engine.process.models import HumanTask, Incident, ProcessInstance
from engine.registry.entries import RegistryEntry
from engine.tenancy.models import User
from tests.conftest import csrf_token, login, make_tenant, make_user
from tests.engine_helpers import make_version
from tests.records_helpers import new_expedient

#: 15 March 2026; the month began on 1 March at 00:00 in Catalonia, 28 February 23:00 UTC.
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
MONTH_START_UTC = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)


def _platform_admin():
    provincial = make_tenant("diputacio", "Diputació de Lleida", kind="provincial", dir3="L02000025", ine_code=None)
    admin = make_user("plataforma", provincial, ("admin",), platform_admin=True, last_login_at=NOW - timedelta(hours=1))
    return provincial, admin


def _expedient(tenant, seq: int, opened_at: datetime) -> None:
    # Numbered in an earlier year's series, so that the numbers the counter gives later stay free.
    db.session.add(Expedient(tenant_id=tenant.id, year=2020, seq=seq, number=f"2020/{seq:06d}",
                             eni_id=f"ES_{tenant.dir3}_2020_EXP_{seq:06d}", subject=f"Expedient {seq}",
                             opened_at=opened_at))  # fmt: skip


def _entry(tenant, seq: int, direction: str, channel: str, presented_at: datetime) -> None:
    db.session.add(RegistryEntry(tenant_id=tenant.id, direction=direction, year=2026, seq=seq,
                                 number=f"{direction}/2026/{seq:06d}", presented_at=presented_at,
                                 effective_at=presented_at, subject="Instància", sender="Veí",
                                 recipient=tenant.name, channel=channel))  # fmt: skip


def _hand_made_tenants():
    """Two municipalities with rows chosen around every boundary of every figure."""
    provincial, admin = _platform_admin()
    sant = make_tenant("ajt-sant", "Ajuntament de Sant Demo", dir3="L01250019", ine_code="250019", comarca="Noguera")
    vila = make_tenant("ajt-vila", "Ajuntament de Vilaprova", dir3="L01250024", ine_code="250024",
                       comarca="Val d'Aran", aran=True)
    # Users active in the last 30 days: in Sant anna (two roles, counts once) and berta (logged in
    # 29 days and 23 hours ago); not carles (deactivated), eva (31 days ago) nor ferran (never).
    # In Vilaprova dolors, who logged in exactly 30 days ago.
    make_user("anna", sant, ("tramitador", "admin"), last_login_at=NOW - timedelta(days=2))
    make_user("berta", sant, ("tecnic",), last_login_at=NOW - timedelta(days=29, hours=23))
    make_user("carles", sant, ("tramitador",), active=False, last_login_at=NOW - timedelta(days=1))
    make_user("eva", sant, ("tecnic",), last_login_at=NOW - timedelta(days=31))
    make_user("ferran", sant, ("tramitador",))
    make_user("dolors", vila, ("admin",), last_login_at=NOW - timedelta(days=30))
    # Expedients: Sant opened 2 this month (one at 00:30 on 1 March local time), 1 the month before.
    _expedient(sant, 1, MONTH_START_UTC + timedelta(minutes=30))
    _expedient(sant, 2, NOW - timedelta(days=1))
    _expedient(sant, 3, MONTH_START_UTC - timedelta(minutes=30))  # 23:30 on 28 February local time
    _expedient(vila, 1, datetime(2026, 1, 10, tzinfo=UTC))
    # Incoming entries this month in Sant: 3 online, 1 in person; plus an outgoing one and an old one.
    for seq, channel in enumerate(["electronic", "electronic", "electronic", "in_person"], start=1):
        _entry(sant, seq, "E", channel, NOW - timedelta(days=seq))
    _entry(sant, 1, "S", "electronic", NOW - timedelta(days=1))
    _entry(sant, 5, "E", "in_person", datetime(2026, 2, 20, tzinfo=UTC))
    # Incidents and tasks of Sant: one open and one retried incident; one overdue ready task,
    # one ready task not yet due, one completed task that was late.
    version = make_version(sant.id, "exec_incident")
    instance = ProcessInstance(tenant_id=sant.id, process_version_id=version.id, state_json="{}")
    db.session.add(instance)
    db.session.flush()
    db.session.add_all([
        Incident(tenant_id=sant.id, instance_id=instance.id, message="x", state="open"),
        Incident(tenant_id=sant.id, instance_id=instance.id, message="y", state="retried"),
        *(HumanTask(tenant_id=sant.id, instance_id=instance.id, task_uuid=f"t{i}", element_id="t", name="Revisar",
                    state=state, due_at=due) for i, (state, due) in enumerate([
                        ("ready", NOW - timedelta(hours=1)), ("ready", NOW + timedelta(days=2)),
                        ("completed", NOW - timedelta(days=3))])),
    ])  # fmt: skip
    db.session.commit()
    ctx = Context(tenant_id=provincial.id, user_id=admin.id, username="plataforma", roles=frozenset({"admin"}),
                  platform_admin=True)  # fmt: skip
    return ctx, sant, vila


def test_every_tenant_is_listed_with_figures_counted_by_hand():
    ctx, _sant, _vila = _hand_made_tenants()
    listing = platform_tenants(ctx, now=NOW)
    rows = {f.tenant.code: f for f in listing.rows}
    assert [f.tenant.name for f in listing.rows] == [
        "Ajuntament de Sant Demo", "Ajuntament de Vilaprova", "Diputació de Lleida"]
    sant, vila, diputacio = rows["ajt-sant"], rows["ajt-vila"], rows["diputacio"]
    assert (sant.active_users, sant.opened_this_month, sant.filed_this_month, sant.filed_online_this_month,
            sant.open_incidents, sant.overdue_tasks) == (2, 2, 4, 3, 1, 1)  # fmt: skip
    assert sant.online_share == 0.75
    assert (vila.active_users, vila.opened_this_month, vila.filed_this_month, vila.open_incidents,
            vila.overdue_tasks) == (1, 0, 0, 0, 0)  # fmt: skip
    assert vila.online_share is None
    assert diputacio.active_users == 1


def test_search_and_pages():
    ctx, _sant, _vila = _hand_made_tenants()
    assert [f.tenant.code for f in platform_tenants(ctx, "aran", now=NOW).rows] == ["ajt-vila"]
    assert [f.tenant.code for f in platform_tenants(ctx, "L01250019", now=NOW).rows] == ["ajt-sant"]
    first = platform_tenants(ctx, per_page=2, now=NOW)
    second = platform_tenants(ctx, page=2, per_page=2, now=NOW)
    assert (first.total, first.pages) == (3, 2)
    assert [f.tenant.code for f in first.rows + second.rows] == ["ajt-sant", "ajt-vila", "diputacio"]
    assert (second.total, platform_tenants(ctx, "aran", now=NOW).total) == (3, 1)
    past_the_end = platform_tenants(ctx, page=9, per_page=2, now=NOW)
    assert (past_the_end.rows, past_the_end.total) == ([], 3)


def test_the_platform_page_lists_every_tenant_and_only_platform_admins_see_it(client):
    _hand_made_tenants()
    login(client, "anna")  # a municipality's administrator is not a platform administrator
    assert client.get("/admin/tenants").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "plataforma")
    page = client.get("/admin/tenants").get_data(as_text=True)
    for name in ("Ajuntament de Sant Demo", "Ajuntament de Vilaprova", "Diputació de Lleida"):
        assert name in page
    found = client.get("/admin/tenants?q=noguera").get_data(as_text=True)
    assert "Ajuntament de Sant Demo" in found and "Ajuntament de Vilaprova" not in found


def test_a_tenant_s_figures_show_no_document_nor_expedient_content(client):
    _ctx, sant, _vila = _hand_made_tenants()
    anna = db.session.execute(select(User).where(User.username == "anna")).scalar_one()
    in_sant = Context(tenant_id=sant.id, user_id=anna.id, username="anna", roles=frozenset({"tramitador"}))
    expedient = new_expedient(in_sant, "Llicència d'obres al carrer Major 7")
    document = store_document(in_sant, expedient.id, "informe.pdf", b"%PDF-1.4 secret report",
                              title="Informe tècnic confidencial", tipo_documental="TD13",
                              from_administration=True)  # fmt: skip
    db.session.commit()
    login(client, "plataforma")
    page = client.get(f"/admin/tenants/{sant.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The page counts with the real clock: both ready tasks (due in March 2026) are past their date now.
    assert "Ajuntament de Sant Demo" in html and 'data-figure="overdue">2<' in html
    assert "carrer Major" not in html and "Informe tècnic confidencial" not in html
    # Nor can the platform administrator reach them anywhere else.
    for path in (f"/expedients/{expedient.id}", f"/expedients/{expedient.id}/documents/{document.id}",
                 f"/documents/{document.id}/signatures", f"/expedients/{expedient.id}/eni.xml"):
        assert client.get(path).status_code == 404, path




def _last_login_cells(html: str) -> dict[str, str]:
    """User name -> what the administrator's user list shows as the last login (a moment or "Mai")."""
    cells = {}
    for row in lxml_html.fromstring(html).xpath('//table[@id="users"]/tbody/tr'):
        moment = row.xpath("./td[@data-last-login]/time/@datetime")
        cells[row.xpath("./td[2]")[0].text_content()] = moment[0] if moment else row.xpath(
            "./td[@data-last-login]")[0].text_content().strip()
    return cells


def test_a_login_is_remembered_and_the_tenant_administrator_sees_it(client):
    _hand_made_tenants()
    client.post("/login", data={"username": "ferran", "password": "wrong", "csrf_token": csrf_token(client)})
    login(client, "anna")
    cells = _last_login_cells(client.get("/admin/").get_data(as_text=True))
    assert cells["ferran"] == "Mai"  # a refused login is not a login
    assert cells["eva"].startswith("2026-02-12T12:00")
    assert datetime.fromisoformat(cells["anna"]).date() == datetime.now(UTC).date()
    db.session.expire_all()
    anna = db.session.execute(select(User).where(User.username == "anna")).scalar_one()
    assert datetime.now(UTC) - anna.last_login_at.replace(tzinfo=UTC) < timedelta(minutes=5)
