"""A person serving several municipalities (a secretary-interventor, a comarcal technician) sees
one inbox across them, each task labelled with its municipality; permissions stay per tenant."""

from __future__ import annotations

import re

import pytest

from engine.base.db import db
from engine.inbox.across_tenants import shared_inbox
from engine.tenancy.models import Membership
from tests.conftest import csrf_token, login, make_tenant, make_user
from tests.web_clerk import make_world, open_case, ready_task


@pytest.fixture
def three_towns():
    world = make_world()  # Ajuntament de Proves (A) and Ajuntament d'Altre (B), instància genèrica
    third = make_tenant("tercer", "Ajuntament del Tercer", dir3="L01257777", ine_code="257777")
    third_clerk = make_user("clara", third, ("tramitador",), full_name="Clara Tercer")
    # Clerk (tramitador) in A and B; only secretary in C.
    shared = make_user("compartida", world.tenant, ("tramitador",), full_name="Rosa Compartida")
    db.session.add(Membership(tenant_id=world.other_tenant.id, user_id=shared.id, role="tramitador"))
    db.session.add(Membership(tenant_id=third.id, user_id=shared.id, role="secretari"))
    db.session.commit()
    in_a = open_case(world, "Sol·licitud a Proves")
    in_b = open_case(world, "Sol·licitud a Altre", user=world.outsider, tenant=world.other_tenant)
    in_c = open_case(world, "Sol·licitud al Tercer", user=third_clerk, tenant=third)
    db.session.commit()
    tasks = {key: ready_task(opened.expedient.id) for key, opened in (("a", in_a), ("b", in_b), ("c", in_c))}
    assert {t.role for t in tasks.values()} == {"tramitador"}
    return world, third, shared, tasks


def test_one_inbox_across_the_municipalities_with_each_tasks_own_roles(three_towns) -> None:
    world, _third, shared, tasks = three_towns
    page = shared_inbox(shared.id, "ca")
    # A and B: a clerk's task, and she is a clerk there. C: she is only the secretary there.
    assert page.total == 2
    assert sorted((r.tenant_name, r.task_id, r.subject) for r in page.rows) == sorted([
        ("Ajuntament de Proves", tasks["a"].id, "Sol·licitud a Proves"),
        ("Ajuntament d'Altre", tasks["b"].id, "Sol·licitud a Altre"),
    ])
    # Someone serving only one municipality sees only that one's tasks.
    assert [r.task_id for r in shared_inbox(world.clerk.id, "ca").rows] == [tasks["a"].id]


def test_opening_a_task_works_in_its_own_municipality(client, three_towns) -> None:
    world, _third, _shared, tasks = three_towns
    login(client, "compartida")
    listing = client.get("/tasks/municipalities/").get_data(as_text=True)
    assert "Ajuntament d&#39;Altre" in listing and "Sol·licitud a Altre" in listing
    assert "Sol·licitud al Tercer" not in listing
    assert 'id="link-shared-inbox"' in client.get("/tasks").get_data(as_text=True)
    # Opening B's task switches to B and shows it there.
    response = client.get(f"/tasks/municipalities/{world.other_tenant.id}/{tasks['b'].id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{tasks['b'].id}")
    page = client.get(f"/tasks/{tasks['b'].id}")
    assert page.status_code == 200 and "Sol·licitud a Altre" in page.get_data(as_text=True)
    # Every page says which municipality it is of, to someone who serves several.
    assert re.search(r'id="current-town">.*<strong>Ajuntament d&#39;Altre</strong>', page.get_data(as_text=True))
    # In B, A's task is not found: each task is worked on in its own municipality only.
    assert client.get(f"/tasks/{tasks['a'].id}").status_code == 404
    login(client, world.clerk.username)
    assert 'id="current-town"' not in client.get("/tasks").get_data(as_text=True)  # she serves one


def test_a_role_in_one_municipality_gives_nothing_in_another(client, three_towns) -> None:
    _world, third, _shared, tasks = three_towns
    login(client, "compartida")
    # She serves C (as secretary), so she may switch to it, but C's clerk task is not hers to do.
    assert client.get(f"/tasks/municipalities/{third.id}/{tasks['c'].id}").status_code == 302
    claim = client.post(f"/tasks/{tasks['c'].id}/claim", data={"csrf_token": csrf_token(client, "/tasks")})
    assert claim.status_code == 403
    db.session.refresh(tasks["c"])
    assert tasks["c"].assignee_id is None
    # A municipality she does not serve cannot be switched to.
    stranger = make_tenant("estrany", "Ajuntament Estrany", dir3="L01256666", ine_code="256666")
    db.session.commit()
    assert client.get(f"/tasks/municipalities/{stranger.id}/{tasks['a'].id}").status_code == 404

