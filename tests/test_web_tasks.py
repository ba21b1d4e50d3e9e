"""The clerk's inbox and task pages, through the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.audit.trail import AuditEvent
from engine.base.clock import utcnow
from engine.base.db import db
from engine.inbox.inbox import InboxFilters, list_inbox
from engine.process.models import HumanTask
from tests.conftest import ctx_for
from tests.web_clerk import field_error, login_en, make_world, open_case, ready_task, token


@pytest.fixture
def world():
    return make_world()


def _row_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-task-id="(\d+)"', html)]


def test_inbox_lists_my_roles_tasks_with_expedient_party_and_procedure(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")

    html = client.get("/tasks").get_data(as_text=True)

    assert _row_ids(html) == [task.id]
    assert opened.expedient.number in html
    assert "Maria Garcia" in html and "12345678Z" in html
    assert "General request" in html and "Instància genèrica" not in html  # the page is in English
    assert "Review and assign the application" in html and "Revisar i assignar" not in html
    # The top bar counts my open tasks.
    assert re.search(r'href="/tasks"[^>]*>My tasks\s*<span class="badge[^"]*">1</span>', html)


def test_tasks_of_other_roles_are_not_in_my_inbox(client, world):
    open_case(world)
    login_en(client, "sergi")  # secretari: the first task is the tramitador's
    assert _row_ids(client.get("/tasks").get_data(as_text=True)) == []


def test_overdue_first_then_by_due_date_with_traffic_light(client, world):
    late, soon, _none = (open_case(world, subject=s, nif=n) for s, n in
                        (("Tard", "00000000T"), ("Aviat", "00000001R"), ("Sense", "00000002W")))
    now = utcnow()
    ready_task(late.expedient.id).due_at = now - timedelta(days=1)
    ready_task(soon.expedient.id).due_at = now + timedelta(days=1)
    db.session.commit()
    login_en(client, "anna")

    html = client.get("/tasks").get_data(as_text=True)

    order = re.findall(r'data-task-id="\d+" data-deadline="(\w+)"', html)
    assert order == ["red", "amber", "green"]
    # the task without a due date claims no traffic light: it says it has no deadline
    assert "Overdue" in html and "Due soon" in html and "No due date" in html and "On time" not in html


def test_search_by_nif_number_and_name_and_filters(client, world):
    one = open_case(world, nif="12345678Z", name="Maria Garcia")
    two = open_case(world, nif="B12345674", name="Construccions Segre SL")
    t1, t2 = ready_task(one.expedient.id).id, ready_task(two.expedient.id).id
    login_en(client, "anna")

    assert _row_ids(client.get("/tasks?q=B12345674").get_data(as_text=True)) == [t2]
    assert _row_ids(client.get("/tasks?q=garcia").get_data(as_text=True)) == [t1]
    assert _row_ids(client.get(f"/tasks?q={one.expedient.number}").get_data(as_text=True)) == [t1]
    assert _row_ids(client.get(f"/tasks?procedure={world.model.id}").get_data(as_text=True)) == [t1, t2]
    assert _row_ids(client.get("/tasks?procedure=999999").get_data(as_text=True)) == []
    # htmx asks for the results only.
    partial = client.get("/tasks?q=garcia", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and f'data-task-id="{t1}"' in partial


def test_a_search_matching_many_expedients_finds_the_same_tasks(client, world, monkeypatch):
    """Past MATCHES_INLINE matches the search runs inside the count and the page instead of being
    looked up once: the same tasks either way."""
    cases = [open_case(world, nif=nif, name=f"Maria Garcia {n}") for n, nif in enumerate(("00000000T", "00000001R"))]
    tasks = sorted(ready_task(case.expedient.id).id for case in cases)
    login_en(client, "anna")
    assert sorted(_row_ids(client.get("/tasks?q=garcia").get_data(as_text=True))) == tasks
    monkeypatch.setattr("engine.inbox.inbox.MATCHES_INLINE", 1)
    assert sorted(_row_ids(client.get("/tasks?q=garcia").get_data(as_text=True))) == tasks


def test_scope_mine_and_role(client, world):
    one, two = open_case(world), open_case(world, nif="00000000T")
    t1, t2 = ready_task(one.expedient.id).id, ready_task(two.expedient.id).id
    login_en(client, "anna")
    client.post(f"/tasks/{t1}/claim", data={"csrf_token": token(client)})

    assert _row_ids(client.get("/tasks?scope=mine").get_data(as_text=True)) == [t1]
    assert _row_ids(client.get("/tasks?scope=role").get_data(as_text=True)) == [t2]
    assert sorted(_row_ids(client.get("/tasks?scope=all").get_data(as_text=True))) == sorted([t1, t2])


def test_pagination(client, world):
    cases = [open_case(world, nif=n) for n in ("00000000T", "00000001R", "00000002W")]
    ctx = ctx_for(world.clerk, world.tenant)
    first = list_inbox(ctx, InboxFilters(), page=1, per_page=2)
    second = list_inbox(ctx, InboxFilters(), page=2, per_page=2)
    assert first.total == 3 and first.pages == 2
    assert len(first.rows) == 2 and len(second.rows) == 1
    assert {r.expedient_id for r in first.rows + second.rows} == {c.expedient.id for c in cases}
    login_en(client, "anna")
    assert len(_row_ids(client.get("/tasks?page=2").get_data(as_text=True))) == 0  # 25 a page: one page


def test_task_page_renders_the_form_from_its_schema_beside_the_expedient(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")

    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)

    assert '<select class="form-select" id="f-data-unitat_responsable" name="data.unitat_responsable"' in html
    assert '<option value="Urbanisme"' in html
    assert 'type="checkbox" id="f-data-completa" name="data.completa"' in html
    assert '<textarea class="form-control" id="f-data-observacions" name="data.observacions"' in html
    assert '<label class="form-label" for="f-data-unitat_responsable">Unit in charge' in html  # x-labels.en
    assert opened.expedient.number in html and "Maria Garcia" in html
    assert 'name="idem_key"' in html and "data-once" in html


def test_missing_required_field_is_shown_inline_and_nothing_changes(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")

    response = client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "k1", "data.observacions": "hola"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "f-data-unitat_responsable") == "This field is required."
    assert 'aria-invalid="true"' in html
    assert ">hola</textarea>" in html  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).state == "ready"


def test_complete_redirects_to_inbox_naming_the_next_task(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")

    response = client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "k-ok",
        "data.unitat_responsable": "Secretaria", "data.completa": "1"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks")
    page = client.get("/tasks").get_data(as_text=True)
    assert "Done. Next: Tramitar la sol·licitud." in page
    db.session.expire_all()
    done = db.session.get(HumanTask, task.id)
    assert done.state == "completed" and done.completed_by_id == world.clerk.id
    assert ready_task(opened.expedient.id).element_id == "Task_tramitar"


def test_after_completing_the_inbox_says_who_holds_the_next_step_and_offers_my_next_task(client, world):
    opened = open_case(world)
    other = open_case(world, subject="Una altra sol·licitud", nif="00000001R")
    task = ready_task(opened.expedient.id)
    waiting = ready_task(other.expedient.id)
    login_en(client, "anna")

    client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "k-next",
        "data.unitat_responsable": "Secretaria", "data.completa": "1"})
    page = client.get("/tasks").get_data(as_text=True)

    card = page[page.index('id="after-completion"'):page.index("</section>", page.index('id="after-completion"'))]
    assert "What follows «Review and assign the application»" in card and opened.expedient.number in card
    following = ready_task(opened.expedient.id)
    row = rf'data-task-id="{following.id}">\s*<td>Process the application</td>\s*<td>Clerk \(tramitador\)</td>'
    assert re.search(row, card)  # the next step, held by the clerks' shared inbox
    # My next task is the first of my inbox: the other expedient's, waiting since before.
    assert f'id="my-next-task" href="/tasks/{waiting.id}"' in card
    # Shown once: the next visit to the inbox is the plain list.
    assert 'id="after-completion"' not in client.get("/tasks").get_data(as_text=True)


def test_double_submit_completes_once(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")
    form = {"csrf_token": token(client), "action": "complete", "idem_key": "same-click",
            "data.unitat_responsable": "Hisenda", "data.completa": "1"}

    first = client.post(f"/tasks/{task.id}", data=form)
    second = client.post(f"/tasks/{task.id}", data=form)

    assert first.status_code == second.status_code == 302
    completions = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "task.completed", AuditEvent.object_id == str(task.id))
    ).scalars().all()
    assert len(completions) == 1
    assert db.session.execute(
        db.select(db.func.count()).select_from(HumanTask).where(HumanTask.expedient_id == opened.expedient.id)
    ).scalar_one() == 2


def test_save_draft_keeps_typed_values_without_validating(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")

    response = client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "draft", "data.observacions": "Falta el DNI"})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).draft_data == {"observacions": "Falta el DNI", "completa": False}
    assert ">Falta el DNI</textarea>" in client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_claim_release_and_reassign(client, world):
    from tests.conftest import make_user

    colleague = make_user("carla", world.tenant, ("tramitador",), full_name="Carla Soler")
    db.session.commit()
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")

    client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token(client)})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == world.clerk.id
    client.post(f"/tasks/{task.id}/release", data={"csrf_token": token(client)})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id is None

    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Carla Soler" in html and "Sergi Roca" not in html  # only holders of the task's role
    bad = client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token(client), "user_id": world.secretary.id})
    assert bad.status_code == 422  # the task page again, the reason beside the person chosen
    refusal = field_error(bad.get_data(as_text=True), "reassign-user")
    assert refusal == "That person does not hold the role Clerk (tramitador) here."
    nobody = client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token(client), "user_id": ""})
    assert field_error(nobody.get_data(as_text=True), "reassign-user") == "Choose a person."
    ok = client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token(client), "user_id": colleague.id})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == colleague.id


def _meanwhile(client, world, act):
    """Anna reads a ready task; meanwhile her colleague Carla ``act``s on it (claims it, completes it)."""
    from tests.conftest import make_user

    colleague = make_user("carla", world.tenant, ("tramitador",), full_name="Carla Soler")
    task = ready_task(open_case(world).expedient.id)
    login_en(client, "anna")
    client.get(f"/tasks/{task.id}")
    act(ctx_for(colleague, world.tenant), task.id)
    db.session.commit()
    return colleague, task


def test_a_task_claimed_meanwhile_is_refused_on_its_page(client, world):
    from engine.process.instances.tasks import claim

    colleague, task = _meanwhile(client, world, claim)

    response = client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token(client)})

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert field_error(html, "assignment") == "This task was already claimed by Carla Soler."
    assert '<strong id="assignee">Carla Soler</strong>' in html
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).assignee_id == colleague.id


def test_a_task_completed_meanwhile_says_by_whom(client, world):
    from engine.process.instances.tasks import complete_task

    colleague, task = _meanwhile(client, world, lambda ctx, task_id: complete_task(
        ctx, task_id, {"unitat_responsable": "Secretaria", "completa": True}))

    response = client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "anna-late",
        "data.unitat_responsable": "Urbanisme", "data.completa": "1", "data.observacions": "Revisat"})

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="task-refusal"' in html and "This task was already completed by Carla Soler." in html
    assert "This task is no longer pending." not in html  # one message, the one that says why
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).completed_by_id == colleague.id


def test_other_tenants_task_is_not_found_on_every_route(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "oriol")
    t = token(client)

    assert client.get(f"/tasks/{task.id}").status_code == 404
    for path in (f"/tasks/{task.id}", f"/tasks/{task.id}/claim", f"/tasks/{task.id}/release",
                 f"/tasks/{task.id}/reassign"):
        assert client.post(path, data={"csrf_token": t, "action": "complete", "user_id": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).state == "ready"


def test_completing_another_roles_task_is_forbidden(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "sergi")
    response = client.post(f"/tasks/{task.id}", data={
        "csrf_token": token(client), "action": "complete", "idem_key": "x",
        "data.unitat_responsable": "Secretaria", "data.completa": "1"})
    assert response.status_code == 403
    assert client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token(client)}).status_code == 403


def test_posts_without_csrf_token_are_refused(client, world):
    opened = open_case(world)
    task = ready_task(opened.expedient.id)
    login_en(client, "anna")
    for path in (f"/tasks/{task.id}", f"/tasks/{task.id}/claim"):
        response = client.post(path, data={"action": "complete", "data.unitat_responsable": "Secretaria"})
        assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).state == "ready"


def test_inbox_needs_login(client, world):
    response = client.get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_long_inbox_links_a_handful_of_pages_not_all_of_them() -> None:
    from engine.inbox.inbox import InboxPage

    page = InboxPage(rows=[], total=10_000, page=200, per_page=25)  # 400 pages
    assert page.page_links() == [1, None, 198, 199, 200, 201, 202, None, 400]
    assert InboxPage(rows=[], total=60, page=1, per_page=25).page_links() == [1, 2, 3]
    assert InboxPage(rows=[], total=200, page=2, per_page=25).page_links() == [1, 2, 3, 4, None, 8]
