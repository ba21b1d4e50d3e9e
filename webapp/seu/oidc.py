"""Citizen login with OpenID Connect (authorization code flow) through Authlib.

A real provider (VÀLid in Catalonia, Cl@ve in Spain) is configured with ``GEE_OIDC_ISSUER``,
``GEE_OIDC_CLIENT_ID`` and ``GEE_OIDC_CLIENT_SECRET`` (environment, or the same keys in the
app config). Without an issuer, outside production, the built-in development provider
(:mod:`webapp.views.dev_idp`) is used through the very same Authlib client code (discovery,
authorization redirect, code exchange, id_token signature and nonce checks); only the
transport differs: its back-channel calls are answered by this app in-process, so a
single-threaded server or the test client does not have to call itself over the network.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, current_app, url_for
from requests.structures import CaseInsensitiveDict

from engine.base.settings import current_settings

DEV_CLIENT_ID = "gee-dev"
DEV_CLIENT_SECRET = "gee-dev-secret"  # noqa: S105 - the development provider only
SCOPE = "openid profile"


@dataclass(frozen=True)
class OidcConfig:
    issuer: str | None
    client_id: str
    client_secret: str

    @property
    def development(self) -> bool:
        return self.issuer is None


def config() -> OidcConfig | None:
    """The provider to use, or None when citizen login is not available (production without one)."""
    def get(name: str) -> str | None:
        return current_app.config.get(name) or os.environ.get(name) or None

    issuer = get("GEE_OIDC_ISSUER")
    if issuer:
        return OidcConfig(issuer.rstrip("/"), get("GEE_OIDC_CLIENT_ID") or "", get("GEE_OIDC_CLIENT_SECRET") or "")
    if current_settings().production:
        return None
    return OidcConfig(None, DEV_CLIENT_ID, DEV_CLIENT_SECRET)


class _InAppAdapter(requests.adapters.BaseAdapter):
    """A requests transport that answers with this Flask app (for the development provider)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.app.test_client().open(
            path=url.path, query_string=url.query, method=request.method, headers=dict(request.headers),
            data=body, base_url=f"{url.scheme}://{url.netloc}",
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.data
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


class _InAppSession(OAuth2Session):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adapter = _InAppAdapter(current_app._get_current_object())  # type: ignore[attr-defined]
        self.mount("http://", adapter)
        self.mount("https://", adapter)


class _InAppOAuth2App(FlaskOAuth2App):
    client_cls = _InAppSession


class _DevOAuth(OAuth):
    oauth2_client_cls = _InAppOAuth2App


def init_app(app: Flask) -> None:
    app.extensions["gee_seu_oauth"] = (OAuth(app), _DevOAuth(app))


def client() -> Any | None:
    """The Authlib client for the configured provider (registered on first use)."""
    cfg = config()
    if cfg is None:
        return None
    real, dev = current_app.extensions["gee_seu_oauth"]
    if not cfg.development:
        registry, name, metadata_url = real, "citizen", f"{cfg.issuer}/.well-known/openid-configuration"
    else:
        # One registration per host name the app is reached by: the discovery document names it.
        metadata_url = url_for("dev_idp.discovery", _external=True)
        registry, name = dev, "dev_" + hashlib.sha256(metadata_url.encode()).hexdigest()[:12]
    existing = registry.create_client(name)
    if existing is not None:
        return existing
    return registry.register(
        name,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        server_metadata_url=metadata_url,
        client_kwargs={"scope": SCOPE},
    )
