"""What the inbox and the task API ask of the database (issue #18): a fixed handful of statements
whatever the number of tasks listed, also in English, where each task's name is looked up in its
process version (counted with SQLAlchemy's event listeners: a count, not a timing)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask.testing import FlaskClient

from engine.base.db import db
from engine.base.statement_count import StatementCount, counting
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for
from tests.web_clerk import World, login_en, make_world, open_case

#: The inbox page: the user with their memberships and municipalities, the count, the page of tasks,
#: their interested parties and the procedures of the filter (the top bar's badge reuses the count).
INBOX_BUDGET = 5
NIFS = ("00000000T", "00000001R", "00000002W", "00000003A")


@pytest.fixture
def world() -> World:
    return make_world()


def _open_cases(world: World, nifs: tuple[str, ...]) -> None:
    """Open cases for the clerk and save them; then start afresh, as each served request does (its
    own session), so the requests counted below read with an empty session."""
    for nif in nifs:
        open_case(world, nif=nif)
    db.session.commit()
    db.session.expunge_all()


def _reloaded(world: World) -> World:
    """The world's records in the current session again."""
    return dataclasses.replace(world, **{f.name: db.session.merge(getattr(world, f.name), load=True)
                                         for f in dataclasses.fields(world)})


def _inbox(client: FlaskClient) -> tuple[str, StatementCount]:
    with counting(db.engine) as count:
        response = client.get("/tasks")
    assert response.status_code == 200
    return response.get_data(as_text=True), count


def test_the_inbox_asks_the_same_few_statements_for_one_task_or_many(client, world):
    login_en(client, "anna")
    _open_cases(world, NIFS[:1])
    _inbox(client)  # warm: the process version's labels are read once
    html, one = _inbox(client)
    assert len(re.findall(r"data-task-id=", html)) == 1

    world = _reloaded(world)
    _open_cases(world, NIFS[1:])
    _inbox(client)
    html, many = _inbox(client)

    assert len(re.findall(r"data-task-id=", html)) == len(NIFS)
    assert "Review and assign the application" in html  # the names are still in English
    assert re.search(r'href="/tasks"[^>]*>My tasks\s*<span class="badge[^"]*">4</span>', html)
    assert len(many.statements) == len(one.statements) <= INBOX_BUDGET, many.report()


def test_the_task_api_asks_no_statement_per_task(client, world):
    secret = create_token(ctx_for(world.clerk, world.tenant), "script").secret
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    counts = []
    for nif in NIFS[:2]:
        world = _reloaded(world)
        _open_cases(world, (nif,))
        client.get("/api/v1/tasks", headers=headers)
        with counting(db.engine) as count:
            tasks = client.get("/api/v1/tasks", headers=headers).get_json()
        counts.append(count)

    assert len(tasks) == 2
    assert len(counts[1].statements) == len(counts[0].statements), counts[1].report()
