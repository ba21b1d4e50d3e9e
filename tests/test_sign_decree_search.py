"""The decrees API searches as the decree book page does: whatever the accents and the case, in the
number, the title and the expedient (its number and subject), on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine.base.context import Context
from engine.base.db import db
from engine.decrees.book import create_draft, decrees_page, sign_decree
from engine.expedients.expedients import open_expedient
from engine.tenancy.tokens import create_token
from tests.conftest import ctx_for, make_tenant, make_user
from tests.services import postgres_app


def _people() -> dict[str, Context]:
    tenant = make_tenant()
    users = {"clerk": make_user("clerk", tenant, ("tramitador",)), "mayor": make_user("mayor", tenant, ("alcalde",))}
    db.session.commit()
    return {name: ctx_for(user, tenant) for name, user in users.items()}


def _decrees(people: dict[str, Context]) -> dict[str, int]:
    """A signed resolution, a draft about a ceramics fair's expedient, and a third about nothing alike."""
    clerk = people["clerk"]
    fair = open_expedient(clerk, "Fira de la CERÀMICA d’Olot")
    resolution = create_draft(clerk, title="Resolució de la convocatòria d'ajuts", text="RESOLC: aprovar.")
    sign_decree(people["mayor"], resolution.id)
    stalls = create_draft(clerk, title="Parades del mercat", text="RESOLC: autoritzar.", expedient_id=fair.id)
    other = create_draft(clerk, title="Festa major", text="RESOLC: aprovar.")
    db.session.commit()
    return {"resolution": resolution.id, "stalls": stalls.id, "other": other.id, "number": resolution.number,
            "fair": fair.number}


def _found(people: dict[str, Context], q: str, **extra: Any) -> list[int]:
    return [d.id for d in decrees_page(people["clerk"], q=q, **extra).rows]


def _check_the_search(people: dict[str, Context], made: dict[str, Any]) -> None:
    assert _found(people, "resolucio") == [made["resolution"]]
    assert _found(people, "RESOLUCIÓ  DE") == [made["resolution"]]  # case and spacing too
    assert _found(people, "ceramica d'olot") == [made["stalls"]]  # the expedient's subject, its apostrophe
    assert _found(people, made["fair"].lower()) == [made["stalls"]]  # the expedient's number
    assert _found(people, made["number"].lower()) == [made["resolution"]]
    assert _found(people, "50%_") == []  # typed literally, not as a pattern
    assert _found(people, "resolucio", status="draft") == []
    first = decrees_page(people["clerk"], q="resolc", limit=1)  # in the text only: not searched
    assert first.rows == []
    page = decrees_page(people["clerk"], q="a", limit=2)  # a page at a time, newest first
    assert [d.id for d in page.rows] == [made["other"], made["stalls"]] and page.next_after == made["stalls"]
    rest = decrees_page(people["clerk"], q="a", limit=2, after=page.next_after)
    assert [d.id for d in rest.rows] == [made["resolution"]] and rest.next_after is None


def test_the_api_finds_decrees_whatever_the_accents(client: FlaskClient) -> None:
    people = _people()
    made = _decrees(people)
    secret = create_token(people["clerk"], "script").secret
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    found = client.get("/api/v1/decrees?q=resolucio", headers=headers)
    assert found.status_code == 200
    assert [d["title"] for d in found.get_json()["items"]] == ["Resolució de la convocatòria d'ajuts"]
    fair = client.get("/api/v1/decrees?q=CERAMICA", headers=headers).get_json()
    assert [d["id"] for d in fair["items"]] == [made["stalls"]]
    _check_the_search(people, made)


def test_the_search_is_the_same_on_postgresql() -> None:
    with postgres_app() as app, app.app_context():
        people = _people()
        _check_the_search(people, _decrees(people))
