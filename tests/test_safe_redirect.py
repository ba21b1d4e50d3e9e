"""A ``next`` parameter only ever sends the browser back to a path on this site."""

from __future__ import annotations

import pytest

from engine.base.db import db
from tests.conftest import PASSWORD, csrf_token, make_tenant, make_user
from webapp.redirects import is_safe_next

BYPASSES = [
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/%0a/evil.example",
    "\t//evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%252F/evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "http://evil.example",
    "https://evil.example/x",
    "evil.example",
    " /x",
    "",
]
FINE = ["/", "/expedients", "/expedients?page=2&q=a%20b", "/registry?year=2026#top", "/seu/ajt/carpeta?"]


@pytest.mark.parametrize("target", BYPASSES)
def test_unsafe_targets_are_refused(target: str) -> None:
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", FINE)
def test_same_site_paths_are_kept(target: str) -> None:
    assert is_safe_next(target)


def _lands_on_site(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\")) and "evil" not in location


@pytest.mark.parametrize("target", BYPASSES)
def test_login_next_never_leaves_the_site(client, target: str) -> None:
    make_user("clerk", make_tenant(), ("tramitador",))
    db.session.commit()
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert _lands_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", BYPASSES)
def test_locale_next_never_leaves_the_site(client, target: str) -> None:
    token = csrf_token(client)
    response = client.post("/locale", data={"locale": "es", "next": target, "csrf_token": token})
    assert response.status_code == 302
    assert _lands_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", BYPASSES)
def test_seu_login_next_never_leaves_the_site(client, target: str) -> None:
    town = make_tenant()
    db.session.commit()
    with client.session_transaction() as sess:
        sess["seu_citizen"] = {"nif": "12345678Z", "name": "Maria Puig", "email": None}
    response = client.get(f"/seu/{town.code}/entrar", query_string={"next": target})
    assert response.status_code == 302
    assert _lands_on_site(response.headers["Location"]), response.headers["Location"]


def test_a_same_site_next_is_followed(client) -> None:
    make_user("clerk", make_tenant(), ("tramitador",))
    db.session.commit()
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": "/registry?year=2026"},
                           data={"username": "clerk", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/registry?year=2026"
