"""The top bar's badge on "My tasks" counts what the clerk must do: a step that only waits for a
notification's outcome (it goes on by itself) is listed in the inbox, marked, but not counted; the
inbox, the list across municipalities and "open my next task" say the same."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from engine.base.db import db
from engine.process.models import HumanTask
from tests.conftest import csrf_token, login
from tests.waiting_steps import WaitingAndToDo, waiting_and_to_do

BADGE = r'href="/tasks"[^>]*>My tasks\s*<span class="badge[^"]*">(\d+)</span>'


@pytest.fixture
def cases() -> WaitingAndToDo:
    return waiting_and_to_do()


def _login_en(client: FlaskClient) -> None:
    login(client, "tramitador.proves")
    client.post("/locale", data={"locale": "en", "csrf_token": csrf_token(client, "/"), "next": "/"})


def _badge(html: str) -> int | None:
    match = re.search(BADGE, html)
    return int(match.group(1)) if match else None


def _row(html: str, task_id: int) -> str:
    match = re.search(rf'<tr data-task-id="{task_id}".*?</tr>', html, re.S)
    assert match, f"task {task_id} is not listed"
    return match.group(0)


def test_a_step_waiting_for_a_notification_is_not_counted_in_the_badge_but_a_task_is(client, cases):
    _login_en(client)

    inbox = client.get("/tasks").get_data(as_text=True)
    elsewhere = client.get("/expedients").get_data(as_text=True)

    assert _badge(inbox) == 1 and _badge(elsewhere) == 1
    # both are still listed, the waiting one marked
    assert "data-waiting" in _row(inbox, cases.waiting.id)
    assert "data-waiting" not in _row(inbox, cases.to_do.id)
    # and the page's count says what the badge says, and why one more row is listed
    count = re.search(r'<p[^>]*id="inbox-count">(.*?)</p>', inbox, re.S)
    assert count and "1 open task" in count.group(1)
    assert "Also listed: 1 step that only waits for a notification's outcome" in count.group(1)


def test_with_only_a_waiting_step_there_is_no_badge(client, cases):
    task = db.session.get(HumanTask, cases.to_do.id)
    assert task is not None
    task.state = "completed"
    db.session.commit()
    _login_en(client)

    inbox = client.get("/tasks").get_data(as_text=True)

    assert _badge(inbox) is None and f'data-task-id="{cases.waiting.id}"' in inbox
    assert "0 open tasks" in inbox


def test_the_list_across_municipalities_marks_and_counts_the_same(client, cases):
    _login_en(client)

    html = client.get("/tasks/municipalities/").get_data(as_text=True)

    assert "data-waiting" in _row(html, cases.waiting.id) and "data-waiting" not in _row(html, cases.to_do.id)
    count = re.search(r'<p[^>]*id="inbox-count">(.*?)</p>', html, re.S)
    assert count and "1 open task" in count.group(1) and 'id="inbox-waiting-count"' in count.group(1)


def test_my_next_task_after_completing_one_is_not_a_waiting_step(client, cases):
    _login_en(client)
    token = csrf_token(client, f"/tasks/{cases.to_do.id}")

    done = client.post(f"/tasks/{cases.to_do.id}", data={"csrf_token": token, "action": "complete",
                                                         "idem_key": "counter-next"})
    assert done.status_code == 302, done.get_data(as_text=True)
    html = client.get("/tasks").get_data(as_text=True)

    assert 'id="after-completion"' in html
    assert 'id="my-next-task"' not in html  # the only task left goes on by itself
    assert _badge(html) is None
