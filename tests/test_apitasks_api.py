"""The task API tells an integrator which steps only wait for a notification's outcome (they go on by
themselves), as the inbox marks them; the API batch signature says which number each decree took."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine.base.context import Context
from engine.base.db import db
from engine.decrees.book import create_draft, get_decree
from engine.notifications import notifications as n
from engine.signatures.circuits import request_signatures
from engine.signatures.models import SignatureRequest
from engine.tenancy.tokens import create_token
from tests.records_helpers import new_expedient
from tests.test_signatures_helpers import KEY_PASSWORD, pdf_document
from tests.test_signatures_helpers import town as signing_town
from tests.waiting_steps import WaitingAndToDo, waiting_and_to_do


def _headers(ctx: Context) -> dict[str, str]:
    secret = create_token(ctx, "integration").secret
    db.session.commit()
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


# -- tasks that only wait for a notification ---------------------------------------------------------


@pytest.fixture
def steps() -> WaitingAndToDo:
    return waiting_and_to_do()


def test_the_task_list_marks_the_steps_that_only_wait_for_a_notification(
    client: FlaskClient, steps: WaitingAndToDo
) -> None:
    headers = _headers(steps.clerk)
    tasks = {task["id"]: task for task in client.get("/api/v1/tasks", headers=headers).get_json()}

    # both are listed, as in the inbox; only the waiting one says so
    assert tasks[steps.waiting.id]["waiting"] is True
    assert tasks[steps.to_do.id]["waiting"] is False
    assert [task["id"] for task in tasks.values() if not task["waiting"]] == [steps.to_do.id]


def test_one_task_says_whether_it_only_waits_for_a_notification(client: FlaskClient, steps: WaitingAndToDo) -> None:
    headers = _headers(steps.clerk)

    waiting = client.get(f"/api/v1/tasks/{steps.waiting.id}", headers=headers).get_json()
    to_do = client.get(f"/api/v1/tasks/{steps.to_do.id}", headers=headers).get_json()

    assert (waiting["id"], waiting["state"], waiting["waiting"]) == (steps.waiting.id, "ready", True)
    assert (to_do["id"], to_do["state"], to_do["waiting"]) == (steps.to_do.id, "ready", False)


def test_a_step_no_longer_waits_once_the_notification_was_accessed(client: FlaskClient, steps: WaitingAndToDo) -> None:
    (note,) = n.list_notifications(steps.clerk, steps.waiting.expedient_id)
    n.access(steps.clerk, note.id)
    db.session.commit()
    n.continue_process(steps.clerk, note.id)  # the step goes on by itself with the outcome
    db.session.commit()
    headers = _headers(steps.clerk)

    done = client.get(f"/api/v1/tasks/{steps.waiting.id}", headers=headers).get_json()
    listed = client.get("/api/v1/tasks", headers=headers).get_json()

    assert done["state"] == "completed" and done["waiting"] is False
    assert steps.waiting.id not in [task["id"] for task in listed]
    assert all(task["waiting"] is False for task in listed)


def test_the_openapi_document_describes_the_waiting_mark(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    listed = document["paths"]["/api/v1/tasks"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert listed["items"] == {"$ref": "#/components/schemas/InboxTask"}
    assert schemas["InboxTask"]["properties"]["waiting"]["type"] == "boolean"
    assert "notification" in schemas["InboxTask"]["properties"]["waiting"]["description"]
    detail = schemas["TaskDetail"]["allOf"][1]["properties"]
    assert detail["waiting"]["type"] == "boolean"


# -- the batch signature -----------------------------------------------------------------------------


@pytest.fixture
def people() -> dict[str, Context]:
    return signing_town()


def _decree(people: dict[str, Context], title: str) -> SignatureRequest:
    expedient = new_expedient(people["clerk"])
    decree = create_draft(people["clerk"], title=title, text="RESOLC: concedir.", expedient_id=expedient.id)
    request = request_signatures(people["clerk"], None, ["alcalde", "secretari"], decree_id=decree.id)
    db.session.commit()
    return request


def _queue(client: FlaskClient, headers: dict[str, str]) -> dict[int, int]:
    """request id -> step id of my queue."""
    return {item["request"]["id"]: item["step_id"] for item in client.get("/api/v1/signatures", headers=headers)
            .get_json()}


def test_a_batch_signature_answers_the_numbers_the_decrees_took(client: FlaskClient, people) -> None:
    first = _decree(people, "Concessió de llicència d'obres")
    second = _decree(people, "Concessió de gual")
    report = request_signatures(people["clerk"], pdf_document(people["clerk"], None).id, ["alcalde"])
    db.session.commit()
    mayor = _headers(people["mayor"])
    queue = _queue(client, mayor)

    answer = client.post("/api/v1/signatures/batch", headers=mayor, json={
        "step_ids": [queue[first.id], queue[second.id], queue[report.id]], "password": KEY_PASSWORD})

    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["signed"] == [queue[first.id], queue[second.id], queue[report.id]]
    assert body["already"] == [] and body["failed"] == []
    numbers = {get_decree(people["clerk"], r.decree_id).title: get_decree(people["clerk"], r.decree_id).number
               for r in (first, second)}
    assert body["decrees"] == [  # the two decrees (not the report), by number
        {"number": numbers["Concessió de llicència d'obres"], "title": "Concessió de llicència d'obres"},
        {"number": numbers["Concessió de gual"], "title": "Concessió de gual"},
    ]
    assert all(number.startswith("DEC/") for number in numbers.values())
    assert _queue(client, mayor) == {}


def test_the_secretary_attesting_a_batch_hears_the_numbers_too(client: FlaskClient, people) -> None:
    request = _decree(people, "Concessió de llicència d'obres")
    mayor, secretary = _headers(people["mayor"]), _headers(people["secretary"])
    client.post("/api/v1/signatures/batch", headers=mayor,
                json={"step_ids": list(_queue(client, mayor).values()), "password": KEY_PASSWORD})
    number = get_decree(people["clerk"], request.decree_id).number

    body = client.post("/api/v1/signatures/batch", headers=secretary,
                       json={"step_ids": list(_queue(client, secretary).values()), "password": KEY_PASSWORD}).get_json()

    assert body["decrees"] == [{"number": number, "title": "Concessió de llicència d'obres"}]


def test_a_batch_sent_twice_is_done_not_failed_and_a_foreign_item_is_reported(client: FlaskClient, people) -> None:
    request = _decree(people, "Concessió de gual")
    mayor = _headers(people["mayor"])
    step = _queue(client, mayor)[request.id]
    client.post("/api/v1/signatures/batch", headers=mayor, json={"step_ids": [step], "password": KEY_PASSWORD})

    again = client.post("/api/v1/signatures/batch", headers=mayor,
                        json={"step_ids": [step, 999999], "password": KEY_PASSWORD})

    assert again.status_code == 200
    body = again.get_json()
    assert (body["signed"], body["already"], body["decrees"]) == ([], [step], [])
    assert [item["step_id"] for item in body["failed"]] == [999999] and body["failed"][0]["message"]


def test_a_refused_batch_signs_nothing_and_says_which_field(client: FlaskClient, people) -> None:
    request = _decree(people, "Concessió de gual")
    mayor = _headers(people["mayor"])
    step = _queue(client, mayor)[request.id]

    wrong = client.post("/api/v1/signatures/batch", headers=mayor,
                        json={"step_ids": [step], "password": "not-my-password"})
    empty = client.post("/api/v1/signatures/batch", headers=mayor, json={"step_ids": [], "password": KEY_PASSWORD})
    not_a_list = client.post("/api/v1/signatures/batch", headers=mayor,
                             json={"step_ids": step, "password": KEY_PASSWORD})
    clerk = client.post("/api/v1/signatures/batch", headers=_headers(people["clerk"]),
                        json={"step_ids": [step], "password": KEY_PASSWORD})

    assert (wrong.status_code, wrong.get_json()["field"]) == (422, "password")
    assert wrong.get_json()["message"] == "Wrong signing key password."
    assert (empty.status_code, empty.get_json()["field"]) == (422, "step_ids")
    assert empty.get_json()["message"] == "Choose at least one item to sign."
    assert (not_a_list.status_code, not_a_list.get_json()["field"]) == (422, "step_ids")
    assert not_a_list.get_json()["message"] == "Send the items to sign as a list of step ids."
    assert clerk.status_code == 403
    assert _queue(client, mayor) == {request.id: step}  # nothing was signed
    assert get_decree(people["clerk"], request.decree_id).number is None
